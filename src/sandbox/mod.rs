//! The sandbox service: the one API every front end (CLI, TUI, REST, MCP, SDK) calls.
//!
//! It ties the pure layers (profiles, the command gate) to the mechanisms (the container
//! runtime, the audit log) and owns the flows from DESIGN.md:
//!
//! * create: resolve profile → ensure image → create a hardened container with labels →
//!   start → self-test probes from inside (fail closed) → audit `lifecycle/created` → event;
//! * exec: gate → blocked: audit `violation` + event + decision → allowed: run with the
//!   profile's timeout → audit `command` with exit code and duration → result;
//! * list/status/stop/restart across every lasso process (restart: `restart.rs`); a sandbox
//!   whose create has not finished is listed as `creating` (`creating.rs`);
//! * live views for long-running front ends: engine events and resource samples (`live.rs`).
//!
//! Container labels are the registry's source of truth: every fact a later process needs
//! (profile content and hash, working dir, audit log, isolation) is written onto the
//! container at create, so two lasso processes always agree and a restart loses nothing.
//! Labels cannot be changed from inside the sandbox, which is why the profile travels there
//! rather than in a file the agent's workspace could reach.

mod admin;
mod api_keys;
mod create;
mod creating;
mod error;
mod events;
mod files;
mod guard;
mod images;
mod labels;
mod list_cache;
mod live;
mod lock;
mod mode;
mod probe;
mod restart;
mod service;
mod session;
mod spool;
mod system_check;

/// A resource sample of a sandbox ([`SandboxService::sample_stats`]).
pub use crate::runtime::StatsSample;
pub use admin::Verification;
pub use api_keys::{ApiKeyRecord, ApiKeySet, ApiKeyStore, KEY_PREFIX, constant_time_eq};
pub use creating::CREATING;
pub use error::SandboxError;
pub use events::{Event, EventBus};
pub use files::{FileRead, FileWritten, MAX_FILE_BYTES};
pub use guard::{GuardPolicyFile, RunDir, SPOOL_MAX_BYTES, guard_digest};
pub use images::{ImageProgress, base_image_for, build_profile_image, ensure_base};
pub use labels::{SandboxInfo, SandboxProblem};
pub use live::LiveEvent;
pub use mode::{ModeChange, container_name, mode_file, read_mode};
pub use probe::{GuardProbe, GuardProbeReport};
pub use service::{
    CreateRequest, ExecOptions, ExecOutcome, ExecResult, GuardDenial, SandboxService,
    ServiceOptions,
};
pub use session::{
    SessionEnd, SessionInput, SessionKind, SessionOutput, TermSize, TerminalSession,
};
pub use spool::IngestReport;
pub use system_check::{CheckItem, CheckReport, CheckStatus};
