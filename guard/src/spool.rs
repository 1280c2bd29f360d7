//! The audit spool: JSON lines the host ingests into the sandbox's HMAC-chained audit log.
//!
//! Several supervisors (one per `lasso-guard exec`) append concurrently, so every append
//! takes `flock` on `<spool>/.lock`, looks at the directory (total size, newest segment) and
//! writes the record with a single `write(2)` to `exec-NNNNNN.jsonl`, starting a new segment
//! once the newest exceeds 8 MiB. The host must take the same lock while it reads and removes
//! segments. The spool is bounded: when a record would take the directory past
//! `spool_max_bytes`, one final `spool-full` record is written and every later append fails,
//! which the supervisor turns into a denial (fail closed: nothing runs unaudited).

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::sys;

pub const SPOOL_DIR: &str = "/.lasso/spool";
pub const SEGMENT_MAX: u64 = 8 * 1024 * 1024;

/// One exec decision.
#[derive(Debug, Serialize)]
pub struct ExecRecord<'a> {
    pub kind: &'static str,
    pub ts: String,
    pub supervisor: i32,
    pub pid: i32,
    pub ppid: i32,
    pub path: &'a str,
    pub requested: &'a str,
    pub argv: &'a [String],
    pub cwd: &'a str,
    pub enforcement: &'static str,
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program: Option<&'a str>,
    pub landlock: bool,
}

/// An event of the guard itself.
#[derive(Debug, Serialize)]
pub struct GuardRecord<'a> {
    pub kind: &'static str,
    pub ts: String,
    pub supervisor: i32,
    pub event: &'static str,
    pub detail: &'a str,
}

/// One serialised record line (with its trailing newline).
pub fn line<T: Serialize>(rec: &T) -> Result<Vec<u8>, SpoolError> {
    let mut v = serde_json::to_vec(rec)
        .map_err(|e| SpoolError::Io(format!("cannot serialise a record: {e}")))?;
    v.push(b'\n');
    Ok(v)
}

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("the audit spool is full; lasso ingests it on the next command")]
    Full,
    #[error("cannot write the audit spool: {0}")]
    Io(String),
}

/// An open spool for one supervisor.
pub struct Spool {
    dir: PathBuf,
    lock: Option<File>,
    /// Cached open segment: (number, file, inode).
    seg: Option<(u32, File, u64)>,
    max: u64,
    full: bool,
    supervisor: i32,
}

impl Spool {
    /// Opens the spool in `dir` (creating `.lock`).
    pub fn open(dir: &Path, max: u64, supervisor: i32) -> io::Result<Spool> {
        let lock = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o640)
            .custom_flags(libc::O_CLOEXEC)
            .open(dir.join(".lock"))?;
        Ok(Spool {
            dir: dir.to_owned(),
            lock: Some(lock),
            seg: None,
            max,
            full: false,
            supervisor,
        })
    }

    /// A spool that records nothing (probes: their results go to stdout, not to the log).
    pub fn disabled() -> Spool {
        Spool {
            dir: PathBuf::new(),
            lock: None,
            seg: None,
            max: u64::MAX,
            full: false,
            supervisor: 0,
        }
    }

    pub fn set_max(&mut self, max: u64) {
        self.max = max;
    }

    pub fn is_full(&self) -> bool {
        self.full
    }

    /// Appends one record line; `sync` fdatasyncs it before returning.
    pub fn append(&mut self, rec: &[u8], sync: bool) -> Result<(), SpoolError> {
        let Some(lock) = &self.lock else {
            return Ok(());
        };
        if self.full {
            return Err(SpoolError::Full);
        }
        let lockfd = lock.as_raw_fd();
        flock(lockfd, libc::LOCK_EX).map_err(|e| {
            SpoolError::Io(format!(
                "flock {}/.lock: {}",
                self.dir.display(),
                sys::describe(&e)
            ))
        })?;
        let r = self.append_locked(rec, sync);
        // Unlocking cannot meaningfully fail; closing the descriptor would unlock anyway.
        let _ = flock(lockfd, libc::LOCK_UN);
        r
    }

    fn append_locked(&mut self, rec: &[u8], sync: bool) -> Result<(), SpoolError> {
        let io_err =
            |what: &str, e: io::Error| SpoolError::Io(format!("{what}: {}", sys::describe(&e)));
        let scan = scan(&self.dir)
            .map_err(|e| io_err(&format!("cannot list {}", self.dir.display()), e))?;
        if scan.total + rec.len() as u64 > self.max {
            self.full = true;
            let detail = format!(
                "the audit spool {} reached spool_max_bytes ({} bytes); every exec is denied until lasso ingests it",
                self.dir.display(),
                self.max
            );
            let full = line(&GuardRecord {
                kind: "guard",
                ts: crate::timefmt::now(),
                supervisor: self.supervisor,
                event: "spool-full",
                detail: &detail,
            })?;
            let (f, _) = self
                .segment(&scan)
                .map_err(|e| io_err("cannot open a spool segment", e))?;
            // Best effort: the spool is full whether or not this last line lands.
            let _ = sys::write_all(f.as_raw_fd(), &full).and_then(|_| f.sync_data());
            return Err(SpoolError::Full);
        }
        let (f, name) = self
            .segment(&scan)
            .map_err(|e| io_err("cannot open a spool segment", e))?;
        // One write(2) per record: O_APPEND makes it atomic with respect to other writers.
        // SAFETY: `rec` is a valid slice for its whole length during the call.
        let n = unsafe { libc::write(f.as_raw_fd(), rec.as_ptr().cast(), rec.len()) };
        if n < 0 {
            return Err(io_err(
                &format!("cannot append to {name}"),
                io::Error::last_os_error(),
            ));
        }
        if n as usize != rec.len() {
            return Err(SpoolError::Io(format!(
                "short write to {name} ({n} of {} bytes)",
                rec.len()
            )));
        }
        if sync {
            f.sync_data()
                .map_err(|e| io_err(&format!("cannot fdatasync {name}"), e))?;
        }
        Ok(())
    }

    /// The segment to append to, reusing the cached descriptor while it is still the newest,
    /// still linked and not over the segment size.
    fn segment(&mut self, scan: &Scan) -> io::Result<(&File, String)> {
        let (num, reuse) = match scan.newest {
            Some((n, size, ino)) if size <= SEGMENT_MAX => (
                n,
                matches!(&self.seg, Some((c, _, cino)) if *c == n && *cino == ino),
            ),
            Some((n, _, _)) => (n + 1, false),
            None => (1, false),
        };
        let name = segment_name(num);
        if !reuse {
            let f = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .mode(0o640)
                .custom_flags(libc::O_CLOEXEC)
                .open(self.dir.join(&name))?;
            let ino = f.metadata()?.ino();
            self.seg = Some((num, f, ino));
        }
        match &self.seg {
            Some((_, f, _)) => Ok((f, name)),
            None => Err(io::Error::from_raw_os_error(libc::EIO)),
        }
    }
}

pub fn segment_name(n: u32) -> String {
    format!("exec-{n:06}.jsonl")
}

fn parse_segment(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("exec-")?.strip_suffix(".jsonl")?;
    if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()
    } else {
        None
    }
}

struct Scan {
    total: u64,
    /// (number, size, inode) of the highest-numbered segment.
    newest: Option<(u32, u64, u64)>,
}

fn scan(dir: &Path) -> io::Result<Scan> {
    let mut s = Scan {
        total: 0,
        newest: None,
    };
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let Ok(m) = e.metadata() else { continue };
        if !m.is_file() {
            continue;
        }
        s.total += m.len();
        if let Some(n) = e.file_name().to_str().and_then(parse_segment)
            && s.newest.is_none_or(|(cur, _, _)| n > cur)
        {
            s.newest = Some((n, m.len(), m.ino()));
        }
    }
    Ok(s)
}

fn flock(fd: i32, op: libc::c_int) -> io::Result<()> {
    loop {
        // SAFETY: flock on a descriptor this process owns.
        let r = unsafe { libc::flock(fd, op) };
        if r == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("guard-spool-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn record_format() {
        let argv = vec!["rm".to_owned(), "-rf".to_owned(), "x".to_owned()];
        let rec = ExecRecord {
            kind: "exec",
            ts: "2026-11-27T14:00:00.123456Z".into(),
            supervisor: 4711,
            pid: 123,
            ppid: 100,
            path: "/usr/bin/rm",
            requested: "rm",
            argv: &argv,
            cwd: "/workspace",
            enforcement: "enforce",
            outcome: "denied",
            rule: Some("not-whitelisted"),
            reason: Some("no"),
            program: Some("rm"),
            landlock: true,
        };
        let l = String::from_utf8(line(&rec).unwrap()).unwrap();
        assert_eq!(
            l,
            "{\"kind\":\"exec\",\"ts\":\"2026-11-27T14:00:00.123456Z\",\"supervisor\":4711,\"pid\":123,\"ppid\":100,\
             \"path\":\"/usr/bin/rm\",\"requested\":\"rm\",\"argv\":[\"rm\",\"-rf\",\"x\"],\"cwd\":\"/workspace\",\
             \"enforcement\":\"enforce\",\"outcome\":\"denied\",\"rule\":\"not-whitelisted\",\"reason\":\"no\",\
             \"program\":\"rm\",\"landlock\":true}\n"
        );
        let rec = ExecRecord {
            rule: None,
            reason: None,
            program: None,
            outcome: "recorded",
            ..rec
        };
        let l = String::from_utf8(line(&rec).unwrap()).unwrap();
        assert!(!l.contains("rule") && !l.contains("reason") && !l.contains("program"));
    }

    #[test]
    fn segments_rotate_and_parse() {
        assert_eq!(segment_name(7), "exec-000007.jsonl");
        assert_eq!(parse_segment("exec-000123.jsonl"), Some(123));
        assert_eq!(parse_segment("exec-123.jsonl"), None);
        assert_eq!(parse_segment("exec-00012x.jsonl"), None);
        let d = tmp("rot");
        // Pretend segment 3 is already over the limit: the next record starts segment 4.
        let f = File::create(d.join("exec-000003.jsonl")).unwrap();
        f.set_len(SEGMENT_MAX + 1).unwrap();
        let mut s = Spool::open(&d, u64::MAX, 1).unwrap();
        s.append(b"{\"a\":1}\n", false).unwrap();
        s.append(b"{\"a\":2}\n", true).unwrap();
        assert_eq!(
            std::fs::read_to_string(d.join("exec-000004.jsonl")).unwrap(),
            "{\"a\":1}\n{\"a\":2}\n"
        );
        // The host ingests (removes) segment 4 while the supervisor has it open: the next
        // record must land in a linked file, not in the removed one.
        std::fs::remove_file(d.join("exec-000004.jsonl")).unwrap();
        std::fs::remove_file(d.join("exec-000003.jsonl")).unwrap();
        s.append(b"{\"a\":3}\n", false).unwrap();
        assert_eq!(
            std::fs::read_to_string(d.join("exec-000001.jsonl")).unwrap(),
            "{\"a\":3}\n"
        );
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn full_spool_writes_one_marker_and_refuses() {
        let d = tmp("full");
        let mut s = Spool::open(&d, 100, 42).unwrap();
        s.append(&[b'x'; 60], false).unwrap();
        assert!(matches!(
            s.append(&[b'y'; 60], false),
            Err(SpoolError::Full)
        ));
        assert!(s.is_full());
        assert!(matches!(s.append(b"z", false), Err(SpoolError::Full)));
        let text = std::fs::read_to_string(d.join("exec-000001.jsonl")).unwrap();
        assert_eq!(
            text.matches("\"event\":\"spool-full\"").count(),
            1,
            "{text}"
        );
        assert!(text.contains("\"supervisor\":42") && !text.contains("yyy"));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn concurrent_writers_never_interleave() {
        let d = tmp("conc");
        let mut kids = Vec::new();
        for k in 0..4u8 {
            let pid = crate::sys::fork().unwrap();
            if pid == 0 {
                let mut s = Spool::open(&d, u64::MAX, i32::from(k)).unwrap();
                let rec: Vec<u8> = std::iter::repeat_n(b'a' + k, 3000).chain([b'\n']).collect();
                for _ in 0..200 {
                    s.append(&rec, false).unwrap();
                }
                crate::sys::exit_now(0);
            }
            kids.push(pid);
        }
        for pid in kids {
            let (_, st) = crate::sys::waitpid(pid, 0).unwrap().unwrap();
            assert_eq!(crate::sys::exit_status(st), 0);
        }
        let text = std::fs::read_to_string(d.join("exec-000001.jsonl")).unwrap();
        assert_eq!(text.lines().count(), 800);
        assert!(
            text.lines()
                .all(|l| l.len() == 3000 && l.bytes().all(|b| b == l.as_bytes()[0]))
        );
        std::fs::remove_dir_all(&d).unwrap();
    }
}
