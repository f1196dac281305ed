//! The site's order and its index: groups in `_site.yaml` order, pages by section number;
//! `out/index.html` lists them with their headline figures, `out/sitemap.xml` their URLs.

use serde::Serialize;

use crate::html::escape_html;
use crate::notebook::Notebook;
use crate::render::texts::FrontTexts;
use crate::render::{IndexContext, IndexGroup, IndexPage, SiteInfo};

/// The pages in site order, by group.
#[derive(Debug, Clone, Default)]
pub(crate) struct Order {
    /// Group name (`None` for pages without one) and its notebooks, in order.
    pub groups: Vec<(Option<String>, Vec<usize>)>,
    /// Each notebook's place in the whole site, from 0.
    position: Vec<usize>,
}

impl Order {
    /// Orders `notebooks`: the groups `_site.yaml` names first, in its order, then the others
    /// alphabetically, then pages without a group; pages by section number, then title.
    pub fn new(notebooks: &[Notebook], group_order: &[String]) -> Order {
        let mut names: Vec<Option<String>> = Vec::new();
        for nb in notebooks {
            if !names.contains(&nb.front.group) {
                names.push(nb.front.group.clone());
            }
        }
        names.sort_by_key(|g| match g {
            Some(name) => match group_order.iter().position(|o| o == name) {
                Some(p) => (0, p, String::new()),
                None => (1, 0, name.clone()),
            },
            None => (2, 0, String::new()),
        });
        let mut groups = Vec::new();
        for name in names {
            let mut members: Vec<usize> = (0..notebooks.len()).filter(|&i| notebooks[i].front.group == name).collect();
            members.sort_by(|&a, &b| {
                let (na, nb) = (&notebooks[a], &notebooks[b]);
                section_key(na.front.section.as_deref())
                    .cmp(&section_key(nb.front.section.as_deref()))
                    .then_with(|| na.front.title.cmp(&nb.front.title))
                    .then_with(|| na.path.cmp(&nb.path))
            });
            groups.push((name, members));
        }
        let mut position = vec![0; notebooks.len()];
        for (p, &i) in groups.iter().flat_map(|(_, m)| m).enumerate() {
            position[i] = p;
        }
        Order { groups, position }
    }

    pub fn position(&self, i: usize) -> usize {
        self.position.get(i).copied().unwrap_or(0)
    }

    /// The pages before and after `i` in its group.
    pub fn neighbours(&self, i: usize) -> (Option<usize>, Option<usize>) {
        // Pages without a group are not a series.
        for (_, members) in self.groups.iter().filter(|(name, _)| name.is_some()) {
            if let Some(p) = members.iter().position(|&m| m == i) {
                let prev = p.checked_sub(1).and_then(|q| members.get(q)).copied();
                return (prev, members.get(p + 1).copied());
            }
        }
        (None, None)
    }
}

/// "6.10" sorts after "6.9": numbers compare as numbers; no section sorts last.
fn section_key(section: Option<&str>) -> (bool, Vec<(u64, String)>) {
    match section {
        None => (true, Vec::new()),
        Some(s) => (
            false,
            s.split('.').map(|part| (part.trim().parse::<u64>().unwrap_or(u64::MAX), part.to_string())).collect(),
        ),
    }
}

/// The context of `out/index.html`.
pub(crate) fn index_context(
    notebooks: &[Notebook],
    texts: &[Option<FrontTexts>],
    order: &Order,
    info: &SiteInfo,
) -> IndexContext {
    let groups = order
        .groups
        .iter()
        .map(|(name, members)| IndexGroup {
            name: name.clone(),
            pages: members
                .iter()
                .filter_map(|&i| {
                    let t = texts.get(i)?.as_ref()?;
                    Some(IndexPage {
                        title: t.title.clone(),
                        href: format!("{}/", notebooks[i].slug()),
                        section: notebooks[i].front.section.clone(),
                        headline: t.headline.clone(),
                        blurb: t.blurb.clone(),
                    })
                })
                .collect(),
        })
        .collect();
    IndexContext {
        site: info.clone(),
        groups,
        assets: "assets/".to_string(),
        home: String::new(),
        generator: format!("nbrender {}", env!("CARGO_PKG_VERSION")),
    }
}

#[derive(Serialize)]
struct Url<'a> {
    loc: String,
    lastmod: Option<&'a str>,
}

/// `sitemap.xml` for a site with a `base_url`: the index and every page.
pub(crate) fn sitemap(base_url: &str, notebooks: &[Notebook], order: &Order) -> String {
    let base = base_url.trim_end_matches('/');
    let mut urls = vec![Url { loc: format!("{base}/"), lastmod: None }];
    for &i in order.groups.iter().flat_map(|(_, m)| m) {
        let nb = &notebooks[i];
        let lastmod = nb.front.updated.as_deref().filter(|u| is_date(u));
        urls.push(Url { loc: format!("{base}/{}/", nb.slug()), lastmod });
    }
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for u in urls {
        xml.push_str(&format!("  <url><loc>{}</loc>", escape_html(&u.loc)));
        if let Some(d) = u.lastmod {
            xml.push_str(&format!("<lastmod>{d}</lastmod>"));
        }
        xml.push_str("</url>\n");
    }
    xml.push_str("</urlset>\n");
    xml
}

/// `YYYY-MM-DD`.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10 && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn nb(name: &str, group: &str, section: &str) -> Notebook {
        let text = format!("---\ntitle: {name}\ngroup: {group}\nsection: \"{section}\"\n---\n");
        crate::notebook::parse(Path::new(&format!("{name}.md")), name, text).unwrap()
    }

    #[test]
    fn groups_follow_the_site_order_and_sections_sort_numerically() {
        let nbs = vec![nb("a", "B", "6.10"), nb("b", "A", "1"), nb("c", "B", "6.9"), nb("d", "C", "2")];
        let order = Order::new(&nbs, &["B".to_string(), "A".to_string()]);
        let names: Vec<_> = order.groups.iter().map(|(n, m)| (n.clone().unwrap(), m.clone())).collect();
        assert_eq!(names, vec![("B".into(), vec![2, 0]), ("A".into(), vec![1]), ("C".into(), vec![3])]);
        assert_eq!(order.neighbours(2), (None, Some(0)));
        assert_eq!(order.neighbours(0), (Some(2), None));
        assert_eq!(order.position(1), 2);
    }

    #[test]
    fn sitemap_lists_every_page_under_the_base_url() {
        let nbs = vec![nb("a", "B", "1")];
        let order = Order::new(&nbs, &[]);
        let xml = sitemap("https://x.com/", &nbs, &order);
        assert!(xml.contains("<loc>https://x.com/</loc>"));
        assert!(xml.contains("<loc>https://x.com/a/</loc>"));
        assert!(is_date("2026-05-01") && !is_date("May 2026"));
    }
}
