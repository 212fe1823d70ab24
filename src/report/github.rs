//! `--format github`: GitHub Actions workflow commands, one annotation per finding.

use super::{Checked, InputError};
use crate::diag::Level;
use crate::escape;

/// Escaping of GitHub workflow commands: data, and property values (which also escape `:` and `,`).
/// Hidden characters are first written visibly, as in every log; a message keeps its line breaks
/// (as `%0A`, which GitHub shows as one annotation), a property is one line.
fn escape_data(s: &str) -> String {
    escape::visible(s).replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(&escape::visible_line(s)).replace(':', "%3A").replace(',', "%2C")
}

pub fn github(checked: &[Checked], errors: &[InputError]) -> String {
    let mut out = String::new();
    for e in errors {
        let command = match e.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Info => "notice",
        };
        let mut properties = Vec::new();
        if let Some(file) = &e.file {
            properties.push(format!("file={}", escape_property(file)));
            if let (Some(line), Some(col)) = (e.line, e.column) {
                properties.push(format!("line={line},col={col}"));
            }
        }
        properties.push(format!("title={}", escape_property(&format!("backlint {}", e.code))));
        let message = match &e.help {
            Some(h) => format!("{}\n{h}", e.message),
            None => e.message.clone(),
        };
        out += &format!("::{command} {}::{}\n", properties.join(","), escape_data(&message));
    }
    for r in checked.iter().flat_map(|c| &c.notices) {
        out += &format!(
            "::notice title={}::{}\n",
            escape_property(&format!("backlint set-up: {}", r.rule)),
            escape_data(&match &r.help {
                Some(h) => format!("{}\n{h}", r.message),
                None => r.message.clone(),
            })
        );
    }
    for r in checked.iter().flat_map(|c| &c.rows) {
        let command = match r.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Info => "notice",
        };
        out += &format!(
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            escape_property(&r.file),
            r.line,
            r.column,
            r.end_line,
            r.end_column,
            escape_property(&format!("backlint {}", r.rule)),
            escape_data(&r.message)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_escape_as_github_reads_them() {
        assert_eq!(escape_data("50%\r\nnext\u{1b}[2J"), "50%25\\r%0Anext\\u{1b}[2J");
        assert_eq!(escape_property("a:b,c\nd%"), "a%3Ab%2Cc\\nd%25");
    }
}
