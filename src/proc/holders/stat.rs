//! The fields of `/proc/PID/stat` (proc_pid_stat(5)) a holder scan needs:
//!
//! ```text
//! 1234 (my (odd) comm) S 1 1234 1234 0 -1 4194560 ...
//! (1)  (2)             (3) state (4) ppid ...    (9) flags
//! ```
//!
//! `comm` is in parentheses and may itself hold spaces and `)`, so the
//! fields after it are found from the LAST `)`.

/// `PF_KTHREAD` of include/linux/sched.h: the task is a kernel thread.
pub const PF_KTHREAD: u32 = 0x0020_0000;

/// The parts of one stat line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat<'a> {
    pub comm: &'a [u8],
    /// One letter: R running, S sleeping, D disk sleep, T stopped, t
    /// traced, Z zombie, X dead...
    pub state: u8,
    pub ppid: u32,
    pub flags: u32,
}

impl ProcStat<'_> {
    /// Kernel threads have no exe and are never holders to stop. The
    /// kernel's own mark is `PF_KTHREAD` (what ps(1) uses); kthreadd (PID 2)
    /// and its children are the same set on every kernel since 2.6.
    pub fn is_kernel_thread(&self, pid: u32) -> bool {
        self.flags & PF_KTHREAD != 0 || pid == 2 || self.ppid == 2
    }
}

/// `/proc/PID/stat` as it is now; `None` once the process is gone.
pub fn read(pid: u32) -> Option<Vec<u8>> {
    std::fs::read(format!("/proc/{pid}/stat")).ok()
}

/// Whether a process in `state` runs no more code until it is continued:
/// stopped (T), traced (t), a zombie (Z) or dead (X).
pub fn is_still(state: u8) -> bool {
    matches!(state, b'T' | b't' | b'Z' | b'X')
}

/// Parses a stat line; `None` when it is not one.
pub fn parse(text: &[u8]) -> Option<ProcStat<'_>> {
    let open = text.iter().position(|&c| c == b'(')?;
    let close = text.iter().rposition(|&c| c == b')')?;
    let comm = text.get(open.checked_add(1)?..close)?;
    let rest = text.get(close.checked_add(1)?..)?;
    let rest = std::str::from_utf8(rest).ok()?;
    // After `)`: state(3) ppid(4) pgrp(5) session(6) tty_nr(7) tpgid(8) flags(9).
    let mut f = rest.split_ascii_whitespace();
    let state = *f.next()?.as_bytes().first()?;
    let ppid = f.next()?.parse().ok()?;
    let flags = f.nth(4)?.parse().ok()?;
    Some(ProcStat {
        comm,
        state,
        ppid,
        flags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_comm_ppid_and_flags() {
        // This machine's /proc/self/stat (cat), truncated after a few fields.
        let s = parse(b"4711 (cat) R 4700 4711 4700 34816 4711 4194304 110 0 0 0\n").unwrap();
        assert_eq!(
            (s.comm, s.state, s.ppid, s.flags),
            (&b"cat"[..], b'R', 4700, 4194304)
        );
        assert!(!s.is_kernel_thread(4711));
    }

    #[test]
    fn comm_with_spaces_and_parens() {
        let s = parse(b"9 (a) b (c)) S 1 9 9 0 -1 4194560 0").unwrap();
        assert_eq!(s.comm, b"a) b (c)");
        assert_eq!(s.ppid, 1);
    }

    #[test]
    fn kernel_threads() {
        // /proc/2/stat (kthreadd) and a kworker: PF_KTHREAD set.
        let k = parse(b"2 (kthreadd) S 0 0 0 0 -1 2129984 0").unwrap();
        assert!(k.is_kernel_thread(2));
        let w = parse(b"9 (kworker/0:0-events) I 2 0 0 0 -1 69238880 0").unwrap();
        assert!(w.is_kernel_thread(9));
    }

    #[test]
    fn garbage_is_none() {
        for bad in [
            &b""[..],
            b"1 (x",
            b"1 (x) S",
            b"1 (x) S y 1 1 0 -1 0",
            b"1 (x) S 1 1",
        ] {
            assert_eq!(parse(bad), None);
        }
    }
}
