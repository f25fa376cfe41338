//! Replies built by hand from the dm-ioctl.h layout (little-endian), the
//! way drivers/md/dm-ioctl.c fills them:
//!
//! - list_devices(): per record `dev u64, next u32, name, NUL`, then at the
//!   next 8-byte boundary `event_nr u32, flags u32` and, with
//!   DM_NAME_LIST_FLAG_HAS_UUID, the uuid and its NUL; `next` is relative to
//!   the record, 0 on the last; data_size = data_start + needed.
//! - retrieve_status(): per target a 40-byte spec then the string and its
//!   NUL; `next` is the aligned offset of the following spec from the start
//!   of the payload; data_size = data_start + bytes used (unaligned).
//! - retrieve_deps(): `count u32, padding u32, dev u64 x count`.
//! - list_versions(): per record `next u32, version u32 x 3, name, NUL`,
//!   8-aligned, `next` relative, 0 on the last.
//!
//! The VM scenario dm_read.sh compares the same parsers against a live
//! kernel through dmsetup.

use super::*;

fn le32(v: u32) -> [u8; 4] {
    v.to_le_bytes()
}
fn le64(v: u64) -> [u8; 8] {
    v.to_le_bytes()
}

/// A reply: header with version 4.48.0, data_start 312, the given flags,
/// target_count and payload, data_size = 312 + payload.
fn reply(version: [u32; 3], flags: u32, target_count: u32, payload: &[u8]) -> Reply {
    let mut b = vec![0u8; 312 + payload.len() + 64];
    b[0..4].copy_from_slice(&le32(version[0]));
    b[4..8].copy_from_slice(&le32(version[1]));
    b[8..12].copy_from_slice(&le32(version[2]));
    b[12..16].copy_from_slice(&le32(312 + payload.len() as u32));
    b[16..20].copy_from_slice(&le32(312));
    b[20..24].copy_from_slice(&le32(target_count));
    b[28..32].copy_from_slice(&le32(flags));
    b[312..312 + payload.len()].copy_from_slice(payload);
    Reply::new(b, "DM_TEST t".into())
}

/// Two devices: `lin` (254:0, no uuid) and `vg0-root` (254:1, an LVM uuid).
fn two_names() -> Vec<u8> {
    let mut p = Vec::new();
    // record 0 at 0
    p.extend(le64(0xfe00)); // dev 254:0
    p.extend(le32(24)); // next
    p.extend(b"lin\0"); // 12..16
    p.extend(le32(0)); // event_nr at align(16) = 16
    p.extend(le32(2)); // DOESNT_HAVE_UUID -> next record at 24
    // record 1 at 24
    p.extend(le64(0xfe01));
    p.extend(le32(0));
    p.extend(b"vg0-root\0"); // 36..45
    p.extend([0, 0, 0]); // pad to 48
    p.extend(le32(7)); // event_nr
    p.extend(le32(1)); // HAS_UUID
    p.extend(b"LVM-xyz\0"); // 56..64
    assert_eq!(p.len(), 64);
    p
}

#[test]
fn name_list_with_uuids() {
    let r = reply([4, 48, 0], 0, 0, &two_names());
    let names = r.names().unwrap();
    assert_eq!(
        names,
        vec![
            DmDevice {
                name: "lin".into(),
                major: 254,
                minor: 0,
                uuid: Some(String::new()),
                event_nr: Some(0),
            },
            DmDevice {
                name: "vg0-root".into(),
                major: 254,
                minor: 1,
                uuid: Some("LVM-xyz".into()),
                event_nr: Some(7),
            },
        ]
    );
}

#[test]
fn name_list_from_an_old_kernel_has_no_extension() {
    // Interface 4.37: records are just dev, next, name.
    let mut p = Vec::new();
    p.extend(le64(0xfe00));
    p.extend(le32(16));
    p.extend(b"a\0\0\0");
    p.extend(le64(0xfe01));
    p.extend(le32(0));
    p.extend(b"b\0");
    let names = reply([4, 37, 0], 0, 0, &p).names().unwrap();
    assert_eq!(names.len(), 2);
    assert_eq!((names[1].name.as_str(), names[1].uuid.clone()), ("b", None));
    assert_eq!(names[0].event_nr, None);
}

#[test]
fn empty_name_list_is_one_record_with_dev_zero() {
    let mut p = vec![0u8; 16];
    p[8] = 0;
    assert!(reply([4, 48, 0], 0, 0, &p).names().unwrap().is_empty());
    assert!(reply([4, 48, 0], 0, 0, &[]).names().unwrap().is_empty());
}

#[test]
fn name_list_mutations_are_refused() {
    let good = two_names();
    let bad = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut p = good.clone();
        f(&mut p);
        reply([4, 48, 0], 0, 0, &p).names().unwrap_err().to_string()
    };
    // next cutting into its own name or extension, unaligned, at or past
    // the end of the payload
    assert!(bad(&|p| p[8] = 8).contains("name"));
    assert!(bad(&|p| p[8] = 20).contains("flags"));
    assert!(!bad(&|p| p[8] = 32).is_empty()); // lands mid-record: garbage refused
    assert!(bad(&|p| p[8] = 64).contains("bad next"));
    assert!(bad(&|p| p[8] = 200).contains("beyond"));
    // a name whose NUL is overwritten runs into its extension
    assert!(bad(&|p| p[15] = b'x').contains("event_nr"));
    // a uuid running off the payload
    assert!(bad(&|p| p[63] = b'x').contains("uuid"));
    // truncated payload: the second record's extension is gone
    let r = reply([4, 48, 0], 0, 0, &good[..46]);
    assert!(r.names().is_err());
}

/// linear `254:16 0` over 0..8, zero over 8..24.
fn two_specs() -> Vec<u8> {
    let mut p = Vec::new();
    p.extend(le64(0));
    p.extend(le64(8));
    p.extend(le32(0)); // status
    p.extend(le32(56)); // next: 40 + 9 -> 56, from the payload start
    p.extend(b"linear\0\0\0\0\0\0\0\0\0\0");
    p.extend(b"254:16 0\0"); // 40..49
    p.extend([0u8; 7]); // pad to 56
    p.extend(le64(8));
    p.extend(le64(16));
    p.extend(le32(0));
    p.extend(le32(104)); // align(56 + 41)
    p.extend(b"zero\0\0\0\0\0\0\0\0\0\0\0\0");
    p.extend(b"\0"); // 96..97 = data used
    p
}

#[test]
fn table_status_specs() {
    let r = reply([4, 48, 0], 0, 2, &two_specs());
    assert_eq!(
        r.targets().unwrap(),
        vec![
            TableLine {
                start: 0,
                length: 8,
                target_type: "linear".into(),
                params: "254:16 0".into()
            },
            TableLine {
                start: 8,
                length: 16,
                target_type: "zero".into(),
                params: String::new()
            },
        ]
    );
    // No live table: target_count 0, data_size 305 (no payload).
    let mut empty = reply([4, 48, 0], 0, 0, &[]);
    empty.buf[12..16].copy_from_slice(&le32(305));
    assert!(empty.targets().unwrap().is_empty());
}

#[test]
fn table_status_mutations_are_refused() {
    let good = two_specs();
    let bad = |count: u32, f: &dyn Fn(&mut Vec<u8>)| {
        let mut p = good.clone();
        f(&mut p);
        reply([4, 48, 0], 0, count, &p)
            .targets()
            .unwrap_err()
            .to_string()
    };
    assert!(bad(2, &|p| p[20] = 48).contains("bad next")); // into the params
    assert!(bad(2, &|p| p[20] = 57).contains("bad next")); // unaligned
    assert!(bad(2, &|p| p[20] = 200).contains("bad next")); // past the end
    // params running over the next spec's start
    assert!(bad(2, &|p| p[48..56].fill(b'x')).contains("bad next"));
    assert!(bad(2, &|p| p[96] = b'x').contains("no NUL"));
    assert!(bad(3, &|_| {}).contains("do not fit"));
    assert!(bad(1_000_000, &|_| {}).contains("do not fit"));
}

#[test]
fn deps_list() {
    let mut p = Vec::new();
    p.extend(le32(2));
    p.extend(le32(0));
    p.extend(le64(0xfe10)); // 254:16
    p.extend(le64(0x0800)); // 8:0
    let r = reply([4, 48, 0], 0, 0, &p);
    assert_eq!(r.deps().unwrap(), vec![(254, 16), (8, 0)]);
    p[0] = 3;
    assert!(reply([4, 48, 0], 0, 0, &p).deps().is_err());
    p[0..4].copy_from_slice(&le32(u32::MAX));
    assert!(reply([4, 48, 0], 0, 0, &p).deps().is_err());
}

#[test]
fn target_versions() {
    let mut p = Vec::new();
    p.extend(le32(24)); // next: align(16 + 7)
    p.extend(le32(1));
    p.extend(le32(4));
    p.extend(le32(0));
    p.extend(b"linear\0\0");
    p.extend(le32(0));
    p.extend(le32(1));
    p.extend(le32(6));
    p.extend(le32(0));
    p.extend(b"striped\0");
    let r = reply([4, 48, 0], 0, 0, &p);
    assert_eq!(
        r.versions().unwrap(),
        vec![
            TargetVersion {
                name: "linear".into(),
                version: [1, 4, 0]
            },
            TargetVersion {
                name: "striped".into(),
                version: [1, 6, 0]
            },
        ]
    );
    let mut bad = p.clone();
    bad[0] = 8; // into its own name
    assert!(reply([4, 48, 0], 0, 0, &bad).versions().is_err());
    let mut bad = p.clone();
    bad[0] = 100;
    assert!(reply([4, 48, 0], 0, 0, &bad).versions().is_err());
    let mut bad = p;
    bad[47] = b'x';
    assert!(reply([4, 48, 0], 0, 0, &bad).versions().is_err());
}

#[test]
fn header_fields() {
    let mut r = reply([4, 48, 0], 0x21, 3, &[]);
    r.buf[24..28].copy_from_slice(&(-1i32).to_le_bytes());
    r.buf[32..36].copy_from_slice(&le32(5));
    r.buf[40..48].copy_from_slice(&le64(0xfe02));
    r.buf[48..51].copy_from_slice(b"abc");
    r.buf[176..181].copy_from_slice(b"LVM-1");
    let i = r.info();
    assert_eq!(r.version(), [4, 48, 0]);
    assert_eq!((i.name.as_str(), i.uuid.as_str()), ("abc", "LVM-1"));
    assert_eq!(
        (i.major, i.minor, i.open_count, i.event_nr),
        (254, 2, -1, 5)
    );
    assert_eq!(i.target_count, 3);
    assert!(i.read_only() && i.live_table() && !i.suspended() && !i.inactive_table());
}

#[test]
fn a_header_pointing_data_into_itself_is_refused() {
    let mut r = reply([4, 48, 0], 0, 0, &[1, 2, 3]);
    r.buf[16..20].copy_from_slice(&le32(100));
    assert_eq!(
        r.data().unwrap_err().to_string(),
        "reply to DM_TEST t: data_start 100 inside the header"
    );
    // data_size past the buffer is refused, never read beyond.
    let mut r = reply([4, 48, 0], 0, 0, &[]);
    r.buf[12..16].copy_from_slice(&le32(377));
    assert!(
        r.data()
            .unwrap_err()
            .to_string()
            .contains("beyond the 376-byte buffer")
    );
    // no payload: data_size 305 (dm-ioctl.c ctl_ioctl's default)
    r.buf[12..16].copy_from_slice(&le32(305));
    assert!(r.data().unwrap().is_empty());
}
