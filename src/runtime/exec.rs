//! Non-interactive exec with bounded output and a timeout that really kills.
//!
//! Three layers, because each alone leaves a gap:
//! 1. The argv runs under the in-sandbox guard (`lasso-guard exec --timeout <secs>`: a child
//!    subreaper that kills every descendant when time is up), or, in sandboxes without the
//!    guard, under the container's own `timeout -s KILL <secs>` (busybox and coreutils both
//!    have it), so the command dies on time even if this process is gone.
//! 2. A host-side deadline (`timeout` + [`HOST_GRACE`]) stops waiting on the stream, which a
//!    grandchild holding stdout open would otherwise keep alive forever.
//! 3. After any timeout the command's whole process tree is killed (`reap.rs`): `timeout`
//!    only kills its direct child (busybox) or its process group (coreutils), while
//!    backgrounded, `setsid`-ed or re-parented descendants survive. Every process of the
//!    exec carries a unique `LASSO_EXEC_ID` in its environment, which `fork`, `setsid`,
//!    double forks and re-parenting to the init all preserve; the reaper kills by that marker.
//!
//! Output is decoded from the non-TTY multiplexed stream (bollard decodes it correctly; its
//! TTY decoding is what loses bytes) into two buffers capped at `max_output_bytes` each;
//! the stream keeps being drained past the cap so the command never blocks on a full pipe.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bollard::container::LogOutput;
use bollard::exec::{StartExecOptions, StartExecResults};
use bollard::models::ExecConfig;
use futures_util::StreamExt;

use super::connect::Engine;
use super::error::RuntimeError;
use super::spec::{
    GUARD_BINARY, SANDBOX_USER, WORKSPACE_DIR, validate_container_path, validate_env,
};

/// Environment variable that tags every process of one exec (see module docs).
pub const EXEC_MARKER_ENV: &str = "LASSO_EXEC_ID";

/// How long after the in-container timeout the host stops waiting.
pub const HOST_GRACE: Duration = Duration::from_secs(2);

/// Longest timeout accepted (a day); longer-running work belongs in the workload itself.
const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// One command to run in a sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecRequest {
    /// Program and arguments (no shell is added).
    pub argv: Vec<String>,
    /// Extra environment for this command.
    pub env: Vec<(String, String)>,
    /// Working directory; default `/workspace`.
    pub workdir: Option<String>,
    /// Wall-clock limit; the command is killed when it expires.
    pub timeout: Duration,
    /// Cap for stdout and for stderr, each.
    pub max_output_bytes: usize,
    /// `uid[:gid]` to run as; default `1000:1000`.
    pub user: Option<String>,
    /// Run under the in-sandbox guard (the sandbox must have been created with
    /// [`super::GuardMounts`]): the guard enforces the timeout and checks every exec.
    pub guard: Option<GuardExec>,
    /// The key for the guard's typeahead frames (see [`GuardExec::typeahead`]); passed to the
    /// guard in [`TYPEAHEAD_KEY_ENV`]. Set with [`ExecRequest::typeahead`].
    pub typeahead_key: Option<String>,
}

/// How a command runs under the in-sandbox guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardExec {
    /// The host's gate already decided the command: its first exec is not checked again
    /// (it is still recorded), everything it starts is.
    pub prechecked: bool,
    /// TTY exec only (the gated REPL): after the program's tree is gone, the guard hands the
    /// terminal input it never read back, in frames authenticated by the per-run key in
    /// [`TYPEAHEAD_KEY_ENV`] (`guard/src/typeahead.rs`). Set with [`ExecRequest::typeahead`].
    pub typeahead: bool,
}

/// Environment variable carrying the key for the guard's typeahead frames; the guard removes
/// it before the program starts.
pub const TYPEAHEAD_KEY_ENV: &str = "LASSO_TYPEAHEAD_KEY";

/// Exit status of `lasso-guard exec` when the guard itself could not set up enforcement
/// (the command did not run); its stderr says why.
pub const GUARD_SETUP_FAILED: i64 = 120;

impl ExecRequest {
    /// A request with a 60 s timeout and 1 MiB output caps.
    pub fn new<I, S>(argv: I) -> ExecRequest
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ExecRequest {
            argv: argv.into_iter().map(Into::into).collect(),
            env: Vec::new(),
            workdir: None,
            timeout: Duration::from_secs(60),
            max_output_bytes: 1 << 20,
            user: None,
            guard: None,
            typeahead_key: None,
        }
    }

    /// Sets the timeout.
    pub fn timeout(mut self, t: Duration) -> ExecRequest {
        self.timeout = t;
        self
    }

    /// Runs the command under the in-sandbox guard.
    pub fn guarded(mut self, prechecked: bool) -> ExecRequest {
        self.guard = Some(GuardExec {
            prechecked,
            typeahead: false,
        });
        self
    }

    /// Asks the guard (set [`ExecRequest::guarded`] first) to hand unread terminal input back
    /// after the program ends, framed with `key`. Only valid for a TTY exec.
    pub fn typeahead(mut self, key: &str) -> ExecRequest {
        if let Some(g) = &mut self.guard {
            g.typeahead = true;
        }
        self.typeahead_key = Some(key.to_string());
        self
    }

    /// Sets the output cap.
    pub fn max_output(mut self, bytes: usize) -> ExecRequest {
        self.max_output_bytes = bytes;
        self
    }

    fn validate(&self, tty: bool) -> Result<(), RuntimeError> {
        let wants_typeahead = self.typeahead_key.is_some();
        if wants_typeahead != self.guard.is_some_and(|g| g.typeahead) {
            return Err(RuntimeError::spec(
                "typeahead",
                "the typeahead hand-back needs the guard and its key together (use \
                 ExecRequest::guarded, then ExecRequest::typeahead)",
            ));
        }
        if wants_typeahead && !tty {
            return Err(RuntimeError::spec(
                "typeahead",
                "the typeahead hand-back only exists for terminal (TTY) exec",
            ));
        }
        if let Some(k) = &self.typeahead_key {
            let hex = k
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !(32..=128).contains(&k.len()) || !hex {
                return Err(RuntimeError::spec(
                    "typeahead",
                    "the typeahead key must be 32 to 128 lowercase hex digits",
                ));
            }
        }
        if self.argv.is_empty() || self.argv[0].is_empty() {
            return Err(RuntimeError::spec("argv", "the command is empty"));
        }
        if let Some(i) = self.argv.iter().position(|a| a.contains('\0')) {
            return Err(RuntimeError::spec(
                format!("argv[{i}]"),
                "arguments may not contain NUL bytes",
            ));
        }
        validate_env("exec env", &self.env)?;
        if let Some(w) = &self.workdir
            && w != "/"
        {
            validate_container_path("workdir", w)?;
        }
        if self.timeout.is_zero() || self.timeout > MAX_TIMEOUT {
            return Err(RuntimeError::spec(
                "timeout",
                format!("{:?} must be between 1 ms and 24 h", self.timeout),
            ));
        }
        if let Some(u) = &self.user {
            let ok = !u.is_empty()
                && u.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-:".contains(c));
            if !ok {
                return Err(RuntimeError::spec(
                    "user",
                    format!("{u:?} is not a uid[:gid] or user name"),
                ));
            }
        }
        Ok(())
    }
}

/// What a command produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// Exit code as reported by the engine; `None` if the engine did not report one (the
    /// host gave up waiting). A command killed by the in-container timeout exits 137.
    pub exit_code: Option<i64>,
    /// Standard output, at most `max_output_bytes`.
    pub stdout: Vec<u8>,
    /// Standard error, at most `max_output_bytes`.
    pub stderr: Vec<u8>,
    /// Wall-clock time from request to result.
    pub duration: Duration,
    /// The timeout expired; the command and its descendants were killed.
    pub timed_out: bool,
    /// Output beyond `max_output_bytes` was discarded.
    pub truncated: bool,
}

impl ExecOutput {
    /// stdout as text (lossy).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// stderr as text (lossy).
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// Exited with status 0 and did not time out.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out
    }
}

/// A buffer that keeps the first `limit` bytes and remembers whether more arrived.
#[derive(Debug, Default)]
pub(crate) struct BoundedBuf {
    pub data: Vec<u8>,
    pub limit: usize,
    pub truncated: bool,
}

impl BoundedBuf {
    pub fn new(limit: usize) -> BoundedBuf {
        BoundedBuf {
            data: Vec::new(),
            limit,
            truncated: false,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        let room = self.limit.saturating_sub(self.data.len());
        if bytes.len() > room {
            self.truncated = true;
        }
        self.data.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }
}

/// Whole seconds for the in-container `timeout` (rounded up; busybox takes integers only).
pub(crate) fn timeout_secs(t: Duration) -> u64 {
    t.as_millis().div_ceil(1000).max(1) as u64
}

/// `timeout -s KILL <secs> argv...`, or under the guard
/// `/.lasso/guard exec --timeout <secs> [--prechecked] [--typeahead] -- argv...`.
pub(crate) fn wrap_argv(argv: &[String], t: Duration, guard: Option<GuardExec>) -> Vec<String> {
    let mut cmd = match guard {
        Some(g) => {
            let mut c = vec![
                GUARD_BINARY.to_string(),
                "exec".to_string(),
                "--timeout".to_string(),
                timeout_secs(t).to_string(),
            ];
            if g.prechecked {
                c.push("--prechecked".to_string());
            }
            if g.typeahead {
                c.push("--typeahead".to_string());
            }
            c.push("--".to_string());
            c
        }
        None => vec![
            "timeout".to_string(),
            "-s".to_string(),
            "KILL".to_string(),
            timeout_secs(t).to_string(),
        ],
    };
    cmd.extend(argv.iter().cloned());
    cmd
}

/// Did the command run out of time? 124 is coreutils' timeout status, 137 = killed by SIGKILL;
/// either only counts once the limit has actually elapsed (an OOM kill is also 137).
pub(crate) fn classify_timeout(
    host_deadline_hit: bool,
    exit_code: Option<i64>,
    elapsed: Duration,
    limit: Duration,
) -> bool {
    host_deadline_hit || (matches!(exit_code, Some(124) | Some(137)) && elapsed >= limit)
}

/// A process-unique marker value (uniqueness matters, not secrecy).
pub(crate) fn new_marker() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:x}-{:x}-{n:x}", std::process::id(), nanos)
}

/// A validated request turned into the engine's exec configuration: the argv wrapped by the
/// guard (or `timeout`), the process-tree marker in its environment, the user resolved.
/// Plain and TTY exec both start from here so the two can never wrap commands differently.
pub(crate) struct PreparedExec {
    pub config: ExecConfig,
    pub marker: String,
    pub user: String,
}

/// Validates `req` and builds its exec configuration; `tty` attaches stdin and a terminal.
pub(crate) fn prepare(req: &ExecRequest, tty: bool) -> Result<PreparedExec, RuntimeError> {
    req.validate(tty)?;
    let marker = new_marker();
    let user = req.user.clone().unwrap_or_else(|| SANDBOX_USER.to_string());
    let mut env: Vec<String> = req.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if tty && !req.env.iter().any(|(k, _)| k == "TERM") {
        // Full-screen programs need a terminal type; the front ends emulate an xterm.
        env.push("TERM=xterm-256color".to_string());
    }
    env.push(format!("{EXEC_MARKER_ENV}={marker}"));
    if let Some(k) = &req.typeahead_key {
        env.push(format!("{TYPEAHEAD_KEY_ENV}={k}"));
    }
    let config = ExecConfig {
        attach_stdin: Some(tty),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        tty: Some(tty),
        env: Some(env),
        cmd: Some(wrap_argv(&req.argv, req.timeout, req.guard)),
        user: Some(user.clone()),
        working_dir: Some(
            req.workdir
                .clone()
                .unwrap_or_else(|| WORKSPACE_DIR.to_string()),
        ),
        privileged: Some(false),
        ..Default::default()
    };
    Ok(PreparedExec {
        config,
        marker,
        user,
    })
}

impl Engine {
    /// Runs a command in a running sandbox (see the module docs for the timeout guarantees).
    pub async fn exec(
        &self,
        container: &str,
        req: &ExecRequest,
    ) -> Result<ExecOutput, RuntimeError> {
        let prepared = prepare(req, false)?;
        let started = Instant::now();
        let deadline = tokio::time::Instant::now() + req.timeout + HOST_GRACE;
        let (config, marker, user) = (prepared.config, prepared.marker, prepared.user);
        let op = format!("exec in {container}");
        let created = tokio::time::timeout_at(deadline, self.docker.create_exec(container, config))
            .await
            .map_err(|_| self.exec_timeout(&op, req.timeout))?
            .map_err(|e| self.exec_error(container, &op, e))?;
        let exec_id = created.id;
        let start = tokio::time::timeout_at(
            deadline,
            self.docker.start_exec(
                &exec_id,
                Some(StartExecOptions {
                    detach: false,
                    tty: false,
                    output_capacity: None,
                }),
            ),
        )
        .await
        .map_err(|_| self.exec_timeout(&op, req.timeout))?
        .map_err(|e| self.exec_error(container, &op, e))?;

        let mut stdout = BoundedBuf::new(req.max_output_bytes);
        let mut stderr = BoundedBuf::new(req.max_output_bytes);
        let mut host_deadline_hit = false;
        match start {
            StartExecResults::Attached { mut output, input } => {
                // Keep the write half open until we are done: closing it early can end the
                // upgraded connection on some engines.
                let _input = input;
                loop {
                    match tokio::time::timeout_at(deadline, output.next()).await {
                        Err(_) => {
                            host_deadline_hit = true;
                            break;
                        }
                        Ok(None) => break,
                        Ok(Some(Ok(LogOutput::StdOut { message })))
                        | Ok(Some(Ok(LogOutput::Console { message }))) => stdout.push(&message),
                        Ok(Some(Ok(LogOutput::StdErr { message }))) => stderr.push(&message),
                        Ok(Some(Ok(LogOutput::StdIn { .. }))) => {}
                        Ok(Some(Err(e))) => {
                            return Err(RuntimeError::from_bollard(
                                self.kind,
                                format!("{op}: reading output"),
                                e,
                            ));
                        }
                    }
                }
            }
            StartExecResults::Detached => {
                return Err(RuntimeError::Protocol {
                    engine: self.kind,
                    op,
                    message: "engine started the exec detached; no output stream".into(),
                });
            }
        }

        let (mut exit_code, pid) = self.exec_status(&exec_id, !host_deadline_hit).await;
        let timed_out =
            classify_timeout(host_deadline_hit, exit_code, started.elapsed(), req.timeout);
        if timed_out {
            super::reap::reap_exec(self, container, &marker, &user, pid).await?;
            if exit_code.is_none() {
                exit_code = self.exec_status(&exec_id, true).await.0;
            }
        }
        Ok(ExecOutput {
            exit_code,
            truncated: stdout.truncated || stderr.truncated,
            stdout: stdout.data,
            stderr: stderr.data,
            duration: started.elapsed(),
            timed_out,
        })
    }

    /// Exit code and host PID of an exec. After the stream ends the engine may still report
    /// it running for a moment; `wait` polls briefly for the final code.
    pub(crate) async fn exec_status(
        &self,
        exec_id: &str,
        wait: bool,
    ) -> (Option<i64>, Option<i64>) {
        let mut pid = None;
        for attempt in 0..50 {
            match self.docker.inspect_exec(exec_id).await {
                Ok(i) => {
                    pid = i.pid.filter(|p| *p > 0).or(pid);
                    if i.running != Some(true) {
                        return (i.exit_code, pid);
                    }
                }
                Err(_) => return (None, pid),
            }
            if !wait || attempt == 49 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        (None, pid)
    }

    pub(crate) fn exec_timeout(&self, op: &str, t: Duration) -> RuntimeError {
        RuntimeError::EngineTimeout {
            engine: self.kind,
            op: op.to_string(),
            after: t + HOST_GRACE,
        }
    }

    pub(crate) fn exec_error(
        &self,
        container: &str,
        op: &str,
        e: bollard::errors::Error,
    ) -> RuntimeError {
        let e = RuntimeError::from_bollard(self.kind, op, e);
        match e.status() {
            Some(404) => RuntimeError::ContainerNotFound {
                container: container.to_string(),
                engine: self.kind,
            },
            Some(409) => RuntimeError::Engine {
                engine: self.kind,
                op: op.to_string(),
                status: Some(409),
                message: "the sandbox is not running".into(),
                hint: Some("start it again or recreate it".into()),
            },
            _ => e,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn bounded_buffer_caps_and_flags() {
        let mut b = BoundedBuf::new(5);
        b.push(b"abc");
        assert!(!b.truncated);
        b.push(b"defg");
        assert_eq!(b.data, b"abcde");
        assert!(b.truncated);
        b.push(b"h");
        assert_eq!(b.data, b"abcde");
        let mut z = BoundedBuf::new(0);
        z.push(b"");
        assert!(!z.truncated);
        z.push(b"x");
        assert!(z.truncated && z.data.is_empty());
    }

    #[test]
    fn timeout_is_rounded_up_to_whole_seconds() {
        assert_eq!(timeout_secs(Duration::from_millis(1)), 1);
        assert_eq!(timeout_secs(Duration::from_millis(1000)), 1);
        assert_eq!(timeout_secs(Duration::from_millis(1001)), 2);
        assert_eq!(
            wrap_argv(
                &["sh".into(), "-c".into(), "x y".into()],
                Duration::from_secs(3),
                None
            ),
            vec!["timeout", "-s", "KILL", "3", "sh", "-c", "x y"]
        );
        assert_eq!(
            wrap_argv(
                &["ls".into()],
                Duration::from_millis(1500),
                Some(GuardExec {
                    prechecked: true,
                    typeahead: false
                })
            ),
            vec![
                "/.lasso/guard",
                "exec",
                "--timeout",
                "2",
                "--prechecked",
                "--",
                "ls"
            ]
        );
    }

    #[test]
    fn timeout_classification() {
        let limit = Duration::from_secs(2);
        assert!(classify_timeout(true, None, Duration::from_secs(4), limit));
        assert!(classify_timeout(
            false,
            Some(137),
            Duration::from_millis(2100),
            limit
        ));
        assert!(classify_timeout(
            false,
            Some(124),
            Duration::from_millis(2000),
            limit
        ));
        // A fast SIGKILL (e.g. OOM) is not a timeout.
        assert!(!classify_timeout(
            false,
            Some(137),
            Duration::from_millis(300),
            limit
        ));
        assert!(!classify_timeout(
            false,
            Some(0),
            Duration::from_secs(5),
            limit
        ));
    }

    #[test]
    fn markers_are_unique() {
        let a = new_marker();
        let b = new_marker();
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
    }

    #[test]
    fn requests_are_validated() {
        let ok = ExecRequest::new(["echo", "hi"]);
        ok.validate(false).unwrap();
        let e = ExecRequest::new(Vec::<String>::new())
            .validate(false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("empty"), "{e}");
        let e = ExecRequest::new(["a\0b"])
            .validate(false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("argv[0]"), "{e}");
        let e = ExecRequest::new(["x"])
            .timeout(Duration::ZERO)
            .validate(false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("timeout"), "{e}");
        let mut r = ExecRequest::new(["x"]);
        r.env = vec![(EXEC_MARKER_ENV.into(), "spoof".into())];
        assert!(
            r.validate(false)
                .unwrap_err()
                .to_string()
                .contains("set by lasso")
        );
        let mut r = ExecRequest::new(["x"]);
        r.workdir = Some("rel".into());
        assert!(r.validate(false).is_err());
        let mut r = ExecRequest::new(["x"]);
        r.user = Some("0; rm".into());
        assert!(r.validate(false).unwrap_err().to_string().contains("user"));
    }

    #[test]
    fn typeahead_is_guarded_tty_only_and_passes_its_key() {
        let key = "0123456789abcdef0123456789abcdef";
        let r = ExecRequest::new(["sleep", "1"])
            .guarded(true)
            .typeahead(key);
        r.validate(true).unwrap();
        // Never for plain exec, never without the guard, never with a malformed key.
        assert!(r.validate(false).is_err());
        assert!(
            ExecRequest::new(["x"])
                .typeahead(key)
                .validate(true)
                .is_err()
        );
        let bad = ExecRequest::new(["x"]).guarded(true).typeahead("short");
        assert!(bad.validate(true).is_err());
        let mut stray = ExecRequest::new(["x"]).guarded(true);
        stray.typeahead_key = Some(key.into());
        assert!(stray.validate(true).is_err());
        let p = prepare(&r, true).unwrap();
        let cmd = p.config.cmd.unwrap();
        assert!(cmd.contains(&"--typeahead".to_string()), "{cmd:?}");
        let env = p.config.env.unwrap();
        assert!(
            env.contains(&format!("{TYPEAHEAD_KEY_ENV}={key}")),
            "{env:?}"
        );
        // Without it, neither the flag nor the key.
        let plain = prepare(&ExecRequest::new(["ls"]).guarded(true), true).unwrap();
        assert!(
            !plain
                .config
                .cmd
                .unwrap()
                .contains(&"--typeahead".to_string())
        );
        assert!(
            !plain
                .config
                .env
                .unwrap()
                .iter()
                .any(|e| e.starts_with(TYPEAHEAD_KEY_ENV))
        );
    }

    #[test]
    fn output_helpers() {
        let o = ExecOutput {
            exit_code: Some(0),
            stdout: b"hi\n".to_vec(),
            stderr: vec![0xff],
            duration: Duration::ZERO,
            timed_out: false,
            truncated: false,
        };
        assert!(o.success());
        assert_eq!(o.stdout_text(), "hi\n");
        assert_eq!(o.stderr_text(), "\u{fffd}");
    }
}
