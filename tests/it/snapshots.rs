//! Rendered diagnostics, as a user sees them without colour at 80 columns.

use super::*;
use backlint::report::human::{Style, render};

fn render_findings(path: &Path) -> String {
    let backlog = load(path);
    let policy_path = backlint::source::discover::policy_for(path);
    let user: Vec<SourceFile> = policy_path
        .iter()
        .map(|p| SourceFile::new(p.strip_prefix(root()).unwrap(), std::fs::read_to_string(p).unwrap()))
        .collect();
    let (policy, problems) = backlint::policy::compile(&user);
    assert!(problems.is_empty());
    let findings = check(&policy, &backlog);
    let mut backlog = backlog;
    // Show paths relative to the repository, whatever the working directory of the test.
    backlog.files[0] = SourceFile::new(path.strip_prefix(root()).unwrap(), backlog.files[0].text.clone());
    findings.iter().map(|f| render(&f.to_problem(&backlog), Style::plain(80))).collect()
}

#[test]
fn unhealthy_example() {
    insta::assert_snapshot!(render_findings(&root().join("examples/unhealthy/backlog.yaml")));
}

#[test]
fn healthy_example_has_no_findings() {
    assert_eq!(render_findings(&root().join("examples/healthy/backlog.yaml")), "");
}

fn input_errors(name: &str, text: &str) -> String {
    let file = SourceFile::new(format!("{name}.yaml"), text);
    let problems = match backlint::yaml::parse(&file, Default::default()) {
        Err(p) => p,
        Ok(root) => Backlog::from_yaml(file, root).expect_err("must be rejected"),
    };
    assert!(problems.iter().all(|p| p.primary_span().is_some()), "every input error is located");
    problems.iter().map(|p| render(p, Style::plain(80))).collect()
}

#[test]
fn input_error_syntax() {
    insta::assert_snapshot!(input_errors("syntax", "product: X\nitems:\n  - id: A\n   title: broken indent\n"));
}

#[test]
fn input_error_wrong_types() {
    insta::assert_snapshot!(input_errors(
        "types",
        "product: X\nitems:\n  - id: A\n    estimate: five\n    acceptance_criteria: Given a cart, then it pays\n    title: [a, b]\n"
    ));
}

#[test]
fn input_error_unknown_fields() {
    insta::assert_snapshot!(input_errors(
        "unknown",
        "product: X\nproduct_goal: []\nitems:\n  - id: A\n    acceptance_critera: [x]\n    squad: blue\n"
    ));
}

#[test]
fn input_error_duplicate_key() {
    insta::assert_snapshot!(input_errors("dupkey", "product: X\nitems:\n  - id: A\n    title: one\n    title: two\n"));
}

#[test]
fn input_error_not_a_backlog() {
    insta::assert_snapshot!(input_errors("list", "- just\n- a list\n"));
    insta::assert_snapshot!(input_errors("two_docs", "product: X\n---\nproduct: Y\n"));
}
