//! `backlint test`: runs the examples that policies carry (`test` blocks).

use super::rules::load_policy;
use super::ui::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, Ui};
use crate::report::human;
use std::path::PathBuf;

/// Built-in tests run against the built-in rules alone (default settings); a policy's own tests run
/// against that policy, with its settings and configuration.
pub fn run(ui: &mut Ui, policies: &[PathBuf]) -> i32 {
    let explicit = !policies.is_empty();
    let mut runs: Vec<Option<PathBuf>> = policies.iter().cloned().map(Some).collect();
    if !explicit {
        runs.push(None);
        runs.extend(crate::analysis::cwd_policy().map(Some));
    }
    let (mut passed, mut failed) = (0, 0);
    for run in runs {
        let Some(policy) = load_policy(ui, run.as_deref()) else { return EXIT_ERROR };
        let outcome = crate::selftest::run(&policy, |t| match &run {
            None => {
                policy.rule(t.rule.as_deref().unwrap_or("")).is_some_and(|r| r.builtin)
                    || t.file.path.starts_with("rules/")
            }
            Some(path) => t.file.path == *path,
        });
        for f in &outcome.failures {
            let _ = write!(ui.out, "{}", human::render(f, ui.out_style));
        }
        passed += outcome.passed;
        failed += outcome.failures.len();
    }
    ui.say(&format!("{passed} passed, {failed} failed"));
    if failed > 0 { EXIT_FINDINGS } else { EXIT_CLEAN }
}
