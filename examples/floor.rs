//! The parse-only floors, for instruction counts (`valgrind --tool=callgrind`), as `benches/scale.rs`
//! measures them, on one thread:
//!   target/release/examples/floor big.backlog.yaml          granit-parser's events, building nothing
//!   target/release/examples/floor --tree big.backlog.yaml   yaml-rust2's document tree (the floor
//!                                                           the performance issue measured against)
//! Build with `cargo build --release --example floor`.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (tree, path) = match args.as_slice() {
        [path] => (false, path),
        [flag, path] if flag == "--tree" => (true, path),
        _ => {
            eprintln!("usage: floor [--tree] FILE");
            std::process::exit(2);
        }
    };
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        eprintln!("cannot read {path}: {e}");
        std::process::exit(2);
    });
    if tree {
        match yaml_rust2::YamlLoader::load_from_str(&text) {
            Ok(docs) => println!("{} documents", docs.len()),
            Err(e) => {
                eprintln!("{path}: {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    let mut events = 0usize;
    for event in granit_parser::Parser::new_from_str(&text) {
        if let Err(e) = event {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
        events += 1;
    }
    println!("{events} events");
}
