//! What a build tells its caller: how it goes ([`Progress`]), what it did ([`Report`]), or
//! why it did not finish ([`Failure`]).

use std::path::PathBuf;

use crate::diag::Diagnostic;

/// Hears how a build goes, for a progress bar. The library never prints.
pub trait Progress: Sync {
    /// `total` steps are coming: one per notebook run and one per page rendered.
    fn start(&self, total: usize);
    /// One step is done.
    fn advance(&self, what: &str);
}

/// Hears nothing.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: usize) {}
    fn advance(&self, _: &str) {}
}

/// What a finished build did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The pages asked for.
    pub pages: usize,
    /// The charts those pages show, `embedded` of them from other notebooks.
    pub charts: usize,
    pub embedded: usize,
    /// PNG files among the charts' files (`--png`).
    pub pngs: usize,
    /// The slugs of the pages a one-page build wrote too, because the page embeds their
    /// figures (whose download and link back lead there).
    pub companions: Vec<String>,
    /// The files written: all of them, or in a rebuild only those whose bytes changed.
    pub files: Vec<PathBuf>,
    /// Notebooks in the folder, notebooks run and pages rendered; a rebuild reuses the rest.
    pub notebooks: usize,
    pub ran: usize,
    pub rendered: usize,
    pub elapsed_ms: f64,
    /// Milliseconds spent in each stage, in order, for `-v`.
    pub stages: Vec<(&'static str, f64)>,
    /// What the build did besides its pages that the user should hear of.
    pub warnings: Vec<Diagnostic>,
    /// The figures each page rendered publishes, by slug (a dry run's too).
    pub manifests: Vec<std::sync::Arc<crate::manifest::PageManifest>>,
}

/// Why a build did not finish, with every diagnostic.
#[derive(Debug)]
pub struct Failure {
    pub diagnostics: Vec<Diagnostic>,
    /// The command line itself was wrong (exit 2) rather than the notebooks (exit 1).
    pub usage: bool,
    /// Writing failed after some files were in place (a single-notebook build).
    pub partial: bool,
}

impl Failure {
    /// How many of its diagnostics are errors (a failed build reports its warnings too).
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == crate::diag::Severity::Error).count()
    }
}

impl Failure {
    /// A failure of the command line (exit 2).
    pub(crate) fn usage(d: Diagnostic) -> Self {
        Failure { diagnostics: vec![d], usage: true, partial: false }
    }
}

impl From<Diagnostic> for Failure {
    fn from(d: Diagnostic) -> Self {
        Failure { diagnostics: vec![d], usage: false, partial: false }
    }
}

impl From<Vec<Diagnostic>> for Failure {
    fn from(diagnostics: Vec<Diagnostic>) -> Self {
        Failure { diagnostics, usage: false, partial: false }
    }
}
