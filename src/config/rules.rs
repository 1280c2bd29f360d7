//! Per-field limits shared by the raw layer (errors with file positions) and
//! `Profile::validate` (profiles built in code), so both enforce exactly the same ranges.
//!
//! Each function returns the "what is accepted" half of an error message on refusal.

use super::size::ByteSize;

/// Smallest memory limit: below this even a shell fails to start reliably.
pub const MIN_MEMORY: ByteSize = ByteSize::mib(16);
/// Smallest `/tmp` and writable-path tmpfs.
pub const MIN_TMP: ByteSize = ByteSize::mib(1);
/// Smallest per-file size limit: smaller breaks package managers and editors.
pub const MIN_FILE_SIZE: ByteSize = ByteSize::mib(1);
/// Largest `open_files`: the host hard limit on the build machines; runc fails above it.
pub const MAX_OPEN_FILES: i64 = 20_000;
/// Largest `pids`: the kernel's maximum `pid_max`.
pub const MAX_PIDS: i64 = 4_194_304;
/// Longest `description`.
pub const MAX_DESCRIPTION: usize = 2_000;

/// Directories a writable tmpfs may not cover (kernel interfaces).
const KERNEL_DIRS: &[&str] = &["/proc", "/sys", "/dev"];
/// Directories that are always writable, so listing them is a mistake.
const ALWAYS_WRITABLE: &[&str] = &["/workspace", "/tmp"];

pub fn memory(v: ByteSize) -> Result<(), String> {
    at_least(v, MIN_MEMORY)
}

pub fn tmp_size(v: ByteSize) -> Result<(), String> {
    at_least(v, MIN_TMP)
}

pub fn file_size(v: ByteSize) -> Result<(), String> {
    at_least(v, MIN_FILE_SIZE)
}

fn at_least(v: ByteSize, min: ByteSize) -> Result<(), String> {
    if v >= min {
        Ok(())
    } else {
        Err(format!("expected a size of at least {min}"))
    }
}

pub fn cpus(v: f64) -> Result<(), String> {
    if v.is_finite() && (0.01..=1024.0).contains(&v) {
        Ok(())
    } else {
        Err("expected a number of CPUs from 0.01 to 1024 (fractions allowed, e.g. 0.5)".into())
    }
}

pub fn pids(v: i64) -> Result<(), String> {
    in_range(v, 16, MAX_PIDS, "a process limit")
}

pub fn open_files(v: i64) -> Result<(), String> {
    in_range(
        v,
        16,
        MAX_OPEN_FILES,
        "an open-file limit (the upper bound is the host's hard limit; containers fail to start \
         above it)",
    )
}

pub fn max_execution_seconds(v: i64) -> Result<(), String> {
    in_range(v, 1, 86_400, "a number of seconds (at most one day)")
}

/// `[terminal] max_session_seconds`: the same bounds as a command's limit.
pub fn max_session_seconds(v: i64) -> Result<(), String> {
    in_range(v, 1, 86_400, "a number of seconds (at most one day)")
}

fn in_range(v: i64, lo: i64, hi: i64, what: &str) -> Result<(), String> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(format!("expected {what} from {lo} to {hi}"))
    }
}

pub fn description(v: &str) -> Result<(), String> {
    if v.chars().count() > MAX_DESCRIPTION {
        return Err(format!("expected at most {MAX_DESCRIPTION} characters"));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err("expected text without control characters (newlines and tabs are fine)".into());
    }
    Ok(())
}

/// Extra writable tmpfs mounts (after `names::check_sandbox_path`).
pub fn writable_path(p: &str) -> Result<(), String> {
    if p == "/" {
        return Err(
            "the root file system stays read-only; name a directory such as \"/data\"".into(),
        );
    }
    if let Some(k) = KERNEL_DIRS.iter().find(|k| is_within(p, k)) {
        return Err(format!(
            "{k} is a kernel interface; a writable mount there is not allowed"
        ));
    }
    if let Some(w) = ALWAYS_WRITABLE.iter().find(|w| is_within(p, w)) {
        return Err(format!("{w} is always writable; remove this entry"));
    }
    Ok(())
}

/// Values of `extra_env` (NUL cannot be passed to a process environment).
pub fn env_value(v: &str) -> Result<(), String> {
    if v.contains('\0') {
        Err("expected a value without NUL characters".into())
    } else {
        Ok(())
    }
}

/// Whether `path` is `dir` or below it.
pub fn is_within(path: &str, dir: &str) -> bool {
    path == dir
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/') || dir == "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert!(memory(ByteSize::mib(16)).is_ok());
        assert!(memory(ByteSize::mib(15)).is_err_and(|e| e.contains("16m")));
        assert!(cpus(0.5).is_ok() && cpus(1024.0).is_ok());
        assert!(cpus(0.0).is_err() && cpus(f64::NAN).is_err() && cpus(1025.0).is_err());
        assert!(pids(16).is_ok() && pids(15).is_err());
        assert!(open_files(20_000).is_ok());
        assert!(open_files(20_001).is_err_and(|e| e.contains("16 to 20000")));
        assert!(max_execution_seconds(0).is_err() && max_execution_seconds(86_400).is_ok());
        assert!(description("a\nb").is_ok() && description("a\u{7}").is_err());
    }

    #[test]
    fn writable_paths() {
        assert!(writable_path("/data").is_ok());
        assert!(
            writable_path("/devices").is_ok(),
            "a prefix is not a parent"
        );
        for bad in [
            "/",
            "/proc",
            "/proc/x",
            "/sys/fs",
            "/dev",
            "/tmp",
            "/workspace/out",
        ] {
            assert!(writable_path(bad).is_err(), "{bad}");
        }
        assert!(is_within("/a/b", "/a") && !is_within("/ab", "/a") && is_within("/x", "/"));
    }
}
