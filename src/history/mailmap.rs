//! Identities: git's `.mailmap`, read by us (never by git, whose reader follows the repository's
//! config), as it stood at the parent of the commit it judges.

use std::collections::HashMap;
use std::path::Path;

use super::git::{check_objects, git, read_objects};

/// A `.mailmap` read the way git reads one: an address, or an address and a name, maps to a proper
/// name and/or address; names and addresses match regardless of ASCII case.
#[derive(Debug, Default)]
pub(super) struct Mailmap {
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
pub(super) const MAILMAP_MAX_BYTES: usize = 1 << 20;

impl Mailmap {
    pub(super) fn parse(text: &str) -> Mailmap {
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
    pub(super) fn map(&self, name: &str, email: &str) -> (String, String) {
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
pub(super) struct Mailmaps {
    /// Each revision's `.mailmap` blob, when it has one that can be read.
    blob_at: HashMap<String, String>,
    parsed: HashMap<String, Mailmap>,
}

impl Mailmaps {
    /// Reads the `.mailmap` of every revision of `revs`: which blob each has, in one streamed
    /// request (a long history has thousands of revisions), then the distinct blobs in another,
    /// made only when some revision has one (most repositories have none).
    pub(super) fn read(top: &Path, revs: &[&str]) -> Mailmaps {
        let mut mailmaps = Mailmaps::default();
        let names: Vec<String> = revs.iter().map(|rev| format!("{rev}:.mailmap")).collect();
        let Ok(found) = check_objects(git(top), &names) else { return mailmaps };
        for (rev, blob) in revs.iter().zip(found) {
            if let Some((id, kind, size)) = blob
                && kind == "blob"
                && size <= MAILMAP_MAX_BYTES as u64
            {
                mailmaps.blob_at.insert(rev.to_string(), id);
            }
        }
        let mut blobs: Vec<String> = mailmaps.blob_at.values().cloned().collect();
        blobs.sort();
        blobs.dedup();
        if let Ok(contents) = read_objects(git(top), &blobs) {
            for (id, object) in blobs.into_iter().zip(contents) {
                let text = object.map(|(_, _, bytes)| String::from_utf8_lossy(&bytes).into_owned());
                mailmaps.parsed.insert(id, Mailmap::parse(&text.unwrap_or_default()));
            }
        }
        mailmaps
    }

    /// `name <email>` as the `.mailmap` of revision `rev` (one of those read) maps it: a commit's
    /// author is mapped with its parent's, so that a commit cannot make its own author someone else
    /// by adding to `.mailmap`.
    pub(super) fn map(&self, rev: &str, name: &str, email: &str) -> (String, String) {
        match self.blob_at.get(rev).and_then(|blob| self.parsed.get(blob)) {
            Some(mailmap) => mailmap.map(name, email),
            None => (name.to_string(), email.to_string()),
        }
    }
}
