//! The analysis pipeline, as a library: discovery → load → policy → history → engine.
//!
//! Every front end (the `check` and `report` commands, the HTML report's comparison, the language
//! server) calls this module; none re-implements a step. It prints nothing: problems and notes come
//! back in [`Analysis::messages`], in the order they arose, for the caller to show.
//!
//! Files are read from disk through [`crate::files::input`], except those the caller hands over as
//! in-memory [`Documents`] (a buffer an editor has not saved), which take their place.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::diag::Problem;
use crate::engine::{self, Finding};
use crate::files::input;
use crate::history::{History, Unavailable};
use crate::model::Backlog;
use crate::policy::{self, ir::CompiledPolicy};
use crate::source::discover::{self, Found};
use crate::text::{SourceFile, Span};
use crate::yaml;

/// Texts that stand in for files on disk, keyed by path. A path is matched as given and as an
/// absolute path, so `backlog.yaml` and `/repo/backlog.yaml` name the same document.
#[derive(Clone, Debug, Default)]
pub struct Documents {
    texts: HashMap<PathBuf, String>,
}

impl Documents {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, path: impl Into<PathBuf>, text: impl Into<String>) {
        let path = path.into();
        self.texts.insert(std::path::absolute(&path).unwrap_or(path), text.into());
    }

    /// Whether the caller gave a text for `path`.
    pub fn contains(&self, path: &Path) -> bool {
        self.get(path).is_some()
    }

    fn get(&self, path: &Path) -> Option<&String> {
        if self.texts.is_empty() {
            return None;
        }
        self.texts.get(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
    }

    /// The document's text if the caller gave one, else the file, read only if it is a regular
    /// file inside `root` (the repository around it).
    pub fn read(&self, path: &Path, root: &Path) -> Result<SourceFile, Problem> {
        match self.get(path) {
            Some(text) => Ok(SourceFile::new(path, text.as_str())),
            None => input::read_source(path, root),
        }
    }

    /// Like [`Documents::read`], inside the repository around `path`.
    pub fn read_in_repository(&self, path: &Path) -> Result<SourceFile, Problem> {
        match self.get(path) {
            Some(text) => Ok(SourceFile::new(path, text.as_str())),
            None => input::read_source(path, &input::root_of(path)),
        }
    }
}

/// Histories already read, by backlog, shared by the runs of one long-lived front end: an editor
/// checks on every change, but git's history moves only when a file is saved or committed, so the
/// server reads it once and [`HistoryCache::clear`]s it on save.
#[derive(Clone, Debug, Default)]
pub struct HistoryCache(Arc<Mutex<Histories>>);

type Histories = BTreeMap<Found, Arc<Result<History, Unavailable>>>;

impl HistoryCache {
    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn get_or_read(
        &self,
        found: &Found,
        read: impl FnOnce() -> Result<History, Unavailable>,
    ) -> Arc<Result<History, Unavailable>> {
        if let Some(known) = self.0.lock().unwrap_or_else(|e| e.into_inner()).get(found) {
            return known.clone();
        }
        // Read outside the lock: git can take a while, and nothing else waits on this backlog.
        let read = Arc::new(read());
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(found.clone(), read.clone());
        read
    }
}

/// Policies compiled before, by the policy file (`None`: the built-in rules alone), for a long-lived
/// front end that checks on every change: compiling is most of the time a small backlog takes. The
/// front end clears it whenever a policy file may have changed.
#[derive(Clone, Debug, Default)]
pub struct PolicyCache(Arc<Mutex<BTreeMap<Option<PathBuf>, Compiled>>>);

type Compiled = Result<CompiledPolicy, Vec<Problem>>;

impl PolicyCache {
    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn get_or_compile(&self, key: &Option<PathBuf>, compile: impl FnOnce() -> Compiled) -> Compiled {
        if let Some(known) = self.0.lock().unwrap_or_else(|e| e.into_inner()).get(key) {
            return known.clone();
        }
        let compiled = compile();
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(key.clone(), compiled.clone());
        compiled
    }
}

/// How much of git's history to read.
#[derive(Clone, Debug, Default)]
pub struct HistoryOptions {
    /// Read no history: the history rules then see only the `ordering_log`.
    pub skip: bool,
    /// Only after this date or revision.
    pub since: Option<String>,
    /// The pre-commit view: the staged backlog, judged against HEAD.
    pub staged: bool,
    /// At the `commit-msg` stage: the message being written, which can give staged moves their
    /// rationale.
    pub commit_msg: Option<PathBuf>,
    /// Histories read before, reused for the whole history up to HEAD.
    pub cache: Option<HistoryCache>,
}

/// What to analyse.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// Backlog files or folders.
    pub paths: Vec<PathBuf>,
    /// The policy file, else each backlog's discovered policy.
    pub policy: Option<PathBuf>,
    pub history: HistoryOptions,
    /// Texts that stand in for files; a path given here needs no file on disk (standard input).
    pub documents: Documents,
    /// What folder walks leave out (`.gitignore` syntax, relative to the current folder), beside
    /// `.gitignore` files and each walked folder's policy's `exclude`.
    pub exclude: Vec<String>,
    /// Which rules run, over each policy's choice.
    pub selection: policy::Selection,
    /// Policies compiled by earlier runs, reused.
    pub policy_cache: Option<PolicyCache>,
}

/// Something for the user beside the findings, in the order it arose.
#[derive(Clone, Debug)]
pub enum Message {
    /// Input or policy problems: the run failed (exit 2) if one is an error.
    Problems(Vec<Problem>),
    /// A remark (a policy not applied, a shallow clone): never a failure.
    Note(String),
}

/// One backlog read, with its history, and checked.
pub struct Analysed {
    pub found: Found,
    /// Key of the policy in [`Analysis::policies`].
    pub policy_key: Option<PathBuf>,
    pub backlog: Backlog,
    pub findings: Vec<Finding>,
    /// Set-up notices: concepts the backlog does not declare, each said once. Not findings: they
    /// never fail a run and never enter a baseline.
    pub notices: Vec<Finding>,
}

pub struct Analysis {
    /// Each policy used, by the path it came from; `None` when it did not compile.
    pub policies: BTreeMap<Option<PathBuf>, Option<CompiledPolicy>>,
    pub backlogs: Vec<Analysed>,
    pub messages: Vec<Message>,
    /// An input or policy problem was found (exit 2).
    pub failed: bool,
}

impl Analysis {
    pub fn policy_of(&self, analysed: &Analysed) -> Option<&CompiledPolicy> {
        self.policies.get(&analysed.policy_key).and_then(Option::as_ref)
    }
}

/// Collects messages, remembering whether any was a problem.
#[derive(Default)]
struct Messages {
    list: Vec<Message>,
    failed: bool,
    shared_policy_named: bool,
}

impl Messages {
    /// Problems; only an error fails the run (a warning, such as notes that are not tasks, does not).
    fn problems(&mut self, problems: Vec<Problem>) {
        if !problems.is_empty() {
            self.failed |= problems.iter().any(|p| p.level == crate::diag::Level::Error);
            self.list.push(Message::Problems(problems));
        }
    }
    fn note(&mut self, note: String) {
        self.list.push(Message::Note(note));
    }
}

/// Finds, reads and checks every backlog under the request's paths, each with its own policy. A
/// problem in one backlog or policy does not stop the others.
pub fn analyse(request: &Request) -> Analysis {
    let docs = &request.documents;
    let mut messages = Messages::default();
    let mut policies: BTreeMap<Option<PathBuf>, Option<CompiledPolicy>> = BTreeMap::new();
    let files = find_backlogs(request, &mut policies, &mut messages);
    let mut backlogs = Vec::new();
    for found in &files {
        let path = found.path();
        let policy_key = policy_key(request, path, &mut messages);
        // A text with no file behind it (standard input without `--stdin-filename`) has no history.
        let on_disk = !docs.contains(path) || path.exists();
        // The history is mostly waiting for git: it is read on another thread while this one loads
        // the policy and the backlog (in a repository, git's two walks of the log were most of a
        // small check).
        let may_have_history = || with_history_target(found, crate::history::may_have_history).unwrap_or(false);
        std::thread::scope(|scope| {
            let history = (!request.history.skip && on_disk && may_have_history())
                .then(|| scope.spawn(|| scan_history(found, &request.history, None)));
            let Some(policy) = compiled(request, &policy_key, &mut policies, &mut messages) else {
                messages.failed = true;
                return;
            };
            let (backlog, problems) =
                if request.history.staged { load_staged(found, docs) } else { load_with(found, docs) };
            messages.problems(problems);
            let Some(mut backlog) = backlog else { return };
            apply_policy_goal(&mut backlog, &policy.settings);
            if let Some(history) = history {
                let read = history.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                match merge_history(&mut backlog, read) {
                    Ok(notes) => notes.into_iter().for_each(|note| messages.note(note)),
                    Err(problem) => messages.problems(vec![problem]),
                }
            }
            let (notices, findings) = engine::run(policy, &backlog).into_iter().partition(|f| f.notice);
            backlogs.push(Analysed {
                found: found.clone(),
                policy_key: policy_key.clone(),
                backlog,
                findings,
                notices,
            });
        });
    }
    let compiled_policies: Vec<&CompiledPolicy> = policies.values().flatten().collect();
    if !compiled_policies.is_empty() {
        messages.problems(request.selection.unknown(compiled_policies.into_iter()));
    }
    Analysis { policies, backlogs, messages: messages.list, failed: messages.failed }
}

/// The backlogs under the request's paths. A folder's walk leaves out what `--exclude` names and
/// what the `exclude` setting of the policy that applies to the folder names (relative to that
/// policy's folder); a path the caller gave a document for is that document, on disk or not.
fn find_backlogs(
    request: &Request,
    policies: &mut BTreeMap<Option<PathBuf>, Option<CompiledPolicy>>,
    messages: &mut Messages,
) -> Vec<Found> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let mut given = discover::Exclude::default();
    if let Err(why) = given.add(&std::env::current_dir().unwrap_or_default(), &request.exclude) {
        problems.push(
            Problem::error("I0091", format!("--exclude: {why}"))
                .help("write patterns as in `.gitignore`: `tests/fixtures/`, `*.draft.yaml`, `**/old/*.csv`"),
        );
    }
    for path in &request.paths {
        if request.documents.contains(path) {
            files.push(discover::found_file(path));
            continue;
        }
        let mut exclude = given.clone();
        if path.is_dir() {
            let key = policy_key(request, path, messages);
            if let (Some(policy), Some(file)) = (compiled(request, &key, policies, messages), &key)
                && let Err(why) = exclude.add(file.parent().unwrap_or(Path::new(".")), &policy.settings.exclude)
            {
                problems.push(Problem::error("I0091", format!("`exclude` in `{}`: {why}", file.display())));
            }
        }
        discover::backlogs_in(path, &exclude, &mut files, &mut problems);
    }
    messages.problems(problems);
    files
}

/// Which policy applies to the backlog at `path`: the one given, else the discovered one (a note
/// says once when a policy in a shared folder was not applied).
fn policy_key(request: &Request, path: &Path, messages: &mut Messages) -> Option<PathBuf> {
    if let Some(p) = &request.policy {
        return Some(p.clone());
    }
    let (policy, note) = discovered_policy(path);
    if let Some(note) = note
        && !std::mem::replace(&mut messages.shared_policy_named, true)
    {
        messages.note(note);
    }
    policy
}

/// The policy compiled once per key, with the request's selection applied; its problems are
/// reported when it is first compiled.
fn compiled<'p>(
    request: &Request,
    key: &Option<PathBuf>,
    policies: &'p mut BTreeMap<Option<PathBuf>, Option<CompiledPolicy>>,
    messages: &mut Messages,
) -> Option<&'p CompiledPolicy> {
    policies
        .entry(key.clone())
        .or_insert_with(|| {
            let compile = || load_policy(key.as_deref(), &request.documents).map(|(policy, _)| policy);
            let compiled = match &request.policy_cache {
                Some(cache) => cache.get_or_compile(key, compile),
                None => compile(),
            };
            match compiled {
                Ok(mut policy) => {
                    request.selection.apply(&mut policy);
                    Some(policy)
                }
                Err(problems) => {
                    messages.problems(problems);
                    None
                }
            }
        })
        .as_ref()
}

/// The same backlog as it was at revision `rev` (read from git's objects, with the history that led
/// to `rev`), checked with the same policy. Notes from the history come back with it.
pub fn at_revision(
    analysed: &Analysed,
    policy: &CompiledPolicy,
    rev: &str,
    history: &HistoryOptions,
) -> Result<(Backlog, Vec<Finding>, Vec<String>), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let old_path = crate::history::checkout_at(analysed.found.path(), rev, dir.path())?;
    let found = analysed.found.at(old_path);
    let (backlog, problems) = load(&found);
    let Some(mut backlog) = backlog else {
        return Err(problems.first().map_or("it does not load".into(), |p| p.message.clone()));
    };
    apply_policy_goal(&mut backlog, &policy.settings);
    let mut notes = Vec::new();
    if !history.skip {
        // The history is the current backlog's, up to `rev`.
        notes = read_history(&analysed.found, &mut backlog, history, Some(rev)).map_err(|p| p.message)?;
    }
    let findings = engine::run(policy, &backlog).into_iter().filter(|f| !f.notice).collect();
    Ok((backlog, findings, notes))
}

/// Reads a backlog of any source from disk.
pub fn load(found: &Found) -> (Option<Backlog>, Vec<Problem>) {
    load_with(found, &Documents::default())
}

/// Reads a backlog of any source, the given documents standing in for files. Problems in part of a
/// folder do not stop the rest from loading.
pub fn load_with(found: &Found, docs: &Documents) -> (Option<Backlog>, Vec<Problem>) {
    match found {
        Found::Yaml(path) => match load_yaml(path, docs) {
            Ok(b) => (Some(b), Vec::new()),
            Err(p) => (None, p),
        },
        Found::Csv(path) => match docs.read_in_repository(path) {
            Ok(file) => match crate::source::jira_csv::load(file) {
                Ok(b) => (Some(b), Vec::new()),
                Err(p) => (None, p),
            },
            Err(p) => (None, vec![p]),
        },
        Found::Beads(path) => match docs.read_in_repository(path) {
            Ok(file) => crate::source::beads::load(file),
            Err(p) => (None, vec![p]),
        },
        Found::Folder(root) => {
            let repo = input::root_of(root);
            let loaded = crate::source::backlog_md::load(root, &repo, |p| docs.read(p, &repo));
            (loaded.backlog, loaded.problems)
        }
    }
}

/// Reads and validates one native YAML backlog from disk.
pub fn load_backlog(path: &Path) -> Result<Backlog, Vec<Problem>> {
    load_yaml(path, &Documents::default())
}

fn load_yaml(path: &Path, docs: &Documents) -> Result<Backlog, Vec<Problem>> {
    let file = docs.read_in_repository(path).map_err(|p| vec![p])?;
    let root = yaml::parse(&file, yaml::Limits::default())?;
    Backlog::from_yaml(file, root)
}

/// The staged version of a YAML backlog (what the commit will hold); other sources as on disk.
fn load_staged(found: &Found, docs: &Documents) -> (Option<Backlog>, Vec<Problem>) {
    let Found::Yaml(path) = found else { return load_with(found, docs) };
    if docs.contains(path) {
        return load_with(found, docs);
    }
    match crate::history::staged_text(path) {
        Ok(Some(text)) => {
            let file = SourceFile::new(path, text);
            match yaml::parse(&file, yaml::Limits::default()) {
                Ok(root) => match Backlog::from_yaml(file, root) {
                    Ok(b) => (Some(b), Vec::new()),
                    Err(p) => (None, p),
                },
                Err(p) => (None, p),
            }
        }
        // Not staged (or not in git): the file on disk is what will be committed.
        Ok(None) => load_with(found, docs),
        Err(problem) => (None, vec![problem]),
    }
}

/// Adds the reorders git knows of (up to revision `until`, else HEAD) to the backlog, and returns
/// the notes the user should see. Without git, or outside a repository, the history rules see the
/// `ordering_log` alone; a note says why when the user would expect more. An error when what was
/// asked cannot be done (a `--since` that is neither a date nor a revision).
pub fn read_history(
    found: &Found,
    backlog: &mut Backlog,
    options: &HistoryOptions,
    until: Option<&str>,
) -> Result<Vec<String>, Problem> {
    merge_history(backlog, scan_history(found, options, until))
}

/// `use_target` on what the history of the backlog `found` names is read from (a file, or a
/// Backlog.md folder's tasks); None for sources without a history.
fn with_history_target<R>(found: &Found, use_target: impl FnOnce(crate::history::Target<'_>) -> R) -> Option<R> {
    use crate::history::Target;
    match found {
        Found::Yaml(path) => Some(use_target(Target::File(path))),
        Found::Folder(root) => Some(use_target(Target::Folder(&root.join("tasks")))),
        Found::Csv(_) | Found::Beads(_) => None,
    }
}

/// The history of the backlog `found` names, as git tells it; None for sources without one.
fn scan_history(
    found: &Found,
    options: &HistoryOptions,
    until: Option<&str>,
) -> Option<Arc<Result<crate::history::History, Unavailable>>> {
    use crate::history;
    with_history_target(found, |target| {
        let scan = || history::scan_until(target, options.since.as_deref(), until);
        if options.staged && until.is_none() {
            Arc::new(history::staged(target, options.commit_msg.as_deref()))
        } else {
            match (&options.cache, until) {
                (Some(cache), None) => cache.get_or_read(found, scan),
                _ => Arc::new(scan()),
            }
        }
    })
}

/// Merges a scanned history into the backlog; its notes, or the problem that it cannot be read.
fn merge_history(
    backlog: &mut Backlog,
    read: Option<Arc<Result<crate::history::History, Unavailable>>>,
) -> Result<Vec<String>, Problem> {
    let Some(read) = read else { return Ok(Vec::new()) };
    match &*read {
        Ok(h) => {
            crate::history::merge_into(backlog, h);
            Ok(h.notes.iter().map(|note| format!("note: {note}")).collect())
        }
        Err(Unavailable::NotTracked) => Ok(Vec::new()),
        Err(Unavailable::Note(note)) => Ok(vec![format!("note: {note}")]),
        Err(Unavailable::Invalid(message)) => Err(Problem::error("I0083", message.clone())),
    }
}

/// The policy's Product Goal for sources without one: `goal_milestone` names the milestone (or Jira
/// epic) that carries it, which becomes the active goal; a backlog without goals takes a goal made
/// from `product_goal`. The policy's `requester_field` fills `requested_by` first.
pub fn apply_policy_goal(backlog: &mut Backlog, settings: &crate::policy::ir::Settings) {
    apply_policy_declarations(backlog, settings);
    if let Some(column) = &settings.requester_field {
        crate::source::jira_csv::apply_requester(&mut backlog.items, column);
    }
    if let Some(milestone) = &settings.goal_milestone {
        let files = &backlog.files;
        let named = |g: &&mut crate::model::Record| {
            g.text("id", &files[g.file]).is_some_and(|id| id.eq_ignore_ascii_case(milestone))
        };
        if let Some(goal) = backlog.goals.iter_mut().find(named) {
            let at = goal.anchor;
            if let yaml::Value::Map(entries) = &mut goal.node.value {
                for e in entries.iter_mut().filter(|e| e.key == "status") {
                    e.value.value = yaml::Value::Str("active".into());
                }
                // A milestone or epic has no place for a measure or target: the policy's fill in.
                for (key, value) in [("measure", &settings.goal_measure), ("target", &settings.goal_target)] {
                    if let Some(value) = value
                        && !entries.iter().any(|e| e.key == key)
                    {
                        let node = yaml::Node { span: at, value: yaml::Value::Str(value.as_str().into()) };
                        entries.push(yaml::Entry { key: key.into(), key_span: at, value: node });
                    }
                }
            }
            return;
        }
    }
    let Some(statement) = &settings.product_goal else { return };
    if !backlog.goals.is_empty() {
        return;
    }
    let at = backlog.top.anchor;
    let field = |key: &str, value: &str| yaml::Entry {
        key: key.into(),
        key_span: at,
        value: yaml::Node { span: at, value: yaml::Value::Str(value.into()) },
    };
    let mut entries = vec![
        field("id", settings.goal_milestone.as_deref().unwrap_or("product-goal")),
        field("statement", statement),
        field("status", "active"),
    ];
    if let Some(m) = &settings.goal_measure {
        entries.push(field("measure", m));
    }
    if let Some(t) = &settings.goal_target {
        entries.push(field("target", t));
    }
    let node = yaml::Node { span: at, value: yaml::Value::Map(entries) };
    let mut goal = crate::model::Record::new(0, node, 1);
    goal.anchor = at;
    goal.in_file = false;
    backlog.goals.push(goal);
}

/// The concepts a policy declares for a backlog that does not say them itself (`optimizing_for`,
/// `definition_of_done`): they become top-level fields, pointing at the top of the backlog.
fn apply_policy_declarations(backlog: &mut Backlog, settings: &crate::policy::ir::Settings) {
    let at = backlog.top.anchor;
    let text = |t: &str| yaml::Node { span: at, value: yaml::Value::Str(t.into()) };
    let mut add = Vec::new();
    if let Some(t) = &settings.optimizing_for
        && backlog.top.get("optimizing_for").is_none()
    {
        add.push(("optimizing_for", text(t)));
    }
    if !settings.definition_of_done.is_empty() && backlog.top.get("definition_of_done").is_none() {
        let list = settings.definition_of_done.iter().map(|t| text(t)).collect();
        add.push(("definition_of_done", yaml::Node { span: at, value: yaml::Value::Seq(list) }));
    }
    if let yaml::Value::Map(entries) = &mut backlog.top.node.value {
        for (key, value) in add {
            entries.push(yaml::Entry { key: key.into(), key_span: at, value });
        }
    }
}

/// The policy that applies to the backlog at `start`: the nearest `backlint.policy` above it, else
/// above the current folder. A policy the search ignored because it lies in a shared folder comes
/// back as a note.
pub fn discovered_policy(start: &Path) -> (Option<PathBuf>, Option<String>) {
    let near = discover::policy_search(start);
    if near.found.is_some() {
        return (near.found, None);
    }
    // The current folder is searched only when the backlog's own search found nothing.
    let cwd = discover::policy_search(&std::env::current_dir().unwrap_or_default());
    if cwd.found.is_some() {
        return (cwd.found, None);
    }
    let note = near.ignored.as_ref().or(cwd.ignored.as_ref()).map(|(policy, shared)| {
        format!(
            "note: `{}` was not applied: the search for a policy stops at `{}`, a folder another user owns or anyone may write to; pass it with --policy if you trust it",
            policy.display(),
            shared.display()
        )
    });
    (None, note)
}

/// The policy found above the current folder.
pub fn cwd_policy() -> Option<PathBuf> {
    std::env::current_dir().ok().and_then(|d| discover::policy_for(&d))
}

/// Compiles the built-in rules plus one user policy file (if any) and what it includes; also names
/// the user policy files in the order they apply.
pub fn load_policy(
    policy_file: Option<&Path>,
    docs: &Documents,
) -> Result<(CompiledPolicy, Vec<String>), Vec<Problem>> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    if let Some(path) = policy_file {
        policy_files(path, docs, &mut Includes::default(), &mut files, &mut problems, None);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let user: Vec<SourceFile> = files.into_iter().map(|(_, f)| f).collect();
    let (policy, problems) = policy::compile(&user);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok((policy, user.into_iter().map(|f| f.name).collect()))
}

/// The policy files read so far, and the chain of includes being followed (indexed, so that
/// following thousands of includes stays linear).
#[derive(Default)]
struct Includes {
    /// Where includes must stay: the repository, or outside git the first policy's folder tree;
    /// found once, with the first policy file.
    root: Option<PathBuf>,
    chain: Vec<PathBuf>,
    position_in_chain: HashMap<PathBuf, usize>,
    read: HashSet<PathBuf>,
}

/// A policy file and, before it, every file it includes (each once), in the order they apply.
/// An include cycle is reported at the `include` that closes it.
fn policy_files(
    path: &Path,
    docs: &Documents,
    includes: &mut Includes,
    out: &mut Vec<(PathBuf, SourceFile)>,
    problems: &mut Vec<Problem>,
    via: Option<(&SourceFile, Span)>,
) {
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let located = |p: Problem| match via {
        Some((file, span)) => p.in_file(file).label(span, "included here"),
        None => p,
    };
    if let Some(&start) = includes.position_in_chain.get(&key) {
        let mut chain: Vec<String> =
            includes.chain[start..].iter().chain([&key]).map(|k| crate::text::display_path(k)).collect();
        // A long cycle is named by its ends: where it starts, and the include that closes it.
        if chain.len() > 8 {
            let hidden = chain.len() - 6;
            chain.splice(3..chain.len() - 3, [format!("… {hidden} more …")]);
        }
        problems.push(
            located(Problem::error("P0016", format!("policy files include each other: {}", chain.join(" → "))))
                .help("remove one of the `include` lines"),
        );
        return;
    }
    if includes.read.contains(&key) {
        return;
    }
    let file = match docs.read_in_repository(path) {
        Ok(f) => f,
        Err(p) => {
            problems.push(located(p));
            return;
        }
    };
    if let Ok(parsed) = policy::parse::parse(&file) {
        includes.position_in_chain.insert(key.clone(), includes.chain.len());
        includes.chain.push(key.clone());
        for d in &parsed.declarations {
            if let policy::ast::Declaration::Include { path: target } = d {
                let rel = target.as_plain().unwrap_or_default();
                let root = includes.root.get_or_insert_with(|| input::root_of(path));
                match input::resolve_include(path, &rel, root) {
                    Ok(resolved) => policy_files(&resolved, docs, includes, out, problems, Some((&file, target.span))),
                    Err(why) => problems.push(
                        Problem::error("P0017", format!("`include \"{rel}\"` is refused: {why}"))
                            .in_file(&file)
                            .label(target.span, "included here")
                            .help("copy the rules into a policy file inside the repository and include that"),
                    ),
                }
            }
        }
        includes.chain.pop();
        includes.position_in_chain.remove(&key);
    }
    includes.read.insert(key.clone());
    out.push((key, file));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An editor's unsaved buffer is checked in place of the file on disk.
    #[test]
    fn an_unsaved_document_takes_the_place_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("backlog.yaml");
        std::fs::write(&path, "items:\n  - {id: A-1, title: Export invoices as CSV}\n").unwrap();
        let mut documents = Documents::new();
        documents.insert(&path, "items:\n  - {id: A-1, title: Export invoices as CSV, estimate: many}\n");
        let request = Request {
            paths: vec![path.clone()],
            history: HistoryOptions { skip: true, ..Default::default() },
            documents,
            ..Default::default()
        };
        let analysis = analyse(&request);
        assert!(analysis.failed, "the buffer's invalid estimate is reported");
        let Message::Problems(problems) = &analysis.messages[0] else { panic!("{:?}", analysis.messages) };
        assert!(problems[0].message.contains("estimate"), "{}", problems[0].message);
        let on_disk = analyse(&Request { documents: Documents::new(), ..request });
        assert!(!on_disk.failed, "the file on disk is valid");
    }
}
