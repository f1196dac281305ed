//! The figure manifest: what it records, where it is written, and that it is the same bytes
//! whatever the run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{Project, tree};
use serde_json::Value;

fn manifest(p: &Project, folder: &str, slug: &str) -> Value {
    serde_json::from_str(&p.read(&format!("{folder}/{slug}.json"))).expect("manifest JSON")
}

fn figures(page: &Value) -> Vec<&Value> {
    page["figures"].as_array().expect("figures").iter().collect()
}

fn by_key<'a>(page: &'a Value, key: &str) -> &'a Value {
    figures(page).into_iter().find(|f| f["key"] == key).unwrap_or_else(|| panic!("no figure `{key}` in {page:#}"))
}

#[test]
fn the_manifest_is_the_same_bytes_whatever_the_run_and_the_threads() {
    let p = Project::with_notebooks("notebooks");
    for (out, threads) in [("a", "1"), ("b", "2"), ("c", "7")] {
        let run = p.run_env(&["notebooks/", "-o", out, "-q"], &[("RAYON_NUM_THREADS", threads)]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let a = tree(&p.path(".a.nbrender-manifest"));
    let pages = a.iter().map(|f| &f.0).collect::<Vec<_>>();
    assert_eq!(a.len(), 13, "six pages, a family's landing page and five members, and the marker: {pages:?}");
    for other in [".b.nbrender-manifest", ".c.nbrender-manifest"] {
        let b = tree(&p.path(other));
        assert_eq!(a.iter().map(|f| &f.0).collect::<Vec<_>>(), b.iter().map(|f| &f.0).collect::<Vec<_>>());
        for ((path, x), (_, y)) in a.iter().zip(&b) {
            assert!(x == y, "{} differs in {other}", path.display());
        }
    }
    // Beside the output, not in it: publishing the site does not publish it.
    assert!(!tree(&p.path("a")).iter().any(|(path, _)| path.to_string_lossy().contains("manifest")));
}

#[test]
fn every_place_a_page_publishes_a_figure_is_recorded() {
    let p = Project::with_notebooks("tests/fixtures/editorial/notebooks");
    let run = p.run(&["notebooks/", "-o", "out", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let pay = manifest(&p, ".out.nbrender-manifest", "pay");
    assert_eq!(pay["version"], 1);
    let lede = by_key(&pay, "lede/l5 | money_k_band");
    assert_eq!(lede["text"], "$180k to $220k");
    assert_eq!(lede["value"], serde_json::json!({ "lo": 180000, "hi": 220000 }));
    assert_eq!(lede["at"], "pay.md:4");
    let senior = by_key(&pay, "prose/sec-levels/l5 | money_band");
    assert_eq!(senior["section"], serde_json::json!({ "id": "sec-levels", "number": 1, "title": "Levels" }));
    assert_eq!(senior["at"], "pay.md:22");
    assert_eq!(
        senior["context"],
        "A senior engineer earns $180,000 to $220,000; one level below, $150,000 to $180,000. The …"
    );
    assert_eq!(senior["sources"]["cells"], serde_json::json!([1]));
    // Cell 1 reads both tables: sources are read cell by cell.
    let pay_data = &senior["sources"]["data"][1];
    assert_eq!((pay_data["name"].as_str(), pay_data["file"].as_str()), (Some("pay"), Some("data/pay.csv")));
    assert_eq!(pay_data["columns"], serde_json::json!(["base_hi", "base_lo", "level"]));
    let week = by_key(&pay, "prose/sec-levels/week");
    assert_eq!(week["value"], 40);
    assert_eq!(week["sources"]["data"][0]["columns"], serde_json::json!(["hours"]));
    let cell = by_key(&pay, "table/tbl-pay/L6/Base salary");
    assert_eq!((cell["text"].as_str(), cell["at"].as_str()), (Some("$220k to $280k"), Some("pay.md:25")));
    let mark = by_key(&pay, "chart/fig-pay/band/L4");
    assert_eq!(mark["text"], "$150k–$180k");
    let kinds: Vec<&str> = figures(&pay).iter().map(|f| f["place"]["kind"].as_str().unwrap_or("")).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "table").count(), 3);
    assert_eq!(kinds.iter().filter(|k| **k == "chart").count(), 3);
    let hub = manifest(&p, ".out.nbrender-manifest", "hub");
    assert_eq!(
        by_key(&hub, "prose/sec-across/senior | money_k_band")["sources"]["results"],
        serde_json::json!(["pay"])
    );
}

#[test]
fn a_site_may_publish_its_manifest_and_a_one_page_build_keeps_the_others() {
    let p = Project::with_notebooks("tests/fixtures/editorial/notebooks");
    p.write("notebooks/_site.yaml", "title: Editorial fixture\npublish_manifest: true\n");
    assert_eq!(p.run(&["notebooks/", "-o", "out", "-q"]).code, 0);
    assert_eq!(p.read("out/_manifest/pay.json"), p.read(".out.nbrender-manifest/pay.json"));
    p.write("notebooks/data/hours.yaml", "- team: platform\n  hours: 38\n");
    let run = p.run(&["notebooks/other.md", "-o", "out", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(by_key(&manifest(&p, ".out.nbrender-manifest", "other"), "prose/sec-hours/week")["value"], 38);
    // The page it did not render keeps its manifest.
    assert_eq!(by_key(&manifest(&p, ".out.nbrender-manifest", "pay"), "prose/sec-levels/week")["value"], 40);
    // A site build replaces the folder whole: a page that is gone leaves no manifest.
    std::fs::remove_file(p.path("notebooks/other.md")).expect("remove");
    assert_eq!(p.run(&["notebooks/", "-o", "out", "-q"]).code, 0);
    assert!(!p.exists(".out.nbrender-manifest/other.json"));
    assert!(p.exists(".out.nbrender-manifest/hub.json"));
}

/// Every key `nbrender diff --format json` reports as changed, page by page.
fn changed_keys(json: &str) -> Vec<String> {
    let doc: Value = serde_json::from_str(json).expect("diff JSON");
    let mut keys = Vec::new();
    for page in doc["pages"].as_array().expect("pages") {
        let slug = page["page"].as_str().unwrap_or("");
        for section in page["sections"].as_array().expect("sections") {
            let figures = section["figures"].as_array().expect("figures").iter();
            let marks =
                section["charts"].as_array().into_iter().flatten().flat_map(|c| c["marks"].as_array().expect("marks"));
            for f in figures.chain(marks) {
                keys.push(format!("{slug} {} {}", f["change"].as_str().unwrap_or(""), f["key"].as_str().unwrap_or("")));
            }
        }
    }
    keys.sort();
    keys
}

#[test]
fn diff_names_exactly_the_figures_a_data_edit_moves_across_the_pages_that_read_it() {
    let p = Project::with_notebooks("tests/fixtures/editorial/notebooks");
    assert_eq!(p.run(&["notebooks/", "-o", "out", "-q"]).code, 0);
    let same = p.run(&["diff", "notebooks/", "-o", "out"]);
    assert_eq!((same.code, same.stdout.trim()), (0, "no published figure changed"), "{}", same.stderr);
    // L5's top moves: its prose, lede, table cell and chart mark, and the hub's figure read
    // through results(); L4, the hours and the unrelated page stay as they were.
    p.write("notebooks/data/pay.csv", "level,base_lo,base_hi\nL4,150000,180000\nL5,180000,230000\nL6,220000,280000\n");
    let run = p.run(&["diff", "notebooks/", "-o", "out", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        changed_keys(&run.stdout),
        [
            "hub changed prose/sec-across/senior | money_k_band",
            "pay changed chart/fig-pay/band/L5",
            "pay changed lede/l5 | money_k_band",
            "pay changed prose/sec-levels/l5 | money_band",
            "pay changed table/tbl-pay/L5/Base salary",
        ]
    );
    // Nothing was written: the live output still says what it said.
    assert_eq!(
        by_key(&manifest(&p, ".out.nbrender-manifest", "pay"), "lede/l5 | money_k_band")["text"],
        "$180k to $220k"
    );
}
