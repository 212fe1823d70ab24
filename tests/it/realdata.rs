//! The real Backlog.md projects of `../shared/data/real/` as the judge: each history bundle is
//! cloned into a temporary folder and checked with its history, as `../shared/tools/realdata.py`
//! does. Every finding a coach judged TRUE must be kept, none judged FALSE or NOISE may come back,
//! and every other finding must be one of `tests/realdata/judged.tsv`, each with its verdict and
//! reason. Skipped (with a note) when `../shared` is absent; `.ci/run` sets BACKLINT_SHARED=require.

use super::*;
use std::collections::BTreeSet;
use std::process::Command;

type Key = (String, String, String, String);

fn key(dataset: &str, rule: &str, file: &str, item: Option<&str>) -> Key {
    (dataset.into(), rule.into(), file.into(), item.unwrap_or("").into())
}

#[test]
fn the_real_backlogs_give_what_a_coach_would_point_out() {
    let data = root().join("../shared/data/real");
    if !data.is_dir() {
        assert!(
            std::env::var("BACKLINT_SHARED").as_deref() != Ok("require"),
            "{} is required but missing",
            data.display()
        );
        eprintln!("skipped: no {} (the real Backlog.md projects)", data.display());
        return;
    }
    let judged_text = std::fs::read_to_string(root().join("tests/realdata/judged.tsv")).unwrap();
    // A MOVED line is a judged finding that now points elsewhere (a backlog-wide finding anchored
    // at the top item, when the top changes): its reason starts with the old file, then `: why`.
    let mut judged: BTreeSet<Key> = BTreeSet::new();
    let mut moved: std::collections::BTreeMap<Key, Key> = std::collections::BTreeMap::new();
    for l in judged_text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let f: Vec<&str> = l.split('\t').collect();
        assert!(
            f.len() >= 6 && matches!(f[4], "TRUE" | "NOISE" | "FALSE" | "MOVED") && !f[5].is_empty(),
            "judged.tsv: {l}"
        );
        if f[4] == "MOVED" {
            let (from, why) =
                f[5].split_once(": ").unwrap_or_else(|| panic!("judged.tsv: MOVED needs `old file: why`: {l}"));
            assert!(!why.trim().is_empty(), "judged.tsv: {l}");
            moved.insert(key(f[0], f[1], from, Some(f[3])), key(f[0], f[1], f[2], Some(f[3])));
        }
        judged.insert(key(f[0], f[1], f[2], Some(f[3])));
    }
    let tmp = tempfile::tempdir().unwrap();
    let (mut lost, mut wrong, mut unjudged) = (Vec::new(), Vec::new(), Vec::new());
    for dataset in ["ariadne", "panic", "code-charter", "writing-tools"] {
        let clone = tmp.path().join(dataset);
        let bundle = data.join(dataset).join("history.bundle");
        let status = Command::new("git")
            .args(["-c", "init.defaultBranch=main", "clone", "-q"])
            .arg(&bundle)
            .arg(&clone)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .status()
            .unwrap();
        assert!(status.success(), "git clone {}", bundle.display());
        let out = Command::new(env!("CARGO_BIN_EXE_backlint"))
            .args(["check", "backlog", "--format", "json"])
            .current_dir(&clone)
            .output()
            .unwrap();
        assert!(matches!(out.status.code(), Some(0 | 1)), "{dataset}: {}", String::from_utf8_lossy(&out.stderr));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let found: BTreeSet<Key> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| key(dataset, f["rule"].as_str().unwrap(), f["file"].as_str().unwrap(), f["item"].as_str()))
            .collect();
        let verdicts: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(data.join(dataset).join("verdicts.json")).unwrap()).unwrap();
        let mut known = BTreeSet::new();
        for v in verdicts.as_array().unwrap() {
            let k = key(dataset, v["rule"].as_str().unwrap(), v["file"].as_str().unwrap(), v["item"].as_str());
            match v["verdict"].as_str().unwrap() {
                "TRUE" if !found.contains(&k) && !moved.get(&k).is_some_and(|to| found.contains(to)) => {
                    lost.push(k.clone())
                }
                "FALSE" | "NOISE" if found.contains(&k) => wrong.push(k.clone()),
                _ => {}
            }
            known.insert(k);
        }
        unjudged.extend(found.into_iter().filter(|k| !known.contains(k) && !judged.contains(k)));
    }
    assert!(lost.is_empty(), "findings a coach judged TRUE are lost: {lost:#?}");
    assert!(wrong.is_empty(), "findings a coach judged FALSE or NOISE are back: {wrong:#?}");
    assert!(unjudged.is_empty(), "new findings: judge them in tests/realdata/judged.tsv: {unjudged:#?}");
}
