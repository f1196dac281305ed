//! `--theme DIR` replaces the default theme's files with the folder's, file by file, and takes
//! precedence over `theme:` in `_site.yaml` (docs/format.md, 8.2 and 8.7).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{self, Project, notebook};

const CLI_MARKER: &str = "<!-- theme: from the command line -->";
const SITE_MARKER: &str = "<!-- theme: from _site.yaml -->";

/// A project of two notebooks, and two themes: `elsewhere/cli-theme/` (outside the notebooks
/// folder, for `--theme`) and `notebooks/site-theme/` (for `theme:`). Each is the default
/// `page.html` with its marker after `<body>`; the command-line theme also has a `style.css`.
fn project() -> Project {
    let p = Project::empty();
    notebook(&p, "one", "", "let x = 1;", "One is {{ x }}.");
    notebook(&p, "two", "", "let y = 2;", "Two is {{ y }}.");
    let page = std::fs::read_to_string(common::crate_path("themes/notebook/page.html")).unwrap();
    assert!(page.contains("<body>\n"), "the default page.html has a <body> line");
    p.write("elsewhere/cli-theme/page.html", &page.replacen("<body>\n", &format!("<body>\n{CLI_MARKER}\n"), 1));
    p.write("elsewhere/cli-theme/style.css", "/* cli-theme */ body { margin: 0 }\n");
    p.write("notebooks/site-theme/page.html", &page.replacen("<body>\n", &format!("<body>\n{SITE_MARKER}\n"), 1));
    p
}

fn build(p: &Project, out: &str, extra: &[&str]) -> String {
    let mut args = vec!["notebooks/", "-o", out];
    args.extend_from_slice(extra);
    let run = p.run(&args);
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    p.read(&format!("{out}/one/index.html"))
}

#[test]
fn the_command_line_theme_replaces_the_default_files_it_has() {
    let p = project();
    let default_page = build(&p, "plain", &[]);
    assert!(!default_page.contains(CLI_MARKER) && !default_page.contains(SITE_MARKER));
    let default_css = p.read("plain/assets/style.css");
    assert!(!default_css.contains("cli-theme"));

    let page = build(&p, "themed", &["--theme", "elsewhere/cli-theme"]);
    assert!(page.contains(CLI_MARKER), "the --theme page.html is not used:\n{page}");
    assert!(p.read("themed/two/index.html").contains(CLI_MARKER), "every page uses it");
    assert_eq!(p.read("themed/assets/style.css"), "/* cli-theme */ body { margin: 0 }\n");
    // What the theme folder does not have stays the default's: the index.
    assert_eq!(p.read("themed/index.html"), p.read("plain/index.html"));
    // And the article itself is the same.
    assert_eq!(common::article(&page), common::article(&default_page));
}

#[test]
fn the_command_line_theme_takes_precedence_over_the_site_yaml_theme() {
    let p = project();
    p.write("notebooks/_site.yaml", "title: Themed\ntheme: site-theme\n");
    let page = build(&p, "site", &[]);
    assert!(page.contains(SITE_MARKER), "the theme: of _site.yaml is not used:\n{page}");
    assert!(!page.contains(CLI_MARKER));

    let page = build(&p, "cli", &["--theme", "elsewhere/cli-theme"]);
    assert!(page.contains(CLI_MARKER), "--theme is not used over theme:\n{page}");
    assert!(!page.contains(SITE_MARKER), "the theme: of _site.yaml is mixed in with --theme:\n{page}");

    // `check` takes `--theme` too, and checks its templates.
    p.write("elsewhere/broken/page.html", "{% if %}\n");
    let run = p.run(&["check", "notebooks/", "--theme", "elsewhere/broken"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("error[theme::load]"), "{}", run.stderr);
}
