//! Chart text for bitmaps: the Inter font compiled into the binary, measured and rasterised
//! with ab_glyph straight into the RGB buffer.
//!
//! An SVG leaves its text to the browser; a PNG carries its own pixels, and must look the same
//! on a machine with no fonts installed, so nothing here looks at the system. plotters is not
//! asked to draw bitmap text: its ab_glyph path puts glyphs on whole pixels and its baselines
//! differ from the SVG's, and turning its font feature on would make every SVG drawing depend
//! on a registered font. Each text is placed exactly as the SVG places it: the same anchor
//! point, the baseline 0.35 em below a middle-anchored `y` and 0.76 em below a top-anchored one.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use plotters::style::RGBColor;

use super::ChartError;
use super::label::{self, Anchor, Baseline, Label};
use super::palette::Look;

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/Inter-Regular.otf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/Inter-Bold.otf");

/// The two faces charts use: titles are bold, everything else regular.
pub struct Fonts {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

impl Fonts {
    /// The compiled-in faces, parsed once per process.
    pub fn get() -> Result<&'static Fonts, ChartError> {
        static FONTS: OnceLock<Result<Fonts, String>> = OnceLock::new();
        let fonts = FONTS.get_or_init(|| {
            let parse =
                |bytes| FontRef::try_from_slice(bytes).map_err(|e| format!("the chart font is unreadable: {e}"));
            Ok(Fonts { regular: parse(REGULAR)?, bold: parse(BOLD)? })
        });
        fonts.as_ref().map_err(|m| ChartError::new(m.clone()))
    }

    fn face(&self, bold: bool) -> &FontRef<'static> {
        if bold { &self.bold } else { &self.regular }
    }
}

/// Text set in one face at one size, in device px.
struct Run<'a> {
    font: &'a FontRef<'static>,
    scale: PxScale,
}

impl<'a> Run<'a> {
    fn new(fonts: &'a Fonts, size: f64, bold: bool) -> Self {
        let font = fonts.face(bold);
        // ab_glyph scales by ascent - descent; CSS font-size is the em.
        let units = font.units_per_em().unwrap_or(1000.0);
        let scale = PxScale::from(size as f32 * font.height_unscaled() / units);
        Run { font, scale }
    }

    /// The advance width of `text`, with the font's pair kerning.
    fn width(&self, text: &str) -> f32 {
        let scaled = self.font.as_scaled(self.scale);
        let mut width = 0.0;
        let mut prev = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(prev) = prev {
                width += scaled.kern(prev, id);
            }
            width += scaled.h_advance(id);
            prev = Some(id);
        }
        width
    }
}

/// The advance width in px of `text` in the compiled-in font.
#[cfg(test)]
pub fn css_width(text: &str, size: f64, bold: bool) -> f64 {
    let Ok(fonts) = Fonts::get() else { return f64::INFINITY };
    f64::from(Run::new(fonts, size, bold).width(text))
}

/// An RGB8 image, row by row.
pub struct Canvas<'a> {
    pub rgb: &'a mut [u8],
    pub width: u32,
    pub height: u32,
}

impl Canvas<'_> {
    /// Lays `colour` over the pixel at `coverage` (0 to 1); pixels outside are ignored.
    fn blend(&mut self, x: i64, y: i64, colour: RGBColor, coverage: f32) {
        if x < 0 || y < 0 || x >= i64::from(self.width) || y >= i64::from(self.height) {
            return;
        }
        let a = coverage.clamp(0.0, 1.0);
        let at = (y as usize * self.width as usize + x as usize) * 3;
        let Some(pixel) = self.rgb.get_mut(at..at + 3) else { return };
        let RGBColor(r, g, b) = colour;
        for (channel, ink) in pixel.iter_mut().zip([r, g, b]) {
            let mixed = f32::from(*channel) * (1.0 - a) + f32::from(ink) * a;
            *channel = mixed.round().clamp(0.0, 255.0) as u8;
        }
    }
}

/// Draws `labels` on the canvas at `look`'s scale and in its colours.
pub fn draw_labels(canvas: &mut Canvas<'_>, labels: &[Label], look: Look) -> Result<(), ChartError> {
    let fonts = Fonts::get()?;
    for label in labels {
        draw_label(canvas, fonts, label, look);
    }
    Ok(())
}

/// The label's run, at its role's size unless the text would then be wider than the layout
/// estimated (Inter is narrower than that estimate for almost all text, but a few glyphs such
/// as `J` and `-` are wider): then a little smaller, so it keeps to the room it was given.
fn fitted<'a>(fonts: &'a Fonts, label: &Label, look: Look) -> (Run<'a>, f64, f64) {
    let (size, bold) = (label::size(label.role) * look.scale, label::bold(label.role));
    let run = Run::new(fonts, size, bold);
    let width = f64::from(run.width(&label.text));
    let room = label.width() * look.scale;
    if width <= room || width <= 0.0 {
        return (run, size, width);
    }
    let size = size * room / width;
    let run = Run::new(fonts, size, bold);
    let width = f64::from(run.width(&label.text));
    (run, size, width)
}

fn draw_label(canvas: &mut Canvas<'_>, fonts: &Fonts, label: &Label, look: Look) {
    let (run, size, width) = fitted(fonts, label, look);
    // The SVG writes the anchor rounded to whole CSS px.
    let (x, y) = (label.x.round() * look.scale, label.y.round() * look.scale);
    let left = match label.anchor {
        Anchor::Start => x,
        Anchor::Middle => x - width / 2.0,
        Anchor::End => x - width,
    };
    let baseline = match label.baseline {
        Baseline::Middle => y + 0.35 * size,
        Baseline::Top => y + 0.76 * size,
    };
    let colour = look.colour(label.role);
    let scaled = run.font.as_scaled(run.scale);
    let mut pen = left as f32;
    let mut prev = None;
    for c in label.text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(prev) = prev {
            pen += scaled.kern(prev, id);
        }
        prev = Some(id);
        let glyph = id.with_scale_and_position(run.scale, point(pen, baseline as f32));
        pen += scaled.h_advance(id);
        let Some(outline) = run.font.outline_glyph(glyph) else { continue };
        let bounds = outline.px_bounds();
        let (x0, y0) = (bounds.min.x as i64, bounds.min.y as i64);
        outline.draw(|gx, gy, coverage| canvas.blend(x0 + i64::from(gx), y0 + i64::from(gy), colour, coverage));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::palette::Role;

    #[test]
    fn bold_is_wider_and_size_scales_width() {
        let regular = css_width("MLOps engineer", 13.0, false);
        assert!(regular > 50.0 && regular < 120.0, "{regular}");
        assert!(css_width("MLOps engineer", 13.0, true) > regular);
        assert!((css_width("MLOps engineer", 26.0, false) - 2.0 * regular).abs() < 0.01);
    }

    fn fonts() -> &'static Fonts {
        match Fonts::get() {
            Ok(fonts) => fonts,
            Err(e) => panic!("{e}"),
        }
    }

    fn label(text: &str, role: Role) -> Label {
        Label::new(role, text.to_string(), (0.0, 0.0), Anchor::Start, Baseline::Middle)
    }

    /// The layout sizes every text with DejaVu Sans advance widths, which are wider than
    /// Inter's for the text charts carry: PNG text then needs no shrinking.
    #[test]
    fn chart_text_fits_the_layout_estimate_as_it_is() {
        let texts = [
            "MLOps engineer",
            "Computer vision engineer",
            "Generalist ML engineer",
            "$190k",
            "$1.25M",
            "$260k–$520k",
            "12.5%",
            "1,234",
            "Total compensation (USD)",
            "L5 total compensation by specialisation",
            "Base Bonus Equity",
            "US EU L3 L4 L5 L6",
        ];
        let fonts = fonts();
        for text in texts {
            for role in [Role::Title, Role::Category, Role::Value, Role::Tick] {
                let l = label(text, role);
                let (_, size, width) = fitted(fonts, &l, Look::SVG);
                assert_eq!(size, label::size(role), "{text:?} as {role:?} was shrunk");
                assert!(width <= l.width(), "{text:?}");
            }
        }
    }

    /// Whatever the text, a PNG label never takes more room than the layout gave it.
    #[test]
    fn text_wider_in_inter_than_estimated_is_set_smaller() {
        let fonts = fonts();
        for text in ["JJJJ", "----", "Jiffy-MJ", "M", "機械学習", ""] {
            for (role, scale) in [(Role::Category, 1.0), (Role::Title, 2.0)] {
                let l = label(text, role);
                let (_, size, width) = fitted(fonts, &l, Look { scale, dark: false });
                assert!(width <= l.width() * scale + 0.01, "{text:?}: {width} > {}", l.width() * scale);
                assert!(size <= label::size(role) * scale);
            }
        }
        let (_, size, _) = fitted(fonts, &label("JJJJ", Role::Category), Look::SVG);
        assert!(size < 13.0);
    }

    #[test]
    fn text_lands_where_the_anchor_says() {
        let (w, h) = (200u32, 40u32);
        let mut rgb = vec![255u8; (w * h * 3) as usize];
        let mut canvas = Canvas { rgb: &mut rgb, width: w, height: h };
        let label = Label::new(Role::Category, "RIGHT".to_string(), (150.0, 20.0), Anchor::End, Baseline::Middle);
        draw_labels(&mut canvas, &[label], Look { scale: 1.0, dark: false }).map_err(|e| e.message).unwrap_or(());
        let inked: Vec<(u32, u32)> = (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .filter(|&(x, y)| rgb[((y * w + x) * 3) as usize] < 200)
            .collect();
        let (min_x, max_x) = (inked.iter().map(|p| p.0).min(), inked.iter().map(|p| p.0).max());
        let (min_y, max_y) = (inked.iter().map(|p| p.1).min(), inked.iter().map(|p| p.1).max());
        assert!(max_x.is_some_and(|x| (147..=150).contains(&x)), "right edge {max_x:?}");
        assert!(min_x.is_some_and(|x| x > 100), "left edge {min_x:?}");
        // Capitals centred on y = 20: from about 15 to about 25.
        assert!(min_y.is_some_and(|y| (13..=16).contains(&y)), "top {min_y:?}");
        assert!(max_y.is_some_and(|y| (23..=26).contains(&y)), "bottom {max_y:?}");
    }
}
