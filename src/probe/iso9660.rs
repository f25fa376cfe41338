//! ISO 9660 (ECMA-119) with the Joliet extension: volume descriptors from
//! sector 16 (byte 0x8000) on, 2048 bytes each, until the terminator; the
//! probe of libblkid/src/superblocks/iso9660.c. The label is the primary
//! descriptor's volume identifier, or with Joliet the UTF-16BE one merged
//! with it (blkid's merge_utf16be_ascii); the "UUID" is the modification
//! (else creation) date, `YYYY-MM-DD-HH-MM-SS-hh`.

use super::device::BlockSource;
use super::text::{has_magic, is_space, label};
use super::{Found, read_vec};
use crate::elf::bytes::{le_u16, le_u32};

const FIRST_DESCRIPTOR: u64 = 0x8000;
const SECTOR: u64 = 0x800;
const MAX_DESCRIPTORS: u64 = 16;
/// The part of a descriptor the probe reads.
const DESC_LEN: usize = 0x370;

const VD_PRIMARY: u8 = 1;
const VD_SUPPLEMENTARY: u8 = 2;
const VD_END: u8 = 0xff;
const STANDARD_ID: &[u8; 5] = b"CD001";

// Offsets inside a volume descriptor (ECMA-119 8.4).
const VD_ID: usize = 1;
const VOLUME_ID: usize = 40;
const VOLUME_ID_LEN: usize = 32;
const SPACE_SIZE_LE: usize = 80;
const ESCAPE_SEQUENCES: usize = 88;
const LOGICAL_BLOCK_SIZE_LE: usize = 128;
const CREATED: usize = 813;
const MODIFIED: usize = 830;
const DATE_DIGITS: usize = 16;

/// A dec-datetime as blkid's UUID, `None` when unset (all '0', offset 0).
fn date_uuid(d: &[u8], at: usize) -> Option<String> {
    let digits = d.get(at..at + DATE_DIGITS)?;
    let offset = *d.get(at + DATE_DIGITS)?;
    if digits.iter().all(|&c| c == b'0') && offset == 0 {
        return None;
    }
    let mut s = String::with_capacity(22);
    for (i, &c) in digits.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10 | 12 | 14) {
            s.push('-');
        }
        s.push(char::from(c));
    }
    Some(s)
}

/// UTF-16BE code units to UTF-8, up to the first NUL, trailing white space
/// removed (blkid_probe_set_utf8label).
fn utf16be_label(units: &[u8]) -> Option<String> {
    let iter = units
        .chunks_exact(2)
        .filter_map(|p| <[u8; 2]>::try_from(p).ok())
        .map(u16::from_be_bytes)
        .take_while(|&u| u != 0);
    let s: String = char::decode_utf16(iter)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    let trimmed = s.trim_end_matches(|c: char| c.is_ascii() && is_space(c as u8));
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// merge_utf16be_ascii(): when the Joliet name (UTF-16BE, at most 16
/// characters) is a prefix of the primary one (ASCII, 32), rebuild the
/// full name from both; `None` when it is not.
fn merge(utf16: &[u8], ascii: &[u8]) -> Option<Vec<u8>> {
    let len = ascii.len();
    let mut out = Vec::with_capacity(len * 2);
    let (mut a, mut u) = (0usize, 0usize);
    let at = |b: &[u8], i: usize| b.get(i).copied().unwrap_or(0);
    while u + 1 < len && a < len {
        let hi = at(utf16, u);
        if (0xD8..=0xDB).contains(&hi) && u + 3 < len && (0xDC..=0xDF).contains(&at(utf16, u + 2)) {
            out.extend_from_slice(&[hi, at(utf16, u + 1)]);
            u += 2;
        }
        let (uh, ul, ac) = (at(utf16, u), at(utf16, u + 1), at(ascii, a));
        if ac == b'_' {
            out.extend_from_slice(&[uh, ul]);
        } else if uh == 0 && ul == b'_' {
            out.extend_from_slice(&[0, ac]);
        } else if uh == 0 && ac.eq_ignore_ascii_case(&ul) {
            out.extend_from_slice(&[0, if ac.is_ascii_uppercase() { ul } else { ac }]);
        } else {
            return None;
        }
        a += 1;
        u += 2;
    }
    while a < len {
        out.extend_from_slice(&[0, at(ascii, a)]);
        a += 1;
    }
    Some(out)
}

pub fn probe<S: BlockSource + ?Sized>(src: &S) -> std::io::Result<Option<Found>> {
    let first = read_vec(src, FIRST_DESCRIPTOR, DESC_LEN)?;
    if !has_magic(&first, VD_ID, STANDARD_ID) {
        return Ok(None);
    }
    let (mut pvd, mut joliet) = (None, None);
    for i in 0..MAX_DESCRIPTORS {
        let desc = if i == 0 {
            first.clone()
        } else {
            read_vec(src, FIRST_DESCRIPTOR + i * SECTOR, DESC_LEN)?
        };
        match desc.first().copied() {
            None | Some(VD_END) => break,
            Some(VD_PRIMARY) if pvd.is_none() => pvd = Some(desc),
            Some(VD_SUPPLEMENTARY) if joliet.is_none() => {
                let esc = [b"%/@", b"%/C", b"%/E"];
                if esc.iter().any(|e| has_magic(&desc, ESCAPE_SEQUENCES, *e)) {
                    joliet = Some(desc);
                }
            }
            _ => {}
        }
        if pvd.is_some() && joliet.is_some() {
            break;
        }
    }
    let Some(pvd) = pvd else {
        return Ok(None);
    };
    let volume_id = |d: &[u8]| {
        d.get(VOLUME_ID..VOLUME_ID + VOLUME_ID_LEN)
            .map(<[u8]>::to_vec)
    };
    let ascii = volume_id(&pvd).unwrap_or_default();
    let label_text = match joliet.as_deref().and_then(volume_id) {
        Some(wide) => match merge(&wide, &ascii) {
            Some(merged) => utf16be_label(&merged),
            None => utf16be_label(&wide),
        },
        None => label(&ascii),
    };
    let space = u64::from(le_u32(&pvd, SPACE_SIZE_LE).unwrap_or(0));
    let block = u64::from(le_u16(&pvd, LOGICAL_BLOCK_SIZE_LE).unwrap_or(0));
    Ok(Some(Found {
        fs_type: "iso9660",
        uuid: date_uuid(&pvd, MODIFIED).or_else(|| date_uuid(&pvd, CREATED)),
        label: label_text,
        version: joliet.is_some().then(|| "Joliet Extension".into()),
        size_bytes: space.checked_mul(block).filter(|&s| s != 0),
        block_size: Some(SECTOR),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wide(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_be_bytes).collect()
    }

    #[test]
    fn joliet_prefix_restores_case_and_tail() {
        let mut ascii = *b"MY_LONG_VOLUME_NAME_FOR_TESTING ";
        ascii[31] = b' ';
        let mut j = wide("My long volume n");
        j.resize(32, 0);
        let merged = merge(&j, &ascii).expect("joliet is a prefix");
        assert_eq!(
            utf16be_label(&merged).as_deref(),
            Some("My long volume nAME_FOR_TESTING")
        );
    }

    #[test]
    fn unrelated_joliet_name_does_not_merge() {
        let ascii = *b"ABC                             ";
        let mut j = wide("xyz");
        j.resize(32, 0);
        assert_eq!(merge(&j, &ascii), None);
        assert_eq!(utf16be_label(&j).as_deref(), Some("xyz"));
    }

    #[test]
    fn unset_date_is_no_uuid() {
        let mut d = vec![b'0'; 20];
        d[16] = 0;
        assert_eq!(date_uuid(&d, 0), None);
        let d = b"2026112815041000\x00";
        assert_eq!(date_uuid(d, 0).as_deref(), Some("2026-11-28-15-04-10-00"));
    }
}
