//! Executes the curl examples of docs/api.md against a real `lasso serve`, so the page cannot
//! drift from the server: every ` ```bash runnable ` block is split into commands (joining `\`
//! continuation lines), each must end with a comment stating its HTTP status and what its
//! answer holds (`# 201 | /name = "demo" | /state = "running"`), and each is run with bash in
//! the test's workspace with `$API`, `$KEY` and `$PWD` set, through a `curl` wrapper that
//! records the status and the body. A check is `/json/pointer = <JSON value>` (the body, after
//! any `-i` headers, parsed as JSON) or `has <text>` (the raw answer, headers included,
//! contains the text). A command without a status, or without any check, fails the test, as
//! does a status other than the one stated or a check that does not hold.
//!
//! Needs curl and an engine (the examples create a sandbox and exec in it): without either, a
//! loud skip, or a failure with LASSO_REQUIRE_ENGINE=1. Streams (`curl -N`) are cut after 2 s.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::{Lasso, text};
use serde_json::{Value, json};

/// One documented call: the shell text, the status its comment states and its checks.
#[derive(Debug, PartialEq)]
struct Example {
    line: usize,
    command: String,
    status: u16,
    checks: Vec<Check>,
}

/// What a documented answer holds.
#[derive(Debug, PartialEq)]
enum Check {
    /// The JSON body's value at a JSON pointer.
    Json { pointer: String, value: Value },
    /// The raw answer contains this text.
    Has(String),
}

impl Check {
    fn parse(text: &str, line: usize) -> Check {
        let text = text.trim();
        if let Some(t) = text.strip_prefix("has ") {
            return Check::Has(t.trim().to_string());
        }
        let Some((pointer, value)) = text.split_once(" = ").filter(|(p, _)| p.starts_with('/'))
        else {
            panic!("docs/api.md:{line}: check `{text}` is neither `/pointer = JSON` nor `has TEXT`")
        };
        let value = serde_json::from_str(value.trim()).unwrap_or_else(|e| {
            panic!("docs/api.md:{line}: check `{text}`: the value is not JSON: {e}")
        });
        Check::Json {
            pointer: pointer.trim().to_string(),
            value,
        }
    }

    /// `None` when the answer holds; else what it held instead.
    fn failure(&self, answer: &str) -> Option<String> {
        match self {
            Check::Has(t) => (!answer.contains(t.as_str())).then(|| format!("no {t:?} in it")),
            Check::Json { pointer, value } => {
                // With `-i` the headers come first: the JSON starts after the blank line.
                let body = answer
                    .split_once("\r\n\r\n")
                    .filter(|_| answer.starts_with("HTTP/"))
                    .map_or(answer, |(_, b)| b);
                let json: Value = match serde_json::from_str(body) {
                    Ok(j) => j,
                    Err(e) => return Some(format!("the body is not JSON ({e})")),
                };
                let got = json.pointer(pointer);
                (got != Some(value)).then(|| format!("{pointer} is {got:?}, not {value}"))
            }
        }
    }
}

/// The commands of every ` ```bash runnable ` block of `doc`, with their stated statuses.
fn runnable_examples(doc: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut pending = String::new();
    let mut first_line = 0;
    for (i, raw) in doc.lines().enumerate() {
        let line = raw.trim_end();
        if !in_block {
            in_block = line.trim() == "```bash runnable";
            continue;
        }
        if line.trim() == "```" {
            assert!(
                pending.is_empty(),
                "docs/api.md:{first_line}: block ends after `\\`"
            );
            in_block = false;
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        if pending.is_empty() {
            first_line = i + 1;
        }
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let (command, comment) = pending.rsplit_once(" # ").unwrap_or_else(|| {
            panic!("docs/api.md:{first_line}: runnable command without a `# STATUS` comment")
        });
        let mut parts = comment.split(" | ");
        let head = parts.next().unwrap_or_default();
        let status = head
            .trim()
            .get(..3)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "docs/api.md:{first_line}: comment `{comment}` does not start with an HTTP status"
                )
            });
        let checks: Vec<Check> = parts.map(|c| Check::parse(c, first_line)).collect();
        assert!(
            !checks.is_empty(),
            "docs/api.md:{first_line}: `{comment}` states no check of the answer \
             (`| /pointer = JSON` or `| has TEXT`)"
        );
        out.push(Example {
            line: first_line,
            command: command.trim().to_string(),
            status,
            checks,
        });
        pending.clear();
    }
    assert!(
        !in_block,
        "docs/api.md: unterminated ```bash runnable block"
    );
    out
}

fn curl_missing() -> bool {
    let ok = Command::new("curl")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return false;
    }
    let msg = "curl is not installed (apt-get install curl)";
    if std::env::var("LASSO_REQUIRE_ENGINE").as_deref() == Ok("1") {
        panic!("api_docs: LASSO_REQUIRE_ENGINE=1 but {msg}");
    }
    eprintln!("SKIPPED api_docs: {msg}; set LASSO_REQUIRE_ENGINE=1 to fail instead");
    true
}

/// Runs one example; returns (status curl saw, bash's exit code, body, stderr).
fn run_example(ex: &Example, api: &str, key: &str, work: &Path) -> (String, i32, String, String) {
    let body = work.join(".api-docs-body");
    // `-N` is a server-sent event stream that never ends by itself.
    let max_time = if ex.command.contains(" -N ") { 2 } else { 120 };
    // Appended after the example's own options: curl writes the body (and with -i the headers)
    // to a file and prints only the status.
    let script = format!(
        "curl() {{ command curl \"$@\" -o \"$BODY\" -w '%{{http_code}}' --max-time {max_time}; }}\n{}",
        ex.command
    );
    let out = Command::new("bash")
        .args(["-c", &script])
        .current_dir(work)
        .env("PWD", work)
        .env("API", api)
        .env("KEY", key)
        .env("BODY", &body)
        .output()
        .unwrap_or_else(|e| panic!("cannot run bash: {e}"));
    let body = std::fs::read_to_string(&body).unwrap_or_default();
    (
        text(&out.stdout),
        out.status.code().unwrap_or(-1),
        body,
        text(&out.stderr),
    )
}

#[test]
fn the_runnable_blocks_are_parsed_with_their_statuses() {
    let doc = "text\n```bash\nnot run # 500\n```\n```bash runnable\n\
               curl -s $API/a   # 200 | /status = \"ok\"\n\
               curl -s -d '{}' \\\n     $API/b # 403 + decision | /allowed = false | has a b\n```\n";
    assert_eq!(
        runnable_examples(doc),
        vec![
            Example {
                line: 6,
                command: "curl -s $API/a".into(),
                status: 200,
                checks: vec![Check::Json {
                    pointer: "/status".into(),
                    value: json!("ok")
                }],
            },
            Example {
                line: 7,
                command: "curl -s -d '{}'       $API/b".into(),
                status: 403,
                checks: vec![
                    Check::Json {
                        pointer: "/allowed".into(),
                        value: json!(false)
                    },
                    Check::Has("a b".into())
                ],
            },
        ]
    );
}

#[test]
#[should_panic(expected = "states no check of the answer")]
fn a_runnable_command_without_a_check_is_refused() {
    runnable_examples("```bash runnable\ncurl -s $API/health # 200\n```\n");
}

#[test]
fn checks_hold_or_say_what_the_answer_held() {
    let json = Check::parse("/items/0/name = \"demo\"", 1);
    assert_eq!(json.failure(r#"{"items":[{"name":"demo"}]}"#), None);
    assert_eq!(
        json.failure(r#"{"items":[{"name":"other"}]}"#),
        Some("/items/0/name is Some(String(\"other\")), not \"demo\"".into())
    );
    assert!(json.failure("not json").is_some());
    // With `curl -i` the headers come first.
    let headed =
        "HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\n\r\n{\"allowed\":false}";
    assert_eq!(Check::parse("/allowed = false", 1).failure(headed), None);
    assert_eq!(
        Check::parse("has content-type: application/json", 1).failure(headed),
        None
    );
    assert!(
        Check::parse("has text/event-stream", 1)
            .failure(headed)
            .is_some()
    );
}

#[test]
#[should_panic(expected = "without a `# STATUS` comment")]
fn a_runnable_command_without_a_status_is_refused() {
    runnable_examples("```bash runnable\ncurl -s $API/health\n```\n");
}

#[test]
fn the_curl_examples_of_docs_api_md_answer_the_documented_statuses() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/api.md")).unwrap();
    let examples = runnable_examples(&doc);
    // The page's curl section: health, create, exec, blocked exec, list, audit, events,
    // metrics, verify, profile save, stop. Fewer means the marker was lost.
    assert!(
        examples.len() >= 11,
        "docs/api.md has {} runnable examples: {examples:?}",
        examples.len()
    );
    if curl_missing() {
        return;
    }
    let Some(l) = Lasso::with_engine("api_docs") else {
        return;
    };
    let served = l.serve("docs");
    let (port, key) = (served.port, served.key.clone());
    let api = format!("http://127.0.0.1:{port}/api/v1");
    for ex in &examples {
        let (status, rc, body, stderr) = run_example(ex, &api, &key, l.work_path());
        // curl exits 28 when --max-time cuts the stream, after the status arrived.
        let rc_ok = rc == 0 || (rc == 28 && ex.command.contains(" -N "));
        assert!(
            rc_ok && status == ex.status.to_string(),
            "docs/api.md:{}: `{}` answered {status} (curl exit {rc}), the page says {}:\n{body}\n{stderr}",
            ex.line,
            ex.command,
            ex.status
        );
        for check in &ex.checks {
            if let Some(why) = check.failure(&body) {
                panic!(
                    "docs/api.md:{}: `{}`: the page says {check:?}, but {why}:\n{body}",
                    ex.line, ex.command
                );
            }
        }
    }
}
