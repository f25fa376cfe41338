//! The journal, `/run/rootlift/journal` (SPEC.md, "The journal"): append-only
//! text, one line per step event, `<unix-time> <stage> <event> <detail>`,
//! fsync'd after every line and copied into the kernel log through
//! `/dev/kmsg` (see Documentation/ABI/testing/dev-kmsg) with the prefix
//! `rootlift:` so it survives on the console and in dmesg.
//!
//! `detail` is a list of `key=value` words; values are percent-escaped
//! (`%20` space, `%25` percent, `%0a` newline) so every event stays one line
//! and one word per field.

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

/// Where a lift stands (SPEC.md: idle → entered → released → job →
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
    pub time: u64,
    pub stage: Stage,
    pub event: String,
    /// Raw `key=value` words, values still escaped.
    pub detail: String,
}

impl Entry {
    /// The unescaped value of `key` in the detail.
    pub fn get(&self, key: &str) -> Option<String> {
        self.detail.split(' ').find_map(|w| {
            let (k, v) = w.split_once('=')?;
            if k == key { unescape(v) } else { None }
        })
    }
}

/// An open journal, appending.
pub struct Journal {
    file: std::fs::File,
    kmsg: Option<std::fs::File>,
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
        let kmsg = openat(
            CWD,
            "/dev/kmsg",
            OFlags::WRONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .ok()
        .map(std::fs::File::from);
        Ok(Journal { file, kmsg })
    }

    /// Appends one event and fsyncs it; the kernel-log copy is best effort
    /// (kmsg may be missing or rate-limited).
    pub fn log(&mut self, stage: &Stage, event: &str, detail: &str) -> Result<()> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let line = format!("{now} {stage} {event} {detail}\n");
        self.file
            .write_all(line.as_bytes())
            .map_err(|e| Error::io("write", PATH, &e))?;
        fsync(&self.file).map_err(|e| Error::sys("fsync", PATH, e))?;
        if let Some(k) = self.kmsg.as_mut() {
            for record in kmsg_records(&format!("rootlift: {stage} {event}"), detail) {
                let _ = k.write_all(record.as_bytes());
            }
        }
        Ok(())
    }
}

/// The longest record /dev/kmsg takes: printk's LOG_LINE_MAX (1024 less
/// the 48-byte PREFIX_MAX in kernel/printk/printk.c); a longer write fails
/// with EINVAL and the event would be missing from dmesg.
pub const KMSG_RECORD_MAX: usize = 1024 - 48;

/// The kernel-log copy of one event: `HEAD DETAIL\n` when it fits in one
/// record, else the detail cut at word boundaries (inside a word only when
/// one word alone is too long) into records `HEAD part=I/N WORDS\n`.
pub fn kmsg_records(head: &str, detail: &str) -> Vec<String> {
    let whole = format!("{head} {detail}\n");
    if whole.len() <= KMSG_RECORD_MAX {
        return vec![whole];
    }
    // Room for the detail after "HEAD part=III/NNN " and the newline.
    let room = KMSG_RECORD_MAX
        .saturating_sub(head.len() + " part=999/999 \n".len())
        .max(16);
    let mut chunks: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in detail.split(' ') {
        let mut rest = word;
        loop {
            let sep = usize::from(!cur.is_empty());
            if cur.len() + sep + rest.len() <= room {
                if sep == 1 {
                    cur.push(' ');
                }
                cur.push_str(rest);
                break;
            }
            if !cur.is_empty() {
                chunks.push(std::mem::take(&mut cur));
                continue;
            }
            // One word longer than a record: cut it on a char boundary.
            let mut cut = room.min(rest.len());
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            chunks.push(rest[..cut].to_owned());
            rest = &rest[cut..];
            if rest.is_empty() {
                break;
            }
        }
    }
    if !cur.is_empty() {
        chunks.push(cur);
    }
    let n = chunks.len();
    chunks
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{head} part={}/{n} {c}\n", i + 1))
        .collect()
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
        return Err(Error::Refused(format!(
            "{} is not a directory (a symlink or file was planted there)",
            dir.display()
        )));
    }
    if st.st_uid != 0 || st.st_mode & 0o077 != 0 {
        return Err(Error::Refused(format!(
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
        let time = f
            .next()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| bad("bad time"))?;
        let stage = f
            .next()
            .and_then(Stage::parse)
            .ok_or_else(|| bad("unknown stage"))?;
        let event = f
            .next()
            .filter(|e| !e.is_empty())
            .ok_or_else(|| bad("no event"))?;
        entries.push(Entry {
            time,
            stage,
            event: event.to_owned(),
            detail: f.next().unwrap_or("").to_owned(),
        });
    }
    Ok(entries)
}

/// The entries of the latest lift: from its last `enter.begin` on.
pub fn current_cycle(entries: &[Entry]) -> &[Entry] {
    match entries.iter().rposition(|e| e.event == "enter.begin") {
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

/// Escapes a value so it stays one word on one line.
pub fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '%' => out.push_str("%25"),
            '\n' => out.push_str("%0a"),
            '\t' => out.push_str("%09"),
            '=' => out.push_str("%3d"),
            c => out.push(c),
        }
    }
    out
}

/// Undoes [`escape`]; `None` on a malformed escape.
pub fn unescape(v: &str) -> Option<String> {
    let mut out = Vec::with_capacity(v.len());
    let b = v.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
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

    #[test]
    fn escaping_keeps_one_word() {
        let v = "a b%c\nd=e\tf";
        let e = escape(v);
        assert!(!e.contains([' ', '\n', '=', '\t']));
        assert_eq!(unescape(&e).unwrap(), v);
        assert!(unescape("%zz").is_none());
        assert!(unescape("%2").is_none());
    }

    #[test]
    fn kmsg_records_fit_and_keep_every_word() {
        let head = "rootlift: entered release.holder";
        let short = kmsg_records(head, "pid=1 comm=systemd");
        assert_eq!(short, vec![format!("{head} pid=1 comm=systemd\n")]);

        let words: Vec<String> = (0..300).map(|i| format!("w{i}=x")).collect();
        let detail = words.join(" ");
        let recs = kmsg_records(head, &detail);
        assert!(recs.len() > 1);
        let n = recs.len();
        let mut back = Vec::new();
        for (i, r) in recs.iter().enumerate() {
            assert!(r.len() <= KMSG_RECORD_MAX, "{}", r.len());
            let prefix = format!("{head} part={}/{n} ", i + 1);
            let body = r.strip_prefix(&prefix).and_then(|b| b.strip_suffix('\n'));
            back.push(body.expect("record shape").to_owned());
        }
        assert_eq!(back.join(" "), detail);

        // One word longer than a record is cut, nothing lost, UTF-8 kept.
        let long = "ä".repeat(KMSG_RECORD_MAX);
        let recs = kmsg_records(head, &long);
        let n = recs.len();
        let joined: String = recs
            .iter()
            .enumerate()
            .map(|(i, r)| {
                assert!(r.len() <= KMSG_RECORD_MAX);
                let prefix = format!("{head} part={}/{n} ", i + 1);
                r.strip_prefix(&prefix)
                    .unwrap()
                    .trim_end_matches('\n')
                    .to_owned()
            })
            .collect();
        assert_eq!(joined, long);
    }
}
