//! Reorders read from real temporary git repositories: several authors, mailmap aliases, a merge,
//! a renamed backlog, items added and removed; the pre-commit view; shallow clones and missing git.

use super::*;
use backlint::history::{self, Event, Target};
use std::process::{Command, Output};

/// The history rules, whose examples need a repository (they are tested here, not by YAML fixtures).
pub const TESTED: &[&str] = &["ordering-stagnant"];

struct Repo {
    dir: tempfile::TempDir,
    /// Holds an empty git config, so the user's own settings never reach the tests.
    home: tempfile::TempDir,
}

impl Repo {
    fn new() -> Repo {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("gitconfig"), "").unwrap();
        let repo = Repo { dir: tempfile::tempdir().unwrap(), home };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn git_as(&self, who: (&str, &str), date: &str, args: &[&str]) -> Output {
        let stamp = format!("{date}T12:00:00+00:00");
        let out = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .env("GIT_CONFIG_GLOBAL", self.home.path().join("gitconfig"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", who.0)
            .env("GIT_AUTHOR_EMAIL", who.1)
            .env("GIT_COMMITTER_NAME", who.0)
            .env("GIT_COMMITTER_EMAIL", who.1)
            .env("GIT_AUTHOR_DATE", &stamp)
            .env("GIT_COMMITTER_DATE", &stamp)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out
    }

    fn git(&self, args: &[&str]) -> Output {
        self.git_as(DANA, "2026-01-01", args)
    }

    fn write(&self, name: &str, text: &str) {
        let path = self.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Writes the backlog with these item ids, in order, and commits it.
    fn commit_items(&self, name: &str, ids: &str, who: (&str, &str), date: &str, message: &str) {
        self.write(name, &backlog(ids));
        self.git_as(who, date, &["add", "-A"]);
        self.git_as(who, date, &["commit", "-q", "-m", message]);
    }

    fn backlint(&self, args: &[&str], committer: (&str, &str)) -> (i32, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_backlint"))
            .args(args)
            .current_dir(self.path())
            .env("NO_COLOR", "1")
            .env("GIT_CONFIG_GLOBAL", self.home.path().join("gitconfig"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_COMMITTER_NAME", committer.0)
            .env("GIT_COMMITTER_EMAIL", committer.1)
            .env("GIT_COMMITTER_DATE", "2026-03-01T12:00:00+00:00")
            .output()
            .unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.code().unwrap(), text(&out.stdout), text(&out.stderr))
    }
}

const DANA: (&str, &str) = ("Dana Lee", "dana@ferries.example");
const SAM: (&str, &str) = ("Sam Ortiz", "sam@ferries.example");
const PRIYA: (&str, &str) = ("Priya Shah", "priya@ferries.example");

/// A healthy backlog with these items, so that only the history rules have anything to say.
fn backlog(ids: &str) -> String {
    let mut text = String::from(
        "product: Harbor Ferries app\nproduct_owner: Dana Lee\noptimizing_for: time-to-market\n\
         definition_of_done: [Code reviewed, Released]\n\
         product_goals:\n  - {id: G1, statement: More passengers buy tickets in the app, measure: share of app tickets, target: 50% by 2027-06-30, status: active}\n\
         items:\n",
    );
    for id in ids.split_whitespace() {
        text += &format!(
            "  - {{id: {id}, title: Ferry feature number {id}, goal: G1, estimate: 3, acceptance_criteria: [It works for {id}]}}\n"
        );
    }
    text
}

fn event(e: &Event) -> (String, usize, usize, String, String, Option<String>) {
    (e.item.clone(), e.from, e.to, e.author.clone(), e.email.clone(), e.rationale.clone())
}

/// (line, rule, message) of each finding of a history rule, from the JSON output.
fn history_findings(json: &str) -> Vec<(u64, String, String)> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let rules = ["committee-reordering", "reorder-without-rationale", "ordering-flip-flop", "ordering-stagnant"];
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| rules.contains(&f["rule"].as_str().unwrap()) || f["rule"] == "product-owner-never-orders")
        .map(|f| {
            (f["line"].as_u64().unwrap(), f["rule"].as_str().unwrap().into(), f["message"].as_str().unwrap().into())
        })
        .collect()
}

/// The findings of one history rule when the Product Owner checks the repository.
fn findings_of(repo: &Repo, rule: &str) -> Vec<(u64, String, String)> {
    let (_, out, _) = repo.backlint(&["check", "--format", "json"], DANA);
    history_findings(&out).into_iter().filter(|f| f.1 == rule).collect()
}

/// Several authors, a mailmap alias, a side branch merged back, a rename, items added and removed.
fn busy_repo() -> Repo {
    let repo = Repo::new();
    repo.write(".mailmap", "Dana Lee <dana@ferries.example> <dlee@old-laptop.example>\n");
    repo.commit_items("backlog.yaml", "A B C D", DANA, "2026-01-05", "Start the backlog");
    repo.commit_items("backlog.yaml", "D A B C", SAM, "2026-01-10", "Move D up\n\nThe big customer asks for it.");
    // Dana under her old address: adds E, removes B. Positions shift, nothing is reordered.
    repo.commit_items("backlog.yaml", "D A C E", ("dlee", "dlee@old-laptop.example"), "2026-01-12", "Add E, drop B");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.commit_items(
        "backlog.yaml",
        "A D C E",
        PRIYA,
        "2026-01-14",
        "Swap A and D\n\nReorder-Rationale: the contract with the port is signed\n",
    );
    repo.git(&["checkout", "-q", "main"]);
    repo.git_as(DANA, "2026-01-15", &["mv", "backlog.yaml", "product-backlog.yaml"]);
    repo.commit_items("product-backlog.yaml", "D A C E F", DANA, "2026-01-15", "Rename the backlog, add F");
    repo.git_as(DANA, "2026-01-16", &["merge", "-q", "--no-edit", "side"]);
    let merged = std::fs::read_to_string(repo.path().join("product-backlog.yaml")).unwrap();
    assert_eq!(merged, backlog("A D C E F"), "the merge takes the side branch's swap");
    repo.commit_items("product-backlog.yaml", "C A D E F", DANA, "2026-01-20", "Reorder");
    repo
}

#[test]
fn reorders_come_from_every_commit_that_changed_the_order() {
    let repo = busy_repo();
    let h = history::scan(Target::File(&repo.path().join("product-backlog.yaml")), None).unwrap();
    let events: Vec<_> = h.events.iter().map(event).collect();
    let s = |t: &str| t.to_string();
    assert_eq!(
        events,
        vec![
            (s("D"), 4, 1, s("Sam Ortiz"), s("sam@ferries.example"), Some(s("The big customer asks for it."))),
            (
                s("A"),
                2,
                1,
                s("Priya Shah"),
                s("priya@ferries.example"),
                Some(s("the contract with the port is signed"))
            ),
            (s("C"), 3, 1, s("Dana Lee"), s("dana@ferries.example"), None),
        ]
    );
    assert!(h.events.iter().all(|e| e.commit.len() == 40 && e.date.starts_with("2026-01-")));
    assert_eq!(h.summary.commits, 7, "every commit that changed the backlog, the merge included");
    assert_eq!(h.summary.last_reorder_date.as_deref().map(|d| &d[..10]), Some("2026-01-20"));
}

/// The versions of a YAML backlog are read from git once: later scans take them from the cache in
/// the git directory (keyed by blob id, so never stale), with the same result.
#[test]
fn yaml_versions_come_from_the_cache_on_later_scans() {
    let repo = busy_repo();
    let target = repo.path().join("product-backlog.yaml");
    let first = history::scan(Target::File(&target), None).unwrap();
    let cache = repo.path().join(".git/backlint").read_dir().unwrap().next().unwrap().unwrap().path();
    let text = std::fs::read_to_string(&cache).unwrap();
    let versions = text.lines().filter(|l| l.starts_with("Y\t")).count();
    assert_eq!(versions, 7, "one entry per version the scan read:\n{text}");
    let again = history::scan(Target::File(&target), None).unwrap();
    assert_eq!((&again.events, &again.summary), (&first.events, &first.summary));

    // Proof that the second scan read the cache: an id changed there shows in the result.
    let renamed: Vec<String> = text
        .lines()
        .map(|line| match line.split('\t').collect::<Vec<_>>().as_slice() {
            ["Y", blob, ids, log] => {
                let ids: Vec<&str> = ids.split('\u{1e}').map(|id| if id == "D" { "Q" } else { id }).collect();
                format!("Y\t{blob}\t{}\t{log}", ids.join("\u{1e}"))
            }
            _ => line.to_string(),
        })
        .collect();
    std::fs::write(&cache, renamed.join("\n") + "\n").unwrap();
    let from_cache = history::scan(Target::File(&target), None).unwrap();
    assert_ne!(from_cache.events, first.events);
    assert!(from_cache.events.iter().any(|e| e.item == "Q"), "{:?}", from_cache.events);
    std::fs::remove_file(&cache).unwrap();
    let fresh = history::scan(Target::File(&target), None).unwrap();
    assert_eq!((&fresh.events, &fresh.summary), (&first.events, &first.summary));
}

#[test]
fn findings_point_at_the_moved_item_and_name_the_commit() {
    let repo = busy_repo();
    let (code, out, err) = repo.backlint(&["check", "product-backlog.yaml", "--format", "json"], DANA);
    assert_eq!(code, 1, "{out}{err}");
    let found = history_findings(&out);
    let lines: Vec<(u64, &str)> = found.iter().map(|(l, r, _)| (*l, r.as_str())).collect();
    // Items start on line 8: C, A, D, E, F.
    assert_eq!(
        lines,
        vec![(8, "reorder-without-rationale"), (9, "committee-reordering"), (10, "committee-reordering")]
    );
    assert!(found[1].2.starts_with("`A` was reordered by `Priya Shah` in commit "), "{}", found[1].2);
    assert!(found[2].2.contains("`Sam Ortiz`") && found[2].2.contains("(2026-01-10)"), "{}", found[2].2);
    assert!(found[0].2.starts_with("`C` moved from 3 to 1 in commit "), "{}", found[0].2);
    // Without the history, the same backlog is clean.
    let (code, out, _) = repo.backlint(&["check", "product-backlog.yaml", "--no-history"], DANA);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn since_limits_the_window() {
    let repo = busy_repo();
    let (_, out, _) =
        repo.backlint(&["check", "product-backlog.yaml", "--format", "json", "--since", "2026-01-13"], DANA);
    let rules: Vec<String> = history_findings(&out).into_iter().map(|(_, r, _)| r).collect();
    assert_eq!(rules, ["reorder-without-rationale", "committee-reordering"], "Sam's move of 01-10 is outside");
    let first = String::from_utf8(repo.git(&["rev-list", "--max-parents=0", "HEAD"]).stdout).unwrap();
    let h = history::scan(Target::File(&repo.path().join("product-backlog.yaml")), Some(first.trim())).unwrap();
    assert_eq!(h.events.len(), 3, "a revision: everything after the first commit");
}

#[test]
fn an_alias_in_the_policy_is_the_product_owner() {
    let repo = busy_repo();
    repo.write("backlint.policy", "settings { product_owner_aliases = [\"priya@ferries.example\"] }\n");
    let (_, out, _) = repo.backlint(&["check", "product-backlog.yaml", "--format", "json"], DANA);
    let committee: Vec<_> = history_findings(&out).into_iter().filter(|f| f.1 == "committee-reordering").collect();
    assert_eq!(committee.len(), 1, "{committee:?}");
    assert!(committee[0].2.contains("Sam Ortiz"));
}

#[test]
fn a_move_logged_in_the_same_commit_is_one_reorder_with_its_rationale() {
    let repo = Repo::new();
    repo.commit_items("backlog.yaml", "A B C", DANA, "2026-02-01", "Start");
    let text = backlog("C A B")
        + "ordering_log:\n  - {date: 2026-02-03, by: Dana Lee, item: C, from: 3, to: 1, rationale: Refunds are a third of support calls}\n";
    repo.write("backlog.yaml", &text);
    repo.git_as(SAM, "2026-02-03", &["commit", "-qam", "Reorder"]);
    let (code, out, err) = repo.backlint(&["check", "--format", "json"], DANA);
    let found = history_findings(&out);
    // One reorder, at the log entry, made by `Dana Lee` as the log says: nothing to report.
    assert_eq!(code, 0, "{found:?}{err}");
    let b = backlint::analysis::load_backlog(&repo.path().join("backlog.yaml")).unwrap();
    let mut b = b;
    // The check kept the versions, its log entry included; the scan below reads them back.
    let cache = repo.path().join(".git/backlint").read_dir().unwrap().next().unwrap().unwrap().path();
    assert!(std::fs::read_to_string(cache).unwrap().contains("\tC\u{1f}2026-02-03"));
    let h = history::scan(Target::File(&repo.path().join("backlog.yaml")), None).unwrap();
    history::merge_into(&mut b, &h);
    assert_eq!(b.reorders.len(), 1);
    let file = &b.files[0];
    assert_eq!(b.reorders[0].text("email", file).as_deref(), Some("sam@ferries.example"));
    assert_eq!(b.reorders[0].text("commit", file).map(|c| c.len()), Some(10));
}

#[test]
fn flip_flops_show_across_commits() {
    let repo = Repo::new();
    repo.commit_items("backlog.yaml", "A B C D", DANA, "2026-02-01", "Start");
    repo.commit_items("backlog.yaml", "D A B C", SAM, "2026-02-02", "D first\n\nTrade fair.");
    repo.commit_items("backlog.yaml", "A B C D", DANA, "2026-02-05", "D back\n\nNot in this goal.");
    let flips = findings_of(&repo, "ordering-flip-flop");
    assert_eq!(flips.len(), 1, "{flips:?}");
    assert_eq!(flips[0].0, 11, "at D, the fourth item");
    assert!(flips[0].2.contains("moved up in commit") && flips[0].2.contains("back down in commit"), "{}", flips[0].2);
}

#[test]
fn an_order_that_stands_still_while_items_pile_up_is_stagnant() {
    let repo = Repo::new();
    repo.commit_items("backlog.yaml", "A B C", DANA, "2026-01-01", "Start");
    repo.commit_items("backlog.yaml", "C A B", DANA, "2026-01-05", "C first\n\nIt blocks the rest.");
    let mut ids = String::from("C A B");
    for (i, date) in ["2026-02-01", "2026-02-15", "2026-03-01", "2026-03-15", "2026-04-01"].iter().enumerate() {
        ids += &format!(" N{i}");
        repo.commit_items("backlog.yaml", &ids, SAM, date, "Add an item");
    }
    let stagnant = findings_of(&repo, "ordering-stagnant");
    assert_eq!(stagnant.len(), 1, "{stagnant:?}");
    assert_eq!(stagnant[0].0, 8, "at the top item");
    assert!(stagnant[0].2.starts_with("the order has not changed for 86 days"), "{}", stagnant[0].2);
    assert!(stagnant[0].2.ends_with("while 5 items were added"), "{}", stagnant[0].2);
    // A reorder in the last commit resets the clock.
    ids = ids.replace("N4", "").replace("C A B", "C A B N4");
    repo.commit_items("backlog.yaml", &ids, DANA, "2026-04-02", "N4 up\n\nUrgent.");
    assert!(findings_of(&repo, "ordering-stagnant").is_empty());
}

#[test]
fn staged_reorders_are_judged_before_the_commit() {
    let repo = Repo::new();
    repo.commit_items("backlog.yaml", "A B C", DANA, "2026-02-01", "Start");
    repo.write("backlog.yaml", &backlog("C A B"));
    repo.git(&["add", "backlog.yaml"]);
    // The working tree differs from what is staged: the staged version is what gets committed.
    repo.write("backlog.yaml", &backlog("A B C"));
    let (code, out, err) = repo.backlint(&["check", "--staged", "--format", "json"], SAM);
    assert_eq!(code, 1, "{out}{err}");
    let found = history_findings(&out);
    let rules: Vec<&str> = found.iter().map(|f| f.1.as_str()).collect();
    assert_eq!(rules, ["committee-reordering", "reorder-without-rationale"], "{found:?}");
    assert!(found[0].2.contains("`Sam Ortiz` in the staged change"), "{}", found[0].2);
    assert_eq!(found[0].0, 8, "at C, now first");
    // The Product Owner, with the reason in the ordering log, passes.
    let text = backlog("C A B")
        + "ordering_log:\n  - {date: 2026-03-01, by: Dana Lee, item: C, from: 3, to: 1, rationale: Refunds first}\n";
    repo.write("backlog.yaml", &text);
    repo.git(&["add", "backlog.yaml"]);
    let (code, out, err) = repo.backlint(&["check", "--staged"], DANA);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn a_backlog_md_folder_reorders_through_ordinals() {
    let repo = Repo::new();
    repo.write("backlog/config.yml", "project_name: Ferries\n");
    let task = |id: &str, ordinal: u32| {
        format!("---\nid: {id}\ntitle: Task {id}\nstatus: To Do\nordinal: {ordinal}\n---\n\n## Description\n\nWork.\n")
    };
    for (id, ord) in [("task-1", 1000), ("task-2", 2000), ("task-3", 3000)] {
        repo.write(&format!("backlog/tasks/{id} - Task.md"), &task(id, ord));
    }
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "Start"]);
    repo.write("backlog/tasks/task-3 - Task.md", &task("task-3", 500));
    repo.write("backlog/tasks/task-4 - Task.md", &task("task-4", 4000));
    repo.git_as(SAM, "2026-02-02", &["add", "-A"]);
    repo.git_as(SAM, "2026-02-02", &["commit", "-qm", "task-3 first"]);
    let h = history::scan(Target::Folder(&repo.path().join("backlog/tasks")), None).unwrap();
    let events: Vec<_> = h.events.iter().map(|e| (e.item.as_str(), e.from, e.to, e.author.as_str())).collect();
    assert_eq!(events, [("task-3", 3, 1, "Sam Ortiz")]);
}

#[test]
fn a_shallow_clone_or_no_git_is_a_note_not_a_failure() {
    let repo = busy_repo();
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo.path().display());
    let out = Command::new("git")
        .args(["clone", "-q", "--depth", "1", &url, "."])
        .current_dir(clone.path())
        .env("GIT_CONFIG_GLOBAL", repo.home.path().join("gitconfig"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("gitconfig"), "").unwrap();
    let shallow = Repo { dir: clone, home };
    let (code, out, err) = shallow.backlint(&["check", "product-backlog.yaml"], DANA);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("note: the repository is a shallow clone"), "{out}{err}");

    let out = Command::new(env!("CARGO_BIN_EXE_backlint"))
        .args(["check", "product-backlog.yaml", "--format", "short"])
        .current_dir(repo.path())
        .env("PATH", "")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("note: git was not found"), "{err}");
    assert_eq!(out.status.code(), Some(0), "the other rules still run: {err}");
}

/// Outside any work tree git is not started at all (it was a fifth of a small check's time); inside
/// one it is. A stand-in `git` on `PATH` records each start and fails as git does outside a repository.
#[cfg(unix)]
#[test]
fn git_starts_only_where_a_repository_can_be() {
    use std::os::unix::fs::PermissionsExt;
    let place = tempfile::tempdir().unwrap();
    if place.path().ancestors().any(|d| d.join(".git").symlink_metadata().is_ok()) {
        eprintln!("note: skipped, the temporary folder is inside a git work tree");
        return;
    }
    let bin = place.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let started = place.path().join("started");
    let fake = bin.join("git");
    std::fs::write(&fake, format!("#!/bin/sh\necho run >> '{}'\nexit 128\n", started.display())).unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let project = place.path().join("project");
    std::fs::create_dir(&project).unwrap();
    std::fs::copy(root().join("examples/healthy/backlog.yaml"), project.join("backlog.yaml")).unwrap();
    let run = || {
        let out = Command::new(env!("CARGO_BIN_EXE_backlint"))
            .args(["check", "backlog.yaml", "--format", "short"])
            .current_dir(&project)
            .env("PATH", &bin)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };

    let (code, err) = run();
    assert_eq!(code, Some(0), "{err}");
    assert!(!started.exists(), "git was started outside any work tree");
    assert!(!err.contains("note:"), "no history is no news outside git: {err}");

    std::fs::create_dir(project.join(".git")).unwrap();
    let (code, err) = run();
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(std::fs::read_to_string(&started).unwrap(), "run\n", "git asked once where the repository is");
    assert!(err.contains("git refused the repository"), "{err}");
}

#[test]
fn mailmap_names_the_person_behind_an_old_address() {
    let repo = Repo::new();
    repo.write(".mailmap", "Dana Lee <dana@ferries.example> <dlee@old-laptop.example>\n");
    repo.commit_items("backlog.yaml", "A B C", DANA, "2026-02-01", "Start");
    repo.commit_items(
        "backlog.yaml",
        "C A B",
        ("dlee", "dlee@old-laptop.example"),
        "2026-02-02",
        "C first\n\nRefunds are what our customers ask for most.",
    );
    let h = history::scan(Target::File(&repo.path().join("backlog.yaml")), None).unwrap();
    let events: Vec<_> = h.events.iter().map(event).collect();
    let s = |t: &str| t.to_string();
    assert_eq!(
        events,
        [(
            s("C"),
            3,
            1,
            s("Dana Lee"),
            s("dana@ferries.example"),
            Some(s("Refunds are what our customers ask for most."))
        )]
    );
    let (code, out, err) = repo.backlint(&["check", "--format", "json"], DANA);
    assert_eq!(code, 0, "the Product Owner under her old address: {out}{err}");
}

#[test]
fn an_order_never_changed_while_items_pile_up_is_stagnant_too() {
    let repo = Repo::new();
    let mut ids = String::from("A B C");
    repo.commit_items("backlog.yaml", &ids, DANA, "2026-01-01", "Start");
    for (i, date) in ["2026-01-20", "2026-02-10", "2026-02-20", "2026-03-01", "2026-03-10"].iter().enumerate() {
        ids += &format!(" N{i}");
        repo.commit_items("backlog.yaml", &ids, SAM, date, "Add an item");
    }
    let stagnant = findings_of(&repo, "ordering-stagnant");
    assert_eq!(stagnant.len(), 1, "{stagnant:?}");
    assert_eq!(
        stagnant[0].2,
        "the order has never changed in 6 commits over 68 days (since 2026-01-01) while 5 items were added"
    );
}

/// A Backlog.md task with this id and ordinal.
fn task(id: &str, ordinal: u32) -> String {
    format!(
        "---\nid: {id}\ntitle: Ferry feature {id}\nstatus: To Do\nordinal: {ordinal}\n---\n\n## Description\n\nWork on {id}.\n"
    )
}

impl Repo {
    /// Writes the Backlog.md tasks `(file id, id, ordinal)` and commits everything.
    fn commit_tasks(&self, tasks: &[(&str, &str, u32)], who: (&str, &str), date: &str, message: &str) {
        for (file, id, ordinal) in tasks {
            self.write(&format!("backlog/tasks/{file} - Feature.md"), &task(id, *ordinal));
        }
        self.git_as(who, date, &["add", "-A"]);
        self.git_as(who, date, &["commit", "-q", "-m", message]);
    }

    /// A Backlog.md project with tasks 1 to 3 in order.
    fn backlog_md() -> Repo {
        let repo = Repo::new();
        repo.write("backlog/config.yml", "project_name: Ferries\ntask_prefix: task\n");
        repo.commit_tasks(
            &[("task-1", "task-1", 1000), ("task-2", "task-2", 2000), ("task-3", "task-3", 3000)],
            DANA,
            "2026-02-01",
            "Start",
        );
        repo
    }

    /// (file, rule, message) of the findings of `rule` in `backlint check --format json backlog`.
    fn md_findings(&self, rule: &str, extra: &[&str]) -> Vec<(String, String)> {
        let mut args = vec!["check", "--format", "json", "--exit-zero"];
        args.extend(extra);
        args.push("backlog");
        let (_, out, err) = self.backlint(&args, DANA);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| (f["file"].as_str().unwrap_or_default().to_string(), f["message"].as_str().unwrap().to_string()))
            .collect()
    }
}

#[test]
fn a_folder_history_reads_the_mailmap_too() {
    let repo = Repo::backlog_md();
    repo.write(".mailmap", "Dana Lee <dana@ferries.example> <dlee@old-laptop.example>\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "Who is who"]);
    let old_address = ("dlee", "dlee@old-laptop.example");
    repo.commit_tasks(&[("task-3", "task-3", 500)], old_address, "2026-02-02", "Move task-3 first");
    let h = history::scan(Target::Folder(&repo.path().join("backlog/tasks")), None).unwrap();
    let who: Vec<(&str, &str)> = h.events.iter().map(|e| (e.author.as_str(), e.email.as_str())).collect();
    assert_eq!(who, [("Dana Lee", "dana@ferries.example")]);
}

#[test]
fn two_names_with_one_email_are_one_person() {
    let repo = Repo::backlog_md();
    let handle = ("dlee", "dana@ferries.example");
    repo.commit_tasks(
        &[("task-3", "task-3", 500)],
        handle,
        "2026-02-02",
        "Move task-3 first\n\nReorder-Rationale: refunds",
    );
    repo.commit_tasks(
        &[("task-2", "task-2", 100)],
        DANA,
        "2026-02-03",
        "Move task-2 first\n\nReorder-Rationale: port deal",
    );
    let h = history::scan(Target::Folder(&repo.path().join("backlog/tasks")), None).unwrap();
    let people: Vec<(&str, &str)> = h.events.iter().map(|e| (e.author.as_str(), e.email.as_str())).collect();
    assert_eq!(people, [("Dana Lee", "dana@ferries.example"); 2], "{:?}", h.events);
    assert!(
        h.notes.iter().any(|n| n.contains("`Dana Lee <dana@ferries.example> dlee <dana@ferries.example>`")),
        "{:?}",
        h.notes
    );
    assert_eq!(repo.md_findings("committee-reordering", &[]), []);
    // Someone else is someone else.
    repo.commit_tasks(&[("task-1", "task-1", 50)], SAM, "2026-02-04", "Move task-1 first\n\nReorder-Rationale: sales");
    let found = repo.md_findings("committee-reordering", &[]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].1.contains("Dana Lee, Sam Ortiz"), "{found:?}");
}

#[test]
fn a_squash_merge_body_or_a_checklist_is_no_rationale() {
    let repo = Repo::backlog_md();
    let squash = "Search and refunds (#45)\n\n* task-3 - move refunds first because finance needs them\n* Reorder tasks so that search comes later\n\n- [x] #1 ordered by priority because users asked\n\nCo-authored-by: Sam Ortiz <sam@ferries.example>\n";
    repo.commit_tasks(&[("task-3", "task-3", 500)], DANA, "2026-02-02", squash);
    let found = repo.md_findings("reorder-without-rationale", &[]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].1.starts_with("`task-3` moved from 3 to 1"), "{found:?}");
    // A sentence that says why the order changed is a rationale.
    repo.commit_tasks(
        &[("task-2", "task-2", 100)],
        DANA,
        "2026-02-03",
        "Move task-2 to the top\n\nThe port contract depends on it.",
    );
    let h = history::scan(Target::Folder(&repo.path().join("backlog/tasks")), None).unwrap();
    let reasons: Vec<Option<&str>> = h.events.iter().map(|e| e.rationale.as_deref()).collect();
    assert_eq!(reasons, [None, Some("The port contract depends on it.")]);
}

#[test]
fn a_trailer_at_the_commit_msg_stage_passes_a_staged_reorder() {
    let repo = Repo::backlog_md();
    repo.write("backlog/tasks/task-3 - Feature.md", &task("task-3", 500));
    repo.git(&["add", "-A"]);
    let message = repo.home.path().join("COMMIT_EDITMSG");
    let check = |text: &str| {
        std::fs::write(&message, text).unwrap();
        let msg = message.to_str().unwrap();
        repo.backlint(&["check", "--staged", "--commit-msg", msg, "--format", "json", "--exit-zero", "backlog"], DANA)
    };
    let rationale_findings = |out: &str| -> usize {
        let v: serde_json::Value = serde_json::from_str(out).unwrap();
        v["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "reorder-without-rationale").count()
    };
    let (_, out, err) = check(
        "Move task-3 first\n\nReorder-Rationale: refunds are the top complaint\n# Please enter the commit message\n",
    );
    assert_eq!(rationale_findings(&out), 0, "{out}{err}");
    // pre-commit names the file relative to the work tree, as `../…` when it is outside.
    assert_eq!(repo.path().parent(), repo.home.path().parent(), "both in the temporary folder");
    let relative = std::path::Path::new("..").join(repo.home.path().file_name().unwrap()).join("COMMIT_EDITMSG");
    let (code, out, err) = repo.backlint(
        &[
            "check",
            "--staged",
            "--commit-msg",
            relative.to_str().unwrap(),
            "--format",
            "json",
            "--exit-zero",
            "backlog",
        ],
        DANA,
    );
    assert_eq!((code, rationale_findings(&out)), (0, 0), "{out}{err}");
    let (_, out, err) = check("Move task-3 first\n# Reorder-Rationale: only a comment\n");
    assert_eq!(rationale_findings(&out), 1, "{out}{err}");
    // Before the message exists (the pre-commit stage) the move has no rationale yet.
    let (_, out, _) = repo.backlint(&["check", "--staged", "--format", "json", "--exit-zero", "backlog"], DANA);
    assert_eq!(rationale_findings(&out), 1);
    let (code, _, err) = repo.backlint(&["check", "--staged", "--commit-msg", "no-such-file", "backlog"], DANA);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot read the commit message `no-such-file`"), "{err}");
}

#[test]
fn a_changed_id_prefix_still_points_at_the_item() {
    let repo = Repo::backlog_md();
    repo.commit_tasks(&[("task-3", "task-3", 500)], DANA, "2026-02-02", "Move task-3 first");
    // The project renames its prefix: every file and id changes, nothing moves.
    for n in 1..=3 {
        repo.git(&["rm", "-q", &format!("backlog/tasks/task-{n} - Feature.md")]);
    }
    repo.write("backlog/config.yml", "project_name: Ferries\ntask_prefix: back\n");
    repo.commit_tasks(
        &[("back-1", "BACK-1", 1000), ("back-2", "BACK-2", 2000), ("back-3", "BACK-3", 500)],
        DANA,
        "2026-02-03",
        "Prefix back",
    );
    let h = history::scan(Target::Folder(&repo.path().join("backlog/tasks")), None).unwrap();
    assert_eq!(h.events.iter().map(|e| (e.item.as_str(), e.from, e.to)).collect::<Vec<_>>(), [("task-3", 3, 1)]);
    // The second scan reads the moves and facts from the cache in the git directory: the same result.
    assert!(repo.path().join(".git/backlint").read_dir().unwrap().count() == 1);
    let again = history::scan(Target::Folder(&repo.path().join("backlog/tasks")), None).unwrap();
    assert_eq!((again.events, again.summary), (h.events.clone(), h.summary.clone()));
    let found = repo.md_findings("reorder-without-rationale", &[]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "backlog/tasks/back-3 - Feature.md", "{found:?}");
    assert!(found[0].1.starts_with("`BACK-3` moved from 3 to 1"), "{found:?}");
}

#[test]
fn two_files_with_one_id_are_reported_at_their_commit() {
    let repo = Repo::backlog_md();
    repo.commit_tasks(&[("task-4", "task-2", 4000)], SAM, "2026-02-02", "Add a task");
    let h = history::scan(Target::Folder(&repo.path().join("backlog/tasks")), None).unwrap();
    let head = String::from_utf8(repo.git(&["rev-parse", "--short=10", "HEAD"]).stdout).unwrap();
    let notes: Vec<&String> = h.notes.iter().filter(|n| n.contains("gave the id")).collect();
    assert_eq!(notes.len(), 1, "{:?}", h.notes);
    assert!(
        notes[0].starts_with(&format!(
            "commit {} (2026-02-02, Sam Ortiz) gave the id `task-2` to 2 task files",
            head.trim()
        )),
        "{}",
        notes[0]
    );
    assert!(notes[0].contains("`task-2 - Feature.md`, `task-4 - Feature.md`"), "{}", notes[0]);
    // Said once, at the commit that did it, not at every later one.
    repo.commit_tasks(&[("task-1", "task-1", 1500)], DANA, "2026-02-03", "Touch");
    let h = history::scan(Target::Folder(&repo.path().join("backlog/tasks")), None).unwrap();
    assert_eq!(h.notes.iter().filter(|n| n.contains("gave the id")).count(), 1, "{:?}", h.notes);
}

#[test]
fn a_since_that_is_neither_a_date_nor_a_revision_is_an_error() {
    let repo = Repo::backlog_md();
    for bad in ["v9.9", "2026-13-45", "2026-02-30", "3 months ago"] {
        let (code, _, err) = repo.backlint(&["check", "--since", bad, "backlog"], DANA);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(err.contains(&format!("`--since {bad}` is neither a date")), "{bad}: {err}");
    }
    repo.git(&["tag", "v1"]);
    for good in ["2026-01-15", "2026-01-15T10:00:00Z", "2026-01-15T10:00+02:00", "v1", "HEAD~0"] {
        let (code, _, err) = repo.backlint(&["check", "--exit-zero", "--since", good, "backlog"], DANA);
        assert_eq!(code, 0, "{good}: {err}");
    }
}
