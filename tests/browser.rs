//! In a real browser: the shipped MLOps page as a reader sees it on a desktop (1280 px) and on a
//! phone (390 px), in light mode, and on a desktop in dark mode (`prefers-color-scheme: dark`),
//! in headless Chromium (Debian's `chromium` package; nothing from npm or pip).
//!
//! Beyond layout, every label of every visible chart must stand out from what is behind it:
//! a WCAG contrast ratio of at least 4.5:1 (3:1 for large text) between the label's computed
//! fill and the first opaque background found walking up from the SVG. In dark mode this
//! catches a theme that puts charts on a light card while their embedded style switches the
//! labels to light colours.
//!
//! For each run the test writes a wrapper page next to the rendered site: an `<iframe>` of that
//! width holding the MLOps page, and `tests/browser/check.js`, which measures the page once it
//! has loaded and writes its findings as JSON into `<pre id="result">`. Chromium runs with
//! `--allow-file-access-from-files` (so the wrapper may read the iframe's document) and
//! `--dump-dom`; the JSON is read back from the dumped DOM and judged here. Dark mode is Chromium's
//! `--blink-settings=preferredColorScheme=0`; the check script confirms it reached the page in
//! the iframe. Chromium also takes a screenshot of the page at both widths in light mode. Every Chromium run has a deadline and is killed
//! when it passes it.

#![cfg(unix)]

mod common;

use common::Project;
use serde::Deserialize;
use std::fmt::Write as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The page under test, relative to the output folder.
const PAGE: &str = "mlops-engineer/index.html";
/// The prompt the page shows above its article.
const PROMPT: &str = "In [28]:";
const CHECK_JS: &str = include_str!("browser/check.js");
/// How long one Chromium run may take before it is killed.
const DEADLINE: Duration = Duration::from_secs(20);
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

const VIEWPORTS: [Viewport; 3] = [
    Viewport { width: 1280, height: 900, chart: "wide", dark: false },
    Viewport { width: 390, height: 844, chart: "narrow", dark: false },
    Viewport { width: 1280, height: 900, chart: "wide", dark: true },
];

/// The runs that also take a screenshot: the light ones (a dark one would add a sixth Chromium
/// to the same couple of cores, and the top of the page it would show holds no chart).
fn shot_viewports() -> impl Iterator<Item = &'static Viewport> {
    VIEWPORTS.iter().filter(|vp| !vp.dark)
}

/// Height of the full-page screenshots.
const SHOT_HEIGHT: u32 = 2000;

/// Flags for every run: headless, isolated, offline, no scrollbars taking layout width (as on
/// a phone, and so that 390 px of window are 390 px of page).
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
];

#[test]
fn mlops_page_reads_well_in_chromium_at_desktop_and_phone_widths() {
    let chromium = chromium();
    let p = Project::with_notebooks("notebooks");
    let run = p.run(&["notebooks/", "-o", "out", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(p.exists(&format!("out/{PAGE}")));

    for vp in &VIEWPORTS {
        p.write(&format!("out/_check-{}.html", vp.tag()), &wrapper(vp));
    }

    // The Chromium runs are independent: run them side by side.
    let (checks, shots) = std::thread::scope(|s| {
        let checks: Vec<_> = VIEWPORTS
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
        let shots: Vec<_> = shot_viewports()
            .map(|vp| {
                let (chromium, p) = (&chromium, &p);
                s.spawn(move || {
                    let png = p.path(&format!("shots/mlops-{}.png", vp.tag()));
                    std::fs::create_dir_all(png.parent().expect("parent")).expect("mkdir shots");
                    let mut args = vp.scheme_flags();
                    args.extend([
                        format!("--screenshot={}", png.display()),
                        format!("--window-size={},{SHOT_HEIGHT}", vp.width),
                        file_url(&p.path(&format!("out/{PAGE}"))),
                    ]);
                    chrome(chromium, &p.path(&format!("run-shot-{}", vp.tag())), &args).map(|_| png)
                })
            })
            .collect();
        (joined(checks), joined(shots))
    });

    let mut problems = String::new();
    for (vp, dom) in VIEWPORTS.iter().zip(checks) {
        let found = dom.and_then(|dom| report(&dom)).map_or_else(
            |e| vec![e],
            |r| {
                // For the record (shown with `--nocapture`): how close the charts come to the limit.
                if let Some(low) = lowest_contrast(&r) {
                    println!("at {} px ({}): lowest chart label contrast {low}", vp.width, vp.scheme());
                }
                judge(vp, &r)
            },
        );
        for problem in found {
            let _ = writeln!(problems, "  at {} px ({}): {problem}", vp.width, vp.scheme());
        }
    }
    for (vp, png) in shot_viewports().zip(shots) {
        if let Err(problem) = png.and_then(|png| check_png(&png, vp.width)) {
            let _ = writeln!(problems, "  screenshot at {} px ({}): {problem}", vp.width, vp.scheme());
        }
    }
    if !problems.is_empty() {
        // Keep the rendered site, the wrappers and the screenshots for a look.
        let kept = p.dir.keep();
        panic!(
            "the MLOps page fails in Chromium:\n{problems}(site, wrappers and screenshots kept in {})",
            kept.display()
        );
    }
}

fn joined<T>(handles: Vec<std::thread::ScopedJoinHandle<'_, T>>) -> Vec<T> {
    handles.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
}

/// The Chromium binary: `$CHROMIUM`, else `chromium` on the PATH, else `/usr/bin/chromium`.
fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        let path = PathBuf::from(path);
        assert!(path.is_file(), "CHROMIUM={} is not a file", path.display());
        return path;
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|dir| dir.join("chromium")).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path.into_iter().chain([PathBuf::from("/usr/bin/chromium")]).find(|p| p.is_file()).unwrap_or_else(|| {
        panic!(
            "this test needs headless Chromium and found no `chromium` on the PATH or at /usr/bin/chromium: \
             install it with `apt-get install chromium` (or point $CHROMIUM at a Chromium binary)"
        )
    })
}

/// Runs Chromium with `args` and a fresh profile under `dir`, and returns what it printed on
/// stdout. Kills its whole process group if it outlives [`DEADLINE`].
fn chrome(chromium: &Path, dir: &Path, args: &[String]) -> Result<String, String> {
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

/// The wrapper page for one width: the page in an iframe of that size, and the check script.
fn wrapper(vp: &Viewport) -> String {
    let (w, h) = (vp.width, vp.height);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>browser check at {w} px</title>\n\
         <style>html, body {{ margin: 0; overflow: hidden; }} \
         iframe {{ position: absolute; top: 0; left: 0; width: {w}px; height: {h}px; border: 0; }} \
         #result {{ display: none; }}</style>\n</head>\n<body>\n\
         <iframe id=\"page\" src=\"{PAGE}\"></iframe>\n<pre id=\"result\">pending</pre>\n\
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
    content: String,
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
fn judge(vp: &Viewport, r: &Report) -> Vec<String> {
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
    match r.prompts.iter().find(|p| p.text == PROMPT) {
        None => problems.push(format!("no prompt reads {PROMPT:?} (prompts: {:?})", texts(&r.prompts))),
        Some(p) => {
            if let Some(why) = unseen(p) {
                problems.push(format!("the {PROMPT:?} prompt {} {why}", p.desc));
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
            let o = t.rect;
            if o.left < svg.left - TOL
                || o.right > svg.right + TOL
                || o.top < svg.top - TOL
                || o.bottom > svg.bottom + TOL
            {
                problems.push(format!(
                    "figure #{} ({} chart): text {:?} ({}; bbox {}) leaves the SVG ({svg}{vb})",
                    fig.id, chart.variant, t.content, t.rect, t.bbox
                ));
            }
        }
        for (i, a) in texts.iter().enumerate() {
            for b in &texts[i + 1..] {
                let dx = a.rect.right.min(b.rect.right) - a.rect.left.max(b.rect.left);
                let dy = a.rect.bottom.min(b.rect.bottom) - a.rect.top.max(b.rect.top);
                if dx > TOL && dy > TOL {
                    problems.push(format!(
                        "figure #{} ({} chart): texts {:?} ({}; bbox {}) and {:?} ({}; bbox {}) overlap by {dx:.1}x{dy:.1} px",
                        fig.id, chart.variant, a.content, a.rect, a.bbox, b.content, b.rect, b.bbox
                    ));
                }
            }
        }
        problems.extend(contrast_problems(fig, chart));
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
