//! Reading procfs(5) and sysfs(5) files into one reused buffer. These files
//! report a size of 0 and are generated on read, so they are read to EOF;
//! the buffer keeps its capacity from one file to the next, so a whole scan
//! allocates about as much as its largest file (usually some `maps`).

use std::ffi::OsStr;
use std::io::Read;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use rustix::fs::{Mode, OFlags, openat};
use rustix::io::Errno;

/// `PATH_MAX` of include/uapi/linux/limits.h: the longest path readlink(2)
/// of a /proc magic link returns (d_path works in one page).
pub const PATH_MAX: usize = 4096;

/// Reads `name` (relative to `dir`) into `buf`, replacing its contents.
pub fn read_into<P: rustix::path::Arg>(
    dir: impl AsFd,
    name: P,
    buf: &mut Vec<u8>,
) -> rustix::io::Result<()> {
    buf.clear();
    let fd = openat(dir, name, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
    std::fs::File::from(fd)
        .read_to_end(buf)
        .map_err(|e| Errno::from_io_error(&e).unwrap_or(Errno::IO))?;
    Ok(())
}

/// readlink(2) of `name` under `dir` into the fixed buffer `link`; the
/// target as a path.
pub fn readlink<P: rustix::path::Arg>(
    dir: impl AsFd,
    name: P,
    link: &mut [u8; PATH_MAX],
) -> rustix::io::Result<PathBuf> {
    let n = rustix::fs::readlinkat_raw(dir, name, &mut *link)?;
    Ok(path_of(link.get(..n).unwrap_or_default()))
}

/// Bytes from the kernel as a path (Linux paths are bytes, not UTF-8).
pub fn path_of(bytes: &[u8]) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(bytes))
}

/// The bytes before the trailing newline sysfs puts after a value.
pub fn trim_newline(bytes: &[u8]) -> &[u8] {
    bytes.strip_suffix(b"\n").unwrap_or(bytes)
}
