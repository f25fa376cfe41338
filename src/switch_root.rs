//! switch_root(8): from an initramfs, make NEWROOT the root and exec its
//! init as PID 1, as util-linux's sys-utils/switch_root.c does.
//!
//! The initramfs is the kernel's rootfs (a ramfs, or a tmpfs when the
//! kernel has one), and Documentation/filesystems/ramfs-rootfs-initramfs.rst
//! says what leaving it takes: rootfs can never be unmounted and
//! pivot_root(2) refuses it, so "delete everything out of rootfs to free up
//! the space, overmount rootfs with the new root (cd /newmount; mount
//! --move . /; chroot .), attach stdin/stdout/stderr to the new
//! /dev/console, and exec the new init". The kernel interfaces: mount(2)
//! MS_MOVE, chroot(2), statfs(2)'s f_type (RAMFS_MAGIC, TMPFS_MAGIC from
//! linux/magic.h), statx(2) STATX_ATTR_MOUNT_ROOT, openat2(2)
//! RESOLVE_IN_ROOT, unlinkat(2) and execve(2).

use std::ffi::{CStr, OsString};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{
    AtFlags, CWD, Dir, FileType, Mode, OFlags, ResolveFlags, StatxAttributes, StatxFlags, openat,
    openat2, statx, unlinkat,
};
use rustix::io::Errno;
use rustix::mount::UnmountFlags;
use static_assertions::const_assert_eq;

use crate::error::{Error, Result};
use crate::mount::{chdir, move_mount, umount};
use crate::sys_process::exec_keeping_state;

/// linux/magic.h: the f_type statfs(2) reports for a ramfs (rootfs without
/// tmpfs).
pub const RAMFS_MAGIC: u32 = linux_raw_sys::general::RAMFS_MAGIC;
/// linux/magic.h: the f_type of a tmpfs (rootfs on kernels with tmpfs).
pub const TMPFS_MAGIC: u32 = linux_raw_sys::general::TMPFS_MAGIC;
const_assert_eq!(RAMFS_MAGIC, 0x8584_58f6);
const_assert_eq!(TMPFS_MAGIC, 0x0102_1994);

/// The API filesystems util-linux's switch_root moves into NEWROOT, in its
/// order.
pub const API_FILESYSTEMS: [&str; 4] = ["dev", "proc", "sys", "run"];

/// How deep the initramfs is walked; deeper directories are left in place
/// (their memory is not freed, nothing else happens). Each level holds one
/// fd, so this also bounds the fds the walk opens.
const MAX_DEPTH: u32 = 128;

/// `rootlift switch-root NEWROOT INIT [ARGS...]`: returns only on failure.
#[inline(never)]
pub fn command(newroot: &Path, init: &Path, args: &[OsString]) -> Result<()> {
    // Only PID 1 may do this: the initramfs is deleted under every process,
    // and the exec'd INIT must become the system's init (busybox's usage:
    // "PID must be 1"; it refuses otherwise, util-linux does not check).
    let pid = rustix::process::getpid();
    if !pid.is_init() {
        return Err(Error::refused(format!(
            "switch-root must run as PID 1, this is pid {}; nothing was moved",
            pid.as_raw_nonzero()
        )));
    }
    let checked = check(newroot, init)?;
    switch(&checked, newroot)?;
    exec(init, args)
}

/// What the checks found, kept for the switch: NEWROOT open, and the old
/// root open with its device.
pub struct Checked {
    newroot: OwnedFd,
    newroot_dev: Dev,
    old_root: OwnedFd,
    old_root_dev: Dev,
}

/// The refusals, before anything is touched: NEWROOT is a mount point of
/// another filesystem than `/`, and INIT is an executable regular file
/// inside it. Needs no privilege; [`command`] checks PID 1 first.
pub fn check(newroot: &Path, init: &Path) -> Result<Checked> {
    let shown = newroot.display();
    let fd = openat(
        CWD,
        newroot,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| match e {
        Errno::NOENT | Errno::NOTDIR => Error::refused(format!(
            "NEWROOT {shown} is not a directory ({}); nothing was moved",
            crate::error::ErrnoText(e)
        )),
        e => Error::sys("open", &shown, e),
    })?;
    let node = stat_fd(fd.as_fd()).map_err(|e| Error::sys("statx", &shown, e))?;
    let parent = stat_at(fd.as_fd(), c"..")
        .map_err(|e| Error::sys("statx", format_args!("{shown}/.."), e))?;
    let old_root = openat(
        CWD,
        "/",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::sys("open", "/", e))?;
    let root = stat_fd(old_root.as_fd()).map_err(|e| Error::sys("statx", "/", e))?;

    // MS_MOVE moves mounts, not directories: NEWROOT must be the root of a
    // mount. And it must be another filesystem than `/` (busybox's check):
    // the initramfs is about to be emptied by a walk that stops only at
    // other devices, and a NEWROOT bound from inside it would be emptied too.
    if !node.is_mount_below(parent.dev) {
        return Err(Error::refused(format!(
            "NEWROOT {shown} is not a mount point; nothing was moved"
        )));
    }
    if node.dev == root.dev {
        return Err(Error::refused(format!(
            "NEWROOT {shown} is on the same filesystem as /; nothing was moved"
        )));
    }

    // INIT is resolved as it will be after the chroot: relative to NEWROOT,
    // with absolute symlinks and `..` kept inside it (openat2(2)
    // RESOLVE_IN_ROOT), so /sbin/init -> /lib/systemd/systemd is checked
    // in NEWROOT and never in the initramfs. util-linux only warns when
    // access(INIT, X_OK) fails and execs anyway; here a missing init is
    // caught while the initramfs is still intact to fall back to.
    let init_shown = init.display();
    let init_fd = openat2(
        fd.as_fd(),
        init,
        OFlags::PATH | OFlags::CLOEXEC,
        Mode::empty(),
        ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
    )
    .map_err(|e| match e {
        Errno::NOENT | Errno::NOTDIR | Errno::LOOP | Errno::ACCESS | Errno::XDEV => {
            Error::refused(format!(
                "INIT {init_shown} is not found inside NEWROOT {shown} ({}); nothing was moved",
                crate::error::ErrnoText(e)
            ))
        }
        e => Error::sys(
            "openat2(RESOLVE_IN_ROOT)",
            format_args!("{shown} {init_shown}"),
            e,
        ),
    })?;
    let init_node = stat_fd(init_fd.as_fd())
        .map_err(|e| Error::sys("statx", format_args!("{shown} {init_shown}"), e))?;
    if !init_node.is_executable_file() {
        return Err(Error::refused(format!(
            "INIT {init_shown} inside NEWROOT {shown} is not an executable regular file; nothing was moved"
        )));
    }
    Ok(Checked {
        newroot: fd,
        newroot_dev: node.dev,
        old_root,
        old_root_dev: root.dev,
    })
}

/// The switch proper, after the checks: every step from here on changes
/// the mount table or the initramfs.
fn switch(c: &Checked, newroot: &Path) -> Result<()> {
    // 1. The API filesystems go along, so the new init finds /dev (with
    //    /dev/console and the nodes the initramfs's udev made), /proc, /sys
    //    and /run (systemd's state from the initrd) already mounted, as
    //    util-linux's switch_root moves them.
    for name in API_FILESYSTEMS {
        move_api_filesystem(c, newroot, name);
    }

    // 2. Free the initramfs: its files live in page cache that nothing but
    //    these directory entries holds, and once NEWROOT covers `/` nothing
    //    can ever reach them again. Only when `/` really is the initramfs,
    //    a ramfs or tmpfs by statfs(2) (busybox refuses otherwise; util-linux
    //    checks st_dev == 0:1, rootfs's, or statfs in newer versions, and
    //    leaves any other root alone): a switch from a disk root must not
    //    wipe it. Done now, while NEWROOT is still a submount of the old
    //    root, as busybox does, so the walk sees NEWROOT as another device
    //    and passes it by. util-linux deletes after the chroot instead, in a
    //    forked child through an fd of the old root, so that INIT starts at
    //    once; one walk of a small initramfs does not need a second process.
    let fs = rustix::fs::fstatfs(c.old_root.as_fd()).map_err(|e| Error::sys("fstatfs", "/", e))?;
    // f_type is a signed word of the arch's size; the magic is its low 32
    // bits (util-linux's F_TYPE_EQUAL compares the same way).
    if is_initramfs_magic(fs.f_type as u32) {
        let mut sweep = Sweep::new(c.old_root_dev);
        match rustix::io::dup(c.old_root.as_fd()) {
            Ok(root) => sweep.empty_dir(root, 0),
            Err(e) => sweep.failed(Error::sys("dup", "/", e)),
        }
        sweep.report();
    } else {
        note(format_args!(
            "/ is not a ramfs or tmpfs (f_type {:#x}), so it is not an initramfs: its files are left in place",
            fs.f_type as u32
        ));
    }

    // 3. Overmount `/` with NEWROOT and make it the root: from inside
    //    NEWROOT, move it onto `/` and chroot to it (the sequence of the
    //    initramfs docs; pivot_root(2) returns EINVAL on rootfs). The
    //    chdir("/") afterwards puts the cwd at the new root's top, as
    //    util-linux does.
    chdir(newroot)?;
    move_mount(Path::new("."), Path::new("/"))?;
    rustix::process::chroot(".").map_err(|e| Error::sys("chroot", ".", e))?;
    chdir(Path::new("/"))
}

/// What happens to one API filesystem of the initramfs.
#[derive(Debug, PartialEq, Eq)]
pub enum ApiMove {
    /// Not a mount in the initramfs (a plain directory, or missing): it is
    /// removed with the rest of the initramfs, if at all.
    NotMounted,
    /// MS_MOVE it onto NEWROOT's directory of the same name.
    Move,
    /// NEWROOT already has its own mount there.
    TargetMounted,
    /// NEWROOT has no directory of that name (or a symlink, which is not
    /// followed: it could point anywhere, even into the initramfs).
    NoTarget,
}

/// Decides [`ApiMove`] from the source (`/NAME`) and the target
/// (`NEWROOT/NAME`), each as statx(2) without following a symlink saw it.
pub fn plan_api_move(
    source: Option<&Node>,
    target: Option<&Node>,
    old_root_dev: Dev,
    newroot_dev: Dev,
) -> ApiMove {
    match (source, target) {
        (None, _) => ApiMove::NotMounted,
        (Some(s), _) if !s.is_mount_below(old_root_dev) => ApiMove::NotMounted,
        (Some(_), Some(t)) if t.is_dir() && t.is_mount_below(newroot_dev) => ApiMove::TargetMounted,
        (Some(_), Some(t)) if t.is_dir() => ApiMove::Move,
        (Some(_), _) => ApiMove::NoTarget,
    }
}

fn move_api_filesystem(c: &Checked, newroot: &Path, name: &str) {
    let source = PathBuf::from("/").join(name);
    let target = newroot.join(name);
    let s = stat_at(CWD, &source).ok();
    let t = stat_at(c.newroot.as_fd(), name).ok();
    let why = match plan_api_move(s.as_ref(), t.as_ref(), c.old_root_dev, c.newroot_dev) {
        ApiMove::NotMounted => return,
        ApiMove::Move => match move_mount(&source, &target) {
            Ok(()) => return,
            // util-linux warns and force-unmounts; we detach, below.
            Err(e) => format!("{e}"),
        },
        ApiMove::TargetMounted => format!("{} is already a mount point", target.display()),
        ApiMove::NoTarget => format!("{} is not a directory", target.display()),
    };
    // Not moved. Left mounted, the initramfs's mount would sit under the
    // old root once NEWROOT covers `/`: unreachable by any path, never to be
    // unmounted, pinning its memory (a /run tmpfs) or its devices for the
    // life of the system. Detaching it lazily (MNT_DETACH) changes nothing
    // any process can see after the switch and lets the kernel free it
    // when its last user is gone. util-linux does the same when NEWROOT
    // already has the mount (umount2(MNT_DETACH)), and MNT_FORCE when the
    // move failed; a detach is enough there too.
    note(format_args!(
        "{}: {why}; detaching the initramfs's {} instead of moving it",
        source.display(),
        source.display()
    ));
    if let Err(e) = umount(&source, UnmountFlags::DETACH) {
        note(format_args!("{e}"));
    }
}

/// Whether a statfs(2) f_type is the initramfs's: ramfs or tmpfs.
pub fn is_initramfs_magic(f_type: u32) -> bool {
    f_type == RAMFS_MAGIC || f_type == TMPFS_MAGIC
}

/// The recursive delete of the initramfs's contents: from a directory fd
/// down, by openat(2)/unlinkat(2) relative to the parent's fd (so no path
/// is ever resolved again), never following a symlink (O_NOFOLLOW; a
/// symlink is unlinked as itself), and never entering another mount:
/// a directory on another device (util-linux's st_dev test) or one
/// statx(2) marks as a mount root (a bind mount from the initramfs itself)
/// is passed by. Errors are counted, not fatal: what is left only stays in
/// memory.
pub struct Sweep {
    dev: Dev,
    /// Entries unlinked.
    pub removed: u64,
    /// Entries that could not be removed for another reason than a mount.
    pub failures: u64,
    first_failure: Option<Error>,
}

impl Sweep {
    /// A sweep of the filesystem whose device is `dev`.
    pub fn new(dev: Dev) -> Sweep {
        Sweep {
            dev,
            removed: 0,
            failures: 0,
            first_failure: None,
        }
    }

    /// Removes everything inside `dir` (an fd opened with O_DIRECTORY) that
    /// is on this sweep's filesystem; `dir` itself stays.
    pub fn empty_dir(&mut self, dir: OwnedFd, depth: u32) {
        let mut entries = match Dir::new(dir) {
            Ok(d) => d,
            Err(e) => return self.failed(Error::sys("getdents", "initramfs", e)),
        };
        while let Some(entry) = entries.read() {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => return self.failed(Error::sys("getdents", "initramfs", e)),
            };
            let name = entry.file_name();
            if name == c"." || name == c".." {
                continue;
            }
            let Ok(dirfd) = entries.fd() else { return };
            let maybe_dir = matches!(entry.file_type(), FileType::Directory | FileType::Unknown);
            self.remove(dirfd, name, maybe_dir, depth);
        }
    }

    fn remove(&mut self, dirfd: BorrowedFd<'_>, name: &CStr, maybe_dir: bool, depth: u32) {
        if maybe_dir {
            match openat(
                dirfd,
                name,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            ) {
                Ok(sub) => {
                    // The test on the opened fd, not the name: what is
                    // emptied is exactly what was checked.
                    match stat_fd(sub.as_fd()) {
                        Ok(node) if node.is_mount_below(self.dev) => return,
                        Ok(_) => {}
                        Err(e) => return self.failed(Error::sys("statx", lossy(name), e)),
                    }
                    if depth >= MAX_DEPTH {
                        return;
                    }
                    self.empty_dir(sub, depth + 1);
                    return self.unlink(dirfd, name, AtFlags::REMOVEDIR);
                }
                // Not a directory after all (d_type unknown), or a symlink:
                // unlinked as itself below.
                Err(Errno::NOTDIR | Errno::LOOP) => {}
                Err(e) => return self.failed(Error::sys("open", lossy(name), e)),
            }
        }
        self.unlink(dirfd, name, AtFlags::empty());
    }

    fn unlink(&mut self, dirfd: BorrowedFd<'_>, name: &CStr, flags: AtFlags) {
        match unlinkat(dirfd, name, flags) {
            Ok(()) => self.removed += 1,
            // A mount point (EBUSY), or a directory holding one below
            // (ENOTEMPTY): left, as they must be.
            Err(Errno::BUSY | Errno::NOTEMPTY) => {}
            Err(e) => self.failed(Error::sys("unlinkat", lossy(name), e)),
        }
    }

    fn failed(&mut self, e: Error) {
        self.failures += 1;
        self.first_failure.get_or_insert(e);
    }

    fn report(&self) {
        if let Some(e) = &self.first_failure {
            note(format_args!(
                "freeing the initramfs: {} entries removed, {} could not be (first: {e})",
                self.removed, self.failures
            ));
        }
    }
}

/// execve(2) of INIT in the new root, as PID 1: argv[0] is INIT as given
/// (util-linux passes `&argv[2]`), the environment and every fd without
/// FD_CLOEXEC (the console) are passed on, the signal mask is kept.
fn exec(init: &Path, args: &[OsString]) -> Result<()> {
    let mut argv = Vec::with_capacity(args.len() + 1);
    argv.push(init.as_os_str().to_owned());
    argv.extend(args.iter().cloned());
    let envp: Vec<OsString> = std::env::vars_os()
        .map(|(mut k, v)| {
            k.push("=");
            k.push(v);
            k
        })
        .collect();
    let err = exec_keeping_state(init, &argv, &envp);
    Err(Error::io("execve", init.display(), &err))
}

/// A device number as statx(2) gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dev {
    pub major: u32,
    pub minor: u32,
}

/// What the checks need of a statx(2) result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node {
    pub dev: Dev,
    /// st_mode: file type and permission bits.
    pub mode: u32,
    /// STATX_ATTR_MOUNT_ROOT, when the kernel reports it (Linux 5.8+).
    pub mount_root: Option<bool>,
}

impl Node {
    /// Whether this is the root of a mount, given the device of what lies
    /// above it: another device (util-linux's and busybox's st_dev test),
    /// or statx's mount-root attribute (also true for a bind mount from the
    /// same filesystem, which the st_dev test misses).
    pub fn is_mount_below(&self, parent_dev: Dev) -> bool {
        self.dev != parent_dev || self.mount_root == Some(true)
    }

    pub fn is_dir(&self) -> bool {
        self.mode & 0o170_000 == 0o040_000
    }

    /// A regular file with at least one execute bit.
    pub fn is_executable_file(&self) -> bool {
        self.mode & 0o170_000 == 0o100_000 && self.mode & 0o111 != 0
    }
}

fn stat_at<P: rustix::path::Arg>(dirfd: impl AsFd, path: P) -> rustix::io::Result<Node> {
    let flags = AtFlags::SYMLINK_NOFOLLOW | AtFlags::NO_AUTOMOUNT;
    node(statx(
        dirfd,
        path,
        flags,
        StatxFlags::TYPE | StatxFlags::MODE,
    )?)
}

fn stat_fd(fd: BorrowedFd<'_>) -> rustix::io::Result<Node> {
    let flags = AtFlags::EMPTY_PATH | AtFlags::SYMLINK_NOFOLLOW;
    node(statx(fd, c"", flags, StatxFlags::TYPE | StatxFlags::MODE)?)
}

fn node(st: rustix::fs::Statx) -> rustix::io::Result<Node> {
    let supported = st.stx_attributes_mask.contains(StatxAttributes::MOUNT_ROOT);
    Ok(Node {
        dev: Dev {
            major: st.stx_dev_major,
            minor: st.stx_dev_minor,
        },
        mode: u32::from(st.stx_mode),
        mount_root: supported.then(|| st.stx_attributes.contains(StatxAttributes::MOUNT_ROOT)),
    })
}

fn lossy(name: &CStr) -> std::borrow::Cow<'_, str> {
    name.to_string_lossy()
}

/// A line on stderr (PID 1's is the console): what switch-root did instead
/// of the usual.
fn note(args: fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "rootlift: switch-root: {args}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    const ROOT: Dev = Dev { major: 0, minor: 1 };
    const NEW: Dev = Dev {
        major: 254,
        minor: 0,
    };
    const API: Dev = Dev { major: 0, minor: 5 };

    fn dir(dev: Dev, mount_root: Option<bool>) -> Node {
        Node {
            dev,
            mode: 0o040_755,
            mount_root,
        }
    }

    #[test]
    fn initramfs_is_ramfs_or_tmpfs() {
        assert!(is_initramfs_magic(0x8584_58f6));
        assert!(is_initramfs_magic(0x0102_1994));
        assert!(!is_initramfs_magic(0xef53), "ext4");
        assert!(!is_initramfs_magic(0x5846_5342), "xfs");
    }

    #[test]
    fn a_mount_is_another_device_or_a_mount_root() {
        assert!(dir(API, None).is_mount_below(ROOT));
        assert!(dir(API, Some(false)).is_mount_below(ROOT));
        assert!(!dir(ROOT, None).is_mount_below(ROOT));
        assert!(!dir(ROOT, Some(false)).is_mount_below(ROOT));
        assert!(dir(ROOT, Some(true)).is_mount_below(ROOT), "a bind mount");
    }

    #[test]
    fn init_must_be_a_regular_file_with_an_x_bit() {
        let file = |mode| Node {
            dev: NEW,
            mode,
            mount_root: None,
        };
        assert!(file(0o100_755).is_executable_file());
        assert!(file(0o100_100).is_executable_file());
        assert!(file(0o100_001).is_executable_file());
        assert!(!file(0o100_644).is_executable_file());
        assert!(!file(0o040_755).is_executable_file(), "a directory");
        assert!(!file(0o120_777).is_executable_file(), "a symlink");
        assert!(!file(0o020_755).is_executable_file(), "a char device");
    }

    #[test]
    fn api_filesystems_move_only_from_a_mount_onto_a_plain_directory() {
        let mounted = dir(API, Some(true));
        let plain_source = dir(ROOT, Some(false));
        let plain_target = dir(NEW, Some(false));
        let target_mounted = dir(Dev { major: 0, minor: 9 }, Some(true));
        let link = Node {
            dev: NEW,
            mode: 0o120_777,
            mount_root: Some(false),
        };
        let plan = |s: Option<&Node>, t: Option<&Node>| plan_api_move(s, t, ROOT, NEW);
        assert_eq!(plan(Some(&mounted), Some(&plain_target)), ApiMove::Move);
        assert_eq!(plan(None, Some(&plain_target)), ApiMove::NotMounted);
        assert_eq!(
            plan(Some(&plain_source), Some(&plain_target)),
            ApiMove::NotMounted
        );
        assert_eq!(
            plan(Some(&mounted), Some(&target_mounted)),
            ApiMove::TargetMounted
        );
        assert_eq!(
            plan(Some(&mounted), Some(&dir(NEW, Some(true)))),
            ApiMove::TargetMounted,
            "a bind mount inside NEWROOT"
        );
        assert_eq!(plan(Some(&mounted), None), ApiMove::NoTarget);
        assert_eq!(plan(Some(&mounted), Some(&link)), ApiMove::NoTarget);
    }

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            let p = std::env::temp_dir()
                .join(format!("rootlift-switch-root-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn refusal(r: Result<Checked>) -> String {
        match r {
            Err(e) if e.is_refused() => e.to_string(),
            Err(e) => panic!("not a refusal: {e}"),
            Ok(_) => panic!("not refused"),
        }
    }

    #[test]
    fn check_refuses_a_newroot_that_is_not_a_mount_point() {
        let t = TempDir::new("plain");
        std::fs::write(t.0.join("init"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(t.0.join("init"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let msg = refusal(check(&t.0, Path::new("/init")));
        assert!(msg.contains("is not a mount point"), "{msg}");
        let msg = refusal(check(&t.0.join("missing"), Path::new("/init")));
        assert!(msg.contains("is not a directory"), "{msg}");
        let msg = refusal(check(&t.0.join("init"), Path::new("/init")));
        assert!(msg.contains("is not a directory"), "{msg}");
    }

    #[test]
    fn check_refuses_the_current_root() {
        let msg = refusal(check(Path::new("/"), Path::new("/bin/sh")));
        assert!(msg.contains("same filesystem as /"), "{msg}");
    }

    #[test]
    fn check_resolves_init_inside_newroot() {
        // /proc is a mount point of another filesystem on any Linux host:
        // a NEWROOT an unprivileged test can name.
        let msg = refusal(check(Path::new("/proc"), Path::new("/missing/init")));
        assert!(msg.contains("not found inside NEWROOT /proc"), "{msg}");
        // Absolute: looked up as /proc/proc/version, not /proc/version.
        let msg = refusal(check(Path::new("/proc"), Path::new("/proc/version")));
        assert!(msg.contains("not found inside"), "{msg}");
        // A magic link out of NEWROOT is not followed.
        let msg = refusal(check(Path::new("/proc"), Path::new("self/exe")));
        assert!(msg.contains("not found inside"), "{msg}");
        // Found, but not executable.
        let msg = refusal(check(Path::new("/proc"), Path::new("/version")));
        assert!(msg.contains("not an executable regular file"), "{msg}");
    }

    fn dev_of(p: &Path) -> Dev {
        stat_at(CWD, p).unwrap().dev
    }

    fn open_dir(p: &Path) -> OwnedFd {
        openat(
            CWD,
            p,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .unwrap()
    }

    #[test]
    fn sweep_empties_a_tree_without_following_symlinks() {
        let t = TempDir::new("sweep");
        let root = t.0.join("root");
        let outside = t.0.join("outside");
        std::fs::create_dir_all(root.join("usr/lib/modules/x/kernel")).unwrap();
        std::fs::create_dir_all(root.join("empty")).unwrap();
        std::fs::create_dir_all(outside.join("dir")).unwrap();
        std::fs::write(outside.join("victim"), "keep").unwrap();
        std::fs::write(outside.join("dir/victim"), "keep").unwrap();
        std::fs::write(root.join("init"), "x").unwrap();
        std::fs::write(root.join("usr/lib/modules/x/kernel/a.ko"), "x").unwrap();
        symlink(outside.join("victim"), root.join("link-file")).unwrap();
        symlink(outside.join("dir"), root.join("usr/link-dir")).unwrap();
        symlink("/", root.join("link-root")).unwrap();

        let mut sweep = Sweep::new(dev_of(&root));
        sweep.empty_dir(open_dir(&root), 0);
        assert_eq!(sweep.failures, 0, "{:?}", sweep.first_failure);
        // init, link-file, link-root, empty, usr, usr/link-dir, usr/lib,
        // modules, x, kernel, a.ko
        assert_eq!(sweep.removed, 11);
        assert_eq!(std::fs::read_dir(&root).unwrap().count(), 0);
        assert_eq!(
            std::fs::read_to_string(outside.join("victim")).unwrap(),
            "keep"
        );
        assert_eq!(
            std::fs::read_to_string(outside.join("dir/victim")).unwrap(),
            "keep"
        );
    }

    #[test]
    fn sweep_does_not_enter_a_directory_of_another_device() {
        let t = TempDir::new("otherdev");
        std::fs::create_dir_all(t.0.join("mnt")).unwrap();
        std::fs::write(t.0.join("mnt/inside"), "keep").unwrap();
        std::fs::write(t.0.join("file"), "x").unwrap();
        // As if every directory below were a mount of another filesystem.
        let mut sweep = Sweep::new(Dev {
            major: u32::MAX,
            minor: u32::MAX,
        });
        sweep.empty_dir(open_dir(&t.0), 0);
        assert_eq!(sweep.failures, 0);
        assert_eq!(sweep.removed, 1);
        assert!(!t.0.join("file").exists());
        assert_eq!(
            std::fs::read_to_string(t.0.join("mnt/inside")).unwrap(),
            "keep"
        );
    }
}
