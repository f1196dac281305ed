//! Templates: minijinja lives here and nowhere else. Prose and frontmatter text fields are
//! expanded over a notebook's final values; theme pages are rendered over a page context.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use indexmap::IndexMap;
use minijinja::value::{Kwargs, Object, ObjectRepr, Value as JValue};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, UndefinedBehavior};

use crate::chart::AxisBounds;
use crate::exec::{Band, Value};
use crate::format::Filter;
use crate::html::escape_html;

mod trace;
use trace::{Instrumented, TAG_FN};
pub use trace::{Origin, Raw, Shown};

/// A template error with its place in the template's own text.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateError {
    pub message: String,
    /// Byte range in the template source, when known.
    pub range: Option<std::ops::Range<usize>>,
    /// 1-based line in the template source, when known.
    pub line: Option<usize>,
    pub kind: TemplateKind,
}

/// What went wrong in a template, as the engine says it (never read from its message).
#[derive(Debug, Clone, PartialEq)]
pub enum TemplateKind {
    /// A name nothing defines: the name, so callers can suggest another.
    Undefined(String),
    /// A key a map does not have (`mlops.tcc`), with the keys it has, to suggest one.
    NoKey(Box<MissingKey>),
    /// A filter that does not exist: its name as written.
    UnknownFilter(String),
    /// The template cannot be read (a tag left open, an unexpected token).
    Syntax,
    /// The template used up the fuel it was given.
    OutOfFuel,
    /// The output passed the limit on expanded text: expanding stopped there.
    TooLarge,
    /// A filter or function refused its input, or expanding failed otherwise.
    Failed,
}

/// A key a map in prose does not have, and the keys it has.
#[derive(Debug, Clone, PartialEq)]
pub struct MissingKey {
    pub key: String,
    pub keys: Vec<String>,
}

/// How expanded values are written into the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Into Markdown: values are text, never markup, so Markdown punctuation is escaped.
    Markdown,
    /// Into plain text (titles, ledes).
    Text,
}

/// The environments for prose: strict undefined, our filters, `{##` comments so that
/// `{#sec-x}` attribute blocks are left alone.
pub struct ProseTemplates {
    markdown: Environment<'static>,
    text: Environment<'static>,
    limits: ProseLimits,
}

/// How much prose one notebook may make (`limits:` in `_site.yaml`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProseLimits {
    /// Bytes of one expanded text, and of a notebook's prose once expanded.
    pub max_bytes: u64,
    /// Markdown elements of a notebook's prose once expanded (see
    /// `prose::markdown::past_element_limit`).
    pub max_elements: usize,
}

impl Default for ProseLimits {
    fn default() -> Self {
        ProseLimits { max_bytes: 16 << 20, max_elements: 1_500_000 }
    }
}

impl Default for ProseTemplates {
    fn default() -> Self {
        Self::new()
    }
}

impl ProseTemplates {
    pub fn new() -> Self {
        Self::within(ProseLimits::default())
    }

    pub fn within(limits: ProseLimits) -> Self {
        Self::with_fuel(limits, PROSE_FUEL)
    }

    /// Templates that may each use only `fuel` (see [`PROSE_FUEL`]): a family's slug and title
    /// templates are expanded once per member, up to a million times.
    pub fn with_fuel(limits: ProseLimits, fuel: u64) -> Self {
        ProseTemplates { markdown: prose_env(Output::Markdown, fuel), text: prose_env(Output::Text, fuel), limits }
    }

    pub fn limits(&self) -> ProseLimits {
        self.limits
    }

    /// Expands a notebook's prose: statements run, and each value a `{{ }}` inserts is written
    /// as a placeholder (`marks.value`, its index, `marks.value`) and returned in the list,
    /// so that Markdown parses what the writer typed and never what a value holds. Each value
    /// comes with where it came from, when that is known.
    pub fn expand_prose(&self, source: &str, scope: &Scope, marks: Marks) -> Result<ProseValues, Vec<TemplateError>> {
        let placing =
            Placing { marks, values: Vec::new(), origins: Vec::new(), left: self.limits.max_bytes, over: false };
        PLACING.with(|p| *p.borrow_mut() = Some(placing));
        let (result, _) = trace::traced(|| self.run(source, scope, Output::Markdown, true));
        // Set just above, on this thread: always there.
        let placing = PLACING.with(|p| p.borrow_mut().take());
        let (over, values, origins) =
            placing.map_or((false, Vec::new(), Vec::new()), |p| (p.over, p.values, p.origins));
        match result {
            Err(_) if over => Err(vec![self.too_large()]),
            Err(e) => Err(e),
            Ok((text, instrumented)) => {
                let origins = origins.into_iter().map(|o| origin(o, instrumented.as_ref())).collect();
                Ok(ProseValues { text, values, origins })
            }
        }
    }

    /// Expands a text field (`Output::Text`), and says where each value it shows came from.
    pub fn expand_traced(&self, source: &str, scope: &Scope) -> Result<(String, Vec<Shown>), Vec<TemplateError>> {
        let (result, shown) = trace::traced(|| self.run(source, scope, Output::Text, true));
        let (text, instrumented) = result?;
        let shown = shown
            .into_iter()
            .filter_map(|(n, raw, text)| Some(Shown { origin: origin(Some((n, raw)), instrumented.as_ref())?, text }))
            .collect();
        Ok((text, shown))
    }

    fn too_large(&self) -> TemplateError {
        TemplateError {
            message: format!(
                "the text expands to more than {} bytes, the limit",
                crate::format::num(self.limits.max_bytes as f64)
            ),
            range: None,
            line: None,
            kind: TemplateKind::TooLarge,
        }
    }

    /// Expands `source` over `scope`. Every undefined name is reported, not only the first.
    pub fn expand(&self, source: &str, scope: &Scope, output: Output) -> Result<String, Vec<TemplateError>> {
        self.run(source, scope, output, false).map(|(text, _)| text)
    }

    /// Expands `source`; with `trace`, its tags numbered first (see `trace.rs`), and the
    /// numbered text returned to read the numbers back. Errors are placed in `source`.
    fn run(
        &self,
        source: &str,
        scope: &Scope,
        output: Output,
        trace: bool,
    ) -> Result<(String, Option<Instrumented>), Vec<TemplateError>> {
        let scope = &scope.0;
        if is_fixed(source) {
            return Ok((source.to_string(), None));
        }
        let env = match output {
            Output::Markdown => &self.markdown,
            Output::Text => &self.text,
        };
        let shadowed = scope.get_attr(TAG_FN).is_ok_and(|v| !v.is_undefined());
        // Tags are numbered only in a text that reads as written: wrapped, a tag the writer
        // got wrong (`{{ a, b }}`, `{{ a | }}`) would be reported as the wrapper reads it.
        let readable = || env.template_from_str(source).map_err(|err| vec![template_error(&err, source)]);
        let instrumented = match trace && !shadowed {
            true => Some(readable().map(|_| Instrumented::new(source, prose_syntax()))?),
            false => None,
        };
        let back = |mut e: TemplateError| {
            if let (Some(i), Some(r)) = (&instrumented, &e.range) {
                e.range = Some(i.original(r.start)..i.original(r.end));
            }
            e
        };
        let text = instrumented.as_ref().map_or(source, |i| i.text.as_str());
        let expanded = self.render(env, text, scope).map_err(|errors| errors.into_iter().map(back).collect());
        expanded.map(|expanded| (expanded, instrumented))
    }

    /// Renders `text`: a template's source, or its source with the tags numbered.
    fn render(&self, env: &Environment<'static>, text: &str, scope: &JValue) -> Result<String, Vec<TemplateError>> {
        let template = env.template_from_str(text).map_err(|err| vec![template_error(&err, text)])?;
        let undefined: Vec<TemplateError> = {
            let mut names: Vec<String> = template.undeclared_variables(false).into_iter().collect();
            names.sort();
            names
                .into_iter()
                .filter(|name| scope.get_attr(name).map_or(true, |v| v.is_undefined()))
                .filter(|name| !env.globals().any(|(global, _)| global == name))
                .map(|name| undefined_error(text, name))
                .collect()
        };
        if !undefined.is_empty() {
            let mut undefined = undefined;
            undefined.sort_by_key(|e| e.range.as_ref().map_or(0, |r| r.start));
            return Err(undefined);
        }
        // Written through a cap: one `{{ x }}` of a long text in a loop could otherwise make
        // gigabytes before any limit looked.
        let mut out = Capped { bytes: Vec::new(), left: self.limits.max_bytes, over: false };
        match template.render_captured_to(scope.clone(), &mut out) {
            Ok(_) => {
                Ok(String::from_utf8(out.bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
            }
            Err(_) if out.over => Err(vec![self.too_large()]),
            Err(err) => Err(vec![missing_key(&err, text, scope).unwrap_or_else(|| template_error(&err, text))]),
        }
    }
}

/// A notebook's prose, expanded: the text with value placeholders, what each stands for, and
/// where each came from.
#[derive(Debug, Clone, Default)]
pub struct ProseValues {
    pub text: String,
    pub values: Vec<Inserted>,
    pub origins: Vec<Option<Origin>>,
}

/// The origin of a value noted as tag `n`, placed in the template's own text.
fn origin(noted: Option<(usize, Vec<Raw>)>, instrumented: Option<&Instrumented>) -> Option<Origin> {
    let (n, raw) = noted?;
    let (tag, expression) = instrumented?.tags.get(n)?.clone();
    Some(Origin { tag, expression, raw })
}

/// The characters that mark, in expanded prose, what Markdown must not read: each is a
/// private-use character the notebook's body does not contain, so nothing a writer typed can
/// be taken for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marks {
    /// `V12V`: the 13th value inserted with `{{ }}`.
    pub value: char,
    /// `L7L`: what follows comes from line 7 of the notebook.
    pub line: char,
    /// `R3R`: the 4th fenced code block, put back as written after expanding.
    pub region: char,
}

impl Marks {
    fn contains(&self, c: char) -> bool {
        c == self.value || c == self.line || c == self.region
    }
}

/// What a value placeholder stands for.
#[derive(Debug, Clone, PartialEq)]
pub enum Inserted {
    /// Text, shown exactly as it is (the Markdown stage escapes nothing: it never parses it).
    Text(String),
    /// An embedded figure: the index of its request (see [`with_embeds`]).
    Embed(usize),
}

/// The values one prose expansion inserted, while it runs on this thread.
struct Placing {
    marks: Marks,
    values: Vec<Inserted>,
    /// The tag each value came from and its raw form, by index, when known.
    origins: Vec<Option<(usize, Vec<Raw>)>>,
    /// Bytes of values still allowed.
    left: u64,
    over: bool,
}

thread_local! {
    static PLACING: RefCell<Option<Placing>> = const { RefCell::new(None) };
}

/// An output that refuses to grow past a number of bytes.
struct Capped {
    bytes: Vec<u8>,
    left: u64,
    /// A write was refused.
    over: bool,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.len() as u64 > self.left {
            self.over = true;
            return Err(std::io::Error::other("the expanded text passes its limit"));
        }
        self.bytes.extend_from_slice(buf);
        self.left -= buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Text with no `{{ }}`, `{% %}` or `{## ##}`: it expands to itself, whatever the scope.
pub fn is_fixed(text: &str) -> bool {
    !text.contains("{{") && !text.contains("{%") && !text.contains("{##")
}

/// A notebook's final values, ready for its templates.
#[derive(Debug, Clone)]
pub struct Scope(JValue);

impl Scope {
    /// A context of plain values (a family member's parameters).
    pub fn from_json(values: &impl serde::Serialize) -> Scope {
        Scope(JValue::from(minijinja::value::Serde(values)))
    }
}

/// Converts a notebook's final values to a template context. A long list (a data table) is
/// converted row by row where a template looks, not copied whole.
pub fn scope_value(scope: &Arc<IndexMap<String, Value>>) -> Scope {
    let map: BTreeMap<String, JValue> = scope
        .iter()
        .map(|(k, v)| {
            let value = match v {
                Value::Array(items) if items.len() > LAZY_ITEMS => {
                    JValue::from_object(Rows { scope: Arc::clone(scope), name: k.clone() })
                }
                v => to_jvalue(v),
            };
            (k.clone(), value)
        })
        .collect();
    Scope(JValue::from(map))
}

/// Lists longer than this are handed to templates as [`Rows`].
const LAZY_ITEMS: usize = 1_000;

/// A long list of a notebook's final values, each item converted when a template reads it.
#[derive(Debug)]
struct Rows {
    scope: Arc<IndexMap<String, Value>>,
    name: String,
}

impl Rows {
    fn items(&self) -> &[Value] {
        match self.scope.get(&self.name) {
            Some(Value::Array(items)) => items,
            _ => &[],
        }
    }
}

impl Object for Rows {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &JValue) -> Option<JValue> {
        self.items().get(key.as_usize()?).map(to_jvalue)
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Seq(self.items().len())
    }
}

fn to_jvalue(v: &Value) -> JValue {
    match v {
        Value::Unit => JValue::from(()),
        Value::Bool(b) => JValue::from(*b),
        Value::Int(i) => JValue::from(*i),
        Value::Float(f) => JValue::from(*f),
        Value::Str(s) => JValue::from(s.as_str()),
        Value::Array(items) => JValue::from(items.iter().map(to_jvalue).collect::<Vec<_>>()),
        Value::Map(map) => JValue::from(map.iter().map(|(k, v)| (k.clone(), to_jvalue(v))).collect::<BTreeMap<_, _>>()),
        Value::Band(b) => JValue::from_object(BandObject(*b)),
        Value::Table(_) => JValue::from_object(Opaque("a table")),
        Value::Chart(_) => JValue::from_object(Opaque("a chart")),
        Value::Results(r) => JValue::from_object(ResultsObject(r.clone())),
    }
}

/// Another notebook's results in a template, converted only where a template looks.
#[derive(Debug)]
struct ResultsObject(crate::exec::Exports);

impl Object for ResultsObject {
    fn get_value(self: &Arc<Self>, key: &JValue) -> Option<JValue> {
        self.0.get(key.as_str()?).map(to_jvalue)
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        let keys: Vec<JValue> = self.0.iter().map(|(k, _)| JValue::from(k.as_str())).collect();
        minijinja::value::Enumerator::Values(keys)
    }
}

#[derive(Debug)]
struct BandObject(Band);

impl Object for BandObject {
    fn get_value(self: &Arc<Self>, key: &JValue) -> Option<JValue> {
        match key.as_str()? {
            "lo" => Some(JValue::from(self.0.lo)),
            "hi" => Some(JValue::from(self.0.hi)),
            "mid" => Some(JValue::from(self.0.mid())),
            _ => None,
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Value::Band(self.0).display_text())
    }
}

/// Tables and charts cannot be printed into prose; the formatter refuses them.
#[derive(Debug)]
struct Opaque(&'static str);

impl Object for Opaque {}

/// The charts prose may embed with `figure("slug", "label")` while one page renders, and the
/// embeds asked for so far.
pub struct Embeds {
    pub available: HashMap<String, crate::exec::Exports>,
    pub requests: Vec<EmbedRequest>,
}

/// One `figure("slug", "label", x_min=…)` call, checked against the chart it names.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbedRequest {
    pub slug: String,
    pub label: String,
    /// The value-axis bounds to redraw the chart with (its own, with the call's over them),
    /// when the call gives any; `None` shows the chart as its notebook draws it.
    pub bounds: Option<AxisBounds>,
}

thread_local! {
    static EMBEDS: RefCell<Option<Embeds>> = const { RefCell::new(None) };
}

/// Runs `f` with `available` embeddable; returns its result and the embeds it asked for.
pub fn with_embeds<R>(
    available: HashMap<String, crate::exec::Exports>,
    f: impl FnOnce() -> R,
) -> (R, Vec<EmbedRequest>) {
    EMBEDS.with(|e| *e.borrow_mut() = Some(Embeds { available, requests: Vec::new() }));
    let result = f();
    let requests = EMBEDS.with(|e| e.borrow_mut().take().map(|e| e.requests).unwrap_or_default());
    (result, requests)
}

/// An embedded figure in prose: the index of its request.
#[derive(Debug)]
struct EmbedRef(usize);

impl Object for EmbedRef {}

/// `figure("slug", "label")`: stands for another notebook's chart; with `x_min=…` (the
/// bounds its kind takes), for that chart redrawn on those bounds.
fn figure(slug: &str, label: &str, kwargs: &Kwargs) -> Result<JValue, Error> {
    EMBEDS.with(|cell| {
        let mut guard = cell.borrow_mut();
        let Some(embeds) = guard.as_mut() else {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "figure(...) places a chart in the page's prose, not here",
            ));
        };
        let Some(exports) = embeds.available.get(slug) else {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("figure(\"{slug}\", …): no notebook has that slug"),
            ));
        };
        let Some(chart) = exports.figures().get(label) else {
            let labels: Vec<&str> = exports.figures().keys().map(String::as_str).collect();
            let hint = match crate::diag::did_you_mean(label, labels.iter().copied()) {
                Some(best) => format!("did you mean `{best}`?"),
                None if labels.is_empty() => "it has no labelled charts".to_string(),
                None => format!("its charts are {}", labels.join(", ")),
            };
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("figure(\"{slug}\", \"{label}\"): that notebook has no chart labelled `{label}`; {hint}"),
            ));
        };
        let call = format!("figure(\"{slug}\", \"{label}\")");
        let bounds = figure_bounds(&call, &chart.spec, kwargs)?;
        embeds.requests.push(EmbedRequest { slug: slug.to_string(), label: label.to_string(), bounds });
        Ok(JValue::from_object(EmbedRef(embeds.requests.len() - 1)))
    })
}

/// The bounds a `figure()` call redraws `spec` with: its keywords (`x_min`, `x_max` for the
/// bar kinds; `y_min`, `y_max` for a line chart) over the chart's own bounds, checked against
/// the chart's marks and its size. `None` without keywords.
fn figure_bounds(call: &str, spec: &crate::chart::ChartSpec, kwargs: &Kwargs) -> Result<Option<AxisBounds>, Error> {
    let fail = |message: String| Error::new(ErrorKind::InvalidOperation, format!("{call}: {message}"));
    let axis = spec.data.value_axis();
    let [min_key, max_key] = axis.names();
    let mut given = AxisBounds::default();
    let mut keys: Vec<&str> = kwargs.args().collect();
    if keys.is_empty() {
        return Ok(None);
    }
    keys.sort_unstable();
    for key in keys {
        if let Some(right) = axis.right_name(key) {
            return Err(fail(format!(
                "`{key}` does not apply: this {}'s value axis {}, so its bounds are `{min_key}` and `{max_key}`; write `{right}` instead",
                spec.data.kind(),
                axis.words()
            )));
        }
        let slot = match key {
            k if k == min_key => &mut given.min,
            k if k == max_key => &mut given.max,
            _ => {
                let hint = match crate::diag::did_you_mean(key, [min_key, max_key]) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!("for this {} it takes `{min_key}` and `{max_key}`", spec.data.kind()),
                };
                return Err(fail(format!("unknown keyword `{key}`; {hint}")));
            }
        };
        let value: JValue = kwargs.get(key)?;
        let number = match value.kind() {
            minijinja::value::ValueKind::Number => f64::try_from(value.clone()).ok(),
            _ => None,
        };
        match number {
            Some(n) if n.is_finite() => *slot = Some(n),
            _ => return Err(fail(format!("`{key}` must be a number, not {}", describe_value(&value)))),
        }
    }
    let bounds = AxisBounds { min: given.min.or(spec.bounds.min), max: given.max.or(spec.bounds.max) };
    let bounded = crate::chart::ChartSpec { bounds, ..spec.clone() };
    bounded.check_bounds().map_err(|e| fail(e.message))?;
    crate::chart::size(&bounded).map_err(|e| fail(e.message))?;
    Ok(Some(bounds))
}

/// A template value in an error message: `the string "abc"`, `the boolean true`.
fn describe_value(value: &JValue) -> String {
    use minijinja::value::ValueKind;
    match value.kind() {
        ValueKind::String => format!("the string {:?}", value.as_str().unwrap_or_default()),
        ValueKind::Bool => format!("the boolean {value}"),
        ValueKind::Undefined | ValueKind::None => "an empty value".to_string(),
        ValueKind::Seq => "a list".to_string(),
        ValueKind::Map => "a map".to_string(),
        _ => format!("{value}"),
    }
}

/// The syntax of prose templates: `{## ##}` comments (`{#` opens attribute blocks, and
/// [`crate::prose`] turns `{# … #}` comments into these), and the last newline kept.
fn prose_syntax() -> minijinja::syntax::SyntaxConfig {
    minijinja::syntax::SyntaxConfig::builder()
        .comment_delimiters("{##", "##}")
        .keep_trailing_newline(true)
        .build()
        .unwrap_or_default()
}

/// A call of a template function, as minijinja's own tokenizer reads the template: the byte
/// span of its name, and its first argument when that is a string literal.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateCall {
    pub span: std::ops::Range<usize>,
    pub first: Option<String>,
}

/// Whether a template uses the name `name` inside its tags, as minijinja's tokenizer reads it.
pub fn uses_name(source: &str, name: &str) -> bool {
    use minijinja::machinery::{Token, tokenize};
    source.contains(name)
        && tokenize(source, false, prose_syntax())
            .map_while(Result::ok)
            .any(|(t, _)| matches!(t, Token::Ident(id) if id == name))
}

/// The names an expression reads at its root (`mlops` in `mlops.base | money`) and every
/// other word it names (keys, filters), as minijinja's tokenizer reads it.
pub fn expression_names(expression: &str) -> (Vec<String>, Vec<String>) {
    use minijinja::machinery::{Token, tokenize};
    let source = format!("{{{{ {expression} }}}}");
    let (mut roots, mut words) = (Vec::new(), Vec::new());
    let mut previous: Option<Token<'_>> = None;
    for (token, _) in tokenize(&source, false, prose_syntax()).map_while(Result::ok) {
        match &token {
            Token::Ident(id) if !matches!(previous, Some(Token::Dot | Token::Pipe)) => roots.push(id.to_string()),
            Token::Ident(id) => words.push(id.to_string()),
            Token::Str(s) => words.push(s.to_string()),
            _ => {}
        }
        previous = Some(token);
    }
    (roots, words)
}

/// Every call of the function `name` in a prose template, up to the first place the template
/// cannot be read (expanding it reports that place).
pub fn calls_of(source: &str, name: &str) -> Vec<TemplateCall> {
    use minijinja::machinery::{Token, tokenize};
    let tokens: Vec<_> = tokenize(source, false, prose_syntax()).map_while(Result::ok).collect();
    let mut calls = Vec::new();
    for (i, (token, span)) in tokens.iter().enumerate() {
        let called = matches!(token, Token::Ident(id) if *id == name)
            && !(i > 0 && matches!(tokens[i - 1].0, Token::Dot | Token::Pipe))
            && matches!(tokens.get(i + 1), Some((Token::ParenOpen, _)));
        if !called {
            continue;
        }
        let first = match tokens.get(i + 2) {
            Some((Token::Str(s), _)) => Some(s.to_string()),
            Some((Token::String(s), _)) => Some(s.to_string()),
            _ => None,
        };
        let start = span.start_offset as usize;
        calls.push(TemplateCall { span: start..start + name.len(), first });
    }
    calls
}

/// A string that is the whole expression of a `{{ }}` tag, perhaps through filters without
/// arguments (`{{ "25%" }}`, `{{ "a" | upper }}`): text typed into the prose in quotes. A tag
/// with the `literal` filter is not one: its text is a deliberate literal.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotedText {
    /// The string's token, quotes included.
    pub span: std::ops::Range<usize>,
    /// The string's value.
    pub text: String,
    /// Written without escapes: its value is the text between the quotes, byte for byte.
    pub exact: bool,
}

/// Every [`QuotedText`] of a prose template, as minijinja's tokenizer reads it, up to the
/// first place the template cannot be read.
pub fn quoted_texts(source: &str) -> Vec<QuotedText> {
    use minijinja::machinery::{Token, tokenize};
    let mut out = Vec::new();
    if !source.contains("{{") {
        return out;
    }
    let mut tokens = tokenize(source, false, prose_syntax()).map_while(Result::ok).peekable();
    while let Some((token, _)) = tokens.next() {
        if !matches!(token, Token::VariableStart) {
            continue;
        }
        let Some((string, span)) = tokens.next_if(|(t, _)| matches!(t, Token::Str(_) | Token::String(_))) else {
            continue;
        };
        let (text, exact) = match string {
            Token::Str(s) => (s.to_string(), true),
            Token::String(s) => (s.to_string(), false),
            _ => continue,
        };
        // Then only `| name` filters, none of them `literal`, to the tag's end.
        let mut literal = false;
        let whole = loop {
            match tokens.next() {
                Some((Token::VariableEnd, _)) => break true,
                Some((Token::Pipe, _)) => match tokens.next() {
                    Some((Token::Ident(name), _)) => literal |= name == "literal",
                    _ => break false,
                },
                _ => break false,
            }
        };
        if whole && !literal {
            out.push(QuotedText { span: span.start_offset as usize..span.end_offset as usize, text, exact });
        }
    }
    out
}

/// `literal`: the string it is given, unchanged. It marks a figure typed into the prose on
/// purpose (a quoted historical figure), which the `prose::typed-figure` lint then leaves
/// alone.
fn literal(v: JValue) -> Result<JValue, Error> {
    match v.as_str() {
        Some(s) => Ok(JValue::from(s)),
        None => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "`literal` publishes text typed in quotes, such as `{{{{ \"$150,000\" | literal }}}}`, not {}",
                describe_value(&v)
            ),
        )),
    }
}

/// The fuel one expansion of prose or a frontmatter text may use: about one unit per
/// instruction the template runs.
pub const PROSE_FUEL: u64 = 1_000_000;

fn prose_env(output: Output, fuel: u64) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_debug(false);
    env.set_fuel(Some(fuel));
    env.set_recursion_limit(64);
    // A prose text ends as it was written: the newline after a last `{% endfor %}` is the
    // writer's, and Markdown reads it.
    env.set_syntax(prose_syntax());
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_formatter(move |out, _state, value| {
        if value.is_none() {
            return Err(Error::new(ErrorKind::InvalidOperation, "this value is empty `()`: nothing to insert"));
        }
        if let Some(embed) = value.downcast_object_ref::<EmbedRef>() {
            return match output {
                Output::Markdown => place(out, Inserted::Embed(embed.0), 0),
                Output::Text => Err(Error::new(
                    ErrorKind::InvalidOperation,
                    "figure(...) places a chart in the page's prose, not here",
                )),
            };
        }
        if let Some(o) = value.downcast_object_ref::<Opaque>() {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("{} cannot be inserted into prose; make it a cell's output instead", o.0),
            ));
        }
        if value.as_str().is_none()
            && value.as_object().is_some()
            && value.downcast_object_ref::<BandObject>().is_none()
        {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "an array or map cannot be inserted into prose; insert one of its values",
            ));
        }
        if let Some(x) = non_finite(value) {
            return Err(not_finite_error(x));
        }
        // Macros and `caller()` give back the prose they made: it is the writer's Markdown,
        // with its values already placed.
        if output == Output::Markdown && value.is_safe() && value.as_str().is_some() {
            let _ = trace::take_current();
            return out.write_str(value.as_str().unwrap_or_default()).map_err(Error::from);
        }
        let text = match value.as_str() {
            Some(s) => s.to_string(),
            None => value.to_string(),
        };
        match output {
            Output::Markdown => {
                let bytes = text.len() as u64;
                place(out, Inserted::Text(text), bytes)
            }
            Output::Text => {
                let text = text.replace(['\n', '\r'], " ");
                trace::shown(&text);
                out.write_str(&text).map_err(Error::from)
            }
        }
    });
    env.add_function(TAG_FN, |n: usize, value: JValue| trace::tag(n, value));
    env.add_function("figure", |slug: &str, label: &str, kwargs: Kwargs| figure(slug, label, &kwargs));
    env.add_filter("literal", literal);
    for &name in Filter::NAMES {
        if let Some(filter) = Filter::parse(name) {
            env.add_filter(name, move |v: JValue| apply_filter(filter, &v));
        }
    }
    env
}

/// Writes the placeholder of a value and records what it stands for. A text that holds
/// placeholders (a `{% filter %}` block's output) stands for the text they stand for.
fn place(out: &mut minijinja::Output<'_>, inserted: Inserted, bytes: u64) -> Result<(), Error> {
    let token = PLACING.with(|p| {
        let mut guard = p.borrow_mut();
        let placing = guard.as_mut()?;
        if bytes > placing.left {
            placing.over = true;
            return Some(Err(Error::new(ErrorKind::InvalidOperation, "the prose passes its limit")));
        }
        placing.left -= bytes;
        let inserted = match inserted {
            Inserted::Text(t) if t.chars().any(|c| placing.marks.contains(c)) => {
                Inserted::Text(resolve_marks(&t, placing.marks, &placing.values))
            }
            other => other,
        };
        placing.values.push(inserted);
        placing.origins.push(trace::take_current());
        let mark = placing.marks.value;
        Some(Ok(format!("{mark}{}{mark}", placing.values.len() - 1)))
    });
    match token {
        Some(Ok(token)) => out.write_str(&token).map_err(Error::from),
        Some(Err(e)) => Err(e),
        None => Err(Error::new(ErrorKind::InvalidOperation, "prose is expanded with `expand_prose`")),
    }
}

/// Text with its value placeholders replaced by their text and every other mark dropped.
fn resolve_marks(text: &str, marks: Marks, values: &[Inserted]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(|c| marks.contains(c)) {
        out.push_str(&rest[..at]);
        let c = rest[at..].chars().next().unwrap_or(marks.value);
        let after = &rest[at + c.len_utf8()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let closed = after[digits..].starts_with(c);
        if closed
            && c == marks.value
            && let Some(Inserted::Text(t)) = after[..digits].parse::<usize>().ok().and_then(|i| values.get(i))
        {
            out.push_str(t);
        }
        rest = if closed { &after[digits + c.len_utf8()..] } else { after };
    }
    out.push_str(rest);
    out
}

fn apply_filter(filter: Filter, v: &JValue) -> Result<String, Error> {
    if let Some(b) = v.downcast_object_ref::<BandObject>() {
        return if filter.takes_band() {
            let text = filter.band(b.0.lo, b.0.hi);
            trace::filtered(Raw::Band(b.0.lo, b.0.hi), &text);
            Ok(text)
        } else {
            Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("`{}` formats one number, but this is a band; use `{}_band`", filter.name(), filter.name()),
            ))
        };
    }
    let number = f64::try_from(v.clone()).ok().filter(|_| v.is_number());
    if let Some(x) = number.filter(|x| !x.is_finite()) {
        return Err(not_finite_error(x));
    }
    match number {
        Some(x) if !filter.takes_band() => {
            let text = filter.number(x);
            trace::filtered(Raw::Number(x), &text);
            Ok(text)
        }
        Some(_) => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "`{}` formats a band, but this is a number; use `{}`",
                filter.name(),
                filter.name().trim_end_matches("_band")
            ),
        )),
        None => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "`{}` needs {}, not {}",
                filter.name(),
                if filter.takes_band() { "a band" } else { "a number" },
                v.kind()
            ),
        )),
    }
}

/// The number a value holds when it is not finite (infinity or NaN).
fn non_finite(v: &JValue) -> Option<f64> {
    f64::try_from(v.clone()).ok().filter(|x| v.is_number() && !x.is_finite())
}

fn not_finite_error(x: f64) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!(
            "this value is {}: a page never shows a number that is not finite; \
             look for a division by zero or an overflow in the cells",
            crate::exec::band::non_finite_name(x)
        ),
    )
}

/// An undefined name, located at its first use inside `{{ }}` or `{% %}`.
fn undefined_error(source: &str, name: String) -> TemplateError {
    let range = find_name_in_tags(source, &name).map(|start| start..start + name.len());
    let line = range.as_ref().map(|r| source[..r.start].matches('\n').count() + 1);
    TemplateError { message: format!("`{name}` is undefined"), range, line, kind: TemplateKind::Undefined(name) }
}

/// Where `name` is first used as a name (not an attribute, `x.name`) inside `{{ }}` or
/// `{% %}`, as minijinja's tokenizer reads the template.
fn find_name_in_tags(source: &str, name: &str) -> Option<usize> {
    use minijinja::machinery::{Token, tokenize};
    let mut previous = None;
    for (token, span) in tokenize(source, false, prose_syntax()).map_while(Result::ok) {
        if matches!(token, Token::Ident(id) if id == name) && !matches!(previous, Some(Token::Dot)) {
            return Some(span.start_offset as usize);
        }
        previous = Some(token);
    }
    None
}

/// When the tag that failed reads a key a map lacks (`{{ mlops.tcc | money_k_band }}`, where
/// the filter sees an undefined value), that key, as the first thing to fix. A missing key is
/// only a mistake once it is used: `is defined` and `default` read one without failing.
fn missing_key(err: &Error, source: &str, scope: &JValue) -> Option<TemplateError> {
    use minijinja::machinery::{Token, tokenize};
    let range = err.range()?;
    let open = ["{{", "{%"].iter().filter_map(|t| source.get(..range.start)?.rfind(t)).max()?;
    let close = ["}}", "%}"].iter().filter_map(|t| source.get(range.end..)?.find(t)).min()? + range.end + 2;
    let tag = source.get(open..close)?;
    let tokens: Vec<_> = tokenize(tag, false, prose_syntax()).map_while(Result::ok).collect();
    for (i, (token, _)) in tokens.iter().enumerate() {
        let Token::Ident(name) = token else { continue };
        // The wrapper a traced tag is numbered with (see `trace.rs`) is not the writer's.
        if i > 0 && matches!(tokens[i - 1].0, Token::Dot) || *name == TAG_FN {
            continue;
        }
        let mut value = scope.get_attr(name).ok().filter(|v| !v.is_undefined())?;
        let mut path = name.to_string();
        let mut at = i + 1;
        while let (Some((Token::Dot, _)), Some((Token::Ident(key), span))) = (tokens.get(at), tokens.get(at + 1)) {
            let next = value.get_attr(key).ok().filter(|v| !v.is_undefined());
            let Some(next) = next else {
                let keys = value.try_iter().map(|keys| keys.map(|k| k.to_string()).collect()).unwrap_or_default();
                let start = open + span.start_offset as usize;
                return Some(TemplateError {
                    message: format!("`{path}` has no value `{key}`"),
                    range: Some(start..start + key.len()),
                    line: Some(source[..start].matches('\n').count() + 1),
                    kind: TemplateKind::NoKey(Box::new(MissingKey { key: key.to_string(), keys })),
                });
            };
            value = next;
            path = format!("{path}.{key}");
            at += 2;
        }
    }
    None
}

fn template_error(err: &Error, source: &str) -> TemplateError {
    let range = err.range();
    let snippet = range.clone().and_then(|r| source.get(r)).map(str::trim);
    let kind = match err.kind() {
        ErrorKind::UndefinedError => {
            let name = snippet.map(|s| s.split(['|', '.', '[', '(', ' ']).next().unwrap_or(s).trim().to_string());
            name.map_or(TemplateKind::Failed, TemplateKind::Undefined)
        }
        ErrorKind::UnknownFilter => TemplateKind::UnknownFilter(snippet.unwrap_or("").to_string()),
        ErrorKind::SyntaxError => TemplateKind::Syntax,
        ErrorKind::OutOfFuel => TemplateKind::OutOfFuel,
        _ => TemplateKind::Failed,
    };
    let message = match &kind {
        TemplateKind::Undefined(name) => format!("`{name}` is undefined"),
        TemplateKind::UnknownFilter(name) if !name.is_empty() => format!("unknown filter `{name}`"),
        TemplateKind::UnknownFilter(_) => "unknown filter".to_string(),
        _ => err.detail().map_or_else(|| err.kind().to_string(), str::to_string),
    };
    TemplateError { message, range, line: err.line(), kind }
}

/// The theme's page templates, with every value HTML-escaped unless marked safe.
pub struct PageTemplates {
    env: Environment<'static>,
}

impl PageTemplates {
    /// Compiles the given templates (name, source); an error comes with its template's name.
    pub fn new(templates: Vec<(String, String)>) -> Result<Self, (String, TemplateError)> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // Macros and includes recurse on the rendering thread's stack: as deep as prose may.
        env.set_recursion_limit(64);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") || name.ends_with(".xml") { AutoEscape::Html } else { AutoEscape::None }
        });
        env.set_formatter(|out, state, value| {
            if *state.auto_escape() == AutoEscape::Html && !value.is_safe() {
                let text = match value.as_str() {
                    Some(s) => s.to_string(),
                    None if value.is_none() => String::new(),
                    None => value.to_string(),
                };
                out.write_str(&escape_html(&text)).map_err(Error::from)
            } else {
                minijinja::escape_formatter(out, state, value)
            }
        });
        for (name, source) in templates {
            let src = source.clone();
            env.add_template_owned(name.clone(), source).map_err(|err| (name.clone(), template_error(&err, &src)))?;
        }
        Ok(PageTemplates { env })
    }

    /// Renders `name` with a JSON object as context; `safe` names values inserted verbatim.
    /// The render may use `fuel`: about one unit per instruction and one per 64 bytes it makes
    /// (output, strings, lists), so that it bounds both the time and the memory a template takes.
    pub fn render(
        &self,
        name: &str,
        context: &serde_json::Value,
        safe: &[(&str, &str)],
        fuel: u64,
    ) -> Result<String, TemplateError> {
        let mut ctx: BTreeMap<String, JValue> = BTreeMap::new();
        if let Some(object) = context.as_object() {
            for (key, v) in object {
                ctx.insert(key.clone(), JValue::from(minijinja::value::Serde(v)));
            }
        }
        for (key, html) in safe {
            ctx.insert((*key).to_string(), JValue::from_safe_string((*html).to_string()));
        }
        // Fuel is the environment's; a clone shares the compiled templates.
        let mut env = self.env.clone();
        env.set_fuel(Some(fuel));
        let template = env.get_template(name).map_err(|err| template_error(&err, ""))?;
        template.render(JValue::from(ctx)).map_err(|err| template_error(&err, ""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_read_as_minijinja_reads_them() {
        let source = "{{ figure(\"a\", \"fig-x\") }} figure(\"no\") {## {{ figure(\"no\") }} ##}\n{% raw %}{{ figure(\"no\") }}{% endraw %}{{ x.figure(\"no\") }}{{ figure(slug, \"l\") }}{{ figure('b\\'c', 1) }}";
        let calls = calls_of(source, "figure");
        let found: Vec<(&str, Option<&str>)> =
            calls.iter().map(|c| (&source[c.span.clone()], c.first.as_deref())).collect();
        assert_eq!(found, [("figure", Some("a")), ("figure", None), ("figure", Some("b'c"))]);
        assert_eq!(calls[0].span, 3..9);
    }
    use indexmap::IndexMap;

    fn scope() -> Scope {
        let mut m = IndexMap::new();
        m.insert("base".to_string(), Value::Band(Band { lo: 190000.0, hi: 260000.0 }));
        m.insert("premium".to_string(), Value::Band(Band { lo: 0.0, hi: 0.1 }));
        m.insert("n".to_string(), Value::Int(1234567));
        m.insert("evil".to_string(), Value::Str("<b>*x*</b>\n# h".to_string()));
        let rows = |n: i64| {
            Value::Array((0..n).map(|i| Value::Map(IndexMap::from([("lo".to_string(), Value::Int(i))]))).collect())
        };
        m.insert("short".to_string(), rows(3));
        m.insert("long".to_string(), rows(5_000));
        scope_value(&Arc::new(m))
    }

    const MARKS: Marks = Marks { value: '\u{E100}', line: '\u{E101}', region: '\u{E102}' };

    /// Expands prose and puts each value where its placeholder is.
    fn expand(src: &str) -> Result<String, TemplateError> {
        let ProseValues { text, values, .. } =
            ProseTemplates::new().expand_prose(src, &scope(), MARKS).map_err(|mut e| e.remove(0))?;
        Ok(resolve_marks(&text, MARKS, &values))
    }

    #[test]
    fn every_undefined_name_is_reported_in_order() {
        let e = ProseTemplates::new().expand("{{ zz }} and {{ aa | num }}", &scope(), Output::Markdown).unwrap_err();
        let names: Vec<_> = e
            .iter()
            .map(|e| match &e.kind {
                TemplateKind::Undefined(name) => name.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(names, ["zz", "aa"]);
        assert_eq!(e[1].range, Some(16..18));
    }

    #[test]
    fn filters_format_bands_and_numbers() {
        assert_eq!(expand("{{ base | money_band }}").unwrap(), "$190,000 to $260,000");
        assert_eq!(expand("{{ premium | pct_band }}").unwrap(), "0 to 10 percent");
        assert_eq!(expand("{{ base.hi | money_k }}").unwrap(), "$260k");
        assert_eq!(expand("{{ n | num }}").unwrap(), "1,234,567");
    }

    #[test]
    fn long_lists_read_in_templates_as_short_ones_do() {
        for list in ["short", "long"] {
            let src = format!(
                "{{{{ {list}[0].lo }}}} {{{{ {list}[-1].lo }}}} {{{{ {list} | length }}}} \
                 {{% for r in {list} %}}{{% if loop.index < 3 %}}{{{{ r.lo }}}},{{% endif %}}{{% endfor %}} \
                 {{{{ ({list} | first).lo }}}} {{{{ ({list} | last).lo }}}} {{{{ {list}[1:3] | map(attribute='lo') | join(' and ') }}}}"
            );
            let n = if list == "short" { 3 } else { 5_000 };
            assert_eq!(expand(&src).unwrap(), format!("0 {} {n} 0,1, 0 {} 1 and 2", n - 1, n - 1), "{list}");
            assert!(
                expand(&format!("{{{{ {list} }}}}")).unwrap_err().message.contains("cannot be inserted into prose")
            );
        }
    }

    #[test]
    fn attribute_blocks_are_not_comments() {
        assert_eq!(expand("## A {#sec-a short=\"x\"} {{ n }}").unwrap(), "## A {#sec-a short=\"x\"} 1234567");
    }

    #[test]
    fn undefined_names_are_errors_with_their_name() {
        let e = expand("x\n{{ bse | money_band }}").unwrap_err();
        assert_eq!(e.kind, TemplateKind::Undefined("bse".into()));
        assert_eq!(e.line, Some(2));
        assert_eq!(e.range, Some(5..8));
    }

    #[test]
    fn wrong_filter_input_is_an_error() {
        assert!(expand("{{ base | money }}").unwrap_err().message.contains("money_band"));
        assert!(expand("{{ n | pct_band }}").is_err());
    }

    #[test]
    fn inserted_values_are_placeholders_for_their_exact_text() {
        let ProseValues { text, values, .. } =
            ProseTemplates::new().expand_prose("a {{ evil }} b\n", &scope(), MARKS).unwrap();
        assert_eq!(text, "a \u{E100}0\u{E100} b\n");
        assert_eq!(values, [Inserted::Text("<b>*x*</b>\n# h".into())]);
    }

    #[test]
    fn statements_keep_every_line_they_make() {
        assert_eq!(expand("{% for r in short %}\n- {{ r.lo }}\n{% endfor %}\n").unwrap(), "\n- 0\n\n- 1\n\n- 2\n\n");
        assert_eq!(expand("{% for r in short %}- {{ r.lo }}\n{% endfor %}").unwrap(), "- 0\n- 1\n- 2\n");
    }

    #[test]
    fn values_are_counted_against_the_limit() {
        let t = ProseTemplates::within(ProseLimits { max_bytes: 40, max_elements: 100 });
        let e = t.expand_prose("{% for i in range(10) %}{{ evil }}{% endfor %}", &scope(), MARKS).unwrap_err();
        assert_eq!(e[0].kind, TemplateKind::TooLarge, "{e:?}");
    }

    #[test]
    fn literal_publishes_a_string_unchanged_and_refuses_anything_else() {
        assert_eq!(expand("{{ \"$150,000 *x*\" | literal }}").unwrap(), "$150,000 *x*");
        let text = ProseTemplates::new().expand("a {{ '10%' | literal }}", &scope(), Output::Text).unwrap();
        assert_eq!(text, "a 10%");
        let e = expand("{{ n | literal }}").unwrap_err();
        assert!(e.message.contains("`literal` publishes text typed in quotes"), "{}", e.message);
        assert!(e.message.ends_with("not 1234567"), "{}", e.message);
    }

    #[test]
    fn quoted_texts_are_strings_that_make_a_whole_tag() {
        let source = "{{ \"25%\" }} {{ '$5' | upper }} {{ \"a\\\"b\" }} {{ \"10%\" | literal }} {{ \"x\" ~ n }} \
                      {{ f(\"9%\") }} {% set s = \"7%\" %} {## {{ \"no\" }} ##} \"1%\"";
        let quoted = quoted_texts(source);
        let found: Vec<(&str, &str, bool)> =
            quoted.iter().map(|q| (&source[q.span.clone()], q.text.as_str(), q.exact)).collect();
        assert_eq!(found, [("\"25%\"", "25%", true), ("'$5'", "$5", true), ("\"a\\\"b\"", "a\"b", false)]);
    }

    #[test]
    fn page_templates_escape_and_pass_safe_html() {
        let t = PageTemplates::new(vec![("p.html".into(), "{{ t }}|{{ body }}".into())]).unwrap();
        let ctx = serde_json::json!({ "t": "<a href=\"https://x/\">" });
        let html = t.render("p.html", &ctx, &[("body", "<p>ok</p>")], 1000).unwrap();
        assert_eq!(html, "&lt;a href=&quot;https://x/&quot;&gt;|<p>ok</p>");
    }
}
