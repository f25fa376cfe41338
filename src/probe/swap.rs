//! Linux swap areas (include/linux/swap.h `union swap_header`, mkswap(8);
//! the probe of libblkid/src/superblocks/swap.c): the signature sits in the
//! last 10 bytes of the first page, `SWAPSPACE2` (version 1, with the
//! `info` header at byte 1024: version, last_page, nr_badpages, uuid,
//! volume_name) or the old `SWAP-SPACE` (version 0, no header). Pages of
//! 4 to 64 KiB are tried, as blkid does. `size_bytes` is the whole area,
//! header page included: `(last_page + 1) × page size` (mkswap prints the
//! same minus the header page).

use super::Found;
use super::text::{has_magic, label_at, uuid_at};
use crate::elf::bytes::le_u32;

const PAGE_SIZES: [usize; 5] = [0x1000, 0x2000, 0x4000, 0x8000, 0x10000];
const MAGIC_LEN: usize = 10;
/// TuxOnIce's hibernation signature at byte 0: a hibernation image, not swap.
const TOI_MAGIC: &[u8; 8] = b"\xed\xc3\x02\xe9\x98\x56\xe5\x0c";

// struct swap_header.info, at byte 1024.
const INFO: usize = 0x400;
const VERSION: usize = INFO;
const LAST_PAGE: usize = INFO + 0x04;
const SWS_UUID: usize = INFO + 0x0C;
const SWS_VOLUME: usize = INFO + 0x1C;
const SWS_VOLUME_LEN: usize = 16;
/// padding[32] and padding[33] of the info header: non-zero there means an
/// old header without uuid and label (blkid's check).
const PADDING_32: usize = INFO + 0x2C + 32 * 4;
const PADDING_33: usize = PADDING_32 + 4;

pub fn probe(head: &[u8]) -> Option<Found> {
    if has_magic(head, 0, TOI_MAGIC) {
        return None;
    }
    PAGE_SIZES.iter().find_map(|&page| {
        let at = page - MAGIC_LEN;
        if has_magic(head, at, b"SWAP-SPACE") {
            Some(Found {
                fs_type: "swap",
                version: Some("0".into()),
                ..Found::default()
            })
        } else if has_magic(head, at, b"SWAPSPACE2") {
            version_1(head, page)
        } else {
            None
        }
    })
}

fn version_1(head: &[u8], page: usize) -> Option<Found> {
    let raw_version = le_u32(head, VERSION)?;
    // A swap area made on the other endianness stores byte-swapped fields.
    let swapped = match raw_version {
        1 => false,
        v if v.swap_bytes() == 1 => true,
        _ => return None,
    };
    let field = |at| le_u32(head, at).map(|v| if swapped { v.swap_bytes() } else { v });
    let last_page = field(LAST_PAGE)?;
    if last_page == 0 {
        return None;
    }
    let mut found = Found {
        fs_type: "swap",
        version: Some("1".into()),
        size_bytes: (u64::from(last_page) + 1).checked_mul(page as u64),
        ..Found::default()
    };
    if le_u32(head, PADDING_32)? == 0 && le_u32(head, PADDING_33)? == 0 {
        found.uuid = uuid_at(head, SWS_UUID);
        found.label = label_at(head, SWS_VOLUME, SWS_VOLUME_LEN);
    }
    Some(found)
}
