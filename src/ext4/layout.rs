//! The on-disk layout of the ext4 superblock and group descriptor, verbatim
//! from the kernel's fs/ext4/ext4.h (`struct ext4_super_block`,
//! `struct ext4_group_desc`; documented in
//! Documentation/filesystems/ext4/super.rst and group_descr.rst).
//!
//! The structs are never overlaid on disk bytes: they exist so that the byte
//! offsets the reader uses (the `S_*` and `BG_*` constants below) are checked
//! at compile time against the kernel's field order with `offset_of!`.

#![allow(dead_code, non_camel_case_types)]

use core::mem::{offset_of, size_of};
use static_assertions::const_assert_eq;

/// `struct ext4_super_block` (fs/ext4/ext4.h), little-endian on disk.
#[repr(C)]
pub struct ext4_super_block {
    pub s_inodes_count: u32,
    pub s_blocks_count_lo: u32,
    pub s_r_blocks_count_lo: u32,
    pub s_free_blocks_count_lo: u32,
    pub s_free_inodes_count: u32,
    pub s_first_data_block: u32,
    pub s_log_block_size: u32,
    pub s_log_cluster_size: u32,
    pub s_blocks_per_group: u32,
    pub s_clusters_per_group: u32,
    pub s_inodes_per_group: u32,
    pub s_mtime: u32,
    pub s_wtime: u32,
    pub s_mnt_count: u16,
    pub s_max_mnt_count: i16,
    pub s_magic: u16,
    pub s_state: u16,
    pub s_errors: u16,
    pub s_minor_rev_level: u16,
    pub s_lastcheck: u32,
    pub s_checkinterval: u32,
    pub s_creator_os: u32,
    pub s_rev_level: u32,
    pub s_def_resuid: u16,
    pub s_def_resgid: u16,
    pub s_first_ino: u32,
    pub s_inode_size: u16,
    pub s_block_group_nr: u16,
    pub s_feature_compat: u32,
    pub s_feature_incompat: u32,
    pub s_feature_ro_compat: u32,
    pub s_uuid: [u8; 16],
    pub s_volume_name: [u8; 16],
    pub s_last_mounted: [u8; 64],
    pub s_algorithm_usage_bitmap: u32,
    pub s_prealloc_blocks: u8,
    pub s_prealloc_dir_blocks: u8,
    pub s_reserved_gdt_blocks: u16,
    pub s_journal_uuid: [u8; 16],
    pub s_journal_inum: u32,
    pub s_journal_dev: u32,
    pub s_last_orphan: u32,
    pub s_hash_seed: [u32; 4],
    pub s_def_hash_version: u8,
    pub s_jnl_backup_type: u8,
    pub s_desc_size: u16,
    pub s_default_mount_opts: u32,
    pub s_first_meta_bg: u32,
    pub s_mkfs_time: u32,
    pub s_jnl_blocks: [u32; 17],
    pub s_blocks_count_hi: u32,
    pub s_r_blocks_count_hi: u32,
    pub s_free_blocks_count_hi: u32,
    pub s_min_extra_isize: u16,
    pub s_want_extra_isize: u16,
    pub s_flags: u32,
    pub s_raid_stride: u16,
    pub s_mmp_update_interval: u16,
    pub s_mmp_block: u64,
    pub s_raid_stripe_width: u32,
    pub s_log_groups_per_flex: u8,
    pub s_checksum_type: u8,
    pub s_encryption_level: u8,
    pub s_reserved_pad: u8,
    pub s_kbytes_written: u64,
    pub s_snapshot_inum: u32,
    pub s_snapshot_id: u32,
    pub s_snapshot_r_blocks_count: u64,
    pub s_snapshot_list: u32,
    pub s_error_count: u32,
    pub s_first_error_time: u32,
    pub s_first_error_ino: u32,
    pub s_first_error_block: u64,
    pub s_first_error_func: [u8; 32],
    pub s_first_error_line: u32,
    pub s_last_error_time: u32,
    pub s_last_error_ino: u32,
    pub s_last_error_line: u32,
    pub s_last_error_block: u64,
    pub s_last_error_func: [u8; 32],
    pub s_mount_opts: [u8; 64],
    pub s_usr_quota_inum: u32,
    pub s_grp_quota_inum: u32,
    pub s_overhead_clusters: u32,
    pub s_backup_bgs: [u32; 2],
    pub s_encrypt_algos: [u8; 4],
    pub s_encrypt_pw_salt: [u8; 16],
    pub s_lpf_ino: u32,
    pub s_prj_quota_inum: u32,
    pub s_checksum_seed: u32,
    pub s_wtime_hi: u8,
    pub s_mtime_hi: u8,
    pub s_mkfs_time_hi: u8,
    pub s_lastcheck_hi: u8,
    pub s_first_error_time_hi: u8,
    pub s_last_error_time_hi: u8,
    pub s_first_error_errcode: u8,
    pub s_last_error_errcode: u8,
    pub s_encoding: u16,
    pub s_encoding_flags: u16,
    pub s_orphan_file_inum: u32,
    pub s_reserved: [u32; 94],
    pub s_checksum: u32,
}

/// `struct ext4_group_desc` (fs/ext4/ext4.h). The first 32 bytes are the
/// whole descriptor without INCOMPAT_64BIT; the `_hi` halves follow.
#[repr(C)]
pub struct ext4_group_desc {
    pub bg_block_bitmap_lo: u32,
    pub bg_inode_bitmap_lo: u32,
    pub bg_inode_table_lo: u32,
    pub bg_free_blocks_count_lo: u16,
    pub bg_free_inodes_count_lo: u16,
    pub bg_used_dirs_count_lo: u16,
    pub bg_flags: u16,
    pub bg_exclude_bitmap_lo: u32,
    pub bg_block_bitmap_csum_lo: u16,
    pub bg_inode_bitmap_csum_lo: u16,
    pub bg_itable_unused_lo: u16,
    pub bg_checksum: u16,
    pub bg_block_bitmap_hi: u32,
    pub bg_inode_bitmap_hi: u32,
    pub bg_inode_table_hi: u32,
    pub bg_free_blocks_count_hi: u16,
    pub bg_free_inodes_count_hi: u16,
    pub bg_used_dirs_count_hi: u16,
    pub bg_itable_unused_hi: u16,
    pub bg_exclude_bitmap_hi: u32,
    pub bg_block_bitmap_csum_hi: u16,
    pub bg_inode_bitmap_csum_hi: u16,
    pub bg_reserved: u32,
}

/// Where the primary superblock starts on the device.
pub const SUPERBLOCK_OFFSET: u64 = 0x400;
/// Its size.
pub const SUPERBLOCK_SIZE: usize = 0x400;

// Superblock field offsets, as read by superblock.rs.
pub const S_INODES_COUNT: usize = 0x00;
pub const S_BLOCKS_COUNT_LO: usize = 0x04;
pub const S_R_BLOCKS_COUNT_LO: usize = 0x08;
pub const S_FREE_BLOCKS_COUNT_LO: usize = 0x0C;
pub const S_FREE_INODES_COUNT: usize = 0x10;
pub const S_FIRST_DATA_BLOCK: usize = 0x14;
pub const S_LOG_BLOCK_SIZE: usize = 0x18;
pub const S_LOG_CLUSTER_SIZE: usize = 0x1C;
pub const S_BLOCKS_PER_GROUP: usize = 0x20;
pub const S_CLUSTERS_PER_GROUP: usize = 0x24;
pub const S_INODES_PER_GROUP: usize = 0x28;
pub const S_MTIME: usize = 0x2C;
pub const S_WTIME: usize = 0x30;
pub const S_MNT_COUNT: usize = 0x34;
pub const S_MAX_MNT_COUNT: usize = 0x36;
pub const S_MAGIC: usize = 0x38;
pub const S_STATE: usize = 0x3A;
pub const S_ERRORS: usize = 0x3C;
pub const S_MINOR_REV_LEVEL: usize = 0x3E;
pub const S_LASTCHECK: usize = 0x40;
pub const S_CHECKINTERVAL: usize = 0x44;
pub const S_CREATOR_OS: usize = 0x48;
pub const S_REV_LEVEL: usize = 0x4C;
pub const S_FIRST_INO: usize = 0x54;
pub const S_INODE_SIZE: usize = 0x58;
pub const S_FEATURE_COMPAT: usize = 0x5C;
pub const S_FEATURE_INCOMPAT: usize = 0x60;
pub const S_FEATURE_RO_COMPAT: usize = 0x64;
pub const S_UUID: usize = 0x68;
pub const S_VOLUME_NAME: usize = 0x78;
pub const S_LAST_MOUNTED: usize = 0x88;
pub const S_RESERVED_GDT_BLOCKS: usize = 0xCE;
pub const S_JOURNAL_UUID: usize = 0xD0;
pub const S_JOURNAL_INUM: usize = 0xE0;
pub const S_JOURNAL_DEV: usize = 0xE4;
pub const S_LAST_ORPHAN: usize = 0xE8;
pub const S_DESC_SIZE: usize = 0xFE;
pub const S_DEFAULT_MOUNT_OPTS: usize = 0x100;
pub const S_FIRST_META_BG: usize = 0x104;
pub const S_MKFS_TIME: usize = 0x108;
pub const S_BLOCKS_COUNT_HI: usize = 0x150;
pub const S_R_BLOCKS_COUNT_HI: usize = 0x154;
pub const S_FREE_BLOCKS_COUNT_HI: usize = 0x158;
pub const S_MIN_EXTRA_ISIZE: usize = 0x15C;
pub const S_WANT_EXTRA_ISIZE: usize = 0x15E;
pub const S_FLAGS: usize = 0x160;
pub const S_RAID_STRIDE: usize = 0x164;
pub const S_RAID_STRIPE_WIDTH: usize = 0x170;
pub const S_LOG_GROUPS_PER_FLEX: usize = 0x174;
pub const S_CHECKSUM_TYPE: usize = 0x175;
pub const S_OVERHEAD_CLUSTERS: usize = 0x248;
pub const S_BACKUP_BGS: usize = 0x24C;
pub const S_CHECKSUM_SEED: usize = 0x270;
pub const S_ORPHAN_FILE_INUM: usize = 0x280;
pub const S_CHECKSUM: usize = 0x3FC;

// Group descriptor field offsets, as read by descriptors.rs.
pub const BG_INODE_TABLE_LO: usize = 0x08;
pub const BG_FREE_BLOCKS_COUNT_LO: usize = 0x0C;
pub const BG_INODE_TABLE_HI: usize = 0x28;
pub const BG_FREE_BLOCKS_COUNT_HI: usize = 0x2C;

/// EXT4_MIN_DESC_SIZE: the descriptor without INCOMPAT_64BIT.
pub const EXT4_MIN_DESC_SIZE: usize = 32;
/// EXT4_MIN_DESC_SIZE_64BIT: the smallest descriptor holding the `_hi` halves.
pub const EXT4_MIN_DESC_SIZE_64BIT: usize = 64;
/// EXT4_MAX_DESC_SIZE (= EXT4_MIN_BLOCK_SIZE).
pub const EXT4_MAX_DESC_SIZE: usize = 1024;

const_assert_eq!(size_of::<ext4_super_block>(), SUPERBLOCK_SIZE);
const_assert_eq!(size_of::<ext4_group_desc>(), EXT4_MIN_DESC_SIZE_64BIT);
const_assert_eq!(
    offset_of!(ext4_group_desc, bg_block_bitmap_hi),
    EXT4_MIN_DESC_SIZE
);

const_assert_eq!(offset_of!(ext4_super_block, s_inodes_count), S_INODES_COUNT);
const_assert_eq!(
    offset_of!(ext4_super_block, s_blocks_count_lo),
    S_BLOCKS_COUNT_LO
);
const_assert_eq!(
    offset_of!(ext4_super_block, s_r_blocks_count_lo),
    S_R_BLOCKS_COUNT_LO
);
const_assert_eq!(
    offset_of!(ext4_super_block, s_free_blocks_count_lo),
    S_FREE_BLOCKS_COUNT_LO
);
const_assert_eq!(
    offset_of!(ext4_super_block, s_free_inodes_count),
    S_FREE_INODES_COUNT
);
const_assert_eq!(
    offset_of!(ext4_super_block, s_first_data_block),
    S_FIRST_DATA_BLOCK
);
const_assert_eq!(
    offset_of!(ext4_super_block, s_log_block_size),
    S_LOG_BLOCK_SIZE
);
const_assert_eq!(
    offset_of!(ext4_super_block, s_log_cluster_size),
    S_LOG_CLUSTER_SIZE
);
const_assert_eq!(
    offset_of!(ext4_super_block, s_blocks_per_group),
    S_BLOCKS_PER_GROUP
);
const_assert_eq!(
    offset_of!(ext4_super_block, s_clusters_per_group),
    S_CLUSTERS_PER_GROUP
);
const_assert_eq!(
    offset_of!(ext4_super_block, s_inodes_per_group),
    S_INODES_PER_GROUP
);
const_assert_eq!(offset_of!(ext4_super_block, s_mtime), S_MTIME);
const_assert_eq!(offset_of!(ext4_super_block, s_wtime), S_WTIME);
const_assert_eq!(offset_of!(ext4_super_block, s_mnt_count), S_MNT_COUNT);
const_assert_eq!(
    offset_of!(ext4_super_block, s_max_mnt_count),
    S_MAX_MNT_COUNT
);
const_assert_eq!(offset_of!(ext4_super_block, s_magic), S_MAGIC);
const_assert_eq!(offset_of!(ext4_super_block, s_state), S_STATE);
const_assert_eq!(offset_of!(ext4_super_block, s_errors), S_ERRORS);
const_assert_eq!(
    offset_of!(ext4_super_block, s_minor_rev_level),
    S_MINOR_REV_LEVEL
);
const_assert_eq!(offset_of!(ext4_super_block, s_lastcheck), S_LASTCHECK);
const_assert_eq!(
    offset_of!(ext4_super_block, s_checkinterval),
    S_CHECKINTERVAL
);
const_assert_eq!(offset_of!(ext4_super_block, s_creator_os), S_CREATOR_OS);
const_assert_eq!(offset_of!(ext4_super_block, s_rev_level), S_REV_LEVEL);
const_assert_eq!(offset_of!(ext4_super_block, s_first_ino), S_FIRST_INO);
const_assert_eq!(offset_of!(ext4_super_block, s_inode_size), S_INODE_SIZE);
const_assert_eq!(
    offset_of!(ext4_super_block, s_feature_compat),
    S_FEATURE_COMPAT
);
const_assert_eq!(
    offset_of!(ext4_super_block, s_feature_incompat),
    S_FEATURE_INCOMPAT
);
const_assert_eq!(
    offset_of!(ext4_super_block, s_feature_ro_compat),
    S_FEATURE_RO_COMPAT
);
const_assert_eq!(offset_of!(ext4_super_block, s_uuid), S_UUID);
const_assert_eq!(offset_of!(ext4_super_block, s_volume_name), S_VOLUME_NAME);
const_assert_eq!(offset_of!(ext4_super_block, s_last_mounted), S_LAST_MOUNTED);
const_assert_eq!(
    offset_of!(ext4_super_block, s_reserved_gdt_blocks),
    S_RESERVED_GDT_BLOCKS
);
const_assert_eq!(offset_of!(ext4_super_block, s_journal_uuid), S_JOURNAL_UUID);
const_assert_eq!(offset_of!(ext4_super_block, s_journal_inum), S_JOURNAL_INUM);
const_assert_eq!(offset_of!(ext4_super_block, s_journal_dev), S_JOURNAL_DEV);
const_assert_eq!(offset_of!(ext4_super_block, s_last_orphan), S_LAST_ORPHAN);
const_assert_eq!(offset_of!(ext4_super_block, s_desc_size), S_DESC_SIZE);
const_assert_eq!(
    offset_of!(ext4_super_block, s_default_mount_opts),
    S_DEFAULT_MOUNT_OPTS
);
const_assert_eq!(
    offset_of!(ext4_super_block, s_first_meta_bg),
    S_FIRST_META_BG
);
const_assert_eq!(offset_of!(ext4_super_block, s_mkfs_time), S_MKFS_TIME);
const_assert_eq!(
    offset_of!(ext4_super_block, s_blocks_count_hi),
    S_BLOCKS_COUNT_HI
);
const_assert_eq!(
    offset_of!(ext4_super_block, s_r_blocks_count_hi),
    S_R_BLOCKS_COUNT_HI
);
const_assert_eq!(
    offset_of!(ext4_super_block, s_free_blocks_count_hi),
    S_FREE_BLOCKS_COUNT_HI
);
const_assert_eq!(
    offset_of!(ext4_super_block, s_min_extra_isize),
    S_MIN_EXTRA_ISIZE
);
const_assert_eq!(
    offset_of!(ext4_super_block, s_want_extra_isize),
    S_WANT_EXTRA_ISIZE
);
const_assert_eq!(offset_of!(ext4_super_block, s_flags), S_FLAGS);
const_assert_eq!(offset_of!(ext4_super_block, s_raid_stride), S_RAID_STRIDE);
const_assert_eq!(
    offset_of!(ext4_super_block, s_raid_stripe_width),
    S_RAID_STRIPE_WIDTH
);
const_assert_eq!(
    offset_of!(ext4_super_block, s_log_groups_per_flex),
    S_LOG_GROUPS_PER_FLEX
);
const_assert_eq!(
    offset_of!(ext4_super_block, s_checksum_type),
    S_CHECKSUM_TYPE
);
const_assert_eq!(
    offset_of!(ext4_super_block, s_overhead_clusters),
    S_OVERHEAD_CLUSTERS
);
const_assert_eq!(offset_of!(ext4_super_block, s_backup_bgs), S_BACKUP_BGS);
const_assert_eq!(
    offset_of!(ext4_super_block, s_checksum_seed),
    S_CHECKSUM_SEED
);
const_assert_eq!(
    offset_of!(ext4_super_block, s_orphan_file_inum),
    S_ORPHAN_FILE_INUM
);
const_assert_eq!(offset_of!(ext4_super_block, s_checksum), S_CHECKSUM);

const_assert_eq!(
    offset_of!(ext4_group_desc, bg_inode_table_lo),
    BG_INODE_TABLE_LO
);
const_assert_eq!(
    offset_of!(ext4_group_desc, bg_free_blocks_count_lo),
    BG_FREE_BLOCKS_COUNT_LO
);
const_assert_eq!(
    offset_of!(ext4_group_desc, bg_inode_table_hi),
    BG_INODE_TABLE_HI
);
const_assert_eq!(
    offset_of!(ext4_group_desc, bg_free_blocks_count_hi),
    BG_FREE_BLOCKS_COUNT_HI
);
