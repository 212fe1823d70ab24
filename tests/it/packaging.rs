//! What the install paths rely on: the package metadata, the Python package that carries the
//! binary, the pre-commit hooks, the GitHub Action, and a README that names no tag that does not exist.

use super::*;
use std::process::Command;

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap()
}

#[test]
fn cargo_metadata_is_complete_and_the_readme_states_the_minimum_rust() {
    let cargo = read("Cargo.toml");
    for key in [
        "repository = \"https://github.com/backlint/backlint\"",
        "homepage = ",
        "readme = ",
        "keywords = ",
        "categories = ",
    ] {
        assert!(cargo.contains(key), "Cargo.toml lacks {key}");
    }
    let msrv = cargo.lines().find_map(|l| l.strip_prefix("rust-version = ")).unwrap().trim_matches('"');
    assert!(read("README.md").contains(&format!("**Rust {msrv} or newer**")), "the README states rust-version {msrv}");
}

#[test]
fn the_wheel_carries_the_binary_with_cargos_version() {
    let py = read("pyproject.toml");
    assert!(py.contains("build-backend = \"maturin\""), "{py}");
    assert!(py.contains("bindings = \"bin\""), "{py}");
    assert!(py.contains("dynamic = [\"version\"]"), "the version comes from Cargo.toml: {py}");
}

/// Each Rust hook has a Python twin that runs the same command on the same files.
#[test]
fn every_hook_has_a_python_twin() {
    let hooks = read(".pre-commit-hooks.yaml");
    let entries: Vec<&str> = hooks.split("\n- id: ").skip(1).collect();
    let field = |entry: &str, key: &str| {
        entry.lines().find_map(|l| l.trim().strip_prefix(&format!("{key}: ")).map(str::to_string)).unwrap_or_default()
    };
    let id = |entry: &str| entry.lines().next().unwrap().trim().to_string();
    let rust: Vec<&&str> = entries.iter().filter(|e| field(e, "language") == "rust").collect();
    assert_eq!(rust.len(), 2, "{hooks}");
    for r in rust {
        let twin = entries.iter().find(|e| id(e) == format!("{}-python", id(r))).expect("a python twin");
        assert_eq!(field(twin, "language"), "python");
        for key in ["entry", "files", "stages", "pass_filenames", "always_run", "require_serial"] {
            assert_eq!(field(twin, key), field(r, key), "{key} of {}", id(r));
        }
    }
}

/// No tag exists yet: the README's snippets pin commits, never `rev: v…` or `@v…` of backlint.
#[test]
fn the_readme_names_no_tag() {
    let readme = read("README.md");
    assert!(!readme.contains("rev: v"), "a pre-commit rev names a tag");
    assert!(!readme.contains("backlint/backlint@v"), "an action version names a tag");
    assert!(readme.contains("Nothing is published yet"), "the README says what is published");
}

#[test]
fn the_action_and_the_workflow_example_are_valid() {
    let Some(validator) = super::schema::validator() else {
        let required = std::env::var("BACKLINT_VALIDATORS").is_ok_and(|v| v == "require");
        assert!(!required, "BACKLINT_VALIDATORS=require, but check-jsonschema is not installed");
        eprintln!("NOTE: action.yml not validated: check-jsonschema is not installed (pip install check-jsonschema)");
        return;
    };
    for (schema, file) in
        [("vendor.github-actions", "action.yml"), ("vendor.github-workflows", "examples/ci/github-actions.yml")]
    {
        let o = Command::new(&validator).args(["--builtin-schema", schema]).arg(root().join(file)).output().unwrap();
        assert!(o.status.success(), "{file}: {}", String::from_utf8_lossy(&o.stdout));
    }
    let action = read("action.yml");
    assert!(action.contains("github/codeql-action/upload-sarif@") && action.contains("--format github"), "{action}");
    assert!(action.contains("cargo install --locked --path \"$GITHUB_ACTION_PATH\""), "{action}");
}
