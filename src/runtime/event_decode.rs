//! Pure decoding for the engine event stream (`GET /events`): an incremental
//! `Transfer-Encoding: chunked` decoder, a newline splitter, and a tolerant decoder for one
//! event line.
//!
//! Kept apart from the socket code in `events.rs` so every shape the engines send (Docker's
//! and Podman's JSON, chunk boundaries anywhere, garbage lines) is unit-tested without an
//! engine. Tolerance is the point: an event with an action or a field this code does not
//! know is still an event (unknown actions are kept as strings), and a line that is not
//! JSON is skipped with a reason, never the end of the stream.

use std::collections::BTreeMap;

/// Longest event line kept; a longer one is dropped (engines send well under 8 KiB).
pub(crate) const MAX_LINE_BYTES: usize = 1 << 20;

/// What happened to a container, as far as lasso cares. Both engines' spellings map here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerAction {
    Create,
    Start,
    /// Its main process ended (Docker `die`, Podman `died`).
    Die,
    Stop,
    Kill,
    /// The container is gone (Docker `destroy`, Podman `remove`/`cleanup` is not it).
    Destroy,
    Pause,
    Unpause,
    Rename,
    /// Anything else (`exec_start`, `sync`, `init`, `attach`, ...), kept as sent.
    Other(String),
}

impl ContainerAction {
    pub fn parse(action: &str) -> ContainerAction {
        // Docker suffixes some actions with details (`exec_start: sh -c ...`).
        let base = action.split(':').next().unwrap_or(action).trim();
        match base {
            "create" => ContainerAction::Create,
            "start" | "restart" => ContainerAction::Start,
            "die" | "died" => ContainerAction::Die,
            "stop" => ContainerAction::Stop,
            "kill" => ContainerAction::Kill,
            "destroy" | "remove" => ContainerAction::Destroy,
            "pause" => ContainerAction::Pause,
            "unpause" => ContainerAction::Unpause,
            "rename" => ContainerAction::Rename,
            other => ContainerAction::Other(other.to_string()),
        }
    }

    /// True when the set of sandboxes or their states may have changed (a re-list is due);
    /// execs, attaches and health checks do not change the list.
    pub fn changes_listing(&self) -> bool {
        !matches!(self, ContainerAction::Other(_))
    }
}

/// One container event from the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineEvent {
    pub action: ContainerAction,
    /// The container's id (full, as the engine sends it).
    pub container_id: String,
    /// The container's name, when the engine sends it.
    pub name: Option<String>,
    /// The container's labels (both engines send them in the actor's attributes, mixed with
    /// a few of their own keys such as `name` and `image`).
    pub attributes: BTreeMap<String, String>,
    /// Nanoseconds since the epoch, when sent.
    pub time_nanos: Option<i64>,
}

#[derive(serde::Deserialize)]
struct RawEvent {
    #[serde(rename = "Type", default)]
    kind: Option<String>,
    #[serde(rename = "Action", default)]
    action: Option<String>,
    /// The pre-1.22 spelling, still sent by both engines.
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(rename = "Actor", default)]
    actor: Option<RawActor>,
    #[serde(rename = "timeNano", default)]
    time_nano: Option<i64>,
    #[serde(default)]
    time: Option<i64>,
}

#[derive(serde::Deserialize)]
struct RawActor {
    #[serde(rename = "ID", default)]
    id: Option<String>,
    #[serde(rename = "Attributes", default)]
    attributes: Option<BTreeMap<String, serde_json::Value>>,
}

/// Decodes one event line. `Ok(None)`: a valid event that is not about a container (the
/// filter should prevent those; they are skipped). `Err`: not an event (why, for the log).
pub fn decode_event(line: &[u8]) -> Result<Option<EngineEvent>, String> {
    let text = std::str::from_utf8(line).map_err(|_| "event line is not UTF-8".to_string())?;
    let text = text.trim();
    if text.is_empty() {
        return Err("empty event line".into());
    }
    let raw: RawEvent = serde_json::from_str(text).map_err(|e| {
        let shown: String = text.chars().take(80).collect();
        format!("event line is not event JSON ({e}): {shown:?}")
    })?;
    if let Some(kind) = &raw.kind
        && !kind.eq_ignore_ascii_case("container")
    {
        return Ok(None);
    }
    let action = raw
        .action
        .or(raw.status)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| "event has no Action".to_string())?;
    let actor_id = raw.actor.as_ref().and_then(|a| a.id.clone());
    let container_id = actor_id
        .or(raw.id)
        .filter(|i| !i.is_empty())
        .ok_or_else(|| format!("{action} event has no container id"))?;
    let attributes: BTreeMap<String, String> = raw
        .actor
        .and_then(|a| a.attributes)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (k, v)
        })
        .collect();
    Ok(Some(EngineEvent {
        action: ContainerAction::parse(&action),
        name: attributes.get("name").cloned(),
        container_id,
        attributes,
        time_nanos: raw
            .time_nano
            .or_else(|| raw.time.map(|t| t.saturating_mul(1_000_000_000))),
    }))
}

/// Incremental `Transfer-Encoding: chunked` decoder: feed bytes as they arrive, get body
/// bytes out; chunk boundaries may fall anywhere.
#[derive(Debug, Default)]
pub(crate) struct ChunkedDecoder {
    buf: Vec<u8>,
    /// Bytes left in the current chunk's data (then its CRLF).
    remaining: usize,
    in_data: bool,
    done: bool,
}

impl ChunkedDecoder {
    /// Decodes what it can; `Err` on a malformed size line (the stream is unusable).
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        self.buf.extend_from_slice(input);
        let mut pos = 0;
        loop {
            if self.done {
                self.buf.clear();
                return Ok(());
            }
            if self.in_data {
                let avail = self.buf.len() - pos;
                let take = avail.min(self.remaining);
                out.extend_from_slice(&self.buf[pos..pos + take]);
                pos += take;
                self.remaining -= take;
                if self.remaining > 0 {
                    break;
                }
                // The CRLF after the data.
                if self.buf.len() - pos < 2 {
                    break;
                }
                pos += 2;
                self.in_data = false;
                continue;
            }
            let Some(end) = find_crlf(&self.buf[pos..]) else {
                if self.buf.len() - pos > 64 {
                    return Err("chunk size line too long".into());
                }
                break;
            };
            let line = std::str::from_utf8(&self.buf[pos..pos + end])
                .map_err(|_| "chunk size is not ASCII".to_string())?;
            let size_str = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size_str, 16)
                .map_err(|_| format!("bad chunk size {size_str:?}"))?;
            pos += end + 2;
            if size == 0 {
                self.done = true;
                continue;
            }
            self.remaining = size;
            self.in_data = true;
        }
        self.buf.drain(..pos);
        Ok(())
    }

    /// True once the terminating zero-size chunk was seen (the engine ended the stream).
    pub fn finished(&self) -> bool {
        self.done
    }
}

fn find_crlf(b: &[u8]) -> Option<usize> {
    b.windows(2).position(|w| w == b"\r\n")
}

/// Splits a byte stream into lines; a line longer than [`MAX_LINE_BYTES`] is dropped whole.
#[derive(Debug, Default)]
pub(crate) struct LineSplitter {
    buf: Vec<u8>,
    overlong: bool,
}

impl LineSplitter {
    /// Appends bytes and returns the complete lines (without their newline).
    pub fn push(&mut self, input: &[u8]) -> Vec<Vec<u8>> {
        let mut lines = Vec::new();
        for part in input.split_inclusive(|b| *b == b'\n') {
            let complete = part.last() == Some(&b'\n');
            let data = if complete {
                &part[..part.len() - 1]
            } else {
                part
            };
            if !self.overlong {
                if self.buf.len() + data.len() > MAX_LINE_BYTES {
                    self.overlong = true;
                    self.buf.clear();
                } else {
                    self.buf.extend_from_slice(data);
                }
            }
            if complete {
                if !self.overlong && !self.buf.iter().all(u8::is_ascii_whitespace) {
                    lines.push(std::mem::take(&mut self.buf));
                }
                self.buf.clear();
                self.overlong = false;
            }
        }
        lines
    }
}

/// Parses the status line and headers of a streaming response (everything up to the blank
/// line); returns the status, whether the body is chunked, and the header length.
pub(crate) fn parse_stream_head(raw: &[u8]) -> Option<Result<(u16, bool, usize), String>> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = match std::str::from_utf8(&raw[..end]) {
        Ok(h) => h,
        Err(_) => return Some(Err("response headers are not UTF-8".into())),
    };
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    if !parts.next().unwrap_or_default().starts_with("HTTP/1.") {
        return Some(Err(format!("not an HTTP/1.x response: {status_line:?}")));
    }
    let Some(status) = parts.next().and_then(|s| s.parse::<u16>().ok()) else {
        return Some(Err(format!("bad status line {status_line:?}")));
    };
    let chunked = lines.any(|l| {
        l.split_once(':').is_some_and(|(n, v)| {
            n.trim().eq_ignore_ascii_case("transfer-encoding")
                && v.to_ascii_lowercase().contains("chunked")
        })
    });
    Some(Ok((status, chunked, end + 4)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    // Recorded from Docker 20.10 (API 1.41) and Podman 4.3.1's compat API on this machine.
    const DOCKER_START: &str = r#"{"status":"start","id":"08c2881fbd33","from":"lasso-base:latest","Type":"container","Action":"start","Actor":{"ID":"08c2881fbd33","Attributes":{"h4probe":"1","image":"lasso-base:latest","name":"h4probe"}},"scope":"local","time":1796657625,"timeNano":1796657625168689312}"#;
    const DOCKER_DIE: &str = r#"{"status":"die","id":"08c2881fbd33","from":"lasso-base:latest","Type":"container","Action":"die","Actor":{"ID":"08c2881fbd33","Attributes":{"exitCode":"137","lasso.id":"abc","name":"h4probe"}},"scope":"local","time":1796657626,"timeNano":1796657626444164475}"#;
    const PODMAN_CREATE: &str = r#"{"status":"create","id":"3db99161bd56","from":"docker.io/library/lasso-base:latest","Type":"container","Action":"create","Actor":{"ID":"3db99161bd56","Attributes":{"containerExitCode":"0","h4probe":"1","image":"docker.io/library/lasso-base:latest","name":"h4probe","podId":""}},"scope":"local","time":1796657625,"timeNano":1796657625210288442}"#;
    const PODMAN_SYNC: &str = r#"{"status":"sync","id":"3db99161bd56","Type":"container","Action":"sync","Actor":{"ID":"3db99161bd56","Attributes":{"name":"h4probe"}},"time":1796657626}"#;

    #[test]
    fn decodes_docker_events() {
        let e = decode_event(DOCKER_START.as_bytes()).unwrap().unwrap();
        assert_eq!(e.action, ContainerAction::Start);
        assert_eq!(e.container_id, "08c2881fbd33");
        assert_eq!(e.name.as_deref(), Some("h4probe"));
        assert_eq!(e.time_nanos, Some(1796657625168689312));
        let e = decode_event(DOCKER_DIE.as_bytes()).unwrap().unwrap();
        assert_eq!(e.action, ContainerAction::Die);
        assert_eq!(
            e.attributes.get("lasso.id").map(String::as_str),
            Some("abc")
        );
        assert!(e.action.changes_listing());
    }

    #[test]
    fn decodes_podman_events() {
        let e = decode_event(PODMAN_CREATE.as_bytes()).unwrap().unwrap();
        assert_eq!(e.action, ContainerAction::Create);
        assert_eq!(e.container_id, "3db99161bd56");
        let e = decode_event(PODMAN_SYNC.as_bytes()).unwrap().unwrap();
        assert_eq!(e.action, ContainerAction::Other("sync".into()));
        assert!(!e.action.changes_listing());
        assert_eq!(e.time_nanos, Some(1_796_657_626_000_000_000));
    }

    #[test]
    fn engine_spellings_map_to_one_action() {
        assert_eq!(ContainerAction::parse("died"), ContainerAction::Die);
        assert_eq!(ContainerAction::parse("remove"), ContainerAction::Destroy);
        assert_eq!(ContainerAction::parse("destroy"), ContainerAction::Destroy);
        assert_eq!(
            ContainerAction::parse("exec_start: sh -c true"),
            ContainerAction::Other("exec_start".into())
        );
        assert_eq!(
            ContainerAction::parse("hibernate"),
            ContainerAction::Other("hibernate".into())
        );
    }

    #[test]
    fn old_style_and_odd_events_are_tolerated() {
        // Only the pre-1.22 fields.
        let e = decode_event(br#"{"status":"destroy","id":"abc","time":5}"#)
            .unwrap()
            .unwrap();
        assert_eq!(e.action, ContainerAction::Destroy);
        assert_eq!(e.container_id, "abc");
        // Non-string attribute values and unknown fields.
        let e = decode_event(
            br#"{"Type":"container","Action":"start","Actor":{"ID":"x","Attributes":{"n":3}},"new":[1]}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(e.attributes.get("n").map(String::as_str), Some("3"));
        // Another type is skipped, not an error.
        assert_eq!(
            decode_event(br#"{"Type":"network","Action":"connect","Actor":{"ID":"n"}}"#),
            Ok(None)
        );
    }

    #[test]
    fn garbage_lines_are_errors_with_a_reason() {
        for bad in [
            &b"not json"[..],
            b"",
            b"   ",
            b"{\"Type\":\"container\"}",
            b"{\"Action\":\"start\"}",
            b"[1,2]",
            b"\xff\xfe",
        ] {
            assert!(decode_event(bad).is_err(), "{bad:?}");
        }
        let e = decode_event(b"{\"Action\":\"start\"}").unwrap_err();
        assert!(e.contains("no container id"), "{e}");
    }

    #[test]
    fn chunked_decoding_handles_any_split() {
        let body = format!("{DOCKER_START}\n{PODMAN_CREATE}\n");
        let mut wire = Vec::new();
        for piece in [&body[..100], &body[100..]] {
            wire.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            wire.extend_from_slice(piece.as_bytes());
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend_from_slice(b"0\r\n\r\n");
        // Every split point, including inside size lines and CRLFs.
        for split in 0..wire.len() {
            let mut d = ChunkedDecoder::default();
            let mut out = Vec::new();
            d.feed(&wire[..split], &mut out).unwrap();
            d.feed(&wire[split..], &mut out).unwrap();
            assert_eq!(out, body.as_bytes(), "split at {split}");
            assert!(d.finished());
        }
        // Byte by byte.
        let mut d = ChunkedDecoder::default();
        let mut out = Vec::new();
        for b in &wire {
            d.feed(std::slice::from_ref(b), &mut out).unwrap();
        }
        assert_eq!(out, body.as_bytes());
    }

    #[test]
    fn chunked_decoding_rejects_bad_sizes() {
        let mut d = ChunkedDecoder::default();
        assert!(d.feed(b"zz\r\n", &mut Vec::new()).is_err());
        let mut d = ChunkedDecoder::default();
        assert!(d.feed(&[b'1'; 100], &mut Vec::new()).is_err());
    }

    #[test]
    fn lines_split_across_pushes_and_blank_lines_vanish() {
        let mut s = LineSplitter::default();
        assert!(s.push(b"{\"a\"").is_empty());
        assert_eq!(s.push(b":1}\n\n  \n{\"b\""), vec![b"{\"a\":1}".to_vec()]);
        assert_eq!(s.push(b":2}\n"), vec![b"{\"b\":2}".to_vec()]);
    }

    #[test]
    fn overlong_lines_are_dropped_and_the_next_line_survives() {
        let mut s = LineSplitter::default();
        let big = vec![b'x'; MAX_LINE_BYTES + 10];
        assert!(s.push(&big).is_empty());
        assert_eq!(s.push(b"tail\nok\n"), vec![b"ok".to_vec()]);
    }

    #[test]
    fn stream_heads_are_parsed() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nServer: x\r\n\r\n5\r\n";
        assert_eq!(parse_stream_head(raw), Some(Ok((200, true, raw.len() - 3))));
        assert_eq!(parse_stream_head(b"HTTP/1.1 200 OK\r\n"), None);
        assert!(matches!(
            parse_stream_head(b"HTTP/1.1 404 Not Found\r\n\r\n"),
            Some(Ok((404, false, _)))
        ));
        assert!(matches!(
            parse_stream_head(b"SSH-2.0\r\n\r\n"),
            Some(Err(_))
        ));
    }
}
