//! `--format gitlab`: a GitLab Code Quality report (the Code Climate issue subset GitLab reads from
//! `artifacts:reports:codequality`), shaped as ruff writes it: `check_name` the rule, a description
//! that starts with it (GitLab shows no other field for it), a fingerprint per issue, and the path
//! with the positions where the finding begins and ends.

use super::{Checked, InputError, fnv};
use crate::diag::Level;
use serde_json::{Value, json};
use std::collections::HashSet;

/// GitLab's severities: info, minor, major, critical, blocker. A rule's error is major, as ruff's
/// findings are; a file that could not be read hides everything in it, so it blocks.
fn severity(level: Level) -> &'static str {
    match level {
        Level::Info => "info",
        Level::Warning => "minor",
        Level::Error => "major",
    }
}

/// The report; `path` turns a file as the other formats name it into a path relative to the
/// project's root (GitLab links `location.path` into the repository).
pub fn gitlab(checked: &[Checked], errors: &[InputError], path: &dyn Fn(&str) -> String) -> String {
    let mut issues: Vec<Value> = Vec::new();
    // Fingerprints key on what the finding is about, never on lines, so that an edit elsewhere in
    // the backlog keeps them; a repeat of the same key takes the next free one.
    let mut used: HashSet<String> = HashSet::new();
    let mut fingerprint = |key: String| {
        let mut salt = 0usize;
        loop {
            let print = fnv(&format!("{key}\u{0}{salt}"));
            if used.insert(print.clone()) {
                return print;
            }
            salt += 1;
        }
    };
    for e in errors {
        let file = e.file.as_deref().map_or_else(|| ".".to_string(), path);
        let begin = e.line.unwrap_or(1);
        let location = match (e.line, e.column) {
            (Some(line), Some(column)) => json!({
                "path": file,
                "positions": {
                    "begin": { "line": line, "column": column },
                    "end": { "line": e.end_line.unwrap_or(line), "column": e.end_column.unwrap_or(column) },
                },
            }),
            _ => json!({ "path": file, "lines": { "begin": begin } }),
        };
        issues.push(json!({
            "check_name": e.code,
            "description": format!("{}: {}", e.code, e.message),
            "severity": if e.level == Level::Error { "blocker" } else { "info" },
            "fingerprint": fingerprint(format!("{}\u{0}{file}\u{0}{}", e.code, e.message)),
            "location": location,
        }));
    }
    for r in checked.iter().flat_map(|c| &c.rows) {
        let file = path(&r.file);
        let key = format!("{}\u{0}{file}\u{0}{}", r.rule, r.item.as_deref().unwrap_or_default());
        issues.push(json!({
            "check_name": r.rule,
            "description": format!("{}: {}", r.rule, r.message),
            "severity": severity(r.level),
            "fingerprint": fingerprint(key),
            "location": {
                "path": file,
                "positions": {
                    "begin": { "line": r.line, "column": r.column },
                    "end": { "line": r.end_line, "column": r.end_column },
                },
            },
        }));
    }
    serde_json::to_string_pretty(&issues).expect("JSON serialises") + "\n"
}
