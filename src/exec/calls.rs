//! Calls found in a script by Rhai's own tokenizer, before it runs: `results("slug")` tells the
//! site which notebooks must run first. Comments, strings and names that only contain the
//! function's name are told apart exactly as Rhai tells them apart when it runs the script.

use std::sync::OnceLock;

use rhai::Token;

use super::errors::OptionAt;

/// One call of a function: where its name stands in the script (1-based line and column, in
/// characters) and its argument when that is a single string literal (`results("hub")`).
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub line: usize,
    pub column: usize,
    pub literal: Option<String>,
}

/// An engine that only reads scripts: Rhai's tokenizer and parser, nothing registered, nothing
/// folded (a map literal keeps where its entries are written).
fn reader() -> &'static rhai::Engine {
    static ENGINE: OnceLock<rhai::Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut engine = rhai::Engine::new_raw();
        engine.set_optimization_level(rhai::OptimizationLevel::None);
        engine
    })
}

/// `read` given `script`'s tokens as Rhai's tokenizer reads them, up to the script's end.
fn with_tokens<R>(script: &str, read: impl FnOnce(&mut dyn Iterator<Item = (Token, rhai::Position)>) -> R) -> R {
    let inputs = [script];
    let (tokens, _) = reader().lex(&inputs);
    // Rhai's token stream repeats EOF for ever once the script ends.
    read(&mut tokens.take_while(|(t, _)| !matches!(t, Token::EOF)))
}

/// `script`'s tokens, with where each stands.
pub(super) fn tokens(script: &str) -> Vec<(Token, rhai::Position)> {
    with_tokens(script, |tokens| tokens.collect())
}

/// Where an option is written in a call's map literal: the 1-based line and column (in
/// characters) of its key (`at_key`) or of its value, and the length to mark. The call is the
/// one at `line`/`column` (where Rhai reports its errors); `None` when the options are not a
/// map literal written in the call (`band_chart(rows, opts)`).
pub fn option_place(script: &str, line: usize, column: usize, option: &OptionAt) -> Option<(usize, usize, usize)> {
    use rhai::{ASTNode, Expr};
    let ast = reader().compile(script).ok()?;
    let key = option.key.as_str();
    // Where `key` is written in a map literal, and how many characters to mark.
    let in_map = |map: &rhai::Expr| {
        let Expr::Map(map, _) = map else { return None };
        let (ident, value) = map.0.iter().find(|(ident, _)| ident.name.as_str() == key)?;
        Some(match (option.at_key, value) {
            (true, _) => (ident.pos, key.chars().count()),
            (false, Expr::StringConstant(s, p)) => (*p, s.chars().count() + 2),
            (false, Expr::IntegerConstant(_, p) | Expr::FloatConstant(_, p)) => (*p, number_len(script, *p)),
            (false, other) => (other.position(), 1),
        })
    };
    let mut found = None;
    ast.walk(&mut |path: &[ASTNode]| {
        let Some(ASTNode::Expr(Expr::FnCall(call, pos))) = path.last() else { return true };
        if pos.line() != Some(line) || pos.position() != Some(column) {
            return true;
        }
        for arg in call.args.iter() {
            let at = match (option.item, arg) {
                (None, map) => in_map(map),
                (Some(i), Expr::Array(items, _)) => match items.get(i) {
                    Some(Expr::StringConstant(s, p)) if key.is_empty() || key == "key" => {
                        Some((*p, s.chars().count() + 2))
                    }
                    Some(item) if key.is_empty() => Some((item.position(), 1)),
                    Some(item) => in_map(item),
                    None => None,
                },
                (Some(_), _) => None,
            };
            if let Some((at, len)) = at {
                found = at.line().zip(at.position()).map(|(l, c)| (l, c, len));
            }
        }
        found.is_none()
    });
    found
}

/// How many characters the number literal at `pos` takes as written (`600_000`, `-1.5e5`),
/// at least 1: the AST keeps a literal's value, not its text.
fn number_len(script: &str, pos: rhai::Position) -> usize {
    let (Some(line), Some(column)) = (pos.line(), pos.position()) else { return 1 };
    let Some(text) = script.lines().nth(line.saturating_sub(1)) else { return 1 };
    let mut chars = text.chars().skip(column.saturating_sub(1)).peekable();
    let mut len = 0;
    let mut prev = ' ';
    while let Some(&c) = chars.peek() {
        let sign = (c == '-' || c == '+') && (len == 0 || matches!(prev, 'e' | 'E'));
        if !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || sign) {
            break;
        }
        len += 1;
        prev = c;
        chars.next();
    }
    len.max(1)
}

/// Whether `script` uses the name `name` (a variable, function or property), as Rhai's
/// tokenizer reads it: a mention in a comment or a string is not a use.
pub fn uses_name(script: &str, name: &str) -> bool {
    if !script.contains(name) {
        return false;
    }
    with_tokens(script, |mut tokens| {
        Iterator::any(&mut tokens, |(t, _)| matches!(&t, Token::Identifier(id) if id.as_str() == name))
    })
}

/// The names `script` declares with `let` or `const`, as Rhai's tokenizer reads them.
pub fn declared_names(script: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut declaring = false;
    with_tokens(script, |tokens| {
        for (token, _) in tokens {
            if declaring && let Token::Identifier(id) = &token {
                names.push(id.to_string());
            }
            declaring = matches!(token, Token::Let | Token::Const);
        }
    });
    names
}

/// What a cell's text says about where its values come from, read in one pass of Rhai's
/// tokenizer: the names it declares (`let`, `const`), its words (every name and string
/// literal, each once, in order) and the slugs of its `results("slug")` calls.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lineage {
    pub declared: Vec<String>,
    pub words: Vec<String>,
    pub results: Vec<String>,
    /// Whether a `results()` call computes its slug: what it read is known from the run.
    pub computed: bool,
}

pub fn lineage(script: &str) -> Lineage {
    let mut out = Lineage::default();
    let tokens = tokens(script);
    for (i, (token, _)) in tokens.iter().enumerate() {
        let word = match token {
            Token::Identifier(id) => id.as_str(),
            Token::StringConstant(s) => s.as_str(),
            _ => continue,
        };
        let previous = i.checked_sub(1).map(|p| &tokens[p].0);
        if matches!(token, Token::Identifier(_)) && matches!(previous, Some(Token::Let | Token::Const)) {
            out.declared.push(word.to_string());
        }
        let called = word == "results"
            && !matches!(previous, Some(Token::Period | Token::Elvis))
            && matches!(tokens.get(i + 1), Some((Token::LeftParen, _)));
        match (called, tokens.get(i + 2), tokens.get(i + 3)) {
            (true, Some((Token::StringConstant(slug), _)), Some((Token::RightParen, _))) => {
                out.results.push(slug.to_string());
            }
            (true, _, _) => out.computed = true,
            _ => {}
        }
        if !out.words.iter().any(|w| w == word) {
            out.words.push(word.to_string());
        }
    }
    out
}

/// Every call of the function `name` in `script` (method calls such as `x.name(...)` are not
/// calls of it).
pub fn calls_of(script: &str, name: &str) -> Vec<Call> {
    // Without the name there is no call: nothing to read.
    if !script.contains(name) {
        return Vec::new();
    }
    let tokens = self::tokens(script);
    let mut calls = Vec::new();
    for (i, (token, pos)) in tokens.iter().enumerate() {
        let Token::Identifier(id) = token else { continue };
        let method = i > 0 && matches!(tokens[i - 1].0, Token::Period | Token::Elvis);
        // `name()` with no arguments is one token, `()`.
        if id.as_str() != name || method || !matches!(tokens.get(i + 1), Some((Token::LeftParen | Token::Unit, _))) {
            continue;
        }
        let literal = match (tokens.get(i + 2), tokens.get(i + 3)) {
            (Some((Token::StringConstant(s), _)), Some((Token::RightParen, _))) => Some(s.to_string()),
            _ => None,
        };
        calls.push(Call { line: pos.line().unwrap_or(1), column: pos.position().unwrap_or(1), literal });
    }
    calls
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cells_lineage_is_read_in_one_pass() {
        let read = lineage(
            "let a = results(\"x\");\n// let no = 1\nconst b = a.tc + rows[\"base\"];\nlet c = m.results(\"no\");\n",
        );
        assert_eq!(read.declared, ["a", "b", "c"]);
        assert_eq!(read.results, ["x"]);
        assert_eq!(read.words, ["a", "results", "x", "b", "tc", "rows", "base", "c", "m", "no"]);
    }

    #[test]
    fn a_call_without_arguments_is_a_call() {
        let calls = calls_of("for p in site() { }\nlet s = site;\nx.site();\nsite ( )", "site");
        assert_eq!(calls.iter().map(|c| c.line).collect::<Vec<_>>(), [1, 4]);
    }

    #[test]
    fn calls_are_read_as_rhai_reads_them() {
        let script = "let a = results(\"x\");\n// results(\"no\")\nlet s = \"results(\\\"no\\\")\";\nlet b = my_results(\"no\");\nlet c = m.results(\"no\");\n  let d = results( `y` ) ;\nlet e = results(slug);\n";
        let calls = calls_of(script, "results");
        let found: Vec<(usize, usize, Option<&str>)> =
            calls.iter().map(|c| (c.line, c.column, c.literal.as_deref())).collect();
        assert_eq!(found, [(1, 9, Some("x")), (6, 11, Some("y")), (7, 9, None)]);
    }

    #[test]
    fn a_name_is_used_only_where_rhai_reads_it_as_one() {
        let script = "// rows\nlet s = \"rows\";\nlet n = column(rows, \"x\");";
        assert!(uses_name(script, "rows"));
        assert!(!uses_name("// rows\nlet s = \"rows\";", "rows"), "a comment or a string is not a use");
        assert!(!uses_name("let rowsx = 1;", "rows"));
    }

    #[test]
    fn declared_names_are_read_as_rhai_reads_them() {
        let script = "let a = 1; const B = 2;\n// let no = 3\nlet s = \"let no2 = 4\";\nfor i in 0..2 { let c = i; }";
        assert_eq!(declared_names(script), ["a", "B", "s", "c"]);
    }

    fn option(key: &str, at_key: bool, item: Option<usize>) -> OptionAt {
        OptionAt { key: key.to_string(), at_key, item }
    }

    #[test]
    fn options_are_placed_where_the_map_literal_writes_them() {
        let script = "let c = band_chart(rows, #{\n    y: \"tier\",\n    hi: \"nope\",\n});";
        assert_eq!(option_place(script, 1, 9, &option("hi", false, None)), Some((3, 9, 6)));
        assert_eq!(option_place(script, 1, 9, &option("hi", true, None)), Some((3, 5, 2)));
        assert_eq!(option_place(script, 1, 9, &option("lo", false, None)), None);
        assert_eq!(option_place("band_chart(rows, opts)", 1, 1, &option("hi", false, None)), None);
    }

    #[test]
    fn a_number_option_is_marked_as_written() {
        let script = "band_chart(rows, #{ y: \"t\", x_min: 100_000, x_max: 6.5e5, width: -3 })";
        assert_eq!(option_place(script, 1, 1, &option("x_min", false, None)), Some((1, 36, 7)));
        assert_eq!(option_place(script, 1, 1, &option("x_max", false, None)), Some((1, 52, 5)));
        let (_, column, len) = option_place(script, 1, 1, &option("width", false, None)).unwrap_or_default();
        assert_eq!(script.chars().skip(column - 1).take(len).collect::<String>().trim_start_matches('-'), "3");
    }

    #[test]
    fn column_options_are_placed_in_their_item_of_the_array() {
        let script = "table(rows, [\"tier\", #{ key: \"base\", format: \"pct\" }, 5])";
        assert_eq!(option_place(script, 1, 1, &option("key", false, Some(0))), Some((1, 14, 6)));
        assert_eq!(option_place(script, 1, 1, &option("", false, Some(0))), Some((1, 14, 6)));
        assert_eq!(option_place(script, 1, 1, &option("format", false, Some(1))), Some((1, 46, 5)));
        assert_eq!(option_place(script, 1, 1, &option("format", true, Some(1))), Some((1, 38, 6)));
        assert_eq!(option_place(script, 1, 1, &option("", false, Some(2))), Some((1, 55, 1)));
        assert_eq!(option_place(script, 1, 1, &option("key", false, Some(3))), None);
        assert_eq!(option_place("table(rows, cols)", 1, 1, &option("key", false, Some(0))), None);
    }
}
