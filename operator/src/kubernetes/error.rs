//! Errors of the Kubernetes backend, as data: which step failed, and how it
//! maps to a status reason.

/// A field another manager holds with a different value than ours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldConflict {
    /// `Kind/name` of the object.
    pub object: String,
    /// The field, as the API server names it (`.spec.replicas`).
    pub field: String,
    /// The other field manager.
    pub manager: String,
}

impl std::fmt::Display for FieldConflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} (held by {:?})",
            self.object, self.field, self.manager
        )
    }
}

/// A step of the Kubernetes reconcile failed.
#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    /// An API call failed.
    #[error("{step}: {source}")]
    Api {
        /// What the operator was doing, e.g. `apply StatefulSet/claw`.
        step: String,
        /// The client's error (boxed: it is large and errors are rare).
        #[source]
        source: Box<kube::Error>,
    },
    /// Another field manager owns fields the operator sets, and the operator
    /// will not take them by force: it is another declarative owner
    /// (server-side apply), or a controller that keeps taking them back.
    #[error(
        "{} field(s) are held by another field manager: {}; {}",
        conflicts.len(),
        conflicts.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        if *fighting {
            "it changed them back after each correction, so the operator stopped correcting them (stop that manager, or change spec to agree)"
        } else {
            "another tool applies them too (let one tool own them, or change spec to agree)"
        }
    )]
    Conflict {
        /// The fields in conflict.
        conflicts: Vec<FieldConflict>,
        /// Whether it is a tug of war (the operator forced them before).
        fighting: bool,
    },
}

impl KubeError {
    /// Wraps a client error with the step it happened in.
    pub fn api(step: impl Into<String>) -> impl FnOnce(kube::Error) -> Self {
        let step = step.into();
        move |source| KubeError::Api {
            step,
            source: Box::new(source),
        }
    }

    /// Status reason for this error.
    pub fn reason(&self) -> &'static str {
        match self {
            KubeError::Api { source, .. } => match source.as_ref() {
                kube::Error::Api(s) if s.code == 403 => "KubernetesAccessDenied",
                kube::Error::Api(s) if s.code == 422 => "KubernetesRejected",
                _ => "KubernetesApiError",
            },
            KubeError::Conflict { .. } => "FieldManagerConflict",
        }
    }
}
