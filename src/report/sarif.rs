//! `--format sarif`: SARIF 2.1.0, through the schema-generated types of serde-sarif.

use super::Checked;
use crate::diag::Level;
use crate::policy::ir::CompiledRule;
use serde_json::json;
use std::collections::BTreeMap;

/// 64-bit FNV-1a: a stable, dependency-free hash for fingerprints.
fn fnv(text: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

fn sarif_level(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Info => "note",
    }
}

pub fn sarif(checked: &[Checked], rules: &BTreeMap<String, &CompiledRule>) -> String {
    let ids: Vec<&String> = rules.keys().collect();
    let descriptors: Vec<_> = rules
        .values()
        .map(|r| {
            let e = r.explanation.clone().unwrap_or_default();
            let full = if e.what.is_empty() { r.summary.clone() } else { e.what.clone() };
            let help = format!(
                "{}\n\nWhy it matters: {}\n\nHow to fix it: {}",
                r.help.clone().unwrap_or_default(),
                e.why,
                e.fix
            );
            let markdown = format!(
                "{}\n\n**Why it matters.** {}\n\n**How to fix it.** {}\n\n**Example**\n\n```yaml\n{}\n```",
                r.help.clone().unwrap_or_default(),
                e.why,
                e.fix,
                e.example
            );
            json!({
                "id": r.name,
                "name": r.name,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": full },
                "help": { "text": help.trim(), "markdown": markdown.trim() },
                "defaultConfiguration": { "level": sarif_level(r.severity) },
                "properties": { "tags": [r.group] },
            })
        })
        .collect();
    let mut results = Vec::new();
    for c in checked {
        // Fingerprints use the rule, file, item and the finding's rank among equal keys, never
        // line numbers, so edits elsewhere in the backlog keep them stable.
        let mut seen: BTreeMap<(String, String, String), usize> = BTreeMap::new();
        for r in &c.rows {
            let key = (r.rule.clone(), r.file.clone(), r.item.clone().unwrap_or_default());
            let n = seen.entry(key.clone()).or_default();
            *n += 1;
            let mut result = json!({
                "ruleId": r.rule,
                "level": sarif_level(r.level),
                "message": { "text": r.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": r.file },
                        "region": {
                            "startLine": r.line,
                            "startColumn": r.column,
                            "endLine": r.end_line,
                            "endColumn": r.end_column.max(if r.end_line == r.line { r.column + 1 } else { 1 }),
                        }
                    }
                }],
                "partialFingerprints": { "backlint/v1": fnv(&format!("{}\u{0}{}\u{0}{}\u{0}{}", key.0, key.1, key.2, n)) },
            });
            if let Some(index) = ids.iter().position(|id| **id == r.rule) {
                result["ruleIndex"] = json!(index);
            }
            results.push(result);
        }
    }
    // Set-up notices are about how the tool is configured for this backlog, not results.
    let notifications: Vec<_> = checked
        .iter()
        .flat_map(|c| &c.notices)
        .map(|r| {
            json!({
                "descriptor": { "id": r.rule },
                "level": "note",
                "message": { "text": match &r.help { Some(h) => format!("{} ({h})", r.message), None => r.message.clone() } },
                "locations": [{ "physicalLocation": { "artifactLocation": { "uri": r.file } } }],
            })
        })
        .collect();
    let log = json!({
        "$schema": serde_sarif::sarif::SCHEMA_URL,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "backlint",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/backlint/backlint",
                "rules": descriptors,
            }},
            "invocations": [{
                "executionSuccessful": true,
                "toolConfigurationNotifications": notifications,
            }],
            "results": results,
        }],
    });
    // Going through the schema-generated types rejects anything that is not SARIF 2.1.0 in shape.
    let typed: serde_sarif::sarif::Sarif = serde_json::from_value(log).expect("the SARIF log matches the schema types");
    serde_json::to_string_pretty(&typed).expect("SARIF serialises") + "\n"
}
