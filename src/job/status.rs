//! `rootlift status [--json] [--follow]`: where a lift and its job stand,
//! read from the journal only, so it answers from any new session; what
//! `return` would do now; the mounts below the root and what became of
//! them; the services release stopped and how long each was down; a job
//! installed for the next shutdown.

use super::{downtime, shutdown};
use crate::error::{Error, Result};
use crate::journal::{self, Entry, Event, Stage};
use crate::json::Json;
use crate::lift::{back, record, resume};
use crate::output;

#[inline(never)]
pub fn command(json: bool, follow: bool) -> Result<()> {
    // The journal names devices, units and processes: root's business only
    // (it is 0600 in a 0700 directory; say so rather than fail to read it).
    if !rustix::process::geteuid().is_root() {
        return Err(Error::refused("status must run as root".into()));
    }
    let entries = journal::read()?.unwrap_or_default();
    let cycle = journal::current_cycle(&entries);
    let stage = journal::current_stage(&entries);
    let would = return_would(cycle, &stage);
    let installed = shutdown::installed();
    if json {
        return output::json(to_json(cycle, &stage, &would, installed.as_deref()));
    }
    output::text(&to_text(cycle, &stage, &would))?;
    if let Some(spec) = installed {
        output::text(&format!("installed for the next shutdown: {spec}\n"))?;
    }
    if follow {
        journal::follow(
            cycle.len(),
            &mut |e| output::text(&format!("{}\n", e.line())),
            &mut |c| Ok(is_final(&journal::current_stage(c)).then_some(())),
        )?;
    }
    Ok(())
}

/// Whether a lift has ended in this stage (nothing more will be written
/// until the next enter).
pub fn is_final(stage: &Stage) -> bool {
    match stage {
        Stage::Idle | Stage::Returned | Stage::Aborted(_) => true,
        // A failed return stays where it is until an operator acts.
        Stage::Failed(step) => step.starts_with("return-"),
        _ => false,
    }
}

/// What `rootlift return` would do now, step by step.
fn return_would(cycle: &[Entry], stage: &Stage) -> Vec<String> {
    if !stage.is_lifted() {
        return Vec::new();
    }
    let rec = match record::read(cycle) {
        Ok(rec) => rec,
        Err(e) => return vec![format!("inspect the mounts and undo what it finds ({e})")],
    };
    let released = cycle.iter().any(|e| e.event == Event::ReleaseUnmounted);
    let done = crate::lift::mounts::Released::from_cycle(cycle);
    let stub_waits = resume::init_waits(std::path::Path::new("/"), crate::stub::FIFO);
    let mut steps = Vec::new();
    for step in back::STEPS {
        let s = match step {
            "finish-job" if released => {
                "check the job left the filesystem whole (a failed repair keeps it unmounted)"
                    .into()
            }
            "mount-root" if released => format!(
                "mount {} ({}) at /oldroot with options {}",
                rec.root.source, rec.root.fstype, rec.root.options
            ),
            "move-back" => "move /proc /sys /dev /run back under /oldroot".into(),
            "pivot" => format!("pivot back onto {}", rec.root.source),
            "mounts" => format!(
                "move {} parked mounts back, re-create {} unmounted ones, restore every mount's propagation",
                done.parked.len(),
                done.unmounted.len()
            ),
            // Only when the stub is PID 1 now (release may have stopped
            // before the handoff, or PID 1 was never handed off).
            "resume-init" if stub_waits => "wake PID 1 from the init stub".into(),
            "services" if released => "start what release stopped".into(),
            "umount-tmpfs" => "unmount and remove the tmpfs".into(),
            _ => continue,
        };
        steps.push(s);
    }
    steps
}

/// The state of the disk as the job last journaled it (`job.disk`: what a
/// partition shrink has changed so far).
fn disk_state(cycle: &[Entry]) -> Option<String> {
    let e = cycle.iter().rev().find(|e| e.event == Event::JobDisk)?;
    e.get("state")
}

fn to_text(cycle: &[Entry], stage: &Stage, would: &[String]) -> String {
    let mut s = format!("stage: {stage}\njournal: {}\n", journal::PATH);
    if let Some(state) = disk_state(cycle) {
        s.push_str(&format!("disk: {state}\n"));
    }
    if let Some(first) = cycle.first() {
        s.push_str("events:\n");
        for e in cycle {
            let dt = e.time.saturating_sub(first.time);
            s.push_str(&format!(
                "  +{dt:>4}s {:<10} {} {}\n",
                e.stage.to_string(),
                e.event,
                e.detail
            ));
        }
    }
    let down = downtime::table(cycle);
    if !down.is_empty() {
        s.push_str("downtime (unit, down at, up at, seconds):\n");
        for d in &down {
            s.push_str(&format!("  {d}\n"));
        }
    }
    if !would.is_empty() {
        s.push_str("return would:\n");
        for (i, step) in would.iter().enumerate() {
            s.push_str(&format!("  {}. {step}\n", i + 1));
        }
    }
    s
}

fn to_json(cycle: &[Entry], stage: &Stage, would: &[String], installed: Option<&str>) -> Json {
    let mut j = Json::new();
    j.begin_object();
    j.key("stage").str(&stage.to_string());
    j.key("lifted").bool(stage.is_lifted());
    j.key("journal").str(journal::PATH);
    j.key("disk_state").opt_str(disk_state(cycle).as_deref());
    j.key("events").begin_array();
    for e in cycle {
        j.begin_object();
        j.key("time").u64(e.time);
        j.key("ms").u64(e.ms);
        j.key("stage").str(&e.stage.to_string());
        j.key("event").str(e.event.name());
        j.key("detail").str(&e.detail);
        j.end_object();
    }
    j.end_array();
    j.key("downtime").begin_array();
    for d in downtime::table(cycle) {
        d.json(&mut j);
    }
    j.end_array();
    j.key("return_would").begin_array();
    for step in would {
        j.str(step);
    }
    j.end_array();
    match installed {
        Some(spec) => j.key("installed_for_shutdown").str(spec),
        None => j.key("installed_for_shutdown").null(),
    };
    j.end_object();
    j
}
