//! The `prose::typed-figure` lint: a money amount, a percentage or a range of them typed into
//! the words a reader sees, where a page should show what its cells computed.
//!
//! [`figures`] is the rule, over one piece of typed text: what is a figure and what is not is
//! decided here and nowhere else (docs/format.md §6.5 says it in words). The callers give it
//! the text a writer typed and the parts of it that are inserted values (`{{ }}`), which are
//! never figures: the Markdown stage gives the text of comrak's text nodes, the frontmatter the
//! text fields as written.
//!
//! The scan is one pass over the text: each byte is looked at a bounded number of times,
//! however the text is made.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use crate::diag::{Code, Diagnostic, SourceFile};
use crate::notebook::Notebook;

/// What a figure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Money,
    Percent,
}

/// A figure typed into text: its byte range, its kind, and whether it is a range of two
/// (`$120k–$180k`, `10 to 25 percent`), which one warning covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    pub span: Range<usize>,
    pub kind: Kind,
    pub range: bool,
}

/// The figures typed in `text`. `values` are the byte ranges of `text` that are not typed
/// there (inserted values, template tags), in any order: nothing in them is read, and a number
/// that touches one is part of what the value shows, so it is not a figure either.
pub fn figures(text: &str, values: &[Range<usize>]) -> Vec<Figure> {
    if values.is_empty() {
        return scan(text);
    }
    // Each byte of a value becomes NUL: the offsets stay, and NUL is neither a digit, a
    // letter, a sign nor a space, so the scan reads it as "something not typed".
    let mut masked = text.as_bytes().to_vec();
    for r in values {
        // Widened to whole characters, so that what is left is still text.
        let mut start = r.start.min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = r.end.clamp(start, text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        masked[start..end].fill(0);
    }
    match String::from_utf8(masked) {
        Ok(masked) => scan(&masked),
        Err(_) => scan(text),
    }
}

/// The ranges of the value marks in `text`: `{mark}N{mark}`, or a mark alone.
pub fn value_marks(text: &str, mark: char) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find(mark).map(|p| from + p) {
        let after = at + mark.len_utf8();
        let digits = text[after..].bytes().take_while(u8::is_ascii_digit).count();
        let end = match text[after + digits..].starts_with(mark) {
            true => after + digits + mark.len_utf8(),
            false => after,
        };
        out.push(at..end);
        from = end;
    }
    out
}

/// The ranges of the template tags in `text` (`{{ … }}`, `{% … %}`, `{# … #}`), each to its
/// closing delimiter or, left open, to the end of the text. A string in a tag may hold the
/// closing delimiter.
pub fn template_tags(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(at) = bytes[i..].iter().position(|&b| b == b'{').map(|p| i + p) {
        let close: &[u8] = match bytes.get(at + 1) {
            Some(b'{') => b"}}",
            Some(b'%') => b"%}",
            Some(b'#') if bytes.get(at + 2).is_none_or(|b| b" \t\r\n-#".contains(b)) => b"#}",
            _ => {
                i = at + 1;
                continue;
            }
        };
        let mut j = at + 2;
        let mut end = bytes.len();
        while j < bytes.len() {
            match bytes[j] {
                q @ (b'"' | b'\'') if close != b"#}" => {
                    j += 1;
                    while j < bytes.len() && bytes[j] != q {
                        j += if bytes[j] == b'\\' { 2 } else { 1 };
                    }
                    j += 1;
                }
                _ if bytes[j..].starts_with(close) => {
                    end = j + 2;
                    break;
                }
                _ => j += 1,
            }
        }
        out.push(at..end.min(bytes.len()));
        i = end.min(bytes.len());
    }
    out
}

/// A figure typed into the prose's text, where it is written in the notebook.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedFigure {
    pub text: String,
    pub kind: Kind,
    pub range: bool,
    /// The figure in the file, or its whole line when the line does not hold it as it reads
    /// (written with an escape or an entity).
    pub span: Range<usize>,
}

/// The figures of the texts the Markdown stage read (`runs`: each text a reader sees, with
/// value marks, and its line in the expanded Markdown), each at the place it is written in
/// `file` and listed once: a line a `{% for %}` repeats is one place. `file_line` gives the
/// file line of a Markdown line.
pub fn place(
    file: &SourceFile,
    runs: &[(usize, String)],
    file_line: impl Fn(usize) -> usize,
    mark: char,
) -> Vec<TypedFigure> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut finder = Finder::default();
    // Where the last figure found on each Markdown line ends, in its file line.
    let mut cursor: HashMap<usize, usize> = HashMap::new();
    for (line, run) in runs {
        for f in figures(run, &value_marks(run, mark)) {
            let text = &run[f.span];
            let written = file_line(*line);
            let from = cursor.get(line).copied().unwrap_or(0);
            let span = match finder.find(file, written, from, text) {
                Some(at) => {
                    if file.line_span(written).contains(&at) {
                        cursor.insert(*line, at + text.len() - file.line_start(written));
                    }
                    at..at + text.len()
                }
                None => file.line_span(written),
            };
            if seen.insert((span.clone(), text.to_string())) {
                out.push(TypedFigure { text: text.to_string(), kind: f.kind, range: f.range, span });
            }
        }
    }
    out
}

/// Finds a figure on its file line, outside the template tags there: from where the last one
/// on the same Markdown line ended, else from the line's start (a loop that repeats the figure
/// on one line), else on the lines around it (a loop's later rounds start with the mark of the
/// line after its body). Searches are remembered, so a loop that repeats a line costs one search.
#[derive(Default)]
struct Finder {
    tags: HashMap<usize, Vec<Range<usize>>>,
    found: HashMap<(usize, usize, String), Option<usize>>,
}

/// How many lines around its own a figure is sought on.
const NEARBY_LINES: usize = 8;

impl Finder {
    /// The file offset of `needle` on `line` (searched from byte `from` of it), or on a line
    /// near it.
    fn find(&mut self, file: &SourceFile, line: usize, from: usize, needle: &str) -> Option<usize> {
        // A line past the file's end is empty: nothing is found there.
        let nearby =
            (1..=NEARBY_LINES).flat_map(|d| [line.checked_sub(d).filter(|&l| l > 0), Some(line + d)]).flatten();
        self.search(file, line, from, needle)
            .or_else(|| self.search(file, line, 0, needle))
            .or_else(|| nearby.into_iter().find_map(|l| self.search(file, l, 0, needle)))
    }

    /// The file offset of `needle` on `line`, from byte `from` of it, outside template tags.
    fn search(&mut self, file: &SourceFile, line: usize, from: usize, needle: &str) -> Option<usize> {
        let key = (line, from, needle.to_string());
        if let Some(found) = self.found.get(&key) {
            return *found;
        }
        let start = file.line_start(line);
        let text = file.text.get(file.line_span(line)).unwrap_or("");
        let tags = self.tags.entry(line).or_insert_with(|| template_tags(text));
        let outside = |at: &usize| {
            let i = tags.partition_point(|t| t.end <= *at);
            tags.get(i).is_none_or(|t| t.start > *at)
        };
        let found = text.get(from..).and_then(|rest| rest.match_indices(needle).map(|(at, _)| from + at).find(outside));
        let found = found.map(|at| start + at);
        self.found.insert(key, found);
        found
    }
}

/// The `prose::typed-figure` warnings of a notebook's body: the figures its Markdown stage
/// found typed in the text (`typed`), and those typed in quotes as a whole `{{ "…" }}` tag.
pub fn prose_warnings(notebook: &Notebook, typed: &[TypedFigure]) -> Vec<Diagnostic> {
    let file = &notebook.source;
    let mut out: Vec<Diagnostic> = typed
        .iter()
        .map(|t| {
            warning(file, t.span.clone(), &t.text, t.kind, t.range, "the prose", &format!("\"{}\"", shown(&t.text)))
        })
        .collect();
    for (quoted, at) in crate::prose::expand::quoted_texts(notebook) {
        let token = shown(file.text.get(at..at + quoted.span.len()).unwrap_or("\"…\""));
        for f in figures(&quoted.text, &[]) {
            let span = match quoted.exact {
                true => at + 1 + f.span.start..at + 1 + f.span.end,
                false => at..at + quoted.span.len(),
            };
            out.push(warning(file, span, &quoted.text[f.span], f.kind, f.range, "the prose, in quotes", &token));
        }
    }
    out.sort_by_key(|d| d.location.as_ref().map(|l| l.span.start));
    capped(out)
}

/// The most `prose::typed-figure` warnings a notebook's prose, and its frontmatter texts, are
/// given: each warning shows its line, so thousands of figures typed on a long line would print
/// that line thousands of times.
pub const MAX_WARNINGS: usize = 100;

/// The first [`MAX_WARNINGS`] of `warnings`, the last saying how many more were found.
pub fn capped(mut warnings: Vec<Diagnostic>) -> Vec<Diagnostic> {
    if warnings.len() <= MAX_WARNINGS {
        return warnings;
    }
    let more = warnings.len() - MAX_WARNINGS;
    warnings.truncate(MAX_WARNINGS);
    if let Some(last) = warnings.last_mut() {
        last.message.push_str(&format!(
            " (and {} more {} typed into this notebook, not shown)",
            crate::format::num(more as f64),
            crate::format::plural(more, "figure", "figures")
        ));
    }
    warnings
}

/// The warning about a figure typed into `place` at `span` of `file`; `literal` is the string
/// to show in `{{ … | literal }}`, quotes included (cut with [`shown`] when long).
pub fn warning(
    file: &Arc<SourceFile>,
    span: Range<usize>,
    text: &str,
    kind: Kind,
    range: bool,
    place: &str,
    literal: &str,
) -> Diagnostic {
    Diagnostic::warning(
        Code::ProseTypedFigure,
        format!("`{}` is a {} typed into {place}", shown(text), noun(kind, range)),
    )
    .at(file, span)
    .with_label("typed, not computed")
    .with_hint(hint(kind, range, literal))
}

/// A figure as a message quotes it: a long one is cut.
pub fn shown(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// How the figure of `kind` is computed and inserted instead, and how a deliberate literal is
/// written: `literal` is the string, in the quotes the place takes (`"` in prose, `'` in a
/// frontmatter value, which YAML may have quoted with `"`).
pub fn hint(kind: Kind, range: bool, literal: &str) -> String {
    let insert = match (kind, range) {
        (Kind::Money, false) => "a number in a cell and insert it with `{{ name | money }}` or `{{ name | money_k }}`",
        (Kind::Money, true) => {
            "a band in a cell (`band(lo, hi)`) and insert it with `{{ name | money_band }}` or `{{ name | money_k_band }}`"
        }
        (Kind::Percent, false) => "the fraction in a cell and insert it with `{{ name | pct }}` (0.1 reads 10 percent)",
        (Kind::Percent, true) => {
            "a band of fractions in a cell (`band(lo, hi)`) and insert it with `{{ name | pct_band }}`"
        }
    };
    format!("compute {insert}; if it is a deliberate literal (a quoted figure), write `{{{{ {literal} | literal }}}}`")
}

/// What a figure is called in a message.
pub fn noun(kind: Kind, range: bool) -> &'static str {
    match (kind, range) {
        (Kind::Money, false) => "money amount",
        (Kind::Money, true) => "range of money amounts",
        (Kind::Percent, false) => "percentage",
        (Kind::Percent, true) => "range of percentages",
    }
}

/// A number as it stands in the text, with what marks it as money or a percentage.
#[derive(Debug, Clone, Copy)]
struct Amount {
    /// From the currency symbol or code, if any, else from the number.
    start: usize,
    /// Past the unit, if any, else past the number (and its magnitude).
    end: usize,
    kind: Option<Kind>,
    /// A lone four-digit number from 1900 to 2099, with no unit: a year.
    year: bool,
    /// Written in words (`ten`, `twenty-five`).
    words: bool,
}

const SYMBOLS: &[char] = &['$', '€', '£', '¥'];
const CODES: &[&str] = &["USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "NZD", "CNY", "INR", "SEK", "NOK", "DKK"];
const MONEY_WORDS: &[&str] = &["dollars", "dollar", "euros", "euro", "pounds", "pound", "yen"];
const MAGNITUDE_WORDS: &[&str] = &["thousand", "million", "billion", "trillion"];
const PERCENT_WORDS: &[&str] = &["percentage points", "percentage point", "per cent", "percent"];
const NUMBER_WORDS: &[&str] = &[
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
    "hundred",
];

fn scan(t: &str) -> Vec<Figure> {
    let b = t.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let starts_word = !prev_char(t, i).is_some_and(joins_word);
        let amount = match c {
            b'0'..=b'9' if starts_word => number_at(t, i),
            b'a'..=b'z' | b'A'..=b'Z' if starts_word => {
                let word_end = i + t[i..].bytes().take_while(u8::is_ascii_alphanumeric).count();
                match words_at(t, i) {
                    Some(a) => Some(a),
                    None => {
                        i = word_end;
                        continue;
                    }
                }
            }
            _ => None,
        };
        let Some(a) = amount else {
            i += 1;
            // Past the rest of a number or a word that cannot start here; a sign or a space
            // is passed alone, since what follows it may start a number.
            let word = c.is_ascii_alphanumeric();
            while i < b.len() && (word && b[i].is_ascii_alphanumeric() || !t.is_char_boundary(i)) {
                i += 1;
            }
            continue;
        };
        let (end, kind, range) = match range_after(t, &a) {
            Some(second) => (second.end, a.kind.or(second.kind), true),
            None => (a.end, a.kind, false),
        };
        if let Some(kind) = kind {
            out.push(Figure { span: a.start..end, kind, range });
        }
        // A range is one figure; a number that is not one lets the next be read on its own.
        i = if range || kind.is_some() { end } else { a.end.max(i + 1) };
    }
    out
}

/// A character that makes the digits or letters after it part of one word: `L5`, `IC4`,
/// `v1.2`, `x_2`, a value's text (NUL, see [`figures`]).
fn joins_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.' || c == '\0'
}

fn prev_char(t: &str, i: usize) -> Option<char> {
    t[..i].chars().next_back()
}

/// The amount whose digits start at `d`, with the currency symbol or code before it.
fn number_at(t: &str, d: usize) -> Option<Amount> {
    let b = t.as_bytes();
    let mut end = d + digits(b, d);
    let mut year = end - d == 4;
    // Thousands groups: `,` and exactly three digits.
    while b.get(end) == Some(&b',') && digits(b, end + 1) == 3 {
        end += 4;
        year = false;
    }
    if b.get(end) == Some(&b'.') && digits(b, end + 1) > 0 {
        end += 1 + digits(b, end + 1);
        year = false;
    }
    year = year && t[d..end].parse::<u32>().is_ok_and(|y| (1900..=2099).contains(&y));
    let number_end = end;
    // A magnitude written on: `150k`, `1.2M`, `2bn`.
    let mut magnitude = false;
    for m in ["bn", "mn", "k", "K", "m", "M", "b", "B"] {
        if t[end..].starts_with(m) && !next_joins(t, end + m.len()) {
            end += m.len();
            magnitude = true;
            year = false;
            break;
        }
    }
    // Digits that run on into a word (`5th`, `100ms`, `3D`) or into a value are not an amount.
    if next_joins(t, end) && !percent_sign_at(t, end) && !t[end..].starts_with("pp") {
        return None;
    }
    let symbol = prev_char(t, d).filter(|c| SYMBOLS.contains(c)).map(|c| d - c.len_utf8());
    let code = CODES.iter().find_map(|code| {
        let before = t[..d].strip_suffix(' ')?.strip_suffix(code)?;
        (!before.chars().next_back().is_some_and(char::is_alphanumeric)).then_some(before.len())
    });
    let prefix = symbol.or(code);
    let mut kind = prefix.map(|_| Kind::Money);
    let mut amount_end = end;
    // `$1.2 million`; `1.2 million dollars`.
    let with_word = space_then(t, end, MAGNITUDE_WORDS, false);
    if let Some(w) = with_word {
        if prefix.is_some() {
            amount_end = w;
        }
        if let Some(u) = money_unit(t, w) {
            (amount_end, kind) = (u, Some(Kind::Money));
        }
    } else if let Some(u) = money_unit(t, end) {
        (amount_end, kind) = (u, Some(Kind::Money));
    } else if !magnitude && let Some(u) = percent_unit(t, number_end, true) {
        (amount_end, kind) = (u, Some(Kind::Percent));
    }
    if kind.is_none() && next_joins(t, end) {
        return None;
    }
    year = year && kind.is_none();
    Some(Amount { start: prefix.unwrap_or(d), end: amount_end, kind, year, words: false })
}

/// A number written in words at `i` (`ten`, `twenty-five`, `one hundred`): an amount only
/// before a percent word, or as the first end of `ten to twenty percent`.
fn words_at(t: &str, i: usize) -> Option<Amount> {
    let mut end = number_word(t, i)?;
    // More number words, joined by a hyphen or a space.
    while let Some(next) =
        [" ", "-"].iter().find_map(|sep| number_word(t, end + sep.len()).filter(|_| t[end..].starts_with(sep)))
    {
        end = next;
    }
    let kind = percent_unit(t, end, false).map(|u| (u, Kind::Percent));
    let (end, kind) = match kind {
        Some((u, k)) => (u, Some(k)),
        None => (end, None),
    };
    Some(Amount { start: i, end, kind, year: false, words: true })
}

/// The end of a number word at `i`, read whole and in any case.
fn number_word(t: &str, i: usize) -> Option<usize> {
    let len = t.get(i..)?.bytes().take_while(u8::is_ascii_alphabetic).count();
    let word = &t[i..i + len];
    (len > 0 && !next_joins(t, i + len) && NUMBER_WORDS.iter().any(|w| w.eq_ignore_ascii_case(word))).then_some(i + len)
}

/// The second end of a range that starts with `a`: after `-`, `–`, `—` or `−` (with a space
/// either side or none) or ` to `, an amount that makes the two one figure.
fn range_after(t: &str, a: &Amount) -> Option<Amount> {
    if a.year {
        return None;
    }
    let (at, tight) = separator(t, a.end)?;
    let b = match t.as_bytes().get(at)? {
        c if c.is_ascii_digit() => number_at(t, at)?,
        _ if a.words => words_at(t, at)?,
        _ => {
            // A second end with its own currency: `$120k–$180k`, `USD 120k to USD 180k`.
            let c = t[at..].chars().next()?;
            let skip = if SYMBOLS.contains(&c) {
                c.len_utf8()
            } else {
                CODES.iter().find(|code| t[at..].starts_with(*code) && t[at + 3..].starts_with(' '))?.len() + 1
            };
            let b = number_at(t, at + skip)?;
            Amount { start: at, ..b }
        }
    };
    let joins = match (a.kind, b.kind) {
        _ if b.year || a.words != b.words => false,
        (None, None) => false,
        (Some(x), Some(y)) => x == y,
        // `120–180k USD`, `10 to 25 percent`.
        (None, Some(_)) => true,
        // `$120k–180k`: the second end written without its unit, close up.
        (Some(_), None) => tight,
    };
    joins.then_some(b)
}

/// The separator of a range at `i`: where the second end starts, and whether it is written
/// close up (`10–20`, not `10 – 20` or `10 to 20`).
fn separator(t: &str, i: usize) -> Option<(usize, bool)> {
    let rest = &t[i..];
    if let Some(r) = rest.strip_prefix(" to ") {
        return Some((t.len() - r.len(), false));
    }
    let (spaced, r) = match space_len(rest) {
        0 => (false, rest),
        n => (true, &rest[n..]),
    };
    let dash = r.chars().next().filter(|c| matches!(c, '-' | '–' | '—' | '−'))?;
    let r = &r[dash.len_utf8()..];
    let after = space_len(r);
    if spaced && after == 0 {
        // `10 -20`: a sign, not a range.
        return None;
    }
    Some((t.len() - r.len() + after, !spaced && after == 0))
}

/// The bytes of one space at the start of `s`: a space, a no-break space or a thin space.
fn space_len(s: &str) -> usize {
    match s.chars().next() {
        Some(c @ (' ' | '\u{a0}' | '\u{2009}' | '\u{202f}')) => c.len_utf8(),
        _ => 0,
    }
}

/// After one space at `i`, one of `words` (in any case) ending a word: where it ends.
fn space_then(t: &str, i: usize, words: &[&str], cased: bool) -> Option<usize> {
    let s = space_len(&t[i..]);
    if s == 0 {
        return None;
    }
    let at = i + s;
    words.iter().find_map(|w| {
        let got = t.get(at..at + w.len())?;
        let same = if cased { got == *w } else { got.eq_ignore_ascii_case(w) };
        (same && !next_joins(t, at + w.len())).then_some(at + w.len())
    })
}

/// A currency code or word after the number ending at `i`: where it ends.
fn money_unit(t: &str, i: usize) -> Option<usize> {
    space_then(t, i, CODES, true).or_else(|| space_then(t, i, MONEY_WORDS, false))
}

/// A percent unit after the number ending at `i`: `%`, `pp` (both also after a space), or a
/// percent word; only words after a number in words.
fn percent_unit(t: &str, i: usize, signs: bool) -> Option<usize> {
    if signs {
        let at = i + space_len(&t[i..]);
        if percent_sign_at(t, at) {
            return Some(at + 1);
        }
        if t[at..].starts_with("pp") && !next_joins(t, at + 2) {
            return Some(at + 2);
        }
    }
    space_then(t, i, PERCENT_WORDS, false)
}

fn percent_sign_at(t: &str, i: usize) -> bool {
    t.as_bytes().get(i) == Some(&b'%')
}

/// Whether the character at `i` continues a word (or is a value), so that what ends at `i`
/// does not end a word.
fn next_joins(t: &str, i: usize) -> bool {
    t.get(i..).and_then(|s| s.chars().next()).is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '\0')
}

fn digits(b: &[u8], from: usize) -> usize {
    b.get(from..).map_or(0, |s| s.iter().take_while(|c| c.is_ascii_digit()).count())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The figures of `text`, as the text of each.
    fn found(text: &str) -> Vec<&str> {
        figures(text, &[]).into_iter().map(|f| &text[f.span]).collect()
    }

    #[test]
    fn money_is_a_currency_symbol_or_code_with_a_number() {
        assert_eq!(found("Base pay is $150,000 at L5."), ["$150,000"]);
        assert_eq!(found("about $150k, or $1.2M with equity, €90k in Berlin"), ["$150k", "$1.2M", "€90k"]);
        assert_eq!(found("£40,000 and ¥5,000,000"), ["£40,000", "¥5,000,000"]);
        assert_eq!(found("150,000 USD, 90k EUR and 40,000 dollars"), ["150,000 USD", "90k EUR", "40,000 dollars"]);
        assert_eq!(found("5 euros, 3 Pounds"), ["5 euros", "3 Pounds"]);
        assert_eq!(found("USD 150,000 a year"), ["USD 150,000"]);
        assert_eq!(found("$1.2 million, or 2 billion dollars"), ["$1.2 million", "2 billion dollars"]);
    }

    #[test]
    fn a_currency_symbol_apart_from_its_number_is_not_money() {
        assert!(found("costs in $ 150 steps").is_empty());
        assert!(found("the $ sign and 150 people").is_empty());
    }

    #[test]
    fn percentages_have_a_sign_or_a_word() {
        assert_eq!(found("a 12% premium"), ["12%"]);
        assert_eq!(found("a 12 % premium, 12.5 percent more"), ["12 %", "12.5 percent"]);
        assert_eq!(found("10 per cent, up 3 percentage points, or 3pp"), ["10 per cent", "3 percentage points", "3pp"]);
        assert_eq!(found("A 10 Percent Premium"), ["10 Percent"]);
    }

    #[test]
    fn a_range_is_one_figure() {
        fn one(text: &str) -> (&str, Kind) {
            let f = figures(text, &[]);
            assert_eq!(f.len(), 1, "{text}: {f:?}");
            assert!(f[0].range, "{text}");
            (&text[f[0].span.clone()], f[0].kind)
        }
        assert_eq!(one("pays $120k–$180k"), ("$120k–$180k", Kind::Money));
        assert_eq!(one("pays $120k to $180k."), ("$120k to $180k", Kind::Money));
        assert_eq!(one("pays $120k-180k"), ("$120k-180k", Kind::Money));
        assert_eq!(one("120–180k USD"), ("120–180k USD", Kind::Money));
        assert_eq!(one("10–25% more"), ("10–25%", Kind::Percent));
        assert_eq!(one("10 to 25 percent more"), ("10 to 25 percent", Kind::Percent));
        assert_eq!(one("10% – 25%"), ("10% – 25%", Kind::Percent));
        assert_eq!(one("ten to twenty percent"), ("ten to twenty percent", Kind::Percent));
    }

    #[test]
    fn years_levels_sections_and_plain_counts_are_not_figures() {
        for text in [
            "In 2025 and 2025–2026, pay rose.",
            "L5, IC4, E6 and P3 engineers; H100 GPUs",
            "see section 2, step 3.1 and version 1.2.3",
            "7 tools, 3–5 years, 40 hours a week, 10 to 12 people",
            "the 5th tier, 100ms, a 3D model, 4x more",
            "COVID-19, 401(k) plans",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
    }

    #[test]
    fn a_year_does_not_join_a_range() {
        assert_eq!(found("in 2025 - 10% of teams"), ["10%"]);
        assert_eq!(found("2019–2025: 5% a year"), ["5%"]);
    }

    #[test]
    fn counts_in_words_are_not_figures_but_a_percentage_in_words_is() {
        assert!(found("three tiers, ten tools, one of twenty teams").is_empty());
        assert_eq!(found("Ten percent more, twenty-five per cent less"), ["Ten percent", "twenty-five per cent"]);
        assert_eq!(found("one hundred percent"), ["one hundred percent"]);
        assert!(found("someone percent").is_empty(), "a word that ends in a number word is not one");
    }

    #[test]
    fn values_are_not_typed_and_a_number_touching_one_is_part_of_it() {
        const M: char = '\u{E100}';
        let text = format!("{M}0{M}% and {M}12{M} percent, ${M}1{M}, {M}2{M}5% but {M}3{M} to 25% and 10% {M}4{M}");
        let marks = value_marks(&text, M);
        assert_eq!(marks.len(), 6);
        let got: Vec<&str> = figures(&text, &marks).into_iter().map(|f| &text[f.span]).collect();
        assert_eq!(got, ["25%", "10%"]);
        // A figure split by a value is not typed whole: neither part is a figure.
        let split = format!("$150{M}0{M}00 and 1{M}1{M}0%");
        assert!(figures(&split, &value_marks(&split, M)).is_empty());
    }

    #[test]
    fn template_tags_are_found_whole() {
        let t = "a {{ x | pct }} b {% if y %}{{ \"}}\" }}{% endif %} {#sec-a} {# note #} {{ open";
        let tags: Vec<&str> = template_tags(t).into_iter().map(|r| &t[r]).collect();
        assert_eq!(tags, ["{{ x | pct }}", "{% if y %}", "{{ \"}}\" }}", "{% endif %}", "{# note #}", "{{ open"]);
        let text = "L5 pay {{ lo | money_k }}–$180k, {{ \"25%\" }}";
        let got: Vec<&str> = figures(text, &template_tags(text)).into_iter().map(|f| &text[f.span]).collect();
        assert_eq!(got, ["$180k"]);
    }

    #[test]
    fn hostile_text_is_read_in_linear_time() {
        // A hang guard, not a timing: each input is a few hundred thousand characters, which a
        // quadratic reading would take hours over; read once, they take well under a second
        // in a release build and a few seconds in a debug one.
        let started = std::time::Instant::now();
        let digits = "9".repeat(500_000) + "%";
        assert_eq!(figures(&digits, &[]).len(), 1);
        let mixed = "1,000.5% to $2–".repeat(50_000);
        assert!(!figures(&mixed, &[]).is_empty());
        let words = "twenty-".repeat(75_000) + "one percent";
        assert_eq!(figures(&words, &[]).len(), 1);
        let dashes = "1-".repeat(250_000);
        assert!(figures(&dashes, &[]).is_empty());
        let marks = "\u{E100}".repeat(125_000);
        assert!(figures(&marks, &value_marks(&marks, '\u{E100}')).is_empty());
        let tags = "{{".repeat(125_000) + "{% \"".repeat(50_000).as_str();
        let _ = template_tags(&tags);
        assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
    }

    #[test]
    fn figures_are_placed_where_they_are_written_once() {
        const M: char = '\u{E100}';
        let file = SourceFile::new(
            "nb.md",
            "{{ \"5%\" | literal }} and 5%, **5%**\n{% for i in x %}- {{ i }}: 3%\n{% endfor %}\n",
        );
        // As the Markdown stage reads them: two texts on line 1 (the bold one apart), and the
        // loop's two rounds, the second with the mark of the line after the body.
        let runs = [
            (1, format!("{M}0{M} and 5%, ")),
            (1, "5%".to_string()),
            (2, format!("- {M}1{M}: 3%")),
            (3, format!("- {M}2{M}: 3%")),
        ];
        let placed = place(&file, &runs, |l| l, M);
        let at: Vec<(usize, usize)> = placed.iter().map(|t| file.line_col(t.span.start)).collect();
        assert_eq!(at, [(1, 26), (1, 32), (2, 28)]);
    }

    #[test]
    fn hints_name_the_filter_and_the_literal() {
        let h = hint(Kind::Money, false, "\"$150,000\"");
        assert!(h.contains("`{{ name | money }}`") && h.ends_with("`{{ \"$150,000\" | literal }}`"), "{h}");
        assert!(hint(Kind::Percent, true, "'10–25%'").contains("pct_band"));
        assert_eq!(shown(&"9".repeat(100)), format!("{}…", "9".repeat(60)));
    }
}
