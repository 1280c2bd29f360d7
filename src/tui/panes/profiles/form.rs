//! The form view's keys: moving between the catalogue's fields, toggling bools, cycling
//! enums, typed input for numbers, sizes and strings, and the list editor for lists, `_add`
//! lists, `extra_env` and `blocked_args`. Every change goes through `config::fields` on the
//! parsed document and regenerates the TOML text (comments are lost, as docs/tui.md says);
//! the new text is then checked like any other edit.

use crossterm::event::{KeyCode, KeyEvent};
use toml::Value;

use super::{Confirm, ListEdit, ProfilesPane, Prompt, Purpose, View};
use crate::config::fields::{self, FIELDS, FieldKind};
use crate::tui::event::Intent;
use crate::tui::panes::{Handled, TextInput};

/// Fields moved by PgUp / PgDn.
const PAGE: usize = 10;

impl ProfilesPane {
    pub(super) fn form_key(&mut self, key: KeyEvent, out: &mut Vec<Intent>) -> Handled {
        let Some(doc) = &mut self.doc else {
            // Still opening: only leaving works.
            if key.code == KeyCode::Esc {
                self.view = View::List;
                self.opening = None;
                return Handled::Yes;
            }
            return Handled::No;
        };
        if doc.list.is_some() {
            return self.list_edit_key(key, out);
        }
        let last = FIELDS.len() - 1;
        match key.code {
            KeyCode::Down | KeyCode::Char('j') => doc.field = (doc.field + 1).min(last),
            KeyCode::Up | KeyCode::Char('k') => doc.field = doc.field.saturating_sub(1),
            KeyCode::PageDown => doc.field = (doc.field + PAGE).min(last),
            KeyCode::PageUp => doc.field = doc.field.saturating_sub(PAGE),
            KeyCode::Home | KeyCode::Char('g') => doc.field = 0,
            KeyCode::End | KeyCode::Char('G') => doc.field = last,
            KeyCode::Enter | KeyCode::Char(' ') => self.edit_field(out),
            KeyCode::Char('x') | KeyCode::Delete => {
                let i = doc.field;
                self.apply(i, None, out);
            }
            KeyCode::Char('t') => self.view = View::Text,
            KeyCode::Char('s') => self.start_save(),
            KeyCode::Char('h') => {
                if doc.is_new {
                    self.error = Some(format!("{} is not saved yet: it has no history", doc.name));
                } else {
                    let name = doc.name.clone();
                    self.show_history(name, true, out);
                }
            }
            KeyCode::Esc => {
                if doc.dirty() {
                    self.prompt = Some(Prompt::Confirm {
                        question: format!("Discard the unsaved changes to {}?", doc.name),
                        action: Confirm::Discard,
                    });
                } else {
                    self.doc = None;
                    self.view = View::List;
                }
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    /// The current document, or the reason the form cannot edit it.
    fn parsed(&mut self) -> Option<toml::Table> {
        let doc = self.doc.as_ref()?;
        match fields::parse_doc(&doc.text()) {
            Ok(t) => Some(t),
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }

    fn edit_field(&mut self, out: &mut Vec<Intent>) {
        let Some(i) = self.doc.as_ref().map(|d| d.field) else {
            return;
        };
        let Some(table) = self.parsed() else { return };
        let spec = &FIELDS[i];
        let current = spec.get(&table);
        match spec.kind {
            FieldKind::Bool | FieldKind::Enum(_) => {
                let next = spec.step(current);
                self.apply(i, next, out);
            }
            _ if spec.is_list() => {
                let items = spec.items(current);
                if let Some(doc) = &mut self.doc {
                    doc.list = Some(ListEdit {
                        field: i,
                        items,
                        selected: 0,
                    });
                }
            }
            _ => {
                self.prompt = Some(Prompt::Input {
                    purpose: Purpose::Field(i),
                    input: TextInput {
                        value: current.map(fields::show).unwrap_or_default(),
                    },
                });
            }
        }
    }

    /// Sets field `i` to `value` (`None` unsets it) and regenerates the text.
    fn apply(&mut self, i: usize, value: Option<Value>, out: &mut Vec<Intent>) -> bool {
        let Some(mut table) = self.parsed() else {
            return false;
        };
        FIELDS[i].set(&mut table, value);
        match fields::to_text(&table) {
            Ok(text) => {
                if let Some(doc) = &mut self.doc {
                    let (row, col) = (doc.editor.row, doc.editor.col);
                    doc.editor = super::TextEditor::new(&text);
                    doc.editor.goto(
                        u32::try_from(row + 1).unwrap_or(1),
                        u32::try_from(col + 1).unwrap_or(1),
                    );
                }
                self.error = None;
                self.edited(out);
                true
            }
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }

    pub(super) fn set_scalar(&mut self, i: usize, input: &str, out: &mut Vec<Intent>) {
        match FIELDS[i].parse_input(input) {
            Ok(v) => {
                self.apply(i, Some(v), out);
            }
            Err(e) => {
                self.error = Some(e);
                self.prompt = Some(Prompt::Input {
                    purpose: Purpose::Field(i),
                    input: TextInput {
                        value: input.to_string(),
                    },
                });
            }
        }
    }

    /// Applies the list editor's items to its field.
    fn apply_list(&mut self, out: &mut Vec<Intent>) -> bool {
        let Some(list) = self.doc.as_ref().and_then(|d| d.list.clone()) else {
            return false;
        };
        match FIELDS[list.field].from_items(&list.items) {
            Ok(v) => self.apply(list.field, Some(v), out),
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }

    pub(super) fn set_item(&mut self, index: Option<usize>, value: String, out: &mut Vec<Intent>) {
        let Some(list) = self.doc.as_mut().and_then(|d| d.list.as_mut()) else {
            return;
        };
        let before = list.items.clone();
        match index {
            Some(i) if i < list.items.len() => list.items[i] = value.clone(),
            _ => {
                list.items.push(value.clone());
                list.selected = list.items.len() - 1;
            }
        }
        if !self.apply_list(out)
            && let Some(list) = self.doc.as_mut().and_then(|d| d.list.as_mut())
        {
            // Keep the list as it was and let the user fix the item.
            list.items = before;
            list.selected = list.selected.min(list.items.len().saturating_sub(1));
            self.prompt = Some(Prompt::Input {
                purpose: Purpose::Item(index),
                input: TextInput { value },
            });
        }
    }

    fn list_edit_key(&mut self, key: KeyEvent, out: &mut Vec<Intent>) -> Handled {
        let Some(list) = self.doc.as_mut().and_then(|d| d.list.as_mut()) else {
            return Handled::No;
        };
        match key.code {
            KeyCode::Down | KeyCode::Char('j') => {
                list.selected = (list.selected + 1).min(list.items.len().saturating_sub(1));
            }
            KeyCode::Up | KeyCode::Char('k') => list.selected = list.selected.saturating_sub(1),
            KeyCode::Char('a') => {
                self.prompt = Some(Prompt::Input {
                    purpose: Purpose::Item(None),
                    input: TextInput::default(),
                });
            }
            KeyCode::Enter | KeyCode::Char('e') => {
                let value = list.items.get(list.selected).cloned();
                self.prompt = Some(Prompt::Input {
                    purpose: Purpose::Item(value.as_ref().map(|_| list.selected)),
                    input: TextInput {
                        value: value.unwrap_or_default(),
                    },
                });
            }
            KeyCode::Char('d') | KeyCode::Delete | KeyCode::Backspace => {
                if list.selected < list.items.len() {
                    list.items.remove(list.selected);
                    list.selected = list.selected.min(list.items.len().saturating_sub(1));
                    self.apply_list(out);
                }
            }
            KeyCode::Esc => {
                if let Some(doc) = &mut self.doc {
                    doc.list = None;
                }
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }
}
