//! ELF headers and the dynamic section, as elf(5) describes them: enough to
//! find a program's interpreter (PT_INTERP), the libraries it needs
//! (DT_NEEDED), its own name (DT_SONAME) and where it asks ld.so to look
//! (DT_RPATH, DT_RUNPATH).
//!
//! ELFCLASS32 and ELFCLASS64, little-endian; big-endian objects are refused
//! with a clean error. Bytes are read through a [`Source`] in bounded pieces
//! and every field with `from_le_bytes` at a named offset, with checked
//! arithmetic: no input makes this module panic or allocate without bound.
//! Section headers are not read: the loader itself never uses them.

pub(crate) mod bytes;
mod dynamic;
mod header;
mod source;
#[cfg(test)]
pub(crate) mod synth;
#[cfg(test)]
mod tests;

use std::fmt;
use std::fs::File;
use std::path::Path;

pub use source::{FileSource, Source};

use crate::error::Error;

/// e_machine values rootlift knows by name (elf(5), <elf.h>).
pub const EM_386: u16 = 3;
pub const EM_X86_64: u16 = 62;
pub const EM_AARCH64: u16 = 183;

/// e_type values (elf(5)).
pub const ET_EXEC: u16 = 2;
pub const ET_DYN: u16 = 3;

/// EI_CLASS: the width of addresses and offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Elf32,
    Elf64,
}

/// What an ELF object asks of the dynamic loader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    pub class: Class,
    pub machine: u16,
    pub elf_type: u16,
    /// PT_INTERP, e.g. `/lib64/ld-linux-x86-64.so.2`; `None` for static
    /// programs and for shared libraries.
    pub interp: Option<Vec<u8>>,
    /// DT_NEEDED names, in order.
    pub needed: Vec<Vec<u8>>,
    pub soname: Option<Vec<u8>>,
    pub rpath: Option<Vec<u8>>,
    pub runpath: Option<Vec<u8>>,
}

/// Why an object could not be read.
#[derive(Debug)]
pub enum ElfError {
    /// Reading the file failed.
    Io(std::io::Error),
    /// A structure lies past the end of the file.
    Truncated(&'static str),
    /// A field makes no sense.
    Malformed(&'static str),
    /// A valid ELF feature rootlift does not handle.
    Unsupported(&'static str),
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElfError::Io(e) => write!(f, "{}", crate::error::ErrnoText::io(e)),
            ElfError::Truncated(what) => write!(f, "truncated: {what} past the end of the file"),
            ElfError::Malformed(why) => write!(f, "malformed: {why}"),
            ElfError::Unsupported(what) => write!(f, "unsupported: {what}"),
        }
    }
}

impl ElfError {
    /// The crate error for this failure on `path`.
    pub fn at(self, path: &Path) -> Error {
        match self {
            ElfError::Io(e) => Error::io("read", path.display(), &e),
            other => Error::invalid("elf", path.display(), other),
        }
    }
}

/// Parses the headers and the dynamic section of the object in `src`.
pub fn parse<S: Source + ?Sized>(src: &S) -> Result<Info, ElfError> {
    let eh = header::read_ehdr(src)?;
    let segments = header::read_phdrs(src, &eh)?;
    let loads: Vec<header::Segment> = segments
        .iter()
        .filter(|s| s.p_type == dynamic::PT_LOAD)
        .copied()
        .collect();
    // ld.so uses the first PT_INTERP and the first PT_DYNAMIC.
    let interp = match segments.iter().find(|s| s.p_type == dynamic::PT_INTERP) {
        Some(seg) => Some(dynamic::interp(src, seg)?),
        None => None,
    };
    let dynamic = match segments.iter().find(|s| s.p_type == dynamic::PT_DYNAMIC) {
        Some(seg) => dynamic::dynamic(src, eh.class, seg, &loads)?,
        None => dynamic::Dynamic::default(),
    };
    Ok(Info {
        class: eh.class,
        machine: eh.machine,
        elf_type: eh.elf_type,
        interp,
        needed: dynamic.needed,
        soname: dynamic.soname,
        rpath: dynamic.rpath,
        runpath: dynamic.runpath,
    })
}

/// Opens `path` (following symlinks: this reads the host) and parses it.
/// Fails with `Io` (keeping ENOENT etc.) when it cannot be opened and with
/// `Malformed` when it is not a regular file.
pub fn read(path: &Path) -> Result<Info, ElfError> {
    let file = File::open(path).map_err(ElfError::Io)?;
    let meta = file.metadata().map_err(ElfError::Io)?;
    if !meta.is_file() {
        return Err(ElfError::Malformed("not a regular file"));
    }
    parse(&FileSource::new(file, meta.len()))
}
