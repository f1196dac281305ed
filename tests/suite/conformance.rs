//! Conformance: the prose path (`nbrender::prose::render_fragment`) held to the CommonMark
//! spec, the GitHub Flavored Markdown spec and cmark-gfm's extension examples, as found in
//! `../shared/conformance/` beside the clone.
//!
//! Every example is rendered and compared with the spec's HTML after both are normalised by
//! the spec runner's own `normalize.py` (one `python3` call per run). The examples that differ,
//! and why, are listed in `tests/conformance/DEVIATIONS.md`; the list must stay exact: an
//! unlisted difference fails, and so does a listed example that no longer differs.
//!
//! A second test renders each example after a `{{ x }}` line and requires the same HTML
//! after the inserted paragraph: a template in a stretch of prose must not change the Markdown
//! around it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::process::{Command, Stdio};

use nbrender::prose::render_fragment;

const SUITES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/conformance");
const DEVIATIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance/DEVIATIONS.md");

/// The spec files, each with the key the deviations file names it by.
const FILES: &[(&str, &str)] =
    &[("commonmark", "commonmark-spec.txt"), ("gfm", "gfm-spec.txt"), ("gfm-ext", "gfm-extensions.txt")];

/// The section of `DEVIATIONS.md` listing examples that differ from their spec.
const DEVIATING: &str = "Deviations";
/// The section listing examples the template-line test skips.
const SKIPPED: &str = "Skipped with a template line in front";

/// How many failing examples are shown in full.
const SHOWN: usize = 10;

/// One spec example.
#[derive(Debug, Clone)]
struct Example {
    /// The spec file's key (`commonmark`, `gfm`, `gfm-ext`).
    file: &'static str,
    /// The running count of examples in its file, from 1.
    number: usize,
    /// The line of its opening fence in the spec file.
    line: usize,
    /// The nearest `#` heading above it.
    section: String,
    markdown: String,
    html: String,
}

impl Example {
    /// The expected HTML is `<IGNORE>`: the example (an input that once crashed a parser)
    /// only asks to be rendered.
    fn ignores_output(&self) -> bool {
        self.html.trim() == "<IGNORE>"
    }

    fn has_template_syntax(&self) -> bool {
        ["{{", "{%", "{#"].iter().any(|t| self.markdown.contains(t))
    }
}

/// Reads the examples of a spec file: between a line of 32 backticks followed by ` example`
/// (and maybe more words) and a line of 32 backticks, Markdown then `.` then HTML.
fn parse_spec(file: &'static str, text: &str) -> Vec<Example> {
    let fence = "`".repeat(32);
    let mut examples = Vec::new();
    let mut section = String::new();
    // 0: prose, 1: Markdown, 2: HTML.
    let mut state = 0;
    let (mut markdown, mut html, mut line) = (String::new(), String::new(), 0);
    for (i, l) in text.split('\n').enumerate() {
        let l = l.strip_suffix('\r').unwrap_or(l);
        match state {
            0 if l.strip_prefix(fence.as_str()).is_some_and(|r| r == " example" || r.starts_with(" example ")) => {
                state = 1;
                line = i + 1;
                markdown.clear();
                html.clear();
            }
            0 => {
                let hashes = l.bytes().take_while(|&b| b == b'#').count();
                if (1..=6).contains(&hashes) && l[hashes..].starts_with(' ') {
                    section = l[hashes..].trim().to_string();
                }
            }
            1 if l == "." => state = 2,
            1 => {
                markdown.push_str(l);
                markdown.push('\n');
            }
            _ if l == fence => {
                state = 0;
                examples.push(Example {
                    file,
                    number: examples.len() + 1,
                    line,
                    section: section.clone(),
                    markdown: markdown.replace('→', "\t"),
                    html: html.replace('→', "\t"),
                });
            }
            _ => {
                html.push_str(l);
                html.push('\n');
            }
        }
    }
    assert_eq!(state, 0, "{file}: the last example is not closed");
    examples
}

fn all_examples() -> Vec<Example> {
    let mut all = Vec::new();
    for &(key, name) in FILES {
        let path = format!("{SUITES}/{name}");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!("cannot read {path}: {e}; the conformance suites live in ../shared/conformance beside the clone")
        });
        let examples = parse_spec(key, &text);
        assert!(!examples.is_empty(), "{path}: no examples found");
        all.extend(examples);
    }
    all
}

/// The entries of one section of `DEVIATIONS.md`: `- file N: reason` lines under `## name`.
fn listed(section: &str) -> BTreeMap<(String, usize), String> {
    let text = std::fs::read_to_string(DEVIATIONS).unwrap_or_else(|e| panic!("cannot read {DEVIATIONS}: {e}"));
    let mut current: Option<&str> = None;
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(h) = line.strip_prefix("## ") {
            current = Some(h.trim());
            continue;
        }
        if current != Some(section) {
            continue;
        }
        let Some(entry) = line.strip_prefix("- ") else { continue };
        let parsed = entry.split_once(':').and_then(|(id, reason)| {
            let (file, number) = id.trim().split_once(' ')?;
            Some((file.to_string(), number.trim().parse::<usize>().ok()?, reason.trim().to_string()))
        });
        let Some((file, number, reason)) = parsed else {
            panic!("DEVIATIONS.md line {}: expected `- file N: reason`, found `{line}`", i + 1)
        };
        assert!(FILES.iter().any(|&(k, _)| k == file), "DEVIATIONS.md line {}: unknown file key `{file}`", i + 1);
        assert!(!reason.is_empty(), "DEVIATIONS.md line {}: give a reason", i + 1);
        let previous = out.insert((file.clone(), number), reason);
        assert!(previous.is_none(), "DEVIATIONS.md line {}: `{file} {number}` is listed twice in `{section}`", i + 1);
    }
    out
}

/// Runs the spec runner's `normalize_html` over every string, in one `python3` process.
fn normalize_all(html: &[String]) -> Vec<String> {
    const DRIVER: &str = "import json, sys\n\
                          sys.path.insert(0, sys.argv[1])\n\
                          from normalize import normalize_html\n\
                          items = json.load(sys.stdin)\n\
                          json.dump([normalize_html(h) for h in items], sys.stdout)\n";
    let mut child = Command::new("python3")
        .args(["-c", DRIVER, SUITES])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run python3 ({e}): the conformance test needs python3 for the spec's normalize.py")
        });
    let input = serde_json::to_vec(html).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let mut stdout = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    writer.join().unwrap().unwrap();
    assert!(status.success(), "python3 normalize.py failed ({status}):\n{stderr}");
    let out: Vec<String> = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("normalize.py gave no JSON list ({e}):\n{stdout}\n{stderr}"));
    assert_eq!(out.len(), html.len(), "normalize.py gave back a list of another length");
    out
}

/// Removes what nbrender adds to CommonMark's HTML by design (DEVIATIONS.md): every heading's
/// id (checked for here: present, not empty, unique on the page), section numbers in H2
/// headings and the cross-reference labels after labelled headings.
fn without_additions(html: &str) -> String {
    let mut ids = std::collections::HashSet::new();
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("<h") {
        let tag = &rest[at..];
        let level = tag.as_bytes().get(2).copied().unwrap_or(b'x');
        if !(b'1'..=b'6').contains(&level) || !tag[3..].starts_with(" id=\"") {
            assert!(!(b'1'..=b'6').contains(&level) || !tag[3..].starts_with('>'), "a heading without an id: {html}");
            out.push_str(&rest[..at + 2]);
            rest = &rest[at + 2..];
            continue;
        }
        let id_start = at + 3 + " id=\"".len();
        let id_end = id_start + rest[id_start..].find('"').unwrap();
        let id = &rest[id_start..id_end];
        assert!(!id.is_empty(), "an empty heading id: {html}");
        assert!(ids.insert(id.to_string()), "the heading id `{id}` twice: {html}");
        out.push_str(&rest[..at + 3]);
        rest = &rest[id_end + 1..];
    }
    out.push_str(rest);
    let mut html = remove_elements(&out, "<span class=\"sec-num\">", "</span>");
    html = remove_elements(&html, "<p class=\"xref-label\">", "</p>\n");
    remove_elements(&html, "<p class=\"xref-label\">", "</p>")
}

fn remove_elements(html: &str, open: &str, close: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find(open) {
        let Some(len) = rest[start..].find(close) else { break };
        out.push_str(&rest[..start]);
        rest = &rest[start + len + close.len()..];
    }
    out.push_str(rest);
    out
}

fn rendered(md: &str, values: &[(&str, &str)]) -> Result<String, String> {
    render_fragment(md, values).map_err(|diagnostics| {
        let messages: Vec<String> = diagnostics.iter().map(|d| format!("{}: {}", d.code, d.message)).collect();
        messages.join("; ")
    })
}

fn show(e: &Example) -> String {
    format!("{} example {} (line {}, section `{}`)", e.file, e.number, e.line, e.section)
}

/// Writes every deviating example, listed or not, as JSON (`CONFORMANCE_DUMP=file`), for
/// going through them when the renderer or comrak changes.
fn dump(path: &str, examples: &[Example], normal: &[String], deviates: &[bool]) {
    let all: Vec<serde_json::Value> = examples
        .iter()
        .enumerate()
        .filter(|&(i, _)| deviates[i])
        .map(|(i, e)| {
            serde_json::json!({
                "file": e.file, "number": e.number, "line": e.line, "section": e.section,
                "markdown": e.markdown, "expected": normal[2 * i], "actual": normal[2 * i + 1],
            })
        })
        .collect();
    std::fs::write(path, serde_json::to_string_pretty(&all).unwrap()).unwrap();
}

#[test]
fn spec_examples_render_as_the_specs_say_or_are_listed() {
    let examples = all_examples();
    let listed = listed(DEVIATING);
    let known: BTreeSet<(String, usize)> = examples.iter().map(|e| (e.file.to_string(), e.number)).collect();
    let unknown: Vec<String> = listed.keys().filter(|k| !known.contains(*k)).map(|(f, n)| format!("{f} {n}")).collect();
    assert!(unknown.is_empty(), "DEVIATIONS.md lists examples that do not exist: {}", unknown.join(", "));

    let mut strings: Vec<String> = Vec::with_capacity(examples.len() * 2);
    let mut failed = Vec::with_capacity(examples.len());
    for e in &examples {
        strings.push(e.html.clone());
        let html = rendered(&e.markdown, &[]);
        failed.push(html.is_err());
        strings.push(match html {
            Ok(html) => without_additions(&html),
            Err(message) => format!("ERROR {message}"),
        });
    }
    let normal = normalize_all(&strings);
    let deviates: Vec<bool> = (0..examples.len())
        .map(|i| failed[i] || (!examples[i].ignores_output() && normal[2 * i] != normal[2 * i + 1]))
        .collect();

    let mut unlisted = Vec::new();
    let mut fixed = Vec::new();
    let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (i, e) in examples.iter().enumerate() {
        let (expected, actual) = (&normal[2 * i], &normal[2 * i + 1]);
        let deviates = deviates[i];
        let count = counts.entry(e.file).or_default();
        count.0 += 1;
        count.1 += usize::from(deviates);
        let is_listed = listed.contains_key(&(e.file.to_string(), e.number));
        if deviates && !is_listed {
            unlisted.push((e, expected, actual));
        } else if !deviates && is_listed {
            fixed.push(format!("{} {}", e.file, e.number));
        }
    }
    if let Ok(path) = std::env::var("CONFORMANCE_DUMP") {
        dump(&path, &examples, &normal, &deviates);
    }
    for (file, (all, deviating)) in &counts {
        println!("{file}: {all} examples, {} as the spec says, {deviating} deviate", all - deviating);
    }

    let mut report = String::new();
    if !unlisted.is_empty() {
        report.push_str(&format!(
            "{} examples deviate from their spec and are not in tests/conformance/DEVIATIONS.md:\n\n",
            unlisted.len()
        ));
        for (e, expected, actual) in unlisted.iter().take(SHOWN) {
            report.push_str(&format!(
                "{}\n--- markdown\n{}--- expected (normalised)\n{expected}\n--- actual (normalised)\n{actual}\n\n",
                show(e),
                e.markdown
            ));
        }
        let ids: Vec<String> = unlisted.iter().map(|(e, _, _)| format!("{} {}", e.file, e.number)).collect();
        report.push_str(&format!("all unlisted: {}\n\n", ids.join(", ")));
    }
    if !fixed.is_empty() {
        report.push_str(&format!(
            "listed in DEVIATIONS.md but now rendered as the spec says (remove them): {}\n",
            fixed.join(", ")
        ));
    }
    assert!(report.is_empty(), "{report}");
}

#[test]
fn a_template_line_in_front_changes_nothing_after_it() {
    const PREFIX: &str = "{{ x }}\n\n";
    const VALUES: &[(&str, &str)] = &[("x", "tplvalue")];
    const PARAGRAPH: &str = "<p>tplvalue</p>\n";
    let examples = all_examples();
    let skipped = listed(SKIPPED);
    let known: BTreeSet<(String, usize)> = examples.iter().map(|e| (e.file.to_string(), e.number)).collect();
    let unknown: Vec<String> =
        skipped.keys().filter(|k| !known.contains(*k)).map(|(f, n)| format!("{f} {n}")).collect();
    assert!(unknown.is_empty(), "DEVIATIONS.md skips examples that do not exist: {}", unknown.join(", "));

    let mut unlisted_templates = Vec::new();
    let mut failures = Vec::new();
    let mut run = 0;
    for e in &examples {
        if skipped.contains_key(&(e.file.to_string(), e.number)) {
            continue;
        }
        if e.has_template_syntax() {
            unlisted_templates.push(format!("{} {}", e.file, e.number));
            continue;
        }
        run += 1;
        let plain = rendered(&e.markdown, &[]);
        let expected = plain.map(|html| format!("{PARAGRAPH}{html}"));
        let actual = rendered(&format!("{PREFIX}{}", e.markdown), VALUES);
        if actual != expected {
            failures.push((e, expected, actual));
        }
    }
    println!("{run} examples rendered after a template line, {} differ", failures.len());

    let mut report = String::new();
    if !unlisted_templates.is_empty() {
        report.push_str(&format!(
            "examples with template syntax must be listed under `## {SKIPPED}` in DEVIATIONS.md: {}\n\n",
            unlisted_templates.join(", ")
        ));
    }
    if !failures.is_empty() {
        report.push_str(&format!(
            "{} examples render differently after a `{{{{ x }}}}` line (expected: `{}` then the example's own HTML):\n\n",
            failures.len(),
            PARAGRAPH.trim_end()
        ));
        for (e, expected, actual) in failures.iter().take(SHOWN) {
            report.push_str(&format!(
                "{}\n--- markdown\n{}--- expected\n{}\n--- actual\n{}\n\n",
                show(e),
                e.markdown,
                expected.as_ref().unwrap_or_else(|m| m),
                actual.as_ref().unwrap_or_else(|m| m),
            ));
        }
        let ids: Vec<String> = failures.iter().map(|(e, _, _)| format!("{} {}", e.file, e.number)).collect();
        report.push_str(&format!("all that differ: {}\n", ids.join(", ")));
    }
    assert!(report.is_empty(), "{report}");
}
