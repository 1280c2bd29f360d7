//! `lasso check`: is this machine ready to run sandboxes, and if not, what to do.
//!
//! Every item carries a status and, when not ok, a remediation a user can follow. The report
//! is data (serialisable) so the CLI, the TUI's system view and the REST API render the same
//! thing.

use serde::Serialize;

use super::service::SandboxService;
use crate::config::DEFAULT_BASE_IMAGE;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CheckItem {
    pub name: String,
    pub status: CheckStatus,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CheckReport {
    pub ok: bool,
    pub items: Vec<CheckItem>,
}

fn item(
    name: &str,
    status: CheckStatus,
    detail: impl Into<String>,
    fix: Option<&str>,
) -> CheckItem {
    CheckItem {
        name: name.into(),
        status,
        detail: detail.into(),
        remediation: fix.map(str::to_string),
    }
}

impl SandboxService {
    /// Runs every check. Never fails: a check that cannot run is itself a failed item.
    pub async fn check(&self) -> CheckReport {
        use CheckStatus::*;
        let mut items = Vec::new();
        items.push(match self.audit_key() {
            Result::Ok(_) => item(
                "lasso home",
                Ok,
                format!("{} (audit key present, 0600)", self.home().root().display()),
                None,
            ),
            Err(e) => item(
                "lasso home",
                Fail,
                e.to_string(),
                Some("fix the permissions of LASSO_HOME or point LASSO_HOME elsewhere"),
            ),
        });
        match self.engine().await {
            Err(e) => items.push(item(
                "container engine",
                Fail,
                e.to_string(),
                Some("install and start Docker or Podman (see README: `bash scripts/setup.sh`), or set DOCKER_HOST / CONTAINER_HOST / LASSO_RUNTIME"),
            )),
            Result::Ok(engine) => {
                items.push(item(
                    "container engine",
                    Ok,
                    format!("{} {} (API {}) at {}", engine.kind(), engine.server_version(), engine.api_version(), engine.endpoint()),
                    None,
                ));
                match engine.info().await {
                    Err(e) => items.push(item("engine info", Fail, e.to_string(), Some("check the engine's logs"))),
                    Result::Ok(info) => {
                        let usable = info.usable_runtimes();
                        let has = |n: &str| usable.iter().any(|r| r == n);
                        items.push(if has("runc") || has("crun") || !info.default_runtime.is_empty() {
                            item("isolation: container", Ok, format!("default OCI runtime {}", info.default_runtime), None)
                        } else {
                            item("isolation: container", Fail, "no OCI runtime reported", Some("install runc"))
                        });
                        items.push(if has("runsc") {
                            item("isolation: gvisor", Ok, "runsc registered (use with network none)", None)
                        } else {
                            item(
                                "isolation: gvisor",
                                Warn,
                                "runsc is not registered with the engine; --isolation gvisor will be refused",
                                Some("apt-get install runsc; Docker: dockerd --add-runtime runsc=/usr/bin/runsc; Podman: [engine.runtimes] runsc = [\"/usr/bin/runsc\"] in containers.conf"),
                            )
                        });
                        items.push(if ["kata", "kata-runtime", "io.containerd.kata.v2"].iter().any(|n| has(n)) {
                            item("isolation: kata", Ok, "Kata runtime registered", None)
                        } else {
                            item("isolation: kata", Warn, "no Kata runtime; --isolation kata will be refused", Some("install Kata Containers and register it with the engine"))
                        });
                        items.push(item(
                            "cgroups",
                            if info.memory_limit && info.pids_limit { Ok } else { Fail },
                            format!(
                                "version {} driver {}; memory limits {}, pids limits {}",
                                info.cgroup_version,
                                info.cgroup_driver,
                                yes(info.memory_limit),
                                yes(info.pids_limit)
                            ),
                            (!(info.memory_limit && info.pids_limit)).then_some("enable the memory and pids cgroup controllers"),
                        ));
                        items.push(if info.seccomp {
                            item("seccomp", Ok, "the engine applies its default seccomp profile", None)
                        } else {
                            item("seccomp", Fail, "the engine reports no seccomp support", Some("use an engine built with seccomp"))
                        });
                    }
                }
                let base = self.settings().base_image.clone();
                items.push(match engine.image_exists(&base).await {
                    Result::Ok(true) => item("base image", Ok, format!("{base} is present"), None),
                    Result::Ok(false) if base == DEFAULT_BASE_IMAGE => item(
                        "base image",
                        Warn,
                        format!("{base} is missing; it is built on first create"),
                        Some("run `lasso image bootstrap` now to build it from the host's busybox"),
                    ),
                    Result::Ok(false) => item("base image", Fail, format!("{base} is missing and cannot be pulled"), Some("load it into the engine or unset LASSO_BASE_IMAGE")),
                    Err(e) => item("base image", Fail, e.to_string(), None),
                });
            }
        }
        items.push(match landlock_abi() {
            Some(abi) => item("landlock", Ok, format!("kernel Landlock ABI {abi}"), None),
            None => item("landlock", Fail, "the kernel does not offer Landlock; sandboxes are refused unless their profile accepts running without it", Some("use a kernel ≥ 5.13 with landlock in the lsm= list, or set [guard] accept_missing = [\"landlock\"] in the profile")),
        });
        items.push(if seccomp_notify_available() {
            item("seccomp user notification", Ok, "available (the guard checks every exec inside sandboxes)", None)
        } else {
            item("seccomp user notification", Fail, "the kernel does not offer SECCOMP_RET_USER_NOTIF; sandboxes are refused unless their profile accepts running without it", Some("use a kernel ≥ 5.5, or set [guard] accept_missing = [\"seccomp-notify\"] in the profile"))
        });
        items.push(item("host cgroup layout", Ok, host_cgroup_layout(), None));
        let ok = items.iter().all(|i| i.status != Fail);
        CheckReport { ok, items }
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn host_cgroup_layout() -> String {
    let root = std::path::Path::new("/sys/fs/cgroup");
    if root.join("cgroup.controllers").exists() {
        "cgroup v2 (unified)".into()
    } else if root.join("unified").exists() {
        "cgroup v1 (hybrid)".into()
    } else {
        "cgroup v1".into()
    }
}

/// Whether the kernel offers seccomp user notification (`SECCOMP_RET_USER_NOTIF`).
pub(crate) fn seccomp_notify_available() -> bool {
    const SECCOMP_GET_ACTION_AVAIL: libc::c_uint = 2;
    const SECCOMP_RET_USER_NOTIF: u32 = 0x7fc0_0000;
    let action = SECCOMP_RET_USER_NOTIF;
    // SAFETY: SECCOMP_GET_ACTION_AVAIL only reads the u32 the pointer refers to, which lives
    // on this stack frame for the duration of the call; it installs nothing.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            SECCOMP_GET_ACTION_AVAIL,
            0u32,
            &action as *const u32,
        )
    };
    r == 0
}

/// The kernel's Landlock ABI version, if Landlock is available.
pub(crate) fn landlock_abi() -> Option<i64> {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
    // SAFETY: with a null attribute pointer, size 0 and the VERSION flag, the syscall only
    // returns the ABI version (or an error); it reads and writes no memory.
    let abi = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    (abi > 0).then_some(abi)
}

#[cfg(test)]
mod tests {
    #[test]
    fn landlock_probe_does_not_crash_and_reports_a_sane_abi() {
        if let Some(abi) = super::landlock_abi() {
            assert!((1..100).contains(&abi));
        }
        // This machine's kernel (6.x) has it; a failure here would mean the probe is wrong.
        assert!(super::seccomp_notify_available());
    }
}
