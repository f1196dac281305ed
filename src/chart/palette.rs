//! The chart palette: one colour per visual role, for light and dark pages.
//!
//! plotters can only write colours, not classes, so each role's light colour is unique and
//! doubles as a marker: the SVG post-processor maps it back to an `nbc-` class that the
//! embedded stylesheet recolours on dark pages.

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
}

impl Role {
    pub const ALL: [Role; 8] =
        [Role::Title, Role::Category, Role::Value, Role::Tick, Role::AxisTitle, Role::Grid, Role::Axis, Role::Bar];

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
        }
    }

    /// Colour on a light page. Text colours are Tailwind greys with at least 4.8:1 contrast
    /// on white; the bar blue has 5.2:1, well above the 3:1 graphics need.
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
        }
    }

    /// Colour on a dark page (checked on #1e1e1e and #121212: text above 6.9:1, bar 6.6:1).
    pub fn dark(self) -> &'static str {
        match self {
            Role::Title => "#F3F4F6",
            Role::Category => "#E5E7EB",
            Role::Value => "#D1D5DB",
            Role::Tick => "#9CA3AF",
            Role::AxisTitle => "#B0B6C0",
            Role::Grid => "#3A3F47",
            Role::Axis => "#6B7280",
            Role::Bar => "#60A5FA",
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
    pub fn light_hex(self) -> String {
        let RGBColor(r, g, b) = self.light();
        format!("#{r:02X}{g:02X}{b:02X}")
    }

    /// The role whose light colour plotters wrote as `hex`.
    pub fn from_light_hex(hex: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.light_hex() == hex)
    }
}

/// The `<style>` embedded in every chart. It only names `nbc-` classes because a `<style>`
/// inside inline SVG applies to the whole HTML page.
///
/// Dark colours apply on dark screens only. Each rule first sets the dark colour (browsers
/// without `light-dark()` keep it), then `light-dark()`, which follows the page's own
/// `color-scheme`: a page that never opted into dark keeps a light chart on its light
/// background even when the reader's system is dark.
pub fn stylesheet() -> String {
    let mut css = String::from("<style>\n.nbc-grid,.nbc-axis{shape-rendering:crispEdges}\n");
    css.push_str("@media screen and (prefers-color-scheme:dark){\n");
    for role in Role::ALL {
        let (class, paint, light, dark) = (role.class(), role.paint(), role.light_hex(), role.dark());
        css.push_str(&format!(".{class}{{{paint}:{dark};{paint}:light-dark({light},{dark})}}\n"));
    }
    css.push_str("}\n</style>\n");
    css
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
        let css = stylesheet();
        for selector in css.split(['{', '}', ',', '\n']).filter(|s| s.starts_with('.')) {
            assert!(selector.starts_with(".nbc-"), "{selector}");
        }
        assert!(css.contains("prefers-color-scheme:dark"));
    }
}
