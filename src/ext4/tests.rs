//! Unit tests on a synthetic one-group ext4 image built field by field (no
//! tools needed); tests/ext4_fixtures.rs checks the same code against
//! images made by mke2fs and the answers of dumpe2fs, resize2fs and blkid.

use super::features::*;
use super::layout::*;
use super::superblock::EXT2_FLAGS_TEST_FILESYS;
use super::*;
use crate::crc32c;

const BS: usize = 1024;
const BLOCKS: usize = 8192;
const INODE_TABLE: u32 = 5;

fn put16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// Recomputes s_checksum of the superblock inside `image`.
fn reseal(image: &mut [u8]) {
    let sb = &mut image[1024..2048];
    let crc = crc32c::update(!0, &sb[..S_CHECKSUM]);
    put32(sb, S_CHECKSUM, crc);
}

/// An 8 MiB, 1 KiB-block, one-group ext4 image: superblock, one 64-byte
/// group descriptor (6000 free blocks, inode table at block 5), flex_bg of
/// 16, metadata_csum, extents, 11 inodes in use.
fn image() -> Vec<u8> {
    let mut img = vec![0u8; BS * BLOCKS];
    {
        let sb = &mut img[1024..2048];
        put32(sb, S_INODES_COUNT, 2048);
        put32(sb, S_BLOCKS_COUNT_LO, BLOCKS as u32);
        put32(sb, S_R_BLOCKS_COUNT_LO, 409);
        put32(sb, S_FREE_BLOCKS_COUNT_LO, 6000);
        put32(sb, S_FREE_INODES_COUNT, 2037);
        put32(sb, S_FIRST_DATA_BLOCK, 1);
        put32(sb, S_BLOCKS_PER_GROUP, 8192);
        put32(sb, S_CLUSTERS_PER_GROUP, 8192);
        put32(sb, S_INODES_PER_GROUP, 2048);
        put16(sb, S_MAX_MNT_COUNT, 0xffff);
        put16(sb, S_MAGIC, 0xEF53);
        put16(sb, S_STATE, 1);
        put16(sb, S_ERRORS, 1);
        put32(sb, S_REV_LEVEL, 1);
        put32(sb, S_FIRST_INO, 11);
        put16(sb, S_INODE_SIZE, 256);
        put32(
            sb,
            S_FEATURE_COMPAT,
            COMPAT_HAS_JOURNAL | COMPAT_EXT_ATTR | COMPAT_DIR_INDEX,
        );
        put32(
            sb,
            S_FEATURE_INCOMPAT,
            INCOMPAT_FILETYPE | INCOMPAT_EXTENTS | INCOMPAT_64BIT | INCOMPAT_FLEX_BG,
        );
        put32(
            sb,
            S_FEATURE_RO_COMPAT,
            RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE | RO_COMPAT_METADATA_CSUM,
        );
        sb[S_UUID..S_UUID + 16].copy_from_slice(&[0xab; 16]);
        sb[S_VOLUME_NAME..S_VOLUME_NAME + 4].copy_from_slice(b"root");
        put16(sb, S_DESC_SIZE, 64);
        sb[S_LOG_GROUPS_PER_FLEX] = 4;
        sb[S_CHECKSUM_TYPE] = 1;
    }
    // The descriptor table starts at block 2 (first data block + 1).
    let gd = &mut img[2 * BS..2 * BS + 64];
    put32(gd, BG_INODE_TABLE_LO, INODE_TABLE);
    put16(gd, BG_FREE_BLOCKS_COUNT_LO, 6000);
    reseal(&mut img);
    img
}

fn parse(img: &[u8]) -> Result<Superblock, Ext4Error> {
    Superblock::from_image(img)
}

#[test]
fn synthetic_image_reads_back() {
    let sb = parse(&image()).expect("valid");
    assert_eq!(sb.block_size(), 1024);
    assert_eq!(sb.block_count(), 8192);
    assert_eq!(sb.group_count(), 1);
    assert_eq!(sb.inode_blocks_per_group(), 512);
    assert_eq!(sb.label().as_deref(), Some("root"));
    assert_eq!(sb.last_mounted_on(), None);
    assert_eq!(sb.state_text(), "clean");
    assert_eq!(sb.checksum_verdict(), Checksum::Ok);
    assert_eq!(sb.kind(), Some("ext4"));
    assert!(sb.is_clean() && !sb.has_errors() && !sb.needs_recovery() && !sb.orphan_present());
    assert_eq!(sb.max_mnt_count, -1);
    assert_eq!(sb.verify((BS * BLOCKS) as u64), Ok(()));
}

#[test]
fn floor_matches_the_hand_computation() {
    let img = image();
    let sb = parse(&img).unwrap();
    // One group, overhead 512 (inode table) + 2 bitmaps + 1 superblock + 1
    // descriptor block = 516; data = 8192 - 6000 - 516 = 1676; the last
    // (only) group needs 516 + 1676 + first data block 1 = 2193; extent
    // slack min((8192 - 2193) / 500, max(ceil(1676 / 84), 11)) = 11.
    let floor = min_blocks(&sb, &img[..]).unwrap();
    assert_eq!(floor.resize2fs, 2204);
    // Margin: max(ceil(2204 / 50), 16) = 45.
    assert_eq!(floor.floor, 2249);
}

#[test]
fn floor_never_exceeds_the_block_count() {
    let mut img = image();
    // Nothing free: the data fill the group, no shrink possible.
    put16(&mut img[2 * BS..], BG_FREE_BLOCKS_COUNT_LO, 0);
    let sb = parse(&img).unwrap();
    let floor = min_blocks(&sb, &img[..]).unwrap();
    assert_eq!(floor.resize2fs, 8192);
    assert_eq!(floor.floor, 8192);
    // Free inode count above the total: inconsistent, refused.
    let mut img = image();
    put32(&mut img[1024..], S_FREE_INODES_COUNT, 4000);
    reseal(&mut img);
    let sb = parse(&img).unwrap();
    assert!(matches!(
        min_blocks(&sb, &img[..]),
        Err(Ext4Error::Inconsistent(_))
    ));
}

/// Live counts replace the superblock's and the descriptors' free counts
/// and nothing else: the same counts give the same floor, fewer free
/// blocks a higher one, whatever the stale copies on disk say.
#[test]
fn live_floor_takes_its_free_counts_from_statfs_only() {
    use super::floor::{Live, live_min_blocks};
    let img = image();
    let sb = parse(&img).unwrap();
    let same = Live {
        free_bytes: 6000 * 1024,
        free_inodes: 2037,
    };
    assert_eq!(
        live_min_blocks(&sb, &img[..], same),
        min_blocks(&sb, &img[..])
    );

    // 1000 blocks and 100 inodes more in use than the disk says: data
    // 1676 + 1000 = 2676, last group 516 + 2676 + 1 = 3193, slack
    // min((8192 - 3193) / 500, max(ceil(2676 / 84), 111)) = 9.
    let busier = Live {
        free_bytes: 5000 * 1024 + 1023,
        free_inodes: 1937,
    };
    let f = live_min_blocks(&sb, &img[..], busier).unwrap();
    assert_eq!(f.resize2fs, 3202);
    assert_eq!(f.floor, 3202 + 65);

    // A stale on-disk superblock count changes nothing.
    let mut stale = img.clone();
    put32(&mut stale[1024..], S_FREE_BLOCKS_COUNT_LO, 7900);
    put32(&mut stale[1024..], S_FREE_INODES_COUNT, 2040);
    reseal(&mut stale);
    let stale_sb = parse(&stale).unwrap();
    assert_eq!(live_min_blocks(&stale_sb, &stale[..], busier), Ok(f));

    // Counts above the totals are inconsistent, not a floor.
    for bad in [
        Live {
            free_bytes: 8193 * 1024,
            free_inodes: 0,
        },
        Live {
            free_bytes: 0,
            free_inodes: 2049,
        },
    ] {
        assert!(matches!(
            live_min_blocks(&sb, &img[..], bad),
            Err(Ext4Error::Inconsistent(_))
        ));
    }
    // Free blocks beyond what the overhead leaves: no shrink.
    let none = Live {
        free_bytes: 8000 * 1024,
        free_inodes: 2037,
    };
    assert_eq!(
        live_min_blocks(&sb, &img[..], none).unwrap().resize2fs,
        8192
    );

    // Any counts at all: no panic, and the floor's contract holds.
    let mut rng = XorShift(0x5eed);
    for _ in 0..2000 {
        let wide = rng.below(2) == 0;
        let live = Live {
            free_bytes: if wide {
                rng.next()
            } else {
                rng.below(9000 * 1024)
            },
            free_inodes: if wide { rng.next() } else { rng.below(2100) },
        };
        if let Ok(f) = live_min_blocks(&sb, &img[..], live) {
            assert!(f.resize2fs <= f.floor && f.floor <= 8192, "{live:?} {f:?}");
        }
    }
}

#[test]
fn min_blocks_without_descriptors_means_no_shrink() {
    let img = image();
    let sb = Superblock::parse(&img[1024..2048]).unwrap();
    assert_eq!(sb.floor, None);
    assert_eq!(sb.min_blocks(), sb.block_count());
    let ins = inspect_source(&img[..]).unwrap();
    assert_eq!(ins.sb.min_blocks(), 2249);
    assert!(ins.problems().is_empty());
}

#[test]
fn descriptors_beyond_the_source_are_an_error() {
    let img = image();
    let sb = parse(&img).unwrap();
    // The superblock claims 8 MiB; a 4 KiB source cannot hold it.
    assert_eq!(
        min_blocks(&sb, &img[..4096]),
        Err(Ext4Error::BeyondDevice {
            fs_bytes: 8 << 20,
            device_bytes: 4096
        })
    );
}

/// One field changed, one specific error.
#[test]
fn one_field_mutations_give_their_own_error() {
    type Mutation = (fn(&mut [u8]), Ext4Error);
    let cases: Vec<Mutation> = vec![
        (|b| put16(b, S_MAGIC, 0x1234), Ext4Error::BadMagic(0x1234)),
        (|b| put32(b, S_REV_LEVEL, 2), Ext4Error::RevisionTooHigh(2)),
        (
            |b| put32(b, S_LOG_BLOCK_SIZE, 7),
            Ext4Error::LogBlockSize(7),
        ),
        (
            |b| put32(b, S_LOG_BLOCK_SIZE, u32::MAX),
            Ext4Error::LogBlockSize(u32::MAX),
        ),
        (
            |b| put32(b, S_LOG_CLUSTER_SIZE, 2),
            Ext4Error::LogClusterSize(2),
        ),
        (
            |b| put32(b, S_BLOCKS_PER_GROUP, 0),
            Ext4Error::BlocksPerGroup(0),
        ),
        (
            |b| put32(b, S_BLOCKS_PER_GROUP, 7),
            Ext4Error::BlocksPerGroup(7),
        ),
        (
            |b| put32(b, S_BLOCKS_PER_GROUP, 16384),
            Ext4Error::BlocksPerGroup(16384),
        ),
        (
            |b| put32(b, S_INODES_PER_GROUP, 0),
            Ext4Error::InodesPerGroup(0),
        ),
        (
            |b| put32(b, S_INODES_PER_GROUP, 9000),
            Ext4Error::InodesPerGroup(9000),
        ),
        (|b| put16(b, S_INODE_SIZE, 100), Ext4Error::InodeSize(100)),
        (|b| put16(b, S_INODE_SIZE, 2048), Ext4Error::InodeSize(2048)),
        (|b| put16(b, S_DESC_SIZE, 48), Ext4Error::DescSize(48)),
        (
            |b| put32(b, S_FIRST_DATA_BLOCK, 8192),
            Ext4Error::FirstDataBlock(8192),
        ),
        (
            |b| put32(b, S_INODES_COUNT, 2047),
            Ext4Error::InodeCount {
                inodes: 2047,
                expected: 2048,
            },
        ),
        (
            |b| b[S_LOG_GROUPS_PER_FLEX] = 32,
            Ext4Error::LogGroupsPerFlex(32),
        ),
    ];
    for (mutate, want) in cases {
        let mut img = image();
        mutate(&mut img[1024..2048]);
        assert_eq!(parse(&img), Err(want));
    }
}

#[test]
fn bad_checksum_is_found_by_verify() {
    let mut img = image();
    img[1024 + S_CHECKSUM] ^= 1;
    let sb = parse(&img).expect("the geometry is still fine");
    assert_eq!(sb.checksum_verdict(), Checksum::Bad);
    assert!(!sb.checksum_ok());
    assert!(matches!(
        sb.verify(1 << 30),
        Err(Ext4Error::BadChecksum { .. })
    ));
    // A field changed without resealing is caught the same way.
    let mut img = image();
    put32(&mut img[1024..], S_R_BLOCKS_COUNT_LO, 1);
    assert!(matches!(
        parse(&img).unwrap().verify(1 << 30),
        Err(Ext4Error::BadChecksum { .. })
    ));
    // An unknown checksum type.
    let mut img = image();
    img[1024 + S_CHECKSUM_TYPE] = 2;
    reseal(&mut img);
    assert_eq!(
        parse(&img).unwrap().verify(1 << 30),
        Err(Ext4Error::ChecksumType(2))
    );
}

#[test]
fn block_count_beyond_the_device() {
    let sb = parse(&image()).unwrap();
    assert_eq!(
        sb.verify(8191 * 1024),
        Err(Ext4Error::BeyondDevice {
            fs_bytes: 8192 * 1024,
            device_bytes: 8191 * 1024
        })
    );
}

#[test]
fn every_truncation_below_2048_bytes_is_truncated() {
    let img = image();
    for len in 0..2048 {
        let want = Ext4Error::Truncated {
            len: len as u64,
            need: 2048,
        };
        assert_eq!(parse(&img[..len]), Err(want.clone()), "len {len}");
        match read_from(&img[..len]) {
            Err(ReadError::Ext4(e)) => assert_eq!(e, want, "len {len}"),
            other => panic!("len {len}: {other:?}"),
        }
    }
    assert!(parse(&img[..2048]).is_ok());
    assert!(matches!(
        Superblock::parse(&img[1024..2047]),
        Err(Ext4Error::Truncated {
            len: 1023,
            need: 1024
        })
    ));
}

#[test]
fn state_texts_and_flags() {
    let cases = [
        (1u16, "clean"),
        (0, "not clean"),
        (3, "clean with errors"),
        (2, "not clean with errors"),
        (5, "clean"),
    ];
    for (state, text) in cases {
        let mut img = image();
        put16(&mut img[1024..], S_STATE, state);
        let sb = parse(&img).unwrap();
        assert_eq!(sb.state_text(), text);
        assert_eq!(sb.has_errors(), state & 2 != 0);
    }
    let mut img = image();
    put32(&mut img[1024..], S_LAST_ORPHAN, 12);
    assert!(parse(&img).unwrap().orphan_present());
    let mut img = image();
    put32(
        &mut img[1024..],
        S_FEATURE_RO_COMPAT,
        RO_COMPAT_ORPHAN_PRESENT,
    );
    let sb = parse(&img).unwrap();
    assert!(sb.orphan_present());
    assert_eq!(sb.checksum_verdict(), Checksum::None);
}

/// blkid's ext2/ext3/ext4 rules (libblkid superblocks/ext.c).
#[test]
fn kind_follows_blkid() {
    let cases: [(u32, u32, u32, u32, Option<&str>); 7] = [
        (
            0,
            INCOMPAT_FILETYPE,
            RO_COMPAT_SPARSE_SUPER,
            0,
            Some("ext2"),
        ),
        (
            COMPAT_HAS_JOURNAL,
            INCOMPAT_FILETYPE | INCOMPAT_RECOVER,
            RO_COMPAT_LARGE_FILE,
            0,
            Some("ext3"),
        ),
        (COMPAT_HAS_JOURNAL, INCOMPAT_EXTENTS, 0, 0, Some("ext4")),
        (0, 0, RO_COMPAT_HUGE_FILE, 0, Some("ext4")),
        (0, INCOMPAT_RECOVER, 0, 0, None),
        (0, INCOMPAT_JOURNAL_DEV, 0, 0, Some("jbd")),
        (0, 0, 0, EXT2_FLAGS_TEST_FILESYS, Some("ext4dev")),
    ];
    let base = parse(&image()).unwrap();
    for (compat, incompat, ro, flags, want) in cases {
        let sb = Superblock {
            feature_compat: compat,
            feature_incompat: incompat,
            feature_ro_compat: ro,
            flags,
            ..base.clone()
        };
        assert_eq!(sb.kind(), want, "{compat:x} {incompat:x} {ro:x} {flags:x}");
    }
}

#[test]
fn backup_superblocks_follow_sparse_super() {
    let sb = parse(&image()).unwrap();
    let with: Vec<u64> = (0..60).filter(|&g| sb.has_super(g)).collect();
    assert_eq!(with, [0, 1, 3, 5, 7, 9, 25, 27, 49]);
    let dense = Superblock {
        feature_ro_compat: 0,
        ..sb.clone()
    };
    assert!((0..10).all(|g| dense.has_super(g)));
    let sparse2 = Superblock {
        feature_compat: COMPAT_SPARSE_SUPER2,
        backup_bgs: [1, 7],
        ..sb
    };
    let with: Vec<u64> = (0..20).filter(|&g| sparse2.has_super(g)).collect();
    assert_eq!(with, [0, 1, 7]);
}

#[test]
fn reports_name_every_required_key() {
    let ins = inspect_source(&image()[..]).unwrap();
    let json = report::json(&ins, "img").finish();
    for key in [
        "magic_ok",
        "revision",
        "block_size",
        "block_count",
        "free_blocks",
        "reserved_blocks",
        "first_block",
        "blocks_per_group",
        "inode_count",
        "free_inodes",
        "inodes_per_group",
        "inode_size",
        "uuid",
        "label",
        "last_mounted_on",
        "state",
        "errors",
        "features",
        "needs_recovery",
        "orphan_present",
        "checksum",
        "group_count",
        "min_blocks",
        "kind",
    ] {
        assert!(
            json.contains(&format!("\"{key}\":")),
            "{key} missing: {json}"
        );
    }
    assert!(json.contains("\"min_blocks\":2249"));
    let text = report::text(&ins);
    assert!(text.contains("Filesystem volume name:   root\n"));
    assert!(text.contains("Block count:              8192\n"));
    assert!(text.contains("Shrink floor:             2249 blocks (2302976 bytes)\n"));
}

/// A mounted device's report adds where and its live floor; an unmounted
/// one says `"live":null`.
#[test]
fn reports_show_the_live_floor_of_a_mounted_device() {
    let mut ins = inspect_source(&image()[..]).unwrap();
    assert!(
        report::json(&ins, "img")
            .finish()
            .contains(r#""live":null,"#)
    );
    ins.live = Some(live::Mounted {
        mount_point: "/mnt".into(),
        floor: Some(Floor {
            resize2fs: 3202,
            floor: 3267,
        }),
    });
    let json = report::json(&ins, "img").finish();
    assert!(
        json.contains(
            r#""live":{"mount_point":"/mnt","min_blocks":3267,"min_blocks_resize2fs":3202},"#
        ),
        "{json}"
    );
    let text = report::text(&ins);
    assert!(
        text.contains("Shrink floor:             2249 blocks"),
        "{text}"
    );
    assert!(text.contains("Mounted on:               /mnt\nLive resize2fs minimum:   3202 blocks\nLive shrink floor:        3267 blocks\n"), "{text}");
    ins.live = Some(live::Mounted {
        mount_point: "/mnt".into(),
        floor: None,
    });
    assert!(report::text(&ins).contains("Live shrink floor:        unknown\n"));
}

/// xorshift64* (Vigna), a fixed-seed generator for the mutation test.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Random mutations of the superblock and descriptor region never panic,
/// and whatever parses keeps its floor within the block count.
#[test]
fn random_mutations_never_panic() {
    let mut img = image();
    let pristine = img.clone();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let fields = [
        S_BLOCKS_COUNT_LO,
        S_FREE_INODES_COUNT,
        S_FIRST_DATA_BLOCK,
        S_LOG_BLOCK_SIZE,
        S_LOG_CLUSTER_SIZE,
        S_BLOCKS_PER_GROUP,
        S_CLUSTERS_PER_GROUP,
        S_INODES_PER_GROUP,
        S_INODES_COUNT,
        S_FEATURE_INCOMPAT,
        S_FEATURE_RO_COMPAT,
        S_FEATURE_COMPAT,
        S_FIRST_META_BG,
        S_BLOCKS_COUNT_HI,
        S_BACKUP_BGS,
    ];
    let mut parsed = 0;
    for _ in 0..20_000 {
        let mut touched = Vec::new();
        for _ in 0..=rng.below(4) {
            if rng.below(2) == 0 {
                let at = 1024 + fields[rng.below(fields.len() as u64) as usize];
                let v = match rng.below(3) {
                    0 => rng.next() as u32,
                    1 => rng.below(64) as u32,
                    _ => 1 << rng.below(32),
                };
                put32(&mut img, at, v);
                touched.push((at, 4));
            } else {
                let at = 1024 + rng.below(2048) as usize;
                img[at] = rng.next() as u8;
                touched.push((at, 1));
            }
        }
        if rng.below(2) == 0 {
            reseal(&mut img);
            touched.push((1024 + S_CHECKSUM, 4));
        }
        if let Ok(ins) = inspect_source(&img[..]) {
            parsed += 1;
            let _ = report::text(&ins);
            let _ = report::json(&ins, "fuzz").finish();
            assert!(ins.sb.min_blocks() <= ins.sb.block_count());
        }
        for (at, len) in touched {
            img[at..at + len].copy_from_slice(&pristine[at..at + len]);
        }
    }
    assert!(parsed > 1000, "only {parsed} mutations parsed");
}
