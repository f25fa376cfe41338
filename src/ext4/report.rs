//! `rootlift ext4` output: the human form uses dumpe2fs -h's labels and
//! value formats (e2fsprogs lib/e2p/ls.c, list_super2), then rootlift's own
//! verdicts; the JSON form is one object with stable snake_case keys.

use std::fmt::Write as _;

use super::Inspection;
use super::features::RO_COMPAT_METADATA_CSUM;
use super::features::{COMPAT_ORPHAN_FILE, INCOMPAT_64BIT, INCOMPAT_CSUM_SEED, RO_COMPAT_BIGALLOC};
use super::superblock::{
    EXT2_FLAGS_SIGNED_HASH, EXT2_FLAGS_TEST_FILESYS, EXT2_FLAGS_UNSIGNED_HASH,
};
use crate::json::Json;
use crate::probe::text::uuid;

/// One `Label:   value` line, the label padded to dumpe2fs's 26 columns.
fn line(out: &mut String, label: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "{:<26}{value}", format!("{label}:"));
}

/// e2p_mntopt2string() over s_default_mount_opts (lib/e2p/mntopts.c).
fn mount_opts(mask: u32) -> String {
    const JMODE: u32 = 0x0060;
    const NAMES: &[(u32, &str)] = &[
        (0x0001, "debug"),
        (0x0002, "bsdgroups"),
        (0x0004, "user_xattr"),
        (0x0008, "acl"),
        (0x0010, "uid16"),
        (0x0100, "nobarrier"),
        (0x0200, "block_validity"),
        (0x0400, "discard"),
        (0x0800, "nodelalloc"),
    ];
    let mut words: Vec<String> = Vec::new();
    match mask & JMODE {
        0 => {}
        0x20 => words.push("journal_data".into()),
        0x40 => words.push("journal_data_ordered".into()),
        _ => words.push("journal_data_writeback".into()),
    }
    for shift in 0..32 {
        let bit = 1u32 << shift;
        if bit & JMODE != 0 || mask & bit == 0 {
            continue;
        }
        match NAMES.iter().find(|(m, _)| *m == bit) {
            Some((_, name)) => words.push((*name).into()),
            None => words.push(format!("MNTOPT_{shift}")),
        }
    }
    if words.is_empty() {
        "(none)".into()
    } else {
        words.join(" ")
    }
}

/// interval_string() of lib/e2p/ls.c: "<none>" or months, weeks, days,
/// then h:mm:ss.
fn interval(mut secs: u32) -> String {
    const UNITS: [(u32, &str); 3] = [(86400 * 30, "month"), (86400 * 7, "week"), (86400, "day")];
    if secs == 0 {
        return "<none>".into();
    }
    let mut out = String::new();
    for (size, name) in UNITS {
        if secs >= size {
            let n = secs / size;
            secs -= n * size;
            let sep = if out.is_empty() { "" } else { ", " };
            let plural = if n > 1 { "s" } else { "" };
            let _ = write!(out, "{sep}{n} {name}{plural}");
        }
    }
    if secs > 0 {
        let sep = if out.is_empty() { "" } else { ", " };
        let _ = write!(
            out,
            "{sep}{}:{:02}:{:02}",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        );
    }
    out
}

/// The dumpe2fs -h lines rootlift knows, then its own.
pub fn text(ins: &Inspection) -> String {
    let sb = &ins.sb;
    let mut o = String::new();
    line(
        &mut o,
        "Filesystem volume name",
        sb.label().as_deref().unwrap_or("<none>"),
    );
    line(
        &mut o,
        "Last mounted on",
        sb.last_mounted_on().as_deref().unwrap_or("<not available>"),
    );
    line(&mut o, "Filesystem UUID", uuid(&sb.uuid));
    line(
        &mut o,
        "Filesystem magic number",
        format_args!("0x{:04X}", sb.magic),
    );
    let rev = match sb.rev_level {
        0 => "original",
        1 => "dynamic",
        _ => "unknown",
    };
    line(
        &mut o,
        "Filesystem revision #",
        format_args!("{} ({rev})", sb.rev_level),
    );
    let features = sb.features();
    line(
        &mut o,
        "Filesystem features",
        if features.is_empty() {
            "(none)".into()
        } else {
            features.join(" ")
        },
    );
    if sb.flags != 0 {
        let mut flags = Vec::new();
        for (bit, name) in [
            (EXT2_FLAGS_SIGNED_HASH, "signed_directory_hash"),
            (EXT2_FLAGS_UNSIGNED_HASH, "unsigned_directory_hash"),
            (EXT2_FLAGS_TEST_FILESYS, "test_filesystem"),
        ] {
            if sb.flags & bit != 0 {
                flags.push(name);
            }
        }
        line(
            &mut o,
            "Filesystem flags",
            if flags.is_empty() {
                "(none)".into()
            } else {
                flags.join(" ")
            },
        );
    }
    line(
        &mut o,
        "Default mount options",
        mount_opts(sb.default_mount_opts),
    );
    line(&mut o, "Filesystem state", sb.state_text());
    line(&mut o, "Errors behavior", sb.errors_behavior_text());
    line(&mut o, "Filesystem OS type", sb.os_text());
    line(&mut o, "Inode count", sb.inodes_count);
    line(&mut o, "Block count", sb.blocks_count);
    line(&mut o, "Reserved block count", sb.r_blocks_count);
    if sb.overhead_clusters != 0 {
        line(&mut o, "Overhead clusters", sb.overhead_clusters);
    }
    line(&mut o, "Free blocks", sb.free_blocks_count);
    line(&mut o, "Free inodes", sb.free_inodes_count);
    line(&mut o, "First block", sb.first_data_block);
    line(&mut o, "Block size", sb.block_size());
    let bigalloc = sb.has_ro_compat(RO_COMPAT_BIGALLOC);
    let (size_label, per_group_label) = if bigalloc {
        ("Cluster size", "Clusters per group")
    } else {
        ("Fragment size", "Fragments per group")
    };
    line(&mut o, size_label, sb.cluster_size());
    if sb.has_incompat(INCOMPAT_64BIT) {
        line(&mut o, "Group descriptor size", sb.desc_size_raw);
    }
    if sb.reserved_gdt_blocks != 0 {
        line(&mut o, "Reserved GDT blocks", sb.reserved_gdt_blocks);
    }
    line(&mut o, "Blocks per group", sb.blocks_per_group);
    line(&mut o, per_group_label, sb.clusters_per_group);
    line(&mut o, "Inodes per group", sb.inodes_per_group);
    line(
        &mut o,
        "Inode blocks per group",
        sb.inode_blocks_per_group(),
    );
    if sb.raid_stride != 0 {
        line(&mut o, "RAID stride", sb.raid_stride);
    }
    if sb.raid_stripe_width != 0 {
        line(&mut o, "RAID stripe width", sb.raid_stripe_width);
    }
    if sb.first_meta_bg != 0 {
        line(&mut o, "First meta block group", sb.first_meta_bg);
    }
    if sb.log_groups_per_flex != 0 {
        line(
            &mut o,
            "Flex block group size",
            1u64 << sb.log_groups_per_flex.min(63),
        );
    }
    line(&mut o, "Mount count", sb.mnt_count);
    line(&mut o, "Maximum mount count", sb.max_mnt_count);
    line(
        &mut o,
        "Check interval",
        format_args!("{} ({})", sb.checkinterval, interval(sb.checkinterval)),
    );
    if sb.rev_level >= 1 {
        line(&mut o, "First inode", sb.first_ino);
        line(&mut o, "Inode size", sb.inode_size_raw);
        if sb.min_extra_isize != 0 {
            line(&mut o, "Required extra isize", sb.min_extra_isize);
        }
        if sb.want_extra_isize != 0 {
            line(&mut o, "Desired extra isize", sb.want_extra_isize);
        }
    }
    if sb.journal_uuid != [0; 16] {
        line(&mut o, "Journal UUID", uuid(&sb.journal_uuid));
    }
    if sb.journal_inum != 0 {
        line(&mut o, "Journal inode", sb.journal_inum);
    }
    if sb.journal_dev != 0 {
        line(
            &mut o,
            "Journal device",
            format_args!("0x{:04x}", sb.journal_dev),
        );
    }
    if sb.last_orphan != 0 {
        line(&mut o, "First orphan inode", sb.last_orphan);
    }
    if sb.backup_bgs != [0, 0] {
        let groups: Vec<String> = sb
            .backup_bgs
            .iter()
            .filter(|&&g| g != 0)
            .map(|g| g.to_string())
            .collect();
        line(&mut o, "Backup block groups", groups.join(" "));
    }
    if sb.has_ro_compat(RO_COMPAT_METADATA_CSUM) {
        let kind = if sb.checksum_type == 1 {
            "crc32c"
        } else {
            "unknown"
        };
        line(&mut o, "Checksum type", kind);
        line(&mut o, "Checksum", format_args!("0x{:08x}", sb.checksum));
    }
    if sb.has_incompat(INCOMPAT_CSUM_SEED) {
        line(
            &mut o,
            "Checksum seed",
            format_args!("0x{:08x}", sb.checksum_seed),
        );
    }
    if sb.has_compat(COMPAT_ORPHAN_FILE) {
        line(&mut o, "Orphan file inode", sb.orphan_file_inum);
    }

    // rootlift's own verdicts.
    line(&mut o, "Checksum verdict", sb.checksum_verdict().as_str());
    line(&mut o, "Filesystem kind", sb.kind().unwrap_or("unknown"));
    line(&mut o, "Needs recovery", yes_no(sb.needs_recovery()));
    line(&mut o, "Orphans present", yes_no(sb.orphan_present()));
    line(&mut o, "Group count", sb.group_count());
    line(
        &mut o,
        "Device size",
        format_args!("{} bytes", ins.device_bytes),
    );
    match &ins.floor {
        Ok(f) => {
            line(
                &mut o,
                "Resize2fs minimum",
                format_args!("{} blocks", f.resize2fs),
            );
            line(
                &mut o,
                "Shrink floor",
                format_args!(
                    "{} blocks ({} bytes)",
                    f.floor,
                    f.floor.saturating_mul(sb.block_size())
                ),
            );
        }
        Err(_) => line(&mut o, "Shrink floor", "unknown"),
    }
    if let Some(m) = &ins.live {
        line(&mut o, "Mounted on", &m.mount_point);
        match &m.floor {
            Some(f) => {
                line(
                    &mut o,
                    "Live resize2fs minimum",
                    format_args!("{} blocks", f.resize2fs),
                );
                line(
                    &mut o,
                    "Live shrink floor",
                    format_args!("{} blocks", f.floor),
                );
            }
            None => line(&mut o, "Live shrink floor", "unknown"),
        }
    }
    for problem in ins.problems() {
        line(&mut o, "Problem", problem);
    }
    o
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The `--json` object.
pub fn json(ins: &Inspection, path: &str) -> Json {
    let sb = &ins.sb;
    let mut j = Json::new();
    j.begin_object();
    j.key("path").str(path);
    j.key("magic_ok").bool(true);
    j.key("kind").opt_str(sb.kind());
    j.key("revision").u64(u64::from(sb.rev_level));
    j.key("block_size").u64(sb.block_size());
    j.key("cluster_size").u64(sb.cluster_size());
    j.key("block_count").u64(sb.blocks_count);
    j.key("free_blocks").u64(sb.free_blocks_count);
    j.key("reserved_blocks").u64(sb.r_blocks_count);
    j.key("first_block").u64(u64::from(sb.first_data_block));
    j.key("blocks_per_group")
        .u64(u64::from(sb.blocks_per_group));
    j.key("inode_count").u64(u64::from(sb.inodes_count));
    j.key("free_inodes").u64(u64::from(sb.free_inodes_count));
    j.key("inodes_per_group")
        .u64(u64::from(sb.inodes_per_group));
    j.key("inode_size").u64(u64::from(sb.inode_size()));
    j.key("uuid").str(&uuid(&sb.uuid));
    j.key("label").opt_str(sb.label().as_deref());
    j.key("last_mounted_on")
        .opt_str(sb.last_mounted_on().as_deref());
    j.key("state").str(sb.state_text());
    j.key("errors").bool(sb.has_errors());
    j.key("errors_behavior").str(sb.errors_behavior_text());
    j.key("features").begin_array();
    for f in sb.features() {
        j.str(&f);
    }
    j.end_array();
    j.key("needs_recovery").bool(sb.needs_recovery());
    j.key("orphan_present").bool(sb.orphan_present());
    j.key("checksum").str(sb.checksum_verdict().as_str());
    j.key("group_count").u64(sb.group_count());
    j.key("device_bytes").u64(ins.device_bytes);
    j.key("min_blocks")
        .opt_u64(ins.floor.as_ref().ok().map(|f| f.floor));
    j.key("min_blocks_resize2fs")
        .opt_u64(ins.floor.as_ref().ok().map(|f| f.resize2fs));
    j.key("live");
    match &ins.live {
        None => {
            j.null();
        }
        Some(m) => {
            j.begin_object();
            j.key("mount_point").str(&m.mount_point);
            j.key("min_blocks").opt_u64(m.floor.map(|f| f.floor));
            j.key("min_blocks_resize2fs")
                .opt_u64(m.floor.map(|f| f.resize2fs));
            j.end_object();
        }
    }
    j.key("problems").begin_array();
    for p in ins.problems() {
        j.str(&p);
    }
    j.end_array();
    j.end_object();
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_reads_like_dumpe2fs() {
        assert_eq!(interval(0), "<none>");
        assert_eq!(interval(15_552_000), "6 months");
        assert_eq!(
            interval(86400 * 38 + 3661),
            "1 month, 1 week, 1 day, 1:01:01"
        );
        assert_eq!(interval(59), "0:00:59");
    }

    #[test]
    fn mount_options_in_e2p_order() {
        assert_eq!(mount_opts(0), "(none)");
        assert_eq!(mount_opts(0x0c), "user_xattr acl");
        assert_eq!(
            mount_opts(0x60 | 0x1 | 0x8000),
            "journal_data_writeback debug MNTOPT_15"
        );
    }
}
