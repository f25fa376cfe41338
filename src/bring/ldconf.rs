//! `/etc/ld.so.conf` and the files it includes (ldconfig(8)): one
//! directory per line, `#` comments, `include PATTERN...` with shell
//! wildcards in the last path component, `hwcap` lines ignored. Used only
//! when `/etc/ld.so.cache` is missing or unreadable: the directories
//! ldconfig would have put into the cache, in the same order.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Bounds: include nesting, files read, directories kept, bytes per file.
const MAX_DEPTH: u32 = 8;
const MAX_FILES: usize = 256;
const MAX_DIRS: usize = 256;
const MAX_FILE_BYTES: u64 = 1 << 20;

/// The directories `conf` names, in order, without duplicates. A missing
/// or unreadable file contributes nothing, as for ldconfig.
pub fn dirs(conf: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut files = 0;
    read_conf(conf, 0, &mut files, &mut out);
    out
}

fn read_conf(path: &Path, depth: u32, files: &mut usize, out: &mut Vec<PathBuf>) {
    if depth > MAX_DEPTH || *files >= MAX_FILES {
        return;
    }
    *files += 1;
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
        return;
    }
    let Ok(text) = std::fs::read(path) else {
        return;
    };
    let here = path.parent().unwrap_or(Path::new("/"));
    for line in text.split(|&c| c == b'\n') {
        let line = line.split(|&c| c == b'#').next().unwrap_or_default();
        let line = line.trim_ascii();
        if let Some(rest) = keyword(line, b"include") {
            for pattern in rest.split(|c| c.is_ascii_whitespace()) {
                if pattern.is_empty() {
                    continue;
                }
                // Relative patterns are relative to the including file.
                let pattern = here.join(OsStr::from_bytes(pattern));
                for file in glob(&pattern) {
                    read_conf(&file, depth + 1, files, out);
                }
            }
        } else if keyword(line, b"hwcap").is_some() || line.is_empty() {
            continue;
        } else if line.first() == Some(&b'/') && out.len() < MAX_DIRS {
            let dir = PathBuf::from(OsStr::from_bytes(line));
            if !out.contains(&dir) {
                out.push(dir);
            }
        }
    }
}

/// `line` without `word` and the blank after it, if it starts so.
fn keyword<'a>(line: &'a [u8], word: &[u8]) -> Option<&'a [u8]> {
    let rest = line.strip_prefix(word)?;
    match rest.first() {
        Some(c) if c.is_ascii_whitespace() => Some(rest.trim_ascii()),
        _ => None,
    }
}

/// The files matching `pattern`, whose wildcards (`*`, `?`) may only be in
/// the last component, sorted as glob(3) sorts them.
fn glob(pattern: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (pattern.parent(), pattern.file_name()) else {
        return Vec::new();
    };
    let name = name.as_bytes();
    if !name.iter().any(|&c| c == b'*' || c == b'?') {
        return vec![pattern.to_path_buf()];
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        // glob(3) does not match a leading dot with a wildcard.
        .filter(|n| n.as_bytes().first() != Some(&b'.') && wildcard(name, n.as_bytes()))
        .take(MAX_FILES)
        .map(|n| dir.join(n))
        .collect();
    found.sort_unstable();
    found
}

/// Shell wildcard match of `pat` (`*`, `?`, literal bytes) against `s`.
pub fn wildcard(pat: &[u8], s: &[u8]) -> bool {
    // Iterative with one backtrack point: linear in practice, no recursion.
    let (mut p, mut i) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        match pat.get(p) {
            Some(b'*') => {
                star = Some((p, i));
                p += 1;
            }
            Some(&c) if c == b'?' || Some(&c) == s.get(i) => {
                p += 1;
                i += 1;
            }
            _ => match star {
                Some((sp, si)) => {
                    p = sp + 1;
                    i = si + 1;
                    star = Some((sp, si + 1));
                }
                None => return false,
            },
        }
    }
    pat.get(p..)
        .is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}
