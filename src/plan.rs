//! `rootlift plan [--json]`: the read-only survey (docs/commands.md) — the
//! root mount and its device stack, filesystem facts, RAM against the tmpfs
//! a lift needs, the init system, other mount namespaces, every mount below
//! the root with its class and fate, the holders with what release does to
//! each, the processes that survive, and the exact steps `enter` would run.
//! Exit 3, after the survey, when a lift is impossible.

use std::path::Path;

use crate::error::{Error, Result};
use crate::json::Json;
use crate::lift::comeback::{self, Comeback, Seen};
use crate::lift::enter::{self, Numbers};
use crate::lift::fate;
use crate::lift::record::{Class, MountRecord};
use crate::output;
use crate::proc::holders::{self, Holder, Report, Target};
use crate::proc::init::{self, Init};
use crate::proc::{meminfo, mountinfo};
use crate::sysfs::block::{self, Kind, Node};

mod partition;

/// What the survey found.
pub struct Plan {
    pub root: mountinfo::Mount,
    pub stack: Option<Node>,
    pub fs_size: u64,
    pub fs_free: u64,
    pub ram_available: u64,
    pub tmpfs_size: u64,
    pub self_size: u64,
    pub init: Init,
    /// What happens to SSH logins during a lift.
    pub ssh: &'static str,
    pub mount_count: usize,
    pub shared_count: usize,
    pub other_namespaces: Vec<Namespace>,
    /// What holds the root now (none when the scan could not run).
    pub holders: Option<Report>,
    /// Every mount below the root, with its class.
    pub mounts: Vec<MountRecord>,
    /// Processes that pin a parked mount but not the root: release leaves
    /// them running.
    pub survivors: Vec<Survivor>,
    /// The root's partition and cloud-init (plan/partition.rs).
    pub partition: partition::Section,
    /// Why a lift is impossible, when it is.
    pub refused: Option<String>,
}

/// A process that survives a lift, and the mount it pins.
pub struct Survivor {
    pub pid: u32,
    pub comm: String,
    pub mount: String,
}

/// A mount namespace other than ours, with its processes counted.
pub struct Namespace {
    pub id: String,
    pub processes: u32,
    pub first_pid: u32,
    pub first_comm: String,
}

/// What a lift does for SSH where the kernel lets it keep the sockets.
const SSH_KEPT: &str = "the listening sockets stay open all along (pidfd_getfd(2)): served from \
     the tmpfs while the root is away, handed back to sshd on return; this login ends at release";

pub fn survey() -> Result<Plan> {
    let mounts = mountinfo::read_self()?;
    let root = mountinfo::at(&mounts, "/")
        .cloned()
        .ok_or_else(|| Error::failed("no mount at / in /proc/self/mountinfo".into()))?;
    let stack = block::stack(Path::new("/sys"), root.major, root.minor).ok();
    let vfs = rustix::fs::statvfs("/").map_err(|e| Error::sys("statvfs", "/", e))?;
    let self_size = std::fs::metadata("/proc/self/exe")
        .map_err(|e| Error::io("stat", "/proc/self/exe", &e))?
        .len();
    let tmpfs_size = enter::default_size(self_size);
    let refused = match enter::preflight(tmpfs_size) {
        Ok(_) => None,
        Err(e) => match e.kind() {
            crate::error::Kind::Refused(why) => Some(why.clone()),
            _ => return Err(e),
        },
    };
    let rec = enter::survey(&mounts)?;
    let holders = holders::scan(&Target::for_path(Path::new("/"))?).ok();
    let survivors = survivors(&rec.mounts, holders.as_ref());
    let partition = partition::survey(stack.as_ref(), root.major, root.minor, &root.source);
    Ok(Plan {
        stack,
        fs_size: vfs.f_blocks.saturating_mul(vfs.f_frsize),
        fs_free: vfs.f_bavail.saturating_mul(vfs.f_frsize),
        ram_available: meminfo::read_available()?,
        tmpfs_size,
        self_size,
        init: init::detect(Path::new("/")),
        ssh: if crate::lift::sshd::find_listener().is_none() {
            "no sshd listens here"
        } else if crate::lift::sshd::can_take_sockets() {
            SSH_KEPT
        } else {
            crate::lift::sshd::NOT_KEPT
        },
        mount_count: mounts.len(),
        shared_count: mounts.iter().filter(|m| m.shared.is_some()).count(),
        other_namespaces: other_namespaces(),
        holders,
        mounts: rec.mounts,
        survivors,
        partition,
        root,
        refused,
    })
}

/// The processes that pin a mount release parks and nothing of the root:
/// a parked mount keeps its files and open fds, so they run on.
fn survivors(mounts: &[MountRecord], root: Option<&Report>) -> Vec<Survivor> {
    let held_root: Vec<u32> = root
        .map(|r| r.processes.iter().map(|h| h.pid).collect())
        .unwrap_or_default();
    let mut out: Vec<Survivor> = Vec::new();
    for m in mounts.iter().filter(|m| m.class == Class::Independent) {
        let Ok(target) = Target::for_path(Path::new(&m.path)) else {
            continue;
        };
        let Ok(report) = holders::scan(&target) else {
            continue;
        };
        for h in report.processes {
            if h.is_self || held_root.contains(&h.pid) || out.iter().any(|s| s.pid == h.pid) {
                continue;
            }
            out.push(Survivor {
                pid: h.pid,
                comm: h.comm,
                mount: m.path.clone(),
            });
        }
    }
    out
}

/// Mount namespaces in use besides ours, from /proc/*/ns/mnt.
fn other_namespaces() -> Vec<Namespace> {
    let own = std::fs::read_link("/proc/self/ns/mnt").ok();
    let mut found: Vec<Namespace> = Vec::new();
    for (pid, dir) in crate::proc::processes() {
        // A process may exit mid-scan, or be another user's: skip it.
        let Ok(ns) = std::fs::read_link(dir.join("ns/mnt")) else {
            continue;
        };
        // Kernel threads (kdevtmpfs has a namespace of its own) have no
        // command line and hold nothing a lift releases.
        let is_kthread = std::fs::read(dir.join("cmdline")).is_ok_and(|c| c.is_empty());
        if Some(&ns) == own.as_ref() || is_kthread {
            continue;
        }
        let id = ns.to_string_lossy().into_owned();
        match found.iter_mut().find(|n| n.id == id) {
            Some(n) => n.processes = n.processes.saturating_add(1),
            None => found.push(Namespace {
                id,
                processes: 1,
                first_pid: pid,
                first_comm: std::fs::read_to_string(dir.join("comm"))
                    .map(|s| s.trim_end().to_owned())
                    .unwrap_or_default(),
            }),
        }
    }
    found
}

/// The numbered steps `enter` would run for this plan (lift::enter's
/// own list).
pub fn steps(p: &Plan) -> Vec<String> {
    let n = Numbers {
        tmpfs: p.tmpfs_size,
        self_size: p.self_size,
        mounts: p.mounts.len(),
        parked: p
            .mounts
            .iter()
            .filter(|m| m.class == Class::Independent)
            .count(),
        dependent: p.mounts.iter().filter(|m| m.class.is_dependent()).count(),
    };
    enter::STEPS.iter().map(|s| s.describe(&n)).collect()
}

/// What release does to a holder, as `plan` says it.
fn release_action(h: &Holder, init: &Init) -> &'static str {
    fate::of(h, init).describe(init)
}

/// How a holder comes back on return, as release will journal it.
fn comes_back(h: &Holder, init: &Init) -> String {
    let script_of = |exe: &str| crate::lift::sysv::script_of(Path::new("/etc"), exe);
    let back = comeback::decide(h, fate::of(h, init), init, &Seen::read(h.pid), &script_of);
    match back {
        Comeback::Unit(u) => format!("systemctl start {u}"),
        Comeback::Script(s) => format!("/etc/init.d/{s} start"),
        Comeback::Argv { argv, .. } => format!("runs again: {}", argv.join(" ")),
        Comeback::Nothing => "nothing (not started again by rootlift)".into(),
    }
}

#[inline(never)]
pub fn command(json: bool) -> Result<()> {
    let p = survey()?;
    if json {
        output::json(to_json(&p))?;
    } else {
        output::text(&to_text(&p))?;
    }
    match p.refused {
        Some(why) => Err(Error::refused(why)),
        None => Ok(()),
    }
}

/// The survey as people read it.
pub fn to_text(p: &Plan) -> String {
    let r = &p.root;
    let mut s = format!(
        "root:        / is {} on {} ({}:{}), options {}\n",
        r.fstype, r.source, r.major, r.minor, r.mount_options
    );
    if let Some(node) = &p.stack {
        s.push_str(&format!("device:      {}\n", block::describe(node)));
    }
    s.push_str(&p.partition.text());
    s.push_str(&format!(
        "filesystem:  {} {}, {} free\n",
        r.fstype,
        block::human_bytes(p.fs_size),
        block::human_bytes(p.fs_free)
    ));
    s.push_str(&format!(
        "ram:         {} available; the lift needs a tmpfs of {}\n",
        block::human_bytes(p.ram_available),
        block::human_bytes(p.tmpfs_size)
    ));
    s.push_str(&format!("init:        {}\n", p.init.name()));
    s.push_str(&format!("ssh:         {}\n", p.ssh));
    if p.other_namespaces.is_empty() {
        s.push_str("namespaces:  no other mount namespaces\n");
    }
    for n in &p.other_namespaces {
        s.push_str(&format!(
            "namespace:   {} held by {} process(es), e.g. {} (pid {}): they keep the old root as their /\n",
            n.id, n.processes, n.first_comm, n.first_pid
        ));
    }
    if let Some(r) = &p.holders {
        let others: Vec<&Holder> = r.processes.iter().filter(|h| !h.is_self).collect();
        s.push_str(&format!(
            "holders:     {} process(es) hold the root\n",
            others.len()
        ));
        for h in others {
            let how: Vec<String> = h.access.iter().map(|a| a.to_string()).take(3).collect();
            let more = h.access.len().saturating_sub(3);
            s.push_str(&format!(
                "  {:>6} {} ({}): {}{} -> {}\n",
                h.pid,
                h.comm,
                h.unit.as_deref().unwrap_or("no unit"),
                how.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                },
                release_action(h, &p.init)
            ));
            if !matches!(
                fate::of(h, &p.init),
                fate::Fate::HandOff | fate::Fate::Itself
            ) {
                s.push_str(&format!(
                    "           back on return: {}\n",
                    comes_back(h, &p.init)
                ));
            }
        }
    }
    let below: Vec<&MountRecord> = p.mounts.iter().filter(|m| m.class != Class::Api).collect();
    s.push_str(&format!(
        "mounts:      {} below / besides /proc /sys /dev /run\n",
        below.len()
    ));
    for m in below {
        s.push_str(&format!(
            "  {} ({} {}, {}): {}\n",
            m.path,
            m.fstype,
            m.source,
            m.class.name(),
            m.class.fate()
        ));
    }
    for v in &p.survivors {
        s.push_str(&format!(
            "survives:    {} {}: pins only {} (parked, not the root)\n",
            v.pid, v.comm, v.mount
        ));
    }
    s.push_str("enter would:\n");
    for (i, step) in steps(p).iter().enumerate() {
        s.push_str(&format!("  {}. {step}\n", i + 1));
    }
    match &p.refused {
        Some(why) => s.push_str(&format!("verdict:     refused: {why}\n")),
        None => s.push_str("verdict:     a lift is possible\n"),
    }
    s
}

fn node_json(j: &mut Json, n: &Node) {
    j.begin_object();
    j.key("name").str(&n.name);
    j.key("dev").str(&format!("{}:{}", n.major, n.minor));
    j.key("size_bytes").u64(n.size_bytes);
    match &n.kind {
        Kind::Dm { dm_name, uuid, lvm } => {
            j.key("kind").str(if lvm.is_some() { "lvm" } else { "dm" });
            j.key("dm_name").str(dm_name);
            j.key("dm_uuid").str(uuid);
            if let Some((vg, lv)) = lvm {
                j.key("vg").str(vg);
                j.key("lv").str(lv);
            }
        }
        Kind::Partition { number, disk } => {
            j.key("kind").str("partition");
            j.key("partition").u64(u64::from(*number));
            j.key("disk").str(disk);
        }
        Kind::Loop { backing_file } => {
            j.key("kind").str("loop");
            j.key("backing_file").opt_str(backing_file.as_deref());
        }
        Kind::Disk => {
            j.key("kind").str("disk");
        }
    }
    j.key("below").begin_array();
    for b in &n.below {
        node_json(j, b);
    }
    j.end_array();
    j.end_object();
}

fn to_json(p: &Plan) -> Json {
    let mut j = Json::new();
    let r = &p.root;
    j.begin_object();
    j.key("root").begin_object();
    j.key("source").str(&r.source);
    j.key("fstype").str(&r.fstype);
    j.key("dev").str(&format!("{}:{}", r.major, r.minor));
    j.key("options").str(&r.mount_options);
    j.key("super_options").str(&r.super_options);
    j.end_object();
    j.key("device_stack");
    match &p.stack {
        Some(n) => node_json(&mut j, n),
        None => {
            j.null();
        }
    }
    p.partition.json(&mut j);
    j.key("filesystem").begin_object();
    j.key("type").str(&r.fstype);
    j.key("size_bytes").u64(p.fs_size);
    j.key("free_bytes").u64(p.fs_free);
    j.end_object();
    j.key("ram_available_bytes").u64(p.ram_available);
    j.key("tmpfs_bytes").u64(p.tmpfs_size);
    j.key("init").str(p.init.name());
    j.key("ssh").str(p.ssh);
    j.key("other_mount_namespaces").begin_array();
    for n in &p.other_namespaces {
        j.begin_object();
        j.key("id").str(&n.id);
        j.key("processes").u64(u64::from(n.processes));
        j.key("first_pid").u64(u64::from(n.first_pid));
        j.key("first_comm").str(&n.first_comm);
        j.end_object();
    }
    j.end_array();
    j.key("holders").begin_array();
    for h in p
        .holders
        .iter()
        .flat_map(|r| &r.processes)
        .filter(|h| !h.is_self)
    {
        j.begin_object();
        j.key("pid").u64(u64::from(h.pid));
        j.key("comm").str(&h.comm);
        j.key("unit").opt_str(h.unit.as_deref());
        j.key("access").begin_array();
        for a in &h.access {
            j.str(&a.to_string());
        }
        j.end_array();
        j.key("release").str(release_action(h, &p.init));
        j.key("comes_back").str(&comes_back(h, &p.init));
        j.end_object();
    }
    j.end_array();
    j.key("mounts").begin_array();
    for m in &p.mounts {
        j.begin_object();
        j.key("path").str(&m.path);
        j.key("source").str(&m.source);
        j.key("fstype").str(&m.fstype);
        j.key("options").str(&m.options);
        j.key("propagation").str(m.prop.kind());
        j.key("class").str(m.class.name());
        j.key("fate").str(&m.class.fate());
        j.end_object();
    }
    j.end_array();
    j.key("survivors").begin_array();
    for v in &p.survivors {
        j.begin_object();
        j.key("pid").u64(u64::from(v.pid));
        j.key("comm").str(&v.comm);
        j.key("mount").str(&v.mount);
        j.end_object();
    }
    j.end_array();
    j.key("steps").begin_array();
    for s in steps(p) {
        j.str(&s);
    }
    j.end_array();
    j.key("lift_possible").bool(p.refused.is_none());
    j.key("refused").opt_str(p.refused.as_deref());
    j.end_object();
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder(pid: u32, comm: &str, unit: &str) -> Holder {
        Holder {
            pid,
            comm: comm.into(),
            unit: Some(unit.into()),
            is_self: false,
            access: Vec::new(),
        }
    }

    #[test]
    fn release_actions_follow_what_release_does() {
        let sd = Init::Systemd;
        let act = |pid, comm, unit| release_action(&holder(pid, comm, unit), &sd);
        assert!(act(1, "systemd", "init.scope").starts_with("handed off"));
        // The operator's login shell is a holder like any other.
        assert!(act(400, "bash", "session-3.scope").starts_with("SIGTERM"));
        assert!(
            act(245, "systemd-network", "systemd-networkd.service").starts_with("SIGKILL only")
        );
        assert!(act(354, "systemd", "user@0.service").starts_with("user manager"));
        assert!(act(246, "dbus-daemon", "dbus.service").starts_with("stopped with systemctl"));
        assert!(act(248, "bash", "holder-log.service").starts_with("SIGTERM"));
        // How it comes back: its unit.
        let log = holder(248, "bash", "holder-log.service");
        assert_eq!(comes_back(&log, &sd), "systemctl start holder-log.service");
        let shell = holder(249, "bash", "session-3.scope");
        assert!(comes_back(&shell, &sd).starts_with("nothing"));
    }
}
