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
            // Every place kept from the parse is inside the file, on character boundaries.
            let text = &nb.source.text;
            let inside = |s: &std::ops::Range<usize>| s.start <= s.end && text.get(s.clone()).is_some();
            for (_, placed) in nb.front.spans.iter() {
                assert!(inside(&placed.value) && placed.key.as_ref().is_none_or(inside), "{placed:?}");
            }
            for (slug, span) in &nb.body.figures {
                assert_eq!(text.get(span.clone()), Some("figure"), "figure({slug:?}) at {span:?}");
            }
        }
        Err(diagnostics) => {
            assert!(!diagnostics.is_empty(), "a parse failure without diagnostics");
            common::check_diagnostics(&diagnostics);
        }
    }
});
