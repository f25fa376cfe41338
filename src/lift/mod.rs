//! The lift (docs/design.md): `enter` moves the running system onto a tmpfs
//! that holds only rootlift and what the job brings, `release` frees the
//! old root, `return` moves everything back. All are linear sequences over
//! mount(2) and pivot_root(2) (through the seam in `ops`); what `return`
//! needs is recorded in the journal by `enter`, so a new process — after a
//! crash, from a new SSH session — can always find the way back.
//!
//! This layer knows nothing of jobs or the command line: they call it.

pub mod back;
pub mod classify;
pub mod comeback;
pub mod enter;
pub mod fate;
pub mod kits;
pub mod mounts;
pub mod ops;
pub mod record;
pub mod release;
pub mod resume;
pub mod sshd;
pub mod stop;
pub mod systemctl;
pub mod sysv;
#[cfg(test)]
mod testkit;
pub mod units;

use std::path::Path;

use crate::error::Result;
use crate::proc::mountinfo::{self, Mount};

/// Where the tmpfs is mounted before the pivot (its parent /run/rootlift is
/// 0700, so nobody else can reach it), and where it lands after the return.
pub const NEWROOT: &str = "/run/rootlift/root";
/// Where the old root sits while lifted (a directory of the tmpfs).
pub const OLDROOT: &str = "/oldroot";
/// rootlift's own copy inside the tmpfs (also reached as /bin/rootlift
/// through the tmpfs's merged-/usr link).
pub const SELF_IN_TMPFS: &str = "/usr/bin/rootlift";
/// The hidden subcommand the tmpfs copy of rootlift is exec'd with at the
/// end of `enter` (enter 6); not for users, so not in the help.
pub const INTERNAL_ENTERED: &str = "internal-entered";
/// The tmpfs's source name, so it can be told apart in mountinfo.
pub const TMPFS_SOURCE: &str = "rootlift";
/// The API filesystems that move with the system (their submounts, e.g.
/// /dev/pts, move with them): moving /dev/pts keeps every SSH pty alive,
/// moving /run keeps systemd's and dbus's sockets reachable.
pub const MOVED: [&str; 4] = ["/proc", "/sys", "/dev", "/run"];

/// The mount table, wherever /proc currently is: at /proc normally, at
/// /oldroot/proc between the pivot and the move.
pub fn mounts_now() -> Result<Vec<Mount>> {
    if Path::new("/proc/self/mountinfo").exists() {
        return mountinfo::read_self();
    }
    let moved = "/oldroot/proc/self/mountinfo";
    if Path::new(moved).exists() {
        return mountinfo::read(moved);
    }
    mountinfo::read_self()
}

/// Whether `/` is rootlift's tmpfs.
pub fn is_lifted(mounts: &[Mount]) -> bool {
    mountinfo::at(mounts, "/").is_some_and(|m| m.fstype == "tmpfs" && m.source == TMPFS_SOURCE)
}

/// Fault injection for the root-tier tests, after each journaled step of
/// enter, release, a job and return (`SEQUENCE:STEP`, e.g. `enter:pivot`,
/// `job:resize2fs`): in debug builds only, `ROOTLIFT_TEST_FAIL_AT=` makes
/// that step fail after it ran, and `ROOTLIFT_TEST_KILL_AT=` SIGKILLs this
/// process there, so the way back is tested from every point. Release
/// builds never read them.
pub fn checkpoint(sequence: &str, step: &str) -> Result<()> {
    if !cfg!(debug_assertions) {
        return Ok(());
    }
    let here = |v: String| v.split_once(':') == Some((sequence, step));
    if std::env::var("ROOTLIFT_TEST_KILL_AT").is_ok_and(here) {
        let _ =
            rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
    }
    if std::env::var("ROOTLIFT_TEST_FAIL_AT").is_ok_and(here) {
        return Err(crate::error::Error::failed(format!(
            "{sequence}:{step}: failure injected by ROOTLIFT_TEST_FAIL_AT"
        )));
    }
    Ok(())
}

/// The fault-injection variables to hand on to a process rootlift starts
/// with a scrubbed environment (debug builds only; nothing otherwise).
pub fn test_env() -> Vec<(String, String)> {
    if !cfg!(debug_assertions) {
        return Vec::new();
    }
    ["ROOTLIFT_TEST_FAIL_AT", "ROOTLIFT_TEST_KILL_AT"]
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_owned(), v)))
        .collect()
}
