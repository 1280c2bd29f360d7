//! The strict grammar of one audit line, checked over raw bytes without allocating.
//!
//! [`parse_line`] accepts exactly what the encoder writes (fixed member order, no whitespace,
//! JSON strings and a compact JSON `detail` object) and returns borrowed spans plus the signed
//! length, so the verifier can MAC the raw bytes. When the input ends where a well-formed line
//! would continue it answers [`LineError::Incomplete`] rather than `Invalid`: that is how a
//! torn write (a crash mid-append) is told apart from garbage. The same code path serves both
//! questions, so "is a prefix of an entry" can never drift from "is an entry".

use super::MAX_DETAIL_DEPTH;
use super::entry::{EntryKind, Outcome, TS_LEN};

/// Borrowed view of a well-formed line.
#[derive(Debug, Clone)]
pub(crate) struct RawEntry<'a> {
    pub seq: u64,
    /// The timestamp's 27 bytes, without quotes.
    pub ts: &'a [u8],
    pub kind: EntryKind,
    /// JSON string tokens, quotes and escapes included.
    pub actor: &'a [u8],
    pub action: &'a [u8],
    pub target: &'a [u8],
    pub outcome: Outcome,
    /// The compact JSON object.
    pub detail: &'a [u8],
    pub prev: [u8; 32],
    pub sig: [u8; 32],
    /// `line[..signed_len]` followed by `}` is what `sig` signs.
    pub signed_len: usize,
}

impl RawEntry<'_> {
    /// Whether `sig` is the MAC of this line under `key`.
    pub(crate) fn sig_valid(&self, line: &[u8], key: &super::AuditKey) -> bool {
        key.check(&[&line[..self.signed_len], b"}"], &self.sig)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineError {
    /// The bytes are a proper prefix of a well-formed line; `seq` once it was complete.
    Incomplete { seq: Option<u64> },
    /// Not a line and not the beginning of one; says what is wrong.
    Invalid(&'static str),
}

type Res<T> = Result<T, LineError>;

/// Parses one line (without its newline).
pub(crate) fn parse_line(line: &[u8]) -> Res<RawEntry<'_>> {
    // A torn write may cut a multi-byte character; that is still a prefix.
    let cut_utf8 = match std::str::from_utf8(line) {
        Ok(_) => false,
        Err(e) if e.error_len().is_none() => true,
        Err(_) => return Err(LineError::Invalid("the line is not valid UTF-8")),
    };
    let mut c = Cursor {
        b: line,
        i: 0,
        seq: None,
    };
    let parsed = c.entry();
    match parsed {
        Ok(_) if cut_utf8 => Err(LineError::Invalid("the line is not valid UTF-8")),
        Err(LineError::Incomplete { .. }) => Err(LineError::Incomplete { seq: c.seq }),
        other => other,
    }
}

/// Whether a line that is not an entry is what a crash mid-append leaves: a prefix of an entry,
/// possibly followed by NUL bytes (file systems may zero-fill the unwritten part of a block
/// after a power loss). Returns the prefix's seq if it got that far.
pub(crate) fn torn_prefix(line: &[u8]) -> Option<Option<u64>> {
    if line.is_empty() {
        return None;
    }
    let end = line.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
    if end == 0 {
        return Some(None);
    }
    match parse_line(&line[..end]) {
        Err(LineError::Incomplete { seq }) => Some(seq),
        _ => None,
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
    seq: Option<u64>,
}

const INCOMPLETE: LineError = LineError::Incomplete { seq: None };

impl<'a> Cursor<'a> {
    fn entry(&mut self) -> Res<RawEntry<'a>> {
        self.lit(b"{\"seq\":", "the line does not start with {\"seq\":")?;
        let seq = self.seq_number()?;
        self.seq = Some(seq);
        self.lit(b",\"ts\":\"", "expected \"ts\" after \"seq\"")?;
        let ts = self.timestamp()?;
        self.lit(
            b"\",\"sandbox_id\":",
            "expected \"sandbox_id\" after \"ts\"",
        )?;
        match self.b.get(self.i) {
            None => return Err(INCOMPLETE),
            Some(b'n') => self.lit(b"null", "\"sandbox_id\" must be a string or null")?,
            Some(_) => {
                self.string()?;
            }
        }
        self.lit(b",\"type\":\"", "expected \"type\" after \"sandbox_id\"")?;
        let kind = self.word(EntryKind::from_wire, &KIND_NAMES, "unknown \"type\"")?;
        self.lit(b"\",\"actor\":", "expected \"actor\" after \"type\"")?;
        let actor = self.string()?;
        self.lit(b",\"action\":", "expected \"action\" after \"actor\"")?;
        let action = self.string()?;
        self.lit(b",\"target\":", "expected \"target\" after \"action\"")?;
        let target = self.string()?;
        self.lit(b",\"outcome\":\"", "expected \"outcome\" after \"target\"")?;
        let outcome = self.word(Outcome::from_wire, &OUTCOME_NAMES, "unknown \"outcome\"")?;
        self.lit(b"\",\"detail\":", "expected \"detail\" after \"outcome\"")?;
        let detail_start = self.i;
        match self.b.get(self.i) {
            None => return Err(INCOMPLETE),
            Some(b'{') => self.object(1)?,
            Some(_) => return Err(LineError::Invalid("\"detail\" must be a JSON object")),
        }
        let detail = &self.b[detail_start..self.i];
        self.lit(b",\"prev\":\"", "expected \"prev\" after \"detail\"")?;
        let prev = self.hex32("\"prev\" must be 64 lowercase hex digits")?;
        let signed_len = self.i + 1;
        self.lit(b"\",\"sig\":\"", "expected \"sig\" as the last member")?;
        let sig = self.hex32("\"sig\" must be 64 lowercase hex digits")?;
        self.lit(b"\"}", "expected the line to end after \"sig\"")?;
        if self.i != self.b.len() {
            return Err(LineError::Invalid("unexpected bytes after the entry"));
        }
        Ok(RawEntry {
            seq,
            ts,
            kind,
            actor,
            action,
            target,
            outcome,
            detail,
            prev,
            sig,
            signed_len,
        })
    }

    fn lit(&mut self, expected: &[u8], msg: &'static str) -> Res<()> {
        let rest = &self.b[self.i..];
        if rest.starts_with(expected) {
            self.i += expected.len();
            Ok(())
        } else if expected.starts_with(rest) {
            Err(INCOMPLETE)
        } else {
            Err(LineError::Invalid(msg))
        }
    }

    fn seq_number(&mut self) -> Res<u64> {
        let start = self.i;
        let mut value: u64 = 0;
        while let Some(&d) = self.b.get(self.i) {
            if !d.is_ascii_digit() {
                break;
            }
            if self.i == start && d == b'0' {
                return Err(LineError::Invalid(
                    "\"seq\" must be a positive integer without leading zeros",
                ));
            }
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d - b'0')))
                .ok_or(LineError::Invalid("\"seq\" is too large"))?;
            self.i += 1;
        }
        if self.i == self.b.len() {
            return Err(INCOMPLETE);
        }
        if self.i == start {
            return Err(LineError::Invalid("\"seq\" must be a positive integer"));
        }
        Ok(value)
    }

    fn timestamp(&mut self) -> Res<&'a [u8]> {
        const SHAPE: &[u8; TS_LEN] = b"dddd-dd-ddTdd:dd:dd.ddddddZ";
        const MSG: &str = "\"ts\" must be an RFC 3339 UTC time with microseconds";
        let rest = &self.b[self.i..];
        for (pos, &want) in SHAPE.iter().enumerate() {
            let Some(&got) = rest.get(pos) else {
                return Err(INCOMPLETE);
            };
            let ok = if want == b'd' {
                got.is_ascii_digit()
            } else {
                got == want
            };
            if !ok {
                return Err(LineError::Invalid(MSG));
            }
        }
        let ts = &rest[..TS_LEN];
        let num = |r: std::ops::Range<usize>| {
            ts[r]
                .iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
        };
        let in_range = (1..=12).contains(&num(5..7))
            && (1..=31).contains(&num(8..10))
            && num(11..13) <= 23
            && num(14..16) <= 59
            && num(17..19) <= 60;
        if !in_range {
            return Err(LineError::Invalid(MSG));
        }
        self.i += TS_LEN;
        Ok(ts)
    }

    /// One of a fixed set of lowercase words, terminated by `"` (left for the next literal).
    fn word<T>(
        &mut self,
        lookup: fn(&[u8]) -> Option<T>,
        names: &[&str],
        msg: &'static str,
    ) -> Res<T> {
        let rest = &self.b[self.i..];
        match rest.iter().position(|&b| b == b'"') {
            Some(end) => {
                let value = lookup(&rest[..end]).ok_or(LineError::Invalid(msg))?;
                self.i += end;
                Ok(value)
            }
            None if names.iter().any(|n| n.as_bytes().starts_with(rest)) => Err(INCOMPLETE),
            None => Err(LineError::Invalid(msg)),
        }
    }

    /// A JSON string token; returns it with its quotes.
    fn string(&mut self) -> Res<&'a [u8]> {
        let start = self.i;
        match self.b.get(self.i) {
            None => return Err(INCOMPLETE),
            Some(b'"') => {}
            Some(_) => return Err(LineError::Invalid("expected a JSON string")),
        }
        let mut i = self.i + 1;
        loop {
            // Skip the plain run quickly; stop at a quote, a backslash or a control byte.
            while let Some(&ch) = self.b.get(i) {
                if ch == b'"' || ch == b'\\' || ch < 0x20 {
                    break;
                }
                i += 1;
            }
            match self.b.get(i) {
                None => return Err(INCOMPLETE),
                Some(b'"') => {
                    self.i = i + 1;
                    return Ok(&self.b[start..self.i]);
                }
                Some(b'\\') => i = self.escape(i + 1)?,
                Some(_) => {
                    return Err(LineError::Invalid(
                        "a string contains a raw control character",
                    ));
                }
            }
        }
    }

    /// Checks the escape whose letter is at `i`; returns the index after it.
    fn escape(&self, i: usize) -> Res<usize> {
        match self.b.get(i) {
            None => Err(INCOMPLETE),
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(i + 1),
            Some(b'u') => {
                for k in 1..=4 {
                    match self.b.get(i + k) {
                        None => return Err(INCOMPLETE),
                        Some(h) if h.is_ascii_hexdigit() => {}
                        Some(_) => return Err(LineError::Invalid("bad \\u escape in a string")),
                    }
                }
                Ok(i + 5)
            }
            Some(_) => Err(LineError::Invalid("bad escape in a string")),
        }
    }

    fn object(&mut self, depth: usize) -> Res<()> {
        if depth > MAX_DETAIL_DEPTH {
            return Err(LineError::Invalid("\"detail\" is nested too deeply"));
        }
        self.i += 1; // '{'
        match self.b.get(self.i) {
            None => return Err(INCOMPLETE),
            Some(b'}') => {
                self.i += 1;
                return Ok(());
            }
            Some(_) => {}
        }
        loop {
            self.string()?;
            self.lit(b":", "expected ':' after a key in \"detail\"")?;
            self.value(depth)?;
            match self.b.get(self.i) {
                None => return Err(INCOMPLETE),
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                Some(_) => return Err(LineError::Invalid("expected ',' or '}' in \"detail\"")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Res<()> {
        if depth > MAX_DETAIL_DEPTH {
            return Err(LineError::Invalid("\"detail\" is nested too deeply"));
        }
        self.i += 1; // '['
        match self.b.get(self.i) {
            None => return Err(INCOMPLETE),
            Some(b']') => {
                self.i += 1;
                return Ok(());
            }
            Some(_) => {}
        }
        loop {
            self.value(depth)?;
            match self.b.get(self.i) {
                None => return Err(INCOMPLETE),
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(());
                }
                Some(_) => return Err(LineError::Invalid("expected ',' or ']' in \"detail\"")),
            }
        }
    }

    /// A value inside a container at `depth`.
    fn value(&mut self, depth: usize) -> Res<()> {
        const MSG: &str = "\"detail\" is not valid compact JSON";
        match self.b.get(self.i) {
            None => Err(INCOMPLETE),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(|_| ()),
            Some(b't') => self.lit(b"true", MSG),
            Some(b'f') => self.lit(b"false", MSG),
            Some(b'n') => self.lit(b"null", MSG),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(LineError::Invalid(MSG)),
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Res<()> {
        const MSG: &str = "a number in \"detail\" is not valid JSON";
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match self.b.get(self.i) {
            None => return Err(INCOMPLETE),
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => self.digits(),
            Some(_) => return Err(LineError::Invalid(MSG)),
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            self.require_digits(MSG)?;
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            self.require_digits(MSG)?;
        }
        // A number can only be followed by ',', '}' or ']'; at the end of input the line is
        // cut short either way.
        if self.i == self.b.len() {
            return Err(INCOMPLETE);
        }
        Ok(())
    }

    fn digits(&mut self) {
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
    }

    fn require_digits(&mut self, msg: &'static str) -> Res<()> {
        match self.b.get(self.i) {
            None => Err(INCOMPLETE),
            Some(d) if d.is_ascii_digit() => {
                self.digits();
                Ok(())
            }
            Some(_) => Err(LineError::Invalid(msg)),
        }
    }

    fn hex32(&mut self, msg: &'static str) -> Res<[u8; 32]> {
        // Fast path (every line has two of these): table lookups, one error check at the end.
        if let Some(digits) = self.b.get(self.i..self.i + 64) {
            let mut out = [0u8; 32];
            let mut bad = 0u8;
            for (slot, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
                let (hi, lo) = (
                    HEX_VALUE[usize::from(pair[0])],
                    HEX_VALUE[usize::from(pair[1])],
                );
                bad |= hi | lo;
                *slot = (hi << 4) | (lo & 0x0f);
            }
            if bad & 0xf0 == 0 {
                self.i += 64;
                return Ok(out);
            }
        }
        let rest = &self.b[self.i..];
        let mut out = [0u8; 32];
        for (k, slot) in out.iter_mut().enumerate() {
            let hi = hex_val(rest.get(2 * k), msg)?;
            let lo = hex_val(rest.get(2 * k + 1), msg)?;
            *slot = (hi << 4) | lo;
        }
        self.i += 64;
        Ok(out)
    }
}

/// Value of a lowercase hex digit, 0xff for any other byte.
const HEX_VALUE: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

fn hex_val(b: Option<&u8>, msg: &'static str) -> Res<u8> {
    match b {
        None => Err(INCOMPLETE),
        Some(&c @ b'0'..=b'9') => Ok(c - b'0'),
        Some(&c @ b'a'..=b'f') => Ok(c - b'a' + 10),
        Some(_) => Err(LineError::Invalid(msg)),
    }
}

const KIND_NAMES: [&str; 8] = [
    "command",
    "violation",
    "lifecycle",
    "network",
    "file",
    "auth",
    "api",
    "mode",
];
const OUTCOME_NAMES: [&str; 3] = ["success", "error", "blocked"];

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::audit::AuditKey;
    use crate::audit::entry::{EntryDraft, encode_line};

    fn line(draft: &EntryDraft) -> Vec<u8> {
        let mut buf = Vec::new();
        let key = AuditKey::from_bytes([3; 32]);
        encode_line(
            &mut buf,
            &key,
            42,
            b"2026-11-27T13:00:00.123456Z",
            draft,
            &[9; 32],
        )
        .unwrap();
        buf.pop();
        buf
    }

    fn rich() -> EntryDraft {
        EntryDraft::new(
            EntryKind::Violation,
            "agent",
            "exec",
            "rm -rf / \"x\"\t\u{1}é",
            Outcome::Blocked,
        )
        .sandbox("sb-1")
        .detail("rule", "blacklisted")
        .detail(
            "n",
            serde_json::json!([-1.5e-7, 0, 12, {"a": {}, "b": []}, "\u{2028}"]),
        )
    }

    #[test]
    fn parses_what_the_encoder_writes() {
        let l = line(&rich());
        let raw = parse_line(&l).unwrap();
        assert_eq!(raw.seq, 42);
        assert_eq!(raw.ts, b"2026-11-27T13:00:00.123456Z");
        assert_eq!(raw.kind, EntryKind::Violation);
        assert_eq!(raw.outcome, Outcome::Blocked);
        assert_eq!(raw.actor, b"\"agent\"");
        assert_eq!(raw.prev, [9; 32]);
        assert!(raw.sig_valid(&l, &AuditKey::from_bytes([3; 32])));
        assert!(!raw.sig_valid(&l, &AuditKey::from_bytes([4; 32])));
        let detail: serde_json::Value = serde_json::from_slice(raw.detail).unwrap();
        assert_eq!(detail["rule"], "blacklisted");
        let sys = EntryDraft::new(EntryKind::Api, "api", "list", "", Outcome::Success);
        assert!(parse_line(&line(&sys)).is_ok());
    }

    #[test]
    fn every_proper_prefix_is_incomplete_and_carries_seq_once_known() {
        let l = line(&rich());
        let seq_known_from = b"{\"seq\":42,".len();
        for cut in 0..l.len() {
            match parse_line(&l[..cut]) {
                Err(LineError::Incomplete { seq }) => {
                    assert_eq!(seq.is_some(), cut >= seq_known_from, "cut {cut}");
                }
                other => panic!("prefix of {cut} bytes gave {other:?}"),
            }
        }
    }

    #[test]
    fn rejects_non_canonical_and_damaged_lines() {
        let l = String::from_utf8(line(&rich())).unwrap();
        let cases = [
            l.replacen("{\"seq\":42", "{\"seq\":042", 1),
            l.replacen("{\"seq\":42", "{ \"seq\":42", 1),
            l.replacen("\"violation\"", "\"Violation\"", 1),
            l.replacen("\"blocked\"", "\"maybe\"", 1),
            l.replacen("13:00:00", "25:00:00", 1),
            l.replacen("T13", " 13", 1),
            l.replacen("\"rule\":", "\"rule\" :", 1),
            l.replacen("\"sandbox_id\":\"sb-1\"", "\"sandbox_id\":1", 1),
            l.replacen("\\t", "\t", 1),
            l.replacen("\\t", "\\q", 1),
            l.replacen("-1.5e-7", "-01.5", 1),
            l.replacen("-1.5e-7", "1.", 1),
            l.replacen("\"detail\":{", "\"detail\":[", 1),
            format!("{l} "),
            format!("{l}}}"),
            l.replace("0909", "0G09"),
            l.replacen("0909", "09A9", 1),
            l.replacen("\"prev\"", "\"pre\"", 1),
        ];
        for (i, bad) in cases.iter().enumerate() {
            assert_ne!(bad, &l, "case {i} did not change the line");
            assert!(
                matches!(parse_line(bad.as_bytes()), Err(LineError::Invalid(_))),
                "case {i} accepted: {bad}"
            );
        }
        let mut not_utf8 = l.clone().into_bytes();
        let at = not_utf8.iter().position(|&b| b == 0xc3).unwrap();
        not_utf8[at + 1] = b'x';
        assert!(matches!(parse_line(&not_utf8), Err(LineError::Invalid(_))));
    }

    #[test]
    fn detail_nesting_limit_matches_the_writer() {
        let mut v = serde_json::Value::Null;
        for _ in 0..MAX_DETAIL_DEPTH - 1 {
            v = serde_json::Value::Array(vec![v]);
        }
        let ok = EntryDraft::new(EntryKind::File, "a", "b", "c", Outcome::Success).detail("d", v);
        crate::audit::entry::check_draft(&ok).unwrap();
        assert!(parse_line(&line(&ok)).is_ok());
        let l = String::from_utf8(line(&ok)).unwrap();
        let deeper = l
            .replacen("\"d\":[", "\"d\":[[", 1)
            .replacen("]}", "]]}", 1);
        assert_eq!(
            parse_line(deeper.as_bytes()).err(),
            Some(LineError::Invalid("\"detail\" is nested too deeply"))
        );
    }

    #[test]
    fn torn_prefix_accepts_cut_lines_and_nul_padding_only() {
        let l = line(&rich());
        assert_eq!(torn_prefix(&l[..5]), Some(None));
        assert_eq!(torn_prefix(&l[..40]), Some(Some(42)));
        let mut padded = l[..100].to_vec();
        padded.extend_from_slice(&[0; 30]);
        assert_eq!(torn_prefix(&padded), Some(Some(42)));
        assert_eq!(torn_prefix(&[0, 0, 0]), Some(None));
        assert_eq!(torn_prefix(b""), None);
        assert_eq!(torn_prefix(&l), None, "a complete entry is not torn");
        assert_eq!(torn_prefix(b"hello"), None);
        let mut full_then_nul = l.clone();
        full_then_nul.push(0);
        assert_eq!(torn_prefix(&full_then_nul), None);
    }
}
