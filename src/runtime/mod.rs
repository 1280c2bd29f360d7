//! The container runtime layer: Docker and Podman through their HTTP APIs.
//!
//! This is the only module that talks to a container engine (and the only one that imports
//! bollard). It owns:
//! - discovery and connection ([`Engine::connect`], [`ConnectOptions`]),
//! - engine facts for `lasso check` ([`Engine::info`]),
//! - hardened sandbox containers ([`SandboxSpec`] → [`Engine::create_sandbox`]; the
//!   hardening is not configurable, see `create.rs`),
//! - exec with bounded output and a timeout that kills the whole command ([`Engine::exec`]),
//!   and interactive exec with a terminal over a raw upgraded stream ([`Engine::exec_tty`]),
//! - local images: builds, rootfs imports, save/load and the two registry-free bootstraps
//!   ([`bootstrap_busybox`], [`build_debian_image`]),
//! - networks,
//! - live state: the container event stream with reconnection ([`Engine::watch_containers`],
//!   `events.rs`, decoding in `event_decode.rs`) and one-shot resource samples
//!   ([`Engine::stats`], `stats.rs`).
//!
//! Shape: one concrete [`Engine`] (cheap to clone) with async methods; plain-data requests
//! and results; one error enum whose messages say what to do. The same code serves both
//! engines; where they differ the difference is handled in one place and documented there:
//! Podman's compat API ignores the OCI runtime and masked paths (`create.rs` uses libpod),
//! Podman 4 runs every container under its service's default runtime (`container.rs`
//! refuses any other), internal networks reach the host through the bridge unless cut off
//! (`network.rs`), and exec timeouts need a process-tree reaper (`exec.rs`, `reap.rs`).
//! Responses are read through a tolerant client (`http.rs`) so an engine adding an enum
//! value cannot break `list` or `inspect`.

mod connect;
mod container;
mod create;
mod error;
mod event_decode;
mod events;
mod exec;
mod http;
mod image;
mod info;
mod network;
mod reap;
mod seccomp;
mod spec;
mod stats;
mod tty;

pub use connect::{ConnectAttempt, ConnectOptions, Engine, EngineKind};
pub use container::{
    ContainerDetails, ContainerId, ContainerState, ContainerSummary, check_workspace,
};
pub use error::RuntimeError;
pub use event_decode::{ContainerAction, EngineEvent};
pub use events::{WatchItem, WatchOptions};
pub use exec::{
    EXEC_MARKER_ENV, ExecOutput, ExecRequest, GUARD_SETUP_FAILED, GuardExec, HOST_GRACE,
    TYPEAHEAD_KEY_ENV,
};
pub use http::Endpoint;
pub use image::{
    BASE_IMAGE, BUSYBOX_PATH, ContextFile, DEFAULT_MIRROR, DEFAULT_SUITE, DebianOptions,
    ProgressEvent, bootstrap_busybox, bootstrap_busybox_from, build_debian_image,
    build_debian_rootfs, check_static_elf, debian_mirror_from_sources, validate_package_name,
};
pub use info::{EngineInfo, OciRuntime};
pub use seccomp::{DEFAULT_PROFILE_PATH, GUARD_SYSCALLS, guard_profile, guard_profile_from};
pub use spec::{
    GUARD_BINARY, GUARD_POLICY_DIR, GUARD_SPOOL_DIR, GuardMounts, HOME_DIR, NetworkSpec,
    SANDBOX_GID, SANDBOX_UID, SANDBOX_USER, SandboxSpec, TmpfsMount, WORKSPACE_DIR,
};
pub use stats::StatsSample;
pub use tty::{TtyControl, TtyExec, TtyReader, TtyWriter};
