//! Families (`pages:`): one notebook, a page per parameter set, a landing page; hubs that loop
//! over `site()` and read `results()` by a computed slug.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{Project, tree};

fn built() -> Project {
    let p = Project::with_notebooks("tests/fixtures/families/notebooks");
    let run = p.run(&["notebooks/", "-o", "out", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    p
}

#[test]
fn a_family_publishes_a_landing_page_and_a_page_per_member() {
    let p = built();
    // One page per distinct value of the data column, in the order the rows give them.
    for slug in ["levels", "pay-l3", "pay-l4", "pay-l5", "hub", "senior"] {
        assert!(p.exists(&format!("out/{slug}/index.html")), "{slug}");
    }
    assert!(p.exists("out/pay-l4/fig-base.svg"), "every member draws its charts");
    let l4 = p.read("out/pay-l4/index.html");
    assert!(l4.contains("<h1 class=\"title\">Pay at L4</h1>"), "{l4}");
    assert!(l4.contains("At L4, base pay is $150k to $190k."));
    assert!(l4.contains("One page of <a href=\"../levels/\">Pay by level</a>"));
    // Its neighbours are its siblings, not the group's other pages.
    assert!(l4.contains("rel=\"prev\" href=\"../pay-l3/\""), "{l4}");
    assert!(l4.contains("rel=\"next\" href=\"../pay-l5/\""));
    assert!(l4.contains("# pay-l4.ipynb"));
    assert!(l4.contains("\"@type\":\"Article\""));
    // The landing page lists every member with its parameters.
    let landing = p.read("out/levels/index.html");
    let rows: Vec<&str> = landing.matches("<td><a href=\"../pay-").collect();
    assert_eq!(rows.len(), 3, "{landing}");
    assert!(landing.contains("<td>L3</td><td><a href=\"../pay-l3/\">Pay at L3</a></td>"), "{landing}");
    assert!(landing.contains("One page per level, from data/levels.csv."));
    assert!(landing.contains("\"@type\":\"CollectionPage\""));
    assert!(landing.contains("\"url\":\"https://example.org/pay-l5/\""));
    // The index lists the family once, not every member.
    let index = p.read("out/index.html");
    assert!(index.contains("href=\"levels/\""));
    assert!(!index.contains("href=\"pay-l4/\""), "{index}");
    // The sitemap lists every page, members after their landing page.
    let sitemap = p.read("out/sitemap.xml");
    let at = |s: &str| sitemap.find(&format!("<loc>https://example.org/{s}/</loc>")).unwrap_or_else(|| panic!("{s}"));
    assert!(at("levels") < at("pay-l3") && at("pay-l3") < at("pay-l4") && at("pay-l5") < at("senior"));
    // A notebook reads one member by its slug; a hub reads every member by a computed slug.
    assert!(p.read("out/senior/index.html").contains("At L5, the top of base pay is $230,000."));
    let hub = p.read("out/hub/index.html");
    assert!(hub.contains("The site has 3 level pages; the last lists $230,000."), "{hub}");
    assert!(hub.contains("Pay at L3: $150,000"));
    // What the hub read by computed slugs is named where its figures come from.
    let hub = p.read(".out.nbrender-manifest/hub.json");
    assert!(hub.contains("\"results\":[\"pay-l3\",\"pay-l4\",\"pay-l5\"]"), "{hub}");
    // Each member has a manifest of its own, keyed by its slug.
    let manifest = p.read(".out.nbrender-manifest/pay-l4.json");
    assert!(manifest.contains("\"page\": \"pay-l4\"") || manifest.contains("\"page\":\"pay-l4\""), "{manifest}");
}

#[test]
fn one_member_builds_alone_and_its_chart_is_addressed_by_its_parameters() {
    let p = Project::with_notebooks("tests/fixtures/families/notebooks");
    let run = p.run(&["notebooks/levels.md", "--param", "level=L4", "-o", "out", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(p.exists("out/pay-l4/index.html"));
    assert!(!p.exists("out/pay-l3/index.html") && !p.exists("out/levels/index.html"));
    // The whole family: the landing page and every member.
    let run = p.run(&["notebooks/levels.md", "-o", "all", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        p.exists("all/levels/index.html") && p.exists("all/pay-l3/index.html") && p.exists("all/pay-l5/index.html")
    );
    // A value no member has is named, with the values there are.
    let run = p.run(&["notebooks/levels.md", "--param", "level=L9", "-o", "none"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no page of the family in notebooks/levels.md has level: L9"), "{}", run.stderr);
    assert!(run.stderr.contains("its pages have level: L3, L4, L5"), "{}", run.stderr);
    // `nbrender chart` draws one member's chart.
    let run = p.run(&["chart", "notebooks/levels.md", "fig-base", "--param", "level=L3", "-o", "l3.svg"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(p.read("l3.svg").contains("<svg"));
    let run = p.run(&["chart", "notebooks/levels.md", "fig-base", "-o", "x.svg"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("is a family of pages, and 3 of them match"), "{}", run.stderr);
    assert!(run.stderr.contains("--param level=L3"), "{}", run.stderr);
    // A site build cannot set one value for every member.
    let run = p.run(&["notebooks/", "--param", "level=L4", "-o", "site"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("`level` is a parameter of the family in notebooks/levels.md"), "{}", run.stderr);
}

#[test]
fn member_errors_name_the_member_and_its_parameters_and_shared_ones_are_said_once() {
    let p = Project::with_notebooks("tests/fixtures/families/notebooks");
    let text = p.read("notebooks/levels.md").replace(
        "let base = band(row.base_lo, row.base_hi);",
        "assert(level != \"L4\", \"no L4 here\");\nlet base = band(row.base_lo, row.base_hi);\nlet boom = [][1];",
    );
    p.write("notebooks/levels.md", &text);
    let run = p.run(&["check", "notebooks/"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("assertion failed: no L4 here"), "{}", run.stderr);
    assert!(run.stderr.contains("in the page with level: L4 (`pay-l4`)"), "{}", run.stderr);
    // The same mistake in every member is one error, with how many pages it is in.
    assert_eq!(run.stderr.matches("out of bounds").count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("in 2 pages of the family, first the page with level: L3 (`pay-l3`)"),
        "{}",
        run.stderr
    );
    // Their readers are told which member failed.
    assert!(
        run.stderr.contains("reads `results(\"pay-l5\")`, but the page with level: L5 of notebooks/levels.md"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_cycle_through_a_computed_slug_is_named_with_its_chain_whatever_the_threads() {
    let p = Project::empty();
    p.write("notebooks/a.md", "---\ntitle: A\n---\n\n```{rhai}\nlet s = \"b\";\nlet x = results(s).y;\n```\n");
    p.write("notebooks/b.md", "---\ntitle: B\n---\n\n```{rhai}\nlet y = results(\"c\").z;\n```\n");
    p.write("notebooks/c.md", "---\ntitle: C\n---\n\n```{rhai}\nlet name = \"a\";\nlet z = results(name).x;\n```\n");
    p.write("notebooks/d.md", "---\ntitle: D\n---\n\n```{rhai}\nlet s = \"c\";\nlet w = results(s);\n```\n");
    let mut outputs = Vec::new();
    for threads in ["1", "2", "4"] {
        let run = p.run_env(&["check", "notebooks/"], &[("RAYON_NUM_THREADS", threads)]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        outputs.push(run.stderr);
    }
    assert!(outputs.iter().all(|o| *o == outputs[0]), "{outputs:#?}");
    let err = &outputs[0];
    assert!(
        err.contains("error[site::cycle]: these notebooks read each other's results in a cycle: notebooks/a.md -> notebooks/b.md -> notebooks/c.md -> notebooks/a.md"),
        "{err}"
    );
    assert!(err.contains("notebooks/a.md:7:9"), "at a's computed call: {err}");
    assert_eq!(err.matches("site::cycle").count(), 1, "{err}");
    assert!(err.contains("error[site::dependency-failed]") && err.contains("notebooks/d.md"), "{err}");
}

#[test]
fn a_member_that_reads_itself_and_a_member_slug_taken_twice_are_named() {
    let p = Project::with_notebooks("tests/fixtures/families/notebooks");
    let text =
        p.read("notebooks/levels.md").replace("band_chart(", "let first = results(\"pay-l3\").base;\nband_chart(");
    p.write("notebooks/levels.md", &text);
    let run = p.run(&["check", "notebooks/"]);
    assert!(
        run.stderr.contains("in a cycle: notebooks/levels.md (pay-l3) -> notebooks/levels.md (pay-l3)"),
        "every member reads pay-l3, and so does pay-l3: {}",
        run.stderr
    );
    let p = Project::with_notebooks("tests/fixtures/families/notebooks");
    p.write("notebooks/pay.md", "---\ntitle: Pay\nslug: pay-l4\n---\n");
    let run = p.run(&["check", "notebooks/"]);
    assert!(
        run.stderr.contains("the slug `pay-l4` is also used by the page with level: L4 of notebooks/levels.md"),
        "{}",
        run.stderr
    );
}

#[test]
fn computed_slugs_that_name_no_page_or_a_family_are_errors_at_the_call() {
    let p = Project::with_notebooks("tests/fixtures/families/notebooks");
    p.write("notebooks/x.md", "---\ntitle: X\n---\n\n```{rhai}\nlet s = \"pay-l\" + \"9\";\nresults(s)\n```\n");
    let run = p.run(&["check", "notebooks/"]);
    assert!(run.stderr.contains("results(\"pay-l9\"): no notebook has that slug"), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean `pay-l"), "{}", run.stderr);
    p.write("notebooks/x.md", "---\ntitle: X\n---\n\n```{rhai}\nlet s = \"levels\";\nresults(s)\n```\n");
    let run = p.run(&["check", "notebooks/"]);
    assert!(
        run.stderr.contains("`levels` is a family of 3 pages, and its landing page has no values"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("notebooks/x.md:7:1"), "{}", run.stderr);
    // A figure embeds a page's chart: a member's, not the landing page's.
    p.write(
        "notebooks/x.md",
        "---\ntitle: X\n---\n\n{{ figure(\"pay-l4\", \"fig-base\") }}\n\n{{ figure(\"levels\", \"fig-base\") }}\n",
    );
    let run = p.run(&["check", "notebooks/"]);
    assert_eq!(run.stderr.matches("error[").count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("error[site::family-slug]: `figure(\"levels\", …)`"), "{}", run.stderr);
    p.write("notebooks/x.md", "---\ntitle: X\n---\n\n{{ figure(\"pay-l4\", \"fig-base\") }}\n");
    let run = p.run(&["notebooks/", "-o", "out", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(p.read("out/x/index.html").contains("<svg"), "the member's chart is embedded");
}

#[test]
fn a_family_of_a_thousand_members_builds_the_same_on_one_and_two_threads() {
    let p = Project::empty();
    let values: Vec<String> = (1..=1000).map(|n| n.to_string()).collect();
    p.write(
        "notebooks/many.md",
        &format!(
            "---\ntitle: Many\nparams:\n  n: 1\npages:\n  slug: page-{{{{ n }}}}\n  title: Page {{{{ n }}}}\n  matrix:\n    n: [{}]\n---\n\n```{{rhai}}\nlet square = n * n;\nsquare\n```\n\n{{{{ n }}}} squared is {{{{ square }}}}.\n",
            values.join(", ")
        ),
    );
    p.write(
        "notebooks/sum.md",
        "---\ntitle: Sum\n---\n\n```{rhai}\nlet total = 0;\nfor p in site() { if p.family == \"many\" { total += results(p.slug).square; } }\n```\n\nThe squares add up to {{ total }}.\n",
    );
    for (out, threads) in [("one", "1"), ("two", "2")] {
        let run = p.run_env(&["notebooks/", "-o", out, "-q"], &[("RAYON_NUM_THREADS", threads)]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let (one, two) = (tree(&p.path("one")), tree(&p.path("two")));
    assert_eq!(one.len(), two.len());
    assert!(one.len() > 1000, "{}", one.len());
    for ((a, x), (b, y)) in one.iter().zip(&two) {
        assert_eq!(a, b);
        assert!(x == y, "{} differs", a.display());
    }
    assert!(p.read("one/page-999/index.html").contains("999 squared is 998001."));
    assert!(p.read("one/sum/index.html").contains("The squares add up to 333833500."));
}

#[cfg(unix)]
#[test]
fn hundreds_of_pages_build_again_within_a_small_limit_of_open_files() {
    let p = Project::empty();
    let values: Vec<String> = (1..=300).map(|n| n.to_string()).collect();
    p.write(
        "notebooks/many.md",
        &format!(
            "---\ntitle: Many\nparams:\n  n: 1\npages:\n  slug: page-{{{{ n }}}}\n  title: Page {{{{ n }}}}\n  matrix:\n    n: [{}]\n---\n\n```{{rhai}}\nlet half = n / 2;\n```\n\nHalf of {{{{ n }}}} is {{{{ half }}}}.\n",
            values.join(", ")
        ),
    );
    // A soft limit of 256 descriptors, below the number of page folders: the second build
    // stages into the output the first one replaced, and links unchanged files from it.
    let build = |what: &str, out: &str| {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -n 256 && exec '{}' {what} -o {out} -q", env!("CARGO_BIN_EXE_nbrender")))
            .current_dir(p.path(""))
            .output()
            .expect("run")
    };
    for round in 0..3 {
        let out = build("notebooks/", "out");
        assert!(out.status.success(), "build {round}: {}", String::from_utf8_lossy(&out.stderr));
    }
    assert!(p.read("out/page-299/index.html").contains("Half of 299 is 149.5."));
    // A one-page build of the family writes every member too.
    for round in 0..2 {
        let out = build("notebooks/many.md", "one");
        assert!(out.status.success(), "one-page build {round}: {}", String::from_utf8_lossy(&out.stderr));
    }
    assert!(p.read("one/page-299/index.html").contains("Half of 299 is 149.5."));
}
