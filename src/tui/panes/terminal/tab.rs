//! One terminal tab: a session's emulator state shared between its reader task and the UI.
//!
//! The reader task owns the work: it feeds every byte the session sends into the tab's
//! [`Emulator`] itself (the UI thread never parses), and raises the tab's dirty flag. Only the
//! transition clean → dirty sends an [`AppEvent::TerminalOutput`]; the loop clears the flags
//! right before it draws, so a tab causes at most one wake-up per frame however fast the
//! program writes (`yes`, `cat` of a large file). Keys, resizes and `Close` go out through an
//! unbounded queue drained by a forwarding task, so the UI never waits on a slow session and
//! never drops a key.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;

use crate::sandbox::{
    SessionEnd, SessionInput, SessionKind, SessionOutput, TermSize, TerminalSession,
};
use crate::tui::event::AppEvent;

pub use super::emulator::Emulator;

/// Lines of scrollback each tab keeps. A cell takes 24 bytes, so a 200-column tab's full
/// scrollback is about 10 MB (allocated as it fills), see docs/performance.md.
pub const SCROLLBACK: usize = 2000;

/// Most bytes parsed under one hold of the emulator lock.
const LOCK_SLICE: usize = 4096;

/// What the reader task and the UI share.
pub struct TabShared {
    emulator: Mutex<Emulator>,
    dirty: AtomicBool,
    ended: Mutex<Option<SessionEnd>>,
    /// The reader task is gone (the session sent its end or dropped its channel).
    finished: AtomicBool,
}

/// A poisoned lock only means a panic elsewhere mid-update; the screen is still drawable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl TabShared {
    fn new(size: TermSize) -> TabShared {
        TabShared {
            emulator: Mutex::new(Emulator::new(size, SCROLLBACK)),
            dirty: AtomicBool::new(false),
            ended: Mutex::new(None),
            finished: AtomicBool::new(false),
        }
    }

    /// Marks the tab changed; `true` when it was clean (the caller should wake the UI).
    fn mark_dirty(&self) -> bool {
        !self.dirty.swap(true, Ordering::AcqRel)
    }
}

/// The UI's handle on a tab. Cheap to clone (the state is shared).
#[derive(Clone)]
pub struct TabHandle {
    /// Assigned by the pane; shown as the tab number.
    pub id: u64,
    pub sandbox_id: String,
    pub sandbox_name: String,
    pub kind: SessionKind,
    /// The size the emulator and the session were last given.
    pub size: TermSize,
    shared: Arc<TabShared>,
    input: mpsc::UnboundedSender<SessionInput>,
}

impl std::fmt::Debug for TabHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TabHandle")
            .field("id", &self.id)
            .field("sandbox", &self.sandbox_name)
            .field("kind", &self.kind)
            .field("size", &self.size)
            .field("ended", &self.ended())
            .finish()
    }
}

impl TabHandle {
    /// Starts the reader and forwarding tasks of `session` (on the current tokio runtime).
    /// `notify` receives one [`AppEvent::TerminalOutput`] per clean → dirty transition.
    pub fn spawn(
        session: TerminalSession,
        size: TermSize,
        notify: mpsc::UnboundedSender<AppEvent>,
    ) -> TabHandle {
        let TerminalSession {
            sandbox,
            kind,
            input,
            mut output,
        } = session;
        let shared = Arc::new(TabShared::new(size));
        let reader = shared.clone();
        tokio::spawn(async move {
            let wake = |s: &TabShared| {
                if s.mark_dirty() {
                    let _ = notify.send(AppEvent::TerminalOutput);
                }
            };
            let end = loop {
                // Output held by an unfinished synchronized update is shown once its
                // deadline passes even when the program then goes quiet.
                let deadline = lock(&reader.emulator).sync_deadline();
                let next = match deadline {
                    None => output.recv().await,
                    Some(at) => match tokio::time::timeout_at(at.into(), output.recv()).await {
                        Ok(next) => next,
                        Err(_) => {
                            lock(&reader.emulator).flush_sync();
                            wake(&reader);
                            continue;
                        }
                    },
                };
                match next {
                    Some(SessionOutput::Bytes(bytes)) => {
                        // The lock is taken per slice so a frame never waits for a big
                        // chunk.
                        for slice in bytes.chunks(LOCK_SLICE) {
                            lock(&reader.emulator).process(slice);
                        }
                        wake(&reader);
                    }
                    Some(SessionOutput::Ended(end)) => break end,
                    None => {
                        break SessionEnd {
                            reason: "the session closed".into(),
                            exit_code: None,
                        };
                    }
                }
            };
            *lock(&reader.ended) = Some(end);
            reader.finished.store(true, Ordering::Release);
            wake(&reader);
        });
        let (tx, mut rx) = mpsc::unbounded_channel::<SessionInput>();
        tokio::spawn(async move {
            while let Some(msg) = rx.recv().await {
                let last = msg == SessionInput::Close;
                if input.send(msg).await.is_err() || last {
                    break;
                }
            }
            // Dropping `input` here ends the session if Close did not.
        });
        TabHandle {
            id: 0,
            sandbox_id: sandbox.id,
            sandbox_name: sandbox.name,
            kind,
            size,
            shared,
            input: tx,
        }
    }

    /// Sends to the session (in order, never blocking). A session that is gone ignores it.
    pub fn send(&self, input: SessionInput) {
        let _ = self.input.send(input);
    }

    /// The emulator, locked for reading or scrolling.
    pub fn emulator(&self) -> MutexGuard<'_, Emulator> {
        lock(&self.shared.emulator)
    }

    /// Resizes the emulator and the session when `size` differs from the current size.
    pub fn resize(&mut self, size: TermSize) {
        if size != self.size && size.rows > 0 && size.cols > 0 {
            self.size = size;
            self.emulator().resize(size);
            self.send(SessionInput::Resize(size));
        }
    }

    /// Why the session ended, once it has.
    pub fn ended(&self) -> Option<SessionEnd> {
        lock(&self.shared.ended).clone()
    }

    /// The reader task has finished (nothing more will arrive).
    pub fn finished(&self) -> bool {
        self.shared.finished.load(Ordering::Acquire)
    }

    /// Clears the dirty flag (before a frame is drawn); `true` when it was set.
    pub fn take_dirty(&self) -> bool {
        self.shared.dirty.swap(false, Ordering::AcqRel)
    }

    /// A one-word label of the session kind.
    pub fn kind_label(&self) -> &'static str {
        match self.kind {
            SessionKind::Repl => "repl",
            SessionKind::Shell => "shell",
        }
    }
}
