//! Expected texts are dmsetup 1.02.185's printf formats applied by hand
//! (lvm2 v2_03_16 libdm/dm-tools/dmsetup.c); the VM scenarios compare the
//! same outputs against the guest's dmsetup byte for byte.

use super::*;
use crate::dm::abi::{
    DM_ACTIVE_PRESENT_FLAG, DM_INACTIVE_PRESENT_FLAG, DM_READONLY_FLAG, DM_SUSPEND_FLAG,
};

fn info(flags: u32, uuid: &str) -> DmInfo {
    DmInfo {
        name: "vg0-root".into(),
        uuid: uuid.into(),
        major: 254,
        minor: 3,
        open_count: 1,
        event_nr: 0,
        target_count: 1,
        flags,
    }
}

#[test]
fn info_long_form() {
    assert_eq!(
        info_text(&info(DM_ACTIVE_PRESENT_FLAG, "LVM-abc"), Some(256)),
        "Name:              vg0-root\n\
         State:             ACTIVE\n\
         Read Ahead:        256\n\
         Tables present:    LIVE\n\
         Open count:        1\n\
         Event number:      0\n\
         Major, minor:      254, 3\n\
         Number of targets: 1\n\
         UUID: LVM-abc\n\
         \n"
    );
    let all =
        DM_ACTIVE_PRESENT_FLAG | DM_INACTIVE_PRESENT_FLAG | DM_SUSPEND_FLAG | DM_READONLY_FLAG;
    let t = info_text(&info(all, ""), None);
    assert!(t.contains("State:             SUSPENDED (READ-ONLY)\n"));
    assert!(t.contains("Tables present:    LIVE & INACTIVE\n"));
    assert!(!t.contains("Read Ahead") && !t.contains("UUID"));
    let t = info_text(&info(0, ""), None);
    assert!(t.contains("Tables present:    None\n"));
    let t = info_text(&info(DM_INACTIVE_PRESENT_FLAG, ""), None);
    assert!(t.contains("Tables present:    INACTIVE\n"));
}

#[test]
fn ls_lines_and_empty() {
    let d = |name: &str, minor| DmDevice {
        name: name.into(),
        major: 254,
        minor,
        uuid: None,
        event_nr: None,
    };
    assert_eq!(ls_text(&[]), "No devices found\n");
    assert_eq!(
        ls_text(&[d("a", 0), d("vg0-root", 1)]),
        "a\t(254:0)\nvg0-root\t(254:1)\n"
    );
    let j = ls_json(&[DmDevice {
        uuid: Some("LVM-x".into()),
        event_nr: Some(2),
        ..d("a", 0)
    }])
    .finish();
    assert_eq!(
        j,
        r#"[{"name":"a","dev":"254:0","major":254,"minor":0,"uuid":"LVM-x","event_nr":2}]"#
    );
}

#[test]
fn table_lines_keep_the_space_after_the_type() {
    let l = |s, n, t: &str, p: &str| TableLine {
        start: s,
        length: n,
        target_type: t.into(),
        params: p.into(),
    };
    assert_eq!(
        table_text(&[l(0, 8, "linear", "254:16 0"), l(8, 8, "zero", "")], true),
        "0 8 linear 254:16 0\n8 8 zero \n"
    );
    assert_eq!(table_text(&[], false), "\n");
}

#[test]
fn keys_are_hidden_like_dmsetup() {
    assert_eq!(
        hide_keys("crypt", "aes-xts-plain64 0123abcd 0 254:1 4096"),
        "aes-xts-plain64 00000000 0 254:1 4096"
    );
    assert_eq!(
        hide_keys(
            "crypt",
            "aes-xts-plain64 :64:logon:cryptsetup:x 0 254:1 4096"
        ),
        "aes-xts-plain64 :64:logon:cryptsetup:x 0 254:1 4096"
    );
    assert_eq!(hide_keys("crypt", "nospace"), "nospace");
    assert_eq!(
        hide_keys(
            "integrity",
            "254:1 0 32 J 2 internal_hash:crc32c journal_mac:hmac(sha256):abcd"
        ),
        "254:1 0 32 J 2 internal_hash:crc32c journal_mac:hmac(sha256):0000"
    );
    assert_eq!(hide_keys("linear", "254:1 0"), "254:1 0");
    // status is never hidden (dmsetup hides only in `table`)
    let l = TableLine {
        start: 0,
        length: 1,
        target_type: "crypt".into(),
        params: "c k".into(),
    };
    assert_eq!(
        table_text(std::slice::from_ref(&l), false),
        "0 1 crypt c k\n"
    );
    assert_eq!(table_text(&[l], true), "0 1 crypt c 0\n");
}

#[test]
fn deps_and_targets() {
    let deps = [
        Dep {
            major: 254,
            minor: 16,
            path: Some("/dev/vdb".into()),
        },
        Dep {
            major: 8,
            minor: 0,
            path: None,
        },
    ];
    assert_eq!(deps_text(&deps), "2 dependencies\t: (254, 16) (8, 0)\n");
    assert_eq!(deps_text(&[]), "0 dependencies\t:\n");
    assert!(
        deps_json(&info(0, ""), &deps)
            .finish()
            .contains(r#"{"dev":"254:16","major":254,"minor":16,"path":"/dev/vdb"}"#)
    );
    let v = [
        TargetVersion {
            name: "striped".into(),
            version: [1, 6, 0],
        },
        TargetVersion {
            name: "a-very-long-target-name".into(),
            version: [1, 0, 12],
        },
    ];
    assert_eq!(
        targets_text(&v),
        "striped          v1.6.0\na-very-long-target-name v1.0.12\n"
    );
    assert_eq!(version_text([4, 48, 0]), "Driver version:    4.48.0\n");
}

#[test]
fn info_json_has_every_field() {
    let j = info_json(&info(DM_ACTIVE_PRESENT_FLAG, ""), Some(256)).finish();
    assert_eq!(
        j,
        r#"{"name":"vg0-root","uuid":null,"dev":"254:3","major":254,"minor":3,"state":"ACTIVE","suspended":false,"read_only":false,"deferred_remove":false,"live_table":true,"inactive_table":false,"open_count":1,"event_nr":0,"target_count":1,"read_ahead":256,"flags":32}"#
    );
}
