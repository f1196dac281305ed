//! Arbitrary bytes as a notebook file in a site folder that holds the project's sample data,
//! through the whole single-notebook build (parse, data, execute, charts, prose, page) with
//! nothing written: a page or diagnostics, never a panic.

#![no_main]

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use nbrender::site::{BuildOptions, Silent, build};

/// The binary's counting allocator, so that a notebook's cells meet their memory limit here as
/// they do in `nbrender` (without it a cell that piles up memory would take the fuzzer down).
#[global_allocator]
static ALLOCATOR: nbrender_alloc::Counting<std::alloc::System> = nbrender_alloc::Counting(std::alloc::System);

/// The data folders the seed notebooks read, merged into one `data/`.
const DATA: &[&str] = &[
    "notebooks/data",
    "tests/fixtures/pages/features/data",
    "tests/fixtures/site/basic/data",
    "tests/fixtures/errors/data",
];

/// A temporary site folder, made once per fuzzing process.
fn site() -> &'static Path {
    static SITE: OnceLock<PathBuf> = OnceLock::new();
    SITE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("nbrender-fuzz-{}", std::process::id()));
        let data = dir.join("data");
        std::fs::create_dir_all(&data).expect("create the fuzz site folder");
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for from in DATA {
            for entry in std::fs::read_dir(repo.join(from)).expect("read a data folder").flatten() {
                std::fs::copy(entry.path(), data.join(entry.file_name())).expect("copy a data file");
            }
        }
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let dir = site();
    let file = dir.join("nb.md");
    std::fs::write(&file, data).expect("write the notebook");
    let opts = BuildOptions { out: dir.join("out"), dry_run: true, ..BuildOptions::default() };
    match build(&file, &opts, &Silent) {
        Ok(report) => assert_eq!(report.pages, 1, "a build that made no page and no diagnostic"),
        Err(failure) => {
            assert!(!failure.diagnostics.is_empty(), "a failure without diagnostics");
            // A caught panic becomes an `internal` diagnostic; it is still a bug.
            assert!(failure.diagnostics.iter().all(|d| d.code != "internal"), "{:?}", failure.diagnostics);
            common::check_diagnostics(&failure.diagnostics);
        }
    }
});
