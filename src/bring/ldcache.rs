//! `/etc/ld.so.cache` in the "glibc-ld.so.cache1.1" format that
//! ldconfig(8) writes (glibc elf/dl-cache.h: `struct cache_file_new`,
//! `struct file_entry_new`). ld.so(8) consults it after DT_RUNPATH and
//! before the default directories. The old "ld.so-1.7.0" format (not
//! written by glibc since 2.32) is refused; the caller then falls back to
//! ld.so.conf.

use std::path::{Path, PathBuf};

use crate::elf::bytes::{le_u32, le_u64};

/// "glibc-ld.so.cache" then the version "1.1" (cache_file_new.magic and
/// .version, 17 + 3 bytes, no NUL).
const MAGIC: &[u8; 20] = b"glibc-ld.so.cache1.1";
// struct cache_file_new.
const HDR_NLIBS: usize = 0x14;
const HDR_SIZE: usize = 0x30;
// struct file_entry_new: int32 flags (compared as bits), uint32 key, value, osversion, uint64 hwcap.
const ENTRY_SIZE: usize = 0x18;
const ENTRY_FLAGS: usize = 0x00;
const ENTRY_KEY: usize = 0x04;
const ENTRY_VALUE: usize = 0x08;
const ENTRY_HWCAP: usize = 0x10;

/// FLAG_ELF_LIBC6 and the per-architecture "required" bits (dl-cache.h).
pub const FLAG_ELF_LIBC6: u32 = 0x0003;
pub const FLAG_X8664_LIB64: u32 = 0x0300;
pub const FLAG_AARCH64_LIB64: u32 = 0x0a00;

/// A cache larger than this is not read (real ones are tens of KiB).
pub const MAX_CACHE_BYTES: u64 = 16 << 20;
/// The longest path read from the string area.
const MAX_STRING: usize = 4096;

#[derive(Debug)]
pub struct LdCache {
    bytes: Vec<u8>,
    nlibs: usize,
}

impl LdCache {
    /// Reads and checks the cache file at `path`.
    pub fn read(path: &Path) -> Option<LdCache> {
        let meta = std::fs::metadata(path).ok()?;
        if !meta.is_file() || meta.len() > MAX_CACHE_BYTES {
            return None;
        }
        LdCache::parse(std::fs::read(path).ok()?).ok()
    }

    /// Checks the header and that every entry lies inside `bytes`.
    pub fn parse(bytes: Vec<u8>) -> Result<LdCache, &'static str> {
        if bytes.get(..MAGIC.len()) != Some(&MAGIC[..]) {
            return Err("not a glibc-ld.so.cache1.1 file");
        }
        let nlibs = le_u32(&bytes, HDR_NLIBS).ok_or("truncated header")?;
        let nlibs = usize::try_from(nlibs).map_err(|_| "entry count")?;
        let end = nlibs
            .checked_mul(ENTRY_SIZE)
            .and_then(|n| n.checked_add(HDR_SIZE))
            .ok_or("entry count overflows")?;
        if end > bytes.len() {
            return Err("entries past the end of the file");
        }
        Ok(LdCache { bytes, nlibs })
    }

    /// The paths the cache gives for `name` with exactly `flags` (ld.so's
    /// `_dl_cache_check_flags`), in cache order. Entries for glibc-hwcaps
    /// subdirectories (hwcap != 0) are skipped: which one ld.so takes
    /// depends on the CPU, and ldconfig always lists the baseline too.
    pub fn lookup(&self, name: &[u8], flags: u32) -> Vec<PathBuf> {
        use std::os::unix::ffi::OsStrExt;
        let mut out = Vec::new();
        for i in 0..self.nlibs {
            let Some(e) = i
                .checked_mul(ENTRY_SIZE)
                .and_then(|n| n.checked_add(HDR_SIZE))
                .and_then(|at| self.bytes.get(at..at.checked_add(ENTRY_SIZE)?))
            else {
                break;
            };
            let (Some(f), Some(key), Some(value), Some(hwcap)) = (
                le_u32(e, ENTRY_FLAGS),
                le_u32(e, ENTRY_KEY),
                le_u32(e, ENTRY_VALUE),
                le_u64(e, ENTRY_HWCAP),
            ) else {
                break;
            };
            if f != flags || hwcap != 0 || self.string(key) != Some(name) {
                continue;
            }
            if let Some(v) = self.string(value) {
                out.push(PathBuf::from(std::ffi::OsStr::from_bytes(v)));
            }
        }
        out
    }

    /// The NUL-terminated string at `off` (offsets count from the start of
    /// `cache_file_new`, which is the start of a new-format file).
    fn string(&self, off: u32) -> Option<&[u8]> {
        let start = usize::try_from(off).ok()?;
        let tail = self.bytes.get(start..)?;
        let tail = tail.get(..tail.len().min(MAX_STRING))?;
        let n = tail.iter().position(|&c| c == 0)?;
        tail.get(..n)
    }
}
