//! The mount a path is on and the block device under it: statx(2)'s
//! `STATX_MNT_ID` matched against the first field of
//! `/proc/self/mountinfo` (proc_pid_mountinfo(5)), so bind mounts and
//! stacked mounts cannot mislead it, and the device node checked by
//! stat(2) against the number the kernel reports.

use std::path::Path;

use rustix::fd::OwnedFd;
use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags, StatxFlags};

use crate::error::{Error, Result};
use crate::proc::mountinfo::{self, Mount};

/// A mounted filesystem, with its mount point open for the resize ioctls.
pub struct Mounted {
    pub mount: Mount,
    /// The mount point, `O_RDONLY | O_DIRECTORY`: both resize ioctls act
    /// on the filesystem of whatever file they are issued on.
    pub dir: OwnedFd,
}

/// The block device a filesystem sits on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockDev {
    /// A node under /dev whose st_rdev is this device.
    pub node: String,
    pub major: u32,
    pub minor: u32,
}

impl Mounted {
    /// The mount `path` is on.
    pub fn of(path: &Path) -> Result<Mounted> {
        let shown = path.display();
        let id =
            mount_id(CWD, path, AtFlags::empty()).map_err(|e| Error::sys("statx", &shown, e))?;
        let mounts = mountinfo::read_self()?;
        let mount = mounts
            .into_iter()
            .find(|m| u64::from(m.mount_id) == id)
            .ok_or_else(|| {
                Error::invalid(
                    "mountinfo",
                    "/proc/self/mountinfo",
                    format!("no mount {id} (the mount of {shown})"),
                )
            })?;
        let dir = rustix::fs::open(
            mount.mount_point.as_str(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Error::sys("open", &mount.mount_point, e))?;
        // The path may name a mount hidden under another one mounted on
        // top of it; then its mount point is not the way to it.
        let opened = mount_id(&dir, "", AtFlags::EMPTY_PATH)
            .map_err(|e| Error::sys("statx", &mount.mount_point, e))?;
        if opened != id {
            return Err(Error::refused(format!(
                "{} is covered by another mount: the filesystem of {shown} is not reachable through it",
                mount.mount_point
            )));
        }
        Ok(Mounted { mount, dir })
    }

    /// Mounted read-only (`ro` in the per-mount or per-superblock options).
    pub fn read_only(&self) -> bool {
        let ro = |opts: &str| opts.split(',').any(|o| o == "ro");
        ro(&self.mount.mount_options) || ro(&self.mount.super_options)
    }

    /// The block device under the filesystem. ext2/3/4 report the device's
    /// own number in mountinfo; btrfs reports an anonymous one (0:N, one
    /// per subvolume, fs/btrfs/disk-io.c), so there the mount source is
    /// the only name of the device.
    pub fn device(&self) -> Result<BlockDev> {
        let m = &self.mount;
        let by_number = m.fstype != "btrfs";
        let want = rustix::fs::makedev(m.major, m.minor);
        let mut candidates = vec![m.source.clone()];
        if by_number {
            candidates.push(format!("/dev/block/{}:{}", m.major, m.minor));
        }
        for node in candidates {
            let Ok(st) = rustix::fs::stat(node.as_str()) else {
                continue;
            };
            if FileType::from_raw_mode(st.st_mode) == FileType::BlockDevice
                && (!by_number || st.st_rdev == want)
            {
                return Ok(BlockDev {
                    major: rustix::fs::major(st.st_rdev),
                    minor: rustix::fs::minor(st.st_rdev),
                    node,
                });
            }
        }
        Err(Error::refused(format!(
            "no device node under /dev for {} ({} {}:{})",
            m.mount_point, m.source, m.major, m.minor
        )))
    }
}

fn mount_id<Fd: rustix::fd::AsFd>(
    dir: Fd,
    path: impl rustix::path::Arg,
    flags: AtFlags,
) -> rustix::io::Result<u64> {
    let st = rustix::fs::statx(dir, path, flags, StatxFlags::MNT_ID)?;
    // STATX_MNT_ID is Linux 5.8; an older kernel leaves the bit clear.
    if st.stx_mask & StatxFlags::MNT_ID.bits() == 0 {
        return Err(rustix::io::Errno::NOSYS);
    }
    Ok(st.stx_mnt_id)
}
