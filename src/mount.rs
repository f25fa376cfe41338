//! mount(2), umount2(2) and pivot_root(2) as rootlift uses them, each call
//! wrapped so that its error names the call, the path and the errno.

use std::path::Path;

use rustix::mount::{
    MountFlags, MountPropagationFlags, UnmountFlags, mount, mount_change, mount_move, unmount,
};

use crate::error::{Error, Result};

fn shown(p: &Path) -> std::path::Display<'_> {
    p.display()
}

/// mount(2) of a filesystem: `source` on `target` as `fstype` with `flags`
/// and the filesystem-specific `data` string.
pub fn mount_fs(
    source: &str,
    target: &Path,
    fstype: &str,
    flags: MountFlags,
    data: &str,
) -> Result<()> {
    let data = std::ffi::CString::new(data)
        .map_err(|_| Error::invalid("mount options", shown(target), "contain a NUL byte"))?;
    mount(source, target, fstype, flags, Some(data.as_c_str()))
        .map_err(|e| Error::sys("mount", shown(target), e))
}

/// mount(2) with MS_MOVE: the whole subtree at `from` moves to `to`.
pub fn move_mount(from: &Path, to: &Path) -> Result<()> {
    mount_move(from, to).map_err(|e| {
        Error::sys(
            "mount(MS_MOVE)",
            format_args!("{} -> {}", shown(from), shown(to)),
            e,
        )
    })
}

/// mount(2) with MS_PRIVATE|MS_REC: no propagation in or out of the tree.
pub fn make_rprivate(path: &Path) -> Result<()> {
    mount_change(
        path,
        MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
    )
    .map_err(|e| Error::sys("mount(MS_REC|MS_PRIVATE)", shown(path), e))
}

/// mount(2) with MS_SHARED on one mount (not its submounts).
pub fn make_shared(path: &Path) -> Result<()> {
    mount_change(path, MountPropagationFlags::SHARED)
        .map_err(|e| Error::sys("mount(MS_SHARED)", shown(path), e))
}

/// umount2(2) with the given flags (empty: a plain umount).
pub fn umount(path: &Path, flags: UnmountFlags) -> Result<()> {
    let call = if flags.contains(UnmountFlags::DETACH) {
        "umount2(MNT_DETACH)"
    } else {
        "umount2"
    };
    unmount(path, flags).map_err(|e| Error::sys(call, shown(path), e))
}

/// pivot_root(2): `new_root` becomes `/`, the old root moves to `put_old`.
pub fn pivot_root(new_root: &Path, put_old: &Path) -> Result<()> {
    rustix::process::pivot_root(new_root, put_old).map_err(|e| {
        Error::sys(
            "pivot_root",
            format_args!("{} {}", shown(new_root), shown(put_old)),
            e,
        )
    })
}

/// chdir(2).
pub fn chdir(path: &Path) -> Result<()> {
    rustix::process::chdir(path).map_err(|e| Error::sys("chdir", shown(path), e))
}

/// Splits a comma-separated option string into the MS_* flags mount(2)
/// takes and the rest, which goes to the filesystem as `data`
/// (the split mount(8) does).
pub fn split_options(options: &str) -> (MountFlags, String) {
    let mut flags = MountFlags::empty();
    let mut data: Vec<&str> = Vec::new();
    for opt in options.split(',').filter(|o| !o.is_empty()) {
        match opt {
            "ro" => flags |= MountFlags::RDONLY,
            "rw" => {}
            "nosuid" => flags |= MountFlags::NOSUID,
            "nodev" => flags |= MountFlags::NODEV,
            "noexec" => flags |= MountFlags::NOEXEC,
            "sync" => flags |= MountFlags::SYNCHRONOUS,
            "dirsync" => flags |= MountFlags::DIRSYNC,
            "noatime" => flags |= MountFlags::NOATIME,
            "nodiratime" => flags |= MountFlags::NODIRATIME,
            "relatime" => flags |= MountFlags::RELATIME,
            "strictatime" => flags |= MountFlags::STRICTATIME,
            "lazytime" => flags |= MountFlags::LAZYTIME,
            // Shown by the kernel but not settable through data.
            "seclabel" => {}
            other => data.push(other),
        }
    }
    (flags, data.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_split_into_flags_and_data() {
        let (flags, data) = split_options("rw,nosuid,relatime,errors=remount-ro,commit=30");
        assert_eq!(flags, MountFlags::NOSUID | MountFlags::RELATIME);
        assert_eq!(data, "errors=remount-ro,commit=30");
        let (flags, data) = split_options("ro,noatime");
        assert_eq!(flags, MountFlags::RDONLY | MountFlags::NOATIME);
        assert_eq!(data, "");
    }
}
