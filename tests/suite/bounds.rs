//! Big input is handled in bounded memory or refused with a clear error, never an
//! out-of-memory kill: a one-million-row CSV, a 10 MB notebook, a notebook past the size limit,
//! a 5,000-notebook site, tables and prose at their limits (docs/format.md §5.7 gives the
//! multiples these assert). Cells are held to their limits on time, printing and memory (issue
//! 12, items 2 to 4): a cell that waits, prints without end, hides values in function pointers
//! or piles up memory a little at a time is stopped in bounded time and memory. Peak memory is
//! the child's maximum resident set, read by Python's `resource` module (the binary is the
//! debug build here, so the bounds are generous).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::fmt::Write as _;

use common::{Project, notebook, refused};

/// Runs `nbrender ARGS` in the project and returns its exit code, its stderr and its peak
/// resident memory in MiB.
fn measured(p: &Project, args: &[&str]) -> (i32, String, f64) {
    let m = p.run_measured(args);
    (m.run.code, m.run.stderr, m.peak_mib)
}

#[test]
fn a_million_row_csv_is_refused_early_in_bounded_memory() {
    let p = Project::empty();
    let mut csv = String::with_capacity(30 << 20);
    csv.push_str("tier,lo,hi\n");
    for i in 0..1_000_000 {
        writeln!(csv, "Tier {i},{},{}", 100_000 + i % 1000, 150_000 + i % 1000).unwrap();
    }
    p.write("notebooks/data/big.csv", &csv);
    p.write(
        "notebooks/big.md",
        "---\ntitle: Big\ndata:\n  rows: data/big.csv\n---\n```{rhai}\nlet n = rows.len();\n```\n\n{{ n }} rows.\n",
    );
    let (code, stderr, peak) = measured(&p, &["notebooks/", "-o", "out"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("data file `data/big.csv` has more than 250,000 rows, the limit"), "{stderr}");
    assert!(stderr.contains("notebooks/big.md:4"), "the error points at the data: entry: {stderr}");
    assert!(stderr.contains("raise `data_rows` under `limits:`"), "{stderr}");
    assert!(peak < 300.0, "peak memory {peak:.0} MiB");

    // With more rows and fields allowed, the same file loads: the cell limits count what a cell
    // builds, not the data it is given.
    p.write("notebooks/_site.yaml", "limits:\n  data_rows: 1000000\n  data_fields: 3000000\n");
    let (code, stderr, peak) = measured(&p, &["notebooks/", "-o", "out"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(p.read("out/big/index.html").contains("1000000 rows."));
    assert!(peak < 4096.0, "peak memory {peak:.0} MiB");
    println!("a one-million-row CSV, loaded with the limits raised: peak {peak:.0} MiB");
}

#[test]
fn a_10_mb_notebook_renders_and_a_bigger_one_is_refused() {
    let p = Project::empty();
    let mut text = String::from("---\ntitle: Long\n---\n```{rhai}\nlet x = 41 + 1;\n```\n\nThe answer is {{ x }}.\n\n");
    let mut n = 0;
    while text.len() < 10_000_000 {
        n += 1;
        writeln!(
            text,
            "## Part {n}\n\nParagraph {n} says the same thing again, at length, to fill the page with prose.\n"
        )
        .unwrap();
    }
    p.write("notebooks/long.md", &text);
    let (code, stderr, peak) = measured(&p, &["notebooks/long.md", "-o", "out"]);
    assert_eq!(code, 0, "{stderr}");
    let page = p.read("out/long/index.html");
    assert!(page.contains("The answer is 42.") && page.contains(&format!("Paragraph {n} says")));
    assert!(peak < 1024.0, "peak memory {peak:.0} MiB for a 10 MB notebook");
    println!("a 10 MB notebook: peak {peak:.0} MiB");

    let more = "x".repeat(7 << 20);
    p.write("notebooks/long.md", &format!("{text}\n{more}\n"));
    let (code, stderr, _) = measured(&p, &["notebooks/long.md", "-o", "out"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("error[notebook::too-large]"), "{stderr}");
    assert!(stderr.contains("over the limit of 16,777,216 bytes for a notebook"), "{stderr}");
}

#[test]
fn a_5000_notebook_site_builds_in_bounded_memory() {
    let p = Project::empty();
    for i in 0..5000 {
        p.write(
            &format!("notebooks/page-{i:04}.md"),
            &format!(
                "---\ntitle: Page {i}\ngroup: G{}\n---\n```{{rhai}}\nlet pay = band({}, {});\n```\n\nPay is {{{{ pay | money_k_band }}}}.\n",
                i % 7,
                100_000 + i,
                150_000 + i
            ),
        );
    }
    let (code, stderr, peak) = measured(&p, &["notebooks/", "-o", "out", "-q"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(p.read("out/page-4999/index.html").contains("Pay is $105k to $155k."));
    assert!(peak < 1024.0, "peak memory {peak:.0} MiB for 5,000 notebooks");
    println!("5,000 notebooks: peak {peak:.0} MiB");
}

/// Cell limits raised so that a whole table reaches the cells (a cell's limits count what it
/// builds; these tests are about what loading a table costs).
const CELLS_TAKE_ANY_TABLE: &str = "  string_bytes: 1000000000\n  array_items: 1000000000\n  map_keys: 1000000000\n";

fn data_notebook(p: &Project, file: &str, text: &str) {
    p.write(&format!("notebooks/data/{file}"), text);
    p.write(
        "notebooks/a.md",
        &format!(
            "---\ntitle: Data\ndata:\n  t: data/{file}\n---\n```{{rhai}}\nlet n = t.len();\n```\n\n{{{{ n }}}} rows.\n"
        ),
    );
}

#[test]
fn a_table_at_the_field_limit_loads_in_under_one_gib() {
    // 250,000 rows of 8 one-letter texts: 2,000,000 fields, the default limit, and the
    // costliest shape per field (each field a string in every copy of the table).
    let p = Project::empty();
    p.write("notebooks/_site.yaml", &format!("limits:\n{CELLS_TAKE_ANY_TABLE}"));
    let mut csv = String::from("a,b,c,d,e,f,g,h\n");
    csv.push_str(&"a,b,c,d,e,f,g,h\n".repeat(250_000));
    data_notebook(&p, "t.csv", &csv);
    let (code, stderr, peak) = measured(&p, &["notebooks/", "-o", "out", "-q"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(p.read("out/a/index.html").contains("250000 rows."));
    assert!(peak < 1024.0, "peak memory {peak:.0} MiB for 2,000,000 fields");
    // docs/format.md §5.7 gives 178 bytes of peak per byte of this CSV (release build).
    let multiple = peak * 1048576.0 / csv.len() as f64;
    assert!(multiple < 200.0, "{multiple:.0} bytes of peak memory per byte of CSV");
    println!("a 250,000 x 8 CSV of texts: peak {peak:.0} MiB, {multiple:.0} times its size");
}

#[test]
fn a_yaml_table_at_the_field_limit_loads_in_under_one_gib() {
    // In YAML keys count as fields (the parser holds each as an event): 125,000 rows of 8
    // keyed values are 2,000,000 fields.
    let p = Project::empty();
    p.write("notebooks/_site.yaml", &format!("limits:\n{CELLS_TAKE_ANY_TABLE}"));
    let row = "- {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}\n";
    data_notebook(&p, "t.yaml", &row.repeat(125_000));
    let (code, stderr, peak) = measured(&p, &["notebooks/", "-o", "out", "-q"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(peak < 1024.0, "peak memory {peak:.0} MiB for 2,000,000 YAML fields");
    // docs/format.md §5.7 gives 113 bytes of peak per byte of this YAML (release build).
    let multiple = peak * 1048576.0 / (row.len() * 125_000) as f64;
    assert!(multiple < 130.0, "{multiple:.0} bytes of peak memory per byte of YAML");
    println!("a 125,000 x 8 YAML list of maps: peak {peak:.0} MiB, {multiple:.0} times its size");
    data_notebook(&p, "t.yaml", &row.repeat(125_001));
    let (code, stderr, _) = measured(&p, &["notebooks/", "-o", "out", "-q"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("more than 2,000,000 fields, the limit (in YAML, keys count as fields)"), "{stderr}");
}

#[test]
fn a_table_past_the_field_limit_is_refused_before_it_is_built() {
    let p = Project::empty();
    // 16 MB of one-digit fields, 128 to a row: 8,000,000 fields.
    let mut csv: String = (0..128).map(|i| format!("c{i},")).collect();
    csv.pop();
    csv.push('\n');
    let row = format!("{}1\n", "1,".repeat(127));
    csv.push_str(&row.repeat(16_000_000 / row.len()));
    data_notebook(&p, "t.csv", &csv);
    let (code, stderr, peak) = measured(&p, &["notebooks/", "-o", "out", "-q"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("data file `data/t.csv` has more than 2,000,000 fields, the limit"), "{stderr}");
    assert!(stderr.contains("notebooks/a.md:4") && stderr.contains("raise `data_fields`"), "{stderr}");
    assert!(peak < 100.0, "peak memory {peak:.0} MiB");

    // JSON and YAML are counted before they are parsed: one list of 8,000,000 numbers.
    let list = format!("{{\"a\": [{}1]}}", "1,".repeat(8_000_000));
    for file in ["t.json", "t.yaml"] {
        data_notebook(&p, file, &list);
        let (code, stderr, peak) = measured(&p, &["notebooks/", "-o", "out", "-q"]);
        assert_eq!(code, 1, "{stderr}");
        assert!(stderr.contains(&format!("data file `data/{file}` holds more than 2,250,000 values")), "{stderr}");
        assert!(peak < 100.0, "peak memory {peak:.0} MiB for {file}");
    }
}

#[test]
fn prose_past_the_element_limit_is_refused_in_bounded_memory() {
    // 16 MB of `*a* `: four million emphases, each three Markdown nodes.
    let p = Project::empty();
    p.write("notebooks/a.md", &format!("---\ntitle: A\n---\n\n{}\n", "*a* ".repeat(4_000_000)));
    let (code, stderr, peak) = measured(&p, &["notebooks/a.md", "-o", "out"]);
    assert_eq!(code, 1, "{}", &stderr[..stderr.len().min(2000)]);
    assert!(stderr.contains("error[notebook::too-large]"), "{}", &stderr[..stderr.len().min(2000)]);
    assert!(stderr.contains("Markdown elements") && stderr.contains("raise `prose_elements`"), "{}", &stderr[..2000]);
    assert!(peak < 300.0, "peak memory {peak:.0} MiB");
}

#[test]
fn prose_at_the_element_limit_stays_under_one_gib() {
    // The costliest shape per element found, footnote references (`[^a]`: three elements, a
    // reference and its back-link), at the default limit of 1,500,000 elements.
    let p = Project::empty();
    let refs = "[^a]".repeat(1_500_000 / 3 - 10);
    let text = format!("---\ntitle: A\n---\n\n{refs}\n\n[^a]: A note.\n");
    p.write("notebooks/a.md", &text);
    let (code, stderr, peak) = measured(&p, &["notebooks/a.md", "-o", "out"]);
    assert_eq!(code, 0, "{}", &stderr[..stderr.len().min(2000)]);
    assert!(peak < 1024.0, "peak memory {peak:.0} MiB");
    // docs/format.md §5.7 gives 390 bytes of peak per byte of this notebook (release build).
    let multiple = peak * 1048576.0 / text.len() as f64;
    assert!(multiple < 450.0, "{multiple:.0} bytes of peak memory per byte of notebook");
    println!("1,500,000 Markdown elements of footnote references: peak {peak:.0} MiB, {multiple:.0} times its size");
}

#[test]
fn a_notebook_of_too_many_cells_is_refused_before_they_run() {
    let p = Project::empty();
    let cells = "```{rhai}\n1\n```\n".repeat(2_000);
    p.write("notebooks/a.md", &format!("---\ntitle: A\n---\n{cells}"));
    let (code, stderr, peak) = measured(&p, &["notebooks/a.md", "-o", "out"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("has more than 1,000 cells, the limit"), "{stderr}");
    assert!(stderr.contains("notebooks/a.md:3004:1"), "at the 1,001st cell: {stderr}");
    assert!(peak < 300.0, "peak memory {peak:.0} MiB");
}

#[test]
fn prose_that_expands_past_the_notebook_limit_is_refused_as_it_expands() {
    // 3 KB of notebook: a 1 MiB text inserted 50 times in each of 20 paragraphs split by code
    // blocks (each expanded on its own), a 1 GB page.
    let p = Project::empty();
    let chunk = format!("{}\n\n```\ncode\n```\n\n", "{{ x }}".repeat(50));
    p.write(
        "notebooks/a.md",
        &format!(
            "---\ntitle: A\n---\n```{{rhai}}\nlet x = \"aaaaaaaaaaaaaaaa\"; for i in 0..16 {{ x += x; }}\n```\n\n{}",
            chunk.repeat(20)
        ),
    );
    let (code, stderr, peak) = measured(&p, &["notebooks/a.md", "-o", "out"]);
    assert_eq!(code, 1, "{}", &stderr[..stderr.len().min(2000)]);
    assert!(stderr.contains("error[prose::too-large]"), "{}", &stderr[..stderr.len().min(2000)]);
    assert!(stderr.contains("more than 16,777,216 bytes"), "{}", &stderr[..stderr.len().min(2000)]);
    assert!(peak < 300.0, "peak memory {peak:.0} MiB");
}

#[test]
fn prose_whose_statements_make_more_than_the_element_limit_is_refused_before_it_is_parsed() {
    // A value is text, never Markdown: a 500,000-character text of `*` inserted four times
    // makes four text nodes, not four million elements.
    let p = Project::empty();
    p.write(
        "notebooks/a.md",
        "---\ntitle: A\n---\n```{rhai}\nlet x = \"*\"; for i in 0..19 { x += x; } let x = x.sub_string(0, 500000);\n```\n\n{{ x }} {{ x }}\n\n{{ x }} {{ x }}\n",
    );
    let (code, stderr, peak) = measured(&p, &["notebooks/a.md", "-o", "out"]);
    assert_eq!(code, 0, "{}", &stderr[..stderr.len().min(2000)]);
    assert!(peak < 300.0, "peak memory {peak:.0} MiB");
    // Markup a loop writes is Markdown: counted before comrak builds it.
    let p = Project::empty();
    p.write(
        "notebooks/a.md",
        &format!(
            "---\ntitle: A\n---\n```{{rhai}}\nlet n = 20000;\n```\n\n{{% for i in range(n) %}}{}{{% endfor %}}\n",
            "*a* ".repeat(100)
        ),
    );
    let (code, stderr, peak) = measured(&p, &["notebooks/a.md", "-o", "out"]);
    assert_eq!(code, 1, "{}", &stderr[..stderr.len().min(2000)]);
    assert!(stderr.contains("error[prose::too-large]"), "{}", &stderr[..stderr.len().min(2000)]);
    assert!(stderr.contains("has more than 1,500,000 Markdown elements"), "{}", &stderr[..stderr.len().min(2000)]);
    assert!(
        stderr.contains("notebooks/a.md:8:1"),
        "at the line that passes the limit: {}",
        &stderr[..stderr.len().min(2000)]
    );
    assert!(peak < 300.0, "peak memory {peak:.0} MiB");
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
        // Refused at once: `refused` allows 30 s, against the 100,000 s the sleep would take.
        refused(&p, name, line, "sleep() is not available in cells");
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
