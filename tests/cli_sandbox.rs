//! End-to-end tests of the sandbox commands against a real engine (LASSO_RUNTIME picks
//! Docker or Podman). Each test has its own LASSO_HOME and workspace and stops its sandboxes
//! on drop. Hardening is proved from inside the sandbox, through `lasso exec`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Instant;

use common::{Lasso, assert_ok, code, text, write_project_profile};
use serde_json::Value;

/// A profile for probing the sandbox from inside: the tools the probes need, shell operators
/// on, a short timeout, small limits.
const PROBE: &str = r#"
[commands]
mode = "whitelist"
whitelist = ["sh", "cat", "ls", "echo", "touch", "grep", "sleep", "ps", "dd", "id", "test", "head", "wc", "true"]
allow_shell_operators = true
max_execution_seconds = 3

[resources]
memory = "128m"
pids = 64
"#;

fn create(l: &Lasso, profile: &str, name: &str) -> Value {
    let dir = l.work_path().to_str().unwrap().to_string();
    let args = ["create", profile, "--dir", &dir, "--name", name, "--json"];
    let (out, v) = l.json(&args);
    assert_ok(&args, &out);
    v
}

fn exec_json(l: &Lasso, id: &str, cmd: &str) -> (i32, Value) {
    let (out, v) = l.json(&["exec", id, "--json", "--", cmd]);
    (code(&out), v)
}

#[test]
fn create_exec_status_stop_round_trip_with_audit() {
    let Some(l) = Lasso::with_engine("create_exec_status_stop_round_trip_with_audit") else {
        return;
    };
    let info = create(&l, "minimal", "rt");
    for field in [
        "id",
        "name",
        "profile",
        "state",
        "working_dir",
        "created_at",
        "audit_log",
        "runtime",
        "isolation",
        "container_id",
    ] {
        assert!(info[field].is_string(), "missing {field} in {info}");
    }
    assert_eq!(info["state"], "running");
    assert_eq!(info["problems"], serde_json::json!([]), "{info}");
    let id = info["id"].as_str().unwrap().to_string();

    // Another process sees it, by name, full id and prefix.
    let (out, list) = l.json(&["status", "--json"]);
    assert_ok(&["status"], &out);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    for q in ["rt", &id[..], &id[..6]] {
        assert_ok(&["status", q], &l.run(&["status", q, "--json"]));
    }

    std::fs::write(l.work_path().join("hello.txt"), "hello from the host\n").unwrap();
    let out = l.run(&["exec", "rt", "--", "cat", "hello.txt"]);
    assert_ok(&["exec"], &out);
    assert_eq!(text(&out.stdout), "hello from the host\n");

    // Exit codes pass through.
    let out = l.run(&["exec", "rt", "--", "test", "-e", "/nonexistent"]);
    assert_eq!(code(&out), 1);

    // Blocked: exit 126, the rule on stderr, JSON decision.
    let out = l.run(&["exec", "rt", "--", "rm", "-rf", "/workspace"]);
    assert_eq!(code(&out), 126);
    assert!(
        text(&out.stderr).contains("not-whitelisted"),
        "{}",
        text(&out.stderr)
    );
    let (c, v) = exec_json(&l, "rt", "echo hi > out.txt");
    assert_eq!(c, 126);
    assert_eq!(v["allowed"], false);
    assert_eq!(v["rule"], "shell-operators");
    let (c, v) = exec_json(&l, "rt", "cat /etc/shadow");
    assert_eq!((c, v["rule"].as_str()), (126, Some("hidden-path")));
    let (c, v) = exec_json(&l, "rt", "ls -la");
    assert_eq!(c, 0);
    assert_eq!(v["allowed"], true);
    assert!(
        v["duration_ms"].is_u64()
            && v["stdout"]
                .as_str()
                .is_some_and(|s| s.contains("hello.txt")),
        "{v}"
    );

    // The audit log has every decision and verifies.
    let log = info["audit_log"].as_str().unwrap();
    let out = l.run(&["audit", "verify", log]);
    assert_ok(&["audit", "verify"], &out);
    let (_, page) = l.json(&["audit", "view", log, "--type", "violation", "--json"]);
    let targets: Vec<&str> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["target"].as_str())
        .collect();
    assert!(
        targets.contains(&"rm -rf /workspace") && targets.contains(&"cat /etc/shadow"),
        "{targets:?}"
    );

    let started = Instant::now();
    assert_ok(&["stop"], &l.run(&["stop", "rt"]));
    let took = started.elapsed();
    eprintln!("stop took {took:?}");
    assert!(took.as_secs_f64() < 5.0, "stop took {took:?}");
    let (_, list) = l.json(&["status", "--json"]);
    assert_eq!(list.as_array().map(Vec::len), Some(0));
    assert_ok(
        &["audit", "verify", "--all"],
        &l.run(&["audit", "verify", "--all"]),
    );
}

#[test]
fn hardening_holds_inside_the_sandbox() {
    let Some(l) = Lasso::with_engine("hardening_holds_inside_the_sandbox") else {
        return;
    };
    let profile = write_project_profile(l.work_path(), "probe", PROBE);
    create(&l, &profile, "hard");

    let (c, v) = exec_json(&l, "hard", "cat /proc/self/status");
    assert_eq!(c, 0, "{v}");
    let status = v["stdout"].as_str().unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| {
                l.strip_prefix(&format!("{name}:"))
                    .map(|v| v.trim().to_string())
            })
            .unwrap_or_default()
    };
    assert!(
        field("CapEff").chars().all(|c| c == '0'),
        "CapEff {}",
        field("CapEff")
    );
    assert_eq!(field("NoNewPrivs"), "1");
    assert!(
        field("Uid").split_whitespace().all(|u| u == "1000"),
        "Uid {}",
        field("Uid")
    );

    // Read-only root, writable workspace that shows up on the host.
    let (c, _) = exec_json(&l, "hard", "touch /etc/evil");
    assert_ne!(c, 0);
    let (c, v) = exec_json(&l, "hard", "touch /workspace/made-inside");
    assert_eq!(c, 0, "{v}");
    assert!(l.work_path().join("made-inside").exists());

    // Network none: only lo. No engine socket anywhere we look.
    let (_, v) = exec_json(&l, "hard", "cat /proc/net/dev");
    let ifaces: Vec<&str> = v["stdout"]
        .as_str()
        .unwrap()
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .map(str::trim)
        .collect();
    assert_eq!(ifaces, vec!["lo"]);
    for sock in ["/run/docker.sock", "/run/podman/podman.sock"] {
        let (c, v) = exec_json(&l, "hard", &format!("test -e {sock}"));
        assert!(c == 1 || c == 126, "{sock}: {v}");
    }

    // A memory hog is killed at the limit (128m), the sandbox survives.
    let (c, v) = exec_json(&l, "hard", "dd if=/dev/zero of=/dev/null bs=400M count=1");
    assert_ne!(c, 0, "a 400 MiB buffer must not fit in 128 MiB: {v}");
    let (c, _) = exec_json(&l, "hard", "true");
    assert_eq!(c, 0);

    // A fork bomb (run from a script, which the gate cannot see into) stops at the pids limit.
    std::fs::write(
        l.work_path().join("bomb.sh"),
        "for i in $(seq 1 500); do sleep 5 & done; wait\n",
    )
    .unwrap();
    let (_, v) = exec_json(&l, "hard", "sh bomb.sh");
    assert!(
        v["stderr"].as_str().unwrap_or_default().contains("fork")
            || v["exit_code"] != 0
            || v["timed_out"] == true,
        "{v}"
    );
    // The bomb's sleeps hold the pids until they end; then the sandbox answers again with
    // every bomb process gone.
    let started = Instant::now();
    let recovered = loop {
        let (c, v) = exec_json(&l, "hard", "ps");
        let ps = v["stdout"].as_str().unwrap_or_default().to_string();
        if c == 0 && !ps.contains("sleep 5") {
            break true;
        }
        if started.elapsed().as_secs() > 30 {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    };
    assert!(
        recovered,
        "the sandbox must answer again after the fork bomb"
    );

    // A command past max_execution_seconds (3 s) is killed, really.
    let started = Instant::now();
    let (_, v) = exec_json(&l, "hard", "sleep 60");
    assert_eq!(v["timed_out"], true, "{v}");
    assert!(started.elapsed().as_secs() < 20);
    let (_, v) = exec_json(&l, "hard", "ps");
    assert!(
        !v["stdout"]
            .as_str()
            .unwrap_or_default()
            .contains("sleep 60"),
        "sleep survived its timeout: {v}"
    );
}

#[test]
fn concurrent_execs_from_several_processes_keep_one_chain() {
    let Some(l) = Lasso::with_engine("concurrent_execs_from_several_processes_keep_one_chain")
    else {
        return;
    };
    let info = create(&l, "minimal", "conc");
    let mut children = Vec::new();
    for p in 0..4 {
        let mut cmd = l.cmd();
        cmd.args(["exec", "conc", "--", "echo", &format!("p{p}")]);
        let mut cmd2 = l.cmd();
        cmd2.args(["exec", "conc", "--", "rm", &format!("p{p}")]);
        children.push(cmd.spawn().unwrap());
        children.push(cmd2.spawn().unwrap());
    }
    for mut c in children {
        c.wait().unwrap();
    }
    let log = info["audit_log"].as_str().unwrap();
    let (out, report) = l.json(&["audit", "verify", log, "--json"]);
    assert_ok(&["audit", "verify"], &out);
    // The probes, create, 4 commands, 4 violations, and the guard's record of each command's
    // exec inside the sandbox.
    let text = std::fs::read_to_string(log).unwrap();
    let count = |t: &str| {
        text.lines()
            .filter(|l| serde_json::from_str::<Value>(l).unwrap()["type"] == t)
            .count()
    };
    assert_eq!(
        (
            count("lifecycle"),
            count("command"),
            count("violation"),
            count("exec")
        ),
        (1, 4, 4, 4),
        "{text}"
    );
    assert!(count("probe") >= 6, "{text}");
    assert_eq!(report["entries"], text.lines().count(), "{report}");
}

#[test]
fn unaccountable_sandboxes_are_reported_not_hidden() {
    let Some(l) = Lasso::with_engine("unaccountable_sandboxes_are_reported_not_hidden") else {
        return;
    };
    let info = create(&l, "minimal", "lost");
    std::fs::remove_file(info["audit_log"].as_str().unwrap()).unwrap();
    let (_, list) = l.json(&["status", "--json"]);
    let problems = list[0]["problems"].to_string();
    assert!(
        problems.contains("audit log") && problems.contains("missing"),
        "{list}"
    );
    let out = l.run(&["exec", "lost", "--", "ls"]);
    assert_eq!(
        code(&out),
        125,
        "a sandbox whose log is gone must not run commands: {}",
        text(&out.stderr)
    );
    assert_ok(&["stop"], &l.run(&["stop", "lost"]));
}

#[test]
fn bad_requests_fail_cleanly_and_leave_nothing_behind() {
    let Some(l) = Lasso::with_engine("bad_requests_fail_cleanly_and_leave_nothing_behind") else {
        return;
    };
    let dir = l.work_path().to_str().unwrap().to_string();
    let out = l.run(&["create", "no-such-profile", "--dir", &dir]);
    assert_eq!(code(&out), 1);
    let out = l.run(&["create", "minimal", "--dir", "/definitely/missing"]);
    assert_eq!(code(&out), 1);
    assert!(text(&out.stderr).contains("/definitely/missing"));
    let out = l.run(&["create", "minimal", "--dir", &dir, "--isolation", "kata"]);
    assert_eq!(code(&out), 1);
    assert!(
        text(&out.stderr).to_lowercase().contains("kata"),
        "{}",
        text(&out.stderr)
    );
    let out = l.run(&["create", "minimal", "--dir", &dir, "--name", "bad name"]);
    assert_eq!(code(&out), 1);
    let (_, list) = l.json(&["status", "--json"]);
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");
    let out = l.run(&["exec", "nothing", "--", "ls"]);
    assert_eq!(code(&out), 125);
    assert!(text(&out.stderr).contains("no sandbox matches"));

    create(&l, "minimal", "dup");
    let out = l.run(&["create", "minimal", "--dir", &dir, "--name", "dup"]);
    assert_eq!(code(&out), 1);
    assert!(text(&out.stderr).contains("already exists"));
}

#[test]
fn restricted_network_fails_closed_and_says_so() {
    let Some(l) = Lasso::with_engine("restricted_network_fails_closed_and_says_so") else {
        return;
    };
    let profile = write_project_profile(
        l.work_path(),
        "restricted",
        "extends = \"minimal\"\n[network]\nmode = \"restricted\"\nallowed_domains = [\"pypi.org\"]\n",
    );
    let info = create(&l, &profile, "net");
    assert!(
        info["network_note"]
            .as_str()
            .is_some_and(|n| n.contains("none")),
        "{info}"
    );
    let (_, v) = exec_json(&l, "net", "cat /proc/net/dev");
    let lines = v["stdout"].as_str().unwrap().lines().count();
    assert_eq!(lines, 3, "only lo expected: {v}");
}

#[test]
fn gvisor_isolation_works_or_is_refused_clearly() {
    let Some(l) = Lasso::with_engine("gvisor_isolation_works_or_is_refused_clearly") else {
        return;
    };
    let dir = l.work_path().to_str().unwrap().to_string();
    let gvisor = |profile: &str, name: &str| {
        l.run(&[
            "create",
            profile,
            "--dir",
            &dir,
            "--name",
            name,
            "--isolation",
            "gvisor",
            "--json",
        ])
    };
    let out = gvisor("minimal", "gv");
    let err = text(&out.stdout) + &text(&out.stderr);
    if err.contains("runsc") {
        // No gVisor on this engine (Podman 4 ignores per-container runtimes): refused by name.
        assert!(!out.status.success());
        eprintln!("SKIPPED gvisor on this engine: {err}");
        let (_, list) = l.json(&["status", "--json"]);
        assert_eq!(list.as_array().map(Vec::len), Some(0));
        return;
    }
    // gVisor implements neither Landlock nor seccomp user notification: a profile that does
    // not accept running without them is refused, naming the feature and the setting.
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("landlock") && err.contains("accept_missing"),
        "{err}"
    );
    let (_, list) = l.json(&["status", "--json"]);
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(0),
        "nothing left behind"
    );

    // Accepting both explicitly gives a gVisor sandbox whose host gate still works.
    let profile = write_project_profile(
        l.work_path(),
        "gv-weaker",
        "extends = \"minimal\"\n[guard]\naccept_missing = [\"landlock\", \"seccomp-notify\"]\n",
    );
    let out = gvisor(&profile, "gv2");
    assert_ok(&["create", "--isolation", "gvisor"], &out);
    let (c, v) = exec_json(&l, "gv2", "cat /proc/version");
    assert_eq!(c, 0, "{v}");
    let (c, v) = exec_json(&l, "gv2", "rm -rf /workspace");
    assert_eq!((c, v["rule"].as_str()), (126, Some("not-whitelisted")));
    let (_, list) = l.json(&["status", "--json"]);
    assert_eq!(list[0]["isolation"], "gvisor");
}

#[test]
fn per_profile_image_with_packages_is_built_locally_and_used() {
    let Some(l) = Lasso::with_engine("per_profile_image_with_packages_is_built_locally_and_used")
    else {
        return;
    };
    let profile = write_project_profile(
        l.work_path(),
        "withjq",
        "extends = \"minimal\"\n[image]\npackages = [\"jq\"]\n[commands]\nwhitelist = [\"jq\", \"cat\", \"ls\"]\n",
    );
    let dir = l.work_path().to_str().unwrap().to_string();
    let started = Instant::now();
    let args = ["image", "build", &profile, "--dir", &dir, "--json"];
    let (out, v) = l.json(&args);
    assert_ok(&args, &out);
    eprintln!(
        "per-profile debootstrap image build took {:?}",
        started.elapsed()
    );
    let tag = v["image"].as_str().unwrap().to_string();
    assert!(tag.starts_with("lasso-img-"), "{v}");
    // A second build is a no-op; the tag depends only on the image-affecting fields.
    let (_, again) = l.json(&args);
    assert_eq!(again["built"], false);
    assert_eq!(again["image"].as_str(), Some(tag.as_str()));

    create(&l, &profile, "jq");
    let (c, v) = exec_json(&l, "jq", "jq --version");
    assert_eq!(c, 0, "{v}");
    assert!(v["stdout"].as_str().unwrap().starts_with("jq-"), "{v}");
    // Hidden paths that exist in a Debian image are masked, not just refused by the gate.
    let (c, v) = exec_json(&l, "jq", "cat /etc/shadow");
    assert_eq!((c, v["rule"].as_str()), (126, Some("hidden-path")));
}

#[test]
fn unrestricted_full_network_uses_the_engines_default_network() {
    let Some(l) = Lasso::with_engine("unrestricted_full_network_uses_the_engines_default_network")
    else {
        return;
    };
    let profile = write_project_profile(
        l.work_path(),
        "fullnet",
        "extends = \"minimal\"\n[network]\nmode = \"full\"\n",
    );
    let info = create(&l, &profile, "full");
    assert!(
        info["network"]
            .as_str()
            .is_some_and(|n| n.starts_with("bridge:")),
        "{info}"
    );
    assert!(info["network_note"].is_null(), "{info}");
    let (_, v) = exec_json(&l, "full", "cat /proc/net/dev");
    let ifaces: Vec<&str> = v["stdout"]
        .as_str()
        .unwrap()
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .map(str::trim)
        .collect();
    assert!(ifaces.len() > 1 && ifaces.contains(&"lo"), "{ifaces:?}");
}

#[test]
fn extra_env_and_forwarded_credentials_reach_the_sandbox_environment() {
    let Some(l) =
        Lasso::with_engine("extra_env_and_forwarded_credentials_reach_the_sandbox_environment")
    else {
        return;
    };
    let profile = write_project_profile(
        l.work_path(),
        "envp",
        "extends = \"minimal\"\n[commands]\nwhitelist = [\"env\"]\n[extra_env]\nFOO = \"bar\"\n\
         [agent_auth]\nforward_env = [\"AGENT_TEST_TOKEN\"]\n",
    );
    let dir = l.work_path().to_str().unwrap().to_string();
    // Without the variable on the host, create refuses and leaves nothing behind.
    let out = l
        .cmd()
        .env_remove("AGENT_TEST_TOKEN")
        .args(["create", &profile, "--dir", &dir, "--name", "env"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 1);
    assert!(
        text(&out.stderr).contains("AGENT_TEST_TOKEN"),
        "{}",
        text(&out.stderr)
    );
    let (_, list) = l.json(&["status", "--json"]);
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");

    let args = ["create", &profile, "--dir", &dir, "--name", "env", "--json"];
    let out = l
        .cmd()
        .env("AGENT_TEST_TOKEN", "s3cret")
        .args(args)
        .output()
        .unwrap();
    assert_ok(&args, &out);
    let (c, v) = exec_json(&l, "env", "env");
    assert_eq!(c, 0, "{v}");
    let env = v["stdout"].as_str().unwrap();
    assert!(env.lines().any(|l| l == "FOO=bar"), "{env}");
    assert!(env.lines().any(|l| l == "AGENT_TEST_TOKEN=s3cret"), "{env}");
}

#[test]
fn create_refuses_a_profile_whose_hash_no_longer_matches_the_lock() {
    let Some(l) =
        Lasso::with_engine("create_refuses_a_profile_whose_hash_no_longer_matches_the_lock")
    else {
        return;
    };
    let dir = l.work_path().to_str().unwrap().to_string();
    let profile = write_project_profile(
        l.work_path(),
        "pinned",
        "extends = \"minimal\"\n[commands]\nwhitelist_add = [\"id\"]\n",
    );
    assert_ok(
        &["profile", "lock"],
        &l.run(&["profile", "lock", "--dir", &dir, &profile]),
    );
    let (_, locked) = l.json(&["profile", "resolve", &profile, "--dir", &dir, "--json"]);
    let locked_hash = locked["hash"].as_str().unwrap().to_string();
    // The profile changes after the lock was written.
    write_project_profile(
        l.work_path(),
        "pinned",
        "extends = \"minimal\"\n[commands]\nwhitelist_add = [\"id\", \"sh\"]\nallow_shell_operators = true\n",
    );
    let (_, now) = l.json(&["profile", "resolve", &profile, "--dir", &dir, "--json"]);
    let new_hash = now["hash"].as_str().unwrap().to_string();
    assert_ne!(locked_hash, new_hash);
    let out = l.run(&["create", &profile, "--dir", &dir, "--name", "locked"]);
    assert_eq!(code(&out), 1, "{}", text(&out.stdout));
    let err = text(&out.stderr);
    for needle in [
        "profile \"pinned\" does not match",
        "profiles.lock",
        &locked_hash[..],
        &new_hash[..],
        "lasso profile lock --dir",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in {err}");
    }
    let (_, list) = l.json(&["status", "--json"]);
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(0),
        "nothing created: {list}"
    );
    // A pinned profile that no longer resolves is refused too.
    std::fs::remove_file(l.work_path().join(".lasso/profiles/pinned.toml")).unwrap();
    let out = l.run(&["create", &profile, "--dir", &dir]);
    assert_eq!(code(&out), 1);
    assert!(
        text(&out.stderr).contains("is pinned in")
            && text(&out.stderr).contains("no longer resolves"),
        "{}",
        text(&out.stderr)
    );
    // After review, re-locking lets create through.
    write_project_profile(
        l.work_path(),
        "pinned",
        "extends = \"minimal\"\n[commands]\nwhitelist_add = [\"id\"]\n",
    );
    assert_ok(
        &["profile", "lock", "--check"],
        &l.run(&["profile", "lock", "--dir", &dir, "--check"]),
    );
    let info = create(&l, &profile, "locked");
    assert_eq!(info["profile_hash"].as_str().map(str::len), Some(64));
}

#[test]
fn mode_changes_apply_to_the_next_command_and_are_audited() {
    let Some(l) = Lasso::with_engine("mode_changes_apply_to_the_next_command_and_are_audited")
    else {
        return;
    };
    let profile = write_project_profile(
        l.work_path(),
        "modal",
        "mode = \"autonomous\"\n[commands]\nwhitelist = [\"ls\", \"cat\", \"touch\", \"id\"]\n",
    );
    let info = create(&l, &profile, "modal");
    assert_eq!(info["mode"], "autonomous", "{info}");
    let (c, v) = exec_json(&l, "modal", "touch a.txt");
    assert_eq!(c, 0, "{v}");

    // Another lasso process changes the mode; the next exec (a third process) obeys it.
    let (out, change) = l.json(&["mode", "modal", "observe", "--json"]);
    assert_ok(&["mode"], &out);
    assert_eq!(
        (change["from"].as_str(), change["to"].as_str()),
        (Some("autonomous"), Some("observe"))
    );
    let (c, v) = exec_json(&l, "modal", "touch b.txt");
    assert_eq!((c, v["rule"].as_str()), (126, Some("mode")), "{v}");
    let (c, v) = exec_json(&l, "modal", "ls");
    assert_eq!(c, 0, "read-only tools still run: {v}");
    // `why ID` decides as the sandbox does now; `status` shows the mode.
    let out = l.run(&["why", "modal", "--", "touch", "c.txt"]);
    assert_eq!(code(&out), 1);
    assert!(
        text(&out.stdout).contains("(mode observe)"),
        "{}",
        text(&out.stdout)
    );
    let (_, list) = l.json(&["status", "--json"]);
    assert_eq!(list[0]["mode"], "observe", "{list}");
    let out = l.run(&["status"]);
    assert!(text(&out.stdout).contains("MODE"), "{}", text(&out.stdout));

    // assist allows editing tools again, but never beyond the profile: `mkdir` is in assist's
    // list and not in the profile's whitelist.
    assert_ok(&["mode"], &l.run(&["mode", "modal", "assist"]));
    let (c, v) = exec_json(&l, "modal", "touch b.txt");
    assert_eq!(c, 0, "{v}");
    let (c, v) = exec_json(&l, "modal", "mkdir d");
    assert_eq!(
        (c, v["rule"].as_str()),
        (126, Some("not-whitelisted")),
        "{v}"
    );
    // An invalid mode is a usage error.
    assert_eq!(code(&l.run(&["mode", "modal", "root"])), 2);

    // Both changes are in the sandbox's audit log, with old and new mode, and it verifies.
    let log = info["audit_log"].as_str().unwrap();
    let (_, page) = l.json(&[
        "audit",
        "view",
        log,
        "--type",
        "mode",
        "--oldest-first",
        "--json",
    ]);
    let entries = page["entries"].as_array().unwrap();
    let changes: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["detail"]["from"].as_str().unwrap(),
                e["detail"]["to"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        vec![("autonomous", "observe"), ("observe", "assist")]
    );
    assert!(
        entries
            .iter()
            .all(|e| e["type"] == "mode" && e["actor"] == "cli")
    );
    assert_ok(&["audit", "verify"], &l.run(&["audit", "verify", log]));
    // Stopping forgets the mode file.
    let id = info["id"].as_str().unwrap();
    let run_dir = l
        .home_path()
        .join("run")
        .join(format!("lasso-{}", &id[..12]));
    assert!(run_dir.join("mode").is_file());
    assert_ok(&["stop"], &l.run(&["stop", "modal"]));
    assert!(!run_dir.exists());
}
