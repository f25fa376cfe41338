//! What is read back from the journal's entries: the record of the latest
//! lift (lift::record: the root, every mount with its class, the swap
//! areas) and its job spec (JobSpec); both must round-trip through their
//! encoding.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rootlift::job::spec::JobSpec;
use rootlift::journal::{self, Event};
use rootlift::lift::record;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(entries) = journal::parse(&text) else {
        return;
    };
    let cycle = journal::current_cycle(&entries);
    if let Ok(rec) = record::read(cycle) {
        // Written back as enter writes it, it reads back equal.
        let mut lines = format!("1.000 idle {} {}\n", Event::RecordRoot, rec.root.encode());
        for m in &rec.mounts {
            lines.push_str(&format!("1.000 idle {} {}\n", Event::RecordMount, m.encode()));
        }
        for s in &rec.swaps {
            lines.push_str(&format!("1.000 idle {} {}\n", Event::RecordSwap, s.encode()));
        }
        let again = journal::parse(&lines).expect("an encoded record parses");
        assert_eq!(record::read(&again).expect("an encoded record reads"), rec);
    }
    if let Ok(Some(spec)) = JobSpec::of_cycle(cycle) {
        let line = format!("0.000 idle {} {}\n", Event::JobSpec, spec.encode());
        let e = journal::parse(&line).expect("an encoded spec parses");
        let again = JobSpec::decode(&e[0]).expect("an encoded spec decodes");
        assert_eq!(again, spec);
    }
});
