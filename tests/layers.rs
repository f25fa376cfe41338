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
const UPPER: [&str; 3] = ["crate::job", "crate::cli", "crate::plan"];

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
        for (n, line) in text.lines().enumerate() {
            if UPPER.iter().any(|u| line.contains(u)) {
                found.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "upward calls:\n{}", found.join("\n"));
}
