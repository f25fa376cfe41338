//! The facts a job's safety checks need, from our own readers: the ext
//! superblock (block size, count, floor, state) and the device's size from
//! sysfs (Documentation/ABI/stable/sysfs-block: `size` in 512-byte sectors).

use crate::error::{Error, Result};
use crate::ext4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The device the superblock was read from.
    pub device: String,
    pub block_size: u64,
    pub block_count: u64,
    /// Free blocks as the on-disk superblock counts them.
    pub free_blocks: u64,
    /// The shrink floor (ext4 reader's `min_blocks`, margin included).
    pub min_blocks: u64,
    pub clean: bool,
    pub errors: bool,
    pub needs_recovery: bool,
    pub orphans: bool,
    pub checksum_ok: bool,
    /// Why this filesystem cannot be shrunk at all (bigalloc, an external
    /// journal, unknown incompat features), whatever the size.
    pub refusal: Option<String>,
}

/// Reads the superblock of `dev`.
pub fn read(dev: &str) -> Result<Facts> {
    // A superblock our reader rejects (bad magic, bad checksum, impossible
    // geometry) is one no job may act on: a refusal, nothing changed.
    let sb = ext4::read_superblock(std::path::Path::new(dev)).map_err(|e| match e {
        e if matches!(e.kind(), crate::error::Kind::Invalid { .. }) => {
            Error::refused(format!("the filesystem on {dev} cannot be trusted: {e}"))
        }
        other => other,
    })?;
    Ok(Facts {
        device: dev.to_owned(),
        block_size: sb.block_size(),
        block_count: sb.block_count(),
        free_blocks: sb.free_blocks_count,
        min_blocks: sb.min_blocks(),
        clean: sb.is_clean(),
        errors: sb.has_errors(),
        needs_recovery: sb.needs_recovery(),
        orphans: sb.orphan_present(),
        checksum_ok: sb.checksum_ok(),
        refusal: sb.shrink_refusal().map(|why| why.to_string()),
    })
}

/// The size in bytes of block device MAJ:MIN.
pub fn device_bytes(major: u32, minor: u32) -> Result<u64> {
    let path = format!("/sys/dev/block/{major}:{minor}/size");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io("read", &path, &e))?;
    let sectors: u64 = text
        .trim()
        .parse()
        .map_err(|_| Error::invalid("sysfs size", &path, format!("{text:?}")))?;
    sectors
        .checked_mul(512)
        .ok_or_else(|| Error::invalid("sysfs size", &path, "overflows"))
}

/// The floor of a mounted filesystem, from the kernel's live free counts
/// (statfs(2) of `mount_point`) fed into the same computation as the
/// on-disk floor: on a mounted filesystem the superblock's free counts and
/// the descriptors are stale by different amounts, so neither is used for
/// them (see ext4::floor). The offline check after e2fsck reads an exact
/// superblock again.
pub fn live_floor(f: &Facts, mount_point: &str) -> Result<u64> {
    Ok(ext4::live::superblock(std::path::Path::new(&f.device), mount_point)?.min_blocks())
}
