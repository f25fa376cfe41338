//! ELF headers, program headers and the dynamic section (src/elf).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = rootlift::elf::parse(data);
});
