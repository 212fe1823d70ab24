//! Reorder events from git: every version of the backlog, read through one long-lived
//! `git cat-file --batch`, turned into "item moved from position A to B" events per commit.
//!
//! A move is a change in the relative order of items present in both versions: items added or
//! removed shift positions without being reorders. Of the items present in both versions, the longest
//! run that kept its relative order stays put (a longest increasing subsequence); every other item
//! moved. A commit's author is mapped through the `.mailmap` of its first parent, never its own (see
//! [`Mailmaps`]). Every git command comes from [`git`], which keeps the repository from running programs.

mod cache;
mod folder;
mod git;
mod identity;
mod mailmap;
mod rationale;

// foldhash: ids and paths come from one repository; SipHash's flood resistance buys nothing here and was a
// fifth of the time of a long history.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use git::{CatFile, NO_PROGRAMS, committer_ident, output_of, run_git};
pub(crate) use git::{git, git_staged};
use mailmap::{MAILMAP_MAX_BYTES, Mailmap, Mailmaps};

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
    /// What the user asked for cannot be done (a `--since` that is neither a date nor a revision, a
    /// message file that cannot be read): an error, never a quiet run without history.
    Invalid(String),
}

/// The order of one version, and the ordering-log entries it carries.
#[derive(Clone, Debug, Default)]
struct Version {
    ids: Vec<Arc<str>>,
    log: HashSet<(String, String)>,
    /// Backlog.md: the ids with their prefix left out (`task-12` and `back-12` are one item, so a
    /// change of `task_prefix` is not a change of items), when no two ids of the version share one.
    keys: Option<Vec<Arc<str>>>,
    /// Backlog.md: ids that two or more task files carry, with those files.
    duplicates: Vec<(String, Vec<String>)>,
    /// Known that no id (and no key) occurs twice, so [`moves_of_unique`] applies.
    unique: bool,
}

impl Version {
    /// The order as compared between versions: by key when `by_key`.
    fn order(&self, by_key: bool) -> &[Arc<str>] {
        match (&self.keys, by_key) {
            (Some(keys), true) => keys,
            _ => &self.ids,
        }
    }

    /// A YAML backlog's version as the cache keeps it.
    fn of_order(order: &cache::Order) -> Version {
        Version { ids: order.ids.clone(), log: order.log.iter().cloned().collect(), ..Version::default() }
    }

    /// What the cache keeps of a YAML backlog's version: the rest is a Backlog.md folder's.
    fn order_of(&self) -> cache::Order {
        let mut log: Vec<(String, String)> = self.log.iter().cloned().collect();
        log.sort();
        cache::Order { ids: self.ids.clone(), log }
    }

    /// The id as written of the item at 1-based `position`.
    fn id_at(&self, position: usize) -> Option<String> {
        self.ids.get(position.checked_sub(1)?).map(|id| id.to_string())
    }
}

/// A Backlog.md id without its prefix: `task-12.1` and `BACK-12.1` give `12.1`; an id that is not
/// a prefix and a number is kept whole (lowercased).
pub fn id_key(id: &str) -> String {
    let id = id.trim().to_lowercase();
    let number = id.trim_start_matches(|c: char| c.is_alphabetic() || c == '_');
    let number = number.strip_prefix(['-', '_', ' ']).unwrap_or(number);
    let numeric = !number.is_empty()
        && number.starts_with(|c: char| c.is_ascii_digit())
        && number.chars().all(|c| c.is_ascii_digit() || c == '.');
    if numeric && number.len() < id.len() { number.to_string() } else { id }
}

/// The moves between two orders. Items only in one of them (added, removed) are not moves.
pub fn moves<S: AsRef<str> + PartialEq>(old: &[S], new: &[S]) -> Vec<(String, usize, usize)> {
    if old == new {
        return Vec::new();
    }
    moves_between(old, new)
}

/// [`moves`], the shorter way when both orders are known to hold each id once.
fn moves_with<S: AsRef<str> + PartialEq>(old: &[S], new: &[S], unique: bool) -> Vec<(String, usize, usize)> {
    if unique { moves_of_unique(old, new) } else { moves(old, new) }
}

/// [`moves`] for two orders in which no id occurs twice. The unchanged head and tail of the two
/// orders are left out first: with unique ids they hold the same items at the same places, every
/// longest increasing subsequence can be extended by them, and the one [`longest_increasing`]
/// picks is the one it picks in the middle alone. A commit that moves one item of a long backlog
/// then costs the span it crossed, not the whole list (checked against [`moves`] in the tests).
fn moves_of_unique<S: AsRef<str> + PartialEq>(old: &[S], new: &[S]) -> Vec<(String, usize, usize)> {
    let head = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let (old_rest, new_rest) = (&old[head..], &new[head..]);
    let tail = old_rest.iter().rev().zip(new_rest.iter().rev()).take_while(|(a, b)| a == b).count();
    let (old_mid, new_mid) = (&old_rest[..old_rest.len() - tail], &new_rest[..new_rest.len() - tail]);
    if old_mid.is_empty() || new_mid.is_empty() {
        return Vec::new(); // only additions or removals
    }
    // One item dragged across the others (the board's common case): the window starts and ends at
    // the two places it was and is. The longest run that kept its order is the others; when there
    // is one other, the tie goes to the item that went down, as in `longest_increasing`.
    let last = old_mid.len() - 1;
    if old_mid.len() == new_mid.len() && old_mid.len() >= 2 {
        let up = new_mid[0] == old_mid[last] && new_mid[1..] == old_mid[..last];
        let down = new_mid[last] == old_mid[0] && new_mid[..last] == old_mid[1..];
        if up || (down && last == 1) {
            return vec![(new_mid[0].as_ref().to_string(), head + last + 1, head + 1)];
        }
        if down {
            return vec![(old_mid[0].as_ref().to_string(), head + 1, head + last + 1)];
        }
    }
    // Each id once: an item's old position stands for its rank among the common items (the
    // subsequence's choices depend only on how values compare), and nothing needs deduplicating.
    let old_at: HashMap<&str, usize> = old_mid.iter().enumerate().map(|(i, id)| (id.as_ref(), i)).collect();
    let common: Vec<(&str, usize, usize)> = new_mid
        .iter()
        .enumerate()
        .filter_map(|(j, id)| old_at.get(id.as_ref()).map(|&i| (id.as_ref(), i, j)))
        .collect();
    let stay = longest_increasing(&common.iter().map(|&(_, i, _)| i).collect::<Vec<_>>());
    common
        .iter()
        .zip(stay)
        .filter(|(_, stay)| !stay)
        .map(|(&(id, i, j), _)| (id.to_string(), head + i + 1, head + j + 1))
        .collect()
}

fn moves_between<S: AsRef<str>>(old: &[S], new: &[S]) -> Vec<(String, usize, usize)> {
    let old_at: HashMap<&str, usize> = first_positions(old);
    let new_at: HashMap<&str, usize> = first_positions(new);
    // The common items in new order, each with its rank among the common items in old order.
    let mut common_old: Vec<&str> = old.iter().map(AsRef::as_ref).filter(|id| new_at.contains_key(id)).collect();
    dedup_keep_first(&mut common_old);
    let old_rank: HashMap<&str, usize> = common_old.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut common_new: Vec<&str> = new.iter().map(AsRef::as_ref).filter(|id| old_at.contains_key(id)).collect();
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

fn first_positions<S: AsRef<str>>(ids: &[S]) -> HashMap<&str, usize> {
    let mut at = HashMap::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        at.entry(id.as_ref()).or_insert(i);
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

/// The repository around `target` and the target's path inside it.
struct Place {
    top: PathBuf,
    /// Path relative to the repository's top, with `/`.
    rel: String,
    shallow: bool,
    /// The git directory shared by every work tree (where the cache lives).
    git_dir: Option<PathBuf>,
}

/// The folder holding the `.git` nearest `dir` (which must be absolute), if any. Outside any work
/// tree there is simply no history, and asking git would cost a process start (a fifth of a small
/// check). Every `GIT_*` variable is dropped, so git finds a repository only through a `.git` in
/// one of these folders (bare ones must be named explicitly).
fn work_tree_around(dir: &Path) -> Option<&Path> {
    dir.ancestors().find(|d| d.join(".git").symlink_metadata().is_ok())
}

/// Whether `target` may have a history: false when no folder around it holds a `.git`, so that a
/// caller need not prepare a scan that would find nothing.
pub fn may_have_history(target: Target) -> bool {
    absolute(target).is_some_and(|(_, dir)| work_tree_around(&dir).is_some())
}

/// The target's absolute path, and the folder git runs in for it (the target's own, or its parent).
fn absolute(target: Target) -> Option<(PathBuf, PathBuf)> {
    let (Target::File(path) | Target::Folder(path)) = target;
    let abs = std::fs::canonicalize(path).ok()?;
    let dir = if abs.is_dir() { abs.clone() } else { abs.parent().map(Path::to_path_buf).unwrap_or_default() };
    Some((abs, dir))
}

fn locate(target: Target) -> Result<Place, Unavailable> {
    let (abs, dir) = absolute(target).ok_or(Unavailable::NotTracked)?;
    let Some(repo) = work_tree_around(&dir) else { return Err(Unavailable::NotTracked) };
    let out = match git(&dir)
        .args(["rev-parse", "--show-toplevel", "--is-shallow-repository", "--git-common-dir"])
        .output()
    {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        // Inside a work tree that git refuses (dubious ownership, an unknown repository format), say
        // why the history is missing.
        Ok(out) => {
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
    let git_dir = lines.next().filter(|l| !l.is_empty()).and_then(|l| std::fs::canonicalize(dir.join(l)).ok());
    let top = std::fs::canonicalize(&top).unwrap_or(top);
    let rel = abs.strip_prefix(&top).map_err(|_| Unavailable::NotTracked)?;
    let rel = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
    Ok(Place { top, rel, shallow, git_dir })
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
    let ls_files = || run_git(&place.top, &["ls-files", "--", &place.rel]);
    let untracked = |listed: String| if listed.trim().is_empty() { Err(Unavailable::NotTracked) } else { Ok(()) };
    let (listed, range) = match since {
        Some(s) => {
            untracked(ls_files()?)?;
            (true, since_range(&place.top, s, end)?)
        }
        None => (false, vec![end.to_string()]),
    };
    let folder = matches!(target, Target::Folder(_));
    // A folder's versions are read from its trees: the log needs no list of changed files.
    let raw: &[&str] = if folder { &[] } else { &["--raw", "--no-abbrev"] };
    let log_of = |names: &[&str]| {
        let args: Vec<&str> = ["log", "-m"]
            .into_iter()
            .chain(raw.iter().copied())
            .chain(["--topo-order", "--full-history", NO_PROGRAMS[0], NO_PROGRAMS[1], LOG_FORMAT])
            .chain(range.iter().map(String::as_str))
            .chain(["--"])
            .chain(names.iter().copied())
            .collect();
        run_git(&place.top, &args)
    };
    // A renamed file keeps its history: every name it had takes part. The names, whether the file
    // is tracked and the log under its present name are asked of git at once: most files were
    // never renamed, and a small check in a repository was mostly waiting for these one by one.
    let follow = || {
        let args = ["log", "--follow", "--name-only", NO_PROGRAMS[0], NO_PROGRAMS[1], "--format=", end, "--"];
        run_git(&place.top, &[&args[..], &[place.rel.as_str()]].concat())
    };
    let (tracked, followed, log_under_present_name) = std::thread::scope(|scope| {
        let tracked = (!listed).then(|| scope.spawn(ls_files));
        let followed = (!folder).then(|| scope.spawn(follow));
        let log = log_of(&[place.rel.as_str()]);
        let join = |thread: std::thread::ScopedJoinHandle<'_, _>| {
            thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        };
        (tracked.map(join), followed.map(join), log)
    });
    if let Some(tracked) = tracked {
        untracked(tracked?)?;
    }
    let mut names: HashSet<String> = HashSet::new();
    if let Some(followed) = followed {
        names.extend(followed?.lines().filter(|l| !l.is_empty()).map(String::from));
        names.insert(place.rel.clone());
    }
    let log = if names.len() > 1 {
        log_of(&names.iter().map(String::as_str).collect::<Vec<_>>())?
    } else {
        log_under_present_name?
    };
    let mut commits = parse_log(&log, &names);
    commits.reverse();
    let cannot_run = |e: std::io::Error| Unavailable::Note(format!("cannot run git: {e}"));
    let mut history = History::default();
    if place.shallow {
        history.notes.push(
            "the repository is a shallow clone: reorders before its oldest commit are not seen (run `git fetch --unshallow` for the whole history)".into(),
        );
    }
    history.summary.shallow = place.shallow;
    // Per commit: whether its version is readable, the moves it made, and the ids two files share
    // (with those of its first parent's version).
    let (steps, by_key, mut state): (Vec<Step>, bool, Option<FolderState>) = if folder {
        let (steps, by_key, state) = folder_steps(&place, &commits)?;
        (steps, by_key, Some(state))
    } else {
        let mut cat = CatFile::start(git(&place.top)).map_err(cannot_run)?;
        let mut cache = cache::Cache::open(place.git_dir.as_deref());
        let mut reader = Reader { cat: &mut cat, blobs: HashMap::new() };
        reader.prefetch(&commits, &mut cache);
        cache.save();
        let steps = commits
            .iter()
            .map(|commit| {
                let Some(now) = reader.version_at(commit, None) else { return Step::default() };
                let olds: Vec<Option<Rc<Version>>> = (0..commit.parents.len().max(1))
                    .map(|i| if commit.parents.is_empty() { None } else { reader.version_at(commit, Some(i)) })
                    .collect();
                let found = commit_moves(&olds, &now, false);
                Step {
                    readable: true,
                    found,
                    before: olds.first().cloned().flatten(),
                    now: Some(now),
                    ..Step::default()
                }
            })
            .collect::<Vec<Step>>();
        (steps, false, None)
    };
    let mut baseline: Option<Rc<Version>> = None;
    let mut newest: Option<Rc<Version>> = None;
    // The authors of commits that moved items are mapped through their first parent's `.mailmap`.
    let movers: Vec<&str> = commits
        .iter()
        .zip(&steps)
        .filter(|(_, step)| step.readable && !step.found.is_empty())
        .filter_map(|(commit, _)| commit.parents.first().map(String::as_str))
        .collect();
    let mailmaps = Mailmaps::read(&place.top, &movers);
    for (commit, step) in commits.iter().zip(steps) {
        if !step.readable {
            continue;
        }
        let summary = &mut history.summary;
        summary.commits += 1;
        summary.first_date.get_or_insert_with(|| commit.date.clone());
        summary.last_date = Some(commit.date.clone());
        if baseline.is_none() {
            baseline = step.before.clone().or_else(|| step.now.clone());
        }
        if !step.found.is_empty() {
            summary.last_reorder_date = Some(commit.date.clone());
            summary.last_reorder_commit = Some(commit.hash.clone());
            baseline = step.now.clone();
        }
        for (id, files) in &step.duplicates {
            history.notes.push(duplicate_note(id, files, commit));
        }
        let empty = HashSet::new();
        let now_log = step.now.as_ref().map_or(&empty, |v| &v.log);
        let added_log: Vec<&(String, String)> = match &step.before {
            Some(old) => now_log.difference(&old.log).collect(),
            _ => now_log.iter().collect(),
        };
        let (author, email) = match commit.parents.first() {
            Some(parent) if !step.found.is_empty() => mailmaps.map(parent, &commit.author, &commit.email),
            _ => (commit.author.clone(), commit.email.clone()),
        };
        for (item, from, to) in step.found {
            let logged = added_log.iter().find(|(i, _)| *i == item).map(|(_, d)| d.clone());
            history.events.push(Event {
                rationale: rationale::of_commit(&commit.message, &item),
                item,
                from,
                to,
                author: author.clone(),
                email: email.clone(),
                date: commit.date.clone(),
                commit: commit.hash.clone(),
                logged,
            });
        }
        if step.now.is_some() {
            newest = step.now;
        }
    }
    if folder {
        // The steps of a folder keep no versions: the two the summary compares are read now.
        let first = commits.first().map(|c| c.parents.first().unwrap_or(&c.hash));
        let base = history.summary.last_reorder_commit.as_ref().or(first);
        if let (Some(base), Some(last), Some(state)) = (base, commits.last(), state.as_mut()) {
            let (old, new) = state.versions(&place, base, &last.hash)?;
            (baseline, newest) = (Some(old), Some(new));
        }
    }
    if let Some(state) = &state {
        state.cache.save();
    }
    history.notes.extend(identity::unify(&mut history.events));
    if let (Some(base), Some(newest)) = (&baseline, &newest) {
        let before: HashSet<&Arc<str>> = base.order(by_key).iter().collect();
        history.summary.added_without_reorder = newest.order(by_key).iter().filter(|id| !before.contains(id)).count();
    }
    let since = history.summary.last_reorder_date.as_ref().or(history.summary.first_date.as_ref());
    if let (Some(since), Some(last)) = (since, &history.summary.last_date) {
        history.summary.days_without_reorder = days_between(since, last);
    }
    Ok(history)
}

/// What one commit did, as the summary and the events need it.
#[derive(Default)]
struct Step {
    /// Whether the commit's version could be read (an unreadable one is skipped).
    readable: bool,
    found: Vec<(String, usize, usize)>,
    /// The versions before (first parent) and after; a folder's steps keep none.
    before: Option<Rc<Version>>,
    now: Option<Rc<Version>>,
    /// Ids this commit gave to more than one task file, with the files.
    duplicates: Vec<(String, Vec<String>)>,
}

/// The steps of a Backlog.md folder's history, and whether its items are compared by key. What the
/// cache knows (the moves between two trees, the facts of one) needs no tree read; the rest is
/// read in a few streamed rounds.
fn folder_steps(place: &Place, commits: &[Commit]) -> Result<(Vec<Step>, bool, FolderState), Unavailable> {
    let cannot_run = |e: std::io::Error| Unavailable::Note(format!("cannot run git: {e}"));
    let mut cache = cache::Cache::open(place.git_dir.as_deref());
    let mut revs: Vec<String> =
        commits.iter().flat_map(|c| std::iter::once(&c.hash).chain(&c.parents)).cloned().collect();
    revs.sort();
    revs.dedup();
    let mut folders = folder::Folders::read(&place.top, &place.rel, &revs, &mut cache).map_err(cannot_run)?;
    let name = |tree: Option<folder::Oid>| tree.map(|t| folder::hex(&t));
    let mut wanted: Vec<folder::Oid> = Vec::new();
    for commit in commits {
        let now = folders.tree_at(&commit.hash);
        if cache.facts(name(now).as_deref()).is_none() {
            wanted.extend(now);
        }
        for parent in &commit.parents {
            let old = folders.tree_at(parent);
            if cache.pair(name(old).as_deref(), name(now).as_deref()).is_none() {
                wanted.extend(old);
                wanted.extend(now);
            }
        }
    }
    // In history order: the reader compares each tree with the one before, which differs by a commit.
    let mut once = HashSet::new();
    wanted.retain(|tree| once.insert(*tree));
    folders.load(&place.top, &wanted, &mut cache).map_err(cannot_run)?;
    let facts: Vec<cache::Facts> =
        commits.iter().map(|c| folders.facts(folders.tree_at(&c.hash), &mut cache)).collect();
    let by_key = facts.iter().all(|f| f.by_key);
    let mut reported: HashSet<String> = HashSet::new();
    let mut steps = Vec::with_capacity(commits.len());
    for (commit, facts) in commits.iter().zip(facts) {
        let now = folders.tree_at(&commit.hash);
        let mut per_parent = commit.parents.iter().map(|parent| {
            let pair = folders.pair(folders.tree_at(parent), now, &mut cache);
            if by_key { pair.by_key.clone().unwrap_or_else(|| pair.by_id.clone()) } else { pair.by_id.clone() }
        });
        // A merge made only the moves it shows against every parent.
        let mut found = per_parent.next().unwrap_or_default();
        for other in per_parent {
            found.retain(|(item, _, _)| other.iter().any(|(i, _, _)| i == item));
        }
        let mut duplicates = Vec::new();
        if !facts.duplicates.is_empty() {
            let before = match commit.parents.first() {
                Some(parent) => {
                    let tree = folders.tree_at(parent);
                    if cache.facts(name(tree).as_deref()).is_none() {
                        let trees: Vec<folder::Oid> = tree.into_iter().collect();
                        folders.load(&place.top, &trees, &mut cache).map_err(cannot_run)?;
                    }
                    folders.facts(tree, &mut cache).duplicates
                }
                None => Vec::new(),
            };
            for (id, files) in facts.duplicates {
                if !before.iter().any(|(i, _)| *i == id) && reported.insert(id.clone()) {
                    duplicates.push((id, files));
                }
            }
        }
        steps.push(Step { readable: true, found, duplicates, ..Step::default() });
    }
    Ok((steps, by_key, FolderState { folders, cache }))
}

/// The folder's trees and the cache after the steps, for the two versions the summary compares.
struct FolderState {
    folders: folder::Folders,
    cache: cache::Cache,
}

impl FolderState {
    /// The orders at revisions `old` and `new`: their trees are known from the steps, and their task
    /// files from the cache, so only the trees are read (both in the same rounds).
    fn versions(&mut self, place: &Place, old: &str, new: &str) -> Result<(Rc<Version>, Rc<Version>), Unavailable> {
        if !self.folders.knows(old) || !self.folders.knows(new) {
            return Ok((folder_version(place, old)?, folder_version(place, new)?));
        }
        let trees = [self.folders.tree_at(old), self.folders.tree_at(new)];
        let wanted: Vec<folder::Oid> = trees.iter().flatten().copied().collect();
        let cannot_run = |e: std::io::Error| Unavailable::Note(format!("cannot run git: {e}"));
        self.folders.load(&place.top, &wanted, &mut self.cache).map_err(cannot_run)?;
        Ok((self.folders.version(trees[0]), self.folders.version(trees[1])))
    }
}

/// The order of the folder at revision `rev`.
fn folder_version(place: &Place, rev: &str) -> Result<Rc<Version>, Unavailable> {
    let cannot_run = |e: std::io::Error| Unavailable::Note(format!("cannot run git: {e}"));
    let revs = [rev.to_string()];
    let mut folders =
        folder::Folders::read(&place.top, &place.rel, &revs, &mut cache::Cache::default()).map_err(cannot_run)?;
    folders.at(&place.top, rev).map_err(cannot_run)
}

/// What `--since` asks git for: the commits after a revision (`REV..END`), or after a date
/// (`YYYY-MM-DD`, or ISO 8601 with a time). Anything else is an error: git would read it as "now"
/// and the history rules would go silent.
fn since_range(top: &Path, since: &str, end: &str) -> Result<Vec<String>, Unavailable> {
    let revision = !since.starts_with('-')
        && run_git(top, &["rev-parse", "--verify", "--quiet", &format!("{since}^{{commit}}")]).is_ok();
    if revision {
        Ok(vec![format!("{since}..{end}")])
    } else if is_date(since) {
        Ok(vec![format!("--since={since}"), end.to_string()])
    } else {
        Err(Unavailable::Invalid(format!(
            "`--since {since}` is neither a date (YYYY-MM-DD, or ISO 8601 such as 2026-01-31T09:00:00Z) nor a revision of this repository"
        )))
    }
}

/// `YYYY-MM-DD` of a real day, alone or followed by an ISO 8601 time (`T09:30`, seconds,
/// fractions, `Z` or an offset).
pub fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes.get(range).is_some_and(|b| b.iter().all(u8::is_ascii_digit));
    if !(digits(0..4) && bytes.get(4) == Some(&b'-') && digits(5..7) && bytes.get(7) == Some(&b'-') && digits(8..10)) {
        return false;
    }
    let (year, month, day): (i64, u32, u32) =
        (text[..4].parse().unwrap_or(0), text[5..7].parse().unwrap_or(0), text[8..10].parse().unwrap_or(0));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day == 0 || day > days {
        return false;
    }
    let time = &text[10..];
    if time.is_empty() {
        return true;
    }
    let Some(time) = time.strip_prefix(['T', ' ']) else { return false };
    let (clock, zone) = match time.find(['Z', '+', '-']) {
        Some(i) => time.split_at(i),
        None => (time, ""),
    };
    let (clock, fraction) = clock.split_once('.').unwrap_or((clock, "0"));
    let parts: Vec<&str> = clock.split(':').collect();
    let limits = [23, 59, 60];
    let clock_ok = (2..=3).contains(&parts.len())
        && parts.iter().zip(limits).all(|(p, max)| p.len() == 2 && p.parse::<u32>().is_ok_and(|n| n <= max));
    let fraction_ok = !fraction.is_empty() && fraction.bytes().all(|b| b.is_ascii_digit());
    let zone_ok = match zone {
        "" | "Z" => true,
        z => {
            let z = &z[1..];
            let (h, m) = z.split_once(':').unwrap_or((z, "00"));
            h.len() == 2
                && m.len() == 2
                && h.parse::<u32>().is_ok_and(|n| n <= 23)
                && m.parse::<u32>().is_ok_and(|n| n <= 59)
        }
    };
    clock_ok && fraction_ok && zone_ok
}

/// Says that `commit` put the id `id` in more than one task file.
fn duplicate_note(id: &str, files: &[String], commit: &Commit) -> String {
    let short: String = commit.hash.chars().take(10).collect();
    let files: Vec<String> = files.iter().map(|f| format!("`{f}`")).collect();
    format!(
        "commit {short} ({}, {}) gave the id `{id}` to {} task files: {}; the order of these tasks, and the moves of `{id}`, are ambiguous from then on",
        commit.date.get(..10).unwrap_or(&commit.date),
        commit.author,
        files.len(),
        files.join(", ")
    )
}

/// The moves a commit made. A merge made only the moves it shows against every parent: a move
/// against one parent alone came from the other branch, and is counted at its own commit there.
fn commit_moves(olds: &[Option<Rc<Version>>], now: &Version, by_key: bool) -> Vec<(String, usize, usize)> {
    let mut per_parent = olds.iter().map(|old| old.as_ref().map(|o| moves(o.order(by_key), now.order(by_key))));
    let Some(Some(first)) = per_parent.next() else { return Vec::new() };
    let mut common = first;
    for other in per_parent {
        let Some(other) = other else { return Vec::new() };
        let moved: HashSet<&String> = other.iter().map(|(id, _, _)| id).collect();
        common.retain(|(id, _, _)| moved.contains(id));
    }
    common
}

/// Reads versions of a YAML backlog through `cat-file`, each blob parsed once and shared by every
/// commit that has it.
struct Reader<'a> {
    cat: &'a mut CatFile,
    blobs: HashMap<String, Option<Rc<Version>>>,
}

impl Reader<'_> {
    /// The version at the commit (`parent` None) or at its parent number `parent`.
    fn version_at(&mut self, commit: &Commit, parent: Option<usize>) -> Option<Rc<Version>> {
        let blob = match parent {
            None => commit.changes.iter().map(|(_, new)| new).find(|b| !is_zero(b))?,
            // Blocks come one per parent; a parent whose version equals the commit's has no block.
            Some(i) if commit.changes.len() == commit.parents.len() => &commit.changes[i].0,
            Some(_) if commit.parents.len() == 1 => &commit.changes.first()?.0,
            Some(_) => return None,
        };
        if is_zero(blob) {
            return Some(Rc::default());
        }
        self.file_version(&blob.clone())
    }

    /// Reads every version the commits name and parses them on every core, in batches of bounded
    /// size. A version the cache knows is taken from it: reading and parsing every version was most
    /// of a scan, and the same history is scanned again on every later run.
    fn prefetch(&mut self, commits: &[Commit], cache: &mut cache::Cache) {
        const BATCH_BYTES: usize = 64 << 20;
        let mut wanted: Vec<&String> =
            commits.iter().flat_map(|c| &c.changes).flat_map(|(old, new)| [old, new]).filter(|b| !is_zero(b)).collect();
        wanted.sort();
        wanted.dedup();
        wanted.retain(|blob| match cache.order(blob) {
            Some(known) => {
                self.blobs.insert((*blob).clone(), known.map(|order| Rc::new(Version::of_order(order))));
                false
            }
            None => true,
        });
        let mut batch: Vec<(String, Vec<u8>)> = Vec::new();
        let mut bytes = 0;
        for (i, blob) in wanted.iter().enumerate() {
            if let Some((_, _, content)) = self.cat.get(blob) {
                bytes += content.len();
                batch.push(((*blob).clone(), content));
            }
            if bytes >= BATCH_BYTES || i + 1 == wanted.len() {
                let parsed = crate::parallel::map(&batch, 4, |(_, content)| yaml_version(content));
                for ((blob, _), version) in batch.drain(..).zip(parsed) {
                    cache.set_order(&blob, version.as_ref().map(Version::order_of).as_ref());
                    self.blobs.insert(blob, version.map(Rc::new));
                }
                bytes = 0;
            }
        }
    }

    fn file_version(&mut self, blob: &str) -> Option<Rc<Version>> {
        if let Some(v) = self.blobs.get(blob) {
            return v.clone();
        }
        let version = self.cat.get(blob).and_then(|(_, _, bytes)| yaml_version(&bytes)).map(Rc::new);
        self.blobs.insert(blob.to_string(), version.clone());
        version
    }
}

fn is_zero(oid: &str) -> bool {
    oid.bytes().all(|b| b == b'0')
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
    use granit_parser::{Event, Parser};
    const MAX_VALUES: usize = 100_000;
    const MAX_BYTES: usize = 16 << 20;
    // Per open container: its anchor (0 for none), then the values and bytes it holds so far.
    let mut open: Vec<(usize, usize, usize)> = Vec::new();
    let mut anchored: HashMap<usize, (usize, usize)> = HashMap::new();
    let (mut values, mut bytes) = (0usize, 0usize);
    for event in Parser::new_from_str(text) {
        let Ok((event, _)) = event else { return false };
        let (anchor, size) = match event {
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
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
    use granit_parser::{Event, Parser};
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
                            version.ids.push(value.as_ref().into());
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
    let ids = list("items").iter().filter_map(|n| n.get("id").and_then(text_of)).map(Arc::from).collect();
    let log = list("ordering_log")
        .iter()
        .filter_map(|n| Some((n.get("item").and_then(text_of)?, n.get("date").and_then(text_of).unwrap_or_default())))
        .collect();
    Some(Version { ids, log, ..Version::default() })
}

/// The moves the staged backlog makes against HEAD, by the committer git would record. At the
/// `commit-msg` stage `message` is the file holding the message being written, which can give the
/// moves their rationale.
pub fn staged(target: Target, message: Option<&Path>) -> Result<History, Unavailable> {
    let message = match message {
        Some(path) => Some(rationale::read_message_file(path).map_err(Unavailable::Invalid)?),
        None => None,
    };
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
            let head = ["HEAD".to_string()];
            let mut folders = folder::Folders::read(&place.top, &place.rel, &head, &mut cache::Cache::default())
                .map_err(|e| Unavailable::Note(format!("cannot run git: {e}")))?;
            let old = folders.at(&place.top, "HEAD").map_err(|e| Unavailable::Note(format!("cannot run git: {e}")))?;
            let listing = output_of(git_staged(&place.top), &["ls-files", "-s", "--", &place.rel])?;
            let mut files: Vec<(String, String)> = Vec::new();
            for line in listing.lines() {
                let Some((meta, path)) = line.split_once('\t') else { continue };
                let mut meta = meta.split_whitespace();
                let (Some(mode), Some(blob)) = (meta.next(), meta.next()) else { continue };
                let name = path.rsplit('/').next().unwrap_or(path);
                if folder::is_task_file(mode.as_bytes(), name.as_bytes()) {
                    files.push((blob.to_string(), path.to_string()));
                }
            }
            let blobs: Vec<String> = files.iter().map(|(blob, _)| blob.clone()).collect();
            let contents = git::read_objects(git_staged(&place.top), &blobs)
                .map_err(|e| Unavailable::Note(format!("cannot run git: {e}")))?;
            let mut tasks: Vec<(folder::Task, String)> = Vec::new();
            for ((_, path), object) in files.into_iter().zip(contents) {
                let Some((_, kind, bytes)) = object else { continue };
                if let (true, Some(task)) = (kind == "blob", folder::Task::of(folder::skim_task(&bytes))) {
                    tasks.push((task, path));
                }
            }
            tasks.sort_by(|a, b| a.0.sort.cmp(&b.0.sort));
            let new = folder::version_of(tasks.iter().map(|(t, p)| (t, || p.clone())));
            (Some((*old).clone()), Some(new))
        }
    };
    let mut history = History::default();
    let (Some(old), Some(new)) = (old, new) else { return Ok(history) };
    let added: Vec<&(String, String)> = new.log.difference(&old.log).collect();
    let by_key = old.keys.is_some() && new.keys.is_some();
    for (_, from, to) in moves(old.order(by_key), new.order(by_key)) {
        let item = new.id_at(to).unwrap_or_default();
        let logged = added.iter().find(|(i, _)| *i == item).map(|(_, d)| d.clone());
        history.events.push(Event {
            rationale: message.as_deref().and_then(|m| rationale::of_commit(m, &item)),
            item,
            from,
            to,
            author: name.clone(),
            email: email.clone(),
            date: date.clone(),
            commit: "staged".into(),
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
    // An item whose id prefix changed since (`task-12`, now `back-12`) is found by the rest of its id.
    let mut by_key: HashMap<String, Option<usize>> = HashMap::new();
    for (id, &i) in &by_id {
        by_key.entry(id_key(id)).and_modify(|at| *at = None).or_insert(Some(i));
    }
    let mut added = Vec::new();
    for event in &history.events {
        let today = by_id.get(&event.item).or_else(|| by_key.get(&id_key(&event.item)).and_then(Option::as_ref));
        let item = today.and_then(|&i| backlog.items[i].text("id", &backlog.files[backlog.items[i].file]));
        let item = item.as_deref().unwrap_or(&event.item);
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
        let (file, at) = match today {
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
            text_entry("item", item, at),
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
        Err(Unavailable::Note(n) | Unavailable::Invalid(n)) => return Err(n),
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
        Unavailable::Note(n) | Unavailable::Invalid(n) => n,
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
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn();
    let Ok(mut child) = staged else { return Ok(None) };
    let cap = crate::files::input::max_file_bytes();
    let mut bytes = Vec::new();
    let read =
        child.stdout.take().map(|out| std::io::Read::read_to_end(&mut std::io::Read::take(out, cap + 1), &mut bytes));
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
pub(crate) mod tests {
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

    /// A deterministic generator of numbers below `n`, for histories the tests make up.
    pub(crate) fn xorshift(mut seed: u64) -> impl FnMut(usize) -> usize {
        move |n| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        }
    }

    #[test]
    fn leaving_out_the_unchanged_head_and_tail_changes_no_move() {
        // Unique ids, edited the ways a history edits them: moves, swaps, additions, removals.
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        let mut fresh = 100;
        for _ in 0..3_000 {
            let len = 1 + next(12);
            let old: Vec<String> = (0..len).map(|i| format!("t{i}")).collect();
            let mut new = old.clone();
            for _ in 0..1 + next(3) {
                match next(4) {
                    0 if !new.is_empty() => {
                        let item = new.remove(next(new.len()));
                        new.insert(next(new.len() + 1), item);
                    }
                    1 if !new.is_empty() => {
                        let (a, b) = (next(new.len()), next(new.len()));
                        new.swap(a, b);
                    }
                    2 if !new.is_empty() => {
                        new.remove(next(new.len()));
                    }
                    _ => {
                        fresh += 1;
                        new.insert(next(new.len() + 1), format!("t{fresh}"));
                    }
                }
            }
            assert_eq!(moves_of_unique(&old, &new), moves(&old, &new), "{old:?} -> {new:?}");
        }
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
        let read = yaml_version(fine.as_bytes()).map(|v| v.ids.iter().map(|id| id.to_string()).collect::<Vec<_>>());
        assert_eq!(read, Some(ids("A A B")));
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
