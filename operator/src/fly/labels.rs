//! Metadata keys the operator writes on machines. They make the operator
//! stateless: ownership, and digests (never values) of what was applied, live
//! on the platform, so a restarted operator finds its machine and knows
//! whether it is up to date.

/// `namespace/name` of the owning `OpenClaw`: how the machine is found.
pub const OWNER: &str = "openclaw.ai/owner";
/// Digest of the desired machine config last applied.
pub const CONFIG_DIGEST: &str = "openclaw.ai/config-digest";
/// JSON map of secret name → short digest of the value last applied.
pub const SECRET_DIGESTS: &str = "openclaw.ai/secret-digests";
/// Who manages the machine.
pub const MANAGED_BY: &str = "managed-by";
/// Our name in [`MANAGED_BY`].
pub const MANAGER: &str = "openclaw-operator";
