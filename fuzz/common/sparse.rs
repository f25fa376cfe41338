//! A sparse in-memory device for the image targets: the fuzz input is
//! `size: u64 LE` then records `offset: u32 LE, len: u16 LE, bytes[len]`
//! (the last one may be cut short); every byte no record covers reads as
//! zero. A mkfs image of tens of MiB becomes a seed of a few KiB that
//! still has a real geometry, so the group-descriptor walk and the floor
//! are reached with realistic numbers. The size is capped at 1 GiB: the
//! parsers' work grows with it (one descriptor per group).

use rootlift::probe::device::BlockSource;

pub const MAX_SIZE: u64 = 1 << 30;

pub struct Sparse<'a> {
    size: u64,
    extents: Vec<(u64, &'a [u8])>,
}

impl<'a> Sparse<'a> {
    pub fn new(data: &'a [u8]) -> Sparse<'a> {
        let mut raw = [0u8; 8];
        let head = data.get(..8).unwrap_or(data);
        raw[..head.len()].copy_from_slice(head);
        let size = u64::from_le_bytes(raw).min(MAX_SIZE);
        let mut rest = data.get(8..).unwrap_or_default();
        let mut extents = Vec::new();
        while rest.len() >= 6 {
            let off = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
            let len = usize::from(u16::from_le_bytes([rest[4], rest[5]]));
            let body = &rest[6..];
            let take = len.min(body.len());
            extents.push((u64::from(off), &body[..take]));
            rest = &body[take..];
        }
        Sparse { size, extents }
    }
}

impl BlockSource for Sparse<'_> {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        let out = zeroed_window(self.size, offset, buf);
        for &(at, bytes) in &self.extents {
            copy_over(out, offset, at, bytes);
        }
        Ok(out.len())
    }
}

/// The part of `buf` that a read at `offset` of a `size`-byte device
/// fills (empty at or past the end), zeroed.
pub fn zeroed_window(size: u64, offset: u64, buf: &mut [u8]) -> &mut [u8] {
    let n = size.saturating_sub(offset).min(buf.len() as u64) as usize;
    let out = &mut buf[..n];
    out.fill(0);
    out
}

/// Copies the part of `bytes` (which lie at byte `at` of a device) that
/// falls into `out` (which holds the device from byte `offset`).
pub fn copy_over(out: &mut [u8], offset: u64, at: u64, bytes: &[u8]) {
    let end = offset + out.len() as u64;
    let e_end = at + bytes.len() as u64;
    if e_end <= offset || at >= end {
        return;
    }
    let from = at.max(offset);
    let to = e_end.min(end);
    let src = &bytes[(from - at) as usize..(to - at) as usize];
    out[(from - offset) as usize..(to - offset) as usize].copy_from_slice(src);
}
