//! `_site.yaml`: the site's name, its URL, its theme, its group order and the limits its
//! notebooks run under. Strict like the frontmatter: unknown keys are errors with a suggestion.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::data::{DataLimits, Escape};
use crate::diag::{Code, Diagnostic, SourceFile};
use crate::exec::Limits;
use crate::file::{FileError, over};
use crate::site::load::NotebookLimits;

const KEYS: &[&str] = &["title", "base_url", "theme", "groups", "limits", "publish_manifest", "strict"];
const LIMIT_KEYS: &[&str] = &[
    "operations",
    "seconds",
    "wall_seconds",
    "print_bytes",
    "value_depth",
    "memory_bytes",
    "string_bytes",
    "array_items",
    "map_keys",
    "call_depth",
    "nesting_depth",
    "data_bytes",
    "data_rows",
    "data_columns",
    "data_fields",
    "notebook_bytes",
    "notebook_cells",
    "prose_elements",
    "theme_fuel",
];

/// The largest `_site.yaml` read: far more than any site's settings.
pub(crate) const MAX_BYTES: u64 = 1 << 20;

/// Recursion runs on nbrender's own stack: deeper than this could overflow it.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    pub title: Option<String>,
    pub base_url: Option<String>,
    /// A theme folder, relative to the notebooks folder.
    pub theme: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub limits: SiteLimits,
    /// Publishes the figure manifest with the site, under `_manifest/` (it is kept beside the
    /// output, unpublished, by default).
    #[serde(default)]
    pub publish_manifest: bool,
    /// Every warning is an error: a build, `check` and `serve` fail on them.
    #[serde(default)]
    pub strict: bool,
}

/// `limits:` in `_site.yaml`: how far one notebook may go. Each key is optional.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SiteLimits {
    /// Script steps per cell.
    pub operations: u64,
    /// CPU seconds per cell.
    pub seconds: f64,
    /// Wall-clock seconds per cell.
    pub wall_seconds: f64,
    /// Bytes a cell may print.
    pub print_bytes: usize,
    /// How deeply a value may nest.
    pub value_depth: usize,
    /// Memory the cells of one notebook may hold, beyond their data.
    pub memory_bytes: usize,
    pub string_bytes: usize,
    pub array_items: usize,
    pub map_keys: usize,
    pub call_depth: usize,
    pub nesting_depth: usize,
    /// Per data file.
    pub data_bytes: u64,
    pub data_rows: usize,
    pub data_columns: usize,
    pub data_fields: usize,
    /// Per notebook file.
    pub notebook_bytes: u64,
    pub notebook_cells: usize,
    /// Markdown elements of a notebook, and of its prose once its `{{ }}` are expanded.
    pub prose_elements: usize,
    /// Fuel per theme render, before what the page gives it (`render::Theme::fuel`).
    pub theme_fuel: u64,
}

impl Default for SiteLimits {
    fn default() -> Self {
        let cells = Limits::default();
        let data = DataLimits::default();
        SiteLimits {
            operations: cells.max_operations,
            seconds: cells.max_cell_time.as_secs_f64(),
            wall_seconds: cells.max_wall_time.as_secs_f64(),
            print_bytes: cells.max_print_bytes,
            value_depth: cells.max_value_depth,
            memory_bytes: cells.max_memory,
            string_bytes: cells.max_string_size,
            array_items: cells.max_array_size,
            map_keys: cells.max_map_size,
            call_depth: cells.max_call_levels,
            nesting_depth: cells.max_expr_depth,
            data_bytes: data.max_bytes,
            data_rows: data.max_rows,
            data_columns: data.max_columns,
            data_fields: data.max_fields,
            notebook_bytes: 16 << 20,
            notebook_cells: 1_000,
            prose_elements: crate::template::ProseLimits::default().max_elements,
            theme_fuel: crate::render::DEFAULT_THEME_FUEL,
        }
    }
}

impl SiteLimits {
    /// What a cell runs under.
    pub fn cells(&self) -> Limits {
        Limits {
            max_operations: self.operations,
            max_string_size: self.string_bytes,
            max_array_size: self.array_items,
            max_map_size: self.map_keys,
            max_call_levels: self.call_depth,
            max_expr_depth: self.nesting_depth,
            max_value_depth: self.value_depth,
            max_cell_time: Duration::try_from_secs_f64(self.seconds).unwrap_or(Duration::MAX),
            max_wall_time: Duration::try_from_secs_f64(self.wall_seconds).unwrap_or(Duration::MAX),
            max_print_bytes: self.print_bytes,
            max_memory: self.memory_bytes,
        }
    }

    /// How much prose one notebook may make once expanded.
    pub fn prose(&self) -> crate::template::ProseLimits {
        crate::template::ProseLimits { max_bytes: self.notebook_bytes, max_elements: self.prose_elements }
    }

    /// What one notebook file may hold.
    pub fn notebook(&self) -> NotebookLimits {
        NotebookLimits {
            max_bytes: self.notebook_bytes,
            max_elements: self.prose_elements,
            max_cells: self.notebook_cells,
        }
    }

    pub fn data(&self) -> DataLimits {
        DataLimits {
            max_bytes: self.data_bytes,
            max_rows: self.data_rows,
            max_columns: self.data_columns,
            max_fields: self.data_fields,
        }
    }

    /// The first value that cannot be used, as (key, why).
    fn problem(&self) -> Option<(&'static str, String)> {
        let whole = [
            ("operations", self.operations),
            ("string_bytes", self.string_bytes as u64),
            ("array_items", self.array_items as u64),
            ("map_keys", self.map_keys as u64),
            ("call_depth", self.call_depth as u64),
            ("nesting_depth", self.nesting_depth as u64),
            ("print_bytes", self.print_bytes as u64),
            ("value_depth", self.value_depth as u64),
            ("memory_bytes", self.memory_bytes as u64),
            ("data_bytes", self.data_bytes),
            ("data_rows", self.data_rows as u64),
            ("data_columns", self.data_columns as u64),
            ("data_fields", self.data_fields as u64),
            ("notebook_bytes", self.notebook_bytes),
            ("notebook_cells", self.notebook_cells as u64),
            ("prose_elements", self.prose_elements as u64),
            ("theme_fuel", self.theme_fuel),
        ];
        if let Some((key, _)) = whole.iter().find(|(_, v)| *v == 0) {
            return Some((key, "must be at least 1".into()));
        }
        for (key, seconds) in [("seconds", self.seconds), ("wall_seconds", self.wall_seconds)] {
            if !(seconds > 0.0 && Duration::try_from_secs_f64(seconds).is_ok()) {
                return Some((key, "must be a positive number of seconds".into()));
            }
        }
        if self.value_depth > crate::exec::sandbox::MAX_VALUE_DEPTH {
            return Some((
                "value_depth",
                format!(
                    "can be at most {}: deeper values could overflow nbrender's stack",
                    crate::format::num(crate::exec::sandbox::MAX_VALUE_DEPTH as f64)
                ),
            ));
        }
        for (key, depth) in [("call_depth", self.call_depth), ("nesting_depth", self.nesting_depth)] {
            if depth > MAX_DEPTH {
                return Some((
                    key,
                    format!("can be at most {MAX_DEPTH}: deeper scripts could overflow nbrender's stack"),
                ));
            }
        }
        None
    }
}

impl SiteConfig {
    /// Reads `_site.yaml` from the folder; absent means defaults.
    pub fn load(folder: &Path) -> Result<SiteConfig, Diagnostic> {
        let path = folder.join("_site.yaml");
        let shown = path.display();
        let bytes = match crate::file::read(&path, MAX_BYTES) {
            Ok(bytes) => bytes,
            Err(FileError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => return Ok(SiteConfig::default()),
            Err(FileError::Io(e)) => {
                return Err(Diagnostic::error(Code::IoRead, format!("cannot read `{shown}`: {e}")));
            }
            Err(FileError::NotRegular(what)) => {
                return Err(Diagnostic::error(Code::IoRead, format!("`{shown}` {}", FileError::not_regular(what)))
                    .with_hint("`_site.yaml` must be a plain file"));
            }
            Err(FileError::TooLarge(size)) => {
                return Err(Diagnostic::error(
                    Code::SiteConfig,
                    format!("`{shown}` {} the limit of {} bytes", over(size), crate::format::num(MAX_BYTES as f64)),
                )
                .with_hint("a site's settings fit in a few lines; notebooks and data have files of their own"));
            }
        };
        let text = String::from_utf8(bytes).map_err(|e| {
            Diagnostic::error(
                Code::IoRead,
                format!("`{shown}` is not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to()),
            )
            .with_hint("save `_site.yaml` as UTF-8")
        })?;
        if text.trim().is_empty() {
            return Ok(SiteConfig::default());
        }
        let file = Arc::new(SourceFile::new(path.display().to_string(), text));
        // Where every key and value stands, once the scan has bounded what parsing can cost.
        let spans = crate::yaml::scan(&file.text, crate::yaml::MAX_VALUES)
            .ok()
            .and_then(|_| crate::yaml::spans(&file.text))
            .unwrap_or_default();
        if let Some(d) = unknown_key(&file, &spans) {
            return Err(d);
        }
        let config = crate::yaml::from_str::<SiteConfig>(&file.text).map_err(|e| {
            let (line, col) = e.position.unwrap_or((1, 1));
            match crate::yaml::explain(&file.text, line, col, &e.message) {
                Some(x) => Diagnostic::error(Code::SiteConfig, format!("invalid `_site.yaml`: {}", x.message))
                    .at_line_col(&file, x.line, x.column, x.len)
                    .with_hint(x.hint),
                None => Diagnostic::error(Code::SiteConfig, format!("invalid `_site.yaml`: {}", e.message))
                    .at_line_col(&file, line, col, 1),
            }
        })?;
        let at = |keys: &[&str]| spans.at(keys).map_or_else(|| file.line_span(1), |p| p.value.clone());
        if let Some(url) = config.base_url.as_deref().filter(|u| !is_site_url(u)) {
            return Err(Diagnostic::error(
                Code::SiteConfig,
                format!("invalid `_site.yaml`: `base_url` `{url}` is not a web address"),
            )
            .at(&file, at(&["base_url"]))
            .with_hint("write the site's address with its scheme, such as `https://example.org`"));
        }
        if let Some(theme) = &config.theme
            && let Err(escape) = crate::data::confine(folder, theme)
        {
            let why = match escape {
                Escape::Words => "leaves the notebooks folder".to_string(),
                Escape::Link(real) => {
                    format!("is a symbolic link to `{}`, outside the notebooks folder", real.display())
                }
            };
            return Err(Diagnostic::error(Code::SiteConfig, format!("invalid `_site.yaml`: `theme` `{theme}` {why}"))
                .at(&file, at(&["theme"]))
                .with_hint(
                    "give a folder inside the notebooks folder, such as `theme: mytheme`; a theme kept elsewhere can be given with --theme",
                ));
        }
        if let Some((key, why)) = config.limits.problem() {
            return Err(Diagnostic::error(Code::SiteConfig, format!("invalid `_site.yaml`: `limits: {key}` {why}"))
                .at(&file, at(&["limits", key])));
        }
        Ok(config)
    }
}

/// An absolute http(s) address with nothing a page could not carry in an attribute or a link.
fn is_site_url(url: &str) -> bool {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.is_empty() && !r.starts_with('/') && r.chars().all(|c| c.is_ascii_graphic() && !"\"'<>`\\{}|^".contains(c))
    })
}

/// The first unknown key, at the top level or under `limits:`, at its place.
fn unknown_key(file: &Arc<SourceFile>, spans: &crate::yaml::Spans) -> Option<Diagnostic> {
    use crate::yaml::Seg;
    spans.iter().find_map(|(path, placed)| {
        let (Some((Seg::Key(key), parent)), Some(span)) = (path.split_last(), &placed.key) else { return None };
        let (what, known): (&str, &[&str]) = match parent {
            [] => ("key", KEYS),
            [Seg::Key(top)] if top == "limits" => ("`limits` key", LIMIT_KEYS),
            _ => return None,
        };
        (!known.contains(&key.as_str())).then(|| {
            let d = Diagnostic::error(Code::SiteConfig, format!("invalid `_site.yaml`: unknown {what} `{key}`"))
                .at(file, span.clone())
                .with_label("not a known key");
            match crate::diag::did_you_mean(key, known.iter().copied()) {
                Some(best) => d.with_hint(format!("did you mean `{best}`?")),
                None => d.with_hint(format!("known keys: {}", known.join(", "))),
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<SiteConfig, Diagnostic> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("_site.yaml"), text).unwrap();
        SiteConfig::load(dir.path())
    }

    #[test]
    fn limits_can_be_raised_key_by_key() {
        let config = load(
            "title: T\nlimits:\n  operations: 50000000\n  seconds: 2.5\n  data_rows: 1000000\n  data_columns: 5000\n  data_fields: 9\n  prose_elements: 7\n  notebook_cells: 3\n",
        )
        .unwrap();
        let cells = config.limits.cells();
        assert_eq!(cells.max_operations, 50_000_000);
        assert_eq!(cells.max_cell_time, Duration::from_millis(2500));
        assert_eq!(cells.max_array_size, Limits::default().max_array_size);
        assert_eq!(config.limits.data().max_rows, 1_000_000);
        assert_eq!(config.limits.data().max_columns, 5_000);
        assert_eq!(config.limits.data().max_fields, 9);
        assert_eq!(config.limits.notebook().max_elements, 7);
        assert_eq!(config.limits.notebook().max_cells, 3);
        assert_eq!(config.limits.prose().max_elements, 7);
    }

    #[cfg(unix)]
    #[test]
    fn a_site_yaml_that_is_not_a_regular_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().to_path_buf();
        assert!(std::process::Command::new("mkfifo").arg(folder.join("_site.yaml")).status().unwrap().success());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(SiteConfig::load(&folder).map(|_| ())));
        let d = rx.recv_timeout(Duration::from_secs(10)).expect("no hang on a pipe").unwrap_err();
        assert!(d.message.ends_with("_site.yaml` is not a regular file: it is a named pipe (FIFO)"), "{}", d.message);

        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("_site.yaml")).unwrap();
        let d = SiteConfig::load(dir.path()).unwrap_err();
        assert!(d.message.ends_with("_site.yaml` is not a regular file: it is a device"), "{}", d.message);
    }

    #[test]
    fn a_site_yaml_over_one_mib_is_refused() {
        let d = load(&format!("title: T\n#{}\n", "x".repeat(1 << 20))).unwrap_err();
        assert!(d.message.contains("over the limit of 1,048,576 bytes"), "{}", d.message);
    }

    #[test]
    fn base_url_must_be_a_plain_web_address() {
        assert!(load("base_url: https://example.org/blog\n").is_ok());
        for bad in ["javascript:alert(1)", "example.org", "'https://x.org/\\\"><script>'", "https://", "ftp://x.org"] {
            let d = load(&format!("base_url: {bad}\n")).unwrap_err();
            assert!(d.message.contains("is not a web address"), "{bad}: {}", d.message);
        }
    }

    #[test]
    fn the_theme_folder_stays_inside_the_notebooks_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let notebooks = tmp.path().join("notebooks");
        std::fs::create_dir_all(notebooks.join("mytheme")).unwrap();
        std::fs::create_dir_all(tmp.path().join("elsewhere")).unwrap();
        std::os::unix::fs::symlink(tmp.path().join("elsewhere"), notebooks.join("linked")).unwrap();
        let load_in = |text: &str| {
            std::fs::write(notebooks.join("_site.yaml"), text).unwrap();
            SiteConfig::load(&notebooks)
        };
        assert!(load_in("theme: mytheme\n").is_ok());
        let outside = tmp.path().join("elsewhere").display().to_string();
        for bad in [outside.as_str(), "../elsewhere", "mytheme/../../elsewhere", "linked"] {
            let d = load_in(&format!("title: T\ntheme: {bad}\n")).unwrap_err();
            assert_eq!(d.code, Code::SiteConfig, "{bad}");
            assert!(d.message.contains("theme"), "{bad}: {}", d.message);
            assert_eq!(d.location.map(|l| l.file.line_col(l.span.start).0), Some(2), "{bad}");
            assert!(d.hint.is_some(), "{bad}");
        }
    }

    #[test]
    fn theme_fuel_is_a_limit() {
        assert_eq!(load("limits:\n  theme_fuel: 5000\n").unwrap().limits.theme_fuel, 5000);
        assert_eq!(SiteLimits::default().theme_fuel, crate::render::DEFAULT_THEME_FUEL);
        let d = load("limits:\n  theme_fuel: 0\n").unwrap_err();
        assert!(d.message.contains("`limits: theme_fuel` must be at least 1"), "{}", d.message);
    }

    #[test]
    fn unusable_limits_are_errors_at_their_line() {
        let d = load("limits:\n  operations: 5\n  seconds: -1\n").unwrap_err();
        assert!(d.message.contains("`limits: seconds` must be a positive"), "{}", d.message);
        assert_eq!(d.location.map(|l| l.file.line_col(l.span.start).0), Some(3));
        let d = load("limits:\n  call_depth: 1000\n").unwrap_err();
        assert!(d.message.contains("at most 64"), "{}", d.message);
        let d = load("limits:\n  operations: 0\n").unwrap_err();
        assert!(d.message.contains("at least 1"), "{}", d.message);
        let d = load("limits:\n  operation: 5\n").unwrap_err();
        assert_eq!(d.hint.as_deref(), Some("did you mean `operations`?"));
    }

    #[test]
    fn mistakes_point_at_the_key_or_value_as_written() {
        let shown = |d: Diagnostic| {
            let l = d.location.expect("a place");
            l.file.text[l.span].to_string()
        };
        assert_eq!(shown(load("title: S\nlimits:\n  operation: 5\n").unwrap_err()), "operation");
        assert_eq!(shown(load("titel: S\n").unwrap_err()), "titel");
        assert_eq!(shown(load("title: S\nbase_url: \"ftp://x\"\n").unwrap_err()), "\"ftp://x\"");
        assert_eq!(shown(load("limits: { seconds: -1 }\n").unwrap_err()), "-1");
    }
}
