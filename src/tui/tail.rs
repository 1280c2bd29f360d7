//! Tailing the audit logs for alerts. Other lasso processes' violations reach this process
//! only through the logs (their event bus is theirs), so the poller reads each log's new
//! bytes since the last poll, keeps an unfinished last line for the next poll, and turns
//! `violation` entries and blocked `exec` entries (the in-sandbox guard's denials) into
//! alerts. It also counts blocked entries per sandbox for the sandboxes pane.
//!
//! Logs that exist at the first poll are read for their counts without raising alerts
//! (history is in the audit browser); logs that appear later are new, so all their entries
//! alert. Reads are bounded per poll so a huge log cannot stall the poller; a log that
//! shrank (replaced) is read again from the start.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::audit::{AuditEntry, EntryKind, Outcome};

use super::event::Alert;

/// Most bytes read from one log per poll.
const MAX_READ_PER_POLL: u64 = 16 << 20;

#[derive(Debug, Default)]
struct Cursor {
    offset: u64,
    partial: Vec<u8>,
    /// Entries of this log raise alerts (it was new, or its history has been read).
    alerting: bool,
    /// Blocked entries counted per sandbox id, so a re-read can subtract them.
    blocked: HashMap<String, u64>,
}

/// The tail state across polls.
#[derive(Debug, Default)]
pub struct AuditTail {
    logs: HashMap<PathBuf, Cursor>,
    primed: bool,
}

impl AuditTail {
    /// Reads what is new in `logs`; returns the new alerts.
    pub fn poll(&mut self, logs: &[PathBuf]) -> Vec<Alert> {
        let first = !self.primed;
        self.primed = true;
        let mut alerts = Vec::new();
        for path in logs {
            let cursor = self.logs.entry(path.clone()).or_insert_with(|| Cursor {
                alerting: !first,
                ..Cursor::default()
            });
            read_new(path, cursor, &mut alerts);
        }
        alerts
    }

    /// Blocked entries per sandbox id over every tailed log.
    pub fn blocked(&self) -> Vec<(String, u64)> {
        let mut total: HashMap<&str, u64> = HashMap::new();
        for c in self.logs.values() {
            for (id, n) in &c.blocked {
                *total.entry(id).or_default() += n;
            }
        }
        let mut out: Vec<(String, u64)> =
            total.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        out.sort();
        out
    }
}

fn read_new(path: &Path, c: &mut Cursor, alerts: &mut Vec<Alert>) {
    let Ok(mut file) = File::open(path) else {
        return;
    };
    let Ok(len) = file.metadata().map(|m| m.len()) else {
        return;
    };
    if len < c.offset {
        // Replaced or truncated: start over (the verifier reports the why).
        c.offset = 0;
        c.partial.clear();
        c.blocked.clear();
    }
    if len == c.offset {
        // Caught up: from now on this log's entries are news.
        c.alerting = true;
        return;
    }
    let want = (len - c.offset).min(MAX_READ_PER_POLL);
    if file.seek(SeekFrom::Start(c.offset)).is_err() {
        return;
    }
    let mut buf = Vec::with_capacity(usize::try_from(want).unwrap_or(0));
    if file.take(want).read_to_end(&mut buf).is_err() {
        return;
    }
    c.offset += buf.len() as u64;
    let mut data = std::mem::take(&mut c.partial);
    data.extend_from_slice(&buf);
    let mut start = 0;
    while let Some(nl) = data
        .get(start..)
        .and_then(|d| d.iter().position(|b| *b == b'\n'))
    {
        if let Some(line) = data.get(start..start + nl) {
            on_line(path, line, c, alerts);
        }
        start += nl + 1;
    }
    c.partial = data.get(start..).map(<[u8]>::to_vec).unwrap_or_default();
    if c.offset == len && !c.alerting {
        c.alerting = true;
    }
}

fn on_line(path: &Path, line: &[u8], c: &mut Cursor, alerts: &mut Vec<Alert>) {
    // Torn or damaged lines are skipped here; the chain status shows them.
    let Ok(entry) = serde_json::from_slice::<AuditEntry>(line) else {
        return;
    };
    let is_alert = entry.outcome == Outcome::Blocked
        && matches!(entry.kind, EntryKind::Violation | EntryKind::Exec);
    if !is_alert {
        return;
    }
    let sandbox = entry.sandbox_id.clone().unwrap_or_default();
    *c.blocked.entry(sandbox.clone()).or_default() += 1;
    if !c.alerting {
        return;
    }
    let text = |k: &str| {
        entry.detail.get(k).map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    };
    alerts.push(Alert {
        ts: entry.ts,
        sandbox_id: sandbox,
        kind: entry.kind,
        command: if entry.kind == EntryKind::Exec {
            text("program").unwrap_or_else(|| entry.target.clone())
        } else {
            entry.target.clone()
        },
        rule: text("rule").unwrap_or_default(),
        reason: text("reason").unwrap_or_default(),
        log: path.to_path_buf(),
        seq: entry.seq,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditKey, AuditLog, EntryDraft};

    fn violation(log: &AuditLog, sandbox: &str, cmd: &str) {
        let _ = log.append(
            EntryDraft::new(EntryKind::Violation, "cli", "exec", cmd, Outcome::Blocked)
                .sandbox(sandbox)
                .detail("rule", "not-whitelisted")
                .detail("reason", "rm is not allowed"),
        );
    }

    #[test]
    fn history_counts_new_entries_alert() {
        let Ok(tmp) = tempfile::tempdir() else {
            panic!("tmp")
        };
        let key = AuditKey::from_bytes([1; 32]);
        let a = tmp.path().join("aaaa.jsonl");
        let Ok(log) = AuditLog::open(&a, &key) else {
            panic!("open")
        };
        violation(&log, "aaaa", "rm -rf /old");
        let _ = log.append(
            EntryDraft::new(EntryKind::Command, "cli", "exec", "ls", Outcome::Success)
                .sandbox("aaaa"),
        );
        let mut tail = AuditTail::default();
        assert!(
            tail.poll(std::slice::from_ref(&a)).is_empty(),
            "history does not alert"
        );
        assert_eq!(tail.blocked(), vec![("aaaa".to_string(), 1)]);
        violation(&log, "aaaa", "rm -rf /new");
        let _ = log.append(
            EntryDraft::new(
                EntryKind::Exec,
                "guard",
                "exec",
                "sh -c curl",
                Outcome::Blocked,
            )
            .sandbox("aaaa")
            .detail("program", "/usr/bin/curl")
            .detail("rule", "not-whitelisted")
            .detail("reason", "curl is not allowed"),
        );
        let alerts = tail.poll(std::slice::from_ref(&a));
        assert_eq!(alerts.len(), 2, "{alerts:?}");
        assert_eq!(alerts[0].command, "rm -rf /new");
        assert_eq!(
            (alerts[0].seq, alerts[0].rule.as_str()),
            (3, "not-whitelisted")
        );
        assert_eq!(
            (alerts[1].kind, alerts[1].command.as_str()),
            (EntryKind::Exec, "/usr/bin/curl")
        );
        assert_eq!(tail.blocked(), vec![("aaaa".to_string(), 3)]);
        assert!(
            tail.poll(std::slice::from_ref(&a)).is_empty(),
            "nothing new, nothing twice"
        );

        // A log that appears after the first poll is news from its first entry.
        let b = tmp.path().join("bbbb.jsonl");
        let Ok(log_b) = AuditLog::open(&b, &key) else {
            panic!("open")
        };
        violation(&log_b, "bbbb", "sudo su");
        let alerts = tail.poll(&[a.clone(), b.clone()]);
        assert_eq!(
            alerts
                .iter()
                .map(|a| a.command.as_str())
                .collect::<Vec<_>>(),
            vec!["sudo su"]
        );
    }

    #[test]
    fn partial_lines_wait_for_their_end_and_shrunk_logs_restart() {
        let Ok(tmp) = tempfile::tempdir() else {
            panic!("tmp")
        };
        let key = AuditKey::from_bytes([1; 32]);
        let src = tmp.path().join("src.jsonl");
        let Ok(log) = AuditLog::open(&src, &key) else {
            panic!("open")
        };
        violation(&log, "s1", "rm a");
        let line = std::fs::read(&src).unwrap_or_default();
        let dst = tmp.path().join("dst.jsonl");
        let mut tail = AuditTail::default();
        assert!(std::fs::write(&dst, b"").is_ok());
        assert!(tail.poll(std::slice::from_ref(&dst)).is_empty());
        let cut = line.len() / 2;
        assert!(std::fs::write(&dst, &line[..cut]).is_ok());
        assert!(
            tail.poll(std::slice::from_ref(&dst)).is_empty(),
            "half a line is not an entry"
        );
        assert!(std::fs::write(&dst, &line).is_ok());
        assert_eq!(tail.poll(std::slice::from_ref(&dst)).len(), 1);
        assert!(std::fs::write(&dst, b"").is_ok());
        assert!(tail.poll(std::slice::from_ref(&dst)).is_empty());
        assert_eq!(
            tail.blocked(),
            Vec::<(String, u64)>::new(),
            "a restarted log is recounted"
        );
    }
}
