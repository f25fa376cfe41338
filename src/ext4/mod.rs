//! The ext2/ext3/ext4 superblock and group descriptors, read by our own
//! code (the kernel's Documentation/filesystems/ext4/super.rst and
//! group_descr.rst; field layout from fs/ext4/ext4.h), and the shrink floor
//! derived from them. This is the gate in front of every destructive step
//! of a shrink: libblkid and dumpe2fs are not in the tmpfs.
//!
//! - `read_superblock(path)`: the gate. Superblock parsed and validated,
//!   checksum verified (metadata_csum), filesystem no larger than the
//!   device, group descriptors read and the floor computed; any failure is
//!   an error.
//! - `inspect(path)`: the same reads for `rootlift ext4`, which reports what
//!   failed instead of stopping at it; for a mounted device also the floor
//!   from the kernel's live counts (`live`).
//! - `Superblock::parse(&[u8])`: the superblock alone, from memory.

mod descriptors;
pub mod error;
pub mod features;
pub mod floor;
mod layout;
pub mod live;
mod report;
pub mod superblock;
#[cfg(test)]
mod tests;

use std::path::Path;

pub use error::Ext4Error;
pub use floor::{Floor, min_blocks};
pub use superblock::{Checksum, Superblock};

use crate::error::{Error, Result};
use crate::output;
use crate::probe::device::{BlockSource, Device, read_full};
use layout::{SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE};

/// What `rootlift ext4` found on a device.
#[derive(Debug)]
pub struct Inspection {
    pub sb: Superblock,
    pub device_bytes: u64,
    /// The checksum and device-size checks.
    pub verified: Result<(), Ext4Error>,
    /// The floor, or why it could not be computed.
    pub floor: Result<Floor, Ext4Error>,
    /// For a mounted device: the floor from its live counts.
    pub live: Option<live::Mounted>,
}

impl Inspection {
    /// Every check that failed, worded for a human.
    pub fn problems(&self) -> Vec<String> {
        let mut list = Vec::new();
        if let Err(e) = &self.verified {
            list.push(e.to_string());
        }
        if let Err(e) = &self.floor {
            let text = e.to_string();
            if !list.contains(&text) {
                list.push(text);
            }
        }
        list
    }
}

/// Reads and validates the primary superblock of any source (device,
/// image file, or bytes in memory).
pub fn read_from<S: BlockSource + ?Sized>(src: &S) -> Result<Superblock, ReadError> {
    let mut buf = [0u8; SUPERBLOCK_SIZE];
    let n = read_full(src, SUPERBLOCK_OFFSET, &mut buf).map_err(ReadError::Io)?;
    if n < SUPERBLOCK_SIZE {
        return Err(ReadError::Ext4(Ext4Error::Truncated {
            len: src.size(),
            need: SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE as u64,
        }));
    }
    Superblock::parse(&buf).map_err(ReadError::Ext4)
}

/// How often a superblock whose checksum fails is read: a read can race
/// the kernel rewriting it on a mounted filesystem, so e2fsprogs
/// (ext2fs_open2) and libblkid read it again before believing the mismatch.
const CHECKSUM_READS: usize = 3;

/// `read_from`, then `Superblock::verify` against the source's size; a
/// checksum mismatch is read again (see CHECKSUM_READS) before it stands.
fn read_verified<S: BlockSource + ?Sized>(
    src: &S,
) -> Result<(Superblock, Result<(), Ext4Error>), ReadError> {
    let mut reads = 0;
    loop {
        let sb = read_from(src)?;
        let verified = sb.verify(src.size());
        reads += 1;
        let mismatch = matches!(verified, Err(Ext4Error::BadChecksum { .. }));
        if !mismatch || reads >= CHECKSUM_READS {
            return Ok((sb, verified));
        }
    }
}

/// A failed read: the I/O itself, or what was read.
#[derive(Debug)]
pub enum ReadError {
    Io(std::io::Error),
    Ext4(Ext4Error),
}

impl ReadError {
    fn into_error(self, path: &str) -> Error {
        match self {
            ReadError::Io(e) => Error::io("read", path, &e),
            ReadError::Ext4(e) => Error::invalid("ext4 superblock", path, e),
        }
    }
}

/// The gate: the superblock of `path` with its floor, or an error if
/// anything about it is wrong (see the module doc).
pub fn read_superblock(path: &Path) -> Result<Superblock> {
    read_gate(path, None)
}

/// The gate on a mounted filesystem: its floor from the kernel's live
/// counts (floor.rs, "A mounted filesystem").
pub fn read_superblock_live(path: &Path, live: floor::Live) -> Result<Superblock> {
    read_gate(path, Some(live))
}

fn read_gate(path: &Path, live: Option<floor::Live>) -> Result<Superblock> {
    let dev = Device::open(path)?;
    let (mut sb, verified) = read_verified(&dev).map_err(|e| e.into_error(dev.path()))?;
    let invalid = |e: Ext4Error| Error::invalid("ext4 superblock", dev.path(), e);
    verified.map_err(invalid)?;
    sb.floor = Some(floor::floor(&sb, &dev, live).map_err(invalid)?);
    Ok(sb)
}

/// Everything `rootlift ext4` reports about `path`; fails only when there
/// is no valid superblock to report on.
pub fn inspect(path: &Path) -> Result<Inspection> {
    let dev = Device::open(path)?;
    let mut ins = inspect_source(&dev).map_err(|e| e.into_error(dev.path()))?;
    ins.live = live::inspect(path);
    Ok(ins)
}

/// `inspect` on any source.
pub fn inspect_source<S: BlockSource + ?Sized>(src: &S) -> Result<Inspection, ReadError> {
    let (mut sb, verified) = read_verified(src)?;
    let device_bytes = src.size();
    let floor = min_blocks(&sb, src);
    sb.floor = floor.as_ref().ok().copied();
    Ok(Inspection {
        sb,
        device_bytes,
        verified,
        floor,
        live: None,
    })
}

/// `rootlift ext4 DEV|FILE [--json]`.
#[inline(never)]
pub fn command(path: &Path, json: bool) -> Result<()> {
    let ins = inspect(path)?;
    if json {
        output::json(report::json(&ins, &path.display().to_string()))
    } else {
        output::text(&report::text(&ins))
    }
}
