//! `nbrender new SLUG`: a new section notebook from a template that renders as it is (a data
//! cell, a band quoted in prose, a chart, a cross-reference, a FAQ).

use std::path::{Path, PathBuf};

use crate::diag::{Code, Diagnostic};
use crate::notebook::frontmatter::is_valid_slug;

const TEMPLATE: &str = include_str!("new.md");

/// What the new notebook says about itself.
#[derive(Debug, Clone, Default)]
pub struct NewNotebook {
    pub slug: String,
    pub title: Option<String>,
    pub section: Option<String>,
    pub group: Option<String>,
    pub prefix: Option<String>,
    /// `notebook:`, the file name the page's prompt line shows, e.g. `data_engineer.ipynb`.
    pub notebook: Option<String>,
    /// `cell:`, the page prompt's number, as typed on the command line.
    pub cell: Option<String>,
    /// `updated:`, e.g. today's date.
    pub updated: String,
}

/// Why a notebook could not be made: a bad request (usage) or a file in the way.
#[derive(Debug)]
pub struct NewError {
    pub diagnostic: Box<Diagnostic>,
    pub usage: bool,
}

/// The notebook's text.
pub fn text(new: &NewNotebook) -> String {
    let title = new.title.clone().unwrap_or_else(|| title_from_slug(&new.slug));
    let prefix = new.prefix.clone().unwrap_or_else(|| initials(&new.slug));
    // JSON strings are YAML double-quoted strings: any title is safe in the frontmatter.
    let quoted = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string());
    let mut prompt = String::new();
    if let Some(notebook) = &new.notebook {
        prompt.push_str(&format!("notebook: {}\n", quoted(notebook)));
    }
    if let Some(cell) = new.cell.as_deref().and_then(|c| cell_number(c).ok()) {
        prompt.push_str(&format!("cell: {cell}\n"));
    }
    TEMPLATE
        .replace("@@PROMPT@@\n", &prompt)
        .replace("@@TITLE@@", &quoted(&title))
        .replace("@@SECTION@@", &quoted(new.section.as_deref().unwrap_or("0")))
        .replace("@@GROUP@@", &quoted(new.group.as_deref().unwrap_or("New sections")))
        .replace("@@PREFIX@@", &prefix)
        .replace("@@SLUG@@", &new.slug)
        .replace("@@UPDATED@@", &new.updated)
}

/// Writes `dir/SLUG.md`; never overwrites.
pub fn create(dir: &Path, new: &NewNotebook) -> Result<PathBuf, NewError> {
    let usage = |d: Diagnostic| NewError { diagnostic: Box::new(d), usage: true };
    if !is_valid_slug(&new.slug) {
        return Err(usage(
            Diagnostic::error(Code::NewBadSlug, format!("`{}` is not a valid slug", new.slug))
                .at_argument(&new.slug)
                .with_hint("a slug uses lowercase letters, digits and `-`, e.g. `data-engineer`"),
        ));
    }
    if let Some(prefix) = &new.prefix
        && !is_valid_slug(prefix)
    {
        return Err(usage(
            Diagnostic::error(Code::NewBadPrefix, format!("`{prefix}` is not a valid prefix"))
                .at_argument(prefix)
                .with_hint("a prefix uses lowercase letters, digits and `-`, e.g. `de`"),
        ));
    }
    if let Some(notebook) = &new.notebook
        && let Some(problem) = notebook_problem(notebook)
    {
        return Err(usage(
            Diagnostic::error(Code::NewBadNotebook, problem)
                .at_option("--notebook", notebook)
                .with_hint("the name shown in the page's prompt line, e.g. `--notebook data_engineer.ipynb`"),
        ));
    }
    if let Some(cell) = &new.cell
        && let Err(why) = cell_number(cell)
    {
        return Err(usage(
            Diagnostic::error(Code::NewBadCell, format!("`{cell}` is not a cell number: {why}"))
                .at_option("--cell", cell)
                .with_hint(format!(
                    "the page prompt's number is a whole number from 0 to {}, e.g. `--cell 28`",
                    u32::MAX
                )),
        ));
    }
    let path = dir.join(format!("{}.md", new.slug));
    let io = |what: &str, e: std::io::Error| NewError {
        diagnostic: Box::new(Diagnostic::error(Code::IoWrite, format!("cannot {what} `{}`: {e}", path.display()))),
        usage: false,
    };
    std::fs::create_dir_all(dir).map_err(|e| io("create the folder for", e))?;
    let mut file = match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(NewError {
                diagnostic: Box::new(
                    Diagnostic::error(Code::NewExists, format!("`{}` already exists", path.display()))
                        .at_argument(&new.slug)
                        .with_hint("nbrender new never overwrites a notebook: choose another slug or remove the file"),
                ),
                usage: false,
            });
        }
        Err(e) => return Err(io("create", e)),
    };
    std::io::Write::write_all(&mut file, text(new).as_bytes()).map_err(|e| io("write", e))?;
    Ok(path)
}

/// The `cell:` a command-line value gives, as the frontmatter reads it (a whole number that
/// fits `u32`), or why it cannot be one.
fn cell_number(raw: &str) -> Result<u32, &'static str> {
    let digits = raw.strip_prefix('+').unwrap_or(raw);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(match raw.trim_start().starts_with('-') {
            true => "it is negative",
            false => "it is not a whole number",
        });
    }
    digits.parse().map_err(|_| "it is too large")
}

/// Why `name` cannot be written as `notebook:` and shown in the prompt line, if it cannot.
fn notebook_problem(name: &str) -> Option<String> {
    if name.trim().is_empty() {
        Some("the `--notebook` name is empty; the page's prompt line shows it".to_string())
    } else if name.chars().any(char::is_control) {
        Some(format!("`{name}` cannot be the notebook's name: it holds a line break or another control character"))
    } else {
        None
    }
}

/// `data-engineer` -> `Data engineer`.
fn title_from_slug(slug: &str) -> String {
    let words = slug.replace('-', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `data-engineer` -> `de`.
fn initials(slug: &str) -> String {
    let initials: String = slug.split('-').filter_map(|w| w.chars().next()).collect();
    if initials.is_empty() { "nb".to_string() } else { initials }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(slug: &str) -> NewNotebook {
        NewNotebook { slug: slug.into(), updated: "2026-11-28".into(), ..NewNotebook::default() }
    }

    #[test]
    fn the_template_parses_and_titles_are_quoted() {
        let mut n = new("data-engineer");
        n.title = Some("Data \"Eng\": salary #1".into());
        let text = text(&n);
        let nb = crate::notebook::parse(Path::new("data-engineer.md"), "data-engineer.md", text).unwrap();
        assert_eq!(nb.front.title, "Data \"Eng\": salary #1");
        assert_eq!(nb.front.prefix.as_deref(), Some("de"));
        assert_eq!(nb.cells().count(), 2);
    }

    #[test]
    fn refuses_bad_slugs_and_existing_files() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(create(tmp.path(), &new("Bad Slug")).unwrap_err().usage);
        create(tmp.path(), &new("ok")).unwrap();
        let again = create(tmp.path(), &new("ok")).unwrap_err();
        assert_eq!(again.diagnostic.code, Code::NewExists);
    }

    #[test]
    fn the_prompt_line_keys_are_written_when_given() {
        let mut n = new("data-engineer");
        assert!(!text(&n).contains("\nnotebook:") && !text(&n).contains("\ncell:"));
        n.notebook = Some("data_engineer.ipynb".into());
        n.cell = Some("+31".into());
        let nb = crate::notebook::parse(Path::new("data-engineer.md"), "data-engineer.md", text(&n)).unwrap();
        assert_eq!((nb.front.notebook.as_deref(), nb.front.cell), (Some("data_engineer.ipynb"), Some(31)));
        for (raw, ok) in [
            ("0", Some(0)),
            ("4294967295", Some(u32::MAX)),
            ("4294967296", None),
            ("-1", None),
            ("", None),
            ("1e3", None),
        ] {
            assert_eq!(cell_number(raw).ok(), ok, "{raw}");
        }
        let tmp = tempfile::tempdir().unwrap();
        n.cell = Some("x".into());
        assert_eq!(create(tmp.path(), &n).unwrap_err().diagnostic.code, Code::NewBadCell);
        n.cell = None;
        n.notebook = Some("a\nb".into());
        assert_eq!(create(tmp.path(), &n).unwrap_err().diagnostic.code, Code::NewBadNotebook);
        assert!(!tmp.path().join("data-engineer.md").exists());
    }

    #[test]
    fn defaults_come_from_the_slug() {
        assert_eq!(title_from_slug("data-engineer"), "Data engineer");
        assert_eq!(initials("data-engineer"), "de");
    }
}
