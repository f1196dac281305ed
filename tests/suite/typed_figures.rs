//! The `prose::typed-figure` lint end to end: a figure typed into each place a reader sees is
//! warned about once, at its line and column; `literal` quiets it; `check --strict` and
//! `strict: true` in `_site.yaml` make the warnings errors; the shipped notebooks type none.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{self, Project};

use nbrender::site::{self, BuildOptions, Cache, Silent};

/// A project whose notebooks folder holds the fixture of typed figures.
fn typed() -> Project {
    let p = Project::empty();
    std::fs::create_dir_all(p.path("notebooks")).unwrap();
    std::fs::copy(common::crate_path("tests/fixtures/lint/typed.md"), p.path("notebooks/typed.md")).unwrap();
    p
}

/// Each warning of `check --format json` as (code, line, column, the text it spans).
fn warnings(p: &Project, args: &[&str]) -> Vec<(String, u64, u64, String)> {
    let run = p.run(args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
        .lines()
        .map(|l| {
            let d: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            assert_eq!(d["severity"], "warning", "{l}");
            let (line, column, end) =
                (d["line"].as_u64().unwrap(), d["column"].as_u64().unwrap(), d["end_column"].as_u64().unwrap());
            assert_eq!(d["end_line"].as_u64(), Some(line), "{l}");
            let text = p.read(d["file"].as_str().unwrap());
            let line_text = text.lines().nth(line as usize - 1).unwrap();
            let spanned: String = line_text.chars().skip(column as usize - 1).take((end - column) as usize).collect();
            (d["code"].as_str().unwrap().to_string(), line, column, spanned)
        })
        .collect()
}

/// Where `figure` is written on `line` of the fixture: its 1-based line and column.
fn at(line: u64, figure: &str) -> (String, u64, u64, String) {
    let text = std::fs::read_to_string(common::crate_path("tests/fixtures/lint/typed.md")).unwrap();
    let line_text = text.lines().nth(line as usize - 1).unwrap();
    let byte = line_text.find(figure).unwrap_or_else(|| panic!("`{figure}` is not on line {line}"));
    let column = line_text[..byte].chars().count() as u64 + 1;
    ("prose::typed-figure".to_string(), line, column, figure.to_string())
}

#[test]
fn a_figure_typed_in_each_place_is_warned_once_at_its_place() {
    let p = typed();
    let found = warnings(&p, &["check", "--format", "json", "notebooks/"]);
    let expected = [
        at(3, "12%"),              // lede
        at(4, "$150k"),            // description
        at(5, "120–180k USD"),     // blurb: a range, one warning
        at(6, "10 to 25 percent"), // headline, beside a `literal`
        at(15, "5%"),              // a heading
        at(17, "$150,000"),        // a paragraph
        at(19, "€90k"),            // a list item a loop repeats: one place
        at(24, "40,000 dollars"),  // a table cell
        at(26, "25%"),             // a bare `{{ "25%" }}` tag
        at(33, "ten percent"),     // a FAQ answer
    ];
    assert_eq!(found, expected);
    // The page is still written: a warning never stops a build.
    let run = p.run(&["notebooks/", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr.matches("warning[prose::typed-figure]").count(), 10, "{}", run.stderr);
    let page = p.read("out/typed/index.html");
    assert!(page.contains("in 1999 $90k") || p.read("out/index.html").contains("in 1999 $90k"));
    assert!(page.contains("$1.2M in 1999 is quoted on purpose"), "a literal is published as typed");
}

#[test]
fn the_one_page_build_and_check_show_the_warnings_too() {
    let p = typed();
    let single = warnings(&p, &["check", "--format", "json", "notebooks/typed.md"]);
    assert_eq!(single.len(), 10, "{single:?}");
    let run = p.run(&["notebooks/typed.md", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr.matches("warning[prose::typed-figure]").count(), 10, "{}", run.stderr);
    let run = p.run(&["check", "notebooks/"]);
    assert!(run.stderr.trim_end().ends_with(": 10 warnings"), "{}", run.stderr);
}

#[test]
fn check_strict_counts_typed_figures_as_errors() {
    let p = typed();
    let run = p.run(&["check", "--strict", "notebooks/"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("error: 10 warnings found, and --strict counts them as errors"), "{}", run.stderr);
}

#[test]
fn strict_in_site_yaml_makes_every_warning_an_error() {
    let p = typed();
    p.write("notebooks/_site.yaml", "title: S\nstrict: true\n");
    let run = p.run(&["notebooks/", "-o", "out"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stderr.matches("error[prose::typed-figure]").count(), 10, "{}", run.stderr);
    assert!(!run.stderr.contains("warning["), "{}", run.stderr);
    assert!(run.stderr.contains("an error under `strict: true`"), "{}", run.stderr);
    assert!(run.stderr.trim_end().ends_with("error: 10 errors found; nothing was written"), "{}", run.stderr);
    assert!(!p.exists("out"), "a strict build that fails writes nothing");
    for args in [&["check", "notebooks/"][..], &["notebooks/typed.md", "-o", "one"]] {
        let run = p.run(args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("error[prose::typed-figure]"), "{}", run.stderr);
    }
    // Without figures, a strict site builds.
    p.write("notebooks/typed.md", "---\ntitle: Computed\n---\n```{rhai}\nlet p = 0.1;\n```\n\n{{ p | pct }} more.\n");
    let run = p.run(&["notebooks/", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn the_shipped_notebooks_type_no_figures() {
    let p = Project::with_notebooks("notebooks");
    let run = p.run(&["check", "--strict", "--format", "json", "notebooks/"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "", "the shipped notebooks compute every figure they show");
    // They are read: the same figure typed into one of them is found.
    let mlops = p.read("notebooks/mlops.md").replacen(
        "## Abstract {.unnumbered}\n",
        "## Abstract {.unnumbered}\n\nUp 12% a year.\n",
        1,
    );
    p.write("notebooks/mlops.md", &mlops);
    let run = p.run(&["check", "--format", "json", "notebooks/"]);
    let found: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(found.len(), 1, "{}", run.stdout);
    assert!(found[0].contains("\"message\":\"`12%` is a percentage typed into the prose\""), "{}", found[0]);
}

#[test]
fn a_page_kept_by_a_rebuild_keeps_its_warnings() {
    let p = typed();
    p.write("notebooks/other.md", "---\ntitle: Other\n---\nNothing typed.\n");
    let opts = BuildOptions { out: p.path("site"), ..BuildOptions::default() };
    let mut cache = Cache::default();
    let first = site::rebuild(&p.path("notebooks"), &opts, &Silent, &mut cache).expect("the site builds");
    assert_eq!(first.warnings.len(), 10);
    p.write("notebooks/other.md", "---\ntitle: Other\n---\nStill nothing typed.\n");
    let again = site::rebuild(&p.path("notebooks"), &opts, &Silent, &mut cache).expect("the rebuild succeeds");
    assert_eq!(again.rendered, 1, "only the changed page is rendered again");
    let shown = |r: &site::Report| r.warnings.iter().map(|d| (d.message.clone(), d.position())).collect::<Vec<_>>();
    assert_eq!(shown(&again), shown(&first), "the kept page keeps its warnings");
}

#[test]
fn literal_takes_a_string_only() {
    let p = Project::empty();
    p.write("notebooks/nb.md", "---\ntitle: T\n---\n```{rhai}\nlet n = 5;\n```\n\nSee {{ n | literal }}.\n");
    let run = p.run(&["check", "notebooks/"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("`literal` publishes text typed in quotes"), "{}", run.stderr);
    assert!(run.stderr.contains("nb.md:8:12"), "at the filter: {}", run.stderr);
    p.write("notebooks/nb.md", "---\ntitle: T\n---\nSee {{ \"5%\" | literl }}.\n");
    let run = p.run(&["check", "notebooks/"]);
    assert!(run.stderr.contains("hint: did you mean `literal`?"), "{}", run.stderr);
}

#[test]
fn hostile_prose_is_linted_quickly_and_without_a_panic() {
    let p = Project::empty();
    let digits = "9".repeat(1_000_000);
    let nested = format!("{}5%{}", "*a ".repeat(5_000), " a*".repeat(5_000));
    let body = format!(
        "```{{rhai}}\nlet x = 1;\n```\n\n{digits}%\n\n{nested}\n\n$150{{{{ x }}}}00 and 1{{{{ x }}}}0%\n\n{{% for i in range(20000) %}}1% {{% endfor %}}\n"
    );
    p.write("notebooks/nb.md", &format!("---\ntitle: T\n---\n{body}"));
    let measured = p.run_measured(&["check", "--format", "json", "notebooks/"]);
    assert_eq!(measured.run.code, 0, "{}", measured.run.stderr);
    let lines: Vec<serde_json::Value> = measured.run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let places: Vec<(u64, u64)> =
        lines.iter().map(|d| (d["line"].as_u64().unwrap(), d["column"].as_u64().unwrap())).collect();
    // The digits and their sign, the figure in the emphasis, the one typed in the loop; the
    // figures split by a value are not typed whole.
    assert_eq!(places, [(8, 1), (10, 15_001), (14, 28)], "{}", measured.run.stdout);
    assert!(lines[0]["message"].as_str().unwrap().ends_with("…` is a percentage typed into the prose"));
    assert!(measured.seconds < 60.0, "a hang guard, not a benchmark: {} s", measured.seconds);
}

#[test]
fn a_notebook_that_types_figures_by_the_thousand_shows_a_hundred() {
    let p = Project::empty();
    let line = "1% ".repeat(100_000);
    p.write("notebooks/nb.md", &format!("---\ntitle: T\nlede: {line}\n---\n{line}\n"));
    let measured = p.run_measured(&["check", "notebooks/"]);
    let run = &measured.run;
    assert_eq!(run.code, 0, "{}", &run.stderr[..run.stderr.len().min(2000)]);
    assert_eq!(run.stderr.matches("warning[prose::typed-figure]").count(), 200);
    assert_eq!(run.stderr.matches("(and 99,900 more figures typed into this notebook, not shown)").count(), 2);
    assert!(measured.seconds < 60.0, "a hang guard, not a benchmark: {} s", measured.seconds);
}
