//! Hostile input: terminal. Text from backlogs, file names, policies and git reaches terminals, CI
//! logs and pull-request comments: it must not recolour, move the cursor, forge lines, hide text,
//! mention people or load images, and no line, value or count of problems makes the output unbounded.

use super::*;

/// Characters that must never be written raw: C0 (but `\n`) and C1 controls, DEL, bidi controls,
/// zero-width characters, line and paragraph separators and the byte order mark.
fn raw_hidden(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            matches!(c,
                '\u{0}'..='\u{9}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}' | '\u{2060}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
        })
        .collect()
}

fn run(dir: &Path, args: &[&str]) -> String {
    let o = check_in(dir, args);
    // Lossy decoding would hide raw C1 bytes behind U+FFFD: the output must be UTF-8 as it is.
    let text = String::from_utf8(o.stdout.clone()).unwrap() + &String::from_utf8(o.stderr.clone()).unwrap();
    assert_handled(&o, &format!("{args:?}"));
    text
}

#[test]
fn control_bidi_and_invisible_characters_are_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    // The id holds raw bidi and zero-width characters, which YAML allows (so the quoted source line
    // has them too); the title holds controls through YAML escapes.
    let backlog =
        "product: X\nitems:\n  - id: A\u{202e}Y\u{200b}Z\n    title: \"T\\e[31m\\a\\rX\\u202eY\\u200bZ\\x9b\"\n";
    std::fs::write(dir.path().join("backlog.yaml"), backlog).unwrap();
    // Raw C0 and C1 controls are no YAML: the parser stops at the first, and the error quotes it.
    std::fs::write(dir.path().join("raw.backlog.yaml"), "product: X\nitems:\n  - id: A\u{1b}[31mRED\u{7}X\u{9b}\n")
        .unwrap();
    // A file name that would end the finding's line and forge another, then conceal the rest.
    let forged = "a\nforged.yaml:9:9: error[forged] pwned\u{1b}[8m.backlog.yaml";
    std::fs::write(dir.path().join(forged), "product: Y\nitems: []\n").unwrap();
    for format in ["human", "short", "github"] {
        let text = run(dir.path(), &[".", "--no-history", "--format", format]);
        assert_eq!(raw_hidden(&text), Vec::<char>::new(), "{format}: raw hidden characters in\n{text}");
        for escaped in ["A\\u{202e}Y\\u{200b}Z", "\\u{1b}[31m\\u{7}\\rX\\u{202e}Y\\u{200b}Z\\u{9b}", "`\\u{1b}'"] {
            assert!(text.contains(escaped), "{format}: expected {escaped} in\n{text}");
        }
        assert!(text.contains("a\\nforged.yaml"), "{format}: the file name is not escaped in\n{text}");
        assert!(!text.lines().any(|l| l.starts_with("forged.yaml")), "{format}: a forged line in\n{text}");
    }
    // JUnit stays valid XML (and shows what it escapes).
    let o = check_in(dir.path(), &[".", "--no-history", "--format", "junit"]);
    let xml = String::from_utf8(o.stdout).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("invalid JUnit XML: {e}\n{xml}"),
        }
    }
    assert!(xml.contains("\\u{1b}[31m"), "{xml}");
}

#[test]
fn markdown_neutralises_mentions_images_and_html() {
    let dir = tempfile::tempdir().unwrap();
    let payload = "@someone ![x](http://evil/) <img src=x> #12";
    std::fs::write(
        dir.path().join("backlog.yaml"),
        format!("product: X\nitems:\n  - id: \"{payload}\"\n    title: t\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("backlint.policy"),
        format!(
            "rule loud {{\n  group = x\n  severity = warning\n  summary = \"{payload}\"\n  for item in items\n    require false\n    message \"{payload}\"\n}}\n"
        ),
    )
    .unwrap();
    let check = run(dir.path(), &["--no-history", "--format", "markdown"]);
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_backlint"))
        .args(["report", "--format", "markdown", "--no-history"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let report = assert_handled(&o, "report --format markdown");
    for text in [check, report] {
        assert!(text.contains("| `loud` |"), "the rule is not listed in\n{text}");
        assert!(!text.contains("@someone"), "a mention in\n{text}");
        assert!(!text.contains("#12"), "an issue reference in\n{text}");
        assert!(!text.contains("![") && !text.replace("\\<", "").contains("<img"), "an image in\n{text}");
        // Both the item and the rule's summary are shown, escaped.
        assert_eq!(text.matches("@<!-- -->someone \\!\\[x\\](http://evil/) \\<img src=x\\>").count(), 2, "{text}");
    }
}

#[test]
fn a_200kb_line_is_quoted_in_a_window_at_the_right_place() {
    let dir = tempfile::tempdir().unwrap();
    let items: Vec<String> =
        (0..4_000).map(|i| format!("{{id: I{i}, title: Improve the export number {i}}}")).collect();
    let broken = format!("{{product: X, items: [{}, {{id: Z, estimate: [}}]}}\n", items.join(","));
    assert!(broken.len() > 200_000);
    std::fs::write(dir.path().join("broken.backlog.yaml"), &broken).unwrap();
    let text = run(dir.path(), &["broken.backlog.yaml", "--no-history"]);
    // The parser names the bracket that `}` cannot close.
    let column = broken.find("[}").unwrap() + 1;
    assert!(text.contains(&format!("[broken.backlog.yaml:1:{column}]")), "{text}");
    assert!(text.contains("{id: Z, estimate: [}]}"), "{text}");
    assert!(text.len() < 2_000, "{} bytes:\n{text}", text.len());

    // Findings on a long line, and a 1 MB value, are quoted in bounded windows too.
    let title = "word ".repeat(200_000);
    let long = format!("{{product: X, items: [{{id: A, title: \"{title}\"}}, {{id: B, title: Pay}}]}}\n");
    std::fs::write(dir.path().join("long.backlog.yaml"), &long).unwrap();
    let text = run(dir.path(), &["long.backlog.yaml", "--no-history"]);
    let column = long.find("id: B").unwrap() + 5;
    assert!(text.contains(&format!("[long.backlog.yaml:1:{column}]")), "{text}");
    assert!(text.len() < 20_000, "{} bytes:\n{}", text.len(), &text[..2_000]);
    assert!(text.lines().all(|l| l.chars().count() < 1_500), "{}", &text[..2_000]);
}

#[test]
fn problems_of_one_file_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let items: String = (0..500).map(|i| format!("  - {{id: A{i}, estimate: [1]}}\n")).collect();
    std::fs::write(dir.path().join("backlog.yaml"), format!("product: X\nitems:\n{items}")).unwrap();
    let text = run(dir.path(), &["--no-history"]);
    assert_eq!(text.matches("must be a number").count(), 50, "{text}");
    assert!(text.contains("… and 450 more problems in backlog.yaml"), "{text}");
}

#[test]
fn old_mac_line_endings_are_lines() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("backlog.yaml"), "product: X\ritems: 5\r").unwrap();
    let text = run(dir.path(), &["--no-history"]);
    assert!(text.contains("[backlog.yaml:2:8]"), "{text}");
    assert!(text.contains(" 2 | items: 5\n"), "{text}");
    assert!(!text.contains(" 0 |"), "{text}");
}

#[test]
fn unclosed_front_matter_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let tasks = dir.path().join("backlog/tasks");
    std::fs::create_dir_all(&tasks).unwrap();
    std::fs::write(dir.path().join("backlog/config.yml"), "project_name: X\n").unwrap();
    std::fs::write(tasks.join("task-1 - Do.md"), "---\nid: task-1\ntitle: Do a thing\nstatus: To Do\n\nThe body\n")
        .unwrap();
    let text = run(dir.path(), &["--no-history"]);
    assert!(text.contains("front matter of `backlog/tasks/task-1 - Do.md` is not closed"), "{text}");
    assert!(text.contains("add a `---` line"), "{text}");
    assert!(!text.contains("has no front matter"), "{text}");
}

#[test]
fn merge_conflict_markers_are_named() {
    let conflict = "<<<<<<< HEAD\nproduct_owner: Dana\n=======\nproduct_owner: Lee\n>>>>>>> other\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("backlog.yaml"), format!("product: X\n{conflict}items: []\n")).unwrap();
    let text = run(dir.path(), &["--no-history"]);
    assert!(text.contains("unresolved merge conflict in `backlog.yaml`"), "{text}");
    assert!(text.contains("[backlog.yaml:2:1]"), "{text}");

    let policy = "settings {\n<<<<<<< HEAD\n  near = 5\n=======\n  near = 8\n>>>>>>> other\n}\n";
    std::fs::write(dir.path().join("backlint.policy"), policy).unwrap();
    let text = run(dir.path(), &["--no-history"]);
    assert!(text.contains("unresolved merge conflict in `backlint.policy`"), "{text}");

    let tasks = dir.path().join("md/backlog/tasks");
    std::fs::create_dir_all(&tasks).unwrap();
    std::fs::write(dir.path().join("md/backlog/config.yml"), "project_name: X\n").unwrap();
    std::fs::write(tasks.join("task-1 - Do.md"), format!("---\nid: task-1\n{conflict}---\n")).unwrap();
    std::fs::remove_file(dir.path().join("backlint.policy")).unwrap();
    let text = run(dir.path(), &["md", "--no-history"]);
    assert!(text.contains("unresolved merge conflict in `md/backlog/tasks/task-1 - Do.md`"), "{text}");
}
