//! `/dev/mapper/control`, the one file every device-mapper ioctl goes to
//! (drivers/md/dm-ioctl.c ctl_ioctl()): opened read-write, created first
//! when missing as in an initramfs, and the request/reply loop that grows
//! the buffer while the kernel answers DM_BUFFER_FULL_FLAG.

use std::path::Path;

use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::Errno;
use rustix::ioctl::Opcode;

use super::abi::DM_BUFFER_FULL_FLAG;
use super::nodes::{self, CONTROL};
use super::reply::Reply;
use super::request::Request;
use super::sysfs;
use crate::error::{Error, Result};

/// The first buffer, as libdm's: room for most lists and tables.
pub const INITIAL_BUFFER: usize = 16 * 1024;
/// The largest buffer a reply may grow to; bigger is refused.
pub const MAX_BUFFER: usize = 16 << 20;

/// An open control node.
pub struct Control {
    fd: OwnedFd,
}

impl Control {
    /// Opens `/dev/mapper/control`, making the node from sysfs's number
    /// when it is missing or not the right device.
    pub fn open() -> Result<Self> {
        match sysfs::control_dev(Path::new(sysfs::SYSFS)) {
            Some((major, minor)) => {
                nodes::ensure(CONTROL, FileType::CharacterDevice, major, minor)?
            }
            // dm-mod not loaded (or no sysfs): an existing node may still
            // load it on open (char-major-10-236); without one there is
            // nothing to open.
            None if Path::new(CONTROL).exists() => {}
            None => {
                return Err(Error::failed(format!(
                    "device-mapper is not available: no /sys/class/misc/device-mapper/dev and no {CONTROL} (is dm-mod loaded?)"
                )));
            }
        }
        let fd = rustix::fs::open(CONTROL, OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())
            .map_err(|e| Error::sys("open", CONTROL, e))?;
        Ok(Control { fd })
    }

    /// Sends `req`; the reply, complete.
    pub fn run(&self, req: &Request) -> Result<Reply> {
        run_with(req, |op, buf| {
            crate::sys::dm_ioctl(self.fd.as_fd(), op, buf)
        })
    }
}

/// The request/reply loop over any ioctl function (the tests pass a fake
/// kernel): encode into INITIAL_BUFFER (or what the payload needs), and
/// while the kernel sets DM_BUFFER_FULL_FLAG, double the buffer and ask
/// again, up to MAX_BUFFER.
pub fn run_with(
    req: &Request,
    mut ioctl: impl FnMut(Opcode, &mut [u8]) -> Result<(), Errno>,
) -> Result<Reply> {
    let mut size = INITIAL_BUFFER.max(req.min_size());
    loop {
        let mut buf = req.encode(size);
        ioctl(req.cmd.opcode(), &mut buf)
            .map_err(|e| Error::sys(req.cmd.name(), req.subject(), e))?;
        let reply = Reply::new(buf, format!("{} {}", req.cmd.name(), req.subject()));
        if reply.flags() & DM_BUFFER_FULL_FLAG == 0 {
            return Ok(reply);
        }
        size = grow(size).ok_or_else(|| {
            Error::failed(format!(
                "{} {}: the reply does not fit {} MiB",
                req.cmd.name(),
                req.subject(),
                MAX_BUFFER >> 20
            ))
        })?;
    }
}

/// The next buffer size: double, never above MAX_BUFFER.
pub fn grow(size: usize) -> Option<usize> {
    let next = size.checked_mul(2)?;
    (next <= MAX_BUFFER).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dm::abi::{Cmd, OFF_DATA_SIZE, OFF_FLAGS};
    use crate::dm::request::Target;

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_ne_bytes(b[at..at + 4].try_into().unwrap())
    }

    /// A fake kernel that answers BUFFER_FULL until the buffer holds
    /// `needed` bytes, recording each data_size it was sent.
    fn fake(
        needed: usize,
        seen: &mut Vec<u32>,
    ) -> impl FnMut(Opcode, &mut [u8]) -> Result<(), Errno> + '_ {
        move |op, buf| {
            assert_eq!(op, Cmd::ListDevices.opcode());
            let size = u32_at(buf, OFF_DATA_SIZE);
            assert_eq!(size as usize, buf.len(), "data_size is the buffer");
            seen.push(size);
            let flags = if buf.len() < needed {
                DM_BUFFER_FULL_FLAG
            } else {
                0
            };
            buf[OFF_FLAGS..OFF_FLAGS + 4].copy_from_slice(&flags.to_ne_bytes());
            Ok(())
        }
    }

    #[test]
    fn buffer_starts_at_16k_and_doubles_while_full() {
        let req = Request::new(Cmd::ListDevices, Target::None);
        let mut seen = Vec::new();
        run_with(&req, fake(100_000, &mut seen)).unwrap();
        assert_eq!(seen, vec![16384, 32768, 65536, 131072]);

        let mut seen = Vec::new();
        run_with(&req, fake(0, &mut seen)).unwrap();
        assert_eq!(seen, vec![16384]);
    }

    #[test]
    fn buffer_growth_stops_at_the_cap() {
        let req = Request::new(Cmd::ListDevices, Target::None);
        let mut seen = Vec::new();
        let err = run_with(&req, fake(usize::MAX, &mut seen)).unwrap_err();
        assert_eq!(*seen.last().unwrap() as usize, MAX_BUFFER);
        assert_eq!(seen.len(), 11); // 16 KiB .. 16 MiB
        assert!(err.to_string().contains("does not fit 16 MiB"), "{err}");
        assert_eq!(grow(MAX_BUFFER), None);
        assert_eq!(grow(usize::MAX), None);
    }

    #[test]
    fn errors_name_the_ioctl_the_device_and_errno() {
        let req = Request::new(Cmd::DevStatus, Target::Name("nosuch"));
        let err = run_with(&req, |_, _| Err(Errno::NXIO)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "DM_DEV_STATUS nosuch: ENXIO (no such device or address)"
        );
        assert_eq!(err.exit_code(), 1);
    }
}
