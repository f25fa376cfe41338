//! enter → return in a private mount + PID namespace whose root is a loop
//! ext4 "system" (busybox-static and rootlift), with /proc, /sys, /dev and
//! /run mounted and some mounts shared, as on a real host. After return the
//! mount table must equal the one before enter, propagation included; the
//! same holds when any step of enter fails.

mod common;

use common::system::*;
use common::*;

/// The enter steps that journal themselves, in order.
const ENTER_STEPS: [&str; 10] = [
    "rprivate",
    "tmpfs",
    "bring",
    "layout",
    "copy-self",
    "pivot",
    "move-proc",
    "move-sys",
    "move-dev",
    "move-run",
];

#[test]
fn root_lift_enter_and_return_restore_the_mount_table() {
    require_root();
    let scratch = Scratch::new("lift");
    let (_image, lo) = make_system(&scratch, &[]);
    let inner = r#"
echo "== before"; cat /proc/self/mountinfo
echo "== enter"; /bin/rootlift enter
echo "== lifted"; cat /proc/self/mountinfo
echo "== fstype"; stat -f -c %T /
echo "== oldfile"; cat /oldroot/hello
echo "== exe"; ls /bin
echo "== mtab"; readlink /etc/mtab; read -r l < /etc/mtab && echo has-mounts
echo "== status"; /bin/rootlift status
/bin/rootlift status --json > /tmp/status.json
echo "== status-json"; cat /tmp/status.json
echo "== return"; /bin/rootlift return
echo "== after"; cat /proc/self/mountinfo
echo "== again"; /bin/rootlift return
echo "== journal"; cat /run/rootlift/journal
"#;
    let host_before = host_mountinfo();
    let out = in_ns(
        Pid::New,
        &scratch.path,
        &system_script(&lo.dev, &busybox_init(inner)),
    );
    let stdout = assert_ok(&out);
    let s = sections(&stdout);

    // While lifted: / is rootlift's tmpfs, the old root is at /oldroot, the
    // API filesystems sit at the top level, and only rootlift is in /bin.
    let lifted = &s["lifted"];
    assert!(
        lifted
            .lines()
            .any(|l| l.contains(" / / ") && l.contains(" - tmpfs rootlift ")),
        "{lifted}"
    );
    assert!(
        lifted
            .lines()
            .any(|l| l.contains(" /oldroot ") && l.contains(" - ext4 ")),
        "{lifted}"
    );
    for api in ["/proc", "/sys", "/dev", "/run", "/dev/pts"] {
        assert!(
            lifted.contains(&format!(" {api} ")),
            "{api} not moved:\n{lifted}"
        );
    }
    assert!(
        s["enter"].contains("entered: / is rootlift's tmpfs"),
        "{}",
        s["enter"]
    );
    assert!(
        s["return"].starts_with("returned: / is "),
        "{}",
        s["return"]
    );
    assert_eq!(s["fstype"].trim(), "tmpfs");
    assert_eq!(s["oldfile"], "on the old root\n");
    assert_eq!(s["exe"].trim(), "rootlift");
    // lvreduce (LVM 2.03.31, Debian 13) reads /etc/mtab before it reduces an LV.
    assert_eq!(s["mtab"], "../proc/self/mounts\nhas-mounts\n");
    assert!(s["status"].contains("stage: entered"), "{}", s["status"]);
    assert!(
        s["status-json"].contains(r#""stage":"entered""#),
        "{}",
        s["status-json"]
    );
    assert!(s["status-json"].contains(r#""lifted":true"#));

    // After return: the same table, propagation included.
    assert_eq!(normalize(&s["before"]), normalize(&s["after"]));
    assert!(
        s["before"].contains("shared:"),
        "the fixture has shared mounts"
    );
    assert!(
        s["again"].contains("nothing to do"),
        "return is idempotent: {}",
        s["again"]
    );
    let journal = &s["journal"];
    for step in ENTER_STEPS {
        assert!(
            journal.contains(&format!("enter.step step={step}")),
            "{step}: {journal}"
        );
    }
    assert!(journal.contains(" entered enter.done "), "{journal}");
    assert!(journal.contains(" returned return.done"), "{journal}");
    assert_eq!(
        host_before,
        host_mountinfo(),
        "the host's mount table changed"
    );
}

#[test]
fn root_lift_a_failure_at_any_enter_step_returns_to_the_original_table() {
    require_root();
    let scratch = Scratch::new("liftfault");
    let (_image, lo) = make_system(&scratch, &[]);
    let mut inner = String::from("echo \"== before\"; cat /proc/self/mountinfo\n");
    for step in ENTER_STEPS {
        inner.push_str(&format!(
            r#"
rc=0; ROOTLIFT_TEST_FAIL_AT=enter:{step} /bin/rootlift enter 2>/tmp/err || rc=$?
echo "== rc-{step}"; echo $rc; cat /tmp/err
echo "== after-{step}"; cat /proc/self/mountinfo
echo "== stage-{step}"; /bin/rootlift status --json
"#
        ));
    }
    let out = in_ns(
        Pid::New,
        &scratch.path,
        &system_script(&lo.dev, &busybox_init(&inner)),
    );
    let stdout = assert_ok(&out);
    let s = sections(&stdout);
    let before = normalize(&s["before"]);
    for step in ENTER_STEPS {
        let rc = &s[&format!("rc-{step}")];
        assert!(
            rc.starts_with("1\n"),
            "{step}: enter must fail with exit 1: {rc}"
        );
        assert!(rc.contains("failure injected"), "{step}: {rc}");
        assert_eq!(
            before,
            normalize(&s[&format!("after-{step}")]),
            "{step}: table not restored"
        );
        assert!(
            s[&format!("stage-{step}")].contains(r#""stage":"returned""#),
            "{step}: {}",
            s[&format!("stage-{step}")]
        );
    }
}

#[test]
fn root_lift_refusals_change_nothing() {
    require_root();
    let scratch = Scratch::new("liftrefuse");
    let (_image, lo) = make_system(&scratch, &[]);
    let inner = r#"
echo "== before"; cat /proc/self/mountinfo
rc=0; /bin/rootlift return 2>/tmp/err || rc=$?
echo "== return-without-enter"; echo $rc; cat /tmp/err
rc=0; /bin/rootlift enter --size 100T 2>/tmp/err || rc=$?
echo "== no-ram"; echo $rc; cat /tmp/err
/bin/rootlift enter >/dev/null
rc=0; /bin/rootlift enter 2>/tmp/err || rc=$?
echo "== twice"; echo $rc; cat /tmp/err
/bin/rootlift return >/dev/null
echo "== after"; cat /proc/self/mountinfo
"#;
    let out = in_ns(
        Pid::New,
        &scratch.path,
        &system_script(&lo.dev, &busybox_init(inner)),
    );
    let s = sections(&assert_ok(&out));
    assert!(
        s["return-without-enter"].starts_with("3\n"),
        "{}",
        s["return-without-enter"]
    );
    assert!(s["return-without-enter"].contains("nothing to return"));
    assert!(s["no-ram"].starts_with("3\n"), "{}", s["no-ram"]);
    assert!(s["no-ram"].contains("not enough RAM"));
    assert!(s["twice"].starts_with("3\n"), "{}", s["twice"]);
    assert!(s["twice"].contains("already"), "{}", s["twice"]);
    assert_eq!(normalize(&s["before"]), normalize(&s["after"]));
}

#[test]
fn root_lift_refuses_outside_pid1_mount_namespace() {
    require_root();
    let scratch = Scratch::new("liftns");
    // Shared PID namespace: PID 1 is the host's init, in another mount
    // namespace than this body, so enter must refuse and change nothing.
    let out = in_ns(
        Pid::Shared,
        &scratch.path,
        r#"
before=$(cat /proc/self/mountinfo)
rc=0; "$ROOTLIFT" enter 2>"$T/err" || rc=$?
[ "$rc" = 3 ] || { echo "exit $rc"; cat "$T/err"; exit 1; }
grep -q "not in PID 1's mount namespace" "$T/err"
[ "$before" = "$(cat /proc/self/mountinfo)" ]
echo refused
"#,
    );
    assert!(assert_ok(&out).contains("refused"));
}

#[test]
fn root_lift_a_terminal_opened_before_enter_keeps_working() {
    require_root();
    let scratch = Scratch::new("liftpty");
    let (_image, lo) = make_system(&scratch, &[]);
    // The body's terminal is a pty on the host's devpts, which the system
    // has at /dev/pts; enter moves /dev (with pts) into the tmpfs.
    let inner = r#"
t=$(tty)
echo "before on $t"
/bin/rootlift enter >/dev/null
echo "after-enter via the open fd"
echo "after-enter via a new open of $t" >"$t"
/usr/bin/rootlift return >/dev/null
echo "after-return via a new open" >"$t"
"#;
    let out = in_ns_on_pty(&scratch.path, &system_script(&lo.dev, &busybox_init(inner)));
    let stdout = assert_ok(&out).replace('\r', "");
    assert!(stdout.contains("before on /dev/pts/"), "{stdout}");
    assert!(stdout.contains("after-enter via the open fd"), "{stdout}");
    assert!(
        stdout.contains("after-enter via a new open of /dev/pts/"),
        "{stdout}"
    );
    assert!(stdout.contains("after-return via a new open"), "{stdout}");
}
