//! Drawing an emulator screen into a ratatui buffer, cell by cell: the character (with its
//! combining marks), its colours (the 16 ANSI colours map to the theme's ANSI colours so the
//! user's palette applies, the 256-colour and RGB forms pass through), bold, dim, italic,
//! underline (every style of it), strike-through, reverse and concealed text, wide
//! characters, and the cursor as a reversed cell (lasso keeps the real cursor hidden).
//! Written straight into the buffer: a 200×50 screen is 10 000 cells a frame.

use alacritty_terminal::term::cell::{Cell, Flags};
use alacritty_terminal::vte::ansi::{Color as TermColor, NamedColor};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

use super::emulator::Emulator;
use crate::config::ThemeColor;
use crate::tui::style::color;

/// The ANSI colour number of a named colour; `None` for the defaults (foreground,
/// background, cursor), which take the pane's style.
fn ansi_index(n: NamedColor) -> Option<u8> {
    let i = n as usize;
    let dim_black = NamedColor::DimBlack as usize;
    if i < 16 {
        u8::try_from(i).ok()
    } else if (dim_black..dim_black + 8).contains(&i) {
        u8::try_from(i - dim_black).ok()
    } else {
        None
    }
}

fn term_color(c: TermColor) -> Option<Color> {
    match c {
        TermColor::Named(n) => ansi_index(n).map(|i| color(ThemeColor::Ansi(i))),
        TermColor::Indexed(i) if i < 16 => Some(color(ThemeColor::Ansi(i))),
        TermColor::Indexed(i) => Some(Color::Indexed(i)),
        TermColor::Spec(rgb) => Some(Color::Rgb(rgb.r, rgb.g, rgb.b)),
    }
}

fn cell_style(cell: &Cell, base: Style) -> Style {
    let mut style = base;
    if let Some(fg) = term_color(cell.fg) {
        style = style.fg(fg);
    }
    if let Some(bg) = term_color(cell.bg) {
        style = style.bg(bg);
    }
    let flags = cell.flags;
    let mut m = Modifier::empty();
    for (flag, modifier) in [
        (Flags::BOLD, Modifier::BOLD),
        (Flags::DIM, Modifier::DIM),
        (Flags::ITALIC, Modifier::ITALIC),
        (Flags::ALL_UNDERLINES, Modifier::UNDERLINED),
        (Flags::STRIKEOUT, Modifier::CROSSED_OUT),
        (Flags::INVERSE, Modifier::REVERSED),
    ] {
        if flags.intersects(flag) {
            m |= modifier;
        }
    }
    style.add_modifier(m)
}

/// Draws the emulator's view into `area` of `buf` with `base` as the default style; the
/// cursor is drawn when `show_cursor` and the program has not hidden it (and the view is not
/// scrolled back).
pub fn draw_screen(emu: &Emulator, buf: &mut Buffer, area: Rect, base: Style, show_cursor: bool) {
    let size = emu.size();
    let area = area.intersection(buf.area);
    let (rows, cols) = (area.height.min(size.rows), area.width.min(size.cols));
    let mut symbol = String::new();
    for y in 0..rows {
        for x in 0..cols {
            let Some(cell) = emu.cell(y, x) else {
                continue;
            };
            if cell.flags.contains(Flags::WIDE_CHAR_SPACER) {
                continue;
            }
            let pos = (area.x + x, area.y + y);
            let style = cell_style(cell, base);
            symbol.clear();
            if cell
                .flags
                .intersects(Flags::HIDDEN | Flags::LEADING_WIDE_CHAR_SPACER)
                || cell.c == '\0'
            {
                symbol.push(' ');
            } else {
                symbol.push(cell.c);
                symbol.extend(cell.zerowidth().unwrap_or_default());
            }
            let wide = cell.flags.contains(Flags::WIDE_CHAR);
            if let Some(out) = buf.cell_mut(pos) {
                // A wide character cut by the pane's right edge is drawn as a blank.
                out.set_symbol(if wide && x + 1 >= cols { " " } else { &symbol });
                out.set_style(style);
            }
            if wide
                && x + 1 < cols
                && let Some(next) = buf.cell_mut((pos.0 + 1, pos.1))
            {
                // The next column is covered by this character.
                next.reset();
                next.set_style(style);
            }
        }
        // Columns the screen does not cover (a pane wider than the session) stay blank.
    }
    if show_cursor && emu.cursor_visible() && emu.scrollback() == 0 {
        let (cy, cx) = emu.cursor_position();
        if cy < area.height
            && cx < area.width
            && let Some(out) = buf.cell_mut((area.x + cx, area.y + cy))
        {
            // Reversed again on a reversed cell, as terminals draw a block cursor.
            out.modifier.toggle(Modifier::REVERSED);
        }
    }
}
