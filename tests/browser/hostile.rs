//! No hostile value of the fixture `tests/fixtures/pages/hostile/` runs in Chromium: each
//! break-out it tries would set `window.__xss`. (The same output is checked as text by the
//! suite: `tests/suite/hostile.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use crate::common::cdp::Browser;
use crate::common::hostile_site;

#[test]
fn no_hostile_value_runs_in_chromium() {
    let p = hostile_site();
    for page in ["hostile/index.html", "index.html", "other/index.html", "hostile/fig-tiers.svg"] {
        let url = format!("file://{}", p.path("out").join(page).display());
        let mut browser = Browser::open(&url);
        browser.wait_until("document.readyState === 'complete'", Duration::from_secs(20), "the page to load");
        // Hovering, focusing and clicking are what attribute break-outs wait for.
        let verdict = browser.eval(
            r#"(() => {
                const all = [...document.querySelectorAll('*')];
                for (const el of all) {
                    for (const ev of ['mouseover', 'focus', 'click', 'error', 'load']) {
                        try { el.dispatchEvent(new Event(ev)); } catch (_) {}
                    }
                }
                const handlers = all.filter(el => [...el.attributes].some(a => a.name.startsWith('on')));
                const scripted = all.filter(el => ['href', 'src', 'xlink:href'].some(n => {
                    const v = (el.getAttribute(n) || '').replace(/\s/g, '').toLowerCase();
                    return v.startsWith('javascript:') || v.startsWith('data:text/html') || v.startsWith('vbscript:');
                }));
                const scripts = [...document.scripts].filter(s => s.type !== 'application/ld+json');
                return JSON.stringify({
                    xss: window.__xss === undefined ? null : window.__xss,
                    handlers: handlers.map(el => el.outerHTML.slice(0, 120)),
                    scripted: scripted.map(el => el.outerHTML.slice(0, 120)),
                    scripts: scripts.map(s => s.outerHTML.slice(0, 120)),
                });
            })()"#,
        );
        let verdict: serde_json::Value = serde_json::from_str(verdict.as_str().unwrap_or("{}")).unwrap();
        assert_eq!(verdict["xss"], serde_json::Value::Null, "{page}: a payload ran: {verdict}");
        for list in ["handlers", "scripted", "scripts"] {
            assert_eq!(verdict[list], serde_json::json!([]), "{page}: {list}: {verdict}");
        }
    }
    assert!(Path::new(&p.path("out/hostile/index.html")).is_file());
}
