//! Hostile input: writing. Outputs go where the user points, and never replace what is not a
//! regular file; every write error is exit 2 with a message. Special files are made in temp
//! folders: never the machine's own devices.
#![cfg(unix)]

use super::*;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn backlint() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_backlint"));
    c.env("NO_COLOR", "1");
    c
}

fn healthy_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("examples/healthy/backlog.yaml"), dir.path().join("backlog.yaml")).unwrap();
    dir
}

/// A backlog whose JSON report is far larger than a pipe's buffer (64 KiB).
fn noisy_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    // A declared goal that one item links to and the others do not: one finding per other item.
    let mut text = String::from(
        "product: X\nproduct_owner: Dana\nproduct_goals:\n  - {id: G1, statement: More, status: active}\nitems:\n  - {id: I, title: Do the linked thing, goal: G1}\n",
    );
    for i in 0..2_000 {
        text += &format!("  - {{id: I{i}, title: Do thing {i}}}\n");
    }
    std::fs::write(dir.path().join("backlog.yaml"), text).unwrap();
    dir
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo failed");
}

/// Reads the FIFO in a thread; `None` when nothing opened it for writing in time.
fn read_fifo_later(path: &Path) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        let mut text = String::new();
        std::fs::File::open(&path).unwrap().read_to_string(&mut text).unwrap();
        let _ = tx.send(text);
    });
    rx
}

fn text(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

#[test]
fn output_into_a_fifo_is_written_through_and_the_fifo_stays() {
    let dir = healthy_dir();
    let fifo = dir.path().join("report.fifo");
    mkfifo(&fifo);
    let report = read_fifo_later(&fifo);
    let o = check_in(dir.path(), &["--output", "report.fifo"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let got = report.recv_timeout(Duration::from_secs(30)).expect("the reader got nothing: the FIFO was replaced");
    assert!(got.contains("in 1 backlog"), "{got}");
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(), "the FIFO was replaced");
}

#[test]
fn a_fifo_whose_reader_goes_away_is_exit_2() {
    let dir = noisy_dir();
    let fifo = dir.path().join("out.fifo");
    mkfifo(&fifo);
    let (opened, reader) = mpsc::channel();
    {
        let fifo = fifo.clone();
        // Opens (letting the writer's open return), then closes without reading.
        std::thread::spawn(move || {
            drop(std::fs::File::open(fifo).unwrap());
            let _ = opened.send(());
        });
    }
    let o = check_in(dir.path(), &["--format", "json", "-o", "out.fifo"]);
    reader.recv_timeout(Duration::from_secs(30)).expect("nothing opened the FIFO: it was replaced");
    let all = assert_handled(&o, "reader gone");
    assert_eq!(o.status.code(), Some(2), "{all}");
    assert!(all.contains("cannot write `out.fifo`"), "{all}");
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
}

#[test]
fn output_through_a_symlink_writes_its_target_and_keeps_the_link() {
    let dir = healthy_dir();
    std::fs::write(dir.path().join("real.txt"), "old").unwrap();
    std::os::unix::fs::symlink("real.txt", dir.path().join("link.txt")).unwrap();
    let o = check_in(dir.path(), &["-o", "link.txt"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(std::fs::symlink_metadata(dir.path().join("link.txt")).unwrap().file_type().is_symlink());
    assert!(std::fs::read_to_string(dir.path().join("real.txt")).unwrap().contains("in 1 backlog"));
}

#[test]
fn a_symlink_chain_is_followed_with_each_target_relative_to_its_link() {
    let dir = healthy_dir();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::os::unix::fs::symlink("sub/second", dir.path().join("first")).unwrap();
    // Relative to `sub/`, where this link lives: `sub/final.txt`, which does not exist yet.
    std::os::unix::fs::symlink("final.txt", dir.path().join("sub/second")).unwrap();
    let o = check_in(dir.path(), &["-o", "first"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(std::fs::read_to_string(dir.path().join("sub/final.txt")).unwrap().contains("in 1 backlog"));
    assert!(!dir.path().join("final.txt").exists());
    for link in ["first", "sub/second"] {
        assert!(std::fs::symlink_metadata(dir.path().join(link)).unwrap().file_type().is_symlink(), "{link}");
    }
}

#[test]
fn a_symlink_loop_is_an_error_not_a_hang() {
    let dir = healthy_dir();
    std::os::unix::fs::symlink("b", dir.path().join("a")).unwrap();
    std::os::unix::fs::symlink("a", dir.path().join("b")).unwrap();
    let o = check_in(dir.path(), &["-o", "a"]);
    let all = assert_handled(&o, "loop");
    assert_eq!(o.status.code(), Some(2), "{all}");
    assert!(std::fs::symlink_metadata(dir.path().join("a")).unwrap().file_type().is_symlink());
}

#[test]
fn a_new_file_takes_the_umask_and_an_existing_file_keeps_its_mode() {
    let dir = healthy_dir();
    let run = |target: &str, baseline: bool| {
        let flag = if baseline { "--write-baseline" } else { "--output" };
        let o = Command::new("sh")
            .current_dir(dir.path())
            .args(["-c", "umask 022; exec \"$0\" check \"$1\" \"$2\"", env!("CARGO_BIN_EXE_backlint"), flag, target])
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{target}: {}", text(&o));
    };
    let mode = |name: &str| std::fs::metadata(dir.path().join(name)).unwrap().permissions().mode() & 0o7777;
    run("new.txt", false);
    assert_eq!(mode("new.txt"), 0o644, "a new report");
    run("new.json", true);
    assert_eq!(mode("new.json"), 0o644, "a new baseline");
    for kept in [0o600, 0o640] {
        let name = format!("kept-{kept:o}.txt");
        std::fs::write(dir.path().join(&name), "old").unwrap();
        std::fs::set_permissions(dir.path().join(&name), std::fs::Permissions::from_mode(kept)).unwrap();
        run(&name, false);
        assert_eq!(mode(&name), kept, "{name}");
        assert!(std::fs::read_to_string(dir.path().join(&name)).unwrap().contains("in 1 backlog"));
    }
}

#[test]
fn a_dash_means_standard_output() {
    let dir = healthy_dir();
    let o = check_in(dir.path(), &["-o", "-"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("in 1 backlog"));
    assert!(!dir.path().join("-").exists());

    let o = backlint().current_dir(dir.path()).args(["report", "--format", "markdown", "-o", "-"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains('|'), "{}", text(&o));
    assert!(!dir.path().join("-").exists());

    let o = check_in(dir.path(), &["--write-baseline", "-"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let baseline: backlint::baseline::Baseline =
        serde_json::from_slice(&o.stdout).expect("stdout is the baseline alone");
    assert_eq!(baseline.version, backlint::baseline::VERSION);
    assert!(!dir.path().join("-").exists());
}

#[test]
fn a_closed_pipe_is_exit_2_for_every_command() {
    let dir = noisy_dir();
    let commands: [&[&str]; 8] = [
        &["check"],
        &["check", "--format", "json"],
        &["report", "--format", "markdown"],
        &["rules"],
        &["explain", "missing-acceptance-criteria"],
        &["completions", "bash"],
        &["man"],
        &["test"],
    ];
    for args in commands {
        // The reader is gone before backlint starts: every write fails, however small or early.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = backlint().current_dir(dir.path()).args(args).stdout(writer).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("standard output"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn a_path_under_a_regular_file_is_exit_2_for_root_too() {
    let dir = healthy_dir();
    for flag in ["--output", "--write-baseline"] {
        let o = check_in(dir.path(), &[flag, "backlog.yaml/out"]);
        let all = assert_handled(&o, flag);
        assert_eq!(o.status.code(), Some(2), "{flag}: {all}");
        assert!(all.contains("cannot write"), "{flag}: {all}");
    }
    let o = backlint().current_dir(dir.path()).args(["report", "-o", "backlog.yaml/out.html"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn a_socket_target_is_refused_and_kept() {
    let dir = healthy_dir();
    let sock = dir.path().join("out.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let o = check_in(dir.path(), &["-o", "out.sock"]);
    let all = assert_handled(&o, "socket");
    assert_eq!(o.status.code(), Some(2), "{all}");
    assert!(all.contains("socket"), "{all}");
    assert!(std::fs::symlink_metadata(&sock).unwrap().file_type().is_socket(), "the socket was replaced");
}

#[test]
fn init_refuses_a_symlinked_policy_or_backlog() {
    let outer = tempfile::tempdir().unwrap();
    let repo = outer.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    let outside = outer.path().join("outside.txt");
    std::fs::write(&outside, "precious").unwrap();
    let init = |force: bool| {
        let mut c = backlint();
        c.current_dir(&repo).arg("init").stdin(Stdio::null());
        if force {
            c.arg("--force");
        }
        c.output().unwrap()
    };

    std::os::unix::fs::symlink(&outside, repo.join("backlint.policy")).unwrap();
    let o = init(true);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("symbolic link"), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious");
    assert!(std::fs::symlink_metadata(repo.join("backlint.policy")).unwrap().file_type().is_symlink());

    // A dangling link is not "no file": following it would create a file outside the repository.
    std::fs::remove_file(repo.join("backlint.policy")).unwrap();
    let planted = outer.path().join("planted.policy");
    std::os::unix::fs::symlink(&planted, repo.join("backlint.policy")).unwrap();
    let o = init(false);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!planted.exists(), "init wrote outside the repository");

    std::fs::remove_file(repo.join("backlint.policy")).unwrap();
    std::os::unix::fs::symlink(&planted, repo.join("backlog.yaml")).unwrap();
    let o = init(false);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!planted.exists(), "init wrote outside the repository");
}

#[test]
fn quiet_does_not_claim_no_findings_when_it_fails() {
    let dir = noisy_dir();
    let o = check_in(dir.path(), &["--quiet", "--fail-on", "warning"]);
    let out = String::from_utf8_lossy(&o.stdout);
    if o.status.code() == Some(1) {
        assert!(!out.contains("no findings"), "{out}");
        assert!(out.contains("--quiet"), "{out}");
    }
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}

#[test]
fn absurd_baseline_counts_are_an_error() {
    let dir = noisy_dir();
    let entry = |count: &str| {
        format!(r#"{{"backlog": "backlog.yaml", "rule": "no-such-rule", "item": "I1", "count": {count}}}"#)
    };
    let huge = "18446744073709551615";
    let cases = [
        format!(r#"{{"version": 1, "entries": [{}]}}"#, entry(huge)),
        format!(r#"{{"version": 1, "entries": [{}, {}]}}"#, entry(huge), entry(huge)),
    ];
    for json in cases {
        std::fs::write(dir.path().join("baseline.json"), &json).unwrap();
        let o = check_in(dir.path(), &["--baseline", "baseline.json"]);
        let all = assert_handled(&o, &json);
        assert_eq!(o.status.code(), Some(2), "{json}: {all}");
        assert!(all.contains("count"), "{json}: {all}");
    }
    // Large but sane counts of entries that no longer occur still sum without overflow.
    let many: Vec<String> = (0..3)
        .map(|i| format!(r#"{{"backlog": "backlog.yaml", "rule": "gone-{i}", "item": "", "count": 1000}}"#))
        .collect();
    std::fs::write(dir.path().join("baseline.json"), format!(r#"{{"version": 1, "entries": [{}]}}"#, many.join(",")))
        .unwrap();
    let o = check_in(dir.path(), &["--baseline", "baseline.json"]);
    let all = assert_handled(&o, "sane");
    assert!(all.contains("3000 baseline findings no longer occur"), "{all}");
}
