//! Line readers over log files with bounded memory: forward (verify, oldest-first query,
//! export) and backward (the writer's tail lookup, newest-first query).
//!
//! Both are "lending" readers: a line is a slice into the reader's buffer, valid until the
//! next call, so the hot verify loop never copies or allocates per line. Lines longer than
//! the caller's limit are reported as [`Line::TooLong`] (and skipped) instead of buffered.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;

/// One line of a file.
#[derive(Debug)]
pub(crate) enum Line<'a> {
    /// The line's bytes, without the newline. `terminated` is false only for a last line that
    /// has no newline.
    Text { bytes: &'a [u8], terminated: bool },
    /// A line longer than the reader's limit; its bytes were skipped.
    TooLong { len: u64, terminated: bool },
}

/// A line and where it starts in the file.
#[derive(Debug)]
pub(crate) struct At<'a> {
    pub offset: u64,
    pub line: Line<'a>,
}

/// Reads lines front to back.
pub(crate) struct ForwardLines<R> {
    src: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// File offset of `buf[start]`.
    offset: u64,
    eof: bool,
    max_line: usize,
}

const FORWARD_CHUNK: usize = 1 << 20;

impl<R: Read> ForwardLines<R> {
    pub(crate) fn new(src: R, max_line: usize) -> Self {
        ForwardLines {
            src,
            // Room for a whole chunk even when an almost maximal line is pending.
            buf: vec![0; FORWARD_CHUNK + max_line + 1],
            start: 0,
            end: 0,
            offset: 0,
            eof: false,
            max_line,
        }
    }

    /// The next line, or `None` at the end of the input.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<At<'_>>> {
        let mut skipped: Option<u64> = None;
        loop {
            let window = &self.buf[self.start..self.end];
            if let Some(nl) = find_newline(window) {
                let offset = self.offset;
                let line_start = self.start;
                self.start += nl + 1;
                self.offset += nl as u64 + 1;
                if let Some(prior) = skipped {
                    return Ok(Some(At {
                        offset: offset - prior,
                        line: Line::TooLong {
                            len: prior + nl as u64,
                            terminated: true,
                        },
                    }));
                }
                if nl > self.max_line {
                    return Ok(Some(At {
                        offset,
                        line: Line::TooLong {
                            len: nl as u64,
                            terminated: true,
                        },
                    }));
                }
                let bytes = &self.buf[line_start..line_start + nl];
                return Ok(Some(At {
                    offset,
                    line: Line::Text {
                        bytes,
                        terminated: true,
                    },
                }));
            }
            if self.eof {
                if self.start == self.end && skipped.is_none() {
                    return Ok(None);
                }
                let offset = self.offset;
                let len = (self.end - self.start) as u64;
                let line_start = self.start;
                self.start = self.end;
                self.offset += len;
                if let Some(prior) = skipped {
                    return Ok(Some(At {
                        offset: offset - prior,
                        line: Line::TooLong {
                            len: prior + len,
                            terminated: false,
                        },
                    }));
                }
                if len as usize > self.max_line {
                    return Ok(Some(At {
                        offset,
                        line: Line::TooLong {
                            len,
                            terminated: false,
                        },
                    }));
                }
                let bytes = &self.buf[line_start..self.end];
                return Ok(Some(At {
                    offset,
                    line: Line::Text {
                        bytes,
                        terminated: false,
                    },
                }));
            }
            // No newline in the buffered bytes: make room and read more.
            let pending = self.end - self.start;
            if pending > self.max_line {
                // The current line is already too long: drop its bytes, remember how many.
                *skipped.get_or_insert(0) += pending as u64;
                self.offset += pending as u64;
                self.start = 0;
                self.end = 0;
            } else if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.start = 0;
                self.end = pending;
            }
            let n = read_retrying(&mut self.src, &mut self.buf[self.end..])?;
            if n == 0 {
                self.eof = true;
            }
            self.end += n;
        }
    }
}

/// Position of the first `\n`, eight bytes at a time (the verifier's hottest loop after the
/// MAC): a word has a zero byte where `word ^ pattern` is zero, found with the classic
/// `(w - 0x01..) & !w & 0x80..` test, whose lowest set bit is exact.
pub(crate) fn find_newline(hay: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const PATTERN: u64 = ONES * b'\n' as u64;
    let mut chunks = hay.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word) ^ PATTERN;
        let found = w.wrapping_sub(ONES) & !w & HIGHS;
        if found != 0 {
            return Some(base + (found.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'\n')
        .map(|p| base + p)
}

fn read_retrying<R: Read>(src: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match src.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Reads lines back to front from a file of known length, in blocks via `pread`.
pub(crate) struct ReverseLines<'f> {
    file: &'f File,
    /// Bytes of the file range `[win_start, win_start + win.len())`.
    win: Vec<u8>,
    win_start: u64,
    /// Exclusive end of the next line to return (its newline, if any, is at `end`).
    end: u64,
    done: bool,
    /// Whether the next line returned is the file's last and has no newline.
    next_unterminated: bool,
    ends_nl: bool,
    block: usize,
    max_line: usize,
}

impl<'f> ReverseLines<'f> {
    /// Starts at `len` (normally the file length). `block` is the first read size; it doubles
    /// on every further read up to 1 MiB.
    pub(crate) fn new(file: &'f File, len: u64, block: usize, max_line: usize) -> io::Result<Self> {
        let mut r = ReverseLines {
            file,
            win: Vec::new(),
            win_start: len,
            end: len,
            done: len == 0,
            next_unterminated: false,
            ends_nl: false,
            block: block.max(64),
            max_line,
        };
        if len > 0 {
            r.extend_window()?;
            if r.win.last() == Some(&b'\n') {
                r.end = len - 1;
                r.ends_nl = true;
            } else {
                r.next_unterminated = true;
            }
        }
        Ok(r)
    }

    /// Whether the file ends with a newline (false for an empty file).
    pub(crate) fn ends_with_newline(&self) -> bool {
        self.ends_nl
    }

    fn extend_window(&mut self) -> io::Result<()> {
        let take = (self.block as u64).min(self.win_start) as usize;
        let new_start = self.win_start - take as u64;
        let keep = (self.end - self.win_start) as usize;
        let mut fresh = vec![0u8; take + keep];
        self.file.read_exact_at(&mut fresh[..take], new_start)?;
        fresh[take..].copy_from_slice(&self.win[..keep.min(self.win.len())]);
        self.win = fresh;
        self.win_start = new_start;
        self.block = (self.block * 2).min(1 << 20);
        Ok(())
    }

    /// The previous line, or `None` once the start of the file has been returned.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<At<'_>>> {
        if self.done {
            return Ok(None);
        }
        let terminated = !std::mem::take(&mut self.next_unterminated);
        loop {
            let rel_end = (self.end - self.win_start) as usize;
            if let Some(p) = self.win[..rel_end].iter().rposition(|&b| b == b'\n') {
                let line_start = self.win_start + p as u64 + 1;
                self.end = self.win_start + p as u64;
                return Ok(Some(self.text_or_long(
                    p + 1,
                    rel_end,
                    line_start,
                    terminated,
                )));
            }
            if self.win_start == 0 {
                self.done = true;
                return Ok(Some(self.text_or_long(0, rel_end, 0, terminated)));
            }
            if rel_end > self.max_line {
                return self.skip_long_line(terminated).map(Some);
            }
            self.extend_window()?;
        }
    }

    fn text_or_long(&self, from: usize, to: usize, offset: u64, terminated: bool) -> At<'_> {
        let len = to - from;
        let line = if len > self.max_line {
            Line::TooLong {
                len: len as u64,
                terminated,
            }
        } else {
            Line::Text {
                bytes: &self.win[from..to],
                terminated,
            }
        };
        At { offset, line }
    }

    /// Scans back to the start of an over-long line without keeping its bytes.
    fn skip_long_line(&mut self, terminated: bool) -> io::Result<At<'static>> {
        let line_end = self.end;
        self.win.clear();
        loop {
            if self.win_start == 0 {
                self.done = true;
                self.end = 0;
                return Ok(At {
                    offset: 0,
                    line: Line::TooLong {
                        len: line_end,
                        terminated,
                    },
                });
            }
            let take = (self.block as u64).min(self.win_start) as usize;
            let start = self.win_start - take as u64;
            let mut block = vec![0u8; take];
            self.file.read_exact_at(&mut block, start)?;
            self.block = (self.block * 2).min(1 << 20);
            if let Some(p) = block.iter().rposition(|&b| b == b'\n') {
                let line_start = start + p as u64 + 1;
                block.truncate(p + 1);
                self.win = block;
                self.win_start = start;
                self.end = line_start - 1;
                return Ok(At {
                    offset: line_start,
                    line: Line::TooLong {
                        len: line_end - line_start,
                        terminated,
                    },
                });
            }
            self.win_start = start;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::io::Write;

    fn collect_forward(data: &[u8], max: usize) -> Vec<(u64, String, bool)> {
        let mut r = ForwardLines::new(data, max);
        let mut out = Vec::new();
        while let Some(at) = r.next_line().unwrap() {
            out.push(describe(at));
        }
        out
    }

    fn describe(at: At<'_>) -> (u64, String, bool) {
        match at.line {
            Line::Text { bytes, terminated } => (
                at.offset,
                String::from_utf8_lossy(bytes).into_owned(),
                terminated,
            ),
            Line::TooLong { len, terminated } => (at.offset, format!("<long {len}>"), terminated),
        }
    }

    fn collect_reverse(data: &[u8], block: usize, max: usize) -> Vec<(u64, String, bool)> {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(data).unwrap();
        let mut r = ReverseLines::new(&f, data.len() as u64, block, max).unwrap();
        let mut out = Vec::new();
        while let Some(at) = r.next_line().unwrap() {
            out.push(describe(at));
        }
        out.reverse();
        out
    }

    #[test]
    fn forward_and_reverse_agree_on_many_shapes() {
        let long = "y".repeat(300);
        let inputs: Vec<String> = vec![
            "".into(),
            "\n".into(),
            "a".into(),
            "a\n".into(),
            "a\nbb\n".into(),
            "a\nbb".into(),
            "a\n\n\nb\n".into(),
            format!("a\n{long}\nc\n"),
            format!("{long}\nshort\n{long}"),
        ];
        for input in &inputs {
            for max in [10usize, 1000] {
                let fwd = collect_forward(input.as_bytes(), max);
                for block in [1usize, 7, 64, 4096] {
                    let rev = collect_reverse(input.as_bytes(), block, max);
                    assert_eq!(fwd, rev, "input {input:?} block {block} max {max}");
                }
            }
        }
        assert_eq!(
            collect_forward(b"a\nbb", 10),
            vec![(0, "a".into(), true), (2, "bb".into(), false)]
        );
        assert_eq!(
            collect_forward(format!("a\n{long}\nc").as_bytes(), 10),
            vec![
                (0, "a".into(), true),
                (2, "<long 300>".into(), true),
                (303, "c".into(), false)
            ]
        );
    }

    #[test]
    fn forward_handles_lines_spanning_many_reads() {
        // A reader that returns 3 bytes at a time exercises the buffer compaction.
        struct Slow<'a>(&'a [u8]);
        impl Read for Slow<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(3).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let data = b"hello world\nsecond line\nx";
        let mut r = ForwardLines::new(Slow(data), 100);
        let mut got = Vec::new();
        while let Some(at) = r.next_line().unwrap() {
            got.push(describe(at));
        }
        assert_eq!(got, collect_forward(data, 100));
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn find_newline_matches_a_plain_search() {
        let mut data: Vec<u8> = (0..200u32).map(|i| (i * 37 % 251) as u8).collect();
        data.retain(|&b| b != b'\n');
        assert_eq!(find_newline(&data), None);
        for at in [0, 1, 7, 8, 9, 63, 150, 199] {
            for extra in [None, Some(at + 1), Some(at + 9)] {
                let mut d = data.clone();
                d.truncate(200);
                d.insert(at, b'\n');
                if let Some(e) = extra.filter(|&e| e < d.len()) {
                    d[e] = b'\n';
                }
                for len in [at + 1, at + 5, d.len()] {
                    let hay = &d[..len.min(d.len())];
                    assert_eq!(
                        find_newline(hay),
                        hay.iter().position(|&b| b == b'\n'),
                        "{at}"
                    );
                }
            }
        }
        // Bytes around 0x0a and 0x8a must not confuse the bit trick.
        let tricky = [0x0b, 0x09, 0x8a, 0x0a, 0x00, 0xff, 0x0a, 0x01];
        assert_eq!(find_newline(&tricky), Some(3));
    }

    #[test]
    fn reverse_reports_trailing_newline() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"a\nb").unwrap();
        assert!(
            !ReverseLines::new(&f, 3, 64, 100)
                .unwrap()
                .ends_with_newline()
        );
        assert!(
            ReverseLines::new(&f, 2, 64, 100)
                .unwrap()
                .ends_with_newline()
        );
        assert!(
            !ReverseLines::new(&f, 0, 64, 100)
                .unwrap()
                .ends_with_newline()
        );
    }
}
