//! Small serde helpers for the API's loose encodings: `null` where a
//! collection is expected, timestamps that may be empty, unknown fields kept.

use serde::{Deserialize, Deserializer};

/// Fields the client does not model, kept so that get → modify → update
/// sends them back unchanged.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// Deserialises `null` (which Go's encoder emits for nil maps and slices) as
/// the type's default, so collections never need to be `Option`s.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Deserialises an RFC 3339 timestamp, reading `null`, `""` and values that do
/// not parse as absent: a timestamp is informational and must never make a
/// whole machine or volume unreadable.
pub(crate) fn lenient_timestamp<'de, D>(
    deserializer: D,
) -> Result<Option<jiff::Timestamp>, D::Error>
where
    D: Deserializer<'de>,
{
    let raw = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(match raw {
        Some(serde_json::Value::String(text)) => text.parse().ok(),
        _ => None,
    })
}

/// Deserialises a Unix timestamp in seconds (lease `expires_at`) as a
/// timestamp; absent or out-of-range values read as absent.
pub(crate) fn unix_seconds<'de, D>(deserializer: D) -> Result<Option<jiff::Timestamp>, D::Error>
where
    D: Deserializer<'de>,
{
    let raw = Option::<i64>::deserialize(deserializer)?;
    Ok(raw.and_then(|secs| jiff::Timestamp::from_second(secs).ok()))
}

/// `skip_serializing_if` helper for `bool` fields that default to `false`.
pub(crate) fn is_false(value: &bool) -> bool {
    !*value
}

/// Serialises a timestamp as Unix seconds, the inverse of [`unix_seconds`].
pub(crate) fn ser_unix_seconds<S>(
    value: &Option<jiff::Timestamp>,
    serializer: S,
) -> Result<S::Ok, S::Error>
where
    S: serde::Serializer,
{
    match value {
        Some(at) => serializer.serialize_i64(at.as_second()),
        None => serializer.serialize_none(),
    }
}
