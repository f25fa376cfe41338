//! The ext2/3/4 superblock, group descriptors and shrink floor on a
//! sparse device (common/sparse.rs) of up to 1 GiB, so `min_blocks`
//! walks real geometries. Checks the floor's contract too: never above
//! the block count, never below what resize2fs would accept.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rootlift::ext4::{self, min_blocks};

#[path = "../common/sparse.rs"]
mod sparse;

fuzz_target!(|data: &[u8]| {
    let dev = sparse::Sparse::new(data);
    if let Ok(ins) = ext4::inspect_source(&dev) {
        let _ = ins.problems();
        let sb = &ins.sb;
        let _ = (sb.features(), sb.label(), sb.last_mounted_on(), sb.kind());
        let _ = (sb.shrink_refusal(), sb.checksum_verdict(), sb.state_text());
        let _ = (sb.os_text(), sb.errors_behavior_text(), sb.min_blocks());
        if let Ok(f) = &ins.floor {
            assert!(f.resize2fs <= sb.blocks_count, "{f:?} {}", sb.blocks_count);
            assert!(
                f.floor >= f.resize2fs && f.floor <= sb.blocks_count,
                "{f:?}"
            );
        }
        // The gate's order: verify, then the floor.
        if ins.verified.is_ok() {
            assert_eq!(min_blocks(sb, &dev).ok(), ins.floor.as_ref().ok().copied());
        }
    }
});
