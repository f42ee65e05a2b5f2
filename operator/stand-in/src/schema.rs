//! Structural-schema validation and pruning of custom resources, as the API
//! server does on create and update: types, enums, required fields, ranges,
//! one-of/any-of of `required` alternatives; unknown fields are pruned (or,
//! with `fieldValidation=Strict`, rejected) unless the schema preserves them.

use serde_json::Value;

/// One problem: field path, message, and the `StatusCause` reason.
pub type Cause = (String, String, &'static str);

/// What validation found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Invalid values.
    pub causes: Vec<Cause>,
    /// Unknown fields (already pruned from the object).
    pub unknown: Vec<String>,
}

/// Validates `obj` against a CRD's `openAPIV3Schema`, pruning unknown fields.
/// `metadata`, `apiVersion` and `kind` are the server's, not the schema's.
pub fn validate(obj: &mut Value, schema: &Value) -> Outcome {
    let mut out = Outcome::default();
    let Some(map) = obj.as_object_mut() else {
        out.causes.push((
            String::new(),
            "must be an object".into(),
            "FieldValueInvalid",
        ));
        return out;
    };
    let props = schema.get("properties").and_then(Value::as_object);
    let keys: Vec<String> = map.keys().cloned().collect();
    for k in keys {
        if matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
            continue;
        }
        match props.and_then(|p| p.get(&k)) {
            Some(s) => walk(map.get_mut(&k).expect("key listed"), s, &k, &mut out),
            None if preserves(schema) => {}
            None => {
                map.remove(&k);
                out.unknown.push(k);
            }
        }
    }
    out
}

fn preserves(schema: &Value) -> bool {
    schema["x-kubernetes-preserve-unknown-fields"] == true
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

fn walk(v: &mut Value, schema: &Value, path: &str, out: &mut Outcome) {
    if v.is_null() {
        return;
    }
    if schema["x-kubernetes-int-or-string"] == true {
        if !(v.is_string() || v.is_i64() || v.is_u64()) {
            out.causes.push((
                path.into(),
                format!(
                    "Invalid value: {}: {path} in body must be of type int-or-string",
                    show(v)
                ),
                "FieldValueInvalid",
            ));
        }
        return;
    }
    let ty = schema["type"].as_str().unwrap_or("");
    let ok = match ty {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        _ => true,
    };
    if !ok {
        out.causes.push((
            path.into(),
            format!(
                "Invalid value: \"{}\": {path} in body must be of type {ty}: \"{}\"",
                json_type(v),
                json_type(v)
            ),
            "FieldValueTypeInvalid",
        ));
        return;
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(v)
    {
        let list: Vec<String> = allowed.iter().map(show).collect();
        out.causes.push((
            path.into(),
            format!(
                "Unsupported value: {}: supported values: {}",
                show(v),
                list.join(", ")
            ),
            "FieldValueNotSupported",
        ));
    }
    if let Some(n) = v.as_f64() {
        if let Some(min) = schema["minimum"].as_f64()
            && n < min
        {
            out.causes.push((
                path.into(),
                format!(
                    "Invalid value: {v}: {path} in body should be greater than or equal to {min}"
                ),
                "FieldValueInvalid",
            ));
        }
        if let Some(max) = schema["maximum"].as_f64()
            && n > max
        {
            out.causes.push((
                path.into(),
                format!("Invalid value: {v}: {path} in body should be less than or equal to {max}"),
                "FieldValueInvalid",
            ));
        }
    }
    match v {
        Value::Object(map) => {
            for req in schema["required"].as_array().into_iter().flatten() {
                if let Some(r) = req.as_str()
                    && !map.contains_key(r)
                {
                    out.causes.push((
                        format!("{path}.{r}"),
                        "Required value".into(),
                        "FieldValueRequired",
                    ));
                }
            }
            for (kw, exactly_one) in [("oneOf", true), ("anyOf", false)] {
                if let Some(alts) = schema[kw].as_array() {
                    let satisfied = alts
                        .iter()
                        .filter(|alt| {
                            alt["required"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .all(|r| r.as_str().is_some_and(|r| map.contains_key(r)))
                        })
                        .count();
                    let bad = if exactly_one {
                        satisfied != 1
                    } else {
                        satisfied == 0
                    };
                    if bad {
                        out.causes.push((
                            path.into(),
                            format!(
                                "Invalid value: \"object\": {path} in body must validate {} ({kw})",
                                if exactly_one {
                                    "one and only one schema"
                                } else {
                                    "at least one schema"
                                }
                            ),
                            "FieldValueInvalid",
                        ));
                    }
                }
            }
            let props = schema.get("properties").and_then(Value::as_object);
            let extra = schema.get("additionalProperties").filter(|a| a.is_object());
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                let child_path = format!("{path}.{k}");
                match props.and_then(|p| p.get(&k)).or(extra) {
                    Some(s) => walk(map.get_mut(&k).expect("listed"), s, &child_path, out),
                    None if preserves(schema) || schema["additionalProperties"] == true => {}
                    None => {
                        map.remove(&k);
                        out.unknown.push(child_path);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    walk(item, item_schema, &format!("{path}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({"type": "object", "properties": {"spec": {"type": "object", "required": ["platform"],
        "properties": {
            "platform": {"type": "string", "enum": ["fly", "kubernetes"]},
            "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
            "secrets": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"}, "env": {"type": "string"}, "file": {"type": "string"}},
                "oneOf": [{"required": ["env"]}, {"required": ["file"]}]}}
        }}}})
    }

    #[test]
    fn rejects_bad_enums_types_ranges_and_one_of() {
        let mut obj = json!({"metadata": {"name": "x"}, "spec": {"platform": "aws", "port": 70000,
            "secrets": [{"name": "A", "env": "B", "file": "C"}]}});
        let out = validate(&mut obj, &schema());
        let fields: Vec<&str> = out.causes.iter().map(|c| c.0.as_str()).collect();
        assert_eq!(
            fields,
            ["spec.platform", "spec.port", "spec.secrets[0]"],
            "{:?}",
            out.causes
        );
        assert!(
            out.causes[0]
                .1
                .contains("supported values: \"fly\", \"kubernetes\"")
        );
    }

    #[test]
    fn prunes_unknown_fields_but_preserves_free_form_ones() {
        let mut obj = json!({"spec": {"platform": "fly", "typo": 1, "config": {"anything": {"goes": 1}}}, "extra": 2});
        let out = validate(&mut obj, &schema());
        assert!(out.causes.is_empty(), "{:?}", out.causes);
        assert_eq!(out.unknown, ["extra", "spec.typo"]);
        assert_eq!(
            obj,
            json!({"spec": {"platform": "fly", "config": {"anything": {"goes": 1}}}})
        );
    }
}
