//! Drawing an emulator screen into a ratatui buffer, cell by cell: the character, its
//! colours (the 16 ANSI colours map to ratatui's named colours so the user's terminal palette
//! applies, the 256-colour and RGB forms pass through), bold, dim, italic, underline and
//! reverse, wide characters, and the cursor as a reversed cell (lasso keeps the real cursor
//! hidden). Written straight into the buffer: a 200×50 screen is 10 000 cells a frame.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

use crate::config::ThemeColor;
use crate::tui::style::color;

fn vt_color(c: vt100::Color) -> Option<Color> {
    match c {
        vt100::Color::Default => None,
        vt100::Color::Idx(i) if i < 16 => Some(color(ThemeColor::Ansi(i))),
        vt100::Color::Idx(i) => Some(Color::Indexed(i)),
        vt100::Color::Rgb(r, g, b) => Some(Color::Rgb(r, g, b)),
    }
}

fn cell_style(cell: &vt100::Cell, base: Style) -> Style {
    let mut style = base;
    if let Some(fg) = vt_color(cell.fgcolor()) {
        style = style.fg(fg);
    }
    if let Some(bg) = vt_color(cell.bgcolor()) {
        style = style.bg(bg);
    }
    let mut m = Modifier::empty();
    if cell.bold() {
        m |= Modifier::BOLD;
    }
    if cell.dim() {
        m |= Modifier::DIM;
    }
    if cell.italic() {
        m |= Modifier::ITALIC;
    }
    if cell.underline() {
        m |= Modifier::UNDERLINED;
    }
    if cell.inverse() {
        m |= Modifier::REVERSED;
    }
    style.add_modifier(m)
}

/// Draws `screen` into `area` of `buf` with `base` as the default style; the cursor is drawn
/// when `show_cursor` and the program has not hidden it (and the view is not scrolled back).
pub fn draw_screen(
    screen: &vt100::Screen,
    buf: &mut Buffer,
    area: Rect,
    base: Style,
    show_cursor: bool,
) {
    let (rows, cols) = screen.size();
    let area = area.intersection(buf.area);
    for y in 0..area.height.min(rows) {
        for x in 0..area.width.min(cols) {
            let Some(cell) = screen.cell(y, x) else {
                continue;
            };
            if cell.is_wide_continuation() {
                continue;
            }
            let pos = (area.x + x, area.y + y);
            let style = cell_style(cell, base);
            if let Some(out) = buf.cell_mut(pos) {
                let text = cell.contents();
                out.set_symbol(if text.is_empty() { " " } else { text });
                out.set_style(style);
            }
            if cell.is_wide() {
                // The next column is covered by this character.
                if x + 1 >= area.width.min(cols) {
                    if let Some(out) = buf.cell_mut(pos) {
                        out.set_symbol(" ");
                    }
                } else if let Some(next) = buf.cell_mut((pos.0 + 1, pos.1)) {
                    next.reset();
                    next.set_style(style);
                }
            }
        }
        // Columns the screen does not cover (a pane wider than the session) stay blank.
    }
    if show_cursor && !screen.hide_cursor() && screen.scrollback() == 0 {
        let (cy, cx) = screen.cursor_position();
        if cy < area.height
            && cx < area.width
            && let Some(out) = buf.cell_mut((area.x + cx, area.y + cy))
        {
            // Reversed again on a reversed cell, as terminals draw a block cursor.
            out.modifier.toggle(Modifier::REVERSED);
        }
    }
}
