//! An operator given values it does not take (`"L5" / 2`), explained in words: what was
//! divided by what, with the values where the script names them, and how to fix it.
//!
//! Rhai reports the operator as a function it could not find for the argument types
//! (`/ (&str | ImmutableString | String, i64)`); the values are read from the scope the cell
//! left, for operands written as a name or a literal beside the operator.

use rhai::{Dynamic, Position, Scope, Token};

/// The operators a cell can misapply, with how a message says what they do.
const OPERATORS: &[(&str, &str)] = &[
    ("**", "raise {a} to the power of {b}"),
    ("+", "add {b} to {a}"),
    ("-", "subtract {b} from {a}"),
    ("*", "multiply {a} by {b}"),
    ("/", "divide {a} by {b}"),
    ("%", "take the remainder of {a} divided by {b}"),
];

/// The operator a "function not found" signature names, when it names one.
pub(super) fn operator_of(sig: &str) -> Option<&'static str> {
    let (name, rest) = sig.split_once(' ')?;
    rest.starts_with('(').then_some(())?;
    OPERATORS.iter().map(|(op, _)| *op).find(|op| *op == name)
}

/// What a value of a signature's type is called in a message.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Number,
    Band,
    Array,
    Map,
    Empty,
    Bool,
    Other,
}

impl Kind {
    fn of_type(name: &str) -> Kind {
        match name.trim() {
            n if n.contains("String") || n.contains("&str") || n == "char" => Kind::Text,
            "i64" | "i32" | "u64" | "f64" | "f32" => Kind::Number,
            "band" => Kind::Band,
            "array" => Kind::Array,
            "map" => Kind::Map,
            "()" => Kind::Empty,
            "bool" => Kind::Bool,
            _ => Kind::Other,
        }
    }

    fn of_value(v: &Dynamic) -> Kind {
        if v.is_string() || v.is_char() {
            Kind::Text
        } else if v.is_int() || v.is_float() {
            Kind::Number
        } else if v.is::<super::band::Band>() {
            Kind::Band
        } else if v.is_array() {
            Kind::Array
        } else if v.is_map() {
            Kind::Map
        } else if v.is_unit() {
            Kind::Empty
        } else if v.is_bool() {
            Kind::Bool
        } else {
            Kind::Other
        }
    }

    fn words(self, type_name: &str) -> String {
        match self {
            Kind::Text => "text".into(),
            Kind::Number => "a number".into(),
            Kind::Band => "a band".into(),
            Kind::Array => "an array".into(),
            Kind::Map => "a map".into(),
            Kind::Empty => "an empty value `()`".into(),
            Kind::Bool => "true or false".into(),
            Kind::Other => format!("a {}", type_name.trim()),
        }
    }
}

/// One side of the operator: its type as Rhai named it, and how the script writes it when
/// that is a plain name or literal.
struct Operand {
    kind: Kind,
    type_name: String,
    written: Option<Token>,
}

impl Operand {
    /// `text "L5" (`level`)`, `a number`, `the number 2`.
    fn describe(&self, scope: &Scope) -> String {
        let value = match &self.written {
            Some(Token::Identifier(name)) => {
                scope.get(name.as_str()).filter(|v| Kind::of_value(v) == self.kind).map(|v| (v.clone(), Some(name)))
            }
            Some(Token::StringConstant(s)) => Some((Dynamic::from(s.to_string()), None)),
            Some(Token::IntegerConstant(i)) => Some((Dynamic::from(*i), None)),
            _ => None,
        };
        let words = self.kind.words(&self.type_name);
        let Some((value, name)) = value else { return words };
        let name = name.map(|n| format!(" (`{n}`)")).unwrap_or_default();
        match self.kind {
            Kind::Text => format!("text {}{name}", quoted(&value.to_string())),
            Kind::Number if name.is_empty() => format!("the number {value}"),
            Kind::Bool => format!("`{value}`{name}"),
            _ => format!("{words}{name}"),
        }
    }
}

/// Text as a message quotes it: at most 40 characters.
fn quoted(text: &str) -> String {
    let mut short: String = text.chars().take(40).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    format!("{short:?}")
}

/// The message and the hint for an operator Rhai found no version of for `sig`'s types,
/// raised at `pos` of `script`.
pub(super) fn explain(sig: &str, script: &str, pos: Position, scope: &Scope) -> (String, String) {
    let op = operator_of(sig).unwrap_or("?");
    let inside = sig[op.len()..].trim();
    let inside = inside.strip_prefix('(').and_then(|s| s.strip_suffix(')')).unwrap_or(inside);
    let types: Vec<&str> = inside.split(", ").collect();
    let (before, after) = match (pos.line(), pos.position()) {
        (Some(line), Some(column)) => operands_around(script, op, line, column),
        _ => (None, None),
    };
    let operand = |type_name: &str, written: Option<Token>| Operand {
        kind: Kind::of_type(type_name),
        type_name: type_name.to_string(),
        written,
    };
    let verb = OPERATORS.iter().find(|(o, _)| *o == op).map_or("use {a} with {b}", |(_, v)| *v);
    let (message, kinds) = match types.as_slice() {
        [a, b] => {
            let (a, b) = (operand(a, before), operand(b, after));
            let text = verb.replace("{a}", &a.describe(scope)).replace("{b}", &b.describe(scope));
            (format!("cannot {text}"), vec![a.kind, b.kind])
        }
        [a] => {
            let a = operand(a, after);
            (format!("cannot use `{op}` on {}", a.describe(scope)), vec![a.kind])
        }
        _ => (format!("cannot use `{op}` on these values"), Vec::new()),
    };
    (message, hint(op, &kinds))
}

/// How to fix the commonest mixes.
fn hint(op: &str, kinds: &[Kind]) -> String {
    let has = |k: Kind| kinds.contains(&k);
    if has(Kind::Text) {
        "text is not a number: write the number without quotes, or turn text that holds one into a number with `parse_float(text)`".into()
    } else if has(Kind::Band) {
        "a band adds to and subtracts from a band, and multiplies or divides by a number (`b * 1.1`); use `b.lo` or `b.hi` for one end".into()
    } else if has(Kind::Array) {
        "take a value out of the array first: `xs[0]`, or `sum(xs)`".into()
    } else if has(Kind::Map) {
        "take a value out of the map first: `row.tc`, or `row[\"tc\"]`".into()
    } else if has(Kind::Empty) {
        "one side has no value: check that the variable was given one, or that the function it came from returns one"
            .into()
    } else if has(Kind::Bool) {
        format!("`{op}` needs numbers, not true or false")
    } else {
        format!("`{op}` works on numbers (and `+` joins text); check the types of both sides")
    }
}

/// The tokens written right before and right after the operator at `line`/`column`, when
/// each alone is that side of the operation (a name or a literal, not part of a longer
/// expression such as `a.b`, `f(x)` or `a * b` before a `+`).
fn operands_around(script: &str, op: &str, line: usize, column: usize) -> (Option<Token>, Option<Token>) {
    let tokens: Vec<(Token, Position)> = super::calls::tokens(script);
    let Some(at) = tokens
        .iter()
        .position(|(t, p)| p.line() == Some(line) && p.position() == Some(column) && t.literal_syntax() == op)
    else {
        return (None, None);
    };
    let simple = |t: &Token| {
        matches!(
            t,
            Token::Identifier(_) | Token::StringConstant(_) | Token::IntegerConstant(_) | Token::FloatConstant(_)
        )
    };
    let precedence = |s: &str| match s {
        "**" => 3,
        "*" | "/" | "%" => 2,
        "+" | "-" => 1,
        _ => 0,
    };
    let (mine, right_assoc) = (precedence(op), op == "**");
    // A neighbour that binds at least as tightly takes the operand for itself (`3 * x / 2`
    // divides `3 * x`); `**` groups from the right.
    let takes = |s: &str, from_left: bool| {
        let theirs = precedence(s);
        theirs > mine || theirs == mine && theirs > 0 && from_left != right_assoc
    };
    let left_ends = |t: Option<&Token>| match t {
        None => true,
        Some(t) => {
            let s = t.literal_syntax();
            !simple(t) && !matches!(s, "." | "?." | ")" | "]" | "}" | "!") && !takes(s, true)
        }
    };
    let right_ends = |t: Option<&Token>| match t {
        None => true,
        Some(t) => {
            let s = t.literal_syntax();
            !simple(t) && !matches!(s, "." | "?." | "(" | "[" | "?[") && !takes(s, false)
        }
    };
    let before = at
        .checked_sub(1)
        .map(|i| &tokens[i].0)
        .filter(|t| simple(t) && left_ends(at.checked_sub(2).map(|i| &tokens[i].0)))
        .cloned();
    let after = tokens
        .get(at + 1)
        .map(|(t, _)| t)
        .filter(|t| simple(t) && right_ends(tokens.get(at + 2).map(|(t, _)| t)))
        .cloned();
    // A unary operator has no left side.
    (before, after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explained(script: &str, sig: &str, line: usize, column: usize, scope: &Scope) -> String {
        explain(sig, script, Position::new(line as u16, column as u16), scope).0
    }

    #[test]
    fn operators_are_named_in_words_with_their_values() {
        let mut scope = Scope::new();
        scope.push("level", "L5".to_string());
        let sig = "/ (&str | ImmutableString | String, i64)";
        assert_eq!(operator_of(sig), Some("/"));
        assert_eq!(
            explained("let half = level / 2;", sig, 1, 18, &scope),
            "cannot divide text \"L5\" (`level`) by the number 2"
        );
        // Part of a longer expression: the types only.
        assert_eq!(explained("let x = a.b / 2;", sig, 1, 13, &scope), "cannot divide text by the number 2");
        assert_eq!(explained("let x = 3 * level / f(2);", sig, 1, 19, &scope), "cannot divide text by a number");
        assert_eq!(
            explained("let x = 2 ** \"a\";", "** (i64, &str | ImmutableString | String)", 1, 11, &scope),
            "cannot raise the number 2 to the power of text \"a\""
        );
        assert_eq!(
            explained("let x = b + 1;", "+ (band, i64)", 1, 11, &Scope::new()),
            "cannot add the number 1 to a band"
        );
        assert_eq!(operator_of("foo (i64)"), None);
        assert_eq!(operator_of("== (i64, bool)"), None);
    }
}
