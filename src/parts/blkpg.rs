//! The block-device ioctls a table edit needs, verbatim from the kernel:
//!
//! - `BLKPG` is `_IO(0x12, 105)` (include/uapi/linux/fs.h); its argument is
//!   a `struct blkpg_ioctl_arg` whose `data` points at a `struct
//!   blkpg_partition` (include/uapi/linux/blkpg.h). With op
//!   `BLKPG_RESIZE_PARTITION` the kernel (block/ioctl.c, blkpg_do_ioctl)
//!   wants CAP_SYS_ADMIN, the whole disk's fd, `start` and `length` in bytes
//!   aligned to the logical block size, `start` equal to the partition's
//!   current start, and no overlap with another partition; the partition
//!   may be in use, and so may the disk's others.
//! - `BLKSSZGET` is `_IO(0x12, 104)`: the logical sector size, an int.
//! - `BLKGETSIZE64` is `_IOR(0x12, 114, size_t)`: the size in bytes.
//!
//! Each opcode is asserted against linux-raw-sys's constant and (x86_64)
//! the value derived by hand; the structs' sizes and offsets against the
//! header's layout.

use core::ffi::{c_char, c_int, c_longlong, c_void};
use core::mem::{offset_of, size_of};

use rustix::ioctl::{Opcode, opcode};
use static_assertions::const_assert_eq;

pub const BLKPG: Opcode = opcode::none(0x12, 105);
pub const BLKSSZGET: Opcode = opcode::none(0x12, 104);
pub const BLKGETSIZE64: Opcode = opcode::read::<usize>(0x12, 114);

pub const BLKPG_RESIZE_PARTITION: c_int = 3;
pub const BLKPG_DEVNAMELTH: usize = 64;
pub const BLKPG_VOLNAMELTH: usize = 64;

/// `struct blkpg_ioctl_arg`.
#[repr(C)]
pub struct BlkpgIoctlArg {
    pub op: c_int,
    pub flags: c_int,
    pub datalen: c_int,
    pub data: *mut c_void,
}

/// `struct blkpg_partition`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct BlkpgPartition {
    /// Starting offset in bytes.
    pub start: c_longlong,
    /// Length in bytes.
    pub length: c_longlong,
    pub pno: c_int,
    /// Unused by the kernel.
    pub devname: [c_char; BLKPG_DEVNAMELTH],
    /// Unused by the kernel.
    pub volname: [c_char; BLKPG_VOLNAMELTH],
}

const_assert_eq!(size_of::<BlkpgPartition>(), 152);
const_assert_eq!(offset_of!(BlkpgPartition, start), 0);
const_assert_eq!(offset_of!(BlkpgPartition, length), 8);
const_assert_eq!(offset_of!(BlkpgPartition, pno), 16);
const_assert_eq!(offset_of!(BlkpgPartition, devname), 20);
const_assert_eq!(offset_of!(BlkpgPartition, volname), 84);
#[cfg(target_pointer_width = "64")]
const_assert_eq!(size_of::<BlkpgIoctlArg>(), 24);
#[cfg(target_pointer_width = "64")]
const_assert_eq!(offset_of!(BlkpgIoctlArg, data), 16);
const_assert_eq!(offset_of!(BlkpgIoctlArg, datalen), 8);

const_assert_eq!(BLKPG, linux_raw_sys::ioctl::BLKPG);
const_assert_eq!(BLKSSZGET, linux_raw_sys::ioctl::BLKSSZGET);
const_assert_eq!(BLKGETSIZE64, linux_raw_sys::ioctl::BLKGETSIZE64);
// _IOC_NONE << 30 | 0 << 16 | 0x12 << 8 | 105.
#[cfg(target_arch = "x86_64")]
const_assert_eq!(BLKPG, 0x1269);
#[cfg(target_arch = "x86_64")]
const_assert_eq!(BLKSSZGET, 0x1268);
// _IOC_READ (2) << 30 | 8 << 16 | 0x12 << 8 | 114.
#[cfg(target_arch = "x86_64")]
const_assert_eq!(BLKGETSIZE64, 0x8008_1272);

impl BlkpgPartition {
    /// Partition `pno` from byte `start`, `length` bytes long; `None` when
    /// a value does not fit the kernel's signed fields.
    pub fn new(pno: u32, start: u64, length: u64) -> Option<BlkpgPartition> {
        Some(BlkpgPartition {
            start: c_longlong::try_from(start).ok()?,
            length: c_longlong::try_from(length).ok()?,
            pno: c_int::try_from(pno).ok()?,
            devname: [0; BLKPG_DEVNAMELTH],
            volname: [0; BLKPG_VOLNAMELTH],
        })
    }
}
