//! The foreground of a live job: check everything read-only, show the plan
//! with the job's exact steps and sizes, ask, then enter with the job's kit
//! and its spec in the journal. The tmpfs copy of rootlift, exec'd at the
//! end of enter, starts the worker and follows it.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::facts;
use super::growpart;
use super::partition;
use super::shutdown;
use super::spec::{JobSpec, Kind};
use super::{Growpart, JobOptions, Mode};
use crate::bring;
use crate::cloudinit::RootKind;
use crate::error::{Error, Result};
use crate::journal::Event;
use crate::lift::enter::{self, EnterOptions};
use crate::lift::kits;
use crate::lift::record;
use crate::lift::release::DEFAULT_GRACE;
use crate::output;
use crate::plan::{self, Plan};
use crate::proc::init::Init;
use crate::size::Size;
use crate::sysfs::block::{Kind as DevKind, human_bytes};

/// The dead-man timer when sshd runs and none is given.
const DEFAULT_CONFIRM: Duration = Duration::from_secs(600);

/// Everything a job needs, decided before anything changes.
struct Prepared {
    plan: Plan,
    spec: JobSpec,
    bring: Vec<PathBuf>,
    files: Vec<PathBuf>,
    steps: Vec<String>,
    /// The cloud-init drop-in to write once confirmed (growpart.rs).
    dropin: Option<crate::cloudinit::CloudInit>,
}

#[inline(never)]
pub fn shrink(
    size: Size,
    device: Option<&Path>,
    job: &JobOptions,
    growpart: Growpart,
) -> Result<()> {
    let mut p = prepare(job, device, &shrinkable)?;
    let mut f = facts::read(&host_node(&p.plan)?)?;
    if let Some(why) = &f.refusal {
        return Err(Error::refused(format!(
            "the root filesystem cannot be shrunk: {why}"
        )));
    }
    f.min_blocks = facts::live_floor(&f, "/")?;
    if f.errors || !f.checksum_ok {
        return Err(Error::refused(format!(
            "the root filesystem is not sane (errors={} checksum_ok={}): run 'rootlift fsck' first",
            f.errors, f.checksum_ok
        )));
    }
    let bytes = size.bytes();
    let fs_blocks = bytes / f.block_size;
    let device_bytes = facts::device_bytes(p.plan.root.major, p.plan.root.minor)?;
    if bytes > device_bytes {
        return Err(Error::refused(format!(
            "{} is larger than the device ({})",
            human_bytes(bytes),
            human_bytes(device_bytes)
        )));
    }
    if fs_blocks >= f.block_count {
        return Err(Error::refused(format!(
            "{} is not smaller than the filesystem ({} blocks of {} = {})",
            human_bytes(bytes),
            f.block_count,
            f.block_size,
            human_bytes(f.block_count.saturating_mul(f.block_size))
        )));
    }
    if fs_blocks < f.min_blocks {
        return Err(Error::refused(format!(
            "{} is below the shrink floor: the filesystem needs at least {} blocks ({}), margin included",
            human_bytes(bytes),
            f.min_blocks,
            human_bytes(f.min_blocks.saturating_mul(f.block_size))
        )));
    }
    let lv = lvm_name(&p.plan);
    if let Some(name) = &lv {
        let targets =
            crate::dm::target_types(p.plan.root.major, p.plan.root.minor)?.unwrap_or_default();
        if targets.iter().any(|t| t == "snapshot-origin") {
            return Err(Error::refused(format!(
                "{name} has snapshots (its table is snapshot-origin) and lvm cannot reduce a snapshot origin: remove the snapshots first"
            )));
        }
    }
    let lvm = match &lv {
        Some(_) => tool("lvm")?,
        None => String::new(),
    };
    p.spec.resize2fs = tool("resize2fs")?;
    p.spec.lvm = lvm.clone();
    p.spec.kind = Kind::Shrink {
        fs_blocks,
        lv: lv.clone(),
    };
    p.bring.push(PathBuf::from(&p.spec.resize2fs));
    if let Some(lv) = &lv {
        p.bring.push(PathBuf::from(&lvm));
        let conf = Path::new("/etc/lvm/lvm.conf");
        if conf.exists() {
            p.files.push(conf.to_path_buf());
        }
        p.steps.extend([
            format!("e2fsck -f -y {}", p.spec.device),
            format!("check the superblock: clean, no orphans, floor (about {} blocks on the mounted fs; exact offline)", f.min_blocks),
            format!("resize2fs {} {fs_blocks} ({})", p.spec.device, human_bytes(fs_blocks * f.block_size)),
            format!("lvreduce {lv} to {} rounded up to whole extents", human_bytes(fs_blocks * f.block_size)),
            format!("resize2fs {} (fill the LV exactly)", p.spec.device),
            format!("e2fsck -f -n {} must be clean", p.spec.device),
        ]);
    } else if let Some(rp) = partition::find_root(&p.plan)? {
        let (part, steps) = partition::plan(&rp, fs_blocks, f.block_size, &p.spec.device)?;
        p.spec.kind = Kind::ShrinkPartition { fs_blocks, part };
        p.steps.extend(steps);
    } else {
        p.steps.extend([
            format!("e2fsck -f -y {}", p.spec.device),
            format!("check the superblock: clean, no orphans, floor (about {} blocks on the mounted fs; exact offline)", f.min_blocks),
            format!("resize2fs {} {fs_blocks} ({})", p.spec.device, human_bytes(fs_blocks * f.block_size)),
            format!("e2fsck -f -n {} must be clean", p.spec.device),
            "the partition or device keeps its size; only the filesystem shrinks".into(),
        ]);
    }
    let kind = match (&lv, &p.spec.kind) {
        (Some(_), _) => RootKind::Lv,
        (None, Kind::ShrinkPartition { .. }) => RootKind::Partition,
        _ => RootKind::Bare,
    };
    (p.dropin, p.spec.cloud_init) = growpart::cloud_init_guard(kind, growpart)?;
    run_live(p, job)
}

#[inline(never)]
pub fn fsck(job: &JobOptions) -> Result<()> {
    let mut p = prepare(job, None, &|plan| {
        if matches!(plan.root.fstype.as_str(), "ext2" | "ext3" | "ext4") {
            return Ok(());
        }
        Err(Error::refused(format!(
            "fsck runs e2fsck: the root is {}, not ext2/3/4",
            plan.root.fstype
        )))
    })?;
    p.spec.kind = Kind::Fsck;
    p.steps.push(format!("e2fsck -f -y {}", p.spec.device));
    run_live(p, job)
}

#[inline(never)]
pub fn run(job: &JobOptions, argv: &[std::ffi::OsString]) -> Result<()> {
    let mut p = prepare(job, None, &|_| Ok(()))?;
    let argv: Vec<String> = argv
        .iter()
        .map(|a| {
            a.clone()
                .into_string()
                .map_err(|_| Error::usage("run: arguments must be UTF-8".into()))
        })
        .collect::<Result<_>>()?;
    let program = argv.first().cloned().unwrap_or_default();
    let found = bring::find_program(Path::new(&program))
        .map_err(|e| Error::refused(format!("cannot run {program}: {e}")))?;
    let mut argv = argv;
    argv[0] = found.display().to_string();
    p.bring.push(found);
    p.steps.push(format!(
        "ROOTLIFT_DEVICE={} {}",
        p.spec.device,
        argv.join(" ")
    ));
    p.spec.kind = Kind::Run { argv };
    run_live(p, job)
}

/// Whether `shrink` can shrink this root's filesystem type.
fn shrinkable(plan: &Plan) -> Result<()> {
    match plan.root.fstype.as_str() {
        "ext2" | "ext3" | "ext4" => Ok(()),
        "xfs" => Err(Error::refused("xfs cannot be shrunk".into())),
        "btrfs" => Err(Error::refused(
            "btrfs shrinks online, without a lift: use 'rootlift grow SIZE /'".into(),
        )),
        other => Err(Error::refused(format!(
            "{other} cannot be shrunk by rootlift (ext2/3/4 only)"
        ))),
    }
}

/// The checks and facts every job shares.
/// `fits` is the job's own refusal (the filesystem type), checked before
/// anything is looked up for the job.
fn prepare(
    job: &JobOptions,
    device: Option<&Path>,
    fits: &dyn Fn(&Plan) -> Result<()>,
) -> Result<Prepared> {
    if !rustix::process::geteuid().is_root() {
        return Err(Error::refused("jobs must run as root".into()));
    }
    let plan = plan::survey()?;
    if let Some(why) = &plan.refused {
        return Err(Error::refused(why.clone()));
    }
    if let Some(dev) = device {
        let st = rustix::fs::stat(dev).map_err(|e| Error::sys("stat", dev.display(), e))?;
        if st.st_rdev != rustix::fs::makedev(plan.root.major, plan.root.minor) {
            return Err(Error::refused(format!(
                "{} is not the root device ({}:{}): rootlift only takes the root offline",
                dev.display(),
                plan.root.major,
                plan.root.minor
            )));
        }
    }
    fits(&plan)?;
    let at_shutdown = job.mode == Mode::AtShutdown;
    if at_shutdown && plan.init != Init::Systemd {
        return Err(Error::refused(format!(
            "--at-shutdown needs systemd, whose shutdown hands over to {} (PID 1 here: {})",
            shutdown::PROGRAM,
            plan.init.name()
        )));
    }
    // Mounts below / that no return could put back: refused now, before
    // anything changes, unless the operator agreed to lose them.
    let rec = crate::lift::enter::survey(&crate::proc::mountinfo::read_self()?)?;
    let lost: Vec<String> = rec
        .unrestorable()
        .map(|m| format!("{} ({})", m.path, m.class.fate()))
        .collect();
    if !lost.is_empty() && !job.drop_unrestorable && !at_shutdown {
        return Err(Error::refused(format!(
            "mounts below / that cannot be put back exactly: {}; pass --drop-unrestorable to unmount them for good",
            lost.join("; ")
        )));
    }
    let e2fsck = tool("e2fsck")?;
    let mut bring = vec![PathBuf::from(&e2fsck)];
    bring.extend(job.bring.iter().cloned());
    // The operator stays connected: with sshd running, its kit comes along
    // and the dead-man timer is on unless told otherwise.
    let sshd_runs = kits::sshd_runs();
    let kit = kits::for_host(sshd_runs)?;
    bring.extend(kit.programs);
    let confirm_within = job.confirm_within.unwrap_or(if sshd_runs {
        DEFAULT_CONFIRM
    } else {
        Duration::ZERO
    });
    let device = job_device(&plan)?;
    Ok(Prepared {
        spec: JobSpec {
            kind: Kind::Fsck,
            device,
            e2fsck,
            resize2fs: String::new(),
            lvm: String::new(),
            confirm_within,
            grace: DEFAULT_GRACE,
            drop_unrestorable: job.drop_unrestorable,
            cloud_init: None,
        },
        plan,
        bring,
        files: kit.files,
        steps: Vec::new(),
        dropin: None,
    })
}

/// Shows the plan, asks, and installs the job for the next reboot.
fn run_at_shutdown(p: Prepared, job: &JobOptions) -> Result<()> {
    let opts = EnterOptions {
        size: None,
        bring: p.bring,
        files: p.files,
        extra: Vec::new(),
    };
    let kit = enter::kit(&opts)?;
    let self_size = std::fs::metadata("/proc/self/exe")
        .map_err(|e| Error::io("stat", "/proc/self/exe", &e))?
        .len();
    let size = enter::default_size(self_size.saturating_add(kit.total_bytes()));
    let mut text = plan::to_text(&p.plan);
    text.push_str(&format!(
        "at the next 'systemctl reboot' (or poweroff), as systemd's {}:
",
        shutdown::PROGRAM
    ));
    text.push_str(
        "  1. detach what is left of the old root, prove the device free (O_EXCL)
",
    );
    for (i, s) in p.steps.iter().enumerate() {
        text.push_str(&format!(
            "  {}. {s}
",
            i + 2
        ));
    }
    text.push_str(&format!(
        "  {}. append the journal to /{} on the root, then reboot
",
        p.steps.len() + 2,
        shutdown::LOG_ON_ROOT
    ));
    text.push_str(&growpart::dropin_line(p.dropin.as_ref()));
    output::text(&text)?;
    if !job.yes {
        ask()?;
    }
    growpart::write_dropin(p.dropin.as_ref())?;
    let rec = format!(
        "0 idle {} {}\n",
        Event::RecordRoot,
        record::root_of(std::slice::from_ref(&p.plan.root))?.encode()
    );
    shutdown::install(&p.spec, &kit, &rec, size)?;
    output::text(&format!(
        "installed: the {} job runs at the next reboot ({} in a {} tmpfs at {}); 'rootlift abort' cancels it\n",
        p.spec.name(),
        human_bytes(kit.total_bytes().saturating_add(self_size)),
        human_bytes(size),
        shutdown::DIR
    ))
}

/// Shows the plan, asks, enters. Returns only on failure: on success this
/// process becomes the tmpfs copy, which runs the worker.
fn run_live(p: Prepared, job: &JobOptions) -> Result<()> {
    if job.mode == Mode::AtShutdown {
        return run_at_shutdown(p, job);
    }
    let mut text = plan::to_text(&p.plan);
    text.push_str(&format!(
        "then the {} job, detached from this terminal:\n",
        p.spec.name()
    ));
    if p.spec.confirm_within > Duration::ZERO {
        text.push_str(&format!(
            "  0. wait up to {} s for 'rootlift confirm' from a new login (dead-man timer)\n",
            p.spec.confirm_within.as_secs()
        ));
    }
    text.push_str("  1. release: stop the holders of the old root (SIGTERM, then SIGKILL), unmount it, prove it free\n");
    for (i, s) in p.steps.iter().enumerate() {
        text.push_str(&format!("  {}. {s}\n", i + 2));
    }
    text.push_str(&format!(
        "  {}. return: remount the root, pivot back, resume\n",
        p.steps.len() + 2
    ));
    text.push_str(&growpart::dropin_line(p.dropin.as_ref()));
    output::text(&text)?;
    if !job.yes {
        ask()?;
    }
    growpart::write_dropin(p.dropin.as_ref())?;
    enter::enter(&EnterOptions {
        size: None,
        bring: p.bring,
        files: p.files,
        extra: vec![(Event::JobSpec, p.spec.encode())],
    })
}

/// `rootlift enter` (the expert step): the host's kit, and `--bring`.
#[inline(never)]
pub fn enter(size: Option<Size>, bring: Vec<PathBuf>, ssh: bool) -> Result<()> {
    let kit = kits::for_host(ssh)?;
    let mut programs = bring;
    programs.extend(kit.programs);
    enter::enter(&EnterOptions {
        size: size.map(Size::bytes),
        bring: programs,
        files: kit.files,
        extra: Vec::new(),
    })
}

fn ask() -> Result<()> {
    output::text("type 'yes' to go on: ")?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::io("read", "stdin", &e))?;
    if line.trim() != "yes" {
        return Err(Error::refused("not confirmed; nothing was changed".into()));
    }
    Ok(())
}

/// A program's absolute path on this host, or a refusal naming it.
fn tool(name: &str) -> Result<String> {
    bring::find_program(Path::new(name))
        .map(|p| p.display().to_string())
        .map_err(|e| Error::refused(format!("the job needs {name}: {e}")))
}

/// `VG/LV` when the root sits on an LVM logical volume.
fn lvm_name(plan: &Plan) -> Option<String> {
    match &plan.stack.as_ref()?.kind {
        DevKind::Dm {
            lvm: Some((vg, lv)),
            ..
        } => Some(format!("{vg}/{lv}")),
        _ => None,
    }
}

/// A node for the root device on this host, for reading its superblock.
fn host_node(plan: &Plan) -> Result<String> {
    let want = rustix::fs::makedev(plan.root.major, plan.root.minor);
    match rustix::fs::stat(plan.root.source.as_str()) {
        Ok(st) if st.st_rdev == want => Ok(plan.root.source.clone()),
        _ => {
            let by_dev = format!("/dev/block/{}:{}", plan.root.major, plan.root.minor);
            match rustix::fs::stat(by_dev.as_str()) {
                Ok(st) if st.st_rdev == want => Ok(by_dev),
                _ => Err(Error::refused(format!(
                    "no device node for the root ({}:{}) under /dev",
                    plan.root.major, plan.root.minor
                ))),
            }
        }
    }
}

/// The root device as the job reaches it from the tmpfs: /dev moves with
/// the lift, so its path stays valid; else the node release makes.
fn job_device(plan: &Plan) -> Result<String> {
    match host_node(plan) {
        Ok(node) => Ok(node),
        Err(_) => Ok(crate::lift::record::ROOT_NODE.to_owned()),
    }
}
