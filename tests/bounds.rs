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

    // With more rows allowed, the same file loads: the cell limits count what a cell builds,
    // not the data it is given.
    p.write("notebooks/_site.yaml", "limits:\n  data_rows: 1000000\n");
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
