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
    /// The place of `sort` among every task read so far (equal keys, equal ranks): a version's
    /// order is then a sort of small numbers ([`Folders::rank`]).
    rank: u32,
}

impl Task {
    pub(super) fn of(skim: Skim) -> Option<Task> {
        let (id, ordinal) = skim?;
        Some(Task {
            sort: SortKey::from_parts(ordinal, &id, false),
            rank: 0,
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
        // No lowercased id twice: then no id twice, and (without a clash) no key twice.
        unique: duplicates.is_empty(),
        duplicates,
    }
}

/// A tree object as git wrote it, with where each entry starts. Entries are read from the bytes
/// when needed, never stored: a long history has thousands of trees of hundreds of entries, nearly
/// all of them the same as in the tree before, and two trees are compared by their bytes.
struct Tree {
    raw: Box<[u8]>,
    /// Where each entry starts, then where the last one ends. SHA-1 ids are 20 bytes; SHA-256
    /// repositories are not handled by this reader.
    starts: Vec<usize>,
}

/// An entry of a tree object that the order can depend on: a subtree or a task file.
#[derive(Clone, Copy)]
struct Entry<'a> {
    tree: bool,
    name: &'a [u8],
    id: &'a Oid,
    /// The whole entry as written (two entries with the same bytes are the same entry).
    bytes: &'a [u8],
}

impl<'a> Entry<'a> {
    fn name(&self) -> std::borrow::Cow<'a, str> {
        String::from_utf8_lossy(self.name)
    }

    /// Compares two entries in git's order: by name, where a subtree's name ends in `/` (names
    /// hold no `/`, so one byte past the shorter name decides).
    fn order(&self, other: &Entry) -> std::cmp::Ordering {
        let (a, b) = (self.name, other.name);
        let len = a.len().min(b.len());
        let next = |name: &[u8], tree: bool| name.get(len).copied().or(tree.then_some(b'/'));
        a[..len].cmp(&b[..len]).then_with(|| next(a, self.tree).cmp(&next(b, other.tree)))
    }
}

impl Default for Tree {
    fn default() -> Tree {
        Tree::new(Vec::new())
    }
}

impl Tree {
    /// `mode name\0` and 20 bytes of id, entry after entry; a broken entry ends the tree.
    fn new(raw: Vec<u8>) -> Tree {
        let mut starts = vec![0];
        let mut at = 0;
        while let Some(nul) = raw.get(at..).and_then(|rest| memchr::memchr(0, rest)) {
            if raw.len() < at + nul + 21 {
                break;
            }
            at += nul + 21;
            starts.push(at);
        }
        Tree { raw: raw.into(), starts }
    }

    /// How many entries the tree has.
    fn len(&self) -> usize {
        self.starts.len() - 1
    }

    /// Entry `i`, when it is a subtree or a task file.
    fn entry(&self, i: usize) -> Option<Entry<'_>> {
        let bytes = &self.raw[self.starts[i]..self.starts[i + 1]];
        let nul = bytes.len() - 21;
        let space = memchr::memchr(b' ', &bytes[..nul])?;
        let (mode, name) = (&bytes[..space], &bytes[space + 1..nul]);
        let id: &Oid = bytes[nul + 1..].try_into().ok()?;
        let tree = mode == b"40000";
        (tree || is_task_file(mode, name)).then_some(Entry { tree, name, id, bytes })
    }

    /// The subtrees and task files of entries `range`.
    fn entries(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = Entry<'_>> {
        range.filter_map(|i| self.entry(i))
    }

    /// The entries of this tree and of `other` that are not the same entry in both, by index: what
    /// lies between the bytes the two trees start with and the bytes they end with (a commit that
    /// changes one file of a folder changes one entry of its tree).
    fn changed(&self, other: &Tree) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
        let (a, b) = (&self.raw[..], &other.raw[..]);
        let head = common_prefix(a, b);
        // The entries wholly within the common start are the same entries, at the same indices.
        let first = (self.starts.partition_point(|&start| start <= head) - 1).min(other.len());
        let tail = common_suffix(&a[self.starts[first]..], &b[other.starts[first]..]);
        // The first entry of this tree in the common end whose start is an entry's start in the
        // other tree too: from there on, the same bytes are read as the same entries.
        let from = self.starts.partition_point(|&start| start < a.len() - tail).max(first);
        for i in from..=self.len() {
            let at = self.starts[i] - (a.len() - tail) + (b.len() - tail);
            if let Ok(j) = other.starts.binary_search(&at)
                && j >= first
                && self.len() - i == other.len() - j
            {
                return (first..i, first..j);
            }
        }
        (first..self.len(), first..other.len())
    }
}

/// The subtrees and task files of tree `tree` of `trees` that the tree `after` does not have (all
/// of them without `after`).
fn new_entries<'a>(trees: &'a HashMap<Oid, Tree>, after: Option<Oid>, tree: &Oid) -> impl Iterator<Item = Entry<'a>> {
    let tree = &trees[tree];
    let range = match after.and_then(|after| trees.get(&after)) {
        Some(before) => before.changed(tree).1,
        None => 0..tree.len(),
    };
    tree.entries(range)
}

/// How many bytes two byte strings share at their start (compared a block at a time).
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 64 <= n && a[i..i + 64] == b[i..i + 64] {
        i += 64;
    }
    i + a[i..n].iter().zip(&b[i..n]).take_while(|(x, y)| x == y).count()
}

/// How many bytes two byte strings share at their end.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let mut i = 0;
    while i + 64 <= n && a[n - i - 64..n - i] == b[n - i - 64..n - i] {
        i += 64;
    }
    i + a[..n - i].iter().rev().zip(b[..n - i].iter().rev()).take_while(|(x, y)| x == y).count()
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
pub(super) fn is_task_file(mode: &[u8], name: &[u8]) -> bool {
    matches!(mode, b"100644" | b"100755") && name.ends_with(b".md") && !name.eq_ignore_ascii_case(b"README.md")
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
    trees: HashMap<Oid, Tree>,
    /// Each revision's folder tree; None where the revision has no such folder.
    at_rev: HashMap<String, Option<Oid>>,
    /// Each task file's part in the order, by blob id (None: not a task).
    tasks: HashMap<Oid, Option<Task>>,
    versions: HashMap<Oid, Rc<Version>>,
    /// Folder trees whose subtrees and task files are read.
    loaded: HashSet<Oid>,
    /// Whether tasks were read since they were last ranked.
    unranked: bool,
    /// The last order built, when the next can be derived from it ([`Self::derive`]).
    last: Option<Derivable>,
    /// Tests build every order anew, to compare with the derived ones.
    #[cfg(test)]
    never_derive: bool,
}

/// An order in which no id and no key occurs twice, with the rank and the blob of each task: the
/// order of a tree that differs from it by a few task files is then this one with those files
/// taken out and put in by rank, not a new walk, sort and count of the whole folder.
struct Derivable {
    tree: Oid,
    version: Rc<Version>,
    ranks: Vec<u32>,
    blobs: Vec<Oid>,
}

/// More changed task files than this between two trees, and the order is built anew.
const MAX_DERIVED_CHANGES: usize = 64;

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
                    folders.trees.entry(tree).or_insert_with(|| Tree::new(content));
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
                    Some((_, kind, content)) if kind == "tree" => Tree::new(content),
                    _ => Tree::default(),
                };
                self.trees.insert(*id, entries);
            }
            let mut previous: Option<(Oid, usize)> = None;
            for (tree, depth) in round {
                found.push(tree);
                if depth < MAX_DEPTH {
                    // Entries the previous tree of this depth has too were followed with it.
                    let after = previous.filter(|(_, d)| *d == depth).map(|(p, _)| p);
                    for entry in new_entries(&self.trees, after, &tree).filter(|e| e.tree && !seen.contains(e.id)) {
                        wanted.push((*entry.id, depth + 1));
                    }
                }
                previous = Some((tree, depth));
            }
        }
        let mut missing: Vec<String> = Vec::new();
        for (i, tree) in found.iter().enumerate() {
            // A task file the previous tree has too is known already.
            let after = i.checked_sub(1).map(|p| found[p]);
            for entry in new_entries(&self.trees, after, tree).filter(|e| !e.tree) {
                if self.tasks.contains_key(entry.id) {
                    continue;
                }
                let blob = hex(entry.id);
                match cache.skim(&blob) {
                    Some(skim) => {
                        self.tasks.insert(*entry.id, Task::of(skim));
                    }
                    None => {
                        self.tasks.insert(*entry.id, None);
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
        self.unranked = true;
        Ok(())
    }

    /// Ranks every task read by its sort key, once per round of reading rather than once per version.
    fn rank(&mut self) {
        if !self.unranked {
            return;
        }
        self.unranked = false;
        self.last = None; // its ranks are no longer the ranks
        let mut all: Vec<&mut Task> = self.tasks.values_mut().flatten().collect();
        all.sort_by(|a, b| a.sort.cmp(&b.sort));
        let mut rank = 0;
        for i in 0..all.len() {
            if i > 0 && all[i].sort.cmp(&all[i - 1].sort).is_ne() {
                rank += 1;
            }
            all[i].rank = rank;
        }
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
            (Some(a), Some(b)) => Some(shown(super::moves_with(a, b, old.unique && new.unique))),
            _ => None,
        };
        let pair = Pair { by_key, by_id: shown(super::moves_with(&old.ids, &new.ids, old.unique && new.unique)) };
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
        self.rank();
        let derived = self.derive(tree);
        let (version, ranks, blobs) = match derived {
            Some(derived) => derived,
            None => {
                let mut tasks = Vec::new();
                self.collect(&tree, &Rc::from(""), 0, &mut tasks);
                // Stable: tasks with equal keys keep the tree's order.
                tasks.sort_by_key(|(task, ..)| task.rank);
                let version = Rc::new(version_of(
                    tasks.iter().map(|(task, prefix, name, _)| (*task, move || format!("{prefix}{name}"))),
                ));
                let ranks = tasks.iter().map(|(task, ..)| task.rank).collect();
                (version, ranks, tasks.iter().map(|(.., blob)| *blob).collect())
            }
        };
        if version.unique && version.keys.is_some() {
            self.last = Some(Derivable { tree, version: version.clone(), ranks, blobs });
        }
        self.versions.insert(tree, version.clone());
        version
    }

    /// The order at `tree` derived from the last one built (see [`Derivable`]); None when it cannot
    /// be, or when it would not be exactly what building it anew gives: too many changes, a tree
    /// out of git's order, a new task ranked level with another (the tree's order would decide),
    /// or an id or key that would then occur twice.
    fn derive(&self, tree: Oid) -> Option<(Rc<Version>, Vec<u32>, Vec<Oid>)> {
        #[cfg(test)]
        if self.never_derive {
            return None;
        }
        let last = self.last.as_ref()?;
        let (mut gone, mut came) = (Vec::new(), Vec::new());
        self.diff(&last.tree, &tree, 0, &mut gone, &mut came)?;
        let mut came: Vec<(&Task, Oid)> =
            came.into_iter().filter_map(|blob| Some((self.tasks.get(&blob)?.as_ref()?, blob))).collect();
        came.sort_by_key(|(task, _)| task.rank);
        let keys = last.version.keys.as_ref()?;
        // Where the gone tasks were (each blob is in the order once, the order being unique).
        let mut gone_at: Vec<usize> =
            gone.iter().map(|blob| last.blobs.iter().position(|b| b == blob)).collect::<Option<_>>()?;
        gone_at.sort_unstable();
        gone_at.dedup();
        if gone_at.len() != gone.len() {
            return None;
        }
        for (i, (task, _)) in came.iter().enumerate() {
            let twice = |key: &Arc<str>| *key == task.key;
            if came[..i].iter().any(|(other, _)| twice(&other.key) || other.rank == task.rank)
                || keys.iter().enumerate().any(|(at, key)| twice(key) && gone_at.binary_search(&at).is_err())
            {
                return None;
            }
        }
        // Where each new task goes: before the first task ranked after it, unless one that stays is
        // ranked level with it.
        let n = last.blobs.len();
        let mut inserts = Vec::with_capacity(came.len());
        for (task, blob) in came {
            let at = last.ranks.partition_point(|&rank| rank < task.rank);
            let level = (at..n).take_while(|&i| last.ranks[i] == task.rank);
            if level.into_iter().any(|i| gone_at.binary_search(&i).is_err()) {
                return None;
            }
            inserts.push((at, task, blob));
        }
        let len = n - gone.len() + inserts.len();
        let (mut ids, mut new_keys) = (Vec::with_capacity(len), Vec::with_capacity(len));
        let (mut ranks, mut blobs) = (Vec::with_capacity(len), Vec::with_capacity(len));
        let (mut inserts, mut gone_at) = (inserts.into_iter().peekable(), gone_at.into_iter().peekable());
        let mut at = 0;
        loop {
            // The tasks that stay up to the next change, copied as runs.
            let stop = inserts.peek().map_or(n, |(i, ..)| *i).min(gone_at.peek().copied().unwrap_or(n));
            ids.extend_from_slice(&last.version.ids[at..stop]);
            new_keys.extend_from_slice(&keys[at..stop]);
            ranks.extend_from_slice(&last.ranks[at..stop]);
            blobs.extend_from_slice(&last.blobs[at..stop]);
            at = stop;
            if let Some((_, task, blob)) = inserts.next_if(|(i, ..)| *i == at) {
                ids.push(task.id.clone());
                new_keys.push(task.key.clone());
                ranks.push(task.rank);
                blobs.push(blob);
            } else if gone_at.next_if_eq(&at).is_some() {
                at += 1;
            } else if at == n {
                break;
            }
        }
        if ids.len() != len {
            return None;
        }
        let version = Version { ids, keys: Some(new_keys), unique: true, ..Version::default() };
        Some((Rc::new(version), ranks, blobs))
    }

    /// The task files that are in tree `old` and not in `new` (`gone`) and the other way round
    /// (`came`), down to the depth [`Self::collect`] reads; None past [`MAX_DERIVED_CHANGES`] or on
    /// a tree out of git's order.
    fn diff(&self, old: &Oid, new: &Oid, depth: usize, gone: &mut Vec<Oid>, came: &mut Vec<Oid>) -> Option<()> {
        if old == new {
            return Some(());
        }
        let (a, b) = (self.trees.get(old)?, self.trees.get(new)?);
        let (mine, theirs) = a.changed(b);
        let (mut xs, mut ys) = (a.entries(mine).peekable(), b.entries(theirs).peekable());
        let (mut last_x, mut last_y): (Option<Entry>, Option<Entry>) = (None, None);
        loop {
            let (x, y) = (xs.peek().copied(), ys.peek().copied());
            // The merge below needs both trees in git's order, as git writes every tree.
            let out_of_order = |entry: Option<Entry>, last: Option<Entry>| matches!((entry, last), (Some(e), Some(l)) if !l.order(&e).is_lt());
            if out_of_order(x, last_x) || out_of_order(y, last_y) {
                return None;
            }
            let order = match (x, y) {
                (None, None) => return Some(()),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(x), Some(y)) if x.bytes == y.bytes => std::cmp::Ordering::Equal,
                (Some(x), Some(y)) => x.order(&y),
            };
            match (order, x, y) {
                (std::cmp::Ordering::Less, Some(x), _) => {
                    self.all_tasks(&x, depth, gone);
                    last_x = xs.next();
                }
                (std::cmp::Ordering::Greater, _, Some(y)) => {
                    self.all_tasks(&y, depth, came);
                    last_y = ys.next();
                }
                (_, Some(x), Some(y)) => {
                    if x.bytes != y.bytes {
                        if x.tree && y.tree {
                            if depth < MAX_DEPTH {
                                self.diff(x.id, y.id, depth + 1, gone, came)?;
                            }
                        } else {
                            self.all_tasks(&x, depth, gone);
                            self.all_tasks(&y, depth, came);
                        }
                    }
                    (last_x, last_y) = (xs.next(), ys.next());
                }
                _ => unreachable!("an order is only taken between the entries there are"),
            }
            if gone.len() + came.len() > MAX_DERIVED_CHANGES {
                return None;
            }
        }
    }

    /// The task files of `entry` (itself, or every one under it down to the depth read) into `out`.
    fn all_tasks(&self, entry: &Entry, depth: usize, out: &mut Vec<Oid>) {
        if !entry.tree {
            if let Some(Some(_)) = self.tasks.get(entry.id) {
                out.push(*entry.id);
            }
        } else if depth < MAX_DEPTH
            && let Some(tree) = self.trees.get(entry.id)
        {
            for inner in tree.entries(0..tree.len()) {
                self.all_tasks(&inner, depth + 1, out);
                if out.len() > MAX_DERIVED_CHANGES {
                    return;
                }
            }
        }
    }

    /// The order at revision `rev`, reading what it needs.
    pub(super) fn at(&mut self, top: &Path, rev: &str) -> std::io::Result<Rc<Version>> {
        let tree = self.tree_at(rev);
        self.load(top, &tree.into_iter().collect::<Vec<_>>(), &mut Cache::default())?;
        Ok(self.version(tree))
    }

    fn collect<'a>(
        &'a self,
        tree: &Oid,
        prefix: &Rc<str>,
        depth: usize,
        out: &mut Vec<(&'a Task, Rc<str>, std::borrow::Cow<'a, str>, Oid)>,
    ) {
        let Some(entries) = self.trees.get(tree) else { return };
        for entry in entries.entries(0..entries.len()) {
            if entry.tree {
                if depth < MAX_DEPTH {
                    let inner: Rc<str> = format!("{prefix}{}/", entry.name()).into();
                    self.collect(entry.id, &inner, depth + 1, out);
                }
            } else if let Some(Some(task)) = self.tasks.get(entry.id) {
                out.push((task, prefix.clone(), entry.name(), *entry.id));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::process::{Command, Stdio};

    /// A history of edits a Backlog.md folder meets (new tasks, new ordinals, removals, renamed
    /// files, a subfolder, copies that share an id, ids that sort level, other files, a changed id
    /// prefix), written with `git fast-import`.
    fn varied_history(dir: &Path, commits: usize) {
        let git = |args: &[&str]| Command::new("git").args(args).current_dir(dir).output().unwrap();
        git(&["init", "-q", "-b", "main"]);
        let mut next = crate::history::tests::xorshift(0x2545_F491_4F6C_DD1D);
        // path -> (id, ordinal)
        let mut files: Vec<(String, String, Option<u32>)> = Vec::new();
        let mut stream = String::new();
        let mut count = 0;
        for c in 0..commits {
            let mut ops = String::new();
            let put = |path: &str, id: &str, ordinal: Option<u32>| {
                let ordinal = ordinal.map(|o| format!("ordinal: {o}\n")).unwrap_or_default();
                let text = format!("---\nid: {id}\ntitle: Task {id}\nstatus: To Do\n{ordinal}---\n\nBody\n");
                format!("M 100644 inline backlog/tasks/{path}\ndata {}\n{text}\n", text.len())
            };
            match if files.len() < 5 { 0 } else { next(10) } {
                0 | 1 => {
                    count += 1;
                    let folder = if next(5) == 0 { "sub/" } else { "" };
                    let id = format!("{}-{count}", if c > commits / 2 { "back" } else { "task" });
                    let path = format!("{folder}task-{count} - t.md");
                    let ordinal = (next(8) > 0).then(|| 1 + next(50) as u32 * 100);
                    ops += &put(&path, &id, ordinal);
                    files.push((path, id, ordinal));
                }
                2..=5 => {
                    let i = next(files.len());
                    files[i].2 = Some(1 + next(50) as u32 * 100);
                    let (path, id, ordinal) = files[i].clone();
                    ops += &put(&path, &id, ordinal);
                }
                6 => {
                    let (path, ..) = files.remove(next(files.len()));
                    ops += &format!("D backlog/tasks/{path}\n");
                }
                7 => {
                    let i = next(files.len());
                    let (path, id, ordinal) = files[i].clone();
                    let renamed = format!("renamed-{c}.md");
                    ops += &format!("D backlog/tasks/{path}\n");
                    ops += &put(&renamed, &id, ordinal);
                    files[i].0 = renamed;
                }
                8 if c > commits * 3 / 4 => {
                    // A copy, late (an order with an id twice is always built anew): its id twice,
                    // or an id that sorts level with it (`task-07`, `task-7`).
                    let (_, id, ordinal) = files[next(files.len())].clone();
                    let id = if next(2) == 0 { id } else { id.replace('-', "-0") };
                    let path = format!("copy-{c}.md");
                    ops += &put(&path, &id, ordinal);
                    files.push((path, id, ordinal));
                }
                _ => {
                    let text = format!("note {c}\n");
                    ops += &format!("M 100644 inline backlog/tasks/notes.txt\ndata {}\n{text}\n", text.len());
                }
            }
            let when = 1_767_225_600 + c * 3_600;
            stream += &format!(
                "commit refs/heads/main\ncommitter Dana Lee <dana@example.com> {when} +0000\ndata 2\nc\n{ops}"
            );
        }
        let mut import = Command::new("git")
            .args(["fast-import", "--quiet"])
            .current_dir(dir)
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        import.stdin.take().unwrap().write_all(stream.as_bytes()).unwrap();
        assert!(import.wait().unwrap().success());
    }

    #[test]
    fn every_derived_order_is_the_order_built_anew() {
        let dir = tempfile::tempdir().unwrap();
        varied_history(dir.path(), 600);
        let out = Command::new("git").args(["rev-list", "--reverse", "main"]).current_dir(dir.path()).output().unwrap();
        let revs: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(String::from).collect();
        assert_eq!(revs.len(), 600);
        let read = |never_derive: bool| {
            let mut folders = Folders::read(dir.path(), "backlog/tasks", &revs, &mut Cache::default()).unwrap();
            folders.never_derive = never_derive;
            let trees: Vec<Oid> = revs.iter().filter_map(|rev| folders.tree_at(rev)).collect();
            folders.load(dir.path(), &trees, &mut Cache::default()).unwrap();
            (folders, trees)
        };
        let ((mut derived, trees), (mut anew, _)) = (read(false), read(true));
        let mut was_derived = 0;
        for tree in &trees {
            let could = derived.derive(*tree).is_some();
            let (a, b) = (derived.version(Some(*tree)), anew.version(Some(*tree)));
            assert_eq!(a.ids, b.ids, "tree {}", hex(tree));
            assert_eq!(a.keys, b.keys, "tree {}", hex(tree));
            assert_eq!((a.unique, &a.duplicates), (b.unique, &b.duplicates), "tree {}", hex(tree));
            was_derived += usize::from(could);
        }
        // Most orders were derived, some built anew (shared ids, level ranks): both ways ran.
        assert!(was_derived > trees.len() / 3 && was_derived < trees.len(), "{was_derived} of {}", trees.len());
    }
}
