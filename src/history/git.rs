//! Running git: [`git`] builds every command (the repository is untrusted), [`CatFile`] reads objects
//! one at a time, and [`read_objects`] streams many requests through one `cat-file --batch`.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use super::Unavailable;

/// For commands that diff: `--raw` and `--name-only` print no patch, so neither an external diff nor
/// a textconv filter would run; these say so to git as well.
pub(super) const NO_PROGRAMS: [&str; 2] = ["--no-ext-diff", "--no-textconv"];

/// A running `git cat-file --batch`: one process for every object the scan reads.
pub(super) struct CatFile {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl CatFile {
    /// Starts `git cat-file --batch` on `command`, a [`git`] or [`git_staged`] command.
    pub(super) fn start(mut command: Command) -> std::io::Result<CatFile> {
        let mut child = command
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let input = child.stdin.take().expect("piped");
        let output = BufReader::new(child.stdout.take().expect("piped"));
        Ok(CatFile { child, input, output })
    }

    /// Asks for the object named `name` and reads git's header: its id, type and size (the
    /// content follows, for [`Self::get`] to read or skip).
    fn info(&mut self, name: &str) -> Option<(String, String, usize)> {
        if name.contains('\n') {
            return None;
        }
        writeln!(self.input, "{name}").ok()?;
        self.input.flush().ok()?;
        let mut header = String::new();
        self.output.read_line(&mut header).ok()?;
        let mut parts = header.split_whitespace();
        let (id, kind, size) = (parts.next()?, parts.next()?, parts.next()?);
        Some((id.to_string(), kind.to_string(), size.parse().ok()?))
    }

    /// The object named `name` (an id or `rev:path`): its id, type and content; None when missing.
    /// `--batch` answers with the same header as `--batch-check`, then the content.
    pub(super) fn get(&mut self, name: &str) -> Option<(String, String, Vec<u8>)> {
        let (id, kind, size) = self.info(name)?;
        // A version over the size cap is skipped unread, as a file on disk would be refused.
        if size as u64 > crate::files::input::max_file_bytes() {
            std::io::copy(&mut (&mut self.output).take(size as u64 + 1), &mut std::io::sink()).ok()?;
            return None;
        }
        let mut content = vec![0; size + 1]; // the content, then a newline
        self.output.read_exact(&mut content).ok()?;
        content.pop();
        Some((id, kind, content))
    }
}

impl Drop for CatFile {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every git command backlint runs. The repository is untrusted, and its config may name programs
/// for git to run: `-c` outranks the repository's config, so each of those is switched off here
/// (fsmonitor, signature checks, fetching missing objects; pager, filters, textconv and external
/// diffs are never reached: no pager on a pipe, `cat-file` without `--filters`, no patches). The
/// environment is not ours either (a hook of another repository sets `GIT_DIR`): every `GIT_*`
/// variable is dropped; [`git_staged`] and [`committer_ident`] keep the few `git commit` would use.
pub(crate) fn git(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command.current_dir(dir);
    for (key, _) in std::env::vars_os() {
        if key.as_encoded_bytes().starts_with(b"GIT_") {
            command.env_remove(key);
        }
    }
    command
        .env_remove("PAGER")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_NO_LAZY_FETCH", "1")
        .args(["--no-pager", "--literal-pathspecs"])
        .args(["-c", "core.fsmonitor=false", "-c", "log.showSignature=false", "-c", "protocol.allow=never"])
        // A folder committed to look like a bare repository (HEAD, objects, refs, a config of its
        // own) must not be taken for the repository around the backlog: its history would be fake.
        .args(["-c", "safe.bareRepository=explicit", "-c", "core.quotePath=false"]);
    command
}

/// [`git`] for the pre-commit view, which must read the index `git commit` is about to commit:
/// `git commit -a` and `git commit <path>` name it in `GIT_INDEX_FILE` for their hooks.
pub(crate) fn git_staged(dir: &Path) -> Command {
    let mut command = git(dir);
    if let Some(index) = std::env::var_os("GIT_INDEX_FILE") {
        // Relative to where the hook runs (our working folder), not to where git will run.
        command.env("GIT_INDEX_FILE", std::path::absolute(&index).unwrap_or_else(|_| index.clone().into()));
    }
    command
}

/// `git var GIT_COMMITTER_IDENT`: the committer `git commit` would record, which also comes from the
/// environment (`GIT_COMMITTER_NAME`, …, and `git -c user.name=…`, passed on as `GIT_CONFIG_*`).
/// `git var` reads config and runs nothing, so that environment is kept for it alone.
pub(super) fn committer_ident(dir: &Path) -> Result<String, Unavailable> {
    let mut command = git(dir);
    for (key, value) in std::env::vars_os() {
        let name = key.to_string_lossy();
        let identity = matches!(&*name, "GIT_COMMITTER_NAME" | "GIT_COMMITTER_EMAIL" | "GIT_COMMITTER_DATE")
            || name == "GIT_CONFIG_PARAMETERS"
            || name == "GIT_CONFIG_COUNT"
            || name.starts_with("GIT_CONFIG_KEY_")
            || name.starts_with("GIT_CONFIG_VALUE_");
        if identity {
            command.env(key, value);
        }
    }
    output_of(command, &["var", "GIT_COMMITTER_IDENT"])
}

pub(super) fn run_git(dir: &Path, args: &[&str]) -> Result<String, Unavailable> {
    output_of(git(dir), args)
}

pub(super) fn output_of(mut command: Command, args: &[&str]) -> Result<String, Unavailable> {
    let out = command.args(args).stderr(Stdio::piped()).output().map_err(|e| {
        Unavailable::Note(if e.kind() == std::io::ErrorKind::NotFound {
            "git was not found, so the rules over the backlog's history were skipped".into()
        } else {
            format!("cannot run git ({e}), so the rules over the backlog's history were skipped")
        })
    })?;
    if !out.status.success() {
        let reason = String::from_utf8_lossy(&out.stderr).lines().next().unwrap_or("").trim().to_string();
        return Err(Unavailable::Note(format!("`git {}` failed: {reason}", args.join(" "))));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// One answer of `cat-file --batch`: the object's id, type and content.
pub(super) type Object = (String, String, Vec<u8>);

/// Every object named in `names` (ids or `rev:path`), in order, through one `cat-file --batch` on
/// `command` (a [`git`] command): a thread writes all the requests while this one reads the answers,
/// so there is no round trip per object. A missing object, a name git cannot take (a newline in it)
/// and an object over the size cap are None; the cap is checked before any content is read.
pub(super) fn read_objects(command: Command, names: &[String]) -> std::io::Result<Vec<Option<Object>>> {
    let objects = stream(command, names, true)?;
    Ok(objects.into_iter().map(|o| o.map(|(id, kind, _, content)| (id, kind, content))).collect())
}

/// The id, type and size of each object of `names`, as [`read_objects`] streams them, without the
/// contents (`cat-file --batch-check`).
pub(super) fn check_objects(command: Command, names: &[String]) -> std::io::Result<Vec<Option<(String, String, u64)>>> {
    let objects = stream(command, names, false)?;
    Ok(objects.into_iter().map(|o| o.map(|(id, kind, size, _)| (id, kind, size))).collect())
}

/// An object's id, type, size and content (empty when not asked for).
type Streamed = (String, String, u64, Vec<u8>);

/// One `cat-file` process for all of `names`: requests written by one thread while this one reads the
/// answers, with each object's content when `contents`.
fn stream(mut command: Command, names: &[String], contents: bool) -> std::io::Result<Vec<Option<Streamed>>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut child = command
        .args(["cat-file", if contents { "--batch" } else { "--batch-check" }])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut input = child.stdin.take().expect("piped");
    let mut output = BufReader::with_capacity(1 << 16, child.stdout.take().expect("piped"));
    let asked: Vec<bool> = names.iter().map(|n| !n.contains('\n') && !n.is_empty()).collect();
    let requests: Vec<u8> =
        names.iter().zip(&asked).filter(|(_, ok)| **ok).flat_map(|(n, _)| n.bytes().chain([b'\n'])).collect();
    let cap = crate::files::input::max_file_bytes();
    let result = std::thread::scope(|scope| {
        let writer = scope.spawn(move || {
            let _ = input.write_all(&requests);
            // Dropping the pipe tells git the requests are over.
        });
        let mut out = Vec::with_capacity(names.len());
        for ok in &asked {
            if !ok {
                out.push(None);
                continue;
            }
            let mut header = String::new();
            if output.read_line(&mut header)? == 0 {
                return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "git cat-file stopped"));
            }
            let parts: Vec<&str> = header.split_whitespace().collect();
            // `<name> missing` (or `ambiguous`): the name may hold spaces, the verdict is last.
            let size = match parts.as_slice() {
                [id, kind, size] if !matches!(*size, "missing" | "ambiguous") => {
                    size.parse::<u64>().ok().map(|s| (id.to_string(), kind.to_string(), s))
                }
                _ => None,
            };
            let Some((id, kind, size)) = size else {
                out.push(None);
                continue;
            };
            if !contents {
                out.push(Some((id, kind, size, Vec::new())));
                continue;
            }
            if size > cap {
                std::io::copy(&mut (&mut output).take(size + 1), &mut std::io::sink())?;
                out.push(None);
                continue;
            }
            let mut content = vec![0; size as usize + 1]; // the content, then a newline
            output.read_exact(&mut content)?;
            content.pop();
            out.push(Some((id, kind, size, content)));
        }
        let _ = writer.join();
        Ok(out)
    });
    let _ = child.kill();
    let _ = child.wait();
    result
}
