//! [`SandboxService`]: exec, list, stop — the flows every front end shares (create lives in
//! `create.rs`).
//!
//! The engine connection is made lazily (the first call that needs it), so commands that
//! need no engine (`why`, `profile`, `audit`) never pay for it. Audit logs are opened once
//! per process and shared; the writer itself keeps the chain consistent across processes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

use super::creating;
use super::error::SandboxError;
use super::events::{Event, EventBus};
use super::guard::RunDir;
use super::labels::{self, SandboxInfo};
use super::list_cache::{Fetch, ListCache};
use super::spool::{self, IngestReport};
use crate::audit::{self, AuditKey, AuditLog, EntryDraft, EntryKind, Outcome};
use crate::config::{Isolation, LassoHome, Profile, ProfileStore, Settings};
use crate::policy::{Decision, ExecPlan, Gate};
use crate::runtime::{
    ConnectOptions, ContainerSummary, Engine, ExecRequest, GUARD_SETUP_FAILED, RuntimeError,
};

/// One engine container list and the engine's name, as the list cache keeps it.
type Listing = Arc<(Vec<ContainerSummary>, String)>;

/// Most bytes of stdout and of stderr kept from one command.
const MAX_OUTPUT_BYTES: usize = 16 << 20;
/// Most bytes of each output stream copied into the audit log when the profile asks for it.
const MAX_AUDITED_OUTPUT: usize = 64 << 10;

/// Everything the service needs from its surroundings; front ends build it once.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    pub home: LassoHome,
    pub settings: Settings,
    pub connect: ConnectOptions,
}

impl ServiceOptions {
    /// Reads `LASSO_HOME`, its `config.toml` and the engine variables from the environment.
    pub fn from_env() -> Result<ServiceOptions, SandboxError> {
        let home = LassoHome::from_env()?;
        let settings = Settings::load(&home)?;
        let mut connect = ConnectOptions::from_env()?;
        if connect.runtime.is_none() {
            connect.runtime = settings.runtime.map(|r| match r {
                crate::config::RuntimeKind::Docker => crate::runtime::EngineKind::Docker,
                crate::config::RuntimeKind::Podman => crate::runtime::EngineKind::Podman,
            });
        }
        Ok(ServiceOptions {
            home,
            settings,
            connect,
        })
    }
}

/// What `create` is asked to do.
#[derive(Debug, Clone)]
pub struct CreateRequest {
    /// Profile name or path; `None` uses `<working_dir>/.lasso/profile.toml`.
    pub profile: Option<String>,
    pub working_dir: PathBuf,
    pub name: Option<String>,
    pub isolation: Option<Isolation>,
    /// Who asks (`cli`, `tui`, `api:<key>`, `mcp:<client>`), recorded in the audit log.
    pub actor: String,
}

/// The result of running an allowed command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExecResult {
    pub allowed: bool,
    pub exit_code: i64,
    pub stdout: String,
    pub stderr: String,
    pub duration_ms: u64,
    pub timed_out: bool,
    pub truncated: bool,
    /// Programs the command's own processes tried to start that the in-sandbox guard denied
    /// (or, in shadow mode, would have denied).
    pub guard_denials: Vec<GuardDenial>,
}

/// One exec inside the sandbox the guard denied or, in shadow mode, would have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GuardDenial {
    pub command: String,
    pub program: String,
    pub rule: String,
    pub reason: String,
    /// `false` in shadow mode: the program ran.
    pub enforced: bool,
}

/// How to run one command beyond what the profile says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOptions {
    /// A shorter limit than the profile's `max_execution_seconds` (a longer one is ignored:
    /// the profile's limit always applies).
    pub timeout: Option<Duration>,
}

/// `exec`'s answer: the gate refused (with its decision) or the command ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecOutcome {
    Blocked(Decision),
    Ran(ExecResult),
}

/// What the gate decided about one command line.
pub(super) enum Gated {
    /// Refused; already audited and announced.
    Blocked(Decision),
    /// Allowed: the argv to run (a shell line becomes `/bin/sh -c`) and the gate and profile
    /// it was decided under.
    Allowed {
        compiled: Arc<(Gate, Profile)>,
        argv: Vec<String>,
    },
}

/// The service. Cheap to share behind an `Arc`; all methods take `&self`.
pub struct SandboxService {
    pub(super) options: ServiceOptions,
    pub(super) home_tag: String,
    engine: OnceCell<Engine>,
    key: OnceLock<AuditKey>,
    logs: Mutex<HashMap<PathBuf, Arc<AuditLog>>>,
    /// Compiled gate and parsed profile per `<sandbox id>:<profile hash>`.
    gates: Mutex<HashMap<String, Arc<(Gate, Profile)>>>,
    pub(super) events: EventBus,
    /// The engine's container list, reused briefly (`[api].list_cache_ms`, list_cache.rs).
    list_cache: Arc<ListCache<Listing>>,
}

/// Invalidates the list cache when dropped: a create or stop changes the list whether it
/// finishes, fails half-way or is cancelled.
pub(super) struct InvalidateOnDrop<'a>(pub(super) &'a SandboxService);

impl Drop for InvalidateOnDrop<'_> {
    fn drop(&mut self) {
        self.0.invalidate_list();
    }
}

impl SandboxService {
    pub fn new(options: ServiceOptions) -> SandboxService {
        let home_tag = labels::home_tag(options.home.root());
        let ttl = Duration::from_millis(u64::from(options.settings.list_cache_ms));
        SandboxService {
            list_cache: Arc::new(ListCache::new(ttl)),
            options,
            home_tag,
            engine: OnceCell::new(),
            key: OnceLock::new(),
            logs: Mutex::new(HashMap::new()),
            gates: Mutex::new(HashMap::new()),
            events: EventBus::default(),
        }
    }

    pub fn events(&self) -> &EventBus {
        &self.events
    }

    pub fn home(&self) -> &LassoHome {
        &self.options.home
    }

    pub fn settings(&self) -> &Settings {
        &self.options.settings
    }

    /// The profile store as seen from `project_dir` (its `.lasso/profiles/` first).
    pub fn profiles(&self, project_dir: Option<&Path>) -> Result<ProfileStore, SandboxError> {
        Ok(ProfileStore::new(&self.options.home, project_dir)?)
    }

    /// The engine, connecting on first use.
    pub async fn engine(&self) -> Result<&Engine, SandboxError> {
        let opts = &self.options.connect;
        Ok(self
            .engine
            .get_or_try_init(|| async { Engine::connect(opts).await })
            .await?)
    }

    /// The audit key, created on first use.
    pub fn audit_key(&self) -> Result<&AuditKey, SandboxError> {
        if let Some(k) = self.key.get() {
            return Ok(k);
        }
        let key = AuditKey::load_or_create(&self.options.home.audit_key())?;
        Ok(self.key.get_or_init(|| key))
    }

    fn audit_log(&self, path: &Path) -> Result<Arc<AuditLog>, SandboxError> {
        // A panic elsewhere cannot leave this map half-updated, so a poisoned lock is usable.
        let mut logs = self.logs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(log) = logs.get(path) {
            return Ok(log.clone());
        }
        let key = self.audit_key()?;
        let log = Arc::new(AuditLog::open(path, key)?);
        logs.insert(path.to_path_buf(), log.clone());
        Ok(log)
    }

    /// Appends to a log and announces it on the bus.
    pub(super) fn record(&self, log_path: &Path, draft: EntryDraft) -> Result<(), SandboxError> {
        let log = self.audit_log(log_path)?;
        let entry = log.append(draft)?;
        self.events.publish(Event::AuditAppended {
            log: log_path.display().to_string(),
            seq: entry.seq,
        });
        Ok(())
    }

    /// The log for events that belong to no sandbox.
    pub fn system_log_path(&self) -> Result<PathBuf, SandboxError> {
        Ok(audit::log_path(&self.options.home.audit_dir(), None)?)
    }

    pub(super) fn audit_dir_for(&self, profile: &Profile) -> PathBuf {
        match &profile.audit.log_dir {
            Some(dir) => PathBuf::from(dir),
            None => self.options.home.audit_dir(),
        }
    }

    // ----- registry ---------------------------------------------------------------------

    /// Every sandbox of this `LASSO_HOME`, from the engine's labels. The engine's answer
    /// may be up to `[api].list_cache_ms` old (never older than this process's own last
    /// create or stop); the mode and problems are read fresh on every call. Use
    /// [`SandboxService::list_fresh`] where a decision depends on the engine's state now.
    pub async fn list(&self) -> Result<Vec<SandboxInfo>, SandboxError> {
        let engine = self.engine().await?.clone();
        let filter = self.home_tag.clone();
        let listing = self
            .list_cache
            .get(move || -> Fetch<Listing, RuntimeError> {
                Box::pin(async move { fetch_listing(&engine, &filter).await })
            })
            .await?;
        Ok(self.infos(&listing))
    }

    /// [`SandboxService::list`] straight from the engine, bypassing the cache (the TUI,
    /// name-uniqueness at create, `stop all`).
    pub async fn list_fresh(&self) -> Result<Vec<SandboxInfo>, SandboxError> {
        let engine = self.engine().await?;
        let listing = fetch_listing(engine, &self.home_tag).await?;
        Ok(self.infos(&listing))
    }

    /// Drops the cached container list: the next [`SandboxService::list`] asks the engine.
    /// Every create, stop, remove or restart in this process calls it.
    pub fn invalidate_list(&self) {
        self.list_cache.invalidate();
    }

    fn infos(&self, listing: &Listing) -> Vec<SandboxInfo> {
        let (found, runtime) = (&listing.0, &listing.1);
        let mut out: Vec<SandboxInfo> = found
            .iter()
            .map(|c| {
                // The marker is read on every call (also from a cached listing): a create
                // in any process shows as `creating` until it has finished.
                let creation =
                    creating::creation_of(c.labels.get(labels::RUN_DIR).map_or("", String::as_str));
                let state = creating::listed_state(&state_name(&c.state), &creation);
                let mut info = SandboxInfo::from_labels(
                    &c.id,
                    &c.name,
                    &c.image,
                    &state,
                    runtime,
                    c.labels.clone(),
                );
                info.mode = self
                    .current_mode(&info)
                    .map_or_else(|e| format!("unknown ({e})"), |m| m.to_string());
                if let creating::Creation::Abandoned(why) = &creation {
                    info.problems
                        .push(creating::abandoned_problem(why, &info.name));
                }
                // A create under way writes the log's first entries after the container
                // starts: its absence then is expected, not a problem.
                if !info.is_creating()
                    && !info.audit_log.is_empty()
                    && !Path::new(&info.audit_log).exists()
                {
                    info.problems
                        .push(format!("its audit log {} is missing", info.audit_log));
                }
                info
            })
            .collect();
        out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.name.cmp(&b.name)));
        out
    }

    /// Finds one sandbox by full id, unique id prefix, or name.
    pub async fn get(&self, query: &str) -> Result<SandboxInfo, SandboxError> {
        let all = self.list().await?;
        resolve_query(all, query)
    }

    // ----- exec -------------------------------------------------------------------------

    /// The gate and profile of a sandbox, from the profile stored on its container (so every
    /// lasso process decides the same), compiled once per process.
    pub(super) fn gate_for(
        &self,
        info: &SandboxInfo,
    ) -> Result<Arc<(Gate, Profile)>, SandboxError> {
        // The current mode (`lasso mode`, see mode.rs) narrows the profile; it is read on every
        // call so a change made by any process applies to the next command.
        let mode =
            super::mode::read_mode(&self.options.home, &super::mode::container_name(&info.id))?;
        let cache_key = format!(
            "{}:{}:{}",
            info.id,
            info.profile_hash,
            mode.map_or("profile", |m| m.as_str())
        );
        let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(cached) = gates.get(&cache_key) {
            return Ok(cached.clone());
        }
        let toml = info.label(labels::PROFILE_TOML).unwrap_or_default();
        let (_, mut profile) = crate::config::resolve_standalone(
            toml,
            &format!("label {} of {}", labels::PROFILE_TOML, info.name),
        )?;
        if let Some(m) = mode {
            profile.mode = m;
        }
        let gate = Gate::new(profile.gate_policy()).map_err(|source| SandboxError::Gate {
            profile: profile.name.clone(),
            source,
        })?;
        let compiled = Arc::new((gate, profile));
        gates.insert(cache_key, compiled.clone());
        Ok(compiled)
    }

    /// The profile a sandbox runs under now: the one stored on its container, narrowed by
    /// its current mode (what its next command is decided by).
    pub fn effective_profile(&self, info: &SandboxInfo) -> Result<Profile, SandboxError> {
        Ok(self.gate_for(info)?.1.clone())
    }

    /// The sandbox must be created, running and usable for anything to run in it.
    pub(super) fn require_running(info: &SandboxInfo) -> Result<(), SandboxError> {
        info.require_created()?;
        if info.state != "running" {
            return Err(SandboxError::NotRunning {
                id: info.name.clone(),
                state: info.state.clone(),
            });
        }
        if !info.is_usable() {
            return Err(SandboxError::Unusable {
                id: info.name.clone(),
                reason: info.problems.join("; "),
            });
        }
        Ok(())
    }

    /// The one gate path every command line takes (`lasso exec`, the API, MCP and each line
    /// of the interactive REPL): parse and decide under the sandbox's profile and current
    /// mode; a refusal is audited as a `violation` and announced as [`Event::Violation`]
    /// (which the metrics and alerts count). `tty` marks lines typed into a terminal session.
    pub(super) fn gate_command(
        &self,
        info: &SandboxInfo,
        command: &str,
        actor: &str,
        tty: bool,
    ) -> Result<Gated, SandboxError> {
        Self::require_running(info)?;
        let compiled = self.gate_for(info)?;
        let verdict = compiled.0.check(command);
        match (verdict.decision.allowed, verdict.plan) {
            (true, Some(plan)) => {
                let argv = match plan {
                    ExecPlan::Argv(argv) => argv,
                    ExecPlan::Shell(cmd) => vec!["/bin/sh".to_string(), "-c".to_string(), cmd],
                };
                Ok(Gated::Allowed { compiled, argv })
            }
            _ => {
                let d = verdict.decision;
                let mut draft = EntryDraft::new(
                    EntryKind::Violation,
                    actor,
                    "exec",
                    command,
                    Outcome::Blocked,
                )
                .sandbox(&info.id)
                .detail("rule", serde_json::to_value(d.rule).unwrap_or_default())
                .detail("reason", d.reason.clone());
                if let Some(p) = &d.program {
                    draft = draft.detail("program", p.clone());
                }
                if tty {
                    draft = draft.detail("tty", true);
                }
                self.record(Path::new(&info.audit_log), draft)?;
                self.events.publish(Event::Violation {
                    id: info.id.clone(),
                    profile: info.profile.clone(),
                    command: command.to_string(),
                    rule: d.rule,
                    reason: d.reason.clone(),
                });
                Ok(Gated::Blocked(d))
            }
        }
    }

    /// Gates, runs and audits one command in a sandbox.
    pub async fn exec(
        &self,
        query: &str,
        command: &str,
        actor: &str,
    ) -> Result<ExecOutcome, SandboxError> {
        self.exec_with(query, command, actor, &ExecOptions::default())
            .await
    }

    /// [`SandboxService::exec`] with options (a shorter timeout).
    pub async fn exec_with(
        &self,
        query: &str,
        command: &str,
        actor: &str,
        options: &ExecOptions,
    ) -> Result<ExecOutcome, SandboxError> {
        let info = self.get(query).await?;
        let (compiled, argv) = match self.gate_command(&info, command, actor, false)? {
            Gated::Blocked(d) => return Ok(ExecOutcome::Blocked(d)),
            Gated::Allowed { compiled, argv } => (compiled, argv),
        };
        let profile = &compiled.1;
        let log = PathBuf::from(&info.audit_log);
        let limit = Duration::from_secs(u64::from(profile.commands.max_execution_seconds));
        // A caller may only shorten the profile's limit, never extend it.
        let timeout = options.timeout.map_or(limit, |t| t.min(limit));
        let engine = self.engine().await?;
        let request = ExecRequest::new(argv)
            .timeout(timeout)
            .max_output(MAX_OUTPUT_BYTES)
            .guarded(true);
        let ran = engine.exec(&info.container_id, &request).await;
        // What the command's own processes did comes first in the log: it happened first.
        let ingested = self.ingest_spool(&info);
        let guard_denials = match &ingested {
            Ok(report) => report.denials.clone(),
            Err(_) => Vec::new(),
        };
        let out = match ran {
            Ok(out) if is_guard_failure(&out) => {
                let why = out.stderr_text().trim().to_string();
                let draft =
                    EntryDraft::new(EntryKind::Command, actor, "exec", command, Outcome::Error)
                        .sandbox(&info.id)
                        .detail("error", why.clone());
                self.record(&log, draft)?;
                return Err(SandboxError::Guard(format!(
                    "the command did not run: {why}"
                )));
            }
            Ok(out) => out,
            Err(e) => {
                let draft =
                    EntryDraft::new(EntryKind::Command, actor, "exec", command, Outcome::Error)
                        .sandbox(&info.id)
                        .detail("error", e.to_string());
                self.record(&log, draft)?;
                return Err(e.into());
            }
        };
        let exit_code = out.exit_code.unwrap_or(-1);
        let result = ExecResult {
            allowed: true,
            exit_code,
            stdout: out.stdout_text(),
            stderr: out.stderr_text(),
            duration_ms: u64::try_from(out.duration.as_millis()).unwrap_or(u64::MAX),
            timed_out: out.timed_out,
            truncated: out.truncated,
            guard_denials,
        };
        let outcome = if exit_code == 0 && !out.timed_out {
            Outcome::Success
        } else {
            Outcome::Error
        };
        let mut draft = EntryDraft::new(EntryKind::Command, actor, "exec", command, outcome)
            .sandbox(&info.id)
            .detail("exit_code", exit_code)
            .detail("duration_ms", result.duration_ms)
            .detail("timed_out", out.timed_out);
        if profile.audit.include_command_output {
            draft = draft
                .detail("stdout", clip(&result.stdout, MAX_AUDITED_OUTPUT))
                .detail("stderr", clip(&result.stderr, MAX_AUDITED_OUTPUT));
        }
        self.record(&log, draft)?;
        ingested?;
        self.events.publish(Event::CommandExecuted {
            id: info.id.clone(),
            profile: info.profile.clone(),
            command: command.to_string(),
            exit_code,
            duration_ms: result.duration_ms,
            timed_out: out.timed_out,
        });
        Ok(ExecOutcome::Ran(result))
    }

    /// An empty workspace for a throwaway sandbox (`lasso check --probe`), writable by the
    /// sandbox user; the caller removes it.
    pub fn probe_workspace(&self) -> Result<PathBuf, SandboxError> {
        let mut bytes = [0u8; 6];
        getrandom::fill(&mut bytes)
            .map_err(|e| SandboxError::io("random name", std::io::Error::other(e.to_string())))?;
        let dir = self
            .options
            .home
            .root()
            .join("tmp")
            .join(format!("probe-{}", hex::encode(bytes)));
        std::fs::create_dir_all(&dir)
            .map_err(|e| SandboxError::io(format!("creating {}", dir.display()), e))?;
        std::os::unix::fs::chown(
            &dir,
            Some(crate::runtime::SANDBOX_UID),
            Some(crate::runtime::SANDBOX_GID),
        )
        .map_err(|e| SandboxError::io(format!("giving {} to uid 1000", dir.display()), e))?;
        Ok(dir)
    }

    /// Moves the in-sandbox guard's new exec records into the sandbox's audit log and raises
    /// an alert for each denial. Every front end calls this when it touches a sandbox; it is
    /// cheap when there is nothing new.
    pub fn ingest_spool(&self, info: &SandboxInfo) -> Result<IngestReport, SandboxError> {
        if info.run_dir.is_empty() || info.audit_log.is_empty() {
            return Ok(IngestReport::default());
        }
        let run = RunDir::at(PathBuf::from(&info.run_dir));
        let log = PathBuf::from(&info.audit_log);
        spool::ingest(
            &run,
            &info.id,
            &mut |draft| self.record(&log, draft),
            &mut |event| self.events.publish(event),
        )
    }

    // ----- stop -------------------------------------------------------------------------

    /// Stops and removes one sandbox (with its network) and audits it.
    pub async fn stop(&self, query: &str, actor: &str) -> Result<SandboxInfo, SandboxError> {
        // Resolved against the engine's state now: a cached answer could name a sandbox
        // another process already removed.
        let info = resolve_query(self.list_fresh().await?, query)?;
        self.stop_info(&info, actor).await?;
        Ok(info)
    }

    /// Stops every sandbox of this `LASSO_HOME`; returns those stopped and the failures.
    pub async fn stop_all(
        &self,
        actor: &str,
    ) -> Result<(Vec<SandboxInfo>, Vec<(SandboxInfo, SandboxError)>), SandboxError> {
        let mut stopped = Vec::new();
        let mut failed = Vec::new();
        for info in self.list_fresh().await? {
            match self.stop_info(&info, actor).await {
                Ok(()) => stopped.push(info),
                Err(e) => failed.push((info, e)),
            }
        }
        Ok((stopped, failed))
    }

    pub(super) async fn stop_info(
        &self,
        info: &SandboxInfo,
        actor: &str,
    ) -> Result<(), SandboxError> {
        let _invalidate = InvalidateOnDrop(self);
        let engine = self.engine().await?;
        let started = std::time::Instant::now();
        // Sandboxes use no network of their own (none, or the engine's default bridge).
        engine.remove_sandbox(&info.container_id, None).await?;
        // The guard is gone: whatever it wrote last is ingested, then its directory removed.
        let ingested = self.ingest_spool(info);
        if ingested.is_ok() && !info.run_dir.is_empty() {
            RunDir::at(PathBuf::from(&info.run_dir)).remove();
        }
        let elapsed = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let prefix = format!("{}:", info.id);
        self.gates
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|k, _| !k.starts_with(&prefix));
        let draft = EntryDraft::new(
            EntryKind::Lifecycle,
            actor,
            "stop",
            &info.name,
            Outcome::Success,
        )
        .sandbox(&info.id)
        .detail("container_id", info.container_id.clone())
        .detail("duration_ms", elapsed);
        // A sandbox with a missing or damaged log is still removed; the stop goes to the
        // system log in any case so it is never unrecorded.
        let sandbox_log = if info.audit_log.is_empty() {
            None
        } else {
            Some(PathBuf::from(&info.audit_log))
        };
        let logged = match &sandbox_log {
            Some(p) if p.exists() => self.record(p, draft).is_ok(),
            _ => false,
        };
        let system = EntryDraft::new(
            EntryKind::Lifecycle,
            actor,
            "stop",
            &info.id,
            Outcome::Success,
        )
        .detail("name", info.name.clone())
        .detail("recorded_in_sandbox_log", logged);
        self.record(&self.system_log_path()?, system)?;
        self.events.publish(Event::SandboxStopped {
            id: info.id.clone(),
            name: info.name.clone(),
        });
        Ok(())
    }
}

/// The engine's containers of one `LASSO_HOME` (by its label tag).
async fn fetch_listing(engine: &Engine, home_tag: &str) -> Result<Listing, RuntimeError> {
    let found = engine
        .list_sandboxes(&[
            (labels::MANAGED, Some("true")),
            (labels::HOME, Some(home_tag)),
        ])
        .await?;
    Ok(Arc::new((found, engine.kind().to_string())))
}

/// `lasso-guard exec` could not set up enforcement, so the command never ran.
fn is_guard_failure(out: &crate::runtime::ExecOutput) -> bool {
    out.exit_code == Some(GUARD_SETUP_FAILED) && out.stderr_text().starts_with("lasso-guard:")
}

fn state_name(state: &crate::runtime::ContainerState) -> String {
    use crate::runtime::ContainerState as S;
    match state {
        S::Created => "created".into(),
        S::Running => "running".into(),
        S::Paused => "paused".into(),
        S::Restarting => "restarting".into(),
        S::Removing => "removing".into(),
        S::Stopping => "stopping".into(),
        S::Exited => "exited".into(),
        S::Dead => "dead".into(),
        S::Other(s) => s.clone(),
    }
}

fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…[truncated]", &s[..end])
}

pub(super) fn resolve_query(
    all: Vec<SandboxInfo>,
    query: &str,
) -> Result<SandboxInfo, SandboxError> {
    if query.is_empty() {
        return Err(SandboxError::NotFound(query.to_string()));
    }
    if let Some(exact) = all.iter().find(|s| s.id == query || s.name == query) {
        return Ok(exact.clone());
    }
    let matches: Vec<&SandboxInfo> = all.iter().filter(|s| s.id.starts_with(query)).collect();
    match matches.as_slice() {
        [] => Err(SandboxError::NotFound(query.to_string())),
        [one] => Ok((*one).clone()),
        many => Err(SandboxError::Ambiguous {
            query: query.to_string(),
            matches: many
                .iter()
                .map(|s| format!("{} ({})", s.short_id(), s.name))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn info(id: &str, name: &str) -> SandboxInfo {
        SandboxInfo::from_labels("c", name, "img", "running", "docker", {
            let mut l = BTreeMap::new();
            l.insert(labels::ID.to_string(), id.to_string());
            l.insert(labels::NAME.to_string(), name.to_string());
            l
        })
    }

    #[test]
    fn queries_resolve_by_id_prefix_and_name() {
        let all = vec![info("abc123", "one"), info("abd456", "two")];
        assert_eq!(
            resolve_query(all.clone(), "abc").map(|s| s.name).ok(),
            Some("one".into())
        );
        assert_eq!(
            resolve_query(all.clone(), "two").map(|s| s.id).ok(),
            Some("abd456".into())
        );
        assert!(matches!(
            resolve_query(all.clone(), "ab"),
            Err(SandboxError::Ambiguous { .. })
        ));
        assert!(matches!(
            resolve_query(all.clone(), "zz"),
            Err(SandboxError::NotFound(_))
        ));
        assert!(matches!(
            resolve_query(all, ""),
            Err(SandboxError::NotFound(_))
        ));
    }

    #[test]
    fn clip_respects_char_boundaries() {
        assert_eq!(clip("héllo", 2), "h…[truncated]");
        assert_eq!(clip("ok", 10), "ok");
    }
}
