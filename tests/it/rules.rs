//! Per built-in rule: `fires.yaml` produces exactly the findings its `# expect: RULE` comments name,
//! and `passes.yaml` produces none of that rule.

use super::*;
use std::collections::BTreeSet;

/// (line, rule) pairs written as `# expect: rule[, rule]` comments in a fixture.
fn expectations(text: &str) -> BTreeSet<(usize, String)> {
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(pos) = line.find("# expect:") {
            for rule in line[pos + 9..].split(',') {
                out.insert((i + 1, rule.trim().to_string()));
            }
        }
    }
    out
}

fn run_fixture(rule: &str) {
    let policy = policy_with(None);
    let dir = fixture(&format!("rules/{rule}"));
    // `fires.yaml`, plus `fires-<case>.yaml` for checks that can fire only once per backlog.
    let mut fires: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("fires"))
        .collect();
    fires.sort();
    assert!(fires.iter().any(|p| p.ends_with("fires.yaml")), "{} has no fires.yaml", dir.display());
    for fires in fires {
        let backlog = load(&fires);
        let expected: BTreeSet<(usize, String)> =
            expectations(&backlog.files[0].text).into_iter().filter(|(_, r)| r == rule).collect();
        assert!(!expected.is_empty(), "{} has no `# expect: {rule}` comment", fires.display());
        let actual: BTreeSet<(usize, String)> =
            lines(&backlog, &check(&policy, &backlog)).into_iter().filter(|(_, r)| r == rule).collect();
        assert_eq!(actual, expected, "findings of `{rule}` in {} (line, rule)", fires.display());
    }

    let passes = dir.join("passes.yaml");
    let backlog = load(&passes);
    let unexpected: Vec<_> =
        lines(&backlog, &check(&policy, &backlog)).into_iter().filter(|(_, r)| r == rule).collect();
    assert!(unexpected.is_empty(), "{} must not trigger `{rule}`, but did at {unexpected:?}", passes.display());
}

macro_rules! rule_fixtures {
    ($($test:ident => $rule:literal),* $(,)?) => {
        $( #[test] fn $test() { run_fixture($rule); } )*
        /// The rules that have a fixture test above; `meta` checks it against the built-ins.
        pub const TESTED: &[&str] = &[$($rule),*];
    };
}

rule_fixtures! {
    product_goal_missing => "product-goal-missing",
    goal_link_missing => "goal-link-missing",
    goal_link_unknown => "goal-link-unknown",
    ordering_ambiguous => "ordering-ambiguous",
    committee_reordering => "committee-reordering",
    ordering_flip_flop => "ordering-flip-flop",
    product_owner_never_orders => "product-owner-never-orders",
    product_owner_not_one_person => "product-owner-not-one-person",
    missing_acceptance_criteria => "missing-acceptance-criteria",
    over_specified_distant => "over-specified-distant",
    suppression_without_reason => "suppression-without-reason",
    unused_suppression => "unused-suppression",
    product_goal_not_measurable => "product-goal-not-measurable",
    multiple_active_goals => "multiple-active-goals",
    reorder_without_rationale => "reorder-without-rationale",
    loudest_stakeholder => "loudest-stakeholder",
    tradeoff_undeclared => "tradeoff-undeclared",
    near_item_too_large => "near-item-too-large",
    vague_title => "vague-title",
    duplicate_item => "duplicate-item",
    almost_done => "almost-done",
    done_criteria_unmet => "done-criteria-unmet",
    po_as_project_manager => "po-as-project-manager",
    story_not_well_formed => "story-not-well-formed",
    dependency_inversion => "dependency-inversion",
    dependency_cycle => "dependency-cycle",
    dependency_unknown_id => "dependency-unknown-id",
    dependency_unknown_type => "dependency-unknown-type",
    blocked_by_distant => "blocked-by-distant",
    open_child_of_done_parent => "open-child-of-done-parent",
    criteria_met_not_done => "criteria-met-not-done",
    type_sections_missing => "type-sections-missing",
    story_not_atomic => "story-not-atomic",
    story_not_minimal => "story-not-minimal",
    story_ambiguous => "story-ambiguous",
    story_not_uniform => "story-not-uniform",
    story_not_unique => "story-not-unique",
    story_without_reason => "story-without-reason",
    only_user_stories => "only-user-stories",
    backlog_secretary => "backlog-secretary",
}

#[test]
fn policy_settings_move_the_horizons() {
    let text = "product: P\nproduct_owner: Dana\nproduct_goals: [{id: G1, statement: s, status: active}]\nitems:\n  - {id: A, title: one two three, goal: G1, acceptance_criteria: [x]}\n  - {id: B, title: one two three, goal: G1}\n";
    let backlog = load_str(text);
    let of_rule = |findings: Vec<backlint::engine::Finding>| -> Vec<(usize, String)> {
        lines(&backlog, &findings).into_iter().filter(|(_, r)| r == "missing-acceptance-criteria").collect()
    };
    assert_eq!(of_rule(check(&policy_with(None), &backlog)), [(6, "missing-acceptance-criteria".to_string())]);
    assert!(of_rule(check(&policy_with(Some("settings { near = 1 }")), &backlog)).is_empty());
}

#[test]
fn configuration_changes_severity_options_and_disables() {
    let text = "product: P\nproduct_owner: Dana\nitems:\n  - {id: A, title: one two three}\n";
    let backlog = load_str(text);
    let configured = policy_with(Some(
        "configure product-goal-missing { severity = info }\ndisable goal-link-missing\ndisable missing-acceptance-criteria",
    ));
    let findings: Vec<_> = check(&configured, &backlog)
        .into_iter()
        .filter(|f| {
            ["product-goal-missing", "goal-link-missing", "missing-acceptance-criteria"].contains(&f.rule.as_str())
        })
        .collect();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].rule, "product-goal-missing");
    assert_eq!(findings[0].level, backlint::diag::Level::Info);
    let off = policy_with(Some("configure product-goal-missing { severity = off }"));
    assert!(check(&off, &backlog).iter().all(|f| f.rule != "product-goal-missing"));
}

#[test]
fn a_custom_rule_fires_where_it_should() {
    let policy = policy_with(Some(
        r#"
rule near-estimate-limit {
  group = refinement
  severity = warning
  summary = "near items are estimated at 8 or less"
  option max_estimate = 8
  for item in near
    where exists(item.estimate)
    require item.estimate <= max_estimate
    at item.estimate
    message "`{item.id}` is estimated at {item.estimate}, above {max_estimate}"
}
configure near-estimate-limit { max_estimate = 5 }
"#,
    ));
    let text = "product: P\nitems:\n  - {id: A, estimate: 5}\n  - {id: B, estimate: 13}\n  - {id: C}\n";
    let backlog = load_str(text);
    let findings: Vec<_> = check(&policy, &backlog).into_iter().filter(|f| f.rule == "near-estimate-limit").collect();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].message, "`B` is estimated at 13, above 5");
    assert_eq!(&text[findings[0].span.start..findings[0].span.end], "13");
    assert_eq!(findings[0].subject.as_deref(), Some("B"));
}
