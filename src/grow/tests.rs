//! Unit tests of grow's decisions and readers; the resizes themselves are
//! in tests/root_grow.rs (root tier, loop devices).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::abi::{BTRFS_PATH_NAME_MAX, BtrfsIoctlVolArgs};
use super::btrfs::{SUPER_OFFSET, SUPER_SIZE, Super, resize_name};
use super::lvm::plan;
use super::*;
use crate::job::tools::parse_vgs;
use crate::size::Size;

fn outcome(before: u64, after: u64) -> Outcome {
    Outcome {
        mount_point: "/srv".into(),
        fstype: "ext4".into(),
        device: "/dev/loop0".into(),
        before,
        after,
        lv: None,
        note: None,
    }
}

#[test]
fn reports_read_like_the_issue() {
    assert_eq!(
        outcome(64 << 20, 128 << 20).text(),
        "grew /srv (ext4 on /dev/loop0) from 64.0 MiB to 128.0 MiB\n"
    );
    assert_eq!(
        outcome(384 << 20, 300 << 20).text(),
        "shrank /srv (ext4 on /dev/loop0) from 384.0 MiB to 300.0 MiB\n"
    );
    assert_eq!(
        outcome(1 << 30, 1 << 30).text(),
        "/srv (ext4 on /dev/loop0) is already 1.0 GiB: nothing to do\n"
    );
    assert_eq!(
        outcome(128 << 20, (128 << 20) + 1024).text(),
        "grew /srv (ext4 on /dev/loop0) from 134217728 bytes to 134218752 bytes\n"
    );
    let mut o = outcome(10 << 30, 12 << 30);
    o.lv = Some(Extended {
        name: "vg0/srv".into(),
        from: 10 << 30,
        to: 12 << 30,
    });
    o.note = Some("a note".into());
    assert_eq!(
        o.text(),
        "extended LV vg0/srv from 10.0 GiB to 12.0 GiB\n\
         grew /srv (ext4 on /dev/loop0) from 10.0 GiB to 12.0 GiB\n\
         a note\n"
    );
}

#[test]
fn wanted_sizes() {
    assert_eq!(wanted(GrowTarget::Max, 1 << 30), 1 << 30);
    assert_eq!(wanted(GrowTarget::Size(Size(96 << 20)), 1 << 30), 96 << 20);
}

#[test]
fn vgs_output() {
    assert_eq!(
        parse_vgs("  1073741824 4194304\n"),
        Some((1 << 30, 4 << 20))
    );
    assert_eq!(parse_vgs("  0 4194304\n"), Some((0, 4 << 20)));
    for bad in ["", "  12\n", "12 x\n", "1 2 3\n", "-1 4194304"] {
        assert_eq!(parse_vgs(bad), None, "{bad:?}");
    }
}

#[test]
fn lv_plan_rounds_up_to_extents_and_refuses_without_room() {
    const EXT: u64 = 4 << 20;
    // 10 MiB asked, LV 8 MiB: 12 MiB (three extents), one extent needed.
    assert_eq!(
        plan("vg/lv", 8 << 20, 10 << 20, EXT, EXT).unwrap(),
        12 << 20
    );
    // Already a whole number of extents.
    assert_eq!(
        plan("vg/lv", 8 << 20, 16 << 20, 2 * EXT, EXT).unwrap(),
        16 << 20
    );
    // One extent short.
    let e = plan("vg/lv", 8 << 20, 16 << 20, EXT, EXT).unwrap_err();
    assert_eq!(e.exit_code(), 3);
    assert_eq!(
        e.to_string(),
        "refused: the LV vg/lv (8.0 MiB) would need 8.0 MiB more, and its VG has 4.0 MiB free"
    );
    // An extent size lvm never reports.
    assert_eq!(plan("vg/lv", 0, 1, 1 << 30, 0).unwrap_err().exit_code(), 1);
    assert_eq!(
        plan("vg/lv", 0, 1, 1 << 30, 1000).unwrap_err().exit_code(),
        1
    );
    // Rounding that overflows.
    assert!(plan("vg/lv", 0, u64::MAX, u64::MAX, EXT).is_err());
}

#[test]
fn btrfs_resize_names() {
    assert_eq!(resize_name(1, 536870912), "1:536870912");
    let args = BtrfsIoctlVolArgs::with_name("1:max").unwrap();
    assert_eq!(&args.name[..6], b"1:max\0");
    assert_eq!(args.fd, 0);
    assert!(args.is_terminated());
    let longest = "9".repeat(BTRFS_PATH_NAME_MAX);
    assert!(
        BtrfsIoctlVolArgs::with_name(&longest)
            .unwrap()
            .is_terminated()
    );
    assert!(BtrfsIoctlVolArgs::with_name(&format!("{longest}9")).is_none());
    assert!(BtrfsIoctlVolArgs::with_name("1:\0max").is_none());
    let mut full = args;
    full.name = [b'1'; BTRFS_PATH_NAME_MAX + 1];
    assert!(!full.is_terminated());
}

/// A real superblock: mkfs.btrfs on a 300 MiB sparse file (no root needed),
/// its fields compared with `btrfs inspect-internal dump-super`.
fn mkfs_btrfs(tag: &str) -> (PathBuf, Vec<u8>) {
    let dir = std::env::temp_dir().join(format!("rootlift-grow-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let img = dir.join("btrfs.img");
    std::fs::File::create(&img)
        .unwrap()
        .set_len(300 << 20)
        .unwrap();
    let out = Command::new("/usr/sbin/mkfs.btrfs")
        .args(["-q", "-f"])
        .arg(&img)
        .output()
        .expect("spawn /usr/sbin/mkfs.btrfs (btrfs-progs)");
    assert!(out.status.success(), "mkfs.btrfs: {out:?}");
    let bytes = std::fs::read(&img).unwrap();
    let sb = bytes[SUPER_OFFSET as usize..SUPER_OFFSET as usize + SUPER_SIZE].to_vec();
    (img, sb)
}

fn dump_super(img: &Path) -> String {
    let out = Command::new("/usr/bin/btrfs")
        .args(["inspect-internal", "dump-super"])
        .arg(img)
        .output()
        .expect("spawn /usr/bin/btrfs");
    assert!(out.status.success(), "btrfs dump-super: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The value of `key` in dump-super's output (the first such line).
fn field(dump: &str, key: &str) -> u64 {
    dump.lines()
        .find_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some(key)).then(|| w.next().unwrap().parse().unwrap())
        })
        .unwrap_or_else(|| panic!("{key} not in dump-super:\n{dump}"))
}

#[test]
fn btrfs_superblock_matches_dump_super() {
    let (img, sb) = mkfs_btrfs("sb");
    let s = Super::parse(&sb).unwrap();
    let dump = dump_super(&img);
    assert_eq!(s.total_bytes, field(&dump, "total_bytes"));
    assert_eq!(s.total_bytes, 300 << 20);
    assert_eq!(s.bytes_used, field(&dump, "bytes_used"));
    assert_eq!(s.num_devices, field(&dump, "num_devices"));
    assert_eq!(u64::from(s.sectorsize), field(&dump, "sectorsize"));
    assert_eq!(s.devid, field(&dump, "dev_item.devid"));
    assert_eq!(s.dev_total_bytes, field(&dump, "dev_item.total_bytes"));
    assert_eq!(s.dev_bytes_used, field(&dump, "dev_item.bytes_used"));
    assert!(s.csum_checked);
    let _ = std::fs::remove_dir_all(img.parent().unwrap());
}

#[test]
fn btrfs_superblock_mutations_are_rejected() {
    let (img, sb) = mkfs_btrfs("neg");
    let _ = std::fs::remove_dir_all(img.parent().unwrap());
    // Truncated, and every single-byte flip the crc32c must catch.
    assert!(Super::parse(&sb[..SUPER_SIZE - 1]).is_err());
    for at in [0x00, 0x20, 0x70, 0x88, 0x90, 0xC9, 0xD1, 0xFFF] {
        let mut bad = sb.clone();
        bad[at] ^= 0x01;
        assert!(Super::parse(&bad).is_err(), "flip at {at:#x}");
    }
    let mut bad = sb.clone();
    bad[0x40] = b'X';
    assert_eq!(Super::parse(&bad).unwrap_err(), "no btrfs magic");
    // Field checks behind a valid checksum.
    let resum = |mut b: Vec<u8>| {
        let crc = crate::crc32c::checksum(&b[0x20..]);
        b[..4].copy_from_slice(&crc.to_le_bytes());
        b
    };
    let set = |at: usize, v: &[u8]| {
        let mut b = sb.clone();
        b[at..at + v.len()].copy_from_slice(v);
        resum(b)
    };
    assert!(Super::parse(&set(0x90, &3000u32.to_le_bytes())).is_err());
    assert!(Super::parse(&set(0x90, &(128u32 << 10).to_le_bytes())).is_err());
    assert!(Super::parse(&set(0x88, &0u64.to_le_bytes())).is_err());
    assert!(Super::parse(&set(0xC9, &0u64.to_le_bytes())).is_err());
    assert!(Super::parse(&set(0xD1, &u64::MAX.to_le_bytes())).is_err());
    // A checksum type this reader does not compute is parsed unverified.
    let other = set(0xC4, &1u16.to_le_bytes());
    let mut flipped = other.clone();
    flipped[0] ^= 1;
    assert!(!Super::parse(&flipped).unwrap().csum_checked);
    assert_eq!(resum(sb.clone()), sb);
}
