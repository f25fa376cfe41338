//! Root tier for `bring`: programs brought into an empty DEST run from a
//! chroot into it (in a private mount and PID namespace), printing the same
//! version line as on the host; and a symlink planted inside DEST makes
//! bring fail without writing anything outside DEST.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// (program, arguments, a text the version line contains).
const CASES: [(&str, &str, &str); 5] = [
    ("/usr/sbin/e2fsck", "-V", "e2fsck "),
    // No arguments: prints its version and usage to stderr, exits 1.
    ("/usr/sbin/resize2fs", "", "resize2fs "),
    ("/usr/sbin/lvm", "version", "LVM version:"),
    // The library version is printed before the kernel driver is asked.
    ("/usr/sbin/dmsetup", "--version", "Library version:"),
    ("/usr/sbin/sshd", "-V", "OpenSSH_"),
];

/// The line of the host's own output that names the version.
fn host_version_line(program: &str, args: &str, marker: &str) -> String {
    let out = Command::new(program)
        .args(args.split_whitespace())
        .env_clear()
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("{program} {args} on the host printed no {marker:?}: {text}"))
        .trim()
        .to_owned()
}

fn bring(dest: &Path, program: &str) -> std::process::Output {
    Command::new(rootlift())
        .arg("bring")
        .arg(dest)
        .arg(program)
        .output()
        .expect("run rootlift bring")
}

#[test]
fn root_brought_programs_run_in_a_chroot() {
    require_root();
    let scratch = Scratch::new("bring-chroot");
    let dest = scratch.path.join("dest");
    // One program at a time into one DEST: the later ones meet the shared
    // libraries already there and must accept them.
    for (program, _, _) in CASES {
        let out = bring(&dest, program);
        assert!(out.status.success(), "bring {program}: {out:?}");
    }
    let mut body = String::from(
        r#"D="$T/dest"
# The programs open /dev/null; the lift's tmpfs has the host's /dev moved in.
mkdir "$D/dev" && touch "$D/dev/null" && mount --bind /dev/null "$D/dev/null"
"#,
    );
    for (program, args, _) in CASES {
        body.push_str(&format!(
            "echo '=== {program}'; chroot \"$D\" {program} {args} 2>&1 </dev/null || echo \"exit=$?\"\n"
        ));
    }
    let stdout = assert_ok(&in_ns(Pid::New, &scratch.path, &body));
    for (program, args, marker) in CASES {
        let section = stdout
            .split(&format!("=== {program}\n"))
            .nth(1)
            .and_then(|s| s.split("=== ").next())
            .unwrap_or_else(|| panic!("no output section for {program}: {stdout}"));
        assert!(
            !section.contains("error while loading shared libraries"),
            "{program}: {section}"
        );
        let want = host_version_line(program, args, marker);
        assert!(
            section.contains(&want),
            "{program} in the chroot did not print {want:?}:\n{section}"
        );
    }
}

#[test]
fn root_bring_refuses_symlinks_planted_in_dest() {
    require_root();
    let scratch = Scratch::new("bring-planted");
    let (dest, elsewhere) = (scratch.path.join("dest"), scratch.path.join("elsewhere"));
    std::fs::create_dir_all(dest.join("usr")).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dest.join("usr/lib")).unwrap();

    let out = bring(&dest, "e2fsck");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let want = format!(
        "rootlift: error: refusing to write through {}: it is a symlink",
        dest.join("usr/lib").display()
    );
    assert!(stderr.starts_with(&want), "{stderr}");
    assert_eq!(
        std::fs::read_dir(&elsewhere).unwrap().count(),
        0,
        "wrote outside DEST"
    );

    // A top-level link that points elsewhere than the host's is not replaced.
    if Path::new("/lib").is_symlink() {
        let dest = scratch.path.join("dest2");
        std::fs::create_dir_all(&dest).unwrap();
        std::os::unix::fs::symlink(&elsewhere, dest.join("lib")).unwrap();
        let out = bring(&dest, "e2fsck");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        let want = format!(
            "{}: it is a symlink to {}, not to usr/lib",
            dest.join("lib").display(),
            elsewhere.display()
        );
        assert!(stderr.contains(&want), "{stderr}");
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    }
}

#[test]
fn root_copy_file_into_refuses_a_planted_etc_passwd() {
    require_root();
    let scratch = Scratch::new("bring-passwd");
    let dest = scratch.path.join("dest");
    let victim = scratch.path.join("victim");
    std::fs::write(&victim, "untouched\n").unwrap();
    std::fs::create_dir_all(dest.join("etc")).unwrap();
    std::os::unix::fs::symlink(&victim, dest.join("etc/passwd")).unwrap();

    let err =
        rootlift::bring::copy_file_into(&dest, Path::new("/etc/passwd"), Path::new("etc/passwd"))
            .expect_err("copy through a planted symlink");
    assert!(
        err.to_string().contains("it exists and is a symlink"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched\n");

    // Without the plant it works, and a second copy is accepted as identical.
    std::fs::remove_file(dest.join("etc/passwd")).unwrap();
    assert!(
        rootlift::bring::copy_file_into(&dest, Path::new("/etc/passwd"), Path::new("etc/passwd"))
            .unwrap()
    );
    assert!(
        !rootlift::bring::copy_file_into(&dest, Path::new("/etc/passwd"), Path::new("etc/passwd"))
            .unwrap()
    );
    assert_eq!(
        std::fs::read(dest.join("etc/passwd")).unwrap(),
        std::fs::read("/etc/passwd").unwrap()
    );
}
