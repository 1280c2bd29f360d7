//! End-to-end tests of the commands that need no engine: `why`, `profile`, `init`, `audit`,
//! usage errors. They run the real binary with an isolated LASSO_HOME.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Lasso, assert_ok, code, text};
use lasso::audit::{AuditKey, AuditLog, EntryDraft, EntryKind, Outcome};

#[test]
fn no_command_prints_help_and_fails() {
    let l = Lasso::new();
    let out = l.run(&[]);
    assert_eq!(code(&out), 2);
    assert!(text(&out.stdout).contains("Usage"), "{}", text(&out.stdout));
}

#[test]
fn why_explains_allowed_and_blocked_commands_with_exit_codes() {
    let l = Lasso::new();
    let out = l.run(&[
        "why",
        "--profile",
        "development",
        "--",
        "git",
        "commit",
        "-m",
        "'a; b'",
    ]);
    assert_eq!(code(&out), 0, "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).starts_with("allowed"));

    let out = l.run(&[
        "why",
        "--profile",
        "development",
        "--",
        "git",
        "push",
        "-fu",
        "origin",
        "main",
    ]);
    assert_eq!(code(&out), 1);
    assert!(
        text(&out.stdout).contains("blocked-args"),
        "{}",
        text(&out.stdout)
    );

    let (out, v) = l.json(&[
        "why",
        "--profile",
        "minimal",
        "--json",
        "--",
        "sh",
        "-c",
        "'rm -rf /'",
    ]);
    assert_eq!(code(&out), 1);
    assert_eq!(v["allowed"], false);
    assert!(
        v["rule"].is_string() && v["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "{v}"
    );

    let (out, v) = l.json(&["why", "--profile", "minimal", "--json", "--", "ls", "-la"]);
    assert_eq!(code(&out), 0);
    assert_eq!(v["allowed"], true);
}

#[test]
fn why_blocks_the_predecessors_bypasses() {
    let l = Lasso::new();
    for cmd in [
        "sh -c 'rm -rf /'",
        "env rm x",
        "/bin/rm x",
        "python3 -Ic 'import os'",
        "find . -delete",
        "cat ../../etc/passwd",
        "cat /etc/shadow",
        "echo $(id)",
        "git push origin +main",
    ] {
        let out = l.run(&["why", "--profile", "development", "--", cmd]);
        assert_eq!(
            code(&out),
            1,
            "{cmd} should be blocked: {}",
            text(&out.stdout)
        );
    }
}

#[test]
fn why_with_an_unknown_profile_names_the_search_path() {
    let l = Lasso::new();
    let out = l.run(&["why", "--profile", "nope", "--", "ls"]);
    assert_eq!(code(&out), 1);
    assert!(text(&out.stderr).contains("nope"), "{}", text(&out.stderr));
}

#[test]
fn profile_list_show_validate_export_import_diff() {
    let l = Lasso::new();
    let (out, list) = l.json(&["profile", "list", "--json"]);
    assert_ok(&["profile", "list"], &out);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for b in ["minimal", "development", "offline", "strict", "open"] {
        assert!(names.contains(&b), "{names:?}");
    }

    let out = l.run(&["profile", "show", "strict"]);
    assert_ok(&["profile", "show"], &out);
    assert!(text(&out.stdout).contains("builtin"));

    let out = l.run(&["profile", "validate", "open"]);
    assert_ok(&["profile", "validate"], &out);

    let bad = l.work_path().join("bad.toml");
    std::fs::write(&bad, "name = \"bad\"\n[commands]\nmode = \"whitelst\"\n").unwrap();
    let out = l.run(&["profile", "validate", bad.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    let err = text(&out.stderr);
    assert!(
        err.contains("commands.mode") && err.contains("whitelst"),
        "{err}"
    );

    let export = l.work_path().join("dev.toml");
    assert_ok(
        &["profile", "export"],
        &l.run(&[
            "profile",
            "export",
            "development",
            "-o",
            export.to_str().unwrap(),
        ]),
    );
    let out = l.run(&[
        "profile",
        "import",
        export.to_str().unwrap(),
        "--name",
        "team-dev",
    ]);
    assert_ok(&["profile", "import"], &out);
    assert_ok(
        &["profile", "show", "team-dev"],
        &l.run(&["profile", "show", "team-dev"]),
    );

    // A tampered export is refused, renamed or not.
    let tampered = std::fs::read_to_string(&export)
        .unwrap()
        .replace("max_execution_seconds = ", "max_execution_seconds = 1");
    let tampered_path = l.work_path().join("tampered.toml");
    std::fs::write(&tampered_path, tampered).unwrap();
    let out = l.run(&[
        "profile",
        "import",
        tampered_path.to_str().unwrap(),
        "--name",
        "evil",
    ]);
    assert_eq!(code(&out), 1, "{}", text(&out.stdout));

    let (out, diff) = l.json(&["profile", "diff", "minimal", "strict", "--json"]);
    assert_ok(&["profile", "diff"], &out);
    assert!(diff.as_array().is_some_and(|d| !d.is_empty()));
}

#[test]
fn init_writes_an_editable_project_profile_that_validates() {
    let l = Lasso::new();
    let dir = l.work_path().to_str().unwrap().to_string();
    assert_ok(
        &["init"],
        &l.run(&["init", "--profile", "minimal", "--dir", &dir]),
    );
    let path = l.work_path().join(".lasso/profile.toml");
    assert!(path.is_file());
    assert_ok(
        &["profile", "validate"],
        &l.run(&["profile", "validate", path.to_str().unwrap()]),
    );
    // Refuses to overwrite without --force.
    assert_eq!(
        code(&l.run(&["init", "--profile", "minimal", "--dir", &dir])),
        1
    );
    assert_ok(
        &["init", "--force"],
        &l.run(&["init", "--profile", "minimal", "--dir", &dir, "--force"]),
    );
}

fn write_log(l: &Lasso, id: &str, n: u64) -> std::path::PathBuf {
    let home = l.home_path();
    std::fs::create_dir_all(home.join("audit")).unwrap();
    let key = AuditKey::load_or_create(&home.join("audit.key")).unwrap();
    let path = lasso::audit::log_path(&home.join("audit"), Some(id)).unwrap();
    let log = AuditLog::open(&path, &key).unwrap();
    for i in 0..n {
        let (kind, outcome) = if i % 3 == 0 {
            (EntryKind::Violation, Outcome::Blocked)
        } else {
            (EntryKind::Command, Outcome::Success)
        };
        log.append(
            EntryDraft::new(kind, "cli", "exec", format!("cmd {i}, \"quoted\""), outcome)
                .sandbox(id)
                .detail("i", i),
        )
        .unwrap();
    }
    path
}

#[test]
fn audit_view_verify_export_and_tamper_detection() {
    let l = Lasso::new();
    let id = "0123456789abcdef0123456789abcdef";
    let path = write_log(&l, id, 30);

    let out = l.run(&["audit", "verify", "0123456789"]);
    assert_ok(&["audit", "verify"], &out);
    assert!(
        text(&out.stdout).contains("valid: 30 entries"),
        "{}",
        text(&out.stdout)
    );

    let (out, page) = l.json(&[
        "audit",
        "view",
        id,
        "--type",
        "violation",
        "--limit",
        "5",
        "--json",
    ]);
    assert_ok(&["audit", "view"], &out);
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 5);
    assert!(entries.iter().all(|e| e["type"] == "violation"));
    assert!(
        entries[0]["seq"].as_u64() > entries[1]["seq"].as_u64(),
        "newest first"
    );

    let csv = l.work_path().join("out.csv");
    assert_ok(
        &["audit", "export"],
        &l.run(&[
            "audit",
            "export",
            id,
            "--format",
            "csv",
            "-o",
            csv.to_str().unwrap(),
        ]),
    );
    let csv = std::fs::read_to_string(csv).unwrap();
    assert!(csv.starts_with("seq,ts,sandbox_id,type,actor,action,target,outcome,detail,prev,sig"));
    assert_eq!(csv.lines().count(), 31);

    // Edit one entry: verify fails and names the line.
    let original = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, original.replacen("cmd 7,", "cmd 8,", 1)).unwrap();
    let out = l.run(&["audit", "verify", id]);
    assert_eq!(code(&out), 1);
    assert!(
        text(&out.stdout).contains("line 8"),
        "{}",
        text(&out.stdout)
    );

    // Truncate the tail: the seal catches it.
    let lines: Vec<&str> = original.lines().collect();
    std::fs::write(&path, lines[..25].join("\n") + "\n").unwrap();
    let out = l.run(&["audit", "verify", id]);
    assert_eq!(code(&out), 1, "{}", text(&out.stdout));

    // Delete the whole log: the directory check catches it.
    std::fs::write(&path, &original).unwrap();
    assert_ok(
        &["audit", "verify", "--all"],
        &l.run(&["audit", "verify", "--all"]),
    );
    std::fs::remove_file(&path).unwrap();
    let out = l.run(&["audit", "verify", "--all"]);
    assert_eq!(code(&out), 1, "{}", text(&out.stdout));
}

#[test]
fn audit_errors_are_specific() {
    let l = Lasso::new();
    let out = l.run(&["audit", "view", "nothing-here"]);
    assert_eq!(code(&out), 1);
    assert!(
        text(&out.stderr).contains("no audit log"),
        "{}",
        text(&out.stderr)
    );
    let out = l.run(&["audit", "view", "system", "--since", "yesterday"]);
    assert_ne!(code(&out), 0);
}

#[test]
fn exec_without_a_command_is_a_usage_error() {
    let l = Lasso::new();
    assert_eq!(code(&l.run(&["exec", "x"])), 2);
}

#[test]
fn tui_without_a_terminal_refuses_with_exit_2() {
    let l = Lasso::new();
    for args in [
        &["tui"][..],
        &["dashboard"][..],
        &["--theme", "light", "tui"][..],
    ] {
        let out = l.run(args);
        assert_eq!(code(&out), 2, "{args:?}");
        assert!(
            text(&out.stderr).contains("the TUI needs a terminal"),
            "{}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "nothing drawn into a pipe");
    }
}

/// The pseudo-terminal helper the interactive end-to-end tests use: a real terminal size,
/// typed input reaching the program, and the exit code coming back.
#[test]
fn pty_helper_runs_a_program_in_a_real_terminal() {
    let l = Lasso::new();
    let mut pty = common::pty::Pty::script(
        &l,
        "stty size; read line; echo \"got:$line\"; exit 3",
        90,
        31,
    );
    pty.expect("31 90");
    pty.send("hello\r");
    pty.expect("got:hello");
    assert_eq!(pty.wait(common::pty::WAIT), 3);
    assert!(pty.screen().contains("got:hello"), "{}", pty.screen());
}
