//! Output of the read commands: human text byte-for-byte as dmsetup(8)
//! 1.02 prints it (lvm2 libdm/dm-tools/dmsetup.c: `_display_name`,
//! `_display_info_long`, `_status`, `_deps`, `_targets`, `_version`), and
//! one JSON document each for `--json`.

use std::fmt::Write as _;

use super::abi::Version;
use super::reply::{DmDevice, DmInfo, TargetVersion};
use super::request::TableLine;
use crate::json::Json;

/// A resolved dependency: its number and the name sysfs knows it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dep {
    pub major: u32,
    pub minor: u32,
    /// `/dev/vda`, `/dev/mapper/NAME`; None when sysfs has no entry.
    pub path: Option<String>,
}

/// `dmsetup version`'s driver line (the library line has no equivalent:
/// rootlift is not libdm).
pub fn version_text(v: Version) -> String {
    format!("Driver version:    {}.{}.{}\n", v[0], v[1], v[2])
}

pub fn version_json(v: Version) -> Json {
    let mut j = Json::new();
    j.begin_object();
    j.key("driver_version")
        .str(&format!("{}.{}.{}", v[0], v[1], v[2]));
    j.key("major").u64(v[0].into());
    j.key("minor").u64(v[1].into());
    j.key("patchlevel").u64(v[2].into());
    j.end_object();
    j
}

/// `dmsetup ls`: `NAME\t(MAJ:MIN)` per device, in the kernel's order.
pub fn ls_text(devs: &[DmDevice]) -> String {
    if devs.is_empty() {
        return "No devices found\n".to_owned();
    }
    let mut s = String::new();
    for d in devs {
        let _ = writeln!(s, "{}\t({}:{})", d.name, d.major, d.minor);
    }
    s
}

pub fn ls_json(devs: &[DmDevice]) -> Json {
    let mut j = Json::new();
    j.begin_array();
    for d in devs {
        j.begin_object();
        j.key("name").str(&d.name);
        j.key("dev").str(&format!("{}:{}", d.major, d.minor));
        j.key("major").u64(d.major.into());
        j.key("minor").u64(d.minor.into());
        j.key("uuid")
            .opt_str(d.uuid.as_deref().filter(|u| !u.is_empty()));
        j.key("event_nr").opt_u64(d.event_nr.map(u64::from));
        j.end_object();
    }
    j.end_array();
    j
}

/// `dmsetup info NAME` (the long form), `read_ahead` from sysfs as libdm
/// reads it; its line is left out when unknown, as dmsetup does.
pub fn info_text(i: &DmInfo, read_ahead: Option<u32>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Name:              {}", i.name);
    let _ = writeln!(
        s,
        "State:             {}{}{}",
        if i.suspended() { "SUSPENDED" } else { "ACTIVE" },
        if i.read_only() { " (READ-ONLY)" } else { "" },
        if i.deferred_remove() {
            " (DEFERRED REMOVE)"
        } else {
            ""
        }
    );
    if let Some(ra) = read_ahead {
        let _ = writeln!(s, "Read Ahead:        {ra}");
    }
    let tables = match (i.live_table(), i.inactive_table()) {
        (false, false) => "None",
        (true, false) => "LIVE",
        (false, true) => "INACTIVE",
        (true, true) => "LIVE & INACTIVE",
    };
    let _ = writeln!(s, "Tables present:    {tables}");
    let _ = writeln!(s, "Open count:        {}", i.open_count);
    let _ = writeln!(s, "Event number:      {}", i.event_nr);
    let _ = writeln!(s, "Major, minor:      {}, {}", i.major, i.minor);
    let _ = writeln!(s, "Number of targets: {}", i.target_count);
    if !i.uuid.is_empty() {
        let _ = writeln!(s, "UUID: {}", i.uuid);
    }
    s.push('\n');
    s
}

pub fn info_json(i: &DmInfo, read_ahead: Option<u32>) -> Json {
    let mut j = Json::new();
    j.begin_object();
    j.key("name").str(&i.name);
    j.key("uuid")
        .opt_str(Some(i.uuid.as_str()).filter(|u| !u.is_empty()));
    j.key("dev").str(&format!("{}:{}", i.major, i.minor));
    j.key("major").u64(i.major.into());
    j.key("minor").u64(i.minor.into());
    j.key("state")
        .str(if i.suspended() { "SUSPENDED" } else { "ACTIVE" });
    j.key("suspended").bool(i.suspended());
    j.key("read_only").bool(i.read_only());
    j.key("deferred_remove").bool(i.deferred_remove());
    j.key("live_table").bool(i.live_table());
    j.key("inactive_table").bool(i.inactive_table());
    j.key("open_count").i64(i.open_count.into());
    j.key("event_nr").u64(i.event_nr.into());
    j.key("target_count").u64(i.target_count.into());
    j.key("read_ahead").opt_u64(read_ahead.map(u64::from));
    j.key("flags").u64(i.flags.into());
    j.end_object();
    j
}

/// `dmsetup table` / `dmsetup status`: `START LENGTH TYPE PARAMS` per
/// target (the space after TYPE is there even with no params), or one
/// empty line for a device without a live table. `table` hides keys as
/// dmsetup does without --showkeys.
pub fn table_text(lines: &[TableLine], table: bool) -> String {
    if lines.is_empty() {
        return "\n".to_owned();
    }
    let mut s = String::new();
    for l in lines {
        let params = if table {
            hide_keys(&l.target_type, &l.params)
        } else {
            l.params.clone()
        };
        let _ = writeln!(s, "{} {} {} {}", l.start, l.length, l.target_type, params);
    }
    s
}

pub fn table_json(i: &DmInfo, lines: &[TableLine], table: bool) -> Json {
    let mut j = Json::new();
    j.begin_object();
    j.key("name").str(&i.name);
    j.key("targets").begin_array();
    for l in lines {
        j.begin_object();
        j.key("start").u64(l.start);
        j.key("length").u64(l.length);
        j.key("target_type").str(&l.target_type);
        let params = if table {
            hide_keys(&l.target_type, &l.params)
        } else {
            l.params.clone()
        };
        j.key("params").str(&params);
        j.end_object();
    }
    j.end_array();
    j.end_object();
    j
}

/// dmsetup's key hiding: a crypt table's second word (the key) becomes
/// zeros unless it is a kernel keyring reference (`:...`); an integrity
/// table's `internal_hash:`, `journal_crypt:`, `journal_mac:` keys too.
pub fn hide_keys(target_type: &str, params: &str) -> String {
    let mut p = params.as_bytes().to_vec();
    match target_type {
        "crypt" => {
            let key = p.iter().position(|&c| c == b' ').map(|i| i + 1);
            if let Some(k) = key.filter(|&k| p.get(k) != Some(&b':')) {
                zero_word(&mut p, k);
            }
        }
        "integrity" => {
            for name in ["internal_hash:", "journal_crypt:", "journal_mac:"] {
                hide_key(&mut p, name.as_bytes());
            }
        }
        _ => return params.to_owned(),
    }
    String::from_utf8_lossy(&p).into_owned()
}

/// dmsetup's hide_key(): after `name`, the next ` ` or `:`; if `:`, the
/// word after it is a key.
fn hide_key(p: &mut [u8], name: &[u8]) {
    let Some(at) = p.windows(name.len()).position(|w| w == name) else {
        return;
    };
    let after = at + name.len();
    let sep = p
        .get(after..)
        .and_then(|r| r.iter().position(|&c| c == b' ' || c == b':'));
    if let Some(i) = sep.map(|i| after + i)
        && p.get(i) == Some(&b':')
    {
        zero_word(p, i + 1);
    }
}

fn zero_word(p: &mut [u8], from: usize) {
    for c in p.iter_mut().skip(from).take_while(|c| **c != b' ') {
        *c = b'0';
    }
}

/// `dmsetup deps`: `N dependencies\t:` then ` (MAJ, MIN)` for each.
pub fn deps_text(deps: &[Dep]) -> String {
    let mut s = format!("{} dependencies\t:", deps.len());
    for d in deps {
        let _ = write!(s, " ({}, {})", d.major, d.minor);
    }
    s.push('\n');
    s
}

pub fn deps_json(i: &DmInfo, deps: &[Dep]) -> Json {
    let mut j = Json::new();
    j.begin_object();
    j.key("name").str(&i.name);
    j.key("count").u64(deps.len() as u64);
    j.key("devices").begin_array();
    for d in deps {
        j.begin_object();
        j.key("dev").str(&format!("{}:{}", d.major, d.minor));
        j.key("major").u64(d.major.into());
        j.key("minor").u64(d.minor.into());
        j.key("path").opt_str(d.path.as_deref());
        j.end_object();
    }
    j.end_array();
    j.end_object();
    j
}

/// `dmsetup targets`: `%-16s v%d.%d.%d` per target type.
pub fn targets_text(v: &[TargetVersion]) -> String {
    let mut s = String::new();
    for t in v {
        let [a, b, c] = t.version;
        let _ = writeln!(s, "{:<16} v{a}.{b}.{c}", t.name);
    }
    s
}

pub fn targets_json(v: &[TargetVersion]) -> Json {
    let mut j = Json::new();
    j.begin_array();
    for t in v {
        let [a, b, c] = t.version;
        j.begin_object();
        j.key("name").str(&t.name);
        j.key("version").str(&format!("{a}.{b}.{c}"));
        j.end_object();
    }
    j.end_array();
    j
}

#[cfg(test)]
mod tests;
