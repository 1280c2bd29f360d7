//! Shared rendering helpers and the CLI's one error type.

use std::io::Write;
use std::process::ExitCode;

use serde::Serialize;

use crate::sandbox::SandboxError;

/// An error to show the user; `code` is the exit status.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub code: u8,
    /// Print `message` as JSON `{"error": ...}` on stdout (for `--json` callers).
    pub json: bool,
}

impl CliError {
    pub fn msg(message: impl Into<String>) -> CliError {
        CliError {
            message: message.into(),
            code: 1,
            json: false,
        }
    }

    pub fn with_code(mut self, code: u8) -> CliError {
        self.code = code;
        self
    }

    /// Marks the error for JSON output when `json` is set.
    pub fn json(mut self, json: bool) -> CliError {
        self.json = json;
        self
    }

    pub fn report(self) -> ExitCode {
        if self.json {
            print_json(&serde_json::json!({ "error": self.message }));
        } else {
            eprintln!("lasso: {}", self.message);
        }
        ExitCode::from(self.code)
    }
}

impl From<SandboxError> for CliError {
    fn from(e: SandboxError) -> Self {
        CliError::msg(e.to_string())
    }
}

impl From<crate::config::ConfigError> for CliError {
    fn from(e: crate::config::ConfigError) -> Self {
        CliError::msg(e.to_string())
    }
}

impl From<crate::audit::AuditError> for CliError {
    fn from(e: crate::audit::AuditError) -> Self {
        CliError::msg(e.to_string())
    }
}

/// Prints one JSON document and a newline on stdout. A closed pipe is not an error worth a
/// panic: the output is simply lost, as with any Unix tool.
pub fn print_json<T: Serialize + ?Sized>(value: &T) {
    let mut out = std::io::stdout().lock();
    let _ = serde_json::to_writer_pretty(&mut out, value);
    let _ = writeln!(out);
}

/// Left-aligned columns, sized to their widest cell.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<String>| {
        let last = cells.len().saturating_sub(1);
        for (i, c) in cells.iter().enumerate() {
            out.push_str(c);
            if i < last {
                let pad = widths
                    .get(i)
                    .copied()
                    .unwrap_or(0)
                    .saturating_sub(c.chars().count())
                    + 2;
                out.push_str(&" ".repeat(pad));
            }
        }
        out.push('\n');
    };
    line(headers.iter().map(|h| h.to_string()).collect());
    for row in rows {
        line(row.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let t = table(
            &["ID", "NAME"],
            &[
                vec!["a".into(), "x".into()],
                vec!["long-id".into(), "y".into()],
            ],
        );
        assert_eq!(t, "ID       NAME\na        x\nlong-id  y\n");
    }
}
