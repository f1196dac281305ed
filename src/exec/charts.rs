//! Chart builders called from cells: they check rows and options against the chart kind and
//! hand a plain [`ChartSpec`] to the chart stage.

use rhai::{Array, Dynamic, Engine, EvalAltResult, Map};

use crate::chart::{AxisFormat, BandRow, ChartData, ChartSpec};
use crate::exec::band::{Band, number};
use crate::exec::library::{describe, keys_hint};

type Res<T> = Result<T, Box<EvalAltResult>>;

const COMMON: &[&str] = &["title", "x_title", "y_title", "format", "width", "height"];
const BAND_OPTIONS: &[&str] = &["y", "band", "lo", "hi"];

pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<ChartSpec>("chart").register_fn("band_chart", band_chart);
}

fn band_chart(rows: Array, options: Map) -> Res<ChartSpec> {
    let f = "band_chart";
    check_options(f, &options, BAND_OPTIONS)?;
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
        let category = field(f, &map, &y, i)?.to_string();
        let (lo, hi) = match &source {
            BandSource::Band(col) => {
                let v = field(f, &map, col, i)?;
                let b = v.clone().try_cast::<Band>().ok_or_else(|| {
                    format!("{f}: column `{col}` in row {} must hold a band, not {}", i + 1, describe(&v))
                })?;
                (b.lo, b.hi)
            }
            BandSource::LoHi(lo, hi) => (numeric(f, &map, lo, i)?, numeric(f, &map, hi, i)?),
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

fn check_options(f: &str, options: &Map, own: &[&str]) -> Res<()> {
    let known: Vec<&str> = own.iter().chain(COMMON).copied().collect();
    for key in options.keys() {
        if !known.contains(&key.as_str()) {
            let hint = match crate::diag::did_you_mean(key, known.iter().copied()) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("{f} options are {}", known.join(", ")),
            };
            return Err(format!("{f}: unknown option `{key}`; {hint}").into());
        }
    }
    Ok(())
}

fn text(f: &str, options: &Map, key: &str) -> Res<Option<String>> {
    match options.get(key) {
        None => Ok(None),
        Some(v) if v.is_string() => Ok(v.clone().into_string().ok()),
        Some(v) => Err(format!("{f}: option `{key}` must be a string, not {}", describe(v)).into()),
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
    let n = number(&v, &format!("{f}: column `{key}` in row {}", i + 1))?;
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
        Some(other) => return Err(format!("{f}: unknown format `{other}`; chart formats are money_k, pct, num").into()),
    };
    // The chart needs room for its labels: at least 320 px wide (what the drawing accepts).
    let size = |key: &str, min: i64| -> Res<Option<u32>> {
        match options.get(key) {
            None => Ok(None),
            Some(v) => match v.as_int() {
                Ok(n) if (min..=4000).contains(&n) => Ok(Some(n as u32)),
                Ok(n) => Err(format!("{f}: `{key}` must be from {min} to 4000 pixels, not {n}").into()),
                Err(_) => Err(format!("{f}: `{key}` must be a whole number of pixels, not {}", describe(v)).into()),
            },
        }
    };
    Ok(ChartSpec {
        data,
        title: text(f, options, "title")?,
        x_title: text(f, options, "x_title")?,
        y_title: text(f, options, "y_title")?,
        format,
        width: size("width", 320)?,
        height: size("height", 100)?,
    })
}
