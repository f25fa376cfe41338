//! `/proc/PID/mountinfo`, as proc_pid_mountinfo(5) describes it:
//!
//! ```text
//! 36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//! (1)(2)(3)   (4)   (5)         (6)       (7)      (8) (9)  (10)      (11)
//! ```
//!
//! mount ID, parent ID, major:minor, root within the fs, mount point, per-mount
//! options, zero or more optional fields (`shared:N`, `master:N`,
//! `propagate_from:N`, `unbindable`), a `-` separator, the filesystem type,
//! the source and the per-superblock options. Paths escape space, tab,
//! newline and backslash as `\040`-style octal (fs/proc_namespace.c).

use crate::error::{Error, Result};

/// One mount, with paths unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub mount_id: u32,
    pub parent_id: u32,
    pub major: u32,
    pub minor: u32,
    pub root: String,
    pub mount_point: String,
    pub mount_options: String,
    /// `shared:N`: the peer group this mount belongs to.
    pub shared: Option<u32>,
    /// `master:N`: the peer group this mount receives propagation from.
    pub master: Option<u32>,
    pub propagate_from: Option<u32>,
    pub unbindable: bool,
    pub fstype: String,
    pub source: String,
    pub super_options: String,
}

impl Mount {
    /// Whether `path` is this mount's mount point or below it.
    pub fn covers(&self, path: &str) -> bool {
        is_under(path, &self.mount_point)
    }
}

/// `path` equals `dir` or lies below it (component-wise, not by prefix:
/// `/runner` is not under `/run`).
pub fn is_under(path: &str, dir: &str) -> bool {
    if dir == "/" {
        return path.starts_with('/');
    }
    match path.strip_prefix(dir) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// Parses a whole mountinfo text. Every line must parse: a table with a line
/// we do not understand is not one to act on.
pub fn parse(text: &str) -> Result<Vec<Mount>> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(parse_line)
        .collect()
}

/// Reads and parses `/proc/self/mountinfo`.
pub fn read_self() -> Result<Vec<Mount>> {
    read("/proc/self/mountinfo")
}

/// Reads and parses a mountinfo file.
pub fn read(path: &str) -> Result<Vec<Mount>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, &e))?;
    parse(&text)
}

/// Parses one line.
pub fn parse_line(line: &str) -> Result<Mount> {
    let bad = |why: &str| Error::invalid("mountinfo", "line", format!("{why}: {line:?}"));
    let mut f = line.split(' ');
    let mut next = |name: &str| f.next().ok_or_else(|| bad(&format!("missing {name}")));
    let mount_id = next("mount id")?.parse().map_err(|_| bad("bad mount id"))?;
    let parent_id = next("parent id")?
        .parse()
        .map_err(|_| bad("bad parent id"))?;
    let (maj, min) = next("major:minor")?
        .split_once(':')
        .ok_or_else(|| bad("bad major:minor"))?;
    let major = maj.parse().map_err(|_| bad("bad major"))?;
    let minor = min.parse().map_err(|_| bad("bad minor"))?;
    let root = unescape(next("root")?).ok_or_else(|| bad("bad escape in root"))?;
    let mount_point =
        unescape(next("mount point")?).ok_or_else(|| bad("bad escape in mount point"))?;
    let mount_options = next("mount options")?.to_owned();

    let (mut shared, mut master, mut propagate_from, mut unbindable) = (None, None, None, false);
    loop {
        let field = next("separator")?;
        if field == "-" {
            break;
        }
        let number = |v: &str| v.parse::<u32>().map_err(|_| bad("bad optional field"));
        match field.split_once(':') {
            Some(("shared", v)) => shared = Some(number(v)?),
            Some(("master", v)) => master = Some(number(v)?),
            Some(("propagate_from", v)) => propagate_from = Some(number(v)?),
            None if field == "unbindable" => unbindable = true,
            // proc_pid_mountinfo(5): parsers must ignore unknown fields.
            _ => {}
        }
    }
    let fstype = unescape(next("fstype")?).ok_or_else(|| bad("bad escape in fstype"))?;
    let source = unescape(next("source")?).ok_or_else(|| bad("bad escape in source"))?;
    let super_options = next("super options")?.to_owned();
    Ok(Mount {
        mount_id,
        parent_id,
        major,
        minor,
        root,
        mount_point,
        mount_options,
        shared,
        master,
        propagate_from,
        unbindable,
        fstype,
        source,
        super_options,
    })
}

/// Undoes the kernel's `\ooo` octal escapes; `None` on a malformed escape.
pub fn unescape(s: &str) -> Option<String> {
    if !s.contains('\\') {
        return Some(s.to_owned());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let digits = b.get(i + 1..i + 4)?;
        let mut v: u32 = 0;
        for &d in digits {
            if !(b'0'..=b'7').contains(&d) {
                return None;
            }
            v = v * 8 + u32::from(d - b'0');
        }
        out.push(u8::try_from(v).ok()?);
        i += 4;
    }
    String::from_utf8(out).ok()
}

/// The mount whose mount point is exactly `path` (the topmost, when several
/// are stacked there).
pub fn at<'a>(mounts: &'a [Mount], path: &str) -> Option<&'a Mount> {
    mounts.iter().rev().find(|m| m.mount_point == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBIAN: &str = "\
22 1 252:0 / / rw,relatime shared:1 - ext4 /dev/mapper/vg0-root rw,errors=remount-ro
23 22 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
24 22 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
25 22 0:5 / /dev rw,nosuid,relatime shared:2 - devtmpfs udev rw,size=485000k,nr_inodes=121250,mode=755
26 25 0:23 / /dev/pts rw,nosuid,noexec,relatime shared:3 - devpts devpts rw,gid=5,mode=620,ptmxmode=000
27 22 0:24 / /run rw,nosuid,nodev,noexec,relatime shared:5 - tmpfs tmpfs rw,size=100000k,mode=755
40 22 254:1 /srv\\040data /mnt/with\\040space\\011tab rw master:9 propagate_from:2 - ext4 /dev/vdb1 rw
41 22 0:50 / /private rw unbindable - tmpfs none rw
42 22 0:51 / /future rw shared:3 newfield:7 - tmpfs none rw
";

    #[test]
    fn parses_a_debian_table() {
        let m = parse(DEBIAN).unwrap();
        assert_eq!(m.len(), 9);
        let root = at(&m, "/").unwrap();
        assert_eq!((root.mount_id, root.parent_id), (22, 1));
        assert_eq!((root.major, root.minor), (252, 0));
        assert_eq!(root.shared, Some(1));
        assert_eq!(root.fstype, "ext4");
        assert_eq!(root.source, "/dev/mapper/vg0-root");
        assert_eq!(root.super_options, "rw,errors=remount-ro");
        assert_eq!(at(&m, "/dev/pts").unwrap().parent_id, 25);
    }

    #[test]
    fn optional_fields_and_escapes() {
        let m = parse(DEBIAN).unwrap();
        let spaced = &m[6];
        assert_eq!(spaced.root, "/srv data");
        assert_eq!(spaced.mount_point, "/mnt/with space\ttab");
        assert_eq!(spaced.shared, None);
        assert_eq!(spaced.master, Some(9));
        assert_eq!(spaced.propagate_from, Some(2));
        assert!(m[7].unbindable);
        assert_eq!(m[8].shared, Some(3), "unknown optional fields are skipped");
    }

    #[test]
    fn malformed_lines_are_errors_not_panics() {
        let good = DEBIAN.lines().next().unwrap();
        for cut in 0..good.len() {
            // Every truncation that loses a required field must be an error.
            let _ = parse_line(&good[..cut]);
        }
        for bad in [
            "",
            "x 1 8:0 / / rw - ext4 /dev/a rw",
            "1 1 80 / / rw - ext4 /dev/a rw",
            "1 1 8:0 / / rw shared:x - ext4 /dev/a rw",
            "1 1 8:0 / /a\\09 rw - ext4 /dev/a rw",
            "1 1 8:0 / /a\\777 rw - ext4 /dev/a rw",
            "1 1 8:0 / / rw shared:1 ext4 /dev/a rw",
        ] {
            assert!(parse_line(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn under_is_component_wise() {
        assert!(is_under("/run", "/run"));
        assert!(is_under("/run/lock", "/run"));
        assert!(!is_under("/runner", "/run"));
        assert!(is_under("/anything", "/"));
        assert!(!is_under("relative", "/"));
    }
}
