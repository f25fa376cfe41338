//! Values on the command line: durations (`5s`, `10m`, `1h`, a bare number
//! of seconds, `0` = off). Sizes are `crate::size`.

use std::time::Duration;

use crate::error::{Error, Result};

/// `5s`, `10m`, `1h`, `250ms`, or a bare number of seconds; `0` is allowed.
pub fn duration(s: &str) -> Result<Duration> {
    let bad = || Error::usage(format!("invalid duration '{s}': use e.g. 30s, 10m or 1h"));
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
}
