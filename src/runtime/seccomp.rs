//! lasso's own seccomp profile, for engines whose default profile refuses the system calls
//! the in-sandbox guard needs (older Docker and Podman refuse `landlock_*`).
//!
//! It is never "seccomp off": it is the engine's default profile (the containers-common
//! `seccomp.json` Podman reads, which Docker's built-in default is maintained in step with)
//! with exactly the guard's system calls added as unconditional allows. Everything else,
//! including the default action, is kept as it was.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::error::RuntimeError;

/// Where the engine's default profile lives on Debian (containers-common).
pub const DEFAULT_PROFILE_PATH: &str = "/usr/share/containers/seccomp.json";

/// What the guard needs besides what every default profile allows: Landlock (exec and
/// write allowlists) and `seccomp(2)` itself (its user-notification filter).
pub const GUARD_SYSCALLS: &[&str] = &[
    "landlock_create_ruleset",
    "landlock_add_rule",
    "landlock_restrict_self",
    "seccomp",
];

/// Reads the engine's default profile from `path` and returns lasso's profile (JSON).
pub fn guard_profile_from(path: &Path) -> Result<String, RuntimeError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        RuntimeError::spec(
            "seccomp_profile",
            format!(
                "cannot read the engine's default seccomp profile {} ({e}); install \
                 containers-common (apt-get install golang-github-containers-common) so lasso can \
                 extend it with the guard's system calls",
                path.display()
            ),
        )
    })?;
    guard_profile(&text)
        .map_err(|why| RuntimeError::spec("seccomp_profile", format!("{}: {why}", path.display())))
}

/// `base` with every [`GUARD_SYSCALLS`] entry allowed unconditionally (added as one rule if
/// any is not already allowed that way). Fails on a profile it does not understand rather
/// than producing one it cannot vouch for.
pub fn guard_profile(base: &str) -> Result<String, String> {
    let mut v: Value = serde_json::from_str(base)
        .map_err(|e| format!("not a seccomp profile (invalid JSON: {e})"))?;
    let obj = v
        .as_object_mut()
        .ok_or("not a seccomp profile (not a JSON object)")?;
    match obj.get("defaultAction").and_then(Value::as_str) {
        Some(a) if a.starts_with("SCMP_ACT_") => {}
        _ => return Err("not a seccomp profile (no defaultAction)".into()),
    }
    if obj.get("defaultAction").and_then(Value::as_str) == Some("SCMP_ACT_ALLOW") {
        return Err(
            "its default action allows every system call; lasso does not run sandboxes \
                    without a seccomp allowlist"
                .into(),
        );
    }
    let rules = obj
        .entry("syscalls")
        .or_insert_with(|| Value::Array(Vec::new()))
        .as_array_mut()
        .ok_or("not a seccomp profile (`syscalls` is not a list)")?;
    let missing: Vec<&str> = GUARD_SYSCALLS
        .iter()
        .copied()
        .filter(|name| !rules.iter().any(|r| allows_unconditionally(r, name)))
        .collect();
    if !missing.is_empty() {
        let mut rule = Map::new();
        rule.insert("names".into(), json!(missing));
        rule.insert("action".into(), json!("SCMP_ACT_ALLOW"));
        rule.insert(
            "comment".into(),
            json!("lasso: the in-sandbox guard's Landlock ruleset and exec notification filter"),
        );
        rules.push(Value::Object(rule));
    }
    serde_json::to_string(&v).map_err(|e| e.to_string())
}

fn allows_unconditionally(rule: &Value, name: &str) -> bool {
    let names = rule.get("names").and_then(Value::as_array);
    let listed = names.is_some_and(|n| n.iter().any(|x| x.as_str() == Some(name)))
        || rule.get("name").and_then(Value::as_str) == Some(name);
    let empty = |k: &str| match rule.get(k) {
        None | Some(Value::Null) => true,
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.values().all(|v| v.as_array().is_none_or(Vec::is_empty)),
        Some(_) => false,
    };
    listed
        && rule.get("action").and_then(Value::as_str) == Some("SCMP_ACT_ALLOW")
        && empty("args")
        && empty("includes")
        && empty("excludes")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const BASE: &str = r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,
        "syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"},
                    {"names":["seccomp"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}}]}"#;

    fn allowed(profile: &str, name: &str) -> bool {
        let v: Value = serde_json::from_str(profile).unwrap();
        v["syscalls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| allows_unconditionally(r, name))
    }

    #[test]
    fn adds_exactly_the_guards_system_calls_and_keeps_the_rest() {
        let out = guard_profile(BASE).unwrap();
        for s in GUARD_SYSCALLS {
            assert!(allowed(&out, s), "{s}");
        }
        assert!(allowed(&out, "read"));
        assert!(!allowed(&out, "ptrace"));
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["defaultAction"], "SCMP_ACT_ERRNO");
        assert_eq!(v["defaultErrnoRet"], 1);
        // The capability-conditional seccomp rule does not count: the guard runs without caps.
        assert_eq!(v["syscalls"].as_array().unwrap().len(), 3);
        // Idempotent.
        assert_eq!(guard_profile(&out).unwrap(), out);
    }

    #[test]
    fn refuses_what_it_cannot_vouch_for() {
        assert!(guard_profile("nope").is_err());
        assert!(guard_profile("[]").is_err());
        assert!(guard_profile(r#"{"syscalls":[]}"#).is_err());
        let e = guard_profile(r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}"#).unwrap_err();
        assert!(e.contains("allows every system call"), "{e}");
        assert!(guard_profile(r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":{}}"#).is_err());
    }

    #[test]
    fn the_debian_default_profile_is_extended() {
        let p = Path::new(DEFAULT_PROFILE_PATH);
        if !p.exists() {
            eprintln!("SKIPPED: {DEFAULT_PROFILE_PATH} is not installed");
            return;
        }
        let out = guard_profile_from(p).unwrap();
        for s in GUARD_SYSCALLS {
            assert!(allowed(&out, s), "{s}");
        }
    }
}
