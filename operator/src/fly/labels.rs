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
/// Set instead of [`OWNER`] when a deletion with `deletionPolicy: Orphan`
/// lets go of a machine: `namespace/name` of the resource that owned it, so
/// declaring that resource again adopts the machine (and through it the
/// volume it mounts) instead of creating a second one, while no other
/// resource mistakes it for its own.
pub const ORPHANED_FROM: &str = "openclaw.ai/orphaned-from";
/// Who manages the machine.
pub const MANAGED_BY: &str = "managed-by";
/// Our name in [`MANAGED_BY`].
pub const MANAGER: &str = "openclaw-operator";
