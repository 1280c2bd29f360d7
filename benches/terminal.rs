//! Terminal throughput: 50 MB of mixed program output (plain lines, SGR colours, cursor
//! moves and erases, UTF-8) through a 200×50 terminal tab's emulator, with the scrollback
//! the TUI keeps (2000 lines). Target: well under 1 s (docs/performance.md).
//!
//! `emulator_50mb` feeds the emulator directly; `tab_50mb` sends the same bytes through a
//! fake session into a real tab (its reader task parses, as in the TUI) and waits for the
//! end, so channel and task overhead are included. `emulator_yes_50mb` is the worst case for
//! a grid: 50 MB of `yes` output, a scroll for every two bytes.

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lasso::sandbox::{
    SandboxInfo, SessionEnd, SessionKind, SessionOutput, TermSize, TerminalSession,
};
use lasso::tui::{Emulator, SCROLLBACK, TabHandle};
use tokio::sync::mpsc;

const TOTAL: usize = 50 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;
const SIZE: TermSize = TermSize {
    cols: 200,
    rows: 50,
};

/// Deterministic mixed output of about `TOTAL` bytes.
fn mixed() -> Vec<u8> {
    let mut out = Vec::with_capacity(TOTAL + 4096);
    let mut i = 0u64;
    while out.len() < TOTAL {
        match i % 8 {
            0 => out.extend_from_slice(
                format!("{i:>8} plain text line, the kind `cat` of a log prints\r\n").as_bytes(),
            ),
            1 => out.extend_from_slice(
                format!("\x1b[01;34mdir{i}\x1b[0m  \x1b[01;32mexec{i}\x1b[0m  file{i}.rs\r\n")
                    .as_bytes(),
            ),
            2 => out.extend_from_slice(
                format!(
                    "\x1b[38;5;{}mcolour 256\x1b[0m \x1b[38;2;10;{};30mrgb\x1b[0m\r\n",
                    i % 256,
                    i % 256
                )
                .as_bytes(),
            ),
            3 => out.extend_from_slice(b"y\r\ny\r\ny\r\ny\r\ny\r\ny\r\ny\r\ny\r\n"),
            4 => out.extend_from_slice(
                format!(
                    "\x1b[{};{}H\x1b[Kstatus {i}\x1b[50;1H",
                    i % 50 + 1,
                    i % 150 + 1
                )
                .as_bytes(),
            ),
            5 => out.extend_from_slice("unicode: héllo wörld — 日本語 ✓\r\n".as_bytes()),
            6 => {
                let long: String = (0..300)
                    .map(|k| char::from(b'a' + (k % 26) as u8))
                    .collect();
                out.extend_from_slice(long.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            _ => out.extend_from_slice(
                b"\x1b[1mbold\x1b[22m \x1b[4munder\x1b[24m \x1b[7mrev\x1b[27m\r\n",
            ),
        }
        i += 1;
    }
    out
}

fn sandbox() -> Option<SandboxInfo> {
    serde_json::from_value(serde_json::json!({
        "id": format!("{:064x}", 1),
        "name": "bench",
        "profile": "development",
        "profile_hash": "00",
        "state": "running",
        "working_dir": "/work",
        "created_at": "2026-11-27T10:00:00+00:00",
        "audit_log": "/h/audit/x.jsonl",
        "runtime": "docker",
        "isolation": "container",
        "network": "none",
        "mode": "autonomous",
        "container_id": "c1",
        "image": "lasso/base:1",
        "run_dir": "/h/run/1",
        "problems": [],
    }))
    .ok()
}

/// A fresh tab-sized emulator fed `data` in the session's chunk size.
fn emulate(data: &[u8]) -> Emulator {
    let mut emu = Emulator::new(SIZE, SCROLLBACK);
    for chunk in data.chunks(CHUNK) {
        emu.process(chunk);
    }
    emu
}

fn bench(c: &mut Criterion) {
    let data = mixed();
    let mut g = c.benchmark_group("terminal");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("emulator_50mb_200x50", |b| b.iter(|| emulate(&data)));
    let yes = b"y\r\n".repeat(TOTAL / 3);
    g.throughput(Throughput::Bytes(yes.len() as u64));
    g.bench_function("emulator_yes_50mb_200x50", |b| b.iter(|| emulate(&yes)));
    g.throughput(Throughput::Bytes(data.len() as u64));
    let Some(info) = sandbox() else {
        panic!("the bench's sandbox fixture no longer parses")
    };
    let Ok(rt) = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    else {
        panic!("tokio runtime")
    };
    g.bench_function("tab_50mb_200x50", |b| {
        b.iter(|| {
            rt.block_on(async {
                let (in_tx, _in_rx) = mpsc::channel(64);
                let (out_tx, out_rx) = mpsc::channel(64);
                let (notify, _events) = mpsc::unbounded_channel();
                let session =
                    TerminalSession::from_channels(info.clone(), SessionKind::Shell, in_tx, out_rx);
                let tab = TabHandle::spawn(session, SIZE, notify);
                for chunk in data.chunks(CHUNK) {
                    let _ = out_tx.send(SessionOutput::Bytes(chunk.to_vec())).await;
                }
                let _ = out_tx
                    .send(SessionOutput::Ended(SessionEnd {
                        reason: "done".into(),
                        exit_code: Some(0),
                    }))
                    .await;
                while !tab.finished() {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                tab
            })
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
