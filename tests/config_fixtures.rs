//! One bad-config fixture per failure mode (`tests/fixtures/config/<case>/`), each asserting
//! that the error quotes the file, the key and the value, with position where there is one.
//!
//! A case directory holds `case.toml` and either `profiles/` (used as `LASSO_PROFILE_DIR`,
//! `profile` is resolved from it) or an export file (`import`, optionally `rename`d).
//! `expect` lists substrings of the error message; `ok = true` marks a control case that
//! must succeed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lasso::config::{LassoHome, ProfileStore};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    profile: Option<String>,
    import: Option<String>,
    rename: Option<String>,
    #[serde(default)]
    expect: Vec<String>,
    #[serde(default)]
    ok: bool,
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .canonicalize()
        .or_else(|_| Path::new("/work/main/tests/fixtures/config").canonicalize())
        .unwrap_or_else(|e| panic!("fixtures directory: {e}"))
}

fn run(dir: &Path, case: &Case) -> Result<(), String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let home = LassoHome::at(tmp.path().join("home")).map_err(|e| e.to_string())?;
    let env: BTreeMap<String, String> = [(
        "LASSO_PROFILE_DIR".to_string(),
        dir.join("profiles").display().to_string(),
    )]
    .into();
    let store = ProfileStore::with_env(&home, None, &env).map_err(|e| e.to_string())?;
    match (&case.profile, &case.import) {
        (Some(name), None) => store.resolve(name).map(drop).map_err(|e| e.to_string()),
        (None, Some(file)) => {
            let path = dir.join(file);
            let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
            let origin = path.display().to_string();
            let imported = store
                .import(&text, case.rename.as_deref(), &origin, false, None)
                .map_err(|e| e.to_string())?;
            // A successful import must be loadable by its (new) name.
            store
                .resolve(&imported.profile.name)
                .map(drop)
                .map_err(|e| e.to_string())
        }
        _ => panic!(
            "{}: case.toml needs exactly one of profile, import",
            dir.display()
        ),
    }
}

#[test]
fn every_bad_config_fixture_fails_with_a_specific_message() {
    let root = fixtures_dir();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("case.toml").is_file())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 20,
        "expected the full fixture set, found {}",
        dirs.len()
    );
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(dir.join("case.toml")).unwrap_or_default();
        let case: Case = toml::from_str(&text).unwrap_or_else(|e| panic!("{name}/case.toml: {e}"));
        assert!(
            case.ok || !case.expect.is_empty(),
            "{name}: a failing case needs `expect`"
        );
        match (run(dir, &case), case.ok) {
            (Ok(()), true) => {}
            (Ok(()), false) => failures.push(format!("{name}: loaded without error")),
            (Err(msg), true) => failures.push(format!("{name}: control case failed: {msg}")),
            (Err(msg), false) => {
                for want in &case.expect {
                    if !msg.contains(want.as_str()) {
                        failures.push(format!("{name}:\n  message: {msg}\n  missing: {want}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
