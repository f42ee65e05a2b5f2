//! Per-session features of the original this gateway's sessions do not have:
//! dashboards (boards), progress cards, branches, discussions, companions,
//! sidebar groups, native coding-CLI catalogs, pull-request tracking, observers.

use serde_json::json;

use super::{answer, str_param};
use crate::state::GatewayBuilder;
use crate::ws::errors::ErrorShape;
use crate::ws::scopes::Scope;

pub fn install(builder: &mut GatewayBuilder) {
    answer(builder, "board.get", Scope::Read, |call| {
        let key = required(
            str_param(call, "board.get", "sessionKey")?,
            "board.get",
            "sessionKey",
        )?;
        Ok(json!({"sessionKey": key, "revision": 0, "tabs": [], "widgets": []}))
    });
    answer(builder, "progressCard.get", Scope::Read, |_| {
        Ok(json!({"card": null}))
    });
    answer(builder, "sessions.branches.list", Scope::Read, |_| {
        Ok(json!({"branches": []}))
    });
    answer(builder, "session.discussion.info", Scope::Read, |_| {
        Ok(json!({"state": "none"}))
    });
    answer(builder, "sessions.companion.state", Scope::Read, |_| {
        Ok(json!({"exchanges": []}))
    });
    answer(builder, "sessions.groups.list", Scope::Read, |_| {
        Ok(json!({"groups": [], "sectionOrder": []}))
    });
    answer(builder, "sessions.groups.defaults", Scope::Write, |_| {
        Ok(json!({"defaults": []}))
    });
    answer(builder, "sessions.catalog.list", Scope::Read, |_| {
        Ok(json!({"catalogs": []}))
    });
    answer(
        builder,
        "controlUi.sessionPullRequests.subscribe",
        Scope::Read,
        |_| Ok(json!({"subscribed": false})),
    );
    answer(builder, "sessions.observer.visibility", Scope::Read, |_| {
        Ok(json!({"ok": true}))
    });
}

fn required<'a>(v: Option<&'a str>, method: &str, name: &str) -> Result<&'a str, ErrorShape> {
    v.filter(|s| !s.is_empty()).ok_or_else(|| {
        ErrorShape::invalid_request(format!(
            "invalid {method} params: must have required property '{name}'"
        ))
    })
}
