//! Engine endpoints (`unix://`, `tcp://`) and a deliberately small HTTP/1.1 client.
//!
//! Why a second client next to bollard: bollard deserialises responses into generated
//! structs whose enums reject values they do not know, and Podman's compat API (and newer
//! Docker releases) return such values (container states, cgroup settings, ...). A failed
//! `list` or `inspect` because an engine added a state would take the whole sandbox service
//! down, so the read paths (`/version`, `/info`, container list and inspect, image existence)
//! and the Podman-only libpod calls go through this client into tolerant structs that keep
//! unknown values as strings. Every request is one connection with `Connection: close`, read
//! to the end with a size cap, which keeps the parser trivial (status line, headers,
//! `Content-Length` or chunked body).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest response body the raw client accepts (container lists on busy hosts stay far below).
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// Where an engine listens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// A unix socket on this host.
    Unix(PathBuf),
    /// A plain TCP endpoint (`tcp://host:port`, no TLS).
    Tcp {
        /// Host name or address.
        host: String,
        /// Port.
        port: u16,
    },
}

impl Endpoint {
    /// Parses `unix:///path`, `tcp://host:port` or `http://host:port`.
    ///
    /// The error names what is wrong and what is accepted.
    pub fn parse(s: &str) -> Result<Endpoint, String> {
        let s = s.trim();
        if let Some(path) = s.strip_prefix("unix://") {
            if !path.starts_with('/') {
                return Err(format!(
                    "{s:?}: a unix socket path must be absolute (unix:///path/to/sock)"
                ));
            }
            return Ok(Endpoint::Unix(PathBuf::from(path)));
        }
        let rest = s
            .strip_prefix("tcp://")
            .or_else(|| s.strip_prefix("http://"));
        if let Some(rest) = rest {
            let rest = rest.trim_end_matches('/');
            let (host, port) = match rest.rsplit_once(':') {
                Some((h, p)) => {
                    let port = p.parse::<u16>().map_err(|_| {
                        format!("{s:?}: port {p:?} is not a number between 1 and 65535")
                    })?;
                    (
                        h.trim_start_matches('[').trim_end_matches(']').to_string(),
                        port,
                    )
                }
                None => (rest.to_string(), 2375),
            };
            if host.is_empty() {
                return Err(format!("{s:?}: missing host (tcp://host:port)"));
            }
            return Ok(Endpoint::Tcp { host, port });
        }
        if s.starts_with('/') {
            return Ok(Endpoint::Unix(PathBuf::from(s)));
        }
        let scheme = s.split("://").next().unwrap_or(s);
        Err(format!(
            "{s:?}: unsupported scheme {scheme:?}; lasso talks to engines over unix:///path or tcp://host:port \
             (for ssh or TLS endpoints, forward the socket locally, e.g. `ssh -L /tmp/docker.sock:/var/run/docker.sock host`)"
        ))
    }

    /// The unix socket path, if this is a local socket.
    pub fn socket_path(&self) -> Option<&Path> {
        match self {
            Endpoint::Unix(p) => Some(p),
            Endpoint::Tcp { .. } => None,
        }
    }

    /// True when the engine runs on this host (unix socket), so host PIDs it reports are ours.
    pub fn is_local(&self) -> bool {
        matches!(self, Endpoint::Unix(_))
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Unix(p) => write!(f, "unix://{}", p.display()),
            Endpoint::Tcp { host, port } if host.contains(':') => {
                write!(f, "tcp://[{host}]:{port}")
            }
            Endpoint::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
        }
    }
}

/// A complete HTTP response.
#[derive(Debug, Clone)]
pub(crate) struct RawResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The engine's error message (`{"message": ...}`) or the raw body.
    pub fn error_message(&self) -> String {
        #[derive(serde::Deserialize)]
        struct Msg {
            #[serde(alias = "cause")]
            message: String,
        }
        match serde_json::from_slice::<Msg>(&self.body) {
            Ok(m) => m.message,
            Err(_) => String::from_utf8_lossy(&self.body).trim().to_string(),
        }
    }
}

/// Sends one request and reads the whole response.
pub(crate) async fn request(
    endpoint: &Endpoint,
    method: &str,
    path_and_query: &str,
    json_body: Option<&[u8]>,
    timeout: Duration,
) -> std::io::Result<RawResponse> {
    let req = build_request(method, path_and_query, json_body);
    let fut = async {
        let raw = match endpoint {
            Endpoint::Unix(p) => {
                let s = tokio::net::UnixStream::connect(p).await?;
                exchange(s, &req).await?
            }
            Endpoint::Tcp { host, port } => {
                let s = tokio::net::TcpStream::connect((host.as_str(), *port)).await?;
                exchange(s, &req).await?
            }
        };
        parse_response(&raw).map_err(std::io::Error::other)
    };
    match tokio::time::timeout(timeout, fut).await {
        Ok(r) => r,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("no complete answer within {timeout:?}"),
        )),
    }
}

fn build_request(method: &str, path_and_query: &str, json_body: Option<&[u8]>) -> Vec<u8> {
    let mut req = format!(
        "{method} {path_and_query} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: lasso\r\nAccept: application/json\r\nConnection: close\r\n"
    )
    .into_bytes();
    if let Some(body) = json_body {
        req.extend_from_slice(
            format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        );
        req.extend_from_slice(body);
    } else {
        req.extend_from_slice(b"\r\n");
    }
    req
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    req: &[u8],
) -> std::io::Result<Vec<u8>> {
    s.write_all(req).await?;
    s.flush().await?;
    let mut out = Vec::with_capacity(8192);
    let mut buf = [0u8; 16384];
    loop {
        let n = s.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        if out.len() + n > MAX_RESPONSE_BYTES {
            return Err(std::io::Error::other(format!(
                "response larger than {MAX_RESPONSE_BYTES} bytes"
            )));
        }
        out.extend_from_slice(&buf[..n]);
    }
    Ok(out)
}

/// A byte stream to an engine (unix socket or TCP), used once the HTTP exchange is over.
pub(crate) trait RawConn: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> RawConn for T {}

/// An upgraded connection: what the engine sent after its response head, and the stream.
pub(crate) struct Upgraded {
    pub leftover: Vec<u8>,
    pub conn: Box<dyn RawConn>,
}

/// Largest response head accepted while waiting for an upgrade.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Sends `method path` with `Connection: Upgrade` / `Upgrade: tcp` on a fresh connection and
/// returns the raw stream once the engine answers 101 (or 200: the pre-upgrade hijack some
/// engines still use). Any other status is an error carrying the engine's message, as
/// `Err(Ok(response))`; I/O failures and timeouts are `Err(Err(io))`.
pub(crate) async fn upgrade(
    endpoint: &Endpoint,
    method: &str,
    path_and_query: &str,
    json_body: &[u8],
    timeout: Duration,
) -> Result<Upgraded, Result<RawResponse, std::io::Error>> {
    let mut req = format!(
        "{method} {path_and_query} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: lasso\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        json_body.len()
    )
    .into_bytes();
    req.extend_from_slice(json_body);
    let fut = async {
        let mut conn: Box<dyn RawConn> = match endpoint {
            Endpoint::Unix(p) => Box::new(tokio::net::UnixStream::connect(p).await?),
            Endpoint::Tcp { host, port } => {
                Box::new(tokio::net::TcpStream::connect((host.as_str(), *port)).await?)
            }
        };
        conn.write_all(&req).await?;
        conn.flush().await?;
        let mut head = Vec::with_capacity(1024);
        let mut buf = [0u8; 4096];
        let end = loop {
            if let Some(i) = find(&head, b"\r\n\r\n") {
                break i;
            }
            if head.len() > MAX_HEAD_BYTES {
                return Err(std::io::Error::other("response head too large"));
            }
            let n = conn.read(&mut buf).await?;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the engine closed the connection before answering",
                ));
            }
            head.extend_from_slice(&buf[..n]);
        };
        Ok((conn, head, end))
    };
    let (mut conn, mut head, end) = match tokio::time::timeout(timeout, fut).await {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => return Err(Err(e)),
        Err(_) => {
            return Err(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no answer within {timeout:?}"),
            )));
        }
    };
    let status = status_of(&head[..end]).map_err(|e| Err(std::io::Error::other(e)))?;
    if status == 101 || status == 200 {
        let leftover = head.split_off(end + 4);
        return Ok(Upgraded { leftover, conn });
    }
    // An error: read the rest of the (small) body for the engine's message, bounded in time.
    let mut buf = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while parse_response(&head).is_err() && head.len() < MAX_HEAD_BYTES {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    Err(Ok(parse_response(&head).unwrap_or(RawResponse {
        status,
        body: Vec::new(),
    })))
}

fn status_of(head: &[u8]) -> Result<u16, String> {
    let text = String::from_utf8_lossy(head);
    let line = text.lines().next().unwrap_or_default();
    let mut parts = line.splitn(3, ' ');
    if !parts.next().unwrap_or_default().starts_with("HTTP/1.") {
        return Err(format!("not an HTTP/1.x response: {line:?}"));
    }
    parts
        .next()
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("bad status line {line:?}"))
}

/// Parses a complete HTTP/1.x response (status line, headers, body).
pub(crate) fn parse_response(raw: &[u8]) -> Result<RawResponse, String> {
    let head_end = find(raw, b"\r\n\r\n").ok_or("response has no header terminator")?;
    let head =
        std::str::from_utf8(&raw[..head_end]).map_err(|_| "response headers are not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or("empty response")?;
    let mut parts = status_line.splitn(3, ' ');
    let proto = parts.next().unwrap_or_default();
    if !proto.starts_with("HTTP/1.") {
        return Err(format!("not an HTTP/1.x response: {status_line:?}"));
    }
    let status: u16 = parts
        .next()
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let mut chunked = false;
    let mut content_length: Option<usize> = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding")
            && value.to_ascii_lowercase().contains("chunked")
        {
            chunked = true;
        } else if name.eq_ignore_ascii_case("content-length") {
            content_length = value.parse().ok();
        }
    }
    let rest = &raw[head_end + 4..];
    let body = if chunked {
        decode_chunked(rest)?
    } else if let Some(len) = content_length {
        if rest.len() < len {
            return Err(format!("body truncated: {} of {len} bytes", rest.len()));
        }
        rest[..len].to_vec()
    } else {
        rest.to_vec()
    };
    Ok(RawResponse { status, body })
}

fn decode_chunked(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = find(data, b"\r\n").ok_or("chunk size line not terminated")?;
        let size_str =
            std::str::from_utf8(&data[..line_end]).map_err(|_| "chunk size is not ASCII")?;
        let size_str = size_str.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_str, 16)
            .map_err(|_| format!("bad chunk size {size_str:?}"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size + 2 {
            return Err("chunk truncated".to_string());
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Percent-encodes a query-string value (RFC 3986 unreserved characters pass).
pub(crate) fn encode_query_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Percent-encodes a container or image reference for a URL path. `/`, `:` and `@` stay
/// as they are: image references use them and the engines' routers expect them raw.
pub(crate) fn encode_path_segment(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b'/'
            | b':'
            | b'@' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_endpoints() {
        assert_eq!(
            Endpoint::parse("unix:///tmp/docker.sock"),
            Ok(Endpoint::Unix("/tmp/docker.sock".into()))
        );
        assert_eq!(
            Endpoint::parse("tcp://10.1.2.3:2376"),
            Ok(Endpoint::Tcp {
                host: "10.1.2.3".into(),
                port: 2376
            })
        );
        assert_eq!(
            Endpoint::parse("tcp://engine"),
            Ok(Endpoint::Tcp {
                host: "engine".into(),
                port: 2375
            })
        );
        assert_eq!(
            Endpoint::parse("tcp://[::1]:2375"),
            Ok(Endpoint::Tcp {
                host: "::1".into(),
                port: 2375
            })
        );
        assert_eq!(
            Endpoint::parse("/run/podman/podman.sock").map(|e| e.is_local()),
            Ok(true)
        );
    }

    #[test]
    fn rejects_bad_endpoints_with_reason() {
        let e = Endpoint::parse("ssh://me@host").unwrap_err();
        assert!(e.contains("unsupported scheme \"ssh\""), "{e}");
        let e = Endpoint::parse("unix://relative.sock").unwrap_err();
        assert!(e.contains("absolute"), "{e}");
        let e = Endpoint::parse("tcp://host:notaport").unwrap_err();
        assert!(e.contains("notaport"), "{e}");
        let e = Endpoint::parse("tcp://:2375").unwrap_err();
        assert!(e.contains("missing host"), "{e}");
    }

    #[test]
    fn endpoint_display_round_trips() {
        for s in ["unix:///run/docker.sock", "tcp://h:1", "tcp://[::1]:2375"] {
            assert_eq!(Endpoint::parse(s).map(|e| e.to_string()), Ok(s.to_string()));
        }
    }

    #[test]
    fn parses_content_length_response() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}trailing";
        let r = parse_response(raw).unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"{}");
        assert!(r.is_success());
    }

    #[test]
    fn parses_chunked_response() {
        let raw = b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"mes\r\n10;ext=1\r\nsage\":\"no such\"}\r\n0\r\n\r\n";
        let r = parse_response(raw).unwrap();
        assert_eq!(r.status, 404);
        assert_eq!(r.error_message(), "no such");
        assert!(!r.is_success());
    }

    #[test]
    fn parses_body_until_close() {
        let r = parse_response(b"HTTP/1.0 500 Internal\r\n\r\nboom").unwrap();
        assert_eq!(r.status, 500);
        assert_eq!(r.error_message(), "boom");
    }

    #[test]
    fn rejects_malformed_responses() {
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n").is_err());
        assert!(parse_response(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 abc OK\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort").is_err());
        assert!(
            parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").is_err()
        );
        assert!(
            parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc")
                .is_err()
        );
    }

    #[test]
    fn builds_requests_with_and_without_body() {
        let r = build_request("GET", "/v1.41/info", None);
        let s = String::from_utf8(r).unwrap();
        assert!(s.starts_with("GET /v1.41/info HTTP/1.1\r\n"));
        assert!(s.contains("Connection: close\r\n"));
        assert!(s.ends_with("\r\n\r\n"));
        let r = build_request("POST", "/x", Some(b"{\"a\":1}"));
        let s = String::from_utf8(r).unwrap();
        assert!(s.contains("Content-Length: 7\r\n\r\n{\"a\":1}"));
    }

    #[test]
    fn encodes_query_values() {
        assert_eq!(
            encode_query_value(r#"{"label":["a=b"]}"#),
            "%7B%22label%22%3A%5B%22a%3Db%22%5D%7D"
        );
        assert_eq!(
            encode_path_segment("localhost/lasso-base:latest"),
            "localhost/lasso-base:latest"
        );
        assert_eq!(encode_path_segment("a b?c#d"), "a%20b%3Fc%23d");
        assert_eq!(encode_query_value("a-b_c.d~"), "a-b_c.d~");
    }

    #[tokio::test]
    async fn talks_to_a_unix_socket_server() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("s.sock");
        let listener = tokio::net::UnixListener::bind(&sock).unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let n = s.read(&mut buf).await.unwrap();
            let req = String::from_utf8_lossy(&buf[..n]).to_string();
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\npong")
                .await
                .unwrap();
            req
        });
        let ep = Endpoint::Unix(sock);
        let r = request(&ep, "GET", "/_ping", None, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(r.body, b"pong");
        let req = server.await.unwrap();
        assert!(req.starts_with("GET /_ping HTTP/1.1"));
    }

    #[tokio::test]
    async fn upgrade_returns_the_raw_stream_and_leftover_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("s.sock");
        let listener = tokio::net::UnixListener::bind(&sock).unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let n = s.read(&mut buf).await.unwrap();
            let req = String::from_utf8_lossy(&buf[..n]).to_string();
            // The first raw bytes arrive in the same packet as the head.
            s.write_all(b"HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n\x00\x01\x02abc")
                .await
                .unwrap();
            let n = s.read(&mut buf).await.unwrap();
            s.write_all(&buf[..n]).await.unwrap();
            req
        });
        let up = upgrade(
            &Endpoint::Unix(sock),
            "POST",
            "/v1.41/exec/x/start",
            b"{}",
            Duration::from_secs(5),
        )
        .await
        .map_err(|_| "upgrade failed")
        .unwrap();
        assert_eq!(up.leftover, b"\x00\x01\x02abc");
        let mut conn = up.conn;
        conn.write_all(b"ping").await.unwrap();
        let mut got = [0u8; 4];
        conn.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"ping");
        let req = server.await.unwrap();
        assert!(req.contains("Upgrade: tcp\r\n"), "{req}");
        assert!(req.ends_with("\r\n\r\n{}"), "{req}");
    }

    #[tokio::test]
    async fn upgrade_refused_carries_the_engine_message() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("s.sock");
        let listener = tokio::net::UnixListener::bind(&sock).unwrap();
        let _server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let _ = s.read(&mut buf).await.unwrap();
            s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 23\r\n\r\n")
                .await
                .unwrap();
            s.write_all(b"{\"message\":\"no such x\"}").await.unwrap();
        });
        let err = upgrade(
            &Endpoint::Unix(sock),
            "POST",
            "/x",
            b"{}",
            Duration::from_secs(5),
        )
        .await;
        match err {
            Err(Ok(r)) => {
                assert_eq!(r.status, 404);
                assert_eq!(r.error_message(), "no such x");
            }
            _ => panic!("expected an HTTP error"),
        }
    }

    #[tokio::test]
    async fn times_out_on_a_silent_server() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("s.sock");
        let listener = tokio::net::UnixListener::bind(&sock).unwrap();
        let _server = tokio::spawn(async move {
            let (s, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
            drop(s);
        });
        let err = request(
            &Endpoint::Unix(sock),
            "GET",
            "/_ping",
            None,
            Duration::from_millis(200),
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    }
}
