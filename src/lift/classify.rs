//! Which mounts below the root depend on the root's filesystem, and so must
//! be unmounted for the root device to be free, and which do not and can
//! be parked whole: one decision, read by `plan`, `enter` (which records
//! it) and `release` (for mounts that appeared since).
//!
//! Dependence is decided from the mount table (proc_pid_mountinfo(5): the
//! device number, the root within the filesystem, the options) and the
//! kernel's own words about the files it uses: a loop device's backing
//! file (sysfs loop/backing_file) and an overlay's layer directories, each
//! compared by st_dev with the root filesystem.

use super::MOVED;
use super::record::{Class, MountRecord, RootRecord, SwapRecord};
use crate::loopdev::LoopSetup;
use crate::proc::mountinfo::{self, Mount};

/// What classification asks of the running system.
pub trait Facts {
    /// The st_dev (major, minor) of the file at `path`, as seen from the
    /// system's own root.
    fn dev_of(&self, path: &str) -> Option<(u32, u32)>;
    /// How loop device `device` is set up, when it is one.
    fn loop_setup(&self, device: &str) -> Option<LoopSetup>;
    /// The (major, minor) of the filesystem its backing file is on, when
    /// `device` is a bound loop device.
    fn loop_backing_dev(&self, device: &str) -> Option<(u32, u32)>;
    /// Whether block device major:minor is stacked on the root device
    /// (sysfs `slaves`, recursively).
    fn stacked_on(&self, dev: (u32, u32), root: (u32, u32)) -> bool;
}

/// Every mount of `mounts` but the root, with its class, in table order.
pub fn records(mounts: &[Mount], root: &RootRecord, facts: &dyn Facts) -> Vec<MountRecord> {
    mounts
        .iter()
        .filter(|m| m.mount_point != "/")
        .map(|m| MountRecord::new(m, class_of(m, root, facts)))
        .collect()
}

/// The class of one mount (not the root itself).
pub fn class_of(m: &Mount, root: &RootRecord, facts: &dyn Facts) -> Class {
    let root_dev = (root.major, root.minor);
    if MOVED
        .iter()
        .any(|api| mountinfo::is_under(&m.mount_point, api))
    {
        return Class::Api;
    }
    let same_fs = (m.major, m.minor) == root_dev
        || (m.source.starts_with('/') && m.source == root.source && m.fstype == root.fstype);
    if same_fs {
        return bind_class(m, root);
    }
    if m.fstype == "overlay" {
        return overlay_class(m, root_dev, facts);
    }
    if m.fstype == "fuse" || m.fstype.starts_with("fuse.") || m.fstype == "fuseblk" {
        return Class::Unrestorable {
            why: "a fuse filesystem: its daemon runs from the system and is stopped at release"
                .into(),
        };
    }
    if let Some(backing) = facts.loop_backing_dev(&m.source) {
        if backing != root_dev {
            return Class::Independent;
        }
        // On the root: it must be attached again, as it was.
        return match facts.loop_setup(&m.source) {
            Some(setup) => Class::Loop(setup),
            None => Class::Unrestorable {
                why: format!(
                    "{}: its backing file on the root cannot be attached again (deleted?)",
                    m.source
                ),
            },
        };
    }
    if m.major != 0 && facts.stacked_on((m.major, m.minor), root_dev) {
        return Class::Unrestorable {
            why: "its device is stacked on the root device".into(),
        };
    }
    Class::Independent
}

/// A mount of the root's own filesystem: a bind of one of its files or
/// directories, reachable again from `/` once the root is back.
fn bind_class(m: &Mount, root: &RootRecord) -> Class {
    if m.root.ends_with("//deleted") {
        return Class::Unrestorable {
            why: "a bind mount of a file that was deleted".into(),
        };
    }
    let source = if root.fs_root == "/" {
        Some(m.root.clone())
    } else {
        m.root
            .strip_prefix(root.fs_root.as_str())
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))
            .map(|rest| {
                if rest.is_empty() {
                    "/".to_owned()
                } else {
                    rest.to_owned()
                }
            })
    };
    match source {
        Some(source) => Class::Bind { source },
        None => Class::Unrestorable {
            why: format!(
                "a mount of {} of the root's filesystem, outside what / shows ({})",
                m.root, root.fs_root
            ),
        },
    }
}

/// The directories an overlay's options name (overlayfs.rst: lowerdir is
/// `:`-separated, `\` escapes; upperdir, workdir).
pub fn overlay_dirs(super_options: &str) -> Option<Vec<String>> {
    let mut dirs = Vec::new();
    let mut saw_lower = false;
    for opt in split_unescaped(super_options, ',') {
        let Some((k, v)) = opt.split_once('=') else {
            continue;
        };
        match k {
            "lowerdir" => {
                saw_lower = true;
                dirs.extend(split_unescaped(v, ':').into_iter().map(|d| unescape(&d)));
            }
            "upperdir" | "workdir" => dirs.push(unescape(v)),
            _ => {}
        }
    }
    saw_lower.then_some(dirs)
}

fn split_unescaped(s: &str, sep: char) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut escaped = false;
    for c in s.chars() {
        let cur = out.last_mut().expect("never empty");
        if escaped {
            cur.push('\\');
            cur.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            out.push(String::new());
        } else {
            cur.push(c);
        }
    }
    out
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut escaped = false;
    for c in s.chars() {
        if escaped || c != '\\' {
            out.push(c);
            escaped = false;
        } else {
            escaped = true;
        }
    }
    out
}

fn overlay_class(m: &Mount, root_dev: (u32, u32), facts: &dyn Facts) -> Class {
    let Some(dirs) = overlay_dirs(&m.super_options) else {
        return Class::Unrestorable {
            why: "an overlay whose layers the mount table does not show".into(),
        };
    };
    let mut on_root = false;
    for d in &dirs {
        match facts.dev_of(d) {
            Some(dev) => on_root |= dev == root_dev,
            None => {
                return Class::Unrestorable {
                    why: format!("the overlay layer {d} cannot be found"),
                };
            }
        }
    }
    if on_root {
        Class::Overlay
    } else {
        Class::Independent
    }
}

/// The swap areas of /proc/swaps (proc(5)): `Filename Type Size Used
/// Priority`, paths with `\040`-style escapes.
pub fn swaps(text: &str, root_dev: (u32, u32), facts: &dyn Facts) -> Vec<SwapRecord> {
    let mut out: Vec<SwapRecord> = Vec::new();
    for s in crate::proc::holders::swaps::parse(text) {
        let path = s
            .path
            .strip_suffix(" (deleted)")
            .unwrap_or(&s.path)
            .to_owned();
        // /proc/swaps names each area by its path as this process sees it;
        // a swap file another mount namespace turned on can show the same
        // path as ours (a container's /swapfile). swapoff(2) of a path acts
        // on the file that path opens here, so one record per path.
        if out.iter().any(|r| r.path == path) {
            continue;
        }
        let on_root = s.kind == "file" && facts.dev_of(&path) == Some(root_dev);
        out.push(SwapRecord {
            path,
            priority: s.priority,
            on_root,
        });
    }
    out
}

/// [`Facts`] from the running system, with paths of the system's own root
/// reached under `prefix` (`""` before the lift, `/oldroot` while lifted).
pub struct Live<'a> {
    pub prefix: &'a str,
}

impl Facts for Live<'_> {
    fn dev_of(&self, path: &str) -> Option<(u32, u32)> {
        let full = format!("{}{path}", self.prefix);
        let st = rustix::fs::stat(full.as_str()).ok()?;
        Some((rustix::fs::major(st.st_dev), rustix::fs::minor(st.st_dev)))
    }

    fn loop_setup(&self, device: &str) -> Option<LoopSetup> {
        let mut s = crate::loopdev::setup_of(device)?;
        // sysfs prints the backing file from our root: the system's own
        // path is what return attaches again.
        if !self.prefix.is_empty() {
            s.backing = s.backing.strip_prefix(self.prefix)?.to_owned();
        }
        Some(s)
    }

    fn loop_backing_dev(&self, device: &str) -> Option<(u32, u32)> {
        crate::loopdev::backing_dev(device)
    }

    fn stacked_on(&self, dev: (u32, u32), root: (u32, u32)) -> bool {
        crate::sysfs::block::stacked_on(dev, root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lift::record::Prop;

    struct Fake;

    impl Facts for Fake {
        fn dev_of(&self, path: &str) -> Option<(u32, u32)> {
            if path.starts_with("/home") {
                Some((252, 1))
            } else if path.starts_with("/gone") {
                None
            } else {
                Some((252, 0))
            }
        }
        fn loop_setup(&self, device: &str) -> Option<LoopSetup> {
            let backing = match device {
                "/dev/loop0" => "/var/lib/img.ext4",
                "/dev/loop1" => "/home/img.ext4",
                _ => return None,
            };
            Some(LoopSetup {
                device: device.into(),
                backing: backing.into(),
                offset: 0,
                sizelimit: 0,
                read_only: false,
                autoclear: true,
                partscan: false,
                direct_io: false,
                block_size: 512,
            })
        }
        fn loop_backing_dev(&self, device: &str) -> Option<(u32, u32)> {
            match device {
                "/dev/loop0" | "/dev/loop2" => Some((252, 0)),
                "/dev/loop1" => Some((252, 1)),
                _ => None,
            }
        }
        fn stacked_on(&self, dev: (u32, u32), _root: (u32, u32)) -> bool {
            dev == (252, 9)
        }
    }

    fn root() -> RootRecord {
        RootRecord {
            source: "/dev/mapper/vg0-root".into(),
            fstype: "ext4".into(),
            major: 252,
            minor: 0,
            options: "rw".into(),
            super_options: "rw".into(),
            fs_root: "/".into(),
            prop: Prop::default(),
        }
    }

    fn line(path: &str, dev: &str, fsroot: &str, fstype: &str, source: &str, sup: &str) -> Mount {
        mountinfo::parse_line(&format!(
            "40 1 {dev} {fsroot} {path} rw,relatime shared:5 - {fstype} {source} {sup}"
        ))
        .unwrap()
    }

    #[test]
    fn every_kind_of_mount_gets_its_class() {
        let r = root();
        let cases = [
            (line("/proc", "0:22", "/", "proc", "proc", "rw"), "api"),
            (
                line("/run/user/0", "0:50", "/", "tmpfs", "tmpfs", "rw"),
                "api",
            ),
            (
                line("/tmp", "0:40", "/", "tmpfs", "tmpfs", "rw"),
                "independent",
            ),
            (
                line("/boot", "254:1", "/", "ext2", "/dev/vda1", "rw"),
                "independent",
            ),
            (
                line("/home", "252:1", "/", "ext4", "/dev/mapper/vg0-home", "rw"),
                "independent",
            ),
            (
                line("/mnt/nfs", "0:60", "/", "nfs4", "srv:/x", "rw,vers=4.2"),
                "independent",
            ),
            (
                line(
                    "/srv/www",
                    "252:0",
                    "/var/www",
                    "ext4",
                    "/dev/mapper/vg0-root",
                    "rw",
                ),
                "bind",
            ),
            (
                line(
                    "/etc/x",
                    "252:0",
                    "/etc/y//deleted",
                    "ext4",
                    "/dev/mapper/vg0-root",
                    "rw",
                ),
                "unrestorable",
            ),
            (
                line("/mnt/img", "7:0", "/", "ext4", "/dev/loop0", "rw"),
                "loop",
            ),
            (
                line("/mnt/img2", "7:1", "/", "ext4", "/dev/loop1", "rw"),
                "independent",
            ),
            (
                line("/mnt/img3", "7:2", "/", "ext4", "/dev/loop2", "rw"),
                "unrestorable",
            ),
            (
                line(
                    "/merged",
                    "0:70",
                    "/",
                    "overlay",
                    "overlay",
                    "rw,lowerdir=/var/l1:/var/l2,upperdir=/var/u,workdir=/var/w",
                ),
                "overlay",
            ),
            (
                line(
                    "/merged2",
                    "0:71",
                    "/",
                    "overlay",
                    "overlay",
                    "rw,lowerdir=/home/l,upperdir=/home/u,workdir=/home/w",
                ),
                "independent",
            ),
            (
                line(
                    "/merged3",
                    "0:72",
                    "/",
                    "overlay",
                    "overlay",
                    "rw,lowerdir=/gone/l",
                ),
                "unrestorable",
            ),
            (
                line("/merged4", "0:73", "/", "overlay", "overlay", "rw,xino=off"),
                "unrestorable",
            ),
            (
                line("/mnt/sshfs", "0:80", "/", "fuse.sshfs", "u@h:", "rw"),
                "unrestorable",
            ),
            (
                line("/mnt/crypt", "252:9", "/", "ext4", "/dev/mapper/c", "rw"),
                "unrestorable",
            ),
        ];
        for (m, want) in &cases {
            assert_eq!(class_of(m, &r, &Fake).name(), *want, "{}", m.mount_point);
        }
        match class_of(&cases[6].0, &r, &Fake) {
            Class::Bind { source } => assert_eq!(source, "/var/www"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_bind_source_is_relative_to_the_root_mounts_own_root() {
        let mut r = root();
        r.fs_root = "/@".into();
        let m = line(
            "/srv",
            "252:0",
            "/@/var/www",
            "btrfs",
            "/dev/mapper/vg0-root",
            "rw",
        );
        assert_eq!(
            class_of(&m, &r, &Fake),
            Class::Bind {
                source: "/var/www".into()
            }
        );
        let whole = line(
            "/mnt/r",
            "252:0",
            "/@",
            "btrfs",
            "/dev/mapper/vg0-root",
            "rw",
        );
        assert_eq!(
            class_of(&whole, &r, &Fake),
            Class::Bind { source: "/".into() }
        );
        let outside = line(
            "/home",
            "252:0",
            "/@home",
            "btrfs",
            "/dev/mapper/vg0-root",
            "rw",
        );
        assert_eq!(class_of(&outside, &r, &Fake).name(), "unrestorable");
    }

    #[test]
    fn overlay_layers_with_escapes() {
        assert_eq!(
            overlay_dirs(r"rw,lowerdir=/a\:b:/c,upperdir=/u\,x,workdir=/w").unwrap(),
            ["/a:b", "/c", "/u,x", "/w"]
        );
        assert_eq!(overlay_dirs("rw,xino=off"), None);
    }

    #[test]
    fn swap_files_on_the_root_are_found() {
        let text = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n\
                    /swap\\040file                               file\t\t1048572\t\t0\t\t-2\n\
                    /home/swap                               file\t\t1048572\t\t0\t\t5\n\
                    /dev/vda3                               partition\t1048572\t\t0\t\t-3\n\
                    /swap\\040file                               file\t\t4096\t\t0\t\t-4\n\
                    /gone\\040(deleted)                          file\t\t4096\t\t0\t\t-5\n";
        let s = swaps(text, (252, 0), &Fake);
        // The second "/swap file" (another namespace's) is not a second record.
        assert_eq!(s.len(), 4);
        assert_eq!(s[3].path, "/gone");
        assert_eq!(
            (s[0].path.as_str(), s[0].priority, s[0].on_root),
            ("/swap file", -2, true)
        );
        assert_eq!((s[1].on_root, s[1].priority), (false, 5));
        assert!(!s[2].on_root);
    }
}
