//! Writes a deterministic generated backlog for benchmarks and trials:
//!   cargo run --release --example generate -- yaml 100000 big.backlog.yaml
//!   cargo run --release --example generate -- described 100000 big.backlog.yaml   (450 bytes an item)
//!   cargo run --release --example generate -- folder 10000 out/
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: generate yaml|described N FILE | generate folder N DIR";
    let (kind, n, target) = match args.as_slice() {
        [k, n, t] => (k.as_str(), n.parse::<usize>().expect(usage), std::path::PathBuf::from(t)),
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    let result = match kind {
        "yaml" => std::fs::write(&target, backlint::generate::yaml(n)),
        "described" => std::fs::write(&target, backlint::generate::described_yaml(n)),
        "folder" => backlint::generate::folder(n, &target),
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("cannot write {}: {e}", target.display());
        std::process::exit(2);
    }
}
