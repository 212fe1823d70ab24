//! Runs a compiled policy over a backlog and returns findings. No I/O.

use crate::diag::{Level, Problem};
use crate::model::Backlog;
use crate::policy::ast::{BinaryOp, Mode};
use crate::policy::eval::{Cache, Context, Loc, Rec, V, Val, eval, holds, render_message};
use crate::policy::ir::{CompiledCheck, CompiledPolicy, CompiledRule, Global, Ir, IrRange};
use crate::text::Span;
use std::sync::Arc;

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
    run_with(policy, backlog, Plan { split_at: SPLIT_AT, skip_never_firing: true, parallel: true })
}

/// How checks run; the tests compare the shortcuts with the plain way.
#[derive(Clone, Copy)]
struct Plan {
    /// Checks over this many subjects or more are split across the cores.
    split_at: usize,
    /// Checks that no subject can fire (see `never_fires`) are skipped.
    skip_never_firing: bool,
    /// A large backlog's rules run on every core, its checks over the item list item-major.
    parallel: bool,
}

fn run_with(policy: &CompiledPolicy, backlog: &Backlog, plan: Plan) -> Vec<Finding> {
    let mut cx = Context::new(backlog, &policy.settings);
    let reads_suppressions = |r: &&CompiledRule| {
        r.checks.iter().any(|c| c.expressions().any(|e| e.any(&|e| matches!(e, Ir::Global(Global::Suppressions)))))
    };
    let (late, early): (Vec<&CompiledRule>, Vec<&CompiledRule>) =
        policy.rules.iter().filter(|r| r.enabled).partition(|r| reads_suppressions(r));
    let mut findings = run_parallel(&cx, &early, plan);
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
        run_rule(&cx, rule, plan, &mut findings);
    }
    findings
        .sort_by(|a, b| (a.file, a.span.start, &a.rule, &a.message).cmp(&(b.file, b.span.start, &b.rule, &b.message)));
    findings.dedup();
    findings
}

/// Rules are independent: on a large backlog they are prepared on every core, each rule taken by
/// the next free thread (their costs differ a hundredfold); then the checks over the item list run
/// item-major (see [`run_blocked`]).
fn run_parallel<'a>(cx: &Context<'a>, rules: &[&'a CompiledRule], plan: Plan) -> Vec<Finding> {
    if !plan.parallel || cx.backlog.items.len() < 1_000 {
        let mut out = Vec::new();
        for rule in rules {
            run_rule(cx, rule, plan, &mut out);
        }
        return out;
    }
    let items = match cx.global(Global::Items).val {
        Val::List(items) => items,
        _ => Arc::new([]),
    };
    let mut jobs: Vec<Job<'a>> = crate::parallel::map_each(rules, |rule| prepare_rule(cx, rule, plan, Some(&items)))
        .into_iter()
        .flatten()
        .collect();
    run_blocked(cx, &mut jobs, &items);
    jobs.into_iter().flat_map(|job| job.found).collect()
}

/// A rule's checks, one after the other, each split across the cores when it has many subjects.
fn run_rule<'a>(cx: &Context<'a>, rule: &'a CompiledRule, plan: Plan, out: &mut Vec<Finding>) {
    out.extend(prepare_rule(cx, rule, plan, None).into_iter().flat_map(|job| job.found));
}

/// One check of a run, with its cache and what it found so far.
struct Job<'a> {
    rule: &'a CompiledRule,
    check: &'a CompiledCheck,
    cache: Cache<'a>,
    /// The subjects from this one on are still to be asked; None once every subject was.
    from: Option<usize>,
    found: Vec<Finding>,
}

/// A check over at least this many subjects is split across the cores: one check (`duplicate-item`
/// at 100,000 items) can otherwise outlast all the others together.
const SPLIT_AT: usize = 4_000;

/// Subjects of a block: a split check asks its first block before the split, which fills its cache
/// (the lists, indexes and similarity index it reads are shared by the copies, not rebuilt); checks
/// over the item list then run block by block, each block through every check, so that the fields
/// of a block's items are still in the cache for all but the first.
const BLOCK: usize = 256;

/// A rule's checks, each ready to run. A check over fewer than `split_at` subjects has asked them
/// all. A larger one asks its first block, then the rest split across the cores, except a check
/// over the whole item list when `items` is given: its rest is left to [`run_blocked`], with every
/// other such check.
fn prepare_rule<'a>(
    cx: &Context<'a>,
    rule: &'a CompiledRule,
    plan: Plan,
    items: Option<&Arc<[V<'a>]>>,
) -> Vec<Job<'a>> {
    let mut jobs = Vec::new();
    for check in &rule.checks {
        let mut cache = Cache::new(check.cache_slots);
        if plan.skip_never_firing && never_fires(cx, check, &mut cache) {
            continue;
        }
        let subjects = subjects(cx, check, &mut cache);
        let first = if subjects.len() >= plan.split_at { BLOCK.min(subjects.len()) } else { subjects.len() };
        let mut found = Vec::new();
        for subject in &subjects[..first] {
            run_check(cx, rule, check, subject, &mut cache, &mut found);
        }
        let mut job = Job { rule, check, cache, from: (first < subjects.len()).then_some(first), found };
        if job.from.is_some() && !items.is_some_and(|items| Arc::ptr_eq(&subjects, items)) {
            run_blocked(cx, std::slice::from_mut(&mut job), &subjects);
        }
        jobs.push(job);
    }
    jobs
}

/// The rest of the jobs still to run, all over the same `subjects`, item-major: the subjects are cut
/// into parts, eight a core, each taken by the next free thread with its own copy of each job's
/// warmed cache, which runs every job on one block of its part before the next block. Every core
/// gets a share of every check: before, a rule was the unit of work, and a check that never fired
/// ran whole on one core (a split waited for its first finding), which left the other idle at the
/// end of a large run. The findings keep the order of one pass over each check.
fn run_blocked<'a>(cx: &Context<'a>, jobs: &mut [Job<'a>], subjects: &[V<'a>]) {
    let open: Vec<usize> = (0..jobs.len()).filter(|&j| jobs[j].from.is_some()).collect();
    let Some(start) = open.first().and_then(|&j| jobs[j].from) else { return };
    let per = (subjects.len() - start).div_ceil(crate::parallel::workers() * 8).max(BLOCK);
    let parts = crate::parallel::runs(start..subjects.len(), per);
    let shared: &[Job<'a>] = jobs;
    let found = crate::parallel::map_each(&parts, |part| {
        let mut caches: Vec<Cache<'a>> = open.iter().map(|&j| shared[j].cache.clone()).collect();
        let mut found: Vec<Vec<Finding>> = vec![Vec::new(); open.len()];
        for from in part.clone().step_by(BLOCK) {
            let block = &subjects[from..(from + BLOCK).min(part.end)];
            for (k, &j) in open.iter().enumerate() {
                let job = &shared[j];
                for subject in block {
                    run_check(cx, job.rule, job.check, subject, &mut caches[k], &mut found[k]);
                }
            }
        }
        found
    });
    for per_part in found {
        for (k, mut part) in per_part.into_iter().enumerate() {
            jobs[open[k]].found.append(&mut part);
        }
    }
    for &j in &open {
        jobs[j].from = None;
    }
}

/// The subjects of a check: the backlog, or the list it ranges over.
fn subjects<'a>(cx: &Context<'a>, check: &'a CompiledCheck, cache: &mut Cache<'a>) -> Arc<[V<'a>]> {
    match &check.range {
        IrRange::Backlog => Arc::new([V::new(Val::Rec(Rec::Backlog))]),
        IrRange::Each(collection) => match eval(cx, collection, &V::null(), cache).val {
            Val::List(items) => items,
            _ => Arc::new([]),
        },
    }
}

/// Whether no subject can fire the check, by the parts of its filter and condition that are the
/// same for every subject: `where story_backlog and …` with `story_backlog` false is false for all
/// 100,000 items, and so are `forbid a and …` with `a` false and `require a or …` with `a` true.
fn never_fires<'a>(cx: &Context<'a>, check: &'a CompiledCheck, cache: &mut Cache<'a>) -> bool {
    let mut invariant_holds = |part: &'a Ir| holds(cx, part, &V::null(), cache);
    let filtered_out =
        check.filter.as_ref().is_some_and(|f| invariant_parts(f, BinaryOp::And).any(|p| !invariant_holds(p)));
    filtered_out
        || match check.mode {
            Mode::Forbid => invariant_parts(&check.condition, BinaryOp::And).any(|p| !invariant_holds(p)),
            Mode::Require => invariant_parts(&check.condition, BinaryOp::Or).any(invariant_holds),
        }
}

/// The operands of `a op b op …` (`op` being `and` or `or`) that are the same for every subject
/// (cached, or constant).
fn invariant_parts(ir: &Ir, op: BinaryOp) -> Box<dyn Iterator<Item = &Ir> + '_> {
    match ir {
        Ir::Binary(o, l, r) if *o == op => Box::new(invariant_parts(l, op).chain(invariant_parts(r, op))),
        Ir::Cached(..) | Ir::Const(_) => Box::new(std::iter::once(ir)),
        _ => Box::new(std::iter::empty()),
    }
}

fn run_check<'a>(
    cx: &Context<'a>,
    rule: &CompiledRule,
    check: &'a CompiledCheck,
    subject: &V<'a>,
    cache: &mut Cache<'a>,
    out: &mut Vec<Finding>,
) {
    if let Some(filter) = &check.filter
        && !holds(cx, filter, subject, cache)
    {
        return;
    }
    let condition_holds = holds(cx, &check.condition, subject, cache);
    let fires = match check.mode {
        Mode::Require => !condition_holds,
        Mode::Forbid => condition_holds,
    };
    if !fires {
        return;
    }
    let target = check.at.as_ref().map(|at| eval(cx, at, subject, cache));
    let loc = target
        .as_ref()
        .and_then(|t| match t.val {
            Val::Rec(_) => cx.anchor(t),
            _ => t.at,
        })
        .or_else(|| cx.anchor(subject))
        .unwrap_or(Loc { file: 0, span: cx.backlog.top.anchor });
    let help = match &check.help {
        Some(h) => Some(render_message(cx, h, subject, cache)),
        None => rule.help.clone(),
    };
    out.push(Finding {
        rule: rule.name.clone(),
        level: if check.notice { Level::Info } else { check.severity.unwrap_or(rule.severity) },
        notice: check.notice,
        message: render_message(cx, &check.message, subject, cache),
        label: check.label.as_ref().map(|l| render_message(cx, l, subject, cache)),
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

#[cfg(test)]
mod tests {
    use crate::model::Backlog;

    /// Running on every core (checks over the item list item-major, block by block, and other
    /// large checks split, each part from a warmed, cloned cache) finds exactly what one pass over
    /// each check, one check after the other, finds: on both generated shapes of backlog, with the
    /// checks over the backlog, the near items and the whole list among them.
    #[test]
    fn running_on_every_core_finds_what_one_pass_finds() {
        let (policy, problems) = crate::policy::compile(&[]);
        assert!(problems.is_empty());
        for text in [crate::generate::yaml(3_000), crate::generate::described_yaml(2_000)] {
            let file = crate::text::SourceFile::new("g.yaml", text);
            let backlog =
                Backlog::from_yaml(file.clone(), crate::yaml::parse(&file, Default::default()).unwrap()).unwrap();
            let plan = |split_at, parallel| super::Plan { split_at, skip_never_firing: true, parallel };
            let one_pass = super::run_with(&policy, &backlog, plan(usize::MAX, false));
            for split_at in [500, usize::MAX] {
                let every_core = super::run_with(&policy, &backlog, plan(split_at, true));
                let first_difference = one_pass.iter().zip(&every_core).find(|(a, b)| a != b);
                assert_eq!(first_difference, None, "split at {split_at}");
                assert_eq!(one_pass.len(), every_core.len(), "split at {split_at}");
            }
            // The comparison covers the check the split is for, and others over items, near items,
            // distant items and the backlog.
            for rule in ["duplicate-item", "vague-title", "missing-acceptance-criteria", "over-specified-distant"] {
                assert!(one_pass.iter().any(|f| f.rule == rule), "{rule}");
            }
        }
    }

    /// Skipping the checks that no subject can fire finds what asking every subject finds, on a
    /// backlog of user stories (the story rules run) and on one without (they are skipped).
    #[test]
    fn skipping_checks_that_cannot_fire_changes_no_finding() {
        let (policy, _) = crate::policy::compile(&[]);
        let stories = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/stories/backlog.yaml"));
        let texts = [stories.expect("the story example reads"), crate::generate::yaml(1_500)];
        let mut skipped = 0;
        for (text, stories) in texts.into_iter().zip([true, false]) {
            let file = crate::text::SourceFile::new("b.yaml", text);
            let backlog =
                Backlog::from_yaml(file.clone(), crate::yaml::parse(&file, Default::default()).unwrap()).unwrap();
            let every = super::run_with(
                &policy,
                &backlog,
                super::Plan { split_at: 500, skip_never_firing: false, parallel: true },
            );
            let skipping = super::run_with(
                &policy,
                &backlog,
                super::Plan { split_at: 500, skip_never_firing: true, parallel: true },
            );
            assert_eq!(every, skipping);
            assert_eq!(every.iter().any(|f| f.rule.starts_with("story-")), stories);
            let cx = crate::policy::eval::Context::new(&backlog, &policy.settings);
            skipped += policy
                .rules
                .iter()
                .flat_map(|r| &r.checks)
                .filter(|c| super::never_fires(&cx, c, &mut crate::policy::eval::Cache::new(c.cache_slots)))
                .count();
        }
        assert!(skipped > 10, "the comparison covers skipped checks ({skipped})");
    }
}
