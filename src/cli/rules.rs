//! `backlint rules` and `backlint explain`, and the policy loading the commands share.

use super::ui::{EXIT_CLEAN, EXIT_ERROR, Ui};
use crate::analysis::{self, Documents};
use crate::diag::{Problem, did_you_mean};
use crate::policy::ir::CompiledPolicy;
use std::path::{Path, PathBuf};

/// Compiles the built-in rules plus one user policy file (if any) and what it includes. Problems are
/// printed.
pub fn load_policy(ui: &mut Ui, policy_file: Option<&Path>) -> Option<CompiledPolicy> {
    load_policy_files(ui, policy_file).map(|(policy, _)| policy)
}

/// Like `load_policy`, also naming the user policy files in the order they apply.
pub fn load_policy_files(ui: &mut Ui, policy_file: Option<&Path>) -> Option<(CompiledPolicy, Vec<String>)> {
    match analysis::load_policy(policy_file, &Documents::new()) {
        Ok(loaded) => Some(loaded),
        Err(problems) => {
            ui.problems(&problems);
            None
        }
    }
}

/// The policy found above `start`, else above the current folder; a policy the search ignored is named.
pub fn discovered_policy(ui: &mut Ui, start: &Path) -> Option<PathBuf> {
    let (policy, note) = analysis::discovered_policy(start);
    if let Some(note) = note {
        ui.note(&note);
    }
    policy
}

fn policy_for_listing(ui: &mut Ui, explicit: Option<&Path>) -> Option<CompiledPolicy> {
    let path = explicit.map(Path::to_path_buf).or_else(|| discovered_policy(ui, Path::new(".")));
    load_policy(ui, path.as_deref())
}

pub fn list(ui: &mut Ui, explicit_policy: Option<&Path>, group: Option<&str>) -> i32 {
    let Some(policy) = policy_for_listing(ui, explicit_policy) else { return EXIT_ERROR };
    let mut rows: Vec<[String; 4]> = policy
        .rules
        .iter()
        .filter(|r| group.is_none_or(|g| r.group == g))
        .map(|r| {
            let severity = if r.enabled { r.severity.to_string() } else { "off".into() };
            [r.name.clone(), r.group.clone(), severity, r.summary.clone()]
        })
        .collect();
    if rows.is_empty() {
        let groups: Vec<&str> = policy.rules.iter().map(|r| r.group.as_str()).collect();
        let g = group.unwrap_or_default();
        let hint =
            did_you_mean(g, groups.iter().copied()).map(|s| format!("; did you mean `{s}`?")).unwrap_or_default();
        ui.problem(&Problem::error("I0040", format!("no rule in group `{g}`{hint}")));
        return EXIT_ERROR;
    }
    rows.sort_by(|a, b| (&a[1], &a[0]).cmp(&(&b[1], &b[0])));
    let header = ["RULE".to_string(), "GROUP".into(), "SEVERITY".into(), "SUMMARY".into()];
    let widths: Vec<usize> =
        (0..3).map(|i| rows.iter().chain([&header]).map(|r| r[i].len()).max().unwrap_or(0)).collect();
    for row in std::iter::once(&header).chain(rows.iter()) {
        let line = format!(
            "{:w0$}  {:w1$}  {:w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
        ui.say(line.trim_end());
    }
    EXIT_CLEAN
}

pub fn explain(ui: &mut Ui, name: &str, explicit_policy: Option<&Path>) -> i32 {
    let Some(policy) = policy_for_listing(ui, explicit_policy) else { return EXIT_ERROR };
    let Some(rule) = policy.rule(name) else {
        let suggestion = did_you_mean(name, policy.rules.iter().map(|r| r.name.as_str()));
        let mut p = Problem::error("I0041", format!("unknown rule `{name}`"));
        p.help = Some(match suggestion {
            Some(s) => format!("did you mean `{s}`? `backlint rules` lists every rule"),
            None => "`backlint rules` lists every rule".into(),
        });
        ui.problem(&p);
        return EXIT_ERROR;
    };
    ui.say(&crate::report::explanation_text(rule));
    EXIT_CLEAN
}
