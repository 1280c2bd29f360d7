//! A real pseudo-terminal for end-to-end tests of the interactive front ends (the TUI,
//! `lasso interactive`, `lasso attach`): spawns a program on a portable-pty, keeps every byte
//! it printed and a vt100 screen of it, and lets a test type, resize and wait.
//!
//! Waits poll with generous deadlines: these tests run on a loaded 2-core CI machine, and a
//! deadline only bounds how long a broken build takes to fail, never how fast a good one is.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

use super::Lasso;

/// How long a test waits for text by default.
pub const WAIT: Duration = Duration::from_secs(60);

struct Captured {
    raw: Vec<u8>,
    screen: vt100::Parser,
}

/// A program running in a pseudo-terminal.
pub struct Pty {
    child: Box<dyn Child + Send + Sync>,
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    captured: Arc<Mutex<Captured>>,
    exit: Option<u32>,
}

impl Pty {
    /// Spawns `cmd` on a new pseudo-terminal of `cols`×`rows`.
    pub fn spawn(cmd: CommandBuilder, cols: u16, rows: u16) -> Pty {
        let system = native_pty_system();
        let pair = system
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let child = pair.slave.spawn_command(cmd).expect("spawn in the pty");
        // The child holds its own copy; keeping ours would stop EOF from reaching the reader.
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let captured = Arc::new(Mutex::new(Captured {
            raw: Vec::new(),
            screen: vt100::Parser::new(rows, cols, 0),
        }));
        let sink = captured.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let mut c = sink.lock().unwrap();
                        c.raw.extend_from_slice(&buf[..n]);
                        c.screen.process(&buf[..n]);
                    }
                }
            }
        });
        Pty {
            child,
            master: pair.master,
            writer,
            captured,
            exit: None,
        }
    }

    /// `lasso ARGS` of this test's instance (its LASSO_HOME), in a `cols`×`rows` terminal.
    pub fn lasso(l: &Lasso, args: &[&str], cols: u16, rows: u16) -> Pty {
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_lasso"));
        cmd.args(args);
        Self::prepare(l, &mut cmd);
        Pty::spawn(cmd, cols, rows)
    }

    /// `sh -c SCRIPT` in a terminal, with `$LASSO` naming the binary and this test's
    /// LASSO_HOME set; for checks around lasso (such as `stty -a` after it exits).
    pub fn script(l: &Lasso, script: &str, cols: u16, rows: u16) -> Pty {
        let mut cmd = CommandBuilder::new("sh");
        cmd.args(["-c", script]);
        cmd.env("LASSO", env!("CARGO_BIN_EXE_lasso"));
        Self::prepare(l, &mut cmd);
        Pty::spawn(cmd, cols, rows)
    }

    fn prepare(l: &Lasso, cmd: &mut CommandBuilder) {
        cmd.env("LASSO_HOME", l.home_path());
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("LASSO_PROFILE_DIR");
        cmd.env_remove("LASSO_BASE_IMAGE");
        cmd.cwd(l.work_path());
    }

    /// Types bytes.
    pub fn send(&mut self, bytes: impl AsRef<[u8]>) {
        self.writer.write_all(bytes.as_ref()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Resizes the terminal (the program gets SIGWINCH).
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        self.captured
            .lock()
            .unwrap()
            .screen
            .screen_mut()
            .set_size(rows, cols);
    }

    /// Everything printed so far, escape sequences included, lossily decoded.
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&self.captured.lock().unwrap().raw).into_owned()
    }

    /// The terminal's screen now, as text.
    pub fn screen(&self) -> String {
        self.captured.lock().unwrap().screen.screen().contents()
    }

    /// Waits until the raw output (from byte `from` on) contains `needle`; panics with the
    /// output and screen after `timeout`. Returns the output length at the match's end.
    pub fn expect_from(&mut self, from: usize, needle: &str, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        loop {
            {
                let c = self.captured.lock().unwrap();
                let tail = String::from_utf8_lossy(&c.raw[from.min(c.raw.len())..]).into_owned();
                if let Some(at) = tail.find(needle) {
                    return from + at + needle.len();
                }
            }
            if Instant::now() > deadline {
                panic!(
                    "waited {timeout:?} for {needle:?}\n--- output ---\n{}\n--- screen ---\n{}",
                    self.output(),
                    self.screen()
                );
            }
            self.poll_exit();
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the raw output contains `needle` anywhere.
    pub fn expect(&mut self, needle: &str) -> usize {
        self.expect_from(0, needle, WAIT)
    }

    /// Waits until the screen shows `needle`; panics with the screen after `timeout`.
    pub fn wait_screen(&mut self, needle: &str, timeout: Duration) {
        self.wait_screen_for(|s| s.contains(needle), needle, timeout);
    }

    /// Waits until `test` holds for the screen text.
    pub fn wait_screen_for(&mut self, test: impl Fn(&str) -> bool, what: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if test(&screen) {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "waited {timeout:?} for the screen to show {what:?}\n--- screen ---\n{screen}"
                );
            }
            self.poll_exit();
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn poll_exit(&mut self) {
        if self.exit.is_none()
            && let Ok(Some(status)) = self.child.try_wait()
        {
            self.exit = Some(status.exit_code());
        }
    }

    /// The exit code if the program has ended.
    pub fn exited(&mut self) -> Option<u32> {
        self.poll_exit();
        self.exit
    }

    /// Waits for the program to end and returns its exit code; panics after `timeout`.
    pub fn wait(&mut self, timeout: Duration) -> u32 {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(code) = self.exited() {
                // Let the reader thread drain what was printed last.
                std::thread::sleep(Duration::from_millis(100));
                return code;
            }
            if Instant::now() > deadline {
                panic!(
                    "the program did not exit within {timeout:?}\n--- screen ---\n{}",
                    self.screen()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
