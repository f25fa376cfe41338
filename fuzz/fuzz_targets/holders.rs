//! The /proc and sysfs texts the holder scan reads from every process,
//! several of which any local user controls (comm, mapped file names,
//! socket paths, cgroup names, mounts in a user namespace): /proc/PID/
//! stat, maps, mountinfo (mount_points), net/unix, cgroup, /proc/swaps,
//! /proc/meminfo, dm names. The first byte picks the parser.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rootlift::proc::holders::{cgroup, maps, mountns, stat, swaps, unix};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match pick % 8 {
        0 => {
            if let Some(s) = stat::parse(rest) {
                let _ = s.is_kernel_thread(2);
            }
        }
        1 => {
            for line in rest.split(|&c| c == b'\n') {
                if let Some(m) = maps::parse_line(line) {
                    let _ = m.is_deleted();
                }
            }
        }
        2 => {
            // The needle: the third field of the first line, as the scan
            // looks for its target's MAJ:MIN.
            let needle = text.split(' ').nth(2).unwrap_or("8:1").to_owned();
            let _ = mountns::mount_points(rest, &needle);
        }
        3 => {
            for line in rest.split(|&c| c == b'\n') {
                let _ = unix::parse_line(line);
            }
        }
        4 => {
            let _ = cgroup::unit(rest);
            let _ = cgroup::unit_of_path(rest);
        }
        5 => {
            let _ = swaps::parse(&text);
        }
        6 => {
            let _ = rootlift::proc::meminfo::available_bytes(&text);
        }
        _ => {
            if let Some((vg, lv)) = rootlift::sysfs::block::split_lvm_name(&text) {
                assert!(!vg.is_empty() && !lv.is_empty());
            }
        }
    }
});
