//! What one build leaves for the next, so that `nbrender serve` rebuilds only what a save
//! changed. A notebook's run is reused when its fingerprint (its text, its data files' bytes
//! and the fingerprints of the notebooks it reads) is unchanged; a page is reused when every
//! fingerprint it shows (its own, its cards', its neighbours', the figures it embeds) and its
//! place in the site are unchanged; a file is written only when its bytes changed.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::notebook::Notebook;

use super::fingerprint::Fingerprint;
use super::run::Run;

/// The files one page writes: its charts, then its `index.html`.
#[derive(Debug)]
pub(crate) struct PageFiles {
    pub files: Vec<(PathBuf, Vec<u8>)>,
    pub charts: usize,
    pub pngs: usize,
    /// Charts of other notebooks the page shows (drawn in it; their files are theirs).
    pub embedded: usize,
    /// The figures it publishes, when the build keeps them, and its manifest file.
    pub manifest: Option<Arc<crate::manifest::PageManifest>>,
    pub manifest_file: (PathBuf, Vec<u8>),
    /// What its prose is warned about: a page kept keeps them.
    pub warnings: Vec<crate::diag::Diagnostic>,
}

/// A notebook's file and its slug: the members of a family share the file.
type Key = (PathBuf, String);

fn key_of(nb: &Notebook) -> Key {
    (nb.path.clone(), nb.slug())
}

/// Kept between the builds of one `serve` session. A fresh one reuses nothing.
#[derive(Default)]
pub struct Cache {
    /// Whatever every page depends on: the site file, the theme, params, flags.
    site: Option<Fingerprint>,
    runs: HashMap<Key, (Fingerprint, Arc<Run>)>,
    pages: HashMap<Key, (Fingerprint, Arc<PageFiles>)>,
    /// The output folder last written and the hash of every file in it.
    /// Each folder written in place (the output, its manifest) and its files' hashes.
    written: Vec<(PathBuf, HashMap<PathBuf, Fingerprint>)>,
}

impl Cache {
    /// Forgets everything when what every page depends on changed.
    pub(crate) fn begin(&mut self, site: Fingerprint) {
        if self.site != Some(site) {
            *self = Cache { site: Some(site), ..Cache::default() };
        }
    }

    pub(crate) fn run(&self, nb: &Notebook, fingerprint: Option<Fingerprint>) -> Option<Arc<Run>> {
        let (kept, run) = self.runs.get(&key_of(nb))?;
        (Some(*kept) == fingerprint).then(|| Arc::clone(run))
    }

    /// The last run kept of `nb`, whatever its fingerprint.
    pub(crate) fn last_run(&self, nb: &Notebook) -> Option<Arc<Run>> {
        self.runs.get(&key_of(nb)).map(|(_, run)| Arc::clone(run))
    }

    pub(crate) fn page(&self, nb: &Notebook, key: Fingerprint) -> Option<Arc<PageFiles>> {
        let (kept, page) = self.pages.get(&key_of(nb))?;
        (*kept == key).then(|| Arc::clone(page))
    }

    /// Keeps this build's runs and pages; forgets notebooks that are gone.
    pub(crate) fn keep(
        &mut self,
        notebooks: &[Notebook],
        runs: &[(usize, Fingerprint, Arc<Run>)],
        pages: Vec<(usize, Fingerprint, Arc<PageFiles>)>,
    ) {
        let present: HashSet<Key> = notebooks.iter().map(key_of).collect();
        self.runs.retain(|k, _| present.contains(k));
        self.pages.retain(|k, _| present.contains(k));
        for (i, fingerprint, run) in runs {
            self.runs.insert(key_of(&notebooks[*i]), (*fingerprint, Arc::clone(run)));
        }
        for (i, print, page) in pages {
            self.pages.insert(key_of(&notebooks[i]), (print, page));
        }
    }

    /// The hashes of the files last written into `out`, when `out` still holds them.
    pub(crate) fn written(&mut self, out: &Path) -> Option<&mut HashMap<PathBuf, Fingerprint>> {
        let marked = out.join(super::write::MARKER).is_file();
        self.written.iter_mut().find(|(dir, _)| dir == out && marked).map(|(_, files)| files)
    }

    pub(crate) fn set_written(&mut self, out: &Path, files: HashMap<PathBuf, Fingerprint>) {
        self.written.retain(|(dir, _)| dir != out);
        self.written.push((out.to_path_buf(), files));
    }
}
