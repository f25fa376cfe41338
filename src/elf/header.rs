//! The ELF file header and the program header table, as elf(5) and
//! <elf.h> define `Elf32_Ehdr`/`Elf64_Ehdr` and `Elf32_Phdr`/`Elf64_Phdr`.
//! Fields are read little-endian at the named offsets below; big-endian
//! objects are refused before any field is read.

use super::bytes::{le_u16, le_u32, le_u64};
use super::source::Source;
use super::{Class, ElfError};

// e_ident (elf(5) "e_ident"): the first 16 bytes, the same in both classes.
const EI_NIDENT: usize = 16;
const ELFMAG: &[u8; 4] = b"\x7fELF";
const EI_CLASS: usize = 0x04;
const EI_DATA: usize = 0x05;
const EI_VERSION: usize = 0x06;
const ELFCLASS32: u8 = 1;
const ELFCLASS64: u8 = 2;
const ELFDATA2LSB: u8 = 1;
const ELFDATA2MSB: u8 = 2;
const EV_CURRENT: u8 = 1;

// Fields at the same offset in Elf32_Ehdr and Elf64_Ehdr.
const E_TYPE: usize = 0x10;
const E_MACHINE: usize = 0x12;

// Elf64_Ehdr.
const EHDR64_SIZE: usize = 0x40;
const E64_PHOFF: usize = 0x20;
const E64_PHENTSIZE: usize = 0x36;
const E64_PHNUM: usize = 0x38;

// Elf32_Ehdr.
const EHDR32_SIZE: usize = 0x34;
const E32_PHOFF: usize = 0x1c;
const E32_PHENTSIZE: usize = 0x2a;
const E32_PHNUM: usize = 0x2c;

// Elf64_Phdr.
const PHDR64_SIZE: usize = 0x38;
const P64_TYPE: usize = 0x00;
const P64_OFFSET: usize = 0x08;
const P64_VADDR: usize = 0x10;
const P64_FILESZ: usize = 0x20;

// Elf32_Phdr.
const PHDR32_SIZE: usize = 0x20;
const P32_TYPE: usize = 0x00;
const P32_OFFSET: usize = 0x04;
const P32_VADDR: usize = 0x08;
const P32_FILESZ: usize = 0x10;

/// e_phnum's escape value: the real count is in section header 0 (elf(5)).
const PN_XNUM: u16 = 0xffff;
/// The kernel refuses program header tables above 64 KiB
/// (fs/binfmt_elf.c, elf_read_phdrs); so do we.
const MAX_PHDR_BYTES: usize = 0x1_0000;

impl Class {
    /// An address/offset/size word: 4 bytes in ELFCLASS32, 8 in ELFCLASS64.
    pub(super) fn word(self, b: &[u8], at: usize) -> Option<u64> {
        match self {
            Class::Elf32 => le_u32(b, at).map(u64::from),
            Class::Elf64 => le_u64(b, at),
        }
    }
}

/// What the file header says.
pub struct Ehdr {
    pub class: Class,
    pub elf_type: u16,
    pub machine: u16,
    phoff: u64,
    phnum: u16,
}

/// One program header, the fields rootlift uses.
#[derive(Clone, Copy)]
pub struct Segment {
    pub p_type: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
}

fn field<T>(v: Option<T>) -> Result<T, ElfError> {
    // The header was read whole, so a missing field is a bug in the offset
    // tables above, reported as malformed rather than a panic.
    v.ok_or(ElfError::Malformed("header field out of range"))
}

/// Reads and checks e_ident and the class's file header.
pub fn read_ehdr<S: Source + ?Sized>(src: &S) -> Result<Ehdr, ElfError> {
    let ident = src.read_at(0, EI_NIDENT, "elf identification")?;
    if ident.get(..4) != Some(&ELFMAG[..]) {
        return Err(ElfError::Malformed("not an elf file (bad magic)"));
    }
    let class = match ident.get(EI_CLASS) {
        Some(&ELFCLASS32) => Class::Elf32,
        Some(&ELFCLASS64) => Class::Elf64,
        _ => return Err(ElfError::Malformed("unknown elf class")),
    };
    match ident.get(EI_DATA) {
        Some(&ELFDATA2LSB) => {}
        Some(&ELFDATA2MSB) => return Err(ElfError::Unsupported("big-endian elf")),
        _ => return Err(ElfError::Malformed("unknown elf data encoding")),
    }
    if ident.get(EI_VERSION) != Some(&EV_CURRENT) {
        return Err(ElfError::Malformed("unknown elf version"));
    }
    let (size, phoff_at, phentsize_at, phnum_at, phdr_size) = match class {
        Class::Elf32 => (
            EHDR32_SIZE,
            E32_PHOFF,
            E32_PHENTSIZE,
            E32_PHNUM,
            PHDR32_SIZE,
        ),
        Class::Elf64 => (
            EHDR64_SIZE,
            E64_PHOFF,
            E64_PHENTSIZE,
            E64_PHNUM,
            PHDR64_SIZE,
        ),
    };
    let h = src.read_at(0, size, "elf header")?;
    let phnum = field(le_u16(&h, phnum_at))?;
    let phentsize = field(le_u16(&h, phentsize_at))?;
    if phnum == PN_XNUM {
        return Err(ElfError::Unsupported(
            "extended program header count (PN_XNUM)",
        ));
    }
    // ld.so refuses other entry sizes too (elf/dl-load.c, open_verify).
    if phnum != 0 && usize::from(phentsize) != phdr_size {
        return Err(ElfError::Malformed("program header entry size"));
    }
    Ok(Ehdr {
        class,
        elf_type: field(le_u16(&h, E_TYPE))?,
        machine: field(le_u16(&h, E_MACHINE))?,
        phoff: field(class.word(&h, phoff_at))?,
        phnum,
    })
}

/// Reads the program header table.
pub fn read_phdrs<S: Source + ?Sized>(src: &S, eh: &Ehdr) -> Result<Vec<Segment>, ElfError> {
    let (entsize, t, o, v, f) = match eh.class {
        Class::Elf32 => (PHDR32_SIZE, P32_TYPE, P32_OFFSET, P32_VADDR, P32_FILESZ),
        Class::Elf64 => (PHDR64_SIZE, P64_TYPE, P64_OFFSET, P64_VADDR, P64_FILESZ),
    };
    let bytes = usize::from(eh.phnum)
        .checked_mul(entsize)
        .filter(|&n| n <= MAX_PHDR_BYTES)
        .ok_or(ElfError::Malformed("program header table too large"))?;
    let table = src.read_at(eh.phoff, bytes, "program headers")?;
    table
        .chunks_exact(entsize)
        .map(|ph| {
            Ok(Segment {
                p_type: field(le_u32(ph, t))?,
                offset: field(eh.class.word(ph, o))?,
                vaddr: field(eh.class.word(ph, v))?,
                filesz: field(eh.class.word(ph, f))?,
            })
        })
        .collect()
}
