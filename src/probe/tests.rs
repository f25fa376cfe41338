//! Unit tests on synthetic headers; tests/probe_fixtures.rs compares the
//! probes with `blkid -p` on images made by the real tools.

use super::*;

fn swap_image(page: usize, label: &[u8]) -> Vec<u8> {
    let mut img = vec![0u8; page * 16];
    img[page - 10..page].copy_from_slice(b"SWAPSPACE2");
    img[0x400..0x404].copy_from_slice(&1u32.to_le_bytes());
    img[0x404..0x408].copy_from_slice(&15u32.to_le_bytes());
    img[0x40C..0x41C].copy_from_slice(&[0x42; 16]);
    img[0x41C..0x41C + label.len()].copy_from_slice(label);
    img
}

#[test]
fn zeros_are_unknown() {
    let img = vec![0u8; 2 << 20];
    assert_eq!(probe_source(&img[..]).unwrap(), None);
    assert_eq!(probe_source(&[][..]).unwrap(), None);
}

#[test]
fn swap_v1_header() {
    for page in [0x1000, 0x10000] {
        let img = swap_image(page, b"swappy");
        let f = probe_source(&img[..]).unwrap().expect("swap");
        assert_eq!(f.fs_type, "swap");
        assert_eq!(f.label.as_deref(), Some("swappy"));
        assert_eq!(
            f.uuid.as_deref(),
            Some("42424242-4242-4242-4242-424242424242")
        );
        assert_eq!(f.version.as_deref(), Some("1"));
        assert_eq!(f.size_bytes, Some(16 * page as u64));
    }
    // Byte-swapped (made on the other endianness).
    let mut img = swap_image(0x1000, b"");
    img[0x400..0x404].copy_from_slice(&1u32.to_be_bytes());
    img[0x404..0x408].copy_from_slice(&15u32.to_be_bytes());
    let f = probe_source(&img[..]).unwrap().expect("swap");
    assert_eq!(f.label, None);
    assert_eq!(f.size_bytes, Some(16 * 0x1000));
    // last_page 0 is not a swap area.
    let mut img = swap_image(0x1000, b"");
    img[0x404..0x408].fill(0);
    assert_eq!(probe_source(&img[..]).unwrap(), None);
}

#[test]
fn every_prefix_of_a_header_is_safe() {
    let img = swap_image(0x1000, b"x");
    for len in 0..img.len() {
        let got = probe_source(&img[..len]).unwrap();
        if len < 0x1000 {
            assert_eq!(got, None, "len {len}");
        } else {
            assert_eq!(got.map(|f| f.fs_type), Some("swap"), "len {len}");
        }
    }
}

#[test]
fn lvm_label_needs_its_crc() {
    let mut img = vec![0u8; 8192];
    let label = 512;
    img[label..label + 8].copy_from_slice(b"LABELONE");
    img[label + 8..label + 16].copy_from_slice(&1u64.to_le_bytes());
    img[label + 0x14..label + 0x18].copy_from_slice(&32u32.to_le_bytes());
    img[label + 0x18..label + 0x20].copy_from_slice(b"LVM2 001");
    img[label + 0x20..label + 0x40].copy_from_slice(b"abcdefghijklmnopqrstuvwxyz012345");
    img[label + 0x40..label + 0x48].copy_from_slice(&(8u64 << 20).to_le_bytes());
    // Without the CRC it is not a label.
    assert_eq!(probe_source(&img[..]).unwrap(), None);
    let crc = {
        // lvm2's calc_crc, written out here independently of lvm.rs.
        let mut crc: u32 = 0xf597_a6cf;
        let t: [u32; 16] = [
            0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158,
            0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4,
            0xa00ae278, 0xbdbdf21c,
        ];
        for &b in &img[label + 0x14..label + 512] {
            crc ^= u32::from(b);
            crc = (crc >> 4) ^ t[(crc & 0xf) as usize];
            crc = (crc >> 4) ^ t[(crc & 0xf) as usize];
        }
        crc
    };
    img[label + 0x10..label + 0x14].copy_from_slice(&crc.to_le_bytes());
    let f = probe_source(&img[..]).unwrap().expect("lvm");
    assert_eq!(f.fs_type, "LVM2_member");
    assert_eq!(
        f.uuid.as_deref(),
        Some("abcdef-ghij-klmn-opqr-stuv-wxyz-012345")
    );
    assert_eq!(f.size_bytes, Some(8 << 20));
    // The label must name its own sector.
    img[label + 8] = 2;
    assert_eq!(probe_source(&img[..]).unwrap(), None);
}

/// xorshift64*, fixed seed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Garbage around every magic the probes look for never panics.
#[test]
fn random_bytes_around_magics_never_panic() {
    let magics: [(usize, &[u8]); 12] = [
        (0, b"XFSB"),
        (0, b"hsqs"),
        (0, b"LUKS\xba\xbe"),
        (0x438, b"\x53\xef"),
        (0x52, b"FAT32   "),
        (0x36, b"FAT16   "),
        (0x1fe, b"\x55\xaa"),
        (0xff6, b"SWAPSPACE2"),
        (0x10040, b"_BHRfS_M"),
        (0x8001, b"CD001"),
        (0x218, b"LVM2 001"),
        (0x200, b"LABELONE"),
    ];
    let mut rng = XorShift(0xDEAD_BEEF_CAFE_F00D);
    let mut img = vec![0u8; 0x12000];
    for round in 0..2000 {
        for b in img.iter_mut().take(0x1100) {
            *b = rng.next() as u8;
        }
        for b in img.iter_mut().skip(0x8000).take(0x1000) {
            *b = rng.next() as u8;
        }
        for b in img.iter_mut().skip(0x10000).take(0x200) {
            *b = rng.next() as u8;
        }
        let (at, magic) = magics[round % magics.len()];
        img[at..at + magic.len()].copy_from_slice(magic);
        let len = if round % 3 == 0 {
            img.len()
        } else {
            (rng.next() as usize) % img.len()
        };
        let _ = probe_source(&img[..len]).unwrap();
    }
}
