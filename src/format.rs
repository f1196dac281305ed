//! The formatting filters shared by prose templates, table columns and charts: money, money_k,
//! money_band, money_k_band, pct, pct_band, num. Fixed formatting, no locale: deterministic.
//! Also [`plural`], for the counts messages give.

/// `one` when `n` is 1, else `many`: `1 file`, `2 files`, `0 files`.
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// One of the formatting filters, by its name in templates and `table(...)` columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    Money,
    MoneyK,
    MoneyBand,
    MoneyKBand,
    Pct,
    PctBand,
    Num,
}

impl Filter {
    pub const NAMES: &'static [&'static str] =
        &["money", "money_k", "money_band", "money_k_band", "pct", "pct_band", "num"];

    pub fn parse(name: &str) -> Option<Filter> {
        Some(match name {
            "money" => Filter::Money,
            "money_k" => Filter::MoneyK,
            "money_band" => Filter::MoneyBand,
            "money_k_band" => Filter::MoneyKBand,
            "pct" => Filter::Pct,
            "pct_band" => Filter::PctBand,
            "num" => Filter::Num,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Filter::Money => "money",
            Filter::MoneyK => "money_k",
            Filter::MoneyBand => "money_band",
            Filter::MoneyKBand => "money_k_band",
            Filter::Pct => "pct",
            Filter::PctBand => "pct_band",
            Filter::Num => "num",
        }
    }

    /// Whether the filter takes a band (`lo`, `hi`) rather than one number.
    pub fn takes_band(self) -> bool {
        matches!(self, Filter::MoneyBand | Filter::MoneyKBand | Filter::PctBand)
    }

    /// Formats one number with a number filter.
    pub fn number(self, x: f64) -> String {
        match self {
            Filter::Money | Filter::MoneyBand => money(x),
            Filter::MoneyK | Filter::MoneyKBand => money_k(x),
            Filter::Pct | Filter::PctBand => pct(x),
            Filter::Num => num(x),
        }
    }

    /// Formats a band with a band filter: `$190,000 to $260,000`, `0 to 10 percent`.
    pub fn band(self, lo: f64, hi: f64) -> String {
        match self {
            Filter::PctBand | Filter::Pct => format!("{} to {}", pct_number(lo), pct(hi)),
            other => format!("{} to {}", other.number(lo), other.number(hi)),
        }
    }
}

/// `$190,000`: whole dollars with thousands separators.
pub fn money(x: f64) -> String {
    let rounded = x.round();
    let sign = if rounded < 0.0 { "-" } else { "" };
    format!("{sign}${}", group_thousands(rounded.abs() as u64))
}

/// `$190k`, `$1.25M`, `$950`.
pub fn money_k(x: f64) -> String {
    let sign = if x.round() < 0.0 { "-" } else { "" };
    let a = x.abs();
    if a.round() >= 999_500.0 {
        format!("{sign}${}M", trim_decimals(a / 1e6, 2))
    } else if a >= 10_000.0 {
        format!("{sign}${}k", (a / 1e3).round())
    } else if a >= 1_000.0 {
        format!("{sign}${}k", trim_decimals(a / 1e3, 1))
    } else {
        format!("{sign}${}", a.round())
    }
}

/// `10 percent`, `12.5 percent` (the input is a fraction).
pub fn pct(x: f64) -> String {
    format!("{} percent", pct_number(x))
}

fn pct_number(x: f64) -> String {
    trim_decimals(x * 100.0, 1)
}

/// `1,234,567`; fractions keep up to two decimals (`2.5`).
pub fn num(x: f64) -> String {
    let sign = if x < 0.0 && trim_decimals(x.abs(), 2) != "0" { "-" } else { "" };
    let a = x.abs();
    let whole = a.trunc();
    let fraction = trim_decimals(a - whole, 2);
    match fraction.strip_prefix("0.") {
        Some(digits) => format!("{sign}{}.{digits}", group_thousands(whole as u64)),
        // Rounding the fraction can carry into the whole part.
        None if fraction == "1" => format!("{sign}{}", group_thousands(whole as u64 + 1)),
        None => format!("{sign}{}", group_thousands(whole as u64)),
    }
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A size in bytes as people read it: `512 MiB`, `1.5 GiB`, `900 bytes`.
pub fn bytes(n: usize) -> String {
    const UNITS: [(&str, f64); 3] = [("GiB", 1_073_741_824.0), ("MiB", 1_048_576.0), ("KiB", 1024.0)];
    let x = n as f64;
    match UNITS.iter().find(|(_, size)| x >= *size) {
        Some((unit, size)) => format!("{} {unit}", trim_decimals(x / size, 1)),
        None => format!("{} bytes", num(x)),
    }
}

/// Rounds to at most `places` decimals and drops trailing zeros: 12.50 -> "12.5", 10.0 -> "10".
pub fn trim_decimals(x: f64, places: usize) -> String {
    let s = format!("{x:.places$}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    if s == "-0" { "0".to_string() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples() {
        assert_eq!(money(190000.0), "$190,000");
        assert_eq!(money_k(190000.0), "$190k");
        assert_eq!(money_k(1250000.0), "$1.25M");
        assert_eq!(Filter::MoneyBand.band(190000.0, 260000.0), "$190,000 to $260,000");
        assert_eq!(Filter::MoneyKBand.band(190000.0, 260000.0), "$190k to $260k");
        assert_eq!(pct(0.1), "10 percent");
        assert_eq!(pct(0.125), "12.5 percent");
        assert_eq!(Filter::PctBand.band(0.0, 0.1), "0 to 10 percent");
        assert_eq!(num(1234567.0), "1,234,567");
    }

    #[test]
    fn edges() {
        assert_eq!(money(-1500.4), "-$1,500");
        assert_eq!(money(-0.2), "$0");
        assert_eq!(money_k(999_999.0), "$1M");
        assert_eq!(money_k(2500.0), "$2.5k");
        assert_eq!(money_k(950.0), "$950");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(0.999), "1");
        assert_eq!(num(-0.001), "0");
        assert_eq!(pct(0.10400000001), "10.4 percent");
        assert_eq!(pct(-0.0), "0 percent");
    }

    #[test]
    fn names_round_trip() {
        for name in Filter::NAMES {
            assert_eq!(Filter::parse(name).map(Filter::name), Some(*name));
        }
        assert_eq!(Filter::parse("moneyy"), None);
    }
}
