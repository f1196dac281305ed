//! Positioned chart text: what every chart kind places. `svg` writes it as `<text>`
//! elements, `glyphs` draws it into bitmaps.
//!
//! Each text's size and weight follow from its role, so a chart reads as one family
//! whatever kind it is.

use super::palette::Role;
use super::text;

/// Every chart text uses the reader's sans-serif: the SVG is shown by a browser, and the
/// layout's width estimates assume the widest common one.
pub const FONT: &str = "sans-serif";

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
