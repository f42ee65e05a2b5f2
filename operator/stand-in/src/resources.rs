//! The kinds the stand-in serves: built-in ones, and CRDs registered at run
//! time by creating a `CustomResourceDefinition`.

use serde_json::Value;

/// One served resource (`group` + `plural`; objects are stored once, in the
/// version they were written, and served under any served version).
#[derive(Clone, Debug)]
pub struct Kind {
    /// API group, `""` for the core group.
    pub group: String,
    /// Served versions (the first is the storage version).
    pub versions: Vec<String>,
    /// Lowercase plural, e.g. `statefulsets`.
    pub plural: String,
    /// `Kind`, e.g. `StatefulSet`.
    pub kind: String,
    /// Namespaced or cluster-scoped.
    pub namespaced: bool,
    /// Whether `/status` is a subresource (status is then written only there).
    pub status: bool,
    /// `openAPIV3Schema` of a CRD (built-in kinds are not validated).
    pub schema: Option<Value>,
}

impl Kind {
    /// `apiVersion` for `version`.
    pub fn api_version(&self, version: &str) -> String {
        if self.group.is_empty() {
            version.to_owned()
        } else {
            format!("{}/{version}", self.group)
        }
    }

    /// `plural.group` (or `plural` for the core group), as errors name it.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

fn builtin(
    group: &str,
    version: &str,
    plural: &str,
    kind: &str,
    namespaced: bool,
    status: bool,
) -> Kind {
    Kind {
        group: group.into(),
        versions: vec![version.into()],
        plural: plural.into(),
        kind: kind.into(),
        namespaced,
        status,
        schema: None,
    }
}

/// The built-in kinds: what the operator, its chart and kube-runtime use.
pub fn builtins() -> Vec<Kind> {
    vec![
        builtin("", "v1", "namespaces", "Namespace", false, true),
        builtin("", "v1", "secrets", "Secret", true, false),
        builtin("", "v1", "configmaps", "ConfigMap", true, false),
        builtin("", "v1", "services", "Service", true, true),
        builtin("", "v1", "pods", "Pod", true, true),
        builtin(
            "",
            "v1",
            "persistentvolumeclaims",
            "PersistentVolumeClaim",
            true,
            true,
        ),
        builtin("", "v1", "serviceaccounts", "ServiceAccount", true, false),
        builtin("", "v1", "events", "Event", true, false),
        builtin("apps", "v1", "statefulsets", "StatefulSet", true, true),
        builtin("apps", "v1", "deployments", "Deployment", true, true),
        builtin(
            "networking.k8s.io",
            "v1",
            "networkpolicies",
            "NetworkPolicy",
            true,
            false,
        ),
        builtin(
            "networking.k8s.io",
            "v1",
            "ingresses",
            "Ingress",
            true,
            true,
        ),
        builtin("coordination.k8s.io", "v1", "leases", "Lease", true, false),
        builtin("events.k8s.io", "v1", "events", "Event", true, false),
        builtin(
            "apiextensions.k8s.io",
            "v1",
            "customresourcedefinitions",
            "CustomResourceDefinition",
            false,
            true,
        ),
        builtin(
            "rbac.authorization.k8s.io",
            "v1",
            "roles",
            "Role",
            true,
            false,
        ),
        builtin(
            "rbac.authorization.k8s.io",
            "v1",
            "rolebindings",
            "RoleBinding",
            true,
            false,
        ),
        builtin(
            "rbac.authorization.k8s.io",
            "v1",
            "clusterroles",
            "ClusterRole",
            false,
            false,
        ),
        builtin(
            "rbac.authorization.k8s.io",
            "v1",
            "clusterrolebindings",
            "ClusterRoleBinding",
            false,
            false,
        ),
    ]
}

/// The kind a `CustomResourceDefinition` serves, or why it cannot.
pub fn from_crd(crd: &Value) -> Result<Kind, String> {
    let spec = &crd["spec"];
    let text = |v: &Value, what: &str| {
        v.as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| format!("spec.{what}: Required value"))
    };
    let group = text(&spec["group"], "group")?;
    let plural = text(&spec["names"]["plural"], "names.plural")?;
    let kind = text(&spec["names"]["kind"], "names.kind")?;
    let namespaced = match spec["scope"].as_str() {
        Some("Namespaced") => true,
        Some("Cluster") => false,
        _ => {
            return Err(
                "spec.scope: Unsupported value: supported values: \"Cluster\", \"Namespaced\""
                    .into(),
            );
        }
    };
    let versions: Vec<&Value> = spec["versions"]
        .as_array()
        .map(|v| v.iter().filter(|v| v["served"] != false).collect())
        .unwrap_or_default();
    let storage = versions
        .iter()
        .find(|v| v["storage"] == true)
        .or(versions.first())
        .ok_or("spec.versions: Required value: must have exactly one version marked as storage version")?;
    let mut names: Vec<String> = vec![text(&storage["name"], "versions[].name")?];
    for v in &versions {
        if let Some(n) = v["name"].as_str()
            && !names.iter().any(|x| x == n)
        {
            names.push(n.to_owned());
        }
    }
    let expected = format!("{plural}.{group}");
    if crd["metadata"]["name"].as_str() != Some(expected.as_str()) {
        return Err(format!(
            "metadata.name: Invalid value: must be spec.names.plural+\".\"+spec.group ({expected})"
        ));
    }
    Ok(Kind {
        group,
        versions: names,
        plural,
        kind,
        namespaced,
        status: storage["subresources"]["status"].is_object(),
        schema: storage["schema"]["openAPIV3Schema"]
            .is_object()
            .then(|| storage["schema"]["openAPIV3Schema"].clone()),
    })
}
