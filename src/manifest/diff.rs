//! `nbrender diff`: which published figures a change moves. [`read`] finds and reads the
//! manifests of an output folder (`read.rs`), [`compare`] matches two builds' pages by slug and
//! their figures by key, and [`render`] says what changed as text, JSON or Markdown
//! (`render.rs`).
//!
//! A figure changed when the text a reader sees or the value behind it did; a figure that only
//! moved to another line, or whose words around changed, did not. A page's title is a page's,
//! not a figure's: a new title alone changes nothing.

mod read;
mod render;

pub use read::{MAX_FILE_BYTES, MAX_PAGES, MAX_TOTAL_BYTES, manifest_beside, read};
pub use render::{Format, render};

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::{Figure, PageManifest, Place, Section};

/// What two builds publish differently, page by page in slug order. Empty when nothing did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Changes<'a> {
    pub pages: Vec<PageChange<'a>>,
}

/// A page with a change: one on both sides whose figures changed, or one on one side only.
/// It borrows the manifests compared.
#[derive(Debug, Clone, PartialEq)]
pub struct PageChange<'a> {
    pub page: &'a str,
    /// The newer title (the older one for a page removed).
    pub title: &'a str,
    pub notebook: &'a str,
    /// The figures the page publishes: after, or before for a page removed.
    pub figures: usize,
    pub kind: PageKind,
    /// What changed, section by section in the page's order; empty for a page added or removed.
    pub sections: Vec<SectionChange<'a>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    Changed,
    Added,
    Removed,
}

/// The changes of one section of a changed page (`section: None`: the page's texts and what
/// stands before its first section).
#[derive(Debug, Clone, PartialEq)]
pub struct SectionChange<'a> {
    pub section: Option<&'a Section>,
    /// Figures other than chart marks: changed, then added (in the newer page's order), then
    /// removed (in the older page's order).
    pub figures: Vec<FigureChange<'a>>,
    /// Each chart whose marks changed, in the page's order.
    pub charts: Vec<ChartChange<'a>>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FigureChange<'a> {
    Changed { before: &'a Figure, after: &'a Figure },
    Added(&'a Figure),
    Removed(&'a Figure),
}

impl<'a> FigureChange<'a> {
    /// The figure as it is now, or as it was when removed.
    pub fn latest(&self) -> &'a Figure {
        match self {
            FigureChange::Changed { after, .. } | FigureChange::Added(after) => after,
            FigureChange::Removed(before) => before,
        }
    }

    pub fn before(&self) -> Option<&'a Figure> {
        match self {
            FigureChange::Changed { before, .. } | FigureChange::Removed(before) => Some(before),
            FigureChange::Added(_) => None,
        }
    }

    pub fn after(&self) -> Option<&'a Figure> {
        match self {
            FigureChange::Changed { after, .. } | FigureChange::Added(after) => Some(after),
            FigureChange::Removed(_) => None,
        }
    }
}

/// A chart whose data changed: its marks that changed, were added or removed, in the page's
/// order, and how many marks it has on each side (0 before: a new chart; 0 after: a chart gone).
#[derive(Debug, Clone, PartialEq)]
pub struct ChartChange<'a> {
    /// The chart's label (`fig-tiers`) or `cell-3`.
    pub figure: &'a str,
    pub marks_before: usize,
    pub marks_after: usize,
    pub marks: Vec<FigureChange<'a>>,
}

/// How much changed, for a summary line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Counts {
    pub pages_changed: usize,
    pub pages_added: usize,
    pub pages_removed: usize,
    pub figures_changed: usize,
    pub figures_added: usize,
    pub figures_removed: usize,
    pub charts_changed: usize,
}

impl Changes<'_> {
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for page in &self.pages {
            match page.kind {
                PageKind::Added => c.pages_added += 1,
                PageKind::Removed => c.pages_removed += 1,
                PageKind::Changed => c.pages_changed += 1,
            }
        }
        for section in self.sections() {
            for f in &section.figures {
                match f {
                    FigureChange::Changed { .. } => c.figures_changed += 1,
                    FigureChange::Added(_) => c.figures_added += 1,
                    FigureChange::Removed(_) => c.figures_removed += 1,
                }
            }
            c.charts_changed += section.charts.len();
        }
        c
    }

    fn sections(&self) -> impl Iterator<Item = &SectionChange<'_>> {
        self.pages.iter().flat_map(|p| p.sections.iter())
    }
}

impl<'a> PageChange<'a> {
    fn new(page: &'a PageManifest, kind: PageKind, sections: Vec<SectionChange<'a>>) -> PageChange<'a> {
        PageChange {
            page: &page.page,
            title: &page.title,
            notebook: &page.notebook,
            figures: page.figures.len(),
            kind,
            sections,
        }
    }
}

/// Compares two builds: pages matched by slug, figures by key. A page that appears twice on a
/// side counts once (its first manifest); so does a key that appears twice on a page. [`read`]
/// refuses both.
pub fn compare<'a>(old: &'a [PageManifest], new: &'a [PageManifest]) -> Changes<'a> {
    let (old, new) = (by_slug(old), by_slug(new));
    let slugs: BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
    let mut pages = Vec::new();
    for slug in slugs {
        match (old.get(slug), new.get(slug)) {
            (Some(before), Some(after)) => {
                let sections = compare_page(before, after);
                if !sections.is_empty() {
                    pages.push(PageChange::new(after, PageKind::Changed, sections));
                }
            }
            (None, Some(after)) => pages.push(PageChange::new(after, PageKind::Added, Vec::new())),
            (Some(before), None) => pages.push(PageChange::new(before, PageKind::Removed, Vec::new())),
            (None, None) => {}
        }
    }
    Changes { pages }
}

fn by_slug(pages: &[PageManifest]) -> BTreeMap<&str, &PageManifest> {
    let mut map = BTreeMap::new();
    for page in pages {
        map.entry(page.page.as_str()).or_insert(page);
    }
    map
}

/// A section's id, `None` for the page's texts and what stands before its first section.
type SectionId<'a> = Option<&'a str>;

fn section_id(f: &Figure) -> SectionId<'_> {
    f.section.as_ref().map(|s| s.id.as_str())
}

/// The chart a figure is a mark of.
fn chart_of(f: &Figure) -> Option<&str> {
    match &f.place {
        Place::Chart { figure, .. } => Some(figure),
        _ => None,
    }
}

/// The figures of a page by key, first occurrence kept, in page order.
fn keyed(page: &PageManifest) -> (Vec<&Figure>, HashMap<&str, &Figure>) {
    let mut order = Vec::with_capacity(page.figures.len());
    let mut map = HashMap::with_capacity(page.figures.len());
    for f in &page.figures {
        if let std::collections::hash_map::Entry::Vacant(e) = map.entry(f.key.as_str()) {
            e.insert(f);
            order.push(f);
        }
    }
    (order, map)
}

/// A section being filled, with its charts by label.
#[derive(Default)]
struct Building<'a> {
    figures: Vec<FigureChange<'a>>,
    charts: Vec<(&'a str, Vec<FigureChange<'a>>)>,
}

fn compare_page<'a>(old: &'a PageManifest, new: &'a PageManifest) -> Vec<SectionChange<'a>> {
    let (old_order, old_keys) = keyed(old);
    let (new_order, new_keys) = keyed(new);
    let order = section_order(&old_order, &new_order);
    // Where each chart stands: the section of its first mark, after if it has marks after.
    let mut chart_section: HashMap<&str, SectionId<'_>> = HashMap::new();
    let mut marks_before: HashMap<&str, usize> = HashMap::new();
    let mut marks_after: HashMap<&str, usize> = HashMap::new();
    for f in &new_order {
        if let Some(chart) = chart_of(f) {
            chart_section.entry(chart).or_insert(section_id(f));
            *marks_after.entry(chart).or_default() += 1;
        }
    }
    for f in &old_order {
        if let Some(chart) = chart_of(f) {
            chart_section.entry(chart).or_insert(section_id(f));
            *marks_before.entry(chart).or_default() += 1;
        }
    }
    let mut sections: HashMap<SectionId<'a>, Building<'a>> = HashMap::new();
    let mut place = |f: &'a Figure, change: FigureChange<'a>| {
        let (section, chart) = match chart_of(f) {
            Some(chart) => (chart_section.get(chart).copied().flatten(), Some(chart)),
            None => (section_id(f), None),
        };
        let building = sections.entry(section).or_default();
        match chart {
            None => building.figures.push(change),
            Some(chart) => match building.charts.iter_mut().find(|(c, _)| *c == chart) {
                Some((_, marks)) => marks.push(change),
                None => building.charts.push((chart, vec![change])),
            },
        }
    };
    let mut added = Vec::new();
    for after in &new_order {
        match old_keys.get(after.key.as_str()) {
            Some(before) if differs(before, after) => place(after, FigureChange::Changed { before, after }),
            Some(_) => {}
            None => added.push(*after),
        }
    }
    for after in added {
        place(after, FigureChange::Added(after));
    }
    for before in old_order.iter().filter(|f| !new_keys.contains_key(f.key.as_str())) {
        place(before, FigureChange::Removed(before));
    }
    let shown = |id: SectionId<'a>| -> Option<&'a Section> {
        let id = id?;
        let find = |figures: &[&'a Figure]| figures.iter().find_map(|f| f.section.as_ref().filter(|s| s.id == id));
        find(&new_order).or_else(|| find(&old_order))
    };
    order
        .into_iter()
        .filter_map(|id| {
            let building = sections.remove(&id)?;
            let charts = building
                .charts
                .into_iter()
                .map(|(chart, mut marks)| {
                    // Changed marks first, then added, then removed, as figures are.
                    marks.sort_by_key(|m| match m {
                        FigureChange::Changed { .. } => 0,
                        FigureChange::Added(_) => 1,
                        FigureChange::Removed(_) => 2,
                    });
                    ChartChange {
                        figure: chart,
                        marks_before: marks_before.get(chart).copied().unwrap_or(0),
                        marks_after: marks_after.get(chart).copied().unwrap_or(0),
                        marks,
                    }
                })
                .collect();
            Some(SectionChange { section: shown(id), figures: building.figures, charts })
        })
        .collect()
}

/// The sections of a page in its order: the page's own texts first, then the newer page's
/// sections, each section only the older page had placed after the one it followed there.
fn section_order<'a>(old: &[&'a Figure], new: &[&'a Figure]) -> Vec<SectionId<'a>> {
    let mut rank: HashMap<SectionId<'a>, (usize, usize)> = HashMap::new();
    rank.insert(None, (0, 0));
    for f in new {
        let next = rank.len();
        rank.entry(section_id(f)).or_insert((next, 0));
    }
    let mut follows = 0;
    let mut seen: HashSet<SectionId<'a>> = HashSet::new();
    for (i, f) in old.iter().enumerate() {
        let id = section_id(f);
        if !seen.insert(id) {
            continue;
        }
        match rank.get(&id) {
            Some(&(at, 0)) => follows = at,
            Some(_) => {}
            None => {
                rank.insert(id, (follows, i + 1));
            }
        }
    }
    let mut order: Vec<(SectionId<'a>, (usize, usize))> = rank.into_iter().collect();
    order.sort_by_key(|&(_, r)| r);
    order.into_iter().map(|(id, _)| id).collect()
}

/// A figure changed when a reader sees another text or the value behind it is another.
pub(crate) fn differs(before: &Figure, after: &Figure) -> bool {
    before.text != after.text || !same_value(&before.value, &after.value)
}

/// JSON values alike, numbers compared as numbers (`150000` is `150000.0`). Walked without
/// recursion, so no value is too deep for it.
fn same_value(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    let mut pending = vec![(a, b)];
    while let Some((a, b)) = pending.pop() {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => {
                let same = match (x.as_i64(), y.as_i64()) {
                    (Some(x), Some(y)) => x == y,
                    _ => x.as_f64() == y.as_f64(),
                };
                if !same {
                    return false;
                }
            }
            (Value::Array(x), Value::Array(y)) => {
                if x.len() != y.len() {
                    return false;
                }
                pending.extend(x.iter().zip(y));
            }
            (Value::Object(x), Value::Object(y)) => {
                if x.len() != y.len() {
                    return false;
                }
                for (key, x) in x {
                    let Some(y) = y.get(key) else { return false };
                    pending.push((x, y));
                }
            }
            (a, b) if a != b => return false,
            _ => {}
        }
    }
    true
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn section(id: &str, number: Option<usize>, title: &str) -> Option<Section> {
        Some(Section { id: id.into(), number, title: title.into() })
    }

    pub(crate) fn figure(
        key: &str,
        place: Place,
        section: Option<Section>,
        value: serde_json::Value,
        text: &str,
    ) -> Figure {
        Figure {
            key: key.into(),
            section,
            place,
            expression: None,
            at: "mlops.md:12".into(),
            value,
            text: text.into(),
            context: Some(format!("… the median sits at {text} for …")),
            sources: Default::default(),
        }
    }

    pub(crate) fn mark(chart: &str, series: &str, category: &str, value: f64, text: &str) -> Figure {
        let place = Place::Chart { figure: chart.into(), series: series.into(), category: category.into() };
        let key = format!("chart/{chart}/{series}/{category}");
        Figure {
            context: None,
            ..figure(&key, place, section("sec-pay", Some(2), "Pay by employer"), json!(value), text)
        }
    }

    pub(crate) fn page(slug: &str, figures: Vec<Figure>) -> PageManifest {
        PageManifest {
            version: crate::manifest::VERSION,
            page: slug.into(),
            title: format!("{slug} title"),
            notebook: format!("{slug}.md"),
            figures,
        }
    }

    fn lede(value: f64, text: &str) -> Figure {
        figure("lede/median | money", Place::Lede, None, json!(value), text)
    }

    fn prose(key: &str, value: f64, text: &str) -> Figure {
        figure(key, Place::Prose, section("sec-pay", Some(2), "Pay by employer"), json!(value), text)
    }

    #[test]
    fn the_same_figures_are_no_change() {
        let pages = vec![page("a", vec![lede(150000.0, "$150k"), prose("prose/sec-pay/x", 1.0, "1")])];
        assert!(compare(&pages, &pages).is_empty());
        assert!(compare(&[], &[]).is_empty());
    }

    #[test]
    fn a_changed_value_or_text_is_a_change() {
        let old = vec![page("a", vec![lede(150000.0, "$150k"), prose("p", 0.5, "50%")])];
        let new = vec![page("a", vec![lede(155000.0, "$155k"), prose("p", 0.5, "half")])];
        let changes = compare(&old, &new);
        assert_eq!(changes.counts().figures_changed, 2);
        let [page] = changes.pages.as_slice() else { panic!("{changes:?}") };
        assert_eq!(page.kind, PageKind::Changed);
        let sections: Vec<Option<&str>> =
            page.sections.iter().map(|s| s.section.as_ref().map(|s| s.id.as_str())).collect();
        assert_eq!(sections, [None, Some("sec-pay")]);
        let FigureChange::Changed { before, after } = &page.sections[0].figures[0] else { panic!() };
        assert_eq!((before.text.as_str(), after.text.as_str()), ("$150k", "$155k"));
    }

    #[test]
    fn a_value_alone_that_changed_is_a_change_though_the_text_is_the_same() {
        // $150.2k and $150.4k both shown as "$150k": the value behind it moved.
        let old = vec![page("a", vec![lede(150200.0, "$150k")])];
        let new = vec![page("a", vec![lede(150400.0, "$150k")])];
        assert_eq!(compare(&old, &new).counts().figures_changed, 1);
    }

    #[test]
    fn a_moved_line_or_new_words_around_is_no_change() {
        let old = vec![page("a", vec![lede(150000.0, "$150k")])];
        let mut moved = lede(150000.0, "$150k");
        moved.at = "mlops.md:40".into();
        moved.context = Some("entirely other words around $150k".into());
        moved.expression = Some("median | money".into());
        let mut new = vec![page("a", vec![moved])];
        new[0].title = "A new title".into();
        new[0].notebook = "renamed.md".into();
        assert!(compare(&old, &new).is_empty());
    }

    #[test]
    fn numbers_are_compared_as_numbers() {
        let with = |value: serde_json::Value| vec![page("a", vec![figure("k", Place::Lede, None, value, "x")])];
        assert!(compare(&with(json!(150000)), &with(json!(150000.0))).is_empty());
        assert!(compare(&with(json!({"lo": 1, "hi": 2.5})), &with(json!({"lo": 1.0, "hi": 2.5}))).is_empty());
        assert!(!compare(&with(json!({"lo": 1, "hi": 2.5})), &with(json!({"lo": 1, "hi": 2.6}))).is_empty());
        assert!(!compare(&with(json!([1, 2])), &with(json!([1, 2, 3]))).is_empty());
        assert!(!compare(&with(json!("1")), &with(json!(1))).is_empty());
        assert!(!compare(&with(json!(null)), &with(json!(0))).is_empty());
    }

    #[test]
    fn figures_added_and_removed_are_listed_after_those_changed() {
        let old = vec![page("a", vec![prose("p1", 1.0, "1"), prose("p2", 2.0, "2")])];
        let new = vec![page("a", vec![prose("p3", 3.0, "3"), prose("p1", 9.0, "9")])];
        let changes = compare(&old, &new);
        let figures = &changes.pages[0].sections[0].figures;
        let keys: Vec<(&str, &str)> = figures
            .iter()
            .map(|f| {
                let kind = match f {
                    FigureChange::Changed { .. } => "changed",
                    FigureChange::Added(_) => "added",
                    FigureChange::Removed(_) => "removed",
                };
                (kind, f.latest().key.as_str())
            })
            .collect();
        assert_eq!(keys, [("changed", "p1"), ("added", "p3"), ("removed", "p2")]);
        let counts = changes.counts();
        assert_eq!((counts.figures_changed, counts.figures_added, counts.figures_removed), (1, 1, 1));
    }

    #[test]
    fn pages_added_and_removed_are_listed_in_slug_order_with_their_figures_counted() {
        let old = vec![page("b", vec![lede(1.0, "1")]), page("c", vec![])];
        let new = vec![page("c", vec![]), page("a", vec![lede(1.0, "1"), lede(2.0, "2")])];
        let changes = compare(&old, &new);
        let pages: Vec<(&str, PageKind, usize)> = changes.pages.iter().map(|p| (p.page, p.kind, p.figures)).collect();
        assert_eq!(pages, [("a", PageKind::Added, 2), ("b", PageKind::Removed, 1)]);
    }

    #[test]
    fn chart_marks_are_grouped_per_chart() {
        let marks = |senior: f64| {
            vec![
                mark("fig-tiers", "base", "Junior", 90000.0, "$90k"),
                mark("fig-tiers", "base", "Senior", senior, &format!("${}k", senior / 1000.0)),
                mark("fig-other", "base", "Senior", 1.0, "1"),
            ]
        };
        let old = vec![page("a", marks(150000.0))];
        let mut new_marks = marks(155000.0);
        new_marks.push(mark("fig-tiers", "base", "Staff", 190000.0, "$190k"));
        new_marks.push(mark("fig-new", "base", "Staff", 1.0, "1"));
        let new = vec![page("a", new_marks)];
        let changes = compare(&old, &new);
        let section = &changes.pages[0].sections[0];
        assert!(section.figures.is_empty(), "marks are not listed as figures");
        let charts: Vec<(&str, usize, usize, usize)> =
            section.charts.iter().map(|c| (c.figure, c.marks_before, c.marks_after, c.marks.len())).collect();
        assert_eq!(charts, [("fig-tiers", 2, 3, 2), ("fig-new", 0, 1, 1)]);
        assert_eq!(changes.counts().charts_changed, 2);
        assert_eq!(changes.counts().figures_changed, 0);
    }

    #[test]
    fn a_section_only_the_older_page_had_stays_where_it_stood() {
        let in_section =
            |key: &str, id: &str, v: f64| figure(key, Place::Prose, section(id, None, id), json!(v), &v.to_string());
        let old =
            vec![page("a", vec![in_section("1", "s1", 1.0), in_section("2", "gone", 2.0), in_section("3", "s3", 3.0)])];
        let new = vec![page("a", vec![in_section("1", "s1", 9.0), in_section("3", "s3", 9.0), lede(1.0, "1")])];
        let changes = compare(&old, &new);
        let order: Vec<Option<&str>> =
            changes.pages[0].sections.iter().map(|s| s.section.as_ref().map(|s| s.id.as_str())).collect();
        assert_eq!(order, [None, Some("s1"), Some("gone"), Some("s3")]);
    }

    #[test]
    fn a_key_twice_on_a_page_counts_once() {
        let old = vec![page("a", vec![lede(1.0, "1"), lede(2.0, "2")])];
        let new = vec![page("a", vec![lede(1.0, "1")])];
        assert!(compare(&old, &new).is_empty());
    }

    #[test]
    fn values_nested_deep_are_compared_without_recursion() {
        let deep = || (0..100_000).fold(json!(1), |v, _| serde_json::Value::Array(vec![v]));
        let (a, b) = (deep(), deep());
        assert!(same_value(&a, &b));
        // Dropping a value this deep recurses in serde_json: leak the test's two.
        std::mem::forget(a);
        std::mem::forget(b);
    }
}
