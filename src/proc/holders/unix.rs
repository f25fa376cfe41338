//! Unix sockets bound to paths, from `/proc/net/unix` (unix(7), "/proc
//! interfaces"; net/unix/af_unix.c `unix_seq_show`):
//!
//! ```text
//! Num       RefCount Protocol Flags    Type St Inode Path
//! 00000000e2fb0ab3: 00000003 00000000 00000000 0001 03 20539 /tmp/h s.sock
//! 00000000b51de13d: 00000002 00000000 00000000 0002 01 20540 @abstract
//! ```
//!
//! The path is the rest of the line after one space, unescaped (it may hold
//! spaces); abstract names start with `@`. A bound socket holds a reference
//! to its path, so a listening socket keeps the filesystem busy; sockets
//! accepted from it repeat its path. The table is the reader's network
//! namespace only.

use std::os::fd::AsFd;
use std::path::PathBuf;

use super::read::{path_of, read_into};
use rustix::fs::{AtFlags, CWD, statat};

/// One socket line, borrowing the path from the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnixLine<'a> {
    pub inode: u64,
    /// Empty for an unbound socket; `@...` for an abstract one.
    pub path: &'a [u8],
}

/// Parses one line; `None` for the header or anything malformed.
pub fn parse_line(line: &[u8]) -> Option<UnixLine<'_>> {
    let mut rest = line;
    // Num: RefCount Protocol Flags Type St, then the right-aligned Inode.
    for _ in 0..6 {
        rest = skip_spaces(rest);
        let end = rest.iter().position(|&c| c == b' ')?;
        rest = rest.get(end..)?;
    }
    rest = skip_spaces(rest);
    let end = rest.iter().position(|&c| c == b' ').unwrap_or(rest.len());
    let inode = std::str::from_utf8(rest.get(..end)?).ok()?.parse().ok()?;
    let path = rest.get(end.saturating_add(1)..).unwrap_or_default();
    Some(UnixLine { inode, path })
}

fn skip_spaces(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&c| c != b' ').unwrap_or(s.len());
    s.get(start..).unwrap_or_default()
}

/// A socket inode bound to a path on the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    pub inode: u64,
    pub path: PathBuf,
}

/// The sockets of `/proc/net/unix` whose path (if it still exists) is on
/// the filesystem `dev`, sorted by inode for lookup from a process's fds.
/// An unreadable table (no /proc/net) yields none.
pub fn bound_on(proc_dir: impl AsFd, dev: u64, buf: &mut Vec<u8>) -> Vec<Bound> {
    if read_into(proc_dir, "net/unix", buf).is_err() {
        return Vec::new();
    }
    let mut found: Vec<Bound> = Vec::new();
    for line in buf.split(|&c| c == b'\n') {
        let Some(s) = parse_line(line) else { continue };
        if s.path.is_empty() || s.path.starts_with(b"@") {
            continue;
        }
        let path = path_of(s.path);
        // The socket file itself: its st_dev is the filesystem it is on.
        if statat(CWD, &path, AtFlags::empty()).is_ok_and(|st| st.st_dev == dev) {
            // Kept in order as found (a sort would cost more code than
            // the few sockets on one filesystem cost time).
            let at = found.partition_point(|b| b.inode < s.inode);
            found.insert(
                at,
                Bound {
                    inode: s.inode,
                    path,
                },
            );
        }
    }
    found
}

/// The path a socket inode is bound to, if it is one of `bound`.
pub fn lookup(bound: &[Bound], inode: u64) -> Option<&Bound> {
    bound
        .binary_search_by_key(&inode, |b| b.inode)
        .ok()
        .and_then(|i| bound.get(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From this machine's /proc/net/unix, with a socket bound to a path
    /// holding a space, its accepted connection, and an abstract name.
    const TABLE: &str = "\
Num       RefCount Protocol Flags    Type St Inode Path
00000000542c0034: 00000003 00000000 00000000 0001 03  1680
00000000e2fb0ab3: 00000003 00000000 00000000 0001 03 20539 /tmp/h s.sock
00000000d73ab8fc: 00000002 00000000 00010000 0001 01 20537 /tmp/h s.sock
00000000077a36a8: 00000002 00000000 00000000 0001 01 20541 /tmp/plain.sock
00000000b51de13d: 00000002 00000000 00000000 0002 01 20540 @abstract
";

    #[test]
    fn parses_inodes_and_paths() {
        let v: Vec<_> = TABLE
            .lines()
            .filter_map(|l| parse_line(l.as_bytes()))
            .collect();
        assert_eq!(v.len(), 5, "all but the header");
        assert_eq!(
            v[0],
            UnixLine {
                inode: 1680,
                path: b""
            }
        );
        assert_eq!(
            v[1],
            UnixLine {
                inode: 20539,
                path: b"/tmp/h s.sock"
            }
        );
        assert_eq!(v[2].path, b"/tmp/h s.sock");
        assert_eq!(
            v[3],
            UnixLine {
                inode: 20541,
                path: b"/tmp/plain.sock"
            }
        );
        assert_eq!(v[4].path, b"@abstract");
    }

    #[test]
    fn header_and_garbage_are_none() {
        let header = TABLE.lines().next().unwrap().as_bytes();
        assert_eq!(parse_line(header), None);
        let good = TABLE.lines().nth(2).unwrap().as_bytes();
        for cut in 0..good.len() {
            let _ = parse_line(&good[..cut]);
        }
        assert_eq!(parse_line(b""), None);
        assert_eq!(parse_line(b"0: 1 2 3 4 5 x /p"), None);
    }

    #[test]
    fn lookup_by_inode() {
        let b = vec![
            Bound {
                inode: 3,
                path: "/a".into(),
            },
            Bound {
                inode: 9,
                path: "/b".into(),
            },
        ];
        assert_eq!(lookup(&b, 9).map(|b| b.path.as_path()), Some("/b".as_ref()));
        assert_eq!(lookup(&b, 4), None);
    }
}
