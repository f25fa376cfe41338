//! `rootlift bring`: copy programs with their exact shared-library closure,
//! resolved the way ld.so(8) resolves it.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// `rootlift bring DEST PROGRAM... [--json]`.
pub fn command(_dest: &Path, _programs: &[PathBuf], _json: bool) -> Result<()> {
    Err(Error::NotImplemented("bring"))
}
