//! A small JSON reader (RFC 8259) that keeps where every value is: it builds the same spanned
//! `Node` tree the YAML reader builds, so a finding about a JSON value points at its line and
//! column. serde_json reports positions only for syntax errors, never for a valid value.
//! Nesting is limited (`MAX_DEPTH`), so a hostile line cannot exhaust the stack.

use crate::text::Span;
use crate::yaml::{Entry, Node, Value};

/// Deepest nesting of arrays and objects read.
pub const MAX_DEPTH: usize = 64;

/// A syntax error: the byte offset (into the text given to [`parse`]) and what was wrong.
#[derive(Debug, PartialEq)]
pub struct JsonError {
    pub at: usize,
    pub message: String,
}

/// Reads one JSON value spanning `text[from..to]` (surrounding white space allowed). Spans are
/// byte offsets into `text`; a string's span includes its quotes. A key repeated in an object
/// keeps its last value, as encoding/json and serde_json do.
pub fn parse(text: &str, from: usize, to: usize) -> Result<Node, JsonError> {
    let mut r = Reader { b: &text.as_bytes()[..to], text, i: from, depth: 0 };
    r.ws();
    let node = r.value()?;
    r.ws();
    if r.i < to {
        return Err(r.error("text after the end of the JSON value"));
    }
    Ok(node)
}

struct Reader<'t> {
    b: &'t [u8],
    text: &'t str,
    i: usize,
    depth: usize,
}

impl Reader<'_> {
    fn error(&self, message: &str) -> JsonError {
        JsonError { at: self.i.min(self.b.len()), message: message.to_string() }
    }

    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn value(&mut self) -> Result<Node, JsonError> {
        let start = self.i;
        let Some(&c) = self.b.get(self.i) else { return Err(self.error("a value is missing")) };
        let value = match c {
            b'{' => return self.object(),
            b'[' => return self.array(),
            b'"' => Value::Str(self.string()?.into()),
            b't' => self.word("true", Value::Bool(true))?,
            b'f' => self.word("false", Value::Bool(false))?,
            b'n' => self.word("null", Value::Null)?,
            b'-' | b'0'..=b'9' => Value::Num(self.number()?),
            _ => return Err(self.error("expected a value (text in quotes, a number, true, false, null, [ or {)")),
        };
        Ok(Node { span: Span::new(start, self.i), value })
    }

    fn word(&mut self, w: &str, v: Value) -> Result<Value, JsonError> {
        if self.b[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            Ok(v)
        } else {
            Err(self.error("expected a value (text in quotes, a number, true, false, null, [ or {)"))
        }
    }

    fn number(&mut self) -> Result<f64, JsonError> {
        let start = self.i;
        let digits = |r: &mut Self| {
            let s = r.i;
            while r.i < r.b.len() && r.b[r.i].is_ascii_digit() {
                r.i += 1;
            }
            r.i - s
        };
        if self.b[self.i] == b'-' {
            self.i += 1;
        }
        let int_start = self.i;
        let n = digits(self);
        if n == 0 || (n > 1 && self.b[int_start] == b'0') {
            self.i = start;
            return Err(self.error("invalid number"));
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return Err(self.error("invalid number: digits must follow the decimal point"));
            }
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("invalid number: digits must follow the exponent"));
            }
        }
        self.text[start..self.i].parse::<f64>().map_err(|_| JsonError { at: start, message: "invalid number".into() })
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.i += 1; // the opening quote
        let mut out = String::new();
        loop {
            let run = self.i;
            while self.i < self.b.len() && !matches!(self.b[self.i], b'"' | b'\\' | 0..=0x1f) {
                self.i += 1;
            }
            out.push_str(&self.text[run..self.i]);
            match self.b.get(self.i) {
                None => return Err(self.error("a text value is not closed (a `\"` is missing)")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = match self.b.get(self.i) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.i += 1;
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) && self.b[self.i..].starts_with(b"\\u") {
                                let at = self.i;
                                self.i += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                                } else {
                                    self.i = at;
                                    0xFFFD
                                }
                            } else {
                                hi
                            };
                            // A lone surrogate cannot be text: it reads as U+FFFD, as serde_json's lossy mode would.
                            out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                            continue;
                        }
                        _ => return Err(self.error("invalid escape in a text value")),
                    };
                    self.i += 1;
                    out.push(c);
                }
                Some(_) => return Err(self.error("a control character (such as a raw line break) inside a text value")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self.text.get(self.i..self.i + 4).filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()));
        let Some(h) = digits else { return Err(self.error("`\\u` must be followed by four hex digits")) };
        self.i += 4;
        Ok(u32::from_str_radix(h, 16).expect("hex digits"))
    }

    fn enter(&mut self) -> Result<(), JsonError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        Ok(())
    }

    fn array(&mut self) -> Result<Node, JsonError> {
        let start = self.i;
        self.enter()?;
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
        } else {
            loop {
                self.ws();
                items.push(self.value()?);
                self.ws();
                match self.b.get(self.i) {
                    Some(b',') => self.i += 1,
                    Some(b']') => {
                        self.i += 1;
                        break;
                    }
                    _ => return Err(self.error("expected `,` or `]` in a list")),
                }
            }
        }
        self.depth -= 1;
        Ok(Node { span: Span::new(start, self.i), value: Value::Seq(items) })
    }

    fn object(&mut self) -> Result<Node, JsonError> {
        let start = self.i;
        self.enter()?;
        self.i += 1;
        let mut entries: Vec<Entry> = Vec::new();
        self.ws();
        if self.b.get(self.i) == Some(&b'}') {
            self.i += 1;
        } else {
            loop {
                self.ws();
                if self.b.get(self.i) != Some(&b'"') {
                    return Err(self.error("expected a field name in quotes"));
                }
                let key_start = self.i;
                let key = self.string()?;
                let key_span = Span::new(key_start, self.i);
                self.ws();
                if self.b.get(self.i) != Some(&b':') {
                    return Err(self.error("expected `:` after a field name"));
                }
                self.i += 1;
                self.ws();
                let value = self.value()?;
                match entries.iter_mut().find(|e| e.key == key.as_str()) {
                    Some(e) => {
                        e.key_span = key_span;
                        e.value = value;
                    }
                    None => entries.push(Entry { key: key.into(), key_span, value }),
                }
                self.ws();
                match self.b.get(self.i) {
                    Some(b',') => self.i += 1,
                    Some(b'}') => {
                        self.i += 1;
                        break;
                    }
                    _ => return Err(self.error("expected `,` or `}` in an object")),
                }
            }
        }
        self.depth -= 1;
        Ok(Node { span: Span::new(start, self.i), value: Value::Map(entries) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(t: &str) -> Result<Node, JsonError> {
        parse(t, 0, t.len())
    }

    #[test]
    fn values_keep_their_spans() {
        let t = r#"{"id": "bd-1", "n": -1.5e2, "ok": true, "list": [1, null], "s": "a\"b\u00e9\ud83d\ude00"}"#;
        let n = read(t).unwrap();
        let at = |k: &str| {
            let s = n.get(k).unwrap().span;
            &t[s.start..s.end]
        };
        assert_eq!(at("id"), "\"bd-1\"");
        assert_eq!(at("n"), "-1.5e2");
        assert_eq!(n.get("n").unwrap().value, Value::Num(-150.0));
        assert_eq!(at("list"), "[1, null]");
        assert_eq!(n.get("s").unwrap().value, Value::Str("a\"bé😀".into()));
    }

    #[test]
    fn errors_say_where() {
        let e = |t: &str| read(t).unwrap_err();
        assert_eq!(e(r#"{"a": 1,}"#).at, 8);
        assert_eq!(e(r#"{"a": 01}"#).at, 6);
        assert_eq!(e(r#"{"a": "x"#).message, "a text value is not closed (a `\"` is missing)");
        assert_eq!(e("{\"a\": \"\t\"}").at, 7);
        assert_eq!(e(r#"{"a": 1} x"#).at, 9);
        assert!(e(&"[".repeat(100)).message.contains("deeply"));
        assert_eq!(e(r#"{"a": tru}"#).at, 6);
    }

    #[test]
    fn a_repeated_key_keeps_its_last_value() {
        let n = read(r#"{"a": 1, "a": 2}"#).unwrap();
        assert_eq!(n.get("a").unwrap().value, Value::Num(2.0));
    }
}
