//! Drawing the profile editor: the list, the form (file values normal, inherited values
//! dimmed, the field with an error marked), the TOML text with line numbers and the error
//! line marked, the save review, the history, and the footer with the check result, the
//! last message and any prompt.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::msg::SourceKind;
use super::{Doc, ProfilesPane, Prompt, Purpose, View, review};
use crate::config::ProfileSource;
use crate::config::fields::{self, FIELDS, FieldKind, FieldSpec};
use crate::tui::panes::{clip, pane_block};
use crate::tui::style::Styles;

pub fn render(p: &ProfilesPane, f: &mut Frame, area: Rect, focused: bool, st: &Styles) {
    let block = pane_block(title(p, st), focused, st);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let width = usize::from(inner.width);
    let footer = footer(p, st, width);
    let footer_h = u16::try_from(footer.len())
        .unwrap_or(0)
        .min(inner.height / 2);
    let [body, foot] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(footer_h)]).areas(inner);
    let height = usize::from(body.height);
    let lines = match (p.view, &p.doc) {
        (View::List, _) => list_lines(p, st, width, height),
        (View::History, _) => history_lines(p, st, width),
        (_, None) => vec![Line::styled(
            match &p.opening {
                Some(name) => format!("Opening {name}…"),
                None => "No profile open (Esc returns to the list).".to_string(),
            },
            st.muted,
        )],
        (View::Form, Some(doc)) => match &doc.list {
            Some(_) => list_edit_lines(doc, st, width),
            None => form_lines(doc, st, width, height),
        },
        (View::Text, Some(doc)) => text_lines(doc, st, width, height),
        (View::Review, Some(doc)) => {
            let mut l = review::lines(doc, st);
            l.iter_mut().for_each(|line| clip_line(line, width));
            l
        }
    };
    f.render_widget(Paragraph::new(lines), body);
    f.render_widget(Paragraph::new(footer).wrap(Wrap { trim: false }), foot);
}

fn clip_line(line: &mut Line<'_>, width: usize) {
    let mut left = width;
    for span in &mut line.spans {
        let n = span.content.chars().count();
        if n > left {
            span.content = clip(&span.content, left).into();
            left = 0;
        } else {
            left -= n;
        }
    }
}

fn title<'a>(p: &ProfilesPane, st: &Styles) -> Vec<Span<'a>> {
    let mut t = vec![Span::styled(" Profiles ", st.title)];
    match (p.view, &p.doc) {
        (View::List, _) => {
            t.push(Span::styled(format!("{} ", p.rows.len()), st.muted));
            if p.loading {
                t.push(Span::styled("loading… ", st.muted));
            }
        }
        (View::History, _) => {
            if let Some(h) = &p.history {
                t.push(Span::styled(format!("history of {} ", h.name), st.accent));
            }
        }
        (_, Some(doc)) => {
            t.push(Span::styled(format!("{} ", doc.name), st.accent));
            let view = match p.view {
                View::Text => "toml ",
                View::Review => "review ",
                _ => "form ",
            };
            t.push(Span::styled(view, st.muted));
            if doc.kind.read_only() && !doc.is_new {
                t.push(Span::styled("read-only ", st.warn));
            } else if doc.is_new {
                t.push(Span::styled("new ", st.warn));
            } else if doc.dirty() {
                t.push(Span::styled("modified ", st.warn));
            }
            t.push(match (&doc.check, doc.checking) {
                (_, true) | (None, _) => Span::styled("checking… ", st.muted),
                (Some(c), false) if c.problem.is_none() => Span::styled("✓ valid ", st.ok),
                (Some(_), false) => Span::styled("✗ error ", st.danger),
            });
        }
        (_, None) => {}
    }
    t
}

fn footer<'a>(p: &ProfilesPane, st: &Styles, width: usize) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    if let (Some(doc), View::Form | View::Text) = (&p.doc, p.view) {
        if p.view == View::Form && doc.list.is_none() {
            let spec = &FIELDS[doc.field];
            out.push(Line::from(vec![
                Span::styled(format!("{} ", spec.path), st.accent),
                Span::styled(format!("({}) ", kind_label(spec)), st.muted),
                Span::raw(spec.doc),
            ]));
        }
        if let Some(problem) = doc.check.as_ref().and_then(|c| c.problem.as_ref()) {
            out.push(Line::styled(
                clip(&format!("✗ {}", problem.message), width * 2),
                st.danger,
            ));
        }
    }
    if let Some(e) = &p.error {
        out.push(Line::styled(clip(e, width * 2), st.danger));
    } else if let Some(n) = &p.notice {
        out.push(Line::styled(clip(n, width), st.accent));
    }
    match &p.prompt {
        Some(Prompt::Input { purpose, input }) => {
            let label = match purpose {
                Purpose::NewName => "New profile name".to_string(),
                Purpose::SaveAsName => "Read-only: save as user profile".to_string(),
                Purpose::Field(i) => FIELDS[*i].path.to_string(),
                Purpose::Item(_) => "Item".to_string(),
            };
            out.push(Line::from(vec![
                Span::styled(format!("{label}: "), st.key),
                Span::raw(input.value.clone()),
                Span::styled("█", st.accent),
                Span::styled("  Enter ok · Esc cancel", st.muted),
            ]));
        }
        Some(Prompt::Confirm { question, .. }) => out.push(Line::from(vec![
            Span::styled(question.clone(), st.warn),
            Span::styled("  y yes · n no", st.key),
        ])),
        None => {}
    }
    out
}

fn source_text(source: &ProfileSource) -> String {
    match source {
        ProfileSource::Builtin => "built-in".into(),
        ProfileSource::File(p) => p.display().to_string(),
    }
}

fn list_lines<'a>(p: &ProfilesPane, st: &Styles, width: usize, height: usize) -> Vec<Line<'a>> {
    if p.rows.is_empty() {
        let m = if p.loading || !p.requested {
            "Loading profiles…"
        } else {
            "No profiles."
        };
        return vec![Line::styled(m, st.muted)];
    }
    let mut out = vec![Line::styled(
        clip(
            &format!(
                "  {:<18} {:<8} {:<2} {:<14} DESCRIPTION",
                "NAME", "SOURCE", "RO", "EXTENDS"
            ),
            width,
        ),
        st.title,
    )];
    // Room for the header and the two detail lines of the selection.
    let rows = height.saturating_sub(3).max(1);
    let start = p.selected.saturating_sub(rows.saturating_sub(1));
    for (i, r) in p.rows.iter().enumerate().skip(start).take(rows) {
        let sel = i == p.selected;
        let ro = if r.kind.read_only() { "ro" } else { "" };
        let what = match &r.problem {
            Some(problem) => format!("! {problem}"),
            None => r.description.clone(),
        };
        let text = format!(
            "{}{:<18} {:<8} {:<2} {:<14} {}",
            if sel { "▶ " } else { "  " },
            clip(&r.name, 18),
            r.kind.label(),
            ro,
            clip(r.extends.as_deref().unwrap_or("-"), 14),
            what
        );
        let style = match (sel, &r.problem) {
            (true, _) => st.selected,
            (false, Some(_)) => st.danger,
            (false, None) if r.kind == SourceKind::Builtin => st.muted,
            _ => Style::default(),
        };
        out.push(Line::styled(clip(&text, width), style));
    }
    if let Some(r) = p.rows.get(p.selected) {
        out.push(Line::raw(""));
        let mut detail = format!("{}: {}", r.name, source_text(&r.source));
        if let Some(s) = &r.shadows {
            detail.push_str(&format!(" · shadows {}", source_text(s)));
        }
        if r.kind.read_only() {
            detail.push_str(" · read-only (save-as makes a user copy)");
        }
        out.push(Line::styled(clip(&detail, width), st.muted));
    }
    out
}

fn kind_label(spec: &FieldSpec) -> String {
    match spec.kind {
        FieldKind::Bool => "true/false".into(),
        FieldKind::Enum(words) => words.join("|"),
        FieldKind::Int { min, max } => format!("integer {min}-{max}"),
        FieldKind::Number { min, max } => format!("number {min}-{max}"),
        FieldKind::Size => "size, e.g. 512m".into(),
        FieldKind::Str => "text".into(),
        FieldKind::List => "list".into(),
        FieldKind::IntList { min, max } => format!("list of {min}-{max}"),
        FieldKind::Map => "NAME=value items".into(),
        FieldKind::TableList => "program=pattern items".into(),
    }
}

fn json_at<'v>(v: &'v serde_json::Value, path: &str) -> Option<&'v serde_json::Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

fn show_json(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => {
            format!(
                "[{}]",
                a.iter().map(show_json).collect::<Vec<_>>().join(", ")
            )
        }
        serde_json::Value::Object(o) => format!(
            "{{{}}}",
            o.iter()
                .map(|(k, v)| format!("{k} = {}", show_json(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

fn error_field(doc: &Doc) -> Option<&'static str> {
    let key = doc.check.as_ref()?.problem.as_ref()?.key.as_deref()?;
    fields::field_for_key(key).map(|f| f.path)
}

fn form_lines<'a>(doc: &Doc, st: &Styles, width: usize, height: usize) -> Vec<Line<'a>> {
    let table = fields::parse_doc(&doc.text()).ok();
    let bad = error_field(doc);
    let mut all: Vec<Line<'a>> = Vec::new();
    let mut selected_line = 0;
    let mut section = None;
    for (i, spec) in FIELDS.iter().enumerate() {
        if section != Some(spec.section()) {
            section = Some(spec.section());
            let name = if spec.section().is_empty() {
                "profile"
            } else {
                spec.section()
            };
            all.push(Line::styled(format!("[{name}]"), st.title));
        }
        let key = spec
            .path
            .strip_prefix(&format!("{}.", spec.section()))
            .unwrap_or(spec.path);
        let own = table.as_ref().and_then(|t| spec.get(t));
        let marker = if Some(spec.path) == bad { "!" } else { " " };
        let label = format!("{marker} {:<24} ", clip(key, 24));
        let (value, vstyle) = match own {
            Some(v) => (fields::show(v), Style::default()),
            None => {
                let inherited = json_at(&doc.inherited, spec.effective_path())
                    .map(show_json)
                    .unwrap_or_default();
                let shown = if spec.path.ends_with("_add") {
                    format!("(adds to {inherited})")
                } else if inherited.is_empty() {
                    "(unset)".to_string()
                } else {
                    format!("{inherited} (inherited)")
                };
                (shown, st.muted)
            }
        };
        let value = clip(&value, width.saturating_sub(label.chars().count()));
        let line = if i == doc.field {
            selected_line = all.len();
            Line::from(vec![
                Span::styled(label, st.selected),
                Span::styled(value, st.selected),
            ])
        } else if Some(spec.path) == bad {
            Line::from(vec![
                Span::styled(label, st.danger),
                Span::styled(value, st.danger),
            ])
        } else {
            Line::from(vec![
                Span::styled(label, st.accent),
                Span::styled(value, vstyle),
            ])
        };
        all.push(line);
    }
    window(all, selected_line, height)
}

/// The `height` lines around `focus` (keeping it visible, a little above the middle).
fn window<'a>(all: Vec<Line<'a>>, focus: usize, height: usize) -> Vec<Line<'a>> {
    let start = focus
        .saturating_sub(height / 3)
        .min(all.len().saturating_sub(height));
    all.into_iter().skip(start).take(height).collect()
}

fn list_edit_lines<'a>(doc: &Doc, st: &Styles, width: usize) -> Vec<Line<'a>> {
    let Some(list) = &doc.list else {
        return Vec::new();
    };
    let spec = &FIELDS[list.field];
    let mut out = vec![
        Line::from(vec![
            Span::styled(format!("{} ", spec.path), st.accent),
            Span::styled(format!("({})", kind_label(spec)), st.muted),
        ]),
        Line::styled(clip(spec.doc, width), st.muted),
    ];
    if list.items.is_empty() {
        out.push(Line::styled("  (empty: a adds an item)", st.muted));
    }
    for (i, item) in list.items.iter().enumerate() {
        let text = clip(
            &format!("{}{item}", if i == list.selected { "▶ " } else { "  " }),
            width,
        );
        out.push(if i == list.selected {
            Line::styled(text, st.selected)
        } else {
            Line::raw(text)
        });
    }
    out.push(Line::raw(""));
    out.push(Line::styled(
        "a add · Enter edit · d remove · Esc back to the fields",
        st.muted,
    ));
    out
}

fn text_lines<'a>(doc: &Doc, st: &Styles, width: usize, height: usize) -> Vec<Line<'a>> {
    let bad_line = doc
        .check
        .as_ref()
        .and_then(|c| c.problem.as_ref())
        .and_then(|p| p.location)
        .map(|l| usize::try_from(l.line).unwrap_or(usize::MAX));
    let (row, col) = (doc.editor.row, doc.editor.col);
    let gutter = 5;
    let room = width.saturating_sub(gutter).max(1);
    let hscroll = col.saturating_sub(room - 1);
    let start = row.saturating_sub(height.saturating_sub(1));
    let cursor = Style::default().add_modifier(Modifier::REVERSED);
    let mut out = Vec::new();
    for (i, line) in doc
        .editor
        .lines()
        .iter()
        .enumerate()
        .skip(start)
        .take(height)
    {
        let bad = bad_line == Some(i + 1);
        let mut spans = vec![
            Span::styled(
                format!("{:>3}{}", i + 1, if bad { "!" } else { " " }),
                if bad { st.danger } else { st.muted },
            ),
            Span::styled("│", st.muted),
        ];
        let chars: Vec<char> = line.chars().skip(hscroll).take(room).collect();
        if i == row {
            let at = col - hscroll;
            let before: String = chars.iter().take(at).collect();
            let under: String = chars.get(at).map_or(" ".to_string(), |c| c.to_string());
            let after: String = chars.iter().skip(at + 1).collect();
            spans.push(Span::raw(before));
            spans.push(Span::styled(under, cursor));
            spans.push(Span::raw(after));
        } else {
            let text: String = chars.into_iter().collect();
            spans.push(if bad {
                Span::styled(text, st.danger)
            } else {
                Span::raw(text)
            });
        }
        out.push(Line::from(spans));
    }
    out
}

fn history_lines<'a>(p: &ProfilesPane, st: &Styles, width: usize) -> Vec<Line<'a>> {
    let Some(h) = &p.history else {
        return Vec::new();
    };
    let Some(data) = &h.data else {
        return vec![Line::styled(
            format!("Loading the history of {}…", h.name),
            st.muted,
        )];
    };
    if data.versions.is_empty() {
        return vec![Line::styled(
            format!(
                "{} has no archived versions yet: a version is kept each time it is saved, \
                 rolled back or deleted.",
                data.name
            ),
            st.muted,
        )];
    }
    let mut out = vec![Line::styled(
        clip(&data.path.display().to_string(), width),
        st.muted,
    )];
    for (i, v) in data.versions.iter().enumerate() {
        let sel = i == h.selected;
        let text = format!(
            "{}v{:<4} {}  {}",
            if sel { "▶ " } else { "  " },
            v.entry.version,
            v.entry
                .saved_at
                .chars()
                .take(19)
                .collect::<String>()
                .replace('T', " "),
            v.entry.reason
        );
        out.push(Line::styled(
            clip(&text, width),
            if sel { st.selected } else { Style::default() },
        ));
    }
    if let Some(v) = data.versions.get(h.selected) {
        out.push(Line::raw(""));
        let next = if h.selected == 0 {
            "the current file".to_string()
        } else {
            format!("v{}", data.versions[h.selected - 1].entry.version)
        };
        out.push(Line::styled(
            format!("Changes from v{} to {next}:", v.entry.version),
            st.accent,
        ));
        for c in &v.changes {
            out.push(Line::raw(clip(&format!("  {c}"), width)));
        }
    }
    out
}
