//! Growing the GPT or primary MBR partition under a mounted filesystem
//! before the filesystem itself (what growpart does, here through
//! rootlift's own table writer, parts/): the end moves to the size asked
//! for (rounded up to the partition's alignment) or, for `max`, to just
//! before the next partition or the last usable sector; on a GPT disk that
//! grew, the backup header and array move to the disk's new end first (the
//! UEFI specification wants them in its last sectors). Then
//! BLKPG_RESIZE_PARTITION, which the kernel allows on a partition in use.

use std::path::Path;

use super::Extended;
use super::mounted::BlockDev;
use crate::error::{Error, Result};
use crate::parts::Disk;
use crate::parts::disk::kernel_extent;
use crate::parts::survey::{self, RootPartition};
use crate::sysfs::block::human_bytes;

/// A planned partition growth.
pub struct Plan {
    rp: RootPartition,
    major: u32,
    minor: u32,
    new_sectors: u64,
    move_backup: bool,
}

/// The bytes `dev` could hold: for a partition whose table reads, up to
/// the next partition or the last usable sector; else `device_bytes`
/// (the filesystem can still fill what it has).
pub fn room(dev: &BlockDev, device_bytes: u64) -> u64 {
    let reach = || -> Result<Option<u64>> {
        let Some(rp) = survey::find(dev.major, dev.minor)? else {
            return Ok(None);
        };
        let p = rp.partition()?.clone();
        let (t, _) = rp.table_for_growth()?;
        let end = t.max_end(p.number).unwrap_or(0);
        let sectors = end.saturating_add(1).saturating_sub(p.start);
        Ok(Some(sectors.saturating_mul(t.sector_size)))
    };
    match reach() {
        Ok(Some(bytes)) => bytes.max(device_bytes),
        _ => device_bytes,
    }
}

/// The edit that makes the partition `dev` hold `want` bytes; refused
/// when it cannot (a logical partition, the next partition or the disk's
/// end in the way).
pub fn plan(dev: &BlockDev, want: u64) -> Result<Plan> {
    let rp = survey::find(dev.major, dev.minor)?
        .ok_or_else(|| Error::refused(format!("{} is not a partition", dev.node)))?;
    if let Some(why) = rp.refusal() {
        return Err(Error::refused(why));
    }
    let p = rp.partition()?.clone();
    let (t, move_backup) = rp.table_for_growth()?;
    let max = t
        .max_end(p.number)
        .unwrap_or(0)
        .saturating_add(1)
        .saturating_sub(p.start);
    let rounded = rp.sectors_for(want).unwrap_or(u64::MAX);
    let new_sectors = rounded.min(max);
    if new_sectors.saturating_mul(t.sector_size) < want {
        return Err(Error::refused(format!(
            "{} is larger than {} can grow to ({}: up to {})",
            human_bytes(want),
            rp.name,
            human_bytes(max.saturating_mul(t.sector_size)),
            match t
                .partitions
                .iter()
                .find(|q| q.start == p.start.saturating_add(max))
            {
                Some(q) => format!("partition {} starts at sector {}", q.number, q.start),
                None => format!("the last usable sector of {} is {}", rp.disk, t.last_lba),
            }
        )));
    }
    Ok(Plan {
        rp,
        major: dev.major,
        minor: dev.minor,
        new_sectors,
        move_backup,
    })
}

/// Writes the planned table and tells the kernel; checks both.
pub fn extend(plan: Plan) -> Result<Extended> {
    let rp = &plan.rp;
    let p = rp.partition()?.clone();
    let disk = Disk::open_write(Path::new(&rp.disk))?;
    // Nothing may have changed since the plan was made.
    if disk.table()? != rp.table {
        return Err(Error::failed(format!(
            "the table of {} changed since it was read",
            rp.disk
        )));
    }
    let (mut t, _) = rp.table_for_growth()?;
    t.set_size(p.number, plan.new_sectors)
        .map_err(|why| Error::invalid("partition table", &rp.disk, why))?;
    disk.write(&disk.patches(&t)?, false)?;
    if disk.table()? != t {
        return Err(Error::failed(format!(
            "the table read back from {} is not the one written",
            rp.disk
        )));
    }
    disk.resize_partition(p.number, p.start, plan.new_sectors)?;
    let per = t.sector_size / 512;
    let (_, size) = kernel_extent(plan.major, plan.minor)?;
    if size != plan.new_sectors.saturating_mul(per) {
        return Err(Error::failed(format!(
            "after BLKPG_RESIZE_PARTITION the kernel's {} has {size} 512-byte sectors, not {}",
            rp.name,
            plan.new_sectors.saturating_mul(per)
        )));
    }
    let mut name = format!("{} of {}", rp.name, rp.disk);
    if plan.move_backup {
        name.push_str(" (its GPT backup moved to the disk's new end)");
    }
    Ok(Extended {
        what: "partition",
        name,
        from: p.size.saturating_mul(t.sector_size),
        to: plan.new_sectors.saturating_mul(t.sector_size),
    })
}
