//! What `rootlift dm` takes from the user: device specs (name, uuid or
//! MAJ:MIN), names and uuids, table text (--table / --table-file), and
//! the key hiding applied to the table lines it prints.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rootlift::dm::{input, print};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let first = text.lines().next().unwrap_or("");
    let _ = input::parse_spec(first);
    let _ = input::check_name(first);
    let _ = input::check_uuid(first);
    if let Ok(lines) = input::parse_table([text.as_ref()], "fuzz") {
        let _ = print::table_text(&lines, true);
        let _ = print::table_text(&lines, false);
    }
    if let Some((ty, params)) = first.split_once(' ') {
        let _ = print::hide_keys(ty, params);
    }
});
