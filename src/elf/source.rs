//! Where ELF bytes come from: a byte slice (tests, fixtures) or a file read
//! with pread(2) in bounded pieces, so a 5 MiB library costs a few small
//! reads instead of a whole-file buffer.

use std::fs::File;
use std::os::unix::fs::FileExt;

use super::ElfError;

/// A random-access, bounded reader of ELF bytes.
pub trait Source {
    /// The number of bytes the object has.
    fn size(&self) -> u64;

    /// Exactly `len` bytes at `offset`; `Truncated(what)` when they lie
    /// past the end.
    fn read_at(&self, offset: u64, len: usize, what: &'static str) -> Result<Vec<u8>, ElfError>;
}

/// `offset..offset+len` as a checked range inside `size`.
fn span(size: u64, offset: u64, len: usize) -> Option<(usize, usize)> {
    let end = offset.checked_add(u64::try_from(len).ok()?)?;
    if end > size {
        return None;
    }
    Some((usize::try_from(offset).ok()?, usize::try_from(end).ok()?))
}

impl Source for [u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn read_at(&self, offset: u64, len: usize, what: &'static str) -> Result<Vec<u8>, ElfError> {
        span(self.size(), offset, len)
            .and_then(|(a, b)| self.get(a..b))
            .map(<[u8]>::to_vec)
            .ok_or(ElfError::Truncated(what))
    }
}

/// An open regular file and its size at open time.
pub struct FileSource {
    file: File,
    size: u64,
}

impl FileSource {
    pub fn new(file: File, size: u64) -> Self {
        FileSource { file, size }
    }
}

impl Source for FileSource {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, len: usize, what: &'static str) -> Result<Vec<u8>, ElfError> {
        if span(self.size, offset, len).is_none() {
            return Err(ElfError::Truncated(what));
        }
        let mut buf = vec![0u8; len];
        match self.file.read_exact_at(&mut buf, offset) {
            Ok(()) => Ok(buf),
            // The file shrank under us: the same verdict as a short file.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                Err(ElfError::Truncated(what))
            }
            Err(e) => Err(ElfError::Io(e)),
        }
    }
}
