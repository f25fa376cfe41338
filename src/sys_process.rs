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
/// SIGHUP and SIGCHLD on every Linux architecture rootlift builds for.
const SIGHUP: c_int = 1;
const SIGCHLD: c_int = 17;

/// Ignores SIGHUP, so a step run from a login shell survives the end of
/// that shell's session (release may stop the very shell it was run from).
pub fn ignore_hangup() {
    // SAFETY: installing SIG_IGN touches no memory of ours; signal(2) with a
    // valid signal number and SIG_IGN cannot fail in a way that matters.
    unsafe { signal(SIGHUP, SIG_IGN) };
}

/// Ignores SIGCHLD, so children are reaped by the kernel as they exit
/// (signal(7)): for a process that never waits for what it starts (the
/// sshd keeper). Never for PID 1, whose successor must see its children.
pub fn ignore_children() {
    // SAFETY: as for ignore_hangup: SIG_IGN for a valid signal number.
    unsafe { signal(SIGCHLD, SIG_IGN) };
}

/// Takes ownership of fd `n`, which this process inherited and nothing
/// else in it owns (the numbers a parent passed on the command line).
pub fn adopt_fd(n: i32) -> Result<std::os::fd::OwnedFd, crate::error::Error> {
    use std::os::fd::FromRawFd;
    // An fd below 3 is a standard stream, and one that is not open cannot
    // be owned.
    if n < 3
        || rustix::io::fcntl_getfd(
            // SAFETY: borrowed only for this call, to ask whether it is open.
            unsafe { std::os::fd::BorrowedFd::borrow_raw(n) },
        )
        .is_err()
    {
        return Err(crate::error::Error::failed(format!(
            "fd {n} is not an inherited fd"
        )));
    }
    // SAFETY: `n` is open (checked above), was inherited for this very use
    // and is owned by nothing else in this process; from here on the
    // OwnedFd is its only owner.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(n) })
}

unsafe extern "C" {
    /// dup2(2) from the C library std already links (musl).
    fn dup2(oldfd: c_int, newfd: c_int) -> c_int;
}

/// dup2(2): a copy of `fd` at number `target`, without close-on-exec, for
/// a program about to be exec'd that expects it there (sd_listen_fds(3)
/// sockets from fd 3). Only for a process that owns no other fd at
/// `target`: whatever was there is closed.
pub fn dup_to(fd: std::os::fd::BorrowedFd<'_>, target: i32) -> Result<(), crate::error::Error> {
    use std::os::fd::AsRawFd;
    if target < 3 {
        return Err(crate::error::Error::failed(format!(
            "dup2 onto fd {target}"
        )));
    }
    // SAFETY: `fd` is open for the call (borrowed); `target` is not a
    // standard stream, and the caller (the sshd handback, right before its
    // execve) owns nothing at that number that it will use again.
    let rc = unsafe { dup2(fd.as_raw_fd(), target) };
    if rc == target {
        Ok(())
    } else {
        Err(crate::error::Error::io(
            "dup2",
            format_args!("fd {target}"),
            &std::io::Error::last_os_error(),
        ))
    }
}
