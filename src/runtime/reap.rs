//! Killing every process of a timed-out exec (see `exec.rs` for why the marker exists).
//!
//! Host side first, when the engine runs on this host: scan `/proc` for processes whose
//! cgroup names the container and whose environment carries the exec's marker, SIGKILL them,
//! and repeat until a pass finds none (a fork bomb keeps forking between passes). This also
//! works when the container's pids limit is exhausted, where no new exec could start.
//! If the host killed nothing (remote engine; gVisor or a VM runtime, where the host only
//! sees the sandbox's own processes; or everything had already exited), the same scan runs
//! inside the container as a small shell loop, as the exec's user (no capability is needed
//! to kill one's own processes).

use std::time::Duration;

use bollard::container::LogOutput;
use bollard::exec::{StartExecOptions, StartExecResults};
use bollard::models::ExecConfig;
use futures_util::StreamExt;

use super::connect::Engine;
use super::error::RuntimeError;
use super::exec::EXEC_MARKER_ENV;

/// Passes before giving up on a process tree that keeps forking.
const MAX_PASSES: usize = 50;
/// Wall-clock limit for the in-container reaper.
const REAPER_TIMEOUT: Duration = Duration::from_secs(15);

/// The in-container reaper; `$1` is the marker value. Exit 0 = nothing left, 1 = gave up.
pub(crate) const REAPER_SCRIPT: &str = r#"m="LASSO_EXEC_ID=$1"; i=0
while [ "$i" -lt 50 ]; do
  n=0
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [ "$p" = "$$" ] && continue
    if tr '\0' '\n' < "$d/environ" 2>/dev/null | grep -qxF "$m"; then
      kill -9 "$p" 2>/dev/null && n=$((n+1))
    fi
  done
  [ "$n" -eq 0 ] && exit 0
  i=$((i+1))
done
exit 1"#;

/// Outcome of a host-side scan.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct HostReap {
    /// Processes of the container seen on the first pass (0: the engine is not on this host).
    pub container_processes: usize,
    /// Processes killed.
    pub killed: usize,
    /// Marked processes still found on the last pass (0 = done).
    pub remaining: usize,
}

/// Kills every process of the exec; errors only when survivors cannot be ruled out.
pub(crate) async fn reap_exec(
    engine: &Engine,
    container: &str,
    marker: &str,
    user: &str,
    exec_pid: Option<i64>,
) -> Result<(), RuntimeError> {
    let entry = format!("{EXEC_MARKER_ENV}={marker}");
    if engine.endpoint.is_local()
        && let Ok(details) = engine.inspect(container).await
    {
        let id = details.id.0.clone();
        let entry = entry.clone();
        let report = tokio::task::spawn_blocking(move || {
            host_reap(std::path::Path::new("/proc"), &id, &entry, exec_pid)
        })
        .await
        .unwrap_or_default();
        if report.remaining > 0 {
            return Err(survivors(engine, container, report.remaining));
        }
        // Only a kill proves the host sees the command's processes: under gVisor or a VM
        // runtime the host sees the sandbox's own processes in the container's cgroup, but
        // not the command's, so "nothing marked" means nothing there.
        if report.killed > 0 {
            return Ok(());
        }
    }
    in_container_reap(engine, container, marker, user).await
}

fn survivors(engine: &Engine, container: &str, n: usize) -> RuntimeError {
    RuntimeError::Engine {
        engine: engine.kind,
        op: format!("kill timed-out command in {container}"),
        status: None,
        message: format!(
            "{n} process(es) of the command were still alive after {MAX_PASSES} kill passes"
        ),
        hint: Some("stop the sandbox (`lasso stop`) to be sure nothing keeps running".into()),
    }
}

/// Scans `proc` (normally `/proc`) for processes in `container_id`'s cgroup carrying
/// `marker_entry` in their environment and SIGKILLs them until none are left.
pub(crate) fn host_reap(
    proc: &std::path::Path,
    container_id: &str,
    marker_entry: &str,
    exec_pid: Option<i64>,
) -> HostReap {
    let mut report = HostReap::default();
    let own = std::process::id().to_string();
    if let Some(pid) = exec_pid.and_then(|p| i32::try_from(p).ok())
        && in_container(proc, &pid.to_string(), container_id)
    {
        // The exec's own process (from inspect_exec) goes first.
        if sigkill(pid) {
            report.killed += 1;
        }
    }
    for pass in 0..MAX_PASSES {
        let Ok(entries) = std::fs::read_dir(proc) else {
            return report;
        };
        let mut found = 0;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name
                .to_str()
                .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
            else {
                continue;
            };
            if pid == own || !in_container(proc, pid, container_id) {
                continue;
            }
            if pass == 0 {
                report.container_processes += 1;
            }
            let Ok(env) = std::fs::read(proc.join(pid).join("environ")) else {
                continue;
            };
            if env.split(|b| *b == 0).any(|e| e == marker_entry.as_bytes())
                && let Ok(p) = pid.parse::<i32>()
            {
                found += 1;
                if sigkill(p) {
                    report.killed += 1;
                }
            }
        }
        report.remaining = found;
        if found == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    report
}

fn in_container(proc: &std::path::Path, pid: &str, container_id: &str) -> bool {
    std::fs::read_to_string(proc.join(pid).join("cgroup"))
        .is_ok_and(|cg| !container_id.is_empty() && cg.contains(container_id))
}

fn sigkill(pid: i32) -> bool {
    if pid <= 1 {
        return false;
    }
    // SAFETY: kill(2) takes two integers and has no memory-safety preconditions; there is no
    // safe std API for signalling an arbitrary PID. pid > 1 rules out process groups and init.
    unsafe { libc::kill(pid, libc::SIGKILL) == 0 }
}

async fn in_container_reap(
    engine: &Engine,
    container: &str,
    marker: &str,
    user: &str,
) -> Result<(), RuntimeError> {
    let op = format!("kill timed-out command in {container}");
    let config = ExecConfig {
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        tty: Some(false),
        cmd: Some(vec![
            "sh".into(),
            "-c".into(),
            REAPER_SCRIPT.into(),
            "lasso-reaper".into(),
            marker.into(),
        ]),
        user: Some(user.to_string()),
        working_dir: Some("/".into()),
        ..Default::default()
    };
    let run = async {
        let created = engine
            .docker
            .create_exec(container, config)
            .await
            .map_err(|e| RuntimeError::from_bollard(engine.kind, &op, e))?;
        let opts = StartExecOptions {
            detach: false,
            tty: false,
            output_capacity: None,
        };
        let mut stderr = Vec::new();
        if let StartExecResults::Attached { mut output, .. } = engine
            .docker
            .start_exec(&created.id, Some(opts))
            .await
            .map_err(|e| RuntimeError::from_bollard(engine.kind, &op, e))?
        {
            while let Some(item) = output.next().await {
                if let Ok(LogOutput::StdErr { message }) = item
                    && stderr.len() < 4096
                {
                    stderr.extend_from_slice(&message);
                }
            }
        }
        for _ in 0..100 {
            let i = engine
                .docker
                .inspect_exec(&created.id)
                .await
                .map_err(|e| RuntimeError::from_bollard(engine.kind, &op, e))?;
            if i.running != Some(true) {
                return Ok((i.exit_code, stderr));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok((None, stderr))
    };
    let (code, stderr) = tokio::time::timeout(REAPER_TIMEOUT, run)
        .await
        .map_err(|_| RuntimeError::EngineTimeout {
            engine: engine.kind,
            op: op.clone(),
            after: REAPER_TIMEOUT,
        })??;
    match code {
        Some(0) => Ok(()),
        other => Err(RuntimeError::Engine {
            engine: engine.kind,
            op,
            status: None,
            message: format!(
                "the in-container reaper exited with {other:?}: {}",
                String::from_utf8_lossy(&stderr).trim()
            ),
            hint: Some("stop the sandbox (`lasso stop`) to be sure nothing keeps running".into()),
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    #[test]
    fn host_reap_kills_only_marked_processes_of_the_container() {
        // A fake /proc with three real processes (kill(2) needs real pids): in the container
        // and marked, in the container with a different marker, in another container and
        // marked. Only the first may die.
        let tmp = tempfile::tempdir().unwrap();
        let mut children = Vec::new();
        let mut layout = Vec::new();
        for (cg, marked) in [("abc123", true), ("abc123", false), ("zzz999", true)] {
            let mut cmd = Command::new("sleep");
            cmd.arg("30").stdout(Stdio::null());
            if marked {
                cmd.env(EXEC_MARKER_ENV, "m1");
            }
            let child = cmd.spawn().unwrap();
            let pid = child.id().to_string();
            let dir = tmp.path().join(&pid);
            std::fs::create_dir(&dir).unwrap();
            std::fs::write(dir.join("cgroup"), format!("0::/docker/{cg}\n")).unwrap();
            let env = if marked {
                format!("PATH=/bin\0{EXEC_MARKER_ENV}=m1\0")
            } else {
                format!("PATH=/bin\0{EXEC_MARKER_ENV}=m10\0")
            };
            std::fs::write(dir.join("environ"), env).unwrap();
            layout.push((pid, cg, marked));
            children.push(child);
        }
        let report = host_reap(tmp.path(), "abc123", &format!("{EXEC_MARKER_ENV}=m1"), None);
        assert_eq!(report.container_processes, 2);
        // The fake environ file stays after the kill, so the scan sees the process again on
        // each pass and gives up: exactly the "survivor" signal. Check the real effect.
        let mut statuses = Vec::new();
        for mut c in children {
            std::thread::sleep(Duration::from_millis(50));
            let st = c.try_wait().unwrap();
            if st.is_none() {
                c.kill().unwrap();
                c.wait().unwrap();
            }
            statuses.push(st);
        }
        assert!(
            statuses[0].is_some(),
            "marked process in the container was killed"
        );
        assert!(statuses[1].is_none(), "unmarked process survived");
        assert!(statuses[2].is_none(), "other container untouched");
        assert!(report.killed >= 1);
    }

    #[test]
    fn foreign_hosts_report_no_container_processes() {
        let tmp = tempfile::tempdir().unwrap();
        let r = host_reap(tmp.path(), "abc", "LASSO_EXEC_ID=x", Some(12345));
        assert_eq!(r, HostReap::default());
    }

    #[test]
    fn sigkill_refuses_init_and_groups() {
        assert!(!sigkill(1));
        assert!(!sigkill(0));
        assert!(!sigkill(-5));
    }

    #[test]
    fn reaper_script_is_valid_sh_and_kills_marked_processes() {
        // Run the script on the host against a marked sleep: it must kill it and exit 0.
        let mut victim = Command::new("sleep")
            .arg("30")
            .env(EXEC_MARKER_ENV, "unit-test-marker")
            .spawn()
            .unwrap();
        let out = Command::new("sh")
            .args(["-c", REAPER_SCRIPT, "lasso-reaper", "unit-test-marker"])
            .env_remove(EXEC_MARKER_ENV)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(50));
        let st = victim.try_wait().unwrap();
        if st.is_none() {
            victim.kill().unwrap();
        }
        assert!(st.is_some(), "the marked process was killed");
    }
}
