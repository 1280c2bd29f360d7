//! What `lasso check` shows about the engine: versions, OS, OCI runtimes, cgroups and
//! security options, read from `/info` through the tolerant client.
//!
//! Runtime availability is engine specific: Docker lists only the runtimes registered with
//! the daemon; Podman lists its whole built-in table (crun, kata, krun, runj, runsc, ...)
//! whether installed or not, so for a local Podman the runtime's path is checked on the host.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::connect::{Engine, EngineKind};
use super::error::RuntimeError;

/// One OCI runtime the engine knows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OciRuntime {
    /// Name used to request it (`runc`, `runsc`, `kata`).
    pub name: String,
    /// The binary the engine would run, as reported.
    pub path: Option<String>,
    /// Whether it can be used: `Some(false)` when the engine is local and the binary is
    /// missing; `None` when it cannot be checked (remote engine, bare command name).
    pub installed: Option<bool>,
}

/// Engine facts for diagnostics and capability checks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EngineInfo {
    /// Docker or Podman.
    pub kind: EngineKind,
    /// Endpoint, as a URL.
    pub endpoint: String,
    /// Engine version.
    pub version: String,
    /// Negotiated API version.
    pub api_version: String,
    /// Operating system of the engine host.
    pub operating_system: String,
    /// Kernel version of the engine host.
    pub kernel_version: String,
    /// CPU architecture.
    pub architecture: String,
    /// CPUs visible to the engine.
    pub ncpu: u64,
    /// Memory of the engine host, bytes.
    pub mem_total: u64,
    /// OCI runtimes, sorted by name.
    pub oci_runtimes: Vec<OciRuntime>,
    /// The runtime used when none is requested.
    pub default_runtime: String,
    /// `1` or `2`.
    pub cgroup_version: String,
    /// `cgroupfs` or `systemd`.
    pub cgroup_driver: String,
    /// Raw security options (`name=seccomp,profile=default`, ...).
    pub security_options: Vec<String>,
    /// Seccomp filtering available.
    pub seccomp: bool,
    /// AppArmor enabled.
    pub apparmor: bool,
    /// SELinux enabled.
    pub selinux: bool,
    /// The engine runs rootless.
    pub rootless: bool,
    /// The engine can enforce pids limits.
    pub pids_limit: bool,
    /// The engine can enforce memory limits.
    pub memory_limit: bool,
    /// Engine warnings (e.g. missing swap limit support).
    pub warnings: Vec<String>,
}

impl EngineInfo {
    /// The runtime entry by name.
    pub fn runtime(&self, name: &str) -> Option<&OciRuntime> {
        self.oci_runtimes.iter().find(|r| r.name == name)
    }

    /// Names of runtimes that are not known to be missing.
    pub fn usable_runtimes(&self) -> Vec<String> {
        self.oci_runtimes
            .iter()
            .filter(|r| r.installed != Some(false))
            .map(|r| r.name.clone())
            .collect()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawInfo {
    #[serde(rename = "ServerVersion")]
    server_version: String,
    #[serde(rename = "OperatingSystem")]
    operating_system: String,
    #[serde(rename = "KernelVersion")]
    kernel_version: String,
    #[serde(rename = "Architecture")]
    architecture: String,
    #[serde(rename = "NCPU")]
    ncpu: u64,
    #[serde(rename = "MemTotal")]
    mem_total: u64,
    #[serde(rename = "Runtimes")]
    runtimes: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(rename = "DefaultRuntime")]
    default_runtime: String,
    #[serde(rename = "CgroupVersion")]
    cgroup_version: String,
    #[serde(rename = "CgroupDriver")]
    cgroup_driver: String,
    #[serde(rename = "SecurityOptions")]
    security_options: Option<Vec<String>>,
    #[serde(rename = "Rootless")]
    rootless: Option<bool>,
    #[serde(rename = "PidsLimit")]
    pids_limit: Option<bool>,
    #[serde(rename = "MemoryLimit")]
    memory_limit: Option<bool>,
    #[serde(rename = "Warnings")]
    warnings: Option<Vec<String>>,
}

impl Engine {
    /// Reads `/info` (and the versions gathered at connect time).
    pub async fn info(&self) -> Result<EngineInfo, RuntimeError> {
        let raw: RawInfo = self.raw_json("read engine info", "/info").await?;
        Ok(build_info(self, raw, |p| std::path::Path::new(p).exists()))
    }
}

fn build_info(engine: &Engine, raw: RawInfo, path_exists: impl Fn(&str) -> bool) -> EngineInfo {
    let local = engine.endpoint.is_local();
    interpret(
        engine.kind,
        engine.endpoint.to_string(),
        engine.api_version.clone(),
        local,
        raw,
        path_exists,
    )
}

fn interpret(
    kind: EngineKind,
    endpoint: String,
    api_version: String,
    local: bool,
    raw: RawInfo,
    path_exists: impl Fn(&str) -> bool,
) -> EngineInfo {
    let mut oci_runtimes: Vec<OciRuntime> = raw
        .runtimes
        .unwrap_or_default()
        .into_iter()
        .map(|(name, v)| {
            let path = v.get("path").and_then(|p| p.as_str()).map(str::to_string);
            let installed = match (&path, kind, local) {
                // Docker only lists runtimes registered with the daemon.
                (_, EngineKind::Docker, _) => Some(true),
                (Some(p), EngineKind::Podman, true) if p.starts_with('/') => Some(path_exists(p)),
                _ => None,
            };
            OciRuntime {
                name,
                path,
                installed,
            }
        })
        .collect();
    oci_runtimes.sort_by(|a, b| a.name.cmp(&b.name));
    let security_options = raw.security_options.unwrap_or_default();
    let has = |n: &str| {
        security_options
            .iter()
            .any(|o| o.split(',').any(|kv| kv == format!("name={n}") || kv == n))
    };
    EngineInfo {
        kind,
        endpoint,
        version: raw.server_version,
        api_version,
        operating_system: raw.operating_system,
        kernel_version: raw.kernel_version,
        architecture: raw.architecture,
        ncpu: raw.ncpu,
        mem_total: raw.mem_total,
        default_runtime: raw.default_runtime,
        cgroup_version: raw.cgroup_version,
        cgroup_driver: raw.cgroup_driver,
        seccomp: has("seccomp"),
        apparmor: has("apparmor"),
        selinux: has("selinux"),
        rootless: raw.rootless.unwrap_or(false) || has("rootless"),
        pids_limit: raw.pids_limit.unwrap_or(false),
        memory_limit: raw.memory_limit.unwrap_or(false),
        security_options,
        warnings: raw.warnings.unwrap_or_default(),
        oci_runtimes,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const PODMAN_INFO: &str = r#"{"ServerVersion":"4.3.1","OperatingSystem":"debian","KernelVersion":"6.18","NCPU":2,
      "MemTotal":1000,"Runtimes":{"runc":{"path":"/usr/bin/runc"},"kata":{"path":"/usr/bin/kata-runtime"},
      "runsc":{"path":"/usr/bin/runsc"}},"DefaultRuntime":"runc","CgroupVersion":"1","CgroupDriver":"cgroupfs",
      "SecurityOptions":["name=seccomp,profile=default"],"Rootless":false,"PidsLimit":true,"Isolation":"weird-new-value",
      "Swarm":{"LocalNodeState":"something-new"}}"#;

    const DOCKER_INFO: &str = r#"{"ServerVersion":"20.10.24","OperatingSystem":"Debian GNU/Linux 12 (bookworm)",
      "Runtimes":{"runc":{"path":"runc"},"runsc":{"path":"/usr/bin/runsc"}},"DefaultRuntime":"runc",
      "CgroupVersion":"2","CgroupDriver":"systemd","SecurityOptions":["name=seccomp,profile=default","name=apparmor",
      "name=rootless","name=cgroupns"],"Warnings":["WARNING: No swap limit support"]}"#;

    #[test]
    fn podman_runtimes_are_checked_on_the_host() {
        let raw: RawInfo = serde_json::from_str(PODMAN_INFO).unwrap();
        let info = interpret(
            EngineKind::Podman,
            "unix:///p".into(),
            "1.41".into(),
            true,
            raw,
            |p| p != "/usr/bin/kata-runtime",
        );
        assert_eq!(info.runtime("kata").unwrap().installed, Some(false));
        assert_eq!(info.runtime("runsc").unwrap().installed, Some(true));
        assert_eq!(
            info.usable_runtimes(),
            vec!["runc".to_string(), "runsc".to_string()]
        );
        assert!(info.seccomp && !info.apparmor && !info.rootless);
        assert_eq!(info.cgroup_version, "1");
        assert!(info.pids_limit);
    }

    #[test]
    fn remote_podman_runtimes_are_unknown_not_missing() {
        let raw: RawInfo = serde_json::from_str(PODMAN_INFO).unwrap();
        let info = interpret(
            EngineKind::Podman,
            "tcp://h:1".into(),
            "1.41".into(),
            false,
            raw,
            |_| false,
        );
        assert_eq!(info.runtime("kata").unwrap().installed, None);
        assert_eq!(info.usable_runtimes().len(), 3);
    }

    #[test]
    fn docker_security_options_and_runtimes() {
        let raw: RawInfo = serde_json::from_str(DOCKER_INFO).unwrap();
        let info = interpret(
            EngineKind::Docker,
            "unix:///d".into(),
            "1.41".into(),
            true,
            raw,
            |_| false,
        );
        assert!(info.seccomp && info.apparmor && info.rootless && !info.selinux);
        assert_eq!(info.runtime("runc").unwrap().installed, Some(true));
        assert_eq!(info.cgroup_driver, "systemd");
        assert_eq!(info.warnings.len(), 1);
    }
}
