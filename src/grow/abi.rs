//! The two online-resize ioctls, verbatim from the kernel:
//!
//! - `EXT4_IOC_RESIZE_FS` is `_IOW('f', 16, __u64)` (fs/ext4/ext4.h, and
//!   include/uapi/linux/ext4.h since it moved there); the argument is a
//!   pointer to the new block count (Documentation/admin-guide/ext4.rst,
//!   "Ioctls").
//! - `BTRFS_IOC_RESIZE` is `_IOW(BTRFS_IOCTL_MAGIC, 3, struct
//!   btrfs_ioctl_vol_args)` (include/uapi/linux/btrfs.h); `name` holds
//!   `[devid:](max|[+-]<bytes>)`, as btrfs_ioctl_resize() in fs/btrfs/ioctl.c
//!   parses it.
//!
//! Each opcode is asserted three ways: rustix's `opcode::write` of the
//! declared argument type, linux-raw-sys's constant of the same name, and
//! (on x86_64 and aarch64, which both use the generic encoding of
//! include/uapi/asm-generic/ioctl.h, where `_IOW` is `1 << 30 | size << 16 |
//! type << 8 | nr`) the value derived by hand: a wrong struct size cannot
//! compile. `make lint` compiles these for both architectures.

use core::mem::{align_of, offset_of};

use rustix::ioctl::{Opcode, opcode};
use static_assertions::{assert_eq_size, const_assert_eq};

/// `'f'`, the ext2/3/4 ioctl type (fs/ext4/ext4.h).
pub const EXT4_IOC_TYPE: u8 = b'f';
pub const EXT4_IOC_RESIZE_FS: Opcode = opcode::write::<u64>(EXT4_IOC_TYPE, 16);

pub const BTRFS_IOCTL_MAGIC: u8 = 0x94;
pub const BTRFS_PATH_NAME_MAX: usize = 4087;

/// `struct btrfs_ioctl_vol_args`: 4 KiB, `fd` unused by the resize.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct BtrfsIoctlVolArgs {
    pub fd: i64,
    /// NUL-terminated; the kernel forces `name[BTRFS_PATH_NAME_MAX] = 0`.
    pub name: [u8; BTRFS_PATH_NAME_MAX + 1],
}

pub const BTRFS_IOC_RESIZE: Opcode = opcode::write::<BtrfsIoctlVolArgs>(BTRFS_IOCTL_MAGIC, 3);

/// `enum btrfs_err_code` (include/uapi/linux/btrfs.h): the positive value
/// btrfs_ioctl_resize() returns while a balance, device add/remove/replace
/// or another resize holds the filesystem's exclusive-operation slot.
pub const BTRFS_ERROR_DEV_EXCL_RUN_IN_PROGRESS: i32 = 8;

/// The smallest size btrfs_ioctl_resize() accepts (`new_size < SZ_256M`
/// is EINVAL).
pub const BTRFS_MIN_RESIZE: u64 = 256 << 20;

assert_eq_size!(BtrfsIoctlVolArgs, [u8; 4096]);
const_assert_eq!(offset_of!(BtrfsIoctlVolArgs, fd), 0);
const_assert_eq!(offset_of!(BtrfsIoctlVolArgs, name), 8);
const_assert_eq!(align_of::<BtrfsIoctlVolArgs>(), 8);

const_assert_eq!(EXT4_IOC_RESIZE_FS, linux_raw_sys::ioctl::EXT4_IOC_RESIZE_FS);
const_assert_eq!(BTRFS_IOC_RESIZE, linux_raw_sys::ioctl::BTRFS_IOC_RESIZE);
// _IOC_WRITE (1) << 30 | 8 << 16 | 0x66 << 8 | 16.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
const_assert_eq!(EXT4_IOC_RESIZE_FS, 0x4008_6610);
// _IOC_WRITE (1) << 30 | 4096 << 16 | 0x94 << 8 | 3.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
const_assert_eq!(BTRFS_IOC_RESIZE, 0x5000_9403);

impl BtrfsIoctlVolArgs {
    /// The args with `name` set; None when it does not fit with its NUL.
    pub fn with_name(name: &str) -> Option<BtrfsIoctlVolArgs> {
        let mut args = BtrfsIoctlVolArgs {
            fd: 0,
            name: [0; BTRFS_PATH_NAME_MAX + 1],
        };
        args.name
            .get_mut(..name.len())
            .filter(|_| name.len() <= BTRFS_PATH_NAME_MAX && !name.contains('\0'))?
            .copy_from_slice(name.as_bytes());
        Some(args)
    }

    /// Whether `name` holds a NUL inside the buffer.
    pub fn is_terminated(&self) -> bool {
        self.name.contains(&0)
    }
}
