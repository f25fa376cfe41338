//! The security claims of SECURITY.md that no other test checks: the
//! journal's commands refuse other users, and during a lift /run/rootlift
//! is 0700 and root's, the journal 0600, and nothing in the tmpfs is
//! writable by group or others.

mod common;

use std::process::Command;

use common::system::*;
use common::*;

#[test]
fn root_security_status_confirm_abort_refuse_other_users() {
    require_root();
    for cmd in ["status", "confirm", "abort"] {
        let out = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(rootlift())
            .arg(cmd)
            .output()
            .expect("spawn setpriv");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{cmd}: {err}");
        assert!(
            err.contains(&format!("{cmd} must run as root")),
            "{cmd}: {err}"
        );
    }
}

#[test]
fn root_security_the_lift_directory_and_journal_are_root_only() {
    require_root();
    let scratch = Scratch::new("security");
    let (_image, lo) = make_system(&scratch, &[]);
    // Inside busybox_init's single quotes: double quotes only.
    let inner = r#"
/bin/rootlift enter >/dev/null
echo "== modes"
stat -c "%a %u %n" /run/rootlift /run/rootlift/journal
[ -d /run/rootlift ] && [ ! -L /run/rootlift ] && echo "a real directory"
[ -f /run/rootlift/journal ] && [ ! -L /run/rootlift/journal ] && echo "a regular file"
echo "== writable"
find / -xdev \( -perm -o+w -o -perm -g+w \) ! -type l -print
echo "== end"
/usr/bin/rootlift return >/dev/null
"#;
    let out = in_ns(
        Pid::New,
        &scratch.path,
        &system_script(&lo.dev, &busybox_init(inner)),
    );
    let s = sections(&assert_ok(&out));
    let modes = &s["modes"];
    assert!(modes.contains("700 0 /run/rootlift\n"), "{modes}");
    assert!(modes.contains("600 0 /run/rootlift/journal\n"), "{modes}");
    assert!(
        modes.contains("a real directory") && modes.contains("a regular file"),
        "{modes}"
    );
    assert_eq!(
        s["writable"], "",
        "writable by group or others in the tmpfs: {}",
        s["writable"]
    );
}
