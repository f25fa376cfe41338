//! Mounts of the target in other mount namespaces (mount_namespaces(7)).
//! A namespace made by unshare(2)/clone(2) with CLONE_NEWNS — systemd's
//! PrivateTmp=, ProtectSystem=, containers — starts with a copy of every
//! mount, and each copy keeps the filesystem busy even after it is
//! unmounted everywhere else. A process's namespace is the inode of
//! `/proc/PID/ns/mnt` (namespaces(7)); its mounts are in
//! `/proc/PID/mountinfo`, read once per namespace. Our own namespace is
//! not counted: after a pivot_root the old root is a mount of ours at
//! /oldroot, which is what is being released, not a holder.

use std::os::fd::AsFd;

use rustix::fs::{AtFlags, CWD, statat};

use super::read::read_into;
use crate::proc::mountinfo;

/// What is known about each namespace seen so far; a system has few.
pub struct NsCache {
    own: Option<u64>,
    seen: Vec<(u64, Vec<String>)>,
    /// `MAJ:MIN` of the target as mountinfo prints it (decimal).
    needle: String,
}

impl NsCache {
    pub fn new(major: u32, minor: u32) -> NsCache {
        NsCache {
            own: statat(CWD, "/proc/self/ns/mnt", AtFlags::empty())
                .ok()
                .map(|st| st.st_ino),
            seen: Vec::new(),
            needle: format!("{major}:{minor}"),
        }
    }

    /// The mount points of the target in the mount namespace of the
    /// process at `pid_dir`, if that namespace is not ours and has any.
    /// `Err` when the namespace could not be inspected.
    pub fn mounts_of(
        &mut self,
        pid_dir: impl AsFd,
        buf: &mut Vec<u8>,
    ) -> rustix::io::Result<Option<&[String]>> {
        let ns = statat(&pid_dir, "ns/mnt", AtFlags::empty())?.st_ino;
        if Some(ns) == self.own {
            return Ok(None);
        }
        let i = match self.seen.iter().position(|(n, _)| *n == ns) {
            Some(i) => i,
            None => {
                read_into(&pid_dir, "mountinfo", buf)?;
                self.seen.push((ns, mount_points(buf, &self.needle)));
                self.seen.len().saturating_sub(1)
            }
        };
        Ok(self
            .seen
            .get(i)
            .map(|(_, m)| m.as_slice())
            .filter(|m| !m.is_empty()))
    }
}

/// The mount points in a mountinfo text whose device is `needle`
/// (`MAJ:MIN`). Only lines whose third field matches are parsed.
pub fn mount_points(text: &[u8], needle: &str) -> Vec<String> {
    text.split(|&c| c == b'\n')
        .filter(|line| line.split(|&c| c == b' ').nth(2) == Some(needle.as_bytes()))
        .filter_map(|line| mountinfo::parse_line(&String::from_utf8_lossy(line)).ok())
        .map(|m| m.mount_point)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_mount_of_the_device() {
        // A PrivateTmp service's namespace: / and its /tmp bind of the root fs.
        let text = b"\
812 790 254:0 / / rw,relatime master:1 - ext4 /dev/vda rw
813 812 0:22 / /proc rw,nosuid - proc proc rw
814 812 254:0 /tmp/systemd-private-x/tmp /tmp rw,relatime - ext4 /dev/vda rw
815 812 254:01 / /not rw - ext4 /dev/vda rw
816 812 25:40 / /other rw - ext4 /dev/vdb rw
";
        assert_eq!(mount_points(text, "254:0"), ["/", "/tmp"]);
        assert!(mount_points(text, "7:0").is_empty());
        assert!(mount_points(b"", "254:0").is_empty());
    }
}
