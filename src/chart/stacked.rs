//! The stacked bar chart: per category, one horizontal bar of segments (one per series, in
//! series order from zero), each labelled inside when its value fits, and the total at the end.

use super::format::format_tick;
use super::frame::{self, Across, Attempt, Frame, MIN_ROW, ROW, Rows};
use super::label::{self, Anchor, Baseline, Label};
use super::palette::Role;
use super::scene::{Mark, Scene};
use super::{ChartError, ChartSpec, SeriesTable, text};

const KIND: &str = "stacked bar chart";
/// Clear space between an inside label and its segment's ends.
const INSIDE_PAD: f64 = 4.0;

/// Lays out a stacked bar chart; the table's series are the stack's columns.
pub fn layout(spec: &ChartSpec, table: &SeriesTable) -> Result<Scene, ChartError> {
    table.check(KIND)?;
    for row in &table.rows {
        for (series, value) in table.series.iter().zip(&row.values) {
            if let Some(v) = value.filter(|v| *v < 0.0) {
                let name = text::clean(&row.category);
                return Err(ChartError::new(format!(
                    "{KIND} row \"{name}\": {series} is {v}; stacked segments need values of zero or more"
                )));
            }
        }
    }
    let roles: Vec<Role> = (0..table.series.len()).map(|i| Role::series(i).unwrap_or(Role::Bar)).collect();
    let legend: Vec<(String, Role)> = table.series.iter().cloned().zip(roles.iter().copied()).collect();
    let frame = Frame::new(spec, &legend)?;

    let totals: Vec<f64> = table.rows.iter().map(|r| r.values.iter().flatten().sum()).collect();
    let total_texts: Vec<String> = totals.iter().map(|t| format_tick(*t, spec.format)).collect();
    if let Some((row, _)) = table.rows.iter().zip(&totals).find(|(_, t)| !t.is_finite()) {
        return Err(ChartError::new(format!("{KIND} row \"{}\": the total is too large", text::clean(&row.category))));
    }
    let range = (0.0, totals.iter().copied().fold(0.0, f64::max));
    let needs = totals.iter().zip(&total_texts).map(|(t, s)| frame::end_need(s, *t, 0.0)).collect();
    // Totals at the bar ends, or, when they cannot fit, none: the tooltips still carry them.
    let attempts = [Attempt { needs, cross_zero: false }, Attempt { needs: Vec::new(), cross_zero: false }];
    let categories = table.rows.iter().map(|r| r.category.as_str());
    let across = Across::new(spec, frame, categories, range, &attempts, Rows { default: ROW, min: MIN_ROW })?;

    let thickness = frame::bar_thickness(across.row_h);
    let fits_height = thickness >= label::size(Role::Inside) * 1.05 + 1.0;
    let mut bars = Vec::new();
    let mut labels: Vec<Label> = Vec::new();
    let mut desc = Vec::with_capacity(table.rows.len());
    for (i, row) in table.rows.iter().enumerate() {
        let name = text::clean(&row.category);
        let centre = across.centre(i);
        let (y0, y1) = (centre - thickness / 2.0, centre + thickness / 2.0);
        let mut said = Vec::new();
        let mut sum = 0.0;
        for (j, value) in row.values.iter().enumerate() {
            let Some(v) = value else {
                continue;
            };
            let series = table.series.get(j).map_or(String::new(), |s| text::clean(s));
            let shown = format_tick(*v, spec.format);
            said.push(format!("{series} {shown}"));
            let (x0, x1) = (across.x(sum), across.x(sum + v));
            sum += v;
            if x1 <= x0 {
                continue;
            }
            let role = roles.get(j).copied().unwrap_or(Role::Bar);
            let tooltip = Some(format!("{name}, {series}: {shown}"));
            if fits_height && text::width(&shown, label::size(Role::Inside), false) + 2.0 * INSIDE_PAD <= x1 - x0 {
                let at = ((x0 + x1) / 2.0, centre);
                labels.push(Label::new(Role::Inside, shown, at, Anchor::Middle, Baseline::Middle));
            }
            bars.push(Mark { role, x0, y0, x1, y1, tooltip });
        }
        let total = totals.get(i).copied().unwrap_or(0.0);
        let total_text = total_texts.get(i).cloned().unwrap_or_default();
        if across.attempt == 0 {
            labels.push(frame::end_label(total_text.clone(), total, (across.x(0.0), across.x(total)), centre));
        }
        said.push(format!("total {total_text}"));
        desc.push(format!("{name}: {}", said.join(", ")));
    }
    Ok(across.scene(bars, labels, desc.join("; ") + "."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::scene::check::{assert_clean, sweep, texts};
    use crate::chart::{AxisFormat, ChartData, SeriesRow};

    fn row(category: &str, values: &[f64]) -> SeriesRow {
        SeriesRow { category: category.to_string(), values: values.iter().map(|v| Some(*v)).collect() }
    }

    fn spec(rows: Vec<SeriesRow>) -> ChartSpec {
        let series = ["base", "bonus", "equity"].map(str::to_string).to_vec();
        ChartSpec {
            data: ChartData::Stacked(SeriesTable { series, rows }),
            title: Some("Pay mix at L5".to_string()),
            x_title: None,
            y_title: None,
            format: AxisFormat::MoneyK,
            width: None,
            height: None,
            bounds: Default::default(),
        }
    }

    fn sample() -> ChartSpec {
        spec(vec![
            row("MLOps engineer", &[190e3, 25e3, 95e3]),
            row("LLM engineer", &[220e3, 30e3, 180e3]),
            row("Data scientist", &[160e3, 15e3, 5e3]),
        ])
    }

    fn lay(spec: &ChartSpec) -> Result<Scene, ChartError> {
        let ChartData::Stacked(table) = &spec.data else {
            panic!("not a stacked bar chart");
        };
        layout(spec, table)
    }

    fn ok(spec: &ChartSpec) -> Scene {
        lay(spec).unwrap_or_else(|e| panic!("layout failed: {e}"))
    }

    #[test]
    fn segments_stack_from_zero_with_a_legend_and_totals() {
        let scene = ok(&sample());
        assert_eq!(texts(&scene, Role::Legend), ["base", "bonus", "equity"]);
        assert_eq!(texts(&scene, Role::Value), ["$310k", "$430k", "$180k"]);
        let bars: Vec<&Mark> = scene.marks.iter().filter(|m| m.tooltip.is_some()).collect();
        assert_eq!(bars.len(), 9);
        assert!(bars.windows(2).take(2).all(|w| w[0].x1 == w[1].x0), "segments touch");
        assert_eq!(bars[0].x0, scene.plot.left);
        assert_eq!(bars[1].tooltip.as_deref(), Some("MLOps engineer, bonus: $25k"));
        assert_eq!(
            scene.desc,
            "MLOps engineer: base $190k, bonus $25k, equity $95k, total $310k; LLM engineer: base $220k, bonus $30k, equity $180k, total $430k; Data scientist: base $160k, bonus $15k, equity $5k, total $180k."
        );
        assert_clean(&scene);
    }

    #[test]
    fn only_segments_wide_enough_carry_their_value_inside() {
        let scene = ok(&sample());
        let inside = texts(&scene, Role::Inside);
        assert!(inside.contains(&"$190k") && inside.contains(&"$180k"), "{inside:?}");
        assert!(!inside.contains(&"$5k"), "a 5k sliver has no room: {inside:?}");
        let narrow = ok(&ChartSpec { width: Some(320), ..sample() });
        assert!(texts(&narrow, Role::Inside).len() < inside.len());
        assert_clean(&narrow);
    }

    #[test]
    fn negative_values_are_an_error_naming_row_and_column() {
        let e = lay(&spec(vec![row("MLOps", &[100.0, -5.0, 1.0])])).err().map(|e| e.message);
        assert_eq!(
            e.as_deref(),
            Some("stacked bar chart row \"MLOps\": bonus is -5; stacked segments need values of zero or more")
        );
    }

    #[test]
    fn layouts_stay_clean_across_widths_heights_and_formats() {
        let sets = [
            sample(),
            spec(vec![row("Backend & <Infra>", &[0.1, 0.02, 0.0]), row("Zero", &[0.0, 0.0, 0.0])]),
            spec((0..25).map(|i| row(&format!("Principal engineer {i}"), &[f64::from(i) * 1e4, 5e3, 1e3])).collect()),
        ];
        sweep(&sets, &[None, Some(640)], Some("Role"), lay);
    }
}
