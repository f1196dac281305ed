//! Attribute blocks: `{#id .class key=value key="a value"}` at the end of a heading or a
//! table caption. Braces that are not a whole, valid block are text (`## Sets {a, b}`).

/// The attributes of a heading or a caption.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attributes {
    pub id: Option<String>,
    pub classes: Vec<String>,
    /// `short="…"`: how a citation of a section reads.
    pub short: Option<String>,
    /// The block as written, braces included.
    pub written: String,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.')
}

/// A valid attribute block ending `text` (trailing whitespace aside): the byte offset of its
/// `{`, and what it says.
pub fn trailing(text: &str) -> Option<(usize, Attributes)> {
    let t = text.trim_end();
    let inner_end = t.len().checked_sub(1).filter(|_| t.ends_with('}'))?;
    // A quoted value may hold braces: try each `{` from the right until one parses.
    let mut search = inner_end;
    while let Some(open) = t[..search].rfind('{') {
        if let Some(attrs) = parse(&t[open + 1..inner_end]) {
            return Some((open, Attributes { written: t[open..].to_string(), ..attrs }));
        }
        search = open;
    }
    None
}

/// The inside of an attribute block, or `None` when it is not one.
fn parse(inner: &str) -> Option<Attributes> {
    let mut attrs = Attributes::default();
    let mut rest = inner.trim_start();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let name_len = |s: &str| s.find(|c: char| !is_name_char(c)).unwrap_or(s.len());
        if let Some(r) = rest.strip_prefix('#') {
            let len = name_len(r);
            if len == 0 || attrs.id.is_some() {
                return None;
            }
            attrs.id = Some(r[..len].to_string());
            rest = &r[len..];
        } else if let Some(r) = rest.strip_prefix('.') {
            let len = name_len(r);
            if len == 0 {
                return None;
            }
            attrs.classes.push(r[..len].to_string());
            rest = &r[len..];
        } else {
            let len = name_len(rest);
            let key = &rest[..len];
            if len == 0 || !key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
                return None;
            }
            let r = rest[len..].strip_prefix('=')?;
            let (value, after) = match r.strip_prefix('"') {
                Some(q) => {
                    let end = q.find('"')?;
                    (&q[..end], &q[end + 1..])
                }
                None => {
                    let end = r.find(|c: char| c.is_whitespace() || c == '"').unwrap_or(r.len());
                    if end == 0 {
                        return None;
                    }
                    (&r[..end], &r[end..])
                }
            };
            if key == "short" {
                attrs.short = Some(value.to_string());
            }
            rest = after;
        }
        // Items are separated by whitespace.
        let trimmed = rest.trim_start();
        if trimmed.len() == rest.len() && !rest.is_empty() {
            return None;
        }
        rest = trimmed;
    }
    Some(attrs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_blocks_are_read() {
        let (at, a) = trailing("Why {#sec-overlap short=\"platform {overlap}\"}").unwrap();
        assert_eq!(at, 4);
        assert_eq!(a.id.as_deref(), Some("sec-overlap"));
        assert_eq!(a.short.as_deref(), Some("platform {overlap}"));
        let (_, a) = trailing("FAQ {#sec-faq .faq}  ").unwrap();
        assert_eq!(a.classes, ["faq"]);
        assert_eq!(a.written, "{#sec-faq .faq}");
        assert_eq!(trailing("Plain {.unnumbered}").unwrap().1.classes, ["unnumbered"]);
    }

    #[test]
    fn braces_that_are_not_a_block_are_text() {
        for text in ["Sets {a, b}", "Function f{x}", "Empty {}", "Two {#a #b}", "Glued {#a.b}x", "Bad {k=}", "{#}"] {
            assert_eq!(trailing(text), None, "{text}");
        }
    }
}
