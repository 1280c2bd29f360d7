//! The resolved theme as ratatui styles. Panes ask for meanings (`ok`, `danger`, ...), never
//! for colours, so a theme file changes every pane consistently.

use ratatui::style::{Color, Modifier, Style};

use crate::config::{Theme, ThemeColor, ThemeColors};

/// Styles by meaning, built once from a [`Theme`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Styles {
    pub name: String,
    pub base: Style,
    pub accent: Style,
    pub ok: Style,
    pub warn: Style,
    pub danger: Style,
    pub muted: Style,
    pub border: Style,
    pub border_focused: Style,
    pub selected: Style,
    pub title: Style,
    pub key: Style,
}

pub fn color(c: ThemeColor) -> Color {
    match c {
        ThemeColor::Reset => Color::Reset,
        ThemeColor::Indexed(i) => Color::Indexed(i),
        ThemeColor::Rgb(r, g, b) => Color::Rgb(r, g, b),
        ThemeColor::Ansi(i) => match i {
            0 => Color::Black,
            1 => Color::Red,
            2 => Color::Green,
            3 => Color::Yellow,
            4 => Color::Blue,
            5 => Color::Magenta,
            6 => Color::Cyan,
            7 => Color::Gray,
            8 => Color::DarkGray,
            9 => Color::LightRed,
            10 => Color::LightGreen,
            11 => Color::LightYellow,
            12 => Color::LightBlue,
            13 => Color::LightMagenta,
            14 => Color::LightCyan,
            _ => Color::White,
        },
    }
}

impl Styles {
    pub fn from_theme(theme: &Theme) -> Styles {
        let c: &ThemeColors = &theme.colors;
        let base = Style::default().fg(color(c.fg)).bg(color(c.bg));
        let fg = |x: ThemeColor| Style::default().fg(color(x));
        Styles {
            name: theme.name.clone(),
            base,
            accent: fg(c.accent),
            ok: fg(c.ok),
            warn: fg(c.warn),
            danger: fg(c.danger),
            muted: fg(c.muted),
            border: fg(c.border),
            border_focused: fg(c.accent).add_modifier(Modifier::BOLD),
            selected: Style::default()
                .fg(color(c.selection_fg))
                .bg(color(c.selection_bg))
                .add_modifier(Modifier::BOLD),
            title: fg(c.accent).add_modifier(Modifier::BOLD),
            key: fg(c.accent).add_modifier(Modifier::BOLD),
        }
    }

    /// The built-in default theme; it is embedded and tested, so it always loads.
    pub fn default_theme() -> Styles {
        match crate::config::load_theme(crate::config::DEFAULT_THEME, None) {
            Ok(t) => Styles::from_theme(&t),
            Err(_) => Styles::from_theme(&Theme {
                name: "fallback".into(),
                colors: ThemeColors {
                    fg: ThemeColor::Reset,
                    bg: ThemeColor::Reset,
                    accent: ThemeColor::Ansi(6),
                    ok: ThemeColor::Ansi(2),
                    warn: ThemeColor::Ansi(3),
                    danger: ThemeColor::Ansi(9),
                    muted: ThemeColor::Ansi(8),
                    border: ThemeColor::Ansi(8),
                    selection_fg: ThemeColor::Ansi(0),
                    selection_bg: ThemeColor::Ansi(6),
                },
            }),
        }
    }
}
