//! The offline steps of `shrink` and `fsck` (docs/design.md, "Jobs" and
//! "Safety rules"), on the released root device: every destructive step is
//! checked before with our own superblock reader and verified after, and
//! `rootlift abort` is honoured between two steps (the tool running then
//! finishes first: nothing is cut mid-write).
//!
//! shrink: e2fsck -f -y → superblock clean, no orphans, target above the
//! floor → resize2fs DEV BLOCKS → (LV) lvreduce to BLOCKS rounded up to
//! whole extents, never below the fs → resize2fs DEV (fill the LV exactly)
//! → e2fsck -f -n must be clean → fs blocks == device bytes / block size.
//!
//! A filesystem whose last e2fsck left errors is never mounted again by
//! `return` ([`before_remount`]) until a read-only e2fsck finds it clean.

use std::path::Path;

use super::control::{self, Word};
use super::facts::{self, Facts};
use super::spec::{JobSpec, Kind};
use super::tools::{self, e2fsck_meaning};
use crate::error::{Error, Result};
use crate::journal::{Detail, Entry, Event, Journal, Stage};
use crate::lift::record::Record;

/// Journals the next step, unless the operator asked to abort: then the
/// job stops here (what ran so far left the disk consistent).
pub(super) fn step(j: &mut Journal, name: &str, detail: Detail) -> Result<()> {
    if control::said(j, Word::Abort)? {
        return Err(Error::aborted(format!(
            "'rootlift abort' before the {name} step"
        )));
    }
    j.log(
        &Stage::Job,
        Event::JobStep,
        Detail::new().with("step", name).then(detail),
    )?;
    crate::lift::checkpoint("job", name)
}

/// e2fsck -f -y: 0 (clean) and 1 or 2 (errors corrected) let the job go
/// on; anything else leaves a filesystem that is not mounted again.
pub(super) fn e2fsck_repair(j: &mut Journal, spec: &JobSpec) -> Result<()> {
    let code = tools::run(j, &Stage::Job, &spec.e2fsck, &["-f", "-y", &spec.device])?;
    if code > 2 {
        return Err(Error::command(
            format!("{} -f -y", spec.e2fsck),
            format!("exit {code}: {}", e2fsck_meaning(code)),
        ));
    }
    Ok(())
}

/// e2fsck -f -n: the read-only verdict; anything but 0 is a failure.
pub(super) fn e2fsck_verify(j: &mut Journal, spec: &JobSpec) -> Result<()> {
    let code = tools::run(j, &Stage::Job, &spec.e2fsck, &["-f", "-n", &spec.device])?;
    if code != 0 {
        return Err(Error::command(
            format!("{} -f -n", spec.e2fsck),
            format!("exit {code}: {}", e2fsck_meaning(code)),
        ));
    }
    Ok(())
}

/// `rootlift fsck`: the full offline e2fsck -f, its meaning journaled.
pub fn fsck(j: &mut Journal, spec: &JobSpec) -> Result<()> {
    step(j, "e2fsck", Detail::new())?;
    let code = tools::run(j, &Stage::Job, &spec.e2fsck, &["-f", "-y", &spec.device])?;
    j.log(
        &Stage::Job,
        Event::JobResult,
        Detail::new()
            .with("e2fsck_code", code)
            .with("meaning", e2fsck_meaning(code)),
    )?;
    if code > 2 {
        return Err(Error::command(
            format!("{} -f -y", spec.e2fsck),
            format!("exit {code}: {}", e2fsck_meaning(code)),
        ));
    }
    Ok(())
}

/// The gate before resize2fs: a clean, sane filesystem whose floor is
/// below the target.
pub fn check_before(f: &Facts, fs_blocks: u64) -> Result<()> {
    if let Some(why) = &f.refusal {
        return Err(Error::refused(format!(
            "the filesystem cannot be shrunk: {why}"
        )));
    }
    if !f.clean || f.errors || f.needs_recovery || f.orphans {
        return Err(Error::refused(format!(
            "the filesystem is not clean after e2fsck (clean={} errors={} needs_recovery={} orphans={})",
            f.clean, f.errors, f.needs_recovery, f.orphans
        )));
    }
    if !f.checksum_ok {
        return Err(Error::refused("the superblock checksum is bad".into()));
    }
    if fs_blocks < f.min_blocks {
        return Err(Error::refused(format!(
            "{fs_blocks} blocks is below the shrink floor of {} blocks",
            f.min_blocks
        )));
    }
    if fs_blocks >= f.block_count {
        return Err(Error::refused(format!(
            "{fs_blocks} blocks is not smaller than the filesystem ({} blocks)",
            f.block_count
        )));
    }
    Ok(())
}

/// After: on an LV the fs fills it exactly, to the block; on a partition
/// (only the fs shrinks) it has exactly the blocks asked for.
pub fn check_after(after: &Facts, fs_blocks: u64, on_lv: bool, device_bytes: u64) -> Result<()> {
    let expect = if on_lv {
        device_bytes / after.block_size.max(1)
    } else {
        fs_blocks
    };
    if after.block_count != expect {
        return Err(Error::failed(format!(
            "the filesystem has {} blocks, expected {expect} (device {device_bytes} bytes)",
            after.block_count
        )));
    }
    Ok(())
}

pub fn shrink(
    j: &mut Journal,
    spec: &JobSpec,
    rec: &Record,
    fs_blocks: u64,
    lv: Option<&str>,
) -> Result<()> {
    let dev = spec.device.as_str();

    step(j, "e2fsck", Detail::new())?;
    e2fsck_repair(j, spec)?;

    let before = facts::read(dev)?;
    step(
        j,
        "check",
        Detail::new()
            .with("block_size", before.block_size)
            .with("blocks", before.block_count)
            .with("floor", before.min_blocks)
            .with("target", fs_blocks),
    )?;
    check_before(&before, fs_blocks)?;

    step(j, "resize2fs", Detail::new().with("blocks", fs_blocks))?;
    resize2fs(j, spec, Some(fs_blocks))?;
    let shrunk = facts::read(dev)?;
    if shrunk.block_count != fs_blocks {
        return Err(Error::failed(format!(
            "resize2fs left {} blocks, not {fs_blocks}",
            shrunk.block_count
        )));
    }
    let fs_bytes = fs_blocks
        .checked_mul(shrunk.block_size)
        .ok_or_else(|| Error::failed("filesystem size overflows".into()))?;

    if let Some(lv) = lv {
        let lv_bytes = reduce_lv(j, spec, rec, lv, fs_bytes)?;
        step(
            j,
            "resize2fs-fill",
            Detail::new().with("lv_bytes", lv_bytes),
        )?;
        resize2fs(j, spec, None)?;
    }

    step(j, "e2fsck-verify", Detail::new())?;
    e2fsck_verify(j, spec)?;

    let after = facts::read(dev)?;
    let device_bytes = facts::device_bytes(rec.root.major, rec.root.minor)?;
    check_after(&after, fs_blocks, lv.is_some(), device_bytes)?;
    j.log(
        &Stage::Job,
        Event::JobResult,
        Detail::new()
            .with("fs_blocks_before", before.block_count)
            .with("fs_blocks_after", after.block_count)
            .with("block_size", after.block_size)
            .with("device_bytes", device_bytes),
    )
}

/// resize2fs DEV [BLOCKS]. One that fails may leave the filesystem needing
/// repair: e2fsck -f -y runs, and if that fails too the way back leaves
/// the root unmounted ([`before_remount`] reads it in the journal).
fn resize2fs(j: &mut Journal, spec: &JobSpec, blocks: Option<u64>) -> Result<()> {
    let blocks = blocks.map(|b| b.to_string());
    let mut args = vec![spec.device.as_str()];
    args.extend(blocks.as_deref());
    let code = tools::run(j, &Stage::Job, &spec.resize2fs, &args)?;
    if code == 0 {
        return Ok(());
    }
    let failed = Error::command(spec.resize2fs.clone(), format!("exit {code}"));
    match e2fsck_repair(j, spec) {
        Ok(()) => Err(failed),
        Err(repair) => Err(Error::failed(format!("{failed}; then {repair}"))),
    }
}

/// Reduces the LV to `fs_bytes` rounded up to whole extents; never below
/// the filesystem, checked before and after. Returns the LV's new size.
fn reduce_lv(
    j: &mut Journal,
    spec: &JobSpec,
    rec: &Record,
    lv: &str,
    fs_bytes: u64,
) -> Result<u64> {
    let vg = lv.split('/').next().unwrap_or(lv);
    let (_, extent) = tools::vg_space(&spec.lvm, vg)?;
    let lv_bytes = tools::round_to_extents(fs_bytes, extent, vg)?;
    let current = facts::device_bytes(rec.root.major, rec.root.minor)?;
    if lv_bytes < fs_bytes {
        return Err(Error::failed(format!(
            "LV target {lv_bytes} is below the filesystem {fs_bytes}"
        )));
    }
    if lv_bytes >= current {
        step(
            j,
            "lvreduce",
            Detail::new().with("skipped", format_args!("already {current} bytes")),
        )?;
        return Ok(current);
    }
    step(
        j,
        "lvreduce",
        Detail::new()
            .with("lv", lv)
            .with("bytes", lv_bytes)
            .with("extent", extent),
    )?;
    let size = format!("{}s", lv_bytes / 512);
    let code = tools::run(
        j,
        &Stage::Job,
        &spec.lvm,
        &[
            "lvreduce",
            "--config",
            tools::lvm_config(),
            "--yes",
            "-L",
            &size,
            lv,
        ],
    )?;
    if code != 0 {
        return Err(Error::command(
            format!("{} lvreduce", spec.lvm),
            format!("exit {code}"),
        ));
    }
    let now = facts::device_bytes(rec.root.major, rec.root.minor)?;
    if now != lv_bytes || now < fs_bytes {
        return Err(Error::failed(format!(
            "after lvreduce the device holds {now} bytes, expected {lv_bytes} (fs {fs_bytes})"
        )));
    }
    Ok(now)
}

/// The way back's check before the root device is mounted again
/// (`lift::back::BeforeRemount`): a shrink whose worker died half-way is
/// made consistent, and a filesystem whose last e2fsck left errors is
/// mounted only once a read-only e2fsck finds it clean.
pub fn before_remount(j: &mut Journal) -> Result<()> {
    let cycle = j.cycle()?;
    let Some(spec) = JobSpec::of_cycle(&cycle)? else {
        return Ok(());
    };
    finish_interrupted(j, &cycle, &spec)?;
    super::partition::finish_interrupted(j, &cycle, &spec)?;
    let Some(code) = last_e2fsck_failure(&cycle) else {
        return Ok(());
    };
    let now = tools::run(
        j,
        &Stage::Returning,
        &spec.e2fsck,
        &["-f", "-n", &spec.device],
    )?;
    if now == 0 {
        return Ok(());
    }
    let why = format!(
        "the root filesystem on {dev} is not whole (e2fsck exit {code}: {}; a read-only check now: exit {now}): \
         it stays unmounted. Repair it with '{e2fsck} -f {dev}', then run 'rootlift return'",
        e2fsck_meaning(code),
        dev = spec.device,
        e2fsck = spec.e2fsck
    );
    j.log(
        &Stage::Returning,
        Event::ReturnBlocked,
        Detail::new().with("why", &why),
    )?;
    Err(Error::failed(why))
}

/// The exit code of the latest e2fsck run of a lift when it left errors:
/// a repair (-y) above 2, or a read-only check (-n) above 0.
fn last_e2fsck_failure(cycle: &[Entry]) -> Option<i32> {
    let mut readonly = false;
    let mut last: Option<(bool, i32)> = None;
    for e in cycle {
        match e.event {
            Event::JobExec => {
                readonly = e.get("argv").is_some_and(|a| a.contains(" -f -n "));
            }
            Event::JobExit if e.get("program").is_some_and(|p| p.ends_with("e2fsck")) => {
                last = e
                    .get("code")
                    .and_then(|c| c.parse().ok())
                    .map(|c| (readonly, c));
            }
            _ => {}
        }
    }
    match last {
        Some((true, code)) if code != 0 => Some(code),
        Some((false, code)) if code > 2 => Some(code),
        _ => None,
    }
}

/// After a worker died during a shrink (its own failures are handled
/// where they happen and journaled as `job.failed`): once resize2fs had
/// started and no result was journaled, the filesystem is repaired and
/// grown to fill its device, so either the shrink completed (the LV was
/// already reduced) or the sizes are exactly the old ones.
fn finish_interrupted(j: &mut Journal, cycle: &[Entry], spec: &JobSpec) -> Result<()> {
    refuse_while_running(spec)?;
    let started = cycle
        .iter()
        .any(|e| e.is(Event::JobStep, "step", "resize2fs"));
    let settled = cycle.iter().any(|e| {
        matches!(
            e.event,
            Event::JobResult | Event::JobFailed | Event::JobDone | Event::ReturnFinishJob
        )
    });
    if !started || settled || !matches!(spec.kind, Kind::Shrink { .. }) {
        return Ok(());
    }
    j.log(
        &Stage::Returning,
        Event::ReturnFinishJob,
        Detail::new().with("why", "the worker died after resize2fs started"),
    )?;
    e2fsck_repair(j, spec)?;
    resize2fs(j, spec, None)?;
    e2fsck_verify(j, spec)
}

/// A dead worker's e2fsck, resize2fs or lvm runs on: nothing may touch
/// the device until they end (lvm holds no O_EXCL to stop a mount).
pub(super) fn refuse_while_running(spec: &JobSpec) -> Result<()> {
    let running = programs_running(&[&spec.e2fsck, &spec.resize2fs, &spec.lvm]);
    if !running.is_empty() {
        return Err(Error::refused(format!(
            "job programs still run ({}): wait for them to end and run 'rootlift return' again",
            running.join(", ")
        )));
    }
    Ok(())
}

/// `PID (PATH)` of every process running one of `programs` (by
/// /proc/PID/exe).
fn programs_running(programs: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (pid, dir) in crate::proc::processes() {
        let Ok(exe) = std::fs::read_link(dir.join("exe")) else {
            continue;
        };
        if programs
            .iter()
            .any(|p| !p.is_empty() && exe == Path::new(p))
        {
            found.push(format!("pid {pid} {}", exe.display()));
        }
    }
    found
}

#[cfg(test)]
mod tests;
