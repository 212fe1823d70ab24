//! One diagnostic type for everything backlint reports: input errors, policy errors and findings.

use crate::text::{SourceFile, Span};
use miette::{Diagnostic, LabeledSpan, Severity};
use std::fmt;

/// How serious a finding is. Ordered so that `Info < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Info,
    Warning,
    Error,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "error" => Some(Level::Error),
            "warning" => Some(Level::Warning),
            "info" => Some(Level::Info),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Info => "info",
        }
    }
    fn miette(self) -> Severity {
        match self {
            Level::Error => Severity::Error,
            Level::Warning => Severity::Warning,
            Level::Info => Severity::Advice,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A located message. `code` is a stable error code (`P0003`) or a rule name.
#[derive(Clone, Debug)]
pub struct Problem {
    pub code: String,
    pub level: Level,
    pub message: String,
    /// Boxed: a `Problem` travels in `Result`s, and the source file is the bulk of it.
    pub file: Option<Box<SourceFile>>,
    /// The first label is the primary one.
    pub labels: Vec<(Span, Option<String>)>,
    pub help: Option<String>,
}

impl Problem {
    pub fn error(code: &str, message: impl Into<String>) -> Self {
        Problem {
            code: code.to_string(),
            level: Level::Error,
            message: message.into(),
            file: None,
            labels: Vec::new(),
            help: None,
        }
    }
    pub fn in_file(mut self, file: &SourceFile) -> Self {
        self.file = Some(Box::new(file.clone()));
        self
    }
    pub fn label(mut self, span: Span, text: impl Into<String>) -> Self {
        let text = text.into();
        self.labels.push((span, (!text.is_empty()).then_some(text)));
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn primary_span(&self) -> Option<Span> {
        self.labels.first().map(|(s, _)| *s)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Problem {}

impl Diagnostic for Problem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<Severity> {
        Some(self.level.miette())
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.file.as_ref().map(|f| f.named() as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.file.as_ref()?;
        Some(Box::new(self.labels.iter().enumerate().map(|(i, (span, text))| {
            if i == 0 {
                LabeledSpan::new_primary_with_span(text.clone(), *span)
            } else {
                LabeledSpan::new_with_span(text.clone(), *span)
            }
        })))
    }
}

/// The closest candidate to a misspelt name, if any is close enough to be a likely typo.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, c)| *score >= 0.85 || strsim::levenshtein(name, c) <= name.len().min(c.len()) / 4)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// A file that fails to read and still holds merge-conflict markers is almost always the result of
/// an unfinished merge: the problem names the conflict, at its markers, instead of the syntax
/// error it caused. `None` for findings, and for files without a `<<<<<<<` or `>>>>>>>` line.
pub fn merge_conflict(p: &Problem) -> Option<Problem> {
    let is_input_problem = |code: &str| {
        code.len() == 5 && matches!(code.as_bytes()[0], b'I' | b'P') && code[1..].bytes().all(|b| b.is_ascii_digit())
    };
    let file = p.file.as_deref()?;
    if p.level != Level::Error || !is_input_problem(&p.code) {
        return None;
    }
    let text: &str = &file.text;
    let marker =
        |line: &str, sign: &str| line.strip_prefix(sign).is_some_and(|rest| rest.is_empty() || rest.starts_with(' '));
    let mut markers: Vec<(Span, &str)> = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let label = if marker(content, "<<<<<<<") {
            Some("the conflict starts here")
        } else if content == "=======" && !markers.is_empty() {
            Some("")
        } else if marker(content, ">>>>>>>") {
            Some("and ends here")
        } else {
            None
        };
        if let Some(label) = label {
            markers.push((Span::new(at, at + content.len()), label));
        }
        at += line.len();
    }
    if !markers.iter().any(|(_, l)| !l.is_empty()) {
        return None;
    }
    let mut conflict = Problem::error(&p.code, format!("unresolved merge conflict in `{}`", file.name)).in_file(file);
    conflict.level = p.level;
    // The first conflict is enough to point at; later ones are alike.
    let end = markers.iter().position(|(_, l)| *l == "and ends here").map_or(markers.len(), |i| i + 1);
    for (span, label) in &markers[..end.min(3)] {
        conflict = conflict.label(*span, *label);
    }
    Some(conflict.help(format!(
        "keep the lines you want and delete the `<<<<<<<`, `=======` and `>>>>>>>` lines, then check again (it fails with: {})",
        p.message
    )))
}
