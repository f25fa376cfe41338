//! Running the external programs a job needs (e2fsck, resize2fs, lvm): by
//! absolute path, with a scrubbed environment, every run journaled with
//! its exit status.

use std::path::Path;

use crate::error::{Error, Result};
use crate::journal::{Detail, Event, Journal, Stage};
use crate::spawn::Command;

/// lvm settings for a job run without lvmpolld or a running udevd (the
/// tmpfs has neither, nor has an initramfs), given on the command line so
/// no lvm.conf has to be right. No udev sync: nothing would answer.
///
/// `udev_rules` follows the host: where udev manages /dev (its database
/// /run/udev/data exists) the rules stay on, because with them off lvm
/// tags its change uevent "rules disabled", and the udevd that systemd
/// starts again after the return reads that uevent from the socket systemd
/// kept, and removes /dev/mapper/VG-LV and /dev/VG/LV (seen in the e2e
/// guest). Without udev, lvm makes the nodes itself.
pub fn lvm_config() -> &'static str {
    if Path::new(UDEV_DB).is_dir() {
        LVM_CONFIG_UDEV
    } else {
        LVM_CONFIG_NO_UDEV
    }
}

const UDEV_DB: &str = "/run/udev/data";

/// The one lvm --config line, with `udev_rules` set to RULES.
macro_rules! lvm_config_with_udev_rules {
    ($rules:literal) => {
        concat!(
            "global{use_lvmpolld=0} activation{udev_sync=0 udev_rules=",
            $rules,
            " monitoring=0} devices{obtain_device_list_from_udev=0}"
        )
    };
}
const LVM_CONFIG_UDEV: &str = lvm_config_with_udev_rules!("1");
const LVM_CONFIG_NO_UDEV: &str = lvm_config_with_udev_rules!("0");

/// `bytes` rounded up to whole LVM extents of `extent` bytes (as lvm sizes
/// an LV), refusing an extent size lvm would never report.
pub fn round_to_extents(bytes: u64, extent: u64, vg: &str) -> Result<u64> {
    if extent == 0 || !extent.is_multiple_of(512) {
        return Err(Error::invalid(
            "lvm vgs",
            vg,
            format!("extent size {extent}"),
        ));
    }
    bytes
        .div_ceil(extent)
        .checked_mul(extent)
        .ok_or_else(|| Error::invalid("lvm vgs", vg, "size overflows"))
}

/// The whole environment a job's program gets: no LD_PRELOAD, no
/// LD_LIBRARY_PATH, no caller PATH.
const ENV: [(&str, &str); 2] = [("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), ("LC_ALL", "C")];

/// Runs `program args...` and returns its exit code (a signal death is an
/// error). The program's output goes where the worker's stdout goes.
pub fn run(j: &mut Journal, stage: &Stage, program: &str, args: &[&str]) -> Result<i32> {
    if !program.starts_with('/') {
        return Err(Error::failed(format!(
            "refusing to run {program}: not an absolute path"
        )));
    }
    j.log(
        stage,
        Event::JobExec,
        Detail::new().with("argv", format_args!("{program} {}", args.join(" "))),
    )?;
    let mut cmd = Command::new(program);
    cmd.args(args);
    for (k, v) in ENV {
        cmd.env(k, v);
    }
    let status = cmd.status().map_err(|e| Error::io("spawn", program, &e))?;
    let code = status
        .code()
        .ok_or_else(|| Error::command(program.to_owned(), status.to_string()))?;
    j.log(
        stage,
        Event::JobExit,
        Detail::new().with("program", program).with("code", code),
    )?;
    Ok(code)
}

/// Runs a program whose output we parse (lvm's reports).
pub fn capture(program: &str, args: &[&str]) -> Result<String> {
    let mut cmd = Command::new(program);
    cmd.args(args);
    for (k, v) in ENV {
        cmd.env(k, v);
    }
    let out = cmd.output().map_err(|e| Error::io("spawn", program, &e))?;
    if !out.status.success() {
        return Err(Error::command(
            format!("{program} {}", args.join(" ")),
            format!(
                "{}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `vg_free vg_extent_size` in bytes, as `vgs --noheadings --nosuffix
/// --units b -o vg_free,vg_extent_size VG` prints them.
pub fn parse_vgs(out: &str) -> Option<(u64, u64)> {
    let mut words = out.split_whitespace();
    let free = words.next()?.parse().ok()?;
    let extent = words.next()?.parse().ok()?;
    words.next().is_none().then_some((free, extent))
}

/// The free bytes of volume group `vg` and the extent size it hands out,
/// from lvm's own report (lvm `vgs`).
pub fn vg_space(lvm: &str, vg: &str) -> Result<(u64, u64)> {
    let out = capture(
        lvm,
        &[
            "vgs",
            "--config",
            lvm_config(),
            "--noheadings",
            "--nosuffix",
            "--units",
            "b",
            "-o",
            "vg_free,vg_extent_size",
            vg,
        ],
    )?;
    parse_vgs(&out).ok_or_else(|| Error::invalid("lvm vgs", vg, format!("{out:?}")))
}

/// What an e2fsck exit code means (e2fsck(8), "EXIT CODE").
pub fn e2fsck_meaning(code: i32) -> String {
    if code == 0 {
        return "no errors".into();
    }
    let parts: [(i32, &str); 7] = [
        (1, "errors corrected"),
        (2, "errors corrected, reboot needed"),
        (4, "errors left uncorrected"),
        (8, "operational error"),
        (16, "usage or syntax error"),
        (32, "cancelled by user request"),
        (128, "shared library error"),
    ];
    parts
        .iter()
        .filter(|(bit, _)| code & bit != 0)
        .map(|(_, s)| *s)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lvm_config_lines_differ_only_in_udev_rules() {
        assert_eq!(
            LVM_CONFIG_UDEV,
            "global{use_lvmpolld=0} activation{udev_sync=0 udev_rules=1 monitoring=0} devices{obtain_device_list_from_udev=0}"
        );
        assert_eq!(
            LVM_CONFIG_NO_UDEV,
            LVM_CONFIG_UDEV.replace("udev_rules=1", "udev_rules=0")
        );
    }

    #[test]
    fn e2fsck_codes_are_explained() {
        assert_eq!(e2fsck_meaning(0), "no errors");
        assert_eq!(e2fsck_meaning(1), "errors corrected");
        assert_eq!(
            e2fsck_meaning(12),
            "errors left uncorrected, operational error"
        );
    }
}
