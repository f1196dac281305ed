//! The line chart: one line per series across ordered categories (such as levels), with a
//! dot at each value, a vertical value axis, and the last values labelled at the lines' ends
//! when those labels can stand apart.

use super::format::format_tick;
use super::frame::{self, Frame, PAD, Plot, TICK_GAP, VALUE_GAP};
use super::label::{self, Anchor, Baseline, Label};
use super::palette::Role;
use super::scale::{self, TickFont};
use super::scene::{Dot, Scene, Stroke};
use super::{ChartError, ChartSpec, SeriesTable, text};

const KIND: &str = "line chart";
/// Default height of the plot area.
const PLOT_HEIGHT: f64 = 260.0;
const MIN_PLOT_HEIGHT: f64 = 80.0;
/// Room above the plot for half a label centred on its top.
const TOP_ROOM: f64 = 8.0;
const DOT_ROOM: f64 = 5.0;
/// The narrowest column a category may have.
const MIN_STEP: f64 = 24.0;
const CATEGORY_PAD: f64 = 6.0;
/// Vertical distance below which two end labels would touch.
const LABEL_PITCH: f64 = 14.0;

/// Lays out a line chart; the table's rows are the x categories, its series the lines.
pub fn layout(spec: &ChartSpec, table: &SeriesTable) -> Result<Scene, ChartError> {
    table.check(KIND)?;
    let k = table.series.len();
    let roles: Vec<Role> = (0..k).map(|i| if k > 1 { Role::series(i) } else { None }.unwrap_or(Role::Bar)).collect();
    let legend: Vec<(String, Role)> = table.series.iter().cloned().zip(roles.iter().copied()).collect();
    let frame = Frame::new(spec, &legend)?;
    let top = frame.top + TOP_ROOM;
    let (plot_h, height) = match spec.height {
        Some(h) => (f64::from(h) - top - frame.below, h),
        None => (PLOT_HEIGHT, (top + PLOT_HEIGHT + frame.below).ceil() as u32),
    };
    if plot_h < MIN_PLOT_HEIGHT {
        let needed = (top + MIN_PLOT_HEIGHT + frame.below).ceil();
        return Err(ChartError::new(format!(
            "chart height {height} px leaves no room for the plot (needs at least {needed} px)"
        )));
    }

    let values = || table.rows.iter().flat_map(|r| r.values.iter().flatten().copied());
    let (min, max) = (values().fold(f64::INFINITY, f64::min), values().fold(f64::NEG_INFINITY, f64::max));
    if min > max {
        return Err(ChartError::new(format!("a {KIND} needs at least one value")));
    }
    let font = TickFont { size: label::size(Role::Tick), min_gap: 14.0 };
    let axis = scale::choose(min, max, plot_h, spec.format, &[], font, false, spec.bounds).ok_or_else(|| {
        let (min, max) = spec.bounds.cover((min, max));
        frame::axis_error(min, max, plot_h, spec.format, font)
    })?;
    let bottom = (top + plot_h).round();
    let y_of = |v: f64| Plot { left: 0.0, top, right: 0.0, bottom }.y(&axis, v);

    // End labels: every line's last value, right of its last dot, if every line reaches the
    // last category and no two labels would touch; otherwise the axis alone tells the values.
    let last = table.rows.len().saturating_sub(1);
    let ends: Option<Vec<(String, f64)>> = table
        .rows
        .get(last)
        .and_then(|r| r.values.iter().map(|v| v.map(|v| (format_tick(v, spec.format), y_of(v)))).collect());
    let ends = ends.filter(|ends| {
        let mut ys: Vec<f64> = ends.iter().map(|e| e.1).collect();
        ys.sort_by(f64::total_cmp);
        ys.windows(2).all(|w| w[1] - w[0] >= LABEL_PITCH)
    });
    let end_width = ends.as_ref().map_or(0.0, |ends| {
        ends.iter().map(|e| text::width(&e.0, label::size(Role::Value), false)).fold(0.0, f64::max)
    });

    let tick_width = axis.labels.iter().map(|l| text::width(l, font.size, false)).fold(0.0, f64::max);
    let left = (PAD + tick_width + TICK_GAP).ceil();
    let right = match ends {
        Some(_) => (frame.w - PAD - end_width - VALUE_GAP - DOT_ROOM).floor(),
        None => (frame.w - PAD).floor(),
    };
    let n = table.rows.len() as f64;
    let step = (right - left) / n;
    if step < MIN_STEP {
        return Err(ChartError::new(format!(
            "chart width {} px cannot fit {} categories along the x axis; make the chart wider or use fewer",
            frame.width,
            table.rows.len()
        )));
    }
    let plot = Plot { left, top, right, bottom };
    let x_of = |i: usize| (left + (i as f64 + 0.5) * step).round();

    let mut labels = frame.labels.clone();
    labels.extend(frame.y_title_label(plot.left - frame::CATEGORY_GAP));
    for (tick, shown) in axis.ticks.iter().zip(&axis.labels) {
        let at = (left - TICK_GAP, y_of(*tick));
        labels.push(Label::new(Role::Tick, shown.clone(), at, Anchor::End, Baseline::Middle));
    }
    let size = label::size(Role::Category);
    for (i, row) in table.rows.iter().enumerate() {
        let full = text::clean(&row.category);
        let shown = text::shorten(&full, frame::MAX_LABEL_CHARS, step - CATEGORY_PAD, size, false);
        let at = (x_of(i), bottom + TICK_GAP);
        labels.push(Label::new(Role::Category, shown, at, Anchor::Middle, Baseline::Top).shortened_from(&full));
    }
    if let Some(ends) = &ends {
        for (shown, y) in ends {
            let at = (x_of(last) + DOT_ROOM + VALUE_GAP, *y);
            labels.push(Label::new(Role::Value, shown.clone(), at, Anchor::Start, Baseline::Middle));
        }
    }
    labels.extend(frame.x_title_below(&plot));

    let (mut strokes, mut dots, mut desc) = (Vec::new(), Vec::new(), Vec::new());
    for (j, series) in table.series.iter().enumerate() {
        let role = roles.get(j).copied().unwrap_or(Role::Bar);
        let series = text::clean(series);
        let mut run: Vec<(f64, f64)> = Vec::new();
        let mut said = Vec::new();
        for (i, row) in table.rows.iter().enumerate() {
            let Some(v) = row.values.get(j).copied().flatten() else {
                // A missing value breaks the line rather than bridging the gap.
                strokes.extend(line(role, std::mem::take(&mut run)));
                continue;
            };
            let (x, y) = (x_of(i), y_of(v));
            let (category, shown) = (text::clean(&row.category), format_tick(v, spec.format));
            let tooltip = if k > 1 { format!("{series}, {category}: {shown}") } else { format!("{category}: {shown}") };
            run.push((x, y));
            dots.push(Dot { role, x, y, tooltip });
            said.push(format!("{category} {shown}"));
        }
        strokes.extend(line(role, run));
        desc.push(if k > 1 { format!("{series}: {}", said.join(", ")) } else { said.join(", ") });
    }
    Ok(Scene {
        width: frame.width,
        height,
        plot,
        grid: axis.ticks.iter().map(|&t| ((left, y_of(t)), (right, y_of(t)))).collect(),
        axis: ((left, bottom), (right, bottom)),
        marks: frame.swatches.clone(),
        strokes,
        dots,
        labels,
        desc: desc.join("; ") + ".",
    })
}

/// A stroke through two or more points; a lone point is shown by its dot alone.
fn line(role: Role, points: Vec<(f64, f64)>) -> Option<Stroke> {
    (points.len() > 1).then_some(Stroke { role, points })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::scene::check::{assert_clean, sweep, texts};
    use crate::chart::{AxisFormat, ChartData, SeriesRow};

    fn row(category: &str, values: &[Option<f64>]) -> SeriesRow {
        SeriesRow { category: category.to_string(), values: values.to_vec() }
    }

    fn spec(series: &[&str], rows: Vec<SeriesRow>) -> ChartSpec {
        let table = SeriesTable { series: series.iter().map(|s| s.to_string()).collect(), rows };
        ChartSpec {
            data: ChartData::Lines(table),
            title: Some("Total compensation by level".to_string()),
            x_title: Some("Level".to_string()),
            y_title: Some("TC".to_string()),
            format: AxisFormat::MoneyK,
            width: None,
            height: None,
            bounds: Default::default(),
        }
    }

    fn sample() -> ChartSpec {
        spec(
            &["MLOps", "LLM"],
            vec![
                row("L3", &[Some(150e3), Some(170e3)]),
                row("L4", &[Some(200e3), Some(240e3)]),
                row("L5", &[Some(280e3), Some(350e3)]),
                row("L6", &[Some(380e3), Some(500e3)]),
            ],
        )
    }

    fn lay(spec: &ChartSpec) -> Result<Scene, ChartError> {
        let ChartData::Lines(table) = &spec.data else {
            panic!("not a line chart");
        };
        layout(spec, table)
    }

    fn ok(spec: &ChartSpec) -> Scene {
        lay(spec).unwrap_or_else(|e| panic!("layout failed: {e}"))
    }

    #[test]
    fn one_line_per_series_with_dots_legend_and_end_labels() {
        let scene = ok(&sample());
        assert_eq!(scene.strokes.len(), 2);
        assert_eq!(scene.dots.len(), 8);
        assert_eq!(texts(&scene, Role::Legend), ["MLOps", "LLM"]);
        assert_eq!(texts(&scene, Role::Category), ["L3", "L4", "L5", "L6"]);
        assert_eq!(texts(&scene, Role::Value), ["$380k", "$500k"]);
        assert_eq!(scene.dots[1].tooltip, "MLOps, L4: $200k");
        assert!(scene.dots.windows(2).take(3).all(|w| w[0].x < w[1].x && w[0].y > w[1].y), "rising, left to right");
        assert_eq!(
            scene.desc,
            "MLOps: L3 $150k, L4 $200k, L5 $280k, L6 $380k; LLM: L3 $170k, L4 $240k, L5 $350k, L6 $500k."
        );
        assert_clean(&scene);
    }

    #[test]
    fn end_labels_that_would_touch_are_dropped() {
        let s = spec(&["a", "b"], vec![row("L4", &[Some(100e3), Some(90e3)]), row("L5", &[Some(300e3), Some(301e3)])]);
        let scene = ok(&s);
        assert!(texts(&scene, Role::Value).is_empty());
        assert_clean(&scene);
    }

    #[test]
    fn a_missing_value_breaks_the_line() {
        let s = spec(
            &["a"],
            vec![row("L3", &[Some(1e5)]), row("L4", &[None]), row("L5", &[Some(2e5)]), row("L6", &[Some(3e5)])],
        );
        let scene = ok(&s);
        assert_eq!(scene.strokes.len(), 1, "the lone L3 point is a dot only");
        assert_eq!(scene.dots.len(), 3);
        assert!(texts(&scene, Role::Legend).is_empty());
        assert_clean(&scene);
    }

    #[test]
    fn too_many_categories_for_the_width_is_an_error() {
        let rows = (0..40).map(|i| row(&format!("L{i}"), &[Some(f64::from(i))])).collect();
        let e = lay(&ChartSpec { width: Some(320), ..spec(&["a"], rows) }).err().map(|e| e.message);
        assert!(e.is_some_and(|m| m.contains("cannot fit 40 categories")));
        let e = lay(&ChartSpec { height: Some(100), ..sample() }).err().map(|e| e.message);
        assert!(e.is_some_and(|m| m.starts_with("chart height 100 px leaves no room")));
    }

    #[test]
    fn layouts_stay_clean_across_widths_heights_and_formats() {
        let sets = [
            sample(),
            spec(&["x"], vec![row("Backend & <Infra> \"x\"", &[Some(0.125)]), row("", &[Some(-0.05)])]),
            spec(
                &["x"],
                (0..12).map(|i| row(&format!("Staff engineer level {i}"), &[Some(f64::from(i) * 1e4)])).collect(),
            ),
            spec(
                &["a", "b", "c", "d", "e", "f"],
                vec![row("A", &[Some(1.0), Some(2.0), None, Some(4.0), Some(5.0), Some(6.0)])],
            ),
            spec(&["a"], vec![row("Only", &[Some(0.0)])]),
        ];
        sweep(&sets, &[None, Some(200), Some(600)], None, lay);
    }
}
