//! Hostile input: reading stays inside the repository, reads only regular files, and is bounded.
//! Each case here printed secrets, hung or read outside the repository before.

use super::*;
use std::os::unix::fs::symlink;
use std::process::{Command, Output};

fn no_secret(o: &Output, what: &str) -> String {
    let text = assert_handled(o, what);
    assert!(!text.contains(SECRET), "{what} printed the environment:\n{text}");
    text
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::copy(root().join("examples/healthy/backlog.yaml"), dir.path().join("backlog.yaml")).unwrap();
    dir
}

#[test]
fn policy_includes_cannot_leave_the_repository() {
    let dir = repo();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("team.policy"), format!("{SECRET} is not a policy")).unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    symlink(outside.path(), dir.path().join("policies/shared")).unwrap();
    let escape = "../".repeat(dir.path().components().count()) + &outside.path().join("team.policy").to_string_lossy();
    for include in ["/proc/self/environ", &escape, "policies/shared/team.policy"] {
        std::fs::write(dir.path().join("backlint.policy"), format!("include \"{include}\"\n")).unwrap();
        let o = backlint_in(dir.path(), &["check", "--no-history"]);
        let text = no_secret(&o, include);
        assert_eq!(o.status.code(), Some(2), "{include}: {text}");
        assert!(text.contains("P0017") && text.contains("is refused"), "{include}: {text}");
    }
    // Inside the repository, `..` and links that stay inside are fine.
    std::fs::write(dir.path().join("policies/base.policy"), "settings { fail_on = error }\n").unwrap();
    symlink("base.policy", dir.path().join("policies/linked.policy")).unwrap();
    std::fs::write(dir.path().join("policies/team.policy"), "include \"../policies/linked.policy\"\n").unwrap();
    std::fs::write(dir.path().join("backlint.policy"), "include \"policies/team.policy\"\n").unwrap();
    let o = backlint_in(dir.path(), &["check", "--no-history", "--show-policy"]);
    let text = assert_handled(&o, "inside includes");
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("linked.policy"), "{text}");
}

#[test]
fn outside_git_an_include_stays_in_the_policy_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("project/team")).unwrap();
    std::fs::write(dir.path().join("above.policy"), "settings { fail_on = error }\n").unwrap();
    std::fs::write(dir.path().join("project/common.policy"), "settings { fail_on = error }\n").unwrap();
    std::fs::copy(root().join("examples/healthy/backlog.yaml"), dir.path().join("project/backlog.yaml")).unwrap();
    std::fs::write(dir.path().join("project/backlint.policy"), "include \"team/team.policy\"\n").unwrap();
    // Within the folder tree of the policy that was applied, `..` is fine; above it, refused.
    for (include, refused) in [("../common.policy", false), ("../../above.policy", true)] {
        std::fs::write(dir.path().join("project/team/team.policy"), format!("include \"{include}\"\n")).unwrap();
        let o = backlint_in(&dir.path().join("project"), &["check"]);
        let text = assert_handled(&o, include);
        assert_eq!(text.contains("P0017"), refused, "{include}: {text}");
    }
}

#[test]
fn committed_symlinks_out_of_the_repository_are_not_read() {
    // A native backlog named on the command line: the link itself is what was committed.
    let dir = repo();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.yaml"), format!("product: {SECRET}\nitems: []\n")).unwrap();
    std::fs::remove_file(dir.path().join("backlog.yaml")).unwrap();
    symlink(outside.path().join("secret.yaml"), dir.path().join("backlog.yaml")).unwrap();
    let o = backlint_in(dir.path(), &["check", "--no-history", "backlog.yaml"]);
    let text = no_secret(&o, "backlog.yaml link");
    assert_eq!(o.status.code(), Some(2));
    assert!(text.contains("symlink that leads outside"), "{text}");

    // A discovered policy that links out.
    let dir = repo();
    symlink("/proc/self/environ", dir.path().join("backlint.policy")).unwrap();
    let o = backlint_in(dir.path(), &["check", "--no-history"]);
    let text = no_secret(&o, "policy link");
    assert!(text.contains("symlink that leads outside"), "{text}");
}

/// A Backlog.md project whose config or task folders link out of the repository.
#[test]
fn backlog_md_links_out_of_the_repository_are_not_read() {
    let project = |dir: &Path| {
        let b = dir.join("backlog");
        std::fs::create_dir_all(b.join("tasks")).unwrap();
        std::fs::write(b.join("config.yml"), "project_name: Shop\n").unwrap();
        std::fs::write(b.join("tasks/task-1 - Pay.md"), "---\nid: task-1\ntitle: Pay by card\nstatus: To Do\n---\n")
            .unwrap();
        b
    };
    let dir = repo();
    std::fs::remove_file(dir.path().join("backlog.yaml")).unwrap();
    let b = project(dir.path());
    std::fs::remove_file(b.join("config.yml")).unwrap();
    symlink("/proc/self/environ", b.join("config.yml")).unwrap();
    let o = backlint_in(dir.path(), &["check", "--no-history", "backlog"]);
    let text = no_secret(&o, "config.yml link");
    assert!(text.contains("symlink that leads outside"), "{text}");

    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("task-9 - Leak.md"), format!("---\nid: task-9\ntitle: {SECRET}\n---\n"))
        .unwrap();
    for folder in ["archive", "drafts", "completed"] {
        let dir = repo();
        std::fs::remove_file(dir.path().join("backlog.yaml")).unwrap();
        let b = project(dir.path());
        symlink(outside.path(), b.join(folder)).unwrap();
        let o = backlint_in(dir.path(), &["check", "--no-history", "--format", "json", "backlog"]);
        let text = no_secret(&o, folder);
        assert!(text.contains("I0032"), "{folder}: {text}");
    }
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

#[test]
fn a_fifo_is_refused_not_waited_for() {
    let dir = repo();
    mkfifo(&dir.path().join("pipe.backlog.yaml"));
    let o = backlint_in(dir.path(), &["check", "--no-history", "pipe.backlog.yaml"]);
    let text = assert_handled(&o, "fifo named");
    assert_eq!(o.status.code(), Some(2));
    assert!(text.contains("not a regular file") && !text.contains("does not exist"), "{text}");

    // A FIFO where a policy or a baseline is expected.
    mkfifo(&dir.path().join("backlint.policy"));
    let o = backlint_in(dir.path(), &["check", "--no-history"]);
    assert!(assert_handled(&o, "fifo policy").contains("not a regular file"));
    std::fs::remove_file(dir.path().join("backlint.policy")).unwrap();
    mkfifo(&dir.path().join("baseline.json"));
    let o = backlint_in(dir.path(), &["check", "--no-history", "--baseline", "baseline.json"]);
    assert!(assert_handled(&o, "fifo baseline").contains("not a regular file"));
}

#[test]
fn files_over_the_cap_are_refused_unread() {
    let dir = repo();
    // Sparse: 500 MB of size without 500 MB of disk; reading it would take seconds and the memory.
    let big = std::fs::File::create(dir.path().join("big.backlog.yaml")).unwrap();
    big.set_len(500 << 20).unwrap();
    let o = backlint_in(dir.path(), &["check", "--no-history", "big.backlog.yaml"]);
    let text = assert_handled(&o, "500 MB");
    assert_eq!(o.status.code(), Some(2));
    assert!(text.contains("over the 256 MB limit"), "{text}");
    // The cap is settable, by flag or by environment.
    let o = backlint_in(dir.path(), &["check", "--no-history", "--max-file-size", "0", "backlog.yaml"]);
    assert!(assert_handled(&o, "cap 0").contains("over the 0 MB limit"));
    let o = Command::new(env!("CARGO_BIN_EXE_backlint"))
        .args(["check", "--no-history", "backlog.yaml"])
        .current_dir(dir.path())
        .env("BACKLINT_MAX_FILE_SIZE", "0")
        .output()
        .unwrap();
    assert!(assert_handled(&o, "cap 0 by env").contains("over the 0 MB limit"));
}

#[test]
fn a_policy_planted_in_a_shared_folder_does_not_apply() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared");
    std::fs::create_dir_all(shared.join("mine")).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::write(
        shared.join("backlint.policy"),
        "rule planted { group = x severity = error summary = \"p\" for item in items forbid true message \"planted\" }\n",
    )
    .unwrap();
    std::fs::copy(root().join("examples/healthy/backlog.yaml"), shared.join("mine/backlog.yaml")).unwrap();
    let o = backlint_in(&shared.join("mine"), &["check"]);
    let text = assert_handled(&o, "planted policy");
    assert!(!text.contains("planted\n") && !text.contains("[planted]"), "{text}");
    assert!(text.contains("was not applied"), "{text}");
    assert_eq!(o.status.code(), Some(0), "{text}");
}

#[test]
fn a_staged_version_over_the_cap_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let o = Command::new("git").args(args).current_dir(dir.path()).output().unwrap();
        assert!(o.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    git(&["init", "-q"]);
    let items: String =
        (0..30_000).map(|i| format!("  - {{id: I{i}, title: Improve the export number {i}}}\n")).collect();
    std::fs::write(dir.path().join("backlog.yaml"), format!("product: X\nitems:\n{items}")).unwrap();
    git(&["add", "backlog.yaml"]);
    // The file on disk is small now; only the staged blob is over the 1 MB cap.
    std::fs::write(dir.path().join("backlog.yaml"), "product: X\nitems: []\n").unwrap();
    let o = backlint_in(dir.path(), &["check", "--staged", "--max-file-size", "1", "backlog.yaml"]);
    let text = assert_handled(&o, "staged over the cap");
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(text.contains("cannot read the staged") && text.contains("over the 1 MB limit"), "{text}");
}

#[test]
fn the_backlogs_own_folder_keeps_its_policy_even_when_shared() {
    use std::os::unix::fs::PermissionsExt;
    // A checkout owned by another user or writable by all (a CI container's workspace): its own
    // policy applies; only the folders above it are not searched.
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    std::fs::create_dir(&project).unwrap();
    std::fs::set_permissions(&project, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::copy(root().join("examples/healthy/backlog.yaml"), project.join("backlog.yaml")).unwrap();
    std::fs::write(
        project.join("backlint.policy"),
        "rule own { group = x severity = error summary = \"o\" for item in items forbid true message \"own rule\" }\n",
    )
    .unwrap();
    let o = backlint_in(&project, &["check"]);
    let text = assert_handled(&o, "own policy");
    assert!(text.contains("own rule"), "{text}");
    assert!(!text.contains("was not applied"), "{text}");
}
