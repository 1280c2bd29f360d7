//! lasso's own seccomp profile: an engine whose default profile refuses the guard's system
//! calls (simulated with the Debian default minus `landlock_*`) makes the guard refuse to run,
//! with the message the create flow looks for (and then retries with lasso's profile); the
//! same profile extended by `guard_profile` lets every guard probe pass.

use std::path::Path;
use std::time::Duration;

use lasso::config::{LassoHome, ProfileStore};
use lasso::runtime::*;
use lasso::sandbox::GuardPolicyFile;
use serde_json::Value;

use super::support::*;

/// The Debian default profile without the Landlock system calls: an "older engine".
fn blocking_profile() -> Option<String> {
    let text = std::fs::read_to_string(DEFAULT_PROFILE_PATH).ok()?;
    let mut v: Value = serde_json::from_str(&text).unwrap();
    for rule in v["syscalls"].as_array_mut().unwrap() {
        if let Some(names) = rule["names"].as_array_mut() {
            names.retain(|n| !n.as_str().unwrap_or("").starts_with("landlock_"));
        }
    }
    Some(v.to_string())
}

async fn probe_with(e: &Engine, dirs: &Path, profile: String) -> ExecOutput {
    let sb = launch(e, "seccomp", |s| {
        s.guard = Some(GuardMounts {
            binary: env!("LASSO_GUARD_BIN").into(),
            policy_dir: dirs.join("policy"),
            spool_dir: dirs.join("spool"),
        });
        s.seccomp_profile = Some(profile);
    })
    .await;
    e.exec(
        &sb.id,
        &ExecRequest::new([GUARD_BINARY, "probe"]).timeout(Duration::from_secs(60)),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn lasso_seccomp_profile_unblocks_the_guard_where_the_default_blocks_it() {
    let Some(e) = engine().await else { return };
    let Some(blocking) = blocking_profile() else {
        eprintln!("SKIPPED: {DEFAULT_PROFILE_PATH} is not installed");
        return;
    };
    let dirs = tempfile::tempdir().unwrap();
    let home = LassoHome::at(dirs.path().join("home")).unwrap();
    let profile = ProfileStore::new(&home, None)
        .unwrap()
        .resolve("minimal")
        .unwrap();
    std::fs::create_dir_all(dirs.path().join("policy")).unwrap();
    std::fs::create_dir_all(dirs.path().join("spool")).unwrap();
    std::os::unix::fs::chown(dirs.path().join("spool"), Some(1000), Some(1000)).unwrap();
    GuardPolicyFile::new(&profile, "lasso-seccomp-test", &NetworkSpec::None)
        .write_to(&dirs.path().join("policy"))
        .unwrap();

    let out = probe_with(&e, dirs.path(), blocking.clone()).await;
    let err = out.stderr_text();
    assert_eq!(out.exit_code, Some(GUARD_SETUP_FAILED), "{err}");
    // Docker answers a refused call with EPERM (the guard names the seccomp profile); Podman
    // uses the profile's default errno, ENOSYS, which looks like a kernel without Landlock —
    // lasso tells the two apart by asking the host kernel, which is the same kernel.
    assert!(
        err.contains("the container engine's seccomp profile blocks")
            || err.contains("landlock is not available"),
        "{err}"
    );

    let fixed = guard_profile(&blocking).unwrap();
    let out = probe_with(&e, dirs.path(), fixed).await;
    assert_eq!(
        out.exit_code,
        Some(0),
        "{}\n{}",
        out.stdout_text(),
        out.stderr_text()
    );
}
