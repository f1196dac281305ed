//! The integration tests that run headless Chromium, in their own opt-in test binary:
//! `cargo test --features browser-tests` (what `tests/run.sh` and CI run). Plain `cargo test`
//! leaves them out, so it needs no Chromium. Shared helpers are in `tests/common/`, shared with
//! the suite (`tests/suite/`).

#[path = "../common/mod.rs"]
mod common;

mod hostile;
mod layout;
mod serve;
