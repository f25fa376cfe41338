//! Partition tables, read and written by our own code: GPT (gpt.rs, both
//! headers and entry arrays with their CRC-32s) and MBR/DOS (mbr.rs,
//! primaries and the logical partitions of an extended one). No external
//! tool touches a table rootlift edits.
//!
//! - [`Table::read`]: the table of a disk or image, every check done (CRCs,
//!   geometry, the two GPT copies agreeing, partitions on the disk and not
//!   overlapping); any failure is an error and nothing is acted on.
//! - [`Table::set_size`] / [`Table::move_backup_to_end`]: edits in memory;
//!   [`Table::blocks`] gives the structures to write, and [`patches`] the
//!   byte runs that differ from the disk (what a write changes, and what the
//!   journal keeps to undo it).
//! - `rootlift parts DEV|FILE [--json]` (report.rs): the JSON has the shape
//!   and values `sfdisk --json` prints.

pub mod blkpg;
pub mod disk;
pub mod gpt;
pub mod mbr;
pub mod report;
pub mod survey;

use std::path::Path;

use crate::error::Result;
use crate::probe::device::{BlockSource, read_full};

pub use disk::Disk;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    Gpt,
    Dos,
}

impl Label {
    /// As sfdisk names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Gpt => "gpt",
            Label::Dos => "dos",
        }
    }
}

/// What a partition is in its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A GPT entry or an MBR primary.
    Primary,
    /// The MBR container of the logical partitions.
    Extended,
    /// Inside the extended partition.
    Logical,
}

/// One partition, in sectors of the table's sector size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    /// The kernel's and sfdisk's number: GPT entry index + 1; MBR slot + 1,
    /// logicals from 5.
    pub number: u32,
    pub start: u64,
    pub size: u64,
    /// GPT: the type GUID; MBR: the type byte in hex, as sfdisk prints them.
    pub type_id: String,
    pub uuid: Option<String>,
    pub name: Option<String>,
    pub attrs: Option<String>,
    pub bootable: bool,
    pub role: Role,
}

impl Partition {
    /// The last sector (inclusive).
    pub fn end(&self) -> u64 {
        self.start.saturating_add(self.size).saturating_sub(1)
    }
}

/// A partition table as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub label: Label,
    pub sector_size: u64,
    pub disk_sectors: u64,
    /// GPT: the disk GUID; MBR: the disk signature as `0x%08x`.
    pub id: String,
    /// The sectors partitions may use: GPT's usable LBAs; MBR: from sector
    /// 1 to the disk's end or the last sector 32 bits can address.
    pub first_lba: u64,
    pub last_lba: u64,
    pub partitions: Vec<Partition>,
    /// LBA 0: the MBR, or GPT's protective MBR.
    mbr: mbr::Mbr,
    gpt: Option<gpt::Gpt>,
}

/// Bytes to be written at a byte offset of the disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub offset: u64,
    pub bytes: Vec<u8>,
}

impl Block {
    pub fn new(offset: u64, bytes: Vec<u8>) -> Block {
        Block { offset, bytes }
    }
}

/// A run of bytes a write changes: what is on the disk now and what goes
/// there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    pub offset: u64,
    pub old: Vec<u8>,
    pub new: Vec<u8>,
}

/// The logical sector size of an image file: where the GPT header is (LBA
/// 1 of 512 or of 4096 bytes); 512 when there is none.
pub fn detect_sector_size<S: BlockSource + ?Sized>(src: &S) -> u64 {
    for size in [512u64, 4096] {
        let mut sig = [0u8; 8];
        if read_full(src, size, &mut sig).is_ok_and(|n| n == 8) && &sig == gpt::SIGNATURE_BYTES {
            return size;
        }
    }
    512
}

impl Table {
    /// Reads and checks the table of `src` in sectors of `sector_size`.
    pub fn read<S: BlockSource + ?Sized>(src: &S, sector_size: u64) -> Result<Table, String> {
        if !matches!(sector_size, 512 | 1024 | 2048 | 4096) {
            return Err("unsupported sector size".into());
        }
        let disk_sectors = src.size() / sector_size;
        let mut read = |offset: u64, len: usize| -> Result<Vec<u8>, String> {
            let mut buf = vec![0u8; len];
            match read_full(src, offset, &mut buf) {
                Ok(n) if n == len => Ok(buf),
                Ok(_) => Err(format!("the disk ends before byte {}", offset + len as u64)),
                Err(e) => Err(crate::error::ErrnoText::io(&e).to_string()),
            }
        };
        let sector0 = read(0, mbr::SECTOR)?;
        if !mbr::has_boot_signature(&sector0) {
            return Err("no partition table (no 0x55aa boot signature)".into());
        }
        let pmbr = mbr::Mbr::new(sector0.clone());
        let protective = (0..4).any(|s| mbr::slot_type(&sector0, s) == gpt::PROTECTIVE_TYPE);
        let (label, id, first_lba, last_lba, partitions, gpt) = if protective {
            let g = gpt::Gpt::read(&mut read, disk_sectors, sector_size)?;
            let parts = g.partitions()?;
            let (first, last) = (g.primary.first_usable_lba, g.primary.last_usable_lba);
            (Label::Gpt, g.disk_id(), first, last, parts, Some(g))
        } else {
            let parts = pmbr.partitions(&mut read, disk_sectors, sector_size)?;
            let last = disk_sectors.saturating_sub(1).min(u64::from(u32::MAX));
            (Label::Dos, pmbr.disk_id(), 1, last, parts, None)
        };
        Ok(Table {
            label,
            sector_size,
            disk_sectors,
            id,
            first_lba,
            last_lba,
            partitions,
            mbr: pmbr,
            gpt,
        })
    }

    pub fn get(&self, number: u32) -> Option<&Partition> {
        self.partitions.iter().find(|p| p.number == number)
    }

    /// The last sector partition `number` may end at: before the next
    /// partition that starts after it, or at the last usable sector.
    pub fn max_end(&self, number: u32) -> Option<u64> {
        let p = self.get(number)?;
        let next = self
            .partitions
            .iter()
            .filter(|q| q.number != number && q.start > p.start && q.role != Role::Logical)
            .map(|q| q.start.saturating_sub(1))
            .min();
        Some(next.unwrap_or(self.last_lba).min(self.last_lba))
    }

    /// Gives partition `number` `size` sectors (same start), in memory.
    /// Refused for logical and extended partitions, and for an end outside
    /// the usable sectors or over another partition.
    pub fn set_size(&mut self, number: u32, size: u64) -> Result<(), String> {
        let p = self
            .get(number)
            .ok_or_else(|| format!("no partition {number}"))?
            .clone();
        if p.role != Role::Primary {
            return Err(format!(
                "partition {number} is a logical or extended one: only GPT and primary MBR partitions are resized"
            ));
        }
        let end = p
            .start
            .checked_add(size)
            .and_then(|e| e.checked_sub(1))
            .filter(|&e| size > 0 && e <= self.last_lba)
            .ok_or_else(|| {
                format!(
                    "partition {number} cannot end past sector {}",
                    self.last_lba
                )
            })?;
        if let Some(q) = self
            .partitions
            .iter()
            .find(|q| q.number != number && q.start <= end && p.start <= q.end())
        {
            return Err(format!(
                "partition {number} ending at sector {end} would overlap partition {}",
                q.number
            ));
        }
        match &mut self.gpt {
            Some(g) => g.set_end(number, end)?,
            None => self.mbr.set_size(number, p.start, size)?,
        }
        if let Some(q) = self.partitions.iter_mut().find(|q| q.number == number) {
            q.size = size;
        }
        Ok(())
    }

    /// Moves the GPT backup to the end of a disk that grew to
    /// `disk_sectors`, raising the last usable sector, and makes the
    /// protective MBR cover the whole disk.
    pub fn move_backup_to_end(&mut self, disk_sectors: u64) -> Result<(), String> {
        let Some(g) = &mut self.gpt else {
            return Err("an mbr has no backup to move".into());
        };
        g.move_backup_to_end(disk_sectors)?;
        self.mbr.cover_disk(disk_sectors);
        self.disk_sectors = disk_sectors;
        self.last_lba = g.primary.last_usable_lba;
        Ok(())
    }

    /// A GPT's number of entries (the array's length).
    pub fn gpt_entries(&self) -> Option<u32> {
        self.gpt
            .as_ref()
            .map(|g| g.primary.number_of_partition_entries)
    }

    /// Whether a GPT's backup header is not in the disk's last sector (the
    /// disk grew since the table was written).
    pub fn backup_before_end(&self) -> bool {
        self.gpt
            .as_ref()
            .is_some_and(|g| g.backup.my_lba < self.disk_sectors.saturating_sub(1))
    }

    /// The on-disk structures of the table as it is in memory, in write
    /// order (GPT: backup, primary, protective MBR).
    pub fn blocks(&self) -> Vec<Block> {
        match &self.gpt {
            Some(g) => {
                let mut v = g.blocks();
                // After the headers, before the wipe of an old backup.
                v.insert(4, self.mbr.block());
                v
            }
            None => vec![self.mbr.block()],
        }
    }
}

/// The runs of `blocks` that differ from what `src` holds now (runs closer
/// than 8 bytes are joined); an unchanged table gives none.
pub fn patches<S: BlockSource + ?Sized>(src: &S, blocks: &[Block]) -> Result<Vec<Patch>, String> {
    const JOIN: usize = 8;
    let mut out = Vec::new();
    for b in blocks {
        let mut old = vec![0u8; b.bytes.len()];
        if read_full(src, b.offset, &mut old)
            .map_err(|e| crate::error::ErrnoText::io(&e).to_string())?
            != old.len()
        {
            return Err("a table structure lies beyond the end of the disk".into());
        }
        let mut i = 0;
        while i < old.len() {
            if old.get(i) == b.bytes.get(i) {
                i += 1;
                continue;
            }
            let start = i;
            let mut end = i + 1;
            while end < old.len() {
                let gap = (end..old.len().min(end + JOIN)).all(|k| old.get(k) == b.bytes.get(k));
                if gap {
                    break;
                }
                end += 1;
            }
            let offset = b
                .offset
                .checked_add(start as u64)
                .ok_or("offset overflows")?;
            out.push(Patch {
                offset,
                old: old.get(start..end).unwrap_or(&[]).to_vec(),
                new: b.bytes.get(start..end).unwrap_or(&[]).to_vec(),
            });
            i = end;
        }
    }
    Ok(out)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The old bytes of `patches` as one journal word: `OFFSET:HEX,...`.
pub fn old_text(patches: &[Patch]) -> String {
    let runs: Vec<String> = patches
        .iter()
        .map(|p| {
            let mut run = p.offset.to_string();
            run.push(':');
            for b in &p.old {
                run.push(char::from(HEX[usize::from(b >> 4)]));
                run.push(char::from(HEX[usize::from(b & 15)]));
            }
            run
        })
        .collect();
    runs.join(",")
}

/// [`old_text`] read back: patches with their `old` bytes (and no `new`).
pub fn old_from_text(s: &str) -> Option<Vec<Patch>> {
    s.split(',')
        .filter(|run| !run.is_empty())
        .map(|run| {
            let (offset, hex) = run.split_once(':')?;
            let old = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
                .collect::<Option<Vec<u8>>>()?;
            Some(Patch {
                offset: offset.parse().ok()?,
                old,
                new: Vec::new(),
            })
        })
        .collect()
}

/// Refuses partitions that overlap (each against every other; an extended
/// partition may hold logicals).
pub fn check_overlaps(list: &[Partition]) -> Result<(), String> {
    for (i, a) in list.iter().enumerate() {
        for b in list.iter().skip(i + 1) {
            let nested = (a.role == Role::Extended) != (b.role == Role::Extended)
                && (a.role == Role::Logical || b.role == Role::Logical);
            if !nested && a.start <= b.end() && b.start <= a.end() {
                return Err(format!("partitions {} and {} overlap", a.number, b.number));
            }
        }
    }
    Ok(())
}

/// `N` bytes at `at`, if they are there.
pub(crate) fn get<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// Writes `v` at `at` when it fits (the callers' offsets are constants
/// inside buffers whose size they checked).
pub(crate) fn put(b: &mut [u8], at: usize, v: &[u8]) {
    if let Some(dst) = at.checked_add(v.len()).and_then(|end| b.get_mut(at..end)) {
        dst.copy_from_slice(v);
    }
}

/// `rootlift parts DEV|FILE [--json]`.
#[inline(never)]
pub fn command(path: &Path, json: bool) -> Result<()> {
    let disk = Disk::open_read(path)?;
    let table = disk.table()?;
    let shown = path.display().to_string();
    if json {
        crate::output::json(report::json(&table, &shown))
    } else {
        crate::output::text(&report::text(&table, &shown))
    }
}

/// The device node sfdisk names partition `number` of `disk` with: a `p`
/// between a name ending in a digit and the number (`/dev/nvme0n1p1`,
/// `/dev/loop0p1`), none otherwise (`/dev/vda1`, `disk.img1`).
pub fn node_name(disk: &str, number: u32) -> String {
    let sep = if disk.ends_with(|c: char| c.is_ascii_digit()) {
        "p"
    } else {
        ""
    };
    format!("{disk}{sep}{number}")
}
