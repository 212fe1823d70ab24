//! Backlog.md history: the order of the `tasks/` folder at many revisions at once. The folder's tree
//! at every revision, then the subtrees, then every task file not yet known, each in one streamed
//! round of `cat-file --batch`; every distinct tree and blob is read once, and a task file is
//! skimmed for the two fields the order depends on (`id` and `ordinal` in its front matter), never
//! parsed as a whole task. The skims are kept in [`super::cache`], so a second run reads only what
//! is new.

// foldhash: ids and paths come from one repository; SipHash's flood resistance buys nothing here and was a
// fifth of the time of a long history.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use super::Version;
use super::cache::{Cache, Facts, Move, Pair, Skim};
use super::git::{git, read_objects};
use crate::source::backlog_md::SortKey;
use crate::text::SourceFile;
use crate::yaml::{self, Value};

/// A task file's `id` and `ordinal`, from its front matter alone. None when the file is not a task
/// (no front matter, broken YAML, no `id`), as the folder reader would skip it.
pub(super) fn skim_task(bytes: &[u8]) -> Skim {
    let text = std::str::from_utf8(bytes).ok()?;
    let (start, end, _) = crate::source::backlog_md::front_matter(text)?;
    let file = SourceFile::new("task.md", &text[start..end]);
    let node = yaml::parse(&file, yaml::Limits::default()).ok()?;
    let Value::Map(entries) = &node.value else { return None };
    let field = |key: &str| entries.iter().find(|e| e.key == key).map(|e| &e.value);
    let id = crate::model::scalar_text(field("id")?, &file)?;
    let ordinal = match field("ordinal").map(|n| &n.value) {
        Some(Value::Num(n)) => Some(*n),
        _ => None,
    };
    Some((id, ordinal))
}

/// What the order needs of a task file, worked out once per blob.
#[derive(Debug)]
pub(super) struct Task {
    id: Arc<str>,
    /// The id lowercased (Backlog.md ids are case-insensitive), and without its prefix.
    lower: Arc<str>,
    key: Arc<str>,
    pub(super) sort: SortKey,
}

impl Task {
    pub(super) fn of(skim: Skim) -> Option<Task> {
        let (id, ordinal) = skim?;
        Some(Task {
            sort: SortKey::from_parts(ordinal, &id, false),
            lower: id.to_lowercase().into(),
            key: super::id_key(&id).into(),
            id: id.into(),
        })
    }
}

/// The version of the folder whose tasks, in order, are `tasks`, each with a way to name its file
/// (asked only of files that share an id).
pub(super) fn version_of<'a, P: Fn() -> String>(tasks: impl IntoIterator<Item = (&'a Task, P)>) -> Version {
    let tasks: Vec<(&Task, P)> = tasks.into_iter().collect();
    // By key: the first task's lowercased id and how many tasks carry it; another id under the
    // same key means the keys cannot stand for the items.
    let mut by_key: HashMap<&str, (&str, usize)> = HashMap::with_capacity(tasks.len());
    let mut clash = false;
    let mut shared: Vec<&str> = Vec::new();
    for (task, _) in &tasks {
        let entry = by_key.entry(&task.key).or_insert((&task.lower, 0));
        if entry.0 != &*task.lower {
            clash = true;
        } else {
            entry.1 += 1;
            if entry.1 == 2 {
                shared.push(&task.lower);
            }
        }
    }
    if clash {
        // Duplicates are then found by id alone.
        let mut count: HashMap<&str, usize> = HashMap::new();
        shared.clear();
        for (task, _) in &tasks {
            let n = count.entry(&task.lower).or_default();
            *n += 1;
            if *n == 2 {
                shared.push(&task.lower);
            }
        }
    }
    let mut duplicates: Vec<(String, Vec<String>)> = shared
        .iter()
        .map(|lower| {
            let files = tasks.iter().filter(|(t, _)| &*t.lower == *lower).map(|(_, path)| path()).collect();
            (lower.to_string(), files)
        })
        .collect();
    duplicates.sort();
    Version {
        ids: tasks.iter().map(|(t, _)| t.id.clone()).collect(),
        log: HashSet::new(),
        keys: (!clash).then(|| tasks.iter().map(|(t, _)| t.key.clone()).collect()),
        duplicates,
    }
}

/// An entry of a tree object that the order can depend on: a subtree or a task file.
struct Entry {
    tree: bool,
    name: Box<str>,
    id: Oid,
}

/// The subtrees and task files of a binary tree object.
fn tree_entries(mut data: &[u8]) -> Vec<Entry> {
    let mut out = Vec::new();
    // SHA-1 ids are 20 bytes; SHA-256 repositories are not handled by this reader.
    while let Some(space) = data.iter().position(|&b| b == b' ') {
        let Some(nul) = data[space..].iter().position(|&b| b == 0).map(|n| n + space) else { break };
        if data.len() < nul + 21 {
            break;
        }
        let mode = String::from_utf8_lossy(&data[..space]);
        let name = String::from_utf8_lossy(&data[space + 1..nul]);
        let tree = mode == "40000";
        if tree || is_task_file(&mode, &name) {
            let id: Oid = data[nul + 1..nul + 21].try_into().expect("20 bytes");
            out.push(Entry { tree, name: name.into(), id });
        }
        data = &data[nul + 21..];
    }
    out
}

/// Lowercase hexadecimal, as git writes object ids.
pub(super) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// Whether a tree entry is a task file: a regular file named `*.md`, not a README.
pub(super) fn is_task_file(mode: &str, name: &str) -> bool {
    matches!(mode, "100644" | "100755") && name.ends_with(".md") && !name.eq_ignore_ascii_case("README.md")
}

/// Subfolders deeper than this are not read (the folder reader stops there too).
const MAX_DEPTH: usize = 16;

/// A binary object id.
pub(super) type Oid = [u8; 20];

fn oid(hex_id: &str) -> Option<Oid> {
    let bytes = hex_id.as_bytes();
    if bytes.len() != 40 {
        return None;
    }
    let mut out = [0; 20];
    for (i, pair) in bytes.chunks(2).enumerate() {
        out[i] = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

/// The `tasks/` folder at many revisions.
#[derive(Default)]
pub(super) struct Folders {
    /// Tree objects read so far, by id: their subtrees and task files.
    trees: HashMap<Oid, Vec<Entry>>,
    /// Each revision's folder tree; None where the revision has no such folder.
    at_rev: HashMap<String, Option<Oid>>,
    /// Each task file's part in the order, by blob id (None: not a task).
    tasks: HashMap<Oid, Option<Task>>,
    versions: HashMap<Oid, Rc<Version>>,
    /// Folder trees whose subtrees and task files are read.
    loaded: HashSet<Oid>,
}

impl Folders {
    /// Reads the folder `rel` at every revision of `revs` in the repository at `top`.
    pub(super) fn read(top: &Path, rel: &str, revs: &[String], cache: &mut Cache) -> std::io::Result<Folders> {
        let mut folders = Folders::default();
        let mut unknown: Vec<&String> = Vec::new();
        for rev in revs {
            match cache.folder_of(rev, rel) {
                Some(tree) => {
                    folders.at_rev.insert(rev.clone(), tree.as_deref().and_then(oid));
                }
                None => unknown.push(rev),
            }
        }
        let names: Vec<String> = unknown.iter().map(|rev| format!("{rev}:{rel}")).collect();
        for (rev, object) in unknown.iter().zip(read_objects(git(top), &names)?) {
            let tree = match object {
                Some((id, kind, content)) if kind == "tree" => oid(&id).map(|tree| {
                    folders.trees.entry(tree).or_insert_with(|| tree_entries(&content));
                    (tree, id)
                }),
                _ => None,
            };
            cache.set_folder(rev, rel, tree.as_ref().map(|(_, id)| id.clone()));
            folders.at_rev.insert((*rev).clone(), tree.map(|(t, _)| t));
        }
        Ok(folders)
    }

    /// Whether the folder's tree at `rev` was read (or found in the cache).
    pub(super) fn knows(&self, rev: &str) -> bool {
        self.at_rev.contains_key(rev)
    }

    /// The folder's tree at revision `rev`: None where the folder did not exist.
    pub(super) fn tree_at(&self, rev: &str) -> Option<Oid> {
        self.at_rev.get(rev).copied().flatten()
    }

    /// Reads what the orders of the folder trees `wanted` need: their subtrees, round by round, and
    /// every task file not known yet (from the cache, or read now and skimmed on every core).
    pub(super) fn load(&mut self, top: &Path, wanted: &[Oid], cache: &mut Cache) -> std::io::Result<()> {
        let mut wanted: Vec<(Oid, usize)> =
            wanted.iter().filter(|t| !self.loaded.contains(*t)).map(|t| (*t, 0)).collect();
        let mut seen: HashSet<Oid> = HashSet::new();
        let mut found: Vec<Oid> = Vec::new();
        while !wanted.is_empty() {
            let round: Vec<(Oid, usize)> = wanted.drain(..).filter(|(tree, _)| seen.insert(*tree)).collect();
            let fetch: Vec<Oid> = round.iter().map(|(t, _)| *t).filter(|t| !self.trees.contains_key(t)).collect();
            let names: Vec<String> = fetch.iter().map(|t| hex(t)).collect();
            for (id, object) in fetch.iter().zip(read_objects(git(top), &names)?) {
                let entries = match object {
                    Some((_, kind, content)) if kind == "tree" => tree_entries(&content),
                    _ => Vec::new(),
                };
                self.trees.insert(*id, entries);
            }
            for (tree, depth) in round {
                found.push(tree);
                if depth < MAX_DEPTH {
                    for entry in self.trees[&tree].iter().filter(|e| e.tree && !seen.contains(&e.id)) {
                        wanted.push((entry.id, depth + 1));
                    }
                }
            }
        }
        let mut missing: Vec<String> = Vec::new();
        for tree in &found {
            for entry in self.trees[tree].iter().filter(|e| !e.tree) {
                if self.tasks.contains_key(&entry.id) {
                    continue;
                }
                let blob = hex(&entry.id);
                match cache.skim(&blob) {
                    Some(skim) => {
                        self.tasks.insert(entry.id, Task::of(skim));
                    }
                    None => {
                        self.tasks.insert(entry.id, None);
                        missing.push(blob);
                    }
                }
            }
        }
        let contents = read_objects(git(top), &missing)?;
        let skims = crate::parallel::map(&contents, 64, |object| match object {
            Some((_, kind, content)) if kind == "blob" => skim_task(content),
            _ => None,
        });
        for (blob, skim) in missing.into_iter().zip(skims) {
            cache.set_skim(&blob, skim.clone());
            if let Some(id) = oid(&blob) {
                self.tasks.insert(id, Task::of(skim));
            }
        }
        self.loaded.extend(found);
        Ok(())
    }

    /// The moves from the folder at `old` to the folder at `new` (trees; None: no folder), by key
    /// and by id: from the cache, or worked out from the two orders (loaded by [`Self::load`]).
    pub(super) fn pair(&mut self, old: Option<Oid>, new: Option<Oid>, cache: &mut Cache) -> Rc<Pair> {
        let names = (old.map(|t| hex(&t)), new.map(|t| hex(&t)));
        if let Some(pair) = cache.pair(names.0.as_deref(), names.1.as_deref()) {
            return Rc::new(pair);
        }
        let (old, new) = (self.version(old), self.version(new));
        let shown = |moved: Vec<(String, usize, usize)>| -> Vec<Move> {
            moved.into_iter().map(|(_, from, to)| (new.id_at(to).unwrap_or_default(), from, to)).collect()
        };
        let by_key = match (&old.keys, &new.keys) {
            (Some(a), Some(b)) => Some(shown(super::moves(a, b))),
            _ => None,
        };
        let pair = Pair { by_key, by_id: shown(super::moves(&old.ids, &new.ids)) };
        cache.set_pair(names.0.as_deref(), names.1.as_deref(), &pair);
        Rc::new(pair)
    }

    /// What the summary needs of the folder at `tree`: whether its ids can be compared by key, and
    /// the ids two files share (with the files).
    pub(super) fn facts(&mut self, tree: Option<Oid>, cache: &mut Cache) -> Facts {
        let name = tree.map(|t| hex(&t));
        if let Some(facts) = cache.facts(name.as_deref()) {
            return facts;
        }
        let version = self.version(tree);
        let facts = Facts { by_key: version.keys.is_some(), duplicates: version.duplicates.clone() };
        cache.set_facts(name.as_deref(), &facts);
        facts
    }

    /// The order of the folder at `tree` (loaded by [`Self::load`]); empty for None.
    pub(super) fn version(&mut self, tree: Option<Oid>) -> Rc<Version> {
        let Some(tree) = tree else { return Rc::default() };
        if let Some(version) = self.versions.get(&tree) {
            return version.clone();
        }
        let mut tasks: Vec<(&Task, Rc<str>, &str)> = Vec::new();
        self.collect(&tree, &Rc::from(""), 0, &mut tasks);
        tasks.sort_by(|a, b| a.0.sort.cmp(&b.0.sort));
        let version =
            Rc::new(version_of(tasks.iter().map(|(task, prefix, name)| (*task, move || format!("{prefix}{name}")))));
        self.versions.insert(tree, version.clone());
        version
    }

    /// The order at revision `rev`, reading what it needs.
    pub(super) fn at(&mut self, top: &Path, rev: &str) -> std::io::Result<Rc<Version>> {
        let tree = self.tree_at(rev);
        self.load(top, &tree.into_iter().collect::<Vec<_>>(), &mut Cache::default())?;
        Ok(self.version(tree))
    }

    fn collect<'a>(&'a self, tree: &Oid, prefix: &Rc<str>, depth: usize, out: &mut Vec<(&'a Task, Rc<str>, &'a str)>) {
        let Some(entries) = self.trees.get(tree) else { return };
        for entry in entries {
            if entry.tree {
                if depth < MAX_DEPTH {
                    let inner: Rc<str> = format!("{prefix}{}/", entry.name).into();
                    self.collect(&entry.id, &inner, depth + 1, out);
                }
            } else if let Some(Some(task)) = self.tasks.get(&entry.id) {
                out.push((task, prefix.clone(), &entry.name));
            }
        }
    }
}
