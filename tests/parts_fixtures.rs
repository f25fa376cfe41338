//! `rootlift parts` and the table editor against util-linux and gdisk, on
//! image files the real tools make at test time (no root, no loop device):
//!
//! - GPT made by sfdisk and by sgdisk, 1 to 4 partitions (gaps, names,
//!   attributes, a 256-entry array), 512-byte sectors: every field of
//!   `rootlift parts --json` equals `sfdisk --json`'s (both flattened by
//!   jq into `path=value` lines).
//! - GPT made by fdisk with 4096-byte sectors (sfdisk 2.38 cannot be told
//!   the sector size of a file): the header and every row of `fdisk -b
//!   4096 -x`.
//! - MBR with primaries, a bootable flag, and an extended partition (0x05
//!   and 0x0f) with logicals: sfdisk --json again.
//! - One-field mutations (with the CRCs recomputed, so the field itself is
//!   what is judged) and bad CRCs are refused, never half read.
//! - Edits written by rootlift's own writer: `sfdisk --dump` before and
//!   after differs only in the partition's size, `sgdisk -v` and
//!   `sfdisk --verify` are clean, and a disk that grew gets its GPT backup
//!   moved to the end.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{Scratch, run_ok};
use rootlift::crc32;
use rootlift::parts::{Disk, Table};

// ---------------------------------------------------------------- tools

fn tool(name: &str) -> PathBuf {
    ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("{name} not found (packages fdisk, gdisk, jq)"))
}

fn run(cmd: &mut Command, stdin: Option<&str>) -> Output {
    common::run_with_input(cmd, stdin)
}

fn rootlift() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rootlift"))
}

fn image(s: &Scratch, name: &str, mib: u64) -> PathBuf {
    let p = s.path.join(name);
    fs::File::create(&p).unwrap().set_len(mib << 20).unwrap();
    p
}

fn sfdisk_script(img: &Path, script: &str) {
    run_ok(
        Command::new(tool("sfdisk")).arg("-q").arg(img),
        Some(script),
    );
}

fn sgdisk(img: &Path, args: &[&str]) {
    run_ok(Command::new(tool("sgdisk")).args(args).arg(img), None);
}

/// A JSON document as sorted `path=value` lines (jq).
fn flat(json: &str) -> BTreeMap<String, String> {
    let filter = r#"paths(scalars) as $p | "\($p | map(tostring) | join("."))=\(getpath($p))""#;
    run_ok(Command::new(tool("jq")).args(["-r", filter]), Some(json))
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect()
}

/// Ours against sfdisk --json, every field.
fn same_as_sfdisk(img: &Path) -> BTreeMap<String, String> {
    let ours = flat(&run_ok(rootlift().args(["parts", "--json"]).arg(img), None));
    let theirs = flat(&run_ok(
        Command::new(tool("sfdisk")).arg("--json").arg(img),
        None,
    ));
    let differ: Vec<String> = theirs
        .keys()
        .chain(ours.keys())
        .filter(|k| ours.get(*k) != theirs.get(*k))
        .map(|k| format!("{k}: ours {:?}, sfdisk {:?}", ours.get(k), theirs.get(k)))
        .collect();
    assert!(
        differ.is_empty(),
        "{}:\n{}",
        img.display(),
        differ.join("\n")
    );
    assert!(
        ours.keys().any(|k| k.ends_with(".start")),
        "no partitions compared"
    );
    ours
}

// ---------------------------------------------------- reading, vs the tools

#[test]
fn gpt_by_sfdisk_one_to_four_partitions() {
    let s = Scratch::new("parts-sfdisk");
    let scripts = [
        "label: gpt\n,\n",
        "label: gpt\nsize=8M, type=L, name=\"root\"\ntype=S\n",
        "label: gpt\nlabel-id: 01234567-89AB-CDEF-0123-456789ABCDEF\n\
         size=4M, type=U, name=\"EFI system\"\n\
         size=16M, type=L, attrs=\"LegacyBIOSBootable\"\n\
         size=8M, type=L, name=\"data\"\n",
        "label: gpt\nsize=2M\nsize=2M, attrs=\"RequiredPartition GUID:50,63\"\n\
         size=2M\nname=\"rest\"\n",
    ];
    for (i, script) in scripts.iter().enumerate() {
        let img = image(&s, &format!("gpt{i}.img"), 64);
        sfdisk_script(&img, script);
        let f = same_as_sfdisk(&img);
        let count = f.keys().filter(|k| k.ends_with(".start")).count();
        assert_eq!(count, i + 1, "{script}");
    }
}

#[test]
fn gpt_by_sgdisk_with_gaps_names_and_a_larger_array() {
    let s = Scratch::new("parts-sgdisk");
    let img = image(&s, "a.img", 64);
    sgdisk(
        &img,
        &[
            "-n",
            "1:2048:+16M",
            "-c",
            "1:root fs",
            "-t",
            "1:8304",
            "-n",
            "2:0:+8M",
            "-c",
            "2:dätä \"q\" \\b",
            "-n",
            "4:0:+4M",
            "-t",
            "4:8200",
        ],
    );
    sgdisk(
        &img,
        &[
            "-A", "1:set:2", "-A", "1:set:60", "-A", "2:set:1", "-A", "4:set:48",
        ],
    );
    let f = same_as_sfdisk(&img);
    assert_eq!(
        f["partitiontable.partitions.2.node"],
        format!("{}4", img.display())
    );
    let big = image(&s, "b.img", 64);
    sgdisk(
        &big,
        &["--resize-table=256", "-n", "1:0:+1M", "-n", "3:0:0"],
    );
    same_as_sfdisk(&big);
    // Old-style alignment: the first partition at sector 34.
    let old = image(&s, "c.img", 16);
    sgdisk(&old, &["-a", "1", "-n", "1:34:+1M", "-n", "2:0:0"]);
    same_as_sfdisk(&old);
}

#[test]
fn mbr_primaries_and_logicals() {
    let s = Scratch::new("parts-mbr");
    let scripts = [
        "label: dos\nlabel-id: 0xdeadbeef\n,8M,83,*\n,8M,c\n,8M,82\n",
        "label: dos\n,8M,83,*\n,8M,c\n,,5\n,4M,83\n,4M,82\n,,83\n",
        "label: dos\n,16M,83\n,,f\n,1M,7\n,1M,83\n",
    ];
    for (i, script) in scripts.iter().enumerate() {
        let img = image(&s, &format!("mbr{i}.img"), 64);
        sfdisk_script(&img, script);
        same_as_sfdisk(&img);
    }
    let out = run_ok(rootlift().arg("parts").arg(s.path.join("mbr1.img")), None);
    assert!(
        out.contains("mbr1.img5: start 36864 end 45055 sectors 8192 (4.0 MiB) type 83 logical\n"),
        "{out}"
    );
    assert!(
        out.contains("mbr1.img1: start 2048 end 18431 sectors 16384 (8.0 MiB) type 83 bootable\n"),
        "{out}"
    );
}

/// fdisk's `-x` listing of a 4 KiB-sector image: header facts and rows.
fn fdisk_4k(img: &Path) -> (BTreeMap<String, String>, Vec<Vec<String>>) {
    let out = run_ok(
        Command::new(tool("fdisk"))
            .args([
                "-b",
                "4096",
                "-l",
                "-o",
                "Device,Start,End,Sectors,Type-UUID,UUID,Name,Attrs",
            ])
            .arg("-x")
            .arg(img),
        None,
    );
    let mut head = BTreeMap::new();
    let mut rows = Vec::new();
    let mut cols: Option<(usize, usize)> = None;
    for line in out.lines() {
        if let Some((name, attrs)) = cols {
            if line.trim().is_empty() {
                continue;
            }
            let mut row: Vec<String> = line
                .get(..name)
                .unwrap_or(line)
                .split_whitespace()
                .map(str::to_owned)
                .collect();
            row.push(line.get(name..attrs).unwrap_or("").trim().to_owned());
            row.push(line.get(attrs..).unwrap_or("").trim().to_owned());
            rows.push(row);
        } else if line.starts_with("Device") {
            cols = Some((line.find("Name").unwrap(), line.find("Attrs").unwrap()));
        } else if let Some((k, v)) = line.split_once(": ") {
            head.insert(k.to_owned(), v.trim().to_owned());
        }
    }
    (head, rows)
}

#[test]
fn gpt_with_4096_byte_sectors_by_fdisk() {
    let s = Scratch::new("parts-4k");
    let img = image(&s, "g4.img", 64);
    // g (new GPT), two partitions, a name in expert mode, write.
    let script = "g\nn\n1\n\n+16M\nn\n2\n\n+8M\nn\n3\n\n\nx\nn\n1\nmy root\nr\nw\n";
    run(
        Command::new(tool("fdisk")).args(["-b", "4096"]).arg(&img),
        Some(script),
    );
    let (head, rows) = fdisk_4k(&img);
    let ours = flat(&run_ok(
        rootlift().args(["parts", "--json"]).arg(&img),
        None,
    ));
    let pt = |k: &str| ours[&format!("partitiontable.{k}")].clone();
    assert_eq!(pt("sectorsize"), "4096");
    assert_eq!(pt("label"), head["Disklabel type"]);
    assert_eq!(pt("id"), head["Disk identifier"]);
    assert_eq!(pt("firstlba"), head["First usable LBA"]);
    assert_eq!(pt("lastlba"), head["Last usable LBA"]);
    assert_eq!(rows.len(), 3, "{rows:?}");
    for (i, row) in rows.iter().enumerate() {
        let p = |k: &str| {
            ours.get(&format!("partitiontable.partitions.{i}.{k}"))
                .cloned()
        };
        assert_eq!(p("node").as_deref(), Some(row[0].as_str()));
        assert_eq!(p("start").as_deref(), Some(row[1].as_str()));
        assert_eq!(p("size").as_deref(), Some(row[3].as_str()));
        assert_eq!(p("type").as_deref(), Some(row[4].as_str()));
        assert_eq!(p("uuid").as_deref(), Some(row[5].as_str()));
        assert_eq!(p("name").unwrap_or_default(), row[6]);
        assert_eq!(p("attrs").unwrap_or_default(), row[7]);
    }
    assert_eq!(ours["partitiontable.partitions.0.name"], "my root");
}

// ------------------------------------------------------------- refusals

/// A GPT image made by sfdisk, in memory: 4 MiB, three partitions.
fn gpt_bytes(s: &Scratch) -> Vec<u8> {
    let img = image(s, "m.img", 4);
    sfdisk_script(&img, "label: gpt\n,1M\n,1M\n,\n");
    fs::read(img).unwrap()
}

const SS: usize = 512;
const HDR: usize = SS; // LBA 1
const ARRAY: usize = 2 * SS; // LBA 2

fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// Recomputes both CRCs of the header at `hdr` over its array.
fn reseal(b: &mut [u8], hdr: usize) {
    let array_lba = le64(b, hdr + 0x48) as usize;
    let entries = u32::from_le_bytes(b[hdr + 0x50..hdr + 0x54].try_into().unwrap()) as usize;
    let (from, len) = (array_lba * SS, (entries * 128).min(1 << 20));
    if from + len <= b.len() {
        let crc = crc32::checksum(&b[from..from + len]);
        b[hdr + 0x58..hdr + 0x5C].copy_from_slice(&crc.to_le_bytes());
    }
    b[hdr + 0x10..hdr + 0x14].fill(0);
    let crc = crc32::checksum(&b[hdr..hdr + 92]);
    b[hdr + 0x10..hdr + 0x14].copy_from_slice(&crc.to_le_bytes());
}

/// The backup header's offset in the image.
fn backup(b: &[u8]) -> usize {
    le64(b, HDR + 0x20) as usize * SS
}

fn refused(b: &[u8], what: &str) -> String {
    match Table::read(b, 512) {
        Ok(t) => panic!("{what}: read as {t:?}"),
        Err(why) => why,
    }
}

#[test]
fn gpt_one_field_mutations_are_refused() {
    let s = Scratch::new("parts-mut");
    let good = gpt_bytes(&s);
    assert_eq!(
        Table::read(good.as_slice(), 512).unwrap().partitions.len(),
        3
    );

    // Each header field set to a value its checks must refuse, both CRCs
    // recomputed: the field is what is judged, not the checksum.
    let size = good.len() as u64 / 512;
    let fields: [(&str, usize, u64, u32); 10] = [
        ("my_lba", 0x18, 2, 8),
        ("alternate_lba beyond the disk", 0x20, size, 8),
        ("first_usable above last_usable", 0x28, size - 10, 8),
        ("last_usable into the backup array", 0x30, size - 2, 8),
        ("first_usable into the array", 0x28, 3, 8),
        ("entry array at lba 1", 0x48, 1, 8),
        ("no entries", 0x50, 0, 4),
        ("entry size 64", 0x54, 64, 4),
        ("header size 91", 0x0C, 91, 4),
        ("revision 2.0", 0x08, 0x0002_0000, 4),
    ];
    for (what, at, value, width) in fields {
        for hdr in [HDR, backup(&good)] {
            let mut b = good.clone();
            b[hdr + at..hdr + at + width as usize]
                .copy_from_slice(&value.to_le_bytes()[..width as usize]);
            reseal(&mut b, hdr);
            let why = refused(&b, what);
            assert!(why.contains("gpt"), "{what}: {why}");
        }
    }

    // Entries: before the usable range, ending before they start, over
    // another one, past the usable range.
    let first = le64(&good, HDR + 0x28);
    let last = le64(&good, HDR + 0x30);
    let start1 = le64(&good, ARRAY + 128 + 0x20);
    let entries: [(&str, usize, u64); 4] = [
        ("start before first usable", ARRAY + 0x20, first - 1),
        (
            "end before start",
            ARRAY + 0x28,
            le64(&good, ARRAY + 0x20) - 1,
        ),
        ("overlap", ARRAY + 0x28, start1),
        ("end past last usable", ARRAY + 2 * 128 + 0x28, last + 1),
    ];
    for (what, at, value) in entries {
        let mut b = good.clone();
        for hdr in [HDR, backup(&good)] {
            let array = le64(&b, hdr + 0x48) as usize * SS;
            b[array + at - ARRAY..array + at - ARRAY + 8].copy_from_slice(&value.to_le_bytes());
            reseal(&mut b, hdr);
        }
        let why = refused(&b, what);
        assert!(why.contains("partition"), "{what}: {why}");
    }

    // Checksums: one byte of each header and each array.
    let arrays = [ARRAY, le64(&good, backup(&good) + 0x48) as usize * SS];
    for at in [
        HDR + 0x38,
        backup(&good) + 0x38,
        arrays[0] + 0x40,
        arrays[1] + 0x40,
    ] {
        let mut b = good.clone();
        b[at] ^= 0x01;
        let why = refused(&b, "a flipped bit");
        assert!(
            why.contains("crc32") || why.contains("differs"),
            "{at}: {why}"
        );
    }
    // The two copies disagree, each consistent in itself.
    let mut b = good.clone();
    let bk = backup(&good);
    b[bk + 0x38] ^= 0xFF;
    reseal(&mut b, bk);
    assert!(refused(&b, "disk guids").contains("differs"));
    // No protective MBR signature: not a table at all.
    let mut b = good.clone();
    b[510] = 0;
    assert!(refused(&b, "no 55aa").contains("no partition table"));
    // Every truncation of the image is refused or read, never a panic.
    for len in (0..good.len()).step_by(509) {
        let _ = Table::read(&good[..len], 512);
    }
}

#[test]
fn mbr_mutations_are_refused() {
    let s = Scratch::new("parts-mbrmut");
    let img = image(&s, "m.img", 8);
    sfdisk_script(&img, "label: dos\n,1M,83\n,,5\n,1M,83\n,1M,83\n");
    let good = fs::read(&img).unwrap();
    assert_eq!(
        Table::read(good.as_slice(), 512).unwrap().partitions.len(),
        4
    );
    let e = |n: usize, f: usize| 0x1BE + n * 16 + f;
    let ebr = 512 * u32::from_le_bytes(good[e(1, 8)..e(1, 12)].try_into().unwrap()) as usize;
    let cases: [(&str, usize, &[u8]); 6] = [
        ("boot indicator 0x7f", e(0, 0), &[0x7F]),
        ("beyond the disk", e(0, 12), &0x0010_0000u32.to_le_bytes()),
        (
            "primaries overlap",
            e(2, 4),
            &[0x83, 0, 0, 0, 0, 8, 0, 0, 0, 16, 0, 0],
        ),
        (
            "two extended",
            e(2, 4),
            &[0x0F, 0, 0, 0, 0, 0x50, 0, 0, 0, 1, 0, 0],
        ),
        (
            "an ebr linking to itself",
            ebr + e(1, 8),
            &0u32.to_le_bytes(),
        ),
        ("an ebr without 55aa", ebr + 510, &[0, 0]),
    ];
    for (what, at, bytes) in cases {
        let mut b = good.clone();
        b[at..at + bytes.len()].copy_from_slice(bytes);
        let why = refused(&b, what);
        assert!(!why.is_empty(), "{what}");
    }
}

#[test]
fn parts_on_what_holds_no_table_fails_with_one_line() {
    let s = Scratch::new("parts-bad");
    let empty = image(&s, "empty.img", 1);
    let garbage = s.path.join("garbage.img");
    fs::write(&garbage, vec![0x55u8; 4096]).unwrap();
    let dir = s.path.display().to_string();
    let cases: [(&str, &str); 5] = [
        (
            "/nonexistent/disk.img",
            "open /nonexistent/disk.img: ENOENT",
        ),
        ("/dev/null", "neither a block device nor a disk image"),
        (&dir, "is neither a block device nor a disk image"),
        (
            empty.to_str().unwrap(),
            "no partition table (no 0x55aa boot signature)",
        ),
        (garbage.to_str().unwrap(), "no partition table"),
    ];
    for (path, says) in cases {
        for json in [false, true] {
            let mut cmd = rootlift();
            cmd.arg("parts").arg(path);
            if json {
                cmd.arg("--json");
            }
            let out = run(&mut cmd, None);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{path}: {err}");
            assert!(out.stdout.is_empty(), "{path}: nothing on stdout");
            assert!(
                err.starts_with("rootlift: error: ")
                    && err.contains(says)
                    && err.lines().count() == 1,
                "{path}: {err}"
            );
        }
    }
}

// ------------------------------------------------------------- writing

/// `sfdisk --dump` with the device path left out.
fn dump(img: &Path) -> Vec<String> {
    run_ok(Command::new(tool("sfdisk")).arg("--dump").arg(img), None)
        .lines()
        .map(|l| l.replace(&img.display().to_string(), "IMG"))
        .collect()
}

fn sgdisk_clean(img: &Path) {
    let out = run_ok(Command::new(tool("sgdisk")).arg("-v").arg(img), None);
    assert!(
        out.contains("No problems found"),
        "sgdisk -v {}: {out}",
        img.display()
    );
}

fn sfdisk_verify(img: &Path) {
    let out = run(Command::new(tool("sfdisk")).arg("--verify").arg(img), None);
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && text.contains("No errors detected"),
        "sfdisk --verify ({}): {text}",
        out.status
    );
}

/// Resizes partition `n` of `img` to `sectors` with rootlift's writer.
fn resize(img: &Path, n: u32, sectors: u64) -> usize {
    let disk = Disk::open_write(img).unwrap();
    let mut t = disk.table().unwrap();
    t.set_size(n, sectors).unwrap();
    let patches = disk.patches(&t).unwrap();
    disk.write(&patches, false).unwrap();
    assert_eq!(disk.table().unwrap(), t, "the table read back");
    patches.len()
}

/// The lines of `a` and `b` that differ.
fn changed(a: &[String], b: &[String]) -> Vec<(String, String)> {
    a.iter()
        .zip(b)
        .filter(|(x, y)| x != y)
        .map(|(x, y)| (x.clone(), y.clone()))
        .collect()
}

#[test]
fn edits_change_only_the_size() {
    let s = Scratch::new("parts-write");
    let gpt = image(&s, "gpt.img", 64);
    sfdisk_script(
        &gpt,
        "label: gpt\nsize=32M, name=\"root\"\nsize=16M, name=\"data\"\n",
    );
    let mbr = image(&s, "mbr.img", 64);
    sfdisk_script(&mbr, "label: dos\n,32M,83,*\n,16M,83\n");
    for img in [&gpt, &mbr] {
        let before = dump(img);
        let runs = resize(img, 1, 40960);
        let after = dump(img);
        let diff = changed(&before, &after);
        assert_eq!(diff.len(), 1, "{diff:?}");
        assert!(diff[0].0.contains("size=       65536"), "{diff:?}");
        assert!(diff[0].1.contains("size=       40960"), "{diff:?}");
        assert!(runs <= 6, "{runs} runs changed");
        sfdisk_verify(img);
        same_as_sfdisk(img);
        // And back: the exact bytes of the original table.
        resize(img, 1, 65536);
        assert_eq!(dump(img), before);
    }
    sgdisk_clean(&gpt);
}

#[test]
fn edits_are_refused_where_they_would_harm() {
    let s = Scratch::new("parts-nowrite");
    let img = image(&s, "m.img", 64);
    sfdisk_script(&img, "label: dos\n,16M,83\n,16M,83\n,,5\n,4M,83\n");
    let mut t = Table::read(&*fs::read(&img).unwrap(), 512).unwrap();
    let over = t.set_size(1, 40000).unwrap_err();
    assert!(over.contains("overlap partition 2"), "{over}");
    assert!(
        t.set_size(5, 100)
            .unwrap_err()
            .contains("logical or extended")
    );
    assert!(
        t.set_size(3, 100)
            .unwrap_err()
            .contains("logical or extended")
    );
    assert!(t.set_size(9, 100).unwrap_err().contains("no partition 9"));
    assert!(t.set_size(1, 0).is_err());
    let gpt = image(&s, "g.img", 16);
    sfdisk_script(&gpt, "label: gpt\n,\n");
    let mut t = Table::read(&*fs::read(&gpt).unwrap(), 512).unwrap();
    let last = t.last_lba;
    let start = t.get(1).unwrap().start;
    let past = t.set_size(1, last - start + 2).unwrap_err();
    assert!(past.contains("cannot end past sector"), "{past}");
    assert_eq!(t.max_end(1), Some(last));
}

#[test]
fn a_grown_disk_gets_its_gpt_backup_at_the_end() {
    let s = Scratch::new("parts-grow");
    let img = image(&s, "g.img", 32);
    sfdisk_script(&img, "label: gpt\n,16M\n,8M\n");
    fs::OpenOptions::new()
        .write(true)
        .open(&img)
        .unwrap()
        .set_len(48 << 20)
        .unwrap();
    let disk = Disk::open_write(&img).unwrap();
    let mut t = disk.table().unwrap();
    assert!(t.backup_before_end());
    let old_last = t.last_lba;
    t.move_backup_to_end(48 << 11).unwrap();
    assert!(!t.backup_before_end());
    let end = t.max_end(2).unwrap();
    assert!(end > old_last, "{end} <= {old_last}");
    let start = t.get(2).unwrap().start;
    t.set_size(2, end - start + 1).unwrap();
    disk.write(&disk.patches(&t).unwrap(), false).unwrap();
    drop(disk);
    sgdisk_clean(&img);
    sfdisk_verify(&img);
    let f = same_as_sfdisk(&img);
    assert_eq!(f["partitiontable.lastlba"], (48u64 * 2048 - 34).to_string());
    assert_eq!(
        f["partitiontable.partitions.1.size"],
        (end - start + 1).to_string()
    );
}
