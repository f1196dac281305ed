//! Properties of any input: arbitrary text and generated notebooks (random frontmatter, cells
//! with random options and scripts, prose with template tags and cross-references) give a page
//! or diagnostics, never a panic, and every diagnostic points at a line of the notebook.
//!
//! The seed is fixed so CI is repeatable; `PROPTEST_RNG_SEED=N` explores elsewhere.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use nbrender::diag::Diagnostic;
use nbrender::site::{BuildOptions, Silent, build};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// The data folders the fixture notebooks read, merged into the site's `data/`.
const DATA: &[&str] = &["tests/fixtures/pages/features/data", "tests/fixtures/errors/data", "notebooks/data"];

/// A site folder with the sample data and room for one notebook, `nb.md`.
struct Site {
    dir: tempfile::TempDir,
    /// How many checks gave a page and how many gave diagnostics.
    outcomes: std::cell::Cell<(usize, usize)>,
}

impl Site {
    fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        for from in DATA {
            let from = Path::new(env!("CARGO_MANIFEST_DIR")).join(from);
            for entry in std::fs::read_dir(from).unwrap().flatten() {
                std::fs::copy(entry.path(), data.join(entry.file_name())).unwrap();
            }
        }
        Site { dir, outcomes: std::cell::Cell::new((0, 0)) }
    }

    fn notebook(&self) -> PathBuf {
        self.dir.path().join("nb.md")
    }

    /// Checks `text` as the site's only notebook (everything a build does, nothing written):
    /// a page, or diagnostics that each name the notebook and a line in it.
    fn check(&self, text: &str) -> Result<(), TestCaseError> {
        let file = self.notebook();
        std::fs::write(&file, text).unwrap();
        let opts = BuildOptions { out: self.dir.path().join("out"), dry_run: true, ..BuildOptions::default() };
        let outcome = std::panic::catch_unwind(|| build(&file, &opts, &Silent));
        let Ok(outcome) = outcome else { return Err(TestCaseError::fail("the build panicked")) };
        let (pages, failures) = self.outcomes.get();
        match outcome {
            Ok(report) => {
                prop_assert_eq!(report.pages, 1);
                self.outcomes.set((pages + 1, failures));
            }
            Err(failure) => {
                self.outcomes.set((pages, failures + 1));
                prop_assert!(!failure.diagnostics.is_empty(), "a failure without diagnostics");
                for d in &failure.diagnostics {
                    located_in_notebook(d, text)?;
                }
                let shown = nbrender::diag::render(&failure.diagnostics, false);
                prop_assert!(shown.contains("error["), "{}", shown);
            }
        }
        Ok(())
    }

    /// Both outcomes occurred, or the inputs did not exercise anything.
    fn assert_both_outcomes(&self) {
        let (pages, failures) = self.outcomes.get();
        assert!(pages >= 10 && failures >= 10, "pages {pages}, failures {failures}");
    }
}

/// The diagnostic names `nb.md` and a line that exists in it.
fn located_in_notebook(d: &Diagnostic, text: &str) -> Result<(), TestCaseError> {
    prop_assert!(d.code != "internal", "an internal error: {}", d.message);
    let Some((file, line, _)) = d.position() else {
        return Err(TestCaseError::fail(format!("[{}] {} has no location", d.code, d.message)));
    };
    prop_assert!(file.ends_with("nb.md"), "[{}] located in {}", d.code, file);
    let lines = text.lines().count().max(1);
    prop_assert!(line >= 1 && line <= lines, "[{}] {} at line {} of {} lines", d.code, d.message, line, lines);
    Ok(())
}

fn config(cases: u32) -> Config {
    let explore = std::env::var_os("PROPTEST_RNG_SEED").is_some();
    Config {
        cases,
        rng_seed: if explore { Config::default().rng_seed } else { RngSeed::Fixed(0x6E62_7265_6E64_6572) },
        failure_persistence: None,
        ..Config::default()
    }
}

/// Pieces of notebook syntax that random text rarely hits on its own.
const TOKENS: &[&str] = &[
    "---",
    "```{rhai}",
    "```",
    "~~~",
    "//| ",
    "#| ",
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "@fig-",
    "@tbl-",
    "@sec-",
    "{#fig-",
    "[^",
    "]:",
    "## ",
    "results(\"",
    "band(",
    "table(",
    "#{",
    "label: ",
    "\n",
    "\r\n",
    "é",
    "\"",
];

fn token_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![proptest::sample::select(TOKENS).prop_map(str::to_string), "[ -~]{0,6}"];
    proptest::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

/// A frontmatter value: plain, quoted, templated, a list or a map, or broken YAML.
fn yaml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 .-]{0,12}",
        Just("\"{{ x | money }}\"".to_string()),
        Just("\"{{ nope }}\"".to_string()),
        Just("\"{{ x\"".to_string()),
        Just("42".to_string()),
        Just("2026-05-01".to_string()),
        Just("data/comp.csv".to_string()),
        Just("[a, b]".to_string()),
        Just("{ slug: other }".to_string()),
        Just("\n  comp: data/comp.csv".to_string()),
        Just("\n  level: L5".to_string()),
        Just("\n  - other\n  - { title: T, href: \"javascript:x\" }".to_string()),
        Just("\n  echo: false".to_string()),
        Just(": : [".to_string()),
    ]
}

fn frontmatter() -> impl Strategy<Value = String> {
    // Mostly keys and values that are right, so that many notebooks get as far as a page.
    let good = proptest::sample::select(vec![
        "section: \"2.1\"",
        "group: Things",
        "prefix: pp",
        "lede: \"About {{ x | money_k }}\"",
        "blurb: A short one",
        "updated: 2026-05-01",
        "params:\n  level: L5",
        "related:\n  - { title: Elsewhere, href: \"https://example.com\" }",
        "execute:\n  echo: false",
    ])
    .prop_map(str::to_string);
    let key = prop_oneof![
        // Every key the frontmatter knows, and one misspelt.
        proptest::sample::select([nbrender::notebook::frontmatter::KEYS, &["titel"]].concat()).prop_map(str::to_string),
        "[a-z_]{1,8}",
    ];
    let any = (key, yaml_value()).prop_map(|(key, value)| format!("{key}: {value}"));
    let entry = prop_oneof![6 => good, 1 => any];
    (proptest::bool::weighted(0.9), proptest::collection::vec(entry, 0..4)).prop_map(|(titled, entries)| {
        let mut text = String::from("---\n");
        if titled {
            text.push_str("title: A page\ndata:\n  comp: data/comp.csv\n");
        }
        for entry in entries {
            text.push_str(&entry);
            text.push('\n');
        }
        text.push_str("---\n");
        text
    })
}

/// One of `good`, mostly, or one of `bad`.
fn mostly(good: &[&'static str], bad: &[&'static str]) -> BoxedStrategy<String> {
    let good = proptest::sample::select(good.to_vec()).prop_map(str::to_string);
    let bad = prop_oneof![proptest::sample::select(bad.to_vec()).prop_map(str::to_string), "[ -~]{0,16}"];
    prop_oneof![6 => good, 1 => bad].boxed()
}

fn cell() -> impl Strategy<Value = String> {
    let option = mostly(
        &[
            "//| label: fig-a",
            "//| label: tbl-t",
            "//| fig-cap: a caption with {{ x }}",
            "//| tbl-cap: rows",
            "//| echo: false",
            "//| output: false",
            "//| alt: described",
        ],
        &["//| label: bad label", "//| eval: maybe", "#| colour: red", "//| label: fig-a\n//| label: fig-b"],
    );
    let statement = mostly(
        &[
            "let y = band(1, 2) * 3;",
            "let z = band_of(column(comp, \"tc_lo\"));",
            "bar_chart(rows, #{ y: \"k\", x: \"v\" })",
            "band_chart(rows, #{ y: \"k\", lo: \"v\", hi: \"v\" })",
            "line_chart(rows, #{ x: \"k\", y: \"v\" })",
            "stacked_bar_chart(rows, #{ y: \"k\", stack: [\"v\"] })",
            "table(rows, [#{ key: \"k\", title: \"K\" }])",
            "print(x);",
            "let i = 0; while i < 50 { i += 1; }",
            "x / 3",
        ],
        &["results(\"other\")", "x / 0", "throw \"no\";", "let s = \"é\"; s.sub_string(0, 9)", "undefined_fn()"],
    );
    (
        proptest::sample::select(vec!["```{rhai}", "~~~{rhai}", "```{rhai} ", "````{rhai}"]),
        proptest::collection::vec(option, 0..3),
        proptest::collection::vec(statement, 0..4),
        proptest::bool::weighted(0.9),
    )
        .prop_map(|(fence, options, statements, closed)| {
            let mut text = format!("{fence}\n");
            for line in options.into_iter().chain(statements) {
                text.push_str(&line);
                text.push('\n');
            }
            if closed {
                text.push_str(&fence.trim_end().replace("{rhai}", ""));
                text.push('\n');
            }
            text
        })
}

fn prose() -> impl Strategy<Value = String> {
    let piece = mostly(
        &[
            "Some words, and more.",
            "{{ x }}",
            "{{ x | money_k }}",
            "{{ x | num }}",
            "{% for r in rows %}{{ r.k }}{% endfor %}",
            "\n## Intro {#sec-intro}\n\nSee @sec-intro.\n",
            "\n| a | b |\n|---|---|\n| 1 | 2 |\n\n: caption {#tbl-x}\n\nAs @tbl-x shows.\n",
            "A note.[^n]\n\n[^n]: the note\n",
            "\n## FAQ {.faq}\n\n### Why?\n\nBecause.\n",
            "<script>alert(1)</script> & \"quotes\"",
            "\n",
        ],
        &[
            "{{ undefined_name }}",
            "{{ x | nosuchfilter }}",
            "{% if x %}",
            "{{ figure(\"other\", \"fig-a\") }}",
            "See @fig-a and @tbl-t.",
            "@sec-nowhere",
            "\n: orphan caption {#tbl-y}\n",
        ],
    );
    proptest::collection::vec(piece, 0..6).prop_map(|pieces| pieces.concat() + "\n")
}

/// The first cell defines what the other blocks use, most of the time.
const PREAMBLE: &str = "```{rhai}\nlet x = 1000;\nlet rows = [#{ k: \"a\", v: 1 }, #{ k: \"b\", v: 2 }];\n```\n";

fn notebook() -> impl Strategy<Value = String> {
    let block = prop_oneof![cell(), prose()];
    (frontmatter(), proptest::bool::weighted(0.8), proptest::collection::vec(block, 0..4)).prop_map(
        |(front, preamble, blocks)| {
            let preamble = if preamble { PREAMBLE } else { "" };
            front + preamble + blocks.concat().as_str()
        },
    )
}

#[test]
fn arbitrary_text_gives_a_page_or_located_diagnostics() {
    let site = Site::new();
    proptest!(config(160), |(text in any::<String>())| {
        site.check(&text)?;
        site.check(&format!("---\ntitle: T\n---\n{text}"))?;
    });
    site.assert_both_outcomes();
}

#[test]
fn syntax_soup_gives_a_page_or_located_diagnostics() {
    let site = Site::new();
    proptest!(config(160), |(text in token_soup())| {
        site.check(&text)?;
        site.check(&format!("---\ntitle: T\n---\n{text}"))?;
    });
    site.assert_both_outcomes();
}

#[test]
fn generated_notebooks_give_a_page_or_located_diagnostics() {
    let site = Site::new();
    proptest!(config(160), |(text in notebook())| {
        site.check(&text)?;
    });
    site.assert_both_outcomes();
}
