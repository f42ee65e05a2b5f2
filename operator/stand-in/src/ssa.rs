//! Managed fields: who owns which field, how server-side apply merges and
//! detects conflicts, and how ordinary updates move ownership.

use serde_json::{Value, json};

use crate::fields::{self, FieldPath, FieldSet};
use crate::merge::keyed_merge;

/// One `metadata.managedFields` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// Field manager name.
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    /// API version the manager used.
    pub api_version: String,
    /// `Some("status")` for writes through the status subresource.
    pub subresource: Option<String>,
    /// When the set last changed (RFC 3339).
    pub time: String,
    /// Owned paths.
    pub fields: FieldSet,
}

impl Entry {
    fn is(&self, manager: &str, operation: &str, sub: Option<&str>) -> bool {
        self.manager == manager && self.operation == operation && self.subresource.as_deref() == sub
    }
}

/// Reads `metadata.managedFields`.
pub fn read(obj: &Value) -> Vec<Entry> {
    obj["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| Entry {
            manager: e["manager"].as_str().unwrap_or("").to_owned(),
            operation: e["operation"].as_str().unwrap_or("Update").to_owned(),
            api_version: e["apiVersion"].as_str().unwrap_or("").to_owned(),
            subresource: e["subresource"].as_str().map(str::to_owned),
            time: e["time"].as_str().unwrap_or("").to_owned(),
            fields: fields::from_fields_v1(&e["fieldsV1"]),
        })
        .collect()
}

/// Writes `metadata.managedFields`, dropping entries that own nothing.
pub fn write(obj: &mut Value, entries: &[Entry]) {
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            let mut v = json!({
                "manager": e.manager,
                "operation": e.operation,
                "apiVersion": e.api_version,
                "time": e.time,
                "fieldsType": "FieldsV1",
                "fieldsV1": fields::to_fields_v1(&e.fields),
            });
            if let Some(s) = &e.subresource {
                v["subresource"] = json!(s);
            }
            v
        })
        .collect();
    let meta = obj["metadata"]
        .as_object_mut()
        .expect("objects have metadata");
    if list.is_empty() {
        meta.remove("managedFields");
    } else {
        meta.insert("managedFields".into(), Value::Array(list));
    }
}

/// The part of an object a write through `sub` may touch: `status` alone
/// for the status subresource, everything but `status` otherwise (when the
/// kind has a status subresource).
pub fn owned_part(obj: &Value, sub: Option<&str>, has_status: bool) -> Value {
    let mut part = obj.clone();
    if let Some(m) = part.as_object_mut() {
        if sub == Some("status") {
            m.retain(|k, _| k == "status");
        } else if has_status {
            m.remove("status");
        }
    }
    part
}

/// Who writes, and how.
pub struct Writer<'a> {
    /// Field manager.
    pub manager: &'a str,
    /// API version of the request.
    pub api_version: &'a str,
    /// Subresource written through.
    pub sub: Option<&'a str>,
    /// Whether the kind has a status subresource.
    pub has_status: bool,
}

fn now() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .unwrap_or_else(|_| jiff::Timestamp::now())
        .to_string()
}

/// Ownership after an ordinary write (create, update, merge/JSON/strategic
/// patch): fields the write changed move to `w.manager` (operation
/// `Update`); fields it removed are owned by no one.
pub fn record_update(old: &Value, new: &mut Value, w: &Writer<'_>) {
    let (changed, removed) = fields::changes(
        &owned_part(old, w.sub, w.has_status),
        &owned_part(new, w.sub, w.has_status),
    );
    let mut entries = read(old);
    if changed.is_empty() && removed.is_empty() {
        write(new, &entries);
        return;
    }
    for e in &mut entries {
        e.fields
            .retain(|p| !changed.contains(p) && !removed.contains(p));
    }
    match entries
        .iter_mut()
        .find(|e| e.is(w.manager, "Update", w.sub))
    {
        Some(e) => {
            e.fields.extend(changed);
            e.time = now();
            e.api_version = w.api_version.to_owned();
        }
        None if !changed.is_empty() => entries.push(Entry {
            manager: w.manager.to_owned(),
            operation: "Update".into(),
            api_version: w.api_version.to_owned(),
            subresource: w.sub.map(str::to_owned),
            time: now(),
            fields: changed,
        }),
        None => {}
    }
    write(new, &entries);
}

/// A field another manager owns with a different value: (manager, its API version, path).
pub type Conflict = (String, String, String);

/// Server-side apply of `applied` onto `live` by `w.manager`. Conflicts
/// fail the apply unless `force`, which takes the fields over.
pub fn apply(
    live: &Value,
    applied: &Value,
    w: &Writer<'_>,
    force: bool,
) -> Result<Value, Vec<Conflict>> {
    let applied = owned_part(applied, w.sub, w.has_status);
    let new_set: FieldSet = fields::leaves(&applied);
    let mut entries = read(live);
    let mine_idx = entries.iter().position(|e| e.is(w.manager, "Apply", w.sub));
    let mut conflicts: Vec<(usize, FieldPath)> = Vec::new();
    for p in new_set
        .iter()
        .filter(|p| p.last().is_some_and(|l| l != "."))
    {
        let Some(current) = fields::get(live, p) else {
            continue;
        };
        if fields::get(&applied, p) == Some(current) {
            continue;
        }
        for (i, e) in entries.iter().enumerate() {
            if Some(i) != mine_idx && e.subresource.as_deref() == w.sub && e.fields.contains(p) {
                conflicts.push((i, p.clone()));
            }
        }
    }
    if !conflicts.is_empty() && !force {
        return Err(conflicts
            .iter()
            .map(|(i, p)| {
                let e = &entries[*i];
                (e.manager.clone(), e.api_version.clone(), fields::display(p))
            })
            .collect());
    }
    for (i, p) in &conflicts {
        entries[*i].fields.remove(p);
    }
    let previous: FieldSet = mine_idx
        .map(|i| entries[i].fields.clone())
        .unwrap_or_default();
    let others: Vec<&FieldSet> = entries
        .iter()
        .enumerate()
        .filter(|(i, e)| Some(*i) != mine_idx && e.subresource.as_deref() == w.sub)
        .map(|(_, e)| &e.fields)
        .collect();
    let mut result = live.clone();
    let mut dropped: Vec<&FieldPath> = previous.difference(&new_set).collect();
    dropped.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for p in dropped {
        let shared = if p.last().is_some_and(|l| l == ".") {
            let item = &p[..p.len() - 1];
            others.iter().any(|s| s.iter().any(|q| q.starts_with(item)))
        } else {
            others.iter().any(|s| s.contains(p))
        };
        if !shared {
            fields::remove(&mut result, p);
        }
    }
    let mut body = applied.clone();
    if let Some(m) = body.as_object_mut() {
        m.remove("apiVersion");
        m.remove("kind");
        if let Some(meta) = m.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("managedFields");
            meta.remove("resourceVersion");
        }
    }
    keyed_merge(&mut result, &body, "", false);
    match mine_idx {
        Some(i) => {
            if entries[i].fields != new_set || entries[i].api_version != w.api_version {
                entries[i].fields = new_set;
                entries[i].time = now();
                entries[i].api_version = w.api_version.to_owned();
            }
        }
        None => entries.push(Entry {
            manager: w.manager.to_owned(),
            operation: "Apply".into(),
            api_version: w.api_version.to_owned(),
            subresource: w.sub.map(str::to_owned),
            time: now(),
            fields: new_set,
        }),
    }
    write(&mut result, &entries);
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(manager: &str) -> Writer<'_> {
        Writer {
            manager,
            api_version: "apps/v1",
            sub: None,
            has_status: true,
        }
    }

    fn base() -> Value {
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "a"}})
    }

    #[test]
    fn an_update_takes_a_field_and_the_next_apply_conflicts_until_forced() {
        let applied =
            json!({"metadata": {"name": "a"}, "spec": {"replicas": 1, "serviceName": "a"}});
        let live = apply(&base(), &applied, &w("op"), false).unwrap();
        assert_eq!(live["spec"]["replicas"], 1);
        let mut edited = live.clone();
        edited["spec"]["replicas"] = json!(3);
        record_update(&live, &mut edited, &w("kubectl-edit"));
        let entries = read(&edited);
        assert_eq!(entries.len(), 2, "{entries:?}");
        let conflicts = apply(&edited, &applied, &w("op"), false).unwrap_err();
        assert_eq!(
            conflicts,
            [(
                "kubectl-edit".to_owned(),
                "apps/v1".to_owned(),
                ".spec.replicas".to_owned()
            )]
        );
        // Re-applying the value the other manager set is not a conflict.
        let mut same = applied.clone();
        same["spec"]["replicas"] = json!(3);
        assert!(apply(&edited, &same, &w("op"), false).is_ok());
        let healed = apply(&edited, &applied, &w("op"), true).unwrap();
        assert_eq!(healed["spec"]["replicas"], 1);
        assert_eq!(read(&healed).len(), 1, "the editor lost its only field");
    }

    #[test]
    fn fields_dropped_from_an_apply_are_removed_unless_shared() {
        let applied =
            json!({"metadata": {"name": "a", "labels": {"x": "1", "y": "2"}}, "spec": {"a": 1}});
        let live = apply(&base(), &applied, &w("op"), false).unwrap();
        let other = json!({"metadata": {"name": "a", "labels": {"y": "2"}}});
        let live = apply(&live, &other, &w("other"), false).unwrap();
        let smaller = json!({"metadata": {"name": "a"}, "spec": {"a": 1}});
        let live = apply(&live, &smaller, &w("op"), false).unwrap();
        assert_eq!(live["metadata"]["labels"], json!({"y": "2"}));
        // A no-op apply changes nothing at all (no new managedFields time).
        assert_eq!(apply(&live, &smaller, &w("op"), false).unwrap(), live);
    }

    #[test]
    fn status_and_main_resource_are_owned_separately() {
        let live = apply(
            &base(),
            &json!({"spec": {"a": 1}, "status": {"x": 1}}),
            &w("op"),
            false,
        )
        .unwrap();
        assert!(
            live.get("status").is_none(),
            "main-resource apply ignores status"
        );
        let status = Writer {
            sub: Some("status"),
            ..w("op")
        };
        let live = apply(
            &live,
            &json!({"status": {"x": 2}, "spec": {"a": 9}}),
            &status,
            false,
        )
        .unwrap();
        assert_eq!(
            (live["spec"]["a"].clone(), live["status"]["x"].clone()),
            (json!(1), json!(2))
        );
        assert_eq!(read(&live).len(), 2);
    }
}
