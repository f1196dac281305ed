//! Every integration test that needs no browser, in one test binary: `cargo test` runs it.
//! Each module is a file of this folder; a new test goes into the module of what it tests (or
//! a new module declared here). Shared helpers are in `tests/common/`, shared with the browser
//! target (`tests/browser/`, opt-in: `cargo test --features browser-tests`).
//!
//! Fixture-driven cases are folders under `tests/fixtures/`: adding a case is adding a file.
//! - `codes/*/`: a project showing a diagnostic code (module `codes`);
//! - `errors/*.md`: a notebook with one mistake (module `e2e`).

#[path = "../common/mod.rs"]
mod common;

mod bounds;
mod codes;
mod conformance;
mod e2e;
mod exact_prose;
mod hostile;
mod hostile_input;
mod incremental;
mod output;
mod properties;
mod prose_values;
mod robustness;
mod sandbox;
mod serve;
