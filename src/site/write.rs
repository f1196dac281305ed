//! Writing the output: every file goes to a temporary name beside its target and is renamed
//! into place, so a reader never sees a half-written page.

use std::path::{Component, Path, PathBuf};

use crate::diag::Diagnostic;

/// Writes `files` (paths relative to `out`) and returns the paths written.
pub fn write_files(out: &Path, files: &[(PathBuf, Vec<u8>)]) -> Result<Vec<PathBuf>, Diagnostic> {
    let mut written = Vec::with_capacity(files.len());
    for (rel, bytes) in files {
        if rel.is_absolute() || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(Diagnostic::error(
                "io::write",
                format!("refusing to write `{}` outside the output folder", rel.display()),
            ));
        }
        let path = out.join(rel);
        let io = |what: &str, p: &Path, e: std::io::Error| {
            Diagnostic::error("io::write", format!("cannot {what} `{}`: {e}", p.display()))
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io("create folder", parent, e))?;
        }
        let tmp = path.with_extension(format!(
            "{}.tmp",
            path.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default()
        ));
        std::fs::write(&tmp, bytes).map_err(|e| io("write", &tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io("replace", &path, e))?;
        written.push(path);
    }
    Ok(written)
}
