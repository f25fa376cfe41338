//! CRC-32 (IEEE 802.3), the checksum of the GPT header and entry array
//! (UEFI specification, "GPT Header": HeaderCRC32 and
//! PartitionEntryArrayCRC32): reflected polynomial 0xEDB88320, register
//! seeded with `~0`, result inverted. One 256-entry table built at compile
//! time; the table builder and the register step are shared with
//! crc32c.rs, which differs only in its polynomial.

/// The reflected IEEE 802.3 polynomial.
const POLY: u32 = 0xEDB8_8320;

const TABLE: [u32; 256] = table(POLY);

/// The byte-at-a-time table of a reflected CRC-32 with polynomial `poly`.
pub const fn table(poly: u32) -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ poly
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

/// Feeds `data` into the register `crc` with `table` (no inversion).
pub fn update_with(table: &[u32; 256], crc: u32, data: &[u8]) -> u32 {
    data.iter().fold(crc, |crc, &byte| {
        let index = usize::from((crc as u8) ^ byte);
        // The index is a u8, so it is always inside the 256-entry table.
        table.get(index).copied().unwrap_or(0) ^ (crc >> 8)
    })
}

/// The CRC-32 of `data`, as GPT stores it.
pub fn checksum(data: &[u8]) -> u32 {
    !update_with(&TABLE, !0, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_value_of_the_standard() {
        // The "check" value of CRC-32 (IEEE) over "123456789".
        assert_eq!(checksum(b"123456789"), 0xCBF4_3926);
        assert_eq!(checksum(b""), 0);
        assert_eq!(
            checksum(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }

    #[test]
    fn sixteen_kib_of_zeros() {
        // An empty 128-entry GPT array: 16 KiB of zeros.
        assert_eq!(checksum(&[0u8; 16384]), 0xAB54_D286);
    }
}
