//! Every example must parse and pass validation (with placeholder secrets),
//! so the README's commands never start with an error.

use openclaw_operator::crd::SecretSource;
use openclaw_operator::dereference::dereference;
use openclaw_operator::secrets::{ResolveContext, ResolveError, SecretResolver, SecretValue};
use openclaw_operator::source::DirectorySource;
use openclaw_operator::validate::validate;

struct Placeholder;

impl SecretResolver for Placeholder {
    fn resolve(
        &self,
        _: &SecretSource,
        _: &ResolveContext<'_>,
    ) -> Result<SecretValue, ResolveError> {
        Ok(SecretValue::new("placeholder"))
    }
}

#[test]
fn examples_parse_and_validate() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");
    let (snap, _) = DirectorySource::new(vec![dir.into()]).refresh();
    assert!(snap.file_errors.is_empty(), "{:?}", snap.file_errors);
    let names: Vec<_> = snap.resources.keys().map(|k| k.name.clone()).collect();
    for expected in ["quickstart", "discord-bot", "private-claw", "holiday-claw"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    for (key, declared) in &snap.resources {
        let obj = declared
            .object
            .as_ref()
            .unwrap_or_else(|e| panic!("{key}: {e}"));
        let deref = dereference(key, &obj.spec, &Placeholder, None);
        if let Err(e) = validate(key, &obj.spec, deref) {
            panic!("{key}: {e}");
        }
    }
}
