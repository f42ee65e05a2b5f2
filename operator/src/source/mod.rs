//! Front ends that feed resources in. The directory source (GitOps without a
//! cluster) lives here; the cluster source (kube-runtime watch) plugs in
//! beside it with the same output: a snapshot of declared resources.

mod directory;
mod parse;
mod unknown_fields;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

pub use directory::{DirectorySource, STDIN_ARG, STDIN_ORIGIN, scan};
pub use parse::{Parsed, parse_file};

use crate::crd::OpenClaw;
use crate::resource::ResourceKey;
use crate::validate::SpecErrors;

/// One resource as declared by a source.
#[derive(Clone, Debug)]
pub struct Declared {
    /// `namespace/name`.
    pub key: ResourceKey,
    /// The resource, or why its document could not be read as one (bad
    /// types, unknown fields): reported as `InvalidSpec`, nothing applied.
    pub object: Result<OpenClaw, SpecErrors>,
    /// The file that declares it (relative `file:` secrets resolve from its directory).
    pub origin: PathBuf,
}

impl Declared {
    /// Digest of what was declared: a changed digest means "reconcile now".
    pub fn digest(&self) -> String {
        let text = match &self.object {
            Ok(o) => serde_json::to_string(&o.spec).unwrap_or_default(),
            Err(e) => e.to_string(),
        };
        crate::secrets::digest_hex(text.as_bytes())
    }
}

/// Everything a source declares at one moment.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Declared resources by key.
    pub resources: BTreeMap<ResourceKey, Arc<Declared>>,
    /// Files that could not be read or parsed, with the reason. What such a
    /// file declared before it broke stays in `resources`.
    pub file_errors: BTreeMap<PathBuf, String>,
    /// Documents that are not `OpenClaw` resources, per file: which and why.
    pub skipped: BTreeMap<PathBuf, Vec<String>>,
}
