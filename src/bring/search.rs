//! The dynamic loader's search for shared objects, as ld.so(8) describes it
//! ("Finding shared objects") and glibc's elf/dl-load.c does it:
//!
//! 1. a DT_NEEDED name with a slash is a path (after `$ORIGIN` expansion);
//! 2. DT_RPATH of the loading object, then of its loader and so on up to the
//!    program, but only while the loading object has no DT_RUNPATH, and only
//!    for objects that have no DT_RUNPATH themselves;
//! 3. LD_LIBRARY_PATH: never (rootlift runs programs with a scrubbed
//!    environment);
//! 4. DT_RUNPATH of the loading object only;
//! 5. `/etc/ld.so.cache` (entries with the architecture's exact flags); when
//!    there is no usable cache, the directories of `/etc/ld.so.conf`, which
//!    is what ldconfig would have cached;
//! 6. the default directories.
//!
//! A candidate of another class or machine is skipped, as ld.so skips it; a
//! candidate that is not ELF at all stops the search with an error, as it
//! stops ld.so. Names already loaded (as a DT_NEEDED name, a DT_SONAME or
//! the interpreter's path) are not searched again, and one file reached by
//! two paths (same device and inode) is loaded once.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::arch::Arch;
use super::closure::Closure;
use super::ldcache::LdCache;
use super::ldconf;
use crate::elf::{self, ElfError, Info};
use crate::error::{Error, Result};

pub const LD_SO_CACHE: &str = "/etc/ld.so.cache";
pub const LD_SO_CONF: &str = "/etc/ld.so.conf";

/// Where a program given by bare name is looked for: a fixed absolute
/// PATH, never the caller's.
pub const PROGRAM_PATH: [&str; 6] = [
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// More objects than any real program loads; a bound, not a limit in use.
const MAX_OBJECTS: usize = 1024;

/// The loader's configuration, read once for many programs.
pub struct Resolver {
    cache: Option<LdCache>,
    conf_dirs: Vec<PathBuf>,
}

/// An object in the load order.
struct Obj {
    /// The path it was found at.
    path: PathBuf,
    /// The directory `$ORIGIN` stands for.
    origin: PathBuf,
    /// (st_dev, st_ino) of the file.
    id: (u64, u64),
    info: Info,
    /// The object whose DT_NEEDED brought this one in.
    loader: Option<usize>,
}

impl Default for Resolver {
    fn default() -> Self {
        Self::new()
    }
}

impl Resolver {
    /// The host's loader configuration.
    pub fn new() -> Resolver {
        Resolver::from_files(Path::new(LD_SO_CACHE), Path::new(LD_SO_CONF))
    }

    /// A loader configuration from these files (tests).
    pub fn from_files(cache: &Path, conf: &Path) -> Resolver {
        let cache = LdCache::read(cache);
        let conf_dirs = match cache {
            Some(_) => Vec::new(),
            None => ldconf::dirs(conf),
        };
        Resolver { cache, conf_dirs }
    }

    /// Everything `program` needs to run: itself, its interpreter, every
    /// shared object it needs, recursively, with the symlinks and
    /// directories on the way to each. `program` may also be a shared
    /// object (a dlopened module such as a PAM or NSS module).
    pub fn closure(&self, program: &Path) -> Result<Closure> {
        let path = find_program(program)?;
        let info = elf::read(&path).map_err(|e| e.at(&path))?;
        let arch = Arch::of(&info);
        let mut c = Closure::default();
        c.programs.push(path.clone());
        c.add_top_level_links()?;
        let real = c.add_file(&path)?;
        // ld.so's $ORIGIN for the program is the directory of its real path
        // (it reads /proc/self/exe).
        let mut objs = vec![Obj {
            path: path.clone(),
            origin: parent(&real),
            id: file_id(&real)?,
            info,
            loader: None,
        }];
        // Names the loaded objects answer to, and which object that is.
        let mut known: Vec<(Vec<u8>, usize)> = Vec::new();

        // PT_INTERP is loaded first, by the kernel; only the program's counts.
        if let Some(interp) = objs.first().and_then(|o| o.info.interp.clone()) {
            let ipath = PathBuf::from(OsStr::from_bytes(&interp));
            let iinfo = elf::read(&ipath).map_err(|e| e.at(&ipath))?;
            if !arch.accepts(&iinfo) {
                return Err(Error::invalid(
                    "interpreter",
                    ipath.display(),
                    "of another elf class or machine than the program",
                ));
            }
            let ireal = c.add_file(&ipath)?;
            known.push((interp, objs.len()));
            if let Some(soname) = &iinfo.soname {
                known.push((soname.clone(), objs.len()));
            }
            objs.push(Obj {
                origin: parent(&ipath),
                path: ipath,
                id: file_id(&ireal)?,
                info: iinfo,
                loader: None,
            });
        }

        // Breadth first, as ld.so maps dependencies (elf/dl-deps.c).
        let mut i = 0;
        while let Some(obj) = objs.get(i) {
            for name in obj.info.needed.clone() {
                if known.iter().any(|(n, _)| *n == name) {
                    continue;
                }
                let (found, info) = self.search(&name, i, &objs, &arch)?;
                let real = c.add_file(&found)?;
                let id = file_id(&real)?;
                let k = match objs.iter().position(|o| o.id == id) {
                    Some(k) => k,
                    None if objs.len() >= MAX_OBJECTS => {
                        return Err(Error::invalid(
                            "program",
                            path.display(),
                            format!("needs more than {MAX_OBJECTS} shared objects"),
                        ));
                    }
                    None => {
                        if let Some(soname) = &info.soname {
                            known.push((soname.clone(), objs.len()));
                        }
                        objs.push(Obj {
                            origin: parent(&found),
                            path: found,
                            id,
                            info,
                            loader: Some(i),
                        });
                        objs.len() - 1
                    }
                };
                known.push((name, k));
            }
            i += 1;
        }
        Ok(c)
    }

    /// Finds the object `name` needed by `objs[loader]`.
    fn search(
        &self,
        name: &[u8],
        loader: usize,
        objs: &[Obj],
        arch: &Arch,
    ) -> Result<(PathBuf, Info)> {
        let Some(requester) = objs.get(loader) else {
            return Err(Error::failed("bring: loader index out of range".into()));
        };
        let shown = String::from_utf8_lossy(name);
        if name.contains(&b'/') {
            let path = PathBuf::from(OsStr::from_bytes(&expand(name, &requester.origin, arch)));
            if !path.is_absolute() {
                return Err(Error::invalid(
                    "DT_NEEDED",
                    shown,
                    "a relative path depends on the working directory",
                ));
            }
            return try_path(&path, arch)?
                .ok_or_else(|| Error::invalid("DT_NEEDED", shown, "not found"));
        }
        let mut dirs = Vec::new();
        if requester.info.runpath.is_none() {
            let mut at = Some(loader);
            while let Some(obj) = at.and_then(|k| objs.get(k)) {
                if let (None, Some(rpath)) = (&obj.info.runpath, &obj.info.rpath) {
                    dirs.extend(search_path(rpath, &obj.origin, arch));
                }
                at = obj.loader;
            }
        }
        if let Some(runpath) = &requester.info.runpath {
            dirs.extend(search_path(runpath, &requester.origin, arch));
        }
        let file = OsStr::from_bytes(name);
        for dir in &dirs {
            if let Some(hit) = try_path(&dir.join(file), arch)? {
                return Ok(hit);
            }
        }
        if let (Some(cache), Some(flags)) = (&self.cache, arch.cache_flags) {
            for path in cache.lookup(name, flags) {
                if let Some(hit) = try_path(&path, arch)? {
                    return Ok(hit);
                }
            }
        }
        for dir in self.conf_dirs.iter().map(PathBuf::as_path) {
            if let Some(hit) = try_path(&dir.join(file), arch)? {
                return Ok(hit);
            }
        }
        for dir in arch.default_dirs {
            if let Some(hit) = try_path(&Path::new(dir).join(file), arch)? {
                return Ok(hit);
            }
        }
        Err(Error::failed(format!(
            "cannot find {shown} (needed by {}): not in the rpath/runpath, the ld.so cache or the default directories",
            requester.path.display()
        )))
    }
}

/// The object at `path` if it exists and fits the program's architecture.
fn try_path(path: &Path, arch: &Arch) -> Result<Option<(PathBuf, Info)>> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {}
        _ => return Ok(None),
    }
    match elf::read(path) {
        Ok(info) if arch.accepts(&info) => Ok(Some((path.to_path_buf(), info))),
        Ok(_) | Err(ElfError::Io(_)) => Ok(None),
        Err(e) => Err(e.at(path)),
    }
}

/// A DT_RPATH/DT_RUNPATH list as directories: `:`-separated, tokens
/// expanded; empty and relative entries (which would depend on the working
/// directory) are left out.
fn search_path(list: &[u8], origin: &Path, arch: &Arch) -> Vec<PathBuf> {
    list.split(|&c| c == b':')
        .map(|d| PathBuf::from(OsStr::from_bytes(&expand(d, origin, arch))))
        .filter(|d| d.is_absolute())
        .collect()
}

/// Expands the dynamic string tokens of ld.so(8): `$ORIGIN`, `$LIB`,
/// `$PLATFORM`, also in the `${NAME}` form. A `$` starting no token stays.
pub fn expand(s: &[u8], origin: &Path, arch: &Arch) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut rest = s;
    while let Some((&c, tail)) = rest.split_first() {
        if let (b'$', Some((name, len))) = (c, token(tail)) {
            out.extend_from_slice(match name {
                "ORIGIN" => origin.as_os_str().as_bytes(),
                "LIB" => arch.lib.as_bytes(),
                _ => arch.platform.as_bytes(),
            });
            rest = tail.get(len..).unwrap_or_default();
            continue;
        }
        out.push(c);
        rest = tail;
    }
    out
}

/// The token at the start of `s` (after the `$`) and its length.
fn token(s: &[u8]) -> Option<(&'static str, usize)> {
    for name in ["ORIGIN", "PLATFORM", "LIB"] {
        let n = name.len();
        if s.first() == Some(&b'{')
            && s.get(1..=n) == Some(name.as_bytes())
            && s.get(n + 1) == Some(&b'}')
        {
            return Some((name, n + 2));
        }
        // `$LIBX` is not `$LIB` followed by X (glibc elf/dl-load.c, is_dst).
        if s.get(..n) == Some(name.as_bytes())
            && !s
                .get(n)
                .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_')
        {
            return Some((name, n));
        }
    }
    None
}

/// The program to bring: a bare name is looked up in [`PROGRAM_PATH`] (an
/// executable regular file, as execvp(3) would take it); a path is taken as
/// is (relative to the working directory when relative).
pub fn find_program(program: &Path) -> Result<PathBuf> {
    if !program.as_os_str().as_bytes().contains(&b'/') {
        for dir in PROGRAM_PATH {
            let candidate = Path::new(dir).join(program);
            if std::fs::metadata(&candidate).is_ok_and(|m| m.is_file() && m.mode() & 0o111 != 0) {
                return Ok(candidate);
            }
        }
        return Err(Error::invalid(
            "program",
            program.display(),
            format!("not found in {}", PROGRAM_PATH.join(":")),
        ));
    }
    let path = if program.is_absolute() {
        program.to_path_buf()
    } else {
        let cwd = std::env::current_dir().map_err(|e| Error::io("getcwd", ".", &e))?;
        cwd.join(program)
    };
    match std::fs::metadata(&path) {
        Ok(m) if m.is_file() => Ok(path),
        Ok(_) => Err(Error::invalid(
            "program",
            path.display(),
            "not a regular file",
        )),
        Err(e) => Err(Error::io("stat", path.display(), &e)),
    }
}

fn parent(path: &Path) -> PathBuf {
    path.parent().unwrap_or(Path::new("/")).to_path_buf()
}

fn file_id(path: &Path) -> Result<(u64, u64)> {
    let m = std::fs::metadata(path).map_err(|e| Error::io("stat", path.display(), &e))?;
    Ok((m.dev(), m.ino()))
}
