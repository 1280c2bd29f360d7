//! The profile editor: keys in, intents and state out, with the worker's file work done for
//! real (`profile_work::run` against a temporary `LASSO_HOME`), and snapshots of each screen.

use std::collections::BTreeMap;
use std::collections::VecDeque;
use std::fs;
use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::snapshots::text;
use super::*;
use crate::config::{
    FIELDS, HistoryEntry, LassoHome, Location, ProfileSource, ProfileStore, TextCheck, TextProblem,
};
use crate::tui::Focus;
use crate::tui::event::{AppEvent, Intent};
use crate::tui::panes::profiles::View;
use crate::tui::panes::profiles::msg::{
    HistoryView, OpenedProfile, ProfileEvent, ProfileRequest, ProfileRow, SourceKind, VersionRow,
};
use crate::tui::profile_work;
use crate::tui::render_to_buffer;

struct Home {
    _tmp: tempfile::TempDir,
    home: LassoHome,
    store: ProfileStore,
}

fn home() -> Home {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = LassoHome::at(tmp.path().join("home")).unwrap_or_else(|e| panic!("{e}"));
    let store =
        ProfileStore::with_env(&home, None, &BTreeMap::new()).unwrap_or_else(|e| panic!("{e}"));
    Home {
        _tmp: tmp,
        home,
        store,
    }
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn typed(a: &mut App, s: &str) -> Vec<Intent> {
    s.chars().flat_map(|c| a.handle_key(ch(c))).collect()
}

/// Does the profile work the intents ask for, feeding the answers back, until none is left.
fn pump(a: &mut App, h: &Home, intents: Vec<Intent>) {
    let mut queue: VecDeque<Intent> = intents.into();
    while let Some(intent) = queue.pop_front() {
        if let Intent::Profile(req) = intent {
            let ev = profile_work::run(&h.store, req);
            queue.extend(a.on_event(AppEvent::Profile(Box::new(ev))));
        }
    }
}

fn press(a: &mut App, h: &Home, k: KeyEvent) {
    let out = a.handle_key(k);
    pump(a, h, out);
}

fn doc_text(a: &App) -> String {
    a.profiles
        .doc
        .as_ref()
        .map(|d| d.text())
        .unwrap_or_default()
}

/// Selects the field `path` in the form with j/k.
fn select(a: &mut App, h: &Home, path: &str) {
    let Some(want) = FIELDS.iter().position(|f| f.path == path) else {
        panic!("{path}")
    };
    press(a, h, key(KeyCode::Home));
    for _ in 0..want {
        press(a, h, ch('j'));
    }
    assert_eq!(a.profiles.doc.as_ref().map(|d| d.field), Some(want));
}

/// The app with the profile pane focused and `team` (a user profile) open in the form.
fn team_open(h: &Home) -> App {
    let text = "# our team profile\nname = \"team\"\nextends = \"development\"\n\
                [resources]\nmemory = \"2g\"\n";
    if let Err(e) = h.store.save("team", text) {
        panic!("{e}")
    }
    let mut a = app();
    press(&mut a, h, ch('6'));
    assert_eq!(a.focus, Focus::Profiles);
    let i = a.profiles.rows.iter().position(|r| r.name == "team");
    a.profiles.selected = i.unwrap_or_else(|| panic!("team is listed"));
    press(&mut a, h, key(KeyCode::Enter));
    assert_eq!(a.profiles.view, View::Form);
    a
}

#[test]
fn six_focuses_the_editor_in_the_audit_slot() {
    let mut a = app();
    let out = a.handle_key(ch('6'));
    assert_eq!(out, vec![Intent::Profile(ProfileRequest::List)]);
    assert_eq!((a.focus, a.front), (Focus::Profiles, Focus::Profiles));
    let screen = text(&render_to_buffer(&a, 110, 24));
    assert!(screen.contains("Profiles"), "{screen}");
    assert!(!screen.contains(" Audit "), "{screen}");
    // Focusing another pane keeps the editor in the slot; focusing the audit brings it back.
    a.handle_key(ch('1'));
    assert_eq!(a.front, Focus::Profiles);
    a.handle_key(ch('3'));
    assert_eq!(a.front, Focus::Audit);
    let screen = text(&render_to_buffer(&a, 110, 24));
    assert!(screen.contains(" Audit "), "{screen}");
    // The list is asked for once, not on every focus.
    assert!(a.handle_key(ch('6')).is_empty());
}

#[test]
fn form_edits_become_toml_and_every_edit_is_checked() {
    let h = home();
    let mut a = team_open(&h);
    assert!(a.profiles.doc.as_ref().is_some_and(|d| !d.dirty()));
    select(&mut a, &h, "mode");
    press(&mut a, &h, key(KeyCode::Enter));
    assert!(
        doc_text(&a).contains("mode = \"observe\""),
        "{}",
        doc_text(&a)
    );
    press(&mut a, &h, ch(' '));
    assert!(doc_text(&a).contains("mode = \"assist\""));

    select(&mut a, &h, "commands.allow_shell_operators");
    press(&mut a, &h, key(KeyCode::Enter));
    assert!(doc_text(&a).contains("allow_shell_operators = true"));

    select(&mut a, &h, "resources.pids");
    press(&mut a, &h, key(KeyCode::Enter));
    let out = typed(&mut a, "5");
    assert!(out.is_empty(), "typing in a prompt asks for nothing");
    press(&mut a, &h, key(KeyCode::Enter));
    // 5 is below the limit: refused in the prompt, the text unchanged.
    assert!(a.profiles.prompt.is_some());
    assert!(
        a.profiles
            .error
            .as_deref()
            .is_some_and(|e| e.contains("16 to 4194304"))
    );
    press(&mut a, &h, ch('0'));
    let out = a.handle_key(key(KeyCode::Enter));
    assert!(doc_text(&a).contains("pids = 50"), "{}", doc_text(&a));
    let checks: Vec<_> = out
        .iter()
        .filter(|i| matches!(i, Intent::Profile(ProfileRequest::Check { name, text, .. }) if name == "team" && text.contains("pids = 50")))
        .collect();
    assert_eq!(checks.len(), 1, "{out:?}");
    pump(&mut a, &h, out);

    select(&mut a, &h, "commands.whitelist_add");
    press(&mut a, &h, key(KeyCode::Enter));
    press(&mut a, &h, ch('a'));
    typed(&mut a, "rustup");
    press(&mut a, &h, key(KeyCode::Enter));
    press(&mut a, &h, ch('a'));
    typed(&mut a, "jq");
    press(&mut a, &h, key(KeyCode::Enter));
    assert!(
        doc_text(&a).contains("whitelist_add = [\"rustup\", \"jq\"]"),
        "{}",
        doc_text(&a)
    );
    press(&mut a, &h, ch('k'));
    press(&mut a, &h, ch('d'));
    assert!(
        doc_text(&a).contains("whitelist_add = [\"jq\"]"),
        "{}",
        doc_text(&a)
    );
    press(&mut a, &h, key(KeyCode::Esc));

    select(&mut a, &h, "extra_env");
    press(&mut a, &h, key(KeyCode::Enter));
    press(&mut a, &h, ch('a'));
    typed(&mut a, "EDITOR=vi");
    press(&mut a, &h, key(KeyCode::Enter));
    press(&mut a, &h, key(KeyCode::Esc));
    assert!(
        doc_text(&a).contains("[extra_env]\nEDITOR = \"vi\""),
        "{}",
        doc_text(&a)
    );

    select(&mut a, &h, "commands.blocked_args");
    press(&mut a, &h, key(KeyCode::Enter));
    press(&mut a, &h, ch('a'));
    typed(&mut a, "git=push --force");
    press(&mut a, &h, key(KeyCode::Enter));
    press(&mut a, &h, key(KeyCode::Esc));
    assert!(
        doc_text(&a).contains("git = [\"push --force\"]"),
        "{}",
        doc_text(&a)
    );

    // Quitting with unsaved changes asks first; n stays.
    press(&mut a, &h, ch('q'));
    assert!(!a.quit);
    assert!(matches!(a.overlay, crate::tui::app::Overlay::Confirm(_)));
    press(&mut a, &h, ch('n'));
    assert!(!a.quit && a.profiles.doc.is_some());

    // x unsets: the field is inherited again.
    select(&mut a, &h, "resources.memory");
    press(&mut a, &h, ch('x'));
    assert!(!doc_text(&a).contains("memory"), "{}", doc_text(&a));
    let doc = a.profiles.doc.as_ref().unwrap_or_else(|| panic!("doc"));
    assert!(doc.dirty());
    assert_eq!(doc.check.as_ref().map(|c| c.problem.clone()), Some(None));
    // Nothing was written by editing.
    let on_disk = fs::read_to_string(h.home.profiles_dir().join("team.toml")).unwrap_or_default();
    assert!(on_disk.contains("memory = \"2g\""));
    press(&mut a, &h, ch('q'));
    let out = a.handle_key(ch('y'));
    assert!(a.quit && out == vec![Intent::Quit], "{out:?}");
}

#[test]
fn stale_checks_are_dropped() {
    let h = home();
    let mut a = team_open(&h);
    press(&mut a, &h, ch('t'));
    let first = a.handle_key(ch('#'));
    let second = a.handle_key(ch('#'));
    let generation = |out: &[Intent]| {
        out.iter()
            .find_map(|i| match i {
                Intent::Profile(ProfileRequest::Check { generation, .. }) => Some(*generation),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{out:?}"))
    };
    let (g1, g2) = (generation(&first), generation(&second));
    assert!(g2 > g1);
    let bad = TextCheck {
        resolved: None,
        problem: Some(TextProblem {
            key: None,
            location: None,
            message: "stale".into(),
        }),
    };
    pump(&mut a, &h, second);
    a.on_event(AppEvent::Profile(Box::new(ProfileEvent::Checked {
        generation: g1,
        check: bad,
    })));
    let doc = a.profiles.doc.as_ref().unwrap_or_else(|| panic!("doc"));
    assert_eq!(doc.check.as_ref().map(|c| c.problem.is_none()), Some(true));
    assert!(!doc.checking);
}

#[test]
fn text_view_keeps_comments_and_ctrl_e_finds_the_error() {
    let h = home();
    let mut a = team_open(&h);
    press(&mut a, &h, ch('t'));
    assert!(a.profiles.captures_input_for_test());
    // Global keys are text here: q types a q instead of quitting.
    press(&mut a, &h, key(KeyCode::End));
    for _ in 0..4 {
        press(&mut a, &h, key(KeyCode::Down));
    }
    press(&mut a, &h, key(KeyCode::End));
    for _ in 0..3 {
        press(&mut a, &h, key(KeyCode::Backspace));
    }
    typed(&mut a, "8m\"");
    let _ = typed(&mut a, "q");
    press(&mut a, &h, key(KeyCode::Backspace));
    assert!(!a.quit);
    assert_eq!(
        doc_text(&a),
        "# our team profile\nname = \"team\"\nextends = \"development\"\n[resources]\nmemory = \"8m\"\n"
    );
    let doc = a.profiles.doc.as_ref().unwrap_or_else(|| panic!("doc"));
    let problem = doc.check.as_ref().and_then(|c| c.problem.clone());
    let problem = problem.unwrap_or_else(|| panic!("8m is below the limit"));
    assert_eq!(problem.key.as_deref(), Some("resources.memory"));
    assert_eq!(
        problem.location,
        Some(Location {
            line: 5,
            column: 10
        })
    );
    press(&mut a, &h, key(KeyCode::Home));
    press(&mut a, &h, key(KeyCode::Up));
    press(&mut a, &h, ctrl('e'));
    let doc = a.profiles.doc.as_ref().unwrap_or_else(|| panic!("doc"));
    assert_eq!((doc.editor.row, doc.editor.col), (4, 9));
    // In the form, Ctrl-E selects the field.
    press(&mut a, &h, key(KeyCode::Esc));
    assert_eq!(a.profiles.view, View::Form);
    press(&mut a, &h, key(KeyCode::Home));
    press(&mut a, &h, ctrl('e'));
    let at = a.profiles.doc.as_ref().map(|d| FIELDS[d.field].path);
    assert_eq!(at, Some("resources.memory"));
    // Saving is refused while there is an error.
    press(&mut a, &h, ctrl('s'));
    press(&mut a, &h, ch('y'));
    assert_eq!(a.profiles.view, View::Form);
    assert!(
        a.profiles
            .error
            .as_deref()
            .is_some_and(|e| e.contains("fix them"))
    );
}

#[test]
fn save_review_writes_the_file_and_history_then_rollback() {
    let h = home();
    let mut a = team_open(&h);
    let path = h.home.profiles_dir().join("team.toml");
    let before = fs::read_to_string(&path).unwrap_or_default();
    select(&mut a, &h, "commands.allow_code_eval");
    press(&mut a, &h, key(KeyCode::Enter));
    press(&mut a, &h, ctrl('s'));
    assert_eq!(a.profiles.view, View::Review);
    let screen = text(&render_to_buffer(&a, 110, 30));
    assert!(
        screen.contains("commands.allow_code_eval: false -> true"),
        "{screen}"
    );
    assert!(screen.contains("+ allow_code_eval = true"), "{screen}");
    press(&mut a, &h, ch('y'));
    let after = fs::read_to_string(&path).unwrap_or_default();
    assert_ne!(after, before);
    assert!(after.contains("allow_code_eval = true"), "{after}");
    let v1 = crate::config::history_dir(&path).join("v1.toml");
    assert_eq!(fs::read_to_string(&v1).ok(), Some(before.clone()));
    assert!(
        a.profiles
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("archived as v1"))
    );
    assert!(
        a.profiles.doc.as_ref().is_some_and(|d| !d.dirty()),
        "reopened as saved"
    );

    // History shows v1; rollback asks, then restores it.
    press(&mut a, &h, ch('h'));
    assert_eq!(a.profiles.view, View::History);
    let versions = a
        .profiles
        .history
        .as_ref()
        .and_then(|x| x.data.as_ref())
        .map(|d| d.versions.len());
    assert_eq!(versions, Some(1));
    press(&mut a, &h, ch('R'));
    assert!(a.profiles.prompt.is_some());
    press(&mut a, &h, ch('y'));
    assert_eq!(fs::read_to_string(&path).ok(), Some(before));
    assert_eq!(a.profiles.view, View::Form);
}

#[test]
fn builtins_save_as_a_new_user_profile() {
    let h = home();
    let mut a = app();
    press(&mut a, &h, ch('6'));
    let i = a.profiles.rows.iter().position(|r| r.name == "strict");
    a.profiles.selected = i.unwrap_or_else(|| panic!("strict is listed"));
    press(&mut a, &h, ch('d'));
    assert!(a.profiles.prompt.is_none(), "built-ins cannot be deleted");
    assert!(
        a.profiles
            .error
            .as_deref()
            .is_some_and(|e| e.contains("builtin profile"))
    );
    press(&mut a, &h, key(KeyCode::Enter));
    let doc = a.profiles.doc.as_ref().unwrap_or_else(|| panic!("doc"));
    assert!(doc.kind.read_only());
    select(&mut a, &h, "resources.cpus");
    press(&mut a, &h, key(KeyCode::Enter));
    press(&mut a, &h, ctrl('u'));
    typed(&mut a, "0.5");
    press(&mut a, &h, key(KeyCode::Enter));
    press(&mut a, &h, ctrl('s'));
    assert!(matches!(
        a.profiles.prompt,
        Some(crate::tui::panes::profiles::Prompt::Input { .. })
    ));
    press(&mut a, &h, ctrl('u'));
    typed(&mut a, "strict");
    press(&mut a, &h, key(KeyCode::Enter));
    assert!(
        a.profiles
            .error
            .as_deref()
            .is_some_and(|e| e.contains("exists"))
    );
    press(&mut a, &h, ctrl('u'));
    typed(&mut a, "strict-half");
    press(&mut a, &h, key(KeyCode::Enter));
    assert_eq!(a.profiles.view, View::Review);
    press(&mut a, &h, ch('y'));
    let saved =
        fs::read_to_string(h.home.profiles_dir().join("strict-half.toml")).unwrap_or_default();
    assert!(
        saved.contains("name = \"strict-half\"") && saved.contains("cpus = 0.5"),
        "{saved}"
    );
    assert!(!h.home.profiles_dir().join("strict.toml").exists());
    assert!(
        a.profiles
            .rows
            .iter()
            .any(|r| r.name == "strict-half" && r.kind == SourceKind::User)
    );
}

#[test]
fn new_and_delete_user_profiles() {
    let h = home();
    let mut a = app();
    press(&mut a, &h, ch('6'));
    let i = a.profiles.rows.iter().position(|r| r.name == "development");
    a.profiles.selected = i.unwrap_or_else(|| panic!("development"));
    press(&mut a, &h, ch('n'));
    typed(&mut a, "Bad Name");
    press(&mut a, &h, key(KeyCode::Enter));
    assert!(
        a.profiles
            .error
            .as_deref()
            .is_some_and(|e| e.contains("not a profile name"))
    );
    press(&mut a, &h, ctrl('u'));
    typed(&mut a, "dev2");
    press(&mut a, &h, key(KeyCode::Enter));
    assert_eq!(doc_text(&a), "name = \"dev2\"\nextends = \"development\"\n");
    press(&mut a, &h, ctrl('s'));
    press(&mut a, &h, key(KeyCode::Enter));
    let path = h.home.profiles_dir().join("dev2.toml");
    assert!(path.is_file());
    press(&mut a, &h, key(KeyCode::Esc));
    assert_eq!(a.profiles.view, View::List);
    let i = a.profiles.rows.iter().position(|r| r.name == "dev2");
    a.profiles.selected = i.unwrap_or_else(|| panic!("dev2"));
    press(&mut a, &h, ch('d'));
    press(&mut a, &h, ch('n'));
    assert!(path.is_file(), "n keeps it");
    press(&mut a, &h, ch('d'));
    press(&mut a, &h, ch('y'));
    assert!(!path.exists());
    assert!(!a.profiles.rows.iter().any(|r| r.name == "dev2"));
}

// Snapshots. Fixed rows and paths (the temporary home's path would vary from run to run).

fn rows() -> Vec<ProfileRow> {
    let row =
        |name: &str, kind, source: ProfileSource, extends: Option<&str>, d: &str| ProfileRow {
            name: name.into(),
            kind,
            source,
            extends: extends.map(String::from),
            shadows: None,
            description: d.into(),
            problem: None,
        };
    let mut team = row(
        "team",
        SourceKind::User,
        ProfileSource::File(PathBuf::from("/home/dev/.lasso/profiles/team.toml")),
        Some("development"),
        "our team's settings",
    );
    team.shadows = None;
    let mut proj = row(
        "development",
        SourceKind::Project,
        ProfileSource::File(PathBuf::from(
            "/home/dev/project/.lasso/profiles/development.toml",
        )),
        Some("development"),
        "development for this repo",
    );
    proj.shadows = Some(ProfileSource::Builtin);
    let mut ci = row(
        "ci",
        SourceKind::Team,
        ProfileSource::File(PathBuf::from("/etc/lasso/profiles/ci.toml")),
        Some("gone"),
        "",
    );
    ci.problem = Some("profile \"gone\" not found".into());
    vec![
        proj,
        ci,
        team,
        row(
            "minimal",
            SourceKind::Builtin,
            ProfileSource::Builtin,
            None,
            "Only basic file tools",
        ),
        row(
            "strict",
            SourceKind::Builtin,
            ProfileSource::Builtin,
            None,
            "Locked down",
        ),
    ]
}

fn listed() -> App {
    let mut a = app();
    connected(&mut a);
    a.handle_key(ch('6'));
    a.handle_key(ch('z'));
    a.on_event(AppEvent::Profile(Box::new(ProfileEvent::Listed(
        Ok(rows()),
    ))));
    a
}

fn shot(a: &App) -> String {
    text(&render_to_buffer(a, 100, 30))
}

/// `team` opened from fixed text, checked and given its inherited values by a real store.
fn opened(h: &Home) -> App {
    let mut a = listed();
    a.handle_key(ch('j'));
    a.handle_key(ch('j'));
    let out = a.handle_key(key(KeyCode::Enter));
    assert_eq!(
        out,
        vec![Intent::Profile(ProfileRequest::Open {
            name: "team".into()
        })]
    );
    let text = "# our team profile\nname = \"team\"\nextends = \"development\"\nmode = \"assist\"\n\
                [resources]\nmemory = \"2g\"\n";
    let saved = h.store.check_text("team", text).resolved.map(|r| r.profile);
    let inherited = h
        .store
        .inherited("team", Some("development"))
        .map(|p| crate::tui::profile_work::form_values(&p).unwrap_or_default());
    let out = a.on_event(AppEvent::Profile(Box::new(ProfileEvent::Opened(Ok(
        OpenedProfile {
            name: "team".into(),
            kind: SourceKind::User,
            path: Some(PathBuf::from("/home/dev/.lasso/profiles/team.toml")),
            text: text.into(),
            saved,
            inherited: inherited.unwrap_or_else(|e| panic!("{e}")),
        },
    )))));
    pump(&mut a, h, out);
    a
}

#[test]
fn snapshots_of_each_screen() {
    let mut a = app();
    connected(&mut a);
    a.handle_key(ch('6'));
    a.handle_key(ch('z'));
    insta::assert_snapshot!("profiles_loading", shot(&a));
    insta::assert_snapshot!("profiles_list", shot(&listed()));

    let h = home();
    let mut a = opened(&h);
    insta::assert_snapshot!("profiles_form", shot(&a));
    a.handle_key(ch('?'));
    insta::assert_snapshot!("profiles_help", shot(&a));
    a.handle_key(key(KeyCode::Esc));

    // An edit, then the review before saving.
    let memory = FIELDS
        .iter()
        .position(|f| f.path == "resources.memory")
        .unwrap_or_default();
    for _ in 0..memory {
        a.handle_key(ch('j'));
    }
    press(&mut a, &h, key(KeyCode::Enter));
    press(&mut a, &h, ctrl('u'));
    typed(&mut a, "4g");
    press(&mut a, &h, key(KeyCode::Enter));
    press(&mut a, &h, ch('t'));
    insta::assert_snapshot!("profiles_text", shot(&a));
    press(&mut a, &h, ctrl('s'));
    insta::assert_snapshot!("profiles_review", shot(&a));

    // An error, as the check reports it (fixed message: the real one names the temp path).
    press(&mut a, &h, ch('n'));
    let out = a.handle_key(ch('t'));
    assert!(out.is_empty());
    let out = a.handle_key(key(KeyCode::Esc));
    assert!(out.is_empty());
    press(&mut a, &h, ch('t'));
    let out = typed(&mut a, "x");
    let Some(generation) = out.iter().find_map(|i| match i {
        Intent::Profile(ProfileRequest::Check { generation, .. }) => Some(*generation),
        _ => None,
    }) else {
        panic!("{out:?}")
    };
    a.on_event(AppEvent::Profile(Box::new(ProfileEvent::Checked {
        generation,
        check: TextCheck {
            resolved: None,
            problem: Some(TextProblem {
                key: Some("resources.memory".into()),
                location: Some(Location {
                    line: 6,
                    column: 10,
                }),
                message: "profiles/team.toml:6:10: resources.memory = \"x4g\" is not valid: \
                          unknown unit"
                    .into(),
            }),
        },
    })));
    press(&mut a, &h, key(KeyCode::Esc));
    insta::assert_snapshot!("profiles_error", shot(&a));

    let mut a = listed();
    a.handle_key(ch('j'));
    a.handle_key(ch('j'));
    let out = a.handle_key(ch('h'));
    assert_eq!(
        out,
        vec![Intent::Profile(ProfileRequest::History {
            name: "team".into()
        })]
    );
    let entry = |v: u32, at: &str, reason: &str| HistoryEntry {
        version: v,
        saved_at: at.into(),
        sha256: "0".repeat(64),
        reason: reason.into(),
        path: PathBuf::from(format!("/home/dev/.lasso/profiles/.history/team/v{v}.toml")),
    };
    a.on_event(AppEvent::Profile(Box::new(ProfileEvent::History(Ok(
        HistoryView {
            name: "team".into(),
            path: PathBuf::from("/home/dev/.lasso/profiles/team.toml"),
            versions: vec![
                VersionRow {
                    entry: entry(2, "2026-11-27T11:00:00.000Z", "save"),
                    changes: vec!["resources.memory: \"1g\" -> \"2g\"".into()],
                },
                VersionRow {
                    entry: entry(1, "2026-11-26T09:30:00.000Z", "save"),
                    changes: vec![
                        "commands.whitelist: +cargo".into(),
                        "mode: \"observe\" -> \"assist\"".into(),
                    ],
                },
            ],
        },
    )))));
    insta::assert_snapshot!("profiles_history", shot(&a));
    a.handle_key(ch('j'));
    a.handle_key(ch('R'));
    insta::assert_snapshot!("profiles_rollback_confirm", shot(&a));

    // The editor in its slot of the four-pane layout.
    let mut a = listed();
    a.handle_key(ch('z'));
    insta::assert_snapshot!("profiles_in_layout", text(&render_to_buffer(&a, 120, 30)));
}
