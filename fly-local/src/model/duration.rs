//! Go-style durations (`"10s"`, `"1m30s"`, `"500ms"`), the format of every
//! duration in a machine config. Old documentation shows integer nanoseconds;
//! both are accepted, and responses use the string form as the API does.

use std::time::Duration;

use serde_json::Value;

/// Parses `"1m30s"`-style strings (units `ns`, `us`, `µs`, `ms`, `s`, `m`, `h`,
/// decimals allowed) or integer nanoseconds.
pub fn parse(value: &Value) -> Result<Duration, String> {
    match value {
        Value::Number(n) => n
            .as_u64()
            .map(Duration::from_nanos)
            .ok_or_else(|| format!("{n} is not a non-negative number of nanoseconds")),
        Value::String(s) => parse_str(s),
        other => Err(format!(
            "{other} is not a duration (use a string such as \"10s\")"
        )),
    }
}

pub fn parse_str(s: &str) -> Result<Duration, String> {
    let err = || format!("{s:?} is not a duration (use a string such as \"10s\" or \"1m30s\")");
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let mut rest = s;
    let mut total = 0f64;
    if rest.is_empty() {
        return Err(err());
    }
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(err)?;
        if num_len == 0 {
            return Err(err());
        }
        let number: f64 = rest[..num_len].parse().map_err(|_| err())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let nanos_per_unit = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(err()),
        };
        total += number * nanos_per_unit;
        rest = &rest[unit_len..];
    }
    Ok(Duration::from_nanos(total as u64))
}

/// Formats like Go's `time.Duration.String()`: `"15s"`, `"1m30s"`, `"500ms"`.
pub fn format(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".into();
    }
    if nanos < 1_000 {
        return format!("{nanos}ns");
    }
    if nanos < 1_000_000 {
        return format!("{}µs", trim(nanos as f64 / 1e3));
    }
    if nanos < 1_000_000_000 {
        return format!("{}ms", trim(nanos as f64 / 1e6));
    }
    let secs_total = d.as_secs();
    let frac = d.subsec_nanos();
    let h = secs_total / 3600;
    let m = (secs_total % 3600) / 60;
    let s = secs_total % 60;
    let secs = if frac == 0 {
        format!("{s}s")
    } else {
        format!("{}s", trim(s as f64 + f64::from(frac) / 1e9))
    };
    match (h, m) {
        (0, 0) => secs,
        (0, m) => format!("{m}m{secs}"),
        (h, m) => format!("{h}h{m}m{secs}"),
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.9}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_go_strings_and_nanoseconds() {
        assert_eq!(parse(&json!("10s")).unwrap(), Duration::from_secs(10));
        assert_eq!(parse(&json!("1m30s")).unwrap(), Duration::from_secs(90));
        assert_eq!(parse(&json!("500ms")).unwrap(), Duration::from_millis(500));
        assert_eq!(parse(&json!("1.5s")).unwrap(), Duration::from_millis(1500));
        assert_eq!(
            parse(&json!(2_000_000_000u64)).unwrap(),
            Duration::from_secs(2)
        );
        assert!(parse(&json!("ten seconds")).is_err());
        assert!(parse(&json!("10")).is_err());
        assert!(parse(&json!(true)).is_err());
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(format(Duration::from_secs(15)), "15s");
        assert_eq!(format(Duration::from_secs(90)), "1m30s");
        assert_eq!(format(Duration::from_millis(500)), "500ms");
        assert_eq!(format(Duration::from_secs(3600)), "1h0m0s");
        assert_eq!(format(Duration::from_millis(1500)), "1.5s");
    }
}
