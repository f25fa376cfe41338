//! The detached worker of a live job (docs/design.md, "The journal" and
//! "Jobs and the dead-man timer"): started by the tmpfs copy of rootlift
//! right after `entered`, in a session of its own with its output in a log
//! file, so the operator's SSH session may drop at any time. It waits for
//! `confirm` (dead-man timer), releases the old root, runs the job with
//! `abort` honoured between its steps, and always returns.

use std::time::{Duration, Instant};

use super::control::{self, Word};
use super::offline;
use super::spec::{JobSpec, Kind};
use crate::error::{Error, Result};
use crate::journal::{self, Detail, Event, Journal, Stage};
use crate::lift::record::{self, Record};
use crate::lift::release::{self, ReleaseOptions};
use crate::lift::{SELF_IN_TMPFS, back};
use crate::output;
use crate::spawn::{Command, Stdio};

/// The worker's stdout and stderr: the output of e2fsck, resize2fs, lvm.
pub const LOG: &str = "/run/rootlift/worker.log";
/// The hidden subcommand a live job's detached worker runs as.
pub const INTERNAL_WORKER: &str = "internal-worker";
const POLL: Duration = Duration::from_millis(250);

/// `rootlift internal-entered`: the tmpfs copy journals `entered`; when the
/// lift is a job's, it starts the worker and follows it.
#[inline(never)]
pub fn entered() -> Result<()> {
    crate::lift::enter::entered()?;
    let entries = journal::read()?.unwrap_or_default();
    match JobSpec::of_cycle(journal::current_cycle(&entries))? {
        Some(spec) => spawn_and_follow(&spec),
        None => Ok(()),
    }
}

/// Starts the worker and follows the journal until the job is done; the
/// job's outcome is this command's outcome.
pub fn spawn_and_follow(spec: &JobSpec) -> Result<()> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(LOG)
        .map_err(|e| Error::io("open", LOG, &e))?;
    let log2 = log.try_clone().map_err(|e| Error::io("dup", LOG, &e))?;
    // Not a process group leader, so its setsid(2) succeeds: a session of
    // its own, which no hangup of the operator's terminal reaches.
    let child = Command::new(SELF_IN_TMPFS)
        .arg(INTERNAL_WORKER)
        .envs(crate::lift::test_env())
        .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin")
        .stdin(Stdio::Null)
        .stdout(log)
        .stderr(log2)
        .spawn()
        .map_err(|e| Error::io("spawn", SELF_IN_TMPFS, &e))?;
    output::text(&format!(
        "{} job running detached as pid {} (output in {LOG})\n\
         the journal is {}; this SSH session ends when the old root is released \
         (its sshd runs from it): log in again and run\n  \
         rootlift status --follow\n",
        spec.name(),
        child.id(),
        journal::PATH
    ))?;
    if spec.confirm_within > Duration::ZERO {
        output::text(&format!(
            "dead-man timer: from a NEW login, run 'rootlift confirm' within {} s, or the system returns\n",
            spec.confirm_within.as_secs()
        ))?;
    }
    let shown = std::cell::Cell::new(0usize);
    journal::follow(
        0,
        &mut |e| {
            shown.set(shown.get() + 1);
            output::text(&format!("{}\n", e.line()))
        },
        &mut |cycle| {
            if let Some(done) = outcome(cycle) {
                return Ok(Some(done));
            }
            let Some(status) = child
                .try_wait()
                .map_err(|e| Error::io("waitpid", "the worker", &e))?
            else {
                return Ok(None);
            };
            // The worker may have written job.done and exited since
            // `cycle` was read: the journal once more, now that it is
            // final, before the worker counts as dead.
            let entries = journal::read()?.unwrap_or_default();
            let last = journal::current_cycle(&entries);
            for e in last.iter().skip(shown.get()) {
                output::text(&format!("{}\n", e.line()))?;
            }
            Ok(Some(outcome(last).unwrap_or_else(|| {
                Err(Error::failed(format!(
                    "the worker ({status}) ended before the job was done, in stage {}: \
                     see 'rootlift status'; 'rootlift return' brings the system back",
                    journal::current_stage(last)
                )))
            })))
        },
    )?
}

/// What the cycle's `job.done` says, if it has one.
fn outcome(cycle: &[journal::Entry]) -> Option<Result<()>> {
    let done = cycle.iter().find(|e| e.event == Event::JobDone)?;
    Some(match done.get("code").as_deref() {
        Some("0") => Ok(()),
        _ => Err(Error::failed(format!(
            "the job did not complete: {}",
            done.get("result").unwrap_or_default()
        ))),
    })
}

/// `rootlift internal-worker`: the job itself.
#[inline(never)]
pub fn worker() -> Result<()> {
    // A session of its own: no terminal, no hangup from the operator's.
    let sid = rustix::process::setsid().map_err(|e| Error::sys("setsid", "the worker", e))?;
    crate::sys_process::ignore_hangup();
    let entries = journal::read()?.unwrap_or_default();
    let cycle = journal::current_cycle(&entries);
    let mut rec = record::read(cycle)?;
    let spec = JobSpec::of_cycle(cycle)?
        .ok_or_else(|| Error::failed("no job.spec in the journal".into()))?;
    let mut j = Journal::open()?;
    j.log(
        &Stage::Entered,
        Event::JobWorker,
        Detail::new()
            .with("pid", std::process::id())
            .with("sid", sid.as_raw_nonzero()),
    )?;

    let outcome = run(&mut j, &mut rec, &spec);
    let (code, result) = match &outcome {
        Ok(()) => (0, "ok".to_owned()),
        Err(e) => (1, e.to_string()),
    };
    let stage = journal::current_stage(&journal::read()?.unwrap_or_default());
    j.log(
        &stage,
        Event::JobDone,
        Detail::new().with("code", code).with("result", result),
    )?;
    outcome
}

/// Returns the system, then journals why the job stopped short.
fn abort_and_return(j: &mut Journal, rec: &Record, why: &'static str, text: &str) -> Result<()> {
    back::return_system(j, rec, &mut super::offline::before_remount)?;
    j.log(
        &Stage::Aborted(why.into()),
        Event::JobAborted,
        Detail::new().with("why", text),
    )?;
    Err(Error::failed(format!(
        "aborted: {text}; the system returned"
    )))
}

/// Dead-man timer, release, the job, return. Every path out of here after
/// `entered` returns the system.
fn run(j: &mut Journal, rec: &mut Record, spec: &JobSpec) -> Result<()> {
    // The way in first (sshd's sockets kept, served from the tmpfs), so
    // that the confirm comes from a login through it.
    let init = crate::proc::init::detect(std::path::Path::new("/"));
    if let Err(e) = crate::lift::sshd::keep_logins(j, &init) {
        back::return_system(j, rec, &mut super::offline::before_remount)?;
        return Err(e);
    }
    if spec.confirm_within > Duration::ZERO {
        match wait_for_confirm(j, spec.confirm_within)? {
            Some(Word::Confirm) => {}
            Some(Word::Abort) => {
                return abort_and_return(j, rec, "operator", "'rootlift abort' before release");
            }
            None => return abort_and_return(j, rec, "no-confirm", "no confirm in time"),
        }
    }
    if control::said(j, Word::Abort)? {
        return abort_and_return(j, rec, "operator", "'rootlift abort' before release");
    }
    let opts = ReleaseOptions {
        kill: true,
        grace: spec.grace,
        drop_unrestorable: spec.drop_unrestorable,
    };
    if let Err(e) = release::release(j, rec, &opts) {
        back::return_system(j, rec, &mut super::offline::before_remount)?;
        return Err(e);
    }
    j.log(
        &Stage::Job,
        Event::JobBegin,
        Detail::new()
            .with("kind", spec.name())
            .with("device", &spec.device),
    )?;
    let result = match &spec.kind {
        Kind::Shrink { fs_blocks, lv } => offline::shrink(j, spec, rec, *fs_blocks, lv.as_deref()),
        Kind::ShrinkPartition { fs_blocks, part } => {
            super::partition::shrink(j, spec, rec, *fs_blocks, part)
        }
        Kind::Fsck => offline::fsck(j, spec),
        Kind::Run { argv } => run_command(j, spec, argv),
    };
    if let Err(e) = &result {
        j.log(&Stage::Job, Event::JobFailed, Detail::new().with("why", e))?;
    }
    // Any outcome: back to the original root (unless the filesystem is not
    // whole: then the root stays unmounted and return says why).
    back::return_system(j, rec, &mut super::offline::before_remount)?;
    if let Some(crate::error::Kind::Aborted(why)) = result.as_ref().err().map(Error::kind) {
        j.log(
            &Stage::Aborted("operator".into()),
            Event::JobAborted,
            Detail::new().with("why", why),
        )?;
    }
    result
}

/// Waits for `rootlift confirm` or `rootlift abort`, whichever comes
/// first; `None` when the time ran out.
fn wait_for_confirm(j: &mut Journal, within: Duration) -> Result<Option<Word>> {
    j.log(
        &Stage::Entered,
        Event::JobWaitConfirm,
        Detail::new().with("seconds", within.as_secs()),
    )?;
    let start = Instant::now();
    while start.elapsed() < within {
        for word in [Word::Abort, Word::Confirm] {
            if control::said(j, word)? {
                return Ok(Some(word));
            }
        }
        std::thread::sleep(POLL);
    }
    Ok(None)
}

/// `run -- CMD...`: the command with ROOTLIFT_DEVICE set; its exit code is
/// journaled and non-zero fails the job.
fn run_command(j: &mut Journal, spec: &JobSpec, argv: &[String]) -> Result<()> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| Error::failed("run: no command".into()))?;
    j.log(
        &Stage::Job,
        Event::JobExec,
        Detail::new().with("argv", argv.join(" ")),
    )?;
    let status = Command::new(program)
        .args(args)
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("ROOTLIFT_DEVICE", &spec.device)
        .status()
        .map_err(|e| Error::io("spawn", program, &e))?;
    let code = status
        .code()
        .map_or_else(|| status.to_string(), |c| c.to_string());
    j.log(
        &Stage::Job,
        Event::JobExit,
        Detail::new().with("program", program).with("code", code),
    )?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::command(program.clone(), status.to_string()))
    }
}
