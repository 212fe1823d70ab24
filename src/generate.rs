//! Deterministic backlogs for benchmarks and scale tests, with a controlled share of defects for
//! the card rules: missing criteria near the top, unlinked and unknown goals, over-specified
//! distant items, short titles. The same `n` always gives the same bytes.

use std::fmt::Write as _;
use std::path::Path;

const VERBS: &[&str] =
    &["Export", "Import", "Show", "Filter", "Sort", "Share", "Print", "Archive", "Tag", "Rename", "Merge", "Schedule"];
const OBJECTS: &[&str] =
    &["invoices", "orders", "tickets", "reports", "members", "routes", "payments", "receipts", "bookings", "notes"];
const WHERE: &[&str] =
    &["on the dashboard", "as CSV", "by branch", "for managers", "in the app", "by date", "for guests", "per region"];

/// How many items of each kind of defect a generated backlog carries, per 100 items.
pub const DEFECTS_PER_100: [(&str, usize); 4] = [
    ("missing criteria in the near horizon", 2),
    ("unlinked or unknown goal", 4),
    ("over-specified distant", 5),
    ("short title", 3),
];

/// A tiny deterministic generator (64-bit LCG); no crate, no seed from the clock.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

fn title(i: usize, rng: &mut Lcg) -> String {
    if i % 100 == 17 || i % 100 == 53 || i % 100 == 91 {
        return format!("Fix {}", OBJECTS[rng.next() % OBJECTS.len()]);
    }
    format!(
        "{} {} {} (case {i})",
        VERBS[rng.next() % VERBS.len()],
        OBJECTS[rng.next() % OBJECTS.len()],
        WHERE[rng.next() % WHERE.len()]
    )
}

/// A native YAML backlog of `n` items (near = top 10, distant = beyond 30, as the defaults).
pub fn yaml(n: usize) -> String {
    let mut rng = Lcg(n as u64 + 7);
    let mut out = String::with_capacity(n * 200 + 1024);
    out.push_str("product: Generated\nproduct_owner: Dana Lee\noptimizing_for: time-to-market\n");
    out.push_str("definition_of_done: [Code reviewed, Released]\n");
    out.push_str("product_goals:\n  - {id: G1, statement: Half of orders online, measure: online share, target: 50% by 2027-06-30, status: active}\n");
    out.push_str("items:\n");
    for i in 0..n {
        let goal = match i % 100 {
            5 | 45 => String::new(),
            25 | 65 => ", goal: G9".to_string(),
            _ => ", goal: G1".to_string(),
        };
        let near = i < 10;
        let distant = i >= 30;
        let criteria = if near && i % 5 == 3 {
            String::new()
        } else if (!distant) || i % 20 == 11 {
            ", acceptance_criteria: [\"Given a member, when they act, then the result shows\"]".to_string()
        } else {
            String::new()
        };
        let estimate = [1, 2, 3, 5, 8, 13][rng.next() % if near { 5 } else { 6 }];
        let _ =
            writeln!(out, "  - {{id: PBI-{i}, title: {}{goal}, estimate: {estimate}{criteria}}}", title(i, &mut rng));
    }
    out
}

/// A Backlog.md folder of `n` task files under `dir/backlog`.
pub fn folder(n: usize, dir: &Path) -> std::io::Result<()> {
    let root = dir.join("backlog");
    std::fs::create_dir_all(root.join("tasks"))?;
    std::fs::write(
        root.join("config.yml"),
        "project_name: \"Generated\"\nstatuses: [\"To Do\", \"In Progress\", \"Done\"]\n",
    )?;
    let mut rng = Lcg(n as u64 + 11);
    for i in 0..n {
        let t = title(i, &mut rng);
        let milestone = if i % 100 == 5 { String::new() } else { "milestone: m-1\n".to_string() };
        let criteria = if i < 10 && i % 5 == 3 { "" } else { "- [ ] #1 The result shows for the member\n" };
        let body = format!(
            "---\nid: task-{i}\ntitle: {t}\nstatus: To Do\nassignee: []\n{milestone}ordinal: {}\n---\n\n## Description\n\n<!-- SECTION:DESCRIPTION:BEGIN -->\nMembers need this.\n<!-- SECTION:DESCRIPTION:END -->\n\n## Acceptance Criteria\n<!-- AC:BEGIN -->\n{criteria}<!-- AC:END -->\n",
            (i + 1) * 1000
        );
        std::fs::write(root.join("tasks").join(format!("task-{i} - generated.md")), body)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn generation_is_deterministic_and_valid() {
        assert_eq!(super::yaml(300), super::yaml(300));
        let file = crate::text::SourceFile::new("g.yaml", super::yaml(300));
        let root = crate::yaml::parse(&file, Default::default()).unwrap();
        let backlog = crate::model::Backlog::from_yaml(file, root).unwrap();
        assert_eq!(backlog.items.len(), 300);
    }
}
