//! Text and number fields of on-disk headers as libblkid presents them
//! (libblkid/src/probe.c: blkid_probe_set_label, blkid_unparse_uuid):
//! labels end at the first NUL and lose trailing white space, UUIDs are
//! lower-case 8-4-4-4-12 hex, an all-zero UUID is no UUID.

use std::fmt::Write as _;

/// A 16-byte binary UUID as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
pub fn uuid(bytes: &[u8; 16]) -> String {
    let mut s = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The UUID at `at`, `None` when the field is missing or all zero (libblkid
/// sets no UUID then).
pub fn uuid_at(b: &[u8], at: usize) -> Option<String> {
    let raw: &[u8; 16] = b.get(at..at.checked_add(16)?)?.try_into().ok()?;
    (raw != &[0u8; 16]).then(|| uuid(raw))
}

/// A label field: up to the first NUL, trailing white space (C isspace)
/// removed, lossy UTF-8; `None` when nothing is left.
pub fn label(field: &[u8]) -> Option<String> {
    let end = field.iter().position(|&c| c == 0).unwrap_or(field.len());
    let s = field.get(..end)?;
    let trimmed_len = s.len() - s.iter().rev().take_while(|c| is_space(**c)).count();
    let s = s.get(..trimmed_len)?;
    (!s.is_empty()).then(|| String::from_utf8_lossy(s).into_owned())
}

/// The label field of `len` bytes at `at`.
pub fn label_at(b: &[u8], at: usize, len: usize) -> Option<String> {
    label(b.get(at..at.checked_add(len)?)?)
}

/// C's isspace() in the "C" locale.
pub fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

pub fn be_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

pub fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

pub fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// Whether `b` holds `magic` at `at`.
pub fn has_magic(b: &[u8], at: usize, magic: &[u8]) -> bool {
    at.checked_add(magic.len())
        .and_then(|end| b.get(at..end))
        .is_some_and(|s| s == magic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_is_lower_case_8_4_4_4_12() {
        let raw = [
            0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
            0xff, 0x00,
        ];
        assert_eq!(uuid(&raw), "11223344-5566-7788-99aa-bbccddeeff00");
        assert_eq!(uuid_at(&[0u8; 20], 2), None);
        assert_eq!(uuid_at(&[1u8; 10], 0), None);
    }

    #[test]
    fn labels_stop_at_nul_and_lose_trailing_space() {
        assert_eq!(label(b"ROOT       ").as_deref(), Some("ROOT"));
        assert_eq!(label(b"a b\0junk").as_deref(), Some("a b"));
        assert_eq!(label(b"   \0").as_deref(), None);
        assert_eq!(label(b"").as_deref(), None);
        assert_eq!(label_at(b"xxNAME", 2, 10), None);
    }

    #[test]
    fn big_endian_fields_and_magic() {
        let b = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0];
        assert_eq!(be_u16(&b, 0), Some(0x1234));
        assert_eq!(be_u32(&b, 4), Some(0x9abc_def0));
        assert_eq!(be_u64(&b, 0), Some(0x1234_5678_9abc_def0));
        assert_eq!(be_u32(&b, 6), None);
        assert!(has_magic(&b, 1, &[0x34, 0x56]));
        assert!(!has_magic(&b, 7, &[0xf0, 0]));
        assert!(!has_magic(&b, usize::MAX, &[0]));
    }
}
