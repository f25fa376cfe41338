//! mount(2), umount2(2) and pivot_root(2) as rootlift uses them, each call
//! wrapped so that its error names the call, the path and the errno.

use std::path::Path;

use rustix::fs::CWD;
use rustix::mount::{
    MountFlags, MountPropagationFlags, MoveMountFlags, UnmountFlags, mount, mount_bind,
    mount_change, mount_move, mount_remount, unmount,
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

/// mount(2) with MS_PRIVATE on one mount (not its submounts).
pub fn make_private(path: &Path) -> Result<()> {
    mount_change(path, MountPropagationFlags::PRIVATE)
        .map_err(|e| Error::sys("mount(MS_PRIVATE)", shown(path), e))
}

/// mount(2) with MS_SHARED on one mount (not its submounts).
pub fn make_shared(path: &Path) -> Result<()> {
    mount_change(path, MountPropagationFlags::SHARED)
        .map_err(|e| Error::sys("mount(MS_SHARED)", shown(path), e))
}

/// mount(2) with MS_SLAVE on one mount: a shared mount becomes a slave of
/// the peer group it was in (mount_namespaces(7)).
pub fn make_slave(path: &Path) -> Result<()> {
    mount_change(path, MountPropagationFlags::DOWNSTREAM)
        .map_err(|e| Error::sys("mount(MS_SLAVE)", shown(path), e))
}

/// mount(2) with MS_UNBINDABLE on one mount.
pub fn make_unbindable(path: &Path) -> Result<()> {
    mount_change(path, MountPropagationFlags::UNBINDABLE)
        .map_err(|e| Error::sys("mount(MS_UNBINDABLE)", shown(path), e))
}

/// move_mount(2) with MOVE_MOUNT_SET_GROUP (Linux 5.15): `to` joins the
/// peer group (and master) of `from`; both must be mounts of the same
/// superblock and `to` must be private.
pub fn join_group(from: &Path, to: &Path) -> Result<()> {
    rustix::mount::move_mount(CWD, from, CWD, to, MoveMountFlags::MOVE_MOUNT_SET_GROUP).map_err(
        |e| {
            Error::sys(
                "move_mount(MOVE_MOUNT_SET_GROUP)",
                format_args!("{} -> {}", shown(from), shown(to)),
                e,
            )
        },
    )
}

/// mount(2) with MS_BIND: `source` (a file or directory) appears at
/// `target` too; not its submounts.
pub fn bind(source: &Path, target: &Path) -> Result<()> {
    mount_bind(source, target).map_err(|e| {
        Error::sys(
            "mount(MS_BIND)",
            format_args!("{} -> {}", shown(source), shown(target)),
            e,
        )
    })
}

/// mount(2) with MS_REMOUNT|MS_BIND: sets the per-mount flags of `target`
/// (read-only, nosuid, nodev, noexec, atime) without touching its
/// filesystem.
pub fn remount_bind(target: &Path, flags: MountFlags) -> Result<()> {
    mount_remount(target, flags | MountFlags::BIND, "")
        .map_err(|e| Error::sys("mount(MS_REMOUNT|MS_BIND)", shown(target), e))
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
