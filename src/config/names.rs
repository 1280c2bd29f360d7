//! Checks for the string values of a profile: names, programs, packages, image references,
//! environment variable names and paths.
//!
//! Each check is a plain function returning the reason for refusal, used twice: by the
//! raw-layer newtypes below while deserializing (so the TOML deserializer attaches the span
//! and the message quotes the file position), and by `Profile::validate` for profiles built in
//! code. One definition of each rule keeps the two paths from drifting apart.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// Profile names: `[a-z0-9][a-z0-9._-]{0,62}`.
pub fn check_profile_name(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(
            "expected a profile name: 1 to 63 characters from a-z, 0-9, '.', '_' and '-', \
             starting with a letter or digit"
                .to_string(),
        )
    }
}

/// Program basenames in command lists (`python3`, `g++`, `mkfs.ext4`, `Rscript`).
pub fn check_program(s: &str) -> Result<(), String> {
    if s.contains('/') {
        return Err(
            "expected a program basename without a directory (write \"ls\", not \"/bin/ls\"): \
             the gate matches programs by basename wherever they are installed"
                .to_string(),
        );
    }
    let ok = !s.is_empty()
        && s.len() <= 64
        && !s.starts_with(['-', '.'])
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(
            "expected a program basename: 1 to 64 characters from A-Z, a-z, 0-9, '.', '_', '+' \
             and '-', not starting with '-' or '.'"
                .to_string(),
        )
    }
}

/// Debian package names: `[a-z0-9][a-z0-9+.-]+`.
pub fn check_package(s: &str) -> Result<(), String> {
    let ok = s.len() >= 2
        && s.len() <= 128
        && s.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'+' | b'.' | b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(
            "expected a Debian package name: at least 2 characters from a-z, 0-9, '+', '.' and \
             '-', starting with a letter or digit (no version pins)"
                .to_string(),
        )
    }
}

/// Container image references: `[registry[:port]/]path[:tag][@algorithm:digest]`.
pub fn check_image_ref(s: &str) -> Result<(), String> {
    const SYNTAX: &str = "expected an image reference such as \"debian:bookworm-slim\", \
                          \"registry.example.com:5000/team/base:1.2\" or \"name@sha256:<64 hex>\"";
    if s.is_empty() || s.len() > 255 {
        return Err(format!("{SYNTAX} (1 to 255 characters)"));
    }
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest {
        let ok = d.split_once(':').is_some_and(|(alg, hex)| {
            !alg.is_empty()
                && alg
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+._-".contains(&b))
                && hex.len() >= 32
                && hex.bytes().all(|b| b.is_ascii_hexdigit())
        });
        if !ok {
            return Err(format!("the digest {d:?} is not valid; {SYNTAX}"));
        }
    }
    // A tag follows the last ':' that comes after the last '/'.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(tag) = tag {
        let ok = !tag.is_empty()
            && tag.len() <= 128
            && !tag.starts_with(['.', '-'])
            && tag
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !ok {
            return Err(format!("the tag {tag:?} is not valid; {SYNTAX}"));
        }
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    let first = parts.first().copied().unwrap_or_default();
    if parts.len() > 1 && (first.contains(['.', ':']) || first == "localhost") {
        let (host, port) = match first.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (first, None),
        };
        let host_ok = !host.is_empty()
            && host.split('.').all(|l| {
                !l.is_empty()
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
        if !host_ok || !port_ok {
            return Err(format!("the registry {first:?} is not valid; {SYNTAX}"));
        }
        parts.remove(0);
    }
    for part in parts {
        if !is_path_component(part) {
            return Err(format!(
                "the name component {part:?} is not valid (lowercase letters, digits and single \
                 '.', '_', '__' or '-' separators); {SYNTAX}"
            ));
        }
    }
    Ok(())
}

fn is_path_component(p: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = p.as_bytes();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    // Separators: '.', '_', '__' or one or more '-'.
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &p[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// Why an environment variable may not be set or forwarded into a sandbox, if it may not.
pub fn sensitive_env_reason(name: &str) -> Option<&'static str> {
    let exact: &[(&str, &str)] = &[
        ("PATH", "it decides which binary every command name runs"),
        (
            "HOME",
            "lasso sets it to the sandbox home; tools read their configuration from it",
        ),
        ("USER", "lasso sets it to the sandbox user"),
        (
            "SHELL",
            "it selects the shell programs spawn, bypassing the gate's view",
        ),
        ("PWD", "lasso sets it to the working directory"),
        (
            "IFS",
            "it changes how shells split words, so the gate's parse would not match",
        ),
        ("ENV", "shells run the file it names at startup"),
        ("BASH_ENV", "bash runs the file it names at startup"),
        ("PYTHONPATH", "it changes which modules Python imports"),
        (
            "PYTHONHOME",
            "it changes which Python standard library is loaded",
        ),
        ("PYTHONSTARTUP", "Python runs the file it names at startup"),
        (
            "NODE_OPTIONS",
            "it can make node preload arbitrary code (--require)",
        ),
        ("PERL5OPT", "it can make perl run arbitrary code (-M)"),
        ("PERL5LIB", "it changes which modules perl loads"),
        ("RUBYOPT", "it can make ruby load arbitrary code (-r)"),
    ];
    if let Some((_, why)) = exact.iter().find(|(n, _)| *n == name) {
        return Some(why);
    }
    let prefixes: &[(&str, &str)] = &[
        (
            "LD_",
            "LD_* variables make the dynamic loader inject libraries into every program",
        ),
        (
            "DYLD_",
            "DYLD_* variables make the dynamic loader inject libraries",
        ),
        ("LASSO_", "LASSO_* variables configure lasso itself"),
        (
            "GIT_",
            "GIT_* variables change what git runs (GIT_SSH_COMMAND, GIT_EXEC_PATH) and \
                 where it reads and writes",
        ),
    ];
    prefixes
        .iter()
        .find(|(p, _)| name.starts_with(p))
        .map(|(_, why)| *why)
}

/// Environment variable names: `[A-Z_][A-Z0-9_]*`, not one that changes what runs.
pub fn check_env_name(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_uppercase() || b == b'_')
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if !ok {
        return Err(
            "expected an environment variable name: A-Z, 0-9 and '_', not starting with a digit"
                .to_string(),
        );
    }
    match sensitive_env_reason(s) {
        Some(why) => Err(format!(
            "{s} may not be set or forwarded into a sandbox: {why}"
        )),
        None => Ok(()),
    }
}

const MOUNT_UNSAFE: &str = "characters ':' and ',' and whitespace are not allowed (they would \
                            change the meaning of a mount specification)";

/// An absolute path inside the sandbox, without `.`/`..` components.
pub fn check_sandbox_path(s: &str) -> Result<(), String> {
    if !s.starts_with('/') {
        return Err("expected an absolute path inside the sandbox, such as \"/data\"".to_string());
    }
    if s.contains([':', ',']) || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("expected an absolute path; {MOUNT_UNSAFE}"));
    }
    check_components(s)
}

/// An absolute path or glob (`*`, `?`, `[...]`) inside the sandbox.
pub fn check_hidden_path(s: &str) -> Result<(), String> {
    if !s.starts_with('/') {
        return Err(
            "expected an absolute path or glob inside the sandbox, such as \"/etc/shadow\" or \
             \"/proc/*/environ\""
                .to_string(),
        );
    }
    if s == "/" {
        return Err("hiding \"/\" would hide everything; list the paths to hide".to_string());
    }
    if s.chars().any(char::is_control) {
        return Err("expected a path without control characters".to_string());
    }
    check_components(s)
}

/// An absolute host path (`audit.log_dir`).
pub fn check_host_path(s: &str) -> Result<(), String> {
    if !s.starts_with('/') {
        return Err("expected an absolute host path, such as \"/var/log/lasso\"".to_string());
    }
    if s.chars().any(char::is_control) {
        return Err("expected a path without control characters".to_string());
    }
    check_components(s)
}

fn check_components(s: &str) -> Result<(), String> {
    if s.len() > 1 && s.ends_with('/') {
        return Err(format!(
            "remove the trailing '/' (write {:?})",
            s.trim_end_matches('/')
        ));
    }
    if s.split('/')
        .skip(1)
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(
            "expected a normalized absolute path: no empty, '.' or '..' components".to_string(),
        );
    }
    Ok(())
}

/// A `blocked_args` pattern: words separated by single spaces.
pub fn check_blocked_pattern(s: &str) -> Result<(), String> {
    if s.trim().is_empty() {
        return Err("expected a non-empty pattern such as \"push --force\"".to_string());
    }
    if s.chars().any(char::is_control) {
        return Err("expected a pattern without control characters".to_string());
    }
    Ok(())
}

/// Deserializes a string through `check`. The check runs *inside* the deserializer's visitor,
/// so the TOML deserializer attributes a refusal to the exact value (an array element, not
/// the whole array).
pub(crate) fn deserialize_checked<'de, D, T, F>(
    d: D,
    expecting: &'static str,
    check: F,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    F: FnOnce(&str) -> Result<T, String>,
{
    struct CheckedVisitor<F> {
        expecting: &'static str,
        check: F,
    }
    impl<T, F: FnOnce(&str) -> Result<T, String>> serde::de::Visitor<'_> for CheckedVisitor<F> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.expecting)
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
            (self.check)(v).map_err(E::custom)
        }
    }
    d.deserialize_str(CheckedVisitor { expecting, check })
}

/// Declares a raw-layer string newtype whose `Deserialize` runs `$check`.
macro_rules! checked_string {
    ($(#[$m:meta])* $name:ident, $check:path, $expecting:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub String);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                deserialize_checked(d, $expecting, |s| {
                    $check(s).map(|()| $name(s.to_string()))
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

checked_string!(
    /// A profile name.
    ProfileName,
    check_profile_name,
    "a profile name (a string)"
);
checked_string!(
    /// A program basename.
    ProgramName,
    check_program,
    "a program name (a string)"
);
checked_string!(
    /// A Debian package name.
    PackageName,
    check_package,
    "a Debian package name (a string)"
);
checked_string!(
    /// A container image reference.
    ImageRef,
    check_image_ref,
    "an image reference (a string)"
);
checked_string!(
    /// An environment variable name that may be set in a sandbox.
    EnvName,
    check_env_name,
    "an environment variable name (a string)"
);
checked_string!(
    /// An absolute path inside the sandbox.
    SandboxPath,
    check_sandbox_path,
    "an absolute path (a string)"
);
checked_string!(
    /// An absolute path or glob inside the sandbox.
    HiddenPath,
    check_hidden_path,
    "an absolute path or glob (a string)"
);
checked_string!(
    /// An absolute path on the host.
    HostPath,
    check_host_path,
    "an absolute host path (a string)"
);
checked_string!(
    /// A `blocked_args` pattern.
    BlockedPattern,
    check_blocked_pattern,
    "a pattern string such as \"push --force\""
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names() {
        for ok in ["strict", "a", "dev-2.0_x", "0day"] {
            assert!(check_profile_name(ok).is_ok(), "{ok}");
        }
        let long = "a".repeat(64);
        for bad in ["", "Strict", "-a", ".a", "a/b", "a b", long.as_str(), "ä"] {
            assert!(check_profile_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn programs() {
        for ok in ["ls", "g++", "mkfs.ext4", "Rscript", "python3"] {
            assert!(check_program(ok).is_ok(), "{ok}");
        }
        for bad in ["", "/bin/ls", "-rf", ".hidden", "a b", "rm;ls", "a*"] {
            assert!(check_program(bad).is_err(), "{bad}");
        }
        assert!(
            check_program("/bin/ls")
                .err()
                .is_some_and(|e| e.contains("basename"))
        );
    }

    #[test]
    fn packages() {
        for ok in ["g++", "python3-pip", "r-base-core", "libc6.1"] {
            assert!(check_package(ok).is_ok(), "{ok}");
        }
        for bad in ["a", "Python3", "-x", "git=1:2.39", "a b", "+x"] {
            assert!(check_package(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn image_refs() {
        let digest = format!("debian@sha256:{}", "a".repeat(64));
        for ok in [
            "lasso-base:latest",
            "debian",
            "debian:bookworm-slim",
            "library/debian:12",
            "registry.example.com:5000/team/base:1.2",
            "localhost/base",
            "a__b/c-d.e:x",
            digest.as_str(),
        ] {
            assert!(check_image_ref(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Debian",
            "debian:",
            "debian:-x",
            "a//b",
            "a/b/",
            "debian@sha256:xyz",
            "reg:99999/x",
            "a..b",
            "a b",
            "-a",
        ] {
            assert!(check_image_ref(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn env_names_and_denylist() {
        for ok in ["ANTHROPIC_API_KEY", "_X", "FOO2", "GITHUB_TOKEN", "LDX"] {
            assert!(check_env_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "PATH",
            "HOME",
            "LD_PRELOAD",
            "LD_LIBRARY_PATH",
            "LASSO_HOME",
            "DYLD_INSERT_LIBRARIES",
            "GIT_SSH_COMMAND",
            "PYTHONPATH",
            "NODE_OPTIONS",
            "IFS",
            "BASH_ENV",
            "ENV",
            "lower",
            "1A",
            "A-B",
            "",
        ] {
            assert!(check_env_name(bad).is_err(), "{bad}");
        }
        let e = check_env_name("LD_PRELOAD").err().unwrap_or_default();
        assert!(e.contains("LD_PRELOAD") && e.contains("inject"), "{e}");
    }

    #[test]
    fn paths() {
        assert!(check_sandbox_path("/data").is_ok());
        assert!(check_sandbox_path("/data/x-1").is_ok());
        for bad in [
            "data", "/a/../b", "/a/./b", "/a//b", "/a/", "/a:b", "/a,b", "/a b",
        ] {
            assert!(check_sandbox_path(bad).is_err(), "{bad}");
        }
        assert!(check_hidden_path("/proc/*/environ").is_ok());
        assert!(check_hidden_path("/").is_err());
        assert!(check_hidden_path("etc/shadow").is_err());
        assert!(check_host_path("/var/log/lasso").is_ok());
        assert!(check_host_path("logs").is_err());
        assert!(check_blocked_pattern("push --force").is_ok());
        assert!(check_blocked_pattern("  ").is_err());
        assert!(check_blocked_pattern("a\nb").is_err());
    }
}
