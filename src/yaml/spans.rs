//! Where each key and value of a YAML text stands, from a parse: saphyr-parser lives here and
//! nowhere else. serde_yaml builds the values and keeps no positions; this second, event-only
//! parse of the same (small, already bounded by [`super::scan`]) text records them, so that an
//! error about a value points at the value as written.

use std::ops::Range;

use saphyr_parser::{Event, Parser, Span, SpannedEventReceiver};

/// One step of a path into a YAML document: a map's key or a list's item (from 0).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Item(usize),
}

/// Where one node stands: the byte span of its key (for a map's value) and of itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placed {
    pub key: Option<Range<usize>>,
    /// A scalar as written (quotes included); a collection from its first to its last
    /// character.
    pub value: Range<usize>,
}

/// The places of every node of a document, by path, in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spans {
    nodes: Vec<(Vec<Seg>, Placed)>,
}

impl Spans {
    /// The node at `path`.
    pub fn get(&self, path: &[Seg]) -> Option<&Placed> {
        self.nodes.iter().find(|(p, _)| p == path).map(|(_, placed)| placed)
    }

    /// The node at the path of keys `keys` (`["data", "rows"]`).
    pub fn at(&self, keys: &[&str]) -> Option<&Placed> {
        self.nodes
            .iter()
            .find(|(p, _)| {
                p.len() == keys.len() && p.iter().zip(keys).all(|(s, k)| matches!(s, Seg::Key(name) if name == k))
            })
            .map(|(_, placed)| placed)
    }

    /// The keys of the map at `path`, each with its span, in order.
    pub fn keys_of<'s>(&'s self, path: &'s [Seg]) -> impl Iterator<Item = (&'s str, Range<usize>)> + 's {
        self.nodes.iter().filter_map(move |(p, placed)| match p.split_last() {
            Some((Seg::Key(name), parent)) if parent == path => Some((name.as_str(), placed.key.clone()?)),
            _ => None,
        })
    }

    /// Every key named `name`, anywhere: its path and the key's span, in document order.
    pub fn keys_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = (&'s [Seg], Range<usize>)> + 's {
        self.nodes.iter().filter_map(move |(p, placed)| match p.last() {
            Some(Seg::Key(k)) if k == name => Some((p.as_slice(), placed.key.clone()?)),
            _ => None,
        })
    }

    /// Every node, with its path, in document order (a collection after what it holds).
    pub fn iter(&self) -> impl Iterator<Item = (&[Seg], &Placed)> {
        self.nodes.iter().map(|(p, placed)| (p.as_slice(), placed))
    }

    /// Every span moved `by` bytes on: for a text cut from a larger file.
    pub fn shifted(mut self, by: usize) -> Spans {
        for (_, placed) in &mut self.nodes {
            placed.value = placed.value.start + by..placed.value.end + by;
            placed.key = placed.key.take().map(|k| k.start + by..k.end + by);
        }
        self
    }
}

/// The places of every node of the first document of `text`; `None` when the text is not
/// YAML saphyr can read (the caller's parse reports why).
pub fn spans(text: &str) -> Option<Spans> {
    let mut recorder = Recorder { index: LineIndex::new(text), ..Recorder::default() };
    Parser::new_from_str(text).load(&mut recorder, false).ok()?;
    Some(Spans { nodes: recorder.nodes })
}

/// Byte offsets from saphyr's markers (1-based line, 0-based column in characters).
#[derive(Default)]
struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    fn new(text: &'t str) -> Self {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        LineIndex { text, starts }
    }

    fn offset(&self, line: usize, col: usize) -> usize {
        let Some(&start) = self.starts.get(line.saturating_sub(1)) else { return self.text.len() };
        let rest = &self.text[start..];
        // Columns count characters; in ASCII they are bytes. Without this, each value of a
        // long flow list (a family's matrix of 10,000 values) walked its line from the start.
        if rest.as_bytes().get(..col).is_some_and(<[u8]>::is_ascii) {
            return start + col;
        }
        start + rest.char_indices().nth(col).map_or(rest.len(), |(i, _)| i)
    }

    fn range(&self, span: Span) -> Range<usize> {
        let start = self.offset(span.start.line(), span.start.col());
        let end = self.offset(span.end.line(), span.end.col()).max(start);
        // A block collection ends where the next token starts: not its own.
        start..start + self.text[start..end].trim_end().len()
    }
}

/// An open collection.
struct Open {
    path: Vec<Seg>,
    key: Option<Range<usize>>,
    start: usize,
    kind: Kind,
}

enum Kind {
    /// A map: the key read and waiting for its value, if any; `complex` when keys are not
    /// plain scalars (nothing under them is addressed).
    Map {
        key: Option<(String, Range<usize>)>,
        complex: bool,
    },
    List {
        next: usize,
    },
}

#[derive(Default)]
struct Recorder<'t> {
    index: LineIndex<'t>,
    open: Vec<Open>,
    nodes: Vec<(Vec<Seg>, Placed)>,
    done: bool,
}

impl Recorder<'_> {
    /// Where a node that starts now stands, or `None` when it is a map's key.
    fn place(&mut self, event: &Event<'_>, span: Range<usize>) -> Option<(Vec<Seg>, Option<Range<usize>>)> {
        let Some(parent) = self.open.last_mut() else { return Some((Vec::new(), None)) };
        match &mut parent.kind {
            Kind::List { next } => {
                let mut path = parent.path.clone();
                path.push(Seg::Item(*next));
                *next += 1;
                Some((path, None))
            }
            Kind::Map { key, complex } => match key.take() {
                Some((name, key_span)) => {
                    let mut path = parent.path.clone();
                    path.push(Seg::Key(name));
                    Some((path, Some(key_span)))
                }
                None => {
                    match event {
                        Event::Scalar(name, ..) => *key = Some((name.to_string(), span)),
                        // A map or list as a key, or an alias: what is under it has no path.
                        _ => {
                            *complex = true;
                            *key = Some(("\u{0}".to_string(), span));
                        }
                    }
                    None
                }
            },
        }
    }
}

impl<'input> SpannedEventReceiver<'input> for Recorder<'_> {
    fn on_event(&mut self, event: Event<'input>, span: Span) {
        if self.done {
            return;
        }
        let range = self.index.range(span);
        match event {
            Event::Scalar(..) | Event::Alias(_) => {
                if let Some((path, key)) = self.place(&event, range.clone()) {
                    self.nodes.push((path, Placed { key, value: range }));
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let placed = self.place(&event, range.clone());
                let is_map = matches!(event, Event::MappingStart(..));
                let (path, key) = placed.unwrap_or_else(|| (vec![Seg::Key("\u{0}".into())], None));
                let kind = if is_map { Kind::Map { key: None, complex: false } } else { Kind::List { next: 0 } };
                self.open.push(Open { path, key, start: range.start, kind });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some(open) = self.open.pop() {
                    let end = range.end.max(open.start);
                    let value = open.start..open.start + self.index.text[open.start..end].trim_end().len();
                    self.nodes.push((open.path, Placed { key: open.key, value }));
                }
            }
            Event::DocumentEnd => self.done = true,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown<'t>(text: &'t str, spans: &Spans, keys: &[&str]) -> (Option<&'t str>, &'t str) {
        let placed = spans.at(keys).unwrap_or_else(|| panic!("no node at {keys:?}"));
        (placed.key.clone().map(|k| &text[k]), &text[placed.value.clone()])
    }

    #[test]
    fn keys_and_values_are_placed_as_written() {
        let text = "title: \"Éa: b\"\ndata:\n  rows: data/rows.csv   # the rows\nrelated:\n  - mlops\n  - { slug: llm, blurb: x }\nlede: |\n  two\n  lines\n";
        let s = spans(text).unwrap();
        assert_eq!(shown(text, &s, &["title"]), (Some("title"), "\"Éa: b\""));
        assert_eq!(shown(text, &s, &["data", "rows"]), (Some("rows"), "data/rows.csv"));
        assert_eq!(shown(text, &s, &["data"]), (Some("data"), "rows: data/rows.csv   # the rows"));
        let item = |i| s.get(&[Seg::Key("related".into()), Seg::Item(i)]).map(|p| &text[p.value.clone()]);
        assert_eq!(item(0), Some("mlops"));
        assert_eq!(item(1), Some("{ slug: llm, blurb: x }"));
        let slug = s.get(&[Seg::Key("related".into()), Seg::Item(1), Seg::Key("slug".into())]).unwrap();
        assert_eq!(&text[slug.value.clone()], "llm");
        let top: Vec<&str> = s.keys_of(&[]).map(|(k, _)| k).collect();
        assert_eq!(top, ["title", "data", "related", "lede"]);
        assert_eq!(&text[s.at(&["lede"]).unwrap().value.clone()], "two\n  lines");
    }

    #[test]
    fn what_saphyr_cannot_read_has_no_places() {
        assert_eq!(spans("a: [1, 2\n"), None);
    }
}
