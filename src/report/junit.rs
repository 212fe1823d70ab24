//! `--format junit`: JUnit XML (quick-junit), one failing test case per rule and item.

use super::{Checked, InputError, Row};
use crate::diag::Level;
use crate::escape;
use std::collections::BTreeMap;

/// One test suite per backlog, one failing test case per rule and item (its findings as the
/// failure); before them, per file that could not be read, a suite with one errored test case per
/// input or policy error, so that CI shows the run red.
pub fn junit(checked: &[Checked], errors: &[InputError]) -> String {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("backlint");
    let mut files: Vec<(Option<&str>, Vec<&InputError>)> = Vec::new();
    for e in errors {
        match files.iter_mut().find(|(f, _)| *f == e.file.as_deref()) {
            Some((_, list)) => list.push(e),
            None => files.push((e.file.as_deref(), vec![e])),
        }
    }
    for (file, list) in files {
        let mut suite = TestSuite::new(escape::visible_line(file.unwrap_or("backlint")));
        let mut warnings = Vec::new();
        for e in list {
            let line = match e.location() {
                Some(at) => format!("{at}: {}[{}] {}", e.level, e.code, e.message),
                None => format!("{}[{}] {}", e.level, e.code, e.message),
            };
            // A problem that does not fail the run (a warning) is said, not counted.
            if e.level != Level::Error {
                warnings.push(escape::visible_line(&line).into_owned());
                continue;
            }
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(escape::visible_line(&e.message));
            status.set_type(escape::visible_line(&e.code));
            let help = e.help.as_ref().map_or(String::new(), |h| format!("\nhelp: {h}"));
            status.set_description(escape::visible(&format!("{line}{help}")));
            let name = match e.location() {
                Some(at) => format!("{} at {at}", e.code),
                None => e.code.clone(),
            };
            let mut case = TestCase::new(escape::visible_line(&name), status);
            case.set_classname("backlint.input");
            suite.add_test_case(case);
        }
        if !warnings.is_empty() {
            suite.set_system_out(warnings.join("\n"));
        }
        report.add_test_suite(suite);
    }
    for c in checked {
        let mut suite = TestSuite::new(escape::visible_line(&c.name));
        // Borrowed keys: the rows are the one copy of the findings until the XML is written.
        let mut cases: BTreeMap<(&str, &str), Vec<&Row>> = BTreeMap::new();
        for r in &c.rows {
            cases.entry((&r.rule, r.item.as_deref().unwrap_or_default())).or_default().push(r);
        }
        for ((rule, item), rows) in &cases {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            // quick-junit drops what XML cannot hold; escaping first keeps it visible instead.
            status.set_message(escape::visible_line(&rows[0].message));
            status.set_type(rows[0].level.as_str());
            let mut details = String::new();
            for (i, r) in rows.iter().enumerate() {
                if i > 0 {
                    details.push('\n');
                }
                details.push_str(&escape::visible_line(&format!("{}:{}:{}: {}", r.file, r.line, r.column, r.message)));
            }
            status.set_description(details);
            let name =
                escape::visible_line(&if item.is_empty() { rule.to_string() } else { format!("{rule} on {item}") })
                    .into_owned();
            let mut case = TestCase::new(name, status);
            case.set_classname(format!("backlint.{rule}"));
            suite.add_test_case(case);
        }
        // Set-up notices are not failures: they go to the suite's output, where CI shows them.
        if !c.notices.is_empty() {
            let text: Vec<String> = c
                .notices
                .iter()
                .map(|r| escape::visible_line(&format!("notice[{}] {}", r.rule, r.message)).into_owned())
                .collect();
            suite.set_system_out(text.join("\n"));
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
