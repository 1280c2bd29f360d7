//! Audit entry types and their canonical line encoding.
//!
//! A line is `{"seq":…,"ts":…,"sandbox_id":…,"type":…,"actor":…,"action":…,"target":…,
//! "outcome":…,"detail":{…},"prev":"<64 hex>","sig":"<64 hex>"}` in exactly this order, with no
//! whitespace, strings escaped as serde_json escapes them and `detail` as serde_json writes a
//! `Map` (keys sorted). The encoder is written by hand rather than derived so the order and the
//! signed byte range are fixed by this file, not by serde attributes; [`AuditEntry`]'s serde
//! derive produces the same bytes (a test pins that), so JSON export of parsed entries is
//! byte-identical to the signed lines.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::key::AuditKey;
use super::{AuditError, MAX_DETAIL_DEPTH, MAX_LINE_LEN, Result};

/// What an entry is about. Serialised lowercase as the `type` field.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    Command,
    Violation,
    Lifecycle,
    Network,
    File,
    Auth,
    Api,
    /// A program the agent's own processes started inside the sandbox, as the in-sandbox
    /// guard saw and decided it.
    Exec,
    /// A self-test probe run inside the sandbox.
    Probe,
    /// A sandbox's mode changed (`lasso mode`); detail has `from` and `to`.
    Mode,
}

impl EntryKind {
    /// Every kind, in declaration order.
    pub const ALL: [EntryKind; 10] = [
        EntryKind::Command,
        EntryKind::Violation,
        EntryKind::Lifecycle,
        EntryKind::Network,
        EntryKind::File,
        EntryKind::Auth,
        EntryKind::Api,
        EntryKind::Exec,
        EntryKind::Probe,
        EntryKind::Mode,
    ];

    /// The wire name (`command`, `violation`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Command => "command",
            EntryKind::Violation => "violation",
            EntryKind::Lifecycle => "lifecycle",
            EntryKind::Network => "network",
            EntryKind::File => "file",
            EntryKind::Auth => "auth",
            EntryKind::Api => "api",
            EntryKind::Exec => "exec",
            EntryKind::Probe => "probe",
            EntryKind::Mode => "mode",
        }
    }

    pub(crate) fn from_wire(s: &[u8]) -> Option<EntryKind> {
        EntryKind::ALL
            .into_iter()
            .find(|k| k.as_str().as_bytes() == s)
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EntryKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        EntryKind::from_wire(s.as_bytes()).ok_or_else(|| {
            format!(
                "unknown audit entry type {s:?}; expected one of command, violation, lifecycle, \
                 network, file, auth, api, exec, probe, mode"
            )
        })
    }
}

/// How the audited action ended.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Error,
    Blocked,
}

impl Outcome {
    /// Every outcome, in declaration order.
    pub const ALL: [Outcome; 3] = [Outcome::Success, Outcome::Error, Outcome::Blocked];

    /// The wire name (`success`, `error`, `blocked`).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Error => "error",
            Outcome::Blocked => "blocked",
        }
    }

    pub(crate) fn from_wire(s: &[u8]) -> Option<Outcome> {
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str().as_bytes() == s)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Outcome {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Outcome::from_wire(s.as_bytes()).ok_or_else(|| {
            format!("unknown audit outcome {s:?}; expected one of success, error, blocked")
        })
    }
}

/// What a caller hands to [`crate::audit::AuditLog::append`]; the log adds seq, ts, prev, sig.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryDraft {
    /// The sandbox the event belongs to; `None` for system events.
    pub sandbox_id: Option<String>,
    pub kind: EntryKind,
    /// Who acted: `cli`, `tui`, `api:<key-name>`, `mcp`, `agent`, `lasso`...
    pub actor: String,
    /// What was done: `exec`, `create`, `stop`, `egress`...
    pub action: String,
    /// What it was done to: the command line, a domain, a path...
    pub target: String,
    pub outcome: Outcome,
    /// Anything else worth keeping (exit code, rule, duration). Keys are kept sorted.
    pub detail: Map<String, Value>,
}

impl EntryDraft {
    /// A draft with an empty detail and no sandbox.
    pub fn new(
        kind: EntryKind,
        actor: impl Into<String>,
        action: impl Into<String>,
        target: impl Into<String>,
        outcome: Outcome,
    ) -> EntryDraft {
        EntryDraft {
            sandbox_id: None,
            kind,
            actor: actor.into(),
            action: action.into(),
            target: target.into(),
            outcome,
            detail: Map::new(),
        }
    }

    /// Sets the sandbox id.
    pub fn sandbox(mut self, id: impl Into<String>) -> EntryDraft {
        self.sandbox_id = Some(id.into());
        self
    }

    /// Adds one detail member.
    pub fn detail(mut self, key: impl Into<String>, value: impl Into<Value>) -> EntryDraft {
        self.detail.insert(key.into(), value.into());
        self
    }
}

/// One verified-format entry as stored in a log.
///
/// Serialising it with serde_json yields exactly the stored line (without the newline).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub seq: u64,
    /// RFC 3339 UTC with six fractional digits.
    #[serde(with = "ts_micros")]
    #[schema(value_type = String, format = DateTime)]
    pub ts: DateTime<Utc>,
    pub sandbox_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: EntryKind,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: Outcome,
    #[schema(value_type = Object)]
    pub detail: Map<String, Value>,
    /// `sig` of the previous entry in the file (64 zeros for the first), lowercase hex.
    pub prev: String,
    /// HMAC-SHA256 of the line up to `,"sig":"` plus `}`, lowercase hex.
    pub sig: String,
}

/// Length of an encoded timestamp: `2026-11-27T13:00:00.123456Z`.
pub(crate) const TS_LEN: usize = 27;

/// Formats `ts` as RFC 3339 UTC with exactly six fractional digits.
pub(crate) fn format_ts(ts: &DateTime<Utc>) -> [u8; TS_LEN] {
    let mut out = *b"0000-00-00T00:00:00.000000Z";
    // Years outside 0..=9999 cannot come from the clock; clamping keeps the format fixed.
    let year = ts.year().clamp(0, 9999) as u32;
    put_digits(&mut out[0..4], year);
    put_digits(&mut out[5..7], ts.month());
    put_digits(&mut out[8..10], ts.day());
    put_digits(&mut out[11..13], ts.hour());
    put_digits(&mut out[14..16], ts.minute());
    put_digits(&mut out[17..19], ts.second());
    // A leap second shows up as nanosecond >= 1e9; keep it within the six digits.
    put_digits(&mut out[20..26], (ts.nanosecond() / 1000).min(999_999));
    out
}

fn put_digits(out: &mut [u8], mut value: u32) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

pub(crate) mod ts_micros {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(ts: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        let bytes = super::format_ts(ts);
        // format_ts only writes ASCII digits and separators.
        s.serialize_str(std::str::from_utf8(&bytes).unwrap_or_default())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

/// Appends the canonical line for an entry (with trailing newline) to `buf` and returns its sig.
///
/// `buf` may already hold bytes (a newline that terminates a torn line); only the bytes this
/// call appends are signed and size-checked.
pub(crate) fn encode_line(
    buf: &mut Vec<u8>,
    key: &AuditKey,
    seq: u64,
    ts: &[u8; TS_LEN],
    draft: &EntryDraft,
    prev: &[u8; 32],
) -> Result<[u8; 32]> {
    let start = buf.len();
    buf.extend_from_slice(b"{\"seq\":");
    push_u64(buf, seq);
    buf.extend_from_slice(b",\"ts\":\"");
    buf.extend_from_slice(ts);
    buf.extend_from_slice(b"\",\"sandbox_id\":");
    match &draft.sandbox_id {
        Some(id) => serde_json::to_writer(&mut *buf, id)?,
        None => buf.extend_from_slice(b"null"),
    }
    buf.extend_from_slice(b",\"type\":\"");
    buf.extend_from_slice(draft.kind.as_str().as_bytes());
    buf.extend_from_slice(b"\",\"actor\":");
    serde_json::to_writer(&mut *buf, &draft.actor)?;
    buf.extend_from_slice(b",\"action\":");
    serde_json::to_writer(&mut *buf, &draft.action)?;
    buf.extend_from_slice(b",\"target\":");
    serde_json::to_writer(&mut *buf, &draft.target)?;
    buf.extend_from_slice(b",\"outcome\":\"");
    buf.extend_from_slice(draft.outcome.as_str().as_bytes());
    buf.extend_from_slice(b"\",\"detail\":");
    serde_json::to_writer(&mut *buf, &draft.detail)?;
    buf.extend_from_slice(b",\"prev\":\"");
    push_hex(buf, prev);
    buf.push(b'"');
    let sig = key.sign(&[&buf[start..], b"}"]);
    buf.extend_from_slice(b",\"sig\":\"");
    push_hex(buf, &sig);
    buf.extend_from_slice(b"\"}\n");
    let len = buf.len() - start - 1;
    if len > MAX_LINE_LEN {
        buf.truncate(start);
        return Err(AuditError::EntryTooLarge {
            action: draft.action.clone(),
            len,
        });
    }
    Ok(sig)
}

/// Checks what the encoder cannot express in a valid line before anything is written.
pub(crate) fn check_draft(draft: &EntryDraft) -> Result<()> {
    // Iterative with an early exit: a pathologically deep value must not overflow the stack
    // here (serde_json's encoder would recurse through all of it).
    let mut stack: Vec<(&Value, usize)> = draft.detail.values().map(|v| (v, 2)).collect();
    while let Some((value, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        // The detail object itself is level 1, so a container directly in it is level 2.
        if depth > MAX_DETAIL_DEPTH {
            return Err(AuditError::DetailTooDeep {
                action: draft.action.clone(),
            });
        }
        stack.extend(children.map(|v| (v, depth + 1)));
    }
    Ok(())
}

fn push_u64(buf: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// Lowercase hex of a 32-byte value (the `hex` crate goes through `char`s; this is hot).
pub(crate) fn hex32(bytes: &[u8; 32]) -> String {
    let mut out = Vec::with_capacity(64);
    push_hex(&mut out, bytes);
    String::from_utf8(out).unwrap_or_default()
}

pub(crate) fn push_hex(buf: &mut Vec<u8>, bytes: &[u8; 32]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        buf.push(DIGITS[usize::from(b >> 4)]);
        buf.push(DIGITS[usize::from(b & 0xf)]);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn key() -> AuditKey {
        AuditKey::from_bytes([7; 32])
    }

    fn sample_draft() -> EntryDraft {
        EntryDraft::new(
            EntryKind::Command,
            "cli",
            "exec",
            "echo \"hi\", \\ there\n",
            Outcome::Success,
        )
        .sandbox("ab12")
        .detail("exit_code", 0)
        .detail("a_first", "x")
        .detail(
            "nested",
            serde_json::json!({"z": [1, 2.5, null, true], "é": "ü"}),
        )
    }

    #[test]
    fn format_ts_is_fixed_width_micros() {
        let ts = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()
            + chrono::Duration::nanoseconds(123_456_789);
        assert_eq!(&format_ts(&ts), b"2026-01-02T03:04:05.123456Z");
    }

    #[test]
    fn encoded_line_has_fixed_order_and_equals_serde_of_entry() {
        let draft = sample_draft();
        let ts = *b"2026-11-27T13:00:00.123456Z";
        let mut buf = Vec::new();
        let sig = encode_line(&mut buf, &key(), 3, &ts, &draft, &[0xaa; 32]).unwrap();
        let line = std::str::from_utf8(&buf).unwrap();
        assert!(line.ends_with("\"}\n"));
        let body = line.trim_end_matches('\n');
        let order = [
            "\"seq\":3,",
            "\"ts\":",
            "\"sandbox_id\":\"ab12\"",
            "\"type\":\"command\"",
            "\"actor\":",
            "\"action\":",
            "\"target\":",
            "\"outcome\":\"success\"",
            "\"detail\":{\"a_first\"",
            "\"prev\":\"aaaa",
            "\"sig\":\"",
        ];
        let mut at = 0;
        for part in order {
            let found = body[at..]
                .find(part)
                .unwrap_or_else(|| panic!("{part} after {at}"));
            at += found + part.len();
        }
        // The signed bytes are the line up to `,"sig":"` plus `}`.
        let cut = body.rfind(",\"sig\":\"").unwrap();
        let signed = format!("{}}}", &body[..cut]);
        assert_eq!(key().sign(&[signed.as_bytes()]), sig);
        assert_eq!(&body[cut + 8..cut + 72], hex::encode(sig));
        // Parsing and re-serialising an entry reproduces the line byte for byte.
        let entry: AuditEntry = serde_json::from_str(body).unwrap();
        assert_eq!(serde_json::to_string(&entry).unwrap(), body);
        assert_eq!(entry.target, draft.target);
        assert_eq!(entry.detail, draft.detail);
    }

    #[test]
    fn system_entries_have_null_sandbox() {
        let draft = EntryDraft::new(EntryKind::Auth, "api", "login", "", Outcome::Error);
        let mut buf = Vec::new();
        encode_line(
            &mut buf,
            &key(),
            1,
            b"2026-11-27T13:00:00.000000Z",
            &draft,
            &[0; 32],
        )
        .unwrap();
        assert!(
            std::str::from_utf8(&buf)
                .unwrap()
                .contains("\"sandbox_id\":null,")
        );
    }

    #[test]
    fn oversized_entries_are_refused_and_leave_buffer_untouched() {
        let draft = EntryDraft::new(
            EntryKind::Command,
            "cli",
            "exec",
            "x".repeat(MAX_LINE_LEN),
            Outcome::Success,
        );
        let mut buf = b"\n".to_vec();
        let err = encode_line(
            &mut buf,
            &key(),
            1,
            b"2026-11-27T13:00:00.000000Z",
            &draft,
            &[0; 32],
        )
        .unwrap_err();
        assert!(matches!(err, AuditError::EntryTooLarge { .. }));
        assert_eq!(buf, b"\n");
    }

    #[test]
    fn too_deep_detail_is_refused() {
        let mut v = Value::Null;
        for _ in 0..MAX_DETAIL_DEPTH {
            v = Value::Array(vec![v]);
        }
        let draft =
            EntryDraft::new(EntryKind::File, "a", "b", "c", Outcome::Success).detail("deep", v);
        assert!(matches!(
            check_draft(&draft),
            Err(AuditError::DetailTooDeep { .. })
        ));
        let ok = EntryDraft::new(EntryKind::File, "a", "b", "c", Outcome::Success)
            .detail("d", serde_json::json!([[1]]));
        assert!(check_draft(&ok).is_ok());
    }

    #[test]
    fn kinds_and_outcomes_round_trip_their_names() {
        for k in EntryKind::ALL {
            assert_eq!(k.as_str().parse::<EntryKind>(), Ok(k));
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{k}\""));
        }
        for o in Outcome::ALL {
            assert_eq!(o.as_str().parse::<Outcome>(), Ok(o));
        }
        assert!(
            "Command"
                .parse::<EntryKind>()
                .unwrap_err()
                .contains("expected one of")
        );
    }
}
