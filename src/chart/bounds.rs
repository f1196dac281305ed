//! Value-axis bounds a writer fixes (`x_min`/`x_max` or `y_min`/`y_max`), so that charts
//! shown side by side share a scale: which pair a kind takes, and the checks that the bounds
//! hold every mark.

use super::{ChartData, ChartSpec, SeriesTable, text};

/// Ends of the value axis the writer fixed. The axis runs exactly to a fixed end; an end left
/// open is chosen as without bounds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AxisBounds {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl AxisBounds {
    pub fn is_open(&self) -> bool {
        self.min.is_none() && self.max.is_none()
    }

    /// The range the axis must cover: the data's, stretched to the fixed ends.
    pub fn cover(&self, (min, max): (f64, f64)) -> (f64, f64) {
        (self.min.map_or(min, |m| m.min(min)), self.max.map_or(max, |m| m.max(max)))
    }
}

/// Which way a chart's value axis runs, and so which pair of bound options it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueAxis {
    /// Bars grow across: `x_min`, `x_max`.
    Across,
    /// Values rise up the left side: `y_min`, `y_max`.
    Up,
}

impl ValueAxis {
    /// The option names of the bounds, min first.
    pub fn names(self) -> [&'static str; 2] {
        match self {
            ValueAxis::Across => ["x_min", "x_max"],
            ValueAxis::Up => ["y_min", "y_max"],
        }
    }

    /// The other pair, which a chart of this kind refuses.
    pub fn wrong_names(self) -> [&'static str; 2] {
        match self {
            ValueAxis::Across => ValueAxis::Up.names(),
            ValueAxis::Up => ValueAxis::Across.names(),
        }
    }

    /// How a message says which way the axis runs.
    pub fn words(self) -> &'static str {
        match self {
            ValueAxis::Across => "runs across (horizontal)",
            ValueAxis::Up => "runs up the side (vertical)",
        }
    }

    /// For a wrong bound name (`y_min` of a bar chart), the right one (`x_min`).
    pub fn right_name(self, wrong: &str) -> Option<&'static str> {
        let [min, max] = self.names();
        match self.wrong_names() {
            [w, _] if w == wrong => Some(min),
            [_, w] if w == wrong => Some(max),
            _ => None,
        }
    }
}

impl ChartData {
    /// The direction of this kind's value axis.
    pub fn value_axis(&self) -> ValueAxis {
        match self {
            ChartData::Bands(_) | ChartData::Bars(_) | ChartData::Stacked(_) => ValueAxis::Across,
            ChartData::Lines(_) => ValueAxis::Up,
        }
    }

    /// The kind in words: `band chart`.
    pub fn kind(&self) -> &'static str {
        match self {
            ChartData::Bands(_) => "band chart",
            ChartData::Bars(_) => "bar chart",
            ChartData::Stacked(_) => "stacked bar chart",
            ChartData::Lines(_) => "line chart",
        }
    }
}

/// Bounds that do not fit the chart: the option at fault (`x_max`) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundsError {
    pub option: &'static str,
    pub message: String,
}

/// One mark's extent along the value axis, and how a message names it.
struct Extent {
    /// `the band of "MLOps"`.
    what: String,
    lo: f64,
    hi: f64,
    /// `starts at`, `is` …: the words before the value at each end.
    lo_words: &'static str,
    hi_words: &'static str,
}

impl ChartSpec {
    /// Checks the bounds against each other and against every mark: a bound may not cut a
    /// band, a bar (which runs from zero), a stacked bar's total or a point.
    pub fn check_bounds(&self) -> Result<(), BoundsError> {
        let AxisBounds { min, max } = self.bounds;
        let [min_name, max_name] = self.data.value_axis().names();
        for (name, bound) in [(min_name, min), (max_name, max)] {
            if let Some(b) = bound.filter(|b| !b.is_finite()) {
                return Err(BoundsError {
                    option: name,
                    message: format!("`{name}` must be a finite number, not {b}"),
                });
            }
        }
        if let (Some(lo), Some(hi)) = (min, max)
            && lo >= hi
        {
            return Err(BoundsError {
                option: min_name,
                message: format!("`{min_name}` ({lo}) must be less than `{max_name}` ({hi})"),
            });
        }
        if min.is_none() && max.is_none() {
            return Ok(());
        }
        let extents = extents(&self.data);
        // The first mark past each bound, and how far the bound must move to hold every mark.
        let least = extents.iter().map(|e| e.lo).fold(f64::INFINITY, f64::min);
        let most = extents.iter().map(|e| e.hi).fold(f64::NEG_INFINITY, f64::max);
        let cuts = [
            (min_name, min, "at most", least, extents.iter().find(|e| min.is_some_and(|b| e.lo < b))),
            (max_name, max, "at least", most, extents.iter().find(|e| max.is_some_and(|b| e.hi > b))),
        ];
        for (name, bound, words, needed, cut) in cuts {
            let (Some(bound), Some(cut)) = (bound, cut) else { continue };
            let (end, value) = if name == min_name { (cut.lo_words, cut.lo) } else { (cut.hi_words, cut.hi) };
            return Err(BoundsError {
                option: name,
                message: format!(
                    "`{name}` {bound} cuts {}, which {end} {value}; make `{name}` {words} {needed} to show every mark",
                    cut.what
                ),
            });
        }
        Ok(())
    }
}

/// Every mark's extent along the value axis, in row order.
fn extents(data: &ChartData) -> Vec<Extent> {
    let quoted = |s: &str| format!("\"{}\"", text::clean(s));
    match data {
        ChartData::Bands(rows) => rows
            .iter()
            .map(|r| Extent {
                what: format!("the band of {}", quoted(&r.category)),
                lo: r.lo,
                hi: r.hi,
                lo_words: "starts at",
                hi_words: "ends at",
            })
            .collect(),
        ChartData::Bars(table) => each_value(table, "bar")
            .map(|(what, v)| Extent { what, lo: v.min(0.0), hi: v.max(0.0), lo_words: "ends at", hi_words: "ends at" })
            .map(|e| if e.lo == 0.0 { Extent { lo_words: "starts at", ..e } } else { e })
            .map(|e| if e.hi == 0.0 { Extent { hi_words: "starts at", ..e } } else { e })
            .collect(),
        ChartData::Stacked(table) => table
            .rows
            .iter()
            .map(|r| {
                let total: f64 = r.values.iter().flatten().sum();
                Extent {
                    what: format!("the bar of {}", quoted(&r.category)),
                    lo: total.min(0.0),
                    hi: total.max(0.0),
                    lo_words: "starts at",
                    hi_words: "ends at its total,",
                }
            })
            .collect(),
        ChartData::Lines(table) => each_value(table, "point")
            .map(|(what, v)| Extent { what, lo: v, hi: v, lo_words: "is at", hi_words: "is at" })
            .collect(),
    }
}

/// Each value of a table with how a message names its mark: `the bar of "MLOps"`, with
/// several series `the bar of "MLOps" for "US"`.
fn each_value<'a>(table: &'a SeriesTable, mark: &'a str) -> impl Iterator<Item = (String, f64)> + 'a {
    let grouped = table.series.len() > 1;
    table.rows.iter().flat_map(move |row| {
        row.values.iter().zip(&table.series).filter_map(move |(v, series)| {
            let v = (*v)?;
            let mut what = format!("the {mark} of \"{}\"", text::clean(&row.category));
            if grouped {
                what.push_str(&format!(" for \"{}\"", text::clean(series)));
            }
            Some((what, v))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::super::{AxisFormat, BandRow, SeriesRow};
    use super::*;

    fn spec(data: ChartData, min: Option<f64>, max: Option<f64>) -> ChartSpec {
        ChartSpec {
            data,
            title: None,
            x_title: None,
            y_title: None,
            format: AxisFormat::MoneyK,
            width: None,
            height: None,
            bounds: AxisBounds { min, max },
        }
    }

    fn bands() -> ChartData {
        ChartData::Bands(vec![
            BandRow { category: "MLOps".into(), lo: 260_000.0, hi: 520_000.0 },
            BandRow { category: "LLM".into(), lo: 290_000.0, hi: 660_000.0 },
        ])
    }

    fn table(series: &[&str], rows: &[(&str, &[Option<f64>])]) -> SeriesTable {
        SeriesTable {
            series: series.iter().map(|s| s.to_string()).collect(),
            rows: rows.iter().map(|(c, v)| SeriesRow { category: c.to_string(), values: v.to_vec() }).collect(),
        }
    }

    fn error(spec: &ChartSpec) -> (&'static str, String) {
        let e = spec.check_bounds().err().unwrap_or_else(|| panic!("{:?} should not fit", spec.bounds));
        (e.option, e.message)
    }

    #[test]
    fn bounds_that_hold_every_mark_pass() {
        assert_eq!(spec(bands(), Some(100_000.0), Some(700_000.0)).check_bounds(), Ok(()));
        assert_eq!(spec(bands(), Some(260_000.0), Some(660_000.0)).check_bounds(), Ok(()));
        assert_eq!(spec(bands(), None, None).check_bounds(), Ok(()));
    }

    #[test]
    fn a_bound_that_cuts_a_band_names_the_row_and_its_end() {
        assert_eq!(
            error(&spec(bands(), None, Some(600_000.0))),
            (
                "x_max",
                "`x_max` 600000 cuts the band of \"LLM\", which ends at 660000; make `x_max` at least 660000 to show every mark"
                    .to_string()
            )
        );
        assert_eq!(
            error(&spec(bands(), Some(280_000.0), None)),
            (
                "x_min",
                "`x_min` 280000 cuts the band of \"MLOps\", which starts at 260000; make `x_min` at most 260000 to show every mark"
                    .to_string()
            )
        );
    }

    #[test]
    fn bars_run_from_zero_and_stacked_bars_to_their_total() {
        let bars = ChartData::Bars(table(&["US", "EU"], &[("MLOps", &[Some(390_000.0), Some(180_000.0)])]));
        let (option, message) = error(&spec(bars.clone(), Some(100_000.0), None));
        assert_eq!(option, "x_min");
        assert!(
            message.starts_with("`x_min` 100000 cuts the bar of \"MLOps\" for \"US\", which starts at 0;"),
            "{message}"
        );
        let (_, message) = error(&spec(bars, None, Some(200_000.0)));
        assert!(message.contains("the bar of \"MLOps\" for \"US\", which ends at 390000"), "{message}");
        let stacked =
            ChartData::Stacked(table(&["base", "bonus"], &[("Big tech", &[Some(238_000.0), Some(36_000.0)])]));
        let (_, message) = error(&spec(stacked, None, Some(250_000.0)));
        assert!(message.contains("the bar of \"Big tech\", which ends at its total, 274000"), "{message}");
    }

    #[test]
    fn a_line_chart_takes_y_bounds_and_names_the_point() {
        let lines = ChartData::Lines(table(&["tc"], &[("L4", &[Some(265_000.0)]), ("L5", &[None])]));
        assert_eq!(lines.value_axis().names(), ["y_min", "y_max"]);
        let (option, message) = error(&spec(lines, Some(300_000.0), None));
        assert_eq!(option, "y_min");
        assert!(message.starts_with("`y_min` 300000 cuts the point of \"L4\", which is at 265000;"), "{message}");
    }

    #[test]
    fn min_at_or_above_max_and_non_finite_bounds_are_refused() {
        assert_eq!(
            error(&spec(bands(), Some(700_000.0), Some(100_000.0))),
            ("x_min", "`x_min` (700000) must be less than `x_max` (100000)".to_string())
        );
        assert_eq!(error(&spec(bands(), Some(5.0), Some(5.0))).0, "x_min");
        assert_eq!(error(&spec(bands(), None, Some(f64::INFINITY))).0, "x_max");
        assert_eq!(error(&spec(bands(), Some(f64::NAN), None)).0, "x_min");
    }

    /// The value axis a chart is laid out with, and the chart drawn clean: every text inside
    /// the view box and apart from every other text and every mark.
    fn laid_axis(spec: &ChartSpec) -> super::super::scale::Axis {
        use super::super::scene::check::{assert_clean, overlaps};
        match &spec.data {
            ChartData::Bands(rows) => {
                let layout = super::super::band::layout(spec, rows).unwrap_or_else(|e| panic!("{e}"));
                let (w, h) = (f64::from(layout.width), f64::from(layout.height));
                let plot = layout.plot;
                let bars: Vec<(f64, f64, f64, f64)> = layout
                    .bars
                    .iter()
                    .map(|b| (plot.x(&layout.axis, b.lo), b.top, plot.x(&layout.axis, b.hi), b.bottom))
                    .collect();
                for (i, label) in layout.labels.iter().enumerate() {
                    let e = label.extent();
                    assert!(e.0 >= 0.0 && e.2 <= w && e.1 >= 0.0 && e.3 <= h, "{label:?} outside {w}x{h}");
                    for other in layout.labels.iter().skip(i + 1) {
                        assert!(!overlaps(e, other.extent()), "{label:?} overlaps {other:?}");
                    }
                    for bar in &bars {
                        assert!(!overlaps(e, *bar), "{label:?} overlaps bar {bar:?}");
                    }
                }
                layout.axis
            }
            ChartData::Bars(table) | ChartData::Stacked(table) | ChartData::Lines(table) => {
                let scene = match &spec.data {
                    ChartData::Bars(_) => super::super::bar::layout(spec, table),
                    ChartData::Stacked(_) => super::super::stacked::layout(spec, table),
                    _ => super::super::line::layout(spec, table),
                };
                let scene = scene.unwrap_or_else(|e| panic!("{e}"));
                assert_clean(&scene);
                let texts = super::super::scene::check::texts(&scene, super::super::palette::Role::Tick);
                let labels = texts.iter().map(|t| t.to_string()).collect();
                // Scenes keep no axis: the tick labels tell it, and the grid lines their place.
                let ticks = scene.grid.iter().map(|g| g.0.0).collect();
                super::super::scale::Axis { lo: f64::NAN, hi: f64::NAN, ticks, labels, overhang: (0.0, 0.0) }
            }
        }
    }

    fn series_kinds() -> [ChartData; 3] {
        let rows: &[(&str, &[Option<f64>])] = &[
            ("Large tech platform", &[Some(238_000.0), Some(36_000.0), Some(176_000.0)]),
            ("Established enterprise", &[Some(210_000.0), Some(25_000.0), Some(65_000.0)]),
        ];
        let lines: &[(&str, &[Option<f64>])] =
            &[("L4", &[Some(265_000.0), Some(320_000.0)]), ("L5", &[Some(390_000.0), Some(475_000.0)])];
        [
            ChartData::Bars(table(&["US", "EU", "UK"], rows)),
            ChartData::Stacked(table(&["base", "bonus", "equity"], rows)),
            ChartData::Lines(table(&["MLOps", "LLM"], lines)),
        ]
    }

    #[test]
    fn a_band_axis_runs_exactly_between_the_bounds_with_round_ticks_inside() {
        for (min, max) in [(100_000.0, 700_000.0), (95_000.0, 710_000.0), (260_000.0, 660_000.0), (0.0, 1e6)] {
            for width in [390, 720, 1280] {
                let axis = laid_axis(&ChartSpec { width: Some(width), ..spec(bands(), Some(min), Some(max)) });
                assert_eq!((axis.lo, axis.hi), (min, max), "{width}");
                assert!(axis.ticks.len() >= 2, "{axis:?}");
                assert!(axis.ticks.iter().all(|t| (min..=max).contains(t)), "{axis:?}");
                let step = axis.ticks[1] - axis.ticks[0];
                assert!(axis.ticks.iter().all(|t| (t / step).fract().abs() < 1e-9), "{axis:?}");
            }
        }
        let axis = laid_axis(&spec(bands(), Some(100_000.0), Some(700_000.0)));
        assert_eq!(axis.labels, ["$100k", "$200k", "$300k", "$400k", "$500k", "$600k", "$700k"]);
    }

    #[test]
    fn one_bound_fixes_its_end_and_leaves_the_other_round() {
        let axis = laid_axis(&spec(bands(), Some(0.0), None));
        assert_eq!(axis.lo, 0.0);
        assert!(axis.hi >= 660_000.0 && axis.ticks.last() == Some(&axis.hi), "{axis:?}");
        let axis = laid_axis(&spec(bands(), None, Some(1_000_000.0)));
        assert_eq!(axis.hi, 1_000_000.0);
        assert!(axis.lo <= 260_000.0 && axis.ticks.first() == Some(&axis.lo), "{axis:?}");
    }

    #[test]
    fn every_kind_honours_its_bounds_and_keeps_its_labels_apart() {
        for data in series_kinds() {
            let [min, max] = data.value_axis().names();
            for (lo, hi) in [(0.0, 600_000.0), (-100_000.0, 500_000.0), (0.0, 475_000.0)] {
                for width in [390, 720, 1280] {
                    let s = ChartSpec { width: Some(width), ..spec(data.clone(), Some(lo), Some(hi)) };
                    if s.check_bounds().is_err() {
                        continue;
                    }
                    let axis = laid_axis(&s);
                    let shown = |v: f64| crate::chart::format_tick(v, AxisFormat::MoneyK);
                    let ticks: Vec<f64> = axis.labels.iter().map(|l| parse_money(l)).collect();
                    assert!(ticks.iter().all(|t| (lo..=hi).contains(t)), "{min}/{max} {lo}..{hi}: {:?}", axis.labels);
                    assert!(axis.labels.len() >= 2, "{:?}", axis.labels);
                    if lo == 0.0 {
                        assert_eq!(axis.labels.first(), Some(&shown(lo)), "{:?}", axis.labels);
                    }
                }
            }
        }
    }

    /// `$475k` as 475000, `-$100k` as -100000.
    fn parse_money(label: &str) -> f64 {
        let negative = label.starts_with('-');
        let digits = label.trim_start_matches('-').trim_start_matches('$');
        let (number, unit) = match digits.strip_suffix('k') {
            Some(n) => (n, 1e3),
            None => match digits.strip_suffix('M') {
                Some(n) => (n, 1e6),
                None => (digits, 1.0),
            },
        };
        let value = number.replace(',', "").parse::<f64>().unwrap_or(f64::NAN) * unit;
        if negative { -value } else { value }
    }

    #[test]
    fn charts_with_the_same_bounds_put_the_axis_at_the_same_place() {
        let other = ChartData::Bands(vec![
            BandRow { category: "MLOps".into(), lo: 200_000.0, hi: 300_000.0 },
            BandRow { category: "LLM".into(), lo: 150_000.0, hi: 700_000.0 },
        ]);
        let plot = |data: ChartData| {
            let s = spec(data, Some(100_000.0), Some(700_000.0));
            let ChartData::Bands(rows) = &s.data else { panic!("bands") };
            let layout = super::super::band::layout(&s, rows).unwrap_or_else(|e| panic!("{e}"));
            (layout.plot.left, layout.plot.right)
        };
        assert_eq!(plot(bands()), plot(other));
    }

    #[test]
    fn charts_without_bounds_are_laid_out_as_before() {
        let open = spec(bands(), None, None);
        let axis = laid_axis(&open);
        assert_eq!((axis.lo, axis.hi), (200_000.0, 700_000.0));
        assert_eq!(axis.overhang, (0.0, 0.0));
    }

    #[test]
    fn each_kind_names_its_pair_and_the_other_is_mapped_to_it() {
        assert_eq!(ValueAxis::Across.right_name("y_max"), Some("x_max"));
        assert_eq!(ValueAxis::Up.right_name("x_min"), Some("y_min"));
        assert_eq!(ValueAxis::Up.right_name("y_min"), None);
    }
}
