//! The `detail` of a journal line: `key=value` words, each value escaped
//! by the one function that makes any text a single word (`%20` space,
//! `%25` percent, `%0a` newline, `%09` tab, `%3d` equals).

use std::fmt::{self, Write};

/// A line's detail, built key by key; values are escaped as they go in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detail(String);

impl Detail {
    pub fn new() -> Detail {
        Detail(String::new())
    }

    /// Appends `key=value` (the value escaped).
    pub fn with(self, key: &str, value: impl fmt::Display) -> Detail {
        self.with_dyn(key, &value)
    }

    /// [`Detail::with`] without a copy per value type (there are hundreds
    /// of call sites: one body keeps the binary smaller).
    #[inline(never)]
    fn with_dyn(mut self, key: &str, value: &dyn fmt::Display) -> Detail {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        self.0.push_str(key);
        self.0.push('=');
        let mut raw = String::new();
        let _ = write!(raw, "{value}");
        escape_into(&mut self.0, &raw);
        self
    }

    /// Appends `key=value` only when there is a value.
    pub fn with_opt(self, key: &str, value: Option<impl fmt::Display>) -> Detail {
        match value {
            Some(v) => self.with(key, v),
            None => self,
        }
    }

    /// This detail followed by the words of `more`.
    pub fn then(mut self, more: Detail) -> Detail {
        if !self.0.is_empty() && !more.0.is_empty() {
            self.0.push(' ');
        }
        self.0.push_str(&more.0);
        self
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn escape_into(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '%' => out.push_str("%25"),
            '\n' => out.push_str("%0a"),
            '\t' => out.push_str("%09"),
            '=' => out.push_str("%3d"),
            c => out.push(c),
        }
    }
}

/// Escapes a value so it stays one word on one line.
pub fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    escape_into(&mut out, v);
    out
}

/// Undoes [`escape`]; `None` on a malformed escape.
pub fn unescape(v: &str) -> Option<String> {
    let mut out = Vec::with_capacity(v.len());
    let b = v.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The unescaped value of `key` in a detail.
pub fn get(detail: &str, key: &str) -> Option<String> {
    detail.split(' ').find_map(|w| {
        let (k, v) = w.split_once('=')?;
        if k == key { unescape(v) } else { None }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_one_word() {
        let v = "a b%c\nd=e\tf";
        let e = escape(v);
        assert!(!e.contains([' ', '\n', '=', '\t']));
        assert_eq!(unescape(&e).unwrap(), v);
        assert!(unescape("%zz").is_none());
        assert!(unescape("%2").is_none());
    }

    #[test]
    fn details_are_built_escaped_and_read_back() {
        let d = Detail::new()
            .with("path", "/mnt/with space")
            .with("count", 3)
            .with_opt("none", None::<u32>)
            .with_opt("opts", Some("a=b,c"));
        assert_eq!(d.as_str(), "path=/mnt/with%20space count=3 opts=a%3db,c");
        assert_eq!(get(d.as_str(), "path").unwrap(), "/mnt/with space");
        assert_eq!(get(d.as_str(), "opts").unwrap(), "a=b,c");
        assert_eq!(get(d.as_str(), "none"), None);
        assert_eq!(Detail::new().as_str(), "");
    }
}
