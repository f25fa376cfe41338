//! The detached worker of a live job (SPEC.md "The journal and the dead-man
//! timer"): started by the tmpfs copy of rootlift right after `entered`, in
//! its own session with its output in a log file, so the operator's SSH
//! session may drop at any time. It waits for `confirm` (dead-man timer),
//! releases the old root, runs the job, and always returns.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::control::{self, ABORT, CONFIRM};
use super::offline;
use super::spec::{JobSpec, Kind};
use crate::error::{Error, Result};
use crate::journal::{self, Journal, Stage, escape};
use crate::lift::record::{self, Record};
use crate::lift::release::{self, ReleaseOptions};
use crate::lift::{SELF_IN_TMPFS, back, units};
use crate::output;

/// The worker's stdout and stderr: the output of e2fsck, resize2fs, lvm.
pub const LOG: &str = "/run/rootlift/worker.log";
const POLL: Duration = Duration::from_millis(250);

/// Starts the worker and follows the journal until the job is done; the
/// job's outcome is this command's outcome.
pub fn spawn_and_follow(spec: &JobSpec) -> Result<()> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(LOG)
        .map_err(|e| Error::io("open", LOG, &e))?;
    let log2 = log.try_clone().map_err(|e| Error::io("dup", LOG, &e))?;
    let mut child = Command::new(SELF_IN_TMPFS)
        .arg(crate::cli::INTERNAL_WORKER)
        .env_clear()
        .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin")
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2)
        // Its own process group now, its own session once it runs (setsid
        // in `worker`): a hangup of the operator's terminal never reaches it.
        .process_group(0)
        .spawn()
        .map_err(|e| Error::io("spawn", SELF_IN_TMPFS, &e))?;
    output::text(&format!(
        "{} job running detached as pid {} (output in {LOG})\n\
         the journal is {}; if this session drops, log in again and run:\n  \
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
    follow_until_done(&mut child)
}

/// Prints journal events as they come, until `job.done`; its `code` is the
/// result. A worker that dies first (killed, out of memory) is reported
/// with what to do: the system may still be lifted.
fn follow_until_done(worker: &mut std::process::Child) -> Result<()> {
    let mut shown = 0;
    loop {
        // Read the exit first, then the journal: a worker that wrote
        // job.done and exited is seen as done, not as dead.
        let exited = worker
            .try_wait()
            .map_err(|e| Error::io("waitpid", "the worker", &e))?;
        let entries = journal::read()?.unwrap_or_default();
        let cycle = journal::current_cycle(&entries);
        for e in cycle.iter().skip(shown) {
            output::text(&format!(
                "{} {} {} {}\n",
                e.time, e.stage, e.event, e.detail
            ))?;
        }
        shown = shown.max(cycle.len());
        if let Some(done) = cycle.iter().find(|e| e.event == "job.done") {
            return match done.get("code").as_deref() {
                Some("0") => Ok(()),
                _ => Err(Error::Failed(format!(
                    "the job did not complete: {}",
                    done.get("result").unwrap_or_default()
                ))),
            };
        }
        if let Some(status) = exited {
            return Err(Error::Failed(format!(
                "the worker ({status}) ended before the job was done, in stage {}: \
                 see 'rootlift status'; 'rootlift return' brings the system back",
                journal::current_stage(&entries)
            )));
        }
        std::thread::sleep(POLL);
    }
}

/// `rootlift internal-worker`: the job itself.
pub fn worker() -> Result<()> {
    // A session of its own: no terminal, no hangup from the operator's.
    let _ = rustix::process::setsid();
    crate::sys_process::ignore_hangup();
    let entries = journal::read()?.unwrap_or_default();
    let cycle = journal::current_cycle(&entries);
    let rec = record::read(cycle)?;
    let spec = JobSpec::of_cycle(cycle)?
        .ok_or_else(|| Error::Failed("no job.spec in the journal".into()))?;
    let mut j = Journal::open()?;
    j.log(
        &Stage::Entered,
        "job.worker",
        &format!("pid={}", std::process::id()),
    )?;

    let outcome = run(&mut j, &rec, &spec);
    let (code, result) = match &outcome {
        Ok(()) => (0, "ok".to_owned()),
        Err(e) => (1, e.to_string()),
    };
    let stage = journal::current_stage(&journal::read()?.unwrap_or_default());
    j.log(
        &stage,
        "job.done",
        &format!("code={code} result={}", escape(&result)),
    )?;
    outcome
}

/// Dead-man timer, release, the job, return. Every path out of here after
/// `entered` returns the system.
fn run(j: &mut Journal, rec: &Record, spec: &JobSpec) -> Result<()> {
    // The tmpfs sshd first, so that the confirm comes from a login to it.
    if let Err(e) = units::restart_brought_now(j) {
        back::return_system(j, rec)?;
        return Err(e);
    }
    if spec.confirm_within > Duration::ZERO && !wait_for_confirm(j, spec.confirm_within)? {
        back::return_system(j, rec)?;
        j.log(
            &Stage::Aborted("no-confirm".into()),
            "job.aborted",
            "why=no%20confirm%20in%20time",
        )?;
        return Err(Error::Failed(
            "aborted: no 'rootlift confirm' in time; the system returned".into(),
        ));
    }
    if control::requested(ABORT)? {
        back::return_system(j, rec)?;
        return Err(Error::Failed(
            "aborted by 'rootlift abort' before release".into(),
        ));
    }
    let opts = ReleaseOptions {
        kill: true,
        grace: spec.grace,
    };
    if let Err(e) = release::release(j, rec, &opts) {
        back::return_system(j, rec)?;
        return Err(e);
    }
    j.log(
        &Stage::Job,
        "job.begin",
        &format!("kind={} device={}", spec.name(), escape(&spec.device)),
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
        j.log(
            &Stage::Job,
            "job.failed",
            &format!("why={}", escape(&e.to_string())),
        )?;
    }
    // Any outcome: back to the original root.
    back::return_system(j, rec)?;
    result
}

/// Waits for `rootlift confirm`; false when the time ran out or an abort
/// came first.
fn wait_for_confirm(j: &mut Journal, within: Duration) -> Result<bool> {
    j.log(
        &Stage::Entered,
        "job.wait-confirm",
        &format!("seconds={}", within.as_secs()),
    )?;
    let start = Instant::now();
    while start.elapsed() < within {
        if control::requested(ABORT)? {
            return Ok(false);
        }
        if control::requested(CONFIRM)? {
            return Ok(true);
        }
        std::thread::sleep(POLL);
    }
    Ok(false)
}

/// `run -- CMD...`: the command with ROOTLIFT_DEVICE set; its exit code is
/// journaled and non-zero fails the job.
fn run_command(j: &mut Journal, spec: &JobSpec, argv: &[String]) -> Result<()> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| Error::Failed("run: no command".into()))?;
    j.log(
        &Stage::Job,
        "job.exec",
        &format!("argv={}", escape(&argv.join(" "))),
    )?;
    let status = Command::new(program)
        .args(args)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("ROOTLIFT_DEVICE", &spec.device)
        .status()
        .map_err(|e| Error::io("spawn", program, &e))?;
    let code = status
        .code()
        .map_or_else(|| status.to_string(), |c| c.to_string());
    j.log(
        &Stage::Job,
        "job.exit",
        &format!("program={} code={code}", escape(program)),
    )?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::Command {
            program: program.clone(),
            status: status.to_string(),
        })
    }
}
