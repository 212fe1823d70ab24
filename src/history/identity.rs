//! One person, several identities. After `.mailmap`, identities that share an e-mail address
//! (`dana` and `Dana Lee`, both `dana@x.example`), or whose names are the same words in another case
//! or order (`Dana Lee` and `lee dana`), are one person: their moves are counted under the name
//! that person used most. A note names the identities taken as one and the `.mailmap` line that
//! would tell git the same.

use std::collections::HashMap;

use super::Event;

/// A name compared regardless of case, word order and punctuation between words.
fn name_key(name: &str) -> String {
    let lower = name.to_lowercase();
    let mut words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    words.sort_unstable();
    words.join(" ")
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Gives every event of one person the same author and e-mail; returns a note per person who
/// appeared under more than one identity.
pub(super) fn unify(events: &mut [Event]) -> Vec<String> {
    // Identities in order of first appearance, with how many moves each made.
    let mut identities: Vec<((String, String), usize)> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    for event in events.iter() {
        let key = (event.author.clone(), event.email.clone());
        let i = *index.entry(key.clone()).or_insert_with(|| {
            identities.push((key, 0));
            identities.len() - 1
        });
        identities[i].1 += 1;
    }
    let mut parent: Vec<usize> = (0..identities.len()).collect();
    let mut first_by: HashMap<String, usize> = HashMap::new();
    for (i, ((name, email), _)) in identities.iter().enumerate() {
        let keys = [
            (!email.trim().is_empty()).then(|| format!("e {}", email.trim().to_lowercase())),
            Some(name_key(name)).filter(|k| !k.is_empty()).map(|k| format!("n {k}")),
        ];
        for key in keys.into_iter().flatten() {
            match first_by.get(&key) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    parent[a.max(b)] = a.min(b);
                }
                None => {
                    first_by.insert(key, i);
                }
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); identities.len()];
    for i in 0..identities.len() {
        let root = find(&mut parent, i);
        groups[root].push(i);
    }
    let mut rename: HashMap<(String, String), (String, String)> = HashMap::new();
    let mut notes = Vec::new();
    for group in groups.into_iter().filter(|g| g.len() > 1) {
        // The identity with the most moves names the person; on a tie, a full name over a handle,
        // then the first seen.
        let best = *group
            .iter()
            .max_by_key(|&&i| (identities[i].1, identities[i].0.0.trim().contains(' '), std::cmp::Reverse(i)))
            .expect("not empty");
        let (name, email) = identities[best].0.clone();
        let others: Vec<&(String, String)> = group.iter().filter(|&&i| i != best).map(|&i| &identities[i].0).collect();
        let listed: Vec<String> = others.iter().map(|(n, e)| format!("`{n} <{e}>`")).collect();
        let mailmap: Vec<String> = others.iter().map(|(n, e)| format!("`{name} <{email}> {n} <{e}>`")).collect();
        notes.push(format!(
            "the moves of {} are counted as moves of `{name} <{email}>`, the same person by e-mail address or name; to tell git so too, add to `.mailmap`: {}",
            listed.join(", "),
            mailmap.join(", ")
        ));
        for other in others {
            rename.insert(other.clone(), (name.clone(), email.clone()));
        }
    }
    for event in events.iter_mut() {
        if let Some((name, email)) = rename.get(&(event.author.clone(), event.email.clone())) {
            event.author = name.clone();
            event.email = email.clone();
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(author: &str, email: &str) -> Event {
        Event {
            item: "task-1".into(),
            from: 2,
            to: 1,
            author: author.into(),
            email: email.into(),
            date: "2026-01-01".into(),
            commit: "c".into(),
            rationale: None,
            logged: None,
        }
    }

    #[test]
    fn one_email_or_one_name_is_one_person() {
        let mut events = vec![
            event("Dana Lee", "dana@x.example"),
            event("dlee", "DANA@x.example"),
            event("Dana Lee", "dana@x.example"),
            event("Lee Dana", "dana@home.example"),
            event("Sam Ortiz", "sam@x.example"),
        ];
        let notes = unify(&mut events);
        let people: Vec<(&str, &str)> = events.iter().map(|e| (e.author.as_str(), e.email.as_str())).collect();
        assert_eq!(people[..4], [("Dana Lee", "dana@x.example"); 4]);
        assert_eq!(people[4], ("Sam Ortiz", "sam@x.example"));
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("`Dana Lee <dana@x.example> dlee <DANA@x.example>`"), "{}", notes[0]);
        assert!(notes[0].contains("`Dana Lee <dana@x.example> Lee Dana <dana@home.example>`"), "{}", notes[0]);
    }

    #[test]
    fn different_people_stay_apart() {
        let mut events = vec![event("Dana Lee", "dana@x.example"), event("Dana Leeds", "dl@y.example")];
        assert!(unify(&mut events).is_empty());
        assert_eq!(events[1].author, "Dana Leeds");
    }
}
