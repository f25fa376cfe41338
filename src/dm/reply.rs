//! Parsing the kernel's answer to a device-mapper ioctl
//! (include/uapi/linux/dm-ioctl.h, drivers/md/dm-ioctl.c): the header's
//! fields, and the payload between `data_start` and `data_size` — the
//! name list, target specs with their status/table strings, deps and target
//! versions. The reply is bytes: every field is read with from_ne_bytes at
//! its offset, bounds-checked, and every `next` and offset the kernel wrote
//! is checked to move forward inside the payload before it is followed.

use super::abi::{self, Version};
use super::request::{TableLine, align, decode_dev};
use crate::error::{Error, Result};

/// A reply buffer, as the kernel left it.
#[derive(Debug, Clone)]
pub struct Reply {
    buf: Vec<u8>,
    /// The ioctl and its device, for error messages.
    what: String,
}

/// The header of a reply about one device (libdm's `struct dm_info`, plus
/// name and uuid).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmInfo {
    pub name: String,
    /// Empty when the device has none.
    pub uuid: String,
    pub major: u32,
    pub minor: u32,
    /// How many times the device is open; 0 proves nothing holds it.
    pub open_count: i32,
    pub event_nr: u32,
    pub target_count: u32,
    /// The raw `DM_*_FLAG` word.
    pub flags: u32,
}

impl DmInfo {
    pub fn suspended(&self) -> bool {
        self.flags & abi::DM_SUSPEND_FLAG != 0
    }
    pub fn read_only(&self) -> bool {
        self.flags & abi::DM_READONLY_FLAG != 0
    }
    pub fn live_table(&self) -> bool {
        self.flags & abi::DM_ACTIVE_PRESENT_FLAG != 0
    }
    pub fn inactive_table(&self) -> bool {
        self.flags & abi::DM_INACTIVE_PRESENT_FLAG != 0
    }
    pub fn deferred_remove(&self) -> bool {
        self.flags & abi::DM_DEFERRED_REMOVE != 0
    }
}

/// One DM_LIST_DEVICES entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmDevice {
    pub name: String,
    pub major: u32,
    pub minor: u32,
    /// The uuid, when the kernel reported one (interface 4.45+); `Some("")`
    /// when it reported the device has none.
    pub uuid: Option<String>,
    /// Interface 4.38+.
    pub event_nr: Option<u32>,
}

/// One DM_LIST_VERSIONS entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetVersion {
    pub name: String,
    pub version: Version,
}

impl Reply {
    pub fn new(buf: Vec<u8>, what: String) -> Self {
        Reply { buf, what }
    }

    fn invalid(&self, why: impl std::fmt::Display) -> Error {
        Error::invalid("reply to", &self.what, why)
    }

    fn u32_at(&self, at: usize) -> u32 {
        read_u32(&self.buf, at).unwrap_or(0)
    }

    /// The kernel's interface version, written back into every reply.
    pub fn version(&self) -> Version {
        [
            self.u32_at(abi::OFF_VERSION),
            self.u32_at(abi::OFF_VERSION + 4),
            self.u32_at(abi::OFF_VERSION + 8),
        ]
    }

    pub fn flags(&self) -> u32 {
        self.u32_at(abi::OFF_FLAGS)
    }

    pub fn target_count(&self) -> u32 {
        self.u32_at(abi::OFF_TARGET_COUNT)
    }

    /// The device the reply describes.
    pub fn info(&self) -> DmInfo {
        let dev = read_u64(&self.buf, abi::OFF_DEV).unwrap_or(0);
        let (major, minor) = decode_dev(dev);
        DmInfo {
            name: c_str(&self.buf, abi::OFF_NAME, abi::DM_NAME_LEN),
            uuid: c_str(&self.buf, abi::OFF_UUID, abi::DM_UUID_LEN),
            major,
            minor,
            open_count: read_u32(&self.buf, abi::OFF_OPEN_COUNT)
                .map(|v| i32::from_ne_bytes(v.to_ne_bytes()))
                .unwrap_or(0),
            event_nr: self.u32_at(abi::OFF_EVENT_NR),
            target_count: self.target_count(),
            flags: self.flags(),
        }
    }

    /// The payload: `data_start..data_size`. The buffer always holds the
    /// `data_size` it was sent with and the kernel never raises it, so a
    /// larger one is refused.
    pub fn data(&self) -> Result<&[u8]> {
        let start = self.u32_at(abi::OFF_DATA_START) as usize;
        let end = self.u32_at(abi::OFF_DATA_SIZE) as usize;
        if end > self.buf.len() {
            return Err(self.invalid(format!(
                "data_size {end} beyond the {}-byte buffer",
                self.buf.len()
            )));
        }
        if end <= start {
            return Ok(&[]);
        }
        if start < abi::HEADER_MIN_DATA_SIZE {
            return Err(self.invalid(format!("data_start {start} inside the header")));
        }
        self.buf
            .get(start..end)
            .ok_or_else(|| self.invalid("payload outside the buffer"))
    }

    /// DM_LIST_DEVICES: the `dm_name_list` records.
    pub fn names(&self) -> Result<Vec<DmDevice>> {
        parse_names(self.data()?, self.version()).map_err(|why| self.invalid(why))
    }

    /// DM_TABLE_STATUS: the targets with their status or table strings.
    pub fn targets(&self) -> Result<Vec<TableLine>> {
        parse_targets(self.data()?, self.target_count()).map_err(|why| self.invalid(why))
    }

    /// DM_TABLE_DEPS: the devices under this one, as (major, minor).
    pub fn deps(&self) -> Result<Vec<(u32, u32)>> {
        parse_deps(self.data()?).map_err(|why| self.invalid(why))
    }

    /// DM_LIST_VERSIONS: the loaded target types.
    pub fn versions(&self) -> Result<Vec<TargetVersion>> {
        parse_versions(self.data()?).map_err(|why| self.invalid(why))
    }
}

fn read_u32(b: &[u8], at: usize) -> Option<u32> {
    let bytes = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_ne_bytes(bytes.try_into().ok()?))
}

fn read_u64(b: &[u8], at: usize) -> Option<u64> {
    let bytes = b.get(at..at.checked_add(8)?)?;
    Some(u64::from_ne_bytes(bytes.try_into().ok()?))
}

/// A NUL-terminated string in a fixed field (or to the end of the buffer).
fn c_str(b: &[u8], at: usize, field: usize) -> String {
    let end = at.saturating_add(field).min(b.len());
    let f = b.get(at..end).unwrap_or_default();
    let n = f.iter().position(|&c| c == 0).unwrap_or(f.len());
    String::from_utf8_lossy(f.get(..n).unwrap_or_default()).into_owned()
}

/// The NUL-terminated string at `at` within `b`; its end (after the NUL).
fn str_within(b: &[u8], at: usize) -> Result<(String, usize), String> {
    let rest = b
        .get(at..)
        .ok_or_else(|| format!("string at {at} beyond the payload"))?;
    let n = rest
        .iter()
        .position(|&c| c == 0)
        .ok_or_else(|| format!("string at {at} has no NUL"))?;
    let s = String::from_utf8_lossy(rest.get(..n).unwrap_or_default()).into_owned();
    Ok((s, at + n + 1))
}

fn need_u32(b: &[u8], at: usize, what: &str) -> Result<u32, String> {
    read_u32(b, at).ok_or_else(|| format!("{what} at {at} beyond the payload"))
}

fn need_u64(b: &[u8], at: usize, what: &str) -> Result<u64, String> {
    read_u64(b, at).ok_or_else(|| format!("{what} at {at} beyond the payload"))
}

/// dm_name_list records: `dev`, `next` (from this record, 0 on the last),
/// the name; with interface 4.38+ then `event_nr`, `flags` and maybe the
/// uuid at 8-byte alignment. An empty list is one record with dev 0.
pub fn parse_names(data: &[u8], kernel: Version) -> Result<Vec<DmDevice>, String> {
    let mut out = Vec::new();
    if data.is_empty() || need_u64(data, abi::NAMES_OFF_DEV, "dev")? == 0 {
        return Ok(out);
    }
    let has_ext = abi::at_least(kernel, abi::VERSION_NAME_LIST_EXT);
    let mut at = 0usize;
    loop {
        let dev = need_u64(data, at + abi::NAMES_OFF_DEV, "dev")?;
        let next = need_u32(data, at + abi::NAMES_OFF_NEXT, "next")? as usize;
        // This record's bytes: up to the next record, or the payload's end.
        let end = if next == 0 {
            data.len()
        } else {
            at.saturating_add(next)
        };
        let rec = data
            .get(..end)
            .ok_or_else(|| format!("record at {at}: next {next} beyond the payload"))?;
        let (name, name_end) = str_within(rec, at + abi::NAMES_OFF_NAME)
            .map_err(|e| format!("record at {at}: name: {e}"))?;
        let (mut uuid, mut event_nr) = (None, None);
        if has_ext {
            let ext = align(name_end);
            event_nr = Some(need_u32(
                rec,
                ext + abi::NAMES_EXT_OFF_EVENT_NR,
                "event_nr",
            )?);
            let flags = need_u32(rec, ext + abi::NAMES_EXT_OFF_FLAGS, "flags")?;
            if flags & abi::DM_NAME_LIST_FLAG_HAS_UUID != 0 {
                let (u, _) = str_within(rec, ext + abi::NAMES_EXT_OFF_UUID)
                    .map_err(|e| format!("record at {at}: uuid: {e}"))?;
                uuid = Some(u);
            } else if flags & abi::DM_NAME_LIST_FLAG_DOESNT_HAVE_UUID != 0 {
                uuid = Some(String::new());
            }
        }
        let (major, minor) = decode_dev(dev);
        out.push(DmDevice {
            name,
            major,
            minor,
            uuid,
            event_nr,
        });
        if next == 0 {
            return Ok(out);
        }
        // A record is at least its header and name; the next one starts
        // aligned and inside the payload.
        if next < name_end - at || !next.is_multiple_of(abi::ALIGN) || end >= data.len() {
            return Err(format!("record at {at}: bad next {next}"));
        }
        at = end;
    }
}

/// `target_count` dm_target_specs, each followed by its NUL-terminated
/// string; on output `next` is the offset of the next spec from the start
/// of the payload (dm-ioctl.c retrieve_status()).
pub fn parse_targets(data: &[u8], count: u32) -> Result<Vec<TableLine>, String> {
    // Each spec takes at least its own size: a count the payload cannot
    // hold is refused before anything is allocated for it.
    if (count as usize).saturating_mul(abi::SPEC_SIZE) > data.len() {
        return Err(format!("{count} targets do not fit {} bytes", data.len()));
    }
    let mut out = Vec::with_capacity(count as usize);
    let mut at = 0usize;
    for i in 0..count {
        if data.len() < at + abi::SPEC_SIZE {
            return Err(format!("target {i} at {at} beyond the payload"));
        }
        let start = need_u64(data, at + abi::SPEC_OFF_START, "sector_start")?;
        let length = need_u64(data, at + abi::SPEC_OFF_LENGTH, "length")?;
        let next = need_u32(data, at + abi::SPEC_OFF_NEXT, "next")? as usize;
        let target_type = c_str(data, at + abi::SPEC_OFF_TYPE, abi::DM_MAX_TYPE_NAME);
        let (params, params_end) =
            str_within(data, at + abi::SPEC_SIZE).map_err(|e| format!("target {i}: {e}"))?;
        out.push(TableLine {
            start,
            length,
            target_type,
            params,
        });
        if i + 1 < count {
            if next < params_end || !next.is_multiple_of(abi::ALIGN) || next >= data.len() {
                return Err(format!("target {i} at {at}: bad next {next}"));
            }
            at = next;
        }
    }
    Ok(out)
}

/// `struct dm_target_deps`: count, padding, `count` encoded device numbers.
pub fn parse_deps(data: &[u8]) -> Result<Vec<(u32, u32)>, String> {
    if data.is_empty() {
        return Ok(Vec::new());
    }
    let count = need_u32(data, abi::DEPS_OFF_COUNT, "count")? as usize;
    let room = data.len().saturating_sub(abi::DEPS_OFF_DEV) / 8;
    if count > room {
        return Err(format!("{count} deps do not fit {} bytes", data.len()));
    }
    (0..count)
        .map(|i| need_u64(data, abi::DEPS_OFF_DEV + 8 * i, "dev").map(decode_dev))
        .collect()
}

/// dm_target_versions records: `next` (from this record, 0 on the last),
/// version[3], name.
pub fn parse_versions(data: &[u8]) -> Result<Vec<TargetVersion>, String> {
    let mut out = Vec::new();
    if data.is_empty() {
        return Ok(out);
    }
    let mut at = 0usize;
    loop {
        let next = need_u32(data, at + abi::VERSIONS_OFF_NEXT, "next")? as usize;
        let v = at + abi::VERSIONS_OFF_VERSION;
        let version = [
            need_u32(data, v, "version")?,
            need_u32(data, v + 4, "version")?,
            need_u32(data, v + 8, "version")?,
        ];
        let end = if next == 0 {
            data.len()
        } else {
            at.saturating_add(next)
        };
        let rec = data
            .get(..end)
            .ok_or_else(|| format!("record at {at}: next {next} beyond the payload"))?;
        let (name, name_end) = str_within(rec, at + abi::VERSIONS_OFF_NAME)
            .map_err(|e| format!("record at {at}: name: {e}"))?;
        out.push(TargetVersion { name, version });
        if next == 0 {
            return Ok(out);
        }
        if next < name_end - at || end >= data.len() {
            return Err(format!("record at {at}: bad next {next}"));
        }
        at = end;
    }
}

#[cfg(test)]
mod captured;
#[cfg(test)]
mod tests;
