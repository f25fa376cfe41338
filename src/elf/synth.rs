//! Test-only: hand-built ELF objects of either class, with the offsets of
//! elf(5) written out here independently of the reader's own constants,
//! so a wrong offset in the reader cannot hide behind the same wrong
//! offset in the fixture.

/// What the object should say.
pub struct Spec<'a> {
    pub wide: bool,
    pub machine: u16,
    pub interp: Option<&'a str>,
    pub needed: &'a [&'a str],
    pub soname: Option<&'a str>,
    pub rpath: Option<&'a str>,
    pub runpath: Option<&'a str>,
}

/// Layout: headers at 0, PT_INTERP data at 0x100, strings at 0x200,
/// dynamic section at 0x600; one PT_LOAD maps the whole file at BASE.
pub const INTERP_AT: usize = 0x100;
pub const STR_AT: usize = 0x200;
pub const DYN_AT: usize = 0x600;
pub const SIZE: usize = 0x800;
pub const BASE: u64 = 0x10000;

fn put(b: &mut [u8], at: usize, width: usize, v: u64) {
    b[at..at + width].copy_from_slice(&v.to_le_bytes()[..width]);
}

/// The object's bytes.
pub fn build(s: &Spec) -> Vec<u8> {
    let mut b = vec![0u8; SIZE];
    let w = if s.wide { 8 } else { 4 };
    b[..4].copy_from_slice(b"\x7fELF");
    b[4] = if s.wide { 2 } else { 1 }; // EI_CLASS
    b[5] = 1; // EI_DATA: ELFDATA2LSB
    b[6] = 1; // EI_VERSION: EV_CURRENT
    put(&mut b, 0x10, 2, if s.interp.is_some() { 2 } else { 3 }); // e_type
    put(&mut b, 0x12, 2, u64::from(s.machine));
    // e_phoff, e_phentsize, e_phnum; phdr field offsets.
    let (phoff_at, phentsize_at, phnum_at, phentsize) = if s.wide {
        (0x20, 0x36, 0x38, 0x38)
    } else {
        (0x1c, 0x2a, 0x2c, 0x20)
    };
    let (off_at, vaddr_at, filesz_at) = if s.wide {
        (0x08, 0x10, 0x20)
    } else {
        (0x04, 0x08, 0x10)
    };

    // The string table: index 0 is the empty string.
    let mut strtab = vec![0u8];
    let mut add = |text: &str| {
        let at = strtab.len() as u64;
        strtab.extend_from_slice(text.as_bytes());
        strtab.push(0);
        at
    };
    let mut dyns: Vec<(u64, u64)> = s.needed.iter().map(|n| (1, add(n))).collect();
    if let Some(r) = s.runpath {
        dyns.push((29, add(r)));
    }
    if let Some(r) = s.rpath {
        dyns.push((15, add(r)));
    }
    if let Some(n) = s.soname {
        dyns.push((14, add(n)));
    }
    dyns.push((5, BASE + STR_AT as u64)); // DT_STRTAB
    dyns.push((10, strtab.len() as u64)); // DT_STRSZ
    dyns.push((0, 0)); // DT_NULL
    assert!(
        strtab.len() <= DYN_AT - STR_AT,
        "synthetic strings too long"
    );
    b[STR_AT..STR_AT + strtab.len()].copy_from_slice(&strtab);
    for (i, &(tag, val)) in dyns.iter().enumerate() {
        let at = DYN_AT + i * 2 * w;
        put(&mut b, at, w, tag);
        put(&mut b, at + w, w, val);
    }
    let dyn_len = (dyns.len() * 2 * w) as u64;

    // (p_type, p_offset, p_filesz): PT_LOAD, PT_DYNAMIC, PT_INTERP.
    let mut phdrs = vec![(1u64, 0u64, SIZE as u64), (2, DYN_AT as u64, dyn_len)];
    if let Some(i) = s.interp {
        b[INTERP_AT..INTERP_AT + i.len()].copy_from_slice(i.as_bytes());
        phdrs.push((3, INTERP_AT as u64, i.len() as u64 + 1));
    }
    put(&mut b, phoff_at, w, 0x40);
    put(&mut b, phentsize_at, 2, phentsize);
    put(&mut b, phnum_at, 2, phdrs.len() as u64);
    for (i, &(t, off, filesz)) in phdrs.iter().enumerate() {
        let at = 0x40 + i * phentsize as usize;
        put(&mut b, at, 4, t);
        put(&mut b, at + off_at, w, off);
        put(&mut b, at + vaddr_at, w, BASE + off);
        put(&mut b, at + filesz_at, w, filesz);
    }
    b
}

/// The file offset of the d_val of the first dynamic entry with `tag`.
pub fn dyn_val_at(b: &[u8], wide: bool, tag: u64) -> usize {
    let w = if wide { 8 } else { 4 };
    (0..)
        .map(|i| DYN_AT + i * 2 * w)
        .take_while(|&at| at + 2 * w <= b.len())
        .find(|&at| {
            let mut t = [0u8; 8];
            t[..w].copy_from_slice(&b[at..at + w]);
            u64::from_le_bytes(t) == tag
        })
        .map(|at| at + w)
        .expect("dynamic tag present")
}
