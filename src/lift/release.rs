//! `rootlift release`: SPEC.md "Steps", release 1-5. Finds what holds the
//! old root, hands PID 1 to the init stub, stops the rest, unmounts
//! everything under /oldroot, and proves the device free before any job may
//! touch it.

use std::path::Path;
use std::time::{Duration, Instant};

use rustix::fs::{CWD, FileType, Mode, OFlags, mknodat, openat};
use rustix::io::Errno;
use rustix::process::{Pid, Signal};

use super::record::{self, Record};
use super::{OLDROOT, is_lifted, mounts_now, stop, units};
use crate::error::{Error, Result};
use crate::journal::{self, Journal, Stage, escape};
use crate::proc::holders::{self, Access, Report, Target};
use crate::proc::init::{self, Init};
use crate::stub;

pub struct ReleaseOptions {
    /// Stop the remaining holders (SIGTERM, then SIGKILL after `grace`).
    pub kill: bool,
    pub grace: Duration,
}

/// How long PID 1 may take to exec the stub after SIGTERM (the notes
/// measured 0.4-0.6 s in a software-emulated guest).
const HANDOFF_TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(100);

/// `rootlift release` from the command line.
pub fn command(opts: &ReleaseOptions) -> Result<()> {
    if !rustix::process::geteuid().is_root() {
        return Err(Error::Refused("release must run as root".into()));
    }
    let entries = journal::read()?.unwrap_or_default();
    let stage = journal::current_stage(&entries);
    match stage {
        Stage::Released => {
            return crate::output::text("released: the old root is already released\n");
        }
        Stage::Entered | Stage::Failed(_) if is_lifted(&mounts_now()?) => {}
        _ => {
            return Err(Error::Refused(format!(
                "not lifted (stage {stage}): run 'rootlift enter' first"
            )));
        }
    }
    let rec = record::read(journal::current_cycle(&entries))?;
    // This step may stop the login shell it was started from.
    crate::sys_process::ignore_hangup();
    let mut j = Journal::open()?;
    release(&mut j, &rec, opts)?;
    crate::output::text(&format!(
        "released: {} is unmounted and free; run the job, then 'rootlift return'\n",
        rec.root.source
    ))
}

/// release 1-5. On error the stage is `failed:release` and the system is
/// still lifted: `return` brings it back.
pub fn release(j: &mut Journal, rec: &Record, opts: &ReleaseOptions) -> Result<()> {
    j.log(
        &Stage::Entered,
        "release.begin",
        &format!("kill={} grace_ms={}", opts.kill, opts.grace.as_millis()),
    )?;
    match steps(j, rec, opts) {
        Ok(()) => j.log(
            &Stage::Released,
            "release.done",
            &format!("device={}", escape(&rec.root.source)),
        ),
        // A refusal changed nothing: the system is still just entered.
        Err(e @ Error::Refused(_)) => {
            j.log(
                &Stage::Entered,
                "release.refused",
                &format!("why={}", escape(&e.to_string())),
            )?;
            Err(e)
        }
        Err(e) => {
            j.log(
                &Stage::Failed("release".into()),
                "release.failed",
                &format!("why={}", escape(&e.to_string())),
            )?;
            Err(e)
        }
    }
}

/// How many scan-and-stop rounds release 3 makes at most.
const STOP_ROUNDS: usize = 5;

fn steps(j: &mut Journal, rec: &Record, opts: &ReleaseOptions) -> Result<()> {
    // release 1: who holds the old root, and how.
    let target = Target::for_path(Path::new(OLDROOT))?;
    let report = holders::scan(&target)?;
    let others = stop::stoppable(&report);
    log_holders(j, &report)?;
    if !others.is_empty() && !opts.kill {
        return Err(Error::Refused(format!(
            "{} process(es) still hold the old root and --kill was not given: {}",
            others.len(),
            describe(&report, &others)
        )));
    }

    // release 2: PID 1. Never killed; handed off to the stub when it pins
    // the old root.
    if report.processes.iter().any(|h| h.pid == 1) {
        handoff_pid1(j, &report)?;
    }

    // release 3: the rest, SIGTERM then SIGKILL. Never PID 1, never
    // rootlift itself, never kernel threads (the scan skips those). A
    // holder may start a child after a scan (a shell's next command
    // inherits its files): scan again until none is left, a few rounds.
    for _ in 0..STOP_ROUNDS {
        let report = holders::scan(&target)?;
        if stop::stoppable(&report).is_empty() {
            break;
        }
        stop::stop_holders(j, &report, opts.grace)?;
    }

    // release 4: unmount everything under /oldroot, deepest first.
    unmount_oldroot(j)?;

    // release 5: the kernel's word that nothing holds the device.
    prove_free(j, rec)
}

fn describe(r: &Report, pids: &[u32]) -> String {
    r.processes
        .iter()
        .filter(|h| pids.contains(&h.pid))
        .map(|h| format!("{} ({})", h.pid, h.comm))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How much of a holder's access list one journal line carries: enough
/// for the exe, cwd and a dozen files, and the whole line still fits one
/// kernel-log record (`rootlift holders` lists everything).
const ACCESS_BUDGET: usize = 640;

fn log_holders(j: &mut Journal, r: &Report) -> Result<()> {
    for h in &r.processes {
        let (access, more) = bounded_access(&h.access, ACCESS_BUDGET);
        j.log(
            &Stage::Entered,
            "release.holder",
            &format!(
                "pid={} comm={} unit={} access={access} more={more}",
                h.pid,
                escape(&h.comm),
                escape(h.unit.as_deref().unwrap_or("-")),
            ),
        )?;
    }
    Ok(())
}

/// The escaped, comma-joined accesses that fit in `budget` bytes (always
/// the first one), and how many were left out.
fn bounded_access(access: &[Access], budget: usize) -> (String, usize) {
    let mut out = String::new();
    for (i, a) in access.iter().enumerate() {
        let item = escape(&a.to_string());
        if i > 0 && out.len() + 1 + item.len() > budget {
            return (out, access.len() - i);
        }
        if i > 0 {
            out.push(',');
        }
        out.push_str(&item);
    }
    (out, 0)
}

/// Hands PID 1 to the stub the way its init re-execs itself.
fn handoff_pid1(j: &mut Journal, report: &Report) -> Result<()> {
    let which = init::detect(Path::new("/"));
    install_stub()?;
    match which {
        Init::Systemd => {
            units::restart_brought(j, report)?;
            units::stop_before_handoff(j)?;
            // SIGTERM makes systemd serialize its state and exec
            // /lib/systemd/systemd, which in the tmpfs is the stub.
            rustix::process::kill_process(Pid::INIT, Signal::TERM)
                .map_err(|e| Error::sys("kill(SIGTERM)", "pid 1", e))?;
        }
        Init::Sysvinit => request_sysvinit_reexec()?,
        other => {
            return Err(Error::Refused(format!(
                "PID 1 ({}) holds the old root and rootlift cannot hand it off",
                other.name()
            )));
        }
    }
    wait_for_stub()?;
    j.log(
        &Stage::Entered,
        "release.handoff",
        &format!("init={}", which.name()),
    )
}

/// Places the stub (hard links to the tmpfs copy of rootlift) where the
/// inits re-exec themselves from, with `lib -> usr/lib` so
/// /lib/systemd/systemd resolves, and the trigger FIFO.
fn install_stub() -> Result<()> {
    for dir in ["usr", "usr/lib", "usr/lib/systemd", "sbin"] {
        let path = format!("/{dir}");
        match rustix::fs::mkdirat(CWD, path.as_str(), Mode::from_raw_mode(0o755)) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => return Err(Error::sys("mkdir", path, e)),
        }
    }
    match rustix::fs::symlinkat("usr/lib", CWD, "/lib") {
        Ok(()) | Err(Errno::EXIST) => {}
        Err(e) => return Err(Error::sys("symlink", "/lib", e)),
    }
    for rel in stub::INSTALL_PATHS {
        let path = format!("/{rel}");
        match rustix::fs::linkat(
            CWD,
            super::SELF_IN_TMPFS,
            CWD,
            path.as_str(),
            rustix::fs::AtFlags::empty(),
        ) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => return Err(Error::sys("link", path, e)),
        }
    }
    match mknodat(
        CWD,
        stub::FIFO,
        FileType::Fifo,
        Mode::from_raw_mode(0o600),
        0,
    ) {
        Ok(()) | Err(Errno::EXIST) => Ok(()),
        Err(e) => Err(Error::sys("mkfifo", stub::FIFO, e)),
    }
}

/// sysvinit: `telinit u` is a request on /run/initctl (initreq.h: struct
/// init_request, 384 bytes, magic 0x03091969, cmd INIT_CMD_RUNLVL = 1,
/// runlevel 'U'), which makes init re-exec /sbin/init: the stub.
fn request_sysvinit_reexec() -> Result<()> {
    const INIT_MAGIC: i32 = 0x0309_1969;
    const INIT_CMD_RUNLVL: i32 = 1;
    let mut req = [0u8; 384];
    req[0x0..0x4].copy_from_slice(&INIT_MAGIC.to_ne_bytes());
    req[0x4..0x8].copy_from_slice(&INIT_CMD_RUNLVL.to_ne_bytes());
    req[0x8..0xc].copy_from_slice(&i32::from(b'U').to_ne_bytes());
    let path = "/run/initctl";
    let fd = openat(
        CWD,
        path,
        OFlags::WRONLY | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::sys("open", path, e))?;
    rustix::io::write(&fd, &req).map_err(|e| Error::sys("write", path, e))?;
    Ok(())
}

/// Waits until PID 1 runs from the tmpfs (its exe is on the same fs as /).
fn wait_for_stub() -> Result<()> {
    let root = rustix::fs::stat("/").map_err(|e| Error::sys("stat", "/", e))?;
    let start = Instant::now();
    loop {
        if let Ok(exe) = rustix::fs::stat("/proc/1/exe")
            && exe.st_dev == root.st_dev
        {
            return Ok(());
        }
        if start.elapsed() > HANDOFF_TIMEOUT {
            return Err(Error::Failed(format!(
                "pid 1 did not exec the init stub within {} s",
                HANDOFF_TIMEOUT.as_secs()
            )));
        }
        std::thread::sleep(POLL);
    }
}

/// umount2 every mount under /oldroot, deepest first; what a plain umount
/// cannot free is detached (MNT_DETACH), and the proof of freedom that
/// follows tells whether that was enough.
fn unmount_oldroot(j: &mut Journal) -> Result<()> {
    let (count, detached) = super::unmount_under(OLDROOT)?;
    j.log(
        &Stage::Entered,
        "release.unmounted",
        &format!("count={count} detached={}", escape(&detached.join(","))),
    )
}

/// release 5: open(2) with O_EXCL fails with EBUSY while any mount or
/// holder of the block device remains; for a dm device the open count must
/// be 0 as well (an lazily unmounted fs still holds it open).
fn prove_free(j: &mut Journal, rec: &Record) -> Result<()> {
    let node = record::root_device_node(rec)?;
    match openat(
        CWD,
        node.as_str(),
        OFlags::RDONLY | OFlags::EXCL | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => drop(fd),
        Err(e) => {
            let who = holders::scan(&Target::for_device(Path::new(&node))?)
                .map(|r| describe(&r, &r.processes.iter().map(|h| h.pid).collect::<Vec<_>>()))
                .unwrap_or_default();
            return Err(Error::Failed(format!(
                "{} is not free: open(O_EXCL) failed with {}; still held by: {}",
                rec.root.source,
                crate::error::ErrnoText(e),
                if who.is_empty() {
                    "(no process: a detached mount or a kernel holder)".to_owned()
                } else {
                    who
                }
            )));
        }
    }
    let holders_dir = format!(
        "/sys/dev/block/{}:{}/holders",
        rec.root.major, rec.root.minor
    );
    let kernel_holders: Vec<String> = std::fs::read_dir(&holders_dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    if !kernel_holders.is_empty() {
        return Err(Error::Failed(format!(
            "{} is not free: held by {}",
            rec.root.source,
            kernel_holders.join(", ")
        )));
    }
    let open_count = crate::dm::open_count(rec.root.major, rec.root.minor)?;
    if let Some(n) = open_count
        && n != 0
    {
        return Err(Error::Failed(format!(
            "{} is not free: device-mapper open count is {n}",
            rec.root.source
        )));
    }
    j.log(
        &Stage::Entered,
        "release.free",
        &format!(
            "device={} o_excl=ok dm_open_count={}",
            escape(&node),
            open_count.map_or("n/a".into(), |n| n.to_string())
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn holder_lines_are_bounded_and_count_what_they_leave_out() {
        let access: Vec<Access> =
            std::iter::once(Access::Exe(PathBuf::from("/oldroot/usr/sbin/sshd")))
                .chain(
                    (0..100)
                        .map(|i| Access::Map(PathBuf::from(format!("/oldroot/usr/lib/lib{i}.so")))),
                )
                .collect();
        let (text, more) = bounded_access(&access, ACCESS_BUDGET);
        assert!(text.len() <= ACCESS_BUDGET);
        assert!(text.starts_with("exe%20/oldroot/usr/sbin/sshd,map%20"));
        let shown = text.split(',').count();
        assert_eq!(shown + more, access.len());
        assert!(more > 0);

        let (all, none) = bounded_access(&access[..3], ACCESS_BUDGET);
        assert_eq!((all.split(',').count(), none), (3, 0));
        assert_eq!(bounded_access(&[], ACCESS_BUDGET), (String::new(), 0));
    }
}
