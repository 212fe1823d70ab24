//! Reading files that anyone who opens a pull request may have written: only regular files, only
//! inside the repository (a committed symlink must not lead to `/proc/self/environ` or `/etc/shadow`),
//! and never more than a size cap, so a FIFO cannot hang the run and `/dev/zero` cannot eat memory.

use crate::diag::Problem;
use crate::text::SourceFile;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The default cap on one file: far above any real backlog (100,000 items take about 45 MB).
pub const DEFAULT_MAX_FILE_MB: u64 = 256;

static MAX_FILE_BYTES: AtomicU64 = AtomicU64::new(DEFAULT_MAX_FILE_MB << 20);

/// Sets the cap for the rest of the run (`--max-file-size`, `BACKLINT_MAX_FILE_SIZE`).
pub fn set_max_file_mb(mb: u64) {
    MAX_FILE_BYTES.store(mb.saturating_mul(1 << 20), Ordering::Relaxed);
}

pub fn max_file_bytes() -> u64 {
    MAX_FILE_BYTES.load(Ordering::Relaxed)
}

/// The folder that reads of `path` must stay inside: the git work tree around it (the first
/// ancestor holding `.git`), else the folder itself, or the file's folder. Canonical, so that a
/// symlinked temp folder still compares equal to what its files resolve to.
pub fn root_of(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    // The path's own last component may be the committed symlink under judgement: resolve only its folder.
    let start = if abs.is_dir() && !is_symlink(&abs) {
        abs.clone()
    } else {
        abs.parent().map(Path::to_path_buf).unwrap_or_else(|| abs.clone())
    };
    let start = std::fs::canonicalize(&start).unwrap_or(start);
    start.ancestors().find(|d| d.join(".git").exists()).map(Path::to_path_buf).unwrap_or(start)
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Why a file is refused before any byte of it is read.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Missing,
    OutsideRoot,
    NotRegular(&'static str),
    TooLarge(u64),
    Io(String),
}

impl Refusal {
    pub fn reason(&self) -> String {
        match self {
            Refusal::Missing => "no such file".into(),
            Refusal::OutsideRoot => "it is a symlink that leads outside the repository".into(),
            Refusal::NotRegular(kind) => format!("it is not a regular file (it is {kind})"),
            Refusal::TooLarge(len) => {
                format!("it is {} MB, over the {} MB limit for one file", len.div_ceil(1 << 20), max_file_bytes() >> 20)
            }
            Refusal::Io(e) => e.clone(),
        }
    }

    pub fn help(&self) -> &'static str {
        match self {
            Refusal::OutsideRoot => {
                "backlint reads only files inside the repository; commit the file itself, not a link"
            }
            Refusal::NotRegular(_) => "give a regular file",
            Refusal::TooLarge(_) => {
                "raise the limit with --max-file-size MB (or BACKLINT_MAX_FILE_SIZE) if the file is real"
            }
            _ => "check that the file exists and is readable",
        }
    }
}

/// Whether `path` resolves (through any symlinks) to a place inside `root`.
pub fn inside(path: &Path, root: &Path) -> bool {
    std::fs::canonicalize(path).is_ok_and(|real| real.starts_with(root))
}

/// The bytes of a regular file inside `root`, up to the size it had when opened.
pub fn read_bytes(path: &Path, root: &Path) -> Result<Vec<u8>, Refusal> {
    let real = std::fs::canonicalize(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Refusal::Missing,
        _ => Refusal::Io(io_reason(&e)),
    })?;
    if !real.starts_with(root) {
        return Err(Refusal::OutsideRoot);
    }
    // Judge the kind before opening: opening a FIFO for reading waits for a writer.
    let kind = std::fs::metadata(&real).map_err(|e| Refusal::Io(io_reason(&e)))?.file_type();
    if !kind.is_file() {
        return Err(Refusal::NotRegular(kind_name(&kind)));
    }
    let mut file = open_nonblocking(&real).map_err(|e| Refusal::Io(io_reason(&e)))?;
    // Judge the opened file too: the path may have been swapped between the two looks.
    let meta = file.metadata().map_err(|e| Refusal::Io(io_reason(&e)))?;
    if !meta.file_type().is_file() {
        return Err(Refusal::NotRegular(kind_name(&meta.file_type())));
    }
    let len = meta.len();
    if len > max_file_bytes() {
        return Err(Refusal::TooLarge(len));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // A file that grows while it is read is read up to the size it had when opened.
    (&mut file).take(len).read_to_end(&mut bytes).map_err(|e| Refusal::Io(io_reason(&e)))?;
    Ok(bytes)
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let flags = rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY;
    std::fs::OpenOptions::new().read(true).custom_flags(flags.bits() as i32).open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

fn kind_name(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
    }
    if kind.is_dir() { "a folder" } else { "not a file" }
}

pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// A UTF-8 source file inside `root`, or the problem that says why not.
pub fn read_source(path: &Path, root: &Path) -> Result<SourceFile, Problem> {
    let bytes = read_bytes(path, root).map_err(|r| {
        Problem::error("I0030", format!("cannot read `{}`: {}", path.display(), r.reason())).help(r.help())
    })?;
    Ok(SourceFile::new(path, utf8(path, bytes)?))
}

/// A stream (standard input) read whole as the text of `path`, within the size cap: a pipe has no
/// size to judge before reading, so reading stops one byte past the cap.
pub fn read_stream(reader: impl Read, path: &Path) -> Result<String, Problem> {
    let cap = max_file_bytes();
    let mut bytes = Vec::new();
    reader.take(cap.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| {
        Problem::error("I0030", format!("cannot read standard input: {}", io_reason(&e)))
            .help("pipe the backlog into backlint, or name its file instead of `-`")
    })?;
    if bytes.len() as u64 > cap {
        return Err(Problem::error(
            "I0030",
            format!("cannot read standard input: it is over the {} MB limit for one file", cap >> 20),
        )
        .help(Refusal::TooLarge(0).help()));
    }
    utf8(path, bytes)
}

/// The bytes as text, or the problem that names the first byte that is not UTF-8.
fn utf8(path: &Path, bytes: Vec<u8>) -> Result<String, Problem> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let (line, col) = SourceFile::new(path, String::from_utf8_lossy(&bytes[..at]).into_owned()).line_col(at);
            Err(Problem::error(
                "I0031",
                format!("`{}` is not UTF-8 text (invalid byte at line {line}, column {col})", path.display()),
            )
            .help("save the file as UTF-8"))
        }
    }
}

/// Where a policy `include` leads, when it stays inside `root`: never an absolute path, and never
/// a `..` or a symlink that leaves the root.
pub fn resolve_include(including: &Path, target: &str, root: &Path) -> Result<PathBuf, &'static str> {
    let rel = Path::new(target);
    if rel.is_absolute() || rel.components().any(|c| matches!(c, Component::Prefix(_) | Component::RootDir)) {
        return Err("an include names a path relative to the including file, never an absolute one");
    }
    let base = including.parent().unwrap_or(Path::new("."));
    let joined = base.join(rel);
    // Judged on the path as written first (`..` can only climb out), then where links lead.
    let abs = std::path::absolute(&joined).unwrap_or_else(|_| joined.clone());
    let lexical = normalise(&abs);
    let root_lexical = normalise(&std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf()));
    let canonical_base = std::fs::canonicalize(base).ok().map(|b| normalise(&b.join(rel)));
    let stays = lexical.starts_with(&root_lexical) || canonical_base.is_some_and(|c| c.starts_with(root));
    if !stays {
        return Err("an include must stay inside the repository (outside git: inside the policy's folder)");
    }
    if joined.exists() && !inside(&joined, root) {
        return Err("an include must not follow a symlink out of the repository");
    }
    Ok(joined)
}

/// `a/b/../c` → `a/c`, without touching the file system.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let fifo = root.join("backlog.yaml");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, rustix::fs::Mode::from_raw_mode(0o644)).unwrap();
        assert_eq!(read_bytes(&fifo, &root), Err(Refusal::NotRegular("a FIFO")));
    }

    #[test]
    fn symlinks_may_stay_inside_but_not_leave() {
        let outer = tempfile::tempdir().unwrap();
        let outer = std::fs::canonicalize(outer.path()).unwrap();
        let root = outer.join("repo");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(outer.join("secret"), "token").unwrap();
        std::fs::write(root.join("real.yaml"), "a: 1").unwrap();
        std::os::unix::fs::symlink(outer.join("secret"), root.join("out.yaml")).unwrap();
        std::os::unix::fs::symlink("real.yaml", root.join("in.yaml")).unwrap();
        assert_eq!(read_bytes(&root.join("out.yaml"), &root), Err(Refusal::OutsideRoot));
        assert_eq!(read_bytes(&root.join("in.yaml"), &root).unwrap(), b"a: 1");
    }

    #[test]
    fn the_cap_refuses_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let big = root.join("big.yaml");
        let f = std::fs::File::create(&big).unwrap();
        // Sparse: the size is there without writing it.
        f.set_len(max_file_bytes() + 1).unwrap();
        assert!(matches!(read_bytes(&big, &root), Err(Refusal::TooLarge(_))));
    }

    #[test]
    fn includes_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir(root.join("team")).unwrap();
        let policy = root.join("team/backlint.policy");
        assert!(resolve_include(&policy, "/proc/self/environ", &root).is_err());
        assert!(resolve_include(&policy, "../../etc/shadow", &root).is_err());
        assert!(resolve_include(&policy, "../shared.policy", &root).is_ok());
        assert!(resolve_include(&policy, "extra.policy", &root).is_ok());
        std::os::unix::fs::symlink("/etc", root.join("team/etc")).unwrap();
        assert!(resolve_include(&policy, "etc/hostname", &root).is_err());
    }
}
