# rootlift — build, check and test. `make demo` and `make test` are the
# README's quick start; CI runs `make lint size test` through .ci/run.

CARGO   ?= cargo
TARGET  := x86_64-unknown-linux-musl
BIN     := target/$(TARGET)/release/rootlift
# Guard rail only: the product goal is 512 KiB (see README).
SIZE_LIMIT_KIB := 640

.PHONY: build size lint test test-unit test-root test-vm e2e e2e-ansible demo bench fuzz

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
RELEASE_RUSTFLAGS := -C target-feature=+crt-static -C relocation-model=static \
	-C force-unwind-tables=no -Zunstable-options -Cpanic=immediate-abort \
	-Zon-broken-pipe=inherit -Zfmt-debug=shallow

build:
	@rustup target list --installed 2>/dev/null | grep -qx $(TARGET) || rustup target add $(TARGET)
	@rustup component list --installed 2>/dev/null | grep -q '^rust-src' || rustup component add rust-src
	RUSTC_BOOTSTRAP=1 RUSTFLAGS="$(RELEASE_RUSTFLAGS)" \
	    $(CARGO) build --release --locked -Zbuild-std=std,panic_abort

size: build
	@bytes=$$(stat -c %s $(BIN)); \
	 desc=$$(file -b $(BIN)); \
	 echo "size: $(BIN) $$bytes bytes ($$(( bytes / 1024 )) KiB), limit $(SIZE_LIMIT_KIB) KiB, goal 512 KiB"; \
	 echo "size: $$desc"; \
	 case "$$desc" in *"statically linked"*) ;; *) echo "size: FAIL the binary is not statically linked"; exit 1;; esac; \
	 case "$$desc" in *interpreter*) echo "size: FAIL the binary has an ELF interpreter"; exit 1;; esac; \
	 test $$bytes -le $$(( $(SIZE_LIMIT_KIB) * 1024 )) || { echo "size: FAIL over $(SIZE_LIMIT_KIB) KiB"; exit 1; }

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

test: test-unit test-root test-vm e2e

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
	tests/vm/run $(SCENARIO)

# Acceptance on a real system: a Debian 12 guest (systemd, sshd, LVM root)
# built with debootstrap and cached in target/e2e, its root shrunk live
# over SSH (tests/e2e/README.md). ROOTLIFT_SKIP_E2E=1 is the only way to
# skip it. The report is target/e2e/report.md.
e2e: build
	tests/e2e/run

# The Ansible collection (ansible/, rootlift.live): ansible-lint and
# ansible-test sanity in a virtualenv from PyPI under target/ansible, then
# its example playbook against the e2e guest over SSH: check mode, a
# refused size, the live shrink, the same run again, a run killed after its
# job started and run again (tests/ansible/run). ROOTLIFT_SKIP_E2E=1 skips
# the guest part only. The report is target/ansible/e2e/report.md.
e2e-ansible: build
	tests/ansible/run

# The main job on a built-in default, rehearsed in a VM: a live shrink of
# a 256 MiB ext4 root LV to 128 MiB with daemons holding it (see
# tests/vm/scenarios/demo.sh), the guest's console shown as it runs.
demo: build
	VM_DEBUG=1 tests/vm/run demo

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
