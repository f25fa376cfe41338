//! Device-mapper over `/dev/mapper/control` ioctls, as
//! include/uapi/linux/dm-ioctl.h defines them; no libdevmapper, no udev.
//!
//! - [`abi`]: the kernel structs, flags, opcodes and per-command versions;
//! - [`request`] / [`reply`]: a request's bytes, and parsing the kernel's;
//! - [`control`]: the control node and the buffer-growing ioctl loop (the
//!   one unsafe call is `crate::sys::dm_ioctl`);
//! - [`ops`]: the operations; [`nodes`]: `/dev/mapper/NAME` without udev;
//! - [`input`], [`print`], [`sysfs`]: user input, dmsetup-shaped output,
//!   and the sysfs facts around them.
//!
//! For the rest of rootlift: [`info_by_devt`] and [`open_count`]
//! (open_count == 0 proves a dm device free), [`info_by_name`],
//! [`info_by_uuid`], [`list`], [`name_of`].

pub mod abi;
mod cmd;
pub mod control;
pub mod input;
pub mod nodes;
pub mod ops;
pub mod print;
pub mod reply;
pub mod request;
pub mod sysfs;

use std::io::Read as _;
use std::path::Path;

use crate::error::{Error, Result};
use crate::output;
pub use cmd::{DmCommand, TableSource};
use control::Control;
pub use reply::{DmDevice, DmInfo, TargetVersion};
use request::{TableLine, Target};

/// The dm device MAJ:MIN, if there is one: name, uuid, open_count, flags.
/// None when no device-mapper device has that number. When sysfs shows
/// MAJ:MIN is not a dm device (no `/sys/dev/block/MAJ:MIN/dm`), that is
/// the answer, without opening the control node: a machine without
/// device-mapper gets None for its disks, not an error.
pub fn info_by_devt(major: u32, minor: u32) -> Result<Option<DmInfo>> {
    info_by_devt_in(Path::new(sysfs::SYSFS), major, minor)
}

fn info_by_devt_in(sys: &Path, major: u32, minor: u32) -> Result<Option<DmInfo>> {
    if sysfs::is_block_dir(sys) && !sysfs::is_dm(sys, major, minor) {
        return Ok(None);
    }
    ops::info(&Control::open()?, Target::Dev { major, minor })
}

/// The open count of MAJ:MIN if it is a dm device (DM_DEV_STATUS): 0
/// proves no opener, mount or holder remains. None for other devices.
pub fn open_count(major: u32, minor: u32) -> Result<Option<i32>> {
    Ok(info_by_devt(major, minor)?.map(|i| i.open_count))
}

/// The target types of MAJ:MIN's live table, in order (DM_TABLE_STATUS
/// with DM_STATUS_TABLE_FLAG); None when it is not a dm device. An LVM
/// origin with snapshots shows `snapshot-origin`.
pub fn target_types(major: u32, minor: u32) -> Result<Option<Vec<String>>> {
    if info_by_devt(major, minor)?.is_none() {
        return Ok(None);
    }
    let (_, lines) = ops::table_of(&Control::open()?, &format!("{major}:{minor}"), true)?;
    Ok(Some(lines.into_iter().map(|l| l.target_type).collect()))
}

/// The dm device called NAME, if there is one.
pub fn info_by_name(name: &str) -> Result<Option<DmInfo>> {
    input::check_name(name)?;
    ops::info(&Control::open()?, Target::Name(name))
}

/// The dm device with this uuid, if there is one.
pub fn info_by_uuid(uuid: &str) -> Result<Option<DmInfo>> {
    input::check_uuid(uuid)?;
    ops::info(&Control::open()?, Target::Uuid(uuid))
}

/// Every dm device, in the kernel's order.
pub fn list() -> Result<Vec<DmDevice>> {
    ops::list(&Control::open()?)
}

/// The dm name of MAJ:MIN, if it is a dm device.
pub fn name_of(major: u32, minor: u32) -> Result<Option<String>> {
    Ok(info_by_devt(major, minor)?.map(|i| i.name))
}

/// `rootlift dm ...`.
pub fn command(cmd: DmCommand) -> Result<()> {
    // Input is checked before the control node is touched: bad input
    // changes nothing, not even /dev/mapper.
    match cmd {
        DmCommand::Version { json } => {
            let v = ops::driver_version(&Control::open()?)?;
            emit(json, || print::version_text(v), || print::version_json(v))
        }
        DmCommand::Ls { json } => {
            let devs = ops::list(&Control::open()?)?;
            emit(json, || print::ls_text(&devs), || print::ls_json(&devs))
        }
        DmCommand::Targets { json } => {
            let v = ops::target_versions(&Control::open()?)?;
            emit(json, || print::targets_text(&v), || print::targets_json(&v))
        }
        DmCommand::Info { device, json } => {
            input::parse_spec(&device)?;
            let i = ops::info_of(&Control::open()?, &device)?;
            let ra = sysfs::read_ahead_sectors(Path::new(sysfs::SYSFS), i.major, i.minor);
            emit(
                json,
                || print::info_text(&i, ra),
                || print::info_json(&i, ra),
            )
        }
        DmCommand::Table { device, json } => table(&device, json, true),
        DmCommand::Status { device, json } => table(&device, json, false),
        DmCommand::Deps { device, json } => {
            input::parse_spec(&device)?;
            let (i, devs) = ops::deps_of(&Control::open()?, &device)?;
            let sys = Path::new(sysfs::SYSFS);
            let deps: Vec<print::Dep> = devs
                .into_iter()
                .map(|(major, minor)| print::Dep {
                    major,
                    minor,
                    path: sysfs::dev_path(sys, major, minor),
                })
                .collect();
            emit(
                json,
                || print::deps_text(&deps),
                || print::deps_json(&i, &deps),
            )
        }
        DmCommand::Create {
            name,
            uuid,
            readonly,
            table,
        } => {
            input::check_name(&name)?;
            if let Some(u) = &uuid {
                input::check_uuid(u)?;
            }
            let lines = read_table(&table)?;
            ops::create(&Control::open()?, &name, uuid.as_deref(), readonly, &lines).map(drop)
        }
        DmCommand::Load {
            name,
            readonly,
            table,
        } => {
            input::check_name(&name)?;
            let lines = read_table(&table)?;
            ops::load(&Control::open()?, &name, readonly, &lines).map(drop)
        }
        DmCommand::Suspend {
            name,
            nolockfs,
            noflush,
        } => {
            input::check_name(&name)?;
            ops::suspend(&Control::open()?, &name, nolockfs, noflush).map(drop)
        }
        DmCommand::Resume { name } => {
            input::check_name(&name)?;
            ops::resume(&Control::open()?, &name).map(drop)
        }
        DmCommand::Remove { name, force } => {
            input::check_name(&name)?;
            ops::remove(&Control::open()?, &name, force)
        }
        DmCommand::Rename { old, new } => {
            input::check_name(&old)?;
            input::check_name(&new)?;
            ops::rename(&Control::open()?, &old, &new)
        }
    }
}

fn table(device: &str, json: bool, table: bool) -> Result<()> {
    input::parse_spec(device)?;
    let (i, lines) = ops::table_of(&Control::open()?, device, table)?;
    emit(
        json,
        || print::table_text(&lines, table),
        || print::table_json(&i, &lines, table),
    )
}

fn emit(
    json: bool,
    text: impl FnOnce() -> String,
    doc: impl FnOnce() -> crate::json::Json,
) -> Result<()> {
    if json {
        output::json(doc())
    } else {
        output::text(&text())
    }
}

/// The table lines of `--table` values or a `--table-file` (at most
/// MAX_TABLE_FILE bytes), parsed and checked.
fn read_table(src: &TableSource) -> Result<Vec<TableLine>> {
    match src {
        TableSource::Lines(v) => input::parse_table(v.iter().map(String::as_str), "--table"),
        TableSource::File(path) => {
            let shown = path.display();
            let f = std::fs::File::open(path).map_err(|e| Error::io("open", &shown, &e))?;
            let mut text = String::new();
            f.take(input::MAX_TABLE_FILE + 1)
                .read_to_string(&mut text)
                .map_err(|e| Error::io("read", &shown, &e))?;
            if text.len() as u64 > input::MAX_TABLE_FILE {
                return Err(Error::usage(format!(
                    "table file {shown} is larger than {} bytes",
                    input::MAX_TABLE_FILE
                )));
            }
            input::parse_table([text.as_str()], &shown.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(name: &str, uuid: Option<&str>, table: TableSource) -> DmCommand {
        DmCommand::Create {
            name: name.into(),
            uuid: uuid.map(Into::into),
            readonly: false,
            table,
        }
    }

    fn lines(l: &[&str]) -> TableSource {
        TableSource::Lines(l.iter().map(|s| s.to_string()).collect())
    }

    /// A device sysfs shows is not dm is answered from sysfs alone: the
    /// machine running the unit tests has no device-mapper at all, so an
    /// attempt to open the control node would be an error here.
    #[test]
    fn a_device_that_is_not_dm_is_none_without_device_mapper() {
        let sys = Path::new(sysfs::SYSFS);
        assert!(
            sysfs::is_block_dir(sys),
            "the unit tests need sysfs at /sys"
        );
        assert_eq!(info_by_devt(0, 0).unwrap(), None);
        assert_eq!(open_count(0, 0).unwrap(), None);
        // A fake sysfs that says 254:0 is dm: then the ioctl is the answer,
        // and on a machine without device-mapper it fails, as it must. (On
        // one with device-mapper this part is left out: it would open the
        // host's control node.)
        if sys.join("class/misc/device-mapper").exists() || Path::new(nodes::CONTROL).exists() {
            return;
        }
        let root = std::env::temp_dir().join(format!("rootlift-dm-devt-{}", std::process::id()));
        std::fs::create_dir_all(root.join("dev/block/254:0/dm")).unwrap();
        let r = info_by_devt_in(&root, 254, 0);
        std::fs::remove_dir_all(&root).unwrap();
        let e = r.unwrap_err().to_string();
        assert!(e.contains("device-mapper is not available"), "{e}");
    }

    /// Bad input is a usage error (exit 2) found before the control node
    /// is opened: these would otherwise fail differently on a machine
    /// without device-mapper, like the one the unit tests run on.
    #[test]
    fn bad_input_is_refused_before_any_ioctl() {
        let long = "n".repeat(128);
        let huge = std::env::temp_dir().join(format!("rootlift-dm-huge-{}", std::process::id()));
        std::fs::write(&huge, vec![b'#'; input::MAX_TABLE_FILE as usize + 1]).unwrap();
        let cases = [
            create(&long, None, lines(&["0 8 zero"])),
            create("a/b", None, lines(&["0 8 zero"])),
            create("ok", Some(&"u".repeat(129)), lines(&["0 8 zero"])),
            create("ok", None, lines(&["0 8"])),
            create("ok", None, lines(&["8 8 zero"])),
            create("ok", None, TableSource::File(huge.clone())),
            DmCommand::Load {
                name: "..".into(),
                readonly: false,
                table: lines(&["0 8 zero"]),
            },
            DmCommand::Rename {
                old: "a".into(),
                new: "control".into(),
            },
            DmCommand::Suspend {
                name: String::new(),
                nolockfs: false,
                noflush: false,
            },
            DmCommand::Info {
                device: "u".repeat(129),
                json: false,
            },
            DmCommand::Deps {
                device: String::new(),
                json: true,
            },
        ];
        for cmd in cases {
            let shown = format!("{cmd:?}");
            match command(cmd) {
                Err(e) if matches!(e.kind(), crate::error::Kind::Usage(_)) => {
                    assert_eq!(e.exit_code(), 2)
                }
                other => panic!("{shown}: expected a usage error, got {other:?}"),
            }
        }
        std::fs::remove_file(&huge).unwrap();
    }
}
