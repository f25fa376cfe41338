//! The offline steps of `shrink` and `fsck` (SPEC.md "Jobs", "Safety
//! rules"), on the released root device: every destructive step is checked
//! before with our own superblock reader and verified after.
//!
//! shrink: e2fsck -f -y → superblock clean, no orphans, target above the
//! floor → resize2fs DEV BLOCKS → (LV) lvreduce to BLOCKS rounded up to
//! whole extents, never below the fs → resize2fs DEV (fill the LV exactly)
//! → e2fsck -f -n must be clean → fs blocks == device bytes / block size.

use std::path::Path;

use super::facts::{self, Facts};
use super::spec::JobSpec;
use super::tools::{self, e2fsck_meaning};
use crate::error::{Error, Result};
use crate::journal::{Journal, Stage, escape};
use crate::lift::record::Record;

pub(super) fn step(j: &mut Journal, name: &str, detail: &str) -> Result<()> {
    j.log(&Stage::Job, "job.step", &format!("step={name} {detail}"))
}

/// e2fsck -f -y: 0 and 1 (errors corrected) let the job go on.
pub(super) fn e2fsck_repair(j: &mut Journal, spec: &JobSpec) -> Result<()> {
    let code = tools::run(j, &Stage::Job, &spec.e2fsck, &["-f", "-y", &spec.device])?;
    if code > 1 {
        return Err(Error::Command {
            program: spec.e2fsck.clone(),
            status: format!("exit {code}: {}", e2fsck_meaning(code)),
        });
    }
    Ok(())
}

/// e2fsck -f -n: the read-only verdict; anything but 0 is a failure.
pub(super) fn e2fsck_verify(j: &mut Journal, spec: &JobSpec) -> Result<()> {
    let code = tools::run(j, &Stage::Job, &spec.e2fsck, &["-f", "-n", &spec.device])?;
    if code != 0 {
        return Err(Error::Command {
            program: format!("{} -f -n", spec.e2fsck),
            status: format!("exit {code}: {}", e2fsck_meaning(code)),
        });
    }
    Ok(())
}

/// `rootlift fsck`: the full offline e2fsck -f, its meaning journaled.
pub fn fsck(j: &mut Journal, spec: &JobSpec) -> Result<()> {
    let code = tools::run(j, &Stage::Job, &spec.e2fsck, &["-f", "-y", &spec.device])?;
    j.log(
        &Stage::Job,
        "job.result",
        &format!(
            "e2fsck_code={code} meaning={}",
            escape(&e2fsck_meaning(code))
        ),
    )?;
    if code > 1 {
        return Err(Error::Command {
            program: spec.e2fsck.clone(),
            status: format!("exit {code}: {}", e2fsck_meaning(code)),
        });
    }
    Ok(())
}

/// The gate before resize2fs: a clean, sane filesystem whose floor is
/// below the target.
fn check_before(f: &Facts, fs_blocks: u64) -> Result<()> {
    if let Some(why) = &f.refusal {
        return Err(Error::Refused(format!(
            "the filesystem cannot be shrunk: {why}"
        )));
    }
    if !f.clean || f.errors || f.needs_recovery || f.orphans {
        return Err(Error::Refused(format!(
            "the filesystem is not clean after e2fsck (clean={} errors={} needs_recovery={} orphans={})",
            f.clean, f.errors, f.needs_recovery, f.orphans
        )));
    }
    if !f.checksum_ok {
        return Err(Error::Refused("the superblock checksum is bad".into()));
    }
    if fs_blocks < f.min_blocks {
        return Err(Error::Refused(format!(
            "{fs_blocks} blocks is below the shrink floor of {} blocks",
            f.min_blocks
        )));
    }
    if fs_blocks >= f.block_count {
        return Err(Error::Refused(format!(
            "{fs_blocks} blocks is not smaller than the filesystem ({} blocks)",
            f.block_count
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

    step(j, "e2fsck", "")?;
    e2fsck_repair(j, spec)?;

    let before = facts::read(dev)?;
    step(
        j,
        "check",
        &format!(
            "block_size={} blocks={} floor={} target={fs_blocks}",
            before.block_size, before.block_count, before.min_blocks
        ),
    )?;
    check_before(&before, fs_blocks)?;

    step(j, "resize2fs", &format!("blocks={fs_blocks}"))?;
    let blocks = fs_blocks.to_string();
    let code = tools::run(j, &Stage::Job, &spec.resize2fs, &[dev, &blocks])?;
    if code != 0 {
        // A resize2fs cut short may leave the fs needing repair: repair it
        // before the way back mounts it.
        let _ = e2fsck_repair(j, spec);
        return Err(Error::Command {
            program: spec.resize2fs.clone(),
            status: format!("exit {code}"),
        });
    }
    let shrunk = facts::read(dev)?;
    if shrunk.block_count != fs_blocks {
        return Err(Error::Failed(format!(
            "resize2fs left {} blocks, not {fs_blocks}",
            shrunk.block_count
        )));
    }
    let fs_bytes = fs_blocks
        .checked_mul(shrunk.block_size)
        .ok_or_else(|| Error::Failed("filesystem size overflows".into()))?;

    if let Some(lv) = lv {
        let lv_bytes = reduce_lv(j, spec, rec, lv, fs_bytes)?;
        step(j, "resize2fs-fill", &format!("lv_bytes={lv_bytes}"))?;
        let code = tools::run(j, &Stage::Job, &spec.resize2fs, &[dev])?;
        if code != 0 {
            let _ = e2fsck_repair(j, spec);
            return Err(Error::Command {
                program: spec.resize2fs.clone(),
                status: format!("exit {code}"),
            });
        }
    }

    step(j, "e2fsck-verify", "")?;
    e2fsck_verify(j, spec)?;

    // After: on an LV the fs fills it exactly, to the block; on a
    // partition (only the fs shrinks) it has exactly the blocks asked for.
    let after = facts::read(dev)?;
    let device_bytes = facts::device_bytes(rec.root.major, rec.root.minor)?;
    let expect = match lv {
        Some(_) => device_bytes / after.block_size,
        None => fs_blocks,
    };
    if after.block_count != expect {
        return Err(Error::Failed(format!(
            "the filesystem has {} blocks, expected {expect} (device {device_bytes} bytes)",
            after.block_count
        )));
    }
    j.log(
        &Stage::Job,
        "job.result",
        &format!(
            "fs_blocks_before={} fs_blocks_after={} block_size={} device_bytes={device_bytes}",
            before.block_count, after.block_count, after.block_size
        ),
    )
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
    let out = tools::capture(
        &spec.lvm,
        &[
            "vgs",
            "--config",
            tools::lvm_config(),
            "--noheadings",
            "--nosuffix",
            "--units",
            "b",
            "-o",
            "vg_extent_size",
            vg,
        ],
    )?;
    let extent: u64 = out
        .trim()
        .parse()
        .map_err(|_| Error::invalid("lvm vgs", vg, format!("extent size {out:?}")))?;
    let lv_bytes = tools::round_to_extents(fs_bytes, extent, vg)?;
    let current = facts::device_bytes(rec.root.major, rec.root.minor)?;
    if lv_bytes < fs_bytes {
        return Err(Error::Failed(format!(
            "LV target {lv_bytes} is below the filesystem {fs_bytes}"
        )));
    }
    if lv_bytes >= current {
        step(
            j,
            "lvreduce",
            &format!("skipped=already%20{current}%20bytes"),
        )?;
        return Ok(current);
    }
    step(
        j,
        "lvreduce",
        &format!("lv={} bytes={lv_bytes} extent={extent}", escape(lv)),
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
        return Err(Error::Command {
            program: format!("{} lvreduce", spec.lvm),
            status: format!("exit {code}"),
        });
    }
    let now = facts::device_bytes(rec.root.major, rec.root.minor)?;
    if now != lv_bytes || now < fs_bytes {
        return Err(Error::Failed(format!(
            "after lvreduce the device holds {now} bytes, expected {lv_bytes} (fs {fs_bytes})"
        )));
    }
    Ok(now)
}

/// For `return` after a worker died during a shrink (its own failures are
/// handled where they happen and journaled as `job.failed`): once resize2fs
/// had started and no result was journaled, the filesystem is repaired and
/// grown to fill its device, so either the shrink completed (the LV was
/// already reduced) or the sizes are exactly the old ones.
pub fn finish_interrupted(j: &mut Journal) -> Result<()> {
    let entries = crate::journal::read()?.unwrap_or_default();
    let cycle = crate::journal::current_cycle(&entries);
    let Some(spec) = JobSpec::of_cycle(cycle)? else {
        return Ok(());
    };
    refuse_while_running(&spec)?;
    let started = cycle
        .iter()
        .any(|e| e.event == "job.step" && e.get("step").as_deref() == Some("resize2fs"));
    let settled = cycle
        .iter()
        .any(|e| matches!(e.event.as_str(), "job.result" | "job.failed" | "job.done"));
    if !started || settled || !matches!(spec.kind, super::spec::Kind::Shrink { .. }) {
        return Ok(());
    }
    j.log(
        &Stage::Returning,
        "return.finish-job",
        "why=the%20worker%20died%20after%20resize2fs%20started",
    )?;
    e2fsck_repair(j, &spec)?;
    let code = tools::run(j, &Stage::Returning, &spec.resize2fs, &[&spec.device])?;
    if code != 0 {
        return Err(Error::Command {
            program: spec.resize2fs.clone(),
            status: format!("exit {code}"),
        });
    }
    e2fsck_verify(j, &spec)
}

/// A dead worker's e2fsck, resize2fs or lvm runs on: nothing may touch
/// the device until they end (lvm holds no O_EXCL to stop a mount).
pub(super) fn refuse_while_running(spec: &JobSpec) -> Result<()> {
    let running = programs_running(&[&spec.e2fsck, &spec.resize2fs, &spec.lvm]);
    if !running.is_empty() {
        return Err(Error::Refused(format!(
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
