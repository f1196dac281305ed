//! Site-level cases as fixtures: each folder `tests/fixtures/sites/<case>/` is a project (a
//! `notebooks/` folder with a `_site.yaml`, a theme, …) and an `args` file: the command's
//! arguments, one a line, writing to `out/`. The snapshot
//! (`snapshots/suite__sites__site@<case>__args.snap`) holds the exit code, anything printed
//! on stderr, every file written, and the text of the files named in the case's `show` file
//! (one path under `out/` a line; without one, `index.html`, and `sitemap.xml` when written).
//! Adding a case is adding a folder.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;

use crate::common::{self, Project, tree};

#[test]
fn every_site_fixture_builds_to_its_snapshotted_output() {
    insta::glob!("../fixtures", "sites/*/args", |args| {
        let dir = args.parent().unwrap();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let p = Project::empty();
        common::copy_dir(dir, p.dir.path());
        let args = std::fs::read_to_string(args).unwrap();
        let args: Vec<&str> = args.lines().collect();
        let run = p.run(&args);
        assert!(!run.stderr.contains("panicked"), "{name} panicked:\n{}", run.stderr);

        let files = tree(&p.path("out"));
        let mut report = format!("exit: {}\n", run.code);
        if !run.stderr.is_empty() {
            write!(report, "stderr:\n{}", run.stderr).unwrap();
        }
        report.push_str("files:\n");
        for (path, _) in &files {
            writeln!(report, "  {}", path.display()).unwrap();
        }
        let show = match std::fs::read_to_string(dir.join("show")) {
            Ok(text) => text.lines().map(str::to_string).collect(),
            Err(_) => ["index.html", "sitemap.xml"]
                .into_iter()
                .filter(|f| p.exists(&format!("out/{f}")))
                .map(str::to_string)
                .collect::<Vec<_>>(),
        };
        for file in show {
            write!(report, "\n── out/{file} ──\n{}", p.read(&format!("out/{file}"))).unwrap();
        }
        insta::with_settings!({ filters => vec![(r"nbrender \d+\.\d+\.\d+(-[0-9A-Za-z.]+)?", "nbrender [version]")] }, {
            insta::assert_snapshot!("site", report);
        });
    });
}
