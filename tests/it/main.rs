//! The one integration-test binary: rule fixtures, meta-tests, snapshots and CLI tests.

mod backlog_md;
mod beads;
mod cli;
mod commands;
mod conventions;
mod formats;
mod history;
mod hostile;
mod jira;
mod meta;
mod packaging;
mod policy_lang;
mod properties;
mod realdata;
mod report;
mod rules;
mod schema;
mod server;
mod snapshots;

use backlint::engine::{self, Finding};
use backlint::model::Backlog;
use backlint::policy::{self, ir::CompiledPolicy};
use backlint::text::SourceFile;
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    root().join("tests/fixtures").join(rel)
}

/// The built-in rules plus optional user policy text, which must compile cleanly.
pub fn policy_with(user: Option<&str>) -> CompiledPolicy {
    let files: Vec<SourceFile> = user.map(|t| SourceFile::new("test.policy", t)).into_iter().collect();
    let (policy, problems) = policy::compile(&files);
    assert!(problems.is_empty(), "policy problems: {:#?}", problems.iter().map(|p| &p.message).collect::<Vec<_>>());
    policy
}

pub fn load(path: &Path) -> Backlog {
    backlint::analysis::load_backlog(path).unwrap_or_else(|p| panic!("{} does not load: {:?}", path.display(), p))
}

pub fn load_str(text: &str) -> Backlog {
    let file = SourceFile::new("inline.yaml", text);
    let root = backlint::yaml::parse(&file, Default::default()).expect("valid yaml");
    Backlog::from_yaml(file, root).expect("valid backlog")
}

/// (line, rule) of each finding, in order.
pub fn lines(backlog: &Backlog, findings: &[Finding]) -> Vec<(usize, String)> {
    findings.iter().map(|f| (backlog.files[f.file].line_col(f.span.start).0, f.rule.clone())).collect()
}

pub fn check(policy: &CompiledPolicy, backlog: &Backlog) -> Vec<Finding> {
    engine::run(policy, backlog)
}
