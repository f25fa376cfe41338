//! The shrink floor of a mounted ext4 from its live counts: syncfs(2), then
//! statfs(2) (`f_bfree`, `f_ffree`) of its mount point, fed into the same
//! computation as the on-disk floor (floor.rs, "A mounted filesystem"). The
//! superblock and descriptors on the device give only what does not change
//! while it is mounted.

use std::path::Path;

use rustix::fs::{AtFlags, CWD, Mode, OFlags, fstat, fstatvfs, openat, statat, syncfs};

use super::floor::{Floor, Live, live_min_blocks};
use super::read_verified;
use crate::error::{Error, Result};
use crate::probe::device::Device;
use crate::proc::mountinfo;

/// Where a device is mounted, and its floor from the live counts (with
/// the counts) or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mounted {
    pub mount_point: String,
    pub floor: Result<(Live, Floor), String>,
}

/// The floor of the ext4 on block device `dev`, mounted at `mount_point`,
/// and the counts it came from.
pub fn floor(dev: &Path, mount_point: &str) -> Result<(Live, Floor)> {
    let shown = dev.display();
    let dev_st = statat(CWD, dev, AtFlags::empty()).map_err(|e| Error::sys("stat", &shown, e))?;
    let dir = openat(
        CWD,
        mount_point,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::sys("open", mount_point, e))?;

    // The counts must be this filesystem's: files on it carry the
    // device's st_rdev as their st_dev (stat(2)).
    let st = fstat(&dir).map_err(|e| Error::sys("fstat", mount_point, e))?;
    if st.st_dev != dev_st.st_rdev {
        return Err(Error::invalid(
            "mount point",
            mount_point,
            format_args!("is not on {shown}"),
        ));
    }

    // syncfs(2): delayed allocations become blocks with their extent
    // metadata, so the free count below is what an unmount would leave.
    syncfs(&dir).map_err(|e| Error::sys("syncfs", mount_point, e))?;

    // statfs(2): the kernel's own free totals, counted in memory.
    let vfs = fstatvfs(&dir).map_err(|e| Error::sys("statfs", mount_point, e))?;

    let device = Device::open(dev)?;
    let invalid = |e| Error::invalid("ext4 superblock", &shown, e);
    let (sb, verified) = read_verified(&device).map_err(|e| e.into_error(device.path()))?;
    verified.map_err(invalid)?;
    // f_bfree is in f_frsize units (ext4 reports its block size there).
    let free_blocks = vfs
        .f_bfree
        .checked_mul(vfs.f_frsize)
        .and_then(|bytes| bytes.checked_div(sb.block_size()))
        .ok_or_else(|| Error::invalid("statfs", mount_point, "free bytes overflow"))?;
    let live = Live {
        free_blocks,
        free_inodes: vfs.f_ffree,
    };
    let floor = live_min_blocks(&sb, &device, live).map_err(invalid)?;
    Ok((live, floor))
}

/// For `rootlift ext4`: the live floor of block device `dev` when it is
/// mounted in this mount namespace.
pub fn inspect(dev: &Path) -> Option<Mounted> {
    let mount_point = mount_point(dev)?;
    let floor = floor(dev, &mount_point).map_err(|e| e.to_string());
    Some(Mounted { mount_point, floor })
}

/// Where block device `dev` is mounted (its first mount in
/// /proc/self/mountinfo), if it is.
fn mount_point(dev: &Path) -> Option<String> {
    let st = statat(CWD, dev, AtFlags::empty()).ok()?;
    let (major, minor) = (rustix::fs::major(st.st_rdev), rustix::fs::minor(st.st_rdev));
    if rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::BlockDevice {
        return None;
    }
    mountinfo::read_self()
        .ok()?
        .into_iter()
        .find(|m| m.major == major && m.minor == minor)
        .map(|m| m.mount_point)
}
