//! API errors as the real server sends them: a `v1.Status` body with the
//! HTTP code, a reason kube's client maps to its error type, and causes.

use http::StatusCode;
use serde_json::{Value, json};

use crate::resources::Kind;

/// A failed request.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub code: StatusCode,
    /// `NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, `Gone`, …
    pub reason: &'static str,
    /// Human message, worded as the real server words it.
    pub message: String,
    /// `details` (name, group, kind, causes), when there are any.
    pub details: Option<Value>,
}

impl ApiError {
    fn new(code: StatusCode, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    /// 404 for an object.
    pub fn not_found(kind: &Kind, name: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("{} \"{name}\" not found", kind.qualified()),
        )
        .with_details(json!({"name": name, "group": kind.group, "kind": kind.plural}))
    }

    /// 404 for a URL nobody serves.
    pub fn no_route(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("the server could not find the requested resource ({path})"),
        )
    }

    /// 409 on create of an existing name.
    pub fn already_exists(kind: &Kind, name: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", kind.qualified()),
        )
        .with_details(json!({"name": name, "group": kind.group, "kind": kind.plural}))
    }

    /// 409 on a stale resourceVersion or a failed precondition.
    pub fn conflict(kind: &Kind, name: &str, why: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": {why}",
                kind.qualified()
            ),
        )
        .with_details(json!({"name": name, "group": kind.group, "kind": kind.plural}))
    }

    /// 409 for server-side apply conflicts, with one cause per field.
    pub fn apply_conflicts(
        kind: &Kind,
        name: &str,
        conflicts: &[(String, String, String)],
    ) -> Self {
        let lines: Vec<String> = conflicts
            .iter()
            .map(|(manager, api_version, field)| {
                format!("conflict with \"{manager}\" using {api_version}: {field}")
            })
            .collect();
        let message = if lines.len() == 1 {
            format!("Apply failed with 1 conflict: {}", lines[0])
        } else {
            format!(
                "Apply failed with {} conflicts: {}",
                lines.len(),
                lines.join("\n")
            )
        };
        let causes: Vec<Value> = conflicts
            .iter()
            .map(|(manager, api_version, field)| {
                json!({
                    "reason": "FieldManagerConflict",
                    "message": format!("conflict with \"{manager}\" using {api_version}"),
                    "field": field,
                })
            })
            .collect();
        Self::new(StatusCode::CONFLICT, "Conflict", message).with_details(
            json!({"name": name, "group": kind.group, "kind": kind.plural, "causes": causes}),
        )
    }

    /// 422 with field causes.
    pub fn invalid(kind: &Kind, name: &str, causes: Vec<(String, String, &'static str)>) -> Self {
        let summary: Vec<String> = causes
            .iter()
            .map(|(field, msg, _)| format!("{field}: {msg}"))
            .collect();
        let message = format!(
            "{}.{} \"{name}\" is invalid: {}",
            kind.kind,
            kind.group,
            match summary.len() {
                1 => summary[0].clone(),
                _ => format!("[{}]", summary.join(", ")),
            }
        );
        let causes: Vec<Value> = causes
            .into_iter()
            .map(|(field, msg, reason)| json!({"reason": reason, "message": msg, "field": field}))
            .collect();
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "Invalid", message).with_details(
            json!({"name": name, "group": kind.group, "kind": kind.kind, "causes": causes}),
        )
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    /// 405.
    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", message)
    }

    /// 415.
    pub fn unsupported_media_type(content_type: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {content_type:?})"
            ),
        )
    }

    /// 410 for a watch from a compacted resourceVersion.
    pub fn gone(rv: u64) -> Self {
        Self::new(
            StatusCode::GONE,
            "Expired",
            format!("too old resource version: {rv}"),
        )
    }

    fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// The `v1.Status` body.
    pub fn body(&self) -> Value {
        let mut v = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code.as_u16(),
        });
        if let Some(d) = &self.details {
            v["details"] = d.clone();
        }
        v
    }
}
