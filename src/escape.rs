//! Text from backlogs, file names, policies and git goes to terminals, CI logs and pull-request
//! comments. Characters that could recolour the terminal, move the cursor, rewrite a line, forge
//! another line, or reorder and hide text (controls, bidi overrides, zero-width characters) are
//! written visibly instead: `\u{1b}`, `\r`, and `\n` where one line is expected.

use std::borrow::Cow;

/// Characters never written raw: C0 and C1 controls and DEL; bidi embeddings, overrides, isolates
/// and marks; zero-width and other invisible format characters; line and paragraph separators; the
/// byte order mark; interlinear annotations and the noncharacters XML forbids. Includes `\n` and
/// `\t`: callers decide whether to keep them.
pub fn is_hidden(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{61c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{fffe}'
            | '\u{ffff}'
    )
}

fn escaped(text: &str, keep_newline: bool) -> Cow<'_, str> {
    let keep = |c: char| c == '\t' || (keep_newline && c == '\n');
    // Byte by byte first: a large run's whole report passes here, and nearly all of it is plain
    // ASCII, where only control bytes can be hidden.
    let plain = |b: u8| (0x20..0x7f).contains(&b) || b == b'\t' || (keep_newline && b == b'\n');
    if text.bytes().all(plain) {
        return Cow::Borrowed(text);
    }
    if !text.chars().any(|c| is_hidden(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            c if keep(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if is_hidden(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Text that may span lines (help, explanations): hidden characters escaped, `\n` and `\t` kept.
pub fn visible(text: &str) -> Cow<'_, str> {
    escaped(text, true)
}

/// Text that must stay on one line (messages, labels, file names, ids): also `\n` becomes `\n`.
pub fn visible_line(text: &str) -> Cow<'_, str> {
    escaped(text, false)
}

/// At most `max` characters, then how many were left out: a message quoting a 1 MB value stays short.
pub fn shortened(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => {
            let rest = text[cut..].chars().count();
            Cow::Owned(format!("{}… ({rest} more characters)", &text[..cut]))
        }
    }
}

/// A copy of a source file for quoting, with every hidden character replaced by a visible one of
/// the same length in bytes, so that byte offsets into the original stay right in the copy: one
/// byte becomes `?`, two bytes `¿`, three bytes `�`. `\n`, `\t` and the `\r` of `\r\n` stay; a lone
/// `\r` (old Mac line ending) becomes `\n`, a line break as the YAML parser and the line index see
/// it. `None` when the text has nothing to replace.
pub fn same_length_visible(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let needs = |i: usize, c: char| match c {
        '\n' | '\t' => false,
        '\r' => bytes.get(i + 1) != Some(&b'\n'),
        c => is_hidden(c),
    };
    if !text.char_indices().any(|(i, c)| needs(i, c)) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        if !needs(i, c) {
            out.push(c);
        } else if c == '\r' {
            out.push('\n');
        } else {
            out.push(match c.len_utf8() {
                1 => '?',
                2 => '¿',
                _ => '\u{fffd}',
            });
        }
    }
    debug_assert_eq!(out.len(), text.len());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_are_written_visibly() {
        let text = "A\u{1b}[31mRED\u{7}\rX\u{202e}Y\u{200b}Z\u{85}\u{feff}\nnext\tcol";
        assert_eq!(visible_line(text), "A\\u{1b}[31mRED\\u{7}\\rX\\u{202e}Y\\u{200b}Z\\u{85}\\u{feff}\\nnext\tcol");
        assert_eq!(visible(text), "A\\u{1b}[31mRED\\u{7}\\rX\\u{202e}Y\\u{200b}Z\\u{85}\\u{feff}\nnext\tcol");
        assert!(matches!(visible_line("plain é text"), Cow::Borrowed(_)));
    }

    /// The byte-by-byte shortcut lets through exactly the texts that have nothing to escape.
    #[test]
    fn the_ascii_shortcut_agrees_with_the_character_test() {
        for keep_newline in [false, true] {
            for c in (0..0x3000u32).chain(0xfef0..0x10000).filter_map(char::from_u32) {
                let text = format!("a{c}b");
                let hidden = c != '\t' && !(keep_newline && c == '\n') && is_hidden(c);
                let out = escaped(&text, keep_newline);
                assert_eq!(matches!(out, Cow::Owned(_)), hidden, "{:#x}", c as u32);
                assert_eq!(out.contains(c), !hidden, "{:#x}", c as u32);
            }
        }
    }

    #[test]
    fn the_snippet_copy_keeps_every_byte_offset() {
        let text = "a\u{1b}b\u{9b}c\u{2066}d\u{200d}e\r\nf\rg\n\th\u{7f}";
        let copy = same_length_visible(text).unwrap();
        assert_eq!(copy.len(), text.len());
        assert_eq!(copy, "a?b¿c\u{fffd}d\u{fffd}e\r\nf\ng\n\th?");
        assert!(text.char_indices().all(|(i, _)| copy.is_char_boundary(i)));
        assert_eq!(same_length_visible("a: 1\r\nb: é\n"), None);
        // Every hidden character has a replacement of its own length.
        assert!((0..=0x10ffff).filter_map(char::from_u32).filter(|&c| is_hidden(c)).all(|c| c.len_utf8() <= 3));
    }

    #[test]
    fn long_text_is_shortened_on_a_character_boundary() {
        assert_eq!(shortened("ééééé", 3), "ééé… (2 more characters)");
        assert_eq!(shortened("abc", 3), "abc");
    }
}
