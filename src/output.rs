//! stdout and stderr as SPEC.md's output contract has them: results on
//! stdout (human text or one JSON document), diagnostics on stderr as
//! `rootlift: error: ...`. A closed stdout (`rootlift plan | head`) is not
//! an error worth a panic.

use std::io::{ErrorKind, Write};

use crate::error::{Error, Result};

/// Writes `s` to stdout as is.
pub fn text(s: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != ErrorKind::BrokenPipe => Err(Error::io("write", "stdout", &e)),
        _ => Ok(()),
    }
}

/// Writes one JSON document and a newline to stdout.
pub fn json(doc: crate::json::Json) -> Result<()> {
    let mut s = doc.finish();
    s.push('\n');
    text(&s)
}

/// Prints `rootlift: error: ...` on stderr.
pub fn error(e: &Error) {
    let _ = writeln!(std::io::stderr().lock(), "rootlift: error: {e}");
}
