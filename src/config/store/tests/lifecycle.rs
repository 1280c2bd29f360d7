//! The profile lifecycle rules: `_add` lists through inheritance, shadowing across search-path
//! layers, signed sharing with provenance, versions and rollback.

use super::*;
use crate::config::exchange::export_with;
use crate::config::signing::TeamKey;

fn key(b: u8) -> TeamKey {
    match TeamKey::from_bytes(&[b; 32]) {
        Ok(k) => k,
        Err(e) => panic!("{e}"),
    }
}

fn ok<T, E: fmt::Display>(r: Result<T, E>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn add_lists_extend_the_effective_parent_list() {
    let f = fixture();
    f.home_profile(
        "base",
        "[commands]\nwhitelist = [\"ls\", \"cat\"]\n[modes]\nobserve_add = [\"jq\"]\n\
         [filesystem]\nhidden_paths_add = [\"/etc/secret\"]\n",
    );
    f.project_profile(
        "child",
        "extends = \"base\"\n[commands]\nwhitelist_add = [\"git\"]\n\
         [network]\nmode = \"full\"\nblocked_ports_add = [25]\n",
    );
    f.project_profile(
        "grandchild",
        "extends = \"child\"\n[commands]\nwhitelist_add = [\"make\"]\n\
         [modes]\nobserve_add = [\"tree\"]\n",
    );
    let p = ok(f.store.resolve("grandchild"));
    assert_eq!(p.commands.whitelist, vec!["cat", "git", "ls", "make"]);
    // Over a parent that never set the list, `_add` extends the default.
    assert!(p.modes.observe.contains(&"jq".to_string()));
    assert!(
        p.modes.observe.contains(&"grep".to_string()),
        "defaults kept"
    );
    assert!(
        p.filesystem
            .hidden_paths
            .contains(&"/etc/secret".to_string())
    );
    assert!(
        p.filesystem
            .hidden_paths
            .contains(&"/etc/shadow".to_string())
    );
    assert_eq!(p.network.blocked_ports, vec![25]);
    // The resolved and exported forms are fully expanded.
    let toml = ok(to_toml_of(&p));
    assert!(!toml.contains("_add"), "{toml}");
    assert!(toml.contains("whitelist = [\n    \"cat\""), "{toml}");
    // Replacing in a later child drops what came before.
    f.project_profile(
        "reset",
        "extends = \"grandchild\"\n[commands]\nwhitelist = [\"id\"]\n",
    );
    assert_eq!(ok(f.store.resolve("reset")).commands.whitelist, vec!["id"]);
    // Both keys in one file: refused with both names and the position.
    let path = f.project_profile(
        "both",
        "extends = \"base\"\n[commands]\nwhitelist = [\"ls\"]\nwhitelist_add = [\"git\"]\n",
    );
    let m = err(f.store.resolve("both"));
    assert!(
        m.starts_with(&format!("{}:4:17: commands.whitelist_add:", path.display()))
            && m.contains("commands.whitelist and commands.whitelist_add are both set"),
        "{m}"
    );
}

fn to_toml_of(p: &Profile) -> Result<String, ConfigError> {
    crate::config::exchange::to_toml(p)
}

#[test]
fn a_project_cannot_silently_replace_a_user_or_team_profile() {
    let tmp = ok(tempfile::tempdir());
    let home = ok(LassoHome::at(tmp.path().join("h")));
    let team = tmp.path().join("team");
    let project = tmp.path().join("repo");
    let env: BTreeMap<String, String> =
        [("LASSO_PROFILE_DIR".to_string(), team.display().to_string())].into();
    let store = ok(ProfileStore::with_env(&home, Some(&project), &env));
    let user = write(
        &home.profiles_dir(),
        "work",
        "[commands]\nwhitelist = [\"ls\"]\n[network]\nmode = \"none\"\n",
    );
    // The malicious repository ships a `work` that opens everything.
    let evil = write(
        &project.join(".lasso/profiles"),
        "work",
        "[commands]\nmode = \"blacklist\"\nblacklist = []\nallow_shell_operators = true\n\
         [network]\nmode = \"full\"\n",
    );
    let m = err(store.resolve("work"));
    assert_eq!(
        m,
        format!(
            "{}: profile \"work\" shadows {} (a later entry of the search path) without \
             extending it; a profile that takes another's name must refine it: add \
             `extends = \"work\"` to {}, or give it another name",
            evil.display(),
            user.display(),
            evil.display()
        )
    );
    // `list` shows the refused file with its problem and what it shadows.
    let list = ok(store.list());
    let row = list.iter().find(|i| i.name == "work");
    assert!(row.is_some_and(|r| r.problem.as_deref() == Some(m.as_str())
        && r.shadows == Some(ProfileSource::File(user.clone()))));
    // A team directory shadowing the user's profile obeys the same rule.
    assert!(fs::remove_file(&evil).is_ok());
    let team_file = write(&team, "work", "[commands]\nwhitelist = [\"ls\", \"rm\"]\n");
    let m = err(store.resolve("work"));
    assert!(
        m.starts_with(&format!(
            "{}: profile \"work\" shadows {}",
            team_file.display(),
            user.display()
        )),
        "{m}"
    );
    // Refining is allowed, and every front end can see what is shadowed.
    write(
        &team,
        "work",
        "extends = \"work\"\n[resources]\npids = 32\n",
    );
    let r = ok(store.resolve_detailed("work"));
    assert_eq!(r.shadows, Some(ProfileSource::File(user.clone())));
    assert_eq!(r.profile.resources.pids, 32);
    assert_eq!(r.profile.network.mode, NetworkMode::None);
}

#[test]
fn signed_exports_need_the_right_key_and_record_provenance() {
    let f = fixture();
    let dev = ok(f.store.resolve("development"));
    let team = key(1);
    let signed = ok(export_with(&dev, Some(&team)));
    assert!(signed.contains(&format!("key_id = \"{}\"", team.key_id())));
    // No key: refused, saying which key is needed.
    let m = err(f
        .store
        .import(&signed, Some("dev"), "dev.toml", false, None));
    assert_eq!(
        m,
        format!(
            "dev.toml: the profile is signed with team key {}; pass --key FILE with that key to \
             verify and import it",
            team.key_id()
        )
    );
    // Wrong key: refused.
    let m = err(f
        .store
        .import(&signed, Some("dev"), "dev.toml", false, Some(&key(2))));
    assert!(
        m.starts_with(&format!("dev.toml: signed with team key {}", team.key_id())),
        "{m}"
    );
    // Unsigned export with a key: refused (a signature was expected).
    let unsigned = ok(export(&dev));
    let m = err(f
        .store
        .import(&unsigned, Some("dev"), "u.toml", false, Some(&team)));
    assert!(
        m.starts_with("u.toml: --key was given but the export is not signed"),
        "{m}"
    );
    assert!(
        !f.home.profiles_dir().join("dev.toml").exists(),
        "nothing written"
    );
    // The right key: imported under a new name, provenance recorded.
    let imported = ok(f
        .store
        .import(&signed, Some("dev"), "dev.toml", false, Some(&team)));
    assert_eq!(imported.key_id, Some(team.key_id()));
    assert_eq!(imported.original_hash, dev.hash());
    let r = ok(f.store.resolve_detailed("dev"));
    let p = r.provenance.clone().unwrap_or_default();
    assert_eq!(p.source.as_deref(), Some("dev.toml"));
    assert_eq!(p.original_name.as_deref(), Some("development"));
    assert_eq!(p.sha256, Some(dev.hash()));
    assert_eq!(p.key_id, Some(team.key_id()));
    assert!(p.imported_at.is_some_and(|t| t.ends_with('Z')));
    let mut expected = dev.clone();
    expected.name = "dev".into();
    assert_eq!(r.profile, expected, "provenance is not content");
}

#[test]
fn every_kind_of_tampering_is_refused_specifically() {
    let f = fixture();
    let dev = ok(f.store.resolve("development"));
    let team = key(3);
    let signed = ok(export_with(&dev, Some(&team)));
    let import =
        |text: &str, k: Option<&TeamKey>| err(f.store.import(text, Some("x"), "e.toml", false, k));
    let hash = dev.hash();
    let other = "0".repeat(64);
    // A field changed (signature still matches the recorded hash): the content check fails.
    let field = signed.replace("allow_code_eval = false", "allow_code_eval = true");
    assert_ne!(field, signed);
    assert!(import(&field, Some(&team)).starts_with("e.toml: integrity check failed"));
    // The hash changed to match edited content: the signature no longer verifies.
    let edited = dev.clone();
    let mut edited = edited;
    edited.commands.allow_code_eval = true;
    let rehashed = field.replace(&hash, &edited.hash());
    let m = import(&rehashed, Some(&team));
    assert!(
        m.starts_with("e.toml: signature check failed: integrity.signature does not match"),
        "{m}"
    );
    // Unsigned, the hash changed: refused.
    let unsigned = ok(export(&dev));
    let m = import(&unsigned.replace(&hash, &other), None);
    assert!(
        m.contains(&format!("integrity.sha256 = \"{other}\"")),
        "{m}"
    );
    // The signature changed.
    let sig = team.sign(&hash);
    let forged = signed.replace(&sig, &key(4).sign(&hash));
    assert!(import(&forged, Some(&team)).contains("signature check failed"));
    let garbled = signed.replace(&sig, "hmac-sha256:zz");
    assert!(import(&garbled, Some(&team)).contains("is not of the form"));
    // The signature removed but its key_id left: refused.
    let stripped: String = signed
        .lines()
        .filter(|l| !l.starts_with("signature"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(import(&stripped, None).contains("the signature was removed"));
    // The whole integrity block removed.
    let cut = signed
        .split("\n[integrity]")
        .next()
        .unwrap_or_default()
        .to_string();
    let m = import(&cut, Some(&team));
    assert!(m.starts_with("e.toml: no [integrity] table"), "{m}");
    assert!(!f.home.profiles_dir().join("x.toml").exists());
}

#[test]
fn saves_archive_versions_and_rollback_is_reversible() {
    let f = fixture();
    let v = |pids: u32| format!("[commands]\nwhitelist = [\"ls\"]\n[resources]\npids = {pids}\n");
    // Built-ins are read-only; invalid text writes nothing.
    assert!(err(f.store.save("strict", &v(100))).contains("built in and read-only"));
    assert!(err(f.store.history("strict")).contains("built-ins have no history"));
    let m = err(f.store.save("team", "[resources]\npids = -1\n"));
    assert!(m.contains("resources.pids = -1"), "{m}");
    assert!(!f.home.profiles_dir().join("team.toml").exists());
    let m = err(f.store.save("team", "name = \"other\"\n"));
    assert!(m.contains("does not match the file name"), "{m}");

    let first = ok(f.store.save("team", &v(100)));
    assert_eq!(first.archived, None);
    let second = ok(f.store.save("team", &v(200)));
    assert_eq!(second.archived.as_ref().map(|a| a.version), Some(1));
    ok(f.store.save("team", &v(300)));
    let h = ok(f.store.history("team"));
    assert_eq!(
        h.versions.iter().map(|e| e.version).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(h.versions[0].sha256, text_sha256(&v(100)));
    assert_eq!(h.current_sha256, Some(text_sha256(&v(300))));
    assert_eq!(h.versions[1].reason, "save");
    // Versions resolve in place, for diff.
    assert_eq!(
        ok(f.store.resolve_version("team", 1))
            .profile
            .resources
            .pids,
        100
    );
    assert!(err(f.store.resolve_version("team", 9)).contains("no version v9"));
    // Rollback archives the current version first, so it can be undone.
    let back = ok(f.store.rollback("team", 1));
    assert_eq!(back.profile.resources.pids, 100);
    assert_eq!(back.archived.as_ref().map(|a| a.version), Some(3));
    assert_eq!(ok(f.store.resolve("team")).resources.pids, 100);
    let h = ok(f.store.history("team"));
    assert_eq!(
        h.versions.last().map(|e| e.reason.as_str()),
        Some("rollback to v1")
    );
    ok(f.store.rollback("team", 3));
    assert_eq!(ok(f.store.resolve("team")).resources.pids, 300);
    // A broken current file can still be rolled back.
    assert!(fs::write(f.home.profiles_dir().join("team.toml"), "[[oops").is_ok());
    ok(f.store.rollback("team", 2));
    assert_eq!(ok(f.store.resolve("team")).resources.pids, 200);
}

#[test]
fn import_and_init_archive_what_they_replace() {
    let f = fixture();
    let strict = ok(f.store.resolve("strict"));
    let text = ok(export(&strict));
    ok(f.store.import(&text, Some("pii"), "a.toml", false, None));
    let again = ok(f.store.import(&text, Some("pii"), "b.toml", true, None));
    assert_eq!(again.archived.as_ref().map(|a| a.version), Some(1));
    let h = ok(f.store.history("pii"));
    assert_eq!(h.versions[0].reason, "import");
    let old = ok(fs::read_to_string(&h.versions[0].path));
    assert!(old.contains("source = \"a.toml\""), "{old}");

    ok(f.store.init_project(&f.project, "minimal", false));
    ok(f.store.init_project(&f.project, "strict", true));
    let path = f.project.join(".lasso/profile.toml");
    let h = ok(f.store.history(&path.display().to_string()));
    assert_eq!(h.versions.len(), 1);
    assert_eq!(h.versions[0].reason, "init");
    assert!(ok(fs::read_to_string(&h.versions[0].path)).contains("minimal-project"));
}

#[test]
fn delete_archives_user_profiles_and_refuses_others() {
    let f = fixture();
    let path = f.home_profile("mine", "[resources]\npids = 123\n");
    f.project_profile("theirs", "");
    let archived = ok(f.store.delete("mine"));
    assert_eq!(archived.map(|a| a.reason), Some("delete".to_string()));
    assert!(!path.exists());
    let kept = ok(fs::read_to_string(history_dir(&path).join("v1.toml")));
    assert!(kept.contains("pids = 123"), "{kept}");
    assert!(matches!(
        f.store.delete("mine"),
        Err(ConfigError::UnknownProfile { .. })
    ));
    assert!(matches!(
        f.store.delete("strict"),
        Err(ConfigError::BuiltinReadOnly { .. })
    ));
    // A project's profile is the project's, not the user's to delete from here.
    assert!(matches!(
        f.store.delete("theirs"),
        Err(ConfigError::UnknownProfile { .. })
    ));
    assert!(f.store.delete("../x").is_err());
}
