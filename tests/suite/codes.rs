//! Every diagnostic code a writer can cause has a fixture, and the fixture's output shows the
//! code with a place: file, line and column, and the line with the mistake marked.
//!
//! Fixtures are the notebooks of `tests/fixtures/errors/` (one mistake each, built as a site)
//! and the folders of `tests/fixtures/codes/`: each is named after its code (`site--cycle`
//! is `site::cycle`), holds the files of a project and an `args` file with the command's
//! arguments, one a line. The output of each `codes` fixture is a snapshot.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use common::Project;
use nbrender::diag::{Cause, Code};

/// The codes an output shows with a place: each `error[code]` or `warning[code]` line
/// followed by a `┌─ file:line:column` line.
fn placed_codes(output: &str) -> Vec<String> {
    let lines: Vec<&str> = output.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line.strip_prefix("error[").or_else(|| line.strip_prefix("warning[")) else { continue };
        let Some((code, _)) = rest.split_once(']') else { continue };
        let placed = lines.get(i + 1).is_some_and(|next| {
            next.trim_start()
                .strip_prefix("┌─ ")
                .is_some_and(|at| at.rsplit(':').take(2).all(|n| n.parse::<usize>().is_ok()))
        });
        if placed {
            found.push(code.to_string());
        }
    }
    found
}

/// Runs a `codes` fixture folder; returns its exit code and what it printed.
fn run_fixture(dir: &Path) -> (i32, String) {
    let p = Project::empty();
    common::copy_dir(dir, p.dir.path());
    let args = std::fs::read_to_string(dir.join("args")).expect("an args file");
    let args: Vec<&str> = args.lines().collect();
    let run = p.run(&args);
    (run.code, format!("{}{}", run.stdout, run.stderr))
}

#[test]
fn every_code_a_writer_can_cause_is_shown_at_its_place() {
    let mut shown: BTreeMap<String, String> = BTreeMap::new();
    insta::glob!("../fixtures", "codes/*/args", |args| {
        let dir = args.parent().unwrap();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let code = name.replacen("--", "::", 1);
        let (exit, output) = run_fixture(dir);
        assert!(exit == 1 || exit == 2, "{name}: exit {exit}\n{output}");
        assert!(!output.contains("panicked"), "{name} panicked:\n{output}");
        let placed = placed_codes(&output);
        assert!(placed.contains(&code), "{name} does not show `{code}` with a place:\n{output}");
        for c in placed {
            shown.entry(c).or_insert_with(|| name.clone());
        }
        insta::assert_snapshot!(output);
    });
    // The single-mistake notebooks of the errors fixture, built as a site.
    let errors = common::crate_path("tests/fixtures/errors");
    for entry in std::fs::read_dir(&errors).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let p = Project::empty();
        common::copy_dir(&errors.join("data"), &p.path("notebooks/data"));
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::copy(&path, p.path(&format!("notebooks/{name}"))).unwrap();
        let run = p.run(&["check", "notebooks/"]);
        for c in placed_codes(&run.stderr) {
            shown.entry(c).or_insert_with(|| name.clone());
        }
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| c.cause() == Cause::Input)
        .map(|c| c.as_str())
        .filter(|c| !shown.contains_key(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "no fixture shows these codes with a place: {missing:?}\n(add a folder to tests/fixtures/codes/)"
    );
    let unknown: Vec<&String> = shown.keys().filter(|c| !Code::ALL.iter().any(|k| k.as_str() == c.as_str())).collect();
    assert!(unknown.is_empty(), "codes shown that the registry does not have: {unknown:?}");
}

#[test]
fn codes_only_the_system_can_raise_are_the_ones_listed() {
    // These are reported for what the machine did (a file that cannot be read or written, a
    // path that does not exist) or for a fault of nbrender; no notebook can cause them.
    let system: Vec<&str> = Code::ALL.iter().filter(|c| c.cause() == Cause::System).map(|c| c.as_str()).collect();
    assert_eq!(system, ["exec::input", "io::not-found", "io::read", "io::write", "internal"]);
}
