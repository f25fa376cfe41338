//! The layers point one way: cli -> job -> lift -> the kernel-interface
//! modules. Nothing in the lift or below may reach up into the job layer
//! or the command line (their modules would then depend on a caller).

use std::path::Path;

/// The directories (and files) of the lower layers, and what they must
/// never name.
const LOWER: [&str; 8] = [
    "src/lift",
    "src/dm",
    "src/proc",
    "src/ext4",
    "src/journal",
    "src/mount.rs",
    "src/loopdev.rs",
    "src/sysfs",
];
const UPPER: [&str; 3] = ["job", "cli", "plan"];

fn rust_files(path: &Path, out: &mut Vec<std::path::PathBuf>) {
    if path.is_file() {
        out.push(path.to_owned());
        return;
    }
    for e in std::fs::read_dir(path)
        .expect("read a source directory")
        .flatten()
    {
        rust_files(&e.path(), out);
    }
}

/// The leading name of a path, after any whitespace.
fn ident(s: &str) -> &str {
    let s = s.trim_start();
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level modules a source text reaches through `crate::`:
/// `crate::a::b` names `a`, `use crate::{a, b::{c, d}}` names `a` and `b`,
/// with whitespace and line breaks anywhere in the group.
fn crate_roots(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = rest[i + "crate::".len()..].trim_start();
        let Some(group) = rest.strip_prefix('{') else {
            out.push(ident(rest));
            continue;
        };
        let (mut depth, mut start) = (0usize, 0);
        for (k, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth > 0 => depth -= 1,
                ',' | '}' if depth == 0 => {
                    // (a trailing comma leaves nothing before the brace)
                    let name = ident(&group[start..k]);
                    if !name.is_empty() {
                        out.push(name);
                    }
                    start = k + 1;
                    if c == '}' {
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    out
}

#[test]
fn every_form_of_a_crate_path_is_seen() {
    let text = "use crate::job::x;\nuse crate::{\n    lift,\n    cli::{a, b},\n};\n\
                let _ = crate:: plan::f();\nuse crate::{mount, job as j};\n";
    assert_eq!(
        crate_roots(text),
        ["job", "lift", "cli", "plan", "mount", "job"]
    );
}

#[test]
fn lower_layers_never_call_upward() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in LOWER {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 30, "found only {} files", files.len());
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read a source file");
        for name in crate_roots(&text) {
            if UPPER.contains(&name) {
                found.push(format!("{}: crate::{name}", f.display()));
            }
        }
    }
    assert!(found.is_empty(), "upward calls:\n{}", found.join("\n"));
}
