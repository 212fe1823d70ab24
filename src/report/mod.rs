//! Machine-readable outputs of `check`: json (versioned schema), sarif (2.1.0, through the
//! schema-generated types of serde-sarif), github (workflow commands), junit (quick-junit), short,
//! and markdown (a summary with the health figures for pull requests).

pub mod charts;
pub mod figures;
pub mod html;
pub mod human;

use crate::diag::Level;
use crate::engine::Finding;
use crate::escape;
use crate::model::Backlog;
use crate::policy::ir::CompiledRule;
use serde_json::json;
use std::collections::BTreeMap;

/// Version of the JSON output schema; bumped on any incompatible change.
pub const JSON_VERSION: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
    Junit,
    Short,
    /// A compact summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`
    Markdown,
}

/// One finding with everything every format needs, positions 1-based.
#[derive(Clone, Debug)]
pub struct Row {
    pub rule: String,
    pub level: Level,
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub item: Option<String>,
    pub help: Option<String>,
}

impl Row {
    pub fn new(backlog: &Backlog, f: &Finding) -> Row {
        let file = &backlog.files[f.file];
        let (line, column) = file.line_col(f.span.start);
        let (end_line, end_column) = file.line_col(f.span.end.max(f.span.start));
        Row {
            rule: f.rule.clone(),
            level: f.level,
            message: f.message.clone(),
            file: file.name.clone(),
            line,
            column,
            end_line,
            end_column,
            item: f.subject.clone(),
            help: f.help.clone(),
        }
    }
}

/// The findings of one backlog.
pub struct Checked {
    /// How the backlog is named: its file, or its folder for Backlog.md.
    pub name: String,
    pub rows: Vec<Row>,
}

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
    let doc = json!({
        "version": JSON_VERSION,
        "tool": { "name": "backlint", "version": env!("CARGO_PKG_VERSION") },
        "summary": { "backlogs": checked.len(), "errors": counts[0], "warnings": counts[1], "infos": counts[2] },
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
            "results": results,
        }],
    });
    // Going through the schema-generated types rejects anything that is not SARIF 2.1.0 in shape.
    let typed: serde_sarif::sarif::Sarif = serde_json::from_value(log).expect("the SARIF log matches the schema types");
    serde_json::to_string_pretty(&typed).expect("SARIF serialises") + "\n"
}

/// Escaping of GitHub workflow commands: data, and property values (which also escape `:` and `,`).
/// Hidden characters are first written visibly, as in every log; a message keeps its line breaks
/// (as `%0A`, which GitHub shows as one annotation), a property is one line.
fn escape_data(s: &str) -> String {
    escape::visible(s).replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(&escape::visible_line(s)).replace(':', "%3A").replace(',', "%2C")
}

pub fn github(checked: &[Checked]) -> String {
    let mut out = String::new();
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

pub fn short(checked: &[Checked]) -> String {
    checked
        .iter()
        .flat_map(|c| &c.rows)
        .map(|r| {
            // One finding per line, whatever the file is called or the message quotes.
            let (file, message) = (escape::visible_line(&r.file), escape::visible_line(&r.message));
            format!("{file}:{}:{}: {}[{}] {message}\n", r.line, r.column, r.level, escape::visible_line(&r.rule))
        })
        .collect()
}

/// One test suite per backlog, one failing test case per rule and item (its findings as the failure).
pub fn junit(checked: &[Checked]) -> String {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("backlint");
    for c in checked {
        let mut suite = TestSuite::new(escape::visible_line(&c.name));
        let mut cases: BTreeMap<(String, String), Vec<&Row>> = BTreeMap::new();
        for r in &c.rows {
            cases.entry((r.rule.clone(), r.item.clone().unwrap_or_default())).or_default().push(r);
        }
        for ((rule, item), rows) in &cases {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            // quick-junit drops what XML cannot hold; escaping first keeps it visible instead.
            status.set_message(escape::visible_line(&rows[0].message));
            status.set_type(rows[0].level.as_str());
            let details: Vec<String> = rows
                .iter()
                .map(|r| format!("{}:{}:{}: {}", r.file, r.line, r.column, r.message))
                .map(|line| escape::visible_line(&line).into_owned())
                .collect();
            status.set_description(details.join("\n"));
            let name = escape::visible_line(&if item.is_empty() { rule.clone() } else { format!("{rule} on {item}") })
                .into_owned();
            let mut case = TestCase::new(name, status);
            case.set_classname(format!("backlint.{rule}"));
            suite.add_test_case(case);
        }
        if cases.is_empty() {
            let mut case = TestCase::new("backlog passes every rule", TestCaseStatus::success());
            case.set_classname("backlint");
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    report.to_string().expect("JUnit XML serialises")
}

/// What the Markdown summary needs of one backlog besides its findings.
pub struct Summary {
    pub name: String,
    pub figures: crate::report::figures::Figures,
    /// The figures at an earlier revision, for `report --compare`.
    pub compare: Option<(String, crate::report::figures::Figures)>,
}

/// GitHub rejects comments above 65,536 characters; stay well below.
pub const MARKDOWN_LIMIT: usize = 60_000;

/// Escapes text from backlogs, policies, file names and git for a Markdown table cell or line: no
/// HTML, images, links or table breaks, hidden characters written visibly, and no `@mention` or
/// `#123` reference that would notify people or link issues. GitHub ignores a backslash before `@`
/// or `#` (and entities like `&#64;`) when it looks for mentions; an empty HTML comment after the
/// sign splits the text it searches, and does not show.
pub fn md_text(text: &str) -> String {
    let text = escape::visible(text);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '!' | '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '@' => out.push_str("@<!-- -->"),
            '#' if chars.peek().is_some_and(char::is_ascii_digit) => out.push_str("\\#<!-- -->"),
            '#' => out.push_str("\\#"),
            '\n' | '\t' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

fn change(now: Option<u32>, then: Option<u32>) -> String {
    match (now, then) {
        (Some(n), Some(t)) if n > t => format!(" (▲ {} from {t}%)", n - t),
        (Some(n), Some(t)) if n < t => format!(" (▼ {} from {t}%)", t - n),
        (Some(_), Some(_)) => " (unchanged)".into(),
        _ => String::new(),
    }
}

/// The summary: figures, findings per rule, and the items with the most findings.
pub fn markdown(summaries: &[Summary], checked: &[Checked], rules: &BTreeMap<String, &CompiledRule>) -> String {
    let mut out = String::from("## Backlog health (backlint)\n\n");
    let total: usize = checked.iter().map(|c| c.rows.len()).sum();
    let count = |level: Level| checked.iter().flat_map(|c| &c.rows).filter(|r| r.level == level).count();
    out += &format!(
        "**{} errors, {} warnings, {} infos** in {} backlog{}\n\n",
        count(Level::Error),
        count(Level::Warning),
        count(Level::Info),
        checked.len(),
        if checked.len() == 1 { "" } else { "s" }
    );
    if !summaries.is_empty() {
        let compared = summaries.iter().find_map(|s| s.compare.as_ref().map(|(rev, _)| rev.clone()));
        out += "| backlog | readiness (near items ready) | clarity (clear title and goal) | ordering stability |\n|---|---|---|---|\n";
        for s in summaries {
            let then = s.compare.as_ref().map(|(_, f)| f);
            let f = &s.figures;
            out += &format!(
                "| {} | {}{} | {}{} | {} |\n",
                md_text(&s.name),
                f.readiness.describe(),
                change(f.readiness.percent(), then.and_then(|t| t.readiness.percent())),
                f.clarity.describe(),
                change(f.clarity.percent(), then.and_then(|t| t.clarity.percent())),
                md_text(&f.stability.describe()),
            );
        }
        if let Some(rev) = compared {
            // A code span shows its text literally: only a backtick could end it early.
            out += &format!("\nChanges are against `{}`.\n", rev.replace('`', "'"));
        }
        out += "\n";
    }
    if total == 0 {
        out += "No findings.\n";
        return out;
    }
    let mut per_rule: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    for r in checked.iter().flat_map(|c| &c.rows) {
        per_rule.entry(&r.rule).or_default()[r.level as usize] += 1;
    }
    let mut per_rule: Vec<(&str, [usize; 3])> = per_rule.into_iter().collect();
    per_rule.sort_by(|a, b| b.1.iter().rev().cmp(a.1.iter().rev()).then(a.0.cmp(b.0)));
    out += "### Findings per rule\n\n| rule | findings | what it checks |\n|---|---:|---|\n";
    for (rule, n) in &per_rule {
        let summary = rules.get(*rule).map_or(String::new(), |r| md_text(&r.summary));
        out += &format!("| `{rule}` | {} | {summary} |\n", n.iter().sum::<usize>());
    }
    // Items with the most serious findings first: the ones worth fixing before the next planning.
    let mut items: BTreeMap<(&str, &str), (usize, usize, Vec<&str>)> = BTreeMap::new();
    for c in checked {
        for r in c.rows.iter().filter(|r| r.item.is_some()) {
            let e = items.entry((c.name.as_str(), r.item.as_deref().unwrap_or(""))).or_default();
            e.0 += usize::from(r.level == Level::Error);
            e.1 += 1;
            if !e.2.contains(&r.rule.as_str()) {
                e.2.push(&r.rule);
            }
        }
    }
    let mut items: Vec<_> = items.into_iter().collect();
    items.sort_by(|a, b| (b.1.0, b.1.1).cmp(&(a.1.0, a.1.1)).then(a.0.cmp(&b.0)));
    if !items.is_empty() {
        out += "\n### Top items to fix\n\n| item | backlog | errors | findings | rules |\n|---|---|---:|---:|---|\n";
        let footer = "\nRun `backlint explain RULE` for why a rule matters and how to fix it.\n";
        for (shown, ((name, item), (errors, n, rules))) in items.iter().enumerate() {
            let rules: Vec<String> = rules.iter().map(|r| format!("`{r}`")).collect();
            let line = format!("| {} | {} | {errors} | {n} | {} |\n", md_text(item), md_text(name), rules.join(" "));
            if shown == 10 || out.len() + line.len() + footer.len() + 64 > MARKDOWN_LIMIT {
                out += &format!("\n…and {} more items with findings.\n", items.len() - shown);
                break;
            }
            out += &line;
        }
        out += footer;
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

    #[test]
    fn markdown_text_cannot_mention_link_load_or_break_a_table() {
        assert_eq!(md_text("@dana #12 a|b"), "@<!-- -->dana \\#<!-- -->12 a\\|b");
        assert_eq!(md_text("![x](http://e/) <img src=x>"), "\\!\\[x\\](http://e/) \\<img src=x\\>");
        assert_eq!(md_text("a\u{202e}b\nc"), "a\\\\u{202e}b c");
    }
}
