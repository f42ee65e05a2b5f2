//! The store: objects, the resourceVersion counter, the change history that
//! watches replay, and every write operation with the API server's rules.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::merge::{keyed_merge, merge_patch};
use crate::resources::{self, Kind};
use crate::schema;
use crate::selector::{FieldSelector, LabelSelector};
use crate::ssa::{self, Writer};
use crate::status::ApiError;

/// Where an object lives.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjKey {
    /// API group.
    pub group: String,
    /// Resource plural.
    pub plural: String,
    /// Namespace (`""` for cluster-scoped objects).
    pub namespace: String,
    /// Name.
    pub name: String,
}

/// One change, as watches report it.
#[derive(Clone, Debug)]
pub struct Change {
    /// resourceVersion of the change.
    pub rv: u64,
    /// Which object.
    pub key: ObjKey,
    /// `ADDED`, `MODIFIED` or `DELETED`.
    pub event: &'static str,
    /// The object after the change (before it, for `DELETED`).
    pub object: Value,
}

/// Who makes a write, and how.
#[derive(Clone, Debug, Default)]
pub struct WriteCtx {
    /// Field manager (`fieldManager`, or derived from the user agent).
    pub manager: String,
    /// `force=true` (server-side apply).
    pub force: bool,
    /// `fieldValidation=Strict`: unknown fields are errors, not pruned.
    pub strict: bool,
    /// `dryRun=All`: validate and answer, store nothing.
    pub dry_run: bool,
}

/// The result of a write: the object, and warnings for the response headers.
pub type Written = (Value, Vec<String>);

/// The patch formats the API server accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchKind {
    /// `application/merge-patch+json`.
    Merge,
    /// `application/strategic-merge-patch+json`.
    Strategic,
    /// `application/json-patch+json`.
    Json,
    /// `application/apply-patch+yaml`.
    Apply,
}

/// Everything the stand-in stores.
pub struct State {
    rv: u64,
    kinds: BTreeMap<(String, String), Kind>,
    objects: BTreeMap<ObjKey, Value>,
    history: VecDeque<Arc<Change>>,
    history_limit: usize,
    /// Fan-out of changes to watches (sent while the state is locked, so a
    /// watch that subscribes under the lock misses nothing).
    pub changes: broadcast::Sender<Arc<Change>>,
    next_ip: u32,
}

fn now() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .unwrap_or_else(|_| jiff::Timestamp::now())
        .to_string()
}

impl State {
    /// A store with the built-in kinds and the `default` and `kube-system` namespaces.
    pub fn new(history_limit: usize) -> Self {
        let (changes, _) = broadcast::channel(4096);
        let mut s = Self {
            rv: 1,
            kinds: resources::builtins()
                .into_iter()
                .map(|k| ((k.group.clone(), k.plural.clone()), k))
                .collect(),
            objects: BTreeMap::new(),
            history: VecDeque::new(),
            history_limit: history_limit.max(16),
            changes,
            next_ip: 10,
        };
        for ns in ["default", "kube-system"] {
            let kind = s.kind("", "namespaces").expect("builtin").clone();
            let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
            let ctx = WriteCtx {
                manager: "kube-apiserver".into(),
                ..Default::default()
            };
            s.create(&kind, "v1", None, body, &ctx)
                .expect("seed namespace");
        }
        s
    }

    /// Current resourceVersion.
    pub fn rv(&self) -> u64 {
        self.rv
    }

    /// A served kind.
    pub fn kind(&self, group: &str, plural: &str) -> Option<&Kind> {
        self.kinds.get(&(group.to_owned(), plural.to_owned()))
    }

    /// Every served kind.
    pub fn kinds(&self) -> impl Iterator<Item = &Kind> {
        self.kinds.values()
    }

    /// Oldest resourceVersion a watch can resume from.
    pub fn oldest_resumable(&self) -> u64 {
        self.history.front().map_or(self.rv, |c| c.rv - 1)
    }

    /// Changes after `rv`, oldest first.
    pub fn history_after(&self, rv: u64) -> impl Iterator<Item = &Arc<Change>> {
        self.history.iter().filter(move |c| c.rv > rv)
    }

    fn key(kind: &Kind, ns: Option<&str>, name: &str) -> ObjKey {
        ObjKey {
            group: kind.group.clone(),
            plural: kind.plural.clone(),
            namespace: if kind.namespaced {
                ns.unwrap_or("").to_owned()
            } else {
                String::new()
            },
            name: name.to_owned(),
        }
    }

    /// The object, served as `version`.
    pub fn get(
        &self,
        kind: &Kind,
        version: &str,
        ns: Option<&str>,
        name: &str,
    ) -> Result<Value, ApiError> {
        self.objects
            .get(&Self::key(kind, ns, name))
            .map(|o| served(o, kind, version))
            .ok_or_else(|| ApiError::not_found(kind, name))
    }

    /// Objects of a kind matching the namespace (if any) and selectors.
    pub fn list(
        &self,
        kind: &Kind,
        version: &str,
        ns: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
    ) -> Value {
        let items: Vec<Value> = self
            .objects
            .iter()
            .filter(|(k, o)| {
                k.group == kind.group
                    && k.plural == kind.plural
                    && ns.is_none_or(|n| k.namespace == n)
                    && labels.matches(o)
                    && fields.matches(o)
            })
            .map(|(_, o)| served(o, kind, version))
            .collect();
        json!({
            "apiVersion": kind.api_version(version),
            "kind": format!("{}List", kind.kind),
            "metadata": {"resourceVersion": self.rv.to_string()},
            "items": items,
        })
    }

    fn namespace_exists(&self, ns: &str) -> bool {
        self.objects.contains_key(&ObjKey {
            group: String::new(),
            plural: "namespaces".into(),
            namespace: String::new(),
            name: ns.into(),
        })
    }

    /// `POST` to a collection.
    pub fn create(
        &mut self,
        kind: &Kind,
        version: &str,
        ns: Option<&str>,
        body: Value,
        ctx: &WriteCtx,
    ) -> Result<Written, ApiError> {
        self.create_inner(kind, version, ns, body, ctx, None)
    }

    /// A create; `applied_fields` is the managedFields of a creating apply
    /// (an ordinary create records an `Update` instead).
    fn create_inner(
        &mut self,
        kind: &Kind,
        version: &str,
        ns: Option<&str>,
        mut body: Value,
        ctx: &WriteCtx,
        applied_fields: Option<Value>,
    ) -> Result<Written, ApiError> {
        if !body.is_object() {
            return Err(ApiError::bad_request(
                "the body of a create must be an object",
            ));
        }
        let meta = body["metadata"].take();
        let mut meta = if meta.is_object() { meta } else { json!({}) };
        if let (Some(url_ns), Some(body_ns)) = (ns, meta["namespace"].as_str())
            && url_ns != body_ns
        {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        let name = match (meta["name"].as_str(), meta["generateName"].as_str()) {
            (Some(n), _) if !n.is_empty() => n.to_owned(),
            (_, Some(prefix)) => format!(
                "{prefix}{}",
                &uuid::Uuid::new_v4().simple().to_string()[..5]
            ),
            _ => {
                return Err(ApiError::invalid(
                    kind,
                    "",
                    vec![(
                        "metadata.name".into(),
                        "Required value: name or generateName is required".into(),
                        "FieldValueRequired",
                    )],
                ));
            }
        };
        check_name(kind, &name)?;
        if kind.namespaced {
            let Some(ns) = ns else {
                return Err(ApiError::bad_request(
                    "a namespaced object is created in a namespace",
                ));
            };
            if !self.namespace_exists(ns) {
                return Err(ApiError {
                    code: http::StatusCode::NOT_FOUND,
                    reason: "NotFound",
                    message: format!("namespaces \"{ns}\" not found"),
                    details: Some(json!({"name": ns, "kind": "namespaces"})),
                });
            }
            meta["namespace"] = json!(ns);
        }
        let key = Self::key(kind, ns, &name);
        if self.objects.contains_key(&key) {
            return Err(ApiError::already_exists(kind, &name));
        }
        meta["name"] = json!(name);
        if let Some(m) = meta.as_object_mut() {
            m.retain(|k, _| {
                !matches!(
                    k.as_str(),
                    "resourceVersion" | "managedFields" | "deletionTimestamp"
                )
            });
        }
        body["metadata"] = meta;
        body["apiVersion"] = json!(kind.api_version(version));
        body["kind"] = json!(kind.kind);
        if kind.status && kind.plural != "customresourcedefinitions" {
            body.as_object_mut().expect("object").remove("status");
        }
        let warnings = self.admit(kind, &name, &mut body, ctx)?;
        body["metadata"]["uid"] = json!(uuid::Uuid::new_v4().to_string());
        body["metadata"]["creationTimestamp"] = json!(now());
        body["metadata"]["generation"] = json!(1);
        match applied_fields {
            Some(managed) => body["metadata"]["managedFields"] = managed,
            None => {
                let empty = json!({"metadata": {}});
                let writer = Writer {
                    manager: &ctx.manager,
                    api_version: &kind.api_version(version),
                    sub: None,
                    has_status: kind.status,
                };
                ssa::record_update(&empty, &mut body, &writer);
            }
        }
        self.server_fields(kind, &mut body);
        Ok((self.commit(key, None, body, ctx)?, warnings))
    }

    /// Fields the server sets itself: a Service's ClusterIP, a Namespace's
    /// phase, a CRD's conditions.
    fn server_fields(&mut self, kind: &Kind, body: &mut Value) {
        match (kind.group.as_str(), kind.plural.as_str()) {
            ("", "services") => {
                let spec = &mut body["spec"];
                let wants_ip = spec["type"].as_str() != Some("ExternalName");
                if wants_ip && spec["clusterIP"].as_str().is_none_or(str::is_empty) {
                    self.next_ip += 1;
                    let ip = format!("10.96.{}.{}", self.next_ip / 250, self.next_ip % 250 + 1);
                    spec["clusterIP"] = json!(ip);
                    spec["clusterIPs"] = json!([ip]);
                }
            }
            ("", "namespaces") => body["status"] = json!({"phase": "Active"}),
            ("apiextensions.k8s.io", "customresourcedefinitions") => {
                let t = now();
                body["status"] = json!({
                    "acceptedNames": {"kind": body["spec"]["names"]["kind"], "plural": body["spec"]["names"]["plural"]},
                    "conditions": [
                        {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found", "lastTransitionTime": t},
                        {"type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted", "lastTransitionTime": t},
                    ],
                    "storedVersions": [body["spec"]["versions"][0]["name"]],
                });
            }
            _ => {}
        }
    }

    /// Validation before a write: schemas of custom resources, CRDs themselves.
    fn admit(
        &mut self,
        kind: &Kind,
        name: &str,
        body: &mut Value,
        ctx: &WriteCtx,
    ) -> Result<Vec<String>, ApiError> {
        let mut warnings = Vec::new();
        if let Some(schema) = &kind.schema {
            let out = schema::validate(body, schema);
            if ctx.strict && !out.unknown.is_empty() {
                return Err(ApiError::bad_request(format!(
                    "{}.{} \"{name}\" is invalid: strict decoding error: {}",
                    kind.kind,
                    kind.group,
                    out.unknown
                        .iter()
                        .map(|f| format!("unknown field \"{f}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            warnings.extend(out.unknown.iter().map(|f| format!("unknown field \"{f}\"")));
            if !out.causes.is_empty() {
                return Err(ApiError::invalid(kind, name, out.causes));
            }
        }
        if kind.plural == "customresourcedefinitions" {
            let served = resources::from_crd(body).map_err(|e| {
                ApiError::invalid(kind, name, vec![(String::new(), e, "FieldValueInvalid")])
            })?;
            if !ctx.dry_run {
                self.kinds
                    .insert((served.group.clone(), served.plural.clone()), served);
            }
        }
        Ok(warnings)
    }

    /// The stored object at `name`, or 404.
    fn existing(
        &self,
        kind: &Kind,
        ns: Option<&str>,
        name: &str,
    ) -> Result<(ObjKey, Value), ApiError> {
        let key = Self::key(kind, ns, name);
        let obj = self
            .objects
            .get(&key)
            .cloned()
            .ok_or_else(|| ApiError::not_found(kind, name))?;
        Ok((key, obj))
    }

    /// `PUT` of an object (or its status).
    #[allow(clippy::too_many_arguments)]
    pub fn update(
        &mut self,
        kind: &Kind,
        version: &str,
        ns: Option<&str>,
        name: &str,
        sub: Option<&str>,
        mut body: Value,
        ctx: &WriteCtx,
    ) -> Result<Written, ApiError> {
        let (key, old) = self.existing(kind, ns, name)?;
        check_version(kind, name, &body, &old)?;
        if body["metadata"]["name"].as_str().is_some_and(|n| n != name) {
            return Err(ApiError::bad_request(
                "the name of the object does not match the name on the URL",
            ));
        }
        if !body["metadata"].is_object() {
            body["metadata"] = json!({});
        }
        self.finish_update(kind, version, key, &old, body, sub, ctx)
    }

    /// `PATCH` of an object (or its status); an apply creates a missing object.
    #[allow(clippy::too_many_arguments)]
    pub fn patch(
        &mut self,
        kind: &Kind,
        version: &str,
        ns: Option<&str>,
        name: &str,
        sub: Option<&str>,
        patch_kind: PatchKind,
        body: Value,
        ctx: &WriteCtx,
    ) -> Result<Written, ApiError> {
        let key = Self::key(kind, ns, name);
        let api_version = kind.api_version(version);
        let Some(old) = self.objects.get(&key).cloned() else {
            if patch_kind == PatchKind::Apply && sub.is_none() {
                return self.apply_create(kind, version, ns, name, body, ctx);
            }
            return Err(ApiError::not_found(kind, name));
        };
        check_version(kind, name, &body, &old)?;
        let mut new = old.clone();
        match patch_kind {
            PatchKind::Merge => merge_patch(&mut new, &body),
            PatchKind::Strategic => keyed_merge(&mut new, &body, "", true),
            PatchKind::Json => {
                let mut ops: json_patch::Patch = serde_json::from_value(body)
                    .map_err(|e| ApiError::bad_request(format!("invalid JSON patch: {e}")))?;
                // As the API server's JSON patch library does: testing a
                // missing path for `null` succeeds (kube-runtime's finalizer
                // helper relies on it).
                ops.0.retain(|op| match op {
                    json_patch::PatchOperation::Test(t) => {
                        !(t.value.is_null() && new.pointer(t.path.as_str()).is_none())
                    }
                    _ => true,
                });
                json_patch::patch(&mut new, &ops).map_err(|e| {
                    ApiError::invalid(
                        kind,
                        name,
                        vec![(
                            String::new(),
                            format!("the JSON patch does not apply: {e}"),
                            "FieldValueInvalid",
                        )],
                    )
                })?;
            }
            PatchKind::Apply => {
                if ctx.manager.is_empty() {
                    return Err(ApiError::bad_request(
                        "PATCH with apply requires a fieldManager",
                    ));
                }
                let writer = Writer {
                    manager: &ctx.manager,
                    api_version: &api_version,
                    sub,
                    has_status: kind.status || sub.is_some(),
                };
                let applied = ssa::apply(&old, &body, &writer, ctx.force)
                    .map_err(|c| ApiError::apply_conflicts(kind, name, &c))?;
                return self.finish_write(kind, key, &old, applied, sub, ctx, false);
            }
        }
        self.finish_update(kind, version, key, &old, new, sub, ctx)
    }

    fn apply_create(
        &mut self,
        kind: &Kind,
        version: &str,
        ns: Option<&str>,
        name: &str,
        body: Value,
        ctx: &WriteCtx,
    ) -> Result<Written, ApiError> {
        if ctx.manager.is_empty() {
            return Err(ApiError::bad_request(
                "PATCH with apply requires a fieldManager",
            ));
        }
        let api_version = kind.api_version(version);
        let writer = Writer {
            manager: &ctx.manager,
            api_version: &api_version,
            sub: None,
            has_status: kind.status,
        };
        let mut base =
            json!({"apiVersion": api_version, "kind": kind.kind, "metadata": {"name": name}});
        if let Some(ns) = ns.filter(|_| kind.namespaced) {
            base["metadata"]["namespace"] = json!(ns);
        }
        let applied = ssa::apply(&base, &body, &writer, ctx.force)
            .map_err(|c| ApiError::apply_conflicts(kind, name, &c))?;
        let managed = applied["metadata"]["managedFields"].clone();
        self.create_inner(kind, version, ns, applied, ctx, Some(managed))
    }

    #[allow(clippy::too_many_arguments)]
    fn finish_update(
        &mut self,
        kind: &Kind,
        version: &str,
        key: ObjKey,
        old: &Value,
        mut new: Value,
        sub: Option<&str>,
        ctx: &WriteCtx,
    ) -> Result<Written, ApiError> {
        let api_version = kind.api_version(version);
        let writer = Writer {
            manager: &ctx.manager,
            api_version: &api_version,
            sub,
            has_status: kind.status || sub.is_some(),
        };
        new["metadata"]["managedFields"] = old["metadata"]["managedFields"].clone();
        let isolated = isolate(kind, old, &new, sub);
        let mut new = isolated;
        ssa::record_update(old, &mut new, &writer);
        self.finish_write(kind, key, old, new, sub, ctx, true)
    }

    /// Keeps what the server owns, validates, bumps generation, commits.
    #[allow(clippy::too_many_arguments)]
    fn finish_write(
        &mut self,
        kind: &Kind,
        key: ObjKey,
        old: &Value,
        new: Value,
        sub: Option<&str>,
        ctx: &WriteCtx,
        isolated: bool,
    ) -> Result<Written, ApiError> {
        let mut new = if isolated {
            new
        } else {
            isolate(kind, old, &new, sub)
        };
        for k in [
            "name",
            "namespace",
            "uid",
            "creationTimestamp",
            "generation",
            "resourceVersion",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
        ] {
            match old["metadata"].get(k) {
                Some(v) => new["metadata"][k] = v.clone(),
                None => {
                    if let Some(m) = new["metadata"].as_object_mut() {
                        m.remove(k);
                    }
                }
            }
        }
        new["apiVersion"] = old["apiVersion"].clone();
        new["kind"] = old["kind"].clone();
        if old["metadata"]["deletionTimestamp"].is_string() {
            let before: Vec<&Value> = old["metadata"]["finalizers"]
                .as_array()
                .into_iter()
                .flatten()
                .collect();
            let added = new["metadata"]["finalizers"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|f| !before.contains(&f));
            if added {
                return Err(ApiError::invalid(
                    kind,
                    &key.name,
                    vec![(
                        "metadata.finalizers".into(),
                        "Forbidden: no new finalizers can be added if the object is being deleted"
                            .into(),
                        "FieldValueForbidden",
                    )],
                ));
            }
        }
        let warnings = if sub.is_none() {
            self.admit(kind, &key.name, &mut new, ctx)?
        } else {
            Vec::new()
        };
        if spec_of(&new) != spec_of(old) {
            let g = old["metadata"]["generation"].as_i64().unwrap_or(1);
            new["metadata"]["generation"] = json!(g + 1);
        }
        Ok((self.commit(key, Some(old), new, ctx)?, warnings))
    }

    /// Stores a write: a no-op changes nothing; otherwise a new
    /// resourceVersion and a watch event. An object being deleted whose
    /// last finalizer is gone is removed.
    fn commit(
        &mut self,
        key: ObjKey,
        old: Option<&Value>,
        mut new: Value,
        ctx: &WriteCtx,
    ) -> Result<Value, ApiError> {
        if old == Some(&new) {
            return Ok(new);
        }
        if ctx.dry_run {
            return Ok(new);
        }
        self.rv += 1;
        new["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        let releasing = new["metadata"]["deletionTimestamp"].is_string()
            && new["metadata"]["finalizers"]
                .as_array()
                .is_none_or(Vec::is_empty);
        if releasing {
            self.remove_object(key, new.clone(), None);
            return Ok(new);
        }
        self.objects.insert(key.clone(), new.clone());
        self.record(
            key,
            if old.is_some() { "MODIFIED" } else { "ADDED" },
            new.clone(),
        );
        Ok(new)
    }

    fn record(&mut self, key: ObjKey, event: &'static str, object: Value) {
        let change = Arc::new(Change {
            rv: self.rv,
            key,
            event,
            object,
        });
        self.history.push_back(change.clone());
        while self.history.len() > self.history_limit {
            self.history.pop_front();
        }
        let _ = self.changes.send(change);
    }

    /// `DELETE` of an object: marked for deletion while it has finalizers,
    /// removed otherwise; then dependents are collected (or orphaned).
    pub fn delete(
        &mut self,
        kind: &Kind,
        ns: Option<&str>,
        name: &str,
        options: &Value,
        propagation: Option<&str>,
        ctx: &WriteCtx,
    ) -> Result<Value, ApiError> {
        let (key, obj) = self.existing(kind, ns, name)?;
        let pre = &options["preconditions"];
        for (field, label) in [("uid", "UID"), ("resourceVersion", "ResourceVersion")] {
            if let Some(want) = pre[field].as_str()
                && obj["metadata"][field].as_str() != Some(want)
            {
                return Err(ApiError::conflict(
                    kind,
                    name,
                    &format!(
                        "Precondition failed: {label} in precondition: {want}, {label} in object meta: {}",
                        obj["metadata"][field].as_str().unwrap_or("")
                    ),
                ));
            }
        }
        if ctx.dry_run {
            return Ok(obj);
        }
        let has_finalizers = obj["metadata"]["finalizers"]
            .as_array()
            .is_some_and(|f| !f.is_empty());
        if has_finalizers {
            if obj["metadata"]["deletionTimestamp"].is_string() {
                return Ok(obj);
            }
            let mut marked = obj.clone();
            marked["metadata"]["deletionTimestamp"] = json!(now());
            marked["metadata"]["deletionGracePeriodSeconds"] = json!(0);
            let g = obj["metadata"]["generation"].as_i64().unwrap_or(1);
            marked["metadata"]["generation"] = json!(g + 1);
            return self.commit(key, Some(&obj), marked, ctx);
        }
        self.rv += 1;
        let mut gone = obj;
        gone["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        self.remove_object(key, gone.clone(), propagation);
        Ok(gone)
    }

    /// Removes a stored object (its new resourceVersion already set), then
    /// what depended on it: a CRD's objects, owned objects (collected, or
    /// orphaned with `propagation: Orphan`).
    fn remove_object(&mut self, key: ObjKey, gone: Value, propagation: Option<&str>) {
        self.objects.remove(&key);
        self.record(key.clone(), "DELETED", gone.clone());
        if key.plural == "customresourcedefinitions" {
            self.unregister(&gone);
        }
        if propagation == Some("Orphan") {
            self.orphan_dependents(gone["metadata"]["uid"].as_str().unwrap_or(""));
        } else {
            self.collect_garbage();
        }
    }

    fn unregister(&mut self, crd: &Value) {
        let (Some(group), Some(plural)) = (
            crd["spec"]["group"].as_str(),
            crd["spec"]["names"]["plural"].as_str(),
        ) else {
            return;
        };
        self.kinds.remove(&(group.to_owned(), plural.to_owned()));
        let doomed: Vec<ObjKey> = self
            .objects
            .keys()
            .filter(|k| k.group == group && k.plural == plural)
            .cloned()
            .collect();
        for key in doomed {
            if let Some(o) = self.objects.remove(&key) {
                self.rv += 1;
                self.record(key, "DELETED", o);
            }
        }
    }

    fn orphan_dependents(&mut self, uid: &str) {
        let keys: Vec<ObjKey> = self
            .objects
            .iter()
            .filter(|(_, o)| owner_uids(o).contains(uid))
            .map(|(k, _)| k.clone())
            .collect();
        for key in keys {
            let Some(old) = self.objects.get(&key).cloned() else {
                continue;
            };
            let mut new = old.clone();
            if let Some(refs) = new["metadata"]["ownerReferences"].as_array_mut() {
                refs.retain(|r| r["uid"].as_str() != Some(uid));
            }
            let kind = self.kind(&key.group, &key.plural).cloned();
            if let Some(kind) = kind {
                let ctx = WriteCtx {
                    manager: "generic-garbage-collector".into(),
                    ..Default::default()
                };
                let version = kind.versions[0].clone();
                let _ = self.finish_update(&kind, &version, key, &old, new, None, &ctx);
            }
        }
    }

    /// Owner-reference garbage collection (background propagation): an
    /// object whose owners are all gone is deleted, until nothing changes.
    fn collect_garbage(&mut self) {
        loop {
            let uids: BTreeSet<String> = self
                .objects
                .values()
                .filter_map(|o| o["metadata"]["uid"].as_str().map(str::to_owned))
                .collect();
            let orphans: Vec<ObjKey> = self
                .objects
                .iter()
                .filter(|(_, o)| {
                    let owners = owner_uids(o);
                    !owners.is_empty()
                        && owners.iter().all(|u| !uids.contains(*u))
                        && !o["metadata"]["deletionTimestamp"].is_string()
                })
                .map(|(k, _)| k.clone())
                .collect();
            if orphans.is_empty() {
                return;
            }
            for key in orphans {
                let Some(kind) = self.kind(&key.group, &key.plural).cloned() else {
                    continue;
                };
                let ns = (!key.namespace.is_empty()).then(|| key.namespace.clone());
                let ctx = WriteCtx {
                    manager: "generic-garbage-collector".into(),
                    ..Default::default()
                };
                let _ = self.delete(&kind, ns.as_deref(), &key.name, &Value::Null, None, &ctx);
            }
        }
    }
}

/// A write carrying `metadata.resourceVersion` is a precondition: it must
/// be the stored one.
fn check_version(kind: &Kind, name: &str, body: &Value, old: &Value) -> Result<(), ApiError> {
    match body["metadata"]["resourceVersion"].as_str() {
        Some(rv) if rv != old["metadata"]["resourceVersion"].as_str().unwrap_or("") => {
            Err(ApiError::conflict(
                kind,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            ))
        }
        _ => Ok(()),
    }
}

fn owner_uids(o: &Value) -> BTreeSet<&str> {
    o["metadata"]["ownerReferences"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["uid"].as_str())
        .collect()
}

/// Everything but metadata and status: what `metadata.generation` tracks.
fn spec_of(o: &Value) -> Value {
    let mut v = o.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
    }
    v
}

/// A write through the status subresource changes only `.status`; a write
/// to the main resource of a kind with a status subresource keeps `.status`.
fn isolate(kind: &Kind, old: &Value, new: &Value, sub: Option<&str>) -> Value {
    if sub == Some("status") {
        let mut out = old.clone();
        match new.get("status") {
            Some(s) => out["status"] = s.clone(),
            None => {
                out.as_object_mut().expect("object").remove("status");
            }
        }
        out["metadata"]["managedFields"] = new["metadata"]["managedFields"].clone();
        out
    } else if kind.status {
        let mut out = new.clone();
        match old.get("status") {
            Some(s) => out["status"] = s.clone(),
            None => {
                out.as_object_mut().expect("object").remove("status");
            }
        }
        out
    } else {
        new.clone()
    }
}

/// The object with `apiVersion` of the version it is read as.
fn served(o: &Value, kind: &Kind, version: &str) -> Value {
    let mut v = o.clone();
    v["apiVersion"] = json!(kind.api_version(version));
    v
}

/// Names must be DNS subdomains (lowercase alphanumerics, `-` and `.`).
fn check_name(kind: &Kind, name: &str) -> Result<(), ApiError> {
    let ok = name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            kind,
            name,
            vec![(
                "metadata.name".into(),
                format!(
                    "Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
                ),
                "FieldValueInvalid",
            )],
        ))
    }
}
