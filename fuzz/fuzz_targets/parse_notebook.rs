//! Arbitrary bytes through the notebook parser (frontmatter, cells, `//|` options): a notebook
//! or located diagnostics, never a panic.

#![no_main]

mod common;

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The build rejects non-UTF-8 files before parsing; lossy decoding keeps those inputs useful.
    let text = String::from_utf8_lossy(data).into_owned();
    match nbrender::notebook::parse(Path::new("fuzz.md"), "fuzz.md", text) {
        Ok(nb) => {
            let _ = nb.slug();
            for key in ["title", "slug", "data", "related", "params"] {
                let line = nb.front_key_line(key);
                assert!(line >= 1 && line <= nb.source.text.split('\n').count().max(1));
            }
        }
        Err(diagnostics) => {
            assert!(!diagnostics.is_empty(), "a parse failure without diagnostics");
            common::check_diagnostics(&diagnostics);
        }
    }
});
