//! `rootlift switch-root` (and rootlift run as `switch_root`) in private
//! mount + PID namespaces:
//! - every refusal (not PID 1, NEWROOT not a mount point or the root itself,
//!   INIT missing, not executable, or only reachable through a symlink out
//!   of NEWROOT) exits 3 and leaves the mount table as it was;
//! - as PID 1 of a namespace whose root is a tmpfs standing in for the
//!   initramfs: /dev /proc /run move into NEWROOT, a /sys NEWROOT already
//!   has wins, the old root is emptied (seen through an fd kept across the
//!   exec) without following its symlinks into NEWROOT, and INIT runs as
//!   PID 1 with its argv, the environment and the fd;
//! - the same from an ext4 root: the switch happens, the old root's files
//!   stay (only an initramfs is emptied).
//!
//! A refusal is run as PID 1 of a nested PID namespace that shares the
//! body's mount namespace (`unshare --pid --fork`), so the body outlives
//! it and can compare the mount table before and after.

mod common;

use std::collections::BTreeMap;

use common::*;

/// Splits the body's stdout into `== NAME` sections.
fn sections(stdout: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut cur = String::from("preamble");
    for line in stdout.lines() {
        if let Some(name) = line.strip_prefix("== ") {
            cur = name.to_owned();
            map.entry(cur.clone()).or_insert_with(String::new);
        } else {
            let s = map.entry(cur.clone()).or_insert_with(String::new);
            s.push_str(line);
            s.push('\n');
        }
    }
    map
}

/// A body prefix: a tmpfs NEWROOT at $T/newroot with busybox as an init,
/// and `refusal NAME CMD...`, which runs CMD, prints its exit code and
/// stderr as sections, and fails the body if the mount table changed.
const REFUSAL_RIG: &str = r#"
mkdir -p "$T/newroot" "$T/plain/bin"
mount -t tmpfs -o mode=755 tmpfs "$T/newroot"
mkdir -p "$T/newroot/bin" "$T/newroot/proc" "$T/newroot/sys" "$T/newroot/dev" "$T/newroot/run"
cp /bin/busybox "$T/newroot/bin/busybox"
cp /bin/busybox "$T/plain/bin/busybox"
ln -s "$ROOTLIFT" "$T/switch_root"
refusal() {
    name=$1; shift
    before=$(cat /proc/self/mountinfo)
    rc=0
    "$@" >"$T/out" 2>"$T/err" || rc=$?
    echo "== rc-$name"; echo "$rc"
    echo "== err-$name"; cat "$T/err" "$T/out"
    if [ "$before" != "$(cat /proc/self/mountinfo)" ]; then
        echo "the mount table changed in $name" >&2
        diff <(echo "$before") /proc/self/mountinfo >&2 || true
        exit 1
    fi
}
"#;

fn assert_refused(s: &BTreeMap<String, String>, name: &str, why: &str) {
    let rc = s.get(&format!("rc-{name}")).map(|r| r.trim().to_owned());
    let err = &s[&format!("err-{name}")];
    assert_eq!(rc.as_deref(), Some("3"), "{name}: {err}");
    assert!(err.contains("rootlift: error: refused: "), "{name}: {err}");
    assert!(err.contains(why), "{name}: {why:?} not in {err}");
}

#[test]
fn root_switch_root_refuses_unless_pid1() {
    require_root();
    let scratch = Scratch::new("swroot-pid");
    let body = format!(
        r#"{REFUSAL_RIG}
refusal subcommand "$ROOTLIFT" switch-root "$T/newroot" /bin/busybox sh -c true
refusal multicall "$T/switch_root" "$T/newroot" /bin/busybox sh -c true
"#
    );
    let host_before = host_mountinfo();
    let out = in_ns(Pid::Shared, &scratch.path, &body);
    let s = sections(&assert_ok(&out));
    assert_refused(
        &s,
        "subcommand",
        "switch-root must run as PID 1, this is pid ",
    );
    assert_refused(
        &s,
        "multicall",
        "switch-root must run as PID 1, this is pid ",
    );
    assert_eq!(host_before, host_mountinfo());
}

#[test]
fn root_switch_root_as_pid1_refuses_bad_newroot_or_init_and_moves_nothing() {
    require_root();
    let scratch = Scratch::new("swroot-refuse");
    let body = format!(
        r#"{REFUSAL_RIG}
pid1() {{ unshare --pid --fork "$@"; }}
# The rig itself: as PID 1 of the nested namespace, getpid() is 1.
echo "== pid-probe"; unshare --pid --fork sh -c 'echo $$'
refusal not-mounted pid1 "$ROOTLIFT" switch-root "$T/plain" /bin/busybox
refusal missing-newroot pid1 "$ROOTLIFT" switch-root "$T/nowhere" /bin/busybox
refusal the-root pid1 "$ROOTLIFT" switch-root / /bin/sh
refusal missing-init pid1 "$ROOTLIFT" switch-root "$T/newroot" /sbin/init
# /bin/bash exists on the host, not in NEWROOT: resolved inside, not found.
mkdir -p "$T/newroot/sbin"
ln -s /bin/bash "$T/newroot/sbin/init"
refusal init-symlink-out pid1 "$ROOTLIFT" switch-root "$T/newroot" /sbin/init
ln -s ../../../../../../bin/bash "$T/newroot/sbin/dotdot"
refusal init-dotdot-out pid1 "$ROOTLIFT" switch-root "$T/newroot" sbin/dotdot
echo '#!/bin/busybox sh' >"$T/newroot/bin/init"
chmod 644 "$T/newroot/bin/init"
refusal init-not-executable pid1 "$ROOTLIFT" switch-root "$T/newroot" /bin/init
refusal init-directory pid1 "$ROOTLIFT" switch-root "$T/newroot" /bin
refusal multicall-missing-init pid1 "$T/switch_root" "$T/newroot" /sbin/missing
refusal multicall-not-mounted pid1 "$T/switch_root" "$T/plain" /bin/busybox
echo "== newroot-after"; ls -A "$T/newroot" | sort | tr '\n' ' '; echo
"#
    );
    let host_before = host_mountinfo();
    let out = in_ns(Pid::New, &scratch.path, &body);
    let s = sections(&assert_ok(&out));
    assert_eq!(s["pid-probe"].trim(), "1");
    assert_refused(
        &s,
        "not-mounted",
        "plain is not a mount point; nothing was moved",
    );
    assert_refused(&s, "missing-newroot", "nowhere is not a directory");
    assert_refused(&s, "the-root", "NEWROOT / is on the same filesystem as /");
    for name in [
        "missing-init",
        "init-symlink-out",
        "init-dotdot-out",
        "multicall-missing-init",
    ] {
        assert_refused(&s, name, "is not found inside NEWROOT");
    }
    assert_refused(
        &s,
        "init-not-executable",
        "is not an executable regular file",
    );
    assert_refused(&s, "init-directory", "is not an executable regular file");
    assert_refused(&s, "multicall-not-mounted", "is not a mount point");
    // Nothing was moved into NEWROOT, nothing deleted from it.
    assert_eq!(s["newroot-after"].trim(), "bin dev proc run sbin sys");
    assert_eq!(host_before, host_mountinfo());
}

/// The stage-2 script INIT runs: what a real init would find.
const INIT_CHECKS: &str = r#"
echo "== pid"; echo $$
echo "== argv"; tr '\0' ' ' </proc/1/cmdline; echo
echo "== env"; echo "$SWITCH_ROOT_MARK"
echo "== fstype"; stat -f -c %T /
echo "== root"; ls -A / | sort | tr '\n' ' '; echo
echo "== mounts"; awk '{ print $5, $(NF - 2) }' /proc/self/mountinfo
echo "== old-root"; ls -A /proc/self/fd/9/ | sort | tr '\n' ' '; echo
echo "== run"; cat /run/marker
echo "== sys"; [ -d /sys/kernel ] && echo sysfs
echo "== dev"; [ -c /dev/null ] && [ -d /dev/pts ] && echo dev
echo "== keep"; cat /keep
"#;

/// Builds a fake "initramfs" root at $T/fake (mounted by `mount_fake`),
/// with a tmpfs NEWROOT inside it, pivots into it and execs
/// `switch-root /newroot` as PID 1 with [`INIT_CHECKS`] as INIT's script
/// (`/bin/busybox sh -eu /init.sh init-arg`).
fn switch_body(mount_fake: &str, switch_cmd: &str) -> String {
    format!(
        r#"
F="$T/fake"
mkdir -p "$F"
{mount_fake}
mkdir -p "$F/bin" "$F/proc" "$F/sys" "$F/dev" "$F/run" "$F/newroot" "$F/oldroot" "$F/etc/junk/deeper"
cp /bin/busybox "$F/bin/busybox"
cp "$ROOTLIFT" "$F/bin/rootlift"
ln -s rootlift "$F/bin/switch_root"
echo junk >"$F/etc/junk/a"
echo junk >"$F/etc/junk/deeper/b"
mkfifo "$F/etc/fifo"
# The initramfs's API filesystems, /dev with its submounts.
mount -t proc proc "$F/proc"
mount -t sysfs sysfs "$F/sys"
mount --rbind /dev "$F/dev"
mount -t tmpfs -o mode=755 tmpfs "$F/run"
echo "from the initramfs's /run" >"$F/run/marker"
# NEWROOT: a tmpfs with busybox; its /sys is already mounted.
mount -t tmpfs -o mode=755 tmpfs "$F/newroot"
mkdir -p "$F/newroot/bin" "$F/newroot/proc" "$F/newroot/sys" "$F/newroot/dev" "$F/newroot/run"
cp /bin/busybox "$F/newroot/bin/busybox"
echo "kept" >"$F/newroot/keep"
cat >"$F/newroot/init.sh" <<'INIT'
export PATH=/bin
{INIT_CHECKS}
INIT
mount -t sysfs sysfs "$F/newroot/sys"
# Symlinks into NEWROOT the delete must not follow.
ln -s /newroot "$F/link-to-newroot-dir"
ln -s /newroot/keep "$F/link-to-newroot-file"
ln -s /newroot/bin "$F/etc/junk/deeper/link"
cd "$F"
pivot_root . oldroot
/bin/busybox umount -l /oldroot
exec 9</
export SWITCH_ROOT_MARK=passed-along
exec {switch_cmd} /newroot /bin/busybox sh -eu /init.sh init-arg
"#
    )
}

fn mounts(s: &BTreeMap<String, String>) -> Vec<(String, String)> {
    s["mounts"]
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect()
}

fn assert_switched(s: &BTreeMap<String, String>, stderr: &str) {
    assert_eq!(s["pid"].trim(), "1", "INIT is not PID 1");
    assert_eq!(
        s["argv"].trim_end(),
        "/bin/busybox sh -eu /init.sh init-arg",
        "argv[0] is not INIT as given, or the arguments changed"
    );
    assert_eq!(s["env"].trim(), "passed-along");
    assert_eq!(s["fstype"].trim(), "tmpfs");
    assert_eq!(s["root"].trim(), "bin dev init.sh keep proc run sys");
    let m = mounts(s);
    // /dev is the host's, bound in: its type is the host's.
    for (point, fstype) in [
        ("/", "tmpfs"),
        ("/proc", "proc"),
        ("/sys", "sysfs"),
        ("/dev/pts", "devpts"),
        ("/run", "tmpfs"),
    ] {
        assert!(
            m.iter().any(|(p, t)| p == point && t == fstype),
            "{point} ({fstype}) missing: {m:?}"
        );
    }
    let count = |point: &str| m.iter().filter(|(p, _)| p == point).count();
    for point in ["/", "/proc", "/sys", "/dev", "/run"] {
        assert_eq!(count(point), 1, "{point} mounted more than once: {m:?}");
    }
    assert_eq!(
        s["run"].trim(),
        "from the initramfs's /run",
        "/run was not moved"
    );
    assert_eq!(s["sys"].trim(), "sysfs");
    assert_eq!(s["dev"].trim(), "dev");
    assert_eq!(s["keep"].trim(), "kept", "the delete went into NEWROOT");
    assert!(
        stderr.contains(
            "rootlift: switch-root: /sys: /newroot/sys is already a mount point; \
             detaching the initramfs's /sys instead of moving it"
        ),
        "{stderr}"
    );
}

#[test]
fn root_switch_root_from_a_tmpfs_root_moves_api_filesystems_and_frees_it() {
    require_root();
    let scratch = Scratch::new("swroot-tmpfs");
    let body = switch_body(
        r#"mount -t tmpfs -o mode=755 tmpfs "$F""#,
        "/bin/rootlift switch-root",
    );
    let host_before = host_mountinfo();
    let out = in_ns(Pid::New, &scratch.path, &body);
    let stdout = assert_ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let s = sections(&stdout);
    assert_switched(&s, &stderr);
    // The old root, seen through fd 9: emptied but for the directory
    // NEWROOT was mounted on (another device while the delete ran).
    assert_eq!(s["old-root"].trim(), "newroot", "{stderr}");
    assert!(!stderr.contains("freeing the initramfs"), "{stderr}");
    assert_eq!(host_before, host_mountinfo());
}

#[test]
fn root_switch_root_multicall_name_does_the_same() {
    require_root();
    let scratch = Scratch::new("swroot-multi");
    let body = switch_body(
        r#"mount -t tmpfs -o mode=755 tmpfs "$F""#,
        "/bin/switch_root",
    );
    let out = in_ns(Pid::New, &scratch.path, &body);
    let stdout = assert_ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let s = sections(&stdout);
    assert_switched(&s, &stderr);
    assert_eq!(s["old-root"].trim(), "newroot", "{stderr}");
}

#[test]
fn root_switch_root_from_an_ext4_root_leaves_its_files() {
    require_root();
    let scratch = Scratch::new("swroot-ext4");
    let image = scratch.path.join("fake.img");
    mkfs_ext4(&image, 32, None);
    let lo = Loop::attach(&image);
    let body = switch_body(
        &format!(r#"mount -t ext4 {} "$F""#, lo.dev),
        "/bin/rootlift switch-root",
    );
    let out = in_ns(Pid::New, &scratch.path, &body);
    let stdout = assert_ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let s = sections(&stdout);
    assert_switched(&s, &stderr);
    assert!(
        stderr.contains("rootlift: switch-root: / is not a ramfs or tmpfs (f_type 0xef53)"),
        "{stderr}"
    );
    // Everything is still there (the API directories now empty).
    assert_eq!(
        s["old-root"].trim(),
        "bin dev etc link-to-newroot-dir link-to-newroot-file lost+found newroot oldroot proc run sys"
    );
}
