//! Located diagnostics: every user mistake becomes a [`Diagnostic`] with a file, a byte span,
//! a message and a hint, and is rendered the same way whatever stage found it.
//!
//! codespan-reporting lives here and nowhere else.

mod code;

pub use code::{Cause, Code};

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::sync::Arc;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Files, SimpleFile};
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
        self.line_starts.get(line.saturating_sub(1)).copied().unwrap_or(self.text.len())
    }

    /// Byte span of a whole 1-based line, without its newline.
    pub fn line_span(&self, line: usize) -> Range<usize> {
        let start = self.line_start(line);
        let end = self.line_starts.get(line.max(1)).map_or(self.text.len(), |&next| next - 1).max(start);
        start..start + self.text[start..end].trim_end_matches('\r').len()
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

/// The command line as a file, and each argument with its span in it.
type CommandLine = (Arc<SourceFile>, Vec<(String, Range<usize>)>);

/// This run's command line as a one-line file (`nbrender chart notebooks/x.md fig-y`), with
/// each argument and the span where it stands. Arguments a shell would split or expand are
/// shown quoted; a span covers the argument's text without its quotes.
fn command_line() -> &'static CommandLine {
    static LINE: std::sync::OnceLock<CommandLine> = std::sync::OnceLock::new();
    LINE.get_or_init(|| {
        let args: Vec<String> = std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
        let (text, spans) = quote_arguments(&args);
        (Arc::new(SourceFile::new("command line", text)), args.into_iter().zip(spans).collect())
    })
}

/// `nbrender` and `args`, each quoted when it holds a space, a quote or shell syntax (or is
/// empty); the span of each argument's own text.
fn quote_arguments(args: &[String]) -> (String, Vec<Range<usize>>) {
    let mut text = String::from("nbrender");
    let mut spans = Vec::with_capacity(args.len());
    for arg in args {
        text.push(' ');
        let plain = !arg.is_empty()
            && arg.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./=:,@+%".contains(&b) || !b.is_ascii());
        if plain {
            spans.push(text.len()..text.len() + arg.len());
            text.push_str(arg);
        } else {
            text.push('\'');
            let start = text.len();
            text.push_str(&arg.replace('\'', "'\\''"));
            spans.push(start..text.len());
            text.push('\'');
        }
    }
    (text, spans)
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
    pub code: Code,
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
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Error, code, message: message.into(), location: None, label: None, hint: None }
    }

    /// A problem that does not stop a build (`check --strict` makes it one that does).
    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message) }
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

    /// Points at the argument `value` on this run's command line, shown as a file of one line
    /// named `command line`: a mistake made there is shown where it was typed. `--key=value`
    /// counts as `value`. Without such an argument (nbrender used as a library) the diagnostic
    /// keeps no place.
    pub fn at_argument(self, value: &str) -> Self {
        let (file, spans) = command_line();
        let found = spans.iter().find(|(arg, _)| {
            arg == value || arg.split_once('=').is_some_and(|(k, v)| k.starts_with("--") && v == value)
        });
        match found {
            Some((_, span)) => self.at(file, span.clone()),
            None => self,
        }
    }

    /// Places the diagnostic at the value of the option `flag` on the command line: the
    /// argument after `flag`, or the whole `flag=value`; else wherever `value` stands.
    pub fn at_option(self, flag: &str, value: &str) -> Self {
        let (file, spans) = command_line();
        let joined = format!("{flag}={value}");
        let found = spans.iter().enumerate().find_map(|(i, (arg, span))| match arg {
            _ if *arg == joined => Some(span),
            _ if arg == flag => spans.get(i + 1).filter(|(next, _)| next == value).map(|(_, span)| span),
            _ => None,
        });
        match found {
            Some(span) => self.at(file, span.clone()),
            None => self.at_argument(value),
        }
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

    /// Replaces the hint with `hint` when there is one.
    pub fn hinted(self, hint: Option<String>) -> Self {
        match hint {
            Some(hint) => self.with_hint(hint),
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

    /// [`Diagnostic::to_json`] as one line of text, safe to print on a terminal: serde_json
    /// escapes C0 controls but writes DEL and C1 (U+0080 to U+009F) as they are, so those are
    /// escaped here too (`\u009b`), which is the same JSON value.
    pub fn to_json_line(&self) -> String {
        let json = self.to_json().to_string();
        let mut line = String::with_capacity(json.len());
        for c in json.chars() {
            // Outside its strings, compact JSON has no control characters: all are in strings.
            if c.is_control() {
                let _ = write!(line, "\\u{:04x}", u32::from(c));
            } else {
                line.push(c);
            }
        }
        line
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
/// `--> file:line:col`, the source line with a caret, and the hint. Terminal controls in any
/// of them are shown escaped ([`printable`]).
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
    // Each file is escaped and its lines found once, however many diagnostics it has: a
    // notebook with 50,000 mistakes is reported in a moment, not in minutes.
    let mut shown_files: HashMap<*const SourceFile, Shown<'_>> = HashMap::new();
    for d in diagnostics {
        let mut cd = match d.severity {
            Severity::Error => cs::Diagnostic::error(),
            Severity::Warning => cs::Diagnostic::warning(),
        }
        .with_code(d.code.as_str())
        .with_message(printable(&d.message));
        if let Some(hint) = &d.hint {
            cd = cd.with_notes(vec![format!("hint: {}", printable(hint))]);
        }
        let emitted = match &d.location {
            Some(loc) => {
                let shown = shown_files.entry(Arc::as_ptr(&loc.file)).or_insert_with(|| Shown::new(&loc.file));
                let label = cs::Label::primary((), shown.span(&loc.span));
                let label = match &d.label {
                    Some(text) => label.with_message(printable(text)),
                    None => label,
                };
                term::emit(writer, &config, &*shown, &cd.with_labels(vec![label]))
            }
            None => term::emit(writer, &config, &SimpleFile::new("", ""), &cd),
        };
        if emitted.is_err() {
            // The span was clamped to the file when it was set, so emitting cannot fail on
            // position; keep the message rather than lose it.
            let _ = writeln!(writer, "error[{}]: {}", d.code, printable(&d.message));
        }
    }
}

/// `text` as it may go to a terminal: every control character a terminal could take as (the
/// start of) an escape sequence is written as Rust writes it, `\u{1b}`. That is C0 (a notebook
/// could set the window title or write the clipboard), DEL and C1 (U+0080 to U+009F, which
/// some terminals obey). Newline and tab stay, and so does a carriage return before a newline.
pub fn printable(text: &str) -> Cow<'_, str> {
    Escaped::new(text).text
}

/// Whether the character `c`, followed by `next`, is written escaped.
fn is_terminal_control(c: char, next: Option<char>) -> bool {
    c.is_control() && c != '\n' && c != '\t' && !(c == '\r' && next == Some('\n'))
}

/// A text with its terminal controls escaped (borrowed when it has none), and where the
/// escapes made it longer.
struct Escaped<'a> {
    text: Cow<'a, str>,
    growth: Growth,
}

/// For each escaped character: its end in the original text, and how many bytes the escapes
/// up to and including it added.
struct Growth(Vec<(usize, usize)>);

impl<'a> Escaped<'a> {
    fn new(original: &'a str) -> Escaped<'a> {
        let mut text = String::new();
        let mut growth = Vec::new();
        let mut chars = original.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            if !is_terminal_control(c, chars.peek().map(|&(_, next)| next)) {
                continue;
            }
            let (done, added) = growth.last().copied().unwrap_or_default();
            text.push_str(original.get(done..at).unwrap_or_default());
            let before = text.len();
            let _ = write!(text, "\\u{{{:x}}}", u32::from(c));
            growth.push((at + c.len_utf8(), added + text.len() - before - c.len_utf8()));
        }
        let Some(&(done, _)) = growth.last() else {
            return Escaped { text: Cow::Borrowed(original), growth: Growth(growth) };
        };
        text.push_str(original.get(done..).unwrap_or_default());
        Escaped { text: Cow::Owned(text), growth: Growth(growth) }
    }
}

impl Growth {
    /// The offset in the escaped text of `offset` in the original: a character's escape
    /// starts where the character did.
    fn escaped_offset(&self, offset: usize) -> usize {
        let before = self.0.partition_point(|&(end, _)| end <= offset);
        offset + before.checked_sub(1).and_then(|i| self.0.get(i)).map_or(0, |&(_, added)| added)
    }

    /// The offset in the original of `offset` in the escaped text (the inverse of
    /// [`Growth::escaped_offset`] at the start of a character).
    fn original_offset(&self, offset: usize) -> usize {
        let before = self.0.partition_point(|&(end, added)| end + added <= offset);
        offset - before.checked_sub(1).and_then(|i| self.0.get(i)).map_or(0, |&(_, added)| added)
    }
}

/// A diagnostic's file as codespan shows it: its name and text escaped, while the column in
/// `file:line:col` counts the characters of the line as it is in the file (as the JSON output
/// does), not those of its escaped form.
struct Shown<'a> {
    original: &'a SourceFile,
    growth: Growth,
    file: SimpleFile<Cow<'a, str>, Cow<'a, str>>,
}

impl<'a> Shown<'a> {
    fn new(original: &'a SourceFile) -> Shown<'a> {
        let Escaped { text, growth } = Escaped::new(&original.text);
        Shown { original, growth, file: SimpleFile::new(printable(&original.name), text) }
    }

    /// A span of the original text in the escaped one; a span over a control character covers
    /// its whole escape, so the caret stays under what it pointed at.
    fn span(&self, span: &Range<usize>) -> Range<usize> {
        self.growth.escaped_offset(span.start)..self.growth.escaped_offset(span.end)
    }
}

impl<'a> Files<'a> for Shown<'_> {
    type FileId = ();
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, (): ()) -> Result<&'a str, codespan_reporting::files::Error> {
        Ok(self.file.name().as_ref())
    }

    fn source(&'a self, (): ()) -> Result<&'a str, codespan_reporting::files::Error> {
        Ok(self.file.source().as_ref())
    }

    fn line_index(&'a self, (): (), byte_index: usize) -> Result<usize, codespan_reporting::files::Error> {
        self.file.line_index((), byte_index)
    }

    fn line_range(&'a self, (): (), line_index: usize) -> Result<Range<usize>, codespan_reporting::files::Error> {
        self.file.line_range((), line_index)
    }

    fn column_number(
        &'a self,
        (): (),
        _line_index: usize,
        byte_index: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        Ok(self.original.line_col(self.growth.original_offset(byte_index)).1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> Arc<SourceFile> {
        Arc::new(SourceFile::new("nb.md", text))
    }

    #[test]
    fn arguments_are_quoted_as_a_shell_would_need() {
        let args: Vec<String> =
            ["chart", "notebooks/x.md", "D E", "", "it's", "--param=level=L6"].map(String::from).into();
        let (text, spans) = quote_arguments(&args);
        assert_eq!(text, "nbrender chart notebooks/x.md 'D E' '' 'it'\\''s' --param=level=L6");
        let shown: Vec<&str> = spans.iter().map(|s| &text[s.clone()]).collect();
        assert_eq!(shown, ["chart", "notebooks/x.md", "D E", "", "it'\\''s", "--param=level=L6"]);
    }

    #[test]
    fn line_starts_and_spans_read_from_the_index() {
        for text in ["", "a", "a\n", "ab\r\ncd\r\n\r\n", "\n\nx", "é\nü\r\r\n", "x\r"] {
            let f = SourceFile::new("t", text);
            for line in 0..6 {
                let start = f.offset(line, 1);
                assert_eq!(f.line_start(line), start, "{text:?} line {line}");
                assert_eq!(f.line_span(line), start..start + f.line_text_from(start).len(), "{text:?} line {line}");
            }
        }
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
        let d = Diagnostic::error(Code::FrontmatterUnknownKey, "unknown frontmatter key `titel`")
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
        let d = Diagnostic::error(Code::Internal, "m").at(&f, 10..20);
        assert!(render(&[d], false).contains("nb.md:1:2"));
    }

    #[test]
    fn spans_inside_a_character_widen_to_the_whole_character() {
        // Found by fuzzing: a YAML error at a column holding `é` spanned one byte of it.
        let f = file("---\n\u{e9}tle: x\n---\n");
        let d = Diagnostic::error(Code::Internal, "m").at_line_col(&f, 2, 1, 1);
        assert_eq!(d.location.as_ref().map(|l| l.span.clone()), Some(4..6));
        let d = Diagnostic::error(Code::Internal, "m").at(&f, 5..5);
        assert_eq!(d.location.as_ref().map(|l| l.span.clone()), Some(4..6));
        assert!(render(&[d], false).contains("nb.md:2:1"));
    }

    /// Every character a terminal could take as (the start of) a control sequence: C0 but tab
    /// and newline, DEL, and C1.
    fn is_raw_control(c: char) -> bool {
        c.is_control() && c != '\n' && c != '\t'
    }

    #[test]
    fn terminal_controls_in_message_label_hint_file_name_and_source_are_escaped() {
        let source = "---\nslug: \"x\u{1b}]0;PWNED\u{7}\"\ntitle: a\u{9b}31mred\u{7f}\r\n---\n";
        let f = Arc::new(SourceFile::new("nb\u{1b}[2J.md", source));
        let d = Diagnostic::error(Code::FrontmatterBadSlug, "invalid slug `x\u{1b}]52;c;aGk=\u{7}`")
            .at(&f, 4..8)
            .with_label("label \u{1b}[31m")
            .with_hint("hint \u{9b}2J\u{0}\u{8}");
        let text = render(&[d.clone(), d.at(&f, 31..34)], false);
        assert!(!text.contains(is_raw_control), "{text:?}");
        assert!(text.contains("invalid slug `x\\u{1b}]52;c;aGk=\\u{7}`"), "{text}");
        assert!(text.contains("nb\\u{1b}[2J.md:2:1"), "{text}");
        assert!(text.contains("slug: \"x\\u{1b}]0;PWNED\\u{7}\""), "{text}");
        assert!(text.contains("title: a\\u{9b}31mred\\u{7f}"), "{text}");
        assert!(text.contains("label \\u{1b}[31m") && text.contains("hint \\u{9b}2J\\u{0}\\u{8}"), "{text}");
    }

    /// What the carets of a rendered diagnostic stand under in the source line above them.
    fn underlined(rendered: &str) -> &str {
        let lines: Vec<&str> = rendered.lines().collect();
        let Some(at) = lines.iter().position(|l| l.contains('^')) else { return "" };
        let (source, carets) = (lines.get(at.wrapping_sub(1)).copied().unwrap_or(""), lines[at]);
        let (start, end) = (carets.find('^').unwrap_or(0), carets.rfind('^').map_or(0, |i| i + 1));
        source.get(start..end).unwrap_or("")
    }

    /// The caret under an escaped line points at the same character as in the file, and the
    /// column in `file:line:col` is the file's (as in the JSON output), not the escaped line's.
    #[test]
    fn carets_and_columns_stay_right_after_escaped_characters() {
        let f = file("x: \"\u{1b}\u{9b}\u{7}\tab\"\n");
        let start = f.text.find("ab").unwrap_or_default();
        let d = Diagnostic::error(Code::Internal, "m").at(&f, start..start + 2);
        assert_eq!(d.to_json()["column"], 9);
        let text = render(&[d], false);
        assert!(text.contains("nb.md:1:9"), "{text}");
        assert_eq!(underlined(&text), "ab", "{text}");
        // A span on the control character itself underlines all of its escape.
        let esc = f.text.find('\u{1b}').unwrap_or_default();
        let text = render(&[Diagnostic::error(Code::Internal, "m").at(&f, esc..esc + 1)], false);
        assert!(text.contains("nb.md:1:5"), "{text}");
        assert_eq!(underlined(&text), "\\u{1b}", "{text}");
    }

    #[test]
    fn offsets_map_to_the_escaped_text_and_back() {
        let text = "\u{1b}a\u{e9}\u{9b}\u{7f}b\r\nc\rd\u{0}";
        let Escaped { text: escaped, growth } = Escaped::new(text);
        assert_eq!(escaped, "\\u{1b}a\u{e9}\\u{9b}\\u{7f}b\r\nc\\u{d}d\\u{0}");
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            let shown = growth.escaped_offset(at);
            assert_eq!(growth.original_offset(shown), at);
            let next = chars.peek().map(|&(_, next)| next);
            let expected =
                if is_terminal_control(c, next) { format!("\\u{{{:x}}}", u32::from(c)) } else { c.to_string() };
            assert!(escaped.get(shown..).is_some_and(|s| s.starts_with(&expected)), "{at}");
        }
        assert_eq!(growth.escaped_offset(text.len()), escaped.len());
        assert!(matches!(printable("plain\ttext\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_lines_carry_no_raw_terminal_controls() {
        let f = file("a\u{9b}b\n");
        let d =
            Diagnostic::error(Code::Internal, "slug `\u{1b}]0;x\u{7}\u{7f}\u{9b}`").at(&f, 0..1).with_hint("\u{85}");
        let line = d.to_json_line();
        assert!(!line.contains(is_raw_control), "{line:?}");
        let back: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        assert_eq!(back, d.to_json(), "the escapes are JSON's own: the value is unchanged");
    }

    #[test]
    fn suggestion_needs_a_close_candidate() {
        assert_eq!(did_you_mean("titel", ["title", "slug"]), Some("title"));
        assert_eq!(did_you_mean("zzz", ["title", "slug"]), None);
        assert_eq!(did_you_mean("hj", ["hi", "k", "lo"]), Some("hi"));
    }
}
