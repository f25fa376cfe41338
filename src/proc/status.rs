//! One field of `/proc/PID/status` (proc_pid_status(5)): `Seccomp:`, the
//! task's seccomp mode (0 none, 1 strict, 2 filter; Linux 3.8 and later).

/// The seccomp mode of a status text, `None` when the line is missing or
/// not a number (an old kernel, or not a status file).
pub fn seccomp_mode(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Seccomp:"))
        .and_then(|v| v.trim().parse().ok())
}

/// Whether process `pid` runs under a seccomp filter (or strict mode): a
/// syscall its filter does not allow kills it. A process that may not be
/// in a filter (unreadable, gone) counts as not.
pub fn under_seccomp(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| seccomp_mode(&s))
        .is_some_and(|m| m != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seccomp_mode_is_read_from_its_line() {
        let sandboxed = "Name:\tsshd\nUmask:\t0022\nState:\tS (sleeping)\nNoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t1\n";
        assert_eq!(seccomp_mode(sandboxed), Some(2));
        assert_eq!(
            seccomp_mode("Name:\tsshd\nSeccomp:\t0\nSeccomp_filters:\t0\n"),
            Some(0)
        );
        assert_eq!(seccomp_mode("Name:\tsshd\n"), None);
        assert_eq!(seccomp_mode("Seccomp:\tx\n"), None);
    }

    #[test]
    fn a_process_that_is_gone_is_not_under_seccomp() {
        assert!(!under_seccomp(u32::MAX));
    }
}
