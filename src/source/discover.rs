//! Finding backlogs and policy files on disk.

use crate::diag::Problem;
use std::path::{Path, PathBuf};

pub const POLICY_FILE: &str = "backlint.policy";
/// Where a beads tracker keeps its issues, in the project root.
pub const BEADS_FOLDER: &str = ".beads";
pub const BEADS_FILE: &str = "issues.jsonl";

/// Whether a file name is one of the native backlog names.
pub fn is_backlog_name(name: &str) -> bool {
    matches!(name, "backlog.yaml" | "backlog.yml") || name.ends_with(".backlog.yaml") || name.ends_with(".backlog.yml")
}

/// A backlog on disk.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Found {
    /// A native YAML backlog file.
    Yaml(PathBuf),
    /// A Backlog.md project's `backlog/` folder.
    Folder(PathBuf),
    /// A Jira CSV export.
    Csv(PathBuf),
    /// A beads tracker's JSON Lines file (`.beads/issues.jsonl`).
    Beads(PathBuf),
}

impl Found {
    pub fn path(&self) -> &Path {
        match self {
            Found::Yaml(p) | Found::Folder(p) | Found::Csv(p) | Found::Beads(p) => p,
        }
    }

    /// The same kind of backlog at another path (e.g. a copy checked out at an older revision).
    pub fn at(&self, path: PathBuf) -> Found {
        match self {
            Found::Yaml(_) => Found::Yaml(path),
            Found::Folder(_) => Found::Folder(path),
            Found::Csv(_) => Found::Csv(path),
            Found::Beads(_) => Found::Beads(path),
        }
    }
}

/// The backlogs named by the paths: files as given; folders that are Backlog.md projects; other
/// folders searched for backlog files and Backlog.md projects (hidden, `target` and `node_modules`
/// folders skipped; symlinks not followed, so a loop cannot trap the walk).
pub fn backlogs(paths: &[PathBuf]) -> (Vec<Found>, Vec<Problem>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                let what = match e.kind() {
                    std::io::ErrorKind::NotFound => "does not exist".to_string(),
                    _ => format!("cannot be read: {}", crate::files::input::io_reason(&e)),
                };
                problems.push(
                    Problem::error("I0020", format!("`{}` {what}", path.display()))
                        .help("give a backlog file or a folder that holds one"),
                );
                continue;
            }
        };
        if meta.is_file() {
            let ext = |x: &str| path.extension().is_some_and(|e| e.eq_ignore_ascii_case(x));
            found.push(if ext("csv") {
                Found::Csv(path.clone())
            } else if ext("jsonl") {
                Found::Beads(path.clone())
            } else {
                Found::Yaml(path.clone())
            });
            continue;
        }
        if !meta.is_dir() {
            problems.push(
                Problem::error("I0020", format!("`{}` is not a regular file or a folder", path.display()))
                    .help("give a backlog file or a folder that holds one; FIFOs, sockets and devices are not read"),
            );
            continue;
        }
        if let Some(root) = crate::source::backlog_md::root_at(path) {
            found.push(Found::Folder(root));
            continue;
        }
        let before = found.len();
        let mut walker = walkdir::WalkDir::new(path).follow_links(false).sort_by_file_name().into_iter();
        while let Some(entry) = walker.next() {
            let e = match entry {
                Ok(e) => e,
                Err(err) => {
                    problems.push(
                        Problem::error(
                            "I0021",
                            format!("cannot read `{}`: {}", err.path().unwrap_or(path).display(), err),
                        )
                        .help("check the folder's permissions; the rest was still checked"),
                    );
                    continue;
                }
            };
            let name = e.file_name().to_string_lossy();
            if e.file_type().is_dir() {
                // A beads tracker keeps its issues in the hidden `.beads` folder beside the code.
                if name == BEADS_FOLDER && e.path().join(BEADS_FILE).is_file() {
                    found.push(Found::Beads(e.path().join(BEADS_FILE)));
                    walker.skip_current_dir();
                } else if e.depth() > 0 && (name.starts_with('.') || name == "target" || name == "node_modules") {
                    walker.skip_current_dir();
                } else if e.path().join("config.yml").is_file() && e.path().join("tasks").is_dir() {
                    found.push(Found::Folder(e.into_path()));
                    walker.skip_current_dir();
                }
            } else if e.file_type().is_file() && is_backlog_name(&name) {
                found.push(Found::Yaml(e.into_path()));
            } else if e.file_type().is_file() && name.to_lowercase().ends_with(".csv") && is_jira_export(e.path()) {
                found.push(Found::Csv(e.into_path()));
            }
        }
        if found.len() == before {
            problems.push(Problem::error("I0022", format!("no backlog found in `{}`", path.display())).help(
                "backlint looks for `backlog.yaml`, `backlog.yml`, `*.backlog.yaml` files, Backlog.md folders, Jira CSV exports and beads trackers (`.beads/issues.jsonl`)",
            ));
        }
    }
    (found, problems)
}

/// Whether a CSV file found in a folder is a Jira export (judged by its header line).
fn is_jira_export(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 4096];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).unwrap_or(0);
    crate::source::jira_csv::is_jira_header(&String::from_utf8_lossy(&head[..n]))
}

/// The nearest `backlint.policy` in the folder of `start` or its ancestors, not above the
/// repository root (the first folder holding `.git`). Outside a repository the search stops below a
/// folder above `start` that another user owns or anyone may write to (such as `/tmp`): a policy
/// planted there must not apply. `stopped` is then the folder where it stopped, if it holds or lies below an
/// ignored policy.
pub fn policy_for(start: &Path) -> Option<PathBuf> {
    policy_search(start).found
}

#[derive(Debug, Default, PartialEq)]
pub struct PolicySearch {
    pub found: Option<PathBuf>,
    /// A `backlint.policy` the search did not apply, and the shared folder that stopped it.
    pub ignored: Option<(PathBuf, PathBuf)>,
}

pub fn policy_search(start: &Path) -> PolicySearch {
    let Ok(start) = std::path::absolute(start) else { return PolicySearch::default() };
    let mut dir = if start.is_dir() { Some(start.as_path()) } else { start.parent() };
    let in_repo = dir.is_some_and(|d| d.ancestors().any(|a| a.join(".git").exists()));
    let first = dir.map(Path::to_path_buf);
    while let Some(d) = dir {
        // The backlog's own folder is what the user asked to check; the folders above it are not.
        if !in_repo
            && Some(d) != first.as_deref()
            && let Some(blocker) = shared_folder(d)
        {
            let ignored = d.ancestors().map(|a| a.join(POLICY_FILE)).find(|p| p.is_file());
            return PolicySearch { found: None, ignored: ignored.map(|p| (p, blocker)) };
        }
        let candidate = d.join(POLICY_FILE);
        // Anything by that name but a folder: a FIFO or a link out is refused when read, not skipped.
        if std::fs::symlink_metadata(&candidate).is_ok_and(|m| !m.is_dir()) {
            return PolicySearch { found: Some(candidate), ignored: None };
        }
        if d.join(".git").exists() {
            return PolicySearch::default();
        }
        dir = d.parent();
    }
    PolicySearch::default()
}

/// `dir` itself when someone other than the current user could have put a policy in it.
#[cfg(unix)]
fn shared_folder(dir: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(dir).ok()?;
    let me = rustix::process::geteuid().as_raw();
    (meta.uid() != me || meta.mode() & 0o002 != 0).then(|| dir.to_path_buf())
}

#[cfg(not(unix))]
fn shared_folder(_dir: &Path) -> Option<PathBuf> {
    None
}
