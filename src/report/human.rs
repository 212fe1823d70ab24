//! Human output, rustc-style so that it reads in a CI log: a header with the severity word and the
//! rule or code (`warning[near-item-too-large]: …`), then miette's snippet and help, and a blank
//! line after each diagnostic. Colour and Unicode when asked for; plain ASCII otherwise.

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
    /// Colour (and Unicode) as the caller decided (`--color`, the environment, a terminal), at the
    /// width `COLUMNS` gives, else 100.
    pub fn new(color: bool) -> Style {
        Style { color, width: terminal_width().unwrap_or(100) }
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
    let mut out = header(problem, style);
    let mut body = String::new();
    // miette renders the message too (after its severity sign); it is in the header already. The
    // body's first line is that message, emptied, and is dropped.
    if handler.render_report(&mut body, &Shown { problem, headless: true }).is_ok() {
        out += body.split_once('\n').map_or("", |(_, rest)| rest);
    }
    // A span outside the text would be our bug; the header still says what is wrong.
    out.push('\n');
    out
}

/// `warning[near-item-too-large]: message`, coloured as rustc colours it when colour is on.
fn header(problem: &Problem, style: Style) -> String {
    let word = problem.level.as_str();
    let code = escape::visible_line(&problem.code);
    let message = Shown { problem, headless: false }.to_string();
    if !style.color {
        return format!("{word}[{code}]: {message}\n");
    }
    let colour = match problem.level {
        Level::Error => "31",
        Level::Warning => "33",
        Level::Info => "36",
    };
    format!("\u{1b}[1;{colour}m{word}[{code}]\u{1b}[0m\u{1b}[1m: {message}\u{1b}[0m\n")
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
/// `headless` leaves out the code and message, which the header shows.
struct Shown<'a> {
    problem: &'a Problem,
    headless: bool,
}

/// The longest message shown; longer ones quote a huge value and end in "… (N more characters)".
const MAX_MESSAGE: usize = 1_000;

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.headless {
            return Ok(());
        }
        f.write_str(&escape::visible_line(&escape::shortened(&self.problem.message, MAX_MESSAGE)))
    }
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.problem, f)
    }
}

impl std::error::Error for Shown<'_> {}

impl Diagnostic for Shown<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        if self.headless {
            return None;
        }
        Some(Box::new(escape::visible_line(&self.problem.code)))
    }
    fn severity(&self) -> Option<miette::Severity> {
        self.problem.severity()
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let help = self.problem.help.as_deref()?;
        Some(Box::new(escape::visible(&escape::shortened(help, MAX_MESSAGE)).into_owned()))
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.problem.source_code()
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let file = self.problem.file.as_deref()?;
        Some(Box::new(self.problem.labels.iter().enumerate().map(move |(i, (span, text))| {
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
