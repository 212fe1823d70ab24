//! What a history scan learnt that cannot change: the `id` and `ordinal` of a task file (by blob id)
//! and the folder tree of a revision (by commit id and path). Kept in one text file in the
//! repository's git directory, `backlint/history-<version>.cache`, so a second run reads only new
//! commits. Every entry is keyed by object ids, so a stale entry cannot exist; the file is safe to
//! delete, a file of another backlint version is never read, and one that does not read back is
//! ignored. The cache is read through `files::input` and written through `files::output`, like
//! every other file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

// What the cache keeps: the facts the folder reader derives, defined here so the reader depends
// on the cache and not the other way round.

/// What one task file says about the order: its id and its ordinal (None without a numeric one).
pub(super) type Skim = Option<(String, Option<f64>)>;

/// A move as the history reports it: the id (as the newer version writes it), from and to.
pub(super) type Move = (String, usize, usize);

/// The moves between two versions of the folder: by key (None when either version's ids cannot be
/// compared by key) and by id.
#[derive(Debug, PartialEq)]
pub(super) struct Pair {
    pub(super) by_key: Option<Vec<Move>>,
    pub(super) by_id: Vec<Move>,
}

/// What the history summary needs of one version of the folder.
#[derive(Debug, PartialEq)]
pub(super) struct Facts {
    pub(super) by_key: bool,
    pub(super) duplicates: Vec<(String, Vec<String>)>,
}

#[derive(Default)]
pub(super) struct Cache {
    path: Option<PathBuf>,
    folders: HashMap<(String, String), Option<String>>,
    skims: HashMap<String, Skim>,
    /// By (old tree, new tree), `-` for no folder.
    pairs: HashMap<(String, String), Pair>,
    facts: HashMap<String, Facts>,
    dirty: bool,
}

const LIST: char = '\u{1e}';
const PART: char = '\u{1f}';

fn moves_text(moves: &[Move]) -> Option<String> {
    if moves.iter().any(|(item, _, _)| !fits(item)) {
        return None;
    }
    let parts: Vec<String> = moves.iter().map(|(item, from, to)| format!("{from},{to},{item}")).collect();
    Some(if parts.is_empty() { "0".into() } else { parts.join(&LIST.to_string()) })
}

fn moves_of(text: &str) -> Option<Vec<Move>> {
    if text == "0" {
        return Some(Vec::new());
    }
    text.split(LIST)
        .map(|m| {
            let mut parts = m.splitn(3, ',');
            let from = parts.next()?.parse().ok()?;
            let to = parts.next()?.parse().ok()?;
            Some((parts.next()?.to_string(), from, to))
        })
        .collect()
}

fn key(tree: Option<&str>) -> String {
    tree.unwrap_or("-").to_string()
}

/// A cache larger than this is not read (nor, then, kept): real histories need a few megabytes.
const MAX_BYTES: u64 = 64 << 20;

impl Cache {
    /// The cache of the repository whose git directory is `git_dir`; an empty one when it cannot be
    /// read. `BACKLINT_NO_CACHE` (any value) turns it off.
    pub(super) fn open(git_dir: Option<&Path>) -> Cache {
        let Some(dir) = git_dir.filter(|_| std::env::var_os("BACKLINT_NO_CACHE").is_none()) else {
            return Cache::default();
        };
        let path = dir.join("backlint").join(format!("history-{}.cache", env!("CARGO_PKG_VERSION")));
        let mut cache = Cache { path: Some(path.clone()), ..Cache::default() };
        let bytes = match crate::files::input::read_bytes(&path, dir) {
            Ok(bytes) if (bytes.len() as u64) <= MAX_BYTES => bytes,
            _ => return cache,
        };
        let Ok(text) = String::from_utf8(bytes) else { return cache };
        for line in text.lines() {
            let fields: Vec<&str> = line.split('\t').collect();
            match fields.as_slice() {
                ["F", rev, rel, tree] => {
                    let tree = (*tree != "-").then(|| tree.to_string());
                    cache.folders.insert((rev.to_string(), rel.to_string()), tree);
                }
                ["P", old, new, by_key, by_id] => {
                    let by_key = if *by_key == "-" { Some(None) } else { moves_of(by_key).map(Some) };
                    if let (Some(by_key), Some(by_id)) = (by_key, moves_of(by_id)) {
                        cache.pairs.insert((old.to_string(), new.to_string()), Pair { by_key, by_id });
                    }
                }
                ["T", tree, by_key, duplicates] => {
                    let duplicates: Option<Vec<(String, Vec<String>)>> = if *duplicates == "0" {
                        Some(Vec::new())
                    } else {
                        duplicates
                            .split(LIST)
                            .map(|d| {
                                let mut parts = d.split(PART).map(String::from);
                                Some((parts.next()?, parts.collect()))
                            })
                            .collect()
                    };
                    if let Some(duplicates) = duplicates {
                        cache.facts.insert(tree.to_string(), Facts { by_key: *by_key == "1", duplicates });
                    }
                }
                ["S", blob, "-"] => {
                    cache.skims.insert(blob.to_string(), None);
                }
                ["S", blob, ordinal, id] => {
                    let ordinal = match *ordinal {
                        "-" => None,
                        n => match n.parse::<f64>() {
                            Ok(n) => Some(n),
                            Err(_) => continue,
                        },
                    };
                    cache.skims.insert(blob.to_string(), Some((id.to_string(), ordinal)));
                }
                _ => {}
            }
        }
        cache
    }

    /// The folder tree at revision `rev` (Some(None): no folder there), when known.
    pub(super) fn folder_of(&self, rev: &str, rel: &str) -> Option<Option<String>> {
        self.folders.get(&(rev.to_string(), rel.to_string())).cloned()
    }

    pub(super) fn set_folder(&mut self, rev: &str, rel: &str, tree: Option<String>) {
        if self.path.is_some() && fits(rel) {
            self.folders.insert((rev.to_string(), rel.to_string()), tree);
            self.dirty = true;
        }
    }

    /// The moves between the folder trees `old` and `new`, when known.
    pub(super) fn pair(&self, old: Option<&str>, new: Option<&str>) -> Option<Pair> {
        let pair = self.pairs.get(&(key(old), key(new)))?;
        Some(Pair { by_key: pair.by_key.clone(), by_id: pair.by_id.clone() })
    }

    pub(super) fn set_pair(&mut self, old: Option<&str>, new: Option<&str>, pair: &Pair) {
        let fits_all =
            moves_text(&pair.by_id).is_some() && pair.by_key.as_ref().is_none_or(|m| moves_text(m).is_some());
        if self.path.is_some() && fits_all {
            let copy = Pair { by_key: pair.by_key.clone(), by_id: pair.by_id.clone() };
            self.pairs.insert((key(old), key(new)), copy);
            self.dirty = true;
        }
    }

    /// What the summary needs of the folder tree `tree`, when known.
    pub(super) fn facts(&self, tree: Option<&str>) -> Option<Facts> {
        let facts = self.facts.get(&key(tree))?;
        Some(Facts { by_key: facts.by_key, duplicates: facts.duplicates.clone() })
    }

    pub(super) fn set_facts(&mut self, tree: Option<&str>, facts: &Facts) {
        let fits_all = facts.duplicates.iter().all(|(id, files)| fits(id) && files.iter().all(|f| fits(f)));
        if self.path.is_some() && fits_all {
            self.facts.insert(key(tree), Facts { by_key: facts.by_key, duplicates: facts.duplicates.clone() });
            self.dirty = true;
        }
    }

    /// What the task file `blob` says about the order, when known.
    pub(super) fn skim(&self, blob: &str) -> Option<Skim> {
        self.skims.get(blob).cloned()
    }

    pub(super) fn set_skim(&mut self, blob: &str, skim: Skim) {
        if self.path.is_some() && skim.as_ref().is_none_or(|(id, _)| fits(id)) {
            self.skims.insert(blob.to_string(), skim);
            self.dirty = true;
        }
    }

    /// Writes the cache back when this run added to it. A failure only costs the next run time.
    pub(super) fn save(&self) {
        let Some(path) = self.path.as_ref().filter(|_| self.dirty) else { return };
        let mut lines: Vec<String> = Vec::with_capacity(self.folders.len() + self.skims.len());
        for ((rev, rel), tree) in &self.folders {
            lines.push(format!("F\t{rev}\t{rel}\t{}", tree.as_deref().unwrap_or("-")));
        }
        for (blob, skim) in &self.skims {
            lines.push(match skim {
                None => format!("S\t{blob}\t-"),
                Some((id, None)) => format!("S\t{blob}\t-\t{id}"),
                Some((id, Some(n))) => format!("S\t{blob}\t{n:?}\t{id}"),
            });
        }
        for ((old, new), pair) in &self.pairs {
            let by_key = match &pair.by_key {
                None => Some("-".to_string()),
                Some(moves) => moves_text(moves),
            };
            if let (Some(by_key), Some(by_id)) = (by_key, moves_text(&pair.by_id)) {
                lines.push(format!("P\t{old}\t{new}\t{by_key}\t{by_id}"));
            }
        }
        for (tree, facts) in &self.facts {
            let duplicates: Vec<String> = facts
                .duplicates
                .iter()
                .map(|(id, files)| {
                    std::iter::once(id.as_str())
                        .chain(files.iter().map(String::as_str))
                        .collect::<Vec<_>>()
                        .join(&PART.to_string())
                })
                .collect();
            let duplicates = if duplicates.is_empty() { "0".to_string() } else { duplicates.join(&LIST.to_string()) };
            lines.push(format!("T\t{tree}\t{}\t{duplicates}", u8::from(facts.by_key)));
        }
        lines.sort();
        let text = lines.join("\n") + "\n";
        if text.len() as u64 > MAX_BYTES {
            return;
        }
        if let Some(parent) = path.parent()
            && std::fs::create_dir_all(parent).is_ok()
        {
            let _ = crate::files::output::write_file(path, text.as_bytes());
        }
    }
}

/// Whether a text can sit in a tab-separated line and read back the same.
fn fits(text: &str) -> bool {
    !text.is_empty() && !text.contains(['\t', '\n', '\r', LIST, PART]) && text != "-" && text != "0"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = Cache::open(Some(dir.path()));
        cache.set_folder("c0ffee", "backlog/tasks", Some("7ree".into()));
        cache.set_folder("beef", "backlog/tasks", None);
        cache.set_skim("b1", Some(("task-1".into(), Some(1000.5))));
        cache.set_skim("b2", Some(("task 2".into(), None)));
        cache.set_skim("b3", None);
        cache.set_skim("b4", Some(("a\tb".into(), None))); // cannot be written: not kept
        cache.save();
        let again = Cache::open(Some(dir.path()));
        assert_eq!(again.folder_of("c0ffee", "backlog/tasks"), Some(Some("7ree".into())));
        assert_eq!(again.folder_of("beef", "backlog/tasks"), Some(None));
        assert_eq!(again.folder_of("beef", "other"), None);
        assert_eq!(again.skim("b1"), Some(Some(("task-1".into(), Some(1000.5)))));
        assert_eq!(again.skim("b2"), Some(Some(("task 2".into(), None))));
        assert_eq!(again.skim("b3"), Some(None));
        assert_eq!(again.skim("b4"), None);
        let pair = Pair { by_key: None, by_id: vec![("task-3".into(), 3, 1), ("a,b".into(), 5, 2)] };
        let mut cache = Cache::open(Some(dir.path()));
        cache.set_pair(None, Some("t1"), &pair);
        cache.set_pair(Some("t1"), Some("t2"), &Pair { by_key: Some(Vec::new()), by_id: Vec::new() });
        let facts = Facts { by_key: true, duplicates: vec![("task-2".into(), vec!["a.md".into(), "b c.md".into()])] };
        cache.set_facts(Some("t2"), &facts);
        cache.save();
        let again = Cache::open(Some(dir.path()));
        assert_eq!(again.pair(None, Some("t1")), Some(pair));
        assert_eq!(again.pair(Some("t1"), Some("t2")), Some(Pair { by_key: Some(Vec::new()), by_id: Vec::new() }));
        assert_eq!(again.facts(Some("t2")), Some(facts));
        assert_eq!(again.skim("b1"), Some(Some(("task-1".into(), Some(1000.5)))), "earlier entries are kept");
    }
}
