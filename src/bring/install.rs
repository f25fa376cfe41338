//! Writing a closure into DEST without ever following a symlink inside it
//! (openat(2) with O_NOFOLLOW on every path component, starting from a
//! DEST directory fd) and without ever replacing anything (O_EXCL,
//! symlinkat(2) failing with EEXIST). What is already there is accepted
//! only when it is what would have been written: a regular file with the
//! same size and bytes, a symlink with the same target, a directory.
//!
//! DEST itself is the caller's choice and is opened normally.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use super::closure::{Closure, Entry, Kind};
use crate::error::{ErrnoText, Error, Result};

/// Every directory rootlift creates has this mode.
const DIR_MODE: u32 = 0o755;
const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);
/// Chunk size when copying a file or comparing it with its source.
const CHUNK: usize = 64 * 1024;

/// One entry and what install did with it.
#[derive(Debug, Clone)]
pub struct Installed {
    pub entry: Entry,
    /// False when an identical file, symlink or directory was already there.
    pub created: bool,
}

/// What [`install`] did, entry by entry, in closure order.
#[derive(Debug, Clone)]
pub struct InstallReport {
    pub dest: PathBuf,
    pub items: Vec<Installed>,
}

impl InstallReport {
    /// The sum of the sizes of all files of the closure, present or new.
    pub fn total_bytes(&self) -> u64 {
        self.items
            .iter()
            .map(|i| match i.entry.kind {
                Kind::File { size, .. } => size,
                _ => 0,
            })
            .fold(0, u64::saturating_add)
    }
}

/// Creates every entry of `closure` under `dest`: directories with mode
/// 0755, files copied with their permission bits, symlinks verbatim. Stops
/// at the first failure (what was created stays: DEST is a scratch tree
/// the caller removes).
pub fn install(dest: &Path, closure: &Closure) -> Result<InstallReport> {
    let root = open_dest(dest)?;
    let mut items = Vec::with_capacity(closure.entries().len());
    for entry in closure.entries() {
        let (dirs, name) = split(&entry.path)?;
        let parent = open_dirs(&root, dest, &dirs)?;
        let shown = dest.join(relative(&entry.path)?);
        let created = match &entry.kind {
            Kind::Dir => open_or_make_dir(&parent, name, &shown)?.1,
            Kind::File { .. } => put_file(&parent, name, &entry.source, &shown)?,
            Kind::Symlink { target } => put_symlink(&parent, name, target, &shown)?,
        };
        items.push(Installed {
            entry: entry.clone(),
            created,
        });
    }
    Ok(InstallReport {
        dest: dest.to_path_buf(),
        items,
    })
}

/// Copies the host file `src` (symlinks in `src` are followed: it is the
/// host side) to `dest_path` inside `dest` (`etc/lvm/lvm.conf` or
/// `/etc/lvm/lvm.conf`), creating missing parent directories, with the
/// same guarantees as [`install`]. Returns false when an identical file was
/// already there.
pub fn copy_file_into(dest: &Path, src: &Path, dest_path: &Path) -> Result<bool> {
    let root = open_dest(dest)?;
    let (dirs, name) = split(dest_path)?;
    let parent = open_dirs(&root, dest, &dirs)?;
    put_file(&parent, name, src, &dest.join(relative(dest_path)?))
}

fn open_dest(dest: &Path) -> Result<OwnedFd> {
    rustix::fs::open(
        dest,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::sys("open", dest.display(), e))
}

/// `path` without its leading `/`; only normal components are allowed.
fn relative(path: &Path) -> Result<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::RootDir => {}
            Component::Normal(n) => out.push(n),
            _ => {
                return Err(Error::invalid(
                    "path inside dest",
                    path.display(),
                    "only plain components are allowed (no '.' or '..')",
                ));
            }
        }
    }
    Ok(out)
}

/// The parent components and the last name of a path inside DEST.
fn split(path: &Path) -> Result<(Vec<&OsStr>, &OsStr)> {
    relative(path)?;
    let mut dirs: Vec<&OsStr> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n),
            _ => None,
        })
        .collect();
    let name = dirs
        .pop()
        .ok_or_else(|| Error::invalid("path inside dest", path.display(), "empty"))?;
    Ok((dirs, name))
}

/// Opens (creating as needed) `dirs` below `root`, one component at a time.
fn open_dirs(root: &OwnedFd, dest: &Path, dirs: &[&OsStr]) -> Result<OwnedFd> {
    let mut cur = rustix::fs::openat(root, ".", DIR_FLAGS, Mode::empty())
        .map_err(|e| Error::sys("openat", dest.display(), e))?;
    let mut shown = dest.to_path_buf();
    for name in dirs {
        shown.push(name);
        cur = open_or_make_dir(&cur, name, &shown)?.0;
    }
    Ok(cur)
}

/// Opens the directory `name` in `dir`, creating it (0755) when missing;
/// true when it was created.
fn open_or_make_dir(dir: &OwnedFd, name: &OsStr, shown: &Path) -> Result<(OwnedFd, bool)> {
    match rustix::fs::openat(dir, name, DIR_FLAGS, Mode::empty()) {
        Ok(fd) => return Ok((fd, false)),
        Err(Errno::NOENT) => {}
        Err(e) => return Err(not_a_dir(dir, name, shown, e)),
    }
    let created = match rustix::fs::mkdirat(dir, name, Mode::from_raw_mode(DIR_MODE)) {
        Ok(()) => true,
        Err(Errno::EXIST) => false, // made meanwhile; the open below checks it
        Err(e) => return Err(Error::sys("mkdirat", shown.display(), e)),
    };
    let fd = rustix::fs::openat(dir, name, DIR_FLAGS, Mode::empty())
        .map_err(|e| not_a_dir(dir, name, shown, e))?;
    if created {
        // mkdirat's mode went through the umask.
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(DIR_MODE))
            .map_err(|e| Error::sys("fchmod", shown.display(), e))?;
    }
    Ok((fd, created))
}

/// Why a directory could not be opened: a symlink (O_NOFOLLOW with
/// O_DIRECTORY fails with ELOOP or ENOTDIR, see open(2)), something else
/// that is not a directory, or another errno.
fn not_a_dir(dir: &OwnedFd, name: &OsStr, shown: &Path, e: Errno) -> Error {
    if e != Errno::LOOP && e != Errno::NOTDIR {
        return Error::sys("openat", shown.display(), e);
    }
    let is_link = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
        .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Symlink);
    if is_link {
        Error::failed(format!(
            "refusing to write through {}: it is a symlink (openat O_NOFOLLOW: {})",
            shown.display(),
            ErrnoText(e)
        ))
    } else {
        Error::failed(format!(
            "refusing to write into {}: it exists and is not a directory (openat: {})",
            shown.display(),
            ErrnoText(e)
        ))
    }
}

/// Copies `src` to `name` in `dir` with O_EXCL; an identical file already
/// there is accepted (false), anything else there is an error.
fn put_file(dir: &OwnedFd, name: &OsStr, src: &Path, shown: &Path) -> Result<bool> {
    let mut input = File::open(src).map_err(|e| Error::io("open", src.display(), &e))?;
    let meta = input
        .metadata()
        .map_err(|e| Error::io("fstat", src.display(), &e))?;
    if !meta.is_file() {
        return Err(Error::invalid("file", src.display(), "not a regular file"));
    }
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = match rustix::fs::openat(dir, name, flags, Mode::from_raw_mode(0o600)) {
        Ok(fd) => fd,
        Err(Errno::EXIST) => {
            same_file(dir, name, (&mut input, src), meta.len(), shown)?;
            return Ok(false);
        }
        Err(e) => return Err(Error::sys("openat", shown.display(), e)),
    };
    let written = copy_then_chmod(fd, (&mut input, src), meta.mode() & 0o7777, shown);
    if written.is_err() {
        // Leave no partial file behind: a later run would reject it.
        let _ = rustix::fs::unlinkat(dir, name, AtFlags::empty());
    }
    written.map(|()| true)
}

/// Copies all of `input` into `fd` (a file just created for it), then
/// sets its mode (set-id bits included) with fchmod(2); `shown` names the
/// file written in an error.
pub fn copy_then_chmod(
    fd: OwnedFd,
    (input, src): (&mut File, &Path),
    mode: u32,
    shown: &Path,
) -> Result<()> {
    let mut out = File::from(fd);
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = read_full(input, &mut buf).map_err(|e| Error::io("read", src.display(), &e))?;
        let Some(chunk) = buf.get(..n).filter(|c| !c.is_empty()) else {
            break;
        };
        out.write_all(chunk)
            .map_err(|e| Error::io("write", shown.display(), &e))?;
    }
    // Created 0600 so no one reads a half-written file; the real mode,
    // set-id bits included, only now (fchmod(2) is not subject to umask).
    rustix::fs::fchmod(&out, Mode::from_raw_mode(mode))
        .map_err(|e| Error::sys("fchmod", shown.display(), e))
}

/// Accepts an existing `name` only if it is a regular file (not a symlink)
/// with exactly the bytes of `input`.
fn same_file(
    dir: &OwnedFd,
    name: &OsStr,
    (input, src): (&mut File, &Path),
    len: u64,
    shown: &Path,
) -> Result<()> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(dir, name, flags, Mode::empty()).map_err(|e| match e {
        Errno::LOOP => Error::failed(format!(
            "refusing to replace {}: it exists and is a symlink (openat O_NOFOLLOW: {})",
            shown.display(),
            ErrnoText(e)
        )),
        e => Error::sys("openat", shown.display(), e),
    })?;
    let st = rustix::fs::fstat(&fd).map_err(|e| Error::sys("fstat", shown.display(), e))?;
    let differs = |why: &str| {
        Error::failed(format!(
            "refusing to replace {}: it exists and {why}",
            shown.display()
        ))
    };
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Err(differs("is not a regular file"));
    }
    if u64::try_from(st.st_size).ok() != Some(len) {
        return Err(differs("has a different size"));
    }
    let mut existing = File::from(fd);
    let (mut a, mut b) = (vec![0u8; CHUNK], vec![0u8; CHUNK]);
    loop {
        let n = read_full(input, &mut a).map_err(|e| Error::io("read", src.display(), &e))?;
        let m =
            read_full(&mut existing, &mut b).map_err(|e| Error::io("read", shown.display(), &e))?;
        if a.get(..n) != b.get(..m) {
            return Err(differs("has different content"));
        }
        if n == 0 {
            return Ok(());
        }
    }
}

/// Reads until `buf` is full or the end of the file.
fn read_full(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while let Some(rest) = buf.get_mut(n..).filter(|r| !r.is_empty()) {
        match f.read(rest)? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Creates the symlink `name -> target` in `dir`; one already there with
/// the same target is accepted (false).
fn put_symlink(dir: &OwnedFd, name: &OsStr, target: &Path, shown: &Path) -> Result<bool> {
    match rustix::fs::symlinkat(target, dir, name) {
        Ok(()) => return Ok(true),
        Err(Errno::EXIST) => {}
        Err(e) => return Err(Error::sys("symlinkat", shown.display(), e)),
    }
    match rustix::fs::readlinkat(dir, name, Vec::new()) {
        Ok(t) if t.as_bytes() == target.as_os_str().as_encoded_bytes() => Ok(false),
        Ok(t) => Err(Error::failed(format!(
            "refusing to replace {}: it is a symlink to {}, not to {}",
            shown.display(),
            String::from_utf8_lossy(t.as_bytes()),
            target.display()
        ))),
        // readlinkat on something that is not a symlink: EINVAL (readlink(2)).
        Err(Errno::INVAL) => Err(Error::failed(format!(
            "refusing to replace {}: it exists and is not a symlink",
            shown.display()
        ))),
        Err(e) => Err(Error::sys("readlinkat", shown.display(), e)),
    }
}
