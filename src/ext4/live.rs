//! The live counts of a mounted ext4: syncfs(2), then statfs(2) of its
//! mount point (`f_bfree`, `f_ffree`), for the floor computed from them
//! (floor.rs, "A mounted filesystem").

use std::path::Path;

use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags, fstatvfs, openat, statat, syncfs};

use super::Superblock;
use super::floor::{Floor, Live};
use crate::error::{Error, Result};
use crate::proc::mountinfo;

/// The free totals of the filesystem mounted at `mount_point`.
pub fn counts(mount_point: &str) -> Result<Live> {
    let dir = openat(
        CWD,
        mount_point,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::sys("open", mount_point, e))?;

    // syncfs(2): delayed allocations become blocks with their extent
    // metadata, so the free count below is what an unmount would leave.
    syncfs(&dir).map_err(|e| Error::sys("syncfs", mount_point, e))?;

    // statfs(2): the kernel's own free totals, counted in memory.
    let vfs = fstatvfs(&dir).map_err(|e| Error::sys("statfs", mount_point, e))?;
    Ok(Live {
        free_bytes: vfs.f_bfree.saturating_mul(vfs.f_frsize),
        free_inodes: vfs.f_ffree,
    })
}

/// The superblock of block device `dev`, mounted at `mount_point`, with
/// its floor computed from the live counts: the one floor of a mounted
/// filesystem, which a live job checks against, `plan` shows and
/// `rootlift ext4` reports.
pub fn superblock(dev: &Path, mount_point: &str) -> Result<Superblock> {
    super::read_superblock_live(dev, counts(mount_point)?)
}

/// Where a device is mounted, and its floor from the live counts (none
/// when they could not be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mounted {
    pub mount_point: String,
    pub floor: Option<Floor>,
}

/// For `rootlift ext4`: the live floor of block device `dev` when it is
/// mounted in this mount namespace (its first mount in
/// /proc/self/mountinfo).
pub fn inspect(dev: &Path) -> Option<Mounted> {
    let st = statat(CWD, dev, AtFlags::empty()).ok()?;
    if FileType::from_raw_mode(st.st_mode) != FileType::BlockDevice {
        return None;
    }
    let (major, minor) = (rustix::fs::major(st.st_rdev), rustix::fs::minor(st.st_rdev));
    let mount_point = mountinfo::read_self()
        .ok()?
        .into_iter()
        .find(|m| m.major == major && m.minor == minor)?
        .mount_point;
    let floor = superblock(dev, &mount_point).ok().and_then(|sb| sb.floor);
    Some(Mounted { mount_point, floor })
}
