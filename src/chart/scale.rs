//! The value axis: a round range and evenly spaced round ticks that leave room for labels.
//!
//! Candidates are tried over steps of 1, 2, 2.5 and 5 times a power of ten; each candidate's
//! range is widened a step at a time until every bar's labels fit beside it, and the
//! tightest candidate whose tick labels are distinct and do not collide wins.
//!
//! An end the writer fixed ([`AxisBounds`]) is never widened: the axis ends exactly there,
//! its ticks are the step's multiples inside, and labels that need room past that end are
//! reported as an overhang, which the caller leaves free beside the plot.

use super::format::{format_tick, resolution};
use super::text;
use super::{AxisBounds, AxisFormat};

/// Room, in px, that one bar needs outside its ends for its labels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Need {
    pub lo: f64,
    pub hi: f64,
    pub left_px: f64,
    pub right_px: f64,
}

/// A chosen value axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub ticks: Vec<f64>,
    pub labels: Vec<String>,
    /// Px that value labels reach past the plot's left and right ends, at a fixed end only.
    pub overhang: (f64, f64),
}

/// How wide the tick labels may be drawn, so candidates can be checked for collisions.
#[derive(Debug, Clone, Copy)]
pub struct TickFont {
    pub size: f64,
    /// Minimum clear space between neighbouring tick labels.
    pub min_gap: f64,
}

const MULTIPLIERS: [f64; 4] = [1.0, 2.0, 2.5, 5.0];
const MAX_WIDENINGS: usize = 60;
const MAX_INTERVALS: f64 = 10.0;
/// With fixed ends, fewer: the range cannot grow to spread a fine step's labels out.
const MAX_FIXED_INTERVALS: f64 = 8.0;
/// Guards `floor`/`ceil` against values such as 2.9999999999999996 steps.
const EPS: f64 = 1e-9;

/// Picks the axis for data spanning `min..=max` drawn `plot_px` wide, or `None` when no
/// candidate leaves the room the labels in `needs` ask for. Unless `cross_zero`, an axis
/// over same-signed data stays on that side of zero. The axis ends exactly at the `fixed`
/// ends, which the caller has checked hold the data.
#[allow(clippy::too_many_arguments)]
pub fn choose(
    min: f64,
    max: f64,
    plot_px: f64,
    format: AxisFormat,
    needs: &[Need],
    font: TickFont,
    cross_zero: bool,
    fixed: AxisBounds,
) -> Option<Axis> {
    if !(min.is_finite() && max.is_finite() && min <= max && plot_px > 0.0) {
        return None;
    }
    let (min, max) = fixed.cover((min, max));
    let span = max - min;
    if !span.is_finite() {
        return None;
    }
    let smallest = smallest_step(min, max, format);
    let first_exp = smallest.log10().floor() as i32;
    let mut best: Option<(f64, Axis)> = None;
    for exp in first_exp..first_exp + 4 {
        for mult in MULTIPLIERS {
            let step = mult * 10f64.powi(exp);
            if step < smallest * (1.0 - EPS) || !step.is_finite() {
                continue;
            }
            let bounds = Bounds::new(min, max, cross_zero);
            let Some((axis, span)) = candidate(min, max, step, plot_px, format, needs, font, bounds, fixed) else {
                continue;
            };
            // 2.5 steps give ticks such as $225k; take them only when clearly tighter.
            let penalty = if mult == 2.5 { 1.1 } else { 1.0 };
            let score = span * penalty;
            if best.as_ref().is_none_or(|(s, _)| score < *s) {
                best = Some((score, axis));
            }
        }
    }
    best.map(|(_, axis)| axis)
}

/// Steps below this would crowd ticks (for real spans) or zoom into nothing (for a single
/// value, which otherwise gets ticks like $299.9k, $300k, $300.1k).
/// Nor can a step be finer than the last digit the format prints.
fn smallest_step(min: f64, max: f64, format: AxisFormat) -> f64 {
    let span = max - min;
    let magnitude = min.abs().max(max.abs());
    let finest = resolution(magnitude, format);
    if span > 0.0 {
        return (span / 12.0).max(finest);
    }
    if magnitude > 0.0 {
        return nice_floor(magnitude / 5.0).max(finest);
    }
    match format {
        AxisFormat::MoneyK => 10_000.0,
        AxisFormat::Pct => 0.05,
        AxisFormat::Num => 1.0,
    }
}

fn nice_floor(value: f64) -> f64 {
    let power = 10f64.powi(value.log10().floor() as i32);
    let scaled = value / power;
    let mult = MULTIPLIERS.iter().copied().filter(|m| *m <= scaled + EPS).fold(1.0, f64::max);
    mult * power
}

/// How far the axis may be widened, in values.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    lowest: f64,
    highest: f64,
}

impl Bounds {
    /// A salary axis reading "-$100k" is worse than labels placed another way, so callers
    /// first ask for an axis that keeps to the data's side of zero.
    fn new(min: f64, max: f64, cross_zero: bool) -> Self {
        let free = Bounds { lowest: f64::NEG_INFINITY, highest: f64::INFINITY };
        if cross_zero {
            free
        } else if min >= 0.0 {
            Bounds { lowest: 0.0, ..free }
        } else if max <= 0.0 {
            Bounds { highest: 0.0, ..free }
        } else {
            free
        }
    }
}

/// The axis with ticks `step` apart, and the span of round values it covers (the score:
/// tighter is better).
#[allow(clippy::too_many_arguments)]
fn candidate(
    min: f64,
    max: f64,
    step: f64,
    plot_px: f64,
    format: AxisFormat,
    needs: &[Need],
    font: TickFont,
    bounds: Bounds,
    fixed: AxisBounds,
) -> Option<(Axis, f64)> {
    let mut k0 = (min / step + EPS).floor();
    let mut k1 = (max / step - EPS).ceil();
    let floor_k = bounds.lowest / step;
    let ceil_k = bounds.highest / step;
    if k1 - k0 < 1.0 {
        // A single value: widen around it, within the same bounds.
        if k0 - 1.0 >= floor_k {
            k0 -= 1.0;
        }
        if k1 + 1.0 <= ceil_k {
            k1 += 1.0;
        }
    }
    // A fixed end stays where it is; only the open ends widen for labels.
    let ends = |k0: f64, k1: f64| (fixed.min.unwrap_or(k0 * step), fixed.max.unwrap_or(k1 * step));
    let mut fitted = false;
    for _ in 0..MAX_WIDENINGS {
        let (lo, hi) = ends(k0, k1);
        let px = |v: f64| (v - lo) / (hi - lo) * plot_px;
        let left_short = fixed.min.is_none() && needs.iter().any(|n| px(n.lo) < n.left_px);
        let right_short = fixed.max.is_none() && needs.iter().any(|n| plot_px - px(n.hi) < n.right_px);
        if !left_short && !right_short {
            fitted = true;
            break;
        }
        if left_short {
            if k0 - 1.0 < floor_k {
                return None;
            }
            k0 -= 1.0;
        }
        if right_short {
            if k1 + 1.0 > ceil_k {
                return None;
            }
            k1 += 1.0;
        }
    }
    if !fixed.is_open() {
        return fixed_candidate(ends(k0, k1), step, plot_px, format, needs, font, fitted);
    }
    let intervals = k1 - k0;
    let (lo, hi) = (k0 * step, k1 * step);
    if !fitted || intervals > MAX_INTERVALS || !lo.is_finite() || !hi.is_finite() {
        return None;
    }
    let ticks: Vec<f64> = (0..=intervals as usize).map(|i| tidy((k0 + i as f64) * step)).collect();
    let labels = tick_labels(&ticks, format, font, plot_px / intervals)?;
    Some((Axis { lo, hi, ticks, labels, overhang: (0.0, 0.0) }, hi - lo))
}

/// The axis from `lo` to `hi` (at least one of them fixed) with ticks at the multiples of
/// `step` inside, and the room its labels need past the fixed ends.
#[allow(clippy::too_many_arguments)]
fn fixed_candidate(
    (lo, hi): (f64, f64),
    step: f64,
    plot_px: f64,
    format: AxisFormat,
    needs: &[Need],
    font: TickFont,
    fitted: bool,
) -> Option<(Axis, f64)> {
    if !fitted || !lo.is_finite() || !hi.is_finite() || lo >= hi {
        return None;
    }
    // The round values around the range: at most so many steps, and the score.
    let (outer_lo, outer_hi) = ((lo / step + EPS).floor(), (hi / step - EPS).ceil());
    let (first, last) = ((lo / step - EPS).ceil(), (hi / step + EPS).floor());
    if outer_hi - outer_lo > MAX_FIXED_INTERVALS || last - first < 1.0 {
        return None;
    }
    let ticks: Vec<f64> = (0..=(last - first) as usize).map(|i| tidy((first + i as f64) * step)).collect();
    let labels = tick_labels(&ticks, format, font, step / (hi - lo) * plot_px)?;
    let px = |v: f64| (v - lo) / (hi - lo) * plot_px;
    // An open end was widened until its labels fit: only fixed ends overhang.
    let left = needs.iter().map(|n| n.left_px - px(n.lo)).fold(0.0, f64::max);
    let right = needs.iter().map(|n| n.right_px - (plot_px - px(n.hi))).fold(0.0, f64::max);
    let axis = Axis { lo, hi, ticks, labels, overhang: (left, right) };
    Some((axis, (outer_hi - outer_lo) * step))
}

/// The labels of `ticks` drawn `spacing` px apart, when each shows its tick exactly, no two
/// read the same, and neighbours do not collide.
fn tick_labels(ticks: &[f64], format: AxisFormat, font: TickFont, spacing: f64) -> Option<Vec<String>> {
    if !ticks.iter().all(|t| shown_exactly(*t, format)) {
        return None;
    }
    let labels: Vec<String> = ticks.iter().map(|t| format_tick(*t, format)).collect();
    if !distinct(&labels) {
        return None;
    }
    let widest = labels.iter().map(|l| text::width(l, font.size, false)).fold(0.0, f64::max);
    (spacing >= widest + font.min_gap).then_some(labels)
}

/// A tick at $192.5k would print as $193k; such steps are skipped.
fn shown_exactly(tick: f64, format: AxisFormat) -> bool {
    let units = tick / resolution(tick, format);
    (units - units.round()).abs() < 1e-6
}

/// Turns `-0.0` into `0.0` so it formats and compares like zero.
fn tidy(value: f64) -> f64 {
    if value == 0.0 { 0.0 } else { value }
}

fn distinct(labels: &[String]) -> bool {
    labels.windows(2).all(|w| match w {
        [a, b] => a != b,
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FONT: TickFont = TickFont { size: 12.0, min_gap: 16.0 };
    const OPEN: AxisBounds = AxisBounds { min: None, max: None };

    fn need(lo: f64, hi: f64, left_px: f64, right_px: f64) -> Need {
        Need { lo, hi, left_px, right_px }
    }

    #[test]
    fn salary_bands_get_round_hundred_k_ticks_below_and_above_the_data() {
        let needs = [need(260e3, 520e3, 44.0, 44.0), need(300e3, 700e3, 44.0, 44.0), need(240e3, 470e3, 44.0, 44.0)];
        let axis = choose(240e3, 700e3, 500.0, AxisFormat::MoneyK, &needs, FONT, false, OPEN);
        let Some(axis) = axis else {
            panic!("no axis");
        };
        assert!(axis.lo < 240e3 && axis.lo >= 0.0, "{axis:?}");
        assert!(axis.hi > 700e3, "{axis:?}");
        assert_eq!(axis.ticks.first().copied(), Some(axis.lo));
        assert_eq!(axis.ticks.last().copied(), Some(axis.hi));
        assert!(axis.labels.iter().all(|l| l.starts_with('$') && l.ends_with('k')));
        let step = axis.ticks[1] - axis.ticks[0];
        assert!(step == 50e3 || step == 100e3, "{axis:?}");
    }

    #[test]
    fn labels_that_cannot_fit_left_of_a_zero_lo_give_none_rather_than_a_negative_axis() {
        let needs = [need(0.0, 0.1, 40.0, 40.0)];
        assert_eq!(choose(0.0, 0.1, 400.0, AxisFormat::Pct, &needs, FONT, false, OPEN), None);
        let needs = [need(0.0, 0.1, 0.0, 90.0)];
        let axis = choose(0.0, 0.1, 400.0, AxisFormat::Pct, &needs, FONT, false, OPEN);
        assert_eq!(axis.map(|a| a.lo), Some(0.0));
    }

    #[test]
    fn a_single_value_gets_a_sensible_range_around_it() {
        let needs = [need(300e3, 300e3, 0.0, 50.0)];
        let Some(axis) = choose(300e3, 300e3, 500.0, AxisFormat::MoneyK, &needs, FONT, false, OPEN) else {
            panic!("no axis");
        };
        assert!(axis.lo < 300e3 && axis.hi > 300e3);
        assert!(axis.ticks[1] - axis.ticks[0] >= 50e3, "{axis:?}");
    }

    #[test]
    fn all_zero_values_still_get_an_axis() {
        for format in [AxisFormat::MoneyK, AxisFormat::Pct, AxisFormat::Num] {
            let needs = [need(0.0, 0.0, 0.0, 30.0)];
            let axis = choose(0.0, 0.0, 500.0, format, &needs, FONT, false, OPEN);
            assert!(axis.is_some_and(|a| a.lo == 0.0 && a.hi > 0.0), "{format:?}");
        }
    }

    #[test]
    fn fixed_ends_are_kept_and_the_ticks_are_round_values_inside_them() {
        let fixed = AxisBounds { min: Some(95e3), max: Some(610e3) };
        let needs = [need(260e3, 520e3, 44.0, 44.0)];
        let Some(axis) = choose(260e3, 520e3, 500.0, AxisFormat::MoneyK, &needs, FONT, false, fixed) else {
            panic!("no axis");
        };
        assert_eq!((axis.lo, axis.hi), (95e3, 610e3));
        assert_eq!(axis.ticks, [100e3, 200e3, 300e3, 400e3, 500e3, 600e3]);
        assert_eq!(axis.overhang, (0.0, 0.0), "the labels fit inside");
        // A bar at the fixed end has its label past it: the caller keeps that room free.
        let needs = [need(260e3, 610e3, 44.0, 44.0)];
        let axis = choose(260e3, 610e3, 500.0, AxisFormat::MoneyK, &needs, FONT, false, fixed);
        assert_eq!(axis.map(|a| a.overhang), Some((0.0, 44.0)));
    }

    #[test]
    fn fixed_ends_too_close_for_two_labelled_ticks_give_none() {
        let fixed = AxisBounds { min: Some(100e3), max: Some(100.5e3) };
        assert_eq!(choose(100e3, 100e3, 500.0, AxisFormat::MoneyK, &[], FONT, false, fixed), None);
    }

    #[test]
    fn negative_and_tiny_and_huge_ranges_do_not_panic() {
        let cases = [(-0.05, 0.1), (1e-12, 2e-12), (1e300, 1.5e300), (-1e300, 1e300), (0.0, f64::MAX)];
        for (lo, hi) in cases {
            let needs = [need(lo, hi, 40.0, 40.0)];
            let _ = choose(lo, hi, 500.0, AxisFormat::Num, &needs, FONT, false, OPEN);
        }
        assert_eq!(choose(f64::NAN, 1.0, 500.0, AxisFormat::Num, &[], FONT, false, OPEN), None);
        assert_eq!(choose(-f64::MAX, f64::MAX, 500.0, AxisFormat::Num, &[], FONT, false, OPEN), None);
    }
}
