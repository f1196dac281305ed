//! Stage 4, draw: chart specifications built by cells, drawn with plotters into SVG.
//!
//! Cells build a [`ChartSpec`] (the exec stage validates rows and options and hands over
//! plain numbers); this module lays the chart out and draws it. plotters lives here and
//! nowhere else.

/// How axis ticks and value labels are formatted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AxisFormat {
    /// `$190k`, `$1.25M`
    #[default]
    MoneyK,
    /// `10%`
    Pct,
    /// `1,234`
    Num,
}

/// One category of a band chart: a floating bar from `lo` to `hi`.
#[derive(Debug, Clone, PartialEq)]
pub struct BandRow {
    pub category: String,
    pub lo: f64,
    pub hi: f64,
}

/// The data a chart draws, by kind. Later kinds (bar, stacked bar, line) add variants.
#[derive(Debug, Clone, PartialEq)]
pub enum ChartData {
    Bands(Vec<BandRow>),
}

/// A validated chart, ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    pub data: ChartData,
    pub title: Option<String>,
    pub x_title: Option<String>,
    pub y_title: Option<String>,
    pub format: AxisFormat,
    /// CSS px; `None` means the default.
    pub width: Option<u32>,
    pub height: Option<u32>,
}

// PROVISIONAL until the drawing code lands (replaced by the chart module's own).
#[derive(Debug, Clone, PartialEq)]
pub struct ChartError {
    pub message: String,
}

pub fn to_svg(spec: &ChartSpec, alt: &str) -> Result<String, ChartError> {
    let _ = spec;
    Ok(format!("<svg class=\"chart\" role=\"img\" aria-label=\"{alt}\"></svg>"))
}
