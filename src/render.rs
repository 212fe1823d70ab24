//! Human output: miette's graphical report, plain when not writing to a terminal.

use crate::diag::{Level, Problem};
use miette::{GraphicalReportHandler, GraphicalTheme, ThemeCharacters, ThemeStyles};

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
    let mut out = String::new();
    if handler.render_report(&mut out, problem).is_err() {
        // A span outside the text would be our bug; still show the message rather than nothing.
        out = format!("{}: {}\n", problem.code, problem.message);
    }
    out
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
