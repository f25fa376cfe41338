//! The systemd units a lift must move (release 2; docs/pid1.md), through
//! systemctl(1): the services whose programs were brought are restarted
//! into the tmpfs while systemd still runs, dbus and logind are stopped
//! before PID 1 is handed off, and the restarted services go back onto the
//! real root on return.

use std::path::Path;

use super::{OLDROOT, kits, systemctl};
use crate::error::Result;
use crate::journal::{Detail, Event, Journal, Stage};
use crate::proc::holders::{self, Access, Report, Target};
use crate::proc::init::{self, Init};

/// Before the dead-man wait of a live job: with systemd as PID 1, the
/// services whose programs were brought (sshd with the ssh kit) are
/// restarted into the tmpfs, so the confirming login proves the tmpfs sshd
/// works (the dead-man timer waits for a login to the new sshd).
pub fn restart_brought_now(j: &mut Journal) -> Result<()> {
    if init::detect(Path::new("/")) != Init::Systemd || !Path::new(systemctl::PATH).exists() {
        return Ok(());
    }
    let target = Target::for_path(Path::new(OLDROOT))?;
    let report = holders::scan(&target)?;
    restart_brought(j, &report)
}

/// The services among `report`'s holders whose exe is a kit's daemon
/// brought into the tmpfs: restarted, so they run from the tmpfs and new
/// logins land there. Units this lift already restarted are left alone
/// (their old sessions may still run the old binary). Journaled, so return
/// restarts them onto the real root.
pub fn restart_brought(j: &mut Journal, report: &Report) -> Result<()> {
    let done = super::resume::Stopped::from_cycle(&j.cycle()?).restarted;
    let mut units: Vec<&str> = Vec::new();
    for h in &report.processes {
        let Some(unit) = h.unit.as_deref() else {
            continue;
        };
        let brought = h.access.iter().any(|a| match a {
            Access::Exe(p) => restarts(unit, program_name(p)) && in_tmpfs(p),
            _ => false,
        });
        if brought && !units.contains(&unit) && !done.iter().any(|d| d == unit) {
            units.push(unit);
        }
    }
    for unit in units {
        // Journaled first: if the restart fails, the unit is down and
        // return must start it again from the real root.
        j.log(
            &Stage::Entered,
            Event::ReleaseRestarted,
            Detail::new().with("unit", unit),
        )?;
        systemctl::run(&["restart", unit])?;
    }
    Ok(())
}

/// Whether a lift restarts `unit`, whose main program is `program`, into
/// the tmpfs: a service running one of the kits' daemons. `plan` and
/// release both ask this.
pub fn restarts(unit: &str, program: &str) -> bool {
    unit.ends_with(".service") && kits::DAEMONS.contains(&program)
}

/// Whether `unit` is a user manager, killed before the handoff.
pub fn is_user_manager(unit: &str) -> bool {
    unit.starts_with("user@") && unit.ends_with(".service")
}

/// The units stopped with systemctl before PID 1 is handed off, besides
/// the user managers.
pub const STOPPED_BEFORE_HANDOFF: [&str; 3] =
    ["dbus.socket", "dbus.service", "systemd-logind.service"];

fn program_name(exe: &Path) -> &str {
    exe.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

/// Whether `exe` (a path under /oldroot) has its copy in the tmpfs.
fn in_tmpfs(exe: &Path) -> bool {
    exe.strip_prefix(OLDROOT)
        .is_ok_and(|rel| Path::new("/").join(rel).is_file())
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
    let steps: [&[&str]; 3] = [
        &["kill", "--signal=SIGKILL", USER_MANAGERS],
        &[
            "stop",
            STOPPED_BEFORE_HANDOFF[0],
            STOPPED_BEFORE_HANDOFF[1],
            STOPPED_BEFORE_HANDOFF[2],
            USER_MANAGERS,
        ],
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
    for unit in STOPPED_BEFORE_HANDOFF {
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
