//! The one error type of the runtime layer.
//!
//! Every variant carries enough context for a user to act on it: which engine, which
//! container or image, which value was wrong and what to do about it. Engine errors from
//! bollard are never passed through raw: [`RuntimeError::from_bollard`] attaches the
//! operation that failed and turns the status codes the caller can react to (404, 409)
//! into their own variants.

use std::path::PathBuf;
use std::time::Duration;

use super::EngineKind;
use super::connect::ConnectAttempt;

/// Errors of the container runtime layer.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// No engine answered at any of the places discovery tried.
    #[error("{}", no_engine_message(.attempts))]
    NoEngine {
        /// Every endpoint that was tried, with why it failed.
        attempts: Vec<ConnectAttempt>,
    },

    /// A configuration value (environment variable, setting) is invalid.
    #[error("invalid value {value:?} for {key}: {reason}")]
    InvalidOption {
        /// The setting or variable name, e.g. `LASSO_RUNTIME`.
        key: String,
        /// The offending value.
        value: String,
        /// What is allowed instead.
        reason: String,
    },

    /// A sandbox, exec or image request is invalid; nothing was sent to the engine.
    #[error("invalid {field}: {reason}")]
    InvalidSpec {
        /// The field of the request, e.g. `workspace` or `masked_paths[2]`.
        field: String,
        /// What is wrong and what is allowed.
        reason: String,
    },

    /// The requested OCI runtime is not available on this engine. lasso never falls back
    /// to another runtime.
    #[error(
        "OCI runtime {runtime:?} is not available on {engine} (available: {available}): {hint}",
        available = if .available.is_empty() { "none reported".to_string() } else { .available.join(", ") }
    )]
    RuntimeUnavailable {
        /// The runtime that was requested (`runsc`, `kata`, ...).
        runtime: String,
        /// The engine that was asked.
        engine: EngineKind,
        /// The runtimes the engine reported as usable.
        available: Vec<String>,
        /// How to install and register it.
        hint: String,
    },

    /// The container engine created the container with a different OCI runtime than the one
    /// requested (Podman's Docker-compatible API silently ignores the runtime field). The
    /// container has been removed.
    #[error(
        "{engine} created the sandbox with OCI runtime {actual:?} instead of the requested {requested:?}; the container was removed. {hint}"
    )]
    RuntimeMismatch {
        /// The engine.
        engine: EngineKind,
        /// The runtime that was asked for.
        requested: String,
        /// The runtime the engine reports for the container.
        actual: String,
        /// What to do.
        hint: String,
    },

    /// The image does not exist in the engine's local store (nothing can be pulled).
    #[error("image {image:?} not found in the {engine} image store: {hint}")]
    ImageNotFound {
        /// The image reference.
        image: String,
        /// The engine.
        engine: EngineKind,
        /// How to get it (`lasso image build`, ...).
        hint: String,
    },

    /// The container does not exist (any more).
    #[error("container {container:?} not found on {engine}")]
    ContainerNotFound {
        /// Name or id as given by the caller.
        container: String,
        /// The engine.
        engine: EngineKind,
    },

    /// A container or network with that name already exists.
    #[error(
        "{what} name {name:?} is already in use on {engine}: remove the old one or choose another name"
    )]
    NameConflict {
        /// "container" or "network".
        what: &'static str,
        /// The conflicting name.
        name: String,
        /// The engine.
        engine: EngineKind,
    },

    /// An image build failed; `message` is the engine's own message.
    #[error("building image {tag:?} on {engine} failed: {message}")]
    BuildFailed {
        /// The tag being built.
        tag: String,
        /// The engine.
        engine: EngineKind,
        /// The engine's error message (the failing step's output).
        message: String,
    },

    /// Preparing a base image on the host (busybox, debootstrap) failed.
    #[error("image bootstrap step {step:?} failed: {message}")]
    Bootstrap {
        /// The step, e.g. `debootstrap` or `busybox`.
        step: &'static str,
        /// What happened and how to fix it.
        message: String,
    },

    /// The engine rejected or failed an operation.
    #[error("{engine}: {op} failed: {message}{}", hint_suffix(.hint))]
    Engine {
        /// The engine.
        engine: EngineKind,
        /// The operation, e.g. `create container lasso-1`.
        op: String,
        /// HTTP status code, when the engine answered with one.
        status: Option<u16>,
        /// The engine's message.
        message: String,
        /// What to do about it, when known.
        hint: Option<String>,
    },

    /// The engine did not answer in time.
    #[error("{engine}: {op} did not complete within {after:?}; is the engine overloaded or hung?")]
    EngineTimeout {
        /// The engine.
        engine: EngineKind,
        /// The operation.
        op: String,
        /// How long we waited.
        after: Duration,
    },

    /// The engine answered with something we could not understand.
    #[error("{engine}: unexpected response to {op}: {message}")]
    Protocol {
        /// The engine.
        engine: EngineKind,
        /// The operation.
        op: String,
        /// What was wrong with the response.
        message: String,
    },

    /// A host file operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What we were doing, e.g. `reading`.
        op: &'static str,
        /// The path.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl RuntimeError {
    /// Wraps a bollard error with the operation that failed, mapping the statuses a caller
    /// can act on to their own variants.
    pub(crate) fn from_bollard(
        engine: EngineKind,
        op: impl Into<String>,
        err: bollard::errors::Error,
    ) -> Self {
        use bollard::errors::Error as B;
        let op = op.into();
        match err {
            B::DockerResponseServerError {
                status_code,
                message,
            } => Self::from_status(engine, op, status_code, message),
            B::DockerStreamError { error } => Self::Engine {
                engine,
                op,
                status: None,
                message: error,
                hint: None,
            },
            B::RequestTimeoutError => Self::EngineTimeout {
                engine,
                op,
                after: Duration::from_secs(0),
            },
            B::JsonDataError { message, .. } => Self::Protocol {
                engine,
                op,
                message,
            },
            B::JsonSerdeError { err } => Self::Protocol {
                engine,
                op,
                message: err.to_string(),
            },
            other => Self::Engine {
                engine,
                op,
                status: None,
                message: other.to_string(),
                hint: Some("check that the engine is still running".to_string()),
            },
        }
    }

    /// Builds the error for a non-success HTTP status.
    pub(crate) fn from_status(
        engine: EngineKind,
        op: String,
        status: u16,
        message: String,
    ) -> Self {
        let message = message.trim().to_string();
        let hint = hint_for_engine_message(&message);
        Self::Engine {
            engine,
            op,
            status: Some(status),
            message,
            hint,
        }
    }

    /// The HTTP status of an engine error, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Engine { status, .. } => *status,
            Self::ContainerNotFound { .. } | Self::ImageNotFound { .. } => Some(404),
            Self::NameConflict { .. } => Some(409),
            _ => None,
        }
    }

    /// True when the engine said the object does not exist.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            op,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn spec(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidSpec {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Known engine failure messages and what the user should do about them.
fn hint_for_engine_message(message: &str) -> Option<String> {
    let lower = message.to_ascii_lowercase();
    if lower.contains("cannot run with network enabled in root network namespace") {
        return Some(
            "this runsc (gVisor) release misdetects network namespaces on recent kernels; register it with its \
             own network disabled: Docker: /etc/docker/daemon.json {\"runtimes\":{\"runsc\":{\"path\":\"/usr/bin/runsc\",\
             \"runtimeArgs\":[\"--network=none\"]}}}; Podman: point [engine.runtimes] runsc in containers.conf at a \
             wrapper that runs `/usr/bin/runsc --network=none \"$@\"`"
                .to_string(),
        );
    }
    if lower.contains("rlimit") || lower.contains("ulimit") {
        return Some(
            "a ulimit (nofile/fsize) is above the engine host's hard limit; lower it in the profile or raise the \
             host limit (`ulimit -Hn`)"
                .to_string(),
        );
    }
    if lower.contains("unknown runtime")
        || lower.contains("oci runtime") && lower.contains("not found")
    {
        return Some("install the runtime and register it with the engine, or remove `oci_runtime` from the profile".to_string());
    }
    if lower.contains("no such image") || lower.contains("image not known") {
        return Some(
            "build the image first (`lasso image build`); nothing can be pulled".to_string(),
        );
    }
    None
}

fn hint_suffix(hint: &Option<String>) -> String {
    match hint {
        Some(h) => format!(" (hint: {h})"),
        None => String::new(),
    }
}

fn no_engine_message(attempts: &[ConnectAttempt]) -> String {
    let mut out = String::from("no container engine reachable. Tried:\n");
    for a in attempts {
        out.push_str(&format!("  - {} ({}): {}\n", a.endpoint, a.source, a.error));
    }
    if attempts.is_empty() {
        out.push_str("  (nothing: no socket candidates for the selected runtime)\n");
    }
    out.push_str(
        "Fix: start Docker (`dockerd`, or `systemctl start docker`) or Podman (`podman system service --time=0 \
         unix:///run/podman/podman.sock`), or point DOCKER_HOST / CONTAINER_HOST at its socket \
         (unix:///path or tcp://host:port); LASSO_RUNTIME=docker|podman restricts which engine is used.",
    );
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn not_found_status_is_detected() {
        let e = RuntimeError::from_bollard(
            EngineKind::Docker,
            "inspect container x",
            bollard::errors::Error::DockerResponseServerError {
                status_code: 404,
                message: "No such container: x".into(),
            },
        );
        assert!(e.is_not_found());
        assert!(e.to_string().contains("inspect container x"));
        assert!(e.to_string().contains("No such container"));
    }

    #[test]
    fn gvisor_network_failure_gets_a_fix() {
        let e = RuntimeError::from_status(
            EngineKind::Docker,
            "start container a".into(),
            500,
            "OCI runtime start failed: cannot run with network enabled in root network namespace: unknown".into(),
        );
        let s = e.to_string();
        assert!(s.contains("--network=none"), "{s}");
        assert!(s.contains("daemon.json"), "{s}");
    }

    #[test]
    fn no_engine_lists_every_attempt_and_a_fix() {
        let e = RuntimeError::NoEngine {
            attempts: vec![
                ConnectAttempt {
                    endpoint: "unix:///var/run/docker.sock".into(),
                    source: "default Docker socket".into(),
                    error: "socket does not exist".into(),
                },
                ConnectAttempt {
                    endpoint: "tcp://10.0.0.1:2375".into(),
                    source: "DOCKER_HOST".into(),
                    error: "connection refused".into(),
                },
            ],
        };
        let s = e.to_string();
        assert!(s.contains(
            "unix:///var/run/docker.sock (default Docker socket): socket does not exist"
        ));
        assert!(s.contains("tcp://10.0.0.1:2375 (DOCKER_HOST): connection refused"));
        assert!(s.contains("DOCKER_HOST"));
        assert!(s.contains("podman system service"));
    }

    #[test]
    fn runtime_unavailable_names_runtime_and_alternatives() {
        let e = RuntimeError::RuntimeUnavailable {
            runtime: "kata".into(),
            engine: EngineKind::Podman,
            available: vec!["runc".into(), "runsc".into()],
            hint: "install kata-containers".into(),
        };
        let s = e.to_string();
        assert!(s.contains("\"kata\""));
        assert!(s.contains("runc, runsc"));
        assert!(s.contains("install kata-containers"));
    }
}
