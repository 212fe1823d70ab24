//! What a history scan learnt that cannot change: the `id` and `ordinal` of a task file (by blob id),
//! the folder tree of a revision (by commit id and path), and the order and ordering log of a YAML
//! backlog's version (by blob id). Kept in one text file in the repository's git directory,
//! `backlint/history-<version>.cache`, so a second run reads only new commits. Every entry is keyed
//! by object ids, so a stale entry cannot exist; the file is safe to delete, a file of another
//! backlint version is never read, and one that does not read back is ignored. The cache is read
//! through `files::input` and written through `files::output`, like every other file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

// What the cache keeps: the facts the folder and YAML readers derive, defined here so the readers
// depend on the cache and not the other way round.

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

/// What the history needs of one version of a YAML backlog: its item ids in order and its
/// ordering log's (item, date) entries.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Order {
    pub(super) ids: Vec<Arc<str>>,
    pub(super) log: Vec<(String, String)>,
}

#[derive(Default)]
pub(super) struct Cache {
    path: Option<PathBuf>,
    folders: HashMap<(String, String), Option<String>>,
    skims: HashMap<String, Skim>,
    /// By (old tree, new tree), `-` for no folder.
    pairs: HashMap<(String, String), Pair>,
    facts: HashMap<String, Facts>,
    /// By blob; None for a version that does not read.
    orders: HashMap<String, Option<Order>>,
    /// Bytes the `orders` take in the file: past [`ORDER_BYTES`] no more are kept.
    order_bytes: usize,
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

/// The most the versions of YAML backlogs may take of the cache, so that a long history of a large
/// backlog (every version holds every id) never pushes the cache past [`MAX_BYTES`]; the versions
/// beyond are read from git on each run, as without a cache.
const ORDER_BYTES: usize = 32 << 20;

/// `parts` (none empty) joined by `separator`, or `0` for none.
fn list_text<'a>(parts: impl Iterator<Item = &'a str>, separator: char) -> String {
    let mut out = String::new();
    for part in parts {
        if !out.is_empty() {
            out.push(separator);
        }
        out.push_str(part);
    }
    if out.is_empty() { "0".into() } else { out }
}

fn list_of(text: &str, separator: char) -> Vec<String> {
    if text == "0" { Vec::new() } else { text.split(separator).map(String::from).collect() }
}

/// An order's two fields: its ids, then its log entries (item and date, a date possibly empty).
fn order_text(order: &Order) -> Option<(String, String)> {
    if !order.ids.iter().all(|id| fits(id)) {
        return None;
    }
    let ids = list_text(order.ids.iter().map(|id| &**id), LIST);
    let entries: Option<Vec<String>> = order
        .log
        .iter()
        .map(|(item, date)| (fits(item) && (date.is_empty() || fits(date))).then(|| format!("{item}{PART}{date}")))
        .collect();
    let log = list_text(entries?.iter().map(String::as_str), LIST);
    Some((ids, log))
}

fn order_of(ids: &str, log: &str) -> Option<Order> {
    let log = list_of(log, LIST)
        .into_iter()
        .map(|entry| entry.split_once(PART).map(|(item, date)| (item.to_string(), date.to_string())))
        .collect::<Option<Vec<_>>>()?;
    let ids = if ids == "0" { Vec::new() } else { ids.split(LIST).map(Arc::from).collect() };
    Some(Order { ids, log })
}

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
                ["Y", blob, "-"] => {
                    cache.orders.insert(blob.to_string(), None);
                    cache.order_bytes += line.len();
                }
                ["Y", blob, ids, log] => {
                    if let Some(order) = order_of(ids, log) {
                        cache.orders.insert(blob.to_string(), Some(order));
                        cache.order_bytes += line.len();
                    }
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

    /// The order of the YAML backlog's version `blob` (Some(None): it does not read), when known.
    pub(super) fn order(&self, blob: &str) -> Option<Option<&Order>> {
        self.orders.get(blob).map(Option::as_ref)
    }

    pub(super) fn set_order(&mut self, blob: &str, order: Option<&Order>) {
        let fields = match order {
            Some(order) => match order_text(order) {
                Some(fields) => Some(fields),
                None => return,
            },
            None => None,
        };
        let bytes = blob.len() + fields.as_ref().map_or(4, |(ids, log)| ids.len() + log.len() + 5);
        if self.path.is_some() && self.order_bytes + bytes <= ORDER_BYTES && !self.orders.contains_key(blob) {
            self.orders.insert(blob.to_string(), order.cloned());
            self.order_bytes += bytes;
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
        for (blob, order) in &self.orders {
            match order.as_ref().map(order_text) {
                None => lines.push(format!("Y\t{blob}\t-")),
                Some(Some((ids, log))) => lines.push(format!("Y\t{blob}\t{ids}\t{log}")),
                Some(None) => {}
            }
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

    #[test]
    fn yaml_versions_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = Cache::open(Some(dir.path()));
        let order = |ids: &[&str], log: &[(&str, &str)]| Order {
            ids: ids.iter().map(|&s| Arc::from(s)).collect(),
            log: log.iter().map(|(i, d)| (i.to_string(), d.to_string())).collect(),
        };
        let full = order(&["PBI-2", "PBI 1", "-x"], &[("PBI-2", "2026-01-02"), ("PBI 1", "")]);
        let empty = order(&[], &[]);
        cache.set_order("y1", Some(&full));
        cache.set_order("y2", Some(&empty));
        cache.set_order("y3", None);
        cache.set_order("y4", Some(&order(&["0"], &[]))); // `0` stands for no ids: not kept
        cache.set_order("y5", Some(&order(&["a\u{1e}b"], &[]))); // the separator itself: not kept
        cache.save();
        let again = Cache::open(Some(dir.path()));
        assert_eq!(again.order("y1"), Some(Some(&full)));
        assert_eq!(again.order("y2"), Some(Some(&empty)));
        assert_eq!(again.order("y3"), Some(None));
        assert_eq!(again.order("y4"), None);
        assert_eq!(again.order("y5"), None);
    }
}
