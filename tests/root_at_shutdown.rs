//! shrink --at-shutdown on a loop ext4 "system" in a private mount + PID
//! namespace. PID 1 is a stand-in for systemd (its name is what rootlift
//! checks); when told to shut down it does what systemd-shutdown does
//! (systemd-shutdown(8)): remount the root read-only, switch root into
//! /run/initramfs with the old root at /oldroot, exec `./shutdown reboot`.
//! rootlift, as that PID 1, shrinks the filesystem, writes its journal to
//! /var/log/rootlift.log on the root and calls reboot(2), which ends the
//! PID namespace with SIGHUP. The image is then checked from the host.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::process::Command;

use common::system::*;
use common::*;

const KIT: [&str; 2] = ["/usr/sbin/e2fsck", "/usr/sbin/resize2fs"];

/// The stand-in init, at /usr/lib/systemd/systemd on the image.
const FAKE_SYSTEMD: &str = include_str!("common/fake_systemd.sh");

#[test]
fn root_at_shutdown_shrinks_at_the_next_reboot_and_logs_on_the_root() {
    require_root();
    let scratch = Scratch::new("atshutdown");
    let (image, lo) = make_system_with(
        &scratch,
        &[("usr/lib/systemd/systemd", FAKE_SYSTEMD.as_bytes(), 0o755)],
        &KIT,
    );
    let out = in_ns(
        Pid::New,
        &scratch.path,
        &system_script(&lo.dev, "exec /usr/lib/systemd/systemd --system"),
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let all = format!(
        "{stdout}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // reboot(2) in a PID namespace ends it as if its init got SIGHUP;
    // unshare(1) passes that on.
    assert_eq!(
        out.status.signal(),
        Some(1),
        "not ended by reboot(2): {:?}\n{all}",
        out.status
    );
    assert!(stdout.contains("install rc=0"), "{all}");
    assert!(
        stdout.contains("installed: the shrink job runs at the next reboot"),
        "{all}"
    );
    assert!(!stdout.contains("status does not show the job"), "{all}");
    drop(lo);

    // From the host: the filesystem is 40 MiB, clean, and tells the story.
    let fsck = Command::new("/usr/sbin/e2fsck")
        .args(["-fn"])
        .arg(&image)
        .output()
        .unwrap();
    assert!(fsck.status.success(), "e2fsck -fn: {fsck:?}");
    let ext4 = Command::new(rootlift())
        .args(["ext4", "--json"])
        .arg(&image)
        .output()
        .unwrap();
    let json = String::from_utf8_lossy(&ext4.stdout);
    let log = Command::new("/usr/sbin/debugfs")
        .args(["-R", "cat /var/log/rootlift.log"])
        .arg(&image)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&log.stdout);
    assert!(
        json.contains(r#""block_count":10240"#),
        "{json}\n--- rootlift.log\n{log}\n--- run\n{all}"
    );
    assert!(log.contains("shutdown.free"), "{log}\n--- run\n{all}");
    assert!(log.contains("step=e2fsck-verify"), "{log}");
    assert!(
        log.contains("job.done code=0 result=ok"),
        "{log}\n--- run\n{all}"
    );
    let hello = Command::new("/usr/sbin/debugfs")
        .args(["-R", "cat /hello"])
        .arg(&image)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&hello.stdout), "on the old root\n");
}

/// A stand-in systemd that installs, checks and cancels, then exits.
const FAKE_SYSTEMD_CANCEL: &str = r#"#!/bin/busybox sh
export PATH=/bin
rc=0; /bin/rootlift shrink 1M --at-shutdown --yes >/run/out 2>&1 || rc=$?
echo "below-floor rc=$rc"; [ -e /run/initramfs/shutdown ] && echo "below-floor installed something"
/bin/rootlift shrink 40M --at-shutdown --yes >/dev/null
[ -x /run/initramfs/shutdown ] && echo "install-ok"
echo "mtab $(readlink /run/initramfs/etc/mtab)"
rc=0; /bin/rootlift shrink 40M --at-shutdown --yes >/run/out 2>&1 || rc=$?
echo "twice rc=$rc $(grep -o 'already installed' /run/out)"
/bin/rootlift abort
[ -e /run/initramfs/shutdown ] || echo "cancelled"
grep -q ' /run/initramfs ' /proc/self/mountinfo || echo "tmpfs gone"
"#;

#[test]
fn root_at_shutdown_refusals_install_nothing_and_abort_cancels() {
    require_root();
    let scratch = Scratch::new("atshutdowncancel");
    let (_image, lo) = make_system_with(
        &scratch,
        &[(
            "usr/lib/systemd/systemd",
            FAKE_SYSTEMD_CANCEL.as_bytes(),
            0o755,
        )],
        &KIT,
    );
    let out = in_ns(
        Pid::New,
        &scratch.path,
        &system_script(&lo.dev, "exec /usr/lib/systemd/systemd --system"),
    );
    let stdout = assert_ok(&out);
    assert!(stdout.contains("below-floor rc=3"), "{stdout}");
    assert!(
        !stdout.contains("below-floor installed something"),
        "{stdout}"
    );
    assert!(stdout.contains("install-ok"), "{stdout}");
    // lvreduce (LVM 2.03.31, Debian 13) reads /etc/mtab in the shutdown tmpfs too.
    assert!(stdout.contains("mtab ../proc/self/mounts\n"), "{stdout}");
    assert!(stdout.contains("twice rc=3 already installed"), "{stdout}");
    assert!(stdout.contains("cancelled"), "{stdout}");
    assert!(stdout.contains("tmpfs gone"), "{stdout}");

    // With a PID 1 that is not systemd, nothing would run the job: refused.
    let plain = in_ns(
        Pid::New,
        &scratch.path,
        &system_script(
            &lo.dev,
            &busybox_init(
                "rc=0; /bin/rootlift shrink 40M --at-shutdown --yes 2>/run/err || rc=$?; echo \"rc=$rc $(cat /run/err)\"; [ -e /run/initramfs/shutdown ] || echo nothing-installed",
            ),
        ),
    );
    let s = assert_ok(&plain);
    assert!(s.contains("rc=3"), "{s}");
    assert!(s.contains("--at-shutdown needs systemd"), "{s}");
    assert!(s.contains("nothing-installed"), "{s}");
}
