//! What a user hands `rootlift dm`: device names, uuids, `NAME|UUID|MAJ:MIN`
//! specs and table lines, checked before any ioctl so that bad input
//! changes nothing. The limits are the kernel's (dm-ioctl.h DM_NAME_LEN,
//! DM_UUID_LEN, DM_MAX_TYPE_NAME; dm-ioctl.c check_name(); dm-table.c
//! dm_table_add_target()); the line syntax is dmsetup(8)'s
//! `START LENGTH TYPE ARGS`, with `#` comments and blank lines skipped.

use super::abi::{DM_MAX_TYPE_NAME, DM_NAME_LEN, DM_UUID_LEN};
use super::request::TableLine;
use crate::error::{Error, Result};

/// A table file larger than this is refused rather than read.
pub const MAX_TABLE_FILE: u64 = 1 << 20;

/// A name the kernel will accept for a new device or a rename.
pub fn check_name(name: &str) -> Result<()> {
    let why = if name.is_empty() {
        "is empty"
    } else if name.len() >= DM_NAME_LEN {
        "is longer than 127 bytes (DM_NAME_LEN)"
    } else if name.contains('/') {
        "contains '/'"
    } else if name.contains('\0') {
        "contains a NUL byte"
    } else if matches!(name, "." | ".." | "control") {
        "is reserved"
    } else {
        return Ok(());
    };
    Err(Error::usage(format!("device name '{name}' {why}")))
}

/// A uuid the kernel will accept.
pub fn check_uuid(uuid: &str) -> Result<()> {
    let why = if uuid.is_empty() {
        "is empty"
    } else if uuid.len() >= DM_UUID_LEN {
        "is longer than 128 bytes (DM_UUID_LEN)"
    } else if uuid.contains('\0') {
        "contains a NUL byte"
    } else {
        return Ok(());
    };
    Err(Error::usage(format!("device uuid '{uuid}' {why}")))
}

/// How a read command's device argument may be looked up, in the order to
/// try: `MAJ:MIN` is a device number; anything else is a name, then a uuid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spec {
    Dev(u32, u32),
    NameOrUuid { name: bool, uuid: bool },
}

pub fn parse_spec(spec: &str) -> Result<Spec> {
    if let Some((a, b)) = spec.split_once(':')
        && let (Some(ma), Some(mi)) = (decimal_u32(a), decimal_u32(b))
    {
        return Ok(Spec::Dev(ma, mi));
    }
    let ok = !spec.is_empty() && !spec.contains('\0');
    let name = ok && spec.len() < DM_NAME_LEN;
    let uuid = ok && spec.len() < DM_UUID_LEN;
    if !name && !uuid {
        return Err(Error::usage(format!(
            "'{spec}' is neither a device name (at most 127 bytes), a uuid (at most 128) nor MAJ:MIN"
        )));
    }
    Ok(Spec::NameOrUuid { name, uuid })
}

fn decimal_u32(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn decimal_u64(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses table text (lines from `--table` values or a `--table-file`) as
/// dmsetup does — surrounding white space trimmed, blank and `#` lines
/// skipped, a `#` in the params ends them — and checks the table as the
/// kernel will: targets start at 0, each begins where the last ended, none
/// is empty, type names fit DM_MAX_TYPE_NAME.
pub fn parse_table<'a>(
    texts: impl IntoIterator<Item = &'a str>,
    source: &str,
) -> Result<Vec<TableLine>> {
    let mut lines = Vec::new();
    let mut n = 0usize;
    for text in texts {
        for raw in text.split('\n') {
            n += 1;
            if let Some(l) = parse_line(raw).map_err(|why| {
                Error::usage(format!(
                    "table line {n} of {source}: {why}: '{}'",
                    raw.trim()
                ))
            })? {
                lines.push(l);
            }
        }
    }
    if lines.is_empty() {
        return Err(Error::usage(format!(
            "the table from {source} has no lines"
        )));
    }
    let mut end = 0u64;
    for (i, l) in lines.iter().enumerate() {
        if l.start != end {
            return Err(Error::usage(format!(
                "table from {source}: target {} starts at sector {} but the previous ends at {end} (targets must be contiguous from 0)",
                i + 1,
                l.start
            )));
        }
        end = l.start.checked_add(l.length).ok_or_else(|| {
            Error::usage(format!(
                "table from {source}: target {} ends past 2^64 sectors",
                i + 1
            ))
        })?;
    }
    Ok(lines)
}

/// One line, or None for a blank or comment line.
fn parse_line(raw: &str) -> Result<Option<TableLine>, String> {
    let line = raw.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    if line.contains('\0') {
        return Err("contains a NUL byte".into());
    }
    let mut rest = line;
    let mut word = || {
        let w = rest.split(char::is_whitespace).next().unwrap_or("");
        rest = rest.get(w.len()..).unwrap_or("").trim_start();
        w
    };
    let (start, length, target_type) = (word(), word(), word());
    if target_type.is_empty() {
        return Err("expected START LENGTH TYPE [ARGS]".into());
    }
    let start = decimal_u64(start).ok_or("START is not a sector number")?;
    let length = decimal_u64(length).ok_or("LENGTH is not a sector count")?;
    if length == 0 {
        return Err("LENGTH is 0".into());
    }
    if target_type.len() >= DM_MAX_TYPE_NAME {
        return Err("target type longer than 15 bytes (DM_MAX_TYPE_NAME)".into());
    }
    let params = match rest.find('#') {
        Some(i) => rest.get(..i).unwrap_or(""),
        None => rest,
    };
    Ok(Some(TableLine {
        start,
        length,
        target_type: target_type.to_owned(),
        params: params.to_owned(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(r: Result<impl std::fmt::Debug>) -> String {
        match r {
            Err(e) => match e.kind() {
                crate::error::Kind::Usage(m) => m.clone(),
                _ => panic!("expected a usage error, got {e}"),
            },
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn names() {
        check_name("vg0-root").unwrap();
        check_name(&"a".repeat(127)).unwrap();
        assert!(usage(check_name(&"a".repeat(128))).contains("DM_NAME_LEN"));
        assert!(usage(check_name("")).contains("empty"));
        assert!(usage(check_name("a/b")).contains("'/'"));
        assert!(usage(check_name("a\0b")).contains("NUL"));
        for r in [".", "..", "control"] {
            assert!(usage(check_name(r)).contains("reserved"));
        }
    }

    #[test]
    fn uuids() {
        check_uuid("LVM-abc").unwrap();
        check_uuid(&"u".repeat(128)).unwrap();
        assert!(usage(check_uuid(&"u".repeat(129))).contains("DM_UUID_LEN"));
        assert!(usage(check_uuid("")).contains("empty"));
    }

    #[test]
    fn specs() {
        assert_eq!(parse_spec("254:3").unwrap(), Spec::Dev(254, 3));
        let both = Spec::NameOrUuid {
            name: true,
            uuid: true,
        };
        assert_eq!(parse_spec("vg0-root").unwrap(), both);
        assert_eq!(parse_spec("a:b").unwrap(), both);
        assert_eq!(parse_spec("254:").unwrap(), both);
        assert_eq!(
            parse_spec(&"u".repeat(128)).unwrap(),
            Spec::NameOrUuid {
                name: false,
                uuid: true
            }
        );
        usage(parse_spec(&"u".repeat(129)));
        usage(parse_spec(""));
    }

    #[test]
    fn table_lines_like_dmsetup() {
        let t = parse_table(
            [
                "  0 8 linear /dev/vda 0  ",
                "# comment\n\n8 16 zero\n24 8 linear /dev/vdb 2048 # trailing",
            ],
            "--table",
        )
        .unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(
            t[0],
            TableLine {
                start: 0,
                length: 8,
                target_type: "linear".into(),
                params: "/dev/vda 0".into()
            }
        );
        assert_eq!(
            (t[1].target_type.as_str(), t[1].params.as_str()),
            ("zero", "")
        );
        assert_eq!(t[2].params, "/dev/vdb 2048 ");
        // tabs separate words too
        let t = parse_table(["0\t8\tstriped\t2 8 /dev/a 0 /dev/b 0"], "x").unwrap();
        assert_eq!(t[0].params, "2 8 /dev/a 0 /dev/b 0");
    }

    #[test]
    fn every_bad_table_is_a_usage_error() {
        let bad = |s: &str| usage(parse_table([s], "--table"));
        assert!(bad("0 8").contains("START LENGTH TYPE"));
        assert!(bad("x 8 zero").contains("START"));
        assert!(bad("-1 8 zero").contains("START"));
        assert!(bad("+0 8 zero").contains("START"));
        assert!(bad("0 8x zero").contains("LENGTH"));
        assert!(bad("0 0 zero").contains("LENGTH is 0"));
        assert!(bad("0 99999999999999999999 zero").contains("LENGTH"));
        assert!(bad("0 8 averyveryverylongtype").contains("DM_MAX_TYPE_NAME"));
        assert!(bad("8 8 zero").contains("contiguous"));
        assert!(bad("0 8 zero\n9 8 zero").contains("contiguous"));
        assert!(bad("0 18446744073709551615 zero\n18446744073709551615 1 zero").contains("2^64"));
        assert!(bad("# only a comment\n").contains("no lines"));
        assert!(bad("0 8 zero a\0b").contains("NUL"));
        // the message names the line
        assert!(bad("0 8 zero\n8 x zero").contains("line 2"));
    }
}
