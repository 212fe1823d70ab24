//! The Backlog.md source: field mapping, order, both acceptance-criteria syntaxes, dirty values,
//! broken files reported and skipped while the rest is checked.

use super::*;
use backlint::source::discover::Found;

fn basic() -> (Backlog, Vec<String>) {
    let root = fixture("backlog_md/basic/backlog");
    let (backlog, problems) = backlint::analysis::load(&Found::Folder(root));
    let mut backlog = backlog.expect("the folder loads despite broken files");
    let policy = policy_with(Some(&std::fs::read_to_string(fixture("backlog_md/basic/backlint.policy")).unwrap()));
    backlint::analysis::apply_policy_goal(&mut backlog, &policy.settings);
    (backlog, problems.iter().map(|p| p.code.clone()).collect())
}

fn text(b: &Backlog, item: usize, field: &str) -> Option<String> {
    let r = &b.items[item];
    r.text(field, &b.files[r.file])
}

#[test]
fn broken_files_are_reported_and_skipped() {
    let (_, mut codes) = basic();
    codes.sort();
    assert_eq!(codes, ["I0031", "I0061", "I0062"]);
}

#[test]
fn items_follow_ordinal_then_id_with_history_last() {
    let (b, _) = basic();
    let ids: Vec<String> = (0..b.items.len()).map(|i| text(&b, i, "id").unwrap()).collect();
    // task-1 is In Progress: under way, it leads, as the board's middle column does.
    assert_eq!(ids, ["task-1", "task-2", "task-1.1", "task-3", "task-10", "task-4", "task-6", "task-8"]);
    let active: Vec<bool> = b.items.iter().map(|r| r.active()).collect();
    assert_eq!(active, [true, true, true, true, true, false, false, false]);
}

#[test]
fn fields_map_onto_the_model() {
    let (b, _) = basic();
    assert_eq!(text(&b, 0, "goal").as_deref(), Some("m-1"), "milestone is the goal link");
    assert_eq!(text(&b, 2, "goal").as_deref(), Some("m-1"), "a subtask serves its parent's goal");
    assert_eq!(text(&b, 0, "description").as_deref(), Some("A passenger pays by card and gets a QR code."));
    assert_eq!(text(&b, 3, "assignee").as_deref(), Some("@tom"), "assignee lists become text");
    assert!(b.items[0].get("assignee").is_none(), "an empty assignee list is no assignee");
    assert_eq!(text(&b, 1, "status").as_deref(), Some("To do"));
    assert_eq!(b.goals.len(), 1, "the policy's Product Goal");
    let top = b.top.text("product", &b.files[0]);
    assert_eq!(top.as_deref(), Some("Harbor Ferries"));
}

#[test]
fn findings_point_into_the_task_files() {
    let (b, _) = basic();
    let policy = policy_with(Some(&std::fs::read_to_string(fixture("backlog_md/basic/backlint.policy")).unwrap()));
    let findings = check(&policy, &b);
    let at = |rule: &str| -> Vec<(String, usize, String)> {
        findings
            .iter()
            .filter(|f| f.rule == rule)
            .map(|f| {
                let file = &b.files[f.file];
                let name = file.path.file_name().unwrap().to_string_lossy().to_string();
                (name, file.line_col(f.span.start).0, file.text[f.span.start..f.span.end].to_string())
            })
            .collect()
    };
    // New AC syntax: the unchecked criterion's line in the completed task.
    let unmet = at("done-criteria-unmet");
    assert_eq!(unmet.len(), 1);
    assert_eq!((unmet[0].0.as_str(), unmet[0].1), ("task-4 - Sign-in.md", 10));
    assert!(unmet[0].2.ends_with("- [ ] #2 The code expires after ten minutes"), "{unmet:?}");
    // A near item without criteria points at its id in the front matter.
    assert_eq!(at("missing-acceptance-criteria"), [("task-3 - Refunds.md".to_string(), 2, "task-3".to_string())]);
    // A milestone that is not the Product Goal's.
    assert_eq!(at("goal-link-unknown"), [("task-3 - Refunds.md".to_string(), 7, "m-9".to_string())]);
    // One dated task among several is a real constraint, not a schedule.
    assert_eq!(at("po-as-project-manager"), []);
    // Old AC syntax (plain heading) counts as criteria: task-2 has none missing.
    assert!(
        findings.iter().all(|f| !(f.rule == "missing-acceptance-criteria" && f.subject.as_deref() == Some("task-2")))
    );
    // History items are outside the horizons.
    assert!(findings.iter().all(|f| !(f.rule == "goal-link-missing" && f.subject.as_deref() == Some("task-6"))));
}

#[test]
fn the_cli_checks_the_rest_of_a_folder_with_broken_files() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_backlint"))
        .args(["check", "tests/fixtures/backlog_md/basic"])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "broken files are input errors");
    assert!(
        err.contains("without front matter") && err.contains("broken front matter") && err.contains("not UTF-8"),
        "{err}"
    );
    assert!(out.contains("in 1 backlog") && out.contains("done-criteria-unmet"), "{out}");
}

/// A concept Backlog.md has no place for is one set-up notice, gone once the policy declares it.
#[test]
fn setup_notices_go_once_the_policy_declares_the_concepts() {
    let notices = |policy: Option<&str>| -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let policy = policy.map(|text| {
            let path = dir.path().join("team.policy");
            std::fs::write(&path, text).unwrap();
            path
        });
        let request = backlint::analysis::Request {
            paths: vec![fixture("backlog_md/basic/backlog")],
            policy,
            history: backlint::analysis::HistoryOptions { skip: true, ..Default::default() },
            ..Default::default()
        };
        let analysis = backlint::analysis::analyse(&request);
        let mut rules: Vec<String> = analysis.backlogs[0].notices.iter().map(|n| n.rule.clone()).collect();
        rules.sort();
        assert!(analysis.backlogs[0].findings.iter().all(|f| !f.notice));
        rules
    };
    // The fixture's own policy declares a Product Owner and a goal; an empty one declares nothing
    // (its config.yml keeps an `optimizing_for`, which counts).
    assert_eq!(notices(Some("")), ["near-item-too-large", "product-goal-missing", "product-owner-not-one-person"]);
    // Estimates are data, not a declaration: that notice stays until items carry one.
    let declared = r#"settings {
  product_owner = "Dana Lee"
  product_goal = "Passengers buy tickets in the app"
  optimizing_for = "learning"
  definition_of_done = ["Reviewed", "Released"]
}"#;
    assert_eq!(notices(Some(declared)), ["near-item-too-large"]);
}

/// Backlog.md quotes `@handle` values before parsing; so do we, keeping every span exact.
#[test]
fn unquoted_at_handles_read_as_backlog_md_reads_them() {
    let text = "---\nid: task-7\ntitle: Refunds\nassignee: @dana\nreporter: [@li, @mo]\nlabels:\n  - @team\n---\n";
    let file = SourceFile::new("task-7 - Refunds.md", text);
    let record = backlint::source::backlog_md::task(&file, 0).unwrap_or_else(|p| panic!("{}", p.message));
    assert_eq!(record.text("assignee", &file).as_deref(), Some("@dana"));
    assert_eq!(record.text("reporter", &file).as_deref(), Some("@li, @mo"));
    let span = record.get("assignee").unwrap().span;
    assert_eq!(&text[span.start..span.end], "@dana", "the value points at its own text");
    // Text that parses as it is keeps its meaning: an `@` inside a quoted title stays.
    let quoted = "---\nid: task-8\ntitle: \"Mention, @dana\"\n---\n";
    let file = SourceFile::new("task-8.md", quoted);
    let record = backlint::source::backlog_md::task(&file, 0).unwrap();
    assert_eq!(record.text("title", &file).as_deref(), Some("Mention, @dana"));
}

/// Milestones (`milestones/`, archived ones in `archive/milestones/`) are the goals tasks link to,
/// by id or by title, ignoring case; an archived milestone is no goal to pursue, and never a task.
#[test]
fn milestones_are_the_goals_tasks_link_to() {
    let request = backlint::analysis::Request {
        paths: vec![fixture("backlog_md/milestones/backlog")],
        history: backlint::analysis::HistoryOptions { skip: true, ..Default::default() },
        ..Default::default()
    };
    let analysis = backlint::analysis::analyse(&request);
    let analysed = &analysis.backlogs[0];
    let backlog = &analysed.backlog;
    let ids = |records: &[backlint::model::Record]| -> Vec<String> {
        records.iter().filter_map(|r| r.text("id", &backlog.files[r.file])).collect()
    };
    assert_eq!(ids(&backlog.goals), ["m-1", "m-2", "m-0"]);
    assert_eq!(ids(&backlog.items), ["task-1", "task-2", "task-3", "task-4", "task-5", "task-6"]);
    let unknown: Vec<(String, String)> = analysed
        .findings
        .iter()
        .filter(|f| f.rule == "goal-link-unknown")
        .map(|f| (f.subject.clone().unwrap_or_default(), f.message.clone()))
        .collect();
    assert_eq!(
        unknown,
        [
            ("task-3".to_string(), "item `task-3` links to goal `m-9`, which the backlog does not declare".to_string()),
            ("task-4".to_string(), "item `task-4` links to goal `m-0`, which is archived".to_string()),
        ]
    );
    // Milestones declared: Product Goal is not reported missing.
    assert!(analysed.notices.iter().all(|n| n.rule != "product-goal-missing"));
}

/// On a terminal init asks: the answers are written, a milestone can be named by its title, and the
/// questions are only those the source leaves open.
#[test]
fn init_asks_for_what_the_backlog_does_not_say() {
    let found = backlint::source::discover::Found::Folder(fixture("backlog_md/milestones/backlog"));
    let (Some(backlog), _) = backlint::analysis::load(&found) else { panic!("the fixture loads") };
    let mut asked = Vec::new();
    let declarations = backlint::cli::init::declarations_for(&backlog, &mut |q: &str| {
        asked.push(q.to_string());
        Some(
            if q.starts_with("Who") {
                "Dana Lee"
            } else if q.starts_with("Which") {
                "island TRIPS"
            } else {
                "learning"
            }
            .to_string(),
        )
    });
    assert_eq!(asked.len(), 3, "{asked:?}");
    assert!(asked[1].contains("m-1 (App tickets), m-2 (Island trips)"), "{asked:?}");
    let text = declarations.policy_text();
    for line in [r#"product_owner = "Dana Lee""#, r#"goal_milestone = "m-2""#, r#"optimizing_for = "learning""#] {
        assert!(text.contains(line), "{text}");
    }
}
