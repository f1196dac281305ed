//! What every chart kind lays out the same way: size checks, title lines, the legend, axis
//! titles, category names, the horizontal value axis and its ticks.
//!
//! All measures are px; the kinds (`band`, `bar`, `stacked`, `line`) only add their marks.

use super::format::format_tick;
use super::label::{self, Anchor, Baseline, Label};
use super::palette::Role;
use super::scale::{self, Axis, Need, TickFont};
use super::scene::{Mark, Scene};
use super::{AxisBounds, AxisFormat, ChartError, ChartSpec, text};

pub const DEFAULT_WIDTH: u32 = 720;
pub const MIN_WIDTH: u32 = 320;
pub const MIN_HEIGHT: u32 = 100;
/// The most a chart's `width` or `height` may be set to, by its options or `nbrender chart`.
pub const MAX_SET: u32 = 4000;
/// The most a height left to the rows (40 px a category) may grow to.
pub const MAX_GROWN: u32 = 20_000;

pub const PAD: f64 = 8.0;
const TITLE_LINE: f64 = 21.0;
const TITLE_MAX_LINES: usize = 2;
const TITLE_GAP: f64 = 10.0;
/// Line height of 12 px texts: ticks, legend entries and axis titles.
pub const SMALL_LINE: f64 = 15.0;
/// The spec's default: 40 px per category.
pub const ROW: f64 = 40.0;
/// Below this, 13 px category labels in neighbouring rows would touch.
pub const MIN_ROW: f64 = 20.0;
pub const CATEGORY_GAP: f64 = 12.0;
pub const VALUE_GAP: f64 = 6.0;
pub const TICK_GAP: f64 = 7.0;
const X_TITLE_GAP: f64 = 6.0;
pub const MAX_LABEL_CHARS: usize = 28;
/// The category column never takes more than this share of the width.
pub const MAX_LABEL_SHARE: f64 = 0.38;
const SWATCH: f64 = 10.0;
const SWATCH_GAP: f64 = 5.0;
const LEGEND_ITEM_GAP: f64 = 16.0;
const LEGEND_LINE: f64 = 18.0;
const LEGEND_GAP: f64 = 6.0;

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
    pub fn x(&self, axis: &Axis, value: f64) -> f64 {
        let t = (value - axis.lo) / (axis.hi - axis.lo);
        self.left + ((self.right - self.left) * t + 1e-3).floor()
    }

    /// A value on a vertical axis: `axis.lo` at the bottom.
    pub fn y(&self, axis: &Axis, value: f64) -> f64 {
        let t = (value - axis.lo) / (axis.hi - axis.lo);
        (self.bottom - (self.bottom - self.top) * t).round()
    }
}

/// The chart's size, its title, legend and axis titles, and the room they leave.
#[derive(Debug, Clone)]
pub struct Frame {
    pub width: u32,
    pub w: f64,
    /// Title lines and legend entries, in drawing order.
    pub labels: Vec<Label>,
    /// Legend swatches.
    pub swatches: Vec<Mark>,
    /// Where the plot may start.
    pub top: f64,
    /// Where the y axis title goes, when there is one.
    pub y_title_top: f64,
    pub y_title: Option<String>,
    pub x_title: Option<String>,
    /// Room under the plot: tick labels, the x axis title, padding.
    pub below: f64,
}

impl Frame {
    /// Checks the width and lays out the title, the legend (`legend`: name and colour of each
    /// series; none for one series) and room for the axis titles.
    pub fn new(spec: &ChartSpec, legend: &[(String, Role)]) -> Result<Frame, ChartError> {
        let width = spec.width.unwrap_or(DEFAULT_WIDTH);
        if !(MIN_WIDTH..=MAX_SET).contains(&width) {
            return Err(ChartError::new(format!(
                "chart width {width} px is out of range; use {MIN_WIDTH} to {MAX_SET}"
            )));
        }
        if let Some(height) = spec.height
            && !(MIN_HEIGHT..=MAX_SET).contains(&height)
        {
            return Err(ChartError::new(format!(
                "chart height {height} px is out of range; use {MIN_HEIGHT} to {MAX_SET}"
            )));
        }
        let w = f64::from(width);
        let titles = [&spec.title, &spec.x_title, &spec.y_title]
            .map(|t| t.as_deref().map(text::clean).filter(|t| !t.is_empty()));
        let [title, x_title, y_title] = titles;
        let mut labels = title.map_or_else(Vec::new, |t| title_lines(&t, w));
        let mut top = PAD + labels.len() as f64 * TITLE_LINE;
        if !labels.is_empty() {
            top += TITLE_GAP;
        }
        let mut swatches = Vec::new();
        if legend.len() > 1 {
            top = legend_entries(legend, top, w, &mut labels, &mut swatches) + LEGEND_GAP;
        }
        let y_title_top = top;
        if y_title.is_some() {
            top += SMALL_LINE + 4.0;
        }
        let x_title_room = x_title.as_ref().map_or(0.0, |_| X_TITLE_GAP + SMALL_LINE);
        let below = TICK_GAP + SMALL_LINE + x_title_room + PAD;
        Ok(Frame { width, w, labels, swatches, top, y_title_top, y_title, x_title, below })
    }

    /// Row height and total height: `row` px a row by default, or what a fixed height leaves.
    pub fn rows_fit(&self, fixed: Option<u32>, n: usize, row: f64, min_row: f64) -> Result<(f64, u32), ChartError> {
        let count = n as f64;
        let (top, below) = (self.top, self.below);
        let (row_h, height) = match fixed {
            Some(h) => ((f64::from(h) - top - below) / count, h),
            None => (row, (top + count * row + below).ceil().min(f64::from(u32::MAX)) as u32),
        };
        let needed = (top + count * min_row + below).ceil();
        if fixed.is_some() && row_h < min_row {
            let beyond = match needed > f64::from(MAX_SET) {
                true => format!(", more than the {MAX_SET} px a height may be set to: show fewer categories"),
                false => String::new(),
            };
            return Err(ChartError::new(format!(
                "chart height {height} px cannot fit {n} categories: they need at least {needed} px{beyond}"
            )));
        }
        if fixed.is_none() && height > MAX_GROWN {
            return Err(ChartError::new(format!(
                "{n} categories need a chart {height} px tall, more than the {MAX_GROWN} px a chart may grow to: show fewer categories"
            )));
        }
        Ok((row_h, height))
    }

    /// The y axis title heads the category column, right-aligned with the names like a
    /// table header; a title wider than the column starts at the left edge instead.
    /// The title over the category names, which end at `column_right`.
    pub fn y_title_label(&self, column_right: f64) -> Option<Label> {
        let title = self.y_title.as_deref()?;
        let shown = text::shorten(title, usize::MAX, self.w - 2.0 * PAD, label::size(Role::AxisTitle), false);
        let at = (column_right, self.y_title_top);
        let mut y_label = Label::new(Role::AxisTitle, shown, at, Anchor::End, Baseline::Top);
        if PAD + y_label.width() > column_right {
            y_label.x = PAD;
            y_label.anchor = Anchor::Start;
        }
        Some(y_label.shortened_from(title))
    }

    /// The x axis title is centred under the plot, moved in if it would cross an edge.
    pub fn x_title_label(&self, plot: &Plot, top: f64) -> Option<Label> {
        let title = self.x_title.as_deref()?;
        let w = self.w;
        let shown = text::shorten(title, usize::MAX, w - 2.0 * PAD, label::size(Role::AxisTitle), false);
        let mut x_label = Label::new(Role::AxisTitle, shown, (0.0, top), Anchor::Middle, Baseline::Top);
        let half = x_label.width() / 2.0;
        x_label.x = ((plot.left + plot.right) / 2.0).min(w - PAD - half).max(PAD + half);
        Some(x_label.shortened_from(title))
    }

    /// Tick labels under a horizontal value axis, then the x axis title under them.
    pub fn value_axis_labels(&self, plot: &Plot, axis: &Axis) -> Vec<Label> {
        let tick_top = plot.bottom + TICK_GAP;
        let mut labels: Vec<Label> = axis
            .ticks
            .iter()
            .zip(&axis.labels)
            .map(|(tick, text)| {
                Label::new(Role::Tick, text.clone(), (plot.x(axis, *tick), tick_top), Anchor::Middle, Baseline::Top)
            })
            .collect();
        labels.extend(self.x_title_below(plot));
        labels
    }

    /// The x axis title under the line of tick (or category) labels below the plot.
    pub fn x_title_below(&self, plot: &Plot) -> Option<Label> {
        self.x_title_label(plot, plot.bottom + TICK_GAP + SMALL_LINE + X_TITLE_GAP)
    }
}

/// Lays legend entries out in lines from the left edge; returns the bottom of the last line.
fn legend_entries(
    legend: &[(String, Role)],
    top: f64,
    width: f64,
    labels: &mut Vec<Label>,
    swatches: &mut Vec<Mark>,
) -> f64 {
    let size = label::size(Role::Legend);
    let room = width - 2.0 * PAD - SWATCH - SWATCH_GAP;
    let (mut x, mut line_top) = (PAD, top);
    for (name, role) in legend {
        let full = text::clean(name);
        let shown = text::shorten(&full, MAX_LABEL_CHARS, room, size, false);
        let item = SWATCH + SWATCH_GAP + text::width(&shown, size, false);
        if x > PAD && x + item > width - PAD {
            x = PAD;
            line_top += LEGEND_LINE;
        }
        let centre = line_top + LEGEND_LINE / 2.0;
        let swatch_top = (centre - SWATCH / 2.0).round();
        swatches.push(Mark {
            role: *role,
            x0: x,
            y0: swatch_top,
            x1: x + SWATCH,
            y1: swatch_top + SWATCH,
            tooltip: None,
        });
        let at = (x + SWATCH + SWATCH_GAP, centre);
        labels.push(Label::new(Role::Legend, shown, at, Anchor::Start, Baseline::Middle).shortened_from(&full));
        x += item + LEGEND_ITEM_GAP;
    }
    line_top + LEGEND_LINE
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

/// A category name as given and as shown (shortened to fit the category column).
#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    pub full: String,
    pub shown: String,
}

impl Category {
    pub fn new(name: &str, max_column: f64) -> Self {
        let full = text::clean(name);
        let size = label::size(Role::Category);
        Category { shown: text::shorten(&full, MAX_LABEL_CHARS, max_column, size, false), full }
    }

    /// The name left of the plot, ending at `column_right`, centred on its row; none for a
    /// blank name.
    pub fn label(&self, column_right: f64, centre: f64) -> Option<Label> {
        if self.shown.is_empty() {
            return None;
        }
        let at = (column_right, centre);
        Some(
            Label::new(Role::Category, self.shown.clone(), at, Anchor::End, Baseline::Middle)
                .shortened_from(&self.full),
        )
    }
}

/// The width of the widest shown category name.
pub fn column_width(categories: impl Iterator<Item = impl AsRef<str>>) -> f64 {
    categories.map(|c| text::width(c.as_ref(), label::size(Role::Category), false)).fold(0.0, f64::max)
}

/// The room a value label of `text` needs beside a bar end.
pub fn label_room(text: &str, min_bar: f64) -> f64 {
    text::width(text, label::size(Role::Value), false) + VALUE_GAP + min_bar
}

/// One way to place the value labels: what each bar needs, and whether the axis may cross zero.
pub struct Attempt {
    pub needs: Vec<Need>,
    pub cross_zero: bool,
}

/// Chooses the plot's horizontal extent and the axis for the first attempt that fits: the
/// outer tick labels are centred on the plot edges, so the margins depend on the axis. At a
/// `fixed` end, value labels that reach past the plot get room beside it instead (the plot
/// narrows). Returns left, right, the axis, the index of the attempt used and where the
/// category names end (`CATEGORY_GAP` left of the plot, or of the room kept beside it).
pub fn fit_axis(
    (min, max): (f64, f64),
    width: f64,
    column: f64,
    format: AxisFormat,
    attempts: &[Attempt],
    fixed: AxisBounds,
) -> Result<(f64, f64, Axis, usize, f64), ChartError> {
    let font = TickFont { size: label::size(Role::Tick), min_gap: 14.0 };
    let (mut first_half, mut last_half) = (0.0, 0.0);
    // Room left free past a fixed end for the labels there.
    let mut extra: (f64, f64) = (0.0, 0.0);
    // Margins only grow, and only when the outer tick labels get wider: a few rounds settle.
    // Room past a fixed end settles more slowly (the plot narrows, so labels reach further).
    let rounds = if fixed.is_open() { 4 } else { 12 };
    for _ in 0..rounds {
        let names = (PAD + column + CATEGORY_GAP).max(PAD + first_half);
        let left = (names + extra.0).ceil();
        let right = (width - PAD.max(last_half + 2.0) - extra.1).floor();
        if !fixed.is_open() && right - left < 1.0 {
            break;
        }
        let pick = attempts.iter().enumerate().find_map(|(i, a)| {
            scale::choose(min, max, right - left, format, &a.needs, font, a.cross_zero, fixed).map(|axis| (axis, i))
        });
        let Some((axis, used)) = pick else {
            break;
        };
        let half = |l: Option<&String>| l.map_or(0.0, |l| text::width(l, font.size, false) / 2.0);
        let (first, last) = (half(axis.labels.first()), half(axis.labels.last()));
        let (over_left, over_right) = reserved(&axis, fixed, format, attempts.get(used));
        let room = over_left <= extra.0 + 0.5 && over_right <= extra.1 + 0.5;
        if PAD + first <= left && width - right >= last + 2.0 && room {
            // Without room kept, the names end where they always have: a gap left of the plot.
            let column_right = if extra.0 > 0.0 { names.ceil() - CATEGORY_GAP } else { left - CATEGORY_GAP };
            return Ok((left, right, axis, used, column_right));
        }
        first_half = f64::max(first_half, first);
        last_half = f64::max(last_half, last);
        extra = (extra.0.max(over_left), extra.1.max(over_right));
    }
    let (min, max) = fixed.cover((min, max));
    Err(axis_error(min, max, width, format, font))
}

/// The room kept free past the fixed ends of `axis`: what its labels reach, and at least what
/// a label at the end itself would, so that charts with the same bounds draw their plots alike
/// whichever values they hold.
fn reserved(axis: &Axis, fixed: AxisBounds, format: AxisFormat, attempt: Option<&Attempt>) -> (f64, f64) {
    let (left, right) = axis.overhang;
    let Some(attempt) = attempt.filter(|_| !fixed.is_open()) else { return (left, right) };
    let room = |v: f64| label_room(&format_tick(v, format), super::band::MIN_BAR_PX);
    let left = match fixed.min.is_some() && attempt.needs.iter().any(|n| n.left_px > 0.0) {
        true => left.max(room(axis.lo)),
        false => left,
    };
    let right = match fixed.max.is_some() && attempt.needs.iter().any(|n| n.right_px > 0.0) {
        true => right.max(room(axis.hi)),
        false => right,
    };
    (left, right)
}

/// Says why no axis fits: numbers too long to print, numbers the format cannot tell
/// apart, or too little room.
pub fn axis_error(min: f64, max: f64, width: f64, format: AxisFormat, font: TickFont) -> ChartError {
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
    if scale::choose(min, max, width, format, &[], font, true, AxisBounds::default()).is_none() {
        return ChartError::new(format!(
            "values from {min} to {max} are too close together to label with the `{name}` format; scale the data or use another format"
        ));
    }
    ChartError::new(format!("chart width {width} px is too narrow for these value labels; make the chart wider"))
}

/// A value the chart cannot draw, named by kind, category and series.
pub fn check_finite(kind: &str, category: &str, series: &str, value: f64) -> Result<(), ChartError> {
    if value.is_finite() {
        return Ok(());
    }
    let name = text::clean(category);
    Err(ChartError::new(format!("{kind} row \"{name}\": {series} is {value}, not a finite number")))
}

/// A horizontal chart laid out to the point where the kind adds its bars: one row per
/// category, names left of the plot, the value axis along the bottom.
pub struct Across {
    pub frame: Frame,
    pub names: Vec<Category>,
    pub plot: Plot,
    pub axis: Axis,
    pub row_h: f64,
    pub height: u32,
    /// The index of the label placement that fitted.
    pub attempt: usize,
    /// Where the category names end.
    pub column_right: f64,
}

/// Row heights for [`Across::new`]: the default and the least that still reads.
pub struct Rows {
    pub default: f64,
    pub min: f64,
}

impl Across {
    pub fn new<'a>(
        spec: &ChartSpec,
        frame: Frame,
        categories: impl Iterator<Item = &'a str>,
        range: (f64, f64),
        attempts: &[Attempt],
        rows: Rows,
    ) -> Result<Across, ChartError> {
        let names: Vec<Category> = categories.map(|c| Category::new(c, frame.w * MAX_LABEL_SHARE)).collect();
        let (row_h, height) = frame.rows_fit(spec.height, names.len(), rows.default, rows.min)?;
        let column = column_width(names.iter().map(|n| &n.shown));
        let (left, right, axis, attempt, column_right) =
            fit_axis(range, frame.w, column, spec.format, attempts, spec.bounds)?;
        let top = frame.top;
        let plot = Plot { left, top, right, bottom: (top + names.len() as f64 * row_h).round() };
        Ok(Across { frame, names, plot, axis, row_h, height, attempt, column_right })
    }

    /// The vertical centre of row `i`.
    pub fn centre(&self, i: usize) -> f64 {
        (self.plot.top + (i as f64 + 0.5) * self.row_h).round()
    }

    pub fn x(&self, value: f64) -> f64 {
        self.plot.x(&self.axis, value)
    }

    /// The finished scene: legend swatches before `bars`, the frame's texts, category names,
    /// then the kind's `values`, then the axis labels.
    pub fn scene(self, bars: Vec<Mark>, values: Vec<Label>, desc: String) -> Scene {
        let Across { frame, names, plot, axis, .. } = &self;
        let mut labels = frame.labels.clone();
        labels.extend(frame.y_title_label(self.column_right));
        labels.extend(names.iter().enumerate().filter_map(|(i, n)| n.label(self.column_right, self.centre(i))));
        labels.extend(values);
        labels.extend(frame.value_axis_labels(plot, axis));
        let grid = axis.ticks.iter().map(|&t| ((self.x(t), plot.top), (self.x(t), plot.bottom))).collect();
        let mut marks = frame.swatches.clone();
        marks.extend(bars);
        Scene {
            width: frame.width,
            height: self.height,
            plot: *plot,
            grid,
            axis: ((plot.left, plot.bottom), (plot.right, plot.bottom)),
            marks,
            strokes: Vec::new(),
            dots: Vec::new(),
            labels,
            desc,
        }
    }
}

/// How thick a single bar is in a row `row_h` px high.
pub fn bar_thickness(row_h: f64) -> f64 {
    (row_h * 0.5).min(28.0)
}

/// A value label beside a bar end: right of it for a value of zero or more, left otherwise.
pub fn end_label(text: String, value: f64, (x0, x1): (f64, f64), centre: f64) -> Label {
    if value < 0.0 {
        Label::new(Role::Value, text, (x0 - VALUE_GAP, centre), Anchor::End, Baseline::Middle)
    } else {
        Label::new(Role::Value, text, (x1 + VALUE_GAP, centre), Anchor::Start, Baseline::Middle)
    }
}

/// The room a bar from zero to `value` needs for its label `text` at its end.
pub fn end_need(text: &str, value: f64, min_bar: f64) -> Need {
    let room = label_room(text, min_bar);
    let (left_px, right_px) = if value < 0.0 { (room, 0.0) } else { (0.0, room) };
    Need { lo: value.min(0.0), hi: value.max(0.0), left_px, right_px }
}
