//! `nbrender serve`: build the site, serve its folder on 127.0.0.1, rebuild on every save and
//! tell open pages to reload over server-sent events. The HTTP server (tiny_http) and the file
//! watcher (notify) live here and nowhere else.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use super::say;
use crate::diag::{self, Diagnostic};
use crate::site::{self, BuildOptions};

/// The endpoint pages listen on for `reload` and `error` events.
const EVENTS: &str = "/_nbrender/events";

/// How long the folder must stay quiet after a change before a rebuild starts: an editor's
/// save is often several events (write, rename, chmod).
const DEBOUNCE: Duration = Duration::from_millis(30);

/// Injected before `</body>` of every served page; the files on disk never hold it.
const RELOAD_SCRIPT: &str = r#"<script>
(() => {
  const events = new EventSource("/_nbrender/events");
  events.onopen = () => document.documentElement.setAttribute("data-nbrender-live", "");
  events.onmessage = (e) => {
    if (e.data === "reload") { location.reload(); return; }
    if (!e.data.startsWith("error ")) return;
    let diagnostics = [];
    try { diagnostics = JSON.parse(e.data.slice(6)); } catch (_) {}
    let box = document.getElementById("nbrender-overlay");
    if (!box) {
      box = document.createElement("div");
      box.id = "nbrender-overlay";
      box.style.cssText = "position:fixed;inset:auto 1rem 1rem 1rem;max-height:60vh;overflow:auto;z-index:2147483647;"
        + "background:#fff4f4;color:#4a0000;border:2px solid #c00;border-radius:6px;padding:1rem;"
        + "font:14px/1.4 ui-monospace,monospace;box-shadow:0 4px 24px rgba(0,0,0,.3);white-space:pre-wrap";
      document.body.appendChild(box);
    }
    box.replaceChildren();
    const title = document.createElement("strong");
    title.textContent = "nbrender: the build failed; showing the last good page";
    box.appendChild(title);
    for (const d of diagnostics) {
      const item = document.createElement("div");
      item.style.marginTop = "0.75rem";
      const at = d.file ? d.file + (d.line ? ":" + d.line + ":" + d.column : "") : "";
      const where = document.createElement("div");
      where.textContent = at;
      where.style.fontWeight = "bold";
      const message = document.createElement("div");
      message.textContent = "error[" + d.code + "]: " + d.message;
      item.append(where, message);
      if (d.hint) {
        const hint = document.createElement("div");
        hint.textContent = "hint: " + d.hint;
        item.appendChild(hint);
      }
      box.appendChild(item);
    }
  };
})();
</script>
"#;

const NOT_FOUND: &str = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Not found</title></head>\n<body><h1>404 not found</h1><p>No file of the built site has this address.</p></body></html>\n";

/// `nbrender serve`, validated.
pub struct ServeOptions {
    pub path: PathBuf,
    /// Loopback unless the user asked for another address with `--public`.
    pub host: IpAddr,
    pub port: u16,
    pub build: BuildOptions,
    /// Open the site in the default browser once it is served.
    pub open: bool,
    /// The output folder is ours (a temp folder): remove it on Ctrl-C.
    pub remove_out: bool,
}

/// Builds, serves and watches until the process is stopped; returns only on a setup failure.
pub fn serve(opts: ServeOptions, color: bool) -> Result<(), String> {
    let hub = Arc::new(Hub::default());
    let root = opts.build.out.clone();
    if opts.remove_out {
        let out = root.clone();
        ctrlc::set_handler(move || {
            crate::site::write::remove_output(&out);
            std::process::exit(130);
        })
        .map_err(|e| format!("cannot handle Ctrl-C: {e}"))?;
    }
    let address = SocketAddr::new(opts.host, opts.port);
    // Listen before the first build, so a port in use is reported at once.
    let server = tiny_http::Server::http(address).map_err(|e| format!("cannot listen on {address}: {e}"))?;
    let mut cache = site::Cache::default();
    rebuild(&opts, &mut cache, &hub, color, "built");

    let watcher = watch(&opts)?;
    let url = format!("http://{}/", display_address(address));
    let open = opts.open;
    let rebuilder = {
        let hub = Arc::clone(&hub);
        thread::spawn(move || {
            // The watcher must live as long as its channel is read.
            let (_watcher, changes) = watcher;
            while wait_for_change(&changes, &opts) {
                rebuild(&opts, &mut cache, &hub, color, "rebuilt");
            }
        })
    };
    say(&format!("serving {url} (Ctrl-C to stop)"));
    if !address.ip().is_loopback() {
        say(&format!(
            "warning: serving on {} also serves the site to every machine that can reach this one; \
             nbrender serve is made for previewing, not publishing",
            address.ip()
        ));
    }
    if open && let Err(e) = open::that_detached(&url) {
        say(&format!("warning: cannot open a browser ({e}); open {url} yourself"));
    }
    for request in server.incoming_requests() {
        let hub = Arc::clone(&hub);
        let root = root.clone();
        thread::spawn(move || respond(request, &root, &hub));
    }
    let _ = rebuilder.join();
    Ok(())
}

/// An address as a browser takes it: IPv6 in brackets, the unspecified address as loopback.
fn display_address(address: SocketAddr) -> String {
    match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => format!("127.0.0.1:{}", address.port()),
        IpAddr::V6(ip) if ip.is_unspecified() => format!("[::1]:{}", address.port()),
        _ => address.to_string(),
    }
}

/// Builds the site, reusing what has not changed since the last build, and tells every open
/// page how it went.
fn rebuild(opts: &ServeOptions, cache: &mut site::Cache, hub: &Hub, color: bool, verb: &str) {
    match site::rebuild(&opts.path, &opts.build, &site::Silent, cache) {
        Ok(report) => {
            say(&format!(
                "{verb} in {:.0} ms: ran {} of {} notebooks, rendered {} of {} pages, wrote {} files",
                report.elapsed_ms,
                report.ran,
                report.notebooks,
                report.rendered,
                report.pages,
                report.files.len()
            ));
            hub.send("reload");
        }
        Err(failure) => {
            eprint!("{}", diag::render(&failure.diagnostics, color));
            let n = failure.diagnostics.len();
            say(&format!("build failed: {n} {}", if n == 1 { "error" } else { "errors" }));
            hub.send(&format!("error {}", diagnostics_json(&failure.diagnostics)));
        }
    }
}

fn diagnostics_json(diagnostics: &[Diagnostic]) -> String {
    serde_json::Value::Array(diagnostics.iter().map(Diagnostic::to_json).collect()).to_string()
}

/// The open event streams, one sender per connected page, and the last build's error event.
#[derive(Default)]
struct Hub {
    clients: Mutex<Vec<Sender<String>>>,
    last_error: Mutex<Option<String>>,
}

impl Hub {
    /// A new stream; a page that connects while the build is broken hears so at once.
    fn subscribe(&self) -> Receiver<String> {
        let (tx, rx) = mpsc::channel();
        if let Some(error) = self.last_error.lock().ok().and_then(|e| e.clone()) {
            let _ = tx.send(error);
        }
        if let Ok(mut clients) = self.clients.lock() {
            clients.push(tx);
        }
        rx
    }

    /// Sends `data` to every page still listening and forgets the ones that left.
    fn send(&self, data: &str) {
        if let Ok(mut last) = self.last_error.lock() {
            *last = data.starts_with("error ").then(|| data.to_string());
        }
        if let Ok(mut clients) = self.clients.lock() {
            clients.retain(|c| c.send(data.to_string()).is_ok());
        }
    }
}

type Changes = (notify::RecommendedWatcher, Receiver<notify::Result<notify::Event>>);

/// Watches the notebooks folder (notebooks and data files) and the theme folder.
fn watch(opts: &ServeOptions) -> Result<Changes, String> {
    use notify::Watcher;
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(tx).map_err(|e| format!("cannot watch files: {e}"))?;
    let folder = if opts.path.is_dir() {
        opts.path.clone()
    } else {
        opts.path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf()
    };
    let mut folders = vec![folder];
    folders.extend(opts.build.theme.clone());
    for folder in &folders {
        watcher
            .watch(folder, notify::RecursiveMode::Recursive)
            .map_err(|e| format!("cannot watch `{}`: {e}", folder.display()))?;
    }
    Ok((watcher, rx))
}

/// Blocks until a source file changed and the folder has been quiet for `DEBOUNCE`; false
/// when the watcher is gone.
fn wait_for_change(changes: &Receiver<notify::Result<notify::Event>>, opts: &ServeOptions) -> bool {
    loop {
        match changes.recv() {
            Ok(Ok(event)) if is_source_change(&event, &opts.build.out) => break,
            Ok(_) => continue,
            Err(_) => return false,
        }
    }
    loop {
        match changes.recv_timeout(DEBOUNCE) {
            Ok(_) => continue,
            Err(RecvTimeoutError::Timeout) => return true,
            Err(RecvTimeoutError::Disconnected) => return false,
        }
    }
}

/// A write, creation, removal or rename outside the output folder and its staging siblings
/// (reads by the build itself, and the build's own writes, must not trigger another build).
fn is_source_change(event: &notify::Event, out: &Path) -> bool {
    if event.kind.is_access() || event.kind.is_other() {
        return false;
    }
    let out = out.canonicalize().unwrap_or_else(|_| out.to_path_buf());
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let staging = format!(".{name}.nbrender-");
    event.paths.iter().any(|p| {
        let p = p.canonicalize().unwrap_or_else(|_| p.clone());
        let beside_out = p.components().any(|c| c.as_os_str().to_string_lossy().starts_with(&staging));
        !p.starts_with(&out) && !beside_out
    })
}

fn respond(request: tiny_http::Request, root: &Path, hub: &Hub) {
    let url = request.url().to_string();
    let path = url.split(['?', '#']).next().unwrap_or("");
    if path == EVENTS {
        stream_events(request, hub);
        return;
    }
    let response = match resolve(root, path) {
        Some(file) => match std::fs::read(&file) {
            Ok(bytes) => file_response(&file, bytes),
            Err(_) => not_found(),
        },
        None => not_found(),
    };
    let _ = request.respond(response);
}

fn file_response(file: &Path, bytes: Vec<u8>) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let kind = content_type(file);
    let bytes = if kind.starts_with("text/html") { inject_reload(bytes) } else { bytes };
    with_headers(tiny_http::Response::from_data(bytes), &[("Content-Type", kind), ("Cache-Control", "no-store")])
}

fn not_found() -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    // A page, so that the reload script runs here too: after a first build that failed, the
    // overlay shows on the missing page and a good build brings the real one.
    let page = String::from_utf8(inject_reload(NOT_FOUND.as_bytes().to_vec())).unwrap_or_default();
    let response = tiny_http::Response::from_string(page).with_status_code(404);
    with_headers(response, &[("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")])
}

fn with_headers<R: std::io::Read>(
    mut response: tiny_http::Response<R>,
    headers: &[(&str, &str)],
) -> tiny_http::Response<R> {
    for (name, value) in headers {
        // Our own ASCII constants: tiny_http accepts them all.
        if let Ok(h) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(h);
        }
    }
    response
}

/// Holds the request open and writes one `data:` line per build until the page leaves.
fn stream_events(request: tiny_http::Request, hub: &Hub) {
    let events = hub.subscribe();
    let mut writer = request.into_writer();
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n: connected\n\n";
    if writer.write_all(head.as_bytes()).and_then(|()| writer.flush()).is_err() {
        return;
    }
    loop {
        // A comment now and then finds out when the page has gone.
        let chunk = match events.recv_timeout(Duration::from_secs(15)) {
            Ok(data) => format!("data: {data}\n\n"),
            Err(RecvTimeoutError::Timeout) => ": ping\n\n".to_string(),
            Err(RecvTimeoutError::Disconnected) => return,
        };
        if writer.write_all(chunk.as_bytes()).and_then(|()| writer.flush()).is_err() {
            return;
        }
    }
}

/// The file of the built site a request path names, or `None` for anything that is not inside
/// the site: `..` (plain or percent-encoded), backslashes, drive letters, and links out.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    if !url_path.starts_with('/') {
        return None;
    }
    let decoded = percent_decode(url_path)?;
    let mut file = root.to_path_buf();
    for segment in decoded.split('/').filter(|s| !s.is_empty()) {
        let plain = segment != "." && segment != ".." && !segment.contains(['\\', ':', '\0']);
        if !plain {
            return None;
        }
        file.push(segment);
    }
    if file.is_dir() {
        file.push("index.html");
    }
    let root = root.canonicalize().ok()?;
    let file = file.canonicalize().ok()?;
    (file.starts_with(&root) && file.is_file()).then_some(file)
}

/// `%XX` escapes to bytes; `None` for a malformed escape or a result that is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b != b'%' {
            out.push(b);
            continue;
        }
        let hex = [bytes.next()?, bytes.next()?];
        out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
    }
    String::from_utf8(out).ok()
}

fn content_type(file: &Path) -> &'static str {
    let ext = file.extension().map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("xml") => "application/xml",
        Some("json") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// The page with the reload script before its last `</body>` (or at the end).
fn inject_reload(bytes: Vec<u8>) -> Vec<u8> {
    let Ok(mut html) = String::from_utf8(bytes.clone()) else { return bytes };
    let at = html.rfind("</body>").unwrap_or(html.len());
    html.insert_str(at, RELOAD_SCRIPT);
    html.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_cannot_leave_the_site() {
        let dir = tempfile::tempdir().map_err(|e| e.to_string());
        let Ok(dir) = dir else { panic!("temp dir") };
        let root = dir.path().join("site");
        assert!(std::fs::create_dir_all(root.join("a")).is_ok());
        assert!(std::fs::write(root.join("index.html"), "<body></body>").is_ok());
        assert!(std::fs::write(root.join("a/index.html"), "a").is_ok());
        assert!(std::fs::write(dir.path().join("secret.txt"), "no").is_ok());
        assert!(resolve(&root, "/").is_some_and(|f| f.ends_with("site/index.html")));
        assert!(resolve(&root, "/a/").is_some_and(|f| f.ends_with("a/index.html")));
        assert!(resolve(&root, "/a").is_some());
        for bad in [
            "/../secret.txt",
            "/%2e%2e/secret.txt",
            "/..%2fsecret.txt",
            "/a/..%5c..%5csecret.txt",
            "//etc/passwd",
            "secret.txt",
            "/%zz",
            "/missing.html",
        ] {
            assert_eq!(resolve(&root, bad), None, "{bad}");
        }
    }

    #[test]
    fn the_reload_script_goes_before_the_body_closes() {
        let html = String::from_utf8(inject_reload(b"<body><p>x</p></body></html>".to_vec())).unwrap_or_default();
        assert!(html.starts_with("<body><p>x</p><script>"));
        assert!(html.ends_with("</script>\n</body></html>"));
        assert!(html.contains(EVENTS));
    }
}
