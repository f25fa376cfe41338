//! `rootlift return`: SPEC.md "Steps", return, as one linear function that
//! starts from the mount state it finds, not from the stage it was told:
//! so it works from any point of enter or return, and twice in a row.

use std::path::Path;

use rustix::io::Errno;
use rustix::mount::UnmountFlags;

use super::record::{self, Record};
use super::{MOVED, NEWROOT, OLDROOT, TMPFS_SOURCE, is_lifted, mounts_now, resume, units};
use crate::error::{Error, Result};
use crate::journal::{self, Journal, Stage, escape};
use crate::mount;
use crate::proc::mountinfo;

/// `rootlift return` from the command line.
pub fn command() -> Result<()> {
    if !rustix::process::geteuid().is_root() {
        return Err(Error::Refused("return must run as root".into()));
    }
    let Some(entries) = journal::read()? else {
        return Err(Error::Refused(format!(
            "nothing to return: no journal at {}",
            journal::PATH
        )));
    };
    let cycle = journal::current_cycle(&entries);
    if cycle.is_empty() {
        return Err(Error::Refused(
            "nothing to return: the journal holds no lift".into(),
        ));
    }
    let stage = journal::current_stage(&entries);
    let lifted = is_lifted(&mounts_now()?);
    if stage == Stage::Returned && !lifted {
        return crate::output::text("returned: nothing to do, the system is on its own root\n");
    }
    let rec = record::read(cycle)?;
    let mut j = Journal::open()?;
    return_system(&mut j, &rec)?;
    crate::output::text(&format!(
        "returned: / is {} again ({})\n",
        rec.root.source, rec.root.fstype
    ))
}

/// Puts the recorded root back and removes the tmpfs. Each step checks
/// whether it is still needed, so a partial enter or return is finished.
pub fn return_system(j: &mut Journal, rec: &Record) -> Result<()> {
    j.log(
        &Stage::Returning,
        "return.begin",
        &format!("pid={}", std::process::id()),
    )?;
    match steps(j, rec) {
        Ok(()) => j.log(&Stage::Returned, "return.done", ""),
        Err((step, e)) => {
            j.log(
                &Stage::Failed(format!("return-{step}")),
                "return.failed",
                &format!("why={}", escape(&e.to_string())),
            )?;
            Err(e)
        }
    }
}

fn steps(j: &mut Journal, rec: &Record) -> Result<(), (&'static str, Error)> {
    let log = |j: &mut Journal, name: &'static str| {
        j.log(&Stage::Returning, "return.step", &format!("step={name}"))
            .map_err(|e| (name, e))
    };
    let mounts = mounts_now().map_err(|e| ("mountinfo", e))?;

    if is_lifted(&mounts) {
        // The old root may have been unmounted by release: mount the
        // device again with the options it had.
        if mountinfo::at(&mounts, OLDROOT).is_none() {
            // A shrink whose worker died half-way is made consistent first.
            crate::job::offline::finish_interrupted(j).map_err(|e| ("finish-job", e))?;
            crate::job::partition::finish_interrupted(j).map_err(|e| ("finish-job", e))?;
            remount_root(rec).map_err(|e| ("mount-root", e))?;
            log(j, "mount-root")?;
        }
        // The tmpfs's own mount point lives in the old /run, so proc, sys,
        // dev and run go back under the old root before the pivot.
        let mounts = mounts_now().map_err(|e| ("mountinfo", e))?;
        for api in MOVED {
            let under_old = format!("{OLDROOT}{api}");
            if mountinfo::at(&mounts, api).is_some() && mountinfo::at(&mounts, &under_old).is_none()
            {
                mount::move_mount(Path::new(api), Path::new(&under_old))
                    .map_err(|e| ("move-back", e))?;
            }
        }
        log(j, "move-back")?;

        let put_old = format!("{OLDROOT}{NEWROOT}");
        mount::pivot_root(Path::new(OLDROOT), Path::new(&put_old)).map_err(|e| ("pivot", e))?;
        mount::chdir(Path::new("/")).map_err(|e| ("pivot", e))?;
        log(j, "pivot")?;
    }

    // After a release: the other filesystems of the old root, then PID 1
    // out of the stub, then (systemd) the services that were stopped.
    resume::remount_submounts(j, rec).map_err(|e| ("submounts", e))?;
    let after = handoff_facts();
    let woke = resume::wake_init(j, Path::new(NEWROOT)).map_err(|e| ("resume-init", e))?;
    if woke && after.systemd {
        resume::start_services(j).map_err(|e| ("services", e))?;
    }
    // Units restarted into the tmpfs (before the confirm, or by release)
    // go back onto the real root, whether or not PID 1 was handed off.
    if !after.restarted.is_empty() {
        resume::restart_units(j, &after.restarted).map_err(|e| ("services", e))?;
    }

    // The tmpfs, now back at NEWROOT (or still there when enter failed
    // before its pivot). This process may run from it: then a plain umount
    // is EBUSY and it is detached, freed when the last user exits.
    let mounts = mounts_now().map_err(|e| ("mountinfo", e))?;
    if mountinfo::at(&mounts, NEWROOT).is_some_and(|m| m.source == TMPFS_SOURCE) {
        match mount::umount(Path::new(NEWROOT), UnmountFlags::empty()) {
            Ok(()) => {}
            Err(Error::Sys {
                errno: Errno::BUSY, ..
            }) => {
                mount::umount(Path::new(NEWROOT), UnmountFlags::DETACH)
                    .map_err(|e| ("umount-tmpfs", e))?;
            }
            Err(e) => return Err(("umount-tmpfs", e)),
        }
        log(j, "umount-tmpfs")?;
    }
    match std::fs::remove_dir(NEWROOT) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(("rmdir-tmpfs", Error::io("rmdir", NEWROOT, &e))),
    }

    // Shared propagation as recorded (make-rprivate removed it); peer
    // group numbers are new, the propagation type is the old one.
    let mounts = mounts_now().map_err(|e| ("mountinfo", e))?;
    for path in &rec.shared {
        if mountinfo::at(&mounts, path).is_some_and(|m| m.shared.is_none()) {
            mount::make_shared(Path::new(path)).map_err(|e| ("propagation", e))?;
        }
    }
    log(j, "propagation")?;
    Ok(())
}

/// Mounts the recorded root device at /oldroot with its recorded options,
/// but not while something holds it exclusively: e2fsck and resize2fs open
/// it with O_EXCL, and after a killed worker they may still be running.
fn remount_root(rec: &Record) -> Result<()> {
    let (flags, _) = mount::split_options(&rec.root.options);
    let (sflags, data) = mount::split_options(&rec.root.super_options);
    let source = record::root_device_node(rec)?;
    match rustix::fs::openat(
        rustix::fs::CWD,
        source.as_str(),
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::EXCL | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    ) {
        Ok(fd) => drop(fd),
        Err(Errno::BUSY) => {
            return Err(Error::Refused(format!(
                "{source} is still in use (a job's e2fsck, resize2fs or lvm may still run): \
                 wait for it to end and run 'rootlift return' again"
            )));
        }
        Err(e) => return Err(Error::sys("open(O_EXCL)", &source, e)),
    }
    mount::mount_fs(
        &source,
        Path::new(OLDROOT),
        &rec.root.fstype,
        flags | sflags,
        &data,
    )
}

/// What release did to PID 1 and the services, from the journal.
struct Handoff {
    systemd: bool,
    restarted: Vec<String>,
}

fn handoff_facts() -> Handoff {
    let entries = journal::read().ok().flatten().unwrap_or_default();
    let cycle = journal::current_cycle(&entries);
    Handoff {
        systemd: cycle
            .iter()
            .any(|e| e.event == "release.handoff" && e.get("init").as_deref() == Some("systemd")),
        restarted: units::restarted_in(cycle),
    }
}
