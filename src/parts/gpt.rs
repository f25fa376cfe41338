//! The GUID Partition Table (UEFI specification, chapter "GUID Partition
//! Table (GPT) Disk Layout"): a protective MBR in LBA 0, the primary header
//! in LBA 1 pointing at its partition entry array, and a backup header in
//! the disk's last LBA (its `AlternateLBA`) with a second copy of the array
//! just before it. Each header carries a CRC-32 of itself and one of the
//! array; both copies must agree, or nothing is acted on.
//!
//! Fields are read little-endian at the offsets below (the spec's tables
//! "GPT Header" and "GPT Partition Entry"); nothing is overlaid on the
//! bytes. Editing keeps the raw header and array bytes and changes only the
//! fields it means to (an entry's EndingLBA, the backup's location), then
//! recomputes both CRCs of both headers.

use super::{Block, Partition, Role, get, put};
use crate::crc32;
use crate::elf::bytes::{le_u32, le_u64};

// Header fields.
const SIGNATURE: usize = 0x00;
const REVISION: usize = 0x08;
const HEADER_SIZE: usize = 0x0C;
const HEADER_CRC32: usize = 0x10;
const MY_LBA: usize = 0x18;
const ALTERNATE_LBA: usize = 0x20;
const FIRST_USABLE_LBA: usize = 0x28;
const LAST_USABLE_LBA: usize = 0x30;
const DISK_GUID: usize = 0x38;
const PARTITION_ENTRY_LBA: usize = 0x48;
const NUMBER_OF_PARTITION_ENTRIES: usize = 0x50;
const SIZE_OF_PARTITION_ENTRY: usize = 0x54;
const PARTITION_ENTRY_ARRAY_CRC32: usize = 0x58;
/// The header as revision 1.0 defines it; the rest of the block is zero.
const MIN_HEADER_SIZE: usize = 92;

// Partition entry fields.
const PARTITION_TYPE_GUID: usize = 0x00;
const UNIQUE_PARTITION_GUID: usize = 0x10;
const STARTING_LBA: usize = 0x20;
const ENDING_LBA: usize = 0x28;
const ATTRIBUTES: usize = 0x30;
const PARTITION_NAME: usize = 0x38;
/// 36 UTF-16LE code units.
const NAME_BYTES: usize = 72;
/// The entry size the Linux kernel accepts (block/partitions/efi.c), and
/// the one every partitioning tool writes.
const ENTRY_SIZE: usize = 128;

pub const SIGNATURE_BYTES: &[u8; 8] = b"EFI PART";
/// Revision 1.0; a later minor revision keeps the layout.
const REVISION_MAJOR: u32 = 0x0001;
/// An array larger than this is not a real table (128 entries are 16 KiB).
const MAX_ARRAY_BYTES: usize = 1 << 20;
/// The protective MBR's partition type.
pub const PROTECTIVE_TYPE: u8 = 0xEE;

/// One header, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub my_lba: u64,
    pub alternate_lba: u64,
    pub first_usable_lba: u64,
    pub last_usable_lba: u64,
    pub disk_guid: [u8; 16],
    pub partition_entry_lba: u64,
    pub number_of_partition_entries: u32,
    pub partition_entry_array_crc32: u32,
    /// The header's bytes (HeaderSize of them), kept for rewriting.
    raw: Vec<u8>,
}

/// A whole GPT: both headers and the (identical) entry array.
#[derive(Debug, Clone)]
pub struct Gpt {
    pub primary: Header,
    pub backup: Header,
    array: Vec<u8>,
    sector_size: u64,
    /// Where an old backup header was before a move (zeroed on write).
    moved_from: Option<u64>,
}

/// Two tables are the same when their structures are: where an old backup
/// was before a move is not part of the table read back.
impl PartialEq for Gpt {
    fn eq(&self, other: &Gpt) -> bool {
        self.primary == other.primary
            && self.backup == other.backup
            && self.array == other.array
            && self.sector_size == other.sector_size
    }
}

impl Eq for Gpt {}

/// Reads `len` bytes at `lba` through `read`; a short read is an error.
fn sectors(
    read: &mut dyn FnMut(u64, usize) -> Result<Vec<u8>, String>,
    lba: u64,
    sector_size: u64,
    len: usize,
) -> Result<Vec<u8>, String> {
    read(lba.checked_mul(sector_size).ok_or("lba overflows")?, len)
}

/// The array's length in bytes and in whole sectors.
fn array_len(entries: u32, sector_size: u64) -> Result<(usize, u64), &'static str> {
    let bytes = usize::try_from(entries)
        .ok()
        .and_then(|n| n.checked_mul(ENTRY_SIZE))
        .filter(|&b| b > 0 && b <= MAX_ARRAY_BYTES)
        .ok_or("impossible number of partition entries")?;
    Ok((bytes, (bytes as u64).div_ceil(sector_size)))
}

/// Parses and checks the header in `b` (one sector) found at `lba`.
fn parse_header(b: &[u8], lba: u64, disk_sectors: u64, sector_size: u64) -> Result<Header, String> {
    header(b, lba, disk_sectors, sector_size).map_err(|why| {
        let which = if lba == 1 { "primary" } else { "backup" };
        format!("{which} gpt header at lba {lba}: {why}")
    })
}

fn header(b: &[u8], lba: u64, disk_sectors: u64, sector_size: u64) -> Result<Header, &'static str> {
    if b.get(SIGNATURE..SIGNATURE + 8) != Some(SIGNATURE_BYTES.as_slice()) {
        return Err("no 'EFI PART' signature");
    }
    let u32_at = |at| le_u32(b, at).ok_or("truncated");
    let u64_at = |at| le_u64(b, at).ok_or("truncated");
    if u32_at(REVISION)? >> 16 != REVISION_MAJOR {
        return Err("unknown revision");
    }
    let header_size = usize::try_from(u32_at(HEADER_SIZE)?).unwrap_or(usize::MAX);
    if header_size < MIN_HEADER_SIZE || header_size > b.len() {
        return Err("impossible header size");
    }
    let mut raw = b.get(..header_size).unwrap_or(&[]).to_vec();
    let stored = u32_at(HEADER_CRC32)?;
    put(&mut raw, HEADER_CRC32, &[0; 4]);
    if stored != crc32::checksum(&raw) {
        return Err("bad header crc32");
    }
    put(&mut raw, HEADER_CRC32, &stored.to_le_bytes());
    if u32_at(SIZE_OF_PARTITION_ENTRY)? as usize != ENTRY_SIZE {
        return Err("partition entry size is not 128");
    }
    let h = Header {
        my_lba: u64_at(MY_LBA)?,
        alternate_lba: u64_at(ALTERNATE_LBA)?,
        first_usable_lba: u64_at(FIRST_USABLE_LBA)?,
        last_usable_lba: u64_at(LAST_USABLE_LBA)?,
        disk_guid: get::<16>(b, DISK_GUID).ok_or("truncated")?,
        partition_entry_lba: u64_at(PARTITION_ENTRY_LBA)?,
        number_of_partition_entries: u32_at(NUMBER_OF_PARTITION_ENTRIES)?,
        partition_entry_array_crc32: u32_at(PARTITION_ENTRY_ARRAY_CRC32)?,
        raw,
    };
    // The geometry every later step relies on, in disk order: header 1,
    // primary array, usable space, backup array, backup header.
    let (_, array_sectors) = array_len(h.number_of_partition_entries, sector_size)?;
    let array_end = h.partition_entry_lba.checked_add(array_sectors);
    let last = disk_sectors.saturating_sub(1);
    let ok = h.my_lba == lba
        && h.alternate_lba != lba
        && h.alternate_lba <= last
        && h.first_usable_lba <= h.last_usable_lba
        && h.last_usable_lba < last
        && h.first_usable_lba > 1
        && match (lba == 1, array_end) {
            (true, Some(end)) => h.partition_entry_lba >= 2 && end <= h.first_usable_lba,
            (false, Some(end)) => h.partition_entry_lba > h.last_usable_lba && end <= lba,
            (_, None) => false,
        };
    if !ok {
        return Err("impossible geometry (own, alternate, usable or entry lba)");
    }
    Ok(h)
}

impl Gpt {
    /// Reads both headers and both arrays through `read(offset, len)`;
    /// every CRC, the geometry and the agreement of the two copies are
    /// checked.
    pub fn read(
        read: &mut dyn FnMut(u64, usize) -> Result<Vec<u8>, String>,
        disk_sectors: u64,
        sector_size: u64,
    ) -> Result<Gpt, String> {
        let ss = usize::try_from(sector_size).map_err(|_| "sector size".to_owned())?;
        let block = sectors(read, 1, sector_size, ss)?;
        let primary = parse_header(&block, 1, disk_sectors, sector_size)?;
        let block = sectors(read, primary.alternate_lba, sector_size, ss)?;
        let backup = parse_header(&block, primary.alternate_lba, disk_sectors, sector_size)?;
        let (len, _) = array_len(primary.number_of_partition_entries, sector_size)?;
        let array = sectors(read, primary.partition_entry_lba, sector_size, len)?;
        if crc32::checksum(&array) != primary.partition_entry_array_crc32 {
            return Err("bad crc32 of the primary gpt entry array".into());
        }
        let copy = sectors(read, backup.partition_entry_lba, sector_size, len)?;
        let agree = backup.alternate_lba == 1
            && backup.disk_guid == primary.disk_guid
            && backup.first_usable_lba == primary.first_usable_lba
            && backup.last_usable_lba == primary.last_usable_lba
            && backup.number_of_partition_entries == primary.number_of_partition_entries
            && backup.partition_entry_array_crc32 == primary.partition_entry_array_crc32
            && copy == array;
        if !agree {
            return Err("the backup gpt header or entry array differs from the primary".into());
        }
        Ok(Gpt {
            primary,
            backup,
            array,
            sector_size,
            moved_from: None,
        })
    }

    /// The used entries, checked: inside the usable range, not overlapping.
    pub fn partitions(&self) -> Result<Vec<Partition>, String> {
        let mut list = Vec::new();
        for (i, e) in self.array.chunks_exact(ENTRY_SIZE).enumerate() {
            let type_guid = get::<16>(e, PARTITION_TYPE_GUID).unwrap_or_default();
            if type_guid == [0; 16] {
                continue;
            }
            let number = u32::try_from(i + 1).map_err(|_| "entry number".to_owned())?;
            let start = le_u64(e, STARTING_LBA).unwrap_or(0);
            let end = le_u64(e, ENDING_LBA).unwrap_or(0);
            if start < self.primary.first_usable_lba
                || end < start
                || end > self.primary.last_usable_lba
            {
                return Err(format!(
                    "partition {number} lies outside the usable sectors"
                ));
            }
            let attributes = le_u64(e, ATTRIBUTES).unwrap_or(0);
            list.push(Partition {
                number,
                start,
                size: end - start + 1,
                type_id: guid_text(&type_guid),
                uuid: Some(guid_text(
                    &get::<16>(e, UNIQUE_PARTITION_GUID).unwrap_or_default(),
                )),
                name: name_text(e.get(PARTITION_NAME..PARTITION_NAME + NAME_BYTES)),
                attrs: attrs_text(attributes),
                bootable: false,
                role: Role::Primary,
            });
        }
        super::check_overlaps(&list)?;
        Ok(list)
    }

    pub fn disk_id(&self) -> String {
        guid_text(&self.primary.disk_guid)
    }

    /// Sets entry `number`'s EndingLBA to `end` in the array, and both
    /// headers' array CRC and header CRC.
    pub fn set_end(&mut self, number: u32, end: u64) -> Result<(), String> {
        let at = usize::try_from(number)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| i.checked_mul(ENTRY_SIZE))
            .and_then(|o| o.checked_add(ENDING_LBA))
            .filter(|o| o + 8 <= self.array.len())
            .ok_or_else(|| format!("no gpt entry {number}"))?;
        put(&mut self.array, at, &end.to_le_bytes());
        let crc = crc32::checksum(&self.array);
        for h in [&mut self.primary, &mut self.backup] {
            h.partition_entry_array_crc32 = crc;
            put(&mut h.raw, PARTITION_ENTRY_ARRAY_CRC32, &crc.to_le_bytes());
            seal(h);
        }
        Ok(())
    }

    /// Moves the backup array and header to the end of a disk of
    /// `disk_sectors` (which grew) and raises LastUsableLBA to just before
    /// the backup array, as the primary header then says.
    pub fn move_backup_to_end(&mut self, disk_sectors: u64) -> Result<(), String> {
        let (_, array_sectors) =
            array_len(self.primary.number_of_partition_entries, self.sector_size)?;
        let last = disk_sectors
            .checked_sub(1)
            .filter(|&l| l > self.backup.my_lba)
            .ok_or("the disk did not grow")?;
        let array_lba = last
            .checked_sub(array_sectors)
            .ok_or("no room for the backup array")?;
        let last_usable = array_lba
            .checked_sub(1)
            .filter(|&l| l >= self.primary.last_usable_lba)
            .ok_or("no room for the backup array")?;
        self.moved_from = Some(self.backup.my_lba);
        let p = &mut self.primary;
        p.alternate_lba = last;
        p.last_usable_lba = last_usable;
        put(&mut p.raw, ALTERNATE_LBA, &last.to_le_bytes());
        put(&mut p.raw, LAST_USABLE_LBA, &last_usable.to_le_bytes());
        seal(p);
        let b = &mut self.backup;
        b.my_lba = last;
        b.last_usable_lba = last_usable;
        b.partition_entry_lba = array_lba;
        put(&mut b.raw, MY_LBA, &last.to_le_bytes());
        put(&mut b.raw, LAST_USABLE_LBA, &last_usable.to_le_bytes());
        put(&mut b.raw, PARTITION_ENTRY_LBA, &array_lba.to_le_bytes());
        seal(b);
        Ok(())
    }

    /// The on-disk structures in the order they are written: the backup
    /// first (array, header), then the primary, so that at every moment one
    /// complete copy is valid; last, a backup header left behind by a move
    /// is zeroed.
    pub fn blocks(&self) -> Vec<Block> {
        let at = |lba: u64| lba.saturating_mul(self.sector_size);
        let mut v = vec![
            Block::new(at(self.backup.partition_entry_lba), self.array.clone()),
            Block::new(at(self.backup.my_lba), self.backup.raw.clone()),
            Block::new(at(self.primary.partition_entry_lba), self.array.clone()),
            Block::new(at(1), self.primary.raw.clone()),
        ];
        if let Some(old) = self.moved_from {
            v.push(Block::new(at(old), vec![0; self.backup.raw.len()]));
        }
        v
    }
}

/// Recomputes a header's HeaderCRC32 over its HeaderSize bytes, with the
/// field itself zero while it is computed.
fn seal(h: &mut Header) {
    put(&mut h.raw, HEADER_CRC32, &[0; 4]);
    let crc = crc32::checksum(&h.raw);
    put(&mut h.raw, HEADER_CRC32, &crc.to_le_bytes());
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// A GUID as text: the first three fields are little-endian on disk, the
/// last two are bytes in order (UEFI specification, appendix "GUID and
/// Time Formats"); upper case, as sfdisk prints it.
pub fn guid_text(g: &[u8; 16]) -> String {
    const ORDER: [usize; 16] = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
    let mut s = String::with_capacity(36);
    for (n, &i) in ORDER.iter().enumerate() {
        if matches!(n, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        let b = g.get(i).copied().unwrap_or(0);
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    s
}

/// The partition name: UTF-16LE up to the first NUL; `None` when empty.
fn name_text(b: Option<&[u8]>) -> Option<String> {
    let units = b?
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0);
    let s: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    (!s.is_empty()).then_some(s)
}

/// The attribute bits as sfdisk words them: the three the spec names
/// (bits 0-2), then `GUID:` with the type-specific bits 48-63 that are set;
/// bits 3-47 are reserved and not shown. `None` when nothing is shown.
fn attrs_text(a: u64) -> Option<String> {
    const NAMED: [&str; 3] = [
        "RequiredPartition",
        "NoBlockIOProtocol",
        "LegacyBIOSBootable",
    ];
    let mut s = String::new();
    for (bit, name) in NAMED.iter().enumerate() {
        if a & (1 << bit) != 0 {
            s.push_str(name);
            s.push(' ');
        }
    }
    let mut sep = "GUID:";
    for bit in 48..64 {
        if a & (1u64 << bit) != 0 {
            s.push_str(sep);
            s.push_str(&bit.to_string());
            sep = ",";
        }
    }
    let s = s.trim_end().to_owned();
    (!s.is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_are_mixed_endian() {
        // The Linux filesystem data type as it lies on disk.
        let g = [
            0xAF, 0x3D, 0xC6, 0x0F, 0x83, 0x84, 0x72, 0x47, 0x8E, 0x79, 0x3D, 0x69, 0xD8, 0x47,
            0x7D, 0xE4,
        ];
        assert_eq!(guid_text(&g), "0FC63DAF-8483-4772-8E79-3D69D8477DE4");
    }

    #[test]
    fn attributes_as_sfdisk_words_them() {
        assert_eq!(attrs_text(0), None);
        assert_eq!(attrs_text(1 << 3), None);
        assert_eq!(
            attrs_text(1 | 4 | 1 << 60).as_deref(),
            Some("RequiredPartition LegacyBIOSBootable GUID:60")
        );
        assert_eq!(
            attrs_text(1 << 48 | 1 << 63 | 2).as_deref(),
            Some("NoBlockIOProtocol GUID:48,63")
        );
    }

    #[test]
    fn names_stop_at_nul_and_survive_bad_utf16() {
        let mut b = [0u8; NAME_BYTES];
        b[..6].copy_from_slice(&[b'a', 0, 0xE4, 0, b'b', 0]);
        assert_eq!(name_text(Some(&b)).as_deref(), Some("aäb"));
        b[..2].copy_from_slice(&[0x00, 0xD8]); // a lone high surrogate
        assert_eq!(name_text(Some(&b)).as_deref(), Some("\u{FFFD}äb"));
        assert_eq!(name_text(Some(&[0u8; NAME_BYTES])), None);
    }
}
