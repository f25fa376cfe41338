//! Starting programs: fork(2) and execve(2) (the unsafe part is in
//! `sys_process`), waitpid(2) for how they ended, pipe(2) and poll(2) to
//! read what they print.
//!
//! rootlift's own in place of `std::process::Command`, which carries an
//! environment map, posix_spawn and a second fork path rootlift never
//! needs. A program starts with an empty environment unless the caller
//! asks for this process's own (`inherit_env`); a name without a slash is
//! looked up in the PATH it is given.

use std::ffi::{CString, OsStr, OsString};
use std::fmt;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use rustix::event::{PollFd, PollFlags};
use rustix::io::Errno;
use rustix::process::{Pid, WaitOptions, WaitStatus};

use crate::sys_process::Exec;

/// Where a standard stream of the program goes.
pub enum Stdio {
    /// This process's own.
    Inherit,
    /// /dev/null.
    Null,
    /// This fd (a file, a socket).
    Fd(OwnedFd),
    /// A pipe this process reads (`output`; stdout and stderr only).
    Pipe,
}

impl From<OwnedFd> for Stdio {
    fn from(fd: OwnedFd) -> Self {
        Stdio::Fd(fd)
    }
}

impl From<std::fs::File> for Stdio {
    fn from(f: std::fs::File) -> Self {
        Stdio::Fd(f.into())
    }
}

/// A program to start: its name, arguments, environment and streams.
pub struct Command {
    program: OsString,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    inherit_env: bool,
    stdio: [Stdio; 3],
    new_group: bool,
}

/// How a program ended: its wait status (waitpid(2)).
#[derive(Clone, Copy)]
pub struct Status(WaitStatus);

impl Status {
    /// The exit code, or `None` when a signal ended it.
    pub fn code(self) -> Option<i32> {
        self.0.exit_status()
    }

    pub fn success(self) -> bool {
        self.code() == Some(0)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0.exit_status(), self.0.terminating_signal()) {
            (Some(code), _) => write!(f, "exit status: {code}"),
            (None, Some(sig)) => write!(f, "signal: {sig}"),
            (None, None) => write!(f, "wait status: {:#x}", self.0.as_raw()),
        }
    }
}

/// What `output` returns: how the program ended and what it printed.
pub struct Output {
    pub status: Status,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// A started program.
pub struct Child {
    pid: Pid,
    pipes: [Option<OwnedFd>; 2],
}

impl Command {
    /// `program`, with no arguments, an empty environment and this
    /// process's streams.
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        Command {
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            env: Vec::new(),
            inherit_env: false,
            stdio: [Stdio::Inherit, Stdio::Inherit, Stdio::Inherit],
            new_group: false,
        }
    }

    pub fn arg(&mut self, a: impl AsRef<OsStr>) -> &mut Self {
        self.args.push(a.as_ref().to_owned());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(&mut self, args: I) -> &mut Self {
        for a in args {
            self.arg(a);
        }
        self
    }

    /// Sets `key=value` in the program's environment (over an inherited
    /// one of the same name).
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Self {
        let key = key.as_ref().to_owned();
        self.env.retain(|(k, _)| *k != key);
        self.env.push((key, value.as_ref().to_owned()));
        self
    }

    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        for (k, v) in vars {
            self.env(k, v);
        }
        self
    }

    /// Starts from this process's environment instead of an empty one.
    pub fn inherit_env(&mut self) -> &mut Self {
        self.inherit_env = true;
        self
    }

    pub fn stdin(&mut self, s: impl Into<Stdio>) -> &mut Self {
        self.stdio[0] = s.into();
        self
    }

    pub fn stdout(&mut self, s: impl Into<Stdio>) -> &mut Self {
        self.stdio[1] = s.into();
        self
    }

    pub fn stderr(&mut self, s: impl Into<Stdio>) -> &mut Self {
        self.stdio[2] = s.into();
        self
    }

    /// The program leads a process group of its own (setpgid(2)).
    pub fn process_group(&mut self) -> &mut Self {
        self.new_group = true;
        self
    }

    /// Starts the program. An error is that of the step that failed,
    /// execve(2)'s included (ENOENT for a program not found).
    pub fn spawn(&mut self) -> std::io::Result<Child> {
        let (path, argv, envp) = self.prepared()?;
        let mut theirs: [Option<OwnedFd>; 3] = [None, None, None];
        let mut pipes = [None, None];
        for (i, s) in self.stdio.iter_mut().enumerate() {
            let fd = match std::mem::replace(s, Stdio::Inherit) {
                Stdio::Inherit => continue,
                Stdio::Null => rustix::fs::open(
                    "/dev/null",
                    rustix::fs::OFlags::RDWR | rustix::fs::OFlags::CLOEXEC,
                    rustix::fs::Mode::empty(),
                )?,
                Stdio::Fd(fd) => fd,
                // Read by `output`; a pipe to write to stdin is never needed.
                Stdio::Pipe if i == 0 => return Err(Errno::INVAL.into()),
                Stdio::Pipe => {
                    let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
                    pipes[i - 1] = Some(r);
                    w
                }
            };
            // Above the standard streams, so the child's dup2(2) onto 0, 1
            // and 2 never overwrites a source it has yet to copy.
            theirs[i] = Some(rustix::io::fcntl_dupfd_cloexec(&fd, 3)?);
        }
        // The child's execve(2) closes the write end (close-on-exec); a
        // failed one writes its errno there first.
        let (report_r, report_w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
        let exec = Exec {
            path: &path,
            argv: &argv,
            envp: &envp,
            stdio: theirs.each_ref().map(|o| o.as_ref().map(AsFd::as_fd)),
            new_group: self.new_group,
        };
        let pid = crate::sys_process::fork_exec(&exec, report_w.as_fd())?;
        let pid = Pid::from_raw(pid).ok_or(Errno::CHILD)?;
        drop((theirs, report_w));
        let child = Child { pid, pipes };
        let mut err = [0u8; 4];
        match read_full(&report_r, &mut err)? {
            0 => Ok(child),
            _ => {
                let _ = child.wait();
                Err(std::io::Error::from_raw_os_error(i32::from_ne_bytes(err)))
            }
        }
    }

    /// Runs the program with this process's streams and waits for it.
    pub fn status(&mut self) -> std::io::Result<Status> {
        self.spawn()?.wait()
    }

    /// Runs the program with stdin from /dev/null and its stdout (and its
    /// stderr, unless set otherwise) read into memory, and waits for it.
    pub fn output(&mut self) -> std::io::Result<Output> {
        self.stdio[0] = Stdio::Null;
        self.stdio[1] = Stdio::Pipe;
        if matches!(self.stdio[2], Stdio::Inherit) {
            self.stdio[2] = Stdio::Pipe;
        }
        let mut child = self.spawn()?;
        let (stdout, stderr) = child.read_pipes()?;
        Ok(Output {
            status: child.wait()?,
            stdout,
            stderr,
        })
    }

    /// Replaces this process with the program (with an empty signal mask).
    /// Returns only on failure.
    pub fn exec(&mut self) -> std::io::Error {
        let (path, argv, envp) = match self.prepared() {
            Ok(p) => p,
            Err(e) => return e,
        };
        crate::sys_process::exec(&Exec {
            path: &path,
            argv: &argv,
            envp: &envp,
            stdio: [None, None, None],
            new_group: self.new_group,
        })
    }

    /// The path to execute, argv and envp as execve(2) takes them.
    fn prepared(&self) -> std::io::Result<(CString, Vec<CString>, Vec<CString>)> {
        let mut env: Vec<OsString> = Vec::new();
        if self.inherit_env {
            for (k, v) in std::env::vars_os() {
                if !self.env.iter().any(|(mine, _)| *mine == k) {
                    env.push(joined(&k, &v));
                }
            }
        }
        let mut path_var = None;
        for (k, v) in &self.env {
            if k == "PATH" {
                path_var = Some(v.clone());
            }
            env.push(joined(k, v));
        }
        if self.inherit_env && path_var.is_none() {
            path_var = std::env::var_os("PATH");
        }
        let path = find(&self.program, path_var.as_deref()).ok_or(Errno::NOENT)?;
        let argv = std::iter::once(&self.program)
            .chain(&self.args)
            .map(|a| c_string(a.clone()))
            .collect::<std::io::Result<_>>()?;
        let envp = env
            .into_iter()
            .map(c_string)
            .collect::<std::io::Result<_>>()?;
        Ok((c_string(path)?, argv, envp))
    }
}

impl Child {
    pub fn id(&self) -> u32 {
        self.pid.as_raw_nonzero().get().unsigned_abs()
    }

    /// waitpid(2) until the program has ended.
    pub fn wait(&self) -> std::io::Result<Status> {
        loop {
            match rustix::process::waitpid(Some(self.pid), WaitOptions::empty()) {
                Ok(Some((_, status))) => return Ok(Status(status)),
                Ok(None) | Err(Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// waitpid(2) with WNOHANG: how it ended, or `None` while it runs.
    pub fn try_wait(&self) -> std::io::Result<Option<Status>> {
        loop {
            match rustix::process::waitpid(Some(self.pid), WaitOptions::NOHANG) {
                Ok(r) => return Ok(r.map(|(_, status)| Status(status))),
                Err(Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Everything the program writes to its stdout and stderr pipes, read
    /// as it comes (poll(2)), so a program filling one pipe while this
    /// process waits on the other cannot stall.
    fn read_pipes(&mut self) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
        let mut got = [Vec::new(), Vec::new()];
        let mut buf = [0u8; 4096];
        loop {
            let open: Vec<usize> = (0..2).filter(|&i| self.pipes[i].is_some()).collect();
            if open.is_empty() {
                break;
            }
            let mut fds: Vec<PollFd<'_>> = open
                .iter()
                .filter_map(|&i| self.pipes[i].as_ref())
                .map(|fd| PollFd::new(fd, PollFlags::IN))
                .collect();
            match rustix::event::poll(&mut fds, None) {
                Ok(_) | Err(Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
            let ready: Vec<bool> = fds.iter().map(|p| !p.revents().is_empty()).collect();
            drop(fds);
            for (&i, ready) in open.iter().zip(ready) {
                let Some(fd) = self.pipes[i].as_ref().filter(|_| ready) else {
                    continue;
                };
                match rustix::io::read(fd, &mut buf) {
                    Ok(0) => self.pipes[i] = None,
                    Ok(n) => got[i].extend_from_slice(&buf[..n]),
                    Err(Errno::INTR | Errno::AGAIN) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        let [out, err] = got;
        Ok((out, err))
    }
}

/// Reads until `buf` is full or end of file; the number of bytes read.
fn read_full(fd: &OwnedFd, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match rustix::io::read(fd, &mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(n)
}

/// `KEY=VALUE`.
fn joined(k: &OsStr, v: &OsStr) -> OsString {
    let mut s = k.to_owned();
    s.push("=");
    s.push(v);
    s
}

/// A C string of `s`; EINVAL for one with a NUL inside.
fn c_string(s: OsString) -> std::io::Result<CString> {
    CString::new(s.into_vec()).map_err(|_| Errno::INVAL.into())
}

/// The file to execute for `program`: itself when it names a path (has a
/// slash), else the first executable regular file of that name in the
/// directories of `path_var` (as execvp(3) searches, but in the PATH the
/// program is given, not this process's).
fn find(program: &OsStr, path_var: Option<&OsStr>) -> Option<OsString> {
    if program.as_bytes().contains(&b'/') {
        return Some(program.to_owned());
    }
    if program.is_empty() {
        return None;
    }
    let dirs = path_var?;
    dirs.as_bytes()
        .split(|&b| b == b':')
        .filter(|d| !d.is_empty())
        .map(|d| {
            let mut p = OsStr::from_bytes(d).to_owned();
            p.push("/");
            p.push(program);
            p
        })
        .find(|p| {
            rustix::fs::stat(p.as_os_str())
                .is_ok_and(|st| rustix::fs::FileType::from_raw_mode(st.st_mode).is_file())
                && rustix::fs::access(p.as_os_str(), rustix::fs::Access::EXEC_OK).is_ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_reads_both_streams_and_the_exit_code() {
        let out = Command::new("/bin/sh")
            .args(["-c", "echo out; echo err >&2; exit 3"])
            .output()
            .expect("sh runs");
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");
        assert_eq!(out.status.code(), Some(3));
        assert!(!out.status.success());
        assert_eq!(out.status.to_string(), "exit status: 3");
    }

    /// More than a pipe holds on both streams at once: read as it comes,
    /// or the program and this process would wait on each other forever.
    #[test]
    fn output_of_a_program_filling_both_pipes_does_not_stall() {
        let out = Command::new("/bin/sh")
            .args([
                "-c",
                "i=0; while [ $i -lt 3000 ]; do echo 0123456789012345678901234567890123456789; echo abcdefghijabcdefghijabcdefghijabcdefghij >&2; i=$((i+1)); done",
            ])
            .output()
            .expect("sh runs");
        assert_eq!(out.stdout.len(), 3000 * 41);
        assert_eq!(out.stderr.len(), 3000 * 41);
        assert!(out.status.success());
    }

    #[test]
    fn the_environment_is_only_what_is_given() {
        assert!(
            std::env::var_os("PATH").is_some(),
            "cargo test runs with a PATH"
        );
        let out = Command::new("/usr/bin/env")
            .env("A", "1")
            .env("B", "2")
            .env("A", "3")
            .output()
            .expect("env runs");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "B=2\nA=3\n");
        let out = Command::new("/usr/bin/env")
            .inherit_env()
            .env("PATH", "/nowhere")
            .output()
            .expect("env runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.lines().any(|l| l == "PATH=/nowhere"), "{text}");
        assert_eq!(text.lines().filter(|l| l.starts_with("PATH=")).count(), 1);
        assert!(text.lines().count() > 1, "{text}");
    }

    #[test]
    fn a_name_is_found_in_the_path_given_not_in_this_processs() {
        let out = Command::new("env")
            .env("PATH", "/nowhere:/usr/bin")
            .output()
            .expect("found in /usr/bin");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "PATH=/nowhere:/usr/bin\n"
        );
        let err = Command::new("env")
            .status()
            .err()
            .expect("no PATH: not found");
        assert_eq!(err.raw_os_error(), Some(2));
    }

    #[test]
    fn a_failed_exec_is_the_spawns_error() {
        let err = Command::new("/nonexistent/program")
            .spawn()
            .err()
            .expect("fails");
        assert_eq!(err.raw_os_error(), Some(2));
        // A directory: execve(2) says EACCES.
        let err = Command::new("/").spawn().err().expect("fails");
        assert_eq!(err.raw_os_error(), Some(13));
        let err = Command::new("/bin/sh")
            .arg("a\0b")
            .spawn()
            .err()
            .expect("fails");
        assert_eq!(err.raw_os_error(), Some(22));
    }

    #[test]
    fn a_signal_death_is_shown_as_such() {
        let st = Command::new("/bin/sh")
            .args(["-c", "kill -9 $$"])
            .status()
            .expect("sh runs");
        assert_eq!(st.code(), None);
        assert_eq!(st.to_string(), "signal: 9");
    }

    /// Streams given as fds land on 0, 1 and 2; the program leads a
    /// process group of its own when asked.
    #[test]
    fn streams_and_the_process_group() {
        let dir = std::env::temp_dir().join(format!("rootlift-spawn-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = std::fs::File::create(dir.join("out")).unwrap();
        let child = Command::new("/bin/sh")
            .args([
                "-c",
                "read x; echo \"in:$x pgrp:$(cut -d' ' -f5 /proc/$$/stat)\"; echo e >&2",
            ])
            .stdin(Stdio::Null)
            .stdout(file)
            .stderr(Stdio::Null)
            .process_group()
            .spawn()
            .expect("sh runs");
        let pid = child.id();
        assert!(child.wait().expect("waits").success());
        let text = std::fs::read_to_string(dir.join("out")).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(text, format!("in: pgrp:{pid}\n"));
    }

    /// A program starts with SIGPIPE at its default and nothing blocked,
    /// though this test process (Rust's runtime) ignores SIGPIPE.
    #[test]
    fn a_program_starts_with_sigpipe_at_its_default() {
        let out = Command::new("/bin/sh")
            .args(["-c", "grep -E '^Sig(Ign|Blk):' /proc/self/status"])
            .output()
            .expect("sh runs");
        let text = String::from_utf8_lossy(&out.stdout);
        let mask = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
                .expect("a mask")
        };
        assert_eq!(
            mask("SigIgn:") & (1 << (13 - 1)),
            0,
            "SIGPIPE ignored: {text}"
        );
        assert_eq!(mask("SigBlk:"), 0, "{text}");
        let me = std::fs::read_to_string("/proc/self/status").unwrap();
        assert!(
            me.lines().any(|l| l.starts_with("SigIgn:")
                && u64::from_str_radix(l[7..].trim(), 16).unwrap() & (1 << 12) != 0),
            "the test process itself ignores SIGPIPE, so the check can fail"
        );
    }

    #[test]
    fn try_wait_sees_a_running_and_then_an_ended_program() {
        let child = Command::new("/bin/sleep")
            .arg("30")
            .spawn()
            .expect("sleep runs");
        assert!(child.try_wait().expect("waitpid").is_none());
        rustix::process::kill_process(child.pid, rustix::process::Signal::KILL).expect("kill");
        let status = loop {
            if let Some(s) = child.try_wait().expect("waitpid") {
                break s;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        assert_eq!(status.to_string(), "signal: 9");
    }
}
