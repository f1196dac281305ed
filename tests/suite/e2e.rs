//! End-to-end: the real binary on real notebooks.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{Project, article, text_of, tree};

#[test]
fn shipped_mlops_page_renders_every_computed_figure() {
    let p = Project::with_notebooks("notebooks");
    let run = p.run(&["notebooks/mlops.md", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.starts_with("rendered 1 page, 2 charts in "), "{}", run.stderr);
    let page = p.read("out/mlops-engineer/index.html");
    let text = text_of(&page);
    for want in [
        "In [28]:",
        "# mlops_engineer.ipynb",
        "section 6.3 : MLOps / platform",
        "$190,000 to $260,000",
        "$260,000 to $520,000",
        "0 to 10 percent",
        "10 to 25 percent",
        "table mo-1 : tool layers",
        "section mo-2 : platform overlap",
    ] {
        assert!(text.contains(want), "page lacks {want:?}");
    }
    assert!(!text.contains("10 to 20 percent"), "the seed's contradictory figure must not appear");
    assert!(p.exists("out/mlops-engineer/fig-specialisations.svg"));
    assert!(p.exists("out/assets/style.css"));
}

#[test]
fn shipped_site_renders_every_notebook() {
    let p = Project::with_notebooks("notebooks");
    let run = p.run(&["notebooks/", "-o", "out", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "", "-q prints nothing on success");
    for slug in [
        "mlops-engineer",
        "llm-engineer",
        "computer-vision-engineer",
        "specialisations",
        "employer-tiers",
        "total-comp-breakdown",
    ] {
        assert!(p.exists(&format!("out/{slug}/index.html")), "{slug}");
    }
}

#[test]
fn mlops_article_snapshot() {
    let p = Project::with_notebooks("notebooks");
    let run = p.run(&["notebooks/mlops.md", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(article(&p.read("out/mlops-engineer/index.html")));
}

#[test]
fn feature_fixture_snapshot() {
    let p = Project::with_notebooks("tests/fixtures/pages/features");
    let run = p.run(&["notebooks/features.md", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = p.read("out/features/index.html");
    insta::assert_snapshot!(article(&page));
}

#[test]
fn feature_fixture_page_frame() {
    let p = Project::with_notebooks("tests/fixtures/pages/features");
    assert_eq!(p.run(&["notebooks/features.md", "-o", "out"]).code, 0);
    let page = p.read("out/features/index.html");
    // Related cards: the target's title and blurb, an override, an external link.
    let text = text_of(&page);
    assert!(text.contains("The other page Computed 42."), "{text}");
    assert!(text.contains("Other, renamed Overridden blurb"));
    assert!(page.contains("href=\"https://example.com\""));
    assert!(page.contains("href=\"../other/\""));
    // Lede and title are templates too.
    assert!(page.contains("<title>Feature tour: 2 tracks</title>"));
    assert!(text.contains("Top of band $660k; premium 0 to 12.5 percent."));
    // The FAQ becomes schema.org JSON-LD with the answers' text.
    let ld_start = page.find("application/ld+json\">").expect("json-ld") + "application/ld+json\">".len();
    let ld_end = ld_start + page[ld_start..].find("</script>").expect("end");
    let ld: serde_json::Value = serde_json::from_str(&page[ld_start..ld_end]).expect("valid JSON-LD");
    let faq = ld.as_array().unwrap().iter().find(|v| v["@type"] == "FAQPage").expect("FAQPage");
    assert_eq!(faq["mainEntity"][1]["name"], "Why so wide?");
    assert_eq!(faq["mainEntity"][0]["acceptedAnswer"]["text"], "It is $260,000 to $290,000.");
    // The chart is written beside the page.
    assert!(p.exists("out/features/fig-bands.svg"));
}

#[test]
fn params_can_be_overridden_from_the_command_line() {
    let p = Project::with_notebooks("tests/fixtures/pages/features");
    let run = p.run(&["notebooks/features.md", "-o", "out", "--param", "factor=3", "--param", "level=L6"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = text_of(&p.read("out/features/index.html"));
    assert!(text.contains("The L6 band"), "{text}");
    assert!(text.contains("Scaled by the factor it is $780k to $870k."), "{text}");
}

#[test]
fn unknown_param_is_a_usage_error() {
    let p = Project::with_notebooks("tests/fixtures/pages/features");
    let run = p.run(&["notebooks/features.md", "--param", "levle=L6"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no notebook declares the param `levle`"), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean `level`?"), "{}", run.stderr);
}

#[test]
fn usage_errors_exit_2() {
    let p = Project::empty();
    assert_eq!(p.run(&[]).code, 2);
    assert_eq!(p.run(&["x.md", "--param", "novalue"]).code, 2);
    assert_eq!(p.run(&["x.md", "--bogus"]).code, 2);
}

#[test]
fn missing_input_is_an_error_not_a_panic() {
    let p = Project::empty();
    let run = p.run(&["nope.md"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("`nope.md` is neither a notebook file nor a folder"), "{}", run.stderr);
}

#[test]
fn rendering_is_deterministic_to_the_byte() {
    let p = Project::with_notebooks("notebooks");
    assert_eq!(p.run(&["notebooks/", "-o", "a", "-q"]).code, 0);
    assert_eq!(p.run(&["notebooks/", "-o", "b", "-q"]).code, 0);
    let (a, b) = (tree(&p.path("a")), tree(&p.path("b")));
    assert!(!a.is_empty());
    assert_eq!(a.len(), b.len());
    for ((pa, ba), (pb, bb)) in a.iter().zip(&b) {
        assert_eq!(pa, pb);
        assert!(ba == bb, "{} differs between two renders", pa.display());
    }
}

#[test]
fn a_failed_build_writes_nothing() {
    let p = Project::with_notebooks("tests/fixtures/pages/features");
    p.write("notebooks/features.md", &p.read("notebooks/features.md").replace("{{ level }}", "{{ levle }}"));
    let run = p.run(&["notebooks/", "-o", "out"]);
    assert_eq!(run.code, 1);
    assert!(!p.exists("out"), "nothing may be written when a notebook has errors");
    assert!(run.stderr.ends_with("error: 1 error found; nothing was written\n"), "{}", run.stderr);
}

#[test]
fn single_file_render_ignores_broken_unrelated_notebooks() {
    let p = Project::with_notebooks("tests/fixtures/pages/features");
    p.write("notebooks/broken.md", "---\ntitel: x\n---\n");
    let run = p.run(&["notebooks/other.md", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = p.run(&["notebooks/", "-o", "out2"]);
    assert_eq!(run.code, 1, "the whole site does include it");
    assert!(run.stderr.contains("unknown frontmatter key `titel`"), "{}", run.stderr);
}

/// A control character a terminal could obey: C0 but newline and tab, DEL, C1.
fn is_terminal_control(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// A notebook can hold terminal escapes: in a YAML value (`slug: "x\e]0;PWNED\a"` would set
/// the window title), raw in a source line, in its file name. Errors show them escaped, and
/// the JSON lines of `check --format json` carry them as JSON escapes only.
#[test]
fn terminal_escapes_in_a_notebook_are_printed_escaped() {
    let p = Project::empty();
    p.write("notebooks/title.md", "---\ntitle: A\nslug: \"x\\e]0;PWNED\\a\\x9b2J\"\n---\nBody.\n");
    p.write("notebooks/raw.md", "---\ntitle: \"B \u{1b}]52;c;aGk=\u{7}\"\n---\nBody.\n");
    p.write("notebooks/name\u{1b}[2J.md", "---\ntitel: C\n---\nBody.\n");
    let run = p.run(&["notebooks/", "-o", "out"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stderr.contains(is_terminal_control), "{:?}", run.stderr);
    assert!(run.stderr.contains("invalid slug `x\\u{1b}]0;PWNED\\u{7}\\u{9b}2J`"), "{}", run.stderr);
    assert!(run.stderr.contains("title: \"B \\u{1b}]52;c;aGk=\\u{7}\""), "{}", run.stderr);
    assert!(run.stderr.contains("name\\u{1b}[2J.md"), "{}", run.stderr);

    let check = p.run(&["check", "notebooks/", "--format", "json"]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert!(!check.stdout.contains(is_terminal_control), "{:?}", check.stdout);
    let messages: Vec<String> = check
        .stdout
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["message"].as_str().unwrap().to_string())
        .collect();
    assert!(messages.iter().any(|m| m.contains("x\u{1b}]0;PWNED\u{7}\u{9b}2J")), "{messages:?}");
}

/// Every broken notebook under `tests/fixtures/errors/` fails with exit code 1 and the full
/// message the user sees.
#[test]
fn every_error_class_has_its_message() {
    insta::glob!("../fixtures", "errors/*.md", |path| {
        let p = Project::empty();
        common::copy_dir(&common::crate_path("tests/fixtures/errors/data"), &p.path("notebooks/data"));
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::copy(path, p.path(&format!("notebooks/{name}"))).unwrap();
        let run = p.run(&[&format!("notebooks/{name}"), "-o", "out"]);
        assert_eq!(run.code, 1, "{name} should fail:\n{}", run.stderr);
        assert!(!p.exists("out"), "{name} wrote output");
        assert!(!run.stderr.contains("panicked"), "{name} panicked");
        insta::assert_snapshot!(run.stderr);
    });
}

// ---------------------------------------------------------------- charts as files

/// Width, height and RGB8 pixels of a PNG file.
fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("buffer size")];
    let info = reader.next_frame(&mut pixels).expect("a frame");
    assert_eq!((info.color_type, info.bit_depth), (png::ColorType::Rgb, png::BitDepth::Eight));
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

/// The `width` and `height` an SVG's root element declares.
fn svg_size(svg: &str) -> (u32, u32) {
    let root = svg.lines().next().expect("a root element");
    let attr = |name: &str| -> u32 {
        let at = root.find(&format!(" {name}=\"")).expect(name) + name.len() + 3;
        root[at..].split('"').next().and_then(|v| v.parse().ok()).expect("a number")
    };
    (attr("width"), attr("height"))
}

/// A PNG that is more than its background: antialiased text and several colours drawn.
fn assert_drawn(pixels: &[u8], background: [u8; 3]) {
    let distinct: std::collections::HashSet<&[u8]> = pixels.chunks(3).collect();
    let drawn = pixels.chunks(3).filter(|p| *p != background).count();
    assert!(distinct.len() > 100, "only {} colours", distinct.len());
    assert!(drawn * 50 > pixels.len() / 3, "only {drawn} pixels drawn");
    assert_eq!(&pixels[..3], &background, "the corner is not the background");
}

#[test]
fn png_flag_writes_a_sharp_png_beside_every_svg_and_each_figure_links_its_files() {
    let p = Project::with_notebooks("tests/fixtures/pages/features");
    let run = p.run(&["notebooks/", "-o", "out", "--png"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.starts_with("rendered 2 pages, 4 charts (4 PNG) in "), "{}", run.stderr);
    let svgs: Vec<_> =
        tree(&p.path("out")).into_iter().filter(|(path, _)| path.extension().is_some_and(|e| e == "svg")).collect();
    assert_eq!(svgs.len(), 4);
    let page = p.read("out/features/index.html");
    for (path, svg) in &svgs {
        let (w, h) = svg_size(&String::from_utf8_lossy(svg));
        let png = std::fs::read(p.path("out").join(path.with_extension("png"))).expect("a PNG beside the SVG");
        let (pw, ph, pixels) = decode_png(&png);
        assert_eq!((pw, ph), (2 * w, 2 * h), "{} is not drawn at 2x", path.display());
        assert_drawn(&pixels, [255, 255, 255]);
        let name = path.file_stem().unwrap().to_string_lossy();
        assert!(
            page.contains(&format!("<a href=\"{name}.svg\" download>SVG</a> <a href=\"{name}.png\" download>PNG</a>"))
        );
    }
    let broken = common::broken_links(&p.path("out"));
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));

    // Without --png: SVG links only, and no PNG anywhere.
    let run = p.run(&["notebooks/", "-o", "plain"]);
    assert!(run.stderr.starts_with("rendered 2 pages, 4 charts in "), "{}", run.stderr);
    let page = p.read("plain/features/index.html");
    assert!(page.contains("<p class=\"figure-downloads\">download <a href=\"fig-bands.svg\" download>SVG</a></p>"));
    assert!(!page.contains(".png"));
    assert!(tree(&p.path("plain")).iter().all(|(path, _)| path.extension().is_none_or(|e| e != "png")));
}

#[test]
fn pngs_need_no_installed_fonts_and_are_byte_identical_on_every_run() {
    let p = Project::with_notebooks("tests/fixtures/pages/features");
    let home = tempfile::tempdir().unwrap();
    let no_fonts = [
        ("FONTCONFIG_FILE", "/dev/null"),
        ("FONTCONFIG_PATH", "/nonexistent"),
        ("HOME", home.path().to_str().unwrap()),
        ("XDG_DATA_HOME", "/nonexistent"),
        ("XDG_DATA_DIRS", "/nonexistent"),
        ("XDG_CONFIG_HOME", "/nonexistent"),
    ];
    assert_eq!(p.run(&["notebooks/", "-o", "a", "-q", "--png"]).code, 0);
    let run = p.run_env(&["notebooks/", "-o", "b", "-q", "--png"], &no_fonts);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(tree(&p.path("a")), tree(&p.path("b")), "the site differs without fonts");
    let run = p.run_env(&["chart", "notebooks/features.md", "fig-mix", "-o", "mix.png", "-q"], &no_fonts);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read(p.path("mix.png")).unwrap(), std::fs::read(p.path("a/features/fig-mix.png")).unwrap());
}

#[test]
fn chart_command_exports_the_pages_chart_as_svg_or_png() {
    let p = Project::with_notebooks("notebooks");
    assert_eq!(p.run(&["notebooks/mlops.md", "-o", "out", "-q"]).code, 0);
    let run = p.run(&["chart", "notebooks/mlops.md", "fig-tiers", "-o", "x.svg"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.starts_with("wrote x.svg (720 x "), "{}", run.stderr);
    let svg = p.read("x.svg");
    assert_eq!(svg, p.read("out/mlops-engineer/fig-tiers.svg"), "the export is the page's own chart file");

    let run = p.run(&["chart", "notebooks/mlops.md", "fig-tiers", "-o", "charts/x.png", "-q"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let (w, h) = svg_size(&svg);
    let (pw, ph, pixels) = decode_png(&std::fs::read(p.path("charts/x.png")).unwrap());
    assert_eq!((pw, ph), (2 * w, 2 * h));
    assert_drawn(&pixels, [255, 255, 255]);
}

#[test]
fn chart_command_runs_the_notebooks_the_chart_reads() {
    let p = Project::with_notebooks("tests/fixtures/site/basic");
    assert_eq!(p.run(&["notebooks/", "-o", "out", "-q"]).code, 0);
    let run = p.run(&["chart", "notebooks/derived.md", "fig-derived", "-o", "d.svg", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(p.read("d.svg"), p.read("out/derived/fig-derived.svg"));
    let mut entries: Vec<_> =
        std::fs::read_dir(p.dir.path()).unwrap().flatten().map(|e| e.file_name().into_string().unwrap()).collect();
    entries.sort();
    // The site build's manifest is beside its output; the chart command writes only its file.
    assert_eq!(entries, [".out.nbrender-manifest", "d.svg", "notebooks", "out"], "only the chart file is written");
}

#[test]
fn chart_command_takes_a_size_and_a_dark_theme() {
    let p = Project::with_notebooks("tests/fixtures/pages/features");
    let run = p.run(&["chart", "notebooks/features.md", "fig-bands", "-o", "narrow.svg", "--width", "480"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(svg_size(&p.read("narrow.svg")).0, 480);
    let args = ["chart", "notebooks/features.md", "fig-bands", "-o", "big.png", "--width", "900", "--height", "400"];
    assert_eq!(p.run(&args).code, 0);
    let (w, h, _) = decode_png(&std::fs::read(p.path("big.png")).unwrap());
    assert_eq!((w, h), (1800, 800));

    let run = p.run(&["chart", "notebooks/features.md", "fig-levels", "-o", "dark.svg", "--theme", "dark"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let dark = p.read("dark.svg");
    assert!(dark.contains("<rect class=\"nbc-bg\" x=\"0\" y=\"0\""), "no dark background");
    assert!(!dark.contains("prefers-color-scheme"), "a dark export does not switch with the reader's scheme");
    assert!(dark.contains("fill=\"#F3F4F6\""), "the title is not in the dark palette");
    assert_eq!(p.run(&["chart", "notebooks/features.md", "fig-levels", "-o", "dark.png", "--theme", "dark"]).code, 0);
    let (_, _, pixels) = decode_png(&std::fs::read(p.path("dark.png")).unwrap());
    assert_drawn(&pixels, [0x1A, 0x1C, 0x20]);
}

#[test]
fn chart_command_mistakes_are_explained() {
    let p = Project::with_notebooks("tests/fixtures/pages/features");
    let run = p.run(&["chart", "notebooks/features.md", "fig-band", "-o", "x.svg"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!("chart_unknown_label", run.stderr);
    let run = p.run(&["chart", "notebooks/features.md", "tbl-tracks", "-o", "x.svg"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!("chart_label_of_a_table", run.stderr);
    let run = p.run(&["chart", "notebooks/features.md", "fig-bands", "-o", "x.jpg"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("`x.jpg` must end in .svg or .png"), "{}", run.stderr);
    let run = p.run(&["chart", "notebooks/features.md", "fig-bands", "-o", "x.svg", "--width", "100"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("invalid value '100' for '--width <W>': 100 is not in 320..=4000"), "{}", run.stderr);
    let run = p.run(&["chart", "notebooks/features.md", "fig-bands", "-o", "x.svg", "--height", "100"]);
    assert_eq!(run.code, 2, "a height the chart cannot be drawn at is a usage error too");
    assert!(run.stderr.contains("cannot draw `fig-bands`: chart height 100 px"), "{}", run.stderr);
    // The limits a message names are the documented ones: a height is set from 100 to 4000 px.
    assert!(!run.stderr.contains("20000"), "{}", run.stderr);
    assert!(run.stderr.contains("chart height 100 px cannot fit 2 categories: they need at least "), "{}", run.stderr);
    assert!(run.stderr.contains("choose another --width or --height"), "{}", run.stderr);
    let run = p.run(&["chart", "notebooks/", "fig-bands", "-o", "x.svg"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("`notebooks/` is a folder, not a notebook"), "{}", run.stderr);
    assert!(!p.exists("x.svg") && !p.exists("x.jpg"), "a failed export writes nothing");
}

// ---------------------------------------------------------------- the whole site

#[test]
fn site_index_lists_groups_in_order_with_computed_headlines() {
    let p = Project::with_notebooks("tests/fixtures/site/basic");
    let run = p.run(&["notebooks/", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let index = text_of(&p.read("out/index.html"));
    let second = index.find("Second").expect("group Second");
    let first = index.find("First").expect("group First");
    assert!(second < first, "groups follow _site.yaml: {index}");
    assert!(index.contains("1.1 Base rates Band $100k to $210k"), "{index}");
    assert!(index.contains("1.2 Derived figures Premium 5 to 10 percent"), "{index}");
    let sitemap = p.read("out/sitemap.xml");
    assert!(sitemap.contains("<loc>https://example.org/docs/</loc>"));
    assert!(sitemap.contains("<loc>https://example.org/docs/derived/</loc>"));
    let base = p.read("out/base/index.html");
    assert!(base.contains("<link rel=\"canonical\" href=\"https://example.org/docs/base/\">"));
    assert!(base.contains("<meta property=\"og:title\" content=\"Base rates\">"));
    assert!(base.contains("rel=\"next\" href=\"../derived/\""));
    assert!(p.read("out/derived/index.html").contains("rel=\"prev\" href=\"../base/\""));
}

#[test]
fn results_carry_figures_between_notebooks() {
    let p = Project::with_notebooks("tests/fixtures/site/basic");
    assert_eq!(p.run(&["notebooks/", "-o", "out"]).code, 0);
    let text = text_of(&p.read("out/derived/index.html"));
    assert!(text.contains("Doubled it is $200k to $420k"), "{text}");
    assert!(text.contains("the premium read from the base page is 5 to 10 percent"), "{text}");
    assert!(text.contains("and the top bonus $21,000."), "{text}");
}

#[test]
fn a_single_file_renders_with_what_it_depends_on() {
    let p = Project::with_notebooks("tests/fixtures/site/basic");
    let run = p.run(&["notebooks/derived.md", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.starts_with("rendered 1 page, 1 chart"), "{}", run.stderr);
    assert!(text_of(&p.read("out/derived/index.html")).contains("Doubled it is $200k to $420k"));
    assert!(!p.exists("out/base/index.html"), "only the requested page is written");
    assert!(!p.exists("out/index.html"), "a single page does not rewrite the site index");
}

#[test]
fn a_cycle_names_every_notebook_in_it() {
    let p = Project::with_notebooks("tests/fixtures/site/cycle");
    let run = p.run(&["notebooks/", "-o", "out"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn an_error_stops_every_notebook_that_reads_it_and_only_those() {
    // a has an error; b reads a, c reads b, e reads d and c; d reads nothing. The errors come
    // in dependency order, every run the same, however the notebooks were scheduled.
    let p = Project::with_notebooks("tests/fixtures/site/chain");
    let run = p.run(&["notebooks/", "-o", "out"]);
    assert_eq!(run.code, 1);
    for _ in 0..5 {
        assert_eq!(p.run(&["notebooks/", "-o", "out"]).stderr, run.stderr);
    }
    assert!(!run.stderr.contains("d.md"), "{}", run.stderr);
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn every_internal_link_and_chart_resolves() {
    for fixture in ["notebooks", "tests/fixtures/site/basic"] {
        let p = Project::with_notebooks(fixture);
        assert_eq!(p.run(&["notebooks/", "-o", "out", "-q"]).code, 0);
        let broken = common::broken_links(&p.path("out"));
        assert!(broken.is_empty(), "{fixture}: broken links:\n{}", broken.join("\n"));
    }
}

#[test]
fn a_failed_site_build_leaves_the_previous_site_intact() {
    let p = Project::with_notebooks("tests/fixtures/site/basic");
    assert_eq!(p.run(&["notebooks/", "-o", "out", "-q"]).code, 0);
    let before = tree(&p.path("out"));
    p.write("notebooks/base.md", &p.read("notebooks/base.md").replace("{{ band_all | money_band }}", "{{ nope }}"));
    let run = p.run(&["notebooks/", "-o", "out"]);
    assert_eq!(run.code, 1);
    assert_eq!(tree(&p.path("out")), before, "out/ changed after a failed build");
}

#[test]
fn a_site_build_leaves_no_stale_pages() {
    let p = Project::with_notebooks("tests/fixtures/site/basic");
    assert_eq!(p.run(&["notebooks/", "-o", "out", "-q"]).code, 0);
    assert!(p.exists("out/other/index.html"));
    std::fs::remove_file(p.path("notebooks/other.md")).unwrap();
    assert_eq!(p.run(&["notebooks/", "-o", "out", "-q"]).code, 0);
    assert!(!p.exists("out/other"), "the removed notebook's page is gone");
    let siblings: Vec<_> = std::fs::read_dir(p.dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    let staging = |n: &std::ffi::OsString| {
        n.to_string_lossy().contains("nbrender-") && n != ".out.nbrender-previous" && n != ".out.nbrender-manifest"
    };
    assert!(!siblings.iter().any(staging), "staging folders left: {siblings:?}");
    // The replaced output is kept for the next build to stage into; its stale page is not
    // published, and the build after it removes that page from the kept folder too.
    assert!(p.exists(".out.nbrender-previous/other/index.html"));
    assert_eq!(p.run(&["notebooks/", "-o", "out", "-q"]).code, 0);
    assert!(!p.exists("out/other") && !p.exists(".out.nbrender-previous/other"));
}

#[test]
fn output_is_byte_identical_with_one_thread_or_many() {
    let p = Project::with_notebooks("notebooks");
    let one = p.run_env(&["notebooks/", "-o", "one", "-q"], &[("RAYON_NUM_THREADS", "1")]);
    let many = p.run_env(&["notebooks/", "-o", "many", "-q"], &[("RAYON_NUM_THREADS", "4")]);
    assert_eq!((one.code, many.code), (0, 0));
    assert_eq!(tree(&p.path("one")), tree(&p.path("many")));
}

#[test]
fn a_folder_nbrender_did_not_make_is_never_replaced() {
    let p = Project::with_notebooks("tests/fixtures/site/basic");
    p.write("mine/notes.txt", "keep me");
    let run = p.run(&["notebooks/", "-o", "mine"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("it exists and was not made by nbrender"), "{}", run.stderr);
    assert_eq!(p.read("mine/notes.txt"), "keep me");
}

#[test]
fn the_link_checker_finds_broken_links() {
    let p = Project::empty();
    p.write("out/a/index.html", "<a href=\"../b/\">b</a> <a href=\"#here\">x</a> <img src=\"c.svg\">");
    p.write("out/b/index.html", "<a href=\"../a/#there\">a</a> <p id=\"here\"></p>");
    let broken = common::broken_links(&p.path("out"));
    assert_eq!(broken.len(), 3, "{broken:#?}");
}

#[test]
fn a_dependency_that_does_not_parse_is_explained_not_called_unknown() {
    let p = Project::empty();
    p.write("notebooks/a.md", "---\ntitle: A\ntitel: x\n---\n");
    p.write("notebooks/b.md", "---\ntitle: B\n---\n```{rhai}\nlet r = results(\"a\");\n```\n");
    let run = p.run(&["notebooks/b.md", "-o", "out"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("a notebook named `a.md` exists but has errors (below)"), "{}", run.stderr);
    assert!(run.stderr.contains("unknown frontmatter key `titel`"), "{}", run.stderr);
    let chart = p.run(&["chart", "notebooks/b.md", "fig-x", "-o", "x.svg"]);
    assert_eq!(chart.code, 1, "{}", chart.stderr);
    assert!(chart.stderr.contains("a notebook named `a.md` exists but has errors (below)"), "{}", chart.stderr);
    assert!(chart.stderr.contains("unknown frontmatter key `titel`"), "{}", chart.stderr);
}

#[test]
fn a_related_card_naming_a_notebook_that_does_not_parse_is_explained_too() {
    let p = Project::empty();
    p.write("notebooks/a.md", "---\ntitle: A\ntitel: x\n---\n");
    p.write("notebooks/b.md", "---\ntitle: B\nrelated: [a]\n---\nText.\n");
    let run = p.run(&["notebooks/b.md", "-o", "out"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("a notebook named `a.md` exists but has errors (below)"), "{}", run.stderr);
    assert!(run.stderr.contains("unknown frontmatter key `titel`"), "{}", run.stderr);
}

#[test]
fn a_broken_notebook_whose_slug_another_took_is_not_shown() {
    let p = Project::empty();
    p.write("notebooks/a.md", "---\ntitle: A\ntitel: x\n---\n");
    p.write("notebooks/c.md", "---\ntitle: C\nslug: a\n---\n```{rhai}\nlet n = 1;\n```\n");
    p.write("notebooks/b.md", "---\ntitle: B\n---\n```{rhai}\nlet r = results(\"a\");\nlet x = nope;\n```\n");
    let run = p.run(&["notebooks/b.md", "-o", "out"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("nope"), "{}", run.stderr);
    assert!(!run.stderr.contains("titel"), "a.md is not the notebook b reads: {}", run.stderr);
}

#[test]
fn a_chart_from_another_notebook_is_embedded_by_reference() {
    let p = Project::with_notebooks("tests/fixtures/site/basic");
    assert_eq!(p.run(&["notebooks/", "-o", "out", "-q"]).code, 0);
    let page = p.read("out/other/index.html");
    assert!(page.contains("<figure class=\"nb-figure nb-embed\" id=\"embed-derived-fig-derived\">"), "{page}");
    assert!(text_of(&page).contains("figure derived-1 : derived band (from Derived figures"));
    assert!(page.contains("href=\"../derived/#fig-derived\""));
    assert!(!page.contains("<p><figure"), "an embedded figure replaces its paragraph");

    // An unknown label is an error at its line, with a suggestion.
    p.write("notebooks/other.md", &p.read("notebooks/other.md").replace("\"fig-derived\"", "\"fig-derivd\""));
    let run = p.run(&["notebooks/", "-o", "out2"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("no chart labelled `fig-derivd`; did you mean `fig-derived`?"), "{}", run.stderr);
    assert!(run.stderr.contains("notebooks/other.md:12:4"), "{}", run.stderr);
}

/// `other.md` embeds `derived`'s figure, whose download (`../derived/fig-derived.svg`) and
/// link back (`../derived/#fig-derived`) lead to the other page: a one-page build writes that
/// page too, and says so.
#[test]
fn a_one_page_build_also_writes_the_pages_whose_figures_it_embeds() {
    let p = Project::with_notebooks("tests/fixtures/site/basic");
    let run = p.run(&["notebooks/other.md", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = p.read("out/other/index.html");
    assert!(page.contains("href=\"../derived/#fig-derived\""), "{page}");
    assert!(page.contains("href=\"../derived/fig-derived.svg\""), "{page}");
    assert!(p.exists("out/derived/index.html"), "the link back leads nowhere");
    assert!(p.read("out/derived/index.html").contains("id=\"fig-derived\""));
    assert!(p.exists("out/derived/fig-derived.svg"), "the download leads nowhere");
    assert!(!p.exists("out/base"), "only the pages whose figures it embeds are written");
    assert!(
        run.stderr.starts_with("rendered 1 page, 1 chart (1 embedded) in "),
        "the summary counts the page asked for: {}",
        run.stderr
    );
    assert!(
        run.stderr.trim_end().ends_with("-> out; also wrote derived/, the page its embedded figure links to"),
        "{}",
        run.stderr
    );
    // A page that embeds nothing writes itself alone, as before.
    let run = p.run(&["notebooks/base.md", "-o", "out2"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("also wrote"), "{}", run.stderr);
    let written: Vec<String> = std::fs::read_dir(p.path("out2"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n != "assets" && !n.starts_with('.'))
        .collect();
    assert_eq!(written, ["base"]);
}

/// A page that draws a chart of its own and embeds another shows two: check and build count
/// both, and say how many are embedded.
#[test]
fn check_and_build_count_the_charts_a_page_shows_embedded_ones_included() {
    let p = Project::with_notebooks("tests/fixtures/site/basic");
    let other = p.read("notebooks/other.md");
    p.write(
        "notebooks/other.md",
        &format!("{other}\n```{{rhai}}\n//| label: fig-own\nband_chart([#{{ n: \"a\", b: band(1, 2) }}], #{{ y: \"n\", band: \"b\" }})\n```\n"),
    );
    let run = p.run(&["check", "notebooks/other.md"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.starts_with("checked 1 page and 2 charts (1 embedded) in "), "{}", run.stderr);
    assert!(
        run.stderr.contains(": no problems; also checked derived/, the page its embedded figure links to"),
        "{}",
        run.stderr
    );
    let run = p.run(&["notebooks/other.md", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.starts_with("rendered 1 page, 2 charts (1 embedded) in "), "{}", run.stderr);
    // The whole site: derived draws one, other one and the embedded one.
    let run = p.run(&["notebooks/", "-o", "site"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.starts_with("rendered 3 pages, 3 charts (1 embedded) in "), "{}", run.stderr);
    let run = p.run(&["check", "notebooks/"]);
    assert!(run.stderr.starts_with("checked 3 pages and 3 charts (1 embedded) in "), "{}", run.stderr);
    // An embedded chart redrawn on the page's bounds is written beside the page, and still
    // counted once, as embedded.
    let other = p.read("notebooks/other.md").replace(
        "figure(\"derived\", \"fig-derived\")",
        "figure(\"derived\", \"fig-derived\", x_min=-1000000, x_max=100000000)",
    );
    p.write("notebooks/other.md", &other);
    let run = p.run(&["notebooks/other.md", "-o", "bounded"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.starts_with("rendered 1 page, 2 charts (1 embedded) in "), "{}", run.stderr);
    assert!(p.exists("bounded/other/embed-derived-fig-derived.svg"));
}

/// docs/format.md §6.1, "Arithmetic": what the braces compute, and what they refuse.
#[test]
fn arithmetic_in_prose_works_as_documented() {
    let p = Project::empty();
    let script = "let a = 7; let b = 2; let x = 1.5; let tc = band(300000, 450000); let level = \"L5\";";
    let shown = [
        ("{{ a + b * 2 }}", "11"),
        ("{{ (a + b) * 2 }}", "18"),
        ("{{ a / b }}", "3.5"),
        ("{{ a // b }}", "3"),
        ("{{ a % b }}", "1"),
        ("{{ a ** 2 }}", "49"),
        ("{{ -a }}", "-7"),
        ("{{ (tc.hi / tc.lo - 1) | pct }}", "50 percent"),
        ("{{ (tc.hi - tc.lo) | money_k }}", "$150k"),
        ("{{ level ~ \" and up\" }}", "L5 and up"),
    ];
    let prose: Vec<String> = shown.iter().enumerate().map(|(i, (e, _))| format!("V{i}: {e}.")).collect();
    common::notebook(&p, "sums", "", script, &prose.join("\n\n"));
    let run = p.run(&["notebooks/", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = text_of(&p.read("out/sums/index.html"));
    for (i, (expression, want)) in shown.iter().enumerate() {
        assert!(text.contains(&format!("V{i}: {want}.")), "{expression} should show {want}: {text}");
    }
    let refused = [
        ("{{ a / 0 }}", "unable to calculate 7 / 0"),
        ("{{ a % 0 }}", "unable to calculate 7 % 0"),
        ("{{ \"L5\" + 1 }}", "unsupported types string and number"),
        ("{{ tc * 2 }}", "unsupported types map and number"),
        ("{{ a / b | pct }}", "unsupported types number and string"),
        ("{{ x ** 5000 }}", "this value is infinity"),
    ];
    for (i, (expression, message)) in refused.iter().enumerate() {
        let p = Project::empty();
        common::notebook(&p, "sums", "", script, &format!("Text {expression} here."));
        let run = p.run(&["check", "notebooks/"]);
        assert_eq!(run.code, 1, "{expression}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{i}: {expression}: {}", run.stderr);
        assert!(run.stderr.contains("notebooks/sums.md:8:"), "{expression}: {}", run.stderr);
    }
}

// ---------------------------------------------------------------- nbrender check

#[test]
fn check_runs_everything_and_writes_nothing() {
    let p = Project::with_notebooks("notebooks");
    let run = p.run(&["check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.starts_with("checked 12 pages and "), "{}", run.stderr);
    assert!(run.stderr.trim_end().ends_with("no problems"), "{}", run.stderr);
    assert!(!p.exists("out"), "check writes nothing");
}

#[test]
fn check_reports_every_problem_as_json_for_editors() {
    let p = Project::empty();
    let broken = std::fs::read_to_string(common::crate_path("tests/fixtures/errors/many-errors.md")).unwrap();
    p.write("notebooks/broken.md", &broken);
    let run = p.run(&["check", "notebooks/broken.md", "--format", "json"]);
    assert_eq!(run.code, 1);
    let lines: Vec<serde_json::Value> =
        run.stdout.lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert_eq!(lines[0]["file"], "notebooks/broken.md");
    assert_eq!((lines[0]["line"].as_u64(), lines[0]["column"].as_u64()), (Some(5), Some(5)));
    assert_eq!(lines[0]["end_column"], 10);
    assert_eq!(lines[0]["code"], "cell::unknown-option");
    assert_eq!(lines[0]["hint"], "did you mean `label`?");
    assert_eq!(lines[1]["label"], "`maybe` is not a boolean");
    assert!(!p.exists("out"));
}

// ---------------------------------------------------------------- nbrender new

#[test]
fn new_scaffolds_a_notebook_that_renders_as_it_is() {
    let p = Project::with_notebooks("tests/fixtures/site/basic");
    let run = p.run(&["new", "data-engineer", "--title", "Data \"Engineer\": salary", "--section", "6.4"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(p.exists("notebooks/data-engineer.md"), "written next to the other notebooks");
    let run = p.run(&["notebooks/", "-o", "out"]);
    assert_eq!(run.code, 0, "the new notebook renders as it is: {}", run.stderr);
    let text = text_of(&p.read("out/data-engineer/index.html"));
    assert!(text.contains("Data \"Engineer\": salary"), "{text}");
    assert!(text.contains("base salary runs $160,000 to $240,000"), "{text}");
    assert!(text.contains("figure de-1 : L5 total compensation by employer tier"), "{text}");
    // It never overwrites, and checks the slug.
    let again = p.run(&["new", "data-engineer"]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert_eq!(p.run(&["new", "Data Engineer"]).code, 2);
}

#[test]
fn new_writes_the_notebook_and_cell_of_the_prompt_line() {
    let p = Project::empty();
    let run = p.run(&["new", "data-engineer", "--notebook", "data_engineer.ipynb", "--cell", "31"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = p.read("data-engineer.md");
    assert!(text.contains("\nnotebook: \"data_engineer.ipynb\"\ncell: 31\n"), "{text}");
    let run = p.run(&["data-engineer.md", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = text_of(&p.read("out/data-engineer/index.html"));
    assert!(page.contains("In [31]: # data_engineer.ipynb"), "{page}");
    // Left out, the keys are left out, and the defaults apply.
    let run = p.run(&["new", "plain"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = p.read("plain.md");
    assert!(!text.contains("\nnotebook:") && !text.contains("\ncell:"), "{text}");
    // A bad value is a usage error on the command line, and writes nothing.
    for (args, code, place) in [
        (["--cell", "-3"], "new::bad-cell", "command line:1:29"),
        (["--cell", "2.5"], "new::bad-cell", "command line:1:29"),
        (["--cell", "99999999999"], "new::bad-cell", "command line:1:29"),
        (["--notebook", ""], "new::bad-notebook", "command line:1:34"),
    ] {
        let run = p.run(&["new", "bad-one", args[0], args[1]]);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.starts_with(&format!("error[{code}]")), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(place), "{args:?}: {}", run.stderr);
        assert!(!p.exists("bad-one.md"), "{args:?}");
    }
}

#[test]
fn completions_are_printed_for_each_shell() {
    let p = Project::empty();
    for (shell, marker) in [("bash", "_nbrender()"), ("zsh", "#compdef nbrender"), ("fish", "complete -c nbrender")] {
        let run = p.run(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        assert!(run.stdout.contains(marker), "{shell}");
        assert!(run.stdout.contains("check") && run.stdout.contains("chart"), "{shell} completes the subcommands");
    }
    assert_eq!(p.run(&["completions", "tcsh"]).code, 2);
}

// ---------------------------------------------------------------- warnings

#[test]
fn warnings_never_stop_a_build_and_strict_checks_count_them() {
    let p = Project::empty();
    p.write("notebooks/data/rows.csv", "a,b\n1,2\n");
    p.write("notebooks/nb.md", "---\ntitle: T\ndata:\n  rows: data/rows.csv\n---\nText.\n");
    let run = p.run(&["notebooks/", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("warning[notebook::unused-input]: `rows` is declared under `data:`"),
        "{}",
        run.stderr
    );
    assert!(p.exists("out/nb/index.html"), "a warning stopped the build");
    let run = p.run(&["check", "notebooks/"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.trim_end().ends_with(": 1 warning"), "{}", run.stderr);
    let run = p.run(&["check", "--format", "json", "notebooks/"]);
    assert_eq!(run.code, 0);
    let line: serde_json::Value = serde_json::from_str(run.stdout.trim()).expect("one JSON line");
    assert_eq!(
        (line["severity"].as_str(), line["line"].as_u64(), line["column"].as_u64()),
        (Some("warning"), Some(4), Some(3))
    );
    let run = p.run(&["check", "--strict", "--format", "json", "notebooks/"]);
    assert_eq!(run.code, 1, "--strict counts the warning");
    // A build that fails for another reason still says what it would have warned about.
    p.write("notebooks/nb.md", "---\ntitle: T\ndata:\n  rows: data/rows.csv\n---\n```{rhai}\nlet x = nope;\n```\n");
    for args in [&["notebooks/", "-o", "out2"][..], &["check", "notebooks/"]] {
        let run = p.run(args);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(run.stderr.contains("error[exec::undefined-variable]"), "{}", run.stderr);
        assert!(run.stderr.contains("warning[notebook::unused-input]"), "{}", run.stderr);
        assert!(run.stderr.contains("error: 1 error found"), "the warning is not counted as an error: {}", run.stderr);
    }
}
