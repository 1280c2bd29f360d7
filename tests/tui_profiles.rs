//! The profile editor end to end: the real `lasso tui` in a pseudo-terminal, against a real
//! engine (the sandbox pane polls it), editing, validating as you type, saving (the file and
//! its archived version appear under this test's LASSO_HOME), and quitting.
//!
//! Waits poll with 60 s deadlines: on a loaded CI machine the first frame can take seconds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;

use common::Lasso;
use common::pty::{Pty, WAIT};

const CTRL_E: &str = "\x05";
const CTRL_S: &str = "\x13";
const ESC: &str = "\x1b";

#[test]
fn edit_validate_save_and_history_in_the_tui() {
    let Some(l) = Lasso::with_engine("edit_validate_save_and_history_in_the_tui") else {
        return;
    };
    let dir = l.home_path().join("profiles");
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join("e2e.toml");
    let first = "# kept by text edits\nname = \"e2e\"\nextends = \"minimal\"\n";
    fs::write(&path, first).unwrap();

    let mut pty = Pty::lasso(&l, &["tui"], 120, 40);
    pty.wait_screen("Sandboxes", WAIT);
    pty.send("6");
    pty.wait_screen("EXTENDS", WAIT);
    pty.send("z");
    // The user profile comes first (the search path's order); open it in the text view.
    pty.wait_screen_for(
        |s| s.lines().any(|l| l.contains("e2e") && l.contains("user")),
        "the user profile e2e",
        WAIT,
    );
    pty.send("t");
    pty.wait_screen("✓ valid", WAIT);
    pty.wait_screen("# kept by text edits", WAIT);

    // A broken value: the error appears as it is typed, Ctrl-E goes to it.
    for _ in 0..3 {
        pty.send("\x1b[B"); // Down
    }
    pty.send("\x1b[F"); // End
    pty.send("\r[resources]\rmemory = \"8m\"");
    pty.wait_screen("✗ error", WAIT);
    pty.wait_screen("at least 16m", WAIT);
    pty.send("\x1b[H"); // Home: away from the error
    pty.send(CTRL_E);
    // Fix it: Ctrl-E put the cursor on the value's opening quote; replace 8m by 1g.
    pty.send("\x1b[C\x1b[3~\x1b[3~1g"); // Right, Delete, Delete, then type
    pty.wait_screen("✓ valid", WAIT);
    pty.wait_screen("memory = \"1g\"", WAIT);

    pty.send(CTRL_S);
    pty.wait_screen("resources.memory: ", WAIT);
    pty.wait_screen("-> \"1g\"", WAIT);
    pty.send("y");
    pty.wait_screen("previous version archived as v1", WAIT);
    let saved = fs::read_to_string(&path).unwrap();
    assert!(
        saved.starts_with("# kept by text edits\n") && saved.contains("memory = \"1g\""),
        "{saved}"
    );
    let v1 = dir.join(".history/e2e/v1.toml");
    assert_eq!(fs::read_to_string(&v1).unwrap(), first);

    // The history lists the archived version with its change. (Each Esc is followed by a
    // wait for its effect: an Esc with the next key in the same read would be Alt+key.)
    pty.wait_screen("e2e form", WAIT);
    pty.send("h");
    pty.wait_screen("history of e2e", WAIT);
    pty.wait_screen("Changes from v1 to the current file", WAIT);
    pty.wait_screen("-> \"1g\"", WAIT);
    pty.send(ESC);
    pty.wait_screen("e2e form", WAIT);
    pty.send(ESC);
    pty.wait_screen("DESCRIPTION", WAIT);
    pty.send("q");
    assert_eq!(pty.wait(WAIT), 0, "{}", pty.screen());
}
