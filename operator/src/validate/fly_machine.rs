//! Fly placement and size rules (fly-machines-api.md §5): region codes, size
//! presets, and the memory rules of a machine guest.

use crate::crd::{CpuKind, FlySpec, Runtime, VmSpec};

use super::FieldError;

/// Fly region codes a machine can be placed in.
pub const REGIONS: &[&str] = &[
    "ams", "arn", "atl", "bog", "bom", "bos", "cdg", "den", "dfw", "ewr", "eze", "fra", "gdl",
    "gig", "gru", "hkg", "iad", "jnb", "lax", "lhr", "mad", "mia", "nrt", "ord", "otp", "phx",
    "qro", "scl", "sea", "sin", "sjc", "syd", "waw", "yul", "yyz",
];

/// A size preset: `shared-cpu-2x` = 2 shared CPUs with 512 MB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Preset {
    name: &'static str,
    cpu_kind: CpuKind,
    cpus: u32,
    memory_mb: u32,
}

const fn preset(name: &'static str, cpu_kind: CpuKind, cpus: u32, memory_mb: u32) -> Preset {
    Preset {
        name,
        cpu_kind,
        cpus,
        memory_mb,
    }
}

const PRESETS: &[Preset] = &[
    preset("shared-cpu-1x", CpuKind::Shared, 1, 256),
    preset("shared-cpu-2x", CpuKind::Shared, 2, 512),
    preset("shared-cpu-4x", CpuKind::Shared, 4, 1024),
    preset("shared-cpu-8x", CpuKind::Shared, 8, 2048),
    preset("performance-1x", CpuKind::Performance, 1, 2048),
    preset("performance-2x", CpuKind::Performance, 2, 4096),
    preset("performance-4x", CpuKind::Performance, 4, 8192),
    preset("performance-8x", CpuKind::Performance, 8, 16384),
    preset("performance-16x", CpuKind::Performance, 16, 32768),
];

/// A machine guest that Fly accepts and the image can run in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Guest {
    /// Shared or performance CPUs.
    pub cpu_kind: CpuKind,
    /// Number of CPUs.
    pub cpus: u32,
    /// Memory in MB.
    pub memory_mb: u32,
}

impl Guest {
    /// The API's spelling of the CPU kind.
    pub fn cpu_kind_str(&self) -> &'static str {
        match self.cpu_kind {
            CpuKind::Shared => "shared",
            CpuKind::Performance => "performance",
        }
    }
}

fn default_preset(runtime: Runtime) -> &'static str {
    match runtime {
        Runtime::Rust => "shared-cpu-1x",
        Runtime::Node => "shared-cpu-2x",
    }
}

/// Checks `spec.fly.region`.
pub fn check_region(fly: &FlySpec, errors: &mut Vec<FieldError>) {
    if !REGIONS.contains(&fly.region.as_str()) {
        errors.push(FieldError::invalid(
            "spec.fly.region",
            format!("{:?} is not a Fly region code", fly.region),
            format!("use one of: {} (e.g. iad, lhr, sjc)", REGIONS.join(", ")),
        ));
    }
}

/// Resolves `spec.fly.vm` into a [`Guest`], or explains what is wrong.
/// Warnings (accepted but risky) are pushed to `warnings`.
pub fn resolve_guest(
    vm: &VmSpec,
    runtime: Runtime,
    errors: &mut Vec<FieldError>,
    warnings: &mut Vec<String>,
) -> Option<Guest> {
    let size_name = vm.size.as_deref().unwrap_or(default_preset(runtime));
    let Some(preset) = PRESETS.iter().find(|p| p.name == size_name) else {
        let names: Vec<_> = PRESETS.iter().map(|p| p.name).collect();
        errors.push(FieldError::invalid(
            "spec.fly.vm.size",
            format!("{size_name:?} is not a Fly size preset"),
            format!("use one of: {}", names.join(", ")),
        ));
        return None;
    };
    let cpu_kind = vm.cpu_kind.unwrap_or(preset.cpu_kind);
    let cpus = vm.cpus.unwrap_or(preset.cpus);
    let memory_mb = vm.memory_mb.unwrap_or(match (vm.size.is_some(), runtime) {
        // No preset named: give the runtime what it needs, not the preset's minimum.
        (false, Runtime::Node) => runtime.recommended_memory_mb(),
        _ => preset.memory_mb,
    });
    let before = errors.len();
    if !matches!(cpus, 1 | 2 | 4 | 8 | 16) {
        errors.push(FieldError::invalid(
            "spec.fly.vm.cpus",
            format!("{cpus} CPUs is not a Fly machine size"),
            "use 1, 2, 4, 8 or 16",
        ));
    }
    let (step, per_cpu_min, per_cpu_max) = match cpu_kind {
        CpuKind::Shared => (256, 256, 2048),
        CpuKind::Performance => (2048, 2048, 8192),
    };
    let kind = match cpu_kind {
        CpuKind::Shared => "shared",
        CpuKind::Performance => "performance",
    };
    if !memory_mb.is_multiple_of(step) {
        errors.push(FieldError::invalid(
            "spec.fly.vm.memoryMb",
            format!("{memory_mb} MB is not a multiple of {step} MB ({kind} CPUs)"),
            format!(
                "use a multiple of {step}, e.g. {}",
                memory_mb.div_ceil(step).max(1) * step
            ),
        ));
    }
    let (lo, hi) = (per_cpu_min * cpus, per_cpu_max * cpus);
    if memory_mb < lo || memory_mb > hi {
        errors.push(FieldError::invalid(
            "spec.fly.vm.memoryMb",
            format!("{memory_mb} MB is outside {lo}–{hi} MB for {cpus} {kind} CPU(s)"),
            "change memoryMb or the CPU count/size preset",
        ));
    }
    let floor = runtime.memory_floor_mb();
    let recommended = runtime.recommended_memory_mb();
    if memory_mb < floor {
        let advice = if recommended > floor {
            format!(" ({recommended} MB recommended)")
        } else {
            String::new()
        };
        errors.push(FieldError::invalid(
            "spec.fly.vm.memoryMb",
            format!(
                "{memory_mb} MB is below the {floor} MB floor of {}",
                runtime.image_label()
            ),
            format!("set memoryMb to {floor} or more{advice}"),
        ));
    } else if memory_mb < recommended {
        warnings.push(format!(
            "spec.fly.vm.memoryMb: {memory_mb} MB may run {} out of memory under load; {recommended} MB is recommended",
            runtime.image_label()
        ));
    }
    (errors.len() == before).then_some(Guest {
        cpu_kind,
        cpus,
        memory_mb,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guest(vm: VmSpec, runtime: Runtime) -> (Option<Guest>, Vec<FieldError>, Vec<String>) {
        let (mut e, mut w) = (vec![], vec![]);
        let g = resolve_guest(&vm, runtime, &mut e, &mut w);
        (g, e, w)
    }

    #[test]
    fn defaults_fit_each_runtime() {
        let (g, e, _) = guest(VmSpec::default(), Runtime::Rust);
        assert!(e.is_empty());
        assert_eq!(g.unwrap().memory_mb, 256);
        let (g, e, w) = guest(VmSpec::default(), Runtime::Node);
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(g.unwrap().memory_mb, 2048);
        assert!(w.is_empty());
    }

    #[test]
    fn node_below_floor_is_rejected_with_the_recommendation() {
        let vm = VmSpec {
            memory_mb: Some(512),
            ..Default::default()
        };
        let (g, e, _) = guest(vm, Runtime::Node);
        assert!(g.is_none());
        let msg = e
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            msg.contains("spec.fly.vm.memoryMb: 512 MB is below the 1024 MB floor"),
            "{msg}"
        );
        assert!(msg.contains("2048 MB recommended"), "{msg}");
    }

    #[test]
    fn rust_below_floor_and_bad_multiple() {
        let vm = VmSpec {
            memory_mb: Some(200),
            ..Default::default()
        };
        let (_, e, _) = guest(vm, Runtime::Rust);
        assert!(e.iter().any(|e| e.problem.contains("multiple of 256")));
        assert!(
            e.iter()
                .any(|e| e.problem.contains("below the 256 MB floor"))
        );
    }

    #[test]
    fn unknown_preset_lists_the_valid_ones() {
        let vm = VmSpec {
            size: Some("shared-cpu-3x".into()),
            ..Default::default()
        };
        let (_, e, _) = guest(vm, Runtime::Rust);
        assert_eq!(e[0].path, "spec.fly.vm.size");
        assert!(e[0].fix.contains("shared-cpu-2x"));
    }

    #[test]
    fn node_between_floor_and_recommendation_warns() {
        let vm = VmSpec {
            size: Some("shared-cpu-2x".into()),
            memory_mb: Some(1024),
            ..Default::default()
        };
        let (g, e, w) = guest(vm, Runtime::Node);
        assert!(e.is_empty() && g.is_some());
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn region_must_be_a_fly_code() {
        let mut e = vec![];
        let fly = FlySpec {
            region: "paris".into(),
            ..Default::default()
        };
        check_region(&fly, &mut e);
        assert_eq!(e[0].path, "spec.fly.region");
        let mut e = vec![];
        check_region(&FlySpec::default(), &mut e);
        assert!(e.is_empty());
    }
}
