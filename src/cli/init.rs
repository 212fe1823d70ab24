//! `backlint init`: a starter policy, and a starter backlog when the folder has none. Both pass
//! `backlint check`. Asks for names only on a terminal; never overwrites without `--force`.

use super::ui::{EXIT_CLEAN, EXIT_ERROR, Ui};
use crate::diag::Problem;
use std::io::{BufRead, IsTerminal};
use std::path::Path;

fn ask(ui: &mut Ui, question: &str, default: &str) -> String {
    if !std::io::stdin().is_terminal() {
        return default.to_string();
    }
    let _ = write!(ui.out, "{question} [{default}]: ");
    let _ = ui.out.flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    let answer = line.trim();
    if answer.is_empty() { default.to_string() } else { answer.replace('"', "'") }
}

pub fn policy_text(product_owner: &str) -> String {
    format!(
        r#"# backlint.policy: how backlint checks this backlog. `backlint rules` lists the rules and
# `backlint explain RULE` says why each matters. See the README's "policy language" section.

settings {{
  product_owner = "{product_owner}"   # the one person accountable for the order
  near = 10                  # the top 10 open items must be ready
  distant = 30               # items beyond position 30 stay coarse
  fail_on = warning          # warnings and errors fail the check; infos do not
}}

# Change a rule:      configure near-item-too-large {{ max_estimate = 5 }}
# Turn a rule off:    disable tradeoff-undeclared
# Write your own rules with `rule NAME {{ … }}` blocks, and prove them with `test` blocks.
"#
    )
}

pub fn backlog_text(product: &str, product_owner: &str) -> String {
    format!(
        r#"product: {product}
product_owner: {product_owner}
optimizing_for: learning
definition_of_done: [Code reviewed, Tested by someone other than the author, Released]
product_goals:
  - id: G1
    statement: Describe the outcome you are after
    measure: the number that shows progress
    target: 50% more by 2027-06-30
    status: active
items:
  - id: PBI-1
    title: Write the most valuable item first
    goal: G1
    estimate: 3
    value: Say who gains what when this ships
    acceptance_criteria:
      - Given a situation, when someone acts, then the result is visible
  - id: PBI-2
    title: Then the next most valuable item
    goal: G1
    estimate: 5
    value: Say who gains what when this ships
    acceptance_criteria:
      - Given a situation, when someone acts, then the result is visible
"#
    )
}

pub fn run(ui: &mut Ui, force: bool) -> i32 {
    let policy = Path::new(crate::source::discover::POLICY_FILE);
    let backlog_exists = !crate::source::discover::backlogs(&[".".into()]).0.is_empty();
    let backlog = Path::new("backlog.yaml");
    let mut targets = vec![policy];
    if !backlog_exists || (force && backlog.exists()) {
        targets.push(backlog);
    }
    // A planted link (even a dangling one) would make init write outside this folder: refuse it,
    // and anything else that is not a plain file (a FIFO would block, a device would be written).
    let special: Vec<&&Path> =
        targets.iter().filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| !m.is_file())).collect();
    if !special.is_empty() {
        for p in special {
            let what = if p.is_symlink() { "a symbolic link" } else { "not a regular file" };
            ui.problem(
                &Problem::error("I0059", format!("`{}` is {what}; init writes only plain files here", p.display()))
                    .help("remove it, then run `backlint init` again"),
            );
        }
        return EXIT_ERROR;
    }
    let existing: Vec<&&Path> = targets.iter().filter(|p| p.exists()).collect();
    if !force && !existing.is_empty() {
        for p in existing {
            ui.problem(
                &Problem::error("I0055", format!("`{}` already exists", p.display()))
                    .help("use `backlint init --force` to replace it"),
            );
        }
        return EXIT_ERROR;
    }
    let owner = ask(ui, "Who is the Product Owner?", "Dana Lee");
    for target in targets {
        let text = if target == policy {
            policy_text(&owner)
        } else {
            backlog_text(&ask(ui, "What is the product called?", "My product"), &owner)
        };
        if let Err(e) = crate::files::output::write_file(target, text.as_bytes()) {
            ui.problem(&Problem::error("I0052", format!("cannot write `{}`: {e}", target.display())));
            return EXIT_ERROR;
        }
        ui.say(&format!("wrote {}", target.display()));
    }
    ui.say("next: `backlint check`");
    EXIT_CLEAN
}
