//! bring without root: the cache and conf readers, token expansion, the
//! symlink-recording walk, the loader's search order on synthetic objects,
//! and install's refusals into a scratch directory. The equality with ldd
//! on real programs is in tests/bring_closure.rs.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use super::arch::Arch;
use super::ldcache::{FLAG_ELF_LIBC6, FLAG_X8664_LIB64, LdCache};
use super::*;
use crate::elf::{self, EM_386, EM_X86_64, synth};

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p =
            std::env::temp_dir().join(format!("rootlift-bring-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        // The walk records real paths: make the scratch path real too.
        Scratch(std::fs::canonicalize(&p).unwrap())
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }

    fn write(&self, rel: &str, bytes: &[u8], mode: u32) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn x86_64() -> Arch {
    Arch::of(&elf::read(Path::new("/usr/sbin/e2fsck")).unwrap())
}

// ---- ld.so.cache -------------------------------------------------------

#[test]
fn the_host_cache_knows_libc() {
    let cache = LdCache::read(Path::new("/etc/ld.so.cache")).expect("host ld.so.cache parses");
    let libc = cache.lookup(b"libc.so.6", FLAG_ELF_LIBC6 | FLAG_X8664_LIB64);
    assert_eq!(libc, [PathBuf::from("/lib/x86_64-linux-gnu/libc.so.6")]);
    assert!(
        cache.lookup(b"libc.so.6", FLAG_ELF_LIBC6).is_empty(),
        "i386 flags"
    );
    assert!(cache.lookup(b"libnothing.so.9", 0x0303).is_empty());
}

/// A cache with entries (flags, key, value, hwcap).
fn cache_bytes(entries: &[(u32, &str, &str, u64)]) -> Vec<u8> {
    let mut b = b"glibc-ld.so.cache1.1".to_vec();
    b.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    b.resize(0x30, 0);
    let strings_at = 0x30 + 0x18 * entries.len();
    let mut strings = Vec::new();
    for &(flags, key, value, hwcap) in entries {
        let k = (strings_at + strings.len()) as u32;
        strings.extend_from_slice(key.as_bytes());
        strings.push(0);
        let v = (strings_at + strings.len()) as u32;
        strings.extend_from_slice(value.as_bytes());
        strings.push(0);
        b.extend_from_slice(&flags.to_le_bytes());
        b.extend_from_slice(&k.to_le_bytes());
        b.extend_from_slice(&v.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&hwcap.to_le_bytes());
    }
    b.extend_from_slice(&strings);
    b
}

#[test]
fn cache_lookup_takes_exact_flags_and_skips_hwcap_variants() {
    let b = cache_bytes(&[
        (0x0303, "libz.so.1", "/opt/v3/libz.so.1", 1 << 62),
        (0x0003, "libz.so.1", "/lib/i386-linux-gnu/libz.so.1", 0),
        (0x0303, "libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1", 0),
        (0x0303, "libzz.so.1", "/lib/x86_64-linux-gnu/libzz.so.1", 0),
    ]);
    let cache = LdCache::parse(b).unwrap();
    assert_eq!(
        cache.lookup(b"libz.so.1", 0x0303),
        [PathBuf::from("/lib/x86_64-linux-gnu/libz.so.1")]
    );
    assert_eq!(
        cache.lookup(b"libz.so.1", 0x0003),
        [PathBuf::from("/lib/i386-linux-gnu/libz.so.1")]
    );
}

#[test]
fn malformed_caches_are_refused_or_yield_nothing() {
    assert!(LdCache::parse(b"ld.so-1.7.0\0\0\0\0\0".to_vec()).is_err());
    let mut b = cache_bytes(&[(0x0303, "libz.so.1", "/x", 0)]);
    b[0x14..0x18].copy_from_slice(&u32::MAX.to_le_bytes()); // nlibs
    assert!(LdCache::parse(b).is_err());
    // String offsets past the end: no match, no panic.
    let mut b = cache_bytes(&[(0x0303, "libz.so.1", "/x", 0)]);
    b[0x34..0x38].copy_from_slice(&u32::MAX.to_le_bytes()); // key
    assert!(
        LdCache::parse(b)
            .unwrap()
            .lookup(b"libz.so.1", 0x0303)
            .is_empty()
    );
    // Every truncation and every single-byte change of a small cache.
    let good = cache_bytes(&[
        (0x0303, "libz.so.1", "/x", 0),
        (0x0303, "liby.so.1", "/y", 0),
    ]);
    for len in 0..good.len() {
        if let Ok(c) = LdCache::parse(good[..len].to_vec()) {
            let _ = c.lookup(b"libz.so.1", 0x0303);
        }
    }
    for at in 0..good.len() {
        for v in [0u8, 0xff, 0x7f] {
            let mut b = good.clone();
            b[at] = v;
            if let Ok(c) = LdCache::parse(b) {
                let _ = c.lookup(b"liby.so.1", 0x0303);
            }
        }
    }
}

// ---- ld.so.conf ---------------------------------------------------------

#[test]
fn conf_includes_globs_in_order_and_skips_comments_and_hwcap() {
    let s = Scratch::new("conf");
    s.write(
        "ld.so.conf",
        b"# top\ninclude conf.d/*.conf\n/opt/top/lib # trailing\nhwcap 0 nosegneg\n\n  /opt/spaced  \nrelative/ignored\n",
        0o644,
    );
    s.write("conf.d/b.conf", b"/opt/b\ninclude ../more.conf\n", 0o644);
    s.write("conf.d/a.conf", b"/opt/a\n/opt/b\n", 0o644);
    s.write("conf.d/.hidden.conf", b"/opt/hidden\n", 0o644);
    s.write("conf.d/c.txt", b"/opt/c\n", 0o644);
    s.write("more.conf", b"/opt/more\n", 0o644);
    let dirs = ldconf::dirs(&s.path("ld.so.conf"));
    let want = [
        "/opt/a",
        "/opt/b",
        "/opt/more",
        "/opt/top/lib",
        "/opt/spaced",
    ];
    assert_eq!(dirs, want.map(PathBuf::from));
    assert!(ldconf::dirs(&s.path("missing.conf")).is_empty());
}

#[test]
fn conf_include_loops_are_bounded() {
    let s = Scratch::new("confloop");
    s.write("ld.so.conf", b"include ld.so.conf\n/opt/x\n", 0o644);
    assert_eq!(
        ldconf::dirs(&s.path("ld.so.conf")),
        [PathBuf::from("/opt/x")]
    );
}

#[test]
fn wildcards_match_like_the_shell() {
    use ldconf::wildcard;
    assert!(wildcard(b"*.conf", b"x86_64-linux-gnu.conf"));
    assert!(wildcard(b"*.conf", b".conf"));
    assert!(!wildcard(b"*.conf", b"a.conff"));
    assert!(wildcard(b"a?c*", b"abcdef"));
    assert!(wildcard(b"*a*b*", b"xxaxxbxx"));
    assert!(!wildcard(b"*a*b", b"xxaxxbxxc"));
    assert!(wildcard(b"", b""));
    assert!(!wildcard(b"", b"x"));
    assert!(wildcard(b"**", b""));
}

// ---- tokens -------------------------------------------------------------

#[test]
fn dynamic_string_tokens_expand_as_ld_so_does() {
    let a = x86_64();
    let o = Path::new("/opt/app/bin");
    let x = |s: &str| String::from_utf8(search::expand(s.as_bytes(), o, &a)).unwrap();
    assert_eq!(x("$ORIGIN/../lib"), "/opt/app/bin/../lib");
    assert_eq!(x("${ORIGIN}/lib"), "/opt/app/bin/lib");
    assert_eq!(
        x("/usr/$LIB/x:${PLATFORM}"),
        "/usr/lib/x86_64-linux-gnu/x:x86_64"
    );
    assert_eq!(x("$ORIGINAL/$LIBS/$"), "$ORIGINAL/$LIBS/$");
    assert_eq!(x("${ORIGIN"), "${ORIGIN");
}

// ---- the walk -----------------------------------------------------------

#[test]
fn the_walk_records_every_symlink_and_directory_on_the_way() {
    let s = Scratch::new("walk");
    s.write("real/usr/lib/libx.so.1.2", b"x", 0o644);
    symlink("usr/lib", s.path("real/lib")).unwrap();
    symlink("libx.so.1.2", s.path("real/usr/lib/libx.so.1")).unwrap();
    // An absolute link, and a relative one with "..".
    symlink(s.path("real/lib/libx.so.1"), s.path("abs")).unwrap();
    symlink("real/usr/lib/../lib/libx.so.1", s.path("rel")).unwrap();

    let mut c = Closure::default();
    let real = c.add_file(&s.path("abs")).unwrap();
    assert_eq!(real, s.path("real/usr/lib/libx.so.1.2"));
    let kinds: Vec<(PathBuf, Kind)> = c
        .entries()
        .iter()
        .filter(|e| e.path.starts_with(&s.0) && e.path != s.0)
        .map(|e| {
            (
                e.path.strip_prefix(&s.0).unwrap().to_path_buf(),
                e.kind.clone(),
            )
        })
        .collect();
    let link = |t: &str| Kind::Symlink { target: t.into() };
    assert_eq!(
        kinds,
        [
            (
                "abs".into(),
                link(s.path("real/lib/libx.so.1").to_str().unwrap())
            ),
            ("real".into(), Kind::Dir),
            ("real/lib".into(), link("usr/lib")),
            ("real/usr".into(), Kind::Dir),
            ("real/usr/lib".into(), Kind::Dir),
            ("real/usr/lib/libx.so.1".into(), link("libx.so.1.2")),
            (
                "real/usr/lib/libx.so.1.2".into(),
                Kind::File {
                    size: 1,
                    mode: 0o644
                }
            ),
        ]
    );
    // Parents come before what they hold.
    let mut c = Closure::default();
    assert_eq!(c.add_file(&s.path("rel")).unwrap(), real);
    assert_eq!(c.total_bytes(), 1);
}

#[test]
fn the_walk_stops_on_loops_and_non_directories() {
    let s = Scratch::new("loop");
    symlink("b", s.path("a")).unwrap();
    symlink("a", s.path("b")).unwrap();
    let err = Closure::default().add_file(&s.path("a")).unwrap_err();
    assert!(err.to_string().contains("ELOOP"), "{err}");
    s.write("f", b"", 0o644);
    for bad in ["f/x", "f/../f"] {
        let err = Closure::default().add_file(&s.path(bad)).unwrap_err();
        assert!(err.to_string().contains("ENOTDIR"), "{err}");
    }
    let err = Closure::default().add_file(&s.0).unwrap_err();
    assert!(err.to_string().contains("not a regular file"), "{err}");
}

// ---- the search order, on synthetic objects ---------------------------

struct Obj<'a> {
    rel: &'a str,
    wide: bool,
    needed: &'a [&'a str],
    soname: Option<&'a str>,
    rpath: Option<&'a str>,
    runpath: Option<&'a str>,
}

fn put(s: &Scratch, o: Obj) -> PathBuf {
    let bytes = synth::build(&synth::Spec {
        wide: o.wide,
        machine: if o.wide { EM_X86_64 } else { EM_386 },
        interp: None,
        needed: o.needed,
        soname: o.soname,
        rpath: o.rpath,
        runpath: o.runpath,
    });
    s.write(o.rel, &bytes, 0o755)
}

fn lib<'a>(rel: &'a str, soname: &'a str) -> Obj<'a> {
    Obj {
        rel,
        wide: true,
        needed: &[],
        soname: Some(soname),
        rpath: None,
        runpath: None,
    }
}

fn no_system() -> Resolver {
    Resolver::from_files(
        Path::new("/nonexistent/cache"),
        Path::new("/nonexistent/conf"),
    )
}

fn files_under(c: &Closure, root: &Path) -> Vec<String> {
    let mut v: Vec<String> = c
        .files()
        .filter_map(|e| e.path.strip_prefix(root).ok())
        .map(|p| p.display().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn runpath_with_origin_skips_a_32_bit_candidate() {
    let s = Scratch::new("runpath");
    let prog = put(
        &s,
        Obj {
            rel: "app/bin/prog",
            wide: true,
            needed: &["libsynthfoo.so.1"],
            soname: None,
            rpath: None,
            runpath: Some("$ORIGIN/../lib32:${ORIGIN}/../lib"),
        },
    );
    put(
        &s,
        Obj {
            wide: false,
            ..lib("app/lib32/libsynthfoo.so.1", "libsynthfoo.so.1")
        },
    );
    put(&s, lib("app/lib/libsynthfoo.so.1", "libsynthfoo.so.1"));
    let c = no_system().closure(&prog).unwrap();
    assert_eq!(
        files_under(&c, &s.0),
        ["app/bin/prog", "app/lib/libsynthfoo.so.1"]
    );
    assert_eq!(c.programs, [prog]);
}

#[test]
fn rpath_of_the_loader_chain_counts_only_without_runpath() {
    let s = Scratch::new("rpath");
    let rpath = s.path("deps");
    let rpath = rpath.to_str().unwrap();
    // prog (RPATH deps) -> liba (nothing) -> libb: found through prog's RPATH.
    let prog = put(
        &s,
        Obj {
            rel: "bin/prog",
            wide: true,
            needed: &["libsyntha.so.1"],
            soname: None,
            rpath: Some(rpath),
            runpath: None,
        },
    );
    put(
        &s,
        Obj {
            needed: &["libsynthb.so.1"],
            ..lib("deps/libsyntha.so.1", "libsyntha.so.1")
        },
    );
    put(&s, lib("deps/libsynthb.so.1", "libsynthb.so.1"));
    let c = no_system().closure(&prog).unwrap();
    assert_eq!(
        files_under(&c, &s.0),
        ["bin/prog", "deps/libsyntha.so.1", "deps/libsynthb.so.1"]
    );

    // The same, but liba has a DT_RUNPATH (elsewhere): then the loader
    // chain's RPATH is not used for liba's needs, and libb is not found.
    put(
        &s,
        Obj {
            needed: &["libsynthb.so.1"],
            runpath: Some("/nonexistent"),
            ..lib("deps/libsyntha.so.1", "libsyntha.so.1")
        },
    );
    let err = no_system().closure(&prog).unwrap_err().to_string();
    assert!(err.contains("cannot find libsynthb.so.1"), "{err}");

    // With DT_RUNPATH on the program, its DT_RPATH is ignored altogether.
    let prog2 = put(
        &s,
        Obj {
            rel: "bin/prog2",
            wide: true,
            needed: &["libsynthb.so.1"],
            soname: None,
            rpath: Some(rpath),
            runpath: Some("/nonexistent"),
        },
    );
    assert!(no_system().closure(&prog2).is_err());
}

#[test]
fn a_name_already_loaded_by_soname_is_not_searched_again() {
    let s = Scratch::new("soname");
    let d = s.path("d");
    let d = d.to_str().unwrap();
    // prog needs liba (RUNPATH d) and libc-like "libsynthx.so.1"; liba's own
    // copy of libsynthx would be found elsewhere, but the soname matches.
    let prog = put(
        &s,
        Obj {
            rel: "bin/prog",
            wide: true,
            needed: &["libsynthx.so.1", "libsyntha.so.1"],
            soname: None,
            rpath: None,
            runpath: Some(d),
        },
    );
    let other = s.path("other");
    put(
        &s,
        Obj {
            needed: &["libsynthx.so.1"],
            runpath: Some(other.to_str().unwrap()),
            ..lib("d/libsyntha.so.1", "libsyntha.so.1")
        },
    );
    put(&s, lib("d/libsynthx.so.1", "libsynthx.so.1"));
    put(&s, lib("other/libsynthx.so.1", "libsynthx.so.1"));
    let c = no_system().closure(&prog).unwrap();
    assert_eq!(
        files_under(&c, &s.0),
        ["bin/prog", "d/libsyntha.so.1", "d/libsynthx.so.1"]
    );
}

#[test]
fn a_corrupt_candidate_stops_the_search_with_its_path() {
    let s = Scratch::new("corrupt");
    let prog = put(
        &s,
        Obj {
            rel: "bin/prog",
            wide: true,
            needed: &["libsynthc.so.1"],
            soname: None,
            rpath: None,
            runpath: Some(s.path("lib").to_str().unwrap()),
        },
    );
    s.write("lib/libsynthc.so.1", b"\x7fELF\x02\x01\x01", 0o644);
    let err = no_system().closure(&prog).unwrap_err().to_string();
    assert!(err.contains("libsynthc.so.1: truncated"), "{err}");
}

#[test]
fn static_busybox_brings_only_itself() {
    let c = closure(Path::new("/bin/busybox")).unwrap();
    let files: Vec<&Path> = c.files().map(|e| e.path.as_path()).collect();
    assert_eq!(files, [Path::new("/usr/bin/busybox")]);
}

#[test]
fn e2fsck_by_bare_name_brings_the_interpreter_chain_and_top_level_links() {
    let c = closure(Path::new("e2fsck")).unwrap();
    assert_eq!(c.programs, [PathBuf::from("/usr/sbin/e2fsck")]);
    let find = |p: &str| {
        c.entries()
            .iter()
            .find(|e| e.path == Path::new(p))
            .map(|e| &e.kind)
    };
    for (top, target) in [
        ("/lib", "usr/lib"),
        ("/lib64", "usr/lib64"),
        ("/bin", "usr/bin"),
        ("/sbin", "usr/sbin"),
    ] {
        if std::fs::read_link(top).is_ok_and(|t| t == Path::new(target)) {
            assert_eq!(
                find(top),
                Some(&Kind::Symlink {
                    target: target.into()
                }),
                "{top}"
            );
        }
    }
    assert_eq!(
        find("/usr/lib64/ld-linux-x86-64.so.2"),
        Some(&Kind::Symlink {
            target: "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2".into()
        })
    );
    assert!(matches!(
        find("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
        Some(Kind::File { .. })
    ));
    // Parents before children; no path twice.
    let paths: Vec<&Path> = c.entries().iter().map(|e| e.path.as_path()).collect();
    for (i, p) in paths.iter().enumerate() {
        assert!(!paths[i + 1..].contains(p), "{} twice", p.display());
        if let Some(parent) = p.parent().filter(|q| *q != Path::new("/")) {
            let at = paths.iter().position(|q| *q == parent);
            assert!(
                at.is_some_and(|j| j < i),
                "{} before its parent",
                p.display()
            );
        }
    }
}

#[test]
fn programs_are_found_in_the_fixed_path_only() {
    assert_eq!(
        find_program(Path::new("e2fsck")).unwrap(),
        Path::new("/usr/sbin/e2fsck")
    );
    let err = find_program(Path::new("no-such-program-here")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "program no-such-program-here: not found in \
         /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    );
    assert!(find_program(Path::new("/etc")).is_err());
}

// ---- install ------------------------------------------------------------

fn small_closure(s: &Scratch) -> Closure {
    s.write("src/usr/lib/liby.so.1.0", b"library bytes", 0o644);
    s.write("src/usr/bin/prog", b"program bytes", 0o4755);
    symlink("liby.so.1.0", s.path("src/usr/lib/liby.so.1")).unwrap();
    let mut c = Closure::default();
    c.add_file(&s.path("src/usr/bin/prog")).unwrap();
    c.add_file(&s.path("src/usr/lib/liby.so.1")).unwrap();
    c
}

#[test]
fn install_copies_files_links_and_modes_and_accepts_identical_reruns() {
    let s = Scratch::new("install");
    let c = small_closure(&s);
    let dest = s.path("dest");
    std::fs::create_dir(&dest).unwrap();
    let report = install(&dest, &c).unwrap();
    assert!(report.items.iter().all(|i| i.created));
    assert_eq!(report.total_bytes(), 26);
    let inside = |rel: &str| dest.join(s.path(rel).strip_prefix("/").unwrap());
    assert_eq!(
        std::fs::read(inside("src/usr/bin/prog")).unwrap(),
        b"program bytes"
    );
    let mode = std::fs::metadata(inside("src/usr/bin/prog"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o4755);
    let dmode = std::fs::metadata(inside("src/usr/lib"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(dmode & 0o7777, 0o755);
    assert_eq!(
        std::fs::read_link(inside("src/usr/lib/liby.so.1")).unwrap(),
        Path::new("liby.so.1.0")
    );
    // Twice: everything is already there and identical.
    let again = install(&dest, &c).unwrap();
    assert!(again.items.iter().all(|i| !i.created));

    let text = report::text(&report);
    assert!(text.contains(" (13 bytes)\n"), "{text}");
    assert!(text.contains("link "), "{text}");
    assert!(
        text.ends_with("total: 2 files, 26 bytes, 1 symlinks (0 already present)\n"),
        "{text}"
    );
    let json = report::json(&again).finish();
    assert!(
        json.contains(r#""kind":"symlink","target":"liby.so.1.0","created":false"#),
        "{json}"
    );
    assert!(json.ends_with(r#"],"total_bytes":26}"#), "{json}");
}

#[test]
fn install_never_replaces_different_content_or_links() {
    let s = Scratch::new("differ");
    let c = small_closure(&s);
    let dest = s.path("dest");
    let inside = |rel: &str| dest.join(s.path(rel).strip_prefix("/").unwrap());
    std::fs::create_dir_all(inside("src/usr/lib")).unwrap();
    std::fs::write(inside("src/usr/lib/liby.so.1.0"), b"library bytez").unwrap();
    let err = install(&dest, &c).unwrap_err().to_string();
    assert!(err.contains("has different content"), "{err}");
    assert_eq!(
        std::fs::read(inside("src/usr/lib/liby.so.1.0")).unwrap(),
        b"library bytez"
    );

    std::fs::remove_file(inside("src/usr/lib/liby.so.1.0")).unwrap();
    // The first run made the link (it comes before its target).
    let _ = std::fs::remove_file(inside("src/usr/lib/liby.so.1"));
    symlink("elsewhere", inside("src/usr/lib/liby.so.1")).unwrap();
    let err = install(&dest, &c).unwrap_err().to_string();
    assert!(
        err.contains("it is a symlink to elsewhere, not to liby.so.1.0"),
        "{err}"
    );
}

#[test]
fn install_refuses_to_write_through_a_planted_symlink() {
    let s = Scratch::new("planted");
    let c = small_closure(&s);
    let dest = s.path("dest");
    let elsewhere = s.path("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let inside = |rel: &str| dest.join(s.path(rel).strip_prefix("/").unwrap());
    std::fs::create_dir_all(inside("src")).unwrap();
    symlink(&elsewhere, inside("src/usr")).unwrap();
    let err = install(&dest, &c).unwrap_err().to_string();
    assert!(err.starts_with("refusing to write through"), "{err}");
    assert!(err.contains("it is a symlink"), "{err}");
    assert_eq!(
        std::fs::read_dir(&elsewhere).unwrap().count(),
        0,
        "wrote outside DEST"
    );

    // A planted file symlink: copy_file_into refuses, the victim is intact.
    let victim = s.write("victim", b"keep me", 0o644);
    std::fs::create_dir_all(dest.join("etc")).unwrap();
    symlink(&victim, dest.join("etc/passwd")).unwrap();
    let err = copy_file_into(&dest, Path::new("/etc/passwd"), Path::new("/etc/passwd"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("it exists and is a symlink"), "{err}");
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep me");
}

#[test]
fn copy_file_into_creates_parents_and_accepts_an_identical_copy() {
    let s = Scratch::new("copyinto");
    let src = s.write("lvm.conf", b"config {}\n", 0o640);
    let dest = s.path("dest");
    std::fs::create_dir(&dest).unwrap();
    assert!(copy_file_into(&dest, &src, Path::new("etc/lvm/lvm.conf")).unwrap());
    assert!(!copy_file_into(&dest, &src, Path::new("/etc/lvm/lvm.conf")).unwrap());
    let m = std::fs::metadata(dest.join("etc/lvm/lvm.conf")).unwrap();
    assert_eq!(m.permissions().mode() & 0o7777, 0o640);
    assert!(copy_file_into(&dest, &src, Path::new("etc/../x")).is_err());
}
