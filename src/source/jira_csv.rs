//! Jira CSV exports ("Export Excel CSV (all fields)"). The csv crate parses the rows; each cell also
//! keeps its byte span in the file, so findings point at the row and column. Columns that Jira repeats
//! once per value (Labels, Sprint, Components) are joined. Rows are ordered by LexoRank
//! (`Custom field (Rank)`, compared as text), rows without a rank last in file order. Epics become
//! goals that items link to through `Custom field (Epic Link)` or their parent: `Parent key` in Jira
//! Cloud exports (where `Parent` is the parent's numeric issue id), else `Parent` or `Parent id`, a
//! numeric id resolved through the `Issue id` column. A sub-task's parent is its story: it serves the
//! story's epic. `Status Category` (To Do, In Progress, Done) decides whether an issue is finished;
//! `Reporter` is whoever typed the issue, not who asked for it (`requester_field` names that column).

use crate::diag::Problem;
/// Jira's epics are its goals and story points its estimates; a CSV export has no place for a
/// Product Owner, a Definition of Done or a declared trade-off.
pub const FORMAT: SourceFormat = SourceFormat { name: "Jira CSV", places: &["product_goals", "estimate"] };

use crate::model::{self, Backlog, Kept, Record, SourceFormat};
use crate::text::{SourceFile, Span};
use crate::yaml::{Entry, Node, Value};
use std::collections::HashMap;

/// Whether the first line of a CSV file is a Jira export header.
pub fn is_jira_header(text: &str) -> bool {
    let first = text.trim_start_matches('\u{feff}').lines().next().unwrap_or("");
    first.contains("Issue key") && first.contains("Summary")
}

/// How a Jira column maps onto the model.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Number,
    /// One value per repeated column, or comma-separated in one cell.
    List,
    /// Lines of a cell, each one criterion.
    Lines,
}

fn mapping(header: &str) -> (&str, Kind) {
    match header {
        "Summary" => ("title", Kind::Text),
        "Issue key" => ("id", Kind::Text),
        "Issue Type" => ("type", Kind::Text),
        "Status" => ("status", Kind::Text),
        "Description" => ("description", Kind::Text),
        "Custom field (Rank)" => ("lexorank", Kind::Text),
        "Custom field (Story Points)" | "Custom field (Story point estimate)" => ("estimate", Kind::Number),
        "Custom field (Acceptance Criteria)" => ("acceptance_criteria", Kind::Lines),
        "Custom field (Epic Link)" => ("goal", Kind::Text),
        "Parent key" | "Parent" | "Parent id" => ("parent", Kind::Text),
        "Assignee" => ("assignee", Kind::Text),
        "Due date" | "Due Date" => ("due_date", Kind::Text),
        "Sprint" => ("sprint", Kind::Text),
        "Labels" => ("labels", Kind::List),
        "Components" | "Component/s" => ("components", Kind::List),
        "Priority" => ("priority", Kind::Text),
        "Created" => ("created", Kind::Text),
        "Resolved" => ("completed", Kind::Text),
        other => (other, Kind::Text),
    }
}

/// The content span of each field of the record starting at `start` (inside the quotes of quoted
/// fields), found with the same quoting rules the csv crate applies.
fn field_spans(text: &str, start: usize) -> Vec<Span> {
    let b = text.as_bytes();
    let (mut i, mut spans) = (start, Vec::new());
    let end_of_field = |i: &mut usize| {
        while *i < b.len() && !matches!(b[*i], b',' | b'\n' | b'\r') {
            *i += 1;
        }
    };
    loop {
        if i < b.len() && b[i] == b'"' {
            let s = i + 1;
            i += 1;
            while i < b.len() {
                if b[i] == b'"' {
                    if b.get(i + 1) == Some(&b'"') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            spans.push(Span::new(s, i.min(b.len())));
            i += 1;
            end_of_field(&mut i);
        } else {
            let s = i;
            end_of_field(&mut i);
            spans.push(Span::new(s, i));
        }
        if i < b.len() && b[i] == b',' {
            i += 1;
        } else {
            return spans;
        }
    }
}

/// The first quote that breaks CSV quoting as Jira writes it: a quote inside an unquoted field, text
/// after a closing quote, or a quoted field that never closes. The csv crate reads all three
/// leniently, the last by taking the rest of the file as one cell, so they are errors here.
fn misplaced_quote(text: &str, from: usize) -> Option<(usize, &'static str, &'static str)> {
    let b = text.as_bytes();
    let (mut i, mut field_start) = (from, true);
    while i < b.len() {
        match b[i] {
            b'"' if field_start => {
                let open = i;
                i += 1;
                loop {
                    let Some(q) = text[i..].find('"').map(|q| i + q) else {
                        return Some((
                            open,
                            "a quoted field runs to the end of the file",
                            "this quote is never closed",
                        ));
                    };
                    i = q + 1;
                    if b.get(i) != Some(&b'"') {
                        break;
                    }
                    i += 1;
                }
                if i < b.len() && !matches!(b[i], b',' | b'\n' | b'\r') {
                    return Some((i - 1, "text follows the closing quote of a field", "this quote closes the field"));
                }
                field_start = false;
            }
            b'"' => return Some((i, "a quote inside an unquoted field", "stray quote")),
            b',' | b'\n' | b'\r' => {
                field_start = true;
                i += 1;
            }
            _ => {
                field_start = false;
                i += 1;
            }
        }
    }
    None
}

fn str_node(span: Span, s: &str) -> Node {
    Node { span, value: Value::Str(s.into()) }
}

/// Criteria from a description section such as `h3. Acceptance Criteria` or `Acceptance criteria:`
/// followed by list lines (`*`, `-`, `#`), as Jira users write them.
fn criteria_in_description(desc: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in desc.lines() {
        let t = line.trim();
        let heading =
            t.trim_start_matches(|c: char| c == 'h' || c.is_ascii_digit() || c == '.').trim().trim_matches('*').trim();
        if heading.to_lowercase().trim_end_matches(':').trim() == "acceptance criteria" {
            inside = true;
            continue;
        }
        if !inside {
            continue;
        }
        if t.is_empty() {
            continue;
        }
        let item = t.trim_start_matches(['*', '-', '#', '•', ' ']);
        if item.len() == t.len() {
            // A line that is not a list item ends the section.
            inside = false;
            continue;
        }
        out.push(item.trim().to_string());
    }
    out
}

/// The criteria section of a description cell, each criterion spanned at its words in the file
/// (or at the whole cell when quoting changed the text).
fn description_criteria(desc: &Entry, text: &str) -> Option<Entry> {
    let Value::Str(description) = &desc.value.value else { return None };
    let found = criteria_in_description(description);
    if found.is_empty() {
        return None;
    }
    let cell = desc.value.span;
    let source = &text[cell.start..cell.end];
    // Criteria appear in order: each search starts after the previous match, so the cost stays linear.
    let mut from = 0;
    let list: Vec<Node> = found
        .iter()
        .map(|c| match source[from..].find(c.as_str()) {
            Some(at) => {
                let at = from + at;
                from = at + c.len();
                str_node(Span::new(cell.start + at, cell.start + from), c)
            }
            None => {
                // Quoting changed the text: later criteria would be searched for in vain as well.
                from = source.len();
                str_node(cell, c)
            }
        })
        .collect();
    let span = list.first().map_or(cell, |n| n.span);
    Some(Entry { key: "acceptance_criteria".into(), key_span: span, value: Node { span, value: Value::Seq(list) } })
}

pub fn load(file: SourceFile) -> Result<Backlog, Vec<Problem>> {
    let text: &str = &file.text;
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    if let Some((at, what, label)) = misplaced_quote(text, bom) {
        return Err(vec![Problem::error("I0070", format!("invalid CSV: {what}"))
            .in_file(&file)
            .label(Span::new(at, at + 1), label)
            .help("a field with quotes, commas or line breaks is written inside quotes, each quote in it doubled (`\"\"`), as Jira exports it; the rest of the file was not read")]);
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&text.as_bytes()[bom..]);
    let mut rows = reader.records();
    let mut problems = Vec::new();
    let csv_error = |e: csv::Error| {
        let at = e.position().map_or(0, |p| p.byte() as usize + bom);
        let end = (at + 1).min(text.len());
        Problem::error("I0070", format!("invalid CSV: {e}")).in_file(&file).label(Span::new(at, end.max(at)), "here")
    };
    let headers: Vec<String> = match rows.next() {
        Some(Ok(r)) => r.iter().map(|h| h.trim().to_string()).collect(),
        Some(Err(e)) => return Err(vec![csv_error(e)]),
        None => Vec::new(),
    };
    if !headers.iter().any(|h| h == "Issue key") {
        let first = Span::new(bom, text.find('\n').unwrap_or(text.len()));
        return Err(vec![Problem::error("I0071", "this CSV file is not a Jira export: it has no `Issue key` column")
            .in_file(&file)
            .label(first, "header row")
            .help("export from Jira with \"Export CSV (all fields)\"; backlint reads the columns `Issue key`, `Summary`, `Status`, …")]);
    }
    // Jira Cloud writes the parent's numeric issue id in `Parent` and its key in `Parent key`.
    let has_parent_key = headers.iter().any(|h| h == "Parent key");
    let mut items: Vec<(Option<String>, usize, Record)> = Vec::new();
    let mut goals = Vec::new();
    let mut key_of_issue_id: HashMap<String, String> = HashMap::new();
    let mut epics = std::collections::HashSet::new();
    let mut links: Vec<Record> = Vec::new();
    for (row, record) in rows.enumerate() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(csv_error(e));
                continue;
            }
        };
        let mut start = record.position().map_or(0, |p| p.byte() as usize) + bom;
        // With CRLF line ends the reported position can be the `\n` that ends the previous row.
        while matches!(text.as_bytes().get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let spans = field_spans(text, start);
        let row_span = Span::new(start, text[start..].find('\n').map_or(text.len(), |i| start + i));
        let mut entries: Vec<Entry> = Vec::new();
        // Where each key sits in `entries`: rows may have any number of columns.
        let mut entry_of: HashMap<&str, usize> = HashMap::new();
        let mut row_links: Vec<(bool, String, Node)> = Vec::new();
        for (col, value) in record.iter().enumerate() {
            let Some(header) = headers.get(col) else { continue };
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let span = spans.get(col).copied().unwrap_or(row_span);
            if let Some((inward, name)) = link_column(header) {
                row_links.push((inward, name.to_lowercase(), str_node(span, value)));
                continue;
            }
            let (key, kind) = match mapping(header) {
                ("parent", _) if header != "Parent key" && has_parent_key => (header.as_str(), Kind::Text),
                mapped => mapped,
            };
            let node = match kind {
                Kind::Text => str_node(span, value),
                Kind::Number => match value.parse::<f64>() {
                    Ok(n) => Node { span, value: Value::Num(n) },
                    Err(_) => {
                        problems.push(
                            Problem::error("I0012", format!("`{header}` must be a number, found the text `{value}`"))
                                .in_file(&file)
                                .label(span, "expected a number")
                                .help("story points are numbers such as 3 or 0.5"),
                        );
                        continue;
                    }
                },
                Kind::List => {
                    Node { span, value: Value::Seq(value.split(',').map(|v| str_node(span, v.trim())).collect()) }
                }
                Kind::Lines => {
                    let lines = value
                        .lines()
                        .map(|l| l.trim().trim_start_matches(['*', '-', '#', '•', ' ']))
                        .filter(|l| !l.is_empty());
                    Node { span, value: Value::Seq(lines.map(|l| str_node(span, l)).collect()) }
                }
            };
            // Jira repeats a column once per value: join the repetitions.
            match entry_of.get(key).map(|&i| &mut entries[i]) {
                Some(existing) => match (&mut existing.value.value, node.value) {
                    (Value::Seq(list), Value::Seq(more)) => list.extend(more),
                    (Value::Str(s), Value::Str(more)) => {
                        s.push_str(", ");
                        s.push_str(&more);
                    }
                    _ => {}
                },
                None => {
                    entry_of.insert(key, entries.len());
                    entries.push(Entry { key: key.into(), key_span: span, value: node });
                }
            }
        }
        if !entries.iter().any(|e| e.key == "acceptance_criteria")
            && let Some(criteria) =
                entries.iter().find(|e| e.key == "description").and_then(|d| description_criteria(d, text))
        {
            entries.push(criteria);
        }
        let node = Node { span: row_span, value: Value::Map(entries) };
        model::validate_types(&file, &node, model::ITEM_FIELDS, "a row", &mut problems);
        let mut record = Record::new(0, node, 0);
        if let (Some(issue_id), Some(key)) = (record.text("Issue id", &file), record.text("id", &file)) {
            key_of_issue_id.insert(issue_id, key);
        }
        let finished = status_category(&mut record, &file);
        if let Some(id) = record.get("id") {
            for (inward, kind, other) in row_links {
                let kind_node = str_node(other.span, &kind);
                // "Inward (Blocks)": this issue is blocked by the other; "Outward (Blocks)": it blocks the other.
                let (from, to) = if inward { (id.clone(), other) } else { (other, id.clone()) };
                links.push(model::dependency(0, from, to, kind_node));
            }
        }
        let is_epic = record.text("type", &file).is_some_and(|t| t.eq_ignore_ascii_case("epic"));
        if is_epic {
            epics.extend(record.text("id", &file));
            goals.push(epic_goal(&record, finished));
            continue;
        }
        items.push((record.text("lexorank", &file), row, record));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    for (_, _, item) in &mut items {
        resolve_parent(item, &key_of_issue_id);
    }
    link_goals(&mut items, &epics, &file);
    // LexoRank strings sort lexicographically into the board order; unranked rows keep file order.
    items.sort_by(|a, b| match (&a.0, &b.0) {
        (Some(x), Some(y)) => x.cmp(y).then(a.1.cmp(&b.1)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.1.cmp(&b.1),
    });
    let items: Vec<Record> = items
        .into_iter()
        .enumerate()
        .map(|(i, (_, _, mut r))| {
            r.position = i + 1;
            r
        })
        .collect();
    for (i, g) in goals.iter_mut().enumerate() {
        g.position = i + 1;
    }
    let top_span = Span::new(bom, text.find('\n').unwrap_or(text.len()));
    let mut top = Record::new(0, Node { span: top_span, value: Value::Map(Vec::new()) }, 0);
    top.anchor = top_span;
    let suppressions = Vec::new();
    let explicit_order = items.iter().any(|i| i.get("lexorank").is_some());
    let dependencies = dedup_links(links, &file);
    Ok(Backlog {
        files: vec![file],
        top,
        items,
        goals,
        reorders: Vec::new(),
        dependencies,
        suppressions,
        history: None,
        format: &FORMAT,
        explicit_order,
    })
}

/// An issue-link column: `Inward issue link (Blocks)` is `(true, "Blocks")`.
fn link_column(header: &str) -> Option<(bool, &str)> {
    let (inward, rest) = if let Some(rest) = header.strip_prefix("Inward issue link (") {
        (true, rest)
    } else {
        (false, header.strip_prefix("Outward issue link (")?)
    };
    Some((inward, rest.strip_suffix(')')?))
}

/// Jira exports a link on both issues (outward on one, inward on the other): keep the first of each
/// (from, to, type), numbered in order.
fn dedup_links(links: Vec<Record>, file: &SourceFile) -> Vec<Record> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<Record> = links
        .into_iter()
        .filter(|l| seen.insert((l.text("from", file), l.text("to", file), l.text("type", file))))
        .collect();
    for (i, l) in out.iter_mut().enumerate() {
        l.position = i + 1;
    }
    out
}

/// Resolutions that close an issue without doing it (Jira's defaults).
const DROPPING_RESOLUTIONS: &[&str] = &["won't do", "won't fix", "duplicate", "cannot reproduce", "declined"];

/// Applies the row's `Status Category`, when the export has one: an issue in the Done category is
/// done (`Kept::Completed`, whatever its status is called), or dropped when its `Resolution` says it
/// was closed without being done (`Kept::Archived`, its `status` then the resolution, the status as
/// Jira names it kept under `Status`). Returns whether the issue is finished: by its category, else
/// (no category) by the usual names of finished statuses.
fn status_category(record: &mut Record, file: &SourceFile) -> bool {
    let Some(category) = record.text("Status Category", file) else {
        let status = record.text("status", file).unwrap_or_default().to_lowercase();
        return matches!(status.as_str(), "done" | "closed" | "resolved" | "complete" | "completed");
    };
    if !category.trim().eq_ignore_ascii_case("done") {
        return false;
    }
    let resolution = record.get("Resolution").cloned();
    let dropped = resolution.as_ref().and_then(|r| model::scalar_text(r, file)).is_some_and(|r| {
        let r = r.trim().to_lowercase().replace('\u{2019}', "'");
        DROPPING_RESOLUTIONS.contains(&r.as_str())
    });
    match resolution.filter(|_| dropped) {
        Some(resolution) => {
            record.kept = Kept::Archived;
            if let Value::Map(entries) = &mut record.node.value {
                if let Some(status) = entries.iter_mut().find(|e| e.key == "status") {
                    let named = std::mem::replace(&mut status.value, resolution);
                    entries.push(Entry { key: "Status".into(), key_span: named.span, value: named });
                } else {
                    entries.push(Entry { key: "status".into(), key_span: resolution.span, value: resolution });
                }
            }
        }
        None => record.kept = Kept::Completed,
    }
    true
}

/// A numeric parent (Jira's issue id, in `Parent` or `Parent id`) becomes the parent's key when the
/// export holds the parent's row; the value keeps the cell's span.
fn resolve_parent(item: &mut Record, key_of_issue_id: &HashMap<String, String>) {
    let Value::Map(entries) = &mut item.node.value else { return };
    let Some(parent) = entries.iter_mut().find(|e| e.key == "parent") else { return };
    if let Value::Str(id) = &parent.value.value
        && let Some(key) = key_of_issue_id.get(id.trim())
    {
        parent.value.value = Value::Str(key.as_str().into());
    }
}

fn is_subtask(item: &Record, file: &SourceFile) -> bool {
    item.text("type", file).is_some_and(|t| {
        let t = t.to_lowercase();
        t == "sub-task" || t == "subtask"
    })
}

/// Each item without an `Epic Link` serves the epic its parent chain leads to: its parent when that
/// is an epic, else its parent's goal (a sub-task's parent is a story). A standard issue's parent
/// outside the export is an epic (Jira's hierarchy puts epics above standard issues); a sub-task's
/// is a story whose epic is unknown, and a numeric id that no row resolves names nothing. The goal
/// points at the item's own parent cell.
fn link_goals(
    items: &mut [(Option<String>, usize, Record)],
    epics: &std::collections::HashSet<String>,
    file: &SourceFile,
) {
    let index: HashMap<String, usize> =
        items.iter().enumerate().filter_map(|(i, (_, _, r))| r.text("id", file).map(|id| (id, i))).collect();
    let goal_of = |start: usize| -> Option<String> {
        let mut at = start;
        // A chain longer than this is a cycle in the export.
        for _ in 0..32 {
            let item = &items[at].2;
            if let Some(goal) = item.text("goal", file) {
                return Some(goal);
            }
            let parent = item.text("parent", file)?;
            if epics.contains(&parent) {
                return Some(parent);
            }
            match index.get(&parent) {
                Some(&next) => at = next,
                None => {
                    let numeric = parent.chars().all(|c| c.is_ascii_digit());
                    return (!numeric && !is_subtask(item, file)).then_some(parent);
                }
            }
        }
        None
    };
    let derived: Vec<Option<String>> =
        (0..items.len()).map(|i| if items[i].2.get("goal").is_some() { None } else { goal_of(i) }).collect();
    for ((_, _, item), goal) in items.iter_mut().zip(derived) {
        let (Some(goal), Some(at)) = (goal, item.get("parent").map(|n| n.span)) else { continue };
        if let Value::Map(entries) = &mut item.node.value {
            entries.push(Entry { key: "goal".into(), key_span: at, value: str_node(at, &goal) });
        }
    }
}

/// Fills `requested_by` from the column the policy's `requester_field` names, for the items that
/// have a value there. Jira has no requester of its own: `Reporter` is whoever typed the issue.
pub fn apply_requester(items: &mut [Record], column: &str) {
    for item in items {
        if item.get("requested_by").is_some() {
            continue;
        }
        let Some(value) = item.get(column).cloned() else { continue };
        if let Value::Map(entries) = &mut item.node.value {
            entries.push(Entry { key: "requested_by".into(), key_span: value.span, value });
        }
    }
}

/// An epic as a goal: achieved when finished (its status category, else its status), otherwise a
/// future goal (the policy's `goal_milestone` names the epic that carries the active Product Goal).
fn epic_goal(epic: &Record, finished: bool) -> Record {
    let mut entries = Vec::new();
    if let Some(id) = epic.get("id") {
        entries.push(Entry { key: "id".into(), key_span: id.span, value: id.clone() });
    }
    if let Some(title) = epic.get("title") {
        entries.push(Entry { key: "statement".into(), key_span: title.span, value: title.clone() });
    }
    let span = epic.get("status").map_or(epic.anchor, |n| n.span);
    entries.push(Entry {
        key: "status".into(),
        key_span: span,
        value: str_node(span, if finished { "achieved" } else { "future" }),
    });
    let mut goal = Record::new(0, Node { span: epic.node.span, value: Value::Map(entries) }, 0);
    goal.anchor = epic.anchor;
    goal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_spans_follow_quoting() {
        let text = "a,\"b,\"\"c\"\"\",d\nx";
        let spans = field_spans(text, 0);
        let cells: Vec<&str> = spans.iter().map(|s| &text[s.start..s.end]).collect();
        assert_eq!(cells, ["a", "b,\"\"c\"\"", "d"]);
    }

    #[test]
    fn misplaced_quotes_are_found_where_they_are() {
        let at = |text: &str| misplaced_quote(text, 0).map(|(at, what, _)| (at, what));
        assert_eq!(at("a,\"b,\"\"c\"\"\",d\r\n\"x\"\n"), None);
        assert_eq!(at("a,\"\"\n"), None);
        assert_eq!(at("a,b\"c,d\n"), Some((3, "a quote inside an unquoted field")));
        assert_eq!(at("a,\"b\"c,d\n"), Some((4, "text follows the closing quote of a field")));
        assert_eq!(at("a,b\n\"c,d\ne,f\n"), Some((4, "a quoted field runs to the end of the file")));
        assert_eq!(at("a,\"b\"\"\n"), Some((2, "a quoted field runs to the end of the file")));
    }

    #[test]
    fn criteria_come_from_a_description_section() {
        let d = "Users need it.\n\nh3. Acceptance Criteria\n* The file opens\n* Dates are ISO\n\nNotes follow";
        let found: Vec<String> = criteria_in_description(d);
        assert_eq!(found, ["The file opens", "Dates are ISO"]);
    }
}
