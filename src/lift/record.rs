//! What `enter` writes down before it changes anything, and `release` and
//! `return` read back: the root mount, and every other mount with what
//! re-creates it and its propagation (proc_pid_mountinfo(5) fields), and
//! the swap areas (proc(5) /proc/swaps). The make-rprivate that
//! pivot_root(2) needs destroys propagation, and release parks or unmounts
//! the mounts below the root: the record is how both come back.

use rustix::fs::{CWD, FileType, Mode};
use rustix::io::Errno;

use crate::error::{Error, Result};
use crate::journal::{Detail, Entry, Event, Fields, Journal, Stage};
use crate::loopdev::LoopSetup;
use crate::proc::mountinfo::{self, Mount};

/// The root filesystem as it was mounted before the lift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootRecord {
    pub source: String,
    pub fstype: String,
    pub major: u32,
    pub minor: u32,
    pub options: String,
    pub super_options: String,
    /// The root mount's root within its filesystem (`/` unless a btrfs
    /// subvolume or a bind is the root).
    pub fs_root: String,
    pub prop: Prop,
}

/// A mount's propagation (mountinfo's optional fields).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prop {
    /// `shared:N`: its peer group.
    pub shared: Option<u32>,
    /// `master:N`: the peer group it receives from.
    pub master: Option<u32>,
    pub unbindable: bool,
}

impl Prop {
    pub fn of(m: &Mount) -> Prop {
        Prop {
            shared: m.shared,
            master: m.master,
            unbindable: m.unbindable,
        }
    }

    /// The propagation type as people name it: `shared`, `slave`,
    /// `shared+slave`, `unbindable` or `private`.
    pub fn kind(&self) -> &'static str {
        match (
            self.shared.is_some(),
            self.master.is_some(),
            self.unbindable,
        ) {
            (true, true, _) => "shared+slave",
            (true, false, _) => "shared",
            (false, true, _) => "slave",
            (false, false, true) => "unbindable",
            (false, false, false) => "private",
        }
    }

    fn encode(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(n) = self.shared {
            parts.push(format!("shared:{n}"));
        }
        if let Some(n) = self.master {
            parts.push(format!("master:{n}"));
        }
        if self.unbindable {
            parts.push("unbindable".into());
        }
        if parts.is_empty() {
            return "private".into();
        }
        parts.join(",")
    }

    fn decode(s: &str) -> Option<Prop> {
        let mut p = Prop::default();
        if s == "private" {
            return Some(p);
        }
        for part in s.split(',') {
            match part.split_once(':') {
                Some(("shared", n)) => p.shared = Some(n.parse().ok()?),
                Some(("master", n)) => p.master = Some(n.parse().ok()?),
                None if part == "unbindable" => p.unbindable = true,
                _ => return None,
            }
        }
        Some(p)
    }
}

/// What a lift does to a mount below the root (see `lift::classify`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Class {
    /// Below /proc, /sys, /dev or /run: moves with the system.
    Api,
    /// Its filesystem does not depend on the root's: parked whole (MS_MOVE
    /// under /run/rootlift/park), never unmounted, moved back on return.
    Independent,
    /// A bind mount of `source`, a file or directory of the root
    /// filesystem: unmounted at release, bound again on return.
    Bind { source: String },
    /// A filesystem on a loop device whose backing file is on the root:
    /// unmounted and detached at release, attached and mounted again.
    Loop(LoopSetup),
    /// An overlay with a layer on the root: unmounted at release, mounted
    /// again with the same options.
    Overlay,
    /// Something rootlift cannot put back exactly; a lift refuses unless
    /// the operator agrees to lose it (`--drop-unrestorable`).
    Unrestorable { why: String },
}

impl Class {
    pub fn name(&self) -> &'static str {
        match self {
            Class::Api => "api",
            Class::Independent => "independent",
            Class::Bind { .. } => "bind",
            Class::Loop(_) => "loop",
            Class::Overlay => "overlay",
            Class::Unrestorable { .. } => "unrestorable",
        }
    }

    /// Whether its filesystem depends on the root's (it must be gone for
    /// the root device to be free).
    pub fn is_dependent(&self) -> bool {
        matches!(
            self,
            Class::Bind { .. } | Class::Loop(_) | Class::Overlay | Class::Unrestorable { .. }
        )
    }

    /// What a lift does to such a mount, for `plan` and `status`.
    pub fn fate(&self) -> String {
        match self {
            Class::Api => "moves with the system (proc, sys, dev, run)".into(),
            Class::Independent => {
                "parked under /run/rootlift/park at release, never unmounted; moved back on return"
                    .into()
            }
            Class::Bind { source } => {
                format!("unmounted at release; bound again from {source} on return")
            }
            Class::Loop(l) => format!(
                "unmounted and {} detached at release; {} attached again (offset {}, size limit {}{}) and mounted on return",
                l.device,
                l.backing,
                l.offset,
                l.sizelimit,
                if l.read_only { ", read-only" } else { "" }
            ),
            Class::Overlay => {
                "unmounted at release; mounted again with the same options on return".into()
            }
            Class::Unrestorable { why } => format!(
                "cannot be put back exactly ({why}): a job refuses unless --drop-unrestorable, which unmounts it for good"
            ),
        }
    }

    fn encode(&self, d: Detail) -> Detail {
        let d = d.with("class", self.name());
        match self {
            Class::Bind { source } => d.with("src", source),
            Class::Loop(l) => d
                .with("loopdev", &l.device)
                .with("backing", &l.backing)
                .with("offset", l.offset)
                .with("sizelimit", l.sizelimit)
                .with("ro", u8::from(l.read_only))
                .with("autoclear", u8::from(l.autoclear))
                .with("partscan", u8::from(l.partscan))
                .with("dio", u8::from(l.direct_io))
                .with("bs", l.block_size),
            Class::Unrestorable { why } => d.with("why", why),
            Class::Api | Class::Independent | Class::Overlay => d,
        }
    }

    fn decode(f: &Fields) -> Result<Class> {
        Ok(match f.str("class")?.as_str() {
            "api" => Class::Api,
            "independent" => Class::Independent,
            "bind" => Class::Bind {
                source: f.str("src")?,
            },
            "loop" => Class::Loop(LoopSetup {
                device: f.str("loopdev")?,
                backing: f.str("backing")?,
                offset: f.num("offset")?,
                sizelimit: f.num("sizelimit")?,
                read_only: f.flag("ro")?,
                autoclear: f.flag("autoclear")?,
                partscan: f.flag("partscan")?,
                direct_io: f.flag("dio")?,
                block_size: f.num("bs")?,
            }),
            "overlay" => Class::Overlay,
            "unrestorable" => Class::Unrestorable { why: f.str("why")? },
            other => return Err(f.bad(&format!("unknown class {other}"))),
        })
    }
}

/// One mount other than the root, as it was at enter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountRecord {
    pub id: u32,
    pub parent: u32,
    pub path: String,
    pub source: String,
    pub fstype: String,
    pub options: String,
    pub super_options: String,
    pub fs_root: String,
    pub prop: Prop,
    pub class: Class,
}

impl MountRecord {
    pub fn new(m: &Mount, class: Class) -> MountRecord {
        MountRecord {
            id: m.mount_id,
            parent: m.parent_id,
            path: m.mount_point.clone(),
            source: m.source.clone(),
            fstype: m.fstype.clone(),
            options: m.mount_options.clone(),
            super_options: m.super_options.clone(),
            fs_root: m.root.clone(),
            prop: Prop::of(m),
            class,
        }
    }

    /// The `record.mount` detail.
    pub fn encode(&self) -> Detail {
        let d = Detail::new()
            .with("id", self.id)
            .with("parent", self.parent)
            .with("path", &self.path)
            .with("source", &self.source)
            .with("fstype", &self.fstype)
            .with("options", &self.options)
            .with("super", &self.super_options)
            .with("fsroot", &self.fs_root)
            .with("prop", self.prop.encode());
        self.class.encode(d)
    }

    pub fn decode(e: &Entry) -> Result<MountRecord> {
        let f = Fields(e);
        Ok(MountRecord {
            id: f.num("id")?,
            parent: f.num("parent")?,
            path: f.str("path")?,
            source: f.str("source")?,
            fstype: f.str("fstype")?,
            options: f.str("options")?,
            super_options: f.str("super")?,
            fs_root: f.str("fsroot")?,
            prop: prop(&f)?,
            class: Class::decode(&f)?,
        })
    }
}

/// A swap area in use at enter (/proc/swaps).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwapRecord {
    pub path: String,
    pub priority: i32,
    /// A swap file on the root filesystem: swapped off at release, on again
    /// on return. Others are left alone.
    pub on_root: bool,
}

impl SwapRecord {
    pub fn encode(&self) -> Detail {
        Detail::new()
            .with("path", &self.path)
            .with("priority", self.priority)
            .with("on_root", u8::from(self.on_root))
    }

    pub fn decode(e: &Entry) -> Result<SwapRecord> {
        let f = Fields(e);
        Ok(SwapRecord {
            path: f.str("path")?,
            priority: f.num("priority")?,
            on_root: f.flag("on_root")?,
        })
    }
}

/// Everything `return` needs, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub root: RootRecord,
    /// Every other mount, in mountinfo order (parents before children);
    /// mounts first seen at release are appended there.
    pub mounts: Vec<MountRecord>,
    pub swaps: Vec<SwapRecord>,
}

impl Record {
    /// The record of mount `id`.
    pub fn mount(&self, id: u32) -> Option<&MountRecord> {
        self.mounts.iter().find(|m| m.id == id)
    }

    /// The mounts no lift can put back exactly.
    pub fn unrestorable(&self) -> impl Iterator<Item = &MountRecord> {
        self.mounts
            .iter()
            .filter(|m| matches!(m.class, Class::Unrestorable { .. }))
    }
}

/// The `prop` field of a record line.
fn prop(f: &Fields) -> Result<Prop> {
    Prop::decode(&f.str("prop")?).ok_or_else(|| f.bad("bad prop"))
}

/// The root mount of `mounts`, as recorded.
pub fn root_of(mounts: &[Mount]) -> Result<RootRecord> {
    let root = mountinfo::at(mounts, "/")
        .ok_or_else(|| Error::failed("no mount at / in /proc/self/mountinfo".into()))?;
    Ok(RootRecord {
        source: root.source.clone(),
        fstype: root.fstype.clone(),
        major: root.major,
        minor: root.minor,
        options: root.mount_options.clone(),
        super_options: root.super_options.clone(),
        fs_root: root.root.clone(),
        prop: Prop::of(root),
    })
}

impl RootRecord {
    /// The `record.root` detail.
    pub fn encode(&self) -> Detail {
        Detail::new()
            .with("source", &self.source)
            .with("fstype", &self.fstype)
            .with("dev", format_args!("{}:{}", self.major, self.minor))
            .with("options", &self.options)
            .with("super", &self.super_options)
            .with("fsroot", &self.fs_root)
            .with("prop", self.prop.encode())
    }

    pub fn decode(e: &Entry) -> Result<RootRecord> {
        let f = Fields(e);
        let (major, minor) = f.dev("dev")?;
        Ok(RootRecord {
            source: f.str("source")?,
            fstype: f.str("fstype")?,
            major,
            minor,
            options: f.str("options")?,
            super_options: f.str("super")?,
            fs_root: f.str("fsroot")?,
            prop: prop(&f)?,
        })
    }
}

/// Journals `rec` (stage `idle`, before anything changes).
pub fn write(j: &mut Journal, rec: &Record) -> Result<()> {
    j.log(&Stage::Idle, Event::RecordRoot, rec.root.encode())?;
    for m in &rec.mounts {
        j.log(&Stage::Idle, Event::RecordMount, m.encode())?;
    }
    for s in &rec.swaps {
        j.log(&Stage::Idle, Event::RecordSwap, s.encode())?;
    }
    Ok(())
}

/// Reads the record back from the entries of one lift.
pub fn read(cycle: &[Entry]) -> Result<Record> {
    let root_entry = cycle
        .iter()
        .find(|e| e.event == Event::RecordRoot)
        .ok_or_else(|| {
            Error::invalid(
                "journal",
                crate::journal::PATH,
                "no record.root line in the latest lift",
            )
        })?;
    let mut mounts: Vec<MountRecord> = Vec::new();
    for e in cycle.iter().filter(|e| e.event == Event::RecordMount) {
        let m = MountRecord::decode(e)?;
        // A mount recorded again (at release) keeps its first record.
        if !mounts.iter().any(|o| o.id == m.id) {
            mounts.push(m);
        }
    }
    Ok(Record {
        root: RootRecord::decode(root_entry)?,
        mounts,
        swaps: cycle
            .iter()
            .filter(|e| e.event == Event::RecordSwap)
            .map(SwapRecord::decode)
            .collect::<Result<_>>()?,
    })
}

/// The node made in the tmpfs when the recorded source is not usable.
pub const ROOT_NODE: &str = "/rootlift-rootdev";

/// A block device node for the recorded root: its source path when that is
/// really the recorded major:minor (`/dev/root` often is not a node at all),
/// else a node made in the tmpfs with mknod(2).
pub fn root_device_node(root: &RootRecord) -> Result<String> {
    let want = rustix::fs::makedev(root.major, root.minor);
    if let Ok(st) = rustix::fs::stat(root.source.as_str())
        && FileType::from_raw_mode(st.st_mode) == FileType::BlockDevice
        && st.st_rdev == want
    {
        return Ok(root.source.clone());
    }
    let node = ROOT_NODE;
    match rustix::fs::mknodat(
        CWD,
        node,
        FileType::BlockDevice,
        Mode::from_raw_mode(0o600),
        want,
    ) {
        Ok(()) | Err(Errno::EXIST) => Ok(node.to_owned()),
        Err(e) => Err(Error::sys("mknod", node, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::parse;

    fn sample() -> Record {
        let base = MountRecord {
            id: 30,
            parent: 1,
            path: "/boot".into(),
            source: "/dev/vda1".into(),
            fstype: "ext2".into(),
            options: "rw,relatime".into(),
            super_options: "rw,errors=continue".into(),
            fs_root: "/".into(),
            prop: Prop {
                shared: Some(7),
                master: None,
                unbindable: false,
            },
            class: Class::Independent,
        };
        Record {
            root: RootRecord {
                source: "/dev/mapper/vg0-root".into(),
                fstype: "ext4".into(),
                major: 252,
                minor: 0,
                options: "rw,relatime".into(),
                super_options: "rw,errors=remount-ro".into(),
                fs_root: "/".into(),
                prop: Prop {
                    shared: Some(1),
                    ..Prop::default()
                },
            },
            mounts: vec![
                base.clone(),
                MountRecord {
                    id: 31,
                    path: "/srv/with space".into(),
                    source: "/dev/mapper/vg0-root".into(),
                    fstype: "ext4".into(),
                    fs_root: "/var/www".into(),
                    prop: Prop {
                        shared: Some(1),
                        master: Some(3),
                        unbindable: false,
                    },
                    class: Class::Bind {
                        source: "/var/www".into(),
                    },
                    ..base.clone()
                },
                MountRecord {
                    id: 32,
                    path: "/mnt/img".into(),
                    source: "/dev/loop0".into(),
                    prop: Prop::default(),
                    class: Class::Loop(LoopSetup {
                        device: "/dev/loop0".into(),
                        backing: "/var/img=x.img".into(),
                        offset: 512,
                        sizelimit: 0,
                        read_only: true,
                        autoclear: true,
                        partscan: false,
                        direct_io: false,
                        block_size: 512,
                    }),
                    ..base.clone()
                },
                MountRecord {
                    id: 33,
                    path: "/merged".into(),
                    fstype: "overlay".into(),
                    super_options: "rw,lowerdir=/l,upperdir=/u,workdir=/w".into(),
                    prop: Prop {
                        unbindable: true,
                        ..Prop::default()
                    },
                    class: Class::Overlay,
                    ..base.clone()
                },
                MountRecord {
                    id: 34,
                    path: "/run/user/0".into(),
                    fstype: "tmpfs".into(),
                    class: Class::Api,
                    ..base.clone()
                },
                MountRecord {
                    id: 35,
                    path: "/mnt/fuse".into(),
                    fstype: "fuse.sshfs".into(),
                    class: Class::Unrestorable {
                        why: "fuse: its daemon is stopped".into(),
                    },
                    ..base
                },
            ],
            swaps: vec![
                SwapRecord {
                    path: "/swap file".into(),
                    priority: -2,
                    on_root: true,
                },
                SwapRecord {
                    path: "/dev/vda3".into(),
                    priority: 5,
                    on_root: false,
                },
            ],
        }
    }

    /// The journal text `write` would produce for `rec`.
    fn journal_text(rec: &Record) -> String {
        let mut text = String::from("1 idle enter.begin pid=7\n");
        text.push_str(&format!("1 idle record.root {}\n", rec.root.encode()));
        for m in &rec.mounts {
            text.push_str(&format!("1 idle record.mount {}\n", m.encode()));
        }
        for s in &rec.swaps {
            text.push_str(&format!("1 idle record.swap {}\n", s.encode()));
        }
        text
    }

    #[test]
    fn a_record_reads_back_equal() {
        let rec = sample();
        let back = read(&parse(&journal_text(&rec)).unwrap()).unwrap();
        assert_eq!(back, rec);
        assert_eq!(back.unrestorable().count(), 1);
        assert_eq!(back.mount(32).unwrap().class.name(), "loop");
    }

    #[test]
    fn propagation_kinds_and_encoding() {
        for (p, kind, enc) in [
            (Prop::default(), "private", "private"),
            (
                Prop {
                    shared: Some(3),
                    ..Prop::default()
                },
                "shared",
                "shared:3",
            ),
            (
                Prop {
                    shared: Some(3),
                    master: Some(1),
                    unbindable: false,
                },
                "shared+slave",
                "shared:3,master:1",
            ),
            (
                Prop {
                    master: Some(1),
                    ..Prop::default()
                },
                "slave",
                "master:1",
            ),
            (
                Prop {
                    unbindable: true,
                    ..Prop::default()
                },
                "unbindable",
                "unbindable",
            ),
        ] {
            assert_eq!(p.kind(), kind);
            assert_eq!(p.encode(), enc);
            assert_eq!(Prop::decode(enc), Some(p));
        }
        for bad in ["", "shared", "shared:x", "peer:1", "private,shared:1"] {
            assert_eq!(Prop::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_record_missing_a_field_is_an_error() {
        let rec = sample();
        let good = journal_text(&rec);
        for key in [
            "dev=",
            "source=",
            "fstype=",
            "options=",
            "super=",
            "id=",
            "path=",
            "prop=",
            "class=",
            "src=",
            "backing=",
            "priority=",
        ] {
            // Drop the first line that has the key: each must be an error.
            let mut dropped = false;
            let text: String = good
                .lines()
                .map(|l| {
                    if !dropped && l.contains(&format!(" {key}")) {
                        dropped = true;
                        l.split(' ')
                            .filter(|w| !w.starts_with(key))
                            .collect::<Vec<_>>()
                            .join(" ")
                    } else {
                        l.to_owned()
                    }
                })
                .map(|l| l + "\n")
                .collect();
            assert!(dropped, "{key}");
            assert!(read(&parse(&text).unwrap()).is_err(), "{key}");
        }
        assert!(read(&parse("1 idle enter.begin x\n").unwrap()).is_err());
    }
}
