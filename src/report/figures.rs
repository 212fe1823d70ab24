//! The three health figures of `../shared/domain.md` and the data behind the report's charts:
//! readiness of the near horizon, clarity of all open items, ordering stability (near-horizon churn
//! per week, and who moved the order).

use std::collections::BTreeMap;

use crate::date::day_number;
use crate::engine::Finding;
use crate::model::Backlog;
use crate::policy::eval::{Context, Horizon};
use crate::policy::ir::{CompiledPolicy, Const};
use crate::yaml::Value;

/// `good` of `total`, e.g. near items that are ready.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Share {
    pub good: usize,
    pub total: usize,
}

impl Share {
    /// Whole percent, or None when there is nothing to count.
    pub fn percent(&self) -> Option<u32> {
        (self.total > 0).then(|| (self.good as f64 * 100.0 / self.total as f64).round() as u32)
    }
    pub fn describe(&self) -> String {
        match self.percent() {
            Some(p) => format!("{p}% ({}/{})", self.good, self.total),
            None => "n/a (nothing to count)".into(),
        }
    }
}

/// One item as the refinement funnel shows it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ItemDetail {
    pub rank: usize,
    pub id: String,
    pub title: String,
    pub goal: Option<String>,
    pub horizon: &'static str,
    pub criteria: usize,
    pub description_words: usize,
    pub estimate: bool,
    /// criteria + description words / 25 + 1 for an estimate: one number for "how refined".
    pub detail: f64,
    pub findings: usize,
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Stability {
    pub reorders: usize,
    /// Reorders that moved an item into, out of or within the near horizon.
    pub near_reorders: usize,
    /// Weeks from the first to the last day the history (or the ordering log) covers.
    pub weeks: usize,
    pub near_per_week: Option<f64>,
    /// (Monday of the week, all reorders, near-horizon reorders), oldest first, empty weeks included.
    pub per_week: Vec<(String, usize, usize)>,
    /// (person, reorders), most first.
    pub per_person: Vec<(String, usize)>,
    /// Reorders that git history found (the rest come from the ordering log).
    pub from_git: usize,
}

/// Feedback cycle time: days from an item entering the backlog to done, from the source's own dates.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct CycleTime {
    /// Done items that carry both dates.
    pub items: usize,
    pub median_days: Option<f64>,
    /// (month the items were done, "YYYY-MM"; items done that month; their median days), oldest
    /// first, the last six months that had any.
    pub per_month: Vec<(String, usize, f64)>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Figures {
    pub readiness: Share,
    pub clarity: Share,
    pub stability: Stability,
    pub cycle_time: CycleTime,
    pub items: Vec<ItemDetail>,
    /// (goal id, open items linked to it); items linked to no goal are `unlinked`.
    pub goals: Vec<(String, usize)>,
    pub unlinked: usize,
    pub near: usize,
    pub distant: usize,
}

fn option_number(policy: &CompiledPolicy, rule: &str, option: &str, default: f64) -> f64 {
    policy
        .rules
        .iter()
        .find(|r| r.name == rule)
        .and_then(|r| r.options.iter().find(|(n, _)| n == option))
        .and_then(|(_, v)| match v {
            Const::Num(n) => Some(*n),
            _ => None,
        })
        .unwrap_or(default)
}

pub fn compute(policy: &CompiledPolicy, backlog: &Backlog, findings: &[Finding]) -> Figures {
    let cx = Context::new(backlog, &policy.settings);
    let max_estimate = option_number(policy, "near-item-too-large", "max_estimate", 8.0);
    let min_words = option_number(policy, "vague-title", "min_words", 3.0) as usize;
    let mut per_item = vec![0usize; backlog.items.len()];
    let mut vague = vec![false; backlog.items.len()];
    for f in findings {
        if let Some(i) = f.item {
            per_item[i] += 1;
            vague[i] |= f.rule == "vague-title";
        }
    }
    let (mut readiness, mut clarity) = (Share::default(), Share::default());
    let mut goals: BTreeMap<String, usize> =
        backlog.goals.iter().filter_map(|g| g.text("id", &backlog.files[g.file])).map(|id| (id, 0)).collect();
    let mut unlinked = 0;
    let mut items = Vec::with_capacity(backlog.items.len());
    let mut open_rank = 0;
    for (i, item) in backlog.items.iter().enumerate() {
        let file = &backlog.files[item.file];
        let horizon = cx.horizons[i];
        let text = |f: &str| item.text(f, file).filter(|t| !t.trim().is_empty());
        let goal = text("goal");
        let title = text("title").unwrap_or_default();
        let criteria = match item.get("acceptance_criteria").map(|n| &n.value) {
            Some(Value::Seq(list)) => list.len(),
            Some(Value::Str(s)) if !s.trim().is_empty() => 1,
            _ => 0,
        };
        let description_words = text("description").map_or(0, |d| crate::text::word_count(&d));
        let estimate = match item.get("estimate").map(|n| &n.value) {
            Some(Value::Num(n)) => Some(*n),
            _ => None,
        };
        if horizon != Horizon::Done {
            open_rank += 1;
            match &goal {
                Some(g) => *goals.entry(g.clone()).or_default() += 1,
                None => unlinked += 1,
            }
            clarity.total += 1;
            let clear_title = title.split_whitespace().count() >= min_words && !vague[i];
            clarity.good += usize::from(clear_title && goal.is_some());
        }
        if horizon == Horizon::Near {
            readiness.total += 1;
            let sized = estimate.is_some_and(|e| e <= max_estimate);
            readiness.good += usize::from(criteria > 0 && goal.is_some() && sized);
        }
        if horizon == Horizon::Done {
            continue;
        }
        items.push(ItemDetail {
            rank: open_rank,
            id: text("id").unwrap_or_default(),
            title,
            goal,
            horizon: horizon.as_str(),
            criteria,
            description_words,
            estimate: estimate.is_some(),
            detail: criteria as f64 + description_words as f64 / 25.0 + if estimate.is_some() { 1.0 } else { 0.0 },
            findings: per_item[i],
        });
    }
    let mut goals: Vec<(String, usize)> = goals.into_iter().collect();
    goals.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Figures {
        readiness,
        clarity,
        stability: stability(backlog, policy.settings.near),
        cycle_time: cycle_time(backlog, &cx.states),
        items,
        goals,
        unlinked,
        near: policy.settings.near,
        distant: policy.settings.distant,
    }
}

fn stability(backlog: &Backlog, near: usize) -> Stability {
    let file0 = &backlog.files[0];
    let mut s = Stability::default();
    let mut weeks: BTreeMap<i64, (usize, usize)> = BTreeMap::new();
    let mut people: BTreeMap<String, usize> = BTreeMap::new();
    for r in &backlog.reorders {
        let position = |f: &str| match r.get(f).map(|n| &n.value) {
            Some(Value::Num(n)) => Some(*n as usize),
            _ => None,
        };
        let touches_near = [position("from"), position("to")].iter().flatten().any(|&p| p <= near);
        s.reorders += 1;
        s.near_reorders += usize::from(touches_near);
        s.from_git += usize::from(r.text("commit", file0).is_some());
        if let Some(by) = r.text("by", file0).filter(|b| !b.trim().is_empty()) {
            *people.entry(by.trim().to_string()).or_default() += 1;
        }
        if let Some(day) = r.text("date", file0).and_then(|d| day_number(&d)) {
            let week = weeks.entry(monday(day)).or_default();
            week.0 += 1;
            week.1 += usize::from(touches_near);
        }
    }
    // The window is the history's when there is one, so quiet weeks count as quiet.
    let bounds = backlog
        .history
        .as_ref()
        .and_then(|h| Some((day_number(h.first_date.as_deref()?)?, day_number(h.last_date.as_deref()?)?)));
    let first = bounds.map(|b| monday(b.0)).or(weeks.keys().next().copied());
    let last = bounds.map(|b| monday(b.1)).or(weeks.keys().last().copied());
    if let (Some(first), Some(last)) = (first, last) {
        let mut week = first.min(weeks.keys().next().copied().unwrap_or(first));
        let last = last.max(weeks.keys().last().copied().unwrap_or(last));
        while week <= last {
            let (all, near) = weeks.get(&week).copied().unwrap_or_default();
            s.per_week.push((crate::date::date_of_unix(week * 86_400), all, near));
            week += 7;
        }
        s.weeks = s.per_week.len();
        s.near_per_week = (s.weeks > 0).then(|| s.near_reorders as f64 / s.weeks as f64);
    }
    let mut people: Vec<(String, usize)> = people.into_iter().collect();
    people.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    s.per_person = people;
    s
}

/// Where sources keep the day an item entered the backlog, and the day it was done (Backlog.md,
/// beads, Jira CSV, native YAML). Backlog.md has no completion date: a done task's `updated_date`
/// is when it was last changed, which is when it was closed unless someone edited it afterwards.
const ENTERED: &[&str] = &["created_date", "created_at", "created"];
const DONE_ON: &[&str] = &["completed", "completed_date", "closed_at", "updated_date"];

/// A day as sources write it: ISO (`2026-10-05`, `2026-10-05T09:30:00Z`, `2026-10-05 09:30`) or
/// Jira's export format (`05/Oct/26 9:30 AM`).
fn day_of(text: &str) -> Option<i64> {
    day_number(text).or_else(|| {
        let mut parts = text.split_whitespace().next()?.split('/');
        let (d, mon, y) = (parts.next()?, parts.next()?, parts.next()?);
        const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
        let m = MONTHS.iter().position(|m| mon.to_lowercase().starts_with(m))? + 1;
        let y: i64 = y.parse().ok()?;
        let y = if y < 100 { 2000 + y } else { y };
        day_number(&format!("{y:04}-{m:02}-{:02}", d.parse::<u32>().ok()?))
    })
}

fn cycle_time(backlog: &Backlog, states: &[crate::policy::eval::State]) -> CycleTime {
    let mut done: Vec<(i64, f64)> = Vec::new();
    for (item, state) in backlog.items.iter().zip(states) {
        if *state != crate::policy::eval::State::Done {
            continue;
        }
        let file = &backlog.files[item.file];
        let day = |fields: &[&str]| fields.iter().find_map(|f| item.text(f, file).and_then(|t| day_of(&t)));
        if let (Some(entered), Some(finished)) = (day(ENTERED), day(DONE_ON))
            && finished >= entered
        {
            done.push((finished, (finished - entered) as f64));
        }
    }
    let mut months: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (finished, days) in &done {
        let date = crate::date::date_of_unix(finished * 86_400);
        months.entry(date[..7].to_string()).or_default().push(*days);
    }
    let mut per_month: Vec<(String, usize, f64)> =
        months.into_iter().map(|(m, mut d)| (m, d.len(), median(&mut d))).collect();
    per_month.drain(..per_month.len().saturating_sub(6));
    let mut all: Vec<f64> = done.iter().map(|d| d.1).collect();
    CycleTime { items: all.len(), median_days: (!all.is_empty()).then(|| median(&mut all)), per_month }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) { (values[mid - 1] + values[mid]) / 2.0 } else { values[mid] }
}

impl CycleTime {
    /// The median as the report's figure shows it (`4.5 d`).
    pub fn value(&self) -> String {
        self.median_days.map_or("n/a".into(), |d| format!("{} d", (d * 10.0).round() / 10.0))
    }

    pub fn describe(&self) -> String {
        let Some(median) = self.median_days else {
            return "n/a (no done item records when it entered and when it was done)".into();
        };
        let days = |d: f64| if d == 1.0 { "1 day".to_string() } else { format!("{} days", (d * 10.0).round() / 10.0) };
        let items = if self.items == 1 { "1 done item".to_string() } else { format!("{} done items", self.items) };
        let mut text = format!("median {} over {items}", days(median));
        if self.per_month.len() > 1 {
            let trend: Vec<String> = self.per_month.iter().map(|(m, n, d)| format!("{m} {} ({n})", days(*d))).collect();
            text += &format!("; by month done: {}", trend.join(", "));
        }
        text
    }
}

/// The Monday on or before a day (day 0, 1970-01-01, was a Thursday).
fn monday(day: i64) -> i64 {
    day - (day + 3).rem_euclid(7)
}

impl Stability {
    pub fn describe(&self) -> String {
        if self.reorders == 0 {
            return "no reorders recorded".into();
        }
        let per_week = self.near_per_week.map_or("n/a".into(), |n| format!("{n:.1}"));
        let people: Vec<String> = self
            .per_person
            .iter()
            .take(5)
            .map(|(p, n)| format!("{p} {}%", (*n as f64 * 100.0 / self.reorders as f64).round()))
            .collect();
        format!(
            "{per_week} near-horizon moves per week over {} ({}{}); by person: {}",
            crate::text::counted(self.weeks, "week"),
            crate::text::counted(self.reorders, "reorder"),
            match self.from_git {
                0 => String::new(),
                n if n == self.reorders => ", all from git".into(),
                n => format!(", {n} from git"),
            },
            if people.is_empty() { "unknown".into() } else { people.join(", ") }
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn days_are_read_as_sources_write_them() {
        let iso = crate::date::day_number("2026-10-05");
        for text in ["2026-10-05", "2026-10-05T09:30:00Z", "2026-10-05 09:30", "05/Oct/26 9:30 AM"] {
            assert_eq!(super::day_of(text), iso, "{text}");
        }
        assert_eq!(super::day_of("soon"), None);
    }

    #[test]
    fn cycle_time_is_the_median_per_month_done() {
        let yaml = "items:\n  - {id: A, title: a, status: done, created: 2026-09-01, completed: 2026-09-05}\n  - {id: B, title: b, status: done, created: 2026-09-01, completed: 2026-09-11}\n  - {id: C, title: c, status: done, created: 2026-10-01, completed: 2026-10-03}\n  - {id: D, title: d, status: open, created: 2026-10-01}\n  - {id: E, title: e, status: done}\n";
        let file = crate::text::SourceFile::new("backlog.yaml", yaml);
        let root = crate::yaml::parse(&file, crate::yaml::Limits::default()).unwrap();
        let backlog = crate::model::Backlog::from_yaml(file, root).unwrap();
        let policy = crate::policy::compile(&[]).0;
        let f = super::compute(&policy, &backlog, &[]);
        assert_eq!(f.cycle_time.items, 3);
        assert_eq!(f.cycle_time.median_days, Some(4.0));
        assert_eq!(f.cycle_time.per_month, [("2026-09".to_string(), 2, 7.0), ("2026-10".to_string(), 1, 2.0)]);
        assert_eq!(
            f.cycle_time.describe(),
            "median 4 days over 3 done items; by month done: 2026-09 7 days (2), 2026-10 2 days (1)"
        );
    }

    #[test]
    fn weeks_start_on_monday() {
        let day = crate::date::day_number("2026-11-26").unwrap(); // a Thursday
        assert_eq!(crate::date::date_of_unix(super::monday(day) * 86_400), "2026-11-23");
        let monday = crate::date::day_number("2026-11-23").unwrap();
        assert_eq!(super::monday(monday), monday);
    }
}
