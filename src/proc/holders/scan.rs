//! The walk over `/proc` (proc(5)): one directory fd per process, held
//! while it is inspected so a recycled PID can never mix two processes
//! (every read after the process exits fails with ESRCH or ENOENT, which
//! just ends its inspection: a process vanishing mid-scan is normal).
//!
//! Memory stays bounded: getdents64(2) goes into two fixed buffers (one for
//! /proc, one for the fd directory being listed), file contents into one
//! reused `Vec`, link targets into one PATH_MAX array, and each holder is
//! handed over as soon as it is inspected ([`each`]): only [`scan`], for
//! the callers that want the whole list, keeps them.

use std::ffi::CStr;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, OwnedFd};

use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags, RawDir, openat, statat};
use rustix::io::Errno;

use super::mountns::NsCache;
use super::read::{PATH_MAX, path_of, read_into, readlink};
use super::{
    Access, Holder, OtherPin, Report, Rest, Target, Unreadable, blockholders, cgroup, loops, maps,
    stat, swaps, unix,
};
use crate::error::{Error, Result};

/// Bytes for one getdents64(2) batch; a full fd table just takes more calls.
const DIRENT_BUF: usize = 8 << 10;
const SYSFS: &str = "/sys";

/// Finds every holder of `target`, all of them kept.
pub fn scan(target: &Target) -> Result<Report> {
    let mut processes = Vec::new();
    let rest = each(target, &mut |h| {
        processes.push(std::mem::take(h));
        Ok(())
    })?;
    Ok(Report {
        target: target.clone(),
        processes,
        other: rest.other,
        unreadable: rest.unreadable,
    })
}

/// Finds every holder of `target`, handing each process to `found` as soon
/// as it is inspected (in /proc order; what `found` leaves of the `Holder`
/// is reused for the next one), and returns the pins that are not
/// processes. An error of `found` ends the walk.
pub fn each(target: &Target, found: &mut dyn FnMut(&mut Holder) -> Result<()>) -> Result<Rest> {
    let proc_dir = open_dir(CWD, "/proc").map_err(|e| Error::sys("open", "/proc", e))?;
    let mut walk = Walk {
        target,
        buf: Vec::with_capacity(16 << 10),
        link: [0; PATH_MAX],
        ns: NsCache::new(target.major, target.minor),
        sockets: Vec::new(),
        own_pid: None,
        unreadable: Vec::new(),
    };
    walk.sockets = unix::bound_on(&proc_dir, target.dev, &mut walk.buf);
    // Our PID as this /proc counts it (it may be another PID namespace's).
    walk.own_pid = readlink(&proc_dir, "self", &mut walk.link)
        .ok()
        .and_then(|p| p.to_str()?.parse().ok());

    let mut holder = Holder::default();
    let mut proc_entries = vec![MaybeUninit::<u8>::uninit(); DIRENT_BUF];
    let mut fd_entries = vec![MaybeUninit::<u8>::uninit(); DIRENT_BUF];
    let mut entries = RawDir::new(&proc_dir, &mut proc_entries);
    while let Some(entry) = entries.next() {
        let entry = entry.map_err(|e| Error::sys("getdents64", "/proc", e))?;
        let name = entry.file_name();
        let Some(pid) = number(name.to_bytes()) else {
            continue;
        };
        if walk.process(&proc_dir, pid, name, &mut fd_entries, &mut holder) {
            found(&mut holder)?;
        }
    }
    Ok(Rest {
        other: walk.other(),
        unreadable: walk.unreadable,
    })
}

fn open_dir<P: rustix::path::Arg>(dir: impl AsFd, name: P) -> rustix::io::Result<OwnedFd> {
    openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// A decimal directory name (a PID, an fd number).
fn number(name: &[u8]) -> Option<u32> {
    if name.is_empty() || !name.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(name).ok()?.parse().ok()
}

/// The [`Access`] variant of one magic link.
type MakeAccess = fn(std::path::PathBuf) -> Access;

struct Walk<'t> {
    target: &'t Target,
    buf: Vec<u8>,
    link: [u8; PATH_MAX],
    ns: NsCache,
    sockets: Vec<unix::Bound>,
    own_pid: Option<u32>,
    unreadable: Vec<Unreadable>,
}

/// Records what could not be read, unless the process just went away
/// (ENOENT, ESRCH) or has no such thing (ENOENT: a zombie's exe).
fn note(unreadable: &mut Vec<Unreadable>, pid: u32, what: &'static str, errno: Errno) {
    if errno != Errno::NOENT && errno != Errno::SRCH {
        unreadable.push(Unreadable { pid, what, errno });
    }
}

impl Walk<'_> {
    /// Inspects one process into `h`: true when it holds the target.
    fn process(
        &mut self,
        proc_dir: impl AsFd,
        pid: u32,
        name: &CStr,
        fd_entries: &mut [MaybeUninit<u8>],
        h: &mut Holder,
    ) -> bool {
        let dir = match open_dir(proc_dir, name) {
            Ok(d) => d,
            Err(e) => {
                note(&mut self.unreadable, pid, "dir", e);
                return false;
            }
        };
        if let Err(e) = read_into(&dir, "stat", &mut self.buf) {
            note(&mut self.unreadable, pid, "stat", e);
            return false;
        }
        let Some(st) = stat::parse(&self.buf) else {
            note(&mut self.unreadable, pid, "stat", Errno::INVAL);
            return false;
        };
        if st.is_kernel_thread(pid) {
            return false;
        }
        h.comm.clear();
        h.comm.push_str(&String::from_utf8_lossy(st.comm));

        let access = &mut h.access;
        access.clear();
        self.links(&dir, pid, access);
        self.fds(&dir, pid, fd_entries, access);
        self.maps(&dir, pid, access);
        match self.ns.mounts_of(&dir, &mut self.buf) {
            Ok(Some(points)) => access.push(Access::MountNs(points.to_vec())),
            Ok(None) => {}
            Err(e) => note(&mut self.unreadable, pid, "mountns", e),
        }
        if access.is_empty() {
            return false;
        }
        h.unit = match read_into(&dir, "cgroup", &mut self.buf) {
            Ok(()) => cgroup::unit(&self.buf).map(|u| String::from_utf8_lossy(u).into_owned()),
            Err(_) => None,
        };
        h.pid = pid;
        h.is_self = self.own_pid == Some(pid);
        true
    }

    /// The pins that are not processes: unix sockets bound on the target
    /// (accepted connections repeat their listener's path: each path once),
    /// swap, loop devices backed by it, devices stacked on it.
    fn other(&mut self) -> Vec<OtherPin> {
        let target = self.target;
        let mut paths: Vec<&std::path::Path> = Vec::new();
        for b in &self.sockets {
            if let Err(at) = paths.binary_search(&b.path.as_path()) {
                paths.insert(at, &b.path);
            }
        }
        let mut other: Vec<OtherPin> = paths
            .into_iter()
            .map(|p| OtherPin::UnixSocket(p.to_owned()))
            .collect();
        other.extend(
            swaps::on(target.dev, &mut self.buf)
                .into_iter()
                .map(OtherPin::Swap),
        );
        let sysfs = std::path::Path::new(SYSFS);
        other.extend(
            loops::on(sysfs, target.dev, &mut self.buf)
                .into_iter()
                .map(OtherPin::Loop),
        );
        other.extend(
            blockholders::of(sysfs, target.major, target.minor, &mut self.buf)
                .into_iter()
                .map(OtherPin::Holder),
        );
        other
    }

    /// exe, cwd, root: stat(2) follows the magic link to the object itself.
    fn links(&mut self, dir: &OwnedFd, pid: u32, access: &mut Vec<Access>) {
        const LINKS: [(&str, MakeAccess); 3] = [
            ("exe", Access::Exe),
            ("cwd", Access::Cwd),
            ("root", Access::Root),
        ];
        for (name, make) in LINKS {
            match statat(dir, name, AtFlags::empty()) {
                Ok(st) if st.st_dev == self.target.dev => {
                    match readlink(dir, name, &mut self.link) {
                        Ok(path) => access.push(make(path)),
                        Err(e) => note(&mut self.unreadable, pid, name, e),
                    }
                }
                Ok(_) => {}
                Err(e) => note(&mut self.unreadable, pid, name, e),
            }
        }
    }

    /// Each open fd: a file on the target, the target device itself, or a
    /// unix socket bound on the target.
    fn fds(
        &mut self,
        dir: &OwnedFd,
        pid: u32,
        fd_entries: &mut [MaybeUninit<u8>],
        access: &mut Vec<Access>,
    ) {
        let fd_dir = match open_dir(dir, "fd") {
            Ok(d) => d,
            Err(e) => return note(&mut self.unreadable, pid, "fd", e),
        };
        let mut entries = RawDir::new(&fd_dir, fd_entries);
        while let Some(entry) = entries.next() {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => return note(&mut self.unreadable, pid, "fd", e),
            };
            let name = entry.file_name();
            let Some(n) = number(name.to_bytes()) else {
                continue;
            };
            // A closed fd (ENOENT) between getdents and stat is normal.
            let Ok(st) = statat(&fd_dir, name, AtFlags::empty()) else {
                continue;
            };
            let kind = FileType::from_raw_mode(st.st_mode);
            if st.st_dev == self.target.dev {
                if let Ok(path) = readlink(&fd_dir, name, &mut self.link) {
                    access.push(Access::Fd(n, path));
                }
            } else if kind == FileType::BlockDevice && st.st_rdev == self.target.dev {
                if let Ok(path) = readlink(&fd_dir, name, &mut self.link) {
                    access.push(Access::FdDevice(n, path));
                }
            } else if kind == FileType::Socket
                && let Some(b) = unix::lookup(&self.sockets, st.st_ino)
            {
                let unix = Access::Unix(b.path.clone());
                if !access.contains(&unix) {
                    access.push(unix);
                }
            }
        }
    }

    /// Files mapped from the target (maps' dev field, no stat), once per
    /// path; the exe's own mappings are already the `exe` access.
    fn maps(&mut self, dir: &OwnedFd, pid: u32, access: &mut Vec<Access>) {
        if let Err(e) = read_into(dir, "maps", &mut self.buf) {
            return note(&mut self.unreadable, pid, "maps", e);
        }
        let (major, minor) = (self.target.major, self.target.minor);
        let mut last: &[u8] = &[];
        for line in self.buf.split(|&c| c == b'\n') {
            let Some(m) = maps::parse_line(line) else {
                continue;
            };
            if m.major != major || m.minor != minor || m.path.is_empty() || m.path == last {
                continue;
            }
            last = m.path;
            let path = path_of(m.path);
            let seen = access
                .iter()
                .any(|a| matches!(a, Access::Map(p) | Access::Exe(p) if *p == path));
            if !seen {
                access.push(Access::Map(path));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_are_plain_decimal_names() {
        assert_eq!(number(b"1"), Some(1));
        assert_eq!(number(b"4194304"), Some(4194304));
        for not in [
            &b""[..],
            b"self",
            b"thread-self",
            b"1a",
            b"-1",
            b"+1",
            b"99999999999",
        ] {
            assert_eq!(number(not), None);
        }
    }
}
