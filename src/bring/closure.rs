//! A closure: the directories, symlinks and files a set of programs needs,
//! each at the absolute path it must have inside DEST, so the loader finds
//! everything at the same paths as on the host (path_resolution(7): every
//! symlink met on the way to a file is recreated, including top-level ones
//! such as merged-/usr's `/lib -> usr/lib`).

use std::fs::Metadata;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use rustix::io::Errno;

use crate::error::{Error, Result};

/// What an entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A directory, created with mode 0755.
    Dir,
    /// A regular file: its size and permission bits (st_mode & 07777).
    File { size: u64, mode: u32 },
    /// A symlink with this target, recreated verbatim.
    Symlink { target: PathBuf },
}

/// One thing to create inside DEST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The absolute path inside DEST (`/usr/lib/x86_64-linux-gnu/libc.so.6`).
    pub path: PathBuf,
    /// Where it comes from on the host.
    pub source: PathBuf,
    pub kind: Kind,
}

/// An ordered, duplicate-free list of entries; parents come before what
/// they contain.
#[derive(Debug, Clone, Default)]
pub struct Closure {
    /// The programs this closure was made for, as found (absolute).
    pub programs: Vec<PathBuf>,
    entries: Vec<Entry>,
}

/// Linux's limit on symlinks followed in one lookup (path_resolution(7)).
const MAXSYMLINKS: u32 = 40;

/// Top-level directories that merged-/usr systems make symlinks.
const TOP_LEVEL_LINKS: [&str; 6] = ["/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"];

impl Closure {
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The regular files, in order.
    pub fn files(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|e| matches!(e.kind, Kind::File { .. }))
    }

    /// The sum of the file sizes: what the closure costs in a tmpfs.
    pub fn total_bytes(&self) -> u64 {
        self.entries
            .iter()
            .map(|e| match e.kind {
                Kind::File { size, .. } => size,
                _ => 0,
            })
            .fold(0, u64::saturating_add)
    }

    /// Adds `entry` unless its path is already present (the first one wins:
    /// one host snapshot cannot have two kinds at one path).
    pub fn push(&mut self, entry: Entry) {
        // A linear scan: closures hold a few hundred entries at most, and a
        // map would cost more code than it saves time.
        if !self.entries.iter().any(|e| e.path == entry.path) {
            self.entries.push(entry);
        }
    }

    /// Adds everything of `other` not yet here.
    pub fn merge(&mut self, other: &Closure) {
        for p in &other.programs {
            if !self.programs.contains(p) {
                self.programs.push(p.clone());
            }
        }
        for e in &other.entries {
            self.push(e.clone());
        }
    }

    /// Adds the host file at `path` (absolute) with every symlink and
    /// directory on the way to it; returns its real path.
    pub fn add_file(&mut self, path: &Path) -> Result<PathBuf> {
        let (real, meta) = self.walk(path)?;
        if !meta.is_file() {
            return Err(Error::invalid("file", path.display(), "not a regular file"));
        }
        self.push(Entry {
            path: real.clone(),
            source: real.clone(),
            kind: Kind::File {
                size: meta.len(),
                mode: meta.permissions().mode() & 0o7777,
            },
        });
        Ok(real)
    }

    /// Adds the host directory at `path` with the symlinks on the way.
    pub fn add_dir(&mut self, path: &Path) -> Result<PathBuf> {
        let (real, meta) = self.walk(path)?;
        if !meta.is_dir() {
            return Err(Error::invalid(
                "directory",
                path.display(),
                "not a directory",
            ));
        }
        self.push_dir(&real);
        Ok(real)
    }

    /// The host's top-level directory symlinks (`/lib -> usr/lib`, ...),
    /// whether or not a library path crosses them, so programs and scripts
    /// find `/sbin/...` and `/lib64/ld-linux-x86-64.so.2` as on the host.
    pub fn add_top_level_links(&mut self) -> Result<()> {
        for top in TOP_LEVEL_LINKS {
            let top = Path::new(top);
            let is_link = std::fs::symlink_metadata(top).is_ok_and(|m| m.file_type().is_symlink());
            // A dangling top-level link stays out: nothing needs it.
            if is_link && std::fs::metadata(top).is_ok_and(|m| m.is_dir()) {
                self.add_dir(top)?;
            }
        }
        Ok(())
    }

    fn push_dir(&mut self, real: &Path) {
        if real != Path::new("/") {
            self.push(Entry {
                path: real.to_path_buf(),
                source: real.to_path_buf(),
                kind: Kind::Dir,
            });
        }
    }

    /// Resolves `path` one component at a time, as the kernel does
    /// (path_resolution(7)), recording each directory passed and each
    /// symlink met. Returns the real path and its (lstat) metadata.
    fn walk(&mut self, path: &Path) -> Result<(PathBuf, Metadata)> {
        if !path.is_absolute() {
            return Err(Error::invalid("path", path.display(), "not absolute"));
        }
        // Components still to resolve, in reverse so pop() takes the next.
        let mut todo: Vec<PathBuf> = rev_components(path);
        let mut cur = PathBuf::from("/");
        let mut links = 0u32;
        let mut last = std::fs::symlink_metadata("/").map_err(|e| Error::io("lstat", "/", &e))?;
        while let Some(name) = todo.pop() {
            // Only a directory has entries, `..` included.
            if !last.is_dir() {
                return Err(Error::sys("lstat", cur.display(), Errno::NOTDIR));
            }
            if name == Path::new("..") {
                cur.pop();
                last = lstat(&cur)?;
                continue;
            }
            self.push_dir(&cur);
            let next = cur.join(&name);
            let meta = lstat(&next)?;
            if meta.file_type().is_symlink() {
                links += 1;
                if links > MAXSYMLINKS {
                    return Err(Error::sys("readlink", path.display(), Errno::LOOP));
                }
                let target = std::fs::read_link(&next)
                    .map_err(|e| Error::io("readlink", next.display(), &e))?;
                self.push(Entry {
                    path: next.clone(),
                    source: next,
                    kind: Kind::Symlink {
                        target: target.clone(),
                    },
                });
                // An absolute target restarts at the root; a relative one
                // continues in the directory holding the link.
                if target.is_absolute() {
                    cur = PathBuf::from("/");
                    last = lstat(&cur)?;
                }
                todo.extend(rev_components(&target));
            } else {
                cur = next;
                last = meta;
            }
        }
        Ok((cur, last))
    }
}

/// The normal and `..` components of `path`, last first (`.` dropped).
fn rev_components(path: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(PathBuf::from(n)),
            Component::ParentDir => Some(PathBuf::from("..")),
            _ => None,
        })
        .collect();
    v.reverse();
    v
}

fn lstat(path: &Path) -> Result<Metadata> {
    std::fs::symlink_metadata(path).map_err(|e| Error::io("lstat", path.display(), &e))
}
