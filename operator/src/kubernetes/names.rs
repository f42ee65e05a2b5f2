//! Names, labels and annotations the Kubernetes backend writes. One place,
//! so the build stage, the apply stage, the cluster front end's watches and
//! the Helm chart's RBAC all agree.

use std::collections::BTreeMap;

/// Field manager of every server-side apply.
pub const FIELD_MANAGER: &str = "openclaw-operator";
/// Finalizer the cluster front end puts on `OpenClaw` resources.
pub const FINALIZER: &str = "openclaw.ai/cleanup";
/// `app.kubernetes.io/managed-by` value on everything the operator creates
/// (the owned-object watches select on it).
pub const MANAGED_BY: &str = "openclaw-operator";
/// Label selecting everything the operator manages.
pub const MANAGED_SELECTOR: &str = "app.kubernetes.io/managed-by=openclaw-operator";
/// Pod template annotation: digest of the rendered `openclaw.json`.
pub const CONFIG_HASH: &str = "openclaw.ai/config-hash";
/// Pod template annotation: digest of the gateway's secret values.
pub const SECRETS_HASH: &str = "openclaw.ai/secrets-hash";
/// The gateway container's name (and its port's name).
pub const CONTAINER: &str = "gateway";
/// The `/data` volume claim template.
pub const DATA_VOLUME: &str = "data";

/// Object names of one resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Names {
    /// The resource's name: StatefulSet, in-cluster Service, Ingress, NetworkPolicy.
    pub base: String,
}

impl Names {
    /// Names for resource `base`.
    pub fn new(base: &str) -> Self {
        Self { base: base.into() }
    }

    /// The Secret with the gateway's environment (token, provider keys).
    pub fn secret(&self) -> String {
        format!("{}-gateway", self.base)
    }

    /// The ConfigMap with `openclaw.json`.
    pub fn config_map(&self) -> String {
        format!("{}-config", self.base)
    }

    /// The LoadBalancer Service.
    pub fn public_service(&self) -> String {
        format!("{}-public", self.base)
    }

    /// The Secret holding values the operator generated (e.g. the gateway token).
    pub fn generated_secret(&self) -> String {
        format!("{}-generated", self.base)
    }

    /// The gateway pod (the StatefulSet's only ordinal).
    pub fn pod(&self) -> String {
        format!("{}-0", self.base)
    }

    /// The pod's `/data` claim, as the StatefulSet controller names it.
    pub fn data_claim(&self) -> String {
        format!("{DATA_VOLUME}-{}-0", self.base)
    }

    /// Labels selecting the gateway pod.
    pub fn selector(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("app.kubernetes.io/name".to_owned(), "openclaw".to_owned()),
            ("app.kubernetes.io/instance".to_owned(), self.base.clone()),
        ])
    }

    /// Labels on every object of the resource.
    pub fn labels(&self) -> BTreeMap<String, String> {
        let mut l = self.selector();
        l.insert("app.kubernetes.io/component".into(), "gateway".into());
        l.insert("app.kubernetes.io/managed-by".into(), MANAGED_BY.into());
        l
    }
}
