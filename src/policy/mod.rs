//! The policy language: parse → AST → check → IR → evaluation.

pub mod ast;
pub mod check;
pub mod eval;
pub mod image;
pub mod ir;
pub mod parse;

use crate::diag::Problem;
use crate::text::SourceFile;
use check::{Compiled, Parsed};
use ir::CompiledPolicy;

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The built-in rules compiled ahead of time (see `image`).
const IMAGE: &[u8] = include_bytes!("builtin.image");

/// Compiles the built-in rules followed by the given user policy files. Returns the policy built
/// from everything that compiled, and every problem found.
pub fn compile(user: &[SourceFile]) -> (CompiledPolicy, Vec<Problem>) {
    match image::decode(IMAGE, BUILTIN_HASH, BUILTIN) {
        Some(builtin) => compile_onto(builtin, user),
        // An image of other rules (a rule file changed since `cargo test` last made it): from the text.
        None => compile_from_source(user),
    }
}

/// Compiles the built-in rules from their text, then the user's policy files.
pub fn compile_from_source(user: &[SourceFile]) -> (CompiledPolicy, Vec<Problem>) {
    let files: Vec<(SourceFile, bool)> = BUILTIN
        .iter()
        .map(|(path, text)| (SourceFile::new(path, *text), true))
        .chain(user.iter().map(|f| (f.clone(), false)))
        .collect();
    let (parsed, mut problems) = parse_all(files);
    let (policy, mut more) = check::compile(&parsed);
    problems.append(&mut more);
    (policy, problems)
}

/// The user's policy files compiled after the precompiled built-in rules.
fn compile_onto(builtin: Compiled, user: &[SourceFile]) -> (CompiledPolicy, Vec<Problem>) {
    let (parsed, mut problems) = parse_all(user.iter().map(|f| (f.clone(), false)).collect());
    // A built-in rule whose options a policy configures is compiled again from its text.
    let configured: Vec<&str> = parsed
        .iter()
        .flat_map(|p| &p.policy.declarations)
        .filter_map(|d| match d {
            ast::Declaration::Configure { rule, .. } => Some(rule.text.as_str()),
            _ => None,
        })
        .collect();
    let mut sources: Vec<SourceFile> =
        builtin.rules.iter().filter(|r| configured.contains(&r.name.as_str())).map(|r| r.file.clone()).collect();
    sources.dedup_by(|a, b| a.path == b.path);
    let sources: Vec<Parsed> = sources
        .into_iter()
        .filter_map(|file| parse::parse(&file).ok().map(|policy| Parsed { file, policy, builtin: true }))
        .collect();
    let (policy, mut more) = check::compile_onto(builtin, &sources, &parsed);
    problems.append(&mut more);
    (policy, problems)
}

fn parse_all(files: Vec<(SourceFile, bool)>) -> (Vec<Parsed>, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut parsed = Vec::new();
    // On every core, in order: parsing the 30-odd rule files is the bulk of compiling from text.
    let results = crate::parallel::map(&files, 2, |(file, _)| parse::parse(file));
    for ((file, builtin), result) in files.into_iter().zip(results) {
        match result {
            Ok(policy) => parsed.push(Parsed { file, policy, builtin }),
            Err(p) => problems.push(p),
        }
    }
    (parsed, problems)
}

/// The image of the built-in rules as this compiler makes it from the rule files (for the test that
/// keeps `builtin.image` current). Built-in rule files hold rules only: no settings or configuration,
/// which the image does not carry.
pub fn builtin_image() -> Result<Vec<u8>, Vec<Problem>> {
    let files: Vec<(SourceFile, bool)> =
        BUILTIN.iter().map(|(path, text)| (SourceFile::new(path, *text), true)).collect();
    let (parsed, mut problems) = parse_all(files);
    for p in &parsed {
        for d in &p.policy.declarations {
            if !matches!(d, ast::Declaration::Rule(_)) {
                problems
                    .push(Problem::error("P0000", format!("{}: a built-in rule file holds rules only", p.file.name)));
            }
        }
    }
    let (policy, mut more) = check::compile(&parsed);
    problems.append(&mut more);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(image::encode(BUILTIN_HASH, BUILTIN, &Compiled { rules: policy.rules, tests: policy.tests }))
}

#[cfg(test)]
mod tests {
    use super::ir::{Ir, Pattern};

    /// A built-in rule that does not compile fails here, never in a user's run.
    #[test]
    fn builtin_rules_compile_without_problems() {
        let (policy, problems) = super::compile_from_source(&[]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(policy.rules.len(), super::BUILTIN.len());
    }

    /// `builtin.image` is what this compiler makes of the rule files. When it is not, the test
    /// writes the new image into the source tree and fails: commit the new image.
    #[test]
    fn builtin_image_is_current() {
        let fresh = super::builtin_image().unwrap_or_else(|problems| panic!("{problems:?}"));
        if fresh != super::IMAGE {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/policy/builtin.image");
            std::fs::write(path, &fresh).expect("the source tree is writable");
            panic!(
                "src/policy/builtin.image was out of date and has been rewritten: run the tests again and commit it"
            );
        }
    }

    /// The image reads back as exactly the rules and tests compiled from the text.
    #[test]
    fn builtin_image_reads_back_as_compiled_from_text() {
        let image = super::builtin_image().unwrap();
        let read = super::image::decode(&image, super::BUILTIN_HASH, super::BUILTIN).expect("the image reads");
        let (policy, _) = super::compile_from_source(&[]);
        assert_eq!(format!("{:?}", read.rules), format!("{:?}", policy.rules));
        assert_eq!(format!("{:?}", read.tests), format!("{:?}", policy.tests));
        assert!(super::image::decode(&image, super::BUILTIN_HASH ^ 1, super::BUILTIN).is_none(), "another hash");
        assert!(super::image::decode(&image[..image.len() - 1], super::BUILTIN_HASH, super::BUILTIN).is_none());
    }

    /// A team that configures a built-in rule's option gets the rule compiled with its value.
    #[test]
    fn configuring_a_builtin_option_compiles_the_rule_again() {
        let team = crate::text::SourceFile::new("team.policy", "configure vague-title { min_words = 5 }\n");
        let (from_image, problems) = super::compile(std::slice::from_ref(&team));
        assert!(problems.is_empty(), "{problems:?}");
        let (from_text, _) = super::compile_from_source(&[team]);
        let rule = |p: &super::CompiledPolicy| format!("{:?}", p.rule("vague-title").unwrap());
        assert_eq!(rule(&from_image), rule(&from_text));
        assert!(rule(&from_image).contains("Num(5.0)"));
    }

    /// Texts on which each built-in pattern's ASCII reading must agree with its Unicode reading:
    /// word boundaries next to punctuation, digits and `_`, both cases (`k`, `s`: Unicode folds
    /// them with non-ASCII letters), control characters and the texts the rules look for.
    const ASCII_SAMPLES: &[&str] = &[
        "",
        "Misc fixes",
        "misc_fixes",
        "stuff",
        "Various tweaks etc.",
        "TODO: export CSV",
        "  wip",
        "WIP-2",
        "Improvements",
        "minor clean-ups",
        "Bug fixes!",
        "Refactoring",
        "K",
        "k s S",
        "tabs\there\x0bthere\x1cnot",
        "As a user, I want to export my invoices so that I can file taxes",
        "As an admin I want to see and edit users, because it saves time",
        "I want to view the report and then send it, in order to share it",
        "decided by the CEO",
        "per the board; Sam's call",
        "Priya decided",
        "customers requested it",
        "## Steps to reproduce\n1. open",
        "# Decision\n\nWe use X",
        "almost done",
        "Done?",
        "nearly finished, only review left",
        "Dana and Sam",
        "the team",
        "Dana / Sam",
        "Dana & Sam + Lee",
        "Fix: login (note: see #12)",
        "e.g. this, i.e. that. Next sentence",
        "a, b, c, d and e",
        "reduce churn by 5% by Q3",
        "increase NPS to 40",
    ];

    /// Built-in patterns are compiled on first use (`ir::Pattern::deferred`): each must compile.
    #[test]
    fn builtin_patterns_compile() {
        let (policy, _) = super::compile(&[]);
        let sources = std::cell::RefCell::new(Vec::new());
        for rule in &policy.rules {
            for check in &rule.checks {
                for e in check.expressions() {
                    e.any(&|e| {
                        if let Ir::Matches(_, p) | Ir::CountMatching(_, p) = e {
                            assert!(Pattern::build(p.source()).is_ok(), "`{}`: pattern `{}`", rule.name, p.source());
                            assert_eq!(p.regex().as_str(), p.source());
                            // On ASCII texts the ASCII reading (`Pattern::is_match`) agrees with Unicode.
                            for text in ASCII_SAMPLES {
                                let unicode = p.regex().is_match(text);
                                assert_eq!(p.is_match(text), unicode, "`{}` on {text:?}", p.source());
                            }
                            sources.borrow_mut().push(p.source().to_string());
                        }
                        false
                    });
                }
            }
        }
        let sources = sources.into_inner();
        // The walk reaches the patterns (vague-title's among them), so the assertions above ran.
        assert!(sources.len() >= 10, "{sources:?}");
        assert!(sources.iter().any(|s| s.contains("misc")));
    }

    #[test]
    fn a_teams_bad_pattern_is_a_policy_problem_at_compile_time() {
        let file = crate::text::SourceFile::new(
            "team.policy",
            "rule r {\n  group = team\n  severity = warning\n  summary = \"s\"\n  for item in items\n    forbid matches(item.title, \"(unclosed\")\n    message \"m\"\n}\n",
        );
        let (_, problems) = super::compile(&[file]);
        assert!(problems.iter().any(|p| p.code == "P0014"), "{problems:?}");
    }
}

/// Which rules run, over the policy's own choice: `--select`, `--extend-select` and `--ignore`, each
/// naming rules or groups. A rule's name is more specific than its group, and the more specific
/// choice wins (`--ignore refinement --select missing-acceptance-criteria` keeps that one rule); at
/// the same specificity, ignoring wins.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Only these run (the policy's `severity = off` does not hold them back).
    pub select: Option<Vec<String>>,
    /// These run as well as the policy's.
    pub extend: Vec<String>,
    pub ignore: Vec<String>,
}

impl Selection {
    pub fn is_empty(&self) -> bool {
        self.select.is_none() && self.extend.is_empty() && self.ignore.is_empty()
    }

    /// Turns the policy's rules on or off as the selection says.
    pub fn apply(&self, policy: &mut CompiledPolicy) {
        if self.is_empty() {
            return;
        }
        let rank = |names: &[String], rule: &ir::CompiledRule| {
            if names.contains(&rule.name) {
                2
            } else if names.contains(&rule.group) {
                1
            } else {
                0
            }
        };
        for rule in &mut policy.rules {
            let selected = rank(self.select.as_deref().unwrap_or_default(), rule).max(rank(&self.extend, rule));
            let ignored = rank(&self.ignore, rule);
            rule.enabled =
                if selected == 0 && ignored == 0 { rule.enabled && self.select.is_none() } else { selected > ignored };
        }
    }

    /// Names that are no rule and no group of any of the policies, each with the closest one.
    pub fn unknown<'a>(&self, policies: impl Iterator<Item = &'a CompiledPolicy>) -> Vec<Problem> {
        let known: std::collections::BTreeSet<&str> =
            policies.flat_map(|p| &p.rules).flat_map(|r| [r.name.as_str(), r.group.as_str()]).collect();
        let lists = [
            ("--select", self.select.as_deref().unwrap_or_default()),
            ("--extend-select", &self.extend),
            ("--ignore", &self.ignore),
        ];
        let mut problems = Vec::new();
        for (flag, names) in lists {
            for name in names.iter().filter(|n| !known.contains(n.as_str())) {
                let mut p =
                    Problem::error("I0090", format!("{flag} names `{name}`, which is neither a rule nor a group"));
                p.help = Some(match crate::diag::did_you_mean(name, known.iter().copied()) {
                    Some(close) => format!("did you mean `{close}`? `backlint rules` lists every rule and group"),
                    None => "`backlint rules` lists every rule and group".into(),
                });
                problems.push(p);
            }
        }
        problems
    }
}
