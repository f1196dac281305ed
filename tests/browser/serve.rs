//! `nbrender serve` with a page open in headless Chromium: the page follows saves, shows an
//! error or a warning in an overlay, and recovers. (The HTTP-level serve tests are in the
//! suite: `tests/suite/serve.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::cdp::Browser;
use crate::common::server::Server;
use crate::common::{self, Project};

/// The served page carries an attribute once its event stream is open.
const LIVE: &str = "document.documentElement.hasAttribute('data-nbrender-live')";

#[test]
fn an_open_page_follows_saves_shows_errors_in_an_overlay_and_recovers() {
    let p = Project::with_notebooks("notebooks");
    let server = Server::start(&p);
    let mut browser = Browser::open(&format!("http://127.0.0.1:{}/mlops-engineer/", server.port));
    let shows = |figure: &str| format!("document.body.innerText.includes('{figure}')");
    browser.wait_until(&format!("{LIVE} && {}", shows("$300k to $430k")), Duration::from_secs(20), "the page");

    // A new figure in a data file: the open page shows it without a manual reload.
    browser.eval("window.beforeTheSave = true");
    let data = "notebooks/data/mlops_tiers.yaml";
    p.write(data, &p.read(data).replace("tc_hi: 430000", "tc_hi: 440000"));
    let reloaded = format!("window.beforeTheSave === undefined && {LIVE} && {}", shows("$300k to $440k"));
    browser.wait_until(&reloaded, Duration::from_secs(20), "the new figure in the open page");

    // A broken notebook, two mistakes: the overlay shows both, each with its code frame, over
    // the last good page.
    let notebook = "notebooks/mlops.md";
    let good = p.read(notebook);
    let broken = good.replace("title: MLOps Engineer Salary\n", "title: MLOps Engineer Salary\ntittle: x\n")
        + "\nA value nothing defines: {{ nope_value }}.\n";
    p.write(notebook, &broken);
    let overlay = "document.getElementById('nbrender-overlay')";
    browser.wait_until(&format!("!!{overlay}"), Duration::from_secs(20), "the error overlay");
    let text = browser.eval(&format!("{overlay}.innerText")).as_str().unwrap_or_default().to_string();
    assert!(text.contains("notebooks/mlops.md:3:1"), "the overlay does not say where: {text}");
    assert!(text.contains("did you mean `title`?"), "the overlay has no hint: {text}");
    assert!(text.contains("3 │ tittle: x") && text.contains("^^^^^^ not a known key"), "no code frame: {text}");
    assert!(text.contains("`nope_value` is undefined"), "the overlay does not show every error: {text}");
    if let Some(path) = std::env::var_os("NBRENDER_OVERLAY_PNG") {
        let shot = browser.call("Page.captureScreenshot", serde_json::json!({ "format": "png" }));
        let bytes = base64_decode(shot["data"].as_str().unwrap_or_default());
        std::fs::write(path, bytes).unwrap();
    }
    let covered =
        browser.eval(&format!("{overlay}.getBoundingClientRect().height > 40 && {}", shows("$300k to $440k")));
    assert_eq!(covered, serde_json::Value::Bool(true), "the overlay is not visible over the last good page");

    // Fixed: the overlay goes and the page is whole again.
    browser.eval("window.whileBroken = true");
    p.write(notebook, &good);
    let recovered = format!("window.whileBroken === undefined && {LIVE} && !{overlay} && {}", shows("$300k to $440k"));
    browser.wait_until(&recovered, Duration::from_secs(20), "the page to recover");

    // A warning: the page reloads with it, and a yellow overlay says what and where.
    let unused = good.replace(
        "  specs: data/specialisations.csv\n",
        "  specs: data/specialisations.csv\n  spare: data/specialisations.csv\n",
    );
    assert_ne!(unused, good);
    browser.eval("window.beforeTheWarning = true");
    p.write(notebook, &unused);
    let warned = format!("window.beforeTheWarning === undefined && {LIVE} && !!{overlay}");
    browser.wait_until(&warned, Duration::from_secs(20), "the warning overlay");
    let text = browser.eval(&format!("{overlay}.innerText")).as_str().unwrap_or_default().to_string();
    assert!(text.contains("built with 1 warning"), "{text}");
    assert!(text.contains("warning[notebook::unused-input]"), "{text}");
    assert!(text.contains("notebooks/mlops.md:16:3"), "the overlay does not say where: {text}");
    let border = browser.eval(&format!("getComputedStyle({overlay}).borderTopColor"));
    assert_eq!(border, serde_json::Value::String("rgb(181, 137, 0)".into()), "the warning overlay is not yellow");
    assert_eq!(browser.eval(&shows("$300k to $440k")), serde_json::Value::Bool(true), "a warning keeps the new page");
}

/// Not a test but a measurement
/// (`cargo test --release --features browser-tests --test browser save_to -- --ignored --nocapture`):
/// the time from saving a file of a generated 100-notebook site to the open page's `load`
/// event after it reloaded, over repeated saves, and where it went: the server's part from its
/// `-v` timing lines, the browser's from the page's navigation timing. Two edits: a
/// notebook's prose, and a data file that two notebooks load (and a third reads through
/// `results()`).
#[test]
#[ignore = "a benchmark: run it on purpose"]
fn save_to_reload_latency_on_a_100_notebook_site() {
    let p = Project::empty();
    let generated = Command::new("python3")
        .arg(common::crate_path("bench/gen_site.py"))
        .args(["100"])
        .arg(p.path("notebooks"))
        .status()
        .expect("python3 bench/gen_site.py");
    assert!(generated.success());
    let server = Server::start_with(&p, &["-v"]);
    let mut browser = Browser::open(&format!("http://127.0.0.1:{}/section-0010/", server.port));
    browser.wait_until(LIVE, Duration::from_secs(20), "the page");

    let notebook = "notebooks/section-0010.md";
    let original = p.read(notebook);
    measure(&p, &mut browser, "a notebook's prose", |revision| {
        let marker = format!("Revision {revision} of this page.");
        p.write(notebook, &original.replace("## Bands", &format!("{marker}\n\n## Bands")));
        marker
    });
    let data = "notebooks/data/rows-10.csv";
    let rows = p.read(data);
    let first = rows.lines().nth(1).expect("a row").to_string();
    measure(&p, &mut browser, "a data file two notebooks load", |revision| {
        // The first tier's high end of total pay, far above the others: the page's band ends there.
        let mut cells: Vec<String> = first.split(',').map(str::to_string).collect();
        cells[4] = format!("{}", (5000 + revision) * 1000);
        p.write(data, &rows.replace(&first, &cells.join(",")));
        format!("5,{revision:03},000")
    });
}

/// Saves with `edit` (which returns what the page then shows) 21 times and prints the median
/// time to the reloaded page, and its parts.
fn measure(p: &Project, browser: &mut Browser, what: &str, mut edit: impl FnMut(usize) -> String) {
    let epoch_ms =
        || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64() * 1000.0;
    let mut samples: Vec<[f64; 5]> = Vec::new();
    for revision in 0..21 {
        browser.forget_events();
        let lines_before = p.read("serve.log").lines().count();
        let (saved, saved_ms) = (Instant::now(), epoch_ms());
        let marker = edit(revision);
        let loaded = browser.next_load(Duration::from_secs(10));
        browser.wait_until(
            &format!("{LIVE} && document.body.innerText.includes('{marker}')"),
            Duration::from_secs(10),
            "the revision",
        );
        let total = (loaded - saved).as_secs_f64() * 1000.0;
        // The browser's part: from the reload's start to the load event.
        let timing = browser.eval("JSON.stringify(performance.getEntriesByType('navigation')[0].toJSON())");
        let nav: serde_json::Value = serde_json::from_str(timing.as_str().unwrap_or("{}")).unwrap_or_default();
        let origin = browser.eval("performance.timeOrigin").as_f64().unwrap_or(0.0);
        let reload_started = origin - saved_ms;
        let load = nav["loadEventStart"].as_f64().unwrap_or(0.0);
        // The server's part: its timing line for this save.
        let log = p.read("serve.log");
        let line = log.lines().skip(lines_before).find(|l| l.starts_with("timing:")).unwrap_or("").to_string();
        let number_before = |word: &str| -> f64 {
            line.split(word)
                .next()
                .and_then(|s| s.split_whitespace().last())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0.0)
        };
        let number_after = |word: &str| -> f64 {
            line.split(word)
                .nth(1)
                .and_then(|s| s.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0.0)
        };
        let seen = number_before(" ms before it was seen");
        let quiet = number_after("quiet for");
        let built = number_after("told the pages in");
        samples.push([total, seen, quiet, built, load + (reload_started - seen - quiet - built).max(0.0)]);
        if std::env::var_os("NBRENDER_TIMING_DETAIL").is_some() {
            let at = |k: &str| nav[k].as_f64().unwrap_or(-1.0);
            println!(
                "    reload began {:.0} ms after the event; request {:.0}, response {:.0}-{:.0}, DOM ready {:.0}, load {load:.0}",
                reload_started - seen - quiet - built,
                at("requestStart"),
                at("responseStart"),
                at("responseEnd"),
                at("domContentLoadedEventEnd")
            );
            let resources = browser.eval(
                "JSON.stringify(performance.getEntriesByType('resource').map(r => [r.name.split('/').pop(), Math.round(r.startTime), Math.round(r.responseEnd)]))",
            );
            println!("    resources {}", resources.as_str().unwrap_or(""));
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let first = samples.remove(0);
    let median = |k: usize| {
        let mut xs: Vec<f64> = samples.iter().map(|s| s[k]).collect();
        xs.sort_by(f64::total_cmp);
        (xs[xs.len() / 2], xs[0], xs[xs.len() - 1])
    };
    let (total, min, max) = median(0);
    println!(
        "save to reloaded page, {what}, 100 notebooks, {} saves: median {total:.0} ms, min {min:.0} ms, max {max:.0} ms (first save {:.0} ms)",
        samples.len(),
        first[0]
    );
    println!(
        "  medians by part: save seen by the watcher {:.0} ms; quiet (debounce) {:.0} ms; rebuild and event sent {:.0} ms; event to reloaded page {:.0} ms",
        median(1).0,
        median(2).0,
        median(3).0,
        median(4).0
    );
    let log = p.read("serve.log");
    let builds: Vec<&str> = log.lines().filter(|l| l.starts_with("rebuilt") || l.starts_with("timing")).collect();
    println!("  server: {}", builds[builds.len().saturating_sub(2)..].join(" | "));
}

/// Standard base64, as Chromium sends screenshots.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let sextets: Vec<u8> = text.bytes().filter_map(value).collect();
    sextets
        .chunks(4)
        .flat_map(|c| {
            let n = c.iter().enumerate().fold(0u32, |n, (i, s)| n | (u32::from(*s) << (18 - 6 * i)));
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            bytes.into_iter().take(c.len().saturating_sub(1))
        })
        .collect()
}
