//! The audit browser's export (`e`): the browsed log(s) with every current filter, written by
//! the worker (never the UI loop) as JSON lines — each stored entry byte for byte, so every
//! line still verifies with the audit key — or as CSV when the file name ends in `.csv`.
//!
//! The file is created with `O_EXCL` and mode 0600: an export never overwrites anything (an
//! audit trail may hold secrets from command lines, hence private), and a failed export
//! removes the partial file it created.

use std::fs::OpenOptions;
use std::io::BufWriter;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::audit_pages::to_filter;
use super::event::{AuditFilter, AuditSource};
use crate::audit;

/// The export's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    JsonLines,
    Csv,
}

impl ExportFormat {
    /// CSV for a `.csv` file, JSON lines for anything else.
    pub fn for_path(path: &Path) -> ExportFormat {
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        {
            ExportFormat::Csv
        } else {
            ExportFormat::JsonLines
        }
    }
}

/// What `e` asks the worker to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRequest {
    pub source: AuditSource,
    pub filter: AuditFilter,
    pub path: PathBuf,
    pub format: ExportFormat,
}

/// Writes the export; returns how many entries it holds. `logs` are the logs of
/// [`AuditSource::All`] (ignored for one log).
pub fn export(req: &ExportRequest, logs: &[PathBuf]) -> Result<u64, String> {
    let sources: Vec<PathBuf> = match &req.source {
        AuditSource::Log { path, .. } => vec![path.clone()],
        AuditSource::All => logs.to_vec(),
    };
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&req.path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                format!(
                    "{} already exists; exports never overwrite, choose another name",
                    req.path.display()
                )
            } else {
                format!("cannot create {}: {e}", req.path.display())
            }
        })?;
    let filter = to_filter(&req.filter);
    let out = BufWriter::new(file);
    let written = match req.format {
        ExportFormat::JsonLines => audit::export_jsonl_many(&sources, &filter, out),
        ExportFormat::Csv => audit::export_csv_many(&sources, &filter, out),
    };
    written.map_err(|e| {
        // Only this export's own, just-created file is removed.
        let _ = std::fs::remove_file(&req.path);
        format!("exporting to {}: {e}", req.path.display())
    })
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::audit::{AuditKey, AuditLog, EntryDraft, EntryKind, Outcome};

    fn write_log(path: &Path, key: &AuditKey, n: usize) {
        let Ok(log) = AuditLog::open(path, key) else {
            panic!("open")
        };
        for i in 0..n {
            let (kind, outcome) = if i % 3 == 0 {
                (EntryKind::Violation, Outcome::Blocked)
            } else {
                (EntryKind::Command, Outcome::Success)
            };
            let _ = log.append(EntryDraft::new(
                kind,
                "cli",
                "exec",
                format!("cmd-{i}"),
                outcome,
            ));
        }
    }

    #[test]
    fn a_filtered_json_export_holds_exactly_the_matching_lines_byte_for_byte() {
        let Ok(tmp) = tempfile::tempdir() else {
            panic!("tmp")
        };
        let key = AuditKey::from_bytes([9; 32]);
        let log = tmp.path().join("abc.jsonl");
        write_log(&log, &key, 10);
        let req = ExportRequest {
            source: AuditSource::Log {
                label: "abc".into(),
                path: log.clone(),
            },
            filter: AuditFilter {
                kind: Some(EntryKind::Violation),
                ..AuditFilter::default()
            },
            path: tmp.path().join("out.jsonl"),
            format: ExportFormat::JsonLines,
        };
        assert_eq!(export(&req, &[]), Ok(4));
        let exported = std::fs::read(&req.path).unwrap_or_default();
        let original = std::fs::read(&log).unwrap_or_default();
        let want: Vec<&[u8]> = original
            .split(|b| *b == b'\n')
            .filter(|l| {
                serde_json::from_slice::<crate::audit::AuditEntry>(l)
                    .is_ok_and(|e| e.kind == EntryKind::Violation)
            })
            .collect();
        assert_eq!(want.len(), 4);
        let mut expected = want.join(&b'\n');
        expected.push(b'\n');
        assert_eq!(
            exported, expected,
            "exactly the matching lines, byte for byte"
        );
        let mode = std::fs::metadata(&req.path).map(|m| m.permissions().mode() & 0o777);
        assert_eq!(mode.ok(), Some(0o600));
        // Never over an existing file, which stays as it was.
        let again = export(&req, &[]).err().unwrap_or_default();
        assert!(again.contains("already exists"), "{again}");
        assert_eq!(std::fs::read(&req.path).unwrap_or_default(), expected);
    }

    #[test]
    fn csv_exports_all_logs_with_one_header_and_failures_leave_no_file() {
        let Ok(tmp) = tempfile::tempdir() else {
            panic!("tmp")
        };
        let key = AuditKey::from_bytes([9; 32]);
        let (a, b) = (tmp.path().join("a.jsonl"), tmp.path().join("b.jsonl"));
        write_log(&a, &key, 3);
        write_log(&b, &key, 2);
        let path = tmp.path().join("out.CSV");
        assert_eq!(ExportFormat::for_path(&path), ExportFormat::Csv);
        let req = ExportRequest {
            source: AuditSource::All,
            filter: AuditFilter::default(),
            path,
            format: ExportFormat::Csv,
        };
        assert_eq!(export(&req, &[a, b]), Ok(5));
        let text = std::fs::read_to_string(&req.path).unwrap_or_default();
        assert_eq!(text.matches("seq,ts,").count(), 1, "{text}");
        assert_eq!(text.lines().count(), 6, "{text}");
        let missing = ExportRequest {
            source: AuditSource::Log {
                label: "gone".into(),
                path: tmp.path().join("gone.jsonl"),
            },
            path: tmp.path().join("gone.jsonl.out"),
            format: ExportFormat::JsonLines,
            filter: AuditFilter::default(),
        };
        assert!(export(&missing, &[]).is_err());
        assert!(!missing.path.exists(), "the partial file is removed");
    }
}
