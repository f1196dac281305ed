//! Every integration test that needs no browser, in one test binary: `cargo test` runs it.
//! Each module is a file of this folder; a new test goes into the module of what it tests (or
//! a new module declared here). Shared helpers are in `tests/common/`, shared with the browser
//! target (`tests/browser/`, opt-in: `cargo test --features browser-tests`).
//!
//! Fixture-driven cases are folders under `tests/fixtures/`: adding a case is adding a file.
//! - `render/*.md`: a notebook whose `<article>` is snapshotted (module `render`);
//! - `sites/*/`: a project (notebooks, `_site.yaml`, a theme, an `args` file) whose written
//!   files and index are snapshotted (module `sites`);
//! - `codes/*/`: a project showing a diagnostic code (module `codes`);
//! - `errors/*.md`: a notebook with one mistake (module `e2e`);
//! - `lint/typed.md`: a figure typed into each place a reader sees (module `typed_figures`).

#[path = "../common/mod.rs"]
mod common;

mod axis_bounds;
mod bounds;
mod cli;
mod codes;
mod conformance;
mod diff;
mod e2e;
mod exact_prose;
mod families;
mod hostile;
mod hostile_input;
mod incremental;
mod manifest;
mod output;
mod properties;
mod prose_values;
mod render;
mod robustness;
mod sandbox;
mod serve;
mod sites;
mod theme;
mod typed_figures;
