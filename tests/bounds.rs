//! Big input is handled in bounded memory or refused with a clear error, never an
//! out-of-memory kill: a one-million-row CSV, a 10 MB notebook, a notebook past the size limit,
//! a 5,000-notebook site. Peak memory is the child's maximum resident set, read by Python's
//! `resource` module (the binary is the debug build here, so the bounds are generous).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fmt::Write as _;
use std::process::Command;

use common::Project;

/// Runs `nbrender ARGS` in the project and returns its exit code, its stderr and its peak
/// resident memory in MiB.
fn measured(p: &Project, args: &[&str]) -> (i32, String, f64) {
    let report = p.path("rusage.txt");
    let script = "import resource, subprocess, sys\n\
                  r = subprocess.run(sys.argv[2:], stderr=subprocess.PIPE)\n\
                  sys.stderr.buffer.write(r.stderr)\n\
                  open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n\
                  sys.exit(r.returncode)\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&report)
        .arg(env!("CARGO_BIN_EXE_nbrender"))
        .args(args)
        .current_dir(p.dir.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("python3 runs nbrender");
    let kib: f64 = std::fs::read_to_string(&report).unwrap().trim().parse().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned(), kib / 1024.0)
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
fn prose_whose_values_expand_past_the_element_limit_is_refused_before_it_is_parsed() {
    // A few lines of notebook; a 500,000-character text of `*` inserted four times, each
    // escaped to `\*`: four million elements once expanded.
    let p = Project::empty();
    p.write(
        "notebooks/a.md",
        "---\ntitle: A\n---\n```{rhai}\nlet x = \"*\"; for i in 0..19 { x += x; } let x = x.sub_string(0, 500000);\n```\n\n{{ x }} {{ x }}\n\n{{ x }} {{ x }}\n",
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
