//! What `nbrender diff` prints: the [`Changes`] as text for a terminal, as one JSON document for
//! scripts, or as Markdown to paste into a review. Values and the words around them come from
//! notebooks and data, so each form escapes them its own way: terminal controls and bidi
//! overrides shown as `\u{…}` in text, JSON's escapes, and in Markdown every character that
//! would format, link, mention (`@name`, `#12`) or break a table.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Changes, ChartChange, Counts, FigureChange, PageChange, PageKind, SectionChange};
use crate::format::plural;
use crate::manifest::{Figure, Place, Section};

/// The line every form but JSON prints when nothing changed.
pub const NO_CHANGE: &str = "no published figure changed";

/// The marks of a chart listed, in text and Markdown, before `and N more`.
const MARKS_SHOWN: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

/// The changes in `format`, ending with a newline; `color` (text only) adds ANSI colours.
pub fn render(changes: &Changes, format: Format, color: bool) -> String {
    match format {
        Format::Json => json(changes),
        _ if changes.is_empty() => format!("{NO_CHANGE}\n"),
        Format::Text => text(changes, color),
        Format::Markdown => markdown(changes),
    }
}

/// `5 figures changed, 1 added; 2 charts changed; 1 page added, 1 removed`.
fn summary(c: &Counts) -> String {
    let group = |noun: (&str, &str), counts: [(usize, &str); 3]| {
        let mut said = Vec::new();
        for (n, what) in counts.into_iter().filter(|(n, _)| *n > 0) {
            match said.is_empty() {
                true => said.push(format!("{n} {} {what}", plural(n, noun.0, noun.1))),
                false => said.push(format!("{n} {what}")),
            }
        }
        said.join(", ")
    };
    let parts = [
        group(
            ("figure", "figures"),
            [(c.figures_changed, "changed"), (c.figures_added, "added"), (c.figures_removed, "removed")],
        ),
        group(("chart", "charts"), [(c.charts_changed, "changed"), (0, ""), (0, "")]),
        group(("page", "pages"), [(c.pages_added, "added"), (c.pages_removed, "removed"), (0, "")]),
    ];
    parts.into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join("; ")
}

/// `§2 Pay by employer`, or the part of the page outside its sections.
fn section_name(section: Option<&Section>) -> String {
    match section {
        Some(Section { id, title, .. }) if title.trim().is_empty() => format!("#{id}"),
        Some(Section { number: Some(n), title, .. }) => format!("§{n} {title}"),
        Some(Section { title, .. }) => title.clone(),
        None => "top of page".into(),
    }
}

/// A chart mark by its category and series: `Senior/base`.
fn mark_name(f: &Figure) -> String {
    match &f.place {
        Place::Chart { series, category, .. } if series.is_empty() => category.clone(),
        Place::Chart { series, category, .. } if category.is_empty() => series.clone(),
        Place::Chart { series, category, .. } => format!("{category}/{series}"),
        other => other.describe(),
    }
}

/// Whether a change is of one kind.
type IsKind = fn(&FigureChange<'_>) -> bool;

/// `3 of 12 marks changed: A $1 → $2, …; 1 added: …; 2 removed: …`, each part's marks said by
/// `said`, at most [`MARKS_SHOWN`] of them.
fn chart_line(chart: &ChartChange, said: impl Fn(&FigureChange) -> String) -> String {
    let kinds: [(IsKind, &str, usize); 3] = [
        (|m| matches!(m, FigureChange::Changed { .. }), "changed", chart.marks_after),
        (|m| matches!(m, FigureChange::Added(_)), "added", chart.marks_after),
        (|m| matches!(m, FigureChange::Removed(_)), "removed", chart.marks_before),
    ];
    let mut parts = Vec::new();
    for (is, what, total) in kinds {
        let marks: Vec<&FigureChange> = chart.marks.iter().filter(|m| is(m)).collect();
        if marks.is_empty() {
            continue;
        }
        let n = marks.len();
        let head = match parts.is_empty() {
            true => format!("{n} of {total} {} {what}", plural(total, "mark", "marks")),
            false => format!("{n} {what}"),
        };
        let mut listed: Vec<String> = marks.iter().take(MARKS_SHOWN).map(|m| said(m)).collect();
        if n > MARKS_SHOWN {
            listed.push(format!("and {} more", n - MARKS_SHOWN));
        }
        parts.push(format!("{head}: {}", listed.join(", ")));
    }
    parts.join("; ")
}

// ---------------------------------------------------------------------------------------------
// Text

/// A value or text on one terminal line: line ends and tabs as `\n`, `\r`, `\t`, and every
/// other control character and bidi override as `\u{…}`, so that none can move the cursor,
/// colour the terminal or make a value read backwards.
fn visible(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if hidden(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// A figure's text on a terminal: [`visible`], and `(empty)` for an empty one.
fn value(s: &str) -> String {
    if s.is_empty() { "(empty)".into() } else { visible(s) }
}

/// A control character, or one that changes the direction text is shown in.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

struct Paint(bool);

impl Paint {
    fn with(&self, code: &str, text: &str) -> String {
        match self.0 {
            true => format!("\x1b[{code}m{text}\x1b[0m"),
            false => text.to_string(),
        }
    }
    fn bold(&self, text: &str) -> String {
        self.with("1", text)
    }
    fn dim(&self, text: &str) -> String {
        self.with("2", text)
    }
    fn red(&self, text: &str) -> String {
        self.with("31", text)
    }
    fn green(&self, text: &str) -> String {
        self.with("32", text)
    }
}

fn text(changes: &Changes, color: bool) -> String {
    let paint = Paint(color);
    let mut out = String::new();
    for page in &changes.pages {
        let name = format!("{} — {}", paint.bold(&visible(page.page)), visible(page.title));
        let figures = format!("{} {}", page.figures, plural(page.figures, "figure", "figures"));
        match page.kind {
            PageKind::Added => out.push_str(&paint.green(&format!("new page {name} ({figures})\n"))),
            PageKind::Removed => out.push_str(&paint.red(&format!("removed page {name} ({figures})\n"))),
            PageKind::Changed => {
                let _ = writeln!(out, "{name}");
                page.sections.iter().for_each(|s| text_section(&mut out, s, &paint));
            }
        }
    }
    let _ = writeln!(out, "\n{}", summary(&changes.counts()));
    out
}

fn text_section(out: &mut String, section: &SectionChange, paint: &Paint) {
    let _ = writeln!(out, "  {}", visible(&section_name(section.section)));
    for change in &section.figures {
        let f = change.latest();
        let mut place = f.place.describe();
        if let (Place::Prose | Place::Faq { .. }, Some(e)) = (&f.place, &f.expression) {
            place = format!("{place} {{{{ {e} }}}}");
        }
        let line = match change {
            FigureChange::Changed { before, after } => format!(
                "      {}: {} → {}",
                visible(&place),
                paint.red(&value(&before.text)),
                paint.green(&value(&after.text))
            ),
            FigureChange::Added(after) => paint.green(&format!("    + {}: {}", visible(&place), value(&after.text))),
            FigureChange::Removed(before) => paint.red(&format!("    - {}: {}", visible(&place), value(&before.text))),
        };
        out.push_str(&line);
        if let Some(context) = &f.context {
            out.push_str(&paint.dim(&format!("   \"{}\"", visible(context))));
        }
        let _ = writeln!(out, "{}", paint.dim(&format!("   {}", visible(&f.at))));
    }
    for chart in &section.charts {
        let name = format!("chart {}", visible(chart.figure));
        let marks = |n: usize| format!("{n} {}", plural(n, "mark", "marks"));
        let line = match (chart.marks_before, chart.marks_after) {
            (0, n) => paint.green(&format!("    + {name}: {}", marks(n))),
            (n, 0) => paint.red(&format!("    - {name}: {}", marks(n))),
            _ => format!("      {name}: {}", chart_line(chart, |m| text_mark(m, paint))),
        };
        let _ = writeln!(out, "{line}");
    }
}

fn text_mark(change: &FigureChange, paint: &Paint) -> String {
    let name = visible(&mark_name(change.latest()));
    match change {
        FigureChange::Changed { before, after } => {
            format!("{name} {} → {}", paint.red(&value(&before.text)), paint.green(&value(&after.text)))
        }
        FigureChange::Added(f) | FigureChange::Removed(f) => format!("{name} {}", value(&f.text)),
    }
}

// ---------------------------------------------------------------------------------------------
// JSON

/// The JSON document, its fields in this order (docs/format.md §9.6).
#[derive(Serialize)]
struct JsonChanges<'a> {
    changed: bool,
    counts: Counts,
    pages: Vec<JsonPage<'a>>,
}

#[derive(Serialize)]
struct JsonPage<'a> {
    page: &'a str,
    title: &'a str,
    notebook: &'a str,
    change: &'static str,
    figures: usize,
    sections: Vec<JsonSection<'a>>,
}

#[derive(Serialize)]
struct JsonSection<'a> {
    section: Option<JsonSectionId<'a>>,
    figures: Vec<JsonFigure<'a>>,
    charts: Vec<JsonChart<'a>>,
}

#[derive(Serialize)]
struct JsonSectionId<'a> {
    id: &'a str,
    number: Option<usize>,
    title: &'a str,
}

#[derive(Serialize)]
struct JsonFigure<'a> {
    change: &'static str,
    key: &'a str,
    place: &'a Place,
    expression: Option<&'a str>,
    before: Option<JsonSide<'a>>,
    after: Option<JsonSide<'a>>,
}

#[derive(Serialize)]
struct JsonSide<'a> {
    at: &'a str,
    value: &'a serde_json::Value,
    text: &'a str,
    context: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonChart<'a> {
    figure: &'a str,
    marks_before: usize,
    marks_after: usize,
    marks: Vec<JsonFigure<'a>>,
}

fn side(f: &Figure) -> JsonSide<'_> {
    JsonSide { at: &f.at, value: &f.value, text: &f.text, context: f.context.as_deref() }
}

fn json_figure<'a>(change: &FigureChange<'a>) -> JsonFigure<'a> {
    let f = change.latest();
    JsonFigure {
        change: match change {
            FigureChange::Changed { .. } => "changed",
            FigureChange::Added(_) => "added",
            FigureChange::Removed(_) => "removed",
        },
        key: &f.key,
        place: &f.place,
        expression: f.expression.as_deref(),
        before: change.before().map(side),
        after: change.after().map(side),
    }
}

fn json_page<'a>(page: &PageChange<'a>) -> JsonPage<'a> {
    JsonPage {
        page: page.page,
        title: page.title,
        notebook: page.notebook,
        change: match page.kind {
            PageKind::Changed => "changed",
            PageKind::Added => "added",
            PageKind::Removed => "removed",
        },
        figures: page.figures,
        sections: page
            .sections
            .iter()
            .map(|s| JsonSection {
                section: s.section.as_ref().map(|s| JsonSectionId { id: &s.id, number: s.number, title: &s.title }),
                figures: s.figures.iter().map(json_figure).collect(),
                charts: s
                    .charts
                    .iter()
                    .map(|c| JsonChart {
                        figure: c.figure,
                        marks_before: c.marks_before,
                        marks_after: c.marks_after,
                        marks: c.marks.iter().map(json_figure).collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Pretty JSON and a newline. serde_json escapes C0 controls in strings and writes DEL, C1
/// and bidi overrides as they are; those are escaped too (`\u202e`, the same JSON value), so
/// that the document is safe to show on a terminal.
fn json(changes: &Changes) -> String {
    let doc = JsonChanges {
        changed: !changes.is_empty(),
        counts: changes.counts(),
        pages: changes.pages.iter().map(json_page).collect(),
    };
    // Plain data with string keys: serializing it cannot fail.
    let pretty = serde_json::to_string_pretty(&doc).unwrap_or_default();
    let mut out = String::with_capacity(pretty.len() + 1);
    for c in pretty.chars() {
        // Outside its strings, pretty JSON holds no character but spaces and line ends.
        if c != '\n' && hidden(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out.push('\n');
    out
}

// ---------------------------------------------------------------------------------------------
// Markdown

/// A value or text as Markdown that shows it as it is, on one line of a table cell: every
/// ASCII character that could format (`*`, `_`, `~`, `$` math), link (`[`), open HTML (`<`, `&`)
/// or end a cell (`|`) escaped with a backslash; `@` and `#` followed by a zero-width space, so
/// that GitHub mentions no one and links no issue; line ends, controls and bidi overrides as
/// `\n`, `\u{…}`.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 4);
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '~' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '@' | '#' => {
                out.push(c);
                out.push_str("&#8203;");
            }
            '\n' => out.push_str("\\\\n"),
            '\r' => out.push_str("\\\\r"),
            '\t' => out.push_str("\\\\t"),
            c if hidden(c) => {
                let _ = write!(out, "\\\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// A figure's text in Markdown: [`md`], and `*(empty)*` for an empty one.
fn md_value(s: &str) -> String {
    if s.is_empty() { "*(empty)*".into() } else { md(s) }
}

fn markdown(changes: &Changes) -> String {
    let mut out = String::from("### Published figures\n\n");
    let _ = writeln!(out, "{}\n", summary(&changes.counts()));
    for page in &changes.pages {
        let name = format!("{}: {}", md(page.page), md(page.title));
        let figures = format!("{} {}", page.figures, plural(page.figures, "figure", "figures"));
        match page.kind {
            PageKind::Added => {
                let _ = writeln!(out, "#### New page {name}\n\n{figures}, from {}.\n", md(page.notebook));
            }
            PageKind::Removed => {
                let _ = writeln!(out, "#### Removed page {name}\n\n{figures}, from {}.\n", md(page.notebook));
            }
            PageKind::Changed => {
                let _ = writeln!(out, "#### {name}\n");
                page.sections.iter().for_each(|s| markdown_section(&mut out, s));
            }
        }
    }
    out
}

fn markdown_section(out: &mut String, section: &SectionChange) {
    let mut name = section_name(section.section);
    if section.section.is_none() {
        name = "Top of page".into();
    }
    let _ = writeln!(out, "**{}**\n", md(&name));
    if !section.figures.is_empty() {
        out.push_str("| | where | before | after | in context |\n|---|---|---|---|---|\n");
        for change in &section.figures {
            let f = change.latest();
            let mut place = md(&f.place.describe());
            if let (Place::Prose | Place::Faq { .. }, Some(e)) = (&f.place, &f.expression) {
                let _ = write!(place, " {}", md(&format!("{{{{ {e} }}}}")));
            }
            let cell = |f: Option<&Figure>| f.map(|f| md_value(&f.text)).unwrap_or_default();
            let (what, after) = match change {
                FigureChange::Changed { after, .. } => ("changed", format!("**{}**", md_value(&after.text))),
                FigureChange::Added(after) => ("added", format!("**{}**", md_value(&after.text))),
                FigureChange::Removed(_) => ("removed", String::new()),
            };
            let context = f.context.as_deref().map(str::trim).filter(|c| !c.is_empty());
            let context = context.map(|c| format!("*{}*", md(c))).unwrap_or_default();
            let _ = writeln!(
                out,
                "| {what} | {place} · {} | {} | {after} | {context} |",
                md(&f.at),
                cell(change.before()),
            );
        }
        out.push('\n');
    }
    for chart in &section.charts {
        let name = md(chart.figure);
        let marks = |n: usize| format!("{n} {}", plural(n, "mark", "marks"));
        let line = match (chart.marks_before, chart.marks_after) {
            (0, n) => format!("- new chart **{name}**: {}", marks(n)),
            (n, 0) => format!("- removed chart **{name}**: {}", marks(n)),
            _ => format!("- chart **{name}**: {}", chart_line(chart, markdown_mark)),
        };
        let _ = writeln!(out, "{line}");
    }
    if !section.charts.is_empty() {
        out.push('\n');
    }
}

fn markdown_mark(change: &FigureChange) -> String {
    let name = md(&mark_name(change.latest()));
    match change {
        FigureChange::Changed { before, after } => {
            format!("{name} {} → **{}**", md_value(&before.text), md_value(&after.text))
        }
        FigureChange::Added(f) | FigureChange::Removed(f) => format!("{name} {}", md_value(&f.text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::PageManifest;
    use crate::manifest::diff::compare;
    use crate::manifest::diff::tests::{figure, mark, page, section};
    use serde_json::json;

    fn prose(key: &str, text: &str, context: &str) -> Figure {
        let mut f = figure(key, Place::Prose, section("sec-pay", Some(2), "Pay by employer"), json!(text), text);
        f.context = Some(context.into());
        f
    }

    fn lede(value: f64, text: &str) -> Figure {
        figure("lede/median | money", Place::Lede, None, json!(value), text)
    }

    /// A change of each kind: a lede and a prose value changed, a figure added and removed,
    /// a chart with a mark changed and one added, a page added and one removed.
    fn sample() -> (Vec<PageManifest>, Vec<PageManifest>) {
        let old = vec![
            page("gone", vec![lede(1.0, "1")]),
            page(
                "mlops",
                vec![
                    lede(150000.0, "$150k"),
                    prose("prose/sec-pay/share", "40%", "… a share of 40% at Acme …"),
                    prose("prose/sec-pay/old", "8%", "… rose 8% since 2024 …"),
                    mark("fig-tiers", "base", "Senior", 150000.0, "$150k"),
                    mark("fig-tiers", "base", "Junior", 90000.0, "$90k"),
                ],
            ),
        ];
        let new = vec![
            page(
                "mlops",
                vec![
                    lede(155000.0, "$155k"),
                    prose("prose/sec-pay/share", "45%", "… a share of 45% at Acme …"),
                    prose("prose/sec-pay/new", "12%", "… rose 12% since 2024 …"),
                    mark("fig-tiers", "base", "Senior", 155000.0, "$155k"),
                    mark("fig-tiers", "base", "Junior", 90000.0, "$90k"),
                    mark("fig-tiers", "base", "Staff", 190000.0, "$190k"),
                ],
            ),
            page("new", vec![lede(1.0, "1"), lede(2.0, "2")]),
        ];
        (old, new)
    }

    #[test]
    fn text_says_each_change_with_the_words_around_it() {
        let (old, new) = sample();
        let text = render(&compare(&old, &new), Format::Text, false);
        assert_eq!(
            text,
            "removed page gone — gone title (1 figure)\n\
             mlops — mlops title\n\
             \x20 top of page\n\
             \x20     lede: $150k → $155k   \"… the median sits at $155k for …\"   mlops.md:12\n\
             \x20 §2 Pay by employer\n\
             \x20     prose: 40% → 45%   \"… a share of 45% at Acme …\"   mlops.md:12\n\
             \x20   + prose: 12%   \"… rose 12% since 2024 …\"   mlops.md:12\n\
             \x20   - prose: 8%   \"… rose 8% since 2024 …\"   mlops.md:12\n\
             \x20     chart fig-tiers: 1 of 3 marks changed: Senior/base $150k → $155k; 1 added: Staff/base $190k\n\
             new page new — new title (2 figures)\n\
             \n\
             2 figures changed, 1 added, 1 removed; 1 chart changed; 1 page added, 1 removed\n"
        );
    }

    #[test]
    fn no_change_is_one_line_in_text_and_markdown_and_changed_false_in_json() {
        let (old, _) = sample();
        let none = compare(&old, &old);
        assert_eq!(render(&none, Format::Text, true), "no published figure changed\n");
        assert_eq!(render(&none, Format::Markdown, false), "no published figure changed\n");
        let json: serde_json::Value = serde_json::from_str(&render(&none, Format::Json, false)).unwrap();
        assert_eq!(json["changed"], false);
        assert_eq!(json["pages"], json!([]));
        assert_eq!(json["counts"]["figures_changed"], 0);
    }

    #[test]
    fn colour_only_when_asked() {
        let (old, new) = sample();
        let changes = compare(&old, &new);
        assert!(!render(&changes, Format::Text, false).contains('\x1b'));
        let coloured = render(&changes, Format::Text, true);
        assert!(coloured.contains("\x1b[31m$150k\x1b[0m → \x1b[32m$155k\x1b[0m"), "{coloured}");
        assert!(!render(&changes, Format::Markdown, true).contains('\x1b'));
        assert!(!render(&changes, Format::Json, true).contains('\x1b'));
    }

    #[test]
    fn json_is_one_document_with_its_fields_in_a_stable_order() {
        let (old, new) = sample();
        let changes = compare(&old, &new);
        let first = render(&changes, Format::Json, false);
        assert_eq!(first, render(&compare(&old, &new), Format::Json, false));
        let doc: serde_json::Value = serde_json::from_str(&first).unwrap();
        let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&doc), ["changed", "counts", "pages"]);
        let page = &doc["pages"][1];
        assert_eq!(keys(page), ["page", "title", "notebook", "change", "figures", "sections"]);
        assert_eq!((page["page"].as_str(), page["change"].as_str()), (Some("mlops"), Some("changed")));
        let section = &page["sections"][0];
        assert_eq!(keys(section), ["section", "figures", "charts"]);
        assert_eq!(section["section"], serde_json::Value::Null);
        let figure = &section["figures"][0];
        assert_eq!(keys(figure), ["change", "key", "place", "expression", "before", "after"]);
        assert_eq!(keys(&figure["after"]), ["at", "value", "text", "context"]);
        assert_eq!(figure["before"]["value"], json!(150000.0));
        assert_eq!(figure["after"]["text"], "$155k");
        assert_eq!(figure["place"], json!({"kind": "lede"}));
        let chart = &page["sections"][1]["charts"][0];
        assert_eq!(keys(chart), ["figure", "marks_before", "marks_after", "marks"]);
        assert_eq!(chart["marks"][1]["change"], "added");
        assert_eq!(chart["marks"][1]["before"], serde_json::Value::Null);
        assert_eq!(doc["counts"]["pages_added"], 1);
    }

    #[test]
    fn markdown_has_a_heading_per_page_and_a_table_per_section() {
        let (old, new) = sample();
        let md = render(&compare(&old, &new), Format::Markdown, false);
        assert!(md.starts_with("### Published figures\n\n2 figures changed, 1 added, 1 removed;"), "{md}");
        assert!(md.contains("#### Removed page gone: gone title\n\n1 figure, from gone.md.\n"), "{md}");
        assert!(
            md.contains("#### mlops: mlops title\n\n**Top of page**\n\n| | where | before | after | in context |\n"),
            "{md}"
        );
        assert!(
            md.contains(
                "| changed | lede · mlops.md:12 | \\$150k | **\\$155k** | *… the median sits at \\$155k for …* |"
            ),
            "{md}"
        );
        assert!(md.contains("| removed | prose · mlops.md:12 | 8% |  | *… rose 8% since 2024 …* |"), "{md}");
        assert!(md.contains("- chart **fig-tiers**: 1 of 3 marks changed: Senior/base \\$150k → **\\$155k**; 1 added: Staff/base \\$190k"), "{md}");
    }

    #[test]
    fn markdown_escapes_what_would_format_link_mention_or_break_a_table() {
        let nasty =
            "a|b *c* _d_ <img src=x> [l](u) `x` ~~s~~ $x$ &amp; @octocat #12 \\ line\nend \u{202e}rtl \u{1b}[2J";
        let old = vec![page("a", vec![prose("k", "1", nasty)])];
        let mut new = old.clone();
        new[0].figures[0].text = nasty.into();
        new[0].title = "T | *x*".into();
        let md = render(&compare(&old, &new), Format::Markdown, false);
        let row = md.lines().find(|l| l.starts_with("| changed")).unwrap();
        for raw in ["a|b", "@octocat", "#12", "\u{202e}", "\u{1b}"] {
            assert!(!row.contains(raw), "{raw} unescaped: {row}");
        }
        assert!(row.contains("a\\|b \\*c\\* \\_d\\_ \\<img src=x\\> \\[l\\](u) \\`x\\` \\~\\~s\\~\\~ \\$x\\$ \\&amp; @&#8203;octocat #&#8203;12 \\\\ line\\\\nend \\\\u{202e}rtl \\\\u{1b}\\[2J"), "{row}");
        // Every row of the table has its five cells: no `|` of a value ends one.
        let unescaped_pipes = |l: &str| l.match_indices('|').filter(|(i, _)| !l[..*i].ends_with('\\')).count();
        assert_eq!(unescaped_pipes(row), 6, "{row}");
        assert!(md.contains("#### a: T \\| \\*x\\*\n"), "{md}");
        assert_eq!(md.lines().filter(|l| l.starts_with('|')).count(), 3, "one line per row: {md}");
    }

    #[test]
    fn text_shows_line_ends_and_terminal_controls_escaped() {
        let old = vec![page("a\u{1b}]0;x\u{7}", vec![prose("k\nl", "1", "x")])];
        let mut new = old.clone();
        new[0].figures[0].text = "two\nlines \u{9b}31m \u{202e}cba".into();
        let text = render(&compare(&old, &new), Format::Text, false);
        assert!(!text.chars().any(|c| c != '\n' && hidden(c)), "{text:?}");
        assert!(text.contains("a\\u{1b}]0;x\\u{7} — "), "{text}");
        assert!(text.contains("1 → two\\nlines \\u{9b}31m \\u{202e}cba"), "{text}");
        let json = render(&compare(&old, &new), Format::Json, false);
        assert!(!json.chars().any(|c| c != '\n' && hidden(c)), "{json:?}");
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["pages"][0]["page"], "a\u{1b}]0;x\u{7}");
        assert_eq!(back["pages"][0]["sections"][0]["figures"][0]["after"]["text"], "two\nlines \u{9b}31m \u{202e}cba");
    }

    #[test]
    fn a_long_list_of_marks_is_cut_in_text_and_markdown_but_not_in_json() {
        let marks = |v: f64| (0..20).map(|i| mark("fig-x", "s", &format!("c{i}"), v, &v.to_string())).collect();
        let old = vec![page("a", marks(1.0))];
        let new = vec![page("a", marks(2.0))];
        let changes = compare(&old, &new);
        let text = render(&changes, Format::Text, false);
        assert!(
            text.contains("20 of 20 marks changed: c0/s 1 → 2,") && text.contains("c7/s 1 → 2, and 12 more\n"),
            "{text}"
        );
        let json: serde_json::Value = serde_json::from_str(&render(&changes, Format::Json, false)).unwrap();
        assert_eq!(json["pages"][0]["sections"][0]["charts"][0]["marks"].as_array().map(Vec::len), Some(20));
    }
}
