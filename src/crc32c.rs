//! CRC-32C (Castagnoli), the checksum of ext4's metadata_csum
//! (Documentation/filesystems/ext4/overview.rst, "Checksums"; RFC 3720
//! appendix B.4 for the polynomial). Reflected polynomial 0x82F63B78, one
//! 256-entry table built at compile time by crc32.rs's builder.
//!
//! `update` is the raw register step, as the kernel's `crc32c(seed, ...)` and
//! e2fsprogs' `ext2fs_crc32c_le(seed, ...)`: no inversion before or after.
//! ext4 seeds it with `~0` and stores the register as is; the textbook
//! CRC-32C (`checksum`) also inverts the result.

/// The reflected Castagnoli polynomial.
const POLY: u32 = 0x82F6_3B78;

const TABLE: [u32; 256] = crate::crc32::table(POLY);

/// Feeds `data` into the CRC register `crc` (no pre- or post-inversion).
pub fn update(crc: u32, data: &[u8]) -> u32 {
    crate::crc32::update_with(&TABLE, crc, data)
}

/// The standard CRC-32C of `data` (seed `~0`, result inverted).
pub fn checksum(data: &[u8]) -> u32 {
    !update(!0, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_value_of_the_standard() {
        // The "check" value of CRC-32C (iSCSI) over "123456789".
        assert_eq!(checksum(b"123456789"), 0xE306_9283);
        assert_eq!(checksum(b""), 0);
    }

    #[test]
    fn rfc3720_test_vectors() {
        // RFC 3720 B.4: 32 bytes of zeros, of 0xff, and an ascending run.
        assert_eq!(checksum(&[0u8; 32]), 0x8A91_36AA);
        assert_eq!(checksum(&[0xffu8; 32]), 0x62A8_AB43);
        let ascending: Vec<u8> = (0u8..32).collect();
        assert_eq!(checksum(&ascending), 0x46DD_794E);
    }

    #[test]
    fn update_chains() {
        let whole = update(!0, b"hello world");
        let split = update(update(!0, b"hello "), b"world");
        assert_eq!(whole, split);
    }
}
