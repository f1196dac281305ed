//! The site's order and its index: groups in `_site.yaml` order, pages by section number;
//! `out/index.html` lists them with their headline figures, `out/sitemap.xml` their URLs.

use serde::Serialize;

use crate::html::escape_html;
use crate::notebook::Notebook;
use crate::render::texts::FrontTexts;
use crate::render::{IndexContext, IndexGroup, IndexPage, SiteInfo};

/// The pages in site order, by group. A family is one entry of its group (its landing page);
/// its members follow it in the site's order, and are each other's neighbours.
#[derive(Debug, Clone, Default)]
pub(crate) struct Order {
    /// Group name (`None` for pages without one) and its notebooks, in order: members of
    /// families left out.
    pub groups: Vec<(Option<String>, Vec<usize>)>,
    /// Each notebook's place in the whole site, from 0 (a member has its family's).
    position: Vec<usize>,
    /// For each member, its family's entry and members.
    family: Vec<Option<(usize, std::ops::Range<usize>)>>,
}

impl Order {
    /// Orders `notebooks`: the groups `_site.yaml` names first, in its order, then the others
    /// alphabetically, then pages without a group; pages by section number, then title.
    pub fn new(notebooks: &[Notebook], group_order: &[String]) -> Order {
        let mut names: Vec<Option<String>> = Vec::new();
        for nb in notebooks.iter().filter(|n| n.member.is_none()) {
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
        let mut by_group: std::collections::HashMap<&Option<String>, Vec<usize>> = std::collections::HashMap::new();
        for (i, nb) in notebooks.iter().enumerate().filter(|(_, n)| n.member.is_none()) {
            by_group.entry(&nb.front.group).or_default().push(i);
        }
        let mut groups = Vec::new();
        for name in names {
            let mut members = by_group.remove(&name).unwrap_or_default();
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
        let mut family = vec![None; notebooks.len()];
        for (p, &i) in groups.iter().flat_map(|(_, m)| m).enumerate() {
            position[i] = p;
            if notebooks[i].is_family() {
                let members = super::family::members_of(notebooks, i);
                for m in members.clone() {
                    position[m] = p;
                    family[m] = Some((i, members.clone()));
                }
            }
        }
        Order { groups, position, family }
    }

    pub fn position(&self, i: usize) -> usize {
        self.position.get(i).copied().unwrap_or(0)
    }

    /// The family entry of member `i`.
    pub fn family(&self, i: usize) -> Option<usize> {
        self.family.get(i)?.as_ref().map(|(entry, _)| *entry)
    }

    /// Every page in site order: each family's members right after its landing page.
    pub fn pages(&self) -> impl Iterator<Item = usize> + '_ {
        self.groups.iter().flat_map(|(_, m)| m).flat_map(move |&i| {
            let members = self.family.get(i + 1).and_then(|f| f.as_ref()).filter(|(e, _)| *e == i);
            std::iter::once(i).chain(members.map(|(_, m)| m.clone()).into_iter().flatten())
        })
    }

    /// The pages before and after `i` in its group; for a member of a family, its siblings.
    pub fn neighbours(&self, i: usize) -> (Option<usize>, Option<usize>) {
        if let Some(Some((_, members))) = self.family.get(i) {
            let prev = (i > members.start).then(|| i - 1);
            let next = (i + 1 < members.end).then_some(i + 1);
            return (prev, next);
        }
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

/// The most URLs one sitemap file may list (sitemaps.org).
pub(crate) const SITEMAP_URLS: usize = 50_000;

/// The sitemap of a site with a `base_url`: the index and every page, family members after
/// their landing page. Up to [`SITEMAP_URLS`] URLs it is `sitemap.xml`; above, `sitemap.xml`
/// is a sitemap index of `sitemap-1.xml`, `sitemap-2.xml`, …, each of at most that many.
pub(crate) fn sitemap(base_url: &str, notebooks: &[Notebook], order: &Order) -> Vec<(String, String)> {
    let base = base_url.trim_end_matches('/');
    let mut urls = vec![Url { loc: format!("{base}/"), lastmod: None }];
    for i in order.pages() {
        let nb = &notebooks[i];
        let lastmod = nb.front.updated.as_deref().filter(|u| is_date(u));
        urls.push(Url { loc: format!("{base}/{}/", nb.slug()), lastmod });
    }
    sitemap_files(base, &urls, SITEMAP_URLS)
}

fn sitemap_files(base: &str, urls: &[Url<'_>], per_file: usize) -> Vec<(String, String)> {
    const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    const NS: &str = "xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"";
    let urlset = |urls: &[Url<'_>]| {
        let mut xml = format!("{HEAD}<urlset {NS}>\n");
        for u in urls {
            xml.push_str(&format!("  <url><loc>{}</loc>", escape_html(&u.loc)));
            if let Some(d) = u.lastmod {
                xml.push_str(&format!("<lastmod>{d}</lastmod>"));
            }
            xml.push_str("</url>\n");
        }
        xml.push_str("</urlset>\n");
        xml
    };
    if urls.len() <= per_file {
        return vec![("sitemap.xml".to_string(), urlset(urls))];
    }
    let mut files = Vec::new();
    let mut index = format!("{HEAD}<sitemapindex {NS}>\n");
    for (n, chunk) in urls.chunks(per_file.max(1)).enumerate() {
        let name = format!("sitemap-{}.xml", n + 1);
        index.push_str(&format!("  <sitemap><loc>{}/{name}</loc>", escape_html(base)));
        if let Some(latest) = chunk.iter().filter_map(|u| u.lastmod).max() {
            index.push_str(&format!("<lastmod>{latest}</lastmod>"));
        }
        index.push_str("</sitemap>\n");
        files.push((name, urlset(chunk)));
    }
    index.push_str("</sitemapindex>\n");
    files.insert(0, ("sitemap.xml".to_string(), index));
    files
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
        let files = sitemap("https://x.com/", &nbs, &order);
        assert_eq!(files.len(), 1);
        let (name, xml) = &files[0];
        assert_eq!(name, "sitemap.xml");
        assert!(xml.contains("<loc>https://x.com/</loc>"));
        assert!(xml.contains("<loc>https://x.com/a/</loc>"));
        assert!(is_date("2026-05-01") && !is_date("May 2026"));
    }

    /// Counts `<tag>` in `xml`.
    fn count(xml: &str, tag: &str) -> usize {
        xml.matches(tag).count()
    }

    #[test]
    fn above_fifty_thousand_urls_the_sitemap_is_an_index_of_files_of_at_most_fifty_thousand() {
        let locs: Vec<String> = (0..SITEMAP_URLS * 2 + 1).map(|i| format!("https://x.com/p{i}/")).collect();
        let urls = |n: usize| -> Vec<Url<'_>> {
            locs[..n]
                .iter()
                .enumerate()
                .map(|(i, l)| Url { loc: l.clone(), lastmod: (i == 7).then_some("2026-01-02") })
                .collect()
        };
        // Exactly at the limit: one file.
        let at = sitemap_files("https://x.com", &urls(SITEMAP_URLS), SITEMAP_URLS);
        assert_eq!(at.len(), 1);
        assert_eq!(count(&at[0].1, "<url>"), SITEMAP_URLS);
        // One over: an index and two files, every URL once, in order.
        let over = sitemap_files("https://x.com", &urls(SITEMAP_URLS * 2 + 1), SITEMAP_URLS);
        let names: Vec<&str> = over.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["sitemap.xml", "sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml"]);
        let index = &over[0].1;
        assert!(index.contains("<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"), "{index}");
        assert_eq!(count(index, "<sitemap>"), 3);
        assert!(
            index.contains("<sitemap><loc>https://x.com/sitemap-1.xml</loc><lastmod>2026-01-02</lastmod></sitemap>")
        );
        assert!(index.contains("<sitemap><loc>https://x.com/sitemap-3.xml</loc></sitemap>"));
        let counts: Vec<usize> = over[1..].iter().map(|(_, xml)| count(xml, "<url>")).collect();
        assert_eq!(counts, [SITEMAP_URLS, SITEMAP_URLS, 1]);
        assert!(over[3].1.contains(&format!("<loc>https://x.com/p{}/</loc>", SITEMAP_URLS * 2)));
    }
}
