//! Code cells: `{rhai}` fences, their `//| key: value` option lines, and their place in the file.

use std::sync::Arc;

use crate::diag::{Code, Diagnostic, SourceFile};
use crate::notebook::frontmatter::ExecuteDefaults;

/// Every cell option, for "did you mean".
pub const OPTION_KEYS: &[&str] = &["label", "fig-cap", "tbl-cap", "echo", "output", "eval", "alt"];

/// A label with the byte span it was written at, so later stages can point at it.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub name: String,
    pub span: std::ops::Range<usize>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CellOptions {
    pub label: Option<Label>,
    pub fig_cap: Option<String>,
    pub tbl_cap: Option<String>,
    pub echo: bool,
    pub output: bool,
    pub eval: bool,
    pub alt: Option<String>,
}

/// One executable cell of a notebook.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// 1-based, in file order: the `n` of `In [n]`.
    pub number: usize,
    pub options: CellOptions,
    /// The script to run: option lines are blanked so Rhai's line numbers stay the cell's.
    pub script: String,
    /// The code shown on the page: the script without its option lines.
    pub display: String,
    /// 1-based file line of the opening fence.
    pub fence_line: usize,
    /// 1-based file line of the closing fence (the last line of the file when unclosed).
    pub close_line: usize,
    /// Bytes before each line of the script on its file line: what a list item or a quote
    /// holding the cell puts there (`  `, `> `).
    pub indents: Vec<usize>,
}

impl Cell {
    /// The file line of a 1-based line of the script.
    pub fn file_line(&self, script_line: usize) -> usize {
        self.fence_line + script_line.max(1)
    }

    /// The file column of a 1-based column on a 1-based line of the script.
    pub fn file_column(&self, script_line: usize, column: usize) -> usize {
        column + self.indents.get(script_line.max(1) - 1).copied().unwrap_or(0)
    }
}

/// Parses a cell's body (the lines between its fences).
pub fn parse_cell(
    file: &Arc<SourceFile>,
    number: usize,
    fence_line: usize,
    body: &[&str],
    defaults: &ExecuteDefaults,
    diagnostics: &mut Vec<Diagnostic>,
) -> Cell {
    let mut options = CellOptions {
        echo: defaults.echo.unwrap_or(true),
        output: defaults.output.unwrap_or(true),
        eval: defaults.eval.unwrap_or(true),
        ..CellOptions::default()
    };
    let mut script_lines = Vec::with_capacity(body.len());
    let mut in_options = true;
    let mut display_start = 0;
    let mut indents = Vec::with_capacity(body.len());
    for (i, line) in body.iter().enumerate() {
        let file_line = fence_line + 1 + i;
        let written = file.text[file.line_span(file_line)].trim_end_matches('\r');
        let indent = if written.ends_with(line) { written.len() - line.len() } else { 0 };
        indents.push(indent);
        let option = line.trim_start().strip_prefix("//|").or_else(|| line.trim_start().strip_prefix("#|"));
        match option {
            Some(rest) if in_options => {
                parse_option(file, file.line_start(file_line) + indent, line, rest, &mut options, diagnostics);
                script_lines.push("");
                display_start = i + 1;
            }
            _ => {
                in_options = false;
                script_lines.push(line);
            }
        }
    }
    let display = body.get(display_start..).unwrap_or(&[]).join("\n");
    Cell {
        number,
        options,
        script: script_lines.join("\n"),
        display: display.trim_end().to_string(),
        fence_line,
        close_line: fence_line + body.len() + 1,
        indents,
    }
}

fn parse_option(
    file: &Arc<SourceFile>,
    line_start: usize,
    line: &str,
    rest: &str,
    options: &mut CellOptions,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let rest_offset = line.len() - rest.len();
    let Some((raw_key, raw_value)) = rest.split_once(':') else {
        diagnostics.push(
            Diagnostic::error(Code::CellOptionSyntax, "a cell option line needs the form `//| key: value`")
                .at(file, line_start..line_start + line.len())
                .with_hint("e.g. `//| label: fig-bands`"),
        );
        return;
    };
    let key = raw_key.trim();
    let key_offset = line_start + rest_offset + (raw_key.len() - raw_key.trim_start().len());
    let value_text = raw_value.trim();
    let value_offset = line_start + rest_offset + raw_key.len() + 1 + (raw_value.len() - raw_value.trim_start().len());
    let value_span = value_offset..value_offset + value_text.len().max(1);
    let text = || unquote(value_text);
    let boolean = |diagnostics: &mut Vec<Diagnostic>| match value_text {
        "true" | "yes" => Some(true),
        "false" | "no" => Some(false),
        _ => {
            diagnostics.push(
                Diagnostic::error(Code::CellOptionValue, format!("cell option `{key}` takes `true` or `false`"))
                    .at(file, value_span.clone())
                    .with_label(format!("`{value_text}` is not a boolean")),
            );
            None
        }
    };
    match key {
        "label" => {
            let name = text();
            if !(name.starts_with("fig-") || name.starts_with("tbl-")) || !is_label_name(&name) {
                diagnostics.push(
                    Diagnostic::error(Code::CellBadLabel, format!("invalid cell label `{name}`"))
                        .at(file, value_span)
                        .with_hint("a cell label starts with `fig-` (a figure) or `tbl-` (a table), then letters, digits, `-` or `_`"),
                );
                return;
            }
            options.label = Some(Label { name, span: value_span });
        }
        "fig-cap" => options.fig_cap = Some(text()),
        "tbl-cap" => options.tbl_cap = Some(text()),
        "alt" => options.alt = Some(text()),
        "echo" => options.echo = boolean(diagnostics).unwrap_or(options.echo),
        "output" => options.output = boolean(diagnostics).unwrap_or(options.output),
        "eval" => options.eval = boolean(diagnostics).unwrap_or(options.eval),
        _ => diagnostics.push(
            Diagnostic::error(Code::CellUnknownOption, format!("unknown cell option `{key}`"))
                .at(file, key_offset..key_offset + key.len().max(1))
                .with_suggestion(key, OPTION_KEYS.iter().copied())
                .or_hint(format!("cell options are: {}", OPTION_KEYS.join(", "))),
        ),
    }
}

/// `fig-…`/`tbl-…`/`sec-…` label names: ASCII letters, digits, `-`, `_`.
pub fn is_label_name(name: &str) -> bool {
    name.split_once('-').is_some_and(|(_, rest)| !rest.is_empty())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn unquote(s: &str) -> String {
    let inner = s
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .or_else(|| s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')));
    inner.unwrap_or(s).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(body: &str) -> (Cell, Vec<Diagnostic>) {
        let text = format!("```{{rhai}}\n{body}\n```\n");
        let file = Arc::new(SourceFile::new("nb.md", text));
        let lines: Vec<&str> = body.lines().collect();
        let mut diags = Vec::new();
        let c = parse_cell(&file, 1, 1, &lines, &ExecuteDefaults::default(), &mut diags);
        (c, diags)
    }

    #[test]
    fn options_are_read_and_blanked_from_the_script() {
        let (c, d) = cell("//| label: fig-bands\n#| fig-cap: \"Band: chart\"\n//| echo: false\nlet x = 1;\nx");
        assert!(d.is_empty());
        assert_eq!(c.options.label.as_ref().map(|l| l.name.as_str()), Some("fig-bands"));
        assert_eq!(c.options.fig_cap.as_deref(), Some("Band: chart"));
        assert!(!c.options.echo);
        assert_eq!(c.script, "\n\n\nlet x = 1;\nx");
        assert_eq!(c.display, "let x = 1;\nx");
        assert_eq!(c.file_line(4), 5);
    }

    #[test]
    fn unknown_option_suggests_the_nearest() {
        let (_, d) = cell("//| lable: fig-x\n1");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].hint.as_deref(), Some("did you mean `label`?"));
        assert_eq!(d[0].position().map(|p| (p.1, p.2)), Some((2, 5)));
    }

    #[test]
    fn bad_values_are_errors() {
        let (_, d) = cell("//| echo: maybe\n//| label: bands\n1");
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn option_lines_after_code_are_code() {
        let (c, _) = cell("1\n//| label: fig-x");
        assert!(c.options.label.is_none());
    }
}
