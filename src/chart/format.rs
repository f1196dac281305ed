//! Number formatting for axis ticks, value labels and chart descriptions.
//!
//! Charts need compact labels (`$190k`, not `$190,000`), so these rules differ from the
//! prose filters on purpose; they only share the currency sign and thousands separator.

use super::AxisFormat;

/// Formats a value the way axis ticks and bar labels do: MoneyK -> `$190k`, `$1.25M`, `$0`;
/// Pct (input is a fraction) -> `10%`, `12.5%`; Num -> `1,234`.
///
/// Non-finite input gives `n/a` rather than a panic; charts reject such values before
/// drawing, so this only guards direct callers.
pub fn format_tick(value: f64, format: AxisFormat) -> String {
    if !value.is_finite() {
        return "n/a".to_string();
    }
    // One small string per label: layout formats every tick of every candidate axis.
    let mut out = String::with_capacity(12);
    match format {
        AxisFormat::MoneyK => money_k(&mut out, value),
        AxisFormat::Pct => {
            push_trimmed(&mut out, value * 100.0, 1);
            out.push('%');
        }
        AxisFormat::Num => push_trimmed(&mut out, value, 2),
    }
    out
}

/// Same rules as the prose filter `money_k`, so a chart and the text around it agree:
/// whole dollars below $1k, one decimal below $10k, whole thousands below $1M.
fn money_k(out: &mut String, value: f64) {
    let abs = value.abs();
    // Rounding can carry a value into the next unit ($999.6k is $1M), so each branch
    // compares the rounded figure, not the raw one.
    let dollars = round_to(abs, 0);
    // Never `-$0` for tiny negative values that round to nothing.
    if value < 0.0 && dollars != 0.0 {
        out.push('-');
    }
    out.push('$');
    if dollars < 1_000.0 {
        return push_grouped(out, dollars, 0);
    }
    let (scaled, decimals, unit) = if round_to(abs / 1e3, 1) < 10.0 {
        (abs / 1e3, 1, 'k')
    } else if round_to(abs / 1e3, 0) < 1_000.0 {
        (abs / 1e3, 0, 'k')
    } else if round_to(abs / 1e6, 2) < 1_000.0 {
        (abs / 1e6, 2, 'M')
    } else {
        (abs / 1e9, 2, 'B')
    };
    push_trimmed(out, scaled, decimals);
    out.push(unit);
}

/// The value of one unit in the last digit `format_tick` shows for `value`: a tick is
/// labelled truthfully only if it is a whole number of these.
pub fn resolution(value: f64, format: AxisFormat) -> f64 {
    match format {
        AxisFormat::MoneyK => {
            let abs = value.abs();
            if round_to(abs, 0) < 1_000.0 {
                1.0
            } else if round_to(abs / 1e3, 1) < 10.0 {
                100.0
            } else if round_to(abs / 1e3, 0) < 1_000.0 {
                1_000.0
            } else if round_to(abs / 1e6, 2) < 1_000.0 {
                10_000.0
            } else {
                10_000_000.0
            }
        }
        AxisFormat::Pct => 0.001,
        AxisFormat::Num => 0.01,
    }
}

fn round_to(value: f64, decimals: usize) -> f64 {
    let factor = 10f64.powi(decimals as i32);
    let scaled = value * factor;
    // Values this large have no fractional part left to round.
    if !scaled.is_finite() {
        return value;
    }
    scaled.round() / factor
}

/// `decimals` places at most, trailing zeros dropped, thousands grouped, never `-0`.
fn push_trimmed(out: &mut String, value: f64, decimals: usize) {
    let rounded = round_to(value, decimals);
    if rounded == 0.0 {
        return out.push('0');
    }
    if rounded < 0.0 {
        out.push('-');
    }
    push_grouped(out, rounded.abs(), decimals);
}

/// Groups the integer part with commas; `value` must be non-negative.
fn push_grouped(out: &mut String, value: f64, decimals: usize) {
    let mut buf = [0u8; 24];
    let formatted;
    let fixed = match whole_units(value, decimals) {
        Some(units) => fixed_point(&mut buf, units, decimals),
        None => {
            formatted = format!("{:.*}", decimals, value);
            formatted.as_str()
        }
    };
    let (int_part, frac_part) = match fixed.split_once('.') {
        Some((i, f)) => (i, f.trim_end_matches('0')),
        None => (fixed, ""),
    };
    let len = int_part.len();
    for (i, c) in int_part.chars().enumerate() {
        if i > 0 && (len - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac_part.is_empty() {
        out.push('.');
        out.push_str(frac_part);
    }
}

/// `value` in units of its last decimal place, when it is within a hair of a whole number
/// of them, as callers' values are (they round first). Then `{:.N}` would print exactly
/// these digits, and they can be written without the float formatter (which dominated chart
/// layout, where every candidate axis formats its ticks).
fn whole_units(value: f64, decimals: usize) -> Option<u64> {
    let factor = 10f64.powi(i32::try_from(decimals).ok().filter(|d| *d <= 6)?);
    let scaled = value * factor;
    let units = scaled.round();
    // Below 1e12 the product's own error is under 1e-3 units: far from a rounding tie.
    ((0.0..1e12).contains(&units) && (scaled - units).abs() < 1e-6).then_some(units as u64)
}

/// `units` with a decimal point `decimals` places from the right, as `{:.N}` writes it,
/// written into the end of `buf` (`whole_units` keeps it under 13 digits and 6 places).
fn fixed_point(buf: &mut [u8; 24], units: u64, decimals: usize) -> &str {
    let mut start = buf.len();
    let mut rest = units;
    let mut placed = 0;
    // Every place after the point, then at least one digit before it.
    while start > 0 && (rest > 0 || placed <= decimals) {
        if placed == decimals && decimals > 0 {
            start -= 1;
            buf[start] = b'.';
        }
        if start == 0 {
            break;
        }
        start -= 1;
        buf[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        placed += 1;
    }
    std::str::from_utf8(&buf[start..]).unwrap_or("0")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(v: f64) -> String {
        format_tick(v, AxisFormat::MoneyK)
    }

    #[test]
    fn the_fast_fixed_point_path_writes_what_the_float_formatter_writes() {
        let mut checked = 0;
        for decimals in 0..=3 {
            for i in 0..20_000u32 {
                // Rounded values as callers pass them, across magnitudes, and raw ones.
                let raw = f64::from(i) * 1.37 * 10f64.powi((i % 9) as i32 - 3);
                for value in [round_to(raw, decimals), raw] {
                    if let Some(units) = whole_units(value, decimals) {
                        let mut buf = [0u8; 24];
                        let fast = fixed_point(&mut buf, units, decimals);
                        assert_eq!(fast, format!("{value:.decimals$}"), "{value} {decimals}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 60_000, "the fast path should cover rounded values: {checked}");
    }

    #[test]
    fn money_uses_k_and_m_suffixes() {
        assert_eq!(money(190_000.0), "$190k");
        assert_eq!(money(1_250_000.0), "$1.25M");
        assert_eq!(money(0.0), "$0");
        assert_eq!(money(200_000.0), "$200k");
        assert_eq!(money(192_500.0), "$193k");
        assert_eq!(money(9_950.0), "$10k");
        assert_eq!(money(9_940.0), "$9.9k");
        assert_eq!(money(1_000_000.0), "$1M");
        assert_eq!(money(1_500.0), "$1.5k");
        assert_eq!(money(500.0), "$500");
        assert_eq!(money(2_500_000_000.0), "$2.5B");
    }

    #[test]
    fn money_rounding_carries_into_the_next_unit() {
        assert_eq!(money(999_960.0), "$1M");
        assert_eq!(money(999.6), "$1k");
        assert_eq!(money(999_499.0), "$999k");
        assert_eq!(money(999_500.0), "$1M");
    }

    #[test]
    fn resolution_is_the_last_shown_digit() {
        assert_eq!(resolution(500.0, AxisFormat::MoneyK), 1.0);
        assert_eq!(resolution(2_500.0, AxisFormat::MoneyK), 100.0);
        assert_eq!(resolution(192_500.0, AxisFormat::MoneyK), 1_000.0);
        assert_eq!(resolution(-1_250_000.0, AxisFormat::MoneyK), 10_000.0);
        assert_eq!(resolution(0.125, AxisFormat::Pct), 0.001);
    }

    #[test]
    fn money_negative_values_keep_their_sign_but_never_show_minus_zero() {
        assert_eq!(money(-50_000.0), "-$50k");
        assert_eq!(money(-0.2), "$0");
        assert_eq!(money(-0.0), "$0");
    }

    #[test]
    fn pct_takes_a_fraction() {
        assert_eq!(format_tick(0.1, AxisFormat::Pct), "10%");
        assert_eq!(format_tick(0.125, AxisFormat::Pct), "12.5%");
        assert_eq!(format_tick(0.0, AxisFormat::Pct), "0%");
        assert_eq!(format_tick(-0.05, AxisFormat::Pct), "-5%");
        assert_eq!(format_tick(0.3, AxisFormat::Pct), "30%");
        assert_eq!(format_tick(12.0, AxisFormat::Pct), "1,200%");
    }

    #[test]
    fn num_groups_thousands() {
        assert_eq!(format_tick(1234.0, AxisFormat::Num), "1,234");
        assert_eq!(format_tick(1_234_567.0, AxisFormat::Num), "1,234,567");
        assert_eq!(format_tick(0.25, AxisFormat::Num), "0.25");
        assert_eq!(format_tick(-1234.5, AxisFormat::Num), "-1,234.5");
        assert_eq!(format_tick(999.0, AxisFormat::Num), "999");
    }

    #[test]
    fn non_finite_values_do_not_panic() {
        assert_eq!(format_tick(f64::NAN, AxisFormat::MoneyK), "n/a");
        assert_eq!(format_tick(f64::INFINITY, AxisFormat::Pct), "n/a");
        assert!(format_tick(1e300, AxisFormat::MoneyK).starts_with('$'));
        assert!(format_tick(f64::MAX, AxisFormat::Num).len() > 300);
    }
}
