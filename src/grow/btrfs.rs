//! Online resize of a mounted single-device btrfs with `BTRFS_IOC_RESIZE`
//! (btrfs-filesystem(8) "resize": `[devid:][+/-]<size>[kKmMgGtTpPeE]|
//! [devid:]max`, grows and shrinks a mounted filesystem; a shrink relocates
//! the chunks beyond the new end first).
//!
//! The sizes before and after come from the primary superblock on the
//! device (`struct btrfs_super_block`, include/uapi/linux/btrfs_tree.h,
//! little-endian at 64 KiB, crc32c over bytes 0x20..0x1000 when
//! csum_type is 0) with its embedded `struct btrfs_dev_item` for the
//! device read: `total_bytes` there is the size the filesystem uses of
//! that device.

use rustix::fd::AsFd;

use super::abi::{BTRFS_ERROR_DEV_EXCL_RUN_IN_PROGRESS, BTRFS_MIN_RESIZE, BtrfsIoctlVolArgs};
use super::mounted::Mounted;
use super::{
    CAP_SYS_ADMIN, Outcome, check_capability, check_writable, device_fit, extend_lv, used_bytes,
    wanted,
};
use crate::crc32c;
use crate::elf::bytes::{le_u16, le_u32, le_u64};
use crate::error::{Error, Result};
use crate::job::facts;
use crate::probe::device::Device;
use crate::size::GrowTarget;
use crate::sysfs::block::human_bytes;

/// Where the primary superblock lives, and its size (BTRFS_SUPER_INFO_*).
pub const SUPER_OFFSET: u64 = 0x1_0000;
pub const SUPER_SIZE: usize = 0x1000;

// Offsets inside struct btrfs_super_block.
const CSUM: usize = 0x00;
/// The checksum covers everything after the 32-byte csum field.
const CSUM_FROM: usize = 0x20;
const MAGIC: usize = 0x40;
const TOTAL_BYTES: usize = 0x70;
const BYTES_USED: usize = 0x78;
const NUM_DEVICES: usize = 0x88;
const SECTORSIZE: usize = 0x90;
const CSUM_TYPE: usize = 0xC4;
/// `struct btrfs_dev_item dev_item` (packed): devid, total_bytes,
/// bytes_used first.
const DEV_ITEM: usize = 0xC9;
const DEV_DEVID: usize = DEV_ITEM;
const DEV_TOTAL_BYTES: usize = DEV_ITEM + 0x08;
const DEV_BYTES_USED: usize = DEV_ITEM + 0x10;

const BTRFS_MAGIC: &[u8; 8] = b"_BHRfS_M";
const BTRFS_CSUM_TYPE_CRC32: u16 = 0;

/// The superblock fields a resize needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Super {
    /// Of the whole filesystem (all devices).
    pub total_bytes: u64,
    /// Logical bytes in use.
    pub bytes_used: u64,
    pub num_devices: u64,
    pub sectorsize: u32,
    /// Of the device this superblock was read from.
    pub devid: u64,
    pub dev_total_bytes: u64,
    /// Bytes of the device allocated to chunks.
    pub dev_bytes_used: u64,
    /// False when csum_type is not crc32c, which this reader does not
    /// compute (the xxhash, sha256 and blake2 variants).
    pub csum_checked: bool,
}

impl Super {
    /// Parses the 4 KiB primary superblock.
    pub fn parse(b: &[u8]) -> Result<Super, String> {
        let sb = b
            .get(..SUPER_SIZE)
            .ok_or_else(|| format!("{} bytes, a superblock is {SUPER_SIZE}", b.len()))?;
        if sb.get(MAGIC..MAGIC + 8) != Some(BTRFS_MAGIC.as_slice()) {
            return Err("no btrfs magic".into());
        }
        let u64_at = |at: usize| le_u64(sb, at).ok_or("truncated");
        let csum_type = le_u16(sb, CSUM_TYPE).ok_or("truncated")?;
        let csum_checked = csum_type == BTRFS_CSUM_TYPE_CRC32;
        if csum_checked {
            let stored = le_u32(sb, CSUM).ok_or("truncated")?;
            let computed = crc32c::checksum(sb.get(CSUM_FROM..).unwrap_or(&[]));
            if stored != computed {
                return Err(format!(
                    "superblock checksum {stored:#010x}, computed {computed:#010x}"
                ));
            }
        }
        let s = Super {
            total_bytes: u64_at(TOTAL_BYTES)?,
            bytes_used: u64_at(BYTES_USED)?,
            num_devices: u64_at(NUM_DEVICES)?,
            sectorsize: le_u32(sb, SECTORSIZE).ok_or("truncated")?,
            devid: u64_at(DEV_DEVID)?,
            dev_total_bytes: u64_at(DEV_TOTAL_BYTES)?,
            dev_bytes_used: u64_at(DEV_BYTES_USED)?,
            csum_checked,
        };
        // The kernel's own limits (btrfs_validate_super): sectorsize a
        // power of two from 4 KiB to 64 KiB; devid 0 is no device.
        if !s.sectorsize.is_power_of_two() || !(4096..=65536).contains(&s.sectorsize) {
            return Err(format!("sectorsize {}", s.sectorsize));
        }
        if s.num_devices == 0 || s.devid == 0 {
            return Err(format!("num_devices {} devid {}", s.num_devices, s.devid));
        }
        if s.dev_total_bytes > s.total_bytes {
            return Err(format!(
                "device total {} above the filesystem's {}",
                s.dev_total_bytes, s.total_bytes
            ));
        }
        Ok(s)
    }

    /// Reads the primary superblock of the device at `node`.
    pub fn read(node: &str) -> Result<Super> {
        let dev = Device::open(std::path::Path::new(node))?;
        let bytes = dev.read_vec(SUPER_OFFSET, SUPER_SIZE)?;
        Super::parse(&bytes).map_err(|why| Error::invalid("btrfs superblock", node, why))
    }
}

/// The `name` of BTRFS_IOC_RESIZE: `DEVID:BYTES`, the device by id so a
/// filesystem whose only device is not devid 1 is still the one resized.
pub fn resize_name(devid: u64, bytes: u64) -> String {
    format!("{devid}:{bytes}")
}

pub fn grow(fs: &Mounted, target: GrowTarget) -> Result<Outcome> {
    let mp = fs.mount.mount_point.as_str();
    check_writable(fs)?;
    let dev = fs.device()?;
    // Commit the running transaction first (syncfs(2) is a btrfs commit)
    // so the superblock on the device and statvfs(2) agree.
    rustix::fs::syncfs(&fs.dir).map_err(|e| Error::sys("syncfs", mp, e))?;
    let before = Super::read(&dev.node)?;
    if before.num_devices != 1 {
        return Err(Error::refused(format!(
            "{mp} is a btrfs of {} devices: resize each device with 'btrfs filesystem resize DEVID:SIZE {mp}'",
            before.num_devices
        )));
    }
    let sector = u64::from(before.sectorsize);
    let device_bytes = facts::device_bytes(dev.major, dev.minor)?;
    // btrfs_ioctl_resize() rounds the size down to the sector size.
    let reach = super::partition::room(&dev, device_bytes);
    let want = wanted(target, reach) / sector * sector;
    // btrfs_ioctl_resize(): `new_size < SZ_256M` is EINVAL.
    if want < BTRFS_MIN_RESIZE {
        return Err(Error::refused(format!(
            "btrfs does not resize a device below {} ({} asked for)",
            human_bytes(BTRFS_MIN_RESIZE),
            human_bytes(want)
        )));
    }
    // A shrink below the data cannot succeed (btrfs_shrink_device() would
    // relocate chunks until ENOSPC): statvfs(2) counts data and metadata.
    let vfs_before = rustix::fs::fstatvfs(&fs.dir).map_err(|e| Error::sys("statvfs", mp, e))?;
    let used = used_bytes(&vfs_before).max(before.bytes_used);
    if want < before.dev_total_bytes && want < used {
        return Err(Error::refused(format!(
            "{} is below the {} in use on {mp}",
            human_bytes(want),
            human_bytes(used)
        )));
    }
    if want == before.dev_total_bytes {
        return Ok(Outcome::of(fs, &dev.node, want, want));
    }
    let lv = device_fit(&dev, want, device_bytes)?;
    // btrfs_ioctl_resize(): `!capable(CAP_SYS_ADMIN)` is EPERM.
    check_capability(CAP_SYS_ADMIN, "CAP_SYS_ADMIN", "BTRFS_IOC_RESIZE")?;
    // The first change: the LV, when SIZE is beyond it.
    let lv = extend_lv(lv, &dev, want, device_bytes)?;
    let args = BtrfsIoctlVolArgs::with_name(&resize_name(before.devid, want))
        .ok_or_else(|| Error::failed("btrfs resize argument too long".into()))?;
    // The resize: a grow adds the space in one transaction; a shrink first
    // relocates every chunk beyond the new end, and on failure the kernel
    // puts the device's old size back (btrfs_shrink_device()).
    let answer = crate::sys::btrfs_resize(fs.dir.as_fd(), &args).map_err(|e| match e {
        rustix::io::Errno::NOSPC => Error::failed(format!(
            "btrfs could not move its data below {} on {mp} (ENOSPC): the filesystem keeps its size",
            human_bytes(want)
        )),
        e => Error::sys("ioctl BTRFS_IOC_RESIZE", mp, e),
    })?;
    if answer == BTRFS_ERROR_DEV_EXCL_RUN_IN_PROGRESS {
        return Err(Error::failed(format!(
            "ioctl BTRFS_IOC_RESIZE {mp}: another exclusive operation (balance, device add/remove/replace, resize) is running"
        )));
    }
    if answer != 0 {
        return Err(Error::failed(format!(
            "ioctl BTRFS_IOC_RESIZE {mp}: btrfs error code {answer}"
        )));
    }
    // After: both resize paths end in a transaction commit, which writes
    // the superblock; read it back, and statvfs(2) must have moved too.
    let after = Super::read(&dev.node)?;
    let vfs_after = rustix::fs::fstatvfs(&fs.dir).map_err(|e| Error::sys("statvfs", mp, e))?;
    let moved = if want > before.dev_total_bytes {
        vfs_after.f_blocks > vfs_before.f_blocks
    } else {
        vfs_after.f_blocks < vfs_before.f_blocks
    };
    if after.dev_total_bytes != want || !moved {
        return Err(Error::failed(format!(
            "BTRFS_IOC_RESIZE on {mp} succeeded but the device holds {} bytes of the filesystem, expected {want} (statvfs {} -> {} blocks)",
            after.dev_total_bytes, vfs_before.f_blocks, vfs_after.f_blocks
        )));
    }
    Ok(Outcome {
        lv,
        ..Outcome::of(fs, &dev.node, before.dev_total_bytes, after.dev_total_bytes)
    })
}
