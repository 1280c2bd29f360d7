//! docs/tui.md's screenshots are the snapshot tests' screens: each is marked
//! `<!-- snapshot: NAME -->` (the whole screen of `snapshots/lasso__tui__tests__NAME.snap`) or
//! `<!-- snapshot: NAME (excerpt) -->` (some of its rows, in order, each possibly cropped to a
//! pane). This test fails when a screenshot no longer shows what the UI draws;
//! `python3 scripts/sync-tui-docs.py` copies whole screens after new snapshots are accepted.

use std::path::Path;

const MARKER: &str = "<!-- snapshot: ";

fn snapshot_body(root: &Path, name: &str) -> String {
    let path = root.join(format!(
        "src/tui/tests/snapshots/lasso__tui__tests__{name}.snap"
    ));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("docs/tui.md names snapshot {name}: {e}"));
    // The insta header: `---`, metadata, `---`, then the screen.
    text.splitn(3, "---\n")
        .nth(2)
        .unwrap_or_else(|| panic!("{}: no insta header", path.display()))
        .to_string()
}

#[test]
fn every_screenshot_in_the_docs_matches_its_snapshot() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/tui.md")).unwrap_or_default();
    let mut checked = 0;
    let mut stale = Vec::new();
    let mut rest = doc.as_str();
    while let Some(at) = rest.find(MARKER) {
        rest = &rest[at + MARKER.len()..];
        let Some(end) = rest.find(" -->") else {
            panic!("an unterminated snapshot marker in docs/tui.md")
        };
        let spec = &rest[..end];
        let (name, excerpt) = match spec.strip_suffix(" (excerpt)") {
            Some(n) => (n, true),
            None => (spec, false),
        };
        // The fenced block after the marker.
        let Some(open) = rest.find("```") else {
            panic!("no screenshot after the marker for {name}")
        };
        let after_fence = &rest[open..];
        let Some(body_start) = after_fence.find('\n') else {
            panic!("an unterminated screenshot for {name}")
        };
        let body_and_more = &after_fence[body_start + 1..];
        let Some(close) = body_and_more.find("```") else {
            panic!("an unterminated screenshot for {name}")
        };
        let block = &body_and_more[..close];
        let snap = snapshot_body(root, name);
        let matches = if excerpt {
            let mut rows = snap.lines();
            block.lines().all(|line| rows.any(|row| row.contains(line)))
        } else {
            block == snap
        };
        if !matches {
            stale.push(name.to_string());
        }
        checked += 1;
        rest = &body_and_more[close..];
    }
    assert!(
        checked >= 10,
        "only {checked} marked screenshots in docs/tui.md"
    );
    assert!(
        stale.is_empty(),
        "docs/tui.md screenshots differ from their snapshots: {stale:?}; run \
         `python3 scripts/sync-tui-docs.py` (excerpts are edited by hand)"
    );
}
