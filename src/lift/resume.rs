//! The second half of `return`, once the root and its mounts are back:
//! PID 1 woken from the stub into the real init, and what release stopped
//! started again the way its init starts it (lift::comeback): systemd
//! units in one `systemctl start --no-block`, watched until each is active
//! again (its downtime journaled), sysvinit scripts in runlevel order,
//! network clients with their own command lines.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::fs::{CWD, Mode, OFlags, openat};

use super::comeback::Comeback;
use super::{systemctl, sysv, units};
use crate::error::{Error, Result};
use crate::journal::{Detail, Entry, Event, Journal, Stage};
use crate::spawn::Command;
use crate::stub;

/// How long PID 1 may take to leave the stub for the real init.
const RESUME_TIMEOUT: Duration = Duration::from_secs(60);
/// How long systemd may take to answer systemctl after it resumed (9-18 s
/// measured in a software-emulated guest), and the units to come up.
const SYSTEMCTL_TIMEOUT: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(200);

/// Whether PID 1 runs from the filesystem of `tmpfs_root`.
fn pid1_on(tmpfs_root: &Path) -> bool {
    match (
        rustix::fs::stat("/proc/1/exe"),
        rustix::fs::stat(tmpfs_root),
    ) {
        (Ok(exe), Ok(t)) => exe.st_dev == t.st_dev,
        _ => false,
    }
}

/// Whether PID 1 is the init stub, waiting for its trigger: it runs from
/// the tmpfs (mounted at `tmpfs_root`) and the trigger FIFO is there.
/// While lifted the tmpfs is `/` and the FIFO [`stub::FIFO`]; after
/// return's pivot they are at NEWROOT. `wake_init` acts on it and
/// `status` shows it.
pub fn init_waits(tmpfs_root: &Path, fifo: &str) -> bool {
    pid1_on(tmpfs_root) && Path::new(fifo).exists()
}

/// When PID 1 is the stub, writes its trigger and waits until it has
/// exec'd the real init from the restored root.
pub fn wake_init(j: &mut Journal, cycle: &[Entry], tmpfs_root: &Path) -> Result<bool> {
    // No FIFO: release never installed the stub (PID 1 may still run from
    // the tmpfs, e.g. rootlift itself exec'd as PID 1 of a test namespace).
    if !init_waits(tmpfs_root, stub::FIFO_AFTER_RETURN) {
        return Ok(false);
    }
    // Before systemd reads its unit files again: sshd's handback drop-in.
    super::sshd::prepare_handback(cycle)?;
    let fd = openat(
        CWD,
        stub::FIFO_AFTER_RETURN,
        OFlags::WRONLY | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::sys("open", stub::FIFO_AFTER_RETURN, e))?;
    std::fs::File::from(fd)
        .write_all(&[stub::TRIGGER])
        .map_err(|e| Error::io("write", stub::FIFO_AFTER_RETURN, &e))?;
    let start = Instant::now();
    while pid1_on(tmpfs_root) {
        if start.elapsed() > RESUME_TIMEOUT {
            return Err(Error::failed(format!(
                "pid 1 is still the init stub {} s after the trigger",
                RESUME_TIMEOUT.as_secs()
            )));
        }
        std::thread::sleep(POLL);
    }
    let exe = std::fs::read_link("/proc/1/exe")
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    j.log(
        &Stage::Returning,
        Event::ReturnInitResumed,
        Detail::new().with("exe", exe),
    )?;
    Ok(true)
}

/// What release stopped and how each comes back, from one lift's entries.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Stopped {
    /// Service units to start (recorded active ones, and those of stopped
    /// holders), without duplicates, in journal order.
    pub units: Vec<String>,
    pub scripts: Vec<String>,
    pub argv: Vec<(Vec<String>, Option<String>)>,
}

impl Stopped {
    pub fn from_cycle(cycle: &[Entry]) -> Stopped {
        let mut s = Stopped::default();
        let add = |v: &mut Vec<String>, name: String| {
            if !v.contains(&name) {
                v.push(name);
            }
        };
        for e in cycle {
            match e.event {
                Event::RecordUnit => {
                    if let Some(u) = e.get("name").filter(|u| !units::is_user_manager(u)) {
                        add(&mut s.units, u);
                    }
                }
                Event::ReleaseStopped => match Comeback::decode(e) {
                    Some(Comeback::Unit(u)) => add(&mut s.units, u),
                    Some(Comeback::Script(n)) => add(&mut s.scripts, n),
                    Some(Comeback::Argv { argv, cgroup }) => {
                        if !s.argv.iter().any(|(a, _)| *a == argv) {
                            s.argv.push((argv, cgroup));
                        }
                    }
                    Some(Comeback::Nothing) | None => {}
                },
                _ => {}
            }
        }
        s
    }
}

/// Starts what release stopped: sshd first, taking its sockets back from
/// the keeper (also when PID 1 was never handed off: a dead-man expiry
/// returns before release), then the rest.
pub fn start_services(j: &mut Journal, cycle: &[Entry]) -> Result<()> {
    let s = Stopped::from_cycle(cycle);
    let init = crate::proc::init::detect(Path::new("/"));
    let handed_off = |init: &str| {
        cycle
            .iter()
            .any(|e| e.is(Event::ReleaseHandoff, "init", init))
    };
    // sshd's unit, when its handback drop-in is in place, starts in the
    // same transaction as every other unit (no daemon-reload first).
    let systemd = handed_off("systemd");
    if systemd {
        start_units(j, &s, super::sshd::prepared_unit(cycle).as_deref())?;
    }
    // sshd next (the operator's way in), but whatever it answers, every
    // other stopped service is started before its error is returned.
    // Everything is started before anything is waited for: a slow unit
    // (dockerd needed minutes under emulation) must not keep a DHCP
    // client from its lease.
    let sshd = super::sshd::hand_back(j, cycle, &init);
    if handed_off("sysvinit") {
        run_scripts(j, &s.scripts)?;
    }
    for (argv, cgroup) in &s.argv {
        spawn_again(j, argv, cgroup.as_deref())?;
    }
    if systemd && Path::new(systemctl::PATH).exists() {
        watch_units(j, &s.units.iter().map(String::as_str).collect::<Vec<_>>())?;
    }
    sshd
}

/// systemd: the stopped units started in one transaction without waiting
/// ([`watch_units`] then journals each one's return).
fn start_units(j: &mut Journal, s: &Stopped, sshd: Option<&str>) -> Result<()> {
    if !Path::new(systemctl::PATH).exists() {
        // PID 1 resumed; without its systemctl nothing more can be asked of
        // it, and the root is back: say so rather than fail the return.
        return j.log(
            &Stage::Returning,
            Event::ReturnWarning,
            Detail::new().with("why", "no /usr/bin/systemctl on the restored root"),
        );
    }
    let mut want: Vec<&str> = s.units.iter().map(String::as_str).collect();
    if let Some(unit) = sshd.filter(|u| !want.contains(u)) {
        want.insert(0, unit);
    }
    if !want.is_empty() {
        let mut args = vec!["start", "--no-block"];
        args.extend(&want);
        let call = systemctl::run_until_ok_timed(&args, SYSTEMCTL_TIMEOUT)?;
        // call_ms: how long the start that systemd answered took (the
        // moment the unit restarts began is this line's time minus it).
        j.log(
            &Stage::Returning,
            Event::ReturnServices,
            Detail::new()
                .with("started", want.join(","))
                .with("call_ms", call.as_millis()),
        )?;
    }
    Ok(())
}

/// `return.up` of `unit`, active again `start.elapsed()` after its start
/// was asked for (the downtime table's end of its outage).
pub(super) fn log_up(j: &mut Journal, unit: &str, start: Instant) -> Result<()> {
    j.log(
        &Stage::Returning,
        Event::ReturnUp,
        Detail::new()
            .with("unit", unit)
            .with("after_ms", start.elapsed().as_millis()),
    )
}

/// Journals `return.up` for each unit the moment systemctl first says it is
/// active; a unit not active within the timeout is a warning, not a failed
/// return (the root is back).
fn watch_units(j: &mut Journal, units: &[&str]) -> Result<()> {
    let mut waiting: Vec<&str> = units.to_vec();
    let start = Instant::now();
    while !waiting.is_empty() && start.elapsed() < SYSTEMCTL_TIMEOUT {
        let states = systemctl::states(&waiting);
        let mut still = Vec::new();
        for (unit, state) in waiting.iter().zip(states.iter()) {
            if state == "active" {
                log_up(j, unit, start)?;
            } else {
                still.push(*unit);
            }
        }
        waiting = still;
        if !waiting.is_empty() {
            std::thread::sleep(POLL);
        }
    }
    for unit in waiting {
        j.log(
            &Stage::Returning,
            Event::ReturnWarning,
            Detail::new()
                .with("why", "not active again in time")
                .with("unit", unit),
        )?;
    }
    Ok(())
}

/// sysvinit: `/etc/init.d/NAME start` for each, in runlevel order.
fn run_scripts(j: &mut Journal, scripts: &[String]) -> Result<()> {
    for name in sysv::in_start_order(Path::new("/etc"), scripts) {
        let script = format!("/etc/init.d/{name}");
        let status = Command::new(&script)
            .arg("start")
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .status()
            .map_err(|e| Error::io("spawn", &script, &e))?;
        j.log(
            &Stage::Returning,
            Event::ReturnServices,
            Detail::new().with("script", &name).with("status", status),
        )?;
    }
    Ok(())
}

/// The hidden subcommand that puts itself into a cgroup and execs a
/// command line: how a stopped network client runs again where it ran.
pub const INTERNAL_SPAWN: &str = "internal-spawn";

/// Starts `argv` again, detached, in `cgroup` when it still exists.
fn spawn_again(j: &mut Journal, argv: &[String], cgroup: Option<&str>) -> Result<()> {
    let me = std::env::current_exe().map_err(|e| Error::io("readlink", "/proc/self/exe", &e))?;
    Command::new(&me)
        .arg(INTERNAL_SPAWN)
        .arg(cgroup.unwrap_or(""))
        .arg("--")
        .args(argv)
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .stdin(crate::spawn::Stdio::Null)
        .spawn()
        .map_err(|e| Error::io("spawn", me.display(), &e))?;
    j.log(
        &Stage::Returning,
        Event::ReturnServices,
        Detail::new()
            .with("argv", argv.join(" "))
            .with_opt("cgroup", cgroup),
    )
}

/// `rootlift internal-spawn CGROUP -- ARGV...`: joins the cgroup v2 group
/// CGROUP (cgroups(7): writing a PID to `cgroup.procs` moves it), starts a
/// session of its own, and execs ARGV.
#[inline(never)]
pub fn internal_spawn(cgroup: &str, argv: &[std::ffi::OsString]) -> Result<()> {
    if !cgroup.is_empty() && !cgroup.contains("..") {
        let procs = format!("/sys/fs/cgroup{cgroup}/cgroup.procs");
        // A cgroup that is gone (its unit stopped) is no reason not to run.
        let _ = std::fs::write(&procs, std::process::id().to_string());
    }
    let _ = rustix::process::setsid();
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| Error::usage("internal-spawn: no command".into()))?;
    let err = Command::new(program).args(args).inherit_env().exec();
    Err(Error::io("execve", program.to_string_lossy(), &err))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::parse;

    #[test]
    fn what_release_stopped_is_read_back_once_each() {
        let text = "\
1 idle enter.begin pid=1
2 entered record.unit name=cron.service
2 entered record.unit name=ssh.service
2 entered record.unit name=user@0.service
4 entered release.stopped unit=dbus.service back=unit name=dbus.service
5 entered release.stopped pid=9 comm=cron back=unit name=cron.service
6 entered release.stopped pid=10 comm=dhclient back=argv cgroup=/system.slice/networking.service argc=2 arg0=/sbin/dhclient arg1=eth0
7 entered release.stopped pid=11 comm=dhclient back=argv argc=2 arg0=/sbin/dhclient arg1=eth0
8 entered release.stopped pid=12 comm=cron back=script name=cron
9 entered release.stopped pid=13 comm=bash back=none
";
        let s = Stopped::from_cycle(&parse(text).unwrap());
        assert_eq!(s.units, ["cron.service", "ssh.service", "dbus.service"]);
        assert_eq!(s.scripts, ["cron"]);
        assert_eq!(
            s.argv,
            [(
                vec!["/sbin/dhclient".to_owned(), "eth0".to_owned()],
                Some("/system.slice/networking.service".to_owned())
            )]
        );
    }
}
