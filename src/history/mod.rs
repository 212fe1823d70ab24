//! Reorder events from git: every version of the backlog, read through one long-lived
//! `git cat-file --batch`, turned into "item moved from position A to B" events per commit.
//!
//! A move is a change in the relative order of items present in both versions: items added or
//! removed shift positions without being reorders. Of the items present in both versions, the longest
//! run that kept its relative order stays put (a longest increasing subsequence); every other item
//! moved. A commit's author is mapped through the `.mailmap` of its first parent, never its own (see
//! [`Mailmaps`]). Every git command comes from [`git`], which keeps the repository from running programs.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use crate::model::{Backlog, Record};
// The summary is part of the model (rules read it); the history computes it.
use crate::date::{date_of_unix, days_between};
pub use crate::model::HistorySummary as Summary;
use crate::text::{SourceFile, Span};
use crate::yaml::{self, Entry, Node, Value};

/// What git says about one item's move in one commit (or in the staged change).
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub item: String,
    /// 1-based positions in the whole list before and after.
    pub from: usize,
    pub to: usize,
    pub author: String,
    pub email: String,
    /// Author date, ISO 8601.
    pub date: String,
    /// Full commit hash, or `staged`.
    pub commit: String,
    pub rationale: Option<String>,
    /// The date of the in-file `ordering_log` entry this same commit added for this item, if any.
    pub logged: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct History {
    pub events: Vec<Event>,
    pub summary: Summary,
    /// Things the user should know (shallow clone, unreadable versions); never failures.
    pub notes: Vec<String>,
}

/// Where the backlog lives: one YAML file, or the `tasks/` folder of a Backlog.md project.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    File(&'a Path),
    Folder(&'a Path),
}

/// Why there is no history: not under git at all (quietly nothing), or git unusable (a note).
#[derive(Debug)]
pub enum Unavailable {
    NotTracked,
    Note(String),
}

/// The order of one version, and the ordering-log entries it carries.
#[derive(Clone, Debug, Default)]
struct Version {
    ids: Vec<String>,
    log: HashSet<(String, String)>,
}

/// The moves between two orders. Items only in one of them (added, removed) are not moves.
pub fn moves(old: &[String], new: &[String]) -> Vec<(String, usize, usize)> {
    let old_at: HashMap<&str, usize> = first_positions(old);
    let new_at: HashMap<&str, usize> = first_positions(new);
    // The common items in new order, each with its rank among the common items in old order.
    let mut common_old: Vec<&str> = old.iter().map(String::as_str).filter(|id| new_at.contains_key(id)).collect();
    dedup_keep_first(&mut common_old);
    let old_rank: HashMap<&str, usize> = common_old.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut common_new: Vec<&str> = new.iter().map(String::as_str).filter(|id| old_at.contains_key(id)).collect();
    dedup_keep_first(&mut common_new);
    let ranks: Vec<usize> = common_new.iter().map(|id| old_rank[id]).collect();
    let stay = longest_increasing(&ranks);
    common_new
        .iter()
        .enumerate()
        .filter(|(i, _)| !stay[*i])
        .map(|(_, id)| (id.to_string(), old_at[id] + 1, new_at[id] + 1))
        .collect()
}

fn first_positions(ids: &[String]) -> HashMap<&str, usize> {
    let mut at = HashMap::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        at.entry(id.as_str()).or_insert(i);
    }
    at
}

fn dedup_keep_first(ids: &mut Vec<&str>) {
    let mut seen = HashSet::with_capacity(ids.len());
    ids.retain(|id| seen.insert(*id));
}

/// Marks the members of one longest strictly increasing subsequence (O(n log n)). Among equally long
/// ones it keeps the items that went down, so an item dragged up is the one reported as moved.
fn longest_increasing(values: &[usize]) -> Vec<bool> {
    let mut tails: Vec<usize> = Vec::new(); // index into values of the smallest tail per length
    let mut previous = vec![usize::MAX; values.len()];
    for (i, &v) in values.iter().enumerate() {
        let len = tails.partition_point(|&t| values[t] < v);
        if len > 0 {
            previous[i] = tails[len - 1];
        }
        if len == tails.len() {
            tails.push(i);
        } else {
            tails[len] = i;
        }
    }
    let mut keep = vec![false; values.len()];
    let mut at = tails.last().copied();
    while let Some(i) = at {
        keep[i] = true;
        at = (previous[i] != usize::MAX).then_some(previous[i]);
    }
    keep
}

/// The rationale a commit message gives: a `Reorder-Rationale:` trailer, else the body without
/// trailers such as `Signed-off-by:`.
pub fn rationale(message: &str) -> Option<String> {
    for line in message.lines() {
        if let Some((key, value)) = line.split_once(':')
            && key.trim().eq_ignore_ascii_case("reorder-rationale")
            && !value.trim().is_empty()
        {
            return Some(value.trim().to_string());
        }
    }
    let body = message.split_once('\n').map_or("", |(_, rest)| rest);
    let is_trailer = |line: &str| {
        line.split_once(": ").is_some_and(|(key, _)| {
            !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') && key.contains('-')
        })
    };
    let text: Vec<&str> = body.lines().map(str::trim_end).filter(|l| !is_trailer(l)).collect();
    let text = text.join("\n").trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// A running `git cat-file --batch`: one process for every object the scan reads.
struct CatFile {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl CatFile {
    /// Starts `git cat-file --batch` on `command`, a [`git`] or [`git_staged`] command.
    fn start(command: Command) -> std::io::Result<CatFile> {
        Self::spawn(command, "--batch")
    }

    /// Starts `git cat-file --batch-check` on `command`: ids, types and sizes, no content.
    fn start_check(command: Command) -> std::io::Result<CatFile> {
        Self::spawn(command, "--batch-check")
    }

    fn spawn(mut command: Command, mode: &str) -> std::io::Result<CatFile> {
        let mut child = command
            .args(["cat-file", mode])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let input = child.stdin.take().expect("piped");
        let output = BufReader::new(child.stdout.take().expect("piped"));
        Ok(CatFile { child, input, output })
    }

    /// On a `--batch-check` process: the id, type and size of the object named `name`.
    fn info(&mut self, name: &str) -> Option<(String, String, usize)> {
        if name.contains('\n') {
            return None;
        }
        writeln!(self.input, "{name}").ok()?;
        self.input.flush().ok()?;
        let mut header = String::new();
        self.output.read_line(&mut header).ok()?;
        let mut parts = header.split_whitespace();
        let (id, kind, size) = (parts.next()?, parts.next()?, parts.next()?);
        Some((id.to_string(), kind.to_string(), size.parse().ok()?))
    }

    /// The object named `name` (an id or `rev:path`): its id, type and content; None when missing.
    /// `--batch` answers with the same header as `--batch-check`, then the content.
    fn get(&mut self, name: &str) -> Option<(String, String, Vec<u8>)> {
        let (id, kind, size) = self.info(name)?;
        // A version over the size cap is skipped unread, as a file on disk would be refused.
        if size as u64 > crate::files::input::max_file_bytes() {
            std::io::copy(&mut (&mut self.output).take(size as u64 + 1), &mut std::io::sink()).ok()?;
            return None;
        }
        let mut content = vec![0; size + 1]; // the content, then a newline
        self.output.read_exact(&mut content).ok()?;
        content.pop();
        Some((id, kind, content))
    }
}

impl Drop for CatFile {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every git command backlint runs. The repository is untrusted, and its config may name programs
/// for git to run: `-c` outranks the repository's config, so each of those is switched off here
/// (fsmonitor, signature checks, fetching missing objects; pager, filters, textconv and external
/// diffs are never reached: no pager on a pipe, `cat-file` without `--filters`, no patches). The
/// environment is not ours either (a hook of another repository sets `GIT_DIR`): every `GIT_*`
/// variable is dropped; [`git_staged`] and [`committer_ident`] keep the few `git commit` would use.
pub(crate) fn git(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command.current_dir(dir);
    for (key, _) in std::env::vars_os() {
        if key.as_encoded_bytes().starts_with(b"GIT_") {
            command.env_remove(key);
        }
    }
    command
        .env_remove("PAGER")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_NO_LAZY_FETCH", "1")
        .args(["--no-pager", "--literal-pathspecs"])
        .args(["-c", "core.fsmonitor=false", "-c", "log.showSignature=false", "-c", "protocol.allow=never"])
        // A folder committed to look like a bare repository (HEAD, objects, refs, a config of its
        // own) must not be taken for the repository around the backlog: its history would be fake.
        .args(["-c", "safe.bareRepository=explicit", "-c", "core.quotePath=false"]);
    command
}

/// [`git`] for the pre-commit view, which must read the index `git commit` is about to commit:
/// `git commit -a` and `git commit <path>` name it in `GIT_INDEX_FILE` for their hooks.
pub(crate) fn git_staged(dir: &Path) -> Command {
    let mut command = git(dir);
    if let Some(index) = std::env::var_os("GIT_INDEX_FILE") {
        // Relative to where the hook runs (our working folder), not to where git will run.
        command.env("GIT_INDEX_FILE", std::path::absolute(&index).unwrap_or_else(|_| index.clone().into()));
    }
    command
}

/// `git var GIT_COMMITTER_IDENT`: the committer `git commit` would record, which also comes from the
/// environment (`GIT_COMMITTER_NAME`, …, and `git -c user.name=…`, passed on as `GIT_CONFIG_*`).
/// `git var` reads config and runs nothing, so that environment is kept for it alone.
fn committer_ident(dir: &Path) -> Result<String, Unavailable> {
    let mut command = git(dir);
    for (key, value) in std::env::vars_os() {
        let name = key.to_string_lossy();
        let identity = matches!(&*name, "GIT_COMMITTER_NAME" | "GIT_COMMITTER_EMAIL" | "GIT_COMMITTER_DATE")
            || name == "GIT_CONFIG_PARAMETERS"
            || name == "GIT_CONFIG_COUNT"
            || name.starts_with("GIT_CONFIG_KEY_")
            || name.starts_with("GIT_CONFIG_VALUE_");
        if identity {
            command.env(key, value);
        }
    }
    output_of(command, &["var", "GIT_COMMITTER_IDENT"])
}

fn run_git(dir: &Path, args: &[&str]) -> Result<String, Unavailable> {
    output_of(git(dir), args)
}

fn output_of(mut command: Command, args: &[&str]) -> Result<String, Unavailable> {
    let out = command.args(args).stderr(Stdio::piped()).output().map_err(|e| {
        Unavailable::Note(if e.kind() == std::io::ErrorKind::NotFound {
            "git was not found, so the rules over the backlog's history were skipped".into()
        } else {
            format!("cannot run git ({e}), so the rules over the backlog's history were skipped")
        })
    })?;
    if !out.status.success() {
        let reason = String::from_utf8_lossy(&out.stderr).lines().next().unwrap_or("").trim().to_string();
        return Err(Unavailable::Note(format!("`git {}` failed: {reason}", args.join(" "))));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The repository around `target` and the target's path inside it.
struct Place {
    top: PathBuf,
    /// Path relative to the repository's top, with `/`.
    rel: String,
    shallow: bool,
}

fn locate(target: Target) -> Result<Place, Unavailable> {
    let path = match target {
        Target::File(p) | Target::Folder(p) => p,
    };
    let abs = std::fs::canonicalize(path).map_err(|_| Unavailable::NotTracked)?;
    let dir = if abs.is_dir() { abs.clone() } else { abs.parent().map(Path::to_path_buf).unwrap_or_default() };
    let out = match git(&dir).args(["rev-parse", "--show-toplevel", "--is-shallow-repository"]).output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        // Outside any work tree there is simply no history: say nothing. Inside one that git refuses
        // (dubious ownership, an unknown repository format), say why the history is missing.
        Ok(out) => {
            let Some(repo) = dir.ancestors().find(|d| d.join(".git").symlink_metadata().is_ok()) else {
                return Err(Unavailable::NotTracked);
            };
            let stderr = String::from_utf8_lossy(&out.stderr);
            let reason = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("no reason given").trim();
            let reason = reason.strip_prefix("fatal: ").unwrap_or(reason);
            return Err(Unavailable::Note(format!(
                "git refused the repository at `{}` ({reason}), so the rules over the backlog's history were skipped",
                repo.display()
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Unavailable::Note(
                "git was not found, so the rules over the backlog's history were skipped".into(),
            ));
        }
        Err(e) => return Err(Unavailable::Note(format!("cannot run git: {e}"))),
    };
    let mut lines = out.lines();
    let top = PathBuf::from(lines.next().unwrap_or_default());
    let shallow = lines.next() == Some("true");
    let top = std::fs::canonicalize(&top).unwrap_or(top);
    let rel = abs.strip_prefix(&top).map_err(|_| Unavailable::NotTracked)?;
    let rel = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
    Ok(Place { top, rel, shallow })
}

/// One commit of the log, with the raw changes of each block `-m` prints for it.
#[derive(Debug, Default)]
struct Commit {
    hash: String,
    parents: Vec<String>,
    author: String,
    email: String,
    date: String,
    message: String,
    /// (old blob, new blob, new path) per block that touched the target, one block per parent.
    changes: Vec<(String, String)>,
}

fn parse_log(text: &str, paths: &HashSet<String>) -> Vec<Commit> {
    let mut commits: Vec<Commit> = Vec::new();
    for record in text.split('\u{1}').filter(|r| !r.trim().is_empty()) {
        let Some((header, raw)) = record.split_once('\u{3}') else { continue };
        let fields: Vec<&str> = header.splitn(6, '\u{2}').collect();
        if fields.len() < 6 {
            continue;
        }
        let hash = fields[0].to_string();
        if commits.last().is_none_or(|c| c.hash != hash) {
            commits.push(Commit {
                hash,
                parents: fields[1].split_whitespace().map(String::from).collect(),
                author: fields[2].to_string(),
                email: fields[3].to_string(),
                date: fields[4].to_string(),
                message: fields[5].to_string(),
                changes: Vec::new(),
            });
        }
        let commit = commits.last_mut().expect("pushed above");
        for line in raw.lines().filter(|l| l.starts_with(':')) {
            let Some((meta, names)) = line.split_once('\t') else { continue };
            let meta: Vec<&str> = meta.split_whitespace().collect();
            let new_path = names.rsplit('\t').next().unwrap_or(names);
            if meta.len() >= 4 && (paths.is_empty() || paths.contains(new_path)) {
                commit.changes.push((meta[2].to_string(), meta[3].to_string()));
            }
        }
    }
    commits
}

/// For commands that diff: `--raw` and `--name-only` print no patch, so neither an external diff nor
/// a textconv filter would run; these say so to git as well.
const NO_PROGRAMS: [&str; 2] = ["--no-ext-diff", "--no-textconv"];

// Authors as written (`%an`, not `%aN`): the mailmap that applies to a commit is its parent's.
const LOG_FORMAT: &str = "--format=%x01%H%x02%P%x02%an%x02%ae%x02%aI%x02%B%x03";

/// Reads the history of the backlog at `target`. `since` is a date (`2026-01-31`, `3 months ago`)
/// or a revision (`v1.2`): only later commits count.
pub fn scan(target: Target, since: Option<&str>) -> Result<History, Unavailable> {
    scan_until(target, since, None)
}

/// [`scan`], of the history that leads to revision `until` (HEAD when None).
pub fn scan_until(target: Target, since: Option<&str>, until: Option<&str>) -> Result<History, Unavailable> {
    let end = until.unwrap_or("HEAD");
    let place = locate(target)?;
    let tracked = run_git(&place.top, &["ls-files", "--", &place.rel])?;
    if tracked.trim().is_empty() {
        return Err(Unavailable::NotTracked);
    }
    let range = match since {
        Some(s)
            if !s.starts_with('-')
                && run_git(&place.top, &["rev-parse", "--verify", "--quiet", &format!("{s}^{{commit}}")]).is_ok() =>
        {
            vec![format!("{s}..{end}")]
        }
        Some(s) => vec![format!("--since={s}"), end.to_string()],
        None => vec![end.to_string()],
    };
    let mut args: Vec<String> = [
        "log",
        "-m",
        "--raw",
        "--no-abbrev",
        "--topo-order",
        "--full-history",
        NO_PROGRAMS[0],
        NO_PROGRAMS[1],
        LOG_FORMAT,
    ]
    .map(String::from)
    .to_vec();
    args.extend(range);
    args.push("--".into());
    // A renamed file keeps its history: every name it had takes part.
    let mut names: HashSet<String> = HashSet::new();
    if let Target::File(_) = target {
        let followed = run_git(
            &place.top,
            &["log", "--follow", "--name-only", NO_PROGRAMS[0], NO_PROGRAMS[1], "--format=", end, "--", &place.rel],
        )?;
        names.extend(followed.lines().filter(|l| !l.is_empty()).map(String::from));
        names.insert(place.rel.clone());
        args.extend(names.iter().cloned());
    } else {
        args.push(place.rel.clone());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let log = run_git(&place.top, &args)?;
    let mut commits = parse_log(&log, &names);
    commits.reverse();
    let mut cat = CatFile::start(git(&place.top)).map_err(|e| Unavailable::Note(format!("cannot run git: {e}")))?;
    let mut reader = Reader { cat: &mut cat, target, rel: &place.rel, blobs: HashMap::new(), trees: HashMap::new() };
    if let Target::File(_) = target {
        reader.prefetch(&commits);
    }
    let mut history = History::default();
    if place.shallow {
        history.notes.push(
            "the repository is a shallow clone: reorders before its oldest commit are not seen (run `git fetch --unshallow` for the whole history)".into(),
        );
    }
    history.summary.shallow = place.shallow;
    let mut baseline: Option<Version> = None;
    let mut newest: Option<Version> = None;
    let mut mailmaps = Mailmaps::default();
    for commit in &commits {
        let Some(now) = reader.version_at(commit, None) else { continue };
        let olds: Vec<Option<Version>> = (0..commit.parents.len().max(1))
            .map(|i| if commit.parents.is_empty() { None } else { reader.version_at(commit, Some(i)) })
            .collect();
        let summary = &mut history.summary;
        summary.commits += 1;
        summary.first_date.get_or_insert_with(|| commit.date.clone());
        summary.last_date = Some(commit.date.clone());
        let found = commit_moves(&olds, &now);
        if baseline.is_none() {
            baseline = Some(olds.first().cloned().flatten().unwrap_or_else(|| now.clone()));
        }
        if !found.is_empty() {
            summary.last_reorder_date = Some(commit.date.clone());
            summary.last_reorder_commit = Some(commit.hash.clone());
            baseline = Some(now.clone());
        }
        let added_log: Vec<&(String, String)> = match olds.first() {
            Some(Some(old)) => now.log.difference(&old.log).collect(),
            _ => now.log.iter().collect(),
        };
        let reason = rationale(&commit.message);
        let (author, email) = match commit.parents.first() {
            Some(parent) if !found.is_empty() => {
                mailmaps.map(reader.cat, &place.top, parent, &commit.author, &commit.email)
            }
            _ => (commit.author.clone(), commit.email.clone()),
        };
        for (item, from, to) in found {
            let logged = added_log.iter().find(|(i, _)| *i == item).map(|(_, d)| d.clone());
            history.events.push(Event {
                item,
                from,
                to,
                author: author.clone(),
                email: email.clone(),
                date: commit.date.clone(),
                commit: commit.hash.clone(),
                rationale: reason.clone(),
                logged,
            });
        }
        newest = Some(now);
    }
    if let (Some(base), Some(newest)) = (&baseline, &newest) {
        let before: HashSet<&String> = base.ids.iter().collect();
        history.summary.added_without_reorder = newest.ids.iter().filter(|id| !before.contains(id)).count();
    }
    let since = history.summary.last_reorder_date.as_ref().or(history.summary.first_date.as_ref());
    if let (Some(since), Some(last)) = (since, &history.summary.last_date) {
        history.summary.days_without_reorder = days_between(since, last);
    }
    Ok(history)
}

/// The moves a commit made. A merge made only the moves it shows against every parent: a move
/// against one parent alone came from the other branch, and is counted at its own commit there.
fn commit_moves(olds: &[Option<Version>], now: &Version) -> Vec<(String, usize, usize)> {
    let mut per_parent = olds.iter().map(|old| old.as_ref().map(|o| moves(&o.ids, &now.ids)));
    let Some(Some(first)) = per_parent.next() else { return Vec::new() };
    let mut common = first;
    for other in per_parent {
        let Some(other) = other else { return Vec::new() };
        let moved: HashSet<&String> = other.iter().map(|(id, _, _)| id).collect();
        common.retain(|(id, _, _)| moved.contains(id));
    }
    common
}

/// A `.mailmap` read the way git reads one: an address, or an address and a name, maps to a proper
/// name and/or address; names and addresses match regardless of ASCII case.
#[derive(Debug, Default)]
struct Mailmap {
    /// By lowercased address.
    by_email: HashMap<String, MailmapEntry>,
}

#[derive(Debug, Default)]
struct MailmapEntry {
    /// The proper name and address for any name at this address.
    name: Option<String>,
    email: Option<String>,
    /// By lowercased name: the proper name and address for that name at this address.
    by_name: HashMap<String, (Option<String>, Option<String>)>,
}

/// Git reads no more of a `.mailmap` than this here: real ones are a few kilobytes.
const MAILMAP_MAX_BYTES: usize = 1 << 20;

impl Mailmap {
    fn parse(text: &str) -> Mailmap {
        let mut map = Mailmap::default();
        for line in text.split('\n').filter(|l| !l.starts_with('#')) {
            let Some((new_name, new_email, rest)) = name_and_email(line, false) else { continue };
            let (old_name, old_email) = match name_and_email(rest, true) {
                Some((name, email, _)) => (name, Some(email)),
                None => (None, None),
            };
            let (new_email, old_email) = match old_email {
                Some(old) => (Some(new_email), old),
                None => (None, new_email),
            };
            let entry = map.by_email.entry(old_email.to_ascii_lowercase()).or_default();
            match old_name {
                None => {
                    if new_name.is_some() {
                        entry.name = new_name.map(String::from);
                    }
                    if new_email.is_some() {
                        entry.email = new_email.map(String::from);
                    }
                }
                Some(old) => {
                    entry
                        .by_name
                        .insert(old.to_ascii_lowercase(), (new_name.map(String::from), new_email.map(String::from)));
                }
            }
        }
        map
    }

    /// The proper name and address of `name <email>`.
    fn map(&self, name: &str, email: &str) -> (String, String) {
        let unchanged = (name.to_string(), email.to_string());
        let Some(entry) = self.by_email.get(&email.to_ascii_lowercase()) else { return unchanged };
        let (proper_name, proper_email) = match entry.by_name.get(&name.to_ascii_lowercase()) {
            Some((n, e)) => (n.as_deref(), e.as_deref()),
            None => (entry.name.as_deref(), entry.email.as_deref()),
        };
        (proper_name.unwrap_or(name).to_string(), proper_email.unwrap_or(email).to_string())
    }
}

/// `Name <email>` at the start of `text`, as git's mailmap parser reads it: the trimmed name (None
/// when empty), the email between the brackets, and the rest of the text after `>`.
fn name_and_email(text: &str, allow_empty_email: bool) -> Option<(Option<&str>, &str, &str)> {
    let left = text.find('<')?;
    let right = left + 1 + text[left + 1..].find('>')?;
    let email = &text[left + 1..right];
    if email.is_empty() && !allow_empty_email {
        return None;
    }
    let name = text[..left].trim_matches(|c: char| c.is_ascii_whitespace() || c == '\u{b}');
    Some(((!name.is_empty()).then_some(name), email, &text[right + 1..]))
}

/// The `.mailmap` of each revision a commit is judged by, each version parsed once.
#[derive(Default)]
struct Mailmaps {
    /// Finds a revision's `.mailmap` blob and its size without reading it.
    check: Option<CatFile>,
    parsed: HashMap<String, Mailmap>,
}

impl Mailmaps {
    /// `name <email>` as the `.mailmap` of revision `rev` maps it: a commit's author is mapped with its
    /// parent's, so that a commit cannot make its own author someone else by adding to `.mailmap`.
    fn map(&mut self, cat: &mut CatFile, top: &Path, rev: &str, name: &str, email: &str) -> (String, String) {
        if self.check.is_none() {
            self.check = CatFile::start_check(git(top)).ok();
        }
        let blob = self.check.as_mut().and_then(|check| check.info(&format!("{rev}:.mailmap")));
        let Some((id, kind, size)) = blob else { return (name.to_string(), email.to_string()) };
        if kind != "blob" || size > MAILMAP_MAX_BYTES {
            return (name.to_string(), email.to_string());
        }
        let map = self.parsed.entry(id).or_insert_with_key(|id| {
            let text = cat.get(id).map(|(_, _, bytes)| String::from_utf8_lossy(&bytes).into_owned());
            Mailmap::parse(&text.unwrap_or_default())
        });
        map.map(name, email)
    }
}

/// Reads versions of the backlog through `cat-file`, each blob and tree parsed once.
struct Reader<'a> {
    cat: &'a mut CatFile,
    target: Target<'a>,
    rel: &'a str,
    blobs: HashMap<String, Option<Version>>,
    /// Backlog.md: a task blob's sort key and id.
    trees: HashMap<String, Option<Version>>,
}

impl Reader<'_> {
    /// The version at the commit (`parent` None) or at its parent number `parent`.
    fn version_at(&mut self, commit: &Commit, parent: Option<usize>) -> Option<Version> {
        match self.target {
            Target::File(_) => {
                let blob = match parent {
                    None => commit.changes.iter().map(|(_, new)| new).find(|b| !is_zero(b))?,
                    // Blocks come one per parent; a parent whose version equals the commit's has no block.
                    Some(i) if commit.changes.len() == commit.parents.len() => &commit.changes[i].0,
                    Some(_) if commit.parents.len() == 1 => &commit.changes.first()?.0,
                    Some(_) => return None,
                };
                if is_zero(blob) {
                    return Some(Version::default());
                }
                self.file_version(&blob.clone())
            }
            Target::Folder(_) => {
                let rev = match parent {
                    None => commit.hash.clone(),
                    Some(i) => commit.parents.get(i)?.clone(),
                };
                self.folder_version(&rev)
            }
        }
    }

    /// Reads every version the commits name and parses them on every core, in batches of bounded size.
    fn prefetch(&mut self, commits: &[Commit]) {
        const BATCH_BYTES: usize = 64 << 20;
        let mut wanted: Vec<&String> =
            commits.iter().flat_map(|c| &c.changes).flat_map(|(old, new)| [old, new]).filter(|b| !is_zero(b)).collect();
        wanted.sort();
        wanted.dedup();
        let mut batch: Vec<(String, Vec<u8>)> = Vec::new();
        let mut bytes = 0;
        for (i, blob) in wanted.iter().enumerate() {
            if let Some((_, _, content)) = self.cat.get(blob) {
                bytes += content.len();
                batch.push(((*blob).clone(), content));
            }
            if bytes >= BATCH_BYTES || i + 1 == wanted.len() {
                let parsed = crate::parallel::map(&batch, 4, |(_, content)| yaml_version(content));
                self.blobs.extend(batch.drain(..).map(|(id, _)| id).zip(parsed));
                bytes = 0;
            }
        }
    }

    fn file_version(&mut self, blob: &str) -> Option<Version> {
        if let Some(v) = self.blobs.get(blob) {
            return v.clone();
        }
        let version = self.cat.get(blob).and_then(|(_, _, bytes)| yaml_version(&bytes));
        self.blobs.insert(blob.to_string(), version.clone());
        version
    }

    fn folder_version(&mut self, rev: &str) -> Option<Version> {
        let Some((tree, kind, content)) = self.cat.get(&format!("{rev}:{}", self.rel)) else {
            return Some(Version::default()); // no tasks folder yet
        };
        if kind != "tree" {
            return Some(Version::default());
        }
        if let Some(v) = self.trees.get(&tree) {
            return v.clone();
        }
        let mut tasks: Vec<(crate::source::backlog_md::SortKey, String)> = Vec::new();
        self.collect_tasks(&content, "", &mut tasks, 0);
        tasks.sort_by(|a, b| a.0.cmp(&b.0));
        let version = Some(Version { ids: tasks.into_iter().map(|(_, id)| id).collect(), log: HashSet::new() });
        self.trees.insert(tree, version.clone());
        version
    }

    fn collect_tasks(
        &mut self,
        tree: &[u8],
        prefix: &str,
        out: &mut Vec<(crate::source::backlog_md::SortKey, String)>,
        depth: usize,
    ) {
        for (mode, name, id) in tree_entries(tree) {
            if mode == "40000" && depth < 16 {
                if let Some((_, kind, sub)) = self.cat.get(&id)
                    && kind == "tree"
                {
                    self.collect_tasks(&sub, &format!("{prefix}{name}/"), out, depth + 1);
                }
            } else if name.ends_with(".md")
                && !name.eq_ignore_ascii_case("README.md")
                && let Some(task) = self.task(&id, &format!("{prefix}{name}"))
            {
                out.push(task);
            }
        }
    }

    fn task(&mut self, blob: &str, name: &str) -> Option<(crate::source::backlog_md::SortKey, String)> {
        let (_, _, bytes) = self.cat.get(blob)?;
        let text = String::from_utf8(bytes).ok()?;
        let file = SourceFile::new(name, text);
        let record = crate::source::backlog_md::task(&file, 0).ok()?;
        let id = record.text("id", &file)?;
        Some((crate::source::backlog_md::SortKey::of(&record, &file, false), id))
    }
}

fn is_zero(oid: &str) -> bool {
    oid.bytes().all(|b| b == b'0')
}

/// The entries of a binary tree object: mode, name and hex object id.
fn tree_entries(mut data: &[u8]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    // SHA-1 ids are 20 bytes; SHA-256 repositories are not handled by this reader.
    while let Some(space) = data.iter().position(|&b| b == b' ') {
        let Some(nul) = data[space..].iter().position(|&b| b == 0).map(|n| n + space) else { break };
        if data.len() < nul + 21 {
            break;
        }
        let mode = String::from_utf8_lossy(&data[..space]).into_owned();
        let name = String::from_utf8_lossy(&data[space + 1..nul]).into_owned();
        let id: String = data[nul + 1..nul + 21].iter().map(|b| format!("{b:02x}")).collect();
        out.push((mode, name, id));
        data = &data[nul + 21..];
    }
    out
}

/// The item order and ordering-log entries of one version of a YAML backlog.
fn yaml_version(bytes: &[u8]) -> Option<Version> {
    let text = std::str::from_utf8(bytes).ok()?;
    match skim(text) {
        Skim::Read(version) => Some(version),
        Skim::Invalid => None,
        Skim::NeedsTree => aliases_fit(text).then(|| tree_version(text)).flatten(),
    }
}

/// Whether the aliases in `text` add few enough values and bytes for the full parser, which copies
/// what each alias names: a version of a few megabytes could otherwise ask for gigabytes. Any old
/// version may be hostile, and one that does not fit is skipped like an unreadable one.
fn aliases_fit(text: &str) -> bool {
    use saphyr_parser::{Event, Parser};
    const MAX_VALUES: usize = 100_000;
    const MAX_BYTES: usize = 16 << 20;
    // Per open container: its anchor (0 for none), then the values and bytes it holds so far.
    let mut open: Vec<(usize, usize, usize)> = Vec::new();
    let mut anchored: HashMap<usize, (usize, usize)> = HashMap::new();
    let (mut values, mut bytes) = (0usize, 0usize);
    for event in Parser::new_from_str(text) {
        let Ok((event, _)) = event else { return false };
        let (anchor, size) = match event {
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                open.push((anchor, 1, 0));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some((anchor, n, b)) = open.pop() else { return false };
                (anchor, (n, b))
            }
            Event::Scalar(value, _, anchor, _) => (anchor, (1, value.len())),
            Event::Alias(id) => {
                let Some(&(n, b)) = anchored.get(&id) else { return false };
                values = values.saturating_add(n);
                bytes = bytes.saturating_add(b);
                if values > MAX_VALUES || bytes > MAX_BYTES {
                    return false;
                }
                (0, (n, b))
            }
            _ => continue,
        };
        if anchor != 0 {
            anchored.insert(anchor, size);
        }
        if let Some((_, n, b)) = open.last_mut() {
            *n = n.saturating_add(size.0);
            *b = b.saturating_add(size.1);
        }
    }
    true
}

enum Skim {
    Read(Version),
    Invalid,
    /// Aliases: only the full parser resolves them.
    NeedsTree,
}

/// What a container in the skimmed document is, as far as the order is concerned.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    Top,
    Items,
    Item,
    Log,
    LogEntry,
    Other,
}

/// Reads only `items[*].id` and `ordering_log[*].{item,date}` from the event stream, without
/// building a tree: history reads every version, so this is its hot path.
fn skim(text: &str) -> Skim {
    use saphyr_parser::{Event, Parser};
    // (role, pending key) per open container; the key is Some for a mapping awaiting its value.
    let mut stack: Vec<(Role, Option<String>, bool)> = Vec::new();
    let mut version = Version::default();
    let mut entry: (Option<String>, Option<String>) = (None, None);
    let mut id_seen = false;
    for event in Parser::new_from_str(text) {
        let Ok((event, _)) = event else { return Skim::Invalid };
        let child_role = |stack: &[(Role, Option<String>, bool)]| match stack.last() {
            None => Role::Top,
            Some((Role::Top, Some(k), _)) if k == "items" => Role::Items,
            Some((Role::Top, Some(k), _)) if k == "ordering_log" => Role::Log,
            Some((Role::Items, _, _)) => Role::Item,
            Some((Role::Log, _, _)) => Role::LogEntry,
            _ => Role::Other,
        };
        match event {
            Event::Alias(_) => return Skim::NeedsTree,
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if stack.len() >= 64 {
                    return Skim::Invalid;
                }
                let role = child_role(&stack);
                let is_map = matches!(event, Event::MappingStart(..));
                let role = match (role, is_map) {
                    (Role::Top | Role::Item | Role::LogEntry, true) | (Role::Items | Role::Log, false) => role,
                    _ => Role::Other,
                };
                if role == Role::Item {
                    id_seen = false;
                }
                if role == Role::LogEntry {
                    entry = (None, None);
                }
                stack.push((role, None, is_map));
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some((Role::LogEntry, _, _)) = stack.pop()
                    && let (Some(item), date) = std::mem::take(&mut entry)
                {
                    version.log.insert((item, date.unwrap_or_default()));
                }
                // The finished container was the value of its parent's key.
                if let Some((_, key, true)) = stack.last_mut() {
                    *key = None;
                }
                continue;
            }
            Event::Scalar(value, ..) => {
                let Some((role, key, is_map)) = stack.last_mut() else { continue };
                if !*is_map {
                    continue;
                }
                match key.take() {
                    None => *key = Some(value.into_owned()),
                    Some(k) => match (*role, k.as_str()) {
                        (Role::Item, "id") if !id_seen => {
                            id_seen = true;
                            version.ids.push(value.into_owned());
                        }
                        (Role::LogEntry, "item") => entry.0 = Some(value.into_owned()),
                        (Role::LogEntry, "date") => entry.1 = Some(value.into_owned()),
                        _ => {}
                    },
                }
                continue;
            }
            _ => continue,
        }
    }
    Skim::Read(version)
}

/// The same as [`skim`], through the full parser (aliases resolved).
fn tree_version(text: &str) -> Option<Version> {
    let file = SourceFile::new("backlog.yaml", text);
    let root = yaml::parse(&file, yaml::Limits::default()).ok()?;
    let text_of = |node: &yaml::Node| crate::model::scalar_text(node, &file);
    let list = |key: &str| match root.get(key).map(|n| &n.value) {
        Some(Value::Seq(nodes)) => nodes.as_slice(),
        _ => &[],
    };
    let ids = list("items").iter().filter_map(|n| n.get("id").and_then(text_of)).collect();
    let log = list("ordering_log")
        .iter()
        .filter_map(|n| Some((n.get("item").and_then(text_of)?, n.get("date").and_then(text_of).unwrap_or_default())))
        .collect();
    Some(Version { ids, log })
}

/// The moves the staged backlog makes against HEAD, by the committer git would record.
pub fn staged(target: Target) -> Result<History, Unavailable> {
    let place = locate(target)?;
    let ident = committer_ident(&place.top)?;
    let (person, when) = ident.trim().rsplit_once('>').unwrap_or((ident.trim(), ""));
    let (name, email) = person.split_once('<').unwrap_or((person, ""));
    let seconds: i64 = when.split_whitespace().next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let date = date_of_unix(seconds);
    let mut cat =
        CatFile::start(git_staged(&place.top)).map_err(|e| Unavailable::Note(format!("cannot run git: {e}")))?;
    // HEAD's `.mailmap`, not the staged one: the change must not name its own committer.
    let mailmap = match cat.get("HEAD:.mailmap") {
        Some((_, kind, bytes)) if kind == "blob" && bytes.len() <= MAILMAP_MAX_BYTES => {
            Mailmap::parse(&String::from_utf8_lossy(&bytes))
        }
        _ => Mailmap::default(),
    };
    let (name, email) = mailmap.map(name.trim(), email.trim());
    let (old, new) = match target {
        Target::File(_) => {
            let read = |cat: &mut CatFile, name: &str| cat.get(name).and_then(|(_, _, b)| yaml_version(&b));
            (read(&mut cat, &format!("HEAD:{}", place.rel)), read(&mut cat, &format!(":{}", place.rel)))
        }
        Target::Folder(_) => {
            let mut reader =
                Reader { cat: &mut cat, target, rel: &place.rel, blobs: HashMap::new(), trees: HashMap::new() };
            let old = reader.folder_version("HEAD");
            let listing = output_of(git_staged(&place.top), &["ls-files", "-s", "--", &place.rel])?;
            let mut tasks = Vec::new();
            for line in listing.lines() {
                let Some((meta, path)) = line.split_once('\t') else { continue };
                let Some(blob) = meta.split_whitespace().nth(1) else { continue };
                if path.ends_with(".md") && !path.to_ascii_lowercase().ends_with("readme.md") {
                    tasks.extend(reader.task(blob, path));
                }
            }
            tasks.sort_by(|a, b| a.0.cmp(&b.0));
            (old, Some(Version { ids: tasks.into_iter().map(|(_, id)| id).collect(), log: HashSet::new() }))
        }
    };
    let mut history = History::default();
    let (Some(old), Some(new)) = (old, new) else { return Ok(history) };
    let added: Vec<&(String, String)> = new.log.difference(&old.log).collect();
    for (item, from, to) in moves(&old.ids, &new.ids) {
        let logged = added.iter().find(|(i, _)| *i == item).map(|(_, d)| d.clone());
        history.events.push(Event {
            item,
            from,
            to,
            author: name.clone(),
            email: email.clone(),
            date: date.clone(),
            commit: "staged".into(),
            rationale: None,
            logged,
        });
    }
    Ok(history)
}

/// Puts the git moves into the backlog's one `reorders` collection, beside the `ordering_log`.
/// A move the same commit also logged in the file becomes that log entry (which gains the commit and
/// the author's email); the others point at the moved item in the current file, or at the top of the
/// backlog when the item is gone. The collection ends up in date order.
pub fn merge_into(backlog: &mut Backlog, history: &History) {
    let file0 = &backlog.files[0];
    let by_id: HashMap<String, usize> = backlog
        .items
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((r.text("id", &backlog.files[r.file])?, i)))
        .collect();
    let mut added = Vec::new();
    for event in &history.events {
        let short: String = event.commit.chars().take(10).collect();
        let logged = event.logged.as_ref().and_then(|date| {
            backlog.reorders.iter().position(|r| {
                r.text("item", file0).as_deref() == Some(event.item.as_str())
                    && r.text("date", file0).unwrap_or_default() == *date
            })
        });
        if let Some(i) = logged {
            let record = &mut backlog.reorders[i];
            let at = record.anchor;
            for (key, value) in [("commit", &short), ("email", &event.email), ("by", &event.author)] {
                if record.get(key).is_none()
                    && let Value::Map(entries) = &mut record.node.value
                {
                    entries.push(text_entry(key, value, at));
                }
            }
            continue;
        }
        let (file, at) = match by_id.get(&event.item) {
            Some(&i) => (backlog.items[i].file, backlog.items[i].anchor),
            None => (0, backlog.top.anchor),
        };
        let num = |key: &str, n: usize| Entry {
            key: key.into(),
            key_span: at,
            value: Node { span: at, value: Value::Num(n as f64) },
        };
        let mut entries = vec![
            text_entry("date", event.date.get(..10).unwrap_or(&event.date), at),
            text_entry("by", &event.author, at),
            text_entry("email", &event.email, at),
            text_entry("item", &event.item, at),
            num("from", event.from),
            num("to", event.to),
            text_entry("commit", &short, at),
        ];
        if let Some(r) = &event.rationale {
            entries.push(text_entry("rationale", r, at));
        }
        let mut record = Record::new(file, Node { span: at, value: Value::Map(entries) }, 0);
        record.anchor = at;
        record.in_file = false;
        added.push((event.date.clone(), record));
    }
    let mut all: Vec<(String, Record)> = std::mem::take(&mut backlog.reorders)
        .into_iter()
        .map(|r| (r.text("date", file0).unwrap_or_default(), r))
        .chain(added)
        .collect();
    // Stable: log entries of one day keep their file order, commits their history order.
    all.sort_by(|a, b| a.0.get(..10).unwrap_or(&a.0).cmp(b.0.get(..10).unwrap_or(&b.0)));
    backlog.reorders = all
        .into_iter()
        .enumerate()
        .map(|(i, (_, mut r))| {
            r.position = i + 1;
            r
        })
        .collect();
    backlog.history = Some(history.summary.clone());
}

fn text_entry(key: &str, value: &str, at: Span) -> Entry {
    Entry { key: key.into(), key_span: at, value: Node { span: at, value: Value::Str(value.into()) } }
}

/// Writes the backlog at `path` as it was at revision `rev` under `dest`, and returns where it
/// landed. Blobs are read as stored (`git archive` would run the repository's filters) and written
/// by us: symbolic links and submodules are skipped, and a path that could leave `dest` is refused.
pub fn checkout_at(path: &Path, rev: &str, dest: &Path) -> Result<PathBuf, String> {
    let target = if path.is_dir() { Target::Folder(path) } else { Target::File(path) };
    let place = match locate(target) {
        Ok(p) => p,
        Err(Unavailable::NotTracked) => return Err(format!("`{}` is not in a git repository", path.display())),
        Err(Unavailable::Note(n)) => return Err(n),
    };
    // A revision is never an option: `--output=…` must not reach git as one.
    if rev.starts_with('-')
        || run_git(&place.top, &["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")]).is_err()
    {
        return Err(format!("the repository has no revision `{rev}`"));
    }
    let mut args = vec!["ls-tree", "-r", "-z", "--full-tree", rev];
    if !place.rel.is_empty() {
        args.extend(["--", &place.rel]);
    }
    let listing = run_git(&place.top, &args).map_err(|e| match e {
        Unavailable::Note(n) => n,
        Unavailable::NotTracked => "git failed".into(),
    })?;
    let mut cat = CatFile::start(git(&place.top)).map_err(|e| format!("cannot run git: {e}"))?;
    let inside = |name: &str| place.rel.is_empty() || name == place.rel || name.starts_with(&format!("{}/", place.rel));
    for record in listing.split('\0').filter(|r| !r.is_empty()) {
        let Some((meta, name)) = record.split_once('\t') else { continue };
        let mut meta = meta.split(' ');
        let (Some(mode), Some("blob"), Some(id)) = (meta.next(), meta.next(), meta.next()) else { continue };
        if name == place.rel && mode == "120000" {
            return Err(format!(
                "`{}` is a symbolic link at revision `{rev}`, which backlint does not follow",
                place.rel
            ));
        }
        if !matches!(mode, "100644" | "100755") || !inside(name) || !is_plain_relative(name) {
            continue;
        }
        let Some((_, kind, content)) = cat.get(id) else { continue };
        if kind != "blob" {
            continue;
        }
        let file = dest.join(name);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot write `{name}`: {e}"))?;
        }
        // `dest` is fresh and holds only what this loop made, so nothing in it is a link to follow;
        // a second entry of the same name (a malformed tree) is an error, not an overwrite.
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&file)
            .map_err(|e| format!("cannot write `{name}`: {e}"))?;
        out.write_all(&content).map_err(|e| format!("cannot write `{name}`: {e}"))?;
    }
    let landed = dest.join(&place.rel);
    if !landed.exists() {
        return Err(format!("`{}` does not exist at revision `{rev}`", place.rel));
    }
    Ok(landed)
}

/// The staged text of the file at `path` (what the commit will hold), or `None` when it is not
/// staged, not in git or not text. Read no further than the size cap allows, as for a file on disk.
pub fn staged_text(path: &Path) -> Result<Option<String>, crate::diag::Problem> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // `cat-file blob` gives the bytes as staged: no filter, textconv or pager can run.
    let staged = git_staged(dir)
        .args(["cat-file", "blob", &format!(":./{name}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = staged else { return Ok(None) };
    let cap = crate::files::input::max_file_bytes();
    let mut bytes = Vec::new();
    let read = child.stdout.take().map(|out| out.take(cap + 1).read_to_end(&mut bytes));
    if bytes.len() as u64 > cap {
        let _ = child.kill();
        let _ = child.wait();
        let refusal = crate::files::input::Refusal::TooLarge(bytes.len() as u64);
        return Err(crate::diag::Problem::error(
            "I0030",
            format!("cannot read the staged `{}`: {}", path.display(), refusal.reason()),
        )
        .help(refusal.help()));
    }
    let staged = child.wait().is_ok_and(|status| status.success()) && matches!(read, Some(Ok(_)));
    Ok(staged.then(|| String::from_utf8(bytes).ok()).flatten())
}

/// A path of plain names under the folder it is joined to: not absolute, no `.`, `..` or empty
/// parts, no `.git`.
fn is_plain_relative(name: &str) -> bool {
    name.split('/').all(|part| !matches!(part, "" | "." | "..") && !part.eq_ignore_ascii_case(".git"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::day_number;

    fn ids(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn an_item_dragged_to_the_top_is_the_one_move() {
        assert_eq!(moves(&ids("A B C D X"), &ids("X A B C D")), vec![("X".into(), 5, 1)]);
    }

    #[test]
    fn inserting_and_removing_items_is_not_a_reorder() {
        assert!(moves(&ids("A B C D"), &ids("N A C D M")).is_empty());
    }

    #[test]
    fn a_swap_reports_the_item_that_went_up() {
        assert_eq!(moves(&ids("A B C"), &ids("B A C")), vec![("B".into(), 2, 1)]);
    }

    #[test]
    fn positions_are_in_the_whole_list() {
        // C moves above A while N is inserted at the top.
        assert_eq!(moves(&ids("A B C"), &ids("N C A B")), vec![("C".into(), 3, 2)]);
    }

    #[test]
    fn rationale_prefers_the_trailer_and_skips_other_trailers() {
        let msg = "Reorder\n\nCustomers asked twice.\n\nSigned-off-by: A <a@x>\n";
        assert_eq!(rationale(msg).as_deref(), Some("Customers asked twice."));
        let msg = "Reorder\n\nlong text\n\nReorder-Rationale: churn risk\n";
        assert_eq!(rationale(msg).as_deref(), Some("churn risk"));
        assert_eq!(rationale("Reorder backlog\n\nSigned-off-by: A <a@x>\n"), None);
    }

    #[test]
    fn skimming_reads_what_the_full_parser_reads() {
        let texts = [
            "items:\n  - id: A\n    tasks: [{id: X}]\n  - {title: t, id: 7}\n  - id: 'C'\n  - plain\n",
            "product: P\nordering_log:\n  - {date: 2026-01-02, item: B}\n  - item: A\nitems:\n  - id: B\n  - nested: {id: Z}\n    id: E\n",
            "items: []\n",
            "- id: A\n",
        ];
        for text in texts {
            let Skim::Read(quick) = skim(text) else { panic!("{text}") };
            let full = tree_version(text).unwrap_or_default();
            assert_eq!((quick.ids, quick.log), (full.ids, full.log), "{text}");
        }
        assert!(matches!(skim("items:\n  - &a {id: A}\n  - *a\n"), Skim::NeedsTree));
        assert!(matches!(skim("items: [\n"), Skim::Invalid));
    }

    #[test]
    fn aliases_that_expand_too_far_are_not_parsed() {
        let big = "x".repeat(1 << 20);
        let bytes = format!("a: &a {big}\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nitems:\n  - id: *a\n");
        assert!(!aliases_fit(&bytes), "16 copies of 1 MB");
        assert!(yaml_version(bytes.as_bytes()).is_none());
        let mut values = String::from("l0: &l0 [lol]\n");
        for i in 1..=6 {
            values += &format!("l{i}: &l{i} [{}]\n", vec![format!("*l{}", i - 1); 10].join(", "));
        }
        assert!(!aliases_fit(&values), "a million values");
        let fine = "items:\n  - &a {id: A}\n  - *a\n  - {id: B}\n";
        assert!(aliases_fit(fine));
        assert_eq!(yaml_version(fine.as_bytes()).map(|v| v.ids), Some(ids("A A B")));
    }

    #[test]
    fn mailmap_reads_as_git_does() {
        let map = Mailmap::parse(
            "# comment\n\
             Dana Lee <dana@x.example>\n\
             <dana@x.example> <DLee@old.example>\n\
             Sam Ortiz <sam@x.example> sam <sam@home.example>\n\
             Other Sam <other@x.example> <SAM@home.example>\n\
             broken line\n\
             Nobody <>\n",
        );
        let m = |name: &str, email: &str| map.map(name, email);
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(m("dana", "DANA@x.example"), pair("Dana Lee", "DANA@x.example"));
        assert_eq!(m("dlee", "dlee@old.example"), pair("dlee", "dana@x.example"));
        assert_eq!(m("Sam", "sam@home.example"), pair("Sam Ortiz", "sam@x.example"));
        assert_eq!(m("Samuel", "sam@home.example"), pair("Other Sam", "other@x.example"));
        assert_eq!(m("Eve", "eve@x.example"), pair("Eve", "eve@x.example"));
        assert_eq!(m("Nobody", ""), pair("Nobody", ""));
    }

    #[test]
    fn only_plain_relative_paths_are_written() {
        for good in ["backlog.yaml", "backlog/tasks/task-1 - A.md", "a/.github/x", "..a/b.."] {
            assert!(is_plain_relative(good), "{good}");
        }
        for bad in ["", "/etc/passwd", "a/../../b", "..", "./a", "a//b", ".git/hooks/pre-commit", "a/.GIT/config"] {
            assert!(!is_plain_relative(bad), "{bad}");
        }
    }

    #[test]
    fn dates_round_trip() {
        for day in [-1000, 0, 1, 19_000, 20_781, 100_000] {
            assert_eq!(day_number(&date_of_unix(day * 86_400)), Some(day));
        }
        assert_eq!(days_between("2026-02-27", "2026-03-01T10:00:00+01:00"), Some(2));
    }
}
