//! Nothing but the root goes offline: a loop ext4 "system" in a private
//! mount + PID namespace with a tmpfs /tmp holding files, /home on a second
//! loop ext4 with a process holding a file open there (running a program
//! from /home, so it holds nothing of the root), a bind mount of a root
//! directory, an image file of the root loop-mounted, and a swap file on
//! the root. enter, release --kill, return: every mount back as it was
//! (mount point, source, type, options, propagation), the tmpfs's files
//! byte-identical, the /home process alive with the same PID and fd, the
//! parked mounts with their mount IDs. Then the same with release killed
//! (SIGKILL) after each of its park/unmount steps, and `return` after it.

mod common;

use common::system::*;
use common::*;

/// PID 1 runs from /run (a tmpfs that moves with the lift), so it does not
/// pin the old root itself and needs no handoff.
const INIT: &str = "/bin/busybox cp /bin/busybox /run/busybox\n\
                    exec /run/busybox sh -eu -c \"$(/bin/busybox cat /run-body.sh)\"";

/// Sets the system up; `$HOME_DEV` is the second disk.
const SETUP: &str = r#"
export PATH=/bin
B=/run/busybox
# Whatever happens, the swap file is off before this namespace ends: swap
# is global to the host (and the test's SwapOff guard checks again).
# Each test names its own ($SWAP): /proc/swaps lists every namespace's.
trap '$B swapoff $SWAP 2>/dev/null || $B swapoff /oldroot$SWAP 2>/dev/null; true' EXIT
$B mount --make-shared /
$B mount -t tmpfs -o size=8m tmpfs /tmp
echo "written before the lift" >/tmp/note
$B dd if=/dev/urandom of=/tmp/blob bs=1024 count=512 2>/dev/null
$B mkdir -p /home /srv/www /srv/data /mnt/img
$B mount "$HOME_DEV" /home
echo "on /home" >/home/file
$B cp $B /home/busybox
echo "served" >/srv/data/index
$B mount --bind /srv/data /srv/www
$B mount -o loop,ro /var/img.ext4 /mnt/img
$B dd if=/dev/zero of=$SWAP bs=1M count=4 2>/dev/null
$B chmod 600 $SWAP
$B mkswap $SWAP >/dev/null
$B swapon $SWAP
# A process of /home only: its program, cwd and open file are there.
(cd /home && exec /home/busybox sh -c 'exec 3</home/file; exec /home/busybox sleep 1000') &
holder=$!
$B sleep 0.5
# The table as a returned system must show it: mount point, options,
# propagation, type, source (mount IDs are compared where they must stay).
state() {
    $B awk '{ p = "private"
              for (i = 7; $i != "-"; i++) {
                  if ($i ~ /^shared:/) p = "shared"; else if ($i ~ /^master:/) p = "slave"
              }
              print $5, $6, p, $(i + 1), $(i + 2) }' /proc/self/mountinfo | $B sort
}
ids() { $B awk '$5 == "/home" || $5 == "/tmp" { print $1, $5 }' /proc/self/mountinfo; }
"#;

/// The swap files of the two tests, apart: they may run at once.
const SWAP_EXACT: &str = "/swap-exact";
const SWAP_KILL: &str = "/swap-kill";

fn image(scratch: &Scratch) -> (std::path::PathBuf, Vec<u8>) {
    let img = scratch.path.join("img.ext4");
    mkfs_ext4(&img, 8, None);
    let bytes = std::fs::read(&img).unwrap();
    (img, bytes)
}

fn system(scratch: &Scratch, body: &str) -> (std::path::PathBuf, Loop) {
    let (_, img) = image(scratch);
    let body = format!("{SETUP}{body}");
    make_system(
        scratch,
        &[
            ("run-body.sh", body.as_bytes(), 0o644),
            ("var/img.ext4", &img, 0o644),
        ],
    )
}

/// Turns the system's swap file off from outside, in a namespace of its
/// own, should a body have left it on (swap areas outlive namespaces); runs
/// before the system's loop device is detached.
struct SwapOff<'a> {
    dev: &'a str,
    dir: std::path::PathBuf,
    /// The swap file's path on the system's root.
    name: &'a str,
}

impl Drop for SwapOff<'_> {
    fn drop(&mut self) {
        let still_on = std::fs::read_to_string("/proc/swaps")
            .is_ok_and(|t| t.lines().any(|l| l.contains(self.name)));
        if !still_on {
            return;
        }
        let _ = std::fs::create_dir_all(&self.dir);
        let _ = std::process::Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg(r#"mount "$1" "$2" && swapoff "$2$3"; umount "$2""#)
            .args(["sh", self.dev])
            .arg(&self.dir)
            .arg(self.name)
            .status();
    }
}

fn home_disk(scratch: &Scratch) -> Loop {
    let home = scratch.path.join("home.img");
    mkfs_ext4(&home, 16, None);
    Loop::attach(&home)
}

#[test]
fn root_mounts_below_the_root_are_parked_or_recreated_and_come_back_exactly() {
    require_root();
    let scratch = Scratch::new("mounts");
    let body = r#"
echo "== before"; state
echo "== ids-before"; ids
echo "== sums-before"; $B md5sum /tmp/note /tmp/blob
echo "== fd-before"; $B readlink /proc/$holder/fd/3
/bin/rootlift enter >/dev/null
/usr/bin/rootlift plan --json >/tmp/plan.json 2>/dev/null || true
/usr/bin/rootlift release --kill --grace 1s >/dev/null
echo "== released"; $B cat /proc/self/mountinfo
echo "== alive-released"; $B kill -0 $holder && echo alive; $B cat /proc/$holder/fd/3
echo "== swaps-released"; $B cat /proc/swaps
/usr/bin/rootlift return >/dev/null
echo "== after"; state
echo "== ids-after"; ids
echo "== sums-after"; $B md5sum /tmp/note /tmp/blob
echo "== fd-after"; $B kill -0 $holder && echo alive; $B readlink /proc/$holder/fd/3
echo "== swaps-after"; $B cat /proc/swaps
echo "== img-after"; $B ls /mnt/img
echo "== www-after"; $B cat /srv/www/index
echo "== journal"; $B cat /run/rootlift/journal
"#;
    let (_image, lo) = system(&scratch, body);
    let _swap = SwapOff {
        dev: &lo.dev,
        dir: scratch.path.join("swapoff"),
        name: SWAP_EXACT,
    };
    let home = home_disk(&scratch);
    let out = in_ns(
        Pid::New,
        &scratch.path,
        &format!(
            "export HOME_DEV={} SWAP={SWAP_EXACT}\n{}",
            home.dev,
            system_script(&lo.dev, INIT)
        ),
    );
    let stdout = assert_ok(&out);
    let s = sections(&stdout);

    // Released: /home, /tmp parked (same IDs) under /run/rootlift/park;
    // nothing of the root mounted; the /home process alive, its fd live.
    let released = &s["released"];
    let id_of = |table: &str, path: &str| {
        table
            .lines()
            .find(|l| l.split(' ').nth(1) == Some(path))
            .map(|l| l.split(' ').next().unwrap_or("").to_owned())
    };
    let home_id = id_of(&s["ids-before"], "/home").expect("/home mounted before");
    let tmp_id = id_of(&s["ids-before"], "/tmp").expect("/tmp mounted before");
    for (id, what) in [(&home_id, "/home"), (&tmp_id, "/tmp")] {
        assert!(
            released
                .lines()
                .any(|l| l.starts_with(&format!("{id} ")) && l.contains(" /run/rootlift/park/")),
            "{what} (mount {id}) not parked:\n{released}"
        );
    }
    assert!(
        !released.contains(&format!(" - ext4 {} ", lo.dev)),
        "{released}"
    );
    assert!(!released.contains(" /oldroot"), "{released}");
    assert!(
        s["alive-released"].starts_with("alive\non /home\n"),
        "{}",
        s["alive-released"]
    );
    assert!(
        !s["swaps-released"].contains(SWAP_EXACT),
        "{}",
        s["swaps-released"]
    );

    // Returned: the same table (mount point, source, fstype, options,
    // propagation), the same mount IDs for the parked ones, the files.
    assert_eq!(s["before"], s["after"], "mount table differs");
    assert_eq!(
        s["ids-before"], s["ids-after"],
        "parked mounts keep their IDs"
    );
    assert_eq!(s["sums-before"], s["sums-after"]);
    assert_eq!(
        s["fd-after"],
        format!("alive\n{}", s["fd-before"]),
        "the /home process keeps its PID and fd"
    );
    assert!(
        s["swaps-after"].contains(SWAP_EXACT),
        "{}",
        s["swaps-after"]
    );
    assert!(s["img-after"].contains("lost+found"), "{}", s["img-after"]);
    assert_eq!(s["www-after"], "served\n");
    let journal = &s["journal"];
    for needle in [
        "class=independent",
        "class=bind",
        "class=loop",
        "release.park",
        "release.unmount",
        "release.swapoff",
        "return.unpark",
        "return.recreate",
        "return.swapon",
        "return.done",
    ] {
        assert!(journal.contains(needle), "{needle} missing:\n{journal}");
    }
    assert!(!journal.contains("return.mounts-differ"), "{journal}");
}

#[test]
fn root_mounts_come_back_after_release_is_killed_at_any_mount_step() {
    require_root();
    let scratch = Scratch::new("mountkill");
    // swapoff, 4 parks or unmounts of what SETUP made (the loop image, the
    // bind, /tmp, /home): five steps; a sixth kill point is never reached.
    let body = r#"
echo "== before"; state
echo "== sums-before"; $B md5sum /tmp/note /tmp/blob
for n in 1 2 3 4 5; do
    /bin/rootlift enter >/dev/null
    rc=0
    ROOTLIFT_TEST_KILL_AT=release-mount:$n /usr/bin/rootlift release --kill --grace 1s >/dev/null 2>&1 || rc=$?
    echo "== rc-$n"; echo $rc
    /usr/bin/rootlift return >/dev/null
    echo "== after-$n"; state
    echo "== sums-$n"; $B md5sum /tmp/note /tmp/blob
    echo "== alive-$n"; $B kill -0 $holder && echo alive
    echo "== swaps-$n"; $B grep -c "^$SWAP " /proc/swaps || true
done
"#;
    let (_image, lo) = system(&scratch, body);
    let _swap = SwapOff {
        dev: &lo.dev,
        dir: scratch.path.join("swapoff"),
        name: SWAP_KILL,
    };
    let home = home_disk(&scratch);
    let out = in_ns(
        Pid::New,
        &scratch.path,
        &format!(
            "export HOME_DEV={} SWAP={SWAP_KILL}\n{}",
            home.dev,
            system_script(&lo.dev, INIT)
        ),
    );
    let stdout = assert_ok(&out);
    let s = sections(&stdout);
    for n in 1..=5 {
        // SIGKILL: the shell reports 128 + 9.
        assert_eq!(s[&format!("rc-{n}")], "137\n", "kill point {n} was reached");
        assert_eq!(
            s["before"],
            s[&format!("after-{n}")],
            "kill point {n}: mount table not restored"
        );
        assert_eq!(s["sums-before"], s[&format!("sums-{n}")], "kill point {n}");
        assert_eq!(s[&format!("alive-{n}")], "alive\n", "kill point {n}");
        assert_eq!(s[&format!("swaps-{n}")], "1\n", "kill point {n}: swap file");
    }
}
