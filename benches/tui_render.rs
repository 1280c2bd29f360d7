//! Rendering one full TUI frame with 500 sandboxes (target: under 2 ms), through ratatui's
//! TestBackend (layout, widgets, buffer diff): the cost of every redraw the loop makes.

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use lasso::sandbox::SandboxInfo;
use lasso::tui::{App, AppEvent, Styles};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn sandboxes(n: usize) -> Vec<SandboxInfo> {
    (0..n)
        .filter_map(|i| {
            let profile = ["development", "strict", "minimal"][i % 3];
            let state = if i % 9 == 0 { "exited" } else { "running" };
            serde_json::from_value(serde_json::json!({
                "id": format!("{:064x}", i),
                "name": format!("agent-{i:04}"),
                "profile": profile,
                "profile_hash": "00",
                "state": state,
                "working_dir": format!("/work/p{i}"),
                "created_at": "2026-11-27T10:00:00+00:00",
                "audit_log": format!("/h/audit/{i:064x}.jsonl"),
                "runtime": "docker",
                "isolation": "container",
                "network": "none",
                "mode": "autonomous",
                "container_id": format!("c{i}"),
                "image": "lasso/base:1",
                "run_dir": format!("/h/run/{i}"),
                "problems": [],
            }))
            .ok()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let now = chrono::Utc::now();
    let mut app = App::new(Styles::default_theme(), PathBuf::from("/"), now);
    let list = sandboxes(500);
    assert_eq!(list.len(), 500);
    let blocked = list.iter().map(|s| (s.id.clone(), 3)).collect();
    app.on_event(AppEvent::Sandboxes(list));
    app.on_event(AppEvent::Alerts {
        new: Vec::new(),
        blocked,
    });
    // TestBackend cannot fail.
    let Ok(mut term) = Terminal::new(TestBackend::new(200, 60));
    c.bench_function("tui_frame_500_sandboxes_200x60", |b| {
        b.iter(|| {
            let _ = term.draw(|f| app.render(f));
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
