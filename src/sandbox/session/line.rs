//! The gated REPL's line discipline as a pure state machine: bytes in, echo and lines out.
//!
//! The REPL cannot hand line editing to a TTY inside the sandbox (no program runs while the
//! user types; a line only reaches the sandbox after the gate allowed it), so the service
//! edits the line itself, the way a cooked-mode terminal would: printable text (UTF-8) is
//! echoed, backspace erases one character, Ctrl-U the whole line, Ctrl-C abandons it,
//! Ctrl-D on an empty line ends the session, Enter submits. Escape sequences (arrow keys,
//! function keys) are swallowed whole rather than inserted as garbage, and so are control
//! strings (OSC, DCS, APC, …): a program that exits right after asking the terminal
//! something (its background colour, say) leaves the answer among the typed-ahead input that
//! comes back here. Keeping this free of I/O makes every key's effect unit-testable.

/// What feeding bytes into the editor produced, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LineAction {
    /// Bytes for the terminal (echo, erase sequences, a fresh prompt).
    Output(Vec<u8>),
    /// A submitted line (without its terminator). The caller prints the next prompt.
    Line(String),
    /// Ctrl-D on an empty line: end the session.
    Eof,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Esc {
    None,
    /// After ESC.
    Start,
    /// Inside `ESC [` ... (ends with a byte 0x40..=0x7e).
    Csi,
    /// After `ESC O` (one more byte).
    Ss3,
    /// Inside a control string (`ESC ]`, `ESC P`, `ESC _`, `ESC ^`, `ESC X`), which ends
    /// with BEL or `ESC \`. Any other control byte also ends it and then acts as usual, so
    /// Alt-] typed by hand cannot swallow the rest of the line.
    Str,
    /// After ESC inside a control string (perhaps the start of its terminator, `ESC \`).
    StrTerm,
}

/// Line editor state for one REPL.
#[derive(Debug, Clone)]
pub(crate) struct LineEditor {
    prompt: Vec<u8>,
    line: Vec<u8>,
    esc: Esc,
    /// The last byte was CR: a following LF belongs to the same Enter.
    after_cr: bool,
}

/// Longest line accepted; further typing is ignored (a gate line is never this long).
const MAX_LINE: usize = 64 * 1024;

impl LineEditor {
    pub(crate) fn new(prompt: impl Into<Vec<u8>>) -> LineEditor {
        LineEditor {
            prompt: prompt.into(),
            line: Vec::new(),
            esc: Esc::None,
            after_cr: false,
        }
    }

    /// The prompt bytes (printed at the start and after each line).
    pub(crate) fn prompt(&self) -> &[u8] {
        &self.prompt
    }

    /// What has been typed on the current line so far.
    #[cfg(test)]
    pub(crate) fn current(&self) -> &[u8] {
        &self.line
    }

    /// Feeds typed bytes up to and including the first submitted line (or end of session);
    /// returns what to print, the line, and how many bytes were consumed. The caller decides
    /// where the rest goes: typed ahead while a program runs, it is that program's input.
    /// Output pieces are merged so a burst of typing becomes one write.
    pub(crate) fn feed(&mut self, input: &[u8]) -> (Vec<LineAction>, usize) {
        let mut actions = Vec::new();
        let mut out = Vec::new();
        for (i, &b) in input.iter().enumerate() {
            let after_cr = std::mem::replace(&mut self.after_cr, false);
            match self.esc {
                Esc::Start => {
                    self.esc = match b {
                        b'[' => Esc::Csi,
                        b'O' => Esc::Ss3,
                        b']' | b'P' | b'_' | b'^' | b'X' => Esc::Str,
                        _ => Esc::None,
                    };
                    continue;
                }
                Esc::Str | Esc::StrTerm => {
                    let was_esc = self.esc == Esc::StrTerm;
                    match b {
                        0x07 => {
                            self.esc = Esc::None;
                            continue;
                        }
                        b'\\' if was_esc => {
                            self.esc = Esc::None;
                            continue;
                        }
                        0x1b => {
                            self.esc = Esc::StrTerm;
                            continue;
                        }
                        0x00..=0x1f => self.esc = Esc::None,
                        _ => {
                            self.esc = Esc::Str;
                            continue;
                        }
                    }
                }
                Esc::Csi => {
                    if (0x40..=0x7e).contains(&b) {
                        self.esc = Esc::None;
                    }
                    continue;
                }
                Esc::Ss3 => {
                    self.esc = Esc::None;
                    continue;
                }
                Esc::None => {}
            }
            match b {
                0x1b => self.esc = Esc::Start,
                b'\r' | b'\n' => {
                    if b == b'\n' && after_cr {
                        continue;
                    }
                    self.after_cr = b == b'\r';
                    out.extend_from_slice(b"\r\n");
                    flush(&mut actions, &mut out);
                    let bytes = std::mem::take(&mut self.line);
                    let line = String::from_utf8_lossy(&bytes).into_owned();
                    actions.push(LineAction::Line(line));
                    return (actions, i + 1);
                }
                0x7f | 0x08 => {
                    if self.erase_char() {
                        out.extend_from_slice(b"\x08 \x08");
                    }
                }
                0x15 => {
                    // Ctrl-U: erase the whole line and redraw the prompt.
                    self.line.clear();
                    out.extend_from_slice(b"\r\x1b[2K");
                    out.extend_from_slice(&self.prompt);
                }
                0x03 => {
                    // Ctrl-C: abandon the line, as a shell does.
                    self.line.clear();
                    out.extend_from_slice(b"^C\r\n");
                    out.extend_from_slice(&self.prompt);
                }
                0x04 => {
                    if self.line.is_empty() {
                        flush(&mut actions, &mut out);
                        actions.push(LineAction::Eof);
                        return (actions, i + 1);
                    }
                }
                0x0c => {
                    // Ctrl-L: clear the screen, keep the line.
                    out.extend_from_slice(b"\x1b[H\x1b[2J");
                    out.extend_from_slice(&self.prompt);
                    out.extend_from_slice(&self.line);
                }
                b'\t' => {
                    if self.line.len() < MAX_LINE {
                        self.line.push(b' ');
                        out.push(b' ');
                    }
                }
                0x00..=0x1f => {}
                _ => {
                    if self.line.len() < MAX_LINE {
                        self.line.push(b);
                        out.push(b);
                    }
                }
            }
        }
        flush(&mut actions, &mut out);
        (actions, input.len())
    }

    /// Removes the last character (a whole UTF-8 sequence); false if the line was empty.
    fn erase_char(&mut self) -> bool {
        let Some(mut last) = self.line.pop() else {
            return false;
        };
        // Continuation bytes are 10xxxxxx: keep popping until the lead byte is gone.
        while last & 0xc0 == 0x80 {
            match self.line.pop() {
                Some(b) => last = b,
                None => break,
            }
        }
        true
    }
}

fn flush(actions: &mut Vec<LineAction>, out: &mut Vec<u8>) {
    if !out.is_empty() {
        actions.push(LineAction::Output(std::mem::take(out)));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    impl LineEditor {
        /// Feeds everything, as if each line's program consumed nothing typed ahead.
        fn feed_all(&mut self, mut input: &[u8]) -> Vec<LineAction> {
            let mut all = Vec::new();
            while !input.is_empty() {
                let (actions, used) = self.feed(input);
                let eof = actions.contains(&LineAction::Eof);
                all.extend(actions);
                if eof {
                    break;
                }
                input = &input[used..];
            }
            all
        }
    }

    fn out(bytes: &[u8]) -> LineAction {
        LineAction::Output(bytes.to_vec())
    }

    fn line(s: &str) -> LineAction {
        LineAction::Line(s.to_string())
    }

    #[test]
    fn typing_echoes_and_enter_submits() {
        let mut e = LineEditor::new("$ ");
        assert_eq!(e.feed_all(b"ls -l"), vec![out(b"ls -l")]);
        assert_eq!(e.current(), b"ls -l");
        assert_eq!(e.feed_all(b"\r"), vec![out(b"\r\n"), line("ls -l")]);
        assert_eq!(e.current(), b"");
    }

    #[test]
    fn crlf_is_one_enter_and_lf_alone_works() {
        let mut e = LineEditor::new("$ ");
        assert_eq!(
            e.feed_all(b"a\r\nb\n"),
            vec![out(b"a\r\n"), line("a"), out(b"b\r\n"), line("b")]
        );
        // A CR at the end of one burst and its LF in the next are still one Enter.
        assert_eq!(e.feed_all(b"c\r"), vec![out(b"c\r\n"), line("c")]);
        assert_eq!(e.feed_all(b"\n"), vec![]);
        // An empty line is still a line (the caller just prompts again).
        assert_eq!(e.feed_all(b"\r"), vec![out(b"\r\n"), line("")]);
    }

    #[test]
    fn backspace_erases_whole_characters() {
        let mut e = LineEditor::new("$ ");
        e.feed_all("é1".as_bytes());
        assert_eq!(e.feed_all(b"\x7f"), vec![out(b"\x08 \x08")]);
        assert_eq!(e.feed_all(b"\x08"), vec![out(b"\x08 \x08")]);
        assert_eq!(e.current(), b"");
        // Nothing to erase: nothing printed.
        assert_eq!(e.feed_all(b"\x7f"), vec![]);
        assert_eq!(e.feed_all(b"ok\r"), vec![out(b"ok\r\n"), line("ok")]);
    }

    #[test]
    fn ctrl_u_clears_and_redraws_the_prompt() {
        let mut e = LineEditor::new("p> ");
        e.feed_all(b"rm -rf /");
        assert_eq!(e.feed_all(b"\x15"), vec![out(b"\r\x1b[2Kp> ")]);
        assert_eq!(e.feed_all(b"ls\r"), vec![out(b"ls\r\n"), line("ls")]);
    }

    #[test]
    fn feeding_stops_after_the_first_line() {
        let mut e = LineEditor::new("$ ");
        let (actions, used) = e.feed(b"cat\rtyped ahead");
        assert_eq!(actions, vec![out(b"cat\r\n"), line("cat")]);
        assert_eq!(used, 4);
        let (actions, used) = e.feed(b"\x04rest");
        assert_eq!((actions, used), (vec![LineAction::Eof], 1));
    }

    #[test]
    fn ctrl_c_abandons_the_line() {
        let mut e = LineEditor::new("$ ");
        e.feed_all(b"sleep 100");
        assert_eq!(e.feed_all(b"\x03"), vec![out(b"^C\r\n$ ")]);
        assert_eq!(e.current(), b"");
    }

    #[test]
    fn ctrl_d_ends_only_an_empty_line() {
        let mut e = LineEditor::new("$ ");
        e.feed_all(b"x");
        assert_eq!(e.feed_all(b"\x04"), vec![]);
        assert_eq!(e.current(), b"x");
        e.feed_all(b"\x7f");
        assert_eq!(e.feed_all(b"\x04more"), vec![LineAction::Eof]);
        // Output typed before the Ctrl-D in the same burst comes first.
        let mut e = LineEditor::new("$ ");
        assert_eq!(
            e.feed_all(b"ab\x15\x04"),
            vec![out(b"ab\r\x1b[2K$ "), LineAction::Eof]
        );
    }

    #[test]
    fn escape_sequences_are_swallowed() {
        let mut e = LineEditor::new("$ ");
        // Up arrow, F5 (CSI 15~), SS3 arrow, Alt-x.
        assert_eq!(
            e.feed_all(b"a\x1b[A\x1b[15~\x1bOBb\x1bxc"),
            vec![out(b"abc")]
        );
        // A sequence split across bursts.
        assert_eq!(e.feed_all(b"\x1b["), vec![]);
        assert_eq!(e.feed_all(b"1;5Cd"), vec![out(b"d")]);
        assert_eq!(e.current(), b"abcd");
    }

    #[test]
    fn control_strings_are_swallowed() {
        let mut e = LineEditor::new("$ ");
        // An OSC 11 answer (BEL-terminated), a DCS one split across bursts (ST-terminated),
        // then typing.
        assert_eq!(
            e.feed_all(b"a\x1b]11;rgb:0000/0000/0000\x07b\x1bP1$r0m\x1b"),
            vec![out(b"ab")]
        );
        assert_eq!(e.feed_all(b"\\c"), vec![out(b"c")]);
        assert_eq!(e.current(), b"abc");
        // Alt-] by hand, then more typing and Enter: the control byte ends the string.
        let mut e = LineEditor::new("$ ");
        assert_eq!(
            e.feed_all(b"x\x1b]oops\ry\r"),
            vec![out(b"x\r\n"), line("x"), out(b"y\r\n"), line("y")]
        );
    }

    #[test]
    fn other_controls_are_ignored_and_tab_is_a_space() {
        let mut e = LineEditor::new("$ ");
        assert_eq!(e.feed_all(b"a\x01\x02\tb"), vec![out(b"a b")]);
        assert_eq!(e.feed_all(b"\x0c"), vec![out(b"\x1b[H\x1b[2J$ a b")]);
    }

    #[test]
    fn long_lines_are_capped() {
        let mut e = LineEditor::new("$ ");
        e.feed_all(&vec![b'x'; MAX_LINE + 10]);
        assert_eq!(e.current().len(), MAX_LINE);
    }
}
