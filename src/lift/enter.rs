//! `rootlift enter`: enter 1-7 of the design (docs/design.md), as the list
//! [`STEPS`] that both this sequence and `plan` read. Each step is
//! journaled; a failure after the first change runs `return`, which
//! inspects the real mount state and undoes exactly what was done.

use std::io::Write;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rustix::fs::{CWD, Mode, OFlags, ResolveFlags, mkdirat, openat, openat2, symlinkat};
use rustix::io::Errno;
use rustix::mount::MountFlags;

use super::classify::{self, Live};
use super::ops::{Kernel, Ops, Propagation};
use super::record::{self, Record};
use super::{NEWROOT, OLDROOT, SELF_IN_TMPFS, TMPFS_SOURCE, back, checkpoint, kits};
use crate::bring::{self, Closure};
use crate::error::{Error, Result};
use crate::journal::{self, Detail, Event, Journal, Stage};
use crate::proc::{meminfo, mountinfo};

pub struct EnterOptions {
    /// tmpfs size in bytes; `None`: sized from what is brought + margin.
    pub size: Option<u64>,
    /// Programs to bring with their library closure.
    pub bring: Vec<PathBuf>,
    /// Plain files to bring as they are (configuration: /etc/lvm/lvm.conf).
    pub files: Vec<PathBuf>,
    /// Lines journaled right after `enter.begin` (a job's `job.spec`).
    pub extra: Vec<(Event, Detail)>,
}

/// One step of enter, in the order [`STEPS`] lists them: what `enter`
/// runs and what `plan` shows are this one list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Check,
    Record,
    Rprivate,
    Tmpfs,
    Bring,
    Layout,
    CopySelf,
    Pivot,
    /// MS_MOVE of one API filesystem from under /oldroot into the tmpfs.
    Move(&'static str),
    Reexec,
    Entered,
}

/// enter, step by step.
pub const STEPS: [Step; 14] = [
    Step::Check,
    Step::Record,
    Step::Rprivate,
    Step::Tmpfs,
    Step::Bring,
    Step::Layout,
    Step::CopySelf,
    Step::Pivot,
    Step::Move("/proc"),
    Step::Move("/sys"),
    Step::Move("/dev"),
    Step::Move("/run"),
    Step::Reexec,
    Step::Entered,
];

/// The numbers `plan` fills into the step descriptions.
pub struct Numbers {
    pub tmpfs: u64,
    pub self_size: u64,
    pub mounts: usize,
    pub parked: usize,
    pub dependent: usize,
}

impl Step {
    /// The name journaled as `enter.step step=NAME` (and used by fault
    /// injection).
    pub fn name(self) -> &'static str {
        match self {
            Step::Check => "check",
            Step::Record => "record",
            Step::Rprivate => "rprivate",
            Step::Tmpfs => "tmpfs",
            Step::Bring => "bring",
            Step::Layout => "layout",
            Step::CopySelf => "copy-self",
            Step::Pivot => "pivot",
            Step::Move("/proc") => "move-proc",
            Step::Move("/sys") => "move-sys",
            Step::Move("/dev") => "move-dev",
            Step::Move(_) => "move-run",
            Step::Reexec => "reexec",
            Step::Entered => "entered",
        }
    }

    /// What the step does, as `plan` prints it.
    pub fn describe(self, n: &Numbers) -> String {
        use crate::sysfs::block::human_bytes;
        match self {
            Step::Check => {
                "check: root, PID 1's mount namespace, no lift in progress, root not the initramfs, RAM"
                    .into()
            }
            Step::Record => format!(
                "record the root and {} other mounts ({} to park, {} to unmount and re-create) with their propagation in {}",
                n.mounts,
                n.parked,
                n.dependent,
                journal::PATH
            ),
            Step::Rprivate => {
                "make / rprivate (pivot_root fails with EINVAL under shared propagation)".into()
            }
            Step::Tmpfs => format!(
                "mount a tmpfs of {} at {NEWROOT} (parent 0700, root 0755)",
                human_bytes(n.tmpfs)
            ),
            Step::Bring => "copy in what the job brings, with its library closure".into(),
            Step::Layout => "make the tmpfs's directories, merged-/usr links and /etc/mtab".into(),
            Step::CopySelf => format!(
                "copy rootlift ({}) to {SELF_IN_TMPFS}",
                human_bytes(n.self_size)
            ),
            Step::Pivot => format!("pivot_root into the tmpfs, old root at {OLDROOT}"),
            Step::Move(api) => format!("move {api} into the new root"),
            Step::Reexec => "re-exec rootlift from the tmpfs copy".into(),
            Step::Entered => "journal 'entered'".into(),
        }
    }
}

/// What the tmpfs needs beyond the files copied in: headroom for the
/// journal's neighbours, sockets, a job's temporary files.
const TMPFS_MARGIN: u64 = 16 << 20;
/// RAM left to the system after the tmpfs is full.
const RAM_RESERVE: u64 = 64 << 20;
/// Directories of the tmpfs: mount points for the moved API filesystems,
/// the old root, and where rootlift and the init stubs go. Created after
/// the brought files, so an existing one (a host directory a library lives
/// in) is fine.
const LAYOUT: [&str; 11] = [
    "proc", "sys", "dev", "run", "oldroot", "etc", "tmp", "usr", "usr/bin", "usr/sbin", "usr/lib",
];
/// The links of the tmpfs: merged /usr, unless brought files made real
/// directories there (/bin/rootlift and /lib/systemd/systemd resolve), and
/// /etc/mtab as every Linux has it (lvreduce(8) of LVM 2.03.31, Debian 13,
/// reads it to see whether the LV's filesystem is mounted, and fails with
/// no message without it).
const LINKS: [(&str, &str); 4] = [
    ("bin", "usr/bin"),
    ("sbin", "usr/sbin"),
    ("lib", "usr/lib"),
    MTAB,
];
/// /etc/mtab, relative to a root: also in the `--at-shutdown` tmpfs.
pub const MTAB: (&str, &str) = ("etc/mtab", "../proc/self/mounts");

/// The preflight checks of enter step 1; each refusal is exit 3 with
/// nothing changed.
pub fn preflight(size: u64) -> Result<Vec<mountinfo::Mount>> {
    if !rustix::process::geteuid().is_root() {
        return Err(Error::refused("enter must run as root".into()));
    }
    // Acting on any other namespace would pivot a container, not the
    // system. An unreadable /proc/1/ns/mnt (EACCES: PID 1 is not ours to
    // inspect) proves nothing, so it refuses too.
    let own = std::fs::read_link("/proc/self/ns/mnt")
        .map_err(|e| Error::io("readlink", "/proc/self/ns/mnt", &e))?;
    let init = std::fs::read_link("/proc/1/ns/mnt").map_err(|e| {
        Error::refused(format!(
            "cannot read /proc/1/ns/mnt: {}: not in PID 1's mount namespace as far as rootlift can prove",
            crate::error::ErrnoText(rustix::io::Errno::from_io_error(&e).unwrap_or(Errno::IO))
        ))
    })?;
    if own != init {
        return Err(Error::refused(format!(
            "not in PID 1's mount namespace ({} vs {}): rootlift only lifts the whole system",
            own.display(),
            init.display()
        )));
    }
    if let Some(entries) = journal::read()? {
        let stage = journal::current_stage(&entries);
        if stage.is_lifted() {
            return Err(Error::refused(format!(
                "a lift is already in progress (stage {stage}): run 'rootlift return' first"
            )));
        }
    }
    let mounts = mountinfo::read_self()?;
    let root = mountinfo::at(&mounts, "/")
        .ok_or_else(|| Error::failed("no mount at / in /proc/self/mountinfo".into()))?;
    if super::is_lifted(&mounts) {
        return Err(Error::refused(
            "/ is already rootlift's tmpfs: run 'rootlift return'".into(),
        ));
    }
    // pivot_root(2): EINVAL when the current root is the initramfs rootfs.
    if matches!(root.fstype.as_str(), "rootfs" | "ramfs") || root.source == "rootfs" {
        return Err(Error::refused(
            "the root is the initramfs rootfs, which pivot_root cannot leave: use 'rootlift switch-root'".into(),
        ));
    }
    // mount(2) follows a symlink at its target: what sits at NEWROOT must
    // be nothing or a real directory, checked before anything changes.
    match rustix::fs::statat(CWD, NEWROOT, rustix::fs::AtFlags::SYMLINK_NOFOLLOW) {
        Err(Errno::NOENT) => {}
        Ok(st)
            if rustix::fs::FileType::from_raw_mode(st.st_mode)
                == rustix::fs::FileType::Directory => {}
        Ok(_) => {
            return Err(Error::refused(format!(
                "{NEWROOT} exists and is not a directory (a symlink planted there?)"
            )));
        }
        Err(e) => return Err(Error::sys("lstat", NEWROOT, e)),
    }
    let available = meminfo::read_available()?;
    if available < size.saturating_add(RAM_RESERVE) {
        return Err(Error::refused(format!(
            "not enough RAM for the tmpfs: {} MiB needed plus {} MiB reserve, {} MiB available",
            size >> 20,
            RAM_RESERVE >> 20,
            available >> 20
        )));
    }
    Ok(mounts)
}

/// The tmpfs size when none is given: what is copied in plus a margin,
/// rounded up to whole MiB.
pub fn default_size(copied_bytes: u64) -> u64 {
    let want = copied_bytes.saturating_add(TMPFS_MARGIN);
    want.div_ceil(1 << 20).saturating_mul(1 << 20)
}

/// Runs enter; on success this process is replaced by the tmpfs copy of
/// rootlift, which journals `entered`.
pub fn enter(opts: &EnterOptions) -> Result<()> {
    let kit = kit(opts)?;
    let self_size = std::fs::metadata("/proc/self/exe")
        .map_err(|e| Error::io("stat", "/proc/self/exe", &e))?
        .len();
    let size = opts
        .size
        .unwrap_or_else(|| default_size(self_size.saturating_add(kit.total_bytes())));
    // enter 1: every refusal before anything is written.
    let mounts = preflight(size)?;

    let mut j = Journal::open()?;
    j.log(
        &Stage::Idle,
        Event::EnterBegin,
        Detail::new()
            .with("pid", std::process::id())
            .with("size", size),
    )?;
    for (event, detail) in &opts.extra {
        j.log(&Stage::Idle, *event, detail.clone())?;
    }
    // enter 2: the record return needs, before anything changes.
    let rec = survey(&mounts)?;
    record::write(&mut j, &rec)?;

    if let Err((step, e)) = steps(&mut Kernel, &mut j, size, &kit, &mounts) {
        j.log(
            &Stage::Failed(step.name().to_owned()),
            Event::EnterFailed,
            Detail::new().with("step", step.name()).with("why", &e),
        )?;
        // Any failure leads back to the original root, never a half-state.
        back::return_system(&mut j, &rec, &mut |_| Ok(()))?;
        return Err(e);
    }

    // enter 6: re-exec from the tmpfs copy, so no process of ours maps the
    // old root; the new image journals `entered`.
    let err = exec_self_in_tmpfs();
    j.log(
        &Stage::Failed(Step::Reexec.name().into()),
        Event::EnterFailed,
        Detail::new()
            .with("step", Step::Reexec.name())
            .with("why", &err),
    )?;
    back::return_system(&mut j, &rec, &mut |_| Ok(()))?;
    Err(err)
}

/// The record of this system as it is now: the root, every other mount
/// with its class, and the swap areas.
pub fn survey(mounts: &[mountinfo::Mount]) -> Result<Record> {
    let root = record::root_of(mounts)?;
    let facts = Live { prefix: "" };
    let swaps = std::fs::read_to_string("/proc/swaps").unwrap_or_default();
    Ok(Record {
        mounts: classify::records(mounts, &root, &facts),
        swaps: classify::swaps(&swaps, (root.major, root.minor), &facts),
        root,
    })
}

/// What `--bring` asks for, resolved before anything changes: a program
/// that is missing or not ELF is a refusal, not a half-made tmpfs.
pub fn kit(opts: &EnterOptions) -> Result<Closure> {
    let resolver = bring::Resolver::new();
    let mut kit = Closure::default();
    for program in &opts.bring {
        let c = resolver
            .closure(program)
            .map_err(|e| Error::refused(format!("cannot bring {}: {e}", program.display())))?;
        kit.merge(&c);
    }
    for file in &opts.files {
        kit.add_file(file)
            .map_err(|e| Error::refused(format!("cannot bring {}: {e}", file.display())))?;
    }
    Ok(kit)
}

/// enter 2-5 as [`STEPS`] lists them, each journaled; an error names the
/// step it came from.
fn steps(
    ops: &mut dyn Ops,
    j: &mut Journal,
    size: u64,
    kit: &Closure,
    mounts: &[mountinfo::Mount],
) -> Result<(), (Step, Error)> {
    let newroot = Path::new(NEWROOT);
    let mut dir: Option<OwnedFd> = None;
    // From the pivot to the last move, `/` has no /proc, /dev or /run:
    // sshd accepts no login then (held until this function returns).
    let mut _paused: Option<super::sshd::LoginPause> = None;
    for step in STEPS {
        let done = match step {
            // Done before the journal opened; re-exec and `entered` after.
            Step::Check | Step::Record | Step::Reexec | Step::Entered => continue,
            // pivot_root(2): EINVAL if the parent mount of the new or the
            // current root is shared, so propagation (recorded) goes first.
            Step::Rprivate => ops.propagation("/", Propagation::Private, true),
            // The tmpfs's own root is 0755: after the pivot it is `/` for
            // every process. Its parent /run/rootlift (checked 0700 when the
            // journal was opened) keeps others out until then.
            Step::Tmpfs => make_dir(newroot).and_then(|()| {
                ops.mount_fs(
                    TMPFS_SOURCE,
                    NEWROOT,
                    "tmpfs",
                    MountFlags::NOSUID | MountFlags::NODEV,
                    &format!("mode=0755,size={size}"),
                )
            }),
            // Brought programs keep their host paths (and the host's
            // merged-/usr links), so their loader and libraries resolve as
            // on the host.
            Step::Bring => bring::install(newroot, kit).map(drop),
            Step::Layout => layout().map(|fd| dir = Some(fd)),
            Step::CopySelf => match &dir {
                Some(fd) => copy_self(fd),
                None => Err(Error::failed("the tmpfs directory is not open".into())),
            },
            Step::Pivot => {
                _paused = ops.hold_logins(&[]);
                ops.pivot_root(NEWROOT, &format!("{NEWROOT}{OLDROOT}"))
            }
            Step::Move(api) if mountinfo::at(mounts, api).is_none() => continue,
            Step::Move(api) => ops.move_mount(&format!("{OLDROOT}{api}"), api),
        };
        done.and_then(|()| checkpoint("enter", step.name()))
            .and_then(|()| {
                j.log(
                    &Stage::Idle,
                    Event::EnterStep,
                    Detail::new().with("step", step.name()),
                )
            })
            .map_err(|e| (step, e))?;
    }
    Ok(())
}

fn make_dir(path: &Path) -> Result<()> {
    match mkdirat(CWD, path, Mode::from_raw_mode(0o755)) {
        Ok(()) | Err(Errno::EXIST) => Ok(()),
        Err(e) => Err(Error::sys("mkdir", path.display(), e)),
    }
}

/// The tmpfs's directories and links, made after the brought
/// files (an existing directory is fine); the adapted configurations.
fn layout() -> Result<OwnedFd> {
    let fd = openat(
        CWD,
        NEWROOT,
        OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::sys("open", NEWROOT, e))?;
    for d in LAYOUT {
        match mkdirat(&fd, d, Mode::from_raw_mode(0o755)) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => return Err(Error::sys("mkdir", format_args!("{NEWROOT}/{d}"), e)),
        }
    }
    for (link, target) in LINKS {
        match symlinkat(target, &fd, link) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => return Err(Error::sys("symlink", format_args!("{NEWROOT}/{link}"), e)),
        }
    }
    adapt_configs(&fd)?;
    Ok(fd)
}

/// Rewrites the kit's copies of nsswitch.conf and the PAM configuration
/// for a system whose PID 1 may be the stub ([`kits::nsswitch_for_tmpfs`],
/// [`kits::pam_for_tmpfs`]).
fn adapt_configs(tmpfs: &OwnedFd) -> Result<()> {
    rewrite(tmpfs, "etc/nsswitch.conf", kits::nsswitch_for_tmpfs)?;
    let pam = Path::new(NEWROOT).join("etc/pam.d");
    let Ok(entries) = std::fs::read_dir(&pam) else {
        return Ok(());
    };
    for e in entries.flatten() {
        if let Some(name) = e.file_name().to_str() {
            rewrite(tmpfs, &format!("etc/pam.d/{name}"), kits::pam_for_tmpfs)?;
        }
    }
    Ok(())
}

/// Rewrites the regular file `rel` of the tmpfs when `adapt` changes it;
/// never through a symlink (openat2(2) RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH).
fn rewrite(tmpfs: &OwnedFd, rel: &str, adapt: fn(&str) -> Option<String>) -> Result<()> {
    let how = ResolveFlags::NO_SYMLINKS | ResolveFlags::BENEATH;
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = match openat2(tmpfs, rel, flags, Mode::empty(), how) {
        Ok(fd) => fd,
        Err(Errno::NOENT | Errno::LOOP | Errno::ISDIR) => return Ok(()),
        Err(e) => return Err(Error::sys("openat2", format_args!("{NEWROOT}/{rel}"), e)),
    };
    let Ok(text) = std::io::read_to_string(std::fs::File::from(fd)) else {
        // Not text: nothing to adapt.
        return Ok(());
    };
    let Some(new) = adapt(&text) else {
        return Ok(());
    };
    let flags = OFlags::WRONLY | OFlags::TRUNC | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let out = openat2(tmpfs, rel, flags, Mode::empty(), how)
        .map_err(|e| Error::sys("openat2", format_args!("{NEWROOT}/{rel}"), e))?;
    std::fs::File::from(out)
        .write_all(new.as_bytes())
        .map_err(|e| Error::io("write", format_args!("{NEWROOT}/{rel}"), &e))
}

/// Copies /proc/self/exe to the tmpfs, never following a symlink and never
/// overwriting (openat2(2) RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH, O_EXCL).
fn copy_self(tmpfs: &OwnedFd) -> Result<()> {
    let rel = SELF_IN_TMPFS.trim_start_matches('/');
    let out = openat2(
        tmpfs,
        rel,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o755),
        ResolveFlags::NO_SYMLINKS | ResolveFlags::BENEATH,
    )
    .map_err(|e| Error::sys("openat2", format_args!("{NEWROOT}{SELF_IN_TMPFS}"), e))?;
    copy_self_into(out, Path::new(&format!("{NEWROOT}{SELF_IN_TMPFS}")))
}

/// Writes this program's own file (/proc/self/exe) into `out`, a file the
/// caller created for it, and makes it 0755 (fchmod(2): whatever the
/// umask); `shown` names `out` in an error.
pub fn copy_self_into(out: OwnedFd, shown: &Path) -> Result<()> {
    let exe = Path::new("/proc/self/exe");
    let mut src = std::fs::File::open(exe).map_err(|e| Error::io("open", exe.display(), &e))?;
    bring::copy_then_chmod(out, (&mut src, exe), 0o755, shown)
}

/// Replaces this process with the tmpfs copy (`rootlift internal-entered`),
/// with a scrubbed environment. Returns only on failure.
fn exec_self_in_tmpfs() -> Error {
    let err = crate::spawn::Command::new(SELF_IN_TMPFS)
        .arg(super::INTERNAL_ENTERED)
        .envs(super::test_env())
        .env("PATH", "/bin:/usr/bin:/sbin:/usr/sbin")
        .exec();
    Error::io("execve", SELF_IN_TMPFS, &err)
}

/// The tmpfs copy's first act: prove it runs from the tmpfs, journal
/// `entered`, and say how to go back.
pub fn entered() -> Result<()> {
    let exe =
        rustix::fs::stat("/proc/self/exe").map_err(|e| Error::sys("stat", "/proc/self/exe", e))?;
    let root = rustix::fs::stat("/").map_err(|e| Error::sys("stat", "/", e))?;
    if exe.st_dev != root.st_dev {
        return Err(Error::failed(
            "the re-executed rootlift does not run from the tmpfs".into(),
        ));
    }
    // What the lift costs in RAM: the bytes the tmpfs holds now.
    let vfs = rustix::fs::statvfs("/").map_err(|e| Error::sys("statvfs", "/", e))?;
    let used = vfs
        .f_blocks
        .saturating_sub(vfs.f_bfree)
        .saturating_mul(vfs.f_frsize);
    let mut j = Journal::open()?;
    j.log(
        &Stage::Entered,
        Event::EnterDone,
        Detail::new()
            .with("oldroot", OLDROOT)
            .with("self", SELF_IN_TMPFS)
            .with("tmpfs_used", used),
    )?;
    crate::output::text(&format!(
        "entered: / is rootlift's tmpfs, the old root is at {OLDROOT}\n\
         journal: {}\nto go back: {SELF_IN_TMPFS} return\n",
        journal::PATH
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_self_into_writes_this_program_byte_for_byte() {
        let path = std::env::temp_dir().join(format!("rootlift-self-{}", std::process::id()));
        let out = std::fs::File::create(&path).unwrap();
        copy_self_into(out.into(), &path).expect("copied");
        let copy = std::fs::read(&path).unwrap();
        let mode = rustix::fs::stat(&path).unwrap().st_mode & 0o7777;
        let _ = std::fs::remove_file(&path);
        assert_eq!(
            mode, 0o755,
            "the copy is 0755, whatever mode it was created with"
        );
        let me = std::fs::read("/proc/self/exe").unwrap();
        assert!(me.len() > 64 * 1024, "more than one buffer's worth");
        assert!(copy == me, "the copy differs from /proc/self/exe");
    }
}
