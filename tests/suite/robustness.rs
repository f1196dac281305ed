//! Broken input never panics: mutated notebooks give a page or diagnostics, nothing else.
//! A deterministic stand-in for the fuzzing to come (cargo-fuzz needs nightly).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use nbrender::site::{BuildOptions, Silent, build};

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "```",
    "```{rhai}",
    "//| ",
    "#| ",
    "---",
    "\n",
    "@sec-",
    "@fig-",
    "[^",
    "]:",
    "results(\"",
    "band(",
    ")",
    "#{",
    "}",
    "[",
    "]",
    "|",
    "money_band",
    "\"",
    "'",
    "\\",
    "é",
    "\u{0}",
    "## ",
    "### ",
    ": caption {#tbl-x}",
    "label: fig-",
    "let ",
    ";",
    "/",
    "*",
    "<script>",
    "&",
    "\t",
    "\r\n",
];

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + rng.below(6) {
        let at = rng.below(chars.len() + 1);
        match rng.below(3) {
            0 if !chars.is_empty() => {
                let end = (at + 1 + rng.below(20)).min(chars.len());
                chars.drain(at.min(end)..end);
            }
            1 => {
                let piece = PIECES[rng.below(PIECES.len())];
                for (i, c) in piece.chars().enumerate() {
                    chars.insert((at + i).min(chars.len()), c);
                }
            }
            _ => {
                if let Some(c) = chars.get_mut(at) {
                    *c = char::from_u32(32 + rng.below(96) as u32).unwrap_or('x');
                }
            }
        }
    }
    chars.into_iter().collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn mutated_notebooks_give_a_page_or_diagnostics_never_a_panic() {
    for (fixture, file, seed) in [
        ("tests/fixtures/pages/features", "features.md", 0x9E37_79B9_7F4A_7C15),
        ("notebooks", "mlops.md", 0xD1B5_4A32_D192_ED03),
    ] {
        fuzz(fixture, file, seed, 300);
    }
}

fn fuzz(fixture: &str, file: &str, seed: u64, rounds: usize) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture);
    let original = std::fs::read_to_string(fixture.join(file)).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let notebooks = tmp.path().join("notebooks");
    copy_dir(&fixture, &notebooks);
    let mut rng = Rng(seed);
    let (mut pages, mut failures) = (0, 0);
    for round in 0..rounds {
        let text = mutate(&mut rng, &original);
        std::fs::write(notebooks.join(file), &text).unwrap();
        let opts = BuildOptions { out: tmp.path().join(format!("out{}", round % 2)), ..BuildOptions::default() };
        let outcome = std::panic::catch_unwind(|| build(&notebooks.join(file), &opts, &Silent));
        match outcome {
            Ok(Ok(_)) => pages += 1,
            Ok(Err(failure)) => {
                assert!(!failure.diagnostics.is_empty(), "{file} round {round}: a failure without diagnostics");
                assert!(
                    failure.diagnostics.iter().all(|d| d.code != "internal"),
                    "{file} round {round}: internal error for:\n{text}\n{:?}",
                    failure.diagnostics
                );
                let shown = nbrender::diag::render(&failure.diagnostics, false);
                assert!(shown.contains("error["), "{file} round {round}: {shown}");
                failures += 1;
            }
            Err(_) => panic!("{file} round {round}: nbrender panicked on:\n{text}"),
        }
    }
    // Both outcomes must occur, or the mutations are not exercising anything.
    assert!(pages > 10 && failures > 10, "{file}: pages {pages}, failures {failures}");
}

/// Every file under `dir`, relative and sorted, with its bytes.
fn tree(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push((path.strip_prefix(root).unwrap().to_path_buf(), std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn killing_a_build_leaves_the_previous_site_whole() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pages/features");
    let tmp = tempfile::tempdir().unwrap();
    let notebooks = tmp.path().join("notebooks");
    copy_dir(&fixture, &notebooks);
    // Enough pages that a build takes a while: copies of the feature page under other slugs.
    let page = std::fs::read_to_string(notebooks.join("features.md")).unwrap();
    for i in 0..120 {
        let copy = page.replacen("prefix: ft", &format!("prefix: ft\nslug: copy-{i}"), 1);
        std::fs::write(notebooks.join(format!("copy-{i}.md")), copy).unwrap();
    }
    let bin = env!("CARGO_BIN_EXE_nbrender");
    let out = tmp.path().join("out");
    let build = || {
        let mut command = std::process::Command::new(bin);
        command.arg(&notebooks).arg("-o").arg(&out).arg("-q");
        command
    };
    assert!(build().status().unwrap().success());
    let before = tree(&out);

    // The next build would change every page; kill it at different moments.
    std::fs::write(notebooks.join("other.md"), "---\ntitle: Changed title\n---\nChanged.\n").unwrap();
    let mut changed_at_least_once = false;
    for delay_ms in [5, 20, 40, 80, 120, 200, 400, 800] {
        let mut child = build().spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let now = tree(&out);
        if now != before {
            // The swap happened before the kill: the new site, whole.
            changed_at_least_once = true;
            assert!(out.join("other/index.html").is_file());
            assert!(
                String::from_utf8_lossy(&std::fs::read(out.join("other/index.html")).unwrap())
                    .contains("Changed title")
            );
            assert_eq!(now.len(), before.len(), "killed at {delay_ms} ms: a partial site");
            break;
        }
    }
    // A build after the kills succeeds and cleans up the staging folders they left; what stays
    // beside the output is the output it replaced, kept for the next build.
    assert!(build().status().unwrap().success());
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("nbrender-") && n != ".out.nbrender-previous" && n != ".out.nbrender-manifest")
        .collect();
    assert!(leftovers.is_empty(), "staging left behind: {leftovers:?}");
    // Not asserted: whether the swap came before some kill depends on the machine's speed.
    let _ = changed_at_least_once;
}

/// Where the file system cannot exchange two folders atomically, the swap is two renames, and a
/// kill between them leaves the previous site only under `.out.nbrender-old-PID`. The next
/// build, even one that fails, puts it back first, and says so.
#[test]
fn a_kill_between_the_two_renames_is_repaired_by_the_next_build() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/site/basic");
    let tmp = tempfile::tempdir().unwrap();
    let notebooks = tmp.path().join("notebooks");
    copy_dir(&fixture, &notebooks);
    let out = tmp.path().join("out");
    let build = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_nbrender"))
            .arg(&notebooks)
            .arg("-o")
            .arg(&out)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    assert!(build().status.success());
    let before = tree(&out);
    // The state a kill between the renames leaves: the old site moved aside by a process
    // that is gone (no process has this id: it is above the kernel's limit).
    let aside = tmp.path().join(".out.nbrender-old-999999999");
    std::fs::rename(&out, &aside).unwrap();
    // A build that fails still restores the site first.
    let base = std::fs::read_to_string(notebooks.join("base.md")).unwrap();
    std::fs::write(notebooks.join("base.md"), base.replace("{{ band_all | money_band }}", "{{ nope }}")).unwrap();
    let failed = build();
    assert_eq!(failed.status.code(), Some(1));
    let said = String::from_utf8_lossy(&failed.stderr);
    assert!(said.contains("restored"), "{said}");
    assert!(said.contains("1 error found"), "the restore is not counted as an error: {said}");
    assert_eq!(tree(&out), before, "the previous site is back");
    assert!(!aside.exists());
    std::fs::write(notebooks.join("base.md"), base).unwrap();
    let fixed = build();
    assert!(fixed.status.success(), "{}", String::from_utf8_lossy(&fixed.stderr));
    assert_eq!(tree(&out), before);
}
