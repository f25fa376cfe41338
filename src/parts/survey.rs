//! The partition under a filesystem, as a job or `plan` needs it: which
//! disk and entry (sysfs: a partition's directory has a `partition` file
//! and sits in its disk's directory), the disk's table read by our own
//! reader, and the proof that the table on the disk is the one the kernel
//! uses (the entry's start and size equal sysfs `start` and `size`).

use std::path::Path;

use super::{Disk, Partition, Role, Table};
use crate::error::{Error, Result};

/// The root's partition, with its disk's table.
pub struct RootPartition {
    /// The partition's kernel name (`vda1`).
    pub name: String,
    pub number: u32,
    /// The disk's node (`/dev/vda`) and number.
    pub disk: String,
    pub disk_major: u32,
    pub disk_minor: u32,
    pub table: Table,
}

/// Most alignment a partition's start can claim: 1 MiB, what partitioning
/// tools have used by default for years.
const MAX_ALIGN_BYTES: u64 = 1 << 20;

/// The partition MAJ:MIN is, or `None` when it is no partition.
pub fn find(major: u32, minor: u32) -> Result<Option<RootPartition>> {
    let link = format!("/sys/dev/block/{major}:{minor}");
    let dir = std::fs::canonicalize(&link).map_err(|e| Error::io("realpath", &link, &e))?;
    let Ok(text) = std::fs::read_to_string(dir.join("partition")) else {
        return Ok(None);
    };
    let bad = |why: &str| Error::invalid("sysfs", dir.display(), why);
    let number: u32 = text.trim().parse().map_err(|_| bad("partition number"))?;
    let parent = dir.parent().ok_or_else(|| bad("no disk directory"))?;
    let dev = std::fs::read_to_string(parent.join("dev"))
        .map_err(|e| Error::io("read", parent.join("dev").display(), &e))?;
    let (dmaj, dmin) = dev
        .trim()
        .split_once(':')
        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
        .ok_or_else(|| bad("disk dev"))?;
    let file_name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let disk = super::disk::node(&format!("/dev/{}", file_name(parent)), dmaj, dmin, None)?;
    let table = Disk::open_read(Path::new(&disk))?.table()?;
    let rp = RootPartition {
        name: file_name(&dir),
        number,
        disk,
        disk_major: dmaj,
        disk_minor: dmin,
        table,
    };
    rp.check_kernel(major, minor)?;
    Ok(Some(rp))
}

impl RootPartition {
    /// Refuses when the table's entry is not what the kernel uses.
    pub fn check_kernel(&self, major: u32, minor: u32) -> Result<()> {
        let (kstart, ksize) = super::disk::kernel_extent(major, minor)?;
        let p = self.partition()?;
        let per = self.table.sector_size / 512;
        if p.start.checked_mul(per) != Some(kstart) || p.size.checked_mul(per) != Some(ksize) {
            return Err(Error::refused(format!(
                "the table of {} has partition {} at sectors {}+{} of {} bytes, the kernel uses 512-byte sectors {kstart}+{ksize}: the table changed since the kernel read it",
                self.disk, self.number, p.start, p.size, self.table.sector_size
            )));
        }
        Ok(())
    }

    pub fn partition(&self) -> Result<&Partition> {
        self.table.get(self.number).ok_or_else(|| {
            Error::refused(format!(
                "the kernel's partition {} of {} is not in its {} table",
                self.number,
                self.disk,
                self.table.label.as_str()
            ))
        })
    }

    /// Why this partition cannot be resized, if it cannot.
    pub fn refusal(&self) -> Option<String> {
        match self.partition().map(|p| p.role) {
            Ok(Role::Primary) => None,
            Ok(Role::Logical) => Some(format!(
                "{} is a logical partition inside an extended one: rootlift resizes only GPT and primary MBR partitions",
                self.name
            )),
            Ok(Role::Extended) => Some(format!("{} is an extended partition", self.name)),
            Err(e) => Some(e.to_string()),
        }
    }

    /// The partitions that start after this one.
    pub fn after(&self) -> Vec<&Partition> {
        let start = self.partition().map(|p| p.start).unwrap_or(u64::MAX);
        self.table
            .partitions
            .iter()
            .filter(|p| p.start > start)
            .collect()
    }

    /// The partition's alignment in sectors: the largest power of two its
    /// start (in bytes) is a multiple of, at most 1 MiB; a new end keeps
    /// the space after it aligned the same way.
    pub fn alignment(&self) -> u64 {
        let ss = self.table.sector_size;
        let start = self
            .partition()
            .map(|p| p.start)
            .unwrap_or(0)
            .saturating_mul(ss);
        let bytes = if start == 0 {
            MAX_ALIGN_BYTES
        } else {
            1u64 << start.trailing_zeros().min(63)
        };
        (bytes.min(MAX_ALIGN_BYTES) / ss).max(1)
    }

    /// The sectors a partition holding `fs_bytes` gets: rounded up to the
    /// alignment.
    pub fn sectors_for(&self, fs_bytes: u64) -> Option<u64> {
        let ss = self.table.sector_size;
        let align = self.alignment().checked_mul(ss)?;
        fs_bytes.div_ceil(align).checked_mul(align).map(|b| b / ss)
    }

    /// The table as `grow` writes it first: on a GPT disk that grew, the
    /// backup moved to the disk's end (raising the last usable sector);
    /// with whether it moved.
    pub fn table_for_growth(&self) -> Result<(Table, bool)> {
        let mut t = self.table.clone();
        let moved = t.backup_before_end();
        if moved {
            let sectors = t.disk_sectors;
            t.move_backup_to_end(sectors)
                .map_err(|why| Error::invalid("partition table", &self.disk, why))?;
        }
        Ok((t, moved))
    }

    /// The last sector `grow max` would end the partition at.
    pub fn max_end(&self) -> u64 {
        self.table_for_growth()
            .ok()
            .and_then(|(t, _)| t.max_end(self.number))
            .unwrap_or(0)
    }
}
