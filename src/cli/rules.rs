//! `backlint rules` and `backlint explain`, and the policy loading the commands share.

use super::ui::{EXIT_CLEAN, EXIT_ERROR, Ui};
use crate::analysis::{self, Documents};
use crate::diag::{Problem, did_you_mean};
use crate::policy::ir::CompiledPolicy;
use crate::report::{explanation_text, severities};
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
            let severity = if r.enabled { severities(r) } else { "off".into() };
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

/// Explains a rule of the built-in set or of a policy: `--policy` when given, else the policy
/// discovered from the current folder, else the policies that `check` would apply to the backlogs
/// under `paths` (default: the current folder), so a custom rule `check` reported is found from the
/// same folder.
pub fn explain(ui: &mut Ui, name: &str, explicit_policy: Option<&Path>, paths: &[PathBuf]) -> i32 {
    let first = explicit_policy.map(Path::to_path_buf).or_else(|| discovered_policy(ui, Path::new(".")));
    let Some(policy) = load_policy(ui, first.as_deref()) else { return EXIT_ERROR };
    if let Some(rule) = policy.rule(name) {
        ui.say(&explanation_text(rule, ui.out_style.width.min(100)));
        return EXIT_CLEAN;
    }
    let mut known: Vec<String> = policy.rules.iter().map(|r| r.name.clone()).collect();
    if explicit_policy.is_none() {
        for candidate in backlog_policies(paths).into_iter().filter(|c| Some(c) != first.as_ref()) {
            // A policy that does not compile is `check`'s to report; here it just holds no rule.
            let Ok((other, _)) = analysis::load_policy(Some(&candidate), &Documents::new()) else { continue };
            if let Some(rule) = other.rule(name) {
                ui.note(&format!("`{name}` is defined in `{}`", crate::text::display_path(&rule.file.path)));
                ui.say(&explanation_text(rule, ui.out_style.width.min(100)));
                return EXIT_CLEAN;
            }
            known.extend(other.rules.iter().map(|r| r.name.clone()));
        }
    }
    let mut p = Problem::error("I0041", format!("unknown rule `{name}`"));
    p.help = Some(match close_name(name, &known) {
        Some(s) => format!("did you mean `{s}`? `backlint rules` lists every rule"),
        None => "`backlint rules` lists every rule; a team's own rule is found from the folder of its \
                 backlog, or with `--policy FILE`"
            .into(),
    });
    ui.problem(&p);
    EXIT_ERROR
}

/// The policies `check` would apply to the backlogs under `paths`, each once, in the order found.
fn backlog_policies(paths: &[PathBuf]) -> Vec<PathBuf> {
    let paths = if paths.is_empty() { vec![PathBuf::from(".")] } else { paths.to_vec() };
    // Paths that hold no backlog are not an error here: the rule is simply not found there.
    let (found, _) = crate::source::discover::backlogs(&paths);
    let mut policies: Vec<PathBuf> = Vec::new();
    for backlog in &found {
        // A policy the search did not apply was named by the search from the current folder.
        if let (Some(policy), _) = analysis::discovered_policy(backlog.path())
            && !policies.contains(&policy)
        {
            policies.push(policy);
        }
    }
    policies
}

/// A rule name close enough to be a typo of `name`: a shared prefix such as `near-item` does not
/// make two rules alike, so the edit distance must be small too.
fn close_name<'a>(name: &str, known: &'a [String]) -> Option<&'a str> {
    let suggestion = did_you_mean(name, known.iter().map(String::as_str))?;
    (strsim::levenshtein(name, suggestion) <= (name.len() / 4).max(2)).then_some(suggestion)
}
