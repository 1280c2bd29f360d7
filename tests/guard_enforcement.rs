//! The in-sandbox guard against a real engine and kernel: the agent's own processes (a shell
//! script the host gate cannot see into) cannot start programs outside the profile, however
//! they name them; denials reach the audit log and the exec result; shadow mode lets them run
//! and records would-deny; the probes catch a deliberately weakened container.
//!
//! Exec enforcement is tested on a Debian userland (one file per program); in a busybox image
//! every applet is the same file and busybox's shell runs applets without exec (see
//! docs/security/threat-model.md).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{Lasso, assert_ok, code, text, write_project_profile};
use serde_json::Value;

/// A Debian image (debootstrap, shared with the other per-profile image tests) and a short
/// whitelist without `rm`.
fn guarded_profile(extra: &str) -> String {
    format!(
        "extends = \"minimal\"\n[image]\npackages = [\"jq\"]\n[commands]\nmode = \"whitelist\"\n\
         whitelist = [\"sh\", \"bash\", \"ls\", \"cat\", \"echo\", \"cp\", \"ln\", \"jq\", \"true\"]\n\
         allow_shell_operators = true\nmax_execution_seconds = 30\n{extra}"
    )
}

fn create(l: &Lasso, profile: &str, name: &str) -> Value {
    let dir = l.work_path().to_str().unwrap().to_string();
    let args = ["create", profile, "--dir", &dir, "--name", name, "--json"];
    let (out, v) = l.json(&args);
    assert_ok(&args, &out);
    v
}

fn audit_entries(log: &str) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn write_work(l: &Lasso, name: &str, body: &str) {
    let p = l.work_path().join(name);
    std::fs::write(&p, body).unwrap();
    let _ = std::os::unix::fs::chown(&p, Some(1000), Some(1000));
}

/// Each attempt prints `name=<status>`; every one of them must fail.
const ATTEMPTS: &str = r#"
rm -f victim; echo "direct=$?"
/usr/bin/rm -f victim; echo "absolute=$?"
cp /usr/bin/rm /tmp/rm2; /tmp/rm2 -f victim; echo "tmp-copy=$?"
cp /usr/bin/rm ./rm2; ./rm2 -f victim; echo "workspace-copy=$?"
cp /usr/bin/rm ./ls; ./ls -f victim; echo "renamed=$?"
ln -sf /usr/bin/rm ./link; ./link -f victim; echo "symlink=$?"
/lib64/ld-linux-x86-64.so.2 /usr/bin/rm -f victim; echo "loader=$?"
echo 'rm -f victim' > inner.sh; sh inner.sh; echo "script=$?"
ls victim > /dev/null; echo "allowed=$?"
"#;

fn statuses(stdout: &str) -> Vec<(String, i32)> {
    stdout
        .lines()
        .filter_map(|l| l.split_once('='))
        .filter_map(|(k, v)| Some((k.to_string(), v.trim().parse().ok()?)))
        .collect()
}

#[test]
fn the_agents_own_processes_cannot_start_programs_outside_the_profile() {
    let Some(l) =
        Lasso::with_engine("the_agents_own_processes_cannot_start_programs_outside_the_profile")
    else {
        return;
    };
    let profile = write_project_profile(l.work_path(), "guarded", &guarded_profile(""));
    let info = create(&l, &profile, "g");
    // The probes ran first and passed.
    let log = info["audit_log"].as_str().unwrap().to_string();
    let entries = audit_entries(&log);
    assert_eq!(entries[0]["type"], "probe", "{}", entries[0]);
    assert!(
        entries
            .iter()
            .filter(|e| e["type"] == "probe")
            .all(|e| e["detail"]["passed"] == true)
    );

    write_work(&l, "victim", "still here\n");
    write_work(&l, "t.sh", ATTEMPTS);
    let (out, v) = l.json(&["exec", "g", "--json", "--", "sh", "t.sh"]);
    assert_eq!(code(&out), 0, "{v}");
    let got = statuses(v["stdout"].as_str().unwrap());
    assert_eq!(got.len(), 9, "{v}");
    for (name, status) in &got {
        if name == "allowed" {
            assert_eq!(*status, 0, "ls must still run: {v}");
        } else {
            assert_ne!(*status, 0, "{name} ran rm: {v}");
        }
    }
    assert!(
        Path::new(&l.work_path().join("victim")).exists(),
        "the victim file was removed: {v}"
    );
    // The denials come back with the result (the CLI's alert) ...
    let denials = v["guard_denials"].as_array().unwrap();
    assert!(
        denials
            .iter()
            .any(|d| d["program"] == "rm" && d["enforced"] == true),
        "{v}"
    );
    // ... and are in the audit log, which still verifies.
    let entries = audit_entries(&log);
    let blocked: Vec<&Value> = entries
        .iter()
        .filter(|e| e["type"] == "exec" && e["outcome"] == "blocked")
        .collect();
    assert!(
        blocked.iter().any(|e| e["detail"]["program"] == "rm"
            && e["detail"]["pid"].is_u64()
            && e["detail"]["argv"][0].is_string()),
        "{blocked:?}"
    );
    assert!(
        entries.iter().any(|e| e["type"] == "exec"
            && e["outcome"] == "success"
            && e["detail"]["program"] == "ls"),
        "allowed execs are recorded too"
    );
    assert_ok(&["audit", "verify"], &l.run(&["audit", "verify", &log]));
}

#[test]
fn shadow_mode_lets_it_run_and_records_would_deny() {
    let Some(l) = Lasso::with_engine("shadow_mode_lets_it_run_and_records_would_deny") else {
        return;
    };
    let profile = write_project_profile(
        l.work_path(),
        "shadowed",
        &guarded_profile("[guard]\nenforcement = \"shadow\"\n"),
    );
    let info = create(&l, &profile, "s");
    write_work(&l, "victim", "x\n");
    write_work(&l, "inner.sh", "rm -f victim\n");
    let (out, v) = l.json(&["exec", "s", "--json", "--", "sh", "inner.sh"]);
    assert_eq!(code(&out), 0, "{v}");
    assert!(
        !l.work_path().join("victim").exists(),
        "shadow mode must let rm run"
    );
    let denials = v["guard_denials"].as_array().unwrap();
    assert!(
        denials
            .iter()
            .any(|d| d["program"] == "rm" && d["enforced"] == false),
        "{v}"
    );
    let entries = audit_entries(info["audit_log"].as_str().unwrap());
    assert!(
        entries
            .iter()
            .any(|e| e["type"] == "exec" && e["detail"]["outcome"] == "would-deny"),
        "{entries:?}"
    );
}

#[test]
fn record_mode_lets_everything_run_and_records_every_exec() {
    let Some(l) = Lasso::with_engine("record_mode_lets_everything_run_and_records_every_exec")
    else {
        return;
    };
    let profile = write_project_profile(
        l.work_path(),
        "recorded",
        &guarded_profile("[guard]\nenforcement = \"record\"\n"),
    );
    let info = create(&l, &profile, "r");
    write_work(&l, "victim", "x\n");
    write_work(&l, "inner.sh", "rm -f victim\nls > /dev/null\n");
    let (out, v) = l.json(&["exec", "r", "--json", "--", "sh", "inner.sh"]);
    assert_eq!(code(&out), 0, "{v}");
    assert!(
        !l.work_path().join("victim").exists(),
        "record mode must let rm run"
    );
    assert_eq!(
        v["guard_denials"],
        serde_json::json!([]),
        "nothing is evaluated: {v}"
    );
    let entries = audit_entries(info["audit_log"].as_str().unwrap());
    let recorded: Vec<&str> = entries
        .iter()
        .filter(|e| e["type"] == "exec" && e["detail"]["outcome"] == "recorded")
        .filter_map(|e| e["detail"]["argv"][0].as_str())
        .collect();
    assert!(
        recorded.contains(&"rm") && recorded.contains(&"ls"),
        "{recorded:?}"
    );
}

#[test]
fn the_guards_timeout_kills_everything_the_command_started() {
    let Some(l) = Lasso::with_engine("the_guards_timeout_kills_everything_the_command_started")
    else {
        return;
    };
    let profile = write_project_profile(
        l.work_path(),
        "short",
        "extends = \"minimal\"\n[commands]\nwhitelist = [\"sh\", \"sleep\", \"ps\", \"grep\"]\n\
         allow_shell_operators = true\nmax_execution_seconds = 2\n",
    );
    create(&l, &profile, "t");
    let out = l.run(&["exec", "t", "--", "sh", "-c", "sleep 100 & sleep 100"]);
    assert_eq!(code(&out), 137, "{}", text(&out.stderr));
    let out = l.run(&["exec", "t", "--", "ps"]);
    assert!(
        !text(&out.stdout).contains("sleep 100"),
        "{}",
        text(&out.stdout)
    );
}

/// The engine's CLI (tests only), for starting a container lasso would never create.
fn engine_cli() -> Command {
    match std::env::var("LASSO_RUNTIME").as_deref() {
        Ok("podman") => Command::new("podman"),
        _ => {
            let mut c = Command::new("docker");
            if std::env::var_os("DOCKER_HOST").is_none() {
                c.env("DOCKER_HOST", "unix:///var/run/docker.sock");
            }
            c
        }
    }
}

#[test]
fn the_probes_catch_a_weakened_container() {
    let Some(l) = Lasso::with_engine("the_probes_catch_a_weakened_container") else {
        return;
    };
    let info = create(&l, "minimal", "m");
    // The guard binary and policy of a real sandbox, in a container started as root with an
    // extra capability: what a misconfigured engine or a tampered create would produce.
    let home = l.home_path();
    let bin = std::fs::read_dir(home.join("bin"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("lasso-guard-")
        })
        .unwrap();
    assert_eq!(info["state"], "running");
    // The one sandbox of this LASSO_HOME.
    let run_dir = std::fs::read_dir(home.join("run"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .next()
        .unwrap();
    let name = format!("lasso-weak-{}", std::process::id());
    let out = engine_cli()
        .args([
            "run",
            "-d",
            "--name",
            &name,
            "--user",
            "0",
            "--cap-add",
            "SYS_ADMIN",
        ])
        .args(["--network", "none", "--entrypoint", "/.lasso/guard"])
        .arg("-v")
        .arg(format!("{}:/.lasso/guard:ro", bin.display()))
        .arg("-v")
        .arg(format!(
            "{}:/.lasso/policy:ro",
            run_dir.join("policy").display()
        ))
        .arg("-v")
        .arg(format!("{}:/.lasso/spool", run_dir.join("spool").display()))
        .args(["lasso-base:latest", "init"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let probe = engine_cli()
        .args(["exec", &name, "/.lasso/guard", "probe"])
        .output()
        .unwrap();
    let _ = engine_cli().args(["rm", "-f", &name]).output();
    assert_eq!(
        code(&probe),
        1,
        "{}\n{}",
        text(&probe.stdout),
        text(&probe.stderr)
    );
    let report: Value = serde_json::from_slice(&probe.stdout).unwrap();
    let failed: Vec<&str> = report["probes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["passed"] == false)
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(!failed.is_empty(), "{report}");
    eprintln!("probes that caught the weakened container: {failed:?}");
}

#[test]
fn check_probe_runs_the_probes_in_a_throwaway_sandbox() {
    let Some(l) = Lasso::with_engine("check_probe_runs_the_probes_in_a_throwaway_sandbox") else {
        return;
    };
    let (out, v) = l.json(&["check", "--probe", "strict", "--json"]);
    assert_ok(&["check", "--probe"], &out);
    assert_eq!(v["passed"], true);
    let names: Vec<&str> = v["probes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.len() >= 6, "{v}");
    let (_, list) = l.json(&["status", "--json"]);
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(0),
        "nothing left behind"
    );
    let out = l.run(&["check", "--probe", "no-such-profile"]);
    assert_eq!(code(&out), 1);
}
