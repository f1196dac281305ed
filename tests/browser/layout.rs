//! In a real browser: rendered pages as a reader sees them, in headless Chromium (Debian's
//! `chromium` package; nothing from npm or pip).
//!
//! - The shipped MLOps page on a desktop (1280 px) and on a phone (390 px), in light mode, and on
//!   a desktop in dark mode (`prefers-color-scheme: dark`).
//! - The feature-tour fixture page, which draws every chart kind (band, grouped bar, stacked bar,
//!   line), on a phone (390 px, the narrow drawing), a tablet (768 px) and a desktop (1280 px, both
//!   the wide drawing), in light mode, and on a desktop in dark mode. It must show each kind, told
//!   apart by the shapes the chart draws, not by its caption.
//!
//! On each, every figure shows exactly the drawing meant for that width; no two labels (`<text>`)
//! of a chart overlap, judged by their on-screen bounding boxes, and none leaves its SVG's box;
//! the page does not scroll sideways.
//!
//! Beyond layout, every label of every visible chart must stand out from what is behind it:
//! a WCAG contrast ratio of at least 4.5:1 (3:1 for large text) between the label's computed
//! fill and the first opaque background found walking up from the SVG. In dark mode this
//! catches a theme that puts charts on a light card while their embedded style switches the
//! labels to light colours.
//!
//! For each run the test writes a wrapper page next to the rendered site: an `<iframe>` of that
//! width holding the page, and `tests/browser/check.js`, which measures the page once it
//! has loaded and writes its findings as JSON into `<pre id="result">`. Chromium runs with
//! `--allow-file-access-from-files` (so the wrapper may read the iframe's document) and
//! `--dump-dom`; the JSON is read back from the dumped DOM and judged here. Dark mode is Chromium's
//! `--blink-settings=preferredColorScheme=0`; the check script confirms it reached the page in
//! the iframe. Chromium also takes a screenshot of the MLOps page at both widths in light mode.
//! Every Chromium run has a deadline and is killed when it passes it, and at most
//! [`MAX_CHROMIUMS`] run at a time across the tests of this file (which run side by side), and
//! across test processes.

#![cfg(unix)]

use crate::common;

use common::{CHROMIUM_FLAGS as FLAGS, Project, chromium};
use serde::Deserialize;
use std::fmt::Write as _;
use std::fs::TryLockError;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHECK_JS: &str = include_str!("check.js");
/// How long one Chromium run may take before it is killed: a run takes a second or two, but
/// on two cores shared with a build (or another test binary) a starved one took over 20 s.
const DEADLINE: Duration = Duration::from_secs(60);
/// How many Chromium processes may run at once, over all the tests here (and any other process
/// running them): the machines this runs on have a couple of cores, and a starved Chromium misses
/// its deadline.
const MAX_CHROMIUMS: usize = 3;
/// How long one Chromium run may wait for its turn before the test gives up on it.
const SLOT_WAIT: Duration = Duration::from_secs(240);
/// Slack, in CSS pixels, for every geometric comparison.
const TOL: f64 = 1.0;

/// WCAG 2 minimum contrast for chart labels (level AA): normal text, and large text.
const MIN_CONTRAST: f64 = 4.5;
const MIN_CONTRAST_LARGE: f64 = 3.0;

struct Viewport {
    width: u32,
    height: u32,
    /// The chart variant a reader should see at this width: "wide" or "narrow".
    chart: &'static str,
    /// Whether the browser asks pages for their dark colour scheme.
    dark: bool,
}

impl Viewport {
    /// Names this run in file names: `1280-light`.
    fn tag(&self) -> String {
        format!("{}-{}", self.width, self.scheme())
    }

    fn scheme(&self) -> &'static str {
        if self.dark { "dark" } else { "light" }
    }

    /// Chromium flags for this run's colour scheme.
    fn scheme_flags(&self) -> Vec<String> {
        // 0 is Blink's `PreferredColorScheme::kDark`.
        if self.dark { vec!["--blink-settings=preferredColorScheme=0".to_string()] } else { Vec::new() }
    }
}

/// The kinds of chart the chart module draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `band_chart`: one single-colour bar (`nbc-bar`) per category, from low to high.
    Band,
    /// `bar_chart` with `by`: bars of several series (`nbc-s0`, `nbc-s1`, ...) side by side.
    Grouped,
    /// `stacked_bar_chart`: segments of several series end to end in one bar per category.
    Stacked,
    /// `line_chart`: a polyline per series (`nbc-s0-line`, ...) through its points.
    Line,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Band, Kind::Grouped, Kind::Stacked, Kind::Line];
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Band => "band chart",
            Kind::Grouped => "grouped bar chart",
            Kind::Stacked => "stacked bar chart",
            Kind::Line => "line chart",
        })
    }
}

/// One page to look at in Chromium, and at which sizes.
struct Case {
    /// Names the page in messages and file names.
    name: &'static str,
    /// The notebooks folder the site is rendered from, relative to the crate.
    fixture: &'static str,
    /// The page under test, relative to the output folder.
    page: &'static str,
    /// The prompt the page shows above its article.
    prompt: &'static str,
    viewports: &'static [Viewport],
    /// Whether to take full-page screenshots at the light viewports.
    shots: bool,
    /// Figures the page must have, by id, and the kind of chart each must draw.
    kinds: &'static [(&'static str, Kind)],
}

impl Case {
    /// The runs that take a screenshot: the light ones, if any (a dark one would add another
    /// Chromium to the same couple of cores, and the top of the page it would show holds no chart).
    fn shot_viewports(&self) -> impl Iterator<Item = &'static Viewport> {
        let shots = self.shots;
        self.viewports.iter().filter(move |vp| shots && !vp.dark)
    }
}

const MLOPS: Case = Case {
    name: "mlops",
    fixture: "notebooks",
    page: "mlops-engineer/index.html",
    prompt: "In [28]:",
    viewports: &[
        Viewport { width: 1280, height: 900, chart: "wide", dark: false },
        Viewport { width: 390, height: 844, chart: "narrow", dark: false },
        Viewport { width: 1280, height: 900, chart: "wide", dark: true },
    ],
    shots: true,
    kinds: &[],
};

const FEATURES: Case = Case {
    name: "features",
    fixture: "tests/fixtures/pages/features",
    page: "features/index.html",
    prompt: "In [1]:",
    viewports: &[
        Viewport { width: 390, height: 844, chart: "narrow", dark: false },
        Viewport { width: 768, height: 1024, chart: "wide", dark: false },
        Viewport { width: 1280, height: 900, chart: "wide", dark: false },
        Viewport { width: 1280, height: 900, chart: "wide", dark: true },
    ],
    shots: false,
    kinds: &[
        ("fig-bands", Kind::Band),
        ("fig-bars", Kind::Grouped),
        ("fig-mix", Kind::Stacked),
        ("fig-levels", Kind::Line),
    ],
};

/// Height of the full-page screenshots.
const SHOT_HEIGHT: u32 = 2000;

#[test]
fn mlops_page_reads_well_in_chromium_at_desktop_and_phone_widths() {
    check_page(&MLOPS);
}

#[test]
fn every_chart_kind_lays_out_its_labels_in_chromium_at_phone_tablet_and_desktop_widths() {
    let missing: Vec<_> = Kind::ALL.iter().filter(|k| !FEATURES.kinds.iter().any(|(_, kind)| kind == *k)).collect();
    assert!(missing.is_empty(), "the features case expects no figure drawing a {missing:?}");
    check_page(&FEATURES);
}

/// Renders the case's site, looks at its page in Chromium at every viewport, and panics with
/// everything found wrong.
fn check_page(case: &Case) {
    let chromium = chromium();
    let p = Project::with_notebooks(case.fixture);
    let run = p.run(&["notebooks/", "-o", "out", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(p.exists(&format!("out/{}", case.page)), "no out/{}", case.page);

    for vp in case.viewports {
        p.write(&format!("out/_check-{}.html", vp.tag()), &wrapper(vp, case.page));
    }

    // The Chromium runs are independent: run them side by side (as many at once as
    // `MAX_CHROMIUMS` allows).
    let (checks, shots) = std::thread::scope(|s| {
        let checks: Vec<_> = case
            .viewports
            .iter()
            .map(|vp| {
                let (chromium, p) = (&chromium, &p);
                s.spawn(move || {
                    let page = p.path(&format!("out/_check-{}.html", vp.tag()));
                    let mut args = vp.scheme_flags();
                    args.extend([
                        "--allow-file-access-from-files".to_string(),
                        "--virtual-time-budget=5000".to_string(),
                        format!("--window-size={},{}", vp.width, vp.height),
                        "--dump-dom".to_string(),
                        file_url(&page),
                    ]);
                    chrome(chromium, &p.path(&format!("run-check-{}", vp.tag())), &args)
                })
            })
            .collect();
        let shots: Vec<_> = case
            .shot_viewports()
            .map(|vp| {
                let (chromium, p) = (&chromium, &p);
                s.spawn(move || {
                    let png = p.path(&format!("shots/{}-{}.png", case.name, vp.tag()));
                    let dir = p.path("shots");
                    std::fs::create_dir_all(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
                    let mut args = vp.scheme_flags();
                    args.extend([
                        format!("--screenshot={}", png.display()),
                        format!("--window-size={},{SHOT_HEIGHT}", vp.width),
                        file_url(&p.path(&format!("out/{}", case.page))),
                    ]);
                    chrome(chromium, &p.path(&format!("run-shot-{}", vp.tag())), &args).map(|_| png)
                })
            })
            .collect();
        (joined(checks), joined(shots))
    });

    let mut problems = String::new();
    for (vp, dom) in case.viewports.iter().zip(checks) {
        let found = dom.and_then(|dom| report(&dom)).map_or_else(
            |e| vec![e],
            |r| {
                // For the record (shown with `--nocapture`): how close the charts come to the limits.
                let at = format!("{} at {} px ({})", case.name, vp.width, vp.scheme());
                if let Some(gap) = tightest_gap(&r) {
                    println!("{at}: tightest gap between chart labels {gap}");
                }
                if let Some(margin) = tightest_margin(&r) {
                    println!("{at}: chart label closest to its SVG's edge {margin}");
                }
                if let Some(low) = lowest_contrast(&r) {
                    println!("{at}: lowest chart label contrast {low}");
                }
                let mut found = judge(case, vp, &r);
                found.extend(kind_problems(case, &r));
                found
            },
        );
        for problem in found {
            let _ = writeln!(problems, "  at {} px ({}): {problem}", vp.width, vp.scheme());
        }
    }
    for (vp, png) in case.shot_viewports().zip(shots) {
        if let Err(problem) = png.and_then(|png| check_png(&png, vp.width)) {
            let _ = writeln!(problems, "  screenshot at {} px ({}): {problem}", vp.width, vp.scheme());
        }
    }
    if !problems.is_empty() {
        // Keep the rendered site, the wrappers and the screenshots for a look.
        let kept = p.dir.keep();
        panic!(
            "the {} page ({}) fails in Chromium:\n{problems}(site, wrappers and screenshots kept in {})",
            case.name,
            case.page,
            kept.display()
        );
    }
}

fn joined<T>(handles: Vec<std::thread::ScopedJoinHandle<'_, T>>) -> Vec<T> {
    handles.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
}

/// The right to run one Chromium, held until dropped: an exclusive lock on one of
/// [`MAX_CHROMIUMS`] lock files in the temporary folder. Being a file lock, it bounds the Chromium
/// runs of every test process on the machine, not only those of this one (two `cargo test` runs
/// at once would otherwise start twice as many on the same couple of cores).
struct Slot(#[allow(dead_code, reason = "held for its lock, released when dropped")] std::fs::File);

impl Slot {
    /// Waits until one of the lock files is free, but no longer than [`SLOT_WAIT`]: every run
    /// holding a slot ends by its deadline, and a process that dies releases its lock.
    fn take() -> Result<Slot, String> {
        let started = Instant::now();
        loop {
            for i in 0..MAX_CHROMIUMS {
                let path = std::env::temp_dir().join(format!("nbrender-browser-test-chromium-{i}.lock"));
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .write(true)
                    .truncate(false)
                    .open(&path)
                    .map_err(|e| format!("open {}: {e}", path.display()))?;
                match file.try_lock() {
                    Ok(()) => return Ok(Slot(file)),
                    Err(TryLockError::WouldBlock) => {}
                    Err(TryLockError::Error(e)) => return Err(format!("lock {}: {e}", path.display())),
                }
            }
            if started.elapsed() > SLOT_WAIT {
                return Err(format!(
                    "waited {SLOT_WAIT:?} for one of the {MAX_CHROMIUMS} Chromium slots \
                     ({}/nbrender-browser-test-chromium-*.lock): other runs keep them all",
                    std::env::temp_dir().display()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Runs Chromium with `args` and a fresh profile under `dir`, and returns what it printed on
/// stdout. Waits for a [`Slot`] first; kills its whole process group if it outlives [`DEADLINE`].
fn chrome(chromium: &Path, dir: &Path, args: &[String]) -> Result<String, String> {
    let _slot = Slot::take()?;
    let profile = dir.join("profile");
    std::fs::create_dir_all(&profile).map_err(|e| format!("mkdir {}: {e}", profile.display()))?;
    let (stdout, stderr) = (dir.join("stdout.txt"), dir.join("stderr.txt"));
    let create = |path: &Path| std::fs::File::create(path).map_err(|e| format!("create {}: {e}", path.display()));
    let mut child = Command::new(chromium)
        .args(FLAGS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(create(&stdout)?)
        .stderr(create(&stderr)?)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", chromium.display()))?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if started.elapsed() < DEADLINE => std::thread::sleep(Duration::from_millis(25)),
            Ok(None) => break Err(format!("chromium still running after {DEADLINE:?}; killed it")),
            Err(e) => break Err(format!("waiting for chromium: {e}")),
        }
    };
    // The browser's helpers share its process group: end them all, and the browser too if it hung.
    // (The shell's `kill` takes a negative process group id; no procps needed.)
    let _ = Command::new("sh").arg("-c").arg(format!("kill -9 -{} 2>/dev/null", child.id())).status();
    let _ = child.kill();
    let _ = child.wait();
    let tail = || {
        let text = std::fs::read_to_string(&stderr).unwrap_or_default();
        let lines: Vec<_> = text.lines().collect();
        lines[lines.len().saturating_sub(12)..].join("\n")
    };
    match status {
        Ok(status) if status.success() => {
            std::fs::read_to_string(&stdout).map_err(|e| format!("read chromium's stdout: {e}"))
        }
        Ok(status) => Err(format!("chromium {args:?} failed ({status}); its stderr ends:\n{}", tail())),
        Err(e) => Err(format!("{e} ({args:?}); its stderr ends:\n{}", tail())),
    }
}

/// The wrapper page for one width: the page (relative to the output folder) in an iframe of
/// that size, and the check script.
fn wrapper(vp: &Viewport, page: &str) -> String {
    let (w, h) = (vp.width, vp.height);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>browser check at {w} px</title>\n\
         <style>html, body {{ margin: 0; overflow: hidden; }} \
         iframe {{ position: absolute; top: 0; left: 0; width: {w}px; height: {h}px; border: 0; }} \
         #result {{ display: none; }}</style>\n</head>\n<body>\n\
         <iframe id=\"page\" src=\"{page}\"></iframe>\n<pre id=\"result\">pending</pre>\n\
         <script>\n{CHECK_JS}</script>\n</body>\n</html>\n"
    )
}

/// A `file://` URL for an absolute path.
fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(b) {
            url.push(char::from(*b));
        } else {
            let _ = write!(url, "%{b:02X}");
        }
    }
    url
}

#[derive(Debug, Deserialize, Clone, Copy)]
struct Rect {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
}

impl std::fmt::Display for Rect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "x {:.1}..{:.1}, y {:.1}..{:.1}", self.left, self.right, self.top, self.bottom)
    }
}

#[derive(Debug, Deserialize)]
struct Element {
    desc: String,
    text: String,
    visible: bool,
    rect: Rect,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Chart {
    variant: String,
    visible: bool,
    display: String,
    wrapper_display: String,
    rect: Rect,
    view_box: Option<Rect>,
    /// What shows through behind the SVG (measured for visible charts only).
    background: Option<Background>,
    texts: Vec<Text>,
    /// The shapes drawn, other than grid and axis lines (for visible charts only).
    marks: Vec<Mark>,
}

#[derive(Debug, Deserialize)]
struct Mark {
    /// `rect`, `circle`, `polyline` or `path`.
    tag: String,
    /// Its `nbc-` class: `nbc-bar`, `nbc-s0`, `nbc-s0-line`, ...
    class: String,
    /// Its `<title>`: data marks have one, legend swatches none.
    tip: String,
    /// `getBBox()`, in the SVG's user units.
    bbox: Rect,
}

#[derive(Debug, Deserialize)]
struct Background {
    /// The opaque colour behind the SVG, 0-255 per channel.
    rgb: [f64; 3],
    /// Where it comes from: the elements whose backgrounds make it up, top first.
    from: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Text {
    /// What it shows (without its `<title>`).
    content: String,
    /// Its `nbc-` class: `nbc-tick`, `nbc-val`, ...
    class: String,
    /// On screen, CSS pixels.
    rect: Rect,
    /// `getBBox()`, in the SVG's user units (its viewBox).
    bbox: Rect,
    /// The computed `fill`, as the browser serialises it.
    fill: String,
    /// The same as RGBA (0-255, alpha 0-1); none when the fill is not a plain colour.
    fill_rgba: Option<[f64; 4]>,
    /// `fill-opacity` times the `opacity` of the text and its ancestors inside the SVG.
    opacity: f64,
    /// On screen, CSS pixels.
    font_size: f64,
    font_weight: f64,
}

#[derive(Debug, Deserialize)]
struct Figure {
    id: String,
    charts: Vec<Chart>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    url: String,
    inner_width: f64,
    inner_height: f64,
    client_width: f64,
    scroll_width: f64,
    narrow_media: bool,
    dark_media: bool,
    title: Option<Element>,
    prompts: Vec<Element>,
    figures: Vec<Figure>,
    overflow: Vec<Element>,
}

/// The check script's findings, from the DOM Chromium dumped.
fn report(dom: &str) -> Result<Report, String> {
    const OPEN: &str = "<pre id=\"result\">";
    let start = dom.find(OPEN).ok_or_else(|| format!("no <pre id=\"result\"> in the dumped DOM:\n{dom}"))? + OPEN.len();
    let len = dom[start..].find("</pre>").ok_or("<pre id=\"result\"> is not closed in the dumped DOM")?;
    let json = &dom[start..start + len];
    if json == "pending" {
        return Err("the check script never reported: the page in the iframe did not load in time".into());
    }
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("the check script wrote bad JSON ({e}): {json}"))?;
    if let Some(error) = value.get("error") {
        return Err(format!("the check script failed: {error}"));
    }
    serde_json::from_value(value).map_err(|e| format!("unexpected report shape ({e}): {json}"))
}

/// Everything wrong with the page at one width, as messages.
fn judge(case: &Case, vp: &Viewport, r: &Report) -> Vec<String> {
    let mut problems = Vec::new();
    let width = f64::from(vp.width);
    if r.inner_width != width || r.inner_height != f64::from(vp.height) {
        problems.push(format!(
            "the iframe showing {} is {}x{} px, not {}x{}",
            r.url, r.inner_width, r.inner_height, vp.width, vp.height
        ));
    }
    if r.narrow_media != (vp.chart == "narrow") {
        problems.push(format!("(max-width: 40rem) matches: {}", r.narrow_media));
    }
    if r.dark_media != vp.dark {
        problems.push(format!(
            "(prefers-color-scheme: dark) matches: {} in the iframe's window, but this run is for the {} scheme{}",
            r.dark_media,
            vp.scheme(),
            if vp.dark { " (did --blink-settings=preferredColorScheme=0 not apply?)" } else { "" }
        ));
    }

    // Horizontal overflow: anything wider than the screen must scroll inside its own box.
    if r.scroll_width > r.inner_width + TOL || r.scroll_width > r.client_width + TOL {
        let culprits: Vec<_> =
            r.overflow.iter().map(|e| format!("{} ({}) {:?}", e.desc, e.rect, clip(&e.text))).collect();
        problems.push(format!(
            "the page scrolls sideways: scrollWidth {} > window width {} (client width {}); sticking out: {}",
            r.scroll_width,
            r.inner_width,
            r.client_width,
            if culprits.is_empty() { "nothing found".to_string() } else { culprits.join("; ") }
        ));
    }

    // The title and the page prompt, on the first screen.
    let unseen = |e: &Element| {
        if !e.visible {
            Some(format!("is hidden ({})", e.rect))
        } else if e.rect.left < -TOL || e.rect.right > r.inner_width + TOL || e.rect.top >= r.inner_height {
            Some(format!("is off the first {}x{} screen ({})", r.inner_width, r.inner_height, e.rect))
        } else {
            None
        }
    };
    match &r.title {
        None => problems.push("the page has no <h1>".into()),
        Some(t) if t.text.is_empty() => problems.push(format!("the title {} is empty", t.desc)),
        Some(t) => {
            if let Some(why) = unseen(t) {
                problems.push(format!("the title {} {:?} {why}", t.desc, t.text));
            }
        }
    }
    let prompt = case.prompt;
    match r.prompts.iter().find(|p| p.text == prompt) {
        None => problems.push(format!("no prompt reads {prompt:?} (prompts: {:?})", texts(&r.prompts))),
        Some(p) => {
            if let Some(why) = unseen(p) {
                problems.push(format!("the {prompt:?} prompt {} {why}", p.desc));
            }
        }
    }

    // Charts: exactly one drawing per figure, the right one, whole, with legible labels.
    if r.figures.is_empty() {
        problems.push("the page has no figure.nb-figure".into());
    }
    for fig in &r.figures {
        let shown: Vec<_> = fig.charts.iter().filter(|c| c.visible).collect();
        let states: Vec<_> = fig
            .charts
            .iter()
            .map(|c| format!("{}: display {} in {}, {}", c.variant, c.display, c.wrapper_display, c.rect))
            .collect();
        let [chart] = shown.as_slice() else {
            problems.push(format!(
                "figure #{} shows {} charts, not exactly one ({})",
                fig.id,
                shown.len(),
                states.join("; ")
            ));
            continue;
        };
        if chart.variant != vp.chart {
            problems.push(format!("figure #{} shows its {} chart, not its {} one", fig.id, chart.variant, vp.chart));
        }
        let svg = chart.rect;
        if svg.left < -TOL || svg.right > r.inner_width + TOL {
            problems
                .push(format!("figure #{}: the chart ({svg}) does not fit the {} px window", fig.id, r.inner_width));
        }
        let vb = chart.view_box.map_or_else(String::new, |vb| format!(", viewBox {vb}"));
        let texts: Vec<_> = chart.texts.iter().filter(|t| !t.content.is_empty()).collect();
        for t in &texts {
            let m = margin(t.rect, svg);
            if m < -TOL {
                problems.push(format!(
                    "figure #{} ({} chart): text.{} {:?} ({}; bbox {}) leaves the SVG ({svg}{vb}) by {:.1} px",
                    fig.id, chart.variant, t.class, t.content, t.rect, t.bbox, -m
                ));
            }
        }
        for (i, a) in texts.iter().enumerate() {
            for b in &texts[i + 1..] {
                let dx = a.rect.right.min(b.rect.right) - a.rect.left.max(b.rect.left);
                let dy = a.rect.bottom.min(b.rect.bottom) - a.rect.top.max(b.rect.top);
                if gap(a.rect, b.rect) < -TOL {
                    problems.push(format!(
                        "figure #{} ({} chart): text.{} {:?} ({}; bbox {}) and text.{} {:?} ({}; bbox {}) overlap by {dx:.1}x{dy:.1} px",
                        fig.id, chart.variant, a.class, a.content, a.rect, a.bbox, b.class, b.content, b.rect, b.bbox
                    ));
                }
            }
        }
        problems.extend(contrast_problems(fig, chart));
    }
    problems
}

/// How far apart two boxes are: the larger of their horizontal and vertical gaps. Negative when
/// they overlap: minus the smaller of the two overlaps (so two labels overlap, beyond the slack,
/// when this is below `-TOL`).
fn gap(a: Rect, b: Rect) -> f64 {
    let dx = a.left.max(b.left) - a.right.min(b.right);
    let dy = a.top.max(b.top) - a.bottom.min(b.bottom);
    dx.max(dy)
}

/// How far a box stays inside another: its smallest distance to an edge, negative when it sticks out.
fn margin(inner: Rect, outer: Rect) -> f64 {
    (inner.left - outer.left).min(outer.right - inner.right).min(inner.top - outer.top).min(outer.bottom - inner.bottom)
}

/// The visible charts, with their figures, and their non-empty labels.
fn shown_charts(r: &Report) -> impl Iterator<Item = (&Figure, &Chart, Vec<&Text>)> {
    r.figures.iter().flat_map(|f| {
        f.charts
            .iter()
            .filter(|c| c.visible)
            .map(move |c| (f, c, c.texts.iter().filter(|t| !t.content.is_empty()).collect()))
    })
}

/// The two labels of one chart that come closest to each other, for the record.
fn tightest_gap(r: &Report) -> Option<String> {
    let pairs = shown_charts(r).flat_map(|(f, c, texts)| {
        let pairs: Vec<_> =
            texts.iter().enumerate().flat_map(|(i, a)| texts[i + 1..].iter().map(move |b| (*a, *b))).collect();
        pairs.into_iter().map(move |(a, b)| (f, c, a, b, gap(a.rect, b.rect)))
    });
    let (f, c, a, b, g) = pairs.min_by(|x, y| x.4.total_cmp(&y.4))?;
    Some(format!(
        "{g:.1} px: text.{} {:?} ({}) and text.{} {:?} ({}) (figure #{}, {} chart)",
        a.class, a.content, a.rect, b.class, b.content, b.rect, f.id, c.variant
    ))
}

/// The label that comes closest to the edge of its chart's SVG, for the record.
fn tightest_margin(r: &Report) -> Option<String> {
    let all =
        shown_charts(r).flat_map(|(f, c, texts)| texts.into_iter().map(move |t| (f, c, t, margin(t.rect, c.rect))));
    let (f, c, t, m) = all.min_by(|x, y| x.3.total_cmp(&y.3))?;
    Some(format!(
        "{m:.1} px: text.{} {:?} ({}) in the SVG ({}) (figure #{}, {} chart)",
        t.class, t.content, t.rect, c.rect, f.id, c.variant
    ))
}

/// The series a mark belongs to, from its class: `nbc-s2` and `nbc-s2-line` are series 2.
fn series(mark: &Mark) -> Option<&str> {
    let n = mark.class.strip_prefix("nbc-s")?;
    let n = n.strip_suffix("-line").unwrap_or(n);
    (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some(n)
}

/// The kind of chart from the shapes it draws, or why it cannot be told. Only data marks count
/// (those with a tooltip), not legend swatches:
/// - a line chart draws a `nbc-sN-line` polyline per series through its data points;
/// - a band chart draws its bars in the single `nbc-bar` colour;
/// - a stacked bar chart draws segments of two or more series end to end in the same row;
/// - a grouped bar chart draws bars of two or more series, never two series in the same row.
fn kind_of(chart: &Chart) -> Result<Kind, String> {
    let data: Vec<_> = chart.marks.iter().filter(|m| !m.tip.is_empty()).collect();
    let lines = chart.marks.iter().filter(|m| m.tag == "polyline" && m.class.ends_with("-line") && series(m).is_some());
    let points = data.iter().filter(|m| m.tag == "circle" && series(m).is_some()).count();
    let bars: Vec<_> = data.iter().filter(|m| m.tag == "rect").collect();
    let mut kinds: Vec<String> = chart.marks.iter().map(|m| format!("{}.{}", m.tag, m.class)).collect();
    kinds.sort();
    kinds.dedup();
    let drawn = || format!("{} data marks among {}", data.len(), kinds.join(", "));
    if lines.count() > 0 {
        return if points > 0 && bars.is_empty() {
            Ok(Kind::Line)
        } else {
            Err(format!("series lines with {points} points and {} bars: {}", bars.len(), drawn()))
        };
    }
    if !bars.is_empty() && bars.iter().all(|m| m.class == "nbc-bar") {
        return Ok(Kind::Band);
    }
    let in_series: Vec<_> = bars.iter().filter_map(|m| series(m).map(|s| (s, m.bbox))).collect();
    let mut names: Vec<_> = in_series.iter().map(|(s, _)| *s).collect();
    names.sort_unstable();
    names.dedup();
    if in_series.len() != bars.len() || names.len() < 2 {
        return Err(format!("bars of {} series: {}", names.len(), drawn()));
    }
    let pairs: Vec<_> = in_series
        .iter()
        .enumerate()
        .flat_map(|(i, a)| in_series[i + 1..].iter().filter(move |b| b.0 != a.0).map(move |b| (a.1, b.1)))
        .collect();
    let same_row = |a: Rect, b: Rect| a.bottom.min(b.bottom) - a.top.max(b.top) > 0.5;
    let end_to_end = |a: Rect, b: Rect| (a.right - b.left).abs() <= 0.5 || (b.right - a.left).abs() <= 0.5;
    if pairs.iter().any(|&(a, b)| same_row(a, b) && end_to_end(a, b)) {
        Ok(Kind::Stacked)
    } else if pairs.iter().all(|&(a, b)| !same_row(a, b)) {
        Ok(Kind::Grouped)
    } else {
        Err(format!("bars of different series share a row without meeting end to end: {}", drawn()))
    }
}

/// The figures the case expects, each with the one visible chart drawing its kind.
fn kind_problems(case: &Case, r: &Report) -> Vec<String> {
    let mut problems = Vec::new();
    for &(id, kind) in case.kinds {
        let ids: Vec<_> = r.figures.iter().map(|f| f.id.as_str()).collect();
        let Some(fig) = r.figures.iter().find(|f| f.id == id) else {
            problems.push(format!("no figure #{id} (for a {kind}); figures: {ids:?}"));
            continue;
        };
        // A figure showing no chart or several is reported by `judge`.
        for chart in fig.charts.iter().filter(|c| c.visible) {
            match kind_of(chart) {
                Ok(found) if found == kind => {}
                Ok(found) => {
                    problems.push(format!("figure #{id} ({} chart) draws a {found}, not a {kind}", chart.variant));
                }
                Err(why) => problems.push(format!(
                    "figure #{id} ({} chart) should draw a {kind}, but its kind cannot be told: {why}",
                    chart.variant
                )),
            }
        }
    }
    problems
}

/// One chart label's contrast against what is behind its chart.
struct Contrast<'a> {
    text: &'a Text,
    /// The label's colour as drawn (its fill, with its opacity, over the background).
    drawn: [f64; 3],
    background: &'a Background,
    ratio: f64,
    /// The ratio WCAG asks for at this label's size and weight.
    needed: f64,
}

impl std::fmt::Display for Contrast<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = self.text;
        write!(f, "{:.2}:1 for text {:?}: fill {}", self.ratio, t.content, t.fill)?;
        if t.opacity < 1.0 || t.fill_rgba.is_some_and(|c| c[3] < 1.0) {
            write!(f, " at opacity {}, drawn as {}", t.opacity, hex(self.drawn))?;
        }
        write!(
            f,
            " on {} ({}); {}px, weight {}",
            hex(self.background.rgb),
            self.background.from,
            t.font_size,
            t.font_weight
        )
    }
}

/// The contrast of every non-empty label of a visible chart, or why it cannot be measured.
fn contrasts(chart: &Chart) -> Vec<Result<Contrast<'_>, String>> {
    let texts = chart.texts.iter().filter(|t| !t.content.is_empty());
    let Some(background) = &chart.background else {
        return texts.map(|t| Err(format!("no background measured behind text {:?}", t.content))).collect();
    };
    texts
        .map(|text| {
            let Some([r, g, b, a]) = text.fill_rgba else {
                return Err(format!("text {:?} has fill {:?}, not a plain colour", text.content, text.fill));
            };
            let alpha = (a * text.opacity).clamp(0.0, 1.0);
            let drawn = [0, 1, 2].map(|i| [r, g, b][i] * alpha + background.rgb[i] * (1.0 - alpha));
            let large = text.font_size >= 24.0 || (text.font_size >= 18.66 && text.font_weight >= 700.0);
            let needed = if large { MIN_CONTRAST_LARGE } else { MIN_CONTRAST };
            Ok(Contrast { text, drawn, background, ratio: contrast_ratio(drawn, background.rgb), needed })
        })
        .collect()
}

/// Chart labels that do not stand out enough from the background behind their chart: the
/// worst few of each chart, then how many more.
fn contrast_problems(fig: &Figure, chart: &Chart) -> Vec<String> {
    const SHOWN: usize = 6;
    let name = format!("figure #{} ({} chart)", fig.id, chart.variant);
    let mut problems = Vec::new();
    let mut low = Vec::new();
    for c in contrasts(chart) {
        match c {
            Err(why) => problems.push(format!("{name}: {why}")),
            Ok(c) if c.ratio < c.needed => low.push(c),
            Ok(_) => {}
        }
    }
    low.sort_by(|a, b| a.ratio.total_cmp(&b.ratio));
    for c in low.iter().take(SHOWN) {
        problems.push(format!("{name}: contrast {c}, below the {}:1 WCAG asks for", c.needed));
    }
    if low.len() > SHOWN {
        problems.push(format!(
            "{name}: {} more labels below their contrast limit (between {:.2}:1 and {:.2}:1)",
            low.len() - SHOWN,
            low[SHOWN].ratio,
            low[low.len() - 1].ratio
        ));
    }
    problems
}

/// The least contrasting label among the visible charts, for the record.
fn lowest_contrast(r: &Report) -> Option<String> {
    let charts = r.figures.iter().flat_map(|f| f.charts.iter().filter(|c| c.visible).map(move |c| (f, c)));
    let all: Vec<_> = charts.flat_map(|(f, c)| contrasts(c).into_iter().flatten().map(move |x| (f, c, x))).collect();
    let (fig, chart, low) = all.iter().min_by(|a, b| a.2.ratio.total_cmp(&b.2.ratio))?;
    Some(format!("{low} (figure #{}, {} chart; {} labels measured)", fig.id, chart.variant, all.len()))
}

/// WCAG 2 contrast ratio of two opaque sRGB colours (0-255 per channel).
fn contrast_ratio(a: [f64; 3], b: [f64; 3]) -> f64 {
    let luminance = |c: [f64; 3]| {
        let [r, g, b] = c.map(|v| {
            let v = v / 255.0;
            if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
        });
        0.2126 * r + 0.7152 * g + 0.0722 * b
    };
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// `#rrggbb` for a colour with channels 0-255.
fn hex(c: [f64; 3]) -> String {
    let [r, g, b] = c.map(|v| v.round().clamp(0.0, 255.0) as u8);
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn texts(elements: &[Element]) -> Vec<&str> {
    elements.iter().map(|e| e.text.as_str()).collect()
}

fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(60).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// A screenshot is a real PNG of the right width, not an empty or blank file.
fn check_png(path: &Path, width: u32) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("no screenshot at {}: {e}", path.display()))?;
    if bytes.len() < 8 * 1024 {
        return Err(format!("{} is only {} bytes", path.display(), bytes.len()));
    }
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") || &bytes[12..16] != b"IHDR" {
        return Err(format!("{} is not a PNG", path.display()));
    }
    let w = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
    let h = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
    if (w, h) != (width, SHOT_HEIGHT) {
        return Err(format!("{} is {w}x{h}, not {width}x{SHOT_HEIGHT}", path.display()));
    }
    Ok(())
}

/// A cell table of four columns with long headers, as a writer's notebook has it (a tier, then
/// three bands under "… (USD per year)" headers): at 1280 px it fits the text column, its
/// headers wrapping as pandas tables in Jupyter do, rather than scrolling inside its box.
const WIDE_TABLE: &str = r#"---
title: Data Engineer Salary
---
```{rhai}
//| label: tbl-tiers
//| tbl-cap: pay by employer tier
let tiers = [
    #{ tier: "Large tech platform", base: band(190000, 240000), tc: band(300000, 450000), equity: band(60000, 150000) },
    #{ tier: "Late-stage startup", base: band(175000, 220000), tc: band(240000, 360000), equity: band(30000, 90000) },
    #{ tier: "Established enterprise", base: band(160000, 200000), tc: band(190000, 260000), equity: band(0, 20000) },
];
table(tiers, [
    #{ key: "tier", title: "Employer tier" },
    #{ key: "base", title: "Base salary (USD per year)", format: "money_band" },
    #{ key: "tc", title: "Total compensation (USD per year)", format: "money_band" },
    #{ key: "equity", title: "Equity grant per year (USD)", format: "money_band" },
])
```
"#;

/// Measures each `figure.nb-table` of the page in the iframe: how much its content is wider
/// than its box (`scrollWidth - clientWidth`), and the table's and the figure's widths.
const TABLE_CHECK_JS: &str = r#"
document.getElementById("page").addEventListener("load", function () {
  var doc = this.contentDocument, found = [];
  doc.querySelectorAll("figure.nb-table").forEach(function (f) {
    var t = f.querySelector("table");
    found.push({ id: f.id, overflow: f.scrollWidth - f.clientWidth,
      table: t ? t.getBoundingClientRect().width : 0, figure: f.getBoundingClientRect().width,
      dataframe: !!t && t.classList.contains("dataframe") });
  });
  document.getElementById("result").textContent = JSON.stringify(found);
});
"#;

#[derive(Debug, Deserialize)]
struct TableBox {
    id: String,
    overflow: f64,
    table: f64,
    figure: f64,
    dataframe: bool,
}

#[test]
fn a_four_column_cell_table_with_long_headers_fits_its_box_at_1280_px() {
    let chromium = chromium();
    let p = Project::empty();
    p.write("notebooks/data-engineer.md", WIDE_TABLE);
    let run = p.run(&["notebooks/", "-o", "out", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (w, h) = (1280, 900);
    let wrapper = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>tables at {w} px</title>\n\
         <style>html, body {{ margin: 0; }} iframe {{ width: {w}px; height: {h}px; border: 0; }}</style>\n</head>\n<body>\n\
         <iframe id=\"page\" src=\"data-engineer/index.html\"></iframe>\n<pre id=\"result\">pending</pre>\n\
         <script>{TABLE_CHECK_JS}</script>\n</body>\n</html>\n"
    );
    p.write("out/_tables.html", &wrapper);
    let args = [
        "--allow-file-access-from-files".to_string(),
        "--virtual-time-budget=5000".to_string(),
        format!("--window-size={w},{h}"),
        "--dump-dom".to_string(),
        file_url(&p.path("out/_tables.html")),
    ];
    let dom = chrome(&chromium, &p.path("run-tables"), &args).unwrap_or_else(|e| panic!("{e}"));
    const OPEN: &str = "<pre id=\"result\">";
    let json = dom.split(OPEN).nth(1).and_then(|r| r.split("</pre>").next()).unwrap_or("pending");
    let tables: Vec<TableBox> = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let [table] = tables.as_slice() else { panic!("one figure.nb-table expected: {json}") };
    assert!(table.dataframe, "{table:?}");
    assert!(
        table.overflow <= TOL && table.table <= table.figure + TOL,
        "at {w} px the table #{} is {:.1} px wide in a {:.1} px box: it overflows by {:.1} px",
        table.id,
        table.table,
        table.figure,
        table.overflow
    );
}
