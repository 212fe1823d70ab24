//! The conventions of the linters teams already use, through the real binary: rule selection,
//! `--exclude` and `.gitignore`, standard input, colour, `--output-format`, GitLab's report, input
//! errors in every format, and the rustc-style human output.

use super::*;
use std::io::Write;
use std::process::{Command, Output, Stdio};

/// `backlint ARGS` in `dir` with `stdin` as standard input and `env` set; colour variables of the
/// test's own environment are removed so that only the test's choice counts.
fn run_with(dir: &Path, args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_backlint"));
    command.args(args).current_dir(dir).env_remove("COLUMNS").env_remove("CI_PROJECT_DIR");
    for var in ["NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE"] {
        command.env_remove(var);
    }
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    // Written from a thread: a run that stops reading at the size cap must not block the test.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

fn run(dir: &Path, args: &[&str]) -> Output {
    run_with(dir, args, b"", &[])
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A near item without acceptance criteria, estimated too big: two findings, an error and a warning.
const ONE_ITEM: &str = "product: P\nproduct_owner: Dana Lee\noptimizing_for: learning\ndefinition_of_done: [reviewed]\nproduct_goals: [{id: G1, statement: Grow repeat orders, status: active, measure: repeat rate, target: 30%}]\nitems:\n  - {id: A-1, title: Export invoices as CSV, goal: G1, estimate: 40}\n";

/// A folder with a good backlog and one whose YAML is broken at line 3, column 4.
fn good_and_broken() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("examples/healthy/backlog.yaml"), dir.path().join("backlog.yaml")).unwrap();
    std::fs::write(dir.path().join("broken.backlog.yaml"), "items:\n  - id: A\n   title: x\n").unwrap();
    dir
}

#[test]
fn every_format_carries_an_input_error() {
    let dir = good_and_broken();
    let check = |format: &str| {
        let o = run(dir.path(), &["check", "--no-history", "--format", format]);
        assert_eq!(o.status.code(), Some(2), "{format}: {}{}", out(&o), err(&o));
        assert!(err(&o).contains("error[I0001]"), "{format}: the error is still on standard error: {}", err(&o));
        out(&o)
    };

    let json: serde_json::Value = serde_json::from_str(&check("json")).unwrap();
    let errors = json["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{json}");
    let e = &errors[0];
    assert_eq!((e["code"].as_str(), e["severity"].as_str()), (Some("I0001"), Some("error")));
    assert_eq!(
        (e["file"].as_str(), e["line"].as_u64(), e["column"].as_u64()),
        (Some("broken.backlog.yaml"), Some(3), Some(4))
    );
    assert!(e["message"].as_str().unwrap().starts_with("invalid YAML"), "{e}");
    assert_eq!(json["summary"]["backlogs"], 1, "the good backlog is still checked");

    let text = check("sarif");
    let _: serde_sarif::sarif::Sarif = serde_json::from_str(&text).expect("matches the SARIF 2.1.0 schema types");
    let sarif: serde_json::Value = serde_json::from_str(&text).unwrap();
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let n = &invocation["toolExecutionNotifications"][0];
    assert_eq!((n["level"].as_str(), n["descriptor"]["id"].as_str()), (Some("error"), Some("I0001")));
    let at = &n["locations"][0]["physicalLocation"];
    assert_eq!(at["artifactLocation"]["uri"], "broken.backlog.yaml");
    assert_eq!((at["region"]["startLine"].as_u64(), at["region"]["startColumn"].as_u64()), (Some(3), Some(4)));

    let xml = check("junit");
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut errored = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)
                if e.name().as_ref() == b"error" =>
            {
                let kind = e.try_get_attribute("type").unwrap().unwrap();
                errored.push(String::from_utf8_lossy(&kind.value).into_owned());
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(errored, ["I0001"], "{xml}");
    assert!(xml.contains("errors=\"1\""), "the report counts the error, so CI shows red: {xml}");

    let github = check("github");
    let line = github.lines().next().unwrap();
    assert!(
        line.starts_with("::error file=broken.backlog.yaml,line=3,col=4,title=backlint I0001::invalid YAML"),
        "{github}"
    );

    let short = check("short");
    assert!(short.starts_with("broken.backlog.yaml:3:4: error[I0001] invalid YAML"), "{short}");
    assert!(short.trim_end().ends_with("no findings in 1 backlog; 1 input error"), "{short}");

    let markdown = check("markdown");
    assert!(markdown.contains("**1 input error**: the run failed (exit 2)."), "{markdown}");
    assert!(markdown.contains("- broken.backlog.yaml:3:4: error `I0001` invalid YAML"), "{markdown}");

    let gitlab: serde_json::Value = serde_json::from_str(&check("gitlab")).unwrap();
    let issue = &gitlab[0];
    assert_eq!((issue["check_name"].as_str(), issue["severity"].as_str()), (Some("I0001"), Some("blocker")));
    assert_eq!(issue["location"]["path"], "broken.backlog.yaml");
    assert_eq!(issue["location"]["positions"]["begin"]["line"], 3);

    assert!(check("human").ends_with("no findings in 1 backlog; 1 input error\n"));
}

#[test]
fn a_policy_error_and_an_unreadable_baseline_are_errors_in_json_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("backlog.yaml"), ONE_ITEM).unwrap();
    std::fs::write(dir.path().join("backlint.policy"), "settings {\n  near = many\n}\n").unwrap();
    let o = run(dir.path(), &["check", "--no-history", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(doc["errors"][0]["code"], "P0004", "{doc}");
    assert_eq!(
        (doc["errors"][0]["file"].as_str(), doc["errors"][0]["line"].as_u64()),
        (Some("backlint.policy"), Some(2))
    );

    std::fs::remove_file(dir.path().join("backlint.policy")).unwrap();
    std::fs::write(dir.path().join("baseline.json"), "{").unwrap();
    let o = run(dir.path(), &["check", "--no-history", "--format", "junit", "--baseline", "baseline.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(out(&o).contains("<error") && out(&o).contains("I0051"), "{}", out(&o));
}

#[test]
fn the_gitlab_report_is_code_quality_json() {
    let o = run(&root(), &["check", "examples/unhealthy", "--no-history", "--format", "gitlab"]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let issues: Vec<serde_json::Value> = serde_json::from_str(&out(&o)).unwrap();
    assert!(issues.len() > 10);
    let mut prints = std::collections::BTreeSet::new();
    for i in &issues {
        let keys: Vec<&str> = i.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["check_name", "description", "severity", "fingerprint", "location"], "{i}");
        let rule = i["check_name"].as_str().unwrap();
        assert!(i["description"].as_str().unwrap().starts_with(&format!("{rule}: ")), "{i}");
        assert!(["info", "minor", "major"].contains(&i["severity"].as_str().unwrap()), "{i}");
        assert_eq!(i["location"]["path"], "examples/unhealthy/backlog.yaml");
        assert!(i["location"]["positions"]["begin"]["line"].as_u64().unwrap() >= 1, "{i}");
        assert!(prints.insert(i["fingerprint"].as_str().unwrap().to_string()), "fingerprints are unique: {i}");
    }
    // In a GitLab job, paths are relative to the project's folder.
    let o = run_with(
        &root().join("examples"),
        &["check", "unhealthy", "--no-history", "--format", "gitlab"],
        b"",
        &[("CI_PROJECT_DIR", root().to_str().unwrap())],
    );
    let issues: Vec<serde_json::Value> = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(issues[0]["location"]["path"], "examples/unhealthy/backlog.yaml");
}

/// The rules that fired, each with its group, from `--format json` (also spelt `--output-format`,
/// as ruff does).
fn rules_fired(args: &[&str]) -> (Option<i32>, std::collections::BTreeMap<String, String>, String) {
    let mut all = vec!["check", "examples/unhealthy", "--no-history", "--output-format", "json"];
    all.extend(args);
    let o = run(&root(), &all);
    let doc: serde_json::Value = serde_json::from_str(&out(&o)).unwrap_or_default();
    let rules = doc["rules"].as_object().map_or_else(Default::default, |table| {
        table.iter().map(|(name, r)| (name.clone(), r["group"].as_str().unwrap().to_string())).collect()
    });
    (o.status.code(), rules, err(&o))
}

#[test]
fn select_ignore_and_extend_select_take_rules_and_groups() {
    let (code, all, _) = rules_fired(&[]);
    assert_eq!(code, Some(1));
    assert!(all.contains_key("missing-acceptance-criteria") && all.values().any(|g| g != "refinement"));

    let (_, only, _) = rules_fired(&["--select", "refinement"]);
    assert!(!only.is_empty() && only.values().all(|g| g == "refinement"), "{only:?}");
    assert!(only.contains_key("near-items-state-value"), "custom rules have groups too: {only:?}");

    let (_, some, _) = rules_fired(&["--ignore", "missing-acceptance-criteria,goal"]);
    assert!(!some.contains_key("missing-acceptance-criteria") && some.values().all(|g| g != "goal"), "{some:?}");
    assert!(some.len() < all.len() && !some.is_empty());

    // A rule is more specific than its group: selecting it beats ignoring the group.
    let (_, kept, _) = rules_fired(&["--ignore", "refinement", "--extend-select", "missing-acceptance-criteria"]);
    assert!(kept.contains_key("missing-acceptance-criteria"), "{kept:?}");
    assert!(kept.iter().all(|(r, g)| r == "missing-acceptance-criteria" || g != "refinement"), "{kept:?}");

    // A custom rule of the examples' policy, by its name.
    let (_, custom, _) = rules_fired(&["--select", "experiment-needs-hypothesis"]);
    assert_eq!(custom.into_keys().collect::<Vec<_>>(), ["experiment-needs-hypothesis"]);

    let (code, _, message) = rules_fired(&["--select", "missing-acceptance-critera"]);
    assert_eq!(code, Some(2), "{message}");
    assert!(message.contains("I0090") && message.contains("did you mean `missing-acceptance-criteria`?"), "{message}");
}

#[test]
fn extend_select_runs_a_rule_the_policy_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("backlog.yaml"), ONE_ITEM.replace("optimizing_for: learning\n", "")).unwrap();
    std::fs::write(dir.path().join("backlint.policy"), "disable tradeoff-undeclared\n").unwrap();
    let short = |args: &[&str]| {
        let mut all = vec!["check", "--no-history", "--format", "short"];
        all.extend(args);
        out(&run(dir.path(), &all))
    };
    assert!(!short(&[]).contains("[tradeoff-undeclared]"));
    assert!(short(&["--extend-select", "tradeoff-undeclared"]).contains("[tradeoff-undeclared]"));
    let only = short(&["--select", "tradeoff-undeclared"]);
    assert_eq!(only.lines().filter(|l| l.contains("[")).count(), 1, "{only}");
}

#[test]
fn gitignore_exclude_and_the_policy_leave_folders_out_of_the_walk() {
    let dir = tempfile::tempdir().unwrap();
    for folder in ["team", "generated", "fixtures/bad", "archive"] {
        std::fs::create_dir_all(dir.path().join(folder)).unwrap();
    }
    std::fs::copy(root().join("examples/healthy/backlog.yaml"), dir.path().join("team/backlog.yaml")).unwrap();
    for broken in ["generated/backlog.yaml", "fixtures/bad/backlog.yaml", "archive/old.backlog.yaml"] {
        std::fs::write(dir.path().join(broken), "items: [\n").unwrap();
    }
    std::fs::write(dir.path().join(".gitignore"), "/generated/\n").unwrap();
    std::fs::write(dir.path().join("archive/.gitignore"), "*.backlog.yaml\n").unwrap();
    let walk = |args: &[&str]| {
        let mut all = vec!["check", "--no-history", "--format", "short"];
        all.extend(args);
        let o = run(dir.path(), &all);
        (o.status.code(), out(&o) + &err(&o))
    };
    let (code, text) = walk(&[]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("fixtures/bad/backlog.yaml"), "{text}");
    assert!(!text.contains("generated/") && !text.contains("archive/"), ".gitignore files are honoured: {text}");

    let (code, text) = walk(&["--exclude", "fixtures/"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("in 1 backlog"), "{text}");
    let (code, _) = walk(&["--exclude", "**/bad"]);
    assert_eq!(code, Some(0));

    // The project's own default: the policy's `exclude`, relative to the policy's folder.
    std::fs::write(dir.path().join("backlint.policy"), "settings {\n  exclude = [\"fixtures/\"]\n}\n").unwrap();
    let (code, text) = walk(&[]);
    assert_eq!(code, Some(0), "{text}");
    // A file named on the command line is checked whatever the patterns say.
    let (code, text) = walk(&["generated/backlog.yaml"]);
    assert_eq!(code, Some(2), "{text}");

    std::fs::write(dir.path().join("backlint.policy"), "settings {\n  exclude = \"fixtures/\"\n}\n").unwrap();
    let (code, text) = walk(&[]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("P0004") && text.contains("`exclude` must be a list of patterns"), "{text}");
}

#[test]
fn a_gitignore_that_is_a_fifo_is_not_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("backlog.yaml"), ONE_ITEM).unwrap();
    let status = Command::new("mkfifo").arg(dir.path().join(".gitignore")).status().unwrap();
    assert!(status.success());
    let o = super::hostile::backlint_in(dir.path(), &["check", "--no-history", "--format", "short"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
}

#[test]
fn checking_the_project_root_leaves_out_its_test_fixtures() {
    let o = run(&root(), &["check", "--no-history", "--format", "short"]);
    let text = out(&o) + &err(&o);
    assert_eq!(o.status.code(), Some(1), "only the examples' findings: {text}");
    assert!(!text.contains("tests/fixtures") && text.contains("examples/unhealthy/backlog.yaml"), "{text}");
}

#[test]
fn standard_input_is_checked_under_its_filename() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_with(dir.path(), &["check", "-", "--format", "short"], ONE_ITEM.as_bytes(), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(out(&o).lines().any(|l| l.starts_with("-:7:")), "{}", out(&o));

    std::fs::create_dir(dir.path().join("team")).unwrap();
    std::fs::write(dir.path().join("team/backlint.policy"), "disable missing-acceptance-criteria\n").unwrap();
    let args = ["check", "-", "--stdin-filename", "team/backlog.yaml", "--format", "short"];
    let o = run_with(dir.path(), &args, ONE_ITEM.as_bytes(), &[]);
    let text = out(&o);
    assert!(text.lines().any(|l| l.starts_with("team/backlog.yaml:7:")), "named as given: {text}");
    assert!(!text.contains("missing-acceptance-criteria"), "the policy beside that path applies: {text}");
    assert!(!dir.path().join("team/backlog.yaml").exists());

    // Read by its extension; `--stdin-filename` alone reads standard input too.
    let csv = std::fs::read(fixture("jira/export.csv")).unwrap();
    let o = run_with(dir.path(), &["check", "--stdin-filename", "export.csv", "--format", "short"], &csv, &[]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", err(&o));
    assert!(out(&o).contains("export.csv:"), "{}", out(&o));

    let o = run_with(dir.path(), &["check", "-"], b"items: [\n", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("error[I0001]") && err(&o).contains("-:"), "{}", err(&o));
}

#[test]
fn standard_input_is_bounded_by_the_size_cap() {
    let dir = tempfile::tempdir().unwrap();
    let big = format!("product: P\n# {}\n", "x".repeat(3 << 20));
    let o = run_with(dir.path(), &["check", "-", "--max-file-size", "1", "--format", "json"], big.as_bytes(), &[]);
    assert_eq!(o.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(doc["errors"][0]["code"], "I0030");
    assert!(doc["errors"][0]["message"].as_str().unwrap().contains("over the 1 MB limit"), "{doc}");
    let o = run_with(dir.path(), &["check", "-"], b"product: caf\xe9\n", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("is not UTF-8"), "{}", err(&o));
}

#[test]
fn colour_is_forced_on_request_and_refused_on_request() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("backlog.yaml"), ONE_ITEM).unwrap();
    let coloured = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["check", "--no-history"];
        all.extend(args);
        out(&run_with(dir.path(), &all, b"", env)).contains("\u{1b}[")
    };
    assert!(!coloured(&[], &[]), "not a terminal: plain");
    assert!(coloured(&["--color", "always"], &[]));
    assert!(coloured(&[], &[("FORCE_COLOR", "1")]));
    assert!(coloured(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!coloured(&[], &[("CLICOLOR_FORCE", "0")]));
    assert!(!coloured(&["--color", "never"], &[("FORCE_COLOR", "1")]));
    assert!(coloured(&["--color", "always"], &[("NO_COLOR", "1")]), "the flag beats the environment");
    let o = run_with(dir.path(), &["check", "--no-history", "--color", "always"], b"", &[]);
    assert!(out(&o).contains("\u{1b}[1;31merror[missing-acceptance-criteria]\u{1b}[0m"), "{}", out(&o));
    // A report written to a file is plain unless colour is asked for by the flag.
    let o = run_with(dir.path(), &["check", "--no-history", "-o", "log.txt"], b"", &[("FORCE_COLOR", "1")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!std::fs::read_to_string(dir.path().join("log.txt")).unwrap().contains('\u{1b}'));
}

#[test]
fn human_output_reads_in_a_log() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("backlog.yaml"), ONE_ITEM).unwrap();
    std::fs::write(dir.path().join("broken.backlog.yaml"), "items:\n  - id: A\n   title: x\n").unwrap();
    let o = run(dir.path(), &["check", "--no-history"]);
    assert_eq!(o.status.code(), Some(2));
    insta::assert_snapshot!("human_findings", out(&o));
    insta::assert_snapshot!("human_input_error", err(&o));
}

#[test]
fn a_blank_line_parts_every_finding_and_the_set_up_notices() {
    let o = run(&root(), &["check", "examples/beads", "--no-history"]);
    let text = out(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("notice["), "{text}");
    let header = regex::Regex::new(r"^(error|warning|info)\[[a-z-]+\]: ").unwrap();
    let headers: Vec<usize> = (0..lines.len()).filter(|&i| header.is_match(lines[i])).collect();
    assert!(headers.len() > 3, "{text}");
    for i in headers {
        assert_eq!(lines[i - 1], "", "a blank line before `{}`", lines[i]);
    }
}
