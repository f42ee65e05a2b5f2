//! Secrets in config views: values under secret-named keys (`token`, `password`,
//! `apiKey`, `botToken`, …) are shown as the original's sentinel, and a write that
//! sends the sentinel back keeps the stored value. `${VAR}` references and
//! SecretRef objects are not secrets themselves and are shown as written.

use serde_json::{Map, Value};

/// The original's placeholder for a redacted value.
pub const SENTINEL: &str = "__OPENCLAW_REDACTED__";

/// Whether a key names a secret (case-insensitive, `-`/`_` ignored).
pub fn is_secret_key(key: &str) -> bool {
    let k: String = key
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    k.ends_with("token")
        || k.ends_with("password")
        || k.ends_with("secret")
        || k.ends_with("apikey")
        || k == "key"
        || k.ends_with("privatekey")
}

fn is_reference(s: &str) -> bool {
    s.trim_start().starts_with("${")
}

/// `value` with every secret string replaced by [`SENTINEL`]; the replaced strings
/// are pushed to `found` (to scrub the raw text too).
pub fn redact(value: &Value, found: &mut Vec<String>) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s)
                            if is_secret_key(k) && !s.is_empty() && !is_reference(s) =>
                        {
                            found.push(s.clone());
                            Value::String(SENTINEL.to_owned())
                        }
                        other => redact(other, found),
                    };
                    (k.clone(), v)
                })
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| redact(v, found)).collect()),
        other => other.clone(),
    }
}

/// `raw` with every found secret replaced by [`SENTINEL`] (longest first, so a
/// secret containing another is scrubbed whole).
pub fn scrub_text(raw: &str, found: &[String]) -> String {
    let mut secrets: Vec<&String> = found.iter().collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = raw.to_owned();
    for s in secrets {
        out = out.replace(s.as_str(), SENTINEL);
    }
    out
}

/// Puts the stored values back where `submitted` carries the sentinel. Fails with
/// the key path when there is no stored value to restore.
pub fn restore(submitted: &mut Value, stored: Option<&Value>, path: &str) -> Result<(), String> {
    match submitted {
        Value::String(s) if s == SENTINEL => match stored {
            Some(Value::String(original)) => {
                *s = original.clone();
                Ok(())
            }
            _ => Err(format!(
                "{path}: the redacted placeholder {SENTINEL} has no stored value to keep; send the real value"
            )),
        },
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                restore(v, stored.and_then(|s| s.get(k)), &child)?;
            }
            Ok(())
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                restore(v, stored.and_then(|s| s.get(i)), &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn secrets_are_redacted_and_restored() {
        let doc = json!({"gateway": {"auth": {"token": "s3cret", "mode": "token"}},
                         "channels": {"telegram": {"botToken": "${TELEGRAM_BOT_TOKEN}"},
                                      "discord": {"token": {"source": "env", "id": "DISCORD_BOT_TOKEN"}}}});
        let mut found = Vec::new();
        let shown = redact(&doc, &mut found);
        assert_eq!(shown["gateway"]["auth"]["token"], SENTINEL);
        assert_eq!(shown["gateway"]["auth"]["mode"], "token");
        assert_eq!(
            shown["channels"]["telegram"]["botToken"],
            "${TELEGRAM_BOT_TOKEN}"
        );
        assert_eq!(
            shown["channels"]["discord"]["token"]["id"],
            "DISCORD_BOT_TOKEN"
        );
        assert_eq!(found, ["s3cret"]);
        assert_eq!(
            scrub_text(r#"{gateway: {auth: {token: "s3cret"}}}"#, &found),
            r#"{gateway: {auth: {token: "__OPENCLAW_REDACTED__"}}}"#
        );
        let mut back = shown.clone();
        back["gateway"]["port"] = json!(3000);
        restore(&mut back, Some(&doc), "").unwrap();
        assert_eq!(back["gateway"]["auth"]["token"], "s3cret");
        let mut orphan = json!({"channels": {"telegram": {"webhookSecret": SENTINEL}}});
        let e = restore(&mut orphan, Some(&doc), "").unwrap_err();
        assert!(e.starts_with("channels.telegram.webhookSecret:"), "{e}");
    }

    #[test]
    fn secret_key_names() {
        for k in [
            "token",
            "botToken",
            "password",
            "apiKey",
            "api_key",
            "webhookSecret",
            "clientSecret",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in ["mode", "tokenFile", "allowFrom", "keys"] {
            assert!(!is_secret_key(k), "{k}");
        }
    }
}
