//! Engine and file work, off the UI loop: each [`Intent`] becomes a task on the service
//! whose answer comes back as an [`AppEvent`]; blocking file work (audit pages, verification,
//! spool ingestion, the tail) runs on the blocking pool. The poller re-lists sandboxes on
//! engine events (any lasso process's creates and stops), on this process's bus events and
//! `r`, with a [`SAFETY_REFRESH`] instead of polling (except every [`CREATING_REFRESH`]
//! while a sandbox is being created), and backs off while the engine is
//! unreachable, so the engine going away is a status, never a crash. A sampler reads CPU and
//! memory of the sandboxes on screen once a second, and nothing when none are shown.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

use super::audit_pages::{all_logs, load_page};
use super::event::{AppEvent, AuditSource, ChainStatus, Connection, Intent, SandboxStats};
use super::log::TuiLog;
use super::panes::terminal::TabHandle;
use super::tail::AuditTail;
use crate::audit;
use crate::sandbox::{
    CreateRequest, LiveEvent, SandboxInfo, SandboxService, SessionKind, StatsSample,
};

/// How often the sandbox list is re-read when no event asked sooner (a missed event is
/// corrected within this time).
pub const SAFETY_REFRESH: Duration = Duration::from_secs(30);
/// How often the list is re-read while a sandbox is `creating`: another process's create
/// finishing raises no engine event (only its marker file goes), so it is polled for, and
/// only while there is one.
pub const CREATING_REFRESH: Duration = Duration::from_secs(1);
/// The first wait after the engine did not answer; doubled up to [`MAX_BACKOFF`].
pub const FIRST_RETRY: Duration = Duration::from_secs(2);
/// How often guard spools are ingested and audit logs tailed (local files, cheap).
pub const TAIL_INTERVAL: Duration = Duration::from_secs(2);
/// How often the on-screen sandboxes' CPU and memory are sampled.
pub const STATS_INTERVAL: Duration = Duration::from_secs(1);
/// Events and refresh requests closer together than this cost one re-list.
const DEBOUNCE: Duration = Duration::from_millis(150);
/// The longest wait between attempts while the engine is unreachable.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// An engine call that takes longer counts as the engine being unreachable.
const ENGINE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct Worker {
    svc: Arc<SandboxService>,
    tx: mpsc::UnboundedSender<AppEvent>,
    refresh: Arc<Notify>,
    log: TuiLog,
    /// Audit logs of the listed sandboxes (some live outside `LASSO_HOME/audit`).
    sandbox_logs: Arc<Mutex<Vec<PathBuf>>>,
    /// The sandboxes whose CPU and memory the UI shows (set by [`Intent::SampleStats`]).
    stats_targets: Arc<Mutex<Vec<SandboxInfo>>>,
}

impl Worker {
    pub fn new(
        svc: Arc<SandboxService>,
        tx: mpsc::UnboundedSender<AppEvent>,
        log: TuiLog,
    ) -> Worker {
        Worker {
            svc,
            tx,
            refresh: Arc::new(Notify::new()),
            log,
            sandbox_logs: Arc::new(Mutex::new(Vec::new())),
            stats_targets: Arc::new(Mutex::new(Vec::new())),
        }
    }

    fn send(&self, event: AppEvent) {
        // The loop is gone only when the TUI is quitting.
        let _ = self.tx.send(event);
    }

    fn logs(&self) -> Vec<PathBuf> {
        let extra = self
            .sandbox_logs
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default();
        all_logs(&self.svc.home().audit_dir(), &extra)
    }

    /// Starts the work an intent asks for.
    pub fn handle(&self, intent: Intent) {
        let w = self.clone();
        match intent {
            Intent::Quit | Intent::OpenAudit { .. } | Intent::JumpToEntry { .. } => {}
            Intent::Refresh => self.refresh.notify_one(),
            Intent::SampleStats(targets) => {
                if let Ok(mut t) = self.stats_targets.lock() {
                    *t = targets;
                }
            }
            Intent::Restart { id, name } => {
                tokio::spawn(async move {
                    let r = w.svc.restart(&id, "tui").await;
                    w.log.info(&format!(
                        "restart {name}: {:?}",
                        r.as_ref().map(|_| ()).map_err(ToString::to_string)
                    ));
                    w.send(AppEvent::Done(
                        r.map(|i| format!("restarted {} ({})", i.name, i.short_id()))
                            .map_err(|e| e.to_string()),
                    ));
                });
            }
            Intent::Stop { id, name } | Intent::Remove { id, name } => {
                tokio::spawn(async move {
                    let r = w.svc.stop(&id, "tui").await;
                    w.log.info(&format!(
                        "stop {name}: {:?}",
                        r.as_ref().map(|_| ()).map_err(ToString::to_string)
                    ));
                    w.send(AppEvent::Done(
                        r.map(|i| format!("stopped and removed {}", i.name))
                            .map_err(|e| format!("stopping {name}: {e}")),
                    ));
                });
            }
            Intent::Create(form) => {
                tokio::spawn(async move {
                    let req = CreateRequest {
                        profile: Some(form.profile.clone()),
                        working_dir: form.working_dir,
                        name: form.name,
                        isolation: Some(form.isolation),
                        actor: "tui".into(),
                    };
                    let r = w.svc.create(req, &mut |_| {}).await;
                    w.log.info(&format!(
                        "create {}: {:?}",
                        form.profile,
                        r.as_ref()
                            .map(|i| i.id.clone())
                            .map_err(ToString::to_string)
                    ));
                    w.send(AppEvent::Done(
                        r.map(|i| format!("created {} ({})", i.name, i.short_id()))
                            .map_err(|e| {
                                format!("creating a sandbox of profile {}: {e}", form.profile)
                            }),
                    ));
                });
            }
            Intent::LoadProfiles => {
                tokio::task::spawn_blocking(move || {
                    let r = w
                        .svc
                        .profiles(None)
                        .and_then(|s| s.list().map_err(Into::into))
                        .map_err(|e| e.to_string());
                    w.send(AppEvent::Profiles(r));
                });
            }
            Intent::LoadAuditPage(req) => {
                tokio::task::spawn_blocking(move || {
                    let logs = w.logs();
                    let result = load_page(&req, &logs);
                    w.send(AppEvent::AuditPage {
                        generation: req.generation,
                        result,
                        select_seq: req.select_seq,
                    });
                });
            }
            Intent::Verify { generation, source } => {
                tokio::task::spawn_blocking(move || {
                    let status = w.verify(&source);
                    w.send(AppEvent::Verified { generation, status });
                });
            }
            Intent::Profile(req) => {
                tokio::task::spawn_blocking(move || {
                    // Project profiles are those of the directory the TUI was started in.
                    let project = std::env::current_dir().ok();
                    let event = match w.svc.profiles(project.as_deref()) {
                        Ok(store) => super::profile_work::run(&store, req),
                        Err(e) => super::profile_work::failed(req, e.to_string()),
                    };
                    w.send(AppEvent::Profile(Box::new(event)));
                });
            }
            Intent::ExportAudit(req) => {
                tokio::task::spawn_blocking(move || {
                    let logs = w.logs();
                    let r = super::audit_export::export(&req, &logs);
                    w.log.info(&format!("export {}: {r:?}", req.path.display()));
                    w.send(AppEvent::Done(r.map(|n| {
                        format!("exported {n} entries to {}", req.path.display())
                    })));
                });
            }
            Intent::OpenTerminal {
                id,
                name,
                kind,
                size,
            } => {
                tokio::spawn(async move {
                    let what = match kind {
                        SessionKind::Repl => format!("REPL in {name}"),
                        SessionKind::Shell => format!("shell in {name}"),
                    };
                    let r = w.svc.open_terminal(&id, kind, "tui", size).await;
                    w.log.info(&format!(
                        "open {what}: {:?}",
                        r.as_ref().map(|_| ()).map_err(ToString::to_string)
                    ));
                    let result = r
                        .map(|session| TabHandle::spawn(session, size, w.tx.clone()))
                        .map_err(|e| format!("opening a {what}: {e}"));
                    w.send(AppEvent::TerminalOpened { what, result });
                });
            }
            Intent::RunCheck => {
                tokio::spawn(async move {
                    let report = w.svc.check().await;
                    w.send(AppEvent::Check(report));
                });
            }
        }
    }

    fn verify(&self, source: &AuditSource) -> ChainStatus {
        let key = match self.svc.audit_key() {
            Ok(k) => k,
            Err(e) => return ChainStatus::Failed(e.to_string()),
        };
        match source {
            AuditSource::Log { path, .. } => match audit::verify(path, key) {
                Ok(r) => match &r.problem {
                    None => ChainStatus::Valid { entries: r.entries },
                    Some(p) => ChainStatus::Broken {
                        at: match (p.seq, p.line) {
                            (Some(s), _) => format!("seq {s}: {p}"),
                            (None, Some(l)) => format!("line {l}: {p}"),
                            (None, None) => p.to_string(),
                        },
                    },
                },
                Err(e) => ChainStatus::Failed(e.to_string()),
            },
            // A new home has no audit directory until its first sandbox: nothing to verify yet
            // is a valid (empty) chain, not an error.
            AuditSource::All if !self.svc.home().audit_dir().exists() => {
                ChainStatus::Valid { entries: 0 }
            }
            AuditSource::All => match audit::verify_dir(self.svc.home().audit_dir(), key) {
                Ok(r) => {
                    let problems = r.all_problems();
                    match problems.first() {
                        None => ChainStatus::Valid {
                            entries: r.logs.iter().map(|(_, l)| l.entries).sum(),
                        },
                        Some((log, p)) => ChainStatus::Broken {
                            at: format!("{log}: {p}"),
                        },
                    }
                }
                Err(e) => ChainStatus::Failed(e.to_string()),
            },
        }
    }

    /// The poller: runs until the loop's receiver is gone. The sandbox list is re-read when
    /// something says it changed (an engine event for this home's sandboxes, this process's
    /// own bus, `r`), when the event stream (re)connects, and every [`SAFETY_REFRESH`] in
    /// case an event was missed; while the engine is unreachable, with a growing backoff.
    /// Spool ingestion and the audit tail are local file work and run every
    /// [`TAIL_INTERVAL`], so alerts from other lasso processes keep arriving either way.
    pub async fn poll_forever(self) {
        let sampler = tokio::spawn(self.clone().sample_stats_forever());
        let mut tail = AuditTail::default();
        let mut backoff = FIRST_RETRY;
        let mut was_up: Option<bool> = None;
        let mut live: Option<mpsc::Receiver<LiveEvent>> = None;
        let mut known: Vec<SandboxInfo> = Vec::new();
        let mut next_list = Instant::now();
        let mut next_tail = Instant::now();
        loop {
            if Instant::now() >= next_list {
                let (up, wait) = self.list_once(&mut was_up, &mut backoff, &mut known).await;
                next_list = Instant::now() + wait;
                if up && live.is_none() {
                    match self.svc.watch_sandboxes().await {
                        Ok(rx) => live = Some(rx),
                        Err(e) => self.log.warn(&format!("engine events: {e}")),
                    }
                }
            }
            if Instant::now() >= next_tail {
                tail = self.tail_once(tail, &known).await;
                next_tail = Instant::now() + TAIL_INTERVAL;
            }
            if self.tx.is_closed() {
                sampler.abort();
                return;
            }
            tokio::select! {
                () = tokio::time::sleep_until(next_list.min(next_tail)) => {}
                () = self.refresh.notified() => {
                    // Coalesce a burst of requests (every audit append publishes one).
                    tokio::time::sleep(DEBOUNCE).await;
                    next_list = Instant::now();
                    next_tail = Instant::now();
                }
                ev = recv_live(&mut live), if live.is_some() => match ev {
                    Some(LiveEvent::Disconnected { error, .. }) => {
                        // The watch retries by itself; the list says the engine is down once.
                        if was_up == Some(true) {
                            self.log.warn(&format!("engine events: {error}"));
                            next_list = Instant::now();
                        }
                    }
                    Some(ev) => {
                        self.log_live(&ev);
                        // A create is several events (create, start, ...): one re-list.
                        tokio::time::sleep(DEBOUNCE).await;
                        if let Some(rx) = live.as_mut() {
                            while let Ok(ev) = rx.try_recv() {
                                self.log_live(&ev);
                            }
                        }
                        next_list = Instant::now();
                    }
                    None => live = None,
                },
            }
        }
    }

    /// Engine events go to the TUI's log (what a re-list was for, when one is puzzling).
    fn log_live(&self, ev: &LiveEvent) {
        match ev {
            LiveEvent::Changed {
                sandbox_id, action, ..
            } => self.log.info(&format!(
                "engine event: {action} {}",
                sandbox_id.as_deref().unwrap_or("(no lasso id)")
            )),
            LiveEvent::Connected => self.log.info("engine events: connected"),
            LiveEvent::Disconnected { error, .. } => {
                self.log.info(&format!("engine events: {error}"));
            }
        }
    }

    /// One listing; returns whether the engine answered and when to list next.
    async fn list_once(
        &self,
        was_up: &mut Option<bool>,
        backoff: &mut Duration,
        known: &mut Vec<SandboxInfo>,
    ) -> (bool, Duration) {
        let listed = tokio::time::timeout(ENGINE_TIMEOUT, self.svc.list_fresh()).await;
        let listed = match listed {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(_) => Err(format!(
                "the engine did not answer within {}s",
                ENGINE_TIMEOUT.as_secs()
            )),
        };
        match listed {
            Ok(list) => {
                if *was_up != Some(true) {
                    let runtime = match self.svc.engine().await {
                        Ok(e) => e.kind().to_string(),
                        Err(_) => "engine".into(),
                    };
                    self.log.info(&format!("connected to {runtime}"));
                    self.send(AppEvent::Connection(Connection::Connected { runtime }));
                }
                *was_up = Some(true);
                *backoff = FIRST_RETRY;
                if let Ok(mut l) = self.sandbox_logs.lock() {
                    *l = list.iter().map(|s| PathBuf::from(&s.audit_log)).collect();
                }
                known.clone_from(&list);
                let wait = next_list_wait(&list);
                self.send(AppEvent::Sandboxes(list));
                (true, wait)
            }
            Err(error) => {
                if *was_up != Some(false) {
                    self.log.warn(&format!("engine unreachable: {error}"));
                }
                *was_up = Some(false);
                let wait = *backoff;
                *backoff = (*backoff * 2).min(MAX_BACKOFF);
                self.send(AppEvent::Connection(Connection::Down {
                    error,
                    retry_secs: wait.as_secs(),
                }));
                (false, wait)
            }
        }
    }

    /// Ingests the guard spools of the known sandboxes and tails the audit logs.
    async fn tail_once(&self, tail: AuditTail, known: &[SandboxInfo]) -> AuditTail {
        // The guard's records reach the chain (and the alerts) through here; a sandbox being
        // created is left to its creator, whose probes are its log's first entries.
        for info in known.iter().filter(|s| !s.is_creating()) {
            let (svc, info) = (self.svc.clone(), info.clone());
            if let Ok(Err(e)) = tokio::task::spawn_blocking(move || svc.ingest_spool(&info)).await {
                self.log.warn(&format!("spool ingestion: {e}"));
            }
        }
        // The logs are local files: alerts keep coming while the engine is away.
        let logs = self.logs();
        let mut tail = tail;
        let joined = tokio::task::spawn_blocking(move || {
            let new = tail.poll(&logs);
            let blocked = tail.blocked();
            (tail, new, blocked)
        })
        .await;
        match joined {
            Ok((t, new, blocked)) => {
                self.send(AppEvent::Alerts { new, blocked });
                t
            }
            Err(e) => {
                self.log.warn(&format!("audit tail task failed: {e}"));
                AuditTail::default()
            }
        }
    }

    /// Samples CPU and memory of the sandboxes the UI shows, every [`STATS_INTERVAL`]; idle
    /// (no engine calls) while there is nothing to sample.
    async fn sample_stats_forever(self) {
        let mut prev: HashMap<String, StatsSample> = HashMap::new();
        let mut tick = tokio::time::interval(STATS_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if self.tx.is_closed() {
                return;
            }
            let targets = self
                .stats_targets
                .lock()
                .map(|t| t.clone())
                .unwrap_or_default();
            if targets.is_empty() {
                prev.clear();
                continue;
            }
            let samples = futures_util::future::join_all(targets.iter().map(|info| async {
                let r = tokio::time::timeout(ENGINE_TIMEOUT, self.svc.sample_stats(info)).await;
                (info.id.clone(), r)
            }))
            .await;
            let mut out = HashMap::new();
            let mut next_prev = HashMap::new();
            for (id, r) in samples {
                // A sandbox that vanished or an engine hiccup: no figure this second.
                let Ok(Ok(sample)) = r else { continue };
                let cpu_percent = prev.get(&id).and_then(|p| sample.cpu_percent_since(p));
                out.insert(
                    id.clone(),
                    SandboxStats {
                        cpu_percent,
                        memory_bytes: sample.memory_bytes,
                    },
                );
                next_prev.insert(id, sample);
            }
            prev = next_prev;
            self.send(AppEvent::Stats(out));
        }
    }
}

/// When to re-list after a successful listing.
fn next_list_wait(list: &[SandboxInfo]) -> Duration {
    if list.iter().any(SandboxInfo::is_creating) {
        CREATING_REFRESH
    } else {
        SAFETY_REFRESH
    }
}

async fn recv_live(live: &mut Option<mpsc::Receiver<LiveEvent>>) -> Option<LiveEvent> {
    match live {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditLog, EntryDraft, EntryKind, Outcome};
    use crate::config::{LassoHome, Settings};
    use crate::runtime::{ConnectOptions, EngineKind};
    use crate::sandbox::ServiceOptions;

    #[test]
    fn the_list_is_polled_quickly_only_while_a_sandbox_is_creating() {
        use crate::tui::tests::sandbox;
        assert_eq!(next_list_wait(&[]), SAFETY_REFRESH);
        let settled = vec![
            sandbox(0, "running", "strict", 5),
            sandbox(1, "exited", "strict", 9),
        ];
        assert_eq!(next_list_wait(&settled), SAFETY_REFRESH);
        let mut busy = settled;
        busy.push(sandbox(2, crate::sandbox::CREATING, "strict", 1));
        assert_eq!(next_list_wait(&busy), CREATING_REFRESH);
    }

    async fn next_matching(
        rx: &mut mpsc::UnboundedReceiver<AppEvent>,
        want: impl Fn(&AppEvent) -> bool,
    ) -> Option<AppEvent> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(ev)) if want(&ev) => return Some(ev),
                Ok(Some(_)) => {}
                _ => return None,
            }
        }
    }

    /// A home with no sandbox yet has no audit directory: the browser's chain status is
    /// valid and empty, not an error.
    #[test]
    fn a_new_home_verifies_as_an_empty_valid_chain() {
        let Ok(tmp) = tempfile::tempdir() else {
            panic!("tmp")
        };
        let Ok(home) = LassoHome::at(tmp.path().join("home")) else {
            panic!("home")
        };
        assert!(!home.audit_dir().exists());
        let svc = Arc::new(SandboxService::new(ServiceOptions {
            home,
            settings: Settings::default(),
            connect: ConnectOptions::default(),
        }));
        let Ok(log) = TuiLog::open(&tmp.path().join("tui.log")) else {
            panic!("log")
        };
        let (tx, _rx) = mpsc::unbounded_channel();
        let worker = Worker::new(svc, tx, log);
        assert_eq!(
            worker.verify(&AuditSource::All),
            ChainStatus::Valid { entries: 0 }
        );
    }

    /// With no engine, the poller reports it (with a growing retry delay), keeps going, and
    /// alerts still arrive from the audit logs.
    #[tokio::test]
    async fn engine_absent_is_a_status_and_alerts_still_flow() {
        let Ok(tmp) = tempfile::tempdir() else {
            panic!("tmp")
        };
        let Ok(home) = LassoHome::at(tmp.path().join("home")) else {
            panic!("home")
        };
        let connect = ConnectOptions {
            runtime: Some(EngineKind::Docker),
            docker_host: Some(format!("unix://{}/no-engine.sock", tmp.path().display())),
            ..ConnectOptions::default()
        };
        let svc = Arc::new(SandboxService::new(ServiceOptions {
            home: home.clone(),
            settings: Settings::default(),
            connect,
        }));
        let Ok(log) = TuiLog::open(&tmp.path().join("tui.log")) else {
            panic!("log")
        };
        let (tx, mut rx) = mpsc::unbounded_channel();
        let worker = Worker::new(svc.clone(), tx, log);
        let poller = tokio::spawn(worker.clone().poll_forever());

        let down = next_matching(&mut rx, |e| matches!(e, AppEvent::Connection(_))).await;
        let Some(AppEvent::Connection(Connection::Down { error, retry_secs })) = down else {
            panic!("{down:?}")
        };
        assert_eq!(retry_secs, 2);
        assert!(error.contains("no-engine.sock"), "{error}");
        assert!(
            next_matching(&mut rx, |e| matches!(e, AppEvent::Alerts { .. }))
                .await
                .is_some()
        );

        // Another lasso process records a violation; a refresh picks it up without the engine.
        let Ok(key) = svc.audit_key() else {
            panic!("key")
        };
        let path = home.audit_dir().join("abcdef012345.jsonl");
        let Ok(audit) = AuditLog::open(&path, key) else {
            panic!("open")
        };
        let _ = audit.append(
            EntryDraft::new(
                EntryKind::Violation,
                "cli",
                "exec",
                "rm -rf /",
                Outcome::Blocked,
            )
            .sandbox("abcdef012345")
            .detail("rule", "not-whitelisted")
            .detail("reason", "rm is not allowed"),
        );
        worker.handle(Intent::Refresh);
        let again = next_matching(&mut rx, |e| matches!(e, AppEvent::Connection(_))).await;
        assert!(
            matches!(
                again,
                Some(AppEvent::Connection(Connection::Down { retry_secs: 4, .. }))
            ),
            "backs off: {again:?}"
        );
        let alerts = next_matching(
            &mut rx,
            |e| matches!(e, AppEvent::Alerts { new, .. } if !new.is_empty()),
        )
        .await;
        let Some(AppEvent::Alerts { new, blocked }) = alerts else {
            panic!("{alerts:?}")
        };
        assert_eq!(new[0].command, "rm -rf /");
        assert_eq!(new[0].log, path);
        assert_eq!(blocked, vec![("abcdef012345".to_string(), 1)]);
        poller.abort();
    }
}
