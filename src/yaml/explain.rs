//! The two YAML mistakes writers make most, told in their terms: a line indented to no level
//! of what is above it, and a plain value that holds `: ` (`lede: Pay in 2026: the data`).
//! libyaml reports both as "mapping values are not allowed in this context" or "did not find
//! expected key", with the caret on a colon; read against the lines, the mistake is clear.

/// A YAML error said again where the text shows what went wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Explained {
    /// 1-based line, and 1-based column and length in characters, of what to mark.
    pub line: usize,
    pub column: usize,
    pub len: usize,
    pub message: String,
    pub hint: String,
}

/// A line of the text: its indentation (spaces), whether it is a list item (`- `), and where
/// its key or item starts.
struct Shape<'a> {
    text: &'a str,
    indent: usize,
    item: bool,
}

impl<'a> Shape<'a> {
    fn of(text: &'a str) -> Shape<'a> {
        let rest = text.trim_start_matches(' ');
        let indent = text.len() - rest.len();
        Shape { text, indent, item: rest == "-" || rest.starts_with("- ") }
    }

    /// The column (0-based) where what the line holds starts: after `- ` for an item.
    fn content(&self) -> usize {
        let after = &self.text[self.indent..];
        match self.item {
            true => self.indent + 1 + (after.len() - 1 - after[1..].trim_start_matches(' ').len()),
            false => self.indent,
        }
    }

    /// What the line starts with, to name it: `title:` or `- slug:`.
    fn name(&self) -> String {
        let start = self.content();
        let key = self.text[start..].split(": ").next().unwrap_or("").trim_end_matches(':');
        let prefix = if self.item { "- " } else { "" };
        format!("`{prefix}{key}:`")
    }

    /// The key's `: ` (byte index), when the line is `key: value`.
    fn key_colon(&self) -> Option<usize> {
        let start = self.content();
        let rest = &self.text[start..];
        if rest.starts_with(['"', '\'', '[', '{']) {
            return None;
        }
        rest.find(": ").map(|i| start + i)
    }
}

/// `message` at `line`/`column` (1-based, as the parser gave them) of `text`, explained, when
/// it is one of the mistakes this knows.
pub fn explain(text: &str, line: usize, column: usize, message: &str) -> Option<Explained> {
    let lines: Vec<&str> = text.lines().collect();
    let here = Shape::of(lines.get(line.checked_sub(1)?)?);
    let above = lines[..line - 1]
        .iter()
        .rev()
        .map(|l| Shape::of(l))
        .find(|s| !s.text.trim().is_empty() && !s.text.trim_start().starts_with('#'));
    match message {
        "mapping values are not allowed in this context" => {
            let colon = here.key_colon();
            // The colon YAML stopped at is not the key's: the value holds `: `.
            if let Some(colon) = colon.filter(|c| column > c + 1) {
                let value_at = colon + 2 + (here.text[colon + 2..].len() - here.text[colon + 2..].trim_start().len());
                let value = here.text[value_at..].trim_end();
                let quote = if value.contains('"') { '\'' } else { '"' };
                let key = here.text[here.content()..colon].to_string();
                return Some(Explained {
                    line,
                    column: char_column(here.text, value_at),
                    len: value.chars().count().max(1),
                    message: format!(
                        "the value of `{key}` contains `: `, which YAML reads as the start of another key"
                    ),
                    hint: format!("quote this value: `{key}: {quote}{value}{quote}`"),
                });
            }
            // The key's own colon: the line sits deeper than the one above it, so YAML reads
            // it as more of that line's value.
            let above = above?;
            let expected = match above.item && !here.item {
                true => above.content(),
                false => above.indent,
            };
            (here.indent > expected).then(|| over_indented(line, &here, &above, expected))
        }
        "did not find expected key" => {
            // The line sits at no level of the lines above it.
            let levels = levels_above(&lines[..line - 1]);
            let nearest = levels.iter().copied().filter(|l| *l > here.indent).min()?;
            let outer = levels.iter().copied().filter(|l| *l < here.indent).max();
            let or = outer.map(|o| format!(", or {o} to end that block")).unwrap_or_default();
            Some(Explained {
                line,
                column: 1,
                len: here.indent.max(1),
                message: format!(
                    "{} is indented {} spaces, which is no level of the lines above it (they are at {})",
                    here.name(),
                    here.indent,
                    levels.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(", ")
                ),
                hint: format!(
                    "YAML nests by indentation: indent it {nearest} spaces (column {}) to go on with the entries above{or}",
                    nearest + 1
                ),
            })
        }
        _ => None,
    }
}

fn over_indented(line: usize, here: &Shape<'_>, above: &Shape<'_>, expected: usize) -> Explained {
    Explained {
        line,
        column: 1,
        len: here.indent.max(1),
        message: format!(
            "{} is indented {} spaces, deeper than {} on the line above, so YAML reads it as part of that value",
            here.name(),
            here.indent,
            above.name()
        ),
        hint: match expected {
            0 => "do not indent it (column 1), as the entries beside it are not".to_string(),
            n => format!("indent it {n} spaces (column {}), as the entries beside it are", n + 1),
        },
    }
}

/// The indentations in force above a line: going up, each line less indented than all below
/// it opens a level, down to the top.
fn levels_above(lines: &[&str]) -> Vec<usize> {
    let mut levels: Vec<usize> = Vec::new();
    for l in lines.iter().rev().map(|l| Shape::of(l)) {
        if l.text.trim().is_empty() || l.text.trim_start().starts_with('#') {
            continue;
        }
        let at = if l.item { l.content() } else { l.indent };
        if levels.last().is_none_or(|last| l.indent < *last) {
            if l.item && levels.last().is_none_or(|last| at < *last) {
                levels.push(at);
            }
            levels.push(l.indent);
        }
        if l.indent == 0 {
            break;
        }
    }
    levels.dedup();
    levels
}

/// The 1-based column, in characters, of byte `at` of `line`.
fn char_column(line: &str, at: usize) -> usize {
    line[..at].chars().count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explained(text: &str) -> Explained {
        let err = crate::yaml::from_str::<serde_json::Value>(text).expect_err("broken YAML");
        let (line, column) = err.position.expect("a place");
        explain(text, line, column, &err.message).unwrap_or_else(|| panic!("not explained: {err:?}"))
    }

    #[test]
    fn a_colon_in_a_plain_value_asks_for_quotes() {
        let e = explained("title: T\nlede: Pay in 2026: what the data says\n");
        assert_eq!((e.line, e.column, e.len), (2, 7, 31));
        assert_eq!(e.message, "the value of `lede` contains `: `, which YAML reads as the start of another key");
        assert_eq!(e.hint, "quote this value: `lede: \"Pay in 2026: what the data says\"`");
        let e = explained("related:\n  - title: Say \"hi\": now\n");
        assert_eq!(e.hint, "quote this value: `title: 'Say \"hi\": now'`");
    }

    #[test]
    fn a_line_deeper_than_its_neighbours_is_named_with_the_column_it_wants() {
        let e = explained("title: T\nparams:\n  level: L5\n   region: EU\n");
        assert_eq!((e.line, e.column, e.len), (4, 1, 3));
        assert_eq!(
            e.message,
            "`region:` is indented 3 spaces, deeper than `level:` on the line above, so YAML reads it as part of that value"
        );
        assert_eq!(e.hint, "indent it 2 spaces (column 3), as the entries beside it are");
        let e = explained("related:\n  - slug: a\n    title: A\n      blurb: x\n");
        assert_eq!(e.hint, "indent it 4 spaces (column 5), as the entries beside it are");
        let e = explained("related:\n- slug: a\n    - slug: b\n");
        assert_eq!(e.hint, "do not indent it (column 1), as the entries beside it are not");
    }

    #[test]
    fn a_line_at_no_level_is_named_with_the_levels_above() {
        let e = explained("title: T\nrelated:\n    - slug: a\n      title: A\n  - slug: b\n");
        assert_eq!((e.line, e.column, e.len), (5, 1, 2));
        assert_eq!(
            e.message,
            "`- slug:` is indented 2 spaces, which is no level of the lines above it (they are at 6, 4, 0)"
        );
        assert_eq!(
            e.hint,
            "YAML nests by indentation: indent it 4 spaces (column 5) to go on with the entries above, or 0 to end that block"
        );
    }
}
