//! Exporters: a streamed JSON array and RFC 4180 CSV, written to any `Write`.
//!
//! JSON elements are the stored lines themselves (byte-identical to serialising the parsed
//! [`AuditEntry`]), so an exported array can be re-verified entry by entry with the key. CSV
//! keeps `detail` as its compact JSON text in one field; fields with a comma, quote, CR or LF
//! are quoted and quotes doubled; records end in CRLF as the RFC specifies. Values are written
//! exactly: spreadsheet users should import the file as text, since a command line starting
//! with `=` is data here, not a formula.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::entry::{AuditEntry, format_ts};
use super::lines::{ForwardLines, Line};
use super::parse::parse_line;
use super::query::Filter;
use super::{AuditError, MAX_LINE_LEN, Result};

/// The CSV header, in column order.
pub const CSV_HEADER: &str = "seq,ts,sandbox_id,type,actor,action,target,outcome,detail,prev,sig";

/// Streams entries as one JSON array: `[`, elements separated by `,\n`, `]`.
pub struct JsonArrayWriter<W: Write> {
    out: W,
    count: u64,
}

impl<W: Write> JsonArrayWriter<W> {
    /// Writes the opening bracket.
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(b"[\n")?;
        Ok(JsonArrayWriter { out, count: 0 })
    }

    /// Writes one entry.
    pub fn write(&mut self, entry: &AuditEntry) -> io::Result<()> {
        let json = serde_json::to_vec(entry).map_err(io::Error::other)?;
        self.write_raw(&json)
    }

    /// Writes one element that is already a JSON object (a stored line).
    fn write_raw(&mut self, json: &[u8]) -> io::Result<()> {
        if self.count > 0 {
            self.out.write_all(b",\n")?;
        }
        self.out.write_all(json)?;
        self.count += 1;
        Ok(())
    }

    /// Closes the array and returns the output and the number of elements.
    pub fn finish(mut self) -> io::Result<(W, u64)> {
        self.out
            .write_all(if self.count > 0 { b"\n]\n" } else { b"]\n" })?;
        self.out.flush()?;
        Ok((self.out, self.count))
    }
}

/// Streams entries as CSV with [`CSV_HEADER`].
pub struct CsvWriter<W: Write> {
    out: W,
    count: u64,
    field: Vec<u8>,
}

impl<W: Write> CsvWriter<W> {
    /// Writes the header record.
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(CSV_HEADER.as_bytes())?;
        out.write_all(b"\r\n")?;
        Ok(CsvWriter {
            out,
            count: 0,
            field: Vec::new(),
        })
    }

    /// Writes one entry as a record.
    pub fn write(&mut self, e: &AuditEntry) -> io::Result<()> {
        let detail = serde_json::to_string(&e.detail).map_err(io::Error::other)?;
        let ts = format_ts(&e.ts);
        let seq = e.seq.to_string();
        let fields: [&[u8]; 11] = [
            seq.as_bytes(),
            &ts,
            e.sandbox_id.as_deref().unwrap_or("").as_bytes(),
            e.kind.as_str().as_bytes(),
            e.actor.as_bytes(),
            e.action.as_bytes(),
            e.target.as_bytes(),
            e.outcome.as_str().as_bytes(),
            detail.as_bytes(),
            e.prev.as_bytes(),
            e.sig.as_bytes(),
        ];
        self.field.clear();
        for (i, value) in fields.iter().enumerate() {
            if i > 0 {
                self.field.push(b',');
            }
            push_csv_field(&mut self.field, value);
        }
        self.field.extend_from_slice(b"\r\n");
        self.out.write_all(&self.field)?;
        self.count += 1;
        Ok(())
    }

    /// Flushes and returns the output and the number of records (header excluded).
    pub fn finish(mut self) -> io::Result<(W, u64)> {
        self.out.flush()?;
        Ok((self.out, self.count))
    }
}

fn push_csv_field(out: &mut Vec<u8>, value: &[u8]) {
    if !value
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
    {
        out.extend_from_slice(value);
        return;
    }
    out.push(b'"');
    for &b in value {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// Writes the entries of the log at `path` that pass `filter` as a JSON array, oldest first.
/// Returns the number exported. Lines that are not entries are left out.
pub fn export_json<W: Write>(path: impl AsRef<Path>, filter: &Filter, out: W) -> Result<u64> {
    let mut writer = JsonArrayWriter::new(out).map_err(AuditError::Export)?;
    for_each_entry(path.as_ref(), filter, |line, _| writer.write_raw(line))?;
    Ok(writer.finish().map_err(AuditError::Export)?.1)
}

/// Writes the entries of the log at `path` that pass `filter` as CSV, oldest first.
/// Returns the number exported. Lines that are not entries are left out.
pub fn export_csv<W: Write>(path: impl AsRef<Path>, filter: &Filter, out: W) -> Result<u64> {
    let mut writer = CsvWriter::new(out).map_err(AuditError::Export)?;
    for_each_entry(path.as_ref(), filter, |_, entry| writer.write(entry))?;
    Ok(writer.finish().map_err(AuditError::Export)?.1)
}

/// Writes the entries of each log of `paths` that pass `filter` as JSON lines, log after log
/// (each oldest first): every stored line byte for byte plus `\n`, so each line still
/// verifies with the key. Returns the number exported.
pub fn export_jsonl_many<W: Write>(paths: &[PathBuf], filter: &Filter, mut out: W) -> Result<u64> {
    let mut count = 0u64;
    for path in paths {
        for_each_entry(path, filter, |line, _| {
            count += 1;
            out.write_all(line)?;
            out.write_all(b"\n")
        })?;
    }
    out.flush().map_err(AuditError::Export)?;
    Ok(count)
}

/// [`export_csv`] over several logs, one header, log after log (each oldest first).
pub fn export_csv_many<W: Write>(paths: &[PathBuf], filter: &Filter, out: W) -> Result<u64> {
    let mut writer = CsvWriter::new(out).map_err(AuditError::Export)?;
    for path in paths {
        for_each_entry(path, filter, |_, entry| writer.write(entry))?;
    }
    Ok(writer.finish().map_err(AuditError::Export)?.1)
}

fn for_each_entry(
    path: &Path,
    filter: &Filter,
    mut f: impl FnMut(&[u8], &AuditEntry) -> io::Result<()>,
) -> Result<()> {
    let file = File::open(path).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            AuditError::NotFound {
                path: path.to_owned(),
            }
        } else {
            AuditError::io("open audit log", path, e)
        }
    })?;
    let len = file
        .metadata()
        .map_err(|e| AuditError::io("inspect audit log", path, e))?
        .len();
    let mut lines = ForwardLines::new(file.take(len), MAX_LINE_LEN);
    while let Some(at) = lines
        .next_line()
        .map_err(|e| AuditError::io("read audit log", path, e))?
    {
        let Line::Text { bytes, .. } = at.line else {
            continue;
        };
        if parse_line(bytes).is_err() {
            continue;
        }
        let Ok(entry) = serde_json::from_slice::<AuditEntry>(bytes) else {
            continue;
        };
        if filter.matches(&entry) {
            f(bytes, &entry).map_err(AuditError::Export)?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::audit::{EntryKind, Outcome};
    use chrono::{TimeZone, Utc};

    fn entry(target: &str, detail: serde_json::Value) -> AuditEntry {
        AuditEntry {
            seq: 7,
            ts: Utc.with_ymd_and_hms(2026, 11, 27, 13, 0, 0).unwrap(),
            sandbox_id: None,
            kind: EntryKind::Command,
            actor: "cli".into(),
            action: "exec".into(),
            target: target.into(),
            outcome: Outcome::Success,
            detail: detail.as_object().cloned().unwrap_or_default(),
            prev: "0".repeat(64),
            sig: "f".repeat(64),
        }
    }

    #[test]
    fn csv_quotes_commas_quotes_and_newlines_per_rfc4180() {
        let mut w = CsvWriter::new(Vec::new()).unwrap();
        w.write(&entry(
            "echo \"a, b\"\nls\r",
            serde_json::json!({"k": "v,\"w\""}),
        ))
        .unwrap();
        w.write(&entry("plain", serde_json::json!({}))).unwrap();
        let (out, n) = w.finish().unwrap();
        assert_eq!(n, 2);
        let text = String::from_utf8(out).unwrap();
        let zeros = "0".repeat(64);
        let fs = "f".repeat(64);
        let expected = format!(
            "{CSV_HEADER}\r\n\
             7,2026-11-27T13:00:00.000000Z,,command,cli,exec,\"echo \"\"a, b\"\"\nls\r\",success,\
             \"{{\"\"k\"\":\"\"v,\\\"\"w\\\"\"\"\"}}\",{zeros},{fs}\r\n\
             7,2026-11-27T13:00:00.000000Z,,command,cli,exec,plain,success,{{}},{zeros},{fs}\r\n"
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn json_array_is_valid_json_even_when_empty() {
        let (out, n) = JsonArrayWriter::new(Vec::new()).unwrap().finish().unwrap();
        assert_eq!(n, 0);
        assert_eq!(
            serde_json::from_slice::<Vec<AuditEntry>>(&out).unwrap(),
            vec![]
        );
        let mut w = JsonArrayWriter::new(Vec::new()).unwrap();
        let a = entry("a", serde_json::json!({"x": 1}));
        let b = entry("b\n\"", serde_json::json!({}));
        w.write(&a).unwrap();
        w.write(&b).unwrap();
        let (out, _) = w.finish().unwrap();
        assert_eq!(
            serde_json::from_slice::<Vec<AuditEntry>>(&out).unwrap(),
            vec![a, b]
        );
    }
}
