//! From a machine record and its image to exactly what to run: argv (Docker
//! semantics for `init`/`processes` over the image's ENTRYPOINT/CMD), the
//! environment (image env < config env < process env < secrets < Fly runtime
//! variables), the files to write and the volume to mount. Pure, so it is
//! tested without spawning anything.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine;

use crate::images::ImageSpec;
use crate::model::Machine;
use crate::model::config::ConfigView;

/// Where fly-local puts an image's program aliases inside a machine.
pub const ALIAS_DIR: &str = "/.fly-local/bin";

const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

#[derive(Debug, Clone, PartialEq)]
pub struct LaunchPlan {
    /// argv as the process sees it (argv[0] as written in the config/image).
    pub argv: Vec<String>,
    /// argv[0] resolved to a path, as seen inside the machine.
    pub program: PathBuf,
    pub env: Vec<(String, String)>,
    pub workdir: String,
    pub files: Vec<FileToWrite>,
    /// The volume mount: guest path.
    pub mount_path: Option<String>,
    pub aliases: BTreeMap<String, PathBuf>,
    /// Host directories the image's programs live in.
    pub path_dirs: Vec<PathBuf>,
    pub memory_mb: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FileToWrite {
    pub guest_path: String,
    pub contents: Vec<u8>,
    pub mode: u32,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PlanError {
    #[error(
        "no command to run: the image has no ENTRYPOINT/CMD and the config sets none (set config.init.cmd)"
    )]
    NoCommand,
    #[error("failed to spawn command: {0}: No such file or directory (searched PATH {1})")]
    NotFound(String, String),
    #[error("files[{0}]: secret {1:?} is not set on the app")]
    MissingSecret(usize, String),
    #[error("files[{0}]: the contents of secret {1:?} are not base64")]
    SecretNotBase64(usize, String),
    #[error("files[{0}]: raw_value is not base64")]
    RawNotBase64(usize),
}

/// Builds the launch plan. `fly_env` are the runtime variables Fly sets.
pub fn plan(
    machine: &Machine,
    view: &ConfigView,
    image: &ImageSpec,
    fly_env: &[(String, String)],
) -> Result<LaunchPlan, PlanError> {
    let process = view.processes.first().cloned().unwrap_or_default();
    let argv = command(view, &process, image);
    if argv.is_empty() {
        return Err(PlanError::NoCommand);
    }

    let mut env: BTreeMap<String, String> = image.env.clone();
    env.extend(view.env.clone());
    env.extend(process.env.clone());
    let secrets: BTreeMap<String, String> = match &process.secrets {
        Some(refs) => refs
            .iter()
            .filter_map(|r| {
                let name = r.name.clone().unwrap_or_else(|| r.env_var.clone());
                machine
                    .boot_secrets
                    .get(&name)
                    .map(|v| (r.env_var.clone(), v.clone()))
            })
            .collect(),
        None if process.ignore_app_secrets => BTreeMap::new(),
        None => machine.boot_secrets.clone(),
    };
    env.extend(secrets);
    env.extend(fly_env.iter().cloned());

    let mut path_entries: Vec<String> = Vec::new();
    if !image.bin.is_empty() {
        path_entries.push(ALIAS_DIR.to_owned());
    }
    path_entries.extend(image.path.iter().map(|p| p.display().to_string()));
    let base_path = env
        .get("PATH")
        .cloned()
        .unwrap_or_else(|| DEFAULT_PATH.to_owned());
    path_entries.extend(
        base_path
            .split(':')
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    );
    path_entries.dedup();
    let path = path_entries.join(":");
    env.insert("PATH".into(), path.clone());

    let program = resolve(&argv[0], &path_entries, &image.bin)
        .ok_or_else(|| PlanError::NotFound(argv[0].clone(), path.clone()))?;

    let mut files = Vec::new();
    for (i, file) in view.files.iter().enumerate() {
        let contents = match (&file.raw_value, &file.secret_name) {
            (Some(raw), _) => b64(raw).ok_or(PlanError::RawNotBase64(i))?,
            (None, Some(name)) => {
                let value = machine
                    .boot_secrets
                    .get(name)
                    .ok_or_else(|| PlanError::MissingSecret(i, name.clone()))?;
                b64(value).ok_or_else(|| PlanError::SecretNotBase64(i, name.clone()))?
            }
            (None, None) => continue,
        };
        files.push(FileToWrite {
            guest_path: file.guest_path.clone(),
            contents,
            mode: file.mode.unwrap_or(0o644),
        });
    }

    Ok(LaunchPlan {
        argv,
        program,
        env: env.into_iter().collect(),
        workdir: image.workdir.clone().unwrap_or_else(|| "/".into()),
        files,
        mount_path: view.mount().map(|m| m.path.clone()),
        aliases: image.bin.clone(),
        path_dirs: image.path.clone(),
        memory_mb: view.memory_mb(),
    })
}

/// Docker semantics: `exec` replaces everything; an overridden ENTRYPOINT
/// drops the image's CMD; `processes[0]` overrides `init`.
fn command(
    view: &ConfigView,
    process: &crate::model::config::ProcessView,
    image: &ImageSpec,
) -> Vec<String> {
    let non_empty = |v: &Option<Vec<String>>| v.clone().filter(|v| !v.is_empty());
    if let Some(exec) = non_empty(&process.exec).or_else(|| non_empty(&view.init.exec)) {
        return exec;
    }
    let entry_override =
        non_empty(&process.entrypoint).or_else(|| non_empty(&view.init.entrypoint));
    let cmd_override = non_empty(&process.cmd).or_else(|| non_empty(&view.init.cmd));
    let entrypoint = entry_override
        .clone()
        .unwrap_or_else(|| image.entrypoint.clone());
    let cmd = match (cmd_override, entry_override) {
        (Some(cmd), _) => cmd,
        (None, Some(_)) => Vec::new(),
        (None, None) => image.cmd.clone(),
    };
    entrypoint.into_iter().chain(cmd).collect()
}

fn resolve(arg0: &str, path: &[String], aliases: &BTreeMap<String, PathBuf>) -> Option<PathBuf> {
    if arg0.contains('/') {
        return Some(PathBuf::from(arg0));
    }
    for dir in path {
        if dir == ALIAS_DIR {
            if aliases.contains_key(arg0) {
                return Some(Path::new(ALIAS_DIR).join(arg0));
            }
            continue;
        }
        let candidate = Path::new(dir).join(arg0);
        if is_executable(&candidate) {
            return Some(candidate);
        }
    }
    None
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn b64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn machine(config: serde_json::Value) -> (Machine, ConfigView) {
        let (config, view) = crate::model::config::validate(&config).unwrap();
        let m = Machine {
            id: "m".into(),
            name: "n".into(),
            app: "a".into(),
            region: "iad".into(),
            instance_id: "v".into(),
            private_ip: "fdaa::2".into(),
            state: crate::model::MachineState::Created,
            config,
            created_at: jiff::Timestamp::now(),
            updated_at: jiff::Timestamp::now(),
            events: vec![],
            versions: vec![],
            cordoned: false,
            lease: None,
            boot_secrets: [
                ("TOKEN".to_string(), "s3cret".to_string()),
                ("FILE".into(), "aGk=".into()),
            ]
            .into(),
            restart_count: 0,
            launch_pending: false,
        };
        (m, view)
    }

    fn image() -> ImageSpec {
        ImageSpec {
            pattern: "*".into(),
            path: vec![PathBuf::from("/bin")],
            entrypoint: vec![],
            cmd: vec!["sh".into(), "-c".into(), "echo image".into()],
            env: [
                ("FROM_IMAGE".to_string(), "1".to_string()),
                ("PORT".into(), "1".into()),
            ]
            .into(),
            ..Default::default()
        }
    }

    #[test]
    fn image_cmd_and_overrides_follow_docker() {
        let (m, v) = machine(json!({"image":"x"}));
        assert_eq!(
            plan(&m, &v, &image(), &[]).unwrap().argv,
            ["sh", "-c", "echo image"]
        );
        let (m, v) = machine(json!({"image":"x","init":{"cmd":["sh","-c","echo cmd"]}}));
        assert_eq!(
            plan(&m, &v, &image(), &[]).unwrap().argv,
            ["sh", "-c", "echo cmd"]
        );
        let (m, v) = machine(json!({"image":"x","init":{"entrypoint":["sh"]}}));
        assert_eq!(plan(&m, &v, &image(), &[]).unwrap().argv, ["sh"]);
        let (m, v) = machine(
            json!({"image":"x","init":{"exec":["sh","-c","exec"]},"processes":[{"cmd":["nope"]}]}),
        );
        assert_eq!(
            plan(&m, &v, &image(), &[]).unwrap().argv,
            ["sh", "-c", "exec"]
        );
        let (m, v) = machine(json!({"image":"x","processes":[{"cmd":["sh","-c","proc"]}]}));
        assert_eq!(
            plan(&m, &v, &image(), &[]).unwrap().argv,
            ["sh", "-c", "proc"]
        );
    }

    #[test]
    fn env_layers_and_secrets() {
        let (m, v) =
            machine(json!({"image":"x","env":{"PORT":"2"},"processes":[{"env":{"PROC":"p"}}]}));
        let fly = [("FLY_APP_NAME".to_string(), "a".to_string())];
        let env: BTreeMap<_, _> = plan(&m, &v, &image(), &fly)
            .unwrap()
            .env
            .into_iter()
            .collect();
        assert_eq!(env["PORT"], "2");
        assert_eq!(env["FROM_IMAGE"], "1");
        assert_eq!(env["PROC"], "p");
        assert_eq!(env["TOKEN"], "s3cret");
        assert_eq!(env["FLY_APP_NAME"], "a");
        assert!(env["PATH"].starts_with("/bin:"));

        let (m, v) = machine(
            json!({"image":"x","processes":[{"secrets":[{"env_var":"T","name":"TOKEN"}]}]}),
        );
        let env: BTreeMap<_, _> = plan(&m, &v, &image(), &[])
            .unwrap()
            .env
            .into_iter()
            .collect();
        assert_eq!(env["T"], "s3cret");
        assert!(!env.contains_key("TOKEN"));
    }

    #[test]
    fn files_and_resolution_errors() {
        let (m, v) = machine(json!({"image":"x","files":[
            {"guest_path":"/etc/a","raw_value":"aGVsbG8="},
            {"guest_path":"/etc/b","secret_name":"FILE"}]}));
        let p = plan(&m, &v, &image(), &[]).unwrap();
        assert_eq!(p.files[0].contents, b"hello");
        assert_eq!(p.files[1].contents, b"hi");
        assert_eq!(p.program, PathBuf::from("/bin/sh"));

        let (m, v) = machine(json!({"image":"x","init":{"cmd":["no-such-program-xyz"]}}));
        assert!(matches!(
            plan(&m, &v, &image(), &[]),
            Err(PlanError::NotFound(..))
        ));
        let (m, v) =
            machine(json!({"image":"x","files":[{"guest_path":"/x","secret_name":"TOKEN"}]}));
        assert!(matches!(
            plan(&m, &v, &image(), &[]),
            Err(PlanError::SecretNotBase64(0, _))
        ));
    }

    #[test]
    fn aliases_come_first_on_path() {
        let mut img = image();
        img.bin
            .insert("openclaw".into(), PathBuf::from("/usr/bin/true"));
        let (m, v) = machine(json!({"image":"x","init":{"cmd":["openclaw","gateway"]}}));
        let p = plan(&m, &v, &img, &[]).unwrap();
        assert_eq!(p.program, PathBuf::from("/.fly-local/bin/openclaw"));
        assert_eq!(p.argv[0], "openclaw");
    }
}
