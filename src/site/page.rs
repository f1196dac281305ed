//! What a page needs from the rest of the site: its run, its texts, its neighbours, the
//! figures it embeds and the pages its cards name. `render::page` makes the page of it.

use std::collections::HashMap;
use std::sync::Arc;

use super::run::Run;
use crate::diag::Diagnostic;
use crate::notebook::Notebook;
use crate::prose::Embeddable;
use crate::render::Link;
use crate::render::page::{Found, PageInput, Pages};
use crate::render::texts::FrontTexts;

/// The notebooks of a build as each page sees them.
pub(crate) struct Site<'a> {
    pub notebooks: &'a [Notebook],
    pub slugs: &'a HashMap<String, usize>,
    /// Notebooks left out of a one-page build because they have errors.
    pub unparsed: &'a super::graph::Unparsed,
    pub runs: &'a [Option<Arc<Run>>],
    /// Each notebook's expanded frontmatter texts, when it ran.
    pub texts: &'a [Option<FrontTexts>],
    pub order: &'a super::index::Order,
    pub info: &'a crate::render::SiteInfo,
}

impl Site<'_> {
    /// What page `i` is made of, when its notebook ran and its texts expanded.
    pub fn input(&self, i: usize) -> Option<PageInput<'_>> {
        let nb = &self.notebooks[i];
        let (Some(run), Some(texts)) = (&self.runs[i], &self.texts[i]) else { return None };
        let mut embeddable = Embeddable::default();
        for r in super::graph::figure_refs(nb) {
            let Some(&j) = self.slugs.get(&r.slug) else { continue };
            if let Some(run) = &self.runs[j] {
                embeddable.exports.insert(r.slug.clone(), run.executed.exports.clone());
            }
            if let Some(texts) = &self.texts[j] {
                embeddable.titles.insert(r.slug.clone(), texts.title.clone());
            }
        }
        let link = |j: usize| {
            self.texts[j]
                .as_ref()
                .map(|t| Link { title: t.title.clone(), href: format!("../{}/", self.notebooks[j].slug()) })
        };
        let (prev, next) = self.order.neighbours(i);
        let family = self.order.family(i).and_then(link);
        Some(PageInput {
            notebook: nb,
            executed: &run.executed,
            scope: &run.scope,
            texts,
            place: self.order.position(i),
            prev: prev.and_then(link),
            next: next.and_then(link),
            family,
            embeddable,
        })
    }
}

impl Site<'_> {
    /// The landing page of family `entry`: its texts and every member, with its parameters.
    pub fn family(&self, entry: usize) -> Option<crate::render::FamilyContext> {
        let nb = &self.notebooks[entry];
        let texts = self.texts[entry].as_ref()?;
        let members = super::family::members_of(self.notebooks, entry);
        let params: Vec<String> = members
            .clone()
            .next()
            .and_then(|m| self.notebooks[m].member.as_ref())
            .map(|m| m.params.keys().cloned().collect())
            .unwrap_or_default();
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        let members = members
            .filter_map(|i| Some((i, self.notebooks[i].member.as_deref()?)))
            .map(|(i, m)| crate::render::FamilyMember {
                title: m.title.clone(),
                slug: m.slug.clone(),
                href: format!("../{}/", m.slug),
                values: params.iter().map(|p| m.params.get(p).map(text).unwrap_or_default()).collect(),
                headline: self.texts[i].as_ref().map(|t| t.headline.clone()).unwrap_or_default(),
            })
            .collect();
        Some(crate::render::FamilyContext {
            page: crate::render::page::page_info(nb, texts, self.order.position(entry), self.info),
            site: self.info.clone(),
            params,
            members,
            assets: "../assets/".to_string(),
            home: "../".to_string(),
            generator: format!("nbrender {}", env!("CARGO_PKG_VERSION")),
        })
    }
}

impl Pages for Site<'_> {
    fn find(&self, slug: &str) -> Found<'_> {
        match self.slugs.get(slug) {
            Some(&j) => Found::Page(self.texts.get(j).and_then(Option::as_ref)),
            None => Found::Missing,
        }
    }

    fn explain_missing(&self, slug: &str, error: Diagnostic) -> Diagnostic {
        error
            .with_suggestion(slug, self.slugs.keys().map(String::as_str))
            .or_hint("a notebook's slug is its `slug:` or its file name without `.md`")
            .hinted(self.unparsed.hint(slug))
    }
}
