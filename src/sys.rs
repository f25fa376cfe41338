//! The unsafe system calls of rootlift, each behind a safe function that
//! checks, before the call, everything the kernel will read or write
//! through the pointers it is given (ioctl(2)). The rest of the crate is
//! safe Rust (`unsafe_code = "deny"`); a new wrapper belongs here, as one
//! safe function with its checks and one `// SAFETY:` line per block.

#![allow(unsafe_code)]

use rustix::fd::BorrowedFd;
use rustix::io::Errno;
use rustix::ioctl::{Ioctl, IoctlOutput, Opcode, opcode};

use crate::dm::abi::{DM_IOCTL, DmIoctl, HEADER_SIZE, OFF_DATA_SIZE};

/// An ioctl whose argument is a pointer to a byte buffer the kernel may
/// read and write; the safe caller has checked the buffer is as large as
/// the command will touch.
struct BufferIoctl<'a> {
    opcode: Opcode,
    buf: &'a mut [u8],
}

// SAFETY: as_ptr() hands the kernel a pointer to `buf`, which lives (and
// is exclusively borrowed) for the whole call; IS_MUTATING is true because
// the kernel writes replies into it; the output is the raw return value and
// reads no memory. Each constructor below checks the buffer size for its
// opcode.
unsafe impl Ioctl for BufferIoctl<'_> {
    type Output = IoctlOutput;
    const IS_MUTATING: bool = true;

    fn opcode(&self) -> Opcode {
        self.opcode
    }

    fn as_ptr(&mut self) -> *mut core::ffi::c_void {
        self.buf.as_mut_ptr().cast()
    }

    unsafe fn output_from_ptr(
        out: IoctlOutput,
        _extract_output: *mut core::ffi::c_void,
    ) -> rustix::io::Result<IoctlOutput> {
        Ok(out)
    }
}

/// A device-mapper ioctl on `/dev/mapper/control` (dm-ioctl.h): `buf`
/// holds a `struct dm_ioctl` header and its payload; the kernel answers in
/// place. Refuses (EINVAL) an opcode that is not `_IOWR(0xfd, N, struct
/// dm_ioctl)`, a buffer shorter than the header, or a header whose
/// `data_size` claims more bytes than `buf` has.
pub fn dm_ioctl(control: BorrowedFd<'_>, op: Opcode, buf: &mut [u8]) -> Result<(), Errno> {
    let nr = (op & 0xff) as u8;
    if op != opcode::read_write::<DmIoctl>(DM_IOCTL, nr) || buf.len() < HEADER_SIZE {
        return Err(Errno::INVAL);
    }
    let data_size = buf
        .get(OFF_DATA_SIZE..OFF_DATA_SIZE + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_ne_bytes)
        .ok_or(Errno::INVAL)?;
    if usize::try_from(data_size).map_or(true, |n| n > buf.len()) {
        return Err(Errno::INVAL);
    }
    // SAFETY: the kernel's ctl_ioctl() reads the header, then copies at most
    // `data_size` bytes from the pointer (copy_params) and writes back at
    // most `data_size` bytes (copy_to_user of param->data_size, which no
    // command raises above the input size); `buf` was checked above to hold
    // the header and `data_size` bytes, and the opcode to be a dm one.
    unsafe { rustix::ioctl::ioctl(control, BufferIoctl { opcode: op, buf }) }.map(|_| ())
}

/// An `_IOW` ioctl whose argument is a pointer to one `T` the kernel only
/// reads; the output is the call's non-negative return value (btrfs
/// answers some refusals with a positive `enum btrfs_err_code`, which
/// rustix's `Setter` would drop).
struct WriteIoctl<'a, T> {
    opcode: Opcode,
    arg: &'a T,
}

// SAFETY: as_ptr() hands the kernel a pointer to `*arg`, borrowed for the
// whole call; IS_MUTATING is false and the pointer is only ever read
// through (each wrapper below pairs an _IOW opcode with the exact type the
// kernel copies in); the output is the raw return value and reads no
// memory.
unsafe impl<T> Ioctl for WriteIoctl<'_, T> {
    type Output = IoctlOutput;
    const IS_MUTATING: bool = false;

    fn opcode(&self) -> Opcode {
        self.opcode
    }

    fn as_ptr(&mut self) -> *mut core::ffi::c_void {
        core::ptr::from_ref(self.arg).cast_mut().cast()
    }

    unsafe fn output_from_ptr(
        out: IoctlOutput,
        _extract_output: *mut core::ffi::c_void,
    ) -> rustix::io::Result<IoctlOutput> {
        Ok(out)
    }
}

/// `EXT4_IOC_RESIZE_FS` on a file of a mounted ext2/3/4 filesystem (the
/// caller passes its mount point): grow it to `blocks_count` blocks
/// (Documentation/admin-guide/ext4.rst, "Ioctls").
pub fn ext4_resize_fs(fd: BorrowedFd<'_>, blocks_count: u64) -> Result<(), Errno> {
    use crate::grow::abi::EXT4_IOC_RESIZE_FS;
    let ioctl = WriteIoctl {
        opcode: EXT4_IOC_RESIZE_FS,
        arg: &blocks_count,
    };
    // SAFETY: the opcode is _IOW('f', 16, __u64) (asserted in grow::abi) and
    // the argument a u64 alive for the call; __ext4_ioctl() copy_from_user()s
    // exactly sizeof(__u64) from it and writes nothing back.
    unsafe { rustix::ioctl::ioctl(fd, ioctl) }.map(|_| ())
}

/// `BTRFS_IOC_RESIZE` on a file of a mounted btrfs: resize one device as
/// `args.name` says (btrfs-filesystem(8), "resize"). Returns the kernel's
/// non-negative answer: 0, or an `enum btrfs_err_code` (include/uapi/
/// linux/btrfs.h). Refuses (EINVAL) a name with no NUL inside the buffer.
pub fn btrfs_resize(
    fd: BorrowedFd<'_>,
    args: &crate::grow::abi::BtrfsIoctlVolArgs,
) -> Result<i32, Errno> {
    use crate::grow::abi::BTRFS_IOC_RESIZE;
    if !args.is_terminated() {
        return Err(Errno::INVAL);
    }
    let ioctl = WriteIoctl {
        opcode: BTRFS_IOC_RESIZE,
        arg: args,
    };
    // SAFETY: the opcode is _IOW(0x94, 3, struct btrfs_ioctl_vol_args) and
    // the argument that 4096-byte #[repr(C)] struct (size and offsets
    // asserted in grow::abi), borrowed for the call; btrfs_ioctl_resize()
    // memdup_user()s exactly sizeof(struct btrfs_ioctl_vol_args) from it and
    // writes nothing back.
    unsafe { rustix::ioctl::ioctl(fd, ioctl) }
}

/// LOOP_CONFIGURE on an open loop device (loop(4)): attach the backing file
/// `config.fd` with the offset, size limit, flags and block size given.
pub fn loop_configure(
    dev: impl rustix::fd::AsFd,
    config: &crate::loopdev::LoopConfig,
) -> Result<(), Errno> {
    let ioctl = WriteIoctl {
        opcode: crate::loopdev::LOOP_CONFIGURE as Opcode,
        arg: config,
    };
    // SAFETY: LOOP_CONFIGURE takes a pointer to struct loop_config, which
    // LoopConfig is verbatim (size 304 and offsets asserted in loopdev);
    // loop_configure() copy_from_user()s exactly that size and writes
    // nothing back; `config` is borrowed for the whole call.
    unsafe { rustix::ioctl::ioctl(dev, ioctl) }.map(|_| ())
}

/// An ioctl that takes no argument.
struct NoArgIoctl(Opcode);

// SAFETY: as_ptr() passes a null pointer that the commands built with this
// type (LOOP_CLR_FD, LOOP_CTL_GET_FREE) never read; the output is the raw
// return value.
unsafe impl Ioctl for NoArgIoctl {
    type Output = IoctlOutput;
    const IS_MUTATING: bool = false;

    fn opcode(&self) -> Opcode {
        self.0
    }

    fn as_ptr(&mut self) -> *mut core::ffi::c_void {
        core::ptr::null_mut()
    }

    unsafe fn output_from_ptr(
        out: IoctlOutput,
        _extract_output: *mut core::ffi::c_void,
    ) -> rustix::io::Result<IoctlOutput> {
        Ok(out)
    }
}

/// LOOP_CLR_FD: detach an open loop device's backing file.
pub fn loop_clr_fd(dev: impl rustix::fd::AsFd) -> Result<(), Errno> {
    let ioctl = NoArgIoctl(crate::loopdev::LOOP_CLR_FD as Opcode);
    // SAFETY: LOOP_CLR_FD ignores its argument (lo_ioctl() calls
    // loop_clr_fd(lo) without touching arg); no memory is passed.
    unsafe { rustix::ioctl::ioctl(dev, ioctl) }.map(|_| ())
}

/// LOOP_CTL_GET_FREE on /dev/loop-control: the number of a free loop
/// device (allocated when none is).
pub fn loop_ctl_get_free(ctl: impl rustix::fd::AsFd) -> Result<u32, Errno> {
    let ioctl = NoArgIoctl(crate::loopdev::LOOP_CTL_GET_FREE as Opcode);
    // SAFETY: LOOP_CTL_GET_FREE takes no argument (loop_control_ioctl()
    // ignores parm for it) and answers in the return value.
    let n = unsafe { rustix::ioctl::ioctl(ctl, ioctl) }?;
    u32::try_from(n).map_err(|_| Errno::INVAL)
}

unsafe extern "C" {
    /// swapon(2) and swapoff(2) from the C library std already links.
    fn swapon(path: *const core::ffi::c_char, flags: core::ffi::c_int) -> core::ffi::c_int;
    fn swapoff(path: *const core::ffi::c_char) -> core::ffi::c_int;
}

/// SWAP_FLAG_PREFER and SWAP_FLAG_PRIO_MASK (linux/swap.h).
const SWAP_FLAG_PREFER: i32 = 0x8000;
const SWAP_FLAG_PRIO_MASK: i32 = 0x7fff;

fn c_path(path: &str) -> Result<std::ffi::CString, Errno> {
    std::ffi::CString::new(path).map_err(|_| Errno::INVAL)
}

/// swapon(2) of `path`; a non-negative `priority` is set, else the kernel
/// picks the next negative one, as for a swap area enabled without one.
pub fn swapon_path(path: &str, priority: Option<i32>) -> Result<(), Errno> {
    let c = c_path(path)?;
    let flags = match priority {
        Some(p) if p >= 0 => SWAP_FLAG_PREFER | (p & SWAP_FLAG_PRIO_MASK),
        _ => 0,
    };
    // SAFETY: `c` is a NUL-terminated string alive across the call; the
    // kernel only reads it.
    let rc = unsafe { swapon(c.as_ptr(), flags) };
    if rc == 0 {
        Ok(())
    } else {
        Err(Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::IO))
    }
}

/// swapoff(2) of `path`.
pub fn swapoff_path(path: &str) -> Result<(), Errno> {
    let c = c_path(path)?;
    // SAFETY: `c` is a NUL-terminated string alive across the call; the
    // kernel only reads it.
    let rc = unsafe { swapoff(c.as_ptr()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::IO))
    }
}

/// LOOP_GET_STATUS64 on an open loop device: its `struct loop_info64`,
/// whose `lo_device` is the device number of the backing file's
/// filesystem (what decides whether the loop depends on the root).
pub fn loop_get_status64(dev: impl rustix::fd::AsFd) -> Result<crate::loopdev::LoopInfo64, Errno> {
    let mut info = crate::loopdev::LoopInfo64::zeroed();
    // SAFETY: LoopInfo64 is `struct loop_info64` verbatim (size 232 and
    // offsets asserted in loopdev); loop_get_status64() copy_to_user()s
    // exactly that size into the buffer, which is exclusively borrowed as
    // bytes for the whole call and reads nothing from it.
    let buf = unsafe {
        core::slice::from_raw_parts_mut(
            core::ptr::from_mut(&mut info).cast::<u8>(),
            size_of::<crate::loopdev::LoopInfo64>(),
        )
    };
    let ioctl = BufferIoctl {
        opcode: crate::loopdev::LOOP_GET_STATUS64 as Opcode,
        buf,
    };
    // SAFETY: as above: the kernel writes at most size_of::<LoopInfo64>()
    // bytes through the pointer BufferIoctl passes.
    unsafe { rustix::ioctl::ioctl(dev, ioctl) }?;
    Ok(info)
}
