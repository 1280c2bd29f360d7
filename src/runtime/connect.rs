//! Engine discovery and the connected [`Engine`] handle.
//!
//! Discovery is a pure list of candidates ([`candidates`]) followed by one probe per
//! candidate (`/_ping`, then `/version` for the kind and API version, from which the API
//! version is negotiated as bollard's `negotiate_version()` would, without asking again:
//! Docker 20.10 speaks API 1.41 and rejects bollard's newer default).
//! [`ConnectOptions`] is plain data filled by the caller (usually [`ConnectOptions::from_env`]
//! at the top of the program); nothing below reads the environment.
//!
//! An explicitly configured endpoint (`DOCKER_HOST`, `CONTAINER_HOST`) that cannot be
//! reached stops discovery with an error instead of silently falling back to a default
//! socket: a user who pointed lasso at one engine must not end up on another. An explicit
//! endpoint that answers but is the wrong kind for `LASSO_RUNTIME` is skipped (that is how
//! `DOCKER_HOST=<docker> LASSO_RUNTIME=podman` finds Podman's default socket).

use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;

use super::error::RuntimeError;
use super::http::{self, Endpoint, RawResponse};

/// The kind of container engine behind an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// Docker Engine (moby).
    Docker,
    /// Podman's Docker-compatible service.
    Podman,
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EngineKind::Docker => "docker",
            EngineKind::Podman => "podman",
        })
    }
}

impl FromStr for EngineKind {
    type Err = RuntimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "docker" => Ok(EngineKind::Docker),
            "podman" => Ok(EngineKind::Podman),
            _ => Err(RuntimeError::InvalidOption {
                key: "LASSO_RUNTIME".into(),
                value: s.into(),
                reason: "must be `docker` or `podman` (or unset to use the first engine found)"
                    .into(),
            }),
        }
    }
}

/// Where and how to look for an engine. Plain data: fill it from the environment or settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectOptions {
    /// Restrict discovery to one engine kind (`LASSO_RUNTIME`).
    pub runtime: Option<EngineKind>,
    /// `DOCKER_HOST`.
    pub docker_host: Option<String>,
    /// `CONTAINER_HOST` (Podman's variable).
    pub container_host: Option<String>,
    /// `XDG_RUNTIME_DIR`, for rootless Podman/Docker sockets.
    pub xdg_runtime_dir: Option<PathBuf>,
    /// How long one candidate may take to answer `/_ping` and `/version`. Generous: a socket
    /// that is missing or refuses fails at once, and a loaded Podman service can take several
    /// seconds to answer its first request (seen at over 5 s on a busy 2-core machine).
    pub connect_timeout: Duration,
    /// Timeout for each later engine request (builds and exec streams are not bounded by it
    /// once the engine has answered).
    pub request_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            runtime: None,
            docker_host: None,
            container_host: None,
            xdg_runtime_dir: None,
            connect_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(120),
        }
    }
}

impl ConnectOptions {
    /// Reads `LASSO_RUNTIME`, `DOCKER_HOST`, `CONTAINER_HOST` and `XDG_RUNTIME_DIR`.
    /// Empty variables count as unset. An invalid `LASSO_RUNTIME` is an error.
    pub fn from_env() -> Result<ConnectOptions, RuntimeError> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Ok(ConnectOptions {
            runtime: var("LASSO_RUNTIME").map(|v| v.parse()).transpose()?,
            docker_host: var("DOCKER_HOST"),
            container_host: var("CONTAINER_HOST"),
            xdg_runtime_dir: var("XDG_RUNTIME_DIR").map(PathBuf::from),
            ..ConnectOptions::default()
        })
    }
}

/// The API version to speak: the server's, capped at the newest bollard knows (as
/// `negotiate_version` would decide). An unreadable server version keeps bollard's default.
fn negotiated(server: &str) -> bollard::ClientVersion {
    let ours = bollard::API_DEFAULT_VERSION;
    let mut parts = server.trim().split('.').map(|p| p.parse::<usize>());
    match (parts.next(), parts.next()) {
        (Some(Ok(major)), Some(Ok(minor)))
            if (major, minor) < (ours.major_version, ours.minor_version) =>
        {
            bollard::ClientVersion {
                major_version: major,
                minor_version: minor,
            }
        }
        _ => bollard::ClientVersion {
            major_version: ours.major_version,
            minor_version: ours.minor_version,
        },
    }
}

/// One place discovery tried, for the "no engine" error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectAttempt {
    /// The endpoint as written (`unix:///run/docker.sock`).
    pub endpoint: String,
    /// Where the candidate came from (`DOCKER_HOST`, `default Docker socket`, ...).
    pub source: String,
    /// Why it failed.
    pub error: String,
}

/// A candidate endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub endpoint: Result<Endpoint, String>,
    pub raw: String,
    pub source: String,
    /// Set for DOCKER_HOST / CONTAINER_HOST: unreachable means stop, not fall back.
    pub explicit: bool,
}

/// The ordered, de-duplicated list of endpoints discovery tries.
pub(crate) fn candidates(opts: &ConnectOptions) -> Vec<Candidate> {
    let mut out = Vec::new();
    let explicit = |var: &str, value: &Option<String>, out: &mut Vec<Candidate>| {
        if let Some(v) = value {
            out.push(Candidate {
                endpoint: Endpoint::parse(v),
                raw: v.clone(),
                source: var.to_string(),
                explicit: true,
            });
        }
    };
    let docker_defaults = |out: &mut Vec<Candidate>| {
        for p in ["/var/run/docker.sock", "/run/docker.sock"] {
            out.push(default_socket(PathBuf::from(p), "default Docker socket"));
        }
        if let Some(x) = &opts.xdg_runtime_dir {
            out.push(default_socket(
                x.join("docker.sock"),
                "rootless Docker socket",
            ));
        }
    };
    let podman_defaults = |out: &mut Vec<Candidate>| {
        out.push(default_socket(
            PathBuf::from("/run/podman/podman.sock"),
            "default Podman socket",
        ));
        if let Some(x) = &opts.xdg_runtime_dir {
            out.push(default_socket(
                x.join("podman/podman.sock"),
                "rootless Podman socket",
            ));
        }
    };
    match opts.runtime {
        Some(EngineKind::Docker) => {
            explicit("DOCKER_HOST", &opts.docker_host, &mut out);
            docker_defaults(&mut out);
        }
        Some(EngineKind::Podman) => {
            explicit("CONTAINER_HOST", &opts.container_host, &mut out);
            explicit("DOCKER_HOST", &opts.docker_host, &mut out);
            podman_defaults(&mut out);
        }
        None => {
            explicit("DOCKER_HOST", &opts.docker_host, &mut out);
            explicit("CONTAINER_HOST", &opts.container_host, &mut out);
            docker_defaults(&mut out);
            podman_defaults(&mut out);
        }
    }
    // /var/run is usually a symlink to /run: probe each real socket once.
    let mut seen = HashSet::new();
    out.retain(|c| {
        let key = match &c.endpoint {
            Ok(Endpoint::Unix(p)) => std::fs::canonicalize(p)
                .unwrap_or_else(|_| p.clone())
                .display()
                .to_string(),
            Ok(e) => e.to_string(),
            Err(_) => c.raw.clone(),
        };
        seen.insert(key)
    });
    out
}

fn default_socket(path: PathBuf, source: &str) -> Candidate {
    let raw = format!("unix://{}", path.display());
    Candidate {
        endpoint: Ok(Endpoint::Unix(path)),
        raw,
        source: source.to_string(),
        explicit: false,
    }
}

/// The parts of `GET /version` we use, tolerant of anything else.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct VersionResponse {
    #[serde(rename = "Platform")]
    pub platform: Option<Platform>,
    #[serde(rename = "Components")]
    pub components: Vec<Component>,
    #[serde(rename = "Version")]
    pub version: String,
    #[serde(rename = "ApiVersion")]
    pub api_version: String,
    #[serde(rename = "Os")]
    pub os: String,
    #[serde(rename = "KernelVersion")]
    pub kernel_version: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Platform {
    #[serde(rename = "Name")]
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Component {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Version")]
    pub version: String,
    #[serde(rename = "Details")]
    pub details: Option<serde_json::Value>,
}

impl VersionResponse {
    /// Podman names itself in the components ("Podman Engine") or the platform name.
    pub fn kind(&self) -> EngineKind {
        let podman = self
            .components
            .iter()
            .any(|c| c.name.to_ascii_lowercase().contains("podman"))
            || self
                .platform
                .as_ref()
                .is_some_and(|p| p.name.to_ascii_lowercase().contains("podman"));
        if podman {
            EngineKind::Podman
        } else {
            EngineKind::Docker
        }
    }

    /// Podman's native (libpod) API version, e.g. `4.3.1`.
    pub fn libpod_api_version(&self) -> Option<String> {
        let c = self
            .components
            .iter()
            .find(|c| c.name.to_ascii_lowercase().contains("podman"))?;
        let from_details = c
            .details
            .as_ref()
            .and_then(|d| d.get("APIVersion"))
            .and_then(|v| v.as_str())
            .map(str::to_string);
        from_details.or_else(|| (!c.version.is_empty()).then(|| c.version.clone()))
    }
}

/// A connected container engine. Cheap to clone; all clones share one connection pool.
#[derive(Debug, Clone)]
pub struct Engine {
    pub(crate) docker: bollard::Docker,
    pub(crate) kind: EngineKind,
    pub(crate) endpoint: Endpoint,
    pub(crate) version: VersionResponse,
    /// `1.41` etc., as negotiated.
    pub(crate) api_version: String,
    pub(crate) libpod_version: Option<String>,
    pub(crate) request_timeout: Duration,
}

impl Engine {
    /// Finds, pings and version-negotiates an engine (see the module docs for the order).
    pub async fn connect(opts: &ConnectOptions) -> Result<Engine, RuntimeError> {
        let mut attempts = Vec::new();
        for c in candidates(opts) {
            let endpoint = match &c.endpoint {
                Ok(e) => e.clone(),
                Err(reason) => {
                    attempts.push(ConnectAttempt {
                        endpoint: c.raw.clone(),
                        source: c.source.clone(),
                        error: reason.clone(),
                    });
                    return Err(RuntimeError::NoEngine { attempts });
                }
            };
            match Engine::probe(&endpoint, opts).await {
                Ok(engine) => {
                    if let Some(want) = opts.runtime
                        && engine.kind != want
                    {
                        attempts.push(ConnectAttempt {
                            endpoint: c.raw.clone(),
                            source: c.source.clone(),
                            error: format!("answers as {}, but LASSO_RUNTIME={want}", engine.kind),
                        });
                        continue;
                    }
                    return Ok(engine);
                }
                Err(error) => {
                    attempts.push(ConnectAttempt {
                        endpoint: c.raw.clone(),
                        source: c.source.clone(),
                        error,
                    });
                    if c.explicit {
                        return Err(RuntimeError::NoEngine { attempts });
                    }
                }
            }
        }
        Err(RuntimeError::NoEngine { attempts })
    }

    /// Connects to one endpoint without discovery.
    pub async fn connect_to(
        endpoint: &Endpoint,
        opts: &ConnectOptions,
    ) -> Result<Engine, RuntimeError> {
        Engine::probe(endpoint, opts)
            .await
            .map_err(|error| RuntimeError::NoEngine {
                attempts: vec![ConnectAttempt {
                    endpoint: endpoint.to_string(),
                    source: "explicit endpoint".into(),
                    error,
                }],
            })
    }

    async fn probe(endpoint: &Endpoint, opts: &ConnectOptions) -> Result<Engine, String> {
        if let Endpoint::Unix(p) = endpoint
            && !p.exists()
        {
            return Err("socket does not exist".into());
        }
        let t = opts.connect_timeout;
        let ping = http::request(endpoint, "GET", "/_ping", None, t)
            .await
            .map_err(|e| describe_io_error(&e))?;
        if !ping.is_success() {
            return Err(format!(
                "/_ping answered HTTP {}: {}",
                ping.status,
                ping.error_message()
            ));
        }
        let v = http::request(endpoint, "GET", "/version", None, t)
            .await
            .map_err(|e| describe_io_error(&e))?;
        if !v.is_success() {
            return Err(format!(
                "/version answered HTTP {}: {}",
                v.status,
                v.error_message()
            ));
        }
        let version: VersionResponse = serde_json::from_slice(&v.body).map_err(|e| {
            format!(
                "/version did not return engine version JSON ({e}); is this a container engine?"
            )
        })?;
        let kind = version.kind();
        let secs = opts.request_timeout.as_secs().max(1);
        // Negotiate from the /version answer we already have instead of letting bollard ask
        // again: Podman takes ~0.3 s per /version here, which every CLI call would pay twice.
        let client_version = negotiated(&version.api_version);
        let docker = match endpoint {
            Endpoint::Unix(p) => {
                bollard::Docker::connect_with_unix(&p.display().to_string(), secs, &client_version)
            }
            Endpoint::Tcp { .. } => {
                bollard::Docker::connect_with_http(&endpoint.to_string(), secs, &client_version)
            }
        }
        .map_err(|e| format!("cannot set up the API client: {e}"))?;
        let cv = docker.client_version();
        let api_version = format!("{}.{}", cv.major_version, cv.minor_version);
        Ok(Engine {
            libpod_version: version.libpod_api_version(),
            docker,
            kind,
            endpoint: endpoint.clone(),
            version,
            api_version,
            request_timeout: opts.request_timeout,
        })
    }

    /// Docker or Podman.
    pub fn kind(&self) -> EngineKind {
        self.kind
    }

    /// Where the engine listens.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The negotiated Docker API version (e.g. `1.41`).
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// The engine's own version (e.g. `20.10.24+dfsg1`, `4.3.1`).
    pub fn server_version(&self) -> &str {
        &self.version.version
    }

    /// GET on the versioned compat API (or `/libpod/...` on Podman's native API).
    pub(crate) async fn raw(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<RawResponse, RuntimeError> {
        let full = if path.starts_with("/libpod/") {
            let v = self.libpod_version.as_deref().unwrap_or("4.0.0");
            format!("/v{v}{path}")
        } else {
            format!("/v{}{path}", self.api_version)
        };
        http::request(&self.endpoint, method, &full, body, self.request_timeout)
            .await
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::TimedOut {
                    RuntimeError::EngineTimeout {
                        engine: self.kind,
                        op: format!("{method} {path}"),
                        after: self.request_timeout,
                    }
                } else {
                    RuntimeError::Engine {
                        engine: self.kind,
                        op: format!("{method} {path}"),
                        status: None,
                        message: describe_io_error(&e),
                        hint: Some("check that the engine is still running".into()),
                    }
                }
            })
    }

    /// Whether the object behind a GET path exists: 2xx yes, 404 no, anything else an error
    /// naming `op`.
    pub(crate) async fn exists(&self, path: &str, op: &str) -> Result<bool, RuntimeError> {
        let r = self.raw("GET", path, None).await?;
        match r.status {
            200..=299 => Ok(true),
            404 => Ok(false),
            s => Err(RuntimeError::from_status(
                self.kind,
                op.to_string(),
                s,
                r.error_message(),
            )),
        }
    }

    /// GET + JSON decode into a tolerant struct; non-2xx becomes an engine error.
    pub(crate) async fn raw_json<T: serde::de::DeserializeOwned>(
        &self,
        op: &str,
        path: &str,
    ) -> Result<T, RuntimeError> {
        let r = self.raw("GET", path, None).await?;
        if !r.is_success() {
            return Err(RuntimeError::from_status(
                self.kind,
                op.to_string(),
                r.status,
                r.error_message(),
            ));
        }
        serde_json::from_slice(&r.body).map_err(|e| RuntimeError::Protocol {
            engine: self.kind,
            op: op.to_string(),
            message: e.to_string(),
        })
    }
}

fn describe_io_error(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::PermissionDenied => {
            "permission denied: add your user to the `docker` group, use the rootless socket \
                                ($XDG_RUNTIME_DIR/podman/podman.sock), or run as root"
                .to_string()
        }
        K::ConnectionRefused => {
            "connection refused: nothing is listening (is the engine started?)".to_string()
        }
        K::NotFound => "socket does not exist".to_string(),
        K::TimedOut => format!("timed out: {e}"),
        _ => e.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn raws(opts: &ConnectOptions) -> Vec<String> {
        candidates(opts)
            .into_iter()
            .map(|c| format!("{} <{}>", c.raw, c.source))
            .collect()
    }

    #[test]
    fn docker_only_order() {
        let opts = ConnectOptions {
            runtime: Some(EngineKind::Docker),
            docker_host: Some("tcp://h:2375".into()),
            container_host: Some("unix:///tmp/podman.sock".into()),
            xdg_runtime_dir: Some("/run/user/1000".into()),
            ..Default::default()
        };
        let r = raws(&opts);
        assert_eq!(r[0], "tcp://h:2375 <DOCKER_HOST>");
        assert!(r.iter().all(|c| !c.contains("podman")), "{r:?}");
        assert!(r.iter().any(|c| c.contains("/run/user/1000/docker.sock")));
    }

    #[test]
    fn podman_only_order_prefers_container_host() {
        let opts = ConnectOptions {
            runtime: Some(EngineKind::Podman),
            docker_host: Some("unix:///tmp/d.sock".into()),
            container_host: Some("unix:///tmp/p.sock".into()),
            xdg_runtime_dir: Some("/run/user/1000".into()),
            ..Default::default()
        };
        let r = raws(&opts);
        assert_eq!(r[0], "unix:///tmp/p.sock <CONTAINER_HOST>");
        assert_eq!(r[1], "unix:///tmp/d.sock <DOCKER_HOST>");
        assert!(r.contains(&"unix:///run/podman/podman.sock <default Podman socket>".to_string()));
        assert!(r.contains(
            &"unix:///run/user/1000/podman/podman.sock <rootless Podman socket>".to_string()
        ));
        assert!(r.iter().all(|c| !c.contains("docker.sock")), "{r:?}");
    }

    #[test]
    fn unrestricted_tries_everything_once() {
        let opts = ConnectOptions {
            docker_host: Some("unix:///tmp/x.sock".into()),
            container_host: Some("unix:///tmp/x.sock".into()),
            ..Default::default()
        };
        let r = raws(&opts);
        assert_eq!(
            r.iter().filter(|c| c.contains("/tmp/x.sock")).count(),
            1,
            "{r:?}"
        );
        assert!(r.iter().any(|c| c.contains("docker.sock")));
        assert!(r.iter().any(|c| c.contains("podman.sock")));
    }

    #[test]
    fn bad_runtime_value_is_named() {
        let e = "containerd".parse::<EngineKind>().unwrap_err().to_string();
        assert!(e.contains("LASSO_RUNTIME"), "{e}");
        assert!(e.contains("containerd"), "{e}");
        assert_eq!("Podman".parse::<EngineKind>().unwrap(), EngineKind::Podman);
    }

    #[test]
    fn detects_kind_from_version() {
        let podman: VersionResponse = serde_json::from_str(
            r#"{"Platform":{"Name":"linux/amd64/debian-12"},"Components":[{"Name":"Podman Engine","Version":"4.3.1",
            "Details":{"APIVersion":"4.3.1","Extra":{"nested":true}}}],"Version":"4.3.1","ApiVersion":"1.41","Unknown":[1]}"#,
        )
        .unwrap();
        assert_eq!(podman.kind(), EngineKind::Podman);
        assert_eq!(podman.libpod_api_version().as_deref(), Some("4.3.1"));
        let docker: VersionResponse = serde_json::from_str(
            r#"{"Platform":{"Name":""},"Components":[{"Name":"Engine","Version":"20.10.24"}],"ApiVersion":"1.41"}"#,
        )
        .unwrap();
        assert_eq!(docker.kind(), EngineKind::Docker);
        assert_eq!(docker.libpod_api_version(), None);
    }

    #[tokio::test]
    async fn missing_sockets_are_reported_with_sources() {
        let dir = tempfile::tempdir().unwrap();
        let opts = ConnectOptions {
            runtime: Some(EngineKind::Podman),
            xdg_runtime_dir: Some(dir.path().to_path_buf()),
            connect_timeout: Duration::from_millis(300),
            ..Default::default()
        };
        // /run/podman/podman.sock may exist on a developer machine; only assert on ours.
        match Engine::connect(&opts).await {
            Err(RuntimeError::NoEngine { attempts }) => {
                let a = attempts
                    .iter()
                    .find(|a| a.source == "rootless Podman socket")
                    .expect("rootless candidate tried");
                assert_eq!(a.error, "socket does not exist");
            }
            Ok(e) => assert_eq!(e.kind(), EngineKind::Podman),
            Err(other) => panic!("unexpected error {other}"),
        }
    }

    #[tokio::test]
    async fn unreachable_explicit_host_stops_discovery() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("dead.sock");
        // A socket file with nobody listening: bind then drop the listener.
        drop(std::os::unix::net::UnixListener::bind(&sock).unwrap());
        let opts = ConnectOptions {
            docker_host: Some(format!("unix://{}", sock.display())),
            connect_timeout: Duration::from_millis(300),
            ..Default::default()
        };
        let err = Engine::connect(&opts).await.unwrap_err();
        match &err {
            RuntimeError::NoEngine { attempts } => {
                assert_eq!(
                    attempts.len(),
                    1,
                    "must not fall back past DOCKER_HOST: {attempts:?}"
                );
                assert!(
                    attempts[0].error.contains("connection refused"),
                    "{attempts:?}"
                );
            }
            other => panic!("unexpected {other}"),
        }
        assert!(err.to_string().contains("DOCKER_HOST"));
    }

    #[tokio::test]
    async fn non_engine_server_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("web.sock");
        let listener = tokio::net::UnixListener::bind(&sock).unwrap();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
                    .await;
            }
        });
        let ep = Endpoint::Unix(sock);
        let err = Engine::connect_to(&ep, &ConnectOptions::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("is this a container engine?"), "{err}");
    }
}
