//! The policy language: AST snapshots, one snapshot per error kind, precedence and evaluation.

use super::*;
use backlint::policy::ast::{BinaryOp, ExprKind};
use backlint::policy::parse::parse;
use backlint::render::{Style, render};

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
fn the_regex_engine_is_linear_time() {
    // A pattern that backtracking engines take exponential time on.
    let title = "a".repeat(5_000) + "!";
    let b = format!("items:\n  - {{id: A, title: \"{title}\"}}\n");
    assert!(messages("matches(item.title, \"^(a+)+$\")", "{item.id}", &b).is_empty());
}
