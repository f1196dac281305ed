//! Writing the output. A site build stages the whole output in a sibling folder and swaps it
//! in at the end, so a failed or interrupted build leaves the previous site as it was and a
//! finished one leaves no stale page behind. The output it replaces is kept beside it, hidden,
//! and the next build stages into that folder: its folders exist and most of its files already
//! hold the right bytes, so a rebuild creates and deletes little. A single-notebook build
//! writes its files one by one, each to a temporary name renamed into place.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use crate::diag::Diagnostic;

use super::cache::hash_of;

/// The file that marks a folder as nbrender's output, safe to replace.
pub const MARKER: &str = ".nbrender";
const MARKER_TEXT: &str = "This folder is written by nbrender and replaced whole by each site build.\n";

fn io(what: &str, p: &Path, e: std::io::Error) -> Diagnostic {
    Diagnostic::error("io::write", format!("cannot {what} `{}`: {e}", p.display()))
}

/// Refuses to replace or write into a folder nbrender did not make, and relative paths
/// that would leave the output folder.
fn check(out: &Path, files: &[(PathBuf, Vec<u8>)]) -> Result<(), Diagnostic> {
    for (rel, _) in files {
        if rel.is_absolute() || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(Diagnostic::error(
                "io::write",
                format!("refusing to write `{}` outside the output folder", rel.display()),
            ));
        }
    }
    if std::fs::symlink_metadata(out).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(Diagnostic::error(
            "io::write",
            format!("refusing to write into `{}`: it is a symbolic link", out.display()),
        )
        .with_hint("give the folder the link points to with -o"));
    }
    let non_empty = std::fs::read_dir(out).map(|mut d| d.next().is_some()).unwrap_or(false);
    if out.exists() && (!out.is_dir() || (non_empty && !out.join(MARKER).is_file())) {
        return Err(Diagnostic::error(
            "io::write",
            format!("refusing to write into `{}`: it exists and was not made by nbrender", out.display()),
        )
        .with_hint(format!(
            "choose another output folder with -o, or remove this one (nbrender marks its own with a `{MARKER}` file)"
        )));
    }
    Ok(())
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
    let folders: HashSet<&Path> =
        files.iter().flat_map(|(rel, _)| rel.ancestors().skip(1)).filter(|a| !a.as_os_str().is_empty()).collect();
    // What the folder holds now: regular files that may be kept, with their sizes; the rest goes.
    let mut present: HashMap<PathBuf, u64> = HashMap::new();
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
            } else if kind.is_file() && wanted.contains(child.as_path()) {
                present.insert(child, entry.metadata().map_or(u64::MAX, |m| m.len()));
            } else {
                stale.push(child);
            }
        }
    }
    stale.par_iter().for_each(|rel| {
        let path = dir.join(rel);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            remove_tree(&path);
        } else {
            let _ = std::fs::remove_file(&path);
        }
    });
    let mut missing: Vec<&Path> = folders.iter().copied().filter(|f| !dir.join(f).is_dir()).collect();
    missing.sort();
    for folder in missing {
        let path = dir.join(folder);
        std::fs::create_dir_all(&path).map_err(|e| io("create folder", &path, e))?;
    }
    let marker = (PathBuf::from(MARKER), MARKER_TEXT.as_bytes().to_vec());
    files.par_iter().chain(rayon::iter::once(&marker)).try_for_each(|(rel, bytes)| {
        let path = dir.join(rel);
        if let Some(&len) = present.get(rel) {
            if len == bytes.len() as u64 && std::fs::read(&path).is_ok_and(|b| b == *bytes) {
                return Ok(());
            }
            std::fs::remove_file(&path).map_err(|e| io("replace", &path, e))?;
        }
        if let Some(old) = previous.map(|p| p.join(rel))
            && unchanged(&old, bytes)
            && std::fs::hard_link(&old, &path).is_ok()
        {
            return Ok(());
        }
        std::fs::write(&path, bytes).map_err(|e| io("write", &path, e))
    })?;
    Ok(files.iter().map(|(rel, _)| rel.clone()).collect())
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

fn unchanged(old: &Path, bytes: &[u8]) -> bool {
    std::fs::symlink_metadata(old).is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64)
        && std::fs::read(old).is_ok_and(|b| b == bytes)
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

/// The folder beside `out` where a site build keeps the output it replaced, for the next build
/// to stage into: `.out.nbrender-previous` for `out`.
pub fn kept_path(out: &Path) -> PathBuf {
    beside(out, "previous")
}

/// Replaces `out` with exactly `files` (paths relative to `out`). The files are staged in the
/// output the last build replaced, when it was kept, or else in a new folder; then the staged
/// folder takes `out`'s place and the replaced output is kept for the next build.
pub fn replace_dir(out: &Path, files: &[(PathBuf, Vec<u8>)]) -> Result<Vec<PathBuf>, Diagnostic> {
    check(out, files)?;
    let (name, parent) = name_and_parent(out);
    std::fs::create_dir_all(parent).map_err(|e| io("create folder", parent, e))?;
    remove_leftovers(parent, &name);
    let pid = std::process::id();
    let staging = beside(out, &format!("new-{pid}"));
    let old = beside(out, &format!("old-{pid}"));
    let kept = kept_path(out);
    let _ = std::fs::remove_dir_all(&staging);
    let previous = out.join(MARKER).is_file().then_some(out);
    let staged = if claim_kept(&kept, &staging) {
        update_into(&staging, files, previous)
    } else {
        std::fs::create_dir_all(&staging)
            .map_err(|e| io("create folder", &staging, e))
            .and_then(|()| update_into(&staging, files, previous))
    };
    let written = match staged {
        Ok(w) => w,
        Err(d) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(d);
        }
    };
    let had_old = out.exists();
    if had_old {
        std::fs::rename(out, &old).map_err(|e| io("move aside", out, e))?;
    }
    if let Err(e) = std::fs::rename(&staging, out) {
        // Put the previous site back rather than leave nothing.
        if had_old {
            let _ = std::fs::rename(&old, out);
        }
        return Err(io("move into place", out, e));
    }
    // Kept for the next build, unless another build kept one meanwhile.
    if had_old && std::fs::rename(&old, &kept).is_err() {
        remove_tree(&old);
    }
    Ok(written)
}

/// Removes an output folder nbrender made (it holds the marker), the output kept beside it
/// and this process's staging folders: `serve` cleaning up its temporary site when stopped.
/// A link in their place is left alone, never followed.
pub fn remove_output(out: &Path) {
    for dir in [out.to_path_buf(), kept_path(out)] {
        if is_ours(&dir) {
            remove_tree(&dir);
        }
    }
    let pid = std::process::id();
    for stage in ["new", "old"] {
        let staging = beside(out, &format!("{stage}-{pid}"));
        if is_real_dir(&staging) {
            remove_tree(&staging);
        }
    }
}

/// Removes the staging folders of earlier builds that were killed before they finished.
fn remove_leftovers(parent: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    let prefixes = [format!(".{name}.nbrender-new-"), format!(".{name}.nbrender-old-")];
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = prefixes.iter().find_map(|p| file_name.strip_prefix(p.as_str())) else { continue };
        // A build still running (another process) owns its staging folder.
        let running = Path::new("/proc").join(pid).exists();
        if !running && entry.file_type().is_ok_and(|t| t.is_dir()) {
            remove_tree(&entry.path());
        }
    }
}

/// Removes a folder tree, its subfolders in parallel. Best effort: what is left is a hidden
/// `.name.nbrender-…` folder beside the output, harmless, and removed by the next site build
/// or by hand.
fn remove_tree(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        let children: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        children.par_iter().for_each(|child| {
            // Never follow a link out of the folder being removed.
            if std::fs::symlink_metadata(child).is_ok_and(|m| m.is_dir()) {
                let _ = std::fs::remove_dir_all(child);
            } else {
                let _ = std::fs::remove_file(child);
            }
        });
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Writes `files` into `out`, keeping what else is there.
pub fn write_files(out: &Path, files: &[(PathBuf, Vec<u8>)]) -> Result<Vec<PathBuf>, Diagnostic> {
    check(out, files)?;
    let mut written = Vec::with_capacity(files.len());
    for (rel, bytes) in files {
        write_file(&out.join(rel), bytes)?;
        written.push(rel.clone());
    }
    // Through `write_file`, which leaves it alone when it is there already: truncating and
    // rewriting a file makes ext4 flush it on close, 5 to 10 ms of a one-page build.
    write_file(&out.join(MARKER), MARKER_TEXT.as_bytes())?;
    Ok(written)
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
    check(out, files)?;
    let mut current = hashes(files);
    for rel in unchanged {
        if let Some(&hash) = previous.get(rel) {
            current.insert(rel.clone(), hash);
        }
    }
    let changed: Vec<&(PathBuf, Vec<u8>)> =
        files.iter().filter(|(rel, _)| previous.get(rel) != current.get(rel)).collect();
    changed.par_iter().try_for_each(|(rel, bytes)| write_file(&out.join(rel), bytes))?;
    for gone in previous.keys().filter(|rel| !current.contains_key(*rel)) {
        let path = out.join(gone);
        let _ = std::fs::remove_file(&path);
        // The folder of a page that is gone goes too, once it is empty.
        if let Some(dir) = path.parent().filter(|d| *d != out) {
            let _ = std::fs::remove_dir(dir);
        }
    }
    *previous = current;
    Ok(changed.into_iter().map(|(rel, _)| rel.clone()).collect())
}

/// Each file's hash, as `update_dir` keeps them.
pub fn hashes(files: &[(PathBuf, Vec<u8>)]) -> HashMap<PathBuf, u64> {
    files.par_iter().map(|(rel, bytes)| (rel.clone(), hash_of(bytes))).collect()
}

/// Writes one file under a temporary name and renames it into place, so the file is either
/// the old one or the whole new one; its folder is created when missing. A file that already
/// holds these bytes is left alone: renaming over a file makes ext4 flush the new one to disk,
/// which costs milliseconds, where reading and comparing costs microseconds.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Diagnostic> {
    if path.is_dir() {
        return Err(Diagnostic::error("io::write", format!("cannot write `{}`: it is a folder", path.display())));
    }
    if unchanged(path, bytes) {
        return Ok(());
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| io("create folder", parent, e))?;
    }
    let ext = path.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_extension(format!("{ext}.nbrender-tmp"));
    std::fs::write(&tmp, bytes).map_err(|e| io("write", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io("replace", path, e)
    })
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

    #[test]
    fn paths_cannot_leave_the_output() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(replace_dir(&tmp.path().join("out"), &files(&["../x.html"])).is_err());
    }
}
