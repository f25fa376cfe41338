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

/// `BLKPG` with `BLKPG_RESIZE_PARTITION` on a whole disk's fd: partition
/// `part.pno` now ends `part.length` bytes after `part.start`, which must
/// be its current start (include/uapi/linux/blkpg.h, block/ioctl.c).
pub fn blkpg_resize_partition(
    disk: BorrowedFd<'_>,
    part: &crate::parts::blkpg::BlkpgPartition,
) -> Result<(), Errno> {
    use crate::parts::blkpg::{BLKPG, BLKPG_RESIZE_PARTITION, BlkpgIoctlArg, BlkpgPartition};
    let arg = BlkpgIoctlArg {
        op: BLKPG_RESIZE_PARTITION,
        flags: 0,
        datalen: core::mem::size_of::<BlkpgPartition>() as core::ffi::c_int,
        data: core::ptr::from_ref(part).cast_mut().cast(),
    };
    let ioctl = WriteIoctl {
        opcode: BLKPG,
        arg: &arg,
    };
    // SAFETY: the opcode is _IO(0x12, 105) (asserted in parts::blkpg) and
    // the argument a #[repr(C)] struct blkpg_ioctl_arg borrowed for the
    // call; blkpg_ioctl() get_user()s its op and data fields, and
    // blkpg_do_ioctl() copy_from_user()s sizeof(struct blkpg_partition)
    // from `data`, which points at `*part` (size asserted, 152 bytes),
    // borrowed for the whole call. Nothing is written back.
    unsafe { rustix::ioctl::ioctl(disk, ioctl) }.map(|_| ())
}

/// `BLKGETSIZE64`: the size in bytes of the block device `fd` is open on.
pub fn blkgetsize64(fd: BorrowedFd<'_>) -> Result<u64, Errno> {
    use crate::parts::blkpg::BLKGETSIZE64;
    // SAFETY: the opcode is _IOR(0x12, 114, size_t) (asserted in
    // parts::blkpg against linux-raw-sys); blkdev_ioctl() answers with
    // put_u64(), 8 bytes, into the u64 the Getter owns for the call.
    unsafe { rustix::ioctl::ioctl(fd, rustix::ioctl::Getter::<{ BLKGETSIZE64 }, u64>::new()) }
}
