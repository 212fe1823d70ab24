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
    // The precompiled image of these rules (`src/policy/image.rs`) is read only when it was made from
    // the same rule files by the same compiler: a hash of both, which the image starts with.
    let mut hash = Fnv::default();
    for f in files.iter().map(String::as_str).chain(COMPILER) {
        println!("cargo:rerun-if-changed={f}");
        hash.write(f.as_bytes());
        hash.write(&std::fs::read(root.join(f)).expect("a compiler or rule file is readable"));
    }
    let mut out = String::from("/// The built-in rules, one file per rule, embedded at build time by `build.rs`.\n");
    out.push_str("pub const BUILTIN: &[(&str, &str)] = &[\n");
    for f in &files {
        writeln!(out, "    ({f:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/{f}\"))),").unwrap();
    }
    out.push_str("];\n");
    writeln!(out, "/// Hash of the rule files and the policy compiler: see `policy::image`.").unwrap();
    writeln!(out, "pub const BUILTIN_HASH: u64 = {:#x};", hash.0).unwrap();
    let dest = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_rules.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

/// The sources whose change changes the compiled rules: the grammar, the parser and checker, the IR
/// and its image format, and the model's schema that names and types resolve against.
const COMPILER: [&str; 7] = [
    "grammar/backlint.pest",
    "src/policy/ast.rs",
    "src/policy/parse.rs",
    "src/policy/check.rs",
    "src/policy/ir.rs",
    "src/policy/image.rs",
    "src/model/mod.rs",
];

/// FNV-1a, 64 bits: no dependency for a build script, and stable across Rust versions.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        // The length first, so that consecutive inputs cannot run into each other.
        for b in (bytes.len() as u64).to_le_bytes().iter().chain(bytes) {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}
