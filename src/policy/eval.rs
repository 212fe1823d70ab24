//! Evaluates compiled checks over a backlog. Pure: reads the model, returns values.

use super::ast::BinaryOp;
use super::ir::*;
use crate::model::story::{self, Story};
use crate::model::{
    BACKLOG_FIELDS, Backlog, DEPENDENCY_FIELDS, FieldType, GOAL_FIELDS, ITEM_FIELDS, REORDER_FIELDS, Record,
};
use crate::text::Span;
use crate::yaml::{Node, Value};
use std::borrow::Cow;
// foldhash, randomly seeded per process: these maps are rebuilt for every check over every item,
// and SipHash was a tenth of a large run.
use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Where a value came from in the backlog: file index and span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loc {
    pub file: usize,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum Val<'a> {
    Null,
    Bool(bool),
    Num(f64),
    Text(Cow<'a, str>),
    List(Arc<[V<'a>]>),
    Rec(Rec<'a>),
}

#[derive(Clone, Copy, Debug)]
pub enum Rec<'a> {
    Backlog,
    Item(usize),
    Goal(usize),
    Reorder(usize),
    /// The parsed story of item `usize`'s title.
    Story(usize),
    /// An `allow:` entry of the backlog.
    Suppression(usize),
    /// A mapping without engine-added fields (e.g. an entry of a team's own list).
    Map(usize, &'a Node),
    /// What git says about the order over time.
    History,
    /// A link between two items.
    Dependency(usize),
}

/// A value and, when it was read from the backlog, where.
#[derive(Clone, Debug)]
pub struct V<'a> {
    pub val: Val<'a>,
    pub at: Option<Loc>,
}

impl<'a> V<'a> {
    pub fn new(val: Val<'a>) -> Self {
        V { val, at: None }
    }
    pub fn null() -> Self {
        V::new(Val::Null)
    }
    pub fn truthy(&self) -> bool {
        !matches!(self.val, Val::Null | Val::Bool(false))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Horizon {
    Near,
    Middle,
    Distant,
    Done,
}

impl Horizon {
    pub fn as_str(self) -> &'static str {
        match self {
            Horizon::Near => "near",
            Horizon::Middle => "middle",
            Horizon::Distant => "distant",
            Horizon::Done => "done",
        }
    }
}

/// Whether an item is still to be done, and if not, how it left the backlog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Open,
    Done,
    /// Closed without being done (`won't do`, archived).
    Dropped,
    /// Not yet in the backlog.
    Draft,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Done => "done",
            State::Dropped => "dropped",
            State::Draft => "draft",
        }
    }
}

/// How statuses close items: the policy's lists, and the source's own terminal status (the last of
/// Backlog.md's `statuses` in `config.yml`, which its board treats as closing).
struct Closing<'a> {
    done: &'a [String],
    dropped: &'a [String],
    terminal: Option<String>,
}

impl Closing<'_> {
    fn state(&self, item: &crate::model::Record, status: &str) -> State {
        use crate::model::Kept;
        let dropped = self.dropped.iter().any(|s| s == status);
        let done_by_name = !dropped && self.done.iter().any(|s| s == status);
        let done = done_by_name || (!dropped && self.terminal.as_deref() == Some(status));
        match item.kept {
            Kept::Draft => State::Draft,
            Kept::Completed => State::Done,
            Kept::Archived if done_by_name => State::Done,
            Kept::Archived => State::Dropped,
            Kept::Backlog if dropped => State::Dropped,
            Kept::Backlog if done => State::Done,
            Kept::Backlog => State::Open,
        }
    }
}

/// A backlog prepared for evaluation under one policy's settings.
pub struct Context<'a> {
    pub backlog: &'a Backlog,
    pub horizons: Vec<Horizon>,
    pub states: Vec<State>,
    pub product_owner: V<'a>,
    settings: &'a Settings,
    /// Each item's title parsed as a user story, on first use.
    stories: OnceLock<Vec<Story>>,
    /// Whether the story rules apply, decided once.
    story_backlog: OnceLock<bool>,
    /// Which suppressions silenced a finding; known once the other rules ran.
    pub suppression_used: Vec<bool>,
    /// For each reorder, the previous reorder of the same item, on first use.
    previous_moves: OnceLock<Vec<Option<usize>>>,
    /// The Product Owner's names and aliases, lower case; None when no Product Owner is declared.
    product_owner_names: Option<Vec<String>>,
    /// The record lists (`items`, `near`, `goals`...), built on first use and shared by every check:
    /// building `items` anew for each of the 60 checks that range over it was a tenth of a run.
    lists: [OnceLock<Arc<[V<'a>]>>; LISTS],
    /// Projections of the record lists (`items.id`, `nfc(items.id)`) by their expression's debug
    /// form, with the indexes built on them, shared by every check that reads them.
    projections: std::sync::Mutex<HashMap<Arc<str>, Projection<'a>>>,
    /// Where each item's fields sit in its mapping.
    item_fields: ItemFields,
}

/// Where each item's fields sit in its mapping, by field name number (see [`FieldName`]). Reading a
/// field is one lookup instead of a search by name through the item's entries, which each of the
/// 60 checks over items repeated: a sixth of a large run's cycles, most of them waiting on memory.
struct ItemFields {
    /// By field name number (the names known when the run began).
    by_name: Box<[Column]>,
    /// By column, by item: the index of the entry in the item's mapping, [`ABSENT`] or [`SEARCH`].
    /// One column for each name that some item has: a byte an item.
    columns: Vec<Box<[u8]>>,
}

#[derive(Clone, Copy)]
enum Column {
    /// No item has a field of this name.
    None,
    Stored(usize),
    Computed(Computed),
}

/// The item has no such field.
const ABSENT: u8 = u8::MAX;
/// The field sits beyond the entries a slot can number: search the mapping by name.
const SEARCH: u8 = u8::MAX - 1;

/// An item's field as [`Context::peek_item_field`] sees it: what its value would be.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Peek<'a> {
    Null,
    Text(&'a str),
    /// A list of this many elements.
    List(usize),
}

impl Peek<'_> {
    /// `empty(…)` of the value, as [`is_empty`] says it.
    fn is_empty(self) -> bool {
        match self {
            Peek::Null => true,
            Peek::Text(t) => blank(t),
            Peek::List(n) => n == 0,
        }
    }
}

/// Fields of an item that the engine computes rather than reads.
#[derive(Clone, Copy)]
enum Computed {
    Position,
    Horizon,
    State,
    Kept,
    Story,
}

const COMPUTED_ITEM_FIELDS: [(&str, Computed); 5] = [
    ("position", Computed::Position),
    ("horizon", Computed::Horizon),
    ("state", Computed::State),
    ("kept", Computed::Kept),
    ("story", Computed::Story),
];

struct Projection<'a> {
    value: V<'a>,
    /// By field (for `find`): each hash index built on the projection.
    indexes: Vec<(Option<String>, Arc<Index<'a>>)>,
    /// Its near-duplicate index (`similar_before(items.title, …)`): `duplicate-item`'s two checks
    /// share one.
    similarity: Option<Arc<SimilarityIndex>>,
}

/// Whether an expression projects a record list (`items.id`, `nfc(goals.id)`): worth sharing
/// between checks, and cheap to name.
fn projects_a_list(ir: &Ir) -> bool {
    match ir {
        Ir::Field(base, _) => matches!(**base, Ir::Global(_)) || projects_a_list(base),
        Ir::Call(Func::Nfc | Func::Lower | Func::Trim, args) => args.first().is_some_and(projects_a_list),
        _ => false,
    }
}

/// How many globals are record lists (see [`Context::global`]).
const LISTS: usize = 7;

impl<'a> Context<'a> {
    /// The value of a projection (see [`projects_a_list`]) from the run's shared values, computed by
    /// `compute` the first time any check asks; with its name, for the indexes built on it.
    fn shared(&self, ir: &Ir, compute: impl FnOnce() -> V<'a>) -> (V<'a>, Arc<str>) {
        let key: Arc<str> = format!("{ir:?}").into();
        if let Some(known) = self.projections().get(&key) {
            return (known.value.clone(), key);
        }
        // Computed outside the lock: a race costs a second computation, never a wait.
        let value = compute();
        let mut all = self.projections();
        let known = all.entry(key.clone()).or_insert(Projection { value, indexes: Vec::new(), similarity: None });
        (known.value.clone(), key)
    }

    /// An index of the shared projection `key`: `stored` finds it, else `build` makes it (outside the
    /// lock, as [`Context::shared`]) and `store` keeps it for the other checks.
    fn shared_index<T>(
        &self,
        key: &str,
        stored: impl Fn(&Projection<'a>) -> Option<Arc<T>>,
        store: impl FnOnce(&mut Projection<'a>, Arc<T>),
        build: impl FnOnce() -> T,
    ) -> Arc<T> {
        if let Some(known) = self.projections().get(key).and_then(&stored) {
            return known;
        }
        let built = Arc::new(build());
        let mut all = self.projections();
        let Some(projection) = all.get_mut(key) else { return built };
        stored(projection).unwrap_or_else(|| {
            store(projection, built.clone());
            built
        })
    }

    fn projections(&self) -> std::sync::MutexGuard<'_, HashMap<Arc<str>, Projection<'a>>> {
        self.projections.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn new(backlog: &'a Backlog, settings: &'a Settings) -> Self {
        let file0 = &backlog.files[0];
        let mut open_rank = 0;
        let terminal = match backlog.top.get("statuses").map(|n| &n.value) {
            Some(Value::Seq(statuses)) => statuses
                .last()
                .and_then(|n| crate::model::scalar_text(n, file0))
                .map(|t| crate::model::normal_status(&t)),
            _ => None,
        };
        let closing = Closing { done: &settings.done_statuses, dropped: &settings.dropped_statuses, terminal };
        // On every core for a large backlog: this runs between the parse and the rules, alone.
        let states: Vec<State> = crate::parallel::map(&backlog.items, 2_000, |item| {
            let status = item.text("status", &backlog.files[item.file]).unwrap_or_default();
            closing.state(item, &crate::model::normal_status(&status))
        });
        let horizons = states
            .iter()
            .map(|state| {
                if *state != State::Open {
                    return Horizon::Done;
                }
                open_rank += 1;
                if open_rank <= settings.near {
                    Horizon::Near
                } else if open_rank > settings.distant {
                    Horizon::Distant
                } else {
                    Horizon::Middle
                }
            })
            .collect();
        let product_owner = match &settings.product_owner {
            Some(po) => V::new(Val::Text(Cow::Borrowed(po.as_str()))),
            None => match backlog.top.get("product_owner") {
                Some(node) => node_value(0, node, Some(FieldType::TextOrList), file0.text.as_ref()),
                None => V::null(),
            },
        };
        let mut names: Vec<String> = match &product_owner.val {
            Val::Text(t) => vec![t.trim().to_lowercase()],
            Val::List(items) => items.iter().filter_map(text).map(|t| t.trim().to_lowercase()).collect(),
            _ => Vec::new(),
        };
        names.retain(|n| !n.is_empty());
        let product_owner_names = (!names.is_empty()).then(|| {
            names.extend(settings.product_owner_aliases.iter().cloned());
            names
        });
        let suppression_used = vec![false; backlog.suppressions.len()];
        let item_fields = ItemFields::new(backlog);
        Context {
            backlog,
            horizons,
            states,
            product_owner,
            settings,
            stories: OnceLock::new(),
            story_backlog: OnceLock::new(),
            suppression_used,
            previous_moves: OnceLock::new(),
            product_owner_names,
            lists: Default::default(),
            projections: Default::default(),
            item_fields,
        }
    }

    /// `base.name`: as [`Context::field`], an item's field found by the name's number.
    pub fn field_named(&self, base: &V<'a>, name: &FieldName) -> V<'a> {
        // A field of a list projects over its elements (`items.title`), each found by number too.
        if let Val::List(elements) = &base.val {
            return V::new(Val::List(elements.iter().map(|v| self.field_named(v, name)).collect()));
        }
        if let Val::Rec(Rec::Item(i)) = base.val
            && let Some(column) = self.item_fields.by_name.get(name.id())
        {
            let r = &self.backlog.items[i];
            let node = match (*column, &r.node.value) {
                (Column::Computed(field), _) => return self.computed_item_field(i, field),
                (Column::None, _) => return V::null(),
                (Column::Stored(c), Value::Map(entries)) => match self.item_fields.columns[c][i] {
                    ABSENT => return V::null(),
                    SEARCH => None,
                    k => entries.get(usize::from(k)).map(|e| &e.value),
                },
                (Column::Stored(_), _) => None,
            };
            if let Some(node) = node {
                return self.read_field(ITEM_FIELDS, r.file, node, name.as_str());
            }
        }
        self.field(base, name.as_str())
    }

    /// What item `i`'s field `name` is, seen without making its value (the commonest tests:
    /// `item.horizon != "done"`, `empty(item.title)`, `count(item.tasks)`); None for any other
    /// value, which [`Context::field_named`] reads.
    fn peek_item_field(&self, i: usize, name: &FieldName) -> Option<Peek<'a>> {
        let r = &self.backlog.items[i];
        match (*self.item_fields.by_name.get(name.id())?, &r.node.value) {
            (Column::Computed(Computed::Horizon), _) => Some(Peek::Text(self.horizons[i].as_str())),
            (Column::Computed(Computed::State), _) => Some(Peek::Text(self.states[i].as_str())),
            (Column::Computed(Computed::Kept), _) => Some(Peek::Text(r.kept.as_str())),
            (Column::None, _) => Some(Peek::Null),
            (Column::Stored(c), Value::Map(entries)) => match self.item_fields.columns[c][i] {
                ABSENT => Some(Peek::Null),
                SEARCH => None,
                k => match &entries.get(usize::from(k))?.value.value {
                    Value::Str(s) => Some(Peek::Text(s)),
                    Value::Null => Some(Peek::Null),
                    Value::Seq(elements) => Some(Peek::List(elements.len())),
                    _ => None,
                },
            },
            _ => None,
        }
    }

    fn computed_item_field(&self, i: usize, field: Computed) -> V<'a> {
        let r = &self.backlog.items[i];
        match field {
            Computed::Position => V::new(Val::Num(r.position as f64)),
            Computed::Horizon => V::new(Val::Text(Cow::Borrowed(self.horizons[i].as_str()))),
            Computed::State => V::new(Val::Text(Cow::Borrowed(self.states[i].as_str()))),
            Computed::Kept => V::new(Val::Text(Cow::Borrowed(r.kept.as_str()))),
            Computed::Story => V { val: Val::Rec(Rec::Story(i)), at: self.title(i).map(|(_, l)| l) },
        }
    }

    /// The value of field `name`, read from its node.
    fn read_field(&self, schema: &[(&str, FieldType)], file: usize, node: &'a Node, name: &str) -> V<'a> {
        match node {
            // A text reads the same whatever the schema says: most fields, no schema search.
            Node { value: Value::Str(s), span } => {
                V { val: Val::Text(Cow::Borrowed(s)), at: Some(Loc { file, span: *span }) }
            }
            _ => {
                let ty = schema.iter().find(|(n, _)| *n == name).map(|(_, t)| *t);
                node_value(file, node, ty, &self.backlog.files[file].text)
            }
        }
    }

    /// Whether `by`/`email` name the Product Owner (their name or an alias); None with no Product Owner.
    fn is_product_owner(&self, by: Option<&str>, email: Option<&str>) -> Option<bool> {
        let names = self.product_owner_names.as_ref()?;
        let matches =
            |v: Option<&str>| v.map(|v| v.trim().to_lowercase()).is_some_and(|v| !v.is_empty() && names.contains(&v));
        Some(matches(by) || matches(email))
    }

    fn previous_move(&self, i: usize) -> Option<usize> {
        let previous = self.previous_moves.get_or_init(|| {
            let file0 = &self.backlog.files[0];
            let mut last: HashMap<String, usize> = HashMap::new();
            (0..self.backlog.reorders.len())
                .map(|j| {
                    let item = self.backlog.reorders[j].text("item", file0)?;
                    last.insert(item, j)
                })
                .collect()
        });
        previous[i]
    }

    fn reorder_field(&self, i: usize, name: &str) -> Option<V<'a>> {
        let r = &self.backlog.reorders[i];
        let file0 = &self.backlog.files[0];
        let txt = |s: &'static str| V::new(Val::Text(Cow::Borrowed(s)));
        Some(match name {
            "by_product_owner" => {
                let (by, email) = (r.text("by", file0), r.text("email", file0));
                self.is_product_owner(by.as_deref(), email.as_deref()).map_or_else(V::null, |b| V::new(Val::Bool(b)))
            }
            "direction" => {
                let num = |f: &str| match r.get(f).map(|n| &n.value) {
                    Some(Value::Num(n)) => Some(*n),
                    _ => None,
                };
                match (num("from"), num("to")) {
                    (Some(a), Some(b)) if b < a => txt("up"),
                    (Some(a), Some(b)) if b > a => txt("down"),
                    _ => V::null(),
                }
            }
            "previous" => self.previous_move(i).map_or_else(V::null, |j| V::new(Val::Rec(Rec::Reorder(j)))),
            "origin" => match r.text("commit", file0) {
                Some(c) if c == "staged" => txt("the staged change"),
                Some(c) => V::new(Val::Text(Cow::Owned(format!("commit {}", c.get(..10).unwrap_or(&c))))),
                None => txt("the ordering log"),
            },
            _ => return None,
        })
    }

    fn history_field(&self, name: &str) -> V<'a> {
        let Some(h) = &self.backlog.history else {
            return if name == "available" { V::new(Val::Bool(false)) } else { V::null() };
        };
        let num = |n: usize| V::new(Val::Num(n as f64));
        let text = |t: &Option<String>| {
            t.as_ref().map_or_else(V::null, |t| V::new(Val::Text(Cow::Owned(t.get(..10).unwrap_or(t).to_string()))))
        };
        match name {
            "available" => V::new(Val::Bool(true)),
            "commits" => num(h.commits),
            "first_date" => text(&h.first_date),
            "last_date" => text(&h.last_date),
            "last_reorder_date" => text(&h.last_reorder_date),
            "last_reorder_commit" => text(&h.last_reorder_commit),
            "days_without_reorder" => h.days_without_reorder.map_or_else(V::null, |d| V::new(Val::Num(d as f64))),
            "added_without_reorder" => num(h.added_without_reorder),
            "shallow" => V::new(Val::Bool(h.shallow)),
            _ => V::null(),
        }
    }

    fn suppression_field(&self, i: usize, name: &str) -> V<'a> {
        let s = &self.backlog.suppressions[i];
        let text = &self.backlog.files[s.file].text;
        match name {
            "rule" => V { val: Val::Text(Cow::Borrowed(&s.rule)), at: Some(Loc { file: s.file, span: s.rule_span }) },
            "reason" => {
                let mut v = node_value(s.file, &s.reason, Some(FieldType::Text), text);
                if s.reason.span.is_empty() {
                    v.at = Some(Loc { file: s.file, span: s.rule_span });
                }
                v
            }
            "item" => match s.item {
                Some(item) => self.field(&V::new(Val::Rec(Rec::Item(item))), "id"),
                None => V::null(),
            },
            "used" => V::new(Val::Bool(self.suppression_used[i])),
            _ => V::null(),
        }
    }

    fn title(&self, item: usize) -> Option<(&'a str, Loc)> {
        let r = &self.backlog.items[item];
        let node = r.get("title")?;
        match &node.value {
            Value::Str(s) => Some((s.as_str(), Loc { file: r.file, span: node.span })),
            _ => None,
        }
    }

    fn stories(&self) -> &[Story] {
        self.stories.get_or_init(|| {
            // On every core: parsing 100,000 titles is the longest part of a story rule.
            let items: Vec<usize> = (0..self.backlog.items.len()).collect();
            crate::parallel::map(&items, 1_000, |&i| {
                self.title(i).map_or_else(Story::default, |(t, _)| story::parse(t))
            })
        })
    }

    /// Whether the story rules apply: by setting, or when at least half of the open items are stories.
    fn story_backlog(&self) -> bool {
        *self.story_backlog.get_or_init(|| self.decide_story_backlog())
    }

    fn decide_story_backlog(&self) -> bool {
        self.settings.stories.unwrap_or_else(|| {
            let open: Vec<usize> = (0..self.horizons.len()).filter(|&i| self.horizons[i] != Horizon::Done).collect();
            let stories = open.iter().filter(|&&i| self.stories()[i].is_story()).count();
            !open.is_empty() && stories * 2 >= open.len()
        })
    }

    /// One part of an item's story, pointing at its own characters in the title when the title is
    /// written as plain or simply quoted text (otherwise at the whole title).
    fn story_part(&self, item: usize, part: &str) -> V<'a> {
        let story = &self.stories()[item];
        let Some((title, loc)) = self.title(item) else { return V::null() };
        if part == "template" {
            return story
                .template
                .as_ref()
                .map_or_else(V::null, |t| V { val: Val::Text(Cow::Owned(t.clone())), at: Some(loc) });
        }
        let range = match part {
            "role" => &story.role,
            "means" => &story.means,
            "ends" => &story.ends,
            _ => &None,
        };
        let Some(range) = range.clone() else { return V::null() };
        let source = &self.backlog.files[loc.file].text;
        let written = source.get(loc.span.start..loc.span.end).unwrap_or("");
        let base = if written == title {
            Some(loc.span.start)
        } else if written.len() == title.len() + 2 && written.get(1..written.len() - 1) == Some(title) {
            Some(loc.span.start + 1)
        } else {
            None
        };
        let span = base.map_or(loc.span, |b| Span::new(b + range.start, b + range.end));
        V { val: Val::Text(Cow::Borrowed(&title[range])), at: Some(Loc { file: loc.file, span }) }
    }

    fn record(&self, rec: Rec<'a>) -> Option<&'a Record> {
        let b = self.backlog;
        match rec {
            Rec::Backlog => Some(&b.top),
            Rec::Item(i) => b.items.get(i),
            Rec::Goal(i) => b.goals.get(i),
            Rec::Reorder(i) => b.reorders.get(i),
            Rec::Story(i) => b.items.get(i),
            Rec::Dependency(i) => b.dependencies.get(i),
            Rec::Suppression(_) | Rec::Map(..) | Rec::History => None,
        }
    }

    /// Where a finding about this value points when the value itself is missing.
    pub fn anchor(&self, v: &V<'a>) -> Option<Loc> {
        match v.val {
            Val::Rec(Rec::Suppression(i)) => {
                let s = &self.backlog.suppressions[i];
                Some(Loc { file: s.file, span: s.rule_span })
            }
            Val::Rec(Rec::Map(file, node)) => Some(Loc { file, span: node.span }),
            Val::Rec(rec) => self.record(rec).map(|r| Loc { file: r.file, span: r.anchor }),
            _ => v.at,
        }
    }

    pub fn global(&self, g: Global) -> V<'a> {
        let b = self.backlog;
        let list = |slot: usize, f: &dyn Fn(usize) -> bool, make: fn(usize) -> Rec<'a>, n: usize| -> V<'a> {
            let all =
                self.lists[slot].get_or_init(|| (0..n).filter(|&i| f(i)).map(|i| V::new(Val::Rec(make(i)))).collect());
            V::new(Val::List(all.clone()))
        };
        match g {
            Global::Backlog => V::new(Val::Rec(Rec::Backlog)),
            Global::Items => list(0, &|_| true, Rec::Item, b.items.len()),
            Global::Near => list(1, &|i| self.horizons[i] == Horizon::Near, Rec::Item, b.items.len()),
            Global::Distant => list(2, &|i| self.horizons[i] == Horizon::Distant, Rec::Item, b.items.len()),
            Global::Goals => list(3, &|_| true, Rec::Goal, b.goals.len()),
            Global::Reorders => list(4, &|_| true, Rec::Reorder, b.reorders.len()),
            Global::ProductOwner => self.product_owner.clone(),
            Global::StoryBacklog => V::new(Val::Bool(self.story_backlog())),
            Global::SourceFormat => V::new(Val::Text(Cow::Borrowed(b.format.name))),
            Global::FormatPlaces => {
                V::new(Val::List(b.format.places.iter().map(|p| V::new(Val::Text(Cow::Borrowed(*p)))).collect()))
            }
            Global::ExplicitOrder => V::new(Val::Bool(b.explicit_order)),
            Global::Suppressions => list(5, &|_| true, Rec::Suppression, b.suppressions.len()),
            Global::History => V::new(Val::Rec(Rec::History)),
            Global::Dependencies => list(6, &|_| true, Rec::Dependency, b.dependencies.len()),
        }
    }

    fn field(&self, base: &V<'a>, name: &str) -> V<'a> {
        match &base.val {
            Val::Rec(rec) => {
                let (schema, file, node): (&[(&str, FieldType)], usize, &'a Node) = match *rec {
                    Rec::Map(file, node) => (&[], file, node),
                    Rec::Item(i) => {
                        let r = &self.backlog.items[i];
                        match COMPUTED_ITEM_FIELDS.iter().find(|(n, _)| *n == name) {
                            Some((_, computed)) => return self.computed_item_field(i, *computed),
                            None => (ITEM_FIELDS, r.file, &r.node),
                        }
                    }
                    Rec::Story(i) => return self.story_part(i, name),
                    Rec::Suppression(i) => return self.suppression_field(i, name),
                    Rec::History => return self.history_field(name),
                    Rec::Goal(_) | Rec::Reorder(_) | Rec::Dependency(_) | Rec::Backlog => {
                        let r = self.record(*rec).expect("record exists");
                        // The backlog's lists live in the records, not in its tree.
                        let list = match name {
                            "items" => Some(Global::Items),
                            "product_goals" => Some(Global::Goals),
                            "ordering_log" => Some(Global::Reorders),
                            _ => None,
                        };
                        if let (Rec::Backlog, Some(global), Some(node)) = (rec, list, r.node.get(name)) {
                            let mut v = self.global(global);
                            if global == Global::Reorders
                                && let Val::List(all) = &v.val
                            {
                                // The file's own log: not the moves that came from git alone.
                                let logged: Vec<V<'a>> = all
                                    .iter()
                                    .filter(|e| !matches!(e.val, Val::Rec(Rec::Reorder(i)) if !self.backlog.reorders[i].in_file))
                                    .cloned()
                                    .collect();
                                v = V::new(Val::List(logged.into()));
                            }
                            v.at = Some(Loc { file: r.file, span: node.span });
                            return v;
                        }
                        if name == "position" && !matches!(rec, Rec::Backlog) {
                            return V::new(Val::Num(r.position as f64));
                        }
                        if let Rec::Reorder(i) = rec
                            && let Some(v) = self.reorder_field(*i, name)
                        {
                            return v;
                        }
                        let schema = match rec {
                            Rec::Goal(_) => GOAL_FIELDS,
                            Rec::Reorder(_) => REORDER_FIELDS,
                            Rec::Dependency(_) => DEPENDENCY_FIELDS,
                            _ => BACKLOG_FIELDS,
                        };
                        (schema, r.file, &r.node)
                    }
                };
                match node.get(name) {
                    Some(child) => self.read_field(schema, file, child, name),
                    None => V::null(),
                }
            }
            // A field of a list projects over its elements: `goals.id`.
            Val::List(items) => V::new(Val::List(items.iter().map(|v| self.field(v, name)).collect())),
            _ => V::null(),
        }
    }
}

impl ItemFields {
    fn new(backlog: &Backlog) -> ItemFields {
        let names = FieldName::known();
        let mut by_name = vec![Column::None; names.len()];
        for (name, field) in COMPUTED_ITEM_FIELDS {
            if let Some(&id) = names.get(name) {
                by_name[id as usize] = Column::Computed(field);
            }
        }
        let stored: HashMap<&str, usize> = names
            .iter()
            .filter(|(_, id)| matches!(by_name[**id as usize], Column::None))
            .map(|(name, id)| (name.as_str(), *id as usize))
            .collect();
        // Each run of items is read on its own core into columns of its own (by name number), then
        // the runs are joined: this pass over every item runs between the parse and the rules.
        let n = backlog.items.len();
        let per = n.div_ceil(crate::parallel::workers()).max(2_000);
        let runs = crate::parallel::runs(0..n, per);
        let parts = crate::parallel::map(&runs, 2, |run| {
            let mut local: Vec<(usize, Box<[u8]>)> = Vec::new();
            let mut column_of = vec![usize::MAX; by_name.len()];
            for (i, item) in backlog.items[run.clone()].iter().enumerate() {
                let Value::Map(entries) = &item.node.value else { continue };
                for (k, entry) in entries.iter().enumerate() {
                    let Some(&id) = stored.get(entry.key.as_str()) else { continue };
                    if column_of[id] == usize::MAX {
                        column_of[id] = local.len();
                        local.push((id, vec![ABSENT; run.len()].into()));
                    }
                    let c = column_of[id];
                    // The first of two equal keys, as `Node::get` finds.
                    if local[c].1[i] == ABSENT {
                        local[c].1[i] = u8::try_from(k).ok().filter(|&k| k < SEARCH).unwrap_or(SEARCH);
                    }
                }
            }
            local
        });
        let mut columns: Vec<Box<[u8]>> = Vec::new();
        for (run, local) in runs.iter().zip(parts) {
            for (id, part) in local {
                let c = match by_name[id] {
                    Column::Stored(c) => c,
                    _ => {
                        columns.push(vec![ABSENT; n].into());
                        by_name[id] = Column::Stored(columns.len() - 1);
                        columns.len() - 1
                    }
                };
                columns[c][run.clone()].copy_from_slice(&part);
            }
        }
        ItemFields { by_name: by_name.into(), columns }
    }
}

/// Reads a node as a value. Text-typed fields read numbers as written (`id: 101` is "101").
pub fn node_value<'a>(file: usize, node: &'a Node, ty: Option<FieldType>, text: &'a str) -> V<'a> {
    let at = Some(Loc { file, span: node.span });
    let as_text = matches!(ty, Some(FieldType::Text | FieldType::TextList | FieldType::TextOrList));
    let val = match &node.value {
        Value::Null => Val::Null,
        Value::Bool(_) | Value::Num(_) if as_text => {
            Val::Text(Cow::Borrowed(text.get(node.span.start..node.span.end).unwrap_or("")))
        }
        Value::Bool(b) => Val::Bool(*b),
        Value::Num(n) => Val::Num(*n),
        Value::Str(s) => Val::Text(Cow::Borrowed(s)),
        Value::Seq(items) => {
            let elem = if as_text { Some(FieldType::Text) } else { None };
            Val::List(items.iter().map(|n| node_value(file, n, elem, text)).collect())
        }
        Value::Map(_) => Val::Rec(Rec::Map(file, node)),
    };
    V { val, at }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key<'a> {
    Null,
    Bool(bool),
    Num(u64),
    Text(Cow<'a, str>),
}

fn key<'a>(v: &V<'a>) -> Option<Key<'a>> {
    Some(match &v.val {
        Val::Null => Key::Null,
        Val::Bool(b) => Key::Bool(*b),
        // Normalise -0.0 so that it finds 0.
        Val::Num(n) => Key::Num((n + 0.0).to_bits()),
        Val::Text(t) => Key::Text(t.clone()),
        _ => return None,
    })
}

/// Values of one check's loop-invariant subexpressions, with hash indexes built on first lookup.
/// A clone shares the lists and every index built on them (reference-counted).
#[derive(Clone)]
pub struct Cache<'a> {
    values: Vec<Option<V<'a>>>,
    /// By slot: the name of the slot's value among the run's shared projections, when it is one.
    shared: Vec<Option<Arc<str>>>,
    /// By slot: each field's index of the slot's list.
    indexes: Vec<Vec<(Option<String>, Arc<Index<'a>>)>>,
    /// By slot: how often each value occurs in the slot's list (`occurrences`). Shared, like the
    /// indexes, by the copies a large run makes of a warmed cache, one per part of the items.
    counts: HashMap<usize, Arc<HashMap<Key<'a>, usize>>>,
    similarity: HashMap<usize, Arc<SimilarityIndex>>,
    graphs: HashMap<(usize, Vec<String>), Arc<LinkGraph>>,
}

impl<'a> Cache<'a> {
    pub fn new(slots: usize) -> Self {
        Cache {
            values: vec![None; slots],
            shared: vec![None; slots],
            indexes: Vec::new(),
            counts: HashMap::new(),
            similarity: HashMap::new(),
            graphs: HashMap::new(),
        }
    }
}

/// Near-duplicate lookup over a list of texts, linear in practice: exact matches of the normalised
/// text by hash, near matches only among elements of a size that can be similar enough and that
/// share one of the rarer words (size-aware prefix filtering, as in AllPairs and PPJoin). Words are
/// interned as numbers, so ranking and comparing them is integer work.
pub struct SimilarityIndex {
    /// Each element's words, as sorted unique word numbers.
    tokens: Vec<Vec<u32>>,
    /// Each element's words as a 64-bit set of `word % 64`: a word whose bit another element lacks
    /// is not among its words, which bounds their similarity before comparing them word by word.
    masks: Vec<u64>,
    /// First position of each normalised text.
    exact: HashMap<Vec<u32>, usize>,
    /// Positions of the elements holding each word: word `w`'s are `positions[starts[w]..starts[w + 1]]`,
    /// by number of words, then ascending.
    positions: Vec<u32>,
    starts: Vec<usize>,
    /// The numbers of words that elements have, ascending (without 0).
    sizes: Vec<usize>,
    /// Each element's answer for the first threshold asked (0: not yet, 1: none, p + 2: p):
    /// `duplicate-item` asks for one item up to six times (filter, condition, two checks).
    answers: OnceLock<(u64, Vec<AtomicUsize>)>,
}

/// Most candidates taken from each list of positions and verified for one lookup, so titles made
/// of common words cannot make the lookup linear (and the rule quadratic). The earliest candidates
/// come first; a near duplicate beyond them can go unreported.
const MAX_CANDIDATES: usize = 128;

/// The fewest words two texts of `a` and `b` words must share for their Jaccard similarity to reach
/// `threshold`, computed as [`story::jaccard`] computes it (so that rounding agrees); at least one.
/// None when even `min(a, b)` shared words are too few.
fn required_overlap(a: usize, b: usize, threshold: f64) -> Option<usize> {
    let reaches = |o: usize| o as f64 / (a + b - o) as f64 >= threshold;
    let most = a.min(b);
    // o / (a + b - o) >= t  <=>  o >= t (a + b) / (1 + t); the estimate is corrected by the test itself.
    let mut o = ((threshold * (a + b) as f64) / (1.0 + threshold)).ceil().clamp(1.0, most as f64) as usize;
    while o > 1 && reaches(o - 1) {
        o -= 1;
    }
    while o <= most && !reaches(o) {
        o += 1;
    }
    (o <= most).then_some(o)
}

impl SimilarityIndex {
    fn new(items: &[V]) -> Self {
        // Splitting and normalising the words is most of the work: on every core, in order; only
        // numbering them is sequential.
        let words: Vec<String> = crate::parallel::map(items, 1_000, |v| match &v.val {
            Val::Text(t) => story::meaningful_words(t),
            _ => String::new(),
        });
        let mut ids: HashMap<&str, u32> = HashMap::new();
        let tokens: Vec<Vec<u32>> = words
            .iter()
            .map(|words| {
                // Each word is followed by one space and holds no whitespace (`meaningful_words`):
                // splitting at ASCII whitespace gives the words, without a search for the space.
                let mut numbers: Vec<u32> = words
                    .split_ascii_whitespace()
                    .map(|w| {
                        let next = ids.len() as u32;
                        *ids.entry(w).or_insert(next)
                    })
                    .collect();
                numbers.sort_unstable();
                numbers.dedup();
                numbers
            })
            .collect();
        // Each word's positions in one array, filled by number of words, then position.
        let mut starts = vec![0; ids.len() + 1];
        for &w in tokens.iter().flatten() {
            starts[w as usize + 1] += 1;
        }
        for w in 0..ids.len() {
            starts[w + 1] += starts[w];
        }
        let mut by_size: Vec<u32> = (0..tokens.len() as u32).collect();
        by_size.sort_by_key(|&p| tokens[p as usize].len());
        let mut next = starts.clone();
        let mut positions = vec![0; starts[ids.len()]];
        for p in by_size {
            for &w in &tokens[p as usize] {
                positions[next[w as usize]] = p;
                next[w as usize] += 1;
            }
        }
        let mut sizes: Vec<usize> = tokens.iter().map(Vec::len).filter(|&n| n > 0).collect();
        sizes.sort_unstable();
        sizes.dedup();
        let mut exact = HashMap::new();
        for (i, t) in tokens.iter().enumerate().filter(|(_, t)| !t.is_empty()) {
            exact.entry(t.clone()).or_insert(i);
        }
        let masks = tokens.iter().map(|t| t.iter().fold(0, |m, &w| m | 1u64 << (w % 64))).collect();
        SimilarityIndex { tokens, masks, exact, positions, starts, sizes, answers: OnceLock::new() }
    }

    /// The positions of the elements holding word `w`.
    fn postings(&self, w: u32) -> &[u32] {
        &self.positions[self.starts[w as usize]..self.starts[w as usize + 1]]
    }

    /// The first element before `at` (0-based) at least `threshold` similar to it.
    fn first_similar_before(&self, at: usize, threshold: f64) -> Option<usize> {
        let (asked, answers) = self
            .answers
            .get_or_init(|| (threshold.to_bits(), (0..self.tokens.len()).map(|_| AtomicUsize::new(0)).collect()));
        let Some(answer) = answers.get(at).filter(|_| *asked == threshold.to_bits()) else {
            return self.look_up(at, threshold, MAX_CANDIDATES);
        };
        match answer.load(Ordering::Relaxed) {
            0 => {
                let found = self.look_up(at, threshold, MAX_CANDIDATES);
                answer.store(found.map_or(1, |p| p + 2), Ordering::Relaxed);
                found
            }
            1 => None,
            p => Some(p - 2),
        }
    }

    fn look_up(&self, at: usize, threshold: f64, most_candidates: usize) -> Option<usize> {
        let mine = self.tokens.get(at)?;
        if mine.is_empty() {
            return None;
        }
        let mut best = self.exact.get(mine).copied().filter(|&first| first < at);
        if threshold >= 1.0 {
            return best;
        }
        let mut by_rarity: Vec<u32> = mine.clone();
        by_rarity.sort_unstable_by_key(|&w| (self.postings(w).len(), w));
        // A text of `b` words sharing at least `o` of A's words holds one of A's |A| - o + 1 rarest:
        // for each size that can reach the threshold, only those words' elements of that size are
        // candidates. Titles of one shape ("Export orders (case 12)") then have a single rare word
        // to look up, not every element sharing a common one.
        let mut lists: Vec<&[u32]> = Vec::new();
        let size = |p: &u32| self.tokens[*p as usize].len();
        for &b in &self.sizes {
            let Some(overlap) = required_overlap(mine.len(), b, threshold) else { continue };
            for &w in &by_rarity[..mine.len() - overlap + 1] {
                let postings = self.postings(w);
                let of_size =
                    &postings[postings.partition_point(|p| size(p) < b)..postings.partition_point(|p| size(p) <= b)];
                let before = &of_size[..of_size.partition_point(|&p| (p as usize) < at).min(most_candidates)];
                if !before.is_empty() {
                    lists.push(before);
                }
            }
        }
        // The lists' candidates merged in ascending order without duplicates and verified as they
        // come: the first similar one ends the lookup, so most lookups neither collect nor sort them.
        // Every list holding `c` moves past it at once (a list holds a position once).
        for _ in 0..most_candidates {
            let Some(c) = lists.iter().filter_map(|l| l.first().copied()).min() else { break };
            for l in &mut lists {
                if l.first() == Some(&c) {
                    *l = &l[1..];
                }
            }
            let c = c as usize;
            if best.is_some_and(|b| b <= c) {
                break;
            }
            // At most `shared` words in common: Jaccard is at most shared / (|A| + |B| - shared).
            // Below the threshold, the word-by-word comparison cannot reach it either.
            let theirs = &self.tokens[c];
            let shared = mine.iter().filter(|&&w| self.masks[c] & (1u64 << (w % 64)) != 0).count();
            if (shared as f64) / ((mine.len() + theirs.len() - shared) as f64) < threshold {
                continue;
            }
            if story::jaccard(mine, theirs) >= threshold {
                best = Some(c);
                break;
            }
        }
        best
    }
}

/// The graph of a list of links (records with `from`, `to` and `type`), restricted to some types,
/// with its strongly connected components: an id is on a cycle exactly when its component has
/// more than one id, or a link to itself.
pub struct LinkGraph {
    ids: HashMap<String, usize>,
    names: Vec<String>,
    next: Vec<Vec<usize>>,
    component: Vec<usize>,
    component_size: Vec<usize>,
}

impl LinkGraph {
    fn new<'a>(cx: &Context<'a>, links: &[V<'a>], types: &[String]) -> Self {
        let mut g = LinkGraph {
            ids: HashMap::new(),
            names: Vec::new(),
            next: Vec::new(),
            component: Vec::new(),
            component_size: Vec::new(),
        };
        for link in links {
            let kind = text(&cx.field(link, "type"));
            if !kind.is_some_and(|k| types.iter().any(|t| *t == *k)) {
                continue;
            }
            let (Some(from), Some(to)) = (text(&cx.field(link, "from")), text(&cx.field(link, "to"))) else { continue };
            let (a, b) = (g.node(&from), g.node(&to));
            g.next[a].push(b);
        }
        for edges in &mut g.next {
            edges.sort_unstable();
            edges.dedup();
        }
        g.components();
        g
    }

    fn node(&mut self, id: &str) -> usize {
        if let Some(&n) = self.ids.get(id) {
            return n;
        }
        self.ids.insert(id.to_string(), self.names.len());
        self.names.push(id.to_string());
        self.next.push(Vec::new());
        self.names.len() - 1
    }

    /// Tarjan's algorithm without recursion, so a long chain of links cannot overflow the stack.
    fn components(&mut self) {
        let n = self.names.len();
        let (mut index, mut low, mut on_stack) = (vec![usize::MAX; n], vec![0; n], vec![false; n]);
        let (mut stack, mut counter) = (Vec::new(), 0);
        self.component = vec![usize::MAX; n];
        for root in 0..n {
            if index[root] != usize::MAX {
                continue;
            }
            let mut work: Vec<(usize, usize)> = vec![(root, 0)];
            while let Some(&mut (v, ref mut edge)) = work.last_mut() {
                if *edge == 0 && index[v] == usize::MAX {
                    index[v] = counter;
                    low[v] = counter;
                    counter += 1;
                    stack.push(v);
                    on_stack[v] = true;
                }
                if let Some(&w) = self.next[v].get(*edge) {
                    *edge += 1;
                    if index[w] == usize::MAX {
                        work.push((w, 0));
                    } else if on_stack[w] {
                        low[v] = low[v].min(index[w]);
                    }
                    continue;
                }
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    let id = self.component_size.len();
                    let mut size = 0;
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        self.component[w] = id;
                        size += 1;
                        if w == v {
                            break;
                        }
                    }
                    self.component_size.push(size);
                }
            }
        }
    }

    /// The shortest cycle through `id`, as ids starting at the smallest one (so that every id of
    /// one cycle names it the same way), or None.
    fn cycle_through(&self, id: &str) -> Option<Vec<String>> {
        let &start = self.ids.get(id)?;
        let c = self.component[start];
        if self.component_size[c] == 1 && !self.next[start].contains(&start) {
            return None;
        }
        // Breadth-first inside the component, back to the start.
        let mut came_from: HashMap<usize, usize> = HashMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut end = None;
        'search: while let Some(v) = queue.pop_front() {
            for &w in &self.next[v] {
                if w == start {
                    end = Some(v);
                    break 'search;
                }
                if self.component[w] == c && !came_from.contains_key(&w) {
                    came_from.insert(w, v);
                    queue.push_back(w);
                }
            }
        }
        let mut path = vec![end?];
        while let Some(&p) = came_from.get(path.last()?) {
            path.push(p);
        }
        if *path.last()? != start {
            path.push(start);
        }
        path.reverse();
        let mut names: Vec<String> = path.iter().map(|&n| self.names[n].clone()).collect();
        let smallest = (0..names.len()).min_by(|&a, &b| names[a].cmp(&names[b]))?;
        names.rotate_left(smallest);
        Some(names)
    }
}

pub fn eval<'a>(cx: &Context<'a>, ir: &'a Ir, var: &V<'a>, cache: &mut Cache<'a>) -> V<'a> {
    match ir {
        Ir::Const(c) => V::new(const_val(c)),
        Ir::Var => var.clone(),
        Ir::Global(g) => cx.global(*g),
        Ir::Cached(slot, inner) => {
            if let Some(v) = &cache.values[*slot] {
                return v.clone();
            }
            fill_slot(cx, *slot, inner, var, cache)
        }
        // `item.title`, the commonest expression: the subject is read, not copied.
        Ir::Field(base, name) if matches!(**base, Ir::Var) => cx.field_named(var, name),
        Ir::Field(base, name) => {
            let base = eval(cx, base, var, cache);
            cx.field_named(&base, name)
        }
        Ir::Not(e) => V::new(Val::Bool(!holds(cx, e, var, cache))),
        Ir::Binary(op, l, r) => binary(cx, *op, l, r, var, cache),
        Ir::Call(f, args) => call(cx, *f, args, var, cache),
        _ => eval_rest(cx, ir, var, cache),
    }
}

/// Whether `ir` holds: `eval(…).truthy()`, without making a value for `and`, `or`, `not` and the
/// comparison with a text, the commonest nodes of filters and conditions.
pub fn holds<'a>(cx: &Context<'a>, ir: &'a Ir, var: &V<'a>, cache: &mut Cache<'a>) -> bool {
    match ir {
        Ir::Binary(BinaryOp::And, l, r) => holds(cx, l, var, cache) && holds(cx, r, var, cache),
        Ir::Binary(BinaryOp::Or, l, r) => holds(cx, l, var, cache) || holds(cx, r, var, cache),
        Ir::Not(e) => !holds(cx, e, var, cache),
        Ir::Cached(slot, inner) => match &cache.values[*slot] {
            Some(v) => v.truthy(),
            None => fill_slot(cx, *slot, inner, var, cache).truthy(),
        },
        // An item's field is asked in place, the commonest case (`empty(item.title)`).
        Ir::Call(f @ (Func::Empty | Func::Exists), args) => match peek_subject_field(cx, &args[0], var) {
            Some(peek) if *f == Func::Empty => peek.is_empty(),
            Some(peek) => peek != Peek::Null,
            None => eval(cx, ir, var, cache).truthy(),
        },
        Ir::Binary(op @ (BinaryOp::Eq | BinaryOp::Ne), l, r) => match &**r {
            Ir::Const(Const::Text(t)) => equals_text(cx, *op, l, t, var, cache),
            _ => eval(cx, ir, var, cache).truthy(),
        },
        _ => eval(cx, ir, var, cache).truthy(),
    }
}

/// `empty(v)`: null, a blank text or an empty list.
fn is_empty(v: &Val) -> bool {
    match v {
        Val::Null => true,
        Val::Text(t) => blank(t),
        Val::List(items) => items.is_empty(),
        _ => false,
    }
}

/// Whether a text is empty or only whitespace (`t.trim().is_empty()`, which trims both ends first):
/// `empty(…)` asks it of most titles, ids and goals, which start with a letter.
fn blank(t: &str) -> bool {
    t.chars().all(char::is_whitespace)
}

/// What `ir` is, when it is a field of the subject item that [`Context::peek_item_field`] sees.
fn peek_subject_field<'a>(cx: &Context<'a>, ir: &Ir, var: &V<'a>) -> Option<Peek<'a>> {
    match (ir, &var.val) {
        (Ir::Field(base, name), Val::Rec(Rec::Item(i))) if matches!(**base, Ir::Var) => cx.peek_item_field(*i, name),
        _ => None,
    }
}

/// `x == "text"` (or `!=`, as `op` says), the commonest comparison (`item.horizon != "done"`): the
/// policy's text is compared as written, without making a value of it.
fn equals_text<'a>(cx: &Context<'a>, op: BinaryOp, l: &'a Ir, t: &str, var: &V<'a>, cache: &mut Cache<'a>) -> bool {
    if let Some(peek) = peek_subject_field(cx, l, var) {
        return (peek == Peek::Text(t)) == (op == BinaryOp::Eq);
    }
    let lv = eval(cx, l, var, cache);
    matches!(&lv.val, Val::Text(x) if x == t) == (op == BinaryOp::Eq)
}

/// Computes a cache slot's value the first time the check reads it.
#[inline(never)]
fn fill_slot<'a>(cx: &Context<'a>, slot: usize, inner: &'a Ir, var: &V<'a>, cache: &mut Cache<'a>) -> V<'a> {
    let v = if projects_a_list(inner) {
        let (v, key) = cx.shared(inner, || eval(cx, inner, var, cache));
        cache.shared[slot] = Some(key);
        v
    } else {
        eval(cx, inner, var, cache)
    };
    cache.values[slot] = Some(v.clone());
    v
}

/// The rarer expressions, out of [`eval`] so that its frame stays small.
#[inline(never)]
fn eval_rest<'a>(cx: &Context<'a>, ir: &'a Ir, var: &V<'a>, cache: &mut Cache<'a>) -> V<'a> {
    match ir {
        Ir::Index(base, index) => {
            let b = eval(cx, base, var, cache);
            let i = eval(cx, index, var, cache);
            match (&b.val, &i.val) {
                (Val::List(items), Val::Num(n)) if *n >= 0.0 && n.fract() == 0.0 => {
                    items.get(*n as usize).cloned().unwrap_or_else(V::null)
                }
                (Val::Rec(_), Val::Text(t)) => {
                    let name = t.to_string();
                    cx.field(&b, &name)
                }
                _ => V::null(),
            }
        }
        Ir::Neg(e) => match eval(cx, e, var, cache).val {
            Val::Num(n) => V::new(Val::Num(-n)),
            _ => V::null(),
        },
        Ir::Matches(e, re) => match eval(cx, e, var, cache).val {
            Val::Text(t) => V::new(Val::Bool(re.is_match(&t))),
            _ => V::new(Val::Bool(false)),
        },
        Ir::CountMatching(e, re) => {
            let n = match eval(cx, e, var, cache).val {
                Val::List(items) => items.iter().filter(|i| matches!(&i.val, Val::Text(t) if re.is_match(t))).count(),
                Val::Text(t) => usize::from(re.is_match(&t)),
                _ => 0,
            };
            V::new(Val::Num(n as f64))
        }
        Ir::List(items) => V::new(Val::List(items.iter().map(|i| eval(cx, i, var, cache)).collect())),
        Ir::Template(parts) => V::new(Val::Text(Cow::Owned(render(cx, parts, var, cache)))),
        _ => unreachable!("evaluated by `eval`"),
    }
}

fn const_val<'a>(c: &'a Const) -> Val<'a> {
    match c {
        Const::Null => Val::Null,
        Const::Bool(b) => Val::Bool(*b),
        Const::Num(n) => Val::Num(*n),
        Const::Text(t) => Val::Text(Cow::Borrowed(t.as_str())),
        Const::List(items) => Val::List(items.iter().map(|i| V::new(const_val(i))).collect()),
    }
}

/// The 0-based position of `needle` in a cached list (by field, for `find`), through a hash index.
fn indexed<'a>(
    cx: &Context<'a>,
    slot: usize,
    field: Option<&str>,
    needle: &V<'a>,
    cache: &mut Cache<'a>,
) -> Option<usize> {
    if cache.indexes.len() <= slot {
        cache.indexes.resize_with(slot + 1, Vec::new);
    }
    // Found by slot and field without hashing or allocating: a check has a few indexes at most.
    let known = cache.indexes[slot].iter().position(|(f, _)| f.as_deref() == field);
    let at = known.unwrap_or_else(|| {
        let build = || {
            let mut index = Index::default();
            if let Some(Some(V { val: Val::List(items), .. })) = cache.values.get(slot) {
                index.texts.reserve(items.len());
                for (i, item) in items.iter().enumerate() {
                    let v = match field {
                        Some(f) => cx.field(item, f),
                        None => item.clone(),
                    };
                    match &v.val {
                        Val::Text(t) => {
                            index.texts.entry(t.clone()).or_insert(i);
                        }
                        _ => {
                            if let Some(k) = key(&v) {
                                index.others.entry(k).or_insert(i);
                            }
                        }
                    }
                }
            }
            index
        };
        let index = match &cache.shared[slot] {
            Some(key) => cx.shared_index(
                key,
                |p| p.indexes.iter().find(|(f, _)| f.as_deref() == field).map(|(_, i)| i.clone()),
                |p, index| p.indexes.push((field.map(str::to_string), index)),
                build,
            ),
            None => Arc::new(build()),
        };
        cache.indexes[slot].push((field.map(str::to_string), index));
        cache.indexes[slot].len() - 1
    });
    let index = &cache.indexes[slot][at].1;
    match &needle.val {
        Val::Text(t) => index.texts.get(&**t).copied(),
        _ => index.others.get(&key(needle)?).copied(),
    }
}

/// A hash index of a cached list: texts apart, so that a lookup borrows the needle.
#[derive(Default)]
struct Index<'a> {
    texts: HashMap<Cow<'a, str>, usize>,
    others: HashMap<Key<'a>, usize>,
}

/// Evaluates a list argument; a cached list returns its slot so lookups can use an index.
fn list_arg<'a>(cx: &Context<'a>, ir: &'a Ir, var: &V<'a>, cache: &mut Cache<'a>) -> (V<'a>, Option<usize>) {
    let v = eval(cx, ir, var, cache);
    let slot = match ir {
        Ir::Cached(slot, _) if matches!(v.val, Val::List(_)) => Some(*slot),
        _ => None,
    };
    (v, slot)
}

fn position<'a>(cx: &Context<'a>, list: &'a Ir, needle: &V<'a>, var: &V<'a>, cache: &mut Cache<'a>) -> Option<usize> {
    let (haystack, slot) = list_arg(cx, list, var, cache);
    if let Some(slot) = slot {
        return indexed(cx, slot, None, needle, cache);
    }
    match &haystack.val {
        Val::List(items) => items.iter().position(|i| equal(i, needle)),
        _ => None,
    }
}

// Kept out of `eval`: inlined, their locals made every evaluation pay for a large stack frame.
#[inline(never)]
fn binary<'a>(cx: &Context<'a>, op: BinaryOp, l: &'a Ir, r: &'a Ir, var: &V<'a>, cache: &mut Cache<'a>) -> V<'a> {
    use BinaryOp::*;
    let b = |x: bool| V::new(Val::Bool(x));
    match op {
        And => return b(holds(cx, l, var, cache) && holds(cx, r, var, cache)),
        Or => return b(holds(cx, l, var, cache) || holds(cx, r, var, cache)),
        In | NotIn => {
            let needle = eval(cx, l, var, cache);
            let (hay, slot) = list_arg(cx, r, var, cache);
            let found = match (&hay.val, &needle.val) {
                (Val::Text(h), Val::Text(n)) => h.contains(n.as_ref()),
                (Val::List(items), _) => match slot {
                    Some(slot) => indexed(cx, slot, None, &needle, cache).is_some(),
                    None => items.iter().any(|i| equal(i, &needle)),
                },
                _ => false,
            };
            return b(found == (op == In));
        }
        _ => {}
    }
    if let (Eq | Ne, Ir::Const(Const::Text(t))) = (op, r) {
        return b(equals_text(cx, op, l, t, var, cache));
    }
    let lv = eval(cx, l, var, cache);
    // A constant operand (`… != null`, `count(…) > 0`, `position - 1`) is read where it is written.
    let rv = match r {
        Ir::Const(c) => V::new(const_val(c)),
        _ => eval(cx, r, var, cache),
    };
    match op {
        Eq => b(equal(&lv, &rv)),
        Ne => b(!equal(&lv, &rv)),
        Lt | Le | Gt | Ge => {
            let ord = match (&lv.val, &rv.val) {
                (Val::Num(a), Val::Num(c)) => a.partial_cmp(c),
                (Val::Text(a), Val::Text(c)) => Some(a.cmp(c)),
                _ => None,
            };
            b(ord.is_some_and(|o| match op {
                Lt => o.is_lt(),
                Le => o.is_le(),
                Gt => o.is_gt(),
                _ => o.is_ge(),
            }))
        }
        _ => match (&lv.val, &rv.val) {
            (Val::Num(a), Val::Num(c)) => V::new(match op {
                Add => Val::Num(a + c),
                Sub => Val::Num(a - c),
                Mul => Val::Num(a * c),
                Div if *c != 0.0 => Val::Num(a / c),
                Rem if *c != 0.0 => Val::Num(a % c),
                _ => Val::Null,
            }),
            (Val::Text(a), Val::Text(c)) if op == Add => V::new(Val::Text(Cow::Owned(format!("{a}{c}")))),
            _ => V::null(),
        },
    }
}

pub fn equal(a: &V, b: &V) -> bool {
    match (&a.val, &b.val) {
        (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Text(x), Val::Text(y)) => x == y,
        (Val::List(x), Val::List(y)) => x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equal(p, q)),
        _ => false,
    }
}

fn text<'a>(v: &V<'a>) -> Option<Cow<'a, str>> {
    match &v.val {
        Val::Text(t) => Some(t.clone()),
        _ => None,
    }
}

/// Texts in Unicode normalisation form C: texts that look the same compare equal ("é" written as one
/// character or as "e" and a combining accent). Elements of a list keep where they were written.
fn nfc<'a>(v: &V<'a>) -> V<'a> {
    use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};
    match &v.val {
        // ASCII (most ids) is always in NFC.
        Val::Text(t) if !t.is_ascii() && is_nfc_quick(t.chars()) != IsNormalized::Yes => {
            V { val: Val::Text(Cow::Owned(t.nfc().collect())), at: v.at }
        }
        Val::List(items) => V { val: Val::List(items.iter().map(nfc).collect()), at: v.at },
        _ => v.clone(),
    }
}

// Kept out of `eval`: inlined, their locals made every evaluation pay for a large stack frame.
#[inline(never)]
fn call<'a>(cx: &Context<'a>, f: Func, args: &'a [Ir], var: &V<'a>, cache: &mut Cache<'a>) -> V<'a> {
    let num = |n: usize| V::new(Val::Num(n as f64));
    let bool_ = |x: bool| V::new(Val::Bool(x));
    let txt = |s: String| V::new(Val::Text(Cow::Owned(s)));
    match f {
        // `count(item.tasks)`: the length of the item's list, without making it.
        Func::Count => match peek_subject_field(cx, &args[0], var) {
            Some(Peek::Null) => return num(0),
            Some(Peek::Text(_)) => return num(1),
            Some(Peek::List(n)) => return num(n),
            None => {}
        },
        Func::PositionOf => {
            let needle = eval(cx, &args[1], var, cache);
            return position(cx, &args[0], &needle, var, cache).map_or_else(V::null, |p| num(p + 1));
        }
        Func::Find => {
            let field = match &args[1] {
                Ir::Const(Const::Text(t)) => t.as_str(),
                _ => return V::null(),
            };
            let needle = eval(cx, &args[2], var, cache);
            let (list, slot) = list_arg(cx, &args[0], var, cache);
            let Val::List(items) = &list.val else { return V::null() };
            let found = match slot {
                Some(slot) => indexed(cx, slot, Some(field), &needle, cache),
                None => items.iter().position(|i| equal(&cx.field(i, field), &needle)),
            };
            return found.map_or_else(V::null, |i| items[i].clone());
        }
        Func::Occurrences => {
            let needle = eval(cx, &args[1], var, cache);
            let (list, slot) = list_arg(cx, &args[0], var, cache);
            let Val::List(items) = &list.val else { return num(0) };
            let Some(slot) = slot else { return num(items.iter().filter(|i| equal(i, &needle)).count()) };
            let counts = cache.counts.entry(slot).or_insert_with(|| {
                let mut counts = HashMap::new();
                for k in items.iter().filter_map(key) {
                    *counts.entry(k).or_insert(0) += 1;
                }
                Arc::new(counts)
            });
            return num(key(&needle).and_then(|k| counts.get(&k).copied()).unwrap_or(0));
        }
        Func::Cycle => {
            let Some(id) = text(&eval(cx, &args[1], var, cache)) else { return V::null() };
            let types: Vec<String> = match eval(cx, &args[2], var, cache).val {
                Val::List(t) => t.iter().filter_map(text).map(Cow::into_owned).collect(),
                _ => Vec::new(),
            };
            let (list, slot) = list_arg(cx, &args[0], var, cache);
            let Val::List(links) = &list.val else { return V::null() };
            let graph = match slot {
                Some(slot) => cache
                    .graphs
                    .entry((slot, types.clone()))
                    .or_insert_with(|| Arc::new(LinkGraph::new(cx, links, &types)))
                    .clone(),
                None => Arc::new(LinkGraph::new(cx, links, &types)),
            };
            return graph.cycle_through(&id).map_or_else(V::null, |ids| {
                V::new(Val::List(ids.into_iter().map(|t| V::new(Val::Text(Cow::Owned(t)))).collect()))
            });
        }
        Func::SimilarBefore => {
            let position = eval(cx, &args[1], var, cache);
            let threshold = eval(cx, &args[2], var, cache);
            let (Val::Num(position), Val::Num(threshold)) = (position.val, threshold.val) else { return V::null() };
            if position < 1.0 || position.fract() != 0.0 {
                return V::null();
            }
            let answer = |index: &SimilarityIndex| {
                index
                    .first_similar_before(position as usize - 1, threshold.clamp(0.0, 1.0))
                    .map_or_else(V::null, |p| num(p + 1))
            };
            // Once the index is built, the list is not asked again.
            if let Ir::Cached(slot, _) = &args[0]
                && let Some(index) = cache.similarity.get(slot)
            {
                return answer(index);
            }
            let (list, slot) = list_arg(cx, &args[0], var, cache);
            let Val::List(items) = &list.val else { return V::null() };
            let index = match slot {
                Some(slot) => match cache.similarity.get(&slot) {
                    Some(index) => index.clone(),
                    None => {
                        let build = || SimilarityIndex::new(items);
                        let index = match &cache.shared[slot] {
                            Some(key) => {
                                cx.shared_index(key, |p| p.similarity.clone(), |p, i| p.similarity = Some(i), build)
                            }
                            None => Arc::new(build()),
                        };
                        cache.similarity.insert(slot, index.clone());
                        index
                    }
                },
                None => Arc::new(SimilarityIndex::new(items)),
            };
            return answer(&index);
        }
        _ => {}
    }
    // At most three arguments (the checker knows each function's arity): no allocation per call.
    debug_assert!(args.len() <= 3);
    let mut a: [V<'a>; 3] = [V::null(), V::null(), V::null()];
    for (value, x) in a.iter_mut().zip(args) {
        *value = eval(cx, x, var, cache);
    }
    match f {
        Func::Exists => bool_(!matches!(a[0].val, Val::Null)),
        Func::Empty => bool_(is_empty(&a[0].val)),
        Func::Count => num(match &a[0].val {
            Val::List(items) => items.len(),
            Val::Null => 0,
            _ => 1,
        }),
        Func::Len => match &a[0].val {
            Val::Text(t) => num(t.chars().count()),
            Val::List(items) => num(items.len()),
            _ => V::null(),
        },
        Func::Words => num(text(&a[0]).map_or(0, |t| crate::text::word_count(&t))),
        // A text already in the case asked for is kept as it is, without a copy (most types, statuses
        // and labels are lower case).
        Func::Lower => text(&a[0]).map_or_else(V::null, |t| {
            if t.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) {
                txt(t.to_lowercase())
            } else {
                V::new(Val::Text(t))
            }
        }),
        Func::Upper => text(&a[0]).map_or_else(V::null, |t| txt(t.to_uppercase())),
        Func::Nfc => nfc(&a[0]),
        Func::Trim => text(&a[0]).map_or_else(V::null, |t| txt(t.trim().to_string())),
        Func::Contains => bool_(match (&a[0].val, &a[1].val) {
            (Val::Text(h), Val::Text(n)) => h.contains(n.as_ref()),
            (Val::List(items), _) => items.iter().any(|i| equal(i, &a[1])),
            _ => false,
        }),
        Func::StartsWith | Func::EndsWith => bool_(match (text(&a[0]), text(&a[1])) {
            (Some(h), Some(n)) if f == Func::StartsWith => h.starts_with(n.as_ref()),
            (Some(h), Some(n)) => h.ends_with(n.as_ref()),
            _ => false,
        }),
        Func::Distinct => match &a[0].val {
            Val::List(items) => {
                let mut seen = std::collections::HashSet::new();
                let mut out = Vec::new();
                for item in items.iter() {
                    if key(item).is_none_or(|k| seen.insert(k)) {
                        out.push(item.clone());
                    }
                }
                V::new(Val::List(out.into()))
            }
            _ => a[0].clone(),
        },
        Func::Join => match (&a[0].val, text(&a[1])) {
            (Val::List(items), Some(sep)) => txt(items.iter().map(display).collect::<Vec<_>>().join(&sep)),
            _ => V::null(),
        },
        Func::Share => match &a[0].val {
            Val::List(items) if !items.is_empty() => {
                V::new(Val::Num(items.iter().filter(|i| i.truthy()).count() as f64 / items.len() as f64))
            }
            _ => num(0),
        },
        Func::Round => match a[0].val {
            Val::Num(n) => V::new(Val::Num(n.round())),
            _ => V::null(),
        },
        Func::MostCommon => match &a[0].val {
            Val::List(items) => {
                let mut counts: HashMap<Key<'a>, usize> = HashMap::new();
                let mut best: Option<(usize, usize)> = None;
                for (i, item) in items.iter().enumerate() {
                    if matches!(item.val, Val::Null) {
                        continue;
                    }
                    let Some(k) = key(item) else { continue };
                    let n = counts.entry(k).or_insert(0);
                    *n += 1;
                    // Ties go to the value that reached the top count first.
                    if best.is_none_or(|(_, top)| *n > top) {
                        best = Some((i, *n));
                    }
                }
                best.map_or_else(V::null, |(i, _)| items[i].clone())
            }
            _ => V::null(),
        },
        Func::DaysBetween => match (text(&a[0]), text(&a[1])) {
            (Some(x), Some(y)) => {
                crate::date::days_between(&x, &y).map_or_else(V::null, |d| V::new(Val::Num(d as f64)))
            }
            _ => V::null(),
        },
        Func::Section => match (text(&a[0]), text(&a[1])) {
            (Some(t), Some(h)) => crate::model::sections::section_text(&t, &h)
                .map_or_else(V::null, |s| V { val: Val::Text(Cow::Owned(s.to_string())), at: a[0].at }),
            _ => V::null(),
        },
        Func::Recent => match (&a[0].val, &a[1].val) {
            (Val::List(items), Val::Num(days)) => {
                let day = |v: &V<'a>| text(&cx.field(v, "date")).and_then(|d| crate::date::day_number(&d));
                let days_of: Vec<Option<i64>> = items.iter().map(day).collect();
                match days_of.iter().flatten().max() {
                    Some(&latest) => V::new(Val::List(
                        items
                            .iter()
                            .zip(&days_of)
                            .filter(|(_, d)| d.is_some_and(|d| (latest - d) as f64 <= *days))
                            .map(|(v, _)| v.clone())
                            .collect(),
                    )),
                    None => V::new(Val::List(Vec::new().into())),
                }
            }
            _ => V::null(),
        },
        Func::Matches
        | Func::CountMatching
        | Func::PositionOf
        | Func::Find
        | Func::Occurrences
        | Func::SimilarBefore
        | Func::Cycle => unreachable!("handled above"),
    }
}

/// How a value reads inside a message.
pub fn display(v: &V) -> String {
    match &v.val {
        Val::Null => "none".into(),
        Val::Bool(b) => b.to_string(),
        Val::Num(n) => super::ir::format_number(*n),
        Val::Text(t) => t.to_string(),
        Val::List(items) => items.iter().map(display).collect::<Vec<_>>().join(", "),
        Val::Rec(_) => "a record".into(),
    }
}

/// Longest interpolated value in a finding's message, label or help, in characters.
const MAX_VALUE_CHARS: usize = 500;
/// Longest message, label or help of a finding, in characters.
const MAX_MESSAGE_CHARS: usize = 2_000;

/// Appends how `v` reads inside a message, stopping once `out` holds `max_bytes` or more.
fn display_into(v: &V, out: &mut String, max_bytes: usize) {
    match &v.val {
        Val::Text(t) => {
            let mut end = max_bytes.saturating_sub(out.len()).min(t.len());
            while !t.is_char_boundary(end) {
                end -= 1;
            }
            out.push_str(&t[..end]);
        }
        Val::List(items) => {
            for (i, item) in items.iter().enumerate() {
                if out.len() >= max_bytes {
                    break;
                }
                if i > 0 {
                    out.push_str(", ");
                }
                display_into(item, out, max_bytes);
            }
        }
        _ => out.push_str(&display(v)),
    }
}

/// `text` cut to at most `max` characters, the last one "…" when anything was cut.
fn cut(mut text: String, max: usize) -> String {
    if let Some((at, _)) = text.char_indices().nth(max) {
        let keep = text[..at].char_indices().next_back().map_or(0, |(i, _)| i);
        text.truncate(keep);
        text.push('…');
    }
    text
}

/// Renders a finding's message, label or help. Each value and the whole text are cut (ending in
/// "…"), so a long list or text in the backlog cannot make a finding, or the output, huge.
pub fn render_message<'a>(cx: &Context<'a>, parts: &'a [IrPart], var: &V<'a>, cache: &mut Cache<'a>) -> String {
    // A character takes at most 4 bytes: this many bytes always show whether the text is too long.
    let bytes_for = |chars: usize| (chars + 1) * 4;
    let mut out = String::new();
    for p in parts {
        if out.len() >= bytes_for(MAX_MESSAGE_CHARS) {
            break;
        }
        match p {
            IrPart::Text(t) => out.push_str(t),
            IrPart::Expr(e) => {
                let mut value = String::new();
                display_into(&eval(cx, e, var, cache), &mut value, bytes_for(MAX_VALUE_CHARS));
                out.push_str(&cut(value, MAX_VALUE_CHARS));
            }
        }
    }
    cut(out, MAX_MESSAGE_CHARS)
}

pub fn render<'a>(cx: &Context<'a>, parts: &'a [IrPart], var: &V<'a>, cache: &mut Cache<'a>) -> String {
    let mut out = String::new();
    for p in parts {
        match p {
            IrPart::Text(t) => out.push_str(t),
            IrPart::Expr(e) => out.push_str(&display(&eval(cx, e, var, cache))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    /// Reading an item's field by its name's number finds what the search by name finds: fields
    /// stored, computed, missing, beyond the entries a slot can number, and named only after the
    /// run began.
    #[test]
    fn a_field_read_by_number_is_the_field_found_by_name() {
        use super::{Context, FieldName, Rec, V, Val};
        use crate::policy::ast::BinaryOp;
        use crate::policy::ir::{Const, Func, Ir};
        let wide: String = (0..300).map(|k| format!("f{k}: {k}, ")).collect();
        let text = format!(
            "items:\n  - {{id: A-1, title: Refund a ticket, estimate: 3, labels: [x, y], rank: 2}}\n  - {{{wide}id: A-2, title: Wide}}\n  - {{id: A-3, extra: {{a: 1}}, depends_on: [A-1]}}\n  - {{id: A-4, title: '  ', labels: [], rank: , f3: done}}\n"
        );
        let file = crate::text::SourceFile::new("b.yaml", text);
        let backlog =
            crate::model::Backlog::from_yaml(file.clone(), crate::yaml::parse(&file, Default::default()).unwrap())
                .unwrap();
        let names = [
            "id",
            "title",
            "estimate",
            "labels",
            "rank",
            "extra",
            "depends_on",
            "f3",
            "f299",
            "missing",
            "position",
            "horizon",
            "state",
            "kept",
            "story",
        ];
        let named: Vec<FieldName> = names.iter().map(|n| FieldName::new(n.to_string())).collect();
        // For each field: `count(item.f)`, `empty(item.f)`, `exists(item.f)`, `item.f == "…"` and
        // `item.f != "…"`.
        let tests_of = |name: &FieldName| {
            let field = || Box::new(Ir::Field(Box::new(Ir::Var), name.clone()));
            let mut tests = vec![
                Ir::Call(Func::Count, vec![*field()]),
                Ir::Call(Func::Empty, vec![*field()]),
                Ir::Call(Func::Exists, vec![*field()]),
            ];
            for op in [BinaryOp::Eq, BinaryOp::Ne] {
                for t in ["A-1", "Wide", "  ", "done", "2", "near", ""] {
                    tests.push(Ir::Binary(op, field(), Box::new(Ir::Const(Const::Text(t.into())))));
                }
            }
            (name.as_str().to_string(), tests)
        };
        let mut tests: std::collections::HashMap<String, Vec<Ir>> = named.iter().map(tests_of).collect();
        let settings = crate::policy::ir::Settings::default();
        let cx = Context::new(&backlog, &settings);
        let late = FieldName::new("named after the run began".to_string());
        let (name, late_tests) = tests_of(&late);
        tests.insert(name, late_tests);
        assert!(late.id() >= cx.item_fields.by_name.len());
        for i in 0..backlog.items.len() {
            let item = V::new(Val::Rec(Rec::Item(i)));
            for name in named.iter().chain([&late]) {
                let value = cx.field_named(&item, name);
                assert_eq!(
                    format!("{value:?}"),
                    format!("{:?}", cx.field(&item, name.as_str())),
                    "item {i}, field {name:?}"
                );
                // A text read in place (the tests `empty`, `exists`, `== "…"` and `!= "…"`) is the value.
                if let Some(peek) = cx.peek_item_field(i, name) {
                    match (&value.val, peek) {
                        (Val::Text(t), super::Peek::Text(u)) => assert_eq!(t, u),
                        (Val::List(l), super::Peek::List(n)) => assert_eq!(l.len(), n),
                        (Val::Null, super::Peek::Null) => {}
                        other => panic!("item {i}, field {name:?}: {other:?}"),
                    }
                }
                let mut cache = super::Cache::new(0);
                // `count(item.f)` as the value says.
                let count = match &value.val {
                    Val::List(l) => l.len(),
                    Val::Null => 0,
                    _ => 1,
                };
                let counted = super::eval(&cx, &tests[name.as_str()][0], &item, &mut cache);
                assert!(
                    matches!(counted.val, Val::Num(n) if n == count as f64),
                    "item {i}, count({name:?}): {counted:?}"
                );
                for test in &tests[name.as_str()][1..] {
                    let generic = match test {
                        Ir::Binary(op, _, t) => {
                            let Ir::Const(Const::Text(t)) = &**t else { unreachable!() };
                            matches!(&value.val, Val::Text(x) if x == t) == (*op == BinaryOp::Eq)
                        }
                        // `eval` asks `call`, which makes the value first.
                        _ => super::eval(&cx, test, &item, &mut cache).truthy(),
                    };
                    assert_eq!(super::holds(&cx, test, &item, &mut cache), generic, "item {i}: {test:?}");
                }
            }
        }
        // A projection over the item list reads each element the same way.
        let all = cx.global(crate::policy::ir::Global::Items);
        for name in &named {
            assert_eq!(format!("{:?}", cx.field_named(&all, name)), format!("{:?}", cx.field(&all, name.as_str())));
        }
        // The wide item's last fields sit beyond what a slot numbers, and are still found.
        let f299 = cx.field_named(&V::new(Val::Rec(Rec::Item(1))), &named[8]);
        assert!(matches!(f299.val, Val::Num(n) if n == 299.0), "{f299:?}");
    }

    /// `blank` is `trim().is_empty()`, Unicode whitespace included.
    #[test]
    fn blank_is_trimmed_to_nothing() {
        for t in ["", " ", "\t\n\r", "\u{2003}\u{a0}", "x", " x ", "\u{a0}x", "x\u{2003}", "\u{200b}"] {
            assert_eq!(super::blank(t), t.trim().is_empty(), "{t:?}");
        }
    }

    /// The lookup before size filtering (prefix words by total rarity, each word's first 128
    /// earlier elements, the first 128 of them verified).
    fn by_words_alone(index: &super::SimilarityIndex, at: usize, threshold: f64) -> Option<usize> {
        let mine = index.tokens.get(at)?;
        if mine.is_empty() {
            return None;
        }
        let mut best = index.exact.get(mine).copied().filter(|&first| first < at);
        if threshold >= 1.0 {
            return best;
        }
        let mut by_rarity: Vec<u32> = mine.clone();
        by_rarity.sort_unstable_by_key(|&w| (index.postings(w).len(), w));
        let prefix = mine.len() - (threshold * mine.len() as f64).ceil() as usize + 1;
        let mut candidates: Vec<usize> = by_rarity
            .iter()
            .take(prefix.min(mine.len()))
            .flat_map(|&w| {
                let mut earlier: Vec<usize> =
                    index.postings(w).iter().map(|&p| p as usize).filter(|&p| p < at).collect();
                earlier.sort_unstable();
                earlier.truncate(super::MAX_CANDIDATES);
                earlier
            })
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        for &c in candidates.iter().take(super::MAX_CANDIDATES) {
            if best.is_some_and(|b| b <= c) {
                break;
            }
            if crate::model::story::jaccard(mine, &index.tokens[c]) >= threshold {
                best = Some(c);
                break;
            }
        }
        best
    }

    /// Every earlier element compared.
    fn every_pair(index: &super::SimilarityIndex, at: usize, threshold: f64) -> Option<usize> {
        let mine = index.tokens.get(at).filter(|t| !t.is_empty())?;
        (0..at).find(|&c| crate::model::story::jaccard(mine, &index.tokens[c]) >= threshold)
    }

    #[test]
    fn the_size_filtered_lookup_finds_the_first_similar_element() {
        // Repetitive titles of 0 to 7 words from few words (long lists of positions, more than 128
        // candidates), with exact and near repeats.
        let words = ["refund", "ticket", "ferry", "pier", "departure", "senior", "fare", "card", "sailing", "pass"];
        let mut next = crate::history::tests::xorshift(42);
        let titles: Vec<String> = (0..3_000)
            .map(|i| {
                let n = if i % 97 == 0 { 0 } else { 1 + next(7) };
                (0..n).map(|_| words[next(words.len())]).collect::<Vec<_>>().join(" ")
            })
            .collect();
        let items: Vec<super::V> =
            titles.iter().map(|t| super::V::new(super::Val::Text(std::borrow::Cow::Borrowed(t.as_str())))).collect();
        let index = super::SimilarityIndex::new(&items);
        let (mut found, mut more) = (0, 0);
        for threshold in [0.3, 0.5, 0.8, 0.9, 1.0] {
            for at in 0..titles.len() {
                // Without the bound on candidates, exactly the first similar element.
                let first = every_pair(&index, at, threshold);
                assert_eq!(index.look_up(at, threshold, usize::MAX), first, "at {at}, threshold {threshold}");
                // With it, what the lookup by words alone found or an earlier similar element (its
                // candidates were cut short sooner), and only similar elements.
                let bounded = index.look_up(at, threshold, super::MAX_CANDIDATES);
                let before = by_words_alone(&index, at, threshold);
                if let Some(b) = before {
                    assert!(bounded.is_some_and(|c| c <= b), "at {at}, threshold {threshold}: {bounded:?}, {b}");
                }
                if let Some(c) = bounded {
                    assert!(c < at && crate::model::story::jaccard(&index.tokens[at], &index.tokens[c]) >= threshold);
                }
                found += usize::from(first.is_some());
                more += usize::from(bounded.is_some() && (before.is_none() || bounded < before));
            }
        }
        assert!(found > 5_000, "the comparison covers lookups that find something ({found})");
        assert!(more > 0, "the bound on candidates cut the lookup by words alone short");
    }

    #[test]
    fn the_required_overlap_is_the_fewest_shared_words_that_reach_the_threshold() {
        for threshold in [0.0, 0.1, 0.3, 0.5, 0.6, 0.75, 0.8, 0.9, 1.0] {
            for a in 1..40 {
                for b in 1..40 {
                    let reaches = |o: usize| o as f64 / (a + b - o) as f64 >= threshold;
                    let fewest = (1..=a.min(b)).find(|&o| reaches(o));
                    assert_eq!(super::required_overlap(a, b, threshold), fewest, "{a} and {b} words at {threshold}");
                }
            }
        }
    }

    use super::*;

    #[test]
    fn long_values_are_cut_on_character_boundaries() {
        assert_eq!(cut("abc".into(), 3), "abc");
        assert_eq!(cut("abcd".into(), 3), "ab…");
        assert_eq!(cut("éééé".into(), 3), "éé…");
        let list = V::new(Val::List((0..10_000).map(|_| V::new(Val::Text(Cow::Borrowed("ü")))).collect()));
        let mut out = String::new();
        display_into(&list, &mut out, 100);
        assert!(out.len() < 110 && out.starts_with("ü, ü"), "{out}");
        let long = V::new(Val::Text(Cow::Borrowed("日本語のテキスト")));
        let mut out = String::new();
        display_into(&long, &mut out, 7);
        assert_eq!(out, "日本");
    }
}
