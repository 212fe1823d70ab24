//! `cargo bench --bench history`: the history scan on a generated repository of 1,000 commits of a
//! 200-item backlog (five authors; each commit moves, adds or removes items), and on the real
//! Backlog.md projects of `../shared/data/real/` when they are there (and on a history written by
//! the real Backlog.md CLI, see `BACKLOG_CLI_HISTORY` below): cold (no cache), warm, and the
//! floor of reading every version with git alone (`git log -p` of the folder, written to a file),
//! measured in the same run; and on a synthetic Backlog.md history of 3,000 commits. Speed is
//! measured here, never in tests.

use backlint::history::{self, Target};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

const COMMITS: usize = 1_000;
const ITEMS: usize = 200;

/// A tiny deterministic generator (xorshift), so every run builds the same history.
struct Rng(u64);
impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn backlog(ids: &[usize]) -> String {
    let mut text = String::from("product: Bench\nproduct_owner: Dana Lee\nitems:\n");
    for id in ids {
        text += &format!(
            "  - id: PBI-{id}\n    title: Generated item number {id} for the history benchmark\n    goal: G1\n    estimate: 3\n    acceptance_criteria: [It works]\n"
        );
    }
    text
}

/// Builds the repository with one `git fast-import` stream.
fn build(dir: &std::path::Path) {
    let git = |args: &[&str]| Command::new("git").args(args).current_dir(dir).output().unwrap();
    git(&["init", "-q", "-b", "main"]);
    let mut import =
        Command::new("git").args(["fast-import", "--quiet"]).current_dir(dir).stdin(Stdio::piped()).spawn().unwrap();
    let mut stream = String::new();
    let authors = [
        "Dana Lee <dana@example.com>",
        "Sam Ortiz <sam@example.com>",
        "Priya Shah <priya@example.com>",
        "Tom Berg <tom@example.com>",
        "Ana Ruiz <ana@example.com>",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut ids: Vec<usize> = (1..=ITEMS).collect();
    let mut next_id = ITEMS + 1;
    for c in 0..COMMITS {
        match (c > 0).then(|| rng.next(3)) {
            Some(0) => {
                let from = rng.next(ids.len());
                let item = ids.remove(from);
                ids.insert(rng.next(ids.len()), item);
            }
            Some(1) => {
                ids.remove(rng.next(ids.len()));
                ids.push(next_id);
                next_id += 1;
            }
            _ => {
                let (a, b) = (rng.next(ids.len()), rng.next(ids.len()));
                ids.swap(a, b)
            }
        }
        let text = backlog(&ids);
        let author = authors[rng.next(authors.len())];
        let when = 1_767_225_600 + c as u64 * 3_600;
        let message = "Update the backlog\n\nReorder-Rationale: generated\n";
        stream += &format!(
            "commit refs/heads/main\nauthor {author} {when} +0000\ncommitter {author} {when} +0000\ndata {}\n{message}\nM 100644 inline backlog.yaml\ndata {}\n{text}\n",
            message.len(),
            text.len()
        );
    }
    import.stdin.take().unwrap().write_all(stream.as_bytes()).unwrap();
    assert!(import.wait().unwrap().success());
    git(&["checkout", "-q", "main"]);
}

/// Median, min and max of `runs` in milliseconds.
fn spread(runs: &mut [f64]) -> String {
    runs.sort_by(f64::total_cmp);
    format!(
        "median {:.0} ms (min {:.0}, max {:.0}, {} runs)",
        runs[runs.len() / 2],
        runs[0],
        runs[runs.len() - 1],
        runs.len()
    )
}

fn millis(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

/// The real Backlog.md histories: each bundle cloned once, then timed cold and warm against the floor.
fn real_repositories() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/real");
    let only = std::env::var("REAL").ok();
    for name in ["ariadne", "code-charter", "panic", "writing-tools"] {
        let bundle = data.join(name).join("history.bundle");
        if !bundle.exists() || only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let clone = dir.path().join(name);
        let ok = Command::new("git").arg("clone").arg("-q").arg(&bundle).arg(&clone).output();
        if !ok.is_ok_and(|o| o.status.success()) {
            continue;
        }
        folder_case(name, &clone, 5);
    }
    // A history written by the real Backlog.md CLI (`scripts/backlog-cli-history.py` builds one; it
    // needs the CLI from npm, so it is not shipped): BACKLOG_CLI_HISTORY=path/to/history.bundle.
    if let Ok(bundle) = std::env::var("BACKLOG_CLI_HISTORY") {
        let dir = tempfile::tempdir().unwrap();
        let clone = dir.path().join("cli");
        let ok = Command::new("git").arg("clone").arg("-q").arg(&bundle).arg(&clone).output();
        if ok.is_ok_and(|o| o.status.success()) {
            folder_case("history written by the Backlog.md CLI", &clone, 5);
        }
    }
}

/// A Backlog.md task file as the CLI writes it (front matter, description, criteria).
fn task(id: usize, ordinal: usize) -> String {
    format!(
        "---\nid: task-{id}\ntitle: Generated task number {id}\nstatus: To Do\nassignee: []\ncreated_date: '2026-01-01 10:00'\nlabels: []\ndependencies: []\nordinal: {ordinal}\n---\n\n## Description\n\n<!-- SECTION:DESCRIPTION:BEGIN -->\nMembers need task {id}.\n<!-- SECTION:DESCRIPTION:END -->\n\n## Acceptance Criteria\n<!-- AC:BEGIN -->\n- [ ] #1 It works\n<!-- AC:END -->\n"
    )
}

/// A synthetic Backlog.md history: `commits` commits over `backlog/tasks/`, each adding a task or
/// moving one (a new `ordinal`), by five authors; one `git fast-import` stream.
fn build_folder(dir: &std::path::Path, commits: usize) {
    let git = |args: &[&str]| Command::new("git").args(args).current_dir(dir).output().unwrap();
    git(&["init", "-q", "-b", "main"]);
    let mut import =
        Command::new("git").args(["fast-import", "--quiet"]).current_dir(dir).stdin(Stdio::piped()).spawn().unwrap();
    let authors = ["Dana Lee <dana@example.com>", "Sam Ortiz <sam@example.com>", "Priya Shah <priya@example.com>"];
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut stream = String::new();
    let mut tasks = 0usize;
    for c in 0..commits {
        let mut files = String::new();
        let mut put = |id: usize, ordinal: usize| {
            let text = task(id, ordinal);
            files += &format!("M 100644 inline backlog/tasks/task-{id}.md\ndata {}\n{text}\n", text.len());
        };
        if c < 20 || rng.next(4) == 0 {
            tasks += 1;
            put(tasks, tasks * 1000);
        } else {
            put(1 + rng.next(tasks), 1 + rng.next(tasks * 1000));
        }
        let author = authors[rng.next(authors.len())];
        let when = 1_767_225_600 + c as u64 * 3_600;
        let message = "Update the backlog\n";
        stream += &format!(
            "commit refs/heads/main\nauthor {author} {when} +0000\ncommitter {author} {when} +0000\ndata {}\n{message}\n{files}",
            message.len()
        );
    }
    import.stdin.take().unwrap().write_all(stream.as_bytes()).unwrap();
    assert!(import.wait().unwrap().success());
    git(&["checkout", "-q", "main"]);
}

/// Cold (no cache) and warm history of a Backlog.md folder against the floor of reading every
/// version with git alone: `git log -p -- backlog` written to a file, measured in the same run.
fn folder_case(name: &str, clone: &std::path::Path, runs: usize) {
    let tasks = clone.join("backlog/tasks");
    let cache = clone.join(".git/backlint");
    let out = tempfile::NamedTempFile::new().unwrap();
    let (mut cold, mut warm, mut floor) = (Vec::new(), Vec::new(), Vec::new());
    let mut events = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let status = Command::new("git")
            .args(["log", "-p", "--no-ext-diff", "--no-textconv", "--", "backlog"])
            .current_dir(clone)
            .stdout(out.reopen().unwrap())
            .status()
            .unwrap();
        assert!(status.success());
        floor.push(millis(start));
        let _ = std::fs::remove_dir_all(&cache);
        let start = Instant::now();
        events = history::scan(Target::Folder(&tasks), None).expect("history").events.len();
        cold.push(millis(start));
        let start = Instant::now();
        history::scan(Target::Folder(&tasks), None).expect("history");
        warm.push(millis(start));
    }
    let median = |runs: &[f64]| {
        let mut r = runs.to_vec();
        r.sort_by(f64::total_cmp);
        r[r.len() / 2]
    };
    let ratio = median(&cold) / median(&floor);
    println!("{name} ({events} moves): history cold {}", spread(&mut cold));
    println!("{name}: history warm {}", spread(&mut warm));
    println!("{name}: floor `git log -p -- backlog` {}; cold / floor = {ratio:.2}", spread(&mut floor));
}

fn main() {
    real_repositories();
    let dir = tempfile::tempdir().unwrap();
    build_folder(dir.path(), 3_000);
    folder_case("synthetic Backlog.md history, 3,000 commits", dir.path(), 5);
    drop(dir);
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    if let Ok(keep) = std::env::var("KEEP_REPO") {
        let _ = Command::new("cp").args(["-r", &format!("{}/.", dir.path().display()), &keep]).status();
    }
    let target = dir.path().join("backlog.yaml");
    // Cold: no cache, every version read from git and parsed; warm: the versions from the cache.
    let (mut cold, mut warm) = (Vec::new(), Vec::new());
    let mut events = 0;
    for _ in 0..5 {
        let _ = std::fs::remove_dir_all(dir.path().join(".git/backlint"));
        let start = Instant::now();
        events = history::scan(Target::File(&target), None).expect("history").events.len();
        cold.push(millis(start));
        let start = Instant::now();
        history::scan(Target::File(&target), None).expect("history");
        warm.push(millis(start));
    }
    let case = format!("history scan: {COMMITS} commits of a {ITEMS}-item backlog ({events} reorder events)");
    println!("{case}: cold {}", spread(&mut cold));
    println!("{case}: warm {}", spread(&mut warm));
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_backlint"))
        .args(["check", "--format", "short", "--exit-zero"])
        .arg(&target)
        .output()
        .unwrap();
    println!(
        "whole `backlint check` with history (warm cache): {:.0} ms ({} findings lines)",
        start.elapsed().as_secs_f64() * 1000.0,
        out.stdout.iter().filter(|&&b| b == b'\n').count()
    );
}
