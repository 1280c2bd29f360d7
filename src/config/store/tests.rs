use std::collections::BTreeMap;

use super::*;
use crate::config::enums::NetworkMode;
use crate::config::exchange::export;

/// A temporary home, project and store.
struct Fixture {
    _tmp: tempfile::TempDir,
    home: LassoHome,
    project: PathBuf,
    store: ProfileStore,
}

fn fixture() -> Fixture {
    let tmp = match tempfile::tempdir() {
        Ok(t) => t,
        Err(e) => panic!("tempdir: {e}"),
    };
    let home = match LassoHome::at(tmp.path().join("home")) {
        Ok(h) => h,
        Err(e) => panic!("{e}"),
    };
    let project = tmp.path().join("project");
    let store = match ProfileStore::with_env(&home, Some(&project), &BTreeMap::new()) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    Fixture {
        _tmp: tmp,
        home,
        project,
        store,
    }
}

impl Fixture {
    fn project_profile(&self, name: &str, text: &str) -> PathBuf {
        let dir = self.project.join(".lasso").join("profiles");
        write(&dir, name, text)
    }

    fn home_profile(&self, name: &str, text: &str) -> PathBuf {
        write(&self.home.profiles_dir(), name, text)
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    if let Err(e) = fs::create_dir_all(dir) {
        panic!("{e}")
    }
    let path = dir.join(format!("{name}.toml"));
    if let Err(e) = fs::write(&path, text) {
        panic!("{e}")
    }
    path
}

fn err<T: fmt::Debug>(r: Result<T, ConfigError>) -> String {
    match r {
        Ok(v) => format!("unexpected success: {v:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn builtins_resolve_from_an_empty_store() {
    let f = fixture();
    for name in builtin_names() {
        let r = f.store.resolve_detailed(&name).map_err(|e| e.to_string());
        let Ok(r) = r else { panic!("{r:?}") };
        assert_eq!(r.profile.name, name);
        assert_eq!(r.source, ProfileSource::Builtin);
        assert_eq!(r.chain.len(), 1);
    }
}

#[test]
fn search_path_order_project_env_home() {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string());
    let Ok(tmp) = tmp else { panic!("tempdir") };
    let Ok(home) = LassoHome::at(tmp.path().join("h")) else {
        panic!("home")
    };
    let env_dir = tmp.path().join("envdir");
    let env: BTreeMap<String, String> = [(
        "LASSO_PROFILE_DIR".to_string(),
        format!("{}:", env_dir.display()),
    )]
    .into();
    let project = tmp.path().join("p");
    let store = ProfileStore::with_env(&home, Some(&project), &env).map_err(|e| e.to_string());
    let Ok(store) = store else {
        panic!("{store:?}")
    };
    assert_eq!(
        store.search_path(),
        &[
            project.join(".lasso/profiles"),
            env_dir.clone(),
            home.profiles_dir()
        ]
    );
    let body = |d: &str| format!("description = \"{d}\"\n[commands]\nwhitelist = [\"ls\"]\n");
    write(&home.profiles_dir(), "team", &body("home"));
    let r = store.resolve("team").map(|p| p.description);
    assert_eq!(r.ok().as_deref(), Some("home"));
    // Each earlier layer may take the name only to refine the later one.
    let refine = |d: &str| format!("extends = \"team\"\ndescription = \"{d}\"\n");
    write(&env_dir, "team", &refine("env"));
    assert_eq!(
        store.resolve("team").map(|p| p.description).ok().as_deref(),
        Some("env")
    );
    write(&project.join(".lasso/profiles"), "team", &refine("project"));
    let r = store.resolve_detailed("team").map_err(|e| e.to_string());
    let Ok(r) = r else { panic!("{r:?}") };
    assert_eq!(r.profile.description, "project");
    assert_eq!(r.chain.len(), 3);
    assert_eq!(
        r.shadows,
        Some(ProfileSource::File(env_dir.join("team.toml")))
    );

    let bad: BTreeMap<String, String> =
        [("LASSO_PROFILE_DIR".to_string(), "relative/dir".to_string())].into();
    let m = err(ProfileStore::with_env(&home, None, &bad));
    assert!(
        m.contains("LASSO_PROFILE_DIR") && m.contains("relative"),
        "{m}"
    );
}

#[test]
fn inheritance_can_tighten_what_a_parent_opened() {
    let f = fixture();
    f.home_profile(
        "loose",
        "[commands]\nwhitelist = [\"ls\", \"curl\"]\nallow_shell_operators = true\n\
         allow_code_eval = true\n[network]\nmode = \"full\"\nblocked_ports = [25]\n",
    );
    f.project_profile(
        "tight",
        "extends = \"loose\"\n[commands]\nallow_shell_operators = false\n[network]\nmode = \"none\"\n",
    );
    let p = f.store.resolve("tight").map_err(|e| e.to_string());
    let Ok(p) = p else { panic!("{p:?}") };
    assert_eq!(p.name, "tight");
    assert!(
        !p.commands.allow_shell_operators,
        "child turned shell operators back off"
    );
    assert_eq!(
        p.network.mode,
        NetworkMode::None,
        "child closed the network"
    );
    assert!(
        p.commands.allow_code_eval,
        "fields the child does not set are inherited"
    );
    assert_eq!(
        p.commands.whitelist,
        vec!["curl".to_string(), "ls".to_string()]
    );
    assert!(!p.gate_policy().allow_shell_operators);
}

#[test]
fn extending_a_builtin_from_development() {
    let f = fixture();
    f.project_profile(
        "dev-offline",
        "extends = \"development\"\n[network]\nmode = \"none\"\nallowed_domains = []\n",
    );
    let r = f
        .store
        .resolve_detailed("dev-offline")
        .map_err(|e| e.to_string());
    let Ok(r) = r else { panic!("{r:?}") };
    assert_eq!(r.profile.network.mode, NetworkMode::None);
    assert!(r.profile.commands.allow_shell_operators);
    assert_eq!(r.chain.len(), 2);
    assert_eq!(
        r.chain[1],
        ("development".to_string(), ProfileSource::Builtin)
    );
    // Forgetting to clear the parent's allowed_domains is reported, not silently dropped.
    f.project_profile(
        "dev-offline2",
        "extends = \"development\"\n[network]\nmode = \"none\"\n",
    );
    let m = err(f.store.resolve("dev-offline2"));
    assert!(
        m.contains("dev-offline2.toml: network.allowed_domains: only applies when"),
        "{m}"
    );
}

#[test]
fn a_builtin_name_must_extend_the_builtin() {
    let f = fixture();
    let path = f.project_profile("strict", "[commands]\nwhitelist = [\"ls\", \"curl\"]\n");
    let m = err(f.store.resolve("strict"));
    assert!(
        m.starts_with(&format!(
            "{}: name \"strict\" is the name of a built-in profile",
            path.display()
        )),
        "{m}"
    );
    // A refinement that extends the built-in is fine and resolves through it.
    f.project_profile(
        "strict",
        "extends = \"strict\"\n[resources]\nmemory = \"1g\"\n",
    );
    let r = f
        .store
        .resolve_detailed("strict")
        .map_err(|e| e.to_string());
    let Ok(r) = r else { panic!("{r:?}") };
    assert_eq!(r.profile.resources.memory.to_string(), "1g");
    assert!(!r.profile.commands.allow_shell_operators);
    assert_eq!(r.chain[1].1, ProfileSource::Builtin);
    // Two layers refining the same built-in chain through each other.
    f.home_profile("strict", "extends = \"strict\"\n[resources]\npids = 64\n");
    let r = f
        .store
        .resolve_detailed("strict")
        .map_err(|e| e.to_string());
    let Ok(r) = r else { panic!("{r:?}") };
    assert_eq!(r.chain.len(), 3);
    assert_eq!(
        (
            r.profile.resources.pids,
            r.profile.resources.memory.to_string()
        ),
        (64, "1g".into())
    );
}

#[test]
fn cycles_and_unknown_parents() {
    let f = fixture();
    f.project_profile("a", "extends = \"b\"\n");
    f.project_profile("b", "extends = \"a\"\n");
    assert_eq!(
        err(f.store.resolve("a")),
        "profile inheritance cycle: a -> b -> a (remove one of these extends)"
    );
    f.project_profile("c", "extends = \"nope\"\n");
    let m = err(f.store.resolve("c"));
    assert!(
        m.starts_with("profile \"nope\" not found (extends in "),
        "{m}"
    );
    assert!(
        m.contains(&f.home.profiles_dir().display().to_string()),
        "{m}"
    );
    assert!(m.contains("built-in profiles (minimal, strict"), "{m}");
    let m = err(f.store.resolve("missing"));
    assert!(
        m.starts_with("profile \"missing\" not found; searched "),
        "{m}"
    );
}

#[test]
fn load_by_path_and_name_checks() {
    let f = fixture();
    let dir = f.project.join("elsewhere");
    let path = write(
        &dir,
        "mine",
        "name = \"other\"\n[commands]\nwhitelist = [\"ls\"]\n",
    );
    let p = f.store.resolve(&path.display().to_string()).map(|p| p.name);
    assert_eq!(p.ok().as_deref(), Some("other"));
    let loaded = f.store.load(&path.display().to_string()).map(|l| l.source);
    assert_eq!(loaded.ok(), Some(ProfileSource::File(path.clone())));
    // Found by name, the declared name must match the file name.
    f.home_profile("x", "name = \"y\"\n[commands]\nwhitelist = [\"ls\"]\n");
    let m = err(f.store.resolve("x"));
    assert!(
        m.contains("name = \"y\" does not match the file name"),
        "{m}"
    );
    assert!(err(f.store.load("Bad Name")).contains("expected a profile name"));
}

#[test]
fn list_shows_sources_and_problems() {
    let f = fixture();
    f.project_profile("team", "description = \"ours\"\nextends = \"team\"\n");
    f.project_profile("broken", "[commands]\nmode = \"whitelst\"\n");
    f.home_profile(
        "team",
        "description = \"shadowed\"\n[commands]\nwhitelist = [\"ls\"]\n",
    );
    let list = f.store.list().map_err(|e| e.to_string());
    let Ok(list) = list else { panic!("{list:?}") };
    let names: Vec<&str> = list.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "broken",
            "team",
            "minimal",
            "strict",
            "offline",
            "development",
            "open"
        ]
    );
    assert_eq!(list[1].description, "ours");
    assert!(
        list[0]
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("whitelst"))
    );
    assert_eq!(list[2].source, ProfileSource::Builtin);
    assert_eq!(
        list[1].shadows,
        Some(ProfileSource::File(f.home.profiles_dir().join("team.toml")))
    );
    assert!(list.iter().all(|i| i.name == "team" || i.shadows.is_none()));
    assert!(list.iter().skip(1).all(|i| i.problem.is_none()));
}

#[test]
fn init_project_writes_a_full_renamed_copy() {
    let f = fixture();
    let path = f
        .store
        .init_project(&f.project, "development", false)
        .map_err(|e| e.to_string());
    let Ok(path) = path else { panic!("{path:?}") };
    assert_eq!(path, f.project.join(".lasso/profile.toml"));
    assert_eq!(f.store.project_profile(), Some(path.clone()));
    let text = fs::read_to_string(&path).unwrap_or_default();
    assert!(text.starts_with(
        "# Project profile written by `lasso init` from profile \"development\" (builtin)"
    ));
    let p = f
        .store
        .resolve(&path.display().to_string())
        .map_err(|e| e.to_string());
    let Ok(p) = p else { panic!("{p:?}") };
    assert_eq!(p.name, "development-project");
    let dev = f.store.resolve("development").map_err(|e| e.to_string());
    let Ok(mut dev) = dev else { panic!("{dev:?}") };
    dev.name = p.name.clone();
    assert_eq!(
        p, dev,
        "the copy is complete: same content apart from the name"
    );
    let again = err(f.store.init_project(&f.project, "strict", false));
    assert!(
        again.ends_with("profile.toml already exists; use --force to overwrite it"),
        "{again}"
    );
    let forced = f.store.init_project(&f.project, "strict", true);
    assert!(forced.is_ok());
    let p = f.store.resolve(&path.display().to_string()).map(|p| p.name);
    assert_eq!(p.ok().as_deref(), Some("strict-project"));
}

#[test]
fn import_verifies_renames_and_saves() {
    let f = fixture();
    let strict = f.store.resolve("strict").map_err(|e| e.to_string());
    let Ok(strict) = strict else {
        panic!("{strict:?}")
    };
    let Ok(text) = export(&strict) else {
        panic!("export")
    };
    // Its own name is a built-in's: importing without a new name is refused.
    assert!(
        err(f
            .store
            .import(&text, None, "strict.export.toml", false, None))
        .contains("built-in")
    );
    let imported = f
        .store
        .import(&text, Some("pii"), "strict.export.toml", false, None);
    let Ok(imported) = imported.map_err(|e| e.to_string()) else {
        panic!("import failed")
    };
    assert_eq!(imported.path, f.home.profiles_dir().join("pii.toml"));
    assert_eq!(imported.original_name, "strict");
    assert_eq!(imported.original_hash, strict.hash());
    let saved = fs::read_to_string(&imported.path).unwrap_or_default();
    assert!(saved.starts_with("# Imported by lasso from strict.export.toml\n"));
    // The saved file resolves by name, integrity included.
    let p = f.store.resolve("pii").map_err(|e| e.to_string());
    let Ok(p) = p else { panic!("{p:?}") };
    let mut expected = strict.clone();
    expected.name = "pii".into();
    assert_eq!(p, expected);
    // No silent overwrite; --force replaces.
    let again = err(f.store.import(&text, Some("pii"), "x", false, None));
    assert!(again.contains("pii.toml already exists"), "{again}");
    assert!(f.store.import(&text, Some("pii"), "x", true, None).is_ok());
    // A saved import edited on disk no longer loads.
    let edited = saved.replace("memory = \"2g\"", "memory = \"64g\"");
    assert_ne!(edited, saved);
    assert!(fs::write(&imported.path, edited).is_ok());
    let m = err(f.store.resolve("pii"));
    assert!(m.contains("integrity check failed"), "{m}");
}

#[test]
fn renamed_tampered_export_is_refused() {
    let f = fixture();
    let Ok(dev) = f.store.resolve("development") else {
        panic!("dev")
    };
    let Ok(text) = export(&dev) else {
        panic!("export")
    };
    let tampered = text.replace("allow_code_eval = false", "allow_code_eval = true");
    assert_ne!(tampered, text);
    let m = err(f
        .store
        .import(&tampered, Some("mine"), "dev.toml", false, None));
    assert!(m.starts_with("dev.toml: integrity check failed"), "{m}");
    assert!(!f.home.profiles_dir().join("mine.toml").exists());
    let m = err(f.store.import(&text, Some("Bad"), "dev.toml", false, None));
    assert!(m.contains("name = \"Bad\" is not valid"), "{m}");
}

mod check_text;
mod lifecycle;
