//! The time of parsing, modelling and all rules together, then each built-in rule's time alone
//! over one native backlog, slowest first, to find the rule a profile should look at next:
//!   cargo run --release --example rulecost -- big.backlog.yaml [RULE]
//! Every line includes the shared set-up of a run (states and horizons of the items), the same for
//! each rule: the cheapest rules show what it costs.
use backlint::model::Backlog;
use backlint::text::SourceFile;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (path, only) = match args.as_slice() {
        [path] => (path, None),
        [path, rule] => (path, Some(rule)),
        _ => {
            eprintln!("usage: rulecost FILE [RULE]");
            std::process::exit(2);
        }
    };
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        eprintln!("cannot read {path}: {e}");
        std::process::exit(2);
    });
    let file = SourceFile::new(path, text.as_str());
    let started = Instant::now();
    let tree = backlint::yaml::parse(&file, Default::default()).unwrap_or_else(|e| {
        eprintln!("{path}: {e:?}");
        std::process::exit(2);
    });
    let parsed = started.elapsed();
    let backlog = Backlog::from_yaml(file, tree).unwrap_or_else(|e| {
        eprintln!("{path}: {e:?}");
        std::process::exit(2);
    });
    let modelled = started.elapsed() - parsed;
    let (policy, _) = backlint::policy::compile(&[]);
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let started = Instant::now();
    // With one rule named (for a profiler), that rule alone runs.
    let all = if only.is_none() { backlint::engine::run(&policy, &backlog).len() } else { 0 };
    // `RULECOST_REPEAT=N`: all rules N more times, the fastest printed (a steadier figure on a busy machine).
    let repeat: usize = std::env::var("RULECOST_REPEAT").ok().and_then(|n| n.parse().ok()).unwrap_or(0);
    if repeat > 0 {
        let fastest = (0..repeat)
            .map(|_| {
                let start = Instant::now();
                backlint::engine::run(&policy, &backlog);
                start.elapsed()
            })
            .min()
            .unwrap_or_default();
        println!("all rules, fastest of {repeat}: {:.1} ms", ms(fastest));
    }
    println!(
        "parse (tree, every core) {:.1} ms, model {:.1} ms, all rules together (every core) {:.1} ms, {all} findings\n",
        ms(parsed),
        ms(modelled),
        ms(started.elapsed())
    );
    let mut rows: Vec<(f64, String, usize)> = Vec::new();
    for name in policy.rules.iter().map(|r| &r.name).filter(|n| only.is_none_or(|o| o == *n)) {
        let mut alone = policy.clone();
        for rule in &mut alone.rules {
            rule.enabled = &rule.name == name;
        }
        let start = Instant::now();
        let findings = backlint::engine::run(&alone, &backlog);
        rows.push((start.elapsed().as_secs_f64() * 1000.0, name.clone(), findings.len()));
    }
    // Each check of each rule alone, too (`RULECOST_CHECKS=1`): a rule's time is its checks'.
    if std::env::var_os("RULECOST_CHECKS").is_some() {
        for rule in policy.rules.iter().filter(|r| only.is_none_or(|o| o == &r.name)) {
            for k in 0..rule.checks.len() {
                let mut alone = policy.clone();
                for r in &mut alone.rules {
                    r.enabled = r.name == rule.name;
                    if r.enabled {
                        r.checks = vec![rule.checks[k].clone()];
                    }
                }
                let start = Instant::now();
                let findings = backlint::engine::run(&alone, &backlog);
                rows.push((
                    start.elapsed().as_secs_f64() * 1000.0,
                    format!("{} #{}", rule.name, k + 1),
                    findings.len(),
                ));
            }
        }
    }
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!("| rule | ms | findings |\n|---|---|---|");
    for (ms, name, findings) in rows {
        println!("| {name} | {ms:.1} | {findings} |");
    }
}
