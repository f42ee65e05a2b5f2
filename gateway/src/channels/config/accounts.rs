//! `channels.<channel>.accounts`: several bots on one channel, each inheriting the
//! channel-level settings it does not set itself.
//!
//! Without `accounts` the channel block is the single account `default`. With it,
//! every entry is an account; omitted keys fall back to the channel block (whole
//! values, no deep merge, as the original). Credentials are never inherited by a
//! named account: two accounts cannot share a bot.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::agents::config::closed::{Checker, Shape};

/// The id of the implicit account and of the account bindings match by default.
pub const DEFAULT_ACCOUNT: &str = "default";

/// A raw (all-optional) account block that can fill its gaps from the channel block.
pub trait Inherit: Sized {
    /// `self` with every unset value taken from `parent`, except credentials unless
    /// this is the default account.
    fn inherit(self, parent: &Self, is_default: bool) -> Self;
}

/// Closes the nested objects (guilds, groups …) of one account block at a path.
pub type CheckNested = dyn Fn(&mut Checker, &mut Map<String, Value>, &str);

/// One account, typed and merged, with the key path its problems are reported at.
pub struct RawAccount<T> {
    pub id: String,
    pub path: String,
    pub raw: T,
}

/// Splits the channel block at `path` into its accounts. `shape` is the account
/// shape (the channel shape without `accounts` / `defaultAccount`); `check_nested`
/// closes the nested objects (guilds, groups …) of one account block.
fn expand<T: DeserializeOwned + Inherit + Default>(
    mut block: Map<String, Value>,
    path: &str,
    shape: &Shape,
    check_nested: &CheckNested,
    c: &mut Checker,
) -> Option<(Vec<RawAccount<T>>, String)> {
    let accounts = block.remove("accounts");
    let default_account = block.remove("defaultAccount");
    let mut root = Value::Object(block);
    let root_map = c.closed(&mut root, path, shape)?;
    check_nested(c, root_map, path);
    let root: T = c.typed(root, path)?;

    let accounts = match accounts {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) if map.is_empty() => None,
        Some(Value::Object(map)) => Some(map),
        Some(other) => {
            c.issue(
                format!("{path}.accounts"),
                format!(
                    "expected an object of accounts, got {}",
                    crate::agents::config::closed::kind(&other)
                ),
            );
            return None;
        }
    };
    let Some(accounts) = accounts else {
        let default = default_account_id(default_account, &[DEFAULT_ACCOUNT.to_owned()], path, c)?;
        return Some((
            vec![RawAccount {
                id: DEFAULT_ACCOUNT.to_owned(),
                path: path.to_owned(),
                raw: root,
            }],
            default,
        ));
    };
    let mut out = Vec::new();
    for (id, mut value) in accounts {
        let account_path = format!("{path}.accounts.{id}");
        if !valid_account_id(&id) {
            c.issue(
                &account_path,
                "account ids are lowercase letters, digits, \"-\" and \"_\" (at most 64, starting with a letter or digit)",
            );
            continue;
        }
        let Some(map) = c.closed(&mut value, &account_path, shape) else {
            continue;
        };
        check_nested(c, map, &account_path);
        let Some(raw) = c.typed::<T>(value, &account_path) else {
            continue;
        };
        let is_default = id == DEFAULT_ACCOUNT;
        out.push(RawAccount {
            raw: raw.inherit(&root, is_default),
            id,
            path: account_path,
        });
    }
    let ids: Vec<String> = out.iter().map(|a| a.id.clone()).collect();
    let default = default_account_id(default_account, &ids, path, c)?;
    Some((out, default))
}

/// Reads a channel block into its resolved accounts and the default account id.
/// `resolve` gets each merged account and whether the channel itself is enabled.
/// `None` when any problem was found (all of them are in `c`).
pub fn read<T, A>(
    block: Map<String, Value>,
    path: &str,
    shape: &Shape,
    check_nested: &CheckNested,
    c: &mut Checker,
    mut resolve: impl FnMut(RawAccount<T>, bool, &mut Checker) -> A,
) -> Option<(Vec<A>, String)>
where
    T: DeserializeOwned + Inherit + Default,
{
    let channel_enabled = block.get("enabled").and_then(Value::as_bool) != Some(false);
    let (raws, default_account) = expand::<T>(block, path, shape, check_nested, c)?;
    let before = c.issues.len();
    let accounts = raws
        .into_iter()
        .map(|a| resolve(a, channel_enabled, c))
        .collect();
    (c.issues.len() == before).then_some((accounts, default_account))
}

fn default_account_id(
    raw: Option<Value>,
    ids: &[String],
    path: &str,
    c: &mut Checker,
) -> Option<String> {
    match raw {
        None | Some(Value::Null) => Some(
            ids.iter()
                .find(|i| *i == DEFAULT_ACCOUNT)
                .or_else(|| ids.first())
                .cloned()
                .unwrap_or_else(|| DEFAULT_ACCOUNT.to_owned()),
        ),
        Some(Value::String(s)) if ids.contains(&s) => Some(s),
        Some(Value::String(s)) => {
            c.issue(
                format!("{path}.defaultAccount"),
                format!(
                    "names no configured account \"{s}\" (accounts: {})",
                    ids.join(", ")
                ),
            );
            None
        }
        Some(other) => {
            c.issue(
                format!("{path}.defaultAccount"),
                format!(
                    "expected a string, got {}",
                    crate::agents::config::closed::kind(&other)
                ),
            );
            None
        }
    }
}

fn valid_account_id(id: &str) -> bool {
    let mut bytes = id.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_lowercase() || b.is_ascii_digit())
        && id.len() <= 64
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// `child.or(parent)` for every listed field of two raw account blocks.
macro_rules! inherit_fields {
    ($child:ident, $parent:ident; $($field:ident),* $(,)?) => {
        $( if $child.$field.is_none() { $child.$field = $parent.$field.clone(); } )*
    };
}
pub(crate) use inherit_fields;

#[cfg(test)]
mod tests {
    use super::valid_account_id;

    #[test]
    fn account_ids_follow_the_original_pattern() {
        assert!(valid_account_id("default") && valid_account_id("ops-2") && valid_account_id("9a"));
        assert!(!valid_account_id("Ops") && !valid_account_id("-x") && !valid_account_id(""));
    }
}
