//! The systemd units a lift must move (release 2; docs/pid1.md), through
//! systemctl(1): the services active at release are recorded, user
//! managers are killed and container runtimes, dbus and logind stopped
//! before PID 1 is handed off (sshd's sockets are kept by lift::sshd).

use std::path::Path;

use super::{kits, systemctl};
use crate::error::Result;
use crate::journal::{Detail, Event, Journal, Stage};

/// Whether a process named `comm` is a daemon of the kits (sshd, its
/// per-connection `sshd-session`), whose sockets lift::sshd keeps. `plan`
/// and release both ask this.
pub fn is_kit_daemon(comm: &str) -> bool {
    kits::DAEMONS.contains(&comm) || comm == "sshd-session"
}

/// Whether `unit` is a user manager, killed before the handoff.
pub fn is_user_manager(unit: &str) -> bool {
    unit.starts_with("user@") && unit.ends_with(".service")
}

/// The units stopped with systemctl before PID 1 is handed off, besides
/// the user managers.
pub const STOPPED_BEFORE_HANDOFF: [&str; 3] =
    ["dbus.socket", "dbus.service", "systemd-logind.service"];

/// Container runtimes, stopped with systemctl before the handoff when
/// they run: dockerd stops its containers and then containerd goes, in
/// the units' order. Sent SIGTERM all at once after the handoff, dockerd
/// outlived the grace time (it could no longer reach containerd), was
/// SIGKILLed, took 74 s to start again and did not restart its
/// `--restart=always` container (the e2e server guest). The socket goes
/// first, or a client's connect would start dockerd again.
pub const RUNTIMES: [&str; 3] = ["docker.socket", "docker.service", "containerd.service"];

/// Whether release stops `unit` with systemctl before the handoff.
pub fn stopped_before_handoff(unit: &str) -> bool {
    STOPPED_BEFORE_HANDOFF.contains(&unit) || RUNTIMES.contains(&unit)
}

/// dbus and logind must be stopped while systemd still runs, or the
/// resumed systemd stalls ~100 s on a dead dbus (docs/pid1.md). Uses
/// the systemctl brought into the tmpfs; without one, this is journaled.
///
/// The user managers (`user@UID.service`) are killed first: sent SIGTERM
/// while lifted, `systemd --user` has to load exit.target from unit files
/// that are not in the tmpfs, never exits, and the stop waits out the
/// unit's TimeoutStopSec (120 s on Debian 12, seen in the e2e guest).
/// Their failed state is reset, so the resumed systemd is not "degraded";
/// logind starts them again at the next login.
pub fn stop_before_handoff(j: &mut Journal) -> Result<()> {
    if !Path::new(systemctl::PATH).exists() {
        return j.log(
            &Stage::Entered,
            Event::ReleaseWarning,
            Detail::new().with("why", "no systemctl in the tmpfs"),
        );
    }
    // The runtimes that run here (a unit systemd does not know would fail
    // the whole stop).
    let runtimes: Vec<&str> = RUNTIMES
        .iter()
        .zip(systemctl::states(&RUNTIMES))
        .filter(|(_, state)| state == "active")
        .map(|(unit, _)| *unit)
        .collect();
    let mut stop = vec!["stop"];
    stop.extend(&runtimes);
    stop.extend(STOPPED_BEFORE_HANDOFF);
    stop.push(USER_MANAGERS);
    let steps: [&[&str]; 3] = [
        &["kill", "--signal=SIGKILL", USER_MANAGERS],
        &stop,
        &["reset-failed", USER_MANAGERS],
    ];
    for args in steps {
        // A unit that is not there is no reason to stop the release.
        let outcome = match systemctl::run(args) {
            Ok(()) => "ok".to_owned(),
            Err(e) => e.to_string(),
        };
        j.log(
            &Stage::Entered,
            Event::ReleaseUnits,
            Detail::new()
                .with("systemctl", args.join(" "))
                .with("outcome", outcome),
        )?;
    }
    // Started again on return, with the units release stops.
    for &unit in runtimes.iter().chain(&STOPPED_BEFORE_HANDOFF) {
        j.log(
            &Stage::Entered,
            Event::ReleaseStopped,
            super::comeback::Comeback::Unit(unit.to_owned())
                .encode(Detail::new().with("unit", unit)),
        )?;
    }
    Ok(())
}

/// Journals the service units active now (`record.unit`), while systemd
/// still answers: return starts again those that are not active then, and
/// nothing else.
pub fn record_active(j: &mut Journal) -> Result<()> {
    if !Path::new(systemctl::PATH).exists() {
        return Ok(());
    }
    for unit in systemctl::active_services()? {
        j.log(
            &Stage::Entered,
            Event::RecordUnit,
            Detail::new().with("name", unit),
        )?;
    }
    Ok(())
}

/// systemctl's pattern for every user manager.
const USER_MANAGERS: &str = "user@*.service";
