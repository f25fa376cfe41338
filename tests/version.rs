//! One version everywhere: what `rootlift --version` prints, the newest
//! entry of CHANGELOG.md, the man page's title line and the Debian
//! package's control file (packaging/deb/build takes Cargo.toml's and checks
//! the built package against the binary it packs).

mod surface;

use std::process::Command;

use surface::{repo_file, version};

#[test]
fn the_binary_prints_the_crates_version() {
    let out = Command::new(env!("CARGO_BIN_EXE_rootlift"))
        .arg("--version")
        .output()
        .expect("run rootlift --version");
    assert!(
        out.status.success(),
        "rootlift --version exited {:?}",
        out.status
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("rootlift {}\n", version())
    );
}

#[test]
fn the_newest_changelog_entry_is_this_version() {
    let log = repo_file("CHANGELOG.md");
    let newest = log
        .lines()
        .find(|l| l.starts_with("## "))
        .expect("CHANGELOG.md has no '## VERSION - DATE' entry");
    let want = format!("## {} - ", version());
    assert!(
        newest.starts_with(&want),
        "CHANGELOG.md's newest entry is '{newest}', expected it to start with '{want}'"
    );
    let date = &newest[want.len()..];
    let shape = date.len() == 10
        && date.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    assert!(shape, "CHANGELOG.md: '{date}' is not a YYYY-MM-DD date");
}

#[test]
fn the_man_page_title_carries_this_version() {
    let man = repo_file("man/rootlift.8");
    let th = man
        .lines()
        .find(|l| l.starts_with(".TH "))
        .expect("man/rootlift.8 has no .TH line");
    assert!(
        th.contains(&format!(" \"rootlift {}\" ", version())),
        "man/rootlift.8: {th}"
    );
}

#[test]
fn the_package_is_stamped_with_this_version() {
    // make deb names and stamps the package with what this prints, and
    // checks the built package against the binary it packs.
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/packaging/deb/build");
    let out = Command::new("bash")
        .args([script, "--print-version"])
        .output()
        .expect("run packaging/deb/build");
    assert!(
        out.status.success(),
        "packaging/deb/build --print-version: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n", version())
    );
}
