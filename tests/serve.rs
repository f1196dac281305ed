//! `nbrender serve` end to end: the real binary serving the shipped notebooks over HTTP, a
//! save rebuilding the page, a broken notebook reported over server-sent events.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Project;

/// The server process, killed when the test ends, also on a panic.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(p: &Project) -> Server {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let out = p.path("site");
        let child = Command::new(env!("CARGO_BIN_EXE_nbrender"))
            .args(["serve", "notebooks/", "--port", &port.to_string(), "--out"])
            .arg(&out)
            .current_dir(p.dir.path())
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nbrender serve");
        let server = Server { child, port };
        let started = Instant::now();
        while server.get("/").0 != 200 {
            assert!(started.elapsed() < Duration::from_secs(10), "the server never answered");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// `GET path` as sent, byte for byte (no client normalises `..`): status and body.
    fn get(&self, path: &str) -> (u16, String) {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else { return (0, String::new()) };
        write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").unwrap();
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
        (status, body)
    }

    /// Opens the event stream and returns it once the server has accepted it.
    fn events(&self) -> BufReader<TcpStream> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(stream, "GET /_nbrender/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n")
            .unwrap();
        let mut reader = BufReader::new(stream);
        let first = next_line_with(&mut reader, ": connected");
        assert!(first.is_some(), "the event stream did not open");
        reader
    }

    /// Polls `GET path` until its body contains `needle`.
    fn wait_for(&self, path: &str, needle: &str) {
        let started = Instant::now();
        while !self.get(path).1.contains(needle) {
            assert!(started.elapsed() < Duration::from_secs(5), "{path} never showed {needle:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Reads lines until one starts with `prefix`.
fn next_line_with(reader: &mut BufReader<TcpStream>, prefix: &str) -> Option<String> {
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line.starts_with(prefix) {
            return Some(line.trim_end().to_string());
        }
    }
}

#[test]
fn serve_serves_the_site_rebuilds_on_save_and_reports_errors() {
    let p = Project::with_notebooks("notebooks");
    let server = Server::start(&p);

    // Pages carry the reload script; the files on disk do not.
    let (status, index) = server.get("/");
    assert_eq!(status, 200);
    assert!(index.contains("new EventSource(\"/_nbrender/events\")"), "no reload script in the index");
    assert!(!p.read("site/index.html").contains("EventSource"), "the script leaked into the built file");
    let (status, page) = server.get("/mlops-engineer/");
    assert_eq!(status, 200);
    assert!(page.contains("$300k to $430k"));
    assert_eq!(server.get("/mlops-engineer/fig-tiers.svg").0, 200);

    // Nothing outside the built site.
    for path in ["/../Cargo.toml", "/%2e%2e/Cargo.toml", "/..%2fCargo.toml", "/../notebooks/mlops.md", "/nope/"] {
        let (status, body) = server.get(path);
        assert_eq!(status, 404, "{path}");
        assert!(!body.contains("[package]") && !body.contains("title: MLOps"), "{path} leaked a file");
    }

    // A change to a data file shows in the page.
    let mut events = server.events();
    let data = "notebooks/data/mlops_tiers.yaml";
    p.write(data, &p.read(data).replace("tc_hi: 430000", "tc_hi: 440000"));
    assert_eq!(next_line_with(&mut events, "data: ").as_deref(), Some("data: reload"));
    server.wait_for("/mlops-engineer/", "$300k to $440k");

    // A broken notebook: an error event with its diagnostic, and the last good site stays.
    let notebook = "notebooks/mlops.md";
    let good = p.read(notebook);
    p.write(notebook, &good.replace("title: MLOps Engineer Salary", "titel: MLOps Engineer Salary"));
    // (A save can come as two events far enough apart for two builds: skip a late reload.)
    let error = next_line_with(&mut events, "data: error").unwrap_or_default();
    let json = error.strip_prefix("data: error ").unwrap_or_else(|| panic!("not an error event: {error}"));
    let diagnostics: serde_json::Value = serde_json::from_str(json).unwrap();
    let first = &diagnostics[0];
    assert_eq!(first["code"], "frontmatter::unknown-key");
    assert_eq!((first["file"].as_str(), first["line"].as_u64()), (Some("notebooks/mlops.md"), Some(2)));
    assert_eq!(first["hint"], "did you mean `title`?");
    assert!(server.get("/mlops-engineer/").1.contains("$300k to $440k"), "the last good page is gone");
    // A page opened while the build is broken hears of it at once.
    let late = next_line_with(&mut server.events(), "data: ").unwrap_or_default();
    assert!(late.starts_with("data: error [{"), "{late}");

    // Fixed: the pages reload.
    p.write(notebook, &good);
    assert_eq!(next_line_with(&mut events, "data: ").as_deref(), Some("data: reload"));
}
