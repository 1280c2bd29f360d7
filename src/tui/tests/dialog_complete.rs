//! The create dialog's working directory: Tab completion (unique, ambiguous with the
//! candidates listed, `~`), Tab still walking the form, and a missing directory refused in
//! the dialog.

use std::path::{Path, PathBuf};

use crossterm::event::KeyCode;

use super::snapshots::text;
use super::*;
use crate::config::{ProfileInfo, ProfileSource};
use crate::tui::app::Overlay;
use crate::tui::dialog::{CreateDialog, DialogOutcome, Field};
use crate::tui::event::Intent;
use crate::tui::render_to_buffer;

fn dialog_in(home: &Path) -> CreateDialog {
    let mut d = CreateDialog::new(PathBuf::from("/"));
    d.home = Some(home.to_path_buf());
    d.profiles = Some(Ok(vec![ProfileInfo {
        name: "development".into(),
        source: ProfileSource::Builtin,
        description: "a dev profile".into(),
        shadows: None,
        problem: None,
    }]));
    d.field = Field::WorkingDir;
    d.working_dir.value.clear();
    d
}

fn typed(d: &mut CreateDialog, s: &str) {
    for c in s.chars() {
        assert_eq!(d.handle_key(ch(c)), DialogOutcome::Open);
    }
}

fn tree() -> tempfile::TempDir {
    let Ok(tmp) = tempfile::tempdir() else {
        panic!("tmp")
    };
    for d in ["alpha", "alphabet", "beta", "beta/inner"] {
        assert!(std::fs::create_dir(tmp.path().join(d)).is_ok());
    }
    tmp
}

#[test]
fn tab_completes_a_unique_directory_and_then_moves_on() {
    let tmp = tree();
    let mut d = dialog_in(tmp.path());
    typed(&mut d, "~/be");
    d.handle_key(key(KeyCode::Tab));
    assert_eq!(
        d.working_dir.value,
        format!("{}/beta/", tmp.path().display())
    );
    assert_eq!(d.field, Field::WorkingDir);
    d.handle_key(key(KeyCode::Tab));
    assert_eq!(
        d.working_dir.value,
        format!("{}/beta/inner/", tmp.path().display())
    );
    // Nothing left to complete: Tab walks the form again.
    d.handle_key(key(KeyCode::Tab));
    assert_eq!(d.field, Field::Name);
    d.handle_key(key(KeyCode::BackTab));
    assert_eq!(d.field, Field::WorkingDir);
    let DialogOutcome::Submit(Intent::Create(form)) = d.handle_key(key(KeyCode::Enter)) else {
        panic!("{:?}", d.error)
    };
    assert_eq!(form.working_dir, tmp.path().join("beta/inner"));
}

#[test]
fn an_ambiguous_prefix_completes_the_common_part_and_lists_the_candidates() {
    let tmp = tree();
    let mut d = dialog_in(tmp.path());
    typed(&mut d, &format!("{}/a", tmp.path().display()));
    d.handle_key(key(KeyCode::Tab));
    assert_eq!(
        d.working_dir.value,
        format!("{}/alpha", tmp.path().display())
    );
    assert_eq!(d.candidates, ["alpha", "alphabet"]);
    assert_eq!(d.field, Field::WorkingDir);
    // Shown already and nothing to add: the next Tab moves on and clears the list.
    d.handle_key(key(KeyCode::Tab));
    assert_eq!(d.field, Field::Name);
    assert!(d.candidates.is_empty());
    // Typing clears a shown list too.
    d.handle_key(key(KeyCode::BackTab));
    d.handle_key(key(KeyCode::Tab));
    assert_eq!(d.candidates.len(), 2);
    typed(&mut d, "b");
    assert!(d.candidates.is_empty());
}

#[test]
fn a_missing_directory_is_refused_in_the_dialog() {
    let tmp = tree();
    let mut d = dialog_in(tmp.path());
    typed(&mut d, &format!("{}/gamma", tmp.path().display()));
    assert_eq!(d.handle_key(key(KeyCode::Enter)), DialogOutcome::Open);
    let e = d.error.clone().unwrap_or_default();
    assert!(
        e.contains("gamma does not exist") && e.contains("Tab completes"),
        "{e}"
    );
    assert_eq!(d.field, Field::WorkingDir);
}

#[test]
fn the_dialog_shows_candidates_and_the_missing_directory_message() {
    let mut a = app();
    a.handle_key(ch('n'));
    a.on_event(crate::tui::event::AppEvent::Profiles(Ok(vec![
        ProfileInfo {
            name: "development".into(),
            source: ProfileSource::Builtin,
            description: "a dev profile".into(),
            shadows: None,
            problem: None,
        },
    ])));
    let Overlay::Create(d) = &mut a.overlay else {
        panic!("no dialog")
    };
    // Fixed names for the snapshot (the real listing is tested above).
    d.field = Field::WorkingDir;
    d.working_dir.value = "/srv/proj".into();
    d.candidates = vec!["project".into(), "projects-old".into(), "proj2".into()];
    d.error = Some(
        "the working directory /srv/proj does not exist or is not a directory (Tab completes \
         directory names)"
            .into(),
    );
    insta::assert_snapshot!(
        "create_dialog_completion",
        text(&render_to_buffer(&a, 100, 26))
    );
}
