//! Volumes: persistent disks attached to one machine in one region.

use serde::{Deserialize, Serialize};

use super::guest::MachineGuest;
use super::machine::HostStatus;
use super::open_enum::open_enum;
use super::wire::{Extra, lenient_timestamp};

open_enum! {
    /// Lifecycle state of a volume.
    pub enum VolumeState {
        /// Ready to attach.
        Created = "created",
        /// Restoring from a snapshot.
        Restoring = "restoring",
        /// Filling from a source volume.
        Hydrating = "hydrating",
        /// Deletion requested.
        SchedulingDestroy = "scheduling_destroy",
        /// Cleaning up after a fork.
        ForkCleanup = "fork_cleanup",
        /// Waiting for its machine to let go.
        WaitingForDetach = "waiting_for_detach",
        /// About to be destroyed.
        PendingDestroy = "pending_destroy",
        /// Being destroyed.
        Destroying = "destroying",
        /// Gone.
        Destroyed = "destroyed",
    }
}

impl VolumeState {
    /// True for the states a volume passes through on its way to `destroyed`
    /// (the Go client hides these from volume lists).
    pub fn is_being_destroyed(&self) -> bool {
        matches!(
            self,
            Self::SchedulingDestroy
                | Self::ForkCleanup
                | Self::WaitingForDetach
                | Self::PendingDestroy
                | Self::Destroying
                | Self::Destroyed
        )
    }
}

/// A volume as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Volume {
    /// `vol_` + 16 alphanumerics.
    pub id: String,
    /// Name; not unique (several volumes per name is the HA pattern).
    #[serde(default)]
    pub name: String,
    /// Lifecycle state.
    pub state: VolumeState,
    /// Size in GB.
    #[serde(default)]
    pub size_gb: u32,
    /// Region code.
    #[serde(default)]
    pub region: String,
    /// Hardware zone within the region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Whether the volume is encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    /// Machine it is attached to (`null` when free).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attached_machine_id: Option<String>,
    /// Allocation it is attached to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attached_alloc_id: Option<String>,
    /// Creation time.
    #[serde(
        default,
        deserialize_with = "lenient_timestamp",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_at: Option<jiff::Timestamp>,
    /// `ext4` or `raw`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fstype: Option<String>,
    /// Days snapshots are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_retention: Option<u32>,
    /// Whether daily snapshots are taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_backup_enabled: Option<bool>,
    /// Whether the platform can reach the volume's host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_status: Option<HostStatus>,
    /// Bytes in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_used: Option<u64>,
    /// Capacity in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_total: Option<u64>,
    /// Fields this client does not model (block counters, …).
    #[serde(flatten)]
    pub extra: Extra,
}

impl Volume {
    /// True when no machine holds the volume.
    pub fn is_free(&self) -> bool {
        self.attached_machine_id
            .as_deref()
            .is_none_or(str::is_empty)
    }
}

/// Body of `POST /v1/apps/{app_name}/volumes`. Volume ids are
/// server-assigned, so a create is never idempotent: look up by name first.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct CreateVolume {
    /// Name (letters, digits, underscores).
    pub name: String,
    /// Region code.
    pub region: String,
    /// Size in GB (platform default 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_gb: Option<u32>,
    /// Encrypt at rest (platform default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    /// Place on a zone no other volume of this name uses (platform default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require_unique_zone: Option<bool>,
    /// Days snapshots are kept (platform default 5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot_retention: Option<u32>,
    /// Take daily snapshots (platform default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_backup_enabled: Option<bool>,
    /// `ext4` or `raw`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fstype: Option<String>,
    /// Restore from this snapshot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<String>,
    /// Fork this volume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_volume_id: Option<String>,
    /// Placement hint: the guest that will mount it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compute: Option<MachineGuest>,
}

impl CreateVolume {
    /// A volume `name` of `size_gb` GB in `region`.
    pub fn new(name: impl Into<String>, region: impl Into<String>, size_gb: u32) -> Self {
        Self {
            name: name.into(),
            region: region.into(),
            size_gb: Some(size_gb),
            ..Self::default()
        }
    }
}

/// Body of `PUT /v1/apps/{app_name}/volumes/{volume_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct UpdateVolume {
    /// Days snapshots are kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot_retention: Option<u32>,
    /// Take daily snapshots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_backup_enabled: Option<bool>,
}

/// Response of `PUT …/volumes/{volume_id}/extend`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtendedVolume {
    /// The volume after the change.
    pub volume: Volume,
    /// Whether the attached machine must restart to see the new size.
    #[serde(default)]
    pub needs_restart: bool,
}
