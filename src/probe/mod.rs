//! What is on a device or image: filesystem and container signatures at
//! their documented offsets, a subset of libblkid's superblock probes
//! (util-linux libblkid/src/superblocks/*.c), tried in libblkid's order:
//! LVM2 PV, LUKS, vfat, swap, xfs, ext2/3/4, iso9660, squashfs, btrfs.
//!
//! Values follow `blkid -p` so the two can be compared: labels trimmed,
//! UUIDs formatted as blkid formats them, `block_size` what blkid calls
//! BLOCK_SIZE (the smallest unit the filesystem addresses: the sector size
//! for xfs and vfat, the block size for ext and btrfs, 2048 on iso9660).
//! `size_bytes` is the size the filesystem claims, where its header says.

mod btrfs;
pub mod device;
mod ext;
mod iso9660;
mod luks;
mod lvm;
mod squashfs;
mod swap;
#[cfg(test)]
mod tests;
pub mod text;
mod vfat;
mod xfs;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::json::Json;
use crate::output;
use device::{BlockSource, Device, read_full};

/// The bytes every probe can look at without another read: up to the end
/// of btrfs's superblock (64 KiB + 4 KiB), which also covers the swap
/// signature of 64 KiB pages and the first iso9660 descriptors.
const HEAD_LEN: usize = 0x11000;

/// What one signature says about the device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// blkid's TYPE: "ext4", "xfs", "swap", "crypto_LUKS", "LVM2_member"...
    pub fs_type: &'static str,
    pub uuid: Option<String>,
    pub label: Option<String>,
    /// blkid's VERSION.
    pub version: Option<String>,
    pub size_bytes: Option<u64>,
    pub block_size: Option<u64>,
}

/// The answer for one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub path: String,
    /// The size of the device or image file.
    pub device_bytes: u64,
    /// `None`: no known signature.
    pub found: Option<Found>,
}

impl Probe {
    pub fn fs_type(&self) -> Option<&'static str> {
        self.found.as_ref().map(|f| f.fs_type)
    }
}

/// Reads up to `len` bytes at `offset` (fewer at the end of the source).
pub(crate) fn read_vec<S: BlockSource + ?Sized>(
    src: &S,
    offset: u64,
    len: usize,
) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    let n = read_full(src, offset, &mut buf)?;
    buf.truncate(n);
    Ok(buf)
}

/// Identifies what is on `src`.
pub fn probe_source<S: BlockSource + ?Sized>(src: &S) -> std::io::Result<Option<Found>> {
    let head = read_vec(src, 0, HEAD_LEN)?;
    if let Some(f) = lvm::probe(&head) {
        return Ok(Some(f));
    }
    if let Some(f) = luks::probe(&head, src)? {
        return Ok(Some(f));
    }
    if let Some(f) = vfat::probe(&head, src)? {
        return Ok(Some(f));
    }
    if let Some(f) = swap::probe(&head) {
        return Ok(Some(f));
    }
    if let Some(f) = xfs::probe(&head) {
        return Ok(Some(f));
    }
    if let Some(f) = ext::probe(&head) {
        return Ok(Some(f));
    }
    if let Some(f) = iso9660::probe(src)? {
        return Ok(Some(f));
    }
    if let Some(f) = squashfs::probe(&head) {
        return Ok(Some(f));
    }
    Ok(btrfs::probe(&head, src.size()))
}

/// Identifies what is on the device or image at `path`.
pub fn probe(path: &Path) -> Result<Probe> {
    let dev = Device::open(path)?;
    let found = probe_source(&dev).map_err(|e| Error::io("read", dev.path(), &e))?;
    Ok(Probe {
        path: dev.path().to_owned(),
        device_bytes: dev.size(),
        found,
    })
}

fn json_one(j: &mut Json, p: &Probe) {
    let f = p.found.as_ref();
    j.begin_object();
    j.key("path").str(&p.path);
    j.key("type").opt_str(p.fs_type());
    j.key("uuid").opt_str(f.and_then(|f| f.uuid.as_deref()));
    j.key("label").opt_str(f.and_then(|f| f.label.as_deref()));
    j.key("version")
        .opt_str(f.and_then(|f| f.version.as_deref()));
    j.key("size_bytes").opt_u64(f.and_then(|f| f.size_bytes));
    j.key("block_size").opt_u64(f.and_then(|f| f.block_size));
    j.key("device_bytes").u64(p.device_bytes);
    j.end_object();
}

/// One line per path: `PATH: TYPE="..." UUID="..." ...`, blkid's layout.
fn text_one(out: &mut String, p: &Probe) {
    use std::fmt::Write as _;
    let _ = write!(out, "{}:", p.path);
    match &p.found {
        None => out.push_str(" (unknown)"),
        Some(f) => {
            let _ = write!(out, " TYPE=\"{}\"", f.fs_type);
            for (key, value) in [
                ("UUID", f.uuid.as_deref()),
                ("LABEL", f.label.as_deref()),
                ("VERSION", f.version.as_deref()),
            ] {
                if let Some(v) = value {
                    let _ = write!(out, " {key}=\"{}\"", v.escape_default());
                }
            }
            if let Some(size) = f.size_bytes {
                let _ = write!(out, " SIZE=\"{size}\"");
            }
            if let Some(bs) = f.block_size {
                let _ = write!(out, " BLOCK_SIZE=\"{bs}\"");
            }
        }
    }
    out.push('\n');
}

/// `rootlift probe DEV|FILE... [--json]`: a JSON array with one object per
/// path (also for one path). An unreadable path fails the command.
#[inline(never)]
pub fn command(paths: &[PathBuf], json: bool) -> Result<()> {
    let mut results = Vec::with_capacity(paths.len());
    for path in paths {
        results.push(probe(path)?);
    }
    if json {
        let mut j = Json::new();
        j.begin_array();
        for p in &results {
            json_one(&mut j, p);
        }
        j.end_array();
        output::json(j)
    } else {
        let mut out = String::new();
        for p in &results {
            text_one(&mut out, p);
        }
        output::text(&out)
    }
}
