//! Every output format through the real binary, checked for structure: JSON against its documented
//! schema, SARIF through the schema-generated serde-sarif types plus GitHub's required fields, JUnit
//! parsed as XML, GitHub workflow commands and short lines by pattern.

use super::*;
use std::process::{Command, Output};

fn run(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backlint"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("FORCE_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn unhealthy(format: &str) -> String {
    let o = run(&["check", "examples/unhealthy", "--format", format], &root());
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    stdout(&o)
}

#[test]
fn json_follows_the_documented_schema() {
    let doc: serde_json::Value = serde_json::from_str(&unhealthy("json")).unwrap();
    let top: Vec<&str> = doc.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(top, ["version", "tool", "summary", "errors", "rules", "notices", "findings"]);
    assert_eq!(doc["errors"], serde_json::json!([]), "no input errors");
    // Set-up notices sit beside the findings, each naming what is not declared and how to.
    for n in doc["notices"].as_array().unwrap() {
        assert!(n["rule"].is_string() && n["message"].is_string() && n["help"].is_string(), "{n}");
    }
    assert_eq!(doc["version"], 2);
    assert_eq!(doc["tool"]["name"], "backlint");
    let findings = doc["findings"].as_array().unwrap();
    let s = &doc["summary"];
    assert_eq!(
        findings.len() as u64,
        s["errors"].as_u64().unwrap() + s["warnings"].as_u64().unwrap() + s["infos"].as_u64().unwrap()
    );
    let rules = doc["rules"].as_object().unwrap();
    for f in findings {
        let keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["rule", "severity", "message", "file", "line", "column", "end_line", "end_column", "item", "help"],
            "{f}"
        );
        assert!(["error", "warning", "info"].contains(&f["severity"].as_str().unwrap()));
        assert!(f["line"].as_u64().unwrap() >= 1 && f["column"].as_u64().unwrap() >= 1);
        // Each finding refers to its rule's one entry in the table.
        assert!(rules.contains_key(f["rule"].as_str().unwrap()), "no `rules` entry for {f}");
    }
    // The table holds exactly the rules that have findings, each with its explanation once.
    let named: std::collections::BTreeSet<&str> = findings.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert_eq!(rules.keys().map(String::as_str).collect::<std::collections::BTreeSet<_>>(), named);
    for (name, rule) in rules {
        let keys: Vec<&str> = rule.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["group", "severity", "summary", "explanation"], "{name}");
        assert!(["error", "warning", "info"].contains(&rule["severity"].as_str().unwrap()), "{name}");
        assert!(!rule["summary"].as_str().unwrap().is_empty(), "{name}");
        assert!(rule["explanation"].as_str().unwrap().split_whitespace().count() >= 30, "{name}");
    }
    assert!(rules.contains_key("missing-acceptance-criteria"));
}

#[test]
fn json_without_findings_has_an_empty_rules_table() {
    let o = run(&["check", "examples/healthy", "--format", "json"], &root());
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["version"], 2);
    assert_eq!(doc["rules"], serde_json::json!({}));
    assert_eq!(doc["findings"], serde_json::json!([]));
}

fn fingerprints(sarif: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["partialFingerprints"]["backlint/v1"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn sarif_is_valid_for_github_code_scanning() {
    let text = unhealthy("sarif");
    let typed: serde_sarif::sarif::Sarif = serde_json::from_str(&text).expect("matches the SARIF 2.1.0 schema types");
    assert_eq!(typed.runs.len(), 1);
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.len() >= 27);
    for r in rules {
        for path in [&r["id"], &r["shortDescription"]["text"], &r["fullDescription"]["text"], &r["help"]["text"]] {
            assert!(path.as_str().is_some_and(|s| !s.is_empty()), "rule without a required field: {r}");
        }
    }
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        assert!(r["ruleId"].is_string() && r["message"]["text"].is_string());
        assert_eq!(rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"], r["ruleId"]);
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "examples/unhealthy/backlog.yaml");
        for key in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(loc["region"][key].as_u64().is_some_and(|n| n >= 1), "{key} in {r}");
        }
    }
    let prints = fingerprints(&doc);
    let mut unique = prints.clone();
    unique.dedup();
    assert_eq!(unique.len(), prints.len(), "fingerprints are unique");
}

#[test]
fn sarif_fingerprints_survive_edits_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(root().join("examples/unhealthy/backlog.yaml")).unwrap();
    std::fs::copy(root().join("examples/backlint.policy"), dir.path().join("backlint.policy")).unwrap();
    std::fs::write(dir.path().join("backlog.yaml"), &original).unwrap();
    let before: serde_json::Value =
        serde_json::from_str(&stdout(&run(&["check", "--format", "sarif"], dir.path()))).unwrap();
    std::fs::write(dir.path().join("backlog.yaml"), format!("# a comment\n# and another\n{original}")).unwrap();
    let after: serde_json::Value =
        serde_json::from_str(&stdout(&run(&["check", "--format", "sarif"], dir.path()))).unwrap();
    assert_ne!(before["runs"][0]["results"][0]["locations"], after["runs"][0]["results"][0]["locations"]);
    assert_eq!(fingerprints(&before), fingerprints(&after));
}

#[test]
fn github_workflow_commands_are_escaped() {
    let line = regex::Regex::new(
        r"^::(error|warning|notice) file=[^,:]+,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=[^,:]+::[^\r\n]+$",
    )
    .unwrap();
    let out = unhealthy("github");
    assert!(out.lines().count() > 10);
    for l in out.lines() {
        assert!(line.is_match(l), "{l}");
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("backlint.policy"),
        "rule odd {\n group = custom\n severity = error\n summary = \"odd\"\n for item in items\n  require false\n  message \"100% wrong, really:\\nsee {item.id}\"\n}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("backlog, v2.backlog.yaml"), "items:\n  - {id: A}\n").unwrap();
    let out = stdout(&run(&["check", "--format", "github", "--policy", "backlint.policy"], dir.path()));
    let odd = out.lines().find(|l| l.contains("title=backlint odd")).unwrap();
    assert!(odd.starts_with("::error file=backlog%2C v2.backlog.yaml,"), "{odd}");
    assert!(odd.ends_with("::100%25 wrong, really:%0Asee A"), "{odd}");
}

#[test]
fn junit_is_well_formed_xml_with_a_case_per_rule_and_item() {
    let xml = unhealthy("junit");
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut suites, mut cases, mut failures) = (0, 0, 0);
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => match e.name().as_ref() {
                b"testsuite" => suites += 1,
                b"testcase" => cases += 1,
                b"failure" => failures += 1,
                _ => {}
            },
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(suites, 1);
    assert!(cases > 10 && failures == cases, "{cases} cases, {failures} failures");
    let healthy = stdout(&run(&["check", "examples/healthy", "--format", "junit"], &root()));
    assert!(healthy.contains("backlog passes every rule") && !healthy.contains("<failure"));
}

#[test]
fn short_lines_name_file_line_column_severity_and_rule() {
    let line = regex::Regex::new(r"^[^:]+:\d+:\d+: (error|warning|info)\[[a-z-]+\] .+$").unwrap();
    let out = unhealthy("short");
    let mut lines = out.lines().collect::<Vec<_>>();
    let summary = lines.pop().unwrap();
    assert!(summary.ends_with(" in 1 backlog"), "{summary}");
    for l in lines {
        assert!(line.is_match(l), "{l}");
    }
}

#[test]
fn ci_flags_output_exit_zero_quiet_and_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("report.sarif");
    let o = run(&["check", "examples/unhealthy", "--format", "sarif", "--output", target.to_str().unwrap()], &root());
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty(), "the report goes to the file");
    let _: serde_sarif::sarif::Sarif = serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(leftovers, 1, "only the report, no temporary file");

    assert_eq!(run(&["check", "examples/unhealthy", "--exit-zero"], &root()).status.code(), Some(0));
    assert_eq!(run(&["check", "no/such/dir", "--exit-zero"], &root()).status.code(), Some(2));

    let quiet = stdout(&run(&["check", "examples/unhealthy", "--format", "short", "--quiet"], &root()));
    assert!(quiet.lines().filter(|l| l.contains("]")).all(|l| l.contains(": error[")), "{quiet}");

    let o = run(&["check", "examples/unhealthy", "--statistics"], &root());
    let out = stdout(&o);
    assert!(out.contains("x near item") || out.contains("near item"), "findings are still shown");
    assert!(regex::Regex::new(r"(?m)^\s+\d+  missing-acceptance-criteria$").unwrap().is_match(&out), "{out}");
    let o = run(&["check", "examples/unhealthy", "--statistics", "--format", "json"], &root());
    let _: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON stays parseable");
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing-acceptance-criteria"));
}
