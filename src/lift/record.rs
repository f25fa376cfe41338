//! What `enter` writes down before it changes anything, and `return` reads
//! back: the root mount (source, type, options) and every mount's shared
//! propagation, which the make-rprivate that pivot_root(2) needs destroys.

use rustix::fs::{CWD, FileType, Mode};
use rustix::io::Errno;

use crate::error::{Error, Result};
use crate::journal::{Entry, Journal, Stage, escape};
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
}

/// Everything `return` needs, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub root: RootRecord,
    /// Mount points that were shared (`shared:N`) before the lift.
    pub shared: Vec<String>,
    /// Mount points that were slaves (`master:N`): reported, since a
    /// make-rprivate loses the master they received from.
    pub slaves: Vec<String>,
    /// The other filesystems of the old root (/boot, /home, ...), in mount
    /// order: release unmounts them, return mounts them again.
    pub submounts: Vec<SubMount>,
}

/// A filesystem mounted below the root, outside the API filesystems that
/// move with the lift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubMount {
    pub path: String,
    pub source: String,
    pub fstype: String,
    pub options: String,
    pub super_options: String,
    /// Not `/` for a bind mount, which a plain mount cannot recreate.
    pub fs_root: String,
}

/// Whether `m` is one of the root's own submounts (not / itself, nothing
/// under /proc, /sys, /dev or /run, which move with the system).
fn is_submount(m: &Mount) -> bool {
    m.mount_point != "/"
        && !super::MOVED
            .iter()
            .any(|api| mountinfo::is_under(&m.mount_point, api))
}

/// Writes the record for `mounts` into the journal.
pub fn write(j: &mut Journal, mounts: &[Mount]) -> Result<Record> {
    let root = mountinfo::at(mounts, "/")
        .ok_or_else(|| Error::Failed("no mount at / in /proc/self/mountinfo".into()))?;
    let rec = Record {
        root: RootRecord {
            source: root.source.clone(),
            fstype: root.fstype.clone(),
            major: root.major,
            minor: root.minor,
            options: root.mount_options.clone(),
            super_options: root.super_options.clone(),
        },
        shared: mounts
            .iter()
            .filter(|m| m.shared.is_some())
            .map(|m| m.mount_point.clone())
            .collect(),
        slaves: mounts
            .iter()
            .filter(|m| m.master.is_some())
            .map(|m| m.mount_point.clone())
            .collect(),
        submounts: mounts
            .iter()
            .filter(|m| is_submount(m))
            .map(|m| SubMount {
                path: m.mount_point.clone(),
                source: m.source.clone(),
                fstype: m.fstype.clone(),
                options: m.mount_options.clone(),
                super_options: m.super_options.clone(),
                fs_root: m.root.clone(),
            })
            .collect(),
    };
    j.log(&Stage::Idle, "record.root", &root_detail(root))?;
    for path in &rec.shared {
        j.log(
            &Stage::Idle,
            "record.shared",
            &format!("path={}", escape(path)),
        )?;
    }
    for path in &rec.slaves {
        j.log(
            &Stage::Idle,
            "record.slave",
            &format!("path={}", escape(path)),
        )?;
    }
    Ok(rec)
}

/// The `record.root` detail for the mount at /.
pub fn root_detail(root: &Mount) -> String {
    format!(
        "source={} fstype={} dev={}:{} options={} super={}",
        escape(&root.source),
        escape(&root.fstype),
        root.major,
        root.minor,
        escape(&root.mount_options),
        escape(&root.super_options)
    )
}

/// Reads the record back from the entries of one lift.
pub fn read(cycle: &[Entry]) -> Result<Record> {
    let bad = |why: &str| Error::invalid("journal", crate::journal::PATH, why);
    let root_entry = cycle
        .iter()
        .find(|e| e.event == "record.root")
        .ok_or_else(|| bad("no record.root line in the latest lift"))?;
    let field = |k: &str| {
        root_entry
            .get(k)
            .ok_or_else(|| bad(&format!("record.root has no {k}")))
    };
    let dev = field("dev")?;
    let (major, minor) = dev
        .split_once(':')
        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
        .ok_or_else(|| bad("record.root has a bad dev"))?;
    let paths = |event: &str| -> Result<Vec<String>> {
        cycle
            .iter()
            .filter(|e| e.event == event)
            .map(|e| {
                e.get("path")
                    .ok_or_else(|| bad(&format!("{event} has no path")))
            })
            .collect()
    };
    Ok(Record {
        root: RootRecord {
            source: field("source")?,
            fstype: field("fstype")?,
            major,
            minor,
            options: field("options")?,
            super_options: field("super")?,
        },
        shared: paths("record.shared")?,
        slaves: paths("record.slave")?,
        submounts: cycle
            .iter()
            .filter(|e| e.event == "record.mount")
            .map(|e| {
                let f = |k: &str| {
                    e.get(k)
                        .ok_or_else(|| bad(&format!("record.mount has no {k}")))
                };
                Ok(SubMount {
                    path: f("path")?,
                    source: f("source")?,
                    fstype: f("fstype")?,
                    options: f("options")?,
                    super_options: f("super")?,
                    fs_root: f("fsroot")?,
                })
            })
            .collect::<Result<_>>()?,
    })
}

/// The node made in the tmpfs when the recorded source is not usable.
pub const ROOT_NODE: &str = "/rootlift-rootdev";

/// A block device node for the recorded root: its source path when that is
/// really the recorded major:minor (`/dev/root` often is not a node at all),
/// else a node made in the tmpfs with mknod(2).
pub fn root_device_node(rec: &Record) -> Result<String> {
    let want = rustix::fs::makedev(rec.root.major, rec.root.minor);
    if let Ok(st) = rustix::fs::stat(rec.root.source.as_str())
        && FileType::from_raw_mode(st.st_mode) == FileType::BlockDevice
        && st.st_rdev == want
    {
        return Ok(rec.root.source.clone());
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

    #[test]
    fn reads_back_what_enter_wrote() {
        let text = "\
1 idle enter.begin pid=7
1 idle record.root source=/dev/mapper/vg0-root fstype=ext4 dev=252:0 options=rw,relatime super=rw,errors%3dremount-ro
1 idle record.shared path=/
1 idle record.shared path=/mnt/with%20space
1 idle record.slave path=/srv
1 idle record.mount path=/boot source=/dev/vda1 fstype=ext2 options=rw,relatime super=rw fsroot=/
";
        let e = parse(text).unwrap();
        let r = read(&e).unwrap();
        assert_eq!(r.root.source, "/dev/mapper/vg0-root");
        assert_eq!((r.root.major, r.root.minor), (252, 0));
        assert_eq!(r.root.super_options, "rw,errors=remount-ro");
        assert_eq!(r.shared, ["/", "/mnt/with space"]);
        assert_eq!(r.slaves, ["/srv"]);
        assert_eq!(r.submounts.len(), 1);
        assert_eq!(r.submounts[0].path, "/boot");
        assert_eq!(r.submounts[0].source, "/dev/vda1");
    }

    #[test]
    fn a_record_missing_a_field_is_an_error() {
        for line in [
            "1 idle record.root fstype=ext4 dev=1:2 options=rw super=rw\n",
            "1 idle record.root source=/a fstype=ext4 dev=12 options=rw super=rw\n",
            "1 idle record.shared nopath=1\n",
        ] {
            let mut text = String::from("1 idle enter.begin x\n");
            if !line.contains("record.root") {
                text.push_str(
                    "1 idle record.root source=/a fstype=ext4 dev=1:2 options=rw super=rw\n",
                );
            }
            text.push_str(line);
            assert!(read(&parse(&text).unwrap()).is_err(), "{line}");
        }
    }
}
