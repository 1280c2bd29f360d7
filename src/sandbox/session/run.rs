//! `open_terminal` and the two session loops.
//!
//! REPL: each submitted line goes through [`SandboxService::gate_command`], the very path
//! `lasso exec` takes (violation entry, event, metrics); an allowed line runs on a TTY under
//! the guard with `--prechecked` (the host already decided the line; everything it starts is
//! checked inside), bounded by `terminal.max_session_seconds`, and is recorded as a
//! `command` entry with `tty: true`. A refused line prints `blocked by <rule>: <reason>`.
//! Keys typed while a line's program runs go to its terminal; what it never read comes back
//! (the guard's `--typeahead` hand-back, see `typeahead.rs`) and is fed to the line editor
//! after the next prompt, so a line typed ahead is edited, gated and audited like any other.
//!
//! Shell: only where the effective profile sets `terminal.raw_shell`, and only if the
//! profile's gate would allow `sh` itself; otherwise refused before anything runs, and the
//! refusal is audited. The shell runs under the guard *without* `--prechecked`, so the
//! shell and every program it starts are checked inside the sandbox.
//!
//! Both record `session_start` / `session_end` lifecycle entries; the guard's spool is
//! ingested while programs run (live alerts) and after each one.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::line::{LineAction, LineEditor};
use super::pump::{PumpIo, Ran, pump};
use super::typeahead;
use super::{SessionEnd, SessionInput, SessionKind, SessionOutput, TermSize, TerminalSession};
use crate::audit::{EntryDraft, EntryKind, Outcome};
use crate::runtime::{ExecRequest, GUARD_SETUP_FAILED};
use crate::sandbox::events::Event;
use crate::sandbox::service::Gated;
use crate::sandbox::{SandboxError, SandboxInfo, SandboxService};

impl SandboxService {
    /// Opens a terminal session of `kind` in the sandbox `query`, on behalf of `actor`
    /// (audited), sized `size`. A raw shell the profile does not permit is refused with
    /// [`SandboxError::SessionRefused`] (and the refusal audited).
    pub async fn open_terminal(
        self: &Arc<Self>,
        query: &str,
        kind: SessionKind,
        actor: &str,
        size: TermSize,
    ) -> Result<TerminalSession, SandboxError> {
        let info = self.get(query).await?;
        Self::require_running(&info)?;
        let compiled = self.gate_for(&info)?;
        let profile = &compiled.1;
        let log = PathBuf::from(&info.audit_log);
        let kind_name = kind_name(kind);
        if kind == SessionKind::Shell {
            let refusal = if !profile.terminal.raw_shell {
                Some(format!(
                    "profile `{}` does not allow a raw shell (set `[terminal] raw_shell = true` \
                     in a profile to permit one); use the gated REPL instead",
                    profile.name
                ))
            } else {
                let d = compiled.0.check("sh").decision;
                (!d.allowed).then(|| {
                    format!(
                        "profile `{}` does not allow `sh` itself ({}), so a shell cannot run",
                        profile.name, d.reason
                    )
                })
            };
            if let Some(reason) = refusal {
                let draft = EntryDraft::new(
                    EntryKind::Violation,
                    actor,
                    "session_start",
                    kind_name,
                    Outcome::Blocked,
                )
                .sandbox(&info.id)
                .detail("reason", reason.clone());
                self.record(&log, draft)?;
                return Err(SandboxError::SessionRefused(reason));
            }
        }
        // Connect before anything is recorded: a session that cannot start leaves no entry.
        self.engine().await?;
        let draft = EntryDraft::new(
            EntryKind::Lifecycle,
            actor,
            "session_start",
            kind_name,
            Outcome::Success,
        )
        .sandbox(&info.id)
        .detail("cols", size.cols)
        .detail("rows", size.rows);
        self.record(&log, draft)?;
        let (in_tx, in_rx) = mpsc::channel(256);
        let (out_tx, out_rx) = mpsc::channel(256);
        let svc = self.clone();
        let session = Session {
            info: info.clone(),
            actor: actor.to_string(),
            input: in_rx,
            output: out_tx,
            size,
        };
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let mut session = session;
            let end = match kind {
                SessionKind::Repl => svc.run_repl(&mut session).await,
                SessionKind::Shell => svc.run_shell(&mut session).await,
            };
            let _ = svc.ingest_spool(&session.info);
            let outcome = if end.error {
                Outcome::Error
            } else {
                Outcome::Success
            };
            let mut draft = EntryDraft::new(
                EntryKind::Lifecycle,
                &session.actor,
                "session_end",
                kind_name,
                outcome,
            )
            .sandbox(&session.info.id)
            .detail("reason", end.end.reason.clone())
            .detail("closed_by_user", end.closed_by_user)
            .detail(
                "duration_ms",
                u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            );
            if let Some(code) = end.end.exit_code {
                draft = draft.detail("exit_code", code);
            }
            // Nobody may be listening any more; the log still gets the entry.
            let _ = svc.record(&PathBuf::from(&session.info.audit_log), draft);
            let _ = session.output.send(SessionOutput::Ended(end.end)).await;
        });
        Ok(TerminalSession::from_channels(info, kind, in_tx, out_rx))
    }

    async fn run_repl(&self, s: &mut Session) -> Finished {
        let prompt = format!("lasso:{}$ ", s.info.name);
        let mut editor = LineEditor::new(prompt.into_bytes());
        let banner = format!(
            "lasso: gated shell in sandbox {} — every line is checked by the profile and \
             recorded; Ctrl-D or `exit` ends it\r\n",
            s.info.name
        );
        if !s.send(banner.as_bytes()).await || !s.send(editor.prompt()).await {
            return Finished::closed("closed", true);
        }
        loop {
            let mut pending = match s.input.recv().await {
                None | Some(SessionInput::Close) => return Finished::closed("closed", true),
                Some(SessionInput::Resize(size)) => {
                    s.size = size;
                    continue;
                }
                Some(SessionInput::Bytes(b)) => b,
            };
            while !pending.is_empty() {
                let (actions, used) = editor.feed(&pending);
                let rest = pending.split_off(used.min(pending.len()));
                pending = rest;
                for action in actions {
                    match action {
                        LineAction::Output(bytes) => {
                            if !s.send(&bytes).await {
                                return Finished::closed("closed", true);
                            }
                        }
                        LineAction::Eof => {
                            let _ = s.send(b"\r\n").await;
                            return Finished::closed("ended with Ctrl-D", false);
                        }
                        LineAction::Line(line) => {
                            // The rest of the burst goes to the line's program first; what
                            // it did not read comes back into `pending` for the editor.
                            match self.repl_line(s, line.trim(), &mut pending).await {
                                LineResult::Continue => {}
                                LineResult::End(f) => return f,
                            }
                            if !s.send(editor.prompt()).await {
                                return Finished::closed("closed", true);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Gates and runs one REPL line. `typed_ahead` holds keys typed after it: a program that
    /// runs gets them on its terminal, and on return they are whatever it left unread.
    async fn repl_line(
        &self,
        s: &mut Session,
        line: &str,
        typed_ahead: &mut Vec<u8>,
    ) -> LineResult {
        if line.is_empty() {
            return LineResult::Continue;
        }
        if line == "exit" || line == "logout" {
            return LineResult::End(Finished::closed("exited", false));
        }
        let (compiled, argv) = match self.gate_command(&s.info, line, &s.actor, true) {
            Ok(Gated::Allowed { compiled, argv }) => (compiled, argv),
            Ok(Gated::Blocked(d)) => {
                let rule = serde_json::to_value(d.rule)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| format!("{:?}", d.rule));
                let msg = format!("blocked by {rule}: {}\r\n", d.reason);
                return self.say(s, &msg).await;
            }
            Err(e) => return self.say(s, &format!("lasso: {e}\r\n")).await,
        };
        let profile = &compiled.1;
        let limit = std::time::Duration::from_secs(u64::from(profile.terminal.max_session_seconds));
        let mut req = ExecRequest::new(argv).timeout(limit).guarded(true);
        let key = if typeahead::supported(&s.info) {
            match typeahead::new_key() {
                Ok(k) => Some(k),
                Err(e) => {
                    let msg = format!(
                        "lasso: cannot generate the key that protects typed-ahead input \
                         ({e}); the line did not run\r\n"
                    );
                    return self.say(s, &msg).await;
                }
            }
        } else {
            None
        };
        if let Some(k) = &key {
            req = req.typeahead(k);
        }
        let ran = self
            .run_program(s, &req, std::mem::take(typed_ahead), key.as_deref())
            .await;
        let log = PathBuf::from(&s.info.audit_log);
        let ingested = self.ingest_spool(&s.info);
        let ran = match ran {
            Ok(mut r) => {
                *typed_ahead = std::mem::take(&mut r.typed_ahead);
                r
            }
            Err(e) => {
                let draft =
                    EntryDraft::new(EntryKind::Command, &s.actor, "exec", line, Outcome::Error)
                        .sandbox(&s.info.id)
                        .detail("tty", true)
                        .detail("error", e.to_string());
                let _ = self.record(&log, draft);
                return self.say(s, &format!("lasso: {e}\r\n")).await;
            }
        };
        let guard_failed = ran.exit_code == Some(GUARD_SETUP_FAILED)
            && String::from_utf8_lossy(&ran.tail).contains("lasso-guard:");
        let exit_code = ran.exit_code.unwrap_or(-1);
        let duration_ms = u64::try_from(ran.duration.as_millis()).unwrap_or(u64::MAX);
        let outcome = if exit_code == 0 && !ran.timed_out && !guard_failed {
            Outcome::Success
        } else {
            Outcome::Error
        };
        let mut draft = EntryDraft::new(EntryKind::Command, &s.actor, "exec", line, outcome)
            .sandbox(&s.info.id)
            .detail("exit_code", exit_code)
            .detail("duration_ms", duration_ms)
            .detail("timed_out", ran.timed_out)
            .detail("tty", true)
            .detail("closed_by_user", ran.closed_by_user);
        if guard_failed {
            draft = draft.detail("error", "the in-sandbox guard could not set up enforcement");
        }
        if let Some(e) = &ran.kill_error {
            draft = draft.detail("kill_error", e.clone());
        }
        if profile.audit.include_command_output {
            draft = draft.detail("output", String::from_utf8_lossy(&ran.output).into_owned());
        }
        if let Err(e) = self.record(&log, draft) {
            return LineResult::End(Finished::error(format!("audit log: {e}")));
        }
        self.events.publish(Event::CommandExecuted {
            id: s.info.id.clone(),
            profile: s.info.profile.clone(),
            command: line.to_string(),
            exit_code,
            duration_ms,
            timed_out: ran.timed_out,
        });
        if ran.closed_by_user {
            // The user closed the terminal: what ran was killed and the session is over.
            return LineResult::End(Finished::closed("closed while a program ran", true));
        }
        let mut notes = String::new();
        if let Ok(report) = &ingested {
            for d in &report.denials {
                let verb = if d.enforced { "denied" } else { "would deny" };
                notes.push_str(&format!(
                    "lasso: guard {verb} {}: {}\r\n",
                    d.program, d.reason
                ));
            }
        }
        if ran.timed_out {
            notes.push_str(&format!(
                "\r\nlasso: time limit reached ({}s, terminal.max_session_seconds); the \
                 program was killed\r\n",
                profile.terminal.max_session_seconds
            ));
        } else if exit_code != 0 {
            notes.push_str(&format!("lasso: exit status {exit_code}\r\n"));
        }
        if notes.is_empty() {
            return LineResult::Continue;
        }
        self.say(s, &notes).await
    }

    async fn run_shell(&self, s: &mut Session) -> Finished {
        let compiled = match self.gate_for(&s.info) {
            Ok(c) => c,
            Err(e) => return Finished::error(e.to_string()),
        };
        let profile = &compiled.1;
        let shell = if compiled.0.check("bash").decision.allowed && self.has_bash(s).await {
            "/bin/bash"
        } else {
            "/bin/sh"
        };
        let argv = vec![shell.to_string()];
        let limit = std::time::Duration::from_secs(u64::from(profile.terminal.max_session_seconds));
        // Not prechecked: the guard checks the shell itself and everything it starts.
        let req = ExecRequest::new(argv).timeout(limit).guarded(false);
        let ran = match self.run_program(s, &req, Vec::new(), None).await {
            Ok(r) => r,
            Err(e) => {
                let _ = s.send(format!("lasso: {e}\r\n").as_bytes()).await;
                return Finished::error(e.to_string());
            }
        };
        shell_end(&ran, profile.terminal.max_session_seconds)
    }

    /// Whether the image has bash. A fixed probe lasso runs itself (no user input, nothing
    /// it starts), so it needs no guard; choosing the shell through a `sh -c` probe under the
    /// guard instead would fail on profiles that refuse shell operators.
    async fn has_bash(&self, s: &Session) -> bool {
        let Ok(engine) = self.engine().await else {
            return false;
        };
        let probe = ExecRequest::new(["test", "-x", "/bin/bash"])
            .timeout(std::time::Duration::from_secs(10));
        engine
            .exec(&s.info.container_id, &probe)
            .await
            .is_ok_and(|o| o.success())
    }

    async fn run_program(
        &self,
        s: &mut Session,
        req: &ExecRequest,
        typed_ahead: Vec<u8>,
        typeahead_key: Option<&str>,
    ) -> Result<Ran, SandboxError> {
        let engine = self.engine().await?;
        let info = s.info.clone();
        let tick = move || {
            let _ = self.ingest_spool(&info);
        };
        let io = PumpIo {
            input: &mut s.input,
            output: &s.output,
            size: &mut s.size,
            typed_ahead,
            tick: &tick,
            typeahead_key,
        };
        Ok(pump(engine, &s.info.container_id, req, io).await?)
    }

    /// Prints `text` into the session; ends it if nobody is listening.
    async fn say(&self, s: &Session, text: &str) -> LineResult {
        if s.send(text.as_bytes()).await {
            LineResult::Continue
        } else {
            LineResult::End(Finished::closed("closed", true))
        }
    }
}

fn shell_end(ran: &Ran, limit_secs: u32) -> Finished {
    let (reason, closed) = if ran.timed_out {
        (
            format!("time limit reached ({limit_secs}s, terminal.max_session_seconds)"),
            false,
        )
    } else if ran.closed_by_user {
        ("closed".to_string(), true)
    } else {
        match ran.exit_code {
            Some(c) => (format!("exited with status {c}"), false),
            None => ("ended (no exit status reported)".to_string(), false),
        }
    };
    Finished {
        end: SessionEnd {
            reason,
            exit_code: ran.exit_code,
        },
        closed_by_user: closed,
        error: false,
    }
}

fn kind_name(kind: SessionKind) -> &'static str {
    match kind {
        SessionKind::Repl => "repl",
        SessionKind::Shell => "shell",
    }
}

/// The service side of one session.
struct Session {
    info: SandboxInfo,
    actor: String,
    input: mpsc::Receiver<SessionInput>,
    output: mpsc::Sender<SessionOutput>,
    size: TermSize,
}

impl Session {
    /// False when the front end has dropped its receiver.
    async fn send(&self, bytes: &[u8]) -> bool {
        self.output
            .send(SessionOutput::Bytes(bytes.to_vec()))
            .await
            .is_ok()
    }
}

enum LineResult {
    Continue,
    End(Finished),
}

struct Finished {
    end: SessionEnd,
    closed_by_user: bool,
    error: bool,
}

impl Finished {
    fn closed(reason: &str, by_user: bool) -> Finished {
        Finished {
            end: SessionEnd {
                reason: reason.to_string(),
                exit_code: None,
            },
            closed_by_user: by_user,
            error: false,
        }
    }

    fn error(reason: String) -> Finished {
        Finished {
            end: SessionEnd {
                reason,
                exit_code: None,
            },
            closed_by_user: false,
            error: true,
        }
    }
}
