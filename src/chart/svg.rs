//! SVG output: draws a laid-out chart with plotters' SVG backend, then finishes its string.
//!
//! plotters writes one tag per line and escapes all text, which keeps the finishing pass a
//! simple line-by-line rewrite: an accessible root element with `<title>`, `<desc>` and the
//! palette stylesheet; an `nbc-` class on each element, recognised by its marker colour;
//! tooltips for shortened labels and for bars; and short numbers in place of plotters'
//! `font-size="17.741935483870968"`.

use plotters::prelude::*;

use super::ChartError;
use super::band::{self, BandLayout};
use super::label;
use super::palette::{self, Look, Role};
use super::scene::{self, Scene};
use super::text::escape;

/// Draws the band layout and returns the finished `<svg>` element.
pub fn band_svg(layout: &BandLayout, alt: &str, dark: bool) -> Result<String, ChartError> {
    let raw = render(layout.width, layout.height, |root| {
        band::draw_marks(root, layout, Look::SVG)?;
        label::draw_all(root, &layout.labels)
    })?;
    let text_tips: Vec<Option<&str>> = layout.labels.iter().map(|l| l.tooltip.as_deref()).collect();
    let bar_tips: Vec<Option<&str>> = layout.bars.iter().map(|b| Some(b.tooltip.as_str())).collect();
    let head = Head { width: layout.width, height: layout.height, alt, desc: &layout.desc, dark };
    Ok(finish(&raw, &head, &text_tips, &bar_tips))
}

/// Draws a scene (bar, stacked bar and line charts) and returns the finished `<svg>` element.
pub fn scene_svg(scene: &Scene, alt: &str, dark: bool) -> Result<String, ChartError> {
    let raw = render(scene.width, scene.height, |root| {
        scene::draw_marks(root, scene, Look::SVG)?;
        label::draw_all(root, &scene.labels)
    })?;
    let text_tips: Vec<Option<&str>> = scene.labels.iter().map(|l| l.tooltip.as_deref()).collect();
    let head = Head { width: scene.width, height: scene.height, alt, desc: &scene.desc, dark };
    Ok(finish(&raw, &head, &text_tips, &scene.shape_tips()))
}

/// What the root element says about the chart.
struct Head<'a> {
    width: u32,
    height: u32,
    alt: &'a str,
    desc: &'a str,
    /// Dark colours written as attributes on the theme's dark sheet colour, for a file that
    /// is dark wherever it is shown (a slide, an image viewer), instead of the page chart's
    /// light colours with a stylesheet that follows the reader's colour scheme.
    dark: bool,
}

/// Runs `draw` on a fresh SVG backend of the given size and returns what plotters wrote.
fn render<F, E>(width: u32, height: u32, draw: F) -> Result<String, ChartError>
where
    F: FnOnce(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Result<(), E>,
    E: std::fmt::Display,
{
    let mut raw = String::new();
    {
        let root = SVGBackend::with_string(&mut raw, (width, height)).into_drawing_area();
        draw(&root).map_err(|e| ChartError::new(format!("drawing the chart failed: {e}")))?;
        root.present().map_err(|e| ChartError::new(format!("drawing the chart failed: {e}")))?;
    }
    Ok(raw)
}

/// Classed tags and the colour rules they need beyond the band chart's.
#[derive(Default)]
struct Body {
    out: String,
    extra: Vec<(String, &'static str, Role)>,
    dark: bool,
}

impl Body {
    fn push_tag(&mut self, line: &str, paint_attr: &str) -> String {
        let (mut tag, used) = tidy_tag(line, paint_attr);
        if let (true, Some((_, _, role))) = (self.dark, &used) {
            let light = format!(" {paint_attr}=\"{}\"", role.light_hex());
            tag = tag.replacen(&light, &format!(" {paint_attr}=\"{}\"", role.dark_hex()), 1);
        }
        if let Some(used) = used {
            let known = Role::BASE.iter().any(|r| r.class() == used.0) || self.extra.contains(&used);
            if !known {
                self.extra.push(used);
            }
        }
        tag
    }
}

/// `shape_tips` go, in order, to the `<rect>` and `<circle>` elements plotters wrote.
fn finish(raw: &str, head: &Head<'_>, text_tips: &[Option<&str>], shape_tips: &[Option<&str>]) -> String {
    let mut body = Body { dark: head.dark, ..Body::default() };
    let (mut texts, mut shapes) = (0usize, 0usize);
    // plotters' own root tag is replaced below; its closing tag is kept.
    for line in raw.lines().skip_while(|l| !l.starts_with("<svg")).skip(1) {
        if line.starts_with("<text") {
            let tag = body.push_tag(line, "fill");
            body.out.push_str(&tag);
            body.out.push('\n');
            if let Some(Some(tip)) = text_tips.get(texts) {
                body.out.push_str(&format!("<title>{}</title>\n", escape(tip)));
            }
            texts += 1;
        } else if line.starts_with("<rect") || line.starts_with("<circle") {
            let tag = body.push_tag(line, "fill");
            let name = if line.starts_with("<rect") { "rect" } else { "circle" };
            match (shape_tips.get(shapes), tag.strip_suffix("/>")) {
                (Some(Some(tip)), Some(open)) => {
                    body.out.push_str(&format!("{open}><title>{}</title></{name}>\n", escape(tip)));
                }
                _ => {
                    body.out.push_str(&tag);
                    body.out.push('\n');
                }
            }
            shapes += 1;
        } else if line.starts_with("<polyline") || line.starts_with("<line") || line.starts_with("<path") {
            let tag = body.push_tag(line, "stroke");
            body.out.push_str(&tag);
            body.out.push('\n');
        } else {
            body.out.push_str(line);
            body.out.push('\n');
        }
    }
    let Head { width, height, alt, desc, dark } = *head;
    let mut out = String::with_capacity(body.out.len() + 2048);
    out.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{alt}\" class=\"chart\">\n",
        alt = escape(alt)
    ));
    out.push_str(&format!("<title>{}</title>\n", escape(alt)));
    out.push_str(&format!("<desc>{}</desc>\n", escape(desc)));
    if dark {
        out.push_str(&palette::fixed_stylesheet());
        let sheet = palette::hex(palette::background(true));
        out.push_str(&format!(
            "<rect class=\"nbc-bg\" x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"{sheet}\"/>\n"
        ));
    } else {
        out.push_str(&palette::stylesheet(&body.extra));
    }
    out.push_str(&body.out);
    out
}

/// Adds the role class (found from the colour in `paint_attr`), drops the default
/// `opacity="1"`, rounds `font-size` and centres middle-anchored text on digits and capitals.
/// Also returns the class it added, with the paint and role its colour rule needs.
fn tidy_tag(tag: &str, paint_attr: &str) -> (String, Option<(String, &'static str, Role)>) {
    let mut tag = tag.replace(" opacity=\"1\"", "").replace("dy=\"0.5ex\"", "dy=\"0.35em\"");
    if let Some(size) = attr(&tag, "font-size").and_then(|v| v.parse::<f64>().ok()) {
        let rounded = short_number(size);
        if let Some(value) = attr(&tag, "font-size") {
            tag = tag.replacen(&format!("font-size=\"{value}\""), &format!("font-size=\"{rounded}\""), 1);
        }
    }
    let role = attr(&tag, paint_attr).and_then(Role::from_light_hex);
    let (Some(role), Some(space)) = (role, tag.find(' ')) else {
        return (tag, None);
    };
    let (class, paint) = palette::class_for(role, paint_attr);
    tag.insert_str(space, &format!(" class=\"{class}\""));
    (tag, Some((class, paint, role)))
}

/// The value of `name="..."` in a tag plotters wrote (its values never contain quotes).
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag.get(start..)?.find('"')?;
    tag.get(start..start + len)
}

/// At most two decimals, no trailing zeros: 13.000000000000002 -> 13, 17.741935 -> 17.74.
fn short_number(value: f64) -> String {
    let fixed = format!("{:.2}", value);
    fixed.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_number_rounds_plotters_font_sizes() {
        assert_eq!(short_number(17.741935483870968), "17.74");
        assert_eq!(short_number(13.000000000000002), "13");
        assert_eq!(short_number(12.5), "12.5");
    }

    #[test]
    fn tidy_tag_classes_by_marker_colour() {
        let line = format!(
            "<text x=\"1\" y=\"2\" dy=\"0.5ex\" font-size=\"12.903225806451612\" opacity=\"1\" fill=\"{}\">",
            Role::Value.light_hex()
        );
        let (tidy, _) = tidy_tag(&line, "fill");
        assert!(tidy.starts_with("<text class=\"nbc-val\" "), "{tidy}");
        assert!(tidy.contains("font-size=\"12.9\""), "{tidy}");
        assert!(tidy.contains("dy=\"0.35em\""), "{tidy}");
        assert!(!tidy.contains("opacity"), "{tidy}");
    }

    #[test]
    fn a_series_colour_drawn_as_a_line_gets_a_stroke_class() {
        let line = format!("<polyline fill=\"none\" stroke=\"{}\" points=\"1,2 3,4 \"/>", Role::Series(1).light_hex());
        let (tidy, used) = tidy_tag(&line, "stroke");
        assert!(tidy.starts_with("<polyline class=\"nbc-s1-line\" "), "{tidy}");
        assert_eq!(used, Some(("nbc-s1-line".to_string(), "stroke", Role::Series(1))));
    }

    #[test]
    fn tidy_tag_leaves_unknown_colours_alone() {
        let line = "<polyline fill=\"none\" stroke=\"#123456\" points=\"1,2 3,4 \"/>";
        assert_eq!(tidy_tag(line, "stroke"), (line.to_string(), None));
    }
}
