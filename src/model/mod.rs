//! The backlog model every source fills and every rule reads. It is a thin, validated view over spanned
//! YAML-shaped nodes: known fields are type-checked on load, a team's extra fields are kept as they are.

pub mod schema;
pub mod sections;
pub mod story;

use crate::diag::{Problem, did_you_mean};
use crate::text::{SourceFile, Span};
use crate::yaml::{Entry, Node, Value};

/// The type a known field must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// Any scalar, read as text (`id: 101` is the text `101`).
    Text,
    Number,
    /// A list of scalars, read as text.
    TextList,
    /// Text, or a list of texts (for fields where "several" is itself the mistake a rule reports).
    TextOrList,
    List,
    Items,
    Goals,
    Reorders,
    /// One reorder (engine-added: a reorder's previous move of the same item).
    Reorder,
    /// The parsed user story of an item's title (engine-added).
    Story,
    /// Suppressions: a mapping of rule name to the reason it is allowed.
    Allow,
    /// true or false (engine-added).
    Flag,
}

pub type Schema = &'static [(&'static str, FieldType)];

use FieldType::*;

pub const BACKLOG_FIELDS: Schema = &[
    ("product", Text),
    ("product_owner", TextOrList),
    ("optimizing_for", Text),
    ("definition_of_done", TextList),
    ("product_goals", Goals),
    ("items", Items),
    ("ordering_log", Reorders),
    ("allow", Allow),
];

pub const ITEM_FIELDS: Schema = &[
    ("id", Text),
    ("title", Text),
    ("type", Text),
    ("goal", Text),
    ("status", Text),
    ("estimate", Number),
    ("value", Text),
    ("requested_by", Text),
    ("description", Text),
    ("acceptance_criteria", TextList),
    ("rank", Number),
    ("tasks", List),
    ("assignee", Text),
    ("due_date", Text),
    ("labels", TextList),
    ("notes", Text),
    ("depends_on", List),
    // The days it entered the backlog and was done: the feedback cycle time in `report`.
    ("created", Text),
    ("completed", Text),
    ("allow", Allow),
];

/// A link between two items (or an item and a goal), as every source with links fills it: `from` is
/// the id of the item that has the link, `to` the id it names, `type` the kind of link as the source
/// writes it (`depends_on` in YAML and Backlog.md `dependencies` are `blocks`; beads and Jira keep
/// their own names, such as `parent-child` or `waits-for`).
pub const DEPENDENCY_FIELDS: Schema = &[("from", Text), ("to", Text), ("type", Text)];

pub const GOAL_FIELDS: Schema =
    &[("id", Text), ("statement", Text), ("measure", Text), ("target", Text), ("status", Text)];

pub const REORDER_FIELDS: Schema = &[
    ("date", Text),
    ("by", Text),
    ("email", Text),
    ("item", Text),
    ("from", Number),
    ("to", Number),
    ("rationale", Text),
    ("commit", Text),
];
/// Fields the engine adds to reorders: whether the Product Owner made the move, its direction, the
/// same item's previous move, and where the move was recorded (a commit, or the ordering log).
pub const REORDER_INTRINSICS: Schema =
    &[("position", Number), ("by_product_owner", Flag), ("direction", Text), ("previous", Reorder), ("origin", Text)];
/// The `history` a policy reads: what git says about the order over time.
pub const HISTORY_FIELDS: Schema = &[
    ("available", Flag),
    ("commits", Number),
    ("first_date", Text),
    ("last_date", Text),
    ("last_reorder_date", Text),
    ("last_reorder_commit", Text),
    ("days_without_reorder", Number),
    ("added_without_reorder", Number),
    ("shallow", Flag),
];

/// Fields the engine adds to every item.
pub const ITEM_INTRINSICS: Schema =
    &[("position", Number), ("horizon", Text), ("state", Text), ("kept", Text), ("story", Story)];
/// A suppression, as rules see it: `used` is filled in after the other rules ran.
pub const SUPPRESSION_FIELDS: Schema = &[("rule", Text), ("reason", Text), ("item", Text), ("used", Flag)];
/// The parts of `item.story`.
pub const STORY_FIELDS: Schema = &[("role", Text), ("means", Text), ("ends", Text), ("template", Text)];
/// Fields the engine adds to goals and ordering-log entries.
pub const POSITION_INTRINSIC: Schema = &[("position", Number)];

/// One item, goal or ordering-log entry: a mapping node plus where it sits.
#[derive(Clone, Debug)]
pub struct Record {
    /// Index into [`Backlog::files`].
    pub file: usize,
    pub node: Node,
    /// Where a finding about a missing field points: the `id` value, else the first key.
    pub anchor: Span,
    /// 1-based position in its list.
    pub position: usize,
    /// Where the source keeps the item: on the backlog, or in a folder that says it is not (yet or
    /// any more) part of it (Backlog.md's drafts, completed and archive folders).
    pub kept: Kept,
    /// Written in the backlog's files; false for records made from git history or the policy.
    pub in_file: bool,
}

/// Where a source keeps an item, when the place itself carries meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kept {
    /// On the backlog: its status says whether it is open.
    Backlog,
    /// Not yet in the backlog (Backlog.md's `drafts/`): neither open nor done.
    Draft,
    /// Finished and put away (Backlog.md's `completed/`).
    Completed,
    /// Put away (Backlog.md's `archive/`): dropped, unless its status says it was done.
    Archived,
}

impl Kept {
    pub fn as_str(self) -> &'static str {
        match self {
            Kept::Backlog => "backlog",
            Kept::Draft => "draft",
            Kept::Completed => "completed",
            Kept::Archived => "archived",
        }
    }
}

impl Record {
    /// On the backlog, so in the horizons when its status is open.
    pub fn active(&self) -> bool {
        self.kept == Kept::Backlog
    }

    pub fn new(file: usize, node: Node, position: usize) -> Self {
        let anchor = anchor_of(&node);
        Record::with_anchor(file, node, anchor, position)
    }

    /// A record whose anchor was found already (see [`anchor_of`]).
    fn with_anchor(file: usize, node: Node, anchor: Span, position: usize) -> Self {
        Record { file, node, anchor, position, kept: Kept::Backlog, in_file: true }
    }
    pub fn get(&self, field: &str) -> Option<&Node> {
        self.node.get(field)
    }
    /// A field as text, if it is a scalar.
    pub fn text(&self, field: &str, source: &SourceFile) -> Option<String> {
        self.get(field).and_then(|n| scalar_text(n, source))
    }
}

/// The text of a scalar exactly as the source spells it (for numbers, dates and ids).
pub fn scalar_text(node: &Node, source: &SourceFile) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.to_string()),
        Value::Num(_) | Value::Bool(_) => source.text.get(node.span.start..node.span.end).map(str::to_string),
        _ => None,
    }
}

#[derive(Clone, Debug)]
pub struct Backlog {
    /// Every file the backlog was read from; the first holds the top-level fields.
    pub files: Vec<SourceFile>,
    pub top: Record,
    pub items: Vec<Record>,
    pub goals: Vec<Record>,
    pub reorders: Vec<Record>,
    /// Links between items, in the order the sources wrote them (see [`DEPENDENCY_FIELDS`]).
    pub dependencies: Vec<Record>,
    /// `allow:` entries of the items and of the whole backlog.
    pub suppressions: Vec<Suppression>,
    /// What the git history says about the order, when it was read.
    pub history: Option<HistorySummary>,
    /// The format it was read from, and what that format has a place for.
    pub format: &'static SourceFormat,
    /// The order is one the team maintains (the list order of a native file, ordinals, ranks), not
    /// only the order items were created in.
    pub explicit_order: bool,
}

/// A backlog format, and the backlog-wide concepts it has a place for. A concept a format lacks is
/// declared in the policy instead, and the rules say so once rather than per item.
#[derive(Debug, PartialEq, Eq)]
pub struct SourceFormat {
    pub name: &'static str,
    /// Top-level fields the format can hold (`product_goals`, `product_owner`, …).
    pub places: &'static [&'static str],
}

/// Statuses that close an item by their name: the policy's default `done_statuses`, and what a
/// source reads as closed before any policy applies.
pub const CLOSING_STATUSES: [&str; 6] = ["done", "completed", "won't do", "skipped", "cancelled", "canceled"];

/// A status as compared: real data quotes and cases statuses freely (`"Done"`, `done`, `Won't Do`).
pub fn normal_status(status: &str) -> String {
    status.trim().trim_matches(|c| c == '"' || c == '\'').to_lowercase()
}

pub const NATIVE_YAML: SourceFormat = SourceFormat {
    name: "native YAML",
    places: &["product_goals", "product_owner", "definition_of_done", "optimizing_for", "estimate"],
};

/// One `allow: {rule: reason}` entry. A suppression without a reason does not suppress anything.
#[derive(Clone, Debug)]
pub struct Suppression {
    pub file: usize,
    pub rule: String,
    pub rule_span: Span,
    /// The reason node (null when the reason is missing).
    pub reason: Node,
    /// Index of the item that carries it; None for the whole backlog.
    pub item: Option<usize>,
}

impl Suppression {
    pub fn has_reason(&self) -> bool {
        matches!(&self.reason.value, Value::Str(s) if !s.trim().is_empty())
            || matches!(self.reason.value, Value::Num(_) | Value::Bool(_))
    }
}

/// Where a record points when none of its fields is at stake: its id, or else its first key.
fn anchor_of(node: &Node) -> Span {
    match &node.value {
        Value::Map(entries) => entries
            .iter()
            .find(|e| e.key == "id")
            .map(|e| e.value.span)
            .filter(|s| !s.is_empty())
            .or_else(|| entries.first().map(|e| e.key_span))
            .unwrap_or(node.span),
        _ => node.span,
    }
}

/// The `allow:` entries of the backlog (`top`) and of each item, in order. The items' are read on
/// every core for a large backlog, as are the other passes over every item between the parse and
/// the rules: on one core, together, they took a tenth of a second at 100,000 items.
pub fn all_suppressions(top: &Record, items: &[Record]) -> Vec<Suppression> {
    let mut suppressions = suppressions_of(top);
    let per_item = crate::parallel::map(items, 2_000, suppressions_of);
    for (i, mut of_item) in per_item.into_iter().enumerate() {
        of_item.iter_mut().for_each(|s| s.item = Some(i));
        suppressions.append(&mut of_item);
    }
    suppressions
}

/// The `allow:` entries of one record, as the backlog's own (`item` None).
fn suppressions_of(record: &Record) -> Vec<Suppression> {
    match record.get("allow").map(|n| &n.value) {
        Some(Value::Map(entries)) => entries
            .iter()
            .map(|e| Suppression {
                file: record.file,
                rule: e.key.to_string(),
                rule_span: e.key_span,
                reason: e.value.clone(),
                item: None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

impl Backlog {
    /// Builds the model from a parsed native YAML backlog. Returns every schema problem found.
    pub fn from_yaml(file: SourceFile, root: Node) -> Result<Backlog, Vec<Problem>> {
        let mut problems = Vec::new();
        if !matches!(root.value, Value::Map(_)) {
            let span = if root.span.is_empty() { Span::new(0, file.text.len().min(1)) } else { root.span };
            problems.push(
                Problem::error(
                    "I0010",
                    format!("a backlog must be a mapping at the top level, found {}", root.type_name()),
                )
                .in_file(&file)
                .label(span, "expected `product:`, `product_goals:`, `items:` …")
                .help("start the file with top-level fields such as `product: …` and `items:`"),
            );
            return Err(problems);
        }
        if let Some(problem) = other_schema(&file, &root) {
            return Err(vec![problem]);
        }
        validate(&file, &root, BACKLOG_FIELDS, "the backlog", &mut problems);
        // The lists move out of the tree into records (the tree keeps each list's span but not its
        // elements): nothing is held twice, which halves the memory of a large backlog.
        let mut root = root;
        let mut take = |key: &str| -> Vec<Record> {
            let Value::Map(entries) = &mut root.value else { return Vec::new() };
            match entries.iter_mut().find(|e| e.key == key).map(|e| &mut e.value.value) {
                Some(Value::Seq(nodes)) => {
                    let nodes = std::mem::take(nodes);
                    // Found on every core for a large list (see `all_suppressions`).
                    let anchors = crate::parallel::map(&nodes, 2_000, anchor_of);
                    nodes
                        .into_iter()
                        .zip(anchors)
                        .enumerate()
                        .filter(|(_, (n, _))| matches!(n.value, Value::Map(_)))
                        .map(|(i, (node, anchor))| Record::with_anchor(0, node, anchor, i + 1))
                        .collect()
                }
                _ => Vec::new(),
            }
        };
        let items = take("items");
        let goals = take("product_goals");
        let reorders = take("ordering_log");
        let mut top = Record::new(0, root, 0);
        top.anchor = first_key_line(&file, &top.node);
        if !problems.is_empty() {
            return Err(problems);
        }
        let suppressions = all_suppressions(&top, &items);
        let dependencies = links_from_field(&items, std::slice::from_ref(&file), "depends_on");
        Ok(Backlog {
            files: vec![file],
            top,
            items,
            goals,
            reorders,
            dependencies,
            suppressions,
            history: None,
            format: &NATIVE_YAML,
            explicit_order: true,
        })
    }
}

/// A mapping without `items:` whose lists sit under names backlint does not know (`stories:`,
/// `epics:`, `tasks:`) is a backlog of another schema: read as backlint's, it would be checked as an
/// empty backlog without a word.
fn other_schema(file: &SourceFile, root: &Node) -> Option<Problem> {
    let Value::Map(entries) = &root.value else { return None };
    if entries.iter().any(|e| e.key == "items") {
        return None;
    }
    let known = |e: &&Entry| BACKLOG_FIELDS.iter().any(|(name, _)| *name == e.key);
    let foreign: Vec<&Entry> =
        entries.iter().filter(|e| !known(e) && matches!(e.value.value, Value::Seq(_) | Value::Map(_))).collect();
    let first = foreign.iter().find(|e| matches!(e.value.value, Value::Seq(_)))?;
    let names: Vec<String> = foreign.iter().take(5).map(|e| format!("`{}:`", e.key)).collect();
    let found = match names.len() {
        1 => names[0].clone(),
        n => format!("{} and {}", names[..n - 1].join(", "), names[n - 1]),
    };
    Some(
        Problem::error("I0013", format!("this file is not a backlint backlog: it has {found} at the top level and no `items:`"))
            .in_file(file)
            .label(first.key_span, "backlint reads a backlog's items from `items:`")
            .help("backlint's backlog lists its Product Backlog items under `items:` (each with `id`, `title`, `status`, …) and its goals under `product_goals:`; convert the file to that schema, or point backlint at the backlog itself (a Backlog.md folder, a Jira CSV export, a beads file)"),
    )
}

/// One dependency record: `from` and `to` point where the source wrote them; the record's anchor is
/// the `to` value (where a finding about the link points).
pub fn dependency(file: usize, from: Node, to: Node, kind: Node) -> Record {
    let span = to.span;
    let entry = |key: &str, value: Node| Entry { key: key.into(), key_span: value.span, value };
    let node = Node { span, value: Value::Map(vec![entry("from", from), entry("to", to), entry("type", kind)]) };
    let mut record = Record::new(file, node, 0);
    record.anchor = span;
    record
}

/// The links of items that list the ids they wait for in `field` (the native `depends_on`, Backlog.md's
/// `dependencies`), numbered in order: an id is a `blocks` link; `{id: …, type: …}` names its type.
pub fn links_from_field(items: &[Record], files: &[SourceFile], field: &str) -> Vec<Record> {
    // Read on every core for a large backlog (see `all_suppressions`).
    let per_item = crate::parallel::map(items, 2_000, |item| links_of(item, files, field));
    let mut out: Vec<Record> = per_item.into_iter().flatten().collect();
    for (i, d) in out.iter_mut().enumerate() {
        d.position = i + 1;
    }
    out
}

/// One item's links through `field`, without positions.
fn links_of(item: &Record, files: &[SourceFile], field: &str) -> Vec<Record> {
    let mut out = Vec::new();
    let Some(Value::Seq(targets)) = item.get(field).map(|n| &n.value) else { return out };
    let Some(id) = item.get("id") else { return out };
    let source = &files[item.file];
    let Some(id_text) = scalar_text(id, source) else { return out };
    for target in targets {
        let (to_node, kind) = match &target.value {
            Value::Map(_) => match target.get("id") {
                Some(to) => (to, target.get("type").cloned()),
                None => continue,
            },
            _ => (target, None),
        };
        let Some(to) = scalar_text(to_node, source) else { continue };
        let from = Node { span: id.span, value: Value::Str(id_text.as_str().into()) };
        let to = Node { span: to_node.span, value: Value::Str(to.as_str().into()) };
        let kind = kind.unwrap_or(Node { span: to_node.span, value: Value::Str("blocks".into()) });
        out.push(dependency(item.file, from, to, kind));
    }
    out
}

/// The line of the first top-level key: where whole-backlog findings point when a field is missing.
pub fn first_key_line(file: &SourceFile, root: &Node) -> Span {
    let start = match &root.value {
        Value::Map(entries) => entries.first().map_or(0, |e| e.key_span.start),
        _ => 0,
    };
    let end = file.text[start..].find('\n').map_or(file.text.len(), |i| start + i);
    Span::new(start, end)
}

pub fn validate(file: &SourceFile, node: &Node, schema: Schema, what: &str, problems: &mut Vec<Problem>) {
    validate_fields(file, node, schema, what, true, problems);
}

/// Like [`validate`], without looking for typos in unknown field names: for sources whose field
/// names are not typed by hand (Jira's column headers).
pub fn validate_types(file: &SourceFile, node: &Node, schema: Schema, what: &str, problems: &mut Vec<Problem>) {
    validate_fields(file, node, schema, what, false, problems);
}

fn validate_fields(
    file: &SourceFile,
    node: &Node,
    schema: Schema,
    what: &str,
    typos: bool,
    problems: &mut Vec<Problem>,
) {
    let Value::Map(entries) = &node.value else { return };
    for entry in entries {
        let Some(&(_, ty)) = schema.iter().find(|(name, _)| *name == entry.key) else {
            // Unknown fields are a team's own data, unless the name is a near miss of a known one.
            if typos && let Some(suggestion) = did_you_mean(&entry.key, schema.iter().map(|(n, _)| *n)) {
                {
                    problems.push(
                        Problem::error("I0011", format!("unknown field `{}` in {what}", entry.key))
                            .in_file(file)
                            .label(entry.key_span, format!("did you mean `{suggestion}`?"))
                            .help(format!(
                                "rename it to `{suggestion}`; backlint keeps a team's own fields, but this name is too close to a known one to be anything but a typo"
                            )),
                    );
                }
            }
            continue;
        };
        check_type(file, &entry.key, &entry.value, ty, problems);
    }
}

fn type_problem(file: &SourceFile, field: &str, node: &Node, expected: &str, help: &str) -> Problem {
    let found = match &node.value {
        Value::Str(s) => format!("the text `{}`", ellipsis(s, 30)),
        _ => node.type_name().to_string(),
    };
    Problem::error("I0012", format!("`{field}` must be {expected}, found {found}"))
        .in_file(file)
        .label(node.span, format!("expected {expected}"))
        .help(help.to_string())
}

fn ellipsis(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_string() } else { s.chars().take(max).collect::<String>() + "…" }
}

fn check_type(file: &SourceFile, field: &str, node: &Node, ty: FieldType, problems: &mut Vec<Problem>) {
    if node.value == Value::Null {
        return;
    }
    let is_scalar = matches!(node.value, Value::Str(_) | Value::Num(_) | Value::Bool(_));
    match ty {
        Text if !is_scalar => {
            problems.push(type_problem(file, field, node, "text", "write a single value on the same line as the key"))
        }
        Number if !matches!(node.value, Value::Num(_)) => problems.push(type_problem(
            file,
            field,
            node,
            "a number",
            &format!("write `{field}` as a number, for example `{field}: 5`"),
        )),
        // NaN and infinities break every sum and comparison a rule makes; a negative size means nothing.
        Number => {
            let Value::Num(n) = node.value else { return };
            let (expected, found) = if !n.is_finite() {
                ("a finite number", if n.is_nan() { "not a number (NaN)" } else { "an infinite number" })
            } else if field == "estimate" && n < 0.0 {
                ("a number of zero or more", "a negative number")
            } else {
                return;
            };
            problems.push(
                Problem::error("I0012", format!("`{field}` must be {expected}, found {found}"))
                    .in_file(file)
                    .label(node.span, format!("expected {expected}"))
                    .help(format!("write `{field}` as a number such as `{field}: 5`")),
            );
        }
        Allow => {
            let Value::Map(entries) = &node.value else {
                problems.push(type_problem(
                    file,
                    field,
                    node,
                    "a mapping of rule names to reasons",
                    "write `allow:` followed by lines such as `vague-title: the customer's own wording`",
                ));
                return;
            };
            for e in entries {
                if matches!(e.value.value, Value::Seq(_) | Value::Map(_)) {
                    problems.push(type_problem(
                        file,
                        &e.key,
                        &e.value,
                        "a reason (text)",
                        "write the reason on the same line as the rule name",
                    ));
                }
            }
        }
        Story | Flag => {}
        TextList | TextOrList | List | Items | Goals | Reorders => {
            let Value::Seq(elements) = &node.value else {
                if ty == TextOrList && is_scalar {
                    return;
                }
                problems.push(type_problem(
                    file,
                    field,
                    node,
                    "a list",
                    &format!("write each entry of `{field}` on its own line starting with `- `"),
                ));
                return;
            };
            if matches!(ty, Items | Goals | Reorders) {
                let (schema, what) = match ty {
                    Items => (ITEM_FIELDS, "an item"),
                    Goals => (GOAL_FIELDS, "a product goal"),
                    _ => (REORDER_FIELDS, "an ordering-log entry"),
                };
                // On every core for a large list, problems in order: validating 100,000 items was
                // the longest of the passes between the parse and the rules, when one core worked alone.
                let per_element = crate::parallel::map(elements, 2_000, |element| {
                    let mut found = Vec::new();
                    if matches!(element.value, Value::Map(_)) {
                        validate(file, element, schema, what, &mut found);
                    } else {
                        found.push(type_problem(
                            file,
                            field,
                            element,
                            "a mapping of fields",
                            "each entry starts with `- id: …` followed by its fields",
                        ));
                    }
                    found
                });
                problems.extend(per_element.into_iter().flatten());
                return;
            }
            for element in elements {
                match ty {
                    TextList | TextOrList
                        if !matches!(element.value, Value::Str(_) | Value::Num(_) | Value::Bool(_)) =>
                    {
                        problems.push(type_problem(
                            file,
                            field,
                            element,
                            "text",
                            "each entry must be a single line of text",
                        ))
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{Limits, parse};

    fn load(text: &str) -> Result<Backlog, Vec<Problem>> {
        let file = SourceFile::new("b.yaml", text);
        let root = parse(&file, Limits::default()).unwrap();
        Backlog::from_yaml(file, root)
    }

    #[test]
    fn wrong_types_and_typos_are_reported_together() {
        let errs =
            load("items:\n  - id: A\n    estimate: five\n    acceptance_critera: [x]\n    squad: blue\n").unwrap_err();
        let codes: Vec<&str> = errs.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(codes, ["I0012", "I0011"]);
        assert!(errs[1].labels[0].1.as_deref().unwrap().contains("acceptance_criteria"));
    }

    #[test]
    fn items_keep_positions_and_anchor_on_id() {
        let text = "items:\n  - id: A\n  - title: no id\n";
        let b = load(text).unwrap();
        assert_eq!(b.items[1].position, 2);
        assert_eq!(&text[b.items[0].anchor.start..b.items[0].anchor.end], "A");
        assert_eq!(&text[b.items[1].anchor.start..b.items[1].anchor.end], "title");
    }
}

/// What the history says beyond single moves: how long the order has stood still.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HistorySummary {
    /// Commits in the window that changed the backlog.
    pub commits: usize,
    pub first_date: Option<String>,
    pub last_date: Option<String>,
    pub last_reorder_date: Option<String>,
    pub last_reorder_commit: Option<String>,
    /// Items in the newest version that were not there at the last reorder (or at the window's start).
    pub added_without_reorder: usize,
    pub days_without_reorder: Option<i64>,
    pub shallow: bool,
}
