//! The squashfs 4 superblock (fs/squashfs/squashfs_fs.h `struct
//! squashfs_super_block`, little-endian at byte 0; libblkid's probe in
//! superblocks/squashfs.c takes major versions 4 and up). No UUID, no label.

use super::Found;
use super::text::has_magic;
use crate::elf::bytes::{le_u16, le_u32, le_u64};

const SQUASHFS_MAGIC: &[u8; 4] = b"hsqs";
const BLOCK_SIZE: usize = 0x0C;
const S_MAJOR: usize = 0x1C;
const S_MINOR: usize = 0x1E;
const BYTES_USED: usize = 0x28;

pub fn probe(head: &[u8]) -> Option<Found> {
    if !has_magic(head, 0, SQUASHFS_MAGIC) {
        return None;
    }
    let major = le_u16(head, S_MAJOR)?;
    let minor = le_u16(head, S_MINOR)?;
    if major < 4 {
        return None;
    }
    Some(Found {
        fs_type: "squashfs",
        version: Some(format!("{major}.{minor}")),
        size_bytes: le_u64(head, BYTES_USED),
        block_size: le_u32(head, BLOCK_SIZE).map(u64::from),
        ..Found::default()
    })
}
