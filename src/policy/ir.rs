//! The checked, resolved form of a policy that the engine runs. Names are resolved, options are
//! constants, regexes are compiled, and loop-invariant subexpressions are marked for caching.

use super::ast::{BinaryOp, Mode};
use crate::diag::Level;
use crate::text::{SourceFile, Span};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

#[derive(Clone, Debug, PartialEq)]
pub enum Const {
    Null,
    Bool(bool),
    Num(f64),
    Text(String),
    List(Vec<Const>),
}

impl Const {
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Const::Text(t) => Some(t),
            _ => None,
        }
    }
    pub fn describe(&self) -> String {
        match self {
            Const::Null => "null".into(),
            Const::Bool(b) => b.to_string(),
            Const::Num(n) => format_number(*n),
            Const::Text(t) => format!("\"{t}\""),
            Const::List(items) => format!("[{}]", items.iter().map(Const::describe).collect::<Vec<_>>().join(", ")),
        }
    }
}

/// The largest compiled regex we accept; the `regex` crate guarantees linear-time matching.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A regular expression of a policy. A team's patterns are compiled when the policy is checked, so
/// a bad one is a policy problem. The built-in rules' patterns are compiled on first use instead:
/// compiling them all was most of a small run's start-up, and many never run (story rules on a
/// backlog without stories, patterns over fields a backlog does not use). Every built-in pattern
/// is compiled by the tests (`policy::tests::builtin_patterns_compile`), so first use cannot fail.
///
/// Shared by every copy, so that a pattern compiles once; behind a pointer, so that the
/// expression nodes that hold one stay small.
#[derive(Clone)]
pub struct Pattern(Arc<PatternParts>);

struct PatternParts {
    source: String,
    compiled: std::sync::OnceLock<regex::Regex>,
    /// The same pattern with ASCII classes and ASCII case folding, for texts that are ASCII (most
    /// titles, statuses and names). On such a text it matches exactly what the Unicode pattern
    /// matches, and it compiles in a fraction of the time: Unicode `\b`, `\w` and `\W` were most of
    /// a small run's start-up. None when the pattern could mean more than its ASCII reading (see
    /// [`crate::ascii`]).
    ascii: std::sync::OnceLock<Option<Arc<crate::ascii::Matcher>>>,
}

/// The source alone: whether the pattern was compiled yet is no part of what it means (debug forms
/// of expressions are keys of shared values, see `Context::shared`).
impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Pattern").field(&self.0.source).finish()
    }
}

impl Pattern {
    pub fn build(source: &str) -> Result<regex::Regex, regex::Error> {
        regex::RegexBuilder::new(source).size_limit(REGEX_SIZE_LIMIT).build()
    }

    /// An already compiled pattern.
    pub fn compiled(source: &str, regex: regex::Regex) -> Pattern {
        Pattern(Arc::new(PatternParts {
            source: source.to_string(),
            compiled: regex.into(),
            ascii: std::sync::OnceLock::new(),
        }))
    }

    /// A pattern compiled on first use; only for patterns the tests compile (the built-in rules).
    pub fn deferred(source: &str) -> Pattern {
        Pattern(Arc::new(PatternParts {
            source: source.to_string(),
            compiled: std::sync::OnceLock::new(),
            ascii: std::sync::OnceLock::new(),
        }))
    }

    pub fn source(&self) -> &str {
        &self.0.source
    }

    pub fn regex(&self) -> &regex::Regex {
        self.0.compiled.get_or_init(|| shared(&self.0.source))
    }

    pub fn is_match(&self, text: &str) -> bool {
        if text.is_ascii()
            && let Some(ascii) = self.0.ascii.get_or_init(|| shared_ascii(&self.0.source))
        {
            return ascii.is_match(text);
        }
        self.regex().is_match(text)
    }
}

/// A built-in pattern compiled once per process: a rule often tests one option in two checks
/// (`vague-title`'s pattern is a condition and a filter), and compiling it is the dearest part of a
/// small run.
fn shared(source: &str) -> regex::Regex {
    static COMPILED: Compiled<regex::Regex> = LazyLock::new(Mutex::default);
    once_per_process(&COMPILED, source, |source| {
        Pattern::build(source).unwrap_or_else(|e| panic!("built-in pattern `{source}`: {e}"))
    })
}

/// [`crate::ascii::matcher`], once per process for each pattern, with one pool of caches.
fn shared_ascii(source: &str) -> Option<Arc<crate::ascii::Matcher>> {
    static COMPILED: Compiled<Option<Arc<crate::ascii::Matcher>>> = LazyLock::new(Mutex::default);
    once_per_process(&COMPILED, source, |source| crate::ascii::matcher(source, REGEX_SIZE_LIMIT).map(Arc::new))
}

type Compiled<T> = LazyLock<Mutex<HashMap<String, T>>>;

/// `build(source)` kept in `cache`, built the first time it is asked for. Built outside the lock,
/// so two cores never wait on each other's pattern.
fn once_per_process<T: Clone>(cache: &Mutex<HashMap<String, T>>, source: &str, build: impl FnOnce(&str) -> T) -> T {
    let known = cache.lock().unwrap_or_else(PoisonError::into_inner).get(source).cloned();
    known.unwrap_or_else(|| {
        let built = build(source);
        cache.lock().unwrap_or_else(PoisonError::into_inner).entry(source.to_string()).or_insert(built).clone()
    })
}

/// A field name of a policy, with its number among the field names this process has seen: an
/// evaluation finds an item's field by that number (see `Context::field_named`) instead of
/// searching the item's mapping by name.
#[derive(Clone)]
pub struct FieldName {
    text: String,
    id: u32,
}

/// The debug form of the name alone, as a `String`'s: debug forms of expressions are keys of
/// shared values (see `Context::shared`).
impl std::fmt::Debug for FieldName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.text.fmt(f)
    }
}

static FIELD_NAMES: LazyLock<Mutex<HashMap<String, u32>>> = LazyLock::new(Mutex::default);

impl FieldName {
    pub fn new(text: String) -> FieldName {
        let mut names = FIELD_NAMES.lock().unwrap_or_else(PoisonError::into_inner);
        let id = match names.get(&text) {
            Some(&id) => id,
            None => {
                let id = names.len() as u32;
                names.insert(text.clone(), id);
                id
            }
        };
        FieldName { text, id }
    }
    pub fn as_str(&self) -> &str {
        &self.text
    }
    pub fn id(&self) -> usize {
        self.id as usize
    }
    /// Every field name seen so far, with its number.
    pub fn known() -> HashMap<String, u32> {
        FIELD_NAMES.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Global {
    Backlog,
    Items,
    Near,
    Distant,
    Goals,
    Reorders,
    ProductOwner,
    StoryBacklog,
    /// The name of the backlog's format (`native YAML`, `Backlog.md`, `Jira CSV`).
    SourceFormat,
    /// The backlog-wide fields its format has a place for.
    FormatPlaces,
    /// Whether the team maintains the order (not only creation order).
    ExplicitOrder,
    Suppressions,
    History,
    Dependencies,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    Exists,
    Empty,
    Count,
    Len,
    Words,
    Lower,
    Upper,
    Nfc,
    Trim,
    Contains,
    Matches,
    StartsWith,
    EndsWith,
    Distinct,
    Find,
    PositionOf,
    Join,
    Occurrences,
    CountMatching,
    Share,
    SimilarBefore,
    Round,
    MostCommon,
    DaysBetween,
    Recent,
    /// `cycle(links, id, types)`: the shortest cycle through `id` over the links of those types.
    Cycle,
    /// `section(text, heading)`: the content under a Markdown heading.
    Section,
}

/// A tag byte of its own: without it the tag hides in a niche of a variant's text, and telling the
/// variants apart, the interpreter's commonest step, cost 1% more instructions.
#[derive(Clone, Debug)]
#[repr(u8)]
pub enum Ir {
    Const(Const),
    /// The check's loop variable.
    Var,
    Global(Global),
    Field(Box<Ir>, FieldName),
    Index(Box<Ir>, Box<Ir>),
    Call(Func, Vec<Ir>),
    Matches(Box<Ir>, Pattern),
    /// `count_matching(list, pattern)`, with the pattern compiled once.
    CountMatching(Box<Ir>, Pattern),
    Not(Box<Ir>),
    Neg(Box<Ir>),
    Binary(BinaryOp, Box<Ir>, Box<Ir>),
    List(Vec<Ir>),
    Template(Vec<IrPart>),
    /// Does not depend on the loop variable: computed once per check and backlog, in cache `slot`.
    Cached(usize, Box<Ir>),
}

impl Ir {
    /// Whether this expression or any part of it satisfies `pred`.
    pub fn any(&self, pred: &impl Fn(&Ir) -> bool) -> bool {
        if pred(self) {
            return true;
        }
        match self {
            Ir::Const(_) | Ir::Var | Ir::Global(_) => false,
            Ir::Field(e, _)
            | Ir::Not(e)
            | Ir::Neg(e)
            | Ir::Matches(e, _)
            | Ir::CountMatching(e, _)
            | Ir::Cached(_, e) => e.any(pred),
            Ir::Index(a, b) | Ir::Binary(_, a, b) => a.any(pred) || b.any(pred),
            Ir::Call(_, args) | Ir::List(args) => args.iter().any(|a| a.any(pred)),
            Ir::Template(parts) => parts.iter().any(|p| matches!(p, IrPart::Expr(e) if e.any(pred))),
        }
    }
}

impl CompiledCheck {
    /// Every expression of the check.
    pub fn expressions(&self) -> impl Iterator<Item = &Ir> {
        let range = match &self.range {
            IrRange::Each(ir) => Some(ir),
            IrRange::Backlog => None,
        };
        let parts =
            [Some(&self.message), self.label.as_ref(), self.help.as_ref()].into_iter().flatten().flatten().filter_map(
                |p| match p {
                    IrPart::Expr(e) => Some(e),
                    IrPart::Text(_) => None,
                },
            );
        range.into_iter().chain(self.filter.as_ref()).chain([&self.condition]).chain(self.at.as_ref()).chain(parts)
    }
}

#[derive(Clone, Debug)]
pub enum IrPart {
    Text(String),
    Expr(Ir),
}

#[derive(Clone, Debug)]
pub enum IrRange {
    Backlog,
    Each(Ir),
}

#[derive(Clone, Debug)]
pub struct CompiledCheck {
    /// Reports set-up notices rather than findings (`severity notice`).
    pub notice: bool,
    pub range: IrRange,
    pub filter: Option<Ir>,
    pub mode: Mode,
    pub condition: Ir,
    pub at: Option<Ir>,
    pub message: Vec<IrPart>,
    pub label: Option<Vec<IrPart>>,
    pub help: Option<Vec<IrPart>>,
    pub severity: Option<Level>,
    pub cache_slots: usize,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Explanation {
    pub what: String,
    pub why: String,
    pub fix: String,
    pub example: String,
}

#[derive(Clone, Debug)]
pub struct CompiledRule {
    pub name: String,
    pub group: String,
    pub severity: Level,
    pub enabled: bool,
    pub summary: String,
    pub help: Option<String>,
    pub explanation: Option<Explanation>,
    pub options: Vec<(String, Const)>,
    pub checks: Vec<CompiledCheck>,
    /// The policy file that defines the rule, and where.
    pub file: SourceFile,
    pub span: Span,
    pub builtin: bool,
    /// A policy's `configure … { severity = … }` replaces each check's own severity too.
    pub severity_configured: bool,
    /// A policy changed an option, so the checks were compiled again with the new value.
    pub options_configured: bool,
}

/// Where a setting's value came from, for `--show-policy` style reporting.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub product_owner: Option<String>,
    /// Other names and email addresses of the Product Owner (lower case), for git and log authors.
    pub product_owner_aliases: Vec<String>,
    pub near: usize,
    pub distant: usize,
    pub fail_on: Level,
    pub done_statuses: Vec<String>,
    /// Statuses that close an item without doing it (lower case); also closed, never "done".
    pub dropped_statuses: Vec<String>,
    /// Whether the story rules apply: `Some(on/off)`, or `None` to decide from the backlog.
    pub stories: Option<bool>,
    /// The Product Goal for backlogs that declare none (Backlog.md), and how it is linked.
    pub product_goal: Option<String>,
    pub goal_milestone: Option<String>,
    pub goal_measure: Option<String>,
    pub goal_target: Option<String>,
    /// Concepts for formats with no place for them (Backlog.md, Jira CSV, beads): the backlog takes
    /// them when it does not say them itself.
    pub optimizing_for: Option<String>,
    pub definition_of_done: Vec<String>,
    /// The column (a Jira CSV header) that names who asked for each item: it fills `requested_by`.
    pub requester_field: Option<String>,
    /// What a folder walk leaves out (`.gitignore` syntax, relative to the policy file's folder).
    pub exclude: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            product_owner: None,
            product_owner_aliases: Vec::new(),
            near: 10,
            distant: 30,
            fail_on: Level::Warning,
            done_statuses: crate::model::CLOSING_STATUSES.map(String::from).to_vec(),
            dropped_statuses: [
                "won't do",
                "wont do",
                "won't fix",
                "wontfix",
                "skipped",
                "cancelled",
                "canceled",
                "rejected",
                "obsolete",
                "abandoned",
                "duplicate",
            ]
            .map(String::from)
            .to_vec(),
            stories: None,
            product_goal: None,
            goal_milestone: None,
            goal_measure: None,
            goal_target: None,
            optimizing_for: None,
            definition_of_done: Vec::new(),
            requester_field: None,
            exclude: Vec::new(),
        }
    }
}

/// An example backlog from a policy and the findings it must produce.
#[derive(Clone, Debug)]
pub struct PolicyTest {
    pub name: String,
    /// The rule the test belongs to; None for a top-level test.
    pub rule: Option<String>,
    /// The example backlog, with common indentation removed.
    pub backlog: String,
    pub file: SourceFile,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct CompiledPolicy {
    pub settings: Settings,
    /// What each policy file set, in order: (what, value, `file:line`).
    pub origins: Vec<(String, String, String)>,
    pub rules: Vec<CompiledRule>,
    pub tests: Vec<PolicyTest>,
}

impl CompiledPolicy {
    pub fn rule(&self, name: &str) -> Option<&CompiledRule> {
        self.rules.iter().find(|r| r.name == name)
    }
}

/// A number as messages and descriptions show it: whole numbers without a decimal point.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { format!("{n}") }
}
