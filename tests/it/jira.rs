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
    assert_eq!(field(&b, 0, "requested_by").as_deref(), Some("Sales"));
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
