//! What `serve` adds to a page as it sends it (never to the files a build writes): where each
//! computed figure came from, shown when the reader hovers it, and which figures the last
//! rebuild changed ("3 figures changed on this page").

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::manifest::{Figure, PageManifest, Place};

/// Each page's figures from the last build, and what that build changed.
#[derive(Default)]
pub struct Figures {
    pages: Mutex<HashMap<String, Arc<PageFigures>>>,
}

/// One page's figures, and for those the last rebuild changed, what they read before.
struct PageFigures {
    manifest: Arc<PageManifest>,
    /// Key -> the text before (`None`: the figure is new).
    changed: HashMap<String, Option<String>>,
    /// Figures the last rebuild took off the page.
    removed: usize,
}

impl Figures {
    /// Takes a build's manifests; the first build changes nothing, since nothing was shown
    /// before it. A page the build did not render keeps what it had.
    pub fn update(&self, manifests: &[Arc<PageManifest>], first: bool) {
        let Ok(mut pages) = self.pages.lock() else { return };
        for manifest in manifests {
            let (changed, removed) = match pages.get(&manifest.page) {
                // Kept as it was: nothing on it changed this time.
                Some(old) if Arc::ptr_eq(&old.manifest, manifest) && old.changed.is_empty() && old.removed == 0 => {
                    continue;
                }
                Some(old) if Arc::ptr_eq(&old.manifest, manifest) => (HashMap::new(), 0),
                Some(old) => changes(&old.manifest, manifest),
                None if first => (HashMap::new(), 0),
                None => (manifest.figures.iter().map(|f| (f.key.clone(), None)).collect(), 0),
            };
            pages.insert(
                manifest.page.clone(),
                Arc::new(PageFigures { manifest: Arc::clone(manifest), changed, removed }),
            );
        }
    }

    /// The script that marks the figures of the page `slug`, or nothing when it has none.
    pub fn script(&self, slug: &str) -> Option<String> {
        let page = self.pages.lock().ok()?.get(slug).cloned()?;
        if page.manifest.figures.is_empty() {
            return None;
        }
        let figures: Vec<serde_json::Value> = page
            .manifest
            .figures
            .iter()
            .map(|f| {
                let before = page.changed.get(&f.key);
                let mut json =
                    serde_json::json!({ "text": f.text, "tip": tip(f, before), "changed": before.is_some() });
                match &f.place {
                    Place::Table { table, row, column } => {
                        json["table"] = table.as_str().into();
                        json["row"] = row.as_str().into();
                        json["column"] = column.as_str().into();
                    }
                    Place::Output { cell } => json["cell"] = (*cell).into(),
                    _ => {}
                }
                json["kind"] = kind(&f.place).into();
                json
            })
            .collect();
        let changed = page.changed.len() + page.removed;
        let data = serde_json::json!({ "changed": changed, "figures": figures });
        // Inside a script element: `</` must not end it early.
        let data = data.to_string().replace("</", "<\\/");
        Some(format!("<script type=\"application/json\" id=\"nbrender-figures\">{data}</script>\n{SCRIPT}"))
    }
}

/// The figures that changed between two builds of a page, with their text before, and how
/// many went away.
fn changes(old: &PageManifest, new: &PageManifest) -> (HashMap<String, Option<String>>, usize) {
    let before: HashMap<&str, &Figure> = old.figures.iter().map(|f| (f.key.as_str(), f)).collect();
    let changed = new
        .figures
        .iter()
        .filter_map(|f| match before.get(f.key.as_str()) {
            // As `nbrender diff` tells them apart.
            Some(b) if !crate::manifest::diff::differs(b, f) => None,
            Some(b) => Some((f.key.clone(), Some(b.text.clone()))),
            None => Some((f.key.clone(), None)),
        })
        .collect();
    let kept: std::collections::HashSet<&str> = new.figures.iter().map(|f| f.key.as_str()).collect();
    let removed = old.figures.iter().filter(|f| !kept.contains(f.key.as_str())).count();
    (changed, removed)
}

/// Where on the page the script looks for a figure.
fn kind(place: &Place) -> &'static str {
    match place {
        Place::Prose | Place::Faq { .. } => "prose",
        Place::Lede => "lede",
        Place::Table { .. } => "table",
        Place::Output { .. } => "output",
        Place::Title | Place::Description | Place::Blurb | Place::Headline | Place::Chart { .. } => "other",
    }
}

/// The words a hover shows: the expression and its line, what it is computed from, and what
/// it read before the last rebuild changed it.
fn tip(f: &Figure, before: Option<&Option<String>>) -> String {
    let mut lines = Vec::new();
    match &f.expression {
        Some(e) => lines.push(format!("{{{{ {e} }}}}  at {}", f.at)),
        None => lines.push(format!("{}, made at {}", f.place.describe(), f.at)),
    }
    let s = &f.sources;
    if !s.cells.is_empty() {
        let cells: Vec<String> = s.cells.iter().map(usize::to_string).collect();
        lines.push(format!("computed in cell{} {}", if cells.len() == 1 { "" } else { "s" }, cells.join(", ")));
    }
    for d in &s.data {
        let columns = if d.columns.is_empty() { String::new() } else { format!(": {}", d.columns.join(", ")) };
        lines.push(format!("data `{}` from {}{columns}", d.name, d.file));
    }
    if !s.params.is_empty() {
        lines.push(format!("params: {}", s.params.join(", ")));
    }
    if !s.results.is_empty() {
        lines.push(format!("results of: {}", s.results.join(", ")));
    }
    match before {
        Some(Some(text)) => lines.push(format!("changed by the last rebuild: it read {text}")),
        Some(None) => lines.push("new in the last rebuild".to_string()),
        None => {}
    }
    lines.join("\n")
}

/// Finds each figure on the page, in page order, and marks it: prose figures by their text,
/// in order, in the article's text outside the cells; table cells by their table, row and
/// column; a cell's value in its output.
const SCRIPT: &str = r#"<script>
(() => {
  const data = JSON.parse(document.getElementById("nbrender-figures").textContent);
  const style = document.createElement("style");
  style.textContent = ".nb-prov{text-decoration:underline dotted;text-underline-offset:3px;cursor:help}"
    + ".nb-prov-changed{background:#fff3a8;color:#000;box-shadow:0 0 0 2px #fff3a8}";
  document.head.appendChild(style);
  const mark = (node, start, length, f) => {
    const range = document.createRange();
    range.setStart(node, start);
    range.setEnd(node, start + length);
    const span = document.createElement("span");
    span.className = f.changed ? "nb-prov nb-prov-changed" : "nb-prov";
    span.title = f.tip;
    range.surroundContents(span);
    return span;
  };
  const markAll = (el, f) => {
    if (!el) return;
    const span = document.createElement("span");
    span.className = f.changed ? "nb-prov nb-prov-changed" : "nb-prov";
    span.title = f.tip;
    while (el.firstChild) span.appendChild(el.firstChild);
    el.appendChild(span);
  };
  // The prose's text nodes in order, outside cells and the article's header.
  const texts = (root) => {
    const out = [];
    if (!root) return out;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: (n) => n.parentElement.closest(".cell, .article-header, script, style, svg")
        ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
    });
    while (walker.nextNode()) out.push(walker.currentNode);
    return out;
  };
  const article = document.querySelector("article");
  const find = (nodes, state, f) => {
    for (; state.i < nodes.length; state.i++, state.at = 0) {
      const node = nodes[state.i];
      const at = node.data.indexOf(f.text, state.at);
      if (at >= 0) {
        const span = mark(node, at, f.text.length, f);
        nodes[state.i] = span.nextSibling || document.createTextNode("");
        state.at = 0;
        if (!span.nextSibling) state.i++;
        return;
      }
    }
  };
  const prose = { nodes: texts(article), i: 0, at: 0 };
  const lede = { nodes: texts(null), i: 0, at: 0 };
  const ledeEl = document.querySelector(".lede");
  if (ledeEl) { lede.nodes = []; const w = document.createTreeWalker(ledeEl, NodeFilter.SHOW_TEXT); while (w.nextNode()) lede.nodes.push(w.currentNode); }
  const cellOf = (f) => document.getElementById(f.table) || document.getElementById("cell-" + f.cell);
  for (const f of data.figures) {
    if (!f.text) continue;
    if (f.kind === "prose") {
      const saved = { i: prose.i, at: prose.at };
      find(prose.nodes, prose, f);
      if (prose.i >= prose.nodes.length) Object.assign(prose, saved);
    } else if (f.kind === "lede") {
      find(lede.nodes, lede, f);
    } else if (f.kind === "table") {
      const table = document.getElementById(f.table) || document.getElementById(f.table.replace(/^cell-/, "cell-"));
      const t = table && (table.tagName === "TABLE" ? table : table.querySelector("table"));
      if (!t) continue;
      const headers = Array.from(t.querySelectorAll("thead th, tr:first-child th")).map((h) => h.textContent.trim());
      const column = headers.indexOf(f.column);
      for (const row of t.querySelectorAll("tbody tr")) {
        if (row.cells[0] && row.cells[0].textContent.trim() === f.row && row.cells[column]) {
          markAll(row.cells[column], f);
          break;
        }
      }
    } else if (f.kind === "output") {
      const cell = cellOf(f);
      markAll(cell && cell.querySelector("pre.output-text"), f);
    }
  }
  if (data.changed > 0) {
    const badge = document.createElement("div");
    badge.id = "nbrender-changed";
    badge.textContent = data.changed + (data.changed === 1 ? " figure" : " figures") + " changed on this page";
    badge.title = "since the build before the last one; changed figures are highlighted";
    badge.style.cssText = "position:fixed;top:1rem;right:1rem;z-index:2147483646;background:#fff3a8;color:#000;"
      + "border:1px solid #b58900;border-radius:6px;padding:.4rem .7rem;font:14px/1.4 system-ui,sans-serif;"
      + "box-shadow:0 2px 12px rgba(0,0,0,.2)";
    document.body.appendChild(badge);
  }
})();
</script>
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{Found, Sources, keyed};

    fn page(texts: &[(&str, &str)]) -> Arc<PageManifest> {
        let found = texts
            .iter()
            .map(|(e, t)| Found {
                section: None,
                place: Place::Prose,
                expression: Some(e.to_string()),
                at: "a.md:1".into(),
                value: serde_json::Value::Null,
                text: t.to_string(),
                context: None,
                sources: Sources { cells: vec![2], ..Sources::default() },
            })
            .collect();
        Arc::new(PageManifest {
            version: 1,
            page: "a".into(),
            title: "A".into(),
            notebook: "a.md".into(),
            figures: keyed(found),
        })
    }

    #[test]
    fn a_rebuild_counts_the_figures_it_changed() {
        let figures = Figures::default();
        figures.update(&[page(&[("x", "$1"), ("y", "2%")])], true);
        assert!(figures.script("a").unwrap().contains("\"changed\":0"));
        let second = page(&[("x", "$1"), ("y", "3%"), ("z", "</script>")]);
        figures.update(std::slice::from_ref(&second), false);
        let script = figures.script("a").unwrap();
        assert!(script.contains("\"changed\":2"), "{script}");
        assert!(script.contains("it read 2%"), "{script}");
        assert!(script.contains("computed in cell 2"), "{script}");
        assert!(!script[..script.find("</script>").unwrap()].contains("</script"), "{script}");
        assert!(figures.script("b").is_none());
        // A rebuild that keeps the page as it was changed nothing on it.
        figures.update(&[second], false);
        assert!(figures.script("a").unwrap().contains("\"changed\":0"));
    }
}
