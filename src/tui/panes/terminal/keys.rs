//! Keys and pastes as the program in the terminal expects to read them: the bytes an xterm
//! sends. Cursor keys honour the application cursor mode the program switched on (what
//! `vim` and `less` do), modified keys use xterm's `CSI 1;m X` form, Alt prefixes ESC, and a
//! paste is bracketed only when the program asked for it (so a shell cannot be made to run a
//! pasted line it did not see as a paste).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Whether `key` is the key that gives the keyboard back to lasso (Ctrl-]). A terminal sends
/// it as byte 0x1d, which crossterm reports as Ctrl-5 in the legacy encoding.
pub fn is_release(key: &KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL)
        && matches!(key.code, KeyCode::Char(']') | KeyCode::Char('5'))
}

/// xterm's modifier parameter: 1 + shift + 2·alt + 4·ctrl (1 means none).
fn modifier_param(m: KeyModifiers) -> u8 {
    1 + u8::from(m.contains(KeyModifiers::SHIFT))
        + 2 * u8::from(m.contains(KeyModifiers::ALT))
        + 4 * u8::from(m.contains(KeyModifiers::CONTROL))
}

/// `CSI final` or, with modifiers, `CSI 1;m final`; in application cursor mode unmodified
/// keys are `SS3 final`.
fn cursor_key(final_byte: u8, m: KeyModifiers, app_cursor: bool) -> Vec<u8> {
    let p = modifier_param(m);
    if p > 1 {
        format!("\x1b[1;{p}{}", final_byte as char).into_bytes()
    } else if app_cursor {
        vec![0x1b, b'O', final_byte]
    } else {
        vec![0x1b, b'[', final_byte]
    }
}

/// `CSI n ~` or, with modifiers, `CSI n;m ~`.
fn tilde_key(n: u8, m: KeyModifiers) -> Vec<u8> {
    let p = modifier_param(m);
    if p > 1 {
        format!("\x1b[{n};{p}~").into_bytes()
    } else {
        format!("\x1b[{n}~").into_bytes()
    }
}

/// The control byte of Ctrl+`c`, when there is one.
fn control_byte(c: char) -> Option<u8> {
    match c {
        'a'..='z' => Some(c as u8 - b'a' + 1),
        'A'..='Z' => Some(c as u8 - b'A' + 1),
        '@' | ' ' | '2' => Some(0),
        '[' | '3' => Some(0x1b),
        '\\' | '4' => Some(0x1c),
        ']' | '5' => Some(0x1d),
        '^' | '6' => Some(0x1e),
        '_' | '-' | '7' => Some(0x1f),
        '?' | '8' => Some(0x7f),
        _ => None,
    }
}

/// The bytes a terminal sends for `key`; `None` for keys that send nothing (a lone modifier,
/// media keys). `app_cursor` is the program's application cursor mode.
pub fn encode(key: &KeyEvent, app_cursor: bool) -> Option<Vec<u8>> {
    let m = key.modifiers;
    let alt = m.contains(KeyModifiers::ALT);
    let ctrl = m.contains(KeyModifiers::CONTROL);
    // Keys whose plain form is one byte (or a short string): Alt puts ESC in front.
    let simple: Option<Vec<u8>> = match key.code {
        KeyCode::Char(c) if ctrl => control_byte(c).map(|b| vec![b]),
        KeyCode::Char(c) => {
            let mut buf = [0u8; 4];
            Some(c.encode_utf8(&mut buf).as_bytes().to_vec())
        }
        KeyCode::Enter => Some(vec![b'\r']),
        KeyCode::Tab => Some(vec![b'\t']),
        KeyCode::Backspace => Some(vec![if ctrl { 0x08 } else { 0x7f }]),
        KeyCode::Esc => Some(vec![0x1b]),
        _ => None,
    };
    if let Some(bytes) = simple {
        return Some(if alt {
            let mut v = vec![0x1b];
            v.extend(bytes);
            v
        } else {
            bytes
        });
    }
    Some(match key.code {
        KeyCode::BackTab => b"\x1b[Z".to_vec(),
        KeyCode::Up => cursor_key(b'A', m, app_cursor),
        KeyCode::Down => cursor_key(b'B', m, app_cursor),
        KeyCode::Right => cursor_key(b'C', m, app_cursor),
        KeyCode::Left => cursor_key(b'D', m, app_cursor),
        KeyCode::Home => cursor_key(b'H', m, app_cursor),
        KeyCode::End => cursor_key(b'F', m, app_cursor),
        KeyCode::Insert => tilde_key(2, m),
        KeyCode::Delete => tilde_key(3, m),
        KeyCode::PageUp => tilde_key(5, m),
        KeyCode::PageDown => tilde_key(6, m),
        KeyCode::F(n @ 1..=4) => {
            let final_byte = b'P' + (n - 1);
            let p = modifier_param(m);
            if p > 1 {
                format!("\x1b[1;{p}{}", final_byte as char).into_bytes()
            } else {
                vec![0x1b, b'O', final_byte]
            }
        }
        KeyCode::F(n @ 5..=12) => {
            let code = [15, 17, 18, 19, 20, 21, 23, 24][usize::from(n - 5)];
            tilde_key(code, m)
        }
        _ => return None,
    })
}

/// A paste as the program should receive it: line ends as Enter would send them, wrapped in
/// `ESC[200~ … ESC[201~` when the program enabled bracketed paste. The end marker is removed
/// from the text so a paste cannot end its own bracket early.
pub fn encode_paste(text: &str, bracketed: bool) -> Vec<u8> {
    let body = text.replace("\r\n", "\r").replace('\n', "\r");
    if bracketed {
        let body = body.replace("\x1b[201~", "");
        let mut v = b"\x1b[200~".to_vec();
        v.extend(body.as_bytes());
        v.extend(b"\x1b[201~");
        v
    } else {
        body.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    fn enc(code: KeyCode, m: KeyModifiers) -> Vec<u8> {
        encode(&k(code, m), false).unwrap_or_default()
    }

    const NONE: KeyModifiers = KeyModifiers::NONE;
    const CTRL: KeyModifiers = KeyModifiers::CONTROL;
    const ALT: KeyModifiers = KeyModifiers::ALT;
    const SHIFT: KeyModifiers = KeyModifiers::SHIFT;

    #[test]
    fn printable_keys_and_the_keys_lasso_uses_elsewhere_go_through() {
        assert_eq!(enc(KeyCode::Char('q'), NONE), b"q");
        assert_eq!(enc(KeyCode::Char('Q'), SHIFT), b"Q");
        assert_eq!(enc(KeyCode::Char('é'), NONE), "é".as_bytes());
        assert_eq!(enc(KeyCode::Enter, NONE), b"\r");
        assert_eq!(enc(KeyCode::Tab, NONE), b"\t");
        assert_eq!(enc(KeyCode::BackTab, SHIFT), b"\x1b[Z");
        assert_eq!(enc(KeyCode::Backspace, NONE), b"\x7f");
        assert_eq!(enc(KeyCode::Esc, NONE), b"\x1b");
    }

    #[test]
    fn control_keys() {
        assert_eq!(enc(KeyCode::Char('c'), CTRL), [3]);
        assert_eq!(enc(KeyCode::Char('d'), CTRL), [4]);
        assert_eq!(enc(KeyCode::Char('a'), CTRL), [1]);
        assert_eq!(enc(KeyCode::Char('z'), CTRL), [26]);
        assert_eq!(enc(KeyCode::Char(' '), CTRL), [0]);
        assert_eq!(enc(KeyCode::Char('\\'), CTRL), [0x1c]);
        assert_eq!(enc(KeyCode::Char('4'), CTRL), [0x1c], "crossterm's Ctrl-\\");
        assert_eq!(enc(KeyCode::Char('_'), CTRL), [0x1f]);
        assert_eq!(enc(KeyCode::Backspace, CTRL), [0x08]);
        assert!(is_release(&k(KeyCode::Char(']'), CTRL)));
        assert!(is_release(&k(KeyCode::Char('5'), CTRL)));
        assert!(!is_release(&k(KeyCode::Char(']'), NONE)));
    }

    #[test]
    fn alt_prefixes_escape() {
        assert_eq!(enc(KeyCode::Char('b'), ALT), b"\x1bb");
        assert_eq!(enc(KeyCode::Char('x'), ALT | CTRL), [0x1b, 24]);
        assert_eq!(enc(KeyCode::Enter, ALT), b"\x1b\r");
        assert_eq!(enc(KeyCode::Backspace, ALT), b"\x1b\x7f");
    }

    #[test]
    fn cursor_keys_follow_the_application_cursor_mode() {
        assert_eq!(enc(KeyCode::Up, NONE), b"\x1b[A");
        assert_eq!(enc(KeyCode::Left, NONE), b"\x1b[D");
        assert_eq!(enc(KeyCode::Home, NONE), b"\x1b[H");
        assert_eq!(enc(KeyCode::End, NONE), b"\x1b[F");
        let app = |c| encode(&k(c, NONE), true).unwrap_or_default();
        assert_eq!(app(KeyCode::Up), b"\x1bOA");
        assert_eq!(app(KeyCode::Down), b"\x1bOB");
        assert_eq!(app(KeyCode::Right), b"\x1bOC");
        assert_eq!(app(KeyCode::Home), b"\x1bOH");
        // Modified cursor keys use the CSI form in both modes.
        assert_eq!(enc(KeyCode::Right, CTRL), b"\x1b[1;5C");
        assert_eq!(
            encode(&k(KeyCode::Up, SHIFT), true).unwrap_or_default(),
            b"\x1b[1;2A"
        );
        assert_eq!(enc(KeyCode::Left, ALT), b"\x1b[1;3D");
    }

    #[test]
    fn editing_and_function_keys() {
        assert_eq!(enc(KeyCode::Insert, NONE), b"\x1b[2~");
        assert_eq!(enc(KeyCode::Delete, NONE), b"\x1b[3~");
        assert_eq!(enc(KeyCode::PageUp, NONE), b"\x1b[5~");
        assert_eq!(enc(KeyCode::PageDown, CTRL), b"\x1b[6;5~");
        assert_eq!(enc(KeyCode::F(1), NONE), b"\x1bOP");
        assert_eq!(enc(KeyCode::F(4), NONE), b"\x1bOS");
        assert_eq!(enc(KeyCode::F(2), SHIFT), b"\x1b[1;2Q");
        assert_eq!(enc(KeyCode::F(5), NONE), b"\x1b[15~");
        assert_eq!(enc(KeyCode::F(10), NONE), b"\x1b[21~");
        assert_eq!(enc(KeyCode::F(12), NONE), b"\x1b[24~");
        assert_eq!(enc(KeyCode::F(12), CTRL), b"\x1b[24;5~");
        assert_eq!(encode(&k(KeyCode::F(13), NONE), false), None);
        assert_eq!(encode(&k(KeyCode::CapsLock, NONE), false), None);
    }

    #[test]
    fn pastes_are_bracketed_only_when_asked() {
        assert_eq!(encode_paste("ls\nrm x\n", false), b"ls\rrm x\r");
        assert_eq!(encode_paste("a\r\nb", false), b"a\rb");
        assert_eq!(
            encode_paste("ls\n", true),
            b"\x1b[200~ls\r\x1b[201~".to_vec()
        );
        // A paste that tries to close the bracket itself does not get to.
        assert_eq!(
            encode_paste("x\x1b[201~rm -rf /\n", true),
            b"\x1b[200~xrm -rf /\r\x1b[201~".to_vec()
        );
    }
}
