//! The command line (src/cli): NUL-separated arguments after the program
//! name, as rootlift and as the switch_root multi-call name.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

fuzz_target!(|data: &[u8]| {
    let args: Vec<OsString> = data
        .split(|&b| b == 0)
        .map(|a| OsString::from_vec(a.to_vec()))
        .collect();
    let _ = rootlift::cli::parse(args.clone());
    let _ = rootlift::cli::parse_switch_root_multicall(args);
});
