//! What is on a device: filesystem and container magics at their documented
//! offsets (a blkid subset).

use std::path::PathBuf;

use crate::error::{Error, Result};

/// `rootlift probe DEV|FILE... [--json]`.
pub fn command(_paths: &[PathBuf], _json: bool) -> Result<()> {
    Err(Error::NotImplemented("probe"))
}
