//! The JSON Schema of the native backlog: the shipped file is what the loader's field lists make, and
//! a real validator (check-jsonschema, from PyPI) agrees with backlint on the examples and on broken
//! backlogs.

use super::*;
use std::process::Command;

const SCHEMA: &str = "schema/backlog.schema.json";

#[test]
fn shipped_schema_is_the_generated_one() {
    let shipped = std::fs::read_to_string(root().join(SCHEMA)).unwrap();
    assert!(
        shipped == backlint::model::schema::backlog_schema_text(),
        "{SCHEMA} is out of date: run `cargo run -- schema > {SCHEMA}`"
    );
    let o = Command::new(env!("CARGO_BIN_EXE_backlint")).arg("schema").output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stdout), shipped);
}

/// Each is a type error for backlint (exit 2) and must be one for the schema too.
const BROKEN: &[(&str, &str)] = &[
    ("estimate-text", "items:\n  - id: A\n    title: Pay by card\n    estimate: five\n"),
    ("estimate-negative", "items:\n  - id: A\n    title: Pay by card\n    estimate: -3\n"),
    ("items-mapping", "items:\n  a: 1\n"),
    ("criterion-mapping", "items:\n  - id: A\n    title: Pay by card\n    acceptance_criteria:\n      - given: x\n"),
    ("goal-text", "product_goals:\n  - G1\nitems: []\n"),
    ("allow-list", "items:\n  - id: A\n    title: Pay by card\n    allow: [vague-title]\n"),
    ("log-position-text", "items: []\nordering_log:\n  - item: A\n    from: first\n"),
    ("title-list", "items:\n  - id: A\n    title: [a, b]\n"),
    ("top-level-list", "- id: A\n  title: Pay by card\n"),
];

/// check-jsonschema: `BACKLINT_CHECK_JSONSCHEMA` (what `.ci/run` installs), else on the PATH.
pub fn validator() -> Option<PathBuf> {
    let named = std::env::var_os("BACKLINT_CHECK_JSONSCHEMA").map(PathBuf::from);
    let found = named.or_else(|| Some(PathBuf::from("check-jsonschema")));
    found.filter(|v| Command::new(v).arg("--version").output().is_ok_and(|o| o.status.success()))
}

fn validates(validator: &Path, files: &[PathBuf]) -> (bool, String) {
    let o = Command::new(validator).arg("--schemafile").arg(root().join(SCHEMA)).args(files).output().unwrap();
    (o.status.success(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

#[test]
fn a_real_validator_agrees_with_backlint() {
    let Some(validator) = validator() else {
        let required = std::env::var("BACKLINT_VALIDATORS").is_ok_and(|v| v == "require");
        assert!(!required, "BACKLINT_VALIDATORS=require, but check-jsonschema is not installed");
        eprintln!("NOTE: schema not validated: check-jsonschema is not installed (pip install check-jsonschema)");
        return;
    };
    // The schema itself is valid draft 7.
    let o = Command::new(&validator).arg("--check-metaschema").arg(root().join(SCHEMA)).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));

    // Every native backlog backlint reads cleanly: the examples and the rule fixtures.
    let mut good: Vec<PathBuf> = ["healthy", "unhealthy", "stories"]
        .iter()
        .map(|e| root().join("examples").join(e).join("backlog.yaml"))
        .collect();
    for rule in std::fs::read_dir(fixture("rules")).unwrap() {
        let rule = rule.unwrap().path();
        good.extend(["fires.yaml", "passes.yaml"].map(|f| rule.join(f)).into_iter().filter(|f| f.is_file()));
    }
    assert!(good.len() > 40, "{good:?}");
    let (ok, out) = validates(&validator, &good);
    assert!(ok, "{out}");

    let dir = tempfile::tempdir().unwrap();
    for (name, body) in BROKEN {
        let file = dir.path().join(format!("{name}.backlog.yaml"));
        std::fs::write(&file, body).unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_backlint"))
            .args(["check", "--no-history", "--format", "short"])
            .arg(&file)
            .current_dir(dir.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: backlint reads it: {err}");
        assert!(err.contains("I0012") || err.contains("I0010"), "{name}: {err}");
        let (ok, out) = validates(&validator, std::slice::from_ref(&file));
        assert!(!ok, "{name}: the schema accepts what backlint refuses:\n{out}");
    }
}
