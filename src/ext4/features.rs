//! ext2/3/4 feature bits (fs/ext4/ext4.h `EXT4_FEATURE_*`) and their names
//! as e2fsprogs prints them (lib/e2p/feature.c, the first name of each bit;
//! an unknown bit is `FEATURE_C<n>`, `FEATURE_I<n>` or `FEATURE_R<n>`).

use std::fmt::Write as _;

/// Which of the three feature words a bit is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word {
    Compat,
    Incompat,
    RoCompat,
}

// s_feature_compat
pub const COMPAT_DIR_PREALLOC: u32 = 0x0001;
pub const COMPAT_IMAGIC_INODES: u32 = 0x0002;
pub const COMPAT_HAS_JOURNAL: u32 = 0x0004;
pub const COMPAT_EXT_ATTR: u32 = 0x0008;
pub const COMPAT_RESIZE_INODE: u32 = 0x0010;
pub const COMPAT_DIR_INDEX: u32 = 0x0020;
pub const COMPAT_LAZY_BG: u32 = 0x0040;
pub const COMPAT_EXCLUDE_BITMAP: u32 = 0x0100;
pub const COMPAT_SPARSE_SUPER2: u32 = 0x0200;
pub const COMPAT_FAST_COMMIT: u32 = 0x0400;
pub const COMPAT_STABLE_INODES: u32 = 0x0800;
pub const COMPAT_ORPHAN_FILE: u32 = 0x1000;

// s_feature_ro_compat
pub const RO_COMPAT_SPARSE_SUPER: u32 = 0x0001;
pub const RO_COMPAT_LARGE_FILE: u32 = 0x0002;
pub const RO_COMPAT_BTREE_DIR: u32 = 0x0004;
pub const RO_COMPAT_HUGE_FILE: u32 = 0x0008;
pub const RO_COMPAT_GDT_CSUM: u32 = 0x0010;
pub const RO_COMPAT_DIR_NLINK: u32 = 0x0020;
pub const RO_COMPAT_EXTRA_ISIZE: u32 = 0x0040;
pub const RO_COMPAT_QUOTA: u32 = 0x0100;
pub const RO_COMPAT_BIGALLOC: u32 = 0x0200;
pub const RO_COMPAT_METADATA_CSUM: u32 = 0x0400;
pub const RO_COMPAT_REPLICA: u32 = 0x0800;
pub const RO_COMPAT_READONLY: u32 = 0x1000;
pub const RO_COMPAT_PROJECT: u32 = 0x2000;
pub const RO_COMPAT_SHARED_BLOCKS: u32 = 0x4000;
pub const RO_COMPAT_VERITY: u32 = 0x8000;
pub const RO_COMPAT_ORPHAN_PRESENT: u32 = 0x1_0000;

// s_feature_incompat
pub const INCOMPAT_COMPRESSION: u32 = 0x0001;
pub const INCOMPAT_FILETYPE: u32 = 0x0002;
pub const INCOMPAT_RECOVER: u32 = 0x0004;
pub const INCOMPAT_JOURNAL_DEV: u32 = 0x0008;
pub const INCOMPAT_META_BG: u32 = 0x0010;
pub const INCOMPAT_EXTENTS: u32 = 0x0040;
pub const INCOMPAT_64BIT: u32 = 0x0080;
pub const INCOMPAT_MMP: u32 = 0x0100;
pub const INCOMPAT_FLEX_BG: u32 = 0x0200;
pub const INCOMPAT_EA_INODE: u32 = 0x0400;
pub const INCOMPAT_DIRDATA: u32 = 0x1000;
pub const INCOMPAT_CSUM_SEED: u32 = 0x2000;
pub const INCOMPAT_LARGEDIR: u32 = 0x4000;
pub const INCOMPAT_INLINE_DATA: u32 = 0x8000;
pub const INCOMPAT_ENCRYPT: u32 = 0x1_0000;
pub const INCOMPAT_CASEFOLD: u32 = 0x2_0000;

const COMPAT_NAMES: &[(u32, &str)] = &[
    (COMPAT_DIR_PREALLOC, "dir_prealloc"),
    (COMPAT_HAS_JOURNAL, "has_journal"),
    (COMPAT_IMAGIC_INODES, "imagic_inodes"),
    (COMPAT_EXT_ATTR, "ext_attr"),
    (COMPAT_DIR_INDEX, "dir_index"),
    (COMPAT_RESIZE_INODE, "resize_inode"),
    (COMPAT_LAZY_BG, "lazy_bg"),
    (COMPAT_EXCLUDE_BITMAP, "snapshot_bitmap"),
    (COMPAT_SPARSE_SUPER2, "sparse_super2"),
    (COMPAT_FAST_COMMIT, "fast_commit"),
    (COMPAT_STABLE_INODES, "stable_inodes"),
    (COMPAT_ORPHAN_FILE, "orphan_file"),
];

const RO_COMPAT_NAMES: &[(u32, &str)] = &[
    (RO_COMPAT_SPARSE_SUPER, "sparse_super"),
    (RO_COMPAT_LARGE_FILE, "large_file"),
    (RO_COMPAT_HUGE_FILE, "huge_file"),
    (RO_COMPAT_GDT_CSUM, "uninit_bg"),
    (RO_COMPAT_DIR_NLINK, "dir_nlink"),
    (RO_COMPAT_EXTRA_ISIZE, "extra_isize"),
    (RO_COMPAT_QUOTA, "quota"),
    (RO_COMPAT_BIGALLOC, "bigalloc"),
    (RO_COMPAT_METADATA_CSUM, "metadata_csum"),
    (RO_COMPAT_REPLICA, "replica"),
    (RO_COMPAT_READONLY, "read-only"),
    (RO_COMPAT_PROJECT, "project"),
    (RO_COMPAT_SHARED_BLOCKS, "shared_blocks"),
    (RO_COMPAT_VERITY, "verity"),
    (RO_COMPAT_ORPHAN_PRESENT, "orphan_present"),
];

const INCOMPAT_NAMES: &[(u32, &str)] = &[
    (INCOMPAT_COMPRESSION, "compression"),
    (INCOMPAT_FILETYPE, "filetype"),
    (INCOMPAT_RECOVER, "needs_recovery"),
    (INCOMPAT_JOURNAL_DEV, "journal_dev"),
    (INCOMPAT_EXTENTS, "extent"),
    (INCOMPAT_META_BG, "meta_bg"),
    (INCOMPAT_64BIT, "64bit"),
    (INCOMPAT_MMP, "mmp"),
    (INCOMPAT_FLEX_BG, "flex_bg"),
    (INCOMPAT_EA_INODE, "ea_inode"),
    (INCOMPAT_DIRDATA, "dirdata"),
    (INCOMPAT_CSUM_SEED, "metadata_csum_seed"),
    (INCOMPAT_LARGEDIR, "large_dir"),
    (INCOMPAT_INLINE_DATA, "inline_data"),
    (INCOMPAT_ENCRYPT, "encrypt"),
    (INCOMPAT_CASEFOLD, "casefold"),
];

/// The name of one feature bit (`bit` has exactly one bit set), written
/// into `out` as e2p_feature2string() words it.
pub fn name_into(out: &mut String, word: Word, bit: u32) {
    let (table, letter) = match word {
        Word::Compat => (COMPAT_NAMES, 'C'),
        Word::Incompat => (INCOMPAT_NAMES, 'I'),
        Word::RoCompat => (RO_COMPAT_NAMES, 'R'),
    };
    match table.iter().find(|(mask, _)| *mask == bit) {
        Some((_, name)) => out.push_str(name),
        None => {
            let _ = write!(out, "FEATURE_{letter}{}", bit.trailing_zeros());
        }
    }
}

/// Every feature set in the three words, in dumpe2fs's order: compat,
/// incompat, ro_compat (their order in the superblock), low bit first.
pub fn names(compat: u32, incompat: u32, ro_compat: u32) -> Vec<String> {
    let mut list = Vec::new();
    for (word, mask) in [
        (Word::Compat, compat),
        (Word::Incompat, incompat),
        (Word::RoCompat, ro_compat),
    ] {
        for shift in 0..32 {
            let bit = 1u32 << shift;
            if mask & bit != 0 {
                let mut name = String::new();
                name_into(&mut name, word, bit);
                list.push(name);
            }
        }
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_bits_are_named_like_e2p() {
        let list = names(
            COMPAT_HAS_JOURNAL | 0x80,
            INCOMPAT_EXTENTS | INCOMPAT_64BIT | 0x8000_0000,
            RO_COMPAT_METADATA_CSUM | 0x80,
        );
        assert_eq!(
            list,
            [
                "has_journal",
                "FEATURE_C7",
                "extent",
                "64bit",
                "FEATURE_I31",
                "FEATURE_R7",
                "metadata_csum"
            ]
        );
        assert!(names(0, 0, 0).is_empty());
    }
}
