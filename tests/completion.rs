//! completions/rootlift.bash, run by bash against the built binary: TAB
//! offers every command of the help, each command's `--long` options as its
//! own help names them, and dm's subcommands. The expected sets come from
//! the help (tests/surface), not from a list kept here.

mod surface;

use std::collections::BTreeSet;
use std::process::Command;

use surface::{commands, help_of, long_options, repo_file};

/// What `_rootlift` puts in COMPREPLY for the words typed so far (the last
/// one is the word being completed).
fn complete(words: &[&str]) -> BTreeSet<String> {
    let script = format!(
        "{}\nCOMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); _rootlift; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        repo_file("completions/rootlift.bash")
    );
    let out = Command::new("bash")
        .args([
            "--norc",
            "--noprofile",
            "-c",
            &script,
            "bash",
            env!("CARGO_BIN_EXE_rootlift"),
        ])
        .args(words)
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "bash: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "bash said: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn completes_every_command_of_the_help() {
    let want: BTreeSet<String> = commands(rootlift::cli::usage_text())
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(
        want.contains("shrink") && want.contains("switch-root"),
        "{want:?}"
    );
    assert_eq!(complete(&[""]), want);
    assert_eq!(complete(&["sh"]), set(&["shrink"]));
    assert_eq!(complete(&["-"]), set(&["--help", "--version"]));
}

#[test]
fn completes_each_commands_options_as_its_help_names_them() {
    for cmd in commands(rootlift::cli::usage_text()) {
        let want = long_options(help_of(&cmd.name));
        assert_eq!(
            complete(&[&cmd.name, "--"]),
            want,
            "options of '{}'",
            cmd.name
        );
    }
    assert_eq!(complete(&["shrink", "8G", "--at"]), set(&["--at-shutdown"]));
    assert_eq!(complete(&["release", "--kill", "--g"]), set(&["--grace"]));
}

#[test]
fn completes_dm_subcommands_and_nothing_for_other_arguments() {
    let dm = commands(rootlift::cli::usage_text())
        .into_iter()
        .find(|c| c.name == "dm")
        .expect("dm in the help");
    assert!(dm.subcommands.len() >= 13, "{:?}", dm.subcommands);
    assert_eq!(complete(&["dm", ""]), dm.subcommands);
    assert_eq!(
        complete(&["dm", "re"]),
        set(&["remove", "rename", "resume"])
    );
    // SIZE and paths are left to bash's file name completion.
    assert!(complete(&["shrink", ""]).is_empty());
    assert!(complete(&["dm", "info", ""]).is_empty());
}
