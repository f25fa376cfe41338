//! The kernel-log copy of the journal, through `/dev/kmsg`
//! (Documentation/ABI/testing/dev-kmsg): one record per event, split at
//! word boundaries when an event is longer than a record.
//!
//! printk rate-limits writes to /dev/kmsg unless the sysctl
//! `kernel.printk_devkmsg` is `on`: each open file may write a burst of 10
//! records per 5 s and the rest are dropped ("output lines suppressed due
//! to ratelimiting"). The limit's state belongs to the open file, so the
//! writer opens /dev/kmsg again before a burst is used up: every record of
//! the journal reaches the kernel log, without touching the sysctl.

use std::io::Write;

use rustix::fs::{CWD, Mode, OFlags, openat};

/// Records written through one open file before it is opened anew: below
/// printk's burst of 10 (DEFAULT_RATELIMIT_BURST).
const RECORDS_PER_OPEN: u32 = 8;

/// An open /dev/kmsg that never uses up its rate limit.
pub struct Kmsg {
    file: Option<std::fs::File>,
    written: u32,
    /// false: no kernel-log copy at all.
    wanted: bool,
}

impl Kmsg {
    pub fn open() -> Kmsg {
        Kmsg {
            file: open_kmsg(),
            written: 0,
            wanted: true,
        }
    }

    /// No kernel-log copy (the unit tests' journals).
    pub fn none() -> Kmsg {
        Kmsg {
            file: None,
            written: 0,
            wanted: false,
        }
    }

    /// Writes one event's records; best effort (kmsg may be missing).
    pub fn write_event(&mut self, head: &str, detail: &str) {
        for record in kmsg_records(head, detail) {
            if !self.wanted {
                return;
            }
            if self.file.is_none() {
                self.file = open_kmsg();
                self.written = 0;
                if self.file.is_none() {
                    return;
                }
            }
            // When the new open fails, the old file still writes (printk
            // allows two more records of its burst) and the open is tried
            // again for the next record.
            if self.written >= RECORDS_PER_OPEN
                && let Some(f) = open_kmsg()
            {
                self.file = Some(f);
                self.written = 0;
            }
            if let Some(f) = self.file.as_mut() {
                let _ = f.write_all(record.as_bytes());
                self.written += 1;
            }
        }
    }
}

/// /dev/kmsg, or mid-lift (between the pivot and the move of /dev into
/// the tmpfs, and on return between the move back and the pivot) the
/// old root's: its /dev, when that is a mount of its own (devtmpfs), so
/// the open file never holds the old root's filesystem.
fn open_kmsg() -> Option<std::fs::File> {
    let open = |path: &str| {
        openat(CWD, path, OFlags::WRONLY | OFlags::CLOEXEC, Mode::empty())
            .ok()
            .map(std::fs::File::from)
    };
    open("/dev/kmsg").or_else(|| {
        let dev = rustix::fs::stat("/oldroot/dev").ok()?;
        let root = rustix::fs::stat("/oldroot").ok()?;
        (dev.st_dev != root.st_dev)
            .then(|| open("/oldroot/dev/kmsg"))
            .flatten()
    })
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

#[cfg(test)]
mod tests {
    use super::*;

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
