//! Each rule of `$include`, on real files in a temporary directory.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::config::{ConfigError, ConfigErrorKind, load, validate_str};
use crate::env::Environment;

use super::IncludeProblem;

/// A config directory: `openclaw.json` plus whatever files a test writes.
struct Dir {
    tmp: tempfile::TempDir,
}

impl Dir {
    fn new() -> Self {
        Self {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn write(&self, name: &str, text: &str) -> &Self {
        let path = self.path(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    /// Loads and validates `openclaw.json`.
    fn load(
        &self,
        roots: &[PathBuf],
        env: &[(&str, &str)],
    ) -> Result<crate::config::Config, ConfigError> {
        let env = Environment::from_vars(env.iter().copied());
        Ok(load(&self.path("openclaw.json"), roots, &env)?.expect("openclaw.json exists"))
    }

    /// `meta` after merging (an untyped section, so any JSON shape round-trips).
    fn meta(&self) -> Value {
        self.load(&[], &[]).unwrap().untyped["meta"].clone()
    }

    fn error(&self) -> ConfigError {
        self.error_with(&[])
    }

    fn error_with(&self, roots: &[PathBuf]) -> ConfigError {
        self.load(roots, &[]).unwrap_err()
    }
}

fn problem(err: &ConfigError) -> &IncludeProblem {
    match &err.kind {
        ConfigErrorKind::Include { problem, .. } => problem,
        other => panic!("expected an include error, got {other:?}: {err}"),
    }
}

fn show(path: &Path) -> String {
    path.display().to_string()
}

#[test]
fn an_include_alone_replaces_the_object_and_nests_relative_to_its_own_file() {
    let dir = Dir::new();
    dir.write("openclaw.json", "{meta: {$include: './sub/a.json5'}}")
        .write(
            "sub/a.json5",
            "{from: 'a', deeper: {$include: './b.json5'}}",
        )
        .write("sub/b.json5", "[1, 2]");
    assert_eq!(dir.meta(), json!({"from": "a", "deeper": [1, 2]}));
}

#[test]
fn sibling_keys_deep_merge_over_the_included_object() {
    let dir = Dir::new();
    dir.write(
        "openclaw.json",
        "{meta: {$include: 'base.json5', name: 'main', list: [3], nested: {b: 2}}}",
    )
    .write(
        "base.json5",
        "{name: 'base', list: [1, 2], nested: {a: 1, b: 1}, only: true}",
    );
    assert_eq!(
        dir.meta(),
        json!({"name": "main", "list": [1, 2, 3], "nested": {"a": 1, "b": 2}, "only": true})
    );
}

#[test]
fn an_array_of_includes_merges_left_to_right() {
    let dir = Dir::new();
    dir.write(
        "openclaw.json",
        "{meta: {$include: ['a.json5', 'b.json5']}}",
    )
    .write("a.json5", "{x: 'a', list: ['a'], keep: 1}")
    .write("b.json5", "{x: 'b', list: ['b']}");
    assert_eq!(dir.meta(), json!({"x": "b", "list": ["a", "b"], "keep": 1}));
}

#[test]
fn the_same_file_twice_is_not_a_circle_and_includes_work_inside_arrays() {
    let dir = Dir::new();
    dir.write(
        "openclaw.json",
        "{meta: {one: {$include: 'c.json5'}, two: {$include: 'c.json5'}, list: [{$include: 'c.json5'}]}}",
    )
    .write("c.json5", "{c: 1}");
    assert_eq!(
        dir.meta(),
        json!({"one": {"c": 1}, "two": {"c": 1}, "list": [{"c": 1}]})
    );
}

#[test]
fn sibling_keys_need_an_object_to_merge_into() {
    let dir = Dir::new();
    dir.write(
        "openclaw.json",
        "{\n  meta: {\n    $include: 'list.json5',\n    x: 1,\n  },\n}",
    )
    .write("list.json5", "[1]");
    let err = dir.error();
    assert!(matches!(
        problem(&err),
        IncludeProblem::SiblingsNeedObject { found: "an array" }
    ));
    assert_eq!(err.file, show(&dir.path("openclaw.json")));
    assert_eq!(err.key_path.as_deref(), Some("meta.$include"));
    assert_eq!(err.line, Some(3));
    assert!(
        err.to_string()
            .contains("include an object, or move the other keys out"),
        "{err}"
    );
}

#[test]
fn a_circle_is_refused_with_its_chain() {
    let dir = Dir::new();
    dir.write("openclaw.json", "{meta: {$include: 'a.json5'}}")
        .write("a.json5", "{inner: {$include: 'b.json5'}}")
        .write("b.json5", "{\n  back: {$include: './a.json5'},\n}");
    let err = dir.error();
    let chain = [
        dir.path("openclaw.json"),
        dir.path("a.json5"),
        dir.path("b.json5"),
        dir.path("a.json5"),
    ];
    assert!(matches!(problem(&err), IncludeProblem::Circular { chain: c } if c == &chain));
    // The error is in the file holding the closing include, at its merged key path.
    assert_eq!(err.file, show(&dir.path("b.json5")));
    assert_eq!(err.key_path.as_deref(), Some("meta.inner.back.$include"));
    assert_eq!(err.line, Some(2));
    let text = err.to_string();
    let shown: Vec<String> = chain.iter().map(|p| show(p)).collect();
    assert!(text.contains(&shown.join(" -> ")), "{text}");
    assert!(text.contains("cannot include \"./a.json5\""), "{text}");
}

#[test]
fn includes_nest_ten_files_deep_and_no_deeper() {
    let chain = |files: usize| {
        let dir = Dir::new();
        dir.write("openclaw.json", "{meta: {$include: 'f1.json5'}}");
        for i in 1..files {
            dir.write(
                &format!("f{i}.json5"),
                &format!("{{next: {{$include: 'f{}.json5'}}}}", i + 1),
            );
        }
        dir.write(&format!("f{files}.json5"), "{last: true}");
        dir
    };
    chain(10).meta();
    let dir = chain(11);
    let err = dir.error();
    assert!(matches!(problem(&err), IncludeProblem::TooDeep), "{err}");
    assert_eq!(err.file, show(&dir.path("f10.json5")));
}

#[test]
fn files_over_two_mebibytes_are_refused() {
    let dir = Dir::new();
    let padding = " ".repeat(super::MAX_FILE_BYTES as usize - 2);
    dir.write("openclaw.json", "{meta: {$include: 'big.json5'}}")
        .write("big.json5", &format!("{{}}{padding}"));
    assert_eq!(dir.meta(), json!({}));
    dir.write("big.json5", &format!("{{}}{padding} "));
    let err = dir.error();
    assert!(
        matches!(problem(&err), IncludeProblem::TooLarge { size, .. } if *size == super::MAX_FILE_BYTES + 1),
        "{err}"
    );
}

#[test]
fn paths_outside_the_config_directory_need_an_include_root() {
    let outside = Dir::new();
    outside.write("shared.json5", "{shared: true}");
    let dir = Dir::new();
    let escape = format!("{}/shared.json5", outside.tmp.path().display());
    dir.write(
        "openclaw.json",
        &format!("{{meta: {{$include: '{escape}'}}}}"),
    );
    let err = dir.error();
    assert!(
        matches!(problem(&err), IncludeProblem::OutsideRoots { .. }),
        "{err}"
    );
    let text = err.to_string();
    assert!(text.contains("OPENCLAW_INCLUDE_ROOTS"), "{text}");
    assert_eq!(err.key_path.as_deref(), Some("meta.$include"));

    // `..` is judged lexically, before touching the file system.
    dir.write("openclaw.json", "{meta: {$include: '../nope.json5'}}");
    assert!(matches!(
        problem(&dir.error()),
        IncludeProblem::OutsideRoots { .. }
    ));

    dir.write(
        "openclaw.json",
        &format!("{{meta: {{$include: '{escape}'}}}}"),
    );
    let config = dir.load(&[outside.tmp.path().to_owned()], &[]).unwrap();
    assert_eq!(config.untyped["meta"], json!({"shared": true}));
}

#[test]
fn a_symlink_out_of_the_config_directory_is_refused_unless_its_target_is_allowed() {
    let outside = Dir::new();
    outside.write("secret.json5", "{secret: true}");
    let dir = Dir::new();
    std::os::unix::fs::symlink(outside.path("secret.json5"), dir.path("link.json5")).unwrap();
    dir.write("openclaw.json", "{meta: {$include: './link.json5'}}");
    let err = dir.error();
    assert!(
        matches!(problem(&err), IncludeProblem::SymlinkOutsideRoots { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("is a symlink to"), "{err}");
    let config = dir.load(&[outside.tmp.path().to_owned()], &[]).unwrap();
    assert_eq!(config.untyped["meta"], json!({"secret": true}));
}

#[test]
fn hard_links_nul_bytes_and_over_long_paths_are_refused() {
    let dir = Dir::new();
    dir.write("real.json5", "{}");
    std::fs::hard_link(dir.path("real.json5"), dir.path("hard.json5")).unwrap();
    dir.write("openclaw.json", "{meta: {$include: 'hard.json5'}}");
    assert!(matches!(
        problem(&dir.error()),
        IncludeProblem::HardLinked { links: 2, .. }
    ));

    dir.write(
        "openclaw.json",
        r#"{"meta": {"$include": "a\u0000.json5"}}"#,
    );
    assert!(matches!(problem(&dir.error()), IncludeProblem::NulByte));

    let long = "x/".repeat(super::MAX_PATH_LEN / 2);
    dir.write(
        "openclaw.json",
        &format!("{{meta: {{$include: '{long}'}}}}"),
    );
    assert!(matches!(
        problem(&dir.error()),
        IncludeProblem::TooLong { .. }
    ));
    let long = "x/".repeat(super::MAX_PATH_LEN / 2 - 4);
    dir.write(
        "openclaw.json",
        &format!("{{meta: {{$include: '{long}'}}}}"),
    );
    assert!(matches!(
        problem(&dir.error()),
        IncludeProblem::ResolvedTooLong { .. }
    ));
}

#[test]
fn an_include_must_name_paths() {
    let dir = Dir::new();
    dir.write("openclaw.json", "{meta: {$include: 5}}");
    let err = dir.error();
    assert!(matches!(
        problem(&err),
        IncludeProblem::NotAPath { found: "a number" }
    ));
    assert_eq!(err.key_path.as_deref(), Some("meta.$include"));
    dir.write("openclaw.json", "{meta: {$include: ['a.json5', null]}}")
        .write("a.json5", "{}");
    let err = dir.error();
    assert!(matches!(
        problem(&err),
        IncludeProblem::NotAPath { found: "null" }
    ));
    assert_eq!(err.key_path.as_deref(), Some("meta.$include[1]"));
}

#[test]
fn a_missing_or_broken_file_names_the_include_the_including_file_and_the_key() {
    let dir = Dir::new();
    dir.write(
        "openclaw.json",
        "{\n  gateway: {\n    $include: './gw.json5',\n  },\n}",
    );
    let err = dir.error();
    assert!(
        matches!(problem(&err), IncludeProblem::Missing { .. }),
        "{err}"
    );
    let text = err.to_string();
    let main = show(&dir.path("openclaw.json"));
    assert!(
        text.starts_with(&format!(
            "{main}:3:15: gateway.$include: cannot include \"./gw.json5\": {} does not exist",
            show(&dir.path("gw.json5"))
        )),
        "{text}"
    );

    dir.write("gw.json5", "{\n  mode: 'local',,\n}");
    let err = dir.error();
    assert!(
        matches!(
            problem(&err),
            IncludeProblem::Syntax {
                position: Some((2, 17)),
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains(&format!(
            "{}:2:17: JSON5 parse failed",
            show(&dir.path("gw.json5"))
        )),
        "{err}"
    );
}

#[test]
fn variables_are_substituted_after_merging_and_errors_point_into_the_included_file() {
    let dir = Dir::new();
    dir.write(
        "openclaw.json",
        "{\n  gateway: {$include: 'gw.json5', port: 3000},\n}",
    )
    .write(
        "gw.json5",
        "{\n  mode: 'local',\n  auth: {mode: 'token', token: '${GW_TOKEN}'},\n}",
    );
    let config = dir.load(&[], &[("GW_TOKEN", "t0k")]).unwrap();
    assert_eq!(config.gateway.port.unwrap().get(), 3000);
    let token = config.gateway.auth.unwrap().token.unwrap();
    assert_eq!(
        token
            .resolve(&Environment::default())
            .unwrap()
            .unwrap()
            .expose(),
        "t0k"
    );

    let err = dir.load(&[], &[]).unwrap_err();
    assert!(matches!(&err.kind, ConfigErrorKind::MissingEnvVar(v) if v == "GW_TOKEN"));
    assert_eq!(err.file, show(&dir.path("gw.json5")));
    assert_eq!(
        (err.line, err.key_path.as_deref()),
        (Some(3), Some("gateway.auth.token"))
    );

    // A schema error in an included key points at that file; one in a sibling at the main file.
    dir.write("gw.json5", "{\n  mode: 'local',\n  bogus: 1,\n}");
    let err = dir.error();
    assert_eq!(err.file, show(&dir.path("gw.json5")));
    assert_eq!(
        (err.line, err.key_path.as_deref()),
        (Some(3), Some("gateway.bogus"))
    );
    dir.write("gw.json5", "{mode: 'local', port: 1}").write(
        "openclaw.json",
        "{\n  gateway: {$include: 'gw.json5',\n    port: 0},\n}",
    );
    let err = dir.error();
    assert_eq!(err.file, show(&dir.path("openclaw.json")));
    assert_eq!(
        (err.line, err.key_path.as_deref()),
        (Some(3), Some("gateway.port"))
    );
}

#[test]
fn loading_never_writes_any_file() {
    let dir = Dir::new();
    dir.write("openclaw.json", "{meta: {$include: 'a.json5'}}")
        .write("a.json5", "{inner: {$include: 'a.json5'}}");
    let before: Vec<_> = ["openclaw.json", "a.json5"]
        .iter()
        .map(|f| std::fs::read(dir.path(f)).unwrap())
        .collect();
    dir.error();
    let after: Vec<_> = ["openclaw.json", "a.json5"]
        .iter()
        .map(|f| std::fs::read(dir.path(f)).unwrap())
        .collect();
    assert_eq!(before, after);
    assert_eq!(std::fs::read_dir(dir.tmp.path()).unwrap().count(), 2);
}

#[test]
fn inline_config_refuses_include_with_the_fix() {
    let err = validate_str("{\n  gateway: {\n    $include: './gw.json5',\n  },\n}").unwrap_err();
    assert!(matches!(problem(&err), IncludeProblem::Inline));
    assert_eq!(err.key_path.as_deref(), Some("gateway.$include"));
    assert_eq!(err.line, Some(3));
    assert!(
        err.to_string()
            .contains("inline the included file's content"),
        "{err}"
    );
}
