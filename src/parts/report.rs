//! `rootlift parts` output: text for people, and JSON with the keys,
//! nesting and values of `sfdisk --json` (util-linux), so either can be
//! read by the same scripts.

use super::{Label, Role, Table, node_name};
use crate::json::Json;
use crate::sysfs::block::human_bytes;

pub fn json(t: &Table, device: &str) -> Json {
    let mut j = Json::new();
    j.begin_object();
    j.key("partitiontable").begin_object();
    j.key("label").str(t.label.as_str());
    j.key("id").str(&t.id);
    j.key("device").str(device);
    j.key("unit").str("sectors");
    if t.label == Label::Gpt {
        j.key("firstlba").u64(t.first_lba);
        j.key("lastlba").u64(t.last_lba);
    }
    // sfdisk shows an array length other than the usual 128, as a string.
    if let Some(n) = t.gpt_entries().filter(|&n| n != 128) {
        j.key("table-length").str(&n.to_string());
    }
    j.key("sectorsize").u64(t.sector_size);
    if !t.partitions.is_empty() {
        j.key("partitions").begin_array();
        for p in &t.partitions {
            j.begin_object();
            j.key("node").str(&node_name(device, p.number));
            j.key("start").u64(p.start);
            j.key("size").u64(p.size);
            j.key("type").str(&p.type_id);
            let optional = [("uuid", &p.uuid), ("name", &p.name), ("attrs", &p.attrs)];
            for (key, value) in optional {
                if let Some(v) = value {
                    j.key(key).str(v);
                }
            }
            if p.bootable {
                j.key("bootable").bool(true);
            }
            j.end_object();
        }
        j.end_array();
    }
    j.end_object();
    j.end_object();
    j
}

pub fn text(t: &Table, device: &str) -> String {
    let mut s = format!(
        "{device}: {} table {}, {} sectors of {} bytes, partitions from sector {} to {}\n",
        t.label.as_str(),
        t.id,
        t.disk_sectors,
        t.sector_size,
        t.first_lba,
        t.last_lba
    );
    for p in &t.partitions {
        s.push_str(&format!(
            "{}: start {} end {} sectors {} ({}) type {}",
            node_name(device, p.number),
            p.start,
            p.end(),
            p.size,
            human_bytes(p.size.saturating_mul(t.sector_size)),
            p.type_id
        ));
        let words = [
            (p.role == Role::Extended).then_some("extended"),
            (p.role == Role::Logical).then_some("logical"),
            p.bootable.then_some("bootable"),
        ];
        for w in words.into_iter().flatten() {
            s.push(' ');
            s.push_str(w);
        }
        for (key, value) in [
            (" uuid ", &p.uuid),
            (" name ", &p.name),
            (" attrs ", &p.attrs),
        ] {
            if let Some(v) = value {
                s.push_str(key);
                crate::json::escape_into(&mut s, v);
            }
        }
        s.push('\n');
    }
    s
}
