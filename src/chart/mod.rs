//! Stage 4, draw: chart specifications built by cells, drawn with plotters into SVG and PNG.
//!
//! Cells build a [`ChartSpec`] (the exec stage validates rows and options and hands over
//! plain numbers); this module lays the chart out and draws it. plotters, ab_glyph and png
//! live here and nowhere else.
//!
//! - `band`: band chart layout (pure arithmetic) and drawing (any plotters backend)
//! - `bar`, `stacked`, `line`: the other kinds' layouts, each into a `scene`
//! - `frame`: what every kind lays out alike (titles, legend, category names, value axis)
//! - `scene`: marks in px and their drawing, shared by bar, stacked bar and line charts
//! - `label`: positioned text shared by chart kinds
//! - `scale`: round value-axis ranges and ticks that leave room for labels
//! - `bounds`: value-axis bounds a writer fixes (`x_min`, `y_max`), and their checks
//! - `format`: compact tick and label numbers (`$190k`, `12.5%`)
//! - `text`: text width estimates, shortening, escaping
//! - `palette`: colours per role and the dark-mode stylesheet
//! - `svg`: the SVG backend and the finishing pass over its output
//! - `png`: the bitmap backend and PNG encoding; `glyphs`: its text, in the compiled-in font

mod band;
mod bar;
mod bounds;
mod format;
mod frame;
mod glyphs;
mod label;
mod line;
mod palette;
mod png;
mod scale;
mod scene;
mod stacked;
mod svg;
mod text;

use std::fmt;

pub use bounds::{AxisBounds, BoundsError, ValueAxis};
pub use format::format_tick;
pub use frame::{MAX_GROWN, MAX_SET, MIN_HEIGHT, MIN_WIDTH};

/// How axis ticks and value labels are formatted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AxisFormat {
    /// `$190k`, `$1.25M`
    #[default]
    MoneyK,
    /// `10%`
    Pct,
    /// `1,234`
    Num,
}

/// One category of a band chart: a floating bar from `lo` to `hi`.
#[derive(Debug, Clone, PartialEq)]
pub struct BandRow {
    pub category: String,
    pub lo: f64,
    pub hi: f64,
}

/// One category of a bar, stacked bar or line chart: a value per series, in series order
/// (`None` where the category has no value for that series).
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesRow {
    pub category: String,
    pub values: Vec<Option<f64>>,
}

/// Named series and their values per category, categories in drawing order.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesTable {
    /// Group names (`by`), stack column names, or the one value column's name.
    pub series: Vec<String>,
    pub rows: Vec<SeriesRow>,
}

impl SeriesTable {
    /// The checks every kind makes before laying the table out.
    fn check(&self, kind: &str) -> Result<(), ChartError> {
        if self.rows.is_empty() {
            return Err(ChartError::new(format!("a {kind} needs at least one row")));
        }
        let n = self.series.len();
        if n == 0 || n > palette::SERIES {
            return Err(ChartError::new(format!(
                "a {kind} draws 1 to {} series, not {n}; filter or combine the groups",
                palette::SERIES
            )));
        }
        for row in &self.rows {
            if row.values.len() != n {
                let name = text::clean(&row.category);
                return Err(ChartError::new(format!(
                    "{kind} row \"{name}\" has {} values for {n} series",
                    row.values.len()
                )));
            }
            for (series, value) in self.series.iter().zip(&row.values) {
                if let Some(v) = value {
                    frame::check_finite(kind, &row.category, series, *v)?;
                }
            }
        }
        Ok(())
    }
}

/// The data a chart draws, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum ChartData {
    Bands(Vec<BandRow>),
    /// Horizontal bars from zero; with several series, a group of bars per category.
    Bars(SeriesTable),
    /// Horizontal bars of stacked segments, one per series; no value counts as zero.
    Stacked(SeriesTable),
    /// One line per series across the categories, in order.
    Lines(SeriesTable),
}

/// A validated chart, ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    pub data: ChartData,
    pub title: Option<String>,
    pub x_title: Option<String>,
    pub y_title: Option<String>,
    pub format: AxisFormat,
    /// CSS px; `None` means the default.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Fixed ends of the value axis (`x_min`/`x_max` or `y_min`/`y_max`); open by default.
    pub bounds: AxisBounds,
}

/// A chart that cannot be drawn, with a message for the user (the caller adds the location).
#[derive(Debug, Clone, PartialEq)]
pub struct ChartError {
    pub message: String,
}

impl ChartError {
    fn new(message: impl Into<String>) -> Self {
        ChartError { message: message.into() }
    }
}

impl fmt::Display for ChartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ChartError {}

/// Draws the chart as a complete standalone `<svg ...>...</svg>` element (no XML declaration),
/// usable both inline in HTML and as a .svg file. Its colours follow the page's colour scheme
/// through an embedded stylesheet.
///
/// `alt` becomes the accessible name; when it is blank the title (or a generic name) is used,
/// because an image role with an empty name is announced as nothing at all.
pub fn to_svg(spec: &ChartSpec, alt: &str) -> Result<String, ChartError> {
    svg_of(spec, alt, false)
}

/// Draws the chart as an SVG file that is dark wherever it is shown: the dark palette written
/// as colours, on the theme's dark sheet colour, with no stylesheet rules to switch them.
pub fn to_dark_svg(spec: &ChartSpec, alt: &str) -> Result<String, ChartError> {
    svg_of(spec, alt, true)
}

/// Draws the chart as a PNG file's bytes at `scale` device px per CSS px (2.0 for sharp
/// display), light or dark, with its text in the font compiled into the binary.
pub fn to_png(spec: &ChartSpec, scale: f64, dark: bool) -> Result<Vec<u8>, ChartError> {
    match lay_out(spec)? {
        Laid::Band(layout) => png::encode(&png::Drawing::Band(&layout), scale, dark),
        Laid::Scene(scene, _) => png::encode(&png::Drawing::Scene(&scene), scale, dark),
    }
}

/// The chart's size in CSS px, as drawn (its own `width` and `height` or the defaults).
pub fn size(spec: &ChartSpec) -> Result<(u32, u32), ChartError> {
    Ok(match lay_out(spec)? {
        Laid::Band(layout) => (layout.width, layout.height),
        Laid::Scene(scene, _) => (scene.width, scene.height),
    })
}

/// A chart laid out in CSS px, ready for either backend.
enum Laid {
    Band(band::BandLayout),
    /// With the kind's generic accessible name.
    Scene(scene::Scene, &'static str),
}

fn lay_out(spec: &ChartSpec) -> Result<Laid, ChartError> {
    spec.check_bounds().map_err(|e| ChartError::new(e.message))?;
    Ok(match &spec.data {
        ChartData::Bands(rows) => Laid::Band(band::layout(spec, rows)?),
        ChartData::Bars(table) => Laid::Scene(bar::layout(spec, table)?, "Bar chart"),
        ChartData::Stacked(table) => Laid::Scene(stacked::layout(spec, table)?, "Stacked bar chart"),
        ChartData::Lines(table) => Laid::Scene(line::layout(spec, table)?, "Line chart"),
    })
}

fn svg_of(spec: &ChartSpec, alt: &str, dark: bool) -> Result<String, ChartError> {
    match lay_out(spec)? {
        Laid::Band(layout) => svg::band_svg(&layout, &accessible_name(spec, alt, "Band chart"), dark),
        Laid::Scene(scene, kind) => svg::scene_svg(&scene, &accessible_name(spec, alt, kind), dark),
    }
}

fn accessible_name(spec: &ChartSpec, alt: &str, kind: &str) -> String {
    let alt = text::clean(alt);
    if !alt.is_empty() {
        return alt;
    }
    spec.title.as_deref().map(text::clean).filter(|t| !t.is_empty()).unwrap_or_else(|| kind.to_string())
}

#[cfg(test)]
mod tests {
    use super::palette::Role;
    use super::*;

    fn row(category: &str, lo: f64, hi: f64) -> BandRow {
        BandRow { category: category.to_string(), lo, hi }
    }

    fn bands(rows: Vec<BandRow>) -> ChartSpec {
        ChartSpec {
            data: ChartData::Bands(rows),
            title: None,
            x_title: None,
            y_title: None,
            format: AxisFormat::MoneyK,
            width: None,
            height: None,
            bounds: AxisBounds::default(),
        }
    }

    fn sample() -> ChartSpec {
        ChartSpec {
            title: Some("L5 total compensation by specialisation".to_string()),
            x_title: Some("Total compensation (USD)".to_string()),
            ..bands(vec![
                row("MLOps engineer", 260_000.0, 520_000.0),
                row("LLM engineer", 300_000.0, 700_000.0),
                row("Computer vision engineer", 250_000.0, 480_000.0),
                row("Generalist ML engineer", 240_000.0, 470_000.0),
            ])
        }
    }

    fn svg(spec: &ChartSpec, alt: &str) -> String {
        match to_svg(spec, alt) {
            Ok(svg) => svg,
            Err(e) => panic!("to_svg failed: {e}"),
        }
    }

    fn error(spec: &ChartSpec) -> String {
        match to_svg(spec, "alt") {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.message,
        }
    }

    /// Tags open and close in order and every `&` starts an entity: enough to catch a
    /// broken finishing pass without an XML parser.
    fn assert_well_formed(svg: &str) {
        let mut stack: Vec<&str> = Vec::new();
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            let Some(len) = rest[start..].find('>') else {
                panic!("unclosed tag in {rest}");
            };
            let tag = &rest[start + 1..start + len];
            let name = tag.trim_start_matches('/').split([' ', '/']).next().unwrap_or("");
            if tag.starts_with('/') {
                assert_eq!(stack.pop(), Some(name), "mismatched </{name}>");
            } else if !tag.ends_with('/') {
                stack.push(name);
            }
            rest = &rest[start + len + 1..];
        }
        assert!(stack.is_empty(), "unclosed {stack:?}");
        for (i, _) in svg.match_indices('&') {
            let entity = &svg[i..svg.len().min(i + 6)];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].iter().any(|e| entity.starts_with(e)),
                "bare & at {entity}"
            );
        }
    }

    fn no_long_decimals(svg: &str) -> bool {
        svg.split('.').skip(1).all(|after| after.chars().take_while(char::is_ascii_digit).count() <= 2)
    }

    #[test]
    fn format_tick_matches_the_documented_examples() {
        assert_eq!(format_tick(190_000.0, AxisFormat::MoneyK), "$190k");
        assert_eq!(format_tick(1_250_000.0, AxisFormat::MoneyK), "$1.25M");
        assert_eq!(format_tick(0.0, AxisFormat::MoneyK), "$0");
        assert_eq!(format_tick(0.1, AxisFormat::Pct), "10%");
        assert_eq!(format_tick(0.125, AxisFormat::Pct), "12.5%");
        assert_eq!(format_tick(1234.0, AxisFormat::Num), "1,234");
    }

    #[test]
    fn band_chart_svg_carries_every_label_and_the_accessible_root() {
        let out = svg(&sample(), "Band chart of L5 pay");
        assert!(out.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\""));
        assert!(out.trim_end().ends_with("</svg>"));
        let root = out.lines().next().unwrap_or("");
        for attr in ["role=\"img\"", "aria-label=\"Band chart of L5 pay\"", "class=\"chart\"", "viewBox=\"0 0 720 "] {
            assert!(root.contains(attr), "{attr} missing from {root}");
        }
        let children: Vec<&str> = out.lines().skip(1).take(2).collect();
        assert_eq!(children[0], "<title>Band chart of L5 pay</title>");
        assert_eq!(
            children[1],
            "<desc>MLOps engineer: $260k to $520k; LLM engineer: $300k to $700k; \
             Computer vision engineer: $250k to $480k; Generalist ML engineer: $240k to $470k.</desc>"
        );
        for text in [
            "MLOps engineer",
            "LLM engineer",
            "Computer vision engineer",
            "Generalist ML engineer",
            "$260k",
            "$700k",
            "$200k",
            "L5 total compensation by specialisation",
            "Total compensation (USD)",
        ] {
            assert!(out.contains(&format!("\n{text}\n")), "{text} is not drawn");
        }
        assert!(no_long_decimals(&out), "long float in output");
        assert_well_formed(&out);
    }

    #[test]
    fn text_from_the_spec_is_xml_escaped_everywhere() {
        let nasty = r#"Backend & <Infra> "x""#;
        let spec = ChartSpec {
            title: Some(nasty.to_string()),
            x_title: Some(nasty.to_string()),
            y_title: Some(nasty.to_string()),
            ..bands(vec![row(nasty, 100_000.0, 200_000.0), row("Data", 120_000.0, 180_000.0)])
        };
        let out = svg(&spec, nasty);
        let escaped = "Backend &amp; &lt;Infra&gt; &quot;x&quot;";
        assert!(out.contains(&format!("aria-label=\"{escaped}\"")));
        assert!(out.contains(&format!("<title>{escaped}</title>")));
        assert!(out.contains(&format!("<desc>{escaped}: $100k to $200k;")));
        assert!(out.contains(&format!("\n{escaped}\n")));
        assert!(!out.contains("<Infra>"));
        assert_well_formed(&out);
    }

    #[test]
    fn same_input_gives_byte_identical_svg() {
        assert_eq!(svg(&sample(), "alt"), svg(&sample(), "alt"));
    }

    #[test]
    fn dark_mode_uses_an_embedded_stylesheet_of_nbc_classes() {
        let out = svg(&sample(), "alt");
        assert!(out.contains("<style>") && out.contains("@media screen and (prefers-color-scheme:dark)"));
        for class in ["nbc-bar", "nbc-grid", "nbc-cat", "nbc-val", "nbc-tick", "nbc-title", "nbc-axis-title"] {
            assert!(out.contains(&format!("class=\"{class}\"")), "{class} unused");
        }
        let texts = out.matches("<text ").count();
        assert_eq!(texts, out.matches("<text class=\"nbc-").count(), "unclassed text");
    }

    #[test]
    fn width_and_height_options_override_the_defaults() {
        let spec = ChartSpec { width: Some(480), height: Some(300), ..sample() };
        let out = svg(&spec, "alt");
        assert!(out.starts_with(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"480\" height=\"300\" viewBox=\"0 0 480 300\""
        ));
    }

    #[test]
    fn long_category_names_keep_the_full_name_as_a_tooltip() {
        let name = "Machine learning infrastructure and platform engineering (staff)";
        let out = svg(&bands(vec![row(name, 100_000.0, 200_000.0)]), "alt");
        assert!(out.contains(&format!("<title>{name}</title>\nMachine learning")));
        assert!(out.contains("…\n</text>"));
    }

    /// Tooltips are matched to `<text>` elements by order, so every label must be drawn.
    #[test]
    fn every_laid_out_label_becomes_one_text_element() {
        let spec = ChartSpec {
            y_title: Some("Specialisation".to_string()),
            ..bands(vec![row("", 1.0, 2.0), row("B", 2.0, 2.0), row(&"long ".repeat(20), 0.5, 3.0)])
        };
        for spec in [sample(), spec] {
            let ChartData::Bands(rows) = &spec.data else {
                panic!("not a band chart");
            };
            let labels = band::layout(&spec, rows).map(|l| l.labels.len());
            assert_eq!(labels, Ok(svg(&spec, "alt").matches("<text ").count()));
        }
    }

    #[test]
    fn bars_carry_their_range_as_a_tooltip() {
        let out = svg(&sample(), "alt");
        assert!(out.contains("><title>LLM engineer: $300k to $700k</title></rect>"));
    }

    #[test]
    fn a_blank_alt_falls_back_to_the_title() {
        let out = svg(&sample(), "  ");
        assert!(out.contains("aria-label=\"L5 total compensation by specialisation\""));
        let out = svg(&bands(vec![row("A", 1.0, 2.0)]), "");
        assert!(out.contains("aria-label=\"Band chart\""));
    }

    #[test]
    fn control_characters_never_reach_the_svg() {
        let out = svg(&bands(vec![row("Line\nbreak\u{0}", 1.0, 2.0)]), "a\u{7}b");
        assert!(out.contains("\nLine break\n"));
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'));
    }

    #[test]
    fn odd_text_keeps_the_svg_well_formed() {
        let odd = [
            "<svg>",
            "</text>",
            "a\r\nb\u{2028}c",
            "&amp;",
            "'single' \"double\"",
            "機械学習エンジニア",
            "e\u{301}\u{301}\u{301}",
            "]]>",
            "x".repeat(500).as_str(),
        ]
        .map(str::to_string);
        for text in odd {
            let spec = ChartSpec {
                title: Some(text.clone()),
                x_title: Some(text.clone()),
                y_title: Some(text.clone()),
                ..bands(vec![row(&text, 1.0, 2.0)])
            };
            assert_well_formed(&svg(&spec, &text));
        }
    }

    #[test]
    fn all_equal_values_still_draw() {
        let out = svg(&bands(vec![row("A", 300_000.0, 300_000.0), row("B", 300_000.0, 300_000.0)]), "alt");
        assert!(out.contains("<desc>A: $300k; B: $300k.</desc>"));
        assert_eq!(out.matches("class=\"nbc-bar\"").count(), 2);
        let zeros = svg(&bands(vec![row("A", 0.0, 0.0)]), "alt");
        assert!(zeros.contains("\n$0\n"));
    }

    #[test]
    fn empty_rows_are_an_error() {
        assert_eq!(error(&bands(vec![])), "a band chart needs at least one row");
    }

    #[test]
    fn non_finite_values_are_an_error_naming_the_row() {
        for (lo, hi) in [(f64::NAN, 1.0), (1.0, f64::INFINITY), (f64::NEG_INFINITY, 1.0)] {
            let message = error(&bands(vec![row("Data", 1.0, 2.0), row("MLOps", lo, hi)]));
            assert!(message.contains("\"MLOps\"") && message.contains("not a finite number"), "{message}");
        }
    }

    #[test]
    fn lo_above_hi_is_an_error_naming_the_category() {
        let message = error(&bands(vec![row("MLOps engineer", 520_000.0, 260_000.0)]));
        assert_eq!(message, "band chart row \"MLOps engineer\": lo (520000) is greater than hi (260000); swap them");
    }

    #[test]
    fn sizes_that_cannot_hold_the_chart_are_errors() {
        let narrow = ChartSpec { width: Some(100), ..sample() };
        assert!(error(&narrow).contains("width 100 px"));
        let short = ChartSpec { height: Some(100), ..sample() };
        assert_eq!(error(&short), "chart height 100 px cannot fit 4 categories: they need at least 170 px");
        // The limits named are the documented ones: a height is set from 100 to 4000 px, and one
        // left to the rows grows to 20000 px.
        let low = ChartSpec { height: Some(60), ..sample() };
        assert_eq!(error(&low), "chart height 60 px is out of range; use 100 to 4000");
        let many = bands((0..1000).map(|i| row(&i.to_string(), 1.0, 2.0)).collect());
        assert!(error(&many).starts_with("1000 categories need a chart "), "{}", error(&many));
        assert!(error(&many).ends_with(" px tall, more than the 20000 px a chart may grow to: show fewer categories"));
        let set =
            ChartSpec { height: Some(MAX_SET), ..bands((0..300).map(|i| row(&i.to_string(), 1.0, 2.0)).collect()) };
        assert!(error(&set).ends_with(", more than the 4000 px a height may be set to: show fewer categories"));
    }

    fn series(kind: fn(SeriesTable) -> ChartData, names: &[&str], rows: &[(&str, &[Option<f64>])]) -> ChartSpec {
        let rows = rows.iter().map(|(c, v)| SeriesRow { category: c.to_string(), values: v.to_vec() }).collect();
        let table = SeriesTable { series: names.iter().map(|s| s.to_string()).collect(), rows };
        ChartSpec { data: kind(table), ..bands(vec![]) }
    }

    fn bar_sample() -> ChartSpec {
        ChartSpec {
            title: Some("Median total compensation by region".to_string()),
            x_title: Some("Total compensation (USD)".to_string()),
            ..series(
                ChartData::Bars,
                &["US", "EU"],
                &[
                    ("MLOps engineer", &[Some(310_000.0), Some(150_000.0)]),
                    ("LLM engineer", &[Some(390_000.0), Some(170_000.0)]),
                    ("Computer vision engineer", &[Some(280_000.0), None]),
                ],
            )
        }
    }

    fn stacked_sample() -> ChartSpec {
        ChartSpec {
            title: Some("L5 pay mix".to_string()),
            ..series(
                ChartData::Stacked,
                &["Base", "Bonus", "Equity"],
                &[
                    ("MLOps engineer", &[Some(190_000.0), Some(25_000.0), Some(95_000.0)]),
                    ("LLM engineer", &[Some(220_000.0), Some(30_000.0), Some(180_000.0)]),
                    ("Data scientist", &[Some(160_000.0), Some(15_000.0), Some(5_000.0)]),
                ],
            )
        }
    }

    fn line_sample() -> ChartSpec {
        ChartSpec {
            title: Some("Total compensation by level".to_string()),
            x_title: Some("Level".to_string()),
            ..series(
                ChartData::Lines,
                &["MLOps", "LLM"],
                &[
                    ("L3", &[Some(150_000.0), Some(170_000.0)]),
                    ("L4", &[Some(200_000.0), Some(240_000.0)]),
                    ("L5", &[Some(280_000.0), Some(350_000.0)]),
                    ("L6", &[Some(380_000.0), Some(500_000.0)]),
                ],
            )
        }
    }

    fn new_kinds() -> [ChartSpec; 3] {
        [bar_sample(), stacked_sample(), line_sample()]
    }

    /// Every number in `x=`, `y=`, `width=`, `height=` and points lies within the view box.
    fn assert_inside_view_box(svg: &str, spec: &ChartSpec) {
        let (w, h) = (f64::from(spec.width.unwrap_or(720)), 100_000.0);
        for attr in [" x=\"", " cx=\"", " x1=\"", " x2=\""] {
            for part in svg.split(attr).skip(1) {
                let v: f64 = part.split('"').next().and_then(|v| v.parse().ok()).unwrap_or(-1.0);
                assert!((0.0..=w).contains(&v), "{attr}{v} outside 0..{w}");
            }
        }
        for part in svg.split(" points=\"").skip(1) {
            for point in part.split('"').next().unwrap_or("").split_whitespace() {
                let (x, y) = point.split_once(',').unwrap_or(("-1", "-1"));
                let (x, y): (f64, f64) = (x.parse().unwrap_or(-1.0), y.parse().unwrap_or(-1.0));
                assert!((0.0..=w).contains(&x) && (0.0..=h).contains(&y), "point {point}");
            }
        }
    }

    #[test]
    fn new_kinds_draw_every_label_with_classes_and_an_accessible_root() {
        let expected: [&[&str]; 3] = [
            &["MLOps engineer", "US", "EU", "$310k", "$390k", "$150k", "$0", "Total compensation (USD)"],
            &["Data scientist", "Base", "Bonus", "Equity", "$190k", "$310k", "$430k", "$180k"],
            &["L3", "L6", "MLOps", "LLM", "$380k", "$500k", "Level"],
        ];
        for (spec, texts) in new_kinds().iter().zip(expected) {
            let out = svg(spec, "alt text");
            assert!(out.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\""));
            assert!(out.lines().next().is_some_and(|root| root.contains("role=\"img\" aria-label=\"alt text\"")));
            for text in texts {
                assert!(out.contains(&format!("\n{text}\n")), "{text} is not drawn in\n{out}");
            }
            assert_eq!(out.matches("<text ").count(), out.matches("<text class=\"nbc-").count(), "unclassed text");
            assert!(no_long_decimals(&out), "long float in output");
            assert_well_formed(&out);
            assert_inside_view_box(&out, spec);
        }
    }

    #[test]
    fn series_colours_get_dark_rules_for_what_they_paint() {
        let bars = svg(&bar_sample(), "alt");
        assert!(bars.contains("class=\"nbc-s0\"") && bars.contains("class=\"nbc-s1\""));
        assert!(bars.contains(".nbc-s1{fill:#9D5E27;fill:light-dark(#D1711E,#9D5E27)}"));
        assert!(bars.contains("><title>MLOps engineer, EU: $150k</title></rect>"));
        let lines = svg(&line_sample(), "alt");
        assert!(lines.contains("<polyline class=\"nbc-s1-line\""));
        assert!(lines.contains(".nbc-s1-line{stroke:#9D5E27;stroke:light-dark(#D1711E,#9D5E27)}"));
        assert!(lines.contains("><title>LLM, L5: $350k</title></circle>"));
        let stacked = svg(&stacked_sample(), "alt");
        assert!(stacked.contains("<text class=\"nbc-in\"") && stacked.contains(".nbc-in{fill:#F9FAFB;"));
    }

    #[test]
    fn new_kinds_escape_text_and_keep_full_names_as_tooltips() {
        let nasty = r#"Backend & <Infra> "x" with a very long specialisation name indeed"#;
        for kind in [ChartData::Bars, ChartData::Stacked, ChartData::Lines] {
            let spec = ChartSpec {
                title: Some(nasty.to_string()),
                y_title: Some(nasty.to_string()),
                ..series(kind, &[nasty, "b"], &[(nasty, &[Some(1.0), Some(2.0)]), ("B", &[Some(2.0), Some(3.0)])])
            };
            let out = svg(&spec, nasty);
            let escaped = "Backend &amp; &lt;Infra&gt; &quot;x&quot; with a very long specialisation name indeed";
            assert!(out.contains(&format!("aria-label=\"{escaped}\"")));
            assert!(
                out.contains(&format!("<title>{escaped}</title>\nBackend &amp;")),
                "no tooltip on the shortened name"
            );
            assert!(!out.contains("<Infra>"));
            assert_well_formed(&out);
        }
    }

    #[test]
    fn new_kinds_are_byte_identical_on_every_run_and_at_phone_width() {
        for spec in new_kinds() {
            assert_eq!(svg(&spec, "alt"), svg(&spec, "alt"));
            let phone = ChartSpec { width: Some(360), ..spec };
            let out = svg(&phone, "alt");
            assert_well_formed(&out);
            assert_inside_view_box(&out, &phone);
        }
    }

    #[test]
    fn new_kinds_report_bad_data_instead_of_panicking() {
        let nan = series(ChartData::Lines, &["a"], &[("L4", &[Some(f64::NAN)])]);
        assert_eq!(error(&nan), "line chart row \"L4\": a is NaN, not a finite number");
        let empty = series(ChartData::Stacked, &["a"], &[]);
        assert_eq!(error(&empty), "a stacked bar chart needs at least one row");
        let ragged = series(ChartData::Bars, &["a", "b"], &[("A", &[Some(1.0)])]);
        assert_eq!(error(&ragged), "bar chart row \"A\" has 1 values for 2 series");
        let nothing = series(ChartData::Lines, &["a"], &[("A", &[None])]);
        assert_eq!(error(&nothing), "a line chart needs at least one value");
        let huge = series(ChartData::Stacked, &["a", "b"], &[("A", &[Some(f64::MAX), Some(f64::MAX)])]);
        assert!(error(&huge).contains("too large"));
    }

    #[test]
    fn new_kind_snapshots() {
        insta::with_settings!({ prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("bar_chart_sample", svg(&bar_sample(), "Median total compensation by region"));
            insta::assert_snapshot!("stacked_bar_chart_sample", svg(&stacked_sample(), "L5 pay mix"));
            insta::assert_snapshot!("line_chart_sample", svg(&line_sample(), "Total compensation by level"));
        });
    }

    /// Width, height and RGB pixels of a PNG.
    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = ::png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap_or_else(|e| panic!("not a PNG: {e}"));
        let mut pixels = vec![0; reader.output_buffer_size().unwrap_or(0)];
        let info = reader.next_frame(&mut pixels).unwrap_or_else(|e| panic!("bad PNG: {e}"));
        assert_eq!((info.color_type, info.bit_depth), (::png::ColorType::Rgb, ::png::BitDepth::Eight));
        pixels.truncate(info.buffer_size());
        (info.width, info.height, pixels)
    }

    fn png(spec: &ChartSpec, dark: bool) -> Vec<u8> {
        to_png(spec, 2.0, dark).unwrap_or_else(|e| panic!("to_png failed: {e}"))
    }

    #[test]
    fn png_of_every_kind_is_twice_the_css_size_and_has_a_drawing_on_it() {
        for spec in [sample(), bar_sample(), stacked_sample(), line_sample()] {
            let out = svg(&spec, "alt");
            let size = |attr: &str| -> u32 {
                let at = out.find(&format!(" {attr}=\"")).unwrap_or(0) + attr.len() + 3;
                out[at..].split('"').next().and_then(|v| v.parse().ok()).unwrap_or(0)
            };
            for dark in [false, true] {
                let (w, h, pixels) = decode(&png(&spec, dark));
                assert_eq!((w, h), (2 * size("width"), 2 * size("height")));
                let background = palette::background(dark);
                let sheet = [background.0, background.1, background.2];
                let drawn = pixels.chunks(3).filter(|p| *p != sheet).count();
                let colours: std::collections::HashSet<&[u8]> = pixels.chunks(3).collect();
                assert!(drawn * 50 > pixels.len() / 3, "only {drawn} of {} pixels are drawn", pixels.len() / 3);
                assert!(colours.len() > 100, "only {} colours: text is not antialiased", colours.len());
                assert_eq!(pixels.get(..3), Some(&sheet[..]), "the corner is not the sheet colour");
            }
        }
    }

    #[test]
    fn same_input_gives_byte_identical_png() {
        assert_eq!(png(&sample(), false), png(&sample(), false));
        assert_eq!(png(&line_sample(), true), png(&line_sample(), true));
        assert_ne!(png(&sample(), false), png(&sample(), true));
    }

    #[test]
    fn png_scale_and_size_are_checked_instead_of_panicking() {
        for scale in [0.0, -1.0, f64::NAN, 100.0] {
            assert!(to_png(&sample(), scale, false).is_err(), "scale {scale}");
        }
        let (w, h, _) = decode(&to_png(&sample(), 1.0, false).unwrap_or_default());
        assert_eq!(w, 720, "{h}");
        let huge = ChartSpec { width: Some(MAX_SET), height: Some(MAX_SET), ..sample() };
        let message = to_png(&huge, 3.0, false).err().map(|e| e.message).unwrap_or_default();
        assert!(message.contains("too large for a PNG"), "{message}");
        assert!(to_png(&bands(vec![]), 2.0, false).is_err());
    }

    #[test]
    fn dark_svg_writes_dark_colours_on_the_dark_sheet() {
        for spec in [sample(), bar_sample(), stacked_sample(), line_sample()] {
            let (light, dark) = (svg(&spec, "alt"), to_dark_svg(&spec, "alt").unwrap_or_default());
            assert_well_formed(&dark);
            assert!(!dark.contains("prefers-color-scheme") && !dark.contains("light-dark"));
            assert!(dark.contains("<rect class=\"nbc-bg\" x=\"0\" y=\"0\" width=\"720\""));
            assert!(dark.contains(&format!("fill=\"{}\"", Role::Title.dark_hex())));
            // (The light tick grey is also the dark axis grey.)
            for role in Role::ALL.into_iter().filter(|r| Role::ALL.iter().all(|d| d.dark_hex() != r.light_hex())) {
                assert!(!dark.contains(&format!("\"{}\"", role.light_hex())), "light {role:?} left in");
            }
            // Same drawing otherwise: every text, shape and tooltip.
            for tag in ["<text ", "<rect ", "<circle ", "<polyline ", "<title>"] {
                let extra = usize::from(tag == "<rect ");
                assert_eq!(light.matches(tag).count() + extra, dark.matches(tag).count(), "{tag}");
            }
        }
    }

    #[test]
    fn sample_band_chart_snapshot() {
        insta::with_settings!({ prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("band_chart_sample", svg(&sample(), "L5 total compensation by specialisation"));
        });
    }
}
