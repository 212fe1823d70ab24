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
