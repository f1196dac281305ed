//! Arbitrary bytes as a theme's `page.html`, then `index.html`, rendered over a sample page and
//! a sample index: a page or a located diagnostic, never a panic, and never a render that runs
//! away (the templates have fuel).

#![no_main]

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use nbrender::render::{
    Card, IndexContext, IndexGroup, IndexPage, Link, PageContext, PageInfo, SiteInfo, Theme, index_html, page_html,
};

/// A temporary theme folder, made once per fuzzing process.
fn theme_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("nbrender-fuzz-theme-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the fuzz theme folder");
        dir
    })
}

fn site() -> SiteInfo {
    SiteInfo { title: Some("Salaries <&>".into()), base_url: Some("https://example.org".into()) }
}

fn page() -> PageContext {
    let link = |t: &str| Link { title: t.into(), href: format!("../{t}/") };
    PageContext {
        site: site(),
        page: PageInfo {
            title: "MLOps Engineer Salary".into(),
            lede: "A lede with \"quotes\" and <tags>.".into(),
            description: "A description.".into(),
            section: Some("6.3".into()),
            group: Some("MLOps / platform".into()),
            notebook: "mlops_engineer.ipynb".into(),
            cell: 28,
            slug: "mlops-engineer".into(),
            updated: Some("2026-11-30".into()),
            canonical: Some("https://example.org/mlops-engineer/".into()),
        },
        related: vec![Card { title: "LLM".into(), blurb: "A blurb.".into(), href: "../llm/".into(), external: false }],
        prev: Some(link("prev")),
        next: Some(link("next")),
        family: Some(link("family")),
        assets: "../assets".into(),
        home: "../".into(),
        generator: "nbrender".into(),
    }
}

fn index() -> IndexContext {
    let pages = (0..20)
        .map(|i| IndexPage {
            title: format!("Page {i}"),
            href: format!("page-{i}/"),
            section: Some(format!("{i}.1")),
            headline: "$190k to $260k".into(),
            blurb: "A blurb.".into(),
        })
        .collect();
    IndexContext {
        site: site(),
        groups: vec![IndexGroup { name: Some("Roles".into()), pages }],
        assets: "assets".into(),
        home: "./".into(),
        generator: "nbrender".into(),
    }
}

fuzz_target!(|data: &[u8]| {
    let dir = theme_dir();
    // The first part is `page.html`, the part after the first NUL `index.html`.
    let (page_bytes, index_bytes) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], Some(&data[at + 1..])),
        None => (data, None),
    };
    std::fs::write(dir.join("page.html"), page_bytes).expect("write page.html");
    match index_bytes {
        Some(bytes) => std::fs::write(dir.join("index.html"), bytes).expect("write index.html"),
        None => {
            let _ = std::fs::remove_file(dir.join("index.html"));
        }
    }
    let theme = match Theme::load(Some(dir)) {
        Ok(theme) => theme,
        Err(d) => return common::check_diagnostics(&[d]),
    };
    let body = "<p>The body, with <code>{{ not a template }}</code>.</p>";
    if let Err(d) = page_html(&theme, &page(), body, &[("Q?".into(), "A.".into())]) {
        common::check_diagnostics(&[d]);
    }
    if let Err(d) = index_html(&theme, &index()) {
        common::check_diagnostics(&[d]);
    }
});
