//! Where each value a template shows comes from: the `{{ }}` tag that wrote it and the value
//! before a filter formatted it, for the figure manifest.
//!
//! minijinja tells a formatter nothing about the tag it formats, so the tags are numbered in
//! the text before it is compiled: `{{ x | money }}` becomes `{{ __nbrender_tag(3, x | money) }}`.
//! The function notes tag 3 and returns its value unchanged, so everything else (loops,
//! macros, errors) works as written; the formatter then takes the note with the value it
//! writes. Positions of errors are taken back through [`Instrumented::original`].

use std::cell::RefCell;
use std::ops::Range;

use minijinja::Error;
use minijinja::value::Value as JValue;

/// The name of the function each tag is wrapped in. A notebook value of this name turns
/// tracing off for its templates rather than be shadowed.
pub(super) const TAG_FN: &str = "__nbrender_tag";

/// A value as it was before it was formatted for a reader.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    Number(f64),
    Band(f64, f64),
    Text(String),
    Bool(bool),
}

/// Where one shown value came from: its tag (the whole `{{ … }}`) and the expression in it,
/// as byte ranges of the template's text, and the values it formatted (one for `{{ x | money }}`,
/// two for `{{ a | money }} to …` written in one tag, none when that is unknown).
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    pub tag: Range<usize>,
    pub expression: Range<usize>,
    pub raw: Vec<Raw>,
}

/// A value a text template showed, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    pub origin: Origin,
    pub text: String,
}

/// A template's text with its tags numbered, and how to take positions back.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Instrumented {
    pub text: String,
    /// Each numbered tag: (its whole range, its expression's range), in the original text.
    pub tags: Vec<(Range<usize>, Range<usize>)>,
    /// (offset in `text`, bytes inserted there), in order.
    inserts: Vec<(usize, usize)>,
}

impl Instrumented {
    /// Numbers every `{{ }}` tag minijinja's tokenizer reads in `source` (up to the first
    /// place it cannot read: expanding reports that place). Empty tags are left alone.
    pub fn new(source: &str, syntax: minijinja::syntax::SyntaxConfig) -> Self {
        use minijinja::machinery::{Token, tokenize};
        let mut tags = Vec::new();
        let mut open: Option<(usize, Option<usize>, usize)> = None;
        for (token, span) in tokenize(source, false, syntax).map_while(Result::ok) {
            let (start, end) = (span.start_offset as usize, span.end_offset as usize);
            match token {
                Token::VariableStart => open = Some((start, None, end)),
                Token::VariableEnd => {
                    if let Some((tag_start, Some(first), last)) = open.take() {
                        tags.push((tag_start..end, first..last));
                    }
                }
                _ => {
                    if let Some((_, first, last)) = &mut open {
                        first.get_or_insert(start);
                        *last = end;
                    }
                }
            }
        }
        let mut text = String::with_capacity(source.len() + tags.len() * 24);
        let mut inserts = Vec::with_capacity(tags.len() * 2);
        let mut copied = 0;
        for (n, (_, expr)) in tags.iter().enumerate() {
            text.push_str(&source[copied..expr.start]);
            let before = text.len();
            text.push_str(TAG_FN);
            text.push('(');
            text.push_str(&n.to_string());
            text.push_str(", ");
            inserts.push((before, text.len() - before));
            text.push_str(&source[expr.clone()]);
            inserts.push((text.len(), 1));
            text.push(')');
            copied = expr.end;
        }
        text.push_str(&source[copied..]);
        Instrumented { text, tags, inserts }
    }

    /// The offset in the original text of offset `at` of the numbered one; inside a wrapper,
    /// where the wrapper was put.
    pub fn original(&self, at: usize) -> usize {
        let mut shift = 0;
        for &(p, len) in &self.inserts {
            if at >= p + len {
                shift += len;
            } else if at > p {
                return p - shift;
            } else {
                break;
            }
        }
        at - shift
    }
}

/// What the formatter and the filters note while a traced template runs on this thread.
#[derive(Default)]
struct Trace {
    /// The tag whose value comes next, and that value's raw form.
    current: Option<(usize, Vec<Raw>)>,
    /// Each filter's input and output since the last tag's value was noted.
    filtered: Vec<(Raw, String)>,
    /// The values shown, in the order they were written.
    shown: Vec<(usize, Vec<Raw>, String)>,
}

thread_local! {
    static TRACE: RefCell<Option<Trace>> = const { RefCell::new(None) };
}

/// Runs `f` with tracing on; returns what it gives and the values shown, by tag number.
pub(super) fn traced<R>(f: impl FnOnce() -> R) -> (R, Vec<(usize, Vec<Raw>, String)>) {
    TRACE.with(|t| *t.borrow_mut() = Some(Trace::default()));
    let result = f();
    let shown = TRACE.with(|t| t.borrow_mut().take().map(|t| t.shown).unwrap_or_default());
    (result, shown)
}

/// A filter formatted `raw` as `text`.
pub(super) fn filtered(raw: Raw, text: &str) {
    TRACE.with(|t| {
        if let Some(trace) = t.borrow_mut().as_mut() {
            trace.filtered.push((raw, text.to_string()));
        }
    });
}

/// The value shown next comes from tag `n` (called by the tag's wrapper).
pub(super) fn tag(n: usize, value: JValue) -> Result<JValue, Error> {
    TRACE.with(|t| {
        if let Some(trace) = t.borrow_mut().as_mut() {
            let filtered = std::mem::take(&mut trace.filtered);
            let raw = match raw_of(&value) {
                Some(Raw::Text(text)) if !filtered.is_empty() => {
                    filtered.into_iter().filter(|(_, out)| text.contains(out.as_str())).map(|(raw, _)| raw).collect()
                }
                Some(raw) => vec![raw],
                None => Vec::new(),
            };
            trace.current = Some((n, raw));
        }
    });
    Ok(value)
}

/// The tag of the value being written, taken once: a value written without one (a macro's
/// own output) has none.
pub(super) fn take_current() -> Option<(usize, Vec<Raw>)> {
    TRACE.with(|t| t.borrow_mut().as_mut().and_then(|trace| trace.current.take()))
}

/// A text template wrote `text` for the current tag.
pub(super) fn shown(text: &str) {
    TRACE.with(|t| {
        if let Some(trace) = t.borrow_mut().as_mut()
            && let Some((n, raw)) = trace.current.take()
        {
            trace.shown.push((n, raw, text.to_string()));
        }
    });
}

/// A template value as a raw value, when it is one a page can show.
pub(super) fn raw_of(value: &JValue) -> Option<Raw> {
    if let Some(band) = value.downcast_object_ref::<super::BandObject>() {
        return Some(Raw::Band(band.0.lo, band.0.hi));
    }
    if value.is_number() {
        return f64::try_from(value.clone()).ok().map(Raw::Number);
    }
    if let Some(s) = value.as_str() {
        return Some(Raw::Text(s.to_string()));
    }
    if value.kind() == minijinja::value::ValueKind::Bool {
        return Some(Raw::Bool(value.is_true()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax() -> minijinja::syntax::SyntaxConfig {
        super::super::prose_syntax()
    }

    #[test]
    fn tags_are_wrapped_and_positions_taken_back() {
        let source = "a {{ x | money }} b {{- y -}} {% if z %}{{ }}{% endif %}";
        let i = Instrumented::new(source, syntax());
        assert_eq!(
            i.text,
            "a {{ __nbrender_tag(0, x | money) }} b {{- __nbrender_tag(1, y) -}} {% if z %}{{ }}{% endif %}"
        );
        assert_eq!(&source[i.tags[0].1.clone()], "x | money");
        assert_eq!(&source[i.tags[1].0.clone()], "{{- y -}}");
        let at = i.text.find("money").unwrap();
        assert_eq!(i.original(at), source.find("money").unwrap());
        // Inside a wrapper: where it was put.
        assert_eq!(i.original(i.text.find("__nb").unwrap() + 3), source.find('x').unwrap());
        assert_eq!(i.original(i.text.find("endif").unwrap()), source.find("endif").unwrap());
    }
}
