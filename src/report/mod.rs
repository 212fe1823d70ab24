//! Reporters: every way findings are shown. `human` (rustc-style diagnostics), one file per machine
//! format (json, sarif, github, junit, short, markdown), and the HTML report (`html`, `charts`,
//! `figures`). Reporters read findings and the model; they never import the CLI or the pipeline.

pub mod charts;
pub mod figures;
pub mod github;
pub mod gitlab;
pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod short;

use crate::diag::{Level, Problem};
use crate::engine::Finding;
use crate::model::Backlog;

/// Version of the JSON output schema; bumped on any incompatible change.
pub const JSON_VERSION: u32 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
    Junit,
    Short,
    /// A compact summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`
    Markdown,
    /// GitLab Code Quality report (`artifacts:reports:codequality`), for the merge-request widget
    Gitlab,
}

/// One finding with everything every format needs, positions 1-based.
#[derive(Clone, Debug)]
pub struct Row {
    pub rule: String,
    pub level: Level,
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub item: Option<String>,
    pub help: Option<String>,
    /// The text under the pointer; for a set-up notice, the concept that is not declared.
    pub label: Option<String>,
}

impl Row {
    pub fn new(backlog: &Backlog, f: &Finding) -> Row {
        let file = &backlog.files[f.file];
        let (line, column) = file.line_col(f.span.start);
        let (end_line, end_column) = file.line_col(f.span.end.max(f.span.start));
        Row {
            rule: f.rule.clone(),
            level: f.level,
            message: f.message.clone(),
            file: file.name.clone(),
            line,
            column,
            end_line,
            end_column,
            item: f.subject.clone(),
            help: f.help.clone(),
            label: f.label.clone(),
        }
    }
}

/// The findings of one backlog.
pub struct Checked {
    /// How the backlog is named: its file, or its folder for Backlog.md.
    pub name: String,
    pub rows: Vec<Row>,
    /// Set-up notices, shown in their own place, never counted as findings.
    pub notices: Vec<Row>,
}

/// An input or policy problem (a backlog or policy that could not be read), for the formats that
/// carry them beside the findings; positions 1-based, absent when it points at no place.
#[derive(Clone, Debug)]
pub struct InputError {
    pub code: String,
    pub level: Level,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub end_line: Option<usize>,
    pub end_column: Option<usize>,
    pub help: Option<String>,
}

impl InputError {
    /// The problems as the human output shows them: a file with merge-conflict markers is the one
    /// problem that names them, and at most [`human::MAX_PROBLEMS_PER_FILE`] per file, then one
    /// entry that says how many more there are.
    pub fn list<'a>(problems: impl IntoIterator<Item = &'a Problem>) -> Vec<InputError> {
        let mut out = Vec::new();
        let mut shown: std::collections::HashMap<Option<String>, (usize, bool)> = Default::default();
        let mut more: Vec<(InputError, usize)> = Vec::new();
        for p in problems {
            let conflict = crate::diag::merge_conflict(p);
            let error = InputError::new(conflict.as_ref().unwrap_or(p));
            let (count, in_conflict) = shown.entry(error.file.clone()).or_default();
            if error.file.is_some() && (*count >= human::MAX_PROBLEMS_PER_FILE || *in_conflict) {
                match more.iter_mut().find(|(e, _)| e.file == error.file) {
                    Some((_, n)) => *n += 1,
                    None => more.push((error, 1)),
                }
                continue;
            }
            *count += 1;
            *in_conflict = conflict.is_some();
            out.push(error);
        }
        for (first, n) in more {
            let what = if n == 1 { "problem" } else { "problems" };
            out.push(InputError {
                message: format!("… and {n} more {what} in this file"),
                line: None,
                column: None,
                end_line: None,
                end_column: None,
                help: None,
                ..first
            });
        }
        out
    }

    fn new(p: &Problem) -> InputError {
        let file = p.file.as_deref();
        let at = |offset: usize| file.map(|f| f.line_col(offset));
        let (start, end) = match p.primary_span() {
            Some(span) => (at(span.start), at(span.end.max(span.start))),
            None => (None, None),
        };
        InputError {
            code: p.code.clone(),
            level: p.level,
            message: p.message.clone(),
            file: file.map(|f| f.name.clone()),
            line: start.map(|(l, _)| l),
            column: start.map(|(_, c)| c),
            end_line: end.map(|(l, _)| l),
            end_column: end.map(|(_, c)| c),
            help: p.help.clone(),
        }
    }

    /// `file:line:col`, `file`, or nothing, as far as the problem is located.
    pub fn location(&self) -> Option<String> {
        let file = self.file.as_deref()?;
        Some(match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
            _ => file.to_string(),
        })
    }
}

/// 64-bit FNV-1a: a stable, dependency-free hash for fingerprints.
pub(crate) fn fnv(text: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

pub use github::github;
pub use gitlab::gitlab;
pub use json::json;
pub use junit::junit;
pub use markdown::{MARKDOWN_LIMIT, Summary, markdown};
pub use sarif::sarif;
pub use short::short;

/// The text `backlint explain` prints, its prose wrapped at `width` columns. A terminal shows
/// Markdown's backticks literally, so prose drops them; the example is code and stays as written.
pub fn explanation_text(rule: &crate::policy::ir::CompiledRule, width: usize) -> String {
    let mut s = format!("{} ({} · {} by default)\n\n{}\n", rule.name, rule.group, severities(rule), rule.summary);
    if let Some(e) = &rule.explanation {
        for (title, body) in [("What it checks", &e.what), ("Why it matters", &e.why), ("How to fix it", &e.fix)] {
            if !body.is_empty() {
                s += &format!("\n{title}\n{}\n", crate::text::wrap(&body.replace('`', ""), width, "    "));
            }
        }
        if !e.example.is_empty() {
            s += &format!("\nExample\n{}\n", indent(&e.example));
        }
    }
    if !rule.options.is_empty() {
        s += "\nOptions (change them with `configure`)\n";
        for (name, value) in &rule.options {
            s += &format!("    {name} = {}\n", value.describe());
        }
    }
    s.trim_end().to_string()
}

/// The severities a rule reports, lowest first (`warning/error` for a rule whose near-horizon check
/// is an error); `off` when it is disabled.
pub fn severities(rule: &crate::policy::ir::CompiledRule) -> String {
    let mut levels: Vec<crate::diag::Level> =
        rule.checks.iter().filter(|c| !c.notice).map(|c| c.severity.unwrap_or(rule.severity)).collect();
    if levels.is_empty() {
        levels.push(rule.severity);
    }
    levels.sort();
    levels.dedup();
    levels.iter().map(|l| l.as_str()).collect::<Vec<_>>().join("/")
}

fn indent(text: &str) -> String {
    text.lines().map(|l| if l.is_empty() { String::new() } else { format!("    {l}") }).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{SourceFile, Span};

    #[test]
    fn input_errors_are_listed_as_the_human_output_lists_them_and_escaped_everywhere() {
        let file = SourceFile::new("evil\u{1b}[2J.yaml", "items:\n  - id: A\u{7}\n");
        let problem = |n: usize| {
            Problem::error("I0001", format!("bad\u{1b}[31m {n}\nnext")).in_file(&file).label(Span::new(9, 13), "here")
        };
        let problems: Vec<Problem> = (0..53).map(problem).collect();
        let errors = InputError::list(&problems);
        assert_eq!(errors.len(), human::MAX_PROBLEMS_PER_FILE + 1);
        let last = errors.last().unwrap();
        assert_eq!((last.message.as_str(), last.line), ("… and 3 more problems in this file", None));
        assert_eq!((errors[0].line, errors[0].column), (Some(2), Some(3)));
        let visible = |text: &str| !text.chars().any(|c| c.is_control() && c != '\n');
        for text in [short(&[], &errors), github(&[], &errors), junit(&[], &errors)] {
            assert!(visible(&text), "{text:?}");
        }
        assert!(short(&[], &errors).starts_with("evil\\u{1b}[2J.yaml:2:3: error[I0001] bad\\u{1b}[31m 0\\nnext\n"));
    }
}
