//! The holders report as text, like `fuser -vm`: one line per access,
//!
//! ```text
//! holders of /mnt (7:0)
//!     PID COMM     UNIT        ACCESS   PATH
//!      42 sleep    ssh.service fd:3     /mnt/f
//! swap         /mnt/swap
//! not inspected: pid 1 exe: EACCES (permission denied)
//! ```
//!
//! The COMM and UNIT columns are as wide as their longest value, known only
//! once every holder is found: until then each holder is kept as a row of
//! numbers into an [`Interner`] (comm, unit and each access's text, which
//! repeat across processes), a few bytes per access instead of its paths.

use std::fmt::Write as _;

use super::intern::Interner;
use super::report::{Label, Object, OtherObject, lossy, other_kind};
use super::{Holder, Rest, Target};
use crate::error::{ErrnoText, Result};

/// Text beyond this goes to the output.
const FLUSH_AT: usize = 32 << 10;

/// One holder: its strings as ids, its accesses the next `accesses` ids of
/// [`Table::access`].
#[derive(Debug)]
struct Row {
    pid: u32,
    comm: u32,
    /// A holder outside any unit shows `-` (and counts 1 wide).
    unit: u32,
    is_self: bool,
    accesses: u32,
}

#[derive(Debug, Default)]
pub struct Table {
    strings: Interner,
    rows: Vec<Row>,
    /// The ACCESS and PATH columns of each line, row after row.
    access: Vec<u32>,
    comm_w: usize,
    unit_w: usize,
    /// One access's text while it is made.
    scratch: String,
}

impl Table {
    /// Keeps `h` until [`Table::write`].
    pub fn holder(&mut self, h: &Holder) {
        let unit = h.unit.as_deref().unwrap_or("-");
        self.comm_w = self.comm_w.max(h.comm.len());
        self.unit_w = self.unit_w.max(unit.len());
        for a in &h.access {
            self.scratch.clear();
            let _ = write!(self.scratch, "{:<8} {}", Label(a), Object(a));
            let id = self.strings.id(&self.scratch);
            self.access.push(id);
        }
        let row = Row {
            pid: h.pid,
            comm: self.strings.id(&h.comm),
            unit: self.strings.id(unit),
            is_self: h.is_self,
            accesses: h.access.len() as u32,
        };
        self.rows.push(row);
    }

    /// The whole report: a header, one line per access, then the other
    /// pins and what could not be inspected; handed to `out` in pieces.
    pub fn write(
        &self,
        t: &Target,
        rest: &Rest,
        out: &mut dyn FnMut(&str) -> Result<()>,
    ) -> Result<()> {
        let mut o = String::new();
        let _ = writeln!(o, "holders of {} ({}:{})", lossy(&t.path), t.major, t.minor);
        let comm_w = self.comm_w.max(4);
        let unit_w = self.unit_w.max(4);
        if self.rows.is_empty() {
            o.push_str("no process holds it\n");
        } else {
            let _ = writeln!(
                o,
                "{:>7} {:<comm_w$} {:<unit_w$} {:<8} PATH",
                "PID", "COMM", "UNIT", "ACCESS"
            );
        }
        let mut ids = self.access.iter();
        for r in &self.rows {
            let comm = self.strings.get(r.comm);
            let unit = self.strings.get(r.unit);
            let me = if r.is_self { " (self)" } else { "" };
            for &id in ids.by_ref().take(r.accesses as usize) {
                let access = self.strings.get(id);
                let _ = writeln!(
                    o,
                    "{:>7} {comm:<comm_w$} {unit:<unit_w$} {access}{me}",
                    r.pid
                );
            }
            if o.len() >= FLUSH_AT {
                out(&o)?;
                o.clear();
            }
        }
        for x in &rest.other {
            let _ = writeln!(o, "{:<12} {}", other_kind(x), OtherObject(x));
        }
        for u in &rest.unreadable {
            let _ = writeln!(
                o,
                "not inspected: pid {} {}: {}",
                u.pid,
                u.what,
                ErrnoText(u.errno)
            );
        }
        out(&o)
    }
}
