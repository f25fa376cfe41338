//! The process calls std does not offer, over the C library std already
//! links (musl): fork(2) and execve(2) for rootlift's own spawner
//! (`crate::spawn`), execve(2) that keeps the signal mask, and signal(2).
//!
//! std's `CommandExt::exec` empties the signal mask before it execs; PID 1's
//! successor must inherit it (systemd blocks HUP, INT, TERM, CHLD..., and
//! signals pending while the stub ran must still be pending when systemd
//! resumes), so the init stub execs through here.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString, OsString, c_char, c_int};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

unsafe extern "C" {
    /// execve(2) from the C library std already links (musl).
    fn execve(path: *const c_char, argv: *const *const c_char, envp: *const *const c_char)
    -> c_int;
    /// fork(2) (musl's, which runs its own at-fork bookkeeping).
    fn fork() -> c_int;
    /// setpgid(2).
    fn setpgid(pid: c_int, pgid: c_int) -> c_int;
    /// sigprocmask(2), with musl's 128-byte sigset_t.
    fn sigprocmask(how: c_int, set: *const SigSet, old: *mut SigSet) -> c_int;
    /// write(2).
    fn write(fd: c_int, buf: *const u8, count: usize) -> isize;
    /// _exit(2): no atexit handlers, no stdio flush (the parent's buffers).
    fn _exit(status: c_int) -> !;
}

/// musl's sigset_t: 1024 bits, of which the kernel reads the first 64.
#[repr(C)]
struct SigSet([u64; 16]);
/// sigprocmask(2)'s `how` on every Linux architecture rootlift builds for.
const SIG_SETMASK: c_int = 2;

/// A null-terminated array of pointers into `strings`, as execve(2) takes
/// argv and envp; valid while `strings` is.
fn pointers(strings: &[CString]) -> Vec<*const c_char> {
    let mut v: Vec<*const c_char> = strings.iter().map(|c| c.as_ptr()).collect();
    v.push(std::ptr::null());
    v
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
    let (argv_ptrs, envp_ptrs) = (pointers(a), pointers(e));
    // SAFETY: `path` and every pointer in both arrays point into CStrings
    // owned by `path` and `owned`, alive across the call; both arrays end in
    // a null pointer, as execve(2) requires. On success nothing returns.
    unsafe { execve(path.as_ptr(), argv_ptrs.as_ptr(), envp_ptrs.as_ptr()) };
    std::io::Error::last_os_error()
}

/// What a program is started with: its path, argv and envp, the fds that
/// become its stdin, stdout and stderr (`None`: this process's own), and
/// whether it leads a process group of its own.
pub struct Exec<'a> {
    pub path: &'a CStr,
    pub argv: &'a [CString],
    pub envp: &'a [CString],
    pub stdio: [Option<BorrowedFd<'a>>; 3],
    pub new_group: bool,
}

/// The steps between fork(2) and execve(2), in the child (or, for an exec
/// in place, in this process): only system calls, no allocation (another
/// thread of the parent may have held the allocator's lock at the fork).
/// Returns the errno of the step that failed.
fn become_program(e: &Exec<'_>, argv: &[*const c_char], envp: &[*const c_char]) -> i32 {
    for (target, fd) in (0..).zip(e.stdio) {
        let Some(fd) = fd else { continue };
        // dup2(2): the copy at `target` is without FD_CLOEXEC. The parent
        // moved every source above 2, so none is overwritten here.
        // SAFETY: `fd` is open (borrowed for the child's whole life) and
        // `target` a standard stream this program is meant to get.
        if unsafe { dup2(fd.as_raw_fd(), target) } < 0 {
            return errno();
        }
    }
    // setpgid(2): pid 0 and pgid 0 make this process the leader of a new
    // group, which a kill(2) of the group reaches whole.
    // SAFETY: no pointers.
    if e.new_group && unsafe { setpgid(0, 0) } < 0 {
        return errno();
    }
    // sigprocmask(2): a program starts with no signal blocked, whatever
    // this process blocks (std's spawner does the same).
    let empty = SigSet([0; 16]);
    // SAFETY: `empty` is a valid sigset_t for the call; the old mask is
    // not asked for.
    unsafe { sigprocmask(SIG_SETMASK, &empty, std::ptr::null_mut()) };
    // signal(2): SIGPIPE back to its default, as a program expects it (a
    // Rust program's runtime may have ignored it, and an ignored signal
    // stays ignored across execve(2)). SIGHUP stays as it is: a worker that
    // ignores hangups passes that on to its tools on purpose.
    // SAFETY: SIG_DFL for a valid signal number touches no memory of ours.
    unsafe { signal(SIGPIPE, SIG_DFL) };
    // SAFETY: `path` is a CStr and both arrays come from `pointers` over
    // CStrings alive across the call, each ending in a null pointer.
    unsafe { execve(e.path.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
    errno()
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(5)
}

/// Replaces this process with the program (signal mask emptied and SIGPIPE
/// at its default, as for a child). Returns only on failure.
pub fn exec(e: &Exec<'_>) -> std::io::Error {
    let (argv, envp) = (pointers(e.argv), pointers(e.envp));
    std::io::Error::from_raw_os_error(become_program(e, &argv, &envp))
}

/// fork(2), then in the child the program's steps and execve(2). A child
/// whose execve fails writes its errno (4 bytes, native order) to
/// `report`, which the caller made close-on-exec (so a successful exec
/// closes it unwritten), and exits 127. Returns the child's pid.
pub fn fork_exec(e: &Exec<'_>, report: BorrowedFd<'_>) -> std::io::Result<i32> {
    let (argv, envp) = (pointers(e.argv), pointers(e.envp));
    // SAFETY: the child runs only `become_program` (system calls on memory
    // prepared before the fork), write(2) and _exit(2); it never returns
    // into Rust code that could unwind, drop or allocate.
    let pid = unsafe { fork() };
    if pid < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if pid == 0 {
        let err = become_program(e, &argv, &envp).to_ne_bytes();
        // SAFETY: `err` is 4 readable bytes; `report` is open. Then the
        // child ends without running anything of the parent's.
        unsafe {
            write(report.as_raw_fd(), err.as_ptr(), err.len());
            _exit(127)
        }
    }
    Ok(pid)
}

unsafe extern "C" {
    /// signal(2) from the C library std already links (musl).
    fn signal(signum: c_int, handler: usize) -> usize;
}

/// SIG_DFL and SIG_IGN as signal(2) takes them.
const SIG_DFL: usize = 0;
const SIG_IGN: usize = 1;
/// SIGHUP and SIGCHLD on every Linux architecture rootlift builds for.
const SIGHUP: c_int = 1;
const SIGPIPE: c_int = 13;
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
