//! The btrfs superblock (fs/btrfs/ctree.h / uapi linux/btrfs_tree.h `struct
//! btrfs_super_block`, little-endian, primary copy at 64 KiB; the probe of
//! libblkid/src/superblocks/btrfs.c, which ignores devices under 1 MiB).

use super::Found;
use super::text::{has_magic, label_at, uuid_at};
use crate::elf::bytes::{le_u32, le_u64};

const SUPER_OFFSET: usize = 0x10000;
const BTRFS_MAGIC: &[u8; 8] = b"_BHRfS_M";
const MIN_DEVICE: u64 = 1024 * 1024;

// Offsets inside struct btrfs_super_block.
const FSID: usize = 0x20;
const MAGIC: usize = 0x40;
const TOTAL_BYTES: usize = 0x70;
const SECTORSIZE: usize = 0x90;
const LABEL: usize = 0x12B;
const LABEL_LEN: usize = 256;

pub fn probe(head: &[u8], device_bytes: u64) -> Option<Found> {
    if device_bytes < MIN_DEVICE {
        return None;
    }
    let sb = head.get(SUPER_OFFSET..)?;
    if !has_magic(sb, MAGIC, BTRFS_MAGIC) {
        return None;
    }
    Some(Found {
        fs_type: "btrfs",
        uuid: uuid_at(sb, FSID),
        label: label_at(sb, LABEL, LABEL_LEN),
        version: None,
        size_bytes: le_u64(sb, TOTAL_BYTES),
        block_size: le_u32(sb, SECTORSIZE).map(u64::from),
    })
}
