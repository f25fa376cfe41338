//! What a shrink does about cloud-init growing the root back at the next
//! boot (cloudinit.rs reads its configuration): refused where growpart or
//! resize_rootfs would undo it, unless the operator says to disable them
//! (a drop-in, written after the yes and before anything else) or to keep
//! them. The choice is recorded in the job's spec.

use std::path::Path;

use super::Growpart;
use crate::cloudinit::{self, CloudInit, RootKind};
use crate::error::{Error, Result};

/// The cloud-init check of a shrink: refused while cloud-init would undo
/// it, unless told. Returns the drop-in to write (`--disable-growpart`)
/// and the words the job spec records.
pub fn cloud_init_guard(
    kind: RootKind,
    choice: Growpart,
) -> Result<(Option<CloudInit>, Option<String>)> {
    let Some(ci) = cloudinit::detect(Path::new("/")) else {
        return Ok((None, None));
    };
    let Some(undo) = ci.undoes(kind) else {
        return Ok((None, None));
    };
    match choice {
        Growpart::Refuse => Err(Error::refused(format!(
            "cloud-init is installed and {undo} at the next boot ({}): pass --disable-growpart \
             (a drop-in /{} turns growpart and resize_rootfs off for /) or --keep-growpart",
            ci.files.join(", "),
            cloudinit::DROPIN
        ))),
        Growpart::Keep => Ok((None, Some(format!("kept: {undo} at the next boot")))),
        Growpart::Disable => Ok((
            Some(ci),
            Some(format!("disabled by /{}", cloudinit::DROPIN)),
        )),
    }
}

/// The plan's line about the drop-in, when one is written.
pub fn dropin_line(dropin: Option<&CloudInit>) -> String {
    match dropin {
        Some(_) => format!(
            "before enter: write /{} (cloud-init's growpart and resize_rootfs off for /)\n",
            cloudinit::DROPIN
        ),
        None => String::new(),
    }
}

/// Writes the drop-in, once the operator said yes.
pub fn write_dropin(dropin: Option<&CloudInit>) -> Result<()> {
    if let Some(ci) = dropin {
        let path = cloudinit::write_dropin(Path::new("/"), ci)?;
        crate::output::text(&format!(
            "wrote {path}: cloud-init will not grow the root back\n"
        ))?;
    }
    Ok(())
}
