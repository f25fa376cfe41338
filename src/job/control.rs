//! `rootlift confirm`, `rootlift abort` and `rootlift return`: a word to
//! the worker through the journal, from any session, or the way back run
//! here and now.

use super::worker::INTERNAL_WORKER;
use crate::error::{Error, Result};
use crate::journal::{self, Detail, Event, Journal};
use crate::lift::{back, is_lifted, mounts_now};
use crate::output;

/// What the operator can say to a running worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word {
    /// A new login works: release may go on.
    Confirm,
    /// Return the system at the next step.
    Abort,
}

impl Word {
    fn event(self) -> Event {
        match self {
            Word::Confirm => Event::JobConfirm,
            Word::Abort => Event::JobAbort,
        }
    }
}

fn require_root(cmd: &str) -> Result<()> {
    if rustix::process::geteuid().is_root() {
        Ok(())
    } else {
        Err(Error::refused(format!("{cmd} must run as root")))
    }
}

/// `rootlift confirm`: proves a new login into the lifted system works.
#[inline(never)]
pub fn confirm() -> Result<()> {
    require_root("confirm")?;
    let entries = journal::read()?.unwrap_or_default();
    let stage = journal::current_stage(&entries);
    if !stage.is_lifted() {
        return Err(Error::refused(format!(
            "no lift to confirm (stage {stage})"
        )));
    }
    let mut j = Journal::open()?;
    j.log(
        &stage,
        Event::JobConfirm,
        Detail::new().with("pid", std::process::id()),
    )?;
    output::text("confirmed: the worker may release the old root\n")
}

/// `rootlift abort`: cancels a job installed for the next shutdown; a
/// running worker returns the system between two steps (the tool running
/// then finishes first); with no worker (expert steps), return runs here.
#[inline(never)]
pub fn abort() -> Result<()> {
    require_root("abort")?;
    if super::shutdown::uninstall()? {
        return output::text("cancelled: the job installed for the next shutdown is removed\n");
    }
    let entries = journal::read()?.unwrap_or_default();
    let cycle = journal::current_cycle(&entries);
    let stage = journal::current_stage(&entries);
    if !stage.is_lifted() && !is_lifted(&mounts_now()?) {
        return output::text(&format!("nothing to abort (stage {stage})\n"));
    }
    let mut j = Journal::open()?;
    j.log(
        &stage,
        Event::JobAbort,
        Detail::new().with("pid", std::process::id()),
    )?;
    match worker_pid(cycle) {
        Some(pid) => output::text(&format!(
            "abort requested: worker {pid} returns the system after the step it is in; \
             follow with 'rootlift status --follow'\n"
        )),
        None => return_command(),
    }
}

/// `rootlift return`: the way back from any stage, with the job layer's
/// check before the root is mounted again.
pub fn return_command() -> Result<()> {
    if !rustix::process::geteuid().is_root() {
        return Err(Error::refused("return must run as root".into()));
    }
    let Some((_, rec)) = back::pending()? else {
        return output::text("returned: nothing to do, the system is on its own root\n");
    };
    let mut j = Journal::open()?;
    back::return_system(&mut j, &rec, &mut super::offline::before_remount)?;
    output::text(&format!(
        "returned: / is {} again ({})\n",
        rec.root.source, rec.root.fstype
    ))
}

/// The worker of the latest lift, when it is still running.
pub fn worker_pid(cycle: &[journal::Entry]) -> Option<u32> {
    let pid: u32 = cycle
        .iter()
        .rev()
        .find(|e| e.event == Event::JobWorker)?
        .get("pid")?
        .parse()
        .ok()?;
    let done = cycle.iter().any(|e| e.event == Event::JobDone);
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let is_worker = cmdline
        .split(|&b| b == 0)
        .any(|a| a == INTERNAL_WORKER.as_bytes());
    (is_worker && !done).then_some(pid)
}

/// Whether the operator said `word` in the latest lift.
pub fn said(j: &Journal, word: Word) -> Result<bool> {
    Ok(j.cycle()?.iter().any(|e| e.event == word.event()))
}
