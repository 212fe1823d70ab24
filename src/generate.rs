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

/// A native YAML backlog of `n` short items, one flow mapping a line (about 90 bytes an item; near
/// = top 10, distant = beyond 30, as the defaults).
pub fn yaml(n: usize) -> String {
    let mut out = header(n, 200);
    let mut rng = Lcg(n as u64 + 7);
    for i in 0..n {
        let item = Item::new(i, &mut rng);
        let criteria = if item.criteria {
            ", acceptance_criteria: [\"Given a member, when they act, then the result shows\"]"
        } else {
            ""
        };
        let goal = item.goal.map(|g| format!(", goal: {g}")).unwrap_or_default();
        let _ =
            writeln!(out, "  - {{id: PBI-{i}, title: {}{goal}, estimate: {}{criteria}}}", item.title, item.estimate);
    }
    out
}

/// The same backlog as [`yaml`] (same titles, goals, estimates and criteria), each item a block
/// mapping with a type and a description of about 50 words in three sentences: about 450 bytes an
/// item, the shape of a backlog that people write, and the workload of the published all-rule
/// figures.
pub fn described_yaml(n: usize) -> String {
    let mut out = header(n, 500);
    let mut rng = Lcg(n as u64 + 7);
    let mut words = Lcg(n as u64 + 13);
    for i in 0..n {
        let item = Item::new(i, &mut rng);
        let _ = writeln!(out, "  - id: PBI-{i}\n    title: {}\n    type: {}", item.title, TYPES[i % TYPES.len()]);
        if let Some(goal) = item.goal {
            let _ = writeln!(out, "    goal: {goal}");
        }
        let _ = writeln!(out, "    estimate: {}\n    description: >-", item.estimate);
        for _ in 0..3 {
            let object = OBJECTS[words.next() % OBJECTS.len()];
            let _ = writeln!(
                out,
                "      {} {} {object} {} today, so {} {} {}.",
                WHO[words.next() % WHO.len()],
                PAIN[words.next() % PAIN.len()],
                WHERE[words.next() % WHERE.len()],
                WHO[words.next() % WHO.len()].to_lowercase(),
                GAIN[words.next() % GAIN.len()],
                object,
            );
        }
        if item.criteria {
            out.push_str("    acceptance_criteria:\n      - Given a member, when they act, then the result shows\n");
        }
    }
    out
}

const TYPES: &[&str] = &["feature", "feature", "feature", "improvement", "chore"];
const WHO: &[&str] = &["Members", "Managers", "Guests", "Branch staff", "Accountants", "Support agents"];
const PAIN: &[&str] =
    &["cannot find their", "wait too long for their", "keep asking about their", "lose track of their"];
const GAIN: &[&str] = &["would settle faster with", "would trust", "could plan around", "would stop retyping"];

fn header(n: usize, bytes_per_item: usize) -> String {
    let mut out = String::with_capacity(n * bytes_per_item + 1024);
    out.push_str("product: Generated\nproduct_owner: Dana Lee\noptimizing_for: time-to-market\n");
    out.push_str("definition_of_done: [Code reviewed, Released]\n");
    out.push_str("product_goals:\n  - {id: G1, statement: Half of orders online, measure: online share, target: 50% by 2027-06-30, status: active}\n");
    out.push_str("items:\n");
    out
}

/// One generated item's card, with the controlled defects (see [`DEFECTS_PER_100`]).
struct Item {
    title: String,
    goal: Option<&'static str>,
    estimate: u32,
    criteria: bool,
}

impl Item {
    fn new(i: usize, rng: &mut Lcg) -> Item {
        let goal = match i % 100 {
            5 | 45 => None,
            25 | 65 => Some("G9"),
            _ => Some("G1"),
        };
        let near = i < 10;
        let distant = i >= 30;
        let criteria = !(near && i % 5 == 3) && (!distant || i % 20 == 11);
        // The estimate is drawn before the title, as the first generator did: the same `n` keeps
        // giving the same bytes.
        let estimate = [1, 2, 3, 5, 8, 13][rng.next() % if near { 5 } else { 6 }];
        let title = title(i, rng);
        Item { title, goal, estimate, criteria }
    }
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

    /// The described backlog carries the same cards as the short one, in about 450 bytes an item.
    #[test]
    fn described_items_are_the_short_ones_with_a_description() {
        let read = |text: String| {
            let file = crate::text::SourceFile::new("g.yaml", text);
            let root = crate::yaml::parse(&file, Default::default()).unwrap();
            crate::model::Backlog::from_yaml(file, root).unwrap()
        };
        let (short, described) = (read(super::yaml(300)), read(super::described_yaml(300)));
        for (s, d) in short.items.iter().zip(&described.items) {
            for field in ["id", "title", "goal", "estimate"] {
                assert_eq!(s.text(field, &short.files[0]), d.text(field, &described.files[0]), "{field}");
            }
            assert_eq!(s.node.get("acceptance_criteria").is_some(), d.node.get("acceptance_criteria").is_some());
            assert!(d.text("description", &described.files[0]).is_some_and(|t| t.split(' ').count() > 40));
        }
        let bytes_per_item = super::described_yaml(1_000).len() / 1_000;
        assert!((400..500).contains(&bytes_per_item), "{bytes_per_item} bytes an item");
    }
}
