//! `nbrender serve` end to end: the real binary serving the shipped notebooks over HTTP, a
//! save rebuilding the page, a broken notebook reported over server-sent events. (The tests of
//! an open page in Chromium are in the browser target: `tests/browser/serve.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::Project;
use crate::common::server::{Server, free_port, next_line_with, serve_command, status_and_body};

/// Sends `request` as it is and reads the response until the server closes: its status (0 for
/// none: the connection was closed or reset) and body.
fn exchange(port: u16, request: &[u8]) -> (u16, String) {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return (0, String::new()) };
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = stream.write_all(request);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    status_and_body(&String::from_utf8_lossy(&response))
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

    // Malformed requests get a 4xx (or a closed connection), and the server carries on.
    for raw in ["GARBAGE\r\n\r\n", "GET\r\n\r\n", "GET /x HTTP/9.9\r\n\r\n", "GET /\x00/../ HTTP/1.0\r\n\r\n"] {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = stream.write_all(raw.as_bytes());
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        let status: u16 = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(400);
        assert!((400..500).contains(&status), "{raw:?} got {status}: {response}");
        assert!(!response.contains("[package]"), "{raw:?} leaked a file");
    }
    assert_eq!(server.get("/").0, 200, "the server stopped answering after malformed requests");

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

#[test]
fn serving_beyond_loopback_needs_public_and_warns() {
    let p = Project::with_notebooks("notebooks");
    let refused = p.run(&["serve", "notebooks/", "--host", "0.0.0.0", "--port", "1"]);
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("add --public"), "{}", refused.stderr);

    let mut child =
        serve_command(&p, free_port(), &["--host", "0.0.0.0", "--public"]).stderr(Stdio::piped()).spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut said = String::new();
    while !said.contains("warning:") {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            break;
        }
        said.push_str(&line);
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(said.contains("serving http://127.0.0.1:"), "{said}");
    assert!(said.contains("warning: serving on 0.0.0.0"), "{said}");
}

/// Ctrl-C (SIGINT) stops the server and removes its temporary site; so do SIGTERM (a service
/// manager, `kill`) and SIGHUP (a closed terminal).
#[test]
fn ctrl_c_sigterm_and_sighup_remove_the_temporary_site() {
    for signal in ["-INT", "-TERM", "-HUP"] {
        let p = Project::with_notebooks("notebooks");
        let mut child = serve_command(&p, free_port(), &[]).spawn().unwrap();
        let site = p.path(&format!("nbrender-serve-{}", child.id()));
        let started = Instant::now();
        while !site.join("index.html").is_file() {
            assert!(started.elapsed() < Duration::from_secs(60), "the site was never built in {}", site.display());
            std::thread::sleep(Duration::from_millis(50));
        }
        let sent = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
        assert!(sent.success());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(130), "{signal}");
        assert!(!site.exists(), "{signal}: the temporary site is still there");
    }
}

/// A page folder asked for without its slash is redirected to it, so that the page's relative
/// links (`../assets/`, `fig-x.svg`) resolve from the folder, as on any static host.
#[test]
fn a_page_folder_without_its_slash_is_redirected_to_it() {
    let p = Project::with_notebooks("notebooks");
    let server = Server::start(&p);
    let port = server.port;
    for (path, location) in [
        ("/mlops-engineer", "/mlops-engineer/"),
        ("/mlops-engineer?from=x", "/mlops-engineer/?from=x"),
        // Never `//mlops-engineer/`, which a browser reads as another host.
        ("//mlops-engineer", "/mlops-engineer/"),
    ] {
        let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { panic!("no connection") };
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        assert!(response.starts_with("HTTP/1.1 301 "), "{path}: {response}");
        assert!(response.contains(&format!("\r\nLocation: {location}\r\n")), "{path}: {response}");
    }
    // A file is served as it is, and the folder with its slash too.
    assert_eq!(server.get("/mlops-engineer/fig-tiers.svg").0, 200);
    assert_eq!(server.get("/mlops-engineer/").0, 200);
}

/// Every count the log prints agrees with its number: `wrote 1 file`, `of 1 notebook`.
#[test]
fn the_rebuild_line_counts_in_words_that_agree() {
    let p = Project::empty();
    p.write("notebooks/a.md", "---\ntitle: A\n---\nFirst.\n");
    let server = Server::start(&p);
    let mut events = server.events();
    p.write("notebooks/a.md", "---\ntitle: A\n---\nSecond.\n");
    assert_eq!(next_line_with(&mut events, "data: ").as_deref(), Some("data: reload"));
    let log = std::fs::read_to_string(p.path("serve.log")).unwrap();
    let rebuilt = log.lines().find(|l| l.starts_with("rebuilt in ")).unwrap_or_else(|| panic!("{log}"));
    assert!(rebuilt.ends_with(": ran 1 of 1 notebook, rendered 1 of 1 page, wrote 1 file"), "{rebuilt}");
    assert!(!log.contains("timing:"), "timings without -v: {log}");
}

/// With `-v`, each rebuild also says where its time went, stage by stage.
#[test]
fn serve_v_says_where_a_rebuild_took_its_time() {
    let p = Project::empty();
    p.write("notebooks/a.md", "---\ntitle: A\n---\nFirst.\n");
    let server = Server::start_with(&p, &["-v"]);
    let mut events = server.events();
    p.write("notebooks/a.md", "---\ntitle: A\n---\nSecond.\n");
    assert_eq!(next_line_with(&mut events, "data: ").as_deref(), Some("data: reload"));
    let started = std::time::Instant::now();
    let timing = loop {
        let log = std::fs::read_to_string(p.path("serve.log")).unwrap();
        if let Some(line) = log.lines().find(|l| l.starts_with("timing: ")) {
            break line.to_string();
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "no timing line: {log}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(timing.contains("quiet for ") && timing.contains(" ms; built and told the pages in "), "{timing}");
    for stage in ["parse ", "execute ", "render ", "write "] {
        assert!(timing.contains(stage), "{timing}");
    }
}

#[test]
fn open_hands_the_address_to_the_desktop_browser() {
    use std::os::unix::fs::PermissionsExt as _;
    let p = Project::with_notebooks("notebooks");
    // A stand-in for the desktop's opener, first on the PATH, that notes what it was asked to open.
    let bin = p.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let opened = p.path("opened.txt");
    let script = format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", opened.display());
    for name in ["xdg-open", "gio", "gnome-open", "kde-open", "wslview"] {
        std::fs::write(bin.join(name), &script).unwrap();
        std::fs::set_permissions(bin.join(name), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let port = free_port();
    let child = serve_command(&p, port, &["--open", "--out"])
        .arg(p.path("site"))
        .env("PATH", path)
        .env_remove("BROWSER")
        .spawn()
        .unwrap();
    let _server = Server { child, port };
    let started = Instant::now();
    while std::fs::read_to_string(&opened).unwrap_or_default().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(60), "--open never opened a browser");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(std::fs::read_to_string(&opened).unwrap(), format!("http://127.0.0.1:{port}/"));
}

/// A line of `/proc/PID/status`, such as `Threads` or `VmHWM`, as a number.
fn proc_status(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(&format!("{field}:"))).unwrap();
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap()
}

#[test]
fn port_0_serves_on_a_free_port_and_says_which() {
    let p = Project::with_notebooks("notebooks");
    let mut command = serve_command(&p, 0, &["--out"]);
    let child = command.arg(p.path("site")).stderr(Stdio::piped()).spawn().unwrap();
    let mut server = Server { child, port: 0 };
    let mut stderr = BufReader::new(server.child.stderr.take().unwrap());
    let serving = loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the server stopped before serving");
        if let Some(rest) = line.strip_prefix("serving http://127.0.0.1:") {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    server.port = serving.parse().unwrap_or_else(|_| panic!("not a port: {serving}"));
    assert_ne!(server.port, 0);
    assert_eq!(server.get("/").0, 200);
}

/// A page on another site can make a browser ask a loopback server by a name of its own (DNS
/// rebinding): only requests for the address served are answered.
#[test]
fn only_requests_for_the_address_served_are_answered() {
    let p = Project::with_notebooks("notebooks");
    let server = Server::start(&p);
    let port = server.port;
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}"), format!("LocalHost:{port}")] {
        let (status, body) = exchange(port, format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes());
        assert_eq!(status, 200, "{host}");
        assert!(body.contains("EventSource"), "{host}");
    }
    let other = port.wrapping_add(1);
    for host in [
        format!("evil.example:{port}"),
        "evil.example".to_string(),
        format!("127.0.0.1:{other}"),
        "localhost".to_string(),
        format!("localhost.:{port}"),
        format!("localhost:{port}.evil.example"),
        format!("[::1]:{port}"),
        String::new(),
    ] {
        let (status, body) = exchange(port, format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes());
        assert_eq!(status, 421, "{host:?}");
        assert!(!body.contains("EventSource") && body.contains("127.0.0.1"), "{host:?}: {body}");
    }
    let events = format!("GET /_nbrender/events HTTP/1.1\r\nHost: evil.example:{port}\r\n\r\n");
    assert_eq!(exchange(port, events.as_bytes()).0, 421);
    // No Host, or two.
    assert_eq!(exchange(port, b"GET / HTTP/1.1\r\n\r\n").0, 400);
    assert_eq!(exchange(port, b"GET / HTTP/1.0\r\n\r\n").0, 400);
    let twice = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: evil.example\r\n\r\n");
    assert_eq!(exchange(port, twice.as_bytes()).0, 400);
}

#[test]
fn long_request_lines_and_headers_are_refused_and_the_server_carries_on() {
    let p = Project::with_notebooks("notebooks");
    let server = Server::start(&p);
    let port = server.port;
    let host = format!("Host: 127.0.0.1:{port}\r\n");
    let at_the_caps = format!("GET /{} HTTP/1.1\r\n{host}X: {}\r\n\r\n", "a".repeat(8000), "b".repeat(60_000));
    assert_eq!(exchange(port, at_the_caps.as_bytes()).0, 404, "a request within the caps is answered");

    let line = format!("GET /{} HTTP/1.1\r\n{host}\r\n", "a".repeat(9 * 1024));
    assert_eq!(exchange(port, line.as_bytes()).0, 414, "a 9 KiB request line");
    let headers = format!("GET / HTTP/1.1\r\n{host}{}\r\n", "X-Padding: 0123456789abcdef\r\n".repeat(2400));
    assert_eq!(exchange(port, headers.as_bytes()).0, 431, "70 KiB of headers");
    assert_eq!(server.get("/").0, 200, "the server stopped answering");

    // A 100 MB header line: the server stops reading, its memory does not grow with it.
    let pid = server.child.id();
    let peak = proc_status(pid, "VmHWM");
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    let started = Instant::now();
    let _ = stream.write_all(format!("GET / HTTP/1.1\r\n{host}X-Big: ").as_bytes());
    let chunk = vec![b'x'; 1 << 20];
    let mut sent = 0;
    while sent < 100 && started.elapsed() < Duration::from_secs(8) && stream.write_all(&chunk).is_ok() {
        sent += 1;
    }
    drop(stream);
    let grown = proc_status(pid, "VmHWM").saturating_sub(peak);
    println!("a 100 MB header line: {sent} MiB sent before the server closed; its peak memory grew {grown} kB");
    assert!(sent < 100, "the server read a 100 MB header line");
    assert!(grown < 16 * 1024, "the server's peak memory grew by {grown} kB");
    assert_eq!(server.get("/").0, 200, "the server stopped answering");
}

#[test]
fn idle_connections_cannot_hold_the_server_and_threads_stay_bounded() {
    let p = Project::with_notebooks("notebooks");
    let server = Server::start(&p);
    let pid = server.child.id();
    let before = proc_status(pid, "Threads");
    let idle: Vec<TcpStream> = (0..200).filter_map(|_| TcpStream::connect(("127.0.0.1", server.port)).ok()).collect();
    assert_eq!(idle.len(), 200);
    std::thread::sleep(Duration::from_millis(500));
    let during = proc_status(pid, "Threads");
    assert!(during <= before + 64, "{during} threads serving 200 idle connections (before: {before})");
    let started = Instant::now();
    while server.get("/").0 != 200 {
        assert!(started.elapsed() < Duration::from_secs(8), "200 idle connections stopped the server");
        std::thread::sleep(Duration::from_millis(100));
    }
    println!("threads: {before} before, {during} with 200 idle connections; answered after {:?}", started.elapsed());
    drop(idle);
}

/// An editor that empties a file and writes it again a moment later (a truncate, then the
/// text) makes one rebuild of the saved text, not a failed build of an empty file first.
#[test]
fn a_file_emptied_then_written_again_is_one_save() {
    let p = Project::empty();
    p.write("notebooks/a.md", "---\ntitle: A\n---\nFirst.\n");
    let server = Server::start(&p);
    let mut events = server.events();
    p.write("notebooks/a.md", "");
    std::thread::sleep(std::time::Duration::from_millis(40));
    p.write("notebooks/a.md", "---\ntitle: A\n---\nSecond.\n");
    assert_eq!(next_line_with(&mut events, "data: ").as_deref(), Some("data: reload"));
    server.wait_for("/a/", "Second.");
}

/// Served pages mark their figures with where they came from, and after a data edit say how
/// many moved; the files the build wrote stay as a clean build writes them.
#[test]
fn served_pages_show_each_figures_source_and_what_a_rebuild_changed() {
    let p = Project::with_notebooks("tests/fixtures/editorial/notebooks");
    let server = Server::start(&p);
    let (status, page) = server.get("/pay/");
    assert_eq!(status, 200);
    assert!(page.contains("id=\"nbrender-figures\""), "no figures on the served page");
    assert!(page.contains("{{ l5 | money_band }}  at pay.md:22\\ncomputed in cell 1"), "{page}");
    assert!(page.contains("data `pay` from data/pay.csv: base_hi, base_lo, level"), "{page}");
    assert!(page.contains("\"changed\":0"), "the first build changes nothing");
    assert!(!p.read("site/pay/index.html").contains("nbrender-figures"), "the figures leaked into the built file");
    p.write("notebooks/data/pay.csv", "level,base_lo,base_hi\nL4,150000,180000\nL5,180000,230000\nL6,220000,280000\n");
    server.wait_for("/pay/", "\"changed\":4");
    let (_, page) = server.get("/pay/");
    assert!(page.contains("changed by the last rebuild: it read $180,000 to $220,000"), "{page}");
    server.wait_for("/hub/", "\"changed\":1");
    assert!(server.get("/other/").1.contains("\"changed\":0"));
}
