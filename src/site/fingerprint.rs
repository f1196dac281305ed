//! Hashes of what a build's output depends on: a notebook's own inputs, the results its
//! readers see. A rebuild runs and renders again only what a changed hash names.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::Path;

use crate::exec::Exports;
use crate::notebook::Notebook;

/// A hash of everything a build's output depends on; equal hashes mean equal output.
pub(crate) type Fingerprint = u64;

pub(crate) fn hash_of(value: impl Hash) -> Fingerprint {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// Each needed notebook's own inputs, hashed: its text and its data files' bytes, a family
/// member's parameters, and for a notebook that calls `site()`, the site's pages (`listing`).
/// (What it reads through `results()` is added as the notebooks run: see `run::run_all`.) A
/// data file that cannot be read (missing, over `max_bytes`, not a regular file) hashes as
/// missing; the run reports it. The members of a family read its files once.
pub(crate) fn own_prints(
    notebooks: &[Notebook],
    needed: &[bool],
    max_bytes: u64,
    listing: Fingerprint,
) -> Vec<Option<Fingerprint>> {
    let mut files: std::collections::HashMap<&Path, Fingerprint> = std::collections::HashMap::new();
    notebooks
        .iter()
        .zip(needed)
        .map(|(nb, &needed)| {
            if !needed {
                return None;
            }
            let file = *files.entry(&nb.path).or_insert_with(|| {
                let mut h = DefaultHasher::new();
                nb.source.text.hash(&mut h);
                let dir = nb.path.parent().unwrap_or(Path::new("."));
                for (name, rel) in &nb.front.data {
                    name.hash(&mut h);
                    crate::data::resolve(dir, rel)
                        .ok()
                        .and_then(|p| crate::file::read(&p, max_bytes).ok())
                        .hash(&mut h);
                }
                if nb.cells().any(|c| !crate::exec::calls::calls_of(&c.script, "site").is_empty()) {
                    listing.hash(&mut h);
                }
                h.finish()
            });
            let member = nb.member.as_ref().map(|m| (&m.slug, &m.title, serde_json::to_string(&m.params).ok()));
            Some(hash_of((file, member)))
        })
        .collect()
}

/// A notebook's results as its readers see them, hashed: a reader runs again only when these
/// changed, not whenever the notebook it reads was edited.
pub(crate) fn exports_print(exports: &Exports) -> Fingerprint {
    let mut h = DefaultHasher::new();
    exports.slug().hash(&mut h);
    for (name, value) in exports.iter() {
        name.hash(&mut h);
        value.hash_into(&mut h);
    }
    for (label, figure) in exports.figures() {
        (label, format!("{figure:?}")).hash(&mut h);
    }
    h.finish()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_data_file_that_is_a_pipe_hashes_as_missing_without_hanging() {
        let dir = tempfile::tempdir().unwrap();
        assert!(std::process::Command::new("mkfifo").arg(dir.path().join("pipe.csv")).status().unwrap().success());
        std::fs::write(dir.path().join("ok.csv"), "a\n1\n").unwrap();
        let text = "---\ntitle: A\ndata:\n  t: pipe.csv\n  u: ok.csv\n---\n".to_string();
        let nb = crate::notebook::parse(&dir.path().join("a.md"), "a.md", text).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(own_prints(&[nb], &[true], 1 << 20, 0)));
        let prints = rx.recv_timeout(std::time::Duration::from_secs(10)).expect("no hang on a pipe");
        assert!(prints[0].is_some());
    }
}
