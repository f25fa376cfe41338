//! The root-tier test rig: every test body runs in a fresh private mount
//! namespace (util-linux unshare(1): `--mount --propagation private`), and
//! optionally a PID namespace with its own /proc, so nothing a test mounts,
//! moves or pivots can reach the host's mount table. Loop devices and temp
//! directories are released on drop, also when the test fails.
//!
//! Bodies are bash scripts. Before a body runs, a prologue compares the
//! script's mount namespace with the test process's and refuses (exit 99)
//! when they are the same: a body never runs in the host's namespace.

#![allow(dead_code)] // each test file uses its own part of the rig

pub mod system;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// The rootlift binary cargo built for these tests.
pub fn rootlift() -> &'static str {
    env!("CARGO_BIN_EXE_rootlift")
}

/// Root-tier tests fail loudly, never skip, when not run as root.
pub fn require_root() {
    assert!(
        rustix::process::geteuid().is_root(),
        "this root-tier test must run as root (make test-root)"
    );
}

/// The exit code the prologue uses when it finds itself in the host's
/// mount namespace.
pub const HOST_NAMESPACE_REFUSED: i32 = 99;

/// The mount namespace of this (the host's) process, as `mnt:[N]`.
pub fn host_mnt_ns() -> String {
    std::fs::read_link("/proc/self/ns/mnt")
        .expect("readlink /proc/self/ns/mnt")
        .to_string_lossy()
        .into_owned()
}

fn prologue() -> String {
    format!(
        r#"set -euo pipefail
if [ "$(readlink /proc/self/ns/mnt)" = "$RIG_HOST_MNTNS" ]; then
    echo "rig: refusing to run a test body in the host's mount namespace" >&2
    exit {HOST_NAMESPACE_REFUSED}
fi
"#
    )
}

/// How much isolation a body gets besides the private mount namespace.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Pid {
    /// Same PID namespace as the host (holders of the host stay visible).
    Shared,
    /// A new PID namespace with its own /proc: the body's shell is PID 1.
    New,
}

/// Runs `body` with bash in a fresh private mount namespace. The body sees
/// `$ROOTLIFT` (the binary under test) and `$T` (a scratch dir).
pub fn in_ns(pid: Pid, scratch: &Path, body: &str) -> Output {
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private"]);
    if pid == Pid::New {
        cmd.args(["--pid", "--fork", "--mount-proc"]);
    }
    cmd.args(["bash", "-c"]);
    cmd.arg(format!("{}{body}", prologue()));
    run_body(cmd, scratch)
}

/// Like [`in_ns`] with a new PID namespace, but with a pseudo-terminal as
/// the body's stdin, stdout and stderr (util-linux script(1)); output lines
/// end in CRLF.
pub fn in_ns_on_pty(scratch: &Path, body: &str) -> Output {
    let file = scratch.join("body.sh");
    std::fs::write(&file, format!("{}{body}", prologue())).expect("write body.sh");
    let mut cmd = Command::new("script");
    cmd.args(["-qefc"])
        .arg(format!(
            "unshare --mount --propagation private --pid --fork --mount-proc bash {}",
            file.display()
        ))
        .arg("/dev/null");
    run_body(cmd, scratch)
}

/// Runs `body` with NO new namespace, for the one test that proves the
/// prologue refuses the host's namespace.
pub fn in_host_ns_for_guard_test(scratch: &Path, body: &str) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(format!("{}{body}", prologue()));
    run_body(cmd, scratch)
}

fn run_body(mut cmd: Command, scratch: &Path) -> Output {
    cmd.env("ROOTLIFT", rootlift())
        .env("T", scratch)
        .env("RIG_HOST_MNTNS", host_mnt_ns())
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        );
    cmd.output().expect("spawn unshare/bash")
}

/// Runs a host tool with a fixed PATH and the C locale, `stdin` as its
/// input; fails the test, showing its output, when it exits non-zero.
pub fn run_ok(cmd: &mut Command, stdin: Option<&str>) -> String {
    let shown = format!("{cmd:?}");
    let out = run_with_input(cmd, stdin);
    assert!(
        out.status.success(),
        "{shown} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// [`run_ok`] without the verdict.
pub fn run_with_input(cmd: &mut Command, stdin: Option<&str>) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    cmd.env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    let mut pipe = child.stdin.take().expect("stdin");
    pipe.write_all(stdin.unwrap_or("").as_bytes())
        .expect("write stdin");
    drop(pipe);
    child.wait_with_output().expect("wait")
}

/// Asserts a body succeeded, showing its output when it did not.
pub fn assert_ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "body failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The host's mount table as the test process sees it.
pub fn host_mountinfo() -> String {
    std::fs::read_to_string("/proc/self/mountinfo").expect("read /proc/self/mountinfo")
}

/// A scratch directory removed on drop.
pub struct Scratch {
    pub path: PathBuf,
}

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("rootlift-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create scratch dir");
        Scratch { path }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Mounts made by a body died with its namespace; only files remain.
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Makes an ext4 image of `mib` MiB with mkfs.ext4, filled from `content`
/// when given (mkfs.ext4 -d).
pub fn mkfs_ext4(image: &Path, mib: u64, content: Option<&Path>) {
    let mut cmd = Command::new("/usr/sbin/mkfs.ext4");
    // 4 KiB blocks as on a real root (mke2fs picks 1 KiB this small), and
    // inode tables and journal written now: with lazy init a kernel thread
    // keeps writing to the device after mount, and a test comparing the
    // device's bytes would see changes that are not ours.
    cmd.args([
        "-q",
        "-F",
        "-b",
        "4096",
        "-E",
        "lazy_itable_init=0,lazy_journal_init=0",
    ]);
    if let Some(dir) = content {
        cmd.arg("-d").arg(dir);
    }
    cmd.arg(image).arg(format!("{mib}M"));
    let out = cmd.output().expect("spawn mkfs.ext4");
    assert!(out.status.success(), "mkfs.ext4: {out:?}");
}

/// A loop device attached to an image, detached on drop (even when the
/// test panics).
pub struct Loop {
    pub dev: String,
}

impl Loop {
    pub fn attach(image: &Path) -> Loop {
        let out = Command::new("losetup")
            .args(["--find", "--show"])
            .arg(image)
            .output()
            .expect("spawn losetup");
        assert!(out.status.success(), "losetup --find --show: {out:?}");
        let dev = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        assert!(dev.starts_with("/dev/loop"), "losetup printed {dev:?}");
        Loop { dev }
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        let _ = Command::new("losetup").args(["-d", &self.dev]).status();
    }
}
