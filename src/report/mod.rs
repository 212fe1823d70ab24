//! Reporters: every way findings are shown. `human` (rustc-style diagnostics), one file per machine
//! format (json, sarif, github, junit, short, markdown), and the HTML report (`html`, `charts`,
//! `figures`). Reporters read findings and the model; they never import the CLI or the pipeline.

pub mod charts;
pub mod figures;
pub mod github;
pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod short;

use crate::diag::Level;
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

pub use github::github;
pub use json::json;
pub use junit::junit;
pub use markdown::{MARKDOWN_LIMIT, Summary, markdown};
pub use sarif::sarif;
pub use short::short;

/// The text `backlint explain` prints.
pub fn explanation_text(rule: &crate::policy::ir::CompiledRule) -> String {
    let mut s = format!("{} ({} · {} by default)\n\n{}\n", rule.name, rule.group, rule.severity, rule.summary);
    if let Some(e) = &rule.explanation {
        for (title, body) in [
            ("What it checks", &e.what),
            ("Why it matters", &e.why),
            ("How to fix it", &e.fix),
            ("Example", &e.example),
        ] {
            if !body.is_empty() {
                s += &format!("\n{title}\n{}\n", indent(body));
            }
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

fn indent(text: &str) -> String {
    text.lines().map(|l| if l.is_empty() { String::new() } else { format!("    {l}") }).collect::<Vec<_>>().join("\n")
}
