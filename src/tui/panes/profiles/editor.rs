//! The multi-line text editor of the TOML view: lines of text and a cursor, edited in place,
//! so comments and layout survive (unlike form edits, which regenerate the text). Columns
//! are character indices, never byte offsets, so multi-byte text cannot split a character.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Lines scrolled by PgUp / PgDn.
const PAGE: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEditor {
    lines: Vec<String>,
    /// Cursor line (0-based).
    pub row: usize,
    /// Cursor column in characters (0-based; may equal the line's length).
    pub col: usize,
}

impl Default for TextEditor {
    fn default() -> Self {
        TextEditor::new("")
    }
}

fn byte_at(s: &str, col: usize) -> usize {
    s.char_indices().nth(col).map_or(s.len(), |(i, _)| i)
}

impl TextEditor {
    pub fn new(text: &str) -> TextEditor {
        let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
        // A final newline is the file's last line ending, not an empty line to edit.
        if lines.len() > 1 && lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        TextEditor {
            lines,
            row: 0,
            col: 0,
        }
    }

    /// The text, every line ending in a newline.
    pub fn text(&self) -> String {
        let mut out = self.lines.join("\n");
        out.push('\n');
        out
    }

    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    fn len(&self, row: usize) -> usize {
        self.lines.get(row).map_or(0, |l| l.chars().count())
    }

    fn clamp(&mut self) {
        self.row = self.row.min(self.lines.len().saturating_sub(1));
        self.col = self.col.min(self.len(self.row));
    }

    /// Moves the cursor to 1-based `line` and `column` (clamped), as error positions give.
    pub fn goto(&mut self, line: u32, column: u32) {
        self.row = usize::try_from(line.saturating_sub(1)).unwrap_or(usize::MAX);
        self.col = usize::try_from(column.saturating_sub(1)).unwrap_or(usize::MAX);
        self.clamp();
    }

    /// Applies an editing or movement key; `true` when the text changed.
    pub fn handle(&mut self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char(c) if !ctrl => {
                self.insert(c);
                return true;
            }
            KeyCode::Tab => {
                for _ in 0..2 {
                    self.insert(' ');
                }
                return true;
            }
            KeyCode::Enter => {
                let line = &mut self.lines[self.row];
                let at = byte_at(line, self.col);
                let rest = line.split_off(at);
                self.lines.insert(self.row + 1, rest);
                self.row += 1;
                self.col = 0;
                return true;
            }
            KeyCode::Backspace => return self.backspace(),
            KeyCode::Delete => return self.delete(),
            KeyCode::Left if self.col > 0 => self.col -= 1,
            KeyCode::Left if self.row > 0 => {
                self.row -= 1;
                self.col = self.len(self.row);
            }
            KeyCode::Right if self.col < self.len(self.row) => self.col += 1,
            KeyCode::Right if self.row + 1 < self.lines.len() => {
                self.row += 1;
                self.col = 0;
            }
            KeyCode::Up => self.row = self.row.saturating_sub(1),
            KeyCode::Down => self.row += 1,
            KeyCode::PageUp => self.row = self.row.saturating_sub(PAGE),
            KeyCode::PageDown => self.row += PAGE,
            KeyCode::Home => self.col = 0,
            KeyCode::End => self.col = self.len(self.row),
            _ => {}
        }
        self.clamp();
        false
    }

    fn insert(&mut self, c: char) {
        let line = &mut self.lines[self.row];
        let at = byte_at(line, self.col);
        line.insert(at, c);
        self.col += 1;
    }

    fn backspace(&mut self) -> bool {
        if self.col > 0 {
            let line = &mut self.lines[self.row];
            let at = byte_at(line, self.col - 1);
            line.remove(at);
            self.col -= 1;
            true
        } else if self.row > 0 {
            let line = self.lines.remove(self.row);
            self.row -= 1;
            self.col = self.len(self.row);
            self.lines[self.row].push_str(&line);
            true
        } else {
            false
        }
    }

    fn delete(&mut self) -> bool {
        if self.col < self.len(self.row) {
            let line = &mut self.lines[self.row];
            let at = byte_at(line, self.col);
            line.remove(at);
            true
        } else if self.row + 1 < self.lines.len() {
            let next = self.lines.remove(self.row + 1);
            self.lines[self.row].push_str(&next);
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn edits_keep_the_rest_of_the_text() {
        let mut e = TextEditor::new("# keep me\nname = \"a\"\n");
        assert_eq!(e.lines().len(), 2);
        e.handle(k(KeyCode::Down));
        e.handle(k(KeyCode::End));
        assert_eq!((e.row, e.col), (1, 10));
        e.handle(k(KeyCode::Enter));
        for c in "mode = \"é\"".chars() {
            e.handle(k(KeyCode::Char(c)));
        }
        assert_eq!(e.text(), "# keep me\nname = \"a\"\nmode = \"é\"\n");
        e.handle(k(KeyCode::Left));
        assert!(e.handle(k(KeyCode::Backspace)), "deletes the é");
        assert_eq!(e.lines()[2], "mode = \"\"");
        e.handle(k(KeyCode::Home));
        assert!(e.handle(k(KeyCode::Backspace)), "joins with the line above");
        assert_eq!(e.text(), "# keep me\nname = \"a\"mode = \"\"\n");
        assert_eq!((e.row, e.col), (1, 10));
        assert!(e.handle(k(KeyCode::Enter)));
        e.handle(k(KeyCode::Up));
        e.handle(k(KeyCode::End));
        assert!(e.handle(k(KeyCode::Delete)), "joins with the line below");
        assert_eq!(e.text(), "# keep me\nname = \"a\"mode = \"\"\n");
        assert!(!e.handle(k(KeyCode::PageDown)));
        assert_eq!(e.row, 1, "clamped to the last line");
        e.goto(1, 99);
        assert_eq!((e.row, e.col), (0, 9));
        e.goto(0, 0);
        assert_eq!((e.row, e.col), (0, 0));
        assert!(!e.handle(k(KeyCode::Backspace)), "nothing before the start");
    }
}
