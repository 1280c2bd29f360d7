//! Reading and writing files of a sandbox's workspace from the host (the MCP `file_read` /
//! `file_write` tools), confined to the workspace and audited.
//!
//! The workspace is the sandbox's host working directory (its `lasso.working_dir` label),
//! mounted at `/workspace`; the agent controls everything in it, including symlinks that
//! point anywhere on the host. So a path is never handed to the kernel whole: it is checked
//! lexically first (relative to `/workspace` or absolute under it, no `..`, not a hidden path
//! of the profile, reusing the gate's matching), then opened one component at a time with
//! `openat(O_NOFOLLOW)` from a descriptor of the working directory. A symlink anywhere on the
//! way fails the open itself (`ELOOP`/`ENOTDIR`), so a link swapped in between a check and the
//! open cannot redirect it. Only regular files are read or replaced (no devices, FIFOs,
//! sockets), both directions are capped at [`MAX_FILE_BYTES`], and writes go to a temporary
//! file in the same directory, owned by the sandbox user (uid/gid 1000), renamed over the
//! target (atomic: a reader sees the old or the new file, never half of one).
//!
//! Every request is audited in the sandbox's log (type `file`, action `read` or `write`),
//! refusals with outcome `blocked` and the reason.

use std::ffi::CString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::PathBuf;

use serde::Serialize;

use super::error::SandboxError;
use super::labels::SandboxInfo;
use super::service::SandboxService;
use crate::audit::{EntryDraft, EntryKind, Outcome};
use crate::config::{Mode, WORKSPACE};

/// Largest file `read_file` returns and `write_file` accepts: 8 MiB.
pub const MAX_FILE_BYTES: u64 = 8 << 20;

/// What `read_file` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileRead {
    /// The path inside the sandbox (`/workspace/...`).
    pub path: String,
    pub size: u64,
    #[serde(skip)]
    pub content: Vec<u8>,
}

/// What `write_file` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileWritten {
    /// The path inside the sandbox (`/workspace/...`).
    pub path: String,
    pub bytes_written: u64,
    /// Whether the file did not exist before.
    pub created: bool,
}

/// A workspace path, checked lexically: its components below the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WorkspacePath {
    pub components: Vec<String>,
}

impl WorkspacePath {
    /// The path as the sandbox sees it.
    pub fn in_sandbox(&self) -> String {
        if self.components.is_empty() {
            WORKSPACE.to_string()
        } else {
            format!("{WORKSPACE}/{}", self.components.join("/"))
        }
    }
}

/// Checks `path` (relative to `/workspace`, or absolute under it) without touching the file
/// system. `..` is refused outright rather than resolved: resolving it lexically would be
/// wrong across symlinks, and an agent never needs it to name a workspace file.
pub(crate) fn parse_workspace_path(path: &str) -> Result<WorkspacePath, String> {
    if path.is_empty() {
        return Err("the path is empty; name a file in /workspace, e.g. `src/main.rs`".into());
    }
    if path.contains('\0') {
        return Err("the path contains a NUL byte".into());
    }
    let rest = if path.starts_with('/') {
        match path.strip_prefix(WORKSPACE) {
            Some("") => "",
            Some(r) if r.starts_with('/') => r,
            _ => {
                return Err(format!(
                    "`{path}` is outside the workspace; only files under {WORKSPACE} can be read \
                     or written (use a path relative to {WORKSPACE}, e.g. `src/main.rs`)"
                ));
            }
        }
    } else {
        path
    };
    let mut components = Vec::new();
    for c in rest.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                return Err(format!(
                    "`{path}` contains `..`; name the file by its path inside {WORKSPACE} \
                     without `..`"
                ));
            }
            c => components.push(c.to_string()),
        }
    }
    Ok(WorkspacePath { components })
}

/// Why a request was refused (audited as `blocked`) or failed (audited as `error`).
enum Failure {
    Refused(String),
    Failed(String),
}

impl SandboxService {
    /// Reads a regular file of the sandbox's workspace (at most `max_bytes`, capped at
    /// [`MAX_FILE_BYTES`]); refusals are audited and returned as [`SandboxError::FileRefused`].
    pub async fn read_file(
        &self,
        query: &str,
        path: &str,
        max_bytes: u64,
        actor: &str,
    ) -> Result<FileRead, SandboxError> {
        let info = self.get(query).await?;
        // Before anything is audited: a sandbox being created has no log entries yet.
        info.require_created()?;
        let limit = max_bytes.min(MAX_FILE_BYTES);
        let checked = self.check_file_path(&info, path, false);
        let shown = checked
            .as_ref()
            .map_or_else(|_| path.to_string(), WorkspacePath::in_sandbox);
        let result = checked.and_then(|wp| read_beneath(&info, &wp, limit));
        match result {
            Ok(content) => {
                let size = content.len() as u64;
                let draft =
                    EntryDraft::new(EntryKind::File, actor, "read", &shown, Outcome::Success)
                        .sandbox(&info.id)
                        .detail("bytes", size);
                self.record(&PathBuf::from(&info.audit_log), draft)?;
                Ok(FileRead {
                    path: shown,
                    size,
                    content,
                })
            }
            Err(f) => Err(self.file_failure(&info, actor, "read", &shown, f)),
        }
    }

    /// Writes `bytes` to a file of the sandbox's workspace atomically (temporary file in the
    /// same directory, then rename), creating missing parent directories, owned by the
    /// sandbox user. Refusals are audited and returned as [`SandboxError::FileRefused`].
    pub async fn write_file(
        &self,
        query: &str,
        path: &str,
        bytes: &[u8],
        actor: &str,
    ) -> Result<FileWritten, SandboxError> {
        let info = self.get(query).await?;
        // Before anything is audited: a sandbox being created has no log entries yet.
        info.require_created()?;
        let checked = self.check_file_path(&info, path, true);
        let shown = checked
            .as_ref()
            .map_or_else(|_| path.to_string(), WorkspacePath::in_sandbox);
        let result = checked.and_then(|wp| {
            if bytes.len() as u64 > MAX_FILE_BYTES {
                return Err(Failure::Refused(format!(
                    "{} bytes is more than the {} MiB a file write may carry; write the file in \
                     smaller parts with a command, or generate it inside the sandbox",
                    bytes.len(),
                    MAX_FILE_BYTES >> 20
                )));
            }
            write_beneath(&info, &wp, bytes)
        });
        match result {
            Ok(created) => {
                let draft =
                    EntryDraft::new(EntryKind::File, actor, "write", &shown, Outcome::Success)
                        .sandbox(&info.id)
                        .detail("bytes", bytes.len() as u64)
                        .detail("created", created);
                self.record(&PathBuf::from(&info.audit_log), draft)?;
                Ok(FileWritten {
                    path: shown,
                    bytes_written: bytes.len() as u64,
                    created,
                })
            }
            Err(f) => Err(self.file_failure(&info, actor, "write", &shown, f)),
        }
    }

    /// The lexical checks: a usable sandbox, a workspace path, not hidden by the profile and,
    /// for writes, a mode that allows changing files.
    fn check_file_path(
        &self,
        info: &SandboxInfo,
        path: &str,
        write: bool,
    ) -> Result<WorkspacePath, Failure> {
        if !info.is_usable() {
            return Err(Failure::Failed(format!(
                "sandbox `{}` cannot be used: {}",
                info.name,
                info.problems.join("; ")
            )));
        }
        let wp = parse_workspace_path(path).map_err(Failure::Refused)?;
        if wp.components.is_empty() {
            return Err(Failure::Refused(format!(
                "`{path}` is the workspace directory itself; name a file inside it"
            )));
        }
        let compiled = self
            .gate_for(info)
            .map_err(|e| Failure::Failed(e.to_string()))?;
        let (gate, profile) = (&compiled.0, &compiled.1);
        let inside = wp.in_sandbox();
        if let Some(hidden) = gate.hidden_path(&inside) {
            return Err(Failure::Refused(format!(
                "`{inside}` is hidden from agents by the profile (filesystem.hidden_paths \
                 entry `{hidden}`); it cannot be read or written"
            )));
        }
        if write && profile.mode == Mode::Observe {
            return Err(Failure::Refused(format!(
                "sandbox `{}` is in mode observe, which does not change files; ask the user to \
                 switch it (`lasso mode {} assist`)",
                info.name, info.name
            )));
        }
        Ok(wp)
    }

    /// Audits a refused or failed file request and turns it into the error to return.
    fn file_failure(
        &self,
        info: &SandboxInfo,
        actor: &str,
        action: &str,
        shown: &str,
        failure: Failure,
    ) -> SandboxError {
        let (outcome, reason, err) = match failure {
            Failure::Refused(reason) => (
                Outcome::Blocked,
                reason.clone(),
                SandboxError::FileRefused {
                    path: shown.to_string(),
                    reason,
                },
            ),
            Failure::Failed(reason) => (
                Outcome::Error,
                reason.clone(),
                SandboxError::FileFailed {
                    path: shown.to_string(),
                    reason,
                },
            ),
        };
        let draft = EntryDraft::new(EntryKind::File, actor, action, shown, outcome)
            .sandbox(&info.id)
            .detail("reason", reason);
        if let Err(e) = self.record(&PathBuf::from(&info.audit_log), draft) {
            return e;
        }
        err
    }
}

// ----- the file system, one component at a time --------------------------------------------

fn cstr(name: &str) -> Result<CString, Failure> {
    CString::new(name).map_err(|_| Failure::Refused("the path contains a NUL byte".into()))
}

fn errno() -> std::io::Error {
    std::io::Error::last_os_error()
}

/// `openat(dir, name, flags, mode)` as an owned descriptor.
fn openat(
    dir: &OwnedFd,
    name: &CString,
    flags: libc::c_int,
    mode: libc::mode_t,
) -> Result<OwnedFd, std::io::Error> {
    // SAFETY: `name` is a valid NUL-terminated string and `dir` an open descriptor for the
    // duration of the call; the returned descriptor is owned by nobody else.
    let fd = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            name.as_ptr(),
            flags,
            libc::c_uint::from(mode),
        )
    };
    if fd < 0 {
        return Err(errno());
    }
    // SAFETY: `fd` was just returned by openat and is not owned elsewhere.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `fstatat(dir, name, AT_SYMLINK_NOFOLLOW)`; `None` when it does not exist.
fn lstatat(dir: &OwnedFd, name: &CString) -> Result<Option<libc::stat>, std::io::Error> {
    // SAFETY: an all-zero `stat` is a valid value of this plain C struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: valid descriptor, NUL-terminated name and a writable `stat` for the call.
    let rc = unsafe {
        libc::fstatat(
            dir.as_raw_fd(),
            name.as_ptr(),
            &mut st,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if rc == 0 {
        return Ok(Some(st));
    }
    let e = errno();
    if e.raw_os_error() == Some(libc::ENOENT) {
        Ok(None)
    } else {
        Err(e)
    }
}

fn kind_of(mode: libc::mode_t) -> &'static str {
    match mode & libc::S_IFMT {
        libc::S_IFREG => "a regular file",
        libc::S_IFDIR => "a directory",
        libc::S_IFLNK => "a symbolic link",
        libc::S_IFIFO => "a FIFO",
        libc::S_IFSOCK => "a socket",
        libc::S_IFCHR => "a character device",
        libc::S_IFBLK => "a block device",
        _ => "not a regular file",
    }
}

/// Why an open along the path failed, in words for the agent.
fn open_error(shown: &str, e: &std::io::Error) -> Failure {
    match e.raw_os_error() {
        Some(libc::ELOOP) | Some(libc::ENOTDIR) => Failure::Refused(format!(
            "`{shown}` goes through a symbolic link or a non-directory; symbolic links are not \
             followed by the file tools (they could lead out of the workspace): use the real path"
        )),
        Some(libc::ENOENT) => Failure::Refused(format!("`{shown}` does not exist")),
        Some(libc::EACCES) | Some(libc::EPERM) => {
            Failure::Failed(format!("`{shown}` cannot be opened: {e}"))
        }
        _ => Failure::Failed(format!("`{shown}`: {e}")),
    }
}

/// The working directory's descriptor (the trust root: the label written at create).
fn open_root(info: &SandboxInfo) -> Result<OwnedFd, Failure> {
    let root = cstr(&info.working_dir)?;
    let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: valid NUL-terminated path; the returned descriptor is owned by nobody else.
    let fd = unsafe { libc::open(root.as_ptr(), flags) };
    if fd < 0 {
        return Err(Failure::Failed(format!(
            "the sandbox's working directory {} cannot be opened: {}",
            info.working_dir,
            errno()
        )));
    }
    // SAFETY: `fd` was just returned by open and is not owned elsewhere.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Opens the directory holding the last component, never following a symlink; with
/// `create`, missing directories are made (0755, owned by the sandbox user).
fn open_parent(info: &SandboxInfo, wp: &WorkspacePath, create: bool) -> Result<OwnedFd, Failure> {
    let mut dir = open_root(info)?;
    let Some((_, parents)) = wp.components.split_last() else {
        return Ok(dir);
    };
    let mut shown = WORKSPACE.to_string();
    let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    for comp in parents {
        shown.push('/');
        shown.push_str(comp);
        let name = cstr(comp)?;
        let next = match openat(&dir, &name, flags, 0) {
            Ok(fd) => fd,
            Err(e) if create && e.raw_os_error() == Some(libc::ENOENT) => {
                // SAFETY: valid descriptor and NUL-terminated name.
                let rc = unsafe { libc::mkdirat(dir.as_raw_fd(), name.as_ptr(), 0o755) };
                if rc != 0 && errno().raw_os_error() != Some(libc::EEXIST) {
                    return Err(Failure::Failed(format!(
                        "cannot create directory `{shown}`: {}",
                        errno()
                    )));
                }
                let fd = openat(&dir, &name, flags, 0).map_err(|e| open_error(&shown, &e))?;
                chown_sandbox_user(&fd, &shown)?;
                fd
            }
            Err(e) => return Err(open_error(&shown, &e)),
        };
        dir = next;
    }
    Ok(dir)
}

fn chown_sandbox_user(fd: &OwnedFd, shown: &str) -> Result<(), Failure> {
    // SAFETY: valid descriptor.
    let rc = unsafe {
        libc::fchown(
            fd.as_raw_fd(),
            crate::runtime::SANDBOX_UID,
            crate::runtime::SANDBOX_GID,
        )
    };
    // Not being root (a user running lasso on their own project) is fine: the files are
    // theirs, and the sandbox user reaches them as the workspace's owner allows.
    if rc != 0 && errno().raw_os_error() != Some(libc::EPERM) {
        return Err(Failure::Failed(format!(
            "cannot give `{shown}` to the sandbox user: {}",
            errno()
        )));
    }
    Ok(())
}

fn last_name(wp: &WorkspacePath) -> Result<CString, Failure> {
    cstr(wp.components.last().map_or("", String::as_str))
}

fn read_beneath(info: &SandboxInfo, wp: &WorkspacePath, limit: u64) -> Result<Vec<u8>, Failure> {
    let shown = wp.in_sandbox();
    let dir = open_parent(info, wp, false)?;
    let name = last_name(wp)?;
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
    let flags = libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK;
    let fd = openat(&dir, &name, flags, 0).map_err(|e| open_error(&shown, &e))?;
    let file = File::from(fd);
    let meta = file
        .metadata()
        .map_err(|e| Failure::Failed(format!("`{shown}`: {e}")))?;
    use std::os::unix::fs::MetadataExt;
    if meta.mode() & libc::S_IFMT != libc::S_IFREG {
        return Err(Failure::Refused(format!(
            "`{shown}` is {}; only regular files can be read",
            kind_of(meta.mode())
        )));
    }
    if meta.len() > limit {
        return Err(Failure::Refused(format!(
            "`{shown}` is {} bytes, more than the {limit} bytes allowed for one read (at most \
             {} MiB); read a part of it with a command such as `head -c` or `sed -n`",
            meta.len(),
            MAX_FILE_BYTES >> 20
        )));
    }
    let mut out = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // One byte more than the limit tells a file that grew since fstat.
    (&file)
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| Failure::Failed(format!("reading `{shown}`: {e}")))?;
    if out.len() as u64 > limit {
        return Err(Failure::Refused(format!(
            "`{shown}` grew past the {limit} bytes allowed for one read while it was read"
        )));
    }
    Ok(out)
}

/// Returns whether the file was created.
fn write_beneath(info: &SandboxInfo, wp: &WorkspacePath, bytes: &[u8]) -> Result<bool, Failure> {
    let shown = wp.in_sandbox();
    let dir = open_parent(info, wp, true)?;
    let name = last_name(wp)?;
    let existing = lstatat(&dir, &name).map_err(|e| open_error(&shown, &e))?;
    let mode = match &existing {
        Some(st) if st.st_mode & libc::S_IFMT == libc::S_IFREG => st.st_mode & 0o777,
        Some(st) => {
            return Err(Failure::Refused(format!(
                "`{shown}` is {}; only regular files can be written",
                kind_of(st.st_mode)
            )));
        }
        None => 0o644,
    };
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).map_err(|e| Failure::Failed(format!("random name: {e}")))?;
    let tmp_name = format!(".lasso-write-{}.tmp", hex::encode(suffix));
    let tmp = cstr(&tmp_name)?;
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    let fd = openat(&dir, &tmp, flags, 0o600)
        .map_err(|e| Failure::Failed(format!("creating a temporary file beside `{shown}`: {e}")))?;
    let written = (|| {
        chown_sandbox_user(&fd, &shown)?;
        // SAFETY: valid descriptor; fchmod has no memory effects.
        if unsafe { libc::fchmod(fd.as_raw_fd(), mode) } != 0 {
            return Err(Failure::Failed(format!(
                "setting the mode of `{shown}`: {}",
                errno()
            )));
        }
        let mut file = File::from(fd);
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| Failure::Failed(format!("writing `{shown}`: {e}")))?;
        // SAFETY: both names are NUL-terminated and relative to the same open directory;
        // renameat replaces a name, it never follows a symlink at the target.
        let rc = unsafe {
            libc::renameat(
                dir.as_raw_fd(),
                tmp.as_ptr(),
                dir.as_raw_fd(),
                name.as_ptr(),
            )
        };
        if rc != 0 {
            return Err(Failure::Failed(format!("replacing `{shown}`: {}", errno())));
        }
        Ok(())
    })();
    if written.is_err() {
        // SAFETY: valid descriptor and NUL-terminated name; removing our own temporary file.
        unsafe { libc::unlinkat(dir.as_raw_fd(), tmp.as_ptr(), 0) };
    }
    written.map(|()| existing.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_paths_are_checked_lexically() {
        let ok = |p: &str| parse_workspace_path(p).map(|w| w.in_sandbox());
        assert_eq!(ok("a.txt"), Ok("/workspace/a.txt".into()));
        assert_eq!(ok("./src//main.rs"), Ok("/workspace/src/main.rs".into()));
        assert_eq!(ok("/workspace/src/x"), Ok("/workspace/src/x".into()));
        assert_eq!(ok("/workspace"), Ok("/workspace".into()));
        for bad in [
            "",
            "../etc/passwd",
            "src/../../x",
            "src/..",
            "/etc/passwd",
            "/workspacefoo/x",
            "/tmp/x",
            "a\0b",
        ] {
            assert!(parse_workspace_path(bad).is_err(), "{bad:?} was accepted");
        }
        let err = parse_workspace_path("/etc/passwd")
            .err()
            .unwrap_or_default();
        assert!(err.contains("outside the workspace"), "{err}");
        let err = parse_workspace_path("a/../b").err().unwrap_or_default();
        assert!(err.contains("`..`"), "{err}");
    }

    fn info_for(dir: &std::path::Path) -> SandboxInfo {
        let mut labels = std::collections::BTreeMap::new();
        labels.insert(
            super::super::labels::WORKING_DIR.to_string(),
            dir.display().to_string(),
        );
        SandboxInfo::from_labels("c", "n", "img", "running", "docker", labels)
    }

    fn wp(p: &str) -> WorkspacePath {
        parse_workspace_path(p).unwrap_or(WorkspacePath { components: vec![] })
    }

    fn refused<T>(r: Result<T, Failure>) -> String {
        match r {
            Err(Failure::Refused(s)) => s,
            Err(Failure::Failed(s)) => panic!("failed instead of refused: {s}"),
            Ok(_) => panic!("was allowed"),
        }
    }

    #[test]
    fn reads_and_writes_regular_files_beneath_the_workspace() {
        let Ok(tmp) = tempfile::tempdir() else { return };
        let info = info_for(tmp.path());
        assert!(matches!(
            write_beneath(&info, &wp("new/dir/a.txt"), b"hello"),
            Ok(true)
        ));
        assert!(matches!(
            write_beneath(&info, &wp("new/dir/a.txt"), b"again"),
            Ok(false)
        ));
        assert_eq!(
            read_beneath(&info, &wp("new/dir/a.txt"), 100).ok(),
            Some(b"again".to_vec())
        );
        // No temporary files are left behind.
        let names: Vec<_> = std::fs::read_dir(tmp.path().join("new/dir"))
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert_eq!(names, vec![std::ffi::OsString::from("a.txt")]);
        let why = refused(read_beneath(&info, &wp("new/dir/a.txt"), 3));
        assert!(why.contains("5 bytes"), "{why}");
        let why = refused(read_beneath(&info, &wp("missing"), 3));
        assert!(why.contains("does not exist"), "{why}");
    }

    #[test]
    fn symlinks_are_never_followed() {
        let Ok(tmp) = tempfile::tempdir() else { return };
        let Ok(outside) = tempfile::tempdir() else {
            return;
        };
        let secret = outside.path().join("secret");
        let _ = std::fs::write(&secret, "s3cret");
        let ws = tmp.path();
        let _ = std::os::unix::fs::symlink(&secret, ws.join("link"));
        let _ = std::os::unix::fs::symlink(outside.path(), ws.join("dirlink"));
        let info = info_for(ws);
        let why = refused(read_beneath(&info, &wp("link"), 100));
        assert!(why.contains("symbolic link"), "{why}");
        let why = refused(read_beneath(&info, &wp("dirlink/secret"), 100));
        assert!(why.contains("symbolic link"), "{why}");
        let why = refused(write_beneath(&info, &wp("link"), b"x"));
        assert!(why.contains("symbolic link"), "{why}");
        let why = refused(write_beneath(&info, &wp("dirlink/new"), b"x"));
        assert!(why.contains("symbolic link"), "{why}");
        assert_eq!(
            std::fs::read_to_string(&secret).ok().as_deref(),
            Some("s3cret")
        );
        assert!(!outside.path().join("new").exists());
    }

    #[test]
    fn special_files_and_directories_are_refused() {
        let Ok(tmp) = tempfile::tempdir() else { return };
        let ws = tmp.path();
        let fifo = cstr(&ws.join("fifo").display().to_string()).ok();
        if let Some(f) = fifo {
            // SAFETY: valid NUL-terminated path.
            unsafe { libc::mkfifo(f.as_ptr(), 0o644) };
        }
        let _ = std::fs::create_dir(ws.join("sub"));
        let info = info_for(ws);
        let why = refused(read_beneath(&info, &wp("fifo"), 100));
        assert!(why.contains("FIFO"), "{why}");
        let why = refused(write_beneath(&info, &wp("fifo"), b"x"));
        assert!(why.contains("FIFO"), "{why}");
        let why = refused(read_beneath(&info, &wp("sub"), 100));
        assert!(why.contains("directory"), "{why}");
        let why = refused(write_beneath(&info, &wp("sub"), b"x"));
        assert!(why.contains("directory"), "{why}");
    }
}
