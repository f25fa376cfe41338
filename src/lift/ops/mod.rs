//! The lift's seam to the kernel: every mount-table change the lift makes
//! (mount(2), umount2(2), pivot_root(2), propagation, move_mount(2)), the
//! mount table it reads back (proc_pid_mountinfo(5)), the O_EXCL proof,
//! loop devices and swap, behind one small trait. [`Kernel`] makes the
//! calls; the tests' recording fake (`fake.rs`) models the table, so the
//! sequences of enter, release and return are unit-tested from every mount
//! state they can meet.

#[cfg(test)]
pub mod fake;

use std::path::Path;

use rustix::mount::{MountFlags, UnmountFlags};

use crate::error::Result;
pub use crate::loopdev::LoopSetup;
use crate::proc::mountinfo::Mount;

/// A propagation type (mount_namespaces(7)), for one mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    Private,
    Shared,
    Slave,
    Unbindable,
}

/// What the lift asks of the kernel.
pub trait Ops {
    /// The mount table now (at /proc, or at /oldroot/proc mid-lift).
    fn mounts(&self) -> Result<Vec<Mount>>;
    fn mount_fs(
        &mut self,
        source: &str,
        target: &str,
        fstype: &str,
        flags: MountFlags,
        data: &str,
    ) -> Result<()>;
    fn bind(&mut self, source: &str, target: &str) -> Result<()>;
    fn remount_bind(&mut self, target: &str, flags: MountFlags) -> Result<()>;
    fn move_mount(&mut self, from: &str, to: &str) -> Result<()>;
    fn umount(&mut self, target: &str, flags: UnmountFlags) -> Result<()>;
    /// pivot_root(2), then chdir("/").
    fn pivot_root(&mut self, new_root: &str, put_old: &str) -> Result<()>;
    /// Recursive only for `Private` (enter's make-rprivate of `/`).
    fn propagation(&mut self, target: &str, p: Propagation, recursive: bool) -> Result<()>;
    /// `to` joins the peer group of `from` (same superblock).
    fn join_group(&mut self, from: &str, to: &str) -> Result<()>;
    /// mkdir -p, 0700 for what it creates.
    fn mkdir_all(&mut self, path: &str) -> Result<()>;
    /// open(2) with O_EXCL succeeds: nothing mounts or holds the device.
    fn exclusive(&self, node: &str) -> Result<()>;
    /// A device node for the recorded root (its source, or one made with
    /// mknod(2) in the tmpfs).
    fn root_node(&mut self, root: &crate::lift::record::RootRecord) -> Result<String>;
    fn loop_detach(&mut self, device: &str) -> Result<()>;
    /// Attaches as recorded; returns the loop device used (the recorded one
    /// unless something else took it meanwhile), held open until dropped.
    fn loop_attach(&mut self, setup: &LoopSetup) -> Result<crate::loopdev::Attached>;
    fn swapoff(&mut self, path: &str) -> Result<()>;
    fn swapon(&mut self, path: &str, priority: Option<i32>) -> Result<()>;
    /// Holds every sshd still until the guard drops (see
    /// [`crate::lift::sshd::LoginPause`]); `cycle` names the keeper.
    fn hold_logins(
        &mut self,
        cycle: &[crate::journal::Entry],
    ) -> Option<crate::lift::sshd::LoginPause>;
}

/// The real calls.
pub struct Kernel;

impl Ops for Kernel {
    fn mounts(&self) -> Result<Vec<Mount>> {
        super::mounts_now()
    }

    fn mount_fs(
        &mut self,
        source: &str,
        target: &str,
        fstype: &str,
        flags: MountFlags,
        data: &str,
    ) -> Result<()> {
        crate::mount::mount_fs(source, Path::new(target), fstype, flags, data)
    }

    fn bind(&mut self, source: &str, target: &str) -> Result<()> {
        crate::mount::bind(Path::new(source), Path::new(target))
    }

    fn remount_bind(&mut self, target: &str, flags: MountFlags) -> Result<()> {
        crate::mount::remount_bind(Path::new(target), flags)
    }

    fn move_mount(&mut self, from: &str, to: &str) -> Result<()> {
        crate::mount::move_mount(Path::new(from), Path::new(to))
    }

    fn umount(&mut self, target: &str, flags: UnmountFlags) -> Result<()> {
        crate::mount::umount(Path::new(target), flags)
    }

    fn pivot_root(&mut self, new_root: &str, put_old: &str) -> Result<()> {
        crate::mount::pivot_root(Path::new(new_root), Path::new(put_old))?;
        // pivot_root(2) does not change the caller's cwd.
        crate::mount::chdir(Path::new("/"))
    }

    fn propagation(&mut self, target: &str, p: Propagation, recursive: bool) -> Result<()> {
        let path = Path::new(target);
        match p {
            Propagation::Private if recursive => crate::mount::make_rprivate(path),
            Propagation::Private => crate::mount::make_private(path),
            Propagation::Shared => crate::mount::make_shared(path),
            Propagation::Slave => crate::mount::make_slave(path),
            Propagation::Unbindable => crate::mount::make_unbindable(path),
        }
    }

    fn join_group(&mut self, from: &str, to: &str) -> Result<()> {
        crate::mount::join_group(Path::new(from), Path::new(to))
    }

    fn mkdir_all(&mut self, path: &str) -> Result<()> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)
            .map_err(|e| crate::error::Error::io("mkdir", path, &e))
    }

    fn exclusive(&self, node: &str) -> Result<()> {
        use rustix::fs::{CWD, Mode, OFlags, openat};
        openat(
            CWD,
            node,
            OFlags::RDONLY | OFlags::EXCL | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map(drop)
        .map_err(|e| crate::error::Error::sys("open(O_EXCL)", node, e))
    }

    fn root_node(&mut self, root: &crate::lift::record::RootRecord) -> Result<String> {
        crate::lift::record::root_device_node(root)
    }

    fn loop_detach(&mut self, device: &str) -> Result<()> {
        crate::loopdev::detach(device)
    }

    fn loop_attach(&mut self, setup: &LoopSetup) -> Result<crate::loopdev::Attached> {
        crate::loopdev::attach(setup)
    }

    fn swapoff(&mut self, path: &str) -> Result<()> {
        crate::sys::swapoff_path(path).map_err(|e| crate::error::Error::sys("swapoff", path, e))
    }

    fn swapon(&mut self, path: &str, priority: Option<i32>) -> Result<()> {
        crate::sys::swapon_path(path, priority)
            .map_err(|e| crate::error::Error::sys("swapon", path, e))
    }

    fn hold_logins(
        &mut self,
        cycle: &[crate::journal::Entry],
    ) -> Option<crate::lift::sshd::LoginPause> {
        Some(crate::lift::sshd::LoginPause::new(cycle))
    }
}
