//! What ld.so(8) assumes per architecture: the ld.so.cache flags it accepts
//! (glibc sysdeps/*/dl-cache.h `_DL_CACHE_DEFAULT_ID`), the values of the
//! `$LIB` and `$PLATFORM` dynamic string tokens, and the default search
//! directories (Debian multiarch first, then the lib64/lib32 and plain
//! ones).

use super::ldcache::{FLAG_AARCH64_LIB64, FLAG_ELF_LIBC6, FLAG_X8664_LIB64};
use crate::elf::{Class, EM_386, EM_AARCH64, EM_X86_64, Info};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arch {
    pub class: Class,
    pub machine: u16,
    /// The exact flags of acceptable ld.so.cache entries; `None`: the cache
    /// is not used for this architecture.
    pub cache_flags: Option<u32>,
    pub lib: &'static str,
    pub platform: &'static str,
    pub default_dirs: &'static [&'static str],
}

const KNOWN: [Arch; 3] = [
    Arch {
        class: Class::Elf64,
        machine: EM_X86_64,
        cache_flags: Some(FLAG_ELF_LIBC6 | FLAG_X8664_LIB64),
        lib: "lib/x86_64-linux-gnu",
        platform: "x86_64",
        default_dirs: &[
            "/lib/x86_64-linux-gnu",
            "/usr/lib/x86_64-linux-gnu",
            "/lib64",
            "/usr/lib64",
            "/lib",
            "/usr/lib",
        ],
    },
    Arch {
        class: Class::Elf32,
        machine: EM_386,
        cache_flags: Some(FLAG_ELF_LIBC6),
        lib: "lib/i386-linux-gnu",
        platform: "i686",
        default_dirs: &[
            "/lib/i386-linux-gnu",
            "/usr/lib/i386-linux-gnu",
            "/lib32",
            "/usr/lib32",
            "/lib",
            "/usr/lib",
        ],
    },
    Arch {
        class: Class::Elf64,
        machine: EM_AARCH64,
        cache_flags: Some(FLAG_ELF_LIBC6 | FLAG_AARCH64_LIB64),
        lib: "lib/aarch64-linux-gnu",
        platform: "aarch64",
        default_dirs: &[
            "/lib/aarch64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu",
            "/lib64",
            "/usr/lib64",
            "/lib",
            "/usr/lib",
        ],
    },
];

impl Arch {
    /// The architecture of a program; unknown ones search only /lib and
    /// /usr/lib and never the cache.
    pub fn of(info: &Info) -> Arch {
        KNOWN
            .into_iter()
            .find(|a| a.class == info.class && a.machine == info.machine)
            .unwrap_or(Arch {
                class: info.class,
                machine: info.machine,
                cache_flags: None,
                lib: "lib",
                platform: "",
                default_dirs: &["/lib", "/usr/lib"],
            })
    }

    /// Whether a library can be loaded into a program of this architecture
    /// (ld.so skips others silently: elf/dl-load.c, open_verify).
    pub fn accepts(&self, lib: &Info) -> bool {
        lib.class == self.class && lib.machine == self.machine
    }
}
