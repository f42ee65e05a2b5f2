//! The config file as text: JSON5 parsing and finding the line a key path is on.
//!
//! Validation runs on a parsed `serde_json::Value` (after `${VAR}` substitution, as the
//! original), which has no positions; when it fails we walk the *text* again along the
//! failing key path with the same JSON5 parser, so every error names a line.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::error::{ConfigError, ConfigErrorKind};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A key path such as `gateway.auth.mode` or `bindings[0].agentId`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Segment>);

impl KeyPath {
    /// Parses a path as displayed (`bindings[0].agentId`, `auth.profiles.a:b.mode`).
    pub fn parse_dotted(path: &str) -> Self {
        let mut segments = Vec::new();
        for part in path.split('.') {
            let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
            if !key.is_empty() {
                segments.push(Segment::Key(key.to_owned()));
            }
            while let Some((index, after)) = rest.split_once(']') {
                if let Ok(i) = index.parse() {
                    segments.push(Segment::Index(i));
                }
                rest = after.strip_prefix('[').unwrap_or(after);
            }
        }
        Self(segments)
    }

    pub fn key(key: &str) -> Self {
        Self(vec![Segment::Key(key.to_owned())])
    }

    pub fn child(&self, segment: Segment) -> Self {
        let mut next = self.clone();
        next.0.push(segment);
        next
    }

    /// Appends a path reported by `serde_path_to_error` for a nested deserialisation.
    pub fn join_serde(&self, path: &serde_path_to_error::Path) -> Self {
        let mut next = self.clone();
        for segment in path.iter() {
            match segment {
                serde_path_to_error::Segment::Seq { index } => next.0.push(Segment::Index(*index)),
                serde_path_to_error::Segment::Map { key } => next.0.push(Segment::Key(key.clone())),
                serde_path_to_error::Segment::Enum { .. }
                | serde_path_to_error::Segment::Unknown => {} // `Segment` is non-exhaustive in spirit; ignore anything new.
            }
        }
        next
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("<root>");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(k) if i == 0 => f.write_str(k)?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Parses JSON5 text into a JSON value; syntax errors carry line and column.
pub fn parse(text: &str, file: &str) -> Result<Value, ConfigError> {
    json5::from_str::<Value>(text).map_err(|e| {
        let position = e.position().map(|p| (p.line + 1, p.column + 1));
        let message = match e.code() {
            Some(code) => code.to_string(),
            None => e.to_string(),
        };
        ConfigError::new(file, ConfigErrorKind::Syntax(message)).at(position)
    })
}

/// 1-based (line, column) where the value at `path` starts in `text`, if it exists.
pub fn locate(text: &str, path: &KeyPath) -> Option<(usize, usize)> {
    let mut de = json5::Deserializer::from_str(text);
    match (Seek { path: &path.0 }).deserialize(&mut de) {
        Err(e) if e.to_string().contains(FOUND) => e.position().map(|p| (p.line + 1, p.column + 1)),
        _ => None,
    }
}

/// Marker of the "error" [`Seek`] raises once it reached the end of its path.
const FOUND: &str = "\u{0}located";

/// Walks along `path`; reaching its end is reported as an error so that the JSON5
/// deserializer attaches the current position to it.
struct Seek<'p> {
    path: &'p [Segment],
}

impl<'de> DeserializeSeed<'de> for Seek<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.path.is_empty() {
            // Fail *inside* the value's own deserialisation so its start is the position.
            return d.deserialize_any(Found);
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seek<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON5 value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if matches!(&self.path[0], Segment::Key(k) if *k == key) {
                return map.next_value_seed(Seek {
                    path: &self.path[1..],
                });
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        loop {
            if matches!(&self.path[0], Segment::Index(i) if *i == index) {
                return seq
                    .next_element_seed(Seek {
                        path: &self.path[1..],
                    })
                    .map(|_| ());
            }
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Rejects whatever value it is given, with the [`FOUND`] marker.
struct Found;

impl<'de> Visitor<'de> for Found {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON5 value")
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(FOUND))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(FOUND))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "{\n  // comment\n  gateway: {\n    port: 3000,\n    'auth': { mode: \"token\" },\n  },\n  bindings: [\n    { agentId: 'a' },\n    {\n      agentId: 'b' },\n  ],\n}\n";

    fn path(segments: &[Segment]) -> KeyPath {
        KeyPath(segments.to_vec())
    }

    #[test]
    fn locates_nested_keys_and_array_items() {
        use Segment::*;
        assert_eq!(
            locate(TEXT, &path(&[Key("gateway".into()), Key("port".into())]))
                .unwrap()
                .0,
            4
        );
        assert_eq!(
            locate(
                TEXT,
                &path(&[
                    Key("gateway".into()),
                    Key("auth".into()),
                    Key("mode".into())
                ])
            )
            .unwrap()
            .0,
            5
        );
        assert_eq!(
            locate(
                TEXT,
                &path(&[Key("bindings".into()), Index(1), Key("agentId".into())])
            )
            .unwrap()
            .0,
            10
        );
        assert_eq!(locate(TEXT, &path(&[Key("nope".into())])), None);
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let err = parse("{\n  gateway: {\n    port: 3000,,\n  }\n}\n", "f.json").unwrap_err();
        assert_eq!((err.line, err.column), (Some(3), Some(16)));
        assert!(
            err.to_string()
                .starts_with("f.json:3:16: JSON5 parse failed"),
            "{err}"
        );
    }

    #[test]
    fn key_paths_display_like_the_original() {
        let p = KeyPath::key("bindings")
            .child(Segment::Index(0))
            .child(Segment::Key("agentId".into()));
        assert_eq!(p.to_string(), "bindings[0].agentId");
        assert_eq!(KeyPath::default().to_string(), "<root>");
    }
}
