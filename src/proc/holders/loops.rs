//! Loop devices backed by files on the target, from sysfs
//! (Documentation/ABI/testing/sysfs-block-loop): `/sys/block/loopN/loop/`
//! exists while the device is bound, and its `backing_file` holds the file's
//! path as d_path(9) prints it, with ` (deleted)` after an unlinked one. An
//! attached loop device holds its backing file open, so the filesystem under
//! it cannot be unmounted.

use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, CWD, FileType, statat};

use super::maps::DELETED;
use super::read::{path_of, read_into, trim_newline};

/// One loop device whose backing file is on the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopPin {
    /// `/dev/loopN`.
    pub device: PathBuf,
    /// As sysfs names it (` (deleted)` kept).
    pub backing_file: PathBuf,
}

/// The loop devices under `sysfs` whose backing file is on filesystem
/// `dev` (or is the block device `dev`).
pub fn on(sysfs: &Path, dev: u64, buf: &mut Vec<u8>) -> Vec<LoopPin> {
    let Ok(dir) = std::fs::read_dir(sysfs.join("block")) else {
        return Vec::new();
    };
    let mut pins: Vec<LoopPin> = Vec::new();
    for entry in dir.flatten() {
        let name = entry.file_name();
        if !name.as_encoded_bytes().starts_with(b"loop") {
            continue;
        }
        // Unbound loop devices have no backing_file.
        if read_into(CWD, entry.path().join("loop/backing_file"), buf).is_err() {
            continue;
        }
        let shown = trim_newline(buf);
        // An unlinked backing file can no longer be found by its path.
        let path = shown.strip_suffix(DELETED).unwrap_or(shown);
        if backs_onto(&path_of(path), dev) {
            let device = Path::new("/dev").join(&name);
            let at = pins.partition_point(|p| p.device < device);
            let backing_file = path_of(shown);
            pins.insert(
                at,
                LoopPin {
                    device,
                    backing_file,
                },
            );
        }
    }
    pins
}

/// Whether `file` lies on filesystem `dev` or is block device `dev`.
fn backs_onto(file: &Path, dev: u64) -> bool {
    let Ok(st) = statat(CWD, file, AtFlags::empty()) else {
        return false;
    };
    st.st_dev == dev
        || (FileType::from_raw_mode(st.st_mode) == FileType::BlockDevice && st.st_rdev == dev)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake sysfs: loop0 backed by a file in the temp dir (on the temp
    /// dir's filesystem), loop1 backed by a deleted file, loop2 unbound,
    /// loop3 backed by a file elsewhere.
    #[test]
    fn finds_loops_backed_by_files_on_the_fs() {
        let root = std::env::temp_dir().join(format!("rootlift-loops-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let img = root.join("disk img");
        for (dev, backing) in [
            ("loop0", Some(format!("{}\n", img.display()))),
            (
                "loop1",
                Some(format!("{}/gone (deleted)\n", root.display())),
            ),
            ("loop2", None),
            ("loop3", Some("/proc/version\n".to_owned())),
        ] {
            let dir = root.join("sys/block").join(dev);
            std::fs::create_dir_all(&dir).unwrap();
            if let Some(b) = backing {
                std::fs::create_dir_all(dir.join("loop")).unwrap();
                std::fs::write(dir.join("loop/backing_file"), b).unwrap();
            }
        }
        std::fs::create_dir_all(root.join("sys/block/vda")).unwrap();
        std::fs::write(&img, b"").unwrap();
        let dev = statat(CWD, &img, AtFlags::empty()).unwrap().st_dev;

        let pins = on(&root.join("sys"), dev, &mut Vec::new());
        let _ = std::fs::remove_dir_all(&root);
        assert_eq!(
            pins,
            [LoopPin {
                device: "/dev/loop0".into(),
                backing_file: img,
            }]
        );
    }

    #[test]
    fn no_sysfs_no_pins() {
        assert!(on(Path::new("/nonexistent"), 1, &mut Vec::new()).is_empty());
    }
}
