//! A small closed-schema validator whose messages match the original's (Ajv) wording,
//! e.g. `at /client/id: must be equal to one of the allowed values` or
//! `at root: unexpected property 'zz'`, because clients and people grep for them.

use serde_json::Value;

/// A JSON schema, restricted to what the protocol frames use.
#[derive(Debug)]
pub enum Schema {
    Any,
    String {
        min_len: usize,
        max_len: Option<usize>,
    },
    Integer {
        min: i64,
    },
    Boolean,
    /// A string equal to this constant.
    Const(&'static str),
    /// A string equal to one of these.
    Enum(&'static [&'static str]),
    Array(&'static Schema),
    /// An object with any keys whose values all match.
    Record(&'static Schema),
    /// A closed object: unknown keys are errors.
    Object(&'static [Prop]),
}

/// A property of a closed object.
#[derive(Debug)]
pub struct Prop {
    pub name: &'static str,
    pub required: bool,
    pub schema: Schema,
}

/// Shorthands for building schemas in `const`s.
pub const fn req(name: &'static str, schema: Schema) -> Prop {
    Prop {
        name,
        required: true,
        schema,
    }
}
pub const fn opt(name: &'static str, schema: Schema) -> Prop {
    Prop {
        name,
        required: false,
        schema,
    }
}
pub const NON_EMPTY: Schema = Schema::String {
    min_len: 1,
    max_len: None,
};
pub const STRING: Schema = Schema::String {
    min_len: 0,
    max_len: None,
};

/// Validates `value`, returning the first violation in the original's wording.
pub fn validate(schema: &Schema, value: &Value) -> Result<(), String> {
    check(schema, value, &mut String::new())
}

fn check(schema: &Schema, value: &Value, path: &mut String) -> Result<(), String> {
    let fail = |path: &str, message: String| {
        Err(if path.is_empty() {
            message
        } else {
            format!("at {path}: {message}")
        })
    };
    match schema {
        Schema::Any => Ok(()),
        Schema::String { min_len, max_len } => {
            let Some(s) = value.as_str() else {
                return fail(path, "must be string".into());
            };
            let chars = s.chars().count();
            if chars < *min_len {
                return fail(
                    path,
                    format!("must NOT have fewer than {min_len} characters"),
                );
            }
            match max_len {
                Some(max) if chars > *max => {
                    fail(path, format!("must NOT have more than {max} characters"))
                }
                _ => Ok(()),
            }
        }
        Schema::Integer { min } => {
            let n = value.as_i64().or_else(|| {
                value
                    .as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            });
            match n {
                None => fail(path, "must be integer".into()),
                Some(n) if n < *min => fail(path, format!("must be >= {min}")),
                Some(_) => Ok(()),
            }
        }
        Schema::Boolean if value.is_boolean() => Ok(()),
        Schema::Boolean => fail(path, "must be boolean".into()),
        Schema::Const(c) if value.as_str() == Some(c) => Ok(()),
        Schema::Const(_) => fail(path, "must be equal to constant".into()),
        Schema::Enum(allowed) if value.as_str().is_some_and(|s| allowed.contains(&s)) => Ok(()),
        Schema::Enum(_) => fail(path, "must be equal to one of the allowed values".into()),
        Schema::Array(item) => {
            let Some(items) = value.as_array() else {
                return fail(path, "must be array".into());
            };
            for (i, v) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                check(item, v, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Schema::Record(item) => {
            let Some(map) = value.as_object() else {
                return fail(path, "must be object".into());
            };
            for (k, v) in map {
                let len = path.len();
                path.push('/');
                path.push_str(&escape(k));
                check(item, v, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Schema::Object(props) => {
            let Some(map) = value.as_object() else {
                return fail(path, "must be object".into());
            };
            if let Some(missing) = props
                .iter()
                .find(|p| p.required && !map.contains_key(p.name))
            {
                return fail(
                    path,
                    format!("must have required property '{}'", missing.name),
                );
            }
            if let Some(extra) = map
                .keys()
                .find(|k| !props.iter().any(|p| p.name == k.as_str()))
            {
                let at = if path.is_empty() {
                    "root"
                } else {
                    path.as_str()
                };
                return Err(format!("at {at}: unexpected property '{extra}'"));
            }
            for prop in props.iter() {
                if let Some(v) = map.get(prop.name) {
                    let len = path.len();
                    path.push('/');
                    path.push_str(prop.name);
                    check(&prop.schema, v, path)?;
                    path.truncate(len);
                }
            }
            Ok(())
        }
    }
}

/// JSON-pointer escaping of a key.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const INNER: Schema = Schema::Object(&[
        req("id", Schema::Enum(&["a", "b"])),
        req("version", NON_EMPTY),
    ]);
    const OUTER: Schema = Schema::Object(&[
        req("min", Schema::Integer { min: 1 }),
        req("client", INNER),
        opt("tags", Schema::Array(&NON_EMPTY)),
        opt("perms", Schema::Record(&Schema::Boolean)),
    ]);

    #[test]
    fn messages_match_the_originals() {
        let ok = json!({"min": 4, "client": {"id": "a", "version": "1"}});
        assert_eq!(validate(&OUTER, &ok), Ok(()));
        let cases = [
            (json!(null), "must be object"),
            (
                json!({"min": 4, "client": {"id": "z", "version": "1"}}),
                "at /client/id: must be equal to one of the allowed values",
            ),
            (
                json!({"min": 4, "client": {"id": "a"}}),
                "at /client: must have required property 'version'",
            ),
            (
                json!({"client": {"id": "a", "version": "1"}}),
                "must have required property 'min'",
            ),
            (
                json!({"min": 4, "client": {"id": "a", "version": "1"}, "zz": 1}),
                "at root: unexpected property 'zz'",
            ),
            (
                json!({"min": 0, "client": {"id": "a", "version": "1"}}),
                "at /min: must be >= 1",
            ),
            (
                json!({"min": 1.5, "client": {"id": "a", "version": "1"}}),
                "at /min: must be integer",
            ),
            (
                json!({"min": 1, "client": {"id": "a", "version": ""}}),
                "at /client/version: must NOT have fewer than 1 characters",
            ),
            (
                json!({"min": 1, "client": {"id": "a", "version": "1"}, "tags": ["", "x"]}),
                "at /tags/0: must NOT have fewer than 1 characters",
            ),
            (
                json!({"min": 1, "client": {"id": "a", "version": "1"}, "perms": {"a/b": 1}}),
                "at /perms/a~1b: must be boolean",
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(validate(&OUTER, &value).unwrap_err(), expected, "{value}");
        }
    }
}
