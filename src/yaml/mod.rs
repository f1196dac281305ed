//! YAML in and out: serde_yaml lives here and nowhere else, saphyr-parser in [`spans`].
//!
//! Errors come back as [`YamlError`] with a 1-based line and column relative to the text
//! given, so callers can shift them to the line in the file the user edits.
//!
//! Before the parser sees a text, one linear [`scan`] bounds what parsing it can cost.
//! libyaml takes time quadratic in the depth of nested flow collections (`[[[[…]]]]`, a
//! 200 KB text takes over a minute), and serde_yaml expands aliases without bounding their
//! total (a list of aliases to a long list, `b: [*a, *a, …]`, makes gigabytes from kilobytes).
//! The scan follows nesting (brackets, and block indentation, `- - -` included) and counts
//! values with each alias as the values it repeats, and refuses a text that nests deeper than
//! [`MAX_DEPTH`] or holds more values than its caller allows, at the place it goes too far.

mod explain;
mod spans;

use std::collections::HashMap;

use serde::de::DeserializeOwned;

pub use explain::{Explained, explain};
pub use spans::{Placed, Seg, Spans, spans};

/// How deep lists and maps may nest in any YAML nbrender reads. serde_yaml itself stops at
/// 128; nothing written by hand comes near either.
pub const MAX_DEPTH: usize = 64;

/// How many values a frontmatter or `_site.yaml` may hold (data files have `data_fields`).
pub const MAX_VALUES: u64 = 100_000;

#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub message: String,
    /// 1-based line and column in the text that was parsed, when serde_yaml knows it.
    pub position: Option<(usize, usize)>,
    /// Whether the text was refused before parsing for holding more values than allowed.
    pub too_many_values: bool,
    /// Whether the text was refused before parsing for nesting deeper than [`MAX_DEPTH`].
    pub too_deep: bool,
}

/// Deserializes `text` into `T`, with at most [`MAX_VALUES`] values.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    from_str_within(text, MAX_VALUES)
}

/// Deserializes `text` into `T`, with at most `max_values` values (see [`scan`]).
pub fn from_str_within<T: DeserializeOwned>(text: &str, max_values: u64) -> Result<T, YamlError> {
    scan(text, max_values)?;
    serde_yaml::from_str(text).map_err(|err| {
        let position = err.location().map(|l| (l.line(), l.column()));
        let mut message = err.to_string();
        // serde_yaml appends the place in prose; we show it as a location instead.
        if let Some(cut) = message.find(" at line ") {
            message.truncate(cut);
        }
        YamlError { message, position, too_many_values: false, too_deep: false }
    })
}

/// A YAML or JSON value as serde_json's `Value`, with two differences: every map and list is
/// made at the size it holds (serde_json's own `Value` grows them by doubling while it parses, a
/// third more memory for a table of rows), and a number that is not finite (YAML's `.nan`,
/// `.inf`, `-.inf`, which JSON cannot hold) is an error at its place rather than `null`
/// without a word. Keys that are not text (YAML allows any scalar) become their text.
#[derive(Debug, Clone, PartialEq)]
pub struct Json(pub serde_json::Value);

impl<'de> serde::Deserialize<'de> for Json {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor).map(Json)
    }
}

struct JsonVisitor;

impl<'de> serde::de::Visitor<'de> for JsonVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
        Ok(b.into())
    }

    fn visit_i64<E>(self, i: i64) -> Result<Self::Value, E> {
        Ok(i.into())
    }

    fn visit_u64<E>(self, u: u64) -> Result<Self::Value, E> {
        Ok(u.into())
    }

    fn visit_f64<E: serde::de::Error>(self, f: f64) -> Result<Self::Value, E> {
        serde_json::Number::from_f64(f).map(serde_json::Value::Number).ok_or_else(|| {
            E::custom(format!(
                "`{}` is not a finite number; a number here must be finite (write it as text in quotes if it is a word)",
                if f.is_nan() { ".nan" } else if f > 0.0 { ".inf" } else { "-.inf" }
            ))
        })
    }

    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(s.into())
    }

    fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
        Ok(s.into())
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Json(item)) = seq.next_element()? {
            items.push(item);
        }
        items.shrink_to_fit();
        Ok(serde_json::Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries: Vec<(String, serde_json::Value)> = Vec::new();
        while let Some((Json(key), Json(value))) = map.next_entry()? {
            let key = match key {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            entries.push((key, value));
        }
        // Collected from a list of known length, the map is made at its size.
        Ok(serde_json::Value::Object(entries.into_iter().collect()))
    }
}

/// Walks `text` once the way libyaml will tokenize it, without building anything, and
/// returns how many values it holds: each item of a list and each value of a map (keys do not
/// count), with an alias counting as every value inside the node it repeats. JSON is YAML and
/// counts the same way. Fails at the place where lists and maps nest deeper than
/// [`MAX_DEPTH`] (block indentation and brackets alike) or the count passes `max_values`.
///
/// Where the scan cannot tell what libyaml will make of a line, it counts rather than skips:
/// it may refuse a text libyaml would reject anyway, never let through nesting it missed.
pub fn scan(text: &str, max_values: u64) -> Result<Counted, YamlError> {
    scan_within(text, MAX_DEPTH, max_values)
}

/// What [`scan`] counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// Every value: items of lists and values of maps, aliases expanded.
    pub values: u64,
    /// Of those, the items of the top-level list (a table's rows), when the text is a list.
    pub rows: u64,
    /// The keys of the maps as written (not counted in `values`). The parser holds each key
    /// and value as an event before anything is built.
    pub keys: u64,
}

fn scan_within(text: &str, max_depth: usize, max_values: u64) -> Result<Counted, YamlError> {
    let mut scanner = Scanner { max_depth, max_values, ..Scanner::default() };
    for (i, line) in text.split('\n').enumerate() {
        scanner.line_no = i + 1;
        scanner.line(line.strip_suffix('\r').unwrap_or(line))?;
    }
    Ok(Counted { values: scanner.values, rows: scanner.rows, keys: scanner.keys })
}

/// Where scanning a line goes on: block or flow context from a byte, or the next line.
enum Go {
    Block(usize),
    Flow(usize),
    NextLine,
}

/// Where a block scalar (`|`, `>`) is: its lines are those indented at least `indent`.
#[derive(Debug, Clone, Copy)]
struct BlockScalar {
    /// The indentation of the collection holding it, -1 at the top level.
    parent: isize,
    /// From the indentation indicator, or else found from its first lines.
    indent: Option<usize>,
    /// Spaces of the all-space lines before its first line (they count for its indentation).
    leading: usize,
}

/// An open bracket.
#[derive(Debug, Clone, Copy)]
struct Bracket {
    /// `[`, where `a: b` or `? a` makes its item a map: one level more.
    list: bool,
    /// Whether the current item has been counted yet.
    counted: bool,
    /// Whether the current item is such a map.
    pair: bool,
}

/// An open block collection.
#[derive(Debug, Clone, Copy)]
struct Indent {
    col: usize,
    map: bool,
    /// A list at the map's own column is the value of its last key: one level more.
    list_under: bool,
}

/// Which lines end an anchored block node: a line indented less than `col`, or as much but
/// not a `- ` entry continuing a list under a key (`key: &a` then `- …` at the key's column).
#[derive(Debug, Clone, Copy)]
enum Ends {
    Block {
        col: isize,
        entries_continue: bool,
    },
    /// When the bracket opened at this flow depth closes.
    Flow(usize),
}

#[derive(Default)]
struct Scanner<'t> {
    max_depth: usize,
    max_values: u64,
    values: u64,
    rows: u64,
    keys: u64,
    line_no: usize,
    text: &'t str,
    /// The byte of the line being looked at, for positions.
    at: usize,
    /// The open block collections, innermost last (libyaml's indents).
    indents: Vec<Indent>,
    /// Open brackets, innermost last.
    flow: Vec<Bracket>,
    /// Inside a flow plain scalar, which goes on until a flow indicator.
    in_plain: bool,
    /// After a plain scalar in block context, which lines indented past the block go on.
    block_plain: bool,
    block_scalar: Option<BlockScalar>,
    /// Inside a quoted scalar that goes on over lines: its quote.
    quote: Option<u8>,
    /// An anchor whose node has not started yet.
    pending: Option<&'t str>,
    /// Anchored collections still open: name, the count where they started, what ends them.
    open: Vec<(&'t str, u64, Ends)>,
    /// Values inside each finished anchored node, for its aliases.
    anchors: HashMap<&'t str, u64>,
}

impl<'t> Scanner<'t> {
    fn line(&mut self, line: &'t str) -> Result<(), YamlError> {
        self.text = line;
        let b = line.as_bytes();
        let indent = b.iter().take_while(|&&c| c == b' ').count();
        let blank = indent == b.len();
        if let Some(scalar) = &mut self.block_scalar {
            let needed = match scalar.indent {
                Some(n) => n,
                None if blank => {
                    scalar.leading = scalar.leading.max(indent);
                    return Ok(());
                }
                None => {
                    let n = scalar.leading.max(indent).max((scalar.parent + 1).max(1) as usize);
                    scalar.indent = Some(n);
                    n
                }
            };
            if blank || indent >= needed {
                return Ok(());
            }
            self.block_scalar = None;
        }
        if let Some(q) = self.quote {
            let Some(end) = close_quote(b, 0, q) else { return Ok(()) };
            self.quote = None;
            return self.go(if self.flow.is_empty() { Go::Block(end) } else { Go::Flow(end) });
        }
        if !self.flow.is_empty() {
            return self.go(Go::Flow(0));
        }
        let rest = &line[indent..];
        let marker = indent == 0
            && (rest.starts_with("---") || rest.starts_with("..."))
            && rest[3..].chars().next().is_none_or(|c| c == ' ' || c == '\t');
        if self.block_plain {
            // A plain scalar goes on over lines indented past its block: nothing on them is
            // structure, up to a comment.
            let top = self.indents.last().map_or(-1, |i| i.col as isize);
            if blank {
                return Ok(());
            }
            if indent as isize > top && !rest.starts_with('#') && !marker {
                self.block_plain = !has_comment(rest);
                return Ok(());
            }
            self.block_plain = false;
        }
        if blank || rest.starts_with('#') || (indent == 0 && rest.starts_with('%')) {
            return Ok(());
        }
        let dash = rest.starts_with('-') && rest[1..].chars().next().is_none_or(|c| c == ' ' || c == '\t');
        self.close_block_anchors(if marker { -1 } else { indent as isize }, dash && !marker);
        if marker {
            self.indents.clear();
            return self.go(Go::Block(3));
        }
        while self.indents.last().is_some_and(|top| top.col > indent) {
            self.indents.pop();
        }
        self.go(Go::Block(indent))
    }

    /// Scans the rest of the line, switching between block and flow context as brackets
    /// open and close.
    fn go(&mut self, mut next: Go) -> Result<(), YamlError> {
        loop {
            next = match next {
                Go::Block(at) => self.block(at)?,
                Go::Flow(at) => self.flow(at)?,
                Go::NextLine => return Ok(()),
            }
        }
    }

    /// Block context from byte `at` of the line: indicators, keys, then one value.
    fn block(&mut self, mut at: usize) -> Result<Go, YamlError> {
        let line = self.text;
        let b = line.as_bytes();
        // The node the next value belongs to, for an anchor left at the end of the line.
        let mut owner = Ends::Block { col: at as isize - 1, entries_continue: false };
        // Where the current node's anchor or tag began: a key's collection starts there.
        let mut props: Option<usize> = None;
        loop {
            while b.get(at).is_some_and(|&c| c == b' ' || c == b'\t') {
                at += 1;
            }
            self.at = at;
            let Some(&c) = b.get(at) else { break };
            let blank_after = b.get(at + 1).is_none_or(|&n| n == b' ' || n == b'\t');
            let start = props.take().unwrap_or(at);
            match c {
                b'#' => break,
                // An entry, a complex key, or a value with an empty key: each at a new column
                // opens a collection (`-` a list, the others a map).
                b'-' | b'?' | b':' if blank_after => {
                    self.push(start, c != b'-')?;
                    self.open_pending(Ends::Block { col: start as isize - 1, entries_continue: false })?;
                    self.add(1)?;
                    let top_list = matches!(self.indents.as_slice(), [i] if !i.map);
                    if c == b'-' && top_list && self.flow.is_empty() {
                        self.rows += 1;
                    }
                    self.keys += u64::from(c == b'?');
                    owner = Ends::Block { col: at as isize, entries_continue: false };
                    at += 1;
                }
                b'[' | b'{' | b']' | b'}' | b',' => return Ok(Go::Flow(at)),
                b'|' | b'>' => {
                    self.scalar_done();
                    let parent = self.indents.last().map_or(-1, |i| i.col as isize);
                    let digit = b[at + 1..].iter().take(2).find(|c| c.is_ascii_digit()).map(|d| (d - b'0') as usize);
                    let indent = digit.map(|m| if parent >= 0 { parent as usize + m } else { m });
                    self.block_scalar = Some(BlockScalar { parent, indent, leading: 0 });
                    return Ok(Go::NextLine);
                }
                b'&' => {
                    let end = name_end(b, at + 1);
                    self.pending = Some(&line[at + 1..end]);
                    props = Some(start);
                    at = end;
                }
                b'!' => {
                    props = Some(start);
                    at = tag_end(b, at, false);
                }
                b'*' => {
                    let end = name_end(b, at + 1);
                    self.alias(&line[at + 1..end])?;
                    at = end;
                }
                b'\'' | b'"' => {
                    let Some(end) = close_quote(b, at + 1, c) else {
                        self.scalar_done();
                        self.quote = Some(c);
                        return Ok(Go::NextLine);
                    };
                    let colon = end + b[end..].iter().take_while(|&&n| n == b' ' || n == b'\t').count();
                    if b.get(colon) == Some(&b':') && b.get(colon + 1).is_none_or(|&n| n == b' ' || n == b'\t') {
                        self.key(start)?;
                        owner = Ends::Block { col: start as isize, entries_continue: true };
                        at = colon + 1;
                    } else {
                        self.scalar_done();
                        at = end;
                    }
                }
                _ => match plain_key_end(b, at) {
                    Some(colon) => {
                        self.key(start)?;
                        owner = Ends::Block { col: start as isize, entries_continue: true };
                        at = colon + 1;
                    }
                    None => {
                        self.scalar_done();
                        self.block_plain = !has_comment(&line[at..]);
                        return Ok(Go::NextLine);
                    }
                },
            }
        }
        // A line that ends after `key:` or `- &anchor`: a collection may follow below.
        self.open_pending(owner)?;
        Ok(Go::NextLine)
    }

    /// Flow context from byte `at` of the line, until the brackets close.
    fn flow(&mut self, mut at: usize) -> Result<Go, YamlError> {
        let line = self.text;
        let b = line.as_bytes();
        while let Some(&c) = b.get(at) {
            self.at = at;
            if self.in_plain {
                let value_colon = c == b':' && b.get(at + 1).is_none_or(|&n| b" \t,[]{}".contains(&n) || n == b'?');
                let comment = c == b'#' && at > 0 && matches!(b[at - 1], b' ' | b'\t');
                if !(value_colon || comment || b",[]{}".contains(&c)) {
                    at += 1;
                    continue;
                }
                self.in_plain = false;
            }
            match c {
                b'[' | b'{' => {
                    self.item()?;
                    self.flow.push(Bracket { list: c == b'[', counted: false, pair: false });
                    self.check_depth(at)?;
                    let depth = self.flow.len();
                    self.open_pending(Ends::Flow(depth))?;
                }
                b']' | b'}' => {
                    self.scalar_done();
                    let depth = self.flow.len();
                    self.close_anchors(|ends| matches!(ends, Ends::Flow(d) if d >= depth));
                    self.flow.pop();
                    if self.flow.is_empty() {
                        return Ok(Go::Block(at + 1));
                    }
                }
                b',' => {
                    if let Some(top) = self.flow.last_mut() {
                        top.counted = false;
                        top.pair = false;
                    }
                }
                // At a token's start a `#` opens a comment, blank before it or not (`[a,#]`).
                b'#' => return Ok(Go::NextLine),
                b':' | b'?' => {
                    self.item()?;
                    if let Some(top) = self.flow.last_mut()
                        && top.list
                        && !top.pair
                    {
                        top.pair = true;
                        self.keys += 1;
                        self.check_depth(at)?;
                        self.add(1)?;
                    }
                }
                b' ' | b'\t' => {}
                // An anchor or a tag starts a node, even one left empty (`{!t }`).
                b'&' => {
                    self.item()?;
                    let end = name_end(b, at + 1);
                    self.pending = Some(&line[at + 1..end]);
                    at = end;
                    continue;
                }
                b'!' => {
                    self.item()?;
                    at = tag_end(b, at, true);
                    continue;
                }
                b'*' => {
                    self.item()?;
                    let end = name_end(b, at + 1);
                    self.alias(&line[at + 1..end])?;
                    at = end;
                    continue;
                }
                b'\'' | b'"' => {
                    self.item()?;
                    self.scalar_done();
                    match close_quote(b, at + 1, c) {
                        Some(end) => {
                            at = end;
                            continue;
                        }
                        None => {
                            self.quote = Some(c);
                            return Ok(Go::NextLine);
                        }
                    }
                }
                _ => {
                    self.item()?;
                    self.scalar_done();
                    self.in_plain = true;
                }
            }
            at += 1;
        }
        Ok(Go::NextLine)
    }

    /// A block collection entry (`map` false) or key at byte `at`: a new collection when it
    /// is further right than the innermost one, or a list at a map's own column (`key:`
    /// then `- item` below it).
    fn push(&mut self, at: usize, map: bool) -> Result<(), YamlError> {
        match self.indents.last_mut() {
            Some(top) if top.col == at => {
                if top.map && !map && !top.list_under {
                    top.list_under = true;
                    return self.check_depth(at);
                }
                if map {
                    top.list_under = false;
                }
                Ok(())
            }
            Some(top) if top.col > at => Ok(()),
            _ => {
                self.indents.push(Indent { col: at, map, list_under: false });
                self.check_depth(at)
            }
        }
    }

    fn key(&mut self, at: usize) -> Result<(), YamlError> {
        self.keys += 1;
        self.push(at, true)?;
        // `- &a key: v` anchors the map that starts at the key.
        self.open_pending(Ends::Block { col: at as isize - 1, entries_continue: false })?;
        self.add(1)
    }

    /// Counts the current item of the innermost bracket, once.
    fn item(&mut self) -> Result<(), YamlError> {
        let row = self.indents.is_empty() && matches!(self.flow.as_slice(), [b] if b.list);
        match self.flow.last_mut() {
            Some(top) if !top.counted => {
                top.counted = true;
                self.keys += u64::from(!top.list);
                self.rows += u64::from(row);
                self.add(1)
            }
            _ => Ok(()),
        }
    }

    fn add(&mut self, n: u64) -> Result<(), YamlError> {
        self.values = self.values.saturating_add(n);
        if self.values > self.max_values {
            let message = format!("more than {} values", crate::format::num(self.max_values as f64));
            return Err(YamlError { message, position: Some(self.position()), too_many_values: true, too_deep: false });
        }
        Ok(())
    }

    fn check_depth(&mut self, at: usize) -> Result<(), YamlError> {
        let block: usize = self.indents.iter().map(|i| 1 + usize::from(i.list_under)).sum();
        let flow: usize = self.flow.iter().map(|f| 1 + usize::from(f.pair)).sum();
        if block + flow > self.max_depth {
            self.at = at;
            let message = format!("lists and maps nested more than {} deep", self.max_depth);
            return Err(YamlError { message, position: Some(self.position()), too_many_values: false, too_deep: true });
        }
        Ok(())
    }

    fn position(&self) -> (usize, usize) {
        (self.line_no, self.text.get(..self.at).map_or(self.at, |s| s.chars().count()) + 1)
    }

    fn alias(&mut self, name: &str) -> Result<(), YamlError> {
        self.scalar_done();
        if self.open.iter().any(|&(open, _, _)| open == name) {
            // serde_yaml would expand it until its depth limit, repeating all the node holds.
            let message = format!("the alias `*{name}` repeats the node it is in");
            return Err(YamlError {
                message,
                position: Some(self.position()),
                too_many_values: false,
                too_deep: false,
            });
        }
        let inner = self.anchors.get(name).copied().unwrap_or(0);
        self.add(inner)
    }

    /// A scalar started: an anchor waiting for its node anchors nothing that can repeat values.
    fn scalar_done(&mut self) {
        if let Some(name) = self.pending.take() {
            self.anchors.insert(name, 0);
        }
    }

    fn open_pending(&mut self, ends: Ends) -> Result<(), YamlError> {
        if let Some(name) = self.pending.take() {
            // Anchored nodes open at once are nested in each other, as deep as the nesting at
            // most; more is text libyaml refuses (`&a` lines), which must not slow the scan.
            if self.open.len() > 2 * self.max_depth {
                let message = format!("anchors nested more than {} deep", self.max_depth);
                return Err(YamlError {
                    message,
                    position: Some(self.position()),
                    too_many_values: false,
                    too_deep: true,
                });
            }
            self.open.push((name, self.values, ends));
        }
        Ok(())
    }

    /// A new block line at `indent` ends the anchored block nodes it is not inside.
    fn close_block_anchors(&mut self, indent: isize, dash: bool) {
        self.close_anchors(|ends| match ends {
            Ends::Block { col, entries_continue } => indent < col || (indent == col && !(dash && entries_continue)),
            Ends::Flow(_) => false,
        });
    }

    fn close_anchors(&mut self, done: impl Fn(Ends) -> bool) {
        let values = self.values;
        let anchors = &mut self.anchors;
        self.open.retain(|&(name, start, ends)| {
            if done(ends) {
                anchors.insert(name, values - start);
            }
            !done(ends)
        });
    }
}

/// The byte after the quoted scalar opened by `quote` whose text starts at `from`, when it
/// closes on this line.
fn close_quote(b: &[u8], mut from: usize, quote: u8) -> Option<usize> {
    while let Some(&c) = b.get(from) {
        match c {
            b'\\' if quote == b'"' => from += 2,
            b'\'' if quote == b'\'' && b.get(from + 1) == Some(&b'\'') => from += 2,
            c if c == quote => return Some(from + 1),
            _ => from += 1,
        }
    }
    None
}

/// Whether a plain scalar's text holds a comment (`#` after a blank), which ends it.
fn has_comment(text: &str) -> bool {
    text.contains(" #") || text.contains("\t#")
}

/// The end of an anchor or alias name: letters, digits, `-` and `_`.
fn name_end(b: &[u8], from: usize) -> usize {
    from + b[from..].iter().take_while(|c| c.is_ascii_alphanumeric() || **c == b'-' || **c == b'_').count()
}

/// The end of a tag: it runs to a blank (or, in brackets, a `,`).
fn tag_end(b: &[u8], from: usize, in_flow: bool) -> usize {
    from + b[from..].iter().take_while(|&&c| !(c == b' ' || c == b'\t' || (in_flow && c == b','))).count()
}

/// Where the `:` is when the plain scalar starting at `from` is a key (`key: value`), stopping
/// at a comment.
fn plain_key_end(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(&c) = b.get(i) {
        let blank_after = b.get(i + 1).is_none_or(|&n| n == b' ' || n == b'\t');
        if c == b':' && blank_after {
            return Some(i);
        }
        if c == b'#' && i > from && matches!(b[i - 1], b' ' | b'\t') {
            return None;
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_position_of_syntax_errors() {
        let err = from_str::<serde_json::Value>("a: 1\nb: [1, 2\n").unwrap_err();
        assert!(err.position.is_some());
        assert!(!err.message.contains(" at line "));
    }

    #[test]
    fn numbers_that_are_not_finite_are_errors_at_their_place() {
        for bad in ["x: .nan\n", "x: [1, .inf]\n", "- a: 1\n- a: -.Inf\n"] {
            let err = from_str::<Json>(bad).unwrap_err();
            assert!(err.message.contains("is not a finite number"), "{bad}: {}", err.message);
            assert!(err.position.is_some(), "{bad}");
        }
        let ok = from_str::<Json>("x: [1, 2.5, nan, \".inf\"]\n1: y\n").unwrap().0;
        assert_eq!(ok, serde_json::json!({"x": [1, 2.5, "nan", ".inf"], "1": "y"}));
    }

    #[test]
    fn reads_scalars_and_maps() {
        let v: serde_json::Value = from_str("a: 1\nb: x\n").unwrap();
        assert_eq!(v["a"], 1);
        assert_eq!(v["b"], "x");
    }

    fn depth_error(text: &str) -> Option<(usize, usize)> {
        match scan(text, u64::MAX) {
            Err(e) if e.too_deep => e.position,
            _ => None,
        }
    }

    #[test]
    fn nesting_is_followed_through_brackets_and_indentation() {
        let deep = |open: &str, close: &str, n: usize| format!("x: {}1{}\n", open.repeat(n), close.repeat(n));
        assert_eq!(depth_error(&deep("[", "]", 63)), None);
        assert_eq!(depth_error(&deep("[", "]", 64)), Some((1, 67)));
        assert_eq!(depth_error(&deep("{a: ", "}", 64)), Some((1, 4 + 63 * 4)));
        assert_eq!(depth_error(&format!("- {}1\n", "- ".repeat(63))), None);
        assert_eq!(depth_error(&format!("- {}1\n", "- ".repeat(64))), Some((1, 129)));
        let indented: String = (0..70).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect();
        assert_eq!(depth_error(&indented), Some((65, 65)));
        // Brackets spread over lines, and a `#` right after a comma, which opens a comment.
        assert_eq!(depth_error(&format!("x: [\n{}", "[\n".repeat(70))), Some((64, 1)));
        // `a: b` in brackets is a map inside the list.
        assert_eq!(depth_error(&"x: [\n".repeat(70)), Some((33, 2)));
        assert_eq!(depth_error(&format!("x: {}", "[a,#]\n".repeat(70))), Some((64, 1)));
    }

    #[test]
    fn brackets_in_text_are_not_nesting() {
        let many = "[".repeat(100);
        for text in [
            format!("a: '{many}'\nb: \"{many}\"\n"),
            format!("a: x {many}\n"),
            format!("a: |\n  {many}\n  {many}\nb: 1 # {many}\n"),
            format!("a: 'it''s\n  {many}'\n"),
            format!("a: word\n  {many}\n  and more\n"),
            format!("[\"{many}\", '{many}', x # {many}\n]\n"),
            format!("{{\"a\": \"]]]{many}\"}}\n"),
        ] {
            assert!(scan(&text, u64::MAX).is_ok(), "{text}");
            let v: Result<serde_json::Value, _> = from_str(&text);
            assert!(v.is_ok(), "{text}: {v:?}");
        }
    }

    #[test]
    fn text_that_only_looks_like_text_is_still_scanned() {
        // A quote inside a plain scalar is a letter; the brackets after it are brackets.
        assert!(depth_error(&format!("x: [it's, {}]\n", "[".repeat(70))).is_some());
        // A plain scalar ends at a line no deeper than its block; a block scalar at a line
        // indented less than its first line (all-space lines count).
        assert!(depth_error(&format!("a: word\nb: {}\n", "[".repeat(70))).is_some());
        assert!(depth_error(&format!("a: |\n      x\n  b: {}\n", "[".repeat(70))).is_some());
        assert!(depth_error(&format!("a: |\n        \n  {}\n", "[".repeat(70))).is_some());
        // A flow collection used as a key, then a value that nests.
        assert!(depth_error(&format!("[a]: {}\n", "[".repeat(70))).is_some());
    }

    #[test]
    fn values_are_counted_as_a_table_has_them() {
        let count = |text: &str| scan(text, u64::MAX).unwrap().values;
        assert_eq!(count("- {a: 1, b: 2}\n- {a: 3, b: 4}\n"), 6);
        assert_eq!(count("- a: 1\n  b: 2\n- a: 3\n  b: 'x'\n"), 6);
        assert_eq!(count(r#"[{"a": 1, "b": "x, y"}, {"a": 3, "b": [1, 2]}]"#), 8);
        assert_eq!(count("a: 1\nb:\n  - 1\n  - 2\nc: |\n  - not\n  - items\n"), 5);
        assert_eq!(count("[]\n"), 0);
        let keys = |text: &str| scan(text, u64::MAX).unwrap().keys;
        assert_eq!(keys("- {a: 1, b: 2}\n- a: 3\n  b: [4, 5]\n"), 4);
        assert_eq!(keys(r#"[{"a": {"b": 1}}, [3, {"c": 4}]]"#), 3);
        let rows = |text: &str| scan(text, u64::MAX).unwrap().rows;
        assert_eq!(rows("- {a: 1, b: 2}\n- a: 3\n  b: [4, 5]\n- - 6\n"), 3);
        assert_eq!(rows(r#"[{"a": [1, 2]}, [3], 4]"#), 3);
        assert_eq!(rows("a:\n- 1\n- 2\nb: [1, 2]\n"), 0);
    }

    #[test]
    fn aliases_count_what_they_repeat() {
        let count = |text: &str| scan(text, u64::MAX).unwrap().values;
        assert_eq!(count("a: &a [1, 2, 3]\nb: [*a, *a]\n"), 4 + 3 + 6);
        assert_eq!(count("a: &a\n  x: 1\n  y: [1, 2]\nb: *a\nc: *a\n"), 5 + 2 * 5);
        assert_eq!(count("a: &a\n- 1\n- 2\nb: *a\n"), 3 + 1 + 2);
        assert_eq!(count("- &a x: 1\n- *a\n- *a\n"), 2 + 2 * 2);
        assert_eq!(count("- &a\n  x: 1\n  y: 2\n- *a\n"), 3 + 3);
        assert_eq!(count("a: &a 1\nb: *a\n"), 2);
        let bomb = format!("a: &a [{}1]\nb: [{}*a]\n", "1,".repeat(1000), "*a,".repeat(1000));
        let err = scan(&bomb, 100_000).unwrap_err();
        assert!(err.too_many_values && err.message == "more than 100,000 values", "{err:?}");
        assert_eq!(err.position.map(|p| p.0), Some(2));
        let err = scan("a: &a [1, *a]\n", 100).unwrap_err();
        assert_eq!(err.message, "the alias `*a` repeats the node it is in");
    }

    /// How deep a parsed value nests, and how many values it holds (items and map values).
    fn shape(v: &serde_json::Value) -> (usize, u64) {
        let children: Vec<&serde_json::Value> = match v {
            serde_json::Value::Array(items) => items.iter().collect(),
            serde_json::Value::Object(map) => map.values().collect(),
            _ => return (0, 0),
        };
        let inner = children.iter().map(|c| shape(c)).fold((0, 0), |(d, n), (cd, cn)| (d.max(cd), n + cn));
        (inner.0 + 1, inner.1 + children.len() as u64)
    }

    #[test]
    fn the_scan_never_sees_less_than_the_parser_builds() {
        const PIECES: &[&str] = &[
            "[", "]", "{", "}", ",", ": ", ":", " ", "\n", "- ", "-", "'", "\"", " #", "#", "a", "b:", "|", ">", "  ",
            "&x ", "*x", "? ", "!t ", "\\", "''", "---\n", "\t", "1", "\n  ", "\n    ", "\n- ", "k: ", "\n  k: ",
            "|\n", "|2\n", ">-\n", "\n   ", "&y\n", "*y", "[a, ", "]\n",
        ];
        let mut seed: u64 = 0x1234_5678_9abc_def1;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut parsed = 0;
        for _ in 0..30_000 {
            let len = 1 + next(50);
            let text: String = (0..len).map(|_| PIECES[next(PIECES.len())]).collect();
            let Ok(value) = serde_yaml::from_str::<serde_json::Value>(&text) else { continue };
            parsed += 1;
            let (depth, values) = shape(&value);
            if depth > 0 {
                assert!(scan_within(&text, depth - 1, u64::MAX).is_err(), "depth {depth} unseen in {text:?}");
            }
            if let Ok(counted) = scan_within(&text, MAX_DEPTH, u64::MAX) {
                assert!(counted.values >= values, "{counted:?} < {values} values in {text:?}");
                if let serde_json::Value::Array(items) = &value {
                    assert_eq!(counted.rows, items.len() as u64, "rows of {text:?}");
                }
            }
        }
        assert!(parsed > 1_000, "only {parsed} texts parsed");
    }

    #[test]
    fn scanning_is_linear() {
        let started = std::time::Instant::now();
        let big = format!("x: {}\n", "[1, {a: 'b'}, \"c\"], ".repeat(500_000));
        assert!(scan(&big, u64::MAX).is_ok());
        let dashes = format!("x:\n  {}1\n", "- ".repeat(1_000_000));
        assert!(scan(&dashes, u64::MAX).is_err());
        // Anchors on nothing, one a line: libyaml refuses them; the scan must not slow down.
        assert!(scan(&"&a\n".repeat(1_000_000), u64::MAX).is_err());
        assert!(scan(&"- &a\n".repeat(1_000_000), u64::MAX).is_ok());
        // Not a benchmark: the bound is far above what a loaded machine takes (under a second
        // on a quiet one), and far below the hours a quadratic scan of these inputs would take.
        assert!(started.elapsed().as_secs() < 120, "{:?}", started.elapsed());
    }
}
