//! The real binary: exit codes, output shape, policy discovery.

use super::*;
use std::process::{Command, Output};

fn backlint(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backlint"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("FORCE_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("COLUMNS")
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn healthy_example_exits_0() {
    let o = backlint(&["check", "examples/healthy"], &root());
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.ends_with("no findings in 1 backlog\n"), "{out}");
}

#[test]
fn unhealthy_example_exits_1() {
    let o = backlint(&["check", "examples/unhealthy"], &root());
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(!out.contains('\u{1b}'), "no colour codes when NO_COLOR is set");
    let summary = out.lines().rev().nth(1).unwrap();
    assert!(summary.contains(" errors, ") && summary.ends_with(" in 1 backlog"), "{summary}");
}

/// `product-goal-missing` and the goal-quality rules cannot fire on one backlog, and the story
/// rules need a story-style backlog: the examples together exercise every rule.
#[test]
fn the_examples_trigger_every_rule() {
    let (out, _) = text(&backlint(&["check", "examples"], &root()));
    assert!(out.contains("in 4 backlogs"), "{out}");
    let custom = ["near-items-state-value", "experiment-needs-hypothesis"];
    for rule in policy_with(None).rules.iter().map(|r| r.name.as_str()).chain(custom) {
        if super::history::TESTED.contains(&rule) {
            continue; // fires on a git history only: tests/it/history.rs
        }
        assert!(out.contains(&format!("[{rule}]: ")), "`{rule}` fires on no example");
    }
}

#[test]
fn fail_on_decides_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    // Only a warning: an open item outside the near horizon without a goal.
    let mut yaml = String::from(
        "product: P\nproduct_owner: Dana Lee\nproduct_goals: [{id: G1, statement: Grow, status: active}]\nitems:\n",
    );
    for i in 1..=11 {
        let goal = if i == 11 { "" } else { ", goal: G1" };
        yaml += &format!("  - {{id: I{i}, title: Item number {i}{goal}, acceptance_criteria: [works]}}\n");
    }
    std::fs::write(dir.path().join("backlog.yaml"), yaml).unwrap();
    assert_eq!(backlint(&["check"], dir.path()).status.code(), Some(1));
    assert_eq!(backlint(&["check", "--fail-on", "error"], dir.path()).status.code(), Some(0));
    std::fs::write(dir.path().join("backlint.policy"), "settings { fail_on = error }").unwrap();
    assert_eq!(backlint(&["check"], dir.path()).status.code(), Some(0));
    assert_eq!(backlint(&["check", "--fail-on", "info"], dir.path()).status.code(), Some(1));
}

#[test]
fn input_errors_exit_2_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[u8], &str)] = &[
        ("syntax", b"items:\n  - id: A\n   title: x\n", "invalid YAML"),
        ("types", b"items:\n  - id: A\n    estimate: five\n", "`estimate` must be a number"),
        ("typo", b"items:\n  - id: A\n    acceptance_critera: [x]\n", "did you mean `acceptance_criteria`?"),
        ("bytes", b"product: caf\xe9\n", "is not UTF-8"),
        ("empty", b"", "must be a mapping"),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(format!("{name}.backlog.yaml"));
        std::fs::write(&path, bytes).unwrap();
        let o = backlint(&["check", path.to_str().unwrap()], dir.path());
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: {out}{err}");
        assert!(err.contains(expected), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    let o = backlint(&["check", "no/such/path"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("does not exist"));
}

#[test]
fn a_policy_typo_points_into_the_policy_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("examples/healthy/backlog.yaml"), dir.path().join("backlog.yaml")).unwrap();
    std::fs::write(
        dir.path().join("backlint.policy"),
        "rule small {\n  group = refinement\n  severity = warning\n  summary = \"small\"\n  for item in near\n    require item.estimat <= 8\n    message \"big\"\n}\n",
    )
    .unwrap();
    let o = backlint(&["check"], dir.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("P0010") && err.contains("did you mean `estimate`?") && err.contains("backlint.policy:6:18"),
        "{err}"
    );
}

#[test]
fn explicit_policy_flag_and_unreadable_policy() {
    let o = backlint(&["check", "examples/healthy", "--policy", "examples/backlint.policy"], &root());
    assert_eq!(o.status.code(), Some(0));
    let o = backlint(&["check", "examples/healthy", "--policy", "missing.policy"], &root());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("cannot read `missing.policy`"));
}

#[test]
fn rules_lists_the_catalogue() {
    let o = backlint(&["rules"], &root());
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(0));
    assert!(out.starts_with("RULE"));
    assert!(
        out.lines()
            .any(|l| l.starts_with("missing-acceptance-criteria") && l.contains("refinement") && l.contains("error"))
    );
    let (out, _) = text(&backlint(&["rules", "--group", "goal"], &root()));
    assert_eq!(out.lines().count(), 1 + policy_with(None).rules.iter().filter(|r| r.group == "goal").count(), "{out}");
    assert_eq!(backlint(&["rules", "--group", "nope"], &root()).status.code(), Some(2));
}

#[test]
fn explain_prints_the_coaching_text() {
    let o = backlint(&["explain", "missing-acceptance-criteria"], &root());
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(0));
    for section in ["What it checks", "Why it matters", "How to fix it", "Example"] {
        assert!(out.contains(section), "{out}");
    }
    let o = backlint(&["explain", "missing-acceptance-critera"], &root());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("did you mean `missing-acceptance-criteria`?"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(backlint(&["check", "--fail-on", "sometimes"], &root()).status.code(), Some(2));
    assert_eq!(backlint(&["frobnicate"], &root()).status.code(), Some(2));
    assert_eq!(backlint(&["--version"], &root()).status.code(), Some(0));
}

#[test]
fn a_baseline_hides_known_findings_and_lists_fixed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let backlog = "product: P\nproduct_owner: Dana Lee\nproduct_goals: [{id: G1, statement: Grow, status: active}]\nitems:\n  - {id: A, title: Export invoices as CSV, goal: G1}\n  - {id: B, title: Refund an order, goal: G1}\n";
    std::fs::write(dir.path().join("backlog.yaml"), backlog).unwrap();
    let o = backlint(&["check", "--write-baseline", "baseline.json"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let written = std::fs::read_to_string(dir.path().join("baseline.json")).unwrap();
    assert!(
        written.contains("\"rule\": \"missing-acceptance-criteria\"") && written.contains("\"item\": \"A\""),
        "{written}"
    );
    assert!(!written.contains("line"), "keyed by rule and item, not by line: {written}");

    // Known findings are hidden even after lines move; a new one is reported.
    let moved = format!("# a new comment moves every line\n{backlog}  - {{id: C, title: Cancel an order, goal: G1}}\n");
    std::fs::write(dir.path().join("backlog.yaml"), moved).unwrap();
    let o = backlint(&["check", "--baseline", "baseline.json"], dir.path());
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("near item `C` has no acceptance criteria") && !out.contains("`A` has no"), "{out}");
    let recorded: backlint::baseline::Baseline = serde_json::from_str(&written).unwrap();
    let total: usize = recorded.entries.iter().map(|e| e.count).sum();
    assert!(out.contains(&format!("({total} known from the baseline not shown)")), "{out}");

    // Fixing a finding lists the stale entry, so the baseline only shrinks.
    let fixed = backlog
        .replace("goal: G1}\n  - {id: B", "goal: G1, acceptance_criteria: [opens in a spreadsheet]}\n  - {id: B");
    std::fs::write(dir.path().join("backlog.yaml"), fixed).unwrap();
    let (_, err) = text(&backlint(&["check", "--baseline", "baseline.json"], dir.path()));
    assert!(
        err.contains("1 baseline finding no longer occurs") && err.contains("`missing-acceptance-criteria` on `A`"),
        "{err}"
    );

    std::fs::write(dir.path().join("broken.json"), "{").unwrap();
    assert_eq!(backlint(&["check", "--baseline", "broken.json"], dir.path()).status.code(), Some(2));
}

#[test]
fn backlint_test_runs_the_policy_examples() {
    let o = backlint(&["test"], &root());
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.trim_end().ends_with(" passed, 0 failed"), "{out}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("team.policy"),
        "rule t {\n  group = custom\n  severity = info\n  summary = \"t\"\n  for item in items\n    require exists(item.title)\n    message \"no title\"\n  test \"wrong\" {\n    backlog = \"\"\"\n      items:\n        - {id: A, title: x}  # expect\n    \"\"\"\n  }\n}\n",
    )
    .unwrap();
    let o = backlint(&["test", "team.policy"], dir.path());
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("T0001") && out.contains("team.policy:8:8") && out.ends_with("0 passed, 1 failed\n"), "{out}");
}

#[test]
fn init_writes_a_passing_starter_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let o = backlint(&["init"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert!(dir.path().join("backlint.policy").is_file() && dir.path().join("backlog.yaml").is_file());
    let o = backlint(&["check"], dir.path());
    assert_eq!(o.status.code(), Some(0), "the starter passes: {:?}", text(&o));
    std::fs::write(dir.path().join("backlint.policy"), "# mine\n").unwrap();
    let o = backlint(&["init"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("already exists"));
    assert_eq!(std::fs::read_to_string(dir.path().join("backlint.policy")).unwrap(), "# mine\n", "nothing is lost");
    assert_eq!(backlint(&["init", "--force"], dir.path()).status.code(), Some(0));
    assert!(std::fs::read_to_string(dir.path().join("backlint.policy")).unwrap().contains("settings {"));
}

/// In an existing project, init writes only what the source cannot hold, filled from the backlog
/// (its own `product_owner`, its one milestone), never a stand-in person; the backlog is untouched.
#[test]
fn init_in_an_existing_project_declares_what_the_source_cannot_hold() {
    let dir = tempfile::tempdir().unwrap();
    let copy = |from: &Path, to: &Path| {
        for entry in walkdir::WalkDir::new(from) {
            let entry = entry.unwrap();
            let target = to.join(entry.path().strip_prefix(from).unwrap());
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(&target).unwrap();
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    };
    copy(&root().join("tests/fixtures/backlog_md/milestones/backlog"), &dir.path().join("backlog"));
    let config = dir.path().join("backlog/config.yml");
    // Two milestones and no owner: nothing to choose from without a terminal, so nothing is invented.
    let o = backlint(&["init"], dir.path());
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    let policy = std::fs::read_to_string(dir.path().join("backlint.policy")).unwrap();
    assert!(policy.contains("# product_owner = \"…\"") && policy.contains("# goal_milestone = \"…\""), "{policy}");
    assert!(
        out.contains("found a Backlog.md backlog") && out.contains("m-1 (App tickets), m-2 (Island trips)"),
        "{out}"
    );
    assert!(!dir.path().join("backlog.yaml").exists(), "no starter backlog beside an existing one");
    // One milestone left and the owner in config.yml: both are declared from the backlog itself.
    std::fs::remove_file(dir.path().join("backlog/milestones/m-2 - Island-trips.md")).unwrap();
    let mut text_of_config = std::fs::read_to_string(&config).unwrap();
    text_of_config.push_str("product_owner: \"Dana \\\"D\\\" Lee\"\n");
    std::fs::write(&config, &text_of_config).unwrap();
    assert_eq!(backlint(&["init"], dir.path()).status.code(), Some(2), "never overwrites without --force");
    let o = backlint(&["init", "--force"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let policy = std::fs::read_to_string(dir.path().join("backlint.policy")).unwrap();
    assert!(
        policy.contains(r#"product_owner = "Dana \"D\" Lee""#) && policy.contains(r#"goal_milestone = "m-1""#),
        "{policy}"
    );
    let o = backlint(&["check", "--no-history", "--format", "json"], dir.path());
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let notices: Vec<&str> = json["notices"].as_array().unwrap().iter().filter_map(|n| n["rule"].as_str()).collect();
    assert!(
        !notices.contains(&"product-goal-missing") && !notices.contains(&"product-owner-not-one-person"),
        "{notices:?}"
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text_of_config, "the backlog is not written");
}

#[test]
fn policies_include_shared_defaults_and_report_cycles() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("team")).unwrap();
    std::fs::copy(root().join("examples/healthy/backlog.yaml"), dir.path().join("backlog.yaml")).unwrap();
    std::fs::write(
        dir.path().join("team/defaults.policy"),
        "settings {\n  near = 5\n  fail_on = error\n}\ndisable tradeoff-undeclared\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("backlint.policy"), "include \"team/defaults.policy\"\nsettings {\n  near = 8\n}\n")
        .unwrap();
    let o = backlint(&["check", "--show-policy"], dir.path());
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let line = |name: &str| {
        out.lines().find(|l| l.trim_start().starts_with(&format!("{name} ="))).unwrap_or_default().to_string()
    };
    assert!(line("near").contains("= 8") && line("near").ends_with("(backlint.policy:3)"), "{out}");
    assert!(line("fail_on").contains("= error") && line("fail_on").ends_with("(team/defaults.policy:3)"), "{out}");
    assert!(line("distant").ends_with("(default)"), "{out}");
    assert!(line("tradeoff-undeclared").contains("= off"), "{out}");
    assert_eq!(backlint(&["check"], dir.path()).status.code(), Some(0));

    std::fs::write(dir.path().join("team/defaults.policy"), "include \"../backlint.policy\"\n").unwrap();
    let o = backlint(&["check"], dir.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("P0016") && err.contains("backlint.policy → team/defaults.policy → backlint.policy"), "{err}");
    assert!(err.contains("team/defaults.policy:1:9"), "{err}");
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = backlint(&["completions", shell], &root());
        assert_eq!(o.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&o.stdout).contains("backlint"), "{shell}");
    }
    let o = backlint(&["man"], &root());
    assert!(String::from_utf8_lossy(&o.stdout).contains(".TH backlint 1"));
    let (out, _) = text(&backlint(&["--version"], &root()));
    assert_eq!(out.trim(), format!("backlint {}", env!("CARGO_PKG_VERSION")));
}

/// `check --diff` shows the mechanical fixes without writing (exit 1); `check --fix` makes them,
/// replacing the file, and the check that follows reports what is left.
#[test]
fn check_fix_and_diff_make_the_mechanical_fixes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backlog.yaml");
    let broken = "items:\n  - id: A-1\n    title: Export the invoice list as CSV\n    rank: 2\n    acceptance_criteria: [The file opens in a spreadsheet]\n    allow:\n      vague-title: the customer's words\n  - id: A-2\n    title: Import the customer list from CSV\n    rank: 1\n    acceptance_criteria: [The list shows every customer]\n";
    std::fs::write(&path, broken).unwrap();
    let o = backlint(&["check", "--no-history", "--diff", "backlog.yaml"], dir.path());
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.starts_with("--- a/backlog.yaml\n+++ b/backlog.yaml\n@@ -1,"), "{out}");
    for line in [
        "-    rank: 2\n",
        "+    rank: 1\n",
        "-    allow:\n",
        "-      vague-title: the customer's words\n",
        "-    rank: 1\n",
        "+    rank: 2\n",
    ] {
        assert!(out.contains(line), "{line:?} missing from:\n{out}");
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken, "--diff writes nothing");

    let o = backlint(&["check", "--no-history", "--fix", "--format", "short", "backlog.yaml"], dir.path());
    let (out, err) = text(&o);
    assert!(err.contains("backlog.yaml: 2 fixes made"), "{err}");
    let fixed = std::fs::read_to_string(&path).unwrap();
    assert!(fixed.contains("  - id: A-1\n    title: Export the invoice list as CSV\n    rank: 1\n    acceptance_criteria: [The file opens in a spreadsheet]\n  - id: A-2"), "{fixed}");
    assert!(fixed.contains("    rank: 2\n"), "{fixed}");
    assert!(!out.contains("ordering-ambiguous") && !out.contains("unused-suppression"), "{out}");
    let o = backlint(&["check", "--no-history", "--diff", "backlog.yaml"], dir.path());
    assert_eq!((o.status.code(), text(&o).0), (Some(0), String::new()), "nothing left to fix");
}
