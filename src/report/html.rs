//! The HTML report: one self-contained page (minijinja template, plotters charts) of each backlog's
//! figures, charts and findings, with the figures at an earlier revision beside today's.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value as Json, json};

use crate::diag::Level;
use crate::engine::Finding;
use crate::model::Backlog;
use crate::policy::ir::CompiledPolicy;
use crate::report::figures::{Figures, Share};

const TEMPLATE: &str = include_str!("templates/report.html");
/// Findings listed per rule, and items listed beyond those with findings, before "…and N more".
const MAX_FINDINGS_PER_RULE: usize = 200;
const MAX_QUIET_ITEMS: usize = 200;

fn tone(share: &Share) -> &'static str {
    match share.percent() {
        Some(p) if p >= 80 => "good",
        Some(p) if p >= 50 => "warn",
        Some(_) => "bad",
        None => "",
    }
}

fn percent(share: &Share) -> String {
    share.percent().map_or("n/a".into(), |p| format!("{p}%"))
}

/// One backlog as the report shows it: analysed, its policy, today's figures, and the figures at
/// the revision it is compared with.
pub type Report<'a> = (Checked<'a>, &'a CompiledPolicy, Figures, Option<(String, Figures)>);

/// A backlog and its findings, under the name the report gives it.
pub struct Checked<'a> {
    pub name: String,
    pub backlog: &'a Backlog,
    pub findings: &'a [Finding],
    pub notices: &'a [Finding],
}

pub fn page(reports: &[Report], compare: Option<&str>) -> Result<String, minijinja::Error> {
    let backlogs: Vec<Json> = reports.iter().enumerate().map(|(n, r)| backlog_context(n + 1, r)).collect();
    let title = reports.iter().map(|(a, ..)| a.name.clone()).collect::<Vec<_>>().join(", ");
    let mut env = minijinja::Environment::new();
    // The name ends in .html, so every value is HTML-escaped unless marked `safe` (only our charts).
    env.add_template("report.html", TEMPLATE)?;
    env.get_template("report.html")?.render(minijinja::value::Serde(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "title": title,
        "compare": compare,
        "backlogs": backlogs,
    })))
}

fn backlog_context(n: usize, (a, policy, f, then): &Report) -> Json {
    let then = then.as_ref().map(|(_, f)| f);
    let s = &f.stability;
    let stability_value = s.near_per_week.map_or("n/a".into(), |v| format!("{v:.1}/week"));
    let stability_tone = match s.near_per_week {
        Some(v) if v <= 1.0 => "good",
        Some(v) if v <= 3.0 => "warn",
        Some(_) => "bad",
        None => "",
    };
    let figures = json!([
        {
            "key": "readiness", "name": "Readiness of the near horizon", "value": percent(&f.readiness),
            "tone": tone(&f.readiness), "then": then.map(|t| percent(&t.readiness)),
            "detail": format!("{} of the {} near items are ready.", f.readiness.good, f.readiness.total),
            "measures": format!("the share of the top {} open items that have acceptance criteria, a link to a Product Goal and an estimate small enough for one Sprint.", f.near),
            "raise": "refine the top items with the developers before Sprint Planning: write criteria, link each to the goal it serves, and split anything too big.",
        },
        {
            "key": "clarity", "name": "Clarity", "value": percent(&f.clarity),
            "tone": tone(&f.clarity), "then": then.map(|t| percent(&t.clarity)),
            "detail": format!("{} of the {} open items are clear.", f.clarity.good, f.clarity.total),
            "measures": "the share of all open items with a clear title (specific, at least a few words) and a goal link.",
            "raise": "rewrite vague titles as the outcome a user would notice, and link every item to the goal it serves, or drop it.",
        },
        {
            "key": "stability", "name": "Ordering stability", "value": stability_value,
            "tone": stability_tone, "then": then.map(|t| t.stability.near_per_week.map_or("n/a".into(), |v| format!("{v:.1}/week"))),
            "detail": s.describe(),
            "measures": "how many moves touched the near horizon per week, and who made them (git history and the ordering log).",
            "raise": "let one Product Owner decide moves, record why, and change the near horizon at refinement rather than every day.",
        },
        {
            "key": "cycle", "name": "Feedback cycle time",
            "value": f.cycle_time.value(),
            "tone": "", "then": then.map(|t| t.cycle_time.value()),
            "detail": f.cycle_time.describe(),
            "measures": "the median number of days from an item entering the backlog to done, from the dates the source records (created and done or closed), with the trend by month.",
            "raise": "keep items small and finish what is started: the sooner an item is done, the sooner you learn whether it delivered the value you expected.",
        },
    ]);
    // Anchors use ranks, never ids, so no backlog text ends up in an attribute name.
    let anchor_of: HashMap<&str, String> =
        f.items.iter().map(|i| (i.id.as_str(), format!("b{n}-item-{}", i.rank))).collect();
    let mut by_rule: BTreeMap<&str, Vec<&crate::engine::Finding>> = BTreeMap::new();
    for finding in a.findings {
        by_rule.entry(&finding.rule).or_default().push(finding);
    }
    let mut rules: Vec<(&str, Vec<&crate::engine::Finding>)> = by_rule.into_iter().collect();
    rules.sort_by(|x, y| {
        let level = |v: &Vec<&crate::engine::Finding>| v.iter().map(|f| f.level).max().unwrap_or(Level::Info);
        level(&y.1).cmp(&level(&x.1)).then(y.1.len().cmp(&x.1.len())).then(x.0.cmp(y.0))
    });
    let rules: Vec<Json> = rules
        .into_iter()
        .map(|(name, found)| {
            let rule = policy.rules.iter().find(|r| r.name == name);
            let explanation = rule.and_then(|r| r.explanation.as_ref());
            let findings: Vec<Json> = found
                .iter()
                .take(MAX_FINDINGS_PER_RULE)
                .map(|finding| {
                    let row = crate::report::Row::new(a.backlog, finding);
                    let item = finding
                        .item
                        .and_then(|i| a.backlog.items[i].text("id", &a.backlog.files[a.backlog.items[i].file]));
                    json!({
                        "message": row.message, "file": row.file, "line": row.line,
                        "item": item, "anchor": item.as_deref().and_then(|id| anchor_of.get(id)),
                    })
                })
                .collect();
            json!({
                "name": name,
                "severity": found.iter().map(|f| f.level).max().unwrap_or(Level::Info).to_string(),
                "summary": rule.map_or("", |r| r.summary.as_str()),
                "what": explanation.map(|e| e.what.clone()),
                "why": explanation.map(|e| e.why.clone()),
                "fix": explanation.map(|e| e.fix.clone()),
                "findings": findings,
                "more": found.len().saturating_sub(MAX_FINDINGS_PER_RULE),
            })
        })
        .collect();
    let mut quiet = 0;
    let items: Vec<Json> = f
        .items
        .iter()
        .filter(|i| {
            let keep = i.findings > 0 || quiet < MAX_QUIET_ITEMS;
            quiet += usize::from(i.findings == 0);
            keep
        })
        .map(|i| {
            let mut v = serde_json::to_value(i).unwrap_or(Json::Null);
            v["anchor"] = json!(format!("b{n}-item-{}", i.rank));
            v
        })
        .collect();
    let count = |level: Level| a.findings.iter().filter(|f| f.level == level).count();
    let has_reorders = s.reorders > 0;
    json!({
        "name": a.name.clone(),
        "open": f.items.len(),
        "errors": count(Level::Error), "warnings": count(Level::Warning), "infos": count(Level::Info),
        "figures": figures,
        "stability": s.describe(),
        "charts": {
            "funnel": crate::report::charts::funnel(f),
            "goals": crate::report::charts::goals(f),
            "per_person": has_reorders.then(|| crate::report::charts::per_person(s)),
            "per_week": has_reorders.then(|| crate::report::charts::per_week(s)),
        },
        "rules": rules,
        "items": items,
        "items_more": f.items.len() - items.len(),
    })
}
