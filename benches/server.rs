//! `cargo bench --bench server`: how long after a change `backlint server` publishes the new
//! diagnostics, for generated backlogs of 200 and 10,000 items (goals: 50 ms and 500 ms). The real
//! binary is driven over JSON-RPC, as an editor drives it: each change flips an item's id so that a
//! duplicate appears or goes, the server waits out its debounce, checks the unsaved buffer (history
//! read once, at the first check) and publishes. Also printed: the check alone, in-process.
//! Speed is measured here, never in tests. `BACKLINT_BENCH_RUNS` sets the changes per size (21).

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

fn send(stdin: &mut impl Write, message: Value) {
    let body = message.to_string();
    write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    stdin.flush().unwrap();
}

fn reader(stdout: impl Read + Send + 'static) -> Receiver<Value> {
    let (tx, rx) = channel();
    let mut stdout = BufReader::new(stdout);
    std::thread::spawn(move || {
        loop {
            let mut length = 0;
            loop {
                let mut header = String::new();
                if stdout.read_line(&mut header).unwrap_or(0) == 0 {
                    return;
                }
                match header.trim_end() {
                    "" => break,
                    h => {
                        if let Some(n) = h.strip_prefix("Content-Length: ") {
                            length = n.parse().unwrap();
                        }
                    }
                }
            }
            let mut body = vec![0; length];
            stdout.read_exact(&mut body).unwrap();
            if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                return;
            }
        }
    });
    rx
}

fn wait_diagnostics(rx: &Receiver<Value>) -> usize {
    loop {
        let m = rx.recv_timeout(Duration::from_secs(120)).expect("diagnostics");
        if m["method"] == "textDocument/publishDiagnostics" {
            return m["params"]["diagnostics"].as_array().map_or(0, Vec::len);
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let runs: usize = std::env::var("BACKLINT_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(21);
    println!(
        "{:>7}  {:>10}  {:>10}  {:>10}  {:>12}  {:>6}  goal",
        "items", "median", "p90", "max", "check alone", "diags"
    );
    for (n, goal) in [(200, 50.0), (10_000, 500.0)] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bench.backlog.yaml");
        let text = backlint::generate::yaml(n);
        let flipped = text.replacen("{id: PBI-1,", "{id: PBI-0,", 1);
        std::fs::write(&path, &text).unwrap();
        let uri = format!("file://{}", path.display());

        let mut child = Command::new(env!("CARGO_BIN_EXE_backlint"))
            .arg("server")
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let rx = reader(child.stdout.take().unwrap());
        send(&mut stdin, json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}));
        rx.recv().unwrap();
        send(&mut stdin, json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
        send(
            &mut stdin,
            json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}}),
        );
        let mut diagnostics = wait_diagnostics(&rx);
        let mut times = Vec::new();
        for run in 0..runs {
            let body = if run % 2 == 0 { &flipped } else { &text };
            let start = Instant::now();
            send(
                &mut stdin,
                json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": run + 2}, "contentChanges": [{"text": body}]}}),
            );
            diagnostics = diagnostics.max(wait_diagnostics(&rx));
            times.push(start.elapsed());
        }
        send(&mut stdin, json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}));
        send(&mut stdin, json!({"jsonrpc": "2.0", "method": "exit", "params": null}));
        child.wait().unwrap();
        times.sort();

        // The same check in-process, without the protocol and the debounce.
        let mut documents = backlint::analysis::Documents::new();
        documents.insert(&path, flipped.as_str());
        let request = backlint::analysis::Request {
            paths: vec![path.clone()],
            history: backlint::analysis::HistoryOptions { skip: true, ..Default::default() },
            documents,
            ..Default::default()
        };
        let mut alone: Vec<Duration> = (0..runs.min(11))
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(backlint::analysis::analyse(&request));
                start.elapsed()
            })
            .collect();
        alone.sort();
        println!(
            "{n:>7}  {:>7.1} ms  {:>7.1} ms  {:>7.1} ms  {:>9.1} ms  {diagnostics:>6}  {goal} ms",
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.9)),
            ms(*times.last().unwrap()),
            ms(percentile(&alone, 0.5)),
        );
    }
    println!(
        "(debounce {} ms included; a change is sent, and the clock stops when its diagnostics arrive)",
        backlint::server::DEBOUNCE.as_millis()
    );
}
