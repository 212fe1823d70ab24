//! The one place that builds trees from the YAML parser (the history's skim reads its events for
//! ids alone). It turns `granit-parser` events into a [`Node`] tree in which every value and every
//! key keeps its exact byte span, and enforces our own budgets: nesting depth, alias expansion
//! (billion laughs) and one document per file. Duplicate keys are errors.
//!
//! We build on the event parser rather than a serde layer because rules may read any field a team adds,
//! so the model needs a spanned generic tree, not only spanned typed structs.

use crate::diag::Problem;
use crate::text::{CharIndex, SourceFile, Span};
use compact_str::CompactString;
use granit_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;

/// Budgets that keep hostile input from exhausting the stack or memory.
///
/// Aliases are charged twice: by the values they copy and by the text (string values and keys)
/// they copy, so neither many small copies nor a few copies of one long string can blow up. The
/// text budget is at least twice the file's own size, so a large backlog may still share lists
/// with aliases; it is at most 16 MiB otherwise (the defaults take well under a second to expand).
/// Every YAML reader goes through [`parse`] with these budgets: backlogs (whole or split), Backlog.md
/// front matter and config, the example backlogs of policy `test` blocks, and historical versions.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Deepest allowed nesting of sequences and mappings (a backlog needs about 5).
    pub max_depth: usize,
    /// Most nodes that aliases may add by expansion, beyond the nodes written in the file.
    pub max_alias_nodes: usize,
    /// Most bytes of text that aliases may add by expansion (raised to twice the file's size).
    pub max_alias_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_depth: 64, max_alias_nodes: 100_000, max_alias_bytes: 16 << 20 }
    }
}

impl Limits {
    /// The budgets for a file of `len` bytes.
    fn for_file(self, len: usize) -> Limits {
        Limits { max_alias_bytes: self.max_alias_bytes.max(len.saturating_mul(2)), ..self }
    }
}

/// What an alias copy costs: its values and the bytes of its text.
#[derive(Clone, Copy, Debug, Default)]
struct Weight {
    nodes: usize,
    bytes: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Num(f64),
    Str(CompactString),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: CompactString,
    pub key_span: Span,
    pub value: Node,
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
            _ => None,
        }
    }
    /// A short name of the node's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Num(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
    /// Moves every span by `by` bytes: for YAML embedded in a larger file (front matter).
    pub fn shift(&mut self, by: usize) {
        self.span = Span::new(self.span.start + by, self.span.end + by);
        match &mut self.value {
            Value::Seq(items) => items.iter_mut().for_each(|n| n.shift(by)),
            Value::Map(entries) => entries.iter_mut().for_each(|e| {
                e.key_span = Span::new(e.key_span.start + by, e.key_span.end + by);
                e.value.shift(by);
            }),
            _ => {}
        }
    }

    fn weight(&self) -> Weight {
        let mut total = Weight::default();
        let mut pending = vec![self];
        while let Some(node) = pending.pop() {
            total.nodes += 1;
            match &node.value {
                Value::Str(s) => total.bytes += s.len(),
                Value::Seq(items) => pending.extend(items),
                Value::Map(entries) => {
                    for e in entries {
                        total.bytes += e.key.len();
                        pending.push(&e.value);
                    }
                }
                _ => {}
            }
        }
        total
    }

    fn child(&self, index: usize) -> Option<&Node> {
        match &self.value {
            Value::Seq(items) => items.get(index),
            Value::Map(entries) => entries.get(index).map(|e| &e.value),
            _ => None,
        }
    }
}

enum Frame {
    Seq {
        start: usize,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: usize,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<(CompactString, Span)>,
        index: Option<HashMap<CompactString, usize>>,
    },
}

impl Frame {
    /// Where the child being read now will sit once it is complete.
    fn next_index(&self) -> usize {
        match self {
            Frame::Seq { items, .. } => items.len(),
            Frame::Map { entries, .. } => entries.len(),
        }
    }
    fn child(&self, index: usize) -> Option<&Node> {
        match self {
            Frame::Seq { items, .. } => items.get(index),
            Frame::Map { entries, .. } => entries.get(index).map(|e| &e.value),
        }
    }
}

/// An anchored node. Collections are not copied when their anchor completes (nested anchors would
/// copy a subtree once per level): the anchor keeps where the node sits in the tree being built,
/// and only an alias copies it.
enum Anchored {
    Scalar(Node),
    /// Child indexes from the root: one per frame open when the node completed, then its own.
    At(Vec<usize>),
}

struct Anchor {
    node: Anchored,
    /// Computed on first use by an alias.
    weight: Option<Weight>,
}

/// The completed node at `path` (see [`Anchored::At`]), whether it is still inside open frames or
/// already in a completed collection.
fn anchored<'t>(stack: &'t [Frame], root: Option<&'t Node>, path: &[usize]) -> Option<&'t Node> {
    // Follow the open frames while the path runs through the child each is still reading.
    let mut level = 0;
    while level < stack.len() && level < path.len() && path[level] == stack[level].next_index() {
        level += 1;
    }
    let (mut node, rest) = match stack.get(level) {
        None if level == 0 => (root?, path),
        None => return None,
        Some(frame) => {
            let (&index, rest) = path[level..].split_first()?;
            (frame.child(index)?, rest)
        }
    };
    for &index in rest {
        node = node.child(index)?;
    }
    Some(node)
}

/// Files from this size up parse their `items:` list on every core.
const SPLIT_FROM_BYTES: usize = 1 << 20;

/// Parses one YAML document. On error returns every problem found before parsing had to stop.
pub fn parse(file: &SourceFile, limits: Limits) -> Result<Node, Vec<Problem>> {
    let limits = limits.for_file(file.text.len());
    if file.text.len() >= SPLIT_FROM_BYTES
        && let Some(node) = parse_split(file, limits)
    {
        return Ok(node);
    }
    parse_whole(file, limits)
}

/// Where the items of a top-level block `items:` list start, and where the list ends: None unless
/// the layout is the plain one (`items:` alone on a column-0 line, entries `- ` at one indentation).
fn item_starts(text: &str) -> Option<(Vec<usize>, usize)> {
    // This scan runs on one core before the parse is spread over all of them, over every line of
    // a large file: lines are found with memchr, and a line deeper than the entries (most of them)
    // is passed over after its indentation.
    let mut newlines = memchr::memchr_iter(b'\n', text.as_bytes());
    let mut next = 0;
    let mut lines = std::iter::from_fn(|| {
        let at = next;
        next = newlines.next().map_or(text.len(), |n| n + 1);
        (at < text.len()).then(|| (at, &text[at..next]))
    });
    let is_items_key = |line: &str| {
        let rest = line.strip_prefix("items:").map(str::trim);
        rest.is_some_and(|r| r.is_empty() || r.starts_with('#'))
    };
    lines.find(|(_, line)| is_items_key(line))?;
    let mut starts = Vec::new();
    let mut indent: Option<usize> = None;
    for (at, line) in lines {
        if let Some(i) = indent {
            let spaces = line.bytes().take_while(|&b| b == b' ').count();
            if spaces > i && line.as_bytes().get(spaces) != Some(&b'\t') {
                continue;
            }
        }
        let body = line.trim_end_matches(['\n', '\r']);
        let content = body.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if content.starts_with('\t') {
            return None;
        }
        let depth = body.len() - content.len();
        let entry = content == "-" || content.starts_with("- ");
        match indent {
            None if entry => indent = Some(depth),
            None => return None,
            Some(i) if depth < i || (depth == i && !entry) => {
                // The list ends at the next top-level key; anything else is unusual: parse it whole.
                let plain_key = content.split_once(':').is_some_and(|(key, rest)| {
                    key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                        && !key.starts_with('-')
                        && (rest.is_empty() || rest.starts_with([' ', '\n', '\r']))
                });
                return (depth == 0 && plain_key).then_some((starts, at));
            }
            Some(_) => {}
        }
        if Some(depth) == indent && entry {
            starts.push(at);
        }
    }
    (!starts.is_empty()).then_some((starts, text.len()))
}

/// Whether the line before `at` is plain content that ends the previous entry cleanly.
fn safe_cut(text: &str, at: usize) -> bool {
    let before = text[..at].trim_end_matches(['\n', '\r']);
    let line = before.rsplit('\n').next().unwrap_or("").trim();
    let last = line.rsplit(' ').next().unwrap_or("");
    !line.is_empty()
        && !line.starts_with('#')
        && !last.starts_with(['|', '>'])
        && !line.ends_with(['\\', ',', '[', '{'])
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Parses a large backlog's `items:` list in slices, one per core, and the rest of the document
/// with that list blanked out (same byte offsets). Any problem, such as an alias to an anchor in
/// another slice, returns None and the whole file is parsed again, so errors read the same.
fn parse_split(file: &SourceFile, limits: Limits) -> Option<Node> {
    let text: &str = &file.text;
    let (starts, end) = item_starts(text)?;
    // The list must end as cleanly as a slice does (see `safe_cut`), or at the end of the file.
    if end < text.len() && !safe_cut(text, end) {
        return None;
    }
    let workers = crate::parallel::workers();
    if workers < 2 || starts.len() < 2 * workers {
        return None;
    }
    // Eight slices a core, each taken by the next free thread: with one fixed share a core, the
    // core that was slowed down (a shared machine) finished last while the other waited.
    let per = starts.len().div_ceil(workers * 8);
    // Slices start at entries whose previous line is plain content: a blank line, a comment or a
    // block scalar header there could belong to the entry before, whose value would then end
    // differently at the slice's end than in the whole document.
    let mut cuts: Vec<usize> = vec![0];
    let mut next = per;
    while next < starts.len() {
        match (next..starts.len()).find(|&k| safe_cut(text, starts[k])) {
            Some(k) => {
                cuts.push(k);
                next = k + per;
            }
            None => break,
        }
    }
    let bounds: Vec<(usize, usize)> = cuts
        .iter()
        .enumerate()
        // A slice ends after the next entry's indentation, as the whole parse sees the last value end.
        .map(|(i, &k)| {
            let to = cuts.get(i + 1).map_or(end, |&n| starts[n] + indent_of(&text[starts[n]..]));
            (starts[k], to)
        })
        .collect();
    if bounds.len() < 2 {
        return None;
    }
    let region = (starts[0], end);
    // Slices sit one level below the root, and share the alias budget (over it, the whole parse decides).
    let slice_limits = Limits {
        max_depth: limits.max_depth.saturating_sub(1),
        max_alias_nodes: limits.max_alias_nodes / bounds.len().max(1),
        max_alias_bytes: limits.max_alias_bytes / bounds.len().max(1),
    };
    // The document around the list: the part before it (ending in `items:`) and the part after it,
    // each parsed on its own, without copying the text.
    let (head, tail, parsed) = std::thread::scope(|scope| {
        let around = scope.spawn(|| {
            let head = parse_text(&text[..region.0], file, limits).ok();
            let tail = if text[region.1..].trim().is_empty() {
                Some(None)
            } else {
                parse_text(&text[region.1..], file, limits).ok().map(|mut node| {
                    node.shift(region.1);
                    Some(node)
                })
            };
            (head, tail)
        });
        let slices = crate::parallel::map_each(&bounds, |&(from, to)| {
            let mut node = parse_text(&text[from..to], file, slice_limits).ok()?;
            node.shift(from);
            match node.value {
                Value::Seq(items) => Some((node.span, items)),
                _ => None,
            }
        });
        let (head, tail) = around.join().unwrap_or((None, None));
        (head, tail, slices)
    });
    let mut root = head?;
    if let Some(tail) = tail? {
        let (Value::Map(entries), Value::Map(more)) = (&mut root.value, tail.value) else { return None };
        // A key written both before and after the list is a duplicate: the whole parse reports it.
        if more.iter().any(|m| entries.iter().any(|e| e.key == m.key)) {
            return None;
        }
        entries.extend(more);
        root.span = root.span.to(tail.span);
    }
    let mut items = Vec::with_capacity(starts.len());
    let mut span: Option<Span> = None;
    for slice in parsed {
        let (s, mut nodes) = slice?;
        span = Some(span.map_or(s, |all| all.to(s)));
        items.append(&mut nodes);
    }
    if items.len() != starts.len() {
        return None;
    }
    let Value::Map(entries) = &mut root.value else { return None };
    let entry = entries.iter_mut().find(|e| e.key == "items")?;
    if !matches!(entry.value.value, Value::Null) {
        return None;
    }
    let span = span?;
    entry.value = Node { span, value: Value::Seq(items) };
    root.span = root.span.to(span);
    Some(root)
}

fn parse_whole(file: &SourceFile, limits: Limits) -> Result<Node, Vec<Problem>> {
    parse_text(&file.text, file, limits)
}

/// Parses `text`; problems name `file` (the slices of a split parse discard theirs).
fn parse_text(text: &str, file: &SourceFile, limits: Limits) -> Result<Node, Vec<Problem>> {
    // The parser gives byte offsets over a `&str`; its character indices are the fallback.
    let chars = std::cell::OnceCell::new();
    let byte = |m: &granit_parser::Marker| {
        m.byte_offset().unwrap_or_else(|| chars.get_or_init(|| CharIndex::new(text)).byte(m.index()))
    };
    let span_of = |s: granit_parser::Span| Span::new(byte(&s.start), byte(&s.end));
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Anchor> = HashMap::new();
    let mut nodes_left = limits.max_alias_nodes;
    let mut bytes_left = limits.max_alias_bytes;
    let mut root: Option<Node> = None;
    let mut documents = 0;
    let mut problems = Vec::new();

    loop {
        let (event, raw_span) = match parser.next_event() {
            None => break,
            Some(Ok(ev)) => ev,
            Some(Err(e)) => {
                let at = byte(e.marker()).min(text.len());
                let end = (at + 1).min(text.len()).max(at);
                problems.push(
                    Problem::error("I0001", format!("invalid YAML: {}", e.info()))
                        .in_file(file)
                        .label(Span::new(at, end), "here")
                        .help("fix the YAML syntax at this point; the rest of the file was not read"),
                );
                return Err(problems);
            }
        };
        let span = span_of(raw_span);
        let done: Node = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => continue,
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    problems.push(
                        Problem::error("I0002", "the backlog file holds more than one YAML document")
                            .in_file(file)
                            .label(span, "a second document starts here")
                            .help("keep the whole backlog in one document: remove this `---` and what follows, or merge it"),
                    );
                    return Err(problems);
                }
                continue;
            }
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                if stack.len() >= limits.max_depth {
                    problems.push(
                        Problem::error(
                            "I0003",
                            format!("the YAML is nested more than {} levels deep", limits.max_depth),
                        )
                        .in_file(file)
                        .label(span, "too deep")
                        .help("a backlog needs only a few levels; flatten this structure"),
                    );
                    return Err(problems);
                }
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq { start: span.start, anchor, items: Vec::new() }
                } else {
                    Frame::Map { start: span.start, anchor, entries: Vec::new(), key: None, index: None }
                });
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq { start, anchor, items }) => {
                    let end = items.last().map_or(span.end, |n| n.span.end.max(span.end).min(text.len()));
                    remember_at(&mut anchors, anchor, &stack);
                    Node { span: Span::new(start, end.max(start)), value: Value::Seq(items) }
                }
                _ => unreachable_frame(file, span, &mut problems)?,
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map { start, anchor, entries, .. }) => {
                    let end = entries.last().map_or(span.end, |e| e.value.span.end.max(span.end).min(text.len()));
                    remember_at(&mut anchors, anchor, &stack);
                    Node { span: Span::new(start, end.max(start)), value: Value::Map(entries) }
                }
                _ => unreachable_frame(file, span, &mut problems)?,
            },
            Event::Scalar(value, style, anchor, tag) => {
                let forced_str = tag.as_ref().is_some_and(|t| t.suffix() == "str");
                let value = if style == ScalarStyle::Plain && !forced_str {
                    resolve_plain(&value)
                } else {
                    Value::Str(CompactString::from(&*value))
                };
                let node = Node { span, value };
                if anchor > 0 {
                    anchors.insert(anchor, Anchor { node: Anchored::Scalar(node.clone()), weight: None });
                }
                node
            }
            Event::Alias(id) => {
                let found = anchors.get_mut(&id).and_then(|Anchor { node, weight }| {
                    let node = match &*node {
                        Anchored::Scalar(node) => node,
                        Anchored::At(path) => anchored(&stack, root.as_ref(), path)?,
                    };
                    Some((node, *weight.get_or_insert_with(|| node.weight())))
                });
                let Some((node, weight)) = found else {
                    problems.push(
                        Problem::error("I0001", "invalid YAML: unknown alias")
                            .in_file(file)
                            .label(span, "no anchor with this name"),
                    );
                    return Err(problems);
                };
                let over = if weight.nodes > nodes_left {
                    Some(("too many values", format!("{} values", limits.max_alias_nodes)))
                } else if weight.bytes > bytes_left {
                    Some(("too much text", format!("{} MiB of text", limits.max_alias_bytes.div_ceil(1 << 20))))
                } else {
                    None
                };
                if let Some((what, most)) = over {
                    problems.push(
                        Problem::error("I0004", format!("aliases expand to {what}"))
                            .in_file(file)
                            .label(span, "this alias pushes the expansion over the limit")
                            .help(format!(
                                "backlint expands at most {most} from aliases; write the values out or use fewer aliases"
                            )),
                    );
                    return Err(problems);
                }
                nodes_left -= weight.nodes;
                bytes_left -= weight.bytes;
                // The copy points at the alias, so findings on it land where the reader looks.
                let mut copy = node.clone();
                copy.span = span;
                copy
            }
            // Anchor and unresolved-alias events are off in the parser's default options; the event
            // type is open to more kinds.
            _ => continue,
        };
        // Attach the finished node to its parent.
        match stack.last_mut() {
            None => root = Some(done),
            Some(Frame::Seq { items, .. }) => items.push(done),
            Some(Frame::Map { entries, key, index, .. }) => match key.take() {
                None => {
                    let name = match &done.value {
                        Value::Str(s) => s.clone(),
                        Value::Map(_) | Value::Seq(_) => {
                            problems.push(
                                Problem::error("I0005", "a mapping key must be a plain value")
                                    .in_file(file)
                                    .label(done.span, "complex key")
                                    .help("use a simple name as the key"),
                            );
                            CompactString::default()
                        }
                        _ => CompactString::from(&text[done.span.start..done.span.end.min(text.len())]),
                    };
                    *key = Some((name, done.span));
                }
                Some((name, key_span)) => {
                    let previous = match index {
                        Some(idx) => idx.get(&name).copied(),
                        None => entries.iter().position(|e| e.key == name),
                    };
                    if let Some(prev) = previous {
                        problems.push(
                            Problem::error("I0006", format!("duplicate key `{name}`"))
                                .in_file(file)
                                .label(key_span, "written again here")
                                .label(entries[prev].key_span, "first written here")
                                .help("a key may appear once per mapping; merge the two values and remove one"),
                        );
                    } else {
                        if let Some(idx) = index {
                            idx.insert(name.clone(), entries.len());
                        } else if entries.len() >= 32 {
                            // Large mappings switch to a hash index so duplicate checks stay linear.
                            let mut idx: HashMap<CompactString, usize> =
                                entries.iter().enumerate().map(|(i, e)| (e.key.clone(), i)).collect();
                            idx.insert(name.clone(), entries.len());
                            *index = Some(idx);
                        }
                        entries.push(Entry { key: name, key_span, value: done });
                    }
                }
            },
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(root.unwrap_or(Node { span: Span::new(0, 0), value: Value::Null }))
}

/// Records where the collection that just completed (its frame already popped) will sit.
fn remember_at(anchors: &mut HashMap<usize, Anchor>, anchor: usize, stack: &[Frame]) {
    if anchor > 0 {
        let path = stack.iter().map(Frame::next_index).collect();
        anchors.insert(anchor, Anchor { node: Anchored::At(path), weight: None });
    }
}

fn unreachable_frame(file: &SourceFile, span: Span, problems: &mut Vec<Problem>) -> Result<Node, Vec<Problem>> {
    problems.push(Problem::error("I0001", "invalid YAML: unbalanced structure").in_file(file).label(span, "here"));
    Err(std::mem::take(problems))
}

/// Resolves a plain scalar with the YAML 1.2 core schema.
fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Value::Num(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Value::Num(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Num(f64::NAN),
        _ => {}
    }
    if let Some(n) = parse_number(s) {
        return Value::Num(n);
    }
    Value::Str(s.into())
}

fn parse_number(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let first = *b.first()?;
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return None;
    }
    if let Some(hex) = s.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok().map(|n| n as f64);
    }
    if let Some(oct) = s.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok().map(|n| n as f64);
    }
    // Only the core schema's decimal forms: Rust's parser would also accept "inf" and "NaN".
    let digits = s.trim_start_matches(['-', '+']);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'-' | b'+'))
    {
        return None;
    }
    s.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mutated documents: whenever the sliced parse accepts one, it agrees with the whole parse.
    #[test]
    fn split_parse_never_disagrees_with_the_whole_parse() {
        let mut base = String::from("product: P\nitems:\n");
        for i in 0..40 {
            base += &format!("  - id: I-{i}\n    title: 'Item {i}'\n    tasks: [a, b]\n    notes: |\n      x: y\n");
        }
        base += "ordering_log:\n  - {item: I-1}\n";
        let pieces =
            ["\n", "  - ", "- ", "#", "&a ", "*a", "\"", "'", "{", "}", "[", ":", "\t", "items:\n", "---\n", "? ", " "];
        let mut seed: u64 = 0x1234_5678_9ABC_DEF1;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let (mut accepted, mut refused) = (0, 0);
        for _ in 0..3_000 {
            let mut text = base.clone();
            for _ in 0..1 + next(3) {
                let mut at = next(text.len());
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                if next(2) == 0 {
                    text.insert_str(at, pieces[next(pieces.len())]);
                } else {
                    let end = (at + 1 + next(4)).min(text.len());
                    if text.is_char_boundary(end) {
                        text.replace_range(at..end, "");
                    }
                }
            }
            let file = SourceFile::new("m.yaml", text.as_str());
            let Some(split) = parse_split(&file, Limits::default()) else {
                refused += 1;
                continue;
            };
            accepted += 1;
            let whole = parse_whole(&file, Limits::default())
                .unwrap_or_else(|_| panic!("split accepted, whole refused:\n{text}"));
            let strip = |n: &Node| -> (Vec<Node>, Vec<Entry>) {
                let Value::Map(entries) = &n.value else { panic!("{text}") };
                let items = entries.iter().find(|e| e.key == "items").map(|e| match &e.value.value {
                    Value::Seq(items) => items.clone(),
                    _ => Vec::new(),
                });
                (items.unwrap_or_default(), entries.iter().filter(|e| e.key != "items").cloned().collect())
            };
            if strip(&split) != strip(&whole) {
                std::fs::write("/tmp/mismatch.yaml", &text).unwrap();
                let (a, b) = (strip(&split), strip(&whole));
                let i = (0..a.0.len().min(b.0.len())).find(|&i| a.0[i] != b.0[i]);
                panic!(
                    "mismatch: items {} vs {}, first diff {i:?}: {:?} vs {:?}; other equal {}",
                    a.0.len(),
                    b.0.len(),
                    i.map(|i| &a.0[i]),
                    i.map(|i| &b.0[i]),
                    a.1 == b.1
                );
            }
        }
        assert!(accepted > 100 && refused > 100, "{accepted} accepted, {refused} refused");
    }

    /// The sliced parse gives the same tree as the whole parse (the list's own end aside).
    #[test]
    fn split_parse_equals_whole_parse() {
        let mut text = String::from("# a backlog\nproduct: P\nitems:\n");
        for i in 0..300 {
            text += &format!(
                "  - id: I-{i}\n    title: \"Item {i} é\"\n    description: |\n      - not an item\n      more\n"
            );
            if i % 50 == 0 {
                text += "# a section comment\n  - {id: F-";
                text += &format!("{i}, title: flow}}\n");
            }
        }
        text += "ordering_log:\n  - {item: I-1, by: A}\n";
        let file = SourceFile::new("big.yaml", text.as_str());
        let (starts, _) = item_starts(&text).expect("plain layout");
        assert_eq!(starts.len(), 306);
        let split = parse_split(&file, Limits::default()).expect("splits");
        let whole = parse_whole(&file, Limits::default()).unwrap();
        let items = |n: &Node| match &n.get("items").unwrap().value {
            Value::Seq(items) => items.clone(),
            _ => panic!(),
        };
        let (a, b) = (items(&split), items(&whole));
        assert_eq!(a.len(), b.len());
        if let Some(i) = (0..a.len()).find(|&i| a[i] != b[i]) {
            panic!("item {i} differs:\nsplit {:?}\nwhole {:?}", a[i], b[i]);
        }
        let other = |n: &Node| match &n.value {
            Value::Map(e) => e.iter().filter(|e| e.key != "items").cloned().collect::<Vec<_>>(),
            _ => panic!(),
        };
        assert_eq!(other(&split), other(&whole));
        // An alias to an anchor in another slice: the whole parse takes over.
        let aliased = text.replace("  - id: I-299\n", "  - id: &last I-299\n").replace("I-1, by", "*last, by");
        let file = SourceFile::new("big.yaml", aliased.replace("id: I-0\n", "id: &first I-0\n") + "extra: *first\n");
        assert!(parse(&file, Limits::default()).is_ok());
        let cross = aliased.replace("  - id: I-298\n", "  - id: *first\n").replace("id: I-0\n", "id: &first I-0\n");
        let file = SourceFile::new("big.yaml", cross.as_str());
        assert!(parse_split(&file, Limits::default()).is_none());
        assert!(parse(&file, Limits::default()).is_ok());
    }

    fn parse_str(text: &str) -> Result<Node, Vec<Problem>> {
        parse(&SourceFile::new("t.yaml", text), Limits::default())
    }

    #[test]
    fn values_keep_exact_spans() {
        let text = "a: 1\nb:\n  - x y\n  - 'q'\n";
        let root = parse_str(text).unwrap();
        let b = root.get("b").unwrap();
        let Value::Seq(items) = &b.value else { panic!() };
        assert_eq!(&text[items[0].span.start..items[0].span.end], "x y");
        assert_eq!(root.get("a").unwrap().value, Value::Num(1.0));
    }

    #[test]
    fn spans_are_bytes_after_multibyte_text() {
        let text = "t: café\nn: 5\n";
        let root = parse_str(text).unwrap();
        let n = root.get("n").unwrap();
        assert_eq!(&text[n.span.start..n.span.end], "5");
    }

    #[test]
    fn duplicate_keys_and_bombs_are_errors() {
        let dup = parse_str("a: 1\na: 2\n").unwrap_err();
        assert_eq!(dup[0].code, "I0006");
        let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
        for i in 0..9 {
            let prev = if i == 0 { "a".to_string() } else { format!("l{}", i - 1) };
            bomb += &format!(
                "l{i}: &l{i} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
            );
        }
        assert_eq!(parse_str(&bomb).unwrap_err()[0].code, "I0004");
        // The scanner has its own recursion limit for flow collections; ours covers block nesting.
        let flow = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(parse_str(&flow).is_err());
        let block: String = (0..100).map(|i| format!("{}k:\n", "  ".repeat(i))).collect();
        assert_eq!(parse_str(&(block + &"  ".repeat(100) + "v: 1\n")).unwrap_err()[0].code, "I0003");
    }

    /// Plain data of a node, to compare trees without spans.
    fn plain(node: &Node) -> String {
        match &node.value {
            Value::Seq(items) => format!("[{}]", items.iter().map(plain).collect::<Vec<_>>().join(",")),
            Value::Map(entries) => format!(
                "{{{}}}",
                entries.iter().map(|e| format!("{}:{}", e.key, plain(&e.value))).collect::<Vec<_>>().join(",")
            ),
            Value::Str(s) => s.to_string(),
            Value::Num(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => "~".into(),
        }
    }

    #[test]
    fn aliases_copy_the_anchored_node_wherever_it_sits() {
        let text = "a: &A\n  b: &B [1, 2]\n  c: *B\nd: *A\ne: *B\nf: [&C x, *C, {g: &D {h: 1}, i: *D}, *D]\nj: *D\n&K k: *K\nl: [[&E [&F y]], *E, *F]\n";
        let root = parse_str(text).unwrap();
        assert_eq!(
            plain(&root),
            "{a:{b:[1,2],c:[1,2]},d:{b:[1,2],c:[1,2]},e:[1,2],f:[x,x,{g:{h:1},i:{h:1}},{h:1}],j:{h:1},k:k,l:[[[y]],[y],y]}"
        );
        // An alias inside its own anchor's node is unknown, as the anchor is not complete yet.
        assert_eq!(parse_str("a: &A [1, *A]\n").unwrap_err()[0].message, "invalid YAML: unknown alias");
        let d = parse_str("&R {a: 1}\n").unwrap();
        assert_eq!(plain(&d), "{a:1}");
    }

    #[test]
    fn aliases_of_long_text_exhaust_the_text_budget() {
        let long = "x".repeat(10_000);
        let with_aliases = |n: usize| format!("s: &s \"{long}\"\nl: [{}]\n", vec!["*s"; n].join(", "));
        let parse_with = |text: String, max_alias_bytes: usize| {
            parse(&SourceFile::new("t.yaml", text), Limits { max_alias_bytes, ..Limits::default() })
        };
        // The budget is at least twice the file's size (here just over 20 kB).
        assert!(parse_with(with_aliases(2), 0).is_ok());
        let err = parse_with(with_aliases(3), 0).unwrap_err();
        assert_eq!((err[0].code.as_str(), err[0].message.as_str()), ("I0004", "aliases expand to too much text"));
        assert!(parse_with(with_aliases(3), 30_000).is_ok());
    }

    #[test]
    fn scalars_follow_the_core_schema() {
        assert_eq!(resolve_plain("12"), Value::Num(12.0));
        assert_eq!(resolve_plain("-1.5e3"), Value::Num(-1500.0));
        assert_eq!(resolve_plain("five"), Value::Str("five".into()));
        assert_eq!(resolve_plain("2026-11-02"), Value::Str("2026-11-02".into()));
        assert_eq!(resolve_plain("inf"), Value::Str("inf".into()));
        assert_eq!(resolve_plain("~"), Value::Null);
    }
}
