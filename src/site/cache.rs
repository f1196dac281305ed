//! What one build leaves for the next, so that `nbrender serve` rebuilds only what a save
//! changed. A notebook's run is reused when its fingerprint (its text, its data files' bytes
//! and the fingerprints of the notebooks it reads) is unchanged; a page is reused when every
//! fingerprint it shows (its own, its cards', its neighbours', the figures it embeds) and its
//! place in the site are unchanged; a file is written only when its bytes changed.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::exec::Exports;
use crate::notebook::Notebook;

use super::page::Run;

/// A hash of everything a build's output depends on; equal hashes mean equal output.
pub(crate) type Fingerprint = u64;

/// The files one page writes: its charts, then its `index.html`.
#[derive(Debug, Default)]
pub(crate) struct PageFiles {
    pub files: Vec<(PathBuf, Vec<u8>)>,
    pub charts: usize,
    pub pngs: usize,
}

/// Kept between the builds of one `serve` session. A fresh one reuses nothing.
#[derive(Default)]
pub struct Cache {
    /// Whatever every page depends on: the site file, the theme, params, flags.
    site: Option<Fingerprint>,
    runs: HashMap<PathBuf, (Fingerprint, Arc<Run>)>,
    pages: HashMap<PathBuf, (Fingerprint, Arc<PageFiles>)>,
    /// The output folder last written and the hash of every file in it.
    written: Option<(PathBuf, HashMap<PathBuf, Fingerprint>)>,
}

impl Cache {
    /// Forgets everything when what every page depends on changed.
    pub(crate) fn begin(&mut self, site: Fingerprint) {
        if self.site != Some(site) {
            *self = Cache { site: Some(site), ..Cache::default() };
        }
    }

    pub(crate) fn run(&self, nb: &Notebook, fingerprint: Option<Fingerprint>) -> Option<Arc<Run>> {
        let (kept, run) = self.runs.get(&nb.path)?;
        (Some(*kept) == fingerprint).then(|| Arc::clone(run))
    }

    pub(crate) fn page(&self, nb: &Notebook, key: Fingerprint) -> Option<Arc<PageFiles>> {
        let (kept, page) = self.pages.get(&nb.path)?;
        (*kept == key).then(|| Arc::clone(page))
    }

    /// Keeps this build's runs and pages; forgets notebooks that are gone.
    pub(crate) fn keep(
        &mut self,
        notebooks: &[Notebook],
        runs: &[(usize, Fingerprint, Arc<Run>)],
        pages: Vec<(usize, Fingerprint, Arc<PageFiles>)>,
    ) {
        let present: HashSet<&PathBuf> = notebooks.iter().map(|n| &n.path).collect();
        self.runs.retain(|p, _| present.contains(p));
        self.pages.retain(|p, _| present.contains(p));
        for (i, fingerprint, run) in runs {
            self.runs.insert(notebooks[*i].path.clone(), (*fingerprint, Arc::clone(run)));
        }
        for (i, key, page) in pages {
            self.pages.insert(notebooks[i].path.clone(), (key, page));
        }
    }

    /// The hashes of the files last written into `out`, when `out` still holds them.
    pub(crate) fn written(&mut self, out: &Path) -> Option<&mut HashMap<PathBuf, Fingerprint>> {
        match &mut self.written {
            Some((dir, files)) if dir == out && out.join(super::write::MARKER).is_file() => Some(files),
            _ => None,
        }
    }

    pub(crate) fn set_written(&mut self, out: &Path, files: HashMap<PathBuf, Fingerprint>) {
        self.written = Some((out.to_path_buf(), files));
    }
}

pub(crate) fn hash_of(value: impl Hash) -> Fingerprint {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// Each needed notebook's own inputs, hashed: its text and its data files' bytes. (What it
/// reads through `results()` is added as the notebooks run: see `run::run_all`.) A data file
/// that cannot be read (missing, over `max_bytes`, not a regular file) hashes as missing; the
/// run reports it.
pub(crate) fn own_prints(notebooks: &[Notebook], needed: &[bool], max_bytes: u64) -> Vec<Option<Fingerprint>> {
    notebooks
        .iter()
        .zip(needed)
        .map(|(nb, &needed)| {
            if !needed {
                return None;
            }
            let mut h = DefaultHasher::new();
            nb.source.text.hash(&mut h);
            let dir = nb.path.parent().unwrap_or(Path::new("."));
            for (name, rel) in &nb.front.data {
                name.hash(&mut h);
                crate::data::resolve(dir, rel).ok().and_then(|p| crate::file::read(&p, max_bytes).ok()).hash(&mut h);
            }
            Some(h.finish())
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
        std::thread::spawn(move || tx.send(own_prints(&[nb], &[true], 1 << 20)));
        let prints = rx.recv_timeout(std::time::Duration::from_secs(10)).expect("no hang on a pipe");
        assert!(prints[0].is_some());
    }
}
