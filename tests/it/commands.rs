//! The smaller commands and texts through the real binary: `explain` of a team's rule, the man
//! pages, `check --help`, the `rules` table, explanations on a terminal, `report` on a missing path,
//! the Markdown summary's wording, and the error codes.

use super::*;
use std::process::{Command, Output};

fn backlint(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backlint"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// `check examples` reports the custom rules of `examples/backlint.policy`; `explain` run from the
/// same folder finds them, and never offers an unrelated rule for one it does not know.
#[test]
fn explain_finds_a_custom_rule_check_reported_from_the_same_folder() {
    let (out, _) = text(&backlint(&["check", "examples", "--format", "short"], &root()));
    assert!(out.contains("[near-items-state-value]"), "{out}");
    for args in [&["explain", "near-items-state-value"][..], &["explain", "near-items-state-value", "examples"]] {
        let o = backlint(args, &root());
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
        assert!(out.starts_with("near-items-state-value (refinement · warning by default)"), "{out}");
        assert!(err.contains("defined in `examples/backlint.policy`"), "{err}");
    }
    let o = backlint(&["explain", "near-items-state-valve"], &root());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("did you mean `near-items-state-value`?"), "a typo of a team's rule: {err}");
    let o = backlint(&["explain", "items-need-owners"], &root());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(!err.contains("did you mean"), "no unrelated rule is offered: {err}");
}

/// Explanations are reflowed: no line of prose is cut where the policy file broke it, none is wider
/// than the terminal, no literal backticks; the example keeps its lines.
#[test]
fn explanations_read_as_paragraphs_on_a_terminal() {
    let o = Command::new(env!("CARGO_BIN_EXE_backlint"))
        .args(["explain", "goal-link-missing"])
        .env("NO_COLOR", "1")
        .env("COLUMNS", "60")
        .output()
        .unwrap();
    let (out, _) = text(&o);
    assert!(out.starts_with("goal-link-missing (goal · warning/error by default)"), "{out}");
    let (prose, example) = out.split_once("\nExample\n").expect("an example");
    assert!(!prose.contains('`'), "{prose}");
    assert!(prose.lines().all(|l| l.chars().count() <= 60), "{prose}");
    // Wrapped at the terminal's width, not the policy file's: no line ends where the next word fits.
    let lines: Vec<&str> = prose.lines().collect();
    for pair in lines.windows(2).filter(|w| w[0].starts_with("    ") && w[1].starts_with("    ")) {
        let next = pair[1].split_whitespace().next().unwrap();
        assert!(pair[0].chars().count() + 1 + next.chars().count() > 60, "`{next}` fits after `{}`", pair[0]);
    }
    assert!(example.contains("    # before\n    items:\n      - id: PBI-7\n"), "{example}");
}

/// A rule whose near-horizon check is an error shows both severities; a single-severity rule one.
#[test]
fn rules_table_shows_every_severity_a_rule_reports() {
    let (out, _) = text(&backlint(&["rules", "--group", "goal"], &root()));
    let row = |rule: &str| out.lines().find(|l| l.starts_with(rule)).unwrap_or_default().to_string();
    assert!(row("goal-link-missing ").contains(" warning/error "), "{out}");
    assert!(row("goal-link-unknown ").split_whitespace().nth(2).is_some_and(|s| !s.contains('/')), "{out}");
}

#[test]
fn check_help_names_every_backlog_format() {
    let (out, _) = text(&backlint(&["check", "--help"], &root()));
    for name in ["Backlog.md", "Jira CSV", "*.backlog.yml", "*.backlog.yaml", "backlog.yaml"] {
        assert!(out.contains(name), "{name}: {out}");
    }
}

/// One page per command, each with its options and EXIT STATUS; the root page lists them, and
/// every page it lists exists.
#[test]
fn man_pages_per_command_with_options_and_exit_status() {
    let (root_page, _) = text(&backlint(&["man"], &root()));
    assert!(root_page.contains(".TH backlint 1"), "{root_page}");
    assert!(root_page.contains(".SH \"EXIT STATUS\""), "{root_page}");
    let command = <backlint::cli::Args as clap::CommandFactory>::command();
    let names: Vec<&str> = command.get_subcommands().map(|c| c.get_name()).collect();
    let mut listed = backlint::cli::man::COMMANDS.to_vec();
    listed.sort();
    let mut all = names.clone();
    all.sort();
    assert_eq!(listed, all, "`man::COMMANDS` names every command");
    for name in names {
        let o = backlint(&["man", name], &root());
        let (page, err) = text(&o);
        assert_eq!(o.status.code(), Some(0), "{name}: {err}");
        assert!(page.contains(&format!(".TH backlint-{name} 1")), "{name}: {page}");
        assert!(page.contains(".SH \"EXIT STATUS\"") && page.contains(".SH OPTIONS"), "{name}: {page}");
        assert!(root_page.contains(&format!("backlint\\-{name}(1)")), "{name} is listed on backlint(1)");
        // groff, when present, reads the page without a warning.
        if let Ok(mut groff) = Command::new("groff")
            .args(["-k", "-man", "-Tutf8", "-ww", "-z"])
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
        {
            use std::io::Write;
            groff.stdin.take().unwrap().write_all(page.as_bytes()).unwrap();
            let o = groff.wait_with_output().unwrap();
            assert!(o.stderr.is_empty(), "{name}: {}", String::from_utf8_lossy(&o.stderr));
        }
    }
    let (check, _) = text(&backlint(&["man", "check"], &root()));
    for option in ["\\-\\-fail\\-on", "\\-\\-format", "\\-\\-baseline", "\\-\\-staged"] {
        assert!(check.contains(option), "{option}: {check}");
    }
    assert!(check.contains("findings at or above the failing severity"), "{check}");
    let o = backlint(&["man", "nonsense"], &root());
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn report_on_a_missing_path_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.html");
    let o = backlint(&["report", "no-such-backlog", "-o", out.to_str().unwrap()], dir.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("I0020") && err.contains("no report written"), "{err}");
    assert!(!out.exists(), "a report was written");
}

/// Counts read as English, and the per-rule table is sorted by columns it shows.
#[test]
fn markdown_summary_counts_in_words_and_sorts_by_what_it_shows() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("backlog.yaml"),
        "product: P\nproduct_owner: Dana Lee\noptimizing_for: learning\ndefinition_of_done: [Reviewed]\n\
         product_goals: [{id: G1, statement: Half of all orders placed online, measure: online share, target: 50% by 2027-06-30, status: active}]\n\
         items:\n  - {id: A, title: Pay for an order by card, goal: G1, estimate: 3, acceptance_criteria: [A paid order is confirmed]}\n  \
         - {id: B, title: Misc, goal: G1, estimate: 3, acceptance_criteria: [x]}\n",
    )
    .unwrap();
    let (out, _) = text(&backlint(&["check", "--no-history", "--format", "markdown"], dir.path()));
    assert!(out.contains("in 1 backlog**") || out.contains("** in 1 backlog"), "{out}");
    assert!(!out.contains(" 1 warnings") && !out.contains(" 1 errors") && !out.contains(" 1 infos"), "{out}");

    let (out, _) = text(&backlint(&["check", "examples/unhealthy", "--format", "markdown"], &root()));
    let table = out.split("### Findings per rule").nth(1).unwrap();
    let rows: Vec<(String, usize)> = table
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split(" | ").collect();
            (cells[1].to_string(), cells[2].parse().unwrap())
        })
        .collect();
    let rank = |s: &str| ["error", "warning", "info"].iter().position(|x| *x == s).unwrap();
    assert!(
        rows.windows(2)
            .all(|w| (rank(&w[0].0), std::cmp::Reverse(w[0].1)) <= (rank(&w[1].0), std::cmp::Reverse(w[1].1))),
        "{table}"
    );
}

/// `init` keeps I0055 ("already exists"); the report without a destination has its own code.
#[test]
fn each_error_code_names_one_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("backlint.policy"), "").unwrap();
    let (_, err) = text(&backlint(&["init"], dir.path()));
    assert!(err.contains("I0055") && err.contains("already exists"), "{err}");
    let source = std::fs::read_to_string(root().join("src/cli/report.rs")).unwrap();
    assert!(source.contains("\"I0063\", \"the HTML report needs somewhere to go\""));
    // Every code the sources raise is in the README's table.
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut codes = std::collections::BTreeSet::new();
    for file in walk(&root().join("src")) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (at, _) in text.match_indices("\"I0") {
            let code = &text[at + 1..(at + 6).min(text.len())];
            if code[1..].bytes().all(|b| b.is_ascii_digit()) && text[at + 6..].starts_with('"') {
                codes.insert(code.to_string());
            }
        }
    }
    assert!(codes.len() > 30, "{codes:?}");
    for code in &codes {
        assert!(readme.contains(&format!("| {code} |")), "{code} is not in the README's table of input codes");
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p)
        }
    }
    out
}

/// The README's claim about the examples: every rule fires on them (`cli::the_examples_trigger_every_rule`)
/// except those that need a long git history, and it names each of those.
#[test]
fn the_readme_names_the_rules_the_examples_cannot_trigger() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let claim = readme.split("together the examples trigger every built-in rule").nth(1).expect("the claim");
    let claim = &claim[..claim.find("\n\n").unwrap()];
    for rule in super::history::TESTED {
        assert!(claim.contains(&format!("except `{rule}`")), "the README's claim does not except `{rule}`: {claim}");
    }
}
