//! /proc/PID/mountinfo (proc(5)) lines and their octal escapes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(mounts) = rootlift::proc::mountinfo::parse(&text) {
        let _ = rootlift::proc::mountinfo::at(&mounts, "/");
    }
    for line in text.lines() {
        let _ = rootlift::proc::mountinfo::parse_line(line);
        let _ = rootlift::proc::mountinfo::unescape(line);
    }
});
