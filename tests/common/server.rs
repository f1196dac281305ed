//! `nbrender serve` run by the tests: the server process, its requests and its event stream,
//! for the serve tests of both test binaries.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::Project;

/// The server process, killed when the test ends, also on a panic.
pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Serves `notebooks/` of the project into `site/`; what it prints goes to `serve.log`.
    pub fn start(p: &Project) -> Server {
        Server::start_with(p, &[])
    }

    /// As [`Server::start`], with `extra` arguments (`-v`).
    pub fn start_with(p: &Project, extra: &[&str]) -> Server {
        let port = free_port();
        let mut args = extra.to_vec();
        args.push("--out");
        let child = serve_command(p, port, &args)
            .arg(p.path("site"))
            .stderr(std::fs::File::create(p.path("serve.log")).unwrap())
            .spawn()
            .expect("start nbrender serve");
        let server = Server { child, port };
        let started = Instant::now();
        while server.get("/").0 != 200 {
            assert!(started.elapsed() < Duration::from_secs(60), "the server never answered");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// `GET path` as sent, byte for byte (no client normalises `..`): status and body.
    pub fn get(&self, path: &str) -> (u16, String) {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else { return (0, String::new()) };
        // A server too busy to answer may reset the connection: status 0.
        let _ = write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\n\r\n", self.port);
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        status_and_body(&response)
    }

    /// Opens the event stream and returns it once the server has accepted it.
    pub fn events(&self) -> BufReader<TcpStream> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let host = format!("localhost:{}", self.port);
        write!(stream, "GET /_nbrender/events HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n").unwrap();
        let mut reader = BufReader::new(stream);
        let first = next_line_with(&mut reader, ": connected");
        assert!(first.is_some(), "the event stream did not open");
        reader
    }

    /// Polls `GET path` until its body contains `needle`.
    pub fn wait_for(&self, path: &str, needle: &str) {
        let started = Instant::now();
        while !self.get(path).1.contains(needle) {
            assert!(started.elapsed() < Duration::from_secs(5), "{path} never showed {needle:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The status and body of a raw HTTP response; status 0 when there was none.
pub fn status_and_body(response: &str) -> (u16, String) {
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `nbrender serve notebooks/ --port PORT EXTRA...` in the project, its temporary folder inside
/// the project, its output discarded (callers choose what happens to stderr).
pub fn serve_command(p: &Project, port: u16, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nbrender"));
    command
        .args(["serve", "notebooks/", "--port", &port.to_string()])
        .args(extra)
        .current_dir(p.dir.path())
        .env("NO_COLOR", "1")
        .env("TMPDIR", p.dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// Reads lines until one starts with `prefix`.
pub fn next_line_with(reader: &mut BufReader<TcpStream>, prefix: &str) -> Option<String> {
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
