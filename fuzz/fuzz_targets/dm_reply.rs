//! Device-mapper ioctl reply buffers (struct dm_ioctl and its payloads:
//! names, target specs, deps, versions), whole and payload alone.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rootlift::dm::reply::{Reply, parse_deps, parse_names, parse_targets, parse_versions};

fuzz_target!(|data: &[u8]| {
    let r = Reply::new(data.to_vec(), "fuzz".into());
    let _ = r.info();
    let _ = r.names();
    let _ = r.targets();
    let _ = r.deps();
    let _ = r.versions();
    let count = data.first().copied().unwrap_or(0).into();
    let payload = data.get(1..).unwrap_or_default();
    let _ = parse_names(payload, [4, 48, 0]);
    let _ = parse_names(payload, [4, 20, 0]);
    let _ = parse_targets(payload, count);
    let _ = parse_deps(payload);
    let _ = parse_versions(payload);
});
