//! The device-mapper operations as typed functions over an open control
//! node, each a short sequence of ioctls (dm-ioctl.h, and dmsetup(8) for
//! what each subcommand does): reads return what the kernel said; writes
//! keep `/dev/mapper/NAME` in step because there is no udev to do it.

use std::time::Duration;

use rustix::fs::FileType;
use rustix::io::Errno;

use super::abi::{self, Cmd, Version};
use super::control::Control;
use super::input::{self, Spec};
use super::nodes;
use super::reply::{DmDevice, DmInfo, Reply, TargetVersion};
use super::request::{Payload, Request, TableLine, Target};
use crate::error::{Error, Result};

/// Removal retries this many times on EBUSY: without udev, a short-lived
/// open (blkid, a probe) can still be in flight right after a close.
const REMOVE_TRIES: u32 = 10;
const REMOVE_PAUSE: Duration = Duration::from_millis(100);

impl Control {
    /// Like [`Control::run`], but a device that does not exist (ENXIO, as
    /// find_device() answers) is None rather than an error.
    fn run_opt(&self, req: &Request) -> Result<Option<Reply>> {
        match self.run(req) {
            Ok(r) => Ok(Some(r)),
            Err(e) if e.errno() == Some(Errno::NXIO) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn no_such(cmd: Cmd, who: &str) -> Error {
    Error::sys(cmd.name(), who, Errno::NXIO)
}

/// DM_VERSION: the kernel's interface version.
pub fn driver_version(c: &Control) -> Result<Version> {
    Ok(c.run(&Request::new(Cmd::Version, Target::None))?.version())
}

/// DM_LIST_DEVICES, asking for uuids (DM_UUID_FLAG; kernels before 4.45
/// ignore it and list none).
pub fn list(c: &Control) -> Result<Vec<DmDevice>> {
    let req = Request::new(Cmd::ListDevices, Target::None).flags(abi::DM_UUID_FLAG);
    c.run(&req)?.names()
}

/// DM_LIST_VERSIONS: the loaded target types.
pub fn target_versions(c: &Control) -> Result<Vec<TargetVersion>> {
    c.run(&Request::new(Cmd::ListVersions, Target::None))?
        .versions()
}

/// DM_DEV_STATUS of one device; None when there is no such device.
pub fn info(c: &Control, target: Target<'_>) -> Result<Option<DmInfo>> {
    Ok(c.run_opt(&Request::new(Cmd::DevStatus, target))?
        .map(|r| r.info()))
}

/// Runs a read command on the device a user named: `MAJ:MIN` by number,
/// anything else by name, then by uuid.
fn lookup<'a>(
    c: &Control,
    spec: &'a str,
    make: impl Fn(Target<'a>) -> Request<'a>,
) -> Result<Reply> {
    let mut tries = Vec::with_capacity(2);
    match input::parse_spec(spec)? {
        Spec::Dev(major, minor) => tries.push(Target::Dev { major, minor }),
        Spec::NameOrUuid { name, uuid } => {
            if name {
                tries.push(Target::Name(spec));
            }
            if uuid {
                tries.push(Target::Uuid(spec));
            }
        }
    }
    let cmd = make(Target::None).cmd;
    for t in tries {
        if let Some(r) = c.run_opt(&make(t))? {
            return Ok(r);
        }
    }
    Err(no_such(cmd, spec))
}

/// `dm info SPEC`.
pub fn info_of(c: &Control, spec: &str) -> Result<DmInfo> {
    Ok(lookup(c, spec, |t| Request::new(Cmd::DevStatus, t))?.info())
}

/// `dm table SPEC` (`table` true: the table as loaded) or `dm status
/// SPEC` (the targets' status): DM_TABLE_STATUS of the live table.
pub fn table_of(c: &Control, spec: &str, table: bool) -> Result<(DmInfo, Vec<TableLine>)> {
    let flags = if table { abi::DM_STATUS_TABLE_FLAG } else { 0 };
    let r = lookup(c, spec, |t| Request::new(Cmd::TableStatus, t).flags(flags))?;
    Ok((r.info(), r.targets()?))
}

/// `dm deps SPEC`: DM_TABLE_DEPS, the devices the live table uses.
pub fn deps_of(c: &Control, spec: &str) -> Result<(DmInfo, Vec<(u32, u32)>)> {
    let r = lookup(c, spec, |t| Request::new(Cmd::TableDeps, t))?;
    Ok((r.info(), r.deps()?))
}

/// DM_TABLE_LOAD of `lines` into NAME's inactive slot.
pub fn load(c: &Control, name: &str, readonly: bool, lines: &[TableLine]) -> Result<DmInfo> {
    let flags = if readonly { abi::DM_READONLY_FLAG } else { 0 };
    let req = Request::new(Cmd::TableLoad, Target::Name(name))
        .flags(flags)
        .payload(Payload::Table(lines));
    match c.run(&req) {
        Ok(r) => Ok(r.info()),
        // The kernel says why a table is refused only in its log.
        Err(e) if e.errno() == Some(Errno::INVAL) => {
            Err(Error::failed(format!("{e} (the kernel logs why: dmesg)")))
        }
        Err(e) => Err(e),
    }
}

/// DM_DEV_SUSPEND with DM_SUSPEND_FLAG: I/O is queued (or, with
/// `noflush`, kept queued rather than flushed), the filesystem frozen
/// unless `nolockfs`.
pub fn suspend(c: &Control, name: &str, nolockfs: bool, noflush: bool) -> Result<DmInfo> {
    let mut flags = abi::DM_SUSPEND_FLAG;
    if nolockfs {
        flags |= abi::DM_SKIP_LOCKFS_FLAG;
    }
    if noflush {
        flags |= abi::DM_NOFLUSH_FLAG;
    }
    Ok(
        c.run(&Request::new(Cmd::DevSuspend, Target::Name(name)).flags(flags))?
            .info(),
    )
}

/// DM_DEV_SUSPEND without DM_SUSPEND_FLAG: makes a loaded table live and
/// resumes I/O; the node is made if it is missing (as libdm does on
/// resume).
pub fn resume(c: &Control, name: &str) -> Result<DmInfo> {
    let info = c
        .run(&Request::new(Cmd::DevSuspend, Target::Name(name)))?
        .info();
    nodes::ensure(
        &nodes::node_path(name),
        FileType::BlockDevice,
        info.major,
        info.minor,
    )?;
    Ok(info)
}

/// `dm create`: DM_DEV_CREATE (and the node), DM_TABLE_LOAD, resume. A
/// failure after the first step removes the device again, so a failed
/// create leaves nothing behind.
pub fn create(
    c: &Control,
    name: &str,
    uuid: Option<&str>,
    readonly: bool,
    lines: &[TableLine],
) -> Result<DmInfo> {
    let mut req = Request::new(Cmd::DevCreate, Target::Name(name));
    req.new_uuid = uuid;
    let made = match c.run(&req) {
        Ok(r) => r.info(),
        Err(e) if e.errno() == Some(Errno::BUSY) => {
            return Err(Error::failed(format!(
                "{e} (a device with this name or uuid exists)"
            )));
        }
        Err(e) => return Err(e),
    };
    let rest = nodes::ensure(
        &nodes::node_path(name),
        FileType::BlockDevice,
        made.major,
        made.minor,
    )
    .map_err(|e| step("1/3 create", e))
    .and_then(|()| load(c, name, readonly, lines).map_err(|e| step("2/3 load", e)))
    .and_then(|_| resume(c, name).map_err(|e| step("3/3 resume", e)));
    match rest {
        Ok(info) => Ok(info),
        Err(e) => match remove_retrying(c, name, &made) {
            Ok(()) => Err(Error::failed(format!(
                "{e}; the new device {name} was removed again"
            ))),
            Err(e2) => Err(Error::failed(format!(
                "{e}; removing the new device {name} failed too: {e2}"
            ))),
        },
    }
}

fn step(what: &str, e: Error) -> Error {
    Error::failed(format!("create step {what}: {e}"))
}

/// `dm remove`: DM_DEV_REMOVE, retried briefly on EBUSY, then the node.
/// With `force`, the table is first replaced by an `error` target of the
/// same size and resumed (dmsetup's `remove --force`), so that holders'
/// I/O fails instead of blocking removal forever.
pub fn remove(c: &Control, name: &str, force: bool) -> Result<()> {
    let info = info(c, Target::Name(name))?.ok_or_else(|| no_such(Cmd::DevRemove, name))?;
    if force && info.live_table() {
        // Best effort, as dmsetup: the removal below reports what matters.
        let _ = error_out(c, name);
    }
    remove_retrying(c, name, &info)
}

fn remove_retrying(c: &Control, name: &str, info: &DmInfo) -> Result<()> {
    let req = Request::new(Cmd::DevRemove, Target::Name(name));
    let mut tries = 0;
    loop {
        tries += 1;
        match c.run(&req) {
            Ok(_) => break,
            Err(e) if e.errno() == Some(Errno::BUSY) && tries < REMOVE_TRIES => {
                std::thread::sleep(REMOVE_PAUSE)
            }
            Err(e) => return Err(e),
        }
    }
    nodes::remove(name, info.major, info.minor)
}

/// Loads `0 SIZE error` and resumes it without flushing or freezing.
fn error_out(c: &Control, name: &str) -> Result<()> {
    let (_, lines) = table_of(c, name, true)?;
    let size = lines
        .iter()
        .map(|l| l.length)
        .fold(0u64, u64::saturating_add);
    let error = [TableLine {
        start: 0,
        length: size,
        target_type: "error".into(),
        params: String::new(),
    }];
    load(c, name, false, &error)?;
    let resume = Request::new(Cmd::DevSuspend, Target::Name(name))
        .flags(abi::DM_SKIP_LOCKFS_FLAG | abi::DM_NOFLUSH_FLAG);
    if let Err(e) = c.run(&resume) {
        let _ = c.run(&Request::new(Cmd::TableClear, Target::Name(name)));
        return Err(e);
    }
    Ok(())
}

/// `dm rename OLD NEW`: DM_DEV_RENAME, then the node follows the name.
pub fn rename(c: &Control, old: &str, new: &str) -> Result<()> {
    let info = info(c, Target::Name(old))?.ok_or_else(|| no_such(Cmd::DevRename, old))?;
    c.run(&Request::new(Cmd::DevRename, Target::Name(old)).payload(Payload::NewName(new)))?;
    nodes::remove(old, info.major, info.minor)?;
    nodes::ensure(
        &nodes::node_path(new),
        FileType::BlockDevice,
        info.major,
        info.minor,
    )
}
