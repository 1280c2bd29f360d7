//! The sandbox description the service hands to the runtime, and its pure validation.
//!
//! [`SandboxSpec`] is plain data: it says what the sandbox may use (image, workspace,
//! limits, extra tmpfs, hidden paths, network, OCI runtime), never how it is hardened. The
//! hardening (no capabilities, read-only root, uid 1000, no-new-privileges, the engine's
//! default seccomp profile, an init as PID 1, noexec tmpfs) is not configurable and is
//! applied by the engine-specific builders in `create.rs`. Validation here is pure (no I/O);
//! the host-side workspace checks live with the create call in `container.rs`.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use super::error::RuntimeError;

/// Where the workspace is mounted inside every sandbox.
pub const WORKSPACE_DIR: &str = "/workspace";
/// The sandbox user's home (a small tmpfs owned by the user).
pub const HOME_DIR: &str = "/home/sandbox";
/// uid of the sandbox user.
pub const SANDBOX_UID: u32 = 1000;
/// gid of the sandbox user.
pub const SANDBOX_GID: u32 = 1000;
/// `user` value for containers and execs.
pub const SANDBOX_USER: &str = "1000:1000";
/// Environment variables the runtime sets itself; callers may not override them.
pub const RESERVED_ENV: &[&str] = &[
    "HOME",
    super::exec::EXEC_MARKER_ENV,
    super::exec::TYPEAHEAD_KEY_ENV,
];

/// Where the in-sandbox guard binary is mounted (read-only) and run as PID 1 and exec wrapper.
pub const GUARD_BINARY: &str = "/.lasso/guard";
/// Where the guard's policy directory is mounted (read-only; the host replaces files in it).
pub const GUARD_POLICY_DIR: &str = "/.lasso/policy";
/// Where the guard's audit spool is mounted (read-write for the guard; the workload's
/// Landlock ruleset does not include it).
pub const GUARD_SPOOL_DIR: &str = "/.lasso/spool";

/// Host paths of the in-sandbox guard's files. When a spec has them, the guard is PID 1
/// instead of the engine's init, and every exec with [`super::ExecRequest::guard`] runs under it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GuardMounts {
    /// The static `lasso-guard` binary.
    pub binary: PathBuf,
    /// Directory holding `guard.json`.
    pub policy_dir: PathBuf,
    /// Directory the guard appends exec records to (owned by the sandbox uid).
    pub spool_dir: PathBuf,
}

/// Network attachment of a sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum NetworkSpec {
    /// No interface but `lo`.
    #[default]
    None,
    /// Attach to an existing bridge network (created with [`super::Engine::create_network`]).
    Bridge {
        /// Network name.
        name: String,
    },
}

/// An extra writable tmpfs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TmpfsMount {
    /// Absolute path inside the container.
    pub path: String,
    /// Size limit in bytes.
    pub size_bytes: u64,
    /// Whether binaries may be executed from it. Always explicit: Docker defaults to
    /// `noexec`, Podman does not.
    pub exec: bool,
}

/// Everything the runtime needs to create one sandbox container.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SandboxSpec {
    /// Container name (`[a-zA-Z0-9][a-zA-Z0-9_.-]*`).
    pub name: String,
    /// Image reference in the engine's local store.
    pub image: String,
    /// Container labels (the sandbox registry's source of truth).
    pub labels: BTreeMap<String, String>,
    /// Host directory bind-mounted read-write at `/workspace`.
    pub workspace: PathBuf,
    /// Environment (agent credentials go here, never in argv). `HOME` is set by the runtime.
    pub env: Vec<(String, String)>,
    /// Memory limit in bytes; swap is disabled (memory-swap = memory).
    pub memory_bytes: u64,
    /// CPU limit in billionths of a CPU.
    pub nano_cpus: u64,
    /// Maximum number of processes/threads in the container (cgroup pids limit).
    pub pids_limit: u32,
    /// `RLIMIT_NOFILE` (soft = hard). Must not exceed the engine host's hard limit.
    pub nofile: u64,
    /// `RLIMIT_FSIZE` in bytes (soft = hard): the largest file a process may write.
    pub fsize_bytes: u64,
    /// Size of the `/tmp` tmpfs (always `noexec`).
    pub tmp_size_bytes: u64,
    /// Size of the `$HOME` tmpfs (`/home/sandbox`, always `noexec`).
    pub home_size_bytes: u64,
    /// Extra writable tmpfs mounts.
    pub extra_tmpfs: Vec<TmpfsMount>,
    /// Paths hidden from the sandbox (files read as empty, directories as an empty read-only
    /// tmpfs). Paths inside `/workspace` hide parts of the workspace.
    pub masked_paths: Vec<String>,
    /// OCI runtime (`runsc`, `kata`); `None` is the engine's default. Never falls back.
    pub oci_runtime: Option<String>,
    /// Network attachment.
    pub network: NetworkSpec,
    /// The in-sandbox guard; `None` runs the engine's init and no in-sandbox enforcement
    /// (used only by the runtime's own tests: the service always sets it).
    pub guard: Option<GuardMounts>,
    /// A seccomp profile (JSON) replacing the engine's default; `None` keeps the default.
    /// Only ever the default plus the guard's system calls (see `seccomp.rs`).
    pub seccomp_profile: Option<String>,
}

impl SandboxSpec {
    /// A spec with conservative defaults: 2 GiB memory, 2 CPUs, 512 processes, 1024 open
    /// files, 1 GiB files, 256 MiB `/tmp`, 64 MiB home, no network.
    pub fn new(
        name: impl Into<String>,
        image: impl Into<String>,
        workspace: impl Into<PathBuf>,
    ) -> SandboxSpec {
        SandboxSpec {
            name: name.into(),
            image: image.into(),
            labels: BTreeMap::new(),
            workspace: workspace.into(),
            env: Vec::new(),
            memory_bytes: 2 << 30,
            nano_cpus: 2_000_000_000,
            pids_limit: 512,
            nofile: 1024,
            fsize_bytes: 1 << 30,
            tmp_size_bytes: 256 << 20,
            home_size_bytes: 64 << 20,
            extra_tmpfs: Vec::new(),
            masked_paths: Vec::new(),
            oci_runtime: None,
            network: NetworkSpec::None,
            guard: None,
            seccomp_profile: None,
        }
    }

    /// Checks every field without touching the host or the engine.
    pub fn validate(&self) -> Result<(), RuntimeError> {
        validate_name("name", &self.name)?;
        if self.image.trim().is_empty()
            || self
                .image
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(RuntimeError::spec(
                "image",
                format!("{:?} is not an image reference", self.image),
            ));
        }
        for (k, v) in &self.labels {
            if k.is_empty() || k.contains('\0') || v.contains('\0') {
                return Err(RuntimeError::spec(
                    format!("labels[{k:?}]"),
                    "label keys must be non-empty and labels may not contain NUL bytes",
                ));
            }
        }
        validate_env("env", &self.env)?;
        if !self.workspace.is_absolute() {
            return Err(RuntimeError::spec(
                "workspace",
                format!("{} must be an absolute host path", self.workspace.display()),
            ));
        }
        min(
            "memory_bytes",
            self.memory_bytes,
            6 << 20,
            "6 MiB (the engines' minimum)",
        )?;
        min(
            "nano_cpus",
            self.nano_cpus,
            10_000_000,
            "10000000 (0.01 CPU)",
        )?;
        min(
            "pids_limit",
            u64::from(self.pids_limit),
            8,
            "8 (room for the init, the workload and an exec)",
        )?;
        min("nofile", self.nofile, 64, "64")?;
        if self.nofile > 1 << 20 {
            return Err(RuntimeError::spec(
                "nofile",
                format!(
                    "{} is above 1048576 (the kernel's usual nr_open)",
                    self.nofile
                ),
            ));
        }
        min("fsize_bytes", self.fsize_bytes, 1 << 20, "1 MiB")?;
        min("tmp_size_bytes", self.tmp_size_bytes, 1 << 20, "1 MiB")?;
        min("home_size_bytes", self.home_size_bytes, 1 << 20, "1 MiB")?;

        let mut seen: HashSet<&str> = ["/tmp", HOME_DIR, WORKSPACE_DIR].into_iter().collect();
        for (i, t) in self.extra_tmpfs.iter().enumerate() {
            let field = format!("extra_tmpfs[{i}].path");
            validate_container_path(&field, &t.path)?;
            if is_under(&t.path, WORKSPACE_DIR) {
                return Err(RuntimeError::spec(
                    field,
                    format!(
                        "{:?} is inside /workspace; hide workspace paths with masked_paths instead",
                        t.path
                    ),
                ));
            }
            for sys in ["/proc", "/sys", "/dev", "/.lasso"] {
                if is_under(&t.path, sys) {
                    return Err(RuntimeError::spec(
                        field,
                        format!("{:?} is inside {sys}", t.path),
                    ));
                }
            }
            if !seen.insert(&t.path) {
                return Err(RuntimeError::spec(
                    field,
                    format!(
                        "{:?} is already mounted (/tmp, /home/sandbox and /workspace are built in)",
                        t.path
                    ),
                ));
            }
            min(
                &format!("extra_tmpfs[{i}].size_bytes"),
                t.size_bytes,
                4096,
                "4096",
            )?;
        }

        let mut masked = HashSet::new();
        for (i, p) in self.masked_paths.iter().enumerate() {
            let field = format!("masked_paths[{i}]");
            validate_container_path(&field, p)?;
            if p == WORKSPACE_DIR || ["/proc", "/sys", "/dev"].contains(&p.as_str()) {
                return Err(RuntimeError::spec(
                    field,
                    format!("{p:?} cannot be masked as a whole"),
                ));
            }
            if !masked.insert(p.as_str()) {
                return Err(RuntimeError::spec(field, format!("{p:?} is listed twice")));
            }
        }

        if let Some(g) = &self.guard {
            for (field, p) in [
                ("guard.binary", &g.binary),
                ("guard.policy_dir", &g.policy_dir),
                ("guard.spool_dir", &g.spool_dir),
            ] {
                if !p.is_absolute() {
                    return Err(RuntimeError::spec(
                        field,
                        format!("{} must be an absolute host path", p.display()),
                    ));
                }
            }
        }

        if let Some(r) = &self.oci_runtime
            && (r.is_empty()
                || !r
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)))
        {
            return Err(RuntimeError::spec(
                "oci_runtime",
                format!("{r:?} is not a runtime name (e.g. runsc, kata)"),
            ));
        }
        if let NetworkSpec::Bridge { name } = &self.network {
            validate_name("network.name", name)?;
        }
        Ok(())
    }
}

fn min(field: &str, value: u64, min: u64, what: &str) -> Result<(), RuntimeError> {
    if value < min {
        return Err(RuntimeError::spec(
            field,
            format!("{value} is below the minimum of {what}"),
        ));
    }
    Ok(())
}

/// Docker's and Podman's container/network name rule.
pub(crate) fn validate_name(field: &str, name: &str) -> Result<(), RuntimeError> {
    let mut chars = name.chars();
    let ok = name.len() <= 128
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if !ok {
        return Err(RuntimeError::spec(
            field,
            format!(
                "{name:?} must be 1-128 characters of [a-zA-Z0-9_.-] starting with a letter or digit"
            ),
        ));
    }
    Ok(())
}

/// Environment entries: valid names, no NUL, no reserved names.
pub(crate) fn validate_env(field: &str, env: &[(String, String)]) -> Result<(), RuntimeError> {
    let mut seen = HashSet::new();
    for (k, v) in env {
        let f = format!("{field}[{k:?}]");
        if k.is_empty() || k.contains('=') || k.contains('\0') || k.chars().any(char::is_whitespace)
        {
            return Err(RuntimeError::spec(
                f,
                "variable names must be non-empty without '=', spaces or NUL",
            ));
        }
        if v.contains('\0') {
            return Err(RuntimeError::spec(f, "values may not contain NUL bytes"));
        }
        if RESERVED_ENV.contains(&k.as_str()) {
            return Err(RuntimeError::spec(
                f,
                format!("{k} is set by lasso and cannot be overridden"),
            ));
        }
        if !seen.insert(k.as_str()) {
            return Err(RuntimeError::spec(f, "variable is set twice"));
        }
    }
    Ok(())
}

/// An absolute, normalised container path that is safe to put in mount and mask options.
pub(crate) fn validate_container_path(field: &str, p: &str) -> Result<(), RuntimeError> {
    let bad = |why: &str| Err(RuntimeError::spec(field, format!("{p:?} {why}")));
    if !p.starts_with('/') {
        return bad("must be an absolute path");
    }
    if p == "/" {
        return bad("is the root directory");
    }
    if p.len() > 4096 {
        return bad("is longer than 4096 bytes");
    }
    if p.ends_with('/') || p.contains("//") {
        return bad("must be normalised (no trailing or double slashes)");
    }
    if p.split('/').any(|c| c == "." || c == "..") {
        return bad("may not contain . or .. components");
    }
    if p.chars()
        .any(|c| c == ':' || c == ',' || c.is_control() || c.is_whitespace())
    {
        return bad(
            "may not contain ':', ',', whitespace or control characters (they break mount options)",
        );
    }
    Ok(())
}

fn is_under(path: &str, dir: &str) -> bool {
    path == dir
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn spec() -> SandboxSpec {
        SandboxSpec::new("lasso-test-1", "lasso-base:latest", "/srv/ws")
    }

    fn err_of(s: &SandboxSpec) -> String {
        s.validate().unwrap_err().to_string()
    }

    #[test]
    fn defaults_are_valid() {
        spec().validate().unwrap();
    }

    #[test]
    fn names_are_checked() {
        for bad in ["", "-x", "a b", "a/b", &"x".repeat(129)] {
            let mut s = spec();
            s.name = bad.to_string();
            assert!(err_of(&s).contains("invalid name"), "{bad:?}");
        }
        let mut s = spec();
        s.network = NetworkSpec::Bridge {
            name: "bad name".into(),
        };
        assert!(err_of(&s).contains("network.name"));
    }

    #[test]
    fn env_rules() {
        let mut s = spec();
        s.env = vec![("HOME".into(), "/root".into())];
        assert!(err_of(&s).contains("set by lasso"));
        s.env = vec![("A=B".into(), "x".into())];
        assert!(err_of(&s).contains("env[\"A=B\"]"));
        s.env = vec![("A".into(), "x\0y".into())];
        assert!(err_of(&s).contains("NUL"));
        s.env = vec![("A".into(), "1".into()), ("A".into(), "2".into())];
        assert!(err_of(&s).contains("twice"));
        s.env = vec![("ANTHROPIC_API_KEY".into(), "sk-...".into())];
        s.validate().unwrap();
    }

    #[test]
    fn limits_have_minimums() {
        let mut s = spec();
        s.memory_bytes = 1 << 20;
        assert!(err_of(&s).contains("memory_bytes"));
        let mut s = spec();
        s.pids_limit = 2;
        assert!(err_of(&s).contains("pids_limit"));
        let mut s = spec();
        s.nano_cpus = 0;
        assert!(err_of(&s).contains("nano_cpus"));
        let mut s = spec();
        s.nofile = 10_000_000;
        assert!(err_of(&s).contains("nofile"));
        let mut s = spec();
        s.tmp_size_bytes = 0;
        assert!(err_of(&s).contains("tmp_size_bytes"));
    }

    #[test]
    fn workspace_must_be_absolute() {
        let mut s = spec();
        s.workspace = "rel/ws".into();
        assert!(err_of(&s).contains("absolute host path"));
    }

    #[test]
    fn tmpfs_paths_are_checked() {
        let cases = [
            ("/workspace/cache", "masked_paths instead"),
            ("/proc/x", "inside /proc"),
            ("/tmp", "already mounted"),
            ("relative", "absolute"),
            ("/a/../b", ". or .."),
            ("/a:b", "':'"),
            ("/a,b", "':'"),
            ("/a/", "normalised"),
        ];
        for (p, want) in cases {
            let mut s = spec();
            s.extra_tmpfs = vec![TmpfsMount {
                path: p.into(),
                size_bytes: 1 << 20,
                exec: false,
            }];
            let e = err_of(&s);
            assert!(e.contains(want), "{p}: {e}");
        }
        let mut s = spec();
        s.extra_tmpfs = vec![TmpfsMount {
            path: "/opt/cache".into(),
            size_bytes: 1 << 20,
            exec: true,
        }];
        s.validate().unwrap();
    }

    #[test]
    fn masked_paths_are_checked() {
        for (p, want) in [
            ("/workspace", "as a whole"),
            ("/", "root directory"),
            ("workspace/.env", "absolute"),
            ("/workspace/a b", "whitespace"),
        ] {
            let mut s = spec();
            s.masked_paths = vec![p.into()];
            assert!(err_of(&s).contains(want), "{p}");
        }
        let mut s = spec();
        s.masked_paths = vec!["/workspace/.env".into(), "/workspace/.env".into()];
        assert!(err_of(&s).contains("twice"));
        s.masked_paths = vec!["/workspace/.env".into(), "/etc/shadow".into()];
        s.validate().unwrap();
    }

    #[test]
    fn runtime_names_are_checked() {
        let mut s = spec();
        s.oci_runtime = Some("runsc --network=host".into());
        assert!(err_of(&s).contains("oci_runtime"));
        s.oci_runtime = Some("io.containerd.runsc.v1".into());
        s.validate().unwrap();
    }
}
