//! PT_INTERP and the dynamic section (elf(5): `Elf32_Dyn`/`Elf64_Dyn`,
//! DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH, DT_STRTAB, DT_STRSZ).
//! DT_STRTAB holds a virtual address; it is mapped back to a file offset
//! through the PT_LOAD segment that contains it, as ld.so maps it.

use super::header::Segment;
use super::source::Source;
use super::{Class, ElfError};

// p_type values (elf(5)).
pub const PT_LOAD: u32 = 1;
pub const PT_DYNAMIC: u32 = 2;
pub const PT_INTERP: u32 = 3;

// d_tag values (elf(5)).
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_STRTAB: u64 = 5;
const DT_STRSZ: u64 = 10;
const DT_SONAME: u64 = 14;
const DT_RPATH: u64 = 15;
const DT_RUNPATH: u64 = 29;

// Elf64_Dyn: d_tag at 0x0, d_un at 0x8.
const DYN64_SIZE: usize = 0x10;
const DYN64_VAL: usize = 0x08;
// Elf32_Dyn: d_tag at 0x0, d_un at 0x4.
const DYN32_SIZE: usize = 0x08;
const DYN32_VAL: usize = 0x04;
const D_TAG: usize = 0x00;

/// Bounds on what one object may make us read and keep.
const MAX_INTERP: u64 = 4096;
const MAX_DYNAMIC_BYTES: u64 = 0x1_0000;
const MAX_NEEDED: usize = 1024;
/// The longest string read from the string table (PATH_MAX).
const MAX_STRING: u64 = 4096;

/// The PT_INTERP path, without its NUL.
pub fn interp<S: Source + ?Sized>(src: &S, seg: &Segment) -> Result<Vec<u8>, ElfError> {
    if seg.filesz > MAX_INTERP {
        return Err(ElfError::Malformed("interpreter path too long"));
    }
    let len = usize::try_from(seg.filesz).map_err(|_| ElfError::Malformed("interpreter size"))?;
    let bytes = src.read_at(seg.offset, len, "interpreter path")?;
    let path = until_nul(&bytes).ok_or(ElfError::Malformed("interpreter path not terminated"))?;
    if path.is_empty() {
        return Err(ElfError::Malformed("empty interpreter path"));
    }
    Ok(path.to_vec())
}

/// The strings the dynamic section names.
#[derive(Default)]
pub struct Dynamic {
    pub needed: Vec<Vec<u8>>,
    pub soname: Option<Vec<u8>>,
    pub rpath: Option<Vec<u8>>,
    pub runpath: Option<Vec<u8>>,
}

/// Walks the dynamic section up to DT_NULL and resolves its strings.
pub fn dynamic<S: Source + ?Sized>(
    src: &S,
    class: Class,
    seg: &Segment,
    loads: &[Segment],
) -> Result<Dynamic, ElfError> {
    let (entsize, val_at) = match class {
        Class::Elf32 => (DYN32_SIZE, DYN32_VAL),
        Class::Elf64 => (DYN64_SIZE, DYN64_VAL),
    };
    if seg.filesz > MAX_DYNAMIC_BYTES {
        return Err(ElfError::Malformed("dynamic section too large"));
    }
    let len = usize::try_from(seg.filesz).map_err(|_| ElfError::Malformed("dynamic size"))?;
    let table = src.read_at(seg.offset, len, "dynamic section")?;

    let (mut needed, mut soname, mut rpath, mut runpath) = (Vec::new(), None, None, None);
    let (mut strtab, mut strsz) = (None, None);
    for entry in table.chunks_exact(entsize) {
        let tag = class
            .word(entry, D_TAG)
            .ok_or(ElfError::Malformed("dynamic entry"))?;
        let val = class
            .word(entry, val_at)
            .ok_or(ElfError::Malformed("dynamic entry"))?;
        match tag {
            DT_NULL => break,
            DT_NEEDED if needed.len() >= MAX_NEEDED => {
                return Err(ElfError::Malformed("too many DT_NEEDED entries"));
            }
            DT_NEEDED => needed.push(val),
            DT_SONAME => soname = Some(val),
            DT_RPATH => rpath = Some(val),
            DT_RUNPATH => runpath = Some(val),
            DT_STRTAB => strtab = Some(val),
            DT_STRSZ => strsz = Some(val),
            _ => {}
        }
    }
    if needed.is_empty() && soname.is_none() && rpath.is_none() && runpath.is_none() {
        return Ok(Dynamic::default());
    }
    let table = StringTable::locate(strtab, strsz, loads)?;
    let mut out = Dynamic::default();
    for off in needed {
        out.needed.push(table.get(src, off)?);
    }
    out.soname = soname.map(|o| table.get(src, o)).transpose()?;
    out.rpath = rpath.map(|o| table.get(src, o)).transpose()?;
    out.runpath = runpath.map(|o| table.get(src, o)).transpose()?;
    Ok(out)
}

/// DT_STRTAB as a file range.
struct StringTable {
    offset: u64,
    size: u64,
}

impl StringTable {
    fn locate(
        addr: Option<u64>,
        size: Option<u64>,
        loads: &[Segment],
    ) -> Result<StringTable, ElfError> {
        let addr = addr.ok_or(ElfError::Malformed("dynamic strings without DT_STRTAB"))?;
        let (seg, delta) = loads
            .iter()
            .find_map(|s| {
                let delta = addr.checked_sub(s.vaddr)?;
                (delta < s.filesz).then_some((s, delta))
            })
            .ok_or(ElfError::Malformed(
                "DT_STRTAB outside every PT_LOAD segment",
            ))?;
        let offset = seg
            .offset
            .checked_add(delta)
            .ok_or(ElfError::Malformed("DT_STRTAB offset overflows"))?;
        // The table cannot extend past the file part of its segment.
        let room = seg.filesz.saturating_sub(delta);
        let size = size.map_or(room, |s| s.min(room));
        Ok(StringTable { offset, size })
    }

    /// The NUL-terminated string at `off`, read in one bounded piece.
    fn get<S: Source + ?Sized>(&self, src: &S, off: u64) -> Result<Vec<u8>, ElfError> {
        let room = self
            .size
            .checked_sub(off)
            .filter(|&r| r > 0)
            .ok_or(ElfError::Malformed("string offset outside DT_STRTAB"))?;
        let at = self
            .offset
            .checked_add(off)
            .ok_or(ElfError::Malformed("string offset overflows"))?;
        let want = room.min(MAX_STRING).min(src.size().saturating_sub(at));
        let len = usize::try_from(want).map_err(|_| ElfError::Malformed("string length"))?;
        let bytes = src.read_at(at, len, "dynamic string table")?;
        until_nul(&bytes)
            .map(<[u8]>::to_vec)
            .ok_or(ElfError::Malformed("dynamic string not terminated"))
    }
}

fn until_nul(b: &[u8]) -> Option<&[u8]> {
    b.iter().position(|&c| c == 0).and_then(|n| b.get(..n))
}
