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
