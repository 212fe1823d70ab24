//! AST → IR. Resolves names, checks types and arity, applies settings and rule configuration, and
//! reports every problem it finds in one pass.

use super::ast::*;
use super::ir::*;
use crate::diag::{Level, Problem, did_you_mean};
use crate::model::{self, FieldType, Schema};
use crate::text::{SourceFile, Span};

/// A parsed policy file, in the order it applies: built-in rules first, the user's policy last.
pub struct Parsed {
    pub file: SourceFile,
    pub policy: Policy,
    pub builtin: bool,
}

#[derive(Clone, Debug, PartialEq)]
enum Ty {
    Any,
    Null,
    Bool,
    Num,
    Text,
    List(Box<Ty>),
    Rec(Kind),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Backlog,
    Item,
    Goal,
    Reorder,
    Story,
    Suppression,
    History,
    Dependency,
}

impl Ty {
    fn describe(&self) -> String {
        match self {
            Ty::Any => "any value".into(),
            Ty::Null => "null".into(),
            Ty::Bool => "true/false".into(),
            Ty::Num => "a number".into(),
            Ty::Text => "text".into(),
            Ty::List(t) if **t == Ty::Any => "a list".into(),
            Ty::List(t) => format!("a list of {}", t.describe_plural()),
            Ty::Rec(k) => match k {
                Kind::Backlog => "the backlog".into(),
                Kind::Item => "an item".into(),
                Kind::Goal => "a goal".into(),
                Kind::Reorder => "an ordering-log entry".into(),
                Kind::Story => "a story".into(),
                Kind::Suppression => "a suppression".into(),
                Kind::History => "the history".into(),
                Kind::Dependency => "a dependency".into(),
            },
        }
    }
    fn describe_plural(&self) -> String {
        match self {
            Ty::Num => "numbers".into(),
            Ty::Text => "texts".into(),
            Ty::Rec(Kind::Item) => "items".into(),
            Ty::Rec(Kind::Goal) => "goals".into(),
            Ty::Rec(Kind::Reorder) => "ordering-log entries".into(),
            Ty::Rec(Kind::Dependency) => "dependencies".into(),
            other => other.describe(),
        }
    }
    /// Unknown types (`Any`, `null`) fit anywhere; the engine then decides at run time.
    fn is_loose(&self) -> bool {
        matches!(self, Ty::Any | Ty::Null)
    }
}

fn schema_of(kind: Kind) -> (Schema, Schema) {
    match kind {
        Kind::Backlog => (model::BACKLOG_FIELDS, &[]),
        Kind::Item => (model::ITEM_FIELDS, model::ITEM_INTRINSICS),
        Kind::Goal => (model::GOAL_FIELDS, model::POSITION_INTRINSIC),
        Kind::Reorder => (model::REORDER_FIELDS, model::REORDER_INTRINSICS),
        Kind::Story => (model::STORY_FIELDS, &[]),
        Kind::Suppression => (model::SUPPRESSION_FIELDS, &[]),
        Kind::History => (model::HISTORY_FIELDS, &[]),
        Kind::Dependency => (model::DEPENDENCY_FIELDS, model::POSITION_INTRINSIC),
    }
}

fn field_ty(ty: FieldType) -> Ty {
    match ty {
        FieldType::Text => Ty::Text,
        FieldType::Number => Ty::Num,
        FieldType::TextList => Ty::List(Box::new(Ty::Text)),
        FieldType::TextOrList => Ty::Any,
        FieldType::List => Ty::List(Box::new(Ty::Any)),
        FieldType::Items => Ty::List(Box::new(Ty::Rec(Kind::Item))),
        FieldType::Goals => Ty::List(Box::new(Ty::Rec(Kind::Goal))),
        FieldType::Reorders => Ty::List(Box::new(Ty::Rec(Kind::Reorder))),
        FieldType::Reorder => Ty::Rec(Kind::Reorder),
        FieldType::Story => Ty::Rec(Kind::Story),
        FieldType::Allow => Ty::Any,
        FieldType::Flag => Ty::Bool,
    }
}

pub(super) const GLOBALS: &[(&str, Global)] = &[
    ("backlog", Global::Backlog),
    ("items", Global::Items),
    ("near", Global::Near),
    ("distant", Global::Distant),
    ("goals", Global::Goals),
    ("reorders", Global::Reorders),
    ("product_owner", Global::ProductOwner),
    ("story_backlog", Global::StoryBacklog),
    ("source_format", Global::SourceFormat),
    ("format_places", Global::FormatPlaces),
    ("explicit_order", Global::ExplicitOrder),
    ("suppressions", Global::Suppressions),
    ("history", Global::History),
    ("dependencies", Global::Dependencies),
];

fn global_ty(g: Global) -> Ty {
    match g {
        Global::Backlog => Ty::Rec(Kind::Backlog),
        Global::Items | Global::Near | Global::Distant => Ty::List(Box::new(Ty::Rec(Kind::Item))),
        Global::Goals => Ty::List(Box::new(Ty::Rec(Kind::Goal))),
        Global::Reorders => Ty::List(Box::new(Ty::Rec(Kind::Reorder))),
        Global::ProductOwner => Ty::Any,
        Global::StoryBacklog | Global::ExplicitOrder => Ty::Bool,
        Global::SourceFormat => Ty::Text,
        Global::FormatPlaces => Ty::List(Box::new(Ty::Text)),
        Global::Suppressions => Ty::List(Box::new(Ty::Rec(Kind::Suppression))),
        Global::History => Ty::Rec(Kind::History),
        Global::Dependencies => Ty::List(Box::new(Ty::Rec(Kind::Dependency))),
    }
}

/// What a function parameter accepts.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Param {
    Any,
    Num,
    Text,
    List,
    TextOrList,
    /// A text literal, checked when the policy is compiled (regexes, field names).
    Literal,
}

pub(super) const FUNCTIONS: &[(&str, Func, &[Param])] = &[
    ("exists", Func::Exists, &[Param::Any]),
    ("empty", Func::Empty, &[Param::Any]),
    ("count", Func::Count, &[Param::List]),
    ("len", Func::Len, &[Param::TextOrList]),
    ("words", Func::Words, &[Param::Text]),
    ("lower", Func::Lower, &[Param::Text]),
    ("upper", Func::Upper, &[Param::Text]),
    ("nfc", Func::Nfc, &[Param::TextOrList]),
    ("trim", Func::Trim, &[Param::Text]),
    ("contains", Func::Contains, &[Param::TextOrList, Param::Any]),
    ("matches", Func::Matches, &[Param::Text, Param::Literal]),
    ("starts_with", Func::StartsWith, &[Param::Text, Param::Text]),
    ("ends_with", Func::EndsWith, &[Param::Text, Param::Text]),
    ("distinct", Func::Distinct, &[Param::List]),
    ("find", Func::Find, &[Param::List, Param::Literal, Param::Any]),
    ("position_of", Func::PositionOf, &[Param::List, Param::Any]),
    ("join", Func::Join, &[Param::List, Param::Text]),
    ("occurrences", Func::Occurrences, &[Param::List, Param::Any]),
    ("count_matching", Func::CountMatching, &[Param::List, Param::Literal]),
    ("share", Func::Share, &[Param::List]),
    ("similar_before", Func::SimilarBefore, &[Param::List, Param::Num, Param::Num]),
    ("round", Func::Round, &[Param::Num]),
    ("most_common", Func::MostCommon, &[Param::List]),
    ("days_between", Func::DaysBetween, &[Param::Text, Param::Text]),
    ("recent", Func::Recent, &[Param::List, Param::Num]),
    ("cycle", Func::Cycle, &[Param::List, Param::Any, Param::List]),
    ("section", Func::Section, &[Param::Text, Param::Text]),
];

/// Every setting a policy's `settings` block may hold.
pub const SETTINGS: &[&str] = &[
    "product_owner",
    "product_owner_aliases",
    "near",
    "distant",
    "fail_on",
    "done_statuses",
    "dropped_statuses",
    "stories",
    "product_goal",
    "goal_milestone",
    "goal_measure",
    "goal_target",
    "optimizing_for",
    "definition_of_done",
    "requester_field",
    "exclude",
];

struct Checker<'p> {
    problems: Vec<Problem>,
    file: &'p SourceFile,
    /// Regexes are compiled on first use (see `ir::Pattern`): only for a built-in rule's own
    /// options, which the tests compile; a team's pattern or option value is compiled here.
    defer_patterns: bool,
}

impl Checker<'_> {
    fn error(&mut self, code: &str, message: impl Into<String>, span: Span, label: impl Into<String>) -> &mut Problem {
        self.problems.push(Problem::error(code, message).in_file(self.file).label(span, label));
        self.problems.last_mut().unwrap()
    }
}

/// Rules compiled earlier (the built-in rules, from `policy::image`) and the tests of their files.
#[derive(Debug, Default)]
pub struct Compiled {
    pub rules: Vec<CompiledRule>,
    pub tests: Vec<PolicyTest>,
}

/// Compiles the policy files (in order of precedence) into one policy. Every problem is returned.
pub fn compile(parsed: &[Parsed]) -> (CompiledPolicy, Vec<Problem>) {
    compile_onto(Compiled::default(), &[], parsed)
}

/// Compiles the policy files after rules compiled earlier, which come first as if their files did.
/// `sources` are the parsed files of earlier rules a policy configures: options are constants
/// inside the checks, so a rule with configured options is compiled again from its text.
pub fn compile_onto(base: Compiled, sources: &[Parsed], parsed: &[Parsed]) -> (CompiledPolicy, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut settings = Settings::default();
    // Rules first, so configuration anywhere may name a rule defined in any file.
    let mut decls: Vec<(&Parsed, &RuleDecl)> = Vec::new();
    for p in parsed {
        for d in &p.policy.declarations {
            if let Declaration::Rule(rule) = d {
                if base.rules.iter().any(|r| r.name == rule.name.text) {
                    problems.push(
                        Problem::error("P0007", format!("rule `{}` is defined twice", rule.name.text))
                            .in_file(&p.file)
                            .label(rule.name.span, "defined again here")
                            .help(BUILTIN_NAME_HELP),
                    );
                    continue;
                }
                if let Some((prev_file, prev)) = decls.iter().find(|(_, r)| r.name.text == rule.name.text) {
                    let mut problem = Problem::error("P0007", format!("rule `{}` is defined twice", rule.name.text))
                        .in_file(&p.file)
                        .label(rule.name.span, "defined again here");
                    if prev_file.file.path == p.file.path {
                        problem = problem.label(prev.name.span, "first defined here");
                    }
                    problems.push(problem.help(if prev_file.builtin {
                        BUILTIN_NAME_HELP
                    } else {
                        "give each rule its own name"
                    }));
                    continue;
                }
                decls.push((p, rule));
            }
        }
    }
    let mut rules: Vec<CompiledRule> = base.rules;
    for (p, decl) in &decls {
        let mut c = Checker { problems: Vec::new(), file: &p.file, defer_patterns: p.builtin };
        if let Some(rule) = compile_rule(&mut c, decl, p.builtin) {
            rules.push(rule);
        }
        problems.append(&mut c.problems);
    }
    // Settings and configuration, in file order: later files override earlier ones.
    for p in parsed {
        let mut c = Checker { problems: Vec::new(), file: &p.file, defer_patterns: false };
        for d in &p.policy.declarations {
            match d {
                Declaration::Settings { assignments, .. } => apply_settings(&mut c, &mut settings, assignments),
                Declaration::Disable { rule } | Declaration::Enable { rule } => {
                    let enable = matches!(d, Declaration::Enable { .. });
                    if let Some(r) = find_rule(&mut c, &mut rules, rule) {
                        r.enabled = enable;
                    }
                }
                Declaration::Configure { rule, assignments, .. } => {
                    if let Some(index) = find_rule(&mut c, &mut rules, rule).map(|r| r.name.clone()) {
                        let r = rules.iter_mut().find(|r| r.name == index).unwrap();
                        configure(&mut c, r, assignments);
                    }
                }
                Declaration::Rule(_) | Declaration::Test(_) | Declaration::Include { .. } => {}
            }
        }
        problems.append(&mut c.problems);
    }
    // Options are constants inside the checks: compile the checks of configured rules again.
    for rule in &mut rules {
        let earlier = || {
            sources.iter().find_map(|p| {
                p.policy.declarations.iter().find_map(|d| match d {
                    Declaration::Rule(d) if d.name.text == rule.name => Some((p, d)),
                    _ => None,
                })
            })
        };
        if rule.options_configured
            && let Some((p, decl)) =
                decls.iter().find(|(_, d)| d.name.text == rule.name).map(|(p, d)| (*p, *d)).or_else(earlier)
        {
            let mut c = Checker { problems: Vec::new(), file: &p.file, defer_patterns: false };
            // Problems were reported by the first pass; this one only substitutes the configured options.
            rule.checks = decl.checks.iter().filter_map(|check| compile_check(&mut c, check, &rule.options)).collect();
        }
        if rule.severity_configured {
            for check in &mut rule.checks {
                check.severity = None;
            }
        }
    }
    // The horizons nest. A written `distant` below `near` is a mistake; a `near` beyond the default
    // `distant` moves the distant horizon out with it.
    if settings.distant < settings.near {
        match last_setting(parsed, "distant") {
            Some((p, distant)) => {
                let mut problem = Problem::error(
                    "P0004",
                    format!("`distant` ({}) is smaller than `near` ({})", settings.distant, settings.near),
                )
                .in_file(&p.file)
                .label(distant.value.span, "the distant horizon would start inside the near one");
                if let Some((q, near)) = last_setting(parsed, "near")
                    && q.file.path == p.file.path
                {
                    problem = problem.label(near.value.span, "`near` is set here");
                }
                problems.push(problem.help("make `distant` at least as large as `near`"));
            }
            None => settings.distant = settings.near,
        }
    }
    let mut tests = base.tests;
    for p in parsed {
        let mut c = Checker { problems: Vec::new(), file: &p.file, defer_patterns: false };
        for d in &p.policy.declarations {
            match d {
                Declaration::Test(t) => tests.extend(compile_test(&mut c, t, None)),
                Declaration::Rule(r) => {
                    tests.extend(r.tests.iter().filter_map(|t| compile_test(&mut c, t, Some(&r.name.text))))
                }
                _ => {}
            }
        }
        problems.append(&mut c.problems);
    }
    let origins = origins(parsed);
    (CompiledPolicy { settings, rules, tests, origins }, problems)
}

const BUILTIN_NAME_HELP: &str =
    "this name belongs to a built-in rule: pick another name, or use `configure` to change the built-in rule";

/// The assignment that sets `name` in the last file that sets it (later files override earlier ones).
fn last_setting<'p>(parsed: &'p [Parsed], name: &str) -> Option<(&'p Parsed, &'p Assignment)> {
    parsed.iter().rev().find_map(|p| {
        let assignments = p.policy.declarations.iter().rev().filter_map(|d| match d {
            Declaration::Settings { assignments, .. } => Some(assignments),
            _ => None,
        });
        assignments.flat_map(|a| a.iter().rev()).find(|a| a.name.text == name).map(|a| (p, a))
    })
}

/// Where each setting and each rule configuration was written, for `check --show-policy`.
fn origins(parsed: &[Parsed]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for p in parsed.iter().filter(|p| !p.builtin) {
        let at = |span: Span| format!("{}:{}", p.file.name, p.file.line_col(span.start).0);
        let shown = |e: &Expr| constant(e).map_or_else(|| "…".to_string(), |c| c.describe());
        for d in &p.policy.declarations {
            match d {
                Declaration::Settings { assignments, .. } => {
                    for a in assignments {
                        out.push((a.name.text.clone(), shown(&a.value), at(a.name.span)));
                    }
                }
                Declaration::Configure { rule, assignments, .. } => {
                    for a in assignments {
                        out.push((format!("{}.{}", rule.text, a.name.text), shown(&a.value), at(a.name.span)));
                    }
                }
                Declaration::Disable { rule } => out.push((rule.text.clone(), "off".into(), at(rule.span))),
                Declaration::Enable { rule } => out.push((rule.text.clone(), "on".into(), at(rule.span))),
                Declaration::Rule(r) => out.push((r.name.text.clone(), "defined".into(), at(r.name.span))),
                _ => {}
            }
        }
    }
    out
}

fn compile_test(c: &mut Checker, t: &TestDecl, rule: Option<&str>) -> Option<PolicyTest> {
    let name = t.name.as_plain().unwrap_or_default();
    let mut backlog = None;
    for a in &t.assignments {
        match a.name.text.as_str() {
            "backlog" => match constant(&a.value) {
                Some(Const::Text(text)) => backlog = Some(text),
                _ => {
                    c.error("P0004", "a test's `backlog` must be text", a.value.span, "expected a \"\"\"…\"\"\" block");
                }
            },
            other => {
                let suggestion = did_you_mean(other, ["backlog"]);
                c.error(
                    "P0003",
                    format!("unknown test field `{other}`"),
                    a.name.span,
                    match suggestion {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "a test has only `backlog`".into(),
                    },
                );
            }
        }
    }
    let Some(backlog) = backlog else {
        c.error("P0008", format!("test `{name}` has no `backlog`"), t.name.span, "in this test").help = Some(
            "write the example backlog as `backlog = \"\"\" … \"\"\"` and mark expected findings with `# expect`"
                .into(),
        );
        return None;
    };
    Some(PolicyTest { name, rule: rule.map(str::to_string), backlog, file: c.file.clone(), span: t.name.span })
}

fn find_rule<'r>(c: &mut Checker, rules: &'r mut [CompiledRule], name: &Name) -> Option<&'r mut CompiledRule> {
    if let Some(i) = rules.iter().position(|r| r.name == name.text) {
        return Some(&mut rules[i]);
    }
    let suggestion = did_you_mean(&name.text, rules.iter().map(|r| r.name.as_str())).map(str::to_string);
    let p = c.error(
        "P0005",
        format!("unknown rule `{}`", name.text),
        name.span,
        match &suggestion {
            Some(s) => format!("did you mean `{s}`?"),
            None => "no rule has this name".into(),
        },
    );
    p.help = Some("`backlint rules` lists every rule".into());
    None
}

/// A constant: a literal, a list of literals, or a bare word (`severity = warning`).
fn constant(e: &Expr) -> Option<Const> {
    Some(match &e.kind {
        ExprKind::Null => Const::Null,
        ExprKind::Bool(b) => Const::Bool(*b),
        ExprKind::Number(n) => Const::Num(*n),
        ExprKind::Text(t) => Const::Text(t.as_plain()?),
        ExprKind::Name(n) => Const::Text(n.clone()),
        ExprKind::Unary(UnaryOp::Neg, inner) => match constant(inner)? {
            Const::Num(n) => Const::Num(-n),
            _ => return None,
        },
        ExprKind::List(items) => Const::List(items.iter().map(constant).collect::<Option<_>>()?),
        _ => return None,
    })
}

fn const_or_error(c: &mut Checker, e: &Expr) -> Option<Const> {
    let value = constant(e);
    if value.is_none() {
        c.error("P0004", "expected a fixed value", e.span, "not a literal").help =
            Some("write a number, a \"text\", a word such as `warning`, or a list of these".into());
    }
    value
}

fn level_of(c: &mut Checker, value: &Const, span: Span, allow_off: bool) -> Option<Option<Level>> {
    let text = value.as_text().unwrap_or("");
    if allow_off && text == "off" {
        return Some(None);
    }
    match Level::parse(text) {
        Some(level) => Some(Some(level)),
        None => {
            let choices =
                if allow_off { "`error`, `warning`, `info` or `off`" } else { "`error`, `warning` or `info`" };
            let suggestion = did_you_mean(text, ["error", "warning", "info"]);
            let label = suggestion.map_or("not a severity".to_string(), |s| format!("did you mean `{s}`?"));
            c.error("P0004", format!("expected a severity: {choices}, found {}", value.describe()), span, label);
            None
        }
    }
}

fn apply_settings(c: &mut Checker, settings: &mut Settings, assignments: &[Assignment]) {
    for a in assignments {
        let Some(value) = const_or_error(c, &a.value) else { continue };
        let span = a.value.span;
        match a.name.text.as_str() {
            "product_owner" => match value {
                Const::Text(t) => settings.product_owner = Some(t),
                Const::Null => settings.product_owner = None,
                _ => {
                    c.error("P0004", "`product_owner` must be one person's name", span, "expected text");
                }
            },
            "product_owner_aliases" => match value {
                Const::List(items) if items.iter().all(|i| i.as_text().is_some()) => {
                    settings.product_owner_aliases =
                        items.iter().filter_map(|i| i.as_text().map(|t| t.trim().to_lowercase())).collect()
                }
                _ => {
                    c.error(
                        "P0004",
                        "`product_owner_aliases` must be a list of names and email addresses",
                        span,
                        "expected a list such as [\"dana@example.com\", \"D. Lee\"]",
                    );
                }
            },
            "near" | "distant" => match value {
                Const::Num(n) if n >= 0.0 && n.fract() == 0.0 => {
                    if a.name.text == "near" {
                        settings.near = n as usize
                    } else {
                        settings.distant = n as usize
                    }
                }
                _ => {
                    c.error(
                        "P0004",
                        format!("`{}` must be a whole number of items", a.name.text),
                        span,
                        "expected a number such as 10",
                    );
                }
            },
            "fail_on" => {
                if let Some(Some(level)) = level_of(c, &value, span, false) {
                    settings.fail_on = level;
                }
            }
            "done_statuses" | "dropped_statuses" => match value {
                Const::List(items) if items.iter().all(|i| i.as_text().is_some()) => {
                    let statuses = items.iter().filter_map(|i| i.as_text().map(str::to_lowercase)).collect();
                    match a.name.text.as_str() {
                        "done_statuses" => settings.done_statuses = statuses,
                        _ => settings.dropped_statuses = statuses,
                    }
                }
                _ => {
                    c.error(
                        "P0004",
                        format!("`{}` must be a list of statuses", a.name.text),
                        span,
                        "expected a list such as [\"done\"]",
                    );
                }
            },
            "definition_of_done" => match value {
                Const::List(items) if items.iter().all(|i| i.as_text().is_some()) => {
                    settings.definition_of_done = items.iter().filter_map(|i| i.as_text().map(str::to_string)).collect()
                }
                _ => {
                    c.error("P0004", "`definition_of_done` must be a list of texts", span, "expected [\"…\", \"…\"]");
                }
            },
            "exclude" => match value {
                Const::List(items) if items.iter().all(|i| i.as_text().is_some()) => {
                    let patterns: Vec<String> = items.iter().filter_map(|i| i.as_text().map(str::to_string)).collect();
                    // Checked here, so that a bad pattern points into the policy.
                    let mut builder = ignore::gitignore::GitignoreBuilder::new("");
                    match patterns.iter().find_map(|p| builder.add_line(None, p).err().map(|e| (p, e))) {
                        Some((p, e)) => {
                            c.error("P0004", format!("`{p}` is not a valid pattern: {e}"), span, "not a glob");
                        }
                        None => settings.exclude = patterns,
                    }
                }
                _ => {
                    c.error(
                        "P0004",
                        "`exclude` must be a list of patterns",
                        span,
                        "expected a list such as [\"tests/fixtures/\"]",
                    );
                }
            },
            "product_goal" | "goal_milestone" | "goal_measure" | "goal_target" | "requester_field"
            | "optimizing_for" => {
                let Some(text) = value.as_text().map(str::to_string) else {
                    c.error("P0004", format!("`{}` must be text", a.name.text), span, "expected \"…\"");
                    continue;
                };
                let slot = match a.name.text.as_str() {
                    "product_goal" => &mut settings.product_goal,
                    "goal_milestone" => &mut settings.goal_milestone,
                    "goal_measure" => &mut settings.goal_measure,
                    "requester_field" => &mut settings.requester_field,
                    "optimizing_for" => &mut settings.optimizing_for,
                    _ => &mut settings.goal_target,
                };
                *slot = Some(text);
            }
            "stories" => match value.as_text() {
                Some("auto") => settings.stories = None,
                Some("on") => settings.stories = Some(true),
                Some("off") => settings.stories = Some(false),
                _ => {
                    c.error("P0004", "`stories` must be `auto`, `on` or `off`", span, "expected auto, on or off");
                }
            },
            other => {
                let suggestion = did_you_mean(other, SETTINGS.iter().copied());
                c.error(
                    "P0003",
                    format!("unknown setting `{other}`"),
                    a.name.span,
                    match suggestion {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "not a setting".into(),
                    },
                )
                .help = Some(format!("settings are: {}", SETTINGS.join(", ")));
            }
        }
    }
}

fn configure(c: &mut Checker, rule: &mut CompiledRule, assignments: &[Assignment]) {
    for a in assignments {
        let Some(value) = const_or_error(c, &a.value) else { continue };
        if a.name.text == "severity" {
            match level_of(c, &value, a.value.span, true) {
                Some(Some(level)) => {
                    rule.severity = level;
                    rule.enabled = true;
                    rule.severity_configured = true;
                }
                Some(None) => rule.enabled = false,
                None => {}
            }
            continue;
        }
        let Some(slot) = rule.options.iter_mut().find(|(n, _)| *n == a.name.text) else {
            let names: Vec<&str> = rule.options.iter().map(|(n, _)| n.as_str()).chain(["severity"]).collect();
            let suggestion = did_you_mean(&a.name.text, names.iter().copied());
            c.error(
                "P0006",
                format!("rule `{}` has no option `{}`", rule.name, a.name.text),
                a.name.span,
                match suggestion {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "unknown option".into(),
                },
            )
            .help = Some(format!("options of `{}`: {}", rule.name, names.join(", ")));
            continue;
        };
        if std::mem::discriminant(&slot.1) != std::mem::discriminant(&value) && slot.1 != Const::Null {
            c.error(
                "P0004",
                format!("option `{}` of `{}` expects a value like {}", a.name.text, rule.name, slot.1.describe()),
                a.value.span,
                "wrong kind of value",
            );
            continue;
        }
        slot.1 = value;
        rule.options_configured = true;
    }
}

fn compile_rule(c: &mut Checker, decl: &RuleDecl, builtin: bool) -> Option<CompiledRule> {
    let mut group = None;
    let mut severity = None;
    let mut summary = None;
    let mut help = None;
    let mut enabled = true;
    let mut seen: Vec<&str> = Vec::new();
    for m in &decl.meta {
        if seen.contains(&m.name.text.as_str()) {
            c.error(
                "P0015",
                format!("`{}` is set twice in rule `{}`", m.name.text, decl.name.text),
                m.name.span,
                "set again here",
            );
            continue;
        }
        seen.push(&m.name.text);
        let Some(value) = const_or_error(c, &m.value) else { continue };
        match m.name.text.as_str() {
            "group" => group = value.as_text().map(str::to_string),
            "severity" => severity = level_of(c, &value, m.value.span, false).flatten(),
            "summary" => summary = value.as_text().map(str::to_string),
            "help" => help = value.as_text().map(str::to_string),
            _ => match value {
                Const::Bool(b) => enabled = b,
                _ => {
                    c.error("P0004", "`enabled` must be `true` or `false`", m.value.span, "expected true or false");
                }
            },
        }
    }
    let missing: Vec<&str> =
        [("group", group.is_none()), ("severity", severity.is_none()), ("summary", summary.is_none())]
            .iter()
            .filter(|(_, m)| *m)
            .map(|(n, _)| *n)
            .collect();
    if !missing.is_empty() && !c.problems.iter().any(|p| p.code == "P0004") {
        c.error(
            "P0008",
            format!(
                "rule `{}` is missing {}",
                decl.name.text,
                missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
            ),
            decl.name.span,
            "in this rule",
        )
        .help = Some("every rule declares `group = …`, `severity = …` and `summary = \"…\"`".into());
    }
    if decl.checks.is_empty() {
        c.error("P0008", format!("rule `{}` has no check", decl.name.text), decl.name.span, "in this rule").help =
            Some("add a check: `for item in items require … message \"…\"`".into());
    }
    let mut options: Vec<(String, Const)> = Vec::new();
    for o in &decl.options {
        if options.iter().any(|(n, _)| *n == o.name.text) {
            c.error("P0015", format!("option `{}` is declared twice", o.name.text), o.name.span, "declared again here");
            continue;
        }
        if let Some(value) = const_or_error(c, &o.value) {
            options.push((o.name.text.clone(), value));
        }
    }
    let explanation = decl.explain.as_ref().map(|e| explanation(c, e));
    let checks: Vec<CompiledCheck> = decl.checks.iter().filter_map(|check| compile_check(c, check, &options)).collect();
    Some(CompiledRule {
        name: decl.name.text.clone(),
        group: group.unwrap_or_default(),
        severity: severity.unwrap_or(Level::Warning),
        enabled,
        summary: summary.unwrap_or_default(),
        help,
        explanation,
        options,
        checks,
        file: c.file.clone(),
        span: decl.name.span,
        builtin,
        severity_configured: false,
        options_configured: false,
    })
}

fn explanation(c: &mut Checker, e: &Explain) -> Explanation {
    let mut out = Explanation::default();
    for s in &e.sections {
        let Some(value) = const_or_error(c, &s.value) else { continue };
        let text = value.as_text().unwrap_or_default().to_string();
        match s.name.text.as_str() {
            // Prose is stored reflowed, so no format shows the policy file's line breaks.
            "what" => out.what = crate::text::reflow(&text),
            "why" => out.why = crate::text::reflow(&text),
            "fix" => out.fix = crate::text::reflow(&text),
            "example" => out.example = text,
            other => {
                let suggestion = did_you_mean(other, ["what", "why", "fix", "example"]);
                c.error(
                    "P0003",
                    format!("unknown explanation section `{other}`"),
                    s.name.span,
                    match suggestion {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "expected `what`, `why`, `fix` or `example`".into(),
                    },
                );
            }
        }
    }
    out
}

struct Scope<'a> {
    var: Option<(&'a str, Ty)>,
    options: &'a [(String, Const)],
}

fn const_ty(c: &Const) -> Ty {
    match c {
        Const::Null => Ty::Null,
        Const::Bool(_) => Ty::Bool,
        Const::Num(_) => Ty::Num,
        Const::Text(_) => Ty::Text,
        Const::List(items) => Ty::List(Box::new(items.first().map_or(Ty::Any, const_ty))),
    }
}

fn compile_check(c: &mut Checker, check: &Check, options: &[(String, Const)]) -> Option<CompiledCheck> {
    let errors_before = c.problems.len();
    let outer = Scope { var: None, options };
    let (range, var) = match &check.range {
        Range::Backlog { .. } => (IrRange::Backlog, Some(("backlog", Ty::Rec(Kind::Backlog)))),
        Range::Each { var, collection } => {
            let (ir, ty) = expr(c, &outer, collection);
            let elem = match ty {
                Ty::List(elem) => *elem,
                t if t.is_loose() => Ty::Any,
                other => {
                    c.error(
                        "P0013",
                        format!("`for` needs a list to range over, found {}", other.describe()),
                        collection.span,
                        "not a list",
                    )
                    .help = Some("range over `items`, `near`, `distant`, `goals` or `reorders`".into());
                    Ty::Any
                }
            };
            (IrRange::Each(ir), Some((var.text.as_str(), elem)))
        }
    };
    let scope = Scope { var, options };
    let filter = check.filter.as_ref().map(|f| condition(c, &scope, f));
    let cond = condition(c, &scope, &check.condition);
    let at = check.at.as_ref().map(|a| expr(c, &scope, a).0);
    let message = template(c, &scope, &check.message);
    let label = check.label.as_ref().map(|t| template(c, &scope, t));
    let help = check.help.as_ref().map(|t| template(c, &scope, t));
    // `severity notice`: the check reports a set-up notice (something the whole backlog lacks, said
    // once), which is not a finding and never fails a run.
    let notice = check.severity.as_ref().is_some_and(|s| s.text == "notice");
    let severity = check
        .severity
        .as_ref()
        .filter(|_| !notice)
        .and_then(|s| level_of(c, &Const::Text(s.text.clone()), s.span, false).flatten());
    if c.problems.len() > errors_before {
        return None;
    }
    let mut slots = Slots::default();
    let mut cache = |ir: Ir| hoist(ir, &mut slots);
    let filter = filter.map(&mut cache);
    let condition = cache(cond);
    let at = at.map(&mut cache);
    let message = cache_parts(message, &mut cache);
    let label = label.map(|l| cache_parts(l, &mut cache));
    let help = help.map(|h| cache_parts(h, &mut cache));
    Some(CompiledCheck {
        notice,
        range,
        filter,
        mode: check.mode,
        condition,
        at,
        message,
        label,
        help,
        severity,
        cache_slots: slots.seen.len(),
    })
}

fn cache_parts(parts: Vec<IrPart>, cache: &mut impl FnMut(Ir) -> Ir) -> Vec<IrPart> {
    parts
        .into_iter()
        .map(|p| match p {
            IrPart::Expr(e) => IrPart::Expr(cache(e)),
            text => text,
        })
        .collect()
}

fn depends_on_var(ir: &Ir) -> bool {
    ir.any(&|e| matches!(e, Ir::Var))
}

/// The cache slots of one check. The same subexpression written twice (in the condition and again in
/// the message) shares one slot, so its value and the indexes built on it (the similarity index of
/// `similar_before(items.title, …)`) are computed once per check.
#[derive(Default)]
struct Slots {
    /// Each slot's expression, as its debug form (the IR holds regexes, which have no equality).
    seen: Vec<String>,
}

/// Wraps each largest subexpression that does not read the loop variable in a cache slot, so that
/// `position_of(items.id, item.id)` builds `items.id` (and its index) once, not once per item.
fn hoist(ir: Ir, slots: &mut Slots) -> Ir {
    if !depends_on_var(&ir) {
        return match ir {
            // A constant list is cached like any invariant: built once, and looked up by hash.
            Ir::Const(ref c) if !matches!(c, Const::List(_)) => ir,
            other => {
                let key = format!("{other:?}");
                let slot = slots.seen.iter().position(|k| *k == key).unwrap_or_else(|| {
                    slots.seen.push(key);
                    slots.seen.len() - 1
                });
                Ir::Cached(slot, Box::new(other))
            }
        };
    }
    let mut h = |e: Box<Ir>| Box::new(hoist(*e, slots));
    match ir {
        Ir::Field(e, f) => Ir::Field(h(e), f),
        Ir::Not(e) => Ir::Not(h(e)),
        Ir::Neg(e) => Ir::Neg(h(e)),
        Ir::Matches(e, r) => Ir::Matches(h(e), r),
        Ir::CountMatching(e, r) => Ir::CountMatching(h(e), r),
        Ir::Index(a, b) => {
            let a = h(a);
            Ir::Index(a, h(b))
        }
        Ir::Binary(op, a, b) => {
            let a = h(a);
            Ir::Binary(op, a, h(b))
        }
        Ir::Call(f, args) => Ir::Call(f, args.into_iter().map(|a| hoist(a, slots)).collect()),
        Ir::List(items) => Ir::List(items.into_iter().map(|a| hoist(a, slots)).collect()),
        Ir::Template(parts) => Ir::Template(cache_parts(parts, &mut |e| hoist(e, slots))),
        other => other,
    }
}

fn condition(c: &mut Checker, scope: &Scope, e: &Expr) -> Ir {
    let (ir, ty) = expr(c, scope, e);
    expect_bool(c, &ty, e.span, "a condition");
    ir
}

fn expect_bool(c: &mut Checker, ty: &Ty, span: Span, what: &str) {
    if !(ty.is_loose() || *ty == Ty::Bool) {
        c.error("P0013", format!("{what} must be true or false, found {}", ty.describe()), span, "not true/false")
            .help = Some("compare it (`x > 0`) or test it (`exists(x)`, `empty(x)`)".into());
    }
}

fn template(c: &mut Checker, scope: &Scope, t: &Template) -> Vec<IrPart> {
    t.parts
        .iter()
        .map(|p| match p {
            Part::Text(s) => IrPart::Text(s.clone()),
            Part::Expr(e) => IrPart::Expr(expr(c, scope, e).0),
        })
        .collect()
}

fn expr(c: &mut Checker, scope: &Scope, e: &Expr) -> (Ir, Ty) {
    match &e.kind {
        ExprKind::Null => (Ir::Const(Const::Null), Ty::Null),
        ExprKind::Bool(b) => (Ir::Const(Const::Bool(*b)), Ty::Bool),
        ExprKind::Number(n) => (Ir::Const(Const::Num(*n)), Ty::Num),
        ExprKind::Text(t) => match t.as_plain() {
            Some(s) => (Ir::Const(Const::Text(s)), Ty::Text),
            None => (Ir::Template(template(c, scope, t)), Ty::Text),
        },
        ExprKind::List(items) => {
            let mut elem = None;
            let irs = items
                .iter()
                .map(|i| {
                    let (ir, ty) = expr(c, scope, i);
                    elem.get_or_insert(ty);
                    ir
                })
                .collect();
            (Ir::List(irs), Ty::List(Box::new(elem.unwrap_or(Ty::Any))))
        }
        ExprKind::Name(n) => name(c, scope, n, e.span),
        ExprKind::Field(base, field) => {
            let (ir, ty) = expr(c, scope, base);
            let ty = field_access(c, &ty, field);
            (Ir::Field(Box::new(ir), FieldName::new(field.text.clone())), ty)
        }
        ExprKind::Index(base, index) => {
            let (b, bty) = expr(c, scope, base);
            let (i, ity) = expr(c, scope, index);
            let ty = match (&bty, &ity) {
                (Ty::List(elem), Ty::Num) => (**elem).clone(),
                (Ty::List(_), t) if !t.is_loose() => {
                    c.error(
                        "P0013",
                        format!("a list is indexed by a number, found {}", t.describe()),
                        index.span,
                        "expected a number",
                    );
                    Ty::Any
                }
                (Ty::Rec(_), Ty::Text) | (Ty::Any, _) | (Ty::Null, _) => Ty::Any,
                (Ty::List(_), _) => Ty::Any,
                (other, _) => {
                    c.error(
                        "P0013",
                        format!("{} cannot be indexed", other.describe()),
                        base.span,
                        "not a list or record",
                    );
                    Ty::Any
                }
            };
            (Ir::Index(Box::new(b), Box::new(i)), ty)
        }
        ExprKind::Call(f, args) => call(c, scope, f, args, e.span),
        ExprKind::Unary(op, inner) => {
            let (ir, ty) = expr(c, scope, inner);
            match op {
                UnaryOp::Not => {
                    expect_bool(c, &ty, inner.span, "the operand of `not`");
                    (Ir::Not(Box::new(ir)), Ty::Bool)
                }
                UnaryOp::Neg => {
                    if !(ty.is_loose() || ty == Ty::Num) {
                        c.error(
                            "P0013",
                            format!("`-` needs a number, found {}", ty.describe()),
                            inner.span,
                            "not a number",
                        );
                    }
                    (Ir::Neg(Box::new(ir)), Ty::Num)
                }
            }
        }
        ExprKind::Binary(op, lhs, rhs) => {
            let (l, lt) = expr(c, scope, lhs);
            let (r, rt) = expr(c, scope, rhs);
            let ty = binary_ty(c, *op, (&lt, lhs.span), (&rt, rhs.span), e.span);
            (Ir::Binary(*op, Box::new(l), Box::new(r)), ty)
        }
    }
}

fn name(c: &mut Checker, scope: &Scope, n: &str, span: Span) -> (Ir, Ty) {
    if let Some((var, ty)) = &scope.var
        && *var == n
    {
        return (Ir::Var, ty.clone());
    }
    if let Some((_, value)) = scope.options.iter().find(|(o, _)| o == n) {
        return (Ir::Const(value.clone()), const_ty(value));
    }
    if let Some(&(_, g)) = GLOBALS.iter().find(|(name, _)| *name == n) {
        return (Ir::Global(g), global_ty(g));
    }
    let candidates: Vec<&str> = scope
        .var
        .iter()
        .map(|(v, _)| *v)
        .chain(scope.options.iter().map(|(o, _)| o.as_str()))
        .chain(GLOBALS.iter().map(|(g, _)| *g))
        .collect();
    let suggestion = did_you_mean(n, candidates.iter().copied());
    c.error(
        "P0009",
        format!("unknown name `{n}`"),
        span,
        match suggestion {
            Some(s) => format!("did you mean `{s}`?"),
            None => "not defined here".into(),
        },
    )
    .help = Some(format!("names available here: {}", candidates.join(", ")));
    (Ir::Const(Const::Null), Ty::Any)
}

fn field_access(c: &mut Checker, base: &Ty, field: &Name) -> Ty {
    match base {
        Ty::Rec(kind) => {
            let (schema, intrinsics) = schema_of(*kind);
            if let Some(&(_, t)) = schema.iter().chain(intrinsics.iter()).find(|(n, _)| *n == field.text) {
                return field_ty(t);
            }
            let known = schema.iter().chain(intrinsics.iter()).map(|(n, _)| *n);
            if let Some(suggestion) = did_you_mean(&field.text, known) {
                c.error(
                    "P0010",
                    format!("unknown field `{}` on {}", field.text, base.describe()),
                    field.span,
                    format!("did you mean `{suggestion}`?"),
                )
                .help = Some(format!(
                    "a team's own fields are allowed, but this name is a near miss of `{suggestion}`; to read a custom field with this exact name, write `[\"{}\"]`",
                    field.text
                ));
            }
            Ty::Any
        }
        Ty::List(elem) => Ty::List(Box::new(field_access(c, elem, field))),
        Ty::Any | Ty::Null => Ty::Any,
        other => {
            c.error("P0013", format!("{} has no fields", other.describe()), field.span, "no such field");
            Ty::Any
        }
    }
}

fn binary_ty(c: &mut Checker, op: BinaryOp, (l, ls): (&Ty, Span), (r, rs): (&Ty, Span), span: Span) -> Ty {
    use BinaryOp::*;
    let mismatch = |c: &mut Checker, what: String| {
        c.error("P0013", what, span, format!("{} {} {}", l.describe(), op.symbol(), r.describe()));
    };
    match op {
        And | Or => {
            expect_bool(c, l, ls, &format!("the left side of `{}`", op.symbol()));
            expect_bool(c, r, rs, &format!("the right side of `{}`", op.symbol()));
            Ty::Bool
        }
        Eq | Ne => {
            if !l.is_loose() && !r.is_loose() && std::mem::discriminant(l) != std::mem::discriminant(r) {
                mismatch(c, format!("comparing {} with {} is never equal", l.describe(), r.describe()));
            }
            Ty::Bool
        }
        Lt | Le | Gt | Ge => {
            let ok = |t: &Ty| t.is_loose() || matches!(t, Ty::Num | Ty::Text);
            if !ok(l) || !ok(r) || (!l.is_loose() && !r.is_loose() && l != r) {
                mismatch(c, format!("`{}` compares two numbers or two texts", op.symbol()));
            }
            Ty::Bool
        }
        In | NotIn => {
            if !(r.is_loose() || matches!(r, Ty::List(_) | Ty::Text)) {
                mismatch(
                    c,
                    format!("the right side of `{}` must be a list or text, found {}", op.symbol(), r.describe()),
                );
            }
            Ty::Bool
        }
        Add if *l == Ty::Text || *r == Ty::Text => {
            if !(l.is_loose() || *l == Ty::Text) || !(r.is_loose() || *r == Ty::Text) {
                mismatch(c, "`+` joins two texts or adds two numbers".into());
            }
            Ty::Text
        }
        Add | Sub | Mul | Div | Rem => {
            if !(l.is_loose() || *l == Ty::Num) || !(r.is_loose() || *r == Ty::Num) {
                mismatch(c, format!("`{}` needs two numbers", op.symbol()));
            }
            Ty::Num
        }
    }
}

/// The result type of a function whose result does not depend on its arguments' types.
fn ty_of(func: Func) -> Ty {
    match func {
        Func::Exists | Func::Empty | Func::Contains | Func::Matches | Func::StartsWith | Func::EndsWith => Ty::Bool,
        Func::Count
        | Func::Len
        | Func::Words
        | Func::PositionOf
        | Func::Occurrences
        | Func::CountMatching
        | Func::Share
        | Func::SimilarBefore
        | Func::Round
        | Func::DaysBetween => Ty::Num,
        Func::Lower | Func::Upper | Func::Trim | Func::Join | Func::Section => Ty::Text,
        Func::Cycle => Ty::List(Box::new(Ty::Text)),
        Func::Distinct | Func::Find | Func::MostCommon | Func::Recent | Func::Nfc => Ty::Any,
    }
}

fn call(c: &mut Checker, scope: &Scope, f: &Name, args: &[Expr], span: Span) -> (Ir, Ty) {
    let Some(&(_, func, params)) = FUNCTIONS.iter().find(|(n, _, _)| *n == f.text) else {
        let suggestion = did_you_mean(&f.text, FUNCTIONS.iter().map(|(n, _, _)| *n));
        c.error(
            "P0011",
            format!("unknown function `{}`", f.text),
            f.span,
            match suggestion {
                Some(s) => format!("did you mean `{s}`?"),
                None => "no function has this name".into(),
            },
        )
        .help = Some(format!("functions: {}", FUNCTIONS.iter().map(|(n, _, _)| *n).collect::<Vec<_>>().join(", ")));
        for a in args {
            expr(c, scope, a);
        }
        return (Ir::Const(Const::Null), Ty::Any);
    };
    let typed: Vec<(Ir, Ty)> = args.iter().map(|a| expr(c, scope, a)).collect();
    if args.len() != params.len() {
        c.error(
            "P0012",
            format!(
                "`{}` takes {} argument{}, found {}",
                f.text,
                params.len(),
                if params.len() == 1 { "" } else { "s" },
                args.len()
            ),
            span,
            "wrong number of arguments",
        );
        return (Ir::Const(Const::Null), Ty::Any);
    }
    for ((param, (_, ty)), arg) in params.iter().zip(&typed).zip(args) {
        let fits = ty.is_loose()
            || match param {
                Param::Any => true,
                Param::Num => *ty == Ty::Num,
                Param::Text => *ty == Ty::Text,
                Param::List => matches!(ty, Ty::List(_)),
                Param::TextOrList => matches!(ty, Ty::Text | Ty::List(_)),
                Param::Literal => *ty == Ty::Text,
            };
        if !fits {
            let wanted = match param {
                Param::Text | Param::Literal => "text",
                Param::Num => "a number",
                Param::List => "a list",
                _ => "text or a list",
            };
            c.error(
                "P0013",
                format!("`{}` needs {wanted} here, found {}", f.text, ty.describe()),
                arg.span,
                format!("expected {wanted}"),
            );
        }
    }
    let mut irs: Vec<Ir> = typed.iter().map(|(ir, _)| ir.clone()).collect();
    // Literal parameters (patterns, field names) must be known when the policy compiles: a text
    // literal, or a rule option holding text.
    for ((param, ir), arg) in params.iter().zip(&irs).zip(args) {
        if *param == Param::Literal && !matches!(ir, Ir::Const(Const::Text(_))) {
            c.error(
                "P0013",
                format!("this argument of `{}` must be a literal \"text\" or a rule option", f.text),
                arg.span,
                "not fixed text",
            )
            .help = Some("write the text in the policy, or declare it with `option name = \"…\"`".into());
            return (Ir::Const(Const::Null), ty_of(func));
        }
    }
    let ty = match func {
        Func::Distinct | Func::Recent | Func::Nfc => typed[0].1.clone(),
        Func::Find | Func::MostCommon => match &typed[0].1 {
            Ty::List(elem) => (**elem).clone(),
            _ => Ty::Any,
        },
        other => ty_of(other),
    };
    if matches!(func, Func::Matches | Func::CountMatching) {
        let pattern = match &irs[1] {
            Ir::Const(Const::Text(t)) => t.clone(),
            _ => String::new(),
        };
        let compiled = if c.defer_patterns {
            Ok(Pattern::deferred(&pattern))
        } else {
            Pattern::build(&pattern).map(|re| Pattern::compiled(&pattern, re))
        };
        return match compiled {
            Ok(re) if func == Func::Matches => (Ir::Matches(Box::new(irs.swap_remove(0)), re), Ty::Bool),
            Ok(re) => (Ir::CountMatching(Box::new(irs.swap_remove(0)), re), Ty::Num),
            Err(err) => {
                let detail = err.to_string();
                let last = detail.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("invalid").trim();
                let last = last.strip_prefix("error: ").unwrap_or(last).to_string();
                c.error("P0014", format!("invalid regular expression: {last}"), args[1].span, "this pattern").help =
                    Some("patterns use the syntax of the Rust `regex` crate (no look-around or backreferences)".into());
                (Ir::Const(Const::Null), Ty::Bool)
            }
        };
    }
    // `find(goals, "idd", …)`: the field name is checked like `goal.idd` would be.
    if func == Func::Find
        && let (Ty::List(elem), Ir::Const(Const::Text(field))) = (&typed[0].1, &irs[1])
        && let Ty::Rec(_) = **elem
    {
        field_access(c, elem, &Name { text: field.clone(), span: args[1].span });
    }
    (Ir::Call(func, irs), ty)
}
