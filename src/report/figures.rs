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

#[derive(Clone, Debug, serde::Serialize)]
pub struct Figures {
    pub readiness: Share,
    pub clarity: Share,
    pub stability: Stability,
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
        let description_words = text("description").map_or(0, |d| d.split_whitespace().count());
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
    fn weeks_start_on_monday() {
        let day = crate::date::day_number("2026-11-26").unwrap(); // a Thursday
        assert_eq!(crate::date::date_of_unix(super::monday(day) * 86_400), "2026-11-23");
        let monday = crate::date::day_number("2026-11-23").unwrap();
        assert_eq!(super::monday(monday), monday);
    }
}
