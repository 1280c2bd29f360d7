//! The appender: any number of threads and processes extend one log as a single chain.
//!
//! Every append runs under the process-local mutex *and* an exclusive `flock` on the log
//! (std's `File::lock`), so it sees the true tail even when another process wrote last:
//!
//! 1. check the open file still has a name (a log deleted or renamed over under a running
//!    lasso must not swallow entries silently);
//! 2. take the file length; if it differs from the length this process left behind, check the
//!    path still names our file, re-read the tail from the end of the file and re-check the
//!    seal against it; otherwise use the cached last seq and sig;
//! 3. write the new line with one `write` on an `O_APPEND` descriptor — prefixed with a newline
//!    when a torn line (crash mid-write) has to be terminated first;
//! 4. rewrite the seal in place; fsync both when the entry's kind asks for it; unlock.
//!
//! The writer refuses to extend a log whose tail or seal shows tampering (a removed tail, a
//! forged last entry, a seal from another key): appending would re-seal the damaged log and
//! erase the evidence. A torn last line never blocks appends.
//!
//! Per-append syscalls are kept to flock, statx (link count only), lseek, write, pwrite and
//! unlock; see `link_count` for why no `fstat` is among them.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use chrono::{SubsecRound, Utc};

use super::entry::{self, AuditEntry, EntryDraft, EntryKind, format_ts};
use super::key::sync_dir;
use super::lines::{Line, ReverseLines};
use super::parse::{parse_line, torn_prefix};
use super::seal::{self, Seal, SealState};
use super::{AuditError, AuditKey, MAX_LINE_LEN, Result, index};

/// Whether an append waits for the data to reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Durability {
    /// Written to the page cache; survives a lasso crash, not a power loss.
    Buffered,
    /// `fdatasync` of log and seal before `append` returns.
    Fsync,
}

/// Durability per entry kind. The default fsyncs `lifecycle`, `violation`, `probe` and `mode` entries
/// — the ones an investigation cannot do without — and buffers the high-volume rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurabilityPolicy {
    by_kind: [Durability; EntryKind::ALL.len()],
}

impl Default for DurabilityPolicy {
    fn default() -> Self {
        DurabilityPolicy::all(Durability::Buffered)
            .with(EntryKind::Lifecycle, Durability::Fsync)
            .with(EntryKind::Violation, Durability::Fsync)
            .with(EntryKind::Probe, Durability::Fsync)
            .with(EntryKind::Mode, Durability::Fsync)
    }
}

impl DurabilityPolicy {
    /// The same durability for every kind.
    pub fn all(durability: Durability) -> Self {
        DurabilityPolicy {
            by_kind: [durability; EntryKind::ALL.len()],
        }
    }

    /// Sets the durability of one kind.
    pub fn with(mut self, kind: EntryKind, durability: Durability) -> Self {
        self.by_kind[kind.index()] = durability;
        self
    }

    /// The durability of `kind`.
    pub fn for_kind(&self, kind: EntryKind) -> Durability {
        self.by_kind[kind.index()]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// A sandbox or system log: recorded in the directory index.
    Log,
    /// The directory index itself.
    Index,
}

/// The end of the chain as found in the file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tail {
    pub seq: u64,
    pub sig: [u8; 32],
    pub prev: [u8; 32],
    /// File length, torn bytes included.
    pub len: u64,
    /// The file ends in a torn line that the next append must terminate.
    pub needs_newline: bool,
}

/// An append-only, chained, sealed audit log. `Send + Sync`: share it behind an `Arc`.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    seal_path: PathBuf,
    name: String,
    key: AuditKey,
    policy: DurabilityPolicy,
    role: Role,
    log: File,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Tail as this process left it; valid while the file length still equals `tail.len`.
    tail: Option<Tail>,
    seal: Option<File>,
    buf: Vec<u8>,
    /// The index record of this log's first entry, if writing it failed: appends retry it
    /// first and stop until it is written, so the log never grows unindexed.
    unindexed: Option<EntryDraft>,
}

/// The log while its lock is held.
pub(crate) struct Session<'a> {
    log: &'a AuditLog,
    inner: &'a mut Inner,
    pub(crate) tail: Tail,
}

impl AuditLog {
    /// Opens (creating if needed) the log at `path` with the default [`DurabilityPolicy`].
    pub fn open(path: impl AsRef<Path>, key: &AuditKey) -> Result<AuditLog> {
        Self::open_with(path, key, DurabilityPolicy::default())
    }

    /// Opens (creating if needed) the log at `path`.
    ///
    /// Fails if the log was deleted while its seal remains, if its tail or seal show
    /// tampering, or if it has entries but is missing from the directory index.
    pub fn open_with(
        path: impl AsRef<Path>,
        key: &AuditKey,
        policy: DurabilityPolicy,
    ) -> Result<AuditLog> {
        let log = Self::open_role(path.as_ref(), key, policy, Role::Log)?;
        log.with_lock(|s| {
            if s.tail.seq > 0 {
                index::ensure_listed(s)?;
            }
            Ok(())
        })?;
        Ok(log)
    }

    pub(crate) fn open_role(
        path: &Path,
        key: &AuditKey,
        policy: DurabilityPolicy,
        role: Role,
    ) -> Result<AuditLog> {
        let name = seal::log_name(path);
        if name.is_empty() {
            return Err(AuditError::io(
                "open audit log",
                path,
                io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"),
            ));
        }
        let dir = parent_dir(path);
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| AuditError::io("create audit directory", &dir, e))?;
        let seal_path = seal::seal_path(path);
        // A remaining seal proves the log existed: do not quietly start a new one.
        if fs::symlink_metadata(path).is_err() && fs::symlink_metadata(&seal_path).is_ok() {
            return Err(AuditError::LogMissing {
                path: path.to_owned(),
            });
        }
        let log = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
            .open(path)
            .map_err(|e| AuditError::io("open audit log", path, e))?;
        Ok(AuditLog {
            path: path.to_owned(),
            seal_path,
            name,
            key: key.clone(),
            policy,
            role,
            log,
            inner: Mutex::new(Inner {
                tail: None,
                seal: None,
                buf: Vec::with_capacity(512),
                unindexed: None,
            }),
        })
    }

    /// Appends one entry and returns it as written.
    pub fn append(&self, draft: EntryDraft) -> Result<AuditEntry> {
        entry::check_draft(&draft)?;
        self.with_lock(|s| {
            if let Some(record) = s.inner.unindexed.take() {
                index::record_pending(s, record)?;
            }
            if s.tail.seq == 0 && s.log.role == Role::Log {
                index::record_first(s, draft)
            } else {
                s.append(draft)
            }
        })
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The durability policy in use.
    pub fn durability(&self) -> &DurabilityPolicy {
        &self.policy
    }

    pub(crate) fn key(&self) -> &AuditKey {
        &self.key
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn file(&self) -> &File {
        &self.log
    }

    fn lock_inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| {
            // A panic mid-append may have left the cache stale; the file is the truth.
            let mut inner = poisoned.into_inner();
            inner.tail = None;
            inner
        })
    }

    /// Runs `f` with the log locked against other threads and processes and the tail current.
    pub(crate) fn with_lock<T>(&self, f: impl FnOnce(&mut Session<'_>) -> Result<T>) -> Result<T> {
        let mut inner = self.lock_inner();
        self.log
            .lock()
            .map_err(|e| AuditError::io("lock audit log", &self.path, e))?;
        let _unlock = Unlock(&self.log);
        if link_count(&self.log).ok() == Some(0) {
            inner.tail = None;
            return Err(self.replaced());
        }
        // lseek, not fstat: see `link_count`.
        let len = (&self.log)
            .seek(SeekFrom::End(0))
            .map_err(|e| AuditError::io("inspect audit log", &self.path, e))?;
        let tail = match inner.tail {
            Some(t) if t.len == len => t,
            _ => {
                inner.tail = None;
                if !names_file(&self.path, &self.log) {
                    return Err(self.replaced());
                }
                let t = self.read_tail(len)?;
                self.check_seal(&t)?;
                inner.tail = Some(t);
                t
            }
        };
        let mut session = Session {
            log: self,
            inner: &mut inner,
            tail,
        };
        f(&mut session)
    }

    fn replaced(&self) -> AuditError {
        self.tampered("the log file was removed or replaced while lasso had it open".into())
    }

    fn tampered(&self, reason: String) -> AuditError {
        AuditError::Tampered {
            path: self.path.clone(),
            reason,
        }
    }

    /// Finds the last valid entry, skipping torn lines (at most a few MiB of them).
    fn read_tail(&self, len: u64) -> Result<Tail> {
        const MAX_TORN_BYTES: u64 = 8 * MAX_LINE_LEN as u64;
        let read_err = |e| AuditError::io("read audit log", &self.path, e);
        let mut rev = ReverseLines::new(&self.log, len, 4096, MAX_LINE_LEN).map_err(read_err)?;
        let needs_newline = len > 0 && !rev.ends_with_newline();
        let mut skipped = 0u64;
        while let Some(at) = rev.next_line().map_err(read_err)? {
            let bytes = match at.line {
                Line::Text { bytes, .. } => bytes,
                Line::TooLong { len, .. } => {
                    return Err(self.tampered(format!(
                        "the line at byte {} is {len} bytes long, which lasso never writes",
                        at.offset
                    )));
                }
            };
            match parse_line(bytes) {
                Ok(raw) if raw.sig_valid(bytes, &self.key) => {
                    return Ok(Tail {
                        seq: raw.seq,
                        sig: raw.sig,
                        prev: raw.prev,
                        len,
                        needs_newline,
                    });
                }
                Ok(raw) => {
                    // Say "wrong key" rather than "forged" when the seal shows another key.
                    if let Ok(SealState::WrongKey { key_id }) =
                        seal::read(&self.seal_path, &self.key, &self.name)
                    {
                        return Err(AuditError::WrongKey {
                            path: self.path.clone(),
                            seal_key_id: key_id,
                            key_id: self.key.key_id(),
                        });
                    }
                    return Err(self.tampered(format!(
                        "its last entry (seq {}, at byte {}) does not verify with the audit key \
                         {}: it was forged or edited, or the key was replaced",
                        raw.seq,
                        at.offset,
                        self.key.key_id()
                    )));
                }
                Err(_) if torn_prefix(bytes).is_some() => {
                    skipped += bytes.len() as u64 + 1;
                    if skipped > MAX_TORN_BYTES {
                        return Err(self
                            .tampered(format!("its last {skipped} bytes hold no complete entry")));
                    }
                }
                Err(_) => {
                    return Err(self.tampered(format!(
                        "the line at byte {} is neither an audit entry nor a line cut short \
                         by a crash",
                        at.offset
                    )));
                }
            }
        }
        Ok(Tail {
            seq: 0,
            sig: [0; 32],
            prev: [0; 32],
            len,
            needs_newline,
        })
    }

    /// Refuses a tail that its seal shows to be shortened, replaced or extended by hand.
    fn check_seal(&self, tail: &Tail) -> Result<()> {
        let state = seal::read(&self.seal_path, &self.key, &self.name)
            .map_err(|e| AuditError::io("read audit seal", &self.seal_path, e))?;
        let seal_file = self.seal_path.display();
        match state {
            SealState::Missing if tail.seq <= 1 => Ok(()),
            SealState::Missing => Err(self.tampered(format!(
                "its seal {seal_file} is missing although the log has {} entries",
                tail.seq
            ))),
            SealState::WrongKey { key_id } => Err(AuditError::WrongKey {
                path: self.path.clone(),
                seal_key_id: key_id,
                key_id: self.key.key_id(),
            }),
            SealState::Damaged(why) => {
                Err(self.tampered(format!("its seal {seal_file} is damaged: {why}")))
            }
            SealState::Valid(s) if s.seq == tail.seq && s.sig == tail.sig => Ok(()),
            // Crash between writing the entry and its seal: the next append reseals.
            SealState::Valid(s) if s.seq + 1 == tail.seq && s.sig == tail.prev => Ok(()),
            SealState::Valid(s) if s.seq > tail.seq => Err(self.tampered(format!(
                "the log ends at seq {} but its seal records seq {}: entries were removed \
                 from the end",
                tail.seq, s.seq
            ))),
            SealState::Valid(s) if s.seq == tail.seq => Err(self.tampered(format!(
                "its last entry (seq {}) is not the one its seal records: it was replaced",
                tail.seq
            ))),
            SealState::Valid(s) => Err(self.tampered(format!(
                "its seal records seq {} but the log goes on to seq {}: the seal was rolled back, \
                 or a power loss kept buffered entries but not their seal",
                s.seq, tail.seq
            ))),
        }
    }
}

impl<'a> Session<'a> {
    pub(crate) fn log(&self) -> &'a AuditLog {
        self.log
    }

    /// Remembers an index record that could not be written (see `Inner::unindexed`).
    pub(crate) fn set_unindexed(&mut self, record: EntryDraft) {
        self.inner.unindexed = Some(record);
    }

    /// Writes one entry at the end of the chain (lock held) and reseals.
    pub(crate) fn append(&mut self, draft: EntryDraft) -> Result<AuditEntry> {
        let log = self.log;
        let seq = self
            .tail
            .seq
            .checked_add(1)
            .ok_or_else(|| log.tampered("its seq cannot grow any further".into()))?;
        let now = Utc::now().trunc_subsecs(6);
        let ts = format_ts(&now);
        let buf = &mut self.inner.buf;
        buf.clear();
        if self.tail.needs_newline {
            buf.push(b'\n');
        }
        let sig = entry::encode_line(buf, &log.key, seq, &ts, &draft, &self.tail.sig)?;
        if let Err(e) = (&log.log).write_all(buf) {
            // Part of the line may have reached the file; re-read the tail next time.
            self.inner.tail = None;
            return Err(AuditError::io("append to audit log", &log.path, e));
        }
        let fsync = log.policy.for_kind(draft.kind) == Durability::Fsync;
        let new_tail = Tail {
            seq,
            sig,
            prev: self.tail.sig,
            len: self.tail.len + buf.len() as u64,
            needs_newline: false,
        };
        self.tail = new_tail;
        self.inner.tail = Some(new_tail);
        if fsync {
            log.log
                .sync_data()
                .map_err(|e| AuditError::io("fsync audit log", &log.path, e))?;
        }
        self.write_seal(fsync)?;
        Ok(AuditEntry {
            seq,
            ts: now,
            sandbox_id: draft.sandbox_id,
            kind: draft.kind,
            actor: draft.actor,
            action: draft.action,
            target: draft.target,
            outcome: draft.outcome,
            detail: draft.detail,
            prev: entry::hex32(&new_tail.prev),
            sig: entry::hex32(&sig),
        })
    }

    fn write_seal(&mut self, fsync: bool) -> Result<()> {
        let log = self.log;
        let seal_err = |e| AuditError::io("write audit seal", &log.seal_path, e);
        if self.inner.seal.is_none() {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
                .open(&log.seal_path)
                .map_err(seal_err)?;
            self.inner.seal = Some(file);
            sync_dir(&parent_dir(&log.path));
        }
        let record = seal::encode(
            &log.key,
            &log.name,
            &Seal {
                seq: self.tail.seq,
                len: self.tail.len,
                sig: self.tail.sig,
            },
        );
        if let Some(file) = &self.inner.seal {
            file.write_all_at(&record, 0).map_err(seal_err)?;
            if fsync {
                file.sync_data().map_err(seal_err)?;
            }
        }
        Ok(())
    }
}

struct Unlock<'a>(&'a File);

impl Drop for Unlock<'_> {
    fn drop(&mut self) {
        // Closing the descriptor would release the lock too; an error here leaves nothing to do.
        let _ = self.0.unlock();
    }
}

/// Number of names the open file still has (0 once the log was deleted or renamed over).
///
/// Asks `statx` for the link count only. A full `fstat` would mark the file's ctime as
/// queried, and with multigrain timestamps (Linux 6.13+) every following write then takes a
/// fine-grained time and dirties the inode — and, through the shared timestamp floor, the
/// seal's too: appends measured 4x slower. For the same reason `with_lock` takes the length
/// with `lseek` rather than `fstat`, and the path's identity (a path lookup, ~1 µs) is only
/// compared when the tail is re-read.
#[cfg(target_os = "linux")]
fn link_count(file: &File) -> io::Result<u64> {
    use std::os::fd::AsRawFd;
    let mut buf = std::mem::MaybeUninit::<libc::statx>::zeroed();
    // SAFETY: the descriptor is borrowed from a live `File`; the path is an empty,
    // NUL-terminated literal (AT_EMPTY_PATH: the descriptor itself is examined); `buf` is
    // writable memory of `struct statx`'s size, filled by the kernel on success. No pointer
    // is retained after the call.
    let rc = unsafe {
        libc::statx(
            file.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH,
            libc::STATX_NLINK,
            buf.as_mut_ptr(),
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: zero bytes are a valid `statx` (plain integers), and the kernel filled it.
    let st = unsafe { buf.assume_init() };
    Ok(u64::from(st.stx_nlink))
}

#[cfg(not(target_os = "linux"))]
fn link_count(file: &File) -> io::Result<u64> {
    use std::os::unix::fs::MetadataExt;
    file.metadata().map(|m| m.nlink())
}

/// Whether `path` still names the open file `file`.
fn names_file(path: &Path, file: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::symlink_metadata(path), file.metadata()) {
        (Ok(p), Ok(f)) => p.dev() == f.dev() && p.ino() == f.ino(),
        _ => false,
    }
}

pub(crate) fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}
