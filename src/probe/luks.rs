//! LUKS1 and LUKS2 headers (cryptsetup's LUKS1 on-disk format
//! specification and LUKS2 on-disk format, docs/on-disk-format*.pdf; the
//! probe of libblkid/src/superblocks/luks.c): magic `LUKS\xba\xbe` at 0 and
//! a big-endian version; the UUID is a 40-byte string at 0xA8 in both
//! versions, LUKS2 adds a 48-byte label at 0x18. When the primary LUKS2
//! header is damaged, its secondary copy (magic `SKUL\xba\xbe`) is looked
//! for at the offsets LUKS2 allows.

use super::device::BlockSource;
use super::text::{be_u16, has_magic, label_at};
use super::{Found, read_vec};

const LUKS_MAGIC: &[u8; 6] = b"LUKS\xba\xbe";
const LUKS2_MAGIC_2: &[u8; 6] = b"SKUL\xba\xbe";
const VERSION: usize = 0x06;
const LUKS2_LABEL: usize = 0x18;
const LUKS2_LABEL_L: usize = 48;
const UUID: usize = 0xA8;
const UUID_STRING_L: usize = 40;
/// The bytes of the binary header the probe reads.
const HEADER_LEN: usize = 0x200;
/// LUKS2_HDR2_OFFSETS: where a secondary LUKS2 header may start.
const SECONDARY_OFFSETS: [u64; 9] = [
    0x04000, 0x008000, 0x010000, 0x020000, 0x40000, 0x080000, 0x100000, 0x200000, 0x400000,
];

fn attributes(header: &[u8]) -> Option<Found> {
    let version = be_u16(header, VERSION)?;
    let mut found = Found {
        fs_type: "crypto_LUKS",
        version: Some(version.to_string()),
        ..Found::default()
    };
    match version {
        1 => found.uuid = label_at(header, UUID, UUID_STRING_L),
        2 => {
            found.uuid = label_at(header, UUID, UUID_STRING_L);
            found.label = label_at(header, LUKS2_LABEL, LUKS2_LABEL_L);
        }
        _ => {}
    }
    Some(found)
}

pub fn probe<S: BlockSource + ?Sized>(head: &[u8], src: &S) -> std::io::Result<Option<Found>> {
    if has_magic(head, 0, LUKS_MAGIC) {
        return Ok(head.get(..HEADER_LEN).and_then(attributes));
    }
    for offset in SECONDARY_OFFSETS {
        let header = read_vec(src, offset, HEADER_LEN)?;
        if header.len() < HEADER_LEN {
            break;
        }
        if has_magic(&header, 0, LUKS2_MAGIC_2) {
            return Ok(attributes(&header));
        }
    }
    Ok(None)
}
