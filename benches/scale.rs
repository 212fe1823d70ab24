//! `cargo bench`: parse only, policy compile, rule evaluation and the whole process at 1k, 10k and
//! 100k generated items, and the Backlog.md source at 10k files. Prints a table (median of runs);
//! speed is measured here, never in tests.

use backlint::model::Backlog;
use backlint::text::SourceFile;
use std::process::Command;
use std::time::{Duration, Instant};

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(f());
                start.elapsed()
            })
            .collect(),
    )
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Wall time, CPU time and peak memory of the real binary, through GNU time.
fn process(args: &[&str]) -> (f64, f64, u64) {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%e %U %S %M", env!("CARGO_BIN_EXE_backlint")])
        .args(args)
        .args(["--format", "short"])
        .output()
        .expect("GNU time (/usr/bin/time) is installed");
    let err = String::from_utf8_lossy(&out.stderr);
    let last: Vec<f64> = err.lines().last().unwrap_or("").split_whitespace().filter_map(|v| v.parse().ok()).collect();
    match last.as_slice() {
        [wall, user, sys, kb] => (*wall, user + sys, *kb as u64),
        _ => (0.0, 0.0, 0),
    }
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    println!("| items | parse only | model | policy compile | rules | whole process (wall, CPU, peak) |");
    println!("|---|---|---|---|---|---|");
    let compile = time(20, || backlint::policy::compile(&[]));
    for n in [1_000, 10_000, 100_000] {
        let text = backlint::generate::yaml(n);
        let runs = if n >= 100_000 { 3 } else { 7 };
        let file = SourceFile::new("g.yaml", text.as_str());
        let parse = time(runs, || backlint::yaml::parse(&file, Default::default()).unwrap());
        let model = time(runs, || {
            Backlog::from_yaml(file.clone(), backlint::yaml::parse(&file, Default::default()).unwrap()).unwrap()
        });
        let (policy, _) = backlint::policy::compile(&[]);
        let backlog =
            Backlog::from_yaml(file.clone(), backlint::yaml::parse(&file, Default::default()).unwrap()).unwrap();
        let rules = time(runs, || backlint::engine::run(&policy, &backlog));
        let path = dir.path().join(format!("g{n}.backlog.yaml"));
        std::fs::write(&path, &text).unwrap();
        let walls: Vec<(f64, f64, u64)> = (0..runs).map(|_| process(&["check", path.to_str().unwrap()])).collect();
        let (wall, cpu, kb) = walls[walls.len() / 2];
        println!(
            "| {n} | {} | {} | {} | {} | {wall:.2} s, {cpu:.2} s, {} MB |",
            ms(parse),
            ms(model),
            ms(compile),
            ms(rules),
            kb / 1024
        );
    }
    let small = dir.path().join("small.backlog.yaml");
    std::fs::write(&small, backlint::generate::yaml(200)).unwrap();
    let (wall, _, kb) = process(&["check", small.to_str().unwrap()]);
    println!("\n200 items, process start to exit: {:.0} ms, {} MB", wall * 1000.0, kb / 1024);
    let folder = dir.path().join("folder");
    backlint::generate::folder(10_000, &folder).unwrap();
    let (wall, cpu, kb) = process(&["check", folder.to_str().unwrap()]);
    println!(
        "Backlog.md folder, 10,000 task files: {wall:.2} s wall, {cpu:.2} s CPU (CPU/wall {:.2}), {} MB",
        cpu / wall.max(1e-9),
        kb / 1024
    );
}
