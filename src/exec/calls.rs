//! Calls found in a script by Rhai's own tokenizer, before it runs: `results("slug")` tells the
//! site which notebooks must run first. Comments, strings and names that only contain the
//! function's name are told apart exactly as Rhai tells them apart when it runs the script.

use std::sync::OnceLock;

use rhai::Token;

/// One call of a function: where its name stands in the script (1-based line and column, in
/// characters) and its argument when that is a single string literal (`results("hub")`).
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub line: usize,
    pub column: usize,
    pub literal: Option<String>,
}

/// Every call of the function `name` in `script` (method calls such as `x.name(...)` are not
/// calls of it).
pub fn calls_of(script: &str, name: &str) -> Vec<Call> {
    static ENGINE: OnceLock<rhai::Engine> = OnceLock::new();
    let engine = ENGINE.get_or_init(rhai::Engine::new_raw);
    let inputs = [script];
    let (tokens, _) = engine.lex(&inputs);
    let tokens: Vec<(Token, rhai::Position)> = tokens.take_while(|(t, _)| !matches!(t, Token::EOF)).collect();
    let mut calls = Vec::new();
    for (i, (token, pos)) in tokens.iter().enumerate() {
        let Token::Identifier(id) = token else { continue };
        let method = i > 0 && matches!(tokens[i - 1].0, Token::Period | Token::Elvis);
        if id.as_str() != name || method || !matches!(tokens.get(i + 1), Some((Token::LeftParen, _))) {
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
    fn calls_are_read_as_rhai_reads_them() {
        let script = "let a = results(\"x\");\n// results(\"no\")\nlet s = \"results(\\\"no\\\")\";\nlet b = my_results(\"no\");\nlet c = m.results(\"no\");\n  let d = results( `y` ) ;\nlet e = results(slug);\n";
        let calls = calls_of(script, "results");
        let found: Vec<(usize, usize, Option<&str>)> =
            calls.iter().map(|c| (c.line, c.column, c.literal.as_deref())).collect();
        assert_eq!(found, [(1, 9, Some("x")), (6, 11, Some("y")), (7, 9, None)]);
    }
}
