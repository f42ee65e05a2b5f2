//! Signals by name (`"SIGTERM"`) or number (`9`, as the Go client's "kill"
//! sends), the two spellings the API accepts.

use nix::sys::signal::Signal;
use serde_json::Value;

pub fn parse_name(name: &str) -> Result<Signal, String> {
    let upper = name.trim().to_ascii_uppercase();
    let full = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    full.parse::<Signal>()
        .map_err(|_| format!("{name:?} is not a signal name (e.g. \"SIGTERM\")"))
}

/// A signal from a JSON value: a name or a number.
pub fn parse(value: &Value) -> Result<Signal, String> {
    match value {
        Value::String(s) => match s.parse::<i32>() {
            Ok(n) => from_number(n),
            Err(_) => parse_name(s),
        },
        Value::Number(n) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| format!("{n} is not a signal number"))
            .and_then(from_number),
        other => Err(format!(
            "{other} is not a signal (use a name such as \"SIGTERM\" or a number)"
        )),
    }
}

fn from_number(n: i32) -> Result<Signal, String> {
    Signal::try_from(n).map_err(|_| format!("{n} is not a signal number"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_and_numbers() {
        assert_eq!(parse(&json!("SIGTERM")).unwrap(), Signal::SIGTERM);
        assert_eq!(parse(&json!("int")).unwrap(), Signal::SIGINT);
        assert_eq!(parse(&json!(9)).unwrap(), Signal::SIGKILL);
        assert_eq!(parse(&json!("9")).unwrap(), Signal::SIGKILL);
        assert!(parse(&json!("SIGNOPE")).is_err());
        assert!(parse(&json!(999)).is_err());
    }
}
