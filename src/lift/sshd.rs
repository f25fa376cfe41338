//! The operator's way in during a lift, with no connection ever refused.
//!
//! The sshd listening on the SSH port runs from the old root and must go.
//! Restarting it leaves a moment with no socket listening, and a connection
//! that arrives then is refused. Instead the listening sockets themselves
//! change hands (pidfd_getfd(2), Linux 5.6): rootlift's keeper, running from
//! the tmpfs, takes duplicates of them from the running sshd, which is then
//! stopped; the sockets stay open and listening all along, connections
//! queue in their backlog, and the keeper serves each with `sshd -i`
//! (sshd(8) inetd mode) from the tmpfs. On return the real sshd takes the
//! same sockets from the keeper the same way and is started with them as
//! systemd's socket activation passes sockets (sd_listen_fds(3):
//! `LISTEN_FDS`, `LISTEN_PID`, fds from 3), which Debian's sshd accepts;
//! under systemd through a runtime drop-in that wraps its unit's ExecStart
//! for that one start. Where the sshd cannot take sockets this way, the
//! keeper lets go and sshd is started as usual (a short gap: `plan` says
//! so).

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::process::{Pid, PidfdFlags, PidfdGetfdFlags, Signal};

use super::systemctl;
use crate::error::{Error, Result};
use crate::journal::{Detail, Entry, Event, Journal, Stage};
use crate::proc::init::Init;
use crate::spawn::{Command, Stdio};

/// The hidden subcommand of the keeper: `internal-ssh-keeper FD...`.
pub const INTERNAL_KEEPER: &str = "internal-ssh-keeper";
/// The hidden subcommand that takes the sockets back and execs the real
/// sshd: `internal-ssh-handback KEEPER_PID FD,FD... -- SSHD ARGS...`.
pub const INTERNAL_HANDBACK: &str = "internal-ssh-handback";

/// The sshd every connection is served by, as the kit brought it.
pub const SSHD: &str = "/usr/sbin/sshd";
/// How long systemd may take to answer after it resumed.
const SYSTEMCTL_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the real sshd may take to listen once its unit was started
/// with the drop-in (the first systemctl answer after the resume came 9-18 s
/// after it under emulation; the start itself takes a second).
const HANDBACK_TIMEOUT: Duration = Duration::from_secs(60);
/// Where the runtime drop-in for the handback goes (systemd.unit(5):
/// `/run/systemd/system/UNIT.d/*.conf`).
const DROPIN_DIR: &str = "/run/systemd/system";
const DROPIN: &str = "zz-rootlift-handback.conf";

/// The running sshd that listens, and its listening sockets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub pid: u32,
    /// Its fd numbers that are listening TCP sockets.
    pub fds: Vec<i32>,
    /// Its systemd unit, when it runs in one.
    pub unit: Option<String>,
}

/// The inodes of the TCP sockets in LISTEN state, from /proc/net/tcp and
/// tcp6 (proc(5): `sl local rem st ... inode`, state 0A is LISTEN).
pub fn listening_inodes(tables: &[&str]) -> Vec<u64> {
    let mut out = Vec::new();
    for text in tables {
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.get(3) == Some(&"0A")
                && let Some(inode) = f.get(9).and_then(|i| i.parse().ok())
            {
                out.push(inode);
            }
        }
    }
    out
}

/// The sshd process that holds listening sockets, if one runs.
pub fn find_listener() -> Option<Listener> {
    let tables: Vec<String> = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    let inodes = listening_inodes(&tables.iter().map(String::as_str).collect::<Vec<_>>());
    for (pid, dir) in crate::proc::processes() {
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if comm.trim_end() != "sshd" {
            continue;
        }
        let mut fds = Vec::new();
        for e in std::fs::read_dir(dir.join("fd"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let Some(n) = e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
                continue;
            };
            let target = std::fs::read_link(e.path()).unwrap_or_default();
            let inode = target
                .to_str()
                .and_then(|t| t.strip_prefix("socket:["))
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse::<u64>().ok());
            if inode.is_some_and(|i| inodes.contains(&i)) {
                fds.push(n);
            }
        }
        if !fds.is_empty() {
            fds.sort_unstable();
            let unit = crate::proc::holders::cgroup::unit_of(pid);
            return Some(Listener { pid, fds, unit });
        }
    }
    None
}

/// Whether `sshd` takes listening sockets the way systemd's socket
/// activation passes them: it imports sd_listen_fds(3) from libsystemd
/// (Debian 12), or reads `LISTEN_FDS` itself (Debian 13's OpenSSH 10 no
/// longer links libsystemd).
pub fn takes_sockets(sshd: &Path) -> bool {
    std::fs::read(sshd).is_ok_and(|b| names_listen_fds(&b))
}

fn names_listen_fds(binary: &[u8]) -> bool {
    let has = |s: &[u8]| binary.windows(s.len()).any(|w| w == s);
    has(b"sd_listen_fds\0") || has(b"\0LISTEN_FDS\0")
}

fn pid(n: u32) -> Result<Pid> {
    i32::try_from(n)
        .ok()
        .and_then(Pid::from_raw)
        .ok_or_else(|| Error::failed(format!("bad pid {n}")))
}

/// Whether this kernel can take another process's fds (pidfd_open(2),
/// Linux 5.3, and pidfd_getfd(2), 5.6), asked of this very process.
pub fn can_take_sockets() -> bool {
    let Ok(me) = pid(std::process::id()) else {
        return false;
    };
    let Ok(pidfd) = rustix::process::pidfd_open(me, PidfdFlags::empty()) else {
        return false;
    };
    rustix::process::pidfd_getfd(&pidfd, pidfd.as_raw_fd(), PidfdGetfdFlags::empty()).is_ok()
}

/// Duplicates of `fds` of process `owner` (pidfd_getfd(2)), close-on-exec.
fn take(owner: u32, fds: &[i32]) -> Result<Vec<OwnedFd>> {
    let pidfd = rustix::process::pidfd_open(pid(owner)?, PidfdFlags::empty())
        .map_err(|e| Error::sys("pidfd_open", format_args!("pid {owner}"), e))?;
    fds.iter()
        .map(|&fd| {
            rustix::process::pidfd_getfd(&pidfd, fd, PidfdGetfdFlags::empty())
                .map_err(|e| Error::sys("pidfd_getfd", format_args!("pid {owner} fd {fd}"), e))
        })
        .collect()
}

/// The tmpfs's sshd configuration test (`sshd -t`): every program and file
/// the installed OpenSSH needs must have been brought (OpenSSH 9.8 and
/// later exec sshd-session and sshd-auth for each connection).
pub fn check_kit() -> Result<()> {
    let out = Command::new(SSHD)
        .arg("-t")
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .output()
        .map_err(|e| Error::io("spawn", SSHD, &e))?;
    if out.status.success() {
        return Ok(());
    }
    Err(Error::failed(format!(
        "{SSHD} -t in the tmpfs: {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    )))
}

/// With the sshd kit in the tmpfs and no keeper yet in this lift: the
/// listening sockets are taken over (before the dead-man wait, so the
/// confirming login proves the tmpfs sshd; or at release, for a lift made
/// step by step).
pub fn keep_logins(j: &mut Journal, init: &Init) -> Result<()> {
    if !Path::new(SSHD).is_file() || Kept::from_cycle(&j.cycle()?).is_some() {
        return Ok(());
    }
    if !can_take_sockets() {
        // sshd stays until release stops it with the rest; return starts
        // it again. `plan` says so too.
        return j.log(
            &Stage::Entered,
            Event::ReleaseWarning,
            Detail::new().with("why", NOT_KEPT),
        );
    }
    take_over(j, init)
}

/// Why logins fail while the root is released on this kernel.
pub const NOT_KEPT: &str = "this kernel has no pidfd_getfd(2) (Linux 5.6): sshd is stopped at release \
     like the other holders and started again on return; new SSH logins fail meanwhile";

/// Takes the listening sockets over into a keeper running from the tmpfs,
/// then stops the sshd that ran from the old root (its unit through
/// systemd, else SIGTERM). Journaled as `release.ssh-keeper`.
pub fn take_over(j: &mut Journal, init: &Init) -> Result<()> {
    let Some(l) = find_listener() else {
        return j.log(
            &Stage::Entered,
            Event::ReleaseWarning,
            Detail::new().with("why", "no sshd listens: nothing to keep"),
        );
    };
    check_kit()?;
    let taken = take(l.pid, &l.fds)?;
    // The keeper inherits them: not close-on-exec, passed by number.
    let mut args: Vec<String> = vec![INTERNAL_KEEPER.to_owned()];
    for fd in &taken {
        rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::empty())
            .map_err(|e| Error::sys("fcntl(F_SETFD)", "a listening socket", e))?;
        args.push(fd.as_raw_fd().to_string());
    }
    let keeper = Command::new(super::SELF_IN_TMPFS)
        .args(&args)
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .stdin(Stdio::Null)
        .spawn()
        .map_err(|e| Error::io("spawn", super::SELF_IN_TMPFS, &e))?;
    drop(taken);
    let fds: Vec<String> = l.fds.iter().map(i32::to_string).collect();
    let kept: Vec<String> = args[1..].to_vec();
    // The unit's command line, asked while systemd answers (on return it
    // wraps it for the handback).
    let exec = match (init, l.unit.as_deref()) {
        (Init::Systemd, Some(u)) if u.ends_with(".service") => {
            let show = systemctl::capture(&["show", "--property=ExecStart", "--value", u])?;
            exec_argv(&show)
                .ok_or_else(|| Error::failed(format!("{u}: no ExecStart= in {show:?}")))?
                .join(" ")
        }
        _ => String::new(),
    };
    j.log(
        &Stage::Entered,
        Event::ReleaseSshKeeper,
        Detail::new()
            .with("keeper", keeper.id())
            .with("fds", kept.join(","))
            .with("from", l.pid)
            .with("from_fds", fds.join(","))
            .with_opt("unit", l.unit.as_deref())
            .with("exec", exec),
    )?;
    // The old sshd goes; its sockets stay open in the keeper. Its unit's
    // downtime is counted from here (clients see none).
    let unit = l.unit.as_deref().filter(|u| u.ends_with(".service"));
    j.log(
        &Stage::Entered,
        Event::ReleaseStopped,
        Detail::new()
            .with("pid", l.pid)
            .with("comm", "sshd")
            .with("unit", unit.unwrap_or("-"))
            .with("back", "none")
            .with("served_by", "keeper"),
    )?;
    // systemd removes a unit's RuntimeDirectory= when it stops (Debian's
    // ssh.service has /run/sshd), and an sshd refuses to run without its
    // privilege separation directory: the keeper's `sshd -i`, and a
    // connection the old sshd accepted just before it went, whose child
    // re-executes meanwhile (seen: "fatal: Missing privilege separation
    // directory", the login closed before the banner). rmdir(2): EBUSY on
    // a mount point, so each is bound onto itself across the stop.
    let dirs = privsep_dirs();
    let pinned = pin(&dirs);
    let stopped = match (init, unit) {
        (Init::Systemd, Some(u)) if Path::new(systemctl::PATH).exists() => {
            systemctl::run(&["stop", u])
        }
        _ => {
            let _ = rustix::process::kill_process(pid(l.pid)?, Signal::TERM);
            Ok(())
        }
    }
    .and_then(|()| wait_gone(l.pid, Duration::from_secs(10)));
    // umount2(2): MNT_DETACH, as a pre-auth child chroots into the
    // directory (its mount busy); the directory below stays.
    for dir in &pinned {
        let _ = crate::mount::umount(Path::new(dir), rustix::mount::UnmountFlags::DETACH);
    }
    stopped?;
    for dir in dirs {
        if !Path::new(&dir).is_dir() {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .mode(0o755)
                .create(&dir)
                .map_err(|e| Error::io("mkdir", &dir, &e))?;
        }
    }
    Ok(())
}

/// Binds each existing directory of `dirs` onto itself (mount(2)
/// MS_BIND); returns those bound. One that cannot be bound is left as it
/// is: the directories are made again after the stop in any case.
fn pin(dirs: &[String]) -> Vec<String> {
    dirs.iter()
        .filter(|d| Path::new(d).is_dir())
        .filter(|d| crate::mount::bind(Path::new(d), Path::new(d)).is_ok())
        .cloned()
        .collect()
}

/// The privilege separation directories the sshd names (`/run/sshd` on
/// Debian), from the strings compiled into it.
fn privsep_dirs() -> Vec<String> {
    let bytes = std::fs::read(SSHD).unwrap_or_default();
    let mut dirs: Vec<String> = Vec::new();
    for s in bytes.split(|&b| b == 0) {
        if (s == b"/run/sshd" || s == b"/var/run/sshd") && !dirs.iter().any(|d| d.as_bytes() == s) {
            dirs.push(String::from_utf8_lossy(s).into_owned());
        }
    }
    dirs
}

fn wait_gone(p: u32, within: Duration) -> Result<()> {
    let start = Instant::now();
    while !super::stop::gone(p) {
        if start.elapsed() > within {
            return Err(Error::failed(format!("sshd {p} did not stop")));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// `rootlift internal-ssh-keeper FD...`: waits on every listening socket
/// (poll(2)) and serves each connection with `sshd -i`, until it is
/// killed.
#[inline(never)]
pub fn keeper(fds: &[String]) -> Result<()> {
    use rustix::event::{PollFd, PollFlags, poll};
    let _ = rustix::process::setsid();
    crate::sys_process::ignore_hangup();
    // Served connections are never waited for: let the kernel reap them.
    crate::sys_process::ignore_children();
    let mut listeners = Vec::new();
    for fd in fds {
        let n: i32 = fd
            .parse()
            .map_err(|_| Error::usage(format!("{INTERNAL_KEEPER}: bad fd {fd}")))?;
        let fd = crate::sys_process::adopt_fd(n)?;
        // Inherited without close-on-exec (passed by number); set now, so
        // the `sshd -i` it starts do not hold the listeners too: the
        // handback waits for the real sshd by its listening sockets, and
        // one of those must not count (pidfd_getfd(2) ignores the flag).
        // (It cannot fail on an open fd.)
        let _ = rustix::io::fcntl_setfd(&fd, rustix::io::FdFlags::CLOEXEC);
        listeners.push(fd);
    }
    loop {
        let mut ready: Vec<PollFd<'_>> = listeners
            .iter()
            .map(|l| PollFd::new(l, PollFlags::IN))
            .collect();
        if poll(&mut ready, None).is_err() {
            continue;
        }
        let readable: Vec<bool> = ready
            .iter()
            .map(|p| p.revents().contains(PollFlags::IN))
            .collect();
        for (l, _) in listeners.iter().zip(readable).filter(|(_, r)| *r) {
            if let Ok(conn) = rustix::net::accept_with(l, rustix::net::SocketFlags::CLOEXEC) {
                serve(conn);
            }
        }
    }
}

/// One connection, given to `sshd -i` as its stdin and stdout.
fn serve(conn: OwnedFd) {
    let Ok(out) = conn.try_clone() else {
        return;
    };
    let _ = Command::new(SSHD)
        .arg("-i")
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .stdin(conn)
        .stdout(out)
        .stderr(Stdio::Null)
        .spawn();
}

/// What the keeper's journal line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub keeper: u32,
    /// The sockets' fd numbers in the keeper.
    pub fds: Vec<i32>,
    pub unit: Option<String>,
    /// The unit's ExecStart= command line, as systemctl showed it.
    pub exec: Vec<String>,
}

impl Kept {
    pub fn from_cycle(cycle: &[Entry]) -> Option<Kept> {
        let e = cycle
            .iter()
            .rev()
            .find(|e| e.event == Event::ReleaseSshKeeper)?;
        Some(Kept {
            keeper: e.get("keeper")?.parse().ok()?,
            fds: e
                .get("fds")?
                .split(',')
                .map(|f| f.parse().ok())
                .collect::<Option<_>>()?,
            unit: e.get("unit"),
            exec: e
                .get("exec")
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
        })
    }

    fn alive(&self) -> bool {
        std::fs::read(format!("/proc/{}/cmdline", self.keeper)).is_ok_and(|c| {
            c.split(|&b| b == 0)
                .any(|a| a == INTERNAL_KEEPER.as_bytes())
        })
    }
}

/// On return, once init answers: the real sshd takes the sockets from the
/// keeper and the keeper ends. Journals `return.ssh-handback` and, for the
/// unit, `return.up`.
pub fn hand_back(j: &mut Journal, cycle: &[Entry], init: &Init) -> Result<()> {
    let Some(kept) = Kept::from_cycle(cycle) else {
        return Ok(());
    };
    if !kept.alive() {
        return Ok(());
    }
    // A worker killed during the pivot back may have left it (and its
    // `sshd -i`) stopped.
    let keeper = pid(kept.keeper).ok();
    for p in keeper.into_iter().chain(sshds(keeper)) {
        let _ = rustix::process::kill_process(p, Signal::CONT);
    }
    let start = Instant::now();
    let sockets = match prepared_unit(cycle) {
        // Started with the other units, through the drop-in that
        // prepare_handback wrote before systemd resumed: done once the real
        // sshd listens; the drop-in goes either way.
        Some(unit) => {
            let listening = wait_listening(HANDBACK_TIMEOUT);
            remove_dropin(&unit);
            listening.and_then(|()| systemctl::run_until_ok(&["daemon-reload"], SYSTEMCTL_TIMEOUT))
        }
        None if takes_sockets(Path::new(SSHD)) => handback_with_sockets(&kept, init),
        None => Err(Error::failed(
            "the sshd cannot take listening sockets".into(),
        )),
    };
    let sockets = sockets.map_err(|e| {
        // The keeper still has the sockets and serves logins: say why,
        // then start sshd the plain way below.
        let _ = j.log(
            &Stage::Returning,
            Event::ReturnWarning,
            Detail::new()
                .with("why", "the sshd socket handback failed")
                .with("error", &e),
        );
    });
    let how = match sockets {
        Ok(()) => "sockets",
        Err(()) => {
            // No socket activation (or its handback failed): the keeper
            // lets go, sshd binds anew.
            stop_keeper(&kept);
            start_plainly(&kept, init)?;
            "restart"
        }
    };
    stop_keeper(&kept);
    j.log(
        &Stage::Returning,
        Event::ReturnSshHandback,
        Detail::new()
            .with("how", how)
            .with("ms", start.elapsed().as_millis()),
    )?;
    if let Some(unit) = &kept.unit {
        super::resume::log_up(j, unit, start)?;
    }
    Ok(())
}

/// Holds still every sshd that accepts or serves logins while /proc, /dev
/// and /run are away from `/`: between enter's pivot and its moves, and
/// while return moves them back and pivots. An sshd started or working
/// then finds none of them (no /dev/null, no /run/sshd) and closes its
/// connection, before the banner or in the middle of a login (seen in the
/// e2e guests, both ways round). Stopped (SIGSTOP), nothing accepts; a
/// new connection waits in the listen backlog and is served once the
/// guard drops (SIGCONT), a few hundred milliseconds later. Held: the
/// keeper first (then it forks no more), then every sshd process and every
/// child of the keeper (one forked but not yet `sshd -i`), but this
/// process's ancestors (the operator's session) and processes under a
/// seccomp filter. Those are sshd's sandboxed pre-auth children
/// (sshd-auth in OpenSSH 10): chrooted, they touch no file, and stopping
/// one kills it. A syscall with a timeout that SIGSTOP interrupts is
/// resumed after SIGCONT through restart_syscall(2), which OpenSSH's
/// filter does not allow: SIGSYS, the login closed (seen in the sysvinit
/// e2e guest as `audit: type=1326 ... comm="sshd" sig=31 syscall=219`).
/// Users' shells keep running.
pub struct LoginPause(Vec<Pid>);

impl LoginPause {
    /// Holds the sshd processes and, with the journal's `cycle` of a lift,
    /// the keeper and its children.
    pub fn new(cycle: &[Entry]) -> LoginPause {
        let keeper = live_keeper(cycle);
        let mut held = Vec::new();
        if let Some(k) = keeper {
            let _ = rustix::process::kill_process(k, Signal::STOP);
            held.push(k);
        }
        hold_all(held, || sshds(keeper))
    }
}

/// Holds (SIGSTOP) what `scan` finds besides `held`, and what it finds
/// then, until nothing new is found.
fn hold_all(mut held: Vec<Pid>, scan: impl Fn() -> Vec<Pid>) -> LoginPause {
    // A process may be forking while a scan finds it: the child is in
    // no scan yet and runs on (seen once in the networkd e2e guest: a
    // pre-auth child forked then did chroot("/run/sshd") between the
    // pivot and the move of /run, "No such file or directory", the
    // login closed). So scan again, each time once everything held is
    // stopped (a fork it was in has returned, its child is in /proc),
    // until a scan finds nothing new; a stopped process forks no more.
    for _ in 0..PAUSE_SCANS {
        settle(&held);
        let new: Vec<Pid> = scan().into_iter().filter(|p| !held.contains(p)).collect();
        if new.is_empty() {
            break;
        }
        for p in new {
            let _ = rustix::process::kill_process(p, Signal::STOP);
            held.push(p);
        }
    }
    LoginPause(held)
}

/// How many scans a pause makes at most (the second normally finds
/// nothing new).
const PAUSE_SCANS: usize = 8;
/// How long a pause waits at most for what it signalled to stop.
const PAUSE_SETTLE: Duration = Duration::from_millis(500);

/// Waits, at most [`PAUSE_SETTLE`], until each of `pids` is stopped or
/// gone (proc_pid_stat(5) state T, t, Z or X, or no stat at all).
fn settle(pids: &[Pid]) {
    use crate::proc::holders::stat;
    let stopped = |p: &Pid| {
        let text = stat::read(p.as_raw_nonzero().get().unsigned_abs()).unwrap_or_default();
        stat::parse(&text).is_none_or(|s| stat::is_still(s.state))
    };
    let start = Instant::now();
    while !pids.iter().all(stopped) && start.elapsed() < PAUSE_SETTLE {
        std::thread::sleep(Duration::from_millis(2));
    }
}

impl Drop for LoginPause {
    fn drop(&mut self) {
        for &p in &self.0 {
            let _ = rustix::process::kill_process(p, Signal::CONT);
        }
    }
}

fn live_keeper(cycle: &[Entry]) -> Option<Pid> {
    Kept::from_cycle(cycle)
        .filter(Kept::alive)
        .and_then(|k| pid(k.keeper).ok())
}

/// The processes a pause holds besides the keeper: every sshd process
/// (listener, pre-auth children that re-execute, sessions) and every child
/// of the keeper, but those this process descends from (holding the
/// operator's own session while it writes to its terminal could block)
/// and those under a seccomp filter.
fn sshds(keeper: Option<Pid>) -> Vec<Pid> {
    let stat = |p: u32| {
        let text = crate::proc::holders::stat::read(p).unwrap_or_default();
        crate::proc::holders::stat::parse(&text).map(|s| (s.comm.to_vec(), s.ppid))
    };
    let keeper = keeper.map(|k| k.as_raw_nonzero().get().unsigned_abs());
    let mut ours = Vec::new();
    let mut at = std::process::id();
    while at > 1 && ours.len() < 64 {
        ours.push(at);
        at = stat(at).map_or(0, |(_, ppid)| ppid);
    }
    crate::proc::processes()
        .map(|(p, _)| p)
        .filter(|p| !ours.contains(p) && Some(*p) != keeper)
        .filter(|&p| {
            stat(p).is_some_and(|(comm, ppid)| comm.starts_with(b"sshd") || Some(ppid) == keeper)
        })
        .filter(|&p| !crate::proc::status::under_seccomp(p))
        .filter_map(|p| pid(p).ok())
        .collect()
}

fn stop_keeper(kept: &Kept) {
    if kept.alive()
        && let Ok(p) = pid(kept.keeper)
    {
        let _ = rustix::process::kill_process(p, Signal::TERM);
    }
}

/// The command line that takes the sockets from the keeper and execs
/// `sshd ARGS`.
fn handback_argv(kept: &Kept, sshd: &[String]) -> Vec<String> {
    let fds: Vec<String> = kept.fds.iter().map(i32::to_string).collect();
    let mut v = vec![
        format!("{}{}", super::NEWROOT, super::SELF_IN_TMPFS),
        INTERNAL_HANDBACK.to_owned(),
        kept.keeper.to_string(),
        fds.join(","),
        "--".to_owned(),
    ];
    v.extend(sshd.iter().cloned());
    v
}

/// The drop-in's directory and file for `unit`.
fn dropin_paths(unit: &str) -> (String, String) {
    let dir = format!("{DROPIN_DIR}/{unit}.d");
    let file = format!("{dir}/{DROPIN}");
    (dir, file)
}

/// The runtime drop-in that starts `unit` once with the keeper's sockets:
/// the unit's own command line, wrapped.
fn write_dropin(kept: &Kept, unit: &str) -> Result<()> {
    let (dir, file) = dropin_paths(unit);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("mkdir", &dir, &e))?;
    let text = format!(
        "# rootlift: the listening sockets go back to sshd; removed at once\n\
         [Service]\nExecStart=\nExecStart={}\n",
        handback_argv(kept, &kept.exec).join(" ")
    );
    std::fs::write(&file, text).map_err(|e| Error::io("write", &file, &e))
}

fn remove_dropin(unit: &str) {
    let (dir, file) = dropin_paths(unit);
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_dir(&dir);
}

/// Just before PID 1 leaves the stub: systemd loads its unit files again
/// as it re-executes, so a drop-in written now is in force without a
/// daemon-reload (seconds under emulation), and return can start sshd's
/// unit in the same transaction as the others. Only for a lift whose
/// PID 1 was handed off by systemd, with a keeper alive.
pub fn prepare_handback(cycle: &[Entry]) -> Result<()> {
    let Some(kept) = Kept::from_cycle(cycle) else {
        return Ok(());
    };
    let to_systemd = cycle
        .iter()
        .any(|e| e.is(Event::ReleaseHandoff, "init", "systemd"));
    match kept.unit.as_deref() {
        Some(unit)
            if to_systemd
                && kept.alive()
                && !kept.exec.is_empty()
                && takes_sockets(Path::new(SSHD))
                && Path::new(systemctl::PATH).exists() =>
        {
            write_dropin(&kept, unit)
        }
        _ => Ok(()),
    }
}

/// The keeper's unit, when [`prepare_handback`] wrote its drop-in.
pub fn prepared_unit(cycle: &[Entry]) -> Option<String> {
    Kept::from_cycle(cycle)?
        .unit
        .filter(|u| Path::new(&dropin_paths(u).1).exists())
}

/// The handback when systemd did not resume from the stub this time (a
/// dead-man expiry before release, a second `return`), or under sysvinit.
fn handback_with_sockets(kept: &Kept, init: &Init) -> Result<()> {
    match (init, kept.unit.as_deref()) {
        (Init::Systemd, Some(unit))
            if Path::new(systemctl::PATH).exists() && !kept.exec.is_empty() =>
        {
            write_dropin(kept, unit)?;
            // A systemd that has just re-executed answers only once it has
            // deserialized: both asked again until it does.
            let started = systemctl::run_until_ok(&["daemon-reload"], SYSTEMCTL_TIMEOUT)
                .and_then(|()| systemctl::run_until_ok(&["start", unit], SYSTEMCTL_TIMEOUT));
            remove_dropin(unit);
            systemctl::run_until_ok(&["daemon-reload"], SYSTEMCTL_TIMEOUT)?;
            started?;
        }
        _ => {
            Command::new(format!("{}{}", super::NEWROOT, super::SELF_IN_TMPFS))
                .args(&handback_argv(kept, &[SSHD.to_owned(), "-D".to_owned()])[1..])
                .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
                .stdin(Stdio::Null)
                .stdout(Stdio::Null)
                .stderr(Stdio::Null)
                .spawn()
                .map_err(|e| Error::io("spawn", "the sshd handback", &e))?;
            wait_listening(Duration::from_secs(20))?;
        }
    }
    Ok(())
}

/// Waits until an sshd other than the keeper's children listens.
fn wait_listening(within: Duration) -> Result<()> {
    let start = Instant::now();
    while start.elapsed() < within {
        if find_listener().is_some() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(Error::failed("the real sshd does not listen".into()))
}

fn start_plainly(kept: &Kept, init: &Init) -> Result<()> {
    match (init, kept.unit.as_deref()) {
        (Init::Systemd, Some(unit)) => systemctl::run_until_ok(&["start", unit], SYSTEMCTL_TIMEOUT),
        _ => {
            let status = Command::new("/etc/init.d/ssh")
                .arg("start")
                .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
                .status()
                .map_err(|e| Error::io("spawn", "/etc/init.d/ssh", &e))?;
            if status.success() {
                Ok(())
            } else {
                Err(Error::command(
                    "/etc/init.d/ssh start".into(),
                    status.to_string(),
                ))
            }
        }
    }
}

/// The `argv[]=` of `systemctl show --property=ExecStart --value`:
/// `{ path=/usr/sbin/sshd ; argv[]=/usr/sbin/sshd -D $SSHD_OPTS ; ... }`.
pub fn exec_argv(show: &str) -> Option<Vec<String>> {
    let rest = show.split_once("argv[]=")?.1;
    let argv = rest.split(" ;").next()?.trim();
    let v: Vec<String> = argv.split_whitespace().map(str::to_owned).collect();
    (!v.is_empty()).then_some(v)
}

/// `rootlift internal-ssh-handback KEEPER FD,FD... -- SSHD ARGS...`: takes
/// the keeper's sockets, places them at fd 3, 4, ..., says so in
/// `LISTEN_FDS`/`LISTEN_PID` (sd_listen_fds(3)), and execs sshd.
#[inline(never)]
pub fn handback(keeper: &str, fds: &str, argv: &[std::ffi::OsString]) -> Result<()> {
    let keeper: u32 = keeper
        .parse()
        .map_err(|_| Error::usage(format!("{INTERNAL_HANDBACK}: bad pid {keeper}")))?;
    let fds: Vec<i32> = fds
        .split(',')
        .map(|f| f.parse())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| Error::usage(format!("{INTERNAL_HANDBACK}: bad fds {fds}")))?;
    // Taken, they land on the lowest free numbers (3, 4, ...), where the
    // copies must go: first out of the way, above the numbers to fill.
    let taken = take(keeper, &fds)?;
    let high: Vec<OwnedFd> = taken
        .iter()
        .map(|fd| {
            rustix::io::fcntl_dupfd_cloexec(fd, 64)
                .map_err(|e| Error::sys("fcntl(F_DUPFD_CLOEXEC)", "a listening socket", e))
        })
        .collect::<Result<_>>()?;
    drop(taken);
    for (i, fd) in high.iter().enumerate() {
        let at = 3 + i32::try_from(i).map_err(|_| Error::failed("too many fds".into()))?;
        crate::sys_process::dup_to(fd.as_fd(), at)?;
    }
    drop(high);
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| Error::usage(format!("{INTERNAL_HANDBACK}: no command")))?;
    let err = Command::new(program)
        .args(args)
        .inherit_env()
        .env("LISTEN_FDS", fds.len().to_string())
        .env("LISTEN_PID", std::process::id().to_string())
        .exec();
    Err(Error::io("execve", program.to_string_lossy(), &err))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `top` and every process descending from it, with its stat state.
    fn tree(top: u32) -> Vec<(u32, u8)> {
        let all: Vec<(u32, u32, u8)> = crate::proc::processes()
            .filter_map(|(p, _)| {
                let text = crate::proc::holders::stat::read(p)?;
                let s = crate::proc::holders::stat::parse(&text)?;
                Some((p, s.ppid, s.state))
            })
            .collect();
        let mut out: Vec<(u32, u8)> = all
            .iter()
            .filter(|a| a.0 == top)
            .map(|a| (a.0, a.2))
            .collect();
        let mut i = 0;
        while i < out.len() {
            let parent = out[i].0;
            out.extend(all.iter().filter(|a| a.1 == parent).map(|a| (a.0, a.2)));
            i += 1;
        }
        out
    }

    /// A shell forking as fast as it can: when the pause returns, every
    /// process of its tree is stopped (or already exited), children forked
    /// while the shell was being stopped included (one scan leaves some of
    /// those running). The tree is this test's own; nothing else is held.
    #[test]
    fn a_pause_holds_the_children_forked_while_it_scans() {
        for round in 0..5 {
            let shell = Command::new("/bin/sh")
                .args(["-c", "while :; do sleep 0.5 & done"])
                .process_group()
                .spawn()
                .expect("spawn sh");
            let top = shell.id();
            std::thread::sleep(Duration::from_millis(50));
            let pause = hold_all(Vec::new(), || {
                tree(top)
                    .into_iter()
                    .filter_map(|(p, _)| pid(p).ok())
                    .collect()
            });
            let running: Vec<(u32, char)> = tree(top)
                .into_iter()
                .filter(|&(_, st)| !crate::proc::holders::stat::is_still(st))
                .map(|(p, st)| (p, st as char))
                .collect();
            let held = pause.0.len();
            let group = rustix::process::Pid::from_raw(top as i32).expect("a pid");
            let _ = rustix::process::kill_process_group(group, Signal::KILL);
            drop(pause);
            let _ = shell.wait();
            assert!(
                running.is_empty(),
                "round {round}: {held} held, still running: {running:?}"
            );
        }
    }

    #[test]
    fn socket_activation_is_seen_through_libsystemd_or_the_variable() {
        assert!(names_listen_fds(b"\0sd_notify\0sd_listen_fds\0x"));
        assert!(names_listen_fds(b"\0LISTEN_PID\0LISTEN_FDS\0NOTIFY_SOCKET"));
        assert!(!names_listen_fds(b"\0sd_notify\0NOTIFY_SOCKET\0"));
        assert!(!names_listen_fds(b"MY_LISTEN_FDS\0"));
    }

    #[test]
    fn listening_sockets_are_read_from_proc_net_tcp() {
        let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 19431 1 0000000000000000 100 0 0 10 0\n   1: 0F02000A:0016 0202000A:C350 01 00000000:00000000 02:0009F3D8 00000000     0        0 21001 4 0000000000000000 20 4 29 10 -1\n";
        let tcp6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 19433 1 0000000000000000 100 0 0 10 0\n";
        assert_eq!(listening_inodes(&[tcp, tcp6]), [19431, 19433]);
        assert_eq!(listening_inodes(&[""]), Vec::<u64>::new());
    }

    #[test]
    fn the_units_command_line_is_read_from_systemctl_show() {
        let show = "{ path=/usr/sbin/sshd ; argv[]=/usr/sbin/sshd -D $SSHD_OPTS ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }\n";
        assert_eq!(
            exec_argv(show).unwrap(),
            ["/usr/sbin/sshd", "-D", "$SSHD_OPTS"]
        );
        assert_eq!(exec_argv("{ path=/x ; }"), None);
        assert_eq!(exec_argv(""), None);
    }

    #[test]
    fn the_keepers_line_reads_back() {
        let text = "1.000 idle enter.begin pid=1\n2.000 entered release.ssh-keeper keeper=77 fds=5,6 from=40 from_fds=3,4 unit=ssh.service exec=/usr/sbin/sshd%20-D%20$SSHD_OPTS\n";
        let kept = Kept::from_cycle(&crate::journal::parse(text).unwrap()).unwrap();
        assert_eq!(
            kept,
            Kept {
                keeper: 77,
                fds: vec![5, 6],
                unit: Some("ssh.service".into()),
                exec: vec!["/usr/sbin/sshd".into(), "-D".into(), "$SSHD_OPTS".into()],
            }
        );
        let argv = handback_argv(&kept, &["/usr/sbin/sshd".into(), "-D".into()]);
        assert_eq!(
            argv,
            [
                "/run/rootlift/root/usr/bin/rootlift",
                INTERNAL_HANDBACK,
                "77",
                "5,6",
                "--",
                "/usr/sbin/sshd",
                "-D"
            ]
        );
    }
}
