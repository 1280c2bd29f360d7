//! `[[webhooks]]` in `config.toml`: where `lasso serve` posts core events, validated here so a
//! bad hook refuses to start the server with the file, key and value named.
//!
//! Each field is enforced, not just stored: `url` must be `http://` (lasso has no TLS client;
//! an `https://` URL is refused rather than silently downgraded) and must name a loopback
//! address unless `allow_remote = true` — the delivery side re-checks the resolved address
//! of every connection, so a host name cannot smuggle a remote target past this rule;
//! `events` limits what is sent (the event names are checked against the bus's types by the
//! delivery side, which owns them); `secret` keys the `X-Lasso-Signature` HMAC and must be
//! long enough to be one.

use serde::Deserialize;

use super::error::{ConfigError, Origin};

/// Shortest accepted `secret` (bytes).
pub const MIN_SECRET_LEN: usize = 16;
/// Most hooks one `config.toml` may declare.
pub const MAX_WEBHOOKS: usize = 32;

/// The event types a hook may subscribe to, with what each means: the service's event bus
/// (`sandbox::Event`, whose serialised tags a test there keeps equal to this list) plus `test`
/// (`POST /api/v1/webhooks/test`). Kept here so `config.toml` is validated where it is read.
pub const EVENT_TYPES: &[(&str, &str)] = &[
    (
        "sandbox_created",
        "a sandbox was created and passed its self-test probes",
    ),
    ("sandbox_stopped", "a sandbox was stopped and removed"),
    (
        "command_executed",
        "an allowed command ran (exit code, duration)",
    ),
    ("violation", "the command gate blocked a command"),
    (
        "guard_denied",
        "the in-sandbox guard denied (or in shadow mode would have denied) an exec of the agent's own processes",
    ),
    ("audit_appended", "an entry was appended to an audit log"),
    ("mode_changed", "a sandbox's mode changed"),
    ("test", "sent only by POST /api/v1/webhooks/test"),
];

/// One validated `[[webhooks]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// `name`, or `webhook-<n>` (1-based position): labels metrics and test reports.
    pub name: String,
    /// The URL as written.
    pub url: String,
    /// Host (without brackets) and port to connect to, and the request target.
    pub host: String,
    pub port: u16,
    pub path: String,
    /// Event types to send; `*` sends every type.
    pub events: Vec<String>,
    pub secret: String,
    pub allow_remote: bool,
}

impl WebhookConfig {
    /// Whether events of `kind` go to this hook.
    pub fn wants(&self, kind: &str) -> bool {
        self.events.iter().any(|e| e == "*" || e == kind)
    }

    /// Whether `host` is loopback by its spelling (`localhost`, 127.0.0.0/8, ::1).
    pub fn host_is_loopback(host: &str) -> bool {
        host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWebhook {
    name: Option<String>,
    url: String,
    events: Vec<String>,
    secret: String,
    #[serde(default)]
    allow_remote: bool,
}

fn invalid(file: &str, key: String, value: &str, expected: &str) -> ConfigError {
    ConfigError::InvalidValue {
        origin: Origin::file(file),
        key,
        value: value.to_string(),
        expected: expected.to_string(),
    }
}

/// Validates the raw entries of `file`.
pub(crate) fn validate(
    raw: Vec<RawWebhook>,
    file: &str,
) -> Result<Vec<WebhookConfig>, ConfigError> {
    if raw.len() > MAX_WEBHOOKS {
        return Err(invalid(
            file,
            "webhooks".into(),
            &raw.len().to_string(),
            &format!("expected at most {MAX_WEBHOOKS} [[webhooks]] entries"),
        ));
    }
    let mut out: Vec<WebhookConfig> = Vec::with_capacity(raw.len());
    for (i, w) in raw.into_iter().enumerate() {
        let key = |field: &str| format!("webhooks[{i}].{field}");
        let name = w.name.unwrap_or_else(|| format!("webhook-{}", i + 1));
        if name.is_empty()
            || name.len() > 64
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(invalid(
                file,
                key("name"),
                &name,
                "expected 1 to 64 letters, digits, '-', '_' or '.'",
            ));
        }
        if out.iter().any(|o| o.name == name) {
            return Err(invalid(
                file,
                key("name"),
                &name,
                "expected a name no other [[webhooks]] entry uses",
            ));
        }
        let (host, port, path) =
            parse_url(&w.url).map_err(|why| invalid(file, key("url"), &w.url, &why))?;
        if !w.allow_remote && !WebhookConfig::host_is_loopback(&host) {
            return Err(invalid(
                file,
                key("url"),
                &w.url,
                "expected a loopback address (127.0.0.1, [::1] or localhost): events would \
                 leave this machine in clear text; set allow_remote = true on this hook if \
                 that is intended",
            ));
        }
        if w.events.is_empty() {
            return Err(invalid(
                file,
                key("events"),
                "[]",
                "expected at least one event type (GET /api/v1/webhooks/events lists them; \"*\" is every type)",
            ));
        }
        if let Some(bad) = w
            .events
            .iter()
            .find(|e| *e != "*" && !EVENT_TYPES.iter().any(|(t, _)| t == e))
        {
            let names: Vec<&str> = EVENT_TYPES.iter().map(|(t, _)| *t).collect();
            return Err(invalid(
                file,
                key("events"),
                bad,
                &format!("expected \"*\" or event types from {}", names.join(", ")),
            ));
        }
        if w.secret.len() < MIN_SECRET_LEN {
            return Err(invalid(
                file,
                key("secret"),
                "(hidden)",
                &format!(
                    "expected a secret of at least {MIN_SECRET_LEN} characters (it keys the \
                     X-Lasso-Signature HMAC; e.g. `openssl rand -hex 32`)"
                ),
            ));
        }
        out.push(WebhookConfig {
            name,
            url: w.url,
            host,
            port,
            path,
            events: w.events,
            secret: w.secret,
            allow_remote: w.allow_remote,
        });
    }
    Ok(out)
}

/// `http://host[:port][/path]` → (host, port, path).
fn parse_url(url: &str) -> Result<(String, u16, String), String> {
    let rest = if let Some(r) = url.strip_prefix("http://") {
        r
    } else if url.starts_with("https://") {
        return Err(
            "expected an http:// URL: lasso's webhook client has no TLS; post to a \
                    TLS-terminating relay on loopback instead"
                .into(),
        );
    } else {
        return Err("expected an http:// URL such as http://127.0.0.1:9000/hook".into());
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    if authority.contains('@') {
        return Err("expected no user:password@ in the URL (the secret signs the requests)".into());
    }
    if path.contains(char::is_whitespace) || path.contains('#') {
        return Err("expected a path without spaces or a #fragment".into());
    }
    let (host, port) = if let Some(r) = authority.strip_prefix('[') {
        let (h, after) = r
            .split_once(']')
            .ok_or_else(|| "expected a closing ] after the IPv6 address".to_string())?;
        (h.to_string(), after.strip_prefix(':'))
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err("expected a host".into());
    }
    let port = match port {
        None => 80,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("expected a port from 1 to 65535, not {p:?}"))?,
    };
    Ok((host, port, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(url: &str, events: &[&str], secret: &str, allow_remote: bool) -> RawWebhook {
        RawWebhook {
            name: None,
            url: url.into(),
            events: events.iter().map(|e| e.to_string()).collect(),
            secret: secret.into(),
            allow_remote,
        }
    }

    const SECRET: &str = "0123456789abcdef";

    #[test]
    fn loopback_http_hooks_are_accepted_and_parsed() {
        let v = validate(
            vec![
                raw(
                    "http://127.0.0.1:9000/hook?x=1",
                    &["violation"],
                    SECRET,
                    false,
                ),
                raw("http://[::1]/", &["*"], SECRET, false),
                raw("http://localhost:81", &["sandbox_created"], SECRET, false),
            ],
            "/h/config.toml",
        );
        let Ok(v) = v else { panic!("{v:?}") };
        assert_eq!(
            (
                v[0].host.as_str(),
                v[0].port,
                v[0].path.as_str(),
                v[0].name.as_str()
            ),
            ("127.0.0.1", 9000, "/hook?x=1", "webhook-1")
        );
        assert_eq!(
            (v[1].host.as_str(), v[1].port, v[1].path.as_str()),
            ("::1", 80, "/")
        );
        assert!(v[1].wants("violation") && v[1].wants("test"));
        assert!(v[0].wants("violation") && !v[0].wants("sandbox_created"));
        assert_eq!((v[2].host.as_str(), v[2].port), ("localhost", 81));
    }

    #[test]
    fn each_field_is_validated_with_the_key_named() {
        let err = |w: RawWebhook| {
            validate(vec![w], "/h/config.toml")
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        let m = err(raw("http://10.0.0.5/h", &["violation"], SECRET, false));
        assert!(
            m.contains("webhooks[0].url") && m.contains("allow_remote = true"),
            "{m}"
        );
        assert!(
            validate(
                vec![raw("http://10.0.0.5/h", &["violation"], SECRET, true)],
                "f"
            )
            .is_ok()
        );
        let m = err(raw("https://127.0.0.1/h", &["violation"], SECRET, false));
        assert!(m.contains("no TLS"), "{m}");
        let m = err(raw("ftp://127.0.0.1/h", &["violation"], SECRET, false));
        assert!(m.contains("http://"), "{m}");
        let m = err(raw("http://127.0.0.1:0/h", &["violation"], SECRET, false));
        assert!(m.contains("port"), "{m}");
        let m = err(raw("http://u:p@127.0.0.1/h", &["violation"], SECRET, false));
        assert!(m.contains("user:password"), "{m}");
        let m = err(raw("http://127.0.0.1/h", &[], SECRET, false));
        assert!(m.contains("webhooks[0].events"), "{m}");
        let m = err(raw("http://127.0.0.1/h", &["violations"], SECRET, false));
        assert!(
            m.contains("webhooks[0].events") && m.contains("violation,"),
            "{m}"
        );
        let m = err(raw("http://127.0.0.1/h", &["violation"], "short", false));
        assert!(
            m.contains("webhooks[0].secret") && !m.contains("short"),
            "{m}"
        );
        let mut a = raw("http://127.0.0.1/a", &["*"], SECRET, false);
        a.name = Some("dup".into());
        let mut b = raw("http://127.0.0.1/b", &["*"], SECRET, false);
        b.name = Some("dup".into());
        let m = validate(vec![a, b], "f")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(m.contains("webhooks[1].name"), "{m}");
    }
}
