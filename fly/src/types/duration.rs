//! Durations in machine configs: the API documents Go duration strings
//! (`"10s"`, `"1m30s"`, `"500ms"`), older payloads carry integer nanoseconds.
//! Both are accepted; a duration is written back as a Go duration string,
//! which every API version reads.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A non-negative duration as the Machines API encodes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FlyDuration(pub Duration);

impl FlyDuration {
    /// A duration of whole seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Self(Duration::from_secs(secs))
    }

    /// A duration of whole milliseconds.
    pub const fn from_millis(millis: u64) -> Self {
        Self(Duration::from_millis(millis))
    }

    /// The standard-library duration.
    pub const fn as_duration(self) -> Duration {
        self.0
    }

    /// Parses a Go duration string such as `"10s"`, `"1m30s"`, `"1.5h"` or `"0"`.
    pub fn parse(text: &str) -> Result<Self, ParseDurationError> {
        parse_go_duration(text).map(Self)
    }
}

impl From<Duration> for FlyDuration {
    fn from(value: Duration) -> Self {
        Self(value)
    }
}

impl From<FlyDuration> for Duration {
    fn from(value: FlyDuration) -> Self {
        value.0
    }
}

impl fmt::Display for FlyDuration {
    /// Writes the shortest exact Go duration for the value: `"10s"`,
    /// `"1500ms"`, `"250us"` or `"7ns"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = self.0.as_nanos();
        if nanos == 0 {
            f.write_str("0s")
        } else if nanos.is_multiple_of(1_000_000_000) {
            write!(f, "{}s", nanos / 1_000_000_000)
        } else if nanos.is_multiple_of(1_000_000) {
            write!(f, "{}ms", nanos / 1_000_000)
        } else if nanos.is_multiple_of(1_000) {
            write!(f, "{}us", nanos / 1_000)
        } else {
            write!(f, "{nanos}ns")
        }
    }
}

impl std::str::FromStr for FlyDuration {
    type Err = ParseDurationError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

/// A duration string that is not a valid non-negative Go duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid duration {input:?}: {reason} (expected a Go duration such as \"10s\", \"1m30s\" or \"500ms\")"
)]
pub struct ParseDurationError {
    input: String,
    reason: &'static str,
}

fn parse_go_duration(input: &str) -> Result<Duration, ParseDurationError> {
    let fail = |reason| ParseDurationError {
        input: input.to_owned(),
        reason,
    };
    let text = input.trim();
    let text = text.strip_prefix('+').unwrap_or(text);
    if text.starts_with('-') {
        return Err(fail("negative durations are not allowed"));
    }
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    if text.is_empty() {
        return Err(fail("empty"));
    }
    let mut rest = text;
    let mut total_nanos: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| fail("missing unit"))?;
        let (number, tail) = rest.split_at(number_len);
        if number.is_empty() || number == "." {
            return Err(fail("missing number"));
        }
        let value: f64 = number.parse().map_err(|_| fail("bad number"))?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let scale = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(fail("unknown unit")),
        };
        total_nanos += value * scale;
        rest = tail;
    }
    if !total_nanos.is_finite() || total_nanos > u64::MAX as f64 {
        return Err(fail("out of range"));
    }
    Ok(Duration::from_nanos(total_nanos.round() as u64))
}

impl Serialize for FlyDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FlyDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;

        impl Visitor<'_> for DurationVisitor {
            type Value = FlyDuration;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Go duration string such as \"10s\" or integer nanoseconds")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                FlyDuration::parse(text).map_err(E::custom)
            }

            fn visit_u64<E: de::Error>(self, nanos: u64) -> Result<Self::Value, E> {
                Ok(FlyDuration(Duration::from_nanos(nanos)))
            }

            fn visit_i64<E: de::Error>(self, nanos: i64) -> Result<Self::Value, E> {
                u64::try_from(nanos)
                    .map(|n| FlyDuration(Duration::from_nanos(n)))
                    .map_err(|_| E::custom("negative durations are not allowed"))
            }

            fn visit_f64<E: de::Error>(self, nanos: f64) -> Result<Self::Value, E> {
                if nanos.is_finite() && nanos >= 0.0 && nanos <= u64::MAX as f64 {
                    Ok(FlyDuration(Duration::from_nanos(nanos.round() as u64)))
                } else {
                    Err(E::custom("duration out of range"))
                }
            }
        }

        deserializer.deserialize_any(DurationVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Duration {
        FlyDuration::parse(text).unwrap().0
    }

    #[test]
    fn parses_go_duration_strings() {
        assert_eq!(parse("10s"), Duration::from_secs(10));
        assert_eq!(parse("1m30s"), Duration::from_secs(90));
        assert_eq!(parse("1.5h"), Duration::from_secs(5400));
        assert_eq!(parse("500ms"), Duration::from_millis(500));
        assert_eq!(parse("250us"), Duration::from_micros(250));
        assert_eq!(parse("3µs"), Duration::from_micros(3));
        assert_eq!(parse("7ns"), Duration::from_nanos(7));
        assert_eq!(parse("0"), Duration::ZERO);
        assert_eq!(
            parse("2h45m0.5s"),
            Duration::from_millis((2 * 3600 + 45 * 60) * 1000 + 500)
        );
    }

    #[test]
    fn rejects_bad_strings_with_a_hint() {
        for bad in ["", "10", "s", "10x", "-1s", "1..5s"] {
            let err = FlyDuration::parse(bad).unwrap_err();
            assert!(err.to_string().contains("Go duration"), "{bad}: {err}");
        }
    }

    #[test]
    fn accepts_strings_and_integer_nanoseconds_on_the_wire() {
        let from_str: FlyDuration = serde_json::from_str("\"15s\"").unwrap();
        let from_int: FlyDuration = serde_json::from_str("15000000000").unwrap();
        assert_eq!(from_str, from_int);
        assert!(serde_json::from_str::<FlyDuration>("-5").is_err());
    }

    #[test]
    fn writes_the_shortest_exact_go_string() {
        let cases = [
            (Duration::from_secs(10), "\"10s\""),
            (Duration::from_millis(1500), "\"1500ms\""),
            (Duration::from_micros(3), "\"3us\""),
            (Duration::from_nanos(7), "\"7ns\""),
            (Duration::ZERO, "\"0s\""),
        ];
        for (duration, wire) in cases {
            assert_eq!(serde_json::to_string(&FlyDuration(duration)).unwrap(), wire);
            assert_eq!(
                serde_json::from_str::<FlyDuration>(wire).unwrap().0,
                duration
            );
        }
    }
}
