//! The journal, `/run/rootlift/journal` (docs/design.md, "The journal"): append-only
//! text, one line per step event, `<unix-time> <stage> <event> <detail>`
//! (the time in seconds, with milliseconds after a dot),
//! fsync'd after every line and copied into the kernel log through
//! `/dev/kmsg` (see Documentation/ABI/testing/dev-kmsg) with the prefix
//! `rootlift:` so it survives on the console and in dmesg.
//!
//! `event` is one of [`Event`]; `detail` is a list of `key=value` words
//! built by [`Detail`], whose values are escaped so every event stays one
//! line and one word per field.

mod detail;
mod event;
mod fields;
mod follow;
pub mod kmsg;

pub use detail::{Detail, escape, get, unescape};
pub use event::Event;
pub use fields::Fields;
pub use follow::follow;

use std::fmt;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::path::Path;

use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags, fsync, mkdirat, openat, statat};
use rustix::io::Errno;

use crate::error::{Error, Result};

/// rootlift's directory in /run: 0700 and root-owned, so nobody else can
/// reach the tmpfs mounted below it before the pivot.
pub const DIR: &str = "/run/rootlift";
pub const PATH: &str = "/run/rootlift/journal";

/// Where a lift stands (docs/design.md: idle → entered → released → job →
/// returning → returned, plus failed:<step>).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    Idle,
    Entered,
    Released,
    Job,
    Returning,
    Returned,
    Failed(String),
    Aborted(String),
}

impl Stage {
    pub fn parse(s: &str) -> Option<Stage> {
        Some(match s {
            "idle" => Stage::Idle,
            "entered" => Stage::Entered,
            "released" => Stage::Released,
            "job" => Stage::Job,
            "returning" => Stage::Returning,
            "returned" => Stage::Returned,
            _ => match s.split_once(':') {
                Some(("failed", step)) if !step.is_empty() => Stage::Failed(step.to_owned()),
                Some(("aborted", why)) if !why.is_empty() => Stage::Aborted(why.to_owned()),
                _ => return None,
            },
        })
    }

    /// Whether the system is (possibly) lifted in this stage. `aborted:*`
    /// is written only once the system has returned.
    pub fn is_lifted(&self) -> bool {
        !matches!(self, Stage::Idle | Stage::Returned | Stage::Aborted(_))
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stage::Idle => f.write_str("idle"),
            Stage::Entered => f.write_str("entered"),
            Stage::Released => f.write_str("released"),
            Stage::Job => f.write_str("job"),
            Stage::Returning => f.write_str("returning"),
            Stage::Returned => f.write_str("returned"),
            Stage::Failed(step) => write!(f, "failed:{step}"),
            Stage::Aborted(why) => write!(f, "aborted:{why}"),
        }
    }
}

/// One journal line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Unix time, whole seconds.
    pub time: u64,
    /// Unix time in milliseconds (`time` * 1000 for lines written without).
    pub ms: u64,
    pub stage: Stage,
    pub event: Event,
    /// Raw `key=value` words, values still escaped.
    pub detail: String,
}

impl Entry {
    /// The unescaped value of `key` in the detail.
    pub fn get(&self, key: &str) -> Option<String> {
        get(&self.detail, key)
    }

    /// Whether this is `event` with `key` equal to `value`.
    pub fn is(&self, event: Event, key: &str, value: &str) -> bool {
        self.event == event && self.get(key).as_deref() == Some(value)
    }

    /// The line as the journal holds it.
    pub fn line(&self) -> String {
        format!(
            "{}.{:03} {} {} {}",
            self.time,
            self.ms % 1000,
            self.stage,
            self.event,
            self.detail
        )
    }
}

/// An open journal, appending.
pub struct Journal {
    file: std::fs::File,
    kmsg: kmsg::Kmsg,
    /// Where it is, so it can be read back.
    path: std::path::PathBuf,
}

impl Journal {
    /// Opens (creating) the journal, after making sure its directory is a
    /// real, root-owned, 0700 directory: never a symlink somebody planted.
    pub fn open() -> Result<Journal> {
        ensure_private_dir(Path::new(DIR))?;
        let fd: OwnedFd = openat(
            CWD,
            PATH,
            OFlags::WRONLY | OFlags::APPEND | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map_err(|e| Error::sys("open", PATH, e))?;
        let file = std::fs::File::from(fd);
        drop_cut_line(&file)?;
        Ok(Journal {
            file,
            kmsg: kmsg::Kmsg::open(),
            path: PATH.into(),
        })
    }

    /// A journal in the file `path`, without the kernel-log copy: for the
    /// unit tests, which must not write the host's journal.
    #[cfg(test)]
    pub fn for_test(path: &Path) -> Journal {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("open the test journal");
        Journal {
            file,
            kmsg: kmsg::Kmsg::none(),
            path: path.into(),
        }
    }

    /// The entries of the latest lift, as written so far.
    pub fn cycle(&self) -> Result<Vec<Entry>> {
        let shown = self.path.display();
        let text =
            std::fs::read_to_string(&self.path).map_err(|e| Error::io("read", &shown, &e))?;
        let entries = parse(&text)?;
        Ok(current_cycle(&entries).to_vec())
    }

    /// Appends one event and fsyncs it; the kernel-log copy is best effort
    /// (kmsg may be missing).
    pub fn log(&mut self, stage: &Stage, event: Event, detail: Detail) -> Result<()> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let line = format!(
            "{}.{:03} {stage} {event} {detail}\n",
            now / 1000,
            now % 1000
        );
        self.file
            .write_all(line.as_bytes())
            .map_err(|e| Error::io("write", PATH, &e))?;
        fsync(&self.file).map_err(|e| Error::sys("fsync", PATH, e))?;
        self.kmsg
            .write_event(&format!("rootlift: {stage} {event}"), detail.as_str());
        Ok(())
    }
}

/// A write cut short (power loss, a killed writer) leaves a last line
/// without its newline; the next event must not be glued to it. That
/// fragment was never a whole event: it is cut off.
fn drop_cut_line(file: &std::fs::File) -> Result<()> {
    let text = std::fs::read(PATH).map_err(|e| Error::io("read", PATH, &e))?;
    if text.last().is_none_or(|&b| b == b'\n') {
        return Ok(());
    }
    let keep = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    file.set_len(keep as u64)
        .map_err(|e| Error::io("ftruncate", PATH, &e))
}

/// Creates `dir` 0700 when missing; refuses one that is a symlink, not a
/// directory, not owned by root, or reachable by group or others.
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    match mkdirat(CWD, dir, Mode::from_raw_mode(0o700)) {
        Ok(()) | Err(Errno::EXIST) => {}
        Err(e) => return Err(Error::sys("mkdir", dir.display(), e)),
    }
    let st = statat(CWD, dir, AtFlags::SYMLINK_NOFOLLOW)
        .map_err(|e| Error::sys("lstat", dir.display(), e))?;
    if FileType::from_raw_mode(st.st_mode) != FileType::Directory {
        return Err(Error::refused(format!(
            "{} is not a directory (a symlink or file was planted there)",
            dir.display()
        )));
    }
    if st.st_uid != 0 || st.st_mode & 0o077 != 0 {
        return Err(Error::refused(format!(
            "{} must be root-owned and mode 0700 (found uid {} mode {:o})",
            dir.display(),
            st.st_uid,
            st.st_mode & 0o7777
        )));
    }
    Ok(())
}

/// Reads the journal; `Ok(None)` when there is none.
pub fn read() -> Result<Option<Vec<Entry>>> {
    match std::fs::read_to_string(PATH) {
        Ok(text) => parse(&text).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", PATH, &e)),
    }
}

/// Parses journal text. A corrupt line is an error naming its number; a
/// final line without its newline (a write cut short) is ignored.
pub fn parse(text: &str) -> Result<Vec<Entry>> {
    let complete = match text.rfind('\n') {
        Some(end) => &text[..end],
        None => "",
    };
    let mut entries = Vec::new();
    for (n, line) in complete.split('\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let bad = |why: &str| Error::invalid("journal", PATH, format!("line {}: {why}", n + 1));
        let mut f = line.splitn(4, ' ');
        let (time, ms) = f
            .next()
            .and_then(parse_time)
            .ok_or_else(|| bad("bad time"))?;
        let stage = f
            .next()
            .and_then(Stage::parse)
            .ok_or_else(|| bad("unknown stage"))?;
        let event = f
            .next()
            .filter(|e| !e.is_empty())
            .ok_or_else(|| bad("no event"))?;
        let event = Event::parse(event).ok_or_else(|| bad("unknown event"))?;
        entries.push(Entry {
            time,
            ms,
            stage,
            event,
            detail: f.next().unwrap_or("").to_owned(),
        });
    }
    Ok(entries)
}

/// `SECONDS` or `SECONDS.MMM`: whole seconds and milliseconds.
fn parse_time(t: &str) -> Option<(u64, u64)> {
    let (secs, frac) = match t.split_once('.') {
        Some((s, f)) if f.len() == 3 && f.bytes().all(|b| b.is_ascii_digit()) => (s, f),
        Some(_) => return None,
        None => (t, "000"),
    };
    let secs: u64 = secs.parse().ok()?;
    let ms = secs.checked_mul(1000)?.checked_add(frac.parse().ok()?)?;
    Some((secs, ms))
}

/// The entries of the latest lift: from its last `enter.begin` on.
pub fn current_cycle(entries: &[Entry]) -> &[Entry] {
    match entries.iter().rposition(|e| e.event == Event::EnterBegin) {
        Some(i) => &entries[i..],
        None => &entries[entries.len()..],
    }
}

/// The stage the latest lift is in.
pub fn current_stage(entries: &[Entry]) -> Stage {
    current_cycle(entries)
        .last()
        .map(|e| e.stage.clone())
        .unwrap_or(Stage::Idle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_round_trip() {
        for s in [
            "idle",
            "entered",
            "released",
            "job",
            "returning",
            "returned",
            "failed:pivot",
            "aborted:no-confirm",
        ] {
            assert_eq!(Stage::parse(s).unwrap().to_string(), s);
        }
        for s in ["", "failed:", "entering", "aborted"] {
            assert!(Stage::parse(s).is_none(), "{s}");
        }
    }

    #[test]
    fn parses_lines_and_cycles() {
        let text = "\
100 idle enter.begin pid=5
101 entered enter.done tmpfs=/run/rootlift/root
102 returned return.done
200 idle enter.begin pid=9
201 idle record.root source=/dev/mapper/vg0-root options=rw,relatime
202 failed:pivot enter.failed why=pivot_root%20EINVAL
";
        let e = parse(text).unwrap();
        assert_eq!(e.len(), 6);
        assert_eq!(current_cycle(&e).len(), 3);
        assert_eq!(current_stage(&e), Stage::Failed("pivot".into()));
        assert_eq!(e[4].get("source").unwrap(), "/dev/mapper/vg0-root");
        assert_eq!(e[5].get("why").unwrap(), "pivot_root EINVAL");
        assert_eq!(current_stage(&[]), Stage::Idle);
        assert!(!Stage::Aborted("no-confirm".into()).is_lifted());
        assert!(Stage::Failed("release".into()).is_lifted());
    }

    /// Lines only 0.1.0 wrote still parse (event.rs says why they stay).
    #[test]
    fn a_journal_written_by_0_1_0_parses() {
        let text = "\
100 idle enter.begin pid=5
100 idle record.shared path=/
100 idle record.slave path=/srv
104 entered release.sigterm pids=310,311
";
        let e = parse(text).unwrap();
        let events: Vec<Event> = e.iter().map(|e| e.event).collect();
        assert_eq!(
            events,
            [
                Event::EnterBegin,
                Event::RecordShared,
                Event::RecordSlave,
                Event::ReleaseSigterm
            ]
        );
        assert_eq!(e[3].get("pids").unwrap(), "310,311");
    }

    #[test]
    fn a_cut_last_line_is_ignored_and_corrupt_lines_are_errors() {
        assert_eq!(parse("100 idle enter.begin x\n101 ent").unwrap().len(), 1);
        for bad in [
            "x idle a b\n",
            "1 sleeping a\n",
            "1 idle\n",
            "1 failed: a\n",
        ] {
            let err = parse(bad).unwrap_err().to_string();
            assert!(err.contains("line 1"), "{bad:?}: {err}");
        }
    }
}
