//! Profiles and settings: the schema of `profiles/*.toml`, its validation with user-facing
//! errors, the built-in profiles, the profile store (search path, inheritance, init,
//! export/import with an integrity hash, diff) and `LASSO_HOME` with its `config.toml`.
//!
//! Layering: a file is parsed into [`RawProfile`] (every field optional; schema, types and
//! per-field limits checked with file positions), raw profiles are merged along `extends`,
//! and the merge is resolved into a [`Profile`] (every field concrete, strict defaults) and
//! validated for cross-field consistency. Everything here is synchronous and, apart from
//! `store` and `settings`, free of I/O. [`Profile::gate_policy`] is the one conversion from a
//! profile to the command gate's input.

mod agents;
mod builtin;
mod diag;
mod diff;
mod enums;
mod error;
mod exchange;
mod lock;
mod names;
mod net;
mod profile;
mod raw;
mod rules;
mod settings;
mod signing;
mod size;
mod store;
mod theme;
mod validate;
mod webhooks;

pub use agents::{AGENTS, AgentSpec, agent};
pub use builtin::{BUILTINS, Builtin, builtin, builtin_names};
pub use diag::SourceMap;
pub use diff::{Change, FieldChange, diff, render_diff};
pub use enums::{
    CommandMode, Enforcement, GuardFeature, Isolation, Mode, NetworkMode, RuntimeKind,
};
pub use error::{ConfigError, Location, Origin};
pub use exchange::{
    VerifiedExport, export, export_with, resolve_standalone, to_toml, verify_export, verify_import,
};
pub use lock::{LOCK_FILE, LockEntry, LockStatus, ProfileLock, check_project_lock, lock_path};
pub use names::{
    BlockedPattern, EnvName, HiddenPath, HostPath, ImageRef, PackageName, ProfileName, ProgramName,
    SandboxPath, check_blocked_pattern, check_env_name, check_hidden_path, check_host_path,
    check_image_ref, check_package, check_profile_name, check_program, check_sandbox_path,
    sensitive_env_reason,
};
pub use net::{Cidr, DomainPattern, Port, check_domain, domain_matches};
pub use profile::{
    AgentAuth, AuditSettings, CommandPolicy, DEFAULT_ASSIST_EXTRA, DEFAULT_BASE_IMAGE,
    DEFAULT_HIDDEN_PATHS, DEFAULT_OBSERVE, FilesystemPolicy, GuardPolicy, ImageSpec, ModeLists,
    NetworkPolicy, Profile, Resources, SANDBOX_HOME, TMP_DIR, TerminalSettings, WORKSPACE,
    default_assist, image_tag_for_hash,
};
pub use raw::{
    RawAgentAuth, RawAudit, RawCommands, RawFilesystem, RawGuard, RawImage, RawIntegrity, RawModes,
    RawNetwork, RawProfile, RawProvenance, RawResources, RawTerminal, parse_profile,
};
pub use settings::{
    DEFAULT_API_RATE_LIMIT, EnvSource, LassoHome, MAX_API_RATE_LIMIT, ProcessEnv, SettingSource,
    Settings,
};
pub use signing::{MIN_KEY_BYTES, TeamKey};
pub use size::{ByteSize, SizeError, parse_size};
pub use store::{
    HistoryEntry, ImportedProfile, LoadedProfile, MAX_CHAIN, ProfileHistory, ProfileInfo,
    ProfileSource, ProfileStore, ResolvedProfile, SavedProfile, history_dir, parse_version,
    text_sha256,
};
pub use theme::{
    ANSI_NAMES, BUILTIN_THEMES, COLOR_KEYS, DEFAULT_THEME, MAX_THEME_CHAIN, Theme, ThemeColor,
    ThemeColors, builtin_theme_names, check_theme_name, load_theme, parse_theme,
    theme_spec_is_path, themes_dir,
};
pub use validate::Problem;
pub use webhooks::{EVENT_TYPES, MAX_WEBHOOKS, MIN_SECRET_LEN, WebhookConfig};
