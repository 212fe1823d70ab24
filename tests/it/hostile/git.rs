//! Hostile input: git. The repository's own config, attributes, trees and `.mailmap` are written by
//! the attacker; backlint's git must run none of the programs they name, read no repository the
//! environment points at, and judge no change by identities it introduces itself.

use super::*;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

const PO: (&str, &str) = ("Amara Okafor", "amara@lumen.example");
const MALLORY: (&str, &str) = ("Mallory Vance", "mallory@elsewhere.example");

/// A repository in a temp folder, with a home of its own so that no global git config applies.
struct Repo {
    dir: tempfile::TempDir,
    home: tempfile::TempDir,
}

impl Repo {
    fn new() -> Repo {
        let repo = Repo { dir: tempfile::tempdir().unwrap(), home: tempfile::tempdir().unwrap() };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", PO.0]);
        repo.git(&["config", "user.email", PO.1]);
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn git_as(&self, who: (&str, &str), args: &[&str]) -> Output {
        let out = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .env("HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", who.0)
            .env("GIT_AUTHOR_EMAIL", who.1)
            .env("GIT_COMMITTER_NAME", who.0)
            .env("GIT_COMMITTER_EMAIL", who.1)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out
    }

    fn git(&self, args: &[&str]) -> Output {
        self.git_as(PO, args)
    }

    fn write(&self, name: &str, text: &str) {
        let path = self.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn commit_all(&self, who: (&str, &str), message: &str) {
        self.git_as(who, &["add", "-A"]);
        self.git_as(who, &["commit", "-q", "-m", message]);
    }

    /// The history most cases need: the Product Owner starts `name`, then Mallory reorders it.
    fn reordered_by_mallory(name: &str) -> Repo {
        let repo = Repo::new();
        repo.write(name, &healthy());
        repo.commit_all(PO, "Start the backlog");
        repo.write(name, &reordered(&healthy()));
        repo.commit_all(MALLORY, "Swap the first two");
        repo
    }

    /// Runs backlint in the repository with these extra environment variables.
    fn backlint(&self, args: &[&str], env: &[(&str, &Path)]) -> (Output, String) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_backlint"));
        command.args(args).current_dir(self.path()).env("NO_COLOR", "1").env("HOME", self.home.path());
        command.env("GIT_CONFIG_NOSYSTEM", "1");
        for (key, value) in env {
            command.env(key, value);
        }
        let out = command.output().unwrap();
        let text = assert_handled(&out, &format!("backlint {args:?}"));
        (out, text)
    }
}

fn healthy() -> String {
    std::fs::read_to_string(root().join("examples/healthy/backlog.yaml")).unwrap()
}

/// The healthy backlog with its first two items swapped: one reorder.
fn reordered(text: &str) -> String {
    text.replace("id: LUM-41\n", "id: SWAP\n")
        .replace("id: LUM-42\n", "id: LUM-41\n")
        .replace("id: SWAP\n", "id: LUM-42\n")
}

/// An executable that leaves `markers/<name>` behind when anything runs it.
fn trap(dir: &Path, name: &str) -> String {
    let markers = dir.join("markers");
    std::fs::create_dir_all(&markers).unwrap();
    let script = dir.join(format!("{name}.sh"));
    std::fs::write(
        &script,
        format!("#!/bin/sh\ntouch '{}'\ncat >/dev/null 2>&1 <&0 &\nexit 0\n", markers.join(name).display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script.display().to_string()
}

fn markers(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir.join("markers")) {
        Ok(entries) => entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    }
}

/// A signer good enough for `git commit -S`: its output is a signature block in name only.
fn fake_signer(dir: &Path) -> String {
    let script = dir.join("fake-gpg.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\ncat >/dev/null\necho '[GNUPG:] SIG_CREATED D 1 8 00 1700000000 0123456789ABCDEF' >&2\n\
         printf -- '-----BEGIN PGP SIGNATURE-----\\n\\nAAAA\\n-----END PGP SIGNATURE-----\\n'\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script.display().to_string()
}

#[test]
fn programs_named_by_the_repository_never_run() {
    let repo = Repo::new();
    let tools = tempfile::tempdir().unwrap();
    repo.write("backlog.yaml", &healthy());
    repo.write(".gitattributes", "* filter=evil diff=evil\n");
    repo.commit_all(PO, "Start the backlog");
    repo.write("backlog.yaml", &reordered(&healthy()));
    let signer = fake_signer(tools.path());
    repo.git_as(MALLORY, &["add", "-A"]);
    repo.git_as(MALLORY, &["-c", &format!("gpg.program={signer}"), "commit", "-q", "-S", "-m", "Swap the first two"]);
    // Staged for `--staged`: another swap.
    repo.write("backlog.yaml", &healthy());
    repo.git(&["add", "backlog.yaml"]);
    let config = [
        ("core.fsmonitor", "fsmonitor"),
        ("filter.evil.process", "filter-process"),
        ("filter.evil.smudge", "filter-smudge"),
        ("filter.evil.clean", "filter-clean"),
        ("diff.evil.textconv", "textconv"),
        ("diff.evil.command", "diff-command"),
        ("diff.external", "diff-external"),
        ("core.pager", "pager"),
        ("pager.log", "pager-log"),
        ("gpg.program", "gpg"),
        ("core.hooksPath", "hooks"),
    ];
    for (key, name) in config {
        let value = if key == "core.hooksPath" {
            tools.path().join("hooks").display().to_string()
        } else {
            trap(tools.path(), name)
        };
        repo.git(&["config", key, &value]);
    }
    repo.git(&["config", "log.showSignature", "true"]);
    let hooks = tools.path().join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    for hook in ["post-index-change", "reference-transaction", "post-checkout"] {
        std::fs::copy(trap(tools.path(), hook), hooks.join(hook)).unwrap();
    }
    let page = tools.path().join("report.html");
    let runs: [&[&str]; 4] = [
        &["check"],
        &["check", "--staged"],
        &["check", "--format", "json", "backlog.yaml"],
        &["report", "--compare", "HEAD~1", "-o", page.to_str().unwrap()],
    ];
    for args in runs {
        let (out, text) = repo.backlint(args, &[]);
        assert!(!text.contains("history were skipped"), "{args:?} read the history: {text}");
        if args[0] == "report" {
            assert_eq!(out.status.code(), Some(0), "{text}");
            assert!(std::fs::read_to_string(&page).unwrap().contains("at HEAD~1"), "the comparison was made");
        }
        assert_eq!(
            markers(tools.path()),
            Vec::<String>::new(),
            "backlint {args:?} ran a program named by the repository"
        );
    }
    // The reorder is still seen, with its author.
    let (_, text) = repo.backlint(&["check", "--format", "json"], &[]);
    assert!(text.contains("Mallory Vance"), "{text}");
}

#[test]
fn git_environment_variables_do_not_redirect_backlint() {
    let repo = Repo::reordered_by_mallory("backlog.yaml");
    let other = Repo::new();
    other.write("backlog.yaml", &healthy());
    other.commit_all(PO, "Start another backlog");
    let (_, alone) = repo.backlint(&["check", "--format", "json"], &[]);
    assert!(alone.contains("Mallory Vance"), "{alone}");
    let git_dir = other.path().join(".git");
    let index = git_dir.join("index");
    let redirect: [(&str, &Path); 5] = [
        ("GIT_DIR", &git_dir),
        ("GIT_WORK_TREE", other.path()),
        ("GIT_INDEX_FILE", &index),
        ("GIT_OBJECT_DIRECTORY", &git_dir.join("objects")),
        ("GIT_CEILING_DIRECTORIES", repo.path()),
    ];
    let (_, redirected) = repo.backlint(&["check", "--format", "json"], &redirect);
    assert_eq!(redirected, alone, "the environment chose another repository");
}

/// `chown` to a stranger, so that git finds the ownership dubious; false when not allowed (not root).
fn give_away(dir: &Path) -> bool {
    let walk = walkdir::WalkDir::new(dir).into_iter().filter_map(Result::ok);
    for entry in walk {
        if std::os::unix::fs::lchown(entry.path(), Some(12345), Some(12345)).is_err() {
            return false;
        }
    }
    true
}

#[test]
fn a_repository_git_refuses_is_a_note() {
    let repo = Repo::reordered_by_mallory("backlog.yaml");
    if !give_away(repo.path()) {
        eprintln!("note: skipped a_repository_git_refuses_is_a_note: cannot chown the repository (not root)");
        return;
    }
    let (out, text) = repo.backlint(&["check", "--format", "json"], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("note: ") && err.contains("dubious ownership"), "{text}");
    assert!(err.contains("history were skipped"), "{text}");
    assert!(!text.contains("Mallory Vance"), "git refused the repository, so no history: {text}");
}

#[test]
fn a_mailmap_added_with_a_reorder_does_not_make_the_intruder_the_product_owner() {
    let repo = Repo::new();
    repo.write("backlog.yaml", &healthy());
    repo.commit_all(PO, "Start the backlog");
    repo.write("backlog.yaml", &reordered(&healthy()));
    repo.write(".mailmap", &format!("{} <{}> {} <{}>\n", PO.0, PO.1, MALLORY.0, MALLORY.1));
    repo.commit_all(MALLORY, "Swap the first two\n\nThe Product Owner asked for it.");
    let (out, text) = repo.backlint(&["check", "--format", "json"], &[]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let findings = json["findings"].as_array().cloned().unwrap_or_default();
    let committee: Vec<&str> =
        findings.iter().filter(|f| f["rule"] == "committee-reordering").filter_map(|f| f["message"].as_str()).collect();
    assert!(
        committee.iter().any(|m| m.contains("Mallory Vance")),
        "the reorder is by Mallory, whatever the mailmap she added says: {text}"
    );
}

#[test]
fn a_partial_clone_fetches_nothing() {
    let origin = Repo::reordered_by_mallory("backlog.yaml");
    origin.write("backlog.yaml", &healthy());
    origin.commit_all(PO, "Swap back");
    origin.git(&["config", "uploadpack.allowFilter", "true"]);
    let clone = Repo { dir: tempfile::tempdir().unwrap(), home: tempfile::tempdir().unwrap() };
    let url = format!("file://{}", origin.path().display());
    clone.git(&["clone", "-q", "--filter=blob:none", &url, "."]);
    let tools = tempfile::tempdir().unwrap();
    // Fetching the old versions now would run this instead of `git upload-pack`.
    clone.git(&["config", "remote.origin.uploadpack", &trap(tools.path(), "upload-pack")]);
    let (out, text) = clone.backlint(&["check", "--format", "json"], &[]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{text}");
    assert_eq!(markers(tools.path()), Vec::<String>::new(), "backlint fetched from the remote: {text}");
}

/// A tree object made of these entries (mode, name, id), which may be ones git would never write.
fn mktree(repo: &Repo, entries: &[(&str, &str, &str)]) -> String {
    let input: String = entries
        .iter()
        .map(|(mode, name, id)| {
            let kind = if *mode == "040000" { "tree" } else { "blob" };
            format!("{mode} {kind} {id}\t{name}\n")
        })
        .collect();
    let mut child = Command::new("git")
        .arg("mktree")
        .current_dir(repo.path())
        .env("HOME", repo.home.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn blob(repo: &Repo, text: &str) -> String {
    let path = repo.home.path().join("blob");
    std::fs::write(&path, text).unwrap();
    let out = repo.git(&["hash-object", "-w", path.to_str().unwrap()]);
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn compare_never_follows_a_committed_link() {
    let repo = Repo::new();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.yaml");
    std::fs::write(&secret, "product: SECRET-PRODUCT\nproduct_owner: Amara Okafor\nitems: []\n").unwrap();
    std::os::unix::fs::symlink(&secret, repo.path().join("backlog.yaml")).unwrap();
    repo.commit_all(PO, "A link");
    std::fs::remove_file(repo.path().join("backlog.yaml")).unwrap();
    repo.write("backlog.yaml", &healthy());
    repo.commit_all(PO, "The backlog");
    let (out, text) = repo.backlint(&["report", "--format", "markdown", "--compare", "HEAD~1"], &[]);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("symbolic link"), "{text}");
    assert!(!text.contains("SECRET"), "{text}");
}

#[test]
fn compare_writes_nothing_outside_its_folder() {
    let repo = Repo::new();
    let task = |id: &str, ordinal: u32| {
        format!("---\nid: {id}\ntitle: Task {id}\nstatus: To Do\nordinal: {ordinal}\n---\n\n## Description\n\nWork.\n")
    };
    repo.write("backlog/config.yml", "project_name: Ferries\n");
    repo.write("backlog/tasks/task-1 - Task.md", &task("task-1", 1000));
    repo.write("backlog/tasks/task-2 - Task.md", &task("task-2", 2000));
    repo.commit_all(PO, "Start");
    // A commit whose tree git would never write: `backlog/tasks/../../../escaped.md`, a link, a `.git`.
    let escaped = blob(&repo, &task("task-9", 10));
    let mut up = mktree(&repo, &[("100644", "escaped.md", &escaped)]);
    for _ in 0..3 {
        up = mktree(&repo, &[("040000", "..", &up)]);
    }
    let one = blob(&repo, &task("task-1", 1000));
    let link = blob(&repo, "/etc");
    let hooks = mktree(&repo, &[("100644", "task-8 - Task.md", &escaped)]);
    let tasks = mktree(
        &repo,
        &[
            ("040000", "..", &up),
            ("100644", ".git", &one),
            ("120000", "etc", &link),
            ("040000", ".GIT", &hooks),
            ("100644", "task-1 - Task.md", &one),
        ],
    );
    let config = blob(&repo, "project_name: Ferries\n");
    let backlog = mktree(&repo, &[("100644", "config.yml", &config), ("040000", "tasks", &tasks)]);
    let top = mktree(&repo, &[("040000", "backlog", &backlog)]);
    let out = repo.git(&["commit-tree", &top, "-p", "HEAD", "-m", "Hostile tree"]);
    let hostile = String::from_utf8(out.stdout).unwrap().trim().to_string();
    repo.git(&["update-ref", "HEAD", &hostile]);
    repo.write("backlog/tasks/task-3 - Task.md", &task("task-3", 3000));
    repo.commit_all(PO, "Task 3");
    let tmp = tempfile::tempdir().unwrap();
    let (out, text) =
        repo.backlint(&["report", "--format", "markdown", "--compare", "HEAD~1"], &[("TMPDIR", tmp.path())]);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let left: Vec<_> = walkdir::WalkDir::new(tmp.path()).into_iter().skip(1).map(|e| e.unwrap().into_path()).collect();
    assert!(left.is_empty(), "written outside the checkout: {left:?}");
    assert!(!repo.path().join("escaped.md").exists() && !repo.path().join("backlog/escaped.md").exists());
}

#[test]
fn an_alias_bomb_in_an_old_version_is_skipped_quickly() {
    let repo = Repo::new();
    repo.write("backlog.yaml", &healthy());
    repo.commit_all(PO, "Start the backlog");
    // Few values, many bytes: 10^4 copies of a 1 MB text; then of 10^5 short ones.
    let mut bomb = format!("notes: &n0 \"{}\"\n", "x".repeat(1 << 20));
    for level in 1..=4 {
        bomb += &format!("n{level}: &n{level} [{}]\n", vec![format!("*n{}", level - 1); 10].join(", "));
    }
    bomb += "laughs: &l0 [lol]\n";
    for level in 1..=6 {
        bomb += &format!("l{level}: &l{level} [{}]\n", vec![format!("*l{}", level - 1); 10].join(", "));
    }
    repo.write("backlog.yaml", &(bomb + &reordered(&healthy())));
    repo.commit_all(MALLORY, "Swap the first two");
    repo.write("backlog.yaml", &healthy());
    repo.commit_all(PO, "Swap back");
    let started = std::time::Instant::now();
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 2000000; exec timeout 60 \"$0\" check --format json")
        .arg(env!("CARGO_BIN_EXE_backlint"))
        .current_dir(repo.path())
        .env("HOME", repo.home.path())
        .output()
        .unwrap();
    let text = assert_handled(&out, "an alias bomb in history");
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "took {:?}", started.elapsed());
    assert!(matches!(out.status.code(), Some(0 | 1)), "{text}");
}

#[test]
fn staged_sees_the_index_and_committer_git_commit_is_about_to_write() {
    let repo = Repo::new();
    repo.write("backlog.yaml", &healthy());
    repo.commit_all(PO, "Start the backlog");
    // `git commit -a` stages into a temporary index, which its hooks find in GIT_INDEX_FILE.
    repo.write("backlog.yaml", &reordered(&healthy()));
    let report = repo.home.path().join("staged.json");
    let hook = repo.path().join(".git/hooks/pre-commit");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nexec '{}' check --staged --format json > '{}'\n",
            env!("CARGO_BIN_EXE_backlint"),
            report.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    // The committer comes from `-c`, which git hands its hooks as GIT_CONFIG_PARAMETERS.
    let commit = Command::new("git")
        .args(["-c", &format!("user.name={}", MALLORY.0), "-c", &format!("user.email={}", MALLORY.1)])
        .args(["commit", "-q", "-a", "-m", "Swap the first two"])
        .current_dir(repo.path())
        .env("HOME", repo.home.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    let json = std::fs::read_to_string(&report).unwrap();
    assert!(!commit.status.success(), "the hook stops the commit: {json}");
    assert!(json.contains("committee-reordering") && json.contains("Mallory Vance"), "{json}");
}

#[test]
fn a_committed_bare_repository_does_not_stand_in_for_the_real_one() {
    let repo = Repo::reordered_by_mallory("sub/backlog.yaml");
    // `sub` is also a repository of its own, its own work tree, with only the Product Owner in its
    // history: git finds it first when asked from `sub`.
    repo.git(&["init", "-q", "--bare", "sub"]);
    repo.git(&["--git-dir=sub", "config", "core.bare", "false"]);
    repo.git(&["--git-dir=sub", "config", "core.worktree", "."]);
    repo.git(&["--git-dir=sub", "--work-tree=sub", "add", "backlog.yaml"]);
    repo.git(&["--git-dir=sub", "--work-tree=sub", "commit", "-q", "-m", "A history of our own"]);
    repo.commit_all(MALLORY, "Tooling");
    let (_, text) = repo.backlint(&["check", "--format", "json", "sub/backlog.yaml"], &[]);
    assert!(text.contains("Mallory Vance") || text.contains("note: git refused"), "the fake history was read: {text}");
}
