//! The image table: how an image reference becomes a local program. Fly pulls
//! an OCI image and runs its ENTRYPOINT/CMD; fly-local has no registry, so the
//! embedder (or `--image`/`--images` on the CLI) says, per image pattern, where
//! the image's programs live (a PATH of host directories) and what the
//! image's default ENTRYPOINT, CMD, env and working directory are.
//!
//! ```yaml
//! images:
//!   - pattern: "registry.fly.io/openclaw-rs:*"
//!     path: ["/work/target/debug"]
//!     entrypoint: []
//!     cmd: ["openclaw", "gateway", "--allow-unconfigured", "--bind", "lan", "--port", "3000"]
//!     env: { RUST_LOG: info }
//!     bin: { openclaw: /usr/local/bin/openclaw-operator }   # optional aliases put on PATH
//!   - pattern: "scale-test/*"
//!     simulate: true
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// How to run one family of images.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSpec {
    /// Image reference pattern; `*` matches any run of characters
    /// (e.g. `registry.fly.io/openclaw-rs:*`).
    pub pattern: String,
    /// Host directories searched (in order, before the standard system
    /// directories) for the command's argv[0].
    #[serde(default)]
    pub path: Vec<PathBuf>,
    /// The image's ENTRYPOINT.
    #[serde(default)]
    pub entrypoint: Vec<String>,
    /// The image's CMD.
    #[serde(default)]
    pub cmd: Vec<String>,
    /// The image's ENV (machine config env overrides it).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// The image's WORKDIR (default `/`).
    #[serde(default)]
    pub workdir: Option<String>,
    /// Program aliases put on the machine's PATH: name → host executable.
    /// Lets a multi-call binary (e.g. the operator) serve as `openclaw`.
    #[serde(default)]
    pub bin: BTreeMap<String, PathBuf>,
    /// Run machines of this image without a process (state machine only).
    #[serde(default)]
    pub simulate: bool,
}

impl ImageSpec {
    /// A spec from the CLI's short form `PATTERN=DIR[:DIR…]`.
    pub fn parse_short(s: &str) -> Result<Self, String> {
        let (pattern, dirs) = s
            .split_once('=')
            .ok_or_else(|| format!("--image {s:?}: expected PATTERN=DIR[:DIR…]"))?;
        if pattern.is_empty() {
            return Err(format!("--image {s:?}: the pattern is empty"));
        }
        Ok(Self {
            pattern: pattern.to_owned(),
            path: std::env::split_paths(dirs).collect(),
            ..Self::default()
        })
    }

    pub fn matches(&self, image: &str) -> bool {
        wildcard_match(self.pattern.as_bytes(), image.as_bytes())
    }
}

/// Image patterns, first match wins.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageTable {
    #[serde(default)]
    pub images: Vec<ImageSpec>,
}

impl ImageTable {
    pub fn lookup(&self, image: &str) -> Option<&ImageSpec> {
        self.images.iter().find(|spec| spec.matches(image))
    }

    /// Reads a table from a YAML (or JSON) file.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read image table {}: {e}", path.display()))?;
        serde_saphyr::from_str(&text)
            .map_err(|e| format!("image table {} is invalid: {e}", path.display()))
    }
}

fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| wildcard_match(rest, &text[i..])),
        Some((c, rest)) => text
            .split_first()
            .is_some_and(|(t, tail)| t == c && wildcard_match(rest, tail)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_with_wildcards() {
        let spec = ImageSpec {
            pattern: "registry.fly.io/openclaw-rs:*".into(),
            ..Default::default()
        };
        assert!(spec.matches("registry.fly.io/openclaw-rs:latest"));
        assert!(spec.matches("registry.fly.io/openclaw-rs:"));
        assert!(!spec.matches("registry.fly.io/openclaw:latest"));
        let any = ImageSpec {
            pattern: "*".into(),
            ..Default::default()
        };
        assert!(any.matches("anything/at:all"));
    }

    #[test]
    fn short_form_and_yaml() {
        let spec = ImageSpec::parse_short("app:*=/a:/b").unwrap();
        assert_eq!(spec.path, vec![PathBuf::from("/a"), PathBuf::from("/b")]);
        assert!(ImageSpec::parse_short("nodirs").is_err());
        let table: ImageTable = serde_saphyr::from_str(
            "images:\n  - pattern: 'x:*'\n    cmd: [run, it]\n    simulate: true\n",
        )
        .unwrap();
        assert_eq!(table.lookup("x:1").unwrap().cmd, vec!["run", "it"]);
        assert!(table.lookup("y:1").is_none());
    }
}
