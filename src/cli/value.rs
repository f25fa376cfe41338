//! Values on the command line: sizes (`8G`, `512M`, `2048b` for blocks) and
//! durations (`5s`, `10m`, `1h`, a bare number of seconds, `0` = off).

use std::time::Duration;

use crate::error::{Error, Result};

/// A size given on the command line. Units are powers of 1024; a `b` suffix
/// counts filesystem blocks, resolved once the block size is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Bytes(u64),
    Blocks(u64),
}

impl Size {
    pub fn parse(s: &str) -> Result<Size> {
        let bad = || {
            Error::Usage(format!(
                "invalid size '{s}': use a positive number with K, M, G or T (powers of 1024), or blocks with b"
            ))
        };
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        let (num, unit) = s.split_at(digits);
        let n: u64 = num.parse().map_err(|_| bad())?;
        if n == 0 {
            return Err(Error::Usage(format!(
                "invalid size '{s}': must be above zero"
            )));
        }
        let shift = match unit {
            "b" => return Ok(Size::Blocks(n)),
            "" => 0,
            "K" | "k" | "KiB" => 10,
            "M" | "m" | "MiB" => 20,
            "G" | "g" | "GiB" => 30,
            "T" | "t" | "TiB" => 40,
            _ => return Err(bad()),
        };
        n.checked_mul(1u64 << shift)
            .map(Size::Bytes)
            .ok_or_else(|| Error::Usage(format!("invalid size '{s}': too large")))
    }

    /// The size in bytes, given the filesystem's block size.
    pub fn bytes(self, block_size: u64) -> Option<u64> {
        match self {
            Size::Bytes(b) => Some(b),
            Size::Blocks(n) => n.checked_mul(block_size),
        }
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

/// `5s`, `10m`, `1h`, `250ms`, or a bare number of seconds; `0` is allowed.
pub fn duration(s: &str) -> Result<Duration> {
    let bad = || Error::Usage(format!("invalid duration '{s}': use e.g. 30s, 10m or 1h"));
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let (num, unit) = s.split_at(digits);
    let n: u64 = num.parse().map_err(|_| bad())?;
    let secs = match unit {
        "ms" => return Ok(Duration::from_millis(n)),
        "" | "s" => n,
        "m" | "min" => n.checked_mul(60).ok_or_else(bad)?,
        "h" => n.checked_mul(3600).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_powers_of_1024() {
        assert_eq!(Size::parse("8G").unwrap(), Size::Bytes(8 << 30));
        assert_eq!(Size::parse("512M").unwrap(), Size::Bytes(512 << 20));
        assert_eq!(Size::parse("4K").unwrap(), Size::Bytes(4096));
        assert_eq!(Size::parse("1T").unwrap(), Size::Bytes(1 << 40));
        assert_eq!(Size::parse("3GiB").unwrap(), Size::Bytes(3 << 30));
        assert_eq!(Size::parse("1000").unwrap(), Size::Bytes(1000));
        assert_eq!(Size::parse("2048b").unwrap(), Size::Blocks(2048));
        assert_eq!(Size::Blocks(10).bytes(4096), Some(40960));
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
        ] {
            let e = Size::parse(s).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{s}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(duration("0").unwrap(), Duration::ZERO);
        assert_eq!(duration("42").unwrap(), Duration::from_secs(42));
        assert_eq!(duration("250ms").unwrap(), Duration::from_millis(250));
        for s in ["", "s", "-5s", "5d", "1.5m"] {
            assert!(duration(s).is_err(), "{s}");
        }
    }

    #[test]
    fn grow_target() {
        assert_eq!(GrowTarget::parse("max").unwrap(), GrowTarget::Max);
        assert_eq!(
            GrowTarget::parse("20G").unwrap(),
            GrowTarget::Size(Size::Bytes(20 << 30))
        );
    }
}
