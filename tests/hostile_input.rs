//! Input files built to hang or stall a build: pipes and devices where files should be,
//! YAML nested or aliased past reason, CSV headers of a hundred thousand columns. Each is
//! refused with an error at its place, fast; none may hang (a run past its time is killed).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Project;

/// Runs `nbrender ARGS` in the project, killing it after `limit`: its exit code, its stderr
/// and how long it took.
fn run_within(p: &Project, args: &[&str], limit: Duration) -> (i32, String, Duration) {
    let stderr = std::fs::File::create(p.path("stderr.txt")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_nbrender"))
        .args(args)
        .current_dir(p.dir.path())
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("run nbrender");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("nbrender {args:?} was still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status.code().unwrap_or(-1), p.read("stderr.txt"), started.elapsed())
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
    let (code, stderr, _) = run_within(&p, &["notebooks/", "-o", "out"], Duration::from_secs(30));
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
    let (code, stderr, _) = run_within(&p, &["notebooks/", "-o", "out"], Duration::from_secs(30));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("`notebooks/b.md` is not a regular file: it is a named pipe (FIFO)"), "{stderr}");

    std::fs::remove_file(p.path("notebooks/b.md")).unwrap();
    mkfifo(&p, "notebooks/_site.yaml");
    let (code, stderr, _) = run_within(&p, &["notebooks/", "-o", "out"], Duration::from_secs(30));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("_site.yaml` is not a regular file: it is a named pipe (FIFO)"), "{stderr}");
}
