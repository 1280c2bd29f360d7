//! The host side of the REPL's typeahead hand-back: keys typed while a program runs that the
//! program never read come back to the line editor, as they would in a real terminal.
//!
//! The guard (`guard/src/typeahead.rs`, which documents the exchange step by step) drains the
//! terminal once the program's tree is gone and reports in two frames on the output stream,
//! `ESC _ lasso-typeahead;<key>;ready;<token> ESC \` and `… ;data;<hex> ESC \`. This module
//! makes the per-run key, strips the frames out of the output (they never reach the screen
//! or the audit log) and builds the end marker the pump writes into the terminal after
//! `ready`. Frames must carry this run's key, which only lasso and the guard know, so a
//! program that prints frame-shaped text shows just that text and cannot inject keys.
//! Whatever comes back is fed to the editor and gated like typing; nothing runs ungated.
//!
//! A sandbox keeps the guard of the lasso build that created it (content-addressed, see
//! `sandbox/guard.rs`), which may predate `--typeahead`: only where the container's guard
//! label names this build's guard is the hand-back requested ([`supported`]); elsewhere REPL
//! programs run as before and keys they leave unread are lost.

use crate::sandbox::SandboxInfo;
use crate::sandbox::guard::guard_digest;
use crate::sandbox::labels;

/// Start of a guard frame, before the key.
const FRAME_START: &[u8] = b"\x1b_lasso-typeahead;";
/// Start of the end marker, before the token.
const END_START: &[u8] = b"\x1b_lasso-typeahead-end;";
/// String terminator of frames and marker.
const ST: &[u8] = b"\x1b\\";
/// Most input the guard hands back (its own cap).
const MAX_INPUT: usize = 64 << 10;
/// Longest frame body accepted (a `data` frame is hex, twice the input).
const MAX_BODY: usize = 2 * MAX_INPUT + 64;

/// Whether the sandbox runs this build's guard, which knows `--typeahead`.
pub(super) fn supported(info: &SandboxInfo) -> bool {
    info.labels
        .get(labels::GUARD)
        .is_some_and(|d| *d == guard_digest())
}

/// A fresh random key for one run (16 bytes from the OS, as hex).
pub(super) fn new_key() -> Result<String, getrandom::Error> {
    let mut buf = [0u8; 16];
    getrandom::fill(&mut buf)?;
    Ok(hex::encode(buf))
}

/// The marker the pump writes into the terminal once the guard is `ready`.
pub(super) fn end_marker(token: &str) -> Vec<u8> {
    let mut m = END_START.to_vec();
    m.extend_from_slice(token.as_bytes());
    m.extend_from_slice(ST);
    m
}

/// A frame from the guard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Frame {
    /// The program is gone and the terminal drains: write the end marker for `token`.
    Ready { token: String },
    /// The input the program never read.
    Data(Vec<u8>),
}

/// Splits one run's output into what to show and the guard's frames.
#[derive(Debug)]
pub(super) struct FrameScanner {
    /// `FRAME_START` + key + `;`.
    start: Vec<u8>,
    /// Output not yet released: a possible frame start at the end of a chunk, or a frame
    /// whose terminator has not arrived.
    held: Vec<u8>,
}

impl FrameScanner {
    pub(super) fn new(key: &str) -> FrameScanner {
        let mut start = FRAME_START.to_vec();
        start.extend_from_slice(key.as_bytes());
        start.push(b';');
        FrameScanner {
            start,
            held: Vec::new(),
        }
    }

    /// Feeds output; returns the bytes to show and the frames completed by this chunk.
    /// Bytes that might begin a frame are held until the next chunk decides (only ever a
    /// lone trailing `ESC` or a partial frame start; everything else passes at once).
    pub(super) fn push(&mut self, chunk: &[u8]) -> (Vec<u8>, Vec<Frame>) {
        self.held.extend_from_slice(chunk);
        let buf = std::mem::take(&mut self.held);
        let mut show = Vec::with_capacity(buf.len());
        let mut frames = Vec::new();
        let mut i = 0;
        while i < buf.len() {
            let Some(esc) = buf[i..].iter().position(|&b| b == 0x1b) else {
                show.extend_from_slice(&buf[i..]);
                break;
            };
            show.extend_from_slice(&buf[i..i + esc]);
            let at = i + esc;
            let rest = &buf[at..];
            if rest.len() < self.start.len() {
                if self.start.starts_with(rest) {
                    self.held = rest.to_vec();
                    return (show, frames);
                }
            } else if rest.starts_with(&self.start) {
                let body_at = self.start.len();
                match find(&rest[body_at..], ST) {
                    Some(len) => {
                        if let Some(f) = parse(&rest[body_at..body_at + len]) {
                            frames.push(f);
                        }
                        i = at + body_at + len + ST.len();
                        continue;
                    }
                    None if rest.len() - body_at <= MAX_BODY => {
                        self.held = rest.to_vec();
                        return (show, frames);
                    }
                    // Far too long for a frame: it is output after all.
                    None => {}
                }
            }
            show.push(0x1b);
            i = at + 1;
        }
        (show, frames)
    }

    /// The end of the stream: whatever was held is output after all.
    pub(super) fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.held)
    }
}

/// A frame body (after the key): `ready;<token>` or `data;<hex>`; anything else is dropped.
fn parse(body: &[u8]) -> Option<Frame> {
    let body = std::str::from_utf8(body).ok()?;
    if let Some(token) = body.strip_prefix("ready;") {
        let ok =
            !token.is_empty() && token.len() <= 128 && token.bytes().all(|b| b.is_ascii_hexdigit());
        return ok.then(|| Frame::Ready {
            token: token.to_string(),
        });
    }
    let data = body.strip_prefix("data;")?;
    hex::decode(data).ok().map(Frame::Data)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const KEY: &str = "00112233445566778899aabbccddeeff";

    fn frame(key: &str, body: &str) -> Vec<u8> {
        format!("\x1b_lasso-typeahead;{key};{body}\x1b\\").into_bytes()
    }

    /// Feeds `chunks` one by one; returns everything shown (including `finish`) and frames.
    fn run(chunks: &[&[u8]]) -> (Vec<u8>, Vec<Frame>) {
        let mut s = FrameScanner::new(KEY);
        let (mut shown, mut frames) = (Vec::new(), Vec::new());
        for c in chunks {
            let (o, f) = s.push(c);
            shown.extend(o);
            frames.extend(f);
        }
        shown.extend(s.finish());
        (shown, frames)
    }

    #[test]
    fn only_this_builds_guard_is_asked_for_the_hand_back() {
        let info = |guard: Option<String>| {
            let mut l = std::collections::BTreeMap::new();
            if let Some(g) = guard {
                l.insert(labels::GUARD.to_string(), g);
            }
            SandboxInfo::from_labels("c1", "lasso-x", "img", "running", "docker", l)
        };
        assert!(supported(&info(Some(guard_digest()))));
        assert!(!supported(&info(Some("0".repeat(64)))));
        assert!(!supported(&info(None)));
    }

    #[test]
    fn keys_are_fresh_hex_the_guard_accepts() {
        let (a, b) = (new_key().unwrap(), new_key().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        );
    }

    #[test]
    fn frames_are_stripped_and_parsed() {
        let mut out = b"zzz\r\n".to_vec();
        out.extend(frame(KEY, "ready;abc123"));
        out.extend(frame(KEY, "data;6c730a"));
        let (shown, frames) = run(&[&out]);
        assert_eq!(shown, b"zzz\r\n");
        assert_eq!(
            frames,
            vec![
                Frame::Ready {
                    token: "abc123".into()
                },
                Frame::Data(b"ls\n".to_vec())
            ]
        );
        assert_eq!(
            end_marker("abc123"),
            b"\x1b_lasso-typeahead-end;abc123\x1b\\"
        );
    }

    #[test]
    fn frames_split_anywhere_across_chunks_still_parse() {
        let mut out = b"a\x1b[1mb".to_vec();
        out.extend(frame(KEY, "data;6563686f"));
        out.extend(b"\x1b");
        for cut in 0..=out.len() {
            for cut2 in cut..=out.len() {
                let (shown, frames) = run(&[&out[..cut], &out[cut..cut2], &out[cut2..]]);
                assert_eq!(shown, b"a\x1b[1mb\x1b", "cuts {cut} {cut2}");
                assert_eq!(frames, vec![Frame::Data(b"echo".to_vec())]);
            }
        }
    }

    #[test]
    fn frames_with_another_key_are_plain_output() {
        // A program printing frame-shaped text (it cannot know this run's key).
        let forged = frame(
            "ffeeddccbbaa99887766554433221100",
            "data;726d202d7266202f0a",
        );
        let (shown, frames) = run(&[&forged]);
        assert_eq!(shown, forged);
        assert!(frames.is_empty());
        // The key alone, without its frame start, is output too.
        let (shown, frames) = run(&[KEY.as_bytes()]);
        assert_eq!(shown, KEY.as_bytes());
        assert!(frames.is_empty());
    }

    #[test]
    fn malformed_bodies_are_dropped_and_runaway_frames_released() {
        let mut out = frame(KEY, "data;zz");
        out.extend(frame(KEY, "ready;"));
        out.extend(frame(KEY, "nonsense"));
        let (shown, frames) = run(&[&out]);
        assert!(
            shown.is_empty() && frames.is_empty(),
            "{shown:?} {frames:?}"
        );
        // A frame start that never terminates is held only up to the size limit.
        let mut s = FrameScanner::new(KEY);
        let mut start = b"\x1b_lasso-typeahead;".to_vec();
        start.extend(KEY.as_bytes());
        start.push(b';');
        let (shown, _) = s.push(&start);
        assert!(shown.is_empty());
        let (shown, _) = s.push(&vec![b'0'; MAX_BODY + 1]);
        assert_eq!(shown.len(), start.len() + MAX_BODY + 1);
        // At the end of the stream a partial start is output.
        let mut s = FrameScanner::new(KEY);
        assert!(s.push(b"x\x1b_lasso").0 == b"x");
        assert_eq!(s.finish(), b"\x1b_lasso");
    }
}
