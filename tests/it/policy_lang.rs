//! The policy language: AST snapshots, one snapshot per error kind, precedence and evaluation.

use super::*;
use backlint::policy::ast::{BinaryOp, ExprKind};
use backlint::policy::parse::parse;
use backlint::report::human::{Style, render};

#[test]
fn ast_snapshot() {
    let text = r#"settings { near = 5  fail_on = error }
disable over-specified-distant
configure goal-link-missing { severity = info }
rule small-near {
  group = refinement
  severity = warning
  summary = "near items are small"
  option limit = 8
  for item in near
    where exists(item.estimate) and not item.status in ["done", "dropped"]
    require item.estimate <= limit * 2 - 1
    at item.estimate
    message "`{item.id}` is {item.estimate}"
  explain { what = """
      Text block.
    """ }
}
"#;
    let ast = parse(&SourceFile::new("s.policy", text)).unwrap();
    insta::assert_debug_snapshot!(ast);
}

fn condition_of(expr_text: &str) -> backlint::policy::ast::Expr {
    let text = format!(
        "rule r {{ group = g severity = info summary = \"s\" for item in items require {expr_text} message \"m\" }}"
    );
    let ast = parse(&SourceFile::new("p.policy", text)).unwrap();
    let backlint::policy::ast::Declaration::Rule(rule) = &ast.declarations[0] else { panic!() };
    rule.checks[0].condition.clone()
}

#[test]
fn precedence_follows_the_pratt_table() {
    // not a == b or c and d  ==>  (not (a == b)) or (c and d)
    let e = condition_of("not a == b or c and d");
    let ExprKind::Binary(BinaryOp::Or, l, r) = e.kind else { panic!("{e:?}") };
    assert!(
        matches!(l.kind, ExprKind::Unary(_, ref inner) if matches!(inner.kind, ExprKind::Binary(BinaryOp::Eq, ..)))
    );
    assert!(matches!(r.kind, ExprKind::Binary(BinaryOp::And, ..)));
    // 1 + 2 * 3 < x.y  ==>  (1 + (2 * 3)) < (x.y)
    let e = condition_of("1 + 2 * 3 < x.y");
    let ExprKind::Binary(BinaryOp::Lt, l, r) = e.kind else { panic!() };
    assert!(
        matches!(l.kind, ExprKind::Binary(BinaryOp::Add, _, ref m) if matches!(m.kind, ExprKind::Binary(BinaryOp::Mul, ..)))
    );
    assert!(matches!(r.kind, ExprKind::Field(..)));
    let e = condition_of("a not in b");
    assert!(matches!(e.kind, ExprKind::Binary(BinaryOp::NotIn, ..)));
}

#[test]
fn every_policy_error_kind_is_a_located_diagnostic() {
    let mut seen = Vec::new();
    let mut dir: Vec<_> = std::fs::read_dir(fixture("policy_errors")).unwrap().map(|e| e.unwrap().path()).collect();
    dir.sort();
    for path in dir {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let code = &name[..5];
        let file = SourceFile::new(format!("{name}.policy"), std::fs::read_to_string(&path).unwrap());
        let (_, problems) = backlint::policy::compile(&[file]);
        assert!(!problems.is_empty(), "{name} compiled without error");
        assert!(
            problems.iter().all(|p| p.code == code),
            "{name}: {:?}",
            problems.iter().map(|p| &p.code).collect::<Vec<_>>()
        );
        assert!(problems.iter().all(|p| p.primary_span().is_some() && p.file.is_some()), "{name}: unlocated");
        let rendered: String = problems.iter().map(|p| render(p, Style::plain(80))).collect();
        insta::assert_snapshot!(name.clone(), rendered);
        seen.push(code.to_string());
    }
    seen.dedup();
    assert_eq!(seen.len(), 15, "one fixture per policy error code: {seen:?}");
}

/// Evaluates a one-check rule on an inline backlog and returns the rendered messages.
fn messages(condition: &str, message: &str, backlog: &str) -> Vec<String> {
    let rule = format!(
        "rule probe {{ group = custom severity = info summary = \"probe\" for item in items forbid {condition} message \"{message}\" }}"
    );
    let policy = policy_with(Some(&rule));
    let backlog = load_str(backlog);
    check(&policy, &backlog).into_iter().filter(|f| f.rule == "probe").map(|f| f.message).collect()
}

#[test]
fn functions_and_operators_evaluate() {
    let b = "items:\n  - {id: 101, title: Fix the LOGIN page, labels: [ux, web], estimate: 3}\n  - {id: B, title: misc, estimate: 8}\n";
    assert_eq!(messages("words(item.title) >= 3", "{item.id}", b), ["101"]);
    assert_eq!(messages("matches(lower(item.title), \"^(misc|tbd)$\")", "{item.id}", b), ["B"]);
    assert_eq!(messages("contains(item.labels, \"web\")", "{join(item.labels, \"+\")}", b), ["ux+web"]);
    assert_eq!(messages("item.estimate * 2 + 1 > 10", "{item.estimate % 5}", b), ["3"]);
    assert_eq!(messages("item.id in [\"B\", \"C\"]", "{len(item.title)} {upper(item.title)}", b), ["4 MISC"]);
    assert_eq!(messages("item.id not in items.id", "never", b), Vec::<String>::new());
    assert_eq!(messages("position_of(items.id, item.id) == 2", "{count(distinct(items.estimate))}", b), ["2"]);
    assert_eq!(
        messages("not exists(item.labels)", "{item.labels} {find(items, \"id\", \"101\").title}", b),
        ["none Fix the LOGIN page"]
    );
    assert_eq!(messages("empty(item.missing) and starts_with(item.title, \"Fix\")", "{trim(\"  x \")}", b), ["x"]);
}

#[test]
fn aggregate_and_similarity_functions_evaluate() {
    let b = "items:\n  - {id: A, title: Export the invoice list as CSV, requested_by: Sales, tasks: [design 4h, build]}\n  - {id: B, title: Refund an order, requested_by: Sales}\n  - {id: C, title: export invoice-list to csv!, requested_by: Ops}\n";
    assert_eq!(messages("occurrences(items.requested_by, item.requested_by) == 2", "{item.id}", b), ["A", "B"]);
    assert_eq!(messages("count_matching(item.tasks, \"\\\\d+h\") > 0", "{item.id}", b), ["A"]);
    assert_eq!(messages("item.position == 1", "{round(share(items.tasks) * 100)}%", b), ["33%"]);
    assert_eq!(
        messages(
            "exists(similar_before(items.title, item.position, 0.8))",
            "{item.id} repeats {similar_before(items.title, item.position, 0.8)}",
            b
        ),
        ["C repeats 1"]
    );
    assert_eq!(messages("item.position == 1", "{most_common(items.requested_by)}", b), ["Sales"]);
}

#[test]
fn stories_are_parsed_into_parts_that_point_at_the_title() {
    let text = "items:\n  - {id: A, title: \"As a shopper, I want to pay and ship so that I save time\"}\n  - {id: B, title: Pay by card}\n";
    let rule = r#"rule probe { group = custom severity = info summary = "probe"
      for item in items where story_backlog and exists(item.story.means) forbid matches(item.story.means, " and ") at item.story.means
        message "{item.story.role} / {item.story.means} / {item.story.ends} / {item.story.template}" }"#;
    let policy = policy_with(Some(rule));
    let backlog = load_str(text);
    let found: Vec<_> = check(&policy, &backlog).into_iter().filter(|f| f.rule == "probe").collect();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].message, "shopper / pay and ship / I save time / as … i want … so that");
    assert_eq!(&text[found[0].span.start..found[0].span.end], "pay and ship");
    let off = policy_with(Some(&format!("{rule}\nsettings {{ stories = off }}")));
    assert!(check(&off, &backlog).iter().all(|f| f.rule != "probe"));
}

#[test]
fn the_regex_engine_is_linear_time() {
    // A pattern that backtracking engines take exponential time on.
    let title = "a".repeat(5_000) + "!";
    let b = format!("items:\n  - {{id: A, title: \"{title}\"}}\n");
    assert!(messages("matches(item.title, \"^(a+)+$\")", "{item.id}", &b).is_empty());
}

#[test]
fn policy_tests_pass_and_fail_as_their_markers_say() {
    let policy = policy_with(Some(
        r#"
rule short-title {
  group = custom
  severity = warning
  summary = "titles have three words"
  for item in items
    require words(item.title) >= 3
    at item.title
    message "`{item.id}` has a short title"
  test "fires on the short title" {
    backlog = """
      items:
        - {id: A, title: Export invoices as CSV}
        - {id: B, title: Misc}   # expect
    """
  }
  test "a wrong expectation fails" {
    backlog = """
      items:
        - {id: A, title: Export invoices as CSV}   # expect
    """
  }
}
test "top-level tests name their rules" {
  backlog = """
    items:
      - {id: A, title: Misc}   # expect: short-title
  """
}
"#,
    ));
    let outcome = backlint::selftest::run(&policy, |t| t.file.name == "test.policy");
    assert_eq!(outcome.passed, 2);
    assert_eq!(outcome.failures.len(), 1);
    let rendered = render(&outcome.failures[0], Style::plain(80));
    insta::assert_snapshot!(rendered);
}

#[test]
fn every_builtin_rule_ships_passing_examples() {
    let policy = policy_with(None);
    let outcome = backlint::selftest::run(&policy, |t| t.rule.is_some());
    let failures: Vec<String> = outcome.failures.iter().map(|p| render(p, Style::plain(100))).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for rule in policy.rules.iter().filter(|r| r.builtin) {
        let tests: Vec<_> = policy.tests.iter().filter(|t| t.rule.as_deref() == Some(&rule.name)).collect();
        let fires = tests.iter().filter(|t| t.backlog.contains("# expect")).count();
        if super::history::TESTED.contains(&rule.name.as_str()) {
            assert!(!tests.is_empty(), "`{}` needs an example", rule.name);
            continue; // it fires only on a git history: see tests/it/history.rs
        }
        assert!(fires >= 1 && tests.len() > fires, "`{}` needs an example that fires and one that passes", rule.name);
    }
}
