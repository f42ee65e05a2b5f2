//! Field paths and field sets, as server-side apply tracks ownership: each
//! path element is written as in `managedFields[].fieldsV1` — `f:name` for a
//! map key, `k:{"name":"x"}` for a list-map item, `v:"x"` for a set member,
//! and `.` for "the item itself".
//!
//! Which lists are list-maps (merged item by item) and which are sets is
//! decided by field name, from the Kubernetes types the operator writes; any
//! other list is atomic (owned and replaced as a whole).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// One path, from the object root.
pub type FieldPath = Vec<String>;

/// A set of owned paths.
pub type FieldSet = BTreeSet<FieldPath>;

/// How a list field merges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListType {
    /// Items are identified by these keys.
    Map(&'static [&'static str]),
    /// Items are scalars, merged as a set.
    Set,
    /// Replaced as a whole.
    Atomic,
}

/// The list type of field `name`, given its items.
pub fn list_type(name: &str, items: &[Value]) -> ListType {
    let keys: &'static [&'static str] = match name {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "claims" => &["name"],
        "ports" if items.iter().all(|i| i.get("containerPort").is_some()) => {
            &["containerPort", "protocol"]
        }
        "ports" => &["port", "protocol"],
        "volumeMounts" => &["mountPath"],
        "conditions" => &["type"],
        "ownerReferences" => &["uid"],
        "finalizers" => return ListType::Set,
        _ => return ListType::Atomic,
    };
    let all_keyed = items
        .iter()
        .all(|i| i.as_object().is_some_and(|o| o.contains_key(keys[0])));
    if all_keyed {
        ListType::Map(keys)
    } else {
        ListType::Atomic
    }
}

/// The `k:{…}` element of a list-map item.
pub fn item_key(keys: &[&str], item: &Value) -> String {
    let mut m = Map::new();
    for k in keys {
        if let Some(v) = item.get(*k) {
            m.insert((*k).to_owned(), v.clone());
        }
    }
    format!("k:{}", Value::Object(m))
}

/// Metadata fields no manager owns (set by the server).
const SERVER_METADATA: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
];

/// Every owned path in an object: leaves, plus `.` for each list-map item.
/// `apiVersion`, `kind` and server-set metadata are never owned.
pub fn leaves(obj: &Value) -> FieldSet {
    let mut out = FieldSet::new();
    if let Some(map) = obj.as_object() {
        for (k, v) in map {
            if k == "apiVersion" || k == "kind" {
                continue;
            }
            if k == "metadata" {
                if let Some(meta) = v.as_object() {
                    for (mk, mv) in meta {
                        if !SERVER_METADATA.contains(&mk.as_str()) {
                            walk(
                                mv,
                                mk,
                                &mut vec!["f:metadata".into(), format!("f:{mk}")],
                                &mut out,
                            );
                        }
                    }
                }
                continue;
            }
            walk(v, k, &mut vec![format!("f:{k}")], &mut out);
        }
    }
    out
}

fn walk(v: &Value, name: &str, path: &mut FieldPath, out: &mut FieldSet) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            for (k, child) in map {
                path.push(format!("f:{k}"));
                walk(child, k, path, out);
                path.pop();
            }
        }
        Value::Array(items) if !items.is_empty() => match list_type(name, items) {
            ListType::Map(keys) => {
                for item in items {
                    path.push(item_key(keys, item));
                    path.push(".".into());
                    out.insert(path.clone());
                    path.pop();
                    walk(item, "", path, out);
                    path.pop();
                }
            }
            ListType::Set => {
                for item in items {
                    path.push(format!("v:{item}"));
                    out.insert(path.clone());
                    path.pop();
                }
            }
            ListType::Atomic => {
                out.insert(path.clone());
            }
        },
        _ => {
            out.insert(path.clone());
        }
    }
}

/// The value a path points to (for `.` and `v:` elements, the item itself).
pub fn get<'a>(obj: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = obj;
    let mut last_field = "";
    for el in path {
        if let Some(f) = el.strip_prefix("f:") {
            cur = cur.get(f)?;
            last_field = f;
        } else if let Some(k) = el.strip_prefix("k:") {
            let want: Value = serde_json::from_str(k).ok()?;
            let items = cur.as_array()?;
            let ListType::Map(keys) = list_type(last_field, items) else {
                return None;
            };
            cur = items
                .iter()
                .find(|i| item_key(keys, i) == format!("k:{want}"))?;
        } else if let Some(v) = el.strip_prefix("v:") {
            let want: Value = serde_json::from_str(v).ok()?;
            cur = cur.as_array()?.iter().find(|i| **i == want)?;
        } else if el == "." {
            // The item itself.
        } else {
            return None;
        }
    }
    Some(cur)
}

/// Removes what a path points to (a key, a list-map item for `.`, a set
/// member). Missing paths are ignored.
pub fn remove(obj: &mut Value, path: &[String]) {
    let Some((last, parent_path)) = path.split_last() else {
        return;
    };
    if last == "." {
        // Remove the list-map item: the parent path ends with its `k:` element.
        let Some((key, list_path)) = parent_path.split_last() else {
            return;
        };
        let field = list_path
            .last()
            .and_then(|f| f.strip_prefix("f:"))
            .unwrap_or("");
        if let Some(Value::Array(items)) = get_mut(obj, list_path)
            && let ListType::Map(keys) = list_type(field, items)
        {
            items.retain(|i| item_key(keys, i) != *key);
        }
        return;
    }
    let Some(parent) = get_mut(obj, parent_path) else {
        return;
    };
    if let Some(f) = last.strip_prefix("f:") {
        if let Some(m) = parent.as_object_mut() {
            m.remove(f);
        }
    } else if let Some(v) = last.strip_prefix("v:")
        && let (Ok(want), Some(items)) = (serde_json::from_str::<Value>(v), parent.as_array_mut())
    {
        items.retain(|i| *i != want);
    }
}

fn get_mut<'a>(obj: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    let mut cur = obj;
    let mut last_field = String::new();
    for el in path {
        if let Some(f) = el.strip_prefix("f:") {
            cur = cur.get_mut(f)?;
            last_field = f.to_owned();
        } else if let Some(k) = el.strip_prefix("k:") {
            let items = cur.as_array_mut()?;
            let ListType::Map(keys) = list_type(&last_field, items) else {
                return None;
            };
            let want = format!("k:{}", serde_json::from_str::<Value>(k).ok()?);
            cur = items.iter_mut().find(|i| item_key(keys, i) == want)?;
        } else if el != "." {
            return None;
        }
    }
    Some(cur)
}

/// Encodes a set as `fieldsV1`.
pub fn to_fields_v1(set: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in set {
        let mut cur = &mut root;
        for el in path {
            cur = cur
                .entry(el.clone())
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("fieldsV1 nodes are objects");
        }
    }
    Value::Object(root)
}

/// Decodes `fieldsV1` into the set of paths it marks (leaves and `.`).
pub fn from_fields_v1(v: &Value) -> FieldSet {
    fn rec(v: &Value, path: &mut FieldPath, out: &mut FieldSet) {
        match v.as_object() {
            Some(m) if !m.is_empty() => {
                for (k, child) in m {
                    path.push(k.clone());
                    rec(child, path, out);
                    path.pop();
                }
            }
            _ => {
                if !path.is_empty() {
                    out.insert(path.clone());
                }
            }
        }
    }
    let mut out = FieldSet::new();
    rec(v, &mut Vec::new(), &mut out);
    out
}

/// A path as conflict messages write it: `.spec.template.spec.containers[name="gateway"].image`.
pub fn display(path: &[String]) -> String {
    let mut s = String::new();
    for el in path {
        if let Some(f) = el.strip_prefix("f:") {
            s.push('.');
            s.push_str(f);
        } else if let Some(k) = el.strip_prefix("k:") {
            let parts: Vec<String> = serde_json::from_str::<Map<String, Value>>(k)
                .map(|m| m.iter().map(|(k, v)| format!("{k}={v}")).collect())
                .unwrap_or_default();
            s.push_str(&format!("[{}]", parts.join(",")));
        } else if let Some(v) = el.strip_prefix("v:") {
            s.push_str(&format!("[={v}]"));
        }
    }
    s
}

/// Paths whose value differs between `old` and `new` (added or changed),
/// and paths `old` had that `new` lacks.
pub fn changes(old: &Value, new: &Value) -> (FieldSet, FieldSet) {
    let (before, after) = (leaves(old), leaves(new));
    let changed = after
        .iter()
        .filter(|p| p.last().is_some_and(|l| l != ".") && get(old, p) != get(new, p))
        .chain(
            after
                .difference(&before)
                .filter(|p| p.last().is_some_and(|l| l == ".")),
        )
        .cloned()
        .collect();
    let removed = before.difference(&after).cloned().collect();
    (changed, removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &[&str]) -> FieldPath {
        s.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn list_maps_are_keyed_and_round_trip_through_fields_v1() {
        let obj = json!({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "a", "labels": {"x": "1"}, "finalizers": ["f"]},
            "spec": {"replicas": 1, "template": {"spec": {"containers": [
                {"name": "gateway", "image": "i", "args": ["a", "b"]}
            ]}}}
        });
        let set = leaves(&obj);
        let image = p(&[
            "f:spec",
            "f:template",
            "f:spec",
            "f:containers",
            "k:{\"name\":\"gateway\"}",
            "f:image",
        ]);
        assert!(set.contains(&image), "{set:?}");
        assert!(set.contains(&p(&["f:metadata", "f:finalizers", "v:\"f\""])));
        let args = p(&[
            "f:spec",
            "f:template",
            "f:spec",
            "f:containers",
            "k:{\"name\":\"gateway\"}",
            "f:args",
        ]);
        assert!(set.contains(&args), "atomic list is one leaf");
        assert!(
            !set.iter()
                .any(|x| x.contains(&"f:name".to_owned()) && x.len() == 2)
        );
        assert_eq!(from_fields_v1(&to_fields_v1(&set)), set);
        assert_eq!(get(&obj, &image), Some(&json!("i")));
        assert_eq!(
            display(&image),
            ".spec.template.spec.containers[name=\"gateway\"].image"
        );
    }

    #[test]
    fn removal_of_keys_items_and_members() {
        let mut obj = json!({"metadata": {"finalizers": ["a", "b"]},
            "spec": {"ports": [{"port": 1, "protocol": "TCP"}, {"port": 2, "protocol": "TCP"}], "x": 1}});
        remove(&mut obj, &p(&["f:metadata", "f:finalizers", "v:\"a\""]));
        remove(
            &mut obj,
            &p(&[
                "f:spec",
                "f:ports",
                "k:{\"port\":1,\"protocol\":\"TCP\"}",
                ".",
            ]),
        );
        remove(&mut obj, &p(&["f:spec", "f:x"]));
        assert_eq!(
            obj,
            json!({"metadata": {"finalizers": ["b"]}, "spec": {"ports": [{"port": 2, "protocol": "TCP"}]}})
        );
    }

    #[test]
    fn changes_name_changed_added_and_removed_paths() {
        let old = json!({"spec": {"replicas": 1, "a": 1}});
        let new = json!({"spec": {"replicas": 3, "b": 2}});
        let (changed, removed) = changes(&old, &new);
        assert_eq!(
            changed,
            [p(&["f:spec", "f:b"]), p(&["f:spec", "f:replicas"])]
                .into_iter()
                .collect()
        );
        assert_eq!(removed, [p(&["f:spec", "f:a"])].into_iter().collect());
    }
}
