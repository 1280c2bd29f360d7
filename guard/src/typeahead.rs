//! `exec --typeahead`: hands the input the program never read back to lasso.
//!
//! In lasso's gated REPL every line runs as its own TTY exec, and keys typed while it runs
//! go to that program's terminal. A real shell gets unread input back after the program exits
//! (it stays in the TTY's input queue); here the terminal dies with the exec, so the guard,
//! which outlives the program on the same terminal, drains it and returns it out of band:
//!
//! 1. After the program and everything it started are gone, the guard turns the terminal's
//!    canonical mode, echo and signals off (leaving canonical mode makes a half-typed line
//!    readable too; the kernel already applied erase and Ctrl-U to what it queued) and prints
//!    `ESC _ lasso-typeahead;<key>;ready;<token> ESC \`.
//! 2. lasso stops forwarding keys to the terminal (it keeps later ones itself) and writes
//!    `ESC _ lasso-typeahead-end;<token> ESC \` into it. Because the terminal's input is one
//!    ordered stream, everything lasso forwarded earlier is in the queue before that marker.
//! 3. The guard reads up to the marker and prints `ESC _ lasso-typeahead;<key>;data;<hex> ESC \`;
//!    lasso strips both frames from the output and feeds the bytes to its line editor, where
//!    they are gated like any typed line.
//!
//! `<key>` authenticates the frames: lasso passes a fresh random key per run in
//! `LASSO_TYPEAHEAD_KEY`, which the guard removes from its environment before the program
//! starts (and the guard is not dumpable, so `/proc/<guard>/environ` is closed to the
//! sandbox), so program output cannot forge a frame and inject keys. `<token>` is the guard's
//! own random value, so typed input cannot end the drain early by accident. Everything is
//! best effort: the program's exit status is the guard's whatever happens here.

use std::os::fd::RawFd;
use std::time::{Duration, Instant};

use crate::sys;

/// The environment variable carrying the per-run frame key.
pub const KEY_ENV: &str = "LASSO_TYPEAHEAD_KEY";
/// Start of every frame the guard prints (then `<key>;`).
const FRAME_START: &[u8] = b"\x1b_lasso-typeahead;";
/// Start of the end marker lasso writes (then `<token>`).
const END_START: &[u8] = b"\x1b_lasso-typeahead-end;";
/// String terminator closing frames and the marker.
const ST: &[u8] = b"\x1b\\";
/// Most input handed back (a terminal's own input queue holds 4 KiB).
pub const MAX_INPUT: usize = 64 << 10;
/// How long to wait for lasso's end marker; only a broken connection takes this long.
const WAIT: Duration = Duration::from_secs(60);

/// Takes the frame key out of the environment (so the program never inherits it). The key
/// must be 32 to 128 lowercase hex digits: lasso generates it; anything else is a bug.
pub fn take_key() -> Result<String, String> {
    let key = std::env::var(KEY_ENV).map_err(|_| {
        format!("--typeahead needs the frame key in {KEY_ENV} (set by lasso for each run)")
    })?;
    // Overwrite the value where it lives, then unset it: the initial environment block stays
    // in memory (it is what /proc/<pid>/environ shows) and the forked child, dumpable again
    // until its execve, would otherwise carry the key in it.
    // SAFETY: the guard is single-threaded (it never spawns threads), so nothing reads the
    // environment concurrently; getenv returns the NUL-terminated value inside the process's
    // own writable environment strings, and we write only within its length.
    unsafe {
        let name = c"LASSO_TYPEAHEAD_KEY";
        let value = libc::getenv(name.as_ptr());
        if !value.is_null() {
            std::ptr::write_bytes(value.cast::<u8>(), b'0', libc::strlen(value));
        }
        std::env::remove_var(KEY_ENV);
    }
    if !valid_key(&key) {
        return Err(format!(
            "{KEY_ENV} must be 32 to 128 lowercase hex digits (got {} characters)",
            key.len()
        ));
    }
    Ok(key)
}

fn valid_key(key: &str) -> bool {
    (32..=128).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `ESC _ lasso-typeahead;<key>;<body> ESC \`.
pub fn frame(key: &str, body: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(FRAME_START.len() + key.len() + body.len() + 3);
    f.extend_from_slice(FRAME_START);
    f.extend_from_slice(key.as_bytes());
    f.push(b';');
    f.extend_from_slice(body);
    f.extend_from_slice(ST);
    f
}

/// The end marker lasso writes for `token`.
pub fn end_marker(token: &str) -> Vec<u8> {
    let mut m = END_START.to_vec();
    m.extend_from_slice(token.as_bytes());
    m.extend_from_slice(ST);
    m
}

/// Lowercase hex of `bytes` (frames carry no control bytes, so output processing such as
/// `\n` → `\r\n` cannot alter them).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// Position of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A fresh random token (16 bytes as hex) from the kernel.
fn token() -> Result<String, String> {
    let mut buf = [0u8; 16];
    let mut got = 0;
    while got < buf.len() {
        // SAFETY: the pointer and length describe the unfilled tail of `buf`.
        let n = unsafe { libc::getrandom(buf[got..].as_mut_ptr().cast(), buf.len() - got, 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(format!("getrandom failed: {}", sys::describe(&e)));
        }
        got += n as usize;
    }
    Ok(hex(&buf))
}

/// Runs the hand-back on the terminal `input` / `output` (fd 0 and 1 in a sandbox). Called
/// only once the program's whole process tree is gone, so nothing else reads the terminal.
/// Silent when `input` is not a terminal; problems are reported on stderr, never fatal.
pub fn hand_back(input: RawFd, output: RawFd, key: &str) {
    if let Err(e) = hand_back_inner(input, output, key, WAIT) {
        sys::eprint_line(&format!(
            "lasso-guard: typed-ahead input was not returned: {e}"
        ));
    }
}

fn hand_back_inner(input: RawFd, output: RawFd, key: &str, wait: Duration) -> Result<(), String> {
    // SAFETY: isatty only inspects the descriptor.
    if unsafe { libc::isatty(input) } != 1 {
        return Ok(());
    }
    let token = token()?;
    // SAFETY: termios is plain data, filled in by tcgetattr before use.
    let mut saved: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: `saved` is a valid out pointer.
    sys::cvt(unsafe { libc::tcgetattr(input, &mut saved) })
        .map_err(|e| format!("tcgetattr: {}", sys::describe(&e)))?;
    let mut raw = saved;
    raw.c_lflag &= !(libc::ICANON | libc::ECHO | libc::ECHONL | libc::ISIG | libc::IEXTEN);
    // Without IXON a Ctrl-S typed earlier no longer holds our frames back.
    raw.c_iflag &= !libc::IXON;
    raw.c_cc[libc::VMIN] = 0;
    raw.c_cc[libc::VTIME] = 0;
    // SAFETY: `raw` is a valid termios; SIGTTOU is blocked and we hold the foreground.
    sys::cvt(unsafe { libc::tcsetattr(input, libc::TCSANOW, &raw) })
        .map_err(|e| format!("tcsetattr: {}", sys::describe(&e)))?;
    let result = exchange(input, output, key, &token, wait);
    // SAFETY: restoring the attributes read above.
    unsafe { libc::tcsetattr(input, libc::TCSANOW, &saved) };
    result
}

/// Steps 1–3 of the module docs, on a terminal already in raw mode.
fn exchange(
    input: RawFd,
    output: RawFd,
    key: &str,
    token: &str,
    wait: Duration,
) -> Result<(), String> {
    let ready = frame(key, format!("ready;{token}").as_bytes());
    sys::write_all(output, &ready).map_err(|e| format!("writing: {}", sys::describe(&e)))?;
    let marker = end_marker(token);
    let typed = read_until(input, &marker, Instant::now() + wait)?;
    let data = frame(key, format!("data;{}", hex(&typed)).as_bytes());
    sys::write_all(output, &data).map_err(|e| format!("writing: {}", sys::describe(&e)))
}

/// Reads `fd` until `marker` arrives (returns what came before it), the deadline passes or
/// the other side hangs up (returns what arrived), keeping at most [`MAX_INPUT`] bytes.
fn read_until(fd: RawFd, marker: &[u8], deadline: Instant) -> Result<Vec<u8>, String> {
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(at) = find(&buf, marker) {
            buf.truncate(at);
            break;
        }
        if buf.len() >= MAX_INPUT + marker.len() {
            break;
        }
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        let ms = (deadline - now).as_millis().min(i32::MAX as u128) as i32 + 1;
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: `p` is one valid pollfd.
        let r = unsafe { libc::poll(&mut p, 1, ms) };
        if r < 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(format!("poll: {}", sys::describe(&e)));
        }
        if r == 0 {
            continue;
        }
        if p.revents & libc::POLLIN != 0 {
            // SAFETY: `chunk` is valid for writes of its whole length.
            let n = unsafe { libc::read(fd, chunk.as_mut_ptr().cast(), chunk.len()) };
            if n > 0 {
                buf.extend_from_slice(&chunk[..n as usize]);
                continue;
            }
            if n < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            // Readable yet nothing to read (hung up) or an error such as EIO (not the
            // terminal's foreground any more): nothing more will come.
            break;
        }
        if p.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
            break;
        }
    }
    buf.truncate(MAX_INPUT);
    Ok(buf)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn frames_and_marker_have_the_documented_bytes() {
        assert_eq!(
            frame(KEY, b"data;6c730a"),
            format!("\x1b_lasso-typeahead;{KEY};data;6c730a\x1b\\").into_bytes()
        );
        assert_eq!(end_marker("ab12"), b"\x1b_lasso-typeahead-end;ab12\x1b\\");
        assert_eq!(hex(b"ls\n\x1b\xff"), "6c730a1bff");
        assert_eq!(hex(b""), "");
    }

    #[test]
    fn keys_must_be_long_lowercase_hex() {
        assert!(valid_key(KEY));
        assert!(!valid_key("0123"));
        assert!(!valid_key(&KEY.to_uppercase().replace('0', "A")));
        assert!(!valid_key(&format!("{KEY};x")));
        assert!(!valid_key(&"a".repeat(129)));
    }

    #[test]
    fn the_key_name_matches_the_scrubbed_one() {
        assert_eq!(c"LASSO_TYPEAHEAD_KEY".to_str().unwrap(), KEY_ENV);
    }

    #[test]
    fn tokens_are_fresh_hex() {
        let (a, b) = (token().unwrap(), token().unwrap());
        assert_eq!(a.len(), 32);
        assert!(valid_key(&a));
        assert_ne!(a, b);
    }

    fn openpty() -> (RawFd, RawFd) {
        let (mut master, mut slave) = (0, 0);
        // SAFETY: valid out pointers; null name/termios/winsize are allowed.
        let r = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(r, 0, "openpty: {}", std::io::Error::last_os_error());
        (master, slave)
    }

    /// Reads `fd` into `seen` until a frame starting with `start` is complete after byte
    /// `from`; returns its body and the end of the frame.
    fn read_frame(fd: RawFd, seen: &mut Vec<u8>, from: usize, start: &str) -> (String, usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(at) = find(&seen[from..], start.as_bytes()) {
                let body = from + at + start.len();
                if let Some(len) = find(&seen[body..], ST) {
                    let text = String::from_utf8(seen[body..body + len].to_vec()).unwrap();
                    return (text, body + len + ST.len());
                }
            }
            assert!(Instant::now() < deadline, "{start:?} never came: {seen:?}");
            read_some(fd, seen);
        }
    }

    /// Reads what is there within a second (never blocks longer, so a broken hand-back
    /// fails the test at its deadline instead of hanging it).
    fn read_some(fd: RawFd, seen: &mut Vec<u8>) {
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut p, 1, 1000) } <= 0 {
            return;
        }
        let mut chunk = [0u8; 4096];
        // SAFETY: `chunk` is valid for writes of its whole length.
        let n = unsafe { libc::read(fd, chunk.as_mut_ptr().cast(), chunk.len()) };
        assert!(n > 0, "read: {}", std::io::Error::last_os_error());
        seen.extend_from_slice(&chunk[..n as usize]);
    }

    fn wait_for(fd: RawFd, seen: &mut Vec<u8>, needle: &[u8]) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while find(seen, needle).is_none() {
            assert!(Instant::now() < deadline, "{needle:?} never came: {seen:?}");
            read_some(fd, seen);
        }
    }

    /// The real kernel's terminal: a queued line and a half-typed one (edited with erase
    /// while canonical) come back, keys sent after `ready` but before the marker too, and
    /// what follows the marker does not.
    #[test]
    fn a_real_terminal_hands_back_unread_input() {
        let (master, slave) = openpty();
        // Typed while the "program" ran, never read: a whole line and a half-typed one with
        // a backspace that the canonical line discipline applies.
        sys::write_all(master, b"echo one\rtwx\x7fo").unwrap();
        // The line discipline works asynchronously: once the last key's echo is out, it has
        // queued everything under canonical rules (as keys typed while a program ran are).
        let mut seen = Vec::new();
        wait_for(master, &mut seen, b"\x08 \x08o");
        let worker =
            std::thread::spawn(move || hand_back_inner(slave, slave, KEY, Duration::from_secs(60)));
        let echoed = seen.len();
        let (ready, at) = read_frame(
            master,
            &mut seen,
            echoed,
            &format!("\x1b_lasso-typeahead;{KEY};"),
        );
        let token = ready.strip_prefix("ready;").unwrap().to_string();
        assert!(valid_key(&token), "{ready:?}");
        // Sent after `ready`: still handed back (it precedes the marker); after the marker:
        // not.
        let mut late = b"more".to_vec();
        late.extend_from_slice(&end_marker(&token));
        late.extend_from_slice(b"after");
        sys::write_all(master, &late).unwrap();
        let (data, _) = read_frame(
            master,
            &mut seen,
            at,
            &format!("\x1b_lasso-typeahead;{KEY};"),
        );
        assert_eq!(data, format!("data;{}", hex(b"echo one\ntwomore")));
        worker.join().unwrap().unwrap();
        // The echo of the typed keys came before `ready`; nothing was echoed after it.
        assert!(!String::from_utf8_lossy(&seen[echoed..]).contains("more"));
        // The attributes are restored: canonical mode and echo are back on.
        // SAFETY: termios is plain data; tcgetattr fills it.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::tcgetattr(slave, &mut t) }, 0);
        assert_ne!(t.c_lflag & libc::ICANON, 0);
        assert_ne!(t.c_lflag & libc::ECHO, 0);
        unsafe {
            libc::close(master);
            libc::close(slave);
        }
    }

    #[test]
    fn not_a_terminal_is_a_silent_no_op() {
        let mut fds = [0; 2];
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        hand_back_inner(fds[0], fds[1], KEY, Duration::from_secs(1)).unwrap();
        unsafe { libc::close(fds[1]) };
        let mut b = [0u8; 8];
        // Nothing was written: the read sees end of file.
        assert_eq!(unsafe { libc::read(fds[0], b.as_mut_ptr().cast(), 8) }, 0);
        unsafe { libc::close(fds[0]) };
    }
}
