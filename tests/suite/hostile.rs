//! Hostile values from notebooks, data files and `_site.yaml` are escaped in every context the
//! page puts them in: HTML text and attributes, the JSON-LD script, SVG text, link URLs. The
//! fixture `tests/fixtures/pages/hostile/` tries each break-out, every one of which would set
//! `window.__xss`; the output is checked as text here, and in Chromium by the browser target
//! (`tests/browser/hostile.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{hostile_site, tree};

/// Every tag of an HTML or SVG text, as written (`<name ...>`).
fn tags(text: &str) -> Vec<&str> {
    text.split('<').skip(1).filter_map(|t| t.split_once('>').map(|(tag, _)| tag)).collect()
}

/// A tag's attributes as (lowercased name, value), reading quoted values whole.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = tag.trim_start_matches(|c: char| !c.is_whitespace());
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if rest.is_empty() {
            return out;
        }
        let end = rest.find(|c: char| c.is_whitespace() || c == '=' || c == '/').unwrap_or(rest.len());
        let name = rest[..end].to_ascii_lowercase();
        rest = rest[end..].trim_start();
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (v, tail) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => after[1..].split_once(q).unwrap_or((&after[1..], "")),
                _ => after.split_at(after.find(char::is_whitespace).unwrap_or(after.len())),
            };
            value = v.to_string();
            rest = tail;
        }
        out.push((name, value));
    }
}

#[test]
fn hostile_values_stay_text_in_every_output_file() {
    let p = hostile_site();
    let files = tree(&p.path("out"));
    assert!(files.len() >= 5, "expected pages, the index and a chart");
    for (path, bytes) in &files {
        let name = path.display().to_string();
        let Ok(text) = std::str::from_utf8(bytes) else { continue };
        if !(name.ends_with(".html") || name.ends_with(".svg") || name.ends_with(".xml")) {
            continue;
        }
        for tag in tags(text) {
            let tag_name = tag.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
            if tag_name == "script" {
                assert!(
                    name.ends_with(".html") && tag == "script type=\"application/ld+json\"",
                    "{name}: a script element that is not our JSON-LD: <{tag}>"
                );
            }
            assert!(
                !matches!(tag_name.as_str(), "iframe" | "object" | "embed" | "foreignobject" | "base" | "form"),
                "{name}: <{tag}>"
            );
            for (attr, value) in attributes(tag) {
                assert!(!attr.starts_with("on"), "{name}: an event-handler attribute in <{tag}>");
                if !matches!(attr.as_str(), "href" | "src" | "action" | "xlink:href" | "formaction") {
                    continue;
                }
                let url: String = value.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
                let scheme = url.split(['/', '?', '#']).next().unwrap_or("");
                let scheme_ok = !scheme.contains(':') || scheme == "https:" || scheme == "http:";
                assert!(scheme_ok, "{name}: a link with a script scheme in <{tag}>");
            }
        }
    }
    // The JSON-LD carries the hostile text, escaped so that it cannot end its script.
    let page = p.read("out/hostile/index.html");
    let json_ld = page.split("<script type=\"application/ld+json\">").nth(1).and_then(|r| r.split("</script>").next());
    let json_ld = json_ld.expect("the page has JSON-LD");
    assert!(!json_ld.contains('<'));
    let parsed: serde_json::Value = serde_json::from_str(json_ld).expect("JSON-LD parses");
    assert!(parsed.to_string().contains("</script><script>window.__xss=23</script>"), "the FAQ question is kept");
    // What was hostile shows as text: nothing is silently dropped.
    assert!(page.contains("&lt;img src=x onerror="), "the data value is shown, escaped");
    assert!(page.contains("&lt;/p&gt;&lt;script&gt;window.__xss=19"), "the computed value is shown, escaped");
    let chart = p.read("out/hostile/fig-tiers.svg");
    assert!(chart.contains("&lt;/script&gt;&lt;script&gt;window.__xss=2"), "the chart label is shown, escaped");
}
