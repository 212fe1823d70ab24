//! Meta-tests: every built-in rule compiles, documents itself, follows the message style, and has
//! both fixtures and a fixture test.

use super::*;
use backlint::policy::ir::IrPart;
use std::collections::{BTreeMap, BTreeSet};

fn builtin_rules() -> Vec<backlint::policy::ir::CompiledRule> {
    policy_with(None).rules.into_iter().filter(|r| r.builtin).collect()
}

#[test]
fn every_rules_file_is_embedded() {
    let mut on_disk: Vec<String> = Vec::new();
    for group in std::fs::read_dir(root().join("rules")).unwrap() {
        let group = group.unwrap();
        if !group.file_type().unwrap().is_dir() {
            continue;
        }
        for file in std::fs::read_dir(group.path()).unwrap() {
            let name = file.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".policy") {
                on_disk.push(format!("rules/{}/{name}", group.file_name().to_string_lossy()));
            }
        }
    }
    on_disk.sort();
    let mut embedded: Vec<String> = backlint::policy::BUILTIN.iter().map(|(p, _)| p.to_string()).collect();
    embedded.sort();
    assert_eq!(on_disk, embedded);
}

/// `backlint explain X` and `rules/<group>/X.policy` are one thought apart.
#[test]
fn every_rule_file_holds_the_one_rule_it_is_named_after() {
    let rules = builtin_rules();
    for (path, text) in backlint::policy::BUILTIN {
        let parsed =
            backlint::policy::parse::parse(&SourceFile::new(path, *text)).unwrap_or_else(|_| panic!("{path} parses"));
        let names: Vec<&str> = parsed
            .declarations
            .iter()
            .filter_map(|d| match d {
                backlint::policy::ast::Declaration::Rule(r) => Some(r.name.text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(names.len(), 1, "{path} holds one rule");
        let name = names[0];
        let rule = rules.iter().find(|r| r.name == name).unwrap();
        assert_eq!(*path, format!("rules/{}/{name}.policy", rule.group), "{name} lives in its group's folder");
    }
}

#[test]
fn the_catalogue_of_the_core_is_shipped() {
    let names: Vec<String> = builtin_rules().into_iter().map(|r| r.name).collect();
    for required in [
        "missing-acceptance-criteria",
        "over-specified-distant",
        "goal-link-missing",
        "goal-link-unknown",
        "committee-reordering",
        "product-goal-missing",
        "product-owner-not-one-person",
        "ordering-ambiguous",
    ] {
        assert!(names.iter().any(|n| n == required), "missing built-in rule {required}");
    }
}

#[test]
fn every_builtin_rule_documents_itself() {
    for rule in builtin_rules() {
        let e = rule.explanation.as_ref().unwrap_or_else(|| panic!("`{}` has no explain block", rule.name));
        for (section, text) in [("what", &e.what), ("why", &e.why), ("fix", &e.fix), ("example", &e.example)] {
            assert!(text.split_whitespace().count() >= 10, "`{}`: explain.{section} is missing or too thin", rule.name);
        }
        assert!(rule.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "`{}` is not kebab-case", rule.name);
        assert!(
            ["goal", "ordering", "refinement", "done", "role", "story", "suppression", "dependencies"]
                .contains(&rule.group.as_str()),
            "`{}` group",
            rule.name
        );
        assert!(rule.help.is_some() || rule.checks.iter().all(|c| c.help.is_some()), "`{}` has no help", rule.name);
        assert!(
            starts_lowercase(&rule.summary) && !rule.summary.ends_with('.'),
            "`{}` summary style: {:?}",
            rule.name,
            rule.summary
        );
    }
}

fn starts_lowercase(s: &str) -> bool {
    s.chars().next().is_some_and(|c| !c.is_uppercase())
}

#[test]
fn messages_follow_the_style() {
    for rule in builtin_rules() {
        for check in &rule.checks {
            let first = check.message.iter().find_map(|p| match p {
                IrPart::Text(t) => Some(t.clone()),
                IrPart::Expr(_) => None,
            });
            let last = match check.message.last() {
                Some(IrPart::Text(t)) => t.clone(),
                _ => String::new(),
            };
            assert!(first.as_deref().is_none_or(starts_lowercase), "`{}` message must start lowercase", rule.name);
            assert!(!last.trim_end().ends_with('.'), "`{}` message must not end with a period", rule.name);
        }
    }
}

#[test]
fn every_builtin_rule_has_both_fixtures_and_a_test() {
    for rule in builtin_rules() {
        if super::history::TESTED.contains(&rule.name.as_str()) {
            continue; // its examples are git repositories, built in tests/it/history.rs
        }
        for which in ["fires.yaml", "passes.yaml"] {
            let path = fixture(&format!("rules/{}/{which}", rule.name));
            assert!(path.is_file(), "missing fixture {}", path.display());
        }
        assert!(
            super::rules::TESTED.contains(&rule.name.as_str()),
            "`{}` has no fixture test in tests/it/rules.rs",
            rule.name
        );
    }
    for dir in std::fs::read_dir(fixture("rules")).unwrap() {
        let name = dir.unwrap().file_name().to_string_lossy().to_string();
        assert!(builtin_rules().iter().any(|r| r.name == name), "fixture folder `{name}` names no rule");
    }
}

/// The modules of `src/` (`a::b` for `src/a/b.rs` or `src/a/b/mod.rs`) and the modules each one
/// names through `crate::` or `super::`, unit tests left out.
fn module_imports() -> BTreeMap<String, BTreeSet<String>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = root().join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let name_of = |p: &Path| {
        let rel = p.strip_prefix(&src).unwrap().with_extension("");
        let mut parts: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
        if parts.last().is_some_and(|l| l == "mod") {
            parts.pop();
        }
        parts.join("::")
    };
    let modules: BTreeMap<String, PathBuf> =
        files.iter().map(|p| (name_of(p), p.clone())).filter(|(n, _)| n != "lib" && n != "main").collect();
    let resolve = |path: &str| {
        let parts: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        (1..=parts.len()).rev().map(|i| parts[..i].join("::")).find(|m| modules.contains_key(m))
    };
    let reference = regex::Regex::new(r"\b(crate|super)::([a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)*)").unwrap();
    let mut imports = BTreeMap::new();
    for (name, path) in &modules {
        let text = std::fs::read_to_string(path).unwrap();
        let text = text.split("#[cfg(test)]\nmod tests").next().unwrap();
        // `super` of `a::b` (`a/b.rs` or `a/b/mod.rs`) is `a`.
        let parent = name.rsplit_once("::").map_or("", |(p, _)| p);
        let mut targets = BTreeSet::new();
        for c in reference.captures_iter(text) {
            let full =
                if &c[1] == "crate" || parent.is_empty() { c[2].to_string() } else { format!("{parent}::{}", &c[2]) };
            if let Some(t) = resolve(&full).filter(|t| t != name) {
                targets.insert(t);
            }
        }
        imports.insert(name.clone(), targets);
    }
    imports
}

/// Arrows go one way: no module reaches itself through the modules it imports.
#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let imports = module_imports();
    assert!(imports.len() > 20, "the module list was read: {:?}", imports.keys());
    for start in imports.keys() {
        // Depth-first search for a path back to `start`, remembering the way.
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((at, way)) = stack.pop() {
            for next in &imports[&at] {
                if next == start {
                    panic!("import circle: {} → {start}", way.join(" → "));
                }
                if seen.insert(next.clone()) {
                    stack.push((next.clone(), [way.clone(), vec![next.clone()]].concat()));
                }
            }
        }
    }
}

/// The layers: reporters never import the CLI or the pipeline; the pipeline never imports the
/// CLI; sources, history, policy and engine never import the pipeline, the reporters or the CLI.
#[test]
fn the_layers_import_downwards_only() {
    let imports = module_imports();
    let top = |m: &str| m.split("::").next().unwrap().to_string();
    let forbidden: &[(&str, &[&str])] = &[
        ("report", &["cli", "analysis"]),
        ("analysis", &["cli", "report"]),
        ("source", &["cli", "analysis", "report", "history", "engine", "policy"]),
        ("history", &["cli", "analysis", "report", "engine", "policy"]),
        ("policy", &["cli", "analysis", "report", "history", "source", "engine"]),
        ("engine", &["cli", "analysis", "report", "history", "source"]),
        ("model", &["cli", "analysis", "report", "history", "source", "engine", "policy"]),
        // Fixes are computed from the analysis; the front ends (check, the server) apply them.
        ("fix", &["cli", "report", "server"]),
        ("server", &["cli"]),
    ];
    for (module, targets) in &imports {
        for (layer, never) in forbidden {
            if top(module) == *layer {
                for t in targets {
                    assert!(!never.contains(&top(t).as_str()), "`{module}` imports `{t}`");
                }
            }
        }
    }
}
