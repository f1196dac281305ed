//! Rendering cases as fixtures: each notebook `tests/fixtures/render/<case>.md` is rendered on
//! its own (`nbrender notebooks/<case>.md`), with `tests/fixtures/render/data/` beside it as
//! `notebooks/data/`, and the `<article>` of the page it writes is a snapshot
//! (`snapshots/suite__render__article@<case>.md.snap`). Adding a case is adding a notebook.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{self, Project, article};

#[test]
fn every_render_fixture_renders_to_its_snapshotted_article() {
    let fixtures = common::crate_path("tests/fixtures/render");
    insta::glob!("../fixtures", "render/*.md", |path| {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let p = Project::empty();
        if fixtures.join("data").is_dir() {
            common::copy_dir(&fixtures.join("data"), &p.path("notebooks/data"));
        }
        std::fs::copy(path, p.path(&format!("notebooks/{name}"))).unwrap();
        let run = p.run(&[&format!("notebooks/{name}"), "-o", "out"]);
        assert_eq!(run.code, 0, "{name} does not render:\n{}", run.stderr);
        assert!(!run.stderr.contains("warning"), "{name} renders with warnings:\n{}", run.stderr);
        let pages: Vec<_> = std::fs::read_dir(p.path("out"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|dir| dir.join("index.html").is_file())
            .collect();
        assert_eq!(pages.len(), 1, "{name}: one page expected, found {pages:?}");
        let html = std::fs::read_to_string(pages[0].join("index.html")).unwrap();
        insta::assert_snapshot!("article", article(&html));
    });
}
