//! Adopting backlint on a legacy backlog: record today's findings, then report only new ones.
//! Entries are keyed by backlog file, rule and item id (never line numbers), with a count, so edits
//! elsewhere in the file do not invalidate the baseline, and fixing a finding shrinks it.

use crate::diag::Problem;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const VERSION: u32 = 1;

/// More findings of one rule on one item than any backlog holds: a count above this is a damaged
/// or hostile baseline, refused rather than summed into an overflow.
pub const MAX_COUNT: usize = 1_000_000;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub entries: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    /// The backlog file, relative to the baseline file's folder.
    pub backlog: String,
    pub rule: String,
    /// The item (or goal, or reordered item) id; empty for findings about the whole backlog.
    pub item: String,
    pub count: usize,
}

pub type Key = (String, String, String);

impl Baseline {
    pub fn from_keys(keys: impl IntoIterator<Item = Key>) -> Self {
        let mut counts: BTreeMap<Key, usize> = BTreeMap::new();
        for k in keys {
            *counts.entry(k).or_default() += 1;
        }
        let entries =
            counts.into_iter().map(|((backlog, rule, item), count)| Entry { backlog, rule, item, count }).collect();
        Baseline { version: VERSION, entries }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a baseline always serialises") + "\n"
    }

    pub fn read(path: &Path) -> Result<Baseline, Problem> {
        let text = crate::files::input::read_source(path, &crate::files::input::root_of(path))
            .map_err(|p| Problem {
                code: "I0050".into(),
                message: p.message.replacen("cannot read", "cannot read the baseline", 1),
                ..p
            })?
            .text;
        let baseline: Baseline = serde_json::from_str(&text).map_err(|e| {
            Problem::error("I0051", format!("`{}` is not a backlint baseline: {e}", path.display()))
                .help("write a new one with `backlint check --write-baseline FILE`")
        })?;
        if baseline.version != VERSION {
            return Err(Problem::error(
                "I0051",
                format!("baseline version {} is not supported (expected {VERSION})", baseline.version),
            ));
        }
        if let Some(e) = baseline.entries.iter().find(|e| e.count > MAX_COUNT) {
            return Err(Problem::error(
                "I0051",
                format!(
                    "`{}` records a count of {} for `{}` (at most {MAX_COUNT} is believable)",
                    path.display(),
                    e.count,
                    e.rule
                ),
            )
            .help("write a new one with `backlint check --write-baseline FILE`"));
        }
        Ok(baseline)
    }

    /// Counts per key, consumed as findings are matched. Entries repeating a key add up.
    pub fn remaining(&self) -> BTreeMap<Key, usize> {
        let mut counts: BTreeMap<Key, usize> = BTreeMap::new();
        for e in &self.entries {
            let n = counts.entry((e.backlog.clone(), e.rule.clone(), e.item.clone())).or_default();
            *n = n.saturating_add(e.count);
        }
        counts
    }
}

/// A backlog path as recorded in a baseline: relative to the baseline's folder when possible.
pub fn backlog_key(backlog: &Path, baseline: &Path) -> String {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let dir: PathBuf = abs(baseline).parent().map(Path::to_path_buf).unwrap_or_default();
    let file = abs(backlog);
    let rel = file.strip_prefix(&dir).map(Path::to_path_buf).unwrap_or(file);
    rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/")
}
