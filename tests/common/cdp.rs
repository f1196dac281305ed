//! A small Chrome DevTools Protocol client for tests that watch a page change while it is open
//! (`nbrender serve`): it starts headless Chromium on a URL, evaluates JavaScript in the page
//! and hears page loads, over the protocol's WebSocket (tungstenite).

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

/// How long Chromium may take to start and show its page target.
const START: Duration = Duration::from_secs(20);

/// One headless Chromium with one page, closed (its whole process group killed) when dropped.
pub struct Browser {
    child: Child,
    socket: WebSocket<TcpStream>,
    next_id: u64,
    /// Protocol events that arrived while waiting for a reply, oldest first.
    events: VecDeque<Value>,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // (The shell's `kill` takes a negative process group id.)
        let _ = Command::new("sh").arg("-c").arg(format!("kill -9 -{} 2>/dev/null", self.child.id())).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    /// Starts Chromium showing `url` in a 1280 x 900 window and connects to that page.
    pub fn open(url: &str) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let child = Command::new(super::chromium())
            .args(super::CHROMIUM_FLAGS)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(["--remote-debugging-port=0", "--window-size=1280,900", url])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start chromium");
        let started = Instant::now();
        let port = loop {
            if let Some(port) = devtools_port(profile.path()) {
                break port;
            }
            assert!(started.elapsed() < START, "chromium did not open its DevTools port");
            std::thread::sleep(Duration::from_millis(50));
        };
        let target = loop {
            let targets = http_get_json(port, "/json/list").unwrap_or(Value::Null);
            let page = targets.as_array().into_iter().flatten().find(|t| {
                t["type"] == "page" && t["url"].as_str().is_some_and(|u| u.starts_with(url.trim_end_matches('/')))
            });
            if let Some(ws) = page.and_then(|t| t["webSocketDebuggerUrl"].as_str()) {
                break ws.to_string();
            }
            assert!(started.elapsed() < START, "chromium never listed a page for {url}: {targets}");
            std::thread::sleep(Duration::from_millis(50));
        };
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to devtools");
        stream.set_read_timeout(Some(Duration::from_millis(200))).expect("read timeout");
        let (socket, _) = tungstenite::client(target.as_str(), stream).expect("devtools websocket");
        let mut browser = Browser { child, socket, next_id: 0, events: VecDeque::new(), _profile: profile };
        browser.call("Page.enable", json!({}));
        browser.call("Runtime.enable", json!({}));
        browser
    }

    /// Sends one protocol command and returns its result; panics on a protocol error.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        match self.try_call(method, params) {
            Ok(result) => result,
            Err(reply) => panic!("{method} failed: {reply}"),
        }
    }

    /// Sends one protocol command and returns its result, or the reply with its error.
    fn try_call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        let message = json!({ "id": id, "method": method, "params": params }).to_string();
        self.socket.send(Message::text(message)).expect("send to chromium");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            assert!(Instant::now() < deadline, "chromium did not answer {method}");
            let Some(reply) = self.receive() else { continue };
            if reply["id"] == id {
                return match reply.get("error") {
                    None => Ok(reply["result"].clone()),
                    Some(_) => Err(reply),
                };
            }
            if reply.get("method").is_some() {
                self.events.push_back(reply);
            }
        }
    }

    /// The value of a JavaScript expression in the page (promises awaited).
    pub fn eval(&mut self, expression: &str) -> Value {
        let result = self
            .call("Runtime.evaluate", json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }));
        result["result"]["value"].clone()
    }

    /// Polls `expression` until it is true; panics with `what` after `timeout`. A page that
    /// reloads while it is asked (what a wait is often for) is asked again.
    pub fn wait_until(&mut self, expression: &str, timeout: Duration, what: &str) {
        let started = Instant::now();
        loop {
            let asked = self.try_call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            );
            match asked {
                Ok(result) if result["result"]["value"] == Value::Bool(true) => return,
                Ok(_) => {}
                Err(reply) => {
                    let message = reply["error"]["message"].as_str().unwrap_or_default();
                    let reloading = message.contains("navigated") || message.contains("context was destroyed");
                    assert!(reloading, "Runtime.evaluate failed: {reply}");
                }
            }
            assert!(started.elapsed() < timeout, "waited {timeout:?} for {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Forgets the events heard so far (before an action whose page load is to be timed).
    pub fn forget_events(&mut self) {
        while self.receive().is_some() {}
        self.events.clear();
    }

    /// Waits for the page's next `load` event and returns when it was heard.
    pub fn next_load(&mut self, timeout: Duration) -> Instant {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(at) = self.events.iter().position(|e| e["method"] == "Page.loadEventFired") {
                self.events.drain(..=at);
                return Instant::now();
            }
            assert!(Instant::now() < deadline, "the page did not load again within {timeout:?}");
            if let Some(message) = self.receive() {
                self.events.push_back(message);
            }
        }
    }

    /// One message, or `None` when none came within the socket's read timeout.
    fn receive(&mut self) -> Option<Value> {
        match self.socket.read() {
            Ok(Message::Text(text)) => serde_json::from_str(text.as_str()).ok(),
            Ok(_) => None,
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
            {
                None
            }
            Err(e) => panic!("devtools connection failed: {e}"),
        }
    }
}

/// The port Chromium chose, from the `DevToolsActivePort` file it writes into its profile.
fn devtools_port(profile: &Path) -> Option<u16> {
    let text = std::fs::read_to_string(profile.join("DevToolsActivePort")).ok()?;
    text.lines().next()?.trim().parse().ok()
}

fn http_get_json(port: u16, path: &str) -> Option<Value> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").ok()?;
    let mut response = Vec::new();
    // Chromium may reset rather than close: keep what arrived.
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response);
    serde_json::from_str(response.split_once("\r\n\r\n")?.1).ok()
}
