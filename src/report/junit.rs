//! `--format junit`: JUnit XML (quick-junit), one failing test case per rule and item.

use super::{Checked, Row};
use crate::escape;
use std::collections::BTreeMap;

/// One test suite per backlog, one failing test case per rule and item (its findings as the failure).
pub fn junit(checked: &[Checked]) -> String {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("backlint");
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
