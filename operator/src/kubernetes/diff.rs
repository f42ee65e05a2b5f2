//! The *diff* stage for Kubernetes: which fields of a desired manifest the
//! live object lacks or holds with another value. Only fields the operator
//! sets are compared — the server's defaults and other managers' additions
//! are not drift — and list items are matched by their key (`name`,
//! `containerPort`, `port`, `mountPath`) the way server-side apply merges them.

use serde_json::Value;

/// One field of a desired manifest that the live object does not match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// Path, e.g. `.spec.replicas` or `.spec.template.spec.containers[name=gateway].image`.
    pub path: String,
    /// Live value (`<none>` when absent).
    pub live: String,
    /// Desired value.
    pub desired: String,
}

/// Server-set metadata the desired manifest never owns.
const IGNORED_METADATA: &[&str] = &["managedFields", "resourceVersion", "uid", "generation"];

/// Fields of `desired` that `live` does not match.
pub fn differences(desired: &Value, live: &Value) -> Vec<Difference> {
    let mut out = Vec::new();
    walk(desired, Some(live), String::new(), &mut out);
    out
}

fn show(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "<none>".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The key field list items are matched by.
fn item_key(items: &[Value]) -> Option<&'static str> {
    ["name", "containerPort", "port", "mountPath"]
        .into_iter()
        .find(|k| !items.is_empty() && items.iter().all(|i| i.get(*k).is_some()))
}

fn walk(desired: &Value, live: Option<&Value>, path: String, out: &mut Vec<Difference>) {
    match (desired, live) {
        (Value::Object(d), Some(Value::Object(l))) => {
            for (k, dv) in d {
                if path == ".metadata" && IGNORED_METADATA.contains(&k.as_str()) {
                    continue;
                }
                walk(dv, l.get(k), format!("{path}.{k}"), out);
            }
        }
        (Value::Array(d), Some(Value::Array(l))) => match item_key(d) {
            Some(key) if item_key(l) == Some(key) || l.is_empty() => {
                for item in d {
                    let id = &item[key];
                    let matching = l.iter().find(|i| i.get(key) == Some(id));
                    walk(
                        item,
                        matching,
                        format!("{path}[{key}={}]", show(Some(id))),
                        out,
                    );
                }
            }
            _ if d != l => out.push(Difference {
                path,
                live: show(live),
                desired: show(Some(desired)),
            }),
            _ => {}
        },
        (d, l) if Some(d) != l => out.push(Difference {
            path,
            live: show(l),
            desired: show(Some(d)),
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_desired_fields_count_and_lists_match_by_key() {
        let desired = json!({"metadata": {"name": "a", "labels": {"x": "1"}},
            "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "gateway", "image": "i:1"}]}}}});
        let mut live = desired.clone();
        live["metadata"]["resourceVersion"] = json!("9");
        live["spec"]["template"]["spec"]["containers"] = json!([{"name": "sidecar"}, {"name": "gateway", "image": "i:1", "imagePullPolicy": "IfNotPresent"}]);
        live["status"] = json!({"replicas": 1});
        assert_eq!(differences(&desired, &live), []);
        live["spec"]["replicas"] = json!(3);
        live["spec"]["template"]["spec"]["containers"][1]["image"] = json!("i:2");
        live["metadata"]["labels"] = json!({});
        let d = differences(&desired, &live);
        let paths: Vec<_> = d
            .iter()
            .map(|x| (x.path.as_str(), x.live.as_str(), x.desired.as_str()))
            .collect();
        assert_eq!(
            paths,
            [
                (".metadata.labels.x", "<none>", "1"),
                (".spec.replicas", "3", "1"),
                (
                    ".spec.template.spec.containers[name=gateway].image",
                    "i:2",
                    "i:1"
                ),
            ]
        );
    }

    #[test]
    fn a_missing_object_differs_everywhere_and_atomic_lists_compare_whole() {
        let desired = json!({"spec": {"command": ["a", "b"]}});
        assert_eq!(
            differences(&desired, &json!({"spec": {"command": ["a"]}})).len(),
            1
        );
        assert_eq!(differences(&desired, &json!({})).len(), 1);
    }
}
