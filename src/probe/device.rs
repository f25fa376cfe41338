//! A device or image file opened read-only, read at byte offsets
//! (pread(2)), with its size: st_size for a regular file, and for a block
//! device the end offset lseek(2) reports with SEEK_END (the block device
//! inode's size, the same number BLKGETSIZE64 returns), so no ioctl and no
//! unsafe code is needed.

use std::fs::File;
use std::io::{ErrorKind, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::error::{Error, Result};

/// Something that can be read at byte offsets and knows its size.
pub trait BlockSource {
    /// The size in bytes.
    fn size(&self) -> u64;
    /// Reads into `buf` at `offset`; returns how many bytes were read, less
    /// than `buf.len()` only at the end of the source.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<usize>;
}

impl BlockSource for [u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.len());
        let avail = self.get(start..).unwrap_or(&[]);
        let n = avail.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), avail.get(..n)) {
            dst.copy_from_slice(src);
        }
        Ok(n)
    }
}

/// An opened device or image.
#[derive(Debug)]
pub struct Device {
    file: File,
    size: u64,
    path: String,
}

impl Device {
    /// Opens `path` read-only and learns its size.
    pub fn open(path: &Path) -> Result<Device> {
        let shown = path.display().to_string();
        let file = File::open(path).map_err(|e| Error::io("open", &shown, &e))?;
        let meta = file
            .metadata()
            .map_err(|e| Error::io("fstat", &shown, &e))?;
        let size = if meta.is_file() {
            meta.len()
        } else {
            // A block device's size is where SEEK_END lands (lseek(2) on
            // the device inode); a character device or a pipe has none.
            (&file).seek(SeekFrom::End(0)).unwrap_or(0)
        };
        Ok(Device {
            file,
            size,
            path: shown,
        })
    }

    /// The path as given, for messages.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Reads up to `len` bytes at `offset` (fewer at the end of the
    /// device), as an error naming the path and errno when the read fails.
    pub fn read_vec(&self, offset: u64, len: usize) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; len];
        let n = read_full(self, offset, &mut buf).map_err(|e| Error::io("read", &self.path, &e))?;
        buf.truncate(n);
        Ok(buf)
    }
}

impl BlockSource for Device {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        self.file.read_at(buf, offset)
    }
}

/// Reads until `buf` is full or the source ends; returns the bytes read.
pub fn read_full<S: BlockSource + ?Sized>(
    src: &S,
    offset: u64,
    buf: &mut [u8],
) -> std::io::Result<usize> {
    let mut done = 0usize;
    while done < buf.len() {
        let at = offset.saturating_add(done as u64);
        let rest = buf.get_mut(done..).unwrap_or(&mut []);
        match src.read_at(at, rest) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}
