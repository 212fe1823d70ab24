//! Runs the examples that policies carry (`test "…" { backlog = """…""" }`): each example backlog
//! must produce exactly the findings its `# expect` markers name, so a team can trust its rules.

use crate::diag::Problem;
use crate::engine;
use crate::model::Backlog;
use crate::policy::ir::{CompiledPolicy, PolicyTest};
use crate::text::SourceFile;
use crate::yaml;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default)]
pub struct Outcome {
    pub passed: usize,
    pub failures: Vec<Problem>,
}

/// Expected (rule → lines) from `# expect` (the test's own rule) and `# expect: a, b` markers.
pub fn expectations(text: &str, own_rule: Option<&str>) -> BTreeMap<String, BTreeSet<usize>> {
    let mut out: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let Some(pos) = line.find("# expect") else { continue };
        let rest = line[pos + "# expect".len()..].trim();
        let names: Vec<&str> = match rest.strip_prefix(':') {
            Some(list) => list.split(',').map(str::trim).filter(|n| !n.is_empty()).collect(),
            None => own_rule.into_iter().collect(),
        };
        for name in names {
            out.entry(name.to_string()).or_default().insert(i + 1);
        }
    }
    out
}

/// Runs the selected tests against `policy` (its settings and configured options).
pub fn run(policy: &CompiledPolicy, select: impl Fn(&PolicyTest) -> bool) -> Outcome {
    let mut outcome = Outcome::default();
    for test in policy.tests.iter().filter(|t| select(t)) {
        match run_one(policy, test) {
            Ok(()) => outcome.passed += 1,
            Err(problem) => outcome.failures.push(problem),
        }
    }
    outcome
}

fn failure(test: &PolicyTest, message: String, help: String) -> Problem {
    Problem::error("T0001", message).in_file(&test.file).label(test.span, "this test").help(help)
}

fn run_one(policy: &CompiledPolicy, test: &PolicyTest) -> Result<(), Problem> {
    let title = match &test.rule {
        Some(rule) => format!("test {:?} of `{rule}`", test.name),
        None => format!("test {:?}", test.name),
    };
    let file = SourceFile::new(format!("{} (test {:?})", test.file.name, test.name), test.backlog.as_str());
    let backlog = yaml::parse(&file, yaml::Limits::default()).and_then(|root| Backlog::from_yaml(file, root)).map_err(
        |problems| {
            let reasons: Vec<String> = problems.iter().map(|p| p.message.clone()).collect();
            failure(test, format!("{title}: the example backlog is not valid"), reasons.join("; "))
        },
    )?;
    let expected = expectations(&test.backlog, test.rule.as_deref());
    let mut relevant: BTreeSet<String> = expected.keys().cloned().collect();
    relevant.extend(test.rule.clone());
    if let Some(unknown) = relevant.iter().find(|r| policy.rule(r).is_none()) {
        return Err(failure(
            test,
            format!("{title} expects findings of `{unknown}`, which is not a rule"),
            "check the rule name after `# expect:`".into(),
        ));
    }
    // Every rule runs (suppressions depend on the others), the tested ones even when disabled;
    // only the tested rules' findings are compared.
    let mut with_tested = CompiledPolicy {
        settings: policy.settings.clone(),
        rules: policy.rules.clone(),
        tests: Vec::new(),
        origins: Vec::new(),
    };
    for r in with_tested.rules.iter_mut().filter(|r| relevant.contains(&r.name)) {
        r.enabled = true;
    }
    let findings = engine::run(&with_tested, &backlog);
    let mut problems = Vec::new();
    for rule in &relevant {
        let want = expected.get(rule).cloned().unwrap_or_default();
        let got: BTreeSet<usize> = findings
            .iter()
            .filter(|f| &f.rule == rule)
            .map(|f| backlog.files[f.file].line_col(f.span.start).0)
            .collect();
        if want != got {
            let detail: Vec<String> = findings
                .iter()
                .filter(|f| &f.rule == rule)
                .map(|f| format!("line {}: {}", backlog.files[f.file].line_col(f.span.start).0, f.message))
                .collect();
            problems.push(format!(
                "`{rule}`: expected findings on {}, found {}{}",
                describe_lines(&want),
                describe_lines(&got),
                if detail.is_empty() { String::new() } else { format!(" ({})", detail.join("; ")) }
            ));
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(failure(test, format!("{title} failed"), problems.join("\n"))) }
}

fn describe_lines(lines: &BTreeSet<usize>) -> String {
    match lines.len() {
        0 => "no line".into(),
        1 => format!("line {}", lines.iter().next().unwrap()),
        _ => format!("lines {}", lines.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(", ")),
    }
}
