//! `rootlift bring`: copy programs with their exact shared-library closure,
//! resolved the way ld.so(8) resolves it, into a directory that will become
//! a root (the lift's tmpfs, a chroot).
//!
//! The library API the lift uses:
//! - [`closure`]: what one program needs (itself, PT_INTERP, DT_NEEDED
//!   recursively, and every symlink and directory on the way to each file,
//!   at the same absolute paths as on the host); [`Closure::merge`] to
//!   combine several; [`Resolver`] to read the loader configuration once;
//! - [`install`]: create a closure under DEST, never following a symlink
//!   inside DEST, never replacing anything;
//! - [`copy_file_into`]: one plain file (`/etc/...`) with the same rules.

mod arch;
mod closure;
mod install;
mod ldcache;
mod ldconf;
mod report;
mod search;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use closure::{Closure, Entry, Kind};
pub use install::{InstallReport, Installed, copy_file_into, copy_then_chmod, install};
pub use search::{PROGRAM_PATH, Resolver, find_program};

use crate::error::{Error, Result};

/// Everything `program` needs, resolved with the host's loader
/// configuration. A bare name is looked up in [`PROGRAM_PATH`].
pub fn closure(program: &Path) -> Result<Closure> {
    Resolver::new().closure(program)
}

/// `rootlift bring DEST PROGRAM... [--json]`: DEST is created when missing
/// (its parent must exist).
#[inline(never)]
pub fn command(dest: &Path, programs: &[PathBuf], json: bool) -> Result<()> {
    let resolver = Resolver::new();
    let mut all = Closure::default();
    for program in programs {
        all.merge(&resolver.closure(program)?);
    }
    match std::fs::create_dir(dest) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            return Err(Error::io("mkdir", dest.display(), &e));
        }
        _ => {}
    }
    let report = install(dest, &all)?;
    if json {
        crate::output::json(report::json(&report))
    } else {
        crate::output::text(&report::text(&report))
    }
}
