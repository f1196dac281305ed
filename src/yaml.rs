//! YAML in and out: serde_yaml lives here and nowhere else.
//!
//! Errors come back as [`YamlError`] with a 1-based line and column relative to the text
//! given, so callers can shift them to the line in the file the user edits.

use serde::de::DeserializeOwned;

#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub message: String,
    /// 1-based line and column in the text that was parsed, when serde_yaml knows it.
    pub position: Option<(usize, usize)>,
}

/// Deserializes `text` into `T`.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    serde_yaml::from_str(text).map_err(|err| {
        let position = err.location().map(|l| (l.line(), l.column()));
        let mut message = err.to_string();
        // serde_yaml appends the place in prose; we show it as a location instead.
        if let Some(cut) = message.find(" at line ") {
            message.truncate(cut);
        }
        YamlError { message, position }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_position_of_syntax_errors() {
        let err = from_str::<serde_json::Value>("a: 1\nb: [1, 2\n").unwrap_err();
        assert!(err.position.is_some());
        assert!(!err.message.contains(" at line "));
    }

    #[test]
    fn reads_scalars_and_maps() {
        let v: serde_json::Value = from_str("a: 1\nb: x\n").unwrap();
        assert_eq!(v["a"], 1);
        assert_eq!(v["b"], "x");
    }
}
