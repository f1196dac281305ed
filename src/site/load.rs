//! Reading the folder: which notebooks exist, their slugs, and checks that span notebooks.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use rayon::prelude::*;

use super::graph::{self, Graph, Unparsed};
use crate::diag::{Code, Diagnostic, SourceFile};
use crate::file::{FileError, over};
use crate::notebook::{self, Notebook};

/// Stage 1: the notebooks of a folder, parsed, with their slugs and the graph of their
/// `results()` calls.
pub(crate) struct Loaded {
    pub notebooks: Vec<Notebook>,
    /// The notebooks asked for: every one, or the one of a one-page build.
    pub targets: Vec<usize>,
    /// In a one-page build, the notebooks whose figures the page embeds: their pages are
    /// rendered and written too, or the embedded figure's download and link back would lead
    /// nowhere. Never empty but for a page that embeds; always empty in a site build.
    pub companions: Vec<usize>,
    pub slugs: HashMap<String, usize>,
    /// Notebooks a one-page build set aside because they do not parse.
    pub unparsed: Unparsed,
    pub graph: Graph,
    /// What is wrong so far with the notebooks asked for.
    pub diagnostics: Vec<Diagnostic>,
}

/// What `load` needs beyond the folder: the limits on a notebook and on its data (a family's
/// matrix can read a `data:` column).
pub(crate) struct LoadOptions {
    pub limits: NotebookLimits,
    pub data: crate::data::DataLimits,
}

/// Reads and parses every notebook of `folder`, and lists the members of each family after
/// it. With `single`, a one-page build: the other notebooks' parse errors are set aside (they
/// explain an unknown slug the page names), and only problems of that page count; that page's
/// own parse errors end the build here. A one-page build of a family builds its landing page
/// and every member, or the members the `--param`s of its parameters pick.
pub(crate) fn load(folder: &Path, single: Option<&Path>, options: &LoadOptions) -> Result<Loaded, Vec<Diagnostic>> {
    let limits = &options.limits;
    let paths = discover(folder).map_err(|d| vec![d])?;
    let parsed: Vec<_> = paths.par_iter().map(|p| (p, read_notebook(p, limits))).collect();
    let (mut notebooks, mut diagnostics, mut unparsed) = (Vec::new(), Vec::new(), Unparsed::default());
    for (path, result) in parsed {
        match (result, single) {
            (Ok(nb), _) if nb.problems.is_empty() => notebooks.push(nb),
            // A frontmatter read with errors: they are reported, and the notebook still runs
            // and renders so that its cells and prose are checked in the same build.
            (Ok(nb), None) => {
                diagnostics.extend(nb.problems.iter().cloned());
                notebooks.push(nb);
            }
            (Ok(nb), Some(file)) if same_file(path, file) => {
                diagnostics.extend(nb.problems.iter().cloned());
                notebooks.push(nb);
            }
            (Ok(nb), Some(_)) => unparsed.add(path, nb.problems),
            (Err(d), None) => diagnostics.extend(d),
            (Err(d), Some(file)) if same_file(path, file) => return Err(d),
            (Err(d), Some(_)) => unparsed.add(path, d),
        }
    }
    let mut problems = Vec::new();
    let notebooks = with_members(notebooks, &options.data, &mut problems);
    let targets: Vec<usize> = match single {
        None => (0..notebooks.len()).collect(),
        Some(file) => match notebooks.iter().position(|n| same_file(&n.path, file)) {
            Some(t) if notebooks[t].is_family() => {
                std::iter::once(t).chain(super::family::members_of(&notebooks, t)).collect()
            }
            found => found.into_iter().collect(),
        },
    };
    let slugs = slug_index(&notebooks, &mut problems);
    let mut companions: Vec<usize> = targets
        .iter()
        .flat_map(|&t| graph::figure_refs(&notebooks[t]))
        .filter_map(|r| slugs.get(&r.slug).copied())
        .filter(|j| !targets.contains(j))
        .collect();
    companions.sort_unstable();
    companions.dedup();
    let (graph, mut graph_problems) = graph::resolve(&notebooks, &slugs, &unparsed);
    problems.append(&mut graph_problems);
    // The pages written: a companion's problems stop the build as the target's do.
    let concerns_pages = |d: &Diagnostic| {
        single.is_none()
            || d.location
                .as_ref()
                .is_some_and(|l| targets.iter().chain(&companions).any(|&t| Arc::ptr_eq(&l.file, &notebooks[t].source)))
    };
    diagnostics.extend(problems.into_iter().filter(concerns_pages));
    Ok(Loaded { notebooks, targets, companions, slugs, unparsed, graph, diagnostics })
}

/// The notebooks with each family's members listed right after it.
fn with_members(
    notebooks: Vec<Notebook>,
    data: &crate::data::DataLimits,
    problems: &mut Vec<Diagnostic>,
) -> Vec<Notebook> {
    if notebooks.iter().all(|n| n.front.pages.is_none()) {
        return notebooks;
    }
    let mut all = Vec::with_capacity(notebooks.len());
    for nb in notebooks {
        let members = match nb.front.pages.is_some() {
            true => super::family::members(&nb, data).unwrap_or_else(|mut d| {
                problems.append(&mut d);
                Vec::new()
            }),
            false => Vec::new(),
        };
        all.push(nb);
        all.extend(members);
    }
    all
}

impl Loaded {
    /// In a one-page build of a family (call it only for one), the `--param`s that name its parameters pick the
    /// members built (and no landing page); with none, it builds its landing page and every
    /// member. A value no member has is a usage error.
    pub fn pick_members(&mut self, params: &[(String, String)]) -> Result<(), Diagnostic> {
        let Some(&entry) = self.targets.first().filter(|&&t| self.notebooks[t].is_family()) else { return Ok(()) };
        let members = super::family::members_of(&self.notebooks, entry);
        self.targets = select(&self.notebooks, entry, members, params)?;
        Ok(())
    }
}

/// The pages a one-page build of family `entry` makes: its landing page and every member, or
/// the members whose parameters the `--param`s name and match.
fn select(
    notebooks: &[Notebook],
    entry: usize,
    members: std::ops::Range<usize>,
    params: &[(String, String)],
) -> Result<Vec<usize>, Diagnostic> {
    let member = |i: usize| notebooks[i].member.as_ref();
    let picking: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, _)| members.clone().next().and_then(member).is_some_and(|m| m.params.contains_key(k)))
        .collect();
    if picking.is_empty() {
        return Ok(std::iter::once(entry).chain(members).collect());
    }
    let picked: Vec<usize> = members
        .clone()
        .filter(|&i| {
            picking.iter().all(|(k, v)| member(i).and_then(|m| super::family::matches(m, k, v)).unwrap_or(false))
        })
        .collect();
    if picked.is_empty() {
        let (key, value) = picking[0];
        let mut values: Vec<String> = Vec::new();
        for m in members.clone().filter_map(member) {
            let v = match m.params.get(key) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => continue,
            };
            if !values.contains(&v) {
                values.push(v);
            }
        }
        let shown = match values.len() {
            0..=12 => values.join(", "),
            n => format!("{}, … ({n} values)", values[..12].join(", ")),
        };
        return Err(Diagnostic::error(
            Code::CliUnknownParam,
            format!(
                "no page of the family in {} has {}",
                notebooks[entry].source.name,
                picking.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", ")
            ),
        )
        .at_argument(&format!("{key}={value}"))
        .with_hint(format!("its pages have {key}: {shown}")));
    }
    Ok(picked)
}

impl Loaded {
    /// The pages a build renders: the targets, then the companions.
    pub fn pages(&self) -> impl Iterator<Item = usize> + '_ {
        self.targets.iter().chain(&self.companions).copied()
    }

    /// What the notebooks asked for would be warned about before they run: inputs they do not
    /// use, figures typed into their frontmatter texts.
    pub fn warnings(&self) -> Vec<Diagnostic> {
        // A family's members are one notebook: warned about once.
        let mut files: Vec<usize> =
            self.targets.iter().map(|&t| super::family::entry_of(&self.notebooks, t).unwrap_or(t)).collect();
        files.dedup();
        files
            .par_iter()
            .flat_map_iter(|&t| {
                let nb = &self.notebooks[t];
                let mut found = unused_inputs(nb);
                found.extend(crate::render::texts::typed_figures(nb));
                found
            })
            .collect()
    }

    /// The diagnostics of a failed build: these problems, the errors of the set-aside
    /// notebooks whose slugs the pages name, then `warnings`.
    pub fn failure(self, problems: Vec<Diagnostic>, warnings: Vec<Diagnostic>) -> Vec<Diagnostic> {
        let mut diagnostics = self.diagnostics;
        diagnostics.extend(problems);
        let named = self.targets.iter().flat_map(|&t| graph::slugs_named(&self.notebooks[t], &self.graph.calls[t]));
        diagnostics.extend(self.unparsed.named(named, &self.slugs));
        // A failed build still says what it would have warned about.
        diagnostics.extend(warnings);
        diagnostics
    }
}

pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Every `*.md` of the folder that does not start with `_`, sorted by name. Folders and
/// links to nothing (an editor's lock file) are passed over; a pipe or a device named `.md`
/// is listed, for [`read_notebook`] to refuse.
pub fn discover(folder: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    let entries = std::fs::read_dir(folder)
        .map_err(|e| Diagnostic::error(Code::IoRead, format!("cannot read folder `{}`: {e}", folder.display())))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| !m.is_dir()))
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('_')))
        .collect();
    paths.sort();
    Ok(paths)
}

/// How much one notebook file may hold (`limits:` in `_site.yaml`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NotebookLimits {
    pub max_bytes: u64,
    /// Markdown elements, counted before parsing (see `prose::markdown::past_element_limit`).
    pub max_elements: usize,
    pub max_cells: usize,
}

/// Reads and parses a notebook within `limits`: its size before it is read, its Markdown
/// elements before it is parsed, its cells before they run.
pub(crate) fn read_notebook(path: &Path, limits: &NotebookLimits) -> Result<Notebook, Vec<Diagnostic>> {
    let shown = path.strip_prefix(".").unwrap_or(path).display().to_string();
    // A notebook in the folder that is a link to a file elsewhere would publish that file:
    // refused as a `data:` link out of the folder is.
    if let (Some(folder), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str()))
        && let Err(crate::data::Escape::Link(real)) =
            crate::data::confine(if folder.as_os_str().is_empty() { Path::new(".") } else { folder }, name)
    {
        return Err(vec![
            Diagnostic::error(
                Code::IoRead,
                format!("`{shown}` is a symbolic link to `{}`, outside the notebooks folder", real.display()),
            )
            .with_hint("copy the notebook into the notebooks folder instead of linking to it"),
        ]);
    }
    let max_bytes = limits.max_bytes;
    let bytes = crate::file::read(path, max_bytes).map_err(|e| {
        vec![match e {
            FileError::Io(e) => Diagnostic::error(Code::IoRead, format!("cannot read `{shown}`: {e}")),
            FileError::NotRegular(what) => {
                Diagnostic::error(Code::IoRead, format!("`{shown}` {}", FileError::not_regular(what)))
                    .with_hint("a notebook must be a plain file; rename it if it is not one")
            }
            FileError::TooLarge(size) => Diagnostic::error(
                Code::NotebookTooLarge,
                format!(
                    "`{shown}` {} the limit of {} bytes for a notebook",
                    over(size),
                    crate::format::num(max_bytes as f64)
                ),
            )
            .with_hint("split it into several notebooks, or raise `notebook_bytes` under `limits:` in `_site.yaml`"),
        }]
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        // Shown with each invalid byte as U+FFFD; up to the first one the text is the same.
        let at = e.utf8_error().valid_up_to();
        let byte = e.as_bytes().get(at).copied().unwrap_or(0);
        let file = Arc::new(SourceFile::new(shown.clone(), String::from_utf8_lossy(e.as_bytes()).into_owned()));
        vec![
            Diagnostic::error(
                Code::NotebookEncoding,
                format!("`{shown}` is not UTF-8 text: byte 0x{byte:02X} here is not part of a UTF-8 character"),
            )
            .at(&file, at..at + '\u{FFFD}'.len_utf8())
            .with_label("not UTF-8")
            .with_hint("save the notebook as UTF-8 (in most editors: Save with Encoding, UTF-8)"),
        ]
    })?;
    if let Some(at) = crate::prose::markdown::past_element_limit(&text, limits.max_elements) {
        let file = Arc::new(SourceFile::new(shown.as_str(), text));
        return Err(vec![too_many_elements(&shown, limits.max_elements).at(&file, at..at + 1)]);
    }
    let nb = notebook::parse_lenient(path, &shown, text)?;
    if let Some(cell) = nb.cells().nth(limits.max_cells) {
        let span = nb.source.line_span(cell.fence_line);
        return Err(vec![
            Diagnostic::error(
                Code::NotebookTooLarge,
                format!("`{shown}` has more than {} cells, the limit", crate::format::num(limits.max_cells as f64)),
            )
            .at(&nb.source, span)
            .with_hint("split it into several notebooks, or raise `notebook_cells` under `limits:` in `_site.yaml`"),
        ]);
    }
    Ok(nb)
}

/// A notebook (or its prose once expanded) past the element limit.
pub(crate) fn too_many_elements(shown: &str, max: usize) -> Diagnostic {
    Diagnostic::error(
        Code::NotebookTooLarge,
        format!(
            "`{shown}` has more than {} Markdown elements, the limit (counted before parsing, as the characters that can open one: `*`, `[`, `|`, line ends, …)",
            crate::format::num(max as f64)
        ),
    )
    .with_hint("split it into several notebooks, or raise `prose_elements` under `limits:` in `_site.yaml`")
}

pub(crate) fn slug_index(notebooks: &[Notebook], diagnostics: &mut Vec<Diagnostic>) -> HashMap<String, usize> {
    let mut slugs: HashMap<String, usize> = HashMap::new();
    for (i, nb) in notebooks.iter().enumerate() {
        let slug = nb.slug();
        if !notebook::frontmatter::is_valid_slug(&slug) {
            diagnostics.push(
                Diagnostic::error(Code::NotebookBadSlug, format!("the file name gives the invalid slug `{slug}`"))
                    .at(&nb.source, 0..0)
                    .with_hint(
                        "rename the file to lowercase letters, digits and `-`, or set `slug:` in the frontmatter",
                    ),
            );
        }
        if let Some(&other) = slugs.get(&slug) {
            diagnostics.push(
                Diagnostic::error(
                    Code::SiteDuplicateSlug,
                    match &nb.member {
                        Some(m) => format!(
                            "the page with {} gets the slug `{slug}`, which {} also uses",
                            m.params_text(),
                            notebooks[other].source.name
                        ),
                        None => {
                            format!("the slug `{slug}` is also used by {}", super::family::describe(&notebooks[other]))
                        }
                    },
                )
                .at(&nb.source, {
                    let key: &[&str] = if nb.member.is_some() { &["pages", "slug"] } else { &["slug"] };
                    nb.front.value_span(key).unwrap_or_else(|| nb.source.line_span(1))
                })
                .with_hint("every page needs its own slug"),
            );
            continue;
        }
        slugs.insert(slug, i);
    }
    slugs
}

/// Every `--param` must name a param some notebook declares. In a site build, one may not name
/// a family's parameter: each member sets its own.
pub(crate) fn check_params(notebooks: &[Notebook], params: &[(String, String)], site: bool) -> Result<(), Diagnostic> {
    for (key, value) in params {
        let family = notebooks.iter().find(|n| n.member.as_ref().is_some_and(|m| m.params.contains_key(key)));
        if let (true, Some(family)) = (site, family) {
            return Err(Diagnostic::error(
                Code::CliUnknownParam,
                format!(
                    "`--param {key}=…`: `{key}` is a parameter of the family in {}, which each of its pages sets",
                    family.source.name
                ),
            )
            .at_argument(&format!("{key}={value}"))
            .with_hint(format!(
                "to build one page of the family, pass its notebook: `nbrender {} --param {key}={value}`",
                family.path.display()
            )));
        }
        if !notebooks.iter().any(|n| n.front.params.contains_key(key)) {
            let known: Vec<&str> = notebooks.iter().flat_map(|n| n.front.params.keys().map(String::as_str)).collect();
            return Err(Diagnostic::error(
                Code::CliUnknownParam,
                format!("`--param {key}=…`: no notebook declares the param `{key}`"),
            )
            .at_argument(&format!("{key}={value}"))
            .with_suggestion(key, known.iter().copied()));
        }
    }
    Ok(())
}

/// Warnings about a notebook that do not stop its build: a `data:` table or a `params:` value
/// that no cell, prose template or frontmatter text uses (read with Rhai's and minijinja's
/// tokenizers), at its key.
pub(crate) fn unused_inputs(nb: &Notebook) -> Vec<Diagnostic> {
    let declared: Vec<(&str, &str)> = nb
        .front
        .data
        .keys()
        .map(|k| ("data", k.as_str()))
        .chain(nb.front.params.keys().map(|k| ("params", k.as_str())))
        .collect();
    if declared.is_empty() {
        return Vec::new();
    }
    let front = &nb.front;
    let texts = [
        Some(&front.title),
        front.lede.as_ref(),
        front.description.as_ref(),
        front.blurb.as_ref(),
        front.headline.as_ref(),
        front.pages.as_ref().map(|p| &p.slug),
        front.pages.as_ref().map(|p| &p.title),
    ];
    // Each place is read only when it mentions the name at all, and the first use ends the search.
    let prose = crate::prose::expand::TemplateProse::of(nb);
    let used = |name: &str| {
        nb.cells().any(|cell| crate::exec::calls::uses_name(&cell.script, name))
            || texts.iter().flatten().any(|text| crate::template::uses_name(text, name))
            || prose.uses(name)
    };
    declared
        .into_iter()
        .filter(|(_, name)| !used(name))
        .map(|(under, name)| {
            let at = nb.front.spans.at(&[under, name]).and_then(|p| p.key.clone());
            let d = Diagnostic::warning(
                Code::NotebookUnusedInput,
                format!("`{name}` is declared under `{under}:` but no cell, prose or frontmatter text uses it"),
            )
            .with_hint(format!("use it as `{name}`, or remove it from `{under}:`"));
            match at {
                Some(span) => d.at(&nb.source, span),
                None => d,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn notebooks_that_are_not_regular_files_are_refused_not_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().to_path_buf();
        std::fs::write(folder.join("a.md"), "---\ntitle: A\n---\n").unwrap();
        assert!(std::process::Command::new("mkfifo").arg(folder.join("b.md")).status().unwrap().success());
        std::os::unix::fs::symlink("/dev/null", folder.join("c.md")).unwrap();
        // An editor's lock file (a link to nowhere) and a folder are not notebooks.
        std::os::unix::fs::symlink("user@host.1234", folder.join(".#a.md")).unwrap();
        std::fs::create_dir(folder.join("e.md")).unwrap();
        let found: Vec<String> =
            discover(&folder).unwrap().iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(found, ["a.md", "b.md", "c.md"]);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let read = |name: &str| {
                let limits = NotebookLimits { max_bytes: 1 << 20, max_elements: 1000, max_cells: 10 };
                let d = read_notebook(&folder.join(name), &limits).map(|_| ()).unwrap_err().remove(0);
                format!("{}: {}", d.code, d.message)
            };
            tx.send([read("b.md"), read("c.md")])
        });
        let [pipe, device] = rx.recv_timeout(std::time::Duration::from_secs(10)).expect("no hang on a pipe");
        assert!(
            pipe.starts_with("io::read: ") && pipe.ends_with("b.md` is not a regular file: it is a named pipe (FIFO)")
        );
        assert!(device.ends_with("c.md` is a symbolic link to `/dev/null`, outside the notebooks folder"), "{device}");
    }

    #[cfg(unix)]
    #[test]
    fn a_notebook_that_links_out_of_the_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("notebooks");
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(dir.path().join("secret.md"), "---\ntitle: Not for publishing\n---\n").unwrap();
        std::fs::write(folder.join("real.md"), "---\ntitle: Real\n---\n").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret.md"), folder.join("out.md")).unwrap();
        std::os::unix::fs::symlink(folder.join("real.md"), folder.join("in.md")).unwrap();
        let limits = NotebookLimits { max_bytes: 1 << 20, max_elements: 1000, max_cells: 10 };
        let d = read_notebook(&folder.join("out.md"), &limits).map(|_| ()).unwrap_err().remove(0);
        assert!(d.message.contains("out.md` is a symbolic link to"), "{}", d.message);
        assert!(d.message.ends_with("secret.md`, outside the notebooks folder"), "{}", d.message);
        assert!(read_notebook(&folder.join("in.md"), &limits).is_ok(), "a link within the folder is fine");
    }
}
