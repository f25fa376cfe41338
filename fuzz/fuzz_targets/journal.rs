//! The journal (/run/rootlift/journal): lines, cycles, stages, escapes, and
//! the kernel-log records made from a detail.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rootlift::journal::{self, kmsg};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(entries) = journal::parse(&text) {
        let cycle = journal::current_cycle(&entries);
        let _ = journal::current_stage(&entries);
        for e in cycle {
            let _ = e.get("unit");
            // A line read back is written the same way again.
            let again = journal::parse(&format!("{}\n", e.line())).expect("a line re-parses");
            assert_eq!(again.len(), 1);
            assert_eq!((again[0].event, &again[0].detail), (e.event, &e.detail));
        }
    }
    if let Some(v) = journal::unescape(&text) {
        assert_eq!(
            journal::unescape(&journal::escape(&v)).as_deref(),
            Some(v.as_str())
        );
    }
    for r in kmsg::kmsg_records("rootlift: entered release.holder", &text) {
        assert!(r.len() <= kmsg::KMSG_RECORD_MAX);
    }
});
