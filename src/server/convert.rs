//! Between backlint's byte spans and paths and the protocol's positions and `file:` URIs.

use lsp_types::{Position, Range, Uri};
use std::path::{Path, PathBuf};

/// How the client counts characters in a line: UTF-16 code units unless it offers UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// A text's line starts, to turn byte offsets into positions and back. Lines end at `\n`, `\r\n` and
/// a lone `\r`, as the protocol says.
pub struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let breaks = bytes
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
            .map(|(i, _)| i + 1);
        Lines { text, starts: std::iter::once(0).chain(breaks).collect() }
    }

    pub fn position(&self, offset: usize, encoding: Encoding) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset).saturating_sub(1);
        let prefix = &self.text[self.starts[line]..offset];
        let character = match encoding {
            Encoding::Utf8 => prefix.len(),
            Encoding::Utf16 => prefix.encode_utf16().count(),
        };
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, start: usize, end: usize, encoding: Encoding) -> Range {
        Range::new(self.position(start, encoding), self.position(end.max(start), encoding))
    }

    /// The byte offset of a position; past the end of its line is the line's end.
    pub fn offset(&self, position: Position, encoding: Encoding) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else { return self.text.len() };
        let end = self.starts.get(position.line as usize + 1).copied().unwrap_or(self.text.len());
        let line = self.text[start..end].trim_end_matches(['\n', '\r']);
        let mut counted = 0;
        for (i, c) in line.char_indices() {
            if counted >= position.character as usize {
                return start + i;
            }
            counted += match encoding {
                Encoding::Utf8 => c.len_utf8(),
                Encoding::Utf16 => c.len_utf16(),
            };
        }
        start + line.len()
    }
}

/// The local path a `file:` URI names.
pub fn path_of(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).and_then(|&b| hex(b)), bytes.get(i + 2).and_then(|&b| hex(b))) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b'?' | b'#', _, _) => break,
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(bytes_to_path(out))
}

#[cfg(unix)]
fn bytes_to_path(bytes: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

#[cfg(not(unix))]
fn bytes_to_path(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
}

/// The `file:` URI of an absolute path, every byte outside the unreserved set percent-encoded.
pub fn uri_of(path: &Path) -> Uri {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut uri = String::from("file://");
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.parse().unwrap_or_else(|_| "file:///".parse().expect("a valid URI"))
}

/// Text as the data of a `data:` URI (percent-encoded UTF-8).
pub fn data_uri(media_type: &str, text: &str) -> Option<Uri> {
    let mut uri = format!("data:{media_type};charset=utf-8,");
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units_or_bytes() {
        let text = "a: 1\r\nb: é😀x\rc";
        let lines = Lines::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(lines.position(x, Encoding::Utf16), Position::new(1, 6));
        assert_eq!(lines.position(x, Encoding::Utf8), Position::new(1, 9));
        assert_eq!(lines.offset(Position::new(1, 6), Encoding::Utf16), x);
        assert_eq!(lines.offset(Position::new(1, 9), Encoding::Utf8), x);
        assert_eq!(lines.position(text.len() - 1, Encoding::Utf16), Position::new(2, 0));
        assert_eq!(lines.offset(Position::new(0, 99), Encoding::Utf16), 4, "past the end is the line's end");
    }

    #[test]
    fn file_uris_round_trip() {
        let path = Path::new("/tmp/a b/é#1.backlog.yaml");
        let uri = uri_of(path);
        assert_eq!(uri.as_str(), "file:///tmp/a%20b/%C3%A9%231.backlog.yaml");
        assert_eq!(path_of(&uri).unwrap(), path);
        assert_eq!(path_of(&"untitled:1".parse().unwrap()), None);
    }
}
