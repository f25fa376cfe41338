//! The second half of `return` after a release: the old root's other
//! filesystems mounted again, PID 1 woken from the stub into the real init,
//! and (systemd) the stopped services started again.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::fs::{CWD, Mode, OFlags, openat};

use super::record::{Record, SubMount};
use super::systemctl;
use crate::error::{Error, Result};
use crate::journal::{Journal, Stage, escape};
use crate::mount;
use crate::proc::mountinfo;
use crate::stub;

/// How long PID 1 may take to leave the stub for the real init.
const RESUME_TIMEOUT: Duration = Duration::from_secs(60);
/// How long systemd may take to answer systemctl after it resumed (the
/// notes measured 9-18 s in a software-emulated guest).
const SYSTEMCTL_TIMEOUT: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(200);

/// Mounts the recorded submounts that are missing, in their recorded
/// (parent-first) order. Bind mounts cannot be recreated from mountinfo
/// alone: they are journaled, not guessed.
pub fn remount_submounts(j: &mut Journal, rec: &Record) -> Result<()> {
    for m in &rec.submounts {
        let mounts = mountinfo::read_self()?;
        if mountinfo::at(&mounts, &m.path).is_some() {
            continue;
        }
        if m.fs_root != "/" {
            j.log(
                &Stage::Returning,
                "return.warning",
                &format!("why=bind%20mount%20not%20restored path={}", escape(&m.path)),
            )?;
            continue;
        }
        mount_one(m)?;
        j.log(
            &Stage::Returning,
            "return.remount",
            &format!("path={}", escape(&m.path)),
        )?;
    }
    Ok(())
}

fn mount_one(m: &SubMount) -> Result<()> {
    let (flags, _) = mount::split_options(&m.options);
    let (sflags, data) = mount::split_options(&m.super_options);
    mount::mount_fs(
        &m.source,
        Path::new(&m.path),
        &m.fstype,
        flags | sflags,
        &data,
    )
}

/// Whether PID 1 runs from the filesystem of `tmpfs_root`.
fn pid1_on(tmpfs_root: &Path) -> bool {
    match (
        rustix::fs::stat("/proc/1/exe"),
        rustix::fs::stat(tmpfs_root),
    ) {
        (Ok(exe), Ok(t)) => exe.st_dev == t.st_dev,
        _ => false,
    }
}

/// When PID 1 is the stub, writes its trigger and waits until it has
/// exec'd the real init from the restored root.
pub fn wake_init(j: &mut Journal, tmpfs_root: &Path) -> Result<bool> {
    // No FIFO: release never installed the stub (PID 1 may still run from
    // the tmpfs, e.g. rootlift itself exec'd as PID 1 of a test namespace).
    if !pid1_on(tmpfs_root) || !Path::new(stub::FIFO_AFTER_RETURN).exists() {
        return Ok(false);
    }
    let fd = openat(
        CWD,
        stub::FIFO_AFTER_RETURN,
        OFlags::WRONLY | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::sys("open", stub::FIFO_AFTER_RETURN, e))?;
    std::fs::File::from(fd)
        .write_all(&[stub::TRIGGER])
        .map_err(|e| Error::io("write", stub::FIFO_AFTER_RETURN, &e))?;
    let start = Instant::now();
    while pid1_on(tmpfs_root) {
        if start.elapsed() > RESUME_TIMEOUT {
            return Err(Error::Failed(format!(
                "pid 1 is still the init stub {} s after the trigger",
                RESUME_TIMEOUT.as_secs()
            )));
        }
        std::thread::sleep(POLL);
    }
    let exe = std::fs::read_link("/proc/1/exe")
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    j.log(
        &Stage::Returning,
        "return.init-resumed",
        &format!("exe={}", escape(&exe)),
    )?;
    Ok(true)
}

/// systemd resumed: start what release stopped, by target, never
/// `systemctl default` (it isolates and stops transient units).
pub fn start_services(j: &mut Journal) -> Result<()> {
    if !Path::new(systemctl::PATH).exists() {
        // PID 1 resumed; without its systemctl nothing more can be asked of
        // it, and the root is back: say so rather than fail the return.
        return j.log(
            &Stage::Returning,
            "return.warning",
            "why=no%20/usr/bin/systemctl%20on%20the%20restored%20root",
        );
    }
    systemctl::run_until_ok(&["start", "multi-user.target"], SYSTEMCTL_TIMEOUT)?;
    j.log(
        &Stage::Returning,
        "return.services",
        "started=multi-user.target",
    )
}

/// The units restarted into the tmpfs go back onto the real root, by name.
pub fn restart_units(j: &mut Journal, units: &[String]) -> Result<()> {
    if !Path::new(systemctl::PATH).exists() {
        return j.log(
            &Stage::Returning,
            "return.warning",
            &format!(
                "why=no%20/usr/bin/systemctl%20to%20restart units={}",
                escape(&units.join(","))
            ),
        );
    }
    for unit in units {
        systemctl::run_until_ok(&["restart", unit], SYSTEMCTL_TIMEOUT)?;
    }
    j.log(
        &Stage::Returning,
        "return.restarted",
        &format!("units={}", escape(&units.join(","))),
    )
}
