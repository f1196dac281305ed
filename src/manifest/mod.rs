//! The figure manifest: every value a page publishes, where it stands and where it came from,
//! written beside the output with every build (one file per page) so that `nbrender diff` can
//! say which published figures a change moves. The format is documented in docs/format.md
//! ("The figure manifest") and versioned by [`VERSION`].

use serde::{Deserialize, Serialize};

pub mod diff;

/// The manifest format's version: raised when a field changes meaning or goes away.
pub const VERSION: u32 = 1;

/// The figures one page publishes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageManifest {
    pub version: u32,
    /// The page's slug.
    pub page: String,
    pub title: String,
    /// The notebook, as its path under the notebooks folder.
    pub notebook: String,
    pub figures: Vec<Figure>,
}

/// One published value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// What identifies the figure on its page from one build to the next: its place and how
    /// it is computed, never its value or its line.
    pub key: String,
    /// The numbered section it stands in, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<Section>,
    pub place: Place,
    /// The expression as written in its `{{ }}` (prose and frontmatter texts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// `file:line` of the expression, or of the cell that made the table or chart.
    pub at: String,
    /// The value before it was formatted: a number, `{"lo", "hi"}` for a band, a string, or a
    /// list of those when one `{{ }}` formats several; `null` when it is not known.
    pub value: serde_json::Value,
    /// The text a reader sees.
    pub text: String,
    /// The words around it, as a reader sees them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// What it is computed from, as far as the notebook's text says.
    #[serde(default, skip_serializing_if = "Sources::is_empty")]
    pub sources: Sources,
}

/// What a figure is computed from: the cells that compute it (and those they read), the
/// `data:` tables those read with the columns named, the `params:` and the notebooks read with
/// `results()`. Read from the notebook's text (the names each cell declares and uses), so it
/// says what the writing names, not what ran.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sources {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cells: Vec<usize>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data: Vec<DataUse>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<String>,
}

impl Sources {
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty() && self.data.is_empty() && self.params.is_empty() && self.results.is_empty()
    }
}

/// A `data:` table a figure reads: its name, its file as the frontmatter names it, and the
/// columns the computing cells name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataUse {
    pub name: String,
    pub file: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
}

/// A page's section: its id and, when numbered, its number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<usize>,
    pub title: String,
}

/// Where on the page a figure stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Place {
    /// In the article's prose.
    Prose,
    /// In the answer to a question of the FAQ section.
    Faq {
        question: String,
    },
    /// In a frontmatter text.
    Title,
    Lede,
    Description,
    Blurb,
    Headline,
    /// A cell of a table: a cell's output table or a Markdown table in the prose. `table` is
    /// its label (`tbl-tiers`), or `cell-3` for an unlabelled cell's, or `table-2` for the
    /// second unlabelled Markdown table; `row` is the text of the row's first cell.
    Table {
        table: String,
        row: String,
        column: String,
    },
    /// A mark of a chart: `figure` is its label (`fig-tiers`) or `cell-3`.
    Chart {
        figure: String,
        series: String,
        category: String,
    },
    /// A cell's output value (`Out [3]:`).
    Output {
        cell: usize,
    },
}

impl Place {
    /// The place as a reader would name it: `lede`, `table tbl-tiers, row "Senior", column "Base"`.
    pub fn describe(&self) -> String {
        match self {
            Place::Prose => "prose".into(),
            Place::Faq { question } => format!("FAQ \"{question}\""),
            Place::Title => "title".into(),
            Place::Lede => "lede".into(),
            Place::Description => "description".into(),
            Place::Blurb => "blurb".into(),
            Place::Headline => "headline".into(),
            Place::Table { table, row, column } => format!("table {table}, row \"{row}\", column \"{column}\""),
            Place::Chart { figure, series, category } => {
                format!("chart {figure}, series \"{series}\", category \"{category}\"")
            }
            Place::Output { cell } => format!("output of cell {cell}"),
        }
    }

    /// The part of a figure's key its place gives.
    fn key(&self, section: Option<&Section>) -> String {
        let section = section.map_or("", |s| s.id.as_str());
        match self {
            Place::Prose => format!("prose/{section}"),
            Place::Faq { question } => format!("faq/{question}"),
            Place::Title => "title".into(),
            Place::Lede => "lede".into(),
            Place::Description => "description".into(),
            Place::Blurb => "blurb".into(),
            Place::Headline => "headline".into(),
            Place::Table { table, row, column } => format!("table/{table}/{row}/{column}"),
            Place::Chart { figure, series, category } => format!("chart/{figure}/{series}/{category}"),
            Place::Output { cell } => format!("output/{cell}"),
        }
    }
}

/// A figure before its key is given: [`keyed`] gives every figure of a page its key at once.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub section: Option<Section>,
    pub place: Place,
    pub expression: Option<String>,
    pub at: String,
    pub value: serde_json::Value,
    pub text: String,
    pub context: Option<String>,
    pub sources: Sources,
}

/// Gives each figure its key: its place, its expression, and a count that tells apart
/// figures alike in both (`#2` for the second), in page order.
pub fn keyed(found: Vec<Found>) -> Vec<Figure> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    found
        .into_iter()
        .map(|f| {
            let mut key = f.place.key(f.section.as_ref());
            if let Some(e) = &f.expression {
                key.push('/');
                key.push_str(e);
            }
            let n = seen.entry(key.clone()).or_insert(0);
            *n += 1;
            if *n > 1 {
                key.push_str(&format!("#{n}"));
            }
            Figure {
                key,
                section: f.section,
                place: f.place,
                expression: f.expression,
                at: f.at,
                value: f.value,
                text: f.text,
                context: f.context,
                sources: f.sources,
            }
        })
        .collect()
}

/// The words around `at` in `text`: up to `WORDS` words on each side, `…` where cut. Reads
/// only the words it keeps (and one more each side): a paragraph of many values costs each
/// value its window, not the paragraph.
pub fn around(text: &str, at: std::ops::Range<usize>) -> String {
    const WORDS: usize = 8;
    let (Some(before), Some(value), Some(after)) = (text.get(..at.start), text.get(at.clone()), text.get(at.end..))
    else {
        return text.to_string();
    };
    let mut left: Vec<&str> = before.split_whitespace().rev().take(WORDS + 1).collect();
    let cut_left = left.len() > WORDS;
    left.truncate(WORDS);
    left.reverse();
    let mut right: Vec<&str> = after.split_whitespace().take(WORDS + 1).collect();
    let cut_right = right.len() > WORDS;
    right.truncate(WORDS);
    let mut out = String::new();
    if cut_left {
        out.push_str("… ");
    }
    out.push_str(&left.join(" "));
    if before.ends_with(char::is_whitespace) && !out.is_empty() {
        out.push(' ');
    }
    out.push_str(value);
    if after.starts_with(char::is_whitespace) {
        out.push(' ');
    }
    out.push_str(&right.join(" "));
    if cut_right {
        out.push_str(" …");
    }
    out.trim().to_string()
}

/// A raw value as the manifest writes it.
pub fn raw_json(raw: &[crate::template::Raw]) -> serde_json::Value {
    use crate::template::Raw;
    let one = |r: &Raw| match r {
        Raw::Number(x) => number(*x),
        Raw::Band(lo, hi) => band(*lo, *hi),
        Raw::Text(t) => serde_json::Value::String(t.clone()),
        Raw::Bool(b) => serde_json::Value::Bool(*b),
    };
    match raw {
        [] => serde_json::Value::Null,
        [r] => one(r),
        many => serde_json::Value::Array(many.iter().map(one).collect()),
    }
}

/// A number as the manifest writes it: whole numbers without a fraction.
pub fn number(x: f64) -> serde_json::Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        serde_json::Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

/// A band as the manifest writes it.
pub fn band(lo: f64, hi: f64) -> serde_json::Value {
    serde_json::json!({ "lo": number(lo), "hi": number(hi) })
}

/// A page's manifest as its file holds it: JSON with one figure per line (small, and a line
/// diff of two manifests reads figure by figure), fields in a fixed order, a newline at the
/// end; the same figures give the same bytes.
pub fn to_bytes(page: &PageManifest) -> Vec<u8> {
    let mut out = String::with_capacity(256 + page.figures.len() * 400);
    out.push_str(&format!(
        "{{\n  \"version\": {},\n  \"page\": {},\n  \"title\": {},\n  \"notebook\": {},\n  \"figures\": [",
        page.version,
        json(&page.page),
        json(&page.title),
        json(&page.notebook)
    ));
    for (i, figure) in page.figures.iter().enumerate() {
        out.push_str(if i == 0 { "\n    " } else { ",\n    " });
        out.push_str(&json(figure));
    }
    out.push_str(if page.figures.is_empty() { "]\n}\n" } else { "\n  ]\n}\n" });
    out.into_bytes()
}

/// A value as compact JSON. Plain data with string keys: serializing it cannot fail.
fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(place: Place, expression: Option<&str>) -> Found {
        Found {
            section: None,
            place,
            expression: expression.map(str::to_string),
            at: "a.md:3".into(),
            value: serde_json::Value::Null,
            text: "x".into(),
            context: None,
            sources: Sources::default(),
        }
    }

    #[test]
    fn keys_tell_alike_figures_apart_in_order() {
        let figures = keyed(vec![
            found(Place::Prose, Some("a | money")),
            found(Place::Prose, Some("a | money")),
            found(Place::Lede, Some("a | money")),
            found(Place::Chart { figure: "fig-x".into(), series: "base".into(), category: "L5".into() }, None),
        ]);
        let keys: Vec<&str> = figures.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["prose//a | money", "prose//a | money#2", "lede/a | money", "chart/fig-x/base/L5"]);
    }

    #[test]
    fn words_around_a_value_are_cut_at_eight_a_side() {
        let text = "one two three four five six seven eight nine ten $150k eleven twelve";
        let at = text.find("$150k").unwrap();
        assert_eq!(around(text, at..at + 5), "… three four five six seven eight nine ten $150k eleven twelve");
        assert_eq!(around("pay is $150k.", 7..12), "pay is $150k.");
    }

    #[test]
    fn a_manifest_file_reads_back_as_written() {
        let page = PageManifest {
            version: VERSION,
            page: "p".into(),
            title: "T \"q\"".into(),
            notebook: "p.md".into(),
            figures: keyed(vec![found(Place::Prose, Some("a")), found(Place::Output { cell: 2 }, None)]),
        };
        let bytes = to_bytes(&page);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert_eq!(text.lines().count(), 10, "{text}");
        assert!(text.lines().nth(7).unwrap().starts_with(r#"    {"key":"output/2","#), "{text}");
        assert_eq!(serde_json::from_slice::<PageManifest>(&bytes).unwrap(), page);
        let empty = PageManifest { figures: Vec::new(), ..page };
        assert_eq!(serde_json::from_slice::<PageManifest>(&to_bytes(&empty)).unwrap(), empty);
    }

    #[test]
    fn the_words_around_a_value_cost_their_window_not_the_paragraph() {
        // A hang guard, not a timing: a paragraph of 200,000 values, each given its words.
        // Reading the whole paragraph for each would scan 100 GB; the windows are a few MB.
        let text = "$12 ".repeat(200_000);
        let started = std::time::Instant::now();
        for i in 0..200_000 {
            let at = i * 4;
            assert!(around(&text, at..at + 3).contains("$12"));
        }
        assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
    }

    #[test]
    fn numbers_are_written_without_a_needless_fraction() {
        assert_eq!(number(150000.0).to_string(), "150000");
        assert_eq!(number(0.125).to_string(), "0.125");
        assert_eq!(band(1.0, 2.5).to_string(), r#"{"lo":1,"hi":2.5}"#);
    }
}
