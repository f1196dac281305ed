//! `nbrender serve`: build the site, serve its folder on 127.0.0.1, rebuild on every save and
//! tell open pages to reload over server-sent events. The HTTP server (our own, small: one
//! request per connection, a bounded number of connections, capped and timed request heads,
//! parsed by httparse) and the file watcher (notify) live here and nowhere else.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::provenance::Figures;
use super::say;
use crate::diag::{self, Diagnostic};
use crate::format::plural;
use crate::site::{self, BuildOptions};

/// At most this many connections are served at once, the event streams of open pages
/// included (a thread each); past it a connection gets 503 at once.
const MAX_CONNECTIONS: usize = 64;

/// The longest request line answered (`GET /path HTTP/1.1`, without its line end): 414 past it.
const MAX_REQUEST_LINE: usize = 8 * 1024;

/// The most bytes of header lines after the request line: 431 past it.
const MAX_HEADERS: usize = 64 * 1024;

/// The most header lines: 431 past it.
const MAX_HEADER_LINES: usize = 100;

/// How long a client has to send its whole request head. One that sends nothing, or a byte
/// now and then (slowloris), gives its connection back after this.
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one write may wait for a client that does not read.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// After a response, how long and how much of what the client still sends is read and
/// thrown away before closing (closing with unread input would reset the connection, and the
/// client could lose the response).
const LINGER: Duration = Duration::from_secs(1);
const LINGER_BYTES: usize = 1 << 20;

/// The type of a refusal's body: one line saying why.
const TEXT: &str = "text/plain; charset=utf-8";

/// The endpoint pages listen on for `reload` and `error` events.
const EVENTS: &str = "/_nbrender/events";

/// How long the folder must stay quiet after a change before a rebuild starts: an editor's
/// save is often several events (write, rename, chmod), made within a millisecond of each
/// other. Every millisecond here is one the writer waits for the page: at 30 ms it was a
/// third of the time from save to reloaded page (issue 16's measurement).
const DEBOUNCE: Duration = Duration::from_millis(10);

/// Injected before `</body>` of every served page; the files on disk never hold it.
const RELOAD_SCRIPT: &str = r#"<script>
(() => {
  const events = new EventSource("/_nbrender/events");
  events.onopen = () => document.documentElement.setAttribute("data-nbrender-live", "");
  events.onmessage = (e) => {
    if (e.data === "reload") { location.reload(); return; }
    const failed = e.data.startsWith("error ");
    if (!failed && !e.data.startsWith("warning ")) return;
    let diagnostics = [];
    try { diagnostics = JSON.parse(e.data.slice(e.data.indexOf(" ") + 1)); } catch (_) {}
    let box = document.getElementById("nbrender-overlay");
    if (!box) {
      box = document.createElement("div");
      box.id = "nbrender-overlay";
      document.body.appendChild(box);
    }
    box.style.cssText = "position:fixed;inset:auto 1rem 1rem 1rem;max-height:60vh;overflow:auto;z-index:2147483647;"
      + (failed ? "background:#fff4f4;color:#4a0000;border:2px solid #c00;" : "background:#fffbe6;color:#3d2e00;border:2px solid #b58900;")
      + "border-radius:6px;padding:1rem;"
      + "font:14px/1.4 ui-monospace,monospace;box-shadow:0 4px 24px rgba(0,0,0,.3);white-space:pre-wrap";
    box.replaceChildren();
    const title = document.createElement("strong");
    title.textContent = failed
      ? "nbrender: the build failed; showing the last good page"
      : "nbrender: built with " + diagnostics.length + (diagnostics.length === 1 ? " warning" : " warnings");
    box.appendChild(title);
    for (const d of diagnostics) {
      const item = document.createElement("div");
      item.style.marginTop = "0.75rem";
      const at = d.file ? d.file + (d.line ? ":" + d.line + ":" + d.column : "") : "";
      const where = document.createElement("div");
      where.textContent = at;
      where.style.fontWeight = "bold";
      item.appendChild(where);
      if (d.frame) {
        // As the terminal shows it: the message, the lines with the mistake marked, the hint.
        const frame = document.createElement("pre");
        frame.style.cssText = "margin:0.25rem 0 0;font:inherit;white-space:pre;overflow-x:auto";
        frame.textContent = d.frame;
        item.appendChild(frame);
      } else {
        const message = document.createElement("div");
        message.textContent = (d.severity === "warning" ? "warning[" : "error[") + d.code + "]: " + d.message;
        item.appendChild(message);
        if (d.hint) {
          const hint = document.createElement("div");
          hint.textContent = "hint: " + d.hint;
          item.appendChild(hint);
        }
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
    /// The output folder is ours (a temp folder): remove it on Ctrl-C, SIGTERM or SIGHUP.
    pub remove_out: bool,
    /// `-v`: after each rebuild, where its time went, from the save to the pages told.
    pub verbose: bool,
}

/// Builds, serves and watches until the process is stopped; returns only on a setup failure.
pub fn serve(opts: ServeOptions, color: bool) -> Result<(), String> {
    let hub = Arc::new(Hub::default());
    if opts.remove_out {
        let out = opts.build.out.clone();
        // Ctrl-C (SIGINT), and SIGTERM and SIGHUP too (ctrlc's `termination` feature): a
        // service manager, `kill` or a closed terminal stops the server as Ctrl-C does.
        ctrlc::set_handler(move || {
            crate::site::write::remove_output(&out);
            std::process::exit(130);
        })
        .map_err(|e| format!("cannot handle Ctrl-C and SIGTERM: {e}"))?;
    }
    let asked = SocketAddr::new(opts.host, opts.port);
    // Listen before the first build, so a port in use is reported at once; with `--port 0`
    // the system chooses the port, and what follows uses the one it chose.
    let listener = TcpListener::bind(asked).map_err(|e| format!("cannot listen on {asked}: {e}"))?;
    let address = listener.local_addr().map_err(|e| format!("cannot listen on {asked}: {e}"))?;
    let figures = Arc::new(Figures::default());
    let site = Arc::new(Site {
        root: opts.build.out.clone(),
        hub: Arc::clone(&hub),
        hosts: Hosts(address),
        figures: Arc::clone(&figures),
    });
    let mut cache = site::Cache::default();
    rebuild(&opts, &mut cache, (&hub, &figures), color, "built");

    let watcher = watch(&opts)?;
    let url = format!("http://{}/", display_address(address));
    let open = opts.open;
    // With the build's stack size: the cache it keeps holds the values of the last build.
    let rebuilder = crate::pool::spawn(move || {
        // The watcher must live as long as its channel is read.
        let (_watcher, changes) = watcher;
        while let Some(change) = wait_for_change(&changes, &opts) {
            let quiet = change.seen.elapsed();
            let built = Instant::now();
            let stages = rebuild(&opts, &mut cache, (&hub, &figures), color, "rebuilt");
            if opts.verbose {
                say(&timing_line(&change, quiet, built.elapsed(), &stages));
            }
        }
    })
    .map_err(|e| format!("cannot start the thread that rebuilds: {e}"))?;
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
    accept(&listener, &site);
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

/// `timing: saved 2 ms before it was seen; quiet for 31 ms; built and told the pages in 12 ms
/// (parse 2.1, execute 0.8, render 3.0, write 5.2)`: where a rebuild's time went.
fn timing_line(change: &Change, quiet: Duration, built: Duration, stages: &[(&'static str, f64)]) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let saved = match change.saved {
        Some(before) => format!("saved {:.0} ms before it was seen; ", ms(before)),
        None => String::new(),
    };
    let stages: Vec<String> = stages.iter().map(|(stage, t)| format!("{stage} {t:.1}")).collect();
    format!(
        "timing: {saved}quiet for {:.0} ms; built and told the pages in {:.0} ms ({})",
        ms(quiet),
        ms(built),
        stages.join(", ")
    )
}

/// Builds the site, reusing what has not changed since the last build, and tells every open
/// page how it went; returns the time each stage took.
fn rebuild(
    opts: &ServeOptions,
    cache: &mut site::Cache,
    (hub, figures): (&Hub, &Figures),
    color: bool,
    verb: &str,
) -> Vec<(&'static str, f64)> {
    match site::rebuild(&opts.path, &opts.build, &site::Silent, cache) {
        Ok(report) => {
            say(&rebuild_line(verb, &report));
            figures.update(&report.manifests, verb == "built");
            eprint!("{}", diag::render(&report.warnings, color));
            // The reloaded pages connect again and hear the warnings, if any.
            hub.remember(
                (!report.warnings.is_empty()).then(|| format!("warning {}", diagnostics_json(&report.warnings))),
            );
            hub.send("reload");
            report.stages
        }
        Err(failure) => {
            eprint!("{}", diag::render(&failure.diagnostics, color));
            let n = failure.errors();
            say(&format!("build failed: {n} {}", plural(n, "error", "errors")));
            let event = format!("error {}", diagnostics_json(&failure.diagnostics));
            hub.remember(Some(event.clone()));
            hub.send(&event);
            Vec::new()
        }
    }
}

/// `rebuilt in 12 ms: ran 1 of 100 notebooks, rendered 1 of 100 pages, wrote 2 files`, each
/// noun agreeing with its number.
fn rebuild_line(verb: &str, report: &site::Report) -> String {
    let pages = report.pages + report.companions.len();
    let files = report.files.len();
    format!(
        "{verb} in {:.0} ms: ran {} of {} {}, rendered {} of {pages} {}, wrote {files} {}",
        report.elapsed_ms,
        report.ran,
        report.notebooks,
        plural(report.notebooks, "notebook", "notebooks"),
        report.rendered,
        plural(pages, "page", "pages"),
        plural(files, "file", "files"),
    )
}

/// The diagnostics for the page's overlay: each as `check --format json` writes it, with its
/// code frame as the terminal shows it (without colour) in `frame`.
fn diagnostics_json(diagnostics: &[Diagnostic]) -> String {
    let with_frames = diagnostics.iter().map(|d| {
        let mut json = d.to_json();
        json["frame"] = diag::render(std::slice::from_ref(d), false).trim_end().into();
        json
    });
    serde_json::Value::Array(with_frames.collect()).to_string()
}

/// The open event streams, one sender per connected page, and the last build's error event.
#[derive(Default)]
struct Hub {
    clients: Mutex<Vec<Sender<String>>>,
    /// What the last build left to say (its errors, or its warnings), for pages that connect.
    last: Mutex<Option<String>>,
}

impl Hub {
    /// A new stream; a page that connects while the build is broken, or has warnings, hears
    /// so at once.
    fn subscribe(&self) -> Receiver<String> {
        let (tx, rx) = mpsc::channel();
        if let Some(last) = self.last.lock().ok().and_then(|e| e.clone()) {
            let _ = tx.send(last);
        }
        if let Ok(mut clients) = self.clients.lock() {
            clients.push(tx);
        }
        rx
    }

    /// Remembers `state` for pages that connect after the next reload.
    fn remember(&self, state: Option<String>) {
        if let Ok(mut last) = self.last.lock() {
            *last = state;
        }
    }

    /// Sends `data` to every page still listening and forgets the ones that left.
    fn send(&self, data: &str) {
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

/// A change to the sources: when it was first seen, and how long before that the file it
/// names was written (its modification time), when that can be read.
struct Change {
    seen: Instant,
    saved: Option<Duration>,
}

/// Blocks until a source file changed and the folder has been quiet for `DEBOUNCE`; `None`
/// when the watcher is gone.
fn wait_for_change(changes: &Receiver<notify::Result<notify::Event>>, opts: &ServeOptions) -> Option<Change> {
    let (change, mut paths) = loop {
        match changes.recv() {
            Ok(Ok(event)) if is_source_change(&event, &opts.build.out) => {
                let seen = Instant::now();
                let written = event.paths.first().and_then(|p| std::fs::metadata(p).ok()?.modified().ok());
                let saved = written.and_then(|w| std::time::SystemTime::now().duration_since(w).ok());
                break (Change { seen, saved }, event.paths);
            }
            Ok(_) => continue,
            Err(_) => return None,
        }
    };
    let mut quiet = DEBOUNCE;
    loop {
        match changes.recv_timeout(quiet) {
            Ok(Ok(event)) => paths.extend(event.paths),
            Ok(Err(_)) => {}
            // A file left empty is most likely one an editor has truncated and not yet written
            // again: give the save a while longer.
            Err(RecvTimeoutError::Timeout) if quiet == DEBOUNCE && paths.iter().any(|p| is_empty_file(p)) => {
                quiet = EMPTY_FILE_GRACE;
            }
            Err(RecvTimeoutError::Timeout) => return Some(change),
            Err(RecvTimeoutError::Disconnected) => return None,
        }
    }
}

/// How much longer a save waits when a file it changed is empty.
const EMPTY_FILE_GRACE: Duration = Duration::from_millis(100);

fn is_empty_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == 0)
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

/// What every connection needs: the built site's folder, the event hub, the address served.
struct Site {
    root: PathBuf,
    hub: Arc<Hub>,
    hosts: Hosts,
    /// The last build's figures, for each page's provenance and changes.
    figures: Arc<Figures>,
}

/// Serves each connection on a thread of its own, at most [`MAX_CONNECTIONS`] at once.
fn accept(listener: &TcpListener, site: &Arc<Site>) {
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else {
            // Out of file descriptors, say: let connections close before trying again.
            thread::sleep(Duration::from_millis(10));
            continue;
        };
        let Some(slot) = Slot::take(&open) else {
            busy(stream);
            continue;
        };
        let site = Arc::clone(site);
        // A thread that cannot start drops the connection and gives its slot back.
        let _ = thread::Builder::new().name("nbrender-http".into()).spawn(move || {
            let _slot = slot;
            serve_connection(stream, &site);
        });
    }
}

/// One of the [`MAX_CONNECTIONS`], given back when dropped.
struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn take(open: &Arc<AtomicUsize>) -> Option<Slot> {
        open.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < MAX_CONNECTIONS).then_some(n + 1)).ok()?;
        Some(Slot(Arc::clone(open)))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Past [`MAX_CONNECTIONS`]: a 503 written without waiting (the accept loop must never block
/// on a client), and the connection closed.
fn busy(stream: TcpStream) {
    let _ = stream.set_nonblocking(true);
    let body = b"503 Service Unavailable: too many connections; try again\n";
    let _ = send(&mut &stream, 503, &[("Content-Type", TEXT), ("Retry-After", "1")], body, true);
}

/// One request, one response: a connection closes after its answer, so no idle keep-alive
/// connection holds a slot.
fn serve_connection(mut stream: TcpStream, site: &Site) {
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let head = match read_head(&mut stream) {
        Ok(head) => head,
        Err(Unread::Nothing) => return,
        Err(Unread::Refused(status, why)) => return refuse(stream, status, why),
    };
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADER_LINES];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(&head) {
        Ok(httparse::Status::Complete(_)) => {}
        Err(httparse::Error::TooManyHeaders) => return refuse(stream, 431, "too many header lines"),
        _ => return refuse(stream, 400, "not an HTTP/1.x request"),
    }
    let mut hosts = request.headers.iter().filter(|h| h.name.eq_ignore_ascii_case("host"));
    let host = match (hosts.next(), hosts.next()) {
        (Some(host), None) => host.value,
        (None, _) => return refuse(stream, 400, "a request needs a Host header"),
        (Some(_), Some(_)) => return refuse(stream, 400, "a request has one Host header"),
    };
    if !site.hosts.allows(host) {
        return refuse(stream, 421, &format!("this server answers only requests for {}", site.hosts));
    }
    let with_body = match request.method {
        Some("GET") => true,
        Some("HEAD") => false,
        _ => return refuse(stream, 405, "only GET and HEAD are answered"),
    };
    let target = request.path.unwrap_or_default();
    let path = target.split(['?', '#']).next().unwrap_or_default();
    if path == EVENTS && with_body {
        return stream_events(stream, &site.hub);
    }
    let file = match resolve(&site.root, path) {
        Some(Found::Folder) => {
            // Relative links resolve from the folder, so a page's folder is always asked for
            // with its slash. One leading slash only: `//name/` would name another host.
            let query = target.split('#').next().unwrap_or_default().split_once('?').map(|(_, q)| q);
            let location =
                format!("/{}/{}", path.trim_start_matches('/'), query.map(|q| format!("?{q}")).unwrap_or_default());
            let body = format!("301 Moved Permanently: {location}\n");
            let headers = [("Content-Type", TEXT), ("Location", location.as_str())];
            let _ = send(&mut stream, 301, &headers, body.as_bytes(), with_body);
            return linger(stream);
        }
        Some(Found::File(file)) => Some(file),
        None => None,
    };
    let (status, kind, body) = match file.and_then(|f| Some((std::fs::read(&f).ok()?, f))) {
        Some((bytes, file)) => {
            let kind = content_type(&file);
            let body = match kind.starts_with("text/html") {
                true => inject_reload(bytes, page_slug(&site.root, &file).and_then(|slug| site.figures.script(&slug))),
                false => bytes,
            };
            (200, kind, body)
        }
        // A page, so that the reload script runs here too: after a first build that failed,
        // the overlay shows on the missing page and a good build brings the real one.
        None => (404, "text/html; charset=utf-8", inject_reload(NOT_FOUND.as_bytes().to_vec(), None)),
    };
    let _ = send(&mut stream, status, &[("Content-Type", kind)], &body, with_body);
    linger(stream);
}

/// Why no request head was read.
enum Unread {
    /// The client closed, or sent nothing in time: there is no one to answer.
    Nothing,
    /// Answer with this status and reason.
    Refused(u16, &'static str),
}

/// Reads a request head up to its blank line, before [`HEAD_TIMEOUT`] and within the caps on
/// the request line and the headers, whatever the client sends: memory stays within them.
fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, Unread> {
    let deadline = Instant::now() + HEAD_TIMEOUT;
    let mut head = Vec::new();
    let mut line_end = None;
    let mut chunk = [0; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return Err(timed_out(&head));
        }
        let read = match stream.read(&mut chunk) {
            Ok(0) => return Err(Unread::Nothing),
            Ok(read) => read,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => return Err(timed_out(&head)),
            Err(_) => return Err(Unread::Nothing),
        };
        let from = head.len();
        head.extend_from_slice(chunk.get(..read).unwrap_or_default());
        line_end = line_end.or_else(|| find_newline(&head, from).map(|i| i + 1));
        let end = head_end(&head, from);
        let size = end.unwrap_or(head.len());
        // Without its line end; a request line not ended yet counts whole.
        if line_end.map_or(size, |e| e - 1) > MAX_REQUEST_LINE + 1 {
            return Err(Unread::Refused(414, "the request line is longer than 8 KiB"));
        }
        // The header lines and the blank line after them.
        if size - line_end.unwrap_or(size) > MAX_HEADERS + 2 {
            return Err(Unread::Refused(431, "the headers are longer than 64 KiB"));
        }
        if let Some(end) = end {
            head.truncate(end);
            return Ok(head);
        }
    }
}

/// A head that did not come in time: nothing to answer if nothing came.
fn timed_out(head: &[u8]) -> Unread {
    if head.is_empty() { Unread::Nothing } else { Unread::Refused(408, "the request took too long to arrive") }
}

fn find_newline(bytes: &[u8], from: usize) -> Option<usize> {
    bytes.get(from..)?.iter().position(|&b| b == b'\n').map(|i| from + i)
}

/// The end of a head, after its blank line (`\r\n` or `\n`, as httparse reads it), looking at
/// line ends from `from` on.
fn head_end(head: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(newline) = find_newline(head, at) {
        let before = head.get(..newline).unwrap_or_default();
        if before.ends_with(b"\n") || before.ends_with(b"\n\r") {
            return Some(newline + 1);
        }
        at = newline + 1;
    }
    None
}

/// Answers a request that is not served with `status` and a one-line reason, and closes.
fn refuse(mut stream: TcpStream, status: u16, why: &str) {
    let body = format!("{status} {}: {why}\n", reason(status));
    let _ = send(&mut stream, status, &[("Content-Type", TEXT)], body.as_bytes(), true);
    linger(stream);
}

/// Writes a whole response; every response closes its connection.
fn send(
    stream: &mut impl Write,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
    with_body: bool,
) -> io::Result<()> {
    let mut response = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response
        .push_str(&format!("Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n", body.len()));
    let mut bytes = response.into_bytes();
    if with_body {
        bytes.extend_from_slice(body);
    }
    stream.write_all(&bytes)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        414 => "URI Too Long",
        421 => "Misdirected Request",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// Closes after a response: stops writing, then reads and drops what the client still sends,
/// for a moment and up to a bound, so that closing with unread input does not reset the
/// connection before the client has read the response.
fn linger(mut stream: TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let deadline = Instant::now() + LINGER;
    let mut sink = [0; 4096];
    let mut drained = 0;
    while drained < LINGER_BYTES {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return;
        }
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => return,
            Ok(read) => drained += read,
        }
    }
}

/// The address served, as a request's `Host` must name it: the IP address, or `localhost` when
/// it is loopback, with the port (or without it on port 80). Any other name pointing here is
/// how a page of another site reaches a local server (DNS rebinding). Serving on all addresses
/// (`--host 0.0.0.0 --public`), any IP address is taken: only a name can be rebound.
struct Hosts(SocketAddr);

impl Hosts {
    fn allows(&self, host: &[u8]) -> bool {
        let Some((name, port)) = std::str::from_utf8(host).ok().and_then(split_port) else { return false };
        let served = self.0.ip();
        let port_matches = match port {
            Some(port) => port == self.0.port().to_string(),
            None => self.0.port() == 80,
        };
        let name_matches = if name.eq_ignore_ascii_case("localhost") {
            served.is_loopback() || served.is_unspecified()
        } else {
            ip_literal(name).is_some_and(|ip| ip == served || served.is_unspecified())
        };
        port_matches && name_matches
    }
}

impl std::fmt::Display for Hosts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (ip, port) = (self.0.ip(), self.0.port());
        match ip {
            _ if ip.is_unspecified() => write!(f, "an IP address of this machine or localhost, port {port}"),
            _ if ip.is_loopback() => write!(f, "{} or localhost:{port}", self.0),
            _ => write!(f, "{}", self.0),
        }
    }
}

/// `name` and `port` of `name:port` (`[v6]:port` for IPv6), or of a `name` without a port.
fn split_port(host: &str) -> Option<(&str, Option<&str>)> {
    let name_end = if host.starts_with('[') { host.find(']')? + 1 } else { host.find(':').unwrap_or(host.len()) };
    let (name, rest) = host.split_at(name_end);
    match rest {
        "" => Some((name, None)),
        _ => Some((name, Some(rest.strip_prefix(':')?))),
    }
}

/// An IPv4 address, or an IPv6 address in brackets.
fn ip_literal(name: &str) -> Option<IpAddr> {
    match name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        Some(v6) => v6.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
        None => name.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
    }
}

/// Holds the connection open and writes one `data:` line per build until the page leaves.
fn stream_events(mut stream: TcpStream, hub: &Hub) {
    let events = hub.subscribe();
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n: connected\n\n";
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    loop {
        // A comment now and then finds out when the page has gone.
        let chunk = match events.recv_timeout(Duration::from_secs(15)) {
            Ok(data) => format!("data: {data}\n\n"),
            Err(RecvTimeoutError::Timeout) => ": ping\n\n".to_string(),
            Err(RecvTimeoutError::Disconnected) => return,
        };
        if stream.write_all(chunk.as_bytes()).is_err() {
            return;
        }
    }
}

/// What a request path names in the built site.
#[derive(Debug, PartialEq)]
enum Found {
    File(PathBuf),
    /// A folder with an `index.html`, named without its trailing slash: redirected to it.
    Folder,
}

/// The file of the built site a request path names, or `None` for anything that is not inside
/// the site: `..` (plain or percent-encoded), backslashes, drive letters, and links out.
fn resolve(root: &Path, url_path: &str) -> Option<Found> {
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
    let folder = file.is_dir();
    if folder {
        file.push("index.html");
    }
    let root = root.canonicalize().ok()?;
    let file = file.canonicalize().ok()?;
    if !file.starts_with(&root) || !file.is_file() {
        return None;
    }
    match folder && !decoded.ends_with('/') {
        true => Some(Found::Folder),
        false => Some(Found::File(file)),
    }
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

/// The page with the reload script (and the figures' script, if any) before its last
/// `</body>` (or at the end).
fn inject_reload(bytes: Vec<u8>, figures: Option<String>) -> Vec<u8> {
    let Ok(mut html) = String::from_utf8(bytes.clone()) else { return bytes };
    let at = html.rfind("</body>").unwrap_or(html.len());
    html.insert_str(at, RELOAD_SCRIPT);
    if let Some(figures) = figures {
        html.insert_str(at, &figures);
    }
    html.into_bytes()
}

/// The slug of the page `file` is (`root/slug/index.html`).
fn page_slug(root: &Path, file: &Path) -> Option<String> {
    let root = root.canonicalize().ok()?;
    let rel = file.strip_prefix(&root).ok()?;
    let mut parts = rel.components();
    match (parts.next(), parts.next(), parts.next()) {
        (Some(slug), Some(index), None) if index.as_os_str() == "index.html" => {
            Some(slug.as_os_str().to_string_lossy().into_owned())
        }
        _ => None,
    }
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
        let file = |path: &str| match resolve(&root, path) {
            Some(Found::File(f)) => Some(f),
            _ => None,
        };
        assert!(file("/").is_some_and(|f| f.ends_with("site/index.html")));
        assert!(file("/a/").is_some_and(|f| f.ends_with("a/index.html")));
        assert_eq!(resolve(&root, "/a"), Some(Found::Folder));
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
    fn hosts_name_the_address_served() {
        let loopback = Hosts(SocketAddr::from(([127, 0, 0, 1], 8000)));
        for good in ["127.0.0.1:8000", "localhost:8000", "LOCALHOST:8000"] {
            assert!(loopback.allows(good.as_bytes()), "{good}");
        }
        for bad in [
            "evil.example:8000",
            "127.0.0.1",
            "localhost",
            "127.0.0.1:8001",
            "127.0.0.1:08000",
            "127.0.0.1:+8000",
            "127.000.000.001:8000",
            "[::1]:8000",
            "localhost:8000:8000",
            "localhost:",
            "",
        ] {
            assert!(!loopback.allows(bad.as_bytes()), "{bad}");
        }
        let v6 = Hosts(SocketAddr::from((Ipv6Addr::LOCALHOST, 8000)));
        assert!(v6.allows(b"[::1]:8000") && v6.allows(b"localhost:8000"));
        assert!(!v6.allows(b"127.0.0.1:8000") && !v6.allows(b"[::1]") && !v6.allows(b"::1:8000"));
        let on_port_80 = Hosts(SocketAddr::from(([127, 0, 0, 1], 80)));
        assert!(on_port_80.allows(b"localhost") && on_port_80.allows(b"127.0.0.1:80"));
        let everywhere = Hosts(SocketAddr::from(([0, 0, 0, 0], 8000)));
        assert!(everywhere.allows(b"192.168.1.20:8000") && everywhere.allows(b"localhost:8000"));
        assert!(!everywhere.allows(b"my-laptop.local:8000") && !everywhere.allows(b"192.168.1.20:80"));
        let public = Hosts(SocketAddr::from(([192, 168, 1, 20], 8000)));
        assert!(public.allows(b"192.168.1.20:8000"));
        assert!(!public.allows(b"localhost:8000") && !public.allows(b"127.0.0.1:8000"));
    }

    #[test]
    fn a_head_ends_at_its_blank_line_whatever_the_line_ends() {
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nbody", 0), Some(27));
        assert_eq!(head_end(b"GET / HTTP/1.1\nHost: a\n\nbody", 0), Some(24));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: a\r\n", 0), None);
        // Found when only its last byte is new.
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n\r\n", 17), Some(18));
    }

    #[test]
    fn the_reload_script_goes_before_the_body_closes() {
        let html = String::from_utf8(inject_reload(b"<body><p>x</p></body></html>".to_vec(), None)).unwrap_or_default();
        assert!(html.starts_with("<body><p>x</p><script>"));
        assert!(html.ends_with("</script>\n</body></html>"));
        assert!(html.contains(EVENTS));
    }
}
