//! Where outputs go: `-` is standard output; a path is written so that it is never left half-written
//! and never replaced by something else than what the user pointed at.
//!
//! - A symlink is followed (chains too, each relative target against its link's folder) and what it
//!   points at is written; the link stays a link.
//! - A regular file (or a new path) is replaced atomically: the content is staged beside it, flushed
//!   to disk, then renamed over it. A new file takes the umask's mode; an existing one keeps its mode
//!   and, where allowed, its owner.
//! - A FIFO or a device is opened and written directly: renaming over it would replace it.
//! - A socket cannot be opened; it is refused with a clear message.
//!
//! On Linux the content is staged in an unnamed file (`O_TMPFILE`), named only just before the
//! rename: a write killed midway leaves nothing behind. Elsewhere, or where the file system lacks
//! `O_TMPFILE`, a named temporary file is used.

use std::fs::{File, Metadata};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The most symlinks followed from one output path, as the kernel's own limit.
const MAX_SYMLINKS: usize = 40;

/// `-` stands for standard output.
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Writes `contents` to `path` as described in the module's documentation.
pub fn write_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    let (target, existing) = resolve(path)?;
    match &existing {
        Some(meta) if is_socket(meta) => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "it is a socket, which cannot be written to; give a file, a FIFO or `-` for standard output",
        )),
        // Directories fall through: the rename fails on them and the original stays.
        Some(meta) if !meta.is_file() && !meta.is_dir() => write_directly(&target, contents),
        _ => replace(&target, contents, existing.as_ref()),
    }
}

/// The path a write to `path` lands on, with its metadata when it exists.
fn resolve(path: &Path) -> io::Result<(PathBuf, Option<Metadata>)> {
    let mut current = path.to_path_buf();
    for _ in 0..=MAX_SYMLINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&current)?;
                // `join` keeps an absolute target as it is.
                current = current.parent().map_or_else(|| target.clone(), |dir| dir.join(&target));
            }
            Ok(meta) => return Ok((current, Some(meta))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((current, None)),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(io::ErrorKind::InvalidInput, "too many levels of symbolic links"))
}

#[cfg(unix)]
fn is_socket(meta: &Metadata) -> bool {
    std::os::unix::fs::FileTypeExt::is_socket(&meta.file_type())
}

#[cfg(not(unix))]
fn is_socket(_: &Metadata) -> bool {
    false
}

/// A FIFO or a device: opened as it is (never created, never truncated) and written.
fn write_directly(target: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Resolved already: a symlink planted since then is not followed.
        options.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32 | rustix::fs::OFlags::NOCTTY.bits() as i32);
    }
    let mut file = options.open(target)?;
    if file.metadata()?.is_file() {
        return Err(io::Error::other("it was replaced by a regular file while being written"));
    }
    file.write_all(contents)?;
    file.flush()
}

fn folder_of(target: &Path) -> &Path {
    match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Atomic replace of a regular file, or creation of a new one.
fn replace(target: &Path, contents: &[u8], existing: Option<&Metadata>) -> io::Result<()> {
    let dir = folder_of(target);
    if target.file_name().is_none() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "it names a folder, not a file"));
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        match unnamed::Staged::new(dir, contents, existing) {
            Ok(staged) => match staged.commit(target) {
                Ok(()) => return sync_folder(dir),
                Err(unnamed::CommitError::Rename(e)) => return Err(e),
                // The file could not be named (no /proc, no privilege): stage it again, named.
                Err(unnamed::CommitError::Link) => {}
            },
            Err(e) if !unnamed::unsupported(&e) => return Err(e),
            Err(_) => {}
        }
    }
    replace_with_named_temp(dir, target, contents, existing)?;
    sync_folder(dir)
}

fn replace_with_named_temp(dir: &Path, target: &Path, contents: &[u8], existing: Option<&Metadata>) -> io::Result<()> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".backlint-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The kernel applies the umask, as for any new file (tempfile's default is 0600).
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(contents)?;
    keep_owner_and_mode(tmp.as_file(), existing)?;
    tmp.as_file().sync_all()?;
    tmp.persist(target).map_err(|e| e.error)?;
    Ok(())
}

/// The replacement keeps the replaced file's mode, and its owner when we may set it.
fn keep_owner_and_mode(file: &File, existing: Option<&Metadata>) -> io::Result<()> {
    let Some(old) = existing else { return Ok(()) };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let new = file.metadata()?;
        if (new.uid(), new.gid()) != (old.uid(), old.gid()) {
            // Only root may give a file away; others keep what they own.
            let _ = std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid()));
        }
    }
    file.set_permissions(old.permissions())
}

/// Makes the rename itself durable. Best effort: some file systems cannot sync a folder.
fn sync_folder(dir: &Path) -> io::Result<()> {
    if let Ok(folder) = File::open(dir) {
        let _ = folder.sync_all();
    }
    Ok(())
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod unnamed {
    use super::keep_owner_and_mode;
    use rustix::fs::{AtFlags, CWD, Mode, OFlags};
    use rustix::io::Errno;
    use std::fs::{File, Metadata};
    use std::io::{self, Write};
    use std::os::fd::AsRawFd;
    use std::path::{Path, PathBuf};

    /// Content written and flushed in an unnamed file of the target's folder: invisible until
    /// committed, and gone if the process dies first.
    pub struct Staged {
        file: File,
        dir: PathBuf,
    }

    pub enum CommitError {
        /// The unnamed file could not be given a name (the named way may still work).
        Link,
        /// It was named but could not replace the target.
        Rename(io::Error),
    }

    /// `O_TMPFILE` is not available here: use a named temporary file instead.
    pub fn unsupported(e: &io::Error) -> bool {
        // Kernels before 3.11 treat `O_TMPFILE` as `O_DIRECTORY` and answer EISDIR.
        [Errno::OPNOTSUPP, Errno::ISDIR, Errno::INVAL]
            .iter()
            .any(|errno| e.raw_os_error() == Some(errno.raw_os_error()))
    }

    impl Staged {
        pub fn new(dir: &Path, contents: &[u8], existing: Option<&Metadata>) -> io::Result<Staged> {
            // Mode 0666: the kernel applies the umask, as for any new file.
            let fd = rustix::fs::openat(
                CWD,
                dir,
                OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC,
                Mode::from_bits_truncate(0o666),
            )?;
            let mut file = File::from(fd);
            file.write_all(contents)?;
            keep_owner_and_mode(&file, existing)?;
            file.sync_all()?;
            Ok(Staged { file, dir: dir.to_path_buf() })
        }

        /// Names the file in its folder, then renames it over `target` (in that folder).
        pub fn commit(self, target: &Path) -> Result<(), CommitError> {
            let temp = self.link().map_err(|_| CommitError::Link)?;
            std::fs::rename(&temp, target).map_err(|e| {
                let _ = std::fs::remove_file(&temp);
                CommitError::Rename(e)
            })
        }

        /// A fresh name in the folder for the unnamed file.
        fn link(&self) -> io::Result<PathBuf> {
            let proc_path = format!("/proc/self/fd/{}", self.file.as_raw_fd());
            let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            for attempt in 0..100u32 {
                let name = format!(".backlint-{}-{}-{attempt}.tmp", std::process::id(), stamp.subsec_nanos());
                let temp = self.dir.join(name);
                // Through /proc needs no privilege; AT_EMPTY_PATH works without /proc for root.
                let linked = match rustix::fs::linkat(CWD, proc_path.as_str(), CWD, &temp, AtFlags::SYMLINK_FOLLOW) {
                    Err(e) if e != Errno::EXIST => rustix::fs::linkat(&self.file, "", CWD, &temp, AtFlags::EMPTY_PATH),
                    done => done,
                };
                match linked {
                    Ok(()) => return Ok(temp),
                    Err(Errno::EXIST) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            Err(io::Error::new(io::ErrorKind::AlreadyExists, "no free temporary name"))
        }
    }
}

/// Standard output that remembers its first error, so that a failed write anywhere in a command
/// (a full disk, a closed pipe) ends the run with exit 2 however the command wrote.
pub struct Checked<W: Write> {
    inner: W,
    error: Option<io::Error>,
}

impl<W: Write> Checked<W> {
    pub fn new(inner: W) -> Self {
        Checked { inner, error: None }
    }

    /// Flushes, then gives the first error seen, if any.
    pub fn finish(mut self) -> Option<io::Error> {
        let flushed = self.inner.flush();
        self.error.or(flushed.err())
    }

    fn record<T>(&mut self, result: io::Result<T>) -> io::Result<T> {
        match result {
            Err(e) if e.kind() != io::ErrorKind::Interrupted => {
                let copy = io::Error::new(e.kind(), e.to_string());
                self.error.get_or_insert(e);
                Err(copy)
            }
            other => other,
        }
    }
}

impl<W: Write> Write for Checked<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = self.inner.write(buf);
        self.record(result)
    }

    fn flush(&mut self) -> io::Result<()> {
        let result = self.inner.flush();
        self.record(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn a_failed_write_leaves_the_original_intact() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("baseline.json");
        std::fs::write(&target, "original").unwrap();
        // The rename cannot replace a directory: the write fails after the content was staged.
        let blocked = dir.path().join("blocked");
        std::fs::create_dir(&blocked).unwrap();
        std::fs::write(blocked.join("keep"), "x").unwrap();
        assert!(write_file(&blocked, b"new").is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "original");
        write_file(&target, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(entries(dir.path()), ["baseline.json", "blocked"], "no temporary file is left behind");
    }

    #[test]
    fn the_named_fallback_replaces_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        std::fs::write(&target, "original").unwrap();
        let existing = std::fs::metadata(&target).unwrap();
        replace_with_named_temp(dir.path(), &target, b"new", Some(&existing)).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(entries(dir.path()), ["out.txt"]);
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn staged_content_is_invisible_until_committed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.html");
        std::fs::write(&target, "original").unwrap();
        let before = entries(dir.path());
        let staged = match unnamed::Staged::new(dir.path(), &[b'x'; 1 << 20], None) {
            Ok(s) => s,
            // A file system without O_TMPFILE (the named fallback is tested above).
            Err(e) if unnamed::unsupported(&e) => return,
            Err(e) => panic!("{e}"),
        };
        // A kill here would leave nothing: the folder holds no new entry.
        assert_eq!(entries(dir.path()), before);
        assert!(staged.commit(&target).is_ok());
        assert_eq!(std::fs::read(&target).unwrap().len(), 1 << 20);
        assert_eq!(entries(dir.path()), before);
    }

    #[test]
    fn dash_is_standard_output() {
        assert!(is_stdout(Path::new("-")));
        assert!(!is_stdout(Path::new("./-")));
    }

    #[test]
    fn the_first_write_error_is_kept() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut out = Checked::new(Broken);
        let _ = writeln!(out, "lost");
        assert_eq!(out.finish().map(|e| e.kind()), Some(io::ErrorKind::BrokenPipe));
        assert!(Checked::new(Vec::new()).finish().is_none());
    }
}
