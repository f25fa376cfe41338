//! Following the journal as it grows: `status --follow` and a live job's
//! foreground both print the latest lift's lines as they are appended,
//! until the caller says it has seen enough.

use std::time::Duration;

use super::{Entry, current_cycle, read};
use crate::error::Result;

/// How often the journal is read again.
const POLL: Duration = Duration::from_millis(200);

/// Calls `show` for every entry of the latest lift after the first
/// `shown`, as they come, until `until` (asked after each read, with the
/// whole cycle) returns a value.
pub fn follow<T>(
    mut shown: usize,
    show: &mut dyn FnMut(&Entry) -> Result<()>,
    until: &mut dyn FnMut(&[Entry]) -> Result<Option<T>>,
) -> Result<T> {
    loop {
        let entries = read()?.unwrap_or_default();
        let cycle = current_cycle(&entries);
        for e in cycle.iter().skip(shown) {
            show(e)?;
        }
        shown = shown.max(cycle.len());
        if let Some(done) = until(cycle)? {
            return Ok(done);
        }
        std::thread::sleep(POLL);
    }
}
