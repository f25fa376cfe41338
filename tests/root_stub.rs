//! The PID 1 handoff, with a stand-in for systemd as PID 1 of a PID
//! namespace: on SIGTERM it "serializes" its state into fd 7 and execs
//! `/lib/systemd/systemd --system --deserialize=7`, as systemd does
//! (docs/pid1.md). After `enter`, that path is rootlift's init
//! stub; `release --kill` must hand PID 1 off, stop the rest and free the
//! old root; `return` must make the stub exec the real init from the
//! restored root with the same argv and the serialization fd unchanged.

mod common;

use common::system::*;
use common::*;

/// The stand-in init, on the image at /usr/lib/systemd/systemd.
const FAKE_SYSTEMD: &str = r#"#!/bin/busybox sh
export PATH=/bin
case " $* " in
*" --deserialize=7 "*)
    # Resumed after the return: report what came through the stub.
    read -r state <&7 || state="fd 7 unreadable"
    echo "resumed argv=[$*] state=$state" >/run/resumed
    i=0
    while [ ! -e /run/driver.done ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    cat /run/driver.out
    cat /run/resumed
    exit 0 ;;
esac
busybox mount --make-shared /
echo serialized-42 >/run/state
trap 'exec /lib/systemd/systemd --system --deserialize=7 7</run/state' TERM
# The operator's session, running from /run so it does not pin the root.
cp /bin/busybox /run/busybox
/run/busybox sh /run/driver.sh >/run/driver.out 2>&1 &
while :; do sleep 1 & wait $!; done
"#;

/// The operator: enter, release --kill (the handoff), checks, return.
const DRIVER: &str = r#"
set -eu
fail() { echo "driver: FAIL $*"; touch /run/driver.done; exit 1; }
/bin/rootlift enter >/dev/null || fail "enter exited $?"
echo "== release"
/usr/bin/rootlift release --kill --grace 1s || fail "release exited $?"
echo "== pid1-while-released"
/run/busybox readlink /proc/1/exe
/run/busybox readlink /proc/1/fd/7
/run/busybox tr '\0' ' ' </proc/1/cmdline; echo
echo "== return"
/usr/bin/rootlift return || fail "return exited $?"
i=0
while [ ! -e /run/resumed ] && [ $i -lt 100 ]; do /run/busybox sleep 0.1; i=$((i + 1)); done
echo "== journal"
/run/busybox grep -E 'handoff|init-resumed|warning' /run/rootlift/journal
echo "== done"
touch /run/driver.done
"#;

#[test]
fn root_stub_hands_pid1_off_and_back_with_its_state_fd() {
    require_root();
    let scratch = Scratch::new("stub");
    let (_image, lo) = make_system(
        &scratch,
        &[
            ("usr/lib/systemd/systemd", FAKE_SYSTEMD.as_bytes(), 0o755),
            ("run-driver.sh", DRIVER.as_bytes(), 0o644),
        ],
    );
    // PID 1 copies the driver into /run first: /run is a fresh tmpfs.
    let init = "/bin/busybox cp /run-driver.sh /run/driver.sh\n\
                exec /usr/lib/systemd/systemd --system";
    let out = in_ns(Pid::New, &scratch.path, &system_script(&lo.dev, init));
    let stdout = assert_ok(&out);
    let s = sections(&stdout);
    let all = || {
        format!(
            "{stdout}\n--- stderr\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    };

    assert!(!stdout.contains("driver: FAIL"), "{}", all());
    // While released, PID 1 is the stub from the tmpfs, holding fd 7.
    let pid1 = s
        .get("pid1-while-released")
        .unwrap_or_else(|| panic!("{}", all()));
    let mut lines = pid1.lines();
    assert_eq!(lines.next(), Some("/usr/lib/systemd/systemd"), "{}", all());
    assert_eq!(lines.next(), Some("/run/state"), "{}", all());
    assert_eq!(
        lines.next().map(str::trim_end),
        Some("/lib/systemd/systemd --system --deserialize=7"),
        "{}",
        all()
    );
    // The real init resumed with the same argv and the state fd intact.
    assert!(
        stdout.contains("resumed argv=[--system --deserialize=7] state=serialized-42"),
        "{}",
        all()
    );
    let journal = &s["journal"];
    assert!(
        journal.contains("release.handoff init=systemd"),
        "{journal}"
    );
    assert!(journal.contains("return.init-resumed"), "{journal}");
    assert!(s.contains_key("done"), "{}", all());
}
