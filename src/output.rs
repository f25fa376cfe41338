//! stdout and stderr as SPEC.md's output contract has them: results on
//! stdout (human text or one JSON document), diagnostics on stderr as
//! `rootlift: error: ...`. A closed stdout (`rootlift plan | head`) is not
//! an error worth a panic.

use std::io::{BufWriter, ErrorKind, StdoutLock, Write};

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

/// stdout for a result written while it is produced: one 32 KiB buffer in
/// front of it (std's stdout alone writes at every newline), and a closed
/// pipe ends the output quietly: what follows is dropped, as [`text`] does.
pub struct Stdout {
    out: BufWriter<StdoutLock<'static>>,
    closed: bool,
}

impl Default for Stdout {
    fn default() -> Stdout {
        Stdout {
            out: BufWriter::with_capacity(32 << 10, std::io::stdout().lock()),
            closed: false,
        }
    }
}

impl Stdout {
    /// Flushes what is buffered.
    pub fn finish(mut self) -> Result<()> {
        Write::flush(&mut self).map_err(|e| Error::io("write", "stdout", &e))
    }

    fn quiet<T>(&mut self, r: std::io::Result<T>, done: T) -> std::io::Result<T> {
        match r {
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(done)
            }
            r => r,
        }
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        let r = self.out.write(buf);
        self.quiet(r, buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let r = self.out.flush();
        self.quiet(r, ())
    }
}

/// Prints `rootlift: error: ...` on stderr.
pub fn error(e: &Error) {
    let _ = writeln!(std::io::stderr().lock(), "rootlift: error: {e}");
}
