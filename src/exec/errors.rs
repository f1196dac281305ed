//! A cell's errors. Those the library functions raise are typed: the code they are reported
//! under travels with the message, so the report never guesses an error's kind from its
//! words. `parse_error` and `eval_error` turn Rhai's errors into diagnostics at their place
//! in the notebook file.

use rhai::{Dynamic, EvalAltResult, ParseError, ParseErrorType, Position, Scope};

use super::{Limits, calls, operators, sandbox};
use crate::diag::{Code, Diagnostic};
use crate::notebook::{Cell, Notebook};

/// An error raised by one of nbrender's functions inside a cell.
#[derive(Debug, Clone)]
pub struct Raised {
    pub code: Code,
    pub message: String,
    /// What to do about it, when the function knows better than its code's usual hint.
    pub hint: Option<String>,
    /// The option of the call (`hi` of `band_chart(rows, #{ hi: "nope" })`) at fault, when one
    /// is: the report points at it where the call's options are written.
    pub option: Option<OptionAt>,
}

/// An option of a call, and whether its key (an unknown option) or its value is at fault.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionAt {
    pub key: String,
    pub at_key: bool,
    /// The option is in this item of an array argument (a column of `table(rows, columns)`),
    /// a map literal or, for `key`, a string literal; with no `key`, the item itself.
    pub item: Option<usize>,
}

impl std::fmt::Display for Raised {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The error a library function returns to Rhai: a [`Raised`] with `code`.
pub fn raise(code: Code, message: impl Into<String>) -> Box<EvalAltResult> {
    raise_hinted(code, message, None)
}

/// [`raise`], with the hint to show.
pub fn raise_hinted(code: Code, message: impl Into<String>, hint: Option<&str>) -> Box<EvalAltResult> {
    let raised = Raised { code, message: message.into(), hint: hint.map(str::to_string), option: None };
    EvalAltResult::ErrorRuntime(Dynamic::from(raised), Position::NONE).into()
}

/// `error` as an error of `code`, when it is a plain runtime error of a function (a message
/// given as text): the chart functions' errors are `chart::spec` errors, say.
pub fn as_code(code: Code, error: Box<EvalAltResult>) -> Box<EvalAltResult> {
    let EvalAltResult::ErrorRuntime(value, pos) = &*error else { return error };
    if !value.is_string() {
        return error;
    }
    let raised = Raised { code, message: value.to_string(), hint: None, option: None };
    EvalAltResult::ErrorRuntime(Dynamic::from(raised), *pos).into()
}

/// `error`, raised as an error of `code` about the option `key` (its key when `at_key`, else
/// its value). An error that already names its option keeps it.
pub fn at_option(code: Code, key: &str, at_key: bool, error: Box<EvalAltResult>) -> Box<EvalAltResult> {
    placed(code, OptionAt { key: key.to_string(), at_key, item: None }, error)
}

/// `error`, raised as an error of `code` about `option`. An error that already names its
/// option keeps it.
pub fn placed(code: Code, option: OptionAt, error: Box<EvalAltResult>) -> Box<EvalAltResult> {
    let EvalAltResult::ErrorRuntime(value, pos) = &*error else { return error };
    let option = Some(option);
    let raised = match raised(value) {
        Some(r) if r.option.is_some() => return error,
        Some(r) => Raised { option, ..r },
        None if value.is_string() => Raised { code, message: value.to_string(), hint: None, option },
        None => return error,
    };
    EvalAltResult::ErrorRuntime(Dynamic::from(raised), *pos).into()
}

/// What a raised error holds: its code and message, when one of nbrender's functions raised it.
pub fn raised(value: &Dynamic) -> Option<Raised> {
    value.read_lock::<Raised>().map(|r| r.clone())
}

/// Registers how a raised error reads inside a script (`catch (e) { print(e) }`).
pub fn register(engine: &mut rhai::Engine) {
    engine
        .register_type_with_name::<Raised>("error")
        .register_fn("to_string", |r: &mut Raised| r.message.clone())
        .register_fn("to_debug", |r: &mut Raised| r.message.clone());
}

/// The location in the notebook file of a position inside a cell's script.
fn locate(notebook: &Notebook, cell: &Cell, pos: Position, d: Diagnostic) -> Diagnostic {
    match (pos.line(), pos.position()) {
        (Some(line), col) => {
            d.at_line_col(&notebook.source, cell.file_line(line), cell.file_column(line, col.unwrap_or(1)), 1)
        }
        _ => d.at(&notebook.source, notebook.source.line_span(cell.fence_line)),
    }
}

/// Names a cell can see: the scope's, and those its own script declares with `let`/`const`.
fn scope_names(scope: &Scope, cell: &Cell) -> Vec<String> {
    let mut names: Vec<String> = scope.iter_raw().map(|(name, _, _)| name.to_string()).collect();
    names.extend(calls::declared_names(&cell.script));
    names
}

/// Functions a cell may call, for "did you mean": ours and Rhai's common ones.
const FUNCTIONS: &[&str] = &[
    "band",
    "band_of",
    "min",
    "max",
    "sum",
    "mean",
    "median",
    "percentile",
    "round_to",
    "column",
    "where",
    "group_by",
    "sort_by",
    "table",
    "band_chart",
    "bar_chart",
    "stacked_bar_chart",
    "line_chart",
    "assert",
    "div",
    "print",
    "len",
    "push",
    "map",
    "filter",
    "reduce",
    "sort",
    "abs",
    "round",
    "floor",
    "ceiling",
    "to_string",
    "keys",
    "values",
    "contains",
    "is_empty",
    "type_of",
    "to_int",
    "to_float",
    "parse_int",
    "parse_float",
];

pub(super) fn parse_error(notebook: &Notebook, cell: &Cell, scope: &Scope, err: &ParseError) -> Diagnostic {
    let (code, message, hint) = match err.err_type() {
        ParseErrorType::VariableUndefined(name) => {
            let names = scope_names(scope, cell);
            let hint = crate::diag::did_you_mean(name, names.iter().map(String::as_str))
                .map(|best| format!("did you mean `{best}`?"))
                .unwrap_or_else(|| {
                    "define it with `let` in this or an earlier cell, or declare it under `data:` or `params:`".into()
                });
            (Code::ExecUndefinedVariable, format!("undefined variable `{name}` in cell {}", cell.number), hint)
        }
        other => {
            // Prose in a cell: its closing fence went missing, and a later fence closed it.
            let line = err.position().line().and_then(|l| cell.script.lines().nth(l.saturating_sub(1)));
            let hint = match line.is_some_and(crate::notebook::is_heading) {
                true => "this line is a Markdown heading: the cell's closing fence is missing above it".into(),
                false => "check the Rhai syntax at this point".into(),
            };
            (Code::ExecSyntax, format!("syntax error in cell {}: {other}", cell.number), hint)
        }
    };
    locate(notebook, cell, err.position(), Diagnostic::error(code, message)).with_hint(hint)
}

pub(super) fn eval_error(
    notebook: &Notebook,
    cell: &Cell,
    scope: &Scope,
    err: &EvalAltResult,
    limits: &Limits,
    memory: sandbox::Memory,
) -> Diagnostic {
    // Errors raised inside our functions come wrapped in the call; report the inner message at
    // the call's position.
    let mut inner = err;
    let mut pos = err.position();
    while let EvalAltResult::ErrorInFunctionCall(_, _, e, p) = inner {
        if !p.is_none() && pos.is_none() {
            pos = *p;
        }
        inner = e;
        if !inner.position().is_none() {
            pos = inner.position();
        }
    }
    let n = cell.number;
    // A place more precise than the call's (line, column, length in the script), when known.
    let mut placed: Option<(usize, usize, usize)> = None;
    let (code, message, hint): (Code, String, String) = match inner {
        EvalAltResult::ErrorTooManyOperations(_) => (
            Code::ExecLimit,
            format!("cell {n} exceeded the limit of {} operations", crate::format::num(limits.max_operations as f64)),
            "look for a loop that never ends, or do less work in this cell; \
             raise `operations` under `limits:` in `_site.yaml` if it needs more steps"
                .into(),
        ),
        EvalAltResult::ErrorTerminated(token, _) => {
            let seconds = |d: std::time::Duration| crate::format::trim_decimals(d.as_secs_f64(), 3);
            let (message, hint) = match sandbox::Stop::from_token(token) {
                Some(sandbox::Stop::WallTime) => (
                    format!(
                        "cell {n} ran longer than the limit of {} seconds of wall-clock time",
                        seconds(limits.max_wall_time)
                    ),
                    "the machine may be very busy, or the cell waits on something; \
                     raise `wall_seconds` under `limits:` in `_site.yaml` if it must run this long",
                ),
                Some(sandbox::Stop::Memory) => (
                    {
                        let data = memory.room().saturating_sub(limits.max_memory);
                        let room = match data {
                            0 => String::new(),
                            d => format!(", and {} more for a copy of its data", crate::format::bytes(d)),
                        };
                        format!(
                            "cell {n} holds more than the limit of {} of memory{room}, with what the notebook's earlier cells hold",
                            crate::format::bytes(limits.max_memory)
                        )
                    },
                    "work on less data, keep fewer copies of large values, \
                     or raise `memory_bytes` under `limits:` in `_site.yaml`",
                ),
                Some(sandbox::Stop::Printed) => (
                    format!(
                        "cell {n} printed more than the limit of {} bytes",
                        crate::format::num(limits.max_print_bytes as f64)
                    ),
                    "print less (a table or a chart shows many values better), \
                     or raise `print_bytes` under `limits:` in `_site.yaml`",
                ),
                Some(sandbox::Stop::Waits) => (
                    format!("cell {n} reads the results of a notebook that has not run yet"),
                    "it runs again once that notebook has",
                ),
                _ => (
                    format!(
                        "cell {n} ran longer than the limit of {} seconds of CPU time",
                        seconds(limits.max_cell_time)
                    ),
                    "look for a loop that never ends, or do less work in this cell; \
                     raise `seconds` under `limits:` in `_site.yaml` if it must run this long",
                ),
            };
            (Code::ExecLimit, message, hint.into())
        }
        EvalAltResult::ErrorStackOverflow(_) => (
            Code::ExecLimit,
            format!("cell {n} exceeded the call-depth limit of {}", limits.max_call_levels),
            "look for a function that calls itself without end".into(),
        ),
        EvalAltResult::ErrorDataTooLarge(what, _) => {
            let num = |x: usize| crate::format::num(x as f64);
            // Rhai counts a value's texts, items and keys together, nested ones included.
            if what.contains("Depth") {
                return locate(
                    notebook,
                    cell,
                    pos,
                    Diagnostic::error(
                        Code::ExecLimit,
                        format!(
                            "cell {n} nests a value deeper than the limit of {} levels",
                            num(limits.max_value_depth)
                        ),
                    ),
                )
                .with_hint(
                    "keep values flatter (rows of a table rather than values inside values), \
                     or raise `value_depth` under `limits:` in `_site.yaml`",
                );
            }
            let (limit, key) = if what.contains("string") {
                (format!("{} bytes of text", num(limits.max_string_size)), "string_bytes")
            } else if what.contains("array") {
                (format!("{} array items", num(limits.max_array_size)), "array_items")
            } else {
                (format!("{} map keys", num(limits.max_map_size)), "map_keys")
            };
            (
                Code::ExecLimit,
                format!("cell {n} exceeded the limit of {limit} in one value (nested values count together)"),
                format!("work on less data in this cell, or raise `{key}` under `limits:` in `_site.yaml`"),
            )
        }
        EvalAltResult::ErrorPropertyNotFound(key, _) => (
            Code::ExecMissingKey,
            format!("cell {n} reads the map key `{key}`, which does not exist"),
            "check the key's spelling against the data's column names".into(),
        ),
        EvalAltResult::ErrorVariableNotFound(name, _) => {
            let names = scope_names(scope, cell);
            let hint = crate::diag::did_you_mean(name, names.iter().map(String::as_str))
                .map(|b| format!("did you mean `{b}`?"))
                .unwrap_or_else(|| "define it with `let` first".into());
            (Code::ExecUndefinedVariable, format!("undefined variable `{name}` in cell {n}"), hint)
        }
        EvalAltResult::ErrorRuntime(d, _) => {
            let (code, text, hint, option) = match raised(d) {
                Some(r) => (r.code, r.message, r.hint, r.option),
                None => (Code::ExecRuntime, d.to_string(), None, None),
            };
            // An option at fault is shown where the call's map literal writes it.
            let at_option = option.and_then(|o| {
                let (line, column) = (pos.line()?, pos.position()?);
                calls::option_place(&cell.script, line, column, &o)
            });
            if let Some((line, column, len)) = at_option {
                placed = Some((line, column, len));
            }
            let usual = match code {
                Code::ExecAssert => "the data no longer satisfies what this notebook assumes; check the data files",
                Code::ExecMissingKey => "a notebook's results are the variables its cells define with `let`",
                Code::ChartSpec => "check the chart's options against its rows (docs/format.md, Charts)",
                Code::TableSpec => "check the table's columns against its rows (docs/format.md, The library)",
                _ => "check the values passed at this point",
            };
            (code, format!("cell {n}: {text}"), hint.unwrap_or_else(|| usual.into()))
        }
        EvalAltResult::ErrorFunctionNotFound(sig, _) if operators::operator_of(sig).is_some() => {
            let (message, hint) = operators::explain(sig, &cell.script, pos, scope);
            (Code::ExecOperandTypes, format!("cell {n}: {message}"), hint)
        }
        EvalAltResult::ErrorFunctionNotFound(sig, _) => {
            let name = sig.split([' ', '(']).next().unwrap_or(sig);
            let hint = match crate::diag::did_you_mean(name, FUNCTIONS.iter().copied()) {
                Some(best) if best != name => format!("did you mean `{best}`?"),
                _ => "check the function's name and the types of its arguments (numbers, strings, arrays, maps, bands)"
                    .into(),
            };
            (
                Code::ExecUnknownFunction,
                format!("cell {n} calls `{sig}`, which does not exist for these argument types"),
                hint,
            )
        }
        other => (Code::ExecRuntime, format!("cell {n}: {other}"), "fix the script at this point".into()),
    };
    let d = Diagnostic::error(code, message);
    let d = match placed {
        Some((line, column, len)) => {
            let start = notebook.source.offset(cell.file_line(line), cell.file_column(line, column));
            let end = notebook.source.text[start..]
                .char_indices()
                .nth(len)
                .map_or(notebook.source.text.len(), |(b, _)| start + b);
            d.at(&notebook.source, start..end)
        }
        None => locate(notebook, cell, pos, d),
    };
    d.with_hint(hint)
}
