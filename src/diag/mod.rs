//! Located diagnostics: every user mistake becomes a [`Diagnostic`] with a file, a byte span,
//! a message and a hint, and is rendered the same way whatever stage found it.
//!
//! codespan-reporting lives here and nowhere else.

use std::ops::Range;
use std::sync::Arc;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;
use codespan_reporting::term::termcolor::{Ansi, NoColor, WriteColor};

/// A source file as the user edits it: its display name and its text.
#[derive(Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        SourceFile { name: name.into(), text, line_starts }
    }

    /// Byte offset of a 1-based line and 1-based column (in characters), clamped to the text.
    pub fn offset(&self, line: usize, column: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let line_text = self.line_text_from(start);
        let col_bytes = line_text.char_indices().nth(column.saturating_sub(1)).map_or(line_text.len(), |(i, _)| i);
        start + col_bytes
    }

    /// Byte offset where a 1-based line starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.offset(line, 1)
    }

    /// Byte span of a whole 1-based line, without its newline.
    pub fn line_span(&self, line: usize) -> Range<usize> {
        let start = self.line_start(line);
        start..start + self.line_text_from(start).len()
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts.get(line - 1).copied().unwrap_or(0);
        let col = self.text.get(start..offset.min(self.text.len())).map_or(1, |s| s.chars().count() + 1);
        (line, col)
    }

    fn line_text_from(&self, start: usize) -> &str {
        let rest = self.text.get(start..).unwrap_or("");
        rest.split('\n').next().unwrap_or("").trim_end_matches('\r')
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in the user's input.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A short stable name of the error class, e.g. `frontmatter::unknown-key`.
    pub code: &'static str,
    pub message: String,
    /// Where: the file and the byte span in it. `None` for problems with no place (I/O).
    pub location: Option<Location>,
    /// Text shown under the caret.
    pub label: Option<String>,
    /// What to do about it.
    pub hint: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Location {
    pub file: Arc<SourceFile>,
    pub span: Range<usize>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Error, code, message: message.into(), location: None, label: None, hint: None }
    }

    pub fn at(mut self, file: &Arc<SourceFile>, span: Range<usize>) -> Self {
        let text = &file.text;
        let len = text.len();
        // A span that ends or starts inside a character (a byte count from a column) widens to
        // the whole character, so the renderer never slices through it.
        let mut start = span.start.min(len);
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = span.end.clamp(start, len);
        while !text.is_char_boundary(end) {
            end += 1;
        }
        self.location = Some(Location { file: Arc::clone(file), span: start..end });
        self
    }

    /// Points at a 1-based line and column, spanning `len` bytes (at least the character there).
    pub fn at_line_col(self, file: &Arc<SourceFile>, line: usize, column: usize, len: usize) -> Self {
        let start = file.offset(line, column);
        self.at(file, start..start + len)
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a "did you mean" hint when one of `candidates` is close to `word`.
    pub fn with_suggestion<'a>(self, word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Self {
        match did_you_mean(word, candidates) {
            Some(best) => self.with_hint(format!("did you mean `{best}`?")),
            None => self,
        }
    }

    /// Adds `hint` unless the diagnostic already has one.
    pub fn or_hint(self, hint: impl Into<String>) -> Self {
        if self.hint.is_some() { self } else { self.with_hint(hint) }
    }

    /// The diagnostic as one JSON object, for editors and CI: file, line, column, end,
    /// severity, code, message, hint.
    pub fn to_json(&self) -> serde_json::Value {
        let (file, start, end) = match &self.location {
            Some(loc) => (
                Some(loc.file.name.clone()),
                Some(loc.file.line_col(loc.span.start)),
                Some(loc.file.line_col(loc.span.end)),
            ),
            None => (None, None, None),
        };
        serde_json::json!({
            "file": file,
            "line": start.map(|p| p.0),
            "column": start.map(|p| p.1),
            "end_line": end.map(|p| p.0),
            "end_column": end.map(|p| p.1),
            "severity": match self.severity { Severity::Error => "error", Severity::Warning => "warning" },
            "code": self.code,
            "message": self.message,
            "label": self.label,
            "hint": self.hint,
        })
    }

    /// `file:line:col` of the start of the span, when there is one.
    pub fn position(&self) -> Option<(String, usize, usize)> {
        let loc = self.location.as_ref()?;
        let (line, col) = loc.file.line_col(loc.span.start);
        Some((loc.file.name.clone(), line, col))
    }
}

/// The candidate nearest to `word`, when it is near enough to be a likely typo: a small edit
/// distance for short words, or a high Jaro-Winkler similarity for long ones.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let budget = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (strsim::levenshtein(word, c), strsim::jaro_winkler(word, c), c))
        .filter(|(distance, similarity, _)| *distance <= budget || *similarity > 0.85)
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)))
        .map(|(_, _, c)| c)
}

/// Renders diagnostics as the user sees them: `error[code]: message`, then
/// `--> file:line:col`, the source line with a caret, and the hint.
pub fn render(diagnostics: &[Diagnostic], color: bool) -> String {
    let mut out: Vec<u8> = Vec::new();
    if color {
        let mut w = Ansi::new(&mut out);
        emit_all(&mut w, diagnostics);
    } else {
        let mut w = NoColor::new(&mut out);
        emit_all(&mut w, diagnostics);
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn emit_all(writer: &mut dyn WriteColor, diagnostics: &[Diagnostic]) {
    let config = term::Config::default();
    for d in diagnostics {
        let mut files = SimpleFiles::new();
        let mut cd = match d.severity {
            Severity::Error => cs::Diagnostic::error(),
            Severity::Warning => cs::Diagnostic::warning(),
        }
        .with_code(d.code)
        .with_message(&d.message);
        if let Some(loc) = &d.location {
            let id = files.add(loc.file.name.as_str(), loc.file.text.as_str());
            let label = cs::Label::primary(id, loc.span.clone());
            let label = match &d.label {
                Some(text) => label.with_message(text),
                None => label,
            };
            cd = cd.with_labels(vec![label]);
        }
        if let Some(hint) = &d.hint {
            cd = cd.with_notes(vec![format!("hint: {hint}")]);
        }
        if term::emit(writer, &config, &files, &cd).is_err() {
            // The span was clamped to the file when it was set, so emitting cannot fail on
            // position; keep the message rather than lose it.
            let _ = writeln!(writer, "error[{}]: {}", d.code, d.message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> Arc<SourceFile> {
        Arc::new(SourceFile::new("nb.md", text))
    }

    #[test]
    fn offsets_and_line_cols_round_trip() {
        let f = file("ab\ncdé f\n");
        assert_eq!(f.offset(2, 1), 3);
        assert_eq!(f.offset(2, 4), 7); // é is two bytes
        assert_eq!(f.line_col(7), (2, 4));
        assert_eq!(f.offset(9, 1), f.text.len());
        assert_eq!(f.line_span(2), 3..9);
    }

    #[test]
    fn renders_location_source_line_and_hint() {
        let f = file("---\ntitel: x\n---\n");
        let d = Diagnostic::error("frontmatter::unknown-key", "unknown frontmatter key `titel`")
            .at(&f, 4..9)
            .with_suggestion("titel", ["title", "slug"]);
        let text = render(&[d], false);
        assert!(text.contains("nb.md:2:1"), "{text}");
        assert!(text.contains("titel: x"), "{text}");
        assert!(text.contains("did you mean `title`?"), "{text}");
    }

    #[test]
    fn out_of_range_spans_are_clamped_not_panicking() {
        let f = file("x");
        let d = Diagnostic::error("t", "m").at(&f, 10..20);
        assert!(render(&[d], false).contains("nb.md:1:2"));
    }

    #[test]
    fn spans_inside_a_character_widen_to_the_whole_character() {
        // Found by fuzzing: a YAML error at a column holding `é` spanned one byte of it.
        let f = file("---\n\u{e9}tle: x\n---\n");
        let d = Diagnostic::error("t", "m").at_line_col(&f, 2, 1, 1);
        assert_eq!(d.location.as_ref().map(|l| l.span.clone()), Some(4..6));
        let d = Diagnostic::error("t", "m").at(&f, 5..5);
        assert_eq!(d.location.as_ref().map(|l| l.span.clone()), Some(4..6));
        assert!(render(&[d], false).contains("nb.md:2:1"));
    }

    #[test]
    fn suggestion_needs_a_close_candidate() {
        assert_eq!(did_you_mean("titel", ["title", "slug"]), Some("title"));
        assert_eq!(did_you_mean("zzz", ["title", "slug"]), None);
        assert_eq!(did_you_mean("hj", ["hi", "k", "lo"]), Some("hi"));
    }
}
