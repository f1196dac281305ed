//! Chart builders called from cells: they check rows and options against the chart kind and
//! hand a plain [`ChartSpec`] to the chart stage.

use rhai::{Array, Dynamic, Engine, EvalAltResult, Map};

use crate::chart::{
    AxisBounds, AxisFormat, BandRow, ChartData, ChartSpec, MAX_SET, MIN_HEIGHT, MIN_WIDTH, SeriesRow, SeriesTable,
    ValueAxis,
};
use crate::exec::band::{Band, as_number, not_a_number};
use crate::exec::library::{describe, keys_hint};

type Res<T> = Result<T, Box<EvalAltResult>>;

const COMMON: &[&str] = &["title", "x_title", "y_title", "format", "width", "height"];
const BAND_OPTIONS: &[&str] = &["y", "band", "lo", "hi"];
const BAR_OPTIONS: &[&str] = &["y", "x", "by"];
const STACKED_OPTIONS: &[&str] = &["y", "stack", "labels"];
const LINE_OPTIONS: &[&str] = &["x", "y", "by"];
/// As many series as the chart palette has colours.
const MAX_SERIES: usize = 6;

pub fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<ChartSpec>("chart")
        .register_fn("band_chart", |rows: Array, options: Map| band_chart(rows, options).map_err(spec_error))
        .register_fn("bar_chart", |rows: Array, options: Map| bar_chart(rows, options).map_err(spec_error))
        .register_fn("stacked_bar_chart", |rows: Array, options: Map| {
            stacked_bar_chart(rows, options).map_err(spec_error)
        })
        .register_fn("line_chart", |rows: Array, options: Map| line_chart(rows, options).map_err(spec_error));
}

/// The error `e`, about the option `key`'s value.
fn about(key: &str) -> impl Fn(Box<EvalAltResult>) -> Box<EvalAltResult> + '_ {
    move |e| super::errors::at_option(crate::diag::Code::ChartSpec, key, false, e)
}

/// A chart function's mistakes are in its rows and options: `chart::spec` errors.
fn spec_error(e: Box<EvalAltResult>) -> Box<EvalAltResult> {
    super::errors::as_code(crate::diag::Code::ChartSpec, e)
}

/// `bar_chart(rows, #{ y: category, x: value, by: group })`: a bar per row, or grouped bars.
fn bar_chart(rows: Array, options: Map) -> Res<ChartSpec> {
    let f = "bar_chart";
    check_options(f, &options, BAR_OPTIONS, ValueAxis::Across)?;
    let y = required_text(f, &options, "y")?;
    let x = required_text(f, &options, "x")?;
    let by = text(f, &options, "by")?;
    let table = pivot(f, &maps(f, &rows)?, ("y", &y), ("x", &x), by.as_deref())?;
    common(f, &options, ChartData::Bars(table))
}

/// `line_chart(rows, #{ x: ordered category, y: value, by: group })`: a line per group.
fn line_chart(rows: Array, options: Map) -> Res<ChartSpec> {
    let f = "line_chart";
    check_options(f, &options, LINE_OPTIONS, ValueAxis::Up)?;
    let x = required_text(f, &options, "x")?;
    let y = required_text(f, &options, "y")?;
    let by = text(f, &options, "by")?;
    let table = pivot(f, &maps(f, &rows)?, ("x", &x), ("y", &y), by.as_deref())?;
    common(f, &options, ChartData::Lines(table))
}

/// `stacked_bar_chart(rows, #{ y: category, stack: [columns], labels: [legend names] })`.
fn stacked_bar_chart(rows: Array, options: Map) -> Res<ChartSpec> {
    let f = "stacked_bar_chart";
    check_options(f, &options, STACKED_OPTIONS, ValueAxis::Across)?;
    let y = required_text(f, &options, "y")?;
    let stack = texts(f, &options, "stack")?.ok_or_else(|| format!("{f}: the option `stack` is required"))?;
    if stack.is_empty() || stack.len() > MAX_SERIES {
        return Err(format!("{f}: `stack` names 1 to {MAX_SERIES} columns, not {}", stack.len()).into());
    }
    if let Some(twice) = stack.iter().enumerate().find_map(|(i, c)| stack.get(i + 1..)?.contains(c).then_some(c)) {
        return Err(format!("{f}: `stack` names the column `{twice}` twice").into());
    }
    let series = match texts(f, &options, "labels")? {
        Some(labels) if labels.len() != stack.len() => {
            return Err(format!(
                "{f}: `labels` has {} {} for {} `stack` {}; give one per column",
                labels.len(),
                crate::format::plural(labels.len(), "name", "names"),
                stack.len(),
                crate::format::plural(stack.len(), "column", "columns")
            )
            .into());
        }
        Some(labels) => labels,
        None => stack.clone(),
    };
    let maps = maps(f, &rows)?;
    let mut out = Vec::with_capacity(maps.len());
    for (i, map) in maps.iter().enumerate() {
        let category = field(f, map, &y, i).map_err(about("y"))?.to_string();
        let mut values = Vec::with_capacity(stack.len());
        for col in &stack {
            let v = numeric(f, map, col, i).map_err(about("stack"))?;
            if v < 0.0 {
                return Err(format!(
                    "{f}: column `{col}` in row {} is negative ({v}); stacked segments need values of zero or more",
                    i + 1
                )
                .into());
            }
            values.push(Some(v));
        }
        out.push(SeriesRow { category, values });
    }
    common(f, &options, ChartData::Stacked(SeriesTable { series, rows: out }))
}

/// The rows as maps, or an error naming the first row that is not one.
fn maps(f: &str, rows: &Array) -> Res<Vec<Map>> {
    if rows.is_empty() {
        return Err(format!("{f}: there are no rows to draw").into());
    }
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            row.clone()
                .try_cast::<Map>()
                .ok_or_else(|| format!("{f}: row {} is not a map but {}", i + 1, describe(row)).into())
        })
        .collect()
}

/// One value per (category, group): categories and groups in order of first appearance.
/// Without `by` every row is its own category of the one series named after `value`.
fn pivot(
    f: &str,
    rows: &[Map],
    (cat_key, cat_col): (&str, &str),
    (value_key, value): (&str, &str),
    by: Option<&str>,
) -> Res<SeriesTable> {
    let mut series: Vec<String> = Vec::new();
    let mut out: Vec<SeriesRow> = Vec::new();
    // Where each (category, group) pair was first seen, to name both rows of a repeat.
    let mut seen: Vec<(usize, usize, usize)> = Vec::new();
    for (i, map) in rows.iter().enumerate() {
        let category = field(f, map, cat_col, i).map_err(about(cat_key))?.to_string();
        let v = numeric(f, map, value, i).map_err(about(value_key))?;
        let Some(by) = by else {
            series = vec![value.to_string()];
            out.push(SeriesRow { category, values: vec![Some(v)] });
            continue;
        };
        let group = field(f, map, by, i).map_err(about("by"))?.to_string();
        let g = match series.iter().position(|s| *s == group) {
            Some(g) => g,
            None if series.len() == MAX_SERIES => {
                return Err(format!(
                    "{f}: column `{by}` has more than {MAX_SERIES} groups (row {} adds \"{group}\"); a chart draws at most {MAX_SERIES}, so filter the rows first",
                    i + 1
                )
                .into());
            }
            None => {
                series.push(group.clone());
                out.iter_mut().for_each(|r| r.values.push(None));
                series.len() - 1
            }
        };
        let c = match out.iter().position(|r| r.category == category) {
            Some(c) => c,
            None => {
                out.push(SeriesRow { category: category.clone(), values: vec![None; series.len()] });
                out.len() - 1
            }
        };
        if let Some(&(_, _, first)) = seen.iter().find(|(sc, sg, _)| *sc == c && *sg == g) {
            return Err(format!(
                "{f}: rows {} and {} both give `{cat_key}` \"{category}\" for `by` \"{group}\"; keep one row per pair",
                first + 1,
                i + 1
            )
            .into());
        }
        seen.push((c, g, i));
        if let Some(slot) = out.get_mut(c).and_then(|r| r.values.get_mut(g)) {
            *slot = Some(v);
        }
    }
    Ok(SeriesTable { series, rows: out })
}

/// An optional array-of-strings option.
fn texts(f: &str, options: &Map, key: &str) -> Res<Option<Vec<String>>> {
    let Some(v) = options.get(key) else {
        return Ok(None);
    };
    let bad = || format!("{f}: option `{key}` must be an array of column names (strings), not {}", describe(v));
    let array = v.clone().try_cast::<Array>().ok_or_else(|| about(key)(bad().into()))?;
    let names: Option<Vec<String>> = array.iter().map(|item| item.clone().into_string().ok()).collect();
    names.map(Some).ok_or_else(|| about(key)(bad().into()))
}

fn band_chart(rows: Array, options: Map) -> Res<ChartSpec> {
    let f = "band_chart";
    check_options(f, &options, BAND_OPTIONS, ValueAxis::Across)?;
    let y = required_text(f, &options, "y")?;
    let band_col = text(f, &options, "band")?;
    let lo_col = text(f, &options, "lo")?;
    let hi_col = text(f, &options, "hi")?;
    let source = match (band_col, lo_col, hi_col) {
        (Some(b), None, None) => BandSource::Band(b),
        (None, Some(lo), Some(hi)) => BandSource::LoHi(lo, hi),
        _ => {
            return Err(format!(
                "{f}: give either `band` (a column of bands) or both `lo` and `hi` (columns of numbers)"
            )
            .into());
        }
    };
    if rows.is_empty() {
        return Err(format!("{f}: there are no rows to draw").into());
    }
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let map = row
            .clone()
            .try_cast::<Map>()
            .ok_or_else(|| format!("{f}: row {} is not a map but {}", i + 1, describe(row)))?;
        let category = field(f, &map, &y, i).map_err(about("y"))?.to_string();
        let (lo, hi) = match &source {
            BandSource::Band(col) => {
                let v = field(f, &map, col, i).map_err(about("band"))?;
                let b = v.clone().try_cast::<Band>().ok_or_else(|| {
                    about("band")(
                        format!("{f}: column `{col}` in row {} must hold a band, not {}", i + 1, describe(&v)).into(),
                    )
                })?;
                (b.lo, b.hi)
            }
            BandSource::LoHi(lo, hi) => {
                (numeric(f, &map, lo, i).map_err(about("lo"))?, numeric(f, &map, hi, i).map_err(about("hi"))?)
            }
        };
        if lo > hi {
            return Err(format!("{f}: row {} ({category}) has lo {lo} greater than hi {hi}", i + 1).into());
        }
        out.push(BandRow { category, lo, hi });
    }
    common(f, &options, ChartData::Bands(out))
}

enum BandSource {
    Band(String),
    LoHi(String, String),
}

/// Refuses options the function does not take: a bound of the other axis (`y_min` of a bar
/// chart) is named as such, with the one meant.
fn check_options(f: &str, options: &Map, own: &[&str], axis: ValueAxis) -> Res<()> {
    let known: Vec<&str> = own.iter().chain(COMMON).chain(axis.names().iter()).copied().collect();
    for key in options.keys() {
        if let Some(right) = axis.right_name(key) {
            let [min, max] = axis.names();
            let e = format!(
                "{f}: the value axis of this chart {}, so its bounds are `{min}` and `{max}`; write `{right}` instead of `{key}`",
                axis.words()
            )
            .into();
            return Err(super::errors::at_option(crate::diag::Code::ChartSpec, key, true, e));
        }
        if !known.contains(&key.as_str()) {
            let hint = match crate::diag::did_you_mean(key, known.iter().copied()) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("{f} options are {}", known.join(", ")),
            };
            let e = format!("{f}: unknown option `{key}`; {hint}").into();
            return Err(super::errors::at_option(crate::diag::Code::ChartSpec, key, true, e));
        }
    }
    Ok(())
}

fn text(f: &str, options: &Map, key: &str) -> Res<Option<String>> {
    match options.get(key) {
        None => Ok(None),
        Some(v) if v.is_string() => Ok(v.clone().into_string().ok()),
        Some(v) => Err(about(key)(format!("{f}: option `{key}` must be a string, not {}", describe(v)).into())),
    }
}

fn required_text(f: &str, options: &Map, key: &str) -> Res<String> {
    text(f, options, key)?.ok_or_else(|| format!("{f}: the option `{key}` is required").into())
}

fn field(f: &str, row: &Map, key: &str, i: usize) -> Res<Dynamic> {
    row.get(key)
        .cloned()
        .ok_or_else(|| format!("{f}: row {} has no column `{key}`{}", i + 1, keys_hint(row, key)).into())
}

fn numeric(f: &str, row: &Map, key: &str, i: usize) -> Res<f64> {
    let v = field(f, row, key, i)?;
    let n = as_number(&v).ok_or_else(|| not_a_number(&format!("{f}: column `{key}` in row {}", i + 1), &v))?;
    if !n.is_finite() {
        return Err(format!("{f}: column `{key}` in row {} is not a finite number", i + 1).into());
    }
    Ok(n)
}

fn common(f: &str, options: &Map, data: ChartData) -> Res<ChartSpec> {
    let format = match text(f, options, "format")?.as_deref() {
        None | Some("money_k") => AxisFormat::MoneyK,
        Some("pct") => AxisFormat::Pct,
        Some("num") => AxisFormat::Num,
        Some(other) => {
            let e = format!("{f}: unknown format `{other}`; chart formats are money_k, pct, num").into();
            return Err(about("format")(e));
        }
    };
    // The chart needs room for its labels: at least 320 px wide (what the drawing accepts).
    let size = |key: &str, min: u32| -> Res<Option<u32>> {
        match options.get(key) {
            None => Ok(None),
            Some(v) => match v.as_int() {
                Ok(n) if (i64::from(min)..=i64::from(MAX_SET)).contains(&n) => Ok(Some(n as u32)),
                Ok(n) => {
                    Err(about(key)(format!("{f}: `{key}` must be from {min} to {MAX_SET} pixels, not {n}").into()))
                }
                Err(_) => Err(about(key)(
                    format!("{f}: `{key}` must be a whole number of pixels, not {}", describe(v)).into(),
                )),
            },
        }
    };
    let [min_key, max_key] = data.value_axis().names();
    let bounds = AxisBounds { min: bound(f, options, min_key)?, max: bound(f, options, max_key)? };
    let spec = ChartSpec {
        data,
        title: text(f, options, "title")?,
        x_title: text(f, options, "x_title")?,
        y_title: text(f, options, "y_title")?,
        format,
        width: size("width", MIN_WIDTH)?,
        height: size("height", MIN_HEIGHT)?,
        bounds,
    };
    // A bound must hold every mark: the error is at the bound, naming the row it cuts.
    spec.check_bounds().map_err(|e| about(e.option)(format!("{f}: {}", e.message).into()))?;
    Ok(spec)
}

/// A value-axis bound option (`x_min`): a finite number, when given.
fn bound(f: &str, options: &Map, key: &str) -> Res<Option<f64>> {
    let Some(v) = options.get(key) else {
        return Ok(None);
    };
    match as_number(v) {
        Some(n) if n.is_finite() => Ok(Some(n)),
        Some(n) => Err(about(key)(format!("{f}: option `{key}` must be a finite number, not {n}").into())),
        None => Err(about(key)(format!("{f}: option `{key}` must be a number, not {}", describe(v)).into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::SeriesTable;

    const ROWS: &str = r#"let rows = [
        #{ role: "MLOps", level: "L4", region: "US", tc: 200000, base: 150000, bonus: 20000, equity: 30000 },
        #{ role: "MLOps", level: "L5", region: "US", tc: 280000, base: 180000, bonus: 30000, equity: 70000 },
        #{ role: "LLM", level: "L4", region: "EU", tc: 150000, base: 120000, bonus: 10000, equity: 20000 },
        #{ role: "LLM", level: "L5", region: "EU", tc: 210000.5, base: 150000, bonus: 20000, equity: 40000 },
    ];"#;

    fn eval(call: &str) -> Result<ChartSpec, String> {
        let mut engine = Engine::new();
        register(&mut engine);
        engine.eval::<ChartSpec>(&format!("{ROWS}\n{call}")).map_err(|e| match *e {
            EvalAltResult::ErrorRuntime(d, _) => {
                let raised = crate::exec::errors::raised(&d).expect("a chart function's error is raised typed");
                assert_eq!(raised.code, crate::diag::Code::ChartSpec);
                raised.message
            }
            other => other.to_string(),
        })
    }

    fn table(call: &str) -> SeriesTable {
        match eval(call).map(|s| s.data) {
            Ok(ChartData::Bars(t) | ChartData::Stacked(t) | ChartData::Lines(t)) => t,
            other => panic!("{other:?}"),
        }
    }

    fn error(call: &str) -> String {
        eval(call).err().unwrap_or_else(|| panic!("{call} should fail"))
    }

    #[test]
    fn bar_chart_without_by_is_one_series_named_after_the_value_column() {
        let t = table(r#"bar_chart(rows, #{ y: "role", x: "tc", title: "TC" })"#);
        assert_eq!(t.series, ["tc"]);
        assert_eq!(t.rows.len(), 4);
        assert_eq!(t.rows[3].values, [Some(210000.5)]);
    }

    #[test]
    fn by_pivots_into_groups_in_order_of_first_appearance() {
        let t = table(r#"bar_chart(rows, #{ y: "level", x: "tc", by: "role" })"#);
        assert_eq!(t.series, ["MLOps", "LLM"]);
        let cats: Vec<&str> = t.rows.iter().map(|r| r.category.as_str()).collect();
        assert_eq!(cats, ["L4", "L5"]);
        assert_eq!(t.rows[0].values, [Some(200000.0), Some(150000.0)]);
        let lines = table(r#"line_chart(rows, #{ x: "level", y: "tc", by: "region", format: "num" })"#);
        assert_eq!(lines.series, ["US", "EU"]);
    }

    #[test]
    fn stacked_bar_chart_names_its_series_after_the_columns_or_the_labels() {
        let t = table(r#"stacked_bar_chart(rows, #{ y: "role", stack: ["base", "bonus", "equity"] })"#);
        assert_eq!(t.series, ["base", "bonus", "equity"]);
        assert_eq!(t.rows[0].values, [Some(150000.0), Some(20000.0), Some(30000.0)]);
        let t =
            table(r#"stacked_bar_chart(rows, #{ y: "role", stack: ["base", "bonus"], labels: ["Base", "Bonus"] })"#);
        assert_eq!(t.series, ["Base", "Bonus"]);
    }

    #[test]
    fn mistakes_are_errors_naming_function_option_column_and_row() {
        let cases = [
            (r#"bar_chart(rows, #{ y: "role", x: "tc", colour: "red" })"#, "bar_chart: unknown option `colour`; "),
            (r#"bar_chart(rows, #{ y: "role", xx: "tc" })"#, "did you mean `x`?"),
            (r#"bar_chart(rows, #{ y: "role" })"#, "bar_chart: the option `x` is required"),
            (r#"bar_chart(rows, #{ y: "role", x: "role" })"#, "bar_chart: column `role` in row 1 must be a number"),
            (r#"bar_chart(rows, #{ y: "role", x: "tcc" })"#, "bar_chart: row 1 has no column `tcc`"),
            (r#"bar_chart([], #{ y: "role", x: "tc" })"#, "bar_chart: there are no rows to draw"),
            (r#"bar_chart([1], #{ y: "role", x: "tc" })"#, "bar_chart: row 1 is not a map"),
            (
                r#"bar_chart(rows, #{ y: "role", x: "tc", by: "region" })"#,
                "bar_chart: rows 1 and 2 both give `y` \"MLOps\" for `by` \"US\"",
            ),
            (
                r#"line_chart(rows, #{ x: "level", y: "tc" , by: "role", width: 10 })"#,
                "line_chart: `width` must be from 320 to 4000",
            ),
            (r#"line_chart(rows, #{ x: "level", y: "tc", stack: [] })"#, "line_chart: unknown option `stack`"),
            (r#"stacked_bar_chart(rows, #{ y: "role" })"#, "stacked_bar_chart: the option `stack` is required"),
            (
                r#"stacked_bar_chart(rows, #{ y: "role", stack: "base" })"#,
                "option `stack` must be an array of column names",
            ),
            (r#"stacked_bar_chart(rows, #{ y: "role", stack: ["base", "base"] })"#, "names the column `base` twice"),
            (
                r#"stacked_bar_chart(rows, #{ y: "role", stack: ["base"], labels: ["a", "b"] })"#,
                "`labels` has 2 names for 1 `stack` column;",
            ),
            (r#"stacked_bar_chart(rows, #{ y: "role", stack: ["base", "bonsu"] })"#, "row 1 has no column `bonsu`"),
            (
                r#"stacked_bar_chart(rows, #{ y: "role", stack: ["base", "bonus"], lables: [] })"#,
                "did you mean `labels`?",
            ),
        ];
        for (call, expected) in cases {
            let message = error(call);
            assert!(message.contains(expected), "{call}: {message}");
        }
    }

    #[test]
    fn bounds_are_taken_on_the_value_axis_of_each_kind() {
        let spec = eval(r#"bar_chart(rows, #{ y: "role", x: "tc", x_min: 0, x_max: 300000.0 })"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spec.bounds, AxisBounds { min: Some(0.0), max: Some(300_000.0) });
        let spec = eval(r#"line_chart(rows, #{ x: "level", y: "tc", by: "role", y_min: 100000 })"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spec.bounds, AxisBounds { min: Some(100_000.0), max: None });
        let spec =
            eval(r#"stacked_bar_chart(rows, #{ y: "role", stack: ["base"] })"#).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spec.bounds, AxisBounds::default());
    }

    #[test]
    fn bounds_that_do_not_fit_are_errors_naming_the_row_and_the_value() {
        let cases = [
            (
                r#"bar_chart(rows, #{ y: "role", x: "tc", x_max: 250000 })"#,
                "bar_chart: `x_max` 250000 cuts the bar of \"MLOps\", which ends at 280000; make `x_max` at least 280000 to show every mark",
            ),
            (
                r#"stacked_bar_chart(rows, #{ y: "role", stack: ["base", "equity"], x_max: 240000 })"#,
                "stacked_bar_chart: `x_max` 240000 cuts the bar of \"MLOps\", which ends at its total, 250000;",
            ),
            (
                r#"line_chart(rows, #{ x: "level", y: "tc", by: "role", y_min: 160000 })"#,
                "line_chart: `y_min` 160000 cuts the point of \"L4\" for \"LLM\", which is at 150000;",
            ),
            (
                r#"bar_chart(rows, #{ y: "role", x: "tc", x_min: 300000, x_max: 300000 })"#,
                "bar_chart: `x_min` (300000) must be less than `x_max` (300000)",
            ),
            (
                r#"bar_chart(rows, #{ y: "role", x: "tc", y_max: 300000 })"#,
                "bar_chart: the value axis of this chart runs across (horizontal), so its bounds are `x_min` and `x_max`; write `x_max` instead of `y_max`",
            ),
            (r#"line_chart(rows, #{ x: "level", y: "tc", by: "role", x_min: 0 })"#, "write `y_min` instead of `x_min`"),
            (
                r#"band_chart(rows, #{ y: "role", lo: "base", hi: "tc", x_min: "100k" })"#,
                "option `x_min` must be a number, not the string \"100k\"",
            ),
            (
                r#"band_chart(rows, #{ y: "role", lo: "base", hi: "tc", x_max: 1.0 / 0.0 })"#,
                "option `x_max` must be a finite number, not inf",
            ),
            (r#"band_chart(rows, #{ y: "role", lo: "base", hi: "tc", x_mni: 0 })"#, "did you mean `x_min`?"),
        ];
        for (call, expected) in cases {
            let message = error(call);
            assert!(message.contains(expected), "{call}: {message}");
        }
    }

    #[test]
    fn negative_stack_values_and_too_many_groups_are_refused() {
        let message = error(r#"rows[2].bonus = -5; stacked_bar_chart(rows, #{ y: "role", stack: ["base", "bonus"] })"#);
        assert_eq!(
            message,
            "stacked_bar_chart: column `bonus` in row 3 is negative (-5); stacked segments need values of zero or more"
        );
        let many = r#"let many = []; for i in 0..8 { many.push(#{ k: "a", g: `g${i}`, v: i }); }
            line_chart(many, #{ x: "k", y: "v", by: "g" })"#;
        assert!(error(many).contains("column `g` has more than 6 groups (row 7 adds \"g6\")"));
    }
}
