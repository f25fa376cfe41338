//! The worker of a live shrink SIGKILLed after each step of release and of
//! the job (fault injection, `ROOTLIFT_TEST_KILL_AT=SEQUENCE:STEP`), on a
//! loop ext4 "system" in a private mount + PID namespace; each time
//! `rootlift return` brings the system back: the root mounted again, the
//! files unchanged, and the filesystem either fully shrunk or, when the
//! kill came after resize2fs began, repaired and grown back to fill its
//! device (e2fsck -f -n clean). Also: the worker runs in a session of its
//! own, and an abort during the dead-man wait is told apart from the
//! timer running out.

mod common;

use common::system::*;
use common::*;

/// PID 1 runs from /run so it does not pin the root (no handoff needed).
const INIT: &str = "/bin/busybox cp /bin/busybox /run/busybox\n\
                    exec /run/busybox sh -eu -c \"$(/bin/busybox cat /run-body.sh)\"";

/// The shrink kit the job brings, present on the system as on a host.
const KIT: [&str; 2] = ["/usr/sbin/e2fsck", "/usr/sbin/resize2fs"];

/// Every step the worker passes through, as fault injection names them.
const STEPS: [&str; 9] = [
    "release:holders",
    "release:handoff",
    "release:stop",
    "release:mounts",
    "release:free",
    "job:e2fsck",
    "job:check",
    "job:resize2fs",
    "job:e2fsck-verify",
];

#[test]
fn root_faults_a_killed_worker_at_any_step_is_returned_from() {
    require_root();
    let scratch = Scratch::new("faults");
    let mut body = String::from(
        r#"
export PATH=/bin
B=/run/busybox
$B mount --make-shared /
dev=$($B awk '$2 == "/" { print $1 }' /proc/self/mounts)
$B mkdir -p /data
i=0; while [ $i -lt 20 ]; do $B dd if=/dev/urandom of=/data/f$i bs=4096 count=$((i + 1)) 2>/dev/null; i=$((i + 1)); done
sums() { cd / && $B md5sum hello data/* && cd /; }
echo "== sums-before"; sums
"#,
    );
    for step in STEPS {
        body.push_str(&format!(
            r#"
rc=0; ROOTLIFT_TEST_KILL_AT={step} /bin/rootlift shrink 40M --yes --confirm-within 0 >/run/out 2>&1 || rc=$?
echo "== rc-{step}"; echo $rc; $B grep -o 'the worker ([^)]*)' /run/out || true
echo "== worker-{step}"; $B grep ' job.worker ' /run/rootlift/journal | $B tail -n 1
/usr/bin/rootlift return >/run/ret 2>&1 || /bin/rootlift return >/run/ret 2>&1 || {{ $B cat /run/ret; exit 1; }}
echo "== root-{step}"; $B awk '$2 == "/" {{ print $1, $3 }}' /proc/self/mounts
echo "== sums-{step}"; sums
echo "== journal-{step}"; $B grep -E 'job.exit|return.finish-job|return.done|job.step' /run/rootlift/journal | $B tail -n 20
echo "== size-{step}"; /bin/rootlift ext4 --json "$dev" | $B grep -o '"block_count":[0-9]*'
"#
        ));
    }
    body.push_str(
        r#"
# The dead-man wait: an abort is the operator's, the timer running out is not.
/bin/rootlift shrink 40M --yes --confirm-within 30s >/run/out 2>&1 &
job=$!
i=0; until $B grep -q job.wait-confirm /run/rootlift/journal 2>/dev/null && [ $i -gt 0 ]; do $B sleep 0.2; i=$((i + 1)); done
/usr/bin/rootlift abort >/dev/null 2>&1 || /bin/rootlift abort >/dev/null
wait $job || true
echo "== aborted"; $B grep -E 'job.aborted' /run/rootlift/journal | $B tail -n 1
/bin/rootlift shrink 40M --yes --confirm-within 1s >/run/out 2>&1 || true
echo "== timed-out"; $B grep -E 'job.aborted' /run/rootlift/journal | $B tail -n 1
"#,
    );
    let (_image, lo) = make_system_with(&scratch, &[("run-body.sh", body.as_bytes(), 0o644)], &KIT);
    let out = in_ns(Pid::New, &scratch.path, &system_script(&lo.dev, INIT));
    let stdout = assert_ok(&out);
    let s = sections(&stdout);
    for step in STEPS {
        let rc = &s[&format!("rc-{step}")];
        assert!(rc.starts_with("1\n"), "{step}: the job must fail: {rc}");
        assert!(
            rc.contains("signal: 9"),
            "{step}: the worker was killed: {rc}"
        );
        assert!(
            s[&format!("root-{step}")].starts_with(&format!("{} ext4", lo.dev)),
            "{step}: the root is mounted again: {}",
            s[&format!("root-{step}")]
        );
        assert_eq!(
            s["sums-before"],
            s[&format!("sums-{step}")],
            "{step}: files changed"
        );
        let journal = &s[&format!("journal-{step}")];
        assert!(journal.contains("return.done"), "{step}: {journal}");
        let size = &s[&format!("size-{step}")];
        // 64 MiB (the device) or 40 MiB (shrunk) in 4 KiB blocks, nothing else.
        assert!(
            size.contains("\"block_count\":16384") || size.contains("\"block_count\":10240"),
            "{step}: {size}"
        );
        if journal.contains("return.finish-job") {
            // The interrupted shrink was made consistent: repaired, grown to
            // fill the device, verified clean.
            assert!(size.contains("16384"), "{step}: {size}");
            let last_exit = journal
                .lines()
                .rfind(|l| l.contains("job.exit program=/usr/sbin/e2fsck"))
                .unwrap_or("");
            assert!(last_exit.ends_with("code=0"), "{step}: {journal}");
        }
        // The worker's session is its own: setsid(2) succeeded.
        let w = &s[&format!("worker-{step}")];
        let field = |k: &str| {
            w.split_whitespace()
                .find_map(|f| f.strip_prefix(&format!("{k}=")))
                .map(str::to_owned)
        };
        assert!(field("pid").is_some(), "{step}: {w}");
        assert_eq!(field("pid"), field("sid"), "{step}: {w}");
    }
    // resize2fs was reached and interrupted at least once.
    assert!(
        STEPS
            .iter()
            .any(|st| s[&format!("journal-{st}")].contains("return.finish-job")),
        "no kill point interrupted a started resize2fs"
    );
    assert!(
        s["aborted"].contains("aborted:operator"),
        "{}",
        s["aborted"]
    );
    assert!(
        s["timed-out"].contains("aborted:no-confirm"),
        "{}",
        s["timed-out"]
    );
}
