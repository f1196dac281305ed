//! The script library: statistics over arrays, table helpers, `assert` and integer division.

use rhai::{Array, Dynamic, Engine, EvalAltResult, FLOAT, INT, Map};

use crate::diag::Code;
use crate::exec::band::{Band, as_number, not_a_number, number};

type Res<T> = Result<T, Box<EvalAltResult>>;

/// A short description of a value for error messages.
pub fn describe(value: &Dynamic) -> String {
    if value.is_unit() {
        return "() (an empty value)".to_string();
    }
    if value.is_string() {
        return format!("the string {:?}", value.clone().into_string().unwrap_or_default());
    }
    if value.is_int() || value.is_float() || value.is_bool() {
        return format!("the {} {value}", if value.is_bool() { "boolean" } else { "number" });
    }
    if value.is_array() {
        return "an array".to_string();
    }
    format!("a {}", value.type_name().rsplit("::").next().unwrap_or("value"))
}

/// "; the row has keys a, b, c" or a did-you-mean for a missing key.
pub fn keys_hint(map: &Map, missing: &str) -> String {
    let keys: Vec<&str> = map.keys().map(|k| k.as_str()).collect();
    match crate::diag::did_you_mean(missing, keys.iter().copied()) {
        Some(best) => format!(" (did you mean `{best}`?)"),
        None => format!(" (it has {})", keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")),
    }
}

fn numbers(xs: &Array, func: &str) -> Res<Vec<f64>> {
    if xs.is_empty() {
        return Err(format!("{func}(xs): the array is empty").into());
    }
    xs.iter()
        .enumerate()
        .map(|(i, x)| {
            as_number(x)
                .filter(|n| n.is_finite())
                .ok_or_else(|| not_a_number(&format!("{func}(xs): item {}", i + 1), x))
        })
        .collect()
}

fn all_ints(xs: &Array) -> bool {
    xs.iter().all(|x| x.is_int())
}

fn extreme(xs: Array, func: &str, pick: fn(f64, f64) -> bool) -> Res<Dynamic> {
    let ns = numbers(&xs, func)?;
    let mut best = 0;
    for (i, &n) in ns.iter().enumerate() {
        if pick(n, ns[best]) {
            best = i;
        }
    }
    Ok(xs[best].clone())
}

fn sum(xs: Array) -> Res<Dynamic> {
    if all_ints(&xs) {
        let mut total: INT = 0;
        for x in &xs {
            total = total.checked_add(x.as_int().unwrap_or(0)).ok_or("sum(xs): integer overflow")?;
        }
        return Ok(total.into());
    }
    Ok(Dynamic::from_float(numbers(&xs, "sum")?.iter().sum()))
}

fn mean(xs: Array) -> Res<FLOAT> {
    let ns = numbers(&xs, "mean")?;
    Ok(ns.iter().sum::<f64>() / ns.len() as f64)
}

fn percentile_of(xs: Array, p: f64, func: &str) -> Res<FLOAT> {
    if !(0.0..=100.0).contains(&p) {
        return Err(format!("{func}: p must be between 0 and 100, not {p}").into());
    }
    let mut ns = numbers(&xs, func)?;
    ns.sort_by(f64::total_cmp);
    let rank = p / 100.0 * (ns.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    let (a, b) = (ns.get(lo).copied().unwrap_or(0.0), ns.get(hi).copied().unwrap_or(0.0));
    Ok(a + (b - a) * (rank - lo as f64))
}

/// Rounds to the nearest multiple of `step`; whole-number inputs stay whole numbers.
fn round_to(x: Dynamic, step: Dynamic) -> Res<Dynamic> {
    let (xf, sf) = (number(&x, "round_to(x, step): x")?, number(&step, "round_to(x, step): step")?);
    if sf <= 0.0 || !sf.is_finite() {
        return Err(format!("round_to(x, step): step must be a positive number, not {sf}").into());
    }
    let k = (xf / sf).round();
    if x.is_int() && step.is_int() {
        return Ok(((k * sf) as INT).into());
    }
    // Dividing by the inverse of a decimal step (0.01 -> 100) avoids 0.30000000000000004.
    let inverse = (1.0 / sf).round();
    if sf < 1.0 && (inverse * sf - 1.0).abs() < 1e-9 {
        return Ok(Dynamic::from_float(k / inverse));
    }
    Ok(Dynamic::from_float(k * sf))
}

/// The value of `key` in a row, read in place: only that value is copied, not the row.
fn row_field(row: &Dynamic, key: &str, func: &str, index: usize) -> Res<Dynamic> {
    let map = row.as_map_ref().map_err(|_| format!("{func}: row {} is not a map but {}", index + 1, describe(row)))?;
    map.get(key)
        .cloned()
        .ok_or_else(|| format!("{func}: row {} has no column `{key}`{}", index + 1, keys_hint(&map, key)).into())
}

fn column(rows: Array, key: &str) -> Res<Array> {
    rows.iter().enumerate().map(|(i, r)| row_field(r, key, "column(rows, key)", i)).collect()
}

fn same(a: &Dynamic, b: &Dynamic) -> bool {
    match (as_number(a), as_number(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a.to_string() == b.to_string() && a.type_name() == b.type_name(),
    }
}

fn where_eq(rows: Array, key: &str, value: Dynamic) -> Res<Array> {
    let mut out = Array::new();
    for (i, r) in rows.iter().enumerate() {
        if same(&row_field(r, key, "where(rows, key, value)", i)?, &value) {
            out.push(r.clone());
        }
    }
    Ok(out)
}

fn group_by(rows: Array, key: &str) -> Res<Map> {
    let mut groups = Map::new();
    for (i, r) in rows.iter().enumerate() {
        let k = row_field(r, key, "group_by(rows, key)", i)?.to_string();
        let entry = groups.entry(k.into()).or_insert_with(|| Dynamic::from_array(Array::new()));
        if let Some(mut arr) = entry.write_lock::<Array>() {
            arr.push(r.clone());
        }
    }
    Ok(groups)
}

fn sort_by(rows: Array, key: &str) -> Res<Array> {
    let mut keyed = Vec::with_capacity(rows.len());
    for (i, r) in rows.into_iter().enumerate() {
        let k = row_field(&r, key, "sort_by(rows, key)", i)?;
        keyed.push((k, r));
    }
    let numeric = keyed.iter().all(|(k, _)| as_number(k).is_some());
    if numeric {
        keyed.sort_by(|a, b| as_number(&a.0).unwrap_or(0.0).total_cmp(&as_number(&b.0).unwrap_or(0.0)));
    } else {
        keyed.sort_by_key(|a| a.0.to_string());
    }
    Ok(keyed.into_iter().map(|(_, r)| r).collect())
}

fn band_of(xs: Array) -> Res<Band> {
    let ns = numbers(&xs, "band_of")?;
    let lo = ns.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ns.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Ok(Band { lo, hi })
}

fn assert(cond: bool, message: &str) -> Res<()> {
    if cond { Ok(()) } else { Err(super::errors::raise(Code::ExecAssert, format!("assertion failed: {message}"))) }
}

fn int_div(a: INT, b: INT) -> Res<INT> {
    if b == 0 {
        return Err("div(a, b): division by zero".into());
    }
    a.checked_div_euclid(b).ok_or_else(|| "div(a, b): integer overflow".into())
}

fn float_div(a: f64, b: f64) -> Res<FLOAT> {
    if b == 0.0 {
        return Err("division by zero".into());
    }
    Ok(a / b)
}

/// `%` with a float: a remainder of a division by zero is an error too, not NaN.
fn float_rem(a: f64, b: f64) -> Res<FLOAT> {
    if b == 0.0 {
        return Err("remainder of a division by zero".into());
    }
    Ok(a % b)
}

/// Rhai's `sleep` waits without using the CPU, where the CPU limit cannot see it: a cell has no
/// clock, and cannot wait. Registered over Rhai's own, so that calling it by name
/// (`Fn("sleep")`, `eval`) finds this one too.
fn no_sleep(_seconds: Dynamic) -> Res<()> {
    Err(super::errors::raise_hinted(
        Code::ExecRuntime,
        "sleep() is not available in cells: a notebook has no clock and cannot wait",
        Some("remove the call: a cell runs as fast as it can, and has no clock"),
    ))
}

pub fn register(engine: &mut Engine) {
    engine
        .register_fn("sleep", |s: INT| no_sleep(s.into()))
        .register_fn("sleep", |s: FLOAT| no_sleep(s.into()))
        .register_fn("min", |xs: Array| extreme(xs, "min", |a, b| a < b))
        .register_fn("max", |xs: Array| extreme(xs, "max", |a, b| a > b))
        .register_fn("sum", sum)
        .register_fn("mean", mean)
        .register_fn("median", |xs: Array| percentile_of(xs, 50.0, "median"))
        .register_fn("percentile", |xs: Array, p: INT| percentile_of(xs, p as f64, "percentile(xs, p)"))
        .register_fn("percentile", |xs: Array, p: FLOAT| percentile_of(xs, p, "percentile(xs, p)"))
        .register_fn("round_to", round_to)
        .register_fn("column", |rows: Array, key: &str| column(rows, key))
        .register_fn("where", |rows: Array, key: &str, value: Dynamic| where_eq(rows, key, value))
        .register_fn("group_by", |rows: Array, key: &str| group_by(rows, key))
        .register_fn("sort_by", |rows: Array, key: &str| sort_by(rows, key))
        .register_fn("band_of", band_of)
        .register_fn("assert", assert)
        .register_fn("div", int_div)
        // `/` always gives a float, as in Python 3, also in `x /= y` and in `x = x / y`
        // (which Rhai rewrites to `x /= y`).
        .register_fn("/", |a: INT, b: INT| float_div(a as f64, b as f64))
        .register_fn("/", |a: FLOAT, b: FLOAT| float_div(a, b))
        .register_fn("/", |a: INT, b: FLOAT| float_div(a as f64, b))
        .register_fn("/", |a: FLOAT, b: INT| float_div(a, b as f64))
        .register_fn("/=", |x: &mut Dynamic, b: INT| -> Res<()> {
            let a = number(x, "/=")?;
            *x = Dynamic::from_float(float_div(a, b as f64)?);
            Ok(())
        })
        .register_fn("/=", |x: &mut Dynamic, b: FLOAT| -> Res<()> {
            let a = number(x, "/=")?;
            *x = Dynamic::from_float(float_div(a, b)?);
            Ok(())
        })
        .register_fn("%", |a: FLOAT, b: FLOAT| float_rem(a, b))
        .register_fn("%", |a: INT, b: FLOAT| float_rem(a as f64, b))
        .register_fn("%", |a: FLOAT, b: INT| float_rem(a, b as f64))
        .register_fn("%=", |x: &mut Dynamic, b: FLOAT| -> Res<()> {
            let a = number(x, "%=")?;
            *x = Dynamic::from_float(float_rem(a, b)?);
            Ok(())
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr(xs: &[f64]) -> Array {
        xs.iter().map(|&x| Dynamic::from_float(x)).collect()
    }

    #[test]
    fn percentile_interpolates() {
        assert_eq!(percentile_of(arr(&[1.0, 2.0, 3.0, 4.0]), 50.0, "p").unwrap(), 2.5);
        assert_eq!(percentile_of(arr(&[10.0]), 90.0, "p").unwrap(), 10.0);
        assert!(percentile_of(arr(&[]), 50.0, "p").is_err());
        assert!(percentile_of(arr(&[1.0]), 101.0, "p").is_err());
    }

    #[test]
    fn round_to_keeps_decimals_clean() {
        let r = round_to(Dynamic::from_float(0.1043), Dynamic::from_float(0.01)).unwrap();
        assert_eq!(r.as_float().unwrap(), 0.1);
        let r = round_to(Dynamic::from_int(192_400), Dynamic::from_int(5_000)).unwrap();
        assert_eq!(r.as_int().unwrap(), 190_000);
    }
}
