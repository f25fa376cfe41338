//! The devices stacked on a block device, from sysfs
//! (Documentation/ABI/stable/sysfs-block, `holders/`): every entry of
//! `/sys/dev/block/MAJ:MIN/holders/` is a device (dm, md, bcache) built on
//! this one, and keeps it open. A device-mapper holder's name is in
//! `/sys/block/dm-N/dm/name` (sysfs-devices-dm).

use std::path::Path;

use super::read::{read_into, trim_newline};
use rustix::fs::CWD;

/// One holder of the target's block device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockHolder {
    /// The kernel name, e.g. `dm-0`.
    pub name: String,
    /// The device-mapper name, e.g. `vg0-root`.
    pub dm_name: Option<String>,
}

/// The holders of block device MAJ:MIN; none when it is not a block device.
pub fn of(sysfs: &Path, major: u32, minor: u32, buf: &mut Vec<u8>) -> Vec<BlockHolder> {
    let dir = sysfs.join(format!("dev/block/{major}:{minor}/holders"));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut holders: Vec<BlockHolder> = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let dm_name = read_into(CWD, sysfs.join("block").join(&name).join("dm/name"), buf)
            .ok()
            .map(|()| String::from_utf8_lossy(trim_newline(buf)).into_owned());
        let at = holders.partition_point(|h| h.name < name);
        holders.insert(at, BlockHolder { name, dm_name });
    }
    holders
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_holders_and_their_dm_names() {
        let root = std::env::temp_dir().join(format!("rootlift-bholders-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let sys = root.join("sys");
        for d in [
            "dev/block/8:2/holders/dm-1",
            "dev/block/8:2/holders/dm-0",
            "dev/block/8:3/holders",
        ] {
            std::fs::create_dir_all(sys.join(d)).unwrap();
        }
        std::fs::create_dir_all(sys.join("block/dm-0/dm")).unwrap();
        std::fs::write(sys.join("block/dm-0/dm/name"), "vg0-root\n").unwrap();

        let mut buf = Vec::new();
        let found = of(&sys, 8, 2, &mut buf);
        let none = of(&sys, 8, 3, &mut buf);
        let missing = of(&sys, 0, 25, &mut buf);
        let _ = std::fs::remove_dir_all(&root);
        assert_eq!(
            found,
            [
                BlockHolder {
                    name: "dm-0".into(),
                    dm_name: Some("vg0-root".into())
                },
                BlockHolder {
                    name: "dm-1".into(),
                    dm_name: None
                },
            ]
        );
        assert!(none.is_empty() && missing.is_empty());
    }
}
