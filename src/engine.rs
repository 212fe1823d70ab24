//! Runs a compiled policy over a backlog and returns findings. No I/O.

use crate::diag::{Level, Problem};
use crate::model::Backlog;
use crate::policy::ast::Mode;
use crate::policy::eval::{Cache, Context, Loc, Rec, V, Val, eval, render_message};
use crate::policy::ir::{CompiledPolicy, CompiledRule, Global, Ir, IrRange};
use crate::text::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub rule: String,
    pub level: Level,
    pub message: String,
    pub label: Option<String>,
    pub help: Option<String>,
    /// Index into the backlog's files.
    pub file: usize,
    pub span: Span,
    /// The id of the item, goal or ordering-log entry the finding is about, when there is one.
    pub subject: Option<String>,
    /// Index of the item the finding is about, for suppressions.
    pub item: Option<usize>,
    /// A set-up notice: a concept the whole backlog lacks, said once; not a finding, never failing.
    pub notice: bool,
}

impl Finding {
    pub fn to_problem(&self, backlog: &Backlog) -> Problem {
        let mut p = Problem::error(&self.rule, self.message.clone()).in_file(&backlog.files[self.file]);
        p.level = self.level;
        p.labels.push((self.span, self.label.clone()));
        p.help = self.help.clone();
        p
    }
}

/// Runs every enabled rule. Rules that read `suppressions` run last, after the `allow:` entries
/// with a reason have silenced the findings they name, so they can report unused suppressions.
pub fn run(policy: &CompiledPolicy, backlog: &Backlog) -> Vec<Finding> {
    let mut cx = Context::new(backlog, &policy.settings);
    let reads_suppressions = |r: &&CompiledRule| {
        r.checks.iter().any(|c| c.expressions().any(|e| e.any(&|e| matches!(e, Ir::Global(Global::Suppressions)))))
    };
    let (late, early): (Vec<&CompiledRule>, Vec<&CompiledRule>) =
        policy.rules.iter().filter(|r| r.enabled).partition(|r| reads_suppressions(r));
    let mut findings = run_parallel(&cx, &early);
    findings.retain(|f| {
        let silenced_by = backlog
            .suppressions
            .iter()
            .position(|s| s.rule == f.rule && s.has_reason() && (s.item.is_none() || s.item == f.item));
        if let Some(i) = silenced_by {
            cx.suppression_used[i] = true;
        }
        silenced_by.is_none()
    });
    for rule in late {
        run_rule(&cx, rule, &mut findings);
    }
    findings
        .sort_by(|a, b| (a.file, a.span.start, &a.rule, &a.message).cmp(&(b.file, b.span.start, &b.rule, &b.message)));
    findings.dedup();
    findings
}

/// Rules are independent: on a large backlog they run on every core.
fn run_parallel(cx: &Context, rules: &[&CompiledRule]) -> Vec<Finding> {
    // Alternate rules (findings are sorted afterwards), so neighbouring expensive rules of one group
    // do not all land on the same thread.
    let alternated: Vec<&CompiledRule> =
        rules.iter().step_by(2).chain(rules.iter().skip(1).step_by(2)).copied().collect();
    let per_rule =
        crate::parallel::map(&alternated, if cx.backlog.items.len() < 1_000 { usize::MAX } else { 2 }, |rule| {
            let mut out = Vec::new();
            run_rule(cx, rule, &mut out);
            out
        });
    per_rule.into_iter().flatten().collect()
}

fn run_rule<'a>(cx: &Context<'a>, rule: &CompiledRule, out: &mut Vec<Finding>) {
    for check in &rule.checks {
        let mut cache = Cache::new(check.cache_slots);
        let subjects: Vec<V<'a>> = match &check.range {
            IrRange::Backlog => vec![V::new(Val::Rec(Rec::Backlog))],
            IrRange::Each(collection) => match eval(cx, collection, &V::null(), &mut cache).val {
                Val::List(items) => items.iter().cloned().collect(),
                _ => Vec::new(),
            },
        };
        for subject in &subjects {
            if let Some(filter) = &check.filter
                && !eval(cx, filter, subject, &mut cache).truthy()
            {
                continue;
            }
            let holds = eval(cx, &check.condition, subject, &mut cache).truthy();
            let fires = match check.mode {
                Mode::Require => !holds,
                Mode::Forbid => holds,
            };
            if !fires {
                continue;
            }
            let target = check.at.as_ref().map(|at| eval(cx, at, subject, &mut cache));
            let loc = target
                .as_ref()
                .and_then(|t| match t.val {
                    Val::Rec(_) => cx.anchor(t),
                    _ => t.at,
                })
                .or_else(|| cx.anchor(subject))
                .unwrap_or(Loc { file: 0, span: cx.backlog.top.anchor });
            let help = match &check.help {
                Some(h) => Some(render_message(cx, h, subject, &mut cache)),
                None => rule.help.clone(),
            };
            out.push(Finding {
                rule: rule.name.clone(),
                level: if check.notice { Level::Info } else { check.severity.unwrap_or(rule.severity) },
                notice: check.notice,
                message: render_message(cx, &check.message, subject, &mut cache),
                label: check.label.as_ref().map(|l| render_message(cx, l, subject, &mut cache)),
                help,
                file: loc.file,
                span: loc.span,
                subject: subject_id(cx, subject),
                item: match subject.val {
                    Val::Rec(Rec::Item(i)) => Some(i),
                    _ => None,
                },
            });
        }
    }
}

fn subject_id(cx: &Context, subject: &V) -> Option<String> {
    let Val::Rec(rec) = subject.val else { return None };
    let b = cx.backlog;
    let (record, field) = match rec {
        Rec::Item(i) => (&b.items[i], "id"),
        Rec::Goal(i) => (&b.goals[i], "id"),
        Rec::Reorder(i) => (&b.reorders[i], "item"),
        _ => return None,
    };
    record.text(field, &b.files[record.file])
}
