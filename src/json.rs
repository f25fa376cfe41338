//! A small streaming JSON writer (RFC 8259) for the `--json` outputs.
//!
//! Values are written straight into a `String`; the writer tracks only
//! whether a comma is due at each nesting level, so memory stays bounded by
//! the output itself, or by what is pending when a long document is moved
//! out as it goes ([`Json::drain`]). Strings are escaped per RFC 8259
//! section 7: `"` `\` and the control characters U+0000..U+001F; everything
//! else is UTF-8 as is.
//! Non-UTF-8 bytes (paths) are written lossily as U+FFFD.

use std::fmt::Write as _;

use crate::error::Result;

#[derive(Debug, Default)]
pub struct Json {
    out: String,
    /// One entry per open object/array: true once it holds a member.
    levels: Vec<bool>,
    /// A key was just written; the next value belongs to it (no comma).
    after_key: bool,
}

impl Json {
    pub fn new() -> Self {
        Self::default()
    }

    /// The finished document. Panics in debug builds if a container is open.
    pub fn finish(self) -> String {
        debug_assert!(self.levels.is_empty(), "unclosed json container");
        self.out
    }

    /// Bytes written and not yet drained.
    pub fn pending(&self) -> usize {
        self.out.len()
    }

    /// Hands what is pending to `out` and forgets it; the document goes on
    /// where it was (open containers stay open).
    pub fn drain(&mut self, out: &mut dyn FnMut(&str) -> Result<()>) -> Result<()> {
        out(&self.out)?;
        self.out.clear();
        Ok(())
    }

    fn separate(&mut self) {
        if self.after_key {
            self.after_key = false;
            return;
        }
        if let Some(has_member) = self.levels.last_mut() {
            if *has_member {
                self.out.push(',');
            }
            *has_member = true;
        }
    }

    pub fn begin_object(&mut self) -> &mut Self {
        self.separate();
        self.out.push('{');
        self.levels.push(false);
        self
    }

    pub fn end_object(&mut self) -> &mut Self {
        self.levels.pop();
        self.out.push('}');
        self
    }

    pub fn begin_array(&mut self) -> &mut Self {
        self.separate();
        self.out.push('[');
        self.levels.push(false);
        self
    }

    pub fn end_array(&mut self) -> &mut Self {
        self.levels.pop();
        self.out.push(']');
        self
    }

    /// An object key; the next value written belongs to it.
    pub fn key(&mut self, key: &str) -> &mut Self {
        self.separate();
        escape_into(&mut self.out, key);
        self.out.push(':');
        self.after_key = true;
        self
    }

    pub fn str(&mut self, value: &str) -> &mut Self {
        self.separate();
        escape_into(&mut self.out, value);
        self
    }

    /// A string from bytes that may not be UTF-8 (paths, kernel names).
    pub fn bytes(&mut self, value: &[u8]) -> &mut Self {
        self.str(&String::from_utf8_lossy(value))
    }

    pub fn u64(&mut self, value: u64) -> &mut Self {
        self.separate();
        let _ = write!(self.out, "{value}");
        self
    }

    pub fn i64(&mut self, value: i64) -> &mut Self {
        self.separate();
        let _ = write!(self.out, "{value}");
        self
    }

    pub fn bool(&mut self, value: bool) -> &mut Self {
        self.separate();
        self.out.push_str(if value { "true" } else { "false" });
        self
    }

    pub fn null(&mut self) -> &mut Self {
        self.separate();
        self.out.push_str("null");
        self
    }

    /// A string or `null`.
    pub fn opt_str(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.str(v),
            None => self.null(),
        }
    }

    /// A number or `null`.
    pub fn opt_u64(&mut self, value: Option<u64>) -> &mut Self {
        match value {
            Some(v) => self.u64(v),
            None => self.null(),
        }
    }
}

/// Appends `s` as a quoted JSON string.
pub fn escape_into(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_quotes_backslashes_and_controls() {
        let mut s = String::new();
        escape_into(&mut s, "a\"b\\c\nd\te\u{1}f\u{1f}g\u{7f}é");
        assert_eq!(
            s,
            r#""a\"b\\c\nd\te\u0001f\u001fg"#.to_owned() + "\u{7f}é\""
        );
    }

    #[test]
    fn nested_containers_get_commas_right() {
        let mut j = Json::new();
        j.begin_object();
        j.key("a").u64(1);
        j.key("b").begin_array();
        j.str("x").null().bool(true).i64(-2);
        j.begin_object().end_object();
        j.end_array();
        j.key("c").opt_str(None);
        j.key("d").opt_u64(Some(7));
        j.end_object();
        assert_eq!(
            j.finish(),
            r#"{"a":1,"b":["x",null,true,-2,{}],"c":null,"d":7}"#
        );
    }

    #[test]
    fn empty_containers_and_top_level_array() {
        let mut j = Json::new();
        j.begin_array();
        j.begin_array().end_array();
        j.begin_object()
            .key("k")
            .begin_array()
            .end_array()
            .end_object();
        j.end_array();
        assert_eq!(j.finish(), r#"[[],{"k":[]}]"#);
    }

    #[test]
    fn a_drained_document_is_the_same_document() {
        let build = |drain: bool| {
            let mut j = Json::new();
            let mut out = String::new();
            j.begin_object().key("a").begin_array();
            for i in 0..5 {
                j.u64(i);
                if drain {
                    j.drain(&mut |s| {
                        out.push_str(s);
                        Ok(())
                    })
                    .unwrap();
                    assert_eq!(j.pending(), 0);
                }
            }
            j.end_array().key("b").null().end_object();
            out + &j.finish()
        };
        assert_eq!(build(true), r#"{"a":[0,1,2,3,4],"b":null}"#);
        assert_eq!(build(true), build(false));
    }

    #[test]
    fn lossy_bytes_do_not_break_the_document() {
        let mut j = Json::new();
        j.begin_array().bytes(b"/mnt/\xff").end_array();
        assert_eq!(j.finish(), "[\"/mnt/\u{fffd}\"]");
    }
}
