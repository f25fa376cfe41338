//! release on a loop ext4 "system" in a private mount + PID namespace:
//! crafted holders (an open fd, a cwd, a program run from the fs, a chroot)
//! are found; without --kill release exits 3 and kills nothing; with --kill
//! they are stopped, everything under /oldroot is unmounted, and the loop
//! device then opens with O_EXCL; return brings the root back.

mod common;

use common::system::*;
use common::*;

/// PID 1 runs from /run (a tmpfs that moves with the lift), so it does not
/// pin the old root itself and needs no handoff.
const INIT: &str = "/bin/busybox cp /bin/busybox /run/busybox\n\
                    exec /run/busybox sh -eu -c \"$(/bin/busybox cat /run-body.sh)\"";

const BODY: &str = r#"
export PATH=/bin
/run/busybox mount --make-shared /
mkdir -p /data && echo kept >/data/file
# Holders: an open fd, a cwd, a program run from the fs, a chroot.
/run/busybox sh -c 'exec 3</data/file; exec /run/busybox sleep 1000' &
fd=$!
(cd /data && exec /run/busybox sleep 1000) &
cwd=$!
/bin/busybox sleep 1000 &
exe=$!
mkdir -p /data/jail && cp /run/busybox /data/jail/busybox
/run/busybox chroot /data/jail /busybox sleep 1000 &
chroot=$!
/run/busybox sleep 0.5
/bin/rootlift enter >/dev/null
echo "== holders"
/usr/bin/rootlift holders --json
echo "== without-kill"
rc=0; /usr/bin/rootlift release 2>&1 || rc=$?
echo "rc=$rc"
for p in $fd $cwd $exe $chroot; do /run/busybox kill -0 $p && echo "alive $p"; done
echo "== with-kill"
/usr/bin/rootlift release --kill --grace 1s
for p in $fd $cwd $exe $chroot; do
    s=$(/run/busybox sed 's/.*) //' /proc/$p/stat 2>/dev/null | /run/busybox cut -c1)
    [ -z "$s" ] || [ "$s" = Z ] || echo "survivor $p"
done
/run/busybox grep -c ' /oldroot' /proc/self/mountinfo || true
echo "== excl"
/run/busybox grep 'release.free' /run/rootlift/journal
echo "== return"
/usr/bin/rootlift return
/run/busybox cat /data/file
"#;

#[test]
fn root_release_stops_holders_only_with_kill_and_frees_the_device() {
    require_root();
    let scratch = Scratch::new("release");
    let (_image, lo) = make_system(&scratch, &[("run-body.sh", BODY.as_bytes(), 0o644)]);
    let out = in_ns(Pid::New, &scratch.path, &system_script(&lo.dev, INIT));
    let stdout = assert_ok(&out);
    let s = sections(&stdout);
    let pids: Vec<String> = s["without-kill"]
        .lines()
        .filter_map(|l| l.strip_prefix("alive "))
        .map(str::to_owned)
        .collect();

    // Every crafted holder is found, each with its own way of holding.
    let holders = &s["holders"];
    for kind in [
        r#""kind":"fd""#,
        r#""kind":"cwd""#,
        r#""kind":"exe""#,
        r#""kind":"root""#,
    ] {
        assert!(holders.contains(kind), "{kind} missing: {holders}");
    }
    // Without --kill: exit 3, the holders named, all of them alive.
    let without = &s["without-kill"];
    assert!(without.contains("rc=3"), "{without}");
    assert!(without.contains("--kill was not given"), "{without}");
    assert_eq!(pids.len(), 4, "{without}");
    for p in &pids {
        assert!(
            holders.contains(&format!(r#""pid":{p},"#)),
            "holder {p} not listed: {holders}"
        );
    }
    // With --kill: none survives, nothing is mounted under /oldroot, and
    // the loop device opened with O_EXCL.
    let with = &s["with-kill"];
    assert!(!with.contains("survivor"), "{with}");
    assert!(with.contains("released:"), "{with}");
    assert_eq!(
        with.lines().last(),
        Some("0"),
        "mounts left under /oldroot: {with}"
    );
    assert!(s["excl"].contains("o_excl=ok"), "{}", s["excl"]);
    assert!(s["return"].contains("returned:"), "{}", s["return"]);
    assert!(s["return"].contains("kept"), "{}", s["return"]);
}
