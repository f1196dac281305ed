//! Input files built to hang or stall a build: pipes and devices where files should be,
//! YAML nested or aliased past reason, CSV headers of a hundred thousand columns. Each is
//! refused with an error at its place, fast; none may hang (a run past its time is killed).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::Project;

/// How a run ended.
struct Ended {
    code: i32,
    stderr: String,
    /// Peak resident memory of the child, in MiB.
    peak: f64,
}

/// Runs `nbrender ARGS` in the project (through Python, which reads the child's peak memory
/// from `resource`), killing it after `limit`.
fn run_within(p: &Project, args: &[&str], limit: Duration) -> Ended {
    let script = "import resource, subprocess, sys\n\
                  p = subprocess.Popen(sys.argv[3:], stdout=subprocess.DEVNULL, stderr=open(sys.argv[2], 'w'))\n\
                  try:\n    code = p.wait(timeout=float(sys.argv[1]))\n\
                  except subprocess.TimeoutExpired:\n    p.kill(); p.wait(); code = 'timeout'\n\
                  print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(limit.as_secs_f64().to_string())
        .arg(p.path("stderr.txt"))
        .arg(env!("CARGO_BIN_EXE_nbrender"))
        .args(args)
        .current_dir(p.dir.path())
        .env("NO_COLOR", "1")
        .stderr(Stdio::inherit())
        .output()
        .expect("python3 runs nbrender");
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    let (code, kib) = report.trim().split_once(' ').expect("python3 reports");
    assert_ne!(code, "timeout", "nbrender {args:?} was still running after {limit:?}");
    let peak = kib.parse::<f64>().unwrap() / 1024.0;
    Ended { code: code.parse().unwrap(), stderr: p.read("stderr.txt"), peak }
}

#[cfg(unix)]
fn mkfifo(p: &Project, rel: &str) {
    let path = p.path(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    assert!(Command::new("mkfifo").arg(&path).status().unwrap().success(), "mkfifo {rel}");
}

#[cfg(unix)]
#[test]
fn a_pipe_or_a_device_given_as_data_is_refused_at_its_entry() {
    let p = Project::empty();
    mkfifo(&p, "notebooks/data/pipe.csv");
    std::os::unix::fs::symlink("/dev/zero", p.path("notebooks/data/zero.csv")).unwrap();
    p.write(
        "notebooks/a.md",
        "---\ntitle: A\ndata:\n  pipe: data/pipe.csv\n  zero: data/zero.csv\n---\n```{rhai}\npipe.len()\n```\n",
    );
    let Ended { code, stderr, .. } = run_within(&p, &["notebooks/", "-o", "out"], Duration::from_secs(30));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("data file `data/pipe.csv` is not a regular file: it is a named pipe (FIFO)"), "{stderr}");
    assert!(stderr.contains("notebooks/a.md:4"), "at the `pipe:` entry: {stderr}");
    assert!(stderr.contains("data path `data/zero.csv` is a symbolic link to `/dev/zero`, outside"), "{stderr}");
    assert!(stderr.contains("notebooks/a.md:5"), "at the `zero:` entry: {stderr}");
}

#[cfg(unix)]
#[test]
fn a_pipe_named_like_a_notebook_or_the_site_settings_is_refused_not_waited_for() {
    let p = Project::empty();
    p.write("notebooks/a.md", "---\ntitle: A\n---\nText.\n");
    mkfifo(&p, "notebooks/b.md");
    let Ended { code, stderr, .. } = run_within(&p, &["notebooks/", "-o", "out"], Duration::from_secs(30));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("`notebooks/b.md` is not a regular file: it is a named pipe (FIFO)"), "{stderr}");

    std::fs::remove_file(p.path("notebooks/b.md")).unwrap();
    mkfifo(&p, "notebooks/_site.yaml");
    let Ended { code, stderr, .. } = run_within(&p, &["notebooks/", "-o", "out"], Duration::from_secs(30));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("_site.yaml` is not a regular file: it is a named pipe (FIFO)"), "{stderr}");
}

/// `x: [[[…]]]`, 100,000 deep: a 200 KB text libyaml takes minutes to parse.
fn brackets(n: usize) -> String {
    format!("{}{}", "[".repeat(n), "]".repeat(n))
}

#[test]
fn yaml_nested_too_deep_is_refused_where_it_goes_too_deep_in_every_yaml_file() {
    let p = Project::empty();
    p.write("notebooks/a.md", &format!("---\ntitle: A\nx: {}\n---\nText.\n", brackets(100_000)));
    let run = run_within(&p, &["notebooks/", "-o", "out"], Duration::from_secs(30));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("error[frontmatter::yaml]: invalid frontmatter: lists and maps nested more than 64 deep")
    );
    assert!(run.stderr.contains("notebooks/a.md:3:67"), "at the 64th `[`: {}", run.stderr);

    p.write("notebooks/a.md", "---\ntitle: A\n---\nText.\n");
    p.write("notebooks/_site.yaml", &format!("title: T\ngroups: {}\n", brackets(100_000)));
    let run = run_within(&p, &["notebooks/", "-o", "out"], Duration::from_secs(30));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("invalid `_site.yaml`: lists and maps nested more than 64 deep"), "{}", run.stderr);
    assert!(run.stderr.contains("_site.yaml:2:72"), "{}", run.stderr);

    std::fs::remove_file(p.path("notebooks/_site.yaml")).unwrap();
    p.write("notebooks/data/t.yaml", &format!("- {}\n", brackets(100_000)));
    p.write("notebooks/a.md", "---\ntitle: A\ndata:\n  t: data/t.yaml\n---\nText.\n");
    let run = run_within(&p, &["notebooks/", "-o", "out"], Duration::from_secs(30));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("in `data/t.yaml`: invalid YAML at line 1 column 66: lists and maps nested more than 64 deep"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("notebooks/a.md:4"), "{}", run.stderr);
}

/// Builds the project's notebooks with the given frontmatter, expecting `code` (1: refused with
/// `message`) within 30 seconds and 100 MiB.
fn frontmatter_ends(p: &Project, yaml: &str, code: i32, message: &str) {
    p.write("notebooks/a.md", &format!("---\ntitle: A\n{yaml}---\nText.\n"));
    let run = run_within(p, &["notebooks/", "-o", "out"], Duration::from_secs(30));
    let stderr = &run.stderr[..run.stderr.len().min(2000)];
    assert_eq!(run.code, code, "{stderr}");
    assert!(stderr.contains(message), "expected {message:?}: {stderr}");
    assert!(run.peak < 100.0, "peak {:.0} MiB", run.peak);
}

#[test]
fn yaml_bombs_finish_fast_in_bounded_memory() {
    let p = Project::empty();
    // A list repeated through an alias by a list of aliases: 20 KB that serde_yaml expands
    // to 16 million values (5 GB).
    let n = 4_000;
    let aliases = format!("params:\n  a: &a [{}1]\n  b: [{}*a]\n", "1,".repeat(n), "*a,".repeat(n));
    frontmatter_ends(&p, &aliases, 1, "more than 100,000 values");
    // The classic billion laughs: serde_yaml's own repetition limit stops it.
    let mut laughs = String::from("params:\n  a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(",");
        laughs.push_str(&format!("  a{i}: &a{i} [{refs}]\n"));
    }
    frontmatter_ends(&p, &laughs, 1, "invalid frontmatter");
    // A megabyte of `- - - -`: a list in a list, 500,000 deep.
    let dashes = format!("params:\n  x:\n    {}1\n", "- ".repeat(500_000));
    frontmatter_ends(&p, &dashes, 1, "lists and maps nested more than 64 deep");
    // Maps nested by indentation, and a key of a megabyte: refused for its depth, and fine.
    let indented: String = (0..1_000).map(|i| format!("{}a{i}:\n", "  ".repeat(i + 1))).collect();
    frontmatter_ends(&p, &format!("params:\n{indented}"), 1, "lists and maps nested more than 64 deep");
    // (A plain key of more than 1,024 characters is not a key to YAML: write it as `? key`.)
    frontmatter_ends(&p, &format!("params:\n  ? {}\n  : 1\n", "k".repeat(1 << 20)), 0, "");
}

/// A notebook with 50,000 mistakes has every one reported, each with its code frame, without
/// the report taking time quadratic in them (it took over a minute when each diagnostic
/// indexed the whole file again).
#[test]
fn fifty_thousand_mistakes_are_all_reported_promptly() {
    let p = Project::empty();
    let keys: String = (0..50_000).map(|i| format!("unknown{i}: v\n")).collect();
    p.write("notebooks/a.md", &format!("---\ntitle: A\n{keys}---\nWords.\n"));
    let Ended { code, stderr, .. } = run_within(&p, &["notebooks/", "-o", "out"], Duration::from_secs(30));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("50000 errors found; nothing was written"),
        "{}",
        &stderr[stderr.len().saturating_sub(300)..]
    );
    assert!(stderr.contains("50002 │ unknown49999: v"), "the last mistake's frame is missing");
}
