//! A laid-out chart as marks in px (rectangles, lines, dots, texts) and how plotters draws it.
//!
//! Bar, stacked bar and line charts lay themselves out into a [`Scene`]; one drawing routine
//! serves them all, and the SVG pass gives each rectangle and dot its tooltip in order.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::frame::Plot;
use super::label::Label;
use super::palette::{Look, Role};

/// A filled rectangle in px, with the tooltip it shows on hover.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub role: Role,
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
    pub tooltip: Option<String>,
}

/// A data line through px points.
#[derive(Debug, Clone, PartialEq)]
pub struct Stroke {
    pub role: Role,
    pub points: Vec<(f64, f64)>,
}

/// A point marker.
#[derive(Debug, Clone, PartialEq)]
pub struct Dot {
    pub role: Role,
    pub x: f64,
    pub y: f64,
    pub tooltip: String,
}

/// Everything needed to draw a chart of any kind but the band chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    pub width: u32,
    pub height: u32,
    pub plot: Plot,
    /// Gridlines, from one px point to another.
    pub grid: Vec<((f64, f64), (f64, f64))>,
    /// The axis line.
    pub axis: ((f64, f64), (f64, f64)),
    /// Bars and legend swatches, in drawing order.
    pub marks: Vec<Mark>,
    pub strokes: Vec<Stroke>,
    pub dots: Vec<Dot>,
    /// In drawing order.
    pub labels: Vec<Label>,
    /// The data in words, for the SVG's `<desc>`.
    pub desc: String,
}

impl Scene {
    /// Tooltips of rectangles, then dots: the order they are drawn in.
    pub fn shape_tips(&self) -> Vec<Option<&str>> {
        let marks = self.marks.iter().map(|m| m.tooltip.as_deref());
        marks.chain(self.dots.iter().map(|d| Some(d.tooltip.as_str()))).collect()
    }
}

const LINE_WIDTH: u32 = 2;
const DOT_RADIUS: u32 = 4;

/// Draws gridlines, bars, the axis line, data lines and dots; the caller draws the text.
pub fn draw_marks<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    scene: &Scene,
    look: Look,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let px = |(x, y): (f64, f64)| (look.px(x), look.px(y));
    let thin = look.thickness(1);
    let grid = look.colour(Role::Grid).stroke_width(thin);
    for &(from, to) in &scene.grid {
        root.draw(&PathElement::new(vec![px(from), px(to)], grid))?;
    }
    for mark in &scene.marks {
        let corners = [px((mark.x0, mark.y0)), px((mark.x1, mark.y1))];
        root.draw(&Rectangle::new(corners, look.colour(mark.role).filled()))?;
    }
    let (from, to) = scene.axis;
    root.draw(&PathElement::new(vec![px(from), px(to)], look.colour(Role::Axis).stroke_width(thin)))?;
    for stroke in &scene.strokes {
        let points: Vec<(i32, i32)> = stroke.points.iter().copied().map(px).collect();
        let style = look.colour(stroke.role).stroke_width(look.thickness(LINE_WIDTH));
        root.draw(&PathElement::new(points, style))?;
    }
    for dot in &scene.dots {
        let style = look.colour(dot.role).filled();
        root.draw(&Circle::new(px((dot.x, dot.y)), look.thickness(DOT_RADIUS), style))?;
    }
    Ok(())
}

/// Test helpers shared by the kinds' layout tests: the guarantees every scene keeps.
#[cfg(test)]
pub mod check {
    use super::*;
    use crate::chart::{ChartError, ChartSpec};

    pub type Boxed = (f64, f64, f64, f64);

    pub fn overlaps(a: Boxed, b: Boxed) -> bool {
        // Half a pixel of tolerance for rounding of anchors.
        a.0 < b.2 - 0.5 && b.0 < a.2 - 0.5 && a.1 < b.3 - 0.5 && b.1 < a.3 - 0.5
    }

    /// Every text inside the view box and apart from every other text; every mark inside.
    /// Texts may only sit on a mark when they are `Inside` labels inside it.
    /// Lays out every spec of `sets` at every format, at phone to desktop widths and at each
    /// of `heights`, and checks that each layout is clean or refused for want of room.
    pub fn sweep(
        sets: &[ChartSpec],
        heights: &[Option<u32>],
        y_title: Option<&str>,
        lay: impl Fn(&ChartSpec) -> Result<Scene, ChartError>,
    ) {
        for base in sets {
            for format in
                [crate::chart::AxisFormat::MoneyK, crate::chart::AxisFormat::Pct, crate::chart::AxisFormat::Num]
            {
                for width in [320, 390, 720, 1280] {
                    for &height in heights {
                        let s = ChartSpec {
                            format,
                            width: Some(width),
                            height,
                            y_title: y_title.map(str::to_string).or_else(|| base.y_title.clone()),
                            ..base.clone()
                        };
                        match lay(&s) {
                            Ok(scene) => assert_clean(&scene),
                            Err(e) => assert!(e.message.contains(" px "), "{e}"),
                        }
                    }
                }
            }
        }
    }

    /// The texts of the labels with `role`, in order.
    pub fn texts(scene: &Scene, role: Role) -> Vec<&str> {
        scene.labels.iter().filter(|l| l.role == role).map(|l| l.text.as_str()).collect()
    }

    pub fn assert_clean(scene: &Scene) {
        let (w, h) = (f64::from(scene.width), f64::from(scene.height));
        let marks: Vec<Boxed> = scene.marks.iter().map(|m| (m.x0, m.y0, m.x1, m.y1)).collect();
        for (i, label) in scene.labels.iter().enumerate() {
            let e = label.extent();
            assert!(e.0 >= 0.0 && e.2 <= w && e.1 >= 0.0 && e.3 <= h, "{label:?} {e:?} outside {w}x{h}");
            for other in scene.labels.iter().skip(i + 1) {
                assert!(!overlaps(e, other.extent()), "{label:?} overlaps {other:?}");
            }
            for mark in &marks {
                if label.role == Role::Inside {
                    let inside = e.0 >= mark.0 && e.2 <= mark.2;
                    assert!(inside || !overlaps(e, *mark), "{label:?} straddles {mark:?}");
                } else {
                    assert!(!overlaps(e, *mark), "{label:?} overlaps mark {mark:?}");
                }
            }
        }
        for m in &marks {
            assert!(m.0 >= 0.0 && m.2 <= w && m.1 >= 0.0 && m.3 <= h && m.0 <= m.2 && m.1 <= m.3, "{m:?}");
        }
        for dot in &scene.dots {
            assert!(dot.x >= scene.plot.left && dot.x <= scene.plot.right, "{dot:?}");
            assert!(dot.y >= scene.plot.top - 0.5 && dot.y <= scene.plot.bottom + 0.5, "{dot:?}");
        }
    }
}
