//! The help overlay (`?`): every key of the focused pane (or open dialog) and the global keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::dialog::centered;
use super::panes::KeyHelp;
use super::style::Styles;

/// Keys that work in every pane (when no text field is being edited).
pub const GLOBAL_KEYS: &[KeyHelp] = &[
    ("Tab / Shift-Tab", "focus the next / previous pane"),
    (
        "1 2 3 4 5 6",
        "focus sandboxes, alerts, audit, system check, terminal, profile editor",
    ),
    ("< / >", "move the vertical split left / right"),
    ("[ / ]", "move the horizontal split up / down"),
    ("z", "zoom the focused pane (again to restore)"),
    ("?", "this help (Esc or ? closes)"),
    ("q / Ctrl-C", "quit (in a terminal tab: Ctrl-] first)"),
    (
        "mouse",
        "click focuses a pane / picks a row; the wheel scrolls",
    ),
];

pub fn render(f: &mut Frame, area: Rect, title: &str, keys: &[KeyHelp], st: &Styles) {
    let key_w = keys
        .iter()
        .chain(GLOBAL_KEYS)
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(8);
    let desc_w = keys
        .iter()
        .chain(GLOBAL_KEYS)
        .map(|(_, d)| d.chars().count())
        .max()
        .unwrap_or(30);
    // " key  description " inside the borders.
    let width = u16::try_from(key_w + desc_w + 6).unwrap_or(u16::MAX);
    let height = u16::try_from(keys.len() + GLOBAL_KEYS.len() + 5).unwrap_or(u16::MAX);
    let area = centered(area, width, height);
    f.render_widget(Clear, area);
    let line = |(k, d): &KeyHelp| {
        Line::from(vec![
            Span::styled(format!(" {k:<key_w$}  "), st.key),
            Span::raw(d.to_string()),
        ])
    };
    let mut lines: Vec<Line> = vec![Line::styled(format!(" {title}"), st.title)];
    lines.extend(keys.iter().map(line));
    lines.push(Line::raw(""));
    lines.push(Line::styled(" Everywhere", st.title));
    lines.extend(GLOBAL_KEYS.iter().map(line));
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(st.border_focused)
                .title(Span::styled(" Help ", st.title)),
        ),
        area,
    );
}
