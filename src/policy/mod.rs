//! The policy language: parse → AST → check → IR → evaluation.

pub mod ast;
pub mod check;
pub mod eval;
pub mod ir;
pub mod parse;

use crate::diag::Problem;
use crate::text::SourceFile;
use check::Parsed;
use ir::CompiledPolicy;

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// Compiles the built-in rules followed by the given user policy files. Returns the policy built
/// from everything that compiled, and every problem found.
pub fn compile(user: &[SourceFile]) -> (CompiledPolicy, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut parsed = Vec::new();
    let files: Vec<(SourceFile, bool)> = BUILTIN
        .iter()
        .map(|(path, text)| (SourceFile::new(path, *text), true))
        .chain(user.iter().map(|f| (f.clone(), false)))
        .collect();
    // Parsing the 30-odd embedded files is most of a small run's start-up: on every core, in order.
    let results = crate::parallel::map(&files, 2, |(file, _)| parse::parse(file));
    for ((file, builtin), result) in files.into_iter().zip(results) {
        match result {
            Ok(policy) => parsed.push(Parsed { file, policy, builtin }),
            Err(p) => problems.push(p),
        }
    }
    let (policy, mut more) = check::compile(&parsed);
    problems.append(&mut more);
    (policy, problems)
}

#[cfg(test)]
mod tests {
    use super::ir::{Ir, Pattern};

    /// A built-in rule that does not compile fails here, never in a user's run.
    #[test]
    fn builtin_rules_compile_without_problems() {
        let (policy, problems) = super::compile(&[]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(policy.rules.len(), super::BUILTIN.len());
    }

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
