//! Arbitrary bytes as a data file (the first byte picks CSV, JSON or YAML) through the loader:
//! the regular-file check, the capped read, the YAML scan, the parsers and the row, column and
//! field limits. A table or an error message, never a panic, and never a parse that runs away
//! (the limits here are small, so that each input is quick).

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use nbrender::data::{DataLimits, count_fields, load};

/// A temporary folder, made once per fuzzing process.
fn folder() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("nbrender-fuzz-data-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the fuzz data folder");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, text)) = data.split_first() else { return };
    let ext = ["csv", "json", "yaml"][usize::from(kind % 3)];
    let path = folder().join(format!("table.{ext}"));
    std::fs::write(&path, text).expect("write the data file");
    let limits = DataLimits { max_bytes: 1 << 20, max_rows: 2_000, max_columns: 50, max_fields: 20_000 };
    match load(&path, &format!("table.{ext}"), &limits) {
        Ok(table) => {
            assert!(count_fields(&table) <= limits.max_fields as u64, "a table past the field limit was loaded");
            if let serde_json::Value::Array(rows) = &*table {
                assert!(rows.len() <= limits.max_rows, "a table past the row limit was loaded");
            }
        }
        Err(e) => assert!(!e.message.is_empty(), "an error without a message"),
    }
});
