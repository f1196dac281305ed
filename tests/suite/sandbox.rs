//! Cells in their box, tried as a hostile author would (issue 12): values nested without end,
//! tables inside tables, numbers that are not finite, data larger than the limits of one value.
//! Each is stopped with a located error naming the cell and the limit, in bounded time and
//! memory; and what the limits allow, at their edge, still works. (The limits on time, printing
//! and memory are in `tests/suite/bounds.rs`.) The binary here is a debug build, so the bounds on
//! time and memory are generous.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::fmt::Write as _;

use common::{Project, notebook, refused};

#[test]
fn values_nested_without_end_are_stopped_at_the_depth_limit() {
    // Each of these aborted the process (a stack overflow) from a few thousand levels on.
    for (name, script) in [
        ("arrays", "let a = []; for i in 0..200000 { a = [a]; } 1"),
        ("maps", "let a = #{}; for i in 0..200000 { a = #{ inner: a }; } 1"),
        ("curried", "fn f(x) { x } let p = Fn(\"f\"); for i in 0..200000 { p = Fn(\"f\").curry(p); } 1"),
        ("closures", "let c = || 1; for i in 0..200000 { let inner = c; c = || inner.call(); } 1"),
        ("pushed", "let a = []; for i in 0..200000 { let b = []; b.push(a); a = b; } 1"),
    ] {
        let p = Project::empty();
        notebook(&p, name, "", script, "Text.");
        refused(&p, name, 5, "cell 1 nests a value deeper than the limit of 64 levels");
        assert!(p.run(&["notebooks/"]).stderr.contains("raise `value_depth` under `limits:`"));
    }
}

#[test]
fn the_deepest_value_the_limits_allow_is_safe_everywhere_it_goes() {
    // The deepest a value may be: `value_depth` at its maximum, on top of data nested as deep
    // as a data file may be. It is printed, shown as the cell's output, converted for the
    // templates, read by another notebook, hashed for a rebuild and dropped, on the debug
    // build's larger stack frames.
    let p = Project::empty();
    p.write("notebooks/_site.yaml", "limits:\n  value_depth: 1000\n");
    let mut json = String::new();
    for _ in 0..63 {
        json.push('[');
    }
    json.push('1');
    for _ in 0..63 {
        json.push(']');
    }
    p.write("notebooks/data/deep.json", &json);
    notebook(
        &p,
        "deep",
        "data:\n  d: data/deep.json\n",
        "let a = d;\nfor i in 0..1000 { a = [a]; }\nprint(a);\na",
        "Deep.",
    );
    notebook(&p, "reader", "", "let b = results(\"deep\").a;\nlet c = [b];\nc.len()", "Reads {{ c | length }}.");
    let run = p.run(&["notebooks/", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(p.read("out/deep/index.html").contains("[[[[[[[[[[1]]]]]]]]]]"));
    assert!(p.read("out/reader/index.html").contains("Reads 1."));

    // One level more is refused, past the room the data gives.
    notebook(&p, "deep", "data:\n  d: data/deep.json\n", "let a = d;\nfor i in 0..1100 { a = [a]; }\n1", "Deep.");
    let run = p.run(&["notebooks/", "-o", "out"]);
    assert!(run.stderr.contains("nests a value deeper than the limit of 1,064 levels"), "{}", run.stderr);

    // Past the maximum, `_site.yaml` is refused.
    p.write("notebooks/_site.yaml", "limits:\n  value_depth: 100000\n");
    let run = p.run(&["notebooks/", "-o", "out"]);
    assert!(run.stderr.contains("`limits: value_depth` can be at most 1,000"), "{}", run.stderr);
}

#[test]
fn the_deepest_value_survives_a_rebuild_that_keeps_it() {
    // `nbrender serve` keeps each run and hashes its results to decide what to rebuild.
    let p = Project::empty();
    p.write("notebooks/_site.yaml", "limits:\n  value_depth: 1000\n");
    notebook(&p, "deep", "", "let a = [];\nfor i in 0..1000 { a = [a]; }\n1", "Deep.");
    notebook(&p, "reader", "", "let r = results(\"deep\");\nr.a.len()", "Reader.");
    let opts = nbrender::site::BuildOptions { out: p.path("out"), ..Default::default() };
    let mut cache = nbrender::site::Cache::default();
    let notebooks = p.path("notebooks");
    let first = nbrender::site::rebuild(&notebooks, &opts, &nbrender::site::Silent, &mut cache);
    assert!(first.is_ok(), "{:?}", first.err().map(|f| f.diagnostics));
    notebook(&p, "reader", "", "let r = results(\"deep\");\nr.a.len() + 1", "Reader.");
    let second = nbrender::site::rebuild(&notebooks, &opts, &nbrender::site::Silent, &mut cache);
    assert_eq!(second.map(|r| r.ran).ok(), Some(1), "only the reader ran again");
}

#[test]
fn a_data_table_within_the_data_limits_is_usable_in_a_cell() {
    // 6,000 rows of 20 columns: 120,000 map keys and about 840 KB of text, more than the
    // limits of one value, which count what a cell builds rather than the data it is given.
    let p = Project::empty();
    let mut csv = (0..20).map(|c| format!("c{c}")).collect::<Vec<_>>().join(",");
    csv.push('\n');
    for r in 0..6000 {
        let row: Vec<String> = (0..20).map(|c| format!("text {r}-{c}")).collect();
        writeln!(csv, "{}", row.join(",")).unwrap();
    }
    p.write("notebooks/data/wide.csv", &csv);
    let script = "let copy = rows;\nlet sorted = sort_by(rows, \"c1\");\nlet firsts = column(rows, \"c0\");\ncopy.push(#{ c0: \"extra\" });\ncopy.len()";
    notebook(&p, "wide", "data:\n  rows: data/wide.csv\n", script, "{{ firsts | length }} rows.");
    let run = p.run(&["notebooks/", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(p.read("out/wide/index.html").contains("6000 rows."));

    // What a cell builds beyond its data still counts.
    let script = "let twice = [rows, rows];\n1";
    notebook(&p, "wide", "data:\n  rows: data/wide.csv\n", script, "Text.");
    let run = p.run(&["notebooks/", "-o", "out"]);
    assert!(run.stderr.contains("exec::limit"), "{}", run.stderr);
}

#[test]
fn no_page_shows_a_number_that_is_not_finite() {
    let cases = [
        ("div", "let x = 1.0 / 0.0;", "{{ x }}", "cell 1: division by zero"),
        ("nan", "let x = 0.0 / 0.0;", "{{ x }}", "cell 1: division by zero"),
        ("rem", "let x = 5 % 0.0;", "{{ x }}", "remainder of a division by zero"),
        ("money", "let x = 1e308 * 10.0;", "{{ x | money }}", "this value is infinity"),
        ("plain", "let x = 1e308 * 10.0;", "{{ x }}", "this value is infinity"),
        ("band", "let x = -1e308 * 10.0;", "{{ x | pct }}", "this value is minus infinity"),
        (
            "median",
            "let x = median([1.0, 2.0, sqrt(-1.0)]);",
            "{{ x }}",
            "median(xs): item 3 must be a finite number, not NaN",
        ),
        ("table", "table([#{ v: 1e308 * 10.0 }], [\"v\"])", "Text.", "row 1 holds infinity in column `v`"),
        ("output", "[1.0, parse_float(\"inf\")]", "Text.", "cell 1's value holds infinity"),
    ];
    for (name, script, prose, message) in cases {
        let p = Project::empty();
        notebook(&p, name, "", script, prose);
        let run = p.run(&["notebooks/", "-o", "out"]);
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{name}: wanted {message:?} in:\n{}", run.stderr);
    }

    // YAML's `.nan` and `.inf`, in data and in params, are errors where they are written.
    let p = Project::empty();
    p.write("notebooks/data/t.yaml", "- lo: 1\n- lo: .nan\n");
    notebook(&p, "yaml", "data:\n  t: data/t.yaml\n", "t.len()", "Text.");
    let run = p.run(&["notebooks/", "-o", "out"]);
    assert!(run.stderr.contains("invalid YAML at line 2 column"), "{}", run.stderr);
    assert!(run.stderr.contains("`.nan` is not a finite number"), "{}", run.stderr);
    notebook(&p, "yaml", "params:\n  k: -.inf\n", "k", "Text.");
    let run = p.run(&["notebooks/", "-o", "out"]);
    assert!(run.stderr.contains("`-.inf` is not a finite number"), "{}", run.stderr);
    assert!(run.stderr.contains("notebooks/yaml.md:4:"), "{}", run.stderr);
}

#[test]
fn a_table_cell_cannot_hold_a_table() {
    // Tables in tables nested without end, where the depth limit does not look.
    let p = Project::empty();
    let script = "let t = table([#{ a: 1 }], [\"a\"]);\nfor i in 0..100000 { t = table([#{ a: t }], [\"a\"]); }";
    notebook(&p, "tables", "", script, "Text.");
    refused(&p, "tables", 6, "row 1 holds a table in column `a`");
}
