//! `rootlift grow [SIZE|max] [PATH]`: resize the mounted filesystem holding
//! PATH (default `/`) online, without a lift (docs/commands.md, "Jobs").
//!
//! - ext2/3/4: `EXT4_IOC_RESIZE_FS` (Documentation/admin-guide/ext4.rst,
//!   "Ioctls"; what resize2fs(8) does for a mounted filesystem). Grows
//!   only: shrinking ext4 needs it unmounted (`rootlift shrink`).
//! - btrfs: `BTRFS_IOC_RESIZE` (btrfs-filesystem(8) "resize"), which also
//!   shrinks online, relocating data out of the space given up.
//! - When SIZE is beyond an LVM LV and its VG has the free extents, the LV
//!   is extended first (lvextend(8)); `max` is the device as it is.
//! - xfs (xfs_growfs(8) is its tool) and anything else: refused (exit 3).
//!
//! Every size check happens before anything changes; the sizes after are
//! read back from the device and from statvfs(2), never assumed.

pub mod abi;
mod btrfs;
mod ext4;
mod lvm;
mod mounted;
mod partition;
#[cfg(test)]
mod tests;

use std::path::Path;

use crate::error::{Error, Result};
use crate::output;
use crate::size::GrowTarget;
use crate::sysfs::block::{self, Kind, human_bytes};
use mounted::{BlockDev, Mounted};

pub use lvm::Extended;

/// What a resize did, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub mount_point: String,
    pub fstype: String,
    pub device: String,
    /// Filesystem bytes before and after.
    pub before: u64,
    pub after: u64,
    pub lv: Option<Extended>,
    /// Anything the numbers alone do not say.
    pub note: Option<String>,
}

impl Outcome {
    /// `before` and `after` bytes of the filesystem on `fs`, read from
    /// `device`; no LV extended, no note.
    fn of(fs: &Mounted, device: &str, before: u64, after: u64) -> Outcome {
        Outcome {
            mount_point: fs.mount.mount_point.clone(),
            fstype: fs.mount.fstype.clone(),
            device: device.to_owned(),
            before,
            after,
            lv: None,
            note: None,
        }
    }

    /// `grew /srv (ext4 on /dev/loop0) from 64.0 MiB to 128.0 MiB`, after
    /// a line for the LV when one was extended.
    pub fn text(&self) -> String {
        let mut s = String::new();
        if let Some(lv) = &self.lv {
            s.push_str(&format!(
                "extended {} {} from {} to {}\n",
                lv.what,
                lv.name,
                human_bytes(lv.from),
                human_bytes(lv.to)
            ));
        }
        let what = format!("{} ({} on {})", self.mount_point, self.fstype, self.device);
        let verb = match self.after.cmp(&self.before) {
            std::cmp::Ordering::Greater => "grew",
            std::cmp::Ordering::Less => "shrank",
            std::cmp::Ordering::Equal => "",
        };
        if verb.is_empty() {
            s.push_str(&format!(
                "{what} is already {}: nothing to do\n",
                human_bytes(self.after)
            ));
        } else {
            let (mut from, mut to) = (human_bytes(self.before), human_bytes(self.after));
            // Sizes too close for one decimal are shown to the byte.
            if from == to {
                (from, to) = (
                    format!("{} bytes", self.before),
                    format!("{} bytes", self.after),
                );
            }
            s.push_str(&format!("{verb} {what} from {from} to {to}\n"));
        }
        if let Some(note) = &self.note {
            s.push_str(note);
            s.push('\n');
        }
        s
    }
}

/// `rootlift grow [SIZE|max] [PATH]`.
#[inline(never)]
pub fn command(target: GrowTarget, path: Option<&Path>) -> Result<()> {
    let outcome = grow(target, path.unwrap_or(Path::new("/")))?;
    output::text(&outcome.text())
}

/// Resizes the filesystem holding `path`; see the module doc.
pub fn grow(target: GrowTarget, path: &Path) -> Result<Outcome> {
    let fs = Mounted::of(path)?;
    match fs.mount.fstype.as_str() {
        "ext2" | "ext3" | "ext4" => ext4::grow(&fs, target),
        "btrfs" => btrfs::grow(&fs, target),
        "xfs" => Err(Error::refused(format!(
            "{} is xfs, which rootlift does not resize: grow it with xfs_growfs(8), \
             e.g. 'xfs_growfs {}' (xfs cannot shrink)",
            fs.mount.mount_point, fs.mount.mount_point
        ))),
        other => Err(Error::refused(format!(
            "{} is {other}: rootlift grows ext2/3/4 and btrfs only",
            fs.mount.mount_point
        ))),
    }
}

/// Common refusals before any resize: a read-only mount (the ioctls need
/// mnt_want_write_file(), EROFS).
fn check_writable(fs: &Mounted) -> Result<()> {
    if fs.read_only() {
        return Err(Error::refused(format!(
            "{} is mounted read-only: remount it read-write first",
            fs.mount.mount_point
        )));
    }
    Ok(())
}

/// CAP_SYS_ADMIN and CAP_SYS_RESOURCE (include/uapi/linux/capability.h).
const CAP_SYS_ADMIN: u32 = 21;
const CAP_SYS_RESOURCE: u32 = 24;

/// Refuses when this process lacks the capability `call` needs (a
/// container may drop it even for root); a /proc without `CapEff` leaves
/// the verdict to the kernel.
fn check_capability(bit: u32, name: &str, call: &str) -> Result<()> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let effective = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok());
    match effective {
        Some(caps) if caps & (1u64 << bit) == 0 => Err(Error::refused(format!(
            "{call} needs {name}, which this process does not have"
        ))),
        _ => Ok(()),
    }
}

/// The size asked for, in bytes: for `max` what the device can reach (a
/// partition: up to the next one or the disk's end, see
/// partition::room), else SIZE.
fn wanted(target: GrowTarget, device_bytes: u64) -> u64 {
    match target {
        GrowTarget::Max => device_bytes,
        GrowTarget::Size(size) => size.bytes(),
    }
}

/// What is extended before the filesystem grows.
enum Growth {
    /// The LVM LV `(VG, LV)`.
    Lv(String, String),
    Partition(Box<partition::Plan>),
}

/// Whether the device holds `want` bytes: `Ok(None)` when it does, the LV
/// or partition to extend when it does not and is one; a refusal for
/// anything else too small. Changes nothing (see [`extend_lv`]).
fn device_fit(dev: &BlockDev, want: u64, device_bytes: u64) -> Result<Option<Growth>> {
    if want <= device_bytes {
        return Ok(None);
    }
    let node = block::stack(Path::new("/sys"), dev.major, dev.minor)?;
    match node.kind {
        Kind::Dm {
            lvm: Some((vg, lv)),
            ..
        } => Ok(Some(Growth::Lv(vg, lv))),
        Kind::Partition { .. } => {
            partition::plan(dev, want).map(|p| Some(Growth::Partition(Box::new(p))))
        }
        _ => Err(Error::refused(format!(
            "{} is larger than the device {} ({})",
            human_bytes(want),
            dev.node,
            human_bytes(device_bytes)
        ))),
    }
}

/// Extends the LV or partition [`device_fit`] named to hold `want` bytes
/// (an LV is refused when its VG lacks the extents).
fn extend_lv(
    growth: Option<Growth>,
    dev: &BlockDev,
    want: u64,
    device_bytes: u64,
) -> Result<Option<Extended>> {
    match growth {
        None => Ok(None),
        Some(Growth::Lv(vg, lv)) => {
            lvm::extend(&vg, &lv, dev.major, dev.minor, device_bytes, want).map(Some)
        }
        Some(Growth::Partition(plan)) => partition::extend(*plan).map(Some),
    }
}

/// The bytes statvfs(2) counts in use: (f_blocks - f_bfree) * f_frsize.
fn used_bytes(vfs: &rustix::fs::StatVfs) -> u64 {
    vfs.f_blocks
        .saturating_sub(vfs.f_bfree)
        .saturating_mul(vfs.f_frsize)
}
