//! The original's merge of included content: objects merge key by key, arrays
//! concatenate, and for anything else the later value wins.

use serde_json::Value;

/// Merges `over` into `base`; `over` wins where they disagree.
pub fn deep_merge(base: Value, over: Value) -> Value {
    match (base, over) {
        (Value::Array(mut base), Value::Array(over)) => {
            base.extend(over);
            Value::Array(base)
        }
        (Value::Object(mut base), Value::Object(over)) => {
            for (key, value) in over {
                let merged = match base.remove(&key) {
                    Some(current) => deep_merge(current, value),
                    None => value,
                };
                base.insert(key, merged);
            }
            Value::Object(base)
        }
        (_, over) => over,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_merge_arrays_concatenate_later_primitives_win() {
        let base = json!({"a": {"x": 1, "y": [1]}, "b": "base", "c": {"k": 1}});
        let over = json!({"a": {"x": 2, "y": [2], "z": true}, "b": "over", "c": 5});
        assert_eq!(
            deep_merge(base, over),
            json!({"a": {"x": 2, "y": [1, 2], "z": true}, "b": "over", "c": 5})
        );
        assert_eq!(deep_merge(json!({}), json!([1])), json!([1]));
        assert_eq!(deep_merge(json!([1]), json!({"a": 1})), json!({"a": 1}));
    }
}
