//! Stage 5a, expand: a notebook's prose templates run once over the whole body, before
//! Markdown is parsed, so that `{% for %}` and `{% if %}` make Markdown structure as typed.
//!
//! What goes to the template engine is the body as written, with three kinds of marks
//! (private-use characters the body does not contain, see [`Marks`]):
//! - each fenced code block (cells included) is one region mark: templates never see inside
//!   it, and it is put back byte for byte afterwards, wherever its mark ends up;
//! - each line starts with a line mark naming its file line, so that every line of the
//!   expanded Markdown knows the notebook line it came from, through loops and conditions;
//! - each value a `{{ }}` inserts comes out as a value mark: Markdown parses the mark, never
//!   the value, and the Markdown stage puts the exact text where the mark is.
//!
//! `{# … #}` comments are removed here (see [`comment_at`]); a [`SourceMap`] takes a position
//! in what the engine saw back to the file, for its errors.

use std::ops::Range;
use std::sync::Arc;

use crate::diag::{Code, Diagnostic, SourceFile};
use crate::notebook::Notebook;
use crate::template::{Inserted, Marks, Origin, ProseTemplates, Raw, Scope, TemplateError};

/// A notebook's prose, expanded: Markdown for comrak, with value marks.
#[derive(Debug, Clone)]
pub struct Expanded {
    pub markdown: String,
    /// The 1-based file line of each line of `markdown`.
    pub lines: Vec<usize>,
    /// What each value mark stands for, by index.
    pub values: Vec<Inserted>,
    /// Where each value came from, by index, when known.
    pub origins: Vec<Option<ValueSource>>,
    pub marks: Marks,
}

/// Where a value inserted into prose was written, and what it was before it was formatted.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueSource {
    /// The expression in its `{{ }}`, as written.
    pub expression: String,
    /// The file line of the `{{`.
    pub line: usize,
    pub raw: Vec<Raw>,
}

/// Positions in the text the template engine saw, taken back to the file.
#[derive(Debug, Default)]
struct SourceMap {
    /// (offset in the template text, offset in the file, bytes copied as they are).
    pieces: Vec<(usize, usize, usize)>,
}

impl SourceMap {
    fn file_offset(&self, at: usize) -> usize {
        let i = self.pieces.partition_point(|p| p.0 <= at);
        match i.checked_sub(1).and_then(|i| self.pieces.get(i)) {
            Some(&(tpl, file, len)) => file + (at - tpl).min(len),
            None => self.pieces.first().map_or(0, |p| p.1),
        }
    }
}

/// The text handed to the template engine, built with its map.
struct TemplateText {
    text: String,
    map: SourceMap,
}

impl TemplateText {
    fn copy(&mut self, file_at: usize, s: &str) {
        if !s.is_empty() {
            self.map.pieces.push((self.text.len(), file_at, s.len()));
            self.text.push_str(s);
        }
    }

    fn insert(&mut self, file_at: usize, s: &str) {
        self.map.pieces.push((self.text.len(), file_at, 0));
        self.text.push_str(s);
    }

    /// A mark with a number: `{mark}{n}{mark}`.
    fn insert_mark(&mut self, file_at: usize, mark: char, n: usize) {
        use std::fmt::Write;
        self.map.pieces.push((self.text.len(), file_at, 0));
        // Writing to a String cannot fail.
        let _ = write!(self.text, "{mark}{n}{mark}");
    }

    /// The text ends with a tag that trims the whitespace after it (`-%}`, `-}}`, `-##}`).
    fn trims_after(&self) -> bool {
        let t = self.text.trim_end_matches(['\r', '\n', ' ', '\t']);
        t.ends_with("-%}") || t.ends_with("-}}") || t.ends_with("-##}")
    }
}

/// Picks three private-use characters the text does not contain.
fn free_marks(text: &str) -> Option<Marks> {
    const FIRST: u32 = 0xE000;
    const LAST: u32 = 0xF8FF;
    const SLOTS: usize = (LAST - FIRST + 1) as usize;
    let mut used = [0u64; SLOTS.div_ceil(64)];
    // Every character of the range is three bytes led by 0xEE or 0xEF, bytes that never
    // continue another character: only those places are decoded.
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(at) = bytes[from..].iter().position(|&b| b == 0xEE || b == 0xEF).map(|p| from + p) {
        let slot = text[at..].chars().next().and_then(|c| (c as u32).checked_sub(FIRST)).map(|s| s as usize);
        if let Some(slot) = slot.filter(|&s| s < SLOTS) {
            used[slot / 64] |= 1 << (slot % 64);
        }
        from = at + 1;
    }
    let mut free =
        (0..SLOTS).filter(|&s| used[s / 64] & (1 << (s % 64)) == 0).filter_map(|s| char::from_u32(FIRST + s as u32));
    Some(Marks { value: free.next()?, line: free.next()?, region: free.next()? })
}

/// Where the scanner is in the template syntax.
#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Text,
    /// Inside `{{ }}` or `{% %}`: ends at this closing delimiter.
    Tag(&'static str),
    /// Inside `{## ##}`.
    Comment,
    /// Inside `{% raw %}`.
    Raw,
}

/// A `{#` comment at the start of `rest`: `{#` followed by whitespace or `-` (`{#sec-x}` is an
/// attribute block, `{##` a comment of its own kind). Returns its length, or `None` when it
/// is never closed.
fn comment_at(rest: &str) -> Option<Option<usize>> {
    let after = rest.strip_prefix("{#")?;
    let opens = after.starts_with(|c: char| c.is_whitespace() || c == '-');
    if !opens {
        return None;
    }
    Some(after.find("#}").map(|end| 2 + end + 2))
}

/// `{% raw %}` or `{%- raw -%}` at the start of `rest` (with `word` = "raw"), or its end tag.
fn tag_named(rest: &str, word: &str) -> Option<usize> {
    let inner = rest.strip_prefix("{%")?;
    let inner_trim = inner.strip_prefix('-').unwrap_or(inner).trim_start_matches([' ', '\t']);
    let after = inner_trim.strip_prefix(word)?;
    let after = after.trim_start_matches([' ', '\t']);
    let after = after.strip_prefix('-').unwrap_or(after);
    after.starts_with("%}").then(|| rest.len() - after.len() + 2)
}

/// Builds the template text of a body: regions for fenced blocks, line marks, comments gone.
fn template_text(notebook: &Notebook, marks: Marks, diagnostics: &mut Vec<Diagnostic>) -> TemplateText {
    let file = &notebook.source;
    let text = file.text.as_str();
    let fences = &notebook.body.fences;
    let mut out = TemplateText { text: String::with_capacity(text.len() + text.len() / 8), map: SourceMap::default() };
    let mut i = notebook.body.start;
    let mut run = i;
    let mut line = notebook.body.first_line;
    let mut at_line_start = true;
    let mut state = State::Text;
    let mut next_fence = 0;
    let bytes = text.as_bytes();
    while i < text.len() {
        if at_line_start && matches!(state, State::Text | State::Raw) {
            at_line_start = false;
            let rest = text[i..].trim_start_matches([' ', '\t']);
            let trims_before = ["{%-", "{{-", "{#-", "{##-"].iter().any(|t| rest.starts_with(t));
            out.copy(run, &text[run..i]);
            run = i;
            if !trims_before && !out.trims_after() {
                out.insert_mark(i, marks.line, line);
            }
        }
        if let Some(fence) = fences.get(next_fence).filter(|f| f.span.start == i) {
            out.copy(run, &text[run..i]);
            out.insert_mark(i, marks.region, next_fence);
            line += text[fence.span.clone()].matches('\n').count();
            i = fence.span.end.max(i + 1).min(text.len());
            run = i;
            next_fence += 1;
            continue;
        }
        let b = bytes[i];
        if state == State::Text && b != b'{' && b != b'\n' {
            // Plain text up to the next brace, line end or fenced block: copied as it is.
            let next_fence = fences.get(next_fence).map_or(text.len(), |f| f.span.start.max(i + 1));
            let stop = bytes[i..].iter().position(|&c| c == b'{' || c == b'\n').map_or(text.len(), |p| i + p);
            i = stop.min(next_fence).max(i + 1);
            continue;
        }
        if !b.is_ascii() {
            // Inside a character of more than one byte: nothing to read here.
            i += 1;
            continue;
        }
        let rest = &text[i..];
        match state {
            State::Text if b == b'{' => {
                if rest.starts_with("{{") {
                    state = State::Tag("}}");
                    i += 2;
                } else if rest.starts_with("{##") {
                    state = State::Comment;
                    i += 3;
                } else if let Some(end) = tag_named(rest, "raw") {
                    state = State::Raw;
                    i += end;
                } else if rest.starts_with("{%") {
                    state = State::Tag("%}");
                    i += 2;
                } else if let Some(comment) = comment_at(rest) {
                    let Some(len) = comment else {
                        diagnostics.push(
                            Diagnostic::error(Code::ProseUnclosedComment, "this `{#` comment is never closed")
                                .at(file, i..i + 2)
                                .with_hint("end it with `#}`; `{#` followed by a space or `-` opens a comment, `{#id}` is an attribute block"),
                        );
                        i += 2;
                        continue;
                    };
                    out.copy(run, &text[run..i]);
                    let left = if rest[2..].starts_with('-') { "-" } else { "" };
                    let right = if rest[..len - 2].ends_with('-') && len > 4 { "-" } else { "" };
                    out.insert(i, &format!("{{##{left} {right}##}}"));
                    line += rest[..len].matches('\n').count();
                    i += len;
                    run = i;
                } else {
                    i += 1;
                }
            }
            State::Tag(close) => match b {
                b'"' | b'\'' => {
                    // A string in a tag may hold the closing delimiter.
                    let mut j = i + 1;
                    while j < text.len() && bytes[j] != b {
                        j += if bytes[j] == b'\\' { 2 } else { 1 };
                    }
                    line += text[i..j.min(text.len())].matches('\n').count();
                    i = (j + 1).min(text.len());
                    continue;
                }
                _ if rest.starts_with(close) => {
                    state = State::Text;
                    i += close.len();
                }
                _ => i += 1,
            },
            State::Comment if rest.starts_with("##}") => {
                state = State::Text;
                i += 3;
            }
            State::Raw if let Some(end) = tag_named(rest, "endraw") => {
                i += end;
                state = State::Text;
            }
            _ => i += 1,
        }
        if bytes.get(i - 1) == Some(&b'\n') {
            line += 1;
            at_line_start = true;
        }
    }
    out.copy(run, &text[run..]);
    out
}

/// The prose as minijinja reads it (fenced code and comments out), for [`TemplateProse::uses`]: built
/// once for a notebook, however many names are sought in it.
pub struct TemplateProse<'a> {
    notebook: &'a Notebook,
    text: std::cell::OnceCell<Option<String>>,
}

impl<'a> TemplateProse<'a> {
    pub fn of(notebook: &'a Notebook) -> Self {
        TemplateProse { notebook, text: std::cell::OnceCell::new() }
    }

    /// Whether the prose's templates use the name `name`: a mention in fenced code, a comment
    /// or the text around the tags is not a use.
    pub fn uses(&self, name: &str) -> bool {
        let file = &self.notebook.source;
        let body = &file.text[self.notebook.body.start.min(file.text.len())..];
        if !body.contains(name) {
            return false;
        }
        let text = self.text.get_or_init(|| {
            let marks = free_marks(body)?;
            Some(template_text(self.notebook, marks, &mut Vec::new()).text)
        });
        text.as_deref().is_some_and(|text| crate::template::uses_name(text, name))
    }
}

/// Every call of the template function `name` in the prose, as minijinja's tokenizer reads
/// the text the engine will see (fenced code and comments out): the span of the call's name in
/// the file, and its first argument when that is a string literal.
pub fn template_calls(notebook: &Notebook, name: &str) -> Vec<(Range<usize>, Option<String>)> {
    let file = &notebook.source;
    let body = &file.text[notebook.body.start.min(file.text.len())..];
    // Without the name there is no call: nothing to read.
    if !body.contains(name) {
        return Vec::new();
    }
    let Some(marks) = free_marks(body) else { return Vec::new() };
    let source = template_text(notebook, marks, &mut Vec::new());
    crate::template::calls_of(&source.text, name)
        .into_iter()
        .map(|call| {
            let start = source.map.file_offset(call.span.start);
            (start..start + name.len(), call.first)
        })
        .collect()
}

/// The strings that make a whole `{{ }}` tag of the prose (`{{ "25%" }}`), as minijinja's
/// tokenizer reads the text the engine will see (fenced code and comments out), each with the
/// file offset of its opening quote (a tag is copied to the engine byte for byte).
pub fn quoted_texts(notebook: &Notebook) -> Vec<(crate::template::QuotedText, usize)> {
    let file = &notebook.source;
    let body = &file.text[notebook.body.start.min(file.text.len())..];
    if !body.contains("{{") {
        return Vec::new();
    }
    let Some(marks) = free_marks(body) else { return Vec::new() };
    let source = template_text(notebook, marks, &mut Vec::new());
    crate::template::quoted_texts(&source.text)
        .into_iter()
        .map(|q| {
            let at = source.map.file_offset(q.span.start);
            (q, at)
        })
        .collect()
}

/// Expands the prose of a notebook. Every error is collected and located in the file.
pub fn expand_body(
    notebook: &Notebook,
    templates: &ProseTemplates,
    scope: &Scope,
    names: &[&str],
) -> Result<Expanded, Vec<Diagnostic>> {
    let file = &notebook.source;
    let body = &file.text[notebook.body.start.min(file.text.len())..];
    let Some(marks) = free_marks(body) else {
        return Err(vec![
            Diagnostic::error(
                Code::ProseTooLarge,
                "the notebook uses every private-use character, which nbrender needs a few of while it expands prose",
            )
            .at(file, notebook.body.start..notebook.body.start),
        ]);
    };
    // Prose without a template in it is its own Markdown, line for line.
    if !body.contains("{{") && !body.contains("{%") && !body.contains("{#") {
        let lines = (0..body.split('\n').count()).map(|i| notebook.body.first_line + i).collect();
        return Ok(Expanded { markdown: body.to_string(), lines, values: Vec::new(), origins: Vec::new(), marks });
    }
    let mut diagnostics = Vec::new();
    let source = template_text(notebook, marks, &mut diagnostics);
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    let expanded = templates
        .expand_prose(&source.text, scope, marks)
        .map_err(|errors| errors.iter().map(|e| template_diagnostic(e, &source, file, names)).collect::<Vec<_>>())?;
    let (markdown, lines, seen) = put_back(&expanded.text, notebook, marks);
    let origins = expanded.origins.into_iter().map(|o| o.map(|o| value_source(o, &source, file))).collect();
    let values = expanded.values;
    for (fence, &times) in notebook.body.fences.iter().zip(&seen) {
        let Some(number) = fence.cell else { continue };
        if times != 1 {
            diagnostics.push(
                Diagnostic::error(
                    Code::ProseCellInBlock,
                    format!(
                        "cell {number} stands inside a `{{% for %}}` or `{{% if %}}` block, which would show it {times} times"
                    ),
                )
                .at(file, file.line_span(fence.line))
                .with_hint("a cell runs once, whatever prose templates do: move it out of the block"),
            );
        }
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    Ok(Expanded { markdown, lines, values, origins, marks })
}

/// A value's origin, from the text the engine saw to the file.
fn value_source(origin: Origin, source: &TemplateText, file: &SourceFile) -> ValueSource {
    let start = source.map.file_offset(origin.expression.start);
    let end = source.map.file_offset(origin.expression.end).max(start);
    let expression = file.text.get(start..end).unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" ");
    let line = file.line_col(source.map.file_offset(origin.tag.start)).0;
    ValueSource { expression, line, raw: origin.raw }
}

/// Takes the line marks out of the expanded text and puts each fenced block back as it was
/// written. Returns the Markdown, the file line of each of its lines, and how many times each
/// fenced block was put back.
fn put_back(text: &str, notebook: &Notebook, marks: Marks) -> (String, Vec<usize>, Vec<usize>) {
    let file_text = &notebook.source.text;
    let fences = &notebook.body.fences;
    let mut md = String::with_capacity(text.len());
    let mut lines = Vec::new();
    let mut seen = vec![0usize; fences.len()];
    let mut line = notebook.body.first_line;
    let mut this_line: Option<usize> = None;
    let mut rest = text;
    // Marks are private-use characters, led by byte 0xEE or 0xEF; a value mark stays where it is.
    let next_stop = |rest: &str| {
        let bytes = rest.as_bytes();
        let mut from = 0;
        while let Some(at) = bytes[from..].iter().position(|&b| b == b'\n' || b == 0xEE || b == 0xEF).map(|p| from + p)
        {
            if bytes[at] == b'\n' || rest[at..].starts_with([marks.line, marks.region]) {
                return Some(at);
            }
            from = at + 1;
        }
        None
    };
    while let Some(at) = next_stop(rest) {
        md.push_str(&rest[..at]);
        if at > 0 && this_line.is_none() {
            this_line = Some(line);
        }
        let c = rest[at..].chars().next().unwrap_or('\n');
        let after = &rest[at + c.len_utf8()..];
        if c == '\n' {
            md.push('\n');
            lines.push(this_line.unwrap_or(line));
            this_line = None;
            line += 1;
            rest = after;
            continue;
        }
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let n: Option<usize> = after[..digits].parse().ok();
        rest = match after[digits..].strip_prefix(c) {
            Some(r) => r,
            None => after,
        };
        match (c == marks.line, n) {
            (true, Some(n)) => {
                line = n;
                this_line.get_or_insert(n);
            }
            (false, Some(n)) if n < fences.len() => {
                let fence = &fences[n];
                seen[n] += 1;
                this_line.get_or_insert(line);
                let written = file_text.get(fence.span.clone()).unwrap_or("");
                for (k, piece) in written.split('\n').enumerate() {
                    if k > 0 {
                        md.push('\n');
                        lines.push(this_line.unwrap_or(line));
                        this_line = Some(fence.line + k);
                    }
                    md.push_str(piece);
                }
                line = this_line.unwrap_or(line);
            }
            _ => {}
        }
    }
    md.push_str(rest);
    lines.push(this_line.unwrap_or(line));
    (md, lines, seen)
}

fn template_diagnostic(e: &TemplateError, source: &TemplateText, file: &Arc<SourceFile>, names: &[&str]) -> Diagnostic {
    let span: Range<usize> = match (&e.range, e.line) {
        (Some(r), _) => {
            // Past the last newline (an error at the end of the text): the last line.
            let last = file.text.trim_end_matches('\n').len();
            let start = source.map.file_offset(r.start).min(last.saturating_sub(1));
            let end = source.map.file_offset(r.end).max(start + 1);
            start..end.min(file.text.len()).max(start)
        }
        (None, Some(line)) => {
            let at = source.text.split_inclusive('\n').take(line - 1).map(str::len).sum::<usize>();
            // Past the last newline (an error at the end of the text): the last line.
            let at = source.map.file_offset(at).min(file.text.trim_end_matches('\n').len());
            file.line_span(file.line_col(at).0)
        }
        (None, None) => {
            let at = source.map.file_offset(0);
            file.line_span(file.line_col(at).0)
        }
    };
    super::template_diagnostic_at(e, file, span, names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::Value;
    use std::path::Path;

    fn notebook(body: &str) -> Notebook {
        crate::notebook::parse(Path::new("nb.md"), "nb.md", format!("---\ntitle: T\n---\n{body}")).unwrap()
    }

    fn expanded(body: &str) -> Expanded {
        let nb = notebook(body);
        let scope = crate::template::scope_value(&Arc::new(indexmap::IndexMap::from([
            ("rows".to_string(), crate::exec::Value::Array(vec![Value::Int(1), Value::Int(2), Value::Int(3)])),
            ("v".to_string(), crate::exec::Value::Str("base_lo".into())),
        ])));
        expand_body(&nb, &ProseTemplates::new(), &scope, &[]).unwrap()
    }

    #[test]
    fn loops_make_every_line_and_each_knows_its_file_line() {
        let e = expanded("{% for r in rows %}\n- {{ r }}\n{% endfor %}\nafter\n");
        let m = e.marks.value;
        assert_eq!(e.markdown, format!("\n- {m}0{m}\n\n- {m}1{m}\n\n- {m}2{m}\n\nafter\n"));
        assert_eq!(e.lines, [4, 5, 6, 5, 6, 5, 6, 7, 8]);
    }

    #[test]
    fn fenced_blocks_are_put_back_as_written() {
        let e = expanded("> {{ v }}\n> ```\n> {{ v }}\n> ```\n- a\n\n  ```{rhai}\n  1\n  ```\n");
        let m = e.marks.value;
        assert_eq!(e.markdown, format!("> {m}0{m}\n> ```\n> {{{{ v }}}}\n> ```\n- a\n\n  ```{{rhai}}\n  1\n  ```\n"));
        assert_eq!(e.lines, [4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    }

    #[test]
    fn comments_are_dropped_and_attribute_blocks_kept() {
        let e = expanded("## A {#sec-a}\n\nx {# a note\nover lines #} y {## old ##}z\n");
        assert_eq!(e.markdown, "## A {#sec-a}\n\nx  y z\n");
    }

    #[test]
    fn errors_point_at_the_file() {
        let nb = notebook("```\n{{ shown }}\n```\n\nsee {{ nope }}\n");
        let scope = crate::template::scope_value(&Arc::new(indexmap::IndexMap::new()));
        let d = expand_body(&nb, &ProseTemplates::new(), &scope, &[]).unwrap_err();
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].position().map(|p| (p.1, p.2)), Some((8, 8)));
    }

    #[test]
    fn a_cell_in_a_loop_is_an_error() {
        let nb = notebook("{% for r in rows %}\n```{rhai}\n1\n```\n{% endfor %}\n");
        let scope = crate::template::scope_value(&Arc::new(indexmap::IndexMap::from([(
            "rows".to_string(),
            crate::exec::Value::Array(vec![Value::Int(1), Value::Int(2)]),
        )])));
        let d = expand_body(&nb, &ProseTemplates::new(), &scope, &[]).unwrap_err();
        assert_eq!(d[0].code, Code::ProseCellInBlock);
    }
}
