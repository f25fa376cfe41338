//! Partition tables (src/parts) on a sparse device (common/sparse.rs):
//! GPT and MBR read with every check; a table that reads must survive its
//! own edits. Each partition resized to half and to its maximum, and the
//! GPT backup moved to the end of a larger disk: the structures written
//! onto an overlay must read back as exactly the edited table, the journal
//! text of the changed runs must round-trip, and nothing may panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rootlift::parts::{self, Block, Table};
use rootlift::probe::device::BlockSource;

#[path = "../common/sparse.rs"]
mod sparse;

/// `base` with `writes` on top (later writes win), `size` bytes long.
struct Overlay<'a, S: BlockSource> {
    base: &'a S,
    writes: Vec<Block>,
    size: u64,
}

impl<S: BlockSource> BlockSource for Overlay<'_, S> {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        let out = sparse::zeroed_window(self.size, offset, buf);
        if out.is_empty() {
            return Ok(0);
        }
        let _ = self.base.read_at(offset, out)?;
        for w in &self.writes {
            sparse::copy_over(out, offset, w.offset, &w.bytes);
        }
        Ok(out.len())
    }
}

/// Writes `t`'s structures over `dev` and reads the table back.
fn round_trip<S: BlockSource>(dev: &S, t: &Table, size: u64) {
    let blocks = t.blocks();
    let patches = parts::patches(dev, &blocks).expect("the structures lie on the disk");
    let text = parts::old_text(&patches);
    let back = parts::old_from_text(&text).expect("old bytes round-trip");
    assert_eq!(back.len(), patches.len());
    let o = Overlay {
        base: dev,
        writes: blocks,
        size,
    };
    let again = Table::read(&o, t.sector_size).expect("an edited table reads back");
    assert_eq!(&again, t);
}

fuzz_target!(|data: &[u8]| {
    let dev = sparse::Sparse::new(data);
    let ss = parts::detect_sector_size(&dev);
    let Ok(t) = Table::read(&dev, ss) else {
        return;
    };
    let _ = parts::report::text(&t, "/dev/fuzz");
    let _ = parts::report::json(&t, "/dev/fuzz").finish();
    for p in &t.partitions {
        let _ = (p.end(), t.max_end(p.number));
        for size in [p.size / 2, p.size, t.max_end(p.number).unwrap_or(0).saturating_sub(p.start) + 1] {
            let mut e = t.clone();
            if e.set_size(p.number, size).is_ok() {
                round_trip(&dev, &e, dev.size());
            }
        }
    }
    if t.backup_before_end() || t.label == parts::Label::Gpt {
        let bigger = dev.size().saturating_add(1 << 20).min(sparse::MAX_SIZE);
        let grown = Overlay {
            base: &dev,
            writes: Vec::new(),
            size: bigger,
        };
        let mut e = Table::read(&grown, ss).expect("the same table on a larger disk");
        if e.move_backup_to_end(bigger / ss).is_ok() {
            round_trip(&grown, &e, bigger);
        }
    }
});
