//! `/proc/meminfo` (proc_meminfo(5)): how much memory a tmpfs can have.

use crate::error::{Error, Result};

/// `MemAvailable` in bytes, from meminfo text (values are in kB).
pub fn available_bytes(text: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let rest = l.strip_prefix("MemAvailable:")?;
        let kb: u64 = rest.trim().strip_suffix("kB")?.trim().parse().ok()?;
        kb.checked_mul(1024)
    })
}

/// `MemAvailable` of this system in bytes.
pub fn read_available() -> Result<u64> {
    let path = "/proc/meminfo";
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, &e))?;
    available_bytes(&text).ok_or_else(|| Error::invalid("meminfo", path, "no MemAvailable line"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_mem_available() {
        let t = "MemTotal:       24562204 kB\nMemFree:        23000000 kB\nMemAvailable:   23817292 kB\n";
        assert_eq!(available_bytes(t), Some(23817292 * 1024));
        assert_eq!(available_bytes("MemTotal: 5 kB\n"), None);
        assert_eq!(available_bytes("MemAvailable: x kB\n"), None);
    }
}
