//! Jira CSV exports: mapping, LexoRank order, repeated columns, BOM/CRLF/multi-line cells, epics as
//! goals, and findings at the row and column of the cell.

use super::*;
use backlint::source::discover::Found;
use backlint::yaml::Value;

fn export() -> Backlog {
    let (backlog, problems) = backlint::analysis::load(&Found::Csv(fixture("jira/export.csv")));
    assert!(problems.is_empty(), "{problems:?}");
    let mut backlog = backlog.unwrap();
    backlint::analysis::apply_policy_goal(&mut backlog, &jira_policy().settings);
    backlog
}

fn jira_policy() -> backlint::policy::ir::CompiledPolicy {
    policy_with(Some(&std::fs::read_to_string(fixture("jira/backlint.policy")).unwrap()))
}

fn field(b: &Backlog, item: usize, name: &str) -> Option<String> {
    b.items[item].text(name, &b.files[0])
}

fn list(b: &Backlog, item: usize, name: &str) -> Vec<String> {
    match b.items[item].get(name).map(|n| &n.value) {
        Some(Value::Seq(items)) => items.iter().filter_map(|n| backlint::model::scalar_text(n, &b.files[0])).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn rows_follow_the_lexorank_and_epics_become_goals() {
    let b = export();
    let ids: Vec<String> = (0..b.items.len()).map(|i| field(&b, i, "id").unwrap()).collect();
    assert_eq!(ids, ["HF-1", "HF-2", "HF-3", "HF-4"]);
    let goals: Vec<(String, String)> =
        b.goals.iter().map(|g| (g.text("id", &b.files[0]).unwrap(), g.text("status", &b.files[0]).unwrap())).collect();
    assert_eq!(goals, [("HF-10".into(), "active".into()), ("HF-11".into(), "achieved".into())]);
}

#[test]
fn columns_map_onto_the_model() {
    let b = export();
    assert_eq!(field(&b, 0, "title").as_deref(), Some("Refund to the original card"));
    assert_eq!(field(&b, 0, "goal").as_deref(), Some("HF-10"));
    assert_eq!(field(&b, 0, "assignee").as_deref(), Some("Tom Berg"));
    assert_eq!(field(&b, 0, "requested_by"), None, "`Reporter` typed the issue; it is not who asked for it");
    assert_eq!(field(&b, 0, "Reporter").as_deref(), Some("Sales"));
    assert_eq!(field(&b, 0, "estimate").as_deref(), Some("3"));
    assert_eq!(list(&b, 0, "acceptance_criteria"), ["Refund reaches the card in 5 days", "Customer gets an e-mail"]);
    // Repeated columns are joined; a multi-line quoted description holds the criteria section.
    assert_eq!(list(&b, 2, "labels"), ["returns", "web"]);
    assert_eq!(field(&b, 2, "sprint").as_deref(), Some("Sprint 14, Sprint 15"));
    assert_eq!(list(&b, 2, "acceptance_criteria"), ["A PDF label downloads", "The label shows a \"QR\" code"]);
}

#[test]
fn findings_point_at_row_and_column() {
    let b = export();
    let findings = check(&jira_policy(), &b);
    let at = |rule: &str, id: &str| -> Option<(usize, usize, String)> {
        findings.iter().find(|f| f.rule == rule && f.subject.as_deref() == Some(id)).map(|f| {
            let (line, col) = b.files[0].line_col(f.span.start);
            (line, col, b.files[0].text[f.span.start..f.span.end].to_string())
        })
    };
    assert_eq!(at("near-item-too-large", "HF-2"), Some((12, 76, "13".into())));
    assert_eq!(at("goal-link-unknown", "HF-2"), Some((12, 80, "HF-11".into())), "an achieved epic");
    assert_eq!(at("vague-title", "HF-4"), Some((13, 1, "Misc".into())));
    let due = findings.iter().find(|f| f.rule == "po-as-project-manager" && f.message.contains("due date")).unwrap();
    assert_eq!(b.files[0].line_col(due.span.start).0, 10);
    assert_eq!(&b.files[0].text[due.span.start..due.span.end], "2026-12-01");
    assert!(at("missing-acceptance-criteria", "HF-3").is_none(), "criteria from the description count");
}

#[test]
fn bad_cells_and_other_csv_files_are_located_errors() {
    let (b, problems) = backlint::analysis::load(&Found::Csv(fixture("jira/bad-points.csv")));
    assert!(b.is_none());
    assert_eq!(problems[0].code, "I0012");
    let file = problems[0].file.as_ref().unwrap();
    assert_eq!(file.line_col(problems[0].primary_span().unwrap().start), (2, 63));
    let (_, problems) = backlint::analysis::load(&Found::Csv(fixture("jira/not-jira.csv")));
    assert_eq!(problems[0].code, "I0071");
}

/// A Jira Cloud export: `Parent` is the parent's numeric issue id, `Parent key` its key.
fn cloud(policy: &str) -> (Backlog, backlint::policy::ir::CompiledPolicy) {
    let (backlog, problems) = backlint::analysis::load(&Found::Csv(fixture("jira/cloud.csv")));
    assert!(problems.is_empty(), "{problems:?}");
    let mut backlog = backlog.unwrap();
    let policy = policy_with(Some(policy));
    backlint::analysis::apply_policy_goal(&mut backlog, &policy.settings);
    (backlog, policy)
}

const CLOUD_POLICY: &str = "settings {\n  product_owner = \"Ana Ruiz\"\n  goal_milestone = \"CS-10\"\n}\n";

fn by_id(b: &Backlog, id: &str, name: &str) -> Option<String> {
    let i = (0..b.items.len()).find(|&i| field(b, i, "id").as_deref() == Some(id)).unwrap_or_else(|| panic!("{id}"));
    field(b, i, name)
}

#[test]
fn cloud_parents_are_read_from_parent_key_and_sub_tasks_serve_their_story_epic() {
    let (b, _) = cloud(CLOUD_POLICY);
    let goal = |id: &str| by_id(&b, id, "goal");
    let parent = |id: &str| by_id(&b, id, "parent");
    // Stories: their parent is the epic, read from `Parent key`, never the numeric `Parent`.
    assert_eq!((goal("CS-1"), parent("CS-1")), (Some("CS-10".into()), Some("CS-10".into())));
    assert_eq!(goal("CS-6").as_deref(), Some("CS-11"));
    assert_eq!(by_id(&b, "CS-1", "Parent").as_deref(), Some("20010"), "the numeric id stays under its header");
    // Sub-tasks keep their story as parent and serve the story's epic.
    for (task, story) in [("CS-2", "CS-1"), ("CS-4", "CS-3"), ("CS-8", "CS-3"), ("CS-12", "CS-1")] {
        assert_eq!((goal(task), parent(task)), (Some("CS-10".into()), Some(story.into())), "{task}");
    }
    // A story's parent outside the export is still its epic; a sub-task's is a story of unknown epic.
    assert_eq!(goal("CS-7").as_deref(), Some("CS-99"));
    assert_eq!((goal("CS-14"), parent("CS-14")), (None, Some("CS-77".into())));
    // The inherited goal points at the sub-task's own `Parent key` cell.
    let i = (0..b.items.len()).find(|&i| field(&b, i, "id").as_deref() == Some("CS-2")).unwrap();
    let span = b.items[i].get("goal").unwrap().span;
    assert_eq!(&b.files[0].text[span.start..span.end], "CS-1");
    let goals: Vec<(String, String)> =
        b.goals.iter().map(|g| (g.text("id", &b.files[0]).unwrap(), g.text("status", &b.files[0]).unwrap())).collect();
    assert_eq!(goals, [("CS-10".into(), "active".into()), ("CS-11".into(), "achieved".into())]);
}

#[test]
fn cloud_export_links_every_item_to_a_known_goal() {
    let (b, policy) = cloud(CLOUD_POLICY);
    let findings = check(&policy, &b);
    let unknown: Vec<(String, String)> = findings
        .iter()
        .filter(|f| f.rule == "goal-link-unknown")
        .map(|f| (f.subject.clone().unwrap_or_default(), b.files[0].text[f.span.start..f.span.end].to_string()))
        .collect();
    // Only the story whose epic is not in the export; no numeric id, no sub-task linked to a story.
    assert_eq!(unknown, [("CS-7".to_string(), "CS-99".to_string())], "{findings:#?}");
}

#[test]
fn status_categories_decide_done_and_dropped() {
    let (b, policy) = cloud(CLOUD_POLICY);
    let state = |id: &str| {
        let i = (0..b.items.len()).find(|&i| field(&b, i, "id").as_deref() == Some(id)).unwrap();
        (b.items[i].kept, field(&b, i, "status"))
    };
    use backlint::model::Kept;
    // `Closed` in the Done category is done, though no done status is called that.
    assert_eq!(state("CS-5"), (Kept::Completed, Some("Closed".into())));
    // Done with the resolution Won't Do is dropped: its status is the resolution.
    assert_eq!(state("CS-6"), (Kept::Archived, Some("Won't Do".into())));
    assert_eq!(by_id(&b, "CS-6", "Status").as_deref(), Some("Done"));
    // `Reviewing` in the In Progress category stays open.
    assert_eq!(state("CS-4"), (Kept::Backlog, Some("Reviewing".into())));
    let findings = check(&policy, &b);
    let on = |id: &str| {
        findings.iter().filter(|f| f.subject.as_deref() == Some(id)).map(|f| f.rule.as_str()).collect::<Vec<_>>()
    };
    assert!(on("CS-5").is_empty() && on("CS-6").is_empty(), "finished items: {findings:#?}");
}

#[test]
fn sub_tasks_of_different_stories_are_not_duplicates_and_a_done_twin_is_named() {
    let (b, policy) = cloud(CLOUD_POLICY);
    let findings = check(&policy, &b);
    let duplicates: Vec<(String, &str)> = findings
        .iter()
        .filter(|f| f.rule == "duplicate-item")
        .map(|f| (f.subject.clone().unwrap_or_default(), f.message.as_str()))
        .collect();
    assert_eq!(duplicates.len(), 2, "{duplicates:#?}");
    // CS-4 "Evidence capture" is under CS-3, CS-2 under CS-1: not duplicates. CS-12 is under CS-1.
    assert_eq!(duplicates[0].0, "CS-12");
    assert!(duplicates[0].1.contains("`CS-2`"), "{}", duplicates[0].1);
    assert_eq!(duplicates[1].0, "CS-13");
    assert!(duplicates[1].1.contains("`CS-5`, which is done"), "{}", duplicates[1].1);
}

#[test]
fn no_requester_unless_the_policy_names_the_column() {
    let (b, _) = cloud(CLOUD_POLICY);
    assert!((0..b.items.len()).all(|i| field(&b, i, "requested_by").is_none()), "the reporter is not the requester");
    let named = format!("{CLOUD_POLICY}settings {{\n  requester_field = \"Custom field (Requested by)\"\n}}\n");
    let (b, _) = cloud(&named);
    assert_eq!(by_id(&b, "CS-1", "requested_by").as_deref(), Some("Claims desk"));
    assert_eq!(by_id(&b, "CS-3", "requested_by").as_deref(), Some("Broker network"));
    assert_eq!(by_id(&b, "CS-2", "requested_by"), None, "an empty cell names no one");
    let bad = policy_problems("settings {\n  requester_field = 3\n}\n");
    assert!(bad.iter().any(|m| m.contains("`requester_field` must be text")), "{bad:?}");
}

fn policy_problems(text: &str) -> Vec<String> {
    let (_, problems) = backlint::policy::compile(&[backlint::text::SourceFile::new("p.policy", text)]);
    problems.into_iter().map(|p| p.message).collect()
}

#[test]
fn a_parent_column_alone_is_resolved_through_issue_ids() {
    let (b, problems) = backlint::analysis::load(&Found::Csv(fixture("jira/parent-id.csv")));
    assert!(problems.is_empty(), "{problems:?}");
    let b = b.unwrap();
    assert_eq!((by_id(&b, "CS-1", "goal"), by_id(&b, "CS-1", "parent")), (Some("CS-10".into()), Some("CS-10".into())));
    assert_eq!((by_id(&b, "CS-2", "goal"), by_id(&b, "CS-2", "parent")), (Some("CS-10".into()), Some("CS-1".into())));
    // An id no row holds names nothing: no goal made of a number.
    assert_eq!((by_id(&b, "CS-3", "goal"), by_id(&b, "CS-3", "parent")), (None, Some("20555".into())));
}

#[test]
fn a_yaml_backlog_of_another_schema_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backlog.yaml");
    std::fs::write(&path, "project: Claims\nepics:\n  - name: Paperless\nstories:\n  - title: Upload photos\n")
        .unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_backlint"))
        .args(["check", path.to_str().unwrap()])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("this file is not a backlint backlog: it has `epics:` and `stories:` at the top level"),
        "{err}"
    );
    // What is expected (the message wraps at 80 columns).
    assert!(err.contains("backlint reads a backlog's items from `items:`"), "{err}");
    // A backlog of backlint's schema without items yet is not one.
    std::fs::write(&path, "product: Claims\nproduct_goals:\n  - {id: G1, statement: Paperless claims}\n").unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_backlint"))
        .args(["check", path.to_str().unwrap()])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&o.stderr).contains("not a backlint backlog"));
}
