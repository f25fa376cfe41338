//! The bad-input table (README.md, "Reliability"), root tier: the rows that need a system
//! to lift or a root device to shrink. Each row is a loop ext4 "system"
//! (common/system.rs) in a private mount + PID namespace, whose PID 1 runs
//! from /run as in root_release.rs (so it does not pin the root), and
//! asserts the exit code of docs/commands.md (2 usage, 3 refused, 1 failed), a
//! `rootlift: error: ` message naming the problem, and that nothing changed:
//! the namespace's mount table, no /run/rootlift/root left, the device's
//! bytes (read-only first, as in root_shrink.rs: a mounted journaled fs
//! writes by itself), no process killed.
//!
//! Rows covered elsewhere, not repeated here:
//! - release while holders remain, without --kill (exit 3, nothing
//!   killed): root_release.rs;
//! - a shrink of an xfs root (3) and of an ext4 with the errors flag (3):
//!   root_shrink.rs;
//! - the rows that need no root (the command line, SIZE syntax, not root,
//!   dm, the ext4 reports of a bad checksum and of needs_recovery):
//!   bad_input.rs.

mod common;

use std::collections::BTreeMap;

use common::system::*;
use common::*;

type Sections = BTreeMap<String, String>;

/// PID 1 runs from /run (a tmpfs that moves with the lift), so it does not
/// pin the old root itself and needs no handoff.
const INIT: &str = "/bin/busybox cp /bin/busybox /run/busybox\n\
                    exec /run/busybox sh -eu -c \"$(/bin/busybox cat /run-body.sh)\"";

/// The shrink kit a job brings, present on the system as on a host.
const KIT: [&str; 2] = ["/usr/sbin/e2fsck", "/usr/sbin/resize2fs"];

/// The start of every body. `/` and `/run` shared as systemd has them.
/// `try NAME CMD...` runs CMD (stdin /dev/null) and prints `== NAME` with
/// `rc=N` and its stderr, then `== NAME.out` with its stdout. `save` keeps
/// the mount table; `same NAME` prints under `== NAME` whether the table
/// is the saved one, whether /run/rootlift/root exists, and whether
/// /run/rootlift does.
const PRELUDE: &str = r#"
export PATH=/bin
mount --make-shared /
mount --make-shared /run
try() {
    name=$1; shift
    rc=0; "$@" </dev/null >/run/try.out 2>/run/try.err || rc=$?
    echo "== $name"; echo "rc=$rc"; cat /run/try.err
    echo "== $name.out"; cat /run/try.out
}
# Peer group numbers come from one pool for the whole machine (other tests'
# namespaces take from it too): the propagation kind is compared, not them.
mounts() { sed "s/shared:[0-9]*/shared/; s/master:[0-9]*/master/" /proc/self/mountinfo; }
save() { mounts >/run/mounts.saved; }
same() {
    echo "== $1"
    mounts >/run/mounts.now
    if cmp -s /run/mounts.now /run/mounts.saved; then
        echo "mounts: unchanged"
    else
        echo "mounts: CHANGED"; diff /run/mounts.saved /run/mounts.now || true
    fi
    if [ -e /run/rootlift/root ] || [ -L /run/rootlift/root ]; then
        echo "tmpfs dir: left"
    else
        echo "tmpfs dir: none"
    fi
    if [ -e /run/rootlift ]; then echo "run dir: made"; else echo "run dir: none"; fi
}
"#;

/// Builds a system holding `body` (after the prelude) and `programs`,
/// runs it, and returns the body's sections.
fn system(tag: &str, programs: &[&str], body: &str) -> Sections {
    require_root();
    let scratch = Scratch::new(tag);
    // Never end on a rootlift command: busybox sh execs the last command
    // of `-c` in place, and rootlift would become PID 1 (return then takes
    // a PID 1 running from the tmpfs for the init stub).
    let script = format!("{PRELUDE}{body}\necho '== end'\n");
    let (_image, lo) = make_system_with(
        &scratch,
        &[("run-body.sh", script.as_bytes(), 0o644)],
        programs,
    );
    let out = in_ns(Pid::New, &scratch.path, &system_script(&lo.dev, INIT));
    sections(&assert_ok(&out))
}

fn section<'a>(s: &'a Sections, name: &str) -> &'a str {
    s.get(name)
        .map(String::as_str)
        .unwrap_or_else(|| panic!("no section {name:?} in {s:#?}"))
}

/// Asserts the `try` section `name`: exit `code`, and a first stderr line
/// `rootlift: error: ...` containing every one of `names`.
fn assert_error(s: &Sections, name: &str, code: i32, names: &[&str]) {
    let sec = section(s, name);
    let mut lines = sec.lines();
    assert_eq!(
        lines.next(),
        Some(format!("rc={code}").as_str()),
        "{name}: {sec}"
    );
    let err = lines.next().unwrap_or("");
    assert!(
        err.starts_with("rootlift: error: "),
        "{name}: no error line: {sec}"
    );
    for n in names {
        assert!(err.contains(n), "{name}: {n:?} not named: {sec}");
    }
}

/// Asserts the `same` section `name`: the mount table is the saved one and
/// no /run/rootlift/root is left.
fn assert_unchanged(s: &Sections, name: &str) {
    let sec = section(s, name);
    assert!(sec.contains("mounts: unchanged"), "{name}: {sec}");
    assert!(sec.contains("tmpfs dir: none"), "{name}: {sec}");
}

// ------------------------------------------------------------- preflight

/// Shared PID namespace: PID 1 is the host's init, in another mount
/// namespace, so enter and every job refuse. (root_lift.rs has the enter
/// half; here the jobs too.) The jobs get no --yes and stdin /dev/null:
/// should the check ever break, they stop at the question, "not
/// confirmed", and this row fails on the message, never lifting anything.
#[test]
fn root_bad_input_not_in_pid1_mount_namespace() {
    require_root();
    let scratch = Scratch::new("badns");
    let out = in_ns(
        Pid::Shared,
        &scratch.path,
        r#"
try() {
    name=$1; shift
    rc=0; "$@" </dev/null >"$T/out" 2>"$T/err" || rc=$?
    echo "== $name"; echo "rc=$rc"; cat "$T/err"
}
rundir() { if [ -e /run/rootlift ]; then echo made; else echo none; fi; }
before=$(cat /proc/self/mountinfo); rd=$(rundir)
try enter "$ROOTLIFT" enter
try shrink "$ROOTLIFT" shrink 40M
try fsck "$ROOTLIFT" fsck
try run "$ROOTLIFT" run -- /bin/true
echo "== after"
[ "$before" = "$(cat /proc/self/mountinfo)" ] && echo "mounts: unchanged" || echo "mounts: CHANGED"
[ "$rd" = "$(rundir)" ] && echo "run dir: as before" || echo "run dir: CHANGED"
"#,
    );
    let s = sections(&assert_ok(&out));
    for cmd in ["enter", "shrink", "fsck", "run"] {
        assert_error(&s, cmd, 3, &["not in PID 1's mount namespace"]);
    }
    assert!(s["after"].contains("mounts: unchanged"), "{}", s["after"]);
    assert!(s["after"].contains("run dir: as before"), "{}", s["after"]);
}

/// The initramfs's rootfs cannot be put under a test as its root: it is
/// the bottom mount of the namespace, under the real root, and no path
/// reaches it. What enter checks is the mount at / in mountinfo (type
/// rootfs or ramfs, or source "rootfs"), so the row gives the system a
/// ramfs root named "rootfs", as an initramfs's / shows; enter and shrink
/// refuse. The real rootfs is PID 1's root in the VM tier's initramfs
/// (tests/vm/scenarios/switch_root.sh), which is where a lift from it
/// could be tried.
#[test]
fn root_bad_input_root_is_the_initramfs() {
    require_root();
    let scratch = Scratch::new("badinitramfs");
    let init = format!(
        "exec /bin/busybox sh -eu -c '{}'",
        format!(
            r#"{PRELUDE}
echo "== root"; head -1 /proc/self/mountinfo
save
try enter /bin/rootlift enter
try shrink /bin/rootlift shrink 1M --yes
same after
"#
        )
        .replace('\'', r#"'\''"#)
    );
    let body = format!(
        r#"
X="$T/ramroot"
mkdir -p "$X"
mount -t ramfs rootfs "$X"
mkdir -p "$X/bin" "$X/proc" "$X/sys" "$X/dev" "$X/run" "$X/host"
cp /bin/busybox "$ROOTLIFT" "$X/bin/"
mount -t proc proc "$X/proc"
mount -t sysfs sysfs "$X/sys"
mount --rbind /dev "$X/dev"
mount -t tmpfs -o mode=755 tmpfs "$X/run"
cd "$X"
pivot_root . host
/bin/busybox umount -l /host
{init}
"#
    );
    let out = in_ns(Pid::New, &scratch.path, &body);
    let s = sections(&assert_ok(&out));
    assert!(s["root"].contains(" / / ") && s["root"].contains(" - ramfs rootfs "));
    for cmd in ["enter", "shrink"] {
        assert_error(
            &s,
            cmd,
            3,
            &["the root is the initramfs rootfs", "switch-root"],
        );
    }
    assert_unchanged(&s, "after");
    assert!(s["after"].contains("run dir: none"), "{}", s["after"]);
}

#[test]
fn root_bad_input_no_ram_for_the_tmpfs() {
    let s = system(
        "badram",
        &[],
        r#"
save
try enter /bin/rootlift enter --size 100T
same after
"#,
    );
    assert_error(&s, "enter", 3, &["not enough RAM for the tmpfs"]);
    assert_unchanged(&s, "after");
    assert!(s["after"].contains("run dir: none"), "{}", s["after"]);
}

// ---------------------------------------------------------------- shrink

/// A shrink body: the root read-only (no more writes of its own), then
/// `setup`, then `rootlift shrink ARGS --yes`; the device's bytes compared.
fn shrink_row(tag: &str, setup: &str, args: &str) -> Sections {
    system(
        tag,
        &KIT,
        &format!(
            r#"
dev=$(awk '$2 == "/" {{ print $1 }}' /proc/self/mounts)
sum() {{ md5sum "$dev" | cut -d' ' -f1; }}
mount -o remount,ro /
{setup}
save
before=$(sum)
try shrink /bin/rootlift shrink {args} --yes
same after
if [ "$(sum)" = "$before" ]; then echo "device: unchanged"; else echo "device: CHANGED"; fi
"#
        ),
    )
}

fn assert_shrink_changed_nothing(s: &Sections) {
    assert_unchanged(s, "after");
    assert!(s["after"].contains("device: unchanged"), "{}", s["after"]);
    assert!(
        s["after"].contains("run dir: none"),
        "journaled: {}",
        s["after"]
    );
}

#[test]
fn root_bad_input_shrink_above_the_device() {
    let s = shrink_row("badabove", "", "1G");
    assert_error(&s, "shrink", 3, &["1.0 GiB is larger than the device"]);
    assert_shrink_changed_nothing(&s);
}

#[test]
fn root_bad_input_shrink_not_below_the_filesystem() {
    let s = shrink_row("badsame", "", "64M");
    assert_error(
        &s,
        "shrink",
        3,
        &["64.0 MiB is not smaller than the filesystem"],
    );
    assert_shrink_changed_nothing(&s);
}

#[test]
fn root_bad_input_shrink_below_the_floor() {
    let s = shrink_row("badfloor", "", "1M");
    assert_error(&s, "shrink", 3, &["1.0 MiB is below the shrink floor"]);
    assert_shrink_changed_nothing(&s);
}

#[test]
fn root_bad_input_shrink_device_that_is_not_the_root() {
    let s = shrink_row("baddevnull", "", "40M --device /dev/null");
    assert_error(&s, "shrink", 3, &["/dev/null is not the root device"]);
    assert_shrink_changed_nothing(&s);
}

/// A --device that does not exist: stat(2) fails, exit 1 with ENOENT.
#[test]
fn root_bad_input_shrink_device_that_does_not_exist() {
    let s = shrink_row("baddevmissing", "", "40M --device /dev/nosuchdisk");
    assert_error(&s, "shrink", 1, &["/dev/nosuchdisk", "ENOENT"]);
    assert_shrink_changed_nothing(&s);
}

/// metadata_csum root with one superblock byte changed on the mounted,
/// read-only device (the label, which the kernel no longer reads; the
/// write goes through the device's page cache, where rootlift reads it).
/// docs/design.md "Safety rules": a superblock that is not sane is a refusal (3).
/// Observed: exit 1, "ext4 superblock /dev/loopN: superblock checksum
/// mismatch: stored 0x..., computed 0x..." (nothing changed): facts::read
/// uses ext4::read_superblock, which fails on the mismatch, so the
/// `checksum_ok` refusal in job/live.rs shrink is never reached.
#[test]
fn root_bad_input_shrink_with_a_bad_superblock_checksum() {
    let s = shrink_row(
        "badcsum",
        r#"printf U | dd of="$dev" bs=1 seek=1144 conv=notrunc 2>/dev/null
echo "== ext4"; /bin/rootlift ext4 --json "$dev"; echo"#,
        "40M",
    );
    assert!(s["ext4"].contains(r#""checksum":"bad""#), "{}", s["ext4"]);
    assert_error(&s, "shrink", 3, &["checksum"]);
    assert_shrink_changed_nothing(&s);
}

/// Needs device-mapper and LVM (the VM tier, or a root-tier host with
/// dm-mod): two loop PVs, an LV spanning both, then a snapshot of it; the
/// system lives on the LV. docs/design.md "Safety rules": a shrink must prove it can
/// act safely. An origin with snapshots (dm table `snapshot-origin`) is
/// refused before the lift (src/job/live.rs), since lvm cannot reduce it
/// and resize2fs would already have run; an LV over several PVs is not
/// refused: lvreduce frees extents from its end, wherever they are. Not
/// run on this host (no device-mapper); the VM scenario `jobs` makes a
/// real snapshot and checks the refusal.
#[test]
#[ignore = "needs device-mapper, absent from this host's kernel: the snapshot refusal is proven in the VM scenario tests/vm/scenarios/jobs.sh"]
fn root_bad_input_shrink_lv_with_snapshot_or_on_several_pvs() {
    require_root();
    let dm = std::process::Command::new(rootlift())
        .args(["dm", "version"])
        .output()
        .expect("spawn rootlift dm version");
    assert!(
        dm.status.success(),
        "this row needs device-mapper (dm-mod): {}",
        String::from_utf8_lossy(&dm.stderr)
    );
    let scratch = Scratch::new("badlv");
    // The system's files (the image make_system_with makes is not used).
    let (_image, _unused) = make_system_with(
        &scratch,
        &[(
            "run-body.sh",
            format!(
                "{PRELUDE}\nmount -o remount,ro /\nsave\n\
                 try shrink /bin/rootlift shrink 60M --yes\n\
                 same after\necho '== end'\n"
            )
            .as_bytes(),
            0o644,
        )],
        &["/usr/sbin/e2fsck", "/usr/sbin/resize2fs", "/usr/sbin/lvm"],
    );
    let pvs: Vec<std::path::PathBuf> = (0..2)
        .map(|i| {
            let p = scratch.path.join(format!("pv{i}.img"));
            std::fs::File::create(&p)
                .and_then(|f| f.set_len(64 << 20))
                .expect("create a PV image");
            p
        })
        .collect();
    let loops: Vec<Loop> = pvs.iter().map(|p| Loop::attach(p)).collect();
    let vg = Vg("badlv");
    let make = format!(
        r#"
lvm() {{ /usr/sbin/lvm "$@" {config}; }}
lvm pvcreate -ff -y {a} {b}
lvm vgcreate badlv {a} {b}
lvm lvcreate -y -n root -L 100M badlv
/usr/sbin/mkfs.ext4 -q -F -b 4096 -d "$T/content" /dev/mapper/badlv-root
lvm lvcreate -y -s -n snap -L 8M badlv/root
"#,
        config = Vg::CONFIG,
        a = loops[0].dev,
        b = loops[1].dev
    );
    let out = in_ns(
        Pid::New,
        &scratch.path,
        &format!("{make}{}", system_script("/dev/mapper/badlv-root", INIT)),
    );
    let s = sections(&assert_ok(&out));
    drop(vg);
    // The LV spans both PVs and has a snapshot: refused before anything.
    assert_error(&s, "shrink", 3, &[]);
    let why = section(&s, "shrink").to_lowercase();
    assert!(why.contains("snapshot") || why.contains("pv"), "{why}");
    assert_unchanged(&s, "after");
}

/// Removes the test VG (and so its dm devices) before the loops detach.
struct Vg(&'static str);

impl Vg {
    /// LVM on the loop devices only, without udev and without metadata
    /// backups written into the host's /etc/lvm.
    const CONFIG: &'static str = "--config 'devices { obtain_device_list_from_udev=0 filter=[\"a|^/dev/loop|\",\"r|.*|\"] } activation { udev_sync=0 udev_rules=0 } backup { backup=0 archive=0 }'";
}

impl Drop for Vg {
    fn drop(&mut self) {
        let _ = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "/usr/sbin/lvm vgremove -ff -y {} {}",
                self.0,
                Vg::CONFIG
            ))
            .status();
    }
}

// ----------------------------------------------------------------- enter

#[test]
fn root_bad_input_enter_bring_a_missing_program() {
    let s = system(
        "badbringmissing",
        &[],
        r#"
save
try bring /bin/rootlift enter --bring /nonexistent
same after
"#,
    );
    assert_error(&s, "bring", 3, &["cannot bring /nonexistent", "ENOENT"]);
    assert_unchanged(&s, "after");
    assert!(s["after"].contains("run dir: none"), "{}", s["after"]);
}

#[test]
fn root_bad_input_enter_bring_a_file_that_is_not_elf() {
    let s = system(
        "badbringtext",
        &[],
        r#"
mkdir -p /etc && echo 'root:x:0:0:root:/root:/bin/sh' >/etc/passwd
save
try bring /bin/rootlift enter --bring /etc/passwd
same after
"#,
    );
    assert_error(&s, "bring", 3, &["cannot bring /etc/passwd", "not an elf"]);
    assert_unchanged(&s, "after");
    assert!(s["after"].contains("run dir: none"), "{}", s["after"]);
}

#[test]
fn root_bad_input_enter_twice() {
    let s = system(
        "badtwice",
        &[],
        r#"
/bin/rootlift enter >/dev/null
save
try twice /usr/bin/rootlift enter
same after
/usr/bin/rootlift return >/dev/null
echo "== returned"
"#,
    );
    assert_error(&s, "twice", 3, &["already"]);
    assert!(s["after"].contains("mounts: unchanged"), "{}", s["after"]);
}

/// /run/rootlift planted as a symlink to another directory: enter refuses
/// before it writes anything, and the directory pointed to is untouched.
#[test]
fn root_bad_input_run_dir_is_a_symlink() {
    let s = system(
        "badrundirlink",
        &[],
        r#"
mkdir -p /run/elsewhere && echo keep >/run/elsewhere/file
ln -s /run/elsewhere /run/rootlift
save
try enter /bin/rootlift enter
same after
echo "== target"; ls -a /run/elsewhere; cat /run/elsewhere/file || true
"#,
    );
    assert_error(&s, "enter", 3, &["/run/rootlift is not a directory"]);
    assert_unchanged(&s, "after");
    assert_eq!(s["target"], ".\n..\nfile\nkeep\n");
}

#[test]
fn root_bad_input_run_dir_open_to_others() {
    let s = system(
        "badrundirmode",
        &[],
        r#"
mkdir -m 755 /run/rootlift
save
try enter /bin/rootlift enter
same after
echo "== dir"; ls -a /run/rootlift
"#,
    );
    assert_error(
        &s,
        "enter",
        3,
        &["/run/rootlift must be root-owned and mode 0700", "755"],
    );
    assert_unchanged(&s, "after");
    assert_eq!(s["dir"], ".\n..\n", "enter wrote into it");
}

/// /run/rootlift/root planted as a symlink (by root: its parent is 0700):
/// enter must not mount the tmpfs through it.
/// Observed: mkdir gives EEXIST, which enter takes for its directory;
/// mount(2) follows the symlink and mounts the tmpfs on /run/elsewhere;
/// the layout step's O_NOFOLLOW open fails (ENOTDIR); the way back only
/// unmounts a tmpfs at /run/rootlift/root itself, so the tmpfs stays on
/// /run/elsewhere, rmdir of the symlink fails (ENOTDIR), exit 1 with
/// "rmdir /run/rootlift/root: ENOTDIR", the propagation of / and /run is
/// not restored, and the journal ends in failed:return-rmdir-tmpfs.
#[test]
fn root_bad_input_tmpfs_dir_is_a_symlink() {
    let s = system(
        "badnewrootlink",
        &[],
        r#"
mkdir -m 700 /run/rootlift
mkdir -p /run/elsewhere && echo keep >/run/elsewhere/file
ln -s /run/elsewhere /run/rootlift/root
save
try enter /bin/rootlift enter
same after
echo "== target"; ls -a /run/elsewhere; cat /run/elsewhere/file || true
"#,
    );
    let code = if section(&s, "enter").starts_with("rc=3") {
        3
    } else {
        1
    };
    assert_error(&s, "enter", code, &["/run/rootlift/root"]);
    assert!(s["after"].contains("mounts: unchanged"), "{}", s["after"]);
    assert_eq!(s["target"], ".\n..\nfile\nkeep\n");
}

/// /run/rootlift/journal planted as a symlink: the journal is opened with
/// O_NOFOLLOW, so enter fails (ELOOP) before it changes anything, and the
/// file pointed to stays empty.
#[test]
fn root_bad_input_journal_is_a_symlink() {
    let s = system(
        "badjournallink",
        &[],
        r#"
mkdir -m 700 /run/rootlift
mkdir -p /run/elsewhere && : >/run/elsewhere/journal
ln -s /run/elsewhere/journal /run/rootlift/journal
save
try enter /bin/rootlift enter
same after
echo "== target"; wc -c </run/elsewhere/journal
"#,
    );
    assert_error(&s, "enter", 1, &["/run/rootlift/journal", "ELOOP"]);
    assert_unchanged(&s, "after");
    assert_eq!(s["target"].trim(), "0");
}

// ------------------------------------------------------ release / return

#[test]
fn root_bad_input_return_without_enter() {
    let s = system(
        "badreturn",
        &[],
        r#"
save
try return /bin/rootlift return
same after
"#,
    );
    assert_error(&s, "return", 3, &["nothing to return"]);
    assert_unchanged(&s, "after");
    assert!(s["after"].contains("run dir: none"), "{}", s["after"]);
}

/// Even with --kill: without a lift, release signals nobody. The holders
/// are a program run from the root and an open fd on it.
#[test]
fn root_bad_input_release_without_enter() {
    let s = system(
        "badrelease",
        &[],
        r#"
/bin/busybox sleep 1000 &
exe=$!
/run/busybox sh -c 'exec 3</hello; exec /run/busybox sleep 1000' &
fd=$!
sleep 0.3
save
try release /bin/rootlift release --kill --grace 1s
same after
for p in $exe $fd; do kill -0 $p && echo "alive $p"; done
"#,
    );
    assert_error(&s, "release", 3, &["not lifted", "rootlift enter"]);
    assert_unchanged(&s, "after");
    let alive = s["after"]
        .lines()
        .filter(|l| l.starts_with("alive "))
        .count();
    assert_eq!(alive, 2, "a process was killed: {}", s["after"]);
}

// ---------------------------------------------------------------- journal

/// A line of garbage appended to the journal of a lifted system: status
/// and return fail (1) naming the journal and the line, and change
/// nothing; with the line gone, return works.
#[test]
fn root_bad_input_journal_corrupt_while_lifted() {
    let s = system(
        "badjournal",
        &[],
        r#"
save
echo "== before"; cat /proc/self/mountinfo
/bin/rootlift enter >/dev/null
echo "== line"; echo $(($(wc -l </run/rootlift/journal) + 1))
echo 'garbage that is no journal line' >>/run/rootlift/journal
cat /proc/self/mountinfo >/run/mounts.lifted
try status /usr/bin/rootlift status
try return /usr/bin/rootlift return
echo "== lifted"
cmp -s /proc/self/mountinfo /run/mounts.lifted && echo "mounts: unchanged"
sed -i '$d' /run/rootlift/journal
try repaired /usr/bin/rootlift return
echo "== after"; cat /proc/self/mountinfo
"#,
    );
    let line = format!("line {}", s["line"].trim());
    for cmd in ["status", "return"] {
        assert_error(&s, cmd, 1, &["journal /run/rootlift/journal", &line]);
    }
    assert!(s["lifted"].contains("mounts: unchanged"), "{}", s["lifted"]);
    assert!(
        section(&s, "repaired").starts_with("rc=0"),
        "{}",
        s["repaired"]
    );
    assert_eq!(normalize(&s["before"]), normalize(&s["after"]));
}

/// A corrupt journal before any lift: enter fails (1) naming it, before
/// it changes anything.
#[test]
fn root_bad_input_journal_corrupt_before_enter() {
    let s = system(
        "badjournalidle",
        &[],
        r#"
mkdir -m 700 /run/rootlift
echo 'garbage that is no journal line' >/run/rootlift/journal
save
try enter /bin/rootlift enter
same after
"#,
    );
    assert_error(&s, "enter", 1, &["journal /run/rootlift/journal", "line 1"]);
    assert_unchanged(&s, "after");
}

/// The last line cut mid-way (a write cut short) is ignored: status reads
/// the journal, return works.
#[test]
fn root_bad_input_journal_last_line_cut() {
    let s = system(
        "badjournalcut",
        &[],
        r#"
save
/bin/rootlift enter >/dev/null
printf '1700000000 ente' >>/run/rootlift/journal
try status /usr/bin/rootlift status
try return /usr/bin/rootlift return
same after
"#,
    );
    let status = section(&s, "status");
    assert!(status.starts_with("rc=0"), "{status}");
    assert!(
        s["status.out"].contains("stage: entered"),
        "{}",
        s["status.out"]
    );
    assert!(section(&s, "return").starts_with("rc=0"), "{}", s["return"]);
    assert_unchanged(&s, "after");
}

/// After a cut last line, the next event must still land on a line of its
/// own. Observed: Journal::log appends right after the cut bytes, so
/// "1700000000 ente" + "<time> returning return.begin ..." becomes one
/// line with the stage "ente<time>"; return itself succeeds (exit 0), but
/// from then on status (and enter, release, return, abort) exit 1 with
/// "journal /run/rootlift/journal: line N: unknown stage".
#[test]
fn root_bad_input_journal_last_line_cut_then_appended() {
    let s = system(
        "badjournalcut2",
        &[],
        r#"
/bin/rootlift enter >/dev/null
printf '1700000000 ente' >>/run/rootlift/journal
try return /usr/bin/rootlift return
try status /bin/rootlift status
"#,
    );
    assert!(section(&s, "return").starts_with("rc=0"), "{}", s["return"]);
    let status = section(&s, "status");
    assert!(status.starts_with("rc=0"), "{status}");
    assert!(
        s["status.out"].contains("stage: returned"),
        "{}",
        s["status.out"]
    );
}
