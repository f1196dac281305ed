//! Reading the folder: which notebooks exist, their slugs, and checks that span notebooks.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::diag::Diagnostic;
use crate::notebook::{self, Notebook, Related};

pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Every `*.md` of the folder that does not start with `_`, sorted by name.
pub fn discover(folder: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    let entries = std::fs::read_dir(folder)
        .map_err(|e| Diagnostic::error("io::read", format!("cannot read folder `{}`: {e}", folder.display())))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "md"))
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('_')))
        .collect();
    paths.sort();
    Ok(paths)
}

pub(crate) fn read_notebook(path: &Path, max_bytes: u64) -> Result<Notebook, Vec<Diagnostic>> {
    let shown = path.strip_prefix(".").unwrap_or(path).display().to_string();
    if let Ok(meta) = std::fs::metadata(path)
        && meta.len() > max_bytes
    {
        return Err(vec![
            Diagnostic::error(
                "notebook::too-large",
                format!(
                    "`{shown}` is {} bytes, over the limit of {} bytes for a notebook",
                    crate::format::num(meta.len() as f64),
                    crate::format::num(max_bytes as f64)
                ),
            )
            .with_hint("split it into several notebooks, or raise `notebook_bytes` under `limits:` in `_site.yaml`"),
        ]);
    }
    let bytes =
        std::fs::read(path).map_err(|e| vec![Diagnostic::error("io::read", format!("cannot read `{shown}`: {e}"))])?;
    let text = String::from_utf8(bytes).map_err(|e| {
        vec![
            Diagnostic::error(
                "notebook::encoding",
                format!("`{shown}` is not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to()),
            )
            .with_hint("save the notebook as UTF-8"),
        ]
    })?;
    notebook::parse(path, &shown, text)
}

pub(crate) fn slug_index(notebooks: &[Notebook], diagnostics: &mut Vec<Diagnostic>) -> HashMap<String, usize> {
    let mut slugs: HashMap<String, usize> = HashMap::new();
    for (i, nb) in notebooks.iter().enumerate() {
        let slug = nb.slug();
        if !notebook::frontmatter::is_valid_slug(&slug) {
            diagnostics.push(
                Diagnostic::error("notebook::bad-slug", format!("the file name gives the invalid slug `{slug}`"))
                    .at(&nb.source, 0..0)
                    .with_hint(
                        "rename the file to lowercase letters, digits and `-`, or set `slug:` in the frontmatter",
                    ),
            );
        }
        if let Some(&other) = slugs.get(&slug) {
            diagnostics.push(
                Diagnostic::error(
                    "site::duplicate-slug",
                    format!("the slug `{slug}` is also used by {}", notebooks[other].source.name),
                )
                .at(&nb.source, nb.source.line_span(nb.front_key_line("slug")))
                .with_hint("every page needs its own slug"),
            );
            continue;
        }
        slugs.insert(slug, i);
    }
    slugs
}

pub(crate) fn related_slugs(nb: &Notebook) -> Vec<String> {
    nb.front
        .related
        .iter()
        .filter_map(|r| match r {
            Related::Slug(s) => Some(s.clone()),
            Related::Entry(e) => e.slug.clone(),
        })
        .collect()
}

pub(crate) fn check_params(notebooks: &[Notebook], params: &[(String, String)]) -> Result<(), Diagnostic> {
    for (key, _) in params {
        if !notebooks.iter().any(|n| n.front.params.contains_key(key)) {
            let known: Vec<&str> = notebooks.iter().flat_map(|n| n.front.params.keys().map(String::as_str)).collect();
            return Err(Diagnostic::error(
                "cli::unknown-param",
                format!("`--param {key}=…`: no notebook declares the param `{key}`"),
            )
            .with_suggestion(key, known.iter().copied()));
        }
    }
    Ok(())
}
