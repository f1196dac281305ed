//! Reading manifests for `nbrender diff`: an output folder's (the hidden folder beside it), a
//! manifest folder itself, or one page's `<slug>.json`. Regular files only, through
//! `crate::file` (a size cap each and in all), and never through a link: a manifest folder an
//! attacker planted as a link to `~/.ssh` must not put a line of a key in a CI log.
//!
//! Every error says the file, and where the JSON is at fault its line and column.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::diag::{Code, Diagnostic, SourceFile};
use crate::file::{FileError, over};
use crate::manifest::{PageManifest, VERSION};
use crate::site::write::MARKER;

/// The largest page manifest read: a page of 100,000 figures is about 40 MB.
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// The most bytes read from one manifest folder, all its files together.
pub const MAX_TOTAL_BYTES: u64 = 1 << 30;
/// The most page manifests one folder may hold.
pub const MAX_PAGES: usize = 100_000;

/// What the manifest folder of an output folder is named after.
const SUFFIX: &str = ".nbrender-manifest";

/// The manifest folder a build writes beside the output folder `out`: `.out.nbrender-manifest`,
/// named as `site::write` names every hidden folder beside the output (`out/`, `out/.` and
/// `out` are one folder; `.` and a path ending in `..` are resolved to have a name).
pub fn manifest_beside(out: &Path) -> PathBuf {
    let folder = crate::site::manifest_folder(out);
    // Named as given: `out` has `.out.nbrender-manifest`, not `./.out.nbrender-manifest`.
    match out.parent().is_some_and(|p| !p.as_os_str().is_empty()) {
        true => folder,
        false => folder.strip_prefix(".").map(Path::to_path_buf).unwrap_or(folder),
    }
}

/// `path` without a trailing `/` or `/.`, so that a link is never read as the folder it points
/// to; resolved when it ends in `.` or `..`.
fn plain(path: &Path) -> PathBuf {
    let plain: PathBuf = path.components().collect();
    match plain.components().next_back() {
        Some(Component::Normal(_)) => plain,
        _ => plain.canonicalize().unwrap_or(plain),
    }
}

/// Reads the page manifests at `path`, sorted by slug: an output folder's (beside it), a
/// manifest folder's, or one `<slug>.json`. `path` is shown as the user gave it, and errors
/// about it are placed on the command line.
pub fn read(path: &Path) -> Result<Vec<PageManifest>, Diagnostic> {
    let given = path.to_string_lossy();
    let at_argument = |d: Diagnostic| d.at_argument(&given);
    let plain = plain(path);
    let meta = std::fs::symlink_metadata(&plain).map_err(|e| {
        let d = match e.kind() {
            std::io::ErrorKind::NotFound => Diagnostic::error(Code::IoNotFound, format!("`{given}` does not exist")),
            _ => Diagnostic::error(Code::IoRead, format!("cannot read `{given}`: {e}")),
        };
        at_argument(d)
    })?;
    if meta.file_type().is_symlink() {
        return Err(at_argument(link(&plain, &given, Code::DiffNoManifest)));
    }
    if meta.is_file() {
        let mut budget = MAX_TOTAL_BYTES;
        return Ok(vec![read_file(&plain, &given, &mut budget).map_err(|e| e.placed(&given))?.manifest]);
    }
    if !meta.is_dir() {
        return Err(at_argument(
            Diagnostic::error(Code::DiffNoManifest, format!("`{given}` is neither a folder nor a file"))
                .with_hint(GIVE),
        ));
    }
    let folder = find_folder(&plain, &given).map_err(at_argument)?;
    read_folder(&folder).map_err(|e| e.placed(&given))
}

const GIVE: &str = "give an output folder nbrender built, the `.NAME.nbrender-manifest` folder beside it, or one page's `.json` manifest";

/// The manifest folder for the folder `dir`: itself when it is one, or the one beside it.
fn find_folder(dir: &Path, given: &str) -> Result<PathBuf, Diagnostic> {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if name.starts_with('.') && name.ends_with(SUFFIX) {
        return Ok(dir.to_path_buf());
    }
    let beside = manifest_beside(dir);
    match std::fs::symlink_metadata(&beside) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(link(&beside, &beside.display().to_string(), Code::DiffNoManifest));
        }
        Ok(m) if m.is_dir() => return Ok(beside),
        Ok(_) => {
            return Err(Diagnostic::error(
                Code::DiffNoManifest,
                format!("`{}`, where the manifest of `{given}` goes, is not a folder", beside.display()),
            )
            .with_hint("nbrender writes a folder there with every build: remove what is there and build again"));
        }
        Err(_) => {}
    }
    let ours = is_file(&dir.join(MARKER));
    if ours && is_manifest_copy(dir) {
        return Ok(dir.to_path_buf());
    }
    let shown = beside.display();
    Err(match ours {
        true => Diagnostic::error(
            Code::DiffNoManifest,
            format!("no manifest beside `{given}`: build it with this version of nbrender first"),
        )
        .with_hint(format!(
            "every build writes the figures it publishes to `{shown}`; an output built by an older nbrender has none"
        )),
        false => Diagnostic::error(
            Code::DiffNoManifest,
            format!("`{given}` is neither an output folder of nbrender nor a folder of manifests, and no `{shown}` is beside it"),
        )
        .with_hint(GIVE),
    })
}

/// A copy of a manifest folder under another name (a CI artifact): page manifests and no
/// folder, where an output folder always has folders (its assets, its pages) and an index.
fn is_manifest_copy(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    let mut json = false;
    for entry in entries.take(MAX_PAGES + 2).flatten() {
        let name = entry.file_name();
        if entry.file_type().is_ok_and(|t| t.is_dir()) || name == "index.html" {
            return false;
        }
        json |= name.to_string_lossy().ends_with(".json");
    }
    json
}

/// A link where a manifest or its folder should be.
fn link(path: &Path, shown: &str, code: Code) -> Diagnostic {
    let target = std::fs::read_link(path).map(|t| format!(" (it points to `{}`)", t.display())).unwrap_or_default();
    Diagnostic::error(code, format!("`{shown}` is a symbolic link{target}: nbrender diff reads no link"))
        .with_hint("give the folder or file it points to; nbrender never writes a manifest as a link")
}

fn is_file(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
}

/// A diagnostic, and whether it has its own place (a file's line) or would be better shown on
/// the command line.
struct Failed(Diagnostic);

impl Failed {
    fn placed(self, given: &str) -> Diagnostic {
        match self.0.location {
            Some(_) => self.0,
            None => self.0.at_argument(given),
        }
    }
}

impl From<Diagnostic> for Failed {
    fn from(d: Diagnostic) -> Self {
        Failed(d)
    }
}

/// A manifest read, with what places an error in it.
struct Read {
    manifest: PageManifest,
    file: Arc<SourceFile>,
}

/// Reads every `*.json` of a manifest folder (hidden files, such as the marker, aside).
fn read_folder(dir: &Path) -> Result<Vec<PageManifest>, Failed> {
    let shown = dir.display().to_string();
    if !is_file(&dir.join(MARKER)) {
        return Err(Diagnostic::error(
            Code::DiffNoManifest,
            format!("`{shown}` has no `{MARKER}` file: it is not a manifest folder nbrender wrote"),
        )
        .with_hint("build the site again to write its manifest")
        .into());
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Diagnostic::error(Code::IoRead, format!("cannot read the folder `{shown}`: {e}")))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| Diagnostic::error(Code::IoRead, format!("cannot read the folder `{shown}`: {e}")))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !name.ends_with(".json") {
            continue;
        }
        let path = entry.path();
        // From the folder's entry: a link is seen as a link, not as what it points to.
        let kind = entry
            .file_type()
            .map_err(|e| Diagnostic::error(Code::IoRead, format!("cannot read `{}`: {e}", path.display())))?;
        if kind.is_symlink() {
            return Err(link(&path, &path.display().to_string(), Code::DiffBadManifest).into());
        }
        files.push(path);
        if files.len() > MAX_PAGES {
            return Err(Diagnostic::error(
                Code::DiffBadManifest,
                format!("`{shown}` holds more than {} page manifests", crate::format::num(MAX_PAGES as f64)),
            )
            .with_hint("a site's manifest holds one file per page: is this the folder you meant?")
            .into());
        }
    }
    files.sort();
    let mut budget = MAX_TOTAL_BYTES;
    let mut pages: Vec<PageManifest> = Vec::with_capacity(files.len());
    let mut slugs: HashMap<String, PathBuf> = HashMap::new();
    for path in files {
        let read = read_file(&path, &path.display().to_string(), &mut budget)?;
        if let Some(first) = slugs.get(&read.manifest.page) {
            let d = Diagnostic::error(
                Code::DiffBadManifest,
                format!(
                    "two manifests in `{shown}` are of the page `{}`: `{}` and `{}`",
                    read.manifest.page.escape_debug(),
                    name_of(first),
                    name_of(&path)
                ),
            )
            .with_hint("a build writes one manifest per page, named after its slug: remove the copy, or build again");
            return Err(at_field(d, &read.file, |s| s.page).into());
        }
        slugs.insert(read.manifest.page.clone(), path);
        pages.push(read.manifest);
    }
    pages.sort_by(|a, b| a.page.cmp(&b.page));
    Ok(pages)
}

fn name_of(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// Reads and checks one page manifest, taking its size from `budget`.
fn read_file(path: &Path, shown: &str, budget: &mut u64) -> Result<Read, Failed> {
    let limit = MAX_FILE_BYTES.min(*budget);
    let bytes = crate::file::read(path, limit).map_err(|e| match e {
        FileError::Io(e) => Diagnostic::error(Code::IoRead, format!("cannot read `{shown}`: {e}")),
        FileError::NotRegular(what) => {
            Diagnostic::error(Code::DiffBadManifest, format!("`{shown}` {}", FileError::not_regular(what)))
                .with_hint("a manifest is a plain file nbrender writes with each build")
        }
        FileError::TooLarge(size) if limit < MAX_FILE_BYTES => Diagnostic::error(
            Code::DiffBadManifest,
            format!(
                "`{shown}` {} what is left of the limit of {} bytes for all manifests read",
                over(size),
                crate::format::num(MAX_TOTAL_BYTES as f64)
            ),
        )
        .with_hint("no site's manifests are that large: is this the folder you meant?"),
        FileError::TooLarge(size) => Diagnostic::error(
            Code::DiffBadManifest,
            format!(
                "`{shown}` {} the limit of {} bytes for one page's manifest",
                over(size),
                crate::format::num(MAX_FILE_BYTES as f64)
            ),
        )
        .with_hint("no page's manifest is that large: is this the file you meant?"),
    })?;
    *budget = budget.saturating_sub(bytes.len() as u64);
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let file = Arc::new(SourceFile::new(shown, String::from_utf8_lossy(e.as_bytes()).into_owned()));
            let d = Diagnostic::error(
                Code::DiffBadManifest,
                format!("`{shown}` is not UTF-8 text (invalid byte at offset {at})"),
            )
            .at(&file, at..at + 1)
            .with_hint(REBUILD);
            return Err(d.into());
        }
    };
    let file = Arc::new(SourceFile::new(shown, text));
    let manifest = parse(&file)?;
    check_keys(&manifest, &file)?;
    Ok(Read { manifest, file })
}

const REBUILD: &str = "nbrender writes these files with every build: build again rather than edit one";

/// Only the version, read first: a manifest of another version may have other fields.
#[derive(Deserialize)]
struct Versioned<'a> {
    #[serde(borrow)]
    version: Option<&'a RawValue>,
}

/// Where the fields an error may be about stand in a manifest.
#[derive(Deserialize)]
struct Spans<'a> {
    #[serde(borrow)]
    page: Option<&'a RawValue>,
    #[serde(borrow, default)]
    figures: Vec<KeySpan<'a>>,
}

#[derive(Deserialize)]
struct KeySpan<'a> {
    #[serde(borrow)]
    key: Option<&'a RawValue>,
}

fn parse(file: &Arc<SourceFile>) -> Result<PageManifest, Diagnostic> {
    let versioned: Versioned<'_> = serde_json::from_str(&file.text).map_err(|e| invalid(file, &e))?;
    if let Some(raw) = versioned.version {
        let version = raw.get().parse::<u64>().ok();
        if let Some(version) = version.filter(|v| *v != u64::from(VERSION)) {
            let (wrote, hint) = match version > u64::from(VERSION) {
                true => ("a newer", "compare with the nbrender that wrote it, or build both sides with this one"),
                false => {
                    ("an older", "build both sides with this nbrender, so that their manifests are of one version")
                }
            };
            let d = Diagnostic::error(
                Code::DiffVersion,
                format!("`{}` is a manifest of version {version}, which {wrote} nbrender wrote; this one reads version {VERSION}", file.name),
            )
            .with_hint(hint);
            return Err(place_raw(d, file, raw));
        }
    }
    serde_json::from_str::<PageManifest>(&file.text).map_err(|e| invalid(file, &e))
}

/// A manifest serde_json could not read, at the line and column it gives.
fn invalid(file: &Arc<SourceFile>, e: &serde_json::Error) -> Diagnostic {
    let full = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&position).unwrap_or(&full);
    let d = Diagnostic::error(Code::DiffBadManifest, format!("invalid manifest `{}`: {message}", file.name))
        .with_hint(REBUILD);
    if e.line() == 0 {
        return d;
    }
    // serde_json counts columns in bytes, from 1, and points at the byte it stopped on.
    let start = file.line_start(e.line()) + e.column().saturating_sub(1);
    d.at(file, start..start + 1)
}

/// Places `d` on a value of `file`'s text, found by the parse (the raw value borrows the text).
fn place_raw(d: Diagnostic, file: &Arc<SourceFile>, raw: &RawValue) -> Diagnostic {
    let text = raw.get();
    match (text.as_ptr() as usize).checked_sub(file.text.as_ptr() as usize) {
        Some(start) if start + text.len() <= file.text.len() => d.at(file, start..start + text.len()),
        _ => d,
    }
}

/// Places `d` on the field `field` chooses of the manifest's spans; unplaced when absent.
fn at_field<'t>(
    d: Diagnostic,
    file: &'t Arc<SourceFile>,
    field: impl FnOnce(Spans<'t>) -> Option<&'t RawValue>,
) -> Diagnostic {
    match serde_json::from_str::<Spans<'t>>(&file.text).ok().and_then(field) {
        Some(raw) => place_raw(d, file, raw),
        None => d,
    }
}

/// A key twice on a page: the file was edited or damaged (a build gives each its own).
fn check_keys(manifest: &PageManifest, file: &Arc<SourceFile>) -> Result<(), Diagnostic> {
    let mut seen = HashSet::with_capacity(manifest.figures.len());
    let Some(twice) = manifest.figures.iter().position(|f| !seen.insert(f.key.as_str())) else { return Ok(()) };
    let key = manifest.figures.get(twice).map_or("", |f| f.key.as_str());
    let d = Diagnostic::error(
        Code::DiffBadManifest,
        format!("the figure key `{}` is twice in `{}`", key.escape_debug(), file.name),
    )
    .with_label("the second time")
    .with_hint("a build gives every figure of a page its own key: build again rather than edit the manifest");
    Err(at_field(d, file, |spans| spans.figures.into_iter().nth(twice).and_then(|f| f.key)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::diff::tests::{page, section};
    use crate::manifest::{Figure, Place, to_bytes};

    fn lede(text: &str) -> Figure {
        Figure {
            key: "lede/x".into(),
            section: section("s", Some(1), "S"),
            place: Place::Lede,
            expression: Some("x".into()),
            at: "a.md:3".into(),
            value: serde_json::json!(1),
            text: text.into(),
            context: None,
            sources: Default::default(),
        }
    }

    /// An output folder `out` with its manifest folder beside it, holding `pages`.
    fn built(dir: &Path, pages: &[PageManifest]) -> PathBuf {
        let out = dir.join("out");
        std::fs::create_dir_all(out.join("assets")).unwrap();
        std::fs::write(out.join(MARKER), "").unwrap();
        let manifests = dir.join(".out.nbrender-manifest");
        std::fs::create_dir_all(&manifests).unwrap();
        std::fs::write(manifests.join(MARKER), "").unwrap();
        for p in pages {
            std::fs::write(manifests.join(format!("{}.json", p.page)), to_bytes(p)).unwrap();
        }
        out
    }

    fn error(result: Result<Vec<PageManifest>, Diagnostic>) -> (Code, String, Option<(usize, usize)>) {
        let d = result.expect_err("an error");
        let at = d.position().map(|(_, line, column)| (line, column));
        (d.code, d.message, at)
    }

    #[test]
    fn the_manifest_beside_an_output_folder_is_named_as_the_build_names_it() {
        assert_eq!(manifest_beside(Path::new("out")), Path::new(".out.nbrender-manifest"));
        assert_eq!(manifest_beside(Path::new("out/")), Path::new(".out.nbrender-manifest"));
        assert_eq!(manifest_beside(Path::new("out/.")), Path::new(".out.nbrender-manifest"));
        assert_eq!(manifest_beside(Path::new("a/b/site")), Path::new("a/b/.site.nbrender-manifest"));
        assert_eq!(manifest_beside(Path::new("/srv/site/")), Path::new("/srv/.site.nbrender-manifest"));
        let cwd = std::env::current_dir().unwrap().canonicalize().unwrap();
        let name = cwd.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(manifest_beside(Path::new(".")), cwd.parent().unwrap().join(format!(".{name}.nbrender-manifest")));
    }

    #[test]
    fn an_output_folder_a_manifest_folder_and_a_page_file_are_read_alike() {
        let dir = tempfile::tempdir().unwrap();
        let pages = vec![page("b", vec![lede("1")]), page("a", vec![])];
        let out = built(dir.path(), &pages);
        let sorted = vec![pages[1].clone(), pages[0].clone()];
        assert_eq!(read(&out).unwrap(), sorted);
        assert_eq!(read(&dir.path().join("out/")).unwrap(), sorted);
        let manifests = dir.path().join(".out.nbrender-manifest");
        assert_eq!(read(&manifests).unwrap(), sorted);
        assert_eq!(read(&manifests.join("b.json")).unwrap(), vec![pages[0].clone()]);
        // A copy of the manifest folder under any name.
        let copy = dir.path().join("copy");
        std::fs::create_dir(&copy).unwrap();
        for name in [MARKER, "a.json", "b.json"] {
            std::fs::copy(manifests.join(name), copy.join(name)).unwrap();
        }
        assert_eq!(read(&copy).unwrap(), sorted);
    }

    #[test]
    fn an_output_folder_without_a_manifest_says_to_build_it() {
        let dir = tempfile::tempdir().unwrap();
        let out = built(dir.path(), &[]);
        std::fs::remove_dir_all(dir.path().join(".out.nbrender-manifest")).unwrap();
        let (code, message, _) = error(read(&out));
        assert_eq!(code, Code::DiffNoManifest);
        assert!(message.contains("build it with this version of nbrender first"), "{message}");
        let (code, _, _) = error(read(&dir.path().join("none")));
        assert_eq!(code, Code::IoNotFound);
        let (code, message, _) = error(read(dir.path()));
        assert_eq!(code, Code::DiffNoManifest);
        assert!(message.contains("neither an output folder"), "{message}");
    }

    #[test]
    fn invalid_json_is_reported_at_its_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let out = built(dir.path(), &[]);
        let file = dir.path().join(".out.nbrender-manifest/a.json");
        std::fs::write(&file, "{\n  \"version\": 1,\n  \"page\": \"a\"\n  \"title\": \"x\"\n}\n").unwrap();
        let (code, message, at) = error(read(&out));
        assert_eq!(code, Code::DiffBadManifest);
        assert!(message.contains("expected `,` or `}`"), "{message}");
        assert!(!message.contains("at line"), "the place is the diagnostic's: {message}");
        assert_eq!(at, Some((4, 3)));
        std::fs::write(&file, "{\"version\": 1, \"page\": 3}").unwrap();
        let (code, message, at) = error(read(&file));
        assert_eq!(code, Code::DiffBadManifest);
        assert!(message.contains("invalid type: integer `3`"), "{message}");
        assert_eq!(at, Some((1, 24)));
        std::fs::write(&file, b"{\"version\": 1, \"page\": \"\xff\"}").unwrap();
        let (code, message, at) = error(read(&file));
        assert_eq!((code, at), (Code::DiffBadManifest, Some((1, 25))));
        assert!(message.contains("not UTF-8"), "{message}");
    }

    #[test]
    fn a_manifest_of_another_version_is_refused_at_its_version() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.json");
        std::fs::write(&file, "{\n  \"version\": 2,\n  \"figures\": \"another shape\"\n}\n").unwrap();
        let (code, message, at) = error(read(&file));
        assert_eq!((code, at), (Code::DiffVersion, Some((2, 14))));
        assert!(message.contains("version 2, which a newer nbrender wrote; this one reads version 1"), "{message}");
    }

    #[test]
    fn json_nested_ten_thousand_deep_is_an_error_not_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.json");
        let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        // In a figure's value, which is read as any JSON: serde_json's depth limit.
        let mut manifest = String::from_utf8(to_bytes(&page("a", vec![lede("1")]))).unwrap();
        manifest = manifest.replace("\"value\":1", &format!("\"value\":{deep}"));
        std::fs::write(&file, &manifest).unwrap();
        let (code, message, at) = error(read(&file));
        assert_eq!(code, Code::DiffBadManifest);
        assert!(message.contains("recursion limit exceeded"), "{message}");
        assert!(at.is_some());
        // Anywhere else: the wrong type, or a field nbrender does not read.
        for text in [deep.clone(), format!("{{\"version\": {deep}}}"), format!("{{\"x\": {deep}}}")] {
            std::fs::write(&file, text).unwrap();
            let (code, message, at) = error(read(&file));
            assert_eq!(code, Code::DiffBadManifest, "{message}");
            assert!(at.is_some(), "{message}");
        }
    }

    #[test]
    fn two_manifests_of_one_page_and_a_key_twice_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let out = built(dir.path(), &[page("a", vec![])]);
        let manifests = dir.path().join(".out.nbrender-manifest");
        std::fs::copy(manifests.join("a.json"), manifests.join("copy.json")).unwrap();
        let (code, message, at) = error(read(&out));
        assert_eq!((code, at), (Code::DiffBadManifest, Some((3, 11))));
        assert!(message.contains("are of the page `a`: `a.json` and `copy.json`"), "{message}");
        std::fs::remove_file(manifests.join("copy.json")).unwrap();
        std::fs::write(manifests.join("a.json"), to_bytes(&page("a", vec![lede("1"), lede("2")]))).unwrap();
        let (code, message, at) = error(read(&out));
        assert_eq!(code, Code::DiffBadManifest);
        assert!(message.contains("the figure key `lede/x` is twice"), "{message}");
        let text = std::fs::read_to_string(manifests.join("a.json")).unwrap();
        let second = text.rmatch_indices("\"lede/x\"").next().unwrap().0;
        let file = SourceFile::new("a", text.clone());
        assert_eq!(at, Some(file.line_col(second)));
    }

    #[test]
    fn a_file_over_the_cap_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let out = built(dir.path(), &[]);
        let file = dir.path().join(".out.nbrender-manifest/huge.json");
        // 1 GB, sparse: its size is refused before a byte is read.
        std::fs::File::create(&file).unwrap().set_len(1 << 30).unwrap();
        // Refused on its size, which is known before a byte is read.
        let (code, message, _) = error(read(&out));
        assert_eq!(code, Code::DiffBadManifest);
        assert!(message.contains("is 1,073,741,824 bytes, over the limit of 67,108,864 bytes"), "{message}");
    }

    #[cfg(unix)]
    #[test]
    fn links_are_refused_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let out = built(dir.path(), &[page("a", vec![])]);
        let manifests = dir.path().join(".out.nbrender-manifest");
        // A manifest file that is a link to a secret.
        std::fs::write(dir.path().join("secret"), "{\"token\": \"hunter2\"}\n").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), manifests.join("b.json")).unwrap();
        let (code, message, _) = error(read(&out));
        assert_eq!(code, Code::DiffBadManifest);
        assert!(message.contains("is a symbolic link") && !message.contains("hunter2"), "{message}");
        std::fs::remove_file(manifests.join("b.json")).unwrap();
        // The manifest folder as a link, beside the output or given itself.
        let elsewhere = dir.path().join("elsewhere");
        std::fs::rename(&manifests, &elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &manifests).unwrap();
        for path in [out.clone(), manifests.clone(), dir.path().join(".out.nbrender-manifest/")] {
            let (code, message, _) = error(read(&path));
            assert_eq!(code, Code::DiffNoManifest, "{path:?}");
            assert!(message.contains("is a symbolic link (it points to"), "{message}");
        }
        // An output folder given as a link.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&out, &link).unwrap();
        let (code, message, _) = error(read(&dir.path().join("link/")));
        assert_eq!(code, Code::DiffNoManifest);
        assert!(message.contains("is a symbolic link"), "{message}");
    }

    #[cfg(unix)]
    #[test]
    fn a_device_or_a_pipe_is_refused() {
        let (code, message, _) = error(read(Path::new("/dev/zero")));
        assert_eq!(code, Code::DiffNoManifest);
        assert!(message.contains("neither a folder nor a file"), "{message}");
    }
}
