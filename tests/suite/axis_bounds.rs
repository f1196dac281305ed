//! Value-axis bounds (issue 16): a chart given `x_min`/`x_max` (or `y_min`/`y_max`) draws its
//! axis between them, and `figure()` redraws another notebook's chart on the bounds of its
//! call, so two charts shown side by side share a scale.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{Project, notebook};

/// The tick labels of an SVG chart, left to right (or bottom to top), as drawn.
fn ticks(svg: &str) -> Vec<String> {
    svg.split("<text class=\"nbc-tick\"")
        .skip(1)
        .filter_map(|rest| rest.split('\n').nth(1))
        .map(str::to_string)
        .collect()
}

const BANDS: &str = r#"let rows = [
    #{ tier: "Large tech platform", lo: 380000, hi: 520000 },
    #{ tier: "Late-stage startup", lo: 300000, hi: 430000 },
    #{ tier: "Early-stage startup", lo: 270000, hi: 360000 },
];"#;

#[test]
fn a_chart_with_bounds_draws_its_axis_between_them() {
    let p = Project::empty();
    let script =
        format!("{BANDS}\nband_chart(rows, #{{ y: \"tier\", lo: \"lo\", hi: \"hi\", x_min: 100000, x_max: 700_000 }})");
    notebook(&p, "bounded", "", &format!("//| label: fig-bands\n{script}"), "Bands.");
    notebook(
        &p,
        "open",
        "",
        &format!("//| label: fig-bands\n{}", script.replace(", x_min: 100000, x_max: 700_000", "")),
        "Bands.",
    );
    let levels =
        r#"let levels = [#{ level: "L4", tc: 265000 }, #{ level: "L5", tc: 390000 }, #{ level: "L6", tc: 545000 }];"#;
    notebook(
        &p,
        "lines",
        "",
        &format!(
            "//| label: fig-levels\n{levels}\nline_chart(levels, #{{ x: \"level\", y: \"tc\", y_min: 0, y_max: 800000 }})"
        ),
        "Levels.",
    );
    notebook(
        &p,
        "bars",
        "",
        &format!("//| label: fig-tops\n{BANDS}\nbar_chart(rows, #{{ y: \"tier\", x: \"hi\", x_max: 1000000 }})"),
        "Tops.",
    );
    let run = p.run(&["notebooks/", "-o", "out", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    let bounded = ticks(&p.read("out/bounded/fig-bands.svg"));
    assert_eq!(bounded, ["$100k", "$200k", "$300k", "$400k", "$500k", "$600k", "$700k"]);
    let open = ticks(&p.read("out/open/fig-bands.svg"));
    assert_ne!(open.first().map(String::as_str), Some("$100k"), "without bounds the axis hugs the data: {open:?}");
    let lines = ticks(&p.read("out/lines/fig-levels.svg"));
    assert_eq!((lines.first().map(String::as_str), lines.last().map(String::as_str)), (Some("$0"), Some("$800k")));
    let bars = ticks(&p.read("out/bars/fig-tops.svg"));
    assert_eq!((bars.first().map(String::as_str), bars.last().map(String::as_str)), (Some("$0"), Some("$1M")));
    // The page shows the same drawing as the file beside it.
    assert!(p.read("out/bounded/index.html").contains(&p.read("out/bounded/fig-bands.svg")));
}

#[test]
fn an_embedded_figure_is_redrawn_on_the_bounds_of_its_call() {
    let p = Project::empty();
    let chart = format!(
        "//| label: fig-bands\n//| fig-cap: MLOps bands\n{BANDS}\nband_chart(rows, #{{ y: \"tier\", lo: \"lo\", hi: \"hi\" }})"
    );
    notebook(&p, "mlops", "", &chart, "The bands.");
    let page = "Side by side, on one scale:\n\n{{ figure(\"mlops\", \"fig-bands\", x_min=100000, x_max=700000) }}\n\nAs drawn there:\n\n{{ figure(\"mlops\", \"fig-bands\") }}";
    notebook(&p, "page", "", "let n = 1;", page);
    let run = p.run(&["notebooks/", "-o", "out", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    // The redrawn chart is written beside the page, and its download link points at it.
    let redrawn = p.read("out/page/embed-mlops-fig-bands.svg");
    assert_eq!(ticks(&redrawn), ["$100k", "$200k", "$300k", "$400k", "$500k", "$600k", "$700k"]);
    let html = p.read("out/page/index.html");
    assert!(html.contains(&redrawn), "the page shows the redrawn chart");
    assert!(html.contains("<a href=\"embed-mlops-fig-bands.svg\" download>SVG</a>"), "{html}");
    assert!(html.contains("figure mlops-1 : MLOps bands"), "the caption stays the chart's own");

    // The call without bounds shows the chart as its page draws it, and links there.
    let own = p.read("out/mlops/fig-bands.svg");
    assert_ne!(ticks(&own), ticks(&redrawn));
    assert!(html.contains(&own));
    assert!(html.contains("<a href=\"../mlops/fig-bands.svg\" download>SVG</a>"));
}

#[test]
fn a_figure_bound_that_does_not_fit_is_an_error_at_the_call() {
    let p = Project::empty();
    let chart = format!("//| label: fig-bands\n{BANDS}\nband_chart(rows, #{{ y: \"tier\", lo: \"lo\", hi: \"hi\" }})");
    notebook(&p, "mlops", "", &chart, "The bands.");
    for (call, message) in [
        ("x_max=500000", "`x_max` 500000 cuts the band of \"Large tech platform\", which ends at 520000"),
        ("y_max=700000", "`y_max` does not apply: this band chart's value axis runs across (horizontal)"),
        ("x_maxx=700000", "unknown keyword `x_maxx`; did you mean `x_max`?"),
        ("x_min=\"100k\"", "`x_min` must be a number, not the string \"100k\""),
        ("x_min=500000, x_max=400000", "`x_min` (500000) must be less than `x_max` (400000)"),
    ] {
        notebook(&p, "page", "", "let n = 1;", &format!("Here:\n\n{{{{ figure(\"mlops\", \"fig-bands\", {call}) }}}}"));
        let run = p.run(&["notebooks/", "-o", "out"]);
        assert_eq!(run.code, 1, "{call}");
        assert!(run.stderr.contains(message), "{call}: {}", run.stderr);
        // The cell fence closes on line 6; "Here:" is line 8 and the call line 10.
        assert!(run.stderr.contains("notebooks/page.md:10:4"), "{call}: {}", run.stderr);
        assert!(!p.exists("out"));
    }
}
