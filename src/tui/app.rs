//! The whole UI state and its two pure functions: keys and app events in, intents out; and
//! rendering into any ratatui backend. No I/O happens here (the loop and the worker do it),
//! which is what lets the snapshot and key tests drive the real UI without a terminal. The
//! one exception is the terminal pane, which hands keys to its tabs' input queues (unbounded
//! channels drained by the tabs' own tasks, so that never waits either).
//!
//! Layout: four slots, two columns of two. The upper-right slot is shared by the panes in
//! [`FRONT`] (the audit browser and the terminal): it shows whichever was focused last
//! (`App::front`). [`App::pane_rects`] is the one layout function: drawing and mouse
//! hit-testing both use it, so a click always lands on the pane that is drawn there.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::dialog::{
    CONFIRM_KEYS, CREATE_KEYS, ConfirmDialog, CreateDialog, DialogOutcome, centered,
};
use super::event::{AppEvent, AuditSource, Connection, Intent};
use super::help;
use super::panes::alerts::AlertsPane;
use super::panes::audit::AuditPane;
use super::panes::check::CheckPane;
use super::panes::profiles::ProfilesPane;
use super::panes::sandboxes::SandboxesPane;
use super::panes::terminal::TerminalPane;
use super::panes::{Component, Handled, pane_block};
use super::style::Styles;
use crate::sandbox::{SessionKind, TermSize};

/// The focusable panes, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Sandboxes,
    Alerts,
    Audit,
    Check,
    Terminal,
    Profiles,
}

/// Tab order; the digit keys `1`… focus them in this order.
pub const ORDER: [Focus; 6] = [
    Focus::Sandboxes,
    Focus::Alerts,
    Focus::Audit,
    Focus::Check,
    Focus::Terminal,
    Focus::Profiles,
];

/// The panes that share the upper-right slot; the slot shows the one focused last.
pub const FRONT: &[Focus] = &[Focus::Audit, Focus::Terminal, Focus::Profiles];

/// What covers the panes and takes the keys.
#[derive(Debug, Clone)]
pub enum Overlay {
    None,
    Help,
    Create(Box<CreateDialog>),
    Confirm(ConfirmDialog),
    /// A failed action's full message (Esc/Enter closes).
    Message {
        title: String,
        text: String,
    },
}

/// The TUI's state.
#[derive(Debug, Clone)]
pub struct App {
    pub focus: Focus,
    /// Which of [`FRONT`] the upper-right slot shows.
    pub front: Focus,
    pub sandboxes: SandboxesPane,
    pub alerts: AlertsPane,
    pub audit: AuditPane,
    pub check: CheckPane,
    pub profiles: ProfilesPane,
    pub terminal: TerminalPane,
    /// The screen at the last layout (mouse hit-testing uses the same rectangles as drawing).
    pub area: Rect,
    pub overlay: Overlay,
    /// Width of the left column, percent.
    pub split_x: u16,
    /// Height of the upper row, percent.
    pub split_y: u16,
    pub zoom: bool,
    pub connection: Connection,
    /// The last action's message (`true` = an error).
    pub status: Option<(String, bool)>,
    pub styles: Styles,
    /// The clock the panes render ages against (set by the loop's tick; fixed in tests).
    pub now: DateTime<Utc>,
    /// Default working directory of the create dialog.
    pub cwd: PathBuf,
    pub quit: bool,
}

pub const SPLIT_MIN: u16 = 20;
pub const SPLIT_MAX: u16 = 80;
const SPLIT_STEP: u16 = 5;

impl App {
    pub fn new(styles: Styles, cwd: PathBuf, now: DateTime<Utc>) -> App {
        App {
            focus: Focus::Sandboxes,
            front: Focus::Audit,
            sandboxes: SandboxesPane::default(),
            alerts: AlertsPane::default(),
            audit: AuditPane::default(),
            check: CheckPane::default(),
            profiles: ProfilesPane::default(),
            terminal: TerminalPane::default(),
            area: Rect::new(0, 0, 120, 40),
            overlay: Overlay::None,
            split_x: 55,
            split_y: 60,
            zoom: false,
            connection: Connection::Connecting,
            status: None,
            styles,
            now,
            cwd,
            quit: false,
        }
    }

    /// The intents of start-up: the first refresh and the audit browser's first page.
    pub fn start(&mut self) -> Vec<Intent> {
        let mut out = vec![Intent::Refresh];
        self.audit.open(AuditSource::All, &mut out);
        out
    }

    fn pane(&self, focus: Focus) -> &dyn Component {
        match focus {
            Focus::Sandboxes => &self.sandboxes,
            Focus::Alerts => &self.alerts,
            Focus::Audit => &self.audit,
            Focus::Check => &self.check,
            Focus::Profiles => &self.profiles,
            Focus::Terminal => &self.terminal,
        }
    }

    fn pane_mut(&mut self, focus: Focus) -> &mut dyn Component {
        match focus {
            Focus::Sandboxes => &mut self.sandboxes,
            Focus::Alerts => &mut self.alerts,
            Focus::Audit => &mut self.audit,
            Focus::Check => &mut self.check,
            Focus::Profiles => &mut self.profiles,
            Focus::Terminal => &mut self.terminal,
        }
    }

    pub fn set_focus(&mut self, focus: Focus, out: &mut Vec<Intent>) {
        self.focus = focus;
        if FRONT.contains(&focus) {
            self.front = focus;
        }
        match focus {
            Focus::Alerts => self.alerts.mark_seen(),
            Focus::Check if self.check.report.is_none() => self.check.run(out),
            Focus::Profiles if !self.profiles.requested => self.profiles.load(out),
            _ => {}
        }
    }

    fn cycle_focus(&mut self, forward: bool, out: &mut Vec<Intent>) {
        let i = ORDER.iter().position(|f| *f == self.focus).unwrap_or(0);
        let n = ORDER.len();
        let j = if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        };
        self.set_focus(ORDER[j], out);
    }

    /// Handles one key; returns the engine work it asks for.
    pub fn handle_key(&mut self, key: KeyEvent) -> Vec<Intent> {
        let mut out = Vec::new();
        if key.kind == KeyEventKind::Release {
            return out;
        }
        // A program in the terminal gets every key, Ctrl-C included; Ctrl-] gives them back.
        if matches!(self.overlay, Overlay::None)
            && self.focus == Focus::Terminal
            && self.terminal.captures_input()
        {
            let _: Handled = self.terminal.handle_key(key, &mut out);
            return out;
        }
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            out.push(Intent::Quit);
            return out;
        }
        match &mut self.overlay {
            Overlay::None => {}
            Overlay::Help => {
                if matches!(
                    key.code,
                    KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q')
                ) {
                    self.overlay = Overlay::None;
                }
                return out;
            }
            Overlay::Message { .. } => {
                if matches!(key.code, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q')) {
                    self.overlay = Overlay::None;
                }
                return out;
            }
            Overlay::Create(dialog) => {
                if key.code == KeyCode::Char('?')
                    && !matches!(
                        dialog.field,
                        super::dialog::Field::WorkingDir | super::dialog::Field::Name
                    )
                {
                    return out;
                }
                match dialog.handle_key(key) {
                    DialogOutcome::Open => {}
                    DialogOutcome::Cancel => self.overlay = Overlay::None,
                    DialogOutcome::Submit(intent) => {
                        if let Intent::Create(form) = &intent {
                            self.status = Some((
                                format!("creating a sandbox of profile {}…", form.profile),
                                false,
                            ));
                        }
                        self.overlay = Overlay::None;
                        out.push(intent);
                    }
                }
                return out;
            }
            Overlay::Confirm(dialog) => {
                match dialog.handle_key(key) {
                    DialogOutcome::Open => {}
                    DialogOutcome::Cancel => self.overlay = Overlay::None,
                    DialogOutcome::Submit(Intent::Quit) => {
                        self.quit = true;
                        out.push(Intent::Quit);
                    }
                    DialogOutcome::Submit(intent) => {
                        self.status = Some((
                            match &intent {
                                Intent::Stop { name, .. } => format!("stopping {name}…"),
                                Intent::Remove { name, .. } => format!("removing {name}…"),
                                Intent::Restart { name, .. } => format!("restarting {name}…"),
                                _ => "working…".to_string(),
                            },
                            false,
                        ));
                        self.overlay = Overlay::None;
                        out.push(intent);
                    }
                }
                return out;
            }
        }
        let captured = self.pane(self.focus).captures_input();
        if !captured {
            let handled_globally = match key.code {
                KeyCode::Char('q') => {
                    if let Some(name) = self.profiles.unsaved() {
                        self.overlay = Overlay::Confirm(ConfirmDialog {
                            question: format!("Quit and lose the unsaved changes to {name}?"),
                            intent: Intent::Quit,
                        });
                    } else {
                        self.quit = true;
                        out.push(Intent::Quit);
                    }
                    true
                }
                KeyCode::Char('?') => {
                    self.overlay = Overlay::Help;
                    true
                }
                KeyCode::Tab => {
                    self.cycle_focus(true, &mut out);
                    true
                }
                KeyCode::BackTab => {
                    self.cycle_focus(false, &mut out);
                    true
                }
                KeyCode::Char(c @ '1'..='9') if usize::from(c as u8 - b'1') < ORDER.len() => {
                    let i = usize::from(c as u8 - b'1');
                    self.set_focus(ORDER[i], &mut out);
                    true
                }
                KeyCode::Char('<') => {
                    self.split_x = self.split_x.saturating_sub(SPLIT_STEP).max(SPLIT_MIN);
                    true
                }
                KeyCode::Char('>') => {
                    self.split_x = (self.split_x + SPLIT_STEP).min(SPLIT_MAX);
                    true
                }
                KeyCode::Char('[') => {
                    self.split_y = self.split_y.saturating_sub(SPLIT_STEP).max(SPLIT_MIN);
                    true
                }
                KeyCode::Char(']') => {
                    self.split_y = (self.split_y + SPLIT_STEP).min(SPLIT_MAX);
                    true
                }
                KeyCode::Char('z') => {
                    self.zoom = !self.zoom;
                    true
                }
                _ => false,
            };
            if handled_globally {
                return out;
            }
        }
        let mut pane_out = Vec::new();
        let focus = self.focus;
        let _: Handled = self.pane_mut(focus).handle_key(key, &mut pane_out);
        if let Some(confirm) = self.sandboxes.confirm.take() {
            self.overlay = Overlay::Confirm(ConfirmDialog {
                question: confirm.question,
                intent: confirm.intent,
            });
        }
        if std::mem::take(&mut self.sandboxes.want_create) {
            self.overlay = Overlay::Create(Box::new(CreateDialog::new(self.cwd.clone())));
            out.push(Intent::LoadProfiles);
        }
        for intent in pane_out {
            self.route(intent, &mut out);
        }
        out
    }

    /// UI-level intents are done here; the rest go to the worker.
    fn route(&mut self, intent: Intent, out: &mut Vec<Intent>) {
        match intent {
            Intent::OpenAudit { label, path } => {
                self.set_focus(Focus::Audit, out);
                self.audit.open(AuditSource::Log { label, path }, out);
            }
            Intent::JumpToEntry { log, seq, label } => {
                self.set_focus(Focus::Audit, out);
                self.audit.jump(label, log, seq, out);
            }
            Intent::OpenTerminal { id, name, kind, .. } => {
                let what = terminal_what(kind, &name);
                let state = self
                    .sandboxes
                    .all
                    .iter()
                    .find(|s| s.id == id)
                    .map(|s| s.state.clone());
                if let Some(state) = state.filter(|s| s != "running") {
                    // The service's own words for a sandbox whose create has not finished.
                    let why = if state == crate::sandbox::CREATING {
                        crate::sandbox::SandboxError::Creating(name).to_string()
                    } else {
                        format!("{name} is {state}: a terminal needs a running sandbox")
                    };
                    self.status = Some((why, true));
                    return;
                }
                self.status = Some((format!("opening a {what}…"), false));
                self.terminal.opening = Some(what);
                // Opened at the size the pane has in front, where it shows the progress.
                let size = self.terminal_size_in_front();
                self.set_focus(Focus::Terminal, out);
                out.push(Intent::OpenTerminal {
                    id,
                    name,
                    kind,
                    size,
                });
            }
            other => out.push(other),
        }
    }

    /// Applies a background task's report; returns follow-up work.
    pub fn on_event(&mut self, event: AppEvent) -> Vec<Intent> {
        let mut out = Vec::new();
        match event {
            AppEvent::Sandboxes(list) => {
                for s in &list {
                    self.alerts.names.insert(s.id.clone(), s.name.clone());
                }
                self.sandboxes.set(list);
            }
            AppEvent::Stats(stats) => self.sandboxes.stats = stats,
            AppEvent::Connection(c) => {
                if let Connection::Down { error, .. } = &c {
                    self.sandboxes.error = Some(error.clone());
                }
                self.connection = c;
            }
            AppEvent::Alerts { new, blocked } => {
                let focused = self.focus == Focus::Alerts;
                self.alerts.push(new, focused);
                self.sandboxes.blocked = blocked.into_iter().collect();
            }
            AppEvent::AuditPage {
                generation,
                result,
                select_seq,
            } => self.audit.set_page(generation, result, select_seq),
            AppEvent::Verified { generation, status } => self.audit.set_chain(generation, status),
            AppEvent::Check(report) => self.check.set(report),
            AppEvent::Profiles(result) => {
                if let Overlay::Create(d) = &mut self.overlay {
                    d.profiles = Some(result);
                }
            }
            AppEvent::Done(Ok(message)) => {
                self.status = Some((message, false));
                out.push(Intent::Refresh);
            }
            AppEvent::Done(Err(message)) => {
                self.status = Some((clip_line(&message), true));
                self.overlay = Overlay::Message {
                    title: "Action failed".into(),
                    text: message,
                };
                out.push(Intent::Refresh);
            }
            AppEvent::Profile(e) => self.profiles.on_event(*e, &mut out),
            AppEvent::Core(_) => out.push(Intent::Refresh),
            AppEvent::TerminalOpened { what, result } => match result {
                Ok(tab) => {
                    self.terminal.add(tab);
                    self.set_focus(Focus::Terminal, &mut out);
                    self.sync_layout(self.area);
                    self.status = Some((format!("opened a {what}"), false));
                }
                Err(message) => {
                    self.terminal.opening = None;
                    self.status = Some((clip_line(&message), true));
                    self.overlay = Overlay::Message {
                        title: format!("Cannot open a {what}"),
                        text: message,
                    };
                }
            },
            // The loop draws a frame; the screen is read from the tab then.
            AppEvent::TerminalOutput => {}
        }
        out
    }

    /// A paste (bracketed paste from the user's terminal): into the program when typing in
    /// the terminal pane, as typed characters into an open text field, otherwise ignored
    /// (pasted text must never turn into commands of the UI).
    pub fn handle_paste(&mut self, text: &str) -> Vec<Intent> {
        let mut out = Vec::new();
        if matches!(self.overlay, Overlay::None) && self.focus == Focus::Terminal {
            self.terminal.paste(text);
            return out;
        }
        let text_field = match &self.overlay {
            Overlay::Create(d) => matches!(
                d.field,
                super::dialog::Field::WorkingDir | super::dialog::Field::Name
            ),
            Overlay::None => self.pane(self.focus).captures_input(),
            _ => false,
        };
        if text_field {
            for c in text.chars().filter(|c| !c.is_control()) {
                out.extend(self.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)));
            }
        }
        out
    }

    /// Where each visible pane is drawn on a screen of `area` (status bar excluded): the one
    /// layout function, used by drawing and by mouse hit-testing.
    pub fn pane_rects(&self, area: Rect) -> Vec<(Focus, Rect)> {
        let [main, _status] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
        if self.zoom {
            return vec![(self.focus, main)];
        }
        // Exact lengths (not percentages) so odd sizes split the same way every time.
        let left_w = main.width * self.split_x / 100;
        let [left, right] =
            Layout::horizontal([Constraint::Length(left_w), Constraint::Fill(1)]).areas(main);
        let top_h = main.height * self.split_y / 100;
        let rows = |r: Rect| {
            Layout::vertical([Constraint::Length(top_h), Constraint::Fill(1)]).areas::<2>(r)
        };
        let [tl, bl] = rows(left);
        let [tr, br] = rows(right);
        vec![
            (Focus::Sandboxes, tl),
            (Focus::Alerts, bl),
            (self.front, tr),
            (Focus::Check, br),
        ]
    }

    /// Remembers the screen size and resizes the terminal tabs to the terminal pane's inside
    /// when it is shown. The loop calls this before every frame.
    pub fn sync_layout(&mut self, area: Rect) {
        self.area = area;
        let rect = self
            .pane_rects(area)
            .into_iter()
            .find(|(f, _)| *f == Focus::Terminal)
            .map(|(_, r)| r);
        if let Some(r) = rect {
            let size = inner_size(r);
            self.terminal.set_size(size);
        }
    }

    /// The terminal pane's inner size once it is brought to the front.
    fn terminal_size_in_front(&self) -> TermSize {
        let mut probe = self.clone();
        probe.front = Focus::Terminal;
        probe.focus = Focus::Terminal;
        probe
            .pane_rects(self.area)
            .into_iter()
            .find(|(f, _)| *f == Focus::Terminal)
            .map_or(self.terminal.size, |(_, r)| inner_size(r))
    }

    /// Draws the whole screen.
    pub fn render(&self, f: &mut Frame) {
        let st = &self.styles;
        let area = f.area();
        f.render_widget(Block::default().style(st.base), area);
        // Set again only if the sandboxes pane is drawn (it decides what is sampled).
        self.sandboxes.body_rows.set(0);
        let [main, status] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
        for (focus, rect) in self.pane_rects(area) {
            self.pane(focus)
                .render(f, rect, self.focus == focus, st, self.now);
        }
        self.render_status(f, status);
        match &self.overlay {
            Overlay::None => {}
            Overlay::Help => {
                let (title, keys) = match self.focus {
                    Focus::Sandboxes => ("Sandboxes", self.sandboxes.keys()),
                    Focus::Alerts => ("Alerts", self.alerts.keys()),
                    Focus::Audit => ("Audit browser", self.audit.keys()),
                    Focus::Check => ("System check", self.check.keys()),
                    Focus::Terminal => ("Terminal", self.terminal.keys()),
                    Focus::Profiles => ("Profile editor", self.profiles.keys()),
                };
                help::render(f, main, title, keys, st);
            }
            Overlay::Create(d) => d.render(f, main, st),
            Overlay::Confirm(d) => d.render(f, main, st),
            Overlay::Message { title, text } => {
                let rect = centered(main, 72, 10);
                f.render_widget(Clear, rect);
                f.render_widget(
                    Paragraph::new(vec![
                        Line::raw(text.clone()),
                        Line::raw(""),
                        Line::styled("Enter or Esc closes", st.muted),
                    ])
                    .wrap(Wrap { trim: true })
                    .block(
                        Block::default()
                            .borders(Borders::ALL)
                            .border_style(st.danger)
                            .title(Span::styled(format!(" {title} "), st.danger)),
                    ),
                    rect,
                );
            }
        }
    }

    /// The keys of what has the keys now (for the help overlay and docs).
    pub fn overlay_keys(&self) -> Option<&'static [super::panes::KeyHelp]> {
        match self.overlay {
            Overlay::Create(_) => Some(CREATE_KEYS),
            Overlay::Confirm(_) => Some(CONFIRM_KEYS),
            _ => None,
        }
    }

    fn render_status(&self, f: &mut Frame, area: Rect) {
        let st = &self.styles;
        let mut spans = vec![Span::styled(" lasso ", st.title)];
        match &self.connection {
            Connection::Connecting => spans.push(Span::styled("● connecting ", st.warn)),
            Connection::Connected { runtime } => {
                spans.push(Span::styled(format!("● {runtime} "), st.ok));
            }
            Connection::Down { retry_secs, .. } => spans.push(Span::styled(
                format!("● engine unreachable, retry in {retry_secs}s "),
                st.danger,
            )),
        }
        if self.alerts.unseen > 0 {
            spans.push(Span::styled(
                format!("⚑ {} ", self.alerts.unseen),
                st.danger,
            ));
        }
        if let Some((msg, is_err)) = &self.status {
            spans.push(Span::styled(
                format!("│ {msg} "),
                if *is_err { st.danger } else { st.accent },
            ));
        }
        let hint = if self.focus == Focus::Terminal && self.terminal.captures_input() {
            // The global keys go to the program now.
            format!("{} ", self.terminal.hint())
        } else {
            format!(
                "{} · Tab pane · ? help · q quit ",
                self.pane(self.focus).hint()
            )
        };
        let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
        let room = usize::from(area.width).saturating_sub(used);
        if room > 10 {
            let hint = super::panes::clip(&hint, room);
            spans.push(Span::styled(format!("{hint:>room$}"), st.muted));
        }
        f.render_widget(Paragraph::new(Line::from(spans)), area);
    }
}

/// The inside of a pane drawn in `r` (its borders taken off), as a terminal size.
fn inner_size(r: Rect) -> TermSize {
    let inner = pane_block(Vec::new(), false, &Styles::default_theme()).inner(r);
    TermSize {
        cols: inner.width,
        rows: inner.height,
    }
}

/// "REPL in agent-001" / "shell in agent-001".
fn terminal_what(kind: SessionKind, name: &str) -> String {
    match kind {
        SessionKind::Repl => format!("REPL in {name}"),
        SessionKind::Shell => format!("shell in {name}"),
    }
}

fn clip_line(s: &str) -> String {
    super::panes::clip(s.lines().next().unwrap_or_default(), 120)
}
