//! `--format markdown` and `report --format markdown`: a summary with the health figures for
//! pull-request comments.

use super::{Checked, InputError};
use crate::diag::Level;
use crate::escape;
use crate::policy::ir::CompiledRule;
use crate::text::counted;
use std::collections::BTreeMap;

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
pub fn markdown(
    summaries: &[Summary],
    checked: &[Checked],
    errors: &[InputError],
    rules: &BTreeMap<String, &CompiledRule>,
) -> String {
    let mut out = String::from("## Backlog health (backlint)\n\n");
    let total: usize = checked.iter().map(|c| c.rows.len()).sum();
    let count = |level: Level| checked.iter().flat_map(|c| &c.rows).filter(|r| r.level == level).count();
    out += &format!(
        "**{}, {}, {}** in {}\n\n",
        counted(count(Level::Error), "error"),
        counted(count(Level::Warning), "warning"),
        counted(count(Level::Info), "info"),
        counted(checked.len(), "backlog"),
    );
    if !errors.is_empty() {
        let failed = errors.iter().filter(|e| e.level == Level::Error).count();
        out += &match failed {
            0 => "**Input problems** (these do not fail the run):\n\n".to_string(),
            1 => "**1 input error**: the run failed (exit 2).\n\n".to_string(),
            n => format!("**{n} input errors**: the run failed (exit 2).\n\n"),
        };
        for e in errors {
            let at = e.location().map_or(String::new(), |l| format!("{}: ", md_text(&l)));
            let code = e.code.replace('`', "'");
            out += &format!("- {at}{} `{code}` {}\n", e.level, md_text(&e.message));
        }
        out += "\n";
    }
    let notices: Vec<&super::Row> = checked.iter().flat_map(|c| &c.notices).collect();
    if !notices.is_empty() {
        out += "**Set-up** (said once; these do not fail the run):\n\n";
        for r in notices {
            out += &format!("- `{}`: {}\n", r.rule.replace('`', "'"), md_text(&r.message));
        }
        out += "\n";
    }
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
        for s in summaries.iter().filter(|s| s.figures.cycle_time.items > 0) {
            out += &format!(
                "\nFeedback cycle time of {}: {}.\n",
                md_text(&s.name),
                md_text(&s.figures.cycle_time.describe())
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
    // Sorted by the columns shown: the most serious severity, then how many, then the name.
    let highest = |n: &[usize; 3]| [Level::Error, Level::Warning, Level::Info].into_iter().find(|l| n[*l as usize] > 0);
    let mut per_rule: Vec<(&str, Option<Level>, usize)> =
        per_rule.into_iter().map(|(rule, n)| (rule, highest(&n), n.iter().sum())).collect();
    per_rule.sort_by(|a, b| (b.1, b.2).cmp(&(a.1, a.2)).then(a.0.cmp(b.0)));
    out += "### Findings per rule\n\n| rule | severity | findings | what it checks |\n|---|---|---:|---|\n";
    for (rule, level, n) in &per_rule {
        let summary = rules.get(*rule).map_or(String::new(), |r| md_text(&r.summary));
        let level = level.map_or("", Level::as_str);
        out += &format!("| `{rule}` | {level} | {n} | {summary} |\n");
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
                let more = items.len() - shown;
                out += &format!("\n…and {more} more {} with findings.\n", if more == 1 { "item" } else { "items" });
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
    fn markdown_text_cannot_mention_link_load_or_break_a_table() {
        assert_eq!(md_text("@dana #12 a|b"), "@<!-- -->dana \\#<!-- -->12 a\\|b");
        assert_eq!(md_text("![x](http://e/) <img src=x>"), "\\!\\[x\\](http://e/) \\<img src=x\\>");
        assert_eq!(md_text("a\u{202e}b\nc"), "a\\\\u{202e}b c");
    }
}
