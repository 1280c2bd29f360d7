//! The profile lifecycle through the `lasso` binary, offline: a malicious project directory
//! shadowing a user's profile, `_add` lists and `resolve`, signed and tampered exports,
//! renamed imports with provenance, history/rollback, `diff NAME@vN`, and the project lock.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{Lasso, assert_ok, code, text};

fn home_profile(l: &Lasso, name: &str, body: &str) -> PathBuf {
    let dir = l.home_path().join("profiles");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, body).unwrap();
    path
}

fn project_profile(dir: &Path, name: &str, body: &str) -> PathBuf {
    let d = dir.join(".lasso/profiles");
    std::fs::create_dir_all(&d).unwrap();
    let path = d.join(format!("{name}.toml"));
    std::fs::write(&path, body).unwrap();
    path
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs and expects exit 1 with `needle` on stderr.
fn fails_with(l: &Lasso, args: &[&str], needle: &str) -> String {
    let out = l.run(args);
    let err = text(&out.stderr);
    assert_eq!(
        code(&out),
        1,
        "lasso {args:?}: {}\n{err}",
        text(&out.stdout)
    );
    assert!(err.contains(needle), "lasso {args:?}: {err}");
    err
}

#[test]
fn a_malicious_project_cannot_weaken_a_users_profile_unseen() {
    let l = Lasso::new();
    let user = home_profile(
        &l,
        "work",
        "description = \"mine\"\n[commands]\nwhitelist = [\"ls\", \"cat\"]\n",
    );
    let dir = s(l.work_path()).to_string();
    let evil = project_profile(
        l.work_path(),
        "work",
        "[commands]\nmode = \"blacklist\"\nblacklist = []\nallow_shell_operators = true\n",
    );
    // Refused everywhere it would be used, naming both files.
    let err = fails_with(
        &l,
        &[
            "why",
            "--profile",
            "work",
            "--dir",
            &dir,
            "--",
            "rm",
            "-rf",
            "/",
        ],
        "shadows",
    );
    assert!(err.contains(s(&evil)) && err.contains(s(&user)), "{err}");
    fails_with(&l, &["profile", "show", "work", "--dir", &dir], s(&user));
    let out = l.run(&["create", "work", "--dir", &dir]);
    assert_eq!(code(&out), 1);
    assert!(
        text(&out.stderr).contains("shadows"),
        "{}",
        text(&out.stderr)
    );
    // `list` says what it is and what it shadows.
    let (out, list) = l.json(&["profile", "list", "--dir", &dir, "--json"]);
    assert_ok(&["profile", "list"], &out);
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "work")
        .unwrap()
        .clone();
    assert_eq!(row["source"]["file"], s(&evil), "{row}");
    assert_eq!(row["shadows"]["file"], s(&user), "{row}");
    assert!(
        row["problem"]
            .as_str()
            .unwrap()
            .contains("without extending it")
    );
    // A refinement is allowed and visible in show/list.
    std::fs::write(
        &evil,
        "extends = \"work\"\n[commands]\nwhitelist_add = [\"git\"]\n",
    )
    .unwrap();
    let out = l.run(&["profile", "show", "work", "--dir", &dir]);
    assert_ok(&["profile", "show"], &out);
    let shown = text(&out.stdout);
    assert!(
        shown.contains(&format!("# profile work from {}", s(&evil)))
            && shown.contains(&format!("# shadows {} (and extends it)", s(&user))),
        "{shown}"
    );
    let out = l.run(&["profile", "list", "--dir", &dir]);
    assert!(
        text(&out.stdout).contains(&format!("{} (shadows {})", s(&evil), s(&user))),
        "{}",
        text(&out.stdout)
    );
    // The built-in rule still holds for a project file named like a built-in.
    project_profile(
        l.work_path(),
        "strict",
        "[commands]\nwhitelist = [\"sh\"]\n",
    );
    fails_with(
        &l,
        &["profile", "show", "strict", "--dir", &dir],
        "is the name of a built-in profile",
    );
}

#[test]
fn resolve_prints_the_expanded_profile_and_its_chain() {
    let l = Lasso::new();
    home_profile(
        &l,
        "base",
        "extends = \"minimal\"\n[commands]\nwhitelist_add = [\"git\"]\n",
    );
    home_profile(
        &l,
        "child",
        "extends = \"base\"\n[commands]\nwhitelist_add = [\"make\"]\n",
    );
    let out = l.run(&["profile", "resolve", "child"]);
    assert_ok(&["profile", "resolve"], &out);
    let t = text(&out.stdout);
    assert!(t.contains("# extends: child ("), "{t}");
    assert!(t.contains("-> minimal (builtin)"), "{t}");
    assert!(!t.contains("_add"), "resolved output is expanded: {t}");
    let (out, v) = l.json(&["profile", "resolve", "child", "--json"]);
    assert_ok(&["profile", "resolve"], &out);
    let wl: Vec<&str> = v["profile"]["commands"]["whitelist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert!(
        wl.contains(&"git") && wl.contains(&"make") && wl.contains(&"ls"),
        "{wl:?}"
    );
    let chain: Vec<&str> = v["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(chain, vec!["child", "base", "minimal"]);
    assert_eq!(v["hash"].as_str().map(str::len), Some(64));
    // Both x and x_add in one file: exit 1, both keys named.
    home_profile(
        &l,
        "both",
        "[commands]\nwhitelist = [\"ls\"]\nwhitelist_add = [\"git\"]\n",
    );
    fails_with(
        &l,
        &["profile", "resolve", "both"],
        "commands.whitelist and commands.whitelist_add are both set",
    );
}

#[test]
fn signed_sharing_tampering_and_renamed_imports() {
    let l = Lasso::new();
    let w = l.work_path();
    let key = w.join("team.key");
    let out = l.run(&["profile", "keygen", "--output", s(&key)]);
    assert_ok(&["profile", "keygen"], &out);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(std::fs::read_to_string(&key).unwrap().trim().len() >= 64);
    fails_with(
        &l,
        &["profile", "keygen", "--output", s(&key)],
        "already exists",
    );
    let other = w.join("other.key");
    assert_ok(&["keygen"], &l.run(&["profile", "keygen", "-o", s(&other)]));

    let signed = w.join("dev.signed.toml");
    let out = l.run(&[
        "profile",
        "export",
        "development",
        "--output",
        s(&signed),
        "--sign-key",
        s(&key),
    ]);
    assert_ok(&["profile", "export"], &out);
    let text_signed = std::fs::read_to_string(&signed).unwrap();
    assert!(
        text_signed.contains("signature = \"hmac-sha256:"),
        "{text_signed}"
    );
    let unsigned = w.join("dev.toml");
    assert_ok(
        &["export"],
        &l.run(&["profile", "export", "development", "-o", s(&unsigned)]),
    );

    // Signed without --key, wrong key, unsigned with --key: all refused, nothing saved.
    fails_with(
        &l,
        &["profile", "import", s(&signed), "--name", "d1"],
        "pass --key FILE",
    );
    fails_with(
        &l,
        &[
            "profile",
            "import",
            s(&signed),
            "--name",
            "d1",
            "--key",
            s(&other),
        ],
        "signed with team key",
    );
    fails_with(
        &l,
        &[
            "profile",
            "import",
            s(&unsigned),
            "--name",
            "d1",
            "--key",
            s(&key),
        ],
        "the export is not signed",
    );
    assert!(!l.home_path().join("profiles/d1.toml").exists());

    // Tampered exports of every kind.
    let tamper = |name: &str, from: &str, to: &str, base: &str| {
        let t = base.replacen(from, to, 1);
        assert!(t != base, "{name}: tampering changed nothing");
        let p = w.join(format!("{name}.toml"));
        std::fs::write(&p, t).unwrap();
        p
    };
    let sig_line = text_signed
        .lines()
        .find(|l| l.starts_with("signature"))
        .unwrap()
        .to_string();
    let hash_line = text_signed
        .lines()
        .find(|l| l.starts_with("sha256"))
        .unwrap()
        .to_string();
    let field = tamper(
        "field",
        "allow_code_eval = false",
        "allow_code_eval = true",
        &text_signed,
    );
    fails_with(
        &l,
        &[
            "profile",
            "import",
            s(&field),
            "--name",
            "x",
            "--key",
            s(&key),
        ],
        "integrity check failed",
    );
    let hash = tamper(
        "hash",
        &hash_line,
        &format!("sha256 = \"{}\"", "a".repeat(64)),
        &text_signed,
    );
    fails_with(
        &l,
        &[
            "profile",
            "import",
            s(&hash),
            "--name",
            "x",
            "--key",
            s(&key),
        ],
        "signature check failed: integrity.signature does not match integrity.sha256",
    );
    let sig = tamper(
        "sig",
        &sig_line,
        &format!("signature = \"hmac-sha256:{}\"", "0".repeat(64)),
        &text_signed,
    );
    fails_with(
        &l,
        &[
            "profile",
            "import",
            s(&sig),
            "--name",
            "x",
            "--key",
            s(&key),
        ],
        "signature check failed",
    );
    let cut: String = text_signed
        .split("\n[integrity]")
        .next()
        .unwrap()
        .to_string();
    let removed = w.join("removed.toml");
    std::fs::write(&removed, cut).unwrap();
    fails_with(
        &l,
        &[
            "profile",
            "import",
            s(&removed),
            "--name",
            "x",
            "--key",
            s(&key),
        ],
        "no [integrity] table",
    );
    let unsigned_text = std::fs::read_to_string(&unsigned).unwrap();
    let plain = tamper(
        "plain",
        "memory = \"4g\"",
        "memory = \"8g\"",
        &unsigned_text,
    );
    fails_with(
        &l,
        &["profile", "import", s(&plain), "--name", "x"],
        "integrity check failed",
    );
    assert!(!l.home_path().join("profiles/x.toml").exists());

    // The right key, renamed: verified on the original content, provenance recorded.
    let out = l.run(&[
        "profile",
        "import",
        s(&signed),
        "--name",
        "team-dev",
        "--key",
        s(&key),
    ]);
    assert_ok(&["profile", "import"], &out);
    assert!(text(&out.stdout).contains("signature verified with team key"));
    let out = l.run(&["profile", "show", "team-dev"]);
    assert_ok(&["profile", "show"], &out);
    let shown = text(&out.stdout);
    assert!(
        shown.contains(&format!("# imported from {} at ", s(&signed)))
            && shown.contains("original name development")
            && shown.contains("# signature verified with team key"),
        "{shown}"
    );
    let (_, v) = l.json(&["profile", "show", "team-dev", "--json"]);
    assert_eq!(v["provenance"]["original_name"], "development");
    assert_eq!(v["provenance"]["source"], s(&signed));
    // Renaming did not need any hash edit: the saved copy verifies under its new name.
    assert_ok(&["validate"], &l.run(&["profile", "validate", "team-dev"]));
}

#[test]
fn history_rollback_and_diff_against_versions() {
    let l = Lasso::new();
    let w = l.work_path();
    let v1 = w.join("v1.toml");
    let v2 = w.join("v2.toml");
    let export = |name: &str, body: &str, path: &Path| {
        home_profile(&l, name, body);
        assert_ok(
            &["export"],
            &l.run(&["profile", "export", name, "-o", s(path)]),
        );
        std::fs::remove_file(l.home_path().join(format!("profiles/{name}.toml"))).unwrap();
    };
    export("src1", "[commands]\nwhitelist = [\"ls\"]\n", &v1);
    export("src2", "[commands]\nwhitelist = [\"ls\", \"curl\"]\n", &v2);
    assert_ok(
        &["import"],
        &l.run(&["profile", "import", s(&v1), "--name", "team"]),
    );
    fails_with(
        &l,
        &["profile", "import", s(&v2), "--name", "team"],
        "already exists",
    );
    let out = l.run(&["profile", "import", s(&v2), "--name", "team", "--force"]);
    assert_ok(&["import --force"], &out);
    assert!(
        text(&out.stdout).contains("archived as v1"),
        "{}",
        text(&out.stdout)
    );

    let (out, h) = l.json(&["profile", "history", "team", "--json"]);
    assert_ok(&["history"], &out);
    assert_eq!(h["versions"].as_array().unwrap().len(), 1);
    assert_eq!(h["versions"][0]["version"], 1);
    assert_eq!(h["versions"][0]["reason"], "import");
    assert_eq!(h["versions"][0]["sha256"].as_str().map(str::len), Some(64));
    let out = l.run(&["profile", "history", "team"]);
    assert!(text(&out.stdout).contains("v1  "), "{}", text(&out.stdout));

    // diff NAME@vN on either side, text and JSON.
    let out = l.run(&["profile", "diff", "team@v1", "team"]);
    assert_ok(&["diff"], &out);
    assert!(
        text(&out.stdout).contains("commands.whitelist: +curl"),
        "{}",
        text(&out.stdout)
    );
    let (out, d) = l.json(&["profile", "diff", "team", "team@v1", "--json"]);
    assert_ok(&["diff --json"], &out);
    assert_eq!(d[0]["key"], "commands.whitelist");
    assert_eq!(d[0]["removed"], serde_json::json!(["curl"]));
    fails_with(
        &l,
        &["profile", "diff", "team@v7", "team"],
        "has no version v7",
    );

    // Rollback archives the current version, and can itself be rolled back.
    let (out, r) = l.json(&["profile", "rollback", "team", "v1", "--json"]);
    assert_ok(&["rollback"], &out);
    assert_eq!(r["archived_as"], 2);
    let (_, p) = l.json(&["profile", "resolve", "team", "--json"]);
    assert_eq!(
        p["profile"]["commands"]["whitelist"],
        serde_json::json!(["ls"])
    );
    assert_ok(&["rollback"], &l.run(&["profile", "rollback", "team", "2"]));
    let (_, p) = l.json(&["profile", "resolve", "team", "--json"]);
    assert_eq!(
        p["profile"]["commands"]["whitelist"],
        serde_json::json!(["curl", "ls"])
    );
    let (_, h) = l.json(&["profile", "history", "team", "--json"]);
    let versions: Vec<u64> = h["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, vec![1, 2, 3]);
    // Built-ins have no history and cannot be rolled back.
    fails_with(
        &l,
        &["profile", "history", "strict"],
        "built in and read-only",
    );
    fails_with(
        &l,
        &["profile", "rollback", "strict", "v1"],
        "built in and read-only",
    );
    let out = l.run(&["profile", "rollback", "team", "latest"]);
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
}

#[test]
fn lock_pins_hashes_and_check_detects_changes() {
    let l = Lasso::new();
    let dir = s(l.work_path()).to_string();
    fails_with(&l, &["profile", "lock", "--dir", &dir], "nothing to lock");
    fails_with(
        &l,
        &["profile", "lock", "--dir", &dir, "--check"],
        "does not exist",
    );
    home_profile(&l, "team", "[commands]\nwhitelist = [\"ls\"]\n");
    project_profile(
        l.work_path(),
        "proj",
        "extends = \"team\"\n[resources]\npids = 64\n",
    );
    // Default: the project's own profiles; named ones are added.
    let (out, v) = l.json(&["profile", "lock", "--dir", &dir, "strict", "--json"]);
    assert_ok(&["lock strict"], &out);
    assert!(v["pinned"]["strict"]["sha256"].is_string(), "{v}");
    let out = l.run(&["profile", "lock", "--dir", &dir]);
    assert_ok(&["lock"], &out);
    let lock = l.work_path().join(".lasso/profiles.lock");
    let text_lock = std::fs::read_to_string(&lock).unwrap();
    assert!(
        text_lock.contains("[profiles.proj]") && text_lock.contains("[profiles.strict]"),
        "{text_lock}"
    );
    assert_ok(
        &["check"],
        &l.run(&["profile", "lock", "--dir", &dir, "--check"]),
    );

    // A change anywhere in the chain (the user's parent profile) breaks the pin.
    home_profile(&l, "team", "[commands]\nwhitelist = [\"ls\", \"curl\"]\n");
    let out = l.run(&["profile", "lock", "--dir", &dir, "--check"]);
    assert_eq!(code(&out), 1);
    let o = text(&out.stdout);
    assert!(
        o.contains("MISMATCH  proj: locked sha256 ") && o.contains("ok        strict"),
        "{o}"
    );
    assert!(
        text(&out.stderr).contains("lasso profile lock --dir"),
        "{}",
        text(&out.stderr)
    );
    let (out, v) = l.json(&["profile", "lock", "--dir", &dir, "--check", "--json"]);
    assert_eq!(code(&out), 1);
    assert_eq!(v["ok"], false);
    // A pinned profile that no longer resolves.
    std::fs::remove_file(l.work_path().join(".lasso/profiles/proj.toml")).unwrap();
    let out = l.run(&["profile", "lock", "--dir", &dir, "--check"]);
    assert_eq!(code(&out), 1);
    assert!(
        text(&out.stdout).contains("MISSING   proj: no longer resolves"),
        "{}",
        text(&out.stdout)
    );
    // Checking writes nothing; re-locking the named profile updates only it.
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), text_lock);
    project_profile(
        l.work_path(),
        "proj",
        "extends = \"team\"\n[resources]\npids = 64\n",
    );
    assert_ok(
        &["relock"],
        &l.run(&["profile", "lock", "--dir", &dir, "proj"]),
    );
    assert_ok(
        &["check"],
        &l.run(&["profile", "lock", "--dir", &dir, "--check"]),
    );
}
