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

    // A broken notebook: the overlay names the file, line and mistake over the last good page.
    let notebook = "notebooks/mlops.md";
    let good = p.read(notebook);
    p.write(notebook, &good.replace("title: MLOps Engineer Salary", "titel: MLOps Engineer Salary"));
    let overlay = "document.getElementById('nbrender-overlay')";
    browser.wait_until(&format!("!!{overlay}"), Duration::from_secs(20), "the error overlay");
    let text = browser.eval(&format!("{overlay}.innerText")).as_str().unwrap_or_default().to_string();
    assert!(text.contains("notebooks/mlops.md:2:1"), "the overlay does not say where: {text}");
    assert!(text.contains("did you mean `title`?"), "the overlay has no hint: {text}");
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
/// the time from saving a notebook of a generated 100-notebook site to the open page's `load`
/// event after it reloaded, over repeated saves.
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
    let server = Server::start(&p);
    let mut browser = Browser::open(&format!("http://127.0.0.1:{}/section-0010/", server.port));
    browser.wait_until(LIVE, Duration::from_secs(20), "the page");
    let notebook = "notebooks/section-0010.md";
    let original = p.read(notebook);
    let mut samples = Vec::new();
    for revision in 0..21 {
        browser.forget_events();
        let marker = format!("Revision {revision} of this page.");
        let saved = Instant::now();
        p.write(notebook, &original.replace("## Bands", &format!("{marker}\n\n## Bands")));
        let loaded = browser.next_load(Duration::from_secs(10));
        browser.wait_until(
            &format!("{LIVE} && document.body.innerText.includes('{marker}')"),
            Duration::from_secs(10),
            "the revision",
        );
        samples.push((loaded - saved).as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(300));
    }
    let first = samples.remove(0);
    samples.sort_by(f64::total_cmp);
    let median = samples[samples.len() / 2];
    println!(
        "save to reloaded page, 100 notebooks, {} saves: median {median:.0} ms, min {:.0} ms, max {:.0} ms (first save {first:.0} ms)",
        samples.len(),
        samples[0],
        samples[samples.len() - 1]
    );
    let log = p.read("serve.log");
    let builds: Vec<&str> = log.lines().filter(|l| l.starts_with("rebuilt")).collect();
    println!("server: {}", builds.last().copied().unwrap_or("no rebuild logged"));
}
