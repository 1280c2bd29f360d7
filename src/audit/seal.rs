//! The seal: a fixed-size record next to each log (`<log>.seal`) holding the last seq, last
//! sig and file length after the latest append, MACed together with the log's file name.
//!
//! Entries alone cannot reveal that the *end* of a log was cut off, nor that the whole log is
//! gone; the seal can. It is rewritten in place (`pwrite` at offset 0, always the same size)
//! under the log's lock, so it is never half-replaced by a concurrent writer. Binding the log's
//! name into the MAC stops a seal from being copied onto another log. The record is plain
//! text so an operator can read it.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::AuditKey;

/// A decoded seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seal {
    pub seq: u64,
    pub len: u64,
    pub sig: [u8; 32],
}

/// What is found where a seal should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SealState {
    Missing,
    Valid(Seal),
    /// Made with another key (the id in it differs from this key's id).
    WrongKey {
        key_id: String,
    },
    /// Unreadable or its MAC does not verify; says why.
    Damaged(String),
}

const HEADER: &[u8] = b"lasso-audit-seal v1\n";
/// `header, seq=20 digits\n, len=20 digits\n, key=16 hex\n, sig=64 hex\n, mac=64 hex\n`
pub(crate) const SEAL_LEN: usize = HEADER.len() + 25 + 25 + 21 + 69 + 69;
const MAC_AT: usize = SEAL_LEN - 69;

/// `<log>.seal`.
pub(crate) fn seal_path(log: &Path) -> PathBuf {
    let mut name = log.as_os_str().to_owned();
    name.push(".seal");
    PathBuf::from(name)
}

pub(crate) fn encode(key: &AuditKey, log_name: &str, seal: &Seal) -> [u8; SEAL_LEN] {
    // Written by hand into a fixed array: this runs on every append.
    let mut out = [0u8; SEAL_LEN];
    let mut w = Cursor {
        out: &mut out,
        at: 0,
    };
    w.put(HEADER);
    w.put(b"seq=");
    w.decimal20(seal.seq);
    w.put(b"\nlen=");
    w.decimal20(seal.len);
    w.put(b"\nkey=");
    w.hex(&key.id_bytes());
    w.put(b"\nsig=");
    w.hex(&seal.sig);
    w.put(b"\n");
    let mac = key.sign(&[
        b"lasso-audit-seal\0",
        log_name.as_bytes(),
        b"\0",
        &out[..MAC_AT],
    ]);
    let mut w = Cursor {
        out: &mut out,
        at: MAC_AT,
    };
    w.put(b"mac=");
    w.hex(&mac);
    w.put(b"\n");
    out
}

struct Cursor<'a> {
    out: &'a mut [u8; SEAL_LEN],
    at: usize,
}

impl Cursor<'_> {
    fn put(&mut self, bytes: &[u8]) {
        // Fixed widths make overflow impossible; `get_mut` keeps this panic-free regardless.
        if let Some(dst) = self.out.get_mut(self.at..self.at + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
        self.at += bytes.len();
    }

    fn decimal20(&mut self, mut v: u64) {
        let mut digits = [b'0'; 20];
        for d in digits.iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
        self.put(&digits);
    }

    fn hex(&mut self, bytes: &[u8]) {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        for b in bytes {
            self.put(&[DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0xf)]]);
        }
    }
}

pub(crate) fn decode(key: &AuditKey, log_name: &str, bytes: &[u8]) -> SealState {
    if bytes.len() != SEAL_LEN {
        return SealState::Damaged(format!(
            "it is {} bytes long instead of {SEAL_LEN}",
            bytes.len()
        ));
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return SealState::Damaged("it is not text".into());
    };
    let fields = (|| {
        let rest = text.strip_prefix("lasso-audit-seal v1\n")?;
        let mut lines = rest.split_terminator('\n');
        let seq = number(lines.next()?.strip_prefix("seq=")?)?;
        let len = number(lines.next()?.strip_prefix("len=")?)?;
        let key_id = lines.next()?.strip_prefix("key=")?;
        let sig = hex32(lines.next()?.strip_prefix("sig=")?)?;
        let mac = hex32(lines.next()?.strip_prefix("mac=")?)?;
        (key_id.len() == 16 && lines.next().is_none()).then_some((seq, len, key_id, sig, mac))
    })();
    let Some((seq, len, key_id, sig, mac)) = fields else {
        return SealState::Damaged("its fields are not in the expected format".into());
    };
    if key_id != key.key_id() {
        return SealState::WrongKey {
            key_id: key_id.to_owned(),
        };
    }
    if !key.check(
        &[
            b"lasso-audit-seal\0",
            log_name.as_bytes(),
            b"\0",
            &bytes[..MAC_AT],
        ],
        &mac,
    ) {
        return SealState::Damaged(
            "its MAC does not verify: it was edited, or copied from another log".into(),
        );
    }
    SealState::Valid(Seal { seq, len, sig })
}

/// Reads and checks the seal of the log named `log_name` at `path`.
pub(crate) fn read(path: &Path, key: &AuditKey, log_name: &str) -> io::Result<SealState> {
    let file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(SealState::Missing),
        Err(e) => return Err(e),
    };
    let mut bytes = Vec::with_capacity(SEAL_LEN + 1);
    file.take(SEAL_LEN as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.is_empty() {
        // Created but never written: a crash right after the first entry. Same as absent.
        return Ok(SealState::Missing);
    }
    Ok(decode(key, log_name, &bytes))
}

/// The file name used to bind a seal to its log.
pub(crate) fn log_name(log: &Path) -> String {
    log.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn number(s: &str) -> Option<u64> {
    (s.len() == 20 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn hex32(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || s.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn sample() -> Seal {
        Seal {
            seq: 12,
            len: 3456,
            sig: [0xcd; 32],
        }
    }

    #[test]
    fn round_trips_and_is_fixed_size_text() {
        let key = AuditKey::from_bytes([1; 32]);
        let bytes = encode(&key, "a.jsonl", &sample());
        assert!(bytes.iter().all(|b| b.is_ascii()));
        assert_eq!(decode(&key, "a.jsonl", &bytes), SealState::Valid(sample()));
        let big = Seal {
            seq: u64::MAX,
            len: u64::MAX,
            sig: [0xff; 32],
        };
        assert_eq!(
            decode(&key, "a.jsonl", &encode(&key, "a.jsonl", &big)),
            SealState::Valid(big)
        );
    }

    #[test]
    fn any_edit_or_other_name_or_key_is_caught() {
        let key = AuditKey::from_bytes([1; 32]);
        let bytes = encode(&key, "a.jsonl", &sample());
        assert!(matches!(
            decode(&key, "b.jsonl", &bytes),
            SealState::Damaged(_)
        ));
        let other = AuditKey::from_bytes([2; 32]);
        assert_eq!(
            decode(&other, "a.jsonl", &bytes),
            SealState::WrongKey {
                key_id: key.key_id()
            }
        );
        for i in 0..bytes.len() {
            let mut bad = bytes;
            bad[i] = if bad[i] == b'0' { b'1' } else { b'0' };
            assert!(
                !matches!(decode(&key, "a.jsonl", &bad), SealState::Valid(_)),
                "edit at {i} accepted"
            );
        }
        assert!(matches!(
            decode(&key, "a.jsonl", &bytes[1..]),
            SealState::Damaged(_)
        ));
    }

    #[test]
    fn read_reports_missing_and_path_appends_suffix() {
        let dir = tempfile::tempdir().unwrap();
        let key = AuditKey::from_bytes([1; 32]);
        let log = dir.path().join("x.jsonl");
        assert_eq!(seal_path(&log), dir.path().join("x.jsonl.seal"));
        assert_eq!(
            read(&seal_path(&log), &key, "x.jsonl").unwrap(),
            SealState::Missing
        );
        fs::write(seal_path(&log), encode(&key, "x.jsonl", &sample())).unwrap();
        assert_eq!(
            read(&seal_path(&log), &key, "x.jsonl").unwrap(),
            SealState::Valid(sample())
        );
        assert_eq!(log_name(&log), "x.jsonl");
    }
}
