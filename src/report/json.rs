//! `--format json`: the findings and, once per rule, its explanation, in a versioned schema.

use super::{Checked, JSON_VERSION};
use crate::policy::ir::CompiledRule;
use serde_json::json;
use std::collections::BTreeMap;

fn explanation(rule: Option<&&CompiledRule>) -> String {
    rule.and_then(|r| r.explanation.as_ref())
        .map_or_else(String::new, |e| format!("{}\n\n{}\n\n{}", e.what, e.why, e.fix))
}

pub fn json(checked: &[Checked], rules: &BTreeMap<String, &CompiledRule>) -> String {
    #[derive(serde::Serialize)]
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
        explanation: &'a str,
    }
    // Serialised straight from borrowed rows (no intermediate JSON tree), each explanation built once.
    let explanations: BTreeMap<&str, String> =
        rules.iter().map(|(name, rule)| (name.as_str(), explanation(Some(rule)))).collect();
    let findings: Vec<Finding> = checked
        .iter()
        .flat_map(|c| &c.rows)
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
            explanation: explanations.get(r.rule.as_str()).map_or("", String::as_str),
        })
        .collect();
    let counts = crate::report::human::count(checked.iter().flat_map(|c| c.rows.iter().map(|r| r.level)));
    // Set-up notices: beside the findings, never counted among them.
    let notices: Vec<serde_json::Value> = checked
        .iter()
        .flat_map(|c| &c.notices)
        .map(|r| {
            json!({
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
    let doc = json!({
        "version": JSON_VERSION,
        "tool": { "name": "backlint", "version": env!("CARGO_PKG_VERSION") },
        "summary": { "backlogs": checked.len(), "errors": counts[0], "warnings": counts[1], "infos": counts[2] },
        "notices": notices,
        "findings": [],
    });
    // The small header goes through the JSON tree; the findings are spliced into its empty list.
    let header = serde_json::to_string_pretty(&doc).expect("JSON values serialise");
    if findings.is_empty() {
        return header + "\n";
    }
    let mut body = serde_json::to_string_pretty(&findings).expect("findings serialise");
    body = body.replace("\n", "\n  ");
    header.replacen("\"findings\": []", &format!("\"findings\": {body}"), 1) + "\n"
}
