//! `--format json`: the findings, and once per rule that has findings its severity, summary and
//! explanation, in a versioned schema (see the README). Version 2 moved each finding's
//! `explanation` into the `rules` table, so the output grows with the findings, not with findings ×
//! explanation (about 1.3 KB each).

use super::{Checked, InputError, JSON_VERSION};
use crate::policy::ir::CompiledRule;
use serde::Serialize;
use std::collections::BTreeMap;

fn explanation(rule: &CompiledRule) -> String {
    rule.explanation.as_ref().map_or_else(String::new, |e| format!("{}\n\n{}\n\n{}", e.what, e.why, e.fix))
}

#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    tool: Tool,
    summary: Summary,
    /// Input and policy problems: a backlog or policy that could not be read (the run exits 2).
    errors: Vec<serde_json::Value>,
    /// Keyed by rule name: every rule a finding names, once.
    rules: BTreeMap<&'a str, Rule<'a>>,
    /// Set-up notices: beside the findings, never counted among them.
    notices: Vec<serde_json::Value>,
    findings: Vec<Finding<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary {
    backlogs: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
}

#[derive(Serialize)]
struct Rule<'a> {
    group: &'a str,
    severity: &'a str,
    summary: &'a str,
    explanation: String,
}

#[derive(Serialize)]
struct Finding<'a> {
    rule: &'a str,
    severity: &'a str,
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    item: Option<&'a str>,
    help: Option<&'a str>,
}

pub fn json(checked: &[Checked], errors: &[InputError], rules: &BTreeMap<String, &CompiledRule>) -> String {
    let rows = || checked.iter().flat_map(|c| &c.rows);
    // Serialised straight from borrowed rows (no intermediate JSON tree) into one buffer.
    let findings: Vec<Finding> = rows()
        .map(|r| Finding {
            rule: &r.rule,
            severity: r.level.as_str(),
            message: &r.message,
            file: &r.file,
            line: r.line,
            column: r.column,
            end_line: r.end_line,
            end_column: r.end_column,
            item: r.item.as_deref(),
            help: r.help.as_deref(),
        })
        .collect();
    let mut table = BTreeMap::new();
    for f in &findings {
        if !table.contains_key(f.rule)
            && let Some((name, rule)) = rules.get_key_value(f.rule)
        {
            let entry = Rule {
                group: &rule.group,
                severity: rule.severity.as_str(),
                summary: &rule.summary,
                explanation: explanation(rule),
            };
            table.insert(name.as_str(), entry);
        }
    }
    let counts = crate::report::human::count(rows().map(|r| r.level));
    let notices = checked
        .iter()
        .flat_map(|c| &c.notices)
        .map(|r| {
            serde_json::json!({
                "rule": r.rule,
                "concept": r.label,
                "message": r.message,
                "file": r.file,
                "line": r.line,
                "column": r.column,
                "help": r.help,
            })
        })
        .collect();
    let errors = errors
        .iter()
        .map(|e| {
            serde_json::json!({
                "code": e.code,
                "severity": e.level.as_str(),
                "message": e.message,
                "file": e.file,
                "line": e.line,
                "column": e.column,
                "end_line": e.end_line,
                "end_column": e.end_column,
                "help": e.help,
            })
        })
        .collect();
    let doc = Doc {
        version: JSON_VERSION,
        tool: Tool { name: "backlint", version: env!("CARGO_PKG_VERSION") },
        summary: Summary { backlogs: checked.len(), errors: counts[0], warnings: counts[1], infos: counts[2] },
        errors,
        rules: table,
        notices,
        findings,
    };
    serde_json::to_string_pretty(&doc).expect("JSON serialises") + "\n"
}
