//! `rootlift bring` output: one line per file and symlink, then a total;
//! or one JSON object `{"dest", "files": [{"path", "source", "size",
//! "kind", "target", "created"}], "total_bytes"}`.

use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;

use super::closure::Kind;
use super::install::InstallReport;
use crate::json::Json;

pub fn text(report: &InstallReport) -> String {
    let mut out = String::new();
    let (mut files, mut links, mut present) = (0u64, 0u64, 0u64);
    for item in &report.items {
        let e = &item.entry;
        let inside = report
            .dest
            .join(e.path.strip_prefix("/").unwrap_or(&e.path));
        let note = if item.created {
            ""
        } else {
            ", already present"
        };
        match &e.kind {
            Kind::Dir => continue,
            Kind::File { size, .. } => {
                files += 1;
                let _ = writeln!(
                    out,
                    "file {} -> {} ({size} bytes{note})",
                    e.source.display(),
                    inside.display()
                );
            }
            Kind::Symlink { target } => {
                links += 1;
                let note = if item.created {
                    ""
                } else {
                    " (already present)"
                };
                let _ = writeln!(
                    out,
                    "link {} -> {}{note}",
                    inside.display(),
                    target.display()
                );
            }
        }
        if !item.created {
            present += 1;
        }
    }
    let _ = writeln!(
        out,
        "total: {files} files, {} bytes, {links} symlinks ({present} already present)",
        report.total_bytes()
    );
    out
}

pub fn json(report: &InstallReport) -> Json {
    let mut j = Json::new();
    j.begin_object();
    j.key("dest").bytes(report.dest.as_os_str().as_bytes());
    j.key("files").begin_array();
    for item in &report.items {
        let e = &item.entry;
        let (kind, size, target) = match &e.kind {
            Kind::Dir => ("dir", 0, None),
            Kind::File { size, .. } => ("file", *size, None),
            // A symlink's size is the length of its target, as lstat(2) says.
            Kind::Symlink { target } => (
                "symlink",
                target.as_os_str().len() as u64,
                Some(target.as_os_str().as_bytes()),
            ),
        };
        j.begin_object();
        j.key("path").bytes(e.path.as_os_str().as_bytes());
        j.key("source").bytes(e.source.as_os_str().as_bytes());
        j.key("size").u64(size);
        j.key("kind").str(kind);
        match target {
            Some(t) => j.key("target").bytes(t),
            None => j.key("target").null(),
        };
        j.key("created").bool(item.created);
        j.end_object();
    }
    j.end_array();
    j.key("total_bytes").u64(report.total_bytes());
    j.end_object();
    j
}
