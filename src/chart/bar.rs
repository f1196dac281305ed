//! The bar chart: one horizontal bar per category from zero to its value, or with several
//! series a group of bars per category, one per series, named in a legend.

use super::format::format_tick;
use super::frame::{self, Across, Attempt, Frame, MIN_ROW, ROW, Rows};
use super::label::Label;
use super::palette::Role;
use super::scene::{Mark, Scene};
use super::{ChartError, ChartSpec, SeriesTable, text};

/// A group of bars fills this share of its row.
const GROUP_SHARE: f64 = 0.8;
const MAX_PITCH: f64 = 18.0;
const BAR_GAP: f64 = 2.0;
/// Grouped bars closer than this cannot each carry a 12 px value label.
const LABEL_PITCH: f64 = 14.0;
/// Default height a grouped bar asks for in its row.
const GROUP_BAR: f64 = 16.0;

/// Lays out a bar chart; the table's series are the groups (one series: plain bars).
pub fn layout(spec: &ChartSpec, table: &SeriesTable) -> Result<Scene, ChartError> {
    table.check("bar chart")?;
    let k = table.series.len();
    let grouped = k > 1;
    let roles: Vec<Role> = (0..k).map(|i| if grouped { Role::series(i) } else { None }.unwrap_or(Role::Bar)).collect();
    let legend: Vec<(String, Role)> = table.series.iter().cloned().zip(roles.iter().copied()).collect();
    let frame = Frame::new(spec, &legend)?;

    let texts: Vec<Vec<Option<String>>> =
        table.rows.iter().map(|r| r.values.iter().map(|v| v.map(|v| format_tick(v, spec.format))).collect()).collect();
    let values = || table.rows.iter().flat_map(|r| r.values.iter().flatten().copied());
    let range = (values().fold(0.0, f64::min), values().fold(0.0, f64::max));
    let needs = table
        .rows
        .iter()
        .zip(&texts)
        .flat_map(|(r, t)| r.values.iter().zip(t))
        .filter_map(|(v, t)| Some(frame::end_need(t.as_deref()?, (*v)?, 0.0)))
        .collect();
    // Labels at the bar ends, or, when they cannot fit, none: the tooltips still carry them.
    let attempts = [Attempt { needs, cross_zero: false }, Attempt { needs: Vec::new(), cross_zero: false }];
    let rows = match grouped {
        true => Rows { default: ROW.max(k as f64 * GROUP_BAR + 12.0), min: MIN_ROW.max(k as f64 * 4.0 + 8.0) },
        false => Rows { default: ROW, min: MIN_ROW },
    };
    let categories = table.rows.iter().map(|r| r.category.as_str());
    let across = Across::new(spec, frame, categories, range, &attempts, rows)?;

    let (pitch, thickness) = if grouped {
        let pitch = (across.row_h * GROUP_SHARE / k as f64).min(MAX_PITCH);
        (pitch, pitch - BAR_GAP)
    } else {
        let thickness = frame::bar_thickness(across.row_h);
        (thickness, thickness)
    };
    let show_values = across.attempt == 0 && (!grouped || pitch >= LABEL_PITCH);
    let mut bars = Vec::new();
    let mut labels: Vec<Label> = Vec::new();
    let mut desc = Vec::with_capacity(table.rows.len());
    for (i, (row, row_texts)) in table.rows.iter().zip(&texts).enumerate() {
        let name = text::clean(&row.category);
        let mut said = Vec::new();
        for (j, (value, shown)) in row.values.iter().zip(row_texts).enumerate() {
            let (Some(v), Some(shown)) = (value, shown) else {
                continue;
            };
            let series = table.series.get(j).map_or(String::new(), |s| text::clean(s));
            let centre = across.centre(i) + (j as f64 - (k as f64 - 1.0) / 2.0) * pitch;
            let (x0, x1) = (across.x(v.min(0.0)), across.x(v.max(0.0)));
            let tooltip = if grouped { format!("{name}, {series}: {shown}") } else { format!("{name}: {shown}") };
            let (y0, y1) = (centre - thickness / 2.0, centre + thickness / 2.0);
            let role = roles.get(j).copied().unwrap_or(Role::Bar);
            bars.push(Mark { role, x0, y0, x1, y1, tooltip: Some(tooltip) });
            if show_values {
                labels.push(frame::end_label(shown.clone(), *v, (x0, x1), centre));
            }
            said.push(if grouped { format!("{series} {shown}") } else { shown.clone() });
        }
        let said = if said.is_empty() { "no value".to_string() } else { said.join(", ") };
        desc.push(format!("{name}: {said}"));
    }
    Ok(across.scene(bars, labels, desc.join("; ") + "."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::scene::check::{assert_clean, sweep};
    use crate::chart::{AxisFormat, ChartData, SeriesRow};

    fn row(category: &str, values: &[Option<f64>]) -> SeriesRow {
        SeriesRow { category: category.to_string(), values: values.to_vec() }
    }

    fn spec(series: &[&str], rows: Vec<SeriesRow>) -> ChartSpec {
        let table = SeriesTable { series: series.iter().map(|s| s.to_string()).collect(), rows };
        ChartSpec {
            data: ChartData::Bars(table),
            title: Some("Median total compensation".to_string()),
            x_title: Some("USD".to_string()),
            y_title: None,
            format: AxisFormat::MoneyK,
            width: None,
            height: None,
            bounds: Default::default(),
        }
    }

    fn lay(spec: &ChartSpec) -> Result<Scene, ChartError> {
        let ChartData::Bars(table) = &spec.data else {
            panic!("not a bar chart");
        };
        layout(spec, table)
    }

    fn ok(spec: &ChartSpec) -> Scene {
        lay(spec).unwrap_or_else(|e| panic!("layout failed: {e}"))
    }

    fn grouped() -> ChartSpec {
        spec(
            &["US", "EU", "Remote"],
            vec![
                row("MLOps engineer", &[Some(310e3), Some(150e3), Some(190e3)]),
                row("LLM engineer", &[Some(390e3), Some(170e3), None]),
                row("Computer vision engineer", &[Some(280e3), Some(140e3), Some(160e3)]),
            ],
        )
    }

    #[test]
    fn plain_bars_carry_value_labels_and_no_legend() {
        let scene = ok(&spec(&["tc"], vec![row("MLOps", &[Some(300e3)]), row("LLM", &[Some(420e3)])]));
        let texts: Vec<&str> = scene.labels.iter().map(|l| l.text.as_str()).collect();
        for t in ["MLOps", "LLM", "$300k", "$420k", "$0"] {
            assert!(texts.contains(&t), "{t} missing from {texts:?}");
        }
        assert!(scene.labels.iter().all(|l| l.role != Role::Legend));
        assert!(scene.marks.iter().all(|m| m.role == Role::Bar));
        assert!(scene.marks.iter().all(|m| m.x0 == scene.plot.left), "bars start at the zero axis");
        assert_clean(&scene);
    }

    #[test]
    fn grouped_bars_get_a_legend_and_a_colour_per_group() {
        let scene = ok(&grouped());
        let legend: Vec<&str> =
            scene.labels.iter().filter(|l| l.role == Role::Legend).map(|l| l.text.as_str()).collect();
        assert_eq!(legend, ["US", "EU", "Remote"]);
        let bars: Vec<&Mark> = scene.marks.iter().filter(|m| m.tooltip.is_some()).collect();
        assert_eq!(bars.len(), 8, "the missing LLM / Remote value draws no bar");
        assert_eq!(bars[0].tooltip.as_deref(), Some("MLOps engineer, US: $310k"));
        assert_eq!(bars[2].role, Role::Series(2));
        assert!(scene.labels.iter().filter(|l| l.role == Role::Value).count() == 8);
        assert!(scene.desc.starts_with("MLOps engineer: US $310k, EU $150k, Remote $190k; LLM engineer: US $390k"));
        assert_clean(&scene);
    }

    #[test]
    fn negative_values_grow_left_with_their_label_on_the_left() {
        let scene = ok(&spec(&["change"], vec![row("A", &[Some(-50e3)]), row("B", &[Some(80e3)])]));
        let Some(label) = scene.labels.iter().find(|l| l.text == "-$50k") else {
            panic!("no negative label");
        };
        assert_eq!(label.anchor, crate::chart::label::Anchor::End);
        assert_clean(&scene);
    }

    #[test]
    fn crowded_groups_drop_value_labels_rather_than_overlap() {
        let mut s = grouped();
        s.height = Some(200);
        let scene = ok(&s);
        assert!(scene.labels.iter().all(|l| l.role != Role::Value));
        assert_clean(&scene);
    }

    #[test]
    fn layouts_stay_clean_across_widths_heights_and_formats() {
        let sets = [
            grouped(),
            spec(&["x"], vec![row("Backend & <Infra> \"x\"", &[Some(0.125)]), row("", &[Some(-0.05)])]),
            spec(&["x"], (0..20).map(|i| row(&format!("Level {i}"), &[Some(f64::from(i) * 1e4)])).collect()),
            spec(&["a", "b", "c", "d", "e", "f"], vec![row(&"long name ".repeat(9), &[Some(1.0); 6])]),
        ];
        sweep(&sets, &[None, Some(700)], Some("Role"), lay);
    }

    #[test]
    fn bad_tables_are_errors_naming_the_row() {
        let e = lay(&spec(&["tc"], vec![row("MLOps", &[Some(f64::NAN)])])).err().map(|e| e.message);
        assert_eq!(e.as_deref(), Some("bar chart row \"MLOps\": tc is NaN, not a finite number"));
        let e = lay(&spec(&["tc"], vec![])).err().map(|e| e.message);
        assert_eq!(e.as_deref(), Some("a bar chart needs at least one row"));
        let seven = ["a", "b", "c", "d", "e", "f", "g"];
        let e = lay(&spec(&seven, vec![row("A", &[Some(1.0); 7])])).err().map(|e| e.message);
        assert!(e.is_some_and(|m| m.contains("1 to 6 series, not 7")));
    }
}
