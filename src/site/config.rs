//! `_site.yaml`: the site's name, its URL, its theme and its group order. Strict like the
//! frontmatter: unknown keys are errors with a suggestion.

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use crate::diag::{Diagnostic, SourceFile};

const KEYS: &[&str] = &["title", "base_url", "theme", "groups"];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    pub title: Option<String>,
    pub base_url: Option<String>,
    /// A theme folder, relative to the notebooks folder.
    pub theme: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
}

impl SiteConfig {
    /// Reads `_site.yaml` from the folder; absent means defaults.
    pub fn load(folder: &Path) -> Result<SiteConfig, Diagnostic> {
        let path = folder.join("_site.yaml");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(SiteConfig::default()),
            Err(e) => return Err(Diagnostic::error("io::read", format!("cannot read `{}`: {e}", path.display()))),
        };
        if text.trim().is_empty() {
            return Ok(SiteConfig::default());
        }
        let file = Arc::new(SourceFile::new(path.display().to_string(), text));
        crate::yaml::from_str::<SiteConfig>(&file.text).map_err(|e| {
            let (line, col) = e.position.unwrap_or((1, 1));
            let d = Diagnostic::error("site::config", format!("invalid `_site.yaml`: {}", e.message))
                .at_line_col(&file, line, col, 1);
            match e.message.strip_prefix("unknown field `").and_then(|r| r.split('`').next()) {
                Some(key) => d.with_suggestion(key, KEYS.iter().copied()),
                None => d,
            }
        })
    }
}
