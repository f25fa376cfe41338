//! Stopping the processes that still hold the old root (SPEC.md release 3),
//! with kill(2): SIGTERM, a grace period, SIGKILL. Never PID 1, never
//! rootlift, never kernel threads (the holder scan skips those).
//!
//! Network configuration daemons are the exception: their SIGTERM handlers
//! take the configuration down (systemd.network(5) KeepConfiguration=
//! defaults to "no", so a stopped systemd-networkd drops its DHCP
//! addresses; dhcpcd(8) de-configures on exit unless --persistent), and the
//! operator's SSH would go with it. SIGKILL leaves addresses and routes in
//! the kernel; the daemon adopts them when systemd starts it again.

use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};

use crate::error::{Error, Result};
use crate::journal::{Journal, Stage};
use crate::proc::holders::{Holder, Report};

/// How long SIGKILLed processes may take to disappear.
const KILL_TIMEOUT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(100);

/// Process names (comm, at most 15 bytes) of the daemons that keep the
/// network configured, stopped with SIGKILL only.
const NETWORK_DAEMONS: [&str; 8] = [
    "systemd-network",
    "NetworkManager",
    "dhclient",
    "dhcpcd",
    "udhcpc",
    "wpa_supplicant",
    "iwd",
    "connmand",
];

/// The holders release may signal: not PID 1 and not rootlift.
pub fn stoppable(r: &Report) -> Vec<u32> {
    r.processes
        .iter()
        .filter(|h| is_stoppable(h))
        .map(|h| h.pid)
        .collect()
}

fn is_stoppable(h: &Holder) -> bool {
    h.pid != 1 && !h.is_self
}

/// Whether `comm` names a daemon that de-configures the network on SIGTERM.
pub fn keeps_network(comm: &str) -> bool {
    NETWORK_DAEMONS.contains(&comm)
}

/// Stops every stoppable holder of `r`: the network daemons with SIGKILL
/// at once, the rest with SIGTERM, `grace`, SIGKILL. Fails when a process
/// survives SIGKILL.
pub fn stop_holders(j: &mut Journal, r: &Report, grace: Duration) -> Result<()> {
    let (mut network, mut others) = (Vec::new(), Vec::new());
    for h in r.processes.iter().filter(|h| is_stoppable(h)) {
        if keeps_network(&h.comm) {
            network.push(h.pid);
        } else {
            others.push(h.pid);
        }
    }
    if !network.is_empty() {
        j.log(
            &Stage::Entered,
            "release.sigkill",
            &format!("pids={} why=keeps-network", join(&network)),
        )?;
        signal_all(&network, Signal::KILL);
    }
    if !others.is_empty() {
        j.log(
            &Stage::Entered,
            "release.sigterm",
            &format!("pids={}", join(&others)),
        )?;
        signal_all(&others, Signal::TERM);
    }
    let left = wait_gone(&others, grace);
    if !left.is_empty() {
        j.log(
            &Stage::Entered,
            "release.sigkill",
            &format!("pids={} why=grace", join(&left)),
        )?;
        signal_all(&left, Signal::KILL);
    }
    let left = wait_gone(&stoppable(r), KILL_TIMEOUT);
    if left.is_empty() {
        return Ok(());
    }
    Err(Error::Failed(format!(
        "processes survived SIGKILL: {}",
        join(&left)
    )))
}

/// Whether a process is gone (or a zombie, which holds no files).
fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the last ')' (comm may contain one).
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => true,
    }
}

fn signal_all(pids: &[u32], sig: Signal) {
    for &pid in pids {
        if let Some(p) = Pid::from_raw(pid as i32) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_daemons_are_named_as_comm_shows_them() {
        // comm is cut to 15 bytes: systemd-networkd shows as systemd-network.
        assert!(keeps_network("systemd-network"));
        assert!(keeps_network("NetworkManager"));
        assert!(keeps_network("dhclient"));
        assert!(!keeps_network("systemd-networkd"));
        assert!(!keeps_network("sshd"));
        assert!(NETWORK_DAEMONS.iter().all(|c| c.len() <= 15));
    }
}
