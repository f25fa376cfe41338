//! Golden requests, written out by hand from the dm-ioctl.h header layout
//! (x86_64, little-endian), not from the encoder's own constants:
//!
//! ```text
//! 0   version[3]   4 x 3   12  data_size  16  data_start  20  target_count
//! 24  open_count   28 flags    32  event_nr   36  padding     40  dev (u64)
//! 48  name[128]    176 uuid[129]           305 data[7]        312 payload
//! dm_target_spec: 0 sector_start  8 length  16 status  20 next  24 type[16]
//!                 40 params, NUL, zero padding to 8
//! ```

use super::*;
use crate::dm::abi::{DM_NOFLUSH_FLAG, DM_READONLY_FLAG, DM_SUSPEND_FLAG};

/// Checks `buf` is all zero except the listed (offset, bytes) runs.
fn assert_bytes(buf: &[u8], runs: &[(usize, &[u8])]) {
    let mut want = vec![0u8; buf.len()];
    for (at, bytes) in runs {
        want[*at..*at + bytes.len()].copy_from_slice(bytes);
    }
    for (i, (g, w)) in buf.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "byte {i}: got {g:#04x}, want {w:#04x}");
    }
    assert_eq!(buf.len(), want.len());
}

#[test]
fn dev_status_by_name() {
    let buf = Request::new(Cmd::DevStatus, Target::Name("vg0-root")).encode(16384);
    assert_eq!(buf.len(), 16384);
    assert_bytes(
        &buf,
        &[
            (0, &[4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), // 4.0.0
            (12, &[0x00, 0x40, 0, 0]),                  // data_size 16384
            (16, &[0x38, 0x01, 0, 0]),                  // data_start 312
            (48, b"vg0-root"),
        ],
    );
}

#[test]
fn dev_status_by_uuid_and_by_dev() {
    let buf = Request::new(Cmd::DevStatus, Target::Uuid("LVM-abc")).encode(512);
    assert_bytes(
        &buf,
        &[
            (0, &[4, 0, 0, 0]),
            (12, &[0x00, 0x02, 0, 0]),
            (16, &[0x38, 0x01, 0, 0]),
            (176, b"LVM-abc"),
        ],
    );
    // 254:0 -> 0xfe00; lookup by dev needs interface 4.3.
    let buf = Request::new(
        Cmd::DevStatus,
        Target::Dev {
            major: 254,
            minor: 0,
        },
    )
    .encode(512);
    assert_bytes(
        &buf,
        &[
            (0, &[4, 0, 0, 0, 3, 0, 0, 0]),
            (12, &[0x00, 0x02, 0, 0]),
            (16, &[0x38, 0x01, 0, 0]),
            (40, &[0x00, 0xfe]),
        ],
    );
}

#[test]
fn table_load_two_lines() {
    let lines = [
        TableLine {
            start: 0,
            length: 8,
            target_type: "linear".into(),
            params: "/dev/vda 0".into(),
        },
        TableLine {
            start: 8,
            length: 16,
            target_type: "zero".into(),
            params: String::new(),
        },
    ];
    let req = Request::new(Cmd::TableLoad, Target::Name("lin"))
        .flags(DM_READONLY_FLAG)
        .payload(Payload::Table(&lines));
    // 312 header + (40 + 11 -> 56) + (40 + 1 -> 48)
    assert_eq!(req.min_size(), 416);
    let buf = req.encode(0);
    assert_bytes(
        &buf,
        &[
            (0, &[4]),
            (12, &[0xa0, 0x01]), // data_size 416
            (16, &[0x38, 0x01]), // data_start 312
            (20, &[2]),          // target_count
            (28, &[1]),          // DM_READONLY_FLAG
            (48, b"lin"),
            // spec 1 at 312
            (312 + 8, &[8]),   // length
            (312 + 20, &[56]), // next, from this spec
            (312 + 24, b"linear"),
            (312 + 40, b"/dev/vda 0"),
            // spec 2 at 368
            (368, &[8]),
            (368 + 8, &[16]),
            (368 + 20, &[48]),
            (368 + 24, b"zero"),
        ],
    );
}

#[test]
fn table_params_backslashes_are_doubled() {
    let lines = [TableLine {
        start: 0,
        length: 1,
        target_type: "error".into(),
        params: r"a\b".into(),
    }];
    let buf = Request::new(Cmd::TableLoad, Target::Name("e"))
        .payload(Payload::Table(&lines))
        .encode(0);
    // 40 + 4 + 1 = 45 -> 48
    assert_eq!(buf.len(), 312 + 48);
    assert_eq!(&buf[352..357], b"a\\\\b\0");
    assert_eq!(buf[312 + 20], 48);
}

#[test]
fn rename_puts_the_new_name_after_the_header() {
    let req = Request::new(Cmd::DevRename, Target::Name("old")).payload(Payload::NewName("new"));
    assert_eq!(req.min_size(), 316);
    let buf = req.encode(16384);
    assert_bytes(
        &buf,
        &[
            (0, &[4]),
            (12, &[0x00, 0x40]),
            (16, &[0x38, 0x01]),
            (48, b"old"),
            (312, b"new"),
        ],
    );
}

#[test]
fn create_carries_name_and_new_uuid() {
    let mut req = Request::new(Cmd::DevCreate, Target::Name("x"));
    req.new_uuid = Some("U-1");
    let buf = req.encode(400);
    assert_bytes(
        &buf,
        &[
            (0, &[4]),
            (12, &[0x90, 0x01]),
            (16, &[0x38, 0x01]),
            (48, b"x"),
            (176, b"U-1"),
        ],
    );
}

#[test]
fn versions_are_the_minimum_each_request_needs() {
    let v = |r: Request| r.version();
    assert_eq!(v(Request::new(Cmd::Version, Target::None)), [4, 0, 0]);
    assert_eq!(v(Request::new(Cmd::ListDevices, Target::None)), [4, 0, 0]);
    assert_eq!(v(Request::new(Cmd::ListVersions, Target::None)), [4, 1, 0]);
    let suspend = Request::new(Cmd::DevSuspend, Target::Name("a")).flags(DM_SUSPEND_FLAG);
    assert_eq!(v(suspend), [4, 0, 0]);
    assert_eq!(v(suspend.flags(DM_NOFLUSH_FLAG)), [4, 12, 0]);
    let by_dev = Request::new(Cmd::TableDeps, Target::Dev { major: 1, minor: 2 });
    assert_eq!(v(by_dev), [4, 3, 0]);
    // The noflush and by-dev raises combine to the larger.
    assert_eq!(
        v(
            Request::new(Cmd::DevSuspend, Target::Dev { major: 1, minor: 2 })
                .flags(DM_NOFLUSH_FLAG)
        ),
        [4, 12, 0]
    );
}

#[test]
fn dev_numbers_round_trip_like_huge_encode_dev() {
    assert_eq!(encode_dev(254, 0), 0xfe00);
    assert_eq!(encode_dev(8, 17), 0x0811);
    // minor 0x10000: its bits above the low byte go to bit 20 and up.
    assert_eq!(encode_dev(259, 0x10000), 0x1001_0300);
    for (ma, mi) in [(254, 0), (8, 17), (259, 0x10000), (4095, 0xfffff), (7, 256)] {
        assert_eq!(decode_dev(encode_dev(ma, mi)), (ma, mi));
    }
}

#[test]
fn overlong_strings_keep_their_nul() {
    let long = "n".repeat(200);
    let buf = Request::new(Cmd::DevStatus, Target::Name(&long)).encode(512);
    assert_eq!(&buf[48..175], "n".repeat(127).as_bytes());
    assert_eq!(buf[175], 0);
    assert_eq!(buf[176], 0);
}
