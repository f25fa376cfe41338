//! Swap areas from `/proc/swaps` (proc_swaps(5); mm/swapfile.c
//! `swap_show`):
//!
//! ```text
//! Filename                                Type            Size            Used            Priority
//! /swapfile                               file            1048572         0               -2
//! /dev/dm-1                               partition       2097148         0               -3
//! ```
//!
//! The file name is escaped like mountinfo (`\040` for a space) and padded
//! with spaces and tabs. A swap file pins the filesystem it lives on; a swap
//! partition pins the device it is.

use std::path::PathBuf;

use rustix::fs::{AtFlags, CWD, FileType, statat};

use crate::proc::mountinfo::unescape;

/// One swap area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swap {
    pub path: String,
    /// `file` or `partition`.
    pub kind: String,
    /// The priority swapon(2) gave it (negative when the kernel chose).
    pub priority: i32,
}

/// Parses the whole table; the header and malformed lines are skipped.
pub fn parse(text: &str) -> Vec<Swap> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut f = line.split_ascii_whitespace();
            let path = unescape(f.next()?)?;
            let kind = f.next()?.to_owned();
            let priority = f.nth(2)?.parse().ok()?;
            Some(Swap {
                path,
                kind,
                priority,
            })
        })
        .collect()
}

/// The swap areas that pin filesystem (or block device) `dev`.
pub fn on(dev: u64, buf: &mut Vec<u8>) -> Vec<PathBuf> {
    if super::read::read_into(CWD, "/proc/swaps", buf).is_err() {
        return Vec::new();
    }
    parse(&String::from_utf8_lossy(buf))
        .into_iter()
        .filter(|s| {
            let Ok(st) = statat(CWD, s.path.as_str(), AtFlags::empty()) else {
                return false;
            };
            let is_blk = FileType::from_raw_mode(st.st_mode) == FileType::BlockDevice;
            (s.kind == "file" && st.st_dev == dev) || (is_blk && st.st_rdev == dev)
        })
        .map(|s| PathBuf::from(s.path))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_files_and_partitions() {
        // The header is this machine's (no swap here); the rows are a Debian
        // guest's with a swap file added.
        let t = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n\
                 /swapfile                               file\t\t1048572\t\t0\t\t-2\n\
                 /dev/dm-1                               partition\t2097148\t\t0\t\t-3\n\
                 /srv/my\\040swap                         file\t\t4096\t\t0\t\t-4\n";
        let s = parse(t);
        assert_eq!(s.len(), 3);
        assert_eq!(
            (s[0].path.as_str(), s[0].kind.as_str()),
            ("/swapfile", "file")
        );
        assert_eq!(
            (s[1].path.as_str(), s[1].kind.as_str()),
            ("/dev/dm-1", "partition")
        );
        assert_eq!(s[2].path, "/srv/my swap");
    }

    #[test]
    fn empty_table_and_garbage() {
        assert!(parse("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n").is_empty());
        assert!(parse("").is_empty());
        assert!(parse("hdr\n/lonely\n/bad\\9 file 1 0 -1\n").is_empty());
    }
}
