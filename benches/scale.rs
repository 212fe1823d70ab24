//! `cargo bench --bench scale`: start-up, every built-in rule at 1k, 10k, 100k and 1M generated
//! items beside the parse-only floors, the four-check comparison policy, JSON output size, and the
//! Backlog.md source at 10k files. Prints tables (median of runs); speed is measured here, never
//! in tests. `BACKLINT_BENCH_MAX=100000` stops before the 1M runs (which need about 3 GB).
//!
//! Two workloads: items with a description (about 450 bytes an item, `generate::described_yaml`,
//! the shape of the performance issue's figures) and one-line items (about 90 bytes,
//! `generate::yaml`), where the rules weigh most against the parse.
//!
//! Two floors, each the YAML parser alone on one thread, with no model and no rules: yaml-rust2's
//! document tree (the floor the performance issue measured against), and granit-parser's events,
//! which build nothing (the least any YAML tool pays before it can look at a backlog).

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

/// A generated backlog of `n` items.
type Generator = fn(usize) -> String;

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// yaml-rust2's document tree of the file, one thread.
fn tree_floor(text: &str) -> usize {
    yaml_rust2::YamlLoader::load_from_str(text).expect("generated YAML parses").len()
}

/// Every granit-parser event of the file, one thread, building nothing.
fn floor(text: &str) -> usize {
    let mut events = 0;
    for event in granit_parser::Parser::new_from_str(text) {
        event.expect("generated YAML parses");
        events += 1;
    }
    events
}

/// Wall time, CPU time and peak memory of the real binary, through GNU time (median by wall time).
fn process(runs: usize, args: &[&str]) -> (f64, f64, u64) {
    let mut all: Vec<(f64, f64, u64)> = (0..runs)
        .map(|_| {
            let out = Command::new("/usr/bin/time")
                .args(["-f", "%e %U %S %M", env!("CARGO_BIN_EXE_backlint")])
                .args(args)
                .output()
                .expect("GNU time (/usr/bin/time) is installed");
            let err = String::from_utf8_lossy(&out.stderr);
            let last: Vec<f64> =
                err.lines().last().unwrap_or("").split_whitespace().filter_map(|v| v.parse().ok()).collect();
            match last.as_slice() {
                [wall, user, sys, kb] => (*wall, user + sys, *kb as u64),
                _ => (0.0, 0.0, 0),
            }
        })
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    all[all.len() / 2]
}

/// Start to exit in milliseconds, median of `runs`, measured here (GNU time rounds to 10 ms).
fn start_to_exit(runs: usize, args: &[&str]) -> f64 {
    let d = time(runs, || Command::new(env!("CARGO_BIN_EXE_backlint")).args(args).output().unwrap());
    d.as_secs_f64() * 1000.0
}

fn main() {
    let max: usize = std::env::var("BACKLINT_BENCH_MAX").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();

    let small = dir.path().join("small.backlog.yaml");
    std::fs::write(&small, backlint::generate::yaml(200)).unwrap();
    let small = small.to_str().unwrap();
    let check = start_to_exit(31, &["check", small, "--format", "short"]);
    let version = start_to_exit(31, &["--version"]);
    let compile = time(21, || backlint::policy::compile(&[]));
    let from_text = time(21, || backlint::policy::compile_from_source(&[]));
    println!("## Start-up\n");
    println!("| what | median |\n|---|---|");
    println!("| 200-item check, process start to exit (all rules) | {check:.1} ms |");
    println!("| `backlint --version`, start to exit | {version:.1} ms |");
    println!("| the built-in rules from their precompiled image, in process | {} |", ms(compile));
    println!("| the built-in rules compiled from their text (what the image saves), in process | {} |", ms(from_text));

    // The four checks of the Spectral comparison (scripts/compare-spectral.sh), every built-in rule off.
    let mut four_policy: String =
        backlint::policy::compile(&[]).0.rules.iter().map(|r| format!("disable {}\n", r.name)).collect();
    four_policy +=
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/spectral/checks.policy")).unwrap();
    let four_path = dir.path().join("four.policy");
    std::fs::write(&four_path, four_policy).unwrap();
    let four = four_path.to_str().unwrap();
    let shapes: [(&str, Generator); 2] = [
        ("items with a description (about 450 bytes an item)", backlint::generate::described_yaml),
        ("one-line items (about 90 bytes an item)", backlint::generate::yaml),
    ];
    for (shape, generate) in shapes {
        println!("\n## Every built-in rule, beside the parse-only floors: {shape}\n");
        println!(
            "| items | YAML | floor: yaml-rust2 tree | floor: granit events | backlint parse (tree, every core) | model | rules (every core) | whole process, all rules (wall, CPU, peak) | whole / tree floor | whole / events floor | four checks (wall, peak) | JSON output |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
        for n in [1_000, 10_000, 100_000, 1_000_000].into_iter().filter(|n| *n <= max) {
            let text = generate(n);
            let runs = match n {
                1_000_000 => 1,
                100_000 => 3,
                _ => 7,
            };
            let path = dir.path().join(format!("g{n}.backlog.yaml"));
            std::fs::write(&path, &text).unwrap();
            // The floors read the file too, as the process does.
            let tree_time = time(runs, || tree_floor(&std::fs::read_to_string(&path).unwrap()));
            let floor_time = time(runs, || floor(&std::fs::read_to_string(&path).unwrap()));
            let file = SourceFile::new("g.yaml", text.as_str());
            let parse = time(runs, || backlint::yaml::parse(&file, Default::default()).unwrap());
            // The model is timed with its parse, and shown without it.
            let model = time(runs, || {
                Backlog::from_yaml(file.clone(), backlint::yaml::parse(&file, Default::default()).unwrap()).unwrap()
            });
            let (policy, _) = backlint::policy::compile(&[]);
            let backlog =
                Backlog::from_yaml(file.clone(), backlint::yaml::parse(&file, Default::default()).unwrap()).unwrap();
            let rules = time(runs, || backlint::engine::run(&policy, &backlog));
            drop(backlog);
            let p = path.to_str().unwrap();
            let (wall, cpu, kb) = process(runs, &["check", p, "--format", "short"]);
            let (four_wall, _, four_kb) =
                process(runs, &["check", p, "--format", "short", "--policy", four, "--fail-on", "error"]);
            let json =
                Command::new(env!("CARGO_BIN_EXE_backlint")).args(["check", p, "--format", "json"]).output().unwrap();
            println!(
                "| {n} | {:.1} MB | {} | {} | {} | {} | {} | {wall:.2} s, {cpu:.2} s, {} MB | {:.2}x | {:.2}x | {four_wall:.2} s, {} MB | {:.1} MB |",
                text.len() as f64 / 1e6,
                ms(tree_time),
                ms(floor_time),
                ms(parse),
                ms(model.saturating_sub(parse)),
                ms(rules),
                kb / 1024,
                wall / tree_time.as_secs_f64().max(1e-9),
                wall / floor_time.as_secs_f64().max(1e-9),
                four_kb / 1024,
                json.stdout.len() as f64 / 1e6,
            );
        }
    }

    let folder = dir.path().join("folder");
    backlint::generate::folder(10_000, &folder).unwrap();
    let (wall, cpu, kb) = process(3, &["check", folder.to_str().unwrap(), "--format", "short"]);
    println!(
        "\nBacklog.md folder, 10,000 task files: {wall:.2} s wall, {cpu:.2} s CPU (CPU/wall {:.2}), {} MB",
        cpu / wall.max(1e-9),
        kb / 1024
    );
}
