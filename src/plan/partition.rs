//! `plan`'s lines about a root on a partition and about cloud-init: the
//! disk and its table type, the partition, what comes after it, where a
//! shrink to the floor would end it (any SIZE: its start plus SIZE rounded
//! up to its alignment), how far `grow max` would take it, and whether
//! cloud-init would grow a shrunk root back at the next boot.

use std::path::Path;

use crate::cloudinit::{self, CloudInit, RootKind};
use crate::json::Json;
use crate::parts::survey::{self, RootPartition};
use crate::sysfs::block::{Kind, Node, human_bytes};

/// What the survey found.
pub struct Section {
    /// The root's partition, or why it could not be read.
    part: Option<Result<RootPartition, String>>,
    /// Where a shrink to the filesystem's floor would end the partition.
    floor_end: Option<u64>,
    is_lv: bool,
    cloud_init: Option<CloudInit>,
}

/// Surveys the root MAJ:MIN whose stack is `stack`, on `node`.
pub fn survey(stack: Option<&Node>, major: u32, minor: u32, node: &str) -> Section {
    let is_partition = matches!(stack.map(|n| &n.kind), Some(Kind::Partition { .. }));
    let part = is_partition.then(|| match survey::find(major, minor) {
        Ok(Some(rp)) => Ok(rp),
        Ok(None) => Err("not a partition".to_owned()),
        Err(e) => Err(e.to_string()),
    });
    let floor_end = match &part {
        Some(Ok(rp)) => floor_bytes(node)
            .and_then(|bytes| rp.sectors_for(bytes))
            .zip(rp.partition().ok().map(|p| p.start))
            .map(|(sectors, start)| start.saturating_add(sectors).saturating_sub(1)),
        _ => None,
    };
    Section {
        part,
        floor_end,
        is_lv: matches!(stack.map(|n| &n.kind), Some(Kind::Dm { lvm: Some(_), .. })),
        cloud_init: cloudinit::detect(Path::new("/")),
    }
}

/// The shrink floor of the mounted root in bytes: the live floor, the
/// same one a live job checks SIZE against (ext4::live::superblock).
fn floor_bytes(node: &str) -> Option<u64> {
    let sb = crate::ext4::live::superblock(Path::new(node), "/").ok()?;
    sb.min_blocks().checked_mul(sb.block_size())
}

impl Section {
    /// The kind of root, as cloud-init's verdict needs it.
    fn kind(&self) -> RootKind {
        match (&self.part, self.is_lv) {
            (_, true) => RootKind::Lv,
            (Some(_), false) => RootKind::Partition,
            (None, false) => RootKind::Bare,
        }
    }

    pub fn text(&self) -> String {
        let mut s = String::new();
        match &self.part {
            Some(Ok(rp)) => s.push_str(&partition_text(rp, self.floor_end)),
            Some(Err(why)) => s.push_str(&format!("partition:   unreadable table: {why}\n")),
            None => {}
        }
        if let Some(ci) = &self.cloud_init {
            let what = if self.is_lv {
                "growpart grows partitions and resize_rootfs fills the LV, which a shrink leaves exactly filled: nothing to undo on an LV root".to_owned()
            } else if let Some(undo) = ci.undoes(self.kind()) {
                format!(
                    "{undo} at the next boot: shrink refuses unless --disable-growpart (writes /{}) or --keep-growpart",
                    cloudinit::DROPIN
                )
            } else {
                "growpart and resize_rootfs would not grow a shrunk root back".to_owned()
            };
            s.push_str(&format!(
                "cloud-init:  installed (growpart for / {}, resize_rootfs {}): {what}\n",
                on(ci.growpart),
                on(ci.resize_rootfs)
            ));
        }
        s
    }

    pub fn json(&self, j: &mut Json) {
        j.key("partition");
        match &self.part {
            Some(Ok(rp)) => partition_json(j, rp, self.floor_end),
            Some(Err(why)) => {
                j.begin_object();
                j.key("error").str(why);
                j.end_object();
            }
            None => {
                j.null();
            }
        }
        j.key("cloud_init");
        match &self.cloud_init {
            Some(ci) => {
                j.begin_object();
                j.key("growpart").bool(ci.growpart);
                j.key("resize_rootfs").bool(ci.resize_rootfs);
                j.key("undoes_shrink")
                    .bool(ci.undoes(self.kind()).is_some());
                j.key("files").begin_array();
                for f in &ci.files {
                    j.str(f);
                }
                j.end_array();
                j.end_object();
            }
            None => {
                j.null();
            }
        }
    }
}

fn on(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

fn partition_text(rp: &RootPartition, floor_end: Option<u64>) -> String {
    let t = &rp.table;
    let ss = t.sector_size;
    let Ok(p) = rp.partition() else {
        return String::new();
    };
    let align = human_bytes(rp.alignment().saturating_mul(ss));
    let mut s = format!(
        "partition:   {} is partition {} of {} ({} table, {ss}-byte sectors): sectors {}-{} ({}), aligned to {align}\n",
        rp.name,
        p.number,
        rp.disk,
        t.label.as_str(),
        p.start,
        p.end(),
        human_bytes(p.size.saturating_mul(ss))
    );
    let after = rp.after();
    if after.is_empty() {
        s.push_str(&format!(
            "after it:    no partition; the last usable sector is {}\n",
            t.last_lba
        ));
    }
    for q in after {
        s.push_str(&format!(
            "after it:    partition {}: sectors {}-{} ({})\n",
            q.number,
            q.start,
            q.end(),
            human_bytes(q.size.saturating_mul(ss))
        ));
    }
    if let Some(why) = rp.refusal() {
        s.push_str(&format!("shrink:      refused: {why}\n"));
        return s;
    }
    if let Some(end) = floor_end {
        s.push_str(&format!(
            "shrink:      to the floor, the partition would end at sector {end}; to SIZE, at {} + SIZE rounded up to {align}, minus 1\n",
            p.start
        ));
    }
    s.push_str(&format!(
        "grow max:    the partition would end at sector {}{}\n",
        rp.max_end(),
        if t.backup_before_end() {
            " (the disk grew: the GPT backup moves to its end first)"
        } else {
            ""
        }
    ));
    s
}

fn partition_json(j: &mut Json, rp: &RootPartition, floor_end: Option<u64>) {
    let t = &rp.table;
    j.begin_object();
    j.key("disk").str(&rp.disk);
    j.key("label").str(t.label.as_str());
    j.key("sector_size").u64(t.sector_size);
    j.key("name").str(&rp.name);
    j.key("number").u64(u64::from(rp.number));
    if let Ok(p) = rp.partition() {
        j.key("start").u64(p.start);
        j.key("end").u64(p.end());
        j.key("sectors").u64(p.size);
    }
    j.key("alignment_sectors").u64(rp.alignment());
    j.key("after").begin_array();
    for q in rp.after() {
        j.begin_object();
        j.key("number").u64(u64::from(q.number));
        j.key("start").u64(q.start);
        j.key("end").u64(q.end());
        j.key("sectors").u64(q.size);
        j.end_object();
    }
    j.end_array();
    j.key("floor_end").opt_u64(floor_end);
    j.key("max_end").u64(rp.max_end());
    j.key("backup_moves").bool(t.backup_before_end());
    j.key("refused").opt_str(rp.refusal().as_deref());
    j.end_object();
}
