//! `--format short`: one line per finding, `file:line:col: level[rule] message`.

use super::{Checked, InputError};
use crate::escape;

/// Input and policy problems first (`file:line:col: error[I0001] …`, as far as they are located),
/// then set-up notices, then the findings.
pub fn short(checked: &[Checked], errors: &[InputError]) -> String {
    let errors = errors.iter().map(|e| {
        let at = e.location().map_or(String::new(), |l| format!("{}: ", escape::visible_line(&l)));
        format!("{at}{}[{}] {}\n", e.level, escape::visible_line(&e.code), escape::visible_line(&e.message))
    });
    let notices = checked.iter().flat_map(|c| &c.notices).map(|r| {
        format!(
            "{}: notice[{}] {}\n",
            escape::visible_line(&r.file),
            escape::visible_line(&r.rule),
            escape::visible_line(&r.message)
        )
    });
    errors
        .chain(notices)
        .chain(checked.iter().flat_map(|c| &c.rows).map(|r| {
            // One finding per line, whatever the file is called or the message quotes.
            let (file, message) = (escape::visible_line(&r.file), escape::visible_line(&r.message));
            format!("{file}:{}:{}: {}[{}] {message}\n", r.line, r.column, r.level, escape::visible_line(&r.rule))
        }))
        .collect()
}
