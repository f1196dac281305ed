//! `nbrender diff`, run as a user runs it: on the output folders of `tests/fixtures/diff/`
//! (`old/`, `new/` and `same/`, each with the hidden manifest folder a build writes beside it),
//! and on manifests the tests write. Exit codes as diff(1)'s: 0 nothing changed, 1 something
//! did, 2 trouble.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{self, Project};

/// A project holding the output folders of `tests/fixtures/diff/`.
fn outputs() -> Project {
    let p = Project::empty();
    common::copy_dir(&common::crate_path("tests/fixtures/diff"), p.dir.path());
    p
}

/// One page's manifest with one lede figure.
fn manifest(slug: &str, text: &str, context: &str) -> String {
    let doc = serde_json::json!({
        "version": 1,
        "page": slug,
        "title": "T",
        "notebook": format!("{slug}.md"),
        "figures": [{
            "key": "lede/x",
            "place": {"kind": "lede"},
            "expression": "x",
            "at": format!("{slug}.md:3"),
            "value": text,
            "text": text,
            "context": context,
        }],
    });
    serde_json::to_string_pretty(&doc).unwrap() + "\n"
}

#[test]
fn a_rebuild_with_the_same_figures_prints_that_none_changed_and_exits_0() {
    let p = outputs();
    // `same/` moved every line, reworded the words around the figures and retitled a page.
    for format in ["text", "markdown"] {
        let run = p.run(&["diff", "old", "same", "--format", format]);
        assert_eq!(run.code, 0, "{format}: {}", run.stderr);
        assert_eq!(run.stdout, "no published figure changed\n");
        assert_eq!(run.stderr, "");
    }
    let run = p.run(&["diff", "old", "same", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["changed"], false);
    assert_eq!(doc["pages"], serde_json::json!([]));
}

#[test]
fn changed_figures_exit_1_and_are_said_in_each_format() {
    let p = outputs();
    for format in ["text", "json", "markdown"] {
        let run = p.run(&["diff", "old", "new", "--format", format]);
        assert_eq!(run.code, 1, "{format}: {}", run.stderr);
        assert_eq!(run.stderr, "", "{format}");
        insta::assert_snapshot!(format!("old_new_{format}"), run.stdout);
    }
    // Text is the default format.
    assert_eq!(p.run(&["diff", "old", "new"]).stdout, p.run(&["diff", "old", "new", "--format", "text"]).stdout);
}

#[test]
fn an_output_folder_its_manifest_folder_and_a_copy_of_it_are_read_alike() {
    let p = outputs();
    let expected = p.run(&["diff", "old", "new"]).stdout;
    for (old, new) in
        [("old/", "new/."), (".old.nbrender-manifest", ".new.nbrender-manifest/"), ("old", ".new.nbrender-manifest")]
    {
        let run = p.run(&["diff", old, new]);
        assert_eq!((run.code, &run.stdout), (1, &expected), "{old} {new}: {}", run.stderr);
    }
    // A manifest folder copied elsewhere under any name, as a CI artifact is.
    common::copy_dir(&p.path(".old.nbrender-manifest"), &p.path("artifacts/live-manifest"));
    let run = p.run(&["diff", "artifacts/live-manifest", "new"]);
    assert_eq!((run.code, &run.stdout), (1, &expected), "{}", run.stderr);
}

#[test]
fn one_page_manifest_against_another() {
    let p = outputs();
    let run =
        p.run(&["diff", ".old.nbrender-manifest/mlops-engineer.json", ".new.nbrender-manifest/mlops-engineer.json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.starts_with("mlops-engineer — MLOps Engineer Salary\n"), "{}", run.stdout);
    assert!(!run.stdout.contains("llm-engineer"), "{}", run.stdout);
    let run = p.run(&["diff", ".old.nbrender-manifest/about.json", ".new.nbrender-manifest/about.json"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "no published figure changed\n"), "{}", run.stderr);
}

#[test]
fn trouble_exits_2_with_nothing_on_stdout() {
    let p = outputs();
    p.write("broken/.nbrender", "");
    p.write("broken/assets/style.css", "");
    p.write(".broken.nbrender-manifest/.nbrender", "");
    p.write(".broken.nbrender-manifest/a.json", "{\"version\": 1,\n \"page\": }\n");
    let cases: [&[&str]; 9] = [
        &["diff", "old", "missing"],
        &["diff", "old", "broken", "--format", "json"],
        &["diff", "old", "new", "--format", "html"],
        &["diff", "old", "new", "-o", "x"],
        &["diff", "old", "new", "extra"],
        &["diff"],
        // Alone, an output folder is not the notebooks folder to build.
        &["diff", "old"],
        &["diff", ".old.nbrender-manifest/about.json"],
        // Alone, a notebooks folder, but no live output to compare its build with.
        &["diff", "notebooks", "-o", "nowhere"],
    ];
    for args in cases {
        let run = p.run(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(!run.stderr.contains("panicked"), "{args:?}: {}", run.stderr);
    }
    let run = p.run(&["diff", "old", "broken"]);
    assert!(
        run.stderr
            .contains("error[diff::bad-manifest]: invalid manifest `.broken.nbrender-manifest/a.json`: expected value"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(".broken.nbrender-manifest/a.json:2:10"), "{}", run.stderr);
    assert!(run.stderr.ends_with("error: 1 error found; nothing was compared\n"), "{}", run.stderr);
    // Both sides' errors at once.
    let run = p.run(&["diff", "missing", "broken"]);
    assert!(run.stderr.contains("error: 2 errors found; nothing was compared"), "{}", run.stderr);
    let run = p.run(&["diff", "notebooks", "-o", "nowhere"]);
    assert!(
        run.stderr.contains("error[diff::no-manifest]: no output folder `nowhere` to compare with"),
        "{}",
        run.stderr
    );
    // `--help` is no trouble.
    assert_eq!(p.run(&["diff", "--help"]).code, 0);
}

#[test]
fn a_manifest_of_a_gigabyte_is_refused_unread() {
    let p = Project::empty();
    p.built_output("old", &[("a", &manifest("a", "1", "x"))]);
    p.built_output("new", &[]);
    std::fs::File::create(p.path(".new.nbrender-manifest/a.json")).unwrap().set_len(1 << 30).unwrap();
    let measured = p.run_measured(&["diff", "old", "new"]);
    assert_eq!(measured.run.code, 2, "{}", measured.run.stderr);
    assert!(
        measured.run.stderr.contains("is 1,073,741,824 bytes, over the limit of 67,108,864 bytes"),
        "{}",
        measured.run.stderr
    );
    assert!(measured.peak_mib < 100.0, "read what it should have refused: {} MiB", measured.peak_mib);
}

#[cfg(unix)]
#[test]
fn a_manifest_folder_that_is_a_link_is_refused() {
    let p = Project::empty();
    p.built_output("old", &[("a", &manifest("a", "1", "x"))]);
    p.built_output("elsewhere", &[("a", &manifest("a", "2", "x"))]);
    p.write("new/.nbrender", "");
    p.write("new/assets/style.css", "");
    std::os::unix::fs::symlink(p.path(".elsewhere.nbrender-manifest"), p.path(".new.nbrender-manifest")).unwrap();
    let run = p.run(&["diff", "old", "new"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("error[diff::no-manifest]: `.new.nbrender-manifest` is a symbolic link (it points to"),
        "{}",
        run.stderr
    );
    // A page manifest that is a link (to a secret, say) is not read either.
    std::fs::remove_file(p.path(".new.nbrender-manifest")).unwrap();
    p.built_output("new", &[]);
    p.write("secret.json", "{\"token\": \"hunter2\"}\n");
    std::os::unix::fs::symlink(p.path("secret.json"), p.path(".new.nbrender-manifest/a.json")).unwrap();
    let run = p.run(&["diff", "old", "new"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("is a symbolic link") && !run.stderr.contains("hunter2"), "{}", run.stderr);
}

#[test]
fn json_nested_ten_thousand_deep_is_an_error_at_its_place() {
    let p = Project::empty();
    p.built_output("old", &[("a", &manifest("a", "1", "x"))]);
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    p.built_output(
        "new",
        &[("a", &manifest("a", "1", "x").replace("\"value\": \"1\"", &format!("\"value\": {deep}")))],
    );
    let run = p.run(&["diff", "old", "new"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("recursion limit exceeded"), "{}", run.stderr);
    assert!(run.stderr.contains(".new.nbrender-manifest/a.json:14:"), "{}", run.stderr);
}

#[test]
fn two_manifests_of_one_page_are_refused() {
    let p = Project::empty();
    p.built_output("old", &[("a", &manifest("a", "1", "x")), ("copy", &manifest("a", "2", "x"))]);
    p.built_output("new", &[("a", &manifest("a", "1", "x"))]);
    let run = p.run(&["diff", "old", "new"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("two manifests in `.old.nbrender-manifest` are of the page `a`: `a.json` and `copy.json`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(".old.nbrender-manifest/copy.json:3:11"), "{}", run.stderr);
}

/// Values and words around them that hold Markdown, HTML, mentions and line ends: the
/// Markdown form, rendered as GitHub renders a comment, shows them as they are, each in its
/// cell of the table.
#[test]
fn markdown_shows_values_as_they_are_when_github_renders_it() {
    let nasty = "a | b *c* _d_ <img src=x onerror=alert(1)> [link](https://e.example) `x` ~~s~~ $x$ &amp; @octocat #12\nnext line";
    let p = Project::empty();
    p.built_output("old", &[("a", &manifest("a", "1", "plain"))]);
    p.built_output("new", &[("a", &manifest("a", nasty, nasty))]);
    let run = p.run(&["diff", "old", "new", "--format", "markdown"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let mut options = comrak::Options::default();
    options.extension.table = true;
    options.extension.strikethrough = true;
    options.extension.autolink = true;
    options.extension.math_dollars = true;
    options.render.r#unsafe = true;
    let html = comrak::markdown_to_html(&run.stdout, &options);
    for tag in
        ["<img", ">link</a>", "<em>c", "<del>", "<code>", "data-math", "<br", "href=\"https://github.com/octocat"]
    {
        assert!(!html.contains(tag), "{tag} in\n{html}");
    }
    let row = html.split("<tr>").find(|r| r.contains("<td>changed</td>")).expect("a row for the change");
    assert_eq!(row.matches("<td>").count(), 5, "{row}");
    let shown = "a | b *c* _d_ &lt;img src=x onerror=alert(1)&gt; [link](https://e.example) `x` ~~s~~ $x$ &amp;amp; @\u{200b}octocat #\u{200b}12\\nnext line";
    // A bare web address is still a link, as GitHub makes one anywhere in a comment.
    let row = row.replace("<a href=\"https://e.example\">https://e.example</a>", "https://e.example");
    assert!(row.contains(shown), "{shown}\nnot in\n{row}");
}

/// The form that builds in memory: the live output compared with what the notebooks would
/// publish now.
#[test]
fn a_build_in_memory_is_compared_with_the_live_output() {
    let p = Project::with_notebooks("notebooks");
    let built = p.run(&["notebooks", "-o", "out"]);
    assert_eq!(built.code, 0, "{}", built.stderr);
    let run = p.run(&["diff", "notebooks", "-o", "out"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "no published figure changed\n"), "{}", run.stderr);
    let run = p.run(&["diff", "notebooks/"]);
    assert_eq!(run.code, 0, "`out` is the default: {}", run.stderr);
    // A change of data moves published figures: exit 1, and the markdown names the page.
    let tiers = p.read("notebooks/data/mlops_tiers.yaml");
    // (One the notebooks' own checks accept: the late-stage tier's floor of total pay.)
    p.write("notebooks/data/mlops_tiers.yaml", &tiers.replace("tc_lo: 300000", "tc_lo: 310000"));
    let run = p.run(&["diff", "notebooks", "--format", "markdown"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("#### mlops-engineer: "), "{}", run.stdout);
}
