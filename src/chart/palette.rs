//! The chart palette: one colour per visual role, for light and dark pages.
//!
//! plotters can only write colours, not classes, so each role's light colour is unique and
//! doubles as a marker: the SVG post-processor maps it back to an `nbc-` class that the
//! embedded stylesheet recolours on dark pages.

use std::fmt::{self, Write as _};
use std::sync::OnceLock;

use plotters::style::RGBColor;

/// What a drawn element is, for colouring and for its CSS class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Title,
    Category,
    Value,
    Tick,
    AxisTitle,
    Grid,
    Axis,
    Bar,
    /// Legend entries beside their swatches.
    Legend,
    /// Value labels drawn inside a series-coloured bar segment.
    Inside,
    /// The n-th data series (groups, stack columns, lines): 0 to [`SERIES`] - 1.
    Series(u8),
}

/// How many series colours there are: charts with more groups are refused rather than
/// reusing a colour for two different things.
pub const SERIES: usize = 6;

impl Role {
    /// The roles of the band chart, whose stylesheet always lists them.
    pub const BASE: [Role; 8] =
        [Role::Title, Role::Category, Role::Value, Role::Tick, Role::AxisTitle, Role::Grid, Role::Axis, Role::Bar];

    pub const ALL: [Role; 16] = [
        Role::Title,
        Role::Category,
        Role::Value,
        Role::Tick,
        Role::AxisTitle,
        Role::Grid,
        Role::Axis,
        Role::Bar,
        Role::Legend,
        Role::Inside,
        Role::Series(0),
        Role::Series(1),
        Role::Series(2),
        Role::Series(3),
        Role::Series(4),
        Role::Series(5),
    ];

    /// The colour of series `index`, or `None` past the palette's end.
    pub fn series(index: usize) -> Option<Role> {
        u8::try_from(index).ok().filter(|i| usize::from(*i) < SERIES).map(Role::Series)
    }

    pub fn class(self) -> &'static str {
        match self {
            Role::Title => "nbc-title",
            Role::Category => "nbc-cat",
            Role::Value => "nbc-val",
            Role::Tick => "nbc-tick",
            Role::AxisTitle => "nbc-axis-title",
            Role::Grid => "nbc-grid",
            Role::Axis => "nbc-axis",
            Role::Bar => "nbc-bar",
            Role::Legend => "nbc-legend",
            Role::Inside => "nbc-in",
            Role::Series(0) => "nbc-s0",
            Role::Series(1) => "nbc-s1",
            Role::Series(2) => "nbc-s2",
            Role::Series(3) => "nbc-s3",
            Role::Series(4) => "nbc-s4",
            Role::Series(_) => "nbc-s5",
        }
    }

    /// Colour on a light page. Text colours are Tailwind greys with at least 4.8:1 contrast
    /// on white; the bar blue has 5.2:1, well above the 3:1 graphics need.
    ///
    /// Series colours differ in hue at one relative luminance (0.25): each has 3.4:1 on white,
    /// and the `Inside` text (near black) has 5.4:1 on each of them, so a label inside a
    /// segment and the same label on the page both read.
    pub fn light(self) -> RGBColor {
        match self {
            Role::Title => RGBColor(0x11, 0x18, 0x27),
            Role::Category => RGBColor(0x1F, 0x29, 0x37),
            Role::Value => RGBColor(0x37, 0x41, 0x51),
            Role::Tick => RGBColor(0x6B, 0x72, 0x80),
            Role::AxisTitle => RGBColor(0x4B, 0x55, 0x63),
            Role::Grid => RGBColor(0xE5, 0xE7, 0xEB),
            Role::Axis => RGBColor(0x9C, 0xA3, 0xAF),
            Role::Bar => RGBColor(0x25, 0x63, 0xEB),
            Role::Legend => RGBColor(0x27, 0x31, 0x42),
            Role::Inside => RGBColor(0x0B, 0x12, 0x20),
            Role::Series(0) => RGBColor(0x4A, 0x8A, 0xE5),
            Role::Series(1) => RGBColor(0xD1, 0x71, 0x1E),
            Role::Series(2) => RGBColor(0x16, 0x9B, 0x85),
            Role::Series(3) => RGBColor(0xB4, 0x68, 0xE9),
            Role::Series(4) => RGBColor(0xE7, 0x54, 0x91),
            Role::Series(_) => RGBColor(0x58, 0x9A, 0x16),
        }
    }

    /// Colour on a dark page (checked on #1e1e1e and #121212: text above 6.9:1, bar 6.6:1).
    /// Series colours sit at luminance 0.155: 3.2:1 or more on those pages and on the theme's
    /// #1a1c20, and the `Inside` text (near white) keeps 4.9:1 on each.
    pub fn dark(self) -> RGBColor {
        match self {
            Role::Title => RGBColor(0xF3, 0xF4, 0xF6),
            Role::Category => RGBColor(0xE5, 0xE7, 0xEB),
            Role::Value => RGBColor(0xD1, 0xD5, 0xDB),
            Role::Tick => RGBColor(0x9C, 0xA3, 0xAF),
            Role::AxisTitle => RGBColor(0xB0, 0xB6, 0xC0),
            Role::Grid => RGBColor(0x3A, 0x3F, 0x47),
            Role::Axis => RGBColor(0x6B, 0x72, 0x80),
            Role::Bar => RGBColor(0x60, 0xA5, 0xFA),
            Role::Legend => RGBColor(0xE5, 0xE7, 0xEB),
            Role::Inside => RGBColor(0xF9, 0xFA, 0xFB),
            Role::Series(0) => RGBColor(0x31, 0x6D, 0xC2),
            Role::Series(1) => RGBColor(0x9D, 0x5E, 0x27),
            Role::Series(2) => RGBColor(0x1F, 0x7A, 0x6B),
            Role::Series(3) => RGBColor(0x97, 0x45, 0xD1),
            Role::Series(4) => RGBColor(0xC6, 0x32, 0x70),
            Role::Series(_) => RGBColor(0x4C, 0x79, 0x1E),
        }
    }

    /// The CSS property the colour is painted with.
    pub fn paint(self) -> &'static str {
        match self {
            Role::Grid | Role::Axis => "stroke",
            _ => "fill",
        }
    }

    /// The light colour as plotters writes it, e.g. `#2563EB`.
    #[cfg(test)]
    pub fn light_hex(self) -> String {
        Hex(self.light()).to_string()
    }

    #[cfg(test)]
    pub fn dark_hex(self) -> String {
        Hex(self.dark()).to_string()
    }

    /// The role whose light colour plotters wrote as `hex`.
    pub fn from_light_hex(hex: &str) -> Option<Role> {
        // Called for every element of every chart: compare numbers, not formatted strings.
        let digits = hex.strip_prefix('#').filter(|d| d.len() == 6)?;
        let channel = |i: usize| digits.get(i..i + 2).and_then(|c| u8::from_str_radix(c, 16).ok());
        let colour = RGBColor(channel(0)?, channel(2)?, channel(4)?);
        let lowercase = digits.bytes().any(|b| b.is_ascii_lowercase());
        // `hex()` writes upper case; a lower-case spelling is not ours.
        if lowercase {
            return None;
        }
        Role::ALL.into_iter().find(|role| role.light() == colour)
    }
}

/// What a drawing is painted with: device pixels per CSS px, and light or dark colours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Look {
    pub scale: f64,
    pub dark: bool,
}

impl Look {
    /// The SVG: CSS px and light colours, which double as role markers (the stylesheet or
    /// the finishing pass recolours them).
    pub const SVG: Look = Look { scale: 1.0, dark: false };

    pub fn colour(self, role: Role) -> RGBColor {
        if self.dark { role.dark() } else { role.light() }
    }

    /// What a bitmap is drawn on: the theme's sheet colour.
    pub fn background(self) -> RGBColor {
        background(self.dark)
    }

    /// A CSS px coordinate in device px.
    pub fn px(self, v: f64) -> i32 {
        (v * self.scale).round() as i32
    }

    /// A line width or radius in device px, never thinner than one.
    pub fn thickness(self, css_px: u32) -> u32 {
        ((f64::from(css_px) * self.scale).round() as u32).max(1)
    }
}

/// The theme's sheet colour, which bitmaps and dark SVGs are drawn on.
pub fn background(dark: bool) -> RGBColor {
    if dark { RGBColor(0x1A, 0x1C, 0x20) } else { RGBColor(0xFF, 0xFF, 0xFF) }
}

/// A colour as SVG and CSS write it, e.g. `#2563EB`.
#[derive(Debug, Clone, Copy)]
pub struct Hex(pub RGBColor);

impl Hex {
    /// Appends it to `out`: the SVG pass writes one per mark, without the formatting machinery.
    pub fn push_to(self, out: &mut String) {
        const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
        let RGBColor(r, g, b) = self.0;
        out.push('#');
        for byte in [r, g, b] {
            out.push(char::from(DIGITS[usize::from(byte >> 4)]));
            out.push(char::from(DIGITS[usize::from(byte & 0xF)]));
        }
    }
}

impl fmt::Display for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(7);
        self.push_to(&mut s);
        f.write_str(&s)
    }
}

/// The `nbc-` class of an element painted with a role's colour. A fill role used as a
/// stroke (a line in a series colour) gets its own class, so the dark rule recolours the
/// stroke and never fills the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Class {
    pub role: Role,
    /// A fill colour painted as a line's stroke: the class is `nbc-s1-line`.
    pub as_line: bool,
}

impl Class {
    /// The class of an element whose `paint_attr` (`fill` or `stroke`) has `role`'s colour.
    pub fn of(role: Role, paint_attr: &str) -> Class {
        Class { role, as_line: role.paint() == "fill" && paint_attr == "stroke" }
    }

    /// The CSS property its rule sets.
    pub fn paint(self) -> &'static str {
        if self.as_line { "stroke" } else { self.role.paint() }
    }

    /// One of the band chart's classes, which every stylesheet lists.
    pub fn is_base(self) -> bool {
        !self.as_line && Role::BASE.contains(&self.role)
    }
}

impl Class {
    /// Appends its name to `out`, e.g. `nbc-s1-line`.
    pub fn push_to(self, out: &mut String) {
        out.push_str(self.role.class());
        if self.as_line {
            out.push_str("-line");
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.push_to(&mut s);
        f.write_str(&s)
    }
}

const CRISP: &str = "<style>\n.nbc-grid,.nbc-axis{shape-rendering:crispEdges}\n";

/// Writes the `<style>` of a chart whose colours are fixed (a dark export): no colour rules.
pub fn write_fixed_stylesheet(out: &mut String) {
    out.push_str(CRISP);
    out.push_str("</style>\n");
}

/// Writes the `<style>` embedded in every chart. It only names `nbc-` classes because a
/// `<style>` inside inline SVG applies to the whole HTML page.
///
/// Dark colours apply on dark screens only. Each rule first sets the dark colour (browsers
/// without `light-dark()` keep it), then `light-dark()`, which follows the page's own
/// `color-scheme`: a page that never opted into dark keeps a light chart on its light
/// background even when the reader's system is dark.
///
/// The band chart's classes are always listed; `extra` adds the classes other kinds used,
/// such as a series colour painted as a line's stroke.
pub fn write_stylesheet(out: &mut String, extra: &[Class]) {
    // The same for every chart: written once per process.
    static BASE: OnceLock<String> = OnceLock::new();
    out.push_str(BASE.get_or_init(|| {
        let mut base = String::from(CRISP);
        base.push_str("@media screen and (prefers-color-scheme:dark){\n");
        for role in Role::BASE {
            write_rule(&mut base, Class::of(role, role.paint()));
        }
        base
    }));
    for &class in extra {
        write_rule(out, class);
    }
    out.push_str("}\n</style>\n");
}

fn write_rule(out: &mut String, class: Class) {
    let (paint, light, dark) = (class.paint(), Hex(class.role.light()), Hex(class.role.dark()));
    let _ = writeln!(out, ".{class}{{{paint}:{dark};{paint}:light-dark({light},{dark})}}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn light_colours_are_unique_so_they_can_mark_roles() {
        for role in Role::ALL {
            assert_eq!(Role::from_light_hex(&role.light_hex()), Some(role));
        }
    }

    #[test]
    fn stylesheet_only_names_nbc_classes() {
        let mut css = String::new();
        write_stylesheet(&mut css, &[Class::of(Role::Series(0), "stroke")]);
        for selector in css.split(['{', '}', ',', '\n']).filter(|s| s.starts_with('.')) {
            assert!(selector.starts_with(".nbc-"), "{selector}");
        }
        assert!(css.contains("prefers-color-scheme:dark"));
        assert!(css.contains(".nbc-s0-line{stroke:#316DC2;stroke:light-dark(#4A8AE5,#316DC2)}"));
    }

    fn luminance(hex: &str) -> f64 {
        let channel = |i: usize| {
            let c = f64::from(u8::from_str_radix(hex.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0)) / 255.0;
            if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (x, y) = (luminance(a), luminance(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    /// WCAG: 3:1 for the series marks on the page, 4.5:1 for a label inside a segment, in
    /// both schemes (dark checked on the theme's sheet and on common dark greys).
    #[test]
    fn series_colours_pass_wcag_contrast_in_both_schemes() {
        for i in 0..SERIES {
            let Some(role) = Role::series(i) else {
                panic!("series {i} missing");
            };
            let light = role.light_hex();
            assert!(contrast(&light, "#FFFFFF") >= 3.0, "{light} on white");
            assert!(contrast(&light, &Role::Inside.light_hex()) >= 4.5, "inside text on {light}");
            for page in ["#1A1C20", "#1E1E1E", "#121212"] {
                assert!(contrast(&role.dark_hex(), page) >= 3.0, "{} on {page}", role.dark_hex());
            }
            assert!(contrast(&role.dark_hex(), &Role::Inside.dark_hex()) >= 4.5, "inside text on {}", role.dark_hex());
        }
        assert_eq!(Role::series(SERIES), None);
        assert!(
            contrast(&Role::Legend.dark_hex(), "#1A1C20") >= 4.5
                && contrast(&Role::Legend.light_hex(), "#FFFFFF") >= 4.5
        );
    }
}
