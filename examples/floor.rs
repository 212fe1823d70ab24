//! The parse-only floor, for instruction counts (`valgrind --tool=callgrind`): reads a YAML file and
//! walks every saphyr-parser event on one thread, building nothing, as `benches/scale.rs` does.
//!   cargo build --release --example floor && target/release/examples/floor big.backlog.yaml
fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: floor FILE");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        eprintln!("cannot read {path}: {e}");
        std::process::exit(2);
    });
    let mut events = 0usize;
    for event in saphyr_parser::Parser::new_from_str(&text) {
        if let Err(e) = event {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
        events += 1;
    }
    println!("{events} events");
}
