//! What is read back from the journal's entries: the mount record of the
//! latest lift (lift::record::read) and its job spec (JobSpec::of_cycle),
//! whose encode/decode must round-trip.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rootlift::job::spec::JobSpec;
use rootlift::journal::{self, Entry, Stage};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(entries) = journal::parse(&text) else {
        return;
    };
    let cycle = journal::current_cycle(&entries);
    let _ = rootlift::lift::record::read(cycle);
    if let Ok(Some(spec)) = JobSpec::of_cycle(cycle) {
        let e = Entry {
            time: 0,
            stage: Stage::Idle,
            event: "job.spec".into(),
            detail: spec.encode(),
        };
        let again = JobSpec::decode(&e).expect("an encoded spec decodes");
        assert_eq!(again.encode(), spec.encode());
    }
});
