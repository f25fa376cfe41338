//! man/rootlift.8 against the built-in help: the same commands, the same
//! subcommands, the same `--long` options per command and overall, the
//! sections a manual page for rootlift(8) needs, and the crate's version.
//! Nothing is listed by hand: a command or option added to the help fails
//! here until the man page documents it (and one removed, until it is
//! taken out). `make lint` runs `man --warnings` over the same file.

mod surface;

use std::collections::BTreeSet;

use surface::{commands, help_of, long_options, repo_file, version};

const MAN: &str = "man/rootlift.8";

/// The man page: the .TH words, the .SH titles, and per .SS of COMMANDS
/// its title and its text with roff escapes resolved.
struct Man {
    th: Vec<String>,
    sections: Vec<String>,
    commands: Vec<(String, String)>,
    text: String,
}

fn man() -> Man {
    let mut m = Man {
        th: Vec::new(),
        sections: Vec::new(),
        commands: Vec::new(),
        text: String::new(),
    };
    for raw in repo_file(MAN).lines() {
        if raw.starts_with(".\\\"") {
            continue; // a roff comment
        }
        let line = plain(raw);
        if let Some(args) = line.strip_prefix(".TH ") {
            m.th = words(args);
        } else if let Some(title) = line.strip_prefix(".SH ") {
            m.sections.push(title.trim_matches('"').to_owned());
        } else if let Some(title) = line.strip_prefix(".SS ") {
            if m.sections.last().is_some_and(|s| s == "COMMANDS") {
                m.commands
                    .push((title.trim_matches('"').to_owned(), String::new()));
            }
        } else if m.sections.last().is_some_and(|s| s == "COMMANDS")
            && let Some((_, text)) = m.commands.last_mut()
        {
            text.push_str(&line);
            text.push('\n');
        }
        m.text.push_str(&line);
        m.text.push('\n');
    }
    m
}

/// A roff line as it reads: `\-` is `-`, font and spacing escapes gone.
fn plain(line: &str) -> String {
    let mut s = line.to_owned();
    for (from, to) in [
        ("\\fB", ""),
        ("\\fI", ""),
        ("\\fR", ""),
        ("\\fP", ""),
        ("\\-", "-"),
        ("\\%", ""),
        ("\\&", ""),
        ("\\~", " "),
        ("\\(aq", "'"),
        ("\\(dq", "\""),
        ("\\(->", "->"),
        ("\\(bu", "*"),
        ("\\e", "\\"),
    ] {
        s = s.replace(from, to);
    }
    s
}

/// Macro arguments: words, or "quoted words".
fn words(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = args.trim();
    while !rest.is_empty() {
        let (word, tail) = match rest.strip_prefix('"') {
            Some(q) => q.split_once('"').unwrap_or((q, "")),
            None => rest.split_once(' ').unwrap_or((rest, "")),
        };
        out.push(word.to_owned());
        rest = tail.trim_start();
    }
    out
}

fn diff(what: &str, help: &BTreeSet<String>, man: &BTreeSet<String>) -> Option<String> {
    let missing: Vec<_> = help.difference(man).collect();
    let extra: Vec<_> = man.difference(help).collect();
    if missing.is_empty() && extra.is_empty() {
        return None;
    }
    Some(format!(
        "{what}: in --help but not in {MAN}: {missing:?}; in {MAN} but not in --help: {extra:?}"
    ))
}

#[test]
fn man_page_has_a_section_for_every_command_of_help_and_no_other() {
    let usage = rootlift::cli::usage_text();
    let help: BTreeSet<String> = commands(usage).into_iter().map(|c| c.name).collect();
    assert!(
        help.len() >= 15,
        "the help's commands were not found: {help:?}"
    );
    let man: BTreeSet<String> = man().commands.into_iter().map(|(name, _)| name).collect();
    if let Some(d) = diff("commands (a .SS each under COMMANDS)", &help, &man) {
        panic!("{d}");
    }
}

#[test]
fn man_page_names_each_commands_options_as_its_help_does() {
    let m = man();
    let mut problems = Vec::new();
    for (name, text) in &m.commands {
        let help = long_options(help_of(name));
        if let Some(d) = diff(&format!("options of '{name}'"), &help, &long_options(text)) {
            problems.push(d);
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn man_page_names_the_same_subcommands_as_help() {
    let m = man();
    let mut checked = 0;
    for cmd in commands(rootlift::cli::usage_text()) {
        let in_own_help = subcommands_in(help_of(&cmd.name), &cmd.name, "  ");
        let section = m.commands.iter().find(|(name, _)| *name == cmd.name);
        let in_man = section
            .map(|(_, text)| subcommands_in(text, &cmd.name, ""))
            .unwrap_or_default();
        if cmd.subcommands.is_empty() && in_own_help.is_empty() {
            continue;
        }
        checked += 1;
        assert_eq!(
            cmd.subcommands, in_own_help,
            "'{}': the usage line and its own help list other subcommands",
            cmd.name
        );
        if let Some(d) = diff(
            &format!("subcommands of '{}'", cmd.name),
            &cmd.subcommands,
            &in_man,
        ) {
            panic!("{d}");
        }
    }
    assert!(
        checked > 0,
        "no command with subcommands (dm) was found in the help"
    );
}

/// The subcommands of lines `INDENT NAME sub1|sub2 ...` (one or several).
fn subcommands_in(text: &str, name: &str, indent: &str) -> BTreeSet<String> {
    let lead = format!("{indent}{name} ");
    text.lines()
        .filter_map(|l| l.strip_prefix(&lead))
        .filter_map(|rest| rest.split_whitespace().next())
        .flat_map(|w| {
            let parts: Vec<&str> = w.split('|').collect();
            let plain = parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'));
            if plain {
                parts.into_iter().map(str::to_owned).collect()
            } else {
                Vec::new()
            }
        })
        .collect()
}

#[test]
fn man_page_and_help_name_the_same_options_overall() {
    let usage = rootlift::cli::usage_text();
    let mut help = long_options(usage);
    for cmd in commands(usage) {
        help.extend(long_options(help_of(&cmd.name)));
    }
    for extra in ["help", "version"] {
        help.extend(long_options(help_of(extra)));
    }
    assert!(
        help.contains("--json") && help.contains("--version"),
        "options not found in the help: {help:?}"
    );
    if let Some(d) = diff("options anywhere", &help, &long_options(&man().text)) {
        panic!("{d}");
    }
}

#[test]
fn man_page_has_the_sections_of_a_system_manual() {
    let m = man();
    for want in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "COMMANDS",
        "OPTIONS",
        "EXIT STATUS",
        "FILES",
        "SAFETY",
        "EXAMPLES",
        "SEE ALSO",
    ] {
        assert!(
            m.sections.iter().any(|s| s == want),
            "{MAN} has no .SH {want} (has {:?})",
            m.sections
        );
    }
    let files = m.text.split("\n.SH FILES").nth(1).unwrap_or_default();
    for path in ["/run/rootlift/journal", "/var/log/rootlift.log"] {
        assert!(files.contains(path), "{MAN}: FILES does not name {path}");
    }
    for code in ["0", "1", "2", "3"] {
        let status = m.text.split("\n.SH EXIT STATUS").nth(1).unwrap_or_default();
        assert!(
            status.contains(&format!("\n.B {code}\n")),
            "{MAN}: EXIT STATUS does not give exit code {code}"
        );
    }
}

#[test]
fn man_page_is_rootlift_8_of_this_version() {
    let th = man().th;
    assert_eq!(
        th.first().map(String::as_str),
        Some("ROOTLIFT"),
        ".TH of {MAN}: {th:?}"
    );
    assert_eq!(
        th.get(1).map(String::as_str),
        Some("8"),
        ".TH of {MAN}: {th:?}"
    );
    // tests/version.rs compares the version with the binary's.
    assert_eq!(
        th.get(3).cloned(),
        Some(format!("rootlift {}", version())),
        ".TH of {MAN}: {th:?}"
    );
}

#[test]
fn the_parsers_of_this_test_find_what_they_should() {
    // So that an empty parse cannot pass the checks above.
    let opts = long_options("a [--live|--at-shutdown] --yes, -y -- CMD x--y --json.");
    assert_eq!(
        opts.into_iter().collect::<Vec<_>>(),
        ["--at-shutdown", "--json", "--live", "--yes"]
    );
    assert_eq!(
        plain("\\fB\\-\\-table\\-file\\fR \\(aqX\\(aq"),
        "--table-file 'X'"
    );
    assert_eq!(
        words("ROOTLIFT 8 2026-12-04 \"rootlift 1.2.3\" \"System Administration\""),
        [
            "ROOTLIFT",
            "8",
            "2026-12-04",
            "rootlift 1.2.3",
            "System Administration"
        ]
    );
    let dm = subcommands_in(
        "  dm version|ls [--json]\n  dm create NAME\n  dm COMMAND ...\n",
        "dm",
        "  ",
    );
    assert_eq!(
        dm.into_iter().collect::<Vec<_>>(),
        ["create", "ls", "version"]
    );
}
