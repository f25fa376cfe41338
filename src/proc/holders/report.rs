//! The holders report as text (like `fuser -vm`, one line per access) and
//! as the JSON document of `--json`:
//!
//! ```text
//! {"target":{"path":"/","major":254,"minor":0},
//!  "processes":[{"pid":1,"comm":"systemd","unit":"init.scope","self":false,
//!                "access":[{"kind":"fd","fd":3,"path":"/x","device":false}, ...]}],
//!  "other":[{"kind":"swap","path":"/swapfile"}, ...],
//!  "unreadable":[{"pid":1,"what":"exe","error":"EACCES (permission denied)"}]}
//! ```

use std::fmt::{self, Write as _};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::{Access, OtherPin, Report};
use crate::error::ErrnoText;
use crate::json::Json;

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

fn other_kind(o: &OtherPin) -> &'static str {
    match o {
        OtherPin::UnixSocket(_) => "unix-socket",
        OtherPin::Swap(_) => "swap",
        OtherPin::Loop(_) => "loop",
        OtherPin::Holder(_) => "holder",
    }
}

fn lossy(p: &Path) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(p.as_os_str().as_bytes())
}

/// The ACCESS column: the kind, with the fd number for an fd.
struct Label<'a>(&'a Access);

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
struct Object<'a>(&'a Access);

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
struct OtherObject<'a>(&'a OtherPin);

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

/// Human output: a header, one line per access, then the other pins.
pub fn text(r: &Report) -> String {
    let mut out = String::new();
    let t = &r.target;
    let _ = writeln!(
        out,
        "holders of {} ({}:{})",
        lossy(&t.path),
        t.major,
        t.minor
    );
    let comm_w = r
        .processes
        .iter()
        .map(|h| h.comm.len())
        .max()
        .unwrap_or(0)
        .max(4);
    let unit_w = r
        .processes
        .iter()
        .map(|h| h.unit.as_deref().map_or(1, str::len))
        .max()
        .unwrap_or(0)
        .max(4);
    if r.processes.is_empty() {
        out.push_str("no process holds it\n");
    } else {
        let _ = writeln!(
            out,
            "{:>7} {:<comm_w$} {:<unit_w$} {:<8} PATH",
            "PID", "COMM", "UNIT", "ACCESS"
        );
    }
    for h in &r.processes {
        let unit = h.unit.as_deref().unwrap_or("-");
        let me = if h.is_self { " (self)" } else { "" };
        for a in &h.access {
            let _ = writeln!(
                out,
                "{:>7} {:<comm_w$} {:<unit_w$} {:<8} {}{me}",
                h.pid,
                h.comm,
                unit,
                Label(a),
                Object(a)
            );
        }
    }
    for o in &r.other {
        let _ = writeln!(out, "{:<12} {}", other_kind(o), OtherObject(o));
    }
    for u in &r.unreadable {
        let _ = writeln!(
            out,
            "not inspected: pid {} {}: {}",
            u.pid,
            u.what,
            ErrnoText(u.errno)
        );
    }
    out
}

/// The `--json` document.
pub fn json(r: &Report) -> Json {
    let mut j = Json::new();
    j.begin_object();
    j.key("target").begin_object();
    j.key("path").bytes(r.target.path.as_os_str().as_bytes());
    j.key("major").u64(r.target.major.into());
    j.key("minor").u64(r.target.minor.into());
    j.end_object();
    j.key("processes").begin_array();
    for h in &r.processes {
        j.begin_object();
        j.key("pid").u64(h.pid.into());
        j.key("comm").str(&h.comm);
        j.key("unit").opt_str(h.unit.as_deref());
        j.key("self").bool(h.is_self);
        j.key("access").begin_array();
        for a in &h.access {
            access_json(&mut j, a);
        }
        j.end_array();
        j.end_object();
    }
    j.end_array();
    j.key("other").begin_array();
    for o in &r.other {
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
    for u in &r.unreadable {
        j.begin_object();
        j.key("pid").u64(u.pid.into());
        j.key("what").str(u.what);
        j.key("error").str(&ErrnoText(u.errno).to_string());
        j.end_object();
    }
    j.end_array();
    j.end_object();
    j
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
    use super::super::{BlockHolder, Holder, LoopPin, Target, Unreadable};
    use super::*;

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
        let j = json(&sample()).finish();
        assert!(j.starts_with(r#"{"target":{"path":"/mnt","major":7,"minor":0},"processes":[{"pid":42,"comm":"sleep","unit":"ssh.service","self":false,"access":[{"kind":"cwd","path":"/mnt"},{"kind":"fd","fd":3,"path":"/mnt/f","device":false},{"kind":"fd","fd":4,"path":"/dev/loop0","device":true},{"kind":"mountns","mount_points":["/mnt","/x"]}]}"#), "{j}");
        assert!(j.contains(r#"{"pid":7,"comm":"rootlift","unit":null,"self":true,"access":[{"kind":"map","path":"/mnt/lib \"q\".so"}]}"#));
        assert!(j.contains(r#""other":[{"kind":"swap","path":"/mnt/swap"},{"kind":"loop","device":"/dev/loop1","backing_file":"/mnt/img"},{"kind":"holder","name":"dm-0","dm_name":"vg-root"}]"#));
        assert!(j.ends_with(
            r#""unreadable":[{"pid":1,"what":"exe","error":"EACCES (permission denied)"}]}"#
        ));
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
