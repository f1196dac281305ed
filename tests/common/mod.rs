//! The end-to-end harness: copy a fixture folder into a temporary directory, run the real
//! binary there, and read what it wrote.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod cdp;
pub mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Project {
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Project {
    /// An empty project folder.
    pub fn empty() -> Project {
        Project { dir: tempfile::tempdir().expect("temp dir") }
    }

    /// A project whose `notebooks/` folder is a copy of `fixture` (relative to the crate).
    pub fn with_notebooks(fixture: &str) -> Project {
        let p = Project::empty();
        copy_dir(&crate_path(fixture), &p.path("notebooks"));
        p
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path(rel).exists()
    }

    /// Runs `nbrender ARGS` in the project folder.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    /// Runs `nbrender ARGS` with extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let out: Output = Command::new(env!("CARGO_BIN_EXE_nbrender"))
            .args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .output()
            .expect("run nbrender");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// A run with what it cost: peak resident memory in MiB and wall-clock seconds.
pub struct Measured {
    pub run: Run,
    pub peak_mib: f64,
    pub seconds: f64,
}

impl Project {
    /// Runs `nbrender ARGS` in the project folder and measures the child's peak resident
    /// memory (Python's `resource` module reads it after the child exits) and its wall time.
    pub fn run_measured(&self, args: &[&str]) -> Measured {
        let report = self.path("rusage.txt");
        let script = "import resource, subprocess, sys, time\n\
                      t = time.monotonic()\n\
                      r = subprocess.run(sys.argv[2:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n\
                      t = time.monotonic() - t\n\
                      sys.stdout.buffer.write(r.stdout)\n\
                      sys.stderr.buffer.write(r.stderr)\n\
                      rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n\
                      open(sys.argv[1], 'w').write(f'{rss} {t}')\n\
                      sys.exit(r.returncode if r.returncode >= 0 else 128 - r.returncode)\n";
        let out = Command::new("python3")
            .args(["-c", script])
            .arg(&report)
            .arg(env!("CARGO_BIN_EXE_nbrender"))
            .args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .output()
            .expect("python3 runs nbrender");
        let text = std::fs::read_to_string(&report).expect("the measurement");
        let (kib, seconds) = text.split_once(' ').expect("two numbers");
        Measured {
            run: Run {
                code: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            },
            peak_mib: kib.parse::<f64>().expect("KiB") / 1024.0,
            seconds: seconds.parse().expect("seconds"),
        }
    }
}

pub fn crate_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// The article of a page: what the reader reads, without the theme's frame.
pub fn article(html: &str) -> &str {
    let start = html.find("<article").expect("page has an <article>");
    let end = html.find("</article>").expect("page closes its <article>") + "</article>".len();
    &html[start..end]
}

/// The visible text of an HTML fragment, whitespace collapsed.
pub fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every file under `dir`, relative, sorted, with its bytes.
pub fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(root, &path, out);
        } else {
            let rel = path.strip_prefix(root).expect("under root").to_path_buf();
            out.push((rel, std::fs::read(&path).expect("read")));
        }
    }
}

/// Every `href`/`src` in the site's HTML that points inside the site but at nothing: a missing
/// file, or a `#fragment` with no element of that id.
pub fn broken_links(out: &Path) -> Vec<String> {
    let files = tree(out);
    let mut broken = Vec::new();
    for (rel, bytes) in &files {
        if rel.extension().is_none_or(|e| e != "html") {
            continue;
        }
        let html = String::from_utf8_lossy(bytes);
        for target in attribute_values(&html, &["href=\"", "src=\""]) {
            if target.contains("://") || target.starts_with("mailto:") || target.starts_with("data:") {
                continue;
            }
            let (path_part, fragment) = match target.split_once('#') {
                Some((p, f)) => (p, Some(f)),
                None => (target.as_str(), None),
            };
            let dir = rel.parent().unwrap_or(Path::new(""));
            let mut resolved = normalize(&dir.join(path_part));
            if path_part.is_empty() {
                resolved = rel.clone();
            } else if path_part.ends_with('/') || out.join(&resolved).is_dir() {
                resolved = resolved.join("index.html");
            }
            let Some((_, target_bytes)) = files.iter().find(|(p, _)| *p == resolved) else {
                broken.push(format!("{}: {target} -> missing {}", rel.display(), resolved.display()));
                continue;
            };
            if let Some(id) = fragment.filter(|f| !f.is_empty()) {
                let target_html = String::from_utf8_lossy(target_bytes);
                if !target_html.contains(&format!("id=\"{id}\"")) {
                    broken.push(format!("{}: {target} -> no element with id `{id}`", rel.display()));
                }
            }
        }
    }
    broken
}

fn attribute_values(html: &str, prefixes: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for prefix in prefixes {
        let mut rest = html;
        while let Some(at) = rest.find(prefix) {
            rest = &rest[at + prefix.len()..];
            if let Some(end) = rest.find('"') {
                out.push(rest[..end].replace("&amp;", "&"));
            }
        }
    }
    out
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The fixture `tests/fixtures/pages/hostile/` (every break-out of a value from its context),
/// built into `out/`.
pub fn hostile_site() -> Project {
    let p = Project::with_notebooks("tests/fixtures/pages/hostile");
    let run = p.run(&["notebooks/", "-o", "out"]);
    assert_eq!(run.code, 0, "the hostile fixture must build: {}", run.stderr);
    p
}

/// Flags for every headless Chromium run: headless, isolated, offline, no scrollbars taking
/// layout width (as on a phone, and so that 390 px of window are 390 px of page).
pub const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
];

/// The Chromium binary: `$CHROMIUM`, else `chromium` on the PATH, else `/usr/bin/chromium`.
pub fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        let path = PathBuf::from(path);
        assert!(path.is_file(), "CHROMIUM={} is not a file", path.display());
        return path;
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|dir| dir.join("chromium")).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path.into_iter().chain([PathBuf::from("/usr/bin/chromium")]).find(|p| p.is_file()).unwrap_or_else(|| {
        panic!(
            "this test needs headless Chromium and found no `chromium` on the PATH or at /usr/bin/chromium: \
             install it with `apt-get install chromium` (or point $CHROMIUM at a Chromium binary)"
        )
    })
}

/// A notebook `notebooks/<name>.md` with one cell holding `script`, then `prose`.
pub fn notebook(p: &Project, name: &str, front: &str, script: &str, prose: &str) {
    p.write(
        &format!("notebooks/{name}.md"),
        &format!("---\ntitle: {name}\n{front}---\n```{{rhai}}\n{script}\n```\n\n{prose}\n"),
    );
}

/// Builds the site and expects it to fail with `message` at `notebooks/<name>.md:<line>`,
/// quickly and in bounded memory; returns what it cost, for the reports.
pub fn refused(p: &Project, name: &str, line: usize, message: &str) -> Measured {
    let m = p.run_measured(&["notebooks/", "-o", "out"]);
    assert_eq!(m.run.code, 1, "{}", m.run.stderr);
    assert!(m.run.stderr.contains(message), "wanted {message:?} in:\n{}", m.run.stderr);
    assert!(m.run.stderr.contains(&format!("notebooks/{name}.md:{line}:")), "{}", m.run.stderr);
    assert!(!p.exists("out"), "nothing is written");
    assert!(m.peak_mib < 400.0, "peak memory {:.0} MiB", m.peak_mib);
    // Generous, for a loaded machine: the attacks took minutes, or never ended, before.
    assert!(m.seconds < 30.0, "{:.1} s", m.seconds);
    println!("{name}: refused in {:.2} s, peak {:.0} MiB", m.seconds, m.peak_mib);
    m
}

/// The marker nbrender writes into every folder of its own.
pub const MARKER: &str = ".nbrender";

impl Project {
    /// An output folder `out` as a build leaves it, with its manifest folder beside it holding
    /// one `<slug>.json` a page: `pages` are (slug, JSON text).
    pub fn built_output(&self, out: &str, pages: &[(&str, &str)]) {
        self.write(&format!("{out}/{MARKER}"), "");
        self.write(&format!("{out}/index.html"), "<!doctype html>\n");
        self.write(&format!("{out}/assets/style.css"), "\n");
        let beside = manifest_folder(out);
        self.write(&format!("{beside}/{MARKER}"), "");
        for (slug, json) in pages {
            self.write(&format!("{beside}/{slug}.json"), json);
        }
    }
}

/// The manifest folder beside the output folder `out` (relative, without `..`):
/// `a/.out.nbrender-manifest` for `a/out`.
pub fn manifest_folder(out: &str) -> String {
    let out = out.trim_end_matches('/');
    match out.rsplit_once('/') {
        Some((parent, name)) => format!("{parent}/.{name}.nbrender-manifest"),
        None => format!(".{out}.nbrender-manifest"),
    }
}
