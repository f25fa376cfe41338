//! Sizes as rootlift takes them: a number of bytes, with an optional K,
//! M, G or T (powers of 1024; KiB, MiB, GiB, TiB too). No other suffix:
//! `b` is refused, since it reads as bytes to some and as filesystem
//! blocks to others.

use crate::error::{Error, Result};

/// A size in bytes, as given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub u64);

impl Size {
    pub fn parse(s: &str) -> Result<Size> {
        let bad = || {
            Error::usage(format!(
                "invalid size '{s}': use a positive number of bytes, with K, M, G or T for powers of 1024"
            ))
        };
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        let (num, unit) = s.split_at(digits);
        let n: u64 = num.parse().map_err(|_| bad())?;
        if n == 0 {
            return Err(Error::usage(format!(
                "invalid size '{s}': must be above zero"
            )));
        }
        let shift = match unit {
            "" => 0,
            "K" | "k" | "KiB" => 10,
            "M" | "m" | "MiB" => 20,
            "G" | "g" | "GiB" => 30,
            "T" | "t" | "TiB" => 40,
            "b" | "B" => {
                return Err(Error::usage(format!(
                    "invalid size '{s}': 'b' could mean bytes or filesystem blocks; give bytes without a suffix, or K, M, G or T"
                )));
            }
            _ => return Err(bad()),
        };
        n.checked_mul(1u64 << shift)
            .map(Size)
            .ok_or_else(|| Error::usage(format!("invalid size '{s}': too large")))
    }

    pub fn bytes(self) -> u64 {
        self.0
    }
}

/// What `grow` grows to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrowTarget {
    Max,
    Size(Size),
}

impl GrowTarget {
    pub fn parse(s: &str) -> Result<GrowTarget> {
        if s == "max" {
            return Ok(GrowTarget::Max);
        }
        Size::parse(s).map(GrowTarget::Size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_bytes_in_powers_of_1024() {
        assert_eq!(Size::parse("8G").unwrap(), Size(8 << 30));
        assert_eq!(Size::parse("512M").unwrap(), Size(512 << 20));
        assert_eq!(Size::parse("4K").unwrap(), Size(4096));
        assert_eq!(Size::parse("1T").unwrap(), Size(1 << 40));
        assert_eq!(Size::parse("3GiB").unwrap(), Size(3 << 30));
        assert_eq!(Size::parse("1000").unwrap(), Size(1000));
        assert_eq!(Size::parse("4096").unwrap().bytes(), 4096);
    }

    #[test]
    fn bad_sizes_are_usage_errors() {
        for s in [
            "",
            "G",
            "0",
            "0G",
            "-1G",
            "1.5G",
            "8X",
            "8GB",
            " 8G",
            "99999999999T",
            "4096b",
            "4096B",
            "2048b",
        ] {
            let e = Size::parse(s).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{s}");
        }
        assert!(
            Size::parse("4096b")
                .unwrap_err()
                .to_string()
                .contains("bytes or filesystem blocks")
        );
    }

    #[test]
    fn grow_target() {
        assert_eq!(GrowTarget::parse("max").unwrap(), GrowTarget::Max);
        assert_eq!(
            GrowTarget::parse("20G").unwrap(),
            GrowTarget::Size(Size(20 << 30))
        );
    }
}
