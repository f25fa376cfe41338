//! The mounts below the root during a lift: release parks every
//! independent one whole (mount(2) MS_MOVE keeps its ID, its files and
//! every open fd) and unmounts the dependent ones, deepest first; return
//! moves the parked ones back and re-creates the dependent ones exactly,
//! parents first, then restores every recorded propagation before any
//! service starts (mount_namespaces(7)). Every step is journaled before it
//! is made, and each restore first looks at the table, so a return after a
//! crash finishes what is left and never does a step twice.

use rustix::io::Errno;
use rustix::mount::UnmountFlags;

use super::OLDROOT;
use super::classify::{self, Facts};
use super::ops::{Ops, Propagation};
use super::record::{Class, MountRecord, Prop, Record};
use crate::error::{Error, Result};
use crate::journal::{Detail, Entry, Event, Journal, Stage};
use crate::mount::split_options;
use crate::proc::mountinfo::{self, Mount};

/// Where release parks the independent mounts, one directory per mount ID.
pub const PARK: &str = "/run/rootlift/park";

/// What release does to one mount under /oldroot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Move it (and its subtree) to `PARK/ID`.
    Park,
    /// Unmount it; `lost` when it cannot be put back (the operator agreed).
    Unmount { lost: bool },
    /// Nothing: it moves with the parked mount above it.
    MovesWithParent,
}

/// The mounts below /oldroot (not /oldroot itself) with what release does
/// to each, in the order it does it: deepest first, and of mounts stacked
/// at one path the upper (later) one first.
pub fn release_order<'a>(
    table: &'a [Mount],
    class_of: &dyn Fn(&Mount) -> Class,
) -> Vec<(&'a Mount, Class, Action)> {
    let Some(oldroot) = mountinfo::at(table, OLDROOT) else {
        return Vec::new();
    };
    let mut under: Vec<&Mount> = table
        .iter()
        .filter(|m| m.mount_point != OLDROOT && mountinfo::is_under(&m.mount_point, OLDROOT))
        .collect();
    under.sort_by_key(|m| {
        (
            std::cmp::Reverse(depth(&m.mount_point)),
            std::cmp::Reverse(m.mount_id),
        )
    });
    under
        .into_iter()
        .map(|m| {
            let class = class_of(m);
            let action = if class.is_dependent() {
                Action::Unmount {
                    lost: matches!(class, Class::Unrestorable { .. }),
                }
            } else {
                // It moves with an independent parent below it, unless it
                // is stacked on that parent at the same path: the move of
                // a path takes the top mount only, so each is parked.
                let parent_independent = m.parent_id != oldroot.mount_id
                    && table
                        .iter()
                        .find(|p| p.mount_id == m.parent_id)
                        .is_some_and(|p| {
                            p.mount_point != m.mount_point && class_of(p) == Class::Independent
                        });
                if parent_independent {
                    Action::MovesWithParent
                } else {
                    Action::Park
                }
            };
            (m, class, action)
        })
        .collect()
}

fn depth(path: &str) -> usize {
    path.matches('/').count()
}

/// `path` as the system sees it, from its place under /oldroot.
fn system_path(under_oldroot: &str) -> &str {
    match under_oldroot.strip_prefix(OLDROOT) {
        Some("") => "/",
        Some(rest) => rest,
        None => under_oldroot,
    }
}

/// A mount as it was seen from the system's own root (for classifying a
/// mount first met under /oldroot).
fn as_system(m: &Mount) -> Mount {
    let mut s = m.clone();
    s.mount_point = system_path(&m.mount_point).to_owned();
    s
}

/// The mounts no lift can put back, among those recorded and those under
/// /oldroot now: release refuses (nothing changed) unless the operator
/// agreed to lose them.
pub fn check_restorable(
    ops: &dyn Ops,
    rec: &Record,
    facts: &dyn Facts,
    drop_unrestorable: bool,
) -> Result<()> {
    if drop_unrestorable {
        return Ok(());
    }
    let table = ops.mounts()?;
    let lost: Vec<String> = release_order(&table, &|m| class(m, rec, facts))
        .into_iter()
        .filter_map(|(m, c, _)| match c {
            Class::Unrestorable { why } => Some(format!("{} ({why})", system_path(&m.mount_point))),
            _ => None,
        })
        .collect();
    if lost.is_empty() {
        return Ok(());
    }
    Err(Error::refused(format!(
        "these mounts cannot be put back exactly: {}; pass --drop-unrestorable to unmount them for good",
        lost.join("; ")
    )))
}

/// The class of a mount under /oldroot: as recorded at enter, or decided
/// now for one that appeared since.
fn class(m: &Mount, rec: &Record, facts: &dyn Facts) -> Class {
    match rec.mount(m.mount_id) {
        Some(r) => r.class.clone(),
        None => classify::class_of(&as_system(m), &rec.root, facts),
    }
}

/// release 4: swap files on the root off, every mount under /oldroot
/// parked or unmounted, then the old root itself unmounted. Mounts first
/// seen now are recorded (`record.mount`) before anything is done to them.
pub fn release(
    ops: &mut dyn Ops,
    j: &mut Journal,
    rec: &mut Record,
    facts: &dyn Facts,
) -> Result<()> {
    // Fault injection counts the steps below: `release-mount:N`.
    let mut done = 0u32;
    let mut step_done = || {
        done += 1;
        super::checkpoint("release-mount", &done.to_string())
    };
    // swapoff(2) first: it may need RAM it cannot have (ENOMEM), and then
    // nothing below has been touched yet.
    for s in rec.swaps.iter().filter(|s| s.on_root) {
        let at = format!("{OLDROOT}{}", s.path);
        j.log(
            &Stage::Entered,
            Event::ReleaseSwapoff,
            Detail::new().with("path", &s.path),
        )?;
        ops.swapoff(&at)?;
        step_done()?;
    }

    let table = ops.mounts()?;
    for m in &table {
        if m.mount_point != OLDROOT
            && mountinfo::is_under(&m.mount_point, OLDROOT)
            && rec.mount(m.mount_id).is_none()
        {
            let r = MountRecord::new(
                &as_system(m),
                classify::class_of(&as_system(m), &rec.root, facts),
            );
            j.log(&Stage::Entered, Event::RecordMount, r.encode())?;
            rec.mounts.push(r);
        }
    }
    let order = release_order(&table, &|m| class(m, rec, facts));
    for (m, class, action) in order {
        let path = system_path(&m.mount_point);
        match action {
            Action::MovesWithParent => {}
            Action::Park => {
                let at = format!("{PARK}/{}", m.mount_id);
                ops.mkdir_all(&at)?;
                j.log(
                    &Stage::Entered,
                    Event::ReleasePark,
                    Detail::new()
                        .with("id", m.mount_id)
                        .with("path", path)
                        .with("at", &at),
                )?;
                // mount(2) MS_MOVE: EINVAL if the mount or its parent were
                // shared; enter made the whole tree private.
                ops.move_mount(&m.mount_point, &at)?;
                step_done()?;
            }
            Action::Unmount { lost } => {
                j.log(
                    &Stage::Entered,
                    Event::ReleaseUnmount,
                    Detail::new()
                        .with("id", m.mount_id)
                        .with("path", path)
                        .with("class", class.name())
                        .with("lost", u8::from(lost)),
                )?;
                unmount_dependent(ops, &m.mount_point, lost)?;
                if let Class::Loop(setup) = &class {
                    ops.loop_detach(&setup.device)?;
                }
                step_done()?;
            }
        }
    }

    // The old root itself: a plain umount2(2) first; what it cannot free
    // is detached (MNT_DETACH), and the O_EXCL proof that follows tells
    // whether that was enough.
    let detached = match ops.umount(OLDROOT, UnmountFlags::empty()) {
        Ok(()) => false,
        Err(_) => {
            ops.umount(OLDROOT, UnmountFlags::DETACH)?;
            true
        }
    };
    j.log(
        &Stage::Entered,
        Event::ReleaseUnmounted,
        Detail::new()
            .with("path", OLDROOT)
            .with("detached", u8::from(detached)),
    )
}

/// At shutdown (the job installed as systemd's shutdown program): the
/// machine is going down, and what systemd-shutdown left under /oldroot
/// is unmounted whatever its class (a plain umount, else detached),
/// deepest first, each journaled with its class; then the old root.
pub fn unmount_all(
    ops: &mut dyn Ops,
    j: &mut Journal,
    rec: &Record,
    facts: &dyn Facts,
) -> Result<()> {
    let table = ops.mounts()?;
    for (m, class, _) in release_order(&table, &|m| class(m, rec, facts)) {
        let detached = match ops.umount(&m.mount_point, UnmountFlags::empty()) {
            Ok(()) => false,
            // EINVAL: gone with a parent that was detached.
            Err(e) if e.errno() == Some(Errno::INVAL) => continue,
            Err(_) => {
                ops.umount(&m.mount_point, UnmountFlags::DETACH)?;
                true
            }
        };
        j.log(
            &Stage::Released,
            Event::ReleaseUnmount,
            Detail::new()
                .with("id", m.mount_id)
                .with("path", system_path(&m.mount_point))
                .with("class", class.name())
                .with("detached", u8::from(detached)),
        )?;
    }
    if ops.umount(OLDROOT, UnmountFlags::empty()).is_err() {
        ops.umount(OLDROOT, UnmountFlags::DETACH)?;
    }
    Ok(())
}

/// umount2(2) of a dependent mount. One still busy pins the root, so it is
/// an error naming it (the O_EXCL proof would fail anyway), unless it is
/// one the operator agreed to lose: then it is detached.
fn unmount_dependent(ops: &mut dyn Ops, at: &str, lost: bool) -> Result<()> {
    match ops.umount(at, UnmountFlags::empty()) {
        Ok(()) => Ok(()),
        Err(e) if e.errno() == Some(Errno::BUSY) && lost => ops.umount(at, UnmountFlags::DETACH),
        Err(e) => Err(e),
    }
}

/// What release journaled it did to the mounts, from one lift's entries.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Released {
    /// (mount ID, path, park directory).
    pub parked: Vec<(u32, String, String)>,
    /// Mount IDs unmounted to be re-created.
    pub unmounted: Vec<u32>,
    /// Mount IDs already re-created by an earlier return.
    pub recreated: Vec<u32>,
    /// Swap files swapped off.
    pub swapped_off: Vec<String>,
    /// Mount IDs unmounted for good (the operator agreed).
    pub lost: Vec<u32>,
}

impl Released {
    fn lost(&self, id: u32) -> bool {
        self.lost.contains(&id)
    }

    /// A re-created mount has a new ID: it is found by its path.
    fn recreated_now(&self, id: u32) -> bool {
        self.unmounted.contains(&id)
    }
}

impl Released {
    pub fn from_cycle(cycle: &[Entry]) -> Released {
        let mut r = Released::default();
        let id = |e: &Entry| e.get("id").and_then(|v| v.parse::<u32>().ok());
        for e in cycle {
            match e.event {
                Event::ReleasePark => {
                    if let (Some(i), Some(p), Some(at)) = (id(e), e.get("path"), e.get("at")) {
                        r.parked.push((i, p, at));
                    }
                }
                Event::ReleaseUnmount if e.get("lost").as_deref() == Some("1") => {
                    r.lost.extend(id(e));
                }
                Event::ReleaseUnmount => r.unmounted.extend(id(e)),
                Event::ReturnRecreate => r.recreated.extend(id(e)),
                Event::ReleaseSwapoff => r.swapped_off.extend(e.get("path")),
                _ => {}
            }
        }
        r
    }
}

/// return, after the pivot back: in recorded order (parents first, and of
/// mounts stacked at one path the lower first), every parked mount moved
/// back and every unmounted dependent one re-created, each given its
/// recorded propagation while it is the top mount at its path; then the
/// swap files on again. Before init resumes: a service started on a
/// half-restored table (or on a private `/`: dockerd then bind-mounts its
/// directory onto itself) changes it for good.
pub fn restore(ops: &mut dyn Ops, j: &mut Journal, rec: &Record, done: &Released) -> Result<()> {
    for m in &rec.mounts {
        if let Some((_, _, at)) = done.parked.iter().find(|(id, _, _)| *id == m.id) {
            let table = ops.mounts()?;
            match table.iter().find(|t| t.mount_id == m.id) {
                Some(t) if t.mount_point == *at => {
                    j.log(
                        &Stage::Returning,
                        Event::ReturnUnpark,
                        Detail::new().with("id", m.id).with("path", &m.path),
                    )?;
                    ops.move_mount(at, &m.path)?;
                }
                // Already back (an earlier return got this far).
                Some(_) => {}
                None => j.log(
                    &Stage::Returning,
                    Event::ReturnWarning,
                    Detail::new()
                        .with("why", "a parked mount is gone")
                        .with("id", m.id)
                        .with("path", &m.path),
                )?,
            }
        } else if done.unmounted.contains(&m.id) && !done.recreated.contains(&m.id) {
            j.log(
                &Stage::Returning,
                Event::ReturnRecreate,
                Detail::new()
                    .with("id", m.id)
                    .with("path", &m.path)
                    .with("class", m.class.name()),
            )?;
            recreate(ops, m)?;
        }
    }
    // Propagation last, once every mount is in place: a mount moved into a
    // shared parent would be copied to the parent's peers.
    let mut groups: Vec<(u32, String)> = Vec::new();
    propagate(ops, j, &mut groups, None, "/", rec.root.prop)?;
    for m in &rec.mounts {
        if !done.lost(m.id) {
            let id = if done.recreated_now(m.id) {
                None
            } else {
                Some(m.id)
            };
            propagate(ops, j, &mut groups, id, &m.path, m.prop)?;
        }
    }
    for path in &done.swapped_off {
        let priority = rec
            .swaps
            .iter()
            .find(|s| s.path == *path)
            .map(|s| s.priority);
        match ops.swapon(path, priority) {
            // EBUSY: it is on already.
            Ok(()) => {}
            Err(e) if e.errno() == Some(Errno::BUSY) => {}
            Err(e) => return Err(e),
        }
        j.log(
            &Stage::Returning,
            Event::ReturnSwapon,
            Detail::new().with("path", path),
        )?;
    }
    Ok(())
}

/// Mounts a dependent mount again as recorded.
fn recreate(ops: &mut dyn Ops, m: &MountRecord) -> Result<()> {
    let (flags, _) = split_options(&m.options);
    match &m.class {
        Class::Bind { source } => {
            ops.bind(source, &m.path)?;
            // A bind takes the flags of its source: set its own.
            ops.remount_bind(&m.path, flags)
        }
        Class::Loop(setup) => {
            // Held open until the mount has it (an autoclear device would
            // be detached at our last close).
            let attached = ops.loop_attach(setup)?;
            let (sflags, data) = split_options(&m.super_options);
            ops.mount_fs(&attached.device, &m.path, &m.fstype, flags | sflags, &data)
        }
        Class::Overlay => {
            let (sflags, data) = split_options(&m.super_options);
            ops.mount_fs(&m.source, &m.path, &m.fstype, flags | sflags, &data)
        }
        Class::Api | Class::Independent | Class::Unrestorable { .. } => {
            Err(Error::failed(format!(
                "{} ({}) is not re-created by return",
                m.path,
                m.class.name()
            )))
        }
    }
}

/// Gives the top mount at `path` its recorded propagation (mount(2)
/// MS_SHARED, MS_SLAVE, MS_UNBINDABLE; move_mount(2) MOVE_MOUNT_SET_GROUP
/// to rejoin a peer group): the first member of a recorded group is made
/// shared (a new group), the others join it; a slave first joins its
/// master's group, then leaves it as a slave. One already as recorded (an
/// earlier return got this far) is only noted as its group's member.
fn propagate(
    ops: &mut dyn Ops,
    j: &mut Journal,
    groups: &mut Vec<(u32, String)>,
    id: Option<u32>,
    path: &str,
    want: Prop,
) -> Result<()> {
    // Already as recorded (an earlier return got this far): only noted
    // as its group's member.
    let table = ops.mounts()?;
    let target = match id {
        Some(id) => table.iter().find(|m| m.mount_id == id),
        None => mountinfo::at(&table, path),
    };
    let Some(target) = target else {
        return Ok(());
    };
    if Prop::of(target).kind() == want.kind() {
        if let (Some(g), None) = (want.shared, want.master)
            && !groups.iter().any(|(id, _)| *id == g)
        {
            groups.push((g, path.to_owned()));
        }
        return Ok(());
    }
    // A mount covered by others stacked at its path is reached by moving
    // them aside for the moment (the move of a path takes its top mount),
    // into the tmpfs, whose own mount is private: MS_MOVE refuses to move
    // a mount whose parent is shared.
    let mut aside: Vec<String> = Vec::new();
    loop {
        let table = ops.mounts()?;
        let Some(top) = mountinfo::at(&table, path) else {
            return Ok(());
        };
        match id {
            Some(id) if top.mount_id != id => {
                let at = format!("{}/aside-{}", super::NEWROOT, top.mount_id);
                ops.mkdir_all(&at)?;
                ops.move_mount(path, &at)?;
                aside.push(at);
            }
            _ => break,
        }
    }
    let done = set_propagation(ops, j, groups, path, want);
    while let Some(at) = aside.pop() {
        ops.move_mount(&at, path)?;
    }
    done
}

fn set_propagation(
    ops: &mut dyn Ops,
    j: &mut Journal,
    groups: &mut Vec<(u32, String)>,
    path: &str,
    want: Prop,
) -> Result<()> {
    let table = ops.mounts()?;
    let Some(now) = mountinfo::at(&table, path) else {
        return Ok(());
    };
    let peer_of = |groups: &Vec<(u32, String)>, g: u32| {
        groups
            .iter()
            .find(|(id, _)| *id == g)
            .map(|(_, p)| p.clone())
    };
    if Prop::of(now).kind() == want.kind() {
        if let (Some(g), None) = (want.shared, want.master)
            && peer_of(groups, g).is_none()
        {
            groups.push((g, path.to_owned()));
        }
        return Ok(());
    }
    if let Some(master) = want.master {
        match peer_of(groups, master) {
            Some(peer) if ops.join_group(&peer, path).is_ok() => {
                ops.propagation(path, Propagation::Slave, false)?;
            }
            Some(_) => warn(j, "cannot rejoin its master group", path)?,
            None => warn(j, "its master group is not in this namespace", path)?,
        }
    }
    if let Some(g) = want.shared {
        match peer_of(groups, g) {
            Some(peer) if want.master.is_none() && ops.join_group(&peer, path).is_ok() => {}
            peer => {
                if peer.is_some() && want.master.is_none() {
                    warn(j, "cannot rejoin its peer group; shared on its own", path)?;
                }
                ops.propagation(path, Propagation::Shared, false)?;
                if peer.is_none() {
                    groups.push((g, path.to_owned()));
                }
            }
        }
    }
    if want.unbindable {
        ops.propagation(path, Propagation::Unbindable, false)?;
    }
    Ok(())
}

fn warn(j: &mut Journal, why: &str, path: &str) -> Result<()> {
    j.log(
        &Stage::Returning,
        Event::ReturnWarning,
        Detail::new().with("why", why).with("path", path),
    )
}

/// One line per difference between the recorded mounts and the table now,
/// as (mount point, source, fstype, options, propagation type): what a
/// returned system must equal.
pub fn differences(rec: &Record, table: &[Mount]) -> Vec<String> {
    let key = |path: &str, source: &str, fstype: &str, options: &str, prop: &Prop| {
        format!("{path} {source} {fstype} {options} {}", prop.kind())
    };
    let mut want: Vec<String> = vec![key(
        "/",
        &rec.root.source,
        &rec.root.fstype,
        &rec.root.options,
        &rec.root.prop,
    )];
    want.extend(
        rec.mounts
            .iter()
            .filter(|m| !matches!(m.class, Class::Unrestorable { .. }))
            .map(|m| key(&m.path, &m.source, &m.fstype, &m.options, &m.prop)),
    );
    let have: Vec<String> = table
        .iter()
        .filter(|m| !mountinfo::is_under(&m.mount_point, crate::journal::DIR))
        .map(|m| {
            key(
                &m.mount_point,
                &m.source,
                &m.fstype,
                &m.mount_options,
                &Prop::of(m),
            )
        })
        .collect();
    let mut out: Vec<String> = want
        .iter()
        .filter(|w| !have.contains(w))
        .map(|w| format!("missing {w}"))
        .collect();
    out.extend(
        have.iter()
            .filter(|h| !want.contains(h))
            .map(|h| format!("extra {h}")),
    );
    out
}

#[cfg(test)]
mod tests;
