//! The YAML frontmatter: typed, strict (unknown keys are errors with a suggestion), and
//! located (each error points at its line in the notebook file).

use std::sync::Arc;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::diag::{Code, Diagnostic, SourceFile};
use crate::yaml;

/// Every key the frontmatter accepts, for "did you mean".
pub const KEYS: &[&str] = &[
    "title",
    "section",
    "group",
    "notebook",
    "cell",
    "prefix",
    "slug",
    "lede",
    "description",
    "blurb",
    "headline",
    "updated",
    "data",
    "params",
    "related",
    "execute",
    "pages",
];

/// The keys of `pages:`.
pub const PAGES_KEYS: &[&str] = &["slug", "title", "description", "each", "matrix"];

const RELATED_KEYS: &[&str] = &["slug", "title", "href", "blurb"];
const EXECUTE_KEYS: &[&str] = &["echo", "output", "eval"];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Frontmatter {
    pub title: String,
    #[serde(default, deserialize_with = "scalar_string")]
    pub section: Option<String>,
    pub group: Option<String>,
    pub notebook: Option<String>,
    pub cell: Option<u32>,
    pub prefix: Option<String>,
    pub slug: Option<String>,
    pub lede: Option<String>,
    pub description: Option<String>,
    pub blurb: Option<String>,
    /// The figure the site index shows beside the title (a template); default: the blurb.
    pub headline: Option<String>,
    #[serde(default, deserialize_with = "scalar_string")]
    pub updated: Option<String>,
    #[serde(default)]
    pub data: IndexMap<String, String>,
    #[serde(default, deserialize_with = "finite_params")]
    pub params: IndexMap<String, serde_json::Value>,
    #[serde(default)]
    pub related: Vec<Related>,
    #[serde(default)]
    pub execute: ExecuteDefaults,
    /// One page per parameter set: the notebook is a family (`site/family.rs` reads it).
    pub pages: Option<Pages>,
    /// Where each key and value is written in the notebook file (byte spans in the file).
    #[serde(skip)]
    pub spans: yaml::Spans,
}

impl Frontmatter {
    /// The slugs the `related:` entries name, in order (an entry with only `href` names none).
    pub fn related_slugs(&self) -> impl Iterator<Item = &str> {
        self.related.iter().filter_map(|r| match r {
            Related::Slug(s) => Some(s.as_str()),
            Related::Entry(e) => e.slug.as_deref(),
        })
    }

    /// Where the value at the path of keys `keys` is written in the file.
    pub fn value_span(&self, keys: &[&str]) -> Option<std::ops::Range<usize>> {
        self.spans.at(keys).map(|p| p.value.clone())
    }

    /// Where the `index`th `related:` entry is written, or the `key` of it when given and
    /// written.
    pub fn related_span(&self, index: usize, key: Option<&str>) -> Option<std::ops::Range<usize>> {
        let mut path = vec![yaml::Seg::Key("related".into()), yaml::Seg::Item(index)];
        let entry = self.spans.get(&path).map(|p| p.value.clone());
        let Some(key) = key else { return entry };
        path.push(yaml::Seg::Key(key.into()));
        self.spans.get(&path).map(|p| p.value.clone()).or(entry)
    }
}

/// `pages:` as written: the member pages' slug and title templates, the landing page's
/// description, and the parameter sets, listed (`each`) or as a matrix (each parameter a list,
/// or `TABLE.COLUMN` of a `data:` table).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pages {
    pub slug: String,
    pub title: String,
    pub description: Option<String>,
    pub each: Option<Vec<IndexMap<String, serde_json::Value>>>,
    pub matrix: Option<IndexMap<String, serde_json::Value>>,
}

/// Defaults for every cell's options.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecuteDefaults {
    pub echo: Option<bool>,
    pub output: Option<bool>,
    pub eval: Option<bool>,
}

/// One related-section card: another notebook by slug, or an external link.
#[derive(Debug, Clone)]
pub enum Related {
    Slug(String),
    Entry(RelatedEntry),
}

impl<'de> Deserialize<'de> for Related {
    // By hand rather than `untagged`, so a misspelt key is named instead of "did not match".
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(slug) => Ok(Related::Slug(slug)),
            serde_json::Value::Object(map) => {
                if let Some(key) = map.keys().find(|k| !RELATED_KEYS.contains(&k.as_str())) {
                    return Err(D::Error::custom(format!(
                        "unknown field `{key}`, expected one of `slug`, `title`, `href`, `blurb`"
                    )));
                }
                let text = |k: &str| -> Result<Option<String>, D::Error> {
                    match map.get(k) {
                        None | Some(serde_json::Value::Null) => Ok(None),
                        Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
                        Some(_) => Err(D::Error::custom(format!("`{k}` of a `related` entry must be text"))),
                    }
                };
                Ok(Related::Entry(RelatedEntry {
                    slug: text("slug")?,
                    title: text("title")?,
                    href: text("href")?,
                    blurb: text("blurb")?,
                }))
            }
            _ => Err(D::Error::custom(
                "a `related` entry must be a slug or a map with `slug` or `href` (and optional `title`, `blurb`)",
            )),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct RelatedEntry {
    pub slug: Option<String>,
    pub title: Option<String>,
    pub href: Option<String>,
    pub blurb: Option<String>,
}

/// `params:` values, refusing `.nan` and `.inf` where they are written.
fn finite_params<'de, D: serde::Deserializer<'de>>(d: D) -> Result<IndexMap<String, serde_json::Value>, D::Error> {
    let params = IndexMap::<String, crate::yaml::Json>::deserialize(d)?;
    Ok(params.into_iter().map(|(k, v)| (k, v.0)).collect())
}

fn scalar_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(serde_json::Value::Number(n)) => Ok(Some(n.to_string())),
        Some(serde_json::Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(_) => Err(serde::de::Error::custom("expected a string")),
    }
}

/// Where the frontmatter sits in the file: its text and the 1-based line of its first line.
pub struct FrontmatterText<'a> {
    pub text: &'a str,
    pub first_line: usize,
}

/// Parses the frontmatter, mapping every error to its line in the notebook file.
pub fn parse(file: &Arc<SourceFile>, fm: &FrontmatterText<'_>) -> Result<Frontmatter, Vec<Diagnostic>> {
    match parse_lenient(file, fm) {
        (Some(front), problems) if problems.is_empty() => Ok(front),
        (_, problems) => Err(problems),
    }
}

/// How many keys with a value of the wrong type one frontmatter may set aside before its
/// parse stops.
const MAX_SET_ASIDE: usize = 16;

/// Parses the frontmatter, and goes on past what does not stop it from being read: an
/// unknown key or a value of the wrong type is reported and set aside, a slug, prefix or
/// `related` entry that breaks the rules is reported and not used. The frontmatter is `None`
/// only when the YAML cannot be read, or has no title.
pub fn parse_lenient(file: &Arc<SourceFile>, fm: &FrontmatterText<'_>) -> (Option<Frontmatter>, Vec<Diagnostic>) {
    if fm.text.trim().is_empty() {
        let d = Diagnostic::error(Code::FrontmatterMissingTitle, "the frontmatter is empty")
            .at(file, file.line_span(fm.first_line.saturating_sub(1).max(1)))
            .with_hint("every notebook needs at least `title: ...`");
        return (None, vec![d]);
    }
    // Where every key and value stands, once the scan has bounded what parsing can cost.
    let base = file.line_start(fm.first_line);
    let spans = yaml::scan(fm.text, yaml::MAX_VALUES).ok().and_then(|_| yaml::spans(fm.text)).map(|s| s.shifted(base));
    let (mut problems, unknown) = spans.as_ref().map(|s| unknown_keys(file, s)).unwrap_or_default();
    let is_map = spans.as_ref().is_some_and(|s| s.keys_of(&[]).next().is_some());
    if is_map && spans.as_ref().is_some_and(|s| s.at(&["title"]).is_none()) {
        problems.push(
            Diagnostic::error(Code::FrontmatterMissingTitle, "the frontmatter has no `title`")
                .at(file, file.line_span(fm.first_line.saturating_sub(1).max(1)))
                .with_hint("add `title: ...`: every page needs a title"),
        );
        return (None, problems);
    }
    // Unknown keys are blanked out of the text (lines and columns stay where they were), and so
    // is each key whose value has the wrong type, once reported.
    // Copied only when something is blanked: a frontmatter without mistakes is parsed as written.
    let mut text = std::borrow::Cow::Borrowed(fm.text);
    for entry in &unknown {
        blank(text.to_mut(), entry.start - base..entry.end - base);
    }
    for _ in 0..=MAX_SET_ASIDE {
        let err = match yaml::from_str::<Frontmatter>(&text) {
            Ok(mut front) => {
                front.spans = spans.unwrap_or_default();
                let front = validate(file, front, &mut problems);
                return (Some(front), problems);
            }
            Err(err) => err,
        };
        // What cannot be read as YAML at all stops here; so does what blanking broke.
        let readable = yaml::from_str::<serde_json::Value>(&text).is_ok();
        if !readable && text.as_ref() != fm.text {
            return (None, problems);
        }
        let entry = err.position.zip(spans.as_ref()).and_then(|((line, col), spans)| {
            let at = fm.text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum::<usize>()
                + col.saturating_sub(1);
            top_entry(spans, base + at)
        });
        problems.push(yaml_error(file, fm, &err));
        match entry.filter(|_| readable) {
            Some(entry) => blank(text.to_mut(), entry.start - base..entry.end - base),
            None => return (None, problems),
        }
    }
    (None, problems)
}

/// The top-level key (and its value) whose text holds byte `at` of the file.
fn top_entry(spans: &yaml::Spans, at: usize) -> Option<std::ops::Range<usize>> {
    spans.iter().find_map(|(path, placed)| {
        let ([yaml::Seg::Key(_)], Some(key)) = (path, &placed.key) else { return None };
        let entry = key.start..placed.value.end.max(key.end);
        (entry.start <= at && at <= entry.end).then_some(entry)
    })
}

/// Spaces over `range` of `text`, keeping its line breaks.
fn blank(text: &mut String, range: std::ops::Range<usize>) {
    let Some(part) = text.get(range.clone()) else { return };
    let spaced: String = part.chars().map(|c| if c == '\n' || c == '\r' { c } else { ' ' }).collect();
    text.replace_range(range, &spaced);
}

/// A YAML error of the frontmatter at its place in the file.
fn yaml_error(file: &Arc<SourceFile>, fm: &FrontmatterText<'_>, err: &yaml::YamlError) -> Diagnostic {
    let at_line = |d: Diagnostic, line: usize, col: usize| d.at_line_col(file, fm.first_line + line - 1, col, 1);
    // Past the last line means the YAML ended early: point at its last line.
    let last_line = fm.text.trim_end().lines().count().max(1);
    let (line, col) = match err.position.unwrap_or((1, 1)) {
        (l, _) if l > last_line => (last_line, 1),
        p => p,
    };
    if let Some(e) = yaml::explain(fm.text, line, col, &err.message) {
        let d = Diagnostic::error(Code::FrontmatterYaml, format!("invalid frontmatter: {}", e.message));
        return d.at_line_col(file, fm.first_line + e.line - 1, e.column, e.len).with_hint(e.hint);
    }
    let hint = if err.too_many_values {
        "a frontmatter holds a page's settings (an alias counts as all it repeats); put tables in a data file under `data:`"
    } else if err.too_deep {
        "flatten the lists and maps: nothing a page needs nests that deep"
    } else if err.message.contains("invalid type") || err.message.contains("invalid value") {
        "this key takes another kind of value: see the keys at a glance in docs/format.md (3.1)"
    } else {
        "the frontmatter is YAML between the two `---` lines; check indentation and quoting"
    };
    at_line(Diagnostic::error(Code::FrontmatterYaml, format!("invalid frontmatter: {}", err.message)), line, col)
        .with_hint(hint)
}

/// Every unknown key at once, from where the keys stand: at the top level, in `related`
/// entries and under `execute`.
fn unknown_keys(file: &Arc<SourceFile>, spans: &yaml::Spans) -> (Vec<Diagnostic>, Vec<std::ops::Range<usize>>) {
    use yaml::Seg;
    let (mut diagnostics, mut entries) = (Vec::new(), Vec::new());
    for (path, placed) in spans.iter() {
        let (Some((Seg::Key(key), parent)), Some(span)) = (path.split_last(), &placed.key) else { continue };
        let (what, known): (&str, &[&str]) = match parent {
            [] => ("frontmatter", KEYS),
            [Seg::Key(top), Seg::Item(_)] if top == "related" => ("`related` entry", RELATED_KEYS),
            [Seg::Key(top)] if top == "execute" => ("`execute`", EXECUTE_KEYS),
            [Seg::Key(top)] if top == "pages" => ("`pages`", PAGES_KEYS),
            _ => continue,
        };
        if known.contains(&key.as_str()) {
            continue;
        }
        let d = Diagnostic::error(Code::FrontmatterUnknownKey, format!("unknown {what} key `{key}`"))
            .at(file, span.clone())
            .with_label("not a known key");
        diagnostics.push(match crate::diag::did_you_mean(key, known.iter().copied()) {
            Some(best) => d.with_hint(format!("did you mean `{best}`?")),
            None => d.with_hint(format!("known keys: {}", known.join(", "))),
        });
        entries.push(span.start..placed.value.end.max(span.end));
    }
    (diagnostics, entries)
}

/// Checks the values serde cannot: each that breaks its rule is reported and left unused.
fn validate(file: &Arc<SourceFile>, mut front: Frontmatter, problems: &mut Vec<Diagnostic>) -> Frontmatter {
    // `section: 6.10` is "6.10" as written, not the number 6.1.
    for key in ["section", "updated"] {
        let written = front.value_span(&[key]).and_then(|s| file.text.get(s)).map(str::trim);
        let raw = written.filter(|w| !w.is_empty() && !w.starts_with(['"', '\'']));
        let slot = if key == "section" { &mut front.section } else { &mut front.updated };
        if let (Some(_), Some(raw)) = (slot.as_ref(), raw) {
            *slot = Some(raw.to_string());
        }
    }
    let whole = || file.line_span(1);
    if let Some(slug) = front.slug.take_if(|slug| !is_valid_slug(slug)) {
        problems.push(
            Diagnostic::error(Code::FrontmatterBadSlug, format!("invalid slug `{slug}`"))
                .at(file, front.value_span(&["slug"]).unwrap_or_else(whole))
                .with_hint("a slug uses only lowercase letters, digits and `-`, e.g. `mlops-engineer`"),
        );
    }
    if let Some(prefix) = front.prefix.take_if(|prefix| !is_valid_slug(prefix)) {
        problems.push(
            Diagnostic::error(Code::FrontmatterBadPrefix, format!("invalid prefix `{prefix}`"))
                .at(file, front.value_span(&["prefix"]).unwrap_or_else(whole))
                .with_hint("a prefix uses only lowercase letters, digits and `-`, e.g. `mo`"),
        );
    }
    for (i, entry) in front.related.iter().enumerate() {
        if let Related::Entry(e) = entry
            && e.slug.is_some() == e.href.is_some()
        {
            problems.push(
                Diagnostic::error(
                    Code::FrontmatterRelated,
                    "a `related` entry needs exactly one of `slug` (another notebook) or `href` (an external link)",
                )
                .at(file, front.related_span(i, None).unwrap_or_else(whole))
                .with_hint(
                    "write `- some-slug`, `- { slug: x, blurb: ... }` or `- { title: X, href: \"https://...\" }`",
                ),
            );
        }
    }
    front
}

/// `[a-z0-9-]+`, not starting or ending with `-`.
pub fn is_valid_slug(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Frontmatter, Diagnostic> {
        parse_all(text).map_err(|mut d| d.remove(0))
    }

    fn parse_all(text: &str) -> Result<Frontmatter, Vec<Diagnostic>> {
        let src = format!("---\n{text}---\nbody\n");
        let file = Arc::new(SourceFile::new("nb.md", src));
        let fm = FrontmatterText { text, first_line: 2 };
        parse(&file, &fm)
    }

    #[test]
    fn a_frontmatter_read_with_mistakes_is_still_read() {
        let text = "title: T\ncell: abc\ntittle: x\nslug: Bad_Slug\nlede: kept\n";
        let src = format!("---\n{text}---\nbody\n");
        let file = Arc::new(SourceFile::new("nb.md", src));
        let (front, problems) = parse_lenient(&file, &FrontmatterText { text, first_line: 2 });
        let codes: Vec<Code> = problems.iter().map(|d| d.code).collect();
        assert_eq!(codes, [Code::FrontmatterUnknownKey, Code::FrontmatterYaml, Code::FrontmatterBadSlug]);
        let front = front.expect("read");
        assert_eq!(
            (front.title.as_str(), front.lede.as_deref(), front.cell, front.slug),
            ("T", Some("kept"), None, None)
        );
        // YAML that cannot be read stops there.
        let text = "title: T\nlede: a: b\n";
        let src = format!("---\n{text}---\nbody\n");
        let file = Arc::new(SourceFile::new("nb.md", src));
        assert!(parse_lenient(&file, &FrontmatterText { text, first_line: 2 }).0.is_none());
    }

    #[test]
    fn every_unknown_key_is_reported() {
        let d = parse_all(
            "title: T
titel: x
lead: y
",
        )
        .unwrap_err();
        assert_eq!(d.len(), 2);
        assert_eq!(d[1].hint.as_deref(), Some("did you mean `lede`?"));
    }

    #[test]
    fn parses_the_spec_example_keys() {
        let front = parse_text(
            "title: T\nsection: 6.3\nslug: a-b\ndata:\n  comp: data/c.csv\nrelated:\n  - x\n  - { slug: y, blurb: B }\n  - { title: D, href: \"https://d.com\" }\nexecute:\n  echo: false\n",
        )
        .unwrap();
        assert_eq!(front.section.as_deref(), Some("6.3"));
        assert_eq!(front.related.len(), 3);
        assert_eq!(front.execute.echo, Some(false));
    }

    #[test]
    fn unknown_key_names_line_and_suggests() {
        let d = parse_text("title: T\ntitel: x\n").unwrap_err();
        assert_eq!(d.position().map(|p| (p.1, p.2)), Some((3, 1)));
        assert!(d.message.contains("`titel`"));
        assert_eq!(d.hint.as_deref(), Some("did you mean `title`?"));
    }

    #[test]
    fn unknown_execute_key_suggests_from_its_own_set() {
        let d = parse_text("title: T\nexecute:\n  ecko: false\n").unwrap_err();
        assert_eq!(d.position().map(|p| p.1), Some(4));
        assert_eq!(d.hint.as_deref(), Some("did you mean `echo`?"));
    }

    #[test]
    fn numbers_keep_their_written_form() {
        let front = parse_text("title: T\nsection: 6.10\nupdated: 2026-05-01 # day\n").unwrap();
        assert_eq!(front.section.as_deref(), Some("6.10"));
        assert_eq!(front.updated.as_deref(), Some("2026-05-01"));
    }

    #[test]
    fn unknown_related_key_is_named() {
        let d = parse_text("title: T\nrelated:\n  - { slug: x, blrb: y }\n").unwrap_err();
        assert_eq!(d.code, Code::FrontmatterUnknownKey);
        assert_eq!(d.hint.as_deref(), Some("did you mean `blurb`?"));
    }

    #[test]
    fn slugs_are_checked() {
        assert!(is_valid_slug("mlops-engineer"));
        assert!(!is_valid_slug("MLOps"));
        assert!(!is_valid_slug("../x"));
        assert!(parse_text("title: T\nslug: Bad Slug\n").is_err());
    }

    #[test]
    fn missing_title_is_reported() {
        let d = parse_text("slug: x\n").unwrap_err();
        assert_eq!(d.code, Code::FrontmatterMissingTitle);
    }
}
