//! Streaming verification of one log: every line's grammar and MAC, the seq order, the `prev`
//! chain, torn lines, and the seal.
//!
//! One pass with a fixed-size buffer: memory does not grow with the log. The first problem
//! stops the pass (after it nothing in the file can be trusted, and its position is what an
//! investigator needs). Crash traces are warnings, not problems, but only when they are
//! exactly what a crash leaves: a torn line must be a prefix of an entry (optionally NUL
//! padded) whose seq, if visible, is the next one, and the next entry must chain to the one
//! *before* the torn line — so cutting an entry short can never hide that it was changed.
//! Likewise the seal may lag the log by exactly one entry (crash between the two writes).

use std::fmt;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::lines::{ForwardLines, Line};
use super::parse::{LineError, parse_line, torn_prefix};
use super::seal::{self, SealState};
use super::{AuditError, AuditKey, MAX_LINE_LEN, Result};

/// What kind of damage verification found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// A well-formed line whose `sig` is not its MAC: a field was edited or the line forged.
    BadSignature,
    /// An entry's `prev` is not the previous entry's `sig`, or seqs were skipped: entries were
    /// deleted, inserted or reordered, or an entry was cut short.
    BrokenChain,
    /// A seq not greater than the one before it: a line was duplicated or moved.
    SeqNotIncreasing,
    /// A line that is not an entry (and not a torn write).
    Malformed,
    /// The log ends before the seq its seal records: the tail was cut off.
    Truncated,
    /// The seal is missing, damaged, or disagrees with the log.
    SealMismatch,
    /// The log is gone although its seal or the directory index says it existed.
    LogMissing,
    /// The log or its seal was written with another key than the one verifying.
    WrongKey,
    /// A log with entries that the directory index does not record.
    NotIndexed,
    /// A log whose first entry is not the one the directory index recorded at its creation.
    Replaced,
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            ProblemKind::BadSignature => "bad-signature",
            ProblemKind::BrokenChain => "broken-chain",
            ProblemKind::SeqNotIncreasing => "seq-not-increasing",
            ProblemKind::Malformed => "malformed",
            ProblemKind::Truncated => "truncated",
            ProblemKind::SealMismatch => "seal-mismatch",
            ProblemKind::LogMissing => "log-missing",
            ProblemKind::WrongKey => "wrong-key",
            ProblemKind::NotIndexed => "not-indexed",
            ProblemKind::Replaced => "replaced",
        };
        f.write_str(s)
    }
}

/// The first problem found in a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Problem {
    pub kind: ProblemKind,
    /// 1-based line number, when the problem is at a line.
    pub line: Option<u64>,
    /// The seq involved, when known.
    pub seq: Option<u64>,
    /// One sentence for a human.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

/// A line left by a crash in the middle of an append (a warning, not tampering).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TornLine {
    pub line: u64,
    /// Byte offset of the line in the file.
    pub offset: u64,
    pub len: u64,
    /// The seq the cut-off entry would have had, if that much of it was written.
    pub seq: Option<u64>,
}

/// How the seal relates to the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case", tag = "status")]
pub enum SealStatus {
    /// The seal records the log's last entry and length.
    Matches,
    /// The seal is one entry behind (a crash between writing an entry and its seal; 0 when the
    /// seal of a one-entry log was never written). A warning.
    Lagging { seal_seq: u64 },
    /// No seal and no entries: a log that was opened but never written.
    Absent,
    /// The seal contradicts the log; see the report's problem.
    Mismatch,
    /// Verification stopped at a problem in the log before the seal was compared.
    NotChecked,
}

/// The result of verifying one log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct VerifyReport {
    #[schema(value_type = String)]
    pub path: PathBuf,
    /// Entries whose grammar, MAC, seq and chain link were checked and found good.
    pub entries: u64,
    /// Seq of the last good entry (0 if none).
    pub last_seq: u64,
    /// Bytes read.
    pub bytes: u64,
    /// The first problem, if any: the log cannot be trusted from there on.
    pub problem: Option<Problem>,
    /// Crash traces (warnings).
    pub torn_lines: Vec<TornLine>,
    pub seal: SealStatus,
    /// `sig` of the entry with seq 1, lowercase hex (the directory index records it).
    pub first_sig: Option<String>,
}

impl VerifyReport {
    /// No problem found (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.problem.is_none()
    }

    /// There are crash traces worth mentioning.
    pub fn has_warnings(&self) -> bool {
        !self.torn_lines.is_empty() || matches!(self.seal, SealStatus::Lagging { .. })
    }
}

/// Verifies the log at `path` with `key`.
///
/// Returns `Err` only when verification itself cannot run (I/O error, or neither log nor seal
/// exists); damage is described in the report.
pub fn verify(path: impl AsRef<Path>, key: &AuditKey) -> Result<VerifyReport> {
    let path = path.as_ref();
    let seal_path = seal::seal_path(path);
    let name = seal::log_name(path);
    let seal = seal::read(&seal_path, key, &name)
        .map_err(|e| AuditError::io("read audit seal", &seal_path, e))?;
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if seal == SealState::Missing {
                return Err(AuditError::NotFound {
                    path: path.to_owned(),
                });
            }
            let sealed = match &seal {
                SealState::Valid(s) => format!(" recording {} entries", s.seq),
                _ => String::new(),
            };
            let mut report = Checker::new(path, key, &seal).finish_empty();
            report.problem = Some(Problem {
                kind: ProblemKind::LogMissing,
                line: None,
                seq: None,
                message: format!(
                    "the log was deleted: its seal {}{sealed} still exists",
                    seal_path.display()
                ),
            });
            report.seal = SealStatus::NotChecked;
            return Ok(report);
        }
        Err(e) => return Err(AuditError::io("open audit log", path, e)),
    };
    let mut checker = Checker::new(path, key, &seal);
    let mut lines = ForwardLines::new(file, MAX_LINE_LEN);
    while let Some(at) = lines
        .next_line()
        .map_err(|e| AuditError::io("read audit log", path, e))?
    {
        if !checker.line(at.offset, at.line) {
            break;
        }
    }
    Ok(checker.finish())
}

/// Each crash leaves at most one torn line, and the writer terminates it with its next
/// append; several in a row need several crashes during that very append.
const MAX_TORN_IN_A_ROW: usize = 16;

struct Checker<'a> {
    path: &'a Path,
    key: &'a AuditKey,
    seal: &'a SealState,
    line_no: u64,
    entries: u64,
    last_seq: u64,
    last_sig: [u8; 32],
    last_prev: [u8; 32],
    /// End offset (newline included) of the last and the second-to-last good entry.
    valid_end: u64,
    prev_valid_end: u64,
    bytes: u64,
    pending: Vec<TornLine>,
    torn: Vec<TornLine>,
    first_sig: Option<[u8; 32]>,
    problem: Option<Problem>,
}

impl<'a> Checker<'a> {
    fn new(path: &'a Path, key: &'a AuditKey, seal: &'a SealState) -> Self {
        Checker {
            path,
            key,
            seal,
            line_no: 0,
            entries: 0,
            last_seq: 0,
            last_sig: [0; 32],
            last_prev: [0; 32],
            valid_end: 0,
            prev_valid_end: 0,
            bytes: 0,
            pending: Vec::new(),
            torn: Vec::new(),
            first_sig: None,
            problem: None,
        }
    }

    fn fail(
        &mut self,
        kind: ProblemKind,
        line: Option<u64>,
        seq: Option<u64>,
        message: String,
    ) -> bool {
        self.problem = Some(Problem {
            kind,
            line,
            seq,
            message,
        });
        false
    }

    /// Checks one line; false once a problem was found.
    fn line(&mut self, offset: u64, line: Line<'_>) -> bool {
        self.line_no += 1;
        let n = self.line_no;
        let (bytes, terminated) = match line {
            Line::Text { bytes, terminated } => (bytes, terminated),
            Line::TooLong { len, terminated } => {
                self.bytes = offset + len + u64::from(terminated);
                return self.fail(
                    ProblemKind::Malformed,
                    Some(n),
                    None,
                    format!("line {n} is {len} bytes long, more than any entry lasso writes"),
                );
            }
        };
        let end = offset + bytes.len() as u64 + u64::from(terminated);
        self.bytes = end;
        let raw = match parse_line(bytes) {
            Ok(raw) => raw,
            Err(err) => return self.not_an_entry(n, offset, bytes, err),
        };
        let expected = self.last_seq + 1;
        if !raw.sig_valid(bytes, self.key) {
            if self.entries == 0
                && let SealState::WrongKey { key_id } = self.seal
            {
                let message = format!(
                    "line {n} does not verify, and the seal was made with key {key_id} while this \
                     key is {}: the log was written with another key (audit.key was replaced, or \
                     this is another installation's log)",
                    self.key.key_id()
                );
                return self.fail(ProblemKind::WrongKey, Some(n), Some(raw.seq), message);
            }
            let hint = if self.entries == 0 {
                " (if no line of this log verifies, it was written with another key)"
            } else {
                ""
            };
            let message = format!(
                "line {n} (seq {}) does not match its signature: it was edited or forged{hint}",
                raw.seq
            );
            return self.fail(ProblemKind::BadSignature, Some(n), Some(raw.seq), message);
        }
        if let Some(first) = self.pending.first() {
            // Torn lines are only crash traces if the chain continues across them untouched.
            if raw.seq != expected || raw.prev != self.last_sig {
                let (line, seq) = (first.line, first.seq);
                let message = format!(
                    "line {line} is an entry cut short, and the entry after it (line {n}, seq {}) \
                     does not continue the chain from seq {}: an entry was cut or removed there",
                    raw.seq, self.last_seq
                );
                return self.fail(ProblemKind::BrokenChain, Some(line), seq, message);
            }
        }
        if raw.seq <= self.last_seq {
            let message = format!(
                "line {n} has seq {} after seq {}: a line was duplicated, moved or inserted",
                raw.seq, self.last_seq
            );
            return self.fail(
                ProblemKind::SeqNotIncreasing,
                Some(n),
                Some(raw.seq),
                message,
            );
        }
        if raw.seq != expected {
            let message = format!(
                "line {n} has seq {} right after seq {}: {} entries were deleted or moved",
                raw.seq,
                self.last_seq,
                raw.seq - expected
            );
            return self.fail(ProblemKind::BrokenChain, Some(n), Some(raw.seq), message);
        }
        if raw.prev != self.last_sig {
            let message = format!(
                "line {n} (seq {}) does not chain to the entry before it: entries were removed, \
                 inserted or reordered",
                raw.seq
            );
            return self.fail(ProblemKind::BrokenChain, Some(n), Some(raw.seq), message);
        }
        self.torn.append(&mut self.pending);
        self.entries += 1;
        self.last_seq = raw.seq;
        self.last_prev = raw.prev;
        self.last_sig = raw.sig;
        self.prev_valid_end = self.valid_end;
        self.valid_end = end;
        if raw.seq == 1 {
            self.first_sig = Some(raw.sig);
        }
        true
    }

    fn not_an_entry(&mut self, n: u64, offset: u64, bytes: &[u8], err: LineError) -> bool {
        let expected = self.last_seq + 1;
        match torn_prefix(bytes) {
            Some(_) if self.pending.len() >= MAX_TORN_IN_A_ROW => {
                let message = format!(
                    "line {n} is one more of over {MAX_TORN_IN_A_ROW} cut-short lines in a row, \
                     which crashes do not leave"
                );
                self.fail(ProblemKind::Malformed, Some(n), None, message)
            }
            Some(seq) if seq.is_none_or(|s| s == expected) => {
                self.pending.push(TornLine {
                    line: n,
                    offset,
                    len: bytes.len() as u64,
                    seq,
                });
                true
            }
            Some(Some(seq)) => {
                let message = format!(
                    "line {n} is an entry cut short with seq {seq} where seq {expected} was due"
                );
                self.fail(ProblemKind::Malformed, Some(n), Some(seq), message)
            }
            _ => {
                let why = match err {
                    _ if bytes.is_empty() => "it is empty",
                    LineError::Invalid(why) => why,
                    LineError::Incomplete { .. } => "it is cut short",
                };
                let message = format!("line {n} is not an audit entry: {why}");
                self.fail(ProblemKind::Malformed, Some(n), None, message)
            }
        }
    }

    fn finish_empty(self) -> VerifyReport {
        self.report(SealStatus::NotChecked)
    }

    fn finish(mut self) -> VerifyReport {
        if self.problem.is_some() {
            return self.report(SealStatus::NotChecked);
        }
        // Torn lines at the very end are what a crash during the last append leaves.
        self.torn.append(&mut self.pending);
        let status = self.check_seal();
        self.report(status)
    }

    fn check_seal(&mut self) -> SealStatus {
        let seal_path = seal::seal_path(self.path);
        let after = self.line_no + 1;
        let (last, entries) = (self.last_seq, self.entries);
        let mismatch = |me: &mut Self, kind, line, message: String| {
            me.problem = Some(Problem {
                kind,
                line,
                seq: None,
                message,
            });
            SealStatus::Mismatch
        };
        match self.seal {
            SealState::Missing if entries == 0 => SealStatus::Absent,
            SealState::Missing if entries == 1 => SealStatus::Lagging { seal_seq: 0 },
            SealState::Missing => mismatch(
                self,
                ProblemKind::SealMismatch,
                None,
                format!(
                    "the seal {} is missing although the log has {entries} entries: it was deleted",
                    seal_path.display()
                ),
            ),
            SealState::WrongKey { key_id } => {
                let message = format!(
                    "the seal was made with key {key_id}, not with this key ({}), although the \
                     entries verify: the seal was replaced",
                    self.key.key_id()
                );
                mismatch(self, ProblemKind::SealMismatch, None, message)
            }
            SealState::Damaged(why) => {
                let message = format!("the seal {} is damaged: {why}", seal_path.display());
                mismatch(self, ProblemKind::SealMismatch, None, message)
            }
            SealState::Valid(s) if s.seq == last && s.sig == self.last_sig => {
                if s.len == self.valid_end {
                    SealStatus::Matches
                } else {
                    let message = format!(
                        "the seal records a log of {} bytes but the last entry ends at byte {}",
                        s.len, self.valid_end
                    );
                    mismatch(self, ProblemKind::SealMismatch, None, message)
                }
            }
            SealState::Valid(s)
                if s.seq + 1 == last && s.sig == self.last_prev && s.len == self.prev_valid_end =>
            {
                SealStatus::Lagging { seal_seq: s.seq }
            }
            SealState::Valid(s) if s.seq > last => {
                let message = format!(
                    "the log ends at seq {last} but its seal records seq {}: the last {} \
                     entries were cut off",
                    s.seq,
                    s.seq - last
                );
                mismatch(self, ProblemKind::Truncated, Some(after), message)
            }
            SealState::Valid(s) if s.seq == last => mismatch(
                self,
                ProblemKind::SealMismatch,
                None,
                format!(
                    "the last entry (seq {last}) is not the one the seal records: it was replaced"
                ),
            ),
            SealState::Valid(s) => {
                let message = format!(
                    "the seal records seq {} but the log goes on to seq {last}: the seal was \
                     rolled back, or a power loss kept buffered entries but not their seal",
                    s.seq
                );
                mismatch(self, ProblemKind::SealMismatch, None, message)
            }
        }
    }

    fn report(self, seal: SealStatus) -> VerifyReport {
        VerifyReport {
            path: self.path.to_owned(),
            entries: self.entries,
            last_seq: self.last_seq,
            bytes: self.bytes,
            problem: self.problem,
            torn_lines: self.torn,
            seal,
            first_sig: self.first_sig.map(hex::encode),
        }
    }
}
