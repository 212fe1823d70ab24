//! Source files and byte spans. Every value a rule can point at carries a [`Span`] into one of these.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// A byte range `start..end` inside one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(s: Span) -> Self {
        (s.start, s.len()).into()
    }
}

/// The text of one file, shared cheaply between the model and every diagnostic that quotes it.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub name: String,
    pub text: Arc<str>,
    named: miette::NamedSource<SharedText>,
    lines: Arc<LineIndex>,
}

impl SourceFile {
    pub fn new(path: impl AsRef<Path>, text: impl Into<Arc<str>>) -> Self {
        let path = path.as_ref().to_path_buf();
        let name = display_path(&path);
        let text: Arc<str> = text.into();
        let lines = Arc::new(LineIndex::default());
        let named = miette::NamedSource::new(name.clone(), SharedText { text: text.clone(), lines: lines.clone() });
        SourceFile { path, name, text, named, lines }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let line = self.lines.line_of(&self.text, offset);
        let line_start = self.lines.starts(&self.text)[line];
        (line + 1, self.text[line_start..offset].chars().count() + 1)
    }

    /// A miette source carrying the file name, without copying the text.
    pub fn named(&self) -> &miette::NamedSource<SharedText> {
        &self.named
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Paths are shown relative to the working directory when possible, with `/` separators.
pub fn display_path(path: &Path) -> String {
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    let s = shown.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// Byte offsets of line starts, computed on first use, so that each diagnostic reads only the lines
/// it shows instead of scanning the file from the start (which made many findings quadratic).
#[derive(Debug, Default)]
pub struct LineIndex(OnceLock<Vec<usize>>);

impl LineIndex {
    fn starts(&self, text: &str) -> &[usize] {
        self.0.get_or_init(|| {
            std::iter::once(0)
                .chain(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1))
                .collect()
        })
    }
    /// 0-based line of a byte offset.
    fn line_of(&self, text: &str, offset: usize) -> usize {
        self.starts(text).partition_point(|&start| start <= offset).saturating_sub(1)
    }
}

/// `Arc<str>` as a miette source.
#[derive(Clone, Debug)]
pub struct SharedText {
    text: Arc<str>,
    lines: Arc<LineIndex>,
}

impl miette::SourceCode for SharedText {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let text: &'a str = &self.text;
        let (start, end) = (span.offset(), span.offset() + span.len());
        if end > text.len() {
            return Err(miette::MietteError::OutOfBounds);
        }
        // Cut a window of whole lines around the span and let miette's own reader work inside it.
        let starts = self.lines.starts(text);
        let first = self.lines.line_of(text, start).saturating_sub(context_lines_before);
        // Two spare lines: miette reads one line further when a span ends on a line break.
        let last = self.lines.line_of(text, end.saturating_sub(1).max(start)) + context_lines_after + 3;
        let window_start = starts[first];
        let window_end = starts.get(last).copied().unwrap_or(text.len());
        let window: &'a [u8] = &text.as_bytes()[window_start..window_end];
        let local = miette::SourceSpan::new((start - window_start).into(), span.len());
        let inner = window.read_span(&local, context_lines_before, context_lines_after)?;
        Ok(Box::new(miette::MietteSpanContents::new(
            inner.data(),
            (inner.span().offset() + window_start, inner.span().len()).into(),
            inner.line() + first,
            inner.column(),
            inner.line_count() + first,
        )))
    }
}

/// Converts the character indices the YAML scanner reports into byte offsets.
/// ASCII text needs no table; otherwise we keep one entry per non-ASCII character.
pub struct CharIndex {
    /// (char index of a multi-byte char, extra bytes accumulated after it)
    wide: Vec<(usize, usize)>,
}

impl CharIndex {
    pub fn new(text: &str) -> Self {
        let mut wide = Vec::new();
        if !text.is_ascii() {
            let mut extra = 0;
            for (ci, ch) in text.chars().enumerate() {
                let n = ch.len_utf8();
                if n > 1 {
                    extra += n - 1;
                    wide.push((ci, extra));
                }
            }
        }
        CharIndex { wide }
    }

    pub fn byte(&self, char_index: usize) -> usize {
        if self.wide.is_empty() {
            return char_index;
        }
        // Extra bytes come from wide chars strictly before `char_index`.
        let k = self.wide.partition_point(|&(ci, _)| ci < char_index);
        char_index + if k == 0 { 0 } else { self.wide[k - 1].1 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_index_maps_multibyte_text() {
        let text = "a: é€x";
        let idx = CharIndex::new(text);
        let bytes: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        for (ci, b) in bytes.iter().enumerate() {
            assert_eq!(idx.byte(ci), *b);
        }
        assert_eq!(idx.byte(text.chars().count()), text.len());
    }

    #[test]
    fn windowed_reader_agrees_with_miettes_reader() {
        use miette::SourceCode;
        let text = "a: 1\nbb: 2\r\n\nccc: [x, y]\ndd: é\nlast";
        let file = SourceFile::new("x", text);
        let shared = SharedText { text: file.text.clone(), lines: file.lines.clone() };
        for (start, len) in [(0, 1), (3, 1), (6, 5), (14, 3), (19, 6), (28, 3), (text.len() - 4, 4), (text.len(), 0)] {
            for context in [0, 1, 2] {
                let span = miette::SourceSpan::new(start.into(), len);
                let ours = shared.read_span(&span, context, context).unwrap();
                let theirs = text.read_span(&span, context, context).unwrap();
                let key = |c: &dyn miette::SpanContents<'_>| {
                    (c.data().to_vec(), *c.span(), c.line(), c.column(), c.line_count())
                };
                assert_eq!(key(&*ours), key(&*theirs), "span {start}+{len} context {context}");
            }
        }
    }

    #[test]
    fn line_col_is_one_based() {
        let f = SourceFile::new("x", "ab\ncé d\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(7), (2, 4));
    }
}
