//! Profile versions: before a profile file is replaced, its previous text is archived as
//! `<dir>/.history/<stem>/v<N>.toml`, and a line is appended to `<dir>/.history/<stem>/index.jsonl`
//! with the version, the time it was archived, the SHA-256 of its text and why.
//!
//! Version numbers start at 1 and are never reused: the next is one past the highest in the
//! index *and* on disk, and each version file is created with `create_new`, so a race or a
//! lost index line can never overwrite an archived version. The archive is plain files so
//! that an administrator can read, diff or back them up without lasso.

use std::fs;
use std::io::Write;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::error::ConfigError;

/// One archived version of a profile file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub version: u32,
    /// RFC 3339 time the version was archived (the moment it stopped being current).
    pub saved_at: String,
    /// SHA-256 (hex) of the archived file's text.
    pub sha256: String,
    /// What replaced it: `save`, `import`, `init`, `rollback to v3`.
    pub reason: String,
    #[serde(skip_deserializing, default)]
    pub path: PathBuf,
}

/// `<dir>/.history/<stem>` for the profile file `<dir>/<stem>.toml`.
pub fn history_dir(file: &Path) -> PathBuf {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    file.parent()
        .unwrap_or_else(|| Path::new("."))
        .join(".history")
        .join(stem)
}

fn index_path(dir: &Path) -> PathBuf {
    dir.join("index.jsonl")
}

fn version_path(dir: &Path, version: u32) -> PathBuf {
    dir.join(format!("v{version}.toml"))
}

/// SHA-256 (hex) of a file's text.
pub fn text_sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The archived versions of `file`, oldest first. A file without history has none.
pub fn list(file: &Path) -> Result<Vec<HistoryEntry>, ConfigError> {
    let dir = history_dir(file);
    let index = index_path(&dir);
    let text = match fs::read_to_string(&index) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(ConfigError::io("read", &index, e)),
    };
    let mut out: Vec<HistoryEntry> = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let mut entry: HistoryEntry =
            serde_json::from_str(line).map_err(|e| ConfigError::Schema {
                origin: crate::config::Origin::file(format!("{}:{}", index.display(), i + 1)),
                message: format!("not a history entry ({e}); the history index was edited"),
            })?;
        entry.path = version_path(&dir, entry.version);
        out.push(entry);
    }
    out.sort_by_key(|e| e.version);
    Ok(out)
}

/// The text of version `version` of `file`, checked against the hash recorded for it.
pub fn read_version(file: &Path, version: u32) -> Result<(HistoryEntry, String), ConfigError> {
    let entries = list(file)?;
    let Some(entry) = entries.iter().find(|e| e.version == version).cloned() else {
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Err(ConfigError::UnknownVersion {
            name: stem,
            version: format!("v{version}"),
            available: available(&entries),
        });
    };
    let text =
        fs::read_to_string(&entry.path).map_err(|e| ConfigError::io("read", &entry.path, e))?;
    let actual = text_sha256(&text);
    if actual != entry.sha256 {
        return Err(ConfigError::IntegrityMismatch {
            file: entry.path.display().to_string(),
            recorded: entry.sha256.clone(),
            actual,
        });
    }
    Ok((entry, text))
}

/// `versions v1..v4` or `no versions yet`, for messages.
pub fn available(entries: &[HistoryEntry]) -> String {
    match (entries.first(), entries.last()) {
        (Some(a), Some(b)) if a.version == b.version => format!("only v{}", a.version),
        (Some(_), Some(_)) => format!(
            "versions {}",
            entries
                .iter()
                .map(|e| format!("v{}", e.version))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => "no versions yet: a profile gets history when it is saved, imported or rolled \
              back over an existing file"
            .to_string(),
    }
}

/// Archives the current text of `file` (if it exists) as its next version. Returns the new
/// entry, or `None` when there was no file to archive.
pub fn archive(file: &Path, reason: &str) -> Result<Option<HistoryEntry>, ConfigError> {
    let text = match fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ConfigError::io("read", file, e)),
    };
    let dir = history_dir(file);
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(|e| ConfigError::io("create directory", &dir, e))?;
    let mut version = next_version(&dir, &list(file)?)?;
    let path = loop {
        let path = version_path(&dir, version);
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                f.write_all(text.as_bytes())
                    .and_then(|()| f.sync_all())
                    .map_err(|e| ConfigError::io("write", &path, e))?;
                break path;
            }
            // Another process archived concurrently: take the next number.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => version += 1,
            Err(e) => return Err(ConfigError::io("create", &path, e)),
        }
    };
    let entry = HistoryEntry {
        version,
        saved_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        sha256: text_sha256(&text),
        reason: reason.to_string(),
        path,
    };
    let line = serde_json::to_string(&serde_json::json!({
        "version": entry.version,
        "saved_at": entry.saved_at,
        "sha256": entry.sha256,
        "reason": entry.reason,
    }))
    .map_err(|e| ConfigError::Schema {
        origin: crate::config::Origin::file(index_path(&dir).display().to_string()),
        message: e.to_string(),
    })?;
    let index = index_path(&dir);
    let mut f = fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&index)
        .map_err(|e| ConfigError::io("open", &index, e))?;
    f.write_all(format!("{line}\n").as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| ConfigError::io("write", &index, e))?;
    Ok(Some(entry))
}

/// One past the highest version in the index or on disk.
fn next_version(dir: &Path, entries: &[HistoryEntry]) -> Result<u32, ConfigError> {
    let mut highest = entries.iter().map(|e| e.version).max().unwrap_or(0);
    let read = fs::read_dir(dir).map_err(|e| ConfigError::io("list", dir, e))?;
    for entry in read.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(n) = name
            .strip_prefix('v')
            .and_then(|r| r.strip_suffix(".toml"))
            .and_then(|n| n.parse::<u32>().ok())
        {
            highest = highest.max(n);
        }
    }
    Ok(highest.saturating_add(1))
}

/// Parses `3` or `v3`.
pub fn parse_version(s: &str) -> Option<u32> {
    s.strip_prefix('v')
        .unwrap_or(s)
        .parse::<u32>()
        .ok()
        .filter(|v| *v > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_numbered_from_one_and_never_reused() {
        let Ok(tmp) = tempfile::tempdir() else {
            panic!("tempdir")
        };
        let file = tmp.path().join("team.toml");
        assert_eq!(
            archive(&file, "save").ok(),
            Some(None),
            "nothing to archive"
        );
        for (i, text) in ["one", "two", "three"].iter().enumerate() {
            assert!(fs::write(&file, text).is_ok());
            let e = archive(&file, "save").ok().flatten();
            assert_eq!(e.map(|e| e.version), Some(i as u32 + 1));
        }
        // A version file deleted by hand (and its index line lost) is not reused.
        assert!(fs::remove_file(history_dir(&file).join("v3.toml")).is_ok());
        let index = history_dir(&file).join("index.jsonl");
        let kept: String = fs::read_to_string(&index)
            .unwrap_or_default()
            .lines()
            .take(2)
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(fs::write(&index, kept).is_ok());
        assert!(fs::write(history_dir(&file).join("v7.toml"), "stray").is_ok());
        let e = archive(&file, "save").ok().flatten();
        assert_eq!(e.map(|e| e.version), Some(8));
        let all = list(&file).map_err(|e| e.to_string());
        let versions: Vec<u32> = all.iter().flatten().map(|e| e.version).collect();
        assert_eq!(versions, vec![1, 2, 8]);
        let (entry, text) = match read_version(&file, 2) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        };
        assert_eq!((entry.reason.as_str(), text.as_str()), ("save", "two"));
        let m = read_version(&file, 5)
            .map(|_| ())
            .map_err(|e| e.to_string());
        assert_eq!(
            m.err().as_deref(),
            Some("profile \"team\" has no version v5 in its history (versions v1, v2, v8)")
        );
    }

    #[test]
    fn an_edited_archive_is_detected() {
        let Ok(tmp) = tempfile::tempdir() else {
            panic!("tempdir")
        };
        let file = tmp.path().join("p.toml");
        assert!(fs::write(&file, "a = 1").is_ok());
        assert!(archive(&file, "save").is_ok());
        assert!(fs::write(history_dir(&file).join("v1.toml"), "a = 2").is_ok());
        let m = read_version(&file, 1)
            .map(|_| ())
            .map_err(|e| e.to_string());
        assert!(
            m.as_ref()
                .err()
                .is_some_and(|m| m.contains("v1.toml: integrity check failed")),
            "{m:?}"
        );
        assert_eq!(parse_version("v3"), Some(3));
        assert_eq!(parse_version("3"), Some(3));
        assert_eq!(parse_version("v0"), None);
        assert_eq!(parse_version("x"), None);
    }
}
