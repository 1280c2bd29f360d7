//! The MCP server in-process: an rmcp client talks to `lasso::mcp::serve` over an in-memory
//! duplex. The catalogue, health and argument errors need no engine; the sandbox tests (a
//! blocked command's result, file refusals, session isolation, stop on disconnect) skip loudly
//! without one (and fail with LASSO_REQUIRE_ENGINE=1).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use lasso::mcp::{McpOptions, serve};
use lasso::sandbox::{CreateRequest, SandboxService, ServiceOptions};
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, Implementation,
};
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};

const CLIENT: &str = "inproc-test";

struct Harness {
    client: RunningService<RoleClient, ClientConfig>,
    server: tokio::task::JoinHandle<Result<usize, String>>,
    svc: Arc<SandboxService>,
}

fn service(home: &std::path::Path) -> Arc<SandboxService> {
    let home = lasso::config::LassoHome::at(home).unwrap();
    let settings = lasso::config::Settings::load(&home).unwrap();
    let connect = lasso::runtime::ConnectOptions::from_env().unwrap();
    Arc::new(SandboxService::new(ServiceOptions {
        home,
        settings,
        connect,
    }))
}

async fn start(home: &std::path::Path, options: McpOptions) -> Harness {
    let svc = service(home);
    let (server_io, client_io) = tokio::io::duplex(1 << 20);
    let server = tokio::spawn(serve(
        svc.clone(),
        options,
        server_io,
        std::future::pending(),
    ));
    let info = ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new(CLIENT, "1.0"),
    );
    let client = info.serve(client_io).await.unwrap();
    Harness {
        client,
        server,
        svc,
    }
}

async fn call(h: &Harness, tool: &str, args: Value) -> CallToolResult {
    let params = CallToolRequestParams::new(tool.to_string())
        .with_arguments(args.as_object().cloned().unwrap_or_default());
    h.client.call_tool(params).await.unwrap()
}

fn structured(r: &CallToolResult) -> Value {
    r.structured_content.clone().unwrap_or(Value::Null)
}

fn text(r: &CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn tools_list_has_every_tool_with_schemas() {
    let home = tempfile::tempdir().unwrap();
    let h = start(&home.path().join("h"), McpOptions::default()).await;
    let tools = h.client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    for want in [
        "sandbox_create",
        "sandbox_exec",
        "sandbox_stop",
        "sandbox_status",
        "sandbox_list",
        "file_read",
        "file_write",
        "health",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    let exec = tools.iter().find(|t| t.name == "sandbox_exec").unwrap();
    let input = Value::Object(exec.input_schema.as_ref().clone());
    assert_eq!(input["type"], "object");
    assert_eq!(input["required"], json!(["command"]));
    assert!(input["properties"]["timeout_seconds"].is_object());
    let output = Value::Object(exec.output_schema.clone().unwrap().as_ref().clone());
    for field in [
        "allowed",
        "exit_code",
        "rule",
        "reason",
        "program",
        "hint",
        "guard_denials",
    ] {
        assert!(
            output["properties"][field].is_object(),
            "output schema lacks {field}: {output}"
        );
    }
    let write = tools.iter().find(|t| t.name == "file_write").unwrap();
    let input = Value::Object(write.input_schema.as_ref().clone());
    assert_eq!(input["required"], json!(["path", "content"]));
    drop(h.client);
    assert_eq!(h.server.await.unwrap(), Ok(0));
}

#[tokio::test]
async fn health_reports_the_actor_and_the_engine() {
    let home = tempfile::tempdir().unwrap();
    let h = start(&home.path().join("h"), McpOptions::default()).await;
    let r = call(&h, "health", json!({})).await;
    assert_eq!(r.is_error, Some(false), "{}", text(&r));
    let v = structured(&r);
    assert_eq!(v["actor"], format!("mcp:{CLIENT}"));
    assert_eq!(v["lasso_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["session_sandboxes"], 0);
    // Either the engine answered, or health says why not: never both, never neither.
    assert_eq!(v["ok"].as_bool(), Some(v["engine"].is_object()));
    assert_eq!(v["engine"].is_object(), v["engine_error"].is_null());
}

#[tokio::test]
async fn bad_arguments_are_tool_errors_naming_the_field() {
    let home = tempfile::tempdir().unwrap();
    let h = start(&home.path().join("h"), McpOptions::default()).await;
    let cases = [
        (
            "sandbox_exec",
            json!({}),
            "command",
            "missing required argument `command`",
        ),
        (
            "sandbox_exec",
            json!({"command": "ls", "timeout_seconds": "ten"}),
            "timeout_seconds",
            "must be a whole number",
        ),
        ("file_read", json!({"path": 7}), "path", "must be a string"),
        (
            "file_write",
            json!({"path": "a", "content": "x", "encoding": "hex"}),
            "encoding",
            "must be one of",
        ),
        (
            "health",
            json!({"verbose": true}),
            "verbose",
            "takes no arguments",
        ),
        // No --profile/--dir and no sandbox given: the agent is told how to get one.
        (
            "sandbox_exec",
            json!({"command": "ls"}),
            "sandbox",
            "sandbox_create",
        ),
        (
            "sandbox_create",
            json!({"profile": "minimal", "working_dir": "relative/dir"}),
            "working_dir",
            "absolute",
        ),
    ];
    for (tool, args, field, message) in cases {
        let r = call(&h, tool, args.clone()).await;
        assert_eq!(r.is_error, Some(true), "{tool} {args}: {}", text(&r));
        let v = structured(&r);
        assert_eq!(v["field"], field, "{tool} {args}: {v}");
        let error = v["error"].as_str().unwrap_or_default();
        assert!(error.contains(message), "{tool} {args}: {error}");
        assert!(text(&r).contains(message));
    }
    // An unknown tool cannot be routed: that one is a protocol error.
    let err = h
        .client
        .call_tool(CallToolRequestParams::new("no_such_tool"))
        .await;
    assert!(err.is_err());
}

#[test]
fn sandboxes_blocked_commands_files_and_isolation() {
    let Some(l) = common::Lasso::with_engine("sandboxes_blocked_commands_files_and_isolation")
    else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let work = l.work_path().to_path_buf();
        std::fs::write(work.join("hello.txt"), "hello from the host\n").unwrap();
        let h = start(
            &l.home_path(),
            McpOptions {
                profile: Some("minimal".into()),
                dir: Some(work.clone()),
            },
        )
        .await;
        // A sandbox of another session (here: the CLI) is invisible to this one.
        let other = h
            .svc
            .create(
                CreateRequest {
                    profile: Some("minimal".into()),
                    working_dir: work.clone(),
                    name: Some("not-mine".into()),
                    isolation: None,
                    actor: "cli".into(),
                },
                &mut |_| {},
            )
            .await
            .unwrap();

        // The first exec creates the default sandbox lazily.
        let r = call(&h, "sandbox_exec", json!({"command": "cat hello.txt"})).await;
        assert_eq!(r.is_error, Some(false), "{}", text(&r));
        let v = structured(&r);
        assert_eq!(v["exit_code"], 0);
        assert_eq!(v["stdout"], "hello from the host\n");
        let mine = v["sandbox"].as_str().unwrap().to_string();
        assert_ne!(mine, other.id);

        // A blocked command: a tool error with rule, reason, program and what to do instead.
        let r = call(&h, "sandbox_exec", json!({"command": "rm -rf /workspace"})).await;
        assert_eq!(r.is_error, Some(true));
        let v = structured(&r);
        assert_eq!(v["allowed"], false);
        assert_eq!(v["rule"], "not-whitelisted");
        assert_eq!(v["program"], "rm");
        assert!(v["hint"].as_str().unwrap().contains("allowed programs"));
        assert!(
            v["allowed_programs"]
                .as_array()
                .unwrap()
                .contains(&json!("cat"))
        );
        assert!(text(&r).starts_with("BLOCKED by lasso's command gate"));
        assert!(work.exists());

        // Files: a round trip, and refusals.
        let r = call(
            &h,
            "file_write",
            json!({"path": "sub/new.txt", "content": "written over MCP"}),
        )
        .await;
        assert_eq!(r.is_error, Some(false), "{}", text(&r));
        assert_eq!(structured(&r)["created"], true);
        {
            use std::os::unix::fs::MetadataExt;
            let m = std::fs::metadata(work.join("sub/new.txt")).unwrap();
            assert_eq!((m.uid(), m.gid()), (1000, 1000));
        }
        let r = call(&h, "sandbox_exec", json!({"command": "cat sub/new.txt"})).await;
        assert_eq!(structured(&r)["stdout"], "written over MCP");
        let r = call(&h, "file_read", json!({"path": "/workspace/hello.txt"})).await;
        assert_eq!(structured(&r)["content"], "hello from the host\n");
        for (path, why) in [
            ("../escape.txt", "`..`"),
            ("/etc/passwd", "outside the workspace"),
        ] {
            let r = call(&h, "file_read", json!({"path": path})).await;
            assert_eq!(r.is_error, Some(true), "{path}");
            let e = structured(&r)["error"].as_str().unwrap().to_string();
            assert!(e.contains(why), "{path}: {e}");
        }

        // Session isolation: the other sandbox exists but cannot be used or stopped here.
        for (tool, args) in [
            (
                "sandbox_exec",
                json!({"sandbox": "not-mine", "command": "ls"}),
            ),
            ("sandbox_stop", json!({"sandbox": "not-mine"})),
            (
                "file_read",
                json!({"sandbox": "not-mine", "path": "hello.txt"}),
            ),
            (
                "file_write",
                json!({"sandbox": &other.id, "path": "x", "content": "x"}),
            ),
        ] {
            let r = call(&h, tool, args).await;
            assert_eq!(r.is_error, Some(true), "{tool}");
            let e = structured(&r)["error"].as_str().unwrap().to_string();
            assert!(e.contains("not created by this MCP session"), "{tool}: {e}");
        }
        assert!(!work.join("x").exists());
        let r = call(&h, "sandbox_list", json!({})).await;
        let v = structured(&r);
        let ids: Vec<&str> = v["sandboxes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![mine.as_str()]);
        assert_eq!(v["default_sandbox"], mine.as_str());

        // The audit log names the client.
        let info = h.svc.get(&mine).await.unwrap();
        let log = std::fs::read_to_string(&info.audit_log).unwrap();
        assert!(
            log.contains(&format!("\"actor\":\"mcp:{CLIENT}\"")),
            "{log}"
        );

        // Disconnecting ends the session and stops exactly its sandboxes.
        drop(h.client);
        assert_eq!(h.server.await.unwrap(), Ok(1));
        let left: Vec<String> = h
            .svc
            .list()
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(left, vec![other.id.clone()]);
        h.svc.stop(&other.id, "cli").await.unwrap();
    });
}
