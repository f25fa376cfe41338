//! Reading a journal line's detail back as typed fields: the records and
//! the job spec a lift wrote before changing anything. A missing or
//! malformed field is an error naming the line's event and the field.

use super::Entry;
use crate::error::{Error, Result};

pub struct Fields<'a>(pub &'a Entry);

impl Fields<'_> {
    /// The error for this line: `EVENT: why`.
    pub fn bad(&self, why: &str) -> Error {
        Error::invalid("journal", super::PATH, format!("{}: {why}", self.0.event))
    }

    pub fn str(&self, k: &str) -> Result<String> {
        self.0.get(k).ok_or_else(|| self.bad(&format!("no {k}")))
    }

    pub fn num<T: std::str::FromStr>(&self, k: &str) -> Result<T> {
        self.str(k)?
            .parse()
            .map_err(|_| self.bad(&format!("bad {k}")))
    }

    /// `0` is false, any other number true.
    pub fn flag(&self, k: &str) -> Result<bool> {
        Ok(self.num::<u64>(k)? != 0)
    }

    /// A `MAJOR:MINOR` device number.
    pub fn dev(&self, k: &str) -> Result<(u32, u32)> {
        self.str(k)?
            .split_once(':')
            .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
            .ok_or_else(|| self.bad(&format!("bad {k}")))
    }
}
