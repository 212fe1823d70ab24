//! Markdown sections of a text field: where teams write acceptance criteria, steps to reproduce or
//! success criteria inside a description (`## Acceptance Criteria` followed by lines). Only a real
//! ATX heading (`#` to `######`) counts, never a mention of the words, and headings inside fenced
//! code blocks are not headings.

/// The byte range of the content under the first heading named `heading` (case-insensitive; a
/// trailing `:` and closing `#`s are ignored), up to the next heading of the same or a higher level,
/// trimmed of blank lines. None when there is no such heading or nothing is under it.
pub fn section(text: &str, heading: &str) -> Option<(usize, usize)> {
    let wanted = normalise(heading);
    let mut fence: Option<&str> = None;
    let mut open: Option<(usize, usize)> = None; // (level, content start)
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let t = line.trim_end_matches(['\n', '\r']);
        let trimmed = t.trim_start();
        if let Some(f) = fence {
            if trimmed.starts_with(f) {
                fence = None;
            }
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(&trimmed[..3]);
            continue;
        }
        let Some((level, title)) = atx_heading(t) else { continue };
        if let Some((open_level, from)) = open {
            if level <= open_level {
                return trim_range(text, from, start);
            }
            continue;
        }
        if normalise(title) == wanted {
            open = Some((level, offset));
        }
    }
    open.and_then(|(_, from)| trim_range(text, from, text.len()))
}

/// The section's content as text.
pub fn section_text<'t>(text: &'t str, heading: &str) -> Option<&'t str> {
    section(text, heading).map(|(a, b)| &text[a..b])
}

fn trim_range(text: &str, from: usize, to: usize) -> Option<(usize, usize)> {
    let body = &text[from..to];
    let lead = body.len() - body.trim_start().len();
    let trail = body.trim_end().len();
    (trail > lead).then(|| (from + lead, from + trail))
}

/// `## Title ##` → (2, "Title"); up to three spaces of indentation, as in CommonMark.
fn atx_heading(line: &str) -> Option<(usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let level = rest.len() - rest.trim_start_matches('#').len();
    if !(1..=6).contains(&level) {
        return None;
    }
    let after = &rest[level..];
    if !after.is_empty() && !after.starts_with([' ', '\t']) {
        return None;
    }
    Some((level, after.trim().trim_end_matches('#').trim()))
}

fn normalise(heading: &str) -> String {
    heading.trim().trim_end_matches(':').trim().trim_matches('*').trim().to_lowercase()
}

/// The criteria of a section or a criteria field: each list line (`-`, `*`, `+` or `1.`), with its
/// byte range in `text`, a checkbox kept as `[ ] …` / `[x] …`; a section without list lines is one
/// criterion (its whole text).
pub fn criteria(text: &str, from: usize, to: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut offset = from;
    for line in text[from..to].split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let t = line.trim_end_matches(['\n', '\r']);
        let body = t.trim_start();
        let marker = if let Some(rest) = body.strip_prefix(['-', '*', '+']) {
            Some(rest)
        } else {
            let digits = body.len() - body.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            (digits > 0).then(|| body[digits..].strip_prefix(['.', ')'])).flatten()
        };
        let Some(rest) = marker.filter(|r| r.starts_with([' ', '\t'])) else { continue };
        let item = rest.trim();
        if item.is_empty() {
            continue;
        }
        let at = start + (t.len() - rest.trim_start().len());
        out.push((at, at + item.len()));
    }
    if out.is_empty() && to > from {
        out.push((from, to));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heading_with_content_is_a_section_a_mention_is_not() {
        let d = "We need acceptance criteria here.\n\n## Acceptance Criteria:\n- [ ] it works\n- [x] it is fast\n\n## Notes\nnone\n";
        assert_eq!(section_text(d, "acceptance criteria"), Some("- [ ] it works\n- [x] it is fast"));
        assert_eq!(section_text("Acceptance criteria: it works", "Acceptance Criteria"), None);
        assert_eq!(section_text("## Acceptance Criteria\n\n## Notes\nx", "Acceptance Criteria"), None);
        assert_eq!(section_text("### Goal\nlearn\n#### detail\nmore", "goal"), Some("learn\n#### detail\nmore"));
        assert_eq!(section_text("```\n## Goal\nx\n```\n", "goal"), None);
        assert_eq!(section_text("##Goal\nx", "goal"), None);
    }

    #[test]
    fn criteria_are_list_lines_or_the_whole_section() {
        let t = "- [ ] it works\n  * [x] nested\n1. numbered\nprose";
        let found: Vec<&str> = criteria(t, 0, t.len()).iter().map(|&(a, b)| &t[a..b]).collect();
        assert_eq!(found, ["[ ] it works", "[x] nested", "numbered"]);
        let p = "It works offline.";
        assert_eq!(criteria(p, 0, p.len()), [(0, p.len())]);
    }
}
