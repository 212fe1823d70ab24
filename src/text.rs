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
        let shared = SharedText { text: text.clone(), lines: lines.clone(), shown: Arc::default() };
        let named = miette::NamedSource::new(crate::escape::visible_line(&name), shared);
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

    /// The part of a span a diagnostic underlines: a span over more than [`MAX_SHOWN_LINES`]
    /// lines, or through a line longer than [`LONG_LINE`], is cut at the end of its first line, and
    /// a span longer than [`MAX_SHOWN_SPAN`] bytes is cut there (a 1 MB value is shown truncated).
    pub fn shown_span(&self, span: Span) -> Span {
        let text: &str = &self.text;
        let (start, mut end) = (span.start.min(text.len()), span.end.min(text.len()).max(span.start.min(text.len())));
        let starts = self.lines.starts(text);
        let (first, last) =
            (self.lines.line_of(text, start), self.lines.line_of(text, end.saturating_sub(1).max(start)));
        let long = |line: usize| line_end(text, starts, line) - starts[line] > LONG_LINE;
        if last > first && (last - first >= MAX_SHOWN_LINES || (first..=last).any(long)) {
            end = line_end(text, starts, first);
        }
        if end - start > MAX_SHOWN_SPAN {
            end = floor_char_boundary(text, start + MAX_SHOWN_SPAN);
        }
        Span::new(start, end)
    }
}

/// Lines longer than this (in bytes) are never quoted whole: a diagnostic shows a window of them.
pub const LONG_LINE: usize = 1_000;
/// Bytes quoted on each side of a span that sits in a long line.
pub const SIDE: usize = 120;
/// The longest span underlined, in bytes.
pub const MAX_SHOWN_SPAN: usize = LONG_LINE;
/// The most lines one underlined span covers.
pub const MAX_SHOWN_LINES: usize = 40;

/// End of a 0-based line, before its line break.
fn line_end(text: &str, starts: &[usize], line: usize) -> usize {
    let next = starts.get(line + 1).copied().unwrap_or(text.len());
    let bytes = text.as_bytes();
    let mut end = next;
    if end > starts[line] && bytes[end - 1] == b'\n' {
        end -= 1;
    }
    if end > starts[line] && bytes[end - 1] == b'\r' {
        end -= 1;
    }
    end
}

fn ceil_char_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i.min(s.len())
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Paths are shown relative to the working directory when possible, with `/` separators.
/// The working directory is asked once: backlint never changes it, and each finding shows a path.
pub fn display_path(path: &Path) -> String {
    static CWD: OnceLock<Option<std::path::PathBuf>> = OnceLock::new();
    let shown = CWD
        .get_or_init(|| std::env::current_dir().ok())
        .as_ref()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    let s = shown.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// Byte offsets of line starts, computed on first use, so that each diagnostic reads only the lines
/// it shows instead of scanning the file from the start (which made many findings quadratic).
/// Lines end at `\n`, `\r\n` and a lone `\r`, as the YAML parser sees them.
#[derive(Debug, Default)]
pub struct LineIndex(OnceLock<Vec<usize>>);

impl LineIndex {
    fn starts(&self, text: &str) -> &[usize] {
        self.0.get_or_init(|| {
            let bytes = text.as_bytes();
            let breaks = memchr::memchr2_iter(b'\n', b'\r', bytes)
                .filter(|&i| bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n'));
            std::iter::once(0).chain(breaks.map(|i| i + 1)).collect()
        })
    }
    /// 0-based line of a byte offset.
    fn line_of(&self, text: &str, offset: usize) -> usize {
        self.starts(text).partition_point(|&start| start <= offset).saturating_sub(1)
    }
}

/// `Arc<str>` as a miette source. What it quotes is bounded and safe to print: a window of long
/// lines around the span, from a copy of the text whose control, bidi and invisible characters are
/// replaced by visible ones of the same byte length (see [`crate::escape::same_length_visible`]).
#[derive(Clone, Debug)]
pub struct SharedText {
    text: Arc<str>,
    lines: Arc<LineIndex>,
    /// The text as quoted, made on first use; `None` when it is the text itself.
    shown: Arc<OnceLock<Option<Box<str>>>>,
}

impl SharedText {
    fn shown(&self) -> &str {
        self.shown
            .get_or_init(|| crate::escape::same_length_visible(&self.text).map(String::into_boxed_str))
            .as_deref()
            .unwrap_or(&self.text)
    }
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
        let starts = self.lines.starts(text);
        let first = self.lines.line_of(text, start);
        let last = self.lines.line_of(text, end.saturating_sub(1).max(start));
        let long = |line: usize| line_end(text, starts, line) - starts[line] > LONG_LINE;
        // Labels are cut by `shown_span`; a larger span is two labels miette tries to show together,
        // which it shows apart when we refuse (and would otherwise quote everything between them).
        let whole_lines_long = (first + 1..last).any(long);
        let ends_long = if first == last {
            end - start > LONG_LINE
        } else {
            line_end(text, starts, first) - start > LONG_LINE || end - starts[last] > LONG_LINE
        };
        if last - first > 2 * MAX_SHOWN_LINES || whole_lines_long || ends_long {
            return Err(miette::MietteError::OutOfBounds);
        }
        // A window around the span: whole lines of context, but at most SIDE bytes beside the span
        // in a long line and LONG_LINE bytes of each context line.
        let window_start = if long(first) && start - starts[first] > SIDE {
            floor_char_boundary(text, start - SIDE)
        } else {
            let context = starts[first.saturating_sub(context_lines_before)];
            ceil_char_boundary(text, context.max(starts[first].saturating_sub(LONG_LINE * context_lines_before)))
        };
        let last_end = line_end(text, starts, last);
        let window_end = if long(last) && last_end.saturating_sub(end) > SIDE {
            ceil_char_boundary(text, end + SIDE)
        } else {
            // Two spare lines: miette reads one line further when a span ends on a line break.
            let context = starts.get(last + context_lines_after + 3).copied().unwrap_or(text.len());
            floor_char_boundary(text, context.min(last_end + LONG_LINE * (context_lines_after + 2)))
        };
        let window: &'a [u8] = &self.shown().as_bytes()[window_start..window_end];
        let local = miette::SourceSpan::new((start - window_start).into(), span.len());
        let inner = window.read_span(&local, context_lines_before, context_lines_after)?;
        let data_start = inner.span().offset() + window_start;
        let data_end = data_start + inner.span().len();
        let line = self.lines.line_of(text, data_start);
        // Columns in characters, as every other output format counts them.
        let column = text[starts[line]..data_start].chars().count();
        Ok(Box::new(miette::MietteSpanContents::new(
            inner.data(),
            (data_start, inner.span().len()).into(),
            line,
            column,
            self.lines.line_of(text, data_end),
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

/// The number of words, as `split_whitespace` counts them. An ASCII text (most descriptions) is
/// counted eight bytes at a time: `split_whitespace`'s Unicode decoding was a twentieth of a check
/// over a backlog with descriptions.
pub fn word_count(text: &str) -> usize {
    if !text.is_ascii() {
        return text.split_whitespace().count();
    }
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    // Per byte, 1 where the byte is whitespace as `char::is_whitespace` says of ASCII: tab, line
    // feed, vertical tab, form feed, carriage return (9 to 13) and space. Bytes are below 0x80, so
    // adding to one never carries into the next.
    let spaces = |w: u64| {
        let is_space = !((w ^ (ONES * 0x20)) + (ONES * 0x7f)) & HIGH;
        let from_9 = (w + ONES * (0x80 - 9)) & HIGH;
        let from_14 = (w + ONES * (0x80 - 14)) & HIGH;
        (is_space | (from_9 & !from_14)) >> 7
    };
    let mut count = 0;
    // Whether the byte before the current eight is whitespace (the text's start counts as such).
    let mut before = 1;
    let mut take = |eight: [u8; 8]| {
        let space = spaces(u64::from_le_bytes(eight));
        // A word starts at a byte that is no whitespace right after one that is.
        count += (!space & ((space << 8) | before) & ONES).count_ones() as usize;
        before = space >> 56;
    };
    let mut chunks = text.as_bytes().chunks_exact(8);
    for chunk in &mut chunks {
        take(chunk.try_into().expect("eight bytes"));
    }
    // The last bytes, padded with spaces, which start no word.
    let mut last = [b' '; 8];
    last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    take(last);
    count
}

/// `1 warning`, `2 warnings`: a count with its noun, for summaries people read.
pub fn counted(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// Prose as its author meant it: the lines of each paragraph joined, so the reader's window (a
/// terminal, a browser, a SARIF viewer) wraps it rather than the policy file's line breaks. Blank
/// lines still separate paragraphs; list items, indented lines, headings, quotes, tables and fenced
/// code keep their lines (an indented line right after a list item continues the item).
pub fn reflow(text: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    // What the last line written was: prose that a plain line continues, or a list item.
    let (mut after_prose, mut after_item) = (false, false);
    for line in text.lines().map(str::trim_end) {
        let fence = line.trim_start().starts_with("```");
        let indented = line.starts_with([' ', '\t']);
        let item = list_marker(line.trim_start()) > 0;
        let joins = !fenced
            && !fence
            && !line.is_empty()
            && !item
            && ((after_prose && !indented && !starts_block(line)) || (after_item && indented));
        if joins {
            out.push(' ');
            out.push_str(line.trim_start());
        } else {
            if !out.is_empty() || !line.is_empty() {
                out.push('\n');
            }
            out.push_str(line);
        }
        if fence {
            fenced = !fenced;
        }
        let plain = !fenced && !fence && !line.is_empty();
        after_item = plain && (item || (after_item && indented));
        after_prose = plain && !after_item && !indented && !starts_block(line);
    }
    out.trim_matches('\n').to_string()
}

/// Lines that stand on their own in Markdown-like prose.
fn starts_block(line: &str) -> bool {
    line.starts_with(['#', '>', '|']) || list_marker(line) > 0
}

/// The width of a list marker at the start of `line` (`- `, `* `, `+ `, `1. `, `1) `), or 0.
fn list_marker(line: &str) -> usize {
    if line.starts_with("- ") || line.starts_with("* ") || line.starts_with("+ ") {
        return 2;
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &line[digits..];
    if digits > 0 && (rest.starts_with(". ") || rest.starts_with(") ")) { digits + 2 } else { 0 }
}

/// Reflowed prose wrapped at `width` characters for a terminal, each line indented by `indent`;
/// a list item's further lines hang under its text. Fenced code keeps its lines.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        let fence = line.trim_start().starts_with("```");
        if fenced || fence || line.is_empty() {
            fenced ^= fence;
            out.push(if line.is_empty() { String::new() } else { format!("{indent}{line}") });
            continue;
        }
        let lead = line.len() - line.trim_start().len();
        let hang = format!("{indent}{}", " ".repeat(lead + list_marker(line.trim_start())));
        let mut current = format!("{indent}{}", &line[..lead]);
        let mut empty = true;
        for word in line.split_whitespace() {
            if !empty && current.chars().count() + 1 + word.chars().count() > width {
                out.push(std::mem::replace(&mut current, hang.clone()));
                empty = true;
            }
            if !empty {
                current.push(' ');
            }
            current.push_str(word);
            empty = false;
        }
        out.push(current);
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte count of ASCII texts agrees with `split_whitespace` on every kind of whitespace.
    #[test]
    fn word_count_agrees_with_split_whitespace() {
        let pieces =
            ["a", "word", " ", "  ", "\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\u{a0}", "é", "\u{2003}", "x,y"];
        let mut rng = 12345u64;
        for _ in 0..20_000 {
            let mut text = String::new();
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            for k in 0..(rng >> 59) {
                text.push_str(pieces[((rng >> (2 * k)) % pieces.len() as u64) as usize]);
            }
            assert_eq!(super::word_count(&text), text.split_whitespace().count(), "{text:?}");
        }
    }

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
        let shared = file.named().inner().clone();
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
    fn long_lines_are_quoted_in_a_window_with_real_positions() {
        use miette::SourceCode;
        let text = format!("a: 1\nb: {}XYZ{}\nc: \u{1b}\u{202e}\r", "é".repeat(5_000), "x".repeat(5_000));
        let file = SourceFile::new("x", text.as_str());
        let at = text.find("XYZ").unwrap();
        let span = file.shown_span(Span::new(at, at + 3));
        for context in [0, 1] {
            let c = file.named().read_span(&span.into(), context, context).unwrap();
            assert!(c.data().len() < 4 * SIDE, "{} bytes quoted", c.data().len());
            assert_eq!((c.line(), c.column()), (1, (c.span().offset() - 5 - 3) / 2 + 3));
        }
        let c = file.named().read_span(&Span::new(text.len() - 1, text.len()).into(), 0, 0).unwrap();
        assert_eq!(std::str::from_utf8(c.data()).unwrap(), "\n", "a lone CR is shown as a line break");
        let c = file.named().read_span(&Span::new(text.len() - 8, text.len() - 1).into(), 0, 0).unwrap();
        assert_eq!(std::str::from_utf8(c.data()).unwrap(), "c: ?\u{fffd}");
        // A 1 MB span is underlined in part.
        assert_eq!(file.shown_span(Span::new(8, text.len())), Span::new(8, 8 + MAX_SHOWN_SPAN));
    }

    #[test]
    fn old_mac_line_endings_end_lines() {
        let f = SourceFile::new("x", "a: 1\rb: 2\r\nc: 3\n");
        assert_eq!(f.line_col(5), (2, 1));
        assert_eq!(f.line_col(11), (3, 1));
    }

    #[test]
    fn line_col_is_one_based() {
        let f = SourceFile::new("x", "ab\ncé d\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(7), (2, 4));
    }

    #[test]
    fn reflow_joins_paragraph_lines_and_keeps_blocks() {
        let text = "Reports items that\nhave no `value`.\n\nSecond paragraph\ncontinues.\n- an item\n  continued\n- another\n```\nkeep: this\n  and: this\n```\nafter the code\nends.";
        assert_eq!(
            reflow(text),
            "Reports items that have no `value`.\n\nSecond paragraph continues.\n- an item continued\n- another\n```\nkeep: this\n  and: this\n```\nafter the code ends."
        );
    }

    #[test]
    fn wrap_breaks_at_the_width_and_hangs_list_items() {
        let wrapped = wrap("one two three four five\n- six seven eight", 14, "  ");
        assert_eq!(wrapped, "  one two\n  three four\n  five\n  - six seven\n    eight");
        assert!(wrapped.lines().all(|l| l.chars().count() <= 14));
    }
}
