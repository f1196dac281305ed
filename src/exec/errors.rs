//! Errors the library functions raise, typed: the code they are reported under travels with
//! the message, so the report never has to guess the kind of an error from its words.

use rhai::{Dynamic, EvalAltResult, Position};

use crate::diag::Code;

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
