//! Hostile input: bounds. Each case would cost the old code gigabytes, minutes or unbounded output;
//! the assertions are on results (an error, a finding, a size), never on time.

use super::*;

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A one-megabyte string and `aliases` aliases of it: a megabyte file that expands to `aliases` MB.
fn text_bomb(aliases: usize) -> String {
    format!("notes: &s \"{}\"\nbig: [{}]\n", "x".repeat(1 << 20), vec!["*s"; aliases].join(", "))
}

#[test]
fn aliases_of_a_long_string_are_refused_by_the_text_they_copy() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "backlog.yaml", &format!("product: X\nproduct_owner: Dana\n{}items: []\n", text_bomb(500)));
    let o = check_in(dir.path(), &[]);
    let text = assert_handled(&o, "text bomb");
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(text.contains("aliases expand to too much text") && text.contains("backlog.yaml:4:"), "{text}");

    // The same inside the items of a file large enough to be parsed in slices.
    let mut split = format!("product: X\nitems:\n  - id: A\n    notes: &s \"{}\"\n", "x".repeat(1 << 20));
    for i in 0..500 {
        split += &format!("  - id: B{i}\n    notes: *s\n");
    }
    write(dir.path(), "backlog.yaml", &split);
    let o = check_in(dir.path(), &[]);
    let text = assert_handled(&o, "text bomb in items");
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(text.contains("aliases expand to too much text"), "{text}");
}

#[test]
fn an_alias_bomb_in_a_policy_test_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let example = text_bomb(500) + "items: []\n";
    write(dir.path(), "backlint.policy", &format!("test \"bomb\" {{\n  backlog = \"\"\"\n{example}\"\"\"\n}}\n"));
    let o = backlint_in(dir.path(), &["test", "backlint.policy"]);
    let text = assert_handled(&o, "policy test bomb");
    assert!(text.contains("the example backlog is not valid") && text.contains("too much text"), "{text}");
    assert!(text.contains("0 passed, 1 failed"), "{text}");
}

/// Sixty nested mappings, each with an anchor, around a list of half a million values, and no alias:
/// copying each anchored node when it completes took 1.4 GB; now nothing is copied.
#[test]
fn nested_anchors_without_aliases_are_not_copied() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("product: X\nproduct_owner: Dana\nitems:\n  - {id: A, title: Pay by card}\nextra:\n");
    for depth in 1..=60 {
        text += &format!("{}k{depth}: &a{depth}\n", "  ".repeat(depth));
    }
    text += &format!("{}list: [{}]\n", "  ".repeat(61), vec!["a"; 500_000].join(", "));
    write(dir.path(), "backlog.yaml", &text);
    let o = check_in(dir.path(), &["--format", "short"]);
    let out = assert_handled(&o, "nested anchors");
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("in 1 backlog") && out.contains("backlog.yaml:4:"), "{out}");
}

#[test]
fn a_jira_export_with_100000_columns_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let headers: Vec<String> = (0..100_000).map(|i| format!("Custom field (F{i})")).collect();
    let cells: Vec<String> = (0..100_000).map(|i| format!("v{i}")).collect();
    write(
        dir.path(),
        "export.csv",
        &format!("Issue key,Summary,Status,{}\nA-1,Pay by card,To Do,{}\n", headers.join(","), cells.join(",")),
    );
    let o = check_in(dir.path(), &["--format", "short"]);
    let out = assert_handled(&o, "100,000 columns");
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("near item `A-1` has no acceptance criteria") && out.contains("in 1 backlog"), "{out}");
}

#[test]
fn misplaced_quotes_in_a_jira_export_are_errors_at_the_quote() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "Issue key,Summary,Status\nA-1,Pay \"by card,To Do\nA-2,Other,To Do\n",
            "export.csv:2:9",
            "a quote inside an unquoted field",
        ),
        (
            "Issue key,Summary,Status\nA-1,\"Pay by card,To Do\nA-2,Other,To Do\n",
            "export.csv:2:5",
            "a quoted field runs to the end of the file",
        ),
        ("Issue key,Summary,Status\nA-1,\"Pay\" by card,To Do\n", "export.csv:2:9", "text follows the closing quote"),
    ];
    for (csv, at, what) in cases {
        write(dir.path(), "export.csv", csv);
        let o = check_in(dir.path(), &[]);
        let text = assert_handled(&o, what);
        assert_eq!(o.status.code(), Some(2), "{text}");
        assert!(text.contains(what) && text.contains(at), "expected `{what}` at {at}:\n{text}");
    }
}

#[test]
fn a_long_list_in_a_message_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let mut backlog = String::from("product: X\nproduct_owner: Dana\nitems:\n");
    for i in 0..1_000 {
        backlog += &format!("  - {{id: I{i}, title: \"{}\"}}\n", "word ".repeat(20));
    }
    write(dir.path(), "backlog.yaml", &backlog);
    write(
        dir.path(),
        "backlint.policy",
        "rule every-title {\n  group = x\n  severity = info\n  summary = \"s\"\n  for item in items\n    forbid true\n    message \"{item.id}: {items.title} {items.title} {items.title} {items.title} {items.title}\"\n    label \"{items.title}\"\n}\n",
    );
    let o = check_in(dir.path(), &["--format", "json"]);
    let out = assert_handled(&o, "long message");
    // Uncut, each message would hold every title five times: 500 kB, so 500 MB in all.
    assert!(out.len() < 8 << 20, "{} bytes", out.len());
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "every-title")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 1_000);
    for message in messages {
        // Each value is cut at 500 characters, the message at 2,000, both ending in "…".
        assert_eq!(message.chars().count(), 2_000, "{message}");
        assert!(message.ends_with('…') && message.matches('…').count() >= 4, "{message}");
    }
}

#[test]
fn thousands_of_policy_files_include_each_other_linearly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("examples/healthy/backlog.yaml"), dir.path().join("backlog.yaml")).unwrap();
    // A chain: each file includes the next.
    for i in 0..3_000 {
        let include = if i < 2_999 { format!("include \"p{}.policy\"\n", i + 1) } else { String::new() };
        write(dir.path(), &format!("chain/p{i}.policy"), &format!("{include}settings {{ near = {} }}\n", 3_000 - i));
    }
    let o = backlint_in(dir.path(), &["check", "--show-policy", "--policy", "chain/p0.policy"]);
    let out = assert_handled(&o, "chain");
    assert_eq!(out.matches(".policy\n").count(), 3_000, "{out}");
    // The including file applies last.
    assert!(out.contains("near = 3000") && out.contains("p0.policy:2)"), "{out}");
    // A fan: one file includes all the others.
    let fan: String = (0..3_000).map(|i| format!("include \"q{i}.policy\"\n")).collect();
    write(dir.path(), "fan/root.policy", &fan);
    for i in 0..3_000 {
        write(dir.path(), &format!("fan/q{i}.policy"), "settings { near = 5 }\n");
    }
    let o = backlint_in(dir.path(), &["check", "--show-policy", "--policy", "fan/root.policy"]);
    let out = assert_handled(&o, "fan");
    assert_eq!(out.matches(".policy\n").count(), 3_001, "{out}");
    // Closing the chain into a cycle is still reported with the whole chain.
    write(dir.path(), "chain/p2999.policy", "include \"p0.policy\"\n");
    let o = check_in(dir.path(), &["--policy", "chain/p0.policy"]);
    let out = assert_handled(&o, "cycle");
    assert_eq!(o.status.code(), Some(2), "{out}");
    let named = "chain/p0.policy → chain/p1.policy → chain/p2.policy → … 2995 more … → chain/p2998.policy → chain/p2999.policy → chain/p0.policy";
    // Compared without white space and margins: miette wraps the message at the terminal's width.
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace() && *c != '|').collect::<String>();
    assert!(out.contains("P0016") && squeeze(&out).contains(&squeeze(named)), "{out}");
}

#[test]
fn nan_infinite_and_negative_estimates_are_errors_at_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = "product: X\nproduct_owner: Dana\nitems:\n  - {id: A, title: Pay, estimate: .nan}\n  - {id: B, title: Pay, estimate: .inf}\n  - {id: C, title: Pay, estimate: -3}\n";
    write(dir.path(), "yaml/backlog.yaml", yaml);
    write(
        dir.path(),
        "jira/export.csv",
        "Issue key,Summary,Status,Custom field (Story Points)\nA-1,Pay,To Do,NaN\nA-2,Pay,To Do,-3\nA-3,Pay,To Do,inf\n",
    );
    write(dir.path(), "md/backlog/config.yml", "project_name: X\n");
    write(
        dir.path(),
        "md/backlog/tasks/task-1 - Pay.md",
        "---\nid: task-1\ntitle: Pay\nstatus: To Do\nestimate: -.inf\n---\n\nText\n",
    );
    let o = check_in(dir.path(), &["."]);
    let text = assert_handled(&o, "estimates");
    assert_eq!(o.status.code(), Some(2), "{text}");
    for (at, what) in [
        ("backlog.yaml:4:35", "found not a number (NaN)"),
        ("backlog.yaml:5:35", "found an infinite number"),
        ("backlog.yaml:6:35", "must be a number of zero or more, found a negative number"),
        ("export.csv:2:15", "found not a number (NaN)"),
        ("export.csv:3:15", "found a negative number"),
        ("export.csv:4:15", "found an infinite number"),
        ("task-1 - Pay.md:5:11", "found an infinite number"),
    ] {
        let shown = text.split("\n\n").any(|block| block.contains(at) && block.contains(what));
        assert!(shown, "expected `{what}` at {at}:\n{text}");
    }
}

#[test]
fn distant_smaller_than_near_is_a_policy_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("examples/healthy/backlog.yaml"), dir.path().join("backlog.yaml")).unwrap();
    write(dir.path(), "backlint.policy", "settings {\n  near = 20\n  distant = 10\n}\n");
    let o = check_in(dir.path(), &[]);
    let text = assert_handled(&o, "distant < near");
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(text.contains("P0004") && text.contains("`distant` (10) is smaller than `near` (20)"), "{text}");
    assert!(text.contains("backlint.policy:3:13"), "{text}");
    // A `near` beyond the default `distant` moves the distant horizon with it.
    write(dir.path(), "backlint.policy", "settings {\n  near = 40\n}\n");
    let o = check_in(dir.path(), &[]);
    let text = assert_handled(&o, "near alone");
    assert_ne!(o.status.code(), Some(2), "{text}");
}

#[test]
fn ids_that_look_identical_are_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    // "Café" with a precomposed é, then with "e" and a combining acute accent.
    let yaml = "product: X\nproduct_owner: Dana\nitems:\n  - {id: Caf\u{e9}-1, title: Pay by card}\n  - {id: Cafe\u{301}-1, title: Show the receipt}\n";
    write(dir.path(), "backlog.yaml", yaml);
    let o = check_in(dir.path(), &[]);
    let text = assert_handled(&o, "NFC ids");
    assert!(text.contains("ordering-ambiguous") && text.contains("looks identical to the id"), "{text}");
    assert!(text.contains("backlog.yaml:5:10"), "{text}");
}
