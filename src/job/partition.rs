//! `shrink` of an ext2/3/4 root that sits directly on a GPT or primary MBR
//! partition (docs/partitions.md).
//!
//! Offline, after the filesystem steps of offline.rs (e2fsck -f, resize2fs
//! to SIZE, e2fsck -f -n): the table is read again and must still be the
//! one the plan was made from; the partition's end is moved in memory
//! (parts::Table), the byte runs that change are journaled with their old
//! bytes, written, and the table read back must be the one written; then
//! BLKPG_RESIZE_PARTITION, sysfs `size` checked, resize2fs to fill the
//! partition exactly, e2fsck -f -n, the filesystem's size checked.
//!
//! Any failure after the filesystem shrink rolls back to the old sizes:
//! the old bytes written back, the kernel told the old size, the
//! filesystem grown to fill the partition again. `return` after a dead
//! worker does the same from the journal ([`finish_interrupted`]). Every
//! change of the disk's state is journaled as a `job.disk` event, which
//! `status` shows.

use std::path::Path;

use super::facts;
use super::offline::{self, e2fsck_repair, e2fsck_verify, step};
use super::spec::{JobSpec, Kind};
use super::tools;
use crate::error::{Error, Result};
use crate::journal::{self, Detail, Entry, Event, Fields, Journal, Stage};
use crate::lift::record::{self, Record};
use crate::parts::disk::{self, kernel_extent};
use crate::parts::survey::{self, RootPartition};
use crate::parts::{self, Disk, Patch};
use crate::plan::Plan;
use crate::sysfs::block::{Kind as DevKind, human_bytes};

/// Where the job reaches the disk when /dev has no node for it (the
/// shutdown tmpfs).
const DISK_NODE: &str = "/rootlift-disk";

/// Fault injection for the root-tier tests, after the table is written
/// (`job:part-written`) and after the kernel is told (`job:part-resized`);
/// see lift::checkpoint.
fn test_fault(step: &str) -> Result<()> {
    crate::lift::checkpoint("job", step)
}

/// The partition a shrink moves the end of, as planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The disk's node when planned, and its number.
    pub disk: String,
    pub disk_major: u32,
    pub disk_minor: u32,
    pub number: u32,
    pub sector_size: u64,
    /// In sectors of `sector_size`.
    pub start: u64,
    pub old_sectors: u64,
    pub new_sectors: u64,
}

impl Target {
    /// The `job.spec` words.
    pub fn encode(&self) -> Detail {
        Detail::new()
            .with("part_disk", &self.disk)
            .with(
                "part_dev",
                format_args!("{}:{}", self.disk_major, self.disk_minor),
            )
            .with("part_number", self.number)
            .with("part_sector", self.sector_size)
            .with("part_start", self.start)
            .with("part_sectors", self.old_sectors)
            .with("part_new", self.new_sectors)
    }

    /// From the `job.spec` words; the error names the key that is missing
    /// or bad.
    pub fn decode(f: &Fields) -> Result<Target> {
        let (disk_major, disk_minor) = f.dev("part_dev")?;
        Ok(Target {
            disk: f.str("part_disk")?,
            disk_major,
            disk_minor,
            number: f.num("part_number")?,
            sector_size: f.num("part_sector")?,
            start: f.num("part_start")?,
            old_sectors: f.num("part_sectors")?,
            new_sectors: f.num("part_new")?,
        })
    }

    /// `sectors` of this disk in 512-byte units, as sysfs counts.
    fn kernel_sectors(&self, sectors: u64) -> u64 {
        sectors.saturating_mul(self.sector_size / 512)
    }

    fn bytes(&self, sectors: u64) -> u64 {
        sectors.saturating_mul(self.sector_size)
    }
}

/// The root's partition, when the root sits directly on one.
pub fn find_root(plan: &Plan) -> Result<Option<RootPartition>> {
    match plan.stack.as_ref().map(|n| &n.kind) {
        Some(DevKind::Partition { .. }) => survey::find(plan.root.major, plan.root.minor),
        _ => Ok(None),
    }
}

/// The partition part of a shrink to `fs_blocks` blocks of `block_size`:
/// the target, checked against the table in memory, and the plan's steps.
pub fn plan(
    rp: &RootPartition,
    fs_blocks: u64,
    block_size: u64,
    device: &str,
) -> Result<(Target, Vec<String>)> {
    if let Some(why) = rp.refusal() {
        return Err(Error::refused(why));
    }
    let p = rp.partition()?;
    let ss = rp.table.sector_size;
    let fs_bytes = fs_blocks
        .checked_mul(block_size)
        .ok_or_else(|| Error::usage("SIZE overflows".into()))?;
    let new = rp
        .sectors_for(fs_bytes)
        .ok_or_else(|| Error::usage("SIZE overflows".into()))?;
    let align = human_bytes(rp.alignment().saturating_mul(ss));
    if new >= p.size {
        return Err(Error::refused(format!(
            "{} rounded up to the partition's alignment ({align}) is not smaller than {} ({})",
            human_bytes(fs_bytes),
            rp.name,
            human_bytes(p.size.saturating_mul(ss))
        )));
    }
    let mut edited = rp.table.clone();
    edited.set_size(p.number, new).map_err(Error::refused)?;
    let t = Target {
        disk: rp.disk.clone(),
        disk_major: rp.disk_major,
        disk_minor: rp.disk_minor,
        number: p.number,
        sector_size: ss,
        start: p.start,
        old_sectors: p.size,
        new_sectors: new,
    };
    let label = rp.table.label;
    let what = match label {
        parts::Label::Gpt => "both headers and entry arrays, CRC32s recomputed",
        parts::Label::Dos => "the MBR entry's sector count",
    };
    let steps = vec![
        format!("e2fsck -f -y {device}"),
        "check the superblock: clean, no orphans, floor (exact offline)".to_owned(),
        format!("resize2fs {device} {fs_blocks} ({})", human_bytes(fs_bytes)),
        format!("e2fsck -f -n {device} must be clean"),
        format!(
            "{} table of {}: partition {} ends at sector {} instead of {} ({} sectors of {ss} bytes, {}, a multiple of its {align} alignment): {what}; the bytes it replaces are journaled",
            label.as_str(),
            t.disk,
            t.number,
            t.start.saturating_add(new).saturating_sub(1),
            p.end(),
            new,
            human_bytes(t.bytes(new))
        ),
        format!(
            "BLKPG_RESIZE_PARTITION {}: the table read back, /sys/class/block/{}/size must be {}",
            rp.name,
            rp.name,
            t.kernel_sectors(new)
        ),
        format!(
            "resize2fs {device} (fill the partition exactly), e2fsck -f -n {device} must be clean"
        ),
    ];
    Ok((t, steps))
}

/// Records the disk's state for `status`: partition N of DISK, what holds
/// for it now, at how many sectors.
fn disk_state(j: &mut Journal, t: &Target, what: &str, sectors: u64) -> Result<()> {
    let text = format!(
        "partition {} of {}: {what} ({sectors} sectors)",
        t.number, t.disk
    );
    j.log(
        &Stage::Job,
        Event::JobDisk,
        Detail::new().with("state", text),
    )
}

/// The offline job: the filesystem, then the partition; rolled back to the
/// old sizes when the partition steps fail.
pub fn shrink(
    j: &mut Journal,
    spec: &JobSpec,
    rec: &Record,
    fs_blocks: u64,
    t: &Target,
) -> Result<()> {
    disk_state(
        j,
        t,
        "unchanged, the filesystem is shrunk first",
        t.old_sectors,
    )?;
    offline::shrink(j, spec, rec, fs_blocks, None)?;
    let mut written = None;
    let Err(e) = resize(j, spec, rec, t, &mut written) else {
        return Ok(());
    };
    j.log(
        &Stage::Job,
        Event::JobStep,
        Detail::new().with("step", "part-rollback").with("why", &e),
    )?;
    match roll_back(j, spec, rec, t, written.as_deref()) {
        Ok(()) => Err(e),
        Err(e2) => Err(Error::failed(format!("{e}; rolling back failed too: {e2}"))),
    }
}

/// The disk, open for writing, through a node the job can reach.
fn open_disk(t: &Target) -> Result<Disk> {
    let node = disk::node(&t.disk, t.disk_major, t.disk_minor, Some(DISK_NODE))?;
    Disk::open_write(Path::new(&node))
}

/// Refuses unless partition `t.number` of `table` spans `sectors` from
/// `t.start`.
fn expect_entry(disk: &Disk, table: &parts::Table, t: &Target, sectors: u64) -> Result<()> {
    match table.get(t.number) {
        Some(p)
            if p.start == t.start && p.size == sectors && table.sector_size == t.sector_size =>
        {
            Ok(())
        }
        _ => Err(Error::failed(format!(
            "the table of {} does not have partition {} at sectors {}+{sectors}",
            disk.path(),
            t.number,
            t.start
        ))),
    }
}

fn resize(
    j: &mut Journal,
    spec: &JobSpec,
    rec: &Record,
    t: &Target,
    written: &mut Option<Vec<Patch>>,
) -> Result<()> {
    let disk = open_disk(t)?;
    // The table must still be the one the plan was made from.
    let table = disk.table()?;
    expect_entry(&disk, &table, t, t.old_sectors)?;
    let mut edited = table.clone();
    edited
        .set_size(t.number, t.new_sectors)
        .map_err(|why| Error::invalid("partition table", disk.path(), why))?;
    let patches = disk.patches(&edited)?;
    disk_state(
        j,
        t,
        "being written to the table (the old bytes are journaled: 'rootlift return' puts them back)",
        t.new_sectors,
    )?;
    step(
        j,
        "part-write",
        Detail::new()
            .with("disk", disk.path())
            .with("number", t.number)
            .with("sectors", t.new_sectors)
            .with("old", parts::old_text(&patches)),
    )?;
    *written = Some(patches.clone());
    disk.write(&patches, false)?;
    test_fault("part-written")?;
    if disk.table()? != edited {
        return Err(Error::failed(format!(
            "the table read back from {} is not the one written",
            disk.path()
        )));
    }
    disk_state(
        j,
        t,
        "in the table, read back; the kernel is told next",
        t.new_sectors,
    )?;

    step(
        j,
        "part-kernel",
        Detail::new().with("sectors", t.new_sectors),
    )?;
    disk.resize_partition(t.number, t.start, t.new_sectors)?;
    let (_, size) = kernel_extent(rec.root.major, rec.root.minor)?;
    if size != t.kernel_sectors(t.new_sectors) {
        return Err(Error::failed(format!(
            "after BLKPG_RESIZE_PARTITION the kernel's partition {} has {size} 512-byte sectors, not {}",
            t.number,
            t.kernel_sectors(t.new_sectors)
        )));
    }
    disk_state(
        j,
        t,
        "in the table and the kernel; the filesystem is fitted next",
        t.new_sectors,
    )?;
    test_fault("part-resized")?;

    let blocks = fill(j, spec, t)?;
    j.log(
        &Stage::Job,
        Event::JobResult,
        Detail::new()
            .with("part_sectors_before", t.old_sectors)
            .with("part_sectors_after", t.new_sectors)
            .with("fs_blocks_after", blocks),
    )?;
    disk_state(
        j,
        t,
        "shrunk: table, kernel and filesystem agree",
        t.new_sectors,
    )
}

/// resize2fs to fill the partition, e2fsck -f -n, and the filesystem's
/// size checked against the partition's; returns its blocks.
fn fill(j: &mut Journal, spec: &JobSpec, t: &Target) -> Result<u64> {
    step(j, "resize2fs-fill", Detail::new())?;
    let code = tools::run(j, &Stage::Job, &spec.resize2fs, &[&spec.device])?;
    if code != 0 {
        return Err(Error::command(
            spec.resize2fs.clone(),
            format!("exit {code}"),
        ));
    }
    step(j, "part-verify", Detail::new())?;
    e2fsck_verify(j, spec)?;
    let f = facts::read(&spec.device)?;
    let (_, size) = kernel_extent_of(spec)?;
    let expect = size.saturating_mul(512) / f.block_size;
    if f.block_count != expect {
        return Err(Error::failed(format!(
            "the filesystem has {} blocks, expected {expect} ({} bytes of partition {})",
            f.block_count,
            size.saturating_mul(512),
            t.number
        )));
    }
    Ok(f.block_count)
}

/// The kernel's extent of the job's device.
fn kernel_extent_of(spec: &JobSpec) -> Result<(u64, u64)> {
    let st =
        rustix::fs::stat(spec.device.as_str()).map_err(|e| Error::sys("stat", &spec.device, e))?;
    kernel_extent(rustix::fs::major(st.st_rdev), rustix::fs::minor(st.st_rdev))
}

/// Back to the old sizes: the old table bytes (when any were written),
/// checked; the kernel told the old size; the filesystem repaired and
/// grown to fill the partition.
fn roll_back(
    j: &mut Journal,
    spec: &JobSpec,
    rec: &Record,
    t: &Target,
    written: Option<&[Patch]>,
) -> Result<()> {
    let disk = open_disk(t)?;
    if let Some(patches) = written {
        disk.write(patches, true)?;
    }
    expect_entry(&disk, &disk.table()?, t, t.old_sectors)?;
    let (_, size) = kernel_extent(rec.root.major, rec.root.minor)?;
    if size != t.kernel_sectors(t.old_sectors) {
        disk.resize_partition(t.number, t.start, t.old_sectors)?;
    }
    disk_state(
        j,
        t,
        "rolling back: table and kernel have the old size, the filesystem is grown to it",
        t.old_sectors,
    )?;
    e2fsck_repair(j, spec)?;
    fill(j, spec, t)?;
    disk_state(
        j,
        t,
        "rolled back: table, kernel and filesystem have the old size",
        t.old_sectors,
    )
}

/// For `return` after a worker died during a partition shrink (its own
/// failures roll back where they happen): once resize2fs had started and
/// neither the partition's result nor the job's end was journaled, the
/// old table bytes the journal holds are written back and the filesystem
/// is grown to fill the old partition. Same shape as
/// offline::finish_interrupted.
pub fn finish_interrupted(j: &mut Journal, cycle: &[Entry], spec: &JobSpec) -> Result<()> {
    let Kind::ShrinkPartition { part, .. } = &spec.kind else {
        return Ok(());
    };
    let step_of = |e: &&Entry, name: &str| e.is(Event::JobStep, "step", name);
    let started = cycle.iter().any(|e| step_of(&e, "resize2fs"));
    let settled = cycle.iter().any(|e| {
        matches!(
            e.event,
            Event::JobFailed | Event::JobDone | Event::ReturnFinishJob
        ) || (e.event == Event::JobResult && e.get("part_sectors_after").is_some())
    });
    if !started || settled {
        return Ok(());
    }
    offline::refuse_while_running(spec)?;
    let written = cycle
        .iter()
        .rev()
        .find(|e| step_of(e, "part-write"))
        .map(|e| {
            e.get("old")
                .and_then(|s| parts::old_from_text(&s))
                .ok_or_else(|| {
                    Error::invalid("journal", journal::PATH, "part-write without its old bytes")
                })
        })
        .transpose()?;
    let rec = record::read(cycle)?;
    j.log(
        &Stage::Returning,
        Event::ReturnFinishJob,
        Detail::new().with("why", "the worker died during a partition shrink"),
    )?;
    roll_back(j, spec, &rec, part, written.as_deref())
}
