//! `rootlift confirm` and `rootlift abort`: a word to the worker through the
//! journal, from any session.

use crate::error::{Error, Result};
use crate::journal::{self, Journal};
use crate::lift::{back, is_lifted, mounts_now};
use crate::output;

/// The event `confirm` appends; the worker waits for it.
pub const CONFIRM: &str = "job.confirm";
/// The event `abort` appends; the worker returns at its next step.
pub const ABORT: &str = "job.abort";

fn require_root(cmd: &str) -> Result<()> {
    if rustix::process::geteuid().is_root() {
        Ok(())
    } else {
        Err(Error::Refused(format!("{cmd} must run as root")))
    }
}

/// `rootlift confirm`: proves a new login into the lifted system works.
pub fn confirm() -> Result<()> {
    require_root("confirm")?;
    let entries = journal::read()?.unwrap_or_default();
    let stage = journal::current_stage(&entries);
    if !stage.is_lifted() {
        return Err(Error::Refused(format!(
            "no lift to confirm (stage {stage})"
        )));
    }
    let mut j = Journal::open()?;
    j.log(&stage, CONFIRM, &format!("pid={}", std::process::id()))?;
    output::text("confirmed: the worker may release the old root\n")
}

/// `rootlift abort`: the worker returns at its next step; with no worker
/// (expert steps), return runs here and now.
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
    j.log(&stage, ABORT, &format!("pid={}", std::process::id()))?;
    match worker_pid(cycle) {
        Some(pid) => output::text(&format!(
            "abort requested: worker {pid} returns the system at its next step; follow with 'rootlift status --follow'\n"
        )),
        None => back::command(),
    }
}

/// The worker of the latest lift, when it is still running.
pub fn worker_pid(cycle: &[journal::Entry]) -> Option<u32> {
    let pid: u32 = cycle
        .iter()
        .rev()
        .find(|e| e.event == "job.worker")?
        .get("pid")?
        .parse()
        .ok()?;
    let done = cycle.iter().any(|e| e.event == "job.done");
    let alive = std::path::Path::new(&format!("/proc/{pid}")).exists();
    (alive && !done).then_some(pid)
}

/// Whether `event` appears in the latest lift.
pub fn requested(event: &str) -> Result<bool> {
    let entries = journal::read()?.unwrap_or_default();
    Ok(journal::current_cycle(&entries)
        .iter()
        .any(|e| e.event == event))
}
