//! The planner: one walk over the outline comrak parsed, in document order, that gives every
//! heading its id, numbers sections, tables and figures, resolves `@` citations and puts
//! each cell's output in place.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::attributes::Attributes;
use super::markdown::{Block, Citation, HeadingPlan, Plan};
use super::slugify;
use crate::diag::{Code, Diagnostic, SourceFile};
use crate::exec::{CellOutput, Executed, Value};
use crate::html::escape_html;
use crate::notebook::{Cell, Notebook};
use crate::render::cell::{CellFrame, Drawn, cell_html};

pub(super) fn unknown_label(file: &Arc<SourceFile>, c: &Citation, labels: &HashMap<String, String>) -> Diagnostic {
    let d = Diagnostic::error(Code::ProseUnknownLabel, format!("`@{}` cites a label that does not exist", c.label))
        .at_line_col(file, c.line, c.column, c.label.len() + 1);
    match crate::diag::did_you_mean(&c.label, labels.keys().map(String::as_str)) {
        Some(best) => d.with_hint(format!("did you mean `@{best}`?")),
        None => d.with_hint(
            "labels come from `{#sec-…}` headings, `: caption {#tbl-…}` lines and `//| label:` cell options",
        ),
    }
}

/// Walks the outline once, in document order: gives every heading its id, numbers sections,
/// tables and figures, gives each label its text, and renders the cells in place.
pub(super) struct Planner<'a> {
    pub(super) file: &'a Arc<SourceFile>,
    pub(super) prefix: &'a str,
    pub(super) cells: HashMap<usize, &'a Cell>,
    pub(super) outputs: HashMap<usize, &'a CellOutput>,
    /// Label -> how a citation reads: `section mo-2`.
    pub(super) labels: HashMap<String, String>,
    /// Ids no heading may take: the theme's, and every id the writer gave.
    pub(super) taken: HashSet<String>,
    /// The cells shown (by number).
    pub(super) placed: HashSet<usize>,
    pub(super) problems: Vec<Diagnostic>,
    /// The cells' charts, drawn before the walk.
    pub(super) charts: &'a HashMap<usize, Drawn>,
    pub(super) sections: usize,
    pub(super) tables: usize,
    pub(super) figures: usize,
    /// The last table seen, when nothing but its caption may follow.
    pub(super) last_table: Option<usize>,
    pub(super) faq: Option<(usize, Option<usize>)>,
    /// Every heading in document order: its line, level, id, number and title, so that a
    /// figure can name the section it stands in.
    pub(super) headings: Vec<HeadingAt>,
    /// Cell number -> the line it stands on in the expanded Markdown.
    pub(super) cell_lines: HashMap<usize, usize>,
    /// Markdown table line -> its caption's label.
    pub(super) table_ids: HashMap<usize, String>,
    /// The lines of the Markdown tables, in order.
    pub(super) markdown_tables: Vec<usize>,
}

/// A heading as the planner numbered it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct HeadingAt {
    pub line: usize,
    pub level: u8,
    pub id: String,
    pub number: Option<usize>,
    pub title: String,
}

/// Ids nbrender writes itself: cells (`cell-3`), footnotes (`fn-x`, `fnref-x`), embeds.
fn is_generated_id(id: &str) -> bool {
    id.strip_prefix("cell-").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        || ["fn-", "fnref-", "embed-"].iter().any(|p| id.starts_with(p))
}

/// An id that names a section, a table or a figure.
fn is_label(id: &str) -> bool {
    ["sec-", "tbl-", "fig-"].iter().any(|p| id.starts_with(p))
}

impl<'a> Planner<'a> {
    pub(super) fn new(
        notebook: &'a Notebook,
        executed: &'a Executed,
        charts: &'a HashMap<usize, Drawn>,
        prefix: &'a str,
        reserved: &[String],
    ) -> Self {
        Planner {
            file: &notebook.source,
            prefix,
            cells: notebook.cells().map(|c| (c.fence_line, c)).collect(),
            outputs: executed.outputs.iter().map(|o| (o.number, o)).collect(),
            labels: HashMap::new(),
            taken: reserved.iter().cloned().collect(),
            placed: HashSet::new(),
            problems: Vec::new(),
            charts,
            sections: 0,
            tables: 0,
            figures: 0,
            last_table: None,
            faq: None,
            headings: Vec::new(),
            cell_lines: HashMap::new(),
            table_ids: HashMap::new(),
            markdown_tables: Vec::new(),
        }
    }

    pub(super) fn plan(&mut self, outline: &[Block]) -> Plan {
        self.take_written_ids(outline);
        let mut plan = Plan::default();
        for block in outline {
            match block {
                Block::Heading { level, line, text, attrs, top, .. } => {
                    self.heading(&mut plan, *level, *line, text, attrs.as_ref(), *top)
                }
                Block::Table { line, .. } => {
                    self.last_table = Some(*line);
                    self.markdown_tables.push(*line);
                }
                Block::Paragraph { line, file_line, text, attrs } => {
                    self.paragraph(&mut plan, *line, *file_line, text, attrs.as_ref())
                }
                Block::Cell { line, file_line } => self.code(&mut plan, *line, *file_line),
                Block::Other => self.last_table = None,
            }
        }
        plan.faq = self.faq;
        plan
    }

    /// Every id the writer gave (headings, captions, cell labels) is theirs: an id given
    /// twice, or one the page uses already, is an error at the line that gives it.
    pub(super) fn take_written_ids(&mut self, outline: &[Block]) {
        let mut written: Vec<(String, std::ops::Range<usize>)> = Vec::new();
        for block in outline {
            match block {
                Block::Heading { file_line, attrs: Some(Attributes { id: Some(id), .. }), .. } => {
                    written.push((id.clone(), self.file.line_span(*file_line)))
                }
                Block::Paragraph { file_line, text, attrs: Some(Attributes { id: Some(id), .. }), .. }
                    if text.trim_start().starts_with(':') && id.starts_with("tbl-") =>
                {
                    written.push((id.clone(), self.file.line_span(*file_line)))
                }
                Block::Cell { file_line, .. } => {
                    if let Some(label) = self.cells.get(file_line).and_then(|c| c.options.label.as_ref()) {
                        written.push((label.name.clone(), label.span.clone()));
                    }
                }
                _ => {}
            }
        }
        let reserved = self.taken.clone();
        for (id, span) in written {
            if reserved.contains(&id) || is_generated_id(&id) {
                self.problems.push(
                    Diagnostic::error(Code::ProseReservedId, format!("the id `{id}` is one the page already uses"))
                        .at(self.file, span)
                        .with_hint("choose another id; the page's own ids are the theme's, `cell-N`, and those starting `fn-`, `fnref-` and `embed-`"),
                );
            } else if !self.taken.insert(id.clone()) {
                let (code, what) =
                    if is_label(&id) { (Code::ProseDuplicateLabel, "label") } else { (Code::ProseDuplicateId, "id") };
                self.problems.push(
                    Diagnostic::error(code, format!("the {what} `{id}` is used twice"))
                        .at(self.file, span)
                        .with_hint("give every section, table and figure its own label"),
                );
            }
        }
    }

    /// An id for a heading the writer gave none: its title's slug (`section` when it has no
    /// letter or digit), numbered on when taken.
    pub(super) fn unique_id(&mut self, title: &str) -> String {
        let slug = slugify(title);
        let base = if slug.is_empty() { "section".to_string() } else { slug };
        let mut id = base.clone();
        let mut n = 0;
        while self.taken.contains(&id) || is_generated_id(&id) {
            n += 1;
            id = format!("{base}-{n}");
        }
        self.taken.insert(id.clone());
        id
    }

    pub(super) fn add_label(&mut self, id: &str, text: String) {
        self.labels.insert(id.to_string(), text);
    }

    pub(super) fn heading(
        &mut self,
        plan: &mut Plan,
        level: u8,
        line: usize,
        title: &str,
        attrs: Option<&Attributes>,
        top: bool,
    ) {
        self.last_table = None;
        let none = Attributes::default();
        let attrs = attrs.unwrap_or(&none);
        let numbered = level == 2 && top;
        if numbered && let Some((_, end @ None)) = &mut self.faq {
            *end = Some(line);
        }
        let id = match &attrs.id {
            Some(id) => id.clone(),
            None => self.unique_id(title),
        };
        if !numbered {
            self.headings.push(HeadingAt { line, level, id: id.clone(), number: None, title: title.to_string() });
            let open = format!("<h{level} id=\"{}\">", escape_html(&id));
            plan.headings.insert(line, HeadingPlan { open, ..HeadingPlan::default() });
            // Only top-level H2s are numbered: another labelled heading is cited by its title.
            if id.starts_with("sec-") {
                self.add_label(&id, title.to_string());
            }
            return;
        }
        let classes: Vec<&str> = attrs.classes.iter().map(String::as_str).filter(|c| *c != "unnumbered").collect();
        let class_attr = match classes.is_empty() {
            true => String::new(),
            false => format!(" class=\"{}\"", escape_html(&classes.join(" "))),
        };
        let mut h =
            HeadingPlan { open: format!("<h2 id=\"{}\"{class_attr}>", escape_html(&id)), ..HeadingPlan::default() };
        let mut at = HeadingAt { line, level, id: id.clone(), number: None, title: title.to_string() };
        if attrs.classes.iter().any(|c| c == "unnumbered") {
            if id.starts_with("sec-") {
                self.add_label(&id, title.to_string());
            }
        } else {
            self.sections += 1;
            at.number = Some(self.sections);
            h.prefix = format!("<span class=\"sec-num\">{}.</span>", self.sections);
            if id.starts_with("sec-") {
                let text = format!("section {}-{}", self.prefix, self.sections);
                h.after =
                    format!("<p class=\"xref-label\">{}</p>\n", escape_html(&shown(&text, attrs.short.as_deref())));
                self.add_label(&id, text);
            }
        }
        if classes.contains(&"faq") {
            self.faq = Some((line, None));
        }
        self.headings.push(at);
        plan.headings.insert(line, h);
    }

    pub(super) fn paragraph(
        &mut self,
        plan: &mut Plan,
        line: usize,
        file_line: usize,
        text: &str,
        attrs: Option<&Attributes>,
    ) {
        let table = self.last_table.take();
        let (Some(caption), Some(id)) = (
            text.trim_start().strip_prefix(':'),
            attrs.and_then(|a| a.id.as_ref()).filter(|id| id.starts_with("tbl-")),
        ) else {
            return;
        };
        plan.drop_paragraphs.push(line);
        let Some(table) = table else {
            self.problems.push(
                Diagnostic::error(Code::ProseOrphanCaption, format!("the caption `{id}` follows no table"))
                    .at(self.file, self.file.line_span(file_line))
                    .with_hint(
                        "put the `: caption {#tbl-…}` line right after a Markdown table, separated by one blank line",
                    ),
            );
            return;
        };
        self.tables += 1;
        let text = format!("table {}-{}", self.prefix, self.tables);
        let before = format!(
            "<figure class=\"nb-table\" id=\"{}\"><figcaption class=\"xref-label\">{}</figcaption>",
            escape_html(id),
            escape_html(&shown(&text, Some(caption.trim())))
        );
        plan.tables.insert(table, (before, "</figure>".to_string()));
        self.table_ids.insert(table, id.clone());
        self.add_label(id, text);
    }

    pub(super) fn code(&mut self, plan: &mut Plan, line: usize, file_line: usize) {
        self.last_table = None;
        let (Some(&cell), Some(&output)) =
            (self.cells.get(&file_line), self.cells.get(&file_line).and_then(|c| self.outputs.get(&c.number)))
        else {
            return;
        };
        self.placed.insert(cell.number);
        self.cell_lines.insert(cell.number, line);
        let label = cell.options.label.as_ref();
        if let Some(label) = label {
            self.check_label_kind(cell, output, label);
        }
        let caption = match label.map(|l| l.name.as_str()) {
            Some(l) if l.starts_with("fig-") => {
                self.figures += 1;
                let text = format!("figure {}-{}", self.prefix, self.figures);
                self.add_label(l, text.clone());
                Some(shown(&text, cell.options.fig_cap.as_deref()))
            }
            Some(l) => {
                self.tables += 1;
                let text = format!("table {}-{}", self.prefix, self.tables);
                self.add_label(l, text.clone());
                Some(shown(&text, cell.options.tbl_cap.as_deref()))
            }
            None => cell.options.fig_cap.clone().or_else(|| cell.options.tbl_cap.clone()),
        };
        let frame = CellFrame {
            caption: caption.as_deref(),
            label: label.map(|l| l.name.as_str()),
            chart: self.charts.get(&cell.number),
        };
        plan.code.insert(line, cell_html(cell, output, &frame));
    }

    /// A `fig-` label needs a chart, a `tbl-` label a table.
    pub(super) fn check_label_kind(&mut self, cell: &Cell, output: &CellOutput, label: &crate::notebook::Label) {
        let kind = match &output.value {
            Value::Chart(_) => Some("fig"),
            Value::Table(_) => Some("tbl"),
            Value::Array(rows) if !rows.is_empty() && rows.iter().all(|r| matches!(r, Value::Map(_))) => Some("tbl"),
            _ => None,
        };
        let wanted = label.name.split('-').next();
        if cell.options.eval && cell.options.output && kind != wanted {
            self.problems.push(
                Diagnostic::error(
                    Code::CellLabelKind,
                    format!(
                        "cell {} is labelled `{}` but its output is {}",
                        cell.number,
                        label.name,
                        output.value.type_name()
                    ),
                )
                .at(self.file, label.span.clone())
                .with_hint("`fig-` labels need a chart as the cell's last value, `tbl-` labels a table"),
            );
        }
    }
}

/// `table mo-1 : tool layers`, or just `table mo-1` without a caption.
pub(super) fn shown(text: &str, caption: Option<&str>) -> String {
    match caption {
        Some(c) if !c.is_empty() => format!("{text} : {c}"),
        _ => text.to_string(),
    }
}
