//! The one error type of rootlift and its mapping onto the exit codes of
//! docs/commands.md: 0 ok, 1 operation failed, 2 usage error, 3 refused by a safety
//! check (nothing was changed).
//!
//! Messages are lower-case and name the call that failed, the path it was
//! given and the errno the kernel returned, e.g.
//! `pivot_root /run/rootlift/root: EINVAL (invalid argument)`.

use std::fmt;

use rustix::io::Errno;

/// Exit code: the operation failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: the command line was wrong.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: a safety check refused; nothing was changed.
pub const EXIT_REFUSED: u8 = 3;

/// A rootlift error: one pointer wide, so that every `Result` returned
/// through `?` stays small (the kinds hold strings; carried inline, each
/// return would move 64 bytes and the binary grows by tens of KiB).
#[derive(Debug)]
pub struct Error(Box<Kind>);

/// What went wrong; [`Error::kind`] reads it.
#[derive(Debug)]
pub enum Kind {
    /// The command line could not be understood (exit 2).
    Usage(String),
    /// A safety check refused the operation before anything changed (exit 3).
    Refused(String),
    /// The operator aborted a job between two of its steps (exit 1).
    Aborted(String),
    /// A system call failed: which call, on which path, with which errno.
    Sys {
        call: &'static str,
        path: String,
        errno: Errno,
    },
    /// Data read from the kernel or a disk did not parse: what was being
    /// read, from where, and why it was rejected.
    Invalid {
        what: &'static str,
        path: String,
        why: String,
    },
    /// An external program rootlift ran failed.
    Command { program: String, status: String },
    /// Anything else that failed, already worded as a lower-case sentence.
    Failed(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Kind> for Error {
    fn from(kind: Kind) -> Self {
        Error(Box::new(kind))
    }
}

impl Error {
    /// A command line that could not be understood (exit 2).
    pub fn usage(msg: String) -> Self {
        Kind::Usage(msg).into()
    }

    /// A safety check's refusal, nothing changed (exit 3).
    pub fn refused(msg: String) -> Self {
        Kind::Refused(msg).into()
    }

    /// The operator's abort between two steps (exit 1).
    pub fn aborted(why: String) -> Self {
        Kind::Aborted(why).into()
    }

    /// A failure already worded as a sentence (exit 1).
    pub fn failed(msg: String) -> Self {
        Kind::Failed(msg).into()
    }

    /// An external program that failed, and how.
    pub fn command(program: String, status: String) -> Self {
        Kind::Command { program, status }.into()
    }

    /// A failed system call on a path.
    pub fn sys(call: &'static str, path: impl fmt::Display, errno: Errno) -> Self {
        Kind::Sys {
            call,
            path: path.to_string(),
            errno,
        }
        .into()
    }

    /// A failed std I/O call on a path; keeps the errno when there is one.
    pub fn io(call: &'static str, path: impl fmt::Display, err: &std::io::Error) -> Self {
        Error::sys(call, path, ErrnoText::io(err).0)
    }

    /// Bytes that do not parse.
    pub fn invalid(what: &'static str, path: impl fmt::Display, why: impl fmt::Display) -> Self {
        Kind::Invalid {
            what,
            path: path.to_string(),
            why: why.to_string(),
        }
        .into()
    }

    /// What went wrong.
    pub fn kind(&self) -> &Kind {
        &self.0
    }

    /// The errno of a failed system call; None for any other kind.
    pub fn errno(&self) -> Option<Errno> {
        match *self.0 {
            Kind::Sys { errno, .. } => Some(errno),
            _ => None,
        }
    }

    /// A safety check's refusal (exit 3)?
    pub fn is_refused(&self) -> bool {
        matches!(*self.0, Kind::Refused(_))
    }

    pub fn exit_code(&self) -> u8 {
        match *self.0 {
            Kind::Usage(_) => EXIT_USAGE,
            Kind::Refused(_) => EXIT_REFUSED,
            _ => EXIT_FAILED,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            Kind::Usage(msg) => write!(f, "{msg}"),
            Kind::Refused(msg) => write!(f, "refused: {msg}"),
            Kind::Aborted(why) => write!(f, "aborted: {why}"),
            Kind::Sys { call, path, errno } => {
                write!(f, "{call} {path}: {}", ErrnoText(*errno))
            }
            Kind::Invalid { what, path, why } => write!(f, "{what} {path}: {why}"),
            Kind::Command { program, status } => write!(f, "{program}: {status}"),
            Kind::Failed(msg) => write!(f, "{msg}"),
        }
    }
}

impl std::error::Error for Error {}

/// An errno printed as `ENAME (description)`, lower-case, stable across libcs.
pub struct ErrnoText(pub Errno);

impl ErrnoText {
    /// The errno of a failed std I/O call (EIO when it has none), so no
    /// message depends on the C library's strerror(3).
    pub fn io(err: &std::io::Error) -> Self {
        ErrnoText(
            err.raw_os_error()
                .map_or(Errno::IO, Errno::from_raw_os_error),
        )
    }
}

impl fmt::Display for ErrnoText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let raw = self.0.raw_os_error();
        match errno_name(raw) {
            Some((name, text)) => write!(f, "{name} ({text})"),
            None => write!(f, "errno {raw}"),
        }
    }
}

/// The errnos rootlift's calls can return, named as in errno(3).
fn errno_name(raw: i32) -> Option<(&'static str, &'static str)> {
    Some(match raw {
        1 => ("EPERM", "operation not permitted"),
        2 => ("ENOENT", "no such file or directory"),
        3 => ("ESRCH", "no such process"),
        4 => ("EINTR", "interrupted system call"),
        5 => ("EIO", "input/output error"),
        6 => ("ENXIO", "no such device or address"),
        7 => ("E2BIG", "argument list too long"),
        8 => ("ENOEXEC", "exec format error"),
        9 => ("EBADF", "bad file descriptor"),
        11 => ("EAGAIN", "resource temporarily unavailable"),
        12 => ("ENOMEM", "cannot allocate memory"),
        13 => ("EACCES", "permission denied"),
        14 => ("EFAULT", "bad address"),
        15 => ("ENOTBLK", "block device required"),
        16 => ("EBUSY", "device or resource busy"),
        17 => ("EEXIST", "file exists"),
        18 => ("EXDEV", "invalid cross-device link"),
        19 => ("ENODEV", "no such device"),
        20 => ("ENOTDIR", "not a directory"),
        21 => ("EISDIR", "is a directory"),
        22 => ("EINVAL", "invalid argument"),
        24 => ("EMFILE", "too many open files"),
        25 => ("ENOTTY", "inappropriate ioctl for device"),
        26 => ("ETXTBSY", "text file busy"),
        27 => ("EFBIG", "file too large"),
        28 => ("ENOSPC", "no space left on device"),
        30 => ("EROFS", "read-only file system"),
        31 => ("EMLINK", "too many links"),
        36 => ("ENAMETOOLONG", "file name too long"),
        38 => ("ENOSYS", "function not implemented"),
        39 => ("ENOTEMPTY", "directory not empty"),
        40 => ("ELOOP", "too many levels of symbolic links"),
        61 => ("ENODATA", "no data available"),
        75 => ("EOVERFLOW", "value too large for defined data type"),
        95 => ("EOPNOTSUPP", "operation not supported"),
        110 => ("ETIMEDOUT", "connection timed out"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sys_error_names_call_path_and_errno() {
        let e = Error::sys("pivot_root", "/run/rootlift/root", Errno::INVAL);
        assert_eq!(
            e.to_string(),
            "pivot_root /run/rootlift/root: EINVAL (invalid argument)"
        );
        assert_eq!(e.exit_code(), EXIT_FAILED);
    }

    #[test]
    fn exit_codes_follow_the_contract() {
        assert_eq!(Error::usage("x".into()).exit_code(), 2);
        assert_eq!(Error::refused("x".into()).exit_code(), 3);
        assert_eq!(Error::aborted("x".into()).exit_code(), 1);
        assert_eq!(Error::failed("x".into()).exit_code(), 1);
        assert_eq!(
            Error::aborted("'rootlift abort' before the lvreduce step".into()).to_string(),
            "aborted: 'rootlift abort' before the lvreduce step"
        );
    }

    #[test]
    fn io_error_keeps_errno() {
        let io = std::io::Error::from_raw_os_error(16);
        assert_eq!(
            Error::io("open", "/dev/vda", &io).to_string(),
            "open /dev/vda: EBUSY (device or resource busy)"
        );
        let unknown = Error::sys("read", "/x", Errno::from_raw_os_error(200));
        assert_eq!(unknown.to_string(), "read /x: errno 200");
    }

    /// A std I/O error is shown by rootlift's own names, never by the C
    /// library's strerror(3) (nor std's texts for errors without errno).
    #[test]
    fn an_io_error_is_shown_by_its_errno_name() {
        let io = std::io::Error::from_raw_os_error(2);
        assert_eq!(
            ErrnoText::io(&io).to_string(),
            "ENOENT (no such file or directory)"
        );
        let no_errno = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "short");
        assert_eq!(
            ErrnoText::io(&no_errno).to_string(),
            "EIO (input/output error)"
        );
    }
}
