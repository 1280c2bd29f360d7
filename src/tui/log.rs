//! File-only logging while the TUI owns the screen: `LASSO_HOME/tui.log` (0600, appended).
//! Anything printed to stdout/stderr would corrupt ratatui's frame, so diagnostics of the
//! loop and its tasks go here, one timestamped line each.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::error::TuiError;

/// A cloneable handle to the log file.
#[derive(Debug, Clone)]
pub struct TuiLog {
    file: Arc<Mutex<File>>,
}

impl TuiLog {
    pub fn open(path: &Path) -> Result<TuiLog, TuiError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .map_err(|source| TuiError::Log {
                path: path.display().to_string(),
                source,
            })?;
        Ok(TuiLog {
            file: Arc::new(Mutex::new(file)),
        })
    }

    /// Appends one line; a failing log never takes the UI down.
    pub fn line(&self, level: &str, message: &str) {
        let ts = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ");
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(f, "{ts} {level} {}", message.replace('\n', " "));
    }

    pub fn info(&self, message: &str) {
        self.line("INFO", message);
    }

    pub fn warn(&self, message: &str) {
        self.line("WARN", message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_appended_private_and_single_line() {
        let Ok(tmp) = tempfile::tempdir() else {
            panic!("tempdir")
        };
        let p = tmp.path().join("tui.log");
        let Ok(log) = TuiLog::open(&p) else {
            panic!("open")
        };
        log.info("started");
        log.warn("engine gone:\nconnection refused");
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].ends_with("INFO started"));
        assert!(lines[1].ends_with("WARN engine gone: connection refused"));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&p)
            .map(|m| m.permissions().mode() & 0o777)
            .ok();
        assert_eq!(mode, Some(0o600));
    }
}
