//! Human output: miette's graphical report, plain when not writing to a terminal.

use crate::diag::{Level, Problem};
use crate::escape;
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, ThemeCharacters, ThemeStyles};
use std::fmt;

#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

impl Style {
    /// Colour and Unicode only on a terminal without `NO_COLOR`; plain ASCII otherwise.
    pub fn detect(is_terminal: bool) -> Style {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let width = terminal_width().unwrap_or(100);
        Style { color: is_terminal && !no_color, width }
    }
    /// What tests and snapshots use.
    pub fn plain(width: usize) -> Style {
        Style { color: false, width }
    }
}

fn terminal_width() -> Option<usize> {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).filter(|&w| w >= 40)
}

pub fn render(problem: &Problem, style: Style) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme { characters: ThemeCharacters::ascii(), styles: ThemeStyles::none() }
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(style.width).with_links(false);
    let conflict = crate::diag::merge_conflict(problem);
    let problem = conflict.as_ref().unwrap_or(problem);
    let mut out = String::new();
    if handler.render_report(&mut out, &Shown(problem)).is_err() {
        // A span outside the text would be our bug; still show the message rather than nothing.
        out = format!("{}: {}\n", escape::visible_line(&problem.code), Shown(problem));
    }
    out
}

/// Input problems printed for one file before "… and N more problems in FILE".
pub const MAX_PROBLEMS_PER_FILE: usize = 50;

/// Input or policy problems as printed: at most [`MAX_PROBLEMS_PER_FILE`] per file, then one line
/// saying how many more; a file with merge-conflict markers gets the one problem that names them.
pub fn problems(problems: &[Problem], style: Style) -> String {
    let mut out = String::new();
    let mut shown: std::collections::HashMap<Option<&str>, (usize, bool)> = Default::default();
    let mut more: Vec<(&str, usize)> = Vec::new();
    for p in problems {
        let file = p.file.as_deref().map(|f| f.name.as_str());
        let (count, conflict) = shown.entry(file).or_default();
        if file.is_some() && (*count >= MAX_PROBLEMS_PER_FILE || *conflict) {
            let name = file.unwrap_or_default();
            match more.iter_mut().find(|(n, _)| *n == name) {
                Some((_, n)) => *n += 1,
                None => more.push((name, 1)),
            }
            continue;
        }
        *count += 1;
        *conflict = crate::diag::merge_conflict(p).is_some();
        out += &render(p, style);
    }
    for (name, n) in more {
        let what = if n == 1 { "problem" } else { "problems" };
        out += &format!("… and {n} more {what} in {}\n", escape::visible_line(name));
    }
    out
}

/// What the human output shows of a problem: text from files, file names and git with hidden
/// characters written visibly, messages of bounded length, spans cut to what is worth quoting.
struct Shown<'a>(&'a Problem);

/// The longest message shown; longer ones quote a huge value and end in "… (N more characters)".
const MAX_MESSAGE: usize = 1_000;

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&escape::visible_line(&escape::shortened(&self.0.message, MAX_MESSAGE)))
    }
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl std::error::Error for Shown<'_> {}

impl Diagnostic for Shown<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(escape::visible_line(&self.0.code)))
    }
    fn severity(&self) -> Option<miette::Severity> {
        self.0.severity()
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let help = self.0.help.as_deref()?;
        Some(Box::new(escape::visible(&escape::shortened(help, MAX_MESSAGE)).into_owned()))
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.0.source_code()
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let file = self.0.file.as_deref()?;
        Some(Box::new(self.0.labels.iter().enumerate().map(move |(i, (span, text))| {
            let text = text.as_deref().map(|t| escape::visible_line(&escape::shortened(t, MAX_MESSAGE)).into_owned());
            let span = file.shown_span(*span);
            if i == 0 { LabeledSpan::new_primary_with_span(text, span) } else { LabeledSpan::new_with_span(text, span) }
        })))
    }
}

/// `2 errors, 3 warnings in 1 backlog`
pub fn summary(counts: [usize; 3], backlogs: usize) -> String {
    let [errors, warnings, infos] = counts;
    let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut parts = Vec::new();
    if errors > 0 {
        parts.push(plural(errors, "error", "errors"));
    }
    if warnings > 0 {
        parts.push(plural(warnings, "warning", "warnings"));
    }
    if infos > 0 {
        parts.push(plural(infos, "info", "infos"));
    }
    let what = if parts.is_empty() { "no findings".to_string() } else { parts.join(", ") };
    format!("{what} in {}", plural(backlogs, "backlog", "backlogs"))
}

/// A set-up notice: said once, before the findings, with how to declare what is missing.
pub fn notice(row: &super::Row, style: Style) -> String {
    let head = format!("notice[{}]", row.rule);
    let head = if style.color { format!("\u{1b}[1;36m{head}\u{1b}[0m") } else { head };
    let mut text = format!("{head}: {}\n", crate::escape::visible_line(&row.message));
    if let Some(help) = &row.help {
        text += &format!("  = help: {}\n", crate::escape::visible_line(help));
    }
    text
}

/// The concepts set-up notices name (their labels), for the summary line: "not declared: …".
pub fn undeclared<'a>(notices: impl Iterator<Item = &'a super::Row>) -> String {
    // Each concept once, in the order first said, however many backlogs lack it.
    let mut concepts: Vec<&str> = Vec::new();
    for concept in notices.filter_map(|r| r.label.as_deref()) {
        if !concepts.contains(&concept) {
            concepts.push(concept);
        }
    }
    if concepts.is_empty() { String::new() } else { format!("; not declared: {}", concepts.join(", ")) }
}

pub fn count(levels: impl Iterator<Item = Level>) -> [usize; 3] {
    let mut counts = [0; 3];
    for l in levels {
        counts[match l {
            Level::Error => 0,
            Level::Warning => 1,
            Level::Info => 2,
        }] += 1;
    }
    counts
}
