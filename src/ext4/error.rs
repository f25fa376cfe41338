//! Why an ext2/3/4 superblock or its group descriptors were rejected. One
//! variant per check, so a caller (and a test) can tell which one failed;
//! the limits are the kernel's (fs/ext4/super.c, ext4_fill_super) and
//! e2fsprogs' (lib/ext2fs/openfs.c, ext2fs_open2).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ext4Error {
    /// Fewer bytes than the structure needs (`len` of `need`).
    Truncated { len: u64, need: u64 },
    /// `s_magic` is not 0xEF53.
    BadMagic(u16),
    /// `s_rev_level` above EXT2_DYNAMIC_REV.
    RevisionTooHigh(u32),
    /// `s_log_block_size` beyond 64 KiB blocks.
    LogBlockSize(u32),
    /// `s_log_cluster_size` out of range, or unequal to the block size
    /// without bigalloc.
    LogClusterSize(u32),
    /// `s_blocks_per_group` impossible (0, < 8, above a bitmap block, or
    /// not `s_clusters_per_group` clusters).
    BlocksPerGroup(u32),
    /// `s_inodes_per_group` impossible.
    InodesPerGroup(u32),
    /// `s_inode_size` not a power of two in 128..=block size.
    InodeSize(u16),
    /// `s_desc_size` (64bit) not a power of two in 64..=1024.
    DescSize(u16),
    /// `s_first_data_block` at or beyond the block count.
    FirstDataBlock(u32),
    /// `s_inodes_count` is not groups × `s_inodes_per_group`.
    InodeCount { inodes: u32, expected: u64 },
    /// `s_log_groups_per_flex` above 31.
    LogGroupsPerFlex(u8),
    /// `s_first_meta_bg` beyond the descriptor blocks.
    FirstMetaBg(u32),
    /// The metadata_csum checksum does not match.
    BadChecksum { stored: u32, computed: u32 },
    /// metadata_csum with a checksum type other than crc32c.
    ChecksumType(u8),
    /// The filesystem claims more bytes than the device holds.
    BeyondDevice { fs_bytes: u64, device_bytes: u64 },
    /// An external journal device (journal_dev) has no block groups.
    JournalDevice,
    /// Free counts larger than the totals: the summary is not consistent.
    Inconsistent(&'static str),
    /// A group descriptor block could not be read in full.
    Descriptor { block: u64, why: String },
}

impl fmt::Display for Ext4Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ext4Error::Truncated { len, need } => {
                write!(f, "truncated: {len} bytes, need {need}")
            }
            Ext4Error::BadMagic(m) => write!(f, "bad magic 0x{m:04x} (want 0xef53)"),
            Ext4Error::RevisionTooHigh(r) => write!(f, "revision {r} is newer than 1"),
            Ext4Error::LogBlockSize(v) => write!(f, "s_log_block_size {v} out of range 0..=6"),
            Ext4Error::LogClusterSize(v) => write!(f, "s_log_cluster_size {v} impossible"),
            Ext4Error::BlocksPerGroup(v) => write!(f, "s_blocks_per_group {v} impossible"),
            Ext4Error::InodesPerGroup(v) => write!(f, "s_inodes_per_group {v} impossible"),
            Ext4Error::InodeSize(v) => write!(f, "s_inode_size {v} impossible"),
            Ext4Error::DescSize(v) => write!(f, "s_desc_size {v} impossible"),
            Ext4Error::FirstDataBlock(v) => {
                write!(f, "s_first_data_block {v} at or beyond the block count")
            }
            Ext4Error::InodeCount { inodes, expected } => write!(
                f,
                "s_inodes_count {inodes} is not groups x inodes per group ({expected})"
            ),
            Ext4Error::LogGroupsPerFlex(v) => write!(f, "s_log_groups_per_flex {v} above 31"),
            Ext4Error::FirstMetaBg(v) => {
                write!(f, "s_first_meta_bg {v} beyond the descriptor blocks")
            }
            Ext4Error::BadChecksum { stored, computed } => write!(
                f,
                "superblock checksum mismatch: stored 0x{stored:08x}, computed 0x{computed:08x}"
            ),
            Ext4Error::ChecksumType(t) => write!(f, "unknown checksum type {t}"),
            Ext4Error::BeyondDevice {
                fs_bytes,
                device_bytes,
            } => write!(
                f,
                "filesystem of {fs_bytes} bytes is larger than the device ({device_bytes} bytes)"
            ),
            Ext4Error::JournalDevice => write!(f, "an external journal device has no block groups"),
            Ext4Error::Inconsistent(what) => write!(f, "inconsistent counts: {what}"),
            Ext4Error::Descriptor { block, why } => {
                write!(f, "group descriptor block {block}: {why}")
            }
        }
    }
}

impl std::error::Error for Ext4Error {}
