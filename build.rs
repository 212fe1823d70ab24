//! Embeds every built-in rule: each `rules/<group>/<rule>.policy` becomes an entry of
//! `policy::BUILTIN`, so a new rule file is picked up without a hand-kept list.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // Read at run time: a build script compiled for one checkout may run for another (a copied target/).
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest_dir);
    let rules = root.join("rules");
    println!("cargo:rerun-if-changed=rules");
    let mut files = Vec::new();
    for group in std::fs::read_dir(&rules).expect("rules/ is readable") {
        let group = group.expect("rules/ is readable").path();
        if !group.is_dir() {
            continue;
        }
        println!("cargo:rerun-if-changed={}", group.display());
        for file in std::fs::read_dir(&group).expect("a rule group is readable") {
            let file = file.expect("a rule group is readable").path();
            if file.extension().is_some_and(|e| e == "policy") {
                files.push(file.strip_prefix(root).expect("inside the crate").to_string_lossy().replace('\\', "/"));
            }
        }
    }
    // Sorted, so the embedded order (and every output that follows it) does not depend on the file system.
    files.sort();
    let mut out = String::from("/// The built-in rules, one file per rule, embedded at build time by `build.rs`.\n");
    out.push_str("pub const BUILTIN: &[(&str, &str)] = &[\n");
    for f in &files {
        writeln!(out, "    ({f:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/{f}\"))),").unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_rules.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}
