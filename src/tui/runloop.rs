//! The one event loop: a `tokio::select!` over terminal events, app events from tasks, the
//! service's event bus, a one-second tick (ages in the sandbox list) and the coalesced draw.
//! Draw requests only set a deadline; the frame is drawn when it passes, at most
//! [`MAX_FPS`] times a second, so a burst of events costs one frame. Terminal tabs wake the
//! loop at most once per frame each (their dirty flags are cleared right before a frame is
//! drawn); on quit every tab's session is sent `Close` and given a moment to wind down.

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event as TermEvent, EventStream};
use futures_util::StreamExt;
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;

use super::TuiOptions;
use super::app::App;
use super::error::TuiError;
use super::event::{AppEvent, Intent};
use super::log::TuiLog;
use super::style::Styles;
use super::terminal::TerminalGuard;
use super::worker::Worker;
use crate::config::{DEFAULT_THEME, load_theme};
use crate::sandbox::{SandboxService, ServiceOptions};

/// The frame-rate cap.
pub const MAX_FPS: u32 = 60;
const FRAME: Duration = Duration::from_micros(1_000_000 / MAX_FPS as u64);

/// Coalesces draw requests into frames no closer than [`FRAME`].
#[derive(Debug)]
pub struct FrameScheduler {
    pub due: Option<Instant>,
    pub last: Option<Instant>,
}

impl FrameScheduler {
    pub fn new() -> FrameScheduler {
        FrameScheduler {
            due: None,
            last: None,
        }
    }

    /// Asks for a frame; returns when it will be drawn.
    pub fn request(&mut self, now: Instant) -> Instant {
        if let Some(due) = self.due {
            return due;
        }
        let due = match self.last {
            Some(last) if now < last + FRAME => last + FRAME,
            _ => now,
        };
        self.due = Some(due);
        due
    }

    pub fn drawn(&mut self, now: Instant) {
        self.due = None;
        self.last = Some(now);
    }
}

impl Default for FrameScheduler {
    fn default() -> Self {
        FrameScheduler::new()
    }
}

pub fn run(options: TuiOptions) -> Result<(), TuiError> {
    if !super::is_interactive() {
        return Err(if options.listen.is_some() {
            TuiError::ListenNeedsTerminal
        } else {
            TuiError::NotATerminal
        });
    }
    // Everything that can fail with a message is done before the screen is taken, so the
    // message lands on the normal terminal.
    let service_options = ServiceOptions::from_env()?;
    let spec = options
        .theme
        .clone()
        .or_else(|| service_options.settings.theme.clone())
        .unwrap_or_else(|| DEFAULT_THEME.to_string());
    let theme = load_theme(&spec, Some(&service_options.home)).map_err(TuiError::Theme)?;
    let log = TuiLog::open(&service_options.home.root().join("tui.log"))?;
    log.info(&format!("starting (theme {spec})"));
    let svc = Arc::new(SandboxService::new(service_options));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(TuiError::Runtime)?;
    // The API listener binds (or refuses) now, while errors still reach the normal terminal.
    let api = match &options.listen {
        Some(opts) => Some(rt.block_on(super::listen::start(svc.clone(), opts, &log))?),
        None => None,
    };
    let result = rt.block_on(main_loop(svc, Styles::from_theme(&theme), log.clone()));
    if let Some(api) = api {
        rt.block_on(api.stop(&log));
    }
    // Tasks still talking to the engine are not waited for.
    rt.shutdown_timeout(Duration::from_millis(200));
    if let Err(e) = &result {
        log.warn(&format!("exit with error: {e}"));
    } else {
        log.info("exit");
    }
    result
}

async fn main_loop(svc: Arc<SandboxService>, styles: Styles, log: TuiLog) -> Result<(), TuiError> {
    let mut guard = TerminalGuard::enter()?;
    let (tx, mut rx) = mpsc::unbounded_channel::<AppEvent>();
    let mut bus = svc.events().subscribe();
    let worker = Worker::new(svc.clone(), tx, log.clone());
    let poller = tokio::spawn(worker.clone().poll_forever());
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut app = App::new(styles, cwd, chrono::Utc::now());
    let mut frames = FrameScheduler::new();
    let mut terminal_events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    for intent in app.start() {
        worker.handle(intent);
    }
    frames.request(Instant::now());
    let result = loop {
        let due = frames.due;
        let intents: Vec<Intent> = tokio::select! {
            ev = terminal_events.next() => match ev {
                Some(Ok(TermEvent::Key(key))) => {
                    frames.request(Instant::now());
                    app.handle_key(key)
                }
                Some(Ok(TermEvent::Resize(..))) => {
                    frames.request(Instant::now());
                    Vec::new()
                }
                Some(Ok(TermEvent::Mouse(ev))) => {
                    let out = app.handle_mouse(ev);
                    // Pointer motion is reported only while a button is held; it changes nothing.
                    if !matches!(ev.kind, crossterm::event::MouseEventKind::Moved) {
                        frames.request(Instant::now());
                    }
                    out
                }
                Some(Ok(TermEvent::Paste(text))) => {
                    frames.request(Instant::now());
                    app.handle_paste(&text)
                }
                Some(Ok(_)) => Vec::new(),
                Some(Err(e)) => break Err(TuiError::terminal("reading terminal input", e)),
                None => break Ok(()),
            },
            Some(ev) = rx.recv() => {
                frames.request(Instant::now());
                app.on_event(ev)
            }
            ev = bus.recv() => match ev {
                Ok(ev) => app.on_event(AppEvent::Core(ev)),
                // Missed events only mean a refresh is due.
                Err(broadcast::error::RecvError::Lagged(_)) => vec![Intent::Refresh],
                Err(broadcast::error::RecvError::Closed) => Vec::new(),
            },
            _ = tick.tick() => {
                app.now = chrono::Utc::now();
                frames.request(Instant::now());
                Vec::new()
            }
            _ = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                match guard.term.size() {
                    Ok(size) => app.sync_layout(ratatui::layout::Rect::new(0, 0, size.width, size.height)),
                    Err(e) => break Err(TuiError::terminal("reading the terminal size", e)),
                }
                // Output arriving from here on wakes the loop for the next frame.
                app.terminal.take_dirty();
                if let Err(e) = guard.term.draw(|f| app.render(f)) {
                    break Err(TuiError::terminal("drawing", e));
                }
                frames.drawn(Instant::now());
                // The frame decided which sandboxes are on screen: sample those.
                app.sandboxes.stats_intent().into_iter().collect()
            }
        };
        for intent in intents {
            worker.handle(intent);
        }
        if app.quit {
            break Ok(());
        }
    };
    poller.abort();
    close_sessions(&mut app, &log).await;
    drop(guard);
    result
}

/// How long quitting waits for the terminal sessions to end after `Close`.
const CLOSE_GRACE: Duration = Duration::from_secs(3);

/// Ends every terminal tab's session and waits (bounded) until their reader tasks have seen
/// the end, so the service can end the programs and record it before the runtime stops.
async fn close_sessions(app: &mut App, log: &TuiLog) {
    let tabs = app.terminal.close_all();
    if tabs.is_empty() {
        return;
    }
    let deadline = Instant::now() + CLOSE_GRACE;
    while tabs.iter().any(|t| !t.finished()) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let open = tabs.iter().filter(|t| !t.finished()).count();
    if open > 0 {
        log.warn(&format!(
            "{open} terminal session(s) had not ended {}s after close",
            CLOSE_GRACE.as_secs()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draw_requests_coalesce_and_respect_the_frame_cap() {
        let t0 = Instant::now();
        let mut f = FrameScheduler::new();
        assert_eq!(f.request(t0), t0, "the first frame is immediate");
        assert_eq!(
            f.request(t0 + Duration::from_millis(1)),
            t0,
            "a pending frame absorbs requests"
        );
        f.drawn(t0);
        let soon = t0 + Duration::from_millis(2);
        assert_eq!(
            f.request(soon),
            t0 + FRAME,
            "no two frames closer than the cap"
        );
        f.drawn(t0 + FRAME);
        let later = t0 + FRAME * 5;
        assert_eq!(f.request(later), later, "an idle UI draws at once");
    }
}
