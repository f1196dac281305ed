//! nbrender turns notebook files (Markdown with a YAML frontmatter and `{rhai}` code cells)
//! into notebook-styled article pages. The stages, in order:
//!
//! 1. [`notebook`]: parse the frontmatter, prose and cells, with their lines.
//! 2. [`data`]: load the CSV / JSON / YAML tables declared under `data:`.
//! 3. [`exec`]: run the cells in Rhai, with limits; keep each output and the final values.
//! 4. [`chart`]: draw the charts the cells built, with plotters: SVG, and PNG on request.
//! 5. [`prose`]: expand `{{ }}` in prose, number sections, resolve `@` citations, the FAQ.
//! 6. [`render`]: fill the theme's page template.
//! 7. [`site`]: discover notebooks, run what is needed, write the output.
//!
//! [`diag`] renders the located diagnostics every stage produces; [`cli`] is the command line;
//! [`pool`] holds the threads a build runs on.

pub mod chart;
pub mod cli;
pub mod data;
pub mod diag;
pub mod exec;
pub mod file;
pub mod format;
pub mod html;
pub mod manifest;
pub mod notebook;
pub mod pool;
pub mod prose;
pub mod render;
pub mod site;
pub mod template;
pub mod yaml;
