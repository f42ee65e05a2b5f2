//! Protocol frames (closed schemas, as the original: unknown keys are rejected).
//!
//! - request `{type:"req", id, method, params?, traceparent?, expectedProfileId?}`
//! - response `{type:"res", id, ok, payload?, error?}`
//! - event `{type:"event", event, payload?, seq?, stateVersion?}`

use serde::Serialize;
use serde_json::Value;

use super::errors::ErrorShape;
use super::schema::{self, NON_EMPTY, Schema, opt, req};

/// Largest frame accepted before `connect` succeeds (the original's pre-auth limit).
pub const MAX_PREAUTH_PAYLOAD: usize = 64 * 1024;
/// `policy.maxPayload`: largest frame after `hello-ok`.
pub const MAX_PAYLOAD: usize = 26_214_400;
/// `policy.maxBufferedBytes`: a client that lets this much pile up is closed as a slow consumer.
pub const MAX_BUFFERED_BYTES: usize = 52_428_800;

const REQUEST: Schema = Schema::Object(&[
    req("type", Schema::Const("req")),
    req("id", NON_EMPTY),
    req("method", NON_EMPTY),
    opt("params", Schema::Any),
    opt(
        "traceparent",
        Schema::String {
            min_len: 0,
            max_len: Some(128),
        },
    ),
    opt(
        "expectedProfileId",
        Schema::String {
            min_len: 1,
            max_len: Some(128),
        },
    ),
]);

/// A validated request.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub id: String,
    pub method: String,
    pub params: Option<Value>,
}

/// A frame that is JSON but not a valid request: the reply goes to `id` if it had a
/// usable one (else `"invalid"`).
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidFrame {
    pub id: Option<String>,
    pub message: String,
}

/// Validates a parsed frame as a request.
pub fn parse_request(value: Value) -> Result<Request, InvalidFrame> {
    if let Err(message) = schema::validate(&REQUEST, &value) {
        let id = value
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        return Err(InvalidFrame { id, message });
    }
    let Value::Object(mut map) = value else {
        unreachable!("validated as an object")
    };
    let text = |map: &mut serde_json::Map<String, Value>, key: &str| match map.remove(key) {
        Some(Value::String(s)) => s,
        _ => unreachable!("validated as a string"),
    };
    Ok(Request {
        id: text(&mut map, "id"),
        method: text(&mut map, "method"),
        params: map.remove("params"),
    })
}

/// A response frame.
#[derive(Debug, Clone, Serialize)]
pub struct Response<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a ErrorShape>,
}

impl<'a> Response<'a> {
    pub fn ok(id: &'a str, payload: &'a Value) -> Self {
        Self {
            kind: "res",
            id,
            ok: true,
            payload: Some(payload),
            error: None,
        }
    }

    pub fn err(id: &'a str, error: &'a ErrorShape) -> Self {
        Self {
            kind: "res",
            id,
            ok: false,
            payload: None,
            error: Some(error),
        }
    }

    /// A failed response that still carries a payload (the original's failed `agent` run).
    pub fn err_with_payload(id: &'a str, payload: &'a Value, error: &'a ErrorShape) -> Self {
        Self {
            kind: "res",
            id,
            ok: false,
            payload: Some(payload),
            error: Some(error),
        }
    }

    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("frames serialise")
    }
}

/// An event frame sent outside the broadcast bus (no `seq`): `connect.challenge`.
pub fn unsequenced_event(event: &str, payload: &Value) -> String {
    serde_json::json!({ "type": "event", "event": event, "payload": payload }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_are_closed() {
        let ok = parse_request(json!({"type": "req", "id": "1", "method": "health"})).unwrap();
        assert_eq!(
            (ok.id.as_str(), ok.method.as_str(), ok.params),
            ("1", "health", None)
        );
        let err = parse_request(json!({"type": "req", "id": "r5", "method": "health", "extra": 1}))
            .unwrap_err();
        assert_eq!(
            err,
            InvalidFrame {
                id: Some("r5".into()),
                message: "at root: unexpected property 'extra'".into()
            }
        );
        let err = parse_request(json!({"type": "event", "event": "x"})).unwrap_err();
        assert_eq!(err.id, None);
        let err = parse_request(json!({"type": "req", "id": 5, "method": "x"})).unwrap_err();
        assert_eq!(
            (err.id, err.message.as_str()),
            (None, "at /id: must be string")
        );
    }

    #[test]
    fn responses_serialise_like_the_original() {
        let payload = json!({"a": 1});
        assert_eq!(
            Response::ok("1", &payload).to_text(),
            r#"{"type":"res","id":"1","ok":true,"payload":{"a":1}}"#
        );
        let e = ErrorShape::invalid_request("nope");
        assert_eq!(
            Response::err("2", &e).to_text(),
            r#"{"type":"res","id":"2","ok":false,"error":{"code":"INVALID_REQUEST","message":"nope"}}"#
        );
    }
}
