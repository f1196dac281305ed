//! Writing the output. A site build stages the whole output in a sibling folder and swaps it
//! in at the end, so a failed or interrupted build leaves the previous site as it was and a
//! finished one leaves no stale page behind. A single-notebook build writes its files one by
//! one, each to a temporary name renamed into place.

use std::collections::HashMap;
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

/// Writes `files` under `dir`. A file whose bytes equal its namesake under `previous` (the
/// output being replaced) is hard-linked from there instead: far cheaper than creating a file
/// on most file systems, and a rebuild that changed one page touches little else.
fn write_into(dir: &Path, files: &[(PathBuf, Vec<u8>)], previous: Option<&Path>) -> Result<Vec<PathBuf>, Diagnostic> {
    // Folders first, once each; then the files, in parallel: on a slow disk creating files
    // dominates a large build.
    let mut folders: Vec<PathBuf> =
        files.iter().filter_map(|(rel, _)| dir.join(rel).parent().map(Path::to_path_buf)).collect();
    folders.sort();
    folders.dedup();
    for folder in &folders {
        std::fs::create_dir_all(folder).map_err(|e| io("create folder", folder, e))?;
    }
    files.par_iter().try_for_each(|(rel, bytes)| {
        let path = dir.join(rel);
        if let Some(old) = previous.map(|p| p.join(rel))
            && unchanged(&old, bytes)
            && std::fs::hard_link(&old, &path).is_ok()
        {
            return Ok(());
        }
        std::fs::write(&path, bytes).map_err(|e| io("write", &path, e))
    })?;
    let marker = dir.join(MARKER);
    std::fs::write(&marker, MARKER_TEXT).map_err(|e| io("write", &marker, e))?;
    Ok(files.iter().map(|(rel, _)| rel.clone()).collect())
}

fn unchanged(old: &Path, bytes: &[u8]) -> bool {
    std::fs::symlink_metadata(old).is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64)
        && std::fs::read(old).is_ok_and(|b| b == bytes)
}

/// Replaces `out` with exactly `files` (paths relative to `out`).
pub fn replace_dir(out: &Path, files: &[(PathBuf, Vec<u8>)]) -> Result<Vec<PathBuf>, Diagnostic> {
    check(out, files)?;
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| io("create folder", parent, e))?;
    remove_leftovers(parent, &name);
    let pid = std::process::id();
    let staging = parent.join(format!(".{name}.nbrender-new-{pid}"));
    let old = parent.join(format!(".{name}.nbrender-old-{pid}"));
    let _ = std::fs::remove_dir_all(&staging);
    let previous = out.join(MARKER).is_file().then_some(out);
    let written = match write_into(&staging, files, previous) {
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
    if had_old {
        remove_tree(&old);
    }
    Ok(written)
}

/// Removes an output folder nbrender made (it holds the marker) and this process's staging
/// folders beside it: `serve` cleaning up its temporary site when stopped.
pub fn remove_output(out: &Path) {
    if out.join(MARKER).is_file() {
        remove_tree(out);
    }
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let pid = std::process::id();
    for stage in ["new", "old"] {
        let staging = parent.join(format!(".{name}.nbrender-{stage}-{pid}"));
        if staging.is_dir() {
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
/// `.name.nbrender-old-PID` folder beside the output, harmless and removed by hand.
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
    let marker = out.join(MARKER);
    std::fs::write(&marker, MARKER_TEXT).map_err(|e| io("write", &marker, e))?;
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
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("out")]);
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
    fn paths_cannot_leave_the_output() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(replace_dir(&tmp.path().join("out"), &files(&["../x.html"])).is_err());
    }
}
