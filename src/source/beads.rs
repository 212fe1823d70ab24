//! beads trackers (`.beads/issues.jsonl`, written by `bd` and its Rust port `br`): one JSON issue per
//! line, read with their spans (`json`), so a finding points at the line of the issue and the
//! column of the value.
//!
//! As beads defines it (gastownhall/beads `internal/types`, `bd ready`; beads_rust `src/model`):
//! - A `{"_schema": …}` line and lines whose `_type` is not `issue` (memories) are not issues; blank
//!   lines are skipped. Status `tombstone` is a deleted issue: dropped.
//! - Not backlog items either (`bd ready` never offers them): `ephemeral` and `pinned` records,
//!   templates, ids of molecules and wisps (`-mol-`, `-wisp-`), and the workflow types (event,
//!   message, agent, role, rig, molecule, gate, merge-request, convoy). Links to and from them are
//!   dropped with them: they exist, but outside the backlog.
//! - The order is `priority` (0 first), then `created_at` (oldest first, compared as instants), then
//!   id; line order is not the order. `closed` is done (kept for history, never in a horizon).
//! - Epics are goals: closed → achieved, otherwise future (`goal_milestone` makes one active). An item's goal is
//!   its nearest epic up the `parent-child` links (or the dotted id: `bd-a3f8.1` is under `bd-a3f8`).
//! - `issue_type` is the item's `type` (default task), `due_at` its `due_date`; acceptance criteria
//!   come from `acceptance_criteria` (Markdown, one criterion per list line) or else from an
//!   `## Acceptance Criteria` section of `description`. `estimated_minutes` stays minutes.
//! - `dependencies` sit on the dependent issue (`issue_id` depends on `depends_on_id`, with a
//!   `type`): they become the backlog's `dependencies`, type as written.
//!
//! A malformed line is an error at its line and column; the other lines are still read.

use crate::diag::Problem;
use crate::model::{self, Backlog, Kept, Record, SourceFormat, sections};
use crate::source::json;
use crate::text::{SourceFile, Span};
use crate::yaml::{Entry, Node, Value};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Issue types that are workflow machinery, not work a Product Owner orders.
const WORKFLOW_TYPES: &[&str] =
    &["event", "message", "agent", "role", "rig", "molecule", "gate", "merge-request", "convoy"];

/// Reads the file through the input guard, then the issues in it.
/// beads' epics are its goals; it has no place for a Product Owner, a Definition of Done, a declared
/// trade-off or estimates.
pub const FORMAT: SourceFormat = SourceFormat { name: "beads", places: &["product_goals"] };

pub fn read(path: &Path) -> (Option<Backlog>, Vec<Problem>) {
    match crate::files::input::read_source(path, &crate::files::input::root_of(path)) {
        Ok(file) => load(file),
        Err(p) => (None, vec![p]),
    }
}

fn str_node(span: Span, s: &str) -> Node {
    Node { span, value: Value::Str(s.into()) }
}

fn text_of<'n>(node: &'n Node, key: &str) -> Option<&'n str> {
    match &node.get(key)?.value {
        Value::Str(s) => Some(s.as_str()),
        _ => None,
    }
}

fn is_true(node: &Node, key: &str) -> bool {
    matches!(node.get(key).map(|n| &n.value), Some(Value::Bool(true)))
}

/// Why a record is not part of the backlog, if it is not.
fn outside(node: &Node) -> bool {
    let status = text_of(node, "status").unwrap_or("");
    let kind = text_of(node, "issue_type").unwrap_or("task");
    let id = text_of(node, "id").unwrap_or("");
    is_true(node, "ephemeral")
        || is_true(node, "pinned")
        || is_true(node, "is_template")
        || status == "pinned"
        || WORKFLOW_TYPES.contains(&kind)
        || is_ephemeral_id(id)
}

/// Molecule and wisp ids: ephemeral by beads' own naming (`bd ready` skips them), so a link to one
/// that is not in the file names a record that was never exported, not a missing item.
fn is_ephemeral_id(id: &str) -> bool {
    id.contains("-wisp-") || id.contains("-mol-")
}

pub fn load(file: SourceFile) -> (Option<Backlog>, Vec<Problem>) {
    let text: &str = &file.text;
    let mut problems = Vec::new();
    let mut records: Vec<Node> = Vec::new();
    let mut out_of_backlog: HashSet<String> = HashSet::new();
    let mut offset = 0;
    for (n, raw) in text.split_inclusive('\n').enumerate() {
        let (start, line_no) = (offset, n + 1);
        offset += raw.len();
        let mut end = start + raw.trim_end_matches(['\n', '\r']).len();
        if n == 0 && text.starts_with('\u{feff}') {
            end = end.max(3);
        }
        let from = if n == 0 && text.starts_with('\u{feff}') { 3 } else { start };
        if text[from..end].trim().is_empty() {
            continue;
        }
        let node = match json::parse(text, from, end) {
            Ok(node) => node,
            Err(e) => {
                let at = e.at.min(end.saturating_sub(1)).max(from);
                let next = text[at..].chars().next().map_or(1, char::len_utf8);
                problems.push(
                    Problem::error("I0080", format!("invalid JSON on line {line_no}: {}", e.message))
                        .in_file(&file)
                        .label(Span::new(at, (at + next).min(end.max(at + 1))), "here")
                        .help("each line of a beads file is one JSON object, as `bd export` writes it; fix or remove this line (the other lines were read)"),
                );
                continue;
            }
        };
        if !matches!(node.value, Value::Map(_)) {
            problems.push(
                Problem::error("I0081", format!("line {line_no} is not a JSON object"))
                    .in_file(&file)
                    .label(node.span, "expected `{\"id\": …, \"title\": …}`")
                    .help("each line of a beads file is one issue, written as a JSON object"),
            );
            continue;
        }
        if node.get("_schema").is_some() || text_of(&node, "_type").is_some_and(|t| t != "issue") {
            continue;
        }
        if text_of(&node, "id").is_none_or(|id| id.trim().is_empty()) {
            let span = node.get("id").map_or(Span::new(from, (from + 1).min(end)), |n| n.span);
            problems.push(
                Problem::error("I0082", format!("the issue on line {line_no} has no `id`"))
                    .in_file(&file)
                    .label(span, "an issue needs an id in quotes")
                    .help("every beads issue has a text `id` such as `\"bd-a1b2\"`; the line was not read"),
            );
            continue;
        }
        if text_of(&node, "status") == Some("tombstone") {
            continue;
        }
        if outside(&node) {
            out_of_backlog.insert(text_of(&node, "id").unwrap_or_default().to_string());
            continue;
        }
        records.push(node);
    }
    let mut backlog = build(&file, records, &out_of_backlog, &mut problems);
    backlog.files = vec![file];
    (Some(backlog), problems)
}

fn build(file: &SourceFile, records: Vec<Node>, outside: &HashSet<String>, problems: &mut Vec<Problem>) -> Backlog {
    let text: &str = &file.text;
    let mut dependencies = Vec::new();
    let mut sorted: Vec<(SortKey, Record, bool)> = Vec::new();
    for node in records {
        let id = text_of(&node, "id").unwrap_or_default().to_string();
        let (node, links) = item_node(node, text);
        model::validate_types(file, &node, model::ITEM_FIELDS, "an issue", problems);
        for link in links {
            if !outside.contains(&link.1) && !is_ephemeral_id(&link.1) {
                dependencies.push(link.0);
            }
        }
        let mut record = Record::new(0, node, 0);
        let status = record.text("status", file).unwrap_or_default();
        // beads keeps closed issues in the file: they are done, not on the board.
        if status == "closed" {
            record.kept = Kept::Completed;
        }
        let is_epic = record.text("type", file).as_deref() == Some("epic");
        let key = SortKey::of(&record, &id);
        sorted.push((key, record, is_epic));
    }
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut items = Vec::new();
    let mut goals = Vec::new();
    for (_, record, is_epic) in sorted {
        if is_epic {
            goals.push(epic_goal(record, file));
        } else {
            items.push(record);
        }
    }
    for (i, r) in items.iter_mut().enumerate() {
        r.position = i + 1;
    }
    for (i, g) in goals.iter_mut().enumerate() {
        g.position = i + 1;
    }
    for (i, d) in dependencies.iter_mut().enumerate() {
        d.position = i + 1;
    }
    assign_goals(&mut items, &goals, &dependencies, file);
    // Whole-backlog findings point at the first character of the file.
    let top_span = Span::new(0, text.chars().next().map_or(0, char::len_utf8));
    let mut top = Record::new(0, Node { span: top_span, value: Value::Map(Vec::new()) }, 0);
    top.anchor = top_span;
    Backlog {
        files: Vec::new(),
        top,
        items,
        goals,
        reorders: Vec::new(),
        dependencies,
        suppressions: Vec::new(),
        history: None,
        format: &FORMAT,
        // Priority is a coarse order, and within a priority only creation order: no order the
        // team maintains item by item.
        explicit_order: false,
    }
}

/// The fields under the model's names, and its links (each with the id it names).
fn item_node(mut node: Node, text: &str) -> (Node, Vec<(Record, String)>) {
    let Value::Map(entries) = &mut node.value else { return (node, Vec::new()) };
    let id_node = entries.iter().find(|e| e.key == "id").map(|e| e.value.clone()).expect("checked");
    for e in entries.iter_mut() {
        match e.key.as_str() {
            "issue_type" => e.key = "type".into(),
            "due_at" => e.key = "due_date".into(),
            _ => {}
        }
    }
    if !entries.iter().any(|e| e.key == "type") {
        entries.push(Entry { key: "type".into(), key_span: id_node.span, value: str_node(id_node.span, "task") });
    }
    // Criteria: the structured field, else a real `## Acceptance Criteria` section of the description.
    let field = entries.iter().position(|e| e.key == "acceptance_criteria");
    let from_field = field.and_then(|i| criteria_node(&entries[i].value, text, None));
    match (field, from_field) {
        (Some(i), Some(list)) => entries[i].value = list,
        _ => {
            if let Some(i) = field {
                entries.remove(i);
            }
            let section = entries
                .iter()
                .find(|e| e.key == "description")
                .and_then(|d| criteria_node(&d.value, text, Some("Acceptance Criteria")));
            if let Some(list) = section {
                entries.push(Entry { key: "acceptance_criteria".into(), key_span: list.span, value: list });
            }
        }
    }
    let mut links = Vec::new();
    if let Some(Value::Seq(deps)) = entries.iter().find(|e| e.key == "dependencies").map(|e| &e.value.value) {
        for d in deps {
            let Some(to) = d.get("depends_on_id").filter(|n| matches!(n.value, Value::Str(_))) else { continue };
            let from = d.get("issue_id").filter(|n| matches!(n.value, Value::Str(_))).unwrap_or(&id_node);
            let kind = d.get("type").cloned().unwrap_or_else(|| str_node(to.span, ""));
            let target = match &to.value {
                Value::Str(s) => s.to_string(),
                _ => continue,
            };
            links.push((model::dependency(0, from.clone(), to.clone(), kind), target));
        }
    }
    // gastown's `parent` field repeats the parent-child link; alone, it is the link.
    if let Some(parent) = entries.iter().find(|e| e.key == "parent").map(|e| e.value.clone())
        && let Value::Str(p) = &parent.value
        && !links.iter().any(|(l, t)| {
            t == p.as_str() && l.get("type").is_some_and(|n| n.value == Value::Str("parent-child".into()))
        })
    {
        let kind = str_node(parent.span, "parent-child");
        links.push((model::dependency(0, id_node.clone(), parent.clone(), kind), p.to_string()));
    }
    (node, links)
}

/// Criteria from a Markdown text value (the whole value, or one section of it), each pointing at
/// its own words in the file when the JSON text spells them without escapes, else at the value.
fn criteria_node(value: &Node, text: &str, heading: Option<&str>) -> Option<Node> {
    let Value::Str(s) = &value.value else { return None };
    let (from, to) = match heading {
        Some(h) => sections::section(s, h)?,
        None => {
            let t = s.trim();
            if t.is_empty() {
                return None;
            }
            let lead = s.len() - s.trim_start().len();
            (lead, lead + t.len())
        }
    };
    let raw = &text[value.span.start..value.span.end];
    let mut search = 0;
    let list: Vec<Node> = sections::criteria(s, from, to)
        .into_iter()
        .map(|(a, b)| {
            let c = &s[a..b];
            // Only text without line breaks can be found as written: escapes change the rest.
            let found = (!c.contains('\n')).then(|| raw[search..].find(c)).flatten();
            match found {
                Some(at) => {
                    let at = search + at;
                    search = at + c.len();
                    str_node(Span::new(value.span.start + at, value.span.start + search), c)
                }
                None => str_node(value.span, c),
            }
        })
        .collect();
    let span = list.first().map_or(value.span, |n| n.span);
    Some(Node { span, value: Value::Seq(list) })
}

/// An epic as a goal, keeping the epic's fields (description, type, …) beside the goal's.
fn epic_goal(epic: Record, file: &SourceFile) -> Record {
    let status = epic.text("status", file).unwrap_or_default();
    // As for Jira epics: an epic in progress is work under way, not the one Product Goal; the
    // policy's `goal_milestone` names the epic that carries it.
    let state = if status == "closed" { "achieved" } else { "future" };
    let span = epic.get("status").map_or(epic.anchor, |n| n.span);
    let mut node = epic.node;
    if let Value::Map(entries) = &mut node.value {
        if let Some(t) = entries.iter().find(|e| e.key == "title").cloned() {
            entries.push(Entry { key: "statement".into(), key_span: t.key_span, value: t.value });
        }
        entries.retain(|e| e.key != "status");
        entries.push(Entry { key: "status".into(), key_span: span, value: str_node(span, state) });
        entries.push(Entry { key: "epic_status".into(), key_span: span, value: str_node(span, &status) });
    }
    let mut goal = Record::new(0, node, 0);
    goal.anchor = epic.anchor;
    goal
}

/// Each item's nearest epic, up its `parent-child` links or its dotted id, as its `goal`, pointing
/// at the link that leads there.
fn assign_goals(items: &mut [Record], goals: &[Record], links: &[Record], file: &SourceFile) {
    let epics: HashSet<String> = goals.iter().filter_map(|g| g.text("id", file)).collect();
    let mut parent: HashMap<String, (String, Span)> = HashMap::new();
    for l in links {
        if l.text("type", file).as_deref() != Some("parent-child") {
            continue;
        }
        let (Some(from), Some(to)) = (l.text("from", file), l.text("to", file)) else { continue };
        parent.entry(from).or_insert((to, l.anchor));
    }
    let parent_of = |id: &str| -> Option<(String, Option<Span>)> {
        if let Some((p, span)) = parent.get(id) {
            return Some((p.clone(), Some(*span)));
        }
        let (stem, last) = id.rsplit_once('.')?;
        last.chars().all(|c| c.is_ascii_digit()).then(|| (stem.to_string(), None))
    };
    for item in items.iter_mut() {
        let Some(id) = item.text("id", file) else { continue };
        let (mut at, mut link) = (id, None);
        let mut seen = HashSet::new();
        let goal = loop {
            let Some((p, span)) = parent_of(&at) else { break None };
            if !seen.insert(p.clone()) {
                break None;
            }
            link = link.or(span);
            if epics.contains(&p) {
                break Some(p);
            }
            at = p;
        };
        let Some(goal) = goal else { continue };
        let span = link.unwrap_or(item.anchor);
        if let Value::Map(entries) = &mut item.node.value {
            entries.push(Entry { key: "goal".into(), key_span: span, value: str_node(span, &goal) });
        }
    }
}

/// The backlog order: priority, then creation instant, then id.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct SortKey {
    priority: i64,
    created: Option<i128>,
    created_text: String,
    id: String,
}

impl SortKey {
    fn of(record: &Record, id: &str) -> SortKey {
        let priority = match record.get("priority").map(|n| &n.value) {
            Some(Value::Num(p)) if p.is_finite() => *p as i64,
            _ => i64::MAX,
        };
        let created_text = match record.get("created_at").map(|n| &n.value) {
            Some(Value::Str(s)) => s.to_string(),
            _ => String::new(),
        };
        let created = instant(&created_text).or(Some(i128::MAX));
        SortKey { priority, created, created_text, id: id.to_string() }
    }
}

/// An RFC 3339 timestamp as nanoseconds since 1970 (UTC), as beads writes `created_at`
/// (`2025-11-02T21:58:07.295058-08:00`, `2026-02-28T00:46:36Z`).
pub fn instant(s: &str) -> Option<i128> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num =
        |r: std::ops::Range<usize>| s.get(r).filter(|d| d.bytes().all(|c| c.is_ascii_digit()))?.parse::<i64>().ok();
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut i = 19;
    let mut nanos: i128 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let frac = &s[start..i];
        let digits: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
        nanos = digits.parse().ok()?;
    }
    let offset = match s.get(i..)? {
        "Z" | "z" | "" => 0,
        tz if tz.len() == 6 && matches!(tz.as_bytes()[0], b'+' | b'-') && tz.as_bytes()[3] == b':' => {
            let sign = if tz.starts_with('-') { -1 } else { 1 };
            sign * (num(i + 1..i + 3)? * 3600 + num(i + 4..i + 6)? * 60)
        }
        _ => return None,
    };
    let days = crate::date::day_number(&s[..10])?;
    let secs = days * 86_400 + h * 3600 + mi * 60 + se - offset;
    Some(secs as i128 * 1_000_000_000 + nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_compare_across_time_zones() {
        let a = instant("2025-11-02T21:58:07.295058-08:00").unwrap();
        let b = instant("2025-11-03T05:58:07Z").unwrap();
        assert!(a > b && a - b == 295_058_000);
        assert_eq!(instant("yesterday"), None);
    }
}
