//! Writing the output. A site build stages the whole output in a sibling folder and swaps it
//! in at the end, so a failed or interrupted build leaves the previous site as it was and a
//! finished one leaves no stale page behind. The output it replaces is kept beside it, hidden,
//! and the next build stages into that folder: its folders exist and most of its files already
//! hold the right bytes, so a rebuild creates and deletes little. A single-notebook build
//! writes its files one by one, each to a temporary name renamed into place.
//!
//! No write ever follows a link. Below the output folder every folder is opened relative to
//! its parent without following one ([`Folder`]), and files are created with `O_EXCL`, so a
//! link planted where a folder or a temporary file goes, even while the build runs, is refused
//! or replaced, never written through. rustix lives here and nowhere else.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;
use rustix::fd::OwnedFd;
use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags, RenameFlags};
use rustix::io::Errno;

use crate::diag::{Code, Diagnostic, Severity};

use super::fingerprint::hash_of;

/// The file that marks a folder as nbrender's output, safe to replace.
pub const MARKER: &str = ".nbrender";
const MARKER_TEXT: &str = "This folder is written by nbrender and replaced whole by each site build.\n";

fn io(what: &str, p: &Path, e: std::io::Error) -> Diagnostic {
    Diagnostic::error(Code::IoWrite, format!("cannot {what} `{}`: {e}", p.display()))
}

/// The output folder as nbrender names it: `out/` and `out/.` are `out`, so that a trailing
/// slash cannot make a link look like the folder it points to; a path that ends in `..` or is
/// `.` is resolved, so that the folder has a name its hidden siblings can carry.
fn output_path(out: &Path) -> PathBuf {
    let plain: PathBuf = out.components().collect();
    match plain.components().next_back() {
        Some(Component::Normal(_)) => plain,
        _ => plain.canonicalize().unwrap_or(plain),
    }
}

/// Refuses an output folder no build may write into: the current folder or one holding it,
/// and the notebooks folder or one holding it. A site build replaces its output whole, so it
/// would delete them; a one-page build would mix pages into them. Checked before the build runs.
pub fn check_output(out: &Path, notebooks: &Path) -> Result<(), Diagnostic> {
    // A folder that does not exist yet holds nothing.
    let Ok(real) = output_path(out).canonicalize() else { return Ok(()) };
    let cwd = std::env::current_dir().and_then(|d| d.canonicalize()).ok();
    let notebooks_real = notebooks.canonicalize().ok();
    let what = match (&cwd, &notebooks_real) {
        (Some(cwd), _) if *cwd == real => "it is the current folder".to_string(),
        (Some(cwd), _) if cwd.starts_with(&real) => "it holds the current folder".to_string(),
        (_, Some(n)) if *n == real => "it is the notebooks folder".to_string(),
        (_, Some(n)) if n.starts_with(&real) => format!("it holds the notebooks folder `{}`", notebooks.display()),
        _ => return Ok(()),
    };
    Err(Diagnostic::error(Code::IoWrite, format!("refusing to write into `{}`: {what}", out.display())).with_hint(
        "a site build replaces its output folder whole: give the site a folder of its own, such as `-o out`",
    ))
}

/// Refuses a relative path that would leave the output folder.
fn check_paths(files: &[(PathBuf, Vec<u8>)]) -> Result<(), Diagnostic> {
    for (rel, _) in files {
        if rel.is_absolute() || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(Diagnostic::error(
                Code::IoWrite,
                format!("refusing to write `{}` outside the output folder", rel.display()),
            ));
        }
    }
    Ok(())
}

/// Refuses to replace or write into a folder nbrender did not make, and relative paths
/// that would leave the output folder. `out` is as [`output_path`] gives it.
fn check(out: &Path, files: &[(PathBuf, Vec<u8>)]) -> Result<(), Diagnostic> {
    check_paths(files)?;
    if std::fs::symlink_metadata(out).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(Diagnostic::error(
            Code::IoWrite,
            format!("refusing to write into `{}`: it is a symbolic link", out.display()),
        )
        .with_hint("give the folder the link points to with -o"));
    }
    let non_empty = std::fs::read_dir(out).map(|mut d| d.next().is_some()).unwrap_or(false);
    if out.exists() && (!out.is_dir() || (non_empty && !out.join(MARKER).is_file())) {
        return Err(Diagnostic::error(
            Code::IoWrite,
            format!("refusing to write into `{}`: it exists and was not made by nbrender", out.display()),
        )
        .with_hint(format!(
            "choose another output folder with -o, or remove this one (nbrender marks its own with a `{MARKER}` file)"
        )));
    }
    Ok(())
}

/// A folder of the output, open. What lies below it is named relative to it and opened without
/// following a link, so no path is resolved through a link planted in the output, whenever
/// it was planted.
struct Folder {
    fd: OwnedFd,
    /// For messages.
    path: PathBuf,
}

const FOLDER: OFlags = OFlags::DIRECTORY.union(OFlags::NOFOLLOW).union(OFlags::RDONLY).union(OFlags::CLOEXEC);

impl Folder {
    /// The output folder itself, which must not be a link (`check` refuses one).
    fn open(path: &Path) -> Result<Folder, Diagnostic> {
        let fd = rustix::fs::openat(CWD, path, FOLDER, Mode::empty()).map_err(|e| not_a_folder(path, e))?;
        Ok(Folder { fd, path: path.to_path_buf() })
    }

    /// The folder `rel` below this one, taken a step at a time without following a link.
    /// A missing folder is created when `create`, or else gives `None`.
    fn below(&self, rel: &Path, create: bool) -> Result<Option<Folder>, Diagnostic> {
        let mut folder =
            Folder { fd: self.fd.try_clone().map_err(|e| io("open", &self.path, e))?, path: self.path.clone() };
        for name in rel.iter() {
            let path = folder.path.join(name);
            let open = || rustix::fs::openat(&folder.fd, name, FOLDER, Mode::empty());
            let fd = match open() {
                Ok(fd) => fd,
                Err(Errno::NOENT) if create => {
                    match rustix::fs::mkdirat(&folder.fd, name, Mode::from_raw_mode(0o777)) {
                        Ok(()) | Err(Errno::EXIST) => {}
                        Err(e) => return Err(io("create folder", &path, e.into())),
                    }
                    open().map_err(|e| not_a_folder(&path, e))?
                }
                Err(Errno::NOENT) => return Ok(None),
                Err(e) => return Err(not_a_folder(&path, e)),
            };
            folder = Folder { fd, path };
        }
        Ok(Some(folder))
    }

    /// What `name` is, the link itself for a link.
    fn kind(&self, name: &OsStr) -> Option<(FileType, u64)> {
        let stat = rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW).ok()?;
        Some((FileType::from_raw_mode(stat.st_mode), u64::try_from(stat.st_size).unwrap_or(u64::MAX)))
    }

    /// Whether `name` is a regular file holding exactly `bytes`.
    fn holds(&self, name: &OsStr, bytes: &[u8]) -> bool {
        if self.kind(name) != Some((FileType::RegularFile, bytes.len() as u64)) {
            return false;
        }
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let Ok(fd) = rustix::fs::openat(&self.fd, name, flags, Mode::empty()) else { return false };
        let mut held = Vec::with_capacity(bytes.len());
        std::fs::File::from(fd).read_to_end(&mut held).is_ok() && held == bytes
    }

    /// Writes `bytes` as a new file `name`; anything already there, a link included, makes it
    /// fail (`O_EXCL`) rather than be written through.
    fn create(&self, name: &OsStr, bytes: &[u8]) -> std::io::Result<()> {
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&self.fd, name, flags, Mode::from_raw_mode(0o666))?;
        std::fs::File::from(fd).write_all(bytes)
    }

    /// Replaces `name` with `bytes`, so that it is either the old file or the whole new one:
    /// written under a temporary name first, then renamed over it. A link at either name is
    /// replaced, never followed.
    fn replace(&self, name: &OsStr, bytes: &[u8]) -> Result<(), Diagnostic> {
        let path = self.path.join(name);
        if self.kind(name).is_some_and(|(kind, _)| kind == FileType::Directory) {
            return Err(Diagnostic::error(Code::IoWrite, format!("cannot write `{}`: it is a folder", path.display())));
        }
        let mut tmp = name.to_os_string();
        tmp.push(".nbrender-tmp");
        let created = match self.create(&tmp, bytes) {
            // Left by a killed build, or planted: removed (a link is removed, not followed).
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let _ = self.remove(&tmp);
                self.create(&tmp, bytes)
            }
            other => other,
        };
        created.map_err(|e| io("write", &self.path.join(&tmp), e))?;
        rustix::fs::renameat(&self.fd, &tmp, &self.fd, name).map_err(|e| {
            let _ = self.remove(&tmp);
            io("replace", &path, e.into())
        })
    }

    /// Hard-links `name` from the same name in `from`.
    fn link_from(&self, from: &Folder, name: &OsStr) -> bool {
        rustix::fs::linkat(&from.fd, name, &self.fd, name, AtFlags::empty()).is_ok()
    }

    /// Removes the file or link `name`.
    fn remove(&self, name: &OsStr) -> std::io::Result<()> {
        Ok(rustix::fs::unlinkat(&self.fd, name, AtFlags::empty())?)
    }

    /// Removes the folder `name` if it is empty.
    fn remove_empty(&self, name: &OsStr) {
        let _ = rustix::fs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR);
    }
}

/// Why `path` could not be opened as a folder: a link, or a file, where a folder goes.
fn not_a_folder(path: &Path, e: Errno) -> Diagnostic {
    let link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    match e {
        Errno::LOOP | Errno::NOTDIR if link => Diagnostic::error(
            Code::IoWrite,
            format!("refusing to write through `{}`: it is a symbolic link", path.display()),
        )
        .with_hint("nbrender never writes through a link in its output folder: remove the link (a site build replaces the output folder whole, links included)"),
        Errno::NOTDIR => Diagnostic::error(
            Code::IoWrite,
            format!("cannot write into `{}`: it is a file, where a folder goes", path.display()),
        )
        .with_hint("remove it, or run a site build, which replaces the output folder whole"),
        e => io("open folder", path, e.into()),
    }
}

/// A file to write: its path in the output, and its bytes.
type File = (PathBuf, Vec<u8>);

/// `files` by the folder they go in, in order: a build opens one folder at a time per thread
/// as it writes its files, and so never holds more than a few open, however many pages (it
/// held every page's folder open, twice, and a site of 10,000 pages ran out of descriptors).
fn by_folder<'f>(files: &[&'f File]) -> Vec<(&'f Path, Vec<&'f File>)> {
    let mut groups: std::collections::BTreeMap<&Path, Vec<&File>> = Default::default();
    for &file in files {
        groups.entry(file.0.parent().unwrap_or(Path::new(""))).or_default().push(file);
    }
    groups.into_iter().collect()
}

/// A file's folder among `folders` and its name.
fn place<'f, 'r>(folders: &'f HashMap<&Path, Folder>, rel: &'r Path) -> Option<(&'f Folder, &'r OsStr)> {
    let folder = folders.get(rel.parent().unwrap_or(Path::new("")))?;
    Some((folder, rel.file_name()?))
}

/// Brings `dir`, a new folder or one an earlier build left (see `replace_dir`), to exactly
/// `files` and the marker. What it holds is not trusted: every file kept is compared byte for
/// byte; anything else (a stale page, a link, a folder where a file goes) is removed, never
/// written through. A missing or differing file is created anew, and hard-linked from
/// `previous` (the output being replaced) when that holds the bytes: far cheaper than creating
/// a file on most file systems, and a file shared with the live site is never changed in place.
fn update_into(dir: &Path, files: &[(PathBuf, Vec<u8>)], previous: Option<&Path>) -> Result<Vec<PathBuf>, Diagnostic> {
    let mut wanted: HashSet<&Path> = files.iter().map(|(rel, _)| rel.as_path()).collect();
    wanted.insert(Path::new(MARKER));
    let root = Folder::open(dir)?;
    remove_stale(dir, &root, &wanted)?;
    let marker = (PathBuf::from(MARKER), MARKER_TEXT.as_bytes().to_vec());
    let all: Vec<&(PathBuf, Vec<u8>)> = files.iter().chain(std::iter::once(&marker)).collect();
    let old = previous.and_then(|p| Folder::open(p).ok());
    by_folder(&all).par_iter().try_for_each(|(folder_rel, entries)| {
        let missing = || io("write", &dir.join(folder_rel), std::io::ErrorKind::NotFound.into());
        let folder = root.below(folder_rel, true)?.ok_or_else(missing)?;
        // Only looking: a folder that is missing, or not a folder, has nothing to offer.
        let old = old.as_ref().and_then(|o| o.below(folder_rel, false).ok().flatten());
        entries.iter().try_for_each(|(rel, bytes)| put(dir, &folder, old.as_ref(), rel, bytes))
    })?;
    Ok(files.iter().map(|(rel, _)| rel.clone()).collect())
}

/// Puts `bytes` at `rel` of the output `dir`, in `folder`, its folder: a regular file there
/// is kept when it holds these bytes, and anything else there is removed (a folder, a link,
/// a file that differs); then the file is hard-linked from `old`, the same folder of the
/// output being replaced, when that holds the bytes, or else created.
fn put(dir: &Path, folder: &Folder, old: Option<&Folder>, rel: &Path, bytes: &[u8]) -> Result<(), Diagnostic> {
    let path = dir.join(rel);
    let Some(name) = rel.file_name() else {
        return Err(io("write", &path, std::io::ErrorKind::NotFound.into()));
    };
    match folder.kind(name) {
        None => {}
        Some((FileType::RegularFile, _)) if folder.holds(name, bytes) => return Ok(()),
        Some((FileType::Directory, _)) => remove_tree(&path),
        Some(_) => folder.remove(name).map_err(|e| io("replace", &path, e))?,
    }
    if let Some(old) = old
        && old.holds(name, bytes)
        && folder.link_from(old, name)
    {
        return Ok(());
    }
    folder.create(name, bytes).map_err(|e| io("write", &path, e))
}

/// Takes the output an earlier build kept beside `out` as this build's staging folder. False
/// when there is none, it is not ours, or another build took it.
fn claim_kept(kept: &Path, staging: &Path) -> bool {
    is_ours(kept) && std::fs::rename(kept, staging).is_ok() && is_ours(staging)
}

/// A real folder (not a link to one), as `symlink_metadata` sees it.
fn is_real_dir(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir())
}

/// A real folder holding nbrender's marker as a real file: one nbrender may replace or remove.
fn is_ours(p: &Path) -> bool {
    is_real_dir(p) && std::fs::symlink_metadata(p.join(MARKER)).is_ok_and(|m| m.is_file())
}

/// The output folder's name and the folder that holds it, where its hidden siblings go.
fn name_and_parent(out: &Path) -> (String, &Path) {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    (name, parent)
}

/// A hidden folder beside `out`: `.out.nbrender-{what}` for `out`.
fn beside(out: &Path, what: &str) -> PathBuf {
    let (name, parent) = name_and_parent(out);
    parent.join(format!(".{name}.nbrender-{what}"))
}

/// A hidden folder beside the output folder `out`, named for it: `.out.nbrender-{what}`.
pub fn beside_output(out: &Path, what: &str) -> PathBuf {
    beside(&output_path(out), what)
}

/// The folder beside `out` where a site build keeps the output it replaced, for the next build
/// to stage into: `.out.nbrender-previous` for `out`.
pub fn kept_path(out: &Path) -> PathBuf {
    beside(&output_path(out), "previous")
}

/// A site build's output as it is written, page by page as the pages are rendered, so that a
/// build never holds every page's bytes at once. The pages go into the output the last build
/// replaced, when it was kept, or else a new folder, beside the output; [`Staging::finish`]
/// removes what the build did not write and swaps the folder in whole. Dropped unfinished (a
/// build with errors), it is kept for the next build to stage into, and the output is as it
/// was. What the folder holds is not trusted: a file is kept only when it holds the same bytes,
/// and a link or a folder where a file goes (or a file or a link where a folder goes) is
/// removed, never written through.
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
    root: Folder,
    /// The output being replaced: a file that holds the same bytes is hard-linked from it.
    old: Option<Folder>,
    /// Whether the folder is a kept output (it holds the marker), to keep again if dropped.
    claimed: bool,
    done: bool,
}

impl Staging {
    /// Takes the kept output, or makes a new folder, to stage the output `out` in.
    pub fn begin(out: &Path) -> Result<Staging, Diagnostic> {
        let out = output_path(out);
        check(&out, &[])?;
        let (name, parent) = name_and_parent(&out);
        std::fs::create_dir_all(parent).map_err(|e| io("create folder", parent, e))?;
        remove_leftovers(&out, parent, &name);
        let dir = beside(&out, &format!("new-{}", std::process::id()));
        remove_tree(&dir);
        let claimed = claim_kept(&kept_path(&out), &dir);
        if !claimed {
            std::fs::create_dir(&dir).map_err(|e| io("create folder", &dir, e))?;
        }
        let root = Folder::open(&dir)?;
        let old = if is_ours(&out) { Folder::open(&out).ok() } else { None };
        Ok(Staging { out, dir, root, old, claimed, done: false })
    }

    /// Writes `files` (paths relative to the output), each kept when it holds these bytes
    /// already, else linked from the output being replaced when that holds them, else created.
    pub fn write(&self, files: &[(PathBuf, Vec<u8>)]) -> Result<(), Diagnostic> {
        check_paths(files)?;
        let refs: Vec<&File> = files.iter().collect();
        by_folder(&refs).par_iter().try_for_each(|(folder_rel, entries)| {
            let folder = self.folder(folder_rel)?;
            // Only looking: a folder that is missing, or not a folder, has nothing to offer.
            let old = self.old.as_ref().and_then(|o| o.below(folder_rel, false).ok().flatten());
            entries.iter().try_for_each(|(rel, bytes)| put(&self.dir, &folder, old.as_ref(), rel, bytes))
        })
    }

    /// The folder `rel` of the staged output, made when missing; a file or a link where it
    /// goes is removed first.
    fn folder(&self, rel: &Path) -> Result<Folder, Diagnostic> {
        let mut folder =
            Folder { fd: self.root.fd.try_clone().map_err(|e| io("open", &self.dir, e))?, path: self.dir.clone() };
        for name in rel.iter() {
            let path = folder.path.join(name);
            let open = || rustix::fs::openat(&folder.fd, name, FOLDER, Mode::empty());
            let fd = match open() {
                Ok(fd) => fd,
                Err(e) => {
                    if matches!(e, Errno::NOTDIR | Errno::LOOP) {
                        folder.remove(name).map_err(|e| io("replace", &path, e))?;
                    } else if e != Errno::NOENT {
                        return Err(not_a_folder(&path, e));
                    }
                    match rustix::fs::mkdirat(&folder.fd, name, Mode::from_raw_mode(0o777)) {
                        Ok(()) | Err(Errno::EXIST) => {}
                        Err(e) => return Err(io("create folder", &path, e.into())),
                    }
                    open().map_err(|e| not_a_folder(&path, e))?
                }
            };
            folder = Folder { fd, path };
        }
        Ok(folder)
    }

    /// Makes the staged output hold exactly the files written (`written`, relative paths) and
    /// the marker, and puts it in the output's place; the output it replaces is kept for the
    /// next build.
    pub fn finish(mut self, written: &[PathBuf]) -> Result<(), Diagnostic> {
        self.write(&[(PathBuf::from(MARKER), MARKER_TEXT.as_bytes().to_vec())])?;
        let mut wanted: HashSet<&Path> = written.iter().map(PathBuf::as_path).collect();
        wanted.insert(Path::new(MARKER));
        remove_stale(&self.dir, &self.root, &wanted)?;
        let replaced = swap(&self.dir, &self.out, &beside(&self.out, &format!("old-{}", std::process::id())))?;
        self.done = true;
        // Kept for the next build, unless another build kept one meanwhile.
        if let Some(replaced) = replaced
            && std::fs::rename(&replaced, kept_path(&self.out)).is_err()
        {
            remove_tree(&replaced);
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        // A kept output stays one (its files are checked when used); a new folder goes.
        if !(self.claimed && std::fs::rename(&self.dir, kept_path(&self.out)).is_ok()) {
            remove_tree(&self.dir);
        }
    }
}

/// Removes from `dir` (open as `root`) every entry that is not one of the `wanted` files or a
/// folder holding one: stale pages, links, a folder where a file goes.
fn remove_stale(dir: &Path, root: &Folder, wanted: &HashSet<&Path>) -> Result<(), Diagnostic> {
    let folders: HashSet<&Path> =
        wanted.iter().flat_map(|rel| rel.ancestors().skip(1)).filter(|a| !a.as_os_str().is_empty()).collect();
    let mut stale: Vec<PathBuf> = Vec::new();
    let mut pending: Vec<PathBuf> = vec![PathBuf::new()];
    while let Some(rel) = pending.pop() {
        let entries = std::fs::read_dir(dir.join(&rel)).map_err(|e| io("read folder", &dir.join(&rel), e))?;
        for entry in entries.flatten() {
            let child = rel.join(entry.file_name());
            // The type of the entry itself: a link is never followed.
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() && folders.contains(child.as_path()) {
                pending.push(child);
            } else if !(kind.is_file() && wanted.contains(child.as_path())) {
                stale.push(child);
            }
        }
    }
    stale.par_iter().for_each(|rel| {
        let Ok(Some(parent)) = root.below(rel.parent().unwrap_or(Path::new("")), false) else { return };
        let Some(name) = rel.file_name() else { return };
        if parent.kind(name).is_some_and(|(kind, _)| kind == FileType::Directory) {
            remove_tree(&dir.join(rel));
        } else {
            let _ = parent.remove(name);
        }
    });
    Ok(())
}

/// Replaces `out` with exactly `files` (paths relative to `out`). The files are staged in the
/// output the last build replaced, when it was kept, or else in a new folder; then the staged
/// folder takes `out`'s place and the replaced output is kept for the next build. On any
/// error `out` is as it was (see [`Staging`]).
pub fn replace_dir(out: &Path, files: &[(PathBuf, Vec<u8>)]) -> Result<Vec<PathBuf>, Diagnostic> {
    check(&output_path(out), files)?;
    let staging = Staging::begin(out)?;
    staging.write(files)?;
    let written: Vec<PathBuf> = files.iter().map(|(rel, _)| rel.clone()).collect();
    staging.finish(&written)?;
    Ok(written)
}

#[cfg(test)]
thread_local! {
    /// Tests take the two renames a file system without an exchange would need.
    static WITHOUT_EXCHANGE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Puts `staging` in `out`'s place and returns where the output it replaced is now. Where the
/// file system can, the two are exchanged in one step, so `out` is never missing. Elsewhere
/// `out` is first moved to `old`, and a kill between the two renames leaves it there for the
/// next build to put back ([`recover`]).
fn swap(staging: &Path, out: &Path, old: &Path) -> Result<Option<PathBuf>, Diagnostic> {
    if std::fs::symlink_metadata(out).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        std::fs::rename(staging, out).map_err(|e| io("move into place", out, e))?;
        return Ok(None);
    }
    #[cfg(test)]
    let exchange = !WITHOUT_EXCHANGE.get();
    #[cfg(not(test))]
    let exchange = true;
    if exchange {
        match rustix::fs::renameat_with(CWD, staging, CWD, out, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(Some(staging.to_path_buf())),
            // The file system or the kernel cannot exchange: two renames, below.
            Err(e) if [Errno::INVAL, Errno::NOSYS, Errno::NOTSUP, Errno::OPNOTSUPP].contains(&e) => {}
            Err(e) => return Err(io("swap in", out, e.into())),
        }
    }
    std::fs::rename(out, old).map_err(|e| io("move aside", out, e))?;
    if let Err(e) = std::fs::rename(staging, out) {
        // Put the previous site back rather than leave nothing.
        let _ = std::fs::rename(old, out);
        return Err(io("move into place", out, e));
    }
    Ok(Some(old.to_path_buf()))
}

/// Puts back an output that a build killed between the two renames of its swap left aside:
/// when `out` is missing and a `.out.nbrender-old-PID` of a process that is gone holds
/// nbrender's output. Returns a warning saying so.
pub fn recover(out: &Path) -> Option<Diagnostic> {
    let out = &output_path(out);
    if !std::fs::symlink_metadata(out).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        return None;
    }
    let (name, parent) = name_and_parent(out);
    let prefix = format!(".{name}.nbrender-old-");
    let mut aside: Vec<PathBuf> = std::fs::read_dir(parent)
        .ok()?
        .flatten()
        .filter(|e| e.file_name().to_str().and_then(|n| n.strip_prefix(&prefix)).is_some_and(dead))
        .map(|e| e.path())
        .filter(|p| is_ours(p))
        .collect();
    aside.sort();
    let from = aside.pop()?;
    std::fs::rename(&from, out).ok()?;
    let mut d = Diagnostic::error(
        Code::IoWrite,
        format!(
            "restored `{}` from `{}`, where a build killed while swapping in a new site had left it",
            out.display(),
            from.display()
        ),
    );
    d.severity = Severity::Warning;
    Some(d)
}

/// Whether `pid`, the end of a hidden folder's name, is the id of a process that is gone: a
/// running build owns its staging folders.
fn dead(pid: &str) -> bool {
    !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) && !Path::new("/proc").join(pid).exists()
}

/// Removes an output folder nbrender made (it holds the marker), the output kept beside it
/// and this process's staging folders: `serve` cleaning up its temporary site when stopped.
/// A link in their place is left alone, never followed.
pub fn remove_output(out: &Path) {
    let out = &output_path(out);
    for dir in [out.to_path_buf(), kept_path(out)] {
        if is_ours(&dir) {
            remove_tree(&dir);
        }
    }
    let pid = std::process::id();
    for stage in ["new", "old"] {
        remove_tree(&beside(out, &format!("{stage}-{pid}")));
    }
}

/// Removes the staging folders of earlier builds that were killed before they finished. An
/// output moved aside is left while `out` is missing: [`recover`] puts it back.
fn remove_leftovers(out: &Path, parent: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    let out_missing = std::fs::symlink_metadata(out).is_err();
    let new = format!(".{name}.nbrender-new-");
    let old = format!(".{name}.nbrender-old-");
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let pid = match (file_name.strip_prefix(&new), file_name.strip_prefix(&old)) {
            (Some(pid), _) => pid,
            (None, Some(pid)) if !out_missing => pid,
            _ => continue,
        };
        if dead(pid) {
            remove_tree(&entry.path());
        }
    }
}

/// Removes a folder tree, its subfolders in parallel; a link in its place is left alone.
/// Best effort: what is left is a hidden `.name.nbrender-…` folder beside the output,
/// harmless, and removed by the next site build or by hand.
fn remove_tree(dir: &Path) {
    if !is_real_dir(dir) {
        return;
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        let children: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        children.par_iter().for_each(|child| {
            // Never follow a link out of the folder being removed.
            if is_real_dir(child) {
                let _ = std::fs::remove_dir_all(child);
            } else {
                let _ = std::fs::remove_file(child);
            }
        });
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Makes the folder `dir` hold exactly `files` and nbrender's marker, in place: a file is
/// written (renamed into place) only when its bytes changed, and every other entry goes.
/// For the manifest beside the output, which a build keeps as it keeps its pages. A folder
/// that exists without nbrender's marker is refused rather than emptied, unless it is empty.
pub fn sync_dir(dir: &Path, files: &[(PathBuf, Vec<u8>)]) -> Result<Vec<PathBuf>, Diagnostic> {
    let dir = &output_path(dir);
    check(dir, files)?;
    let empty = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none());
    if is_real_dir(dir) && !is_ours(dir) && !empty {
        return Err(Diagnostic::error(
            Code::IoWrite,
            format!("cannot write `{}`: it exists and nbrender did not write it", dir.display()),
        )
        .with_hint("nbrender keeps the figure manifest there; move that folder away"));
    }
    std::fs::create_dir_all(dir).map_err(|e| io("create folder", dir, e))?;
    update_into(dir, files, None)
}

/// Writes `files` into `out`, keeping what else is there.
pub fn write_files(out: &Path, files: &[(PathBuf, Vec<u8>)]) -> Result<Vec<PathBuf>, Diagnostic> {
    open_output(out, files)?.write(files)
}

/// An output folder a one-page build writes into, checked, with the folders of its files open
/// (and created): every refusal comes before any file is written.
pub struct OpenOutput {
    out: PathBuf,
    root: Folder,
}

/// Checks `out` and the folders `files` go in, creating those missing: a link where one goes
/// is refused here, before any file is written. Each is opened and closed again (a family's
/// one-page build can write thousands), and opened again, without following a link, to write.
pub fn open_output(out: &Path, files: &[(PathBuf, Vec<u8>)]) -> Result<OpenOutput, Diagnostic> {
    let out = output_path(out);
    check(&out, files)?;
    std::fs::create_dir_all(&out).map_err(|e| io("create folder", &out, e))?;
    let root = Folder::open(&out)?;
    let refs: Vec<&File> = files.iter().collect();
    for (folder, _) in by_folder(&refs) {
        root.below(folder, true)?;
    }
    Ok(OpenOutput { out, root })
}

impl OpenOutput {
    /// Writes `files`, the files the output was opened for, folder by folder, then the marker.
    pub fn write(&self, files: &[(PathBuf, Vec<u8>)]) -> Result<Vec<PathBuf>, Diagnostic> {
        let refs: Vec<&File> = files.iter().collect();
        for (folder_rel, entries) in by_folder(&refs) {
            let missing = || io("write", &self.out.join(folder_rel), std::io::ErrorKind::NotFound.into());
            let folders = HashMap::from([(folder_rel, self.root.below(folder_rel, false)?.ok_or_else(missing)?)]);
            for (rel, bytes) in entries {
                write_into(&folders, &self.out, rel, bytes)?;
            }
        }
        let written: Vec<PathBuf> = files.iter().map(|(rel, _)| rel.clone()).collect();
        // Left alone when it is there already: truncating and rewriting a file makes ext4 flush
        // it on close, 5 to 10 ms of a one-page build.
        let marker = OsStr::new(MARKER);
        if !self.root.holds(marker, MARKER_TEXT.as_bytes()) {
            self.root.replace(marker, MARKER_TEXT.as_bytes())?;
        }
        Ok(written)
    }
}

/// Replaces the file `rel` among the opened `folders`, unless it holds these bytes already:
/// renaming over a file makes ext4 flush the new one to disk, which costs milliseconds, where
/// reading and comparing costs microseconds.
fn write_into(folders: &HashMap<&Path, Folder>, out: &Path, rel: &Path, bytes: &[u8]) -> Result<(), Diagnostic> {
    let Some((folder, name)) = place(folders, rel) else {
        return Err(io("write", &out.join(rel), std::io::ErrorKind::NotFound.into()));
    };
    if folder.holds(name, bytes) {
        return Ok(());
    }
    folder.replace(name, bytes)
}

/// Brings `out`, which nbrender wrote, up to date in place: writes those of `files` whose hash
/// differs from `previous` (each renamed into place), keeps the `unchanged` files as they are,
/// removes every other file, and leaves `previous` describing the folder. For `serve`, where a
/// save changes a few files of hundreds and a reader may load a page at any moment.
pub fn update_dir(
    out: &Path,
    files: &[(PathBuf, Vec<u8>)],
    unchanged: &[PathBuf],
    previous: &mut HashMap<PathBuf, u64>,
) -> Result<Vec<PathBuf>, Diagnostic> {
    let out = &output_path(out);
    check(out, files)?;
    let mut current = hashes(files);
    for rel in unchanged {
        if let Some(&hash) = previous.get(rel) {
            current.insert(rel.clone(), hash);
        }
    }
    let changed: Vec<&(PathBuf, Vec<u8>)> =
        files.iter().filter(|(rel, _)| previous.get(rel) != current.get(rel)).collect();
    // Removed by hand while `serve` ran: written again from here.
    std::fs::create_dir_all(out).map_err(|e| io("create folder", out, e))?;
    let root = Folder::open(out)?;
    by_folder(&changed).par_iter().try_for_each(|(folder_rel, entries)| {
        let missing = || io("write", &out.join(folder_rel), std::io::ErrorKind::NotFound.into());
        let folder = root.below(folder_rel, true)?.ok_or_else(missing)?;
        for (rel, bytes) in entries {
            let Some(name) = rel.file_name() else { return Err(missing()) };
            if !folder.holds(name, bytes) {
                folder.replace(name, bytes)?;
            }
        }
        Ok(())
    })?;
    for gone in previous.keys().filter(|rel| !current.contains_key(*rel)) {
        let folder = gone.parent().unwrap_or(Path::new(""));
        // A link where its folder was is not followed: the file is not there to remove.
        let Ok(Some(dir)) = root.below(folder, false) else { continue };
        let Some(name) = gone.file_name() else { continue };
        let _ = dir.remove(name);
        // The folder of a page that is gone goes too, once it is empty.
        if let (Some(name), Ok(Some(above))) =
            (folder.file_name(), root.below(folder.parent().unwrap_or(Path::new("")), false))
        {
            above.remove_empty(name);
        }
    }
    *previous = current;
    Ok(changed.into_iter().map(|(rel, _)| rel.clone()).collect())
}

/// Each file's hash, as `update_dir` keeps them.
pub fn hashes(files: &[(PathBuf, Vec<u8>)]) -> HashMap<PathBuf, u64> {
    files.par_iter().map(|(rel, bytes)| (rel.clone(), hash_of(bytes))).collect()
}

/// Writes the file at `path` (`nbrender chart -o FILE`), a path the operator chose: its folder
/// is created when missing, and the file is replaced whole through a temporary name, unless
/// it holds these bytes already.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Diagnostic> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let Some(name) = path.file_name() else {
        return Err(Diagnostic::error(Code::IoWrite, format!("cannot write `{}`: it names no file", path.display())));
    };
    std::fs::create_dir_all(parent).map_err(|e| io("create folder", parent, e))?;
    let fd = rustix::fs::openat(CWD, parent, FOLDER.difference(OFlags::NOFOLLOW), Mode::empty())
        .map_err(|e| io("open folder", parent, e.into()))?;
    let folder = Folder { fd, path: parent.to_path_buf() };
    if folder.holds(name, bytes) {
        return Ok(());
    }
    folder.replace(name, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(names: &[&str]) -> Vec<(PathBuf, Vec<u8>)> {
        names.iter().map(|n| (PathBuf::from(n), n.as_bytes().to_vec())).collect()
    }

    #[test]
    fn replacing_leaves_no_stale_files() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        replace_dir(&out, &files(&["a/index.html", "b/index.html"])).unwrap();
        replace_dir(&out, &files(&["a/index.html"])).unwrap();
        assert!(out.join("a/index.html").is_file());
        assert!(!out.join("b").exists());
        let mut left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        left.sort();
        assert_eq!(left, [".out.nbrender-previous", "out"].map(std::ffi::OsString::from));
    }

    /// Every file of a folder, with its bytes.
    fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(d) = pending.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                if e.file_type().unwrap().is_dir() {
                    pending.push(e.path());
                } else {
                    out.push((e.path().strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(e.path()).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn the_replaced_output_is_kept_and_staged_into_next_time() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let kept = kept_path(&out);
        let mut first = files(&["a/index.html", "a/fig.svg", "b/index.html", "index.html"]);
        replace_dir(&out, &first).unwrap();
        assert!(!kept.exists(), "nothing to keep after the first build");
        replace_dir(&out, &first).unwrap();
        assert_eq!(tree(&kept), tree(&out), "the replaced output is kept beside it");

        // The kept folder is what the next build stages into; whatever it holds, the result is
        // exactly the files. Make it differ every way it can: a changed file, a stale page, a
        // folder where a file goes, a file where a folder goes, and links.
        // (The two folders share unchanged files as hard links: unlink before writing.)
        std::fs::remove_file(kept.join("a/index.html")).unwrap();
        std::fs::write(kept.join("a/index.html"), "stale").unwrap();
        std::fs::create_dir_all(kept.join("gone/deep")).unwrap();
        std::fs::write(kept.join("gone/deep/x.html"), "x").unwrap();
        std::fs::remove_file(kept.join("index.html")).unwrap();
        std::fs::create_dir(kept.join("index.html")).unwrap();
        std::fs::remove_dir_all(kept.join("b")).unwrap();
        std::fs::write(kept.join("b"), "a file where a folder goes").unwrap();
        let outside = tmp.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("fig.svg"), "precious").unwrap();
        std::fs::remove_file(kept.join("a/fig.svg")).unwrap();
        std::os::unix::fs::symlink(outside.join("fig.svg"), kept.join("a/fig.svg")).unwrap();
        std::os::unix::fs::symlink(&outside, kept.join("c")).unwrap();
        first.push((PathBuf::from("c/index.html"), b"new page".to_vec()));
        first[0].1 = b"changed".to_vec();
        replace_dir(&out, &first).unwrap();
        let mut expected = first.clone();
        expected.push((PathBuf::from(MARKER), MARKER_TEXT.as_bytes().to_vec()));
        expected.sort();
        assert_eq!(tree(&out), expected);
        assert!(std::fs::symlink_metadata(out.join("c")).unwrap().is_dir(), "the link was replaced, not followed");
        assert_eq!(std::fs::read(outside.join("fig.svg")).unwrap(), b"precious");
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 1);
        // The output that was live until now is kept as it was, though the two shared files.
        assert_eq!(std::fs::read(kept.join("a/index.html")).unwrap(), b"a/index.html");
    }

    #[test]
    fn a_kept_folder_that_is_a_link_or_not_ours_is_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        std::fs::write(elsewhere.join(MARKER), "").unwrap();
        std::fs::write(elsewhere.join("precious.txt"), "x").unwrap();
        std::os::unix::fs::symlink(&elsewhere, kept_path(&out)).unwrap();
        replace_dir(&out, &files(&["a/index.html"])).unwrap();
        replace_dir(&out, &files(&["b/index.html"])).unwrap();
        assert!(elsewhere.join("precious.txt").is_file());
        assert!(out.join("b/index.html").is_file() && !out.join("a").exists());
        assert!(std::fs::symlink_metadata(kept_path(&out)).unwrap().file_type().is_symlink());
    }

    #[test]
    fn staging_left_by_a_killed_build_is_cleaned_up() {
        let tmp = tempfile::tempdir().unwrap();
        let stale = tmp.path().join(".out.nbrender-new-999999999");
        std::fs::create_dir_all(stale.join("a")).unwrap();
        replace_dir(&tmp.path().join("out"), &files(&["a/index.html"])).unwrap();
        assert!(!stale.exists());
    }

    #[test]
    fn foreign_folders_are_never_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("precious.txt"), "x").unwrap();
        let d = replace_dir(tmp.path(), &files(&["a.html"])).unwrap_err();
        assert!(d.message.contains("was not made by nbrender"));
        assert!(tmp.path().join("precious.txt").is_file());
        assert!(write_files(tmp.path(), &files(&["a.html"])).is_err());
    }

    #[test]
    fn updating_in_place_writes_only_what_changed() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let first = files(&["a/index.html", "b/index.html", "index.html"]);
        replace_dir(&out, &first).unwrap();
        let mut kept = hashes(&first);
        let mut second = files(&["a/index.html", "index.html"]);
        second[1].1 = b"new index".to_vec();
        let written = update_dir(&out, &second, &[], &mut kept).unwrap();
        assert_eq!(written, vec![PathBuf::from("index.html")]);
        assert_eq!(std::fs::read(out.join("index.html")).unwrap(), b"new index");
        assert!(!out.join("b").exists(), "a page no longer built is removed with its folder");
        assert!(out.join("a/index.html").is_file());
        assert_eq!(kept, hashes(&second));
        assert!(update_dir(&out, &second, &[], &mut kept).unwrap().is_empty());
        // Files named unchanged stay without being passed again.
        let index_only = vec![second[1].clone()];
        assert!(update_dir(&out, &index_only, &[PathBuf::from("a/index.html")], &mut kept).unwrap().is_empty());
        assert!(out.join("a/index.html").is_file());
    }

    #[test]
    fn updating_an_output_removed_by_hand_writes_what_changed_again() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let first = files(&["a/index.html", "index.html"]);
        replace_dir(&out, &first).unwrap();
        let mut kept = hashes(&first);
        std::fs::remove_dir_all(&out).unwrap();
        let mut second = first.clone();
        second[0].1 = b"changed".to_vec();
        update_dir(&out, &second, &[], &mut kept).unwrap();
        assert_eq!(std::fs::read(out.join("a/index.html")).unwrap(), b"changed");
    }

    #[test]
    fn a_one_page_build_leaves_files_that_hold_its_bytes_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        write_files(&out, &files(&["a/index.html"])).unwrap();
        // Dated in the past, so that a rewrite shows however coarse the file system's clock.
        let past = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
        let modified = |rel: &str| std::fs::metadata(out.join(rel)).unwrap().modified().unwrap();
        for rel in [MARKER, "a/index.html"] {
            std::fs::File::options().write(true).open(out.join(rel)).unwrap().set_modified(past).unwrap();
        }
        write_files(&out, &files(&["a/index.html", "b/index.html"])).unwrap();
        assert_eq!(modified(MARKER), past, "the marker was rewritten");
        assert_eq!(modified("a/index.html"), past, "an unchanged page was rewritten");
        assert!(out.join("b/index.html").is_file());
    }

    #[test]
    fn removing_an_output_never_follows_a_link_beside_it() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        replace_dir(&out, &files(&["a/index.html"])).unwrap();
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        std::fs::write(elsewhere.join(MARKER), "").unwrap();
        std::fs::write(elsewhere.join("precious.txt"), "x").unwrap();
        std::os::unix::fs::symlink(&elsewhere, kept_path(&out)).unwrap();
        remove_output(&out);
        assert!(!out.exists());
        assert!(elsewhere.join("precious.txt").is_file());
    }

    /// A folder outside the output holding one precious file, and a link to it at `link`.
    fn planted_link(tmp: &Path, link: &Path) -> PathBuf {
        let elsewhere = tmp.join(format!("elsewhere-{}", link.file_name().unwrap().to_string_lossy()));
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::fs::write(elsewhere.join("index.html"), "precious").unwrap();
        std::fs::write(elsewhere.join("style.css"), "precious").unwrap();
        std::os::unix::fs::symlink(&elsewhere, link).unwrap();
        elsewhere
    }

    /// What a folder holds, as (name, bytes), for checking that nothing there changed.
    fn untouched(dir: &Path) -> Vec<(std::ffi::OsString, Vec<u8>)> {
        let mut all: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| (e.file_name(), std::fs::read(e.path()).unwrap()))
            .collect();
        all.sort();
        all
    }

    #[test]
    fn a_one_page_build_never_writes_through_a_link_in_the_output() {
        for folder in ["a", "assets"] {
            let tmp = tempfile::tempdir().unwrap();
            let out = tmp.path().join("out");
            write_files(&out, &files(&["b/index.html"])).unwrap();
            let elsewhere = planted_link(tmp.path(), &out.join(folder));
            let before = untouched(&elsewhere);
            let d = write_files(&out, &files(&["a/index.html", "a/fig.svg", "assets/style.css"])).unwrap_err();
            assert_eq!(d.code, Code::IoWrite);
            assert!(d.message.contains(&format!("`{}`", out.join(folder).display())), "{}", d.message);
            assert!(d.message.contains("symbolic link"), "{}", d.message);
            assert_eq!(untouched(&elsewhere), before, "{folder}: written through the link");
        }
    }

    #[test]
    fn a_link_planted_at_the_temporary_name_is_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        write_files(&out, &files(&["a/index.html"])).unwrap();
        let victim = tmp.path().join("victim.txt");
        std::fs::write(&victim, "precious").unwrap();
        std::os::unix::fs::symlink(&victim, out.join("a/index.html.nbrender-tmp")).unwrap();
        let mut page = files(&["a/index.html"]);
        page[0].1 = b"the new page".to_vec();
        write_files(&out, &page).unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert_eq!(std::fs::read(out.join("a/index.html")).unwrap(), b"the new page");
    }

    #[test]
    fn updating_in_place_never_follows_a_link() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let first = files(&["a/index.html", "b/index.html", "index.html"]);
        replace_dir(&out, &first).unwrap();
        let mut previous = hashes(&first);
        // `b`'s page is gone in the next build: removing it must not remove through a link.
        std::fs::remove_dir_all(out.join("b")).unwrap();
        let gone_elsewhere = planted_link(tmp.path(), &out.join("b"));
        let mut second = files(&["a/index.html", "index.html"]);
        second[1].1 = b"new index".to_vec();
        update_dir(&out, &second, &[], &mut previous).unwrap();
        assert_eq!(untouched(&gone_elsewhere).len(), 2, "a file was removed through the link");
        // A page written again must not be written through a link where its folder goes.
        std::fs::remove_dir_all(out.join("a")).unwrap();
        let elsewhere = planted_link(tmp.path(), &out.join("a"));
        let before = untouched(&elsewhere);
        second[0].1 = b"changed page".to_vec();
        let d = update_dir(&out, &second, &[], &mut previous).unwrap_err();
        assert!(d.message.contains("symbolic link"), "{}", d.message);
        assert_eq!(untouched(&elsewhere), before);
    }

    #[test]
    fn the_output_is_never_missing_while_it_is_swapped() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        replace_dir(&out, &files(&["a/index.html"])).unwrap();
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let watcher = {
            let (out, done) = (out.clone(), std::sync::Arc::clone(&done));
            std::thread::spawn(move || {
                let mut missing = 0;
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    if std::fs::symlink_metadata(&out).is_err() {
                        missing += 1;
                    }
                }
                missing
            })
        };
        for _ in 0..300 {
            replace_dir(&out, &files(&["a/index.html"])).unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(watcher.join().unwrap(), 0, "the output was missing while it was swapped");
    }

    /// The folders beside `out` whose names say nbrender made them, but the kept one.
    fn staging_beside(out: &Path) -> Vec<std::ffi::OsString> {
        let (_, parent) = name_and_parent(out);
        let names = std::fs::read_dir(parent).unwrap().flatten().map(|e| e.file_name());
        names
            .filter(|n| n.to_string_lossy().contains(".nbrender-") && !n.to_string_lossy().ends_with("-previous"))
            .collect()
    }

    #[test]
    fn without_an_exchange_a_kill_between_the_two_renames_is_recovered() {
        WITHOUT_EXCHANGE.set(true);
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        replace_dir(&out, &files(&["a/index.html"])).unwrap();
        replace_dir(&out, &files(&["b/index.html"])).unwrap();
        assert!(out.join("b/index.html").is_file() && kept_path(&out).join("a/index.html").is_file());
        assert!(recover(&out).is_none(), "nothing to recover while the output is there");
        // A kill between the renames: the output aside, under the id of a process that is gone.
        let aside = beside(&out, "old-999999999");
        std::fs::rename(&out, &aside).unwrap();
        let said = recover(&out).expect("the output is put back");
        assert_eq!(said.severity, Severity::Warning);
        assert!(said.message.contains("restored"), "{}", said.message);
        assert!(out.join("b/index.html").is_file() && !aside.exists());
        replace_dir(&out, &files(&["c/index.html"])).unwrap();
        assert!(out.join("c/index.html").is_file() && !out.join("b").exists());
        assert!(staging_beside(&out).is_empty(), "{:?}", staging_beside(&out));
        // An output moved aside by a build that still runs is not taken from it.
        std::fs::rename(&out, beside(&out, &format!("old-{}", std::process::id()))).unwrap();
        assert!(recover(&out).is_none());
        WITHOUT_EXCHANGE.set(false);
    }

    #[test]
    fn a_swap_that_fails_leaves_the_output_and_no_staging() {
        WITHOUT_EXCHANGE.set(true);
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        replace_dir(&out, &files(&["a/index.html"])).unwrap();
        // Where this build would move the output aside, a folder that cannot be replaced.
        let old = beside(&out, &format!("old-{}", std::process::id()));
        std::fs::create_dir_all(old.join("in-the-way")).unwrap();
        let d = replace_dir(&out, &files(&["b/index.html"])).unwrap_err();
        WITHOUT_EXCHANGE.set(false);
        assert!(d.message.contains("move aside"), "{}", d.message);
        assert!(out.join("a/index.html").is_file() && !out.join("b").exists());
        std::fs::remove_dir_all(&old).unwrap();
        assert!(staging_beside(&out).is_empty(), "{:?}", staging_beside(&out));
    }

    #[test]
    fn an_output_link_with_a_trailing_slash_is_refused_and_nothing_is_left() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        replace_dir(&real, &files(&["a/index.html"])).unwrap();
        std::os::unix::fs::symlink(&real, tmp.path().join("link")).unwrap();
        let before: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        let slashed = PathBuf::from(format!("{}/", tmp.path().join("link").display()));
        let d = replace_dir(&slashed, &files(&["b/index.html"])).unwrap_err();
        assert!(d.message.contains("symbolic link"), "{}", d.message);
        let after: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(after.len(), before.len(), "left behind: {after:?}");
        assert!(write_files(&slashed, &files(&["b/index.html"])).is_err());
        assert!(!real.join("b").exists());
    }

    #[test]
    fn paths_cannot_leave_the_output() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(replace_dir(&tmp.path().join("out"), &files(&["../x.html"])).is_err());
    }
}
