//! The command surface as the built-in help states it, parsed, so the man
//! page, the bash completion and the package can be checked against it
//! without a hand-kept list: a command added to `--help` is found here.
//!
//! The rules follow the layout of src/cli/help.rs: in the top-level usage,
//! a line indented by two spaces that starts with a lower-case word names a
//! command (`  rootlift ...` lines are about the tool itself); a second word
//! like `ls|info|table` lists that command's subcommands. Options are the
//! `--long` words of a command's own help.

#![allow(dead_code)] // each test file uses its own part

use std::collections::BTreeSet;

/// Every `--long` option named in `text`.
pub fn long_options(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(at) = text.get(i..).and_then(|t| t.find("--")) {
        let start = i + at;
        let before_ok = start == 0 || !is_word(bytes[start - 1]);
        let mut end = start + 2;
        while end < bytes.len() && (is_word(bytes[end]) || bytes[end] == b'-') {
            end += 1;
        }
        let name = &text[start..end];
        if before_ok && name.len() > 2 && bytes[start + 2].is_ascii_lowercase() {
            found.insert(name.trim_end_matches('-').to_owned());
        }
        i = end.max(start + 2);
    }
    found
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A command of the top-level usage: its name and its subcommands.
#[derive(Debug)]
pub struct CommandLine {
    pub name: String,
    pub subcommands: BTreeSet<String>,
}

/// The commands the top-level usage lists, in its order.
pub fn commands(usage: &str) -> Vec<CommandLine> {
    usage
        .lines()
        .filter_map(|line| line.strip_prefix("  "))
        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_lowercase()))
        .filter(|rest| !rest.starts_with("rootlift"))
        .map(|rest| {
            let mut words = rest.split_whitespace();
            let name = words.next().unwrap_or_default().to_owned();
            CommandLine {
                name,
                subcommands: words.next().map(alternatives).unwrap_or_default(),
            }
        })
        .collect()
}

/// `ls|info|table` as a set; empty for anything else (`SIZE`, `[--json]`).
pub fn alternatives(word: &str) -> BTreeSet<String> {
    let parts: Vec<&str> = word.split('|').collect();
    let plain = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
    if parts.len() < 2 || !parts.iter().all(plain) {
        return BTreeSet::new();
    }
    parts.into_iter().map(str::to_owned).collect()
}

/// The built-in help of one command, which must exist.
pub fn help_of(name: &str) -> &'static str {
    rootlift::cli::help_text(name).unwrap_or_else(|| {
        panic!("'{name}' is in rootlift --help but has no 'rootlift {name} --help'")
    })
}

/// The crate's version, which the binary prints.
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// A file of the repository, read whole.
pub fn repo_file(rel: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
