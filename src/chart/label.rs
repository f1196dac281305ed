//! Positioned chart text: what every chart kind places, and how it reaches plotters.
//!
//! Each text's size and weight follow from its role, so a chart reads as one family
//! whatever kind it is.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::palette::Role;
use super::text;

/// Every chart text uses the reader's sans-serif: the SVG is shown by a browser, and the
/// layout's width estimates assume the widest common one.
const FONT: &str = "sans-serif";

/// Horizontal text anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// Vertical placement: `Top` hangs the text below `y`, `Middle` centres it on `y`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Baseline {
    Top,
    Middle,
}

/// One text, positioned in px.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub role: Role,
    pub text: String,
    pub x: f64,
    pub y: f64,
    pub anchor: Anchor,
    pub baseline: Baseline,
    /// The full text when `text` was shortened; shown on hover.
    pub tooltip: Option<String>,
}

impl Label {
    pub fn new(role: Role, text: String, (x, y): (f64, f64), anchor: Anchor, baseline: Baseline) -> Self {
        Label { role, text, x, y, anchor, baseline, tooltip: None }
    }

    /// Keeps `full` as the tooltip when the shown text differs from it.
    pub fn shortened_from(mut self, full: &str) -> Self {
        if self.text != full {
            self.tooltip = Some(full.to_string());
        }
        self
    }

    pub fn width(&self) -> f64 {
        text::width(&self.text, size(self.role), bold(self.role))
    }

    /// Estimated box `(left, top, right, bottom)` in px.
    #[cfg(test)]
    pub fn extent(&self) -> (f64, f64, f64, f64) {
        let (w, s) = (self.width(), size(self.role));
        let left = match self.anchor {
            Anchor::Start => self.x,
            Anchor::Middle => self.x - w / 2.0,
            Anchor::End => self.x - w,
        };
        let top = match self.baseline {
            Baseline::Top => self.y,
            Baseline::Middle => self.y - 0.5 * s,
        };
        (left, top, left + w, top + 1.05 * s)
    }
}

/// Font size in px for a role.
pub fn size(role: Role) -> f64 {
    match role {
        Role::Title => 16.0,
        Role::Category => 13.0,
        _ => 12.0,
    }
}

pub fn bold(role: Role) -> bool {
    role == Role::Title
}

/// Draws `labels` in order, which is also the order of `<text>` elements in the SVG.
///
/// SVG only: the browser lays the text out. plotters is built without a font engine (its
/// bitmap text would panic), so bitmaps get their text from `glyphs` instead.
pub fn draw_all(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    labels: &[Label],
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    for label in labels {
        let h = match label.anchor {
            Anchor::Start => HPos::Left,
            Anchor::Middle => HPos::Center,
            Anchor::End => HPos::Right,
        };
        let v = match label.baseline {
            Baseline::Top => VPos::Top,
            Baseline::Middle => VPos::Center,
        };
        let weight = if bold(label.role) { FontStyle::Bold } else { FontStyle::Normal };
        // The SVG backend writes size / 1.24 as font-size; scale up so it writes our size.
        let font = (FONT, size(label.role) * 1.24, weight).into_font().color(&label.role.light()).pos(Pos::new(h, v));
        let at = (label.x.round() as i32, label.y.round() as i32);
        root.draw_text(&label.text, &font, at)?;
    }
    Ok(())
}
