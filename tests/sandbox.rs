//! Cells in their box, tried as a hostile author would (issue 12): values nested without end,
//! waiting without using the CPU, printing without end, values hidden where the size checks
//! did not look, memory piled up a little at a time, numbers that are not finite. Each is
//! stopped with an `exec::limit` (or a located error) naming the cell and the limit, in bounded
//! time and memory; and what the limits allow, at their edge, still works. The binary here is
//! a debug build, so the bounds on time and memory are generous.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fmt::Write as _;

use common::Project;

/// A notebook `notebooks/<name>.md` with one cell holding `script`, then `prose`.
fn notebook(p: &Project, name: &str, front: &str, script: &str, prose: &str) {
    p.write(
        &format!("notebooks/{name}.md"),
        &format!("---\ntitle: {name}\n{front}---\n```{{rhai}}\n{script}\n```\n\n{prose}\n"),
    );
}

/// Builds the site and expects it to fail with `message` at `notebooks/<name>.md:<line>`,
/// quickly and in bounded memory; returns what it cost, for the reports.
fn refused(p: &Project, name: &str, line: usize, message: &str) -> common::Measured {
    let m = p.run_measured(&["notebooks/", "-o", "out"]);
    assert_eq!(m.run.code, 1, "{}", m.run.stderr);
    assert!(m.run.stderr.contains(message), "wanted {message:?} in:\n{}", m.run.stderr);
    assert!(m.run.stderr.contains(&format!("notebooks/{name}.md:{line}:")), "{}", m.run.stderr);
    assert!(!p.exists("out"), "nothing is written");
    assert!(m.peak_mib < 400.0, "peak memory {:.0} MiB", m.peak_mib);
    assert!(m.seconds < 30.0, "{:.1} s", m.seconds);
    println!("{name}: refused in {:.2} s, peak {:.0} MiB", m.seconds, m.peak_mib);
    m
}

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
    for _ in 0..127 {
        json.push('[');
    }
    json.push('1');
    for _ in 0..127 {
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
    notebook(&p, "deep", "data:\n  d: data/deep.json\n", "let a = d;\nfor i in 0..1200 { a = [a]; }\n1", "Deep.");
    let run = p.run(&["notebooks/", "-o", "out"]);
    assert!(run.stderr.contains("nests a value deeper than the limit of 1,128 levels"), "{}", run.stderr);

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
fn cells_cannot_wait_and_a_wall_clock_limit_backs_the_cpu_limit() {
    for (name, line, script) in [
        ("plain", 5, "sleep(100000);"),
        ("float", 5, "sleep(100000.0);"),
        ("by-name", 6, "let f = Fn(\"sleep\");\nf.call(100000);"),
        ("eval", 5, "eval(\"sleep(100000)\");"),
    ] {
        let p = Project::empty();
        notebook(&p, name, "", script, "Text.");
        let m = refused(&p, name, line, "sleep() is not available in cells");
        assert!(m.seconds < 5.0, "{name}: {:.1} s", m.seconds);
    }

    // A cell that runs longer than the wall-clock limit stops, though its CPU time is within
    // its own limit.
    let p = Project::empty();
    p.write("notebooks/_site.yaml", "limits:\n  wall_seconds: 0.2\n  operations: 1000000000\n");
    notebook(&p, "busy", "", "let x = 0;\nloop { x += 1; }", "Text.");
    refused(&p, "busy", 6, "cell 1 ran longer than the limit of 0.2 seconds of wall-clock time");
}

#[test]
fn printing_is_counted_as_it_prints() {
    // 600 prints of 1 MiB reached 6.8 GB.
    let p = Project::empty();
    let script = "let s = \"x\";\ns.pad(1000000, \"x\");\nfor i in 0..600 { print(s); }";
    notebook(&p, "prints", "", script, "Text.");
    let m = refused(&p, "prints", 7, "cell 1 printed more than the limit of 1,048,576 bytes");
    assert!(m.peak_mib < 100.0, "peak {:.0} MiB", m.peak_mib);
    assert!(m.run.stderr.contains("raise `print_bytes` under `limits:`"), "{}", m.run.stderr);

    // Under the limit, everything printed is shown.
    notebook(&p, "prints", "", "for i in 0..3 { print(`line ${i}`); }", "Text.");
    assert_eq!(p.run(&["notebooks/", "-o", "out"]).code, 0);
    assert!(p.read("out/prints/index.html").contains("line 0\nline 1\nline 2"));
}

#[test]
fn values_held_in_function_pointers_and_closures_count() {
    // Strings curried into function pointers grew past 1.3 GB unseen.
    for (name, line, script) in [
        (
            "curried",
            9,
            "fn f(x) { x }\nlet s = \"x\";\ns.pad(100000, \"x\");\nlet a = [];\nfor i in 0..20000 { a.push(Fn(\"f\").curry(s + i)); }",
        ),
        ("captured", 6, "let a = [];\nfor i in 0..20000 { let s = \"x\"; s.pad(100000, \"x\"); a.push(|| s); }"),
    ] {
        let p = Project::empty();
        notebook(&p, name, "", script, "Text.");
        let m = refused(&p, name, line, "exceeded the limit of 1,048,576 bytes of text in one value");
        assert!(m.peak_mib < 100.0, "{name}: peak {:.0} MiB", m.peak_mib);
    }
}

#[test]
fn memory_piled_up_a_little_at_a_time_is_stopped_at_the_memory_limit() {
    for (name, script) in [
        // Each result is checked only when `map` returns: 1,000,000 strings of 1 MiB before.
        (
            "mapped",
            "let a = [];\na.pad(1000000, 0);\nlet b = \"x\";\nb.pad(1000000, \"x\");\nlet c = a.map(|x| b + x);",
        ),
        // Every value within its limits, but ever more of them.
        ("spread", "let b = \"x\";\nb.pad(1000000, \"x\");\nlet m = #{};\nfor i in 0..100000 { m[`k${i}`] = b + i; }"),
    ] {
        let p = Project::empty();
        p.write("notebooks/_site.yaml", "limits:\n  memory_bytes: 67108864\n  string_bytes: 2000000000\n");
        notebook(&p, name, "", script, "Text.");
        let m = p.run_measured(&["notebooks/", "-o", "out"]);
        assert!(m.run.stderr.contains("holds more than the limit of 64 MiB of memory"), "{name}: {}", m.run.stderr);
        assert!(m.run.stderr.contains("raise `memory_bytes` under `limits:`"), "{}", m.run.stderr);
        assert!(m.peak_mib < 250.0, "{name}: peak {:.0} MiB", m.peak_mib);
        println!("{name}: stopped in {:.2} s, peak {:.0} MiB", m.seconds, m.peak_mib);
    }
}

#[test]
fn replacing_text_cannot_build_more_than_the_string_limit() {
    let p = Project::empty();
    let script = "let s = \"a\";\ns.pad(1000000, \"a\");\nlet b = \"b\";\nb.pad(1000000, \"b\");\ns.replace(\"a\", b);";
    notebook(&p, "replace", "", script, "Text.");
    let m = refused(&p, "replace", 9, "exceeded the limit of 1,048,576 bytes of text");
    assert!(m.peak_mib < 100.0, "peak {:.0} MiB", m.peak_mib);
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
