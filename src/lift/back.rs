//! `rootlift return`: the return of the design (docs/design.md) as one
//! linear function that starts from the mount state it finds, not from the
//! stage it was told: so it works from any point of enter, release or an
//! earlier return, and twice in a row.
//!
//! Order: the root mounted again at /oldroot (after the job layer's
//! check, which may refuse), the API filesystems moved back under it, the
//! pivot back, every parked mount moved back and every dependent one
//! re-created with its recorded propagation, and only then PID 1 woken and
//! the stopped services started; last the tmpfs unmounted.

use std::path::Path;

use rustix::io::Errno;
use rustix::mount::UnmountFlags;

use super::mounts::{self, Released};
use super::ops::{Kernel, Ops};
use super::record::{self, Record};
use super::{MOVED, NEWROOT, OLDROOT, TMPFS_SOURCE, checkpoint, is_lifted, resume};
use crate::error::{Error, Result};
use crate::journal::{self, Detail, Event, Journal, Stage};
use crate::proc::mountinfo;

/// What the layer above checks before the root device is mounted again
/// (a job's interrupted shrink finished, a failed repair refused): an
/// error leaves the root unmounted and the return failed at `finish-job`.
pub type BeforeRemount<'a> = &'a mut dyn FnMut(&mut Journal) -> Result<()>;

/// What return asks of the init once the mounts are back: the seam that
/// lets the unit tests run [`steps`] without a PID 1 to wake.
pub trait Resume {
    /// Wakes PID 1 from the stub; false when it was not the stub.
    fn wake_init(&mut self, j: &mut Journal, cycle: &[journal::Entry]) -> Result<bool>;
    /// Starts what release stopped, as `cycle` journaled it.
    fn start_services(&mut self, j: &mut Journal, cycle: &[journal::Entry]) -> Result<()>;
}

/// The real init and services.
pub struct Init;

impl Resume for Init {
    fn wake_init(&mut self, j: &mut Journal, cycle: &[journal::Entry]) -> Result<bool> {
        resume::wake_init(j, cycle, Path::new(NEWROOT))
    }

    fn start_services(&mut self, j: &mut Journal, cycle: &[journal::Entry]) -> Result<()> {
        resume::start_services(j, cycle)
    }
}

/// The steps of return, for `status` and fault injection.
pub const STEPS: [&str; 8] = [
    "finish-job",
    "mount-root",
    "move-back",
    "pivot",
    "mounts",
    "resume-init",
    "services",
    "umount-tmpfs",
];

/// Reads the latest lift's record, or refuses when there is nothing to
/// return from. `Ok(None)`: already returned.
pub fn pending() -> Result<Option<(Vec<journal::Entry>, Record)>> {
    let Some(entries) = journal::read()? else {
        return Err(Error::refused(format!(
            "nothing to return: no journal at {}",
            journal::PATH
        )));
    };
    let cycle = journal::current_cycle(&entries);
    if cycle.is_empty() {
        return Err(Error::refused(
            "nothing to return: the journal holds no lift".into(),
        ));
    }
    let stage = journal::current_stage(&entries);
    if stage == Stage::Returned && !is_lifted(&Kernel.mounts()?) {
        return Ok(None);
    }
    let rec = record::read(cycle)?;
    Ok(Some((entries, rec)))
}

/// Puts the recorded root back and removes the tmpfs. Each step checks
/// whether it is still needed, so a partial enter or return is finished.
pub fn return_system(j: &mut Journal, rec: &Record, before_remount: BeforeRemount) -> Result<()> {
    j.log(
        &Stage::Returning,
        Event::ReturnBegin,
        Detail::new().with("pid", std::process::id()),
    )?;
    match steps(&mut Kernel, &mut Init, j, rec, before_remount) {
        Ok(()) => j.log(&Stage::Returned, Event::ReturnDone, Detail::new()),
        Err((step, e)) => {
            j.log(
                &Stage::Failed(format!("return-{step}")),
                Event::ReturnFailed,
                Detail::new().with("step", step).with("why", &e),
            )?;
            Err(e)
        }
    }
}

type StepResult = Result<(), (&'static str, Error)>;

fn steps(
    ops: &mut dyn Ops,
    init: &mut dyn Resume,
    j: &mut Journal,
    rec: &Record,
    before: BeforeRemount,
) -> StepResult {
    let at = |step: &'static str| move |e: Error| (step, e);
    let log = |j: &mut Journal, step: &'static str| {
        j.log(
            &Stage::Returning,
            Event::ReturnStep,
            Detail::new().with("step", step),
        )
        .and_then(|()| checkpoint("return", step))
        .map_err(at(step))
    };
    let table = ops.mounts().map_err(at("mountinfo"))?;

    if is_lifted(&table) {
        if mountinfo::at(&table, OLDROOT).is_none() {
            // The job layer's word first: a filesystem whose repair failed
            // is never mounted again.
            before(j).map_err(at(STEPS[0]))?;
            log(j, STEPS[0])?;
            remount_root(ops, rec).map_err(at(STEPS[1]))?;
            log(j, STEPS[1])?;
        }
        // The tmpfs's own mount point lives in the old /run, so proc, sys,
        // dev and run go back under the old root before the pivot. No
        // sshd (the keeper's, or a running one when enter failed) serves
        // a login until the pivot is done; one a killed enter left held
        // goes on when this guard drops.
        // (The journal may be out of reach here: enter can fail between
        // its pivot and the move of /run. No journal, no keeper yet.)
        let _paused = ops.hold_logins(&j.cycle().unwrap_or_default());
        let table = ops.mounts().map_err(at(STEPS[2]))?;
        for api in MOVED {
            let under_old = format!("{OLDROOT}{api}");
            if mountinfo::at(&table, api).is_some() && mountinfo::at(&table, &under_old).is_none() {
                ops.move_mount(api, &under_old).map_err(at(STEPS[2]))?;
            }
        }
        log(j, STEPS[2])?;

        let put_old = format!("{OLDROOT}{NEWROOT}");
        ops.pivot_root(OLDROOT, &put_old).map_err(at(STEPS[3]))?;
        log(j, STEPS[3])?;
    }

    // The mounts below the root, then their propagation, all before init
    // resumes: no service may start on a half-restored table.
    let cycle = j.cycle().map_err(at(STEPS[4]))?;
    let done = Released::from_cycle(&cycle);
    mounts::restore(ops, j, rec, &done).map_err(at(STEPS[4]))?;
    log(j, STEPS[4])?;

    if init.wake_init(j, &cycle).map_err(at(STEPS[5]))? {
        log(j, STEPS[5])?;
    }
    init.start_services(j, &cycle).map_err(at(STEPS[6]))?;
    log(j, STEPS[6])?;

    // The tmpfs, now back at NEWROOT (or still there when enter failed
    // before its pivot). This process may run from it: then a plain umount
    // is EBUSY and it is detached, freed when the last user exits.
    let table = ops.mounts().map_err(at(STEPS[7]))?;
    if mountinfo::at(&table, NEWROOT).is_some_and(|m| m.source == TMPFS_SOURCE) {
        match ops.umount(NEWROOT, UnmountFlags::empty()) {
            Ok(()) => {}
            Err(e) if e.errno() == Some(Errno::BUSY) => ops
                .umount(NEWROOT, UnmountFlags::DETACH)
                .map_err(at(STEPS[7]))?,
            Err(e) => return Err((STEPS[7], e)),
        }
        log(j, STEPS[7])?;
    }
    for dir in [mounts::PARK, NEWROOT] {
        remove_empty_dirs(Path::new(dir));
    }

    // What a returned system must equal: the table before enter.
    let table = ops.mounts().map_err(at("verify"))?;
    for line in mounts::differences(rec, &table) {
        j.log(
            &Stage::Returning,
            Event::ReturnMountsDiffer,
            Detail::new().with("mount", line),
        )
        .map_err(at("verify"))?;
    }
    Ok(())
}

/// Removes `dir` and the directories in it, only those that are empty
/// (rmdir(2)): the park's mount points (one level, `PARK/ID`) and the
/// tmpfs's. One still holding a mount (EBUSY) or anything at all
/// (ENOTEMPTY) stays with what it holds; no file is ever unlinked.
fn remove_empty_dirs(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let _ = std::fs::remove_dir(e.path());
        }
    }
    let _ = std::fs::remove_dir(dir);
}

/// Mounts the recorded root device at /oldroot with its recorded options,
/// but not while something holds it exclusively: e2fsck and resize2fs open
/// it with O_EXCL, and after a killed worker they may still be running.
fn remount_root(ops: &mut dyn Ops, rec: &Record) -> Result<()> {
    let (flags, _) = crate::mount::split_options(&rec.root.options);
    let (sflags, data) = crate::mount::split_options(&rec.root.super_options);
    let source = ops.root_node(&rec.root)?;
    match ops.exclusive(&source) {
        Ok(()) => {}
        Err(e) if e.errno() == Some(Errno::BUSY) => {
            return Err(Error::refused(format!(
                "{source} is still in use (a job's e2fsck, resize2fs or lvm may still run): \
                 wait for it to end and run 'rootlift return' again"
            )));
        }
        Err(e) => return Err(e),
    }
    ops.mount_fs(&source, OLDROOT, &rec.root.fstype, flags | sflags, &data)
}

#[cfg(test)]
mod tests;
