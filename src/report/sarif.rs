//! `--format sarif`: SARIF 2.1.0, through the schema-generated types of serde-sarif.

use super::{Checked, InputError, fnv};
use crate::diag::Level;
use crate::policy::ir::CompiledRule;
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

fn sarif_level(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Info => "note",
    }
}

pub fn sarif(checked: &[Checked], errors: &[InputError], rules: &BTreeMap<String, &CompiledRule>) -> String {
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
    // Results are the bulk of a large log: serialised from borrowed rows in the shape of SARIF's
    // `result` (the tests check it against the schema types), never as a JSON tree converted again.
    let mut results = Vec::new();
    for c in checked {
        // Fingerprints use the rule, file, item and the finding's rank among equal keys, never
        // line numbers, so edits elsewhere in the backlog keep them stable.
        let mut seen: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
        for r in &c.rows {
            let key = (r.rule.as_str(), r.file.as_str(), r.item.as_deref().unwrap_or_default());
            let n = seen.entry(key).or_default();
            *n += 1;
            results.push(SarifResult {
                rule_id: &r.rule,
                rule_index: ids.iter().position(|id| **id == r.rule),
                level: sarif_level(r.level),
                message: Text { text: &r.message },
                locations: [Location {
                    physical_location: PhysicalLocation {
                        artifact_location: ArtifactLocation { uri: &r.file },
                        region: Region {
                            start_line: r.line,
                            start_column: r.column,
                            end_line: r.end_line,
                            end_column: r.end_column.max(if r.end_line == r.line { r.column + 1 } else { 1 }),
                        },
                    },
                }],
                partial_fingerprints: Fingerprints {
                    backlint: fnv(&format!("{}\u{0}{}\u{0}{}\u{0}{}", key.0, key.1, key.2, n)),
                },
            });
        }
    }
    let driver = json!({
        "name": "backlint",
        "version": env!("CARGO_PKG_VERSION"),
        "informationUri": "https://github.com/backlint/backlint",
        "rules": descriptors,
    });
    // Going through the schema-generated types rejects a driver that is not SARIF 2.1.0 in shape.
    let driver: serde_sarif::sarif::ToolComponent =
        serde_json::from_value(driver).expect("the SARIF driver matches the schema types");
    // Set-up notices are about how the tool is configured for this backlog, not results.
    let notifications: Vec<serde_json::Value> = checked
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
    // Input and policy problems stopped part of the run: the tool's own notifications, not results.
    let failures: Vec<serde_json::Value> = errors
        .iter()
        .map(|e| {
            let mut n = json!({
                "descriptor": { "id": e.code },
                "level": sarif_level(e.level),
                "message": { "text": match &e.help { Some(h) => format!("{} ({h})", e.message), None => e.message.clone() } },
            });
            if let Some(file) = &e.file {
                let mut location = json!({ "physicalLocation": { "artifactLocation": { "uri": file } } });
                if let (Some(line), Some(column)) = (e.line, e.column) {
                    location["physicalLocation"]["region"] = json!({ "startLine": line, "startColumn": column });
                }
                n["locations"] = json!([location]);
            }
            n
        })
        .collect();
    let failed = errors.iter().any(|e| e.level == Level::Error);
    let invocation: serde_sarif::sarif::Invocation = serde_json::from_value(json!({
        "executionSuccessful": !failed,
        "toolConfigurationNotifications": notifications,
        "toolExecutionNotifications": failures,
    }))
    .expect("the SARIF invocation matches the schema types");
    let log = Log {
        schema: serde_sarif::sarif::SCHEMA_URL,
        version: "2.1.0",
        runs: [Run { tool: Tool { driver }, invocations: [invocation], results }],
    };
    serde_json::to_string_pretty(&log).expect("SARIF serialises") + "\n"
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
struct Run<'a> {
    tool: Tool,
    invocations: [serde_sarif::sarif::Invocation; 1],
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: serde_sarif::sarif::ToolComponent,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text<'a>,
    locations: [Location<'a>; 1],
    partial_fingerprints: Fingerprints,
}

#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    physical_location: PhysicalLocation<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation<'a> {
    artifact_location: ArtifactLocation<'a>,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation<'a> {
    uri: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "backlint/v1")]
    backlint: String,
}
