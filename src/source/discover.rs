//! Finding backlogs and policy files on disk.

use crate::diag::Problem;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
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

/// Globs that leave paths out of a folder walk, in `.gitignore` syntax; each set is anchored at a
/// folder (the current folder for `--exclude`, the policy's folder for its `exclude` setting).
#[derive(Clone, Debug, Default)]
pub struct Exclude {
    sets: Vec<Gitignore>,
}

impl Exclude {
    /// Adds patterns anchored at `root`; a pattern that is not a valid glob is the error.
    pub fn add(&mut self, root: &Path, patterns: &[String]) -> Result<(), String> {
        if patterns.is_empty() {
            return Ok(());
        }
        // Canonical, as the walk's paths are.
        let root =
            std::fs::canonicalize(root).or_else(|_| std::path::absolute(root)).unwrap_or_else(|_| root.to_path_buf());
        let mut builder = GitignoreBuilder::new(&root);
        for pattern in patterns {
            builder.add_line(None, pattern).map_err(|e| format!("`{pattern}` is not a valid pattern: {e}"))?;
        }
        self.sets.push(builder.build().map_err(|e| e.to_string())?);
        Ok(())
    }

    /// Whether `abs` (an absolute path) is excluded by any set.
    fn excludes(&self, abs: &Path, is_dir: bool) -> bool {
        self.sets.iter().any(|g| g.matched(abs, is_dir).is_ignore())
    }
}

/// The backlogs named by the paths, with nothing excluded but what `.gitignore` files say.
pub fn backlogs(paths: &[PathBuf]) -> (Vec<Found>, Vec<Problem>) {
    let (mut found, mut problems) = (Vec::new(), Vec::new());
    for path in paths {
        backlogs_in(path, &Exclude::default(), &mut found, &mut problems);
    }
    (found, problems)
}

/// The backlogs `path` names: a file as given (whatever `.gitignore` or `exclude` say: it was asked
/// for); a folder that is a Backlog.md project; another folder searched for backlog files and
/// Backlog.md projects, leaving out what `.gitignore` files (and `.git/info/exclude`) ignore, what
/// `exclude` matches, and hidden, `target` and `node_modules` folders. Symlinks are not followed,
/// so a loop cannot trap the walk.
pub fn backlogs_in(path: &Path, exclude: &Exclude, found: &mut Vec<Found>, problems: &mut Vec<Problem>) {
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
            return;
        }
    };
    if meta.is_file() {
        found.push(found_file(path));
        return;
    }
    if !meta.is_dir() {
        problems.push(
            Problem::error("I0020", format!("`{}` is not a regular file or a folder", path.display()))
                .help("give a backlog file or a folder that holds one; FIFOs, sockets and devices are not read"),
        );
        return;
    }
    if let Some(root) = crate::source::backlog_md::root_at(path) {
        found.push(Found::Folder(root));
        return;
    }
    let before = found.len();
    // Canonical, as the repository root is: ignore files above the walk are anchored there too.
    let base = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let repo = crate::files::input::root_of(path);
    let above = ignores_above(&base, &repo);
    // The `.gitignore` of each folder on the way down, with the depth of its folder.
    let mut layers: Vec<(usize, Gitignore)> = Vec::new();
    let mut walker = walkdir::WalkDir::new(path).follow_links(false).sort_by_file_name().into_iter();
    while let Some(entry) = walker.next() {
        let e = match entry {
            Ok(e) => e,
            Err(err) => {
                problems.push(
                    Problem::error("I0021", format!("cannot read `{}`: {}", err.path().unwrap_or(path).display(), err))
                        .help("check the folder's permissions; the rest was still checked"),
                );
                continue;
            }
        };
        let is_dir = e.file_type().is_dir();
        // Layers of folders the walk has left no longer apply.
        while layers.last().is_some_and(|(depth, _)| *depth >= e.depth()) {
            layers.pop();
        }
        if e.depth() > 0 {
            let abs = base.join(e.path().strip_prefix(path).unwrap_or(e.path()));
            if exclude.excludes(&abs, is_dir) || ignored(&abs, is_dir, &layers, &above) {
                if is_dir {
                    walker.skip_current_dir();
                }
                continue;
            }
        }
        let name = e.file_name().to_string_lossy();
        if is_dir {
            // A beads tracker keeps its issues in the hidden `.beads` folder beside the code.
            if name == BEADS_FOLDER && e.path().join(BEADS_FILE).is_file() {
                found.push(Found::Beads(e.path().join(BEADS_FILE)));
                walker.skip_current_dir();
            } else if e.depth() > 0 && (name.starts_with('.') || name == "target" || name == "node_modules") {
                walker.skip_current_dir();
            } else if e.path().join("config.yml").is_file() && e.path().join("tasks").is_dir() {
                found.push(Found::Folder(e.into_path()));
                walker.skip_current_dir();
            } else {
                let dir = base.join(e.path().strip_prefix(path).unwrap_or(e.path()));
                if let Some(g) = gitignore(&dir, &dir.join(".gitignore"), &repo) {
                    layers.push((e.depth(), g));
                }
            }
        } else if e.file_type().is_file() && is_backlog_name(&name) {
            found.push(Found::Yaml(e.into_path()));
        } else if e.file_type().is_file() && name.to_lowercase().ends_with(".csv") && is_jira_export(e.path()) {
            found.push(Found::Csv(e.into_path()));
        }
    }
    if found.len() == before {
        problems.push(Problem::error("I0022", format!("no backlog found in `{}`", path.display())).help(
            "backlint looks for `backlog.yaml`, `backlog.yml`, `*.backlog.yaml` files, Backlog.md folders, Jira CSV exports and beads trackers (`.beads/issues.jsonl`), leaving out what `.gitignore` and `exclude` name",
        ));
    }
}

/// A file named on the command line, by its extension.
pub fn found_file(path: &Path) -> Found {
    let ext = |x: &str| path.extension().is_some_and(|e| e.eq_ignore_ascii_case(x));
    if ext("csv") {
        Found::Csv(path.to_path_buf())
    } else if ext("jsonl") {
        Found::Beads(path.to_path_buf())
    } else {
        Found::Yaml(path.to_path_buf())
    }
}

/// Whether the `.gitignore` layers (deepest first, then those above the walk) ignore `abs`: as in
/// git, the deepest file that has a say decides, and a `!pattern` brings a path back.
fn ignored(abs: &Path, is_dir: bool, layers: &[(usize, Gitignore)], above: &[Gitignore]) -> bool {
    for g in layers.iter().rev().map(|(_, g)| g).chain(above) {
        match g.matched(abs, is_dir) {
            ignore::Match::None => continue,
            m => return m.is_ignore(),
        }
    }
    false
}

/// The `.gitignore` files of the folders above `start` up to the repository root (deepest first),
/// then the repository's `.git/info/exclude`.
fn ignores_above(start: &Path, repo: &Path) -> Vec<Gitignore> {
    if !start.starts_with(repo) {
        return Vec::new();
    }
    let mut out: Vec<Gitignore> = start
        .ancestors()
        .skip(1)
        .take_while(|d| d.starts_with(repo))
        .filter_map(|d| gitignore(d, &d.join(".gitignore"), repo))
        .collect();
    out.extend(gitignore(repo, &repo.join(".git/info/exclude"), repo));
    out
}

/// The patterns of one ignore file, read like every other file (a symlink out of the repository, a
/// FIFO or a giant file is not read): git reads no `.gitignore` through a symlink either. Lines
/// that are not valid patterns are skipped, as git skips them.
fn gitignore(dir: &Path, file: &Path, repo: &Path) -> Option<Gitignore> {
    if std::fs::symlink_metadata(file).map_or(true, |m| !m.file_type().is_file()) {
        return None;
    }
    let bytes = crate::files::input::read_bytes(file, repo).ok()?;
    let mut builder = GitignoreBuilder::new(dir);
    for line in String::from_utf8_lossy(&bytes).lines() {
        let _ = builder.add_line(Some(file.to_path_buf()), line.trim_start_matches('\u{feff}'));
    }
    builder.build().ok().filter(|g| !g.is_empty())
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
