//! SVG output: draws a laid-out chart's marks with plotters' SVG backend, finishes them and
//! writes the text itself, in one pass into one string.
//!
//! plotters writes one tag per line and escapes all text, which keeps the finishing pass a
//! simple line-by-line copy: an accessible root element with `<title>`, `<desc>` and the
//! palette stylesheet; an `nbc-` class on each element, recognised by its marker colour;
//! and tooltips for bars and dots. Labels are written here directly, in the markup the
//! finishing pass would have given plotters' text (short `font-size` numbers, classes,
//! tooltips for shortened labels), without plotters' per-attribute strings.

use std::fmt::Write as _;

use plotters::prelude::*;

use super::ChartError;
use super::band::{self, BandLayout};
use super::label::{self, Anchor, Baseline, Label};
use super::palette::{self, Class, Look, Role};
use super::scene::{self, Scene};
use super::text::{escape, escape_into};

/// Draws the band layout and returns the finished `<svg>` element.
pub fn band_svg(layout: &BandLayout, alt: &str, dark: bool) -> Result<String, ChartError> {
    let marks = render(layout.width, layout.height, |root| band::draw_marks(root, layout, Look::SVG))?;
    let bar_tips: Vec<Option<&str>> = layout.bars.iter().map(|b| Some(b.tooltip.as_str())).collect();
    let head = Head { width: layout.width, height: layout.height, alt, desc: &layout.desc, dark };
    Ok(finish(&marks, &layout.labels, &head, &bar_tips))
}

/// Draws a scene (bar, stacked bar and line charts) and returns the finished `<svg>` element.
pub fn scene_svg(scene: &Scene, alt: &str, dark: bool) -> Result<String, ChartError> {
    let marks = render(scene.width, scene.height, |root| scene::draw_marks(root, scene, Look::SVG))?;
    let head = Head { width: scene.width, height: scene.height, alt, desc: &scene.desc, dark };
    Ok(finish(&marks, &scene.labels, &head, &scene.shape_tips()))
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
    let mut raw = String::with_capacity(4096);
    {
        let root = SVGBackend::with_string(&mut raw, (width, height)).into_drawing_area();
        draw(&root).map_err(|e| ChartError::new(format!("drawing the chart failed: {e}")))?;
        root.present().map_err(|e| ChartError::new(format!("drawing the chart failed: {e}")))?;
    }
    Ok(raw)
}

/// The finished elements, and the colour rules they need beyond the band chart's.
struct Body {
    out: String,
    extra: Vec<Class>,
    dark: bool,
}

impl Body {
    /// Notes a class whose colour rule the stylesheet must add.
    fn uses(&mut self, class: Class) {
        if !class.is_base() && !self.extra.contains(&class) {
            self.extra.push(class);
        }
    }

    /// Copies one mark plotters wrote, tidied: the role class (found from the colour in
    /// `paint_attr`) first, and no default `opacity="1"`. A dark drawing gets the role's dark
    /// colour. A `tip` turns a self-closing tag into one with a `<title>`.
    fn push_tag(&mut self, line: &str, paint_attr: &str, tip: Option<&str>) {
        let Some(tag) = Tag::parse(line) else {
            self.out.push_str(line);
            self.out.push('\n');
            return;
        };
        let role = tag.attrs().find(|(k, _)| *k == paint_attr).and_then(|(_, v)| Role::from_light_hex(v));
        let class = role.map(|role| Class::of(role, paint_attr));
        let mut dark_paint = role.filter(|_| self.dark).map(Role::dark);
        let out = &mut self.out;
        out.push('<');
        out.push_str(tag.name);
        if let Some(class) = class {
            out.push_str(" class=\"");
            class.push_to(out);
            out.push('"');
        }
        for (key, value) in tag.attrs() {
            if (key, value) == ("opacity", "1") {
                continue;
            }
            out.push(' ');
            out.push_str(key);
            out.push_str("=\"");
            match dark_paint.take_if(|_| key == paint_attr) {
                Some(colour) => palette::Hex(colour).push_to(out),
                None => out.push_str(value),
            }
            out.push('"');
        }
        match (tip, tag.self_closing) {
            (Some(tip), true) => {
                out.push_str("><title>");
                escape_into(out, tip);
                out.push_str("</title></");
                out.push_str(tag.name);
                out.push_str(">\n");
            }
            (_, true) => out.push_str("/>\n"),
            (_, false) => out.push_str(">\n"),
        }
        if let Some(class) = class {
            self.uses(class);
        }
    }

    /// Writes a label as a `<text>` element, with its tooltip when it was shortened.
    fn push_label(&mut self, label: &Label) {
        let class = Class::of(label.role, "fill");
        let colour = if self.dark { label.role.dark() } else { label.role.light() };
        let dy = match label.baseline {
            Baseline::Top => "0.76em",
            Baseline::Middle => "0.35em",
        };
        let anchor = match label.anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let out = &mut self.out;
        out.push_str("<text class=\"");
        class.push_to(out);
        out.push_str("\" x=\"");
        push_int(out, label.x.round() as i64);
        out.push_str("\" y=\"");
        push_int(out, label.y.round() as i64);
        out.push_str("\" dy=\"");
        out.push_str(dy);
        out.push_str("\" text-anchor=\"");
        out.push_str(anchor);
        out.push_str("\" font-family=\"");
        out.push_str(label::FONT);
        out.push_str("\" font-size=\"");
        push_number(out, label::size(label.role));
        out.push_str("\" fill=\"");
        palette::Hex(colour).push_to(out);
        out.push('"');
        if label::bold(label.role) {
            out.push_str(" font-weight=\"bold\"");
        }
        out.push_str(">\n");
        if let Some(tip) = &label.tooltip {
            out.push_str("<title>");
            escape_into(out, tip);
            out.push_str("</title>\n");
        }
        escape_into(out, &label.text);
        out.push_str("\n</text>\n");
        self.uses(class);
    }
}

/// An integer in decimal, as `{}` writes it, without the formatting machinery.
fn push_int(out: &mut String, value: i64) {
    if value < 0 {
        out.push('-');
    }
    let mut digits = [0u8; 20];
    let mut n = value.unsigned_abs();
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[start..] {
        out.push(char::from(d));
    }
}

/// A font size as `{}` writes it: whole sizes (ours are) take the short path.
fn push_number(out: &mut String, value: f64) {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        push_int(out, value as i64);
    } else {
        let _ = write!(out, "{value}");
    }
}

/// One tag as plotters writes it: `<name key="value" ...>` or `.../>`, values without quotes.
struct Tag<'a> {
    name: &'a str,
    /// ` key="value"` pairs, as written.
    attrs: &'a str,
    self_closing: bool,
}

impl<'a> Tag<'a> {
    fn parse(line: &'a str) -> Option<Tag<'a>> {
        let inner = line.strip_prefix('<')?;
        let (inner, self_closing) = match inner.strip_suffix("/>") {
            Some(open) => (open, true),
            None => (inner.strip_suffix('>')?, false),
        };
        let name_end = inner.find(' ').unwrap_or(inner.len());
        let (name, attrs) = inner.split_at(name_end);
        Some(Tag { name, attrs, self_closing })
    }

    fn attrs(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let mut rest = self.attrs;
        // Char patterns, not `"=\""`: a string pattern builds a searcher per call, and this
        // runs for every attribute of every mark.
        std::iter::from_fn(move || {
            let (key, after) = rest.trim_start().split_once('=')?;
            let (value, after) = after.strip_prefix('"')?.split_once('"')?;
            rest = after;
            Some((key, value))
        })
    }
}

/// `shape_tips` go, in order, to the `<rect>` and `<circle>` elements plotters wrote; the
/// labels follow the marks.
fn finish(raw: &str, labels: &[Label], head: &Head<'_>, shape_tips: &[Option<&str>]) -> String {
    let mut body =
        Body { out: String::with_capacity(raw.len() + 256 * labels.len()), extra: Vec::new(), dark: head.dark };
    let mut shapes = 0usize;
    // plotters' own root tag is replaced below, and its closing tag follows the labels.
    for line in raw.lines().skip_while(|l| !l.starts_with("<svg")).skip(1) {
        if line.starts_with("<rect") || line.starts_with("<circle") {
            let tip = shape_tips.get(shapes).copied().flatten();
            body.push_tag(line, "fill", tip);
            shapes += 1;
        } else if line.starts_with("<polyline") || line.starts_with("<line") || line.starts_with("<path") {
            body.push_tag(line, "stroke", None);
        } else if line != "</svg>" {
            body.out.push_str(line);
            body.out.push('\n');
        }
    }
    for label in labels {
        body.push_label(label);
    }
    body.out.push_str("</svg>\n");

    let Head { width, height, alt, desc, dark } = *head;
    let mut out = String::with_capacity(body.out.len() + 2048);
    let alt = escape(alt);
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{alt}\" class=\"chart\">"
    );
    let _ = writeln!(out, "<title>{alt}</title>");
    let _ = writeln!(out, "<desc>{}</desc>", escape(desc));
    if dark {
        palette::write_fixed_stylesheet(&mut out);
        let sheet = palette::Hex(palette::background(true));
        let _ = writeln!(
            out,
            "<rect class=\"nbc-bg\" x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"{sheet}\"/>"
        );
    } else {
        palette::write_stylesheet(&mut out, &body.extra);
    }
    out.push_str(&body.out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tidy(line: &str, paint_attr: &str, dark: bool) -> (String, Vec<Class>) {
        let mut body = Body { out: String::new(), extra: Vec::new(), dark };
        body.push_tag(line, paint_attr, None);
        (body.out, body.extra)
    }

    #[test]
    fn marks_are_classed_by_marker_colour_without_default_opacity() {
        let line = format!("<rect x=\"1\" y=\"2\" opacity=\"1\" fill=\"{}\" stroke=\"none\"/>", Role::Bar.light_hex());
        let (tidy, extra) = tidy(&line, "fill", false);
        assert_eq!(
            tidy,
            format!("<rect class=\"nbc-bar\" x=\"1\" y=\"2\" fill=\"{}\" stroke=\"none\"/>\n", Role::Bar.light_hex())
        );
        assert!(extra.is_empty(), "the band chart's roles are always in the stylesheet");
    }

    #[test]
    fn a_series_colour_drawn_as_a_line_gets_a_stroke_class() {
        let line = format!("<polyline fill=\"none\" stroke=\"{}\" points=\"1,2 3,4 \"/>", Role::Series(1).light_hex());
        let (tidy, extra) = tidy(&line, "stroke", false);
        assert!(tidy.starts_with("<polyline class=\"nbc-s1-line\" "), "{tidy}");
        assert_eq!(extra, vec![Class::of(Role::Series(1), "stroke")]);
    }

    #[test]
    fn dark_marks_get_the_dark_colour() {
        let line = format!("<line opacity=\"1\" stroke=\"{}\" stroke-width=\"1\"/>", Role::Grid.light_hex());
        let (tidy, _) = tidy(&line, "stroke", true);
        assert_eq!(
            tidy,
            format!("<line class=\"nbc-grid\" stroke=\"{}\" stroke-width=\"1\"/>\n", Role::Grid.dark_hex())
        );
    }

    #[test]
    fn unknown_colours_are_left_alone() {
        let line = "<polyline fill=\"none\" stroke=\"#123456\" points=\"1,2 3,4 \"/>";
        assert_eq!(tidy(line, "stroke", false), (format!("{line}\n"), Vec::new()));
    }

    #[test]
    fn a_shortened_label_carries_its_full_text_as_a_title() {
        let label = Label::new(Role::Category, "Machine lear…".into(), (10.4, 20.6), Anchor::End, Baseline::Middle)
            .shortened_from("Machine learning & data");
        let mut body = Body { out: String::new(), extra: Vec::new(), dark: false };
        body.push_label(&label);
        let expected = format!(
            "<text class=\"nbc-cat\" x=\"10\" y=\"21\" dy=\"0.35em\" text-anchor=\"end\" font-family=\"sans-serif\" font-size=\"13\" fill=\"{}\">\n<title>Machine learning &amp; data</title>\nMachine lear…\n</text>\n",
            Role::Category.light_hex()
        );
        assert_eq!(body.out, expected);
    }
}
