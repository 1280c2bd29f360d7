//! Router tests through `tower::ServiceExt::oneshot`: no listener, no engine (the service is
//! pointed at a socket that does not exist, so engine-backed routes must answer 503, never
//! 500). Engine-backed flows are in tests/api_server.rs.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

use super::*;
use crate::config::{LassoHome, Settings};
use crate::runtime::{ConnectOptions, EngineKind};
use crate::sandbox::ServiceOptions;

struct Fixture {
    _tmp: tempfile::TempDir,
    state: ApiState,
    key: String,
}

fn fixture_with(limit: u32, max_body: usize) -> Fixture {
    let tmp = match tempfile::tempdir() {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    let home = match LassoHome::at(tmp.path().join("home")) {
        Ok(h) => h,
        Err(e) => panic!("{e}"),
    };
    let connect = ConnectOptions {
        runtime: Some(EngineKind::Docker),
        docker_host: Some(format!("unix://{}/no-engine.sock", tmp.path().display())),
        container_host: None,
        xdg_runtime_dir: None,
        connect_timeout: Duration::from_millis(200),
        request_timeout: Duration::from_secs(1),
    };
    let svc = Arc::new(SandboxService::new(ServiceOptions {
        home,
        settings: Settings::default(),
        connect,
    }));
    let key = match svc.create_api_key("tester", "test") {
        Ok((k, _)) => k,
        Err(e) => panic!("{e}"),
    };
    let state = ApiState::with_limits(svc, RateLimiter::new(limit), max_body);
    Fixture {
        _tmp: tmp,
        state,
        key,
    }
}

fn fixture() -> Fixture {
    fixture_with(1000, DEFAULT_MAX_BODY)
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    /// Asserts the error shape and returns (code, message).
    fn error(&self) -> (String, String) {
        let v = self.json();
        let code = v["code"].as_str().unwrap_or_else(|| panic!("no code: {v}"));
        let msg = v["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error: {v}"));
        (code.to_string(), msg.to_string())
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

async fn call(
    f: &Fixture,
    method: Method,
    uri: &str,
    key: Option<&str>,
    body: Option<&str>,
) -> Answer {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(k) = key {
        req = req.header("x-api-key", k);
    }
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let req = match req.body(Body::from(body.unwrap_or("").to_string())) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    let resp = match router(f.state.clone()).oneshot(req).await {
        Ok(r) => r,
        Err(e) => match e {},
    };
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 16 << 20)
        .await
        .unwrap_or_default();
    Answer {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn get(f: &Fixture, uri: &str) -> Answer {
    call(f, Method::GET, uri, Some(&f.key.clone()), None).await
}

#[tokio::test]
async fn health_needs_no_key_and_reports_uptime() {
    let f = fixture();
    let a = call(&f, Method::GET, "/api/v1/health", None, None).await;
    assert_eq!(a.status, StatusCode::OK);
    let v = a.json();
    assert_eq!(v["status"], "ok");
    assert!(v["uptime_seconds"].is_u64());
}

#[tokio::test]
async fn protected_routes_need_a_valid_key() {
    let f = fixture();
    let a = call(&f, Method::GET, "/api/v1/profiles", None, None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let (code, msg) = a.error();
    assert_eq!(code, "unauthorized");
    assert!(msg.contains("missing X-API-Key"), "{msg}");
    let last = if f.key.ends_with('0') { '1' } else { '0' };
    let wrong = format!("{}{last}", &f.key[..f.key.len() - 1]);
    let a = call(&f, Method::GET, "/api/v1/profiles", Some(&wrong), None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.error().1.contains("not valid"));
    assert_eq!(get(&f, "/api/v1/profiles").await.status, StatusCode::OK);
    for uri in ["/api/v1/metrics", "/api/v1/events", "/api/v1/system/check"] {
        let a = call(&f, Method::GET, uri, None, None).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{uri}");
    }
}

#[tokio::test]
async fn a_revoked_key_is_refused_on_the_next_request() {
    let f = fixture();
    assert_eq!(get(&f, "/api/v1/profiles").await.status, StatusCode::OK);
    // Another process revokes it: the file changes under the running server.
    let other = f.state.service().api_keys();
    assert!(other.revoke("tester").is_ok());
    let a = get(&f, "/api/v1/profiles").await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_rate_limit_counts_down_and_answers_429_with_retry_after() {
    let f = fixture_with(3, DEFAULT_MAX_BODY);
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let a = get(&f, "/api/v1/profiles").await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(a.header("x-ratelimit-limit").as_deref(), Some("3"));
        let reset: u64 = a
            .header("x-ratelimit-reset")
            .and_then(|r| r.parse().ok())
            .unwrap_or(0);
        assert!((1..=60).contains(&reset), "reset {reset}");
        remaining.push(a.header("x-ratelimit-remaining").unwrap_or_default());
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let a = get(&f, "/api/v1/profiles").await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(a.error().0, "rate_limited");
    let retry: u64 = a
        .header("retry-after")
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    assert!((1..=60).contains(&retry), "retry-after {retry}");
    assert_eq!(a.header("x-ratelimit-remaining").as_deref(), Some("0"));
    // Health is not limited.
    let h = call(&f, Method::GET, "/api/v1/health", None, None).await;
    assert_eq!(h.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_routes_wrong_methods_and_big_bodies_get_json_errors() {
    let f = fixture_with(1000, 64);
    let a = get(&f, "/api/v1/nope").await;
    assert_eq!(
        (a.status, a.error().0.as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let a = get(&f, "/elsewhere").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.error().0, "not_found");
    let a = call(&f, Method::PUT, "/api/v1/profiles", Some(&f.key), None).await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    let (code, msg) = a.error();
    assert_eq!(code, "method_not_allowed");
    assert!(msg.contains("Allow header"), "{msg}");
    assert_eq!(a.header("allow").as_deref(), Some("GET,HEAD,POST"));
    let big = format!("{{\"name\":\"x\",\"toml\":\"{}\"}}", "a".repeat(200));
    let a = call(
        &f,
        Method::POST,
        "/api/v1/profiles",
        Some(&f.key),
        Some(&big),
    )
    .await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(a.error().0, "body_too_large");
}

#[tokio::test]
async fn malformed_json_is_a_400_that_says_what_is_wrong() {
    let f = fixture();
    let post = |body: &'static str| {
        let f = &f;
        async move {
            call(
                f,
                Method::POST,
                "/api/v1/profiles",
                Some(&f.key),
                Some(body),
            )
            .await
        }
    };
    let a = post("{\"name\": \"x\",").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let (code, msg) = a.error();
    assert_eq!(code, "malformed_json");
    assert!(msg.contains("EOF") || msg.contains("line 1"), "{msg}");
    let a = post("{\"name\": \"x\"}").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.error().1.contains("missing field `toml`"), "{}", a.text);
    let a = post("{\"name\": 3, \"toml\": \"\"}").await;
    assert!(
        a.error().1.contains("invalid type: integer `3`"),
        "{}",
        a.text
    );
    let a = post("{\"name\": \"x\", \"toml\": \"\", \"extra\": 1}").await;
    assert!(a.error().1.contains("unknown field `extra`"), "{}", a.text);
    // Without a JSON content type.
    let a = call(&f, Method::POST, "/api/v1/audit/verify", Some(&f.key), None).await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(a.error().0, "unsupported_media_type");
}

#[tokio::test]
async fn profiles_are_listed_paginated_shown_saved_validated_and_deleted() {
    let f = fixture();
    let a = get(&f, "/api/v1/profiles?per_page=2&page=1").await;
    assert_eq!(a.status, StatusCode::OK);
    let v = a.json();
    let total = v["total"].as_u64().unwrap_or(0);
    assert!(total >= 3, "{v}");
    assert_eq!(v["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["total_pages"].as_u64(), Some(total.div_ceil(2)));
    let a = get(&f, "/api/v1/profiles?per_page=0").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.error().1.contains("per_page=0"));
    let a = get(&f, "/api/v1/profiles?page=-1").await;
    assert_eq!(
        (a.status, a.error().0.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );

    let a = get(&f, "/api/v1/profiles/strict").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["source"], "builtin");
    assert_eq!(
        get(&f, "/api/v1/profiles/nosuch").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&f, "/api/v1/profiles/..%2Fx").await.status,
        StatusCode::BAD_REQUEST
    );

    // Validation errors name the field.
    let bad = r#"{"name": "team", "toml": "extends = \"strict\"\n[resources]\npids = \"many\"\n"}"#;
    let a = call(
        &f,
        Method::POST,
        "/api/v1/profiles",
        Some(&f.key),
        Some(bad),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let (code, msg) = a.error();
    assert_eq!(code, "invalid_profile");
    assert!(msg.contains("pids"), "{msg}");
    let typo = r#"{"name": "team", "toml": "extends = \"strict\"\n[resources]\npid = 5\n"}"#;
    let a = call(
        &f,
        Method::POST,
        "/api/v1/profiles",
        Some(&f.key),
        Some(typo),
    )
    .await;
    assert!(
        a.error()
            .1
            .contains("unknown key resources.pid (did you mean pids?)"),
        "{}",
        a.text
    );

    let good = r#"{"name": "team", "toml": "extends = \"strict\"\n[resources]\npids = 77\n"}"#;
    let a = call(
        &f,
        Method::POST,
        "/api/v1/profiles",
        Some(&f.key),
        Some(good),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let a = get(&f, "/api/v1/profiles/team").await;
    assert_eq!(a.json()["profile"]["resources"]["pids"], 77);
    let a = call(
        &f,
        Method::POST,
        "/api/v1/profiles",
        Some(&f.key),
        Some(good),
    )
    .await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "a replacement is archived, not created"
    );
    assert_eq!(a.json()["archived_version"], 1);

    let a = call(
        &f,
        Method::DELETE,
        "/api/v1/profiles/strict",
        Some(&f.key),
        None,
    )
    .await;
    assert_eq!(
        (a.status, a.error().0.as_str()),
        (StatusCode::FORBIDDEN, "builtin_read_only")
    );
    let a = call(
        &f,
        Method::DELETE,
        "/api/v1/profiles/team",
        Some(&f.key),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let a = call(
        &f,
        Method::DELETE,
        "/api/v1/profiles/team",
        Some(&f.key),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn changing_calls_are_audited_with_the_key_name() {
    let f = fixture();
    let good = r#"{"name": "audited", "toml": "extends = \"strict\"\n"}"#;
    let a = call(
        &f,
        Method::POST,
        "/api/v1/profiles",
        Some(&f.key),
        Some(good),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED);
    let a = call(
        &f,
        Method::DELETE,
        "/api/v1/profiles/strict",
        Some(&f.key),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = get(
        &f,
        "/api/v1/sandboxes/system/audit?type=api&oldest_first=true",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let v = a.json();
    let items = v["items"].as_array().cloned().unwrap_or_default();
    let seen: Vec<(String, String, String)> = items
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap_or("").to_string(),
                e["action"].as_str().unwrap_or("").to_string(),
                e["outcome"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let want = |action: &str, outcome: &str| {
        (
            "api:tester".to_string(),
            action.to_string(),
            outcome.to_string(),
        )
    };
    assert!(seen.contains(&want("profile-save", "success")), "{seen:?}");
    assert!(seen.contains(&want("POST", "success")), "{seen:?}");
    assert!(seen.contains(&want("DELETE", "blocked")), "{seen:?}");
    // Reads are not recorded as API calls.
    assert!(!seen.iter().any(|s| s.1 == "GET"), "{seen:?}");
    // Filters are validated with a message naming the parameter.
    let a = get(&f, "/api/v1/sandboxes/system/audit?type=bogus").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.error().1.starts_with("type:"), "{}", a.text);
    let a = get(&f, "/api/v1/sandboxes/system/audit?since=yesterday").await;
    assert!(a.error().1.contains("since=\"yesterday\""), "{}", a.text);
    let a = get(&f, "/api/v1/sandboxes/system/audit?per_page=1").await;
    let v = a.json();
    assert_eq!(
        (v["items"].as_array().map(Vec::len), v["has_more"].as_bool()),
        (Some(1), Some(true))
    );
    // The key's own creation is in the system log too, under its creator.
    let a = get(&f, "/api/v1/sandboxes/system/audit?type=auth").await;
    assert!(a.text.contains("api-key-create"), "{}", a.text);
    let a = call(
        &f,
        Method::POST,
        "/api/v1/audit/verify",
        Some(&f.key),
        Some("{}"),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.json()["valid"], true, "{}", a.text);
    let a = call(
        &f,
        Method::POST,
        "/api/v1/audit/verify",
        Some(&f.key),
        Some(r#"{"sandbox":"system"}"#),
    )
    .await;
    assert_eq!(a.json()["valid"], true, "{}", a.text);
}

#[tokio::test]
async fn engine_routes_without_an_engine_are_503_not_500() {
    let f = fixture();
    let a = get(&f, "/api/v1/sandboxes").await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{}", a.text);
    assert_eq!(a.error().0, "engine_unavailable");
    // Bad input is refused before the engine is needed.
    let rel = r#"{"profile": "strict", "working_dir": "relative/dir"}"#;
    let a = call(
        &f,
        Method::POST,
        "/api/v1/sandboxes",
        Some(&f.key),
        Some(rel),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.error().1.contains("absolute"), "{}", a.text);
    let path = r#"{"profile": "/etc/x.toml", "working_dir": "/tmp"}"#;
    let a = call(
        &f,
        Method::POST,
        "/api/v1/sandboxes",
        Some(&f.key),
        Some(path),
    )
    .await;
    assert!(a.error().1.contains("not a path"), "{}", a.text);
    let a = call(
        &f,
        Method::POST,
        "/api/v1/sandboxes/x/exec",
        Some(&f.key),
        Some(r#"{"command": " "}"#),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let a = call(
        &f,
        Method::POST,
        "/api/v1/sandboxes/x/exec",
        Some(&f.key),
        Some(r#"{"cmd": "ls"}"#),
    )
    .await;
    assert!(a.error().1.contains("unknown field `cmd`"), "{}", a.text);
    let a = get(&f, "/api/v1/sandboxes/abc/audit").await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{}", a.text);
    let a = get(&f, "/api/v1/system/check").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["ok"], false);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let f = fixture();
    let _ = get(&f, "/api/v1/profiles").await;
    let _ = get(&f, "/api/v1/profiles/nosuch").await;
    let _ = call(&f, Method::GET, "/api/v1/profiles", None, None).await;
    let a = get(&f, "/api/v1/metrics").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.header("content-type")
            .is_some_and(|c| c.starts_with("text/plain; version=0.0.4"))
    );
    for line in [
        "lasso_http_requests_total{method=\"GET\",route=\"/api/v1/profiles\",status=\"200\"} 1",
        "lasso_http_requests_total{method=\"GET\",route=\"/api/v1/profiles\",status=\"401\"} 1",
        "lasso_http_requests_total{method=\"GET\",route=\"/api/v1/profiles/{name}\",status=\"404\"} 1",
        "lasso_engine_up 0",
    ] {
        assert!(
            a.text.lines().any(|l| l == line),
            "missing {line:?} in\n{}",
            a.text
        );
    }
    // The key's creation was appended to the audit log before the collector subscribed, so
    // only appends after it count; at least nothing is invented.
    assert!(a.text.contains("lasso_audit_appends_total "));
}

#[test]
fn binding_is_refused_off_loopback_and_without_keys() {
    let opts = |addr: &str, force| ServeOptions {
        listen: addr.parse().unwrap_or_else(|e| panic!("{e}")),
        force_insecure: force,
    };
    assert!(check_bind(&opts("127.0.0.1:8080", false), 1).is_ok());
    assert!(check_bind(&opts("[::1]:8080", false), 1).is_ok());
    let m = check_bind(&opts("0.0.0.0:8080", false), 1)
        .err()
        .map(|e| e.to_string());
    assert!(m.is_some_and(|m| m.contains("no TLS") && m.contains("--force-insecure")));
    let m = check_bind(&opts("127.0.0.1:8080", false), 0)
        .err()
        .map(|e| e.to_string());
    assert!(m.is_some_and(|m| m.contains("no API key exists")));
    assert!(check_bind(&opts("0.0.0.0:8080", true), 0).is_ok());
}

/// Sends a request and returns only the status and the route the metrics saw it matched
/// (the body is not read: `/events` streams forever).
async fn route_of(f: &Fixture, method: Method, uri: &str) -> StatusCode {
    let mut req = Request::builder()
        .method(method.clone())
        .uri(uri)
        .header("x-api-key", f.key.clone());
    if method == Method::POST {
        req = req.header("content-type", "application/json");
    }
    let body = if method == Method::POST { "{}" } else { "" };
    let req = match req.body(Body::from(body)) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    match router(f.state.clone()).oneshot(req).await {
        Ok(r) => r.status(),
        Err(e) => match e {},
    }
}

#[tokio::test]
async fn the_openapi_document_and_the_router_serve_the_same_routes() {
    let f = fixture();
    let a = call(&f, Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let doc = a.json();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    let all = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ];
    let mut documented = 0;
    for (path, item) in &paths {
        let uri = path.replace("{id}", "nosuch").replace("{name}", "nosuch");
        for method in &all {
            let status = route_of(&f, method.clone(), &uri).await;
            if item.get(method.as_str().to_lowercase()).is_some() {
                documented += 1;
                assert_ne!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is documented but not served"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is served but not documented"
                );
            }
        }
    }
    // Every documented operation reached a handler: the metrics saw its route pattern.
    let metrics = get(&f, "/api/v1/metrics").await.text;
    for (path, item) in &paths {
        for method in item
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_else(Vec::new)
        {
            let m = method.to_uppercase();
            // The Swagger UI's own routes sit outside the metered API router's patterns.
            let pattern = if path.starts_with("/api/v1/docs") {
                continue;
            } else {
                path.clone()
            };
            assert!(
                metrics.contains(&format!("method=\"{m}\",route=\"{pattern}\"")),
                "{m} {path} did not reach a route:\n{metrics}"
            );
        }
    }
    assert!(documented >= 22, "only {documented} operations documented");
    for expected in [
        "/api/v1/sandboxes",
        "/api/v1/sandboxes/{id}/exec",
        "/api/v1/profiles/{name}",
        "/api/v1/audit/verify",
        "/api/v1/health",
        "/api/v1/openapi.json",
        "/api/v1/docs/",
    ] {
        assert!(paths.contains_key(expected), "{expected} not documented");
    }
    // No route is added outside `routes!` (which documents it) and the Swagger UI router.
    let needle = [".rou", "te("].concat();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/api");
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        assert!(
            !text.contains(&needle),
            "{} adds a route outside routes!()",
            entry.path().display()
        );
    }
}

#[tokio::test]
async fn the_swagger_ui_is_served_from_compiled_in_assets() {
    let f = fixture();
    let a = call(&f, Method::GET, "/api/v1/docs/", None, None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.text.contains("swagger-ui"), "{}", a.text);
    let init = call(
        &f,
        Method::GET,
        "/api/v1/docs/swagger-initializer.js",
        None,
        None,
    )
    .await;
    assert_eq!(init.status, StatusCode::OK);
    assert!(init.text.contains("/api/v1/openapi.json"), "{}", init.text);
    let css = call(&f, Method::GET, "/api/v1/docs/swagger-ui.css", None, None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.text.len() > 1000);
    let redirect = call(&f, Method::GET, "/api/v1/docs", None, None).await;
    assert!(redirect.status.is_redirection());
}

#[tokio::test]
async fn agents_are_listed_with_their_variables_and_profile() {
    let f = fixture();
    let a = get(&f, "/api/v1/agents").await;
    assert_eq!(a.status, StatusCode::OK);
    let v = a.json();
    let agents = v["agents"].as_array().cloned().unwrap_or_default();
    assert_eq!(agents.len(), crate::config::AGENTS.len());
    let claude = agents
        .iter()
        .find(|a| a["id"] == "claude-code")
        .cloned()
        .unwrap_or_default();
    assert_eq!(claude["forward_env"][0], "ANTHROPIC_API_KEY");
    assert_eq!(claude["profile"], "development");
    assert_eq!(claude["program"], "claude");
    assert_eq!(
        call(&f, Method::GET, "/api/v1/agents", None, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}
