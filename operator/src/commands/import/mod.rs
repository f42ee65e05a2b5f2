//! `import fly.toml [--name N] [--namespace NS]`: prints the `OpenClaw`
//! resource equivalent to a hand deployment, with what the operator now
//! decides itself and what could not be mapped as comments. With
//! FLY_API_TOKEN set, the app's secret names (never their values) become
//! `env:` references. The output is a valid resource: `import fly.toml |
//! openclaw-operator plan -f -` shows what `up` would do with it.

mod flytoml;

use std::sync::Arc;

use anyhow::Context as _;

pub use flytoml::{Imported, NODE_IMAGE, import as translate};

use crate::cli::ImportArgs;
use crate::connect;
use crate::metrics::Metrics;

/// Prints the resource; returns the exit code.
pub async fn import(args: ImportArgs) -> anyhow::Result<u8> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let app = text
        .parse::<toml::Table>()
        .ok()
        .and_then(|t| t.get("app").and_then(|a| a.as_str()).map(str::to_owned));
    let mut secret_names = Vec::new();
    if let (Some(conn), Some(app)) = (
        connect::from_args(&args.fly, Arc::new(Metrics::new()))?,
        &app,
    ) {
        match conn.client.secrets(app).list().await {
            Ok(list) => secret_names = list.into_iter().map(|s| s.name).collect(),
            Err(e) => {
                eprintln!("import: cannot list the secrets of {app} ({e}); they are not referenced")
            }
        }
    }
    let out = translate(&text, args.name.as_deref(), &args.namespace, &secret_names)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    print!("{}", render(&out, &args.file.display().to_string())?);
    Ok(0)
}

/// The YAML document with its comments.
pub fn render(out: &Imported, from: &str) -> anyhow::Result<String> {
    let mut text = format!("# Imported from {from} by openclaw-operator import.\n");
    if !out.handled.is_empty() {
        text.push_str("# The operator does these itself:\n");
        for h in &out.handled {
            text.push_str(&format!("#   - {h}\n"));
        }
    }
    if !out.unmapped.is_empty() {
        text.push_str("# Not mapped:\n");
        for u in &out.unmapped {
            text.push_str(&format!("#   - {u}\n"));
        }
    }
    text.push_str(&serde_saphyr::to_string(&out.resource)?);
    Ok(text)
}
