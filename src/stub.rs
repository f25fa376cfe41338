//! The init stub: rootlift as PID 1 while the old root is released (docs/design.md,
//! release 2; the facts are in docs/pid1.md).
//!
//! systemd, sent SIGTERM after the pivot, serializes its state and execs
//! `/lib/systemd/systemd --system --deserialize=N`, which in the tmpfs is
//! this program. The stub keeps every inherited fd (it opens its own with
//! O_CLOEXEC and never reads the state memfd), keeps the signal mask, never
//! waits for children (systemd reaps them when it resumes) and never exits
//! (PID 1 exiting panics the kernel). When `return` has put the old root
//! back it writes to the stub's FIFO, and the stub execs the real init with
//! the same argv and environment.

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustix::fs::{CWD, Mode, OFlags, openat};

use crate::error::ErrnoText;
use crate::sys_process::exec_keeping_state;

/// The trigger FIFO, at the tmpfs's root while lifted.
pub const FIFO: &str = "/rootlift-stub.fifo";
/// Where the FIFO is once `return` has pivoted back (the tmpfs is mounted
/// at the lift's NEWROOT again).
pub const FIFO_AFTER_RETURN: &str = "/run/rootlift/root/rootlift-stub.fifo";
/// The byte `return` writes to the FIFO.
pub const TRIGGER: u8 = b'r';
/// Where the stub is installed in the tmpfs: systemd re-execs
/// /lib/systemd/systemd (with /lib -> usr/lib), sysvinit's `telinit u`
/// re-execs /sbin/init.
pub const INSTALL_PATHS: [&str; 2] = ["usr/lib/systemd/systemd", "sbin/init"];

/// Whether this process is meant to be the stub: PID 1, exec'd under an
/// init's name.
pub fn is_stub(argv0: Option<&OsStr>) -> bool {
    is_stub_as(rustix::process::getpid().is_init(), argv0)
}

/// The decision of [`is_stub`], for a process that is PID 1 or not.
fn is_stub_as(pid1: bool, argv0: Option<&OsStr>) -> bool {
    let name = argv0
        .map(Path::new)
        .and_then(Path::file_name)
        .map(OsStr::as_bytes);
    pid1 && matches!(name, Some(b"systemd" | b"init"))
}

/// The real init to exec once the root is back, most likely first.
pub fn real_init_candidates(argv0: &OsStr) -> Vec<PathBuf> {
    let given = PathBuf::from(argv0);
    let is_systemd = given.file_name().is_some_and(|n| n == "systemd");
    let mut v = if is_systemd {
        vec![
            PathBuf::from("/usr/lib/systemd/systemd"),
            PathBuf::from("/lib/systemd/systemd"),
        ]
    } else {
        vec![PathBuf::from("/sbin/init")]
    };
    if given.is_absolute() && !v.contains(&given) {
        v.push(given);
    }
    v
}

fn kmsg(line: &str) {
    if let Ok(fd) = openat(
        CWD,
        "/dev/kmsg",
        OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        let _ = std::fs::File::from(fd).write_all(format!("rootlift: stub: {line}\n").as_bytes());
    }
}

/// Whether `candidate` is a program other than this stub: while the tmpfs
/// is still `/`, /usr/lib/systemd/systemd is the stub itself.
fn is_other_program(candidate: &Path) -> bool {
    match (
        rustix::fs::stat(candidate),
        rustix::fs::stat("/proc/self/exe"),
    ) {
        (Ok(c), Ok(me)) => (c.st_dev, c.st_ino) != (me.st_dev, me.st_ino),
        _ => false,
    }
}

/// Runs the stub. Never returns, never exits, never panics on purpose.
#[inline(never)]
pub fn run() -> ! {
    let argv: Vec<OsString> = std::env::args_os().collect();
    let envp: Vec<OsString> = std::env::vars_os()
        .map(|(k, v)| {
            let mut kv = k;
            kv.push("=");
            kv.push(v);
            kv
        })
        .collect();
    let argv0 = argv.first().cloned().unwrap_or_default();
    kmsg(&format!("pid 1 waiting for return (argv: {})", argv.len()));
    loop {
        // O_RDWR: the FIFO always has a writer (us), so read blocks instead
        // of seeing EOF, and the fd survives the pivot back.
        let fifo = match openat(CWD, FIFO, OFlags::RDWR | OFlags::CLOEXEC, Mode::empty()) {
            Ok(fd) => std::fs::File::from(fd),
            Err(e) => {
                kmsg(&format!("cannot open {FIFO}: {}; retrying", ErrnoText(e)));
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        wait_and_exec(fifo, &argv0, &argv, &envp);
    }
}

fn wait_and_exec(mut fifo: std::fs::File, argv0: &OsStr, argv: &[OsString], envp: &[OsString]) {
    let mut byte = [0u8; 1];
    loop {
        match fifo.read(&mut byte) {
            Ok(1) if byte[0] == TRIGGER => {}
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                kmsg(&format!(
                    "reading the trigger failed: {}",
                    ErrnoText::io(&e)
                ));
                std::thread::sleep(Duration::from_secs(1));
                return;
            }
        }
        for candidate in real_init_candidates(argv0) {
            if !is_other_program(&candidate) {
                continue;
            }
            kmsg(&format!("exec {}", candidate.display()));
            let err = exec_keeping_state(&candidate, argv, envp);
            kmsg(&format!(
                "exec {} failed: {}",
                candidate.display(),
                ErrnoText::io(&err)
            ));
        }
        kmsg("no real init to exec yet; waiting for the next trigger");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_follow_the_name_pid1_was_execed_under() {
        assert_eq!(
            real_init_candidates(OsStr::new("/lib/systemd/systemd")),
            [
                PathBuf::from("/usr/lib/systemd/systemd"),
                PathBuf::from("/lib/systemd/systemd")
            ]
        );
        assert_eq!(
            real_init_candidates(OsStr::new("/sbin/init")),
            [PathBuf::from("/sbin/init")]
        );
        assert_eq!(
            real_init_candidates(OsStr::new("/usr/sbin/init")),
            [PathBuf::from("/sbin/init"), PathBuf::from("/usr/sbin/init")]
        );
    }

    #[test]
    fn only_pid1_under_an_init_name_is_the_stub() {
        let name = |s| Some(OsStr::new(s));
        assert!(is_stub_as(true, name("/lib/systemd/systemd")));
        assert!(is_stub_as(true, name("/sbin/init")));
        assert!(is_stub_as(true, name("init")));
        assert!(!is_stub_as(false, name("/lib/systemd/systemd")));
        assert!(!is_stub_as(true, name("/usr/bin/rootlift")));
        assert!(!is_stub_as(true, name("/sbin/initx")));
        assert!(!is_stub_as(true, None));
    }
}
