//! Property-based testing of `lasso serve` against its own OpenAPI document with schemathesis
//! (PyPI): a real server on a loopback port with a fresh LASSO_HOME and an API key; every
//! operation except the endless `/events` stream is fuzzed, and the run fails on any 5xx
//! (`not_a_server_error`) or any answer that does not match the document
//! (`response_schema_conformance`).
//!
//! schemathesis is found at `LASSO_SCHEMATHESIS` or `target/api-venv/bin/schemathesis`
//! (scripts/test.sh installs it there). Missing: a loud skip, or a failure with
//! LASSO_REQUIRE_SCHEMATHESIS=1 (test.sh sets it). Needs an engine (engine-backed routes
//! would otherwise answer 503): skipped like the other engine tests without one.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{Lasso, text};

fn schemathesis() -> Option<PathBuf> {
    let path = std::env::var_os("LASSO_SCHEMATHESIS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/api-venv/bin/schemathesis")
        });
    if path.is_file() {
        return Some(path);
    }
    let msg = format!(
        "schemathesis not found at {} (run scripts/test.sh, or `python3 -m venv target/api-venv && \
         target/api-venv/bin/pip install schemathesis`, or set LASSO_SCHEMATHESIS)",
        path.display()
    );
    if std::env::var("LASSO_REQUIRE_SCHEMATHESIS").as_deref() == Ok("1") {
        panic!("{msg}");
    }
    eprintln!("SKIPPED api_schema: {msg}");
    None
}

#[test]
fn the_server_conforms_to_its_openapi_document() {
    let Some(st) = schemathesis() else { return };
    let Some(l) = Lasso::with_engine("api_schema") else {
        return;
    };
    // Thousands of requests in a minute: lift the rate limit for this server only.
    std::fs::create_dir_all(l.home_path()).unwrap();
    std::fs::write(
        l.home_path().join("config.toml"),
        "[api]\nrate_limit_per_minute = 1000000\n",
    )
    .unwrap();
    let served = l.serve("schemathesis");
    let (port, key) = (served.port, served.key.clone());
    let base = format!("http://127.0.0.1:{port}");
    let out = Command::new(&st)
        .args([
            "run",
            &format!("{base}/api/v1/openapi.json"),
            "-H",
            &format!("X-API-Key: {key}"),
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--max-examples",
            "25",
            "--exclude-path",
            "/api/v1/events",
            "--request-timeout",
            "30",
            "--no-color",
        ])
        // Its cache (.schemathesis/) goes to the test's workspace, not the repository.
        .current_dir(l.work_path())
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{stdout}\n{}",
        text(&out.stderr)
    );
    // A run that tested nothing would also exit 0.
    let tested: usize = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("Tested:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(
        tested >= 20,
        "schemathesis tested {tested} operations:\n{stdout}"
    );
}
