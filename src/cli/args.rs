//! Arguments shared by several commands.

use crate::analysis::HistoryOptions;
use crate::diag::Level;
use clap::ValueEnum;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct PolicyArgs {
    /// Policy file to use [default: the nearest backlint.policy above the backlog, or above the current folder]
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

/// When human output is coloured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set; always when `FORCE_COLOR` or `CLICOLOR_FORCE` is
    #[default]
    Auto,
    /// Always, also in CI logs and in a file written with --output
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
}

impl From<FailOn> for Level {
    fn from(f: FailOn) -> Level {
        match f {
            FailOn::Error => Level::Error,
            FailOn::Warning => Level::Warning,
            FailOn::Info => Level::Info,
        }
    }
}

#[derive(clap::Args, Debug, Default)]
pub struct HistoryArgs {
    /// Do not read the backlog's git history (the history rules then see only the `ordering_log`)
    #[arg(long, conflicts_with_all = ["since", "staged"])]
    pub no_history: bool,
    /// Read the git history only after DATE (`2026-09-01`, ISO 8601) or after revision REV
    #[arg(long, value_name = "DATE|REV", conflicts_with = "staged")]
    pub since: Option<String>,
    /// Pre-commit view: check the staged backlog, and judge the reorders it makes against HEAD
    /// (by the committer from git config) instead of the whole history
    #[arg(long)]
    pub staged: bool,
    /// With --staged, at the `commit-msg` stage: the file holding the commit message being written,
    /// whose `Reorder-Rationale:` trailer or explanation gives the staged moves their rationale
    #[arg(long, value_name = "FILE", requires = "staged")]
    pub commit_msg: Option<PathBuf>,
}

impl From<&HistoryArgs> for HistoryOptions {
    fn from(args: &HistoryArgs) -> HistoryOptions {
        HistoryOptions {
            skip: args.no_history,
            since: args.since.clone(),
            staged: args.staged,
            commit_msg: args.commit_msg.clone(),
            cache: None,
        }
    }
}
