//! The policy language: parse → AST → check → IR → evaluation.

pub mod ast;
pub mod check;
pub mod eval;
pub mod ir;
pub mod parse;

use crate::diag::Problem;
use crate::source::SourceFile;
use check::Parsed;
use ir::CompiledPolicy;

/// The built-in rules, embedded in the binary. `tests` checks this list against `rules/`.
pub const BUILTIN: &[(&str, &str)] = &[
    ("rules/done.policy", include_str!("../../rules/done.policy")),
    ("rules/goal.policy", include_str!("../../rules/goal.policy")),
    ("rules/ordering.policy", include_str!("../../rules/ordering.policy")),
    ("rules/refinement.policy", include_str!("../../rules/refinement.policy")),
    ("rules/role.policy", include_str!("../../rules/role.policy")),
    ("rules/story.policy", include_str!("../../rules/story.policy")),
    ("rules/suppression.policy", include_str!("../../rules/suppression.policy")),
];

/// Compiles the built-in rules followed by the given user policy files. Returns the policy built
/// from everything that compiled, and every problem found.
pub fn compile(user: &[SourceFile]) -> (CompiledPolicy, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut parsed = Vec::new();
    let builtin = BUILTIN.iter().map(|(path, text)| (SourceFile::new(path, *text), true));
    for (file, builtin) in builtin.chain(user.iter().map(|f| (f.clone(), false))) {
        match parse::parse(&file) {
            Ok(policy) => parsed.push(Parsed { file, policy, builtin }),
            Err(p) => problems.push(p),
        }
    }
    let (policy, mut more) = check::compile(&parsed);
    problems.append(&mut more);
    (policy, problems)
}
