//! `rootlift status [--json] [--follow]`: where a lift stands, read from the
//! journal only, so it answers from any new session.

use std::io::{Read, Seek, SeekFrom};
use std::time::Duration;

use super::record;
use crate::error::{Error, Result};
use crate::journal::{self, Entry, Stage};
use crate::json::Json;
use crate::output;

/// How often `--follow` looks for new lines.
const FOLLOW_POLL: Duration = Duration::from_millis(200);

pub fn command(json: bool, follow: bool) -> Result<()> {
    // The journal names devices, units and processes: root's business only
    // (it is 0600 in a 0700 directory; say so rather than fail to read it).
    if !rustix::process::geteuid().is_root() {
        return Err(Error::Refused("status must run as root".into()));
    }
    let entries = journal::read()?.unwrap_or_default();
    let cycle = journal::current_cycle(&entries);
    let stage = journal::current_stage(&entries);
    let would = return_would(cycle, &stage);
    if json {
        output::json(to_json(cycle, &stage, &would))?;
    } else {
        output::text(&to_text(cycle, &stage, &would))?;
        if let Some(spec) = crate::job::shutdown::installed() {
            output::text(&format!("installed for the next shutdown: {spec}\n"))?;
        }
    }
    if follow && !json {
        follow_journal(cycle.len())?;
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
    let mut steps = Vec::new();
    match record::read(cycle) {
        Ok(rec) => {
            let released = cycle.iter().any(|e| e.stage == Stage::Released);
            if released {
                steps.push(format!(
                    "mount {} ({}) at /oldroot with options {}",
                    rec.root.source, rec.root.fstype, rec.root.options
                ));
            }
            steps.push("move /proc /sys /dev /run back under /oldroot".into());
            steps.push(format!("pivot back onto {}", rec.root.source));
            steps.push("unmount and remove the tmpfs".into());
            if !rec.shared.is_empty() {
                steps.push(format!("make {} mounts shared again", rec.shared.len()));
            }
        }
        Err(e) => steps.push(format!("inspect the mounts and undo what it finds ({e})")),
    }
    steps
}

/// The state of the disk as the job last journaled it (`job.disk`: what a
/// partition shrink has changed so far).
fn disk_state(cycle: &[Entry]) -> Option<String> {
    let e = cycle.iter().rev().find(|e| e.event == "job.disk")?;
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
    if !would.is_empty() {
        s.push_str("return would:\n");
        for (i, step) in would.iter().enumerate() {
            s.push_str(&format!("  {}. {step}\n", i + 1));
        }
    }
    s
}

fn to_json(cycle: &[Entry], stage: &Stage, would: &[String]) -> Json {
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
        j.key("stage").str(&e.stage.to_string());
        j.key("event").str(&e.event);
        j.key("detail").str(&e.detail);
        j.end_object();
    }
    j.end_array();
    j.key("return_would").begin_array();
    for step in would {
        j.str(step);
    }
    j.end_array();
    j.end_object();
    j
}

/// Prints journal lines as they are appended, until the lift ends.
fn follow_journal(already_shown: usize) -> Result<()> {
    let mut seen = already_shown;
    let mut offset = 0u64;
    let mut text = String::new();
    loop {
        match std::fs::File::open(journal::PATH) {
            Ok(mut f) => {
                f.seek(SeekFrom::Start(offset))
                    .map_err(|e| Error::io("seek", journal::PATH, &e))?;
                let n = f
                    .read_to_string(&mut text)
                    .map_err(|e| Error::io("read", journal::PATH, &e))?;
                offset = offset.saturating_add(n as u64);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("open", journal::PATH, &e)),
        }
        let entries = journal::parse(&text)?;
        let cycle = journal::current_cycle(&entries);
        for e in cycle.iter().skip(seen) {
            output::text(&format!(
                "{} {} {} {}\n",
                e.time, e.stage, e.event, e.detail
            ))?;
        }
        seen = seen.max(cycle.len());
        if is_final(&journal::current_stage(&entries)) && !cycle.is_empty() {
            return Ok(());
        }
        std::thread::sleep(FOLLOW_POLL);
    }
}
