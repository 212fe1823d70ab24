//! Fixes backlint can make for the user, as text edits: the mechanical ones (`rank` values renumbered
//! to agree with the list order, `allow:` entries that no longer silence anything removed), which
//! `check --fix` makes and `check --diff` shows, and an `allow:` entry to fill in, which only the
//! language server offers (its reason has to be written by a person). Both front ends get their
//! fixes from [`fixes`] and [`suppress`]; [`fix_analysis`] is `check --fix` and `--diff`. Nothing
//! here writes a file.

use crate::analysis::Analysis;
use crate::engine::Finding;
use crate::model::{Backlog, NATIVE_YAML, Record, Suppression};
use crate::text::Span;
use crate::yaml::{Entry, Node, Value};
use std::path::PathBuf;
use std::sync::Arc;

/// Replace `span` of the backlog's file `file` with `text`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edit {
    pub file: usize,
    pub span: Span,
    pub text: String,
}

/// One fix: what it does, in words, and its edits (applied together or not at all).
#[derive(Clone, Debug, PartialEq)]
pub struct Fix {
    pub rule: String,
    pub title: String,
    pub edits: Vec<Edit>,
}

/// The reason a new `allow:` entry starts with, for the user to replace (plain YAML: no `:`, `#`).
pub const REASON_TO_FILL_IN: &str = "say why this rule does not apply here";

const ORDERING: &str = "ordering-ambiguous";
const UNUSED: &str = "unused-suppression";

/// The mechanical fix of one finding, if it has one.
pub fn fix_for(backlog: &Backlog, finding: &Finding) -> Option<Fix> {
    if is_rank_finding(backlog, finding) {
        return renumber_ranks(backlog);
    }
    if finding.rule == UNUSED {
        let s = suppression_at(backlog, finding)?;
        return remove_suppressions(backlog, &[s]);
    }
    None
}

/// The mechanical fixes of all the findings, each once: findings that one fix resolves together (the
/// ranks of a list, every unused entry of one `allow:`) share it.
pub fn fixes(backlog: &Backlog, findings: &[Finding]) -> Vec<Fix> {
    let mut out = Vec::new();
    if findings.iter().any(|f| is_rank_finding(backlog, f))
        && let Some(fix) = renumber_ranks(backlog)
    {
        out.push(fix);
    }
    // Unused entries grouped by the `allow:` that holds them, so that an `allow:` left empty goes too.
    let mut unused: Vec<&Suppression> =
        findings.iter().filter(|f| f.rule == UNUSED).filter_map(|f| suppression_at(backlog, f)).collect();
    unused.sort_by_key(|s| (s.file, s.item, s.rule_span));
    unused.dedup_by_key(|s| (s.file, s.rule_span));
    for group in unused.chunk_by(|a, b| (a.file, a.item) == (b.file, b.item)) {
        out.extend(remove_suppressions(backlog, group));
    }
    out
}

/// An `allow:` entry for the finding's rule, on its item (or the whole backlog), with a reason to
/// fill in. Native YAML only: the other formats have no place the edit could go unambiguously.
pub fn suppress(backlog: &Backlog, finding: &Finding) -> Option<Fix> {
    if backlog.format != &NATIVE_YAML || finding.notice {
        return None;
    }
    let record = match finding.item {
        Some(i) => backlog.items.get(i)?,
        None => &backlog.top,
    };
    if !record.in_file {
        return None;
    }
    let text: &str = &backlog.files[record.file].text;
    let rule = &finding.rule;
    let allow = entry(&record.node, "allow");
    if allow.is_some_and(|a| matches!(&a.value.value, Value::Map(m) if m.iter().any(|e| e.key == rule.as_str()))) {
        return None;
    }
    let insert = |at: usize, new: String| Edit { file: record.file, span: Span::new(at, at), text: new };
    let edit = match allow {
        Some(allow) => match &allow.value.value {
            Value::Map(entries) if is_flow(text, &allow.value) => {
                let close = closing_brace(text, &allow.value)?;
                let sep = if entries.is_empty() { "" } else { ", " };
                insert(close, format!("{sep}{rule}: {REASON_TO_FILL_IN}"))
            }
            Value::Map(entries) if !entries.is_empty() => {
                let indent = indentation(text, entries[0].key_span.start)?;
                insert(line_end(text, content_end(&allow.value)), format!("\n{indent}{rule}: {REASON_TO_FILL_IN}"))
            }
            // `allow:` with nothing after it, or not a mapping: the model reports it; no guess here.
            _ => return None,
        },
        None if is_flow(text, &record.node) => {
            let close = closing_brace(text, &record.node)?;
            insert(close, format!(", allow: {{{rule}: {REASON_TO_FILL_IN}}}"))
        }
        None if finding.item.is_none() => {
            let newline = if text.is_empty() || text.ends_with('\n') { "" } else { "\n" };
            insert(text.len(), format!("{newline}allow:\n  {rule}: {REASON_TO_FILL_IN}\n"))
        }
        None => {
            let Value::Map(entries) = &record.node.value else { return None };
            let indent = match entries.first() {
                Some(e) => column_spaces(text, e.key_span.start),
                None => return None,
            };
            let at = line_end(text, content_end(&record.node));
            insert(at, format!("\n{indent}allow:\n{indent}  {rule}: {REASON_TO_FILL_IN}"))
        }
    };
    let whom = match finding.subject.as_deref().filter(|_| finding.item.is_some()) {
        Some(id) => format!("for `{id}`"),
        None => "for the whole backlog".to_string(),
    };
    Some(Fix { rule: rule.clone(), title: format!("Allow `{rule}` {whom} (write the reason)"), edits: vec![edit] })
}

fn is_rank_finding(backlog: &Backlog, f: &Finding) -> bool {
    f.rule == ORDERING
        && backlog.format == &NATIVE_YAML
        && f.item.and_then(|i| backlog.items.get(i)).and_then(|r| r.get("rank")).is_some_and(|n| n.span == f.span)
}

fn suppression_at<'a>(backlog: &'a Backlog, f: &Finding) -> Option<&'a Suppression> {
    backlog
        .suppressions
        .iter()
        .find(|s| s.file == f.file && s.rule_span == f.span && s.rule.as_str() == unquoted(&f.message))
}

/// The rule an unused-suppression message names (`` `allow: NAME` no longer … ``), to tell apart
/// entries that share a span (never in a file, but cheap to be sure of).
fn unquoted(message: &str) -> &str {
    message.strip_prefix("`allow: ").and_then(|m| m.split('`').next()).unwrap_or_default()
}

/// Every numeric `rank` rewritten so that ranks rise with the list order: the same values where
/// they already agree (sorted, ties and steps back raised by one); 1, 2, 3 … when any is not whole.
fn renumber_ranks(backlog: &Backlog) -> Option<Fix> {
    let ranked: Vec<(usize, &Node, f64)> = backlog
        .items
        .iter()
        .filter(|r| r.in_file)
        .filter_map(|r| r.get("rank").map(|n| (r.file, n)))
        .filter_map(|(file, n)| match n.value {
            Value::Num(v) if v.is_finite() => Some((file, n, v)),
            _ => None,
        })
        .collect();
    let whole = ranked.iter().all(|(_, _, v)| v.fract() == 0.0 && v.abs() < 1e15);
    let mut sorted: Vec<f64> = ranked.iter().map(|(_, _, v)| *v).collect();
    sorted.sort_by(f64::total_cmp);
    let mut previous: Option<f64> = None;
    let mut edits = Vec::new();
    for (j, (file, node, old)) in ranked.iter().enumerate() {
        let new = if whole { previous.map_or(sorted[j], |p| sorted[j].max(p + 1.0)) } else { (j + 1) as f64 };
        previous = Some(new);
        if new != *old {
            edits.push(Edit { file: *file, span: node.span, text: format!("{}", new as i64) });
        }
    }
    (!edits.is_empty()).then(|| Fix {
        rule: ORDERING.into(),
        title: "Renumber `rank` to agree with the list order".into(),
        edits,
    })
}

/// Removes `allow:` entries of one record (lines and all); the whole `allow:` when none is left.
/// Only in block style, where whole lines can go: a flow mapping is left to the user.
fn remove_suppressions(backlog: &Backlog, remove: &[&Suppression]) -> Option<Fix> {
    let first = remove.first()?;
    let record: &Record = match first.item {
        Some(i) => backlog.items.get(i)?,
        None => &backlog.top,
    };
    let text: &str = &backlog.files[first.file].text;
    let allow = entry(&record.node, "allow")?;
    let Value::Map(entries) = &allow.value.value else { return None };
    if is_flow(text, &allow.value) {
        return None;
    }
    let removed: Vec<&Entry> = entries.iter().filter(|e| remove.iter().any(|s| s.rule_span == e.key_span)).collect();
    if removed.is_empty() {
        return None;
    }
    let mut edits = Vec::new();
    if removed.len() == entries.len() {
        indentation(text, allow.key_span.start)?;
        let end = line_end_after(text, content_end(&allow.value).max(allow.key_span.end));
        edits.push(Edit {
            file: first.file,
            span: Span::new(line_start(text, allow.key_span.start), end),
            text: String::new(),
        });
    } else {
        for e in removed.iter() {
            indentation(text, e.key_span.start)?;
            let end = line_end_after(text, content_end(&e.value).max(e.key_span.end));
            edits.push(Edit {
                file: first.file,
                span: Span::new(line_start(text, e.key_span.start), end),
                text: String::new(),
            });
        }
    }
    let names: Vec<String> = removed.iter().map(|e| format!("`{}`", e.key)).collect();
    let plural = if names.len() == 1 { "entry" } else { "entries" };
    Some(Fix { rule: UNUSED.into(), title: format!("Remove the unused `allow:` {plural} {}", names.join(", ")), edits })
}

fn entry<'a>(node: &'a Node, key: &str) -> Option<&'a Entry> {
    match &node.value {
        Value::Map(entries) => entries.iter().find(|e| e.key == key),
        _ => None,
    }
}

fn is_flow(text: &str, node: &Node) -> bool {
    text.as_bytes().get(node.span.start) == Some(&b'{')
}

/// Where a flow mapping's `}` is.
fn closing_brace(text: &str, node: &Node) -> Option<usize> {
    let end = node.span.end.min(text.len());
    let at = text[..end].rfind('}')?;
    (at >= content_end(node).max(node.span.start)).then_some(at)
}

/// Where a node's own text ends: the end of its last value. (A block mapping's span can reach to
/// the token after it, past comments and blank lines.) An empty value has no text of its own.
fn content_end(node: &Node) -> usize {
    match &node.value {
        Value::Map(entries) => match entries.last() {
            Some(e) => e.key_span.end.max(content_end(&e.value)),
            None => node.span.end,
        },
        Value::Seq(items) => items.last().map_or(node.span.end, content_end),
        Value::Null => 0,
        _ => node.span.end,
    }
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].rfind(['\n', '\r']).map_or(0, |i| i + 1)
}

/// The end of the line holding `at`, before its line break.
fn line_end(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    text[at..].find(['\n', '\r']).map_or(text.len(), |i| at + i)
}

/// The end of the line holding `at`, after its line break.
fn line_end_after(text: &str, at: usize) -> usize {
    let end = line_end(text, at);
    let rest = &text.as_bytes()[end..];
    end + match rest {
        [b'\r', b'\n', ..] => 2,
        [b'\n' | b'\r', ..] => 1,
        _ => 0,
    }
}

/// The spaces before `at` on its line, when there is nothing else before it.
fn indentation(text: &str, at: usize) -> Option<&str> {
    let before = &text[line_start(text, at)..at];
    before.bytes().all(|b| b == b' ').then_some(before)
}

/// As many spaces as `at` is from the start of its line (a key after `- ` lines up with it).
fn column_spaces(text: &str, at: usize) -> String {
    " ".repeat(text[line_start(text, at)..at].chars().count())
}

/// Applies fixes to the text of `file`, in order, skipping a fix whose edits touch an edit already
/// taken (it can be made by the next run). Returns the new text, the edits made (sorted, spans in
/// the old text) and how many fixes were skipped.
pub fn apply(text: &str, file: usize, fixes: &[Fix]) -> (String, Vec<Edit>, usize) {
    let mut taken: Vec<Edit> = Vec::new();
    let mut skipped = 0;
    for fix in fixes {
        let mine: Vec<&Edit> = fix.edits.iter().filter(|e| e.file == file).collect();
        let clash = mine.iter().any(|e| {
            taken.iter().any(|t| {
                t != *e
                    && e.span.start < t.span.end.max(t.span.start + 1)
                    && t.span.start < e.span.end.max(e.span.start + 1)
            })
        });
        if clash {
            skipped += 1;
            continue;
        }
        taken.extend(mine.into_iter().filter(|e| !taken.contains(e)).cloned().collect::<Vec<_>>());
    }
    taken.sort();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in &taken {
        out.push_str(&text[at..e.span.start]);
        out.push_str(&e.text);
        at = e.span.end;
    }
    out.push_str(&text[at..]);
    (out, taken, skipped)
}

/// A file `check --fix` changes: its text before and after, and the edits between them.
#[derive(Clone, Debug)]
pub struct FileFix {
    pub path: PathBuf,
    /// The path as shown.
    pub name: String,
    pub before: Arc<str>,
    pub after: String,
    pub edits: Vec<Edit>,
    /// Fixes made, and fixes left for another run because they touch the same text.
    pub made: usize,
    pub skipped: usize,
}

/// `check --fix` and `--diff`: the mechanical fixes of every backlog analysed, file by file.
pub fn fix_analysis(analysis: &Analysis) -> Vec<FileFix> {
    let mut out = Vec::new();
    for a in &analysis.backlogs {
        let fixes = fixes(&a.backlog, &a.findings);
        let mut files: Vec<usize> = fixes.iter().flat_map(|f| f.edits.iter().map(|e| e.file)).collect();
        files.sort_unstable();
        files.dedup();
        for file in files {
            let source = &a.backlog.files[file];
            let touching: Vec<Fix> = fixes.iter().filter(|f| f.edits.iter().any(|e| e.file == file)).cloned().collect();
            let (after, edits, skipped) = apply(&source.text, file, &touching);
            out.push(FileFix {
                path: source.path.clone(),
                name: source.name.clone(),
                before: source.text.clone(),
                after,
                edits,
                made: touching.len() - skipped,
                skipped,
            });
        }
    }
    out
}

/// Lines of context around each change in [`unified_diff`].
const CONTEXT: usize = 3;

/// The change as a unified diff (`--- a/NAME`, `+++ b/NAME`), built from the edits (sorted, not
/// overlapping) rather than by comparing the texts: a renumbering across 10,000 items stays linear.
pub fn unified_diff(name: &str, before: &str, edits: &[Edit]) -> String {
    if edits.is_empty() {
        return String::new();
    }
    let starts: Vec<usize> = std::iter::once(0)
        .chain(before.match_indices('\n').map(|(i, _)| i + 1))
        .filter(|&s| s < before.len() || s == 0)
        .collect();
    let line_of = |at: usize| starts.partition_point(|&s| s <= at).saturating_sub(1);
    let line_text = |l: usize| &before[starts[l]..starts.get(l + 1).copied().unwrap_or(before.len())];
    // Changed blocks: old lines first..=last and their new text, edits on shared lines together.
    let mut blocks: Vec<(usize, usize, Vec<&Edit>)> = Vec::new();
    for e in edits {
        let first = line_of(e.span.start);
        let last = if e.span.is_empty() { first } else { line_of(e.span.end - 1) };
        match blocks.last_mut() {
            Some((_, block_last, members)) if first <= *block_last => {
                *block_last = (*block_last).max(last);
                members.push(e);
            }
            _ => blocks.push((first, last, vec![e])),
        }
    }
    let new_lines = |first: usize, last: usize, members: &[&Edit]| -> Vec<String> {
        let (from, to) = (starts[first], starts.get(last + 1).copied().unwrap_or(before.len()));
        let mut text = String::new();
        let mut at = from;
        for e in members {
            text.push_str(&before[at..e.span.start]);
            text.push_str(&e.text);
            at = e.span.end;
        }
        text.push_str(&before[at.max(from)..to]);
        text.split_inclusive('\n').map(str::to_string).collect()
    };
    let line = |sign: char, l: &str| if l.ends_with('\n') { format!("{sign}{l}") } else { format!("{sign}{l}\n") };
    let mut out = format!("--- a/{name}\n+++ b/{name}\n");
    let mut shift: isize = 0;
    let mut i = 0;
    while i < blocks.len() {
        // A hunk: blocks whose context lines meet.
        let mut j = i;
        while j + 1 < blocks.len() && blocks[j + 1].0 <= blocks[j].1 + 2 * CONTEXT + 1 {
            j += 1;
        }
        let from = blocks[i].0.saturating_sub(CONTEXT);
        let to = (blocks[j].1 + CONTEXT).min(starts.len() - 1);
        let mut body = String::new();
        let (mut old_len, mut new_len) = (0, 0);
        let mut at = from;
        for (first, last, members) in &blocks[i..=j] {
            for l in at..*first {
                body += &line(' ', line_text(l));
            }
            for l in *first..=*last {
                body += &line('-', line_text(l));
            }
            let added = new_lines(*first, *last, members);
            for l in &added {
                body += &line('+', l);
            }
            old_len += first - at + last - first + 1;
            new_len += first - at + added.len();
            at = last + 1;
        }
        for l in at..=to {
            body += &line(' ', line_text(l));
        }
        old_len += (to + 1).saturating_sub(at);
        new_len += (to + 1).saturating_sub(at);
        let new_from = (from as isize + shift).max(0) as usize;
        out += &format!("@@ -{},{old_len} +{},{new_len} @@\n", from + 1, new_from + 1);
        out += &body;
        shift += new_len as isize - old_len as isize;
        i = j + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backlog(text: &str) -> Backlog {
        let file = crate::text::SourceFile::new("b.yaml", text);
        let root = crate::yaml::parse(&file, Default::default()).unwrap();
        Backlog::from_yaml(file, root).unwrap()
    }

    fn findings(b: &Backlog) -> Vec<Finding> {
        let (policy, problems) = crate::policy::compile(&[]);
        assert!(problems.is_empty());
        crate::engine::run(&policy, b).into_iter().filter(|f| !f.notice).collect()
    }

    fn fixed(text: &str) -> String {
        let b = backlog(text);
        apply(text, 0, &fixes(&b, &findings(&b))).0
    }

    #[test]
    fn ranks_are_renumbered_in_list_order() {
        let text = "items:\n  - {id: A, rank: 1}\n  - {id: B, rank: 2}\n  - {id: C, rank: 2}\n  - {id: D, rank: 6}\n  - {id: E, rank: 5}\n";
        let after = fixed(text);
        assert_eq!(
            after,
            "items:\n  - {id: A, rank: 1}\n  - {id: B, rank: 2}\n  - {id: C, rank: 3}\n  - {id: D, rank: 5}\n  - {id: E, rank: 6}\n"
        );
        assert!(!findings(&backlog(&after)).iter().any(|f| f.rule == ORDERING));
    }

    #[test]
    fn unused_allow_entries_are_removed_and_an_empty_allow_goes() {
        let text = "items:\n  - id: A\n    title: Export the invoice list as CSV\n    acceptance_criteria: [The file opens]\n    allow:\n      missing-acceptance-criteria: decided in refinement\n  - id: B\n    title: Import the customer list from CSV\n    acceptance_criteria: [The list shows]\n    allow:\n      vague-title: our words\n      missing-acceptance-criteria: criteria live elsewhere\n";
        let after = fixed(text);
        assert_eq!(
            after,
            "items:\n  - id: A\n    title: Export the invoice list as CSV\n    acceptance_criteria: [The file opens]\n  - id: B\n    title: Import the customer list from CSV\n    acceptance_criteria: [The list shows]\n"
        );
        let b = backlog(text);
        let one = findings(&b).into_iter().find(|f| f.rule == UNUSED && f.message.contains("vague-title")).unwrap();
        let fix = fix_for(&b, &one).unwrap();
        let (after, _, _) = apply(text, 0, &[fix]);
        assert!(after.contains("    allow:\n      missing-acceptance-criteria: criteria live elsewhere\n"), "{after}");
        assert!(!after.contains("vague-title"), "{after}");
    }

    #[test]
    fn an_allow_entry_silences_the_finding_once_its_reason_is_written() {
        for text in [
            "items:\n  - id: A\n    title: Misc\n    acceptance_criteria: [x]\n",
            "items:\n  - {id: A, title: Misc, acceptance_criteria: [x]}\n",
            "items:\n  - id: A\n    title: Misc\n    acceptance_criteria: [x]\n    allow:\n      story-ambiguous: a b\n",
            "items:\n  - id: A\n    title: Misc\n    acceptance_criteria: [x]\n    allow: {story-ambiguous: a b}\n",
        ] {
            let b = backlog(text);
            let vague = findings(&b).into_iter().find(|f| f.rule == "vague-title").expect(text);
            let fix = suppress(&b, &vague).unwrap();
            let (after, _, _) = apply(text, 0, &[fix]);
            assert!(after.contains(REASON_TO_FILL_IN), "{after}");
            let again = backlog(&after);
            assert!(!findings(&again).iter().any(|f| f.rule == "vague-title"), "{text}\n→\n{after}");
        }
        // The whole backlog: a top-level entry.
        let text = "items:\n  - {id: A, title: Export the invoices as CSV}\n";
        let b = backlog(text);
        let f = Finding { item: None, ..findings(&b).into_iter().next().unwrap() };
        let (after, _, _) = apply(text, 0, &[suppress(&b, &f).unwrap()]);
        assert!(after.ends_with(&format!("\nallow:\n  {}: {REASON_TO_FILL_IN}\n", f.rule)), "{after}");
        backlog(&after);
    }

    #[test]
    fn the_diff_shows_each_change_with_context() {
        let text: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let at = |s: &str| text.find(s).unwrap();
        let edits = vec![
            Edit { file: 0, span: Span::new(at("line 2\n") + 5, at("line 2\n") + 6), text: "two".into() },
            Edit { file: 0, span: Span::new(at("line 15\n"), at("line 16\n")), text: String::new() },
        ];
        let diff = unified_diff("x.yaml", &text, &edits);
        assert_eq!(
            diff,
            "--- a/x.yaml\n+++ b/x.yaml\n@@ -1,5 +1,5 @@\n line 1\n-line 2\n+line two\n line 3\n line 4\n line 5\n@@ -12,7 +12,6 @@\n line 12\n line 13\n line 14\n-line 15\n line 16\n line 17\n line 18\n"
        );
    }
}
