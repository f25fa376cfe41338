//! LVM2 physical volume label (lvm2 lib/label/label.h `struct
//! label_header`, lib/format_text/layout.h `struct pv_header`; the probe of
//! libblkid/src/superblocks/lvm.c): `LABELONE` at the start of one of the
//! first four 512-byte sectors, naming its own sector, with a CRC over the
//! rest of the sector, type `LVM2 001`, then the PV header: 32 UUID
//! characters and the device size in bytes.

use super::Found;
use super::text::has_magic;
use crate::elf::bytes::{le_u32, le_u64};

const SECTOR: usize = 512;
/// The label may sit in any of the first LABEL_SCAN_SECTORS sectors.
const LABEL_SCAN_SECTORS: usize = 4;
const LABEL_ID: &[u8; 8] = b"LABELONE";
const LVM2_TYPE: &[u8; 8] = b"LVM2 001";

// struct label_header
const LH_SECTOR_XL: usize = 0x08;
const LH_CRC_XL: usize = 0x10;
const LH_OFFSET_XL: usize = 0x14;
const LH_TYPE: usize = 0x18;
// struct pv_header, at label + offset_xl
const PV_UUID: usize = 0x00;
const PV_UUID_LEN: usize = 32;
const PV_DEVICE_SIZE_XL: usize = 0x20;

/// LVM2's calc_crc() (lib/misc/crc.c): a nibble-table CRC-32 seeded with
/// INITIAL_CRC.
fn calc_crc(data: &[u8]) -> u32 {
    const INITIAL_CRC: u32 = 0xf597_a6cf;
    const TABLE: [u32; 16] = [
        0x0000_0000,
        0x1db7_1064,
        0x3b6e_20c8,
        0x26d9_30ac,
        0x76dc_4190,
        0x6b6b_51f4,
        0x4db2_6158,
        0x5005_713c,
        0xedb8_8320,
        0xf00f_9344,
        0xd6d6_a3e8,
        0xcb61_b38c,
        0x9b64_c2b0,
        0x86d3_d2d4,
        0xa00a_e278,
        0xbdbd_f21c,
    ];
    let nibble = |crc: u32| TABLE.get((crc & 0xf) as usize).copied().unwrap_or(0) ^ (crc >> 4);
    data.iter()
        .fold(INITIAL_CRC, |crc, &b| nibble(nibble(crc ^ u32::from(b))))
}

/// The PV UUID with dashes as LVM prints it: 6-4-4-4-4-4-6.
fn format_uuid(raw: &[u8]) -> String {
    let mut s = String::with_capacity(PV_UUID_LEN + 6);
    for (i, &c) in raw.iter().enumerate() {
        if matches!(i, 6 | 10 | 14 | 18 | 22 | 26) {
            s.push('-');
        }
        s.push(char::from(c));
    }
    s
}

pub fn probe(head: &[u8]) -> Option<Found> {
    (0..LABEL_SCAN_SECTORS).find_map(|sector| label_in_sector(head, sector))
}

fn label_in_sector(head: &[u8], sector: usize) -> Option<Found> {
    let start = sector * SECTOR;
    let label = head.get(start..start + SECTOR)?;
    if !has_magic(label, 0, LABEL_ID) || !has_magic(label, LH_TYPE, LVM2_TYPE) {
        return None;
    }
    if le_u64(label, LH_SECTOR_XL)? != sector as u64 {
        return None;
    }
    if calc_crc(label.get(LH_OFFSET_XL..)?) != le_u32(label, LH_CRC_XL)? {
        return None;
    }
    let pv = usize::try_from(le_u32(label, LH_OFFSET_XL)?).ok()?;
    let raw_uuid = label.get(pv + PV_UUID..pv + PV_UUID + PV_UUID_LEN)?;
    Some(Found {
        fs_type: "LVM2_member",
        uuid: Some(format_uuid(raw_uuid)),
        label: None,
        version: Some("LVM2 001".into()),
        size_bytes: le_u64(label, pv + PV_DEVICE_SIZE_XL),
        block_size: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_gets_lvm_dashes() {
        assert_eq!(
            format_uuid(b"abcdefghijklmnopqrstuvwxyz012345"),
            "abcdef-ghij-klmn-opqr-stuv-wxyz-012345"
        );
    }

    #[test]
    fn crc_of_nothing_is_the_seed() {
        assert_eq!(calc_crc(&[]), 0xf597_a6cf);
    }
}
