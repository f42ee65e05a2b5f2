//! `config.patch`'s merge, as the original merges: a JSON merge patch (RFC 7396:
//! objects merge, `null` deletes, other values replace) in which arrays of objects
//! that all carry an `id` merge element by element by id, unless the array's path
//! is listed in `replacePaths`.

use serde_json::{Map, Value};

pub fn merge(target: &mut Value, patch: &Value, replace_paths: &[String], path: &str) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if v.is_null() {
                    t.remove(k);
                    continue;
                }
                match t.get_mut(k) {
                    Some(existing) => merge(existing, v, replace_paths, &child),
                    None => {
                        t.insert(k.clone(), strip_nulls(v));
                    }
                }
            }
        }
        (Value::Array(t), Value::Array(p))
            if !replace_paths.iter().any(|r| r == path) && all_have_ids(t) && all_have_ids(p) =>
        {
            for item in p {
                let id = &item["id"];
                match t.iter_mut().find(|e| &e["id"] == id) {
                    Some(existing) => merge(existing, item, replace_paths, path),
                    None => t.push(strip_nulls(item)),
                }
            }
        }
        (t, p) => *t = strip_nulls(p),
    }
}

fn all_have_ids(items: &[Value]) -> bool {
    !items.is_empty()
        && items
            .iter()
            .all(|i| i.get("id").is_some_and(|id| !id.is_null()))
}

fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect::<Map<_, _>>(),
        ),
        other => other.clone(),
    }
}

/// Dotted paths of the leaves that differ between `a` and `b`.
pub fn changed_paths(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match (x.get(k), y.get(k)) {
                    (Some(l), Some(r)) => changed_paths(l, r, &child, out),
                    _ => out.push(child),
                }
            }
        }
        (l, r) if l != r => out.push(path.to_owned()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn merge_patch_semantics() {
        let mut doc = json!({"gateway": {"port": 1, "bind": "lan"}, "bindings": [{"id": "a", "x": 1}],
                             "list": [1, 2]});
        merge(
            &mut doc,
            &json!({"gateway": {"bind": null, "port": 2},
                               "bindings": [{"id": "a", "x": 3}, {"id": "b"}], "list": [3]}),
            &[],
            "",
        );
        assert_eq!(
            doc,
            json!({"gateway": {"port": 2}, "bindings": [{"id": "a", "x": 3}, {"id": "b"}], "list": [3]})
        );
        merge(
            &mut doc,
            &json!({"bindings": [{"id": "c"}]}),
            &["bindings".to_owned()],
            "",
        );
        assert_eq!(doc["bindings"], json!([{"id": "c"}]));
        let mut changed = Vec::new();
        changed_paths(
            &json!({"a": {"b": 1, "c": 2}}),
            &json!({"a": {"b": 1, "c": 3, "d": 4}}),
            "",
            &mut changed,
        );
        assert_eq!(changed, ["a.c", "a.d"]);
    }
}
