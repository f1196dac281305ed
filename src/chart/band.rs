//! The band chart: one floating lo–hi bar per category, laid out in px, drawn with plotters.
//!
//! Layout is plain arithmetic over estimated text widths, so it is testable without a
//! renderer and gives the same pixels whatever font backend plotters is built with. We place
//! every text with an explicit anchor; plotters draws gridlines, bars and text.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::format::format_tick;
use super::frame::{self, Attempt, Category, Frame, MIN_ROW, Plot, ROW, VALUE_GAP};
use super::label::{Anchor, Baseline, Label};
use super::palette::{Look, Role};
use super::scale::{Axis, Need};
use super::{AxisBounds, AxisFormat, BandRow, ChartError, ChartSpec};

const BAR_SHARE: f64 = 0.5;
const MAX_BAR: f64 = 28.0;
/// A zero-width band still shows as a thin bar.
pub const MIN_BAR_PX: f64 = 3.0;

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
    name: Category,
    lo: f64,
    hi: f64,
    lo_text: String,
    hi_text: String,
}

impl Row {
    fn new(band: &BandRow, max_column: f64, format: AxisFormat) -> Self {
        Row {
            name: Category::new(&band.category, max_column),
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
            format!("{}: {}", self.name.full, self.hi_text)
        } else {
            format!("{}: {} to {}", self.name.full, self.lo_text, self.hi_text)
        }
    }

    fn need(&self, placement: Placement) -> Need {
        let room = |s: &str| frame::label_room(s, MIN_BAR_PX);
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
    let frame = Frame::new(spec, &[])?;
    let w = frame.w;
    let rows: Vec<Row> = bands.iter().map(|band| Row::new(band, w * frame::MAX_LABEL_SHARE, spec.format)).collect();
    let mut labels = frame.labels.clone();
    let top = frame.top;
    let (row_h, height) = frame.rows_fit(spec.height, rows.len(), ROW, MIN_ROW)?;

    let column = frame::column_width(rows.iter().map(|r| &r.name.shown));
    let (left, right, axis, placement, column_right) = fit_axis(&rows, w, column, spec.format, spec.bounds)?;
    let plot = Plot { left, top, right, bottom: (top + rows.len() as f64 * row_h).round() };

    labels.extend(frame.y_title_label(column_right));
    let thickness = (row_h * BAR_SHARE).min(MAX_BAR);
    let mut bars = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let centre = (top + (i as f64 + 0.5) * row_h).round();
        let (lo, hi) = visible_extent(row.lo, row.hi, &axis, right - left);
        labels.extend(row_labels(row, centre, plot.x(&axis, lo), plot.x(&axis, hi), column_right, placement));
        bars.push(Bar {
            lo,
            hi,
            top: centre - thickness / 2.0,
            bottom: centre + thickness / 2.0,
            tooltip: row.describe(),
        });
    }
    labels.extend(frame.value_axis_labels(&plot, &axis));
    let width = frame.width;

    let desc = rows.iter().map(Row::describe).collect::<Vec<_>>().join("; ") + ".";
    Ok(BandLayout { width, height, plot, axis, bars, labels, desc })
}

fn check_band(band: &BandRow) -> Result<(), ChartError> {
    frame::check_finite("band chart", &band.category, "lo", band.lo)?;
    frame::check_finite("band chart", &band.category, "hi", band.hi)?;
    let name = super::text::clean(&band.category);
    if band.lo > band.hi {
        return Err(ChartError::new(format!(
            "band chart row \"{name}\": lo ({}) is greater than hi ({}); swap them",
            band.lo, band.hi
        )));
    }
    Ok(())
}

/// The category name left of the plot and the value labels beside the bar.
fn row_labels(
    row: &Row,
    centre: f64,
    bar_left: f64,
    bar_right: f64,
    column_right: f64,
    placement: Placement,
) -> Vec<Label> {
    let mut labels = Vec::with_capacity(3);
    labels.extend(row.name.label(column_right, centre));
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

/// Labels at both ends read best; a combined label right of the bar is the fallback, and an
/// axis crossing zero only the last resort.
fn fit_axis(
    rows: &[Row],
    width: f64,
    column: f64,
    format: AxisFormat,
    fixed: AxisBounds,
) -> Result<(f64, f64, Axis, Placement, f64), ChartError> {
    let min = rows.iter().map(|r| r.lo).fold(f64::INFINITY, f64::min);
    let max = rows.iter().map(|r| r.hi).fold(f64::NEG_INFINITY, f64::max);
    let plan = [(Placement::Ends, false), (Placement::Combined, false), (Placement::Combined, true)];
    let attempts: Vec<Attempt> = plan
        .iter()
        .map(|&(placement, cross_zero)| Attempt { needs: rows.iter().map(|r| r.need(placement)).collect(), cross_zero })
        .collect();
    let (left, right, axis, used, column_right) = frame::fit_axis((min, max), width, column, format, &attempts, fixed)?;
    let placement = plan.get(used).map_or(Placement::Combined, |p| p.0);
    Ok((left, right, axis, placement, column_right))
}

/// Draws the laid-out chart's gridlines, bars and axis line on any plotters backend; the
/// caller draws the text.
pub fn draw_marks<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    layout: &BandLayout,
    look: Look,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let Plot { left, top, right, bottom } = layout.plot;
    let s = look.scale;
    let (l, t, r, b) = ((left * s) as i32, (top * s) as i32, (right * s) as i32, (bottom * s) as i32);
    let n = layout.bars.len() as f64;
    let plot_area = root.clone().shrink((l, t), (r - l + 1, b - t + 1));
    let mut chart = ChartBuilder::on(&plot_area).build_cartesian_2d(layout.axis.lo..layout.axis.hi, 0f64..n)?;

    // Gridlines at our ticks only: plotters' mesh would pick its own key points.
    let thin = look.thickness(1);
    let grid = look.colour(Role::Grid).stroke_width(thin);
    let ticks = layout.axis.ticks.iter();
    chart.draw_series(ticks.map(|&x| PathElement::new(vec![(x, 0.0), (x, n)], grid)))?;

    // plotters' y grows upwards from the bottom row; bars are laid out in px from the top.
    let row_h = (bottom - top) / n.max(1.0);
    let to_y = |py: f64| n - (py - top) / row_h;
    let fill = look.colour(Role::Bar).filled();
    chart.draw_series(
        layout.bars.iter().map(|bar| Rectangle::new([(bar.lo, to_y(bar.top)), (bar.hi, to_y(bar.bottom))], fill)),
    )?;

    root.draw(&PathElement::new(vec![(l, b), (r, b)], look.colour(Role::Axis).stroke_width(thin)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::ChartData;
    use crate::chart::frame::MAX_LABEL_CHARS;

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
            bounds: Default::default(),
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
        let ChartData::Bands(rows) = &spec.data else {
            panic!("not a band chart");
        };
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
