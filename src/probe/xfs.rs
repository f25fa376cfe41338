//! The XFS superblock (fs/xfs/libxfs/xfs_format.h `struct xfs_dsb`,
//! big-endian, at byte 0; the probe and its sanity checks are those of
//! libblkid/src/superblocks/xfs.c, xfs_verify_sb).

use super::Found;
use super::text::{be_u16, be_u32, be_u64, has_magic, label_at, uuid_at};

const XFS_SB_MAGIC: &[u8; 4] = b"XFSB";
const SB_BLOCKSIZE: usize = 0x04;
const SB_DBLOCKS: usize = 0x08;
const SB_UUID: usize = 0x20;
const SB_REXTSIZE: usize = 0x50;
const SB_AGBLOCKS: usize = 0x54;
const SB_AGCOUNT: usize = 0x58;
const SB_SECTSIZE: usize = 0x66;
const SB_INODESIZE: usize = 0x68;
const SB_FNAME: usize = 0x6C;
const SB_FNAME_LEN: usize = 12;
const SB_BLOCKLOG: usize = 0x78;
const SB_SECTLOG: usize = 0x79;
const SB_INODELOG: usize = 0x7A;
const SB_INOPBLOG: usize = 0x7B;

const XFS_MIN_BLOCKSIZE_LOG: u8 = 9;
const XFS_MAX_BLOCKSIZE_LOG: u8 = 16;
const XFS_MIN_SECTORSIZE_LOG: u8 = 9;
const XFS_MAX_SECTORSIZE_LOG: u8 = 15;
const XFS_DINODE_MIN_LOG: u8 = 8;
const XFS_DINODE_MAX_LOG: u8 = 11;
const XFS_MIN_RTEXTSIZE: u64 = 4 * 1024;
const XFS_MAX_RTEXTSIZE: u64 = 1024 * 1024 * 1024;
const XFS_MIN_AG_BLOCKS: u64 = 64;

/// A power of two `1 << log` with `log` in `min..=max`, equal to `size`.
fn log_matches(size: u64, log: u8, min: u8, max: u8) -> bool {
    (min..=max).contains(&log) && size == 1u64 << log
}

pub fn probe(head: &[u8]) -> Option<Found> {
    if !has_magic(head, 0, XFS_SB_MAGIC) {
        return None;
    }
    let blocksize = u64::from(be_u32(head, SB_BLOCKSIZE)?);
    let dblocks = be_u64(head, SB_DBLOCKS)?;
    let rextsize = u64::from(be_u32(head, SB_REXTSIZE)?);
    let agblocks = u64::from(be_u32(head, SB_AGBLOCKS)?);
    let agcount = u64::from(be_u32(head, SB_AGCOUNT)?);
    let sectsize = u64::from(be_u16(head, SB_SECTSIZE)?);
    let inodesize = u64::from(be_u16(head, SB_INODESIZE)?);
    let blocklog = *head.get(SB_BLOCKLOG)?;
    let sectlog = *head.get(SB_SECTLOG)?;
    let inodelog = *head.get(SB_INODELOG)?;
    let inopblog = *head.get(SB_INOPBLOG)?;
    let rtext_bytes = rextsize * blocksize;
    let valid = agcount > 0
        && log_matches(
            sectsize,
            sectlog,
            XFS_MIN_SECTORSIZE_LOG,
            XFS_MAX_SECTORSIZE_LOG,
        )
        && log_matches(
            blocksize,
            blocklog,
            XFS_MIN_BLOCKSIZE_LOG,
            XFS_MAX_BLOCKSIZE_LOG,
        )
        && log_matches(inodesize, inodelog, XFS_DINODE_MIN_LOG, XFS_DINODE_MAX_LOG)
        && blocklog.checked_sub(inodelog) == Some(inopblog)
        && (XFS_MIN_RTEXTSIZE..=XFS_MAX_RTEXTSIZE).contains(&rtext_bytes)
        && dblocks != 0
        && dblocks <= agcount * agblocks
        && dblocks >= (agcount - 1) * agblocks + XFS_MIN_AG_BLOCKS;
    if !valid {
        return None;
    }
    Some(Found {
        fs_type: "xfs",
        uuid: uuid_at(head, SB_UUID),
        label: label_at(head, SB_FNAME, SB_FNAME_LEN),
        version: None,
        size_bytes: dblocks.checked_mul(blocksize),
        block_size: Some(sectsize),
    })
}
