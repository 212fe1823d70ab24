//! Property tests, bounded in time: thousands of mutations of valid inputs (byte flips, inserted
//! syntax characters, truncation, spliced copies) go through each entry point (the YAML source, the
//! Markdown source, the CSV source and the policy compiler), which must return a result or located
//! problems and never panic.

use super::*;
use backlint::model::Backlog;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

const SYNTAX: &[&str] = &[
    ":",
    "-",
    " ",
    "\n",
    "\t",
    "\"",
    "'",
    "{",
    "}",
    "[",
    "]",
    ",",
    "&a",
    "*a",
    "!!str",
    "#",
    "|",
    ">",
    "---",
    "\r\n",
    "é",
    "\u{feff}",
    "(",
    ")",
    "and",
    "not",
    "==",
    "\\",
    "\"\"\"",
    "<!-- AC:BEGIN -->",
    "- [ ] ",
    "## ",
    "1e999",
    "~",
    "\0",
];

fn mutate(base: &str, rng: &mut Lcg) -> String {
    let mut s = base.to_string();
    for _ in 0..1 + rng.next() % 6 {
        let mut at = if s.is_empty() { 0 } else { rng.next() % s.len() };
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        match rng.next() % 5 {
            0 => s.insert_str(at, SYNTAX[rng.next() % SYNTAX.len()]),
            1 => {
                let mut end = (at + rng.next() % 40).min(s.len());
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                s.replace_range(at..end, "");
            }
            2 => s.truncate(at),
            3 => {
                let mut end = (at + rng.next() % 200).min(s.len());
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                let copy = s[at..end].to_string();
                s.insert_str(at, &copy);
            }
            _ => s.insert(at, char::from_u32((rng.next() % 0x2FF) as u32).unwrap_or('x')),
        }
    }
    s
}

fn corpus(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap()
}

fn never_panics(name: &str, seeds: &[String], cases: usize, run: impl Fn(&str)) {
    let mut rng = Lcg(0x5eed);
    for case in 0..cases {
        let input = mutate(&seeds[case % seeds.len()], &mut rng);
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&input))).is_err() {
            panic!("{name}: panicked on case {case}:\n{input:?}");
        }
    }
}

#[test]
fn the_yaml_source_never_panics() {
    let policy = policy_with(None);
    let seeds = [
        corpus("examples/unhealthy/backlog.yaml"),
        corpus("examples/stories/backlog.yaml"),
        corpus("tests/fixtures/rules/ordering-ambiguous/fires.yaml"),
    ];
    never_panics("yaml", &seeds, 1500, |text| {
        let file = SourceFile::new("p.yaml", text);
        if let Ok(root) = backlint::yaml::parse(&file, Default::default())
            && let Ok(backlog) = Backlog::from_yaml(file, root)
        {
            let _ = check(&policy, &backlog);
        }
    });
}

#[test]
fn the_markdown_source_never_panics() {
    let seeds = [
        corpus("tests/fixtures/backlog_md/basic/backlog/tasks/task-1 - Buy-a-single-ticket.md"),
        corpus("tests/fixtures/backlog_md/basic/backlog/tasks/task-2 - Show-departures.md"),
        corpus("tests/fixtures/backlog_md/basic/backlog/completed/task-4 - Sign-in.md"),
    ];
    never_panics("markdown", &seeds, 1500, |text| {
        let _ = backlint::source::backlog_md::task(&SourceFile::new("t.md", text), 1);
    });
}

#[test]
fn the_csv_source_never_panics() {
    let policy = policy_with(None);
    let seeds = [corpus("tests/fixtures/jira/export.csv")];
    never_panics("csv", &seeds, 1500, |text| {
        if let Ok(backlog) = backlint::source::jira_csv::load(SourceFile::new("e.csv", text)) {
            let _ = check(&policy, &backlog);
        }
    });
}

#[test]
fn the_policy_compiler_never_panics() {
    let seeds = [
        corpus("examples/backlint.policy"),
        corpus("rules/refinement/duplicate-item.policy"),
        corpus("rules/story/story-not-atomic.policy"),
    ];
    never_panics("policy", &seeds, 600, |text| {
        let _ = backlint::policy::compile(&[SourceFile::new("p.policy", text)]);
    });
}
