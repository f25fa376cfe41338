//! The block-device stack under a filesystem, walked through sysfs
//! (Documentation/ABI/stable/sysfs-block, sysfs-devices-dm): from
//! `/sys/dev/block/MAJ:MIN` to the device's directory, its `dm/name` and
//! `dm/uuid` when it is a device-mapper device, its `slaves/` (the devices
//! under a dm device), and the disk a partition belongs to.
//!
//! Every function takes the sysfs root, so tests walk a fake tree.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// How deep a stack may be before we stop (dm on dm on dm...).
const MAX_DEPTH: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A device-mapper device; `lvm` holds (VG, LV) when its uuid starts
    /// with `LVM-`.
    Dm {
        dm_name: String,
        uuid: String,
        lvm: Option<(String, String)>,
    },
    Partition {
        number: u32,
        disk: String,
    },
    Loop {
        backing_file: Option<String>,
    },
    Disk,
}

/// One device of the stack and the devices under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub major: u32,
    pub minor: u32,
    pub size_bytes: u64,
    pub kind: Kind,
    pub below: Vec<Node>,
}

/// Walks the stack under MAJ:MIN.
pub fn stack(sysfs: &Path, major: u32, minor: u32) -> Result<Node> {
    walk(sysfs, major, minor, 0)
}

fn walk(sysfs: &Path, major: u32, minor: u32, depth: usize) -> Result<Node> {
    let link = sysfs.join(format!("dev/block/{major}:{minor}"));
    let dir =
        std::fs::canonicalize(&link).map_err(|e| Error::io("realpath", link.display(), &e))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sectors: u64 = read_trim(&dir.join("size"))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let kind = if let Some(dm_name) = read_trim(&dir.join("dm/name")) {
        let uuid = read_trim(&dir.join("dm/uuid")).unwrap_or_default();
        let lvm = uuid
            .starts_with("LVM-")
            .then(|| split_lvm_name(&dm_name))
            .flatten();
        Kind::Dm { dm_name, uuid, lvm }
    } else if let Some(number) = read_trim(&dir.join("partition")).and_then(|s| s.parse().ok()) {
        let disk = dir
            .parent()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Kind::Partition { number, disk }
    } else if dir.join("loop").is_dir() || name.starts_with("loop") {
        Kind::Loop {
            backing_file: read_trim(&dir.join("loop/backing_file")),
        }
    } else {
        Kind::Disk
    };
    let mut below = Vec::new();
    if depth < MAX_DEPTH {
        match &kind {
            Kind::Partition { .. } => {
                if let Some(d) = dir.parent().and_then(dev_of) {
                    below.push(walk(sysfs, d.0, d.1, depth + 1)?);
                }
            }
            _ => {
                for slave in list_dir(&dir.join("slaves")) {
                    if let Some(d) = dev_of(&slave) {
                        below.push(walk(sysfs, d.0, d.1, depth + 1)?);
                    }
                }
            }
        }
    }
    Ok(Node {
        name,
        major,
        minor,
        size_bytes: sectors.saturating_mul(512),
        kind,
        below,
    })
}

/// Whether block device `dev` is built on `root` (device-mapper or md
/// `slaves/`, at any depth): such a device holds the root device open.
pub fn stacked_on(dev: (u32, u32), root: (u32, u32)) -> bool {
    fn go(dev: (u32, u32), root: (u32, u32), depth: usize) -> bool {
        let dir = Path::new("/sys/dev/block").join(format!("{}:{}", dev.0, dev.1));
        depth < MAX_DEPTH
            && list_dir(&dir.join("slaves"))
                .iter()
                .filter_map(|s| dev_of(s))
                .any(|d| d == root || go(d, root, depth + 1))
    }
    go(dev, root, 0)
}

/// MAJ:MIN from a device directory's `dev` file.
fn dev_of(dir: &Path) -> Option<(u32, u32)> {
    let s = read_trim(&dir.join("dev"))?;
    let (a, b) = s.split_once(':')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

fn read_trim(p: &Path) -> Option<String> {
    std::fs::read_to_string(p)
        .ok()
        .map(|s| s.trim_end().to_owned())
}

fn list_dir(p: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(p)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.sort_unstable();
    v
}

/// Splits an LVM dm name into (VG, LV): they are joined by one `-`, and a
/// `-` inside either name is doubled (`my--vg-my--lv`).
pub fn split_lvm_name(dm_name: &str) -> Option<(String, String)> {
    let b = dm_name.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'-' {
            if b.get(i + 1) == Some(&b'-') {
                i += 2;
                continue;
            }
            let (vg, lv) = (&dm_name[..i], &dm_name[i + 1..]);
            if vg.is_empty() || lv.is_empty() {
                return None;
            }
            return Some((vg.replace("--", "-"), lv.replace("--", "-")));
        }
        i += 1;
    }
    None
}

/// One line: `vg0-root (LVM LV vg0/root, 20.0 GiB) on vda2 (partition 2 of vda, 20.0 GiB) on vda (disk, 20.0 GiB)`.
pub fn describe(node: &Node) -> String {
    let what = match &node.kind {
        Kind::Dm {
            lvm: Some((vg, lv)),
            ..
        } => format!("LVM LV {vg}/{lv}"),
        Kind::Dm { .. } => "device-mapper".to_owned(),
        Kind::Partition { number, disk } => format!("partition {number} of {disk}"),
        Kind::Loop {
            backing_file: Some(f),
        } => format!("loop of {f}"),
        Kind::Loop { backing_file: None } => "loop".to_owned(),
        Kind::Disk => "disk".to_owned(),
    };
    let mut s = format!("{} ({what}, {})", node.name, human_bytes(node.size_bytes));
    match node.below.as_slice() {
        [] => {}
        [one] => {
            s.push_str(" on ");
            s.push_str(&describe(one));
        }
        many => {
            s.push_str(" on [");
            let parts: Vec<String> = many.iter().map(describe).collect();
            s.push_str(&parts.join(", "));
            s.push(']');
        }
    }
    s
}

/// Bytes as `20.0 GiB`, `512.0 MiB`, `4.0 KiB`, `100 B`: the largest unit
/// that leaves at least 1, one decimal rounded half to even (what `{:.1}`
/// of the exact quotient prints). Integer arithmetic only, so the binary
/// carries no float formatting code (about 8 KiB).
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if b < 1024 {
        return format!("{b} B");
    }
    let mut unit = 0;
    while unit + 1 < UNITS.len() && b >> (10 * (unit + 2)) != 0 {
        unit += 1;
    }
    let div = 1u128 << (10 * (unit + 1));
    let scaled = u128::from(b) * 10;
    let (mut tenths, rest) = (scaled / div, scaled % div);
    if rest * 2 > div || (rest * 2 == div && tenths % 2 == 1) {
        tenths += 1;
    }
    format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// What human_bytes printed before, with f64 (exact below 2^53).
    fn human_bytes_f64(b: u64) -> String {
        const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
        if b < 1024 {
            return format!("{b} B");
        }
        let mut v = b as f64 / 1024.0;
        let mut unit = UNITS[0];
        for u in &UNITS[1..] {
            if v < 1024.0 {
                break;
            }
            v /= 1024.0;
            unit = u;
        }
        format!("{v:.1} {unit}")
    }

    #[test]
    fn human_bytes_prints_what_float_formatting_printed() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut samples: Vec<u64> = (0..4096).collect();
        for k in 1..6 {
            let unit = 1u64 << (10 * k);
            // Exact ties (.25 and .75 of a unit, the only quotients that end
            // in 5 at the second decimal) and their neighbours, every unit
            // boundary, and the rounding up to 1024.0 of a unit.
            for t in 0..4000 {
                let tie = unit / 4 * (2 * t + 1);
                samples.extend([tie - 1, tie, tie + 1]);
            }
            samples.extend([
                unit - 1,
                unit,
                unit + 1,
                unit * 1024 - unit / 20,
                unit * 1024 - 1,
            ]);
        }
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            samples.push(x >> (11 + x % 40));
        }
        for b in samples.into_iter().filter(|b| *b < 1 << 53) {
            assert_eq!(human_bytes(b), human_bytes_f64(b), "{b} bytes");
        }
        assert_eq!(human_bytes(u64::MAX), "16384.0 PiB");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(1280), "1.2 KiB");
        assert_eq!(human_bytes(1792), "1.8 KiB");
    }

    fn write(p: &Path, s: &str) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, s).unwrap();
    }

    /// A fake sysfs: dm-0 (LVM vg0/root) on vda2, a partition of vda.
    fn fake_sysfs() -> PathBuf {
        let root = std::env::temp_dir().join(format!("rootlift-sysfs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let vda = root.join("devices/pci0000:00/0000:00:04.0/virtio1/block/vda");
        let dm0 = root.join("devices/virtual/block/dm-0");
        write(&vda.join("dev"), "254:0\n");
        write(&vda.join("size"), "41943040\n");
        write(&vda.join("vda2/dev"), "254:2\n");
        write(&vda.join("vda2/size"), "39843840\n");
        write(&vda.join("vda2/partition"), "2\n");
        write(&dm0.join("dev"), "252:0\n");
        write(&dm0.join("size"), "20971520\n");
        write(&dm0.join("dm/name"), "vg0-root\n");
        write(&dm0.join("dm/uuid"), "LVM-abcdefABCDEF\n");
        std::fs::create_dir_all(dm0.join("slaves")).unwrap();
        symlink(
            "../../../../pci0000:00/0000:00:04.0/virtio1/block/vda/vda2",
            dm0.join("slaves/vda2"),
        )
        .unwrap();
        std::fs::create_dir_all(root.join("dev/block")).unwrap();
        symlink(
            "../../devices/virtual/block/dm-0",
            root.join("dev/block/252:0"),
        )
        .unwrap();
        symlink(
            "../../devices/pci0000:00/0000:00:04.0/virtio1/block/vda/vda2",
            root.join("dev/block/254:2"),
        )
        .unwrap();
        symlink(
            "../../devices/pci0000:00/0000:00:04.0/virtio1/block/vda",
            root.join("dev/block/254:0"),
        )
        .unwrap();
        root
    }

    #[test]
    fn walks_lv_to_partition_to_disk() {
        let sys = fake_sysfs();
        let n = stack(&sys, 252, 0).unwrap();
        assert_eq!(n.name, "dm-0");
        assert_eq!(n.size_bytes, 10 << 30);
        assert_eq!(
            n.kind,
            Kind::Dm {
                dm_name: "vg0-root".into(),
                uuid: "LVM-abcdefABCDEF".into(),
                lvm: Some(("vg0".into(), "root".into()))
            }
        );
        let part = &n.below[0];
        assert_eq!(part.name, "vda2");
        assert_eq!(
            part.kind,
            Kind::Partition {
                number: 2,
                disk: "vda".into()
            }
        );
        assert_eq!(part.below[0].name, "vda");
        assert_eq!(part.below[0].kind, Kind::Disk);
        assert_eq!(
            describe(&n),
            "dm-0 (LVM LV vg0/root, 10.0 GiB) on vda2 (partition 2 of vda, 19.0 GiB) on vda (disk, 20.0 GiB)"
        );
        assert!(stack(&sys, 9, 9).is_err());
        let _ = std::fs::remove_dir_all(&sys);
    }

    #[test]
    fn lvm_names_unescape_dashes() {
        assert_eq!(
            split_lvm_name("vg0-root"),
            Some(("vg0".into(), "root".into()))
        );
        assert_eq!(
            split_lvm_name("my--vg-my--lv"),
            Some(("my-vg".into(), "my-lv".into()))
        );
        assert_eq!(split_lvm_name("noseparator"), None);
        assert_eq!(split_lvm_name("-x"), None);
        assert_eq!(split_lvm_name("x-"), None);
    }

    #[test]
    fn bytes_read_like_people_write_them() {
        assert_eq!(human_bytes(100), "100 B");
        assert_eq!(human_bytes(4096), "4.0 KiB");
        assert_eq!(human_bytes(20 << 30), "20.0 GiB");
        assert_eq!(human_bytes(1536 << 20), "1.5 GiB");
    }
}
