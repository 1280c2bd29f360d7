//! Engine and file work, off the UI loop: each [`Intent`] becomes a task on the service
//! whose answer comes back as an [`AppEvent`]; blocking file work (audit pages, verification,
//! spool ingestion, the tail) runs on the blocking pool. The poller refreshes the sandbox
//! list every [`POLL_INTERVAL`] and whenever asked (bus events, `r`), and backs off while the
//! engine is unreachable, so the engine going away is a status, never a crash.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};

use super::audit_pages::{all_logs, load_page};
use super::event::{AppEvent, AuditSource, ChainStatus, Connection, Intent};
use super::log::TuiLog;
use super::panes::terminal::TabHandle;
use super::tail::AuditTail;
use crate::audit;
use crate::sandbox::{CreateRequest, SandboxService, SessionKind};

/// How often the sandbox list is refreshed when nothing asks sooner.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);
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

    /// The poller: runs until the loop's receiver is gone.
    pub async fn poll_forever(self) {
        let mut tail = AuditTail::default();
        let mut backoff = POLL_INTERVAL;
        let mut was_up: Option<bool> = None;
        loop {
            let listed = tokio::time::timeout(ENGINE_TIMEOUT, self.svc.list()).await;
            let listed = match listed {
                Ok(r) => r.map_err(|e| e.to_string()),
                Err(_) => Err(format!(
                    "the engine did not answer within {}s",
                    ENGINE_TIMEOUT.as_secs()
                )),
            };
            let wait = match listed {
                Ok(list) => {
                    if was_up != Some(true) {
                        let runtime = match self.svc.engine().await {
                            Ok(e) => e.kind().to_string(),
                            Err(_) => "engine".into(),
                        };
                        self.log.info(&format!("connected to {runtime}"));
                        self.send(AppEvent::Connection(Connection::Connected { runtime }));
                    }
                    was_up = Some(true);
                    backoff = POLL_INTERVAL;
                    if let Ok(mut l) = self.sandbox_logs.lock() {
                        *l = list.iter().map(|s| PathBuf::from(&s.audit_log)).collect();
                    }
                    self.send(AppEvent::Sandboxes(list.clone()));
                    // The guard's records reach the chain (and the alerts) through here.
                    for info in &list {
                        let (svc, info) = (self.svc.clone(), info.clone());
                        if let Ok(Err(e)) =
                            tokio::task::spawn_blocking(move || svc.ingest_spool(&info)).await
                        {
                            self.log.warn(&format!("spool ingestion: {e}"));
                        }
                    }
                    POLL_INTERVAL
                }
                Err(error) => {
                    if was_up != Some(false) {
                        self.log.warn(&format!("engine unreachable: {error}"));
                    }
                    was_up = Some(false);
                    let wait = backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    self.send(AppEvent::Connection(Connection::Down {
                        error,
                        retry_secs: wait.as_secs(),
                    }));
                    wait
                }
            };
            // The logs are local files: alerts keep coming while the engine is away.
            let logs = self.logs();
            let joined = tokio::task::spawn_blocking(move || {
                let new = tail.poll(&logs);
                let blocked = tail.blocked();
                (tail, new, blocked)
            })
            .await;
            match joined {
                Ok((t, new, blocked)) => {
                    tail = t;
                    self.send(AppEvent::Alerts { new, blocked });
                }
                Err(e) => {
                    self.log.warn(&format!("audit tail task failed: {e}"));
                    tail = AuditTail::default();
                }
            }
            if self.tx.is_closed() {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.refresh.notified() => {
                    // Coalesce a burst of requests (every audit append publishes one).
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditLog, EntryDraft, EntryKind, Outcome};
    use crate::config::{LassoHome, Settings};
    use crate::runtime::{ConnectOptions, EngineKind};
    use crate::sandbox::ServiceOptions;

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
