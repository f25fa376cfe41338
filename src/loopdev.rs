//! Loop devices (loop(4), include/uapi/linux/loop.h): how one is set up,
//! read from sysfs (Documentation/ABI/testing/sysfs-block-loop), and the
//! two ioctls that undo and redo it: LOOP_CLR_FD and LOOP_CONFIGURE
//! (Linux 5.8), which attaches a backing file with its offset, size limit,
//! flags and block size in one call.

use rustix::fs::{CWD, Mode, OFlags, openat};
use static_assertions::{const_assert, const_assert_eq};

use crate::error::{Error, Result};

/// A loop device as the kernel had it set up (loop(4)): enough to attach
/// the same backing file the same way again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopSetup {
    /// `/dev/loopN`.
    pub device: String,
    /// The backing file, as seen from the system's own root.
    pub backing: String,
    pub offset: u64,
    /// 0: up to the end of the file.
    pub sizelimit: u64,
    pub read_only: bool,
    pub autoclear: bool,
    pub partscan: bool,
    pub direct_io: bool,
    pub block_size: u32,
}

/// `struct loop_info64`, field for field.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LoopInfo64 {
    pub lo_device: u64,
    pub lo_inode: u64,
    pub lo_rdevice: u64,
    pub lo_offset: u64,
    pub lo_sizelimit: u64,
    pub lo_number: u32,
    pub lo_encrypt_type: u32,
    pub lo_encrypt_key_size: u32,
    pub lo_flags: u32,
    pub lo_file_name: [u8; 64],
    pub lo_crypt_name: [u8; 64],
    pub lo_encrypt_key: [u8; 32],
    pub lo_init: [u64; 2],
}

impl LoopInfo64 {
    pub fn zeroed() -> LoopInfo64 {
        LoopInfo64 {
            lo_device: 0,
            lo_inode: 0,
            lo_rdevice: 0,
            lo_offset: 0,
            lo_sizelimit: 0,
            lo_number: 0,
            lo_encrypt_type: 0,
            lo_encrypt_key_size: 0,
            lo_flags: 0,
            lo_file_name: [0; 64],
            lo_crypt_name: [0; 64],
            lo_encrypt_key: [0; 32],
            lo_init: [0; 2],
        }
    }
}

/// `struct loop_config`, the argument of LOOP_CONFIGURE.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LoopConfig {
    pub fd: u32,
    pub block_size: u32,
    pub info: LoopInfo64,
    pub __reserved: [u64; 8],
}

const_assert_eq!(size_of::<LoopInfo64>(), 232);
const_assert_eq!(size_of::<LoopConfig>(), 304);
const_assert_eq!(
    size_of::<LoopInfo64>(),
    size_of::<linux_raw_sys::loop_device::loop_info64>()
);
const_assert_eq!(
    size_of::<LoopConfig>(),
    size_of::<linux_raw_sys::loop_device::loop_config>()
);
const_assert_eq!(std::mem::offset_of!(LoopInfo64, lo_offset), 0x18);
const_assert_eq!(std::mem::offset_of!(LoopInfo64, lo_flags), 0x34);
const_assert_eq!(std::mem::offset_of!(LoopInfo64, lo_file_name), 0x38);
const_assert_eq!(std::mem::offset_of!(LoopConfig, info), 0x8);
const_assert!(LOOP_CONFIGURE == linux_raw_sys::loop_device::LOOP_CONFIGURE);
const_assert!(LOOP_CLR_FD == linux_raw_sys::loop_device::LOOP_CLR_FD);
const_assert!(LOOP_CTL_GET_FREE == linux_raw_sys::loop_device::LOOP_CTL_GET_FREE);
const_assert!(LOOP_GET_STATUS64 == linux_raw_sys::loop_device::LOOP_GET_STATUS64);

/// The loop ioctls are plain numbers, not _IOW-encoded (0x4C is 'L').
pub const LOOP_CLR_FD: u32 = 0x4C01;
pub const LOOP_CONFIGURE: u32 = 0x4C0A;
pub const LOOP_CTL_GET_FREE: u32 = 0x4C82;
pub const LOOP_GET_STATUS64: u32 = 0x4C05;

const LO_FLAGS_READ_ONLY: u32 = 1;
const LO_FLAGS_AUTOCLEAR: u32 = 4;
const LO_FLAGS_PARTSCAN: u32 = 8;
const LO_FLAGS_DIRECT_IO: u32 = 16;

/// How `/dev/loopN` is set up now, from sysfs; `None` when it is not a
/// bound loop device. The backing file's path is as sysfs prints it (from
/// the reader's root); an unlinked one (` (deleted)`) cannot be set up
/// again and is `None` too.
pub fn setup_of(device: &str) -> Option<LoopSetup> {
    let name = device.strip_prefix("/dev/")?;
    if !name.starts_with("loop") || name.contains('/') {
        return None;
    }
    let dir = format!("/sys/block/{name}");
    let read = |rel: &str| {
        std::fs::read_to_string(format!("{dir}/{rel}"))
            .ok()
            .map(|s| s.trim_end_matches('\n').to_owned())
    };
    let backing = read("loop/backing_file")?;
    if backing.ends_with(" (deleted)") || !backing.starts_with('/') {
        return None;
    }
    let num = |rel: &str| read(rel).and_then(|s| s.parse::<u64>().ok());
    let flag = |rel: &str| read(rel).as_deref() == Some("1");
    Some(LoopSetup {
        device: device.to_owned(),
        backing,
        offset: num("loop/offset")?,
        sizelimit: num("loop/sizelimit")?,
        read_only: flag("ro"),
        autoclear: flag("loop/autoclear"),
        partscan: flag("loop/partscan"),
        direct_io: flag("loop/dio"),
        block_size: num("queue/logical_block_size")
            .and_then(|b| u32::try_from(b).ok())
            .unwrap_or(512),
    })
}

/// The (major, minor) of the filesystem holding loop device `device`'s
/// backing file (LOOP_GET_STATUS64 `lo_device`), even when its path cannot
/// be reached from here; `None` when it is not a bound loop device.
pub fn backing_dev(device: &str) -> Option<(u32, u32)> {
    let fd = openat(CWD, device, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).ok()?;
    let info = crate::sys::loop_get_status64(&fd).ok()?;
    Some((
        rustix::fs::major(info.lo_device),
        rustix::fs::minor(info.lo_device),
    ))
}

/// The LOOP_CONFIGURE argument for `setup`, given the backing file's fd.
pub fn config_for(setup: &LoopSetup, fd: u32) -> LoopConfig {
    let mut flags = 0;
    for (on, bit) in [
        (setup.read_only, LO_FLAGS_READ_ONLY),
        (setup.autoclear, LO_FLAGS_AUTOCLEAR),
        (setup.partscan, LO_FLAGS_PARTSCAN),
        (setup.direct_io, LO_FLAGS_DIRECT_IO),
    ] {
        if on {
            flags |= bit;
        }
    }
    let mut lo_file_name = [0u8; 64];
    // What losetup(8) shows; at most 63 bytes, NUL-terminated.
    for (d, s) in lo_file_name.iter_mut().zip(setup.backing.bytes().take(63)) {
        *d = s;
    }
    LoopConfig {
        fd,
        block_size: setup.block_size,
        info: LoopInfo64 {
            lo_device: 0,
            lo_inode: 0,
            lo_rdevice: 0,
            lo_offset: setup.offset,
            lo_sizelimit: setup.sizelimit,
            lo_number: 0,
            lo_encrypt_type: 0,
            lo_encrypt_key_size: 0,
            lo_flags: flags,
            lo_file_name,
            lo_crypt_name: [0; 64],
            lo_encrypt_key: [0; 32],
            lo_init: [0; 2],
        },
        __reserved: [0; 8],
    }
}

/// A loop device as attached, held open: with autoclear set, the kernel
/// detaches it at its last close, so it is kept open until whatever uses
/// it (a mount) has opened it too.
pub struct Attached {
    pub device: String,
    pub held: Option<std::os::fd::OwnedFd>,
}

/// Attaches `setup.backing` as recorded, to `setup.device` when it is
/// free (or already bound to that file), else to a free loop device
/// (/dev/loop-control LOOP_CTL_GET_FREE).
pub fn attach(setup: &LoopSetup) -> Result<Attached> {
    let device = match setup_of(&setup.device) {
        Some(now) if now.backing == setup.backing => {
            return Ok(Attached {
                device: setup.device.clone(),
                held: None,
            });
        }
        Some(_) => free_device()?,
        None => setup.device.clone(),
    };
    let held = configure(&device, setup)?;
    Ok(Attached {
        device,
        held: Some(held),
    })
}

/// A free loop device (loop(4): LOOP_CTL_GET_FREE on /dev/loop-control).
fn free_device() -> Result<String> {
    let ctl = openat(
        CWD,
        "/dev/loop-control",
        OFlags::RDWR | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::sys("open", "/dev/loop-control", e))?;
    let n = crate::sys::loop_ctl_get_free(&ctl)
        .map_err(|e| Error::sys("ioctl(LOOP_CTL_GET_FREE)", "/dev/loop-control", e))?;
    Ok(format!("/dev/loop{n}"))
}

fn configure(device: &str, setup: &LoopSetup) -> Result<std::os::fd::OwnedFd> {
    use std::os::fd::AsRawFd;
    let access = if setup.read_only {
        OFlags::RDONLY
    } else {
        OFlags::RDWR
    };
    let file = openat(
        CWD,
        setup.backing.as_str(),
        access | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::sys("open", &setup.backing, e))?;
    let dev = openat(CWD, device, OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| Error::sys("open", device, e))?;
    let fd = u32::try_from(file.as_raw_fd()).map_err(|_| Error::failed("bad fd".into()))?;
    crate::sys::loop_configure(&dev, &config_for(setup, fd))
        .map_err(|e| Error::sys("ioctl(LOOP_CONFIGURE)", device, e))?;
    Ok(dev)
}

/// Detaches `device` (LOOP_CLR_FD). Already unbound is fine; a device
/// still open elsewhere is only marked autoclear by the kernel, so this
/// waits (up to 2 s) until sysfs shows it unbound.
pub fn detach(device: &str) -> Result<()> {
    if setup_of(device).is_none() {
        return Ok(());
    }
    let dev = openat(CWD, device, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| Error::sys("open", device, e))?;
    match crate::sys::loop_clr_fd(&dev) {
        Ok(()) | Err(rustix::io::Errno::NXIO) => {}
        Err(e) => return Err(Error::sys("ioctl(LOOP_CLR_FD)", device, e)),
    }
    drop(dev);
    for _ in 0..20 {
        if setup_of(device).is_none() {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Err(Error::failed(format!(
        "{device} is still bound 2 s after LOOP_CLR_FD (something keeps it open)"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_carries_every_recorded_field() {
        let s = LoopSetup {
            device: "/dev/loop3".into(),
            backing: "/var/lib/images/a disk.img".into(),
            offset: 1 << 20,
            sizelimit: 64 << 20,
            read_only: true,
            autoclear: false,
            partscan: true,
            direct_io: false,
            block_size: 4096,
        };
        let c = config_for(&s, 7);
        assert_eq!((c.fd, c.block_size), (7, 4096));
        assert_eq!(c.info.lo_offset, 1 << 20);
        assert_eq!(c.info.lo_sizelimit, 64 << 20);
        assert_eq!(c.info.lo_flags, LO_FLAGS_READ_ONLY | LO_FLAGS_PARTSCAN);
        assert!(
            c.info
                .lo_file_name
                .starts_with(b"/var/lib/images/a disk.img\0")
        );
        let long = LoopSetup {
            backing: "/x".repeat(100),
            ..s
        };
        let c = config_for(&long, 1);
        assert_eq!(c.info.lo_file_name[63], 0);
    }

    #[test]
    fn only_loop_devices_have_a_setup() {
        assert_eq!(setup_of("/dev/sda"), None);
        assert_eq!(setup_of("loop0"), None);
        assert_eq!(setup_of("/dev/loop0/../sda"), None);
    }
}
