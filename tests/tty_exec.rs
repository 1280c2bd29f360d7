//! `Engine::exec_tty` against a real engine: the raw upgraded stream carries bytes exactly
//! (including a chunk that starts with 0x00–0x02, which bollard's TTY decoder loses), stdin
//! reaches the program, resizes reach its terminal, exit codes pass through, and `kill`
//! ends a program that would otherwise run on.
//!
//! Engine selection and skipping as in `runtime_engines.rs`; every sandbox is removed by a
//! drop guard, also when a test fails.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    dead_code
)]

#[path = "runtime_engines/support.rs"]
mod support;

use std::time::Duration;

use lasso::runtime::*;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Generous: only a broken build waits this long.
const DEADLINE: Duration = Duration::from_secs(90);

fn req(script: &str) -> ExecRequest {
    ExecRequest::new(["sh", "-c", script]).timeout(Duration::from_secs(120))
}

/// Reads until EOF (the program ended and the engine closed the stream).
async fn read_all(t: &mut TtyExec) -> Vec<u8> {
    let mut out = Vec::new();
    tokio::time::timeout(DEADLINE, t.reader.read_to_end(&mut out))
        .await
        .expect("the stream did not end")
        .expect("reading the stream");
    out
}

/// Reads until `needle` has arrived; returns everything read so far.
async fn read_until(t: &mut TtyExec, out: &mut Vec<u8>, needle: &[u8]) {
    let fut = async {
        let mut buf = [0u8; 4096];
        while !out.windows(needle.len()).any(|w| w == needle) {
            let n = t.reader.read(&mut buf).await.expect("reading the stream");
            assert!(
                n > 0,
                "stream ended before {:?} arrived: {:?}",
                String::from_utf8_lossy(needle),
                String::from_utf8_lossy(out)
            );
            out.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(DEADLINE, fut)
        .await
        .unwrap_or_else(|_| {
            panic!(
                "{:?} did not arrive; got {:?}",
                String::from_utf8_lossy(needle),
                String::from_utf8_lossy(out)
            )
        });
}

async fn exit_code(t: &TtyExec) -> Option<i64> {
    tokio::time::timeout(DEADLINE, t.control.wait())
        .await
        .expect("the exec did not end")
        .unwrap()
}

#[tokio::test]
async fn control_bytes_at_the_start_of_a_chunk_arrive_exactly() {
    let Some(e) = engine().await else { return };
    let sb = launch(&e, "tty-bytes", |_| {}).await;
    let mut t = e
        .exec_tty(&sb.id, &req(r"printf '\000\001\002abc'"), 80, 24)
        .await
        .unwrap();
    let out = read_all(&mut t).await;
    assert_eq!(
        out,
        b"\x00\x01\x02abc",
        "{:?}",
        String::from_utf8_lossy(&out)
    );
    assert_eq!(exit_code(&t).await, Some(0));
}

#[tokio::test]
async fn stdin_round_trips_through_cat() {
    let Some(e) = engine().await else { return };
    let sb = launch(&e, "tty-cat", |_| {}).await;
    let mut t = e.exec_tty(&sb.id, &req("cat"), 80, 24).await.unwrap();
    t.writer.write_all(b"hello tty\n").await.unwrap();
    t.writer.flush().await.unwrap();
    let mut out = Vec::new();
    // The terminal echoes the line, then cat writes it back.
    read_until(&mut t, &mut out, b"hello tty\r\nhello tty\r\n").await;
    // Ctrl-D on an empty line is end-of-file for cat.
    t.writer.write_all(b"\x04").await.unwrap();
    t.writer.flush().await.unwrap();
    let _ = read_all(&mut t).await;
    assert_eq!(exit_code(&t).await, Some(0));
}

#[tokio::test]
async fn stty_size_follows_a_resize() {
    let Some(e) = engine().await else { return };
    let sb = launch(&e, "tty-size", |_| {}).await;
    let mut t = e
        .exec_tty(
            &sb.id,
            &req("echo ready; read x; stty size; read y; stty size"),
            80,
            24,
        )
        .await
        .unwrap();
    let mut out = Vec::new();
    // exec_tty returns after the initial size is set; the first line is typed after that.
    read_until(&mut t, &mut out, b"ready\r\n").await;
    t.writer.write_all(b"\n").await.unwrap();
    t.writer.flush().await.unwrap();
    read_until(&mut t, &mut out, b"24 80\r\n").await;
    t.control.resize(132, 43).await.unwrap();
    t.writer.write_all(b"\n").await.unwrap();
    t.writer.flush().await.unwrap();
    read_until(&mut t, &mut out, b"43 132\r\n").await;
    let _ = read_all(&mut t).await;
    assert_eq!(exit_code(&t).await, Some(0));
}

#[tokio::test]
async fn exit_codes_pass_through() {
    let Some(e) = engine().await else { return };
    let sb = launch(&e, "tty-exit", |_| {}).await;
    for code in [0i64, 3, 42] {
        let mut t = e
            .exec_tty(&sb.id, &req(&format!("exit {code}")), 80, 24)
            .await
            .unwrap();
        let _ = read_all(&mut t).await;
        assert_eq!(exit_code(&t).await, Some(code));
    }
}

#[tokio::test]
async fn kill_ends_the_whole_program() {
    let Some(e) = engine().await else { return };
    let sb = launch(&e, "tty-kill", |_| {}).await;
    // A background child that would outlive its shell, and a foreground sleep.
    let mut t = e
        .exec_tty(&sb.id, &req("sleep 600 & echo started; sleep 600"), 80, 24)
        .await
        .unwrap();
    let mut out = Vec::new();
    read_until(&mut t, &mut out, b"started").await;
    t.control.kill().await.unwrap();
    let _ = read_all(&mut t).await;
    let _ = exit_code(&t).await;
    let left = sh_ok(&e, &sb.id, "ps -o args | grep -c '^sleep 600' || true").await;
    assert_eq!(left.trim(), "0", "sleeps survived the kill");
}

#[tokio::test]
async fn a_missing_container_is_reported() {
    let Some(e) = engine().await else { return };
    let err = e
        .exec_tty("lasso-rt-no-such-container", &req("true"), 80, 24)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
}
