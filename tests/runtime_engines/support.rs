//! Shared helpers of the runtime integration tests: engine selection (with the loud skip),
//! the base image bootstrap, uniquely named sandboxes and the cleanup guard.

use std::path::Path;
use std::time::{Duration, Instant};

use lasso::runtime::*;
use tokio::sync::OnceCell;

pub(crate) static BASE: OnceCell<()> = OnceCell::const_new();

/// Connects to the engine under test, or explains why the test is skipped.
pub(crate) async fn engine() -> Option<Engine> {
    let opts = ConnectOptions::from_env().expect("LASSO_RUNTIME must be docker or podman");
    match Engine::connect(&opts).await {
        Ok(e) => {
            BASE.get_or_init(|| async {
                let t = Instant::now();
                let built = bootstrap_busybox(&e, BASE_IMAGE, |_| {})
                    .await
                    .expect("bootstrap the base image");
                eprintln!(
                    "[{}] base image {BASE_IMAGE}: built={built} in {:?}",
                    e.kind(),
                    t.elapsed()
                );
            })
            .await;
            Some(e)
        }
        Err(err) => {
            assert!(
                std::env::var("LASSO_REQUIRE_ENGINE").as_deref() != Ok("1"),
                "LASSO_REQUIRE_ENGINE=1 but no engine is reachable: {err}"
            );
            eprintln!("SKIPPED: no container engine reachable ({err})");
            None
        }
    }
}

pub(crate) fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("lasso-rt-{prefix}-{}-{nanos:x}", std::process::id())
}

/// A workspace directory owned by the sandbox user.
pub(crate) fn workspace() -> tempfile::TempDir {
    let d = tempfile::Builder::new()
        .prefix("lasso-rt-ws-")
        .tempdir()
        .unwrap();
    std::os::unix::fs::chown(d.path(), Some(SANDBOX_UID), Some(SANDBOX_GID)).unwrap();
    d
}

/// Removes the sandbox (and its network) when dropped, from a fresh runtime on its own
/// thread, so it also runs while a failing test unwinds.
pub(crate) struct Guard {
    pub(crate) endpoint: Endpoint,
    pub(crate) container: Option<String>,
    pub(crate) network: Option<String>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let (endpoint, container, network) = (
            self.endpoint.clone(),
            self.container.take(),
            self.network.take(),
        );
        if container.is_none() && network.is_none() {
            return;
        }
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let e = Engine::connect_to(&endpoint, &ConnectOptions::default())
                    .await
                    .unwrap();
                if let Some(c) = container {
                    e.remove_sandbox(&c, network.as_deref()).await.unwrap();
                } else if let Some(n) = network {
                    e.remove_network(&n).await.unwrap();
                }
            });
        })
        .join();
    }
}

pub(crate) struct Sandbox {
    pub(crate) id: ContainerId,
    pub(crate) ws: tempfile::TempDir,
    pub(crate) _guard: Guard,
}

pub(crate) fn spec(name: &str, ws: &Path) -> SandboxSpec {
    let mut s = SandboxSpec::new(name, BASE_IMAGE, ws);
    s.labels.insert("lasso.test".into(), "runtime".into());
    s.labels.insert("lasso.test.name".into(), name.into());
    s
}

pub(crate) async fn launch(
    e: &Engine,
    prefix: &str,
    tweak: impl FnOnce(&mut SandboxSpec),
) -> Sandbox {
    let ws = workspace();
    let name = unique(prefix);
    let mut s = spec(&name, ws.path());
    tweak(&mut s);
    let guard = Guard {
        endpoint: e.endpoint().clone(),
        container: Some(name.clone()),
        network: None,
    };
    let id = e.launch_sandbox(&s).await.unwrap();
    Sandbox {
        id,
        ws,
        _guard: guard,
    }
}

pub(crate) async fn sh(e: &Engine, c: &str, script: &str) -> ExecOutput {
    e.exec(
        c,
        &ExecRequest::new(["sh", "-c", script]).timeout(Duration::from_secs(30)),
    )
    .await
    .unwrap()
}

pub(crate) async fn sh_ok(e: &Engine, c: &str, script: &str) -> String {
    let o = sh(e, c, script).await;
    assert!(
        o.success(),
        "`{script}` failed: {o:?} stderr={}",
        o.stderr_text()
    );
    o.stdout_text()
}
