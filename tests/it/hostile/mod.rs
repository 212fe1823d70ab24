//! Hostile input: every case ends in a clean result or a located error (exit 0, 1 or 2), never a
//! panic, a hang or unbounded memory; a bad file is reported and the rest of the run continues.

use super::*;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

pub fn check_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backlint"))
        .arg("check")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// A value every child's environment carries, which no output may ever show.
pub const SECRET: &str = "ci-token-5f3a9c1e";

/// `backlint ARGS` in `dir`; a run that never ends fails the test instead of hanging the suite.
pub fn backlint_in(dir: &Path, args: &[&str]) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_backlint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("BACKLINT_TEST_SECRET", SECRET)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A FIFO used to hang the run for ever: give up loudly instead of hanging the test suite. The
    // output is read meanwhile, so a large one cannot fill the pipe and pass for a hang.
    let pid = rustix::process::Pid::from_child(&child);
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || sender.send(child.wait_with_output()));
    match receiver.recv_timeout(Duration::from_secs(60)) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            panic!("backlint {args:?} hung");
        }
    }
}

pub fn assert_handled(o: &Output, what: &str) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(matches!(o.status.code(), Some(0..=2)), "{what}: exit {:?}\n{out}{err}", o.status.code());
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{what} panicked:\n{err}");
    out + &err
}

/// A good backlog beside the hostile file, which must still be checked.
fn with_good_neighbour(name: &str, bytes: &[u8]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("good")).unwrap();
    std::fs::copy(root().join("examples/healthy/backlog.yaml"), dir.path().join("good/backlog.yaml")).unwrap();
    std::fs::create_dir(dir.path().join("bad")).unwrap();
    std::fs::write(dir.path().join("bad").join(name), bytes).unwrap();
    let o = check_in(dir.path(), &["."]);
    let text = assert_handled(&o, name);
    (dir, text)
}

#[test]
fn small_hostile_files_are_reported_and_the_rest_is_checked() {
    let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
    for i in 0..9 {
        let prev = if i == 0 { "a".to_string() } else { format!("l{}", i - 1) };
        bomb +=
            &format!("l{i}: &l{i} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n");
    }
    let deep_block: String = (0..10_000).map(|i| format!("{}k:\n", " ".repeat(i % 200))).collect();
    let cases: Vec<(&str, Vec<u8>, Option<&str>)> = vec![
        ("empty", Vec::new(), Some("must be a mapping")),
        ("bom", "\u{feff}product: X\nitems: []\n".as_bytes().to_vec(), None),
        (
            "crlf",
            b"product: X\r\nproduct_owner: Dana\r\nitems:\r\n  - id: A\r\n    title: Pay by card today\r\n".to_vec(),
            None,
        ),
        ("tabs", b"product: X\nitems:\n\t- id: A\n".to_vec(), Some("invalid YAML")),
        ("latin1", b"product: caf\xe9\n".to_vec(), Some("not UTF-8")),
        ("binary", (0u8..=255).cycle().take(4096).collect(), Some("not UTF-8")),
        ("nul", b"product: a\x00b\n".to_vec(), None),
        ("bomb", bomb.into_bytes(), Some("aliases expand to too many values")),
        (
            "deep-flow",
            ("a: ".to_string() + &"[".repeat(10_000) + &"]".repeat(10_000)).into_bytes(),
            Some("invalid YAML"),
        ),
        ("deep-block", deep_block.into_bytes(), None),
        ("dupkeys", b"product: X\nproduct: Y\n".to_vec(), Some("duplicate key")),
        ("scalar", b"just text\n".to_vec(), Some("must be a mapping")),
        ("items-scalar", b"items: 5\n".to_vec(), Some("must be a list")),
        ("item-list", b"items:\n  - [a, b]\n".to_vec(), Some("must be a mapping")),
        ("huge-number", b"items:\n  - {id: A, estimate: 1e400, rank: -0}\n".to_vec(), None),
        ("tags", b"product: !!binary aGVsbG8=\nitems: !!set {a}\n".to_vec(), None),
        ("anchors-ok", b"dod: &d [Reviewed]\ndefinition_of_done: *d\nitems: []\n".to_vec(), None),
        ("multi-doc", b"product: X\n---\nproduct: Y\n".to_vec(), Some("more than one YAML document")),
    ];
    for (name, bytes, expected) in cases {
        let file = format!("{name}.backlog.yaml");
        let (_dir, text) = with_good_neighbour(&file, &bytes);
        assert!(
            text.contains(" in 1 backlog") || text.contains(" in 2 backlogs"),
            "{name}: the good backlog was not checked\n{text}"
        );
        if let Some(expected) = expected {
            assert!(text.contains(expected), "{name}: expected `{expected}` in\n{text}");
        }
    }
}

#[test]
fn a_1mb_single_line_and_a_100mb_file_end_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let title = "word ".repeat(200_000);
    std::fs::write(
        dir.path().join("long.backlog.yaml"),
        format!("product: X\nitems:\n  - {{id: A, title: \"{title}\"}}\n"),
    )
    .unwrap();
    assert_handled(&check_in(dir.path(), &["long.backlog.yaml"]), "1 MB line");
    // 100 MB of valid items: it is read and checked, not rejected, and nothing panics.
    let mut big = String::with_capacity(105 << 20);
    big.push_str("product: Big\nproduct_owner: Dana Lee\nitems:\n");
    let mut i = 0;
    while big.len() < 100 << 20 {
        big += &format!(
            "  - {{id: I{i}, title: Improve the export number {i} for shoppers, goal: G1, estimate: 3, acceptance_criteria: [works]}}\n"
        );
        i += 1;
    }
    std::fs::write(dir.path().join("big.backlog.yaml"), big).unwrap();
    let o = check_in(dir.path(), &["big.backlog.yaml", "--format", "short", "--quiet"]);
    let text = assert_handled(&o, "100 MB");
    assert!(text.contains("in 1 backlog"), "{}", &text[text.len().saturating_sub(500)..]);
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_unreadable_files_do_not_stop_the_run() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("a")).unwrap();
    std::os::unix::fs::symlink("..", dir.path().join("a/loop")).unwrap();
    std::fs::copy(root().join("examples/healthy/backlog.yaml"), dir.path().join("a/backlog.yaml")).unwrap();
    let locked = dir.path().join("a/locked.backlog.yaml");
    std::fs::write(&locked, "product: X\n").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let o = check_in(dir.path(), &["."]);
    let text = assert_handled(&o, "symlink loop + unreadable");
    // Root can read anything; elsewhere the unreadable file is an error and the run goes on.
    if std::fs::read(&locked).is_err() {
        assert_eq!(o.status.code(), Some(2));
        assert!(text.contains("permission denied"), "{text}");
    }
    assert!(text.contains("in 2 backlogs") || text.contains("in 1 backlog"), "{text}");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).unwrap();
}

#[test]
fn hostile_policies_are_located_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("examples/healthy/backlog.yaml"), dir.path().join("backlog.yaml")).unwrap();
    let deep = format!(
        "rule deep {{ group = x severity = info summary = \"d\" for item in items require {}true{} message \"m\" }}",
        "not (".repeat(5_000),
        ")".repeat(5_000)
    );
    let long_chain = format!(
        "rule chain {{ group = x severity = info summary = \"d\" for item in items require {} message \"m\" }}",
        vec!["item.estimate > 0"; 20_000].join(" and ")
    );
    let cases = [
        ("deep", deep, "P0002"),
        ("regex", "rule r { group = x severity = info summary = \"r\" for item in items forbid matches(item.title, \"(a+)+$\") message \"m\" }".to_string(), ""),
        ("huge-regex", format!("rule r {{ group = x severity = info summary = \"r\" for item in items forbid matches(item.title, \"{}\") message \"m\" }}", "\\\\w\\{1000\\}".repeat(50)), "P0014"),
        ("binary", String::from_utf8_lossy(&(0u8..=255).collect::<Vec<_>>()).into_owned(), "P0001"),
        ("chain", long_chain, "P0002"),
    ];
    for (name, text, code) in cases {
        std::fs::write(dir.path().join("backlint.policy"), text).unwrap();
        let o = check_in(dir.path(), &[]);
        let out = assert_handled(&o, name);
        if !code.is_empty() {
            assert!(out.contains(code), "{name}: expected {code} in\n{out}");
        }
    }
}

// Each class of hostile input from the safety review has its own module.
mod bounds;
mod git;
mod reading;
mod terminal;
mod writing;
