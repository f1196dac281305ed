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

/// A YAML value as JSON, refusing what JSON cannot hold: `.nan`, `.inf` and `-.inf`, which
/// would otherwise become `null` without a word. The error carries the value's position.
#[derive(Debug, Clone, PartialEq)]
pub struct FiniteJson(pub serde_json::Value);

impl<'de> serde::Deserialize<'de> for FiniteJson {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FiniteVisitor).map(FiniteJson)
    }
}

struct FiniteVisitor;

impl<'de> serde::de::Visitor<'de> for FiniteVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
        Ok(b.into())
    }

    fn visit_i64<E>(self, i: i64) -> Result<Self::Value, E> {
        Ok(i.into())
    }

    fn visit_u64<E>(self, u: u64) -> Result<Self::Value, E> {
        Ok(u.into())
    }

    fn visit_f64<E: serde::de::Error>(self, f: f64) -> Result<Self::Value, E> {
        serde_json::Number::from_f64(f).map(serde_json::Value::Number).ok_or_else(|| {
            E::custom(format!(
                "`{}` is not a finite number; a number here must be finite (write it as text in quotes if it is a word)",
                if f.is_nan() { ".nan" } else if f > 0.0 { ".inf" } else { "-.inf" }
            ))
        })
    }

    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(s.into())
    }

    fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
        Ok(s.into())
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(FiniteJson(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(serde_json::Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some((key, FiniteJson(value))) = map.next_entry::<FiniteJson, FiniteJson>()? {
            let key = match key.0 {
                serde_json::Value::String(s) => s,
                // YAML allows any scalar as a key; JSON keys are text.
                other => other.to_string(),
            };
            out.insert(key, value);
        }
        Ok(serde_json::Value::Object(out))
    }
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
    fn numbers_that_are_not_finite_are_errors_at_their_place() {
        for bad in ["x: .nan\n", "x: [1, .inf]\n", "- a: 1\n- a: -.Inf\n"] {
            let err = from_str::<FiniteJson>(bad).unwrap_err();
            assert!(err.message.contains("is not a finite number"), "{bad}: {}", err.message);
            assert!(err.position.is_some(), "{bad}");
        }
        let ok = from_str::<FiniteJson>("x: [1, 2.5, nan, \".inf\"]\n1: y\n").unwrap().0;
        assert_eq!(ok, serde_json::json!({"x": [1, 2.5, "nan", ".inf"], "1": "y"}));
    }

    #[test]
    fn reads_scalars_and_maps() {
        let v: serde_json::Value = from_str("a: 1\nb: x\n").unwrap();
        assert_eq!(v["a"], 1);
        assert_eq!(v["b"], "x");
    }
}
