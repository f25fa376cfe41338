//! `bring`'s closure of this machine's real programs equals what ldd(1)
//! (that is, ld.so itself) loads, as a set of real files; and the command
//! line writes what it says. No root needed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use rootlift::bring;

/// The real files ldd lists for `program`: `name => /path (addr)` lines
/// and the interpreter's `/path (addr)` line; the vDSO has no file.
fn ldd(program: &str) -> BTreeSet<PathBuf> {
    let out = Command::new("/usr/bin/ldd")
        .arg(program)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .output()
        .expect("run ldd");
    assert!(out.status.success(), "ldd {program}: {out:?}");
    let text = String::from_utf8(out.stdout).expect("ldd output is utf-8");
    let mut set = BTreeSet::new();
    for line in text.lines().map(str::trim) {
        let path = match line.split_once(" => ") {
            Some((_, rest)) => rest,
            None if line.starts_with('/') => line,
            None => continue,
        };
        assert!(!path.starts_with("not found"), "ldd {program}: {line}");
        let path = path.split(" (").next().unwrap_or(path);
        set.insert(std::fs::canonicalize(path).unwrap_or_else(|e| panic!("{path}: {e}")));
    }
    assert!(set.len() >= 2, "ldd {program} listed {set:?}");
    set
}

/// The real files of bring's closure, without the program itself.
fn closure(program: &str) -> BTreeSet<PathBuf> {
    let c = bring::closure(Path::new(program)).expect("closure");
    let me = std::fs::canonicalize(program).unwrap();
    let files: BTreeSet<PathBuf> = c
        .files()
        .map(|e| std::fs::canonicalize(&e.path).unwrap())
        .collect();
    assert!(files.contains(&me), "the program itself is missing");
    // Every file entry is already a real path.
    for e in c.files() {
        assert_eq!(std::fs::canonicalize(&e.path).unwrap(), e.path);
    }
    files.into_iter().filter(|f| *f != me).collect()
}

fn assert_same_as_ldd(program: &str) {
    let ours = closure(program);
    let theirs = ldd(program);
    assert_eq!(
        ours,
        theirs,
        "{program}: only bring: {:?}; only ldd: {:?}",
        ours.difference(&theirs).collect::<Vec<_>>(),
        theirs.difference(&ours).collect::<Vec<_>>()
    );
}

#[test]
fn bring_closure_of_e2fsck_equals_ldd() {
    assert_same_as_ldd("/usr/sbin/e2fsck");
}

#[test]
fn bring_closure_of_resize2fs_equals_ldd() {
    assert_same_as_ldd("/usr/sbin/resize2fs");
}

#[test]
fn bring_closure_of_lvm_equals_ldd() {
    assert_same_as_ldd("/usr/sbin/lvm");
}

#[test]
fn bring_closure_of_sshd_equals_ldd() {
    assert!(
        Path::new("/usr/sbin/sshd").exists(),
        "sshd missing: apt-get install -y --no-install-recommends openssh-server"
    );
    assert_same_as_ldd("/usr/sbin/sshd");
}

#[test]
fn bring_closure_of_dmsetup_equals_ldd() {
    assert_same_as_ldd("/usr/sbin/dmsetup");
}

#[test]
fn bring_command_json_lists_every_file_with_its_size() {
    let dest = std::env::temp_dir().join(format!("rootlift-bring-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dest);
    let out = Command::new(env!("CARGO_BIN_EXE_rootlift"))
        .arg("bring")
        .arg(&dest)
        .args(["e2fsck", "resize2fs", "--json"])
        .output()
        .expect("run rootlift bring");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let _ = std::fs::remove_dir_all(&dest);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout.starts_with(r#"{"dest":""#), "{stdout}");
    let want = r#"{"path":"/usr/sbin/e2fsck","source":"/usr/sbin/e2fsck","size":"#;
    assert!(stdout.contains(want), "{stdout}");
    let size = std::fs::metadata("/usr/sbin/resize2fs").unwrap().len();
    let want = format!(
        r#""path":"/usr/sbin/resize2fs","source":"/usr/sbin/resize2fs","size":{size},"kind":"file""#
    );
    assert!(stdout.contains(&want), "{stdout}");
    assert!(
        stdout.contains(
            r#""path":"/lib","source":"/lib","size":7,"kind":"symlink","target":"usr/lib""#
        ) || !Path::new("/lib").is_symlink(),
        "{stdout}"
    );
    // total_bytes is the sum of the file sizes of both closures.
    let mut c = bring::closure(Path::new("e2fsck")).unwrap();
    c.merge(&bring::closure(Path::new("resize2fs")).unwrap());
    assert!(
        stdout
            .trim_end()
            .ends_with(&format!(r#"],"total_bytes":{}}}"#, c.total_bytes())),
        "{stdout}"
    );
}

#[test]
fn bring_command_fails_cleanly_for_a_missing_program() {
    let out = Command::new(env!("CARGO_BIN_EXE_rootlift"))
        .args(["bring", "/nonexistent-dest", "no-such-program-xyz"])
        .output()
        .expect("run rootlift bring");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(
            "rootlift: error: program no-such-program-xyz: not found in /usr/local/sbin:"
        ),
        "{stderr}"
    );
}
