//! How a holder's accesses and pins read (the words of the text table and
//! of release's journal), and the JSON document of `--json`, written as the
//! scan goes:
//!
//! ```text
//! {"target":{"path":"/","major":254,"minor":0},
//!  "processes":[{"pid":1,"comm":"systemd","unit":"init.scope","self":false,
//!                "access":[{"kind":"fd","fd":3,"path":"/x","device":false}, ...]}],
//!  "other":[{"kind":"swap","path":"/swapfile"}, ...],
//!  "unreadable":[{"pid":1,"what":"exe","error":"EACCES (permission denied)"}]}
//! ```

use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::{Access, Holder, OtherPin, Rest, Target};
use crate::error::{ErrnoText, Result};
use crate::json::Json;

/// Pending JSON beyond this goes to the output after a holder.
const DRAIN_AT: usize = 8 << 10;

/// The access's name in the ACCESS column and in JSON's `kind`.
fn kind(a: &Access) -> &'static str {
    match a {
        Access::Exe(_) => "exe",
        Access::Cwd(_) => "cwd",
        Access::Root(_) => "root",
        Access::Fd(..) | Access::FdDevice(..) => "fd",
        Access::Map(_) => "map",
        Access::MountNs(_) => "mountns",
        Access::Unix(_) => "unix",
    }
}

pub(super) fn other_kind(o: &OtherPin) -> &'static str {
    match o {
        OtherPin::UnixSocket(_) => "unix-socket",
        OtherPin::Swap(_) => "swap",
        OtherPin::Loop(_) => "loop",
        OtherPin::Holder(_) => "holder",
    }
}

pub(super) fn lossy(p: &Path) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(p.as_os_str().as_bytes())
}

/// The ACCESS column: the kind, with the fd number for an fd.
pub(super) struct Label<'a>(pub &'a Access);

impl fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Access::Fd(n, _) | Access::FdDevice(n, _) => f.pad(&format!("fd:{n}")),
            other => f.pad(kind(other)),
        }
    }
}

/// What is held: a path, a device path marked `(device)`, or the mount
/// points of a namespace.
pub(super) struct Object<'a>(pub &'a Access);

impl fmt::Display for Object<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Access::Exe(p)
            | Access::Cwd(p)
            | Access::Root(p)
            | Access::Fd(_, p)
            | Access::Map(p)
            | Access::Unix(p) => f.write_str(&lossy(p)),
            Access::FdDevice(_, p) => write!(f, "{} (device)", lossy(p)),
            Access::MountNs(points) => f.write_str(&points.join(" ")),
        }
    }
}

/// `fd:3 /mnt/f`, `mountns /mnt /x`: one access as one line's tail (also
/// what release journals).
impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", Label(self), Object(self))
    }
}

/// What a non-process pin holds: a path, a loop device and its file, a
/// stacked device and its dm name.
pub(super) struct OtherObject<'a>(pub &'a OtherPin);

impl fmt::Display for OtherObject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            OtherPin::UnixSocket(p) | OtherPin::Swap(p) => f.write_str(&lossy(p)),
            OtherPin::Loop(l) => {
                write!(f, "{} -> {}", lossy(&l.device), lossy(&l.backing_file))
            }
            OtherPin::Holder(b) => match &b.dm_name {
                Some(n) => write!(f, "{} ({n})", b.name),
                None => f.write_str(&b.name),
            },
        }
    }
}

/// `swap /swapfile`, `loop /dev/loop0 -> /srv/img`, `holder dm-0 (vg-root)`.
impl fmt::Display for OtherPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", other_kind(self), OtherObject(self))
    }
}

/// The `--json` document, written while the scan goes: the target and the
/// opening of `processes` first, each holder as it is found, the rest last.
pub struct JsonDoc {
    j: Json,
}

impl JsonDoc {
    pub fn start(t: &Target) -> JsonDoc {
        let mut j = Json::new();
        j.begin_object();
        j.key("target").begin_object();
        j.key("path").bytes(t.path.as_os_str().as_bytes());
        j.key("major").u64(t.major.into());
        j.key("minor").u64(t.minor.into());
        j.end_object();
        j.key("processes").begin_array();
        JsonDoc { j }
    }

    /// One holder; what is pending goes to `out` once it is long enough.
    pub fn holder(&mut self, h: &Holder, out: &mut dyn FnMut(&str) -> Result<()>) -> Result<()> {
        let j = &mut self.j;
        j.begin_object();
        j.key("pid").u64(h.pid.into());
        j.key("comm").str(&h.comm);
        j.key("unit").opt_str(h.unit.as_deref());
        j.key("self").bool(h.is_self);
        j.key("access").begin_array();
        for a in &h.access {
            access_json(j, a);
        }
        j.end_array();
        j.end_object();
        if j.pending() >= DRAIN_AT {
            j.drain(out)?;
        }
        Ok(())
    }

    /// The pins that are not processes, what could not be inspected, and
    /// the end of the document (with a newline).
    pub fn finish(mut self, rest: &Rest, out: &mut dyn FnMut(&str) -> Result<()>) -> Result<()> {
        let j = &mut self.j;
        j.end_array();
        j.key("other").begin_array();
        for o in &rest.other {
            j.begin_object();
            j.key("kind").str(other_kind(o));
            match o {
                OtherPin::UnixSocket(p) | OtherPin::Swap(p) => {
                    j.key("path").bytes(p.as_os_str().as_bytes());
                }
                OtherPin::Loop(l) => {
                    j.key("device").bytes(l.device.as_os_str().as_bytes());
                    j.key("backing_file")
                        .bytes(l.backing_file.as_os_str().as_bytes());
                }
                OtherPin::Holder(b) => {
                    j.key("name").str(&b.name);
                    j.key("dm_name").opt_str(b.dm_name.as_deref());
                }
            }
            j.end_object();
        }
        j.end_array();
        j.key("unreadable").begin_array();
        for u in &rest.unreadable {
            j.begin_object();
            j.key("pid").u64(u.pid.into());
            j.key("what").str(u.what);
            j.key("error").str(&ErrnoText(u.errno).to_string());
            j.end_object();
        }
        j.end_array();
        j.end_object();
        j.drain(out)?;
        out("\n")
    }
}

fn access_json(j: &mut Json, a: &Access) {
    j.begin_object();
    j.key("kind").str(kind(a));
    match a {
        Access::Exe(p) | Access::Cwd(p) | Access::Root(p) | Access::Map(p) | Access::Unix(p) => {
            j.key("path").bytes(p.as_os_str().as_bytes());
        }
        Access::Fd(n, p) | Access::FdDevice(n, p) => {
            j.key("fd").u64((*n).into());
            j.key("path").bytes(p.as_os_str().as_bytes());
            j.key("device").bool(matches!(a, Access::FdDevice(..)));
        }
        Access::MountNs(points) => {
            j.key("mount_points").begin_array();
            for m in points {
                j.str(m);
            }
            j.end_array();
        }
    }
    j.end_object();
}

#[cfg(test)]
mod tests {
    use super::super::text::Table;
    use super::super::{BlockHolder, LoopPin, Report, Unreadable};
    use super::*;

    fn rest(r: &Report) -> Rest {
        Rest {
            other: r.other.clone(),
            unreadable: r.unreadable.clone(),
        }
    }

    /// The text table of `r`, its holders fed one by one as a scan does.
    fn text(r: &Report) -> String {
        let mut t = Table::default();
        for h in &r.processes {
            t.holder(h);
        }
        let mut out = String::new();
        t.write(&r.target, &rest(r), &mut |s| {
            out.push_str(s);
            Ok(())
        })
        .unwrap();
        out
    }

    /// The JSON document of `r` as `holders --json` streams it.
    fn json(r: &Report) -> String {
        let mut out = String::new();
        let mut pieces = 0;
        let mut write = |s: &str| {
            out.push_str(s);
            pieces += 1;
            Ok(())
        };
        let mut doc = JsonDoc::start(&r.target);
        for h in &r.processes {
            doc.holder(h, &mut write).unwrap();
        }
        doc.finish(&rest(r), &mut write).unwrap();
        // Each piece but the last two (the tail and its newline) is a
        // drain after at least DRAIN_AT bytes.
        assert!(
            pieces >= 2 && (pieces - 2) * DRAIN_AT <= out.len(),
            "{pieces}"
        );
        out
    }

    fn sample() -> Report {
        Report {
            target: Target {
                path: "/mnt".into(),
                dev: 0x700,
                major: 7,
                minor: 0,
            },
            processes: vec![
                Holder {
                    pid: 42,
                    comm: "sleep".into(),
                    unit: Some("ssh.service".into()),
                    is_self: false,
                    access: vec![
                        Access::Cwd("/mnt".into()),
                        Access::Fd(3, "/mnt/f".into()),
                        Access::FdDevice(4, "/dev/loop0".into()),
                        Access::MountNs(vec!["/mnt".into(), "/x".into()]),
                    ],
                },
                Holder {
                    pid: 7,
                    comm: "rootlift".into(),
                    unit: None,
                    is_self: true,
                    access: vec![Access::Map("/mnt/lib \"q\".so".into())],
                },
            ],
            other: vec![
                OtherPin::Swap("/mnt/swap".into()),
                OtherPin::Loop(LoopPin {
                    device: "/dev/loop1".into(),
                    backing_file: "/mnt/img".into(),
                }),
                OtherPin::Holder(BlockHolder {
                    name: "dm-0".into(),
                    dm_name: Some("vg-root".into()),
                }),
            ],
            unreadable: vec![Unreadable {
                pid: 1,
                what: "exe",
                errno: rustix::io::Errno::ACCESS,
            }],
        }
    }

    #[test]
    fn text_has_one_line_per_access() {
        let t = text(&sample());
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "holders of /mnt (7:0)");
        assert!(lines[1].starts_with("    PID COMM"));
        assert!(lines[2].ends_with("cwd      /mnt"), "{t}");
        assert!(lines[3].contains("ssh.service") && lines[3].ends_with("fd:3     /mnt/f"));
        assert!(lines[4].ends_with("fd:4     /dev/loop0 (device)"));
        assert!(lines[5].ends_with("mountns  /mnt /x"));
        assert!(lines[6].ends_with("(self)") && lines[6].contains(" - "));
        assert_eq!(lines[7], "swap         /mnt/swap");
        assert_eq!(lines[8], "loop         /dev/loop1 -> /mnt/img");
        assert_eq!(lines[9], "holder       dm-0 (vg-root)");
        assert_eq!(
            lines[10],
            "not inspected: pid 1 exe: EACCES (permission denied)"
        );
    }

    #[test]
    fn display_of_one_access() {
        let r = sample();
        let a: Vec<String> = r.processes[0]
            .access
            .iter()
            .map(|a| a.to_string())
            .collect();
        assert_eq!(
            a,
            [
                "cwd /mnt",
                "fd:3 /mnt/f",
                "fd:4 /dev/loop0 (device)",
                "mountns /mnt /x"
            ]
        );
        assert_eq!(r.other[1].to_string(), "loop /dev/loop1 -> /mnt/img");
    }

    #[test]
    fn json_document() {
        let j = json(&sample());
        assert!(j.starts_with(r#"{"target":{"path":"/mnt","major":7,"minor":0},"processes":[{"pid":42,"comm":"sleep","unit":"ssh.service","self":false,"access":[{"kind":"cwd","path":"/mnt"},{"kind":"fd","fd":3,"path":"/mnt/f","device":false},{"kind":"fd","fd":4,"path":"/dev/loop0","device":true},{"kind":"mountns","mount_points":["/mnt","/x"]}]}"#), "{j}");
        assert!(j.contains(r#"{"pid":7,"comm":"rootlift","unit":null,"self":true,"access":[{"kind":"map","path":"/mnt/lib \"q\".so"}]}"#));
        assert!(j.contains(r#""other":[{"kind":"swap","path":"/mnt/swap"},{"kind":"loop","device":"/dev/loop1","backing_file":"/mnt/img"},{"kind":"holder","name":"dm-0","dm_name":"vg-root"}]"#));
        assert!(j.ends_with(
            r#""unreadable":[{"pid":1,"what":"exe","error":"EACCES (permission denied)"}]}
"#
        ));
    }

    /// Many holders: the document leaves in pieces (one per DRAIN_AT bytes)
    /// and reads as one.
    #[test]
    fn json_streamed_in_pieces_is_one_document() {
        let mut r = sample();
        let one = r.processes.remove(1);
        r.processes = vec![one; 500];
        r.other.clear();
        r.unreadable.clear();
        let holder = r#"{"pid":7,"comm":"rootlift","unit":null,"self":true,"access":[{"kind":"map","path":"/mnt/lib \"q\".so"}]}"#;
        let want = format!(
            r#"{{"target":{{"path":"/mnt","major":7,"minor":0}},"processes":[{}],"other":[],"unreadable":[]}}
"#,
            vec![holder; 500].join(",")
        );
        assert!(want.len() > 4 * DRAIN_AT);
        assert_eq!(json(&r), want);
    }

    /// The columns are as wide as the longest comm and unit of all holders,
    /// the last one found included; repeated accesses print in full.
    #[test]
    fn text_columns_fit_every_holder() {
        let mut r = sample();
        let mut last = r.processes[0].clone();
        last.pid = 4194304;
        last.comm = "a-long-comm-123".into();
        last.unit = Some("a-much-longer-unit.service".into());
        r.processes.push(last);
        let t = text(&r);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines[1],
            "    PID COMM            UNIT                       ACCESS   PATH"
        );
        assert_eq!(
            lines[2],
            "     42 sleep           ssh.service                cwd      /mnt"
        );
        assert_eq!(
            lines[6],
            "      7 rootlift        -                          map      /mnt/lib \"q\".so (self)"
        );
        assert_eq!(
            lines[8],
            "4194304 a-long-comm-123 a-much-longer-unit.service fd:3     /mnt/f"
        );
        assert_eq!(lines.len(), 15, "{t}");
    }

    #[test]
    fn empty_report() {
        let mut r = sample();
        r.processes.clear();
        r.other.clear();
        r.unreadable.clear();
        assert_eq!(text(&r), "holders of /mnt (7:0)\nno process holds it\n");
    }
}
