//! The MBR / DOS partition table: LBA 0 ends in the boot signature 0x55AA
//! and holds the disk signature and four 16-byte primary entries (boot
//! indicator, CHS start, type, CHS end, LBA start, sector count). An
//! extended partition (types 0x05, 0x0F, 0x85) holds a chain of extended
//! boot records: each has the logical partition in its first entry (start
//! relative to that EBR) and the next EBR in its second (start relative to
//! the extended partition). Logical partitions are numbered from 5, as the
//! kernel's block/partitions/msdos.c and sfdisk number them.
//!
//! Only primary entries are ever edited, in LBA 0: the sector count and the
//! CHS end that goes with it.

use super::{Block, Partition, Role, get, put};
use crate::elf::bytes::le_u32;

pub const DISK_SIGNATURE: usize = 0x1B8;
pub const PARTITION_TABLE: usize = 0x1BE;
pub const ENTRY_SIZE: usize = 16;
pub const BOOT_SIGNATURE: usize = 0x1FE;
pub const SECTOR: usize = 512;

// Entry fields.
const BOOT_INDICATOR: usize = 0x0;
const CHS_END: usize = 0x5;
pub const TYPE: usize = 0x4;
const LBA_START: usize = 0x8;
const SECTORS: usize = 0xC;

const BOOTABLE: u8 = 0x80;
const EXTENDED_TYPES: [u8; 3] = [0x05, 0x0F, 0x85];
/// How many logical partitions are followed before the chain is called a
/// loop (the kernel stops at its own limit too).
const MAX_LOGICALS: usize = 128;

/// LBA 0, as read, with the table it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mbr {
    sector: Vec<u8>,
}

/// Whether `b` (LBA 0) ends in the boot signature.
pub fn has_boot_signature(b: &[u8]) -> bool {
    b.get(BOOT_SIGNATURE..BOOT_SIGNATURE + 2) == Some([0x55, 0xAA].as_slice())
}

/// The type byte of primary entry `slot` (0..4).
pub fn slot_type(b: &[u8], slot: usize) -> u8 {
    b.get(PARTITION_TABLE + slot * ENTRY_SIZE + TYPE)
        .copied()
        .unwrap_or(0)
}

/// One entry: (boot indicator, type, relative start, sectors).
fn entry(b: &[u8], slot: usize) -> Option<(u8, u8, u64, u64)> {
    let at = PARTITION_TABLE.checked_add(slot.checked_mul(ENTRY_SIZE)?)?;
    let e = b.get(at..at + ENTRY_SIZE)?;
    Some((
        *e.get(BOOT_INDICATOR)?,
        *e.get(TYPE)?,
        u64::from(le_u32(e, LBA_START)?),
        u64::from(le_u32(e, SECTORS)?),
    ))
}

impl Mbr {
    pub fn new(sector: Vec<u8>) -> Mbr {
        Mbr { sector }
    }

    pub fn disk_id(&self) -> String {
        let sig = get::<4>(&self.sector, DISK_SIGNATURE).unwrap_or_default();
        format!("0x{:08x}", u32::from_le_bytes(sig))
    }

    /// The primaries, then the logicals of the extended partition, read
    /// through `read(offset, len)`; every partition must lie on the disk.
    pub fn partitions(
        &self,
        read: &mut dyn FnMut(u64, usize) -> Result<Vec<u8>, String>,
        disk_sectors: u64,
        sector_size: u64,
    ) -> Result<Vec<Partition>, String> {
        let mut list = Vec::new();
        let mut extended = None;
        for slot in 0..4 {
            let (boot, kind, start, size) = entry(&self.sector, slot).unwrap_or_default();
            if boot != 0 && boot != BOOTABLE {
                return Err("a primary entry has a bad boot indicator".into());
            }
            if kind == 0 {
                continue;
            }
            let role = if EXTENDED_TYPES.contains(&kind) {
                if extended.is_some() {
                    return Err("more than one extended partition".into());
                }
                extended = Some((start, size));
                Role::Extended
            } else {
                Role::Primary
            };
            list.push(partition(
                slot as u32 + 1,
                start,
                size,
                kind,
                boot,
                role,
                disk_sectors,
            )?);
        }
        super::check_overlaps(&list)?;
        if let Some((ext_start, ext_size)) = extended {
            logicals(
                read,
                &mut list,
                ext_start,
                ext_size,
                disk_sectors,
                sector_size,
            )?;
        }
        Ok(list)
    }

    /// Sets primary `number`'s sector count and its CHS end.
    pub fn set_size(&mut self, number: u32, start: u64, size: u64) -> Result<(), String> {
        let at = usize::try_from(number)
            .ok()
            .filter(|n| (1..=4).contains(n))
            .map(|n| PARTITION_TABLE + (n - 1) * ENTRY_SIZE)
            .ok_or_else(|| format!("partition {number} is not a primary"))?;
        let count = u32::try_from(size).map_err(|_| "too many sectors for an mbr".to_owned())?;
        let end = start
            .checked_add(size)
            .and_then(|e| e.checked_sub(1))
            .ok_or_else(|| "the end overflows".to_owned())?;
        put(&mut self.sector, at + SECTORS, &count.to_le_bytes());
        put(&mut self.sector, at + CHS_END, &chs(end));
        Ok(())
    }

    /// Sets the protective entry's sector count to cover a disk of
    /// `disk_sectors` (capped at 2^32-1, as the UEFI specification says).
    pub fn cover_disk(&mut self, disk_sectors: u64) {
        for slot in 0..4 {
            if slot_type(&self.sector, slot) == super::gpt::PROTECTIVE_TYPE {
                let count = u32::try_from(disk_sectors.saturating_sub(1)).unwrap_or(u32::MAX);
                let at = PARTITION_TABLE + slot * ENTRY_SIZE;
                put(&mut self.sector, at + SECTORS, &count.to_le_bytes());
                put(&mut self.sector, at + CHS_END, &[0xFE, 0xFF, 0xFF]);
            }
        }
    }

    pub fn block(&self) -> Block {
        Block::new(0, self.sector.clone())
    }
}

/// A partition from an entry, checked to lie on the disk.
fn partition(
    number: u32,
    start: u64,
    size: u64,
    kind: u8,
    boot: u8,
    role: Role,
    disk_sectors: u64,
) -> Result<Partition, String> {
    if start == 0 || size == 0 || start.saturating_add(size) > disk_sectors {
        return Err(format!("partition {number} lies beyond the disk"));
    }
    Ok(Partition {
        number,
        start,
        size,
        type_id: format!("{kind:x}"),
        uuid: None,
        name: None,
        attrs: None,
        bootable: boot == BOOTABLE,
        role,
    })
}

/// Follows the EBR chain of the extended partition at `ext_start`.
fn logicals(
    read: &mut dyn FnMut(u64, usize) -> Result<Vec<u8>, String>,
    list: &mut Vec<Partition>,
    ext_start: u64,
    ext_size: u64,
    disk_sectors: u64,
    sector_size: u64,
) -> Result<(), String> {
    let ext_end = ext_start.saturating_add(ext_size);
    let mut ebr = ext_start;
    for n in 0..MAX_LOGICALS {
        let number = u32::try_from(n + 5).unwrap_or(u32::MAX);
        let at = ebr
            .checked_mul(sector_size)
            .ok_or_else(|| "ebr offset overflows".to_owned())?;
        let b = read(at, SECTOR)?;
        if !has_boot_signature(&b) {
            return Err("an extended boot record has no 0x55aa".into());
        }
        let (boot, kind, rel, size) = entry(&b, 0).unwrap_or_default();
        if kind != 0 {
            let start = ebr.saturating_add(rel);
            if start.saturating_add(size) > ext_end || rel == 0 {
                return Err(format!(
                    "logical partition {number} lies outside its extended one"
                ));
            }
            list.push(partition(
                number,
                start,
                size,
                kind,
                boot,
                Role::Logical,
                disk_sectors,
            )?);
        }
        let (_, next_kind, next_rel, _) = entry(&b, 1).unwrap_or_default();
        if next_kind == 0 {
            return super::check_overlaps(list);
        }
        let next = ext_start.saturating_add(next_rel);
        // Each EBR lies after the one before, inside the extended partition.
        if !EXTENDED_TYPES.contains(&next_kind) || next <= ebr || next >= ext_end {
            return Err("a bad link in the extended boot record chain".into());
        }
        ebr = next;
    }
    Err("too many logical partitions".into())
}

/// The CHS address of `lba` in the geometry partitioning tools assume for
/// LBA disks (255 heads, 63 sectors per track), or the "beyond 1024
/// cylinders" marker FE FF FF (cylinder 1023, head 254, sector 63).
fn chs(lba: u64) -> [u8; 3] {
    const HEADS: u64 = 255;
    const SECTORS_PER_TRACK: u64 = 63;
    let cylinder = lba / (HEADS * SECTORS_PER_TRACK);
    if cylinder > 1023 {
        return [0xFE, 0xFF, 0xFF];
    }
    let head = (lba / SECTORS_PER_TRACK) % HEADS;
    let sector = lba % SECTORS_PER_TRACK + 1;
    [
        head as u8,
        (sector as u8) | ((cylinder >> 2) as u8 & 0xC0),
        cylinder as u8,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chs_as_sfdisk_writes_it() {
        // Seen in a table sfdisk made: sector 18431 is 25 24 01, 2048 is 20 21 00.
        assert_eq!(chs(18431), [0x25, 0x24, 0x01]);
        assert_eq!(chs(2048), [0x20, 0x21, 0x00]);
        assert_eq!(chs(1024 * 255 * 63), [0xFE, 0xFF, 0xFF]);
    }
}
