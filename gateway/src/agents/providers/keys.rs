//! Where provider API keys come from: the environment only, in the original's order.

use super::super::secret::ApiKey;

/// Where a key was found, for messages (never the key itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySource {
    /// The variable (or config path) the key came from.
    pub origin: String,
    pub key: ApiKey,
}

/// The keys for `provider` in the original's priority order, deduplicated:
/// `OPENCLAW_LIVE_<P>_KEY`, `<P>_API_KEYS` (comma/space/semicolon separated),
/// `<P>_API_KEY`, then `<P>_API_KEY_*` by name. `<P>` is the provider id
/// uppercased with `-` as `_`, except Google's, which is `GEMINI` (then
/// `GOOGLE_API_KEY` as a last resort).
///
/// `vars` is a snapshot of the environment (`std::env::vars()`), passed in so
/// tests never touch the process environment.
pub fn env_keys(provider: &str, vars: &[(String, String)]) -> Vec<KeySource> {
    let env = |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    // Google's keys are named after Gemini, with GOOGLE_API_KEY as a fallback.
    let p = match provider {
        "google" => "GEMINI".to_owned(),
        other => other.to_ascii_uppercase().replace('-', "_"),
    };
    let mut out: Vec<KeySource> = Vec::new();
    let mut push = |origin: String, raw: &str| {
        if let Some(key) = ApiKey::new(raw)
            && !out.iter().any(|k| k.key == key)
        {
            out.push(KeySource { origin, key });
        }
    };
    let live = format!("OPENCLAW_LIVE_{p}_KEY");
    if let Some(v) = env(&live) {
        push(live, &v);
        return out;
    }
    let list = format!("{p}_API_KEYS");
    if let Some(v) = env(&list) {
        for part in v.split([',', ';', ' ', '\n', '\t']) {
            push(list.clone(), part);
        }
    }
    let single = format!("{p}_API_KEY");
    if let Some(v) = env(&single) {
        push(single.clone(), &v);
    }
    let prefix = format!("{p}_API_KEY_");
    let mut numbered: Vec<&(String, String)> = vars
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .collect();
    numbered.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, value) in numbered {
        push(name.clone(), value);
    }
    if provider == "google"
        && let Some(v) = env("GOOGLE_API_KEY")
    {
        push("GOOGLE_API_KEY".to_owned(), &v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn keys(provider: &str, pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        env_keys(provider, &vars(pairs))
            .into_iter()
            .map(|k| (k.origin, k.key.expose().to_owned()))
            .collect()
    }

    #[test]
    fn follows_the_documented_priority_and_dedups() {
        let got = keys(
            "anthropic",
            &[
                ("ANTHROPIC_API_KEY_B", "k4"),
                ("ANTHROPIC_API_KEY", "k3"),
                ("ANTHROPIC_API_KEYS", "k1, k2;k3"),
                ("ANTHROPIC_API_KEY_A", "k1"),
            ],
        );
        let order: Vec<&str> = got.iter().map(|(_, k)| k.as_str()).collect();
        assert_eq!(order, ["k1", "k2", "k3", "k4"]);
        assert_eq!(got[3].0, "ANTHROPIC_API_KEY_B");
    }

    #[test]
    fn live_key_pins_one_and_google_takes_gemini_vars() {
        assert_eq!(
            keys(
                "openai",
                &[("OPENAI_API_KEY", "a"), ("OPENCLAW_LIVE_OPENAI_KEY", "pin")]
            ),
            [("OPENCLAW_LIVE_OPENAI_KEY".to_owned(), "pin".to_owned())]
        );
        let g = keys(
            "google",
            &[("GOOGLE_API_KEY", "g"), ("GEMINI_API_KEY", "m")],
        );
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].0, "GEMINI_API_KEY");
    }
}
