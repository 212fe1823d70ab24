//! Where a command's output goes, and the exit codes.

use super::args::ColorChoice;
use crate::analysis::Message;
use crate::diag::Problem;
use crate::report::human::{self, Style};
use std::io::Write;

pub const EXIT_CLEAN: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

/// Where output goes; findings go to stdout, problems that stop the run to stderr. Writes to `out`
/// may ignore errors: `main` sees the first one and makes the run exit 2.
pub struct Ui<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    pub out_style: Style,
    pub err_style: Style,
    /// `--color` as given: `always` colours a file written with --output too.
    pub color: ColorChoice,
}

/// Whether a stream is coloured: `--color always|never` decides; else `FORCE_COLOR` or
/// `CLICOLOR_FORCE` (set and not `0`: CI systems set them because their logs show colour but are
/// not terminals) turn it on, `NO_COLOR` turns it off, and otherwise a terminal has colour.
pub fn use_color(choice: ColorChoice, is_terminal: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if set("FORCE_COLOR") || set("CLICOLOR_FORCE") => true,
        ColorChoice::Auto => is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

impl Ui<'_> {
    pub fn problem(&mut self, p: &Problem) {
        let _ = write!(self.err, "{}", human::render(p, self.err_style));
    }
    /// Several problems, at most a bounded number per file.
    pub fn problems(&mut self, problems: &[Problem]) {
        let _ = write!(self.err, "{}", human::problems(problems, self.err_style));
    }
    /// Text for people: names, values and notes from files and git are shown with hidden characters
    /// escaped, as everywhere a terminal reads them.
    pub fn say(&mut self, text: &str) {
        let _ = writeln!(self.out, "{}", crate::escape::visible(text));
    }
    /// A remark beside the results (standard error, so machine formats stay parseable).
    pub fn note(&mut self, text: &str) {
        let _ = writeln!(self.err, "{}", crate::escape::visible_line(text));
    }
    /// The analysis's problems and notes, in the order they arose.
    pub fn messages(&mut self, messages: &[Message]) {
        for m in messages {
            match m {
                Message::Problems(problems) => self.problems(problems),
                Message::Note(note) => self.note(note),
            }
        }
    }
}

pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
