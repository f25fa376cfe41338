//! The ext2/ext3/ext4 superblock, read by our own code (see
//! Documentation/filesystems/ext4/super.rst in the kernel tree).

use std::path::Path;

use crate::error::{Error, Result};

/// `rootlift ext4 DEV|FILE [--json]`.
pub fn command(_path: &Path, _json: bool) -> Result<()> {
    Err(Error::NotImplemented("ext4"))
}
