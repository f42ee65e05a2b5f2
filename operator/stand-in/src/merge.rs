//! Merging a body into a live object: JSON merge patch (RFC 7386), and the
//! key-aware merge that server-side apply and strategic merge patch share.

use serde_json::Value;

use crate::fields::{ListType, item_key, list_type};

/// RFC 7386: objects merge recursively, `null` deletes, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    let map = target.as_object_mut().expect("just made an object");
    for (k, v) in patch {
        if v.is_null() {
            map.remove(k);
        } else {
            merge_patch(map.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

/// Merges `applied` into `live`: objects key by key, list-maps item by item
/// (by their keys), sets by union, everything else replaced. With
/// `null_deletes` (strategic merge patch), a `null` removes the key.
pub fn keyed_merge(live: &mut Value, applied: &Value, field: &str, null_deletes: bool) {
    match (live, applied) {
        (Value::Object(l), Value::Object(a)) => {
            for (k, v) in a {
                if v.is_null() && null_deletes {
                    l.remove(k);
                } else if let Some(existing) = l.get_mut(k) {
                    keyed_merge(existing, v, k, null_deletes);
                } else {
                    l.insert(k.clone(), v.clone());
                }
            }
        }
        (Value::Array(l), Value::Array(a)) => match list_type(field, a) {
            ListType::Map(keys)
                if matches!(list_type(field, l), ListType::Map(_)) || l.is_empty() =>
            {
                for item in a {
                    let key = item_key(keys, item);
                    match l.iter_mut().find(|i| item_key(keys, i) == key) {
                        Some(existing) => keyed_merge(existing, item, "", null_deletes),
                        None => l.push(item.clone()),
                    }
                }
            }
            ListType::Set => {
                for item in a {
                    if !l.contains(item) {
                        l.push(item.clone());
                    }
                }
            }
            _ => *l = a.clone(),
        },
        (l, a) => *l = a.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_deletes_with_null() {
        let mut v = json!({"a": {"b": 1, "c": 2}, "d": [1]});
        merge_patch(&mut v, &json!({"a": {"b": null, "e": 3}, "d": [2]}));
        assert_eq!(v, json!({"a": {"c": 2, "e": 3}, "d": [2]}));
    }

    #[test]
    fn keyed_merge_merges_containers_by_name() {
        let mut live = json!({"containers": [{"name": "a", "image": "1", "x": 1}, {"name": "b"}]});
        keyed_merge(
            &mut live,
            &json!({"containers": [{"name": "a", "image": "2"}, {"name": "c"}]}),
            "",
            false,
        );
        assert_eq!(
            live,
            json!({"containers": [{"name": "a", "image": "2", "x": 1}, {"name": "b"}, {"name": "c"}]})
        );
    }
}
