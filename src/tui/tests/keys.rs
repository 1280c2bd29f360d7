//! Key handling: what each key does to the state and which intents it sends.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::audit::{EntryKind, Outcome};
use crate::config::{Isolation, ProfileInfo, ProfileSource};
use crate::sandbox::SandboxInfo;
use crate::tui::app::{Focus, Overlay, SPLIT_MAX, SPLIT_MIN};
use crate::tui::event::{AppEvent, AuditPageData, AuditSource, BrowsedEntry, ChainStatus, Intent};

fn page_requests(intents: &[Intent]) -> Vec<&crate::tui::event::AuditPageRequest> {
    intents
        .iter()
        .filter_map(|i| match i {
            Intent::LoadAuditPage(r) => Some(r),
            _ => None,
        })
        .collect()
}

#[test]
fn start_refreshes_and_opens_all_logs() {
    let mut a = app();
    let out = a.start();
    assert_eq!(out.first(), Some(&Intent::Refresh));
    assert_eq!(page_requests(&out).len(), 1);
    assert!(out.iter().any(|i| matches!(
        i,
        Intent::Verify {
            source: AuditSource::All,
            ..
        }
    )));
}

#[test]
fn global_keys_focus_resize_zoom_help_and_quit() {
    let mut a = app();
    assert_eq!(a.focus, Focus::Sandboxes);
    a.handle_key(key(KeyCode::Tab));
    assert_eq!(a.focus, Focus::Alerts);
    a.handle_key(key(KeyCode::Tab));
    a.handle_key(key(KeyCode::Tab));
    assert_eq!(a.focus, Focus::Check);
    a.handle_key(key(KeyCode::Tab));
    assert_eq!((a.focus, a.front), (Focus::Terminal, Focus::Terminal));
    a.handle_key(key(KeyCode::Tab));
    assert_eq!((a.focus, a.front), (Focus::Profiles, Focus::Profiles));
    a.handle_key(key(KeyCode::Tab));
    assert_eq!(a.focus, Focus::Sandboxes);
    a.handle_key(key(KeyCode::BackTab));
    assert_eq!(a.focus, Focus::Profiles);
    a.handle_key(key(KeyCode::BackTab));
    assert_eq!(a.focus, Focus::Terminal);
    a.handle_key(key(KeyCode::BackTab));
    assert_eq!(a.focus, Focus::Check);
    assert_eq!(
        a.front,
        Focus::Terminal,
        "the slot keeps what was focused last"
    );
    a.handle_key(ch('5'));
    assert_eq!(a.focus, Focus::Terminal);
    a.handle_key(ch('6'));
    assert_eq!((a.focus, a.front), (Focus::Profiles, Focus::Profiles));
    assert!(
        a.handle_key(ch('7')).is_empty() && a.focus == Focus::Profiles,
        "no seventh pane"
    );
    a.handle_key(ch('3'));
    assert_eq!((a.focus, a.front), (Focus::Audit, Focus::Audit));
    for _ in 0..20 {
        a.handle_key(ch('<'));
    }
    assert_eq!(a.split_x, SPLIT_MIN);
    for _ in 0..20 {
        a.handle_key(ch('>'));
        a.handle_key(ch(']'));
    }
    assert_eq!((a.split_x, a.split_y), (SPLIT_MAX, SPLIT_MAX));
    a.handle_key(ch('z'));
    assert!(a.zoom);
    a.handle_key(ch('?'));
    assert!(matches!(a.overlay, Overlay::Help));
    // While help is open, q closes it rather than quitting.
    a.handle_key(ch('q'));
    assert!(matches!(a.overlay, Overlay::None) && !a.quit);
    assert_eq!(a.handle_key(ch('q')), vec![Intent::Quit]);
    assert!(a.quit);
}

#[test]
fn sandboxes_navigate_sort_and_filter() {
    let mut a = app();
    a.on_event(AppEvent::Sandboxes(sandboxes(10)));
    a.handle_key(key(KeyCode::Down));
    a.handle_key(ch('j'));
    assert_eq!(a.sandboxes.selected, 2);
    a.handle_key(ch('G'));
    assert_eq!(a.sandboxes.selected, 9);
    a.handle_key(key(KeyCode::Down));
    assert_eq!(a.sandboxes.selected, 9, "clamped at the end");
    // The selection follows the sandbox across a refresh that reorders the list.
    let id = a.sandboxes.selected_info().map(|s| s.id.clone());
    let mut shuffled = sandboxes(10);
    shuffled.reverse();
    a.on_event(AppEvent::Sandboxes(shuffled));
    assert_eq!(a.sandboxes.selected_info().map(|s| s.id.clone()), id);
    a.handle_key(ch('s'));
    let names: Vec<String> = a
        .sandboxes
        .visible()
        .iter()
        .map(|s| s.name.clone())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "sorted by name");
    a.handle_key(ch('S'));
    assert_eq!(
        a.sandboxes.visible().first().map(|s| s.name.as_str()),
        Some("agent-009")
    );
    // Filtering captures every key, q included.
    a.handle_key(ch('/'));
    for c in "strict".chars() {
        a.handle_key(ch(c));
    }
    a.handle_key(ch('q'));
    assert!(!a.quit);
    a.handle_key(key(KeyCode::Backspace));
    a.handle_key(key(KeyCode::Enter));
    assert_eq!(a.sandboxes.filter.value, "strict");
    assert!(a.sandboxes.visible().iter().all(|s| s.profile == "strict"));
    assert_eq!(a.sandboxes.visible().len(), 3);
    a.handle_key(ch('/'));
    a.handle_key(key(KeyCode::Esc));
    assert_eq!(a.sandboxes.visible().len(), 10);
    // Ctrl-C always quits.
    a.handle_key(ch('/'));
    a.handle_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(a.quit);
}

#[test]
fn stop_and_remove_ask_first() {
    let mut a = app();
    let list = sandboxes(3);
    let (id, name) = (list[1].id.clone(), list[1].name.clone());
    a.on_event(AppEvent::Sandboxes(list));
    a.handle_key(ch('j'));
    assert!(
        a.handle_key(ch('x')).is_empty(),
        "nothing is stopped before the answer"
    );
    assert!(
        matches!(&a.overlay, Overlay::Confirm(c) if c.question.contains("Stop sandbox agent-001"))
    );
    assert!(a.handle_key(ch('n')).is_empty());
    assert!(matches!(a.overlay, Overlay::None));
    a.handle_key(ch('x'));
    assert_eq!(
        a.handle_key(ch('y')),
        vec![Intent::Stop {
            id: id.clone(),
            name: name.clone()
        }]
    );
    a.handle_key(ch('d'));
    assert_eq!(
        a.handle_key(key(KeyCode::Enter)),
        vec![Intent::Remove { id, name }]
    );
    // With nothing listed there is nothing to confirm.
    let mut empty = app();
    empty.on_event(AppEvent::Sandboxes(Vec::new()));
    empty.handle_key(ch('x'));
    assert!(matches!(empty.overlay, Overlay::None));
}

#[test]
fn restart_asks_first() {
    let mut a = app();
    let list = sandboxes(3);
    let (id, name) = (list[2].id.clone(), list[2].name.clone());
    a.on_event(AppEvent::Sandboxes(list));
    // The oldest first: agent-002 is at the top.
    a.handle_key(ch('g'));
    assert!(
        a.handle_key(ch('R')).is_empty(),
        "nothing happens before the answer"
    );
    assert!(
        matches!(&a.overlay, Overlay::Confirm(c) if c.question.contains("Restart sandbox agent-002"))
    );
    assert!(a.handle_key(key(KeyCode::Esc)).is_empty());
    a.handle_key(ch('R'));
    assert_eq!(a.handle_key(ch('y')), vec![Intent::Restart { id, name }]);
    assert!(matches!(&a.status, Some((m, false)) if m.contains("restarting agent-002")));
}

/// Only the running sandboxes in the rows a frame showed are sampled, the request is sent
/// again only when that set changes, and a pane that is not drawn samples nothing.
#[test]
fn stats_are_sampled_for_the_running_sandboxes_on_screen() {
    let mut a = app();
    a.on_event(AppEvent::Sandboxes(sandboxes(30)));
    // Before any frame nothing is on screen.
    assert_eq!(a.sandboxes.stats_intent(), None);
    crate::tui::render_to_buffer(&a, 140, 20);
    let Some(Intent::SampleStats(first)) = a.sandboxes.stats_intent() else {
        panic!("a frame asks for samples")
    };
    let rows = usize::from(a.sandboxes.body_rows.get());
    assert!(rows > 0 && rows < 30, "{rows}");
    let shown: Vec<&SandboxInfo> = a.sandboxes.visible().into_iter().take(rows).collect();
    let want: Vec<String> = shown
        .iter()
        .filter(|s| s.state == "running")
        .map(|s| s.id.clone())
        .collect();
    assert!(
        !want.is_empty() && want.len() < rows,
        "some shown rows are not running"
    );
    assert_eq!(first.iter().map(|s| s.id.clone()).collect::<Vec<_>>(), want);
    crate::tui::render_to_buffer(&a, 140, 20);
    assert_eq!(
        a.sandboxes.stats_intent(),
        None,
        "unchanged: no new request"
    );
    // Scrolling to the end shows other sandboxes.
    a.handle_key(ch('G'));
    crate::tui::render_to_buffer(&a, 140, 20);
    let Some(Intent::SampleStats(last)) = a.sandboxes.stats_intent() else {
        panic!("the window moved")
    };
    let visible = a.sandboxes.visible();
    let tail: Vec<String> = visible[visible.len() - rows..]
        .iter()
        .filter(|s| s.state == "running")
        .map(|s| s.id.clone())
        .collect();
    assert_eq!(last.iter().map(|s| s.id.clone()).collect::<Vec<_>>(), tail);
    assert!(!last.iter().any(|s| first.iter().any(|f| f.id == s.id)));
    // A restart (same sandbox id, new container) asks again, for the new container.
    let mut list = a.sandboxes.all.clone();
    let restarted = last[0].id.clone();
    for s in &mut list {
        if s.id == restarted {
            s.container_id = "new-container".into();
        }
    }
    a.on_event(AppEvent::Sandboxes(list));
    crate::tui::render_to_buffer(&a, 140, 20);
    let Some(Intent::SampleStats(again)) = a.sandboxes.stats_intent() else {
        panic!("a restarted sandbox is sampled in its new container")
    };
    assert!(
        again
            .iter()
            .any(|s| s.id == restarted && s.container_id == "new-container")
    );
    // Zoomed on another pane: the sandboxes pane is not drawn, nothing is sampled.
    a.handle_key(ch('2'));
    a.handle_key(ch('z'));
    crate::tui::render_to_buffer(&a, 140, 20);
    assert_eq!(
        a.sandboxes.stats_intent(),
        Some(Intent::SampleStats(Vec::new()))
    );
}

#[test]
fn open_audit_focuses_the_browser_on_that_log() {
    let mut a = app();
    let list = sandboxes(2);
    a.on_event(AppEvent::Sandboxes(list));
    // Oldest first by default: agent-001 was created before agent-000.
    let Some(sel) = a.sandboxes.selected_info().cloned() else {
        panic!("no selection")
    };
    assert_eq!(sel.name, "agent-001");
    let log = PathBuf::from(&sel.audit_log);
    let out = a.handle_key(ch('a'));
    assert_eq!(a.focus, Focus::Audit);
    let reqs = page_requests(&out);
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].source,
        AuditSource::Log {
            label: "agent-001".into(),
            path: log
        }
    );
    assert!(out.iter().any(|i| matches!(i, Intent::Verify { .. })));
    assert_eq!(a.audit.chain, ChainStatus::Verifying);
}

fn profile(name: &str, problem: Option<&str>) -> ProfileInfo {
    ProfileInfo {
        name: name.into(),
        source: ProfileSource::Builtin,
        description: format!("{name} profile"),
        shadows: None,
        problem: problem.map(str::to_string),
    }
}

#[test]
fn create_dialog_collects_and_checks_the_form() {
    let mut a = app();
    let out = a.handle_key(ch('n'));
    assert_eq!(out, vec![Intent::LoadProfiles]);
    assert!(matches!(a.overlay, Overlay::Create(_)));
    a.on_event(AppEvent::Profiles(Ok(vec![
        profile("development", None),
        profile("broken", Some("bad field")),
    ])));
    // q and Tab belong to the dialog now.
    a.handle_key(ch('q'));
    assert!(!a.quit);
    a.handle_key(key(KeyCode::Down));
    assert!(
        a.handle_key(key(KeyCode::Enter)).is_empty(),
        "a broken profile is refused"
    );
    assert!(
        matches!(&a.overlay, Overlay::Create(d) if d.error.as_deref().is_some_and(|e| e.contains("bad field")))
    );
    a.handle_key(key(KeyCode::Up));
    a.handle_key(key(KeyCode::Tab));
    for _ in 0.."/home/dev/project".len() {
        a.handle_key(key(KeyCode::Backspace));
    }
    for c in "relative".chars() {
        a.handle_key(ch(c));
    }
    assert!(
        a.handle_key(key(KeyCode::Enter)).is_empty(),
        "a relative dir is refused"
    );
    a.handle_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    let Ok(work) = tempfile::tempdir() else {
        panic!("tempdir")
    };
    let work_dir = work.path().display().to_string();
    for c in work_dir.chars() {
        a.handle_key(ch(c));
    }
    // The first Tab completes the directory (a trailing /), the second, with nothing left to
    // complete, moves on to the name.
    a.handle_key(key(KeyCode::Tab));
    a.handle_key(key(KeyCode::Tab));
    for c in "web".chars() {
        a.handle_key(ch(c));
    }
    a.handle_key(key(KeyCode::Tab));
    a.handle_key(key(KeyCode::Right));
    let out = a.handle_key(key(KeyCode::Enter));
    assert_eq!(
        out,
        vec![Intent::Create(crate::tui::event::CreateForm {
            profile: "development".into(),
            working_dir: work.path().to_path_buf(),
            name: Some("web".into()),
            isolation: Isolation::Gvisor,
        })]
    );
    assert!(matches!(a.overlay, Overlay::None));
    assert!(
        a.status
            .as_ref()
            .is_some_and(|(m, _)| m.contains("creating"))
    );
    // A failure is shown in full and the list refreshed.
    let out = a.on_event(AppEvent::Done(Err("creating: the self-test failed".into())));
    assert_eq!(out, vec![Intent::Refresh]);
    assert!(matches!(&a.overlay, Overlay::Message { text, .. } if text.contains("self-test")));
    a.handle_key(key(KeyCode::Esc));
    assert!(matches!(a.overlay, Overlay::None));
    a.handle_key(ch('n'));
    assert!(a.handle_key(key(KeyCode::Esc)).is_empty());
    assert!(matches!(a.overlay, Overlay::None));
}

#[test]
fn alerts_count_unseen_and_jump_to_the_entry() {
    let mut a = app();
    let list = sandboxes(2);
    a.on_event(AppEvent::Sandboxes(list.clone()));
    a.on_event(AppEvent::Alerts {
        new: vec![alert(1, &list[0]), alert(2, &list[1])],
        blocked: vec![(list[0].id.clone(), 4)],
    });
    assert_eq!(a.alerts.unseen, 2);
    assert_eq!(a.sandboxes.blocked.get(&list[0].id), Some(&4));
    assert_eq!(a.alerts.alerts[0].seq, 12, "newest first");
    a.handle_key(ch('2'));
    assert_eq!(a.alerts.unseen, 0, "focusing the pane marks them seen");
    a.on_event(AppEvent::Alerts {
        new: vec![alert(3, &list[0])],
        blocked: Vec::new(),
    });
    assert_eq!(a.alerts.unseen, 0, "seen while focused");
    assert_eq!(a.alerts.selected, 1, "the selection stays on its alert");
    let out = a.handle_key(key(KeyCode::Enter));
    assert_eq!(a.focus, Focus::Audit);
    let reqs = page_requests(&out);
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].select_seq,
        Some((PathBuf::from(&list[1].audit_log), 12))
    );
    assert_eq!(reqs[0].source.label(), "agent-001");
    a.handle_key(ch('2'));
    a.handle_key(ch('c'));
    assert!(a.alerts.alerts.is_empty());
}

fn page(n: u64, has_next: bool) -> AuditPageData {
    AuditPageData {
        entries: (0..n)
            .map(|i| BrowsedEntry {
                log: PathBuf::from("/h/audit/a.jsonl"),
                entry: entry(100 - i, EntryKind::Command, Outcome::Success, "ls"),
            })
            .collect(),
        next: has_next.then(|| vec![(PathBuf::from("/h/audit/a.jsonl"), n as usize)]),
    }
}

#[test]
fn audit_filters_pages_and_ignores_stale_answers() {
    let mut a = app();
    a.start();
    a.handle_key(ch('3'));
    let generation = a.audit.generation;
    a.on_event(AppEvent::AuditPage {
        generation,
        result: Ok(page(5, true)),
        select_seq: None,
    });
    assert_eq!(a.audit.entries.len(), 5);
    let out = a.handle_key(key(KeyCode::PageDown));
    let reqs = page_requests(&out);
    assert_eq!(reqs[0].cursor, vec![(PathBuf::from("/h/audit/a.jsonl"), 5)]);
    assert_eq!(a.audit.page_number(), 2);
    // An answer for the first page arriving late is dropped.
    a.on_event(AppEvent::AuditPage {
        generation,
        result: Ok(page(1, false)),
        select_seq: None,
    });
    assert_eq!(a.audit.entries.len(), 5);
    let out = a.handle_key(key(KeyCode::PageUp));
    assert_eq!(page_requests(&out)[0].cursor, Vec::new());
    assert_eq!(a.audit.page_number(), 1);
    assert!(
        a.handle_key(key(KeyCode::PageUp)).is_empty(),
        "no page before the first"
    );
    let out = a.handle_key(ch('t'));
    assert_eq!(page_requests(&out)[0].filter.kind, Some(EntryKind::Command));
    let out = a.handle_key(ch('t'));
    assert_eq!(
        page_requests(&out)[0].filter.kind,
        Some(EntryKind::Violation)
    );
    let out = a.handle_key(ch('o'));
    assert_eq!(
        page_requests(&out)[0].filter.outcome,
        Some(Outcome::Success)
    );
    a.handle_key(ch('/'));
    for c in "rm -rf".chars() {
        assert!(a.handle_key(ch(c)).is_empty());
    }
    let out = a.handle_key(key(KeyCode::Enter));
    assert_eq!(page_requests(&out)[0].filter.text, "rm -rf");
    // Detail view.
    let generation = a.audit.generation;
    a.on_event(AppEvent::AuditPage {
        generation,
        result: Ok(page(3, false)),
        select_seq: None,
    });
    a.handle_key(ch('j'));
    a.handle_key(key(KeyCode::Enter));
    assert!(a.audit.detail);
    a.handle_key(key(KeyCode::Esc));
    assert!(!a.audit.detail);
    // A chain result of the current source is shown.
    a.on_event(AppEvent::Verified {
        generation: a.audit.generation,
        status: ChainStatus::Valid { entries: 3 },
    });
    assert_eq!(a.audit.chain, ChainStatus::Valid { entries: 3 });
    let out = a.handle_key(ch('A'));
    assert_eq!(page_requests(&out)[0].source, AuditSource::All);
}

#[test]
fn system_check_runs_once_when_first_shown() {
    let mut a = app();
    let out = a.handle_key(ch('4'));
    assert_eq!(out, vec![Intent::RunCheck]);
    assert!(
        a.handle_key(ch('r')).is_empty(),
        "a run is already under way"
    );
    a.on_event(AppEvent::Check(crate::sandbox::CheckReport {
        ok: true,
        items: Vec::new(),
    }));
    assert_eq!(a.handle_key(ch('r')), vec![Intent::RunCheck]);
    a.handle_key(ch('1'));
    assert!(
        a.handle_key(ch('4')).is_empty(),
        "a report exists: no automatic re-run"
    );
}

#[test]
fn engine_loss_is_shown_and_recovery_clears_it() {
    let mut a = app();
    a.on_event(AppEvent::Sandboxes(sandboxes(2)));
    a.on_event(AppEvent::Connection(crate::tui::event::Connection::Down {
        error: "cannot connect to /var/run/docker.sock".into(),
        retry_secs: 4,
    }));
    assert!(a.sandboxes.error.is_some());
    a.on_event(AppEvent::Connection(
        crate::tui::event::Connection::Connected {
            runtime: "docker".into(),
        },
    ));
    a.on_event(AppEvent::Sandboxes(sandboxes(2)));
    assert!(a.sandboxes.error.is_none());
    // Bus events of this process ask for a refresh.
    let out = a.on_event(AppEvent::Core(crate::sandbox::Event::SandboxStopped {
        id: "x".into(),
        name: "n".into(),
    }));
    assert_eq!(out, vec![Intent::Refresh]);
}
