//! The `sessions.list` filters and facets of the original that name things this
//! gateway's sessions never have: archives, pins, dashboards (boards), sidebar
//! groups, projects, owners and creators, spawned subagents. A filter asking for
//! one of them matches no session; one asking for their absence (`archived: false`,
//! `pinned: false`) or for everything (`archived: "all"`) keeps every session, as
//! the original would for a store with none of them.

use serde_json::{Value, json};

use super::params::Params;

/// Whether the filters select nothing among sessions that are never archived,
/// pinned, grouped, attached to a project or owner, nor spawned by another session.
pub fn matches_nothing(p: &Params) -> bool {
    let archived_only = p.get("archived").is_some_and(|v| v == &json!(true));
    let present = |name: &str| p.get(name).is_some_and(|v| !v.is_null());
    archived_only
        || p.bool("pinned") == Some(true)
        || p.bool("hasBoard") == Some(true)
        || p.bool("involvingMe") == Some(true)
        || p.get("boardFace").and_then(Value::as_str).is_some()
        || p.str("group").is_some_and(|g| !g.is_empty())
        || [
            "projectId",
            "workspaceDir",
            "creatorId",
            "ownerId",
            "profileRelation",
            "involvingProfileId",
            "spawnedBy",
        ]
        .iter()
        .any(|name| present(name))
}

/// Facets the caller asked for, added to the response: with no people recorded
/// on any session, the people facet is empty and complete.
pub fn add_facets(p: &Params, response: &mut Value) {
    if p.bool("includePeople") == Some(true) {
        response["people"] = json!([]);
        response["peopleIncomplete"] = json!(false);
        response["peopleSessionCount"] = json!(0);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::params::{SESSIONS_LIST, check};
    use super::*;

    fn params(v: Value) -> Params {
        check("sessions.list", Some(&v), SESSIONS_LIST).unwrap()
    }

    #[test]
    fn filters_for_things_sessions_never_have_match_nothing() {
        for v in [
            json!({"archived": true}),
            json!({"hasBoard": true}),
            json!({"pinned": true}),
            json!({"group": "Work"}),
            json!({"spawnedBy": "agent:main:main"}),
            json!({"projectId": "workspace:main"}),
        ] {
            assert!(matches_nothing(&params(v.clone())), "{v}");
        }
        for v in [
            json!({"archived": "all", "configuredAgentsOnly": true, "includeGlobal": true}),
            json!({"archived": false, "pinned": false, "group": ""}),
            json!({"ownerFirst": true, "includeDerivedTitles": true}),
        ] {
            assert!(!matches_nothing(&params(v.clone())), "{v}");
        }
    }

    #[test]
    fn the_people_facet_is_empty_and_complete() {
        let mut out = json!({"sessions": []});
        add_facets(&params(json!({"includePeople": true})), &mut out);
        assert_eq!(out["people"], json!([]));
        assert_eq!(out["peopleIncomplete"], false);
    }
}
