//! Finding backlogs and policy files on disk.

use crate::diag::Problem;
use std::path::{Path, PathBuf};

pub const POLICY_FILE: &str = "backlint.policy";

/// Whether a file name is one of the native backlog names.
pub fn is_backlog_name(name: &str) -> bool {
    matches!(name, "backlog.yaml" | "backlog.yml") || name.ends_with(".backlog.yaml") || name.ends_with(".backlog.yml")
}

/// The backlog files named by the paths: files as given, folders searched (hidden, `target` and
/// `node_modules` folders skipped; symlinks not followed, so a loop cannot trap the walk).
pub fn backlogs(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Problem>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        if path.is_file() {
            found.push(path.clone());
            continue;
        }
        if !path.is_dir() {
            problems.push(
                Problem::error("I0020", format!("`{}` does not exist", path.display()))
                    .help("give a backlog file or a folder that holds one"),
            );
            continue;
        }
        let before = found.len();
        let walker =
            walkdir::WalkDir::new(path).follow_links(false).sort_by_file_name().into_iter().filter_entry(|e| {
                let name = e.file_name().to_string_lossy();
                e.depth() == 0
                    || !(e.file_type().is_dir()
                        && (name.starts_with('.') || name == "target" || name == "node_modules"))
            });
        for entry in walker {
            match entry {
                Ok(e) if e.file_type().is_file() && is_backlog_name(&e.file_name().to_string_lossy()) => {
                    found.push(e.into_path())
                }
                Ok(_) => {}
                Err(err) => problems.push(
                    Problem::error("I0021", format!("cannot read `{}`: {}", err.path().unwrap_or(path).display(), err))
                        .help("check the folder's permissions; the rest was still checked"),
                ),
            }
        }
        if found.len() == before {
            problems.push(
                Problem::error("I0022", format!("no backlog found in `{}`", path.display()))
                    .help("backlint looks for `backlog.yaml`, `backlog.yml` and `*.backlog.yaml` files"),
            );
        }
    }
    (found, problems)
}

/// The nearest `backlint.policy` in the folder of `start` or its ancestors, not above the
/// repository root (the first folder holding `.git`).
pub fn policy_for(start: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(start).ok()?;
    let mut dir = if start.is_dir() { Some(start.as_path()) } else { start.parent() };
    while let Some(d) = dir {
        let candidate = d.join(POLICY_FILE);
        if candidate.is_file() {
            return Some(candidate);
        }
        if d.join(".git").exists() {
            return None;
        }
        dir = d.parent();
    }
    None
}
