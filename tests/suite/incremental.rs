//! Rebuilding with a cache (what `nbrender serve` does on every save) must give, byte for byte,
//! the site a clean build gives, while running and rendering only what the change touched.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::Path;

use common::{Project, tree};
use nbrender::site::{self, BuildOptions, Cache, Report, Silent};

struct Session {
    project: Project,
    cache: Cache,
}

impl Session {
    fn start() -> (Session, Report) {
        let project = Project::with_notebooks("notebooks");
        let mut cache = Cache::default();
        let report = rebuild(&project, &mut cache).expect("the shipped site builds");
        (Session { project, cache }, report)
    }

    /// Rebuilds with the cache and checks the output equals a clean build's.
    fn rebuild(&mut self) -> Report {
        let report = rebuild(&self.project, &mut self.cache).expect("the rebuild succeeds");
        let clean = self.project.path("clean");
        let opts = BuildOptions { out: clean.clone(), ..BuildOptions::default() };
        site::build(&self.project.path("notebooks"), &opts, &Silent).expect("the clean build succeeds");
        assert_same_tree(&self.project.path("site"), &clean);
        report
    }

    fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = self.project.read(rel);
        assert!(text.contains(from), "{rel} has no {from:?}");
        self.project.write(rel, &text.replacen(from, to, 1));
    }
}

fn rebuild(p: &Project, cache: &mut Cache) -> Result<Report, site::Failure> {
    let opts = BuildOptions { out: p.path("site"), ..BuildOptions::default() };
    site::rebuild(&p.path("notebooks"), &opts, &Silent, cache)
}

fn assert_same_tree(a: &Path, b: &Path) {
    let (a, b) = (tree(a), tree(b));
    let names = |t: &[(std::path::PathBuf, Vec<u8>)]| t.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b), "the rebuilt site has other files than a clean build");
    for ((path, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{} differs from a clean build", path.display());
    }
}

#[test]
fn an_unchanged_folder_reruns_and_rewrites_nothing() {
    let (mut s, first) = Session::start();
    assert_eq!(first.ran, first.notebooks);
    let again = s.rebuild();
    assert_eq!((again.ran, again.rendered, again.files.len()), (0, 0, 0));
}

#[test]
fn a_data_change_reruns_the_notebook_and_its_readers_only() {
    let (mut s, _) = Session::start();
    // The LLM tiers feed llm-engineer, which computer-vision, employer-tiers and
    // specialisations read; mlops-engineer and total-comp-breakdown are untouched.
    s.edit("notebooks/data/llm_tiers.csv", ",338000,", ",338500,");
    let report = s.rebuild();
    assert_eq!(report.ran, 4, "llm-engineer and its three readers run again");
    assert!(report.rendered < report.pages);
    assert!(report.files.iter().any(|f| f.starts_with("llm-engineer")));
    assert!(!report.files.iter().any(|f| f.starts_with("total-comp-breakdown")));
}

#[test]
fn a_prose_edit_runs_and_rewrites_only_that_notebook() {
    let (mut s, _) = Session::start();
    s.edit("notebooks/total-comp-breakdown.md", "\n## ", "\nOne more sentence of prose.\n\n## ");
    let report = s.rebuild();
    // employer-tiers and specialisations read its results, which the edit left as they were.
    assert_eq!(report.ran, 1, "only the edited notebook runs");
    assert_eq!(report.files.iter().filter(|f| f.ends_with("index.html")).count(), 1);
}

#[test]
fn added_removed_and_broken_notebooks_leave_the_site_a_clean_build_gives() {
    let (mut s, first) = Session::start();
    let scaffold = s.project.run(&["new", "data-engineer", "--dir", "notebooks", "--group", "Specialisations"]);
    assert_eq!(scaffold.code, 0, "{}", scaffold.stderr);
    let added = s.rebuild();
    assert_eq!(added.pages, first.pages + 1);
    assert!(s.project.exists("site/data-engineer/index.html"));

    let good = s.project.read("notebooks/data-engineer.md");
    s.project.write("notebooks/data-engineer.md", &good.replacen("```{rhai}", "```{rhai}\nlet = ;", 1));
    assert!(rebuild(&s.project, &mut s.cache).is_err());
    assert!(s.project.exists("site/data-engineer/index.html"), "a failed rebuild leaves the site as it was");
    s.project.write("notebooks/data-engineer.md", &good);
    let fixed = s.rebuild();
    assert_eq!(fixed.ran, 0, "the text is back to its last good build's, whose run is kept");

    std::fs::remove_file(s.project.path("notebooks/data-engineer.md")).unwrap();
    let removed = s.rebuild();
    assert_eq!(removed.pages, first.pages);
    assert!(!s.project.exists("site/data-engineer"), "the removed page's folder is gone");
}

#[test]
fn a_changed_site_file_renders_every_page_again() {
    let (mut s, _) = Session::start();
    s.edit("notebooks/_site.yaml", "title:", "title: New");
    let report = s.rebuild();
    assert_eq!(report.rendered, report.pages);
}

#[test]
fn a_title_edit_renders_the_pages_whose_cards_and_links_show_it() {
    let (mut s, _) = Session::start();
    let before = s.project.read("notebooks/total-comp-breakdown.md");
    let title = before.lines().find(|l| l.starts_with("title:")).unwrap().to_string();
    s.edit("notebooks/total-comp-breakdown.md", &title, "title: A new title for the breakdown");
    let report = s.rebuild();
    assert_eq!(report.ran, 1);
    assert!(report.rendered > 1, "pages that show the title are rendered again");
    assert!(s.project.read("site/index.html").contains("A new title for the breakdown"));
}

#[test]
fn a_one_page_build_runs_only_the_notebooks_whose_words_it_shows_computed() {
    let p = Project::with_notebooks("notebooks");
    let opts = BuildOptions { out: p.path("one"), ..BuildOptions::default() };
    // The MLOps page's cards and neighbours have fixed titles and blurbs: only it runs.
    let report = site::build(&p.path("notebooks/mlops.md"), &opts, &Silent).unwrap();
    assert_eq!(report.ran, 1);
    assert!(p.read("one/mlops-engineer/index.html").contains("Total comp breakdown"), "a card keeps its title");
    // A computed blurb needs its notebook's run.
    let card = "notebooks/total-comp-breakdown.md";
    let text = p.read(card).replacen(
        "blurb: How base, RSUs and bonus split the package",
        "blurb: \"Equity {{ equity_share | pct_band }}\"",
        1,
    );
    p.write(card, &text);
    let report = site::build(&p.path("notebooks/mlops.md"), &opts, &Silent).unwrap();
    assert_eq!(report.ran, 2);
    assert!(p.read("one/mlops-engineer/index.html").contains("Equity "), "the computed blurb is shown");
}
