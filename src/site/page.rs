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
        Some(PageInput {
            notebook: nb,
            executed: &run.executed,
            scope: &run.scope,
            texts,
            place: self.order.position(i),
            prev: prev.and_then(link),
            next: next.and_then(link),
            embeddable,
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
