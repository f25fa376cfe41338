//! Stopping the processes that still hold the old root (release 3), with
//! kill(2): each one's fate (lift::fate) says how, and how it comes back
//! (lift::comeback) is journaled before it is signalled. Never PID 1, never
//! rootlift, never a root-storage daemon, never kernel threads (the holder
//! scan skips those).

use std::path::Path;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};

use super::comeback::{self, Seen};
use super::fate::{self, Fate};
use crate::error::{Error, Result};
use crate::journal::{Detail, Event, Journal, Stage};
use crate::proc::holders::Report;
use crate::proc::init::Init;

/// How long SIGKILLed processes may take to disappear.
const KILL_TIMEOUT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(100);

/// Stops every holder of `r` release may signal: the network daemons with
/// SIGKILL at once (their SIGTERM takes the network down), the rest with
/// SIGTERM, `grace`, SIGKILL. Returns how many it signalled; fails when a
/// process survives SIGKILL.
pub fn stop_holders(j: &mut Journal, r: &Report, init: &Init, grace: Duration) -> Result<usize> {
    let etc = format!("{}/etc", super::OLDROOT);
    let script_of = |exe: &str| super::sysv::script_of(Path::new(&etc), exe);
    let (mut network, mut others) = (Vec::new(), Vec::new());
    for h in &r.processes {
        let fate = fate::of(h, init);
        if !fate.is_signalled() {
            continue;
        }
        let back = comeback::decide(h, fate, init, &Seen::read(h.pid), &script_of);
        let network_daemon = fate == Fate::Network;
        j.log(
            &Stage::Entered,
            Event::ReleaseStopped,
            back.encode(
                Detail::new()
                    .with("pid", h.pid)
                    .with("comm", &h.comm)
                    .with("unit", h.unit.as_deref().unwrap_or("-"))
                    .with("signal", if network_daemon { "KILL" } else { "TERM" }),
            ),
        )?;
        if network_daemon {
            network.push(h.pid);
        } else {
            others.push(h.pid);
        }
    }
    signal_all(&network, Signal::KILL);
    signal_all(&others, Signal::TERM);
    let left = wait_gone(&others, grace);
    if !left.is_empty() {
        j.log(
            &Stage::Entered,
            Event::ReleaseSigkill,
            Detail::new().with("pids", join(&left)).with("why", "grace"),
        )?;
        signal_all(&left, Signal::KILL);
    }
    let all: Vec<u32> = network.iter().chain(&others).copied().collect();
    let left = wait_gone(&all, KILL_TIMEOUT);
    if left.is_empty() {
        return Ok(all.len());
    }
    Err(Error::failed(format!(
        "processes survived SIGKILL: {}",
        join(&left)
    )))
}

/// Whether a process is gone (or a zombie, which holds no files).
pub(super) fn gone(pid: u32) -> bool {
    use crate::proc::holders::stat;
    stat::read(pid).is_none_or(|text| stat::parse(&text).is_some_and(|s| s.state == b'Z'))
}

fn signal_all(pids: &[u32], sig: Signal) {
    for &pid in pids {
        if let Some(p) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
            // ESRCH: it exited meanwhile, which is what we want.
            let _ = rustix::process::kill_process(p, sig);
        }
    }
}

fn wait_gone(pids: &[u32], timeout: Duration) -> Vec<u32> {
    let start = Instant::now();
    loop {
        let left: Vec<u32> = pids.iter().copied().filter(|&p| !gone(p)).collect();
        if left.is_empty() || start.elapsed() >= timeout {
            return left;
        }
        std::thread::sleep(POLL);
    }
}

fn join(pids: &[u32]) -> String {
    pids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}
