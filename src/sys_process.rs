//! The process calls std does not offer, over the C library std already
//! links (musl): execve(2) that keeps the signal mask, and signal(2).
//!
//! std's `CommandExt::exec` empties the signal mask before it execs; PID 1's
//! successor must inherit it (systemd blocks HUP, INT, TERM, CHLD..., and
//! signals pending while the stub ran must still be pending when systemd
//! resumes), so the init stub execs through here.
#![allow(unsafe_code)]

use std::ffi::{CString, OsString, c_char, c_int};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

unsafe extern "C" {
    /// execve(2) from the C library std already links (musl).
    fn execve(path: *const c_char, argv: *const *const c_char, envp: *const *const c_char)
    -> c_int;
}

/// Replaces this process with `path`, passing `argv` and `envp` untouched
/// and leaving the signal mask and every fd without FD_CLOEXEC as they are.
/// Returns only on failure.
pub fn exec_keeping_state(path: &Path, argv: &[OsString], envp: &[OsString]) -> std::io::Error {
    let to_c = |s: &[u8]| CString::new(s).map_err(|_| std::io::Error::from_raw_os_error(22));
    let path = match to_c(path.as_os_str().as_bytes()) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let mut owned = Vec::with_capacity(argv.len() + envp.len());
    for s in argv.iter().chain(envp) {
        match to_c(s.as_bytes()) {
            Ok(c) => owned.push(c),
            Err(e) => return e,
        }
    }
    let (a, e) = owned.split_at(argv.len());
    let mut argv_ptrs: Vec<*const c_char> = a.iter().map(|c| c.as_ptr()).collect();
    argv_ptrs.push(std::ptr::null());
    let mut envp_ptrs: Vec<*const c_char> = e.iter().map(|c| c.as_ptr()).collect();
    envp_ptrs.push(std::ptr::null());
    // SAFETY: `path` and every pointer in both arrays point into CStrings
    // owned by `path` and `owned`, alive across the call; both arrays end in
    // a null pointer, as execve(2) requires. On success nothing returns.
    unsafe { execve(path.as_ptr(), argv_ptrs.as_ptr(), envp_ptrs.as_ptr()) };
    std::io::Error::last_os_error()
}

unsafe extern "C" {
    /// signal(2) from the C library std already links (musl).
    fn signal(signum: c_int, handler: usize) -> usize;
}

/// SIG_IGN as signal(2) takes it.
const SIG_IGN: usize = 1;
/// SIGHUP on every Linux architecture rootlift builds for.
const SIGHUP: c_int = 1;

/// Ignores SIGHUP, so a step run from a login shell survives the end of
/// that shell's session (release may stop the very shell it was run from).
pub fn ignore_hangup() {
    // SAFETY: installing SIG_IGN touches no memory of ours; signal(2) with a
    // valid signal number and SIG_IGN cannot fail in a way that matters.
    unsafe { signal(SIGHUP, SIG_IGN) };
}
