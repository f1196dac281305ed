//! Families: a notebook with `pages:` publishes one page per parameter set. Its members are
//! read here, once, when the folder loads: the parameter sets (listed, or a matrix of lists
//! and `data:` columns), each member's slug and title from their templates, and every mistake
//! at its key in `pages:`. A member is the family's notebook with `Notebook::member` set: it
//! shares the parsed text, and the build loads the family's data once for all of them.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use indexmap::IndexMap;
use serde_json::Value;

use crate::data::DataLimits;
use crate::diag::{Code, Diagnostic};
use crate::exec::{PageKind, SitePage, SiteView};
use crate::notebook::{Member, Notebook};
use crate::template::{Output, ProseTemplates, Scope};

/// More members than this in one family is a mistake (a matrix multiplied out too far), not a
/// site.
pub const MAX_MEMBERS: usize = 1_000_000;

/// The fuel one member's slug or title may use: a few filters over its parameters take tens.
const MEMBER_FUEL: u64 = 10_000;

/// The members of family `nb`, in order: `each` as listed; a matrix with its first parameter
/// outermost, each list in its order and each column's values in the order rows first give
/// them.
pub(crate) fn members(nb: &Notebook, data: &DataLimits) -> Result<Vec<Notebook>, Vec<Diagnostic>> {
    let Some(pages) = &nb.front.pages else { return Ok(Vec::new()) };
    // A mistake in a parameter's name is at its key; one in what it is set to, at the value.
    let at = |keys: &[&str], value: bool| {
        nb.front
            .spans
            .at(keys)
            .map(|p| match (value, &p.key) {
                (false, Some(key)) => key.clone(),
                _ => p.value.clone(),
            })
            .unwrap_or_else(|| nb.source.line_span(1))
    };
    let error = |keys: &[&str], message: String, hint: &str| {
        Diagnostic::error(Code::FrontmatterPages, message).at(&nb.source, at(keys, true)).with_hint(hint)
    };
    let key_error = |keys: &[&str], message: String, hint: &str| {
        Diagnostic::error(Code::FrontmatterPages, message).at(&nb.source, at(keys, false)).with_hint(hint)
    };
    let errors = Errors { value: &error, key: &key_error };
    if !crate::template::is_fixed(&nb.front.title) {
        return Err(vec![error(
            &["title"],
            "a family's `title:` is its landing page's title, and cannot use values".into(),
            "write the family's title as text; each member's title is `pages.title`, which can use the parameters",
        )]);
    }
    let sets = match (&pages.each, &pages.matrix) {
        (Some(each), None) => listed(nb, each, &errors)?,
        (None, Some(matrix)) => matrix_sets(nb, matrix, data, &errors)?,
        _ => {
            return Err(vec![error(
                &["pages"],
                "`pages:` needs exactly one of `each` (a list of parameter sets) or `matrix` (a list per parameter)"
                    .into(),
                "write `each: [{ level: L3 }, { level: L4 }]` or `matrix: { level: [L3, L4] }`",
            )]);
        }
    };
    if sets.is_empty() {
        return Err(vec![error(&["pages"], "`pages:` gives no pages".into(), "list at least one parameter set")]);
    }
    // Expanded once per member: each expansion may do little, so a million members cannot
    // take long (a template that needs more is an error).
    let templates = ProseTemplates::with_fuel(crate::template::ProseLimits::default(), MEMBER_FUEL);
    let mut out = Vec::with_capacity(sets.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (number, params) in sets.into_iter().enumerate() {
        let mut member = Member { slug: String::new(), title: String::new(), params, number };
        let mut scope: IndexMap<String, Value> = nb.front.params.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        scope.extend(member.params.iter().map(|(k, v)| (k.clone(), v.clone())));
        let scope = Scope::from_json(&scope);
        let names: Vec<&str> = nb.front.params.keys().map(String::as_str).collect();
        let expand = |key: &str, text: &str| {
            let written = nb.front.value_span(&["pages", key]).unwrap_or_else(|| nb.source.line_span(1));
            crate::render::texts::expand_text(&templates, text, &scope, &nb.source, written, &names, Output::Text)
        };
        // A mistake in a template is the same for every member: said once.
        member.slug = expand("slug", &pages.slug)?;
        member.title = expand("title", &pages.title)?;
        if !crate::notebook::frontmatter::is_valid_slug(&member.slug) {
            return Err(vec![error(
                &["pages", "slug"],
                format!(
                    "`pages.slug` gives `{}` for the page with {}: not a valid slug",
                    member.slug,
                    member.params_text()
                ),
                "a slug uses only lowercase letters, digits and `-`: apply `| lower` or `| slugify` to the parameters",
            )]);
        }
        if let Some(&other) = seen.get(&member.slug) {
            let other: &Notebook = &out[other];
            let other = other.member.as_ref().map(|m| m.params_text()).unwrap_or_default();
            return Err(vec![error(
                &["pages", "slug"],
                format!(
                    "`pages.slug` gives `{}` to two pages: the one with {other} and the one with {}",
                    member.slug,
                    member.params_text()
                ),
                "every member needs its own slug: use every parameter that differs in `pages.slug`",
            )]);
        }
        seen.insert(member.slug.clone(), out.len());
        let mut page = nb.clone();
        page.problems = Vec::new();
        page.member = Some(Arc::new(member));
        out.push(page);
    }
    Ok(out)
}

type ErrorAt<'a> = dyn Fn(&[&str], String, &str) -> Diagnostic + 'a;

/// How `pages:` mistakes are placed: at the value written at a path of keys, or at its key.
struct Errors<'a> {
    value: &'a ErrorAt<'a>,
    key: &'a ErrorAt<'a>,
}

/// `each:` — the parameter sets as listed.
fn listed(
    nb: &Notebook,
    each: &[IndexMap<String, Value>],
    errors: &Errors<'_>,
) -> Result<Vec<IndexMap<String, Value>>, Vec<Diagnostic>> {
    let error = errors.value;
    let mut problems = Vec::new();
    for (i, set) in each.iter().enumerate() {
        let item = i.to_string();
        for (name, value) in set {
            let keys = ["pages", "each", item.as_str(), name.as_str()];
            problems.extend(declared(nb, name, &keys, errors.key));
            if !is_scalar(value) {
                problems.push(error(
                    &keys,
                    format!("the parameter `{name}` of page {} is not a single value", i + 1),
                    "a parameter is text, a number or true/false",
                ));
            }
        }
    }
    if problems.is_empty() { Ok(each.to_vec()) } else { Err(problems) }
}

/// `matrix:` — every combination of the parameters' values.
fn matrix_sets(
    nb: &Notebook,
    matrix: &IndexMap<String, Value>,
    data: &DataLimits,
    errors: &Errors<'_>,
) -> Result<Vec<IndexMap<String, Value>>, Vec<Diagnostic>> {
    let error = errors.value;
    let mut axes: Vec<(&str, Vec<Value>)> = Vec::new();
    let mut problems = Vec::new();
    for (name, written) in matrix {
        let keys = ["pages", "matrix", name.as_str()];
        problems.extend(declared(nb, name, &keys, errors.key));
        let values = match written {
            Value::Array(items) => {
                if let Some(bad) = items.iter().position(|v| !is_scalar(v)) {
                    problems.push(error(
                        &keys,
                        format!("value {} of `{name}` is not a single value", bad + 1),
                        "a parameter is text, a number or true/false",
                    ));
                    continue;
                }
                items.clone()
            }
            Value::String(column) => match column_values(nb, name, column, data, error) {
                Ok(values) => values,
                Err(d) => {
                    problems.push(d);
                    continue;
                }
            },
            _ => {
                problems.push(error(
                    &keys,
                    format!("`{name}` under `matrix:` must be a list of values or a `data:` column"),
                    "write `level: [L3, L4, L5]`, or `level: levels.level` for the column `level` of the table `levels`",
                ));
                continue;
            }
        };
        if values.is_empty() {
            problems.push(error(&keys, format!("`{name}` under `matrix:` has no values"), "give it at least one"));
        }
        axes.push((name, values));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let count = axes.iter().try_fold(1usize, |n, (_, v)| n.checked_mul(v.len())).filter(|&n| n <= MAX_MEMBERS);
    let Some(count) = count else {
        let sizes: Vec<String> = axes.iter().map(|(name, v)| format!("{} {name}", v.len())).collect();
        return Err(vec![error(
            &["pages", "matrix"],
            format!(
                "`matrix:` makes more than {} pages ({})",
                crate::format::num(MAX_MEMBERS as f64),
                sizes.join(" x ")
            ),
            "split the family into several notebooks, or list the pages you need under `each:`",
        )]);
    };
    let mut sets = Vec::with_capacity(count);
    for n in 0..count {
        // The last parameter varies fastest.
        let mut rest = n;
        let mut set = IndexMap::new();
        for (name, values) in axes.iter().rev() {
            set.insert(name.to_string(), values[rest % values.len()].clone());
            rest /= values.len();
        }
        set.reverse();
        sets.push(set);
    }
    Ok(sets)
}

/// The distinct values of `TABLE.COLUMN`, a column of one of the notebook's `data:` tables,
/// in the order the rows first give them.
fn column_values(
    nb: &Notebook,
    name: &str,
    written: &str,
    limits: &DataLimits,
    error: &ErrorAt<'_>,
) -> Result<Vec<Value>, Diagnostic> {
    let keys = ["pages", "matrix", name];
    let hint = "name a column of a `data:` table as `TABLE.COLUMN`, such as `levels.level`";
    let Some((table, column)) = written.split_once('.') else {
        return Err(error(&keys, format!("`{written}` is not a `data:` column"), hint));
    };
    let Some(rel) = nb.front.data.get(table) else {
        let known: Vec<&str> = nb.front.data.keys().map(String::as_str).collect();
        let d = error(&keys, format!("`{written}`: the notebook has no `data:` table `{table}`"), hint);
        return Err(d.with_suggestion(table, known.iter().copied()).or_hint(hint));
    };
    let dir = nb.path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let rows = crate::data::resolve(dir, rel)
        .and_then(|p| crate::data::load(&p, rel, limits))
        .map_err(|e| error(&keys, format!("`{written}`: {}", e.message), e.hint.as_deref().unwrap_or(hint)))?;
    let Value::Array(rows) = &*rows else {
        return Err(error(&keys, format!("`{written}`: `{table}` is not a list of rows"), hint));
    };
    let mut values: Vec<Value> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let value = row.as_object().and_then(|r| r.get(column));
        match value {
            Some(v) if is_scalar(v) => {
                if !values.contains(v) {
                    values.push(v.clone());
                }
            }
            Some(_) => {
                return Err(error(
                    &keys,
                    format!("`{written}`: row {} holds more than a single value in `{column}`", i + 1),
                    hint,
                ));
            }
            None => {
                let columns: Vec<&str> =
                    row.as_object().map(|r| r.keys().map(String::as_str).collect()).unwrap_or_default();
                let d = error(&keys, format!("`{written}`: row {} of `{table}` has no column `{column}`", i + 1), hint);
                return Err(d.with_suggestion(column, columns.iter().copied()).or_hint(hint));
            }
        }
    }
    Ok(values)
}

/// A parameter a family sets must be declared under `params:`: that is its default and what
/// the notebook alone runs with.
fn declared(nb: &Notebook, name: &str, keys: &[&str], error: &ErrorAt<'_>) -> Option<Diagnostic> {
    (!nb.front.params.contains_key(name)).then(|| {
        error(
            keys,
            format!("`{name}` is not declared under `params:`"),
            &format!("declare it with a default, as `params: {{ {name}: … }}`; each page then sets its own value"),
        )
    })
}

fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

/// The family entry of notebook `i`, when it is a member: members follow their family's entry,
/// in order (`load.rs` puts them there).
pub(crate) fn entry_of(notebooks: &[Notebook], i: usize) -> Option<usize> {
    let number = notebooks[i].member.as_ref()?.number;
    i.checked_sub(number + 1)
}

/// The members of the family whose entry is `entry`.
pub(crate) fn members_of(notebooks: &[Notebook], entry: usize) -> std::ops::Range<usize> {
    let start = entry + 1;
    let count = notebooks
        .get(start..)
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .take_while(|(k, n)| n.member.as_ref().is_some_and(|m| m.number == *k))
        .count();
    start..start + count
}

/// What the cells of a build see of its pages: `site()`'s listing in site order (every page
/// that runs: not a family's landing page, but each of its members), and what each slug names.
/// Also the listing's hash, which the fingerprint of a notebook that calls `site()` takes.
pub(crate) fn site_view(notebooks: &[Notebook], order: &super::index::Order) -> (Arc<SiteView>, u64) {
    let pages: Vec<SitePage> = order
        .pages()
        .filter(|&i| !notebooks[i].is_family())
        .map(|i| {
            let nb = &notebooks[i];
            SitePage {
                slug: nb.slug(),
                title: nb.title().text().to_string(),
                group: nb.front.group.clone(),
                section: nb.front.section.clone(),
                family: order.family(i).map(|e| notebooks[e].slug()),
                params: nb.member.as_ref().map(|m| m.params.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let kinds = notebooks
        .iter()
        .enumerate()
        .map(|(i, nb)| {
            let kind = match nb.is_family() {
                true => {
                    let members = members_of(notebooks, i);
                    let first = members.clone().next().map(|m| notebooks[m].slug()).unwrap_or_default();
                    PageKind::Family { members: members.len(), first }
                }
                false => PageKind::Page,
            };
            (nb.slug(), kind)
        })
        .collect();
    let print = super::fingerprint::hash_of(serde_json::to_string(&pages).unwrap_or_default());
    (Arc::new(SiteView::new(&pages, kinds)), print)
}

/// How an error names a notebook: its file, and for a member of a family, which page.
pub(crate) fn describe(nb: &Notebook) -> String {
    match &nb.member {
        Some(m) => format!("the page with {} of {} (`{}`)", m.params_text(), nb.source.name, m.slug),
        None => nb.source.name.clone(),
    }
}

/// How a cycle's chain names a notebook: its file, and a member's slug after it.
pub(crate) fn in_cycle(nb: &Notebook) -> String {
    match &nb.member {
        Some(m) => format!("{} ({})", nb.source.name, m.slug),
        None => nb.source.name.clone(),
    }
}

/// Whether `--param key=value` selects member `m`: the value read as YAML, or as text.
pub(crate) fn matches(m: &Member, key: &str, value: &str) -> Option<bool> {
    let own = m.params.get(key)?;
    let read = crate::yaml::from_str::<crate::yaml::Json>(value).map(|v| v.0).ok();
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    Some(read.as_ref() == Some(own) || text(own) == value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family(front: &str) -> Result<Vec<Notebook>, Vec<Diagnostic>> {
        let text = format!("---\n{front}---\n```{{rhai}}\nlevel\n```\n");
        let nb = crate::notebook::parse(Path::new("f.md"), "f.md", text).unwrap();
        members(&nb, &DataLimits::default())
    }

    fn slugs(m: &[Notebook]) -> Vec<String> {
        m.iter().map(Notebook::slug).collect()
    }

    #[test]
    fn a_matrix_multiplies_out_first_parameter_outermost() {
        let m = family(
            "title: Pay\nparams: { level: L5, city: x }\npages:\n  slug: pay-{{ level | lower }}-{{ city }}\n  title: \"{{ level }} in {{ city }}\"\n  matrix:\n    level: [L3, L4]\n    city: [berlin, paris, rome]\n",
        )
        .unwrap();
        assert_eq!(
            slugs(&m),
            ["pay-l3-berlin", "pay-l3-paris", "pay-l3-rome", "pay-l4-berlin", "pay-l4-paris", "pay-l4-rome"]
        );
        let last = m[5].member.as_ref().unwrap();
        assert_eq!((last.title.as_str(), last.number), ("L4 in rome", 5));
        assert_eq!(last.params_text(), "level: L4, city: rome");
    }

    #[test]
    fn mistakes_are_named_at_their_key() {
        let e = family("title: P\nparams: { level: L5 }\npages:\n  slug: p\n  title: T\n  matrix: { lvl: [a] }\n")
            .unwrap_err();
        assert!(e[0].message.contains("`lvl` is not declared under `params:`"), "{}", e[0].message);
        let e = family("title: P\nparams: { level: L5 }\npages:\n  slug: p\n  title: T\n  matrix: { level: [a, b] }\n")
            .unwrap_err();
        assert!(e[0].message.contains("gives `p` to two pages: the one with level: a and the one with level: b"));
        let e = family(
            "title: P\nparams: { level: L5 }\npages:\n  slug: P-{{ level }}\n  title: T\n  each: [{ level: a }]\n",
        )
        .unwrap_err();
        assert!(e[0].message.contains("gives `P-a` for the page with level: a: not a valid slug"), "{}", e[0].message);
        let e =
            family("title: \"{{ x }}\"\nparams: { level: L5 }\npages: { slug: p, title: T, each: [] }\n").unwrap_err();
        assert!(e[0].message.contains("landing page's title"), "{}", e[0].message);
        let huge = "title: P\nparams: { a: 1, b: 1, c: 1 }\npages:\n  slug: p-{{ a }}-{{ b }}-{{ c }}\n  title: T\n  matrix: { a: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100], b: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100,101], c: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100] }\n";
        let e = family(huge).unwrap_err();
        assert!(e[0].message.contains("makes more than 1,000,000 pages (100 a x 101 b x 100 c)"), "{}", e[0].message);
    }

    #[test]
    fn a_slug_template_that_does_much_work_is_stopped() {
        let e = family("title: P\nparams: { level: 5 }\npages:\n  slug: \"p-{% for i in range(100000) %}{% endfor %}{{ level }}\"\n  title: T\n  each: [{ level: 5 }]\n")
            .unwrap_err();
        assert!(e[0].message.contains("fuel") || e[0].message.contains("too"), "{}", e[0].message);
    }

    #[test]
    fn a_param_selects_members_by_value_or_text() {
        let m = family("title: P\nparams: { level: 5 }\npages:\n  slug: p-{{ level }}\n  title: T\n  each: [{ level: 5 }, { level: 6 }]\n")
            .unwrap();
        let first = m[0].member.as_ref().unwrap();
        assert_eq!(matches(first, "level", "5"), Some(true));
        assert_eq!(matches(first, "level", "6"), Some(false));
        assert_eq!(matches(first, "other", "6"), None);
    }
}
