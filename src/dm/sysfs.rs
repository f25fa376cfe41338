//! The few sysfs(5) facts `rootlift dm` needs besides the ioctls
//! (Documentation/ABI/stable/sysfs-block, sysfs-devices-dm,
//! sysfs-class-bdi): the control device's number, a block device's kernel
//! name, its dm name, and its read-ahead. Every function takes the sysfs
//! root so tests can walk a fake tree.

use std::path::Path;

pub const SYSFS: &str = "/sys";

/// `MAJ:MIN` of the device-mapper control node, from
/// `/sys/class/misc/device-mapper/dev`; None when dm-mod is not loaded.
pub fn control_dev(sysfs: &Path) -> Option<(u32, u32)> {
    parse_maj_min(&read_trim(&sysfs.join("class/misc/device-mapper/dev"))?)
}

/// The kernel's name of a block device (`vda`, `vda1`, `dm-0`): the last
/// component of the `/sys/dev/block/MAJ:MIN` link.
pub fn kernel_name(sysfs: &Path, major: u32, minor: u32) -> Option<String> {
    let link = std::fs::read_link(sysfs.join(format!("dev/block/{major}:{minor}"))).ok()?;
    Some(link.file_name()?.to_string_lossy().into_owned())
}

/// Whether sysfs lists block devices at all (it is mounted).
pub fn is_block_dir(sysfs: &Path) -> bool {
    sysfs.join("dev/block").is_dir()
}

/// Whether MAJ:MIN is a dm device: it has a `dm` directory.
pub fn is_dm(sysfs: &Path, major: u32, minor: u32) -> bool {
    sysfs.join(format!("dev/block/{major}:{minor}/dm")).is_dir()
}

/// A dm device's name from `dm/name`; None for other block devices.
pub fn dm_name(sysfs: &Path, major: u32, minor: u32) -> Option<String> {
    read_trim(&sysfs.join(format!("dev/block/{major}:{minor}/dm/name")))
}

/// Read-ahead in 512-byte sectors, as libdm reports it:
/// `bdi/read_ahead_kb` times 2.
pub fn read_ahead_sectors(sysfs: &Path, major: u32, minor: u32) -> Option<u32> {
    let kb: u32 = read_trim(&sysfs.join(format!("dev/block/{major}:{minor}/bdi/read_ahead_kb")))?
        .parse()
        .ok()?;
    kb.checked_mul(2)
}

/// The path a device is best known by: `/dev/mapper/NAME` for dm devices,
/// else `/dev/KERNELNAME`.
pub fn dev_path(sysfs: &Path, major: u32, minor: u32) -> Option<String> {
    if let Some(n) = dm_name(sysfs, major, minor) {
        return Some(format!("/dev/mapper/{n}"));
    }
    kernel_name(sysfs, major, minor).map(|n| format!("/dev/{n}"))
}

fn parse_maj_min(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once(':')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

fn read_trim(p: &Path) -> Option<String> {
    // Sysfs attributes are one short line; refuse anything that is not.
    let s = std::fs::read_to_string(p).ok()?;
    (s.len() <= 4096).then(|| s.trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_fake_tree() {
        let root = std::env::temp_dir().join(format!("rootlift-dm-sysfs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let dev = root.join("devices/virtual/block/dm-0");
        std::fs::create_dir_all(dev.join("dm")).unwrap();
        std::fs::create_dir_all(dev.join("bdi")).unwrap();
        std::fs::create_dir_all(root.join("devices/pci/block/vda")).unwrap();
        std::fs::create_dir_all(root.join("dev/block")).unwrap();
        std::fs::create_dir_all(root.join("class/misc/device-mapper")).unwrap();
        std::fs::write(root.join("class/misc/device-mapper/dev"), "10:236\n").unwrap();
        std::fs::write(dev.join("dm/name"), "vg0-root\n").unwrap();
        std::fs::write(dev.join("bdi/read_ahead_kb"), "128\n").unwrap();
        std::os::unix::fs::symlink(
            "../../devices/virtual/block/dm-0",
            root.join("dev/block/254:0"),
        )
        .unwrap();
        std::os::unix::fs::symlink("../../devices/pci/block/vda", root.join("dev/block/253:0"))
            .unwrap();

        assert_eq!(control_dev(&root), Some((10, 236)));
        assert!(is_block_dir(&root));
        assert!(is_dm(&root, 254, 0) && !is_dm(&root, 253, 0) && !is_dm(&root, 1, 1));
        assert_eq!(kernel_name(&root, 254, 0).as_deref(), Some("dm-0"));
        assert_eq!(dm_name(&root, 254, 0).as_deref(), Some("vg0-root"));
        assert_eq!(read_ahead_sectors(&root, 254, 0), Some(256));
        assert_eq!(
            dev_path(&root, 254, 0).as_deref(),
            Some("/dev/mapper/vg0-root")
        );
        assert_eq!(dev_path(&root, 253, 0).as_deref(), Some("/dev/vda"));
        assert_eq!(dev_path(&root, 1, 1), None);
        assert_eq!(read_ahead_sectors(&root, 253, 0), None);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
