//! The probe magics of every known type (src/probe) on an in-memory image.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(found)) = rootlift::probe::probe_source(data) {
        let _ = found.fs_type;
    }
});
