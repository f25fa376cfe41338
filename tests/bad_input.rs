//! The bad-input table (README.md, "Reliability"), unit tier: the rows that need no root.
//! Each row runs the binary with one bad input and asserts the exit code of
//! docs/commands.md (2 usage, 3 refused, 1 failed), a message on stderr that starts
//! with `rootlift: error: ` and names the problem, and that nothing changed.
//!
//! Commands that could act on the system (enter, release, return, the
//! jobs, grow, dm create) run unprivileged: as uid/gid 65534 through
//! util-linux setpriv(1) when the tests run as root, as they are otherwise.
//! A row whose check broke then meets EPERM from the kernel, never a lift
//! of the host.
//!
//! The rows that need root (a system to lift, a root device to shrink)
//! are in root_bad_input.rs.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{Scratch, host_mountinfo, mkfs_ext4, rootlift};

/// What a row may change on the host: its mount table and rootlift's
/// directory in /run.
#[derive(Debug, PartialEq, Eq)]
struct Host {
    mountinfo: String,
    run_dir: bool,
}

impl Host {
    fn now() -> Host {
        Host {
            mountinfo: host_mountinfo(),
            run_dir: Path::new("/run/rootlift").exists(),
        }
    }
}

/// The binary with `args`, as the user running the tests.
fn run(args: &[&str]) -> Output {
    Command::new(rootlift())
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .expect("spawn rootlift")
}

/// The binary with `args`, never as root: as uid/gid 65534 with no
/// supplementary groups when the tests run as root.
fn run_unprivileged(args: &[&str]) -> Output {
    if !rustix::process::geteuid().is_root() {
        return run(args);
    }
    Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(rootlift())
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .expect("spawn setpriv (util-linux)")
}

/// Asserts the exit code and that stderr is one `rootlift: error: ` line
/// containing every one of `names`; returns stderr.
fn assert_error(out: &Output, code: i32, names: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(code),
        "exit code\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    assert!(
        stderr.starts_with("rootlift: error: "),
        "stderr does not start with the prefix: {stderr:?}"
    );
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    for name in names {
        assert!(stderr.contains(name), "{name:?} not named: {stderr:?}");
    }
    stderr
}

/// Runs `f` and asserts the host's mount table and /run/rootlift are as
/// they were.
fn unchanged<T>(f: impl FnOnce() -> T) -> T {
    let before = Host::now();
    let r = f();
    assert_eq!(before, Host::now(), "the row changed the host");
    r
}

/// A row: `args` (unprivileged when `unpriv`) must exit `code` naming all
/// of `names`, and change nothing.
fn row(unpriv: bool, args: &[&str], code: i32, names: &[&str]) -> String {
    unchanged(|| {
        let out = if unpriv {
            run_unprivileged(args)
        } else {
            run(args)
        };
        assert_error(&out, code, names)
    })
}

// ------------------------------------------------------------ command line

#[test]
fn bad_input_unknown_command() {
    row(false, &["frobnicate"], 2, &["unknown command 'frobnicate'"]);
}

#[test]
fn bad_input_unknown_option() {
    row(false, &["status", "--bogus"], 2, &["'--bogus'"]);
}

#[test]
fn bad_input_no_command() {
    row(false, &[], 2, &["no command given"]);
}

#[test]
fn bad_input_help_on_an_unknown_command() {
    row(false, &["help", "frobnicate"], 2, &["'frobnicate'"]);
}

#[test]
fn bad_input_ext4_without_a_path() {
    row(false, &["ext4"], 2, &["ext4 needs a DEV or FILE"]);
}

#[test]
fn bad_input_probe_on_a_missing_file() {
    let scratch = Scratch::new("badprobe");
    let missing = scratch.path.join("missing");
    let missing = missing.to_str().expect("a UTF-8 temp path");
    row(false, &["probe", missing], 1, &[missing, "ENOENT"]);
}

#[test]
fn bad_input_grow_to_a_size_that_is_not_one() {
    row(true, &["grow", "big"], 2, &["invalid size 'big'"]);
}

#[test]
fn bad_input_run_without_a_command() {
    row(true, &["run"], 2, &["run needs a command"]);
    row(true, &["run", "--yes", "--"], 2, &["run needs a command"]);
}

#[test]
fn bad_input_live_and_at_shutdown_together() {
    row(
        true,
        &["shrink", "8G", "--live", "--at-shutdown"],
        2,
        &["--live and --at-shutdown exclude each other"],
    );
    row(
        true,
        &["fsck", "--at-shutdown", "--live"],
        2,
        &["--live and --at-shutdown exclude each other"],
    );
}

#[test]
fn bad_input_release_grace_malformed() {
    row(
        true,
        &["release", "--grace", "5d"],
        2,
        &["invalid duration '5d'"],
    );
}

#[test]
fn bad_input_confirm_within_malformed() {
    row(true, &["fsck", "--confirm-within", "-5s"], 2, &["'-5s'"]);
}

// ------------------------------------------------------------------ SIZE

#[test]
fn bad_input_shrink_size_malformed() {
    row(true, &["shrink", "8Q"], 2, &["invalid size '8Q'"]);
}

#[test]
fn bad_input_shrink_size_zero() {
    row(
        true,
        &["shrink", "0"],
        2,
        &["invalid size '0'", "above zero"],
    );
}

/// `-1G` reads as an option (lexopt: `-1`), and after `--` as a SIZE:
/// both are usage errors naming what was typed.
#[test]
fn bad_input_shrink_size_negative() {
    row(true, &["shrink", "-1G"], 2, &["'-1"]);
    row(true, &["shrink", "--", "-1G"], 2, &["invalid size '-1G'"]);
}

#[test]
fn bad_input_shrink_size_fraction() {
    row(true, &["shrink", "1.5G"], 2, &["invalid size '1.5G'"]);
}

/// A `b` suffix is refused, not guessed: bytes or filesystem blocks?
#[test]
fn bad_input_size_with_a_b_suffix() {
    row(
        true,
        &["shrink", "4096b"],
        2,
        &["invalid size '4096b'", "blocks"],
    );
    row(
        true,
        &["enter", "--size", "4096b"],
        2,
        &["invalid size '4096b'"],
    );
}

#[test]
fn bad_input_shrink_without_a_size() {
    row(true, &["shrink", "--yes"], 2, &["shrink needs a SIZE"]);
}

#[test]
fn bad_input_enter_size_malformed() {
    row(
        true,
        &["enter", "--size", "lots"],
        2,
        &["invalid size 'lots'"],
    );
}

// ------------------------------------------- not root (named "unprivileged":
// the unit tier skips every test whose name contains "root_")

#[test]
fn bad_input_unprivileged_enter() {
    row(true, &["enter"], 3, &["enter must run as root"]);
}

#[test]
fn bad_input_unprivileged_release() {
    row(
        true,
        &["release", "--kill"],
        3,
        &["release must run as root"],
    );
}

#[test]
fn bad_input_unprivileged_return() {
    row(true, &["return"], 3, &["return must run as root"]);
}

#[test]
fn bad_input_unprivileged_confirm() {
    row(true, &["confirm"], 3, &["confirm must run as root"]);
}

#[test]
fn bad_input_unprivileged_abort() {
    row(true, &["abort"], 3, &["abort must run as root"]);
}

#[test]
fn bad_input_unprivileged_shrink() {
    row(
        true,
        &["shrink", "8G", "--yes"],
        3,
        &["jobs must run as root"],
    );
}

#[test]
fn bad_input_unprivileged_fsck() {
    row(true, &["fsck", "--yes"], 3, &["jobs must run as root"]);
}

#[test]
fn bad_input_unprivileged_run() {
    row(
        true,
        &["run", "--yes", "--", "/bin/true"],
        3,
        &["jobs must run as root"],
    );
}

// -------------------------------------------------------------------- dm

#[test]
fn bad_input_dm_rename_with_one_name() {
    row(
        true,
        &["dm", "rename", "a"],
        2,
        &["dm rename takes OLD and NEW"],
    );
}

#[test]
fn bad_input_dm_create_with_a_bad_table() {
    row(
        true,
        &["dm", "create", "x", "--table", "bad"],
        2,
        &["table line 1", "'bad'"],
    );
}

/// Read-only, so as the user running the tests: without device-mapper (or
/// without the right to open its control node) the message names
/// /dev/mapper/control; with it, the device asked for.
#[test]
fn bad_input_dm_info_on_an_unknown_device() {
    let err = row(false, &["dm", "info", "nosuchdev"], 1, &[]);
    assert!(
        err.contains("/dev/mapper/control") || err.contains("nosuchdev"),
        "neither the control node nor the device named: {err}"
    );
}

// ------------------------------------------------------------------ ext4

#[test]
fn bad_input_ext4_on_a_file_that_is_not_ext() {
    let scratch = Scratch::new("badext4");
    let zeros = scratch.path.join("zeros.img");
    std::fs::write(&zeros, vec![0u8; 64 << 10]).unwrap();
    let zeros = zeros.to_str().expect("a UTF-8 temp path");
    row(false, &["ext4", zeros], 1, &[zeros, "magic"]);
}

#[test]
fn bad_input_ext4_on_a_truncated_file() {
    let scratch = Scratch::new("badext4short");
    let short = scratch.path.join("short.img");
    std::fs::write(&short, vec![0u8; 1500]).unwrap();
    let short = short.to_str().expect("a UTF-8 temp path");
    row(false, &["ext4", short], 1, &[short, "truncated"]);
}

/// An image with metadata_csum and one byte of the superblock changed (the
/// label, which the checksum covers): `ext4` reports the bad checksum (exit
/// 0, it is a report) and names the mismatch. The shrink refusal on such a
/// root is root_bad_input_shrink_with_a_bad_superblock_checksum.
#[test]
fn bad_input_ext4_checksum_bad_is_reported() {
    let scratch = Scratch::new("badcsum");
    let image = scratch.path.join("csum.img");
    mkfs_ext4(&image, 32, None);
    let out = run(&["ext4", "--json", image.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let good = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(good.contains(r#""metadata_csum""#), "{good}");
    assert!(good.contains(r#""checksum":"ok""#), "{good}");

    // s_volume_name is at 0x78 of the superblock, which starts at 1024.
    let mut bytes = std::fs::read(&image).unwrap();
    bytes[1024 + 0x78] = b'U';
    std::fs::write(&image, &bytes).unwrap();
    let out = run(&["ext4", "--json", image.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let bad = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(bad.contains(r#""checksum":"bad""#), "{bad}");
    assert!(bad.contains("superblock checksum mismatch"), "{bad}");
    assert_eq!(
        std::fs::read(&image).unwrap(),
        bytes,
        "ext4 wrote the image"
    );
}

/// needs_recovery (a journal not replayed) set on an unmounted image with
/// debugfs: `ext4` reports it. What is testable of the shrink gate: a
/// mounted ext4 root always has needs_recovery set (the kernel sets it at
/// mount), so the live checks cannot refuse on it; the offline gate after
/// `e2fsck -f -y` (which replays the journal) refuses it (job/offline.rs
/// check_before), and no test can make e2fsck leave it set. This row pins
/// the reader the gate relies on.
#[test]
fn bad_input_ext4_needs_recovery_is_reported() {
    let scratch = Scratch::new("badrecovery");
    let image = scratch.path.join("recovery.img");
    mkfs_ext4(&image, 32, None);
    let set = Command::new("/usr/sbin/debugfs")
        .args(["-w", "-R", "feature needs_recovery"])
        .arg(&image)
        .output()
        .expect("spawn debugfs");
    assert!(set.status.success(), "{set:?}");
    let out = run(&["ext4", "--json", image.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let json = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(json.contains(r#""needs_recovery":true"#), "{json}");
    assert!(
        json.contains(r#""needs_recovery","#),
        "in the features: {json}"
    );
}
