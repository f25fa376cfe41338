//! Encoding a device-mapper request (include/uapi/linux/dm-ioctl.h): the
//! `struct dm_ioctl` header with the fields the command reads, then its
//! payload — `dm_target_spec`s with their params for DM_TABLE_LOAD, the new
//! name for DM_DEV_RENAME — written as native-endian bytes at the header's
//! offsets.

use super::abi::{self, Cmd, Version};

/// Which device a request names. The kernel's find_device() looks a device
/// up by uuid if one is given, else by name, else by `dev`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// Commands about no device (DM_VERSION, DM_LIST_*).
    None,
    Name(&'a str),
    Uuid(&'a str),
    Dev {
        major: u32,
        minor: u32,
    },
}

/// One table line: `START LENGTH TYPE PARAMS`, in 512-byte sectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableLine {
    pub start: u64,
    pub length: u64,
    pub target_type: String,
    pub params: String,
}

/// What follows the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload<'a> {
    None,
    /// DM_TABLE_LOAD's target specs.
    Table(&'a [TableLine]),
    /// DM_DEV_RENAME's new name.
    NewName(&'a str),
}

/// One ioctl request, before encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    pub cmd: Cmd,
    pub target: Target<'a>,
    /// For DM_DEV_CREATE: the uuid to give the new device (with a name).
    pub new_uuid: Option<&'a str>,
    pub flags: u32,
    pub payload: Payload<'a>,
}

impl<'a> Request<'a> {
    pub fn new(cmd: Cmd, target: Target<'a>) -> Self {
        Request {
            cmd,
            target,
            new_uuid: None,
            flags: 0,
            payload: Payload::None,
        }
    }

    pub fn flags(mut self, flags: u32) -> Self {
        self.flags |= flags;
        self
    }

    pub fn payload(mut self, payload: Payload<'a>) -> Self {
        self.payload = payload;
        self
    }

    /// The interface version stamped into the request: the command's
    /// minimum, raised only by the features this request uses.
    pub fn version(&self) -> Version {
        let mut v = self.cmd.min_version();
        let mut need = |w: Version| {
            if !abi::at_least(v, w) {
                v = w;
            }
        };
        if matches!(self.target, Target::Dev { .. }) {
            need(abi::VERSION_LOOKUP_BY_DEV);
        }
        if self.flags & abi::DM_NOFLUSH_FLAG != 0 {
            need(abi::VERSION_NOFLUSH);
        }
        v
    }

    /// The device the request is about, for error messages.
    pub fn subject(&self) -> String {
        match self.target {
            Target::None => "/dev/mapper/control".to_owned(),
            Target::Name(n) => n.to_owned(),
            Target::Uuid(u) => format!("uuid {u}"),
            Target::Dev { major, minor } => format!("{major}:{minor}"),
        }
    }

    /// Bytes the header and payload need.
    pub fn min_size(&self) -> usize {
        abi::HEADER_SIZE.saturating_add(match self.payload {
            Payload::None => 0,
            Payload::Table(lines) => lines
                .iter()
                .fold(0usize, |n, l| n.saturating_add(spec_size(&l.params))),
            Payload::NewName(n) => n.len() + 1,
        })
    }

    /// The request in a zeroed buffer of `size` bytes (at least
    /// [`Self::min_size`]), `data_size` set to `size` so the kernel may
    /// answer into all of it.
    pub fn encode(&self, size: usize) -> Vec<u8> {
        let size = size.max(self.min_size());
        let mut buf = vec![0u8; size];
        let v = self.version();
        put_u32(&mut buf, abi::OFF_VERSION, v[0]);
        put_u32(&mut buf, abi::OFF_VERSION + 4, v[1]);
        put_u32(&mut buf, abi::OFF_VERSION + 8, v[2]);
        put_u32(&mut buf, abi::OFF_DATA_SIZE, clamp_u32(size));
        put_u32(&mut buf, abi::OFF_DATA_START, clamp_u32(abi::HEADER_SIZE));
        put_u32(&mut buf, abi::OFF_FLAGS, self.flags);
        // event_nr stays 0: no command rootlift sends reads it as an event
        // number, and 0 is "no udev cookie" for those that read it as one.
        match self.target {
            Target::None => {}
            Target::Name(n) => put_str(&mut buf, abi::OFF_NAME, abi::DM_NAME_LEN, n),
            Target::Uuid(u) => put_str(&mut buf, abi::OFF_UUID, abi::DM_UUID_LEN, u),
            Target::Dev { major, minor } => {
                put_u64(&mut buf, abi::OFF_DEV, encode_dev(major, minor))
            }
        }
        if let Some(u) = self.new_uuid {
            put_str(&mut buf, abi::OFF_UUID, abi::DM_UUID_LEN, u);
        }
        match self.payload {
            Payload::None => {}
            Payload::Table(lines) => {
                put_u32(&mut buf, abi::OFF_TARGET_COUNT, clamp_u32(lines.len()));
                let mut at = abi::HEADER_SIZE;
                for l in lines {
                    at = put_spec(&mut buf, at, l);
                }
            }
            Payload::NewName(n) => put_str(&mut buf, abi::HEADER_SIZE, n.len() + 1, n),
        }
        buf
    }
}

/// The kernel's huge_encode_dev(): minor's low byte, then the major, then
/// the rest of the minor (include/linux/kdev_t.h new_encode_dev).
pub fn encode_dev(major: u32, minor: u32) -> u64 {
    let (major, minor) = (u64::from(major), u64::from(minor));
    (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & !0xff) << 12) | ((major & !0xfff) << 32)
}

/// huge_decode_dev(), the inverse of [`encode_dev`].
pub fn decode_dev(dev: u64) -> (u32, u32) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (
        u32::try_from(major).unwrap_or(u32::MAX),
        u32::try_from(minor & 0xffff_ffff).unwrap_or(u32::MAX),
    )
}

/// Params as the kernel's dm_split_args() wants them: it reads `\` as an
/// escape, so libdm doubles each one to pass the text through literally.
fn escaped_len(params: &str) -> usize {
    params.len() + params.bytes().filter(|&b| b == b'\\').count()
}

/// A spec, its escaped params and their NUL, padded to the next spec.
fn spec_size(params: &str) -> usize {
    align(abi::SPEC_SIZE + escaped_len(params) + 1)
}

pub fn align(n: usize) -> usize {
    n.div_ceil(abi::ALIGN).saturating_mul(abi::ALIGN)
}

/// Writes one spec at `at` and returns where the next one starts. `next` is
/// relative to this spec on input (dm-ioctl.c next_target()).
fn put_spec(buf: &mut [u8], at: usize, l: &TableLine) -> usize {
    let size = spec_size(&l.params);
    put_u64(buf, at + abi::SPEC_OFF_START, l.start);
    put_u64(buf, at + abi::SPEC_OFF_LENGTH, l.length);
    put_u32(buf, at + abi::SPEC_OFF_NEXT, clamp_u32(size));
    put_str(
        buf,
        at + abi::SPEC_OFF_TYPE,
        abi::DM_MAX_TYPE_NAME,
        &l.target_type,
    );
    let mut p = at + abi::SPEC_SIZE;
    for b in l.params.bytes() {
        if b == b'\\' {
            put_bytes(buf, p, b"\\");
            p += 1;
        }
        put_bytes(buf, p, &[b]);
        p += 1;
    }
    at + size
}

fn clamp_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn put_bytes(buf: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(dst) = at
        .checked_add(bytes.len())
        .and_then(|end| buf.get_mut(at..end))
    {
        dst.copy_from_slice(bytes);
    }
}

fn put_u32(buf: &mut [u8], at: usize, v: u32) {
    put_bytes(buf, at, &v.to_ne_bytes());
}

fn put_u64(buf: &mut [u8], at: usize, v: u64) {
    put_bytes(buf, at, &v.to_ne_bytes());
}

/// A string into a field of `field` bytes, always leaving its NUL (the
/// buffer is zeroed); callers validated the length beforehand.
fn put_str(buf: &mut [u8], at: usize, field: usize, s: &str) {
    let n = s.len().min(field.saturating_sub(1));
    put_bytes(buf, at, s.as_bytes().get(..n).unwrap_or_default());
}

#[cfg(test)]
mod tests;
