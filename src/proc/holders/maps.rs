//! `/proc/PID/maps`, as proc_pid_maps(5) describes it:
//!
//! ```text
//! address           perms offset  dev   inode       pathname
//! 00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/dbus-daemon
//! ```
//!
//! The `dev` field is the mapped file's superblock device as
//! `MAJOR:MINOR` in hex (fs/proc/task_mmu.c prints `%02x:%02x`, so a major
//! above 0xff takes three digits: `103:02`). It is matched against the
//! target directly, without a stat(2) per mapping. The pathname is padded
//! to a column and ends with ` (deleted)` when the file was unlinked.

/// One mapping, borrowing the path from the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapLine<'a> {
    pub major: u32,
    pub minor: u32,
    pub inode: u64,
    /// As the kernel prints it (` (deleted)` included); empty for an
    /// anonymous mapping.
    pub path: &'a [u8],
}

/// What the kernel appends to the path of an unlinked file (d_path(9)).
pub const DELETED: &[u8] = b" (deleted)";

impl MapLine<'_> {
    /// Whether the mapped file was unlinked.
    pub fn is_deleted(&self) -> bool {
        self.path.ends_with(DELETED)
    }
}

/// Splits off the field up to the next space; the rest after that space.
fn field(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = s.iter().position(|&c| c == b' ')?;
    Some((s.get(..end)?, s.get(end.checked_add(1)?..)?))
}

fn hex(s: &[u8]) -> Option<u32> {
    u32::from_str_radix(std::str::from_utf8(s).ok()?, 16).ok()
}

/// Parses one line; `None` when it is not a maps line.
pub fn parse_line(line: &[u8]) -> Option<MapLine<'_>> {
    let (_address, rest) = field(line)?;
    let (_perms, rest) = field(rest)?;
    let (_offset, rest) = field(rest)?;
    let (dev, rest) = field(rest)?;
    // An anonymous mapping has nothing after the inode, not even a space.
    let (inode, rest) = field(rest).unwrap_or((rest, &[]));
    let (major, minor) = dev
        .iter()
        .position(|&c| c == b':')
        .and_then(|i| Some((hex(dev.get(..i)?)?, hex(dev.get(i.checked_add(1)?..)?)?)))?;
    let inode = std::str::from_utf8(inode).ok()?.parse().ok()?;
    let start = rest.iter().position(|&c| c != b' ').unwrap_or(rest.len());
    Some(MapLine {
        major,
        minor,
        inode,
        path: rest.get(start..).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines from this machine's /proc/self/maps, plus a 3-digit major
    /// (NVMe, 259 = 0x103), a path with spaces and a deleted file.
    const MAPS: &str = "\
55c1bb99e000-55c1bb9a0000 r--p 00000000 fe:00 247030                     /usr/bin/cat
55c1e97e4000-55c1e9805000 rw-p 00000000 00:00 0                          [heap]
7f2558a72000-7f2558a94000 rw-p 00000000 00:00 0 
7f2558af6000-7f2558b1c000 r--p 00000000 fe:00 326279                     /usr/lib/x86_64-linux-gnu/libc.so.6
7f2558b1c000-7f2558c72000 r-xp 00026000 103:02 12                        /opt/my app/lib x.so
7f2558c72000-7f2558cc5000 rw-s 00000000 00:01 1042                       /memfd:wayland-shm (deleted)
7f2558cc5000-7f2558cc6000 r--p 00000000 fd:100 99                        /srv/data file.bin (deleted)
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
";

    fn lines() -> Vec<MapLine<'static>> {
        MAPS.lines()
            .map(|l| parse_line(l.as_bytes()).unwrap())
            .collect()
    }

    #[test]
    fn parses_dev_in_hex_and_the_path() {
        let m = lines();
        assert_eq!((m[0].major, m[0].minor, m[0].inode), (0xfe, 0, 247030));
        assert_eq!(m[0].path, b"/usr/bin/cat");
        assert_eq!(m[3].path, b"/usr/lib/x86_64-linux-gnu/libc.so.6");
        assert!(!m[0].is_deleted());
    }

    #[test]
    fn three_digit_majors_and_minors() {
        let m = lines();
        assert_eq!((m[4].major, m[4].minor), (259, 2));
        assert_eq!((m[6].major, m[6].minor), (253, 256));
    }

    #[test]
    fn spaces_in_paths_and_deleted_files() {
        let m = lines();
        assert_eq!(m[4].path, b"/opt/my app/lib x.so");
        assert_eq!(m[6].path, b"/srv/data file.bin (deleted)");
        assert!(m[6].is_deleted());
        assert!(m[5].is_deleted());
    }

    #[test]
    fn anonymous_mappings_have_no_path() {
        let m = lines();
        assert_eq!((m[2].major, m[2].minor, m[2].inode), (0, 0, 0));
        assert_eq!(m[2].path, b"");
        assert_eq!(m[1].path, b"[heap]");
        assert_eq!(m[7].path, b"[vsyscall]");
    }

    #[test]
    fn garbage_is_none_not_a_panic() {
        let good = MAPS.lines().next().unwrap().as_bytes();
        for cut in 0..good.len() {
            let _ = parse_line(&good[..cut]);
        }
        for bad in [
            &b""[..],
            b"x",
            b"0-1 r--p 0 fe00 1 /a",
            b"0-1 r--p 0 zz:00 1 /a",
            b"0-1 r--p 0 fe:00 x /a",
            b"0-1 r--p 0 fe:00",
        ] {
            assert_eq!(parse_line(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
