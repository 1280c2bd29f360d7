//! Sandbox container lifecycle: create (after host-side workspace checks and an OCI runtime
//! check that never falls back), start, stop+remove, list, inspect, and networks.
//!
//! Reads (`list`, `inspect`) go through the tolerant client into structs that keep unknown
//! states as strings; writes use bollard (Docker) or the libpod endpoint (Podman, see
//! `create.rs`). Every removal path treats "already gone" as success, so cleanup code can
//! call it unconditionally, and [`Engine::remove_sandbox`] attempts every step even when an
//! earlier one fails so that nothing is left behind.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;
use std::path::{Path, PathBuf};

use bollard::query_parameters::{
    CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder, StopContainerOptionsBuilder,
};
use serde::Deserialize;

use super::connect::{Engine, EngineKind};
use super::create;
use super::error::RuntimeError;
use super::http::{encode_path_segment, encode_query_value};
use super::spec::SandboxSpec;

/// Grace period for SIGTERM in [`Engine::stop_and_remove`]; the init forwards it to the
/// workload, which exits in milliseconds.
const STOP_GRACE_SECS: i32 = 1;

/// Host paths that must never be (inside) a workspace.
const FORBIDDEN_WORKSPACES: &[&str] = &[
    "/", "/proc", "/sys", "/dev", "/boot", "/etc", "/usr", "/bin", "/sbin", "/lib", "/var",
    "/root", "/home",
];

/// File names of engine sockets: one of these directly in a workspace (a copy, a bind mount
/// or a symlink of the real socket) is refused too.
const ENGINE_SOCKET_NAMES: &[&str] = &["docker.sock", "podman.sock"];

/// Engine sockets that must never become visible inside a sandbox.
const KNOWN_ENGINE_SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/run/podman/podman.sock",
    "/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
];

/// A container id as returned by the engine.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct ContainerId(pub String);

impl ContainerId {
    /// The id string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for ContainerId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Container state, tolerant of values this build does not know.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum ContainerState {
    /// Created, not started.
    Created,
    /// Running.
    Running,
    /// Paused.
    Paused,
    /// Restarting.
    Restarting,
    /// Being removed.
    Removing,
    /// Stopping (Podman).
    Stopping,
    /// Exited.
    Exited,
    /// Dead.
    Dead,
    /// Anything else the engine reported, verbatim.
    Other(String),
}

impl ContainerState {
    /// Parses an engine state string; Podman's `configured`/`stopped` map to their Docker names.
    pub fn parse(s: &str) -> ContainerState {
        match s.to_ascii_lowercase().as_str() {
            "created" | "configured" => ContainerState::Created,
            "running" => ContainerState::Running,
            "paused" => ContainerState::Paused,
            "restarting" => ContainerState::Restarting,
            "removing" => ContainerState::Removing,
            "stopping" => ContainerState::Stopping,
            "exited" | "stopped" => ContainerState::Exited,
            "dead" => ContainerState::Dead,
            _ => ContainerState::Other(s.to_string()),
        }
    }
}

/// One entry of [`Engine::list_sandboxes`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ContainerSummary {
    /// Full container id.
    pub id: ContainerId,
    /// Name without the leading `/`.
    pub name: String,
    /// Image reference.
    pub image: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// State.
    pub state: ContainerState,
    /// Creation time, seconds since the epoch.
    pub created: i64,
}

/// Result of [`Engine::inspect`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ContainerDetails {
    /// Full container id.
    pub id: ContainerId,
    /// Name without the leading `/`.
    pub name: String,
    /// Image reference.
    pub image: String,
    /// State.
    pub state: ContainerState,
    /// Whether the container is running.
    pub running: bool,
    /// Exit code once the container has exited.
    pub exit_code: Option<i64>,
    /// Killed by the OOM killer.
    pub oom_killed: bool,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// The OCI runtime actually used (Podman: from the libpod inspect).
    pub oci_runtime: Option<String>,
    /// Network mode (`none`, or the network name).
    pub network_mode: Option<String>,
    /// RFC 3339 start time, if started.
    pub started_at: Option<String>,
    /// Host PID of the container's PID 1 while running (engine's PID namespace).
    pub pid: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawSummary {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "Names")]
    names: Option<Vec<String>>,
    #[serde(rename = "Image")]
    image: String,
    #[serde(rename = "Labels")]
    labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "State")]
    state: String,
    #[serde(rename = "Created")]
    created: i64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawInspect {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Image")]
    image: String,
    #[serde(rename = "ImageName")]
    image_name: String,
    #[serde(rename = "State")]
    state: RawState,
    #[serde(rename = "Config")]
    config: RawConfig,
    #[serde(rename = "HostConfig")]
    host_config: RawHostConfig,
    #[serde(rename = "OCIRuntime")]
    oci_runtime: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawState {
    #[serde(rename = "Status")]
    status: String,
    #[serde(rename = "Running")]
    running: bool,
    #[serde(rename = "ExitCode")]
    exit_code: i64,
    #[serde(rename = "OOMKilled")]
    oom_killed: bool,
    #[serde(rename = "StartedAt")]
    started_at: String,
    #[serde(rename = "Pid")]
    pid: i64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawConfig {
    #[serde(rename = "Labels")]
    labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "Image")]
    image: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawHostConfig {
    #[serde(rename = "NetworkMode")]
    network_mode: String,
    #[serde(rename = "Runtime")]
    runtime: String,
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn details_from_raw(kind: EngineKind, raw: RawInspect) -> ContainerDetails {
    let state = ContainerState::parse(&raw.state.status);
    let started_at = non_empty(raw.state.started_at).filter(|s| !s.starts_with("0001-01-01"));
    // Docker reports the runtime in HostConfig; Podman's libpod inspect in OCIRuntime (its
    // compat inspect would say "oci").
    let oci_runtime = match kind {
        EngineKind::Podman => non_empty(raw.oci_runtime),
        EngineKind::Docker => non_empty(raw.host_config.runtime),
    };
    ContainerDetails {
        id: ContainerId(raw.id),
        name: raw.name.trim_start_matches('/').to_string(),
        image: [raw.config.image, raw.image_name, raw.image]
            .into_iter()
            .find(|s| !s.is_empty())
            .unwrap_or_default(),
        exit_code: matches!(state, ContainerState::Exited | ContainerState::Dead)
            .then_some(raw.state.exit_code),
        running: raw.state.running,
        oom_killed: raw.state.oom_killed,
        labels: raw.config.labels.unwrap_or_default(),
        oci_runtime,
        network_mode: non_empty(raw.host_config.network_mode),
        started_at,
        pid: (raw.state.pid > 0).then_some(raw.state.pid),
        state,
    }
}

/// The engine's `label` filter values: `key=value`, or `key` for "has this label".
pub(crate) fn label_filter_values(labels: &[(&str, Option<&str>)]) -> Vec<String> {
    labels
        .iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{k}={v}"),
            None => (*k).to_string(),
        })
        .collect()
}

/// The label filter query for `GET /containers/json`.
fn label_filter_query(labels: &[(&str, Option<&str>)]) -> String {
    let filters = serde_json::json!({ "label": label_filter_values(labels) });
    format!(
        "/containers/json?all=true&filters={}",
        encode_query_value(&filters.to_string())
    )
}

/// Host-side workspace checks: exists, is a directory, is not a system directory, and
/// contains no engine socket. Returns the canonical path that is bind-mounted. Public so the
/// service can refuse a bad directory before it connects to an engine.
pub fn check_workspace(
    workspace: &Path,
    engine_socket: Option<&Path>,
) -> Result<PathBuf, RuntimeError> {
    let canon = std::fs::canonicalize(workspace).map_err(|e| {
        RuntimeError::spec(
            "workspace",
            format!("{}: {e}; create the directory first", workspace.display()),
        )
    })?;
    if !canon.is_dir() {
        return Err(RuntimeError::spec(
            "workspace",
            format!("{} is not a directory", canon.display()),
        ));
    }
    let exact = FORBIDDEN_WORKSPACES.iter().any(|f| canon == Path::new(f));
    let inside = ["/proc", "/sys", "/dev"]
        .iter()
        .any(|f| canon.starts_with(f));
    if exact || inside {
        return Err(RuntimeError::spec(
            "workspace",
            format!(
                "{} (resolved from {}) is a system directory; use a project directory",
                canon.display(),
                workspace.display()
            ),
        ));
    }
    let sockets = engine_socket
        .into_iter()
        .map(Path::to_path_buf)
        .chain(KNOWN_ENGINE_SOCKETS.iter().map(PathBuf::from))
        .chain(
            ENGINE_SOCKET_NAMES
                .iter()
                .map(|n| canon.join(n))
                .filter(|p| p.exists()),
        );
    for s in sockets {
        let resolved = std::fs::canonicalize(&s).unwrap_or(s.clone());
        if resolved.starts_with(&canon) || s.starts_with(&canon) {
            return Err(RuntimeError::spec(
                "workspace",
                format!(
                    "{} contains the container engine socket {}; mounting it would hand the sandbox full control of the \
                     host. Use a directory that does not contain it",
                    canon.display(),
                    s.display()
                ),
            ));
        }
    }
    Ok(canon)
}

impl Engine {
    /// Creates (does not start) a hardened sandbox container.
    pub async fn create_sandbox(&self, spec: &SandboxSpec) -> Result<ContainerId, RuntimeError> {
        spec.validate()?;
        let workspace = check_workspace(&spec.workspace, self.endpoint.socket_path())?;
        if let Some(r) = &spec.oci_runtime {
            self.require_runtime(r).await?;
        }
        if !self.image_exists(&spec.image).await? {
            return Err(RuntimeError::ImageNotFound {
                image: spec.image.clone(),
                engine: self.kind,
                hint: "build it first (`lasso image build`, or bootstrap the base image); nothing can be pulled".into(),
            });
        }
        let op = format!("create container {}", spec.name);
        let id = match self.kind {
            EngineKind::Docker => {
                let opts = CreateContainerOptionsBuilder::default()
                    .name(&spec.name)
                    .build();
                let body = create::docker_body(spec, &workspace);
                self.docker
                    .create_container(Some(opts), body)
                    .await
                    .map_err(|e| {
                        self.map_create_error(
                            &spec.name,
                            RuntimeError::from_bollard(self.kind, &op, e),
                        )
                    })?
                    .id
            }
            EngineKind::Podman => {
                // libpod reads the profile from a path at create time; it is not needed after.
                let seccomp_file = match &spec.seccomp_profile {
                    Some(json) => Some(TempProfile::write(json)?),
                    None => None,
                };
                let body = serde_json::to_vec(&create::podman_body(
                    spec,
                    &workspace,
                    seccomp_file.as_ref().map(|f| f.0.as_path()),
                ))
                .map_err(|e| RuntimeError::Protocol {
                    engine: self.kind,
                    op: op.clone(),
                    message: e.to_string(),
                })?;
                let r = self
                    .raw("POST", "/libpod/containers/create", Some(&body))
                    .await;
                drop(seccomp_file);
                let r = r?;
                if !r.is_success() {
                    let e = RuntimeError::from_status(
                        self.kind,
                        op.clone(),
                        r.status,
                        r.error_message(),
                    );
                    return Err(self.map_create_error(&spec.name, e));
                }
                #[derive(Deserialize)]
                struct Created {
                    #[serde(rename = "Id")]
                    id: String,
                }
                serde_json::from_slice::<Created>(&r.body)
                    .map_err(|e| RuntimeError::Protocol {
                        engine: self.kind,
                        op: op.clone(),
                        message: e.to_string(),
                    })?
                    .id
            }
        };
        let id = ContainerId(id);
        if let Some(requested) = &spec.oci_runtime {
            // Fail closed: prove the engine honoured the runtime before anyone uses the sandbox.
            let actual = match self.inspect(&id).await {
                Ok(d) => d.oci_runtime.unwrap_or_default(),
                Err(e) => {
                    let _ = self.stop_and_remove(&id).await;
                    return Err(e);
                }
            };
            if &actual != requested {
                let _ = self.stop_and_remove(&id).await;
                return Err(RuntimeError::RuntimeMismatch {
                    engine: self.kind,
                    requested: requested.clone(),
                    actual,
                    hint: "the engine did not apply the requested runtime; check its runtime configuration".into(),
                });
            }
        }
        Ok(id)
    }

    fn map_create_error(&self, name: &str, e: RuntimeError) -> RuntimeError {
        let conflict = e.status() == Some(409)
            || matches!(&e, RuntimeError::Engine { message, .. } if message.contains("already in use"));
        if conflict {
            return RuntimeError::NameConflict {
                what: "container",
                name: name.to_string(),
                engine: self.kind,
            };
        }
        e
    }

    /// Fails unless `runtime` can run sandboxes on this engine. Docker: registered with the
    /// daemon. Podman: installed, and the service's default runtime, because Podman 4's API
    /// has no per-container runtime choice (the compat field is ignored and libpod's
    /// `oci_runtime` is not applied); a gVisor sandbox on Podman needs a Podman service
    /// started with `--runtime runsc`.
    pub async fn require_runtime(&self, runtime: &str) -> Result<(), RuntimeError> {
        let info = self.info().await?;
        let entry = info.runtime(runtime);
        let installed = entry.is_some_and(|r| r.installed != Some(false));
        let default_matches = info.default_runtime == runtime
            || Path::new(&info.default_runtime)
                .file_name()
                .is_some_and(|n| n == runtime);
        let hint = match (self.kind, entry) {
            (EngineKind::Docker, _) if installed => return Ok(()),
            (EngineKind::Podman, _) if installed && default_matches => return Ok(()),
            (EngineKind::Podman, _) if installed => format!(
                "Podman's API cannot choose the OCI runtime per container; run a Podman service whose default \
                 runtime is {runtime} (`podman --runtime {runtime} system service --time=0 unix:///run/lasso/podman-{runtime}.sock`; \
                 for the packaged runsc add `--runtime-flag network=none`) and point CONTAINER_HOST at it"
            ),
            (EngineKind::Podman, Some(r)) => format!(
                "Podman expects it at {} but that file does not exist: install it (gVisor: `apt-get install runsc`; \
                 kata: kata-containers) or point [engine.runtimes] {runtime} in /etc/containers/containers.conf at \
                 the binary, then restart the Podman service",
                r.path.as_deref().unwrap_or("?")
            ),
            (EngineKind::Podman, None) => format!(
                "install it and register it in /etc/containers/containers.conf: [engine.runtimes] {runtime} = \
                 [\"/path/to/{runtime}\"], then restart the Podman service"
            ),
            (EngineKind::Docker, _) => format!(
                "install it and register it with the daemon: /etc/docker/daemon.json {{\"runtimes\":{{\"{runtime}\":\
                 {{\"path\":\"/path/to/{runtime}\"}}}}}} (or `dockerd --add-runtime {runtime}=/path`), then reload or \
                 restart dockerd"
            ),
        };
        Err(RuntimeError::RuntimeUnavailable {
            runtime: runtime.to_string(),
            engine: self.kind,
            available: match self.kind {
                EngineKind::Docker => info.usable_runtimes(),
                EngineKind::Podman => vec![info.default_runtime.clone()],
            },
            hint,
        })
    }

    /// Starts a created sandbox.
    pub async fn start(&self, container: &str) -> Result<(), RuntimeError> {
        self.docker
            .start_container(container, None)
            .await
            .map_err(|e| {
                self.not_found_or(
                    container,
                    RuntimeError::from_bollard(
                        self.kind,
                        format!("start container {container}"),
                        e,
                    ),
                )
            })
    }

    /// Creates and starts a sandbox; if starting fails, the container is removed again.
    pub async fn launch_sandbox(&self, spec: &SandboxSpec) -> Result<ContainerId, RuntimeError> {
        let id = self.create_sandbox(spec).await?;
        if let Err(e) = self.start(&id).await {
            let _ = self.stop_and_remove(&id).await;
            return Err(e);
        }
        Ok(id)
    }

    /// Stops (SIGTERM, 1 s grace) and force-removes a container with its anonymous volumes.
    /// A container that no longer exists counts as removed.
    pub async fn stop_and_remove(&self, container: &str) -> Result<(), RuntimeError> {
        let stop = StopContainerOptionsBuilder::default()
            .t(STOP_GRACE_SECS)
            .build();
        let stop_err = match self.docker.stop_container(container, Some(stop)).await {
            Ok(()) => None,
            Err(e) => {
                let e =
                    RuntimeError::from_bollard(self.kind, format!("stop container {container}"), e);
                // 304: already stopped; 404: already gone.
                (!matches!(e.status(), Some(304) | Some(404))).then_some(e)
            }
        };
        let rm = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(true)
            .build();
        match self.docker.remove_container(container, Some(rm)).await {
            Ok(()) => Ok(()),
            Err(e) => {
                let e = RuntimeError::from_bollard(
                    self.kind,
                    format!("remove container {container}"),
                    e,
                );
                if e.is_not_found() {
                    Ok(())
                } else {
                    Err(stop_err.unwrap_or(e))
                }
            }
        }
    }

    /// Removes everything a sandbox owns: its container and, if given, its network. Every
    /// step is attempted; the first failure is returned.
    pub async fn remove_sandbox(
        &self,
        container: &str,
        network: Option<&str>,
    ) -> Result<(), RuntimeError> {
        let c = self.stop_and_remove(container).await;
        let n = match network {
            Some(n) => self.remove_network(n).await,
            None => Ok(()),
        };
        c.and(n)
    }

    /// All containers (running or not) carrying every given label (`(key, None)` = has the key).
    pub async fn list_sandboxes(
        &self,
        labels: &[(&str, Option<&str>)],
    ) -> Result<Vec<ContainerSummary>, RuntimeError> {
        let raw: Vec<RawSummary> = self
            .raw_json("list containers", &label_filter_query(labels))
            .await?;
        Ok(raw
            .into_iter()
            .map(|r| ContainerSummary {
                name: r
                    .names
                    .unwrap_or_default()
                    .first()
                    .map(|n| n.trim_start_matches('/').to_string())
                    .unwrap_or_default(),
                id: ContainerId(r.id),
                image: r.image,
                labels: r.labels.unwrap_or_default(),
                state: ContainerState::parse(&r.state),
                created: r.created,
            })
            .collect())
    }

    /// Inspects a container by name or id.
    pub async fn inspect(&self, container: &str) -> Result<ContainerDetails, RuntimeError> {
        let seg = encode_path_segment(container);
        let path = match self.kind {
            EngineKind::Docker => format!("/containers/{seg}/json"),
            EngineKind::Podman => format!("/libpod/containers/{seg}/json"),
        };
        let raw: RawInspect = self
            .raw_json(&format!("inspect container {container}"), &path)
            .await
            .map_err(|e| self.not_found_or(container, e))?;
        Ok(details_from_raw(self.kind, raw))
    }

    fn not_found_or(&self, container: &str, e: RuntimeError) -> RuntimeError {
        if e.status() == Some(404) {
            RuntimeError::ContainerNotFound {
                container: container.to_string(),
                engine: self.kind,
            }
        } else {
            e
        }
    }
}

/// A seccomp profile written for libpod to read, removed when dropped.
struct TempProfile(std::path::PathBuf);

impl TempProfile {
    fn write(json: &str) -> Result<TempProfile, RuntimeError> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let path = std::env::temp_dir().join(format!(
            "lasso-seccomp-{}-{}.json",
            std::process::id(),
            super::exec::new_marker()
        ));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .and_then(|mut f| f.write_all(json.as_bytes()).map(|()| f))
            .map_err(|e| {
                RuntimeError::spec(
                    "seccomp_profile",
                    format!("cannot write {}: {e}", path.display()),
                )
            })?;
        let _ = f.flush();
        Ok(TempProfile(path))
    }
}

impl Drop for TempProfile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn states_are_tolerant() {
        assert_eq!(ContainerState::parse("running"), ContainerState::Running);
        assert_eq!(ContainerState::parse("configured"), ContainerState::Created);
        assert_eq!(ContainerState::parse("stopped"), ContainerState::Exited);
        assert_eq!(
            ContainerState::parse("hibernating"),
            ContainerState::Other("hibernating".into())
        );
    }

    #[test]
    fn docker_inspect_is_interpreted() {
        let raw: RawInspect = serde_json::from_str(
            r#"{"Id":"abc","Name":"/lasso-1","State":{"Status":"exited","Running":false,"ExitCode":137,
            "OOMKilled":true,"StartedAt":"2026-01-01T00:00:00Z","Pid":0,"Health":{"Status":"new-kind"}},
            "Config":{"Labels":{"a":"b"},"Image":"lasso-base:latest"},"HostConfig":{"NetworkMode":"none",
            "Runtime":"runsc","Isolation":"unknown-enum-value"},"OCIRuntime":"ignored-on-docker"}"#,
        )
        .unwrap();
        let d = details_from_raw(EngineKind::Docker, raw);
        assert_eq!(d.name, "lasso-1");
        assert_eq!(d.state, ContainerState::Exited);
        assert_eq!(d.exit_code, Some(137));
        assert!(d.oom_killed);
        assert_eq!(d.oci_runtime.as_deref(), Some("runsc"));
        assert_eq!(d.network_mode.as_deref(), Some("none"));
        assert_eq!(d.labels.get("a").map(String::as_str), Some("b"));
        assert_eq!(d.pid, None);
    }

    #[test]
    fn podman_inspect_uses_oci_runtime() {
        let raw: RawInspect = serde_json::from_str(
            r#"{"Id":"abc","Name":"lasso-2","State":{"Status":"running","Running":true,"Pid":42,
            "StartedAt":"2026-01-01T00:00:00Z"},"Config":{"Labels":null},"HostConfig":{"NetworkMode":"none",
            "Runtime":"oci"},"OCIRuntime":"runsc","ImageName":"localhost/lasso-base:latest"}"#,
        )
        .unwrap();
        let d = details_from_raw(EngineKind::Podman, raw);
        assert_eq!(d.oci_runtime.as_deref(), Some("runsc"));
        assert!(d.running);
        assert_eq!(d.exit_code, None);
        assert_eq!(d.pid, Some(42));
        assert_eq!(d.image, "localhost/lasso-base:latest");
        assert!(d.labels.is_empty());
    }

    #[test]
    fn never_started_has_no_start_time() {
        let raw: RawInspect = serde_json::from_str(
            r#"{"State":{"Status":"created","StartedAt":"0001-01-01T00:00:00Z"}}"#,
        )
        .unwrap();
        assert_eq!(details_from_raw(EngineKind::Docker, raw).started_at, None);
    }

    #[test]
    fn label_filter_is_encoded() {
        let q = label_filter_query(&[("lasso.managed", None), ("lasso.profile", Some("dev"))]);
        assert!(q.starts_with("/containers/json?all=true&filters="));
        let enc = q.split("filters=").nth(1).unwrap();
        assert!(!enc.contains('"') && !enc.contains('{'));
        assert!(enc.contains("lasso.profile%3Ddev"));
    }

    #[test]
    fn workspace_checks() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().join("proj");
        std::fs::create_dir(&ws).unwrap();
        assert_eq!(
            check_workspace(&ws, None).unwrap(),
            std::fs::canonicalize(&ws).unwrap()
        );

        let e = check_workspace(Path::new("/"), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("system directory"), "{e}");
        let e = check_workspace(Path::new("/proc/self"), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("system directory"), "{e}");
        let e = check_workspace(&dir.path().join("missing"), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("create the directory first"), "{e}");
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        let e = check_workspace(&file, None).unwrap_err().to_string();
        assert!(e.contains("not a directory"), "{e}");
        for system in ["/etc", "/home", "/var"] {
            let e = check_workspace(Path::new(system), None)
                .unwrap_err()
                .to_string();
            assert!(e.contains("system directory"), "{system}: {e}");
        }
        std::fs::write(ws.join("docker.sock"), b"").unwrap();
        let e = check_workspace(&ws, None).unwrap_err().to_string();
        assert!(e.contains("engine socket"), "{e}");

        // The engine socket inside the workspace (directly or through a symlinked workspace).
        let sock = ws.join("engine.sock");
        let e = check_workspace(&ws, Some(&sock)).unwrap_err().to_string();
        assert!(e.contains("engine socket"), "{e}");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&ws, &link).unwrap();
        let e = check_workspace(&link, Some(&sock)).unwrap_err().to_string();
        assert!(e.contains("engine socket"), "{e}");
        // A sibling directory is fine.
        let other = dir.path().join("other");
        std::fs::create_dir(&other).unwrap();
        check_workspace(&other, Some(&sock)).unwrap();
    }
}
