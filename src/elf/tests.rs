//! The ELF reader on this machine's real binaries, on hand-built 32- and
//! 64-bit objects (offsets written here independently from <elf.h>), and on
//! truncated and randomly mutated copies: it must never panic.

use std::path::Path;

use super::*;

fn real(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

fn strings(v: &[Vec<u8>]) -> Vec<String> {
    v.iter()
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

#[test]
fn e2fsck_has_the_interpreter_and_needed_list_readelf_shows() {
    let info = read(Path::new("/usr/sbin/e2fsck")).expect("parse e2fsck");
    assert_eq!(info.class, Class::Elf64);
    assert_eq!(info.machine, EM_X86_64);
    assert_eq!(info.elf_type, ET_DYN);
    assert_eq!(
        info.interp.as_deref(),
        Some(&b"/lib64/ld-linux-x86-64.so.2"[..])
    );
    assert_eq!(
        strings(&info.needed),
        [
            "libext2fs.so.2",
            "libcom_err.so.2",
            "libblkid.so.1",
            "libuuid.so.1",
            "libe2p.so.2",
            "libc.so.6"
        ]
    );
    assert_eq!(info.runpath, None);
    assert_eq!(info.rpath, None);
    // The file reader and the slice reader agree.
    assert_eq!(
        parse(&real("/usr/sbin/e2fsck")[..]).expect("slice parse"),
        info
    );
}

#[test]
fn libc_names_itself_and_needs_the_loader() {
    let info = read(Path::new("/lib/x86_64-linux-gnu/libc.so.6")).expect("parse libc");
    assert_eq!(info.soname.as_deref(), Some(&b"libc.so.6"[..]));
    assert_eq!(strings(&info.needed), ["ld-linux-x86-64.so.2"]);
    // libc.so.6 runs as a program too (it prints its version).
    assert_eq!(
        info.interp.as_deref(),
        Some(&b"/lib64/ld-linux-x86-64.so.2"[..])
    );
}

#[test]
fn static_busybox_needs_nothing() {
    let info = read(Path::new("/bin/busybox")).expect("parse busybox");
    assert_eq!(info.interp, None);
    assert!(info.needed.is_empty(), "{:?}", strings(&info.needed));
    assert_eq!(info.elf_type, ET_EXEC);
}

#[test]
fn non_elf_and_non_files_are_errors() {
    assert!(matches!(
        read(Path::new("/etc/passwd")),
        Err(ElfError::Malformed(_))
    ));
    assert!(matches!(
        read(Path::new("/etc")),
        Err(ElfError::Malformed(_))
    ));
    match read(Path::new("/nonexistent/x")) {
        Err(ElfError::Io(e)) => assert_eq!(e.kind(), std::io::ErrorKind::NotFound),
        other => panic!("{other:?}"),
    }
    assert!(matches!(parse(&b""[..]), Err(ElfError::Truncated(_))));
}

/// A dynamically linked object with an interpreter, two DT_NEEDED, a
/// DT_RUNPATH and a DT_SONAME.
fn synthetic(wide: bool) -> Vec<u8> {
    synth::build(&synth::Spec {
        wide,
        machine: if wide { EM_X86_64 } else { EM_386 },
        interp: Some("/lib/ld-test.so.1"),
        needed: &["libfoo.so.1", "libbar.so.2"],
        soname: Some("libself.so"),
        rpath: None,
        runpath: Some("$ORIGIN/../lib"),
    })
}

#[test]
fn synthetic_objects_of_both_classes_parse() {
    for wide in [false, true] {
        let info = parse(&synthetic(wide)[..]).expect("parse synthetic");
        assert_eq!(info.class, if wide { Class::Elf64 } else { Class::Elf32 });
        assert_eq!(info.machine, if wide { EM_X86_64 } else { EM_386 });
        assert_eq!(info.interp.as_deref(), Some(&b"/lib/ld-test.so.1"[..]));
        assert_eq!(strings(&info.needed), ["libfoo.so.1", "libbar.so.2"]);
        assert_eq!(info.runpath.as_deref(), Some(&b"$ORIGIN/../lib"[..]));
        assert_eq!(info.soname.as_deref(), Some(&b"libself.so"[..]));
        assert_eq!(info.rpath, None);
    }
}

#[test]
fn big_endian_is_refused_cleanly() {
    let mut b = synthetic(true);
    b[5] = 2; // ELFDATA2MSB
    match parse(&b[..]) {
        Err(e @ ElfError::Unsupported(_)) => {
            assert_eq!(e.to_string(), "unsupported: big-endian elf")
        }
        other => panic!("{other:?}"),
    }
    let err = ElfError::Unsupported("big-endian elf").at(Path::new("/x"));
    assert_eq!(err.to_string(), "elf /x: unsupported: big-endian elf");
}

#[test]
fn strtab_outside_the_loads_and_bad_string_offsets_are_malformed() {
    let mut b = synthetic(true);
    let at = synth::dyn_val_at(&b, true, 5); // DT_STRTAB
    b[at..at + 8].copy_from_slice(&0x90000u64.to_le_bytes());
    assert!(matches!(parse(&b[..]), Err(ElfError::Malformed(_))));
    let mut b = synthetic(false);
    let at = synth::dyn_val_at(&b, false, 1); // DT_NEEDED
    b[at..at + 4].copy_from_slice(&0x1000u32.to_le_bytes());
    assert!(matches!(parse(&b[..]), Err(ElfError::Malformed(_))));
}

#[test]
fn every_truncation_is_an_error_or_a_parse_never_a_panic() {
    // (bytes, every prefix shorter than this must fail)
    let cases = [
        (synthetic(false), synth::DYN_AT),
        (synthetic(true), synth::DYN_AT),
        (real("/usr/sbin/e2fsck"), 4097),
    ];
    for (bytes, must_fail_below) in cases {
        for len in 0..=bytes.len().min(4096) {
            let result = parse(&bytes[..len]);
            if len < must_fail_below {
                assert!(result.is_err(), "prefix of {len} bytes parsed");
            }
        }
    }
}

/// xorshift64 (Marsaglia 2003), a fixed seed for reproducible mutations.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Mutates 1..=4 bytes inside `ranges` of `bytes`, parses, restores.
fn mutate(bytes: &mut [u8], ranges: &[(usize, usize)], rng: &mut XorShift, iterations: u32) {
    let (mut ok, mut err) = (0u32, 0u32);
    for _ in 0..iterations {
        let mut saved = Vec::new();
        for _ in 0..=rng.below(4) {
            let (a, b) = ranges[rng.below(ranges.len())];
            let at = a + rng.below(b - a);
            saved.push((at, bytes[at]));
            bytes[at] = match rng.below(4) {
                0 => 0,
                1 => 0xff,
                2 => bytes[at] ^ (1 << rng.below(8)),
                _ => rng.next() as u8,
            };
        }
        match parse(&bytes[..]) {
            Ok(_) => ok += 1,
            Err(_) => err += 1,
        }
        for (at, v) in saved.into_iter().rev() {
            bytes[at] = v;
        }
    }
    // The mutations reached fields that matter, and not all of them broke
    // the object.
    assert!(ok > 0 && err > 0, "ok {ok} err {err}");
}

#[test]
fn twenty_thousand_random_mutations_never_panic() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for wide in [false, true] {
        let mut b = synthetic(wide);
        let len = b.len();
        mutate(&mut b, &[(0, len)], &mut rng, 20_000);
    }
    // e2fsck: the headers, then PT_INTERP, PT_DYNAMIC and its strings.
    let mut e2 = real("/usr/sbin/e2fsck");
    let eh = header::read_ehdr(&e2[..]).expect("e2fsck header");
    let dynamic = header::read_phdrs(&e2[..], &eh)
        .expect("e2fsck phdrs")
        .into_iter()
        .find(|s| s.p_type == dynamic::PT_DYNAMIC)
        .expect("e2fsck has PT_DYNAMIC");
    let (dyn_at, dyn_len) = (dynamic.offset as usize, dynamic.filesz as usize);
    let ranges = [(0, 0x4000), (dyn_at, dyn_at + dyn_len)];
    mutate(&mut e2, &ranges, &mut rng, 20_000);
}
