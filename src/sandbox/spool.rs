//! Ingesting the in-sandbox guard's exec records into the sandbox's HMAC-chained audit log.
//!
//! The guard cannot sign entries (the audit key never enters a sandbox), so it appends JSON
//! lines to segment files `exec-NNNNNN.jsonl` in the sandbox's spool directory, which the
//! workload cannot write (its Landlock ruleset excludes it). Every lasso process that touches
//! the sandbox (after an exec, before a stop, on `lasso audit`) moves new records into the
//! chain here; an exclusive lock on `ingest.lock` keeps two processes from ingesting the same
//! record, and `ingest.json` (host-only) says how far ingestion got.
//!
//! Nothing is dropped: a line that does not parse becomes an `exec` entry with outcome
//! `error` holding the raw text; a partial last line (the guard mid-write) waits for the next
//! run. Segments older than the newest are deleted once fully ingested, so the spool's size
//! (which the guard caps, denying execs beyond it) shrinks as lasso catches up.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::SandboxError;
use super::events::Event;
use super::guard::RunDir;
use super::service::GuardDenial;
use crate::audit::{EntryDraft, EntryKind, Outcome};

/// Longest spool line kept verbatim in an audit entry when it cannot be parsed.
const MAX_RAW: usize = 4096;
/// Most bytes read from the spool in one ingestion (the rest waits for the next call).
const MAX_BATCH_BYTES: u64 = 64 << 20;

/// How far ingestion got: the segment number and the byte offset of the next unread line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct IngestState {
    segment: u32,
    offset: u64,
}

/// One record the guard wrote. Unknown fields are kept (in the entry's detail).
#[derive(Debug, Clone, Deserialize)]
struct SpoolRecord {
    kind: String,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

/// What an ingestion did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// Audit entries appended.
    pub entries: usize,
    /// Execs the guard denied (or, in shadow mode, would have denied), in order.
    pub denials: Vec<GuardDenial>,
}

/// The audit entry for one spool line, and the alert to raise for it, if any.
pub(crate) fn draft_for(line: &[u8], sandbox_id: &str) -> (EntryDraft, Option<Event>) {
    let parsed: Result<SpoolRecord, String> = std::str::from_utf8(line)
        .map_err(|e| format!("not UTF-8: {e}"))
        .and_then(|s| serde_json::from_str(s).map_err(|e| e.to_string()));
    let rec = match parsed {
        Ok(r) => r,
        Err(why) => {
            let raw = String::from_utf8_lossy(&line[..line.len().min(MAX_RAW)]).into_owned();
            let draft = EntryDraft::new(
                EntryKind::Exec,
                "guard",
                "spool-unreadable",
                "",
                Outcome::Error,
            )
            .sandbox(sandbox_id)
            .detail("error", why)
            .detail("raw", raw);
            return (draft, None);
        }
    };
    let text = |k: &str| rec.rest.get(k).and_then(Value::as_str).unwrap_or("");
    let mut detail = rec.rest.clone();
    // The guard's own timestamp is when it happened; the entry's is when it was ingested.
    if let Some(ts) = detail.remove("ts") {
        detail.insert("at".into(), ts);
    }
    match rec.kind.as_str() {
        "exec" => {
            let argv: Vec<String> = rec
                .rest
                .get("argv")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|v| v.as_str().unwrap_or("").to_string())
                        .collect()
                })
                .unwrap_or_default();
            let target = display_argv(&argv);
            let decision = text("outcome").to_string();
            let outcome = match decision.as_str() {
                "denied" => Outcome::Blocked,
                "allowed" | "prechecked" | "recorded" | "would-deny" => Outcome::Success,
                _ => Outcome::Error,
            };
            detail.remove("kind");
            let draft = EntryDraft {
                sandbox_id: Some(sandbox_id.to_string()),
                kind: EntryKind::Exec,
                actor: "guard".into(),
                action: "exec".into(),
                target: target.clone(),
                outcome,
                detail,
            };
            let alert =
                matches!(decision.as_str(), "denied" | "would-deny").then(|| Event::GuardDenied {
                    id: sandbox_id.to_string(),
                    command: target,
                    program: text("program").to_string(),
                    rule: text("rule").to_string(),
                    reason: text("reason").to_string(),
                    enforced: decision == "denied",
                });
            (draft, alert)
        }
        other => {
            let event = text("event").to_string();
            let outcome = match event.as_str() {
                "spool-full" | "error" => Outcome::Error,
                _ => Outcome::Success,
            };
            detail.remove("kind");
            let draft = EntryDraft {
                sandbox_id: Some(sandbox_id.to_string()),
                kind: EntryKind::Exec,
                actor: "guard".into(),
                action: format!("guard-{}", if other == "guard" { "event" } else { other }),
                target: event,
                outcome,
                detail,
            };
            (draft, None)
        }
    }
}

/// `argv` as one line a human can read (and paste): words with shell metacharacters quoted.
pub(crate) fn display_argv(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            let plain = !a.is_empty()
                && a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
            if plain {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn segment_number(name: &str) -> Option<u32> {
    name.strip_prefix("exec-")?
        .strip_suffix(".jsonl")?
        .parse()
        .ok()
}

/// The spool's segments, oldest first.
fn segments(spool: &Path) -> Result<Vec<(u32, PathBuf)>, SandboxError> {
    let rd = match fs::read_dir(spool) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(SandboxError::io(format!("reading {}", spool.display()), e)),
    };
    let mut out = Vec::new();
    for entry in rd.flatten() {
        if let Some(n) = entry.file_name().to_str().and_then(segment_number) {
            out.push((n, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Takes the guard's `<spool>/.lock` (the guard holds it around every append and rotation).
/// Opened read-only and never created here: the guard, running as the sandbox user, creates
/// it, and a root-owned file would lock the guard out of its own spool.
fn lock_spool(run: &RunDir) -> Result<Option<File>, SandboxError> {
    let path = run.spool_dir().join(".lock");
    match File::open(&path) {
        Ok(f) => {
            f.lock()
                .map_err(|e| SandboxError::io(format!("locking {}", path.display()), e))?;
            Ok(Some(f))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(SandboxError::io(format!("opening {}", path.display()), e)),
    }
}

fn load_state(path: &Path) -> IngestState {
    fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn save_state(path: &Path, state: IngestState) -> Result<(), SandboxError> {
    let tmp = path.with_extension("json.tmp");
    let write = || -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(&serde_json::to_vec(&state).unwrap_or_default())?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    };
    write().map_err(|e| SandboxError::io(format!("saving {}", path.display()), e))
}

/// Moves every complete record from `run`'s spool into the audit log through `append`
/// (which signs and stores one entry) and `alert` (which publishes a denial).
pub(crate) fn ingest(
    run: &RunDir,
    sandbox_id: &str,
    append: &mut dyn FnMut(EntryDraft) -> Result<(), SandboxError>,
    alert: &mut dyn FnMut(Event),
) -> Result<IngestReport, SandboxError> {
    let mut report = IngestReport::default();
    if !run.spool_dir().is_dir() {
        return Ok(report);
    }
    let lock_path = run.ingest_lock();
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| SandboxError::io(format!("opening {}", lock_path.display()), e))?;
    lock.lock()
        .map_err(|e| SandboxError::io(format!("locking {}", lock_path.display()), e))?;
    let state_path = run.ingest_state();
    let mut state = load_state(&state_path);

    // 1. Read what is new, holding the guard's own spool lock so no record is half-written
    //    and no segment rotates underneath. The lock is held only while reading.
    let mut chunks: Vec<(u32, PathBuf, Vec<u8>, u64, bool)> = Vec::new();
    let mut truncated: Vec<(PathBuf, u64, u64)> = Vec::new();
    {
        let _guard_lock = lock_spool(run)?;
        let segs = segments(&run.spool_dir())?;
        let newest = segs.last().map(|(n, _)| *n);
        let mut budget = MAX_BATCH_BYTES;
        for (n, path) in &segs {
            if *n < state.segment {
                // Fully ingested earlier; deleting it did not happen (a crash): do it now.
                let _ = fs::remove_file(path);
                continue;
            }
            if *n > state.segment {
                state = IngestState {
                    segment: *n,
                    offset: 0,
                };
            }
            let mut f = File::open(path)
                .map_err(|e| SandboxError::io(format!("opening {}", path.display()), e))?;
            let len = f
                .metadata()
                .map_err(|e| SandboxError::io(format!("reading {}", path.display()), e))?
                .len();
            if len < state.offset {
                // The segment shrank: only a tamperer can do that (the workload cannot write it).
                truncated.push((path.clone(), state.offset, len));
                state.offset = 0;
            }
            let want = (len - state.offset).min(budget);
            let mut buf = Vec::with_capacity(usize::try_from(want).unwrap_or(0));
            f.seek(SeekFrom::Start(state.offset))
                .and_then(|_| Read::by_ref(&mut f).take(want).read_to_end(&mut buf))
                .map_err(|e| SandboxError::io(format!("reading {}", path.display()), e))?;
            budget -= want;
            let complete = buf.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            buf.truncate(complete);
            state.offset += complete as u64;
            let finished = state.offset == len && Some(*n) != newest;
            chunks.push((*n, path.clone(), buf, state.offset, finished));
            if budget == 0 {
                break;
            }
        }
    }

    // 2. Sign them into the audit log, then remember how far we got.
    for (path, expected, found) in truncated {
        let draft = EntryDraft::new(
            EntryKind::Exec,
            "lasso",
            "spool-truncated",
            path.display().to_string(),
            Outcome::Error,
        )
        .sandbox(sandbox_id)
        .detail("expected_at_least", expected)
        .detail("found", found);
        append(draft)?;
        report.entries += 1;
    }
    for (n, _, buf, offset, _) in &chunks {
        for line in buf.split(|&b| b == b'\n') {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let (draft, event) = draft_for(line, sandbox_id);
            append(draft)?;
            report.entries += 1;
            if let Some(ev) = event {
                if let Event::GuardDenied {
                    command,
                    program,
                    rule,
                    reason,
                    enforced,
                    ..
                } = &ev
                {
                    report.denials.push(GuardDenial {
                        command: command.clone(),
                        program: program.clone(),
                        rule: rule.clone(),
                        reason: reason.clone(),
                        enforced: *enforced,
                    });
                }
                alert(ev);
            }
        }
        save_state(
            &state_path,
            IngestState {
                segment: *n,
                offset: *offset,
            },
        )?;
    }

    // 3. Segments fully ingested (and no longer the one being written) are deleted, under the
    //    guard's lock so the guard never appends to a file that is going away.
    if chunks.iter().any(|c| c.4) {
        let _guard_lock = lock_spool(run)?;
        for (_, path, _, _, finished) in &chunks {
            if *finished {
                let _ = fs::remove_file(path);
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::config::LassoHome;

    fn run_dir() -> (tempfile::TempDir, RunDir) {
        let home = tempfile::tempdir().unwrap();
        let lh = LassoHome::at(home.path()).unwrap();
        let run = RunDir::new(&lh, "lasso-t");
        fs::create_dir_all(run.spool_dir()).unwrap();
        (home, run)
    }

    fn exec_line(outcome: &str, argv: &[&str]) -> String {
        serde_json::json!({
            "kind": "exec", "ts": "2026-11-27T14:00:00.000001Z", "supervisor": 9, "pid": 12,
            "ppid": 9, "path": "/usr/bin/x", "requested": argv[0], "argv": argv,
            "cwd": "/workspace", "enforcement": "enforce", "outcome": outcome,
            "rule": "not-whitelisted", "reason": "no", "program": argv[0], "landlock": true
        })
        .to_string()
            + "\n"
    }

    fn collect(run: &RunDir) -> (IngestReport, Vec<EntryDraft>, Vec<Event>) {
        let mut drafts = Vec::new();
        let mut events = Vec::new();
        let r = ingest(
            run,
            "sid",
            &mut |d| {
                drafts.push(d);
                Ok(())
            },
            &mut |e| events.push(e),
        )
        .unwrap();
        (r, drafts, events)
    }

    #[test]
    fn records_become_entries_once_and_denials_alert() {
        let (_h, run) = run_dir();
        let seg = run.spool_dir().join("exec-000001.jsonl");
        let mut text = exec_line("allowed", &["ls", "-l"]);
        text += &exec_line("denied", &["rm", "-rf", "a b"]);
        // A partial line: the guard is still writing it.
        text += "{\"kind\":\"exec\",\"ts";
        fs::write(&seg, &text).unwrap();
        let (r, drafts, events) = collect(&run);
        assert_eq!(r.entries, 2);
        assert_eq!(r.denials.len(), 1);
        assert_eq!(r.denials[0].command, "rm -rf 'a b'");
        assert!(r.denials[0].enforced);
        assert_eq!(drafts[0].kind, EntryKind::Exec);
        assert_eq!(drafts[0].outcome, Outcome::Success);
        assert_eq!(drafts[0].target, "ls -l");
        assert_eq!(drafts[1].outcome, Outcome::Blocked);
        assert_eq!(drafts[1].target, "rm -rf 'a b'");
        assert_eq!(drafts[1].detail["at"], "2026-11-27T14:00:00.000001Z");
        assert_eq!(drafts[1].detail["pid"], 12);
        assert!(!drafts[1].detail.contains_key("ts"));
        assert!(
            matches!(&events[0], Event::GuardDenied { enforced: true, program, .. } if program == "rm")
        );
        // Nothing new: nothing appended. Then the partial line completes.
        assert_eq!(collect(&run).0.entries, 0);
        let mut f = OpenOptions::new().append(true).open(&seg).unwrap();
        f.write_all(b"\":1,}\n").unwrap();
        let (r, drafts, _) = collect(&run);
        assert_eq!(r.entries, 1);
        assert_eq!(drafts[0].action, "spool-unreadable", "kept, not dropped");
        assert_eq!(drafts[0].outcome, Outcome::Error);
    }

    #[test]
    fn finished_segments_are_deleted_but_the_newest_is_kept() {
        let (_h, run) = run_dir();
        let s1 = run.spool_dir().join("exec-000001.jsonl");
        let s2 = run.spool_dir().join("exec-000002.jsonl");
        fs::write(&s1, exec_line("would-deny", &["curl", "x"])).unwrap();
        fs::write(&s2, exec_line("allowed", &["ls"])).unwrap();
        let (r, _, events) = collect(&run);
        assert_eq!(r.entries, 2);
        assert!(matches!(
            &events[0],
            Event::GuardDenied {
                enforced: false,
                ..
            }
        ));
        assert!(!s1.exists());
        assert!(s2.exists());
        fs::write(
            run.spool_dir().join("exec-000003.jsonl"),
            exec_line("allowed", &["cat"]),
        )
        .unwrap();
        let (r, drafts, _) = collect(&run);
        assert_eq!(r.entries, 1);
        assert_eq!(drafts[0].target, "cat");
        assert!(!s2.exists());
    }

    #[test]
    fn a_shrunken_segment_is_reported() {
        let (_h, run) = run_dir();
        let seg = run.spool_dir().join("exec-000001.jsonl");
        fs::write(
            &seg,
            exec_line("allowed", &["ls"]) + &exec_line("allowed", &["ls"]),
        )
        .unwrap();
        assert_eq!(collect(&run).0.entries, 2);
        fs::write(&seg, exec_line("allowed", &["pwd"])).unwrap();
        let (_, drafts, _) = collect(&run);
        assert_eq!(drafts[0].action, "spool-truncated");
        assert_eq!(drafts[1].target, "pwd");
    }

    proptest::proptest! {
        /// Whatever a spool line holds, it becomes exactly one entry and never a panic; a
        /// line that is not a record is kept raw, with outcome `error`.
        #[test]
        fn any_line_becomes_one_entry(line in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let (d, _) = draft_for(&line, "s");
            proptest::prop_assert_eq!(d.sandbox_id.as_deref(), Some("s"));
            if serde_json::from_slice::<SpoolRecord>(&line).is_err() {
                proptest::prop_assert_eq!(d.action.as_str(), "spool-unreadable");
                proptest::prop_assert_eq!(d.outcome, Outcome::Error);
            }
        }

        /// Every argv survives into the entry's detail unchanged, and its display quotes
        /// anything a shell would read.
        #[test]
        fn argv_is_kept_exactly(argv in proptest::collection::vec(".{0,12}", 1..6)) {
            let line = serde_json::json!({"kind": "exec", "argv": argv, "outcome": "denied"}).to_string();
            let (d, alert) = draft_for(line.as_bytes(), "s");
            proptest::prop_assert_eq!(&d.detail["argv"], &serde_json::json!(argv));
            proptest::prop_assert_eq!(d.outcome, Outcome::Blocked);
            proptest::prop_assert!(alert.is_some());
        }
    }

    #[test]
    fn guard_events_are_recorded() {
        let line = br#"{"kind":"guard","ts":"t","supervisor":1,"event":"spool-full","detail":"x"}"#;
        let (d, e) = draft_for(line, "s");
        assert_eq!(d.action, "guard-event");
        assert_eq!(d.target, "spool-full");
        assert_eq!(d.outcome, Outcome::Error);
        assert!(e.is_none());
    }
}
