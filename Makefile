# rootlift — build, check, test, install and package. `make demo` and
# `make test` are the README's quick start; CI runs `make lint size test`
# through .ci/run; `make test-all` is `make test` plus the slow extras.

CARGO   ?= cargo
# The CPU to build for: x86_64 (default) or aarch64; either way a static
# musl binary with no ELF interpreter.
ARCH    ?= x86_64
TARGET  := $(ARCH)-unknown-linux-musl
BIN     := target/$(TARGET)/release/rootlift
# Cargo.toml's version: the one the binary, the man page and the package say.
VERSION := $(shell packaging/deb/build --print-version)
DEB_ARCH_x86_64  := amd64
DEB_ARCH_aarch64 := arm64
DEB_ARCH = $(DEB_ARCH_$(ARCH))
DEB      = target/deb/rootlift_$(VERSION)_$(DEB_ARCH).deb
# make install: PREFIX=/usr/local by default, DESTDIR for staging.
PREFIX  ?= /usr/local
DESTDIR ?=
# The product goal, enforced: under 512 KiB (README "Binary size" says
# where the bytes are). `make size` fails at 512 KiB and above.
SIZE_LIMIT_KIB := 512

.PHONY: build size lint lint-man lint-aarch64 test test-all test-unit test-root test-vm e2e \
	e2e-test e2e-extra e2e-all e2e-ansible e2e-ansible-test cross deb install uninstall demo demo-loop bench fuzz

# The release binary rebuilds std with panic=immediate-abort: no unwinder, no
# backtrace symbolizer and no unwind tables, which together are more than
# half of a default static binary. -Zbuild-std needs the rust-src component;
# RUSTC_BOOTSTRAP lets the pinned stable toolchain take the flag.
# (`cargo build --release` alone still works, only larger.)
# -Zon-broken-pipe=inherit: the runtime leaves SIGPIPE as inherited, since an
# ignored signal stays ignored across execve(2) and rootlift execs inits
# (the stub, switch-root).
# -Zfmt-debug=shallow: derived Debug impls print only the type name (4 KiB
# less); no output of rootlift uses a derived Debug (errors are Display).
# -enable-machine-outliner=always: LLVM moves instruction sequences repeated
# across functions into one outlined function each (aarch64 already does so
# for size-optimized functions by default; x86_64 does not).
# Measured on x86_64 at 0.2.0, 509.7 KiB before, each step on top of the
# last: optimize_for_size std -4.0 KiB, rust-lld -10.6, --icf=all -10.6,
# the outliner with human_bytes in integers (no float formatting left in
# the binary) -10.2, 474.3 KiB after (the outliner alone, on GNU ld: -12.0).
# Tried and not kept: -Zlocation-detail=none (0: immediate-abort already
# drops panic locations), opt-level=s (+76 KiB over z).
# Then, for x86_64, whose stack accesses beyond 127 bytes of the frame
# base take a 4-byte offset (aarch64 has no such cost), measured at 0.2.0's
# end, each on top of the last: force-frame-pointers -9.6 KiB (locals
# addressed from rbp), -Zmir-opt-level=1 -2.0 KiB (less MIR inlining, so
# smaller frames), -inline-max-stacksize=256 (LLVM inlines no callee with
# a frame over 256 bytes into its caller's frame) -2.5 KiB, -C
# jump-tables=no -1.3 KiB (a switch as compares: a static binary's jump
# table takes 8 bytes an entry). Frame pointers also let perf(1) and gdb
# walk rootlift's stack.
RELEASE_RUSTFLAGS := -C target-feature=+crt-static -C relocation-model=static \
	-C force-unwind-tables=no -Zunstable-options -Cpanic=immediate-abort \
	-Zon-broken-pipe=inherit -Zfmt-debug=shallow \
	-C llvm-args=-enable-machine-outliner=always \
	-C force-frame-pointers=yes -Zmir-opt-level=1 \
	-C llvm-args=-inline-max-stacksize=256 -C jump-tables=no
# std and core built with their optimize_for_size feature: smaller variants
# of sorting, formatting and collection code where std has them.
BUILD_STD := -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size
# Both CPUs link with rust-lld, the LLVM linker every Rust toolchain ships
# (rustc finds it in its own sysroot), against musl's crt objects and libc.a
# from the target's rust-std component: a cross build needs no cross gcc or
# binutils package. lld also folds identical functions (--icf=all: the many
# identical monomorphizations) and does not page-align code apart from
# read-only data, which GNU ld's default -z separate-code pads to 4 KiB.
LINK_RUSTFLAGS := -C linker=rust-lld -C linker-flavor=ld.lld -C link-arg=--icf=all

build:
	@case "$(ARCH)" in x86_64|aarch64) ;; *) echo "build: FAIL ARCH=$(ARCH): x86_64 or aarch64"; exit 2;; esac
	@rustup target list --installed 2>/dev/null | grep -qx $(TARGET) || rustup target add $(TARGET)
	@rustup component list --installed 2>/dev/null | grep -q '^rust-src' || rustup component add rust-src
	RUSTC_BOOTSTRAP=1 RUSTFLAGS="$(RELEASE_RUSTFLAGS) $(LINK_RUSTFLAGS)" \
	    $(CARGO) build --release --locked --target $(TARGET) $(BUILD_STD)

size: build
	@bytes=$$(stat -c %s $(BIN)); \
	 desc=$$(file -b $(BIN)); \
	 echo "size: $(BIN) $$bytes bytes ($$(( bytes / 1024 )) KiB), under $(SIZE_LIMIT_KIB) KiB required"; \
	 echo "size: $$desc"; \
	 case "$$desc" in *"statically linked"*) ;; *) echo "size: FAIL the binary is not statically linked"; exit 1;; esac; \
	 case "$$desc" in *interpreter*) echo "size: FAIL the binary has an ELF interpreter"; exit 1;; esac; \
	 case "$(ARCH):$$desc" in x86_64:*x86-64*|aarch64:*aarch64*) ;; *) echo "size: FAIL not an $(ARCH) binary"; exit 1;; esac; \
	 test $$bytes -lt $$(( $(SIZE_LIMIT_KIB) * 1024 )) || { echo "size: FAIL not under $(SIZE_LIMIT_KIB) KiB"; exit 1; }

lint: lint-man lint-aarch64
	$(CARGO) fmt --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

# The man page as man(1) formats it, with every groff warning on.
lint-man:
	@out=$$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 man/rootlift.8 2>&1 >/dev/null); \
	 test -z "$$out" || { echo "$$out"; echo "lint: FAIL man --warnings on man/rootlift.8"; exit 1; }

# Everything, tests included, compiled for aarch64 too: the static
# assertions on kernel struct layouts and ioctl numbers hold there as well.
lint-aarch64:
	@rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-musl || rustup target add aarch64-unknown-linux-musl
	$(CARGO) clippy --locked --all-targets --target aarch64-unknown-linux-musl -- -D warnings

# The README's test command: the unit, root and VM tiers, the package
# (lintian) and the aarch64 cross build with its size guard, and the
# acceptance profiles of E2E_TEST_PROFILES, and the Ansible collection's
# four playbook runs against a guest (e2e-ansible-test).
test: test-unit test-root cross test-vm e2e-test e2e-ansible-test

# make test, then what takes longer: the VM tier again on aarch64 under
# qemu-system-aarch64 (about as long as the x86_64 one), the e2e profiles
# of E2E_EXTRA_PROFILES, and the Ansible run's grow and --at-shutdown
# reboot. Other slow suites belong here too.
test-all: test
	$(MAKE) --no-print-directory test-vm ARCH=aarch64
	$(MAKE) --no-print-directory e2e-extra
	$(MAKE) --no-print-directory e2e-ansible

# The aarch64 release binary, its size guard and package.
cross:
	$(MAKE) --no-print-directory size deb ARCH=aarch64

# Unit tier: no root needed. Tests that need root are named root_*.
test-unit:
	$(CARGO) test --locked -- --skip root_

# Root tier: every test body runs in a private mount (and PID) namespace;
# the host's own mounts are never touched. Fails loudly when not root.
test-root:
	@test "$$(id -u)" = 0 || { echo "test-root: FAIL must run as root (the tests use private mount namespaces and loop devices)"; exit 1; }
	$(CARGO) test --locked root_ -- --test-threads=1

# VM tier: qemu (software emulation) with a Debian kernel. SCENARIO=name
# runs one scenario; ROOTLIFT_SKIP_VM=1 is the only way to skip it.
test-vm: build
	VM_ARCH=$(ARCH) ROOTLIFT_BIN=$(BIN) tests/vm/run $(SCENARIO)

# Acceptance on real systems: Debian guests in profiles (tests/e2e/profiles:
# networkd, server, sysvinit, gpt, trixie), each built with debootstrap and
# cached in target/e2e/PROFILE, its root shrunk live over SSH while a login
# is tried every 0.25 s (tests/e2e/README.md). `make e2e PROFILE=name` runs
# one (default networkd), E2E_REPEAT=N makes it N live shrinks in a row.
# make test runs E2E_TEST_PROFILES; E2E_EXTRA_PROFILES are for make
# test-all (e2e-extra), e2e-all runs every profile. ROOTLIFT_SKIP_E2E=1 is
# the only way to skip. Reports: target/e2e/PROFILE/report.md.
PROFILE ?= networkd
E2E_TEST_PROFILES  := networkd server sysvinit gpt
E2E_EXTRA_PROFILES := trixie
# The networkd profile also installs the Debian package (make deb) with apt.
e2e: build deb
	ROOTLIFT_DEB=$(DEB) PROFILE="$(PROFILE)" tests/e2e/run
e2e-test: build deb
	ROOTLIFT_DEB=$(DEB) PROFILE="$(E2E_TEST_PROFILES)" tests/e2e/run
e2e-extra: build
	PROFILE="$(E2E_EXTRA_PROFILES)" tests/e2e/run
e2e-all: build
	PROFILE="$(E2E_TEST_PROFILES) $(E2E_EXTRA_PROFILES)" tests/e2e/run
# The binary (sbin: a tool for root), the man page and the bash completion.
install: build
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/sbin/rootlift
	install -D -m 0644 man/rootlift.8 $(DESTDIR)$(PREFIX)/share/man/man8/rootlift.8
	install -D -m 0644 completions/rootlift.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/rootlift

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/rootlift $(DESTDIR)$(PREFIX)/share/man/man8/rootlift.8 \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/rootlift

# target/deb/rootlift_VERSION_DEBARCH.deb (ARCH=aarch64: arm64) from what
# make install puts under /usr, checked by lintian: no error, no warning.
deb: build
	@command -v dpkg-deb >/dev/null && command -v lintian >/dev/null || \
	    { echo "deb: FAIL needs dpkg-deb and lintian (apt-get install lintian)"; exit 1; }
	rm -rf target/deb/$(DEB_ARCH)
	$(MAKE) --no-print-directory install PREFIX=/usr DESTDIR=$(CURDIR)/target/deb/$(DEB_ARCH) ARCH=$(ARCH)
	packaging/deb/build target/deb/$(DEB_ARCH) $(DEB_ARCH) target/deb
	lintian --allow-root --fail-on error,warning --display-info $(DEB)

# The Ansible collection (ansible/, rootlift.live): ansible-lint and
# ansible-test sanity in a virtualenv from PyPI under target/ansible, then
# its example playbook against the e2e guest over SSH: check mode, a
# refused size, the live shrink, the same run again, a run killed after its
# job started and run again (tests/ansible/run). ROOTLIFT_SKIP_E2E=1 skips
# the guest part only. The report is target/ansible/e2e/report.md.
# e2e-ansible-test (in make test) leaves out grow_root and the
# --at-shutdown reboot (ANSIBLE_EXTRA=0).
e2e-ansible: build
	tests/ansible/run
e2e-ansible-test: build
	ANSIBLE_EXTRA=0 tests/ansible/run

# The main job on a built-in default, rehearsed in a VM: a live shrink of
# a 256 MiB ext4 root LV to 128 MiB with daemons holding it (see
# tests/vm/scenarios/demo.sh), the guest's console shown as it runs.
demo: build
	VM_DEBUG=1 tests/vm/run demo

# make demo N times in a row beside a heavy build (tests/vm/demo-loop).
demo-loop: build
	tests/vm/demo-loop $(or $(N),20)

# Size, RAM, speed and downtime, each beside what it is compared with, in
# the same run; writes bench/results.md and bench/results.json.
bench: build
	bench/run

# cargo-fuzz targets for every parser of untrusted bytes (fuzz/fuzz_targets:
# ext4, probe, mountinfo, elf, dm_reply, journal, cli), seeded from images
# made by mkfs, captured dm replies and this machine's files; FUZZ_SECONDS
# per target (default 60). Needs the nightly toolchain; installs cargo-fuzz
# when missing. Writes target/fuzz/summary.md; fails on any crash.
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh
FUZZ_SECONDS ?= 60
