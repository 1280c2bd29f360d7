//! The editor's file work against a temporary `LASSO_HOME`: what the pane's requests do to
//! the files (a save writes the profile and archives the replaced version; rollback restores
//! one; built-ins are never written).

use std::collections::BTreeMap;
use std::fs;

use super::*;
use crate::config::LassoHome;

struct Fixture {
    _tmp: tempfile::TempDir,
    home: LassoHome,
    store: ProfileStore,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = LassoHome::at(tmp.path().join("home")).unwrap_or_else(|e| panic!("{e}"));
    let project = tmp.path().join("project");
    fs::create_dir_all(project.join(".lasso/profiles")).unwrap_or_else(|e| panic!("{e}"));
    fs::write(
        project.join(".lasso/profiles/proj.toml"),
        "extends = \"minimal\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let store = ProfileStore::with_env(&home, Some(&project), &BTreeMap::new())
        .unwrap_or_else(|e| panic!("{e}"));
    Fixture {
        _tmp: tmp,
        home,
        store,
    }
}

fn written(ev: ProfileEvent) -> Result<String, String> {
    match ev {
        ProfileEvent::Written { result, .. } => result,
        other => panic!("{other:?}"),
    }
}

#[test]
fn save_writes_the_file_and_archives_the_old_version() {
    let f = fixture();
    let path = f.home.profiles_dir().join("team.toml");
    let save = |text: &str| {
        written(run(
            &f.store,
            ProfileRequest::Save {
                name: "team".into(),
                text: text.into(),
            },
        ))
    };
    let first = "# ours\nextends = \"development\"\n[resources]\nmemory = \"1g\"\n";
    assert_eq!(save(first), Ok(format!("saved team as {}", path.display())));
    assert_eq!(fs::read_to_string(&path).ok().as_deref(), Some(first));
    let second = "# ours\nextends = \"development\"\n[resources]\nmemory = \"2g\"\n";
    assert_eq!(
        save(second),
        Ok("saved team (previous version archived as v1)".into())
    );
    assert_eq!(fs::read_to_string(&path).ok().as_deref(), Some(second));
    let v1 = crate::config::history_dir(&path).join("v1.toml");
    assert_eq!(fs::read_to_string(&v1).ok().as_deref(), Some(first));

    // An invalid text is refused and nothing changes.
    let m = save("[resources]\nmemory = \"8m\"\n")
        .err()
        .unwrap_or_default();
    assert!(m.contains("resources.memory"), "{m}");
    assert_eq!(fs::read_to_string(&path).ok().as_deref(), Some(second));

    // The history lists v1 with its effective change to the current file.
    let ProfileEvent::History(Ok(h)) = run(
        &f.store,
        ProfileRequest::History {
            name: "team".into(),
        },
    ) else {
        panic!("history")
    };
    assert_eq!(h.versions.len(), 1);
    assert_eq!(h.versions[0].entry.version, 1);
    assert_eq!(
        h.versions[0].changes,
        vec!["resources.memory: \"1g\" -> \"2g\""]
    );

    // Rollback restores v1 and archives what it replaced.
    let r = written(run(
        &f.store,
        ProfileRequest::Rollback {
            name: "team".into(),
            version: 1,
        },
    ));
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(fs::read_to_string(&path).ok().as_deref(), Some(first));
    let v2 = crate::config::history_dir(&path).join("v2.toml");
    assert_eq!(fs::read_to_string(&v2).ok().as_deref(), Some(second));

    // Delete keeps a version too.
    let d = written(run(
        &f.store,
        ProfileRequest::Delete {
            name: "team".into(),
        },
    ));
    assert_eq!(d, Ok("deleted team (kept in its history as v3)".into()));
    assert!(!path.exists());
}

#[test]
fn builtins_and_project_profiles_are_read_only() {
    let f = fixture();
    let m = written(run(
        &f.store,
        ProfileRequest::Save {
            name: "strict".into(),
            text: "extends = \"strict\"\n".into(),
        },
    ));
    assert!(m.err().unwrap_or_default().contains("read-only"));
    assert!(!f.home.profiles_dir().join("strict.toml").exists());
    let d = written(run(
        &f.store,
        ProfileRequest::Delete {
            name: "proj".into(),
        },
    ));
    assert!(
        d.is_err(),
        "a project's file is not the user's to delete: {d:?}"
    );

    let ProfileEvent::Listed(Ok(rows)) = run(&f.store, ProfileRequest::List) else {
        panic!("list")
    };
    let kind = |n: &str| {
        rows.iter()
            .find(|r| r.name == n)
            .map(|r| (r.kind, r.extends.clone()))
    };
    assert_eq!(
        kind("proj"),
        Some((SourceKind::Project, Some("minimal".into())))
    );
    assert_eq!(kind("strict"), Some((SourceKind::Builtin, None)));

    let ProfileEvent::Opened(Ok(o)) = run(
        &f.store,
        ProfileRequest::Open {
            name: "strict".into(),
        },
    ) else {
        panic!("open")
    };
    assert_eq!(o.kind, SourceKind::Builtin);
    assert!(o.kind.read_only());
    assert!(o.text.contains("name = \"strict\""), "{}", o.text);
    assert!(o.saved.is_some());
    // A built-in extends nothing: it inherits the strict defaults.
    assert_eq!(o.inherited["resources"]["memory"], "512m");

    let ProfileEvent::Inherited { result, .. } = run(
        &f.store,
        ProfileRequest::Inherited {
            name: "mine".into(),
            extends: Some("development".into()),
        },
    ) else {
        panic!("inherited")
    };
    let dev = f.store.resolve("development").map_err(|e| e.to_string());
    let want = dev.map(|p| serde_json::to_value(p.network.mode).unwrap_or_default());
    assert_eq!(result.map(|v| v["network"]["mode"].clone()), want);
}
