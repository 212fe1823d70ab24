//! `--format short`: one line per finding, `file:line:col: level[rule] message`.

use super::Checked;
use crate::escape;

pub fn short(checked: &[Checked]) -> String {
    let notices = checked.iter().flat_map(|c| &c.notices).map(|r| {
        format!(
            "{}: notice[{}] {}\n",
            escape::visible_line(&r.file),
            escape::visible_line(&r.rule),
            escape::visible_line(&r.message)
        )
    });
    notices
        .chain(checked.iter().flat_map(|c| &c.rows).map(|r| {
            // One finding per line, whatever the file is called or the message quotes.
            let (file, message) = (escape::visible_line(&r.file), escape::visible_line(&r.message));
            format!("{file}:{}:{}: {}[{}] {message}\n", r.line, r.column, r.level, escape::visible_line(&r.rule))
        }))
        .collect()
}
