//! The lift (SPEC.md, "Steps"): `enter` moves the running system onto a tmpfs
//! that holds only rootlift and what the job brings, `return` moves it back.
//! Both are linear sequences over mount(2) and pivot_root(2); what `return`
//! needs is recorded in the journal by `enter`, so a new process — after a
//! crash, from a new SSH session — can always find the way back.

pub mod back;
pub mod enter;
pub mod kits;
pub mod record;
pub mod release;
pub mod resume;
pub mod status;
pub mod stop;
pub mod systemctl;
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

/// Fault injection for the root-tier tests: in debug builds only,
/// `ROOTLIFT_TEST_FAIL_AT=<step>` makes that step fail after it ran, so the
/// way back is tested from every point. Release builds never read it.
pub fn injected_fault(step: &str) -> Result<()> {
    if cfg!(debug_assertions) && std::env::var("ROOTLIFT_TEST_FAIL_AT").is_ok_and(|s| s == step) {
        return Err(crate::error::Error::Failed(format!(
            "{step}: failure injected by ROOTLIFT_TEST_FAIL_AT"
        )));
    }
    Ok(())
}

/// umount2(2) every mount under `dir` (itself included), deepest first and,
/// among equals, the one stacked on top first; what a plain umount cannot
/// free is detached (MNT_DETACH). Returns how many there were and which
/// were detached: the O_EXCL proof that follows tells whether that was
/// enough.
pub fn unmount_under(dir: &str) -> Result<(usize, Vec<String>)> {
    use rustix::io::Errno;
    use rustix::mount::UnmountFlags;
    let mounts = mounts_now()?;
    let mut under: Vec<&Mount> = mounts
        .iter()
        .filter(|m| mountinfo::is_under(&m.mount_point, dir))
        .collect();
    under.reverse();
    under.sort_by_key(|m| std::cmp::Reverse(m.mount_point.matches('/').count()));
    let mut detached = Vec::new();
    for m in &under {
        let path = Path::new(&m.mount_point);
        match crate::mount::umount(path, UnmountFlags::empty()) {
            Ok(()) => {}
            // Already gone with a parent that was detached.
            Err(crate::error::Error::Sys {
                errno: Errno::INVAL,
                ..
            }) => {}
            Err(_) => {
                crate::mount::umount(path, UnmountFlags::DETACH)?;
                detached.push(m.mount_point.clone());
            }
        }
    }
    Ok((under.len(), detached))
}
