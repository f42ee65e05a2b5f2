//! `${VAR}` substitution in config string values, with the original's rules:
//! only `[A-Z_][A-Z0-9_]*` names are references, `$${VAR}` is a literal `${VAR}`,
//! and an unset or empty variable is an error naming the key path.

use serde_json::Value;

use super::document::{KeyPath, Segment};
use crate::env::Environment;

/// A `${VAR}` reference whose variable is unset or empty.
#[derive(Debug)]
pub struct MissingVar {
    pub var: String,
    pub path: KeyPath,
}

/// Replaces references in every string of `value`, recursively.
pub fn substitute(value: &mut Value, env: &Environment, path: &KeyPath) -> Result<(), MissingVar> {
    match value {
        Value::String(s) if s.contains('$') => {
            *s = substitute_str(s, env).map_err(|var| MissingVar {
                var,
                path: path.clone(),
            })?;
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                substitute(item, env, &path.child(Segment::Index(i)))?;
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                substitute(item, env, &path.child(Segment::Key(key.clone())))?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Substitutes one string; `Err(name)` for the first missing variable.
pub fn substitute_str(input: &str, env: &Environment) -> Result<String, String> {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        rest = &rest[dollar..];
        if let Some((name, len)) = rest.strip_prefix("$$").and_then(braced) {
            out.push_str("${");
            out.push_str(name);
            out.push('}');
            rest = &rest[2 + len..];
        } else if let Some((name, len)) = braced(&rest[1..]) {
            match env.get(name).filter(|v| !v.is_empty()) {
                Some(value) => out.push_str(value),
                None => return Err(name.to_owned()),
            }
            rest = &rest[1 + len..];
        } else {
            out.push('$');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// `{NAME}` at the start of `s`: the name and the length including both braces.
fn braced(s: &str) -> Option<(&str, usize)> {
    let inner = s.strip_prefix('{')?;
    let name = &inner[..inner.find('}')?];
    is_var_name(name).then_some((name, name.len() + 2))
}

fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('A'..='Z' | '_'))
        && chars.all(|c| matches!(c, 'A'..='Z' | '0'..='9' | '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Environment {
        Environment::from_vars([("TOKEN", "s3cret"), ("EMPTY", "")])
    }

    #[test]
    fn substitutes_escapes_and_ignores_non_references() {
        let e = env();
        assert_eq!(substitute_str("a ${TOKEN} b", &e).unwrap(), "a s3cret b");
        assert_eq!(substitute_str("$${TOKEN}", &e).unwrap(), "${TOKEN}");
        assert_eq!(
            substitute_str("${lower} $5 ${ TOKEN} $", &e).unwrap(),
            "${lower} $5 ${ TOKEN} $"
        );
        assert_eq!(
            substitute_str("${TOKEN}${TOKEN}", &e).unwrap(),
            "s3crets3cret"
        );
    }

    #[test]
    fn unset_or_empty_variables_are_errors_with_the_key_path() {
        let e = env();
        assert_eq!(substitute_str("${NOPE}", &e).unwrap_err(), "NOPE");
        assert_eq!(substitute_str("${EMPTY}", &e).unwrap_err(), "EMPTY");
        let mut v =
            serde_json::json!({"gateway": {"auth": {"token": "${NOPE}"}}, "list": ["${TOKEN}"]});
        let err = substitute(&mut v, &e, &KeyPath::default()).unwrap_err();
        assert_eq!(
            (err.var.as_str(), err.path.to_string().as_str()),
            ("NOPE", "gateway.auth.token")
        );
        let mut v = serde_json::json!({"list": ["${TOKEN}"]});
        substitute(&mut v, &e, &KeyPath::default()).unwrap();
        assert_eq!(v["list"][0], "s3cret");
    }
}
