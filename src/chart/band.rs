//! The band chart: one floating lo–hi bar per category, laid out in px, drawn with plotters.
//!
//! Layout is plain arithmetic over estimated text widths, so it is testable without a
//! renderer and gives the same pixels whatever font backend plotters is built with. We place
//! every text with an explicit anchor; plotters draws gridlines, bars and text.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::format::format_tick;
use super::label::{self, Anchor, Baseline, Label};
use super::palette::Role;
use super::scale::{self, Axis, Need, TickFont};
use super::{AxisFormat, BandRow, ChartError, ChartSpec, text};

const DEFAULT_WIDTH: u32 = 720;
const MIN_WIDTH: u32 = 320;
const MAX_SIDE: u32 = 20_000;

const PAD: f64 = 8.0;
const TITLE_LINE: f64 = 21.0;
const TITLE_MAX_LINES: usize = 2;
const TITLE_GAP: f64 = 10.0;
/// Line height of 12 px texts: ticks and axis titles.
const SMALL_LINE: f64 = 15.0;
/// The spec's default: 40 px per category.
const ROW: f64 = 40.0;
/// Below this, 13 px category labels in neighbouring rows would touch.
const MIN_ROW: f64 = 20.0;
const BAR_SHARE: f64 = 0.5;
const MAX_BAR: f64 = 28.0;
/// A zero-width band still shows as a thin bar.
const MIN_BAR_PX: f64 = 3.0;
const CATEGORY_GAP: f64 = 12.0;
const VALUE_GAP: f64 = 6.0;
const TICK_GAP: f64 = 7.0;
const X_TITLE_GAP: f64 = 6.0;
const MAX_LABEL_CHARS: usize = 28;
/// The category column never takes more than this share of the width.
const MAX_LABEL_SHARE: f64 = 0.38;

/// The plot area in px; `right` and `bottom` are inclusive, as in plotters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plot {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

impl Plot {
    /// Mirrors plotters' linear mapping so our labels sit where its bars end.
    fn x(&self, axis: &Axis, value: f64) -> f64 {
        let t = (value - axis.lo) / (axis.hi - axis.lo);
        self.left + ((self.right - self.left) * t + 1e-3).floor()
    }
}

/// One bar: across in data units (as plotters draws it), down in px.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub lo: f64,
    pub hi: f64,
    pub top: f64,
    pub bottom: f64,
    pub tooltip: String,
}

/// Everything needed to draw a band chart.
#[derive(Debug, Clone, PartialEq)]
pub struct BandLayout {
    pub width: u32,
    pub height: u32,
    pub plot: Plot,
    pub axis: Axis,
    pub bars: Vec<Bar>,
    /// In drawing order.
    pub labels: Vec<Label>,
    /// The data in words, for the SVG's `<desc>`.
    pub desc: String,
}

impl BandLayout {
    #[cfg(test)]
    fn px(&self, value: f64) -> f64 {
        self.plot.x(&self.axis, value)
    }
}

/// How value labels sit beside each bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    /// lo left of the bar, hi right of it: each number at the end it describes.
    Ends,
    /// "lo–hi" right of the bar, for when a lo label cannot fit on the left.
    Combined,
}

/// A category as it will be shown.
struct Row {
    full: String,
    shown: String,
    lo: f64,
    hi: f64,
    lo_text: String,
    hi_text: String,
}

impl Row {
    fn new(band: &BandRow, max_column: f64, format: AxisFormat) -> Self {
        let full = text::clean(&band.category);
        let size = label::size(Role::Category);
        Row {
            shown: text::shorten(&full, MAX_LABEL_CHARS, max_column, size, false),
            full,
            lo: band.lo,
            hi: band.hi,
            lo_text: format_tick(band.lo, format),
            hi_text: format_tick(band.hi, format),
        }
    }

    /// A band whose ends print the same is shown as one value.
    fn single(&self) -> bool {
        self.lo_text == self.hi_text
    }

    fn combined(&self) -> String {
        if self.single() { self.hi_text.clone() } else { format!("{}–{}", self.lo_text, self.hi_text) }
    }

    fn describe(&self) -> String {
        if self.single() {
            format!("{}: {}", self.full, self.hi_text)
        } else {
            format!("{}: {} to {}", self.full, self.lo_text, self.hi_text)
        }
    }

    fn need(&self, placement: Placement) -> Need {
        let size = label::size(Role::Value);
        let room = |s: &str| text::width(s, size, false) + VALUE_GAP + MIN_BAR_PX;
        let (left_px, right_px) = match placement {
            Placement::Ends if !self.single() => (room(&self.lo_text), room(&self.hi_text)),
            _ => (0.0, room(&self.combined())),
        };
        Need { lo: self.lo, hi: self.hi, left_px, right_px }
    }
}

/// Validates the rows and size options and lays the chart out.
pub fn layout(spec: &ChartSpec, bands: &[BandRow]) -> Result<BandLayout, ChartError> {
    if bands.is_empty() {
        return Err(ChartError::new("a band chart needs at least one row"));
    }
    for band in bands {
        check_band(band)?;
    }
    let width = spec.width.unwrap_or(DEFAULT_WIDTH);
    if !(MIN_WIDTH..=MAX_SIDE).contains(&width) {
        return Err(ChartError::new(format!("chart width {width} px is out of range; use {MIN_WIDTH} to {MAX_SIDE}")));
    }
    let w = f64::from(width);
    let rows: Vec<Row> = bands.iter().map(|band| Row::new(band, w * MAX_LABEL_SHARE, spec.format)).collect();
    let titles =
        [&spec.title, &spec.x_title, &spec.y_title].map(|t| t.as_deref().map(text::clean).filter(|t| !t.is_empty()));
    let [title, x_title, y_title] = titles;

    let mut labels = title.map_or_else(Vec::new, |t| title_lines(&t, w));
    let mut top = PAD + labels.len() as f64 * TITLE_LINE;
    if !labels.is_empty() {
        top += TITLE_GAP;
    }
    let y_title_top = top;
    if y_title.is_some() {
        top += SMALL_LINE + 4.0;
    }
    let x_title_room = x_title.as_ref().map_or(0.0, |_| X_TITLE_GAP + SMALL_LINE);
    let below = TICK_GAP + SMALL_LINE + x_title_room + PAD;
    let (row_h, height) = rows_fit(spec.height, rows.len(), top, below)?;

    let column = rows.iter().map(|r| text::width(&r.shown, label::size(Role::Category), false)).fold(0.0, f64::max);
    let (left, right, axis, placement) = fit_axis(&rows, w, column, spec.format)?;
    let plot = Plot { left, top, right, bottom: (top + rows.len() as f64 * row_h).round() };

    if let Some(y_title) = y_title {
        labels.push(y_title_label(&y_title, y_title_top, &plot, w));
    }
    let thickness = (row_h * BAR_SHARE).min(MAX_BAR);
    let mut bars = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let centre = (top + (i as f64 + 0.5) * row_h).round();
        let (lo, hi) = visible_extent(row.lo, row.hi, &axis, right - left);
        labels.extend(row_labels(row, centre, plot.x(&axis, lo), plot.x(&axis, hi), &plot, placement));
        bars.push(Bar {
            lo,
            hi,
            top: centre - thickness / 2.0,
            bottom: centre + thickness / 2.0,
            tooltip: row.describe(),
        });
    }
    let tick_top = plot.bottom + TICK_GAP;
    for (tick, text) in axis.ticks.iter().zip(&axis.labels) {
        let at = (plot.x(&axis, *tick), tick_top);
        labels.push(Label::new(Role::Tick, text.clone(), at, Anchor::Middle, Baseline::Top));
    }
    if let Some(x_title) = x_title {
        labels.push(x_title_label(&x_title, tick_top + SMALL_LINE + X_TITLE_GAP, &plot, w));
    }

    let desc = rows.iter().map(Row::describe).collect::<Vec<_>>().join("; ") + ".";
    Ok(BandLayout { width, height, plot, axis, bars, labels, desc })
}

fn check_band(band: &BandRow) -> Result<(), ChartError> {
    let name = text::clean(&band.category);
    for (which, value) in [("lo", band.lo), ("hi", band.hi)] {
        if !value.is_finite() {
            return Err(ChartError::new(format!("band chart row \"{name}\": {which} is {value}, not a finite number")));
        }
    }
    if band.lo > band.hi {
        return Err(ChartError::new(format!(
            "band chart row \"{name}\": lo ({}) is greater than hi ({}); swap them",
            band.lo, band.hi
        )));
    }
    Ok(())
}

/// Row height and total height: the default 40 px a row, or what a fixed height leaves.
fn rows_fit(fixed: Option<u32>, n: usize, top: f64, below: f64) -> Result<(f64, u32), ChartError> {
    let count = n as f64;
    let (row_h, height) = match fixed {
        Some(h) => ((f64::from(h) - top - below) / count, h),
        None => (ROW, (top + count * ROW + below).ceil().min(f64::from(u32::MAX)) as u32),
    };
    if row_h < MIN_ROW || height > MAX_SIDE {
        let needed = (top + count * MIN_ROW + below).ceil();
        return Err(ChartError::new(format!(
            "chart height {height} px cannot fit {n} categories (needs at least {needed} px, at most {MAX_SIDE})"
        )));
    }
    Ok((row_h, height))
}

fn title_lines(title: &str, width: f64) -> Vec<Label> {
    let size = label::size(Role::Title);
    let lines = text::wrap(title, width - 2.0 * PAD, TITLE_MAX_LINES, size, true);
    let cut = lines.join(" ") != title;
    let mut labels = Vec::with_capacity(lines.len());
    for (i, line) in lines.into_iter().enumerate() {
        let at = (PAD, PAD + i as f64 * TITLE_LINE);
        let mut title_label = Label::new(Role::Title, line, at, Anchor::Start, Baseline::Top);
        title_label.tooltip = cut.then(|| title.to_string());
        labels.push(title_label);
    }
    labels
}

/// The category axis title heads the category column, right-aligned with the names like a
/// table header; a title wider than the column starts at the left edge instead.
fn y_title_label(title: &str, top: f64, plot: &Plot, width: f64) -> Label {
    let column_right = plot.left - CATEGORY_GAP;
    let shown = text::shorten(title, usize::MAX, width - 2.0 * PAD, label::size(Role::AxisTitle), false);
    let mut y_label = Label::new(Role::AxisTitle, shown, (column_right, top), Anchor::End, Baseline::Top);
    if PAD + y_label.width() > column_right {
        y_label.x = PAD;
        y_label.anchor = Anchor::Start;
    }
    y_label.shortened_from(title)
}

/// The value axis title is centred under the plot, moved in if it would cross an edge.
fn x_title_label(title: &str, top: f64, plot: &Plot, width: f64) -> Label {
    let shown = text::shorten(title, usize::MAX, width - 2.0 * PAD, label::size(Role::AxisTitle), false);
    let mut x_label = Label::new(Role::AxisTitle, shown, (0.0, top), Anchor::Middle, Baseline::Top);
    let half = x_label.width() / 2.0;
    x_label.x = ((plot.left + plot.right) / 2.0).min(width - PAD - half).max(PAD + half);
    x_label.shortened_from(title)
}

/// The category name left of the plot and the value labels beside the bar.
fn row_labels(row: &Row, centre: f64, bar_left: f64, bar_right: f64, plot: &Plot, placement: Placement) -> Vec<Label> {
    let mut labels = Vec::with_capacity(3);
    if !row.shown.is_empty() {
        let at = (plot.left - CATEGORY_GAP, centre);
        labels.push(
            Label::new(Role::Category, row.shown.clone(), at, Anchor::End, Baseline::Middle).shortened_from(&row.full),
        );
    }
    let before = (bar_left - VALUE_GAP, centre);
    let after = (bar_right + VALUE_GAP, centre);
    match placement {
        Placement::Ends if !row.single() => {
            labels.push(Label::new(Role::Value, row.lo_text.clone(), before, Anchor::End, Baseline::Middle));
            labels.push(Label::new(Role::Value, row.hi_text.clone(), after, Anchor::Start, Baseline::Middle));
        }
        _ => labels.push(Label::new(Role::Value, row.combined(), after, Anchor::Start, Baseline::Middle)),
    }
    labels
}

/// A band too narrow to see is widened to `MIN_BAR_PX` around its middle, kept on the axis.
fn visible_extent(lo: f64, hi: f64, axis: &Axis, plot_px: f64) -> (f64, f64) {
    let min_span = (axis.hi - axis.lo) / plot_px * MIN_BAR_PX;
    if hi - lo >= min_span {
        return (lo, hi);
    }
    let mid = (lo + hi) / 2.0;
    let start = (mid - min_span / 2.0).max(axis.lo).min(axis.hi - min_span);
    (start, start + min_span)
}

/// Chooses the plot's horizontal extent, the axis and the label placement together: the
/// outer tick labels are centred on the plot edges, so the margins depend on the axis.
fn fit_axis(
    rows: &[Row],
    width: f64,
    column: f64,
    format: AxisFormat,
) -> Result<(f64, f64, Axis, Placement), ChartError> {
    let min = rows.iter().map(|r| r.lo).fold(f64::INFINITY, f64::min);
    let max = rows.iter().map(|r| r.hi).fold(f64::NEG_INFINITY, f64::max);
    let font = TickFont { size: label::size(Role::Tick), min_gap: 14.0 };
    // Labels at both ends read best; a combined label right of the bar is the fallback,
    // and an axis crossing zero only the last resort.
    let attempts = [(Placement::Ends, false), (Placement::Combined, false), (Placement::Combined, true)];
    let (mut first_half, mut last_half) = (0.0, 0.0);
    // Margins only grow, and only when the outer tick labels get wider: a few rounds settle.
    for _ in 0..4 {
        let left = (PAD + column + CATEGORY_GAP).max(PAD + first_half).ceil();
        let right = (width - PAD.max(last_half + 2.0)).floor();
        let pick = attempts.into_iter().find_map(|(placement, cross_zero)| {
            let needs: Vec<Need> = rows.iter().map(|r| r.need(placement)).collect();
            scale::choose(min, max, right - left, format, &needs, font, cross_zero).map(|axis| (axis, placement))
        });
        let Some((axis, placement)) = pick else {
            break;
        };
        let half = |l: Option<&String>| l.map_or(0.0, |l| text::width(l, font.size, false) / 2.0);
        let (first, last) = (half(axis.labels.first()), half(axis.labels.last()));
        if PAD + first <= left && width - right >= last + 2.0 {
            return Ok((left, right, axis, placement));
        }
        first_half = f64::max(first_half, first);
        last_half = f64::max(last_half, last);
    }
    Err(axis_error(min, max, width, format, font))
}

/// Says why no axis fits: numbers too long to print, numbers the format cannot tell
/// apart, or too little width.
fn axis_error(min: f64, max: f64, width: f64, format: AxisFormat, font: TickFont) -> ChartError {
    let name = match format {
        AxisFormat::MoneyK => "money_k",
        AxisFormat::Pct => "pct",
        AxisFormat::Num => "num",
    };
    let (lo, hi) = (format_tick(min, format), format_tick(max, format));
    let size = label::size(Role::Value);
    let widest = text::width(&lo, size, false).max(text::width(&hi, size, false));
    if widest > width / 4.0 {
        return ChartError::new(format!(
            "values up to {hi} are too long to label in a {width} px chart; scale the data or widen the chart"
        ));
    }
    if scale::choose(min, max, width, format, &[], font, true).is_none() {
        return ChartError::new(format!(
            "values from {min} to {max} are too close together to label with the `{name}` format; scale the data or use another format"
        ));
    }
    ChartError::new(format!("chart width {width} px is too narrow for these value labels; make the chart wider"))
}

/// Draws the laid-out chart on any plotters backend: gridlines, bars, axis line, then text.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    layout: &BandLayout,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let Plot { left, top, right, bottom } = layout.plot;
    let (l, t, r, b) = (left as i32, top as i32, right as i32, bottom as i32);
    let n = layout.bars.len() as f64;
    let plot_area = root.clone().shrink((l, t), (r - l + 1, b - t + 1));
    let mut chart = ChartBuilder::on(&plot_area).build_cartesian_2d(layout.axis.lo..layout.axis.hi, 0f64..n)?;

    // Gridlines at our ticks only: plotters' mesh would pick its own key points.
    let grid = Role::Grid.light().stroke_width(1);
    let ticks = layout.axis.ticks.iter();
    chart.draw_series(ticks.map(|&x| PathElement::new(vec![(x, 0.0), (x, n)], grid)))?;

    // plotters' y grows upwards from the bottom row; bars are laid out in px from the top.
    let row_h = (bottom - top) / n.max(1.0);
    let to_y = |py: f64| n - (py - top) / row_h;
    let fill = Role::Bar.light().filled();
    chart.draw_series(
        layout.bars.iter().map(|bar| Rectangle::new([(bar.lo, to_y(bar.top)), (bar.hi, to_y(bar.bottom))], fill)),
    )?;

    root.draw(&PathElement::new(vec![(l, b), (r, b)], Role::Axis.light().stroke_width(1)))?;
    label::draw_all(root, &layout.labels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::ChartData;

    fn row(category: &str, lo: f64, hi: f64) -> BandRow {
        BandRow { category: category.to_string(), lo, hi }
    }

    fn spec(rows: Vec<BandRow>, format: AxisFormat) -> ChartSpec {
        ChartSpec {
            data: ChartData::Bands(rows),
            title: Some("L5 total compensation by specialisation".to_string()),
            x_title: Some("Total compensation (USD)".to_string()),
            y_title: None,
            format,
            width: None,
            height: None,
        }
    }

    fn sample_rows() -> Vec<BandRow> {
        vec![
            row("MLOps engineer", 260_000.0, 520_000.0),
            row("LLM engineer", 300_000.0, 700_000.0),
            row("Computer vision engineer", 250_000.0, 480_000.0),
            row("Generalist ML engineer", 240_000.0, 470_000.0),
        ]
    }

    fn lay(spec: &ChartSpec) -> BandLayout {
        let ChartData::Bands(rows) = &spec.data;
        match layout(spec, rows) {
            Ok(layout) => layout,
            Err(e) => panic!("layout failed: {e}"),
        }
    }

    type Boxed = (f64, f64, f64, f64);

    fn overlaps(a: Boxed, b: Boxed) -> bool {
        // Half a pixel of tolerance for rounding of anchors.
        a.0 < b.2 - 0.5 && b.0 < a.2 - 0.5 && a.1 < b.3 - 0.5 && b.1 < a.3 - 0.5
    }

    /// The guarantees the module makes about any laid-out chart.
    fn assert_clean(layout: &BandLayout) {
        let (w, h) = (f64::from(layout.width), f64::from(layout.height));
        let Plot { left, top, right, bottom } = layout.plot;
        let bars: Vec<Boxed> =
            layout.bars.iter().map(|b| (layout.px(b.lo), b.top, layout.px(b.hi), b.bottom)).collect();
        for (i, label) in layout.labels.iter().enumerate() {
            let e = label.extent();
            assert!(e.0 >= 0.0 && e.2 <= w && e.1 >= 0.0 && e.3 <= h, "{label:?} {e:?} outside {w}x{h}");
            for other in layout.labels.iter().skip(i + 1) {
                assert!(!overlaps(e, other.extent()), "{label:?} overlaps {other:?}");
            }
            for bar in &bars {
                assert!(!overlaps(e, *bar), "{label:?} overlaps bar {bar:?}");
            }
            if label.role == Role::Value {
                assert!(e.0 >= left && e.2 <= right, "{label:?} leaves the plot");
            }
        }
        for bar in &bars {
            assert!(bar.0 >= left && bar.2 <= right && bar.1 >= top && bar.3 <= bottom, "{bar:?}");
        }
    }

    #[test]
    fn sample_labels_stay_inside_the_view_box_and_apart() {
        let layout = lay(&spec(sample_rows(), AxisFormat::MoneyK));
        assert_clean(&layout);
        assert_eq!(layout.width, 720);
        assert!(layout.axis.lo < 240_000.0 && layout.axis.hi > 700_000.0);
    }

    #[test]
    fn sample_puts_lo_and_hi_labels_at_the_bar_ends() {
        let layout = lay(&spec(sample_rows(), AxisFormat::MoneyK));
        let values: Vec<&str> =
            layout.labels.iter().filter(|l| l.role == Role::Value).map(|l| l.text.as_str()).collect();
        assert_eq!(values[..4], ["$260k", "$520k", "$300k", "$700k"]);
    }

    #[test]
    fn default_height_is_forty_px_per_category_plus_margins() {
        let four = lay(&spec(sample_rows(), AxisFormat::MoneyK));
        let mut rows = sample_rows();
        rows.extend(sample_rows());
        let eight = lay(&spec(rows, AxisFormat::MoneyK));
        assert_eq!(eight.height - four.height, 160);
    }

    #[test]
    fn rows_are_drawn_in_the_order_given_first_at_top() {
        let layout = lay(&spec(sample_rows(), AxisFormat::MoneyK));
        let tops: Vec<f64> = layout.bars.iter().map(|b| b.top).collect();
        assert!(tops.windows(2).all(|w| w[0] < w[1]), "{tops:?}");
    }

    #[test]
    fn long_category_names_are_shortened_with_the_full_name_kept() {
        let name = "Machine learning infrastructure and platform engineering (staff)";
        let layout = lay(&spec(vec![row(name, 1.0e5, 2.0e5)], AxisFormat::MoneyK));
        let Some(cat) = layout.labels.iter().find(|l| l.role == Role::Category) else {
            panic!("no category label");
        };
        assert!(cat.text.ends_with('…') && cat.text.chars().count() <= MAX_LABEL_CHARS);
        assert_eq!(cat.tooltip.as_deref(), Some(name));
        assert_clean(&layout);
    }

    #[test]
    fn a_band_starting_at_zero_gets_a_combined_label_right_of_the_bar() {
        let layout = lay(&spec(vec![row("Premium", 0.0, 0.1)], AxisFormat::Pct));
        assert_eq!(layout.axis.lo, 0.0);
        assert!(layout.labels.iter().any(|l| l.text == "0%–10%"));
        assert_clean(&layout);
    }

    #[test]
    fn degenerate_ranges_still_draw_visible_bars() {
        for rows in [
            vec![row("Only", 300_000.0, 300_000.0)],
            vec![row("A", 0.0, 0.0), row("B", 0.0, 0.0)],
            vec![row("A", -5.0, -5.0)],
        ] {
            let layout = lay(&spec(rows, AxisFormat::MoneyK));
            assert!(layout.axis.hi > layout.axis.lo);
            for bar in &layout.bars {
                assert!(layout.px(bar.hi) - layout.px(bar.lo) >= MIN_BAR_PX - 1.0, "{bar:?}");
            }
            assert_clean(&layout);
        }
    }

    #[test]
    fn layouts_stay_clean_across_widths_heights_formats_and_signs() {
        let row_sets = [
            sample_rows(),
            vec![row("Backend & <Infra> \"x\"", -0.05, 0.1), row("Data", 0.02, 0.125)],
            vec![row("W", 1_000_000.0, 2_100_000.0), row("Principal engineer, infrastructure", 450_000.0, 1_250_000.0)],
            (0..15).map(|i| row(&format!("Level {i}"), 1000.0 * f64::from(i), 1000.0 * f64::from(i * 2 + 3))).collect(),
        ];
        for rows in row_sets {
            for format in [AxisFormat::MoneyK, AxisFormat::Pct, AxisFormat::Num] {
                for width in [320, 480, 720, 1200] {
                    for height in [None, Some(900)] {
                        let mut s = spec(rows.clone(), format);
                        s.width = Some(width);
                        s.height = height;
                        s.y_title = Some("Specialisation".to_string());
                        match layout(&s, &rows) {
                            Ok(layout) => assert_clean(&layout),
                            Err(e) => assert!(e.message.contains(" px "), "{e}"),
                        }
                    }
                }
            }
        }
    }

    /// A fixed pseudo-random sweep: whatever the numbers, layout either succeeds cleanly or
    /// reports an error; it never panics.
    #[test]
    fn arbitrary_numbers_never_panic() {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let scales = [1e-9, 1e-3, 1.0, 1e3, 1e6, 1e12, 1e100];
        for _ in 0..400 {
            let n = (next() % 6 + 1) as usize;
            let scale = scales[(next() % scales.len() as u64) as usize];
            let rows: Vec<BandRow> = (0..n)
                .map(|i| {
                    let a = (next() % 2000) as f64 / 1000.0 - 0.5;
                    let b = a + (next() % 1000) as f64 / 1000.0 * (next() % 2) as f64;
                    row(&"x".repeat(i * 7), a * scale, b * scale)
                })
                .collect();
            let format = [AxisFormat::MoneyK, AxisFormat::Pct, AxisFormat::Num][(next() % 3) as usize];
            let s = spec(rows.clone(), format);
            match layout(&s, &rows) {
                Ok(layout) => assert_clean(&layout),
                // Ordinary magnitudes must always draw; extreme ones may be refused.
                Err(e) => assert!(!(1.0..=1e12).contains(&scale), "{rows:?} {format:?}: {e}"),
            }
        }
    }
}
