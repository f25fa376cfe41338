//! The group descriptor table (Documentation/filesystems/ext4/
//! group_descr.rst), read one descriptor block at a time so memory stays
//! one block whatever the number of groups.
//!
//! Where descriptor block `i` lives follows ext2fs_open2() and
//! ext2fs_descriptor_block_loc2() (e2fsprogs lib/ext2fs/openfs.c): the
//! blocks before s_first_meta_bg (all of them without meta_bg) follow the
//! primary superblock; with meta_bg, block `i` of the rest is the first
//! block of group `i × descriptors per block`, after its superblock backup
//! if it has one. On a 1 KiB-block bigalloc filesystem block 0 is not part
//! of group 0's metadata, hence the one-block adjustment there.

use super::error::Ext4Error;
use super::features::{INCOMPAT_META_BG, RO_COMPAT_BIGALLOC};
use super::layout::*;
use super::superblock::Superblock;
use crate::elf::bytes::{le_u16, le_u32};
use crate::probe::device::{BlockSource, read_full};

pub struct Descriptors<'a, S: BlockSource + ?Sized> {
    sb: &'a Superblock,
    src: &'a S,
    /// The descriptor block in `buf`, if any.
    cached: Option<u64>,
    buf: Vec<u8>,
}

impl<'a, S: BlockSource + ?Sized> Descriptors<'a, S> {
    pub fn new(sb: &'a Superblock, src: &'a S) -> Self {
        Descriptors {
            sb,
            src,
            cached: None,
            buf: Vec::new(),
        }
    }

    /// The block number of descriptor block `index`.
    fn block_of(&self, index: u64) -> u64 {
        let sb = self.sb;
        let first = u64::from(sb.first_data_block);
        let one_k = sb.block_size() == 1024;
        let first_meta_bg = if sb.has_incompat(INCOMPAT_META_BG) {
            u64::from(sb.first_meta_bg).min(sb.desc_blocks())
        } else {
            sb.desc_blocks()
        };
        if index < first_meta_bg {
            let group_zero_adjust = u64::from(first == 0 && one_k);
            return first
                .saturating_add(group_zero_adjust)
                .saturating_add(1)
                .saturating_add(index);
        }
        let group = sb.desc_per_block().saturating_mul(index);
        let bigalloc_adjust =
            u64::from(index == 0 && one_k && sb.has_ro_compat(RO_COMPAT_BIGALLOC));
        sb.group_first_block(group)
            .saturating_add(u64::from(sb.has_super(group)))
            .saturating_add(bigalloc_adjust)
    }

    /// The descriptor of `group`, as a slice of its descriptor block.
    fn desc(&mut self, group: u64) -> Result<&[u8], Ext4Error> {
        let per_block = self.sb.desc_per_block();
        let index = group / per_block;
        let block = self.block_of(index);
        if self.cached != Some(block) {
            let bs = self.sb.block_size();
            let offset = block.checked_mul(bs).ok_or(Ext4Error::Descriptor {
                block,
                why: "offset overflows".into(),
            })?;
            self.buf.resize(bs as usize, 0);
            let n =
                read_full(self.src, offset, &mut self.buf).map_err(|e| Ext4Error::Descriptor {
                    block,
                    why: crate::error::ErrnoText::io(&e).to_string(),
                })?;
            if n != self.buf.len() {
                self.cached = None;
                return Err(Ext4Error::Descriptor {
                    block,
                    why: format!("short read: {n} of {bs} bytes"),
                });
            }
            self.cached = Some(block);
        }
        let size = self.sb.desc_size() as usize;
        let at = ((group % per_block) as usize).saturating_mul(size);
        self.buf
            .get(at..at.saturating_add(size))
            .ok_or(Ext4Error::Descriptor {
                block,
                why: "descriptor beyond the block".into(),
            })
    }

    /// Whether the descriptors carry the `_hi` halves (EXT2_DESC_SIZE >=
    /// EXT2_MIN_DESC_SIZE_64BIT, as ext4_free_group_clusters() has it).
    fn wide(&self) -> bool {
        self.sb.desc_size() >= EXT4_MIN_DESC_SIZE_64BIT as u64
    }

    /// bg_free_blocks_count of `group` (free clusters under bigalloc).
    pub fn free_blocks(&mut self, group: u64) -> Result<u32, Ext4Error> {
        let wide = self.wide();
        let d = self.desc(group)?;
        let lo = u32::from(le_u16(d, BG_FREE_BLOCKS_COUNT_LO).unwrap_or(0));
        let hi = if wide {
            u32::from(le_u16(d, BG_FREE_BLOCKS_COUNT_HI).unwrap_or(0))
        } else {
            0
        };
        Ok(hi << 16 | lo)
    }

    /// bg_inode_table of `group`: the first block of its inode table.
    pub fn inode_table(&mut self, group: u64) -> Result<u64, Ext4Error> {
        let wide = self.wide();
        let d = self.desc(group)?;
        let lo = u64::from(le_u32(d, BG_INODE_TABLE_LO).unwrap_or(0));
        let hi = if wide {
            u64::from(le_u32(d, BG_INODE_TABLE_HI).unwrap_or(0))
        } else {
            0
        };
        Ok(hi << 32 | lo)
    }
}
