//! One HTTP request: route it, run it against the state, log it, answer.

use std::sync::Arc;

use axum::body::{Body, HttpBody};
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};

use crate::path::{self, Query, Route, Target};
use crate::resources::Kind;
use crate::selector::{FieldSelector, LabelSelector};
use crate::server::{Inner, RequestRecord};
use crate::state::{PatchKind, WriteCtx, Written};
use crate::status::ApiError;
use crate::watch;

enum Answer {
    Json(StatusCode, Value, Vec<String>),
    Stream(watch::Chunks),
}

pub(crate) async fn handle<B>(inner: Arc<Inner>, req: Request<B>) -> Response<Body>
where
    B: HttpBody<Data = Bytes>,
    B::Error: std::fmt::Display,
{
    let (parts, body) = req.into_parts();
    let bytes = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            return respond(Answer::Json(
                StatusCode::BAD_REQUEST,
                ApiError::bad_request(e.to_string()).body(),
                vec![],
            ));
        }
    };
    let user = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| {
            inner
                .users
                .lock()
                .expect("users lock")
                .get(t)
                .cloned()
                .unwrap_or_else(|| "unknown-token".into())
        })
        .unwrap_or_else(|| "anonymous".into());
    let agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.split('/').next().unwrap_or(ua).to_owned())
        .unwrap_or_default();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let query = Query::parse(parts.uri.query());
    let route = {
        let s = inner.state.lock().expect("state lock");
        path::parse(parts.uri.path(), |g, p| {
            s.kind(g, p).is_some_and(|k| k.namespaced)
        })
    };
    let answer = match route {
        None => Err(ApiError::no_route(parts.uri.path())),
        Some(Route::Version) => Ok(Answer::Json(
            StatusCode::OK,
            json!({"major": "1", "minor": "34", "gitVersion": "v1.34.0-stand-in", "platform": "linux/amd64"}),
            vec![],
        )),
        Some(Route::Discovery { group_version }) => Ok(Answer::Json(
            StatusCode::OK,
            discovery(&inner, group_version),
            vec![],
        )),
        Some(Route::Resource(t)) => {
            let kind = inner
                .state
                .lock()
                .expect("state lock")
                .kind(&t.group, &t.plural)
                .cloned();
            match kind.filter(|k| k.versions.contains(&t.version)) {
                None => Err(ApiError::no_route(parts.uri.path())),
                Some(kind) => {
                    let verb = verb(&parts.method, &t, &query);
                    let ctx = WriteCtx {
                        manager: query.get("fieldManager").map(str::to_owned).unwrap_or_else(
                            || {
                                if parts.method == Method::PATCH
                                    && content_type.starts_with("application/apply-patch")
                                {
                                    String::new()
                                } else {
                                    agent.clone()
                                }
                            },
                        ),
                        force: query.flag("force"),
                        strict: query.get("fieldValidation") == Some("Strict"),
                        dry_run: query.get("dryRun") == Some("All"),
                    };
                    let result = resource(
                        &inner,
                        &kind,
                        &t,
                        &parts.method,
                        &query,
                        &content_type,
                        &bytes,
                        &ctx,
                    );
                    let code = match &result {
                        Ok(Answer::Json(c, ..)) => c.as_u16(),
                        Ok(Answer::Stream(_)) => 200,
                        Err(e) => e.code.as_u16(),
                    };
                    inner.log.lock().expect("log lock").push(RequestRecord {
                        verb: verb.into(),
                        group: t.group.clone(),
                        resource: t.plural.clone(),
                        subresource: t.sub.clone(),
                        namespace: t.namespace.clone(),
                        name: t.name.clone(),
                        user,
                        code,
                    });
                    result
                }
            }
        }
    };
    match answer {
        Ok(a) => respond(a),
        Err(e) => respond(Answer::Json(e.code, e.body(), vec![])),
    }
}

fn verb(method: &Method, t: &Target, q: &Query) -> &'static str {
    match (method.as_str(), t.name.is_some()) {
        ("GET", _) if q.flag("watch") => "watch",
        ("GET", true) => "get",
        ("GET", false) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => "unknown",
    }
}

fn parse_body(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes)
        .or_else(|_| {
            std::str::from_utf8(bytes)
                .map_err(|e| e.to_string())
                .and_then(|t| serde_saphyr::from_str::<Value>(t).map_err(|e| e.to_string()))
        })
        .map_err(|e| {
            ApiError::bad_request(format!("the request body is neither JSON nor YAML: {e}"))
        })
}

#[allow(clippy::too_many_arguments)]
fn resource(
    inner: &Arc<Inner>,
    kind: &Kind,
    t: &Target,
    method: &Method,
    q: &Query,
    content_type: &str,
    bytes: &[u8],
    ctx: &WriteCtx,
) -> Result<Answer, ApiError> {
    if let Some(sub) = &t.sub
        && !(sub == "status" && kind.status)
    {
        return Err(ApiError::no_route(&format!("{}/{sub}", kind.qualified())));
    }
    let ns = t.namespace.as_deref();
    let ok = |(v, w): Written| Answer::Json(StatusCode::OK, v, w);
    match (method.as_str(), &t.name) {
        ("GET", _) if q.flag("watch") => {
            let chunks = watch::start(
                inner.state.clone(),
                kind.clone(),
                t,
                q,
                inner.bookmark_every,
            )?;
            Ok(Answer::Stream(chunks))
        }
        ("GET", Some(name)) => {
            let s = inner.state.lock().expect("state lock");
            Ok(Answer::Json(
                StatusCode::OK,
                s.get(kind, &t.version, ns, name)?,
                vec![],
            ))
        }
        ("GET", None) => {
            let labels = LabelSelector::parse(q.get("labelSelector").unwrap_or(""))
                .map_err(ApiError::bad_request)?;
            let fields = FieldSelector::parse(q.get("fieldSelector").unwrap_or(""))
                .map_err(ApiError::bad_request)?;
            let s = inner.state.lock().expect("state lock");
            Ok(Answer::Json(
                StatusCode::OK,
                s.list(kind, &t.version, ns, &labels, &fields),
                vec![],
            ))
        }
        ("POST", None) => {
            let body = parse_body(bytes)?;
            let mut s = inner.state.lock().expect("state lock");
            let (v, w) = s.create(kind, &t.version, ns, body, ctx)?;
            Ok(Answer::Json(StatusCode::CREATED, v, w))
        }
        ("PUT", Some(name)) => {
            let body = parse_body(bytes)?;
            let mut s = inner.state.lock().expect("state lock");
            s.update(kind, &t.version, ns, name, t.sub.as_deref(), body, ctx)
                .map(ok)
        }
        ("PATCH", Some(name)) => {
            let patch_kind = match content_type.split(';').next().unwrap_or("").trim() {
                "application/merge-patch+json" => PatchKind::Merge,
                "application/strategic-merge-patch+json" => PatchKind::Strategic,
                "application/json-patch+json" => PatchKind::Json,
                "application/apply-patch+yaml" | "application/apply-patch+cbor" => PatchKind::Apply,
                other => return Err(ApiError::unsupported_media_type(other)),
            };
            let body = parse_body(bytes)?;
            let mut s = inner.state.lock().expect("state lock");
            s.patch(
                kind,
                &t.version,
                ns,
                name,
                t.sub.as_deref(),
                patch_kind,
                body,
                ctx,
            )
            .map(ok)
        }
        ("DELETE", Some(name)) => {
            let options = parse_body(bytes)?;
            let propagation = q
                .get("propagationPolicy")
                .or_else(|| options["propagationPolicy"].as_str())
                .map(str::to_owned);
            let mut s = inner.state.lock().expect("state lock");
            let v = s.delete(kind, ns, name, &options, propagation.as_deref(), ctx)?;
            Ok(Answer::Json(StatusCode::OK, v, vec![]))
        }
        _ => Err(ApiError::method_not_allowed(format!(
            "{method} is not supported on {}",
            kind.qualified()
        ))),
    }
}

fn discovery(inner: &Arc<Inner>, group_version: Option<(String, String)>) -> Value {
    let s = inner.state.lock().expect("state lock");
    match group_version {
        None => {
            let mut groups: Vec<(String, Vec<String>)> = Vec::new();
            for k in s.kinds().filter(|k| !k.group.is_empty()) {
                match groups.iter_mut().find(|(g, _)| *g == k.group) {
                    Some((_, vs)) => vs.extend(
                        k.versions
                            .iter()
                            .filter(|v| !vs.contains(v))
                            .cloned()
                            .collect::<Vec<_>>(),
                    ),
                    None => groups.push((k.group.clone(), k.versions.clone())),
                }
            }
            json!({
                "kind": "APIGroupList", "apiVersion": "v1",
                "groups": groups.iter().map(|(g, vs)| json!({
                    "name": g,
                    "versions": vs.iter().map(|v| json!({"groupVersion": format!("{g}/{v}"), "version": v})).collect::<Vec<_>>(),
                    "preferredVersion": {"groupVersion": format!("{g}/{}", vs[0]), "version": vs[0]},
                })).collect::<Vec<_>>(),
            })
        }
        Some((group, version)) => {
            let resources: Vec<Value> = s
                .kinds()
                .filter(|k| k.group == group && k.versions.contains(&version))
                .flat_map(|k| {
                    let mut v = vec![json!({
                        "name": k.plural, "singularName": k.kind.to_lowercase(), "namespaced": k.namespaced, "kind": k.kind,
                        "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
                    })];
                    if k.status {
                        v.push(json!({"name": format!("{}/status", k.plural), "singularName": "", "namespaced": k.namespaced, "kind": k.kind, "verbs": ["get", "patch", "update"]}));
                    }
                    v
                })
                .collect();
            let gv = if group.is_empty() {
                version
            } else {
                format!("{group}/{version}")
            };
            json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources})
        }
    }
}

fn respond(a: Answer) -> Response<Body> {
    match a {
        Answer::Json(code, v, warnings) => {
            let mut r = Response::builder()
                .status(code)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string()))
                .expect("a valid response");
            for w in warnings {
                if let Ok(h) = HeaderValue::from_str(&format!("299 - \"{}\"", w.replace('"', "'")))
                {
                    r.headers_mut().append(header::WARNING, h);
                }
            }
            r
        }
        Answer::Stream(chunks) => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from_stream(chunks))
            .expect("a valid response"),
    }
}
