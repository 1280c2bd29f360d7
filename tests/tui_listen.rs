//! `lasso --listen ADDR`: the REST API served from inside the TUI process, end to end in a real
//! pseudo-terminal. The TUI listens on `127.0.0.1:0` and the test reads the bound address from
//! `tui.log` (no port race); it then calls the API while the TUI is on screen, checks nothing
//! of the server reached the screen, quits with `q` and finds the port closed. Refusals (no
//! key, a non-loopback address, a busy port) happen before the TUI draws anything; without a
//! terminal `--listen` exits 2 and points at `lasso serve`.
//!
//! The listing needs an engine (a loud skip without one, a failure with
//! LASSO_REQUIRE_ENGINE=1); the refusals do not.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use common::pty::{Pty, WAIT};
use common::{Lasso, code, text};

/// Switching to the alternate screen: the TUI has taken the terminal.
const ALT_SCREEN: &str = "\x1b[?1049h";

/// Waits (up to 60 s) for `tui.log` to name the API's address.
fn listening_addr(home: &Path, pty: &mut Pty) -> SocketAddr {
    let log = home.join("tui.log");
    let deadline = Instant::now() + WAIT;
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(rest) = text.split("REST API listening on http://").nth(1) {
            let addr = rest.split('/').next().unwrap_or_default();
            return addr
                .parse()
                .unwrap_or_else(|e| panic!("{addr:?}: {e}\n{text}"));
        }
        assert!(
            pty.exited().is_none(),
            "lasso exited before listening:\n{}",
            pty.output()
        );
        assert!(
            Instant::now() < deadline,
            "tui.log never named the address:\n{text}\n--- screen ---\n{}",
            pty.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One HTTP/1.1 GET with `Connection: close`; returns the whole answer.
fn get(addr: SocketAddr, path: &str, key: Option<&str>) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    let key = key.map_or(String::new(), |k| format!("x-api-key: {k}\r\n"));
    write!(
        s,
        "GET {path} HTTP/1.1\r\nhost: {addr}\r\n{key}connection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn api_key(l: &Lasso) -> String {
    let out = l.run(&["api-key", "create", "--name", "tui"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    text(&out.stdout).trim().to_string()
}

#[test]
fn the_tui_serves_the_api_and_closes_the_port_when_it_quits() {
    let Some(l) = Lasso::with_engine("the_tui_serves_the_api_and_closes_the_port_when_it_quits")
    else {
        return;
    };
    let key = api_key(&l);
    let mut pty = Pty::lasso(&l, &["--listen", "127.0.0.1:0"], 120, 36);
    let addr = listening_addr(&l.home_path(), &mut pty);
    assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");
    pty.wait_screen("Sandboxes", WAIT);

    let health = get(addr, "/api/v1/health", None);
    assert!(
        health.starts_with("HTTP/1.1 200") && health.contains("\"status\":\"ok\""),
        "{health}"
    );
    let list = get(addr, "/api/v1/sandboxes", Some(&key));
    assert!(
        list.starts_with("HTTP/1.1 200") && list.contains("\"total\":0"),
        "{list}"
    );
    let refused = get(addr, "/api/v1/sandboxes", None);
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
    let refused = get(addr, "/api/v1/sandboxes", Some("lasso_not_a_key"));
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");

    // A damaged key file: the server fails closed (503) and says why in its diagnostics,
    // which must land in tui.log, not on the TUI's terminal.
    std::fs::write(l.home_path().join("api_keys"), "this is not a key file\n").unwrap();
    let broken = get(addr, "/api/v1/sandboxes", Some(&key));
    assert!(broken.starts_with("HTTP/1.1 503"), "{broken}");
    let deadline = Instant::now() + WAIT;
    while !std::fs::read_to_string(l.home_path().join("tui.log"))
        .unwrap_or_default()
        .contains("api: cannot read the API keys")
    {
        assert!(
            Instant::now() < deadline,
            "the diagnostic never reached tui.log"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    pty.wait_screen("Sandboxes", WAIT);

    pty.send("q");
    assert_eq!(pty.wait(WAIT), 0, "{}", pty.screen());
    // Everything the process printed, start to end: the TUI only, nothing of the server.
    let out = pty.output();
    for server_text in [
        "cannot read the API keys",
        "listening",
        "lasso serve",
        "api:",
    ] {
        assert!(
            !out.contains(server_text),
            "{server_text:?} was printed on the TUI's terminal:\n{out}"
        );
    }
    assert!(
        TcpStream::connect(addr).is_err(),
        "{addr} still accepts connections after the TUI quit"
    );
    let log = std::fs::read_to_string(l.home_path().join("tui.log")).unwrap();
    assert!(
        log.contains(&format!("REST API listening on http://{addr}/api/v1")),
        "{log}"
    );
    assert!(
        log.contains(&format!("stopped listening on {addr}")),
        "{log}"
    );
}

/// Runs `lasso ARGS` in a terminal and returns (exit code, everything it printed).
fn refused(l: &Lasso, args: &[&str]) -> (u32, String) {
    let mut pty = Pty::lasso(l, args, 100, 30);
    let status = pty.wait(WAIT);
    (status, pty.output())
}

#[test]
fn listen_refusals_come_before_the_tui_takes_the_screen() {
    let l = Lasso::new();
    // No key yet: every protected call would be a 401.
    let (status, out) = refused(&l, &["--listen", "127.0.0.1:0"]);
    assert_ne!(status, 0, "{out}");
    assert!(out.contains("no API key exists"), "{out}");
    assert!(!out.contains(ALT_SCREEN), "the TUI was drawn: {out:?}");

    api_key(&l);
    let (status, out) = refused(&l, &["--listen", "0.0.0.0:0"]);
    assert_ne!(status, 0, "{out}");
    assert!(out.contains("not a loopback address"), "{out}");
    assert!(!out.contains(ALT_SCREEN), "the TUI was drawn: {out:?}");

    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let (status, out) = refused(&l, &["tui", "--listen", &addr]);
    assert_ne!(status, 0, "{out}");
    assert!(out.contains(&format!("cannot listen on {addr}")), "{out}");
    assert!(!out.contains(ALT_SCREEN), "the TUI was drawn: {out:?}");
}

#[test]
fn listen_without_a_terminal_exits_2_and_points_at_lasso_serve() {
    let l = Lasso::new();
    api_key(&l);
    let out = l.run(&["--listen", "127.0.0.1:0"]);
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("lasso serve --listen"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    // `--listen` in front of another subcommand is a usage error too.
    let out = l.run(&["--listen", "127.0.0.1:0", "status"]);
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("lasso serve --listen"),
        "{}",
        text(&out.stderr)
    );
}
