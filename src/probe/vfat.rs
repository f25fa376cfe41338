//! FAT12/16/32 (the Microsoft FAT specification's boot sector and BPB;
//! the probe of libblkid/src/superblocks/vfat.c, whose checks and choices
//! this follows): a boot sector that passes the BPB sanity checks; the
//! label is the volume-label entry of the root directory, the UUID the
//! volume serial number printed `XXXX-XXXX`.

use super::device::BlockSource;
use super::text::{has_magic, label};
use super::{Found, read_vec};
use crate::elf::bytes::{le_u16, le_u32};

// The BPB shared by all FAT variants (blkid's msdos_super_block).
const MS_SECTOR_SIZE: usize = 0x0B;
const MS_CLUSTER_SIZE: usize = 0x0D;
const MS_RESERVED: usize = 0x0E;
const MS_FATS: usize = 0x10;
const MS_DIR_ENTRIES: usize = 0x11;
const MS_SECTORS: usize = 0x13;
const MS_MEDIA: usize = 0x15;
const MS_FAT_LENGTH: usize = 0x16;
const MS_TOTAL_SECT: usize = 0x20;
const MS_EXT_BOOT_SIGN: usize = 0x26;
const MS_SERNO: usize = 0x27;
const MS_MAGIC: usize = 0x36;
// The FAT32 extension (blkid's vfat_super_block).
const VS_FAT32_LENGTH: usize = 0x24;
const VS_ROOT_CLUSTER: usize = 0x2C;
const VS_FSINFO_SECTOR: usize = 0x30;
const VS_SERNO: usize = 0x43;
const VS_MAGIC: usize = 0x52;
const PMAGIC: usize = 0x1FE;

const FAT12_MAX: u32 = 0xFF4;
const FAT16_MAX: u32 = 0xFFF4;
const FAT32_MAX: u32 = 0x0FFF_FFF6;

// struct vfat_dir_entry
const DIR_ENTRY: usize = 32;
const DE_ATTR: usize = 11;
const DE_CLUSTER_HIGH: usize = 20;
const DE_CLUSTER_LOW: usize = 26;
const ATTR_VOLUME_ID: u8 = 0x08;
const ATTR_DIR: u8 = 0x10;
const ATTR_LONG_NAME: u8 = 0x0f;
const ATTR_MASK: u8 = 0x3f;
const ENTRY_FREE: u8 = 0xe5;
/// Directory entries read per chunk while looking for the label.
const ENTRIES_PER_READ: usize = 128;
/// blkid follows at most this many clusters of the FAT32 root directory.
const MAX_ROOT_CLUSTERS: usize = 99;

/// blkid's magics in its order; the first that matches decides whether
/// the extra MBR-signature check applies (for the one- and two-byte ones).
const MAGICS: [(usize, &[u8]); 9] = [
    (VS_MAGIC, b"MSWIN"),
    (VS_MAGIC, b"FAT32   "),
    (MS_MAGIC, b"MSDOS"),
    (MS_MAGIC, b"FAT16   "),
    (MS_MAGIC, b"FAT12   "),
    (MS_MAGIC, b"FAT     "),
    (0, b"\xeb"),
    (0, b"\xe9"),
    (PMAGIC, b"\x55\xaa"),
];

/// The BPB figures the probe needs.
struct Bpb {
    sector_size: u32,
    cluster_size: u32,
    reserved: u32,
    dir_entries: u32,
    sectors: u32,
    fat_length16: u32,
    fat32_length: u32,
    fat_size: u32,
    cluster_count: u32,
}

/// fat_valid_superblock(): the BPB sanity checks.
fn valid_bpb(bs: &[u8]) -> Option<Bpb> {
    let (_, magic) = MAGICS.iter().find(|(at, m)| has_magic(bs, *at, m))?;
    if magic.len() <= 2 {
        if !has_magic(bs, PMAGIC, b"\x55\xaa") {
            return None;
        }
        if has_magic(bs, MS_MAGIC, b"JFS     ") || has_magic(bs, MS_MAGIC, b"HPFS    ") {
            return None;
        }
    }
    let fats = u32::from(*bs.get(MS_FATS)?);
    let reserved = u32::from(le_u16(bs, MS_RESERVED)?);
    let media = *bs.get(MS_MEDIA)?;
    let cluster_size = u32::from(*bs.get(MS_CLUSTER_SIZE)?);
    let sector_size = u32::from(le_u16(bs, MS_SECTOR_SIZE)?);
    if fats == 0
        || reserved == 0
        || !(media >= 0xf8 || media == 0xf0)
        || !cluster_size.is_power_of_two()
        || !sector_size.is_power_of_two()
        || !(512..=4096).contains(&sector_size)
    {
        return None;
    }
    let dir_entries = u32::from(le_u16(bs, MS_DIR_ENTRIES)?);
    let mut sectors = u32::from(le_u16(bs, MS_SECTORS)?);
    if sectors == 0 {
        sectors = le_u32(bs, MS_TOTAL_SECT)?;
    }
    let fat_length16 = u32::from(le_u16(bs, MS_FAT_LENGTH)?);
    let fat32_length = le_u32(bs, VS_FAT32_LENGTH)?;
    let fat_length = if fat_length16 == 0 {
        fat32_length
    } else {
        fat_length16
    };
    // blkid computes these in 32-bit unsigned arithmetic; so do we.
    let fat_size = fat_length.wrapping_mul(fats);
    let dir_size = (dir_entries * DIR_ENTRY as u32).div_ceil(sector_size);
    let cluster_count =
        sectors.wrapping_sub(reserved.wrapping_add(fat_size).wrapping_add(dir_size)) / cluster_size;
    let max_count = if fat_length16 == 0 && fat32_length != 0 {
        FAT32_MAX
    } else if cluster_count > FAT12_MAX {
        FAT16_MAX
    } else {
        FAT12_MAX
    };
    if cluster_count > max_count {
        return None;
    }
    Some(Bpb {
        sector_size,
        cluster_size,
        reserved,
        dir_entries,
        sectors,
        fat_length16,
        fat32_length,
        fat_size,
        cluster_count,
    })
}

/// search_fat_label(): the volume-label entry among `entries` directory
/// entries at `offset`.
fn search_label<S: BlockSource + ?Sized>(
    src: &S,
    offset: u64,
    entries: usize,
) -> std::io::Result<Option<[u8; 11]>> {
    let mut done = 0usize;
    while done < entries {
        let n = (entries - done).min(ENTRIES_PER_READ);
        let at = offset.saturating_add((done * DIR_ENTRY) as u64);
        let chunk = read_vec(src, at, n * DIR_ENTRY)?;
        for ent in chunk.chunks_exact(DIR_ENTRY) {
            let (Some(&first), Some(&attr)) = (ent.first(), ent.get(DE_ATTR)) else {
                return Ok(None);
            };
            if first == 0 {
                return Ok(None);
            }
            let cluster = le_u16(ent, DE_CLUSTER_HIGH).unwrap_or(0)
                | le_u16(ent, DE_CLUSTER_LOW).unwrap_or(0);
            if first == ENTRY_FREE || cluster != 0 || attr & ATTR_MASK == ATTR_LONG_NAME {
                continue;
            }
            if attr & (ATTR_VOLUME_ID | ATTR_DIR) == ATTR_VOLUME_ID {
                let mut name: [u8; 11] = ent
                    .get(..11)
                    .and_then(|n| n.try_into().ok())
                    .unwrap_or([0; 11]);
                if let Some(c @ 0x05) = name.first_mut() {
                    *c = ENTRY_FREE;
                }
                return Ok(Some(name));
            }
        }
        if chunk.len() < n * DIR_ENTRY {
            return Ok(None);
        }
        done += n;
    }
    Ok(None)
}

/// The volume serial `XXXX-XXXX`, most significant byte first.
fn serial(bs: &[u8], at: usize) -> Option<String> {
    let [a, b, c, d]: [u8; 4] = bs.get(at..at + 4)?.try_into().ok()?;
    Some(format!("{d:02X}{c:02X}-{b:02X}{a:02X}"))
}

pub fn probe<S: BlockSource + ?Sized>(head: &[u8], src: &S) -> std::io::Result<Option<Found>> {
    let Some(bs) = head.get(..0x200) else {
        return Ok(None);
    };
    let Some(bpb) = valid_bpb(bs) else {
        return Ok(None);
    };
    let sector = u64::from(bpb.sector_size);
    let mut found = Found {
        fs_type: "vfat",
        size_bytes: Some(u64::from(bpb.sectors) * sector),
        block_size: Some(sector),
        ..Found::default()
    };
    let vol_label;
    if bpb.fat_length16 != 0 {
        // FAT12/16: the root directory follows the FATs.
        let root = (u64::from(bpb.reserved) + u64::from(bpb.fat_size)) * sector;
        vol_label = search_label(src, root, bpb.dir_entries as usize)?;
        let sign = bs.get(MS_EXT_BOOT_SIGN).copied();
        if sign == Some(0x28) || sign == Some(0x29) {
            found.uuid = serial(bs, MS_SERNO);
        }
        found.version = if bpb.cluster_count < FAT12_MAX {
            Some("FAT12".into())
        } else if bpb.cluster_count < FAT16_MAX {
            Some("FAT16".into())
        } else {
            None
        };
    } else if bpb.fat32_length != 0 {
        vol_label = fat32_root_label(src, bs, &bpb)?;
        found.version = Some("FAT32".into());
        found.uuid = serial(bs, VS_SERNO);
        // The FSInfo sector must carry its signatures, or be all zero.
        let fsinfo = u64::from(le_u16(bs, VS_FSINFO_SECTOR).unwrap_or(0));
        if fsinfo != 0 {
            let info = read_vec(src, fsinfo * sector, 512)?;
            let sig1_ok = [b"RRaA", b"RRdA", b"\0\0\0\0"]
                .iter()
                .any(|m| has_magic(&info, 0, *m));
            let sig2_ok = [b"rrAa", b"\0\0\0\0"]
                .iter()
                .any(|m| has_magic(&info, 0x1E4, *m));
            if !sig1_ok || !sig2_ok {
                return Ok(None);
            }
        }
    } else {
        vol_label = None;
    }
    found.label = vol_label.as_ref().and_then(|l| label(l));
    Ok(Some(found))
}

/// The label entry of the FAT32 root directory, following its cluster
/// chain through the first FAT.
fn fat32_root_label<S: BlockSource + ?Sized>(
    src: &S,
    bs: &[u8],
    bpb: &Bpb,
) -> std::io::Result<Option<[u8; 11]>> {
    let sector = u64::from(bpb.sector_size);
    let cluster_bytes = u64::from(bpb.cluster_size) * sector;
    let data_start = u64::from(bpb.reserved) + u64::from(bpb.fat_size);
    let fat_entries = u64::from(bpb.fat32_length) * sector / 4;
    let mut next = u64::from(le_u32(bs, VS_ROOT_CLUSTER).unwrap_or(0));
    for _ in 0..MAX_ROOT_CLUSTERS {
        if next < 2 || next >= fat_entries {
            break;
        }
        let offset = (data_start + (next - 2) * u64::from(bpb.cluster_size)) * sector;
        let entries = (cluster_bytes / DIR_ENTRY as u64) as usize;
        if let Some(l) = search_label(src, offset, entries)? {
            return Ok(Some(l));
        }
        let entry = read_vec(src, u64::from(bpb.reserved) * sector + next * 4, 4)?;
        next = u64::from(le_u32(&entry, 0).unwrap_or(0) & 0x0fff_ffff);
    }
    Ok(None)
}
