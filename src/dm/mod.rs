//! Device-mapper over `/dev/mapper/control` ioctls, as
//! include/uapi/linux/dm-ioctl.h defines them; no libdevmapper, no udev.

use crate::cli::DmCommand;
use crate::error::{Error, Result};

/// `rootlift dm ...`.
pub fn command(_cmd: DmCommand) -> Result<()> {
    Err(Error::NotImplemented("dm"))
}
