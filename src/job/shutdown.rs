//! Jobs `--at-shutdown` (docs/design.md, "Jobs"): rootlift installed as systemd's
//! `/run/initramfs/shutdown`. At the end of a reboot, systemd-shutdown
//! (systemd-shutdown(8)) switches root into /run/initramfs, keeping the old
//! root at /oldroot, and execs `./shutdown VERB` as PID 1. No holder can
//! survive that far, so the job runs on a device nothing else uses; the
//! journal goes to the kernel log and, at the end, to the root's
//! /var/log/rootlift.log; then reboot(2) with the verb given.
//!
//! The installation is one-shot by construction: it lives in /run, a tmpfs
//! that does not survive the reboot.

use std::ffi::OsString;
use std::path::Path;

use rustix::fs::{CWD, Mode, OFlags};
use rustix::io::Errno;
use rustix::mount::{MountFlags, UnmountFlags};
use rustix::system::RebootCommand;

use super::offline;
use super::spec::{JobSpec, Kind};
use crate::bring::{self, Closure};
use crate::error::{Error, Result};
use crate::journal::{self, Detail, Event, Journal, Stage};
use crate::lift::classify::Live;
use crate::lift::mounts;
use crate::lift::ops::{Kernel, Ops};
use crate::lift::record;
use crate::mount;

/// Where systemd-shutdown looks for a shutdown program.
pub const DIR: &str = "/run/initramfs";
pub const PROGRAM: &str = "/run/initramfs/shutdown";
/// The job and the record of the root, in journal lines.
pub const JOB: &str = "/run/initramfs/rootlift-job";
/// The same, seen from inside once systemd-shutdown switched root there.
const JOB_INSIDE: &str = "/rootlift-job";
/// Where the old root is after the switch.
const OLDROOT: &str = "/oldroot";
/// Where the whole journal is written on the root filesystem.
pub const LOG_ON_ROOT: &str = "var/log/rootlift.log";

/// Whether this process is the shutdown program: PID 1, exec'd as
/// `shutdown`, with a rootlift job beside it.
pub fn is_shutdown(argv0: Option<&std::ffi::OsStr>) -> bool {
    rustix::process::getpid().is_init()
        && argv0
            .map(Path::new)
            .and_then(Path::file_name)
            .is_some_and(|n| n == "shutdown")
        && Path::new(JOB_INSIDE).exists()
}

/// Installs the job: a tmpfs of its own at /run/initramfs (Debian mounts
/// /run noexec, and systemd-shutdown's bind mount would keep that), then
/// rootlift as `shutdown`, the job's kit, and the job file.
pub fn install(spec: &JobSpec, kit: &Closure, rec_lines: &str, size: u64) -> Result<()> {
    let dir = Path::new(DIR);
    if Path::new(JOB).exists() {
        return Err(Error::refused(
            "a rootlift job is already installed for the next shutdown: 'rootlift abort' cancels it".into(),
        ));
    }
    if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(Error::refused(format!(
            "{DIR} is already in use (another shutdown initramfs?): refusing to replace it"
        )));
    }
    match rustix::fs::mkdirat(CWD, dir, Mode::from_raw_mode(0o755)) {
        Ok(()) | Err(Errno::EXIST) => {}
        Err(e) => return Err(Error::sys("mkdir", DIR, e)),
    }
    let data = format!("mode=0755,size={size}");
    mount::mount_fs(
        "rootlift",
        dir,
        "tmpfs",
        MountFlags::NOSUID | MountFlags::NODEV,
        &data,
    )?;
    let installed = (|| {
        bring::install(dir, kit)?;
        for d in [
            "run", "dev", "proc", "sys", "oldroot", "usr", "usr/lib", "var", "etc",
        ] {
            match rustix::fs::mkdirat(
                CWD,
                format!("{DIR}/{d}").as_str(),
                Mode::from_raw_mode(0o755),
            ) {
                Ok(()) | Err(Errno::EXIST) => {}
                Err(e) => return Err(Error::sys("mkdir", format_args!("{DIR}/{d}"), e)),
            }
        }
        let (link, target) = crate::lift::enter::MTAB;
        match rustix::fs::symlinkat(target, CWD, format!("{DIR}/{link}").as_str()) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => return Err(Error::sys("symlink", format_args!("{DIR}/{link}"), e)),
        }
        let program = rustix::fs::open(
            PROGRAM,
            OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o755),
        )
        .map_err(|e| Error::sys("open", PROGRAM, e))?;
        // 0755 whatever the umask (copy_self_into's fchmod): systemd-shutdown
        // execs it.
        crate::lift::enter::copy_self_into(program, Path::new(PROGRAM))?;
        let text = format!("0 idle {} {}\n{rec_lines}", Event::JobSpec, spec.encode());
        std::fs::write(JOB, text).map_err(|e| Error::io("write", JOB, &e))
    })();
    if let Err(e) = installed {
        let _ = mount::umount(dir, UnmountFlags::DETACH);
        return Err(e);
    }
    Ok(())
}

/// `rootlift abort` for an installed shutdown job: removes it all.
pub fn uninstall() -> Result<bool> {
    if !Path::new(JOB).exists() {
        return Ok(false);
    }
    mount::umount(Path::new(DIR), UnmountFlags::DETACH)?;
    Ok(true)
}

/// The installed job, for `status`.
pub fn installed() -> Option<String> {
    let text = std::fs::read_to_string(JOB).ok()?;
    let entries = journal::parse(&text).ok()?;
    let spec = entries.iter().find(|e| e.event == Event::JobSpec)?;
    Some(spec.detail.clone())
}

/// The shutdown program. Never returns: every path ends in reboot(2).
#[inline(never)]
pub fn run(args: &[OsString]) -> ! {
    let verb = args
        .get(1)
        .and_then(|v| v.to_str())
        .unwrap_or("reboot")
        .to_owned();
    let outcome = (|| {
        let mut j = Journal::open()?;
        j.log(
            &Stage::Idle,
            Event::ShutdownBegin,
            Detail::new().with("verb", &verb),
        )?;
        let r = job(&mut j);
        if let Err(e) = &r {
            j.log(
                &Stage::Failed("shutdown".into()),
                Event::ShutdownFailed,
                Detail::new().with("why", e),
            )?;
        }
        r
    })();
    // Whatever happened, the story goes onto the root filesystem (the
    // kernel log has it too, line by line); failures also to the console.
    if let Err(e) = &outcome {
        crate::output::error(e);
    }
    if let Err(e) = write_log_to_root() {
        crate::output::error(&e);
    }
    rustix::fs::sync();
    let cmd = match verb.as_str() {
        "poweroff" => RebootCommand::PowerOff,
        "halt" => RebootCommand::Halt,
        _ => RebootCommand::Restart,
    };
    loop {
        // reboot(2) only returns on failure; PID 1 must never exit.
        let _ = rustix::system::reboot(cmd);
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}

/// Detach what is left of the old root, prove the device free, run the job.
fn job(j: &mut Journal) -> Result<()> {
    let text =
        std::fs::read_to_string(JOB_INSIDE).map_err(|e| Error::io("read", JOB_INSIDE, &e))?;
    let entries = journal::parse(&text)?;
    let spec = JobSpec::of_cycle(&entries)?
        .ok_or_else(|| Error::failed(format!("no job.spec in {JOB_INSIDE}")))?;
    let rec = record::read(&entries)?;

    // systemd-shutdown unmounted or remounted read-only all it could; what
    // is left under /oldroot goes now, deepest first, each journaled with
    // its class.
    let facts = Live { prefix: OLDROOT };
    mounts::unmount_all(&mut Kernel, j, &rec, &facts)?;
    j.log(
        &Stage::Released,
        Event::ShutdownUnmounted,
        Detail::new().with("path", OLDROOT),
    )?;

    // Nothing destructive before the kernel says the device is free.
    let node = record::root_device_node(&rec.root)?;
    Kernel
        .exclusive(&node)
        .map_err(|e| Error::failed(format!("{node} is not free at shutdown: {e}")))?;
    j.log(
        &Stage::Released,
        Event::ShutdownFree,
        Detail::new().with("device", &node),
    )?;

    let mut spec = spec;
    if !Path::new(&spec.device).exists() {
        spec.device = node;
    }
    j.log(
        &Stage::Job,
        Event::JobBegin,
        Detail::new()
            .with("kind", spec.name())
            .with("device", &spec.device),
    )?;
    let r = match &spec.kind {
        Kind::Shrink { fs_blocks, lv } => {
            offline::shrink(j, &spec, &rec, *fs_blocks, lv.as_deref())
        }
        Kind::ShrinkPartition { fs_blocks, part } => {
            super::partition::shrink(j, &spec, &rec, *fs_blocks, part)
        }
        Kind::Fsck => offline::fsck(j, &spec),
        Kind::Run { .. } => Err(Error::failed("run --at-shutdown is not supported".into())),
    };
    let code = i32::from(r.is_err());
    j.log(
        &Stage::Returned,
        Event::JobDone,
        Detail::new().with("code", code).with(
            "result",
            r.as_ref().map_or_else(|e| e.to_string(), |()| "ok".into()),
        ),
    )?;
    r
}

/// Mounts the root at /oldroot read-write and appends the whole journal to
/// its /var/log/rootlift.log.
fn write_log_to_root() -> Result<()> {
    let text =
        std::fs::read_to_string(JOB_INSIDE).map_err(|e| Error::io("read", JOB_INSIDE, &e))?;
    let rec = record::read(&journal::parse(&text)?)?;
    let node = record::root_device_node(&rec.root)?;
    let (_, data) = mount::split_options(&rec.root.super_options);
    let oldroot = Path::new(OLDROOT);
    // Still mounted (read-only, by systemd-shutdown) when the job stopped
    // before its unmount step: make that mount writable instead.
    if mount::mount_fs(&node, oldroot, &rec.root.fstype, MountFlags::empty(), &data).is_err() {
        rustix::mount::mount_remount(oldroot, MountFlags::empty(), data.as_str())
            .map_err(|e| Error::sys("mount(MS_REMOUNT)", OLDROOT, e))?;
    }
    let journal_text = std::fs::read_to_string(journal::PATH).unwrap_or_default();
    let log = format!("{OLDROOT}/{LOG_ON_ROOT}");
    let _ = std::fs::create_dir_all(format!("{OLDROOT}/var/log"));
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .and_then(|mut f| std::io::Write::write_all(&mut f, journal_text.as_bytes()))
        .map_err(|e| Error::io("write", &log, &e));
    rustix::fs::sync();
    if mount::umount(oldroot, UnmountFlags::empty()).is_err() {
        let _ = rustix::mount::mount_remount(oldroot, MountFlags::RDONLY, "");
    }
    written
}
