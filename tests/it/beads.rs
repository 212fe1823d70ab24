//! beads trackers (`.beads/issues.jsonl`): the three generations of the format, findings at exact
//! lines, the real binary, and the three real trackers in `../shared/data/beads/`.

use super::*;
use backlint::diag::Problem;
use std::collections::BTreeSet;
use std::process::Command;

fn read(name: &str) -> (Backlog, Vec<Problem>) {
    let (backlog, problems) = backlint::source::beads::read(&fixture(&format!("beads/{name}/.beads/issues.jsonl")));
    (backlog.expect("a beads file always gives a backlog"), problems)
}

fn ids(backlog: &Backlog, records: &[backlint::model::Record]) -> Vec<String> {
    records.iter().map(|r| r.text("id", &backlog.files[r.file]).unwrap()).collect()
}

/// (line, rule) of the findings of the given rules.
fn found(backlog: &Backlog, rules: &[&str]) -> BTreeSet<(usize, String)> {
    lines(backlog, &check(&policy_with(None), backlog))
        .into_iter()
        .filter(|(_, r)| rules.contains(&r.as_str()))
        .collect()
}

fn set(pairs: &[(usize, &str)]) -> BTreeSet<(usize, String)> {
    pairs.iter().map(|&(l, r)| (l, r.to_string())).collect()
}

const DEPENDENCY_RULES: &[&str] = &[
    "dependency-inversion",
    "dependency-cycle",
    "dependency-unknown-id",
    "dependency-unknown-type",
    "blocked-by-distant",
    "open-child-of-done-parent",
    "criteria-met-not-done",
    "done-criteria-unmet",
    "missing-acceptance-criteria",
    "goal-link-missing",
];

#[test]
fn old_bd_files_read_in_priority_then_creation_order_without_tombstones() {
    let (b, problems) = read("bd-old");
    assert!(problems.is_empty(), "{problems:?}");
    // bd-9.1 was created at 00:30Z, bd-4 at 01:00Z: instants, not the text, decide.
    assert_eq!(ids(&b, &b.items), ["bd-2", "bd-1", "bd-9.1", "bd-4"]);
    assert_eq!(ids(&b, &b.goals), ["bd-9"]);
    let goal = |i: usize| b.items[i].text("goal", &b.files[0]);
    assert_eq!(goal(1).as_deref(), Some("bd-9"), "through its parent-child link");
    assert_eq!(goal(2).as_deref(), Some("bd-9"), "through its dotted id");
    assert!(!b.items[1].active(), "closed is done");
    let f = found(&b, DEPENDENCY_RULES);
    assert!(f.is_superset(&set(&[
        (2, "dependency-inversion"),
        (2, "dependency-cycle"),
        (4, "dependency-unknown-id"), // bd-3 is a tombstone: deleted, so not in the backlog
    ])));
    assert!(!f.iter().any(|(_, r)| r == "dependency-unknown-type"));
}

#[test]
fn br_files_keep_going_after_a_malformed_line() {
    let (b, problems) = read("br");
    assert_eq!(problems.len(), 1);
    let p = &problems[0];
    assert_eq!(p.code, "I0080");
    assert!(p.message.contains("line 3"), "{}", p.message);
    let at = p.labels[0].0.start;
    assert_eq!(b.files[0].line_col(at), (3, 47), "the `o` of the unquoted `open`");
    assert_eq!(ids(&b, &b.items), ["br-6", "br-2", "br-4"]);
    assert_eq!(ids(&b, &b.goals), ["br-1"]);
    assert_eq!(
        b.goals[0].text("status", &b.files[0]).as_deref(),
        Some("future"),
        "in progress, but not the Product Goal"
    );
    assert_eq!(
        found(&b, DEPENDENCY_RULES),
        set(&[
            (1, "done-criteria-unmet"), // no Definition of Done: beads has no place for one
            (2, "criteria-met-not-done"),
            (2, "dependency-unknown-type"),
            (2, "goal-link-missing"),
            (4, "done-criteria-unmet"),
            (7, "dependency-inversion"),
            (7, "goal-link-missing"),
            (7, "missing-acceptance-criteria"),
        ])
    );
    // Criteria from the field point at their own words in the file.
    let criteria = b.items[1].get("acceptance_criteria").unwrap();
    let span = match &criteria.value {
        backlint::yaml::Value::Seq(c) => c[1].span,
        _ => panic!("a list"),
    };
    assert_eq!(&b.files[0].text[span.start..span.end], "[x] Ties are broken by creation time");
}

#[test]
fn new_bd_files_skip_the_header_memories_and_what_is_not_backlog() {
    let (b, problems) = read("bd-new");
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(ids(&b, &b.items), ["gt-a1", "gt-c3", "gt-b2"]);
    // Links to the wisp and the pinned anchor are dropped with them.
    let links: Vec<String> = b.dependencies.iter().map(|d| d.text("to", &b.files[0]).unwrap()).collect();
    assert_eq!(links, ["gt-b2"]);
    assert_eq!(found(&b, &["dependency-inversion", "dependency-unknown-id"]), set(&[(2, "dependency-inversion")]));
}

#[test]
fn hostile_lines_are_errors_not_panics() {
    let text = format!(
        "{}\n[1]\n{{\"title\":\"no id\"}}\n{{\"id\":\"x\",\"title\":\"\\ud800\"}}\n{{\"id\":\"y\",\"title\":7,\"labels\":\"a\"}}\n\u{feff}\n{{",
        "[".repeat(10_000)
    );
    let (b, problems) = backlint::source::beads::load(SourceFile::new("issues.jsonl", text));
    let codes: Vec<&str> = problems.iter().map(|p| p.code.as_str()).collect();
    // Syntax first, line by line; then the type of a known field (`labels` must be a list).
    assert_eq!(codes, ["I0080", "I0081", "I0082", "I0080", "I0080", "I0012"]);
    assert!(b.is_some());
}

fn backlint_bin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_backlint"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .output()
        .unwrap()
}

#[test]
fn the_binary_finds_the_tracker_in_a_project_and_reads_a_file_given_directly() {
    let o = backlint_bin(&["check", "tests/fixtures/beads/br", "--format", "short"]);
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(2), "a malformed line is an input error: {out}{err}");
    assert!(err.contains("invalid JSON on line 3"), "{err}");
    assert!(out.contains("tests/fixtures/beads/br/.beads/issues.jsonl:7:"), "the other lines are checked: {out}");
    assert!(out.contains("warning[dependency-inversion] `br-6` (position 1) is ordered before `br-2`"), "{out}");
    let o = backlint_bin(&["check", "tests/fixtures/beads/bd-old/.beads/issues.jsonl", "--format", "short"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("error[dependency-cycle] blocking cycle: bd-2 → bd-4 → bd-2"), "{out}");
}

#[test]
fn rendered_findings_on_a_beads_file() {
    let path = root().join("examples/beads/.beads/issues.jsonl");
    let (backlog, problems) = backlint::source::beads::read(&path);
    assert!(problems.is_empty());
    let mut backlog = backlog.unwrap();
    let policy_file = root().join("examples/beads/backlint.policy");
    let user = SourceFile::new("examples/beads/backlint.policy", std::fs::read_to_string(&policy_file).unwrap());
    let (policy, problems) = backlint::policy::compile(&[user]);
    assert!(problems.is_empty());
    let findings = check(&policy, &backlog);
    backlog.files[0] = SourceFile::new("examples/beads/.beads/issues.jsonl", backlog.files[0].text.clone());
    let wanted = [
        "dependency-inversion",
        "dependency-cycle",
        "dependency-unknown-id",
        "dependency-unknown-type",
        "blocked-by-distant",
        "open-child-of-done-parent",
        "criteria-met-not-done",
        "type-sections-missing",
    ];
    let rendered: String = findings
        .iter()
        .filter(|f| wanted.contains(&f.rule.as_str()))
        .map(|f| backlint::report::human::render(&f.to_problem(&backlog), backlint::report::human::Style::plain(80)))
        .collect();
    insta::assert_snapshot!(rendered);
}

/// The real trackers of `../shared/data/beads/`: every one reads without an input problem, in
/// reasonable time, with the findings per rule judged in the issue's closing note. Skipped (with a
/// note) when `../shared` is absent; `.ci/run` sets BACKLINT_SHARED=require, so CI cannot skip it.
#[test]
fn the_real_beads_trackers_read_and_check() {
    let shared = root().join("../shared/data/beads");
    if !shared.is_dir() {
        assert!(
            std::env::var("BACKLINT_SHARED").as_deref() != Ok("require"),
            "{} is required but missing",
            shared.display()
        );
        eprintln!("skipped: no {} (the real beads trackers)", shared.display());
        return;
    }
    let policy = policy_with(None);
    for (name, items) in [("beads", 1300), ("beads_rust", 450), ("gastown", 250)] {
        let path = shared.join(name).join(".beads/issues.jsonl");
        let (backlog, problems) = backlint::source::beads::read(&path);
        assert!(problems.is_empty(), "{name}: {:?}", problems.iter().map(|p| &p.message).collect::<Vec<_>>());
        let backlog = backlog.unwrap();
        assert!(backlog.items.len() > items, "{name}: {} items", backlog.items.len());
        let findings = check(&policy, &backlog);
        // No finding on a tombstone, a memory or an ephemeral record: their lines hold no finding.
        for f in &findings {
            let (line, _) = backlog.files[0].line_col(f.span.start);
            let text = backlog.files[0].text.lines().nth(line - 1).unwrap();
            let dropped = ["\"status\":\"tombstone\"", "\"ephemeral\":true", "\"ephemeral\": true"];
            assert!(!dropped.iter().any(|d| text.contains(d)), "{name}:{line}: {}", f.rule);
        }
    }
}

/// The dependency rules read the links every source fills: Backlog.md `dependencies` and
/// `parent_task_id`, Jira's issue-link columns.
#[test]
fn dependency_rules_fire_on_backlog_md_and_jira_links() {
    let root_dir = fixture("backlog_md/links/backlog");
    let repo = backlint::files::input::root_of(&root_dir);
    let loaded =
        backlint::source::backlog_md::load(&root_dir, &repo, |p| backlint::files::input::read_source(p, &repo));
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems.iter().map(|p| &p.message).collect::<Vec<_>>());
    let b = loaded.backlog.unwrap();
    let got: BTreeSet<(String, usize, String)> = check(&policy_with(None), &b)
        .iter()
        .filter(|f| f.rule.starts_with("dependency-") || f.rule == "open-child-of-done-parent")
        .map(|f| {
            let file = &b.files[f.file];
            (
                file.path.file_name().unwrap().to_string_lossy().into_owned(),
                file.line_col(f.span.start).0,
                f.rule.clone(),
            )
        })
        .collect();
    let want = |f: &str, l: usize, r: &str| (f.to_string(), l, r.to_string());
    assert_eq!(
        got,
        BTreeSet::from([
            want("task-1 - Return-tickets.md", 6, "dependency-inversion"),
            want("task-1 - Return-tickets.md", 6, "dependency-unknown-id"),
            want("task-2 - Departures.md", 7, "dependency-cycle"),
            want("task-2 - Departures.md", 7, "dependency-inversion"), // task-4, which it waits for, is below
            want("task-5.1 - Receipt-fees.md", 5, "open-child-of-done-parent"),
        ])
    );

    let file = SourceFile::new("links.csv", std::fs::read_to_string(fixture("jira/links.csv")).unwrap());
    let b = backlint::source::jira_csv::load(file)
        .unwrap_or_else(|p| panic!("{:?}", p.iter().map(|p| &p.message).collect::<Vec<_>>()));
    // HF-1 is blocked by HF-3 (written on both issues: one link), relates to HF-2, and HF-2 waits for a missing HF-9.
    assert_eq!(b.dependencies.len(), 3);
    assert_eq!(
        found(&b, &["dependency-inversion", "dependency-unknown-id", "dependency-unknown-type"]),
        set(&[(2, "dependency-inversion"), (3, "dependency-unknown-id")])
    );
}
