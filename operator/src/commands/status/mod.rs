//! `status [NAME] [-f FILE…] [-o json|yaml]`: what `kubectl get` and
//! `kubectl describe` show for a cluster, for the resources of the running
//! `up`s (their boards, see [`crate::running`]), or of the given files (then
//! what exists is read from the Fly API or a fly-local: see [`observe`]).

mod describe;
mod observe;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::board::Entry;
use crate::cli::{OutputFormat, StatusArgs};
use crate::metrics::Metrics;
use crate::resource::ResourceKey;
use crate::running::{RunningUp, pick};
use crate::{connect, table, telemetry};

/// What `status` shows: the boards of the running `up`s, merged, or what
/// the files declare with what the API has.
#[derive(Debug, Default)]
pub struct View {
    /// Every resource.
    pub entries: BTreeMap<ResourceKey, Entry>,
    /// Unreadable files.
    pub file_errors: BTreeMap<PathBuf, String>,
    /// Skipped documents.
    pub skipped: BTreeMap<PathBuf, Vec<String>>,
    /// Where this came from, in words.
    pub source: String,
}

impl View {
    /// Adds one `/status` document.
    pub fn merge_board(&mut self, board: &Value) {
        if let Some(map) = board["resources"].as_object() {
            for (k, v) in map {
                if let (Some(key), Ok(entry)) = (
                    ResourceKey::parse(k),
                    serde_json::from_value::<Entry>(v.clone()),
                ) {
                    self.entries.insert(key, entry);
                }
            }
        }
        if let Some(map) = board["fileErrors"].as_object() {
            for (p, e) in map {
                self.file_errors
                    .insert(PathBuf::from(p), e.as_str().unwrap_or_default().to_owned());
            }
        }
        if let Some(map) = board["skipped"].as_object() {
            for (p, docs) in map {
                let docs = docs
                    .as_array()
                    .map(|d| {
                        d.iter()
                            .filter_map(|x| x.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                self.skipped.insert(PathBuf::from(p), docs);
            }
        }
    }

    /// The whole view as JSON (`-o json|yaml`), in `/status`'s shape.
    pub fn to_json(&self) -> Value {
        let resources: serde_json::Map<String, Value> = self
            .entries
            .iter()
            .map(|(k, e)| (k.to_string(), serde_json::to_value(e).unwrap_or_default()))
            .collect();
        json!({
            "resources": resources,
            "fileErrors": self.file_errors.iter().map(|(p, e)| (p.display().to_string(), json!(e))).collect::<serde_json::Map<_, _>>(),
            "skipped": self.skipped.iter().map(|(p, d)| (p.display().to_string(), json!(d))).collect::<serde_json::Map<_, _>>(),
        })
    }
}

/// Prints the status; returns the exit code (1: nothing to show, or NAME unknown).
pub async fn status(args: StatusArgs) -> anyhow::Result<u8> {
    let state = telemetry::state_dir();
    let view = if args.paths.is_empty() {
        let ups = RunningUp::all(&state);
        if ups.is_empty() {
            eprintln!(
                "no `up` is running (none is advertised in {}): start one with \
                 `openclaw-operator up -f FILE|DIR`, or give the files: `status -f FILE|DIR` \
                 reads them and asks the Fly API what exists",
                crate::running::advert::dir(&state).display()
            );
            return Ok(1);
        }
        let mut view = View::default();
        let mut sources = Vec::new();
        for up in &ups {
            match up.status().await {
                Ok(board) => {
                    view.merge_board(&board);
                    sources.push(format!("the running `up` (pid {})", up.advert.pid));
                }
                Err(e) => eprintln!("warning: {e:#}"),
            }
        }
        view.source = sources.join("; ");
        view
    } else {
        let metrics = Arc::new(Metrics::new());
        let conn = match connect::from_args(&args.fly, metrics.clone())? {
            Some(c) => Some(c),
            None => connect::running_embedded(&state, metrics).await,
        };
        observe::view(&args.paths, conn.as_ref(), &state).await
    };
    let entries = &view.entries;
    let one = match &args.name {
        Some(name) => match pick(name, entries.keys()) {
            Ok(key) => Some(key),
            Err(e) => {
                eprintln!("{e}");
                return Ok(1);
            }
        },
        None => None,
    };
    let text = match (args.output, &one) {
        (OutputFormat::Json, Some(k)) => serde_json::to_string_pretty(&entries[k])? + "\n",
        (OutputFormat::Json, None) => serde_json::to_string_pretty(&view.to_json())? + "\n",
        (OutputFormat::Yaml, Some(k)) => serde_saphyr::to_string(&entries[k])?,
        (OutputFormat::Yaml, None) => serde_saphyr::to_string(&view.to_json())?,
        (OutputFormat::Text, Some(k)) => describe::describe(k, &entries[k], jiff::Timestamp::now()),
        (OutputFormat::Text, None) => {
            let width = if std::io::stdout().is_terminal() {
                crate::tui::size().0
            } else {
                usize::MAX
            };
            let mut lines = table::render_entries(entries, width, jiff::Timestamp::now());
            let notes = table::notes(entries, &view.file_errors, &view.skipped, width);
            if !notes.is_empty() {
                lines.push(String::new());
                lines.extend(notes);
            }
            lines.join("\n") + "\n"
        }
    };
    print!("{text}");
    if !view.source.is_empty() && args.output == OutputFormat::Text && one.is_none() {
        eprintln!("(from {})", view.source);
    }
    Ok(0)
}
