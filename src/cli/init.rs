//! `backlint init`: a starter policy, and a starter backlog when the folder has none. Both pass
//! `backlint check`. Asks for names only on a terminal; never overwrites without `--force`.

use super::ui::{EXIT_CLEAN, EXIT_ERROR, Ui};
use crate::diag::Problem;
use crate::model::Backlog;
use std::io::{BufRead, IsTerminal};
use std::path::Path;

/// The answer to `prompt` on a terminal, None when it was left empty or there is no terminal.
fn answer(ui: &mut Ui, prompt: &str) -> Option<String> {
    if !std::io::stdin().is_terminal() {
        return None;
    }
    let _ = write!(ui.out, "{prompt}");
    let _ = ui.out.flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    Some(line.trim().to_string()).filter(|a| !a.is_empty())
}

fn ask(ui: &mut Ui, question: &str, default: &str) -> String {
    answer(ui, &format!("{question} [{default}]: ")).map_or(default.to_string(), |a| a.replace('"', "'"))
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
    let found = crate::source::discover::backlogs(&[".".into()]).0;
    let backlog = Path::new("backlog.yaml");
    let mut targets = vec![policy];
    if found.is_empty() || (force && backlog.exists()) {
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
    // An existing project: declare what its source cannot hold, from what the backlog says.
    if let Some(first) = found.first() {
        let (Some(loaded), _) = crate::analysis::load(first) else {
            ui.problem(
                &Problem::error("I0092", format!("cannot read the backlog at `{}`", first.path().display()))
                    .help("run `backlint check` to see what is wrong with it, then `backlint init` again"),
            );
            return EXIT_ERROR;
        };
        let declarations = declarations_for(&loaded, &mut |q| ask_optional(ui, q));
        if let Err(code) = write(ui, policy, &declarations.policy_text()) {
            return code;
        }
        ui.say(&format!("found a {} backlog at `{}`", loaded.format.name, first.path().display()));
        for line in &declarations.said {
            ui.say(line);
        }
        ui.say("next: `backlint check`");
        return EXIT_CLEAN;
    }
    let terminal = std::io::stdin().is_terminal();
    let owner = ask(ui, "Who is the Product Owner?", "Dana Lee");
    for target in targets {
        let text = if target == policy {
            policy_text(&owner)
        } else {
            backlog_text(&ask(ui, "What is the product called?", "My product"), &owner)
        };
        if let Err(code) = write(ui, target, &text) {
            return code;
        }
    }
    if !terminal {
        // A person is never written silently: say which name is a stand-in.
        ui.say(&format!("the Product Owner is the stand-in `{owner}`: put the real name in both files"));
    }
    ui.say("next: `backlint check`");
    EXIT_CLEAN
}

fn write(ui: &mut Ui, target: &Path, text: &str) -> Result<(), i32> {
    if let Err(e) = crate::files::output::write_file(target, text.as_bytes()) {
        ui.problem(&Problem::error("I0052", format!("cannot write `{}`: {e}", target.display())));
        return Err(EXIT_ERROR);
    }
    ui.say(&format!("wrote {}", target.display()));
    Ok(())
}

/// A question with no default: on a terminal the answer (empty when skipped); elsewhere nothing,
/// so nothing is invented.
fn ask_optional(ui: &mut Ui, question: &str) -> Option<String> {
    answer(ui, &format!("{question} (Enter to leave it for later): "))
}

/// The settings an existing backlog needs from its policy, and what init tells the user about them.
#[derive(Debug, Default, PartialEq)]
pub struct Declarations {
    /// `setting = value` lines, written as they are; a commented line is a concept left undeclared.
    pub lines: Vec<String>,
    pub said: Vec<String>,
}

impl Declarations {
    pub fn policy_text(&self) -> String {
        let mut text = String::from(
            "# backlint.policy: how backlint checks this backlog. `backlint rules` lists the rules and\n\
             # `backlint explain RULE` says why each matters. See the README's \"policy language\" section.\n\n\
             settings {\n",
        );
        for line in &self.lines {
            text.push_str("  ");
            text.push_str(line);
            text.push('\n');
        }
        text.push_str(
            "  fail_on = warning          # warnings and errors fail the check; infos do not\n}\n\n\
             # Change a rule:      configure near-item-too-large { max_estimate = 5 }\n\
             # Turn a rule off:    disable tradeoff-undeclared\n",
        );
        text
    }
}

/// What the policy must declare for `backlog`: only the concepts its format has no place for, each
/// filled from the backlog itself (its own `product_owner`, its milestones or epics) or from an
/// answer; a concept nobody gave stays a commented line, and `backlint check` says it once.
pub fn declarations_for(backlog: &Backlog, ask: &mut dyn FnMut(&str) -> Option<String>) -> Declarations {
    let mut d = Declarations::default();
    let places = backlog.format.places;
    let top = &backlog.top;
    let top_file = &backlog.files[top.file];
    let own = |key: &str| top.get(key).and_then(|n| crate::model::scalar_text(n, top_file)).filter(|t| !t.is_empty());
    let name = backlog.format.name;

    if !places.contains(&"product_owner") {
        match own("product_owner").or_else(|| ask("Who is the Product Owner (one person)?")) {
            Some(person) => {
                d.lines
                    .push(format!("product_owner = {}   # the one person accountable for the order", quoted(&person)));
                d.said.push(format!("declared `{person}` as the Product Owner"));
            }
            None => {
                d.lines.push("# product_owner = \"…\"   # name the one person accountable for the order".into());
                d.said.push(format!(
                    "left the Product Owner undeclared: {name} has no place for one; name them in the policy"
                ));
            }
        }
    }

    if !places.contains(&"product_goals") {
        let pursued: Vec<(String, String)> = backlog
            .goals
            .iter()
            .filter(|g| {
                g.text("status", &backlog.files[g.file])
                    .is_none_or(|s| !matches!(s.as_str(), "achieved" | "abandoned" | "archived"))
            })
            .filter_map(|g| {
                let file = &backlog.files[g.file];
                Some((g.text("id", file)?, g.text("statement", file).unwrap_or_default()))
            })
            .collect();
        let listed = pursued.iter().map(|(id, title)| format!("{id} ({title})")).collect::<Vec<_>>().join(", ");
        let chosen = match pursued.as_slice() {
            [] => None,
            [(only, _)] => Some(only.clone()),
            _ => ask(&format!("Which of {listed} carries the Product Goal?"))
                .and_then(|a| pursued.iter().find(|(id, t)| id.eq_ignore_ascii_case(&a) || t.eq_ignore_ascii_case(&a)))
                .map(|(id, _)| id.clone()),
        };
        match chosen {
            Some(id) => {
                d.lines
                    .push(format!("goal_milestone = {}   # the milestone that carries the Product Goal", quoted(&id)));
                d.said.push(format!("declared `{id}` as the milestone that carries the active Product Goal"));
            }
            None if !pursued.is_empty() => {
                d.lines.push(format!(
                    "# goal_milestone = \"…\"   # the one that carries the Product Goal: {}",
                    one_line(&listed)
                ));
                d.said.push(format!(
                    "left the Product Goal undeclared: name the milestone that carries it ({})",
                    one_line(&listed)
                ));
            }
            None => match ask("What is the Product Goal (the outcome you are after)?") {
                Some(goal) => {
                    d.lines.push(format!("product_goal = {}", quoted(&goal)));
                    d.said.push("declared the Product Goal".into());
                }
                None => {
                    d.lines.push("# product_goal = \"…\"   # the outcome the backlog is ordered towards".into());
                    d.said.push(format!(
                        "left the Product Goal undeclared: {name} has no place for one; state it in the policy"
                    ));
                }
            },
        }
    }

    if !places.contains(&"optimizing_for") && own("optimizing_for").is_none() {
        match ask("What does the order favour right now (learning, time-to-market, quality, cost, risk)?") {
            Some(tradeoff) => d.lines.push(format!("optimizing_for = {}", quoted(&tradeoff))),
            None => d.lines.push("# optimizing_for = \"learning\"   # or time-to-market, quality, cost, risk".into()),
        }
    }
    if !places.contains(&"definition_of_done") {
        d.lines.push("# definition_of_done = [\"Reviewed\", \"Released\"]   # the team's Definition of Done".into());
    }
    d
}

/// A policy string literal: the DSL's escapes for quotes, backslashes, braces and line breaks; other
/// control characters are dropped.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.trim().chars() {
        match c {
            '"' | '\\' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text for a comment: one line, no control characters.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_strings_escape_what_the_grammar_reads() {
        assert_eq!(quoted("Dana \"D\" {x}\\\n\u{1b}"), r#""Dana \"D\" \{x\}\\\n""#);
    }
}
