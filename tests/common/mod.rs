//! Shared helpers for the binary's integration tests: an isolated LASSO_HOME per test, the
//! `lasso` binary, and the loud skip when no engine is reachable.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub mod pty;

/// One isolated lasso instance: its own LASSO_HOME and workspace. Stops every sandbox of its
/// home on drop, so a failing test leaves nothing behind.
pub struct Lasso {
    pub home: tempfile::TempDir,
    pub work: tempfile::TempDir,
    pub engine: bool,
}

impl Lasso {
    pub fn new() -> Lasso {
        let home = tempfile::tempdir().unwrap();
        // LASSO_HOME must not be group/world writable; tempdir is 0700 already.
        let work = tempfile::tempdir().unwrap();
        // The sandbox user is 1000:1000; as root (CI) hand it the workspace, as a user would own
        // their project. Not being root is fine: then the tests run as the owner anyway.
        let _ = std::os::unix::fs::chown(work.path(), Some(1000), Some(1000));
        Lasso {
            home,
            work,
            engine: false,
        }
    }

    /// A lasso instance for tests that need an engine; `None` (after a loud message) when no
    /// engine is reachable, unless LASSO_REQUIRE_ENGINE=1, where it panics.
    pub fn with_engine(test: &str) -> Option<Lasso> {
        if !engine_reachable(test) {
            return None;
        }
        let mut l = Lasso::new();
        l.engine = true;
        Some(l)
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_lasso"));
        c.env("LASSO_HOME", self.home.path().join("home"));
        c.env_remove("LASSO_PROFILE_DIR");
        c.env_remove("LASSO_BASE_IMAGE");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    /// Runs and parses stdout as JSON, panicking with both streams when that fails.
    pub fn json(&self, args: &[&str]) -> (Output, Value) {
        let out = self.run(args);
        let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "lasso {args:?}: stdout is not JSON ({e})\nstdout: {}\nstderr: {}",
                text(&out.stdout),
                text(&out.stderr)
            )
        });
        (out, v)
    }

    pub fn work_path(&self) -> &Path {
        self.work.path()
    }

    pub fn home_path(&self) -> PathBuf {
        self.home.path().join("home")
    }
}

impl Drop for Lasso {
    fn drop(&mut self) {
        if self.engine {
            let _ = self.run(&["stop", "all"]);
        }
    }
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

pub fn assert_ok(args: &[&str], out: &Output) {
    assert!(
        out.status.success(),
        "lasso {args:?} failed ({:?})\nstdout: {}\nstderr: {}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
}

fn engine_reachable(test: &str) -> bool {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let result = rt.block_on(async {
        let opts = lasso::runtime::ConnectOptions::from_env()?;
        lasso::runtime::Engine::connect(&opts).await.map(|_| ())
    });
    match result {
        Ok(()) => true,
        Err(e) => {
            if std::env::var("LASSO_REQUIRE_ENGINE").as_deref() == Ok("1") {
                panic!("{test}: LASSO_REQUIRE_ENGINE=1 but no container engine is reachable: {e}");
            }
            eprintln!(
                "SKIPPED {test}: no container engine reachable ({e}); set LASSO_REQUIRE_ENGINE=1 to fail instead"
            );
            false
        }
    }
}

/// Writes a project profile into the workspace's `.lasso/profiles/` and returns its name.
pub fn write_project_profile(work: &Path, name: &str, body: &str) -> String {
    let dir = work.join(".lasso/profiles");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(format!("{name}.toml")),
        format!("name = \"{name}\"\n{body}"),
    )
    .unwrap();
    name.to_string()
}

/// A `lasso serve` child on a free loopback port, killed when dropped.
pub struct ServedApi {
    pub port: u16,
    /// The API key created for it.
    pub key: String,
    child: std::process::Child,
}

impl Drop for ServedApi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Lasso {
    /// Creates an API key named `key_name` and starts `lasso serve` on a free loopback port,
    /// returning once it accepts connections.
    pub fn serve(&self, key_name: &str) -> ServedApi {
        let key = self.run(&["api-key", "create", "--name", key_name]);
        assert!(key.status.success(), "{}", text(&key.stderr));
        let key = text(&key.stdout).trim().to_string();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .map(|a| a.port())
            .unwrap();
        let child = self
            .cmd()
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .unwrap();
        let served = ServedApi { port, key, child };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "lasso serve did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        served
    }
}
