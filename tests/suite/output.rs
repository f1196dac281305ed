//! Where a build writes, and what it publishes: never through a link, never outside the output
//! folder, never from outside the notebooks or theme folder, and never without an output at all.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Project, tree};

/// The hidden `.NAME.nbrender-…` folders in `dir`, except the kept previous output.
fn staging_left(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.contains(".nbrender-") && !n.ends_with(".nbrender-previous") && !n.ends_with(".nbrender-manifest")
        })
        .collect()
}

/// A folder outside the project's output, with a file nbrender must never touch.
fn precious(p: &Project, name: &str) -> std::path::PathBuf {
    let dir = p.path(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("style.css"), "precious").unwrap();
    std::fs::write(dir.join("index.html"), "precious").unwrap();
    dir
}

#[test]
fn a_one_page_build_never_writes_through_a_link_in_the_output() {
    let p = Project::with_notebooks("tests/fixtures/site/basic");
    assert_eq!(p.run(&["notebooks/", "-o", "out", "-q"]).code, 0);
    for folder in ["assets", "base"] {
        let elsewhere = precious(&p, &format!("elsewhere-{folder}"));
        let before = tree(&elsewhere);
        std::fs::remove_dir_all(p.path(&format!("out/{folder}"))).unwrap();
        std::os::unix::fs::symlink(&elsewhere, p.path(&format!("out/{folder}"))).unwrap();
        let run = p.run(&["notebooks/base.md", "-o", "out"]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(run.stderr.contains("error[io::write]") && run.stderr.contains("symbolic link"), "{}", run.stderr);
        assert!(run.stderr.contains(&format!("out/{folder}")), "{}", run.stderr);
        assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
        assert_eq!(tree(&elsewhere), before, "written through `out/{folder}`");
        std::fs::remove_file(p.path(&format!("out/{folder}"))).unwrap();
        assert_eq!(p.run(&["notebooks/", "-o", "out", "-q"]).code, 0);
    }
}

#[test]
fn an_output_link_given_with_a_trailing_slash_is_refused_and_nothing_is_left() {
    let p = Project::with_notebooks("tests/fixtures/site/basic");
    assert_eq!(p.run(&["notebooks/", "-o", "real", "-q"]).code, 0);
    std::os::unix::fs::symlink(p.path("real"), p.path("link")).unwrap();
    let before = tree(&p.path("real"));
    for args in [&["notebooks/", "-o", "link/"][..], &["notebooks/base.md", "-o", "link/"]] {
        let run = p.run(args);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(run.stderr.contains("error[io::write]") && run.stderr.contains("symbolic link"), "{}", run.stderr);
        assert!(run.stderr.contains("hint:"), "{}", run.stderr);
        assert!(staging_left(p.dir.path()).is_empty(), "{:?}", staging_left(p.dir.path()));
        assert_eq!(tree(&p.path("real")), before);
    }
}

/// Runs the binary in `dir`.
fn run_in(dir: &Path, args: &[&str]) -> (i32, String) {
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_nbrender"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (run.status.code().unwrap_or(-1), String::from_utf8_lossy(&run.stderr).into_owned())
}

#[test]
fn the_current_folder_or_the_notebooks_folder_is_refused_as_output() {
    let p = Project::with_notebooks("tests/fixtures/site/basic");
    // The worst case: each folder carries nbrender's marker, so only this check stands between
    // a site build and replacing the folder whole.
    std::fs::write(p.path(".nbrender"), "").unwrap();
    std::fs::write(p.path("notebooks/.nbrender"), "").unwrap();
    let notebooks = tree(&p.path("notebooks"));
    let cases: [(&str, &[&str]); 6] = [
        ("", &["notebooks/", "-o", "."]),
        ("", &["notebooks/base.md", "-o", "./"]),
        ("", &["notebooks/", "-o", "notebooks/"]),
        ("", &["notebooks/", "-o", "notebooks/data/.."]),
        ("notebooks", &[".", "-o", "."]),
        ("notebooks/data", &["..", "-o", "../.."]),
    ];
    for (cwd, args) in cases {
        let (code, stderr) = run_in(&p.path(cwd), args);
        assert_eq!(code, 1, "{args:?} in {cwd:?}: {stderr}");
        assert!(stderr.contains("error[io::write]") && stderr.contains("hint:"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Device or resource busy"), "{args:?}: {stderr}");
        for dir in ["", "notebooks", "notebooks/data"] {
            assert!(staging_left(&p.path(dir)).is_empty(), "{args:?}: {:?}", staging_left(&p.path(dir)));
        }
        assert_eq!(tree(&p.path("notebooks")), notebooks, "{args:?} changed the notebooks");
    }
    // Inside an output folder nbrender made, `-o .` is that folder but also the current one.
    assert_eq!(p.run(&["notebooks/", "-o", "out", "-q"]).code, 0);
    let before = tree(&p.path("out"));
    let (code, stderr) = run_in(&p.path("out"), &["../notebooks/", "-o", "."]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("error[io::write]") && stderr.contains("current folder"), "{stderr}");
    assert!(staging_left(&p.path("out")).is_empty() && staging_left(p.dir.path()).is_empty());
    assert_eq!(tree(&p.path("out")), before);
}
#[test]
fn a_theme_named_in_site_yaml_stays_inside_the_notebooks_folder() {
    let p = Project::with_notebooks("tests/fixtures/site/basic");
    p.write("secret/id_rsa", "SECRET KEY");
    let site = p.read("notebooks/_site.yaml");
    for theme in ["../secret", &p.path("secret").display().to_string()] {
        p.write("notebooks/_site.yaml", &format!("{site}theme: {theme}\n"));
        let run = p.run(&["notebooks/", "-o", "out"]);
        assert_eq!(run.code, 1, "theme: {theme}: {}", run.stderr);
        assert!(run.stderr.contains("error[site::config]"), "{}", run.stderr);
        assert!(run.stderr.contains("_site.yaml:6:"), "at the `theme:` line: {}", run.stderr);
        assert!(!p.exists("out"));
    }
    // A theme folder inside, whose file links out of it.
    p.write("notebooks/mytheme/style.css", "body{}");
    std::os::unix::fs::symlink(p.path("secret/id_rsa"), p.path("notebooks/mytheme/id_rsa")).unwrap();
    p.write("notebooks/_site.yaml", &format!("{site}theme: mytheme\n"));
    let run = p.run(&["notebooks/", "-o", "out"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("error[theme::load]") && run.stderr.contains("id_rsa"), "{}", run.stderr);
    assert!(!p.exists("out"));
    std::fs::remove_file(p.path("notebooks/mytheme/id_rsa")).unwrap();
    assert_eq!(p.run(&["notebooks/", "-o", "out", "-q"]).code, 0);
    assert_eq!(p.read("out/assets/style.css"), "body{}");
}

#[test]
fn the_command_line_theme_may_be_anywhere_but_its_links_out_are_refused() {
    let p = Project::with_notebooks("tests/fixtures/site/basic");
    p.write("elsewhere/theme/style.css", "body{}");
    p.write("secret/id_rsa", "SECRET KEY");
    assert_eq!(p.run(&["notebooks/", "-o", "out", "-q", "--theme", "elsewhere/theme"]).code, 0);
    assert_eq!(p.read("out/assets/style.css"), "body{}");
    std::os::unix::fs::symlink(p.path("secret/id_rsa"), p.path("elsewhere/theme/id_rsa")).unwrap();
    let run = p.run(&["notebooks/", "-o", "out2", "--theme", "elsewhere/theme"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("error[theme::load]") && run.stderr.contains("id_rsa"), "{}", run.stderr);
    assert!(!p.exists("out2"));
}

#[test]
fn a_runaway_theme_template_stops_the_build() {
    let p = Project::with_notebooks("tests/fixtures/site/basic");
    p.write(
        "theme/page.html",
        "{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{{ j }}{% endfor %}{% endfor %}",
    );
    let started = Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_nbrender"))
        .args(["notebooks/", "-o", "out", "--theme", "theme"])
        .current_dir(p.dir.path())
        .env("NO_COLOR", "1")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the runaway template was not stopped within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let run = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error[theme::render]") && stderr.contains("page.html"), "{stderr}");
    assert!(stderr.contains("theme_fuel"), "{stderr}");
}
