//! The `band` value type: a range such as a salary band, with arithmetic that scales or adds
//! both ends.

use rhai::{Dynamic, Engine, EvalAltResult, FLOAT, INT};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    pub lo: f64,
    pub hi: f64,
}

impl Band {
    pub fn mid(&self) -> f64 {
        (self.lo + self.hi) / 2.0
    }
}

/// A number from a Rhai value (INT or FLOAT), read in place.
pub fn as_number(value: &Dynamic) -> Option<f64> {
    match value.as_int() {
        Ok(i) => Some(i as f64),
        Err(_) => value.as_float().ok(),
    }
}

/// A finite number from a Rhai value (INT or FLOAT), or an error naming what was given.
pub fn number(value: &Dynamic, what: &str) -> Result<f64, Box<EvalAltResult>> {
    as_number(value).filter(|x| x.is_finite()).ok_or_else(|| not_a_number(what, value))
}

/// The error for a value that should have been a finite number. Built only on failure:
/// callers that check many values (every row of a column) must not format messages they drop.
pub fn not_a_number(what: &str, value: &Dynamic) -> Box<EvalAltResult> {
    match as_number(value) {
        Some(x) => format!("{what} must be a finite number, not {}", non_finite_name(x)).into(),
        None => format!("{what} must be a number, not {}", super::library::describe(value)).into(),
    }
}

/// How a number that is not finite is named in messages.
pub fn non_finite_name(x: f64) -> &'static str {
    if x.is_nan() {
        "NaN (not a number)"
    } else if x > 0.0 {
        "infinity"
    } else {
        "minus infinity"
    }
}

fn make(lo: Dynamic, hi: Dynamic) -> Result<Band, Box<EvalAltResult>> {
    let lo = number(&lo, "band(lo, hi): lo")?;
    let hi = number(&hi, "band(lo, hi): hi")?;
    checked(lo, hi)
}

fn checked(lo: f64, hi: f64) -> Result<Band, Box<EvalAltResult>> {
    if !lo.is_finite() || !hi.is_finite() {
        return Err(format!("band({lo}, {hi}): both ends must be finite numbers").into());
    }
    if lo > hi {
        return Err(format!("band({lo}, {hi}): lo is greater than hi").into());
    }
    Ok(Band { lo, hi })
}

fn scale(b: Band, k: f64) -> Result<Band, Box<EvalAltResult>> {
    let (a, z) = (b.lo * k, b.hi * k);
    checked(a.min(z), a.max(z))
}

pub fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<Band>("band")
        .register_fn("band", make)
        .register_get("lo", |b: &mut Band| b.lo)
        .register_get("hi", |b: &mut Band| b.hi)
        .register_get("mid", |b: &mut Band| b.mid())
        .register_fn("*", |b: Band, k: FLOAT| scale(b, k))
        .register_fn("*", |b: Band, k: INT| scale(b, k as f64))
        .register_fn("*", |k: FLOAT, b: Band| scale(b, k))
        .register_fn("*", |k: INT, b: Band| scale(b, k as f64))
        .register_fn("/", |b: Band, k: FLOAT| divide(b, k))
        .register_fn("/", |b: Band, k: INT| divide(b, k as f64))
        .register_fn("+", |a: Band, b: Band| checked(a.lo + b.lo, a.hi + b.hi))
        .register_fn("==", |a: Band, b: Band| a == b)
        .register_fn("!=", |a: Band, b: Band| a != b)
        .register_fn("to_string", |b: &mut Band| format!("band({}, {})", b.lo, b.hi))
        .register_fn("to_debug", |b: &mut Band| format!("band({}, {})", b.lo, b.hi));
}

fn divide(b: Band, k: f64) -> Result<Band, Box<EvalAltResult>> {
    if k == 0.0 {
        return Err("band / 0: division by zero".into());
    }
    scale(b, 1.0 / k)
}
