//! The journal (/run/rootlift/journal): lines, cycles, stages, escapes, and
//! the kernel-log records made from a detail.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rootlift::journal;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(entries) = journal::parse(&text) {
        let cycle = journal::current_cycle(&entries);
        let _ = journal::current_stage(&entries);
        for e in cycle {
            let _ = e.get("unit");
        }
    }
    if let Some(v) = journal::unescape(&text) {
        assert_eq!(
            journal::unescape(&journal::escape(&v)).as_deref(),
            Some(v.as_str())
        );
    }
    for r in journal::kmsg_records("rootlift: entered release.holder", &text) {
        assert!(r.len() <= journal::KMSG_RECORD_MAX);
    }
});
