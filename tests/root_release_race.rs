//! release against a holder that keeps starting children: a shell with a
//! file of the old root open on fd 3 starts a `sleep 2` every 10 ms, each
//! inheriting that fd. Children born after release's scan, before the
//! shell is stopped, outlive it holding the file; release must scan again
//! and stop them too, or the device is still busy when it proves it free.
//! Three enter / release --kill / return cycles in a private mount + PID
//! namespace (the VM demo's logger, which starts a `sleep 1` every second,
//! lost this race about one run in three).

mod common;

use common::system::*;
use common::*;

/// PID 1 runs from /run, so it does not pin the old root itself.
const INIT: &str = "/bin/busybox cp /bin/busybox /run/busybox\n\
                    exec /run/busybox sh -eu -c \"$(/bin/busybox cat /run-body.sh)\"";

const BODY: &str = r#"
export PATH=/bin
/run/busybox mount --make-shared /
mkdir -p /data
for cycle in 1 2 3; do
    /run/busybox sh -c 'exec 3>>/data/log; while :; do /run/busybox sleep 2 & /run/busybox sleep 0.01; done' &
    spawner=$!
    /run/busybox sleep 0.5
    /bin/rootlift enter >/dev/null
    rc=0; /usr/bin/rootlift release --kill --grace 1s >/run/release.out 2>&1 || rc=$?
    echo "cycle $cycle release rc=$rc"
    [ "$rc" = 0 ] || /run/busybox cat /run/release.out
    # The journal keeps every cycle: this one's is the last release.free.
    echo "stopped lines so far $(/run/busybox grep -c 'release.stopped' /run/rootlift/journal)"
    /run/busybox grep 'release.free' /run/rootlift/journal | /run/busybox tail -n1 | /run/busybox sed 's/^/free: /'
    /run/busybox kill -0 $spawner 2>/dev/null && echo "spawner alive"
    /usr/bin/rootlift return >/dev/null
    echo "cycle $cycle returned"
done
"#;

#[test]
fn root_release_stops_children_born_after_its_scan() {
    require_root();
    let scratch = Scratch::new("release-race");
    let (_image, lo) = make_system(&scratch, &[("run-body.sh", BODY.as_bytes(), 0o644)]);
    let out = in_ns(Pid::New, &scratch.path, &system_script(&lo.dev, INIT));
    let stdout = assert_ok(&out);
    for cycle in 1..=3 {
        assert!(
            stdout.contains(&format!("cycle {cycle} release rc=0")),
            "cycle {cycle}: release failed\n{stdout}"
        );
        assert!(
            stdout.contains(&format!("cycle {cycle} returned")),
            "{stdout}"
        );
    }
    let free: Vec<&str> = stdout.lines().filter(|l| l.starts_with("free: ")).collect();
    assert_eq!(free.len(), 3, "{stdout}");
    assert!(
        free.iter().all(|l| l.contains("o_excl=ok")),
        "the device was not free every time\n{stdout}"
    );
    eprintln!("{stdout}");
    assert!(!stdout.contains("spawner alive"), "{stdout}");
}
