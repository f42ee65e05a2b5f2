//! Asking running `up`s: their `/status` board and their control API.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::Value;

use super::advert::{self, Advert};
use crate::resource::ResourceKey;

/// One running `up`.
#[derive(Clone, Debug)]
pub struct RunningUp {
    /// What it advertised.
    pub advert: Advert,
    http: reqwest::Client,
}

/// A resource found in a running `up`'s board.
#[derive(Clone, Debug)]
pub struct Found {
    /// The `up` that reconciles it.
    pub up: RunningUp,
    /// Its key.
    pub key: ResourceKey,
    /// Its board entry (`status`, `events`, `localUrl`, …), as `/status` serves it.
    pub entry: Value,
}

impl RunningUp {
    /// Every running `up` advertised in `state_dir`.
    pub fn all(state_dir: &Path) -> Vec<Self> {
        advert::list(state_dir)
            .into_iter()
            .map(|advert| Self {
                advert,
                http: reqwest::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build()
                    .expect("a plain HTTP client builds"),
            })
            .collect()
    }

    /// Its board: `{"resources": {...}, "fileErrors": {...}, "skipped": {...}}`.
    pub async fn status(&self) -> anyhow::Result<Value> {
        let url = format!("{}/status", self.advert.url);
        let resp = self.http.get(&url).send().await.with_context(|| {
            format!("asking the running `up` (pid {}) at {url}", self.advert.pid)
        })?;
        resp.error_for_status()?
            .json()
            .await
            .context("reading the running `up`'s status")
    }

    /// The gateway token of `key`, as the running `up` reads it.
    pub async fn token(&self, key: &ResourceKey) -> anyhow::Result<String> {
        let url = format!(
            "{}/v1/resources/{}/{}/token",
            self.advert.url, key.namespace, key.name
        );
        let resp = self
            .http
            .get(&url)
            .bearer_auth(&self.advert.token)
            .send()
            .await
            .with_context(|| format!("asking the running `up` (pid {})", self.advert.pid))?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        if !status.is_success() {
            anyhow::bail!("{}", text.trim_end());
        }
        Ok(text)
    }
}

/// Matches `name` (`name` or `namespace/name`) against `keys`: the one key,
/// or why not (none, or several namespaces).
pub fn pick<'a>(
    name: &str,
    keys: impl IntoIterator<Item = &'a ResourceKey>,
) -> Result<ResourceKey, String> {
    let keys: Vec<&ResourceKey> = keys.into_iter().collect();
    let matches: Vec<&ResourceKey> = match ResourceKey::parse(name) {
        Some(full) => keys.iter().copied().filter(|k| **k == full).collect(),
        None => keys.iter().copied().filter(|k| k.name == name).collect(),
    };
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => {
            let known: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
            Err(if known.is_empty() {
                format!("no resource {name}: nothing is declared")
            } else {
                format!("no resource {name}; declared: {}", known.join(", "))
            })
        }
        several => Err(format!(
            "{name} is in several namespaces ({}); say which, e.g. {}",
            several
                .iter()
                .map(|k| k.namespace.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            several[0]
        )),
    }
}

/// Finds `name` among the resources of every running `up`. `Ok(None)` when
/// no `up` runs.
pub async fn find(state_dir: &Path, name: &str) -> anyhow::Result<Option<Found>> {
    let ups = RunningUp::all(state_dir);
    if ups.is_empty() {
        return Ok(None);
    }
    let mut boards = Vec::new();
    for up in ups {
        match up.status().await {
            Ok(board) => boards.push((up, board)),
            Err(e) => tracing::debug!(error = %e, "a running `up` did not answer"),
        }
    }
    if boards.is_empty() {
        return Ok(None);
    }
    let mut keys = Vec::new();
    for (i, (_, board)) in boards.iter().enumerate() {
        if let Some(map) = board["resources"].as_object() {
            keys.extend(
                map.keys()
                    .filter_map(|k| ResourceKey::parse(k))
                    .map(|k| (k, i)),
            );
        }
    }
    let key = pick(name, keys.iter().map(|(k, _)| k)).map_err(anyhow::Error::msg)?;
    let i = keys
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, i)| *i)
        .expect("picked from these");
    let (up, board) = boards.swap_remove(i);
    let entry = board["resources"][key.to_string()].clone();
    Ok(Some(Found { up, key, entry }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_to_one_key() {
        let keys = [
            ResourceKey::new("default", "a"),
            ResourceKey::new("team", "a"),
            ResourceKey::new("team", "b"),
        ];
        assert_eq!(pick("b", &keys).unwrap(), keys[2]);
        assert_eq!(pick("team/a", &keys).unwrap(), keys[1]);
        let two = pick("a", &keys).unwrap_err();
        assert!(two.contains("several namespaces (default, team)"), "{two}");
        let none = pick("zz", &keys).unwrap_err();
        assert!(
            none.contains("declared: default/a, team/a, team/b"),
            "{none}"
        );
    }
}
