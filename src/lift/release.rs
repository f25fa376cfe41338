//! `rootlift release`: release 1-5 of the design (docs/design.md). Finds
//! what holds the old root and decides each holder's fate, refuses what it
//! cannot do before changing anything, hands PID 1 to the init stub, stops
//! the rest, parks or unmounts the mounts below the old root, unmounts it,
//! and proves the device free before any job may touch it.

use std::path::Path;
use std::time::{Duration, Instant};

use rustix::fs::{CWD, FileType, Mode, OFlags, mknodat, openat};
use rustix::io::Errno;
use rustix::process::{Pid, Signal};

use super::classify::Live;
use super::fate::{self, Fate};
use super::ops::{Kernel, Ops};
use super::record::{self, Record, RootRecord};
use super::{OLDROOT, checkpoint, is_lifted, mounts, mounts_now, stop, units};
use crate::error::{Error, Result};
use crate::journal::{self, Detail, Event, Journal, Stage};
use crate::proc::holders::{self, Access, Holder, Target};
use crate::proc::init::{self, Init};
use crate::stub;

pub struct ReleaseOptions {
    /// Stop the remaining holders (SIGTERM, then SIGKILL after `grace`).
    pub kill: bool,
    pub grace: Duration,
    /// Unmount for good the mounts that cannot be put back exactly.
    pub drop_unrestorable: bool,
}

/// The default `--grace`: SIGTERM, then SIGKILL after this.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// How long PID 1 may take to exec the stub after SIGTERM (0.4-0.6 s
/// measured in a software-emulated guest).
const HANDOFF_TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(100);

/// `rootlift release` from the command line.
#[inline(never)]
pub fn command(opts: &ReleaseOptions) -> Result<()> {
    if !rustix::process::geteuid().is_root() {
        return Err(Error::refused("release must run as root".into()));
    }
    let entries = journal::read()?.unwrap_or_default();
    let stage = journal::current_stage(&entries);
    match stage {
        Stage::Released => {
            return crate::output::text("released: the old root is already released\n");
        }
        Stage::Entered | Stage::Failed(_) if is_lifted(&mounts_now()?) => {}
        _ => {
            return Err(Error::refused(format!(
                "not lifted (stage {stage}): run 'rootlift enter' first"
            )));
        }
    }
    let mut rec = record::read(journal::current_cycle(&entries))?;
    // This step may stop the login shell it was started from.
    crate::sys_process::ignore_hangup();
    let mut j = Journal::open()?;
    release(&mut j, &mut rec, opts)?;
    crate::output::text(&format!(
        "released: {} is unmounted and free; run the job, then 'rootlift return'\n",
        rec.root.source
    ))
}

/// release 1-5. A refusal changes nothing (the stage stays `entered`); any
/// other error leaves the stage `failed:release`, still lifted: `return`
/// brings the system back.
pub fn release(j: &mut Journal, rec: &mut Record, opts: &ReleaseOptions) -> Result<()> {
    j.log(
        &Stage::Entered,
        Event::ReleaseBegin,
        Detail::new()
            .with("kill", opts.kill)
            .with("grace_ms", opts.grace.as_millis())
            .with("drop_unrestorable", opts.drop_unrestorable),
    )?;
    match steps(j, rec, opts) {
        Ok(()) => j.log(
            &Stage::Released,
            Event::ReleaseDone,
            Detail::new().with("device", &rec.root.source),
        ),
        Err(e) if e.is_refused() => {
            j.log(
                &Stage::Entered,
                Event::ReleaseRefused,
                Detail::new().with("why", &e),
            )?;
            Err(e)
        }
        Err(e) => {
            j.log(
                &Stage::Failed("release".into()),
                Event::ReleaseFailed,
                Detail::new().with("why", &e),
            )?;
            Err(e)
        }
    }
}

/// The steps of release, in order; fault injection can stop after each.
pub const STEPS: [&str; 5] = ["holders", "handoff", "stop", "mounts", "free"];

/// How many scan-and-stop rounds release 3 makes at most.
const STOP_ROUNDS: usize = 5;

fn steps(j: &mut Journal, rec: &mut Record, opts: &ReleaseOptions) -> Result<()> {
    // release 1: who holds the old root, how, and what happens to each;
    // everything that would refuse is checked before anything changes.
    let target = Target::for_path(Path::new(OLDROOT))?;
    let report = holders::scan(&target)?;
    let init = init::detect(Path::new("/"));
    let fates: Vec<(&Holder, Fate)> = report
        .processes
        .iter()
        .map(|h| (h, fate::of(h, &init)))
        .collect();
    log_holders(j, &fates)?;
    refusals(&fates, opts)?;
    let facts = Live { prefix: OLDROOT };
    mounts::check_restorable(&Kernel, rec, &facts, opts.drop_unrestorable)?;
    checkpoint("release", STEPS[0])?;

    // release 2: the way in kept (sshd's sockets, when its kit is in the
    // tmpfs), then PID 1, never killed: handed off to the stub when it pins
    // the old root.
    super::sshd::keep_logins(j, &init)?;
    if fates.iter().any(|(h, _)| h.pid == 1) {
        handoff_pid1(j, &init)?;
    }
    checkpoint("release", STEPS[1])?;

    // release 3: the rest, by their fate: SIGKILL for the network daemons,
    // SIGTERM, grace, SIGKILL for the others. Never PID 1, never rootlift,
    // never kernel threads (the scan skips those). A holder may start a
    // child after a scan (a shell's next command inherits its files):
    // scan again until none is left, a few rounds.
    for _ in 0..STOP_ROUNDS {
        let report = holders::scan(&target)?;
        if stop::stop_holders(j, &report, &init, opts.grace)? == 0 {
            break;
        }
    }
    checkpoint("release", STEPS[2])?;

    // release 4: the mounts below the old root parked or unmounted, then
    // the old root itself.
    mounts::release(&mut Kernel, j, rec, &facts)?;
    checkpoint("release", STEPS[3])?;

    // release 5: the kernel's word that nothing holds the device.
    prove_free(j, &rec.root, &mut Kernel)?;
    checkpoint("release", STEPS[4])
}

/// What release cannot or may not do, as a refusal: PID 1 that cannot be
/// handed off, root-storage daemons, and holders to stop without --kill.
fn refusals(fates: &[(&Holder, Fate)], opts: &ReleaseOptions) -> Result<()> {
    let named = |f: &dyn Fn(Fate) -> bool| -> Vec<String> {
        fates
            .iter()
            .filter(|(_, fate)| f(*fate))
            .map(|(h, _)| format!("{} ({})", h.pid, h.comm))
            .collect()
    };
    let pid1 = named(&|f| f == Fate::CannotHandOff);
    if !pid1.is_empty() {
        return Err(Error::refused(format!(
            "PID 1 holds the old root and its init cannot be handed off: {}",
            pid1.join(", ")
        )));
    }
    let storage = named(&|f| f == Fate::Storage);
    if !storage.is_empty() {
        return Err(Error::refused(format!(
            "root-storage daemons (argv[0] '@') hold the old root and are never stopped: {}",
            storage.join(", ")
        )));
    }
    let others = named(&|f| !matches!(f, Fate::HandOff | Fate::Itself));
    if !others.is_empty() && !opts.kill {
        return Err(Error::refused(format!(
            "{} process(es) still hold the old root and --kill was not given: {}",
            others.len(),
            others.join(", ")
        )));
    }
    Ok(())
}

/// How much of a holder's access list one journal line carries: enough
/// for the exe, cwd and a dozen files, and the whole line still fits one
/// kernel-log record (`rootlift holders` lists everything).
const ACCESS_BUDGET: usize = 640;

fn log_holders(j: &mut Journal, fates: &[(&Holder, Fate)]) -> Result<()> {
    for (h, f) in fates {
        let (access, more) = bounded_access(&h.access, ACCESS_BUDGET);
        j.log(
            &Stage::Entered,
            Event::ReleaseHolder,
            Detail::new()
                .with("pid", h.pid)
                .with("comm", &h.comm)
                .with("unit", h.unit.as_deref().unwrap_or("-"))
                .with("fate", format_args!("{f:?}"))
                .with("access", access)
                .with("more", more),
        )?;
    }
    Ok(())
}

/// The comma-joined accesses that fit in `budget` bytes once escaped
/// (always the first one), and how many were left out.
fn bounded_access(access: &[Access], budget: usize) -> (String, usize) {
    let mut out = String::new();
    for (i, a) in access.iter().enumerate() {
        let item = a.to_string();
        let cost = journal::escape(&item).len();
        if i > 0 && journal::escape(&out).len() + 1 + cost > budget {
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
fn handoff_pid1(j: &mut Journal, which: &Init) -> Result<()> {
    install_stub()?;
    match which {
        Init::Systemd => {
            units::record_active(j)?;
            units::stop_before_handoff(j)?;
            // SIGTERM makes systemd serialize its state and exec
            // /lib/systemd/systemd, which in the tmpfs is the stub.
            rustix::process::kill_process(Pid::INIT, Signal::TERM)
                .map_err(|e| Error::sys("kill(SIGTERM)", "pid 1", e))?;
        }
        Init::Sysvinit => request_sysvinit_reexec()?,
        other => {
            return Err(Error::refused(format!(
                "PID 1 ({}) holds the old root and rootlift cannot hand it off",
                other.name()
            )));
        }
    }
    wait_for_stub()?;
    j.log(
        &Stage::Entered,
        Event::ReleaseHandoff,
        Detail::new().with("init", which.name()),
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
            return Err(Error::failed(format!(
                "pid 1 did not exec the init stub within {} s",
                HANDOFF_TIMEOUT.as_secs()
            )));
        }
        std::thread::sleep(POLL);
    }
}

/// release 5: open(2) with O_EXCL fails with EBUSY while any mount or
/// holder of the block device remains; the devices stacked on it in sysfs
/// must be none, and for a dm device the open count must be 0 as well (a
/// lazily unmounted fs still holds it open).
pub fn prove_free(j: &mut Journal, root: &RootRecord, ops: &mut dyn Ops) -> Result<()> {
    let node = ops.root_node(root)?;
    if let Err(e) = ops.exclusive(&node) {
        let who = holders::scan(&Target::for_device(Path::new(&node))?)
            .map(|r| {
                r.processes
                    .iter()
                    .map(|h| format!("{} ({})", h.pid, h.comm))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        return Err(Error::failed(format!(
            "{} is not free: {e}; still held by: {}",
            root.source,
            if who.is_empty() {
                "(no process: a detached mount or a kernel holder)".to_owned()
            } else {
                who
            }
        )));
    }
    let stacked =
        holders::blockholders::of(Path::new("/sys"), root.major, root.minor, &mut Vec::new());
    if !stacked.is_empty() {
        return Err(Error::failed(format!(
            "{} is not free: held by {}",
            root.source,
            stacked
                .iter()
                .map(|b| b.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let open_count = crate::dm::open_count(root.major, root.minor)?;
    if let Some(n) = open_count
        && n != 0
    {
        return Err(Error::failed(format!(
            "{} is not free: device-mapper open count is {n}",
            root.source
        )));
    }
    j.log(
        &Stage::Entered,
        Event::ReleaseFree,
        Detail::new()
            .with("device", &node)
            .with("o_excl", "ok")
            .with(
                "dm_open_count",
                open_count.map_or("n/a".into(), |n| n.to_string()),
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
        assert!(journal::escape(&text).len() <= ACCESS_BUDGET);
        assert!(
            text.starts_with("exe /oldroot/usr/sbin/sshd,map "),
            "{text}"
        );
        let shown = text.split(',').count();
        assert_eq!(shown + more, access.len());
        assert!(more > 0);

        let (all, none) = bounded_access(&access[..3], ACCESS_BUDGET);
        assert_eq!((all.split(',').count(), none), (3, 0));
        assert_eq!(bounded_access(&[], ACCESS_BUDGET), (String::new(), 0));
    }

    fn h(pid: u32, comm: &str) -> Holder {
        Holder {
            pid,
            comm: comm.into(),
            unit: None,
            is_self: false,
            access: Vec::new(),
        }
    }

    #[test]
    fn refusals_come_before_any_change() {
        let opts = |kill| ReleaseOptions {
            kill,
            grace: DEFAULT_GRACE,
            drop_unrestorable: false,
        };
        let (one, cron, iscsi) = (h(1, "busybox"), h(50, "cron"), h(60, "iscsid"));
        let e = refusals(&[(&one, Fate::CannotHandOff)], &opts(true)).unwrap_err();
        assert!(e.is_refused() && e.to_string().contains("PID 1"), "{e}");
        let e = refusals(&[(&iscsi, Fate::Storage)], &opts(true)).unwrap_err();
        assert!(e.to_string().contains("60 (iscsid)"), "{e}");
        let e = refusals(
            &[(&one, Fate::HandOff), (&cron, Fate::Stopped)],
            &opts(false),
        )
        .unwrap_err();
        assert!(e.to_string().contains("--kill"), "{e}");
        refusals(
            &[(&one, Fate::HandOff), (&cron, Fate::Stopped)],
            &opts(true),
        )
        .unwrap();
        refusals(&[(&one, Fate::HandOff)], &opts(false)).unwrap();
    }
}
