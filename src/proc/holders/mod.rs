//! `rootlift holders`: every process and kernel object that keeps a
//! filesystem busy, and how (docs/commands.md, "Rescue toolbox"). Matching is by
//! device number, never by path prefix: a file is on the target when its
//! st_dev is the target's (stat(2) of the /proc magic links follows them
//! into whatever mount namespace or chroot the process sees).
//!
//! Per process (proc(5)): `exe`, `cwd`, `root`, each `fd/N` (and an fd that
//! is the target block device itself), each file in `maps`, unix sockets
//! bound on the target, and mounts of it in other mount namespaces. Besides
//! processes: sockets from `/proc/net/unix`, swap files, loop devices backed
//! by files on it, and the devices stacked on it in sysfs.

pub mod blockholders;
pub mod cgroup;
mod intern;
pub mod loops;
pub mod maps;
pub mod mountns;
mod read;
mod report;
mod scan;
pub mod stat;
pub mod swaps;
mod text;
pub mod unix;

use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, CWD, FileType, statat};
use rustix::io::Errno;

pub use blockholders::BlockHolder;
pub use loops::LoopPin;
pub use scan::{each, scan};

use crate::error::{Error, Result};

/// The filesystem (or block device) whose holders are wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// What was named, for the report.
    pub path: PathBuf,
    /// The device number files on it carry as st_dev.
    pub dev: u64,
    pub major: u32,
    pub minor: u32,
}

impl Target {
    fn new(path: &Path, dev: u64) -> Target {
        Target {
            path: path.to_owned(),
            dev,
            major: rustix::fs::major(dev),
            minor: rustix::fs::minor(dev),
        }
    }

    /// The filesystem holding `path`: its st_dev.
    pub fn for_path(path: &Path) -> Result<Target> {
        let st = statat(CWD, path, AtFlags::empty())
            .map_err(|e| Error::sys("stat", path.display(), e))?;
        Ok(Target::new(path, st.st_dev))
    }

    /// The filesystem on block device `path`: its st_rdev, which is the
    /// st_dev of every file of a filesystem mounted from it.
    pub fn for_device(path: &Path) -> Result<Target> {
        let st = statat(CWD, path, AtFlags::empty())
            .map_err(|e| Error::sys("stat", path.display(), e))?;
        if FileType::from_raw_mode(st.st_mode) != FileType::BlockDevice {
            return Err(Error::invalid(
                "device",
                path.display(),
                "not a block device",
            ));
        }
        Ok(Target::new(path, st.st_rdev))
    }

    /// A block device names its filesystem; anything else names the one
    /// it is on.
    pub fn for_path_or_device(path: &Path) -> Result<Target> {
        match statat(CWD, path, AtFlags::empty()) {
            Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::BlockDevice => {
                Target::for_device(path)
            }
            _ => Target::for_path(path),
        }
    }
}

/// One way a process pins the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    Exe(PathBuf),
    Cwd(PathBuf),
    Root(PathBuf),
    /// An open file on the target: fd number and path.
    Fd(u32, PathBuf),
    /// An open fd of the target block device itself.
    FdDevice(u32, PathBuf),
    /// A mapped file on the target whose fd may be long closed.
    Map(PathBuf),
    /// The mount points of the target in the process's own mount namespace.
    MountNs(Vec<String>),
    /// A unix socket the process holds, bound to a path on the target.
    Unix(PathBuf),
}

/// A process that pins the target.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Holder {
    pub pid: u32,
    pub comm: String,
    /// The systemd unit from `/proc/PID/cgroup`.
    pub unit: Option<String>,
    /// rootlift itself: never to be stopped.
    pub is_self: bool,
    pub access: Vec<Access>,
}

/// A pin that is not a process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OtherPin {
    /// A unix socket bound to a path on the target.
    UnixSocket(PathBuf),
    /// A swap file on it (or the swap partition it is).
    Swap(PathBuf),
    Loop(LoopPin),
    /// A device stacked on the target's block device.
    Holder(BlockHolder),
}

/// Something of a process that could not be inspected (other than the
/// process having exited): the scan may be missing a pin there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub pid: u32,
    pub what: &'static str,
    pub errno: Errno,
}

/// Everything found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub target: Target,
    pub processes: Vec<Holder>,
    pub other: Vec<OtherPin>,
    pub unreadable: Vec<Unreadable>,
}

/// What a scan finds besides the processes it hands over one by one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rest {
    pub other: Vec<OtherPin>,
    pub unreadable: Vec<Unreadable>,
}

/// Where the old root is while lifted, `/` otherwise.
pub fn default_target() -> Result<&'static Path> {
    let lifted = crate::lift::is_lifted(&crate::lift::mounts_now()?);
    Ok(Path::new(if lifted { crate::lift::OLDROOT } else { "/" }))
}

/// `rootlift holders [PATH|DEV] [--json]`: a report, so exit 0 even when
/// holders exist. The JSON document is written as the scan goes (a scan
/// that fails half-way leaves it cut, with exit 1); the text table needs
/// its column widths first, so it keeps each holder compactly
/// ([`text::Table`]) and is written at the end.
#[inline(never)]
pub fn command(target: Option<&Path>, json: bool) -> Result<()> {
    let path = match target {
        Some(p) => p,
        None => default_target()?,
    };
    let target = Target::for_path_or_device(path)?;
    let out = &mut |s: &str| crate::output::text(s);
    if json {
        let mut doc = report::JsonDoc::start(&target);
        let rest = each(&target, &mut |h| doc.holder(h, out))?;
        doc.finish(&rest, out)
    } else {
        let mut table = text::Table::default();
        let rest = each(&target, &mut |h| {
            table.holder(h);
            Ok(())
        })?;
        table.write(&target, &rest, out)
    }
}
