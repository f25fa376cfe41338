//! The ext2/3/4 superblock, group descriptors and shrink floor, from an
//! in-memory image (src/ext4): any bytes, no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rootlift::ext4::Superblock;

fuzz_target!(|data: &[u8]| {
    if let Ok(sb) = Superblock::decode(data) {
        let _ = sb.validate();
        let _ = sb.verify(data.len() as u64);
        let _ = sb.block_size();
    }
    let _ = rootlift::ext4::read_from(data);
    if let Ok(inspection) = rootlift::ext4::inspect_source(data) {
        let _ = inspection.problems();
    }
});
