//! What counts as the rationale of a move in a commit message.
//!
//! A move has a rationale when the message gives one explicitly:
//!
//! 1. a `Reorder-Rationale:` trailer (any case), whose text is the rationale; or
//! 2. prose that speaks of the order or of the moved item (a word such as *order*, *priority*,
//!    *move*, *top*, *ahead*, *first*, *defer*, or the item's id, anywhere in the subject or the
//!    body) and a sentence that gives a reason (*because*, *since*, *so that*, *due to*, *unblocks*,
//!    *depends*, *needs*, *deadline*, *risk*, *customers* …): that sentence is the rationale.
//!
//! Prose is the subject and the body's paragraphs, less what a tool writes: trailers
//! (`Signed-off-by:`), list items and checklists (`- [x] #1 …`, `* task-12 - …`, `1. …`, the
//! squash-merge summary of a pull request and a task's own acceptance checklist), headings,
//! quotes and indented code. A bare "Reorder backlog" says that the order changed, not why.
//! The ordering log is the third way: an entry with a `rationale` added in the same commit.

use std::path::Path;

/// Words that speak of the order.
const ORDER_WORDS: &[&str] = &[
    "order",
    "reorder",
    "reordered",
    "reordering",
    "reorders",
    "ordering",
    "priority",
    "priorities",
    "prioritise",
    "prioritised",
    "prioritize",
    "prioritized",
    "deprioritise",
    "deprioritised",
    "deprioritize",
    "deprioritized",
    "rank",
    "ranked",
    "move",
    "moved",
    "moves",
    "moving",
    "bump",
    "bumped",
    "ahead",
    "top",
    "higher",
    "lower",
    "earlier",
    "later",
    "first",
    "before",
    "after",
    "defer",
    "deferred",
    "postpone",
    "postponed",
    "promote",
    "promoted",
    "demote",
    "demoted",
];

/// Words that give a reason.
const REASON_WORDS: &[&str] = &[
    "because",
    "since",
    "due",
    "unblock",
    "unblocks",
    "unblocking",
    "blocks",
    "blocked",
    "blocking",
    "depends",
    "dependency",
    "need",
    "needs",
    "needed",
    "require",
    "requires",
    "required",
    "deadline",
    "risk",
    "risky",
    "customer",
    "customers",
    "users",
    "value",
    "urgent",
    "why",
];

/// Phrases that give a reason.
const REASON_PHRASES: &[&str] = &["so that", "so we", "in order to", "as a result"];

/// The rationale `message` gives for moving `item` (see the module documentation).
pub fn of_commit(message: &str, item: &str) -> Option<String> {
    for line in message.lines() {
        if let Some((key, value)) = line.split_once(':')
            && key.trim().eq_ignore_ascii_case("reorder-rationale")
            && !value.trim().is_empty()
        {
            return Some(value.trim().to_string());
        }
    }
    let sentences = prose_sentences(message);
    let item = item.to_lowercase();
    let about_order = sentences.iter().any(|s| {
        let lower = s.to_lowercase();
        words(&lower).any(|w| ORDER_WORDS.contains(&w))
            || (!item.is_empty() && lower.split(|c: char| c.is_whitespace() || ",;:()".contains(c)).any(|w| w == item))
    });
    if !about_order {
        return None;
    }
    sentences.into_iter().find(|s| gives_reason(s))
}

fn words(lower: &str) -> impl Iterator<Item = &str> {
    lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
}

/// Whether a sentence gives a reason.
fn gives_reason(sentence: &str) -> bool {
    let lower = sentence.to_lowercase();
    let joined = format!(" {} ", words(&lower).collect::<Vec<_>>().join(" "));
    words(&lower).any(|w| REASON_WORDS.contains(&w))
        || REASON_PHRASES.iter().any(|p| joined.contains(&format!(" {p} ")))
}

/// The sentences of the message's prose: paragraphs of plain lines, split at `.`, `!`, `?` and `;`.
fn prose_sentences(message: &str) -> Vec<String> {
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in message.lines() {
        let plain = line.trim_end();
        if plain.trim().is_empty() || !is_prose(plain) {
            if !current.is_empty() {
                paragraphs.push(std::mem::take(&mut current));
            }
            continue;
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(plain.trim());
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    let mut sentences = Vec::new();
    for paragraph in paragraphs {
        let mut start = 0;
        let chars: Vec<(usize, char)> = paragraph.char_indices().collect();
        for (n, &(i, c)) in chars.iter().enumerate() {
            let at_end = chars.get(n + 1).is_none_or(|(_, next)| next.is_whitespace());
            if matches!(c, '.' | '!' | '?' | ';') && at_end {
                sentences.push(paragraph[start..=i].trim().to_string());
                start = i + c.len_utf8();
            }
        }
        if start < paragraph.len() {
            sentences.push(paragraph[start..].trim().to_string());
        }
    }
    sentences.retain(|s| !s.is_empty());
    sentences
}

/// Whether a line is prose: not a trailer, list item, checklist, heading, quote or indented code.
fn is_prose(line: &str) -> bool {
    if line.starts_with("    ") || line.starts_with('\t') {
        return false;
    }
    let text = line.trim_start();
    let is_trailer = text.split_once(": ").is_some_and(|(key, _)| {
        !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') && key.contains('-')
    });
    let bullet = text.starts_with(['-', '*', '+', '#', '>', '|']);
    let numbered = {
        let digits = text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        digits > 0 && text[digits..].starts_with(['.', ')'])
    };
    !(is_trailer || bullet || numbered)
}

/// The message `git commit` is writing, from the file a `commit-msg` hook is given: lines starting
/// with `#` are comments git drops, and so is everything under the scissors line of `--verbose`.
pub fn read_message_file(path: &Path) -> Result<String, String> {
    let shown = path.display();
    let cannot = |why: String| format!("cannot read the commit message `{shown}`: {why}");
    let absolute = std::path::absolute(path).map_err(|e| cannot(e.to_string()))?;
    // The folder the caller named is resolved first: pre-commit passes `../x` from inside the work
    // tree, and those `..` are where the file is, not a way out of its folder. The file itself is
    // still read only if it is a regular file in that folder (a symlink out of it is refused).
    let (Some(parent), Some(name)) = (absolute.parent(), absolute.file_name()) else {
        return Err(cannot("it is not a file".into()));
    };
    let folder = parent.canonicalize().map_err(|e| cannot(e.to_string()))?;
    let bytes =
        crate::files::input::read_bytes(&folder.join(name), &folder).map_err(|refusal| cannot(refusal.reason()))?;
    let text = String::from_utf8_lossy(&bytes);
    let mut kept = Vec::new();
    for line in text.lines() {
        if line.starts_with("# ") && line.contains(">8") && line.contains("-----") {
            break;
        }
        if !line.starts_with('#') {
            kept.push(line);
        }
    }
    Ok(kept.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::of_commit;

    #[test]
    fn a_trailer_is_a_rationale() {
        let msg = "Reorder\n\nlong text\n\nReorder-Rationale: churn risk\n";
        assert_eq!(of_commit(msg, "task-1").as_deref(), Some("churn risk"));
        assert_eq!(of_commit("Reorder\n\nreorder-rationale:   \n", "task-1"), None);
    }

    #[test]
    fn a_sentence_that_gives_a_reason_for_the_order_is_a_rationale() {
        let msg = "Move task-12 to the top\n\nThe demo on Friday depends on it, so it goes first.\n\nSigned-off-by: A <a@x>\n";
        assert_eq!(of_commit(msg, "task-12").as_deref(), Some("The demo on Friday depends on it, so it goes first."));
        let msg = "Prioritise search because customers ask for it every week";
        assert!(of_commit(msg, "task-3").is_some());
        // The subject says what moved, the body why.
        let msg = "Move D up\n\nThe big customer asks for it.";
        assert_eq!(of_commit(msg, "D").as_deref(), Some("The big customer asks for it."));
        let msg = "Update task-12\n\nThe release needs it next week.";
        assert_eq!(of_commit(msg, "task-12").as_deref(), Some("The release needs it next week."));
    }

    #[test]
    fn saying_that_the_order_changed_is_not_a_reason() {
        for msg in [
            "Reorder backlog\n\nSigned-off-by: A <a@x>\n",
            "Move task-12 up",
            "Update tasks\n\nThis adds the login page and fixes the tests.",
            "Add task-9\n\nCustomers need a login page.",
        ] {
            assert_eq!(of_commit(msg, "task-12"), None, "{msg}");
        }
    }

    #[test]
    fn squash_merge_lists_and_checklists_are_not_a_rationale() {
        let squash = "Feature/search (#45)\n\n* task-12 - move search first because users need it\n* fix order of imports since lint fails\n\n- [x] #1 prioritise the API because it blocks the app\n1. Reorder tasks due to review\n\nCo-authored-by: B <b@x>\n";
        assert_eq!(of_commit(squash, "task-12"), None);
        let checklist =
            "Update task-7\n\n## Acceptance Criteria\n- [ ] #1 Results are ordered by priority because users asked\n";
        assert_eq!(of_commit(checklist, "task-7"), None);
    }
}
