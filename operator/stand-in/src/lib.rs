//! A stateful stand-in for the Kubernetes API server, for the operator's
//! tests and benchmarks (never shipped: `publish = false`).
//!
//! It is a [`tower::Service`] over `http::Request`, so kube's `Client` can use
//! it in-process ([`StandIn::client`]), and it is served over real HTTP
//! ([`StandIn::serve`]) so the operator *binary* reaches it through a
//! kubeconfig file ([`Served::write_kubeconfig`]), exactly as it reaches a
//! cluster.
//!
//! # Why our own
//! Two existing emulators were evaluated first:
//! - `kube-fake-client` 0.3 (crates.io): an in-memory backend for `kube::Api`
//!   modelled on controller-runtime's fake client. Faithful on what it covers
//!   (resourceVersion conflicts, status subresource, managed fields for
//!   server-side apply, label/field selectors), but it is built on kube 4.2 /
//!   k8s-openapi 0.28 — its `build()` returns a kube 4 `Client`, which our
//!   kube 5 controller cannot take without a second kube in the tree — it has
//!   no watch at all (so no kube-runtime `Controller` can run on it), no
//!   owner-reference garbage collection, and it is in-process only: the
//!   operator binary cannot reach it through a kubeconfig.
//! - `kmock` 0.8 (PyPI): an aiohttp server with a Kubernetes emulator mode.
//!   It speaks HTTP and streams watches, but stores objects as plain dicts:
//!   every list carries `resourceVersion: "..."` (no real versions, so a
//!   watch cannot resume), patches of every kind are a naive dict merge (no
//!   server-side apply, no managed fields, no conflicts, no JSON patch `test`
//!   op the finalizer helper relies on), no status subresource, no label
//!   selectors, no garbage collection, and it needs a Python process per test.
//!
//! Neither runs a kube-runtime controller faithfully, so this crate emulates,
//! for the kinds the operator uses plus any CRD registered at run time:
//! - get, list (label and field selectors `metadata.name`/`metadata.namespace`),
//!   watch from a resourceVersion (replaying a bounded history; `410 Gone`
//!   when it has been compacted), bookmarks, `sendInitialEvents`, server-side
//!   watch timeouts;
//! - create (`generateName`, namespaces must exist, `409 AlreadyExists`),
//!   update with resourceVersion preconditions (`409 Conflict`), merge patch,
//!   JSON patch (RFC 6902, with `test`), strategic merge patch (as a merge
//!   patch that merges the list-map fields below by key), server-side apply;
//! - server-side apply with managed fields (`fieldsV1`) per manager, operation
//!   and subresource: conflicts between managers (`409` with the real
//!   `FieldManagerConflict` causes), `force`, ownership moving to whoever
//!   updates a field, fields dropped from an applied config removed when no
//!   one else owns them; list-maps merged by key (containers, env, ports,
//!   volumes, volumeMounts, conditions, ownerReferences; finalizers as a set);
//! - the status subresource (writes to it touch only `.status`; writes to the
//!   main resource ignore `.status`), `metadata.generation` bumped on spec
//!   changes only, no-op writes that change nothing (no new resourceVersion,
//!   no watch event — what keeps controllers from looping on their own writes);
//! - delete with finalizers (`deletionTimestamp`, removal when the last
//!   finalizer goes), preconditions, and owner-reference garbage collection
//!   (background and orphan propagation);
//! - CRD registration: creating or applying a `CustomResourceDefinition`
//!   serves its resource, with the status subresource and structural-schema
//!   validation (types, enums, required, ranges, one-of-required) and pruning
//!   of unknown fields (`fieldValidation=Strict` rejects them instead);
//! - a ClusterIP allocated for Services, namespaces `default`/`kube-system`;
//! - a request log (verb, resource, subresource, namespace, user) so tests can
//!   check RBAC rules against what a client really called.
//!
//! Not emulated: authentication and authorization (bearer tokens only name
//! the user in the request log), admission webhooks, defaulting of built-in
//! fields (a live object holds exactly what clients wrote), quantity
//! canonicalisation, pagination (`limit` is ignored, lists are complete),
//! conversion between CRD versions, foreground deletion (treated as
//! background), the `scale` subresource, namespace deletion cascading, and
//! every controller (no StatefulSet makes pods or claims, no kubelet makes
//! pods ready: tests write those statuses themselves).

mod fields;
mod handler;
mod merge;
mod path;
mod resources;
mod schema;
mod selector;
mod server;
mod ssa;
mod state;
mod status;
mod watch;

pub use server::{RequestRecord, Served, StandIn};
