//! The primary ext2/3/4 superblock (1024 bytes at byte 1024 of the device):
//! fields read little-endian at the offsets of layout.rs, the 64-bit counts
//! joined from their halves only under INCOMPAT_64BIT (as the kernel's
//! ext4_blocks_count() and e2p's e2p_blocks_count() do), then checked
//! against the kernel's and e2fsprogs' geometry limits.
//!
//! `decode` only needs the magic; `parse` also validates the geometry (what
//! every later computation relies on); `verify` adds the two checks that
//! need more than the superblock's own fields: the metadata_csum checksum
//! and the size of the device it sits on.

use super::error::Ext4Error;
use super::features::*;
use super::floor::Floor;
use super::layout::*;
use crate::crc32c;
use crate::elf::bytes::{le_u16, le_u32};

/// EXT4_SUPER_MAGIC.
pub const EXT4_SUPER_MAGIC: u16 = 0xEF53;
/// EXT2_DYNAMIC_REV: the newest revision.
const EXT2_DYNAMIC_REV: u32 = 1;
/// EXT2_GOOD_OLD_INODE_SIZE: the inode size of revision 0.
const EXT2_GOOD_OLD_INODE_SIZE: u16 = 128;
/// EXT2_MAX_BLOCK_LOG_SIZE - EXT2_MIN_BLOCK_LOG_SIZE: 64 KiB blocks.
const MAX_LOG_BLOCK_SIZE: u32 = 6;
/// EXT2_MAX_CLUSTER_LOG_SIZE - EXT2_MIN_CLUSTER_LOG_SIZE: 512 MiB clusters.
const MAX_LOG_CLUSTER_SIZE: u32 = 19;
/// EXT2_MAX_CLUSTERS_PER_GROUP: the 16-bit free count's limit.
const MAX_CLUSTERS_PER_GROUP: u64 = (1 << 16) - 8;
/// EXT4_CRC32C_CHKSUM: the only s_checksum_type.
const EXT4_CRC32C_CHKSUM: u8 = 1;

// s_state
pub const EXT4_VALID_FS: u16 = 0x0001;
pub const EXT4_ERROR_FS: u16 = 0x0002;
pub const EXT4_ORPHAN_FS: u16 = 0x0004;

// s_flags
pub const EXT2_FLAGS_SIGNED_HASH: u32 = 0x0001;
pub const EXT2_FLAGS_UNSIGNED_HASH: u32 = 0x0002;
pub const EXT2_FLAGS_TEST_FILESYS: u32 = 0x0004;

/// The checksum verdict of a superblock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// metadata_csum is on and the crc32c matches.
    Ok,
    /// metadata_csum is on and the crc32c (or the checksum type) is wrong.
    Bad,
    /// metadata_csum is off: nothing to check.
    None,
}

impl Checksum {
    pub fn as_str(self) -> &'static str {
        match self {
            Checksum::Ok => "ok",
            Checksum::Bad => "bad",
            Checksum::None => "none",
        }
    }
}

/// The decoded superblock. Field names follow `struct ext4_super_block`
/// without the `s_` prefix; 64-bit counts are already joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Superblock {
    pub inodes_count: u32,
    pub blocks_count: u64,
    pub r_blocks_count: u64,
    pub free_blocks_count: u64,
    pub free_inodes_count: u32,
    pub first_data_block: u32,
    pub log_block_size: u32,
    pub log_cluster_size: u32,
    pub blocks_per_group: u32,
    pub clusters_per_group: u32,
    pub inodes_per_group: u32,
    pub mnt_count: u16,
    pub max_mnt_count: i16,
    pub magic: u16,
    pub state: u16,
    /// s_errors: the behaviour on errors (not the error flag, see `state`).
    pub errors: u16,
    pub minor_rev_level: u16,
    pub checkinterval: u32,
    pub creator_os: u32,
    pub rev_level: u32,
    pub first_ino: u32,
    /// s_inode_size as stored (meaningless in revision 0; see `inode_size()`).
    pub inode_size_raw: u16,
    pub feature_compat: u32,
    pub feature_incompat: u32,
    pub feature_ro_compat: u32,
    pub uuid: [u8; 16],
    pub volume_name: [u8; 16],
    pub last_mounted: [u8; 64],
    pub reserved_gdt_blocks: u16,
    pub journal_uuid: [u8; 16],
    pub journal_inum: u32,
    pub journal_dev: u32,
    pub last_orphan: u32,
    pub desc_size_raw: u16,
    pub default_mount_opts: u32,
    pub first_meta_bg: u32,
    pub mkfs_time: u32,
    pub min_extra_isize: u16,
    pub want_extra_isize: u16,
    pub flags: u32,
    pub raid_stride: u16,
    pub raid_stripe_width: u32,
    pub log_groups_per_flex: u8,
    pub checksum_type: u8,
    pub overhead_clusters: u32,
    pub backup_bgs: [u32; 2],
    pub checksum_seed: u32,
    pub orphan_file_inum: u32,
    /// s_checksum as stored.
    pub checksum: u32,
    /// crc32c over the first 0x3FC bytes, as metadata_csum defines it.
    pub computed_checksum: u32,
    /// The shrink floor, once the group descriptors were read
    /// (`read_superblock` fills it in; `parse` alone cannot).
    pub floor: Option<Floor>,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    le_u16(b, at).unwrap_or(0)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    le_u32(b, at).unwrap_or(0)
}

fn bytes_at<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(src) = at.checked_add(N).and_then(|end| b.get(at..end)) {
        out.copy_from_slice(src);
    }
    out
}

/// Joins a 64-bit count from its halves; the high half counts only with
/// INCOMPAT_64BIT (ext4_blocks_count() in fs/ext4/ext4.h).
fn joined(lo: u32, hi: u32, is_64bit: bool) -> u64 {
    let hi = if is_64bit { u64::from(hi) << 32 } else { 0 };
    hi | u64::from(lo)
}

impl Superblock {
    /// Reads the fields of a superblock: `bytes` is the 1024-byte block
    /// itself (more is ignored). Checks only the length and the magic.
    pub fn decode(bytes: &[u8]) -> Result<Superblock, Ext4Error> {
        let b = bytes.get(..SUPERBLOCK_SIZE).ok_or(Ext4Error::Truncated {
            len: bytes.len() as u64,
            need: SUPERBLOCK_SIZE as u64,
        })?;
        let magic = u16_at(b, S_MAGIC);
        if magic != EXT4_SUPER_MAGIC {
            return Err(Ext4Error::BadMagic(magic));
        }
        let incompat = u32_at(b, S_FEATURE_INCOMPAT);
        let is_64bit = incompat & INCOMPAT_64BIT != 0;
        let log_groups_per_flex = b.get(S_LOG_GROUPS_PER_FLEX).copied().unwrap_or(0);
        let checksum_type = b.get(S_CHECKSUM_TYPE).copied().unwrap_or(0);
        let computed_checksum = crc32c::update(!0, b.get(..S_CHECKSUM).unwrap_or(&[]));
        Ok(Superblock {
            inodes_count: u32_at(b, S_INODES_COUNT),
            blocks_count: joined(
                u32_at(b, S_BLOCKS_COUNT_LO),
                u32_at(b, S_BLOCKS_COUNT_HI),
                is_64bit,
            ),
            r_blocks_count: joined(
                u32_at(b, S_R_BLOCKS_COUNT_LO),
                u32_at(b, S_R_BLOCKS_COUNT_HI),
                is_64bit,
            ),
            free_blocks_count: joined(
                u32_at(b, S_FREE_BLOCKS_COUNT_LO),
                u32_at(b, S_FREE_BLOCKS_COUNT_HI),
                is_64bit,
            ),
            free_inodes_count: u32_at(b, S_FREE_INODES_COUNT),
            first_data_block: u32_at(b, S_FIRST_DATA_BLOCK),
            log_block_size: u32_at(b, S_LOG_BLOCK_SIZE),
            log_cluster_size: u32_at(b, S_LOG_CLUSTER_SIZE),
            blocks_per_group: u32_at(b, S_BLOCKS_PER_GROUP),
            clusters_per_group: u32_at(b, S_CLUSTERS_PER_GROUP),
            inodes_per_group: u32_at(b, S_INODES_PER_GROUP),
            mnt_count: u16_at(b, S_MNT_COUNT),
            max_mnt_count: u16_at(b, S_MAX_MNT_COUNT) as i16,
            magic,
            state: u16_at(b, S_STATE),
            errors: u16_at(b, S_ERRORS),
            minor_rev_level: u16_at(b, S_MINOR_REV_LEVEL),
            checkinterval: u32_at(b, S_CHECKINTERVAL),
            creator_os: u32_at(b, S_CREATOR_OS),
            rev_level: u32_at(b, S_REV_LEVEL),
            first_ino: u32_at(b, S_FIRST_INO),
            inode_size_raw: u16_at(b, S_INODE_SIZE),
            feature_compat: u32_at(b, S_FEATURE_COMPAT),
            feature_incompat: incompat,
            feature_ro_compat: u32_at(b, S_FEATURE_RO_COMPAT),
            uuid: bytes_at(b, S_UUID),
            volume_name: bytes_at(b, S_VOLUME_NAME),
            last_mounted: bytes_at(b, S_LAST_MOUNTED),
            reserved_gdt_blocks: u16_at(b, S_RESERVED_GDT_BLOCKS),
            journal_uuid: bytes_at(b, S_JOURNAL_UUID),
            journal_inum: u32_at(b, S_JOURNAL_INUM),
            journal_dev: u32_at(b, S_JOURNAL_DEV),
            last_orphan: u32_at(b, S_LAST_ORPHAN),
            desc_size_raw: u16_at(b, S_DESC_SIZE),
            default_mount_opts: u32_at(b, S_DEFAULT_MOUNT_OPTS),
            first_meta_bg: u32_at(b, S_FIRST_META_BG),
            mkfs_time: u32_at(b, S_MKFS_TIME),
            min_extra_isize: u16_at(b, S_MIN_EXTRA_ISIZE),
            want_extra_isize: u16_at(b, S_WANT_EXTRA_ISIZE),
            flags: u32_at(b, S_FLAGS),
            raid_stride: u16_at(b, S_RAID_STRIDE),
            raid_stripe_width: u32_at(b, S_RAID_STRIPE_WIDTH),
            log_groups_per_flex,
            checksum_type,
            overhead_clusters: u32_at(b, S_OVERHEAD_CLUSTERS),
            backup_bgs: [u32_at(b, S_BACKUP_BGS), u32_at(b, S_BACKUP_BGS + 4)],
            checksum_seed: u32_at(b, S_CHECKSUM_SEED),
            orphan_file_inum: u32_at(b, S_ORPHAN_FILE_INUM),
            checksum: u32_at(b, S_CHECKSUM),
            computed_checksum,
            floor: None,
        })
    }

    /// Reads and validates a superblock (`bytes`: the 1024-byte block).
    pub fn parse(bytes: &[u8]) -> Result<Superblock, Ext4Error> {
        let sb = Superblock::decode(bytes)?;
        sb.validate()?;
        Ok(sb)
    }

    /// Reads and validates the superblock of a whole image held in memory
    /// (the superblock is at byte 1024).
    pub fn from_image(image: &[u8]) -> Result<Superblock, Ext4Error> {
        let start = SUPERBLOCK_OFFSET as usize;
        let need = start + SUPERBLOCK_SIZE;
        let block = image.get(start..need).ok_or(Ext4Error::Truncated {
            len: image.len() as u64,
            need: need as u64,
        })?;
        Superblock::parse(block)
    }

    /// The geometry checks every computation on this superblock relies on.
    /// Limits: ext4_fill_super() in fs/ext4/super.c and ext2fs_open2() in
    /// e2fsprogs' lib/ext2fs/openfs.c.
    pub fn validate(&self) -> Result<(), Ext4Error> {
        if self.rev_level > EXT2_DYNAMIC_REV {
            return Err(Ext4Error::RevisionTooHigh(self.rev_level));
        }
        if self.log_block_size > MAX_LOG_BLOCK_SIZE {
            return Err(Ext4Error::LogBlockSize(self.log_block_size));
        }
        let cluster_ok = if self.has_ro_compat(RO_COMPAT_BIGALLOC) {
            (self.log_block_size..=MAX_LOG_CLUSTER_SIZE).contains(&self.log_cluster_size)
        } else {
            self.log_cluster_size == self.log_block_size
        };
        if !cluster_ok {
            return Err(Ext4Error::LogClusterSize(self.log_cluster_size));
        }
        let block_size = self.block_size();
        let inode_size = self.inode_size();
        if !inode_size.is_power_of_two()
            || inode_size < EXT2_GOOD_OLD_INODE_SIZE
            || u64::from(inode_size) > block_size
        {
            return Err(Ext4Error::InodeSize(inode_size));
        }
        if self.has_incompat(INCOMPAT_64BIT) {
            let d = usize::from(self.desc_size_raw);
            if !d.is_power_of_two() || !(EXT4_MIN_DESC_SIZE_64BIT..=EXT4_MAX_DESC_SIZE).contains(&d)
            {
                return Err(Ext4Error::DescSize(self.desc_size_raw));
            }
        }
        if self.log_groups_per_flex > 31 {
            return Err(Ext4Error::LogGroupsPerFlex(self.log_groups_per_flex));
        }
        if self.has_incompat(INCOMPAT_JOURNAL_DEV) {
            // An external journal: no groups, no inodes (ext2fs_open2 stops
            // here too).
            return Ok(());
        }
        // One bitmap block per group maps every cluster of it, and the
        // 16-bit free count bounds it further.
        let cpg = u64::from(self.clusters_per_group);
        let bpg = u64::from(self.blocks_per_group);
        let max_cpg = MAX_CLUSTERS_PER_GROUP.min(block_size * 8);
        if bpg < 8
            || cpg == 0
            || cpg > max_cpg
            || Some(bpg) != cpg.checked_mul(self.cluster_ratio())
        {
            return Err(Ext4Error::BlocksPerGroup(self.blocks_per_group));
        }
        let ipg = u64::from(self.inodes_per_group);
        let inodes_per_block = block_size / u64::from(inode_size);
        if ipg == 0 || ipg < inodes_per_block || ipg > block_size * 8 {
            return Err(Ext4Error::InodesPerGroup(self.inodes_per_group));
        }
        if u64::from(self.first_data_block) >= self.blocks_count {
            return Err(Ext4Error::FirstDataBlock(self.first_data_block));
        }
        let expected = self.group_count().saturating_mul(ipg);
        if expected != u64::from(self.inodes_count) {
            return Err(Ext4Error::InodeCount {
                inodes: self.inodes_count,
                expected,
            });
        }
        if self.has_incompat(INCOMPAT_META_BG) && u64::from(self.first_meta_bg) > self.desc_blocks()
        {
            return Err(Ext4Error::FirstMetaBg(self.first_meta_bg));
        }
        Ok(())
    }

    /// The checks beyond the superblock's own fields: the metadata_csum
    /// checksum, and that the filesystem fits the device of `device_bytes`.
    pub fn verify(&self, device_bytes: u64) -> Result<(), Ext4Error> {
        if self.has_ro_compat(RO_COMPAT_METADATA_CSUM) {
            if self.checksum_type != EXT4_CRC32C_CHKSUM {
                return Err(Ext4Error::ChecksumType(self.checksum_type));
            }
            if self.checksum != self.computed_checksum {
                return Err(Ext4Error::BadChecksum {
                    stored: self.checksum,
                    computed: self.computed_checksum,
                });
            }
        }
        let fs_bytes = self.fs_bytes();
        if fs_bytes > device_bytes {
            return Err(Ext4Error::BeyondDevice {
                fs_bytes,
                device_bytes,
            });
        }
        Ok(())
    }

    pub fn has_compat(&self, bit: u32) -> bool {
        self.feature_compat & bit != 0
    }

    pub fn has_incompat(&self, bit: u32) -> bool {
        self.feature_incompat & bit != 0
    }

    pub fn has_ro_compat(&self, bit: u32) -> bool {
        self.feature_ro_compat & bit != 0
    }

    /// The block size in bytes (1024 << s_log_block_size; the shift is
    /// capped so an unvalidated superblock cannot overflow it).
    pub fn block_size(&self) -> u64 {
        1024u64 << self.log_block_size.min(32)
    }

    /// Blocks per allocation cluster (1 without bigalloc).
    pub fn cluster_ratio(&self) -> u64 {
        1u64 << self
            .log_cluster_size
            .saturating_sub(self.log_block_size)
            .min(32)
    }

    /// The cluster size in bytes.
    pub fn cluster_size(&self) -> u64 {
        1024u64 << self.log_cluster_size.min(32)
    }

    pub fn block_count(&self) -> u64 {
        self.blocks_count
    }

    /// The size of the filesystem in bytes.
    pub fn fs_bytes(&self) -> u64 {
        self.blocks_count.saturating_mul(self.block_size())
    }

    /// The inode size: 128 in revision 0, s_inode_size after.
    pub fn inode_size(&self) -> u16 {
        if self.rev_level == 0 {
            EXT2_GOOD_OLD_INODE_SIZE
        } else {
            self.inode_size_raw
        }
    }

    /// The group descriptor size (EXT2_DESC_SIZE).
    pub fn desc_size(&self) -> u64 {
        if self.has_incompat(INCOMPAT_64BIT) {
            u64::from(self.desc_size_raw)
        } else {
            EXT4_MIN_DESC_SIZE as u64
        }
    }

    /// Group descriptors per block (EXT2_DESC_PER_BLOCK).
    pub fn desc_per_block(&self) -> u64 {
        self.block_size()
            .checked_div(self.desc_size())
            .unwrap_or(0)
            .max(1)
    }

    /// The number of block groups: ceil((blocks - first data block) /
    /// blocks per group).
    pub fn group_count(&self) -> u64 {
        let data = self
            .blocks_count
            .saturating_sub(u64::from(self.first_data_block));
        data.div_ceil(u64::from(self.blocks_per_group).max(1))
    }

    /// Blocks holding the group descriptor table.
    pub fn desc_blocks(&self) -> u64 {
        self.group_count().div_ceil(self.desc_per_block())
    }

    /// Blocks of one group's inode table.
    pub fn inode_blocks_per_group(&self) -> u64 {
        (u64::from(self.inodes_per_group) * u64::from(self.inode_size()))
            .div_ceil(self.block_size())
    }

    /// The first block of `group`.
    pub fn group_first_block(&self, group: u64) -> u64 {
        group
            .saturating_mul(u64::from(self.blocks_per_group))
            .saturating_add(u64::from(self.first_data_block))
    }

    /// Whether `group` holds a superblock backup (ext2fs_bg_has_super):
    /// every group without sparse_super; groups 0, 1 and the powers of 3, 5
    /// and 7 with it; group 0 and the two s_backup_bgs with sparse_super2.
    pub fn has_super(&self, group: u64) -> bool {
        if group == 0 {
            return true;
        }
        if self.has_compat(COMPAT_SPARSE_SUPER2) {
            return self.backup_bgs.iter().any(|&g| u64::from(g) == group);
        }
        if group <= 1 || !self.has_ro_compat(RO_COMPAT_SPARSE_SUPER) {
            return true;
        }
        if group & 1 == 0 {
            return false;
        }
        is_power_of(group, 3) || is_power_of(group, 5) || is_power_of(group, 7)
    }

    /// `s_state` has EXT4_VALID_FS (unmounted cleanly or checked).
    pub fn is_clean(&self) -> bool {
        self.state & EXT4_VALID_FS != 0
    }

    /// `s_state` has EXT4_ERROR_FS (errors detected, fsck needed).
    pub fn has_errors(&self) -> bool {
        self.state & EXT4_ERROR_FS != 0
    }

    /// The journal has transactions to replay (INCOMPAT_RECOVER).
    pub fn needs_recovery(&self) -> bool {
        self.has_incompat(INCOMPAT_RECOVER)
    }

    /// Inodes wait on the orphan list (s_last_orphan) or in the orphan
    /// file (RO_COMPAT_ORPHAN_PRESENT).
    pub fn orphan_present(&self) -> bool {
        self.last_orphan != 0 || self.has_ro_compat(RO_COMPAT_ORPHAN_PRESENT)
    }

    /// The checksum verdict.
    pub fn checksum_verdict(&self) -> Checksum {
        if !self.has_ro_compat(RO_COMPAT_METADATA_CSUM) {
            Checksum::None
        } else if self.checksum_type == EXT4_CRC32C_CHKSUM
            && self.checksum == self.computed_checksum
        {
            Checksum::Ok
        } else {
            Checksum::Bad
        }
    }

    /// False only when metadata_csum is on and the checksum is wrong.
    pub fn checksum_ok(&self) -> bool {
        self.checksum_verdict() != Checksum::Bad
    }

    /// The state as dumpe2fs prints it (lib/e2p/ps.c, print_fs_state).
    pub fn state_text(&self) -> &'static str {
        match (self.is_clean(), self.has_errors()) {
            (true, false) => "clean",
            (true, true) => "clean with errors",
            (false, false) => "not clean",
            (false, true) => "not clean with errors",
        }
    }

    /// The errors behaviour as dumpe2fs prints it (lib/e2p/pe.c).
    pub fn errors_behavior_text(&self) -> &'static str {
        match self.errors {
            1 => "Continue",
            2 => "Remount read-only",
            3 => "Panic",
            _ => "Unknown (continue)",
        }
    }

    /// The creator OS as dumpe2fs prints it (lib/e2p/ostype.c).
    pub fn os_text(&self) -> &'static str {
        match self.creator_os {
            0 => "Linux",
            1 => "Hurd",
            2 => "Masix",
            3 => "FreeBSD",
            4 => "Lites",
            _ => "(unknown os)",
        }
    }

    /// The feature names, as `dumpe2fs -h` lists them.
    pub fn features(&self) -> Vec<String> {
        names(
            self.feature_compat,
            self.feature_incompat,
            self.feature_ro_compat,
        )
    }

    /// The volume label (up to the first NUL), `None` when empty.
    pub fn label(&self) -> Option<String> {
        c_string(&self.volume_name)
    }

    /// The directory it was last mounted on, `None` when empty.
    pub fn last_mounted_on(&self) -> Option<String> {
        c_string(&self.last_mounted)
    }

    /// Which of ext2/ext3/ext4 libblkid calls it (superblocks/ext.c):
    /// `jbd` for an external journal, `ext4dev` with the test flag, `ext4`
    /// with any feature ext3 lacks, `ext3` with a journal, `ext2` with
    /// nothing ext2 lacks; `None` when no rule matches.
    pub fn kind(&self) -> Option<&'static str> {
        const EXT2_RO_SUPP: u32 =
            RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE | RO_COMPAT_BTREE_DIR;
        const EXT2_INCOMPAT_SUPP: u32 = INCOMPAT_FILETYPE | INCOMPAT_META_BG;
        const EXT3_RO_SUPP: u32 = EXT2_RO_SUPP;
        const EXT3_INCOMPAT_SUPP: u32 = INCOMPAT_FILETYPE | INCOMPAT_RECOVER | INCOMPAT_META_BG;
        let (ro, inc) = (self.feature_ro_compat, self.feature_incompat);
        if inc & INCOMPAT_JOURNAL_DEV != 0 {
            Some("jbd")
        } else if self.flags & EXT2_FLAGS_TEST_FILESYS != 0 {
            Some("ext4dev")
        } else if ro & !EXT3_RO_SUPP != 0 || inc & !EXT3_INCOMPAT_SUPP != 0 {
            Some("ext4")
        } else if self.has_compat(COMPAT_HAS_JOURNAL) {
            Some("ext3")
        } else if ro & !EXT2_RO_SUPP == 0 && inc & !EXT2_INCOMPAT_SUPP == 0 {
            Some("ext2")
        } else {
            None
        }
    }

    /// Why rootlift must not shrink this filesystem at all, whatever the
    /// size: resize2fs refuses bigalloc without -f ("not fully tested"; and
    /// with -f, 1.47.0 leaves wrong free counts), an external journal
    /// device has no filesystem, and unknown incompat features mean the
    /// layout is not understood.
    pub fn shrink_refusal(&self) -> Option<&'static str> {
        const KNOWN_INCOMPAT: u32 = INCOMPAT_COMPRESSION
            | INCOMPAT_FILETYPE
            | INCOMPAT_RECOVER
            | INCOMPAT_JOURNAL_DEV
            | INCOMPAT_META_BG
            | INCOMPAT_EXTENTS
            | INCOMPAT_64BIT
            | INCOMPAT_MMP
            | INCOMPAT_FLEX_BG
            | INCOMPAT_EA_INODE
            | INCOMPAT_DIRDATA
            | INCOMPAT_CSUM_SEED
            | INCOMPAT_LARGEDIR
            | INCOMPAT_INLINE_DATA
            | INCOMPAT_ENCRYPT
            | INCOMPAT_CASEFOLD;
        if self.has_incompat(INCOMPAT_JOURNAL_DEV) {
            Some("an external journal device holds no filesystem to shrink")
        } else if self.has_ro_compat(RO_COMPAT_BIGALLOC) {
            Some("resize2fs does not shrink bigalloc filesystems safely")
        } else if self.feature_incompat & !KNOWN_INCOMPAT != 0 {
            Some("the filesystem has incompat features rootlift does not know")
        } else {
            None
        }
    }

    /// The shrink floor in blocks: the `floor` read with the group
    /// descriptors, or the block count itself (no shrink) without it.
    pub fn min_blocks(&self) -> u64 {
        self.floor.map_or(self.blocks_count, |f| f.floor)
    }
}

/// test_root() of lib/ext2fs/closefs.c: is `a` a power of `b`?
fn is_power_of(mut a: u64, b: u64) -> bool {
    loop {
        if a < b {
            return false;
        }
        if a == b {
            return true;
        }
        if !a.is_multiple_of(b) {
            return false;
        }
        a /= b;
    }
}

/// A fixed-size name field up to its first NUL, `None` when empty.
fn c_string(field: &[u8]) -> Option<String> {
    let end = field.iter().position(|&c| c == 0).unwrap_or(field.len());
    let s = field.get(..end)?;
    (!s.is_empty()).then(|| String::from_utf8_lossy(s).into_owned())
}
