//! Device nodes under `/dev/mapper`, made and removed by rootlift itself
//! because an initramfs or a lifted system has no udev (mknod(2),
//! unlink(2)): the control node `/dev/mapper/control` (char, its number
//! from `/sys/class/misc/device-mapper/dev`) and one block node per mapped
//! device, as libdm's udev-less fallback (`_add_dev_node`, `_rm_dev_node`)
//! keeps them: mode 0600, replaced when it points at another device, left
//! alone when it already points at the right one (udev may have made it).

use rustix::fs::{CWD, FileType, Mode, makedev, mknodat};
use rustix::io::Errno;

use crate::error::{Error, Result};

pub const MAPPER_DIR: &str = "/dev/mapper";
pub const CONTROL: &str = "/dev/mapper/control";

/// `/dev/mapper/NAME`.
pub fn node_path(name: &str) -> String {
    format!("{MAPPER_DIR}/{name}")
}

/// Whether `path` (followed through symlinks) is a `kind` node for
/// MAJ:MIN.
fn is_node(path: &str, kind: FileType, major: u32, minor: u32) -> bool {
    rustix::fs::stat(path).is_ok_and(|st| {
        FileType::from_raw_mode(st.st_mode) == kind && st.st_rdev == makedev(major, minor)
    })
}

/// Makes `path` a `kind` node for MAJ:MIN unless it already is one;
/// whatever else is there is replaced.
pub fn ensure(path: &str, kind: FileType, major: u32, minor: u32) -> Result<()> {
    if is_node(path, kind, major, minor) {
        return Ok(());
    }
    ensure_mapper_dir()?;
    match rustix::fs::unlink(path) {
        Ok(()) | Err(Errno::NOENT) => {}
        Err(e) => return Err(Error::sys("unlink", path, e)),
    }
    match mknodat(
        CWD,
        path,
        kind,
        Mode::from_raw_mode(0o600),
        makedev(major, minor),
    ) {
        Ok(()) => Ok(()),
        // Someone (udev) made it meanwhile: fine if it is the right node.
        Err(Errno::EXIST) if is_node(path, kind, major, minor) => Ok(()),
        Err(e) => Err(Error::sys("mknod", path, e)),
    }
}

fn ensure_mapper_dir() -> Result<()> {
    match rustix::fs::mkdir(MAPPER_DIR, Mode::from_raw_mode(0o755)) {
        Ok(()) | Err(Errno::EXIST) => Ok(()),
        Err(e) => Err(Error::sys("mkdir", MAPPER_DIR, e)),
    }
}

/// Removes `/dev/mapper/NAME` if it is the node (or a link to the node) of
/// MAJ:MIN, or a dangling link; a node of another device is left alone.
pub fn remove(name: &str, major: u32, minor: u32) -> Result<()> {
    let path = node_path(name);
    let dangling = rustix::fs::lstat(&path).is_ok() && rustix::fs::stat(&path).is_err();
    if !dangling && !is_node(&path, FileType::BlockDevice, major, minor) {
        return Ok(());
    }
    match rustix::fs::unlink(&path) {
        Ok(()) | Err(Errno::NOENT) => Ok(()),
        Err(e) => Err(Error::sys("unlink", path, e)),
    }
}
