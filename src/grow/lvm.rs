//! Extending the LVM logical volume under a filesystem before growing it
//! (lvextend(8)): the host's lvm by absolute path with a scrubbed
//! environment (job::tools), and lvm.conf(5) settings given with
//! `--config` so that no udev, lvmpolld or dmeventd is asked for.

use std::path::Path;

use crate::bring;
use crate::error::{Error, Result};
use crate::job::facts;
use crate::job::tools;
use crate::sysfs::block::human_bytes;

/// A device that was extended before the filesystem: an LV, or a
/// partition (partition.rs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extended {
    /// `LV` or `partition`.
    pub what: &'static str,
    /// `VG/LV`, or the partition and its disk.
    pub name: String,
    pub from: u64,
    pub to: u64,
}

/// The LV size to ask for: `want` rounded up to whole extents. Refused
/// when the VG has not the free extents for it.
pub fn plan(name: &str, lv_bytes: u64, want: u64, vg_free: u64, extent: u64) -> Result<u64> {
    let target = tools::round_to_extents(want, extent, name)?;
    let need = target.saturating_sub(lv_bytes);
    if need > vg_free {
        return Err(Error::refused(format!(
            "the LV {name} ({}) would need {} more, and its VG has {} free",
            human_bytes(lv_bytes),
            human_bytes(need),
            human_bytes(vg_free)
        )));
    }
    Ok(target)
}

/// Extends `VG/LV` (the device `major:minor`, now `lv_bytes`) to hold
/// `want` bytes, and checks the kernel's view of the device afterwards.
pub fn extend(
    vg: &str,
    lv: &str,
    major: u32,
    minor: u32,
    lv_bytes: u64,
    want: u64,
) -> Result<Extended> {
    let name = format!("{vg}/{lv}");
    let lvm = bring::find_program(Path::new("lvm"))
        .map_err(|e| Error::refused(format!("extending the LV {name} needs lvm: {e}")))?;
    let lvm = lvm.display().to_string();
    // How much the VG has left, in bytes, and the unit it hands out.
    let (free, extent) = tools::vg_space(&lvm, vg)?;
    let target = plan(&name, lv_bytes, want, free, extent)?;
    // lvextend -L in 512-byte sectors (lvm(8) "UNITS": `s`), so nothing is
    // rounded by a unit; no -r: the filesystem is grown by us, next.
    let sectors = format!("{}s", target / 512);
    tools::capture(
        &lvm,
        &[
            "lvextend",
            "--config",
            tools::lvm_config(),
            "-L",
            &sectors,
            &name,
        ],
    )?;
    let now = facts::device_bytes(major, minor)?;
    if now != target {
        return Err(Error::failed(format!(
            "after lvextend the LV {name} holds {now} bytes, expected {target}"
        )));
    }
    Ok(Extended {
        what: "LV",
        name,
        from: lv_bytes,
        to: now,
    })
}
