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
